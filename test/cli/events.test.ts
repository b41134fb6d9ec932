/**
 * `rtms-client simulate --events` and runConformance({ delivery: 'events' }): the app receives its lifecycle events
 * over the simulator's event WebSocket instead of webhooks, with the same honest verdicts. A correct app (RtmsClient
 * with connectEvents and no HTTP endpoint at all) passes; apps that never connect, use the wrong credentials, open
 * the socket without a token, parse the content once, ignore keep-alives, or let their event socket go before the
 * stop fail with a message that says so.
 */
import { createServer, type AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { main } from '../../src/cli/main.js';
import { RtmsClient, wsSocketFactory, type SessionEnd, type SocketFactory } from '../../src/index.js';
import { runConformance, type ConformanceEventEndpoints, type ConformanceOptions, type ConformanceReport } from '../../src/testing/index.js';
import { APP, closedPort, fakeIo, rawEventApp, type RawEventAppOptions } from './apps.js';

const CREDS = { clientId: APP.clientId, clientSecret: APP.clientSecret };

/**
 * An events-only app on RtmsClient: no HTTP server, no webhook secret token. Records its transcripts. `cutSignalingAfterMs`
 * cuts its first signaling socket (no close frame) that long after it opens, so Zoom's rtms_interrupted comes over
 * the event socket and the SDK reconnects.
 */
function eventsApp(e: ConformanceEventEndpoints, cutSignalingAfterMs?: number): { client: RtmsClient; transcripts: string[]; ends: Promise<SessionEnd>[] } {
  let cut = false;
  const socketFactory: SocketFactory = (url, handlers, opts) => {
    const socket = wsSocketFactory(url, handlers, opts);
    if (cutSignalingAfterMs !== undefined && !cut && url.includes('/rtms/signaling')) {
      cut = true;
      const timer = setTimeout(() => socket.terminate(), cutSignalingAfterMs);
      onTestFinished(() => clearTimeout(timer));
    }
    return socket;
  };
  const client = new RtmsClient({ ...CREDS, eventsOnly: true, media: ['transcript'], socketFactory });
  onTestFinished(() => client.close());
  const transcripts: string[] = [];
  const ends: Promise<SessionEnd>[] = [];
  client.on('session', (s) => {
    ends.push(s.closed());
    s.on('transcript', (t) => transcripts.push(`${t.userName}: ${t.text}`));
  });
  client.on('error', () => undefined);
  client.connectEvents({ url: e.eventSocketUrl, tokenUrl: e.tokenUrl });
  return { client, transcripts, ends };
}

/** A CliIo that starts the events-only app as soon as the command prints the event socket URL. */
function ioStartingApp(): ReturnType<typeof fakeIo> & { app: () => ReturnType<typeof eventsApp> | undefined } {
  const io = fakeIo();
  let app: ReturnType<typeof eventsApp> | undefined;
  const write = io.stdout;
  return {
    ...io,
    app: () => app,
    stdout: (t) => {
      write(t);
      const ws = /ZOOM_EVENT_WS_URL=(\S+)/.exec(t)?.[1];
      const token = /ZOOM_OAUTH_TOKEN_URL=(\S+)/.exec(t)?.[1];
      if (ws && token && app === undefined) app = eventsApp({ eventSocketUrl: ws, tokenUrl: token });
    },
  };
}

function run(onEventEndpoints: (e: ConformanceEventEndpoints) => void, options: Partial<ConformanceOptions> = {}): Promise<ConformanceReport> {
  return runConformance({
    delivery: 'events',
    ...CREDS,
    keepAliveIntervalMs: 400,
    connectTimeoutMs: 3_000,
    closeTimeoutMs: 2_000,
    reconnectGraceMs: 1_000,
    eventConnectTimeoutMs: 3_000,
    onEventEndpoints,
    ...options,
    script: { durationMs: 2_000, transcriptEveryMs: 300, ...options.script },
  });
}

const byId = (r: ConformanceReport, id: string) => r.checks.filter((c) => c.id === id);
const failures = (r: ConformanceReport) => r.checks.filter((c) => c.status === 'fail');

/** A raw event app started once the endpoints are known; its start failure fails the test. */
function raw(options: RawEventAppOptions): { start: (e: ConformanceEventEndpoints) => void; started: () => Promise<unknown> } {
  let p: Promise<unknown> = Promise.resolve();
  return { start: (e) => void (p = rawEventApp(e, options)), started: () => p };
}

describe('a correct app passes through the event socket', () => {
  it('RtmsClient with connectEvents only: token, socket, heartbeat, started → transcripts → stopped, sockets closed', async () => {
    let app: ReturnType<typeof eventsApp> | undefined;
    const report = await run((e) => (app = eventsApp(e)));
    expect(failures(report), JSON.stringify(report.checks, null, 2)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.delivery).toBe('events');
    expect(byId(report, 'event-socket')[0]).toMatchObject({ status: 'pass', message: expect.stringMatching(/^the app fetched a token and opened the event socket/) });
    expect(byId(report, 'webhook-started')[0]).toEqual({ id: 'webhook-started', status: 'pass', message: 'rtms_started delivered over the event socket' });
    expect(byId(report, 'ready')[0]?.status).toBe('pass');
    expect(byId(report, 'webhook-stopped')[0]).toMatchObject({ status: 'pass', message: 'rtms_stopped delivered over the event socket' });
    expect(byId(report, 'closed')[0]?.status).toBe('pass');
    expect(byId(report, 'event-heartbeat')[0]?.status).toBe('pass');
    expect(byId(report, 'event-socket-count')[0]?.status).toBe('pass');
    expect(report.eventSocket).toMatchObject({ connections: 1, refusedConnections: 0, lost: 0, maxOpenSockets: 1 });
    expect(report.eventSocket?.delivered).toBeGreaterThanOrEqual(2);
    expect(report.eventSocket?.tokenRequests.map((t) => t.status)).toEqual([200]);
    expect(report.refusals).toEqual([]);
    expect(app?.transcripts.length).toBeGreaterThanOrEqual(3);
    // One session, ended by the rtms_stopped that came over the socket.
    expect(await Promise.all(app?.ends ?? [])).toEqual([expect.objectContaining({ state: 'stopped' })]);
  });

  it("an app that loses its signaling socket: Zoom's rtms_interrupted arrives over the event socket, the SDK reconnects, the run passes", async () => {
    const report = await run((e) => void eventsApp(e, 600), { script: { durationMs: 3_000 } });
    expect(failures(report), JSON.stringify(report.checks, null, 2)).toEqual([]);
    expect(byId(report, 'webhook-interrupted')).toEqual([{ id: 'webhook-interrupted', status: 'pass', message: 'rtms_interrupted delivered over the event socket' }]);
    expect(byId(report, 'connection').map((c) => c.message)).toContainEqual(expect.stringMatching(/^signaling socket closed 1006 at .*; signaling reconnected after/));
  });

  it('--product contact-center --drift through the event socket: a tolerant app passes', async () => {
    const io = ioStartingApp();
    const port = await closedPort();
    const args = ['simulate', '--events', '--port', String(port), '--product', 'contact-center', '--drift', '--client-id', APP.clientId, '--client-secret', APP.clientSecret, '--duration', '1500ms', '--keepalive', '400ms'];
    expect(await main(args, io), io.all()).toBe(0);
    expect(io.out()).toMatch(/stream [0-9a-f]{32} \(contact_center\)/);
    expect(io.app()?.transcripts.length).toBeGreaterThan(0);
  });

  it('the hand-written raw app (content parsed twice) passes too', async () => {
    const app = raw({});
    const report = await run(app.start);
    await app.started();
    expect(failures(report), JSON.stringify(report.checks, null, 2)).toEqual([]);
    expect(byId(report, 'ready')[0]?.status).toBe('pass');
  });
});

describe('apps that must fail through the event socket', () => {
  it('an app that never opens the event socket: no token was even asked for', async () => {
    const report = await run(() => undefined, { eventConnectTimeoutMs: 400 });
    expect(report.ok).toBe(false);
    expect(byId(report, 'event-socket')).toEqual([
      { id: 'event-socket', status: 'fail', message: expect.stringMatching(/^no event socket open within 0\.4 s: the app never asked for a token \(POST http:\/\/127\.0\.0\.1:\d+\/oauth\/token\?grant_type=client_credentials/) },
    ]);
    expect(byId(report, 'webhook-started')).toEqual([]); // nothing was sent
    expect(report.record.handshakes).toEqual([]);
  });

  it('wrong client secret: the token endpoint refused it (401), and the run says to use the same credentials', async () => {
    const app = raw({ tokenSecret: 'not-the-secret' });
    const report = await run(app.start, { eventConnectTimeoutMs: 800 });
    await app.started();
    expect(report.ok).toBe(false);
    expect(byId(report, 'event-socket')[0]?.message).toMatch(/the token endpoint refused the app's credentials \(HTTP 401, 1 request\(s\)\): the app and this run must use the same client id and secret$/);
  });

  it('RtmsClient with the wrong secret fails the same way (and its stream ends RTMS_EVENT_STREAM_AUTH, no retry storm)', async () => {
    let client: RtmsClient | undefined;
    const report = await run(
      (e) => {
        client = new RtmsClient({ ...CREDS, clientSecret: 'wrong', eventsOnly: true });
        onTestFinished(() => client!.close());
        client.on('error', () => undefined);
        client.connectEvents({ url: e.eventSocketUrl, tokenUrl: e.tokenUrl });
      },
      { eventConnectTimeoutMs: 800 },
    );
    expect(byId(report, 'event-socket')[0]).toMatchObject({ status: 'fail', message: expect.stringContaining('refused the app\'s credentials (HTTP 401, 1 request(s))') });
  });

  it('an app that opens the event socket without access_token: the upgrade was refused', async () => {
    const app = raw({ noAccessToken: true });
    const report = await run(app.start, { eventConnectTimeoutMs: 800 });
    await app.started();
    expect(byId(report, 'event-socket')[0]?.message).toMatch(/the app got a token but its event socket upgrade was refused 1 time\(s\) \(HTTP 401\): append &access_token=<the token> to the event URL$/);
  });

  it('an app that takes content as an object (parses once) never handshakes, and the hint says to parse twice', async () => {
    const app = raw({ parseContentOnce: true });
    const report = await run(app.start, { connectTimeoutMs: 800 });
    expect(report.ok).toBe(false);
    expect(byId(report, 'webhook-started')[0]?.status).toBe('pass');
    expect(byId(report, 'ready')[0]).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(/^the app never sent a signaling handshake to server_urls within 0\.8 s of rtms_started, delivered over its event socket .*parse content as JSON a second time/),
    });
  });

  it('an app that does not answer keep-alives fails exactly as in webhook mode', async () => {
    const app = raw({ answerKeepAlives: false });
    const report = await run(app.start, { keepAliveIntervalMs: 200, script: { durationMs: 2_500 } });
    expect(report.ok).toBe(false);
    const ka = byId(report, 'keep-alive')[0];
    expect(ka?.status).toBe('fail');
    expect(ka?.message).toMatch(/keep-alive/);
  });

  it('an app whose event socket is gone before the stop: rtms_stopped is lost, and that fails', async () => {
    const app = raw({ closeEventSocketAfterStarted: true });
    const report = await run(app.start);
    expect(report.ok).toBe(false);
    expect(byId(report, 'ready')[0]?.status).toBe('pass'); // the stream itself worked
    expect(byId(report, 'webhook-stopped')[0]).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(/^rtms_stopped was lost at \d+\.\d\d s: the app had no event socket open \(Zoom does not redeliver/),
    });
    expect(report.eventSocket?.lost).toBe(1);
  });

  it('an app that holds two event sockets for the whole run passes with a warning (connections per subscription are unknown)', async () => {
    const app = raw({ secondEventSocket: true });
    const report = await run(app.start, { script: { durationMs: 5_600 } });
    expect(failures(report)).toEqual([]);
    expect(report.eventSocket?.maxOpenSockets).toBe(2);
    expect(byId(report, 'event-socket-count')[0]).toMatchObject({
      status: 'warn',
      message: expect.stringMatching(/^the app held 2 event sockets open at once for [5-9]\.\d s: whether one subscription may hold several connections/),
    });
  });

  it('an app that sends no heartbeat passes with a warning (what Zoom does to a silent client is unknown)', async () => {
    const app = raw({ heartbeat: false });
    const report = await run(app.start);
    expect(failures(report)).toEqual([]);
    expect(byId(report, 'event-heartbeat')[0]).toMatchObject({ status: 'warn', message: expect.stringContaining('sent no {"module":"heartbeat"}') });
  });
});

describe('rtms-client simulate --events', () => {
  it('prints the URLs and env vars, waits for the app, streams through the socket, and passes (exit 0)', async () => {
    const io = ioStartingApp();
    const port = await closedPort();
    const code = await main(['simulate', '--events', '--port', String(port), '--client-id', APP.clientId, '--client-secret', APP.clientSecret, '--duration', '1s', '--keepalive', '400ms'], io);
    expect(code, io.all()).toBe(0);
    const out = io.out();
    expect(out).toContain(`ZOOM_EVENT_WS_URL=ws://127.0.0.1:${port}/ws?subscriptionId=sim`);
    expect(out).toContain(`ZOOM_OAUTH_TOKEN_URL=http://127.0.0.1:${port}/oauth/token`);
    expect(out).toMatch(/ok +rtms_started delivered over the event socket/);
    expect(out).toMatch(/event socket: 1 token request\(s\), 1 connection\(s\), [1-9]\d* heartbeat\(s\), [2-9] event\(s\) delivered, 0 lost/);
    expect(out).toMatch(/\nPASS: \d+ passed/);
    expect(io.all()).not.toContain(APP.clientSecret);
    expect(io.err()).not.toContain('unsigned'); // no webhook secret is needed with --events
    expect(io.app()?.transcripts.length).toBeGreaterThan(0);
  });

  it('--json: the report on stdout, the URLs on stderr; no app → exit 1 with the event-socket failure', async () => {
    const io = fakeIo();
    const port = await closedPort();
    const code = await main(['simulate', '--events', '--json', '--wait', '300ms', '--port', String(port), '--client-id', APP.clientId, '--client-secret', APP.clientSecret], io);
    expect(code).toBe(1);
    expect(io.err()).toContain(`ZOOM_EVENT_WS_URL=ws://127.0.0.1:${port}/ws?subscriptionId=sim`);
    const report = JSON.parse(io.out()) as { ok: boolean; delivery: string; checks: { id: string; status: string }[]; eventSocket: { connections: number } };
    expect(report).toMatchObject({ ok: false, delivery: 'events', eventSocket: { connections: 0 } });
    expect(report.checks).toEqual([{ id: 'event-socket', status: 'fail', message: expect.stringContaining('never asked for a token') }]);
  });

  it.each([
    [['--events', '--webhook', 'http://127.0.0.1:1/webhook'], /--events and --webhook exclude each other/],
    [['--events', '--validate-url'], /--validate-url applies to webhooks only/],
    [['--product', 'meeting'], /--webhook <url> is required \(or --events/],
  ])('usage error: simulate %s', async (args, expected) => {
    const io = fakeIo();
    expect(await main(['simulate', ...args, '--client-id', 'x', '--client-secret', 'y'], io)).toBe(2);
    expect(io.err()).toMatch(expected);
  });

  it('--token-ttl 2s: the SDK replaces its token (and socket) before expiry and passes; an app that does not loses rtms_stopped', async () => {
    const io = ioStartingApp();
    const port = await closedPort();
    const args = ['--client-id', APP.clientId, '--client-secret', APP.clientSecret, '--duration', '3s', '--keepalive', '400ms', '--token-ttl', '2s'];
    expect(await main(['simulate', '--events', '--port', String(port), ...args], io), io.all()).toBe(0);
    expect(io.out()).toMatch(/ok +the app replaced its token before it expired \([2-9] tokens, [2-9] connections\)/);

    const app = raw({});
    const report = await run(app.start, { eventTokenTtlSeconds: 2, script: { durationMs: 3_000 } });
    expect(report.ok).toBe(false);
    expect(byId(report, 'event-token')[0]).toMatchObject({ status: 'warn', message: expect.stringMatching(/^1 event socket\(s\) were closed because their token expired/) });
    expect(byId(report, 'webhook-stopped')[0]?.status).toBe('fail');
  });

  it('--token-ttl without --events, or not whole seconds, is a usage error', async () => {
    for (const [args, expected] of [
      [['--webhook', 'http://127.0.0.1:1/w', '--token-ttl', '5s'], /--token-ttl applies to --events only/],
      [['--events', '--token-ttl', '1500ms'], /--token-ttl must be a whole number of seconds/],
    ] as const) {
      const io = fakeIo();
      expect(await main(['simulate', ...args, '--client-id', 'x', '--client-secret', 'y'], io)).toBe(2);
      expect(io.err()).toMatch(expected);
    }
  });

  it('a port already in use: exit 1 with a pointer to --port, not a stack trace', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const port = (blocker.address() as AddressInfo).port;
    const io = fakeIo();
    expect(await main(['simulate', '--events', '--port', String(port), '--client-id', 'x', '--client-secret', 'y'], io)).toBe(1);
    expect(io.err()).toBe(`rtms-client: port ${port} is already in use: choose another with --port <n> (and start the app with the URLs it prints)\n`);
  });

  it('the help describes --events, its stable default port and --wait', async () => {
    const io = fakeIo();
    expect(await main(['simulate', '--help'], io)).toBe(0);
    expect(io.out()).toMatch(/rtms-client simulate --events \[--port <n>\]/);
    expect(io.out()).toMatch(/--events +drive the app through the event WebSocket instead of webhooks/);
    expect(io.out()).toMatch(/--wait <time> +with --events: time the app has to open the event socket \(default 60s\)/);
    expect(io.out()).toMatch(/default 9091/);
  });
});
