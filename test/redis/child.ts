/**
 * What the child-process instances of the Redis tests share (instance.ts, event-instance.ts): their name and
 * environment, IPC to the parent, an optional stderr logger, and a RedisCoordinator on their own Redis
 * connections, configured from the environment (PREFIX, INSTANCE, LEASE_MS, RENEW_MS, SCAN_MS, TIMEOUT_MS).
 */
import { createClient } from 'redis';
import type { RtmsLogger } from '../../src/index.js';
import { RedisCoordinator, type RedisCommands, type RedisSubscriber } from '../../src/redis/index.js';
import { RESILIENT } from './redis-server.js';

export const env = process.env;
/** This instance's name (INSTANCE). */
export const name = env['INSTANCE'] ?? 'instance';

/** Sends a message to the parent while the IPC channel is open. */
export const send = (m: unknown): void => {
  if (process.connected) process.send?.(m);
};

/** A number from the environment, or the default. */
export function num(k: string, d: number): number;
export function num(k: string, d: number | undefined): number | undefined;
export function num(k: string, d: number | undefined): number | undefined {
  return env[k] ? Number(env[k]) : d;
}

const line = (level: string) => (m: string, c?: Record<string, unknown>) => console.error(`${new Date().toISOString()} ${name} ${level} ${m} ${c ? JSON.stringify(c) : ''}`);
/** With LOG=1, client and coordinator logs on stderr. */
export const logger: RtmsLogger | undefined = env['LOG'] === '1' ? { debug: () => undefined, info: line('info'), warn: line('WARN'), error: line('ERROR') } : undefined;

/**
 * Connects to REDIS_URL (commands fail at once while the connection is down: nothing is queued and replayed
 * later) and makes the coordinator, with the caller's defaults for the lease and renewal interval.
 */
export async function coordinatorFromEnv(defaults: { leaseMs: number; renewMs: number }) {
  const redis = createClient({ url: env['REDIS_URL'], ...RESILIENT });
  redis.on('error', () => undefined);
  await redis.connect();
  const sub = redis.duplicate();
  sub.on('error', () => undefined);
  await sub.connect();
  const coordinator = new RedisCoordinator({
    client: redis as unknown as RedisCommands,
    subscriber: sub as unknown as RedisSubscriber,
    instanceId: name,
    keyPrefix: env['PREFIX'],
    leaseMs: num('LEASE_MS', defaults.leaseMs),
    renewIntervalMs: num('RENEW_MS', defaults.renewMs),
    scanIntervalMs: num('SCAN_MS', 200),
    commandTimeoutMs: num('TIMEOUT_MS', undefined),
    ...(logger ? { logger } : {}),
  });
  return { redis, sub, coordinator };
}
