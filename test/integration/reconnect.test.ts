import { describe, expect, it, onTestFinished } from 'vitest';
import WebSocket from 'ws';
import { MediaTypeBit, MsgType, RtmsClient, StatusCode, StopReason, generateSignature, type ReconnectingInfo, type SessionState } from '../../src/index.js';
import { CREDS, rig, until } from '../helpers.js';

const FAST = { reconnect: { baseDelayMs: 20, maxDelayMs: 80, jitter: 0, maxAttempts: 4 } } as const;

async function streaming(r: Awaited<ReturnType<typeof rig>>) {
  const stream = r.sim.createStream();
  const res = await r.client.handleWebhook(stream.webhook('started'));
  const session = res.session!;
  const states: SessionState[] = [];
  const texts: string[] = [];
  session.on('state', (s) => states.push(s));
  session.on('transcript', (t) => texts.push(t.text));
  await stream.ready();
  await until(() => session.state === 'streaming');
  return { stream, session, states, texts };
}

describe('reconnection', () => {
  it('a dropped media socket is reconnected alone; signaling stays up', async () => {
    const r = await rig(FAST);
    const { stream, session, states, texts } = await streaming(r);
    const info: ReconnectingInfo[] = [];
    session.on('reconnecting', (i) => info.push(i));
    const reconnected = new Promise((resolve) => session.once('reconnected', resolve));
    stream.dropSocket('media');
    await reconnected;
    expect(session.state).toBe('streaming');
    expect(info).toMatchObject([{ scope: 'media', attempt: 1, delayMs: 0 }]);
    expect(states).toEqual(['handshaking', 'streaming', 'reconnecting', 'streaming']);
    expect(stream.record.signalingConnections).toBe(1);
    expect(stream.record.mediaConnections).toBe(2);
    await stream.ready();
    stream.sendTranscript({ text: 'after' });
    await until(() => texts.includes('after'));
    expect(stream.errors).toEqual([]);
  });

  it('a dropped signaling socket triggers a full reconnect (signaling, media, ready ack)', async () => {
    const r = await rig(FAST);
    const { stream, session } = await streaming(r);
    const reconnected = new Promise<{ scope: string }>((resolve) => session.once('reconnected', resolve));
    stream.dropSocket('signaling');
    expect((await reconnected).scope).toBe('full');
    expect(stream.record.signalingConnections).toBe(2);
    expect(stream.record.mediaConnections).toBe(2);
    await until(() => stream.record.readyAcks === 2, 2_000, 'second ready ack');
    // never two signaling sockets at once: the simulator refuses a duplicate with status 8 and records it
    expect(stream.errors).toEqual([]);
  });

  it('an rtms_interrupted webhook reconnects both channels even if the sockets look open', async () => {
    const r = await rig(FAST);
    const { stream, session } = await streaming(r);
    const reconnected = new Promise<{ scope: string }>((resolve) => session.once('reconnected', resolve));
    const res = await r.client.handleWebhook(stream.webhook('interrupted'));
    expect(res.status).toBe(200);
    expect((await reconnected).scope).toBe('full');
    expect(stream.record.signalingConnections).toBe(2);
    expect(stream.errors).toEqual([]);
  });

  it('a MEDIA_CONNECTION_INTERRUPTED event reconnects media only', async () => {
    const r = await rig(FAST);
    const { stream, session } = await streaming(r);
    const reconnected = new Promise<{ scope: string }>((resolve) => session.once('reconnected', resolve));
    stream.sendEvent({ event_type: 7 });
    expect((await reconnected).scope).toBe('media');
    expect(stream.record.signalingConnections).toBe(1);
    expect(stream.record.mediaConnections).toBe(2);
  });

  it('a second rtms_started with new server_urls fails over to the new URL on the same session', async () => {
    const r = await rig(FAST);
    const { stream, session } = await streaming(r);
    const sessions: unknown[] = [];
    r.client.on('session', (s) => sessions.push(s));
    const newUrl = stream.serverUrls.replace('127.0.0.1', 'localhost');
    const reconnected = new Promise((resolve) => session.once('reconnected', resolve));
    const res = await r.client.handleWebhook(stream.webhook('started', { serverUrls: newUrl }));
    expect(res.session).toBe(session);
    await reconnected;
    expect(sessions).toEqual([]);
    expect(session.identity.serverUrl).toBe(newUrl);
    expect(stream.record.signalingConnections).toBe(2);
  });

  it('spends a bounded budget with growing delays, then fails with the last cause', async () => {
    const r = await rig(FAST);
    const { stream, session } = await streaming(r);
    const info: ReconnectingInfo[] = [];
    session.on('reconnecting', (i) => info.push(i));
    stream.refuseNextHandshake('signaling', StatusCode.STATUS_DUPLICATE_SIGNAL_REQUEST); // retryable
    await r.sim.close(); // the server is gone: every attempt fails to connect
    const end = await session.closed();
    expect(end.state).toBe('failed');
    expect(end.error?.code).toBe('RTMS_CONNECT_FAILED');
    expect(info.map((i) => i.attempt)).toEqual([1, 2, 3, 4]);
    expect(info.map((i) => i.delayMs)).toEqual([0, 20, 40, 80]);
  });

  it('a non-retryable refusal while reconnecting ends the session at once', async () => {
    const r = await rig(FAST);
    const { stream, session } = await streaming(r);
    stream.refuseNextHandshake('signaling', StatusCode.STATUS_INVALID_SIGNATURE);
    stream.dropSocket('signaling');
    const end = await session.closed();
    expect(end.error).toMatchObject({ code: 'RTMS_HANDSHAKE_REJECTED', statusCode: 3 });
  });

  it('a retryable refusal (duplicate signal request) is retried', async () => {
    const r = await rig(FAST);
    const { stream, session } = await streaming(r);
    stream.refuseNextHandshake('signaling', StatusCode.STATUS_DUPLICATE_SIGNAL_REQUEST);
    const reconnected = new Promise((resolve) => session.once('reconnected', resolve));
    stream.dropSocket('signaling');
    expect(await reconnected).toMatchObject({ scope: 'full', attempts: 2 });
  });

  it('does not reconnect after a stop webhook, stop() or a terminated stream', async () => {
    const r = await rig(FAST);
    for (const how of ['webhook', 'stop', 'terminate'] as const) {
      const { stream, session } = await streaming(r);
      let reconnects = 0;
      session.on('reconnecting', () => reconnects++);
      if (how === 'webhook') await r.client.handleWebhook(stream.webhook('stopped'));
      if (how === 'stop') void session.stop({ closeStream: false });
      if (how === 'terminate') stream.terminate();
      const end = await session.closed();
      expect(end.state, how).toBe('stopped');
      stream.dropSocket('signaling');
      await new Promise((res) => setTimeout(res, 50));
      expect(reconnects, how).toBe(0);
    }
  });

  it('an rtms_stopped with a restart-worthy reason (10-19, 24) triggers one full restart', async () => {
    const r = await rig(FAST);
    const { stream, session } = await streaming(r);
    const reconnected = new Promise((resolve) => session.once('reconnected', resolve));
    await r.client.handleWebhook(stream.webhook('stopped', { stopReason: StopReason.SIGNAL_CONNECTION_INTERRUPTED }));
    await reconnected;
    expect(session.state).toBe('streaming');
    expect(stream.record.signalingConnections).toBe(2);
  });

  it('the idle watchdog treats a half-open (frozen) server as a dropped socket and reconnects', async () => {
    const r = await rig({ ...FAST, idleTimeoutMs: 150 }, { keepAliveIntervalMs: 40 });
    const { stream, session } = await streaming(r);
    stream.freeze();
    const info = await new Promise<ReconnectingInfo>((resolve) => session.once('reconnecting', resolve));
    expect(info.cause.code).toBe('RTMS_IDLE_TIMEOUT');
    await new Promise((resolve) => session.once('reconnected', resolve));
    await session.stop({ closeStream: false });
  });
});

describe('slow consumers and shutdown', () => {
  it('an async iterator reads transcripts with a bounded buffer and ends with the session', async () => {
    const r = await rig();
    const stream = r.sim.createStream();
    const res = await r.client.handleWebhook(stream.webhook('started'));
    const session = res.session!;
    const it = session.transcripts({ highWaterMark: 5 });
    const audio = session.audio({ highWaterMark: 2, overflow: 'drop-newest' });
    await stream.ready();
    await until(() => session.state === 'streaming');
    for (let i = 0; i < 20; i++) stream.sendTranscript({ text: `t${i}` });
    for (let i = 0; i < 4; i++) stream.sendAudio({ data: Buffer.from([i, i]) });
    await until(() => it.dropped === 15 && audio.dropped === 2, 2_000, 'drops');
    await session.stop();
    const texts: string[] = [];
    for await (const t of it) texts.push(t.text);
    expect(texts).toEqual(['t15', 't16', 't17', 't18', 't19']);
    const frames: number[] = [];
    for await (const a of audio) frames.push(a.data[0]!);
    expect(frames).toEqual([0, 1]);
    expect(session.listenerCount('transcript')).toBe(0);
  });

  it('stop() with an aborted signal cuts the sockets at once and still resolves', async () => {
    const r = await rig();
    const stream = r.sim.createStream();
    const res = await r.client.handleWebhook(stream.webhook('started'));
    await stream.ready();
    const end = await res.session!.stop({ signal: AbortSignal.abort() });
    expect(end.state).toBe('stopped');
    await stream.socketsClosed();
  });

  it('stop() is bounded when the server never answers STREAM_CLOSE_REQ or the close handshake', async () => {
    const r = await rig({ stopTimeoutMs: 100, closeTimeoutMs: 100 });
    const stream = r.sim.createStream();
    const res = await r.client.handleWebhook(stream.webhook('started'));
    await stream.ready();
    stream.freeze(); // the server stops reading: no close response, no STREAM_CLOSE_RESP will come
    const t0 = Date.now();
    const end = await res.session!.stop();
    expect(end.state).toBe('stopped');
    expect(Date.now() - t0).toBeLessThan(1_000);
  });
});

describe('per-speaker iterators', () => {
  it('a filter gives each speaker its own bounded queue', async () => {
    const r = await rig({ mediaParams: { audio: { dataOption: 'multi' } } });
    const stream = r.sim.createStream();
    const res = await r.client.handleWebhook(stream.webhook('started'));
    const session = res.session!;
    const ada = session.audio({ filter: (a) => a.userId === 1, highWaterMark: 2 });
    const grace = session.audio({ filter: (a) => a.userId === 2, highWaterMark: 10 });
    await stream.ready();
    await until(() => session.state === 'streaming');
    for (let i = 0; i < 5; i++) {
      stream.sendAudio({ data: Buffer.from([i]), userId: 1 });
      stream.sendAudio({ data: Buffer.from([10 + i]), userId: 2 });
    }
    await until(() => grace.buffered === 5, 2_000, 'grace frames');
    expect(ada.buffered).toBe(2);
    expect(ada.dropped).toBe(3);
    expect(grace.dropped).toBe(0);
    await session.stop();
    const bytes = async (it: AsyncIterable<{ data: Buffer }>) => {
      const out: number[] = [];
      for await (const a of it) out.push(a.data[0]!);
      return out;
    };
    expect(await bytes(ada)).toEqual([3, 4]);
    expect(await bytes(grace)).toEqual([10, 11, 12, 13, 14]);
  });
});

describe('two clients on one stream (never do this; the simulator shows what Zoom may do)', () => {
  async function twoClients(duplicateConnection: 'reject' | 'kick') {
    const r = await rig({ reconnect: false }, { duplicateConnection });
    const stream = r.sim.createStream();
    const first = (await r.client.handleWebhook(stream.webhook('started'))).session!;
    await stream.ready();
    await until(() => first.state === 'streaming');
    const other = new RtmsClient({ ...CREDS, ...FAST });
    onTestFinished(() => other.close());
    const second = (await other.handleWebhook(stream.webhook('started'))).session!;
    return { r, stream, first, second };
  }

  it("reject (Zoom's data-type reference): the second is refused with status 8 and the first streams on", async () => {
    const { stream, first, second } = await twoClients('reject');
    const end = await second.closed();
    expect(end.state).toBe('failed');
    expect(end.error).toMatchObject({ code: 'RTMS_HANDSHAKE_REJECTED', statusCode: StatusCode.STATUS_DUPLICATE_SIGNAL_REQUEST });
    const text = new Promise<string>((resolve) => first.once('transcript', (t) => resolve(t.text)));
    stream.sendTranscript({ text: 'still mine' });
    expect(await text).toBe('still mine');
    expect(first.state).toBe('streaming');
    expect(stream.record.violations.filter((v) => v.rule === 'one-connection').length).toBeGreaterThan(0);
  });

  it("kick (Zoom's agent-skills text): the second takes the stream over and the first is closed by the server", async () => {
    const { stream, first, second } = await twoClients('kick');
    await until(() => second.state === 'streaming');
    const end = await first.closed(); // reconnect: false, so the first client's session ends instead of fighting back
    expect(end.state).toBe('failed');
    const text = new Promise<string>((resolve) => second.once('transcript', (t) => resolve(t.text)));
    stream.sendTranscript({ text: 'now yours' });
    expect(await text).toBe('now yours');
    // The first client's signaling socket is kicked; its media socket goes either way (its session closes it after
    // losing signaling, or the second client's media handshake kicks it first).
    expect(stream.record.closes.filter((c) => c.channel === 'signaling')).toEqual([{ channel: 'signaling', code: 1000, by: 'server' }]);
    expect(stream.record.closes.filter((c) => c.channel === 'media')).toHaveLength(1);
    expect(stream.record.violations.filter((v) => v.rule === 'one-connection').map((v) => v.channel)).toContain('signaling');
    expect(stream.record.signalingConnections).toBe(2);
  });

  it('kick applies to media sockets too: a second media connection for the same kinds closes the first with 1000', async () => {
    const r = await rig({ reconnect: false }, { duplicateConnection: 'kick' });
    const stream = r.sim.createStream();
    const session = (await r.client.handleWebhook(stream.webhook('started'))).session!;
    await stream.ready();
    await until(() => session.state === 'streaming');
    // A second media connection for the same stream and kinds, with a valid handshake, straight over ws.
    const ws = new WebSocket(`${r.sim.baseUrl}/rtms/media/all`);
    onTestFinished(() => ws.terminate());
    const answer = new Promise<Record<string, unknown>>((resolve) => ws.once('message', (d: Buffer) => resolve(JSON.parse(d.toString()) as Record<string, unknown>)));
    await new Promise((resolve) => ws.once('open', resolve));
    const signature = generateSignature({ clientId: CREDS.clientId, clientSecret: CREDS.clientSecret, id: stream.productId, streamId: stream.streamId });
    ws.send(JSON.stringify({ msg_type: MsgType.DATA_HAND_SHAKE_REQ, protocol_version: 1, sequence: 1, meeting_uuid: stream.productId, rtms_stream_id: stream.streamId, signature, media_type: MediaTypeBit.AUDIO | MediaTypeBit.TRANSCRIPT, payload_encryption: false }));
    expect(await answer).toMatchObject({ msg_type: MsgType.DATA_HAND_SHAKE_RESP, status_code: StatusCode.STATUS_OK });
    const end = await session.closed(); // its media socket was kicked, and it may not reconnect
    expect(end.state).toBe('failed');
    expect(stream.record.closes.filter((c) => c.channel === 'media' && c.by === 'server')).toEqual([{ channel: 'media', code: 1000, by: 'server' }]);
    expect(stream.record.violations.filter((v) => v.rule === 'one-connection').map((v) => v.channel)).toEqual(['media']);
  });
});
