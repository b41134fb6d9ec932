/**
 * A manual clock for unit tests: time moves only through advance(); due timers run in order. Records every delay
 * scheduled and every handle cleared, so tests can assert on the schedule and on cleanup.
 */
import type { Clock, TimerHandle } from '../src/clock.js';

export class ManualClock implements Clock {
  t: number;
  private nextId = 1;
  readonly timers = new Map<number, { at: number; fn: () => void; ms: number }>();
  readonly cleared: TimerHandle[] = [];
  readonly scheduled: number[] = [];

  constructor(start = 1_000_000) {
    this.t = start;
  }
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { at: this.t + ms, fn, ms });
    this.scheduled.push(ms);
    return id;
  }
  clearTimeout(handle: TimerHandle): void {
    this.cleared.push(handle);
    this.timers.delete(handle as number);
  }
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let nextId: number | undefined;
      let next: { at: number; fn: () => void } | undefined;
      for (const [id, timer] of this.timers) if (timer.at <= end && (next === undefined || timer.at < next.at)) [nextId, next] = [id, timer];
      if (next === undefined || nextId === undefined) break;
      this.timers.delete(nextId);
      this.t = next.at;
      next.fn();
    }
    this.t = end;
  }
}
