/**
 * RedisCoordinator's offers channel, without a Redis (a fake subscriber hands the test the channel listeners): a
 * message on the offers channel reaches the client's onOffer only as a well-formed lease, whatever else is
 * published there (property test); a stream this instance owns is not offered to it; a throwing listener is
 * contained. The offers against a real Redis are in event-stream.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { CoordinatorHost, ProductControl, StreamLease } from '../../src/index.js';
import { RedisCoordinator, type RedisSubscriber } from '../../src/redis/index.js';

async function withFakeRedis(onOffer: (l: StreamLease) => void, onProductControl?: (m: ProductControl) => void): Promise<{ publish: (channel: string, message: string) => void; c: RedisCoordinator }> {
  const listeners = new Map<string, (message: string, channel: string) => void>();
  const subscriber: RedisSubscriber = {
    subscribe: async (channel, listener) => void listeners.set(channel, listener),
    unsubscribe: async (channel) => void listeners.delete(channel),
  };
  // A store that answers every claim with "won" (1) and everything else with nothing.
  const c = new RedisCoordinator({ client: { eval: async (script) => (script.includes("'NX'") ? 1 : 0) }, subscriber, keyPrefix: 'p:', leaseMs: 3_000 });
  const host: CoordinatorHost = { onControl: () => undefined, onTakeover: () => undefined, onLost: () => undefined, onOffer, ...(onProductControl ? { onProductControl } : {}) };
  await c.attach(host);
  onTestFinished(() => c.close());
  return {
    c,
    publish: (channel, message) => {
      const l = listeners.get(channel);
      if (l === undefined) throw new Error(`nobody subscribed to ${channel}`);
      l(message, channel);
    },
  };
}

const good: StreamLease = { streamId: 's1', product: 'meeting', productId: 'u/+=', serverUrls: 'wss://a.zoom.us/s' };

describe('RedisCoordinator offers channel', () => {
  it('hands a well-formed lease to onOffer, with nothing but the lease fields', async () => {
    const got: StreamLease[] = [];
    const f = await withFakeRedis((l) => got.push(l));
    f.publish('p:offers', JSON.stringify({ ...good, extra: 'x' }));
    expect(got).toEqual([good]);
  });

  it('property: anything else published on the channel is ignored, never thrown', async () => {
    const got: StreamLease[] = [];
    const f = await withFakeRedis((l) => got.push(l));
    const notALease = fc.oneof(
      fc.string(),
      fc.json(),
      fc.record({ streamId: fc.oneof(fc.integer(), fc.constant(''), fc.constant(null)), product: fc.constant('meeting'), productId: fc.string(), serverUrls: fc.string() }).map((o) => JSON.stringify(o)),
      fc.record({ streamId: fc.string({ minLength: 1 }), product: fc.string().filter((p) => !['meeting', 'webinar', 'session', 'contact_center', 'phone'].includes(p)), productId: fc.string(), serverUrls: fc.string() }).map((o) => JSON.stringify(o)),
      fc.record({ streamId: fc.string({ minLength: 1 }), product: fc.constant('meeting'), productId: fc.string(), serverUrls: fc.oneof(fc.integer(), fc.constant(null)) }).map((o) => JSON.stringify(o)),
    );
    fc.assert(
      fc.property(notALease, (message) => {
        expect(() => f.publish('p:offers', message)).not.toThrow();
      }),
      { numRuns: 500 },
    );
    // Only the (rare) generated strings that happen to be well-formed leases may get through, and those are leases.
    for (const l of got) {
      expect(typeof l.streamId).toBe('string');
      expect(l.streamId.length).toBeGreaterThan(0);
      expect(typeof l.serverUrls).toBe('string');
      expect(['meeting', 'webinar', 'session', 'contact_center', 'phone']).toContain(l.product);
    }
  });

  it('a stream this instance owns is not offered to it; a throwing listener is contained', async () => {
    let calls = 0;
    const f = await withFakeRedis(() => {
      calls++;
      throw new Error('listener bug');
    });
    expect(await f.c.claim(good)).toBe(true);
    f.publish('p:offers', JSON.stringify(good));
    expect(calls).toBe(0);
    expect(() => f.publish('p:offers', JSON.stringify({ ...good, streamId: 's2' }))).not.toThrow();
    expect(calls).toBe(1);
  });
});

describe('product-id-only control messages on the same channel', () => {
  it('a well-formed one reaches onProductControl with its fields alone, never onOffer', async () => {
    const offers: StreamLease[] = [];
    const got: ProductControl[] = [];
    const f = await withFakeRedis((l) => offers.push(l), (m) => got.push(m));
    f.publish('p:offers', JSON.stringify({ control: { type: 'stopped', product: 'phone', productId: 'call-1', stopReason: 6, at: 1_000, extra: 1 }, from: 'other' }));
    f.publish('p:offers', JSON.stringify({ control: { type: 'interrupted', product: 'phone', productId: 'call-2', stopReason: 6, at: 2_000 } }));
    // This instance's own broadcast comes back on the channel: ignored.
    f.publish('p:offers', JSON.stringify({ control: { type: 'stopped', product: 'phone', productId: 'call-3', at: 3_000 }, from: f.c.instanceId }));
    expect(got).toEqual([
      { type: 'stopped', product: 'phone', productId: 'call-1', stopReason: 6, at: 1_000 },
      { type: 'interrupted', product: 'phone', productId: 'call-2', at: 2_000 },
    ]);
    expect(offers).toEqual([]);
  });

  it('property: a malformed one is ignored, never thrown; a throwing listener is contained', async () => {
    const got: ProductControl[] = [];
    let throwNext = true;
    const f = await withFakeRedis(
      () => undefined,
      (m) => {
        if (throwNext) {
          throwNext = false;
          throw new Error('listener bug');
        }
        got.push(m);
      },
    );
    expect(() => f.publish('p:offers', JSON.stringify({ control: { type: 'stopped', product: 'phone', productId: 'x', at: 1 } }))).not.toThrow();
    const bad = fc.oneof(
      fc.record({ type: fc.string().filter((t) => t !== 'stopped' && t !== 'interrupted'), product: fc.constant('phone'), productId: fc.string({ minLength: 1 }), at: fc.integer() }),
      fc.record({ type: fc.constant('stopped'), product: fc.string().filter((p) => !['meeting', 'webinar', 'session', 'contact_center', 'phone'].includes(p)), productId: fc.string({ minLength: 1 }), at: fc.integer() }),
      fc.record({ type: fc.constant('stopped'), product: fc.constant('phone'), productId: fc.oneof(fc.constant(''), fc.integer(), fc.constant(null)), at: fc.integer() }),
      fc.record({ type: fc.constant('stopped'), product: fc.constant('phone'), productId: fc.string({ minLength: 1 }), at: fc.integer(), stopReason: fc.oneof(fc.string(), fc.double({ noInteger: true }), fc.constant(null)) }),
      fc.record({ type: fc.constant('interrupted'), product: fc.constant('phone'), productId: fc.string({ minLength: 1 }), at: fc.oneof(fc.string(), fc.constant(null), fc.constant(undefined)) }),
      fc.jsonValue(),
    );
    fc.assert(
      fc.property(bad, (control) => {
        expect(() => f.publish('p:offers', JSON.stringify({ control }))).not.toThrow();
      }),
      { numRuns: 500 },
    );
    expect(got).toEqual([]);
  });
});
