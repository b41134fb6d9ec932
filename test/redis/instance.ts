/**
 * One app instance for the multi-process scale-out test: an RtmsClient with a RedisCoordinator behind a
 * node:http webhook endpoint. Reports its port, its sessions and every audio frame it receives (receive time)
 * to the parent over IPC, in batches.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient } from 'redis';
import { RtmsClient } from '../../src/index.js';
import { RedisCoordinator, type RedisCommands, type RedisSubscriber } from '../../src/redis/index.js';

const env = process.env;
const send = (m: unknown): void => {
  process.send?.(m);
};

const redis = createClient({ url: env['REDIS_URL'] });
redis.on('error', () => undefined);
await redis.connect();
const sub = redis.duplicate();
sub.on('error', () => undefined);
await sub.connect();

const client = new RtmsClient({
  clientId: env['CLIENT_ID']!,
  clientSecret: env['CLIENT_SECRET']!,
  webhookSecretToken: env['SECRET_TOKEN']!,
  reconnect: { baseDelayMs: 200, maxDelayMs: 1000, jitter: 0.2, maxAttempts: 10 },
  coordinator: new RedisCoordinator({
    client: redis as unknown as RedisCommands,
    subscriber: sub as unknown as RedisSubscriber,
    instanceId: env['INSTANCE'],
    keyPrefix: env['PREFIX'],
    leaseMs: 2_000,
    renewIntervalMs: 500,
    scanIntervalMs: 200,
  }),
});

let frames: [string, number][] = [];
client.on('session', (session) => {
  send({ type: 'session', streamId: session.id, resumed: session.resumed, at: Date.now() });
  session.on('audio', () => frames.push([session.id, Date.now()]));
  session.on('error', () => undefined);
  void session.closed().then((end) => send({ type: 'closed', streamId: session.id, cause: end.cause, state: end.state, at: Date.now() }));
});
client.on('handover', (session) => send({ type: 'handover', streamId: session.id, at: Date.now() }));
const flush = setInterval(() => {
  if (frames.length === 0) return;
  send({ type: 'frames', frames });
  frames = [];
}, 50);

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    void client.handleWebhook({ headers: req.headers, body: Buffer.concat(chunks) }).then((out) => res.writeHead(out.status, out.headers).end(out.body));
  });
});
server.listen(0, '127.0.0.1', () => send({ type: 'port', port: (server.address() as AddressInfo).port }));

process.on('message', (m: { type?: string }) => {
  if (m?.type !== 'shutdown') return;
  void (async () => {
    await client.close({ closeStream: false });
    clearInterval(flush);
    if (frames.length) send({ type: 'frames', frames });
    server.close();
    await Promise.allSettled([redis.quit(), sub.quit()]);
    send({ type: 'bye' });
    process.disconnect?.();
  })();
});
