/**
 * Zoom RTMS webhooks in a Next.js App Router route handler: app/api/zoom/webhook/route.ts.
 *
 * Copy this file into your Next.js app (and `npm install rtms-client`), set ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET and
 * ZOOM_SECRET_TOKEN, and point your Zoom app's event subscription at https://<your-host>/api/zoom/webhook.
 *
 *   next dev                                                        # or: next build && next start
 *   npx rtms-client simulate --webhook http://localhost:3000/api/zoom/webhook   # drive it without Zoom
 *   npx tsx examples/nextjs/simulate.ts     # in this repository: this route on node:http, no Next.js needed
 *
 * Run Next.js as a long-lived Node.js server (`next start`, a container, a VM). A session holds WebSockets open
 * for the whole meeting; serverless functions that freeze after the response, and the Edge runtime, cannot.
 * next.config.mjs must keep rtms-client and ws out of the server bundle (`serverExternalPackages`): bundled, ws
 * cannot send a frame. See examples/nextjs/README.md.
 */
import { RtmsClient } from 'rtms-client';

/** The SDK needs node:crypto and WebSockets: the Node.js runtime, not Edge. */
export const runtime = 'nodejs';
/** Never cache or prerender a webhook endpoint. */
export const dynamic = 'force-dynamic';

const MAX_BODY_BYTES = 1024 * 1024;

// One RtmsClient per process. It lives on globalThis because `next dev` re-evaluates route modules on every edit:
// a module-level client would be replaced (and its live sessions orphaned) each time. It is created on the first
// request, not at import, so `next build` works without the credentials.
const CLIENT_KEY = Symbol.for('rtms-client.examples.nextjs');
type Holder = { [CLIENT_KEY]?: RtmsClient };

function rtms(): RtmsClient {
  const holder = globalThis as Holder;
  holder[CLIENT_KEY] ??= createClient();
  return holder[CLIENT_KEY];
}

function createClient(): RtmsClient {
  const { ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET, ZOOM_SECRET_TOKEN } = process.env;
  if (!ZOOM_CLIENT_ID || !ZOOM_CLIENT_SECRET || !ZOOM_SECRET_TOKEN) {
    throw new Error('set ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET and ZOOM_SECRET_TOKEN');
  }
  const client = new RtmsClient({
    clientId: ZOOM_CLIENT_ID,
    clientSecret: ZOOM_CLIENT_SECRET,
    webhookSecretToken: ZOOM_SECRET_TOKEN,
    media: ['transcript'], // ask only for what we use: no audio crosses the wire
    maxWebhookBodyBytes: MAX_BODY_BYTES,
    logger: { info: console.info, warn: console.warn, error: console.error }, // no debug lines
  });
  client.on('session', (session) => {
    console.log(`stream ${session.id} started (${session.product})`);
    // Hand transcripts to the rest of your app here: a database, a queue, a server-sent-events route...
    session.on('transcript', (t) => console.log(`[${session.id}] ${t.userName ?? t.channelId ?? 'unknown'}: ${t.text}`));
    session.on('error', (err) => console.warn(`[${session.id}] ${err.code}: ${err.message}`));
    void session.closed().then((end) => {
      const reason = end.stopReasonName ? `, ${end.stopReasonName}` : '';
      console.log(`stream ${session.id} ended: ${end.state} (${end.cause}${reason})`);
    });
  });
  return client;
}

export async function POST(request: Request): Promise<Response> {
  let client: RtmsClient;
  try {
    client = rtms();
  } catch (err) {
    console.error(`zoom webhook: ${err instanceof Error ? err.message : String(err)}`);
    return Response.json({ error: 'RTMS_NOT_CONFIGURED' }, { status: 500 });
  }
  // Refuse a declared oversize body before reading it (handleWebhook also checks what was read).
  if (Number(request.headers.get('content-length') ?? 0) > MAX_BODY_BYTES) {
    return Response.json({ error: 'RTMS_WEBHOOK_BODY_TOO_LARGE' }, { status: 413 });
  }
  // The signature covers the raw bytes: read them with arrayBuffer(), never request.json().
  const body = new Uint8Array(await request.arrayBuffer());
  const answer = await client.handleWebhook({ headers: request.headers, body }); // never throws; Fetch Headers are fine
  return new Response(answer.body, { status: answer.status, headers: answer.headers });
}
