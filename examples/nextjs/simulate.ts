/**
 * Runs the Next.js route handler (app/api/zoom/webhook/route.ts) without Next.js, against the local RTMS
 * simulator: one command, no Zoom account, no Next build.
 *
 *   npx tsx examples/nextjs/simulate.ts
 *
 * It serves the route on node:http at http://localhost:3000/api/zoom/webhook (PORT changes the port) with made-up
 * credentials, POSTs a signed meeting.rtms_started to it, plays a short meeting, sends meeting.rtms_stopped, and
 * exits. In a real Next.js app, run `next dev` and drive it with `npx rtms-client simulate` instead.
 */
import type { AddressInfo } from 'node:net';
import type { RtmsClient } from 'rtms-client';
import { exampleCredentials, simulateMeeting } from '../shared/app.js';
import { routeServer, type RouteModule } from './node-adapter.js';

const port = Number(process.env.PORT ?? 3000);
const path = '/api/zoom/webhook';
const credentials = exampleCredentials(true); // made up; the simulator uses the same

// The route reads its credentials from the environment on its first request, as it would in Next.js.
process.env.ZOOM_CLIENT_ID = credentials.clientId;
process.env.ZOOM_CLIENT_SECRET = credentials.clientSecret;
process.env.ZOOM_SECRET_TOKEN = credentials.webhookSecretToken;

const route = (await import('./app/api/zoom/webhook/route.js')) as RouteModule;
const server = routeServer(route, path);
await new Promise<void>((resolve) => server.listen(port, resolve));
const webhookUrl = `http://localhost:${(server.address() as AddressInfo).port}${path}`;
console.log(`listening on ${webhookUrl}`);

await simulateMeeting(webhookUrl, { audioFrameMs: 0 });

// The route keeps its client on globalThis (see route.ts); close it so the process can exit.
await (globalThis as { [key: symbol]: RtmsClient | undefined })[Symbol.for('rtms-client.examples.nextjs')]?.close();
server.close();
