/**
 * Zoom RTMS transcripts in a Fastify 5 app (`npm install fastify`).
 *
 *   ZOOM_CLIENT_ID=... ZOOM_CLIENT_SECRET=... ZOOM_SECRET_TOKEN=... npx tsx examples/fastify/server.ts
 *   npx tsx examples/fastify/server.ts --simulate     # no Zoom account: drives itself with the local simulator
 *
 * Point your Zoom app's event subscription at https://<your-host>/zoom/webhook (PORT and WEBHOOK_PATH change it).
 */
import Fastify from 'fastify';
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

const app = Fastify({ bodyLimit: MAX_BODY_BYTES });

// The signature covers the raw bytes, so the webhook route lives in its own plugin scope whose JSON parser hands
// over the body as a Buffer. The rest of the app keeps Fastify's normal JSON parsing.
void app.register(async (scope) => {
  scope.removeAllContentTypeParsers(); // whatever the content-type (Zoom sends application/json), keep the bytes
  scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  scope.post(path, async (req, reply) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0); // no body at all: handleWebhook answers 400
    const answer = await client.handleWebhook({ headers: req.headers, body }); // never throws
    return reply.code(answer.status).headers(answer.headers ?? {}).send(answer.body);
  });
});

// The rest of your app, with Fastify's JSON parser as usual.
app.get('/healthz', async () => ({ sessions: client.sessions.size }));

await app.listen({ port, host: '::' });
console.log(`listening on http://localhost:${port}${path}`);
if (simulate) void runSimulation(`http://localhost:${port}${path}`);

async function shutdown(): Promise<void> {
  await client.close(); // ends every stream and releases every socket
  await app.close();
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
