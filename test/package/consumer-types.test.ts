/**
 * The published types stand on their own. The current source is built with the repo's tsup config into a private
 * `node_modules/rtms-client` of a new app in a temporary directory, next to what an npm user would have there
 * (the runtime dependencies and `@types/node`, but no `@types/ws`). A small strict-mode app importing both
 * `rtms-client` and `rtms-client/testing` must then type-check with `skipLibCheck: false`, under `node16`,
 * `nodenext` (ESM and CommonJS files, so both `.d.ts` and `.d.cts`) and `bundler` resolution, with no network.
 * The built declarations must not show the session's internal members either.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

let app = '';
let pkg = '';

/** Copies a package from the repo's node_modules into the app's, following symlinks. */
function copyDep(name: string): void {
  cpSync(join(root, 'node_modules', name), join(app, 'node_modules', name), { recursive: true, dereference: true });
}

/** Type-checks the app with the repo's own TypeScript; returns the output and exit status. */
function tsc(project: string): { status: number; out: string } {
  try {
    const out = execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project, '--listFiles'], {
      cwd: app,
      encoding: 'utf8',
      timeout: 120_000,
    });
    return { status: 0, out };
  } catch (e) {
    const err = e as { status?: number; stdout?: string; stderr?: string };
    return { status: err.status ?? 1, out: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

const APP_ESM = `import { RtmsClient, RtmsError, type RtmsSession, type TranscriptEvent } from 'rtms-client';
import { RtmsSimulator, type SignedWebhook } from 'rtms-client/testing';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;

export async function main(): Promise<string[]> {
  const sim: RtmsSimulator = await RtmsSimulator.start({ clientId: 'id', clientSecret: 'secret', webhookSecretToken: 'token' });
  const client = new RtmsClient({ clientId: 'id', clientSecret: 'secret', webhookSecretToken: 'token' });
  const texts: string[] = [];
  client.on('session', (session: RtmsSession) => {
    session.on('transcript', (t) => {
      // Exact types, not merely assignable ones: an \`any\` here would fail.
      const exact: Equal<typeof t, TranscriptEvent> = true;
      const text: Equal<typeof t.text, string> = true;
      texts.push(t.text, String(exact && text));
    });
    session.on('error', (err: RtmsError) => texts.push(err.code));
    // @ts-expect-error: a misspelt event name does not type-check
    session.on('transcripts', () => undefined);
  });
  const stream = sim.createStream();
  const hook: SignedWebhook = stream.webhook('started');
  const out = await client.handleWebhook({ headers: hook.headers, body: hook.body });
  const status: number = out.status;
  texts.push(String(status));
  await client.close();
  await sim.close();
  return texts;
}
`;

const APP_CJS = `import { RtmsClient, type TranscriptEvent } from 'rtms-client';
import { RtmsSimulator } from 'rtms-client/testing';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;

export async function main(): Promise<number> {
  const sim = await RtmsSimulator.start({ clientId: 'id', clientSecret: 'secret' });
  const client = new RtmsClient({ clientId: 'id', clientSecret: 'secret', webhookSecretToken: 'token' });
  client.on('session', (session) => {
    session.on('transcript', (t) => {
      const exact: Equal<typeof t, TranscriptEvent> = true;
      return exact && t.text;
    });
    // @ts-expect-error: a misspelt event name does not type-check
    session.on('trasncript', () => undefined);
  });
  await client.close();
  await sim.close();
  return 0;
}
`;

/** The body of `declare class RtmsSession` in a built declaration file. */
function sessionClass(file: string): string {
  const m = /declare class RtmsSession\b[^{]*\{([\s\S]*?)\n\}/.exec(readFileSync(join(pkg, file), 'utf8'));
  if (!m) throw new Error(`${file}: no declare class RtmsSession`);
  return m[1]!;
}

function tsconfig(name: string, options: Record<string, unknown>, files: string[]): string {
  writeFileSync(
    join(app, name),
    JSON.stringify(
      { compilerOptions: { strict: true, skipLibCheck: false, noEmit: true, target: 'ES2022', lib: ['ES2023'], types: ['node'], ...options }, files },
      null,
      2,
    ),
  );
  return name;
}

describe('a new strict TypeScript app using the published types', () => {
  beforeAll(() => {
    app = mkdtempSync(join(tmpdir(), 'rtms-client-consumer-'));
    pkg = join(app, 'node_modules', 'rtms-client');
    mkdirSync(pkg, { recursive: true });
    // The current source, built with the repo's own tsup config (stripInternal included) into the app.
    const build = spawnSync(process.execPath, [join(root, 'node_modules', 'tsup', 'dist', 'cli-default.js'), '--out-dir', join(pkg, 'dist'), '--silent'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 170_000,
    });
    if (build.status !== 0) throw new Error(`tsup failed (${build.status ?? build.signal}):\n${build.stdout}${build.stderr}`);
    // What `files` in package.json publishes (besides dist).
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { files: string[]; dependencies: Record<string, string> };
    for (const f of manifest.files) {
      if (f === 'dist' || !existsSync(join(root, f))) continue;
      mkdirSync(dirname(join(pkg, f)), { recursive: true });
      cpSync(join(root, f), join(pkg, f), { recursive: true });
    }
    cpSync(join(root, 'package.json'), join(pkg, 'package.json'));
    // What `npm install rtms-client` and `npm install -D @types/node` give a user, and nothing more: no @types/ws.
    for (const dep of Object.keys(manifest.dependencies)) copyDep(dep);
    copyDep(join('@types', 'node'));
    copyDep('undici-types');
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    writeFileSync(join(app, 'app.ts'), APP_ESM);
    writeFileSync(join(app, 'app-cjs.cts'), APP_CJS);
  }, 180_000);

  afterAll(() => {
    if (app) rmSync(app, { recursive: true, force: true });
  });

  it('the app has the built package and no @types/ws', () => {
    expect(existsSync(join(app, 'node_modules', '@types', 'ws'))).toBe(false);
    expect(existsSync(join(pkg, 'dist', 'testing', 'index.d.ts'))).toBe(true);
  });

  it.each([
    ['node16', { module: 'node16', moduleResolution: 'node16' }, ['app.ts', 'app-cjs.cts']],
    ['nodenext', { module: 'nodenext', moduleResolution: 'nodenext' }, ['app.ts', 'app-cjs.cts']],
    ['bundler', { module: 'esnext', moduleResolution: 'bundler' }, ['app.ts']],
  ] as const)('type-checks with strict, skipLibCheck false, moduleResolution %s', (name, options, files) => {
    const { status, out } = tsc(tsconfig(`tsconfig.${name}.json`, options, [...files]));
    expect(out.split('\n').filter((l) => l.includes('error TS'))).toEqual([]);
    expect(status).toBe(0);
    const loaded = out.split('\n').map((l) => l.trim()).filter(Boolean);
    // Every declaration came from the app's own node_modules (the package as published), never from the repo.
    expect(loaded.filter((f) => f.includes('/@types/ws/'))).toEqual([]);
    expect(loaded.filter((f) => f.includes('/rtms-client/dist/')).length).toBeGreaterThan(0);
    expect(loaded.filter((f) => f.startsWith(`${root}/`))).toEqual(loaded.filter((f) => f.startsWith(`${root}/node_modules/typescript/`)));
  }, 120_000);

  it('the published declarations name no ws type', () => {
    for (const f of ['dist/index.d.ts', 'dist/index.d.cts', 'dist/testing/index.d.ts', 'dist/testing/index.d.cts', 'dist/redis/index.d.ts', 'dist/redis/index.d.cts']) {
      expect(readFileSync(join(pkg, f), 'utf8'), f).not.toMatch(/from ['"]ws['"]|import\(['"]ws['"]\)/);
    }
  });

  it('RtmsSession declares none of its internal members (start, stopFromWebhook, handover, stopForClient, failover, interrupted)', () => {
    for (const f of ['dist/index.d.ts', 'dist/index.d.cts']) {
      const body = sessionClass(f);
      const internal = ['stopForClient', 'stopFromWebhook', 'handover(', 'failover(', 'interrupted('].filter((name) => body.includes(name));
      if (/^\s*start\(/m.test(body)) internal.push('start(');
      expect(internal, f).toEqual([]);
    }
  });

  it('no @internal declaration is published', () => {
    for (const f of ['dist/index.d.ts', 'dist/index.d.cts', 'dist/testing/index.d.ts', 'dist/testing/index.d.cts', 'dist/redis/index.d.ts', 'dist/redis/index.d.cts']) {
      expect(readFileSync(join(pkg, f), 'utf8').split('\n').filter((l) => l.includes('@internal')), f).toEqual([]);
    }
  });

  it('RtmsSession has no public constructor: the .d.ts declares `private constructor`', () => {
    // A stripped (`@internal`) constructor is not enough: TypeScript then assumes a public one without parameters,
    // and `new RtmsSession()` type-checks. The constructor must be declared private, and not marked `@internal`.
    for (const f of ['dist/index.d.ts', 'dist/index.d.cts']) {
      const ctors = [...sessionClass(f).matchAll(/^\s*((?:public|protected|private)\s+)?constructor\s*\(([^)]*)\)/gm)].map((c) => c[0].trim());
      expect(ctors, f).toEqual([expect.stringMatching(/^private constructor\(/)]);
    }
  });
});
