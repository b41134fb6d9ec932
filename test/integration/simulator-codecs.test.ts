/**
 * The simulator streams real media in every codec it negotiates, and the SDK with `rtms-client/media` decodes it:
 * L16 (8, 16 and 48 kHz stereo), G.711 A-law, G.722 and Opus audio of the committed sentence, with transcripts
 * that say it, timed with it; H.264 video and share as whole access units that ffprobe reads back.
 *
 * Tolerances are those of test/unit/media-decoders.test.ts: L16 and G.711 exact (the fixtures' own samples),
 * G.722 bit-exact with ffmpeg's decoder (SHA-256), Opus ≥ 38 dB SNR against libopus's own decode at lag 0; L16 at
 * 48 kHz, interpolated by the simulator from 16 kHz, ≥ 25 dB SNR once resampled back to 16 kHz.
 *
 * ffprobe/ffmpeg: outside CI the H.264 read-back skips with a loud message when they are not on PATH; in CI
 * (CI=true) their absence fails the file at collection time. Opus needs the devDependency opus-decoder.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { AudioFormat, AudioParams, RtmsSession, TranscriptEvent, VideoFrame } from '../../src/index.js';
import { Resampler, createAudioDecoder } from '../../src/media/index.js';
import { h264AccessUnits, isKeyFrame, voicedSpanMs } from '../../src/testing/media-fixtures-packets.js';
import { rig, until } from '../helpers.js';
import { fixture, pcm, snrAligned } from '../media-fixtures.js';
import { ffmpegAvailable } from '../media-helpers.js';

const SENTENCE = fixture('speech.txt').toString('utf8').trim();
const ADA = { userId: 16778240, userName: 'Ada Lovelace', text: 'not used in speech mode' };
const GRACE = { userId: 16779264, userName: 'Grace Hopper', text: 'not used either' };

const FFPROBE = ffmpegAvailable('the read-back of the simulator H.264');
let OPUS = true;
try {
  await import('opus-decoder');
} catch {
  OPUS = false;
  console.warn('\n!!!!!!!! opus-decoder is not installed: SKIPPING the simulator Opus test (npm install opus-decoder). !!!!!!!!\n');
}


interface Heard {
  session: RtmsSession;
  audio: { data: Buffer; timestamp: number; format: AudioFormat; userId: unknown }[];
  transcripts: TranscriptEvent[];
  audioCountAt: number[];
}

/** A 2-sentence meeting (2.05 s of real time) in `params`, through the SDK. */
async function listen(params: AudioParams, lines = [ADA]): Promise<Heard> {
  const r = await rig({ media: ['audio', 'transcript'], mediaParams: { audio: params } });
  const stream = r.sim.createStream();
  const session = (await r.client.handleWebhook(stream.webhook('started'))).session!;
  const heard: Heard = { session, audio: [], transcripts: [], audioCountAt: [] };
  session.on('audio', (a) => heard.audio.push({ data: a.data, timestamp: a.timestamp!, format: a.format, userId: a.userId }));
  session.on('transcript', (t) => {
    heard.transcripts.push(t);
    heard.audioCountAt.push(heard.audio.length);
  });
  await stream.ready();
  await until(() => session.state === 'streaming');
  await stream.playMeeting({ durationMs: 2_050, lines, speech: true });
  await until(() => heard.transcripts.length === 2, 2_000, 'two transcripts');
  return heard;
}

/** Decodes the frames in order with a fresh decoder for their format; interleaved samples. */
async function decodeAll(frames: Heard['audio']): Promise<{ samples: Int16Array; rate: number; channels: number; errors: number }> {
  const dec = await createAudioDecoder(frames[0]!.format);
  onTestFinished(() => dec.close());
  const parts = frames.map((f) => dec.decode(f.data));
  const samples = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((o, p) => (samples.set(p, o), o + p.length), 0);
  return { samples, rate: dec.sampleRate, channels: dec.channels, errors: dec.errors };
}

/** Checks what every codec shares: packet timing, the transcripts' words, speaker and timing. */
function checkStream(h: Heard, sendRate: number): void {
  const ts = h.audio.map((a) => a.timestamp);
  for (let i = 1; i < ts.length; i++) expect(ts[i]! - ts[i - 1]!).toBe(sendRate);
  expect(h.transcripts.map((t) => t.text)).toEqual([SENTENCE, SENTENCE]);
  const span = voicedSpanMs();
  h.transcripts.forEach((t, s) => {
    // On the audio's clock: sentence s starts at the first packet's timestamp + s × 1 s.
    expect(t.startTime).toBe(ts[0]! + s * 1000 + span.startMs);
    expect(t.endTime).toBe(ts[0]! + s * 1000 + span.endMs);
    // Sent once the sentence's audio has been: every packet of sentence s arrived before its line.
    expect(h.audioCountAt[s]).toBeGreaterThanOrEqual(((s + 1) * 1000) / sendRate);
  });
}

describe('the simulator streams the recorded sentence in the negotiated codec, and it decodes', () => {
  it('L16 16 kHz mono, 20 ms: 640-byte packets, the fixture samples exactly (looped)', async () => {
    const h = await listen({ codec: 'L16', sampleRate: 16000 });
    checkStream(h, 20);
    for (const a of h.audio) expect(a.data.length).toBe(640);
    const { samples, errors } = await decodeAll(h.audio);
    const ref = pcm('speech-16k.s16le');
    expect(errors).toBe(0);
    expect(samples.length).toBeGreaterThanOrEqual(2 * 16000);
    expect([...samples.subarray(0, 16000)]).toEqual([...ref]);
    expect([...samples.subarray(16000, 32000)]).toEqual([...ref]);
  });

  it('L16 8 kHz, send_rate 100: 1 600-byte packets, the 8 kHz fixture exactly', async () => {
    const h = await listen({ codec: 'L16', sampleRate: 8000, sendRate: 100 });
    checkStream(h, 100);
    for (const a of h.audio) expect(a.data.length).toBe(1600);
    const { samples } = await decodeAll(h.audio);
    expect([...samples.subarray(0, 8000)]).toEqual([...pcm('speech-8k.s16le')]);
  });

  it('L16 48 kHz stereo: 3 840-byte packets, equal channels, the speech within 25 dB SNR once resampled to 16 kHz', async () => {
    const h = await listen({ codec: 'L16', sampleRate: 48000, channels: 2 });
    checkStream(h, 20);
    for (const a of h.audio) expect(a.data.length).toBe(3840);
    const { samples, channels } = await decodeAll(h.audio);
    expect(channels).toBe(2);
    const left = new Int16Array(samples.length / 2);
    for (let i = 0; i < left.length; i++) {
      left[i] = samples[2 * i]!;
      expect(samples[2 * i + 1]).toBe(left[i]);
    }
    const rs = new Resampler(48000, 16000);
    const y = Float32Array.from([...rs.process(left.subarray(0, 48000)), ...rs.flush()]);
    const { snr, lag } = snrAligned(pcm('speech-16k.s16le'), y, 3, -3);
    console.log(`simulator L16 48 kHz (interpolated from 16 kHz), back at 16 kHz: ${snr.toFixed(1)} dB SNR at lag ${lag}`);
    expect(snr).toBeGreaterThanOrEqual(25);
  });

  it('G.711: A-law packets of 160 bytes, the fixture bytes, decoding to the 8 kHz speech (≥ 30 dB SNR)', async () => {
    const h = await listen({ codec: 'G711', sampleRate: 8000 });
    checkStream(h, 20);
    expect(h.audio[0]!.format).toMatchObject({ codec: 'G711', sampleRate: 8000, channels: 1 });
    for (const a of h.audio) expect(a.data.length).toBe(160);
    expect(Buffer.concat(h.audio.slice(0, 50).map((a) => a.data)).equals(fixture('speech.alaw'))).toBe(true);
    const { samples } = await decodeAll(h.audio);
    const { snr } = snrAligned(pcm('speech-8k.s16le'), samples.subarray(0, 8000));
    expect(snr).toBeGreaterThanOrEqual(30);
  });

  it("G.722: 160-byte packets at 16 kHz; the first second decodes bit-exactly as ffmpeg's decoder does", async () => {
    const h = await listen({ codec: 'G722', sampleRate: 16000 });
    checkStream(h, 20);
    expect(h.audio[0]!.format).toMatchObject({ codec: 'G722', sampleRate: 16000, channels: 1 });
    for (const a of h.audio) expect(a.data.length).toBe(160);
    const { samples, errors } = await decodeAll(h.audio.slice(0, 50));
    expect(errors).toBe(0);
    const hash = createHash('sha256').update(new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength)).digest('hex');
    expect(hash).toBe(fixture('speech-g722-ffmpeg.sha256').toString('utf8').trim());
  });

  it.skipIf(!OPUS)("Opus 48 kHz: the fixture's 20 ms packets; decoded, they match libopus's own decode (≥ 38 dB SNR, lag 0)", async () => {
    const h = await listen({ codec: 'OPUS', sampleRate: 48000 });
    checkStream(h, 20);
    expect(h.audio[0]!.format).toMatchObject({ codec: 'OPUS', sampleRate: 48000, channels: 1, sendRate: 20 });
    const { samples, errors } = await decodeAll(h.audio.slice(0, 50));
    expect(errors).toBe(0);
    expect(samples.length).toBe(48000);
    const rs = new Resampler(48000, 16000);
    const y = Float32Array.from([...rs.process(samples.subarray(312)), ...rs.flush()]); // pre-skip 312 (OpusHead)
    const { snr, lag } = snrAligned(pcm('speech-opus-libopus-16k.s16le'), y, 3, -3);
    console.log(`simulator Opus, decoded and resampled to 16 kHz: ${snr.toFixed(1)} dB SNR against libopus at lag ${lag}`);
    expect(lag).toBe(0);
    expect(snr).toBeGreaterThanOrEqual(38);
  });

  it('per-participant audio: each sentence is its speaker’s stream, and the transcript names them', async () => {
    const h = await listen({ codec: 'L16', sampleRate: 16000, dataOption: 'multi' }, [ADA, GRACE]);
    checkStream(h, 20);
    expect(h.transcripts.map((t) => t.userName)).toEqual(['Ada Lovelace', 'Grace Hopper']);
    expect(new Set(h.audio.slice(0, 50).map((a) => a.userId))).toEqual(new Set([ADA.userId]));
    expect(new Set(h.audio.slice(50, 100).map((a) => a.userId))).toEqual(new Set([GRACE.userId]));
  });
});

describe('H.264 video and screen share', () => {
  async function watch(): Promise<{ video: VideoFrame[]; share: VideoFrame[] }> {
    const r = await rig({ media: ['video', 'share'], mediaParams: { video: { codec: 'H264', resolution: 'HD', fps: 15 }, share: { codec: 'H264', resolution: 'HD', fps: 15 } } });
    const stream = r.sim.createStream();
    const session = (await r.client.handleWebhook(stream.webhook('started'))).session!;
    const got = { video: [] as VideoFrame[], share: [] as VideoFrame[] };
    session.on('video', (v) => got.video.push(v));
    session.on('share', (v) => got.share.push(v));
    await stream.ready();
    await until(() => session.state === 'streaming');
    await stream.playMeeting({ durationMs: 2_100, lines: [ADA], transcriptEveryMs: 60_000 });
    await until(() => got.video.length >= 31 && got.share.length >= 31, 2_000, 'frames');
    return got;
  }

  it('one whole access unit a frame, starting at an IDR, timestamps 1000/15 ms apart; ffprobe reads 320x180 back, every frame', async () => {
    const got = await watch();
    const dir = mkdtempSync(join(tmpdir(), 'sim-h264-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    for (const kind of ['video', 'share'] as const) {
      const frames = got[kind];
      expect(frames[0]!.format.codec).toBe('H264');
      expect(isKeyFrame(frames[0]!.data)).toBe(true);
      for (const f of frames) expect(h264AccessUnits(f.data)).toHaveLength(1);
      const t0 = frames[0]!.timestamp!;
      frames.forEach((f, k) => expect(f.timestamp).toBe(t0 + Math.round((k * 1000) / 15)));
      const bytes = Buffer.concat(frames.slice(0, 30).map((f) => f.data));
      expect(bytes.equals(fixture(kind === 'video' ? 'video.h264' : 'share.h264'))).toBe(true);
      if (!FFPROBE) continue;
      const path = join(dir, `${kind}.h264`);
      writeFileSync(path, Buffer.concat(frames.map((f) => f.data)));
      const probe = spawnSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width,height,nb_read_frames', '-of', 'json', path], { encoding: 'utf8' });
      expect(probe.status).toBe(0);
      const s = (JSON.parse(probe.stdout) as { streams: Record<string, unknown>[] }).streams[0];
      expect(s).toMatchObject({ codec_name: 'h264', width: 320, height: 180, nb_read_frames: String(frames.length) });
      const decode = spawnSync('ffmpeg', ['-nostdin', '-v', 'error', '-i', path, '-f', 'null', '-'], { encoding: 'utf8' });
      expect(decode.stderr).toBe('');
    }
  });
});
