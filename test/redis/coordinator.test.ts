import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import type { StreamLease } from '../../src/index.js';
import { RedisCoordinator, type RedisCommands } from '../../src/redis/index.js';
import { until } from '../helpers.js';
import { recorder } from './host.js';
import { connect, redisUrl, stopRedis } from './redis-server.js';

// Known at collection time (top-level await), so skipIf sees a boolean; in CI a missing Redis throws here.
const url = await redisUrl();
afterAll(() => stopRedis());

let testNo = 0;
async function instance(prefix: string, opts: { leaseMs?: number; gate?: { blocked: boolean } } = {}) {
  const conn = await connect(url!);
  onTestFinished(() => conn.close());
  const base = conn.client;
  // A gate that can freeze this instance's commands, to simulate a stalled process or a partition.
  const client: RedisCommands = {
    eval: async (script, o) => {
      while (opts.gate?.blocked) await new Promise((r) => setTimeout(r, 10));
      return base.eval(script, o);
    },
  };
  const host = recorder();
  const c = new RedisCoordinator({
    client,
    subscriber: conn.subscriber,
    keyPrefix: prefix,
    leaseMs: opts.leaseMs ?? 600,
    renewIntervalMs: 150,
    scanIntervalMs: 100,
    // Generous for a loaded test machine: a timed-out command counts as Redis being unreachable.
    commandTimeoutMs: 300,
    takeoverWindowMs: 5_000,
  });
  await c.attach(host);
  onTestFinished(() => c.close());
  return { c, host };
}

const lease = (id: string): StreamLease => ({ streamId: id, product: 'meeting', productId: 'u/+=', serverUrls: 'wss://a.zoom.us/s' });

describe.skipIf(url === undefined)('RedisCoordinator on a real Redis', () => {
  it('exactly one instance wins a claim, even when both try at once', async () => {
    const prefix = `t${process.pid}-${Date.now()}-${testNo++}:`;
    const [a, b] = await Promise.all([instance(prefix), instance(prefix)]);
    const results = await Promise.all([a.c.claim(lease('s1')), b.c.claim(lease('s1'))]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(a.c.owns('s1') !== b.c.owns('s1')).toBe(true);
  });

  it('routes control webhooks to the owner; a stop with no owner forgets the stream', async () => {
    const prefix = `t${process.pid}-${Date.now()}-${testNo++}:`;
    const [a, b] = await Promise.all([instance(prefix), instance(prefix)]);
    expect(await a.c.claim(lease('s2'))).toBe(true);
    expect(await b.c.route({ type: 'interrupted', streamId: 's2' })).toBe(true);
    expect(await b.c.route({ type: 'started', streamId: 's2', serverUrls: 'wss://b.zoom.us/s' })).toBe(true);
    await until(() => a.host.control.length === 2);
    expect(a.host.control.map((m) => m.type)).toEqual(['interrupted', 'started']);
    expect(await b.c.route({ type: 'stopped', streamId: 'nobody', stopReason: 6 })).toBe(false);
  });

  it('a released-with-forget stream is never taken over; a released-without-forget one is', async () => {
    const prefix = `t${process.pid}-${Date.now()}-${testNo++}:`;
    const [a, b] = await Promise.all([instance(prefix), instance(prefix)]);
    await new Promise((r) => setTimeout(r, 700)); // past b's first lease, in which a new instance takes nothing over
    await a.c.claim(lease('gone'));
    await a.c.claim(lease('handed'));
    await a.c.release('gone', true);
    await a.c.release('handed', false);
    await until(() => b.host.takeovers.length === 1, 3_000, 'takeover');
    await new Promise((r) => setTimeout(r, 300));
    expect(b.host.takeovers.map((t) => t.lease.streamId)).toEqual(['handed']);
    expect(b.host.takeovers[0]!.lease).toEqual(lease('handed'));
    expect(b.c.owns('handed')).toBe(true);
  });

  it('a partition: the cut-off owner keeps its stream, a survivor takes it over, and the owner gives it up at the first answer', async () => {
    const prefix = `t${process.pid}-${Date.now()}-${testNo++}:`;
    const gate = { blocked: false };
    const a = await instance(prefix, { gate, leaseMs: 600 });
    const b = await instance(prefix, { leaseMs: 600 });
    expect(await a.c.claim(lease('s3'))).toBe(true);
    gate.blocked = true; // a stops reaching Redis (b still does): its renewals time out
    await until(() => a.c.status?.state === 'unreachable', 2_000, 'a degraded');
    await until(() => b.host.takeovers.length === 1, 5_000, 'takeover');
    // No answer from Redis is no reason to give a healthy stream up: Zoom settles the overlap (one connection per stream).
    expect(a.host.lost).toEqual([]);
    expect(a.c.owns('s3')).toBe(true);
    expect(a.c.status).toMatchObject({ state: 'unreachable', unconfirmedStreams: 1 });
    expect(b.c.owns('s3')).toBe(true);
    // An unconfirmed stream may reconnect twice (a kick tug of war ends there), then it is handed over.
    expect([a.c.mayReconnect('s3'), a.c.mayReconnect('s3'), a.c.mayReconnect('s3')]).toEqual([true, true, false]);
    gate.blocked = false; // a reaches Redis again: "b holds the lease" is the answer that ends a's claim
    await until(() => a.host.lost.length === 1, 3_000, 'a gives the stream up');
    expect(a.host.lost.map((l) => l.id)).toEqual(['s3']);
    expect(a.host.statuses.map((st) => st.state)).toEqual(['unreachable', 'ok']);
    expect(a.c.owns('s3')).toBe(false);
    expect(await a.c.claim(lease('s3'))).toBe(false);
    expect(b.host.lost).toEqual([]);
  });

  it('a process that stalls past its lease cuts its streams on waking, before a survivor streams them', async () => {
    const prefix = `t${process.pid}-${Date.now()}-${testNo++}:`;
    const a = await instance(prefix, { leaseMs: 600 });
    const b = await instance(prefix, { leaseMs: 600 });
    expect(await a.c.claim(lease('s4'))).toBe(true);
    // Block the whole event loop (both coordinators live in this process) past the lease, like SIGSTOP.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 900);
    expect(a.c.mayReconnect('s4')).toBe(false); // before any timer ran: the stall alone forbids a reconnect
    expect(a.c.owns('s4')).toBe(false);
    await until(() => b.host.takeovers.length === 1, 5_000, 'takeover');
    expect(a.host.lost.map((l) => l.id)).toEqual(['s4']);
    expect(a.host.lost[0]!.at).toBeLessThanOrEqual(b.host.takeovers[0]!.at);
    expect(a.host.statuses).toEqual([]); // Redis never stopped answering
  });
});
