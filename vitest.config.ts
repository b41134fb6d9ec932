import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (p: string) => fileURLToPath(new URL(`./src/${p}`, import.meta.url));

export default defineConfig({
  resolve: {
    // Examples import the package by name; inside the repo that name means the source (as tsconfig "paths" does).
    alias: [
      { find: /^rtms-client\/testing$/, replacement: src('testing/index.ts') },
      { find: /^rtms-client\/redis$/, replacement: src('redis/index.ts') },
      { find: /^rtms-client\/media$/, replacement: src('media/index.ts') },
      { find: /^rtms-client\/otel$/, replacement: src('otel/index.ts') },
      { find: /^rtms-client$/, replacement: src('index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    // Builds dist/ once when a fresh clone has none (several files read the built package).
    globalSetup: ['./test/global-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    // Most test files spend their time waiting (leases, reconnect windows, real-time media over loopback), not
    // computing: vitest's default (one worker per core less one: a single worker on a 2-core machine) leaves the
    // CPU idle. Three workers on a 2-core machine take the suite from 354 s to about two minutes; more starve the
    // real-time suites (Redis outages and partitions measured in hundreds of ms) of CPU.
    maxWorkers: Math.max(2, Math.ceil(availableParallelism() * 1.5)),
    typecheck: {
      enabled: true,
      include: ['test/**/*.test-d.ts'],
      tsconfig: './tsconfig.test.json',
    },
  },
});
