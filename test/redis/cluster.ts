/**
 * A cluster of app instances (child processes running instance.ts) for the multi-process tests and the chaos run
 * (`bench/chaos.ts`): spawns them, posts webhooks to them, and keeps what they report (sessions, ends, handovers,
 * coordinator status, every audio frame's receive time). No test framework in here: the chaos run uses it too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SignedWebhook } from '../../src/testing/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

/** How the instances are started. */
export interface ClusterConfig {
  /** Redis for the coordinators. */
  readonly redisUrl: string;
  /** Key prefix shared by the cluster. */
  readonly prefix: string;
  /** The app's credentials. */
  readonly creds: { readonly clientId: string; readonly clientSecret: string; readonly webhookSecretToken: string };
  /** Coordinator timings (instance.ts defaults: lease 2 000, renew 500, scan 200 ms). */
  readonly leaseMs?: number;
  readonly renewIntervalMs?: number;
  readonly scanIntervalMs?: number;
  readonly commandTimeoutMs?: number;
  /** Instances log to stderr (LOG=1). */
  readonly log?: boolean;
}

/** One running instance. */
export interface Instance {
  readonly name: string;
  readonly child: ChildProcess;
  port: number;
  /** False once the process exited. */
  alive: boolean;
  /** True while SIGSTOPped by the harness. */
  stopped: boolean;
  /** Its first report (taken when it was listening and idle), for leak checks. */
  baseline: InstanceReport | undefined;
}

/** What an instance holds, on request. */
export interface InstanceReport {
  readonly sessions: number;
  readonly owned: number;
  readonly pending: number;
  readonly state: string;
  readonly resources: Readonly<Record<string, number>>;
}

/** A `session` event at an instance. */
export interface SessionEvent {
  readonly who: string;
  readonly streamId: string;
  readonly resumed: boolean;
  readonly at: number;
}

/** A session's end at an instance. */
export interface ClosedEvent {
  readonly who: string;
  readonly streamId: string;
  readonly cause: string;
  readonly state: string;
  readonly error: string | undefined;
  readonly at: number;
}

/** An audio frame at an instance: when it arrived, and the server's timestamp on it (when Zoom produced it). */
export interface Receipt {
  readonly at: number;
  readonly who: string;
  readonly ts: number | undefined;
}

type Msg =
  | { type: 'port'; port: number }
  | { type: 'session'; streamId: string; resumed: boolean; at: number }
  | { type: 'closed'; streamId: string; cause: string; state: string; error?: string; at: number }
  | { type: 'handover'; streamId: string; at: number }
  | { type: 'status'; state: string; at: number }
  | { type: 'frames'; frames: [string, number, number][] }
  | ({ type: 'report' } & InstanceReport)
  | { type: 'bye' };

/** The cluster and everything its instances reported. */
export class Cluster {
  readonly instances = new Map<string, Instance>();
  readonly sessions: SessionEvent[] = [];
  readonly closed: ClosedEvent[] = [];
  readonly handovers: { who: string; streamId: string; at: number }[] = [];
  readonly statuses: { who: string; state: string; at: number }[] = [];
  readonly receipts = new Map<string, Receipt[]>();
  readonly #config: ClusterConfig;
  readonly #reports = new Map<string, ((r: InstanceReport) => void)[]>();

  constructor(config: ClusterConfig) {
    this.#config = config;
  }

  /** Spawns an instance and resolves once it listens (its baseline report taken). */
  async add(name: string): Promise<Instance> {
    const c = this.#config;
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      REDIS_URL: c.redisUrl,
      PREFIX: c.prefix,
      INSTANCE: name,
      CLIENT_ID: c.creds.clientId,
      CLIENT_SECRET: c.creds.clientSecret,
      SECRET_TOKEN: c.creds.webhookSecretToken,
      LOG: c.log ? '1' : '0',
    };
    if (c.leaseMs) env['LEASE_MS'] = String(c.leaseMs);
    if (c.renewIntervalMs) env['RENEW_MS'] = String(c.renewIntervalMs);
    if (c.scanIntervalMs) env['SCAN_MS'] = String(c.scanIntervalMs);
    if (c.commandTimeoutMs) env['TIMEOUT_MS'] = String(c.commandTimeoutMs);
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'instance.ts')], { cwd: root, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env });
    const inst: Instance = { name, child, port: 0, alive: true, stopped: false, baseline: undefined };
    this.instances.set(name, inst);
    child.on('exit', () => {
      inst.alive = false;
      for (const resolve of this.#reports.get(name) ?? []) resolve({ sessions: -1, owned: -1, pending: -1, state: 'dead', resources: {} });
      this.#reports.delete(name);
    });
    child.on('message', (m: Msg) => this.#message(inst, m));
    const deadline = Date.now() + 30_000;
    while (inst.port === 0) {
      if (!inst.alive) throw new Error(`instance ${name} exited before listening`);
      if (Date.now() > deadline) throw new Error(`instance ${name} did not listen within 30 s`);
      await new Promise((r) => setTimeout(r, 10));
    }
    inst.baseline = await this.report(inst);
    return inst;
  }

  #message(inst: Instance, m: Msg): void {
    const who = inst.name;
    switch (m.type) {
      case 'port':
        inst.port = m.port;
        break;
      case 'session':
        this.sessions.push({ who, streamId: m.streamId, resumed: m.resumed, at: m.at });
        break;
      case 'closed':
        this.closed.push({ who, streamId: m.streamId, cause: m.cause, state: m.state, error: m.error, at: m.at });
        break;
      case 'handover':
        this.handovers.push({ who, streamId: m.streamId, at: m.at });
        break;
      case 'status':
        this.statuses.push({ who, state: m.state, at: m.at });
        break;
      case 'frames':
        for (const [id, at, ts] of m.frames) {
          let l = this.receipts.get(id);
          if (!l) this.receipts.set(id, (l = []));
          l.push({ at, who, ts: ts >= 0 ? ts : undefined });
        }
        break;
      case 'report': {
        const waiting = this.#reports.get(who) ?? [];
        this.#reports.delete(who);
        const { type: _t, ...report } = m;
        for (const resolve of waiting) resolve(report);
        break;
      }
      default:
        break;
    }
  }

  /** Live instances (not exited; SIGSTOPped ones included). */
  alive(): Instance[] {
    return [...this.instances.values()].filter((i) => i.alive);
  }

  /** Live, listening instances that are not SIGSTOPped. */
  running(): Instance[] {
    return this.alive().filter((i) => !i.stopped && i.port > 0);
  }

  /** Instances holding an open session for the stream now (by their reports). */
  holders(streamId: string): string[] {
    const open = new Map<string, number>();
    for (const s of this.sessions) if (s.streamId === streamId) open.set(s.who, (open.get(s.who) ?? 0) + 1);
    for (const c of this.closed) if (c.streamId === streamId) open.set(c.who, (open.get(c.who) ?? 0) - 1);
    return [...open].filter(([who, n]) => n > 0 && this.instances.get(who)?.alive).map(([who]) => who);
  }

  /** Streams an instance holds an open session for. */
  held(name: string): string[] {
    const ids = new Set(this.sessions.filter((s) => s.who === name).map((s) => s.streamId));
    return [...ids].filter((id) => this.holders(id).includes(name));
  }

  /** Posts a webhook to an instance (a fresh connection each time); resolves with the answer and how long it took. */
  post(inst: Instance, webhook: SignedWebhook, timeoutMs = 10_000): Promise<{ status: number; body: string; ms: number }> {
    const t0 = Date.now();
    return new Promise((resolve) => {
      const req = request(
        { host: '127.0.0.1', port: inst.port, method: 'POST', path: '/', agent: false, headers: { ...webhook.headers, connection: 'close' }, timeout: timeoutMs },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), ms: Date.now() - t0 }));
          res.on('error', () => resolve({ status: 0, body: 'response error', ms: Date.now() - t0 }));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (err) => resolve({ status: 0, body: String(err), ms: Date.now() - t0 }));
      req.end(webhook.body);
    });
  }

  /** Asks an instance what it holds (dead instances answer `state: 'dead'`). */
  report(inst: Instance): Promise<InstanceReport> {
    if (!inst.alive) return Promise.resolve({ sessions: -1, owned: -1, pending: -1, state: 'dead', resources: {} });
    return new Promise((resolve) => {
      const l = this.#reports.get(inst.name) ?? [];
      l.push(resolve);
      this.#reports.set(inst.name, l);
      inst.child.send({ type: 'report' });
    });
  }

  /** Sends a signal; SIGSTOP and SIGCONT are tracked. */
  signal(inst: Instance, sig: 'SIGKILL' | 'SIGSTOP' | 'SIGCONT'): void {
    if (!inst.alive) return;
    inst.child.kill(sig);
    if (sig === 'SIGKILL') inst.alive = false; // at once: nothing is sent to it any more
    if (sig === 'SIGSTOP') inst.stopped = true;
    if (sig === 'SIGCONT') inst.stopped = false;
  }

  /** Shuts an instance down gracefully (`client.close({ closeStream: false })`). */
  async shutdown(inst: Instance, timeoutMs = 10_000): Promise<void> {
    if (!inst.alive) return;
    if (inst.stopped) this.signal(inst, 'SIGCONT');
    const exited = new Promise<void>((resolve) => inst.child.once('exit', () => resolve()));
    inst.child.send({ type: 'shutdown' });
    const timer = setTimeout(() => inst.child.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
  }

  /** Kills whatever still runs. */
  async close(): Promise<void> {
    await Promise.all(
      this.alive().map(async (i) => {
        const exited = new Promise<void>((resolve) => i.child.once('exit', () => resolve()));
        i.child.kill('SIGCONT');
        i.child.kill('SIGKILL');
        await exited;
      }),
    );
  }

  /** A stream's frames in receive order. */
  sorted(streamId: string): Receipt[] {
    return [...(this.receipts.get(streamId) ?? [])].sort((a, b) => a.at - b.at);
  }

  /**
   * The longest gap between consecutive frames of a stream (any instance) in [from, to]: from the last frame
   * before `from` (or `from`) to the first after `to` (or `to`, when none came yet).
   */
  maxGap(streamId: string, from: number, to: number): { gap: number; at: number } {
    const r = this.sorted(streamId);
    let prev = from;
    for (const x of r) if (x.at < from) prev = x.at;
    let worst = { gap: 0, at: prev };
    for (const x of r) {
      if (x.at < from) continue;
      if (x.at - prev > worst.gap) worst = { gap: x.at - prev, at: prev };
      prev = x.at;
      if (x.at > to) return worst;
    }
    if (to - prev > worst.gap) worst = { gap: to - prev, at: prev };
    return worst;
  }

  /**
   * Two consumers at once: Zoom delivering a stream to two instances at the same time. Ordered by the frames' server
   * timestamps (when Zoom produced them), a stream's frames go to instance X, then Y, then X again within
   * `windowMs`, or one frame reaches two instances. Returns the offending streams.
   */
  overlaps(windowMs = 250): { streamId: string; at: number; who: string[] }[] {
    const out: { streamId: string; at: number; who: string[] }[] = [];
    const key = (x: Receipt): number => x.ts ?? x.at;
    for (const [id, r] of this.receipts) {
      const s = [...r].sort((a, b) => key(a) - key(b));
      const seen = new Map<number, string>();
      let dup: { at: number; who: string[] } | undefined;
      for (const x of s) {
        if (x.ts === undefined) continue;
        const other = seen.get(x.ts);
        if (other !== undefined && other !== x.who && dup === undefined) dup = { at: x.at, who: [other, x.who] };
        seen.set(x.ts, x.who);
      }
      const v = dup ?? interleave(s, key, windowMs);
      if (v) out.push({ streamId: id, ...v });
    }
    return out;
  }

  /**
   * Frames an instance processed after another instance had started receiving the stream (by receive time),
   * although Zoom produced them before (no overlap by server time): a process that stalled past its lease and, on
   * waking, read what was already in its socket buffers before its timers could fence it. Per stream.
   */
  lateFrames(windowMs = 250): { streamId: string; at: number; who: string[] }[] {
    const out: { streamId: string; at: number; who: string[] }[] = [];
    for (const id of this.receipts.keys()) {
      const v = interleave(this.sorted(id), (x) => x.at, windowMs);
      if (v) out.push({ streamId: id, ...v });
    }
    return out;
  }
}

/** In frames ordered by `key`: a run of instance Y between two runs of X less than `windowMs` apart. */
function interleave(s: Receipt[], key: (x: Receipt) => number, windowMs: number): { at: number; who: string[] } | undefined {
  const runs: { who: string; first: number; last: number; at: number }[] = [];
  for (const x of s) {
    const cur = runs.at(-1);
    if (cur && cur.who === x.who) cur.last = key(x);
    else runs.push({ who: x.who, first: key(x), last: key(x), at: x.at });
  }
  for (let i = 1; i + 1 < runs.length; i++) {
    const a = runs[i - 1]!;
    const b = runs[i]!;
    const c = runs[i + 1]!;
    if (a.who === c.who && c.first - a.last <= windowMs) return { at: b.at, who: [a.who, b.who] };
  }
  return undefined;
}
