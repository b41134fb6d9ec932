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
import { exampleCredentials, printTranscripts, simulateMeeting, simulating } from '../shared/app.js';

const port = Number(process.env.PORT ?? 3000);
const path = process.env.WEBHOOK_PATH ?? '/zoom/webhook';

// Made up with --simulate, else ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET and ZOOM_SECRET_TOKEN (see ../shared/app.ts).
const client = new RtmsClient({
  ...exampleCredentials(),
  media: ['transcript'], // ask only for what we use: no audio crosses the wire
  logger: { info: console.info, warn: console.warn, error: console.error }, // no debug lines
});
printTranscripts(client); // what this app does with each stream: print its transcripts and how it ended

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
  if (simulating) void simulateMeeting(`http://localhost:${port}${path}`, { audioFrameMs: 0 }).then(shutdown);
});

async function shutdown(): Promise<void> {
  server.close();
  await client.close(); // ends every stream and releases every socket
}
process.once('SIGINT', () => void shutdown());
process.once('SIGTERM', () => void shutdown());

