/**
 * `npx tsx bench/stills.ts`: what the recorder's image files (JPG and PNG frames, stills.ts) cost the event loop.
 *
 * A stand-in session (an emitter, as in the tests) is recorded by `recordSession` and fed BENCH_STILLS_N (2,000)
 * JPEG frames of BENCH_STILLS_KB (100) KB, BENCH_STILLS_BATCH (5) every BENCH_STILLS_EVERY_MS (5) ms, so 1,000
 * images a second: a hundred meetings' worth of 5 fps video and 1 fps share, twice over. The same run is made with
 * `stills: false` (the frames are received and sniffed, nothing is written). The figure is the event loop's active
 * time (`performance.eventLoopUtilization()`) with stills minus without, per image; beside it the loop's delay
 * (`monitorEventLoopDelay`, p99 and max) while images are written, and the images written and dropped. Each mode
 * runs BENCH_STILLS_RUNS (3) times, alternating, in a fresh temporary directory on the OS temp dir's disk.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { EventEmitter } from 'eventemitter3';
import type { VideoFrame } from '../src/index.js';
import { recordSession, type MediaSession } from '../src/media/index.js';

const N = Number(process.env['BENCH_STILLS_N'] ?? 2000);
const KB = Number(process.env['BENCH_STILLS_KB'] ?? 100);
const BATCH = Number(process.env['BENCH_STILLS_BATCH'] ?? 5);
const EVERY_MS = Number(process.env['BENCH_STILLS_EVERY_MS'] ?? 5);
const RUNS = Number(process.env['BENCH_STILLS_RUNS'] ?? 3);
const T0 = 1_700_000_000_000;

/** A JPEG by its signature (SOI, APP0), the rest filler: the recorder does not decode images. */
function image(i: number): Buffer {
  const b = Buffer.alloc(KB * 1024, i & 0xff);
  b.set([0xff, 0xd8, 0xff, 0xe0], 0);
  return b;
}

interface Run {
  activeMs: number;
  p99Ms: number;
  maxMs: number;
  written: number;
  dropped: number;
  wallMs: number;
}

async function run(stills: boolean): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'rtms-bench-stills-'));
  const emitter = new EventEmitter();
  let close!: () => void;
  const closed = new Promise<void>((r) => (close = r));
  const session = Object.assign(emitter, { id: 'bench', closed: () => closed }) as unknown as MediaSession;
  const rec = recordSession(session, { dir, name: 'bench', stills, captions: false, chat: false, perTrack: false });
  emitter.emit('firstPacket', T0);
  const frames = Array.from({ length: Math.min(N, 64) }, (_, i) => image(i)); // reused: allocation is not the cost measured
  const format = { codec: 'JPG', resolution: 'SD', fps: 5 } as const;
  const delay = monitorEventLoopDelay({ resolution: 1 });
  const t0 = performance.now();
  const elu0 = performance.eventLoopUtilization();
  delay.enable();
  let i = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      for (let k = 0; k < BATCH && i < N; k++, i++) {
        const f: VideoFrame = { data: frames[i % frames.length]!, userId: 1, userName: 'Ada', timestamp: T0 + i * 200, format, detectedCodec: 'JPG', content: {} };
        emitter.emit('video', f);
      }
      if (i < N) setTimeout(tick, EVERY_MS);
      else resolve();
    };
    tick();
  });
  close();
  const r = await rec.done;
  delay.disable();
  const elu = performance.eventLoopUtilization(elu0);
  const wallMs = performance.now() - t0;
  rmSync(dir, { recursive: true, force: true });
  if (r.errors.length > 0) console.error(r.errors);
  const s = r.video.stills as (typeof r.video.stills & { dropped?: number }) | undefined;
  return { activeMs: elu.active, p99Ms: delay.percentile(99) / 1e6, maxMs: delay.max / 1e6, written: s?.frames ?? 0, dropped: s?.dropped ?? 0, wallMs };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const on: Run[] = [];
const off: Run[] = [];
await run(true); // warm-up: JIT, the thread pool
await run(false);
for (let k = 0; k < RUNS; k++) {
  on.push(await run(true));
  off.push(await run(false));
}
const perImageMs = (median(on.map((r) => r.activeMs)) - median(off.map((r) => r.activeMs))) / N;
console.log(`${N} images of ${KB} KB, ${BATCH} every ${EVERY_MS} ms, ${RUNS} runs each (medians):`);
console.log(`  stills on:  loop active ${median(on.map((r) => r.activeMs)).toFixed(0)} ms of ${median(on.map((r) => r.wallMs)).toFixed(0)} ms, delay p99 ${median(on.map((r) => r.p99Ms)).toFixed(2)} ms, max ${median(on.map((r) => r.maxMs)).toFixed(2)} ms, written ${on.map((r) => r.written).join('/')}, dropped ${on.map((r) => r.dropped).join('/')}`);
console.log(`  stills off: loop active ${median(off.map((r) => r.activeMs)).toFixed(0)} ms of ${median(off.map((r) => r.wallMs)).toFixed(0)} ms, delay p99 ${median(off.map((r) => r.p99Ms)).toFixed(2)} ms, max ${median(off.map((r) => r.maxMs)).toFixed(2)} ms`);
console.log(`  event-loop time per image: ${perImageMs.toFixed(3)} ms`);
