/**
 * Seed fidelity: the Node.js apps of Zoom's two RTMS guides (meeting transcripts; Contact Center audio and
 * transcripts), assembled unchanged in examples/seeds/, run as their own processes against the simulator the
 * `rtms-client simulate` command uses. They must receive transcripts (and, Contact Center, audio), and the report
 * must have no failure: where a seed departs from the protocol reference, it warns, and the stream works, as it
 * does with Zoom. The seeds' dependencies (express, ws, dotenv) are dev dependencies used only here.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runConformance, type ConformanceReport } from '../../src/testing/index.js';
import { freePort, startNode, type ChildApp } from '../frameworks/child.js';

const seedDir = (name: string) => fileURLToPath(new URL(`../../examples/seeds/${name}/`, import.meta.url));

const CREDS = { clientId: 'seed-client-id', clientSecret: 'seed-client-secret', webhookSecretToken: 'seed-webhook-token' };

/** Starts a seed app on a free port with its credentials under the names its guide reads. */
async function startSeed(name: string, env: Record<string, string>, onTestFinished: (fn: () => Promise<void>) => void): Promise<{ app: ChildApp; webhookUrl: string }> {
  const port = await freePort();
  const app = await startNode(['index.js'], { cwd: seedDir(name), env: { ...env, PORT: String(port) }, ready: /Server is listening on/, onTestFinished });
  return { app, webhookUrl: `http://127.0.0.1:${port}/webhook` };
}

/**
 * One short stream: 1.2 s, a transcript line every 200 ms, 20 ms audio, a keep-alive on each socket after 1 s (not
 * more often: the simulator flags an app that answers two queued keep-alives in order, which a loaded CI machine
 * can make any app do).
 */
function run(webhookUrl: string, product: 'meeting' | 'contact_center'): Promise<ConformanceReport> {
  return runConformance({
    webhookUrl,
    ...CREDS, // Zoom signs every webhook; the seeds do not check, which changes nothing here
    product,
    script: { durationMs: 1_200, transcriptEveryMs: 200 },
    keepAliveIntervalMs: 1_000,
    // The seeds ignore *.rtms_stopped and keep their sockets open (Zoom then closes them): a warning. Do not wait
    // the default 5 s to find that out.
    closeTimeoutMs: 300,
  });
}

function nonPassing(report: ConformanceReport): Record<string, string> {
  return Object.fromEntries(report.checks.filter((c) => c.status !== 'pass').map((c) => [c.id, `${c.status}: ${c.message}`]));
}

describe.concurrent('seed apps, unchanged, against the simulator', () => {
  it('meeting transcripts (Node.js quickstart): transcripts arrive; the bare signaling handshake only warns', async ({ onTestFinished }) => {
    const { app, webhookUrl } = await startSeed('meeting-transcripts', { ZOOM_CLIENT_ID: CREDS.clientId, ZOOM_CLIENT_SECRET: CREDS.clientSecret }, onTestFinished);
    const report = await run(webhookUrl, 'meeting');
    const problems = nonPassing(report);

    expect(report.checks.filter((c) => c.status === 'fail'), JSON.stringify(report.checks, null, 2)).toEqual([]);
    expect(report.ok).toBe(true);
    // The guide's signaling handshake is { msg_type, meeting_uuid, rtms_stream_id, signature }: Zoom accepts it.
    expect(problems['handshake-fields']).toMatch(/^warn: signaling handshake omits protocol_version.*signaling handshake omits sequence/);
    // Nothing else departs from the protocol reference (keep-alives, CLIENT_READY_ACK, signatures, ids).
    expect(report.violations).toEqual([
      expect.objectContaining({ severity: 'warning', channel: 'signaling', rule: 'protocol-version' }),
      expect.objectContaining({ severity: 'warning', channel: 'signaling', rule: 'sequence' }),
    ]);
    // And the app leaves its sockets open after rtms_stopped (Zoom closes them).
    expect(problems['closed']).toMatch(/^warn: sockets still open/);
    expect(report.record.keepAlive.sent).toBeGreaterThan(0); // and no violation: every echo was right

    const transcripts = app.stdout().match(/^Transcript from .+: .+$/gm) ?? [];
    expect(transcripts.length, app.stdout()).toBeGreaterThanOrEqual(3);
    expect(transcripts[0]).toBe('Transcript from Ada Lovelace: Good morning, everyone. Shall we start with the roadmap?');
    expect(app.stderr()).not.toMatch(/error/i); // dotenv prints a line there
  });

  it('Contact Center audio and transcripts: both arrive; the media handshake without sequence is only a note', async ({ onTestFinished }) => {
    const { app, webhookUrl } = await startSeed('contact-center', { ZOOM_APP_CLIENT_ID: CREDS.clientId, ZOOM_APP_CLIENT_SECRET: CREDS.clientSecret }, onTestFinished);
    const report = await run(webhookUrl, 'contact_center');
    const problems = nonPassing(report);

    expect(report.checks.filter((c) => c.status === 'fail'), JSON.stringify(report.checks, null, 2)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.stream.product).toBe('contact_center');
    expect(problems['handshake-fields']).toBeUndefined(); // every client Zoom wrote omits it: an informational note
    expect(report.violations).toEqual([expect.objectContaining({ severity: 'info', channel: 'media', rule: 'sequence' })]);
    expect(problems['closed']).toMatch(/^warn: sockets still open/);
    expect(report.record.keepAlive.sent).toBeGreaterThan(0); // and no violation: every echo was right

    const out = app.stdout();
    const transcripts = out.match(/^Received transcript: \{/gm) ?? [];
    expect(transcripts.length, out).toBeGreaterThanOrEqual(3);
    expect(out).toContain("data: 'Good morning, everyone. Shall we start with the roadmap?'");
    // One channel per party, numbered in speaking order, as Contact Center sends them.
    const audio = out.match(/^Received audio: 640 bytes on channel [1-9]$/gm) ?? [];
    expect(audio.length, out).toBeGreaterThanOrEqual(20); // ~60 packets of 20 ms in 1.2 s
    expect(app.stderr()).not.toMatch(/error/i); // dotenv prints a line there
  });
});
