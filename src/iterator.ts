/**
 * Bounded async iteration over session events, for consumers slower than the stream.
 *
 * The buffer holds at most `highWaterMark` items; what happens past that is the overflow policy:
 *
 * | policy        | on a full buffer                                             |
 * |---------------|--------------------------------------------------------------|
 * | `drop-oldest` | the oldest buffered item is discarded (default: live media)  |
 * | `drop-newest` | the incoming item is discarded                               |
 * | `error`       | iteration ends by throwing `RTMS_BUFFER_OVERFLOW`            |
 *
 * `dropped` counts what was discarded. Memory is bounded however slow the reader. The iterator ends when the
 * session ends (after the buffer is drained), when the reader `break`s (which unsubscribes at once), or when
 * the `signal` aborts.
 */
import { RtmsError } from './errors.js';

/** What to do when the buffer is full. */
export type OverflowPolicy = 'drop-oldest' | 'drop-newest' | 'error';

/** Options of a session iterator. */
export interface IterateOptions {
  /** Most items buffered. Default 1024 (about 20 s of 20 ms audio). */
  highWaterMark?: number;
  /** Default `drop-oldest`. */
  overflow?: OverflowPolicy;
  /** Ends the iteration when aborted. */
  signal?: AbortSignal;
}

/** Options of a session iterator over one event type. */
export interface IterateEventOptions<T> extends IterateOptions {
  /**
   * Keeps only matching items, before they take buffer space: e.g. one speaker's audio
   * (`{ filter: (a) => a.userId === id }`), so each speaker gets its own queue and drop policy.
   */
  filter?: (item: T) => boolean;
}

/** An async iterator over a session's events, with a bounded buffer. */
export interface BoundedIterator<T> extends AsyncIterableIterator<T> {
  /** Items discarded by the overflow policy so far. */
  readonly dropped: number;
  /** Items waiting to be read. */
  readonly buffered: number;
}

/** Default `highWaterMark`. */
export const DEFAULT_HIGH_WATER_MARK = 1024;

/**
 * A bounded FIFO feeding one async reader. `subscribe` attaches the producer and returns its detach function;
 * `ended` settles when the source ends.
 * @internal
 */
export class BoundedQueue<T> implements BoundedIterator<T> {
  private readonly ring: (T | undefined)[];
  private head = 0;
  private size = 0;
  private _dropped = 0;
  private done = false;
  private failure: RtmsError | undefined;
  private waiter: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | undefined;
  private detach: (() => void) | undefined;
  private readonly policy: OverflowPolicy;
  private readonly signal: AbortSignal | undefined;
  private readonly onAbort = (): void => this.finish();

  /** `tally`, when given, counts every drop too (the session's total over all its iterators). */
  constructor(
    subscribe: (push: (item: T) => void) => () => void,
    ended: Promise<unknown>,
    options: IterateOptions = {},
    private readonly tally?: { dropped: number },
  ) {
    const hwm = options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
    if (!Number.isInteger(hwm) || hwm < 1) throw new RtmsError('RTMS_INVALID_OPTIONS', 'highWaterMark must be a positive integer');
    const policy = options.overflow ?? 'drop-oldest';
    if (policy !== 'drop-oldest' && policy !== 'drop-newest' && policy !== 'error') {
      throw new RtmsError('RTMS_INVALID_OPTIONS', "overflow must be 'drop-oldest', 'drop-newest' or 'error'");
    }
    this.ring = new Array<T | undefined>(hwm);
    this.policy = policy;
    this.signal = options.signal;
    if (this.signal?.aborted) {
      this.done = true;
      return;
    }
    this.signal?.addEventListener('abort', this.onAbort, { once: true });
    this.detach = subscribe((item) => this.push(item));
    void ended.then(() => this.finish());
  }

  get dropped(): number {
    return this._dropped;
  }

  get buffered(): number {
    return this.size;
  }

  private push(item: T): void {
    if (this.done) return;
    const w = this.waiter;
    if (w !== undefined) {
      this.waiter = undefined;
      w.resolve({ value: item, done: false });
      return;
    }
    const cap = this.ring.length;
    if (this.size === cap) {
      if (this.policy === 'drop-newest') {
        this.drop();
        return;
      }
      if (this.policy === 'error') {
        this.drop();
        this.failure = new RtmsError('RTMS_BUFFER_OVERFLOW', `iterator buffer full (${cap} items): the reader is too slow`);
        this.finish();
        return;
      }
      // drop-oldest
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) % cap;
      this.size--;
      this.drop();
    }
    this.ring[(this.head + this.size) % cap] = item;
    this.size++;
  }

  private drop(): void {
    this._dropped++;
    if (this.tally !== undefined) this.tally.dropped++;
  }

  private shift(): T {
    const item = this.ring[this.head] as T;
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) % this.ring.length;
    this.size--;
    return item;
  }

  /** Stops producing; buffered items can still be read (except after an overflow error). */
  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.detach?.();
    this.detach = undefined;
    this.signal?.removeEventListener('abort', this.onAbort);
    const w = this.waiter;
    if (w === undefined) return;
    this.waiter = undefined;
    if (this.failure) {
      const f = this.failure;
      this.failure = undefined;
      w.reject(f);
    } else {
      w.resolve({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.failure) {
      const f = this.failure;
      this.failure = undefined;
      this.clear();
      return Promise.reject(f);
    }
    if (this.size > 0) return Promise.resolve({ value: this.shift(), done: false });
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    if (this.waiter) return Promise.reject(new RtmsError('RTMS_INVALID_OPTIONS', 'next() called again before the previous call settled'));
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.failure = undefined;
    this.finish();
    this.clear();
    return Promise.resolve({ value: undefined, done: true });
  }

  private clear(): void {
    this.ring.fill(undefined);
    this.head = 0;
    this.size = 0;
  }

  [Symbol.asyncIterator](): BoundedIterator<T> {
    return this;
  }
}
