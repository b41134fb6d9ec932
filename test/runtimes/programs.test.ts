/**
 * The programs scripts/check-runtimes.sh runs under Bun and Deno, run here under Node on every `npm test`, against
 * the source (tsx resolves 'rtms-client' through tsconfig "paths"): a change to the SDK that breaks one of them
 * fails here at once, not only in the Bun/Deno step that CI runs later. Each program checks its own results, prints
 * `ok`/`FAIL` lines and a closing `... passed` line, exits 1 on any failure, and fails itself when something keeps
 * the process alive after everything was closed; this test requires exit code 0, that closing line and no FAIL.
 * The Redis program (scale-out.ts) is not run here: the Redis suites cover the coordinator under Node.
 */
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const tsx = join(root, 'node_modules', '.bin', 'tsx');

/** Runs a program with tsx from the repository root; resolves with its exit code and output (never rejects). */
function run(file: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    execFile(tsx, [file], { cwd: root, timeout: 45_000, env: { ...process.env, REDIS_URL: '' } }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

describe('the runtime programs, under Node', () => {
  it.each([
    ['examples/web-standard/round-trip.ts', /^round trip under node v\S+: passed/m],
    ['test/runtimes/resilience.ts', /^resilience under node v\S+: passed/m],
    ['test/runtimes/network.ts', /^network options under node v\S+: passed/m],
  ])('%s passes every check and exits by itself', async (file, closing) => {
    const { code, output } = await run(file);
    expect(output).not.toMatch(/^FAIL/m);
    expect(output).toMatch(closing);
    expect(output).toMatch(/^ok {3}/m);
    expect(code).toBe(0);
  }, 60_000);
});
