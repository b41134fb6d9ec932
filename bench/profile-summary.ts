/**
 * Top self-time entries of a V8 CPU profile (`node --cpu-prof`), optionally restricted to the measurement windows
 * that `bench/throughput.ts` writes to BENCH_PROFILE_WINDOWS. `npm run bench:profile` (bench/profile.ts) runs the
 * whole thing; by hand:
 *
 *   BENCH_CLIENTS=sdk BENCH_REPS=1 BENCH_N=1000 BENCH_SEARCH=0 BENCH_WINDOW_MS=10000 BENCH_PROFILE_WINDOWS=/tmp/prof/windows.json \
 *     node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/throughput.ts
 *   npx tsx bench/profile-summary.ts /tmp/prof [/tmp/prof/windows.json] [realtime|throughput|all] [top] [sdk|baseline|raw]
 *
 * The first argument is a .cpuprofile file or a directory: --cpu-prof writes one profile per thread, and the one
 * busiest inside the windows (the main thread) is used. Functions of the bench's esbuild bundle of src/ are mapped
 * back to their source file.
 *
 * "(idle)" is time V8 saw the thread outside JavaScript while libuv polled: epoll_wait, but also the read()
 * system calls libuv makes before it calls back into JavaScript.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}
interface Win {
  kind: string;
  n: number;
  mode: string;
  startUs: number;
  endUs: number;
}

export interface SummaryOptions {
  /** A .cpuprofile file, or a directory of them. */
  target: string;
  /** The BENCH_PROFILE_WINDOWS file; without it the whole profile counts. */
  windowsFile?: string | undefined;
  mode?: 'realtime' | 'throughput' | 'all';
  top?: number;
  kind?: 'sdk' | 'baseline' | 'raw';
}

/** Markdown tables: top functions by self time, then self time per file. */
export function summarize(opts: SummaryOptions): string {
  const { target, windowsFile, mode = 'realtime', top = 25, kind = 'sdk' } = opts;
  // The client's windows of the given mode, at the largest N profiled (the warm-up runs are left out).
  const allWindows = windowsFile ? (JSON.parse(readFileSync(windowsFile, 'utf8')) as Win[]).filter((w) => (mode === 'all' || w.mode === mode) && w.kind === kind) : [];
  const topN = Math.max(0, ...allWindows.map((w) => w.n));
  const windows = allWindows.filter((w) => w.n === topN);
  const inWindows = (t: number) => windows.length === 0 || windows.some((w) => t >= w.startUs && t <= w.endUs);

  /** Non-idle samples of `p` inside the windows. */
  const busyIn = (p: Profile): number => {
    const idle = new Set(p.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
    let t = p.startTime;
    let n = 0;
    for (let i = 0; i < p.timeDeltas.length; i++) {
      t += p.timeDeltas[i]!;
      if (inWindows(t) && !idle.has(p.samples[i]!)) n++;
    }
    return n;
  };

  let file = target;
  let profile: Profile;
  if (statSync(target).isDirectory()) {
    const candidates = readdirSync(target)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => join(target, f))
      .map((f) => ({ f, p: JSON.parse(readFileSync(f, 'utf8')) as Profile }));
    if (candidates.length === 0) throw new Error(`no .cpuprofile in ${target}`);
    const best = candidates.map((c) => ({ ...c, n: busyIn(c.p) })).sort((a, b) => b.n - a.n)[0]!;
    file = best.f;
    profile = best.p;
  } else profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;

  const byId = new Map<number, ProfileNode>();
  for (const n of profile.nodes) byId.set(n.id, n);
  const cwd = process.cwd();

  // The bench's esbuild bundle of src/ keeps `// src/<file>.ts` before each module: map bundle lines back.
  const bundleMaps = new Map<string, { line: number; file: string }[]>();
  const bundleFile = (path: string, line: number): string | undefined => {
    if (!path.includes('rtms-bench/index.mjs')) return undefined;
    let marks = bundleMaps.get(path);
    if (!marks) {
      const found: { line: number; file: string }[] = [];
      try {
        readFileSync(path, 'utf8')
          .split('\n')
          .forEach((l, i) => {
            const m = /^\/\/ (src\/\S+\.ts)$/.exec(l);
            if (m) found.push({ line: i, file: m[1]! });
          });
      } catch {
        // bundle gone: keep bundle locations
      }
      marks = found;
      bundleMaps.set(path, marks);
    }
    let hit: string | undefined;
    for (const m of marks) if (m.line <= line) hit = m.file;
    return hit;
  };
  const where = (cf: CallFrame): string => {
    if (!cf.url) return '';
    let u = cf.url.replace(/^file:\/\//, '').replace(/\?.*$/, '');
    const mapped = bundleFile(u, cf.lineNumber);
    if (mapped) return mapped;
    if (u.startsWith('/')) u = relative(cwd, u);
    return `${u}:${cf.lineNumber + 1}`;
  };

  const self = new Map<string, number>();
  const perFile = new Map<string, number>();
  let total = 0;
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    t += dt;
    if (!inWindows(t)) continue;
    const node = byId.get(profile.samples[i]!);
    if (!node) continue;
    const cf = node.callFrame;
    const loc = where(cf);
    const key = `${cf.functionName || '(anonymous)'}\u0000${loc}`;
    // The time until the next sample is this sample's (what DevTools does).
    const d = profile.timeDeltas[i + 1] ?? dt;
    self.set(key, (self.get(key) ?? 0) + d);
    const fileKey = cf.url ? loc.replace(/:\d+$/, '') : cf.functionName;
    perFile.set(fileKey, (perFile.get(fileKey) ?? 0) + d);
    total += d;
  }

  const pct = (v: number) => `${((100 * v) / total).toFixed(1)} %`;
  const out: string[] = [];
  out.push(`profile: ${relative(cwd, file)}; ${windows.length > 0 ? `${kind}, ${windows.length} ${mode} window(s) at N=${topN}` : 'whole run'}; ${(total / 1000).toFixed(0)} ms of samples`);
  out.push('');
  out.push('| self | self ms | function | where |');
  out.push('|---:|---:|---|---|');
  for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    const [fn, loc] = k.split('\u0000');
    out.push(`| ${pct(v)} | ${(v / 1000).toFixed(0)} | \`${fn}\` | ${loc ? `\`${loc}\`` : ''} |`);
  }
  out.push('');
  out.push('| self | file |');
  out.push('|---:|---|');
  for (const [k, v] of [...perFile].sort((a, b) => b[1] - a[1]).slice(0, 12)) out.push(`| ${pct(v)} | \`${k}\` |`);
  return out.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [target, windowsFile, mode = 'realtime', top = '25', kind = 'sdk'] = process.argv.slice(2);
  if (!target) {
    console.error('usage: tsx bench/profile-summary.ts <file.cpuprofile|dir> [windows.json] [realtime|throughput|all] [top] [sdk|baseline|raw]');
    process.exit(1);
  }
  console.log(summarize({ target, windowsFile: windowsFile || undefined, mode: mode as SummaryOptions['mode'], top: Number(top), kind: kind as SummaryOptions['kind'] }));
}
