/**
 * Reconnection policy: options, defaults, and the backoff schedule. Pure; the session applies it.
 */

/**
 * Automatic reconnection. Defaults follow Zoom's failover guide: backoff from 3 s doubling to 30 s (the first
 * retry is immediate), a 60 s window to restore signaling and 30 s to restore media (§7.1, §7.3).
 */
export interface ReconnectOptions {
  /** Attempts per outage before the session fails. Default 6. */
  maxAttempts?: number;
  /** Delay before the second attempt; doubles after each. Default 3 000 ms. */
  baseDelayMs?: number;
  /** Largest delay between attempts. Default 30 000 ms. */
  maxDelayMs?: number;
  /** Random spread applied to each delay, as a fraction (0.2 = ±20 %). Default 0.2. */
  jitter?: number;
  /** Time Zoom keeps a stream whose signaling dropped; no attempt starts after it. Default 60 000 ms. */
  signalingWindowMs?: number;
  /** Time Zoom keeps a media connection open for a reconnect; no media-only attempt starts after it. Default 30 000 ms. */
  mediaWindowMs?: number;
}

/** Resolved reconnection policy: {@link ReconnectOptions} with every field set. */
export type ReconnectPolicy = Readonly<Required<ReconnectOptions>>;

/** Default reconnection policy. */
export const DEFAULT_RECONNECT: ReconnectPolicy = Object.freeze({
  maxAttempts: 6,
  baseDelayMs: 3_000,
  maxDelayMs: 30_000,
  jitter: 0.2,
  signalingWindowMs: 60_000,
  mediaWindowMs: 30_000,
});

/**
 * Stop reasons after which Zoom's failover guide calls for a complete restart of the RTMS connection (D-FAIL,
 * §4.7, §7.3): 10–19 and 24. Details of that restart are not documented; we try one full reconnect cycle to the
 * stream's URLs and end the session if the server refuses.
 */
export const RESTART_STOP_REASONS: ReadonlySet<number> = new Set([10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 24]);

/**
 * Delay before reconnect attempt number `attempt` (0-based) of an outage: the first is immediate, then
 * `baseDelayMs` doubling up to `maxDelayMs`, each spread by ±`jitter`.
 *
 * @param random a source of uniform numbers in [0, 1) (tests pass a fixed one)
 */
export function backoffDelay(policy: ReconnectPolicy, attempt: number, random: () => number = Math.random): number {
  const exp = attempt === 0 ? 0 : Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.max(0, Math.round(exp * (1 + policy.jitter * (2 * random() - 1))));
}
