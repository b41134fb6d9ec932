/**
 * Zoom RTMS transcripts in a Hono 4 app on Node.js (`npm install hono @hono/node-server`).
 *
 *   ZOOM_CLIENT_ID=... ZOOM_CLIENT_SECRET=... ZOOM_SECRET_TOKEN=... npx tsx examples/hono/server.ts
 *   npx tsx examples/hono/server.ts --simulate     # no Zoom account: drives itself with the local simulator
 *
 * Point your Zoom app's event subscription at https://<your-host>/zoom/webhook (PORT and WEBHOOK_PATH change it).
 *
 * Hono on Node.js only: the SDK holds WebSockets open for the whole meeting, which edge and serverless runtimes
 * (Workers, Vercel Edge, Lambda) do not allow.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { RtmsClient } from 'rtms-client';

const simulate = process.argv.includes('--simulate');
const port = Number(process.env.PORT ?? 3000);
const path = process.env.WEBHOOK_PATH ?? '/zoom/webhook';
const MAX_BODY_BYTES = 1024 * 1024;

// In --simulate mode the simulator and the client share made-up credentials; nothing reaches Zoom.
const credentials = simulate
  ? { clientId: 'sim-client-id', clientSecret: 'sim-client-secret', webhookSecretToken: 'sim-secret-token' }
  : {
      clientId: requireEnv('ZOOM_CLIENT_ID'),
      clientSecret: requireEnv('ZOOM_CLIENT_SECRET'),
      webhookSecretToken: requireEnv('ZOOM_SECRET_TOKEN'),
    };

const client = new RtmsClient({
  ...credentials,
  media: ['transcript'], // ask only for what we use: no audio crosses the wire
  maxWebhookBodyBytes: MAX_BODY_BYTES,
  logger: { info: console.info, warn: console.warn, error: console.error }, // no debug lines
});

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

const app = new Hono();

// The signature covers the raw bytes: read them with arrayBuffer(), never c.req.json(). bodyLimit stops reading
// past 1 MiB instead of buffering whatever a caller sends.
app.post(
  path,
  bodyLimit({ maxSize: MAX_BODY_BYTES, onError: (c) => c.json({ error: 'RTMS_WEBHOOK_BODY_TOO_LARGE' }, 413) }),
  async (c) => {
    const body = new Uint8Array(await c.req.arrayBuffer());
    const answer = await client.handleWebhook({ headers: c.req.raw.headers, body }); // never throws; Fetch Headers are fine
    return new Response(answer.body, { status: answer.status, headers: answer.headers });
  },
);

// The rest of your app.
app.get('/healthz', (c) => c.json({ sessions: client.sessions.size }));

const server = serve({ fetch: app.fetch, port }, () => {
  console.log(`listening on http://localhost:${port}${path}`);
  if (simulate) void runSimulation(`http://localhost:${port}${path}`);
});

async function shutdown(): Promise<void> {
  server.close();
  await client.close(); // ends every stream and releases every socket
}
process.once('SIGINT', () => void shutdown());
process.once('SIGTERM', () => void shutdown());

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} is not set (or run with --simulate)`);
    process.exit(1);
  }
  return value;
}

/** --simulate: a local RTMS server plays a short meeting through this app's own webhook endpoint. */
async function runSimulation(webhookUrl: string): Promise<void> {
  const { RtmsSimulator, postWebhook } = await import('rtms-client/testing');
  const sim = await RtmsSimulator.start(credentials);
  const stream = sim.createStream({ product: 'meeting' });
  console.log('webhook answered', (await postWebhook(webhookUrl, stream.webhook('started'))).status);
  await stream.ready();
  await stream.playMeeting({ durationMs: Number(process.env['DURATION_MS'] ?? 4_000), audioFrameMs: 0 });
  await postWebhook(webhookUrl, stream.webhook('stopped'));
  await stream.socketsClosed();
  await sim.close();
  await shutdown();
}
