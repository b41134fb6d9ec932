/**
 * Zoom RTMS on Deno, with the Web-standard handler (`client.fetchHandler()`): one line serves the webhooks and
 * the load balancer's health check (GET/HEAD answer 200/503 and a small JSON body).
 *
 *   deno run --allow-net --allow-env examples/web-standard/deno.ts    # with rtms-client in package.json,
 *                                                                     # or import from 'npm:rtms-client'
 *
 * `--allow-env` is needed even without credentials in the environment: `ws` reads WS_NO_BUFFER_UTIL when it loads.
 * No file access is needed. CI runs this file as it is under real Deno (scripts/check-runtimes.sh):
 * `rtms-client simulate` drives it through URL validation and a signed meeting, then SIGTERM must let it exit by
 * itself. round-trip.ts, beside it, checks the same handler in detail (refusals, health, counters).
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
