/**
 * Time, injected. Channels and watchdogs take a {@link Clock} so tests can drive them with fake timers; the
 * default uses the global timers and `unref()`s them, so an SDK timer never keeps a process alive by itself
 * (open sockets do that).
 */

/** An opaque timer handle. */
export type TimerHandle = unknown;

/** The timer functions the SDK uses. */
export interface Clock {
  /** Current time, Unix ms (like `Date.now()`). */
  now(): number;
  /** Runs `fn` once after `ms` milliseconds; returns a handle for {@link Clock.clearTimeout}. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancels a timer from {@link Clock.setTimeout}; a handle that already fired or was cleared is ignored. */
  clearTimeout(handle: TimerHandle): void;
}

/** The default clock: `Date.now` and global timers (looked up at call time, so fake timers apply). */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    (t as { unref?: () => void }).unref?.();
    return t;
  },
  clearTimeout(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

/** How many checks an {@link IdleWatchdog} makes per timeout: its detection is late by at most 1/this of it. */
export const IDLE_CHECKS_PER_TIMEOUT = 8;

/**
 * Fires `onIdle` once nothing was seen for `timeoutMs`: no earlier, and at most `timeoutMs / 8` later.
 *
 * `touch()` runs once per received frame, so it only sets a flag: no clock read, no timer call. The timer fires
 * every `timeoutMs / 8`; a check that finds the flag set records "activity seen now" and clears it, and the
 * watchdog fires at the first check `timeoutMs` after the last such record. A socket that falls silent at time
 * `a` is therefore reported between `a + timeoutMs` and `a + timeoutMs + timeoutMs / 8`. A watchdog that sees no
 * frame at all after `start()` fires exactly `timeoutMs` after it. `start()` cancels a running timer first; after
 * `stop()` a late callback does nothing.
 */
export class IdleWatchdog {
  private timer: TimerHandle | undefined;
  /** Clock time of the start, or of the last check that found activity. */
  private lastSeen = 0;
  /** Set by touch(), cleared by the check that records it. */
  private active = false;
  private running = false;
  private readonly periodMs: number;

  constructor(
    private readonly clock: Clock,
    private readonly timeoutMs: number,
    private readonly onIdle: (idleMs: number) => void,
  ) {
    this.periodMs = Math.max(1, Math.floor(timeoutMs / IDLE_CHECKS_PER_TIMEOUT));
  }

  /** Starts (or restarts) watching from now. A timeout of 0 or less disables the watchdog. */
  start(): void {
    this.stop();
    if (!(this.timeoutMs > 0) || !Number.isFinite(this.timeoutMs)) return;
    this.running = true;
    this.active = false;
    this.lastSeen = this.clock.now();
    this.arm(Math.min(this.periodMs, this.timeoutMs));
  }

  /** Records activity. A field write: it runs once per frame. */
  touch(): void {
    this.active = true;
  }

  /** Stops watching; idempotent. */
  stop(): void {
    this.running = false;
    if (this.timer !== undefined) {
      this.clock.clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private arm(ms: number): void {
    this.timer = this.clock.setTimeout(() => this.check(), ms);
  }

  private check(): void {
    this.timer = undefined;
    if (!this.running) return;
    const now = this.clock.now();
    if (this.active) {
      this.active = false;
      this.lastSeen = now;
    }
    const idle = now - this.lastSeen;
    if (idle >= this.timeoutMs) {
      this.running = false;
      this.onIdle(idle);
      return;
    }
    this.arm(Math.min(this.periodMs, this.timeoutMs - idle));
  }
}
