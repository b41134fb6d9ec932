/**
 * `npm run bench:profile`: profiles the SDK under the benchmark's load and prints the top self-time entries of its
 * measurement windows (real-time, then throughput mode).
 *
 * Runs `node --cpu-prof --import tsx bench/throughput.ts` for one client (BENCH_PROFILE_CLIENT: `sdk`, the default,
 * `raw` or `baseline`), one N (BENCH_N, default 1000), one 10 s real-time window and no search, into a temporary directory, then summarises the main thread's profile
 * with bench/profile-summary.ts. Set BENCH_PROFILE_DIR to keep the .cpuprofile files (open them in Chrome
 * DevTools or speedscope).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { summarize } from './profile-summary.js';

const keep = process.env['BENCH_PROFILE_DIR'];
const dir = keep ?? mkdtempSync(join(tmpdir(), 'rtms-prof-'));
mkdirSync(dir, { recursive: true });
const windowsFile = join(dir, 'windows.json');
const script = fileURLToPath(new URL('./throughput.ts', import.meta.url));
const n = process.env['BENCH_N'] ?? '1000';
const kind = (process.env['BENCH_PROFILE_CLIENT'] ?? 'sdk') as 'sdk' | 'raw' | 'baseline';

const code = await new Promise<number>((resolve) => {
  const child = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--import', 'tsx', script], {
    stdio: 'inherit',
    env: {
      ...process.env,
      BENCH_CLIENTS: kind,
      BENCH_REPS: '1',
      BENCH_N: n,
      BENCH_SEARCH: '0',
      BENCH_WINDOW_MS: process.env['BENCH_WINDOW_MS'] ?? '10000',
      BENCH_PROFILE_WINDOWS: windowsFile,
    },
  });
  child.on('exit', (c) => resolve(c ?? 1));
});
if (code !== 0) {
  console.error(`bench/throughput.ts exited with ${code}`);
  process.exitCode = code;
} else {
  console.log(`\n## ${kind}, real-time mode (N=${n})\n`);
  console.log(summarize({ target: dir, windowsFile, mode: 'realtime', top: 25, kind }));
  console.log(`\n## ${kind}, throughput mode (N=${n})\n`);
  console.log(summarize({ target: dir, windowsFile, mode: 'throughput', top: 25, kind }));
  console.log('\nNote: the profiler itself adds CPU; compare entries with each other, not with the benchmark table.');
}
if (keep) console.log(`\nprofiles kept in ${dir}`);
else rmSync(dir, { recursive: true, force: true });
