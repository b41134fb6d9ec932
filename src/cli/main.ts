/**
 * The `rtms-client` command: a local RTMS simulator that drives the user's own app, and a webhook signature
 * checker. Pure functions of (argv, env, output streams) so tests can run them in-process.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { RtmsProduct } from 'rtms-client';
// The simulator by the package's own name: the built `rtms-client` command (dist/cli.js) imports the published
// `rtms-client/testing` entry instead of bundling a second copy of it (tsup.config.ts marks it external); in this
// repository tsconfig "paths" (tsc, tsx) and vitest.config.ts map the name to src/testing/index.ts.
import { DRIFT_KINDS, runConformance, type ConformanceEventEndpoints, type ConformanceReport, type DriftOptions, type MeetingScript, type ScriptLine } from 'rtms-client/testing';
import { computeWebhookSignature, getHeader, verifyWebhookSignature, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../webhook.js';

/** Where the command writes. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
}

const VERSION = '0.1.0';
/** Port of `simulate --events` unless `--port` says otherwise: stable, so the app's environment can stay as it is. */
export const DEFAULT_EVENTS_PORT = 9091;

const MAIN_HELP = `rtms-client ${VERSION}: tools for Zoom Realtime Media Streams apps

Usage:
  rtms-client simulate --webhook <url> [options]   stream a simulated meeting into your running app
  rtms-client simulate --events [options]          the same, with the events sent over Zoom's event WebSocket
  rtms-client verify-webhook [options]             check a captured webhook's signature
  rtms-client --help | --version

Run 'rtms-client <command> --help' for a command's options.
`;

const SIMULATE_HELP = `rtms-client simulate: drive your running app through one simulated RTMS stream, like Zoom would

Starts a local RTMS server, POSTs a signed *.rtms_started webhook to your app, checks its signaling and media
handshakes (fields, signature), streams a scripted meeting (speakers, transcripts, audio, events) with
keep-alives, POSTs *.rtms_stopped, and reports what your app did right or wrong. Like Zoom, it reacts when the
app loses a socket (MEDIA_CONNECTION_INTERRUPTED, or *.rtms_interrupted for signaling) and ends the stream if
no reconnect follows within Zoom's window. Exit code 1 if anything failed: a refused webhook (the run ends at
once, with the app's answer), a body verified after re-serialising, a socket lost before the stop without a
reconnect, media left unread, unanswered keep-alives, an unreachable app, or a protocol error.

Usage: rtms-client simulate --webhook <url> [options]
       rtms-client simulate --events [--port <n>] [options]

With --events, no webhook is sent: the simulator also plays Zoom's OAuth token endpoint and event-subscription
WebSocket, on a stable port (default ${DEFAULT_EVENTS_PORT}), and prints their URLs and the environment variables to start
your app with. Once the app has fetched a token and opened the event socket, rtms_started, rtms_interrupted and
rtms_stopped arrive over it as { "module": "message", "content": "<webhook JSON>" }, and the run checks the same
things as with webhooks. It also fails when the app never opens the event socket (wrong credentials, no
access_token), or has none open when rtms_stopped is sent (Zoom never redelivers), and warns when it sends no
heartbeats or holds several event sockets at once.

Options:
  --webhook <url>         your app's webhook endpoint, e.g. http://localhost:3000/webhook (or --events)
  --events                drive the app through the event WebSocket instead of webhooks
  --wait <time>           with --events: time the app has to open the event socket (default 60s)
  --token-ttl <time>      with --events: lifetime of the tokens the simulator issues (default 1h, Zoom's); a
                          socket is closed when its token expires, so a short one (e.g. 5s) checks that the app
                          replaces its token in time
  --product <p>           meeting | webinar | session | contact-center | phone (default meeting);
                          phone (Zoom Phone) is experimental: its wire details rest on one Zoom sample
  --client-id <id>        app client id      (default: $ZOOM_CLIENT_ID or $ZOOM_APP_CLIENT_ID)
  --client-secret <s>     app client secret  (default: $ZOOM_CLIENT_SECRET or $ZOOM_APP_CLIENT_SECRET)
  --secret <token>        webhook secret token (default: $ZOOM_SECRET_TOKEN or $ZOOM_WEBHOOK_SECRET_TOKEN);
                          without one, webhooks are sent unsigned
  --duration <time>       how long to stream, e.g. 30s, 1500ms, 2m (default 10s)
  --script <file.json>    a script: { "lines": [{ "userId": 1, "userName": "Ada", "text": "..." }],
                          "transcriptEveryMs": 1000, "audioFrameMs": 20 }
  --keepalive <time>      keep-alive interval on every socket (default 2s, so that an app ignoring them is
                          dropped after three, as Zoom does, within a short run; Zoom sends them every 10s)
  --connect-timeout <t>   time the app has to connect and send CLIENT_READY_ACK (default 10s)
  --close-timeout <t>     time the app has to close its sockets after rtms_stopped (default 5s)
  --validate-url          first send endpoint.url_validation and check the answer (needs --secret)
  --media-urls <list>     media URLs offered: all,audio,video,deskshare,sharescreen,transcript,chat
                          (default: all of them)
  --product-id <id>       the stream's meeting UUID / engagement id / call id (default: random, Zoom's shape:
                          24 base64 characters, may contain / and +)
  --port <n>              port for the simulator (default: a free port; ${DEFAULT_EVENTS_PORT} with --events)
  --drift                 send frames with benign drift, as a live server's JSON varies: binary JSON frames,
                          ids as numbers or strings, numbers as strings, nulls, unknown fields, event_code
  --drift-kinds <list>    drift with only these kinds: binary,stringIds,numericIds,numericStrings,nulls,
                          extraFields,eventCode (implies --drift)
  --json                  print the report as JSON
  -h, --help              this help
`;

const VERIFY_HELP = `rtms-client verify-webhook: check a captured webhook request against your secret token

Usage:
  rtms-client verify-webhook --secret <token> --request <file.json>
  rtms-client verify-webhook --secret <token> --signature v0=... --timestamp <s> --body-file <file>

A request file is { "headers": { ... }, "body": "<raw body string>" }. Reports whether the signature matches,
whether the timestamp is inside the replay window, and common causes of mismatches (a re-serialised body, a
trailing newline, the wrong token). Never prints the token or the expected signature. Exit code 1 when invalid.

Options:
  --secret <token>        webhook secret token (default: $ZOOM_SECRET_TOKEN or $ZOOM_WEBHOOK_SECRET_TOKEN)
  --request <file>        captured request as JSON { headers, body }
  --signature <v0=...>    the x-zm-signature header
  --timestamp <seconds>   the x-zm-request-timestamp header
  --body-file <file>      the raw body, byte for byte
  --body <text>           the raw body as an argument
  --tolerance <seconds>   replay window (default 300); --no-time skips the time check (old captures)
  --no-time               skip the replay-window check
  --json                  print the result as JSON
  -h, --help              this help
`;

class UsageError extends Error {}

/** Parses `30s`, `1500ms`, `2m`, or a bare number of seconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) throw new UsageError(`not a duration: ${text} (use e.g. 30s, 1500ms, 2m)`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return Math.round(unit === 'ms' ? n : unit === 's' ? n * 1000 : n * 60_000);
}

const PRODUCTS: Readonly<Record<string, RtmsProduct>> = {
  meeting: 'meeting',
  webinar: 'webinar',
  session: 'session',
  'video-sdk': 'session',
  'contact-center': 'contact_center',
  contact_center: 'contact_center',
  phone: 'phone',
  'zoom-phone': 'phone',
};

function readScript(file: string): MeetingScript {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`cannot read script ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (typeof parsed !== 'object' || parsed === null) throw new UsageError(`script ${file} must be a JSON object`);
  const o = parsed as Record<string, unknown>;
  const script: MeetingScript = {};
  if (o['lines'] !== undefined) {
    if (!Array.isArray(o['lines'])) throw new UsageError('script.lines must be an array');
    script.lines = (o['lines'] as unknown[]).map((l, i): ScriptLine => {
      const x = (typeof l === 'object' && l !== null ? l : {}) as Record<string, unknown>;
      if (typeof x['text'] !== 'string' || typeof x['userName'] !== 'string') throw new UsageError(`script.lines[${i}] needs userName and text`);
      const userId = typeof x['userId'] === 'number' || typeof x['userId'] === 'string' ? x['userId'] : i + 1;
      return { userId, userName: x['userName'], text: x['text'], ...(typeof x['channelId'] === 'string' ? { channelId: x['channelId'] } : {}) };
    });
  }
  for (const key of ['transcriptEveryMs', 'audioFrameMs', 'audioFrameBytes', 'durationMs'] as const) {
    const v = o[key];
    if (v !== undefined) {
      if (typeof v !== 'number' || !(v >= 0)) throw new UsageError(`script.${key} must be a non-negative number`);
      script[key] = v;
    }
  }
  return script;
}

function printReport(report: ConformanceReport, io: CliIo): void {
  const counts = { pass: 0, warn: 0, fail: 0 };
  for (const c of report.checks) counts[c.status]++;
  io.stdout('\nReport\n');
  for (const c of report.checks) io.stdout(`  ${c.status === 'pass' ? '✔' : c.status === 'warn' ? '!' : '✘'} ${c.message}\n`);
  for (const f of report.refusals) {
    io.stdout(`\n  ${f.webhook}: ${f.status === undefined ? 'not delivered' : `the app answered HTTP ${f.status}`}${f.answer ? `:\n    ${f.answer}` : ''}\n`);
    for (const h of f.hints) io.stdout(`  hint: ${h}\n`);
  }
  const r = report.record;
  const drops = r.drops.length;
  const reconnected = r.drops.filter((d) => d.outcome === 'reconnected').length;
  io.stdout(
    `\n  stream ${report.stream.streamId} (${report.stream.product}); ${r.signalingConnections} signaling / ${r.mediaConnections} media connection(s)` +
      `${drops > 0 ? ` (${drops} socket(s) lost, ${reconnected} reconnected)` : ''}; ` +
      `${r.keepAlive.answered}/${r.keepAlive.sent} keep-alives answered; ${r.readyAcks} ready ack(s); ${(report.durationMs / 1000).toFixed(1)} s\n`,
  );
  const e = eventSummary(report);
  if (e !== undefined) {
    io.stdout(
      `  event socket: ${e.tokenRequests} token request(s)${e.tokensRefused > 0 ? ` (${e.tokensRefused} refused)` : ''}, ${e.connections} connection(s)` +
        `${e.refusedConnections > 0 ? `, ${e.refusedConnections} refused upgrade(s)` : ''}, ${e.heartbeats} heartbeat(s), ${e.delivered} event(s) delivered, ${e.lost} lost\n`,
    );
  }
  io.stdout(`\n${report.ok ? 'PASS' : 'FAIL'}: ${counts.pass} passed, ${counts.warn} warning(s), ${counts.fail} failed\n`);
}

/** The event socket's figures for the report (no tokens: only counts). */
function eventSummary(report: ConformanceReport): { tokenRequests: number; tokensRefused: number; connections: number; refusedConnections: number; heartbeats: number; delivered: number; lost: number; maxOpenSockets: number } | undefined {
  const e = report.eventSocket;
  if (e === undefined) return undefined;
  return {
    tokenRequests: e.tokenRequests.length,
    tokensRefused: e.tokenRequests.filter((t) => t.status !== 200).length,
    connections: e.connections,
    refusedConnections: e.refusedConnections,
    heartbeats: e.heartbeats,
    delivered: e.delivered,
    lost: e.lost,
    maxOpenSockets: e.maxOpenSockets,
  };
}

async function simulate(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      webhook: { type: 'string' },
      events: { type: 'boolean', default: false },
      wait: { type: 'string', default: '60s' },
      'token-ttl': { type: 'string' },
      product: { type: 'string', default: 'meeting' },
      'client-id': { type: 'string' },
      'client-secret': { type: 'string' },
      secret: { type: 'string' },
      duration: { type: 'string', default: '10s' },
      script: { type: 'string' },
      keepalive: { type: 'string', default: '2s' },
      'connect-timeout': { type: 'string', default: '10s' },
      'close-timeout': { type: 'string', default: '5s' },
      'validate-url': { type: 'boolean', default: false },
      'media-urls': { type: 'string' },
      port: { type: 'string' },
      'product-id': { type: 'string' },
      drift: { type: 'boolean', default: false },
      'drift-kinds': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.stdout(SIMULATE_HELP);
    return 0;
  }
  const viaEvents = values.events;
  if (viaEvents && values.webhook !== undefined) throw new UsageError('--events and --webhook exclude each other: choose how the app receives its events');
  if (viaEvents && values['validate-url']) throw new UsageError('--validate-url applies to webhooks only (the event socket has no URL validation)');
  if (!viaEvents) {
    if (!values.webhook) throw new UsageError('--webhook <url> is required (or --events to use the event WebSocket)');
    try {
      const u = new URL(values.webhook);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
    } catch {
      throw new UsageError(`--webhook must be an http(s) URL, got ${values.webhook}`);
    }
  }
  const product = PRODUCTS[values.product];
  if (!product) throw new UsageError(`--product must be meeting, webinar, session, contact-center or phone, got ${values.product}`);
  let drift: DriftOptions | undefined;
  if (values['drift-kinds'] !== undefined) {
    const kinds = values['drift-kinds'].split(',').map((k) => {
      const kind = DRIFT_KINDS.find((d) => d === k.trim());
      if (!kind) throw new UsageError(`--drift-kinds: unknown kind ${k} (known: ${DRIFT_KINDS.join(', ')})`);
      return kind;
    });
    drift = { kinds };
  } else if (values.drift) drift = {};
  const clientId = values['client-id'] ?? io.env['ZOOM_CLIENT_ID'] ?? io.env['ZOOM_APP_CLIENT_ID'];
  const clientSecret = values['client-secret'] ?? io.env['ZOOM_CLIENT_SECRET'] ?? io.env['ZOOM_APP_CLIENT_SECRET'];
  const secret = values.secret ?? io.env['ZOOM_SECRET_TOKEN'] ?? io.env['ZOOM_WEBHOOK_SECRET_TOKEN'];
  if (!clientId || !clientSecret) {
    throw new UsageError('the app credentials are needed to check handshake signatures: --client-id and --client-secret, or ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET');
  }
  const script: MeetingScript = { ...(values.script ? readScript(values.script) : {}), durationMs: parseDuration(values.duration) };
  let mediaUrls: ('all' | 'audio' | 'video' | 'deskshare' | 'sharescreen' | 'transcript' | 'chat')[] | undefined;
  if (values['media-urls']) {
    const allowed = ['all', 'audio', 'video', 'deskshare', 'sharescreen', 'transcript', 'chat'] as const;
    mediaUrls = values['media-urls'].split(',').map((k) => {
      const kind = allowed.find((a) => a === k.trim());
      if (!kind) throw new UsageError(`--media-urls: unknown kind ${k}`);
      return kind;
    });
  }
  const port = values.port === undefined ? (viaEvents ? DEFAULT_EVENTS_PORT : undefined) : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port < 65536)) throw new UsageError('--port must be a port number');
  const waitMs = parseDuration(values.wait);
  let tokenTtlSeconds: number | undefined;
  if (values['token-ttl'] !== undefined) {
    if (!viaEvents) throw new UsageError('--token-ttl applies to --events only');
    tokenTtlSeconds = parseDuration(values['token-ttl']) / 1000;
    if (!Number.isInteger(tokenTtlSeconds) || tokenTtlSeconds < 1) throw new UsageError('--token-ttl must be a whole number of seconds, at least 1s');
  }
  if (!values.json && !secret && !viaEvents) io.stderr('warning: no webhook secret token: webhooks are sent unsigned\n');
  // The URLs the app needs, printed even with --json (then on stderr), since the app must be started with them.
  const announce = (e: ConformanceEventEndpoints): void => {
    const write = values.json ? io.stderr : io.stdout;
    write(
      `\nStart your app with these (and the same client id and secret), or point it at them:\n` +
        `  ZOOM_EVENT_WS_URL=${e.eventSocketUrl}\n` +
        `  ZOOM_OAUTH_TOKEN_URL=${e.tokenUrl}\n` +
        `It fetches a token (POST ${e.tokenUrl}?grant_type=client_credentials, HTTP Basic clientId:clientSecret) and opens\n` +
        `${e.eventSocketUrl}&access_token=<token>. With rtms-client: client.connectEvents({ url, tokenUrl }).\n\n`,
    );
  };
  let report: ConformanceReport;
  try {
    report = await runConformance({
      ...(viaEvents
        ? { delivery: 'events' as const, eventConnectTimeoutMs: waitMs, onEventEndpoints: announce, ...(tokenTtlSeconds === undefined ? {} : { eventTokenTtlSeconds: tokenTtlSeconds }) }
        : { webhookUrl: values.webhook }),
      clientId,
      clientSecret,
      ...(secret ? { webhookSecretToken: secret } : {}),
      product,
      script,
      keepAliveIntervalMs: parseDuration(values.keepalive),
      connectTimeoutMs: parseDuration(values['connect-timeout']),
      closeTimeoutMs: parseDuration(values['close-timeout']),
      validateUrl: values['validate-url'],
      ...(mediaUrls ? { mediaUrls } : {}),
      ...(port !== undefined ? { port } : {}),
      ...(values['product-id'] ? { productId: values['product-id'] } : {}),
      ...(drift ? { drift } : {}),
      ...(values.json ? {} : { onProgress: (line: string) => io.stdout(`${line}\n`) }),
    });
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'EADDRINUSE') throw err;
    io.stderr(`rtms-client: port ${port ?? '?'} is already in use: choose another with --port <n>${viaEvents ? ' (and start the app with the URLs it prints)' : ''}\n`);
    return 1;
  }
  if (values.json) {
    const extra = report.eventSocket ? { eventSocket: eventSummary(report) } : {};
    io.stdout(`${JSON.stringify({ ok: report.ok, delivery: report.delivery, stream: report.stream, checks: report.checks, refusals: report.refusals, violations: report.violations, ...extra, durationMs: report.durationMs })}\n`);
  } else printReport(report, io);
  return report.ok ? 0 : 1;
}

function verify(argv: string[], io: CliIo): number {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      secret: { type: 'string' },
      request: { type: 'string' },
      signature: { type: 'string' },
      timestamp: { type: 'string' },
      'body-file': { type: 'string' },
      body: { type: 'string' },
      tolerance: { type: 'string', default: '300' },
      'no-time': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.stdout(VERIFY_HELP);
    return 0;
  }
  const secret = values.secret ?? io.env['ZOOM_SECRET_TOKEN'] ?? io.env['ZOOM_WEBHOOK_SECRET_TOKEN'];
  if (!secret) throw new UsageError('--secret <token> (or ZOOM_SECRET_TOKEN) is required');
  let headers: Record<string, string> = {};
  let body: string;
  if (values.request) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(values.request, 'utf8'));
    } catch (err) {
      throw new UsageError(`cannot read ${values.request}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const o = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
    if (typeof o['body'] !== 'string') throw new UsageError('the request file needs "body" as the raw body string');
    body = o['body'];
    const h = o['headers'];
    if (typeof h === 'object' && h !== null) for (const [k, v] of Object.entries(h)) if (typeof v === 'string') headers[k.toLowerCase()] = v;
  } else {
    if (values['body-file']) body = readFileSync(values['body-file'], 'utf8');
    else if (values.body !== undefined) body = values.body;
    else throw new UsageError('give --request <file>, or --body-file/--body with --signature and --timestamp');
  }
  if (values.signature) headers[SIGNATURE_HEADER] = values.signature;
  if (values.timestamp) headers[TIMESTAMP_HEADER] = values.timestamp;
  const signature = getHeader(headers, SIGNATURE_HEADER);
  const timestamp = getHeader(headers, TIMESTAMP_HEADER);
  const tolerance = Number(values.tolerance);
  if (!Number.isFinite(tolerance) || tolerance < 0) throw new UsageError('--tolerance must be a number of seconds');
  const result = verifyWebhookSignature({
    secretToken: secret,
    headers,
    body,
    toleranceSeconds: values['no-time'] ? Number.MAX_SAFE_INTEGER : tolerance,
  });
  const hints: string[] = [];
  if (!result.ok && signature !== undefined && timestamp !== undefined && /^\d+$/.test(timestamp.trim())) {
    const matches = (b: string) => computeWebhookSignature(secret, timestamp.trim(), b) === signature.trim();
    const timeOnly = verifyWebhookSignature({ secretToken: secret, headers, body, toleranceSeconds: Number.MAX_SAFE_INTEGER }).ok;
    if (timeOnly) hints.push(`the signature is right, but the timestamp is ${Math.round(Date.now() / 1000 - Number(timestamp))} s old (use --no-time for old captures)`);
    else if (body.endsWith('\n') && matches(body.replace(/\r?\n$/, ''))) hints.push('it matches without the trailing newline: the body was changed after it arrived');
    else {
      try {
        const compact = JSON.stringify(JSON.parse(body));
        if (compact !== body && matches(compact)) hints.push('it matches the compact JSON: your capture is a re-serialised body, not the raw bytes');
        else if (compact === body) hints.push('no simple transformation of the body matches: check that this is the app\'s webhook secret token (not the client secret) and the raw body');
        else hints.push('the body is not what was signed, or the token is wrong: capture the raw bytes before any JSON parsing');
      } catch {
        hints.push('the body is not JSON; capture the raw request body exactly');
      }
    }
  }
  const out = {
    valid: result.ok,
    ...(result.ok ? {} : { code: result.code, reason: result.message }),
    bodyBytes: Buffer.byteLength(body),
    timestampAgeSeconds: timestamp && /^\d+$/.test(timestamp.trim()) ? Math.round(Date.now() / 1000 - Number(timestamp)) : undefined,
    hints,
  };
  if (values.json) io.stdout(`${JSON.stringify(out)}\n`);
  else {
    const fresh = values['no-time'] ? 'the timestamp was not checked (--no-time)' : 'the timestamp is fresh';
    io.stdout(result.ok ? `VALID: the signature matches the raw body and ${fresh}\n` : `INVALID (${out.code}): ${out.reason}\n`);
    io.stdout(`  body: ${out.bodyBytes} bytes; timestamp age: ${out.timestampAgeSeconds ?? 'n/a'} s\n`);
    for (const h of hints) io.stdout(`  hint: ${h}\n`);
  }
  return result.ok ? 0 : 1;
}

/** Runs the command; resolves with the exit code. Never throws. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'simulate':
        return await simulate(rest, io);
      case 'verify-webhook':
        return verify(rest, io);
      case '--version':
      case '-v':
        io.stdout(`${VERSION}\n`);
        return 0;
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        io.stdout(MAIN_HELP);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command ${command}`);
    }
  } catch (err) {
    if (err instanceof UsageError || (err instanceof TypeError && (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))) {
      const known = command === 'simulate' || command === 'verify-webhook';
      io.stderr(`rtms-client: ${err.message}\nRun 'rtms-client ${known ? `${command} ` : ''}--help' for usage.\n`);
      return 2;
    }
    io.stderr(`rtms-client: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
