/**
 * Zoom RTMS transcripts with nothing but node:http.
 *
 *   ZOOM_CLIENT_ID=... ZOOM_CLIENT_SECRET=... ZOOM_SECRET_TOKEN=... npx tsx examples/node-http/server.ts
 *   npx tsx examples/node-http/server.ts --simulate     # no Zoom account: drives itself with the local simulator
 *
 * Point your Zoom app's event subscription at https://<your-host>/zoom/webhook (PORT and WEBHOOK_PATH change it).
 */
import { createServer, type IncomingMessage } from 'node:http';
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

/**
 * Reads the raw body: the signature covers these exact bytes, so never parse and re-serialise. Past the limit it
 * keeps draining without storing; handleWebhook then answers 413.
 */
function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let stored = 0;
    req.on('data', (chunk: Buffer) => {
      if (stored > MAX_BODY_BYTES) return;
      chunks.push(chunk);
      stored += chunk.length;
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const server = createServer(async (req, res) => {
  if (req.method !== 'POST' || req.url?.split('?')[0] !== path) {
    res.writeHead(404).end();
    return;
  }
  let body: Buffer;
  try {
    body = await readBody(req);
  } catch {
    return; // the connection failed mid-body; there is no one to answer
  }
  const answer = await client.handleWebhook({ headers: req.headers, body }); // never throws
  res.writeHead(answer.status, answer.headers).end(answer.body);
});

server.listen(port, () => {
  console.log(`listening on http://localhost:${port}${path}`);
  if (simulating) void simulateMeeting(`http://localhost:${port}${path}`, { audioFrameMs: 0 }).then(shutdown);
});

async function shutdown(): Promise<void> {
  server.close();
  await client.close(); // ends every stream and releases every socket
}
process.once('SIGINT', () => void shutdown());
process.once('SIGTERM', () => void shutdown());

