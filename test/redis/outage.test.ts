/**
 * RedisCoordinator when Redis itself has trouble, against a redis-server these tests control: paused (SIGSTOP)
 * for four leases, restarted empty, flushed. Owners keep their streams and re-assert them; nobody takes a live
 * owner's stream over; claims, stops and routed webhooks made during the outage are bounded by the command
 * timeout and applied when Redis answers again.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import type { StreamLease } from '../../src/index.js';
import { RedisCoordinator } from '../../src/redis/index.js';
import { until } from '../helpers.js';
import { recorder } from './host.js';
import { connect, ownRedisPerFile, peekKeys } from './redis-server.js';

const own = ownRedisPerFile();
const canRun = own.canRun;

const LEASE = 600;

let testNo = 0;
const newPrefix = () => `o${process.pid}-${Date.now()}-${testNo++}:`;

async function instance(prefix: string, name: string) {
  const conn = await connect(own.redis.url, true);
  onTestFinished(() => conn.close());
  const host = recorder();
  const c = new RedisCoordinator({
    client: conn.client,
    subscriber: conn.subscriber,
    keyPrefix: prefix,
    instanceId: name,
    leaseMs: LEASE,
    renewIntervalMs: 150,
    scanIntervalMs: 100,
    commandTimeoutMs: 200,
    takeoverWindowMs: 10_000,
  });
  await c.attach(host);
  onTestFinished(() => c.close());
  return { c, host, conn };
}

/** Reads keys on a fresh connection. */
const peek = (keys: string[]) => peekKeys(own.redis.url, keys);

const lease = (id: string): StreamLease => ({ streamId: id, product: 'meeting', productId: 'u/+=', serverUrls: 'wss://a.zoom.us/s' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!canRun)('RedisCoordinator while Redis is paused, restarted or flushed', () => {
  it('a pause of four leases: owners keep their streams, nobody takes them over, leases are re-asserted', async () => {
    const prefix = newPrefix();
    const a = await instance(prefix, 'A');
    const b = await instance(prefix, 'B');
    expect(await a.c.claim(lease('p1'))).toBe(true);
    expect(await b.c.claim(lease('p2'))).toBe(true);
    own.redis.pause();
    try {
      await until(() => a.c.status?.state === 'unreachable' && b.c.status?.state === 'unreachable', 2_000, 'both degraded');
      await sleep(4 * LEASE);
      expect(a.c.owns('p1')).toBe(true);
      expect(b.c.owns('p2')).toBe(true);
      expect(a.c.status).toMatchObject({ state: 'unreachable', unconfirmedStreams: 1 });
      expect(a.c.status?.lastError).toMatch(/timed out after 200 ms/);
    } finally {
      own.redis.resume();
    }
    await until(() => a.c.status?.state === 'ok' && b.c.status?.state === 'ok', 3_000, 'both reachable');
    await until(() => a.c.status?.unconfirmedStreams === 0 && b.c.status?.unconfirmedStreams === 0, 3_000, 're-asserted');
    await sleep(2 * LEASE); // past the takeover grace
    expect([...a.host.lost, ...b.host.lost]).toEqual([]);
    expect([...a.host.takeovers, ...b.host.takeovers]).toEqual([]);
    expect(await peek([`${prefix}lease:p1`, `${prefix}lease:p2`])).toEqual(['A', 'B']);
    expect(a.host.statuses.map((s) => s.state)).toEqual(['unreachable', 'ok']);
  });

  it('a restart that lost every key: leases and records are re-registered, and a later crash is still taken over', async () => {
    const prefix = newPrefix();
    const a = await instance(prefix, 'A');
    const b = await instance(prefix, 'B');
    expect(await a.c.claim(lease('r1'))).toBe(true);
    await a.c.update({ ...lease('r1'), serverUrls: 'wss://failover.zoom.us/s' });
    await own.redis.restart(200);
    let keys: (string | null)[] = [];
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline) {
      keys = await peek([`${prefix}lease:r1`, `${prefix}stream:r1`]);
      if (keys[0] !== null && keys[1] !== null) break;
      await sleep(50);
    }
    expect(keys[0]).toBe('A');
    expect(JSON.parse(keys[1]!)).toEqual({ ...lease('r1'), serverUrls: 'wss://failover.zoom.us/s' });
    expect(a.host.lost).toEqual([]);
    await sleep(2 * LEASE); // past the takeover grace of both
    expect(b.host.takeovers).toEqual([]);
    // The subscriptions came back with the connections: control webhooks are routed to the owner again.
    expect(await b.c.route({ type: 'interrupted', streamId: 'r1' })).toBe(true);
    await until(() => a.host.control.some((m) => m.type === 'interrupted' && m.streamId === 'r1'), 2_000, 'routed after the restart');

    // A crash of the owner now (its renewals stop) is taken over about a lease later, with the failover URLs.
    const crashAt = Date.now();
    await a.conn.close(); // a's connections die with it: no release, the lease has to expire
    await until(() => b.host.takeovers.length === 1, 3_000, 'takeover');
    expect(b.host.takeovers[0]!.lease.serverUrls).toBe('wss://failover.zoom.us/s');
    // lease + scan interval, plus a little for the timers of a loaded machine
    expect(b.host.takeovers[0]!.at - crashAt).toBeLessThan(LEASE + 100 + 200);
  });

  it('FLUSHALL: the owner re-registers at its next renewal', async () => {
    const prefix = newPrefix();
    const a = await instance(prefix, 'A');
    expect(await a.c.claim(lease('f1'))).toBe(true);
    await own.redis.flush();
    const deadline = Date.now() + 3_000;
    let keys: (string | null)[] = [];
    while (Date.now() < deadline) {
      keys = await peek([`${prefix}lease:f1`, `${prefix}stream:f1`]);
      if (keys[0] !== null && keys[1] !== null) break;
      await sleep(20);
    }
    expect(keys[0]).toBe('A');
    expect(JSON.parse(keys[1]!)).toEqual(lease('f1'));
    expect(a.host.lost).toEqual([]);
    expect(a.host.statuses).toEqual([]); // nothing was unreachable
  });

  it('claims during an outage are provisional and bounded; when Redis answers exactly one of two claimants keeps the stream', async () => {
    const prefix = newPrefix();
    const a = await instance(prefix, 'A');
    const b = await instance(prefix, 'B');
    own.redis.pause();
    let took: number[];
    try {
      const t0 = Date.now();
      const ra = await a.c.claim({ ...lease('c1'), serverUrls: 'wss://new.zoom.us/s' });
      await until(() => b.c.status?.state === 'unreachable', 2_000, 'b notices (its scan is the probe)');
      const t1 = Date.now();
      const rb = await b.c.claim(lease('c1'));
      const t2 = Date.now();
      took = [t1 - t0, t2 - t1];
      expect([ra, rb]).toEqual([true, true]); // both stream it for now: Zoom lets only one connection through
      expect(a.c.status).toMatchObject({ state: 'unreachable', unconfirmedStreams: 1 });
    } finally {
      own.redis.resume();
    }
    expect(took[0]).toBeLessThan(500); // the first claim waited for its timeout (200 ms)
    expect(took[1]).toBeLessThan(50); // already known unreachable: no wait at all
    await until(() => a.host.lost.length + b.host.lost.length === 1, 3_000, 'one claimant gives up');
    const [owner] = await peek([`${prefix}lease:c1`]);
    const loser = owner === 'A' ? b : a;
    const winner = owner === 'A' ? a : b;
    expect(loser.host.lost.map((l) => l.id)).toEqual(['c1']);
    expect(winner.c.owns('c1')).toBe(true);
    // The loser tells the winner the server_urls it was given (a failover webhook may have landed only on it).
    await until(() => winner.host.control.some((m) => m.type === 'started'), 3_000, 'started routed to the winner');
  });

  it('stops and routed control webhooks during an outage are applied when Redis answers; a forgotten stream is never resumed', async () => {
    const prefix = newPrefix();
    const a = await instance(prefix, 'A');
    const b = await instance(prefix, 'B');
    expect(await a.c.claim(lease('d1'))).toBe(true);
    expect(await a.c.claim(lease('d2'))).toBe(true);
    own.redis.pause();
    try {
      await until(() => a.c.status?.state === 'unreachable', 2_000, 'degraded');
      const t0 = Date.now();
      await a.c.release('d1', true); // d1 ended here (a stop webhook): forget it
      expect(await b.c.route({ type: 'stopped', streamId: 'd2', stopReason: 6, final: true })).toBe(false); // d2's stop landed on b
      expect(Date.now() - t0).toBeLessThan(500);
      expect(a.c.status?.pendingOperations).toBe(1);
      expect(b.c.status?.pendingOperations).toBe(1);
      await sleep(2 * LEASE);
    } finally {
      own.redis.resume();
    }
    await until(() => a.c.status?.pendingOperations === 0 && b.c.status?.pendingOperations === 0, 3_000, 'pending applied');
    await until(() => a.host.control.some((m) => m.type === 'stopped' && m.streamId === 'd2'), 3_000, 'stop delivered');
    // The owner ends d2 on the stop and forgets it (what the client does).
    await a.c.release('d2', true);
    await sleep(3 * LEASE);
    expect(await peek([`${prefix}stream:d1`, `${prefix}stream:d2`])).toEqual([null, null]);
    expect(b.host.takeovers).toEqual([]);
  });

  it('attach, claim, route, release and close all answer within the command timeout while Redis is paused', async () => {
    const prefix = newPrefix();
    const a = await instance(prefix, 'A');
    expect(await a.c.claim(lease('b1'))).toBe(true);
    const conn = await connect(own.redis.url, true);
    onTestFinished(() => conn.close());
    own.redis.pause();
    try {
      const late = new RedisCoordinator({ client: conn.client, subscriber: conn.subscriber, keyPrefix: prefix, instanceId: 'L', leaseMs: LEASE, renewIntervalMs: 150, commandTimeoutMs: 200 });
      const host = recorder();
      const steps: [string, () => Promise<unknown>][] = [
        ['attach', () => late.attach(host)],
        ['claim', () => late.claim(lease('b2'))],
        ['route', () => late.route({ type: 'interrupted', streamId: 'b1' })],
        ['update', () => late.update(lease('b2'))],
        ['release', () => late.release('b2', true)],
        ['close', () => late.close()],
        ['close A', () => a.c.close()],
      ];
      for (const [name, step] of steps) {
        const t0 = Date.now();
        await step();
        expect(Date.now() - t0, name).toBeLessThan(500);
      }
    } finally {
      own.redis.resume();
    }
  });
});
