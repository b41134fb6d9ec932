/**
 * What the media and recorder tests share: the ffmpeg/ffprobe gate (a loud skip outside CI, a failure in CI), a
 * temporary directory removed after the test, the open file-descriptor count, a stand-in session for the
 * recorder, and tiny valid JPEG and PNG images.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'eventemitter3';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync, crc32 } from 'node:zlib';
import { onTestFinished } from 'vitest';
import type { MediaSession } from '../src/media/index.js';

/** True when CI is set (`CI=true` or `CI=1`): a missing system tool is then a failure, not a skip. */
export const inCi = (): boolean => process.env['CI'] === 'true' || process.env['CI'] === '1';

/**
 * True when `ffprobe` and `ffmpeg` are on PATH. Without them: throws in CI, and outside CI prints a loud banner
 * naming `purpose` (what is skipped) and returns false. Call once per file, at collection time.
 */
export function ffmpegAvailable(purpose: string): boolean {
  if (spawnSync('ffprobe', ['-version']).status === 0 && spawnSync('ffmpeg', ['-version']).status === 0) return true;
  const msg = `ffmpeg/ffprobe are not on PATH: ${purpose} needs them (apt-get install ffmpeg).`;
  if (inCi()) throw new Error(`${msg} In CI (CI=${process.env['CI']}) this is a failure, not a skip: .ci/run must install ffmpeg.`);
  console.warn(`\n\n!!!!!!!! ${msg} SKIPPING it (set CI=true to make this a failure). !!!!!!!!\n\n`);
  return false;
}

/** A new temporary directory, removed when the test finishes. */
export function tempDir(prefix = 'rtms-media-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Open file descriptors of this process (Linux), or undefined where /proc is not there. */
export function openFds(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return undefined;
  }
}

/** A stand-in session for the recorder: an emitter with an id and a `closed()` the test resolves with `close`. */
export function fakeSession(id = 'stream/1=='): { session: MediaSession; emit: EventEmitter['emit']; close: () => void; emitter: EventEmitter } {
  const emitter = new EventEmitter();
  let close!: () => void;
  const closed = new Promise<void>((r) => (close = r));
  const session = Object.assign(emitter, { id, closed: () => closed }) as unknown as MediaSession;
  return { session, emit: emitter.emit.bind(emitter), close, emitter };
}

/** A 16x16 JPEG of one flat colour (made by ffmpeg). */
export const TINY_JPEG = Buffer.from(
  '/9j/4AAQSkZJRgABAgAAAQABAAD//gAQTGF2YzU5LjM3LjEwMAD/2wBDAAgUFBcUFxsbGxsbGyAeICEhISAgICAhISEkJCQqKiokJCQhISQkKCgqKi4vLisrKisvLzIyMjw8OTlGRkhWVmf/xABLAAEBAAAAAAAAAAAAAAAAAAAABQEBAAAAAAAAAAAAAAAAAAAABhABAAAAAAAAAAAAAAAAAAAAABEBAAAAAAAAAAAAAAAAAAAAAP/AABEIABAAEAMBIgACEQADEQD/2gAMAwEAAhEDEQA/AIIB2Ov/2Q==',
  'base64',
);

/** The tiny JPEG with a comment segment (FF FE) holding `tag` after SOI: different bytes per tag, still decodable. */
export function jpeg(tag: string): Buffer {
  const text = Buffer.from(tag, 'latin1');
  const com = Buffer.alloc(4);
  com.writeUInt16BE(0xfffe, 0);
  com.writeUInt16BE(text.length + 2, 2);
  return Buffer.concat([TINY_JPEG.subarray(0, 2), com, text, TINY_JPEG.subarray(2)]);
}

/** A `w` x `h` PNG of one RGB colour (IHDR, IDAT, IEND with their CRCs). */
export function png(r: number, g: number, b: number, w = 4, h = 4): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(td.length + 8);
    out.writeUInt32BE(data.length, 0);
    td.copy(out, 4);
    out.writeUInt32BE(crc32(td), td.length + 4);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: w }, () => [r, g, b]).flat())]);
  const raw = Buffer.concat(Array.from({ length: h }, () => row));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/**
 * Runs a TypeScript program (through tsx) as a child process, its stdout ignored. Returns the child, what it wrote
 * to stderr so far, and a promise of its exit; it is SIGKILLed when the test finishes.
 */
export function runTsChild(script: string, cwd: string): { child: ChildProcess; stderr: () => string; exited: Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  onTestFinished(async () => {
    child.kill('SIGKILL');
    await exited;
  });
  return { child, stderr: () => stderr, exited };
}
