/**
 * Child processes for the example and seed tests: a free port, a server started as its own process and awaited
 * until it says it listens, and a kill (SIGTERM, then SIGKILL) when the test finishes.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    // All interfaces, as the apps listen: a port free on 127.0.0.1 only is not enough.
    s.listen(port, () => s.close(() => resolve(true)));
  });
}

/**
 * A port nothing listens on right now, for apps that cannot listen on port 0. Picked at random below Linux's
 * ephemeral range (32768+), so the many outgoing loopback connections of parallel tests cannot take it in the
 * moment between this probe and the app's own listen.
 */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await bindable(port)) return port;
  }
  throw new Error('no free port found in 20000-32000');
}

export interface ChildApp {
  /** Everything the process wrote to stdout so far. */
  stdout(): string;
  /** Everything it wrote to stderr so far. */
  stderr(): string;
  /** Resolves with the exit code (or the signal name) when the process ends. */
  readonly exited: Promise<number | string>;
  /** Resolves when stdout matches; rejects after `timeoutMs` or if the process exits first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

export interface StartOptions {
  /** Extra environment, on top of this process's. */
  env?: Record<string, string>;
  /** Working directory. */
  cwd?: string;
  /** stdout pattern that means "ready". */
  ready: RegExp;
  /** Time to wait for `ready`. Default 15 s. */
  readyTimeoutMs?: number;
  /** Registers the kill; pass the test context's onTestFinished (concurrent tests need their own). */
  onTestFinished: (fn: () => Promise<void>) => void;
}

/** Starts `node <args>` and resolves once its stdout matches `ready`. */
export async function startNode(args: string[], options: StartOptions): Promise<ChildApp> {
  const child = spawn(process.execPath, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    for (const w of waiters) w();
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  let done = false;
  void exited.then(() => {
    done = true;
    for (const w of waiters) w();
  });
  options.onTestFinished(async () => {
    if (done) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(timer);
  });
  const app: ChildApp = {
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor: (pattern, timeoutMs = 10_000) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (pattern.test(out)) finish();
          else if (done) finish(new Error(`process exited before printing ${pattern}\nstdout:\n${out}\nstderr:\n${err}`));
        };
        const finish = (e?: Error) => {
          clearTimeout(timer);
          waiters.delete(check);
          if (e) reject(e);
          else resolve();
        };
        const timer = setTimeout(() => finish(new Error(`no ${pattern} within ${timeoutMs} ms\nstdout:\n${out}\nstderr:\n${err}`)), timeoutMs);
        waiters.add(check);
        check();
      }),
  };
  await app.waitFor(options.ready, options.readyTimeoutMs ?? 15_000);
  return app;
}
