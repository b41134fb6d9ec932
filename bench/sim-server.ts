/**
 * Child process of `bench/throughput.ts`: the RTMS simulator side of the benchmark, kept out of the measured
 * process (process.cpuUsage covers every thread of a process, so a worker thread would count against the SDK).
 *
 * Handshakes, keep-alives (every 10 s, Zoom's interval) and stream bookkeeping are the real {@link RtmsSimulator}.
 * Media is written straight onto each stream's media socket as pre-framed WebSocket text frames, so the
 * simulator's per-frame cost stays small and, above all, identical for the SDK run and the bare-`ws` baseline.
 *
 * Every frame carries its send time in `content.timestamp`: `performance.timeOrigin + performance.now()`, Unix ms
 * with µs resolution, taken just before the frame is written (the parent compares it with the same clock).
 *
 * IPC (parent → child): setup (creates N streams, answers their signed `rtms_started` webhooks), waitReady,
 * rtStart, rtStop, tpStart, teardown, clock, cpu, exit. Every request carries an `id` and gets one reply with the
 * same `id`. The child exits when the parent goes away.
 */
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { RtmsSimulator, tonePcm, type SimulatedStream } from '../src/testing/index.js';

const CREDS = JSON.parse(process.env['BENCH_CREDS'] ?? '{}') as { clientId: string; clientSecret: string; webhookSecretToken: string };

const ORIGIN = performance.timeOrigin;
const now = (): number => ORIGIN + performance.now();

/** 640 bytes = 20 ms of L16 16 kHz mono (§7.4), base64 in content.data, user_id 0 = mixed audio (§3.14). */
const AUDIO_BYTES = 640;
const AUDIO_B64 = tonePcm(AUDIO_BYTES, 16778240, 0).toString('base64');
const AUDIO_PREFIX = `{"msg_type":14,"content":{"user_id":0,"data":"${AUDIO_B64}","length":${AUDIO_BYTES},"timestamp":`;
const TRANSCRIPT_LINES = [
  ['16778240', 'Ada Lovelace', 'Good morning, everyone. Shall we start with the roadmap?'],
  ['16779264', 'Grace Hopper', 'Yes. The compiler work is ahead of schedule.'],
  ['16780288', 'Alan Turing', 'I have a question about the test plan for the new release.'],
] as const;
const FRAME_MS = 20;
const FRAMES_PER_TRANSCRIPT = 50; // one transcript line a second per stream
/** A stream whose socket holds more than this much unsent data is skipped (counted as sent: it is lost). */
const MAX_BUFFERED = 2 * 1024 * 1024;
/** Throughput mode: frames per write, and the socket backlog above which a stream waits for 'drain'. */
const TP_BATCH = 16;
const TP_HIGH_WATER = 256 * 1024;

function audioText(ts: number): string {
  return `${AUDIO_PREFIX}${ts.toFixed(3)}}}`;
}

function transcriptText(ts: number, k: number): string {
  const [uid, name, text] = TRANSCRIPT_LINES[k % TRANSCRIPT_LINES.length]!;
  const t = ts.toFixed(3);
  return `{"msg_type":17,"content":{"user_id":${uid},"user_name":"${name}","data":"${text}","timestamp":${t},"start_time":${(ts - 1500).toFixed(3)},"end_time":${t},"language":9}}`;
}

/** Appends one unmasked server→client text frame (RFC 6455 §5.2) for `text` (ASCII) at `off`; returns the new offset. */
function putFrame(buf: Buffer, off: number, text: string): number {
  const len = text.length;
  buf[off] = 0x81;
  if (len < 126) {
    buf[off + 1] = len;
    off += 2;
  } else if (len < 65536) {
    buf[off + 1] = 126;
    buf.writeUInt16BE(len, off + 2);
    off += 4;
  } else {
    buf[off + 1] = 127;
    buf.writeUInt32BE(0, off + 2);
    buf.writeUInt32BE(len, off + 6);
    off += 10;
  }
  return off + buf.write(text, off, 'latin1');
}

function frameOf(text: string): Buffer {
  const buf = Buffer.allocUnsafe(text.length + 10);
  return buf.subarray(0, putFrame(buf, 0, text));
}

interface Target {
  stream: SimulatedStream;
  raw: Duplex | undefined;
  sent: number;
  tpLeft: number;
  blocked: boolean;
}

let sim: RtmsSimulator;
let targets: Target[] = [];

function send(msg: Record<string, unknown>): void {
  process.send?.(msg);
}

/** The stream's handshaken media socket (the raw TCP socket under `ws`). */
function mediaSocket(stream: SimulatedStream): Duplex | undefined {
  for (const c of stream.conns) if (c.channel === 'media' && c.handshaken && !c.raw.destroyed) return c.raw;
  return undefined;
}

async function setup(n: number): Promise<Record<string, unknown>> {
  targets = [];
  const webhooks: { headers: Record<string, string>; body: string }[] = [];
  for (let i = 0; i < n; i++) {
    const stream = sim.createStream({ product: 'meeting' });
    targets.push({ stream, raw: undefined, sent: 0, tpLeft: 0, blocked: false });
    const w = stream.webhook('started');
    webhooks.push({ headers: w.headers, body: w.body });
  }
  return { webhooks };
}

async function waitReady(timeoutMs: number): Promise<Record<string, unknown>> {
  const t0 = Date.now();
  const results = await Promise.allSettled(targets.map((t) => t.stream.ready(timeoutMs)));
  let ready = 0;
  for (let i = 0; i < targets.length; i++) {
    const t = targets[i]!;
    if (results[i]!.status === 'fulfilled') t.raw = mediaSocket(t.stream);
    if (t.raw) ready++;
  }
  const violations = targets.reduce((n, t) => n + t.stream.errors.length, 0);
  return { ready, ms: Date.now() - t0, violations };
}

// ---------------------------------------------------------------------------------------------------------
// Real-time mode: stream i sends frame k at t0 + 20 k + 20 i / N (phases spread evenly over the 20 ms), and
// a transcript line with every 50th frame. A 1 ms ticker sends every frame that is due (catching up at most
// 250 ms; older slots are skipped and reported, and one tick sends for at most 4 ms before it yields).
// ---------------------------------------------------------------------------------------------------------

let rt: { timer: NodeJS.Timeout; t0: number; cpu0: NodeJS.CpuUsage; slots: number; skipped: number; behind: number; lags: Float64Array; lagN: number } | undefined;
let lagBuffer: Float64Array | undefined;

/** A simulator more than this far behind schedule skips the missed frames (counted, never sent): it is the bottleneck. */
const MAX_BEHIND_MS = 250;
/** One tick sends for at most this long, then yields (so IPC, keep-alives and handshakes are served). */
const TICK_BUDGET_MS = 4;

function rtTick(): void {
  const r = rt;
  if (!r) return;
  const n = targets.length;
  const t = now();
  const due = Math.floor(((t - r.t0) * n) / FRAME_MS) + 1;
  const oldest = Math.floor(((t - MAX_BEHIND_MS - r.t0) * n) / FRAME_MS);
  if (r.slots < oldest) {
    r.behind += oldest - r.slots;
    r.slots = oldest;
  }
  while (r.slots < due) {
    const slot = r.slots++;
    const i = slot % n;
    const k = (slot - i) / n;
    const target = targets[i]!;
    const raw = target.raw;
    if (!raw || raw.destroyed) continue;
    const ts = now();
    if (r.lagN < r.lags.length) r.lags[r.lagN++] = ts - (r.t0 + (slot * FRAME_MS) / n);
    const sock = raw as Duplex & { writableLength: number };
    target.sent++;
    if (sock.writableLength > MAX_BUFFERED) {
      r.skipped++;
    } else {
      raw.write(frameOf(audioText(ts)));
    }
    if (k % FRAMES_PER_TRANSCRIPT === FRAMES_PER_TRANSCRIPT - 1) {
      target.sent++;
      if (sock.writableLength > MAX_BUFFERED) r.skipped++;
      else raw.write(frameOf(transcriptText(ts, Math.floor(k / FRAMES_PER_TRANSCRIPT))));
    }
    if ((slot & 63) === 63 && now() - t > TICK_BUDGET_MS) break;
  }
}

function rtStart(): Record<string, unknown> {
  for (const t of targets) t.sent = 0;
  const t0 = now();
  lagBuffer ??= new Float64Array(4_000_000);
  rt = { timer: setInterval(rtTick, 1), t0, cpu0: process.cpuUsage(), slots: 0, skipped: 0, behind: 0, lags: lagBuffer, lagN: 0 };
  return { t0 };
}

function rtStop(): Record<string, unknown> {
  const r = rt;
  if (!r) return { sent: 0 };
  clearInterval(r.timer);
  rt = undefined;
  const lags = r.lags.subarray(0, r.lagN).sort();
  const q = (p: number) => (lags.length === 0 ? 0 : lags[Math.min(lags.length - 1, Math.floor(p * lags.length))]!);
  const sent = targets.reduce((n, t) => n + t.sent, 0);
  const cpu = process.cpuUsage(r.cpu0);
  const durationMs = now() - r.t0;
  // behind: audio frames never sent because the simulator fell more than MAX_BEHIND_MS behind (r.slots counts them).
  return { sent, skipped: r.skipped, behind: r.behind, offered: r.slots, durationMs, lagP50: q(0.5), lagP99: q(0.99), lagMax: lags.length ? lags[lags.length - 1]! : 0, simCpuUs: cpu.user + cpu.system, simCpuShare: (cpu.user + cpu.system) / 1000 / durationMs };
}

// ---------------------------------------------------------------------------------------------------------
// Throughput mode: every stream gets `frames` audio frames, written in batches of 16 as fast as its socket
// takes them (a stream whose socket backs up waits for 'drain'); streams take turns, one batch each.
// ---------------------------------------------------------------------------------------------------------

function tpStart(frames: number): Promise<Record<string, unknown>> {
  const t0 = now();
  const cpu0 = process.cpuUsage();
  let scheduled = false;
  let sent = 0;
  const batchBuf = Buffer.allocUnsafe(TP_BATCH * (AUDIO_PREFIX.length + 40));
  for (const t of targets) {
    t.tpLeft = t.raw ? frames : 0;
    t.blocked = false;
  }
  return new Promise((resolve) => {
    const round = (): void => {
      scheduled = false;
      let pending = 0;
      let writable = 0;
      for (const t of targets) {
        if (t.tpLeft === 0) continue;
        pending++;
        if (t.blocked) continue;
        const raw = t.raw;
        if (!raw || raw.destroyed) {
          t.tpLeft = 0;
          continue;
        }
        const count = Math.min(TP_BATCH, t.tpLeft);
        let off = 0;
        for (let j = 0; j < count; j++) off = putFrame(batchBuf, off, audioText(now()));
        t.tpLeft -= count;
        sent += count;
        const ok = raw.write(Buffer.from(batchBuf.subarray(0, off)));
        if (!ok || (raw as Duplex & { writableLength: number }).writableLength > TP_HIGH_WATER) {
          t.blocked = true;
          raw.once('drain', () => {
            t.blocked = false;
            schedule();
          });
        } else writable++;
        if (t.tpLeft === 0) pending--;
      }
      if (pending === 0) {
        const cpu = process.cpuUsage(cpu0);
        resolve({ sent, sendMs: now() - t0, simCpuUs: cpu.user + cpu.system });
        return;
      }
      if (writable > 0) schedule();
    };
    const schedule = (): void => {
      if (scheduled) return;
      scheduled = true;
      setImmediate(round);
    };
    schedule();
  });
}

async function teardown(): Promise<Record<string, unknown>> {
  const ids = targets.map((t) => t.stream.streamId);
  await Promise.allSettled(targets.map((t) => t.stream.socketsClosed(3_000)));
  for (const id of ids) sim.deleteStream(id);
  targets = [];
  return { openSockets: sim.openSockets };
}

type Request = { id: number; type: string; n?: number; frames?: number; timeoutMs?: number };

async function handle(req: Request): Promise<Record<string, unknown>> {
  switch (req.type) {
    case 'setup':
      return setup(req.n ?? 1);
    case 'waitReady':
      return waitReady(req.timeoutMs ?? 60_000);
    case 'rtStart':
      return rtStart();
    case 'rtStop':
      return rtStop();
    case 'tpStart':
      return tpStart(req.frames ?? 100);
    case 'teardown':
      return teardown();
    case 'clock':
      return { t: now() };
    case 'cpu': {
      const c = process.cpuUsage();
      return { cpuUs: c.user + c.system };
    }
    case 'exit':
      await sim.close();
      setImmediate(() => process.exit(0));
      return {};
    default:
      throw new Error(`unknown request ${req.type}`);
  }
}

sim = await RtmsSimulator.start({ ...CREDS });
process.on('message', (req: Request) => {
  handle(req).then(
    (res) => send({ id: req.id, ok: true, ...res }),
    (err: unknown) => send({ id: req.id, ok: false, error: err instanceof Error ? err.message : String(err) }),
  );
});
// The parent going away (crash, Ctrl-C) must not leave the simulator running.
process.on('disconnect', () => {
  void sim.close().finally(() => process.exit(0));
});
send({ id: 0, ok: true, type: 'listening', url: sim.baseUrl });
