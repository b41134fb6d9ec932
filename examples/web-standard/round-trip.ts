/**
 * A signed webhook round trip through `client.fetchHandler()`, served by the runtime's own HTTP server:
 * `Bun.serve` under Bun, `Deno.serve` under Deno (and a small `node:http` adapter under Node, as the baseline).
 * The RTMS simulator (`rtms-client/testing`) runs in the same process, under the same runtime.
 *
 *   bun examples/web-standard/round-trip.ts
 *   deno run --allow-net=127.0.0.1 --allow-env --allow-read examples/web-standard/round-trip.ts
 *   npx tsx examples/web-standard/round-trip.ts
 *
 * `scripts/check-runtimes.sh` (CI) runs it under real Bun and Deno against the packed package. It checks, in order:
 *
 * 1. GET and HEAD on the route answer the health check (200, JSON; HEAD without a body).
 * 2. Zoom's `endpoint.url_validation` is answered with the right `encryptedToken`.
 * 3. A `meeting.rtms_started` webhook with a tampered signature, one with a tampered body, and one with a stale
 *    timestamp are refused with 401; bodies over `maxWebhookBodyBytes`, declared or streamed without a
 *    content-length, with 413; none of them opens a socket.
 * 4. The genuine signed webhook is accepted: the session connects, handshakes, and streams a scripted meeting
 *    (transcripts, 16 kHz L16 audio, keep-alives on every socket), plus a non-ASCII transcript that must arrive
 *    byte for byte. Zoom's retry of the same webhook reuses the session.
 * 5. `meeting.rtms_stopped` stops it; the counters match what was seen; the simulator recorded no protocol error.
 * 6. Everything is closed, and the process then exits by itself: a socket or timer left open fails the run.
 *
 * Exit code 0 when every check passed, 1 otherwise. Prints one line per check.
 */
import { Buffer } from 'node:buffer';
import { RtmsClient, computeUrlValidationToken, type FetchHandler, type RtmsSession } from 'rtms-client';
import { DEFAULT_LINES, RtmsSimulator, buildUrlValidationWebhook, postWebhook, type SignedWebhook } from 'rtms-client/testing';

/** The parts of Bun's and Deno's APIs used here (their own type packages have the full ones). */
interface BunApi {
  readonly version: string;
  serve(options: { hostname: string; port: number; fetch: FetchHandler }): { readonly port: number; stop(closeActiveConnections?: boolean): Promise<void> | void };
}
interface DenoApi {
  readonly version: { readonly deno: string };
  serve(options: { hostname: string; port: number; onListen?: (addr: { port: number }) => void }, handler: FetchHandler): { readonly addr: { readonly port: number }; shutdown(): Promise<void> };
}
const runtimes = globalThis as { Bun?: BunApi; Deno?: DenoApi };

const credentials = { clientId: 'rt-client-id', clientSecret: 'rt-client-secret', webhookSecretToken: 'rt-webhook-token' };
/** A small body limit, so that the oversized bodies below stay small. */
const MAX_BODY = 64 * 1024;
const PATH = '/zoom/webhook';
/** Non-ASCII text in three scripts and an emoji (a surrogate pair): decoded wrongly, it would not compare equal. */
const UNICODE_TEXT = 'Grüße aus Zürich, 你好, привет 👋';

/** A running HTTP server for the handler. */
interface Served {
  readonly runtime: string;
  readonly url: string;
  close(): Promise<void>;
}

async function serve(handler: FetchHandler): Promise<Served> {
  const { Bun, Deno } = runtimes;
  if (Bun !== undefined) {
    const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: handler });
    return { runtime: `bun ${Bun.version}`, url: `http://127.0.0.1:${server.port}${PATH}`, close: async () => void (await server.stop(true)) };
  }
  if (Deno !== undefined) {
    const server = Deno.serve({ hostname: '127.0.0.1', port: 0, onListen: () => undefined }, handler);
    return { runtime: `deno ${Deno.version.deno}`, url: `http://127.0.0.1:${server.addr.port}${PATH}`, close: () => server.shutdown() };
  }
  return serveOnNode(handler);
}

/** Node has no Fetch API server: a minimal adapter from `node:http`, so the same program runs there as a baseline. */
async function serveOnNode(handler: FetchHandler): Promise<Served> {
  const { createServer } = await import('node:http');
  const server = createServer((req, res) => {
    const chunks: Uint8Array[] = [];
    req.on('data', (c: Uint8Array) => chunks.push(c));
    req.on('end', () => {
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, v);
      }
      const method = req.method ?? 'GET';
      const body = method === 'GET' || method === 'HEAD' ? null : Buffer.concat(chunks);
      void handler(new Request(`http://127.0.0.1${req.url ?? '/'}`, { method, headers, body }))
        .then(async (response) => {
          res.writeHead(response.status, Object.fromEntries(response.headers));
          res.end(Buffer.from(await response.arrayBuffer()));
        })
        .catch(() => res.writeHead(500).end());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    runtime: `node ${process.version}`,
    url: `http://127.0.0.1:${port}${PATH}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const failures: string[] = [];
function check(ok: boolean, what: string): void {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
}

/** Rejects after `ms` with what was awaited, so a hang is a failure with a reason, not a stuck CI step. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Flips the last hex digit of `x-zm-signature`: still well-formed, no longer valid. */
function tamperSignature(w: SignedWebhook): SignedWebhook {
  const signature = w.headers['x-zm-signature'] ?? '';
  const flipped = signature.slice(0, -1) + (signature.endsWith('0') ? '1' : '0');
  return { ...w, headers: { ...w.headers, 'x-zm-signature': flipped } };
}

function errorCode(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    return typeof parsed.error === 'string' ? parsed.error : undefined;
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const client = new RtmsClient({ ...credentials, maxWebhookBodyBytes: MAX_BODY });
  // Keep-alives on every socket every 300 ms whatever flows, so the client's answers are exercised too.
  const sim = await RtmsSimulator.start({ ...credentials, keepAlive: 'always', keepAliveIntervalMs: 300 });
  const handler = client.fetchHandler();
  /** The content-length of each request the server saw (null: none, a chunked body). */
  const lengths: (string | null)[] = [];
  const server = await serve((request) => {
    lengths.push(request.headers.get('content-length'));
    return handler(request);
  });
  console.log(`runtime ${server.runtime}; simulator on ${sim.baseUrl}; fetchHandler() at ${server.url}`);
  try {
    // 1. Health on GET and HEAD.
    const health = await fetch(server.url);
    const healthBody = (await health.json()) as { status?: unknown; ready?: unknown; sessions?: { total?: unknown } };
    check(health.status === 200 && healthBody.status === 'ok' && healthBody.ready === true && healthBody.sessions?.total === 0, `GET answers the health check: ${health.status} ${JSON.stringify(healthBody)}`);
    const head = await fetch(server.url, { method: 'HEAD' });
    check(head.status === 200 && (await head.text()) === '', `HEAD answers 200 without a body: ${head.status}`);

    // 2. URL validation.
    const validation = await postWebhook(server.url, buildUrlValidationWebhook('plain-token-1', { secretToken: credentials.webhookSecretToken }));
    const answer = JSON.parse(validation.body) as { plainToken?: unknown; encryptedToken?: unknown };
    check(
      validation.status === 200 && answer.plainToken === 'plain-token-1' && answer.encryptedToken === computeUrlValidationToken(credentials.webhookSecretToken, 'plain-token-1'),
      `endpoint.url_validation answered with the right encryptedToken: ${validation.status}`,
    );

    // 3. Refusals: tampered signature, tampered body, stale timestamp.
    const stream = sim.createStream({ product: 'meeting' });
    const genuine = stream.webhook('started');
    const badSignature = await postWebhook(server.url, tamperSignature(genuine));
    check(badSignature.status === 401 && errorCode(badSignature.body) === 'RTMS_WEBHOOK_SIGNATURE_INVALID', `tampered signature refused: ${badSignature.status} ${badSignature.body}`);
    const tamperedBody = genuine.body.replace('"payload":{', '"payload":{"injected":true,');
    const badBody = await postWebhook(server.url, { ...genuine, body: tamperedBody });
    check(tamperedBody !== genuine.body && badBody.status === 401 && errorCode(badBody.body) === 'RTMS_WEBHOOK_SIGNATURE_INVALID', `tampered body refused: ${badBody.status}`);
    const stale = await postWebhook(server.url, stream.webhook('started', { timestampSeconds: Math.floor(Date.now() / 1000) - 3_600 }));
    check(stale.status === 401 && errorCode(stale.body) === 'RTMS_WEBHOOK_TIMESTAMP_INVALID', `stale timestamp refused: ${stale.status}`);
    // Oversized bodies: one that says so in content-length, one streamed without it (chunked), both past the limit.
    const big = new Uint8Array(MAX_BODY + 1).fill(0x20);
    const declared = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
    const declaredText = await declared.text();
    check(declared.status === 413 && errorCode(declaredText) === 'RTMS_WEBHOOK_BODY_TOO_LARGE', `a body over maxWebhookBodyBytes (content-length) refused: ${declared.status}`);
    const chunks = [big.subarray(0, 8_192), big.subarray(8_192)];
    const streamed = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new ReadableStream<Uint8Array>({
        pull(controller) {
          const next = chunks.shift();
          if (next === undefined) controller.close();
          else controller.enqueue(next);
        },
      }),
      duplex: 'half',
    } as RequestInit);
    const streamedText = await streamed.text();
    const streamedLength = lengths[lengths.length - 1];
    check(
      streamed.status === 413 && errorCode(streamedText) === 'RTMS_WEBHOOK_BODY_TOO_LARGE' && streamedLength === null,
      `a streamed body over maxWebhookBodyBytes (no content-length: ${String(streamedLength)}) refused: ${streamed.status}`,
    );
    check(client.sessions.size === 0 && stream.record.signalingConnections === 0, 'no refused webhook opened a session or a socket');

    // 4. The genuine webhook: connect, handshake, stream.
    const sessionCreated = new Promise<RtmsSession>((resolve) => client.once('session', resolve));
    const transcripts: { text: string; userName: string | undefined }[] = [];
    const audio = { frames: 0, bytes: 0, buffers: true, silent: 0 };
    const errors: string[] = [];
    client.on('session', (session) => {
      session.on('transcript', (t) => transcripts.push({ text: t.text, userName: t.userName }));
      session.on('audio', (a) => {
        audio.frames++;
        audio.bytes += a.data.length;
        if (!Buffer.isBuffer(a.data)) audio.buffers = false;
        if (a.data.every((b) => b === 0)) audio.silent++;
      });
      session.on('error', (err) => errors.push(`${err.code}: ${err.message}`));
    });
    const started = await postWebhook(server.url, genuine);
    check(started.status === 200, `signed meeting.rtms_started accepted: ${started.status}`);
    const session = await within(sessionCreated, 5_000, 'the session');
    await within(stream.ready(), 5_000, 'handshakes and CLIENT_READY_ACK');
    check(session.state === 'streaming', `session streaming after the handshakes: ${session.state}`);
    const retried = await postWebhook(server.url, genuine);
    check(retried.status === 200 && client.sessions.size === 1 && stream.record.signalingConnections === 1, 'a retried rtms_started reuses the session (no second connection)');

    const duringHealth = (await (await fetch(server.url)).json()) as { sessions?: { streaming?: unknown } };
    check(duringHealth.sessions?.streaming === 1, `health counts the streaming session: ${JSON.stringify(duringHealth.sessions)}`);

    await within(stream.playMeeting({ durationMs: 2_000, transcriptEveryMs: 400 }), 10_000, 'the scripted meeting');
    stream.sendTranscript({ userId: 42, userName: 'Zoë', text: UNICODE_TEXT });
    await within(
      (async () => {
        while (!transcripts.some((t) => t.text === UNICODE_TEXT)) await new Promise((resolve) => setTimeout(resolve, 20));
      })(),
      3_000,
      'the non-ASCII transcript',
    );
    const scripted = transcripts.filter((t) => t.text !== UNICODE_TEXT);
    check(
      scripted.length >= 3 && scripted.every((t) => DEFAULT_LINES.some((l) => l.text === t.text && l.userName === t.userName)),
      `${scripted.length} scripted transcripts, each exactly a line of the script with its speaker`,
    );
    check(transcripts.some((t) => t.text === UNICODE_TEXT && t.userName === 'Zoë'), 'a non-ASCII transcript arrives byte for byte');
    check(audio.frames >= 50 && audio.bytes === audio.frames * 640 && audio.buffers && audio.silent === 0, `audio: ${audio.frames} frames of 640 bytes (20 ms of 16 kHz L16), Buffers, none silent`);
    const answered = stream.record.keepAlive.answered;
    check(answered >= 2 && stream.record.keepAlive.wrongTimestamp === 0, `keep-alives answered with the right timestamps: ${answered}`);
    const stats = session.stats();
    check(stats.media.audio.frames === audio.frames && stats.media.transcript.frames === transcripts.length, `session.stats() counts what the listeners saw: ${stats.media.audio.frames} audio, ${stats.media.transcript.frames} transcripts`);

    // 5. Stop.
    const stopped = await postWebhook(server.url, stream.webhook('stopped'));
    check(stopped.status === 200, `signed meeting.rtms_stopped accepted: ${stopped.status}`);
    const end = await within(session.closed(), 5_000, 'the session to close');
    check(end.state === 'stopped', `the session ended stopped: ${end.state}${end.error ? ` (${end.error.code})` : ''}`);
    await within(stream.socketsClosed(), 5_000, 'the sockets to close');
    check(client.sessions.size === 0, 'the client holds no session');
    const c = client.stats();
    check(
      c.webhooks.accepted === 4 &&
        c.webhooks.rejected === 5 &&
        c.webhooks.rejectedByCode['RTMS_WEBHOOK_SIGNATURE_INVALID'] === 2 &&
        c.webhooks.rejectedByCode['RTMS_WEBHOOK_TIMESTAMP_INVALID'] === 1 &&
        c.webhooks.rejectedByCode['RTMS_WEBHOOK_BODY_TOO_LARGE'] === 2,
      `client.stats().webhooks: ${JSON.stringify(c.webhooks)}`,
    );
    check(stream.errors.length === 0, `no protocol error recorded by the simulator${stream.errors.length ? `: ${stream.errors.map((v) => v.message).join('; ')}` : ''}`);
    check(errors.length === 0, `no session error${errors.length ? `: ${errors.join('; ')}` : ''}`);
  } finally {
    await client.close();
    await sim.close();
    await server.close();
  }
  console.log(`round trip under ${server.runtime}: ${failures.length === 0 ? 'passed' : `${failures.length} check(s) failed`} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

/** Lets a timer not keep the process alive: Node's and Bun's timers have unref(); Deno's web timers need Deno.unrefTimer. */
function unref(timer: unknown): void {
  const deno = (globalThis as { Deno?: { unrefTimer?(id: number): void } }).Deno;
  if (typeof timer === 'number') deno?.unrefTimer?.(timer);
  else (timer as { unref?(): void }).unref?.();
}

main()
  .catch((err: unknown) => {
    failures.push(String(err));
    console.log(`FAIL ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  })
  .finally(() => {
    process.exitCode = failures.length === 0 ? 0 : 1;
    // Everything is closed: the process must now exit by itself. If a socket or timer keeps it alive, say so.
    const leak = setTimeout(() => {
      console.log('FAIL the process is still alive 5 s after everything was closed: a socket or timer was left open');
      process.exit(1);
    }, 5_000);
    // Deno 2.0 gives user code web timers (a number, no unref()); unref() handles both.
    unref(leak);
  });
