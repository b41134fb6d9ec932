/**
 * Conformance run: drive a user's running app through one simulated RTMS stream, the way Zoom would, and report
 * what the app did right or wrong. The `rtms-client simulate` command is a thin wrapper around
 * {@link runConformance}.
 *
 * The verdict is honest: the run fails when the app refuses a webhook, verifies a re-serialised body instead of
 * the raw bytes, loses a socket before the stop without reconnecting inside Zoom's window, stops reading its
 * media, leaves keep-alives unanswered past Zoom's limit, or becomes unreachable. Every failure says what
 * happened and when, on the run's clock (seconds since `rtms_started` was sent).
 */
import { randomBytes } from 'node:crypto';
import { computeUrlValidationToken } from '../webhook.js';
import type { RtmsProduct } from '../protocol/products.js';
import type { DriftOptions } from './drift.js';
import type { EventEndpointRecord } from './sim-events.js';
import { RtmsSimulator, type DropRecord, type MeetingScript, type ProtocolViolation, type SimMediaKind, type SimulatedStream, type StreamRecord } from './simulator.js';
import { buildUrlValidationWebhook, buildWebhook, postWebhook, type PostedWebhook, type SignedWebhook } from './webhooks.js';

/** The simulator's two event-socket endpoints, for an app driven with `delivery: 'events'`. */
export interface ConformanceEventEndpoints {
  /** The event-subscription WebSocket URL (`ws://…/ws?subscriptionId=sim`): the app appends `&access_token=`. */
  readonly eventSocketUrl: string;
  /** The OAuth token endpoint (`http://…/oauth/token`): `POST ?grant_type=client_credentials`, HTTP Basic. */
  readonly tokenUrl: string;
}

/** Options of {@link runConformance}. */
export interface ConformanceOptions {
  /**
   * How the lifecycle events reach the app. `webhook` (default): signed HTTP POSTs to `webhookUrl`. `events`:
   * over the simulator's event-subscription WebSocket (§6.5), which the app opens itself with a token from the
   * simulator's OAuth endpoint ({@link ConformanceOptions.onEventEndpoints}); the run first waits for that socket.
   */
  delivery?: 'webhook' | 'events';
  /** The app's webhook endpoint, e.g. `http://localhost:3000/webhook`. Required with `delivery: 'webhook'`. */
  webhookUrl?: string;
  /** `delivery: 'events'`: time the app has to open the event socket once the simulator listens. Default 30 000 ms. */
  eventConnectTimeoutMs?: number;
  /** `delivery: 'events'`: `expires_in` of the tokens the simulator issues, seconds. Default 3 600 (Zoom's). */
  eventTokenTtlSeconds?: number;
  /** `delivery: 'events'`: called with the token and event-socket URLs once the simulator listens. */
  onEventEndpoints?: (endpoints: ConformanceEventEndpoints) => void;
  /** The app's client id (handshake signatures are checked against it). */
  clientId: string;
  /** The app's client secret. */
  clientSecret: string;
  /**
   * The app's webhook secret token: webhooks are signed with it (and URL validation is checked, if asked). With
   * it, `rtms_started` is sent with bytes that differ from re-serialised JSON (`\/` for `/`), so an app that
   * verifies `JSON.stringify(req.body)` instead of the raw body fails the run, as it would with Zoom.
   */
  webhookSecretToken?: string;
  /** Default `meeting`. */
  product?: RtmsProduct;
  /** The stream's product id (meeting UUID, engagement id, ...). Default: a random id of Zoom's shape. */
  productId?: string;
  /** The scripted stream. Default: the built-in meeting (or engagement, or call), 10 s. */
  script?: MeetingScript;
  /**
   * Keep-alive interval on every socket. Default 2 000 ms, so that a short run exercises keep-alives and an app that
   * ignores them is dropped after three, as Zoom does (after about 8 s). A run sends them whether or not media
   * flows (Zoom sends them every 10 s, and only on idle sockets; an app must answer them whenever they come).
   */
  keepAliveIntervalMs?: number;
  /** Time the app has to connect and send CLIENT_READY_ACK after the webhook. Default 10 000 ms. */
  connectTimeoutMs?: number;
  /** Time the app has to close its sockets after `rtms_stopped`. Default 5 000 ms. */
  closeTimeoutMs?: number;
  /**
   * Zoom's reconnect windows after the app loses a socket: 60 s for signaling, 30 s for media (protocol reference
   * §7.1). Past a window Zoom ends the stream, and so does the simulator.
   */
  reconnectWindows?: {
    /** After a lost signaling socket. Default 60 000 ms. */
    readonly signalingMs?: number;
    /** After a lost media socket. Default 30 000 ms. */
    readonly mediaMs?: number;
  };
  /**
   * Longest the run waits after the script for a reconnect still in progress, so that a broken app fails fast.
   * Default 5 000 ms (or the rest of Zoom's window, if shorter).
   */
  reconnectGraceMs?: number;
  /**
   * Media queued on the simulator's media sockets because the app stopped reading them: above this many bytes the
   * run fails ("media stopped being consumed"). Default 1 MiB, about 30 s of 16 kHz mono audio.
   */
  maxMediaBacklogBytes?: number;
  /** Also send `endpoint.url_validation` first and check the answer. Needs `webhookSecretToken`; webhook delivery only. */
  validateUrl?: boolean;
  /** Media URLs the simulator offers. Default: `all` plus one per kind. */
  mediaUrls?: readonly SimMediaKind[];
  /** Interface for the simulator's sockets. Default 127.0.0.1. */
  host?: string;
  /** Port for the simulator. Default 0 (any). */
  port?: number;
  /** Send frames with benign drift (see the simulator's `drift` option). Default off. */
  drift?: boolean | DriftOptions;
  /** Progress callback (one line per step). */
  onProgress?: (line: string) => void;
}

/** One check of the report. */
export interface ConformanceCheck {
  /** Short id (`webhook-started`, `raw-body`, `connection`, ...). */
  readonly id: string;
  /** `pass`, `warn` (works with Zoom, but against its documentation) or `fail`. */
  readonly status: 'pass' | 'warn' | 'fail';
  /** What was checked and what happened. */
  readonly message: string;
}

/** A webhook the app refused, with what it answered. */
export interface WebhookRefusal {
  /** Which webhook (`rtms_started`, `rtms_interrupted`, `rtms_stopped`, `endpoint.url_validation`). */
  readonly webhook: string;
  /** The app's HTTP status, or undefined when the request itself failed (connection refused, ...). */
  readonly status: number | undefined;
  /** The first 200 characters of the app's answer (or the network error). */
  readonly answer: string;
  /** What the answer probably means and what to do. */
  readonly hints: readonly string[];
}

/** The simulated stream a conformance run used. */
export interface ConformanceStream {
  /** Its product. */
  readonly product: RtmsProduct;
  /** Its `rtms_stream_id`. */
  readonly streamId: string;
  /** Its meeting UUID, webinar UUID, session id, engagement id or call id. */
  readonly productId: string;
}

/** The outcome of {@link runConformance}. */
export interface ConformanceReport {
  /** True when no check failed (warnings allowed). */
  readonly ok: boolean;
  /** Checks, in order. */
  readonly checks: readonly ConformanceCheck[];
  /** Violations the simulator recorded (errors, warnings and informational notes). */
  readonly violations: readonly ProtocolViolation[];
  /** The simulator's record of the stream. */
  readonly record: StreamRecord;
  /** The stream's ids. */
  readonly stream: ConformanceStream;
  /** Webhooks the app refused or could not be reached for, in order (the run ends at the first lifecycle one). */
  readonly refusals: readonly WebhookRefusal[];
  /** How the lifecycle events were delivered. */
  readonly delivery: 'webhook' | 'events';
  /** `delivery: 'events'`: what the simulated token endpoint and event socket saw. */
  readonly eventSocket?: EventEndpointRecord;
  /** Wall time of the run in ms. */
  readonly durationMs: number;
}

const ANSWER_CHARS = 200;
/** Longest overlap of two event sockets that passes without a warning (a token rotation takes well under this). */
const EVENT_OVERLAP_MS = 5_000;

/** POSTs, turning a network failure into an Error value. */
function tryPost(url: string, webhook: SignedWebhook): Promise<PostedWebhook | Error> {
  return postWebhook(url, webhook).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
}

/** The most useful text of a fetch failure: undici hides the socket error in `cause`. */
function networkError(err: Error): string {
  const cause = (err as { cause?: unknown }).cause;
  const code = typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
  const msg = cause instanceof Error ? cause.message : err.message;
  return typeof code === 'string' && !msg.includes(code) ? `${code}: ${msg}` : msg;
}

function rule(violations: readonly ProtocolViolation[], ...rules: string[]): ProtocolViolation[] {
  return violations.filter((v) => rules.includes(v.rule));
}

/** @internal Hints for a refused webhook, from its status and the first bytes of the answer. */
export function refusalHints(status: number | undefined, answer: string, webhookUrl: string): string[] {
  const hints: string[] = [];
  if (status === undefined) {
    hints.push(`is your app listening on ${webhookUrl}? (start it first, and check the port and path)`);
    return hints;
  }
  if (/eventsOnly/.test(answer)) {
    hints.push('the app takes its events over the event WebSocket only (eventsOnly): drive it with `rtms-client simulate --events`');
    return hints;
  }
  if (/RTMS_WEBHOOK_NOT_CONFIGURED/.test(answer)) {
    hints.push("the app has no webhook secret token: set ZOOM_SECRET_TOKEN (the app's Secret Token) where it runs");
  }
  if (status === 401 || status === 403) {
    hints.push('check that the app and this command use the same webhook secret token (--secret or ZOOM_SECRET_TOKEN)');
  }
  if (status === 400 && /raw|body|parse|string or Buffer/i.test(answer)) {
    hints.push('a body parser probably ran before the webhook handler: give the handler the raw request body (for Express: express.raw({ type: "application/json" }) on that route)');
  }
  if (status === 404 || status === 405) hints.push(`nothing answers POST at ${webhookUrl}: check the path`);
  if (status >= 500) hints.push("the app failed while handling the webhook: see the app's own log");
  return hints;
}

/**
 * Runs one simulated stream against a running app: (optional URL validation,) signed `rtms_started`, the
 * handshakes, a scripted stream with keep-alives, any webhook Zoom would send on its own (`rtms_interrupted`
 * when the app loses signaling, `rtms_stopped` when a reconnect window passes), signed `rtms_stopped`, and the
 * closes. Never throws for app faults: they are checks with status `fail`.
 */
export async function runConformance(options: ConformanceOptions): Promise<ConformanceReport> {
  const viaEvents = options.delivery === 'events';
  if (options.delivery !== undefined && options.delivery !== 'webhook' && !viaEvents) throw new TypeError("runConformance: delivery must be 'webhook' or 'events'");
  if (!viaEvents && (typeof options.webhookUrl !== 'string' || options.webhookUrl.length === 0)) {
    throw new TypeError("runConformance: webhookUrl is required (or delivery: 'events' to drive the app through the event socket)");
  }
  if (viaEvents && options.validateUrl === true) throw new TypeError('runConformance: validateUrl applies to webhook delivery only (the event socket has no URL validation)');
  const webhookUrl = options.webhookUrl ?? '';
  const t0 = Date.now();
  const progress = options.onProgress ?? (() => undefined);
  const checks: ConformanceCheck[] = [];
  const refusals: WebhookRefusal[] = [];
  const check = (id: string, status: ConformanceCheck['status'], message: string) => {
    checks.push({ id, status, message });
    progress(`${status === 'pass' ? 'ok  ' : status === 'warn' ? 'warn' : 'FAIL'} ${message}`);
  };
  const token = options.webhookSecretToken;
  const sign = token === undefined ? {} : { secretToken: token };
  const sim = await RtmsSimulator.start({
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    ...(token === undefined ? {} : { webhookSecretToken: token }),
    keepAliveIntervalMs: options.keepAliveIntervalMs ?? 2_000,
    keepAlive: 'always',
    ...(options.reconnectWindows ? { reconnectWindows: options.reconnectWindows } : {}),
    ...(options.mediaUrls ? { mediaUrls: options.mediaUrls } : {}),
    ...(options.host ? { host: options.host } : {}),
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.drift !== undefined ? { drift: options.drift } : {}),
    ...(viaEvents && options.eventTokenTtlSeconds !== undefined ? { eventTokenTtlSeconds: options.eventTokenTtlSeconds } : {}),
  });
  const product = options.product ?? 'meeting';
  const stream = sim.createStream({ product, ...(options.productId === undefined ? {} : { productId: options.productId }) });
  progress(`simulator listening on ${sim.baseUrl}; stream ${stream.streamId} (${product})`);

  /** The run's clock: seconds since rtms_started was sent. */
  let runStart = Date.now();
  const at = (epochMs: number) => `${((epochMs - runStart) / 1000).toFixed(2)} s`;
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

  /** Records a refusal and its check; true when the webhook was accepted. */
  const accepted = (id: string, name: string, res: PostedWebhook | Error, okMessage: (r: PostedWebhook) => string): boolean => {
    if (!(res instanceof Error) && res.status >= 200 && res.status <= 299) {
      check(id, 'pass', okMessage(res));
      return true;
    }
    const status = res instanceof Error ? undefined : res.status;
    const answer = (res instanceof Error ? networkError(res) : res.body).slice(0, ANSWER_CHARS);
    const refusal: WebhookRefusal = { webhook: name, status, answer, hints: refusalHints(status, answer, webhookUrl) };
    refusals.push(refusal);
    const what = status === undefined ? `could not be delivered (${answer})` : `answered HTTP ${status}${answer ? `: ${JSON.stringify(answer)}` : ''}`;
    check(id, 'fail', `${name} ${what}${status === undefined ? '' : '; Zoom expects 2xx'}`);
    for (const hint of refusal.hints) progress(`hint  ${hint}`);
    return false;
  };

  // Webhooks Zoom sends on its own (rtms_interrupted when the app loses signaling, rtms_stopped when a window
  // passes): delivered to the app as they happen, their answers checked.
  const autoWebhooks: Promise<void>[] = [];
  stream.on('webhook', (step, webhook) => {
    progress(`zoom  ${step === 'interrupted' ? 'rtms_interrupted' : 'rtms_stopped'} sent to the app${viaEvents ? ' over the event socket' : ''} (${at(Date.now())})`);
    if (viaEvents) {
      // Zoom sends these on its own; over the event socket there is no answer to check, only whether it arrived.
      if (sim.deliverEvent(webhook.json) > 0) check(`webhook-${step}`, 'pass', `rtms_${step} delivered over the event socket`);
      else check(`webhook-${step}`, 'warn', `rtms_${step} was lost: the app had no event socket open at ${at(Date.now())} (Zoom does not redeliver)`);
      return;
    }
    autoWebhooks.push(
      tryPost(webhookUrl, webhook).then((res) => {
        accepted(`webhook-${step}`, `rtms_${step}`, res, (r) => `rtms_${step} answered HTTP ${r.status}`);
      }),
    );
  });
  stream.on('drop', (d) => progress(`drop  ${d.channel} socket ${d.cause === 'keepalive' ? 'dropped by the server after unanswered keep-alives' : `closed ${d.code}`} at ${at(d.at)}`));
  stream.on('reconnected', (d) => progress(`ok    ${d.channel} reconnected after ${seconds((d.reconnectedAt ?? d.at) - d.at)}`));
  let ended: number | undefined;
  const endedEarly = new Promise<void>((resolve) =>
    stream.on('ended', (reason) => {
      ended = reason;
      resolve();
    }),
  );

  let stopSentAt: number | undefined;
  try {
    if (options.validateUrl) {
      if (token === undefined) check('url-validation', 'fail', 'URL validation needs the webhook secret token');
      else {
        const plainToken = randomBytes(16).toString('base64url');
        const res = await tryPost(webhookUrl, buildUrlValidationWebhook(plainToken, sign));
        const ok = accepted('url-validation', 'endpoint.url_validation', res, () => 'endpoint.url_validation answered');
        if (ok && !(res instanceof Error)) {
          checks.pop();
          let body: unknown;
          try {
            body = JSON.parse(res.body);
          } catch {
            body = undefined;
          }
          const expected = computeUrlValidationToken(token, plainToken);
          const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
          if (res.status === 200 && b['plainToken'] === plainToken && b['encryptedToken'] === expected) {
            check('url-validation', 'pass', 'endpoint.url_validation answered with the right encryptedToken');
          } else {
            check('url-validation', 'fail', `endpoint.url_validation: expected 200 with plainToken and its HMAC, got ${res.status}`);
          }
        }
      }
    }

    if (viaEvents) {
      if (!(await awaitEventSocket())) return finish();
      // rtms_started over the event socket: { module: 'message', content: '<the webhook body as JSON text>' }.
      runStart = Date.now();
      const n = stream.deliverEvent('started');
      if (n === 0) {
        check('webhook-started', 'fail', "rtms_started was lost: the app's event socket closed before it could be delivered (Zoom does not redeliver)");
        return finish();
      }
      check('webhook-started', 'pass', `rtms_started delivered over the event socket${n > 1 ? ` (to each of the app's ${n} open event sockets)` : ''}`);
    }

    // rtms_started, its bytes unlike re-serialised JSON (only a raw-body verifier accepts it, as with Zoom).
    const startedWebhook = stream.webhook('started');
    if (!viaEvents) {
      const rawBodyProbe = token !== undefined;
      runStart = Date.now();
      const started = await tryPost(webhookUrl, buildWebhook(startedWebhook.json.event, startedWebhook.json.payload, { ...sign, escapeSlashes: rawBodyProbe }));
      const took = Date.now() - runStart;
      if (!accepted('webhook-started', 'rtms_started', started, (r) => `rtms_started answered HTTP ${r.status} in ${took} ms`)) {
        if (rawBodyProbe && !(started instanceof Error) && started.status === 401) await diagnoseRawBody(startedWebhook);
        return finish();
      }
      if (took > 3_000) {
        checks.pop();
        check('webhook-started', 'warn', `rtms_started answered after ${took} ms; Zoom retries after 3 s and a retry may open a second connection`);
      }
      if (rawBodyProbe) check('raw-body', 'pass', 'the app verified the raw body (bytes that re-serialised JSON would change)');
    }

    try {
      await Promise.race([stream.ready(options.connectTimeoutMs ?? 10_000), endedEarly.then(() => Promise.reject(new Error('ended')))]);
    } catch {
      const hs = stream.record.handshakes;
      check(
        'ready',
        'fail',
        hs.length === 0
          ? viaEvents
            ? `the app never sent a signaling handshake to server_urls within ${seconds(options.connectTimeoutMs ?? 10_000)} of rtms_started, delivered over its event socket ` +
              '(as {"module":"message","content":"<the webhook body as JSON text>"}: parse content as JSON a second time, then handle it as the webhook)'
            : `the app never sent a signaling handshake to server_urls within ${seconds(options.connectTimeoutMs ?? 10_000)} of the webhook`
          : `no CLIENT_READY_ACK on signaling after the media handshake (${hs.map((h) => h.channel).join(', ')} handshakes seen)`,
      );
      return finish();
    }
    check('ready', 'pass', `signaling and media handshakes accepted; CLIENT_READY_ACK received (${Date.now() - runStart} ms after the webhook)`);

    const backlog = watchBacklog(stream, options.maxMediaBacklogBytes ?? 1024 * 1024);
    await Promise.race([stream.playMeeting({ durationMs: 10_000, ...options.script }), endedEarly]);
    backlog.stop();
    if (ended === undefined) await awaitPendingReconnects();
    await Promise.all(autoWebhooks);
    if (backlog.worst !== undefined) {
      check('media-consumed', 'fail', `media stopped being consumed: ${Math.round(backlog.worst.bytes / 1024)} KiB queued on the media socket at ${at(backlog.worst.at)} (the app is not reading it)`);
    } else check('media-consumed', 'pass', 'the app kept reading its media');

    if (ended !== undefined) {
      // The stream is over (a reconnect window passed): Zoom has sent rtms_stopped itself.
      return finish();
    }
    stopSentAt = Date.now();
    if (viaEvents) {
      if (stream.deliverEvent('stopped') > 0) check('webhook-stopped', 'pass', 'rtms_stopped delivered over the event socket');
      else {
        check(
          'webhook-stopped',
          'fail',
          `rtms_stopped was lost at ${at(stopSentAt)}: the app had no event socket open (Zoom does not redeliver; keep the event socket open, and reopen it when it drops)`,
        );
      }
    } else {
      const stopped = await tryPost(webhookUrl, stream.webhook('stopped'));
      if (!accepted('webhook-stopped', 'rtms_stopped', stopped, (r) => `rtms_stopped answered HTTP ${r.status}`)) {
        if (stopped instanceof Error) {
          checks.pop();
          check('webhook-stopped', 'fail', `the app became unreachable: rtms_stopped could not be delivered at ${at(stopSentAt)} (${networkError(stopped)}); is it still running?`);
        }
      }
    }
    try {
      await stream.socketsClosed(options.closeTimeoutMs ?? 5_000);
      check('closed', 'pass', 'the app closed its sockets after rtms_stopped');
    } catch {
      check('closed', 'warn', `sockets still open ${seconds(options.closeTimeoutMs ?? 5_000)} after rtms_stopped (Zoom closes them itself; the app leaks until then)`);
      stream.terminate();
    }
    return finish();
  } finally {
    await sim.close();
  }

  /**
   * `delivery: 'events'`: announces the endpoints, then waits for the app to open the event socket. False (with a
   * failed check that says how far the app got) when it does not within the time allowed.
   */
  async function awaitEventSocket(): Promise<boolean> {
    const endpoints: ConformanceEventEndpoints = Object.freeze({ eventSocketUrl: sim.eventSocketUrl, tokenUrl: sim.tokenUrl });
    progress(`event socket ${endpoints.eventSocketUrl}`);
    progress(`token URL    ${endpoints.tokenUrl}`);
    try {
      options.onEventEndpoints?.(endpoints);
    } catch (err) {
      progress(`warn  onEventEndpoints threw: ${err instanceof Error ? err.message : String(err)}`);
    }
    const limit = options.eventConnectTimeoutMs ?? 30_000;
    progress(`wait  for the app to open the event socket (up to ${seconds(limit)})`);
    const started = Date.now();
    const deadline = started + limit;
    while (sim.openEventSockets === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    if (sim.openEventSockets > 0) {
      check('event-socket', 'pass', `the app fetched a token and opened the event socket (${Date.now() - started} ms after the simulator started)`);
      return true;
    }
    const r = sim.eventRecord;
    const statuses = [...new Set(r.tokenRequests.map((t) => t.status))];
    const ok = r.tokenRequests.some((t) => t.status === 200);
    let why: string;
    if (r.tokenRequests.length === 0) why = `the app never asked for a token (POST ${endpoints.tokenUrl}?grant_type=client_credentials with HTTP Basic clientId:clientSecret)`;
    else if (!ok && statuses.includes(401)) why = `the token endpoint refused the app's credentials (HTTP 401, ${r.tokenRequests.length} request(s)): the app and this run must use the same client id and secret`;
    else if (!ok) why = `every token request was refused (HTTP ${statuses.join(', ')}): POST ${endpoints.tokenUrl}?grant_type=client_credentials with HTTP Basic clientId:clientSecret`;
    else if (r.refusedConnections > 0) why = `the app got a token but its event socket upgrade was refused ${r.refusedConnections} time(s) (HTTP 401): append &access_token=<the token> to the event URL`;
    else if (r.connections > 0) why = `the app opened the event socket ${r.connections} time(s) but closed it again`;
    else why = `the app got a token but never opened the event socket (${endpoints.eventSocketUrl}&access_token=…)`;
    check('event-socket', 'fail', `no event socket open within ${seconds(limit)}: ${why}`);
    return false;
  }

  /** After a 401 on the slash-escaped rtms_started: does the same webhook with compact bytes pass? */
  async function diagnoseRawBody(webhook: SignedWebhook): Promise<void> {
    const retry = await tryPost(webhookUrl, buildWebhook(webhook.json.event, webhook.json.payload, sign));
    if (!(retry instanceof Error) && retry.status >= 200 && retry.status <= 299) {
      check(
        'raw-body',
        'fail',
        'the app verifies a re-serialised body, not the raw bytes: it refused rtms_started with 401 and accepted the same webhook written compactly. ' +
          'Zoom signs the exact bytes it sends; pass the raw request body to the verifier (see `rtms-client verify-webhook` and docs/webhooks.md)',
      );
      // The app started a stream on the retry: end it.
      await tryPost(webhookUrl, stream.webhook('stopped'));
      stream.terminate();
    }
  }

  /** Gives reconnects still in progress at the end of the script a short grace (the rest of the window, at most). */
  async function awaitPendingReconnects(): Promise<void> {
    const grace = options.reconnectGraceMs ?? 5_000;
    const pending = () => stream.record.drops.filter((d) => d.outcome === 'pending');
    const first = pending()[0];
    if (first === undefined) return;
    const deadline = Math.min(Date.now() + grace, ...pending().map((d) => d.at + d.windowMs));
    progress(`wait  a reconnect is in progress; waiting up to ${seconds(deadline - Date.now())} before the stop`);
    while (pending().length > 0 && Date.now() < deadline && ended === undefined) await new Promise((r) => setTimeout(r, 25));
  }

  function describeDrop(d: DropRecord): string {
    const what = d.cause === 'keepalive' ? `${d.channel} socket dropped by the server after unanswered keep-alives at ${at(d.at)}` : `${d.channel} socket closed ${d.code} at ${at(d.at)}`;
    const beforeStop = stopSentAt !== undefined ? `, ${seconds(stopSentAt - d.at)} before the stop` : '';
    switch (d.outcome) {
      case 'reconnected':
        return `${what}; ${d.channel} reconnected after ${seconds((d.reconnectedAt ?? d.at) - d.at)}`;
      case 'expired':
        return `${what}${beforeStop}; no reconnect within Zoom's ${seconds(d.windowMs)} window: the stream ended (stop reason ${ended ?? stream.record.end?.stopReason ?? '?'})`;
      case 'stream-ended':
        return `${what}${beforeStop}; the stream ended before any reconnect`;
      default:
        return `${what}${beforeStop}; no reconnect`;
    }
  }

  function finish(): ConformanceReport {
    const r = stream.record;
    const v = r.violations;
    const summarize = (id: string, rules: string[], passMessage: string) => {
      const found = rule(v, ...rules).filter((x) => x.severity !== 'info');
      if (found.length === 0) check(id, 'pass', passMessage);
      else check(id, found.some((x) => x.severity === 'error') ? 'fail' : 'warn', [...new Set(found.map((x) => x.message))].join('; '));
    };
    if (r.readyAt !== undefined) {
      if (r.drops.length === 0) check('connection', 'pass', "the app's sockets stayed up until the stop");
      for (const d of r.drops) check('connection', d.outcome === 'reconnected' ? 'pass' : 'fail', describeDrop(d));
    }
    if (r.handshakes.length > 0) {
      summarize('handshake-fields', ['protocol-version', 'sequence', 'id-key', 'handshake-first', 'media-type', 'media-params', 'order'], 'handshake fields as documented (protocol_version, sequence, ids, media_type)');
      summarize('signature', ['signature'], 'handshake signature valid');
      const dup = rule(v, 'one-connection');
      if (dup.length > 0) summarize('one-connection', ['one-connection'], '');
      else if (r.signalingConnections === 0 || r.mediaConnections === 0) check('one-connection', 'fail', `the app opened ${r.signalingConnections} signaling and ${r.mediaConnections} media connection(s)`);
      else {
        const reconnects = r.signalingConnections > 1 || r.mediaConnections > (r.drops.length > 0 ? 1 : 0) + 1 ? ` (${r.signalingConnections} signaling / ${r.mediaConnections} media over the run, reconnects included)` : '';
        check('one-connection', 'pass', `never more than one connection per socket kind at a time${reconnects}`);
      }
      const ka = r.keepAlive;
      const kaViolations = rule(v, 'keepalive', 'keepalive-echo');
      if (kaViolations.length > 0) summarize('keep-alive', ['keepalive', 'keepalive-echo'], '');
      else if (ka.sent === 0) check('keep-alive', 'warn', 'no keep-alive was due during the run (raise --duration or lower --keepalive)');
      else if (ka.answered === 0) check('keep-alive', 'fail', `the app answered none of the ${ka.sent} keep-alive request(s); Zoom drops a socket after three`);
      else check('keep-alive', 'pass', `keep-alives answered with the request timestamp (${ka.answered} of ${ka.sent}; the rest were still in flight at the end)`);
      summarize('messages', ['json', 'text-frames', 'ready-ack-channel', 'ready-ack-stream', 'ready-ack-order', 'event-subscription', 'video-subscription', 'signaling-only', 'unexpected-message'], 'every other message well formed');
    }
    let eventSocket: EventEndpointRecord | undefined;
    if (viaEvents) {
      const e = sim.eventRecord;
      eventSocket = { ...e, tokenRequests: [...e.tokenRequests] };
      if (e.connections > 0) {
        if (e.heartbeats > 0) check('event-heartbeat', 'pass', `the app sent ${e.heartbeats} heartbeat(s) on the event socket`);
        else {
          check(
            'event-heartbeat',
            'warn',
            'the app sent no {"module":"heartbeat"} on the event socket: Zoom\'s samples send one on open and every 30 s, and how soon Zoom drops a silent client is not documented',
          );
        }
        const tokens = e.tokenRequests.filter((t) => t.status === 200).length;
        if (e.expiredClosures > 0) {
          check(
            'event-token',
            'warn',
            `${e.expiredClosures} event socket(s) were closed because their token expired (the simulator's strict reading; what Zoom does is not documented): fetch a new token and replace the socket before the token expires`,
          );
        } else if (tokens > 1 && e.connections > 1) check('event-token', 'pass', `the app replaced its token before it expired (${tokens} tokens, ${e.connections} connections)`);
        if (e.longestOverlapMs > EVENT_OVERLAP_MS) {
          check(
            'event-socket-count',
            'warn',
            `the app held ${e.maxOpenSockets} event sockets open at once for ${seconds(e.longestOverlapMs)}: whether one subscription may hold several connections, or a new one closes the old, is not documented; hold one (a short overlap while replacing a token is fine)`,
          );
        } else check('event-socket-count', 'pass', `one event socket at a time${e.connections > 1 ? ` (${e.connections} connections over the run)` : ''}`);
      }
    }
    return {
      ok: !checks.some((c) => c.status === 'fail'),
      checks,
      violations: [...v],
      record: r,
      stream: { product, streamId: stream.streamId, productId: stream.productId },
      refusals,
      delivery: viaEvents ? 'events' : 'webhook',
      ...(eventSocket ? { eventSocket } : {}),
      durationMs: Date.now() - t0,
    };
  }
}

/** Samples the simulator's media backlog while the script runs; keeps the first sample above the limit. */
function watchBacklog(stream: SimulatedStream, limit: number): { stop(): void; readonly worst: { bytes: number; at: number } | undefined } {
  let worst: { bytes: number; at: number } | undefined;
  const timer = setInterval(() => {
    const bytes = stream.mediaBacklogBytes;
    if (bytes > limit && worst === undefined) worst = { bytes, at: Date.now() };
  }, 250);
  return {
    stop: () => clearInterval(timer),
    get worst() {
      return worst;
    },
  };
}
