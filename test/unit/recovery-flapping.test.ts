/**
 * Flapping: a connection that drops again right after each repair. Found under Deno 2.5 (whose node:net dropped
 * the new media socket at once), but the loop was the SDK's: every outage began with an immediate attempt, so a
 * server that accepts and then drops got hundreds of reconnects a second (303 in 3 s under Node against the
 * simulator). Now, from the FLAPS_BEFORE_BACKOFF-th consecutive flap, each outage continues the backoff and budget.
 * Unit tests with a hand-built host and a manual clock; then the same against the real simulator.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { RtmsClient, type RtmsSession } from '../../src/index.js';
import { RtmsError } from '../../src/errors.js';
import type { ReconnectingInfo } from '../../src/events.js';
import { safeLogger } from '../../src/logger.js';
import { DEFAULT_RECONNECT, type ReconnectPolicy } from '../../src/reconnect-policy.js';
import { FLAPS_BEFORE_BACKOFF, FLAP_MS, Recovery, type RecoveryHost } from '../../src/session-recovery.js';
import { RtmsSimulator } from '../../src/testing/index.js';
import { ManualClock } from '../manual-clock.js';

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
const lost = () => new RtmsError('RTMS_CONNECTION_LOST', 'socket closed', { streamId: 's' });

function setup(policy: Partial<ReconnectPolicy> = {}) {
  const clock = new ManualClock();
  const reconnecting: ReconnectingInfo[] = [];
  const failed: RtmsError[] = [];
  const logs: string[] = [];
  const host: RecoveryHost = {
    isOwner: () => true,
    enterReconnecting: () => undefined,
    reconnecting: (info) => void reconnecting.push(info),
    fail: (error) => {
      failed.push(error);
      recovery.stop();
    },
    handover: () => recovery.stop(),
    dropMedia: () => undefined,
    closeAll: async () => undefined,
    connect: () => undefined,
    reopenMedia: async () => undefined,
  };
  const rec = (level: string) => (message: string) => void logs.push(`${level} ${message}`);
  const logger = safeLogger({ debug: rec('debug'), info: rec('info'), warn: rec('warn'), error: rec('error') });
  const recovery = new Recovery({ streamId: 's', policy: { ...DEFAULT_RECONNECT, jitter: 0, ...policy }, clock, logger }, host);
  /** One outage of the media socket, repaired by its first attempt once the delay has passed, then `upMs` of streaming. */
  const flap = async (upMs: number): Promise<number> => {
    recovery.channelDown('media', 'media', lost(), true);
    const delay = reconnecting[reconnecting.length - 1]?.delayMs ?? -1;
    clock.advance(delay);
    await settle();
    recovery.succeeded();
    clock.advance(upMs);
    return delay;
  };
  return { recovery, clock, reconnecting, failed, logs, flap };
}

describe('Recovery: flapping', () => {
  it('keeps the immediate first attempt for isolated drops and for the first flaps', async () => {
    const { flap, failed } = setup();
    const delays: number[] = [];
    for (let i = 0; i < FLAPS_BEFORE_BACKOFF; i++) delays.push(await flap(10));
    expect(delays).toEqual([0, 0, 0]); // the outage that starts it, then FLAPS_BEFORE_BACKOFF - 1 flaps
    expect(failed).toEqual([]);
  });

  it(`from flap ${FLAPS_BEFORE_BACKOFF} the backoff goes on (3 s, 6 s, 12 s, ...), and the spent budget fails the session, saying why`, async () => {
    const { flap, failed, reconnecting, logs } = setup();
    const delays: number[] = [];
    for (let i = 0; i < 12 && failed.length === 0; i++) delays.push(await flap(10));
    // The first outage and 2 flaps: immediate. Flaps 3-7 continue the schedule of one outage; flap 8 has no budget.
    expect(delays.slice(0, FLAPS_BEFORE_BACKOFF)).toEqual([0, 0, 0]);
    expect(delays.slice(FLAPS_BEFORE_BACKOFF, FLAPS_BEFORE_BACKOFF + 5)).toEqual([3_000, 6_000, 12_000, 24_000, 30_000]);
    expect(reconnecting.slice(FLAPS_BEFORE_BACKOFF).map((r) => r.attempt)).toEqual([2, 3, 4, 5, 6]);
    expect(failed).toHaveLength(1);
    expect(failed[0]?.code).toBe('RTMS_CONNECTION_LOST');
    expect(logs.filter((l) => l.includes('gave up'))).toEqual([expect.stringContaining('gave up after 6 reconnect attempt(s) (the connection dropped within 1000 ms of each of the last')]);
  });

  it(`a repair that lasts ${FLAP_MS} ms ends the run: the next outage starts with an immediate attempt again`, async () => {
    const { flap } = setup();
    for (let i = 0; i < FLAPS_BEFORE_BACKOFF; i++) await flap(10);
    expect(await flap(FLAP_MS)).toBe(3_000); // flapping: the backoff went on; this repair then held for FLAP_MS
    expect(await flap(10)).toBe(0);
    expect(await flap(10)).toBe(0);
  });

  it('a failover (new server_urls) is a fresh outage whatever came before', async () => {
    const { flap, recovery, reconnecting, clock } = setup();
    for (let i = 0; i < FLAPS_BEFORE_BACKOFF + 1; i++) await flap(10);
    recovery.failover();
    expect(reconnecting[reconnecting.length - 1]).toMatchObject({ scope: 'full', attempt: 1, delayMs: 0 });
    clock.advance(0);
    await settle();
    recovery.stop();
    expect(clock.timers.size).toBe(0);
  });
});

describe('flapping against the simulator', () => {
  it('a media socket dropped 5 ms after every repair: a few immediate reconnects, then backoff, not a loop; it heals when the drops stop', async () => {
    const creds = { clientId: 'flap-id', clientSecret: 'flap-secret', webhookSecretToken: 'flap-token' };
    const sim = await RtmsSimulator.start(creds);
    onTestFinished(() => sim.close());
    const client = new RtmsClient({ ...creds, reconnect: { baseDelayMs: 1_000, jitter: 0 } });
    onTestFinished(() => client.close());
    const sessions: RtmsSession[] = [];
    client.on('session', (s) => sessions.push(s));
    const stream = sim.createStream();
    await client.handleWebhook(stream.webhook('started'));
    await stream.ready();
    let flapping = true;
    stream.on('ready', () => {
      if (flapping) setTimeout(() => stream.dropSocket('media'), 5);
    });
    stream.dropSocket('media');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const session = sessions[0];
    // Before the fix: about 150 repairs in 1.5 s. Now the first outage and FLAPS_BEFORE_BACKOFF - 1 flaps are
    // immediate, the next waits baseDelayMs (1 s), then 2 s.
    const during = session?.stats().reconnects ?? -1;
    expect(during).toBeGreaterThanOrEqual(FLAPS_BEFORE_BACKOFF);
    expect(during).toBeLessThanOrEqual(FLAPS_BEFORE_BACKOFF + 1);
    flapping = false;
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (session?.state === 'streaming' && stream.isReady) {
          clearInterval(check);
          resolve();
        }
      }, 20);
    });
    expect(session?.state).toBe('streaming');
    expect(stream.record.signalingConnections).toBe(1);
  }, 15_000);
});
