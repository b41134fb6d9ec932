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
import { exampleCredentials, printTranscripts, simulateMeeting, simulating } from '../shared/app.js';

const port = Number(process.env.PORT ?? 3000);
const path = process.env.WEBHOOK_PATH ?? '/zoom/webhook';
const MAX_BODY_BYTES = 1024 * 1024;

// Made up with --simulate, else ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET and ZOOM_SECRET_TOKEN (see ../shared/app.ts).
const client = new RtmsClient({
  ...exampleCredentials(),
  media: ['transcript'], // ask only for what we use: no audio crosses the wire
  maxWebhookBodyBytes: MAX_BODY_BYTES,
  logger: { info: console.info, warn: console.warn, error: console.error }, // no debug lines
});
printTranscripts(client); // what this app does with each stream: print its transcripts and how it ended

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
if (simulating) void simulateMeeting(`http://localhost:${port}${path}`, { audioFrameMs: 0 }).then(shutdown);

async function shutdown(): Promise<void> {
  await client.close(); // ends every stream and releases every socket
  await app.close();
}
process.once('SIGINT', () => void shutdown());
process.once('SIGTERM', () => void shutdown());

