/**
 * Shared test helpers: a simulator and a client wired together, torn down by the test that made them, and a
 * check that nothing of ours (sockets, servers, timers) is left behind.
 */
import { onTestFinished } from 'vitest';
import { RtmsClient, type RtmsClientOptions, type RtmsLogger } from '../src/index.js';
import { RtmsSimulator, type SimulatorOptions } from '../src/testing/index.js';

export const CREDS = {
  clientId: 'test-client-id',
  clientSecret: 'test-client-secret-DO-NOT-LOG',
  webhookSecretToken: 'test-webhook-token-DO-NOT-LOG',
} as const;

/** A logger that keeps every line, to grep for secrets. */
export function recordingLogger(): RtmsLogger & { lines: string[] } {
  const lines: string[] = [];
  const rec = (level: string) => (message: string, context?: unknown) => {
    lines.push(`${level} ${message} ${context === undefined ? '' : JSON.stringify(context)}`);
  };
  return { lines, debug: rec('debug'), info: rec('info'), warn: rec('warn'), error: rec('error') };
}

export interface Rig {
  sim: RtmsSimulator;
  client: RtmsClient;
}

/** Starts a simulator and a client; both are closed when the test finishes. */
export async function rig(clientOptions: Partial<RtmsClientOptions> = {}, simOptions: Partial<SimulatorOptions> = {}): Promise<Rig> {
  const sim = await RtmsSimulator.start({ ...CREDS, ...simOptions });
  onTestFinished(() => sim.close());
  const client = new RtmsClient({ ...CREDS, ...clientOptions });
  onTestFinished(() => client.close());
  return { sim, client };
}

const OURS = new Set(['TCPSocketWrap', 'TCPServerWrap', 'Timeout', 'Immediate']);

/** Counts the resources of the kinds we open. */
export function ourResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) if (OURS.has(r)) counts.set(r, (counts.get(r) ?? 0) + 1);
  return counts;
}

/** Waits until the resource counts are back to `baseline` (or fails after `timeoutMs`). */
export async function expectNoLeaks(baseline: Map<string, number>, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = ourResources();
    const extra = [...now].filter(([k, n]) => n > (baseline.get(k) ?? 0));
    if (extra.length === 0) return;
    if (Date.now() > deadline) throw new Error(`resources left behind: ${JSON.stringify(Object.fromEntries(extra))} (baseline ${JSON.stringify(Object.fromEntries(baseline))})`);
    await new Promise((r) => setImmediate(r));
  }
}

/** Polls `predicate` until true. */
export async function until(predicate: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
