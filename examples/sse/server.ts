/**
 * Live transcripts in the browser with Server-Sent Events: a `node:http` server with one tiny HTML page (inline,
 * no build step), an EventSource endpoint `/events` that pushes every transcript line (stream id, speaker, text,
 * time) to every connected browser, and the Zoom webhook endpoint `/webhook`.
 *
 *   npx tsx examples/sse/server.ts --simulate          # open the printed URL; meetings play while a browser is connected
 *   npx tsx examples/sse/server.ts --simulate --once   # one meeting, read by an in-process "browser", then exit
 *   ZOOM_CLIENT_ID=... ZOOM_CLIENT_SECRET=... ZOOM_SECRET_TOKEN=... npx tsx examples/sse/server.ts
 *
 * `PORT` (default 3000; 0 picks a free port) and `WEBHOOK_PATH` (default `/webhook`) change where it listens.
 *
 * Server-Sent Events need no library on either side: the browser's `EventSource` reconnects by itself, and the
 * server writes `data: <json>\n\n` to each open response. What a real deployment needs, and this file does:
 * - a disconnected browser is forgotten at once (`close` on the response), so nothing leaks;
 * - the number of browsers is capped (`maxClients`; 503 beyond it);
 * - a browser that stops reading is cut off once `maxBufferedBytes` are waiting for it, so one slow tab cannot
 *   grow the server's memory (its EventSource reconnects);
 * - a comment line every 15 s keeps proxies and load balancers from closing idle connections.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { RtmsClient, type RtmsSession, type TranscriptEvent, type UserId } from 'rtms-client';
import { exampleCredentials } from '../shared/app.js';

/** What the browser receives for each transcript line (the `data:` of an unnamed event). */
export interface TranscriptMessage {
  /** RTMS stream id: one per meeting, webinar, Video SDK session or engagement. */
  readonly streamId: string;
  /** The speaker's name; `channel <id>` for Contact Center; `Unknown` when the frame names nobody. */
  readonly speaker: string;
  /** The speaker's user id, when the frame has one. */
  readonly userId: UserId | null;
  /** What was said. */
  readonly text: string;
  /** When the utterance started, Unix ms (the server's time when the frame has none). */
  readonly time: number;
}

/** What the browser receives when a stream starts or ends (`event: stream`). */
export interface StreamMessage {
  readonly streamId: string;
  readonly state: 'started' | 'ended';
  /** How it ended (`webhook_stopped`, `error`, ...), for `ended`. */
  readonly cause?: string;
}

/** Options of {@link SseHub}. */
export interface SseHubOptions {
  /** Most browsers connected at once; more get 503. Default 100. */
  maxClients?: number;
  /** Interval of the keep-alive comment. Default 15 000 ms. */
  heartbeatMs?: number;
  /** Bytes allowed to wait for one browser before it is disconnected. Default 1 MiB. */
  maxBufferedBytes?: number;
  /** The `retry:` (ms) sent to browsers: how long EventSource waits before reconnecting. Default 3 000. */
  retryMs?: number;
}

/** The set of connected browsers, and broadcasting to them. */
export class SseHub {
  readonly #clients = new Set<ServerResponse>();
  readonly #maxClients: number;
  readonly #heartbeatMs: number;
  readonly #maxBuffered: number;
  readonly #retryMs: number;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  constructor(options: SseHubOptions = {}) {
    this.#maxClients = options.maxClients ?? 100;
    this.#heartbeatMs = options.heartbeatMs ?? 15_000;
    this.#maxBuffered = options.maxBufferedBytes ?? 1024 * 1024;
    this.#retryMs = options.retryMs ?? 3_000;
  }

  /** Browsers connected now. */
  get size(): number {
    return this.#clients.size;
  }

  /** Answers an EventSource request: keeps the response open and registers it, or refuses it (503) when full. */
  accept(req: IncomingMessage, res: ServerResponse): boolean {
    if (this.#closed || this.#clients.size >= this.#maxClients) {
      res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '10' }).end('too many listeners\n');
      return false;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no', // nginx: do not buffer the stream
    });
    res.write(`retry: ${this.#retryMs}\n: connected\n\n`);
    req.socket.setNoDelay(true);
    this.#clients.add(res);
    // 'close' fires when the browser goes away (tab closed, network lost) and after we end the response. An event
    // stream's connection is never reused, so it goes with the response.
    res.once('close', () => {
      this.#remove(res);
      req.socket.destroy();
    });
    if (this.#heartbeat === undefined) {
      this.#heartbeat = setInterval(() => this.#writeAll(': heartbeat\n\n'), this.#heartbeatMs);
      this.#heartbeat.unref();
    }
    return true;
  }

  /** Sends `data` as JSON to every browser, as an unnamed event (`onmessage`) or a named one. */
  send(data: unknown, event?: string): void {
    // JSON.stringify escapes line breaks inside strings, so the payload is always one `data:` line.
    this.#writeAll(`${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`);
  }

  /** Ends every response and stops the heartbeat. Later requests get 503. */
  close(): void {
    this.#closed = true;
    for (const res of [...this.#clients]) res.end();
    this.#clients.clear();
    this.#stopHeartbeat();
  }

  #writeAll(chunk: string): void {
    for (const res of this.#clients) {
      if (res.writableLength > this.#maxBuffered) {
        res.destroy(); // this browser is not reading: drop it rather than buffer without bound ('close' removes it)
        continue;
      }
      res.write(chunk);
    }
  }

  #remove(res: ServerResponse): void {
    this.#clients.delete(res);
    if (this.#clients.size === 0) this.#stopHeartbeat();
  }

  #stopHeartbeat(): void {
    if (this.#heartbeat !== undefined) clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }
}

/** The browser-side message for one transcript line. */
export function toMessage(session: RtmsSession, t: TranscriptEvent): TranscriptMessage {
  const speaker = t.userName || (t.channelId !== undefined ? `channel ${t.channelId}` : t.userId !== undefined ? (session.participants.get(t.userId)?.userName ?? `user ${t.userId}`) : 'Unknown');
  return { streamId: session.id, speaker, userId: t.userId ?? null, text: t.text, time: t.startTime ?? t.timestamp ?? Date.now() };
}

/** Options of {@link createTranscriptServer}. */
export interface TranscriptServerOptions extends SseHubOptions {
  /** Path Zoom POSTs webhooks to. Default `/webhook`. */
  webhookPath?: string;
  /** Largest webhook body read, in bytes (413 above). Default 1 MiB. */
  maxBodyBytes?: number;
}

/** A running transcript server. */
export interface TranscriptServer {
  /** The HTTP server (not listening yet: call `listen`). */
  readonly server: Server;
  /** The connected browsers. */
  readonly hub: SseHub;
  /** Disconnects every browser, stops every stream and closes the server. */
  close(): Promise<void>;
}

/**
 * Builds the server: `GET /` the page, `GET /events` the event stream, `POST <webhookPath>` Zoom's webhooks. Every
 * transcript of every session of `client` goes to every browser.
 */
export function createTranscriptServer(client: RtmsClient, options: TranscriptServerOptions = {}): TranscriptServer {
  const hub = new SseHub(options);
  const webhookPath = options.webhookPath ?? '/webhook';
  const maxBody = options.maxBodyBytes ?? 1024 * 1024;

  const onSession = (session: RtmsSession): void => {
    hub.send({ streamId: session.id, state: 'started' } satisfies StreamMessage, 'stream');
    session.on('transcript', (t) => hub.send(toMessage(session, t)));
    void session.closed().then((end) => hub.send({ streamId: session.id, state: 'ended', cause: end.cause } satisfies StreamMessage, 'stream'));
  };
  client.on('session', onSession);

  // Connections, and which of them have a request in progress: on close, idle ones (including connections a
  // client opened ahead of time and never used) are cut at once instead of lingering until their keep-alive ends.
  const sockets = new Set<Socket>();
  const busy = new Set<Socket>();
  let closing = false;
  const server = createServer((req, res) => {
    const socket = req.socket;
    busy.add(socket);
    res.once('close', () => {
      busy.delete(socket);
      if (closing) socket.destroy();
    });
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method === 'GET' && path === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' }).end(PAGE);
      return;
    }
    if (req.method === 'GET' && path === '/events') {
      hub.accept(req, res);
      return;
    }
    if (req.method === 'POST' && path === webhookPath) {
      void readBody(req, maxBody).then(async (body) => {
        if (body === undefined) return void res.writeHead(413, { connection: 'close' }).end();
        const out = await client.handleWebhook({ headers: req.headers, body }); // the raw bytes: signatures cover them
        res.writeHead(out.status, out.headers).end(out.body);
      });
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  return {
    server,
    hub,
    async close() {
      closing = true;
      hub.close();
      client.off('session', onSession);
      await client.close();
      await new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
        for (const socket of sockets) if (!busy.has(socket)) socket.destroy();
      });
    },
  };
}

/** Reads a request body up to `max` bytes; undefined when larger (the rest is discarded). */
async function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  if (Number(req.headers['content-length'] ?? 0) > max) {
    req.resume();
    return undefined;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) {
      req.resume();
      return undefined;
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The page: an EventSource and a list. Text goes in with `textContent`, never as HTML. */
const PAGE = `<!doctype html>
<html lang="en">
<meta charset="utf-8">
<title>Live transcript</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 16px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 50rem; padding: 0 1rem; color: #222; }
  #status { font-size: .85rem; color: #666; }
  ol { list-style: none; padding: 0; }
  li { padding: .3rem 0; border-bottom: 1px solid #eee; }
  time { color: #888; font-size: .8rem; margin-right: .5rem; font-variant-numeric: tabular-nums; }
  b { margin-right: .4rem; }
  li.note { color: #888; font-style: italic; }
</style>
<h1>Live transcript</h1>
<p id="status">connecting…</p>
<ol id="lines"></ol>
<script>
  const lines = document.getElementById('lines');
  const status = document.getElementById('status');
  function add(parts, note) {
    const li = document.createElement('li');
    if (note) li.className = 'note';
    for (const [tag, text] of parts) {
      const el = document.createElement(tag);
      el.textContent = text;
      li.append(el);
    }
    lines.append(li);
    li.scrollIntoView({ block: 'end' });
  }
  const events = new EventSource('events');
  events.onopen = () => (status.textContent = 'connected: waiting for a meeting');
  events.onerror = () => (status.textContent = 'disconnected: reconnecting…');
  events.onmessage = (e) => {
    const m = JSON.parse(e.data);
    add([['time', new Date(m.time).toLocaleTimeString()], ['b', m.speaker], ['span', m.text]]);
  };
  events.addEventListener('stream', (e) => {
    const m = JSON.parse(e.data);
    status.textContent = m.state === 'started' ? 'live' : 'connected: waiting for a meeting';
    add([['span', 'stream ' + m.streamId.slice(0, 8) + ' ' + m.state + (m.cause ? ' (' + m.cause + ')' : '')]], true);
  });
</script>
`;

// -------------------------------------------------------------------------------------------------------------

/** Reads an SSE response like a browser would (used by `--simulate --once`): calls `onMessage` per unnamed event. */
async function listen(url: string, signal: AbortSignal, onMessage: (m: TranscriptMessage) => void): Promise<void> {
  const res = await fetch(url, { signal, headers: { accept: 'text/event-stream' } });
  if (!res.ok || !res.body) throw new Error(`GET ${url}: ${res.status}`);
  const decoder = new TextDecoder();
  let pending = '';
  void (async () => {
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        pending += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = pending.indexOf('\n\n')) >= 0) {
          const block = pending.slice(0, end);
          pending = pending.slice(end + 2);
          const lines = block.split('\n');
          if (lines.some((l) => l.startsWith('event:'))) continue;
          const data = lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart());
          if (data.length > 0) onMessage(JSON.parse(data.join('\n')) as TranscriptMessage);
        }
      }
    } catch {
      // aborted
    }
  })();
}

async function main(): Promise<void> {
  const simulate = process.argv.includes('--simulate');
  const once = process.argv.includes('--once');
  const credentials = exampleCredentials(simulate);
  const client = new RtmsClient({ ...credentials, media: ['transcript'] });
  const webhookPath = process.env['WEBHOOK_PATH'] ?? '/webhook';
  const app = createTranscriptServer(client, { webhookPath });
  const port = process.env['PORT'] !== undefined ? Number(process.env['PORT']) : once ? 0 : 3000;
  await new Promise<void>((resolve) => app.server.listen(port, resolve));
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  console.log(`open ${base}/ (webhooks: POST ${base}${webhookPath})`);
  const { RtmsSimulator, postWebhook } = simulate ? await import('rtms-client/testing') : { RtmsSimulator: undefined, postWebhook: undefined };
  const sim = RtmsSimulator ? await RtmsSimulator.start(credentials) : undefined;
  let stopping = false;
  const shutdown = (): void => {
    stopping = true;
    void app.close().then(() => sim?.close());
  };
  process.once('SIGINT', shutdown).once('SIGTERM', shutdown);
  if (!sim || !postWebhook) return;

  const browser = new AbortController();
  if (once) {
    // Stand in for a browser, so the run shows what one would display.
    await listen(`${base}/events`, browser.signal, (m) => console.log(`browser: [${m.streamId.slice(0, 8)}] ${m.speaker}: ${m.text}`));
  } else {
    console.log('a simulated meeting plays whenever a browser is connected; Ctrl-C to stop');
  }
  try {
    do {
      while (!once && !stopping && app.hub.size === 0) await new Promise((r) => setTimeout(r, 250));
      if (stopping) break;
      const stream = sim.createStream();
      await postWebhook(`${base}${webhookPath}`, stream.webhook('started'));
      await stream.ready();
      await stream.playMeeting({ durationMs: Number(process.env['DURATION_MS'] ?? 6000), transcriptEveryMs: 800, audioFrameMs: 0 });
      const session = client.sessions.get(stream.streamId);
      await postWebhook(`${base}${webhookPath}`, stream.webhook('stopped'));
      await session?.closed(); // the browser sees this stream end before the next one starts
      sim.deleteStream(stream.streamId);
    } while (!once && !stopping);
  } catch (err) {
    if (!stopping) throw err; // Ctrl-C in the middle of a meeting: the server is already gone
  }
  await new Promise((r) => setTimeout(r, 100)); // let the last events reach the browser
  browser.abort();
  process.off('SIGINT', shutdown).off('SIGTERM', shutdown);
  await app.close();
  await sim.close();
}

if (process.argv[1]?.endsWith('server.ts') && process.argv[1].includes('sse')) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
