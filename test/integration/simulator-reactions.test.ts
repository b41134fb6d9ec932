/**
 * The simulator reacts like Zoom when a client loses a socket of a live stream (protocol reference §7.1, §7.3):
 * MEDIA_CONNECTION_INTERRUPTED for lost media, closed media and `rtms_interrupted` for lost signaling, a reconnect
 * window, and past it the end of the stream (stop reason 19, or 24 after unanswered keep-alives). Driven over
 * loopback by raw clients (which do exactly what the test says) and by the SDK client.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { StopReason } from '../../src/index.js';
import { RtmsSimulator, type DropRecord, type SignedWebhook, type SimulatedStream, type SimulatorOptions } from '../../src/testing/index.js';
import { CREDS, expectNoLeaks, ourResources, rig, until } from '../helpers.js';
import { RawClient, type Msg, type RawSocket } from './simulator-raw.js';

const FAST = { reconnect: { baseDelayMs: 20, maxDelayMs: 80, jitter: 0, maxAttempts: 4 } } as const;

async function sim(options: Partial<SimulatorOptions> = {}): Promise<RtmsSimulator> {
  const s = await RtmsSimulator.start({ ...CREDS, ...options });
  onTestFinished(() => s.close());
  return s;
}

/** Everything a stream emitted about drops and its end. */
function watch(stream: SimulatedStream) {
  const seen = { drops: [] as DropRecord[], reconnected: [] as DropRecord[], webhooks: [] as [string, SignedWebhook][], ended: [] as number[] };
  stream.on('drop', (d) => seen.drops.push(d));
  stream.on('reconnected', (d) => seen.reconnected.push(d));
  stream.on('webhook', (step, w) => seen.webhooks.push([step, w]));
  stream.on('ended', (reason) => seen.ended.push(reason));
  return seen;
}

function signalingMsgs(s: RawSocket, msgType: number): Msg[] {
  return s.received.filter((m) => m['msg_type'] === msgType);
}

describe('a lost media socket', () => {
  it.each([
    ['closes it with 1000', (s: RawSocket) => s.ws.close(1000), 1000],
    ['crashes (no close frame: 1006)', (s: RawSocket) => s.ws.terminate(), 1006],
  ] as const)('client %s: event 7 on signaling; a reconnect inside the window settles it as reconnected', async (_how, lose, code) => {
    const s = await sim({ reconnectWindows: { mediaMs: 5_000 } });
    const stream = s.createStream();
    const seen = watch(stream);
    const app = new RawClient(stream);
    const { socket } = await app.connect();
    const t0 = Date.now();
    lose(socket);
    await until(() => signalingMsgs(app.signaling, 6).length === 1, 3_000, 'event 7');
    expect(signalingMsgs(app.signaling, 6)[0]).toMatchObject({ msg_type: 6, event: { event_type: 7, timestamp: expect.any(Number) } });
    expect(stream.record.drops).toEqual([{ channel: 'media', code, at: expect.any(Number), cause: 'client-closed', windowMs: 5_000, outcome: 'pending', reconnectedAt: undefined }]);
    expect(stream.record.drops[0]!.at).toBeGreaterThanOrEqual(t0);
    expect(seen.drops).toEqual(stream.record.drops);
    expect(stream.isReady).toBe(false);

    // The client reconnects media: a handshake alone is not enough, CLIENT_READY_ACK completes it.
    await app.connectMedia();
    expect(stream.record.drops[0]!.outcome).toBe('pending');
    app.ready();
    await until(() => seen.reconnected.length === 1, 3_000, 'reconnected');
    const d = stream.record.drops[0]!;
    expect(d.outcome).toBe('reconnected');
    expect(d.reconnectedAt).toBeGreaterThanOrEqual(d.at);
    expect(seen.reconnected[0]).toBe(d);
    expect(stream.isReady).toBe(true);
    // No second drop, the stream goes on, nothing ends it later.
    await new Promise((r) => setTimeout(r, 50));
    expect(stream.record.drops).toHaveLength(1);
    expect(seen.ended).toEqual([]);
    expect(seen.webhooks).toEqual([]);
    expect(stream.record.end).toBeUndefined();
  });

  it('no reconnect: past the window the stream ends with 19 (TERMINATED on signaling, rtms_stopped, ended)', async () => {
    const s = await sim({ reconnectWindows: { mediaMs: 150 } });
    const stream = s.createStream();
    const seen = watch(stream);
    const app = new RawClient(stream);
    const { socket } = await app.connect();
    socket.ws.terminate();
    await until(() => seen.ended.length === 1, 3_000, 'ended');
    expect(seen.ended).toEqual([StopReason.AWAIT_RECONNECTION_TIMEOUT]);
    const d = stream.record.drops[0]!;
    expect(d).toMatchObject({ channel: 'media', code: 1006, cause: 'client-closed', windowMs: 150, outcome: 'expired', reconnectedAt: undefined });
    expect(stream.record.end).toEqual({ at: expect.any(Number), stopReason: 19, why: expect.stringMatching(/media socket lost .*150 ms/) });
    expect(stream.record.end!.at - d.at).toBeGreaterThanOrEqual(140);
    expect(stream.isEnded).toBe(true);
    // Zoom's own rtms_stopped, with the reason.
    expect(seen.webhooks.map(([step]) => step)).toEqual(['stopped']);
    expect(seen.webhooks[0]![1].json).toMatchObject({ event: 'meeting.rtms_stopped', payload: { rtms_stream_id: stream.streamId, stop_reason: 19 } });
    expect(stream.record.stopSentAt).toBeGreaterThanOrEqual(stream.record.end!.at); // building it announced the stop
    // STREAM_STATE_UPDATE TERMINATED reason 19 on signaling, then the server closes it.
    await until(() => app.signaling.closed !== undefined, 3_000, 'signaling closed');
    expect(signalingMsgs(app.signaling, 8)).toEqual([expect.objectContaining({ state: 4, reason: 19 })]);
    expect(app.signaling.closed!.code).toBe(1000);
    // Its closing is no new drop.
    expect(stream.record.drops).toHaveLength(1);
  });

  it('Contact Center: STREAM_STATE_UPDATE INTERRUPTED reason 14 instead of event 7 (whose number the Contact Center table does not define)', async () => {
    const s = await sim({ reconnectWindows: { mediaMs: 5_000 } });
    const stream = s.createStream({ product: 'contact_center' });
    const app = new RawClient(stream);
    const { socket } = await app.connect({ mediaType: 9 });
    socket.ws.close(1000);
    await until(() => signalingMsgs(app.signaling, 8).length === 1, 3_000, 'stream state update');
    expect(signalingMsgs(app.signaling, 8)[0]).toMatchObject({ state: 2, reason: 14, rtms_stream_id: stream.streamId });
    expect(signalingMsgs(app.signaling, 6)).toEqual([]);
    expect(stream.record.drops).toMatchObject([{ channel: 'media', code: 1000, outcome: 'pending' }]);
  });

  it('the SDK: dropSocket(media) is one drop (cause fault), one event 7, reconnected by the SDK', async () => {
    const r = await rig(FAST, { reconnectWindows: { mediaMs: 5_000 } });
    const stream = r.sim.createStream();
    const seen = watch(stream);
    const session = (await r.client.handleWebhook(stream.webhook('started'))).session!;
    await stream.ready();
    await until(() => session.state === 'streaming');
    const interrupted: unknown[] = [];
    session.on('mediaInterrupted', (ts) => interrupted.push(ts));
    const reconnected = new Promise((resolve) => session.once('reconnected', resolve));
    stream.dropSocket('media');
    await reconnected;
    await until(() => seen.reconnected.length === 1, 3_000, 'drop reconnected');
    expect(stream.record.drops).toEqual([{ channel: 'media', code: 1006, at: expect.any(Number), cause: 'fault', windowMs: 5_000, outcome: 'reconnected', reconnectedAt: expect.any(Number) }]);
    expect(interrupted).toHaveLength(1);
    expect(stream.record.mediaConnections).toBe(2);
    expect(stream.errors).toEqual([]);
  });

  it('event 7 sent by a test playing Zoom: the client closing media in answer is a drop, but not announced again', async () => {
    const r = await rig(FAST);
    const stream = r.sim.createStream();
    const session = (await r.client.handleWebhook(stream.webhook('started'))).session!;
    await stream.ready();
    await until(() => session.state === 'streaming');
    let interruptions = 0;
    session.on('mediaInterrupted', () => interruptions++);
    const reconnected = new Promise((resolve) => session.once('reconnected', resolve));
    stream.sendEvent({ event_type: 7 });
    await reconnected;
    await until(() => stream.record.drops[0]?.outcome === 'reconnected', 3_000, 'reconnected drop');
    expect(stream.record.drops).toMatchObject([{ channel: 'media', code: 1000, cause: 'client-closed' }]);
    expect(interruptions).toBe(1);
  });
});

describe('lost signaling', () => {
  it('raw client: media closed by the server, rtms_interrupted emitted; no reconnect ends the stream after the window', async () => {
    const s = await sim({ reconnectWindows: { signalingMs: 200 } });
    const stream = s.createStream();
    const seen = watch(stream);
    const app = new RawClient(stream);
    const { socket } = await app.connect();
    app.signaling.ws.terminate();
    await until(() => socket.closed !== undefined, 3_000, 'media closed by the server');
    expect(socket.closed!.code).toBe(1001);
    expect(stream.record.closes).toEqual(expect.arrayContaining([{ channel: 'media', code: 1001, by: 'server' }]));
    expect(stream.record.drops).toEqual([{ channel: 'signaling', code: 1006, at: expect.any(Number), cause: 'client-closed', windowMs: 200, outcome: 'pending', reconnectedAt: undefined }]);
    expect(seen.webhooks.map(([step]) => step)).toEqual(['interrupted']);
    expect(seen.webhooks[0]![1].json).toMatchObject({ event: 'meeting.rtms_interrupted', payload: { meeting_uuid: stream.productId, rtms_stream_id: stream.streamId } });

    await until(() => seen.ended.length === 1, 3_000, 'ended');
    expect(seen.ended).toEqual([19]);
    expect(stream.record.drops[0]!.outcome).toBe('expired');
    expect(seen.webhooks.map(([step]) => step)).toEqual(['interrupted', 'stopped']);
    expect(seen.webhooks[1]![1].json.payload).toMatchObject({ stop_reason: 19 });
    expect(stream.record.end).toMatchObject({ stopReason: 19, why: expect.stringMatching(/^signaling socket lost/) });
  });

  it('raw client: a full reconnect (signaling, media, CLIENT_READY_ACK) inside the window settles it; a pending media drop rides on it', async () => {
    const s = await sim({ reconnectWindows: { signalingMs: 5_000, mediaMs: 5_000 } });
    const stream = s.createStream();
    const seen = watch(stream);
    const app = new RawClient(stream);
    const { socket } = await app.connect();
    socket.ws.close(1000); // media first...
    await until(() => stream.record.drops.length === 1);
    app.signaling.ws.close(1000); // ...then signaling
    await until(() => stream.record.drops.length === 2);
    expect(stream.record.drops.map((d) => [d.channel, d.outcome])).toEqual([
      ['media', 'pending'],
      ['signaling', 'pending'],
    ]);
    const again = new RawClient(stream);
    await again.connectSignaling();
    await again.connectMedia();
    expect(stream.record.drops.every((d) => d.outcome === 'pending')).toBe(true);
    again.ready();
    await until(() => seen.reconnected.length === 2, 3_000, 'both reconnected');
    expect(stream.record.drops.map((d) => d.outcome)).toEqual(['reconnected', 'reconnected']);
    expect(seen.webhooks.map(([step]) => step)).toEqual(['interrupted']);
  });

  it('the SDK fed the rtms_interrupted webhook reconnects, and the drop shows reconnected', async () => {
    const r = await rig(FAST, { reconnectWindows: { signalingMs: 5_000 } });
    const stream = r.sim.createStream();
    const seen = watch(stream);
    const answers: Promise<{ status: number }>[] = [];
    stream.on('webhook', (_step, w) => answers.push(r.client.handleWebhook(w)));
    const session = (await r.client.handleWebhook(stream.webhook('started'))).session!;
    await stream.ready();
    await until(() => session.state === 'streaming');
    stream.dropSocket('signaling');
    await until(() => stream.record.drops[0]?.outcome === 'reconnected', 5_000, 'reconnected');
    expect(seen.webhooks.map(([step]) => step)).toEqual(['interrupted']);
    expect((await Promise.all(answers)).map((a) => a.status)).toEqual([200]);
    const [signaling, ...media] = stream.record.drops;
    expect(signaling).toEqual({ channel: 'signaling', code: 1006, at: expect.any(Number), cause: 'fault', windowMs: 5_000, outcome: 'reconnected', reconnectedAt: expect.any(Number) });
    // The SDK tears its media socket down to reconnect at once, usually before the server's grace ends: then that
    // is a media drop riding on the signaling one, settled with it; otherwise the server closes it (1001).
    for (const d of media) expect(d).toMatchObject({ channel: 'media', code: 1000, cause: 'client-closed', outcome: 'reconnected', reconnectedAt: signaling!.reconnectedAt });
    const oldMedia = stream.record.closes.filter((c) => c.channel === 'media');
    expect(oldMedia).toEqual([media.length === 1 ? { channel: 'media', code: 1000, by: 'client' } : { channel: 'media', code: 1001, by: 'server' }]);
    await until(() => session.state === 'streaming');
    expect(stream.record.readyAcks).toBe(2);
    expect(seen.ended).toEqual([]);
  });
});

describe('a crash: both sockets lost at once', () => {
  it('two drops, whichever close the server sees first, settled together', async () => {
    const s = await sim({ reconnectWindows: { signalingMs: 150, mediaMs: 5_000 } });
    const stream = s.createStream();
    const seen = watch(stream);
    const app = new RawClient(stream);
    const { socket } = await app.connect();
    app.signaling.ws.terminate();
    socket.ws.terminate();
    await until(() => seen.ended.length === 1, 3_000, 'ended');
    expect(stream.record.drops.map((d) => [d.channel, d.code, d.cause, d.outcome]).sort()).toEqual([
      ['media', 1006, 'client-closed', 'expired'],
      ['signaling', 1006, 'client-closed', 'expired'],
    ]);
    expect(seen.ended).toEqual([19]);
  });

  it('a stop announced while drops are pending: they stay pending (no reconnect came), and no window ends the stream later', async () => {
    const s = await sim({ reconnectWindows: { mediaMs: 100 } });
    const stream = s.createStream();
    const seen = watch(stream);
    const app = new RawClient(stream);
    const { socket } = await app.connect();
    socket.ws.close(1000);
    await until(() => seen.drops.length === 1);
    stream.webhook('stopped');
    app.signaling.ws.close(1000);
    await new Promise((r) => setTimeout(r, 250));
    expect(stream.record.drops).toMatchObject([{ channel: 'media', outcome: 'pending' }]);
    expect(seen.ended).toEqual([]);
    expect(stream.record.end).toBeUndefined();
  });
});

describe('unanswered keep-alives', () => {
  it('media: dropped by the server (cause keepalive, recorded at once), event 7, and the stream ends with 24', async () => {
    const s = await sim({ keepAliveIntervalMs: 30, keepAliveMaxMissed: 2, reconnectWindows: { mediaMs: 150 } });
    const stream = s.createStream();
    const seen = watch(stream);
    const app = new RawClient(stream);
    const { socket } = await app.connect();
    socket.answerKeepAlives = false; // the media socket is idle, so it gets keep-alives; it never answers
    await until(() => seen.drops.length === 1, 3_000, 'keep-alive drop');
    expect(seen.drops[0]).toMatchObject({ channel: 'media', code: 1000, cause: 'keepalive', windowMs: 150, outcome: 'pending' });
    expect(stream.record.keepAlive.missedDrops).toBe(1);
    await until(() => signalingMsgs(app.signaling, 6).length === 1, 3_000, 'event 7');
    await until(() => seen.ended.length === 1, 3_000, 'ended');
    expect(seen.ended).toEqual([StopReason.KEEP_ALIVE_TIMEOUT]);
    expect(stream.record.drops).toHaveLength(1);
    expect(stream.record.drops[0]!.outcome).toBe('expired');
    expect(seen.webhooks.map(([step, w]) => [step, w.json.payload['stop_reason']])).toEqual([['stopped', 24]]);
    await until(() => app.signaling.closed !== undefined);
    expect(signalingMsgs(app.signaling, 8)).toEqual([expect.objectContaining({ state: 4, reason: 24 })]);
  });

  it('signaling: dropped (cause keepalive), media closed, rtms_interrupted, and the stream ends with 24', async () => {
    const s = await sim({ keepAliveIntervalMs: 30, keepAliveMaxMissed: 2, reconnectWindows: { signalingMs: 150 } });
    const stream = s.createStream();
    const seen = watch(stream);
    const app = new RawClient(stream);
    await app.connectSignaling();
    app.signaling.answerKeepAlives = false;
    await app.connectMedia();
    app.ready();
    await until(() => seen.ended.length === 1, 3_000, 'ended');
    expect(stream.record.drops).toMatchObject([{ channel: 'signaling', cause: 'keepalive', outcome: 'expired' }]);
    expect(seen.ended).toEqual([24]);
    expect(seen.webhooks.map(([step]) => step)).toEqual(['interrupted', 'stopped']);
  });
});

describe('not drops', () => {
  it('a stop announced (the stop webhook built), then the client closes: no drop, and the SDK closes cleanly', async () => {
    const r = await rig(FAST);
    const stream = r.sim.createStream();
    const seen = watch(stream);
    const session = (await r.client.handleWebhook(stream.webhook('started'))).session!;
    await stream.ready();
    const t0 = Date.now();
    expect((await r.client.handleWebhook(stream.webhook('stopped'))).status).toBe(200);
    expect(stream.record.stopSentAt).toBeGreaterThanOrEqual(t0);
    await session.closed();
    await stream.socketsClosed();
    expect(stream.record.drops).toEqual([]);
    expect(seen.drops).toEqual([]);
    expect(stream.record.readyAt).toBeLessThanOrEqual(t0);
  });

  it('a restart-worthy stop (13): the SDK restarts, the simulator accepts it, nothing is a drop', async () => {
    const r = await rig(FAST);
    const stream = r.sim.createStream();
    const session = (await r.client.handleWebhook(stream.webhook('started'))).session!;
    await stream.ready();
    const reconnected = new Promise((resolve) => session.once('reconnected', resolve));
    await r.client.handleWebhook(stream.webhook('stopped', { stopReason: StopReason.SIGNAL_CONNECTION_INTERRUPTED }));
    await reconnected;
    expect(session.state).toBe('streaming');
    expect(stream.record.drops).toEqual([]);
    expect(stream.record.end).toBeUndefined();
  });

  it('terminate() and STREAM_CLOSE_REQ end the stream (record.end, ended) without a webhook; the closes after are no drops', async () => {
    const r = await rig(FAST);
    for (const how of ['terminate', 'close-request'] as const) {
      const stream = r.sim.createStream();
      const seen = watch(stream);
      const session = (await r.client.handleWebhook(stream.webhook('started'))).session!;
      await stream.ready();
      if (how === 'terminate') stream.terminate(StopReason.HOST_TRIGGERED);
      else void session.stop();
      await session.closed();
      await stream.socketsClosed();
      const reason = how === 'terminate' ? 1 : StopReason.RECEIVER_REQUEST_CLOSE;
      expect(seen.ended, how).toEqual([reason]);
      expect(stream.record.end, how).toEqual({ at: expect.any(Number), stopReason: reason, why: how === 'terminate' ? 'terminate()' : 'the client sent STREAM_CLOSE_REQ' });
      expect(seen.webhooks, how).toEqual([]);
      expect(stream.record.drops, how).toEqual([]);
    }
  });

  it('sockets lost before the first signaling handshake, and refused handshakes, are no drops', async () => {
    const s = await sim();
    const stream = s.createStream();
    stream.refuseNextHandshake('signaling', 3);
    const app = new RawClient(stream);
    await app.connectSignaling();
    await until(() => app.signaling.closed !== undefined);
    expect(stream.record.drops).toEqual([]);
  });
});

describe('after the end', () => {
  it('a handshake for a stream that ended is refused as an unknown stream, warned about, and no drop', async () => {
    const s = await sim({ reconnectWindows: { mediaMs: 100 } });
    const stream = s.createStream();
    const seen = watch(stream);
    const app = new RawClient(stream);
    const { socket } = await app.connect();
    socket.ws.terminate();
    await until(() => seen.ended.length === 1, 3_000, 'ended'); // the window passed
    await until(() => app.signaling.closed !== undefined, 3_000, 'signaling closed');
    // The app tries again anyway: signaling, then media straight at the old URL.
    const late = new RawClient(stream);
    const answer = await late.connectSignaling();
    expect(answer).toMatchObject({ msg_type: 2, status_code: 2, reason: 'the stream has ended' });
    expect(answer['media_server']).toBeUndefined();
    await until(() => late.signaling.closed !== undefined, 3_000, 'refused signaling closed');
    const warnings = stream.record.violations.filter((v) => v.rule === 'after-end');
    expect(warnings).toEqual([expect.objectContaining({ severity: 'warning', channel: 'signaling', message: expect.stringMatching(/ended .* ago \(stop reason 19: /) })]);
    expect(stream.record.drops).toHaveLength(1); // only the media socket lost before the end
    expect(stream.isEnded).toBe(true);
  });

  it('the SDK given the start webhook of a stream that ended fails at once with the refusal named', async () => {
    const r = await rig(FAST);
    const stream = r.sim.createStream();
    const started = stream.webhook('started');
    stream.terminate(StopReason.HOST_TRIGGERED);
    const res = await r.client.handleWebhook(started); // e.g. a retried or delayed delivery
    const end = await res.session!.closed();
    expect(end).toMatchObject({ state: 'failed', error: { code: 'RTMS_HANDSHAKE_REJECTED', statusCode: 2, channel: 'signaling' } });
    expect(stream.record.violations.map((v) => v.rule)).toContain('after-end');
    expect(stream.record.readyAt).toBeUndefined();
  });
});

describe('timers', () => {
  it('terminate() clears the windows of pending drops at once', async () => {
    const s = await sim({ keepAliveIntervalMs: 0 });
    const baseline = ourResources(); // the simulator listening, nothing else of ours
    const stream = s.createStream();
    const app = new RawClient(stream);
    const { socket } = await app.connect();
    socket.ws.terminate();
    await until(() => stream.record.drops.length === 1);
    stream.terminate();
    expect(stream.record.drops[0]!.outcome).toBe('stream-ended');
    await until(() => app.signaling.closed !== undefined);
    await expectNoLeaks(baseline);
  });

  it('reconnect windows still running are cleared by sim.close() and deleteStream()', async () => {
    const baseline = ourResources();
    const s = await RtmsSimulator.start({ ...CREDS, keepAliveIntervalMs: 0 });
    const streams = [s.createStream(), s.createStream()];
    const clients: RawClient[] = [];
    for (const stream of streams) {
      const app = new RawClient(stream);
      await app.connect();
      clients.push(app);
    }
    // Both lose media, and the second signaling too: three windows of 30 s and 60 s are running.
    for (const app of clients) app.media[0]!.ws.terminate();
    await until(() => streams[0]!.record.drops.length === 1 && streams[1]!.record.drops.length === 1);
    clients[1]!.signaling.ws.terminate();
    await until(() => streams[1]!.record.drops.length === 2);
    s.deleteStream(streams[0]!.streamId);
    for (const app of clients) app.signaling.ws.terminate();
    await s.close();
    expect(streams.flatMap((st) => st.record.drops.map((d) => d.outcome))).toEqual(['pending', 'pending', 'pending']);
    await expectNoLeaks(baseline);
  });
});
