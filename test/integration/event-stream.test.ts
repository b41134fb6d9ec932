import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { RtmsError, StopReason, type EventStreamConnected, type EventStreamDisconnected, type RtmsSession, type SessionState } from '../../src/index.js';
import { CREDS, expectNoLeaks, ourResources, recordingLogger, rig, until } from '../helpers.js';

type Rig = Awaited<ReturnType<typeof rig>>;

/** Opens the event stream against the simulator and waits for its first connection. */
async function connect(r: Rig, options: { heartbeatMs?: number; baseDelayMs?: number } = {}) {
  const connected: EventStreamConnected[] = [];
  const disconnected: EventStreamDisconnected[] = [];
  r.client.on('eventStreamConnected', (i) => connected.push(i));
  r.client.on('eventStreamDisconnected', (i) => disconnected.push(i));
  const events = r.client.connectEvents({ url: r.sim.eventSocketUrl, tokenUrl: r.sim.tokenUrl, ...options });
  await until(() => connected.length === 1, 5_000, 'event stream connected');
  return { events, connected, disconnected };
}

/** The session the next `session` event announces. */
function nextSession(r: Rig): Promise<RtmsSession> {
  return new Promise((resolve) => r.client.once('session', resolve));
}

/** A stream started by an `rtms_started` over the event socket, and its session once streaming. */
async function startedOverEvents(r: Rig) {
  const stream = r.sim.createStream();
  const next = nextSession(r);
  stream.deliverEvent('started');
  const session = await next;
  await stream.ready();
  await until(() => session.state === 'streaming');
  return { stream, session };
}

describe('event-subscription WebSocket', () => {
  it('started → transcripts → stopped arrive through the event socket, with heartbeats, and no secret is logged', async () => {
    const logger = recordingLogger();
    const r = await rig({ logger });
    const { events, connected } = await connect(r, { heartbeatMs: 100 });
    expect(connected[0]).toEqual({ url: r.sim.eventSocketUrl.split('?')[0], reconnects: 0, rotated: false });
    expect(events.state).toBe('connected');

    const stream = r.sim.createStream();
    const next = nextSession(r);
    expect(stream.deliverEvent('started')).toBe(1);
    const session = await next;
    await stream.ready();
    await until(() => session.state === 'streaming');
    const texts: string[] = [];
    session.on('transcript', (t) => texts.push(t.text));
    for (const text of ['one', 'two', 'three']) stream.sendTranscript({ userId: 1, userName: 'Ada', text });
    await until(() => texts.length === 3);
    expect(texts).toEqual(['one', 'two', 'three']);

    expect(stream.deliverEvent('stopped', { stopReason: StopReason.HOST_TRIGGERED })).toBe(1);
    const end = await session.closed();
    expect(end).toMatchObject({ state: 'stopped', cause: 'webhook_stopped', stopReason: StopReason.HOST_TRIGGERED });
    expect(r.client.stats().webhooks.accepted).toBe(2);

    await until(() => r.sim.eventRecord.heartbeats >= 3);
    expect(r.sim.eventRecord.tokenRequests).toEqual([expect.objectContaining({ status: 200 })]);

    const shown = [logger.lines.join('\n'), inspect(events), JSON.stringify(events), inspect(r.client)].join('\n');
    expect(shown).not.toContain(CREDS.clientSecret);
    expect(shown).not.toContain('access_token');
    await events.close();
    expect(await events.closed()).toEqual({ state: 'closed', error: undefined });
    await until(() => r.sim.openEventSockets === 0);
  });

  it('the event socket drops mid-meeting and reconnects while the media sockets keep streaming', async () => {
    const r = await rig();
    const { connected, disconnected } = await connect(r);
    const { stream, session } = await startedOverEvents(r);
    const states: SessionState[] = [];
    session.on('state', (s) => states.push(s));
    const texts: string[] = [];
    session.on('transcript', (t) => texts.push(t.text));

    let sent = 0;
    const timer = setInterval(() => stream.sendTranscript({ userId: 1, userName: 'Ada', text: `line ${sent++}` }), 10);
    try {
      await until(() => texts.length >= 5);
      r.sim.dropEventSockets();
      await until(() => disconnected.length === 1 && connected.length === 2, 5_000, 'event stream reconnected');
      await until(() => texts.length >= sent - 1 && sent > 20);
    } finally {
      clearInterval(timer);
    }
    await until(() => texts.length === sent);
    expect(texts).toEqual(Array.from({ length: sent }, (_, i) => `line ${i}`)); // no gap, no reorder
    expect(states).toEqual([]); // the session never left streaming
    expect(disconnected[0]!.error.code).toBe('RTMS_CONNECTION_LOST');
    expect(disconnected[0]!.retryInMs).toBe(0); // first retry at once
    expect(connected[1]).toMatchObject({ reconnects: 1, rotated: false });
    expect(r.sim.eventRecord.tokenRequests.length).toBe(1); // the token was still valid: reused

    // The reconnected socket carries the stop.
    expect(stream.deliverEvent('stopped')).toBe(1);
    expect(await session.closed()).toMatchObject({ state: 'stopped', cause: 'webhook_stopped' });
  });

  it('refreshes the token before it expires and replaces the socket without a gap', async () => {
    const r = await rig({}, { eventTokenTtlSeconds: 2 });
    const { connected, disconnected } = await connect(r);
    // Tokens of 2 s are replaced 0.5 s before they expire: at about 1.5 s and 3 s.
    await until(() => connected.length >= 3, 6_000, 'two rotations');
    expect(connected.slice(1).every((c) => c.rotated)).toBe(true);
    expect(disconnected).toEqual([]);
    expect(r.sim.eventRecord.tokenRequests.length).toBeGreaterThanOrEqual(3);
    expect(r.sim.eventRecord.tokenRequests.every((t) => t.status === 200)).toBe(true);
    await until(() => r.sim.openEventSockets === 1);
    // The simulator closes a socket whose token expired: none was left open that long.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(r.sim.eventRecord.expiredClosures).toBe(0);

    const stream = r.sim.createStream();
    const next = nextSession(r);
    expect(stream.deliverEvent('started')).toBe(1);
    const session = await next;
    await stream.ready();
    stream.deliverEvent('stopped');
    expect(await session.closed()).toMatchObject({ state: 'stopped', cause: 'webhook_stopped' });
  });

  it('a refused credential is a typed error that ends the stream, with no retry storm', async () => {
    const logger = recordingLogger();
    const r = await rig({ clientSecret: 'wrong-secret-DO-NOT-LOG', logger });
    const errors: RtmsError[] = [];
    r.client.on('error', (e) => errors.push(e));
    const events = r.client.connectEvents({ url: r.sim.eventSocketUrl, tokenUrl: r.sim.tokenUrl, baseDelayMs: 10 });
    const end = await events.closed();
    expect(end.state).toBe('failed');
    expect(end.error).toBeInstanceOf(RtmsError);
    expect(end.error!.code).toBe('RTMS_EVENT_STREAM_AUTH');
    expect(end.error!.statusCode).toBe(401);
    expect(errors.map((e) => e.code)).toEqual(['RTMS_EVENT_STREAM_AUTH']);
    expect(events.state).toBe('failed');
    // Over a window where a 10 ms backoff would have made dozens of requests: exactly one.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(r.sim.eventRecord.tokenRequests).toEqual([expect.objectContaining({ status: 401 })]);
    expect(r.sim.eventRecord.connections).toBe(0);
    expect([end.error!.message, logger.lines.join('\n')].join('\n')).not.toContain('wrong-secret-DO-NOT-LOG');
  });

  it('a refused socket upgrade backs off with a growing delay', async () => {
    const r = await rig();
    const disconnected: EventStreamDisconnected[] = [];
    r.client.on('eventStreamDisconnected', (i) => disconnected.push(i));
    // An event URL the simulator does not serve: every upgrade fails.
    const url = r.sim.eventSocketUrl.replace('/ws?', '/nowhere?');
    const events = r.client.connectEvents({ url, tokenUrl: r.sim.tokenUrl, baseDelayMs: 50, jitter: 0 });
    await until(() => disconnected.length >= 4);
    await events.close();
    expect(disconnected.slice(0, 4).map((d) => d.retryInMs)).toEqual([0, 50, 100, 200]);
    expect(disconnected.every((d) => d.error.code === 'RTMS_CONNECT_FAILED')).toBe(true);
    // A socket that never opened drops its token: each attempt fetches a new one.
    expect(r.sim.eventRecord.tokenRequests.length).toBeGreaterThanOrEqual(4);
  });

  it('client.health() counts the event streams: ok while open, degraded while the socket is down', async () => {
    const r = await rig();
    expect(r.client.health().eventStreams).toEqual({ total: 0, connected: 0, connecting: 0, reconnecting: 0, standby: 0 });
    const { events, connected, disconnected } = await connect(r);
    await until(() => r.client.health().ready);
    expect(r.client.health()).toMatchObject({ status: 'ok', eventStreams: { total: 1, connected: 1, reconnecting: 0 } });
    expect(JSON.parse(r.client.healthResponse().body)).toMatchObject({ eventStreams: { total: 1, connected: 1, reconnecting: 0 } });

    // A stream whose socket is refused at every attempt (a URL the simulator does not serve) stays down, retrying.
    await events.close();
    const down = r.client.connectEvents({ url: r.sim.eventSocketUrl.replace('/ws?', '/nowhere?'), tokenUrl: r.sim.tokenUrl, baseDelayMs: 50 });
    await until(() => disconnected.length >= 1);
    const h = r.client.health();
    expect(h.status).toBe('degraded');
    expect(h.eventStreams).toMatchObject({ total: 1, connected: 0, standby: 0 });
    expect(h.eventStreams.connecting + h.eventStreams.reconnecting).toBe(1);
    expect(r.client.healthResponse().status).toBe(200); // degraded is still ready
    expect(JSON.parse(r.client.healthResponse().body)).toMatchObject({ status: 'degraded', eventStreams: { total: 1, connected: 0, reconnecting: 1 } });
    await down.close();
    expect(connected.length).toBeGreaterThanOrEqual(1);
    expect(r.client.health()).toMatchObject({ status: 'ok', eventStreams: { total: 0 } }); // a closed stream has left
  });

  it('an unreachable token endpoint is an outage, retried with backoff (not a credential error)', async () => {
    const r = await rig();
    const { createServer } = await import('node:net');
    // A port that was free a moment ago: nothing listens there.
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const disconnected: EventStreamDisconnected[] = [];
    const errors: RtmsError[] = [];
    r.client.on('eventStreamDisconnected', (i) => disconnected.push(i));
    r.client.on('error', (e) => errors.push(e));
    const events = r.client.connectEvents({ url: r.sim.eventSocketUrl, tokenUrl: `http://127.0.0.1:${port}/oauth/token`, baseDelayMs: 20, jitter: 0 });
    await until(() => disconnected.length >= 3);
    expect(events.state).toBe('connecting');
    expect(disconnected.every((d) => d.error.code === 'RTMS_CONNECT_FAILED')).toBe(true);
    expect(disconnected.slice(0, 3).map((d) => d.retryInMs)).toEqual([0, 20, 40]);
    expect(errors).toEqual([]);
    await events.close();
    expect(events.state).toBe('closed');
  });

  it('interruptions, account events, duplicates and other modules arrive as the webhook path would handle them', async () => {
    const r = await rig();
    await connect(r);
    const { stream, session } = await startedOverEvents(r);

    // rtms_interrupted: the session reconnects both channels.
    const states: SessionState[] = [];
    session.on('state', (s) => states.push(s));
    stream.deliverEvent('interrupted');
    await until(() => states.includes('reconnecting') && session.state === 'streaming');

    // An account event, then the same body twice (a copy, e.g. from a second socket): handled once.
    const near: unknown[] = [];
    r.client.on('concurrencyNearLimit', (i) => near.push(i));
    const body = { event: 'rtms.concurrency_near_limit', event_ts: 1_700_000_000_000, payload: { concurrency_limit: 2000, concurrency_number: 1700, percentage: 85 } };
    r.sim.deliverEvent(body);
    r.sim.deliverEvent(body);
    await until(() => near.length === 1);
    expect(near[0]).toEqual({ concurrencyLimit: 2000, concurrencyNumber: 1700, percentage: 85 });

    // A content that is not a webhook body is refused like a bad webhook; it does not break the stream.
    const rejected: string[] = [];
    r.client.on('webhookRejected', (w) => rejected.push(w.code));
    r.sim.deliverEvent({ event: '', payload: {} });
    await until(() => rejected.length === 1);
    expect(rejected).toEqual(['RTMS_WEBHOOK_BODY_INVALID']);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(near.length).toBe(1);

    stream.deliverEvent('stopped');
    expect(await session.closed()).toMatchObject({ state: 'stopped', cause: 'webhook_stopped' });
  });

  it("with eventSocketReactions the simulator sends Zoom's own rtms_interrupted over the event socket", async () => {
    const r = await rig({}, { eventSocketReactions: true });
    await connect(r);
    const { stream, session } = await startedOverEvents(r);
    const webhooks: string[] = [];
    r.client.on('webhook', (w) => webhooks.push(w.event));
    stream.dropSocket('signaling');
    await until(() => webhooks.includes('meeting.rtms_interrupted'), 5_000, 'rtms_interrupted over the event socket');
    await until(() => session.state === 'streaming' && stream.record.drops.at(-1)?.outcome === 'reconnected');
    expect(r.sim.eventRecord.delivered).toBeGreaterThanOrEqual(2);
  });

  it('a socket factory that throws is an outage, not an exception, and the token stays out of the error', async () => {
    const r = await rig({
      socketFactory: (url) => {
        throw new Error(`cannot open ${url}`);
      },
    });
    const disconnected: EventStreamDisconnected[] = [];
    r.client.on('eventStreamDisconnected', (i) => disconnected.push(i));
    const events = r.client.connectEvents({ url: r.sim.eventSocketUrl, tokenUrl: r.sim.tokenUrl, baseDelayMs: 20 });
    await until(() => disconnected.length >= 2);
    await events.close();
    expect(disconnected[0]!.error.code).toBe('RTMS_CONNECT_FAILED');
    expect(disconnected[0]!.error.message).toContain('access_token=…');
    expect(disconnected[0]!.error.message).not.toMatch(/access_token=[^…]/);
    expect(disconnected[0]!.error.cause).toBeUndefined();
  });

  it('applies the URL allow-list to the event and token URLs', async () => {
    const r = await rig();
    const code = (f: () => unknown) => {
      try {
        f();
        return undefined;
      } catch (e) {
        return (e as RtmsError).code;
      }
    };
    expect(code(() => r.client.connectEvents({ url: 'wss://events.example.com/ws' }))).toBe('RTMS_URL_REJECTED');
    expect(code(() => r.client.connectEvents({ url: 'ws://ws.zoom.us/ws' }))).toBe('RTMS_URL_REJECTED');
    expect(code(() => r.client.connectEvents({ url: r.sim.eventSocketUrl, tokenUrl: 'http://zoom.us/oauth/token' }))).toBe('RTMS_URL_REJECTED');
    expect(code(() => r.client.connectEvents({ url: r.sim.eventSocketUrl, tokenUrl: 'https://evil.example.com/oauth/token' }))).toBe('RTMS_URL_REJECTED');
    expect(code(() => r.client.connectEvents({ url: '' }))).toBe('RTMS_INVALID_OPTIONS');
    expect(code(() => r.client.connectEvents({ url: r.sim.eventSocketUrl, tokenUrl: r.sim.tokenUrl, heartbeatMs: 0 }))).toBe('RTMS_INVALID_OPTIONS');
  });

  it('client.close() closes the event stream and leaves no socket or timer behind', async () => {
    const baseline = ourResources();
    const r = await rig();
    const { events } = await connect(r, { heartbeatMs: 50 });
    await r.client.close();
    expect(await events.closed()).toEqual({ state: 'closed', error: undefined });
    await until(() => r.sim.openEventSockets === 0);
    expect(() => r.client.connectEvents({ url: r.sim.eventSocketUrl })).toThrow(RtmsError);
    await r.sim.close();
    await expectNoLeaks(baseline);
  });
});
