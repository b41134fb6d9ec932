import { describe, expect, it } from 'vitest';
import { BoundedQueue } from '../../src/iterator.js';
import { RtmsError } from '../../src/index.js';

function source<T>() {
  let push: ((item: T) => void) | undefined;
  let detached = 0;
  let end!: () => void;
  const ended = new Promise<void>((r) => (end = r));
  const subscribe = (p: (item: T) => void) => {
    push = p;
    return () => {
      detached++;
      push = undefined;
    };
  };
  return { subscribe, ended, emit: (x: T) => push?.(x), end: () => end(), detached: () => detached, attached: () => push !== undefined };
}

async function drain<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('BoundedQueue', () => {
  it('delivers in order, then ends after the source ends and the buffer drains', async () => {
    const s = source<number>();
    const q = new BoundedQueue(s.subscribe, s.ended, { highWaterMark: 8 });
    for (let i = 0; i < 5; i++) s.emit(i);
    s.end();
    expect(await drain(q)).toEqual([0, 1, 2, 3, 4]);
    expect(s.detached()).toBe(1);
  });

  it('hands an item straight to a waiting reader', async () => {
    const s = source<string>();
    const q = new BoundedQueue(s.subscribe, s.ended, { highWaterMark: 1 });
    const pending = q.next();
    s.emit('a');
    expect(await pending).toEqual({ value: 'a', done: false });
    expect(q.buffered).toBe(0);
  });

  it('drop-oldest keeps the newest highWaterMark items and counts the rest', async () => {
    const s = source<number>();
    const q = new BoundedQueue(s.subscribe, s.ended, { highWaterMark: 10 });
    for (let i = 0; i < 100; i++) s.emit(i);
    expect(q.buffered).toBe(10);
    expect(q.dropped).toBe(90);
    s.end();
    expect(await drain(q)).toEqual([90, 91, 92, 93, 94, 95, 96, 97, 98, 99]);
  });

  it('drop-newest keeps the oldest items', async () => {
    const s = source<number>();
    const q = new BoundedQueue(s.subscribe, s.ended, { highWaterMark: 3, overflow: 'drop-newest' });
    for (let i = 0; i < 7; i++) s.emit(i);
    s.end();
    expect(await drain(q)).toEqual([0, 1, 2]);
    expect(q.dropped).toBe(4);
  });

  it('error policy ends iteration with RTMS_BUFFER_OVERFLOW and unsubscribes', async () => {
    const s = source<number>();
    const q = new BoundedQueue(s.subscribe, s.ended, { highWaterMark: 2, overflow: 'error' });
    s.emit(1);
    s.emit(2);
    s.emit(3);
    expect(s.attached()).toBe(false);
    const err = await q.next().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RtmsError);
    expect((err as RtmsError).code).toBe('RTMS_BUFFER_OVERFLOW');
    expect(await q.next()).toEqual({ value: undefined, done: true });
  });

  it('break (return) unsubscribes at once and releases the buffer', async () => {
    const s = source<number>();
    const q = new BoundedQueue(s.subscribe, s.ended);
    s.emit(1);
    s.emit(2);
    for await (const x of q) {
      expect(x).toBe(1);
      break;
    }
    expect(s.detached()).toBe(1);
    expect(q.buffered).toBe(0);
    s.emit(3);
    expect(await q.next()).toEqual({ value: undefined, done: true });
  });

  it('an abort signal ends the iteration, also one already aborted', async () => {
    const s = source<number>();
    const ac = new AbortController();
    const q = new BoundedQueue(s.subscribe, s.ended, { signal: ac.signal });
    const pending = q.next();
    ac.abort();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(s.detached()).toBe(1);
    const s2 = source<number>();
    const q2 = new BoundedQueue(s2.subscribe, s2.ended, { signal: AbortSignal.abort() });
    expect(s2.attached()).toBe(false);
    expect(await q2.next()).toEqual({ value: undefined, done: true });
  });

  it('memory stays bounded: a million items through a 16-slot buffer', () => {
    const s = source<{ n: number }>();
    const q = new BoundedQueue(s.subscribe, s.ended, { highWaterMark: 16 });
    for (let i = 0; i < 1_000_000; i++) s.emit({ n: i });
    expect(q.buffered).toBe(16);
    expect(q.dropped).toBe(1_000_000 - 16);
  });

  it('rejects bad options', () => {
    const s = source<number>();
    expect(() => new BoundedQueue(s.subscribe, s.ended, { highWaterMark: 0 })).toThrow(/highWaterMark/);
    expect(() => new BoundedQueue(s.subscribe, s.ended, { overflow: 'x' as never })).toThrow(/overflow/);
  });
});
