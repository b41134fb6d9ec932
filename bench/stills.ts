/**
 * `npx tsx bench/stills.ts`: what the recorder's image files (JPG and PNG frames, stills.ts) cost the event loop.
 *
 * BENCH_STILLS_MEETINGS (100) stand-in sessions (emitters, as in the tests) are recorded by `recordSession` at
 * once, each fed JPEG video at 5 fps and share at 1 fps (the fastest RTMS sends images), frames of BENCH_STILLS_KB
 * (100) KB, real time, spread over 10 ms ticks, until BENCH_STILLS_N (2,000) images are sent: 600 images a second
 * in all. The same run is made with `stills: false` (the frames are received and sniffed, nothing is written).
 * The figure is the event loop's active time (`performance.eventLoopUtilization()`) with stills minus without,
 * per image; beside it the loop's delay (`monitorEventLoopDelay`, p99 and max), and the images written and
 * dropped. Each mode runs BENCH_STILLS_RUNS (3) times, alternating, in a fresh temporary directory on the OS temp
 * dir's disk.
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
const MEETINGS = Number(process.env['BENCH_STILLS_MEETINGS'] ?? 100);
const TICK_MS = 10;
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
  const meetings = Array.from({ length: MEETINGS }, (_, m) => {
    const emitter = new EventEmitter();
    let close!: () => void;
    const closed = new Promise<void>((r) => (close = r));
    const session = Object.assign(emitter, { id: `bench-${m}`, closed: () => closed }) as unknown as MediaSession;
    const rec = recordSession(session, { dir, name: `m${m}`, stills, captions: false, chat: false, perTrack: false });
    emitter.emit('firstPacket', T0);
    return { emitter, close, rec };
  });
  const frames = Array.from({ length: 64 }, (_, i) => image(i)); // reused: allocation is not the cost measured
  const video = { codec: 'JPG', resolution: 'SD', fps: 5 } as const;
  const share = { codec: 'JPG', resolution: 'FHD', fps: 1 } as const;
  const delay = monitorEventLoopDelay({ resolution: 1 });
  const t0 = performance.now();
  const elu0 = performance.eventLoopUtilization();
  delay.enable();
  let sent = 0;
  await new Promise<void>((resolve) => {
    let tick = 0;
    const step = (): void => {
      // Tick k: the meetings with m % 20 === k % 20 send a video frame (every 200 ms), and a share frame every 1 s.
      const ms = Math.floor(tick / 20) * 200;
      for (let m = tick % 20; m < MEETINGS && sent < N; m += 20) {
        const f = (kind: 'video' | 'share', format: VideoFrame['format']): void => {
          const frame: VideoFrame = { data: frames[sent % frames.length]!, userId: 1, userName: 'Ada', timestamp: T0 + ms, format, detectedCodec: 'JPG', content: {} };
          meetings[m]!.emitter.emit(kind, frame);
          sent++;
        };
        f('video', video);
        if (Math.floor(tick / 20) % 5 === 0 && sent < N) f('share', share);
      }
      tick++;
      if (sent < N) setTimeout(step, TICK_MS);
      else resolve();
    };
    step();
  });
  for (const m of meetings) m.close();
  const results = await Promise.all(meetings.map((m) => m.rec.done));
  delay.disable();
  const elu = performance.eventLoopUtilization(elu0);
  const wallMs = performance.now() - t0;
  rmSync(dir, { recursive: true, force: true });
  let written = 0;
  let dropped = 0;
  for (const r of results) {
    for (const v of [r.video, r.share]) {
      const s = v.stills as (typeof v.stills & { dropped?: number }) | undefined;
      written += s?.frames ?? 0;
      dropped += s?.dropped ?? 0;
    }
  }
  return { activeMs: elu.active, p99Ms: delay.percentile(99) / 1e6, maxMs: delay.max / 1e6, written, dropped, wallMs };
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
console.log(`${N} images of ${KB} KB from ${MEETINGS} meetings (video 5 fps, share 1 fps), ${RUNS} runs each (medians):`);
console.log(`  stills on:  loop active ${median(on.map((r) => r.activeMs)).toFixed(0)} ms of ${median(on.map((r) => r.wallMs)).toFixed(0)} ms, delay p99 ${median(on.map((r) => r.p99Ms)).toFixed(2)} ms, max ${median(on.map((r) => r.maxMs)).toFixed(2)} ms, written ${on.map((r) => r.written).join('/')}, dropped ${on.map((r) => r.dropped).join('/')}`);
console.log(`  stills off: loop active ${median(off.map((r) => r.activeMs)).toFixed(0)} ms of ${median(off.map((r) => r.wallMs)).toFixed(0)} ms, delay p99 ${median(off.map((r) => r.p99Ms)).toFixed(2)} ms, max ${median(off.map((r) => r.maxMs)).toFixed(2)} ms`);
console.log(`  event-loop time per image: ${perImageMs.toFixed(3)} ms`);
