/**
 * Outbound network options over real loopback (issue #16 item 5): an HTTP CONNECT proxy running in the test, a
 * `wss://` simulator whose certificate a self-signed test CA issued (test/fixtures/tls, made by
 * scripts/make-tls-fixtures.sh), and the URL allow-list with a proxy configured.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect as netConnect, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { inspect } from 'node:util';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { RtmsClient, RtmsError, StopReason, type EventStreamConnected, type EventStreamDisconnected, type RtmsSession, type TranscriptEvent } from '../../src/index.js';
import { CREDS, expectNoLeaks, ourResources, recordingLogger, rig, until } from '../helpers.js';

const FIXTURES = new URL('../fixtures/tls/', import.meta.url);
const CA = readFileSync(new URL('ca.pem', FIXTURES), 'utf8');
const OTHER_CA = readFileSync(new URL('other-ca.pem', FIXTURES), 'utf8');
const SERVER_TLS = { key: readFileSync(new URL('server.key', FIXTURES), 'utf8'), cert: readFileSync(new URL('server.pem', FIXTURES), 'utf8') };

const PROXY_USER = 'proxy-user';
const PROXY_PASSWORD = 'proxy-pass-DO-NOT-LOG';

interface ConnectRecord {
  /** `host:port` of the CONNECT request line. */
  readonly target: string;
  /** Whether the Proxy-Authorization header held the expected credentials (undefined: none sent). */
  readonly auth: 'ok' | 'wrong' | undefined;
  /** The proxy's answer. */
  readonly status: number;
}

/**
 * A real HTTP CONNECT proxy on loopback: answers CONNECT with 200 and pipes both ways, records every CONNECT, and
 * (with `requireAuth`) answers 407 unless `Proxy-Authorization` carries PROXY_USER:PROXY_PASSWORD. `hosts` maps a
 * name to the address the proxy dials, as a proxy's own DNS would (the client never resolves the name itself).
 */
async function startProxy(options: { requireAuth?: boolean; hosts?: Record<string, string> } = {}): Promise<{ url: string; port: number; connects: ConnectRecord[]; close(): Promise<void> }> {
  const connects: ConnectRecord[] = [];
  const sockets = new Set<Duplex>();
  const expected = `Basic ${Buffer.from(`${PROXY_USER}:${PROXY_PASSWORD}`).toString('base64')}`;
  const server: Server = createServer((_req, res) => res.writeHead(405).end());
  server.on('connect', (req: IncomingMessage, client: Duplex, head: Buffer) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    const target = req.url ?? '';
    const header = req.headers['proxy-authorization'];
    const auth = header === undefined ? undefined : header === expected ? 'ok' : 'wrong';
    if (options.requireAuth === true && auth !== 'ok') {
      connects.push({ target, auth, status: 407 });
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    const i = target.lastIndexOf(':');
    const host = target.slice(0, i).replace(/^\[|\]$/g, '');
    const port = Number(target.slice(i + 1));
    if (i < 0 || !Number.isInteger(port)) {
      client.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    connects.push({ target, auth, status: 200 });
    const upstream: Socket = netConnect({ host: options.hosts?.[host] ?? host, port });
    sockets.add(upstream);
    upstream.on('close', () => {
      sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
    upstream.once('connect', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    }));
  onTestFinished(close);
  return { url: `http://127.0.0.1:${port}`, port, connects, close };
}

/** The stream's session, started by a webhook; resolves once it streams. */
async function startSession(client: RtmsClient, stream: ReturnType<Awaited<ReturnType<typeof rig>>['sim']['createStream']>, serverUrls?: string): Promise<RtmsSession> {
  const res = await client.handleWebhook(stream.webhook('started', serverUrls === undefined ? {} : { serverUrls }));
  expect(res.status).toBe(200);
  return res.session!;
}

/** Every error message and cause message of a session's errors, joined, to grep for secrets. */
function texts(errors: readonly Error[]): string {
  const out: string[] = [];
  for (const first of errors) {
    let e: unknown = first;
    for (let depth = 0; e instanceof Error && depth < 5; depth++, e = e.cause) out.push(e.message, e.stack ?? '', inspect(e));
  }
  return out.join('\n');
}

describe('HTTP CONNECT proxy', () => {
  it('a whole meeting (signaling + media) and the event stream (token + socket) go through the proxy, over wss:// with the test CA', async () => {
    const baseline = ourResources();
    const proxy = await startProxy();
    const logger = recordingLogger();
    const r = await rig({ proxy: proxy.url, tls: { ca: CA }, logger }, { tls: SERVER_TLS });
    expect(r.sim.signalingUrl).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\//);
    expect(r.sim.tokenUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\//);
    const simTarget = `127.0.0.1:${new URL(r.sim.baseUrl).port}`;

    // The event stream: token request and event socket, both through the proxy.
    const connected: EventStreamConnected[] = [];
    r.client.on('eventStreamConnected', (i) => connected.push(i));
    const events = r.client.connectEvents({ url: r.sim.eventSocketUrl, tokenUrl: r.sim.tokenUrl });
    await until(() => connected.length === 1, 5_000, 'event stream connected');
    expect(r.sim.eventRecord.tokenRequests).toEqual([expect.objectContaining({ status: 200 })]);
    expect(proxy.connects.length).toBe(2); // the token request, then the event socket

    // A meeting started over the event socket: signaling and media, through the proxy.
    const stream = r.sim.createStream();
    const sessionP = new Promise<RtmsSession>((resolve) => r.client.once('session', resolve));
    expect(stream.deliverEvent('started')).toBe(1);
    const session = await sessionP;
    await stream.ready();
    await until(() => session.state === 'streaming');
    const got: TranscriptEvent[] = [];
    const audio: number[] = [];
    session.on('transcript', (t) => got.push(t));
    session.on('audio', (a) => audio.push(a.timestamp ?? -1));
    expect(stream.sendTranscript({ userId: 1, userName: 'Ada', text: 'through the proxy' })).toBe(true);
    for (let i = 0; i < 5; i++) expect(stream.sendAudio({ data: Buffer.alloc(640, i), userId: 0, timestamp: 100 + i })).toBe(true);
    await until(() => got.length === 1 && audio.length === 5);
    expect(got[0]!.text).toBe('through the proxy');
    expect(audio).toEqual([100, 101, 102, 103, 104]);
    // token, event socket, signaling, media (one media socket by default): every one a CONNECT to the simulator.
    expect(proxy.connects.length).toBe(4);
    expect(proxy.connects.every((c) => c.target === simTarget && c.status === 200)).toBe(true);
    expect(stream.errors).toEqual([]);

    expect(stream.deliverEvent('stopped', { stopReason: StopReason.MEETING_ENDED })).toBe(1);
    expect(await session.closed()).toMatchObject({ state: 'stopped', cause: 'webhook_stopped' });
    await events.close();
    expect(logger.lines.some((l) => l.includes(`HTTP proxy http://127.0.0.1:${proxy.port}`))).toBe(true);
    await r.client.close();
    await r.sim.close();
    await proxy.close();
    await expectNoLeaks(baseline);
  });

  it('takes any http.Agent instead (here https-proxy-agent made by the app) for the sockets and the token request', async () => {
    const baseline = ourResources();
    const proxy = await startProxy();
    const r = await rig({ agent: new HttpsProxyAgent(proxy.url), tls: { ca: CA } }, { tls: SERVER_TLS });
    const connected: EventStreamConnected[] = [];
    r.client.on('eventStreamConnected', (i) => connected.push(i));
    const events = r.client.connectEvents({ url: r.sim.eventSocketUrl, tokenUrl: r.sim.tokenUrl });
    await until(() => connected.length === 1, 5_000, 'event stream connected');
    const session = await startSession(r.client, r.sim.createStream());
    await until(() => session.state === 'streaming');
    expect(proxy.connects.length).toBe(4);
    await events.close();
    await r.client.close();
    await r.sim.close();
    await proxy.close();
    await expectNoLeaks(baseline);
  });

  it("proxy: 'env' takes HTTPS_PROXY (with credentials) for wss:// targets and connects directly to hosts NO_PROXY names, read at each connection", async () => {
    const baseline = ourResources();
    const proxy = await startProxy({ requireAuth: true });
    onTestFinished(() => {
      vi.unstubAllEnvs();
    });
    // Only the variables this test sets count (the lower-case names are read first).
    for (const name of ['https_proxy', 'http_proxy', 'all_proxy', 'no_proxy', 'HTTP_PROXY', 'ALL_PROXY', 'npm_config_https_proxy', 'npm_config_proxy']) vi.stubEnv(name, '');
    vi.stubEnv('HTTPS_PROXY', `http://${PROXY_USER}:${PROXY_PASSWORD}@127.0.0.1:${proxy.port}`);
    vi.stubEnv('NO_PROXY', 'zoom.us');
    const logger = recordingLogger();
    const r = await rig({ proxy: 'env', tls: { ca: CA }, logger }, { tls: SERVER_TLS });
    const simTarget = `127.0.0.1:${new URL(r.sim.baseUrl).port}`;

    const first = await startSession(r.client, r.sim.createStream());
    await until(() => first.state === 'streaming');
    expect(proxy.connects.map((c) => [c.target, c.auth, c.status])).toEqual([
      [simTarget, 'ok', 200], // signaling
      [simTarget, 'ok', 200], // media
    ]);

    // NO_PROXY now names the simulator's host: the next session connects directly.
    vi.stubEnv('NO_PROXY', 'zoom.us, 127.0.0.1');
    const second = await startSession(r.client, r.sim.createStream());
    await until(() => second.state === 'streaming');
    expect(proxy.connects).toHaveLength(2);

    // The proxy is named without its credentials; the environment's password appears nowhere.
    expect(logger.lines.some((l) => l.includes('proxy from the environment'))).toBe(true);
    expect(logger.lines.some((l) => l.includes(`HTTP proxy http://127.0.0.1:${proxy.port} (from the environment)`))).toBe(true);
    expect(logger.lines.join('\n')).not.toContain(PROXY_PASSWORD);
    expect(inspect(r.client, { depth: 6 })).not.toContain(PROXY_PASSWORD);
    await r.client.close();
    await r.sim.close();
    await proxy.close();
    await expectNoLeaks(baseline);
  });

  it('proxy credentials: accepted when right; refused with a clear error, a slow backoff and no credential anywhere when wrong', async () => {
    const baseline = ourResources();
    const proxy = await startProxy({ requireAuth: true });
    const port = proxy.port;

    // Right credentials: the proxy saw them and let the event stream through.
    {
      const r = await rig({ proxy: `http://${PROXY_USER}:${PROXY_PASSWORD}@127.0.0.1:${port}` });
      const connected: EventStreamConnected[] = [];
      r.client.on('eventStreamConnected', (i) => connected.push(i));
      const events = r.client.connectEvents({ url: r.sim.eventSocketUrl, tokenUrl: r.sim.tokenUrl });
      await until(() => connected.length === 1, 5_000, 'event stream connected');
      expect(proxy.connects.map((c) => [c.auth, c.status])).toEqual([
        ['ok', 200],
        ['ok', 200],
      ]);
      await events.close();
      await r.client.close();
      await r.sim.close();
    }

    // Wrong password.
    proxy.connects.length = 0;
    const logger = recordingLogger();
    const wrong = `http://${PROXY_USER}:${PROXY_PASSWORD}-wrong@127.0.0.1:${port}`;
    const r = await rig({ proxy: wrong, logger, reconnect: false });
    const disconnected: EventStreamDisconnected[] = [];
    r.client.on('eventStreamDisconnected', (i) => disconnected.push(i));
    const events = r.client.connectEvents({ url: r.sim.eventSocketUrl, tokenUrl: r.sim.tokenUrl, baseDelayMs: 1_000 });
    await until(() => disconnected.length >= 1, 5_000, 'event stream refused');
    expect(disconnected[0]!.error).toBeInstanceOf(RtmsError);
    expect(disconnected[0]!.error.code).toBe('RTMS_CONNECT_FAILED');
    expect(disconnected[0]!.error.message).toContain('407 Proxy Authentication Required');
    // No retry storm: the first retry is immediate, the next one waits about baseDelayMs (1 s, ±20 %).
    await new Promise((res) => setTimeout(res, 700));
    expect(proxy.connects.length).toBeLessThanOrEqual(2);
    expect(proxy.connects.every((c) => c.auth === 'wrong' && c.status === 407)).toBe(true);
    expect(r.sim.eventRecord.tokenRequests).toEqual([]);
    await events.close();

    // A session through the same proxy: refused with a typed error that names the 407 (reconnect off: at once).
    const stream = r.sim.createStream();
    const session = await startSession(r.client, stream);
    const errors: Error[] = [];
    session.on('error', (e) => errors.push(e));
    const end = await session.closed();
    expect(end.state).toBe('failed');
    expect(end.error?.code).toBe('RTMS_CONNECT_FAILED');
    expect(end.error?.message).toContain('407 Proxy Authentication Required');

    // With reconnection on (Zoom's figures), the refused tunnel is retried with backoff, not in a loop: the first
    // retry at once, the next 3 s later.
    const r2 = await rig({ proxy: wrong, logger });
    const before = proxy.connects.length;
    const retries: Error[] = [];
    const s2 = await startSession(r2.client, r2.sim.createStream());
    s2.on('reconnecting', (info) => retries.push(info.cause));
    await until(() => retries.length >= 1, 5_000, 'a reconnect scheduled');
    await new Promise((res) => setTimeout(res, 1_000));
    expect(proxy.connects.length - before).toBeGreaterThanOrEqual(1);
    expect(proxy.connects.length - before).toBeLessThanOrEqual(2);
    expect(retries[0]!.message).toContain('407 Proxy Authentication Required');
    await r2.client.close();
    await r2.sim.close();

    const shown = [logger.lines.join('\n'), texts([...disconnected.map((d) => d.error), ...(end.error ? [end.error] : []), ...errors, ...retries]), inspect(r.client), inspect(events), JSON.stringify(events)].join('\n');
    expect(shown).toContain('407');
    expect(shown).not.toContain(PROXY_PASSWORD);
    expect(shown).not.toContain(Buffer.from(`${PROXY_USER}:${PROXY_PASSWORD}-wrong`).toString('base64'));
    expect(shown).not.toContain(CREDS.clientSecret);
    await r.client.close();
    await r.sim.close();
    await proxy.close();
    await expectNoLeaks(baseline);
  });
});

describe('wss:// with a private CA', () => {
  it('refused without tls.ca (the TLS reason is named), accepted with the right CA, refused with an unrelated CA', async () => {
    const baseline = ourResources();
    const tryMeeting = async (tls: { ca: string } | undefined): Promise<{ end: Awaited<ReturnType<RtmsSession['closed']>> | undefined; streamed: boolean; lines: string[] }> => {
      const logger = recordingLogger();
      const r = await rig({ ...(tls ? { tls } : {}), reconnect: false, logger }, { tls: SERVER_TLS });
      const stream = r.sim.createStream();
      const session = await startSession(r.client, stream);
      await until(() => session.state === 'streaming' || session.state === 'failed', 5_000, 'streaming or failed');
      const end = session.state === 'failed' ? await session.closed() : undefined;
      let streamed = false;
      if (end === undefined) {
        const got: string[] = [];
        session.on('transcript', (t) => got.push(t.text));
        await stream.ready();
        expect(stream.sendTranscript({ userId: 1, userName: 'Ada', text: 'over TLS' })).toBe(true);
        await until(() => got.length === 1);
        streamed = got[0] === 'over TLS';
      }
      await r.client.close();
      await r.sim.close();
      return { end, streamed, lines: logger.lines };
    };

    const none = await tryMeeting(undefined);
    expect(none.end?.state).toBe('failed');
    expect(none.end?.error).toBeInstanceOf(RtmsError);
    expect(none.end?.error?.code).toBe('RTMS_CONNECT_FAILED');
    expect(none.end?.error?.message).toMatch(/TLS: the server's certificate was not accepted \((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)/);
    expect(none.end?.error?.message).toContain('tls.ca');
    expect([none.end?.error?.message, ...none.lines].join('\n')).not.toContain(CREDS.clientSecret);

    const right = await tryMeeting({ ca: CA });
    expect(right.end).toBeUndefined();
    expect(right.streamed).toBe(true);

    const unrelated = await tryMeeting({ ca: OTHER_CA });
    expect(unrelated.end?.state).toBe('failed');
    expect(unrelated.end?.error?.code).toBe('RTMS_CONNECT_FAILED');
    expect(unrelated.end?.error?.message).toContain("TLS: the server's certificate was not accepted");
    await expectNoLeaks(baseline);
  });

  it('the event stream: the https:// token request is refused without the CA (TLS named, token and secret never shown), accepted with it', async () => {
    const baseline = ourResources();
    {
      const logger = recordingLogger();
      const r = await rig({ logger }, { tls: SERVER_TLS });
      const disconnected: EventStreamDisconnected[] = [];
      r.client.on('eventStreamDisconnected', (i) => disconnected.push(i));
      const events = r.client.connectEvents({ url: r.sim.eventSocketUrl, tokenUrl: r.sim.tokenUrl });
      await until(() => disconnected.length >= 1);
      expect(disconnected[0]!.error.code).toBe('RTMS_CONNECT_FAILED');
      expect(disconnected[0]!.error.message).toContain("TLS: the server's certificate was not accepted");
      expect(r.sim.eventRecord.tokenRequests).toEqual([]);
      const shown = [logger.lines.join('\n'), texts(disconnected.map((d) => d.error))].join('\n');
      expect(shown).not.toContain(CREDS.clientSecret);
      expect(shown).not.toContain(Buffer.from(`${CREDS.clientId}:${CREDS.clientSecret}`).toString('base64'));
      await events.close();
      await r.client.close();
      await r.sim.close();
    }
    {
      const r = await rig({ tls: { ca: CA } }, { tls: SERVER_TLS });
      const connected: EventStreamConnected[] = [];
      r.client.on('eventStreamConnected', (i) => connected.push(i));
      const events = r.client.connectEvents({ url: r.sim.eventSocketUrl, tokenUrl: r.sim.tokenUrl });
      await until(() => connected.length === 1);
      expect(r.sim.eventRecord.tokenRequests).toEqual([expect.objectContaining({ status: 200 })]);
      await events.close();
      await r.client.close();
      await r.sim.close();
    }
    await expectNoLeaks(baseline);
  });

  it('rejectUnauthorized: false connects without the CA and logs a warning', async () => {
    const baseline = ourResources();
    const logger = recordingLogger();
    const r = await rig({ tls: { rejectUnauthorized: false }, logger }, { tls: SERVER_TLS });
    expect(logger.lines.some((l) => l.startsWith('warn') && l.includes('rejectUnauthorized is false'))).toBe(true);
    const stream = r.sim.createStream();
    const session = await startSession(r.client, stream);
    await stream.ready();
    await until(() => session.state === 'streaming');
    await r.client.close();
    await r.sim.close();
    await expectNoLeaks(baseline);
  });
});

describe('the allow-list checks the target, never the proxy', () => {
  it('a disallowed target stays refused with a proxy configured, and nothing reaches the proxy', async () => {
    const baseline = ourResources();
    const proxy = await startProxy();
    const r = await rig({ proxy: proxy.url });
    const stream = r.sim.createStream();
    const session = await startSession(r.client, stream, 'wss://rtms.attacker.example/rtms/signaling');
    const end = await session.closed();
    expect(end.state).toBe('failed');
    expect(end.error?.code).toBe('RTMS_URL_REJECTED');
    expect(end.error?.message).toContain('rtms.attacker.example');
    expect(() => r.client.connectEvents({ url: 'wss://events.attacker.example/ws', tokenUrl: r.sim.tokenUrl })).toThrow(expect.objectContaining({ code: 'RTMS_URL_REJECTED' }) as Error);
    expect(() => r.client.connectEvents({ url: r.sim.eventSocketUrl, tokenUrl: 'https://token.attacker.example/oauth/token' })).toThrow(expect.objectContaining({ code: 'RTMS_URL_REJECTED' }) as Error);
    await new Promise((res) => setTimeout(res, 50));
    expect(proxy.connects).toEqual([]);
    await r.client.close();
    await r.sim.close();
    await proxy.close();
    await expectNoLeaks(baseline);
  });

  it('a proxy on a host the allow-list would refuse is used for allowed targets; a refused media URL stays refused', async () => {
    const baseline = ourResources();
    // The proxy is on 127.0.0.1, which this client's allow-list refuses (allowLoopback: false); the targets are
    // wss://rtms.test:<port>, a name only the proxy resolves (to the simulator), and the certificate covers it.
    const proxy = await startProxy({ hosts: { 'rtms.test': '127.0.0.1' } });
    const r = await rig({ proxy: proxy.url, tls: { ca: CA }, allowLoopback: false, allowedHosts: ['rtms.test'], reconnect: false }, { tls: SERVER_TLS });
    const port = new URL(r.sim.baseUrl).port;
    const base = `wss://rtms.test:${port}`;

    const connected: EventStreamConnected[] = [];
    r.client.on('eventStreamConnected', (i) => connected.push(i));
    const events = r.client.connectEvents({ url: `${base}/ws?subscriptionId=sim`, tokenUrl: `https://rtms.test:${port}/oauth/token` });
    await until(() => connected.length === 1, 5_000, 'event stream connected through the proxy');
    expect(proxy.connects.map((c) => c.target)).toEqual([`rtms.test:${port}`, `rtms.test:${port}`]);

    // Signaling to rtms.test goes through; the simulator then offers media URLs on 127.0.0.1, which this
    // client's allow-list refuses: refused, never dialled, proxy or not.
    const stream = r.sim.createStream();
    const session = await startSession(r.client, stream, `${base}/rtms/signaling`);
    const end = await session.closed();
    expect(end.state).toBe('failed');
    expect(end.error?.code).toBe('RTMS_URL_REJECTED');
    expect(end.error?.message).toMatch(/^media URL refused: loopback host 127\.0\.0\.1:\d+ is not allowed/);
    expect(stream.record.handshakes.filter((h) => h.channel === 'signaling').length).toBe(1);
    expect(proxy.connects.map((c) => c.target)).toEqual([`rtms.test:${port}`, `rtms.test:${port}`, `rtms.test:${port}`]);
    await events.close();
    await r.client.close();
    await r.sim.close();
    await proxy.close();
    await expectNoLeaks(baseline);
  });
});
