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
  if (simulating) void simulateMeeting(`http://localhost:${port}${path}`, { audioFrameMs: 0 }).then(shutdown);
});

async function shutdown(): Promise<void> {
  server.close();
  await client.close(); // ends every stream and releases every socket
}
process.once('SIGINT', () => void shutdown());
process.once('SIGTERM', () => void shutdown());

