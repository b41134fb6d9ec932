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
 * - **Index.** One JSON object a line, appended after its image is complete: `t` (the offset, ms), `timestamp`
 *   (Zoom's, Unix ms, or null), `userId`, `userName` (or null), `file` (the image's path relative to the index's
 *   directory, with `/`), `bytes`. A line names only a file written in full; an image whose write fails is removed,
 *   counted in {@link RecordedStills.failed} and not indexed.
 * - **Memory.** Each frame is written synchronously when it is placed (one `open`, `write`, `close`), so nothing is
 *   held: memory does not grow with the number of frames. The directory and the index are created at the first
 *   image, so a recording without images leaves neither.
 * - **Errors.** Never thrown: the first error of each kind (creating the directory, writing an image, writing the
 *   index) is reported once, and the images not written are counted.
 */
import { mkdirSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { UserId } from '../events.js';
import { detectVideoCodec } from '../format.js';
import { TextFile } from './text-file.js';
import { closeFd, toError } from './wav-writer.js';

/** An image type the recorder writes: JPEG (`.jpg`) or PNG (`.png`). */
export type StillType = 'jpg' | 'png';

/** Digits of a still's file name (its offset, ms, zero-padded): 9 digits reach 277 hours. */
export const STILL_NAME_DIGITS = 9;
/** Most files with the same offset (`_002` ... `_999`); a frame past that is not written. */
export const MAX_SAME_NAME = 999;


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

/** @internal Writes one kind's stills; see the module notes. Never throws. */
export class StillsWriter {
  private index: TextFile | undefined;
  private ready: boolean | undefined;
  private frames = 0;
  private bytes = 0;
  private failed = 0;
  private first: number | undefined;
  private last: number | undefined;
  private closed = false;
  private writeErrorReported = false;
  /** The last name used (or given up on) per image type: its offset and same-offset number. */
  private readonly lastName: Partial<Record<StillType, { t: number; n: number }>> = {};

  /**
   * @param dir - the images' directory
   * @param indexPath - the index file
   * @param relDir - the images' directory as the index names it (relative to the index's directory)
   * @param report - records an error message
   */
  constructor(
    readonly dir: string,
    readonly indexPath: string,
    private readonly relDir: string,
    private readonly report: (message: string) => void,
  ) {}

  /** Writes one image and its index line. Never throws. */
  write(still: Still): void {
    if (this.closed) return;
    if (!this.open()) {
      this.failed++;
      return;
    }
    const t = Number.isFinite(still.offsetMs) ? Math.max(0, Math.round(still.offsetMs)) : 0;
    const file = this.writeFile(t, still);
    if (file === undefined) {
      this.failed++;
      return;
    }
    this.frames++;
    this.bytes += still.data.byteLength;
    this.first ??= t;
    this.last = Math.max(this.last ?? t, t);
    const line: StillIndexLine = { t, timestamp: still.timestamp ?? null, userId: still.userId ?? null, userName: still.userName ?? null, file: `${this.relDir}/${file}`, bytes: still.data.byteLength };
    this.index?.append(`${JSON.stringify(line)}\n`);
  }

  /** Closes the index and returns what was written. Idempotent. */
  close(): RecordedStills {
    if (!this.closed) {
      this.closed = true;
      const index = this.index;
      if (index !== undefined) {
        index.close();
        if (index.error !== undefined) this.report(`${index.path}: ${index.error.message}`);
      }
      if (this.failed > 1 && this.ready === true) this.report(`${this.dir}: ${this.failed} images not written (the first error is listed)`);
    }
    return { dir: this.dir, index: this.indexPath, frames: this.frames, bytes: this.bytes, failed: this.failed, firstFrameMs: this.first, lastFrameMs: this.last };
  }

  /** Creates the directory and the index at the first image; false when the directory cannot be made. */
  private open(): boolean {
    if (this.ready !== undefined) return this.ready;
    try {
      mkdirSync(this.dir, { recursive: true });
    } catch (err) {
      this.ready = false;
      this.report(`cannot create ${this.dir}: ${toError(err).message}`);
      return false;
    }
    this.ready = true;
    this.index = new TextFile(this.indexPath, '');
    return true;
  }

  /**
   * Writes the image under the first free name for its offset; its name, or undefined (reported) on failure. The
   * search starts after the last name used at the same offset: frames with a frozen or zero timestamp (all at one
   * offset) cost one `open` each, not one per image already there.
   */
  private writeFile(t: number, still: Still): string | undefined {
    const last = this.lastName[still.type];
    const from = last !== undefined && last.t === t ? last.n + 1 : 1;
    for (let n = from; n <= MAX_SAME_NAME; n++) {
      const name = stillName(t, still.type, n);
      const path = join(this.dir, name);
      let fd: number;
      try {
        fd = openSync(path, 'wx');
      } catch (err) {
        if ((err as NodeJS.ErrnoException | undefined)?.code === 'EEXIST') continue;
        this.writeError(path, err);
        return undefined;
      }
      let error: Error | undefined;
      try {
        const data = still.data;
        let done = 0;
        while (done < data.byteLength) {
          const wrote = writeSync(fd, data, done, data.byteLength - done);
          if (wrote <= 0) throw new Error('write made no progress');
          done += wrote;
        }
      } catch (err) {
        error = toError(err);
      }
      const closeError = closeFd(fd); // always closed; the first error is kept
      error ??= closeError;
      this.lastName[still.type] = { t, n };
      if (error === undefined) return name;
      try {
        unlinkSync(path); // no half image in the directory: the index never names it, and nothing else should
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
    this.report(`${path}: ${toError(err).message}`);
  }
}
