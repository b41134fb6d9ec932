/**
 * A WAV file written as audio arrives (16-bit PCM), safe to read at any moment.
 *
 * The header is written first with both sizes (RIFF and `data`) set to 0xFFFFFFFF, the convention for "length
 * unknown, read to the end of the file" that ffmpeg itself uses when it writes a WAV to a pipe: if the process
 * dies mid-meeting, ffmpeg, sox and most players read every sample written so far. {@link WavWriter.close}
 * patches the real sizes in. Writes are synchronous and small (one chunk), so memory stays bounded and the
 * file is never behind the timeline by more than a chunk.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { endianness } from 'node:os';
import { wavHeader } from '../wav.js';

const BIG_ENDIAN = endianness() === 'BE';
const STREAMING = 0xffffffff;
const SILENCE_BLOCK = 48_000;

/** @internal Anything thrown, as an Error (file writers keep the first one they meet). */
export function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** @internal Closes `fd` and returns what closing threw, if anything (file writers keep the first error they meet). */
export function closeFd(fd: number): Error | undefined {
  try {
    closeSync(fd);
    return undefined;
  } catch (err) {
    return toError(err);
  }
}

/** Appends 16-bit PCM to a WAV file; never throws (the first error is kept and writing stops). */
export class WavWriter {
  /** The file's path. */
  readonly path: string;
  /** Sample frames written so far. */
  samples = 0;
  /** The first error met (opening, writing, patching or closing); undefined when none. */
  error: Error | undefined;
  private fd: number | undefined;
  private readonly channels: number;
  private readonly sampleRate: number;

  /** Creates (or truncates) `path` and writes a streaming header. */
  constructor(path: string, sampleRate: number, channels: number) {
    this.path = path;
    this.sampleRate = sampleRate;
    this.channels = channels;
    try {
      this.fd = openSync(path, 'w');
      const h = wavHeader({ codec: 'L16', contentType: 'raw', sampleRate, channels }, 0);
      h.writeUInt32LE(STREAMING, 4);
      h.writeUInt32LE(STREAMING, 40);
      writeSync(this.fd, h);
    } catch (err) {
      this.fail(err);
    }
  }

  /** Appends interleaved samples. */
  write(pcm: Int16Array): void {
    if (this.fd === undefined || pcm.length === 0) return;
    let buf = Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
    if (BIG_ENDIAN) buf = Buffer.from(buf).swap16();
    try {
      writeSync(this.fd, buf);
      this.samples += pcm.length / this.channels;
    } catch (err) {
      this.fail(err);
    }
  }

  /** Appends `samples` sample frames of silence, in bounded blocks. */
  writeSilence(samples: number): void {
    let left = samples;
    while (left > 0 && this.fd !== undefined) {
      const n = Math.min(left, SILENCE_BLOCK);
      this.write(new Int16Array(n * this.channels));
      left -= n;
    }
  }

  /** Patches the header with the real sizes and closes the file. Idempotent. */
  close(): void {
    const fd = this.fd;
    if (fd === undefined) return;
    this.fd = undefined;
    try {
      const bytes = this.samples * this.channels * 2;
      const h = wavHeader({ codec: 'L16', contentType: 'raw', sampleRate: this.sampleRate, channels: this.channels }, Math.min(bytes, STREAMING - 36));
      writeSync(fd, h, 0, h.length, 0);
    } catch (err) {
      this.error ??= toError(err);
    }
    const closeError = closeFd(fd); // always closed; the first error is kept
    this.error ??= closeError;
  }

  private fail(err: unknown): void {
    this.error ??= toError(err);
    if (this.fd !== undefined) {
      closeFd(this.fd); // already failing: the first error is kept
      this.fd = undefined;
    }
  }
}
