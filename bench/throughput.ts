/**
 * `npm run bench`: throughput, latency, CPU and memory of the SDK receiving RTMS media, against a bare-`ws`
 * baseline on the same workload.
 *
 * The simulator runs in a child process (bench/sim-server.ts), so every figure here is this process's own: the
 * SDK (or the baseline) in the main thread, plus V8's GC helper threads. For each N (concurrent meetings) and
 * each client (baseline, SDK and optionally the SDK with `rawMedia`; BENCH_REPS runs each, in alternating order,
 * pooled into one row) the run is:
 *
 *   1. N streams are created in the simulator; their signed `meeting.rtms_started` webhooks come over IPC.
 *   2. SDK: `new RtmsClient({ clientId, clientSecret, webhookSecretToken })`, `client.handleWebhook(...)` for
 *      each, listeners `session.on('audio')` and `session.on('transcript')`. Baseline: a bare `ws` client that
 *      does only the unavoidable work: both handshakes, CLIENT_READY_ACK, keep-alive answers, `JSON.parse` of
 *      each frame and `Buffer.from(data, 'base64')` of each audio frame.
 *   3. Real-time mode: each meeting streams mixed audio at the protocol default (640-byte L16 frames, base64,
 *      every 20 ms, phases spread over the 20 ms) plus a transcript line a second. After a warm-up, a
 *      measurement window gives frames/s, CPU per frame, event-loop utilisation and send→listener latency;
 *      heap and RSS are then sampled (after GC, still streaming) against the pre-connect baseline. Frames
 *      still undelivered 3 s after the simulator stops sending count as lost.
 *   4. Throughput mode: each session gets a fixed number of audio frames, written as fast as the sockets take
 *      them; frames/s = frames / (last delivery − start).
 *
 * Then (SDK only) a coarse search for the largest N with zero loss and p99 < 50 ms in real-time mode.
 *
 * Environment: BENCH_N="1,100" (list of N), BENCH_SHORT=1 or --short (N=1,50, short windows: CI), BENCH_WINDOW_MS,
 * BENCH_TP_FRAMES (frames per session in throughput mode; 0 skips it), BENCH_CLIENTS=baseline,sdk,raw,
 * BENCH_REPS (runs per client and N; default 2, short mode 1),
 * BENCH_SEARCH=0 (no search), BENCH_BUDGET_S (time budget; the search stops before it), BENCH_QUIET_WAIT_S
 * (total time to wait, before runs, for other processes to quiet down), BENCH_WINDOW_RETRIES (windows measured
 * again because other processes were busy), BENCH_SDK=src (measure src/ through tsx instead of the bundle),
 * BENCH_PROFILE_WINDOWS (file: the measurement windows in profiler time, for bench/profile-summary.ts).
 *
 * The last line of output is one JSON object with the figures for the largest N.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { PerformanceObserver, constants as perfConstants, performance, type EventLoopUtilization } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import WebSocket from 'ws';
import type { WebhookRequest } from '../src/index.js';

/**
 * The SDK under test: src/ bundled the way `tsup` ships it (esbuild, ESM, node20, `ws` and `eventemitter3`
 * external), into node_modules/.cache. Not `tsx`'s on-the-fly transform: tsx compiles with keepNames, which wraps
 * every named closure in a `__name()` call (≈ 250 bytes and a defineProperty each) and would inflate the SDK's
 * per-session heap by ≈ 40 %. BENCH_SDK=src measures src/ through tsx instead.
 */
async function loadSdk(): Promise<typeof import('../src/index.js')> {
  if (process.env['BENCH_SDK'] === 'src') return import('../src/index.js');
  let build: typeof import('esbuild').build;
  try {
    ({ build } = await import('esbuild')); // installed with tsup and tsx
  } catch {
    process.stderr.write('bench: esbuild not found; measuring src/ through tsx (per-session heap reads ≈ 40 % high)\n');
    process.env['BENCH_SDK'] = 'src';
    return import('../src/index.js');
  }
  const root = fileURLToPath(new URL('..', import.meta.url));
  const outdir = `${root}node_modules/.cache/rtms-bench`;
  mkdirSync(outdir, { recursive: true });
  const outfile = `${outdir}/index.mjs`;
  await build({
    entryPoints: [`${root}src/index.ts`],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: ['ws', 'eventemitter3'],
    sourcemap: true,
    logLevel: 'error',
  });
  return import(`${pathToFileURL(outfile).href}?t=${Date.now()}`);
}
const { RtmsClient } = await loadSdk();

// ---------------------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------------------

const env = process.env;
const SHORT = env['BENCH_SHORT'] === '1' || process.argv.includes('--short');
const NS = (env['BENCH_N'] ?? (SHORT ? '1,50' : '1,100,500,1000,2000'))
  .split(',')
  .map((s) => Number(s.trim()))
  .filter((n) => Number.isInteger(n) && n > 0);
const WARM_MS = SHORT ? 500 : 1_000;
/** Measurements per client and N, in alternating order (baseline, sdk, sdk, baseline, ...); figures are pooled. */
const REPS = Math.max(1, Math.floor(Number(env['BENCH_REPS'] ?? (SHORT ? 1 : 2))) || 1);
const WINDOW_MS = Number(env['BENCH_WINDOW_MS'] ?? (SHORT ? 2_000 : 3_000));
const SEARCH_WINDOW_MS = SHORT ? 1_500 : 3_000;
const DRAIN_MS = 3_000;
const TP_FRAMES = Number(env['BENCH_TP_FRAMES'] ?? (SHORT ? 200 : 300));
/** Small N would finish throughput mode in a few ms: each session then gets enough frames for this total. */
const TP_MIN_TOTAL = Number(env['BENCH_TP_MIN_TOTAL'] ?? (SHORT ? 10_000 : 30_000));
const tpFramesFor = (n: number) => (TP_FRAMES > 0 ? Math.max(TP_FRAMES, Math.ceil(TP_MIN_TOTAL / n)) : 0);
const ALL_KINDS: readonly Kind[] = ['baseline', 'sdk', 'raw'];
/** BENCH_CLIENTS=baseline,sdk,raw (BENCH_ONLY=<one> is the older spelling). */
const KINDS: readonly Kind[] = (() => {
  const wanted = (env['BENCH_CLIENTS'] ?? env['BENCH_ONLY'] ?? 'baseline,sdk').split(',').map((k) => k.trim());
  const bad = wanted.filter((k) => !(ALL_KINDS as readonly string[]).includes(k));
  if (bad.length > 0) {
    process.stderr.write(`bench: unknown client ${bad.join(', ')} in BENCH_CLIENTS (known: ${ALL_KINDS.join(', ')})\n`);
    process.exit(2);
  }
  return ALL_KINDS.filter((k) => wanted.includes(k));
})();
const SEARCH = env['BENCH_SEARCH'] !== '0' && KINDS.includes('sdk');
const BUDGET_MS = Number(env['BENCH_BUDGET_S'] ?? (SHORT ? 45 : 200)) * 1_000;
const PROFILE_WINDOWS = env['BENCH_PROFILE_WINDOWS'];
/** Total time the bench may spend, before runs, waiting for other processes to leave the CPUs alone. */
let quietBudgetMs = Number(env['BENCH_QUIET_WAIT_S'] ?? (SHORT ? 0 : 60)) * 1_000;
/** Real-time windows the whole bench may measure again because other processes were busy during them. */
let windowRetries = Number(env['BENCH_WINDOW_RETRIES'] ?? (SHORT ? 0 : 8));
/** p99 bound of the real-time criterion. */
const P99_LIMIT_MS = 50;
/** Simulator send lag (p99 behind schedule) above which a run is flagged: the load generator, not the client, limited it. */
const SIM_LAG_LIMIT_MS = 20;

const CREDS = { clientId: 'bench-client-id', clientSecret: 'bench-client-secret', webhookSecretToken: 'bench-webhook-token' };

/**
 * `baseline`: bare `ws`. `sdk`: the SDK as an app uses it (`audio` + `transcript` listeners, payloads decoded).
 * `raw`: the SDK with a `rawMedia` listener instead of `audio` (payloads left as base64, nothing decoded).
 */
type Kind = 'baseline' | 'sdk' | 'raw';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const T_START = Date.now();
const ORIGIN = performance.timeOrigin;
const now = (): number => ORIGIN + performance.now();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** Resolves true when `p` settles first, false after `ms`; never leaves a timer behind. */
function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)));
  return Promise.race([p.then(() => true), t]).finally(() => clearTimeout(timer));
}
const log = (s = '') => process.stdout.write(`${s}\n`);

// Hard stop: whatever happens, the benchmark ends (the child follows on 'disconnect').
const HARD_LIMIT_MS = SHORT ? Math.max(BUDGET_MS + 12_000, 58_000) : BUDGET_MS + 80_000;
const HARD_STOP = setTimeout(() => {
  process.stderr.write(`bench: hard time limit (${Math.round(HARD_LIMIT_MS / 1000)} s) reached; exiting\n`);
  process.exit(2);
}, HARD_LIMIT_MS);
HARD_STOP.unref();

// ---------------------------------------------------------------------------------------------------------
// Main-thread CPU: /proc/self/task/<pid>/schedstat (ns on CPU of the main thread only; Linux). process.cpuUsage()
// is the whole process: main thread + GC helper threads (+ libuv pool, unused here).
// ---------------------------------------------------------------------------------------------------------

const SCHEDSTAT = `/proc/self/task/${process.pid}/schedstat`;
function mainThreadNs(): number {
  try {
    return Number(readFileSync(SCHEDSTAT, 'latin1').split(' ')[0]);
  } catch {
    return Number.NaN;
  }
}

/** Machine-wide busy and total CPU time since boot, in µs (/proc/stat; Linux), to tell how busy other processes kept the machine. */
function machineCpuUs(): { busy: number; total: number } {
  try {
    const f = readFileSync('/proc/stat', 'latin1').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = f.reduce((x, y) => x + y, 0);
    const idle = f[3]! + f[4]!;
    const tick = 1e6 / 100; // USER_HZ
    return { busy: (total - idle) * tick, total: total * tick };
  } catch {
    return { busy: Number.NaN, total: Number.NaN };
  }
}

/**
 * On a shared machine (CI runners, a laptop compiling in the background) other processes distort every figure. Before
 * a run, wait (within the total BENCH_QUIET_WAIT_S) until the whole machine is below 10 % busy over 500 ms.
 */
async function awaitQuiet(): Promise<void> {
  if (quietBudgetMs <= 0) return;
  const t0 = Date.now();
  let busy = 1;
  while (quietBudgetMs - (Date.now() - t0) > 0) {
    const a = machineCpuUs();
    await sleep(500);
    const b = machineCpuUs();
    busy = (b.busy - a.busy) / (b.total - a.total);
    if (!(busy >= 0.1)) break;
  }
  const waited = Date.now() - t0;
  quietBudgetMs -= waited;
  if (waited > 1_000) log(`  (waited ${f(waited / 1000, 1)} s for other processes; machine ${f(busy * 100, 0)} % busy${quietBudgetMs <= 0 ? '; quiet-wait budget spent' : ''})`);
}

// ---------------------------------------------------------------------------------------------------------
// The simulator child
// ---------------------------------------------------------------------------------------------------------

type Reply = Record<string, unknown> & { id: number; ok: boolean; error?: string };

class Sim {
  readonly #child: ChildProcess;
  readonly #waiting = new Map<number, (r: Reply) => void>();
  #next = 1;
  readonly listening: Promise<Reply>;
  readonly exited: Promise<void>;

  constructor() {
    const script = fileURLToPath(new URL('./sim-server.ts', import.meta.url));
    // Keep the TypeScript loader (tsx), drop profiler/inspector flags: only this process is measured.
    const execArgv: string[] = [];
    const argv = process.execArgv;
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]!;
      if (/^--(cpu-prof|heap-prof|prof|inspect|expose-gc)/.test(a)) {
        if (/^--(cpu-prof-dir|cpu-prof-name|cpu-prof-interval|heap-prof-dir|heap-prof-name)$/.test(a)) i++;
        continue;
      }
      execArgv.push(a);
    }
    // BENCH_SIM_CPU_PROF=<dir>: profile the simulator child too (to check what limits the load generator).
    if (env['BENCH_SIM_CPU_PROF']) execArgv.push('--cpu-prof', `--cpu-prof-dir=${env['BENCH_SIM_CPU_PROF']}`);
    this.#child = fork(script, [], { execArgv, env: { ...env, BENCH_CREDS: JSON.stringify(CREDS) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.exited = new Promise((resolve) => this.#child.once('exit', () => resolve()));
    this.listening = new Promise((resolve, reject) => {
      this.#waiting.set(0, resolve);
      this.#child.once('exit', (code) => reject(new Error(`simulator exited (${code})`)));
    });
    this.#child.on('message', (m: Reply) => {
      const w = this.#waiting.get(m.id);
      if (!w) return;
      this.#waiting.delete(m.id);
      w(m);
    });
    this.#child.on('error', () => undefined); // reported through exit and failed requests
    this.#child.on('exit', (code) => {
      for (const w of this.#waiting.values()) w({ id: -1, ok: false, error: `simulator exited (${code})` });
      this.#waiting.clear();
    });
  }

  async req<T extends Record<string, unknown>>(msg: Record<string, unknown>): Promise<T> {
    const id = this.#next++;
    const reply = await new Promise<Reply>((resolve) => {
      if (!this.#child.connected) return resolve({ id, ok: false, error: 'simulator is gone' });
      this.#waiting.set(id, resolve);
      this.#child.send({ ...msg, id }, (err) => {
        if (err && this.#waiting.delete(id)) resolve({ id, ok: false, error: err.message });
      });
    });
    if (!reply.ok) throw new Error(`simulator: ${String(msg['type'])}: ${reply.error}`);
    return reply as unknown as T;
  }

  async exit(): Promise<void> {
    try {
      await this.req({ type: 'exit' });
    } catch {
      // already gone
    }
    if (!(await within(this.exited, 5_000))) this.#child.kill();
  }
}

/** Child clock minus ours (ms), median of 31 round trips; added back to every latency. */
async function clockOffset(sim: Sim): Promise<{ offset: number; rtt: number }> {
  const samples: { offset: number; rtt: number }[] = [];
  for (let i = 0; i < 31; i++) {
    const t0 = now();
    const { t } = await sim.req<{ t: number }>({ type: 'clock' });
    const t1 = now();
    samples.push({ offset: t - (t0 + t1) / 2, rtt: t1 - t0 });
  }
  samples.sort((a, b) => a.rtt - b.rtt);
  const best = samples.slice(0, 11).map((s) => s.offset).sort((a, b) => a - b);
  return { offset: best[5]!, rtt: samples[0]!.rtt };
}

// ---------------------------------------------------------------------------------------------------------
// Delivery bookkeeping: the one function both clients' listeners call per frame.
// ---------------------------------------------------------------------------------------------------------

const LAT_CAP = 4_000_000;
const phase = {
  /** Child-clock time separating real-time frames (before) from throughput frames (after). */
  boundary: Number.POSITIVE_INFINITY,
  offset: 0,
  rt: 0,
  tp: 0,
  bytes: 0,
  recording: false,
  lat: new Float64Array(LAT_CAP),
  latN: 0,
  tpLat: new Float64Array(LAT_CAP),
  tpLatN: 0,
  tpTarget: Number.POSITIVE_INFINITY,
  tpLast: 0,
  tpDone: undefined as (() => void) | undefined,
};

function deliver(ts: number, bytes: number): void {
  const t = now();
  phase.bytes += bytes;
  if (ts < phase.boundary) {
    phase.rt++;
    if (phase.recording && phase.latN < LAT_CAP) phase.lat[phase.latN++] = t - ts + phase.offset;
    return;
  }
  if (phase.tpLatN < LAT_CAP) phase.tpLat[phase.tpLatN++] = t - ts + phase.offset;
  phase.tpLast = t;
  if (++phase.tp === phase.tpTarget) phase.tpDone?.();
}

function resetPhase(): void {
  phase.boundary = Number.POSITIVE_INFINITY;
  phase.rt = 0;
  phase.tp = 0;
  phase.bytes = 0;
  phase.recording = false;
  phase.latN = 0;
  phase.tpLatN = 0;
  phase.tpTarget = Number.POSITIVE_INFINITY;
  phase.tpLast = 0;
  phase.tpDone = undefined;
}

// ---------------------------------------------------------------------------------------------------------
// The two clients
// ---------------------------------------------------------------------------------------------------------

interface Runner {
  connect(webhooks: readonly WebhookRequest[]): Promise<void>;
  close(): Promise<void>;
  /** Sessions (or baseline connections) streaming. */
  streaming(): number;
  errors: number;
  refused: number;
}

function sdkRunner(raw: boolean): Runner {
  const client = new RtmsClient({ ...CREDS });
  const r: Runner = {
    errors: 0,
    refused: 0,
    async connect(webhooks) {
      client.on('session', (session) => {
        if (raw) session.on('rawMedia', (frame) => deliver(frame.timestamp ?? 0, frame.base64.length));
        else session.on('audio', (frame) => deliver(frame.timestamp ?? 0, frame.data.length));
        session.on('transcript', (t) => deliver(t.timestamp ?? 0, 0));
        session.on('error', () => r.errors++);
      });
      for (const w of webhooks) {
        const res = await client.handleWebhook(w);
        if (res.status !== 200) r.refused++;
      }
    },
    streaming: () => [...client.sessions.values()].filter((s) => s.state === 'streaming').length,
    close: () => client.close(),
  };
  return r;
}

/** The bare-`ws` baseline: only what any RTMS receiver must do. */
function baselineRunner(): Runner {
  const sockets: WebSocket[] = [];
  let streaming = 0;
  const r: Runner = {
    errors: 0,
    refused: 0,
    async connect(webhooks) {
      for (const w of webhooks) open(w);
    },
    streaming: () => streaming,
    async close() {
      await Promise.all(
        sockets.map(
          (ws) =>
            new Promise<void>((resolve) => {
              if (ws.readyState === WebSocket.CLOSED) return resolve();
              ws.once('close', () => resolve());
              ws.close(1000);
            }),
        ),
      );
    },
  };

  function open(w: WebhookRequest): void {
    const payload = (JSON.parse(String(w.body)) as { payload: Record<string, string> }).payload;
    const meetingUuid = payload['meeting_uuid']!;
    const streamId = payload['rtms_stream_id']!;
    const signature = createHmac('sha256', CREDS.clientSecret).update(`${CREDS.clientId},${meetingUuid},${streamId}`).digest('hex');
    const ids = { meeting_uuid: meetingUuid, rtms_stream_id: streamId, signature };
    const signaling = new WebSocket(payload['server_urls']!);
    sockets.push(signaling);
    signaling.on('error', () => r.errors++);
    signaling.on('open', () => signaling.send(JSON.stringify({ msg_type: 1, protocol_version: 1, sequence: 0, ...ids })));
    signaling.on('message', (data: Buffer) => {
      const m = JSON.parse(data.toString()) as Record<string, unknown>;
      if (m['msg_type'] === 12) return signaling.send(JSON.stringify({ msg_type: 13, timestamp: m['timestamp'] }));
      if (m['msg_type'] !== 2) return;
      if (m['status_code'] !== 0) return void r.refused++;
      const url = (m['media_server'] as { server_urls: Record<string, string> }).server_urls['all']!;
      const media = new WebSocket(url);
      sockets.push(media);
      media.on('error', () => r.errors++);
      media.on('open', () => media.send(JSON.stringify({ msg_type: 3, protocol_version: 1, sequence: 0, ...ids, media_type: 9, payload_encryption: false })));
      media.on('message', (raw: Buffer) => {
        const msg = JSON.parse(raw.toString()) as { msg_type: number; content: { data: string; timestamp: number }; timestamp?: number; status_code?: number };
        switch (msg.msg_type) {
          case 14: {
            const pcm = Buffer.from(msg.content.data, 'base64');
            deliver(msg.content.timestamp, pcm.length);
            return;
          }
          case 17:
            deliver(msg.content.timestamp, 0);
            return;
          case 12:
            media.send(JSON.stringify({ msg_type: 13, timestamp: msg.timestamp }));
            return;
          case 4:
            if (msg.status_code !== 0) return void r.refused++;
            streaming++;
            signaling.send(JSON.stringify({ msg_type: 7, rtms_stream_id: streamId }));
            return;
          default:
            return;
        }
      });
    });
  }
  return r;
}

// ---------------------------------------------------------------------------------------------------------
// One run: one client kind, N meetings
// ---------------------------------------------------------------------------------------------------------

interface Window {
  frames: number;
  ms: number;
  cpuUs: number;
  sysUs: number;
  mainUs: number;
  elu: number;
  readsPerFrame: number;
  writesPerFrame: number;
  gcMs: number;
  gcMajor: number;
}

interface RunResult {
  kind: Kind;
  n: number;
  ready: number;
  connectMs: number;
  errors: number;
  violations: number;
  rt: {
    fps: number;
    cpuPerFrameUs: number;
    mainPerFrameUs: number;
    elu: number;
    /** Share of the process CPU spent in the kernel (socket reads and writes, epoll). */
    kernelShare: number;
    /** read()-like and write()-like system calls per frame delivered (/proc/self/io). */
    readsPerFrame: number;
    writesPerFrame: number;
    /** Garbage-collection pause time per second of window (ms/s), and major collections in the window. */
    gcMsPerS: number;
    gcMajor: number;
    /** Share of the machine's CPU that other processes used during the window (noise indicator). */
    othersShare: number;
    p50: number;
    p99: number;
    max: number;
    heapPerSessionKiB: number;
    rssPerSessionKiB: number;
    sent: number;
    delivered: number;
    lost: number;
    simLagP99: number;
    simLagMax: number;
    /** Audio frames the simulator never sent because it fell more than 250 ms behind schedule (it was the bottleneck). */
    simBehind: number;
    /** The simulator's own CPU per frame sent and its share of one core (whole real-time phase). */
    simCpuPerFrameUs: number;
    simCpuShare: number;
  };
  tp?: { frames: number; fps: number; cpuPerFrameUs: number; mainPerFrameUs: number; elu: number; p50: number; p99: number; max: number; lost: number; simSendMs: number; othersShare: number };
  /** Latency samples of the window (ms), kept until the repetitions are pooled. */
  samples?: { rt: Float64Array; tp: Float64Array };
  /** CPU µs/frame of each repetition (real-time, throughput), to show the spread. */
  reps: { rtCpu: number[]; tpCpu: number[] };
}

interface Snap {
  t: number;
  cpu: NodeJS.CpuUsage;
  main: number;
  elu: EventLoopUtilization;
  io: { reads: number; writes: number };
  gc: { ms: number; major: number };
}

/** Garbage collection so far in this process, from V8's `gc` performance entries: pause time and major collections. */
const gcTotals = { ms: 0, major: 0 };
const gcObserver = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gcTotals.ms += e.duration;
    if ((e as { detail?: { kind?: number } }).detail?.kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) gcTotals.major++;
  }
});
gcObserver.observe({ entryTypes: ['gc'] });

/** Read-like and write-like system calls of this process so far (/proc/self/io syscr / syscw; Linux). */
function syscalls(): { reads: number; writes: number } {
  try {
    const text = readFileSync('/proc/self/io', 'latin1');
    return { reads: Number(/syscr: (\d+)/.exec(text)?.[1]), writes: Number(/syscw: (\d+)/.exec(text)?.[1]) };
  } catch {
    return { reads: Number.NaN, writes: Number.NaN };
  }
}

const snap = (): Snap => ({ t: now(), cpu: process.cpuUsage(), main: mainThreadNs(), elu: performance.eventLoopUtilization(), io: syscalls(), gc: { ...gcTotals } });

function windowOf(a: Snap, b: Snap, frames: number): Window {
  return {
    frames,
    ms: b.t - a.t,
    cpuUs: b.cpu.user - a.cpu.user + (b.cpu.system - a.cpu.system),
    sysUs: b.cpu.system - a.cpu.system,
    mainUs: (b.main - a.main) / 1000,
    elu: performance.eventLoopUtilization(b.elu, a.elu).utilization,
    readsPerFrame: (b.io.reads - a.io.reads) / frames,
    writesPerFrame: (b.io.writes - a.io.writes) / frames,
    gcMs: b.gc.ms - a.gc.ms,
    gcMajor: b.gc.major - a.gc.major,
  };
}

function percentiles(arr: Float64Array, n: number): { p50: number; p99: number; max: number } {
  if (n === 0) return { p50: Number.NaN, p99: Number.NaN, max: Number.NaN };
  const s = arr.subarray(0, n).sort();
  const q = (p: number) => s[Math.min(n - 1, Math.floor(p * n))]!;
  return { p50: q(0.5), p99: q(0.99), max: s[n - 1]! };
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

function pooled(parts: readonly (Float64Array | undefined)[]): { p50: number; p99: number; max: number } {
  const all = new Float64Array(sum(parts.map((p) => p?.length ?? 0)));
  let at = 0;
  for (const p of parts) {
    if (!p) continue;
    all.set(p, at);
    at += p.length;
  }
  return percentiles(all, all.length);
}

/**
 * One client's repetitions at one N as one row: rates and per-frame costs are means of the repetitions (equal
 * windows), counts are sums, latency percentiles are taken over the pooled samples, and the noise indicators
 * (other processes, simulator lag) keep the worst repetition.
 */
function combine(runs: readonly RunResult[]): RunResult {
  const first = runs[0]!;
  if (runs.length === 1) return { ...first, samples: undefined };
  const rt = (k: keyof RunResult['rt']) => runs.map((r) => r.rt[k]);
  const out: RunResult = {
    kind: first.kind,
    n: first.n,
    ready: Math.min(...runs.map((r) => r.ready)),
    connectMs: mean(runs.map((r) => r.connectMs)),
    errors: sum(runs.map((r) => r.errors)),
    violations: sum(runs.map((r) => r.violations)),
    rt: {
      fps: mean(rt('fps')),
      cpuPerFrameUs: mean(rt('cpuPerFrameUs')),
      mainPerFrameUs: mean(rt('mainPerFrameUs')),
      elu: mean(rt('elu')),
      kernelShare: mean(rt('kernelShare')),
      readsPerFrame: mean(rt('readsPerFrame')),
      writesPerFrame: mean(rt('writesPerFrame')),
      gcMsPerS: mean(rt('gcMsPerS')),
      gcMajor: sum(rt('gcMajor')),
      othersShare: Math.max(...rt('othersShare')),
      ...pooled(runs.map((r) => r.samples?.rt)),
      heapPerSessionKiB: mean(rt('heapPerSessionKiB')),
      rssPerSessionKiB: mean(rt('rssPerSessionKiB')),
      sent: sum(rt('sent')),
      delivered: sum(rt('delivered')),
      lost: sum(rt('lost')),
      simLagP99: Math.max(...rt('simLagP99')),
      simLagMax: Math.max(...rt('simLagMax')),
      simBehind: sum(rt('simBehind')),
      simCpuPerFrameUs: mean(rt('simCpuPerFrameUs')),
      simCpuShare: mean(rt('simCpuShare')),
    },
    reps: { rtCpu: runs.flatMap((r) => r.reps.rtCpu), tpCpu: runs.flatMap((r) => r.reps.tpCpu) },
  };
  const tps = runs.map((r) => r.tp).filter((t): t is NonNullable<RunResult['tp']> => t !== undefined);
  if (tps.length === runs.length) {
    const tp = (k: keyof NonNullable<RunResult['tp']>) => tps.map((t) => t[k]);
    out.tp = {
      frames: sum(tp('frames')),
      fps: mean(tp('fps')),
      cpuPerFrameUs: mean(tp('cpuPerFrameUs')),
      mainPerFrameUs: mean(tp('mainPerFrameUs')),
      elu: mean(tp('elu')),
      ...pooled(runs.map((r) => r.samples?.tp)),
      lost: sum(tp('lost')),
      simSendMs: mean(tp('simSendMs')),
      othersShare: Math.max(...tp('othersShare')),
    };
  }
  return out;
}

async function waitUntil(pred: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) return false;
    await sleep(10);
  }
  return true;
}

const profileWindows: { kind: Kind; n: number; mode: string; startUs: number; endUs: number }[] = [];
const hrUs = () => Number(process.hrtime.bigint() / 1000n);

async function run(sim: Sim, kind: Kind, n: number, opts: { windowMs: number; tpFrames: number }): Promise<RunResult> {
  await awaitQuiet();
  resetPhase();
  gc();
  gc();
  const mem0 = process.memoryUsage();
  // The N signed webhooks are the bench's, not the client's: drop them once delivered so the heap figure leaves them out.
  let webhooks: WebhookRequest[] | undefined = (await sim.req<{ webhooks: WebhookRequest[] }>({ type: 'setup', n })).webhooks;
  const runner = kind === 'baseline' ? baselineRunner() : sdkRunner(kind === 'raw');
  const tc = now();
  await runner.connect(webhooks);
  webhooks = undefined;
  const rd = await sim.req<{ ready: number; violations: number }>({ type: 'waitReady', timeoutMs: 30_000 + n * 10 });
  const connectMs = now() - tc;

  // Real-time mode. A window during which other processes took more than 15 % of the machine is measured again
  // (same sessions, still streaming), within BENCH_WINDOW_RETRIES; the quietest window is kept.
  await sim.req({ type: 'rtStart' });
  await sleep(WARM_MS);
  let best: { w: Window; lat: { p50: number; p99: number; max: number }; samples: Float64Array; othersShare: number; p0: number; p1: number } | undefined;
  for (let attempt = 0; ; attempt++) {
    const rt0 = phase.rt;
    phase.latN = 0;
    phase.recording = true;
    const sim0 = await sim.req<{ cpuUs: number }>({ type: 'cpu' });
    const m0 = machineCpuUs();
    const p0 = hrUs();
    const a = snap();
    await sleep(opts.windowMs);
    const b = snap();
    const p1 = hrUs();
    const m1 = machineCpuUs();
    const sim1 = await sim.req<{ cpuUs: number }>({ type: 'cpu' });
    phase.recording = false;
    const w = windowOf(a, b, phase.rt - rt0);
    // Busy time of the whole machine not spent by this process or the simulator, as a share of all its CPUs.
    const othersShare = Math.max(0, (m1.busy - m0.busy - w.cpuUs - (sim1.cpuUs - sim0.cpuUs)) / (m1.total - m0.total));
    if (!best || othersShare < best.othersShare) {
      const samples = phase.lat.slice(0, phase.latN);
      best = { w, lat: percentiles(samples, samples.length), samples, othersShare, p0, p1 };
    }
    if (best.othersShare <= 0.15 || windowRetries <= 0) break;
    windowRetries--;
    log(`  (${kind} N=${n}: other processes used ${f(othersShare * 100, 0)} % of the machine during the window; measuring again)`);
  }
  const { w, lat } = best;
  const rtSamples = best.samples;
  profileWindows.push({ kind, n, mode: 'realtime', startUs: best.p0, endUs: best.p1 });
  gc();
  gc();
  const mem1 = process.memoryUsage();
  const stop = await sim.req<{ sent: number; behind: number; offered: number; lagP99: number; lagMax: number; simCpuUs: number; simCpuShare: number }>({ type: 'rtStop' });
  await waitUntil(() => phase.rt >= stop.sent, DRAIN_MS);
  const result: RunResult = {
    kind,
    n,
    reps: { rtCpu: [w.cpuUs / w.frames], tpCpu: [] },
    ready: rd.ready,
    connectMs,
    errors: runner.errors + runner.refused,
    violations: rd.violations,
    rt: {
      fps: (w.frames * 1000) / w.ms,
      cpuPerFrameUs: w.cpuUs / w.frames,
      mainPerFrameUs: w.mainUs / w.frames,
      elu: w.elu,
      kernelShare: w.sysUs / w.cpuUs,
      readsPerFrame: w.readsPerFrame,
      writesPerFrame: w.writesPerFrame,
      gcMsPerS: (w.gcMs * 1000) / w.ms,
      gcMajor: w.gcMajor,
      othersShare: best.othersShare,
      ...lat,
      heapPerSessionKiB: (mem1.heapUsed - mem0.heapUsed) / 1024 / n,
      rssPerSessionKiB: (mem1.rss - mem0.rss) / 1024 / n,
      sent: stop.sent,
      delivered: phase.rt,
      lost: stop.sent - phase.rt,
      simLagP99: stop.lagP99,
      simLagMax: stop.lagMax,
      simBehind: stop.behind,
      simCpuPerFrameUs: stop.simCpuUs / Math.max(1, stop.sent),
      simCpuShare: stop.simCpuShare,
    },
  };

  // Throughput mode, on the same sessions.
  if (opts.tpFrames > 0 && rd.ready > 0) {
    phase.boundary = now() + phase.offset;
    phase.tpTarget = opts.tpFrames * rd.ready;
    const done = new Promise<void>((resolve) => (phase.tpDone = resolve));
    const simCpu0 = await sim.req<{ cpuUs: number }>({ type: 'cpu' });
    const m0 = machineCpuUs();
    const q0 = hrUs();
    const s0 = snap();
    const sent = await sim.req<{ sent: number; sendMs: number }>({ type: 'tpStart', frames: opts.tpFrames });
    const finished = await within(done, 60_000);
    const s1 = snap();
    const q1 = hrUs();
    const m1 = machineCpuUs();
    const simCpu1 = await sim.req<{ cpuUs: number }>({ type: 'cpu' });
    profileWindows.push({ kind, n, mode: 'throughput', startUs: q0, endUs: q1 });
    const tw = windowOf(s0, s1, phase.tp);
    const end = finished ? phase.tpLast : s1.t;
    result.tp = {
      frames: phase.tp,
      fps: (phase.tp * 1000) / (end - s0.t),
      cpuPerFrameUs: tw.cpuUs / phase.tp,
      mainPerFrameUs: tw.mainUs / phase.tp,
      elu: tw.elu,
      ...percentiles(phase.tpLat, phase.tpLatN),
      lost: sent.sent - phase.tp,
      simSendMs: sent.sendMs,
      othersShare: Math.max(0, (m1.busy - m0.busy - tw.cpuUs - (simCpu1.cpuUs - simCpu0.cpuUs)) / (m1.total - m0.total)),
    };
    result.reps.tpCpu.push(result.tp.cpuPerFrameUs);
  }
  result.samples = { rt: rtSamples, tp: phase.tpLat.slice(0, phase.tpLatN) };

  await runner.close();
  await sim.req({ type: 'teardown' });
  resetPhase();
  return result;
}

// ---------------------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------------------

const f = (v: number, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : '—');
const ratio = (s: number, b: number) => (Number.isFinite(s) && Number.isFinite(b) && b !== 0 ? `×${(s / b).toFixed(2)}` : '—');
const pad = (cells: string[], widths: number[]) => `| ${cells.map((c, i) => c.padStart(widths[i]!)).join(' | ')} |`;

const RT_HEAD = ['N', 'client', 'frames/s', 'CPU µs/frame', 'main µs/frame', 'ELU', 'p50 ms', 'p99 ms', 'max ms', 'heap KiB/sess', 'RSS KiB/sess', 'lost'];
const TP_HEAD = ['N', 'client', 'frames/s', 'CPU µs/frame', 'main µs/frame', 'ELU', 'p50 ms', 'p99 ms', 'max ms', 'frames', 'lost'];
const RT_W = [5, 8, 9, 12, 13, 5, 7, 7, 7, 13, 12, 6];
const TP_W = [5, 8, 9, 12, 13, 5, 7, 7, 7, 9, 6];

function header(cols: string[], widths: number[]): string {
  return `${pad(cols, widths)}\n|${widths.map((w) => `${'-'.repeat(w + 1)}:`).join('|')}|`;
}

function rtRow(r: RunResult): string {
  const x = r.rt;
  return pad([String(r.n), r.kind, f(x.fps, 0), f(x.cpuPerFrameUs, 2), f(x.mainPerFrameUs, 2), f(x.elu, 2), f(x.p50, 2), f(x.p99, 2), f(x.max, 1), f(x.heapPerSessionKiB, 1), f(x.rssPerSessionKiB, 1), String(x.lost)], RT_W);
}

function rtRatio(s: RunResult, b: RunResult): string {
  const x = s.rt;
  const y = b.rt;
  return pad([String(s.n), `${s.kind}/base`, ratio(x.fps, y.fps), ratio(x.cpuPerFrameUs, y.cpuPerFrameUs), ratio(x.mainPerFrameUs, y.mainPerFrameUs), ratio(x.elu, y.elu), ratio(x.p50, y.p50), ratio(x.p99, y.p99), ratio(x.max, y.max), ratio(x.heapPerSessionKiB, y.heapPerSessionKiB), ratio(x.rssPerSessionKiB, y.rssPerSessionKiB), `${x.lost - y.lost >= 0 ? '+' : ''}${x.lost - y.lost}`], RT_W);
}

function tpRow(r: RunResult): string {
  const x = r.tp!;
  return pad([String(r.n), r.kind, f(x.fps, 0), f(x.cpuPerFrameUs, 2), f(x.mainPerFrameUs, 2), f(x.elu, 2), f(x.p50, 1), f(x.p99, 1), f(x.max, 1), String(x.frames), String(x.lost)], TP_W);
}

function tpRatio(s: RunResult, b: RunResult): string {
  const x = s.tp!;
  const y = b.tp!;
  return pad([String(s.n), `${s.kind}/base`, ratio(x.fps, y.fps), ratio(x.cpuPerFrameUs, y.cpuPerFrameUs), ratio(x.mainPerFrameUs, y.mainPerFrameUs), ratio(x.elu, y.elu), ratio(x.p50, y.p50), ratio(x.p99, y.p99), ratio(x.max, y.max), '', `${x.lost - y.lost >= 0 ? '+' : ''}${x.lost - y.lost}`], TP_W);
}

function note(r: RunResult): string {
  const spread = (xs: number[]) => (xs.length > 1 ? ` [${xs.map((x) => f(x, 2)).join(', ')}]` : '');
  const reps = r.reps.rtCpu.length > 1 ? `${r.reps.rtCpu.length} repetitions, CPU µs/frame real-time${spread(r.reps.rtCpu)}${r.reps.tpCpu.length > 1 ? ` throughput${spread(r.reps.tpCpu)}` : ''}; ` : '';
  return `  ${r.kind} N=${r.n}: ${reps}ready ${r.ready}/${r.n} in ${f(r.connectMs / 1000, 2)} s, errors ${r.errors}, other processes used ${f(r.rt.othersShare * 100, 0)} % of the machine, kernel share of our CPU ${f(r.rt.kernelShare * 100, 0)} %, system calls per frame ${f(r.rt.readsPerFrame, 2)} read + ${f(r.rt.writesPerFrame, 2)} write, GC ${f(r.rt.gcMsPerS, 1)} ms/s (${r.rt.gcMajor} major), sim violations ${r.violations}, sim send lag p99 ${f(r.rt.simLagP99, 2)} ms / max ${f(r.rt.simLagMax, 1)} ms, sim CPU ${f(r.rt.simCpuPerFrameUs, 1)} µs/frame (${f(r.rt.simCpuShare * 100, 0)} % of a core)${r.rt.simBehind > 0 ? `, SIMULATOR FELL BEHIND: ${r.rt.simBehind} frames never sent` : ''}, rt sent ${r.rt.sent} delivered ${r.rt.delivered}${r.tp ? `; throughput mode: sim write ${f(r.tp.simSendMs / 1000, 2)} s, other processes used ${f(r.tp.othersShare * 100, 0)} % of the machine` : ''}`;
}

/**
 * The cost of the counters behind `session.stats()`: per media frame the router adds two field writes and a
 * string's length (the channel's frame and keep-alive counts predate them). Timed in a tight loop against the
 * same loop without them, over base64 strings the size of the workload's audio; the best of three.
 */
function counterCostNs(): number {
  const tally = { audioFrames: 0, audioBytes: 0 };
  const datas = Array.from({ length: 64 }, (_, i) => 'A'.repeat(852 + (i & 3)));
  const n = 10_000_000;
  let sink = 0;
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 3; round++) {
    let t0 = performance.now();
    for (let i = 0; i < n; i++) sink += datas[i & 63]!.length & 1;
    const bare = performance.now() - t0;
    t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const d = datas[i & 63]!;
      sink += d.length & 1;
      tally.audioFrames++;
      tally.audioBytes += d.length;
    }
    best = Math.min(best, Math.max(0, performance.now() - t0 - bare));
  }
  if (sink === -1 || tally.audioFrames === -1) log('');
  return (best * 1e6) / n;
}

function simLimited(r: RunResult): boolean {
  return r.rt.simBehind > 0 || r.rt.simLagP99 > SIM_LAG_LIMIT_MS || r.rt.simCpuShare > 0.9;
}

/** Zero loss, p99 < 50 ms, every session up, and the full load offered (a simulator that fell behind proves nothing). */
function pass(r: RunResult): boolean {
  return r.ready === r.n && r.errors === 0 && r.rt.lost === 0 && r.rt.simBehind === 0 && r.rt.p99 < P99_LIMIT_MS;
}

function json(r: RunResult | undefined): Record<string, unknown> | undefined {
  if (!r) return undefined;
  const round = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Number.isFinite(v) ? +v.toFixed(3) : null]));
  return { ready: r.ready, errors: r.errors, connectMs: Math.round(r.connectMs), realtime: round(r.rt), ...(r.tp ? { throughput: round(r.tp) } : {}) };
}

function ratios(s: RunResult | undefined, b: RunResult | undefined): Record<string, unknown> | undefined {
  if (!s || !b) return undefined;
  const q = (x: number, y: number) => (Number.isFinite(x) && Number.isFinite(y) && y !== 0 ? +(x / y).toFixed(3) : null);
  const keys = ['fps', 'cpuPerFrameUs', 'mainPerFrameUs', 'elu', 'p50', 'p99', 'max'] as const;
  const out: Record<string, unknown> = {
    realtime: Object.fromEntries([...keys, 'heapPerSessionKiB', 'rssPerSessionKiB'].map((k) => [k, q(s.rt[k as keyof RunResult['rt']], b.rt[k as keyof RunResult['rt']])])),
  };
  if (s.tp && b.tp) out['throughput'] = Object.fromEntries(keys.map((k) => [k, q(s.tp![k], b.tp![k])]));
  return out;
}

interface Linearity {
  from: number;
  to: number;
  clients: Record<string, { cpuFrom: number; cpuTo: number; cpuRatio: number; heapFrom: number; heapTo: number; heapRatio: number; marginalHeapKiB: number }>;
}

/**
 * How per-frame CPU and per-session heap change from N = 100 (or the smallest N ≥ 50) to N = 1000 (or the largest
 * N). "Heap per added session" is (heap(to) − heap(from)) ÷ (to − from): the per-session figure without the fixed
 * cost of the first sessions, which weighs more at small N.
 */
function linearityOf(rs: ReadonlyMap<number, Partial<Record<Kind, RunResult>>>): Linearity | undefined {
  const ns = [...rs.keys()].sort((a, b) => a - b);
  const from = ns.includes(100) ? 100 : ns.find((n) => n >= 50);
  const to = ns.includes(1000) ? 1000 : ns[ns.length - 1];
  if (from === undefined || to === undefined || to <= from) return undefined;
  const clients: Linearity['clients'] = {};
  for (const kind of KINDS) {
    const a = rs.get(from)?.[kind];
    const b = rs.get(to)?.[kind];
    if (!a || !b) continue;
    clients[kind] = {
      cpuFrom: a.rt.cpuPerFrameUs,
      cpuTo: b.rt.cpuPerFrameUs,
      cpuRatio: b.rt.cpuPerFrameUs / a.rt.cpuPerFrameUs,
      heapFrom: a.rt.heapPerSessionKiB,
      heapTo: b.rt.heapPerSessionKiB,
      heapRatio: b.rt.heapPerSessionKiB / a.rt.heapPerSessionKiB,
      marginalHeapKiB: (b.rt.heapPerSessionKiB * to - a.rt.heapPerSessionKiB * from) / (to - from),
    };
  }
  return { from, to, clients };
}

// ---------------------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------------------

const cpuModel = cpus()[0]?.model ?? 'unknown';
log(`rtms-client benchmark: ${SHORT ? 'short' : 'default'} mode, N = ${NS.join(', ')}; ${KINDS.join(' + ')}; ${REPS} repetition${REPS > 1 ? 's' : ''} per client and N`);
log(`SDK under test: ${process.env['BENCH_SDK'] === 'src' ? 'src/ through tsx' : 'src/ bundled with esbuild like tsup (node_modules/.cache/rtms-bench/index.mjs)'}`);
log(`machine: ${cpus().length} CPUs (${cpuModel}), node ${process.version}, ${process.platform}/${process.arch}`);
log(`workload: per meeting 640-byte L16 audio frames (base64 JSON) every 20 ms + 1 transcript line/s; warm-up ${WARM_MS} ms, window ${WINDOW_MS} ms; throughput mode max(${TP_FRAMES}, ${TP_MIN_TOTAL}/N) frames/session`);
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
log(`load average at start: ${load()}${loadavg()[0]! > cpus().length * 0.25 ? '  (WARNING: the machine is busy; figures will be noisy)' : ''}`);

const sim = new Sim();
let exitCode = 0;
const results = new Map<number, Partial<Record<Kind, RunResult>>>();
let linearity: Linearity | undefined;
let search: { largestN: number; probes: { n: number; pass: boolean; p99: number; lost: number; simLagP99: number; simLimited: boolean; othersShare: number }[]; bounded: string } | undefined;
try {
  await sim.listening;
  const clock = await clockOffset(sim);
  phase.offset = clock.offset;
  log(`clock: simulator − bench offset ${f(clock.offset * 1000, 0)} µs (IPC round trip ${f(clock.rtt * 1000, 0)} µs), corrected in every latency`);

  // Warm-up (JIT, sockets): not reported.
  for (const kind of KINDS) await run(sim, kind, Math.min(20, NS[0] ?? 20), { windowMs: 300, tpFrames: 50 });

  for (const n of NS) {
    // Alternate the order (A B, B A, ...) so drift in the machine's speed during a row falls on every client alike.
    const runs = new Map<Kind, RunResult[]>(KINDS.map((k) => [k, []]));
    for (let rep = 0; rep < REPS; rep++) {
      for (const kind of rep % 2 === 0 ? KINDS : [...KINDS].reverse()) runs.get(kind)!.push(await run(sim, kind, n, { windowMs: WINDOW_MS, tpFrames: tpFramesFor(n) }));
    }
    const row: Partial<Record<Kind, RunResult>> = {};
    for (const [kind, rs] of runs) row[kind] = combine(rs);
    results.set(n, row);
    log();
    const windows = REPS > 1 ? `${REPS} × ${WINDOW_MS / 1000} s windows per client, pooled` : `${WINDOW_MS / 1000} s window`;
    log(`N = ${n} — real-time (${windows}; offered ${n * 51} frames/s: 50 audio + 1 transcript per meeting)`);
    log(header(RT_HEAD, RT_W));
    for (const kind of KINDS) log(rtRow(row[kind]!));
    for (const kind of KINDS) if (kind !== 'baseline' && row.baseline) log(rtRatio(row[kind]!, row.baseline));
    if (TP_FRAMES > 0) {
      log(`N = ${n} — throughput (${tpFramesFor(n)} frames/session${REPS > 1 ? ` × ${REPS}` : ''}, as fast as the sockets take them)`);
      log(header(TP_HEAD, TP_W));
      for (const kind of KINDS) if (row[kind]?.tp) log(tpRow(row[kind]!));
      for (const kind of KINDS) if (kind !== 'baseline' && row[kind]?.tp && row.baseline?.tp) log(tpRatio(row[kind]!, row.baseline));
    }
    for (const kind of KINDS) log(note(row[kind]!));
    // Against the throughput-mode figure (the marginal cost of a frame) when there is one.
    const sdkCpu = row.sdk?.tp?.cpuPerFrameUs ?? row.sdk?.rt.cpuPerFrameUs;
    const counters = counterCostNs();
    log(`  counters (session.stats(), client.stats()): ≈ ${f(counters, 2)} ns per media frame${sdkCpu !== undefined && Number.isFinite(sdkCpu) ? `, ${f((counters / 1000 / sdkCpu) * 100, 3)} % of the SDK's ${f(sdkCpu, 2)} µs CPU per frame (${row.sdk?.tp ? 'throughput' : 'real-time'} mode)` : ''}; two field writes and a string length, timed in a loop; no clock read per frame`);
  }
  linearity = linearityOf(results);
  if (linearity) {
    log();
    log(`linearity, N = ${linearity.from} → ${linearity.to} (real-time; a ratio below 1 means cheaper per unit at the larger N):`);
    for (const [kind, l] of Object.entries(linearity.clients)) {
      log(`  ${kind.padEnd(8)} CPU µs/frame ${f(l.cpuFrom, 2)} → ${f(l.cpuTo, 2)} (×${f(l.cpuRatio, 2)}); heap KiB/session ${f(l.heapFrom, 1)} → ${f(l.heapTo, 1)} (×${f(l.heapRatio, 2)}); heap per added session ${f(l.marginalHeapKiB, 1)} KiB`);
    }
  }

  // Largest N with zero loss and p99 < 50 ms (SDK, real-time mode): bracket from the table, then bisect.
  if (SEARCH) {
    const probes: { n: number; pass: boolean; p99: number; lost: number; simLagP99: number; simLimited: boolean; othersShare: number }[] = [];
    const verdict = new Map<number, boolean>();
    // A table run that failed while other processes were busy says nothing about the SDK: leave it to the probes.
    for (const [n, row] of results) if (row.sdk && (pass(row.sdk) || row.sdk.rt.othersShare <= 0.1)) verdict.set(n, pass(row.sdk));
    let lo = 0;
    let hi = Number.POSITIVE_INFINITY;
    for (const [n, ok] of [...verdict].sort((x, y) => x[0] - y[0])) {
      if (ok && n > lo && n < hi) lo = n;
      if (!ok && n < hi) hi = n;
    }
    if (hi <= lo) lo = 0; // a pass above a fail: trust the fail
    let bounded = 'converged';
    const estimateMs = (n: number) => 5_000 + WARM_MS + SEARCH_WINDOW_MS + n * 5;
    // 2 sockets per session in each process: stay well inside the fd limit (and, in short mode, the CI budget).
    const MAX_N = SHORT ? 1_000 : 6_000;
    for (;;) {
      let next: number;
      if (!Number.isFinite(hi)) {
        if (lo >= MAX_N) {
          bounded = `stopped at the ${MAX_N}-session cap`;
          break;
        }
        next = Math.min(MAX_N, Math.max(lo * 2, lo + 100, 1));
      } else {
        const step = Math.max(50, Math.round(lo * 0.1));
        if (hi - lo <= step) break;
        next = Math.round((lo + hi) / 2 / 50) * 50 || Math.round((lo + hi) / 2);
        if (next <= lo || next >= hi) break;
      }
      if (Date.now() - T_START + estimateMs(next) > BUDGET_MS) {
        bounded = 'stopped by the time budget';
        break;
      }
      let r = await run(sim, 'sdk', next, { windowMs: SEARCH_WINDOW_MS, tpFrames: 0 });
      if (!pass(r) && r.rt.othersShare > 0.1 && Date.now() - T_START + estimateMs(next) <= BUDGET_MS) {
        log(`search: N=${next} failed while other processes used ${f(r.rt.othersShare * 100, 0)} % of the machine; once more`);
        r = await run(sim, 'sdk', next, { windowMs: SEARCH_WINDOW_MS, tpFrames: 0 });
      }
      const ok = pass(r);
      probes.push({ n: next, pass: ok, p99: +r.rt.p99.toFixed(2), lost: r.rt.lost, simLagP99: +r.rt.simLagP99.toFixed(2), simLimited: simLimited(r), othersShare: +r.rt.othersShare.toFixed(2) });
      log(`search: N=${next} ${ok ? 'holds' : 'fails'}${simLimited(r) ? ' [simulator could not keep pace]' : ''}${r.rt.othersShare > 0.1 ? ` [other processes used ${f(r.rt.othersShare * 100, 0)} % of the machine]` : ''} (p99 ${f(r.rt.p99, 2)} ms, max ${f(r.rt.max, 1)} ms, lost ${r.rt.lost}, ${r.rt.simBehind > 0 ? `${r.rt.simBehind} not sent (simulator behind), ` : ''}${f(r.rt.fps, 0)} frames/s, ELU ${f(r.rt.elu, 2)}, sim send lag p99 ${f(r.rt.simLagP99, 2)} ms, sim CPU ${f(r.rt.simCpuShare * 100, 0)} %)`);
      if (ok) lo = next;
      else hi = next;
    }
    search = { largestN: lo, probes, bounded };
    log();
    log(`largest N with zero loss and p99 < ${P99_LIMIT_MS} ms (SDK, real-time): ${lo}${Number.isFinite(hi) ? ` (N=${hi} fails)` : ''}; ${bounded}`);
  }
} catch (err) {
  exitCode = 1;
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
} finally {
  gcObserver.disconnect();
  await sim.exit();
}

if (PROFILE_WINDOWS) writeFileSync(PROFILE_WINDOWS, JSON.stringify(profileWindows, null, 2));
const largest = Math.max(...results.keys());
const top = results.get(largest);
log(`total time ${f((Date.now() - T_START) / 1000, 1)} s; load average at end: ${load()}`);
log(
  JSON.stringify({
    n: Number.isFinite(largest) ? largest : null,
    mode: SHORT ? 'short' : 'default',
    windowMs: WINDOW_MS,
    tpFramesPerSession: Number.isFinite(largest) ? tpFramesFor(largest) : TP_FRAMES,
    baseline: json(top?.baseline),
    sdk: json(top?.sdk),
    reps: REPS,
    sdkOverBaseline: ratios(top?.sdk, top?.baseline),
    ...(top?.raw ? { rawOverBaseline: ratios(top.raw, top.baseline) } : {}),
    linearity: linearity ? { ...linearity, clients: Object.fromEntries(Object.entries(linearity.clients).map(([k, v]) => [k, Object.fromEntries(Object.entries(v).map(([x, y]) => [x, +y.toFixed(3)]))])) } : null,
    largestRealtimeN: search ? { n: search.largestN, criterion: `zero loss, p99 < ${P99_LIMIT_MS} ms`, bounded: search.bounded, probes: search.probes } : null,
    machine: { cpus: cpus().length, model: cpuModel, node: process.version },
    totalSeconds: +((Date.now() - T_START) / 1000).toFixed(1),
  }),
);
process.exitCode = exitCode;
