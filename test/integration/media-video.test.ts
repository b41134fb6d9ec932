/**
 * recordSession (rtms-client/media) records H.264 video and screen share of a simulated meeting over loopback into
 * fragmented MP4, muxed with the meeting's audio: the simulator sends the committed fixtures' access units
 * (`stream.sendVideo` / `sendShare`) and L16 audio with matching timestamps. An independent reader checks the
 * files: ffprobe reports h264 320x180 and FLAC audio of the expected duration, `ffmpeg -v error -i <file> -f null -`
 * prints nothing, and the first video and audio timestamps agree within 20 ms, or are 1.5 s apart when the video
 * starts 1.5 s after the audio. Last, a recording process killed mid-meeting (SIGKILL) leaves an MP4 that ffprobe
 * and ffmpeg still read.
 *
 * ffmpeg/ffprobe: outside CI these checks skip with a loud message when ffmpeg is not on PATH; in CI (CI=true)
 * its absence fails the file at collection time (.ci/run installs Debian's ffmpeg).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { RtmsSession } from '../../src/index.js';
import { StopReason } from '../../src/index.js';
import { recordSession, splitAccessUnits, type Recording } from '../../src/media/index.js';
import { rig, until } from '../helpers.js';
import { ffmpegAvailable, runTsChild, tempDir } from '../media-helpers.js';

const FFMPEG = ffmpegAvailable('the independent checks of the MP4 recordings');

const ROOT = join(import.meta.dirname, '..', '..');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'media');
const VIDEO_AUS = splitAccessUnits(readFileSync(join(FIXTURES, 'video.h264')));
const SHARE_AUS = splitAccessUnits(readFileSync(join(FIXTURES, 'share.h264')));

/** 20 ms of a 440 Hz tone, L16 16 kHz mono. */
function tone(ms: number): Uint8Array {
  const pcm = new Int16Array(320);
  const first = (ms * 16000) / 1000;
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(6000 * Math.sin((2 * Math.PI * 440 * (first + i)) / 16000));
  return new Uint8Array(pcm.buffer);
}

interface Probe {
  streams: { index: number; codec_type: string; codec_name: string; width?: number; height?: number; sample_rate?: string; duration?: string }[];
  format: { duration?: string };
}
function ffprobe(path: string): Probe {
  const r = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=index,codec_type,codec_name,width,height,sample_rate,duration:format=duration', '-of', 'json', path], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as Probe;
}
/** Each stream's first and last packet pts, seconds, and packet count, by codec type. */
function packets(path: string): Record<string, { first: number; last: number; count: number }> {
  const r = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'packet=stream_index,pts_time', '-of', 'csv=p=0', path], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const types = Object.fromEntries(ffprobe(path).streams.map((s) => [s.index, s.codec_type]));
  const out: Record<string, { first: number; last: number; count: number }> = {};
  for (const line of r.stdout.trim().split('\n')) {
    const [idx, pts] = line.split(',');
    const type = types[Number(idx)];
    if (type === undefined || pts === undefined) continue;
    const t = Number(pts);
    const o = (out[type] ??= { first: t, last: t, count: 0 });
    o.first = Math.min(o.first, t);
    o.last = Math.max(o.last, t);
    o.count++;
  }
  return out;
}
function ffmpegErrors(path: string): { output: string; status: number | null } {
  const r = spawnSync('ffmpeg', ['-nostdin', '-v', 'error', '-i', path, '-f', 'null', '-'], { encoding: 'utf8' });
  return { output: r.stdout + r.stderr, status: r.status };
}

/** Records a simulated meeting while the simulator sends audio from 0 to `audioMs` and video and share from `videoStartMs`. */
async function recordMeeting(dir: string, audioMs: number, videoStartMs: number): Promise<Awaited<Recording['done']>> {
  const { sim, client } = await rig({
    media: ['audio', 'video', 'share'],
    mediaParams: { audio: { dataOption: 'mixed' }, video: { codec: 'H264', resolution: 'SD', fps: 15 }, share: { codec: 'H264', resolution: 'SD', fps: 15 } },
  });
  const stream = sim.createStream({ product: 'meeting' });
  let rec: Recording | undefined;
  client.on('session', (s) => {
    rec = recordSession(s, { dir, name: 'meeting' });
  });
  const res = await client.handleWebhook(stream.webhook('started'));
  const session = res.session as RtmsSession;
  await stream.ready();
  await until(() => session.state === 'streaming');
  const t0 = Date.now() - 10_000;
  const events: { ms: number; send: () => boolean }[] = [];
  for (let ms = 0; ms < audioMs; ms += 20) events.push({ ms, send: () => stream.sendAudio({ data: tone(ms), timestamp: t0 + ms }) });
  for (const [aus, send] of [[VIDEO_AUS, (v: Parameters<typeof stream.sendVideo>[0]) => stream.sendVideo(v)], [SHARE_AUS, (v: Parameters<typeof stream.sendShare>[0]) => stream.sendShare(v)]] as const) {
    aus.forEach((data, i) => {
      const ms = videoStartMs + Math.round((i * 1000) / 15);
      events.push({ ms, send: () => send({ data, userId: 16778240, userName: 'Ada Lovelace', timestamp: t0 + ms }) });
    });
  }
  events.sort((a, b) => a.ms - b.ms);
  for (const [i, e] of events.entries()) {
    expect(e.send()).toBe(true);
    if (i % 20 === 19) await new Promise((r) => setTimeout(r, 5));
  }
  const received = (): number => rec?.timeline.stats.placed ?? 0;
  await until(() => received() >= audioMs / 20, 10_000, 'all audio frames placed');
  await new Promise((r) => setTimeout(r, 100));
  await client.handleWebhook(stream.webhook('stopped', { stopReason: StopReason.MEETING_ENDED }));
  await session.closed();
  return (rec as Recording).done;
}

describe.skipIf(!FFMPEG)('recording a simulated meeting with H.264 video and screen share', () => {
  it('video and share start with the audio: h264 320x180 + FLAC, 2 s, decoded cleanly, first video and audio pts within 20 ms', async () => {
    const dir = tempDir();
    const r = await recordMeeting(dir, 2000, 0);
    expect(r.errors).toEqual([]);
    for (const v of [r.video, r.share]) {
      expect(v).toMatchObject({ received: 30, frames: 30, dropped: 0 });
      expect(v.files).toHaveLength(1);
      const f = v.files[0]!;
      expect(f).toMatchObject({ width: 320, height: 180, frames: 30, startMs: 0, audio: true });
      const info = ffprobe(f.path);
      expect(info.streams.map((s) => [s.codec_type, s.codec_name])).toEqual([['video', 'h264'], ['audio', 'flac']]);
      expect(info.streams[0]).toMatchObject({ width: 320, height: 180 });
      expect(Math.abs(Number(info.format.duration) - 2)).toBeLessThan(0.1);
      expect(ffmpegErrors(f.path)).toEqual({ output: '', status: 0 });
      const p = packets(f.path);
      expect(p['video']!.count).toBe(30);
      expect(Math.abs(p['video']!.first - p['audio']!.first)).toBeLessThanOrEqual(0.02);
      // The audio in the MP4 is the mixed WAV's, sample for sample (FLAC is lossless).
      const wav = readFileSync(r.mixed).subarray(44);
      const mp4Audio = spawnSync('ffmpeg', ['-nostdin', '-v', 'error', '-i', f.path, '-map', '0:a', '-f', 's16le', '-'], { maxBuffer: 1 << 24 }).stdout;
      expect(mp4Audio.length).toBe(wav.length);
      expect(Buffer.compare(mp4Audio, wav)).toBe(0);
    }
  });

  it('video that starts 1.5 s after the audio: its first pts is 1.5 s (within 20 ms) after the audio\'s', async () => {
    const dir = tempDir();
    const r = await recordMeeting(dir, 3600, 1500);
    expect(r.errors).toEqual([]);
    const f = r.video.files[0]!;
    expect(f.firstFrameMs).toBeGreaterThanOrEqual(1480);
    expect(f.firstFrameMs).toBeLessThanOrEqual(1520);
    const p = packets(f.path);
    expect(p['audio']!.first).toBe(0);
    expect(Math.abs(p['video']!.first - p['audio']!.first - 1.5)).toBeLessThanOrEqual(0.02);
    expect(Math.abs(p['video']!.last - (1.5 + 29 / 15))).toBeLessThanOrEqual(0.02);
    expect(ffmpegErrors(f.path)).toEqual({ output: '', status: 0 });
  });
});

/** A child process that records a stand-in session fed with the fixture video (looped) and a tone, as fast as it can, forever. */
const CHILD = (mediaIndex: string, videoFile: string, dir: string): string => `
import { readFileSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import { recordSession, splitAccessUnits } from ${JSON.stringify(mediaIndex)};
const aus = splitAccessUnits(readFileSync(${JSON.stringify(videoFile)}));
const session = Object.assign(new EventEmitter(), { id: 'crash', closed: () => new Promise(() => {}) });
recordSession(session, { dir: ${JSON.stringify(dir)}, name: 'crash' });
const T0 = 1_700_000_000_000;
session.emit('firstPacket', T0);
const format = { contentType: 'raw', codec: 'L16', sampleRate: 16000, channels: 1, sendRate: 20, dataOption: 'mixed' };
const vformat = { codec: 'H264', resolution: 'SD', fps: 15 };
let frame = 0;
let audioMs = 0;
const pcm = new Int16Array(320).map((_, i) => Math.round(5000 * Math.sin(i / 5)));
function step() {
  const ms = Math.round((frame * 1000) / 15);
  while (audioMs <= ms) {
    session.emit('audio', { data: Buffer.from(pcm.buffer), userId: 0, timestamp: T0 + audioMs, format, content: {} });
    audioMs += 20;
  }
  session.emit('video', { data: Buffer.from(aus[frame % aus.length]), userId: 1, timestamp: T0 + ms, format: vformat, content: {} });
  frame++;
  setTimeout(step, 2);
}
step();
`;

describe.skipIf(!FFMPEG)('a recording process killed mid-meeting', () => {
  it('leaves a fragmented MP4 that ffprobe reads (h264 + FLAC) and ffmpeg decodes up to the last complete fragment', async () => {
    const dir = tempDir();
    const script = join(dir, 'child.mts');
    writeFileSync(script, CHILD(pathToFileURL(join(ROOT, 'src', 'media', 'index.ts')).href, join(FIXTURES, 'video.h264'), dir));
    const { child, stderr, exited } = runTsChild(script, ROOT);
    const mp4 = join(dir, 'crash-video.mp4');
    const size = (): number => {
      try {
        return statSync(mp4).size;
      } catch {
        return 0;
      }
    };
    // Several fragments are on disk (one per key-frame interval: a second of video, about 14 kB, and about 32 kB of audio as verbatim FLAC).
    await until(() => size() > 250_000 || child.exitCode !== null, 30_000, 'the child to write several fragments');
    expect(stderr()).toBe('');
    child.kill('SIGKILL');
    await exited;

    const info = ffprobe(mp4);
    expect(info.streams.map((s) => [s.codec_type, s.codec_name])).toEqual([['video', 'h264'], ['audio', 'flac']]);
    expect(info.streams[0]).toMatchObject({ width: 320, height: 180 });
    const p = packets(mp4);
    expect(p['video']!.count).toBeGreaterThanOrEqual(60);
    expect(p['video']!.last).toBeGreaterThan(3.9);
    expect(p['audio']!.last).toBeGreaterThan(3.9);
    const decoded = ffmpegErrors(mp4);
    expect(decoded.status).toBe(0);
    console.info(`killed recording: ${size()} bytes, ${p['video']!.count} video packets to ${p['video']!.last.toFixed(2)} s; ffmpeg -v error said: ${JSON.stringify(decoded.output)}`);
  });
});
