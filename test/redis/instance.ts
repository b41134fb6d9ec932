/**
 * One app instance for the multi-process scale-out tests and the chaos run: an RtmsClient with a RedisCoordinator
 * behind a node:http webhook endpoint. Reports its port, its sessions, handovers, the coordinator's status and
 * every audio frame it receives (receive time, server timestamp) to the parent over IPC, in batches; answers `report` with what it
 * holds (sessions, owned streams, pending operations, open handles) for leak checks.
 *
 * Environment: REDIS_URL, PREFIX, INSTANCE, CLIENT_ID, CLIENT_SECRET, SECRET_TOKEN; optional LEASE_MS (2 000),
 * RENEW_MS (500), SCAN_MS (200), TIMEOUT_MS (coordinator default), LOG=1 (client and coordinator logs on stderr).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RtmsClient } from '../../src/index.js';
import { coordinatorFromEnv, env, logger, send } from './child.js';

const { redis, sub, coordinator } = await coordinatorFromEnv({ leaseMs: 2_000, renewMs: 500 });
const client = new RtmsClient({
  clientId: env['CLIENT_ID']!,
  clientSecret: env['CLIENT_SECRET']!,
  webhookSecretToken: env['SECRET_TOKEN']!,
  reconnect: { baseDelayMs: 200, maxDelayMs: 1000, jitter: 0.2, maxAttempts: 10 },
  coordinator,
  ...(logger ? { logger } : {}),
});

/** [stream id, receive time, the frame's server timestamp (-1 without)]. */
let frames: [string, number, number][] = [];
client.on('session', (session) => {
  send({ type: 'session', streamId: session.id, resumed: session.resumed, at: Date.now() });
  session.on('audio', (f) => frames.push([session.id, Date.now(), f.timestamp ?? -1]));
  session.on('error', () => undefined);
  void session.closed().then((end) => send({ type: 'closed', streamId: session.id, cause: end.cause, state: end.state, error: end.error?.code, at: Date.now() }));
});
client.on('handover', (session) => send({ type: 'handover', streamId: session.id, at: Date.now() }));
client.on('error', () => undefined);

let lastState = coordinator.status.state;
const tick = setInterval(() => {
  if (frames.length) {
    send({ type: 'frames', frames });
    frames = [];
  }
  const state = coordinator.status.state;
  if (state !== lastState) {
    lastState = state;
    send({ type: 'status', state, at: Date.now() });
  }
}, 50);

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    void client.handleWebhook({ headers: req.headers, body: Buffer.concat(chunks) }).then((out) => res.writeHead(out.status, out.headers).end(out.body));
  });
});
server.keepAliveTimeout = 100;
server.listen(0, '127.0.0.1', () => send({ type: 'port', port: (server.address() as AddressInfo).port }));

/** Open handles of the kinds a leak would show as. */
function resources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) if (r === 'TCPSocketWrap' || r === 'Timeout' || r === 'TCPServerWrap') counts[r] = (counts[r] ?? 0) + 1;
  return counts;
}

process.on('message', (m: { type?: string }) => {
  if (m?.type === 'report') {
    const status = coordinator.status;
    send({ type: 'report', sessions: client.sessions.size, owned: coordinator.ownedStreams.length, pending: status.pendingOperations, state: status.state, resources: resources() });
    return;
  }
  if (m?.type !== 'shutdown') return;
  void (async () => {
    await client.close({ closeStream: false });
    clearInterval(tick);
    if (frames.length) send({ type: 'frames', frames });
    server.close();
    redis.destroy();
    sub.destroy();
    send({ type: 'bye' });
    process.disconnect?.();
  })();
});
