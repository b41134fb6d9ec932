/**
 * The outbound network options under the running runtime (Bun, Deno, or Node as the baseline), run by
 * scripts/check-runtimes.sh from its scratch project, where `https-proxy-agent` (the optional peer `proxy` needs)
 * is installed and the repository's test TLS fixtures (test/fixtures/tls/) are copied beside this file:
 *
 * - `proxy`: a session streams through an HTTP CONNECT proxy (a small one in this process counts the tunnels),
 *   and with the proxy down it does not connect at all. Bun replaces the `ws` package with its own
 *   implementation, and that implementation has been reported to ignore the `agent` option (oven-sh/bun#18050,
 *   #23208), which would send the sockets around the proxy: this is what catches that.
 * - `proxy: 'env'`: the same proxy named by `HTTP_PROXY` (read through `proxy-from-env`, also installed there), and a
 *   direct connection once `NO_PROXY` names the simulator's host.
 * - `tls.ca`: against a `wss://` simulator whose certificate a test CA issued, the session and the event stream
 *   (its `https://` token request and `wss://` socket) are refused without the CA and with an unrelated CA, and
 *   accepted with the right one.
 *
 * Exit code 0 when every check passed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { RtmsClient, type RtmsClientOptions } from 'rtms-client';
import { RtmsSimulator } from 'rtms-client/testing';
import { check, failures, run, runtime } from './harness.ts';

const credentials = { clientId: 'nw-client-id', clientSecret: 'nw-client-secret', webhookSecretToken: 'nw-webhook-token' };
/** A TLS fixture: beside this file in the scratch project, in test/fixtures/tls/ in the repository. */
function fixture(name: string): string {
  const beside = new URL(`./${name}`, import.meta.url);
  return readFileSync(existsSync(beside) ? beside : new URL(`../fixtures/tls/${name}`, import.meta.url), 'utf8');
}

/** One stream through a client with `options`: did it stream, and what did the session report? */
async function stream(sim: RtmsSimulator, options: Partial<RtmsClientOptions>): Promise<{ streaming: boolean; errors: string[] }> {
  const client = new RtmsClient({ ...credentials, ...options, reconnect: { maxAttempts: 1 }, connectTimeoutMs: 3_000 });
  const errors: string[] = [];
  let failed: () => void = () => undefined;
  const firstError = new Promise<boolean>((resolve) => {
    failed = () => resolve(false);
  });
  client.on('session', (s) =>
    s.on('error', (err) => {
      errors.push(`${err.code}: ${err.message}`);
      failed();
    }),
  );
  try {
    const s = sim.createStream({ product: 'meeting' });
    await client.handleWebhook(s.webhook('started'));
    // Streaming, or the first error (a refused connection), whichever comes first.
    const streaming = await Promise.race([
      s.ready(4_000).then(
        () => true,
        () => false,
      ),
      firstError,
    ]);
    return { streaming, errors };
  } finally {
    await client.close();
  }
}

/** The event stream through a client with `options`: did it connect within `ms`? */
async function eventStream(sim: RtmsSimulator, options: Partial<RtmsClientOptions>, ms: number): Promise<boolean> {
  const client = new RtmsClient({ ...credentials, ...options, connectTimeoutMs: 3_000 });
  try {
    const events = client.connectEvents({ url: sim.eventSocketUrl, tokenUrl: sim.tokenUrl });
    const deadline = Date.now() + ms;
    while (events.state !== 'connected' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    return events.state === 'connected';
  } finally {
    await client.close();
  }
}

async function main(): Promise<void> {
  const t0 = Date.now();
  // An HTTP CONNECT proxy that counts the tunnels it opens.
  let tunnels = 0;
  const open = new Set<{ destroy(): void }>();
  const proxy = createServer((_req, res) => res.writeHead(405).end());
  proxy.on('connect', (req, socket, head) => {
    tunnels++;
    open.add(socket);
    const [host, port] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), host ?? '127.0.0.1', () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    open.add(upstream);
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  // A port nothing listens on: a proxy that is down.
  const dead = createServer();
  await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
  const deadProxyUrl = `http://127.0.0.1:${(dead.address() as AddressInfo).port}`;
  await new Promise<void>((resolve) => dead.close(() => resolve()));

  const plain = await RtmsSimulator.start(credentials);
  const secure = await RtmsSimulator.start({ ...credentials, tls: { key: fixture('server.key'), cert: fixture('server.pem') } });
  console.log(`runtime ${runtime}; proxy ${proxyUrl}; simulators ${plain.baseUrl} and ${secure.baseUrl}`);
  try {
    const viaProxy = await stream(plain, { proxy: proxyUrl });
    check(viaProxy.streaming && tunnels === 2, `proxy: streaming through the proxy, ${tunnels} CONNECT tunnel(s) (signaling and media)${viaProxy.errors.length ? `; ${viaProxy.errors.join('; ')}` : ''}`);
    // proxy: 'env' (proxy-from-env, installed beside https-proxy-agent): HTTP_PROXY for the ws:// simulator, then
    // NO_PROXY naming its host.
    for (const name of ['http_proxy', 'https_proxy', 'all_proxy', 'no_proxy', 'HTTPS_PROXY', 'ALL_PROXY', 'NO_PROXY']) delete process.env[name];
    process.env['HTTP_PROXY'] = proxyUrl;
    const viaEnvBefore = tunnels;
    const viaEnv = await stream(plain, { proxy: 'env' });
    check(viaEnv.streaming && tunnels - viaEnvBefore === 2, `proxy 'env': streaming through HTTP_PROXY, ${tunnels - viaEnvBefore} CONNECT tunnel(s)${viaEnv.errors.length ? `; ${viaEnv.errors.join('; ')}` : ''}`);
    process.env['NO_PROXY'] = '127.0.0.1';
    const direct = await stream(plain, { proxy: 'env' });
    check(direct.streaming && tunnels - viaEnvBefore === 2, `proxy 'env': NO_PROXY=127.0.0.1 connects directly${direct.errors.length ? `; ${direct.errors.join('; ')}` : ''}`);
    delete process.env['HTTP_PROXY'];
    delete process.env['NO_PROXY'];
    const before = tunnels;
    const viaDead = await stream(plain, { proxy: deadProxyUrl });
    check(!viaDead.streaming && viaDead.errors.some((e) => e.startsWith('RTMS_CONNECT_FAILED')) && tunnels === before, `proxy down: no connection around it (${viaDead.errors[0]?.slice(0, 100) ?? 'no error'})`);

    const noCa = await stream(secure, {});
    check(!noCa.streaming && noCa.errors.some((e) => e.startsWith('RTMS_CONNECT_FAILED') && e.includes('TLS')), `tls: refused without the CA (${noCa.errors[0]?.slice(0, 100) ?? 'no error'})`);
    const otherCa = await stream(secure, { tls: { ca: fixture('other-ca.pem') } });
    check(!otherCa.streaming && otherCa.errors.some((e) => e.startsWith('RTMS_CONNECT_FAILED')), 'tls: refused with an unrelated CA');
    const rightCa = await stream(secure, { tls: { ca: fixture('ca.pem') } });
    check(rightCa.streaming && rightCa.errors.length === 0, `tls: streaming with the CA that issued the certificate${rightCa.errors.length ? `; ${rightCa.errors.join('; ')}` : ''}`);
    check(!(await eventStream(secure, {}, 1_500)), 'tls: the event stream (https token, wss socket) refused without the CA');
    check(await eventStream(secure, { tls: { ca: fixture('ca.pem') } }, 5_000), 'tls: the event stream connects with the CA');
  } finally {
    await plain.close();
    await secure.close();
    for (const socket of open) socket.destroy();
    await new Promise<void>((resolve) => proxy.close(() => resolve()));
  }
  console.log(`network options under ${runtime}: ${failures.length === 0 ? 'passed' : `${failures.length} check(s) failed`} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

run(main);
