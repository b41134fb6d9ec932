/**
 * Apps for the CLI tests to drive: a correct one on RtmsClient, deliberately broken ones, and a fake CliIo.
 * Everything listens on 127.0.0.1, port 0, and is closed when the test that made it finishes.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { onTestFinished } from 'vitest';
import { WebSocket } from 'ws';
import type { CliIo } from '../../src/cli/main.js';
import { RtmsClient, generateSignature, wsSocketFactory, type RtmsClientOptions, type SocketFactory } from '../../src/index.js';

export const APP = {
  clientId: 'cli-test-client-id',
  clientSecret: 'cli-test-client-secret-DO-NOT-PRINT',
  webhookSecretToken: 'cli-test-webhook-token-DO-NOT-PRINT',
} as const;

/** A CliIo that records what the command writes. */
export function fakeIo(env: Record<string, string | undefined> = {}): CliIo & { out: () => string; err: () => string; all: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    stdout: (t) => void out.push(t),
    stderr: (t) => void err.push(t),
    env,
    out: () => out.join(''),
    err: () => err.join(''),
    all: () => out.join('') + err.join(''),
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** A loopback port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Listens on 127.0.0.1:0; closed (with every connection) when the test finishes. Resolves with the webhook URL. */
export async function listen(server: Server, path = '/webhook'): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
}

export interface RtmsAppOptions {
  /** Client options (credentials default to {@link APP}). */
  client?: Partial<RtmsClientOptions>;
  /** Answer every webhook with this status instead of the SDK's (after handling it). */
  forceStatus?: number;
  /** A common mistake: verify `JSON.stringify(JSON.parse(body))` instead of the raw body. */
  reserializeBody?: boolean;
  /** Another one: a JSON body parser runs first and the handler gets the parsed object. */
  parsedBody?: boolean;
  /** Cut the client's media socket (no close frame) this long after it opens, once; the SDK then reconnects. */
  cutMediaAfterMs?: number;
}

/** A node:http app on RtmsClient, as a user would write it. Records the transcripts it received. */
export async function rtmsApp(options: RtmsAppOptions = {}): Promise<{ url: string; client: RtmsClient; transcripts: string[] }> {
  let cut = false;
  const socketFactory: SocketFactory | undefined =
    options.cutMediaAfterMs === undefined
      ? undefined
      : (url, handlers, opts) => {
          const socket = wsSocketFactory(url, handlers, opts);
          if (!cut && url.includes('/media/')) {
            cut = true;
            const timer = setTimeout(() => socket.terminate(), options.cutMediaAfterMs);
            onTestFinished(() => clearTimeout(timer));
          }
          return socket;
        };
  const client = new RtmsClient({ ...APP, media: ['transcript'], ...(socketFactory ? { socketFactory } : {}), ...options.client });
  onTestFinished(() => client.close());
  const transcripts: string[] = [];
  client.on('session', (s) => s.on('transcript', (t) => transcripts.push(`${t.userName}: ${t.text}`)));
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void readBody(req).then(async (raw) => {
      let body: unknown = raw;
      if (options.reserializeBody) body = JSON.stringify(JSON.parse(raw.toString('utf8')));
      if (options.parsedBody) body = JSON.parse(raw.toString('utf8'));
      const answer = await client.handleWebhook({ headers: req.headers, body: body as string });
      if (options.forceStatus !== undefined) res.writeHead(options.forceStatus, { 'content-type': 'text/plain' }).end('internal error');
      else res.writeHead(answer.status, answer.headers).end(answer.body);
    });
  });
  return { url: await listen(server), client, transcripts };
}

export interface RawAppOptions {
  /** Send CLIENT_READY_ACK after the media handshake. Default true. */
  readyAck?: boolean;
  /** Added to the echoed keep-alive timestamp (non-zero: a wrong echo). Default 0. */
  keepAliveSkew?: number;
  /** Send protocol_version and sequence in the signaling handshake. Default true. */
  fullHandshake?: boolean;
  /** Client secret used to sign handshakes. Default {@link APP}'s. */
  clientSecret?: string;
  /** Answer keep-alive requests. Default true. */
  answerKeepAlives?: boolean;
  /** Crash this long after the media handshake: sockets cut without a close frame, the HTTP server gone. */
  crashAfterMs?: number;
  /** Close the media socket (code 1000) this long after its handshake, and never reconnect it. */
  dropMediaAfterMs?: number;
  /** Stop reading the media socket this long after its handshake (it stays open; nothing is consumed). */
  pauseMediaAfterMs?: number;
}

/**
 * A hand-written RTMS app on raw `ws` (meetings only, transcripts on the `all` URL), with switchable faults. It
 * closes its sockets on `meeting.rtms_stopped`.
 */
export async function rawApp(options: RawAppOptions = {}): Promise<{ url: string }> {
  const rtms = rawRtms(options);
  const server = createServer((req, res) => {
    void readBody(req).then((body) => {
      rtms.onWebhook(JSON.parse(body.toString()) as { event: string; payload: Record<string, string> });
      res.writeHead(200).end();
    });
  });
  rtms.onCrash(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: await listen(server) };
}

export interface RawEventAppOptions extends RawAppOptions {
  /** The app's client secret for the token request. Default {@link APP}'s. */
  tokenSecret?: string;
  /** Open the event socket without `access_token`. */
  noAccessToken?: boolean;
  /** A common mistake: take `content` as an object, not as JSON text to parse a second time. */
  parseContentOnce?: boolean;
  /** Send `{"module":"heartbeat"}` on open. Default true. */
  heartbeat?: boolean;
  /** Close the event socket for good right after rtms_started arrives. */
  closeEventSocketAfterStarted?: boolean;
  /** Also hold a second event socket (same token) that does nothing, for the whole run. */
  secondEventSocket?: boolean;
}

/**
 * The same raw app, receiving its events over the event WebSocket instead of webhooks: one token request
 * (client credentials), one event socket with `&access_token=`, a heartbeat on open, `content` parsed twice. Never
 * reconnects the event socket. Closed when the test finishes.
 */
export async function rawEventApp(endpoints: { eventSocketUrl: string; tokenUrl: string }, options: RawEventAppOptions = {}): Promise<{ eventSocket: WebSocket }> {
  const rtms = rawRtms(options);
  const basic = Buffer.from(`${APP.clientId}:${options.tokenSecret ?? APP.clientSecret}`).toString('base64');
  const res = await fetch(`${endpoints.tokenUrl}?grant_type=client_credentials`, { method: 'POST', headers: { authorization: `Basic ${basic}` } });
  const { access_token: token } = (await res.json()) as { access_token?: string };
  const ws = new WebSocket(options.noAccessToken || token === undefined ? endpoints.eventSocketUrl : `${endpoints.eventSocketUrl}&access_token=${token}`);
  onTestFinished(() => ws.terminate());
  if (options.secondEventSocket) {
    const idle = new WebSocket(`${endpoints.eventSocketUrl}&access_token=${token}`);
    idle.on('error', () => undefined);
    onTestFinished(() => idle.terminate());
  }
  rtms.onCrash(() => ws.terminate());
  ws.on('error', () => undefined);
  ws.on('open', () => {
    if (options.heartbeat ?? true) ws.send('{"module":"heartbeat"}');
  });
  ws.on('message', (data) => {
    const frame = JSON.parse(String(data)) as { module?: string; content?: unknown };
    if (frame.module !== 'message') return;
    const body = (options.parseContentOnce ? frame.content : JSON.parse(String(frame.content))) as { event: string; payload: Record<string, string> };
    rtms.onWebhook(body);
    if (body.event === 'meeting.rtms_started' && options.closeEventSocketAfterStarted) ws.close(1000);
  });
  return { eventSocket: ws };
}

/** The RTMS side of the raw apps: handles a webhook body; `onCrash` runs on a crash (crashAfterMs). */
function rawRtms(options: RawAppOptions): { onWebhook(body: { event?: string; payload?: Record<string, string> }): void; onCrash(fn: () => void): void } {
  const crashHooks: (() => void)[] = [];
  const sockets = new Set<WebSocket>();
  onTestFinished(() => {
    for (const ws of sockets) ws.terminate();
  });
  const secret = options.clientSecret ?? APP.clientSecret;
  const later = (fn: () => void, ms: number) => {
    const t = setTimeout(fn, ms);
    onTestFinished(() => clearTimeout(t));
  };
  const connect = (meetingUuid: string, streamId: string, serverUrl: string) => {
    const signature = generateSignature({ clientId: APP.clientId, clientSecret: secret, id: meetingUuid, streamId });
    const signaling = new WebSocket(serverUrl);
    sockets.add(signaling);
    const answerKeepAlives = (ws: WebSocket, msg: Record<string, unknown>) => {
      if (msg['msg_type'] === 12 && (options.answerKeepAlives ?? true)) ws.send(JSON.stringify({ msg_type: 13, timestamp: Number(msg['timestamp']) + (options.keepAliveSkew ?? 0) }));
    };
    signaling.on('error', () => undefined);
    signaling.on('open', () => {
      const full = options.fullHandshake ?? true;
      signaling.send(JSON.stringify({ msg_type: 1, ...(full ? { protocol_version: 1, sequence: 0 } : {}), meeting_uuid: meetingUuid, rtms_stream_id: streamId, signature }));
    });
    signaling.on('message', (data) => {
      const msg = JSON.parse(String(data)) as Record<string, unknown>;
      answerKeepAlives(signaling, msg);
      if (msg['msg_type'] !== 2 || msg['status_code'] !== 0) return;
      const urls = (msg['media_server'] as { server_urls: Record<string, string> }).server_urls;
      const media = new WebSocket(urls['all']!);
      sockets.add(media);
      media.on('error', () => undefined);
      media.on('open', () =>
        media.send(JSON.stringify({ msg_type: 3, protocol_version: 1, sequence: 0, meeting_uuid: meetingUuid, rtms_stream_id: streamId, signature, media_type: 8 })),
      );
      media.on('message', (d) => {
        const m = JSON.parse(String(d)) as Record<string, unknown>;
        answerKeepAlives(media, m);
        if (m['msg_type'] === 4 && m['status_code'] === 0 && (options.readyAck ?? true)) {
          signaling.send(JSON.stringify({ msg_type: 7, rtms_stream_id: streamId }));
          if (options.dropMediaAfterMs !== undefined) later(() => media.close(1000), options.dropMediaAfterMs);
          if (options.pauseMediaAfterMs !== undefined) later(() => media.pause(), options.pauseMediaAfterMs);
          if (options.crashAfterMs !== undefined) {
            later(() => {
              for (const ws of sockets) ws.terminate();
              for (const fn of crashHooks) fn();
            }, options.crashAfterMs);
          }
        }
      });
    });
  };
  return {
    onWebhook: ({ event, payload }) => {
      // A body taken the wrong way (an object where JSON text was expected) has no event: nothing happens.
      if (event === 'meeting.rtms_started' && payload !== undefined) connect(payload['meeting_uuid']!, payload['rtms_stream_id']!, payload['server_urls']!);
      if (event === 'meeting.rtms_stopped') for (const ws of sockets) ws.close(1000);
    },
    onCrash: (fn) => void crashHooks.push(fn),
  };
}
