/**
 * recordSession (rtms-client/media) keeps the JPG and PNG frames of a simulated meeting over loopback: the client
 * negotiates JPG video (5 fps) and PNG screen share (1 fps), the simulator sends real images (made in the test:
 * PNGs built with zlib, JPEGs from a 16x16 ffmpeg JPEG with a distinct comment segment each) and L16 audio with
 * matching timestamps, plus a frame that is no image. Checked: one file per image, named in time order by its
 * offset on the WAVs' clock (the frame's timestamp minus the recording's start), bytes identical to what was sent,
 * the JSON-lines index parses and matches the files, the bad frame counted as corrupt and skipped, every socket,
 * timer and file descriptor released after a normal end, after `stop()` mid-meeting and after a file error.
 * A recording process killed mid-meeting (SIGKILL) leaves every indexed image complete. Then ffprobe and ffmpeg
 * decode an image of each kind; and examples/recorder/record-meeting.ts --stills, run as a
 * user runs it against the simulator's scripted meeting, prints the image directories and indexes it wrote.
 *
 * ffmpeg/ffprobe: outside CI the decode check skips with a loud message when they are not on PATH; in CI
 * (CI=true) their absence fails the file at collection time (.ci/run installs Debian's ffmpeg).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { RtmsSession } from '../../src/index.js';
import { StopReason } from '../../src/index.js';
import { recordSession, sniffImage, type RecordOptions, type StillIndexLine, type Recording, type RecordingResult } from '../../src/media/index.js';
import { expectNoLeaks, ourResources, rig, until } from '../helpers.js';
import { ffmpegAvailable, jpeg, openFds, png, runTsChild, tempDir, TINY_JPEG } from '../media-helpers.js';

const FFMPEG = ffmpegAvailable('the check that the recorded images decode');

/** Frame `i` of the killed recording: the tiny JPEG with a 60 kB comment that names it. */
function bigJpeg(i: number): Buffer {
  return jpeg(`frame ${i} `.padEnd(60_000, '.'));
}

function count(dir: string): number {
  return existsSync(dir) ? readdirSync(dir).length : 0;
}

function readIndex(path: string): StillIndexLine[] {
  return readFileSync(path, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as StillIndexLine);
}

interface Sent {
  kind: 'video' | 'share';
  ms: number;
  data: Buffer;
}

interface Meeting {
  result: RecordingResult;
  /** The timestamp of the first packet (the audio at 0 ms). */
  t0: number;
  /** The images sent, by kind, in sending order. */
  sent: Sent[];
}

/**
 * Records a simulated meeting: 2 s of L16 audio from t0; JPG video every 200 ms from 100 ms (whole-ms timestamps,
 * jittered) with a non-image at 1050 ms; PNG share at 0, 1000 and 1900 ms. `midway` runs after the first second.
 */
async function recordMeeting(dir: string, options: Partial<RecordOptions> = {}, midway?: (rec: Recording) => Promise<void>): Promise<Meeting> {
  const baseline = ourResources();
  const fds = openFds();
  const { sim, client } = await rig({
    media: ['audio', 'video', 'share'],
    mediaParams: { audio: { dataOption: 'mixed' }, video: { codec: 'JPG', resolution: 'SD', fps: 5 }, share: { codec: 'PNG', resolution: 'FHD', fps: 1 } },
  });
  const stream = sim.createStream({ product: 'meeting' });
  let rec: Recording | undefined;
  let frames = 0;
  client.on('session', (s) => {
    rec = recordSession(s, { dir, name: 'meeting', ...options });
    // After the recorder's listeners, which take each frame synchronously: when this counts a frame, it is queued
    // for the disk (written off the event loop; `done` waits for the queue).
    s.on('video', () => frames++);
    s.on('share', () => frames++);
  });
  const res = await client.handleWebhook(stream.webhook('started'));
  const session = res.session as RtmsSession;
  await stream.ready();
  await until(() => session.state === 'streaming');
  const t0 = Date.now() - 10_000;
  const sent: Sent[] = [];
  const events: { ms: number; send: () => boolean }[] = [];
  for (let ms = 0; ms < 2000; ms += 20) {
    const pcm = new Int16Array(320).fill(ms);
    events.push({ ms, send: () => stream.sendAudio({ data: new Uint8Array(pcm.buffer), timestamp: t0 + ms }) });
  }
  for (let i = 0; i < 9; i++) {
    const ms = 100 + i * 200 + ((i * 3) % 5) - 2;
    const data = jpeg(`video frame ${i}`);
    sent.push({ kind: 'video', ms, data });
    events.push({ ms, send: () => stream.sendVideo({ data, userId: 16778240, userName: 'Ada Lovelace', timestamp: t0 + ms }) });
  }
  const junk = Buffer.from('not an image, though JPG was negotiated');
  events.push({ ms: 1050, send: () => stream.sendVideo({ data: junk, userId: 16778240, userName: 'Ada Lovelace', timestamp: t0 + 1050 }) });
  for (const [i, ms] of [0, 1000, 1900].entries()) {
    const data = png(40 * i, 120, 200, 8, 6);
    sent.push({ kind: 'share', ms, data });
    events.push({ ms, send: () => stream.sendShare({ data, userId: 16778250, userName: 'Grace Hopper', timestamp: t0 + ms }) });
  }
  events.sort((a, b) => a.ms - b.ms);
  let calledMidway = false;
  for (const [i, e] of events.entries()) {
    if (!calledMidway && e.ms >= 1000 && midway !== undefined) {
      calledMidway = true;
      await until(() => (rec?.timeline.stats.placed ?? 0) >= 50, 10_000, 'the first second placed');
      await midway(rec as Recording);
    }
    expect(e.send()).toBe(true);
    if (i % 20 === 19) await new Promise((r) => setTimeout(r, 5));
  }
  if (midway === undefined) {
    await until(() => (rec?.timeline.stats.placed ?? 0) >= 100, 10_000, 'all audio frames placed');
    await until(() => frames >= 13, 10_000, 'every video and share frame handled');
  }
  await client.handleWebhook(stream.webhook('stopped', { stopReason: StopReason.MEETING_ENDED }));
  await session.closed();
  const result = await (rec as Recording).done;
  await client.close();
  await sim.close();
  await expectNoLeaks(baseline);
  if (fds !== undefined) expect(openFds()).toBe(fds);
  return { result, t0, sent };
}

describe('recording the JPG and PNG frames of a simulated meeting', () => {
  it('one file per image, named in time order by its offset on the WAVs\' clock, bytes as sent, an index that matches; a non-image counted corrupt; nothing left open', async () => {
    const dir = tempDir();
    const { result: r, t0, sent } = await recordMeeting(dir);
    expect(r.errors).toEqual([]);
    expect(r.start).toBe(t0); // FIRST_PACKET_TIMESTAMP: the first packet, the audio at 0 ms
    expect(r.durationMs).toBeGreaterThanOrEqual(2000);
    expect(r.video).toMatchObject({ received: 10, images: 9, frames: 0, dropped: 1, drops: { corrupt: 1 }, files: [] });
    expect(r.share).toMatchObject({ received: 3, images: 3, frames: 0, dropped: 0, files: [] });
    for (const kind of ['video', 'share'] as const) {
      const mine = sent.filter((s) => s.kind === kind);
      const stills = r[kind].stills;
      expect(stills).toMatchObject({
        dir: join(dir, `meeting-${kind}-frames`),
        index: join(dir, `meeting-${kind}-frames.jsonl`),
        frames: mine.length,
        failed: 0,
        bytes: mine.reduce((n, s) => n + s.data.length, 0),
        firstFrameMs: mine[0]!.ms,
        lastFrameMs: mine.at(-1)!.ms,
      });
      const lines = readIndex(stills!.index);
      const names = readdirSync(stills!.dir).sort();
      // Sent in time order, so the index, the sorted names and the frames sent line up one to one.
      expect(lines.map((l) => l.file)).toEqual(names.map((n) => `meeting-${kind}-frames/${n}`));
      expect(names).toEqual(mine.map((s) => `${String(s.ms).padStart(9, '0')}.${kind === 'video' ? 'jpg' : 'png'}`));
      for (const [i, l] of lines.entries()) {
        const s = mine[i]!;
        expect(l).toEqual({
          t: s.ms,
          timestamp: t0 + s.ms,
          userId: kind === 'video' ? 16778240 : 16778250,
          userName: kind === 'video' ? 'Ada Lovelace' : 'Grace Hopper',
          file: `meeting-${kind}-frames/${names[i]}`,
          bytes: s.data.length,
        });
        // On the WAVs' clock: Zoom's timestamp minus the recording's start.
        expect(l.t).toBe(l.timestamp! - r.start!);
        const bytes = readFileSync(join(dir, l.file));
        expect(bytes.equals(s.data)).toBe(true);
        expect(sniffImage(bytes)).toBe(kind === 'video' ? 'jpg' : 'png');
      }
    }
    expect(readdirSync(dir).filter((f) => f.endsWith('.mp4'))).toEqual([]);
  });

  it('stop() mid-meeting: images up to then are kept and indexed, none after; everything released', async () => {
    const dir = tempDir();
    let stopped: RecordingResult | undefined;
    const { result: r } = await recordMeeting(dir, {}, async (rec) => {
      await until(() => count(join(dir, 'meeting-video-frames')) >= 4, 10_000, 'the first images');
      stopped = await rec.stop();
    });
    expect(r).toBe(stopped);
    expect(r.errors).toEqual([]);
    const frames = r.video.stills!.frames;
    expect(frames).toBeGreaterThanOrEqual(4);
    expect(frames).toBeLessThan(9);
    expect(readIndex(r.video.stills!.index)).toHaveLength(frames);
    expect(readdirSync(r.video.stills!.dir)).toHaveLength(frames);
  });

  it('a file error (a file where the frames directory should be): listed in errors, the images counted as failed, audio and share recorded; nothing thrown or left open', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'meeting-video-frames'), 'in the way');
    const { result: r } = await recordMeeting(dir);
    expect(r.errors[0]).toMatch(/^cannot create .*meeting-video-frames: /);
    // One message for the directory, and the total when more than one image was lost.
    expect(r.errors.slice(1)).toEqual(r.video.stills!.failed > 1 ? [expect.stringMatching(/meeting-video-frames: \d+ images not written \(the first error is listed\)/)] : []);
    expect(r.video.stills).toMatchObject({ frames: 0, failed: 9 });
    expect(r.share.stills).toMatchObject({ frames: 3, failed: 0 });
    expect(r.durationMs).toBeGreaterThanOrEqual(2000);
  });

  it('stills: false: the images are counted, no directory or index is written', async () => {
    const dir = tempDir();
    const { result: r } = await recordMeeting(dir, { stills: false });
    expect(r.errors).toEqual([]);
    expect(r.video).toMatchObject({ received: 10, images: 9, stills: undefined });
    expect(r.share).toMatchObject({ received: 3, images: 3, stills: undefined });
    expect(readdirSync(dir).filter((f) => f.includes('frames'))).toEqual([]);
  });
});

describe.skipIf(!FFMPEG)('the recorded images decode (ffprobe, ffmpeg)', () => {
  it('a JPG of the video and a PNG of the share: ffprobe reads mjpeg 16x16 and png 8x6, ffmpeg decodes them without a message', async () => {
    const dir = tempDir();
    const { result: r } = await recordMeeting(dir);
    const checks = [
      [r.video.stills!, 'mjpeg', 16, 16],
      [r.share.stills!, 'png', 8, 6],
    ] as const;
    for (const [stills, codec, width, height] of checks) {
      const file = join(dir, readIndex(stills.index)[1]!.file);
      const probe = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,width,height', '-of', 'json', file], { encoding: 'utf8' });
      expect(probe.stderr).toBe('');
      expect((JSON.parse(probe.stdout) as { streams: unknown[] }).streams).toEqual([{ codec_name: codec, width, height }]);
      const decode = spawnSync('ffmpeg', ['-nostdin', '-v', 'error', '-i', file, '-f', 'null', '-'], { encoding: 'utf8' });
      expect({ output: decode.stdout + decode.stderr, status: decode.status }).toEqual({ output: '', status: 0 });
    }
  });
});

describe('examples/recorder/record-meeting.ts --simulate --stills', () => {
  it('records JPG video and PNG share as images, prints their directories and indexes, and every index line names its file', () => {
    const dir = tempDir();
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'examples/recorder/record-meeting.ts', '--simulate', '--stills'], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, DURATION_MS: '2000', RECORDINGS_DIR: dir },
    });
    expect(out).not.toMatch(/error:/);
    const [meeting] = readdirSync(dir);
    const base = join(dir, meeting!);
    for (const [kind, ext] of [['video', '.jpg'], ['share', '.png']] as const) {
      const framesDir = readdirSync(base).find((f) => f.endsWith(`-${kind}-frames`));
      expect(framesDir, kind).toBeDefined();
      const names = readdirSync(join(base, framesDir!)).sort();
      expect(names.length).toBeGreaterThan(0);
      expect(names.every((n) => /^\d{9}(_\d{3})?\.(jpg|png)$/.test(n) && n.endsWith(ext))).toBe(true);
      expect(out).toContain(`${join(base, framesDir!)}/ (${kind}, ${names.length} images), index ${join(base, `${framesDir!}.jsonl`)}`);
      const lines = readIndex(join(base, `${framesDir!}.jsonl`));
      expect(lines.map((l) => l.file).sort()).toEqual(names.map((n) => `${framesDir!}/${n}`));
      for (const l of lines) expect(readFileSync(join(base, l.file)).length).toBe(l.bytes);
    }
  });
});

/**
 * A child process that records a stand-in session fed JPG frames (60 kB each, 200 ms apart) as fast as it can,
 * forever: five frames a timer tick, more than the disk takes, so the images' queue is always full.
 */
const CHILD = (mediaIndex: string, dir: string): string => `
import { EventEmitter } from 'node:events';
import { recordSession } from ${JSON.stringify(mediaIndex)};
const TINY = Buffer.from(${JSON.stringify(TINY_JPEG.toString('base64'))}, 'base64');
function jpeg(tag) {
  const text = Buffer.from(tag, 'latin1');
  const com = Buffer.alloc(4);
  com.writeUInt16BE(0xfffe, 0);
  com.writeUInt16BE(text.length + 2, 2);
  return Buffer.concat([TINY.subarray(0, 2), com, text, TINY.subarray(2)]);
}
const session = Object.assign(new EventEmitter(), { id: 'crash', closed: () => new Promise(() => {}) });
recordSession(session, { dir: ${JSON.stringify(dir)}, name: 'crash' });
const T0 = 1_700_000_000_000;
session.emit('firstPacket', T0);
const format = { codec: 'JPG', resolution: 'SD', fps: 5 };
let i = 0;
function step() {
  for (let k = 0; k < 5; k++, i++) {
    session.emit('video', { data: jpeg(('frame ' + i + ' ').padEnd(60000, '.')), userId: 1, userName: 'Ada', timestamp: T0 + i * 200, format, content: {} });
  }
  setTimeout(step, 1);
}
step();
`;

describe('a recording process killed mid-meeting', () => {
  it('leaves every image its index names complete, byte for byte, and at most one image not yet indexed', async () => {
    const dir = tempDir();
    const script = join(dir, 'child.mts');
    const root = join(import.meta.dirname, '..', '..');
    writeFileSync(script, CHILD(pathToFileURL(join(root, 'src', 'media', 'index.ts')).href, dir));
    const { child, stderr, exited } = runTsChild(script, root);
    const index = join(dir, 'crash-video-frames.jsonl');
    const lineCount = (): number => (existsSync(index) ? readFileSync(index, 'utf8').split('\n').length - 1 : 0);
    await until(() => lineCount() >= 200 || child.exitCode !== null, 30_000, 'the child to write 200 images');
    expect(stderr()).toBe('');
    child.kill('SIGKILL');
    await exited;

    const text = readFileSync(index, 'utf8');
    const whole = text.slice(0, text.lastIndexOf('\n') + 1); // a line cut by the kill (not seen so far) is not a promise
    const lines = whole.trimEnd().split('\n').map((l) => JSON.parse(l) as StillIndexLine);
    expect(lines.length).toBeGreaterThanOrEqual(200);
    // The child emits faster than any disk writes, so the writer's bounded queue drops frames (counted, never
    // written): the lines skip frames but keep their order, and each names frame t / 200 complete.
    let prev = -1;
    for (const l of lines) {
      expect(l.t % 200).toBe(0);
      expect(l.t).toBeGreaterThan(prev);
      prev = l.t;
      const bytes = readFileSync(join(dir, l.file));
      expect(bytes.length).toBe(l.bytes);
      expect(bytes.equals(bigJpeg(l.t / 200))).toBe(true);
    }
    const files = readdirSync(join(dir, 'crash-video-frames'));
    expect(files.length - lines.length).toBeGreaterThanOrEqual(0);
    expect(files.length - lines.length).toBeLessThanOrEqual(1);
  });
});
