/**
 * Builds the package once, before any test file runs, when `dist/` is missing or incomplete (a fresh clone).
 * Several test files read the built package; building here keeps them from each building it at the same time
 * (two builds writing `dist/` at once could each read the other's half-written files). CI builds it
 * before the tests (`npm run lint:package`), so there this does nothing.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ENTRIES = ['index.js', 'index.cjs', 'testing/index.js', 'redis/index.js', 'media/index.js', 'otel/index.js'];

export default function setup(): void {
  if (ENTRIES.every((e) => existsSync(join(root, 'dist', e)))) return;
  execFileSync(process.execPath, [join(root, 'node_modules', 'tsup', 'dist', 'cli-default.js')], { cwd: root, stdio: 'ignore', timeout: 180_000 });
}
