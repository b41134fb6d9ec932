/**
 * What the runtime programs share (network.ts, resilience.ts, scale-out.ts): scripts/check-runtimes.sh runs them
 * under Node, Bun and Deno, and test/runtimes/programs.test.ts under Node on every `npm test`. Node APIs and web
 * standards only, so that it runs unchanged under all three. Each program checks its own results, prints one line
 * per check, and exits 1 if any failed, or if a socket or timer keeps the process alive once everything is closed.
 */

const runtimes = globalThis as { Bun?: { version: string }; Deno?: { version: { deno: string } } };

/** The runtime and its version, as the programs print it: `node v20…`, `bun 1.4.5`, `deno 2.9.6`. */
export const runtime = runtimes.Bun ? `bun ${runtimes.Bun.version}` : runtimes.Deno ? `deno ${runtimes.Deno.version.deno}` : `node ${process.version}`;

/** The checks that failed so far. */
export const failures: string[] = [];

/** Prints `ok` or `FAIL` and the check; a failure is remembered. */
export function check(ok: boolean, what: string): void {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
}

/** Polls `condition` every `everyMs`; rejects with `what` after `ms`. */
export async function until(condition: () => boolean, ms: number, what: string, everyMs = 10): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Lets a timer not keep the process alive: Node's and Bun's timers have unref(); Deno's web timers need Deno.unrefTimer. */
export function unref(timer: unknown): void {
  const deno = (globalThis as { Deno?: { unrefTimer?(id: number): void } }).Deno;
  if (typeof timer === 'number') deno?.unrefTimer?.(timer);
  else (timer as { unref?(): void }).unref?.();
}

/**
 * Runs the program's `main`: a throw is a failure; the exit code says whether every check passed; and once
 * everything is closed the process must exit by itself within 5 s, or a socket or timer was left open.
 */
export function run(main: () => Promise<void>): void {
  main()
    .catch((err: unknown) => {
      failures.push(String(err));
      console.log(`FAIL ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    })
    .finally(() => {
      process.exitCode = failures.length === 0 ? 0 : 1;
      const leak = setTimeout(() => {
        console.log('FAIL the process is still alive 5 s after everything was closed: a socket or timer was left open');
        process.exit(1);
      }, 5_000);
      // Deno 2.0 gives user code web timers (a number, no unref()); unref() handles both.
      unref(leak);
    });
}
