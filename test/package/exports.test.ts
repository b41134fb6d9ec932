/**
 * The published shape: the built package loads through its own name from CJS and ESM, both entry points export
 * what index.ts exports, and an RtmsError made by one build is `instanceof RtmsError` in the other (the
 * Symbol.for brand defeats the dual-package hazard).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function node(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8', timeout: 30_000 }).trim();
}

describe('built package', () => {
  beforeAll(() => {
    if (!existsSync(join(root, 'dist', 'index.cjs')) || !existsSync(join(root, 'dist', 'testing', 'index.js'))) {
      execFileSync(process.execPath, [join(root, 'node_modules', 'tsup', 'dist', 'cli-default.js')], { cwd: root, stdio: 'ignore', timeout: 120_000 });
    }
  }, 130_000);

  it('loads from CommonJS and ESM with the same exports', () => {
    const cjs = JSON.parse(node(['-e', "console.log(JSON.stringify(Object.keys(require('rtms-client')).sort()))"])) as string[];
    const esm = JSON.parse(node(['--input-type=module', '-e', "const m = await import('rtms-client'); console.log(JSON.stringify(Object.keys(m).sort()))"])) as string[];
    expect(cjs).toEqual(esm);
    expect(cjs).toContain('RtmsClient');
    expect(cjs).toContain('handleWebhook');
    const testing = JSON.parse(node(['--input-type=module', '-e', "const m = await import('rtms-client/testing'); console.log(JSON.stringify(Object.keys(m).sort()))"])) as string[];
    expect(testing).toContain('RtmsSimulator');
  });

  it('RtmsError from the CJS build is instanceof RtmsError of the ESM build', () => {
    const out = node([
      '--input-type=module',
      '-e',
      [
        "import { createRequire } from 'node:module';",
        "const require = createRequire(process.cwd() + '/');",
        "const cjs = require('rtms-client');",
        "const esm = await import('rtms-client');",
        "const e = new cjs.RtmsError('RTMS_CONNECTION_LOST', 'x');",
        'console.log(cjs.RtmsClient !== esm.RtmsClient, e instanceof esm.RtmsError, new Error("y") instanceof esm.RtmsError);',
      ].join('\n'),
    ]);
    expect(out).toBe('true true false');
  });

  it('importing the package has no side effects (no output, no timers, exits at once)', () => {
    expect(node(['-e', "require('rtms-client'); require('rtms-client/testing')"])).toBe('');
  });
});
