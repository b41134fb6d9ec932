/**
 * Operations, end to end against the simulator: `session.stats()` and `client.stats()`, the diagnostics
 * channels, `client.health()` with its load-balancer answer, and the Web-standard `fetchHandler()` driven with
 * Node's global Request and Response.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { inspect } from 'node:util';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  DIAGNOSTICS_CHANNELS,
  LocalCoordinator,
  RtmsClient,
  StatusCode,
  type CoordinatorStatus,
  type ErrorMessage,
  type ReconnectMessage,
  type SessionStateMessage,
  type StreamCoordinator,
  type WebhookMessage,
} from '../../src/index.js';
import { createApp } from '../../examples/web-standard/hono.js';
import { CREDS, rig, until, type Rig } from '../helpers.js';

const FAST = { reconnect: { baseDelayMs: 10, maxDelayMs: 40, jitter: 0, maxAttempts: 4 } } as const;

async function streaming(r: Rig) {
  const stream = r.sim.createStream();
  const res = await r.client.handleWebhook(stream.webhook('started'));
  const session = res.session!;
  await stream.ready();
  await until(() => session.state === 'streaming', 5_000, 'streaming');
  return { stream, session };
}

function subscribeAll() {
  const got = { state: [] as SessionStateMessage[], webhook: [] as WebhookMessage[], error: [] as ErrorMessage[], reconnect: [] as ReconnectMessage[] };
  const subs: Array<[string, (m: unknown) => void]> = [
    [DIAGNOSTICS_CHANNELS.sessionState, (m) => got.state.push(m as SessionStateMessage)],
    [DIAGNOSTICS_CHANNELS.webhook, (m) => got.webhook.push(m as WebhookMessage)],
    [DIAGNOSTICS_CHANNELS.error, (m) => got.error.push(m as ErrorMessage)],
    [DIAGNOSTICS_CHANNELS.reconnect, (m) => got.reconnect.push(m as ReconnectMessage)],
  ];
  for (const [name, fn] of subs) diagnosticsChannel.subscribe(name, fn);
  onTestFinished(() => {
    for (const [name, fn] of subs) diagnosticsChannel.unsubscribe(name, fn);
  });
  return got;
}

describe('stats', () => {
  it('session.stats() counts media per kind, errors, keep-alives, reconnects, downtime, drops; client.stats() sums them', async () => {
    const r = await rig(FAST, { keepAliveIntervalMs: 20 });
    const { stream, session } = await streaming(r);
    const texts: string[] = [];
    session.on('transcript', (t) => texts.push(t.text));
    const slow = session.audio({ highWaterMark: 1 }); // never read: drops all but one
    expect(session.stats().lastFrameAgeMs).toBeUndefined();

    for (let i = 0; i < 3; i++) stream.sendAudio({ data: new Uint8Array(30) }); // 40 base64 characters each
    stream.sendTranscript({ text: 'hello' });
    stream.sendTranscript({ text: 'bye' });
    await until(() => texts.length === 2, 2_000, 'transcripts');
    stream.sendRaw('media', '{"msg_type": 14, "content": ');
    await until(() => session.stats().frameErrors === 1, 2_000, 'frame error');
    await until(() => session.stats().keepAlivesAnswered > 0, 2_000, 'keep-alive');

    let s = session.stats();
    expect(s.streamId).toBe(session.id);
    expect(s.state).toBe('streaming');
    expect(s.media.audio).toEqual({ frames: 3, bytes: 120 });
    expect(s.media.transcript).toEqual({ frames: 2, bytes: 8 });
    expect(s.media.video).toEqual({ frames: 0, bytes: 0 });
    expect(s.iteratorDrops).toBe(2);
    expect(slow.dropped).toBe(2);
    expect(s.lastFrameAgeMs).toBeGreaterThanOrEqual(0);
    expect(s.framesReceived).toBeGreaterThan(6);
    expect(s.reconnects).toBe(0);
    expect(s.downtimeMs).toBe(0);
    expect(Object.isFrozen(s)).toBe(true);

    const reconnected = new Promise((resolve) => session.once('reconnected', resolve));
    stream.dropSocket('media');
    await reconnected;
    s = session.stats();
    expect(s.reconnects).toBe(1);
    expect(s.downtimeMs).toBeGreaterThanOrEqual(0);
    expect(s.media.audio.frames).toBe(3); // counts survive the socket that carried them

    await r.client.handleWebhook({ headers: { ...stream.webhook('started').headers, 'x-zm-signature': 'v0=bad' }, body: stream.webhook('started').body });
    let c = r.client.stats();
    expect(c.liveSessions).toBe(1);
    expect(c.sessions.streaming).toBe(1);
    expect(c.webhooks).toEqual({ received: 2, accepted: 1, rejected: 1, rejectedByCode: { RTMS_WEBHOOK_SIGNATURE_INVALID: 1 } });
    expect(c.totals).toMatchObject({ sessionsCreated: 1, sessionsStopped: 0, sessionsFailed: 0, reconnects: 1 });
    expect(c.totals.media.audio.frames).toBe(3);

    await session.stop();
    await until(() => r.client.sessions.size === 0, 2_000, 'session gone');
    c = r.client.stats();
    expect(c.liveSessions).toBe(0);
    expect(c.totals).toMatchObject({ sessionsCreated: 1, sessionsStopped: 1, iteratorDrops: 2, frameErrors: 1 });
    expect(c.totals.media.transcript).toEqual({ frames: 2, bytes: 8 });
  });

  it('downtime counts the outage under way and the one a session ends in, and never decreases', async () => {
    const r = await rig({ reconnect: { baseDelayMs: 150, maxDelayMs: 150, jitter: 0, maxAttempts: 5 } });
    const { stream, session } = await streaming(r);
    stream.refuseNextHandshake('media', StatusCode.STATUS_DUPLICATE_MEDIA_DATA_CONNECTION); // attempt 1 fails, attempt 2 waits 150 ms
    stream.dropSocket('media');
    await until(() => session.state === 'reconnecting', 2_000, 'reconnecting');
    await new Promise((resolve) => setTimeout(resolve, 40));
    const during = session.stats();
    expect(during.state).toBe('reconnecting');
    expect(during.downtimeMs).toBeGreaterThanOrEqual(30);
    expect(during.reconnects).toBe(0);
    await session.stop();
    const after = session.stats();
    expect(after.downtimeMs).toBeGreaterThanOrEqual(during.downtimeMs);
    await until(() => r.client.sessions.size === 0, 2_000, 'session gone');
    expect(r.client.stats().totals.downtimeMs).toBe(after.downtimeMs);
  });

  it('lastFrameAgeMs grows while no media arrives and resets when some does', async () => {
    const r = await rig();
    const { stream, session } = await streaming(r);
    stream.sendTranscript({ text: 'a' });
    await until(() => session.stats().media.transcript.frames === 1, 2_000, 'frame');
    const first = session.stats().lastFrameAgeMs!;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(session.stats().lastFrameAgeMs!).toBeGreaterThanOrEqual(first + 50);
    stream.sendTranscript({ text: 'b' });
    await until(() => session.stats().media.transcript.frames === 2, 2_000, 'frame');
    expect(session.stats().lastFrameAgeMs).toBeLessThan(50);
  });
});

describe('diagnostics channels', () => {
  it('publishes session states, webhooks, errors and reconnects, without secrets', async () => {
    const got = subscribeAll();
    const r = await rig(FAST);
    const { stream, session } = await streaming(r);
    stream.sendRaw('media', 'not json');
    await until(() => got.error.length === 1, 2_000, 'error message');
    const reconnected = new Promise((resolve) => session.once('reconnected', resolve));
    stream.dropSocket('media');
    await reconnected;
    await r.client.handleWebhook({ headers: { ...stream.webhook('stopped').headers, 'x-zm-signature': 'v0=bad' }, body: stream.webhook('stopped').body });
    await session.stop();

    const mine = got.state.filter((m) => m.streamId === session.id);
    expect(mine.map((m) => [m.previous, m.state])).toEqual([
      [undefined, 'connecting'],
      ['connecting', 'handshaking'],
      ['handshaking', 'streaming'],
      ['streaming', 'reconnecting'],
      ['reconnecting', 'streaming'],
      ['streaming', 'stopping'],
      ['stopping', 'stopped'],
    ]);
    expect(mine[0]!.session).toBe(session);
    expect(mine[0]!.product).toBe('meeting');
    expect(got.webhook).toEqual([
      { event: 'meeting.rtms_started', status: 200, outcome: 'accepted', code: undefined, streamId: session.id },
      { event: undefined, status: 401, outcome: 'rejected', code: 'RTMS_WEBHOOK_SIGNATURE_INVALID', streamId: undefined },
    ]);
    expect(got.error).toHaveLength(1);
    expect(got.error[0]!.streamId).toBe(session.id);
    expect(got.error[0]!.error.code).toMatch(/^RTMS_FRAME_/);
    // One `reconnecting` per attempt scheduled (a busy machine may need a second), then `reconnected`.
    expect(got.reconnect[0]).toEqual({ phase: 'reconnecting', streamId: session.id, scope: 'media', attempt: 1, delayMs: 0, code: 'RTMS_CONNECTION_LOST' });
    expect(got.reconnect.slice(0, -1).every((m) => m.phase === 'reconnecting')).toBe(true);
    expect(got.reconnect.at(-1)).toEqual(expect.objectContaining({ phase: 'reconnected', streamId: session.id, scope: 'media' }));
    const all = inspect(got, { depth: 6 });
    for (const secret of [CREDS.clientSecret, CREDS.webhookSecretToken]) expect(all).not.toContain(secret);
  });
});

/** A shared coordinator whose store can be switched off: claims everything, reports `status`. */
function fakeShared(): StreamCoordinator & { state: CoordinatorStatus } {
  const local = new LocalCoordinator();
  const c = {
    state: { state: 'ok', since: 0, unconfirmedStreams: 0, pendingOperations: 0 } as CoordinatorStatus,
    get status() {
      return c.state;
    },
    attach: () => undefined,
    claim: (l: Parameters<LocalCoordinator['claim']>[0]) => local.claim(l),
    owns: (id: string) => local.owns(id),
    update: () => undefined,
    release: (id: string) => local.release(id),
    route: () => false,
    close: () => local.close(),
  };
  return c;
}

describe('health', () => {
  it('reports sessions streaming and reconnecting, answers GET and HEAD on the webhook route, 503 once closed', async () => {
    const r = await rig();
    await until(() => r.client.health().ready, 1_000, 'ready');
    const { session } = await streaming(r);
    const h = r.client.health();
    expect(h).toMatchObject({ status: 'ok', live: true, ready: true, sessions: { total: 1, streaming: 1, reconnecting: 0 }, coordinator: { shared: false, reachable: true } });

    const get = await r.client.handleWebhook({ method: 'GET', body: '' });
    expect(get.status).toBe(200);
    expect(get.headers?.['content-type']).toBe('application/json');
    expect(JSON.parse(get.body)).toEqual({ status: 'ok', live: true, ready: true, sessions: { total: 1, streaming: 1, reconnecting: 0 }, coordinator: 'local', eventStreams: { total: 0, connected: 0, reconnecting: 0 } });
    const head = await r.client.handleWebhook({ method: 'head', body: '' });
    expect(head).toMatchObject({ status: 200, body: '' });
    expect(r.client.stats().webhooks.received).toBe(1); // health checks are not webhooks

    await session.stop();
    await r.client.close();
    expect(r.client.health()).toMatchObject({ status: 'unavailable', live: false, ready: false });
    expect((await r.client.handleWebhook({ method: 'GET', body: '' })).status).toBe(503);
  });

  it('scale-out: an unreachable store is degraded (200), or 503 with requireCoordinator', async () => {
    const coordinator = fakeShared();
    const client = new RtmsClient({ ...CREDS, coordinator });
    onTestFinished(() => client.close());
    await until(() => client.health().ready, 1_000, 'ready');
    expect(client.health().coordinator).toMatchObject({ shared: true, reachable: true });
    coordinator.state = { state: 'unreachable', since: Date.now(), unconfirmedStreams: 0, pendingOperations: 0, lastError: 'command timed out after 500 ms' };
    expect(client.health()).toMatchObject({ status: 'degraded', ready: true, coordinator: { shared: true, reachable: false } });
    expect(client.healthResponse().status).toBe(200);
    expect(client.healthResponse({ requireCoordinator: true }).status).toBe(503);
    const fetch = client.fetchHandler({ requireCoordinator: true });
    const res = await fetch(new Request('http://localhost/webhook'));
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: 'degraded', coordinator: 'unreachable' });
  });
});

describe('fetchHandler', () => {
  const url = 'http://localhost:8080/webhook';

  it('a signed webhook as a real Request starts a session; answers match handleWebhook', async () => {
    const r = await rig();
    const handler = r.client.fetchHandler();
    const stream = r.sim.createStream();
    const wh = stream.webhook('started');
    const sessions: string[] = [];
    r.client.on('session', (s) => sessions.push(s.id));
    const res = await handler(new Request(url, { method: 'POST', headers: wh.headers, body: wh.body }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ status: 'ok' });
    expect(sessions).toEqual([stream.streamId]);
    await stream.ready();

    // the same bytes as a Uint8Array body
    const dup = await handler(new Request(url, { method: 'POST', headers: wh.headers, body: new TextEncoder().encode(wh.body) }));
    expect(await dup.json()).toEqual({ status: 'duplicate' });

    const forged = await handler(new Request(url, { method: 'POST', headers: { ...wh.headers, 'x-zm-signature': 'v0=00' }, body: wh.body }));
    const direct = await r.client.handleWebhook({ headers: { ...wh.headers, 'x-zm-signature': 'v0=00' }, body: wh.body });
    expect(forged.status).toBe(direct.status);
    expect(await forged.text()).toBe(direct.body);

    const stopped = stream.webhook('stopped');
    const stop = await handler(new Request(url, { method: 'POST', headers: stopped.headers, body: stopped.body }));
    expect(stop.status).toBe(200);
    await until(() => r.client.sessions.size === 0, 3_000, 'session ended');
  });

  it('answers health on GET and HEAD, unless told not to', async () => {
    const r = await rig();
    await until(() => r.client.health().ready, 1_000, 'ready');
    const handler = r.client.fetchHandler();
    const get = await handler(new Request(url));
    expect(get.status).toBe(200);
    expect(get.headers.get('cache-control')).toBe('no-store');
    expect(await get.json()).toMatchObject({ status: 'ok', ready: true });
    const head = await handler(new Request(url, { method: 'HEAD' }));
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const noHealth = await r.client.fetchHandler({ health: false })(new Request(url));
    expect(noHealth.status).toBe(401); // an unsigned empty body, handled as a webhook
  });

  it('refuses a body over maxWebhookBodyBytes with 413, by content-length or while reading', async () => {
    const r = await rig({ maxWebhookBodyBytes: 1024 });
    const rejected: string[] = [];
    r.client.on('webhookRejected', (x) => rejected.push(x.code));
    const handler = r.client.fetchHandler();
    const big = await handler(new Request(url, { method: 'POST', headers: { 'content-length': '4096' }, body: 'x'.repeat(4096) }));
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: string }).error).toBe('RTMS_WEBHOOK_BODY_TOO_LARGE');

    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(512));
      },
    });
    const streamed = await handler(new Request(url, { method: 'POST', body: endless, duplex: 'half' } as RequestInit));
    expect(streamed.status).toBe(413);
    expect(pulled).toBeLessThan(10);
    expect(rejected).toEqual(['RTMS_WEBHOOK_BODY_TOO_LARGE', 'RTMS_WEBHOOK_BODY_TOO_LARGE']);
    expect(r.client.stats().webhooks.rejectedByCode).toEqual({ RTMS_WEBHOOK_BODY_TOO_LARGE: 2 });
  });

  it('never rejects, even for something that is not a Request; 503 once the client is closed', async () => {
    const r = await rig();
    const handler = r.client.fetchHandler();
    const res = await handler({} as Request);
    expect(res.status).toBe(500);
    await r.client.close();
    const closed = await handler(new Request(url, { method: 'POST', body: '{}' }));
    expect(closed.status).toBe(503);
  });
});

describe('examples/web-standard/hono.ts', () => {
  it('serves a signed webhook and the health check through Hono', async () => {
    const r = await rig();
    await until(() => r.client.health().ready, 1_000, 'ready');
    const app = createApp(r.client);
    const stream = r.sim.createStream();
    const wh = stream.webhook('started');
    const res = await app.fetch(new Request('http://localhost/zoom/webhook', { method: 'POST', headers: wh.headers, body: wh.body }));
    expect(res.status).toBe(200);
    await stream.ready();
    expect(r.client.sessions.size).toBe(1);
    const probe = await app.fetch(new Request('http://localhost/healthz'));
    expect(probe.status).toBe(200);
    expect(await probe.json()).toMatchObject({ status: 'ok', sessions: { total: 1 } });
    expect((await app.fetch(new Request('http://localhost/zoom/webhook', { method: 'HEAD' }))).status).toBe(200);
  });
});
