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
import { afterAll, beforeAll } from 'vitest';
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

/**
 * node-redis options for a coordinator's connections that must ride out Redis outages: commands fail at once
 * while the connection is down (none is queued and replayed later), and reconnects are retried quickly.
 */
export const RESILIENT = {
  disableOfflineQueue: true,
  socket: { connectTimeout: 1_000, reconnectStrategy: (retries: number) => Math.min(50 + retries * 50, 500) },
} as const;

/** A connected client (and a subscriber), closed by `close()`. `resilient`: the {@link RESILIENT} options. */
export async function connect(u: string, resilient = false): Promise<{ client: RedisCommands; subscriber: RedisSubscriber; close: () => Promise<void> }> {
  const client = createClient(resilient ? { url: u, ...RESILIENT } : { url: u });
  client.on('error', () => undefined);
  await client.connect();
  const subscriber = client.duplicate();
  subscriber.on('error', () => undefined);
  await subscriber.connect();
  return {
    client: client as unknown as RedisCommands,
    subscriber: subscriber as unknown as RedisSubscriber,
    close: async () => {
      // quit() waits for the server; a stopped or paused one never answers.
      client.destroy();
      subscriber.destroy();
    },
  };
}

/** True when this machine can start its own redis-server (the outage tests pause, restart and flush it). */
export function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).status === 0;
}

/**
 * Whether the outage tests can run: they need a redis-server binary of their own (REDIS_URL is not enough: they
 * stop and restart the server). Outside CI without one they are skipped with a loud message; in CI that throws.
 */
export function outageTestsCanRun(): boolean {
  if (hasRedisServer()) return true;
  const msg = 'redis-server is not on PATH: the Redis outage tests pause, restart and flush a Redis of their own (apt-get install redis-server).';
  if (inCi()) throw new Error(`${msg} In CI (CI=${process.env['CI']}) this is a failure, not a skip.`);
  console.warn(`\n\n!!!!!!!! ${msg} SKIPPING the outage suites (set CI=true to make this a failure). !!!!!!!!\n\n`);
  return false;
}

/** A redis-server this process controls: pause it, restart it (empty: no persistence), flush it, stop it. */
export interface OwnRedis {
  /** `redis://127.0.0.1:<port>`; the same across restarts. */
  readonly url: string;
  /** The port, the same across restarts. */
  readonly port: number;
  /** SIGSTOP: the server keeps its connections and answers nothing. */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
  /** SIGKILL, then a new server on the same port with no data (a restart or failover that lost everything). */
  restart(downMs?: number): Promise<void>;
  /** FLUSHALL on a fresh connection. */
  flush(): Promise<void>;
  /** Stops the server (SIGKILL after a SIGCONT); idempotent. */
  stop(): Promise<void>;
}

async function waitForRedis(u: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const c = createClient({ url: u, socket: { reconnectStrategy: false } });
    c.on('error', () => undefined);
    try {
      await c.connect();
      await c.ping();
      c.destroy();
      return;
    } catch {
      c.destroy();
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  throw new Error(`redis-server did not start on ${u}`);
}

/** Starts a redis-server of its own on a free loopback port, without persistence. */
export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort();
  const u = `redis://127.0.0.1:${port}`;
  let proc: ChildProcess | undefined;
  const launch = async (): Promise<void> => {
    proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await waitForRedis(u);
  };
  const kill = async (): Promise<void> => {
    const p = proc;
    proc = undefined;
    if (p === undefined || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
    p.kill('SIGCONT');
    p.kill('SIGKILL');
    await exited;
  };
  await launch();
  return {
    url: u,
    port,
    pause: () => void proc?.kill('SIGSTOP'),
    resume: () => void proc?.kill('SIGCONT'),
    restart: async (downMs = 0) => {
      await kill();
      if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
      await launch();
    },
    flush: async () => {
      const c = createClient({ url: u });
      c.on('error', () => undefined);
      await c.connect();
      await c.flushAll();
      c.destroy();
    },
    stop: kill,
  };
}

/**
 * A redis-server of the test file's own, started before the file's tests and stopped after them, when the outage
 * tests can run here (see {@link outageTestsCanRun}). Read `redis` inside tests only.
 */
export function ownRedisPerFile(): { readonly canRun: boolean; readonly redis: OwnRedis } {
  const canRun = outageTestsCanRun();
  let redis: OwnRedis | undefined;
  beforeAll(async () => {
    if (canRun) redis = await startOwnRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  return {
    canRun,
    get redis(): OwnRedis {
      if (redis === undefined) throw new Error('no redis-server of this file (the outage tests cannot run here)');
      return redis;
    },
  };
}

/** Reads keys on a fresh connection (closed after). */
export async function peekKeys(url: string, keys: string[]): Promise<(string | null)[]> {
  const c = createClient({ url });
  c.on('error', () => undefined);
  await c.connect();
  try {
    return await Promise.all(keys.map((k) => c.get(k)));
  } finally {
    c.destroy();
  }
}
