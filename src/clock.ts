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

/**
 * Fires `onIdle` when nothing was seen for `timeoutMs`. `touch()` is a field write (it runs once per frame), the
 * timer re-arms itself only when it fires. `start()` cancels a running timer first; after `stop()` a late
 * callback does nothing.
 */
export class IdleWatchdog {
  private timer: TimerHandle | undefined;
  private lastSeen = 0;
  private running = false;

  constructor(
    private readonly clock: Clock,
    private readonly timeoutMs: number,
    private readonly onIdle: (idleMs: number) => void,
  ) {}

  /** Starts (or restarts) watching from now. A timeout of 0 or less disables the watchdog. */
  start(): void {
    this.stop();
    if (!(this.timeoutMs > 0) || !Number.isFinite(this.timeoutMs)) return;
    this.running = true;
    this.lastSeen = this.clock.now();
    this.arm(this.timeoutMs);
  }

  /** Records activity. */
  touch(): void {
    this.lastSeen = this.clock.now();
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
    const idle = this.clock.now() - this.lastSeen;
    if (idle >= this.timeoutMs) {
      this.running = false;
      this.onIdle(idle);
      return;
    }
    this.arm(this.timeoutMs - idle);
  }
}
