/**
 * Zoom RTMS on Bun, with the Web-standard handler (`client.fetchHandler()`): one line serves the webhooks and the
 * load balancer's health check (GET/HEAD on the same route answer 200/503 and a small JSON body).
 *
 *   bun add rtms-client
 *   ZOOM_CLIENT_ID=... ZOOM_CLIENT_SECRET=... ZOOM_SECRET_TOKEN=... bun run examples/web-standard/bun.ts
 *
 * CI runs this file as it is under real Bun (scripts/check-runtimes.sh): `rtms-client simulate` drives it through
 * URL validation and a signed meeting, then SIGTERM must let it exit by itself. round-trip.ts, beside it, checks
 * the same handler in detail (refusals, health, counters).
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
