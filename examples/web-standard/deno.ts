/**
 * Zoom RTMS on Deno, with the Web-standard handler (`client.fetchHandler()`): one line serves the webhooks and
 * the load balancer's health check (GET/HEAD answer 200/503 and a small JSON body).
 *
 *   deno run --allow-net --allow-env examples/web-standard/deno.ts    # with rtms-client in package.json,
 *                                                                     # or import from 'npm:rtms-client'
 *
 * Not run in CI yet: the script that installs real Deno and runs a signed webhook round trip under it is planned
 * (issue #16). The handler itself is tested under Node with the same global Request and Response.
 */
import { RtmsClient } from 'rtms-client';

/** The part of Deno's API used here (Deno type-checks against its own declarations). */
declare const Deno: {
  serve(options: { port: number }, handler: (request: Request) => Promise<Response>): { shutdown(): Promise<void> };
  env: { get(name: string): string | undefined };
  addSignalListener(signal: 'SIGTERM' | 'SIGINT', handler: () => void): void;
};

const client = new RtmsClient({
  clientId: Deno.env.get('ZOOM_CLIENT_ID') ?? '',
  clientSecret: Deno.env.get('ZOOM_CLIENT_SECRET') ?? '',
  webhookSecretToken: Deno.env.get('ZOOM_SECRET_TOKEN') ?? '',
  media: ['transcript'],
});
client.on('session', (session) => session.on('transcript', (t) => console.log(`${t.userName ?? '?'}: ${t.text}`)));

const server = Deno.serve({ port: Number(Deno.env.get('PORT') ?? 3000) }, client.fetchHandler());

Deno.addSignalListener('SIGTERM', () => {
  void server.shutdown().then(() => client.close());
});
