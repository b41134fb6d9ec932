/**
 * Zoom RTMS on Bun, with the Web-standard handler (`client.fetchHandler()`): one line serves the webhooks and the
 * load balancer's health check (GET/HEAD on the same route answer 200/503 and a small JSON body).
 *
 *   bun add rtms-client
 *   ZOOM_CLIENT_ID=... ZOOM_CLIENT_SECRET=... ZOOM_SECRET_TOKEN=... bun run examples/web-standard/bun.ts
 *
 * Not run in CI yet: the script that installs real Bun and runs a signed webhook round trip under it is planned
 * (issue #16). The handler itself is tested under Node with the same global Request and Response.
 */
import { RtmsClient } from 'rtms-client';

/** The part of Bun's API used here (Bun's own types come with `bun-types`). */
declare const Bun: {
  serve(options: { port: number; fetch: (request: Request) => Promise<Response> }): { stop(): void };
  env: Record<string, string | undefined>;
};

const client = new RtmsClient({
  clientId: Bun.env['ZOOM_CLIENT_ID'] ?? '',
  clientSecret: Bun.env['ZOOM_CLIENT_SECRET'] ?? '',
  webhookSecretToken: Bun.env['ZOOM_SECRET_TOKEN'] ?? '',
  media: ['transcript'],
});
client.on('session', (session) => session.on('transcript', (t) => console.log(`${t.userName ?? '?'}: ${t.text}`)));

// Every path answers: POST is a webhook, GET/HEAD the health check. Mount it on the webhook path only if the
// server does more (see hono.ts).
const server = Bun.serve({ port: Number(Bun.env['PORT'] ?? 3000), fetch: client.fetchHandler() });

process.once('SIGTERM', () => {
  server.stop();
  void client.close();
});
