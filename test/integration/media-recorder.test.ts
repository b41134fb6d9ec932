/**
 * recordSession (rtms-client/media) records a simulated meeting over loopback: a WAV per speaker (per channel for
 * Contact Center) and a mixed WAV, sample-aligned and of equal length; WebVTT and SRT captions that parse; chat
 * as JSON lines. The files are checked by our own strict readers and, independently, by ffprobe and ffmpeg.
 *
 * ffmpeg/ffprobe: outside CI these checks skip with a loud message when ffmpeg is not on PATH; in CI (CI=true)
 * its absence fails the file at collection time (.ci/run installs Debian's ffmpeg).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { devNull, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RtmsClient, RtmsSession } from '../../src/index.js';
import { StopReason } from '../../src/index.js';
import { WavWriter, recordSession, type Recording, type RecordingResult } from '../../src/media/index.js';
import type { RtmsSimulator } from '../../src/testing/index.js';
import { rig, until } from '../helpers.js';
import { ffmpegAvailable, tempDir } from '../media-helpers.js';

const FFMPEG = ffmpegAvailable('the independent checks of the recordings');

/** A strict reader of our WAVs: the canonical 44-byte header, PCM, sizes that match the file. */
function readWav(path: string): { rate: number; channels: number; samples: Int16Array } {
  const b = readFileSync(path);
  expect(b.toString('ascii', 0, 4)).toBe('RIFF');
  expect(b.toString('ascii', 8, 16)).toBe('WAVEfmt ');
  expect(b.readUInt16LE(20)).toBe(1);
  expect(b.toString('ascii', 36, 40)).toBe('data');
  const dataBytes = b.readUInt32LE(40);
  expect(b.readUInt32LE(4)).toBe(36 + dataBytes);
  expect(b.length).toBe(44 + dataBytes);
  const channels = b.readUInt16LE(22);
  const rate = b.readUInt32LE(24);
  expect(b.readUInt32LE(28)).toBe(rate * channels * 2);
  const copy = Uint8Array.prototype.slice.call(b, 44);
  return { rate, channels, samples: new Int16Array(copy.buffer, 0, dataBytes / 2) };
}

const TIME = String.raw`(\d{2,}:)?[0-5]\d:[0-5]\d\.\d{3}`;
const TIMING = new RegExp(`^(${TIME}) --> (${TIME})( .*)?$`);

function vttMs(t: string): number {
  const parts = t.split(':').map(Number);
  const [s, m = 0, h = 0] = parts.reverse() as [number, number?, number?];
  return Math.round(((h * 60 + m) * 60 + s) * 1000);
}

/**
 * Validates a WebVTT file line by line against the WebVTT file syntax (W3C WebVTT §4.1): the signature, a blank
 * line, then cue blocks (optional identifier without "-->", a timing line, payload lines that are neither empty
 * nor contain "-->") separated by blank lines; end after start; starts in non-decreasing order; voice spans closed
 * and `<`, `&` only in tags and character references. Returns the cues.
 */
function parseVtt(text: string): { start: number; end: number; voice: string | undefined; text: string }[] {
  expect(text.startsWith('WEBVTT')).toBe(true);
  expect(text).not.toContain('\r');
  const lines = text.split('\n');
  expect(/^WEBVTT([ \t].*)?$/.test(lines[0] as string)).toBe(true);
  expect(lines[1]).toBe('');
  const cues: { start: number; end: number; voice: string | undefined; text: string }[] = [];
  let i = 2;
  let lastStart = -1;
  while (i < lines.length) {
    if (lines[i] === '') {
      i++;
      continue;
    }
    let line = lines[i] as string;
    if (!line.includes('-->')) {
      i++; // cue identifier
      line = lines[i] as string;
    }
    const m = TIMING.exec(line);
    if (!m) throw new Error(`line ${i + 1}: not a cue timing line: ${JSON.stringify(line)}`);
    const start = vttMs(m[1] as string);
    const end = vttMs(m[3] as string);
    expect(end).toBeGreaterThan(start);
    expect(start).toBeGreaterThanOrEqual(lastStart);
    lastStart = start;
    i++;
    const payload: string[] = [];
    while (i < lines.length && lines[i] !== '') {
      const p = lines[i] as string;
      expect(p).not.toContain('-->');
      payload.push(p);
      i++;
    }
    expect(payload.length).toBeGreaterThan(0);
    const body = payload.join('\n');
    const voice = /^<v ([^>]+)>(.*)<\/v>$/s.exec(body);
    const inner = voice ? (voice[2] as string) : body;
    expect(/<|&(?!(amp|lt|gt|nbsp|lrm|rlm);)/.test(inner)).toBe(false);
    cues.push({ start, end, voice: voice?.[1], text: inner });
  }
  return cues;
}

function ffprobe(path: string): { streams: { codec_name?: string; sample_rate?: string; channels?: number }[]; format: { duration?: string } } {
  const r = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,sample_rate,channels:format=duration', '-of', 'json', path], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as ReturnType<typeof ffprobe>;
}

/** `ffmpeg -v error -i <file> -f null -` prints nothing; captions go through ffmpeg's SubRip muxer instead (null takes no subtitles). */
function ffmpegDecodesCleanly(path: string, subtitles = false): void {
  const out = subtitles ? ['-f', 'srt', '-y', devNull] : ['-f', 'null', '-'];
  const r = spawnSync('ffmpeg', ['-nostdin', '-v', 'error', '-i', path, ...out], { encoding: 'utf8' });
  expect(r.stdout + r.stderr).toBe('');
  expect(r.status).toBe(0);
}

/** Starts a stream of `product`, records its session into a temp dir; returns what is needed to play and stop it. */
async function recordStream(
  product: 'meeting' | 'contact_center',
  clientOptions: Parameters<typeof rig>[0],
  dir = tempDir(),
): Promise<{ sim: RtmsSimulator; client: RtmsClient; stream: ReturnType<RtmsSimulator['createStream']>; session: RtmsSession; rec: Recording; dir: string }> {
  const { sim, client } = await rig(clientOptions);
  const stream = sim.createStream({ product });
  let rec: Recording | undefined;
  client.on('session', (s) => {
    rec = recordSession(s, { dir, name: 'rec' });
  });
  const res = await client.handleWebhook(stream.webhook('started'));
  expect(res.status).toBe(200);
  const session = res.session as RtmsSession;
  await stream.ready();
  await until(() => session.state === 'streaming');
  return { sim, client, stream, session, rec: rec as Recording, dir };
}

describe('recordSession over a simulated meeting', () => {
  let result: RecordingResult | undefined;
  // Kept until both tests have run: the second reads the first one's files.
  const shared = mkdtempSync(join(tmpdir(), 'rtms-media-'));
  afterAll(() => rmSync(shared, { recursive: true, force: true }));

  it('writes aligned, equal-length WAVs per speaker and mixed, WebVTT and SRT captions, and chat as JSON lines', async () => {
    const { client, stream, session, rec, dir } = await recordStream('meeting', {
      media: ['audio', 'transcript', 'chat'],
      mediaParams: { audio: { dataOption: 'multi' } },
    }, shared);
    const chats = [
      { data: 'Hello & welcome <everyone>', userId: 16778240, userName: 'Ada Lovelace' },
      { data: JSON.stringify({ sender: { user_id: 16779264, user_name: 'Grace Hopper' }, message: 'Second message' }), userId: 16779264 },
    ];
    const playing = stream.playMeeting({ durationMs: 2_400, transcriptEveryMs: 500 });
    await new Promise((r) => setTimeout(r, 600));
    for (const c of chats) expect(stream.sendChat(c)).toBe(true);
    await playing;
    await client.handleWebhook(stream.webhook('stopped', { stopReason: StopReason.MEETING_ENDED }));
    await session.closed();
    result = await rec.done;

    expect(result.errors).toEqual([]);
    // No video was negotiated: no MP4, nothing counted.
    for (const v of [result.video, result.share]) expect(v).toMatchObject({ received: 0, frames: 0, dropped: 0, files: [] });
    expect(existsSync(join(dir, 'rec-video.mp4'))).toBe(false);
    expect(result.tracks.length).toBeGreaterThanOrEqual(2);
    expect(result.tracks.every((t) => t.userName !== undefined && t.key.startsWith('user:'))).toBe(true);
    expect(result.stats).toMatchObject({ late: 0, duplicates: 0, outOfRange: 0, format: 0, decodeErrors: 0 });
    // About 2.4 s of audio (the first packet comes one interval in, the last may be cut by the stop).
    expect(result.durationMs).toBeGreaterThan(2_000);
    expect(result.durationMs).toBeLessThan(3_000);

    const mixed = readWav(result.mixed);
    expect(mixed).toMatchObject({ rate: 16000, channels: 1 });
    expect(mixed.samples.length).toBe(result.samples);
    const tracks = result.tracks.map((t) => readWav(t.path).samples);
    for (const t of tracks) expect(t.length).toBe(mixed.samples.length);
    // Sample-aligned: the mix is the sum of the tracks, sample for sample (the simulator's voices never clip).
    for (let i = 0; i < mixed.samples.length; i += 7) {
      const sum = tracks.reduce((s, t) => s + (t[i] as number), 0);
      expect(mixed.samples[i]).toBe(Math.max(-32768, Math.min(32767, sum)));
    }
    // Speakers take turns: each track has audio somewhere and silence somewhere.
    for (const t of tracks) {
      expect(t.some((v) => v !== 0)).toBe(true);
      expect(t.some((v, i) => v === 0 && t[i + 1] === 0 && t[i + 2] === 0)).toBe(true);
    }

    const cues = parseVtt(readFileSync(result.vtt as string, 'utf8'));
    expect(cues.length).toBe(result.cues);
    expect(cues.length).toBeGreaterThanOrEqual(3);
    expect(cues.every((c) => c.voice !== undefined && ['Ada Lovelace', 'Grace Hopper', 'Alan Turing'].includes(c.voice))).toBe(true);
    expect(cues.every((c) => c.start <= result!.durationMs + 100)).toBe(true);
    const srt = readFileSync(result.srt as string, 'utf8').trim().split('\n\n');
    expect(srt.length).toBe(cues.length);
    srt.forEach((block, i) => {
      const [n, timing, text] = block.split('\n');
      expect(n).toBe(String(i + 1));
      expect(timing).toMatch(/^\d{2}:\d{2}:\d{2},\d{3} --> \d{2}:\d{2}:\d{2},\d{3}$/);
      expect(text).toMatch(/^(Ada Lovelace|Grace Hopper|Alan Turing): ./);
    });

    const lines = readFileSync(result.chat as string, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l['text'])).toEqual(['Hello & welcome <everyone>', 'Second message']);
    expect(lines[0]).toMatchObject({ userId: 16778240, userName: 'Ada Lovelace' });
    expect(lines[1]).toMatchObject({ userName: 'Grace Hopper' });
    expect(lines.every((l) => typeof l['t'] === 'number' && (l['t'] as number) >= 0)).toBe(true);
    expect(result.chatMessages).toBe(2);
    expect(existsSync(join(dir, 'rec-mixed.wav'))).toBe(true);
  });

  it.skipIf(!FFMPEG)('ffprobe and ffmpeg read every file of that recording cleanly, with the expected streams and duration', () => {
    const r = result;
    if (r === undefined) throw new Error('the recording test did not run');
    for (const path of [r.mixed, ...r.tracks.map((t) => t.path)]) {
      const info = ffprobe(path);
      expect(info.streams).toEqual([{ codec_name: 'pcm_s16le', sample_rate: '16000', channels: 1 }]);
      expect(Number(info.format.duration)).toBeCloseTo(r.durationMs / 1000, 3);
      ffmpegDecodesCleanly(path);
    }
    expect(ffprobe(r.vtt as string).streams).toEqual([{ codec_name: 'webvtt' }]);
    ffmpegDecodesCleanly(r.vtt as string, true);
    expect(ffprobe(r.srt as string).streams).toEqual([{ codec_name: 'subrip' }]);
    ffmpegDecodesCleanly(r.srt as string, true);
  });
});

describe('recordSession, other shapes', () => {
  it('Contact Center: one WAV per channel, equal in length to the mix', async () => {
    const { client, stream, session, rec } = await recordStream('contact_center', { media: ['audio', 'transcript'] });
    await stream.playMeeting({ durationMs: 1_200, transcriptEveryMs: 400 });
    await client.handleWebhook(stream.webhook('stopped', { stopReason: StopReason.MEETING_ENDED }));
    await session.closed();
    const r = await rec.done;
    expect(r.errors).toEqual([]);
    expect(r.tracks.length).toBeGreaterThanOrEqual(2);
    expect(r.tracks.every((t) => t.key.startsWith('channel:') && t.channelId !== undefined)).toBe(true);
    const n = readWav(r.mixed).samples.length;
    expect(n).toBeGreaterThan(0);
    for (const t of r.tracks) expect(readWav(t.path).samples.length).toBe(n);
    expect(r.chat).toBeDefined();
    expect(r.cues).toBeGreaterThanOrEqual(1);
  });

  it('a corrupt packet costs one frame of silence and a counted error; the recording goes on, in time', async () => {
    const { client, stream, session, rec } = await recordStream('meeting', { media: ['audio'], mediaParams: { audio: { dataOption: 'multi' } } });
    const t0 = Date.now();
    const good = Buffer.alloc(640, 1);
    for (let k = 0; k < 50; k++) stream.sendAudio({ data: good, userId: 7, userName: 'Ada', timestamp: t0 + k * 20 });
    stream.sendAudio({ data: Buffer.alloc(639, 1), userId: 7, userName: 'Ada', timestamp: t0 + 50 * 20 }); // odd-length L16
    for (let k = 51; k < 100; k++) stream.sendAudio({ data: good, userId: 7, userName: 'Ada', timestamp: t0 + k * 20 });
    await until(() => rec.timeline.stats.placed === 100);
    await client.handleWebhook(stream.webhook('stopped', { stopReason: StopReason.MEETING_ENDED }));
    await session.closed();
    const r = await rec.done;
    expect(r.stats).toMatchObject({ placed: 100, decodeErrors: 1, late: 0, duplicates: 0 });
    const pcm = readWav(r.tracks[0]!.path).samples;
    expect(pcm.length).toBe(100 * 320);
    expect([pcm[50 * 320 - 1], pcm[50 * 320], pcm[51 * 320 - 1], pcm[51 * 320]]).toEqual([257, 0, 0, 257]);
  });

  it('stop() finalises before the session ends; later audio is not recorded; stop() is idempotent', async () => {
    const { stream, rec } = await recordStream('meeting', { media: ['audio'] });
    const playing = stream.playMeeting({ durationMs: 800, transcriptEveryMs: 60_000 });
    await new Promise((r) => setTimeout(r, 400));
    const r = await rec.stop();
    expect(await rec.stop()).toBe(r);
    await playing;
    expect(r.tracks).toEqual([]); // mixed audio: the mix is the only file
    expect(readWav(r.mixed).samples.length).toBe(r.samples);
    expect(r.durationMs).toBeLessThan(600);
    expect(r.vtt).toBeDefined();
  });

  it.skipIf(!FFMPEG)('a WAV whose writer never closed (the process died) is read by ffprobe up to the last chunk written', () => {
    const dir = tempDir();
    const w = new WavWriter(join(dir, 'crash.wav'), 16000, 1);
    w.write(new Int16Array(8000).fill(1000));
    w.write(new Int16Array(8000).fill(-1000));
    // No close(): the header still says "length unknown".
    const info = ffprobe(join(dir, 'crash.wav'));
    expect(info.streams).toEqual([{ codec_name: 'pcm_s16le', sample_rate: '16000', channels: 1 }]);
    expect(Number(info.format.duration)).toBeCloseTo(1, 3);
    ffmpegDecodesCleanly(join(dir, 'crash.wav'));
    w.close();
    expect(readWav(join(dir, 'crash.wav')).samples.length).toBe(16000);
  });
});
