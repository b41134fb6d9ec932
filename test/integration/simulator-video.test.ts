/**
 * The simulator's video and screen share follow the media handshake: the codec and fps it settled (answered in
 * DATA_HAND_SHAKE_RESP, §3.3/§3.4), JPG and PNG as one whole still image a frame, H.264 as the fixture's access
 * units in order on the negotiated fps grid, each kind at its own fps. Over loopback, with raw clients and the SDK.
 *
 * ffprobe/ffmpeg: outside CI the decode of the received images skips with a loud message when they are not on
 * PATH; in CI (CI=true) their absence fails the file at collection time.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { RtmsClientOptions, VideoFrame } from '../../src/index.js';
import { RtmsSimulator, type SimulatedStream } from '../../src/testing/index.js';
import { h264AccessUnits, isKeyFrame } from '../../src/testing/media-fixtures-packets.js';
import { settleVideo } from '../../src/testing/sim-server.js';
import { CREDS, recordingLogger, rig, until } from '../helpers.js';
import { fixture } from '../media-fixtures.js';
import { RawClient, content, type Msg, type RawSocket } from './simulator-raw.js';
import { ffmpegAvailable } from '../media-helpers.js';

const FFPROBE = ffmpegAvailable('decoding the simulator JPG/PNG frames');

const ADA = { userId: 16778240, userName: 'Ada Lovelace', text: 'not used' };
const JPGS = [1, 2, 3, 4, 5].map((i) => fixture(`image-${i}.jpg`));
const PNGS = [1, 2, 3].map((i) => fixture(`image-${i}.png`));
const SOI = 'ffd8';
const EOI = 'ffd9';
const PNG_SIGNATURE = '89504e470d0a1a0a';

async function sim(): Promise<RtmsSimulator> {
  const s = await RtmsSimulator.start({ ...CREDS, keepAliveIntervalMs: 0 });
  onTestFinished(() => s.close());
  return s;
}

/** A media frame as a raw socket received it, and when (Date.now() on arrival). */
interface Arrived {
  data: Buffer;
  timestamp: number;
  at: number;
}

/** Records the frames of `msgType` arriving on `socket` from now on. */
function record(socket: RawSocket, msgType: number): Arrived[] {
  const out: Arrived[] = [];
  socket.ws.on('message', (raw: Buffer) => {
    const m = JSON.parse(raw.toString()) as Msg;
    if (m['msg_type'] !== msgType) return;
    const c = content(m);
    out.push({ data: Buffer.from(c['data'] as string, 'base64'), timestamp: c['timestamp'] as number, at: Date.now() });
  });
  return out;
}

/** Timestamps exactly on the grid `t0 + round(k × 1000 / fps)`, and arrivals about 1000/fps ms apart on average. */
function expectGrid(frames: readonly { timestamp: number; at?: number }[], fps: number): void {
  const t0 = frames[0]!.timestamp;
  expect(frames.map((f) => f.timestamp - t0)).toEqual(frames.map((_, k) => Math.round((k * 1000) / fps)));
  const at = frames.map((f) => f.at).filter((a): a is number => a !== undefined);
  if (at.length >= 3) {
    const mean = (at[at.length - 1]! - at[0]!) / (at.length - 1);
    expect(mean).toBeGreaterThan((1000 / fps) * 0.8);
    expect(mean).toBeLessThan((1000 / fps) * 1.25);
  }
}

/** NAL unit types of an Annex B access unit, in order. */
function nalTypes(unit: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i + 3 < unit.length; i++) {
    if (unit[i] === 0 && unit[i + 1] === 0 && unit[i + 2] === 1) {
      out.push(unit[i + 3]! & 0x1f);
      i += 2;
    }
  }
  return out;
}


/**
 * The SDK with video and share asked for with `mediaParams`, through a simulated meeting of `durationMs`: the
 * stream, and every frame of each kind with the time it arrived.
 */
async function sdkMeeting(mediaParams: NonNullable<RtmsClientOptions['mediaParams']>, durationMs: number) {
  const r = await rig({ media: ['video', 'share'], mediaParams });
  const stream = r.sim.createStream();
  const session = (await r.client.handleWebhook(stream.webhook('started'))).session!;
  const got = { video: [] as (VideoFrame & { at: number })[], share: [] as (VideoFrame & { at: number })[] };
  session.on('video', (f) => got.video.push({ ...f, at: Date.now() }));
  session.on('share', (f) => got.share.push({ ...f, at: Date.now() }));
  await stream.ready();
  await until(() => session.state === 'streaming');
  await stream.playMeeting({ durationMs, lines: [ADA], transcriptEveryMs: 60_000 });
  return { stream, session, got };
}
describe('JPG and PNG: one whole still image a frame, at the negotiated fps', () => {
  it('raw client, video JPG at 2 fps and share PNG at 1 fps on their own sockets: the fixture images in turn, each kind on its own grid', async () => {
    const s = await sim();
    const stream = s.createStream();
    const app = new RawClient(stream);
    await app.connectSignaling();
    const v = await app.connectMedia({ endpoint: 'video', mediaType: 2, mediaParams: { video: { codec: 5, fps: 2, resolution: 2 } } });
    const d = await app.connectMedia({ endpoint: 'deskshare', mediaType: 4, mediaParams: { deskshare: { codec: 6, fps: 1 } } });
    expect(v.answer).toMatchObject({ status_code: 0, media_params: { video: { content_type: 3, codec: 5, fps: 2, resolution: 2 } } });
    expect(d.answer).toMatchObject({ status_code: 0, media_params: { deskshare: { content_type: 3, codec: 6, fps: 1 } } });
    app.ready();
    await stream.ready();
    const video = record(v.socket, 15);
    const share = record(d.socket, 16);
    await stream.playMeeting({ durationMs: 2_100, lines: [ADA], audioFrameMs: 0, transcriptEveryMs: 60_000 });
    await until(() => video.length >= 4 && share.length >= 3, 2_000, 'frames');
    // Frames at 0, 500, ..., 2000 ms (5) and at 0, 1000, 2000 ms (3); a slow machine may lose the last.
    expect(video.length).toBeGreaterThanOrEqual(4);
    expect(video.length).toBeLessThanOrEqual(5);
    expect(share.length).toBe(3);
    video.forEach((f, k) => {
      expect(f.data.subarray(0, 2).toString('hex')).toBe(SOI);
      expect(f.data.subarray(-2).toString('hex')).toBe(EOI);
      expect(f.data.equals(JPGS[k % 5]!), `video frame ${k} is image-${(k % 5) + 1}.jpg`).toBe(true);
    });
    share.forEach((f, k) => {
      expect(f.data.subarray(0, 8).toString('hex')).toBe(PNG_SIGNATURE);
      expect(f.data.equals(PNGS[k % 3]!), `share frame ${k} is image-${(k % 3) + 1}.png`).toBe(true);
    });
    expectGrid(video, 2);
    expectGrid(share, 1);
    expect(video[1]!.timestamp - video[0]!.timestamp).toBe(500);
    expect(stream.record.violations.filter((x) => x.rule === 'media-params')).toEqual([]);
  });

  it('the SDK, video JPG at 2 fps and share PNG (1 fps by default): frames carry the format, the images and timestamps 500 ms apart', async () => {
    const { stream, got } = await sdkMeeting({ video: { codec: 'JPG', fps: 2 }, share: { codec: 'PNG' } }, 2_100);
    await until(() => got.video.length >= 4 && got.share.length >= 2, 2_000, 'frames');
    expect(got.video[0]!.format).toMatchObject({ codec: 'JPG', fps: 2 });
    expect(got.share[0]!.format).toMatchObject({ codec: 'PNG', fps: 1 });
    got.video.forEach((f, k) => expect(Buffer.from(f.data).equals(JPGS[k % 5]!)).toBe(true));
    got.share.forEach((f, k) => expect(Buffer.from(f.data).equals(PNGS[k % 3]!)).toBe(true));
    expectGrid(got.video.map((f) => ({ timestamp: f.timestamp!, at: f.at })), 2);
    expectGrid(got.share.map((f) => ({ timestamp: f.timestamp!, at: f.at })), 1);
    expect(stream.errors).toEqual([]);
  });

  it.skipIf(!FFPROBE)('the received JPEG and PNG frames decode (ffprobe: mjpeg and png, 320x180; ffmpeg: no error)', async () => {
    const s = await sim();
    const stream = s.createStream();
    const app = new RawClient(stream);
    const { socket } = await app.connect({ mediaType: 6, mediaParams: { video: { codec: 5, fps: 5 }, deskshare: { codec: 6, fps: 1 } } });
    const video = record(socket, 15);
    const share = record(socket, 16);
    await stream.playMeeting({ durationMs: 2_100, lines: [ADA], audioFrameMs: 0, transcriptEveryMs: 60_000 });
    await until(() => video.length >= 5 && share.length >= 3, 2_000, 'frames');
    const dir = mkdtempSync(join(tmpdir(), 'sim-stills-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const files = [...video.slice(0, 5).map((f, k) => ({ f, name: `v${k}.jpg`, codec: 'mjpeg' })), ...share.slice(0, 3).map((f, k) => ({ f, name: `s${k}.png`, codec: 'png' }))];
    for (const { f, name, codec } of files) {
      const path = join(dir, name);
      writeFileSync(path, f.data);
      const probe = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,width,height', '-of', 'json', path], { encoding: 'utf8' });
      expect(probe.status, name).toBe(0);
      expect((JSON.parse(probe.stdout) as { streams: unknown[] }).streams[0], name).toEqual({ codec_name: codec, width: 320, height: 180 });
      const decode = spawnSync('ffmpeg', ['-nostdin', '-v', 'error', '-i', path, '-f', 'null', '-'], { encoding: 'utf8' });
      expect([decode.status, decode.stderr], name).toEqual([0, '']);
    }
  });
});

describe('H.264 on the negotiated fps grid', () => {
  it('the SDK, video at 30 fps and share at 8 fps: starts at an IDR with SPS/PPS, the access units in order (none dropped or repeated), each on its own grid', async () => {
    const { stream, got } = await sdkMeeting({ video: { codec: 'H264', fps: 30 }, share: { codec: 'H264', fps: 8 } }, 1_300);
    await until(() => got.video.length >= 31 && got.share.length >= 9, 2_000, 'frames');
    for (const [kind, fps] of [['video', 30], ['share', 8]] as const) {
      const frames = got[kind];
      expect(frames[0]!.format).toMatchObject({ codec: 'H264', fps });
      expect(isKeyFrame(frames[0]!.data)).toBe(true);
      expect(nalTypes(frames[0]!.data).slice(0, 2)).toEqual([7, 8]); // SPS, PPS, then the IDR
      for (const f of frames) expect(h264AccessUnits(f.data)).toHaveLength(1);
      // In order, from the first: the frames joined are the fixture from its start (looped after 30).
      const file = fixture(kind === 'video' ? 'video.h264' : 'share.h264');
      const joined = Buffer.concat(frames.slice(0, 30).map((f) => f.data));
      expect(joined.equals(file.subarray(0, joined.length))).toBe(true);
      if (frames.length > 30) expect(Buffer.from(frames[30]!.data).equals(Buffer.from(frames[0]!.data))).toBe(true);
      expectGrid(frames.map((f) => ({ timestamp: f.timestamp!, at: f.at })), fps);
    }
    // 1.3 s: video frames at 0 … 1300 ms (40), share at 0 … 1250 ms (11), a slow machine may lose the last ones.
    expect(got.video.length).toBeLessThanOrEqual(40);
    expect(got.share.length).toBeLessThanOrEqual(11);
  });

  it('raw client, video H.264 at 10 fps: 100 ms apart, the fixture in order', async () => {
    const s = await sim();
    const stream = s.createStream();
    const app = new RawClient(stream);
    const { socket, answer } = await app.connect({ mediaType: 2, mediaParams: { video: { codec: 7, fps: 10 } } });
    expect(answer).toMatchObject({ media_params: { video: { codec: 7, fps: 10 } } });
    const video = record(socket, 15);
    await stream.playMeeting({ durationMs: 1_050, lines: [ADA], audioFrameMs: 0, transcriptEveryMs: 60_000 });
    await until(() => video.length >= 10, 2_000, 'frames');
    expect(video.length).toBeLessThanOrEqual(11);
    expect(nalTypes(video[0]!.data)).toContain(5);
    const joined = Buffer.concat(video.map((f) => f.data));
    expect(joined.equals(fixture('video.h264').subarray(0, joined.length))).toBe(true);
    expectGrid(video, 10);
  });
});

describe('what arrives, whatever was negotiated', () => {
  it('share negotiated as H.264 that arrives as JPEG (as Zoom has been reported to send it): format says H264, detectedCodec says JPG', async () => {
    const r = await rig({ media: ['video', 'share'], mediaParams: { video: { codec: 'H264', fps: 15 }, share: { codec: 'H264', fps: 15 } } });
    const stream = r.sim.createStream();
    const session = (await r.client.handleWebhook(stream.webhook('started'))).session!;
    const got = new Map<'video' | 'share', VideoFrame>();
    session.on('share', (f) => got.set('share', f));
    session.on('video', (f) => got.set('video', f));
    await stream.ready();
    await until(() => session.state === 'streaming');
    expect(stream.sendShare({ data: JPGS[0]!, userId: ADA.userId, userName: ADA.userName, timestamp: 1_000 })).toBe(true);
    expect(stream.sendVideo({ data: fixture('video.h264').subarray(0, 64), userId: ADA.userId, userName: ADA.userName, timestamp: 1_000 })).toBe(true);
    await until(() => got.size === 2);
    expect([got.get('share'), got.get('video')].map((f) => [f!.format.codec, f!.detectedCodec])).toEqual([
      ['H264', 'JPG'],
      ['H264', 'H264'],
    ]);
  });
});

describe('the SDK says when Zoom applied other params than asked', () => {
  it('share JPG at 3 fps is applied at 1 fps: one warning naming both; video asked and applied alike: none', async () => {
    const logger = recordingLogger();
    const r = await rig({ logger, media: ['video', 'share'], mediaParams: { video: { codec: 'H264', fps: 15 }, share: { codec: 'JPG', fps: 3 } } });
    const stream = r.sim.createStream();
    const session = (await r.client.handleWebhook(stream.webhook('started'))).session!;
    await stream.ready();
    await until(() => session.state === 'streaming');
    const lines = logger.lines.filter((l) => l.includes('Zoom applied other'));
    expect(lines).toEqual([expect.stringMatching(/^warn .*share params than asked: fps 1 \(asked 3\) /)]);
  });
});

describe('a reconnect that settles another codec and fps', () => {
  it('JPG at 2 fps, then (a new media socket) H.264 at 10 fps: a new grid from the switch, starting at an IDR, the access units in order', async () => {
    const s = await sim();
    const stream = s.createStream();
    const app = new RawClient(stream);
    const first = await app.connect({ mediaType: 2, mediaParams: { video: { codec: 5, fps: 2 } } });
    const before = record(first.socket, 15);
    const playing = stream.playMeeting({ durationMs: 2_600, lines: [ADA], audioFrameMs: 0, transcriptEveryMs: 60_000 });
    await until(() => before.length >= 3, 3_000, 'JPG frames');
    first.socket.ws.close();
    await until(() => first.socket.closed !== undefined);
    // Far from a JPG frame time (they are 500 ms apart), so the H.264 grid starts on its own.
    const second = await app.connectMedia({ mediaType: 2, mediaParams: { video: { codec: 7, fps: 10 } } });
    const after = record(second.socket, 15);
    app.ready();
    await playing;
    expect(before.every((f) => f.data.subarray(0, 2).toString('hex') === SOI)).toBe(true);
    expectGrid(before, 2);
    expect(after.length).toBeGreaterThanOrEqual(5);
    expect(isKeyFrame(after[0]!.data)).toBe(true);
    expect(nalTypes(after[0]!.data).slice(0, 2)).toEqual([7, 8]);
    expect(after[0]!.timestamp).toBeGreaterThan(before[before.length - 1]!.timestamp);
    expectGrid(after, 10);
    // From the IDR on, consecutive access units of the fixture (it loops every 30: IDRs at 0 and 15).
    const file = fixture('video.h264');
    const units = h264AccessUnits(file);
    const start = units.findIndex((u) => Buffer.from(u).equals(after[0]!.data));
    expect([0, 15]).toContain(start);
    after.forEach((f, i) => expect(f.data.equals(Buffer.from(units[(start + i) % units.length]!)), `frame ${i}`).toBe(true));
  });
});

describe('what the media handshake settles for video and deskshare', () => {
  /** A media handshake of a raw client on a new stream; its answer and the stream. */
  async function handshake(s: RtmsSimulator, params: Msg, mediaType: number): Promise<{ answer: Msg; stream: SimulatedStream }> {
    const stream = s.createStream();
    const app = new RawClient(stream);
    await app.connectSignaling();
    const { answer } = await app.connectMedia({ mediaType, mediaParams: params });
    return { answer, stream };
  }

  it.each([
    ['video with no codec and no fps: JPG at 5 fps', { video: {} }, 2, { video: { content_type: 3, codec: 5, fps: 5 } }, 0],
    ['video H.264 at 24 fps: as asked', { video: { codec: 7, fps: 24, resolution: 3, data_opt: 3 } }, 2, { video: { content_type: 3, codec: 7, fps: 24, resolution: 3, data_opt: 3 } }, 0],
    ['video PNG at 5 fps: as asked', { video: { codec: 6, fps: 5 } }, 2, { video: { codec: 6, fps: 5 } }, 0],
    ['video at 12 fps without a codec: JPG at 5 fps (Zoom’s documented fallback), a warning', { video: { fps: 12 } }, 2, { video: { codec: 5, fps: 5 } }, 1],
    ['video PNG at 10 fps: PNG at 5 fps, a warning', { video: { codec: 6, fps: 10 } }, 2, { video: { codec: 6, fps: 5 } }, 1],
    ['deskshare with no codec and no fps: JPG at 1 fps', { deskshare: {} }, 4, { deskshare: { content_type: 3, codec: 5, fps: 1 } }, 0],
    ['deskshare JPG at 3 fps: 1 fps (the stricter of the two documented limits), a warning', { deskshare: { codec: 5, fps: 3 } }, 4, { deskshare: { codec: 5, fps: 1 } }, 1],
    ['deskshare H.264 at 3 fps: as asked', { deskshare: { codec: 7, fps: 3 } }, 4, { deskshare: { codec: 7, fps: 3 } }, 0],
    ['video H.264 without fps: 30 fps (Zoom’s SDK default; H.264 is documented above 5 fps only)', { video: { codec: 7 } }, 2, { video: { codec: 7, fps: 30 } }, 0],
    ['video H.264 at 4 fps: as asked, a warning (Zoom uses JPG at or below 5 fps; undocumented here)', { video: { codec: 7, fps: 4 } }, 2, { video: { codec: 7, fps: 4 } }, 1],
    ['deskshare H.264 at 1 fps: as asked, a warning', { deskshare: { codec: 7, fps: 1 } }, 4, { deskshare: { codec: 7, fps: 1 } }, 1],
  ] as const)('%s', async (_name, params, mediaType, applied, warnings) => {
    const s = await sim();
    const { answer, stream } = await handshake(s, params, mediaType);
    expect(answer).toMatchObject({ status_code: 0, media_params: applied });
    const notes = stream.record.violations.filter((v) => v.rule === 'media-params');
    expect(notes.map((v) => v.severity)).toEqual(Array.from({ length: warnings }, () => 'warning'));
    if (mediaType === 4 && warnings > 0) expect(notes[0]!.message).toMatch(/stricter reading|Zoom may send JPG/);
    expect(stream.errors).toEqual([]);
  });

  it('media_type 6 without params: JPG at 5 fps and share JPG at 1 fps, answered and streamed; media_type 32 without params: no video', async () => {
    const s = await sim();
    const named = s.createStream();
    const a = new RawClient(named);
    const { socket, answer } = await a.connect({ mediaType: 6 });
    expect(answer['media_params']).toEqual({ video: { content_type: 3, codec: 5, fps: 5 }, deskshare: { content_type: 3, codec: 5, fps: 1 } });
    const all = s.createStream();
    const b = new RawClient(all);
    const other = await b.connect({ mediaType: 32 });
    expect(other.answer['media_params']).not.toHaveProperty('video');
    expect(other.answer['media_params']).not.toHaveProperty('deskshare');
    const video = record(socket, 15);
    const share = record(socket, 16);
    const otherVideo = () => other.socket.received.filter((m) => m['msg_type'] === 15 || m['msg_type'] === 16).length;
    await Promise.all([named, all].map((st) => st.playMeeting({ durationMs: 1_050, lines: [ADA], audioFrameMs: 0, transcriptEveryMs: 60_000 })));
    await until(() => video.length >= 5 && share.length >= 2, 2_000, 'frames');
    expect(video.length).toBeLessThanOrEqual(6);
    video.forEach((f, k) => expect(f.data.equals(JPGS[k % 5]!)).toBe(true));
    expectGrid(video, 5);
    expectGrid(share, 1);
    expect(otherVideo()).toBe(0);
    expect([...named.errors, ...all.errors]).toEqual([]);
  });

  it.each([
    ['video fps 0', 30, { video: { codec: 7, fps: 0 } }],
    ['video fps 31', 30, { video: { codec: 7, fps: 31 } }],
    ['video fps "5"', 30, { video: { codec: 5, fps: '5' } }],
    ['video codec 4 (Opus)', 27, { video: { codec: 4, fps: 5 } }],
    ['deskshare fps 2.5', 35, { deskshare: { codec: 7, fps: 2.5 } }],
    ['deskshare codec "JPG"', 33, { deskshare: { codec: 'JPG' } }],
    ['video params 7 (not an object)', 25, { video: 7 }],
    ['deskshare params null', 31, { deskshare: null }],
  ] as const)('%s is refused with status %i and a media-params error', async (_name, status, params) => {
    const s = await sim();
    const { answer, stream } = await handshake(s, params, 32);
    expect(answer).toMatchObject({ status_code: status });
    expect(stream.errors.map((v) => v.rule)).toEqual(['media-params']);
  });

  it('property: any params are refused with the kind’s status or applied as a codec of 5–7 at 1–30 fps, JPG/PNG within the limit, as asked whenever allowed', () => {
    const value = fc.oneof(fc.constant(undefined), fc.integer({ min: -2, max: 40 }), fc.double(), fc.string(), fc.constant(null));
    fc.assert(
      fc.property(fc.constantFrom('video', 'deskshare') as fc.Arbitrary<'video' | 'deskshare'>, fc.oneof(value, fc.constantFrom(5, 6, 7)), value, (key, codec, fps) => {
        const asked: Record<string, unknown> = { resolution: 2 };
        if (codec !== undefined) asked['codec'] = codec;
        if (fps !== undefined) asked['fps'] = fps;
        const r = settleVideo(key, asked);
        const codecOk = codec === undefined || codec === 5 || codec === 6 || codec === 7;
        const fpsOk = fps === undefined || (typeof fps === 'number' && Number.isInteger(fps) && fps >= 1 && fps <= 30);
        if (!codecOk || !fpsOk) {
          expect(r.ok).toBe(false);
          if (!r.ok) expect(r.status).toBe(!codecOk ? (key === 'video' ? 27 : 33) : key === 'video' ? 30 : 35);
          return;
        }
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        const limit = key === 'video' ? 5 : 1;
        const p = r.params;
        expect(p['resolution']).toBe(2);
        expect(p['content_type']).toBe(3);
        expect(p['codec']).toBe(codec ?? 5);
        const h264 = p['codec'] === 7;
        const wanted = (fps as number | undefined) ?? (h264 ? 30 : limit);
        const allowed = h264 || wanted <= limit;
        expect(p['fps']).toBe(allowed ? wanted : limit);
        // A warning when an image codec was capped, or H.264 was asked for at or below the image limit.
        expect(r.notes.length).toBe(!allowed || (h264 && wanted <= limit) ? 1 : 0);
      }),
      { numRuns: 500 },
    );
  });
});
