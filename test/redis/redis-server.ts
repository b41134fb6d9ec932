/**
 * A real Redis for the scale-out tests: REDIS_URL when set (CI starts one in .ci/run), else a private
 * redis-server on a free loopback port, stopped when the tests finish. On a developer machine without
 * redis-server the tests are skipped with a loud message; in CI (CI=true) they fail instead.
 *
 * Call `redisUrl()` with a top-level await in the test module, so that the answer is known when vitest collects
 * the suites: `describe.skipIf(url === undefined)`. (A function passed to `runIf`/`skipIf` is not called: it is
 * always truthy, so the suites would run without Redis and time out.) In CI the throw fails the test file at
 * collection time.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createClient } from 'redis';

import type { RedisCommands, RedisSubscriber } from '../../src/redis/index.js';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

let server: ChildProcess | undefined;
let url: string | undefined;

/** True in CI: `CI` set to anything but an empty string, `false` or `0` (the convention of most CI services). */
export function inCi(): boolean {
  const ci = process.env['CI'];
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}

/** The Redis URL to use, or undefined (with a warning) when none can be had outside CI. */
export async function redisUrl(): Promise<string | undefined> {
  if (url) return url;
  if (process.env['REDIS_URL']) return (url = process.env['REDIS_URL']);
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    const msg = 'redis-server is not on PATH and REDIS_URL is unset: the scale-out tests need a Redis (apt-get install redis-server).';
    if (inCi()) throw new Error(`${msg} In CI (CI=${process.env['CI']}) this is a failure, not a skip: .ci/run must start Redis and set REDIS_URL.`);
    console.warn(`\n\n!!!!!!!! ${msg} SKIPPING the Redis suites (set CI=true to make this a failure). !!!!!!!!\n\n`);
    return undefined;
  }
  const port = await freePort();
  server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const c = createClient({ url });
    c.on('error', () => undefined);
    try {
      await c.connect();
      await c.quit();
      return url;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`redis-server did not start on port ${port}`);
}

/** Stops the private redis-server, if this process started one. */
export function stopRedis(): void {
  server?.kill('SIGTERM');
  server = undefined;
  url = undefined;
}

/** A connected client (and a subscriber), closed by `close()`. */
export async function connect(u: string): Promise<{ client: RedisCommands; subscriber: RedisSubscriber; close: () => Promise<void> }> {
  const client = createClient({ url: u });
  client.on('error', () => undefined);
  await client.connect();
  const subscriber = client.duplicate();
  subscriber.on('error', () => undefined);
  await subscriber.connect();
  return {
    client: client as unknown as RedisCommands,
    subscriber: subscriber as unknown as RedisSubscriber,
    close: async () => {
      await Promise.allSettled([client.quit(), subscriber.quit()]);
    },
  };
}
