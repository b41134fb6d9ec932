/**
 * Zoom RTMS transcripts in an Express app (Express 4 or 5: `npm install express @types/express`).
 *
 *   ZOOM_CLIENT_ID=... ZOOM_CLIENT_SECRET=... ZOOM_SECRET_TOKEN=... npx tsx examples/express/server.ts
 *   npx tsx examples/express/server.ts --simulate     # no Zoom account: drives itself with the local simulator
 *
 * Point your Zoom app's event subscription at https://<your-host>/zoom/webhook (PORT and WEBHOOK_PATH change it).
 */
import express from 'express';
import { RtmsClient } from 'rtms-client';

const simulate = process.argv.includes('--simulate');
const port = Number(process.env.PORT ?? 3000);
const path = process.env.WEBHOOK_PATH ?? '/zoom/webhook';

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

const app = express();

// The webhook route is registered before any app-wide express.json(): the signature covers the raw bytes, and a
// body that was already parsed cannot be verified. express.raw() leaves req.body as a Buffer.
app.post(path, express.raw({ type: 'application/json', limit: '1mb' }), async (req, res) => {
  const answer = await client.handleWebhook({ headers: req.headers, body: req.body }); // never throws
  res.status(answer.status).set(answer.headers ?? {}).send(answer.body);
});

// The rest of your app can use JSON parsing as usual.
app.use(express.json());
app.get('/healthz', (_req, res) => {
  res.json({ sessions: client.sessions.size });
});

const server = app.listen(port, () => {
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
  await stream.playMeeting({ durationMs: 4_000, audioFrameMs: 0 });
  await postWebhook(webhookUrl, stream.webhook('stopped'));
  await stream.socketsClosed();
  await sim.close();
  await shutdown();
}
