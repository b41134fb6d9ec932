/**
 * The recorder's stills: JPG and PNG frames of video or screen share (RTMS sends them at 5 fps or less, §3.3 of
 * the protocol notes), each one whole image, written as image files as they arrive, with an index as JSON lines.
 *
 * ## Rules
 *
 * - **Format.** The file's type comes from its bytes, not from the negotiated codec: a JPEG starts with SOI and a
 *   marker (`FF D8 FF`), a PNG with its 8-byte signature (`89 50 4E 47 0D 0A 1A 0A`). Bytes that are neither are
 *   not an image ({@link sniffImage} returns undefined); the video recorder counts them as corrupt.
 * - **Names.** A frame's file is named after its offset on the recording's clock (the WAVs' sample 0) in whole
 *   milliseconds, zero-padded to {@link STILL_NAME_DIGITS} digits (enough for 277 hours), so names sort by time:
 *   `000012345.jpg` is 12.345 s into the recording. A frame before the clock's zero is named (and indexed) at 0,
 *   like chat lines. A name already taken (two frames in one millisecond, or a file left in the directory by an
 *   earlier recording of the same name) gets `_002`, `_003`, ... (up to {@link MAX_SAME_NAME}), which sorts after
 *   the plain name and before the next millisecond: no file is ever overwritten.
 * - **Index.** One JSON object a line, appended after its image is complete (closed), in arrival order: `t` (the
 *   offset, ms), `timestamp` (Zoom's, Unix ms, or null), `userId`, `userName` (or null), `file` (the image's path
 *   relative to the index's directory, with `/`), `bytes`. A line names only a file written in full; an image
 *   whose write fails is removed, counted in {@link RecordedStills.failed} and not indexed.
 * - **Off the event loop.** Images are written with Node's asynchronous file calls (`fs.open`, `fs.write`,
 *   `fs.close` with callbacks, lighter than FileHandles; they run in libuv's thread pool): each writer (one per
 *   kind: video, share) keeps a queue, written in order, one file at a time (`open` with `wx`, `write` until done,
 *   `close`, then the index line). The directory is made, and the index
 *   opened, the same way at the first image, so a recording without images leaves neither. The index goes through
 *   the same queue rather than a synchronous append: its line is due only once its image is complete, which the
 *   queue already knows, and a synchronous write on a stalled disk would block every meeting's sockets.
 * - **Bounded.** A writer queues at most {@link MAX_QUEUED_STILLS} images and {@link MAX_QUEUED_STILL_BYTES} bytes
 *   (the one being written included; an empty queue takes one image whatever its size). A frame past that is not
 *   queued: it is counted in {@link RecordedStills.dropped}, never waited for, so memory stays bounded when the
 *   disk falls behind. Frames held before the recording's clock had a start (already in memory, bounded by the
 *   video recorder) are queued whatever the queue holds.
 * - **Closing.** {@link StillsWriter.close} waits for the queue, at most {@link STILLS_CLOSE_TIMEOUT_MS}: past that
 *   (a stalled disk), what is still queued, the image being written included, is counted in `dropped` and reported;
 *   the image being written then finishes (or fails) in the background, its descriptor closed, without an index
 *   line, as after a crash. Nothing is reported or counted after `close` has resolved.
 * - **Errors.** Never thrown, never a rejected promise: the first error of each kind (creating the directory,
 *   writing an image, writing the index) is reported once, and the images not written are counted.
 */
import { close as fsClose, mkdir as fsMkdir, open as fsOpen, unlink as fsUnlink, write as fsWrite } from 'node:fs';
import { join } from 'node:path';
import type { UserId } from '../events.js';
import { detectVideoCodec } from '../format.js';
import { toError } from './wav-writer.js';

/** An image type the recorder writes: JPEG (`.jpg`) or PNG (`.png`). */
export type StillType = 'jpg' | 'png';

/** Digits of a still's file name (its offset, ms, zero-padded): 9 digits reach 277 hours. */
export const STILL_NAME_DIGITS = 9;
/** Most files with the same offset (`_002` ... `_999`); a frame past that is not written. */
export const MAX_SAME_NAME = 999;
/**
 * Images a stills writer may hold waiting for the disk (the one being written included): 6.4 s of video at the
 * fastest image rate RTMS sends (5 fps). A healthy disk writes an image in about a millisecond, so the queue is
 * almost always empty; this rides out a disk that stalls for a few seconds without dropping a frame.
 */
export const MAX_QUEUED_STILLS = 32;
/**
 * Bytes of images a stills writer may hold waiting for the disk: the same bound as frames held before the clock
 * (`MAX_NO_CLOCK_BYTES`), so a recording holds at most 16 MiB of images per kind (video, share) whatever the disk
 * does (or one image, when a single one is larger).
 */
export const MAX_QUEUED_STILL_BYTES = 16 * 1024 * 1024;
/**
 * How long closing a stills writer (the recording's end) waits for its queue, ms. A healthy disk writes a full
 * queue in well under a second; a stalled one (a hung network mount) must not hold `recording.done` for ever.
 */
export const STILLS_CLOSE_TIMEOUT_MS = 10_000;


/**
 * The image type of `bytes` by their signature: `jpg` for a JPEG's SOI and marker (`FF D8 FF`), `png` for the PNG
 * signature (`89 50 4E 47 0D 0A 1A 0A`), undefined for anything else. Reads at most 8 bytes; never throws.
 */
export function sniffImage(bytes: Uint8Array): StillType | undefined {
  const codec = detectVideoCodec(bytes);
  return codec === 'JPG' ? 'jpg' : codec === 'PNG' ? 'png' : undefined;
}

/**
 * The file name of a still at `offsetMs` on the recording's clock: the offset in whole ms (rounded; negative
 * offsets are 0), zero-padded to {@link STILL_NAME_DIGITS} digits, then `_002`... for the `n`th file of that
 * name (n > 1), then the extension.
 */
export function stillName(offsetMs: number, type: StillType, n = 1): string {
  const ms = Number.isFinite(offsetMs) ? Math.max(0, Math.round(offsetMs)) : 0;
  const base = String(ms).padStart(STILL_NAME_DIGITS, '0');
  return n <= 1 ? `${base}.${type}` : `${base}_${String(n).padStart(3, '0')}.${type}`;
}

/** The image files a recording wrote for one kind of video (JPG or PNG frames). */
export interface RecordedStills {
  /** The directory of the image files (`<name>-video-frames`, `<name>-share-frames`). */
  readonly dir: string;
  /** The index, JSON lines (`<name>-video-frames.jsonl`, ...): one line per image written; see {@link recordSession}. */
  readonly index: string;
  /** Image files written, each with its line in the index (unless the index itself failed: see `RecordingResult.errors`). */
  readonly frames: number;
  /** Bytes of the image files written. */
  readonly bytes: number;
  /** JPG and PNG frames not written: a file error (reported in {@link RecordingResult.errors}). */
  readonly failed: number;
  /**
   * JPG and PNG frames not written because the disk did not keep up: frames that came while 32 images or 16 MiB
   * were waiting to be written (the bound of each kind's queue), and those still waiting 10 s after the recording
   * ended (reported in {@link RecordingResult.errors}, with a count). `frames + failed + dropped` is the images
   * received (unless `stills: false`).
   */
  readonly dropped: number;
  /** The first image's offset on the recording's clock, ms; undefined when none was written. */
  readonly firstFrameMs: number | undefined;
  /** The last image's offset on the recording's clock, ms (the largest); undefined when none was written. */
  readonly lastFrameMs: number | undefined;
}

/**
 * One line of a stills index (`<name>-video-frames.jsonl`, `<name>-share-frames.jsonl`), parsed from JSON: where
 * one image sits on the recording's clock, who was on it, and its file.
 */
export interface StillIndexLine {
  /** Offset on the recording's clock (the WAVs' sample 0), ms; the number in the file name. */
  readonly t: number;
  /** The frame's Zoom timestamp (ms), or null when it had none. */
  readonly timestamp: number | null;
  /** The user on the frame (active speaker, or who shares), or null. */
  readonly userId: UserId | null;
  /** That user's name, or null. */
  readonly userName: string | null;
  /** The image's path relative to the recording's directory (`<name>-video-frames/000012345.jpg`). */
  readonly file: string;
  /** The image's size in bytes. */
  readonly bytes: number;
}

/** @internal One image to write. */
export interface Still {
  readonly data: Uint8Array;
  readonly type: StillType;
  /** Offset on the recording's clock, ms (clamped at 0 and rounded for the name and the index). */
  readonly offsetMs: number;
  readonly timestamp: number | undefined;
  readonly userId: UserId | undefined;
  readonly userName: string | undefined;
}

/** @internal An open file, as the stills writer uses it (a descriptor and Node's callback calls by default). */
export interface StillsFileHandle {
  /** Writes `length` bytes of `data` from `offset` at the file's position; resolves with how many were written. */
  write(data: Uint8Array, offset: number, length: number): Promise<{ bytesWritten: number }>;
  close(): Promise<void>;
}

/** @internal The file calls of a stills writer: {@link nodeStillsFs} by default; tests pass slow or failing ones. */
export interface StillsFs {
  /** Makes the directory and its parents. */
  mkdir(path: string): Promise<unknown>;
  /** Opens `path`: `wx` creates it (failing with EEXIST when it exists), `w` creates or truncates it. */
  open(path: string, flags: 'wx' | 'w'): Promise<StillsFileHandle>;
  unlink(path: string): Promise<void>;
}

/** A file descriptor with the two calls the writer needs, over Node's callback API (lighter than a FileHandle). */
function fdHandle(fd: number): StillsFileHandle {
  return {
    write: (data, offset, length) =>
      new Promise((resolve, reject) => {
        fsWrite(fd, data, offset, length, null, (err, bytesWritten) => (err ? reject(err) : resolve({ bytesWritten })));
      }),
    close: () =>
      new Promise((resolve, reject) => {
        fsClose(fd, (err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** @internal Node's asynchronous file calls (libuv's thread pool). */
export const nodeStillsFs: StillsFs = {
  mkdir: (path) =>
    new Promise((resolve, reject) => {
      fsMkdir(path, { recursive: true }, (err) => (err ? reject(err) : resolve(undefined)));
    }),
  open: (path, flags) =>
    new Promise((resolve, reject) => {
      fsOpen(path, flags, (err, fd) => (err ? reject(err) : resolve(fdHandle(fd))));
    }),
  unlink: (path) =>
    new Promise((resolve, reject) => {
      fsUnlink(path, (err) => (err ? reject(err) : resolve()));
    }),
};

/** @internal Options of a stills writer, for tests. */
export interface StillsWriterOptions {
  /** The file calls (default {@link nodeStillsFs}). */
  readonly fs?: StillsFs;
  /** Default {@link STILLS_CLOSE_TIMEOUT_MS}. */
  readonly closeTimeoutMs?: number;
}

/** Writers of this process with a write in progress, and who waits for none to be (see {@link stillsIdle}). */
let busyWriters = 0;
let idleWaiters: (() => void)[] = [];

/**
 * @internal Resolves when no stills writer of this process has anything queued or being written: for tests, which
 * emit frames and then read the files while the session still runs.
 */
export function stillsIdle(): Promise<void> {
  if (busyWriters === 0) return Promise.resolve();
  return new Promise((resolve) => idleWaiters.push(resolve));
}

/** Writes the whole of `data` to `file` (a short write is continued); rejects on an error or no progress. */
async function writeAll(file: StillsFileHandle, data: Uint8Array): Promise<void> {
  let done = 0;
  while (done < data.byteLength) {
    const { bytesWritten } = await file.write(data, done, data.byteLength - done);
    if (!(bytesWritten > 0)) throw new Error('write made no progress');
    done += bytesWritten;
  }
}

/** @internal Writes one kind's stills off the event loop, in order, with a bounded queue; see the module notes. Never throws. */
export class StillsWriter {
  private readonly fs: StillsFs;
  private readonly closeTimeoutMs: number;
  private index: StillsFileHandle | undefined;
  private indexError: Error | undefined;
  /** Whether the directory and the index are made: undefined before the first image, false when the directory failed. */
  private ready: boolean | undefined;
  private frames = 0;
  private bytes = 0;
  private failed = 0;
  private dropped = 0;
  private first: number | undefined;
  private last: number | undefined;
  /** No more images taken (close was called). */
  private closed = false;
  /** Close gave up waiting: nothing more is written to the index. */
  private abandoned = false;
  /** Close has resolved: nothing more is reported. */
  private silent = false;
  private writeErrorReported = false;
  /** Counted in the process's busy writers (see {@link stillsIdle}). */
  private busy = false;
  private readonly queue: Still[] = [];
  /** Images taken and not yet finished (queued, and the one being written), and their bytes. */
  private pending = 0;
  private pendingBytes = 0;
  /** The loop writing the queue, while it runs. */
  private running = false;
  private loop: Promise<void> = Promise.resolve();
  private closing: Promise<RecordedStills> | undefined;
  /** The last name used (or given up on) per image type: its offset and same-offset number. */
  private readonly lastName: Partial<Record<StillType, { t: number; n: number }>> = {};

  /**
   * @param dir - the images' directory
   * @param indexPath - the index file
   * @param relDir - the images' directory as the index names it (relative to the index's directory)
   * @param report - records an error message
   * @param options - for tests: the file calls and the close bound
   */
  constructor(
    readonly dir: string,
    readonly indexPath: string,
    private readonly relDir: string,
    private readonly report: (message: string) => void,
    options: StillsWriterOptions = {},
  ) {
    this.fs = options.fs ?? nodeStillsFs;
    this.closeTimeoutMs = options.closeTimeoutMs ?? STILLS_CLOSE_TIMEOUT_MS;
  }

  /** Images queued or being written. */
  get queued(): number {
    return this.pending;
  }

  /**
   * Queues one image (its file, then its index line, are written in order); past the queue's bound the frame is
   * counted as dropped instead, unless `held` (a frame held before the clock, already in memory). Never throws.
   */
  write(still: Still, held = false): void {
    if (this.closed) return;
    if (this.ready === false) {
      this.failed++; // the directory could not be made (reported once)
      return;
    }
    const size = still.data.byteLength;
    const fits = this.pending === 0 || (this.pending < MAX_QUEUED_STILLS && this.pendingBytes + size <= MAX_QUEUED_STILL_BYTES);
    if (!fits && !held) {
      this.dropped++;
      return;
    }
    this.queue.push(still);
    this.pending++;
    this.pendingBytes += size;
    this.kick();
  }

  /**
   * Stops taking images, waits for the queue (at most the close bound), closes the index and returns what was
   * written. Idempotent; never rejects.
   */
  close(): Promise<RecordedStills> {
    if (this.closing === undefined) {
      this.closed = true;
      this.kick(); // an idle writer closes its index now
      this.closing = this.settle();
    }
    return this.closing;
  }

  private async settle(): Promise<RecordedStills> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      this.loop.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), this.closeTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    const queueDrops = this.dropped;
    if (timedOut) {
      // A stalled disk: what waits is given up (the image being written finishes in the background, unindexed; an
      // image already complete may still get its line when the disk answers).
      this.abandoned = true;
      this.dropped += this.pending;
      this.queue.length = 0;
      if (this.pending > 0) this.say(`${this.dir}: ${this.pending} images still waiting for the disk after ${this.closeTimeoutMs} ms were not written`);
      else this.say(`${this.indexPath}: not closed within ${this.closeTimeoutMs} ms (the disk did not answer); every image was written`);
      this.unbusy(); // a hung disk must not keep stillsIdle() waiting for this writer
    }
    if (this.indexError !== undefined) this.say(`${this.indexPath}: ${this.indexError.message}`);
    if (this.failed > 1) this.say(`${this.dir}: ${this.failed} images not written (the first error is listed)`);
    if (queueDrops > 0) this.say(`${this.dir}: ${queueDrops} images dropped: the disk did not keep up (at most ${MAX_QUEUED_STILLS} images, ${MAX_QUEUED_STILL_BYTES / 1024 / 1024} MiB wait)`);
    this.silent = true; // the result is out: nothing more is reported
    return { dir: this.dir, index: this.indexPath, frames: this.frames, bytes: this.bytes, failed: this.failed, dropped: this.dropped, firstFrameMs: this.first, lastFrameMs: this.last };
  }

  /** Starts the loop unless it runs. */
  private kick(): void {
    if (this.running) return;
    this.running = true;
    if (!this.busy) {
      this.busy = true;
      busyWriters++;
    }
    this.loop = this.run();
  }

  /** This writer no longer counts as busy for {@link stillsIdle} (once per kick). */
  private unbusy(): void {
    if (!this.busy) return;
    this.busy = false;
    if (--busyWriters === 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** Writes the queue in order; at the end, once closed, closes the index. Never rejects. */
  private async run(): Promise<void> {
    try {
      for (let still = this.queue.shift(); still !== undefined && !this.abandoned; still = this.queue.shift()) {
        // The image leaves `pending` once, when its file is complete (before its index line) or when it is done.
        let released = false;
        const size = still.data.byteLength;
        const release = (): void => {
          if (released) return;
          released = true;
          this.pending--;
          this.pendingBytes -= size;
        };
        try {
          await this.writeOne(still, release);
        } catch (err) {
          // Not expected (every step guards itself).
          if (!released) this.failed++;
          this.writeError(this.dir, err);
        }
        release();
      }
      if (this.closed) await this.closeIndex();
    } finally {
      this.running = false;
      this.unbusy();
    }
  }

  private async writeOne(still: Still, release: () => void): Promise<void> {
    if (this.ready === undefined) await this.open();
    if (this.abandoned) return; // close gave up while the directory was being made: counted as dropped
    if (this.ready !== true) {
      this.failed++;
      return;
    }
    const t = Number.isFinite(still.offsetMs) ? Math.max(0, Math.round(still.offsetMs)) : 0;
    const file = await this.writeFile(t, still);
    if (this.abandoned) return; // close gave up on it: counted as dropped, not indexed
    if (file === undefined) {
      this.failed++;
      return;
    }
    const bytes = still.data.byteLength;
    this.frames++;
    this.bytes += bytes;
    this.first ??= t;
    this.last = Math.max(this.last ?? t, t);
    release(); // written: a close that gives up during the index line does not count it again as dropped
    const line: StillIndexLine = { t, timestamp: still.timestamp ?? null, userId: still.userId ?? null, userName: still.userName ?? null, file: `${this.relDir}/${file}`, bytes };
    await this.appendIndex(`${JSON.stringify(line)}\n`);
  }

  /** Creates the directory and the index at the first image; `ready` false when the directory cannot be made. */
  private async open(): Promise<void> {
    try {
      await this.fs.mkdir(this.dir);
    } catch (err) {
      this.ready = false;
      this.say(`cannot create ${this.dir}: ${toError(err).message}`);
      return;
    }
    if (this.abandoned) return; // close gave up meanwhile: no index is created (or emptied) after the result is out
    this.ready = true;
    try {
      this.index = await this.fs.open(this.indexPath, 'w');
    } catch (err) {
      this.indexError ??= toError(err); // the images are still written; the error is reported at close
    }
  }

  private async appendIndex(text: string): Promise<void> {
    const index = this.index;
    if (index === undefined) return;
    try {
      await writeAll(index, Buffer.from(text, 'utf8'));
    } catch (err) {
      this.indexError ??= toError(err);
      await this.closeIndex(); // stop at the first error, as the other text files do
    }
  }

  private async closeIndex(): Promise<void> {
    const index = this.index;
    if (index === undefined) return;
    this.index = undefined;
    try {
      await index.close();
    } catch (err) {
      this.indexError ??= toError(err);
    }
  }

  /**
   * Writes the image under the first free name for its offset; its name, or undefined (reported) on failure. The
   * search starts after the last name used at the same offset: frames with a frozen or zero timestamp (all at one
   * offset) cost one `open` each, not one per image already there.
   */
  private async writeFile(t: number, still: Still): Promise<string | undefined> {
    const last = this.lastName[still.type];
    const from = last !== undefined && last.t === t ? last.n + 1 : 1;
    for (let n = from; n <= MAX_SAME_NAME; n++) {
      const name = stillName(t, still.type, n);
      const path = join(this.dir, name);
      let file: StillsFileHandle;
      try {
        file = await this.fs.open(path, 'wx');
      } catch (err) {
        if ((err as NodeJS.ErrnoException | undefined)?.code === 'EEXIST') continue;
        this.writeError(path, err);
        return undefined;
      }
      let error: Error | undefined;
      try {
        await writeAll(file, still.data);
      } catch (err) {
        error = toError(err);
      }
      try {
        await file.close(); // always closed; the first error is kept
      } catch (err) {
        error ??= toError(err);
      }
      this.lastName[still.type] = { t, n };
      if (error === undefined) return name;
      try {
        await this.fs.unlink(path); // no half image in the directory: the index never names it, and nothing else should
      } catch {
        // Already failing: the write error is the one reported.
      }
      this.writeError(path, error);
      return undefined;
    }
    this.lastName[still.type] = { t, n: MAX_SAME_NAME };
    this.writeError(join(this.dir, stillName(t, still.type)), new Error(`more than ${MAX_SAME_NAME} images at this offset`));
    return undefined;
  }

  private writeError(path: string, err: unknown): void {
    if (this.writeErrorReported) return; // one message, however many frames a full disk refuses (all counted)
    this.writeErrorReported = true;
    this.say(`${path}: ${toError(err).message}`);
  }

  private say(message: string): void {
    if (!this.silent) this.report(message);
  }
}
