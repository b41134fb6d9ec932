/**
 * rtms-client/redis under the running runtime (Bun, Deno, or Node as the baseline), against the real Redis at
 * REDIS_URL (CI starts one in .ci/run): two instances, each an RtmsClient with a RedisCoordinator (node-redis
 * clients), share one stream.
 *
 * - `rtms_started` at instance A: A claims the stream and streams it.
 * - Zoom's copy of it at instance B: B answers `owned_elsewhere` and opens no socket.
 * - `rtms_stopped` at instance B: B routes it to A over Redis pub/sub (`routed`), and A stops the stream.
 * - Both close; their keys are deleted; the process exits by itself.
 *
 * Run by scripts/check-runtimes.sh from its scratch project, where `redis` (the optional peer) is installed.
 * Exit code 0 when every check passed; 2 when REDIS_URL is unset (the script decides whether that is a skip).
 */
import { randomUUID } from 'node:crypto';
import { createClient } from 'redis';
import { RtmsClient, type RtmsSession } from 'rtms-client';
import { RedisCoordinator } from 'rtms-client/redis';
import { RtmsSimulator } from 'rtms-client/testing';
import { check, failures, run, runtime, until } from './harness.ts';

const credentials = { clientId: 'so-client-id', clientSecret: 'so-client-secret', webhookSecretToken: 'so-webhook-token' };

function status(body: string): unknown {
  try {
    return (JSON.parse(body) as { status?: unknown }).status;
  } catch {
    return undefined;
  }
}

async function main(url: string): Promise<void> {
  const t0 = Date.now();
  // A key prefix of its own, so that nothing else on this Redis is touched, and everything can be deleted after.
  const keyPrefix = `rtms-runtime-check:${randomUUID()}:`;
  const redisClients: { quit(): Promise<unknown> }[] = [];
  const connect = async () => {
    const c = createClient({ url, disableOfflineQueue: true });
    c.on('error', () => undefined);
    await c.connect();
    redisClients.push(c);
    return c;
  };
  const instance = async (name: string) => {
    const redis = await connect();
    const subscriber = await connect();
    const client = new RtmsClient({ ...credentials, coordinator: new RedisCoordinator({ client: redis, subscriber, instanceId: `${name}-${randomUUID()}`, keyPrefix }) });
    return { client, redis };
  };
  const sim = await RtmsSimulator.start(credentials);
  const a = await instance('a');
  const b = await instance('b');
  console.log(`runtime ${runtime}; Redis ${url.replace(/\/\/[^@]*@/, '//')}; key prefix ${keyPrefix}`);
  try {
    const sessions: Record<string, RtmsSession[]> = { a: [], b: [] };
    a.client.on('session', (s) => sessions['a']?.push(s));
    b.client.on('session', (s) => sessions['b']?.push(s));
    const texts: string[] = [];
    a.client.on('session', (s) => s.on('transcript', (t) => texts.push(t.text)));

    const stream = sim.createStream({ product: 'meeting' });
    const started = stream.webhook('started');
    const atA = await a.client.handleWebhook(started);
    check(atA.status === 200, `rtms_started at A: ${atA.status} ${atA.body}`);
    await stream.ready(5_000);
    const atB = await b.client.handleWebhook(started);
    check(atB.status === 200 && status(atB.body) === 'owned_elsewhere', `Zoom's copy at B: ${atB.status} ${atB.body}`);
    stream.sendTranscript({ userId: 1, userName: 'Ada', text: 'one consumer' });
    await until(() => texts.includes('one consumer'), 3_000, 'a transcript at A');
    check(sessions['a']?.length === 1 && sessions['b']?.length === 0 && stream.record.signalingConnections === 1, 'exactly one consumer: A streams, B opened nothing');

    const stopped = await b.client.handleWebhook(stream.webhook('stopped'));
    check(stopped.status === 200 && status(stopped.body) === 'routed', `rtms_stopped at B routed to A: ${stopped.status} ${stopped.body}`);
    const session = sessions['a']?.[0];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), 5_000);
    });
    const end = session === undefined ? undefined : await Promise.race([session.closed(), timeout]).finally(() => clearTimeout(timer));
    check(end?.state === 'stopped', `A's session stopped by the routed webhook: ${end?.state ?? 'still running after 5 s'}`);
  } finally {
    await a.client.close();
    await b.client.close();
    await sim.close();
    const cleaner = await connect();
    let deleted = 0;
    for await (const keys of cleaner.scanIterator({ MATCH: `${keyPrefix}*`, COUNT: 100 })) {
      const list = Array.isArray(keys) ? keys : [keys];
      if (list.length > 0) deleted += await cleaner.del(list);
    }
    for (const c of redisClients) await c.quit().catch(() => undefined);
    console.log(`deleted ${deleted} key(s) under the prefix`);
  }
  console.log(`scale-out under ${runtime}: ${failures.length === 0 ? 'passed' : `${failures.length} check(s) failed`} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

const url = process.env['REDIS_URL'];
if (url === undefined || url === '') {
  console.log('REDIS_URL is unset: no Redis to run against');
  process.exitCode = 2;
} else {
  run(() => main(url));
}
