import { readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { defineConfig, type Options } from 'tsup';

/**
 * Generated modules whose text the source maps leave out: src/testing/media-fixtures.ts is ~124 KB of base64
 * (scripts/embed-media-fixtures.ts writes it from test/fixtures/media), useless to read in a debugger, and every
 * map that holds the simulator would otherwise carry a copy of it in `sourcesContent`.
 */
const NO_SOURCES_CONTENT = [resolve('src/testing/media-fixtures.ts')];

/**
 * After each build, sets the `sourcesContent` entry of the modules above to null in every map written (Source
 * Map v3 allows null: "retrieve the source by name"). The mappings and every other source's text stay as they
 * are. Runs on the written files because tsup's own steps (tree shaking with Rollup) rebuild the maps after
 * esbuild, so an earlier step would be undone. The sizes tsup prints are from before this step.
 */
const dropGeneratedSourcesContent: NonNullable<Options['plugins']>[number] = {
  name: 'drop-generated-sources-content',
  async buildEnd({ writtenFiles }) {
    for (const file of writtenFiles) {
      if (!file.name.endsWith('.map')) continue;
      const path = resolve(file.name);
      const map = JSON.parse(await readFile(path, 'utf8')) as { sources?: string[]; sourceRoot?: string; sourcesContent?: (string | null)[] };
      const { sources, sourcesContent } = map;
      if (sources === undefined || sourcesContent === undefined) continue;
      let changed = false;
      sources.forEach((source, i) => {
        if (sourcesContent[i] != null && NO_SOURCES_CONTENT.includes(resolve(dirname(path), map.sourceRoot ?? '', source))) {
          sourcesContent[i] = null;
          changed = true;
        }
      });
      if (changed) await writeFile(path, JSON.stringify(map));
    }
  },
};

export default defineConfig([
  {
    entry: { index: 'src/index.ts', 'testing/index': 'src/testing/index.ts', 'redis/index': 'src/redis/index.ts', 'media/index': 'src/media/index.ts' },
    format: ['esm', 'cjs'],
    // stripInternal: members marked `@internal` (the session's lifecycle hooks, the simulator's socket plumbing,
    // which holds `ws` types) stay out of the published .d.ts, so the types need no @types/ws and autocomplete
    // shows only the public API. test/package/consumer-types.test.ts checks the result in a new strict app.
    dts: { compilerOptions: { stripInternal: true } },
    sourcemap: true,
    plugins: [dropGeneratedSourcesContent],
    // No `clean` in any of the three builds: they run at the same time, and tsup's clean (JavaScript and, in the
    // declaration build, every .d.ts under dist/) would delete what the others had already written (it did: a CI
    // run lost dist/otel/index.d.ts). `npm run build` empties dist/ before tsup starts.
    clean: false,
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
    plugins: [dropGeneratedSourcesContent],
    clean: false,
    target: 'node20',
    platform: 'node',
    splitting: false,
    treeshake: true,
  },
  {
    // The `rtms-client` command (package "bin"): ESM only, with a shebang. It imports the simulator by the
    // package's own name, left external, so it loads the published dist/testing/index.js instead of carrying a
    // second copy of the simulator, the core and the media fixtures (Node resolves the name from node_modules, or
    // through the package's self-reference by its "exports" when dist/cli.js runs in this repository).
    // src/cli/main.ts still bundles the few webhook helpers it needs that the public entries do not export.
    entry: { cli: 'src/cli/bin.ts' },
    format: ['esm'],
    external: [/^rtms-client(\/.*)?$/],
    dts: false,
    sourcemap: true,
    plugins: [dropGeneratedSourcesContent],
    clean: false,
    target: 'node20',
    platform: 'node',
    splitting: false,
    banner: { js: '#!/usr/bin/env node' },
  },
]);
