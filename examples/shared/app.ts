/**
 * What the examples have in common, kept here so that each example shows only its own part (the framework's
 * raw-body route, the recipe's use of the stream):
 *
 * - where the credentials come from: made up with `--simulate`, else `ZOOM_CLIENT_ID`, `ZOOM_CLIENT_SECRET` and
 *   `ZOOM_SECRET_TOKEN`;
 * - what the framework examples do with a stream (print its transcripts and how it ended);
 * - a minimal `node:http` webhook endpoint for the recipes;
 * - the `--simulate` mode: a local RTMS simulator plays one meeting through the example's own webhook endpoint,
 *   the way Zoom would (signed `meeting.rtms_started`, the meeting, signed `meeting.rtms_stopped`).
 *
 * Copying an example into your app? Replace `exampleCredentials()` with your own configuration, and drop the
 * `--simulate` branch (or keep this file with it).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RtmsClient } from 'rtms-client';
import type { MeetingScript } from 'rtms-client/testing';

/** True when the example was started with `--simulate`. */
export const simulating = process.argv.includes('--simulate');

/** The credentials an RTMS app needs. */
export interface ExampleCredentials {
  clientId: string;
  clientSecret: string;
  webhookSecretToken: string;
}

/** Made-up credentials that the simulator and the example's client share; nothing reaches Zoom. */
const SIMULATED: ExampleCredentials = { clientId: 'sim-client-id', clientSecret: 'sim-client-secret', webhookSecretToken: 'sim-secret-token' };

/** The app's credentials: made up when simulating, else from the environment (the process exits if one is missing). */
export function exampleCredentials(simulate = simulating): ExampleCredentials {
  if (simulate) return { ...SIMULATED };
  return { clientId: requireEnv('ZOOM_CLIENT_ID'), clientSecret: requireEnv('ZOOM_CLIENT_SECRET'), webhookSecretToken: requireEnv('ZOOM_SECRET_TOKEN') };
}

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} is not set (or run with --simulate)`);
    process.exit(1);
  }
  return value;
}

/** What the framework examples do with each stream: print its transcripts, problems and how it ended. */
export function printTranscripts(client: RtmsClient): void {
  client.on('session', (session) => {
    console.log(`stream ${session.id} started (${session.product})`);
    session.on('transcript', (t) => console.log(`[${session.id}] ${t.userName ?? t.channelId ?? 'unknown'}: ${t.text}`));
    session.on('error', (err) => console.warn(`[${session.id}] ${err.code}: ${err.message}`));
    session.on('reconnecting', (r) => console.warn(`[${session.id}] reconnecting (${r.scope}, attempt ${r.attempt}): ${r.cause.code}`));
    void session.closed().then((end) => {
      const reason = end.stopReasonName ? `, ${end.stopReasonName}` : '';
      console.log(`stream ${session.id} ended: ${end.state} (${end.cause}${reason})`);
    });
  });
}

/**
 * The recipes' webhook endpoint: every POST body, raw, goes to `client.handleWebhook`. It listens on PORT (default
 * 3000), or on any free port when simulating.
 */
export async function serveWebhooks(client: RtmsClient, simulate = simulating): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => void client.handleWebhook({ headers: req.headers, body: Buffer.concat(chunks) }).then((out) => res.writeHead(out.status, out.headers).end(out.body)));
  });
  await new Promise<void>((resolve) => server.listen(simulate ? 0 : Number(process.env['PORT'] ?? 3000), resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

/**
 * `--simulate`: starts a local RTMS simulator, plays one meeting through `webhookUrl` and resolves once the app has
 * closed the stream's sockets and the simulator is gone. DURATION_MS overrides the script's length (default 4 s).
 */
export async function simulateMeeting(webhookUrl: string, script: MeetingScript = {}): Promise<void> {
  const { RtmsSimulator, postWebhook } = await import('rtms-client/testing');
  const sim = await RtmsSimulator.start(SIMULATED);
  try {
    const stream = sim.createStream({ product: 'meeting' });
    console.log('webhook answered', (await postWebhook(webhookUrl, stream.webhook('started'))).status);
    await stream.ready();
    await stream.playMeeting({ ...script, durationMs: Number(process.env['DURATION_MS'] ?? script.durationMs ?? 4_000) });
    await postWebhook(webhookUrl, stream.webhook('stopped'));
    await stream.socketsClosed();
  } finally {
    await sim.close();
  }
}
