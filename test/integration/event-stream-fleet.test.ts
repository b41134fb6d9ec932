/**
 * The event stream's options and guards, over loopback against the simulator: the events-only client (no webhook
 * secret, every HTTP webhook refused), one stream per subscription, the standby/leader switch driven by a
 * coordinator's election (a stub here; the Redis one is in test/redis/event-stream.test.ts), the offer of a new
 * stream to the fleet and its fallbacks, and the security re-check (the token value itself never shown; only wss://
 * to Zoom's hosts by default, lookalike hosts refused).
 */
import { inspect } from 'node:util';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  LocalCoordinator,
  RtmsClient,
  RtmsError,
  computeWebhookSignature,
  wsSocketFactory,
  type EventStreamDisconnected,
  type EventStreamLeadership,
  type LeaderElection,
  type OfferOutcome,
  type SocketFactory,
  type StreamLease,
} from '../../src/index.js';
import { buildWebhook } from '../../src/testing/index.js';
import { CREDS, expectNoLeaks, ourResources, recordingLogger, rig, until } from '../helpers.js';

const code = (f: () => unknown): string | undefined => {
  try {
    f();
    return undefined;
  } catch (e) {
    return (e as RtmsError).code;
  }
};

describe('eventsOnly: an events-only client needs no webhook secret, and its HTTP path refuses everything', () => {
  it('constructs without webhookSecretToken; without eventsOnly that still throws, naming both ways out', () => {
    expect(code(() => new RtmsClient({ clientId: 'i', clientSecret: 's', eventsOnly: true }))).toBeUndefined();
    let message = '';
    try {
      new RtmsClient({ clientId: 'i', clientSecret: 's' });
    } catch (e) {
      message = (e as RtmsError).message;
    }
    expect(message).toMatch(/webhookSecretToken is required.*eventsOnly: true.*verifyWebhooks: false/);
    expect(code(() => new RtmsClient({ clientId: 'i', clientSecret: 's', eventsOnly: 1 as unknown as boolean }))).toBe('RTMS_INVALID_OPTIONS');
  });

  it('refuses signed and unsigned webhooks with 403 and creates nothing; health checks are still answered', async () => {
    const r = await rig({ eventsOnly: true, webhookSecretToken: undefined });
    const stream = r.sim.createStream();
    const body = JSON.stringify(stream.webhook('started').json);
    const ts = String(Math.floor(Date.now() / 1000));
    // Correctly signed with the token an attacker might know, or the app's own: refused all the same.
    const signed = await r.client.handleWebhook({ headers: { 'x-zm-request-timestamp': ts, 'x-zm-signature': computeWebhookSignature(CREDS.webhookSecretToken, ts, body) }, body });
    const unsigned = await r.client.handleWebhook({ body });
    const validation = await r.client.handleWebhook({ body: JSON.stringify(buildWebhook('endpoint.url_validation', { plainToken: 'abc' }).json) });
    for (const res of [signed, unsigned, validation]) {
      expect(res.status).toBe(403);
      expect(JSON.parse(res.body)).toMatchObject({ error: 'RTMS_WEBHOOK_NOT_CONFIGURED', message: expect.stringContaining('eventsOnly') });
      expect(res.session).toBeUndefined();
    }
    expect(r.client.sessions.size).toBe(0);
    expect(stream.record.signalingConnections).toBe(0);
    expect((await r.client.handleWebhook({ method: 'GET', body: '' })).status).toBe(200);
    expect(r.client.stats().webhooks.rejectedByCode.RTMS_WEBHOOK_NOT_CONFIGURED).toBe(3);
  });

  it('the same client receives its events over the socket', async () => {
    const r = await rig({ eventsOnly: true, webhookSecretToken: undefined });
    r.client.connectEvents({ url: r.sim.eventSocketUrl, tokenUrl: r.sim.tokenUrl });
    await until(() => r.sim.openEventSockets === 1);
    const stream = r.sim.createStream();
    expect(stream.deliverEvent('started')).toBe(1);
    await stream.ready();
    expect(r.client.sessions.has(stream.streamId)).toBe(true);
  });
});

describe('one event stream per subscription', () => {
  it('a second connectEvents for the same URL throws (the token in a query does not make it another); after close it is allowed', async () => {
    const r = await rig();
    const first = r.client.connectEvents({ url: r.sim.eventSocketUrl, tokenUrl: r.sim.tokenUrl });
    expect(code(() => r.client.connectEvents({ url: r.sim.eventSocketUrl, tokenUrl: r.sim.tokenUrl }))).toBe('RTMS_INVALID_OPTIONS');
    expect(code(() => r.client.connectEvents({ url: `${r.sim.eventSocketUrl}&access_token=x`, tokenUrl: r.sim.tokenUrl }))).toBe('RTMS_INVALID_OPTIONS');
    // Another subscription is another stream.
    const other = r.client.connectEvents({ url: r.sim.eventSocketUrl.replace('subscriptionId=sim', 'subscriptionId=other'), tokenUrl: r.sim.tokenUrl });
    await first.close();
    await other.close();
    const again = r.client.connectEvents({ url: r.sim.eventSocketUrl, tokenUrl: r.sim.tokenUrl });
    await until(() => again.state === 'connected');
  });
});

/** A single-process coordinator whose election and offer the test drives. */
class ElectingCoordinator extends LocalCoordinator {
  onChange: ((leading: boolean) => void) | undefined;
  role: string | undefined;
  resigned = 0;
  offers: StreamLease[] = [];
  offerAnswer: OfferOutcome = 'unavailable';
  lead(role: string, onChange: (leading: boolean) => void): LeaderElection {
    this.role = role;
    this.onChange = onChange;
    const self = this;
    return {
      get leading() {
        return false;
      },
      epoch: 7,
      resign: async () => void self.resigned++,
    };
  }
  offer(lease: StreamLease): Promise<OfferOutcome> {
    this.offers.push(lease);
    return Promise.resolve(this.offerAnswer);
  }
}

describe('standby and leadership (a stub election)', () => {
  it('standby opens nothing; leading connects; losing the role closes the socket quietly; close resigns; nothing leaks', async () => {
    const baseline = ourResources();
    const coordinator = new ElectingCoordinator();
    const r = await rig({ coordinator });
    const leadership: EventStreamLeadership[] = [];
    const disconnected: EventStreamDisconnected[] = [];
    r.client.on('eventStreamLeadership', (i) => leadership.push(i));
    r.client.on('eventStreamDisconnected', (i) => disconnected.push(i));
    const events = r.client.connectEvents({ url: r.sim.eventSocketUrl, tokenUrl: r.sim.tokenUrl, heartbeatMs: 50 });
    expect(events.state).toBe('standby');
    // The role names the subscription by a hash: no URL, no token in Redis keys.
    expect(coordinator.role).toMatch(/^events:[0-9a-f]{32}$/);
    await new Promise((res) => setTimeout(res, 200));
    expect(r.sim.eventRecord.tokenRequests).toEqual([]);
    expect(r.sim.openEventSockets).toBe(0);

    coordinator.onChange!(true);
    await until(() => events.state === 'connected' && r.sim.openEventSockets === 1);
    expect(leadership).toEqual([{ url: r.sim.eventSocketUrl.split('?')[0], leader: true, epoch: 7 }]);

    coordinator.onChange!(false);
    expect(events.state).toBe('standby');
    await until(() => r.sim.openEventSockets === 0);
    const heartbeats = r.sim.eventRecord.heartbeats;
    await new Promise((res) => setTimeout(res, 200));
    expect(r.sim.eventRecord.heartbeats).toBe(heartbeats); // no timer left beating
    expect(disconnected).toEqual([]); // giving the role up is not an outage
    expect(leadership.at(-1)).toMatchObject({ leader: false, epoch: undefined });

    // Quick flips: never two sockets.
    coordinator.onChange!(true);
    coordinator.onChange!(false);
    coordinator.onChange!(true);
    await until(() => events.state === 'connected');
    await new Promise((res) => setTimeout(res, 200));
    expect(r.sim.openEventSockets).toBe(1);

    await r.client.close();
    expect(coordinator.resigned).toBe(1);
    await until(() => r.sim.openEventSockets === 0);
    await r.sim.close();
    await expectNoLeaks(baseline);
  });

  it("an rtms_started on the leader's socket is offered; 'offered' starts nothing here at once, and the fallback claims it if nobody did", async () => {
    const coordinator = new ElectingCoordinator();
    coordinator.offerAnswer = 'offered';
    const r = await rig({ coordinator });
    const events = r.client.connectEvents({ url: r.sim.eventSocketUrl, tokenUrl: r.sim.tokenUrl });
    coordinator.onChange!(true);
    await until(() => events.state === 'connected');
    const stream = r.sim.createStream();
    const sent = Date.now();
    expect(stream.deliverEvent('started')).toBe(1);
    await until(() => coordinator.offers.length === 1);
    expect(coordinator.offers[0]).toMatchObject({ streamId: stream.streamId, productId: stream.productId });
    await new Promise((res) => setTimeout(res, 500));
    expect(r.client.sessions.size).toBe(0); // handed to the fleet
    // Nobody (in this one-instance stub) claimed it: the leader's fallback does, about 2 s after the offer.
    await stream.ready(5_000);
    expect(Date.now() - sent).toBeGreaterThanOrEqual(1_900);
    expect(r.client.sessions.has(stream.streamId)).toBe(true);
  });

  it("'unavailable' (Redis down, nobody listening) claims it at once; 'owned' leaves it to the owner", async () => {
    const coordinator = new ElectingCoordinator();
    const r = await rig({ coordinator });
    const events = r.client.connectEvents({ url: r.sim.eventSocketUrl, tokenUrl: r.sim.tokenUrl });
    coordinator.onChange!(true);
    await until(() => events.state === 'connected');
    const here = r.sim.createStream();
    here.deliverEvent('started');
    await here.ready(1_500);
    coordinator.offerAnswer = 'owned';
    const elsewhere = r.sim.createStream();
    elsewhere.deliverEvent('started');
    await until(() => coordinator.offers.length === 2);
    await new Promise((res) => setTimeout(res, 2_300)); // past any fallback: 'owned' has none
    expect(elsewhere.record.signalingConnections).toBe(0);
    expect([...r.client.sessions.keys()]).toEqual([here.streamId]);
  });

  it('a coordinator that refuses the election: connectEvents throws, and no stream is left open', async () => {
    const coordinator = new ElectingCoordinator();
    coordinator.lead = () => {
      throw new TypeError('already competing for that role');
    };
    const r = await rig({ coordinator });
    expect(code(() => r.client.connectEvents({ url: r.sim.eventSocketUrl, tokenUrl: r.sim.tokenUrl }))).toBe('RTMS_INVALID_OPTIONS');
    await new Promise((res) => setTimeout(res, 100));
    expect(r.sim.eventRecord.tokenRequests).toEqual([]);
  });

  it('webhooks over HTTP are never offered: a load balancer already spreads them', async () => {
    const coordinator = new ElectingCoordinator();
    coordinator.offerAnswer = 'offered';
    const r = await rig({ coordinator });
    const stream = r.sim.createStream();
    const w = stream.webhook('started');
    const res = await r.client.handleWebhook({ headers: w.headers, body: w.body });
    expect(res.status).toBe(200);
    expect(coordinator.offers).toEqual([]);
    await stream.ready(1_500);
  });
});

describe('security re-check', () => {
  it('the token value itself appears in no log line, error, event, inspect() or toJSON()', async () => {
    const logger = recordingLogger();
    const urls: string[] = [];
    const socketFactory: SocketFactory = (url, handlers, opts) => {
      urls.push(url);
      return wsSocketFactory(url, handlers, opts);
    };
    const r = await rig({ logger, socketFactory });
    const seen: unknown[] = [];
    r.client.on('eventStreamConnected', (i) => seen.push(i));
    r.client.on('eventStreamDisconnected', (i) => seen.push(i.error.message, i.error.cause));
    r.client.on('error', (e) => seen.push(e.message));
    const events = r.client.connectEvents({ url: r.sim.eventSocketUrl, tokenUrl: r.sim.tokenUrl });
    await until(() => events.state === 'connected');
    r.sim.dropEventSockets();
    await until(() => r.sim.eventRecord.connections === 2);
    const tokens = urls.map((u) => new URL(u).searchParams.get('access_token')).filter((t): t is string => t !== null);
    expect(tokens.length).toBeGreaterThanOrEqual(1);
    const shown = [logger.lines.join('\n'), inspect(events), JSON.stringify(events), inspect(r.client), JSON.stringify(r.client), inspect(seen, { depth: 5 })].join('\n');
    for (const t of tokens) expect(shown).not.toContain(t);
    expect(shown).not.toContain(CREDS.clientSecret);
    expect(shown).not.toContain(Buffer.from(`${CREDS.clientId}:${CREDS.clientSecret}`).toString('base64')); // the Basic header
  });

  it("by default only wss:// to Zoom's hosts: the Marketplace URL is used as given, lookalikes and other schemes are refused", () => {
    const urls: string[] = [];
    // A factory that records and never opens: nothing leaves the machine.
    const socketFactory: SocketFactory = (url, handlers) => {
      urls.push(url);
      queueMicrotask(() => handlers.onClose(1006, ''));
      return { send: () => undefined, close: () => undefined, terminate: () => undefined } as unknown as ReturnType<SocketFactory>;
    };
    const client = new RtmsClient({ ...CREDS, socketFactory, allowLoopback: false });
    onTestFinished(() => client.close());
    for (const bad of ['wss://zoom.us.evil.example/ws', 'wss://evilzoom.us/ws', 'ws://ws.zoom.us/ws', 'https://ws.zoom.us/ws', 'wss://127.0.0.1/ws']) {
      expect(code(() => client.connectEvents({ url: bad })), bad).toBe('RTMS_URL_REJECTED');
    }
    expect(code(() => client.connectEvents({ url: 'wss://ws.zoom.us/ws?subscriptionId=abc', tokenUrl: 'http://zoom.us/oauth/token' }))).toBe('RTMS_URL_REJECTED');
    expect(code(() => client.connectEvents({ url: 'wss://ws.zoom.us/ws?subscriptionId=abc', tokenUrl: 'https://zoom.us.evil.example/oauth/token' }))).toBe('RTMS_URL_REJECTED');
    // Zoom's own URL and token endpoint pass (closed at once: the test asserts only the checks).
    const ok = client.connectEvents({ url: 'wss://ws.zoom.us/ws?subscriptionId=abc', tokenUrl: 'https://zoom.us/oauth/token' });
    void ok.close();
  });
});
