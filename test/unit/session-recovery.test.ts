/**
 * Recovery with a hand-built host and a manual clock: the schedule, the budget, fencing, and no timer left behind.
 */
import { describe, expect, it } from 'vitest';
import { RtmsError, type RtmsErrorCode } from '../../src/errors.js';
import type { ReconnectingInfo } from '../../src/events.js';
import { safeLogger } from '../../src/logger.js';
import { StatusCode } from '../../src/protocol/constants.js';
import { DEFAULT_RECONNECT, type ReconnectPolicy } from '../../src/reconnect-policy.js';
import { Recovery, retryable, type RecoveryHost } from '../../src/session-recovery.js';
import { ManualClock } from '../manual-clock.js';

const STREAM_ID = 'stream-r';
const T0 = 1_000_000;


/** Lets the attempt's awaited promises settle. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

function lost(message = 'socket closed', code: RtmsErrorCode = 'RTMS_CONNECTION_LOST'): RtmsError {
  return new RtmsError(code, message, { streamId: STREAM_ID });
}

/** A host that records what Recovery asks for. */
function setup(policy: Partial<ReconnectPolicy> | 'off' = {}) {
  const clock = new ManualClock(T0);
  const calls: string[] = [];
  const reconnecting: ReconnectingInfo[] = [];
  const failed: Array<[RtmsError, number | undefined]> = [];
  const logs: string[] = [];
  const opts = { owner: true, onEnterReconnecting: undefined as (() => void) | undefined };
  const host: RecoveryHost = {
    isOwner: () => opts.owner,
    enterReconnecting: () => {
      calls.push('enterReconnecting');
      opts.onEnterReconnecting?.();
    },
    reconnecting: (info) => {
      calls.push('reconnecting');
      reconnecting.push(info);
    },
    fail: (error, stopReason) => {
      calls.push('fail');
      failed.push([error, stopReason]);
      recovery.stop(); // as the session does: ending stops repair first
    },
    handover: () => {
      calls.push('handover');
      recovery.stop();
    },
    dropMedia: () => calls.push('dropMedia'),
    closeAll: async () => {
      calls.push('closeAll');
    },
    connect: () => calls.push('connect'),
    reopenMedia: async () => {
      calls.push('reopenMedia');
    },
  };
  const rec = (level: string) => (message: string) => logs.push(`${level} ${message}`);
  const logger = safeLogger({ debug: rec('debug'), info: rec('info'), warn: rec('warn'), error: rec('error') });
  const resolved = policy === 'off' ? undefined : { ...DEFAULT_RECONNECT, jitter: 0, ...policy };
  const recovery = new Recovery({ streamId: STREAM_ID, policy: resolved, clock, logger }, host);
  return { recovery, clock, calls, reconnecting, failed, logs, opts };
}

describe('Recovery: schedule', () => {
  it('backs off 0, 3 s, 6 s, 12 s ... between attempts of one outage, each announced by `reconnecting`', async () => {
    const { recovery, clock, calls, reconnecting } = setup({ signalingWindowMs: 600_000, maxAttempts: 10 });
    const err = lost();
    recovery.channelDown('signaling', 'signaling', err, false);
    expect(calls).toEqual(['enterReconnecting', 'reconnecting']);
    for (let i = 0; i < 5; i++) {
      const delay = clock.scheduled[i] ?? -1;
      clock.advance(delay);
      await settle();
      // The attempt closed every socket before opening signaling again; it failed, and the channel says so.
      recovery.channelDown('signaling', 'signaling', err, false);
    }
    expect(clock.scheduled).toEqual([0, 3_000, 6_000, 12_000, 24_000, 30_000]);
    expect(reconnecting.map((r) => [r.scope, r.attempt, r.delayMs])).toEqual([
      ['full', 1, 0],
      ['full', 2, 3_000],
      ['full', 3, 6_000],
      ['full', 4, 12_000],
      ['full', 5, 24_000],
      ['full', 6, 30_000],
    ]);
    expect(reconnecting.every((r) => r.cause === err)).toBe(true);
    expect(calls.filter((c) => c === 'enterReconnecting')).toHaveLength(1);
    expect(calls.filter((c) => c === 'closeAll')).toHaveLength(5);
    expect(calls.filter((c) => c === 'connect')).toHaveLength(5);
    expect(recovery.outage?.attempt).toBe(5);
  });

  it('a full attempt closes every socket before it opens signaling', async () => {
    const { recovery, clock, calls, logs } = setup();
    recovery.channelDown('signaling', 'signaling', lost(), false);
    clock.advance(0);
    expect(calls).toEqual(['enterReconnecting', 'reconnecting', 'closeAll']);
    await settle();
    expect(calls).toEqual(['enterReconnecting', 'reconnecting', 'closeAll', 'connect']);
    expect(logs).toContain('warn [rtms] signaling down: RTMS_CONNECTION_LOST: socket closed');
    expect(logs).toContain('info [rtms] reconnect attempt 1 (full)');
  });

  it('a media socket down while signaling is up repairs media only; a later full outage widens the scope', async () => {
    const { recovery, clock, calls, reconnecting } = setup({ mediaWindowMs: 10_000, signalingWindowMs: 60_000 });
    recovery.channelDown('media', 'media[audio]', lost(), true);
    expect(recovery.outage?.scope).toBe('media');
    clock.advance(0);
    await settle();
    expect(calls).toEqual(['enterReconnecting', 'reconnecting', 'reopenMedia']);
    // Signaling drops too: the same outage, now full, with the signaling window counted from its start.
    recovery.channelDown('signaling', 'signaling', lost(), false);
    expect(reconnecting.map((r) => [r.scope, r.attempt, r.delayMs])).toEqual([
      ['media', 1, 0],
      ['full', 2, 3_000],
    ]);
    clock.advance(3_000);
    await settle();
    expect(calls.slice(-2)).toEqual(['closeAll', 'connect']);
  });

  it('a media socket down while signaling is not up repairs everything', () => {
    const { recovery } = setup();
    recovery.channelDown('media', 'media[audio]', lost(), false);
    expect(recovery.outage?.scope).toBe('full');
  });

  it('an error while an attempt is scheduled is covered by it (no second timer)', () => {
    const { recovery, clock, reconnecting } = setup();
    recovery.channelDown('signaling', 'signaling', lost(), false);
    recovery.channelDown('media', 'media[audio]', lost(), false);
    expect(clock.timers.size).toBe(1);
    expect(reconnecting).toHaveLength(1);
  });
});

describe('Recovery: budget', () => {
  it('fails with the last error once the next attempt would start after the window', async () => {
    const { recovery, clock, failed, logs } = setup({ signalingWindowMs: 10_000 });
    recovery.channelDown('signaling', 'signaling', lost('first'), false);
    clock.advance(0); // attempt 1 at 0
    await settle();
    recovery.channelDown('signaling', 'signaling', lost('second'), false);
    clock.advance(3_000); // attempt 2 at 3 s
    await settle();
    recovery.channelDown('signaling', 'signaling', lost('third'), false);
    clock.advance(6_000); // attempt 3 at 9 s
    await settle();
    const last = lost('fourth');
    recovery.channelDown('signaling', 'signaling', last, false); // attempt 4 would start at 21 s > 10 s
    expect(failed).toEqual([[last, undefined]]);
    expect(logs).toContain('warn [rtms] reconnect window of 10000 ms is spent; last error RTMS_CONNECTION_LOST');
    expect(clock.timers.size).toBe(0);
  });

  it('fails after maxAttempts attempts', async () => {
    const { recovery, clock, failed, logs } = setup({ maxAttempts: 2 });
    for (let i = 0; i < 2; i++) {
      recovery.channelDown('signaling', 'signaling', lost(), false);
      clock.advance(clock.scheduled[i] ?? -1);
      await settle();
    }
    const last = lost('still down', 'RTMS_CONNECT_FAILED');
    recovery.channelDown('signaling', 'signaling', last, false);
    expect(failed).toEqual([[last, undefined]]);
    expect(logs).toContain('warn [rtms] gave up after 2 reconnect attempt(s); last error RTMS_CONNECT_FAILED');
    expect(clock.timers.size).toBe(0);
  });

  it('fails at once on a non-retryable error, or when reconnection is off', () => {
    const a = setup();
    const refused = new RtmsError('RTMS_HANDSHAKE_REJECTED', 'no', { statusCode: StatusCode.STATUS_INVALID_SIGNATURE });
    a.recovery.channelDown('signaling', 'signaling', refused, false);
    expect(a.failed).toEqual([[refused, undefined]]);
    expect(a.calls).toEqual(['fail']);

    const b = setup('off');
    const err = lost();
    b.recovery.channelDown('signaling', 'signaling', err, false);
    expect(b.failed).toEqual([[err, undefined]]);
    expect(b.clock.timers.size).toBe(0);
  });

  it('a failover is a new outage: a fresh budget, and the pending attempt is replaced', async () => {
    const { recovery, clock, reconnecting, logs, failed } = setup({ maxAttempts: 1 });
    recovery.channelDown('media', 'media[audio]', lost(), true);
    clock.advance(1_000); // attempt 1 (the whole budget) at 0
    await settle();
    recovery.failover();
    expect(failed).toEqual([]);
    expect(clock.timers.size).toBe(1);
    // A new outage: attempt 1 again, full scope, but the downtime still counts from the first loss.
    expect(reconnecting.map((r) => [r.scope, r.attempt, r.delayMs])).toEqual([
      ['media', 1, 0],
      ['full', 1, 0],
    ]);
    expect(recovery.outage).toMatchObject({ scope: 'full', attempt: 0, startedAt: T0 });
    expect(logs).toContain('info [rtms] server failover: reconnecting to the new server_urls');
    // A failover while an attempt is pending replaces it: still one timer.
    recovery.failover();
    expect(clock.timers.size).toBe(1);
    expect(clock.scheduled).toEqual([0, 0, 0]);
  });
});

describe('Recovery: fencing, success and stop', () => {
  it('not the owner any more: hands over instead of reconnecting', async () => {
    const { recovery, clock, calls, opts, logs } = setup();
    recovery.channelDown('signaling', 'signaling', lost(), false);
    opts.owner = false;
    clock.advance(0);
    await settle();
    expect(calls).toEqual(['enterReconnecting', 'reconnecting', 'handover']);
    expect(logs).toContain('warn [rtms] not reconnecting: this instance no longer owns the stream');
    expect(clock.timers.size).toBe(0);
  });

  it('a success clears the pending timer and reports the outage', async () => {
    const { recovery, clock, calls } = setup();
    recovery.channelDown('signaling', 'signaling', lost(), false);
    clock.advance(0);
    await settle();
    clock.advance(500);
    recovery.channelDown('media', 'media[audio]', lost(), true); // attempt 2 scheduled in 3 s
    expect(recovery.scheduled).toBe(true);
    const outage = recovery.succeeded();
    expect(outage).toMatchObject({ scope: 'full', attempt: 1, startedAt: T0 });
    expect(clock.timers.size).toBe(0);
    expect(recovery.outage).toBeUndefined();
    clock.advance(60_000);
    await settle();
    expect(calls.filter((c) => c === 'connect')).toHaveLength(1);
    expect(recovery.succeeded()).toBeUndefined();
  });

  it('stop during a scheduled attempt leaves no timer, and nothing runs after', async () => {
    const { recovery, clock, calls } = setup();
    recovery.channelDown('signaling', 'signaling', lost(), false);
    clock.advance(0);
    await settle();
    recovery.channelDown('signaling', 'signaling', lost(), false); // attempt 2 in 3 s
    expect(clock.timers.size).toBe(1);
    recovery.stop();
    expect(clock.timers.size).toBe(0);
    clock.advance(60_000);
    await settle();
    recovery.channelDown('signaling', 'signaling', lost(), false);
    recovery.interrupt('media', 'late');
    recovery.signalingInterrupted();
    recovery.failover();
    expect(recovery.restartAfterStop(13)).toBe(false);
    expect(clock.timers.size).toBe(0);
    expect(calls).toEqual(['enterReconnecting', 'reconnecting', 'closeAll', 'connect', 'reconnecting']);
    recovery.stop(); // idempotent
  });

  it('stop while a full attempt waits for the old sockets to close: signaling is not reopened', async () => {
    const { recovery, clock, calls } = setup();
    recovery.channelDown('signaling', 'signaling', lost(), false);
    clock.advance(0);
    recovery.stop(); // before closeAll's promise settles
    await settle();
    expect(calls).toEqual(['enterReconnecting', 'reconnecting', 'closeAll']);
  });

  it('a `state` listener that ends the session on `reconnecting` leaves no timer behind', () => {
    const { recovery, clock, calls, opts } = setup();
    opts.onEnterReconnecting = () => recovery.stop();
    recovery.channelDown('signaling', 'signaling', lost(), false);
    expect(calls).toEqual(['enterReconnecting']);
    expect(clock.timers.size).toBe(0);
  });
});

describe('Recovery: triggers', () => {
  it('interrupt(media) drops the media sockets, then repairs media', async () => {
    const { recovery, clock, calls, reconnecting } = setup();
    recovery.interrupt('media', 'media connection interrupted (event 7)');
    expect(calls).toEqual(['dropMedia', 'enterReconnecting', 'reconnecting']);
    expect(reconnecting[0]?.cause).toMatchObject({ code: 'RTMS_CONNECTION_LOST', message: 'media connection interrupted (event 7)', channel: 'media', streamId: STREAM_ID });
    clock.advance(0);
    await settle();
    expect(calls.at(-1)).toBe('reopenMedia');
  });

  it('interrupt(full) and rtms_interrupted repair everything without dropping media first', () => {
    const a = setup();
    a.recovery.interrupt('full', 'stream interrupted (SIGNAL_CONNECTION_INTERRUPTED)');
    expect(a.calls).toEqual(['enterReconnecting', 'reconnecting']);
    expect(a.reconnecting[0]?.cause.channel).toBe('signaling');
    const b = setup();
    b.recovery.signalingInterrupted();
    expect(b.reconnecting[0]).toMatchObject({ scope: 'full', cause: { message: 'signaling interrupted (rtms_interrupted webhook)' } });
  });

  it('a restart-worthy stop reason starts a full restart that keeps the reason; others do not', async () => {
    const { recovery, clock, reconnecting, failed } = setup({ maxAttempts: 1 });
    expect(recovery.restartAfterStop(undefined)).toBe(false);
    expect(recovery.restartAfterStop(1)).toBe(false);
    expect(recovery.restartAfterStop(14)).toBe(true);
    expect(reconnecting[0]).toMatchObject({ scope: 'full', cause: { message: 'stream stopped by Zoom (DATA_CONNECTION_INTERRUPTED); restarting' } });
    clock.advance(0);
    await settle();
    const err = lost();
    recovery.channelDown('signaling', 'signaling', err, false);
    expect(failed).toEqual([[err, 14]]);
    expect(setup('off').recovery.restartAfterStop(14)).toBe(false);
  });

  it('retryable: network trouble, timeouts and retryable refusals', () => {
    const e = (code: RtmsErrorCode, statusCode?: number) => new RtmsError(code, 'x', statusCode === undefined ? {} : { statusCode });
    for (const code of ['RTMS_CONNECT_FAILED', 'RTMS_CONNECT_TIMEOUT', 'RTMS_HANDSHAKE_TIMEOUT', 'RTMS_CONNECTION_LOST', 'RTMS_IDLE_TIMEOUT'] as const) {
      expect(retryable(e(code))).toBe(true);
    }
    expect(retryable(e('RTMS_HANDSHAKE_REJECTED', StatusCode.STATUS_DUPLICATE_SIGNAL_REQUEST))).toBe(true);
    expect(retryable(e('RTMS_HANDSHAKE_REJECTED', StatusCode.STATUS_INVALID_SIGNATURE))).toBe(false);
    expect(retryable(e('RTMS_HANDSHAKE_REJECTED'))).toBe(false);
    expect(retryable(e('RTMS_URL_REJECTED'))).toBe(false);
    expect(retryable(e('RTMS_PROTOCOL_ERROR'))).toBe(false);
  });
});
