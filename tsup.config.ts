import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: { index: 'src/index.ts', 'testing/index': 'src/testing/index.ts', 'redis/index': 'src/redis/index.ts', 'media/index': 'src/media/index.ts' },
    format: ['esm', 'cjs'],
    // stripInternal: members marked `@internal` (the session's lifecycle hooks, the simulator's socket plumbing,
    // which holds `ws` types) stay out of the published .d.ts, so the types need no @types/ws and autocomplete
    // shows only the public API. test/package/consumer-types.test.ts checks the result in a new strict app.
    dts: { compilerOptions: { stripInternal: true } },
    sourcemap: true,
    clean: true,
    target: 'node20',
    platform: 'node',
    splitting: false,
    treeshake: true,
  },
  {
    // `rtms-client/otel` on its own: it uses only types of the core, so its .d.ts inlines the few it needs
    // (ClientStats, HealthReport) instead of sharing a declaration chunk with the core, which would move the
    // client's and the session's declarations out of dist/index.d.ts. Its JavaScript imports nothing of the core.
    entry: { 'otel/index': 'src/otel/index.ts' },
    format: ['esm', 'cjs'],
    dts: { compilerOptions: { stripInternal: true } },
    sourcemap: true,
    clean: false,
    target: 'node20',
    platform: 'node',
    splitting: false,
    treeshake: true,
  },
  {
    // The `rtms-client` command (package "bin"): ESM only, with a shebang.
    entry: { cli: 'src/cli/bin.ts' },
    format: ['esm'],
    dts: false,
    sourcemap: true,
    clean: false,
    target: 'node20',
    platform: 'node',
    splitting: false,
    banner: { js: '#!/usr/bin/env node' },
  },
]);
