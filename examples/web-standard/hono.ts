/**
 * Zoom RTMS in a Hono app, with the Web-standard handler: the same app runs on Bun (`export default app`), Deno
 * (`Deno.serve(app.fetch)`) and Node (`@hono/node-server`). `client.fetchHandler()` reads the raw body from the
 * Request itself, bounded by `maxWebhookBodyBytes`, so no body-limit middleware is needed.
 *
 *   bun run examples/web-standard/hono.ts                                  # Bun serves the default export
 *   deno serve --port 3000 --allow-net --allow-env examples/web-standard/hono.ts   # so does `deno serve`
 *
 * CI serves this file's default export under real Bun and Deno, as above, and drives it with `rtms-client
 * simulate` (scripts/check-runtimes.sh); `createApp` is tested under Node (test/integration/operations.test.ts).
 */
import { Hono } from 'hono';
import { RtmsClient } from 'rtms-client';

/** The app: POST on the webhook path is a webhook; GET/HEAD on it (and `/healthz`) the health check. */
export function createApp(client: RtmsClient, path = '/zoom/webhook'): Hono {
  const rtms = client.fetchHandler();
  const app = new Hono();
  app.on(['POST', 'GET', 'HEAD'], path, (c) => rtms(c.req.raw));
  app.get('/healthz', (c) => rtms(c.req.raw)); // a separate probe path, same answer
  return app;
}

const env = (name: string): string => (typeof process === 'object' ? (process.env[name] ?? '') : '');

/** Built only when run as a program with credentials (importing this file for its `createApp` opens nothing). */
function main(): Hono | undefined {
  if (env('ZOOM_CLIENT_ID') === '') return undefined;
  const client = new RtmsClient({ clientId: env('ZOOM_CLIENT_ID'), clientSecret: env('ZOOM_CLIENT_SECRET'), webhookSecretToken: env('ZOOM_SECRET_TOKEN'), media: ['transcript'] });
  client.on('session', (session) => session.on('transcript', (t) => console.log(`${t.userName ?? '?'}: ${t.text}`)));
  return createApp(client);
}

export default main();
