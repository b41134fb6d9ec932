import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { connect, type AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { describe, expect, it, onTestFinished } from 'vitest';
import { FakeAsr, forwardAudio, type AsrStreamMeta } from '../../examples/asr/forward-audio.js';
import { createTranscriptServer, type TranscriptMessage } from '../../examples/sse/server.js';
import type { RtmsSession, UserId } from '../../src/index.js';
import { postWebhook, type SimulatedStream } from '../../src/testing/index.js';
import { rig, until } from '../helpers.js';

const FRAME = 640; // 20 ms of 16 kHz mono L16

/** Counts and hashes what the session delivers per audio source, independently of the forwarder. */
function tap(session: RtmsSession): { frames: number; bytes: Map<string, number>; sha: Map<string, string> } {
  const hashes = new Map<string, ReturnType<typeof createHash>>();
  const out = { frames: 0, bytes: new Map<string, number>(), sha: new Map<string, string>() };
  session.on('audio', (a) => {
    const key = a.channelId !== undefined ? `channel:${a.channelId}` : `user:${String(a.userId)}`;
    out.frames++;
    out.bytes.set(key, (out.bytes.get(key) ?? 0) + a.data.length);
    const h = hashes.get(key) ?? createHash('sha256');
    hashes.set(key, h);
    h.update(a.data);
    out.sha.set(key, h.copy().digest('hex'));
  });
  return out;
}

async function started(options: Parameters<typeof rig>[0], product: 'meeting' | 'contact_center' = 'meeting'): Promise<{ session: RtmsSession; stream: SimulatedStream; stop: () => Promise<unknown> }> {
  const r = await rig(options);
  const stream = r.sim.createStream({ product });
  const res = await r.client.handleWebhook(stream.webhook('started'));
  const session = res.session!;
  return { session, stream, stop: () => r.client.handleWebhook(stream.webhook('stopped')) };
}

async function streaming(session: RtmsSession, stream: SimulatedStream): Promise<void> {
  await stream.ready();
  await until(() => session.state === 'streaming', 5_000, 'streaming');
}

const SPEAKERS = [
  { userId: 101, userName: 'Ada Lovelace' },
  { userId: 102, userName: 'Grace Hopper' },
  { userId: 103, userName: 'Alan Turing' },
] as const;

describe('ASR recipe: forwardAudio', () => {
  it('sends every byte of per-participant audio to exactly one ASR stream per speaker, then closes them', async () => {
    const { session, stream, stop } = await started({ media: ['audio'], mediaParams: { audio: { dataOption: 'multi' } } });
    const asr = new FakeAsr();
    const results: string[] = [];
    const fwd = forwardAudio(session, asr, { highWaterMark: 1000, onResult: (r, meta) => results.push(`${meta.speaker}: ${r.isFinal ? 'final' : 'interim'} ${r.text}`) });
    const got = tap(session);
    await streaming(session, stream);

    // 60 frames (1.2 s of audio) per speaker, interleaved as Zoom interleaves participants.
    for (let i = 0; i < 60; i++) for (const s of SPEAKERS) expect(stream.sendAudio({ data: randomBytes(FRAME), ...s })).toBe(true);
    await until(() => got.frames === 180, 5_000, 'all frames received');
    await until(() => fwd.openStreams === 3 && fwd.buffered === 0, 5_000, 'forwarder caught up');
    await stop();
    const summary = await fwd.done;

    expect(summary).toMatchObject({ forwarded: 180, dropped: 0, unforwarded: 0, error: undefined });
    expect(asr.streams.map((s) => s.meta.speaker)).toEqual(SPEAKERS.map((s) => s.userName));
    for (const s of asr.streams) {
      const key = `user:${String(s.meta.userId)}`;
      expect(s.meta.key).toBe(key);
      expect(s.bytes).toBe(60 * FRAME);
      expect(s.bytes).toBe(got.bytes.get(key));
      expect(s.sha256).toBe(got.sha.get(key)); // the same bytes, in the same order: none lost, doubled or misrouted
      expect(s.closed).toBe(true);
      expect(s.format).toMatchObject({ codec: 'L16', sampleRate: 16000, channels: 1, dataOption: 'multi' });
    }
    expect(summary.streams.map((s) => s.bytes)).toEqual([60 * FRAME, 60 * FRAME, 60 * FRAME]);
    expect(fwd.openStreams).toBe(0);
    for (const s of SPEAKERS) {
      expect(results).toContain(`${s.userName}: interim recognised 1000 ms of audio from ${s.userName}`);
      expect(results).toContain(`${s.userName}: final recognised 1200 ms of audio from ${s.userName}`);
    }
    expect(summary.streams.every((s) => s.results === 2)).toBe(true);
  });

  it('opens one ASR stream per Contact Center channel', async () => {
    const { session, stream, stop } = await started({ media: ['audio'] }, 'contact_center');
    const asr = new FakeAsr();
    const fwd = forwardAudio(session, asr);
    const got = tap(session);
    await streaming(session, stream);
    for (let i = 0; i < 20; i++) for (const channelId of ['1', '2']) stream.sendAudio({ data: randomBytes(FRAME), channelId });
    await until(() => got.frames === 40, 5_000, 'all frames received');
    await stop();
    const summary = await fwd.done;
    expect(asr.streams.map((s) => s.meta.key).sort()).toEqual(['channel:1', 'channel:2']);
    for (const s of asr.streams) {
      expect(s.meta.channelId).toBe(s.meta.key.slice('channel:'.length));
      expect(s.sha256).toBe(got.sha.get(s.meta.key));
      expect(s.closed).toBe(true);
    }
    expect(summary.forwarded).toBe(40);
  });

  it("closes a participant's ASR stream when they leave, and opens a fresh one if they speak again", async () => {
    const { session, stream, stop } = await started({ media: ['audio'], mediaParams: { audio: { dataOption: 'multi' } } });
    const asr = new FakeAsr();
    const fwd = forwardAudio(session, asr);
    const got = tap(session);
    await streaming(session, stream);
    const [ada, grace] = SPEAKERS;
    for (let i = 0; i < 5; i++) for (const s of [ada, grace]) stream.sendAudio({ data: randomBytes(FRAME), ...s });
    await until(() => asr.streams.length === 2 && asr.streams.every((s) => s.chunks === 5), 5_000, 'both streams fed');
    expect(stream.leave([ada.userId])).toBe(true);
    await until(() => asr.streams[0]!.closed, 5_000, "Ada's stream closed");
    expect(asr.streams[1]!.closed).toBe(false);
    stream.sendAudio({ data: randomBytes(FRAME), ...ada });
    await until(() => asr.streams.length === 3, 5_000, 'a new stream for Ada');
    await until(() => got.frames === 11);
    await stop();
    const summary = await fwd.done;
    const adaStreams = asr.streams.filter((s) => s.meta.userId === ada.userId);
    expect(adaStreams.map((s) => s.chunks)).toEqual([5, 1]);
    expect(adaStreams.reduce((n, s) => n + s.bytes, 0)).toBe(got.bytes.get(`user:${ada.userId}`));
    expect(asr.streams.every((s) => s.closed)).toBe(true);
    expect(summary.forwarded).toBe(11);
  });

  it('with a slow ASR service, buffering stays within highWaterMark and the excess is dropped and counted', async () => {
    const { session, stream, stop } = await started({ media: ['audio'], mediaParams: { audio: { dataOption: 'multi' } } });
    const HWM = 16;
    const slow = new FakeAsr({ writeDelayMs: 5 });
    const fwd = forwardAudio(session, slow, { highWaterMark: HWM });
    const strict = new FakeAsr({ writeDelayMs: 5 });
    const failing = forwardAudio(session, strict, { highWaterMark: HWM, overflow: 'error' });
    let maxBuffered = 0;
    const got = tap(session);
    session.on('audio', () => (maxBuffered = Math.max(maxBuffered, fwd.buffered)));
    await streaming(session, stream);

    const heapBefore = process.memoryUsage().heapUsed;
    for (let i = 0; i < 200; i++) for (const s of SPEAKERS.slice(0, 2)) stream.sendAudio({ data: randomBytes(FRAME), ...s });
    await until(() => got.frames === 400, 5_000, 'all frames received');
    await stop();
    const summary = await fwd.done;

    expect(maxBuffered).toBeLessThanOrEqual(HWM);
    expect(summary.dropped).toBeGreaterThan(0);
    expect(fwd.dropped).toBe(summary.dropped);
    expect(summary.forwarded + summary.dropped).toBe(400); // every frame is either forwarded or counted as dropped
    expect(summary.forwarded).toBeLessThan(400);
    expect(slow.streams.reduce((n, s) => n + s.bytes, 0)).toBe(summary.forwarded * FRAME);
    expect(slow.streams.every((s) => s.closed)).toBe(true);
    // 400 frames went by; at most HWM of them (10 KiB) were ever held. Allow generous slack for GC noise.
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(32 * 1024 * 1024);

    const failed = await failing.done;
    expect(failed.error).toMatchObject({ code: 'RTMS_BUFFER_OVERFLOW' });
    expect(strict.streams.every((s) => s.closed)).toBe(true);
  });

  it('reports an ASR stream that fails to open, and counts its frames as unforwarded', async () => {
    const { session, stream, stop } = await started({ media: ['audio'] });
    const errors: [unknown, AsrStreamMeta | undefined][] = [];
    const fwd = forwardAudio(session, { open: () => Promise.reject(new Error('quota exceeded')) }, { onError: (e, m) => errors.push([e, m]) });
    const got = tap(session);
    await streaming(session, stream);
    for (let i = 0; i < 3; i++) stream.sendAudio({ data: randomBytes(FRAME) });
    await until(() => got.frames === 3);
    await stop();
    expect(await fwd.done).toMatchObject({ forwarded: 0, unforwarded: 3, dropped: 0 });
    expect(errors).toHaveLength(1);
    expect(errors[0]![1]).toMatchObject({ key: 'mixed', speaker: 'mixed' });
  });

  it('closes an ASR stream whose write fails and opens a fresh one for the next audio', async () => {
    const { session, stream, stop } = await started({ media: ['audio'] });
    const log: string[] = [];
    let opened = 0;
    const flaky = {
      open: async () => {
        const n = ++opened;
        let writes = 0;
        return {
          write: async () => {
            if (n === 1 && ++writes === 2) throw new Error('connection reset');
            log.push(`write ${n}`);
          },
          close: async () => void log.push(`close ${n}`),
        };
      },
    };
    const errors: unknown[] = [];
    const fwd = forwardAudio(session, flaky, { onError: (e) => errors.push(e) });
    const got = tap(session);
    await streaming(session, stream);
    for (let i = 0; i < 4; i++) stream.sendAudio({ data: randomBytes(FRAME) });
    await until(() => got.frames === 4);
    await stop();
    expect(await fwd.done).toMatchObject({ forwarded: 3, unforwarded: 1, dropped: 0 });
    expect(log.filter((l) => l.endsWith('1'))).toEqual(['write 1', 'close 1']);
    expect(log.filter((l) => l.endsWith('2'))).toEqual(['write 2', 'write 2', 'close 2']);
    expect(errors).toMatchObject([{ message: 'connection reset' }]);
  });
});

/** Reads an EventSource endpoint with fetch, the way a browser's EventSource does. */
async function openEvents(url: string) {
  const ctrl = new AbortController();
  const res = await fetch(url, { signal: ctrl.signal, headers: { accept: 'text/event-stream' } });
  const messages: TranscriptMessage[] = [];
  const named: { event: string; data: unknown }[] = [];
  const comments: string[] = [];
  const reading = (async () => {
    if (!res.body) return;
    const decoder = new TextDecoder();
    let pending = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      pending += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = pending.indexOf('\n\n')) >= 0) {
        const lines = pending.slice(0, end).split('\n');
        pending = pending.slice(end + 2);
        let event: string | undefined;
        const data: string[] = [];
        for (const line of lines) {
          if (line.startsWith(':')) comments.push(line.slice(1).trim());
          else if (line.startsWith('event:')) event = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
        }
        if (data.length === 0) continue;
        const parsed: unknown = JSON.parse(data.join('\n'));
        if (event === undefined) messages.push(parsed as TranscriptMessage);
        else named.push({ event, data: parsed });
      }
    }
  })().catch(() => undefined);
  const close = async (): Promise<void> => {
    ctrl.abort();
    await reading;
  };
  onTestFinished(close);
  return { res, messages, named, comments, close };
}

describe('SSE recipe: createTranscriptServer', () => {
  it('streams per-speaker transcripts to every browser in order, and forgets browsers that disconnect', async () => {
    const r = await rig({ media: ['transcript'] });
    const app = createTranscriptServer(r.client, { heartbeatMs: 50, maxClients: 2, maxBodyBytes: 4096 });
    onTestFinished(() => app.close());
    await new Promise<void>((resolve) => app.server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

    const page = await fetch(`${base}/`);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain("new EventSource('events')");

    const browser = await openEvents(`${base}/events`);
    expect(browser.res.status).toBe(200);
    expect(browser.res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await until(() => app.hub.size === 1);

    // Zoom's webhook goes through the same server, verified.
    const stream = r.sim.createStream();
    const bad = stream.webhook('started');
    expect((await postWebhook(`${base}/webhook`, { ...bad, body: bad.body.replace('meeting', 'meetinG') })).status).toBe(401);
    expect((await postWebhook(`${base}/webhook`, { ...bad, body: 'x'.repeat(5000) })).status).toBe(413);
    expect((await postWebhook(`${base}/webhook`, stream.webhook('started'))).status).toBe(200);
    const session = r.client.sessions.get(stream.streamId)!;
    await streaming(session, stream);

    // A second browser fits, a third is refused.
    const second = await openEvents(`${base}/events`);
    expect(second.res.status).toBe(200);
    const third = await fetch(`${base}/events`);
    expect(third.status).toBe(503);
    await third.text();
    await until(() => app.hub.size === 2);

    // One speaker is named only by the roster (PARTICIPANT_JOIN), not by the transcript frame.
    expect(stream.join([{ userId: 104, userName: 'Katherine Johnson' }])).toBe(true);
    await until(() => session.participants.has(104));
    const lines = [
      { userId: 101, userName: 'Ada Lovelace', text: 'Shall we start?' },
      { userId: 102, userName: 'Grace Hopper', text: 'Yes, the compiler is ready.' },
      { userId: 103, userName: 'Alan Turing', text: 'Line one\nline two, "quoted" and <b>not bold</b>' },
      { userId: 104, text: 'The trajectory checks out.' },
    ];
    for (const [i, l] of lines.entries()) expect(stream.sendTranscript({ ...l, startTime: 1_700_000_000_000 + i })).toBe(true);
    await until(() => browser.messages.length === 4 && second.messages.length === 4, 5_000, 'transcripts in both browsers');

    const expected = [
      ['Ada Lovelace', 'Shall we start?'],
      ['Grace Hopper', 'Yes, the compiler is ready.'],
      ['Alan Turing', 'Line one\nline two, "quoted" and <b>not bold</b>'],
      ['Katherine Johnson', 'The trajectory checks out.'],
    ];
    expect(browser.messages.map((m) => [m.speaker, m.text])).toEqual(expected);
    expect(second.messages).toEqual(browser.messages);
    expect(browser.messages.every((m) => m.streamId === stream.streamId)).toBe(true);
    expect(browser.messages.map((m) => m.time)).toEqual([0, 1, 2, 3].map((i) => 1_700_000_000_000 + i));
    expect(browser.messages.map((m) => m.userId)).toEqual([101, 102, 103, 104] satisfies UserId[]);
    expect(browser.named).toContainEqual({ event: 'stream', data: { streamId: stream.streamId, state: 'started' } });
    await until(() => browser.comments.includes('heartbeat'), 2_000, 'a heartbeat comment');

    // A browser that goes away is removed at once; the others keep receiving.
    await second.close();
    await until(() => app.hub.size === 1, 2_000, 'the server to forget the closed browser');
    stream.sendTranscript({ userId: 101, userName: 'Ada Lovelace', text: 'Still here?' });
    await until(() => browser.messages.length === 5);

    await r.client.handleWebhook(stream.webhook('stopped'));
    await until(() => browser.named.some((e) => (e.data as { state?: string }).state === 'ended'), 2_000, 'the ended event');
    expect(browser.named.at(-1)).toEqual({ event: 'stream', data: { streamId: stream.streamId, state: 'ended', cause: 'webhook_stopped' } });

    await browser.close();
    await until(() => app.hub.size === 0, 2_000, 'no browsers left');
    await app.close();
    expect(app.server.listening).toBe(false);
  });

  it('drops a browser that stops reading instead of buffering for it without bound', async () => {
    const r = await rig({ media: ['transcript'] });
    const app = createTranscriptServer(r.client, { maxBufferedBytes: 64 * 1024 });
    onTestFinished(() => app.close());
    await new Promise<void>((resolve) => app.server.listen(0, '127.0.0.1', resolve));
    const { port } = app.server.address() as AddressInfo;
    const reader = await openEvents(`http://127.0.0.1:${port}/events`);
    // A "browser" that sends its request and then never reads a byte.
    const stuck = connect(port, '127.0.0.1');
    onTestFinished(() => void stuck.destroy());
    stuck.write('GET /events HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n');
    stuck.pause();
    await until(() => app.hub.size === 2);
    const text = 'x'.repeat(64 * 1024);
    for (let i = 0; i < 200 && app.hub.size === 2; i++) {
      app.hub.send({ streamId: 's', speaker: 'Ada', userId: 1, text, time: i } satisfies TranscriptMessage);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await until(() => app.hub.size === 1, 5_000, 'the stuck browser to be dropped');
    await until(() => reader.messages.length > 0);
    expect(reader.messages[0]!.text).toHaveLength(64 * 1024); // the reading browser was not affected
  });
});

describe('--simulate runs', () => {
  it('both recipes run end to end with one command and exit 0', async () => {
    const run = promisify(execFile);
    const env = { ...process.env, DURATION_MS: '1500' };
    const [asr, sse] = await Promise.all([
      run(process.execPath, ['--import', 'tsx', 'examples/asr/forward-audio.ts', '--simulate'], { env, timeout: 30_000 }),
      run(process.execPath, ['--import', 'tsx', 'examples/sse/server.ts', '--simulate', '--once'], { env: { ...env, PORT: '0' }, timeout: 30_000 }),
    ]);
    expect(asr.stdout).toMatch(/\[Ada Lovelace\] interim: recognised 1000 ms of audio from Ada Lovelace/);
    expect(asr.stdout).toMatch(/ASR stream\(s\) closed, \d+ frames forwarded, 0 dropped/);
    expect(sse.stdout).toMatch(/browser: \[\w+\] Ada Lovelace: Good morning/);
  });
});
