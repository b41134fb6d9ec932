/**
 * The recorder's video over a stand-in session (rtms-client/media): H.264 access units of the committed fixtures,
 * timed on the audio's clock, into fragmented MP4. What is counted without ffmpeg: frames written, dropped before
 * the first key frame, corrupt, images; files closed. Then an independent reader: ffprobe reports h264 320x180
 * and FLAC (or PCM) audio of the expected duration, `ffmpeg -v error -i <file> -f null -` prints nothing, the first video
 * and audio timestamps agree within 20 ms (or are 1.5 s apart when the video starts 1.5 s late), and a picture
 * size change starts a second file.
 *
 * ffmpeg/ffprobe: outside CI the independent checks skip with a loud message when they are not on PATH; in CI
 * (CI=true) their absence fails the file at collection time.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { LogLevel, Logging } from 'mediabunny';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import type { AudioFrame, VideoFrame } from '../../src/index.js';
import { detectVideoCodec } from '../../src/index.js';
import { recordSession, splitAccessUnits, type RecordOptions, type RecordingResult } from '../../src/media/index.js';
import { flacDescription, flacFrame } from '../../src/media/flac.js';
import { fakeSession, ffmpegAvailable, openFds, tempDir } from '../media-helpers.js';

const FFMPEG = ffmpegAvailable('the independent checks of the MP4 recordings');

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'media');
const VIDEO_AUS = splitAccessUnits(readFileSync(join(FIXTURES, 'video.h264')));
const SHARE_AUS = splitAccessUnits(readFileSync(join(FIXTURES, 'share.h264')));
const T0 = 1_700_000_000_000;
const AUDIO_FORMAT = { contentType: 'raw', codec: 'L16', sampleRate: 16000, channels: 1, sendRate: 20, dataOption: 'mixed' } as const;
const H264 = { codec: 'H264', resolution: 'SD', fps: 15 } as const;

/** 20 ms of a 440 Hz tone (L16) at `ms` on the clock. */
function audioFrame(ms: number): AudioFrame {
  const pcm = new Int16Array(320);
  const first = (ms * 16000) / 1000;
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(6000 * Math.sin((2 * Math.PI * 440 * (first + i)) / 16000));
  return { data: Buffer.from(pcm.buffer), userId: 0, userName: undefined, channelId: undefined, timestamp: T0 + ms, format: AUDIO_FORMAT, content: {} };
}

function videoFrame(data: Uint8Array, ms: number | undefined, format: VideoFrame['format'] = H264): VideoFrame {
  return { data: Buffer.from(data), userId: 1, userName: 'Ada', timestamp: ms === undefined ? undefined : T0 + ms, format, detectedCodec: detectVideoCodec(data), content: {} };
}

interface Plan {
  audioMs?: [number, number];
  /** `jitter`: whole-ms timestamps, each off by up to ±3 ms (as a live stream's are). */
  video?: { aus: readonly Uint8Array[]; startMs: number; kind?: 'video' | 'share'; jitter?: boolean }[];
  extra?: (emit: (kind: 'video' | 'share', f: VideoFrame) => void) => void;
  options?: Partial<RecordOptions>;
}

/** Plays audio and video in time order (as a live session would), ends the session, returns the result. */
async function record(dir: string, plan: Plan): Promise<RecordingResult> {
  const { session, emitter, close } = fakeSession('stream/v==');
  const rec = recordSession(session, { dir, name: 'rec', ...plan.options });
  emitter.emit('firstPacket', T0);
  const events: { ms: number; run: () => void }[] = [];
  const [a0, a1] = plan.audioMs ?? [0, 2000];
  for (let ms = a0; ms < a1; ms += 20) events.push({ ms, run: () => emitter.emit('audio', audioFrame(ms)) });
  for (const v of plan.video ?? []) {
    v.aus.forEach((au, i) => {
      const exact = v.startMs + (i * 1000) / 15;
      const ms = v.jitter === true ? Math.round(exact) + (((i * 5) % 7) - 3) : exact;
      events.push({ ms, run: () => emitter.emit(v.kind ?? 'video', videoFrame(au, ms)) });
    });
  }
  events.sort((x, y) => x.ms - y.ms);
  for (const [i, e] of events.entries()) {
    e.run();
    if (i % 10 === 0) await new Promise((r) => setImmediate(r));
  }
  plan.extra?.((kind, f) => emitter.emit(kind, f));
  close();
  return rec.done;
}

interface Probe {
  streams: { index: number; codec_type: string; codec_name: string; width?: number; height?: number; sample_rate?: string; start_time?: string; duration?: string }[];
  format: { duration?: string };
}
function ffprobe(path: string): Probe {
  const r = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=index,codec_type,codec_name,width,height,sample_rate,start_time,duration:format=duration', '-of', 'json', path], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as Probe;
}
/** The first packet's pts (seconds) of each stream, by codec type. */
function firstPts(path: string): Record<string, number> {
  const r = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'packet=stream_index,pts_time', '-of', 'csv=p=0', path], { encoding: 'utf8' });
  const types = Object.fromEntries(ffprobe(path).streams.map((s) => [s.index, s.codec_type]));
  const out: Record<string, number> = {};
  for (const line of r.stdout.trim().split('\n')) {
    const [idx, pts] = line.split(',');
    const type = types[Number(idx)];
    if (type !== undefined && pts !== undefined && !(type in out)) out[type] = Number(pts);
  }
  return out;
}
/** The last packet's pts (seconds) of each stream, by codec type. */
function lastPts(path: string): Record<string, number> {
  const r = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'packet=stream_index,pts_time', '-of', 'csv=p=0', path], { encoding: 'utf8' });
  const types = Object.fromEntries(ffprobe(path).streams.map((s) => [s.index, s.codec_type]));
  const out: Record<string, number> = {};
  for (const line of r.stdout.trim().split('\n')) {
    const [idx, pts] = line.split(',');
    const type = types[Number(idx)];
    if (type !== undefined && pts !== undefined) out[type] = Math.max(out[type] ?? -Infinity, Number(pts));
  }
  return out;
}
function ffmpegDecodesCleanly(path: string): void {
  const r = spawnSync('ffmpeg', ['-nostdin', '-v', 'error', '-i', path, '-f', 'null', '-'], { encoding: 'utf8' });
  expect(r.stdout + r.stderr).toBe('');
  expect(r.status).toBe(0);
}

describe('recordSession video with a stand-in session', () => {
  it('writes the active speaker and the share to fragmented MP4s, with counts; nothing left open', async () => {
    const dir = tempDir();
    const before = openFds();
    const r = await record(dir, { video: [{ aus: VIDEO_AUS, startMs: 0 }, { aus: SHARE_AUS, startMs: 0, kind: 'share' }] });
    expect(r.errors).toEqual([]);
    for (const [v, name] of [[r.video, 'rec-video.mp4'], [r.share, 'rec-share.mp4']] as const) {
      expect(v).toMatchObject({ received: 30, frames: 30, dropped: 0, images: 0, retimed: 0, audioSilenceMs: 0 });
      expect(v.files).toHaveLength(1);
      expect(v.files[0]).toMatchObject({ path: join(dir, name), width: 320, height: 180, startMs: 0, firstFrameMs: 0, frames: 30, audio: true });
      expect(v.files[0]!.codec).toMatch(/^avc1\.42/);
      const b = readFileSync(v.files[0]!.path);
      expect(b.toString('ascii', 4, 8)).toBe('ftyp');
      // Fragmented: movie fragments (moof) follow the moov.
      expect(b.includes('moof')).toBe(true);
      expect(b.includes('mvex')).toBe(true);
    }
    if (before !== undefined) expect(openFds()).toBe(before);
  });

  it('drops (and counts) frames before the first IDR, corrupt frames and what follows them until the next IDR; counts JPG frames; never throws', async () => {
    const dir = tempDir();
    const junk = Uint8Array.from({ length: 300 }, (_, i) => (i * 97 + 13) & 0xff);
    const jpeg = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
    // P-frames 10..14 first (no IDR yet), then the whole stream with a corrupt frame in place of frame 3.
    const aus = [...VIDEO_AUS.slice(10, 15), ...VIDEO_AUS.slice(0, 3), junk, ...VIDEO_AUS.slice(4)];
    const r = await record(dir, {
      video: [{ aus, startMs: 0 }],
      extra: (emit) => {
        emit('video', videoFrame(jpeg, 1990, { codec: 'JPG', resolution: 'SD', fps: 5 }));
        emit('share', videoFrame(Uint8Array.from([0, 0, 1]), 1990));
        // A bogus timestamp a day ahead: dropped, never written as a day-long file.
        emit('video', videoFrame(VIDEO_AUS[16]!, 86_400_000));
      },
    });
    expect(r.errors).toEqual([]);
    // 5 before the IDR; the junk; frames 4..14 (11) wait for the IDR at 15.
    expect(r.video.drops).toEqual({ beforeKeyframe: 5 + 11, corrupt: 1, backlog: 0, unavailable: 0, outOfRange: 1 });
    expect(r.video.images).toBe(1);
    expect(r.video.received).toBe(aus.length + 2);
    expect(r.video.frames).toBe(3 + 15);
    expect(r.video.dropped).toBe(18);
    expect(r.video.files[0]!.lastFrameMs).toBeCloseTo(((aus.length - 1) * 1000) / 15, 3);
    expect(r.share).toMatchObject({ received: 1, frames: 0, files: [], drops: { corrupt: 1 } });
    expect(existsSync(join(dir, 'rec-share.mp4'))).toBe(false);
    if (FFMPEG) ffmpegDecodesCleanly(r.video.files[0]!.path);
  });

  it('frames before the clock has a start are held; past 150 the clock starts at the first; no audio means silence', async () => {
    const dir = tempDir();
    const { session, emitter, close } = fakeSession('stream/v==');
    const rec = recordSession(session, { dir, name: 'rec' });
    // No FIRST_PACKET_TIMESTAMP, no audio: 160 frames (10.6 s), the fixture looped.
    for (let i = 0; i < 160; i++) emitter.emit('video', videoFrame(VIDEO_AUS[i % 30]!, (i * 1000) / 15));
    close();
    const r = await rec.done;
    expect(r.errors).toEqual([]);
    expect(r.start).toBe(T0);
    expect(r.video).toMatchObject({ received: 160, frames: 160, dropped: 0 });
    expect(r.video.files[0]).toMatchObject({ startMs: 0, firstFrameMs: 0 });
    // The MP4's audio is silence up to the last frame (the WAVs are empty: nobody spoke).
    expect(r.video.audioSilenceMs).toBe(Math.round((159 * 1000) / 15));
    expect(r.durationMs).toBe(0);
    if (FFMPEG) {
      const info = ffprobe(r.video.files[0]!.path);
      expect(Math.abs(Number(info.streams[1]!.duration) - 159 / 15)).toBeLessThan(0.05);
      ffmpegDecodesCleanly(r.video.files[0]!.path);
    }
  });

  it('a few frames and no clock until the end: the clock starts at the first frame, every frame is written', async () => {
    const dir = tempDir();
    const { session, emitter, close } = fakeSession('stream/v==');
    const rec = recordSession(session, { dir, name: 'rec' });
    for (let i = 0; i < 20; i++) emitter.emit('video', videoFrame(VIDEO_AUS[i]!, 500 + (i * 1000) / 15));
    close();
    const r = await rec.done;
    expect(r.errors).toEqual([]);
    expect(r.start).toBe(T0 + 500);
    expect(r.video).toMatchObject({ received: 20, frames: 20, dropped: 0 });
    expect(r.video.files[0]).toMatchObject({ startMs: 0, firstFrameMs: 0 });
  });

  it('property: any mix of access units, garbage, images and timestamps never throws, and every frame is accounted for', async () => {
    const frame = fc.record({
      data: fc.oneof(
        fc.integer({ min: 0, max: 29 }).map((i) => VIDEO_AUS[i]!),
        fc.integer({ min: 0, max: 29 }).map((i) => SHARE_AUS[i]!),
        fc.uint8Array({ maxLength: 200 }),
        fc.uint8Array({ maxLength: 60 }).map((b) => Uint8Array.from([0, 0, 0, 1, 0x65, ...b])), // an "IDR" of garbage
        fc.uint8Array({ maxLength: 60 }).map((b) => Uint8Array.from([0, 0, 1, 0x67, ...b, 0, 0, 1, 0x68, 0xce, 0, 0, 1, 0x65, 0x88])),
        fc.constant(Uint8Array.from([0xff, 0xd8, 0xff, 0xe0])),
      ),
      dt: fc.oneof(fc.constant(67), fc.integer({ min: -500, max: 3000 }), fc.constant(Number.NaN)),
      kind: fc.constantFrom('video' as const, 'share' as const),
      fps: fc.constantFrom(0, 5, 15, 30, 1000),
    });
    // mediabunny prints to the console when it refuses a frame (an SPS it cannot read): quiet here, restored after.
    const level = Logging.level;
    Logging.level = LogLevel.Silent;
    onTestFinished(() => {
      Logging.level = level;
    });
    await fc.assert(
      fc.asyncProperty(fc.array(frame, { maxLength: 60 }), fc.boolean(), async (frames, clock) => {
        const dir = mkdtempSync(join(tmpdir(), 'rtms-mp4-prop-'));
        try {
          const { session, emitter, close } = fakeSession('stream/v==');
          const rec = recordSession(session, { dir, name: 'p' });
          if (clock) emitter.emit('firstPacket', T0);
          let ms = 0;
          for (const [i, f] of frames.entries()) {
            ms += Number.isNaN(f.dt) ? 0 : f.dt;
            if (i % 5 === 0) emitter.emit('audio', audioFrame(Math.max(0, ms)));
            emitter.emit(f.kind, videoFrame(f.data, Number.isNaN(f.dt) ? undefined : ms, { codec: 'H264', resolution: 'SD', fps: f.fps }));
          }
          close();
          let timer: NodeJS.Timeout | undefined;
          const r = await Promise.race([
            rec.done,
            new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('recording did not finish within 10 s')), 10_000))),
          ]).finally(() => clearTimeout(timer));
          for (const v of [r.video, r.share]) {
            expect(v.received).toBe(v.frames + v.dropped + v.images);
            expect(v.files.every((f) => f.frames > 0 && existsSync(f.path))).toBe(true);
          }
          expect(r.video.received + r.share.received).toBe(frames.length);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 60 },
    );
  }, 60_000);

  it('video: false records no MP4 and does not listen for frames', async () => {
    const dir = tempDir();
    const r = await record(dir, { video: [{ aus: VIDEO_AUS, startMs: 0 }], options: { video: false } });
    expect(r.video).toMatchObject({ received: 0, files: [] });
    expect(readdirSync(dir).some((f) => f.endsWith('.mp4'))).toBe(false);
  });

  it('a missing mediabunny is one clear error and counted drops, and the audio is still recorded', async () => {
    vi.resetModules();
    vi.doMock('mediabunny', () => {
      throw new Error("Cannot find package 'mediabunny'");
    });
    onTestFinished(() => {
      vi.doUnmock('mediabunny');
      vi.resetModules();
    });
    const media = await import('../../src/media/index.js');
    const dir = tempDir();
    const { session, emitter, close } = fakeSession('stream/v==');
    const rec = media.recordSession(session, { dir, name: 'rec' });
    emitter.emit('firstPacket', T0);
    for (let ms = 0; ms < 1000; ms += 20) emitter.emit('audio', audioFrame(ms));
    VIDEO_AUS.forEach((au, i) => emitter.emit('video', videoFrame(au, (i * 1000) / 15)));
    await new Promise((r) => setTimeout(r, 50));
    VIDEO_AUS.forEach((au, i) => emitter.emit('video', videoFrame(au, 2000 + (i * 1000) / 15)));
    close();
    const r = await rec.done;
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/optional peer dependency mediabunny: npm install mediabunny/);
    expect(r.video.frames).toBe(0);
    expect(r.video.drops.unavailable).toBe(60);
    expect(r.video.dropped).toBe(60);
    expect(r.durationMs).toBeGreaterThanOrEqual(980);
  });
});

describe.skipIf(!FFMPEG)('the MP4s, read by ffprobe and ffmpeg', () => {
  it('h264 320x180 and 16 kHz FLAC audio, durations within tolerance, decoded cleanly; A/V start together within 20 ms', async () => {
    const dir = tempDir();
    const r = await record(dir, { video: [{ aus: VIDEO_AUS, startMs: 0 }, { aus: SHARE_AUS, startMs: 0, kind: 'share' }] });
    for (const f of [r.video.files[0]!, r.share.files[0]!]) {
      const info = ffprobe(f.path);
      expect(info.streams.map((s) => [s.codec_type, s.codec_name])).toEqual([['video', 'h264'], ['audio', 'flac']]);
      expect(info.streams[0]).toMatchObject({ width: 320, height: 180 });
      expect(info.streams[1]).toMatchObject({ sample_rate: '16000' });
      // 2 s of audio; 30 frames at 15 fps.
      expect(Math.abs(Number(info.format.duration) - 2)).toBeLessThan(0.1);
      expect(Math.abs(Number(info.streams[0]!.duration) - 2)).toBeLessThan(0.1);
      ffmpegDecodesCleanly(f.path);
      const pts = firstPts(f.path);
      expect(Math.abs(pts['video']! - pts['audio']!)).toBeLessThanOrEqual(0.02);
    }
  });

  it('video that starts 1.5 s after the audio (whole-ms, jittered timestamps) starts 1.5 s (within 20 ms) into the file; the audio from 0', async () => {
    const dir = tempDir();
    const r = await record(dir, { audioMs: [0, 3600], video: [{ aus: VIDEO_AUS, startMs: 1500, jitter: true }] });
    expect(r.video.retimed).toBe(0);
    const f = r.video.files[0]!;
    expect(f).toMatchObject({ startMs: 0, firstFrameMs: 1497 }); // frame 0 is 3 ms early
    const pts = firstPts(f.path);
    expect(pts['audio']).toBe(0);
    expect(Math.abs(pts['video']! - pts['audio']! - 1.5)).toBeLessThanOrEqual(0.02);
    // The audio runs 3.6 s; the video's 30 frames from 1.5 s. (ffprobe reports a fragmented track's end time as its
    // "duration" when it starts after 0, so its format duration reads 5 s here: an artifact of the reader.)
    const info = ffprobe(f.path);
    expect(Math.abs(Number(info.streams[1]!.duration) - 3.6)).toBeLessThan(0.05);
    expect(Math.abs(lastPts(f.path)['video']! - (1.5 + 29 / 15))).toBeLessThanOrEqual(0.02);
    ffmpegDecodesCleanly(f.path);
  });

  it('a minute of jittered whole-ms timestamps: every video packet within 20 ms of its frame time, no drift, audio complete', async () => {
    const dir = tempDir();
    // The fixture looped for 60 s at 15 fps (900 frames), with ±3 ms jitter, starting 250 ms after the audio.
    const aus = Array.from({ length: 900 }, (_, i) => VIDEO_AUS[i % VIDEO_AUS.length]!);
    const r = await record(dir, { audioMs: [0, 60_500], video: [{ aus, startMs: 250, jitter: true }] });
    expect(r.errors).toEqual([]);
    expect(r.video).toMatchObject({ frames: 900, dropped: 0, retimed: 0 });
    const f = r.video.files[0]!;
    const pts = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v', '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', f.path], { encoding: 'utf8' })
      .stdout.trim().split('\n').map(Number);
    expect(pts).toHaveLength(900);
    let worst = 0;
    pts.forEach((p, i) => {
      const sent = (Math.round(250 + (i * 1000) / 15) + (((i * 5) % 7) - 3)) / 1000;
      worst = Math.max(worst, Math.abs(p - sent));
    });
    expect(worst).toBeLessThanOrEqual(0.02);
    const info = ffprobe(f.path);
    expect(Math.abs(Number(info.streams[1]!.duration) - 60.5)).toBeLessThan(0.05);
    ffmpegDecodesCleanly(f.path);
  }, 60_000);

  it('videoMaxFileMs: the first IDR after that long starts the next file; the files tile the audio', async () => {
    const dir = tempDir();
    const aus = Array.from({ length: 375 }, (_, i) => VIDEO_AUS[i % VIDEO_AUS.length]!); // 25 s, an IDR a second
    const r = await record(dir, { audioMs: [0, 25_000], video: [{ aus, startMs: 0 }], options: { videoMaxFileMs: 10_000 } });
    expect(r.errors).toEqual([]);
    expect(r.video.files.map((f) => [f.startMs, f.frames])).toEqual([[0, 150], [10_000, 150], [20_000, 75]]);
    const audio = r.video.files.map((f) => Number(ffprobe(f.path).streams[1]!.duration));
    expect(audio.map((d) => Math.round(d * 10) / 10)).toEqual([10, 10, 5]);
    for (const f of r.video.files) ffmpegDecodesCleanly(f.path);
    expect(() => recordSession(fakeSession('stream/v==').session, { dir, videoMaxFileMs: 5000 })).toThrow(/videoMaxFileMs/);
  });

  it('a picture size change starts a second file at the new IDR; both decode cleanly', async () => {
    const dir = tempDir();
    const gen = spawnSync('ffmpeg', ['-nostdin', '-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=160x90:rate=15', '-t', '1', '-c:v', 'libx264', '-profile:v', 'baseline', '-x264-params', 'keyint=15:repeat-headers=1:bframes=0', '-f', 'h264', '-'], { maxBuffer: 1 << 24 });
    expect(gen.status).toBe(0);
    const small = splitAccessUnits(gen.stdout);
    expect(small.length).toBe(15);
    const r = await record(dir, { audioMs: [0, 3000], video: [{ aus: VIDEO_AUS, startMs: 0 }, { aus: small, startMs: 2000 }] });
    expect(r.errors).toEqual([]);
    expect(r.video.files.map((f) => [f.width, f.height, f.frames, f.startMs])).toEqual([[320, 180, 30, 0], [160, 90, 15, 2000]]);
    expect(r.video.files[1]!.path).toBe(join(dir, 'rec-video-2.mp4'));
    const [a, b] = r.video.files.map((f) => ffprobe(f.path));
    expect(a!.streams[0]).toMatchObject({ width: 320, height: 180 });
    expect(b!.streams[0]).toMatchObject({ width: 160, height: 90 });
    // The first file's audio ends where the second's begins: 2 s and 1 s.
    expect(Math.abs(Number(a!.streams[1]!.duration) - 2)).toBeLessThan(0.05);
    expect(Math.abs(Number(b!.streams[1]!.duration) - 1)).toBeLessThan(0.05);
    for (const f of r.video.files) ffmpegDecodesCleanly(f.path);
  });

  it("videoAudio: 'pcm' stores the audio as PCM (ipcm), 'none' writes H.264 alone", async () => {
    const pcmDir = tempDir();
    const p = await record(pcmDir, { video: [{ aus: VIDEO_AUS, startMs: 0 }], options: { videoAudio: 'pcm', sampleRate: 48000, channels: 2 } });
    expect(p.errors).toEqual([]);
    const info = ffprobe(p.video.files[0]!.path);
    expect(info.streams.map((s) => s.codec_name)).toEqual(['h264', 'pcm_s16le']);
    expect(info.streams[1]).toMatchObject({ sample_rate: '48000' });
    ffmpegDecodesCleanly(p.video.files[0]!.path);

    const dir = tempDir();
    const r = await record(dir, { video: [{ aus: VIDEO_AUS, startMs: 0 }], options: { videoAudio: 'none' } });
    expect(r.video.files[0]).toMatchObject({ audio: false, frames: 30 });
    expect(ffprobe(r.video.files[0]!.path).streams.map((s) => s.codec_name)).toEqual(['h264']);
    ffmpegDecodesCleanly(r.video.files[0]!.path);
  });
});

describe.skipIf(!FFMPEG)('the FLAC encoder, read by ffmpeg', () => {
  for (const [rate, channels] of [[8000, 1], [16000, 1], [24000, 2], [48000, 2]] as const) {
    it(`${rate} Hz, ${channels} channel(s): blocks of varied sizes (noise, tones, silence) decode bit-exactly with no error`, () => {
      const dir = tempDir();
      // Deterministic noise, a tone and silence, in blocks of 1 to 4800 sample frames, from a sample number that
      // takes the 6-byte coding (ffmpeg's raw FLAC reader stops at 2^31: 12 h at 48 kHz, so files stay below it).
      let seed = 12345;
      const rand = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff) * 2 - 1;
      const sizes = [1, 4800, 17, 1600, 0x7f, 4096, 333, 2, 4800];
      const first = 2 ** 31 - 20_000;
      const frames: Uint8Array[] = [];
      const pcmAll: number[] = [];
      let n = first;
      sizes.forEach((size, b) => {
        const pcm = new Int16Array(size * channels);
        for (let i = 0; i < pcm.length; i++) pcm[i] = b % 3 === 0 ? Math.round(rand() * 32767) : b % 3 === 1 ? Math.round(9000 * Math.sin(i / 7)) : 0;
        if (b === 1) pcm[0] = -32768;
        pcmAll.push(...pcm);
        frames.push(flacFrame(new Uint8Array(pcm.buffer), rate, channels, n));
        n += size;
      });
      // A FLAC file: the description (fLaC + STREAMINFO), then the frames.
      const file = join(dir, 'x.flac');
      writeFileSync(file, Buffer.concat([flacDescription(rate, channels, 4800), ...frames]));
      // crccheck: ffmpeg verifies every frame's CRC-16 (it does not by default).
      const r = spawnSync('ffmpeg', ['-nostdin', '-v', 'error', '-err_detect', 'crccheck', '-i', file, '-f', 's16le', '-'], { maxBuffer: 1 << 24 });
      expect(r.stderr.toString()).toBe('');
      const decoded = new Int16Array(Uint8Array.prototype.slice.call(r.stdout).buffer);
      expect(decoded.length).toBe(pcmAll.length);
      expect(Buffer.compare(Buffer.from(decoded.buffer), Buffer.from(Int16Array.from(pcmAll).buffer))).toBe(0);
      const info = JSON.parse(spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,sample_rate,channels', '-of', 'json', file], { encoding: 'utf8' }).stdout) as Probe & { streams: { channels?: number }[] };
      expect(info.streams[0]).toMatchObject({ codec_name: 'flac', sample_rate: String(rate), channels });
    });
  }

  it('a silent block is one constant value per channel (a few bytes), a corrupted byte fails its CRC', () => {
    const silent = flacFrame(new Uint8Array(1600 * 2 * 2), 16000, 2, 0);
    expect(silent.byteLength).toBeLessThan(20);
    const dir = tempDir();
    const good = flacFrame(new Uint8Array(Int16Array.from({ length: 320 }, (_, i) => i * 50).buffer), 16000, 1, 0);
    const bad = Uint8Array.from(good);
    bad[40] = (bad[40] ?? 0) ^ 0x10;
    const file = join(dir, 'bad.flac');
    writeFileSync(file, Buffer.concat([flacDescription(16000, 1, 320), bad]));
    const check = (f: string): string => spawnSync('ffmpeg', ['-nostdin', '-v', 'error', '-err_detect', 'crccheck', '-i', f, '-f', 's16le', '-'], { encoding: 'utf8' }).stderr;
    expect(check(file)).toMatch(/crc/i);
    writeFileSync(file, Buffer.concat([flacDescription(16000, 1, 320), good]));
    expect(check(file)).toBe('');
  });
});
