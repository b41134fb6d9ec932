/**
 * A stop or interrupted webhook that names only the product id, no `rtms_stream_id` (the Zoom Phone sample's stop
 * payload: `call_id` and `stop_reason`), behind a load balancer: the instance that receives it has no session of
 * that call, so it sends it to the fleet, and the instance that streams the call applies it. Real Redis, two
 * clients, the simulator playing Zoom.
 */
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { RtmsClient, StopReason } from '../../src/index.js';
import { RedisCoordinator, type RedisCommands } from '../../src/redis/index.js';
import { RtmsSimulator, buildWebhook } from '../../src/testing/index.js';
import { CREDS, until } from '../helpers.js';
import { connect, redisUrl, stopRedis } from './redis-server.js';

// Known at collection time (top-level await), so skipIf sees a boolean; in CI a missing Redis throws here.
const url = await redisUrl();
afterAll(() => stopRedis());

let testNo = 0;

async function member(prefix: string, gate: { blocked: boolean } = { blocked: false }) {
  const conn = await connect(url!, true);
  onTestFinished(() => conn.close());
  const base = conn.client;
  const client: RedisCommands = {
    eval: async (script, o) => {
      while (gate.blocked) await new Promise((r) => setTimeout(r, 10));
      return base.eval(script, o);
    },
  };
  const coordinator = new RedisCoordinator({ client, subscriber: conn.subscriber, keyPrefix: prefix, leaseMs: 1_000, renewIntervalMs: 250, scanIntervalMs: 100, commandTimeoutMs: 200 });
  const rtms = new RtmsClient({ ...CREDS, coordinator, reconnect: { baseDelayMs: 20, maxDelayMs: 80, jitter: 0, maxAttempts: 10 } });
  onTestFinished(() => rtms.close());
  rtms.on('error', () => undefined);
  return rtms;
}

const phoneStop = (callId: string, extra: Record<string, unknown> = {}) => buildWebhook('phone.rtms_stopped', { call_id: callId, ...extra }, { secretToken: CREDS.webhookSecretToken });

describe.skipIf(url === undefined)('webhooks that name only the product id, across the fleet', () => {
  it('a call_id-only stop received by another instance stops the call where it streams; an unknown call_id changes nothing', async () => {
    const prefix = `pr${process.pid}-${Date.now()}-${testNo++}:`;
    const sim = await RtmsSimulator.start(CREDS);
    onTestFinished(() => sim.close());
    const [a, b] = [await member(prefix), await member(prefix)];
    await new Promise((r) => setTimeout(r, 200)); // both subscribed to the fleet's channel
    const call = sim.createStream({ product: 'phone' });
    const other = sim.createStream({ product: 'phone' });
    const session = (await b.handleWebhook(call.webhook('started'))).session!;
    const otherSession = (await b.handleWebhook(other.webhook('started'))).session!;
    await call.ready();
    await other.ready();

    const res = await a.handleWebhook(phoneStop(call.productId, { stop_reason: StopReason.MEETING_ENDED }));
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ status: 'routed' });
    expect(await session.closed()).toMatchObject({ state: 'stopped', cause: 'webhook_stopped', stopReason: StopReason.MEETING_ENDED });
    expect(otherSession.state).toBe('streaming'); // another call of the same instance is untouched
    expect(a.sessions.size).toBe(0);

    // A call nobody streams: sent to the fleet (B listens), applied nowhere; nothing changes.
    const unknown = await a.handleWebhook(phoneStop('no-such-call'));
    expect(JSON.parse(unknown.body)).toEqual({ status: 'routed' });
    await new Promise((r) => setTimeout(r, 200));
    expect(otherSession.state).toBe('streaming');
  });

  it('a call_id-only interruption received by another instance makes the streaming instance reconnect', async () => {
    const prefix = `pr${process.pid}-${Date.now()}-${testNo++}:`;
    const sim = await RtmsSimulator.start(CREDS);
    onTestFinished(() => sim.close());
    const [a, b] = [await member(prefix), await member(prefix)];
    await new Promise((r) => setTimeout(r, 200));
    const call = sim.createStream({ product: 'phone' });
    const session = (await b.handleWebhook(call.webhook('started'))).session!;
    await call.ready();
    const reconnected: number[] = [];
    session.on('reconnected', () => reconnected.push(Date.now()));
    const interrupted = buildWebhook('phone.rtms_interrupted', { call_id: call.productId }, { secretToken: CREDS.webhookSecretToken });
    expect(JSON.parse((await a.handleWebhook(interrupted)).body)).toEqual({ status: 'routed' });
    await until(() => reconnected.length === 1, 5_000, 'the owner reconnected');
    expect(call.record.handshakes.filter((h) => h.channel === 'signaling')).toHaveLength(2);
    expect(session.state).toBe('streaming');
  });

  it('a stop that Redis publishes late (held through a stall) ends the call it was for, and spares a newer session of the same call_id', async () => {
    const prefix = `pr${process.pid}-${Date.now()}-${testNo++}:`;
    const sim = await RtmsSimulator.start(CREDS);
    onTestFinished(() => sim.close());
    const gate = { blocked: false };
    const a = await member(prefix, gate);
    const b = await member(prefix);
    await new Promise((r) => setTimeout(r, 200));
    const call = sim.createStream({ product: 'phone' });
    const old = (await b.handleWebhook(call.webhook('started'))).session!;
    await call.ready();
    gate.blocked = true; // Redis holds A's commands: A's publish runs only when the gate opens
    const res = await a.handleWebhook(phoneStop(call.productId, { stop_reason: StopReason.MEETING_ENDED }));
    expect(res.status).toBe(200);
    expect(['routing', 'unknown_stream']).toContain((JSON.parse(res.body) as { status: string }).status);
    // Meanwhile a new stream of the same call starts on B, well after the webhook (past the 1 s skew allowance).
    await new Promise((r) => setTimeout(r, 1_300));
    const again = sim.createStream({ product: 'phone', productId: call.productId });
    const newer = (await b.handleWebhook(again.webhook('started'))).session!;
    await again.ready();
    expect(old.state).toBe('streaming');
    gate.blocked = false; // the held publish runs now
    expect(await old.closed()).toMatchObject({ state: 'stopped', cause: 'webhook_stopped', stopReason: StopReason.MEETING_ENDED });
    await new Promise((r) => setTimeout(r, 300));
    expect(newer.state).toBe('streaming');
  });
});
