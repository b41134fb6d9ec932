/**
 * A text file appended to as a recording runs (captions, chat; the stills' index is written by stills.ts, off the
 * event loop): each append is one synchronous write, so nothing is buffered in memory and a process that dies
 * leaves every line written so far.
 */
import { openSync, writeSync } from 'node:fs';
import { closeFd, toError } from './wav-writer.js';

/** @internal Appends text to a file; keeps the first error and stops. Never throws. */
export class TextFile {
  private fd: number | undefined;
  /** The first error met (opening, writing or closing); undefined when none. */
  error: Error | undefined;
  /** Creates (or truncates) `path` and writes `header` (when not empty). */
  constructor(
    readonly path: string,
    header: string,
  ) {
    try {
      this.fd = openSync(path, 'w');
      if (header !== '') writeSync(this.fd, header);
    } catch (err) {
      this.fail(err);
    }
  }
  /** Appends `text`; after an error, does nothing. */
  append(text: string): void {
    if (this.fd === undefined) return;
    try {
      writeSync(this.fd, text);
    } catch (err) {
      this.fail(err);
    }
  }
  /** Closes the file. Idempotent. */
  close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    const closeError = closeFd(fd); // always closed; the first error is kept
    this.error ??= closeError;
  }
  private fail(err: unknown): void {
    this.error ??= toError(err);
    this.close();
  }
}
