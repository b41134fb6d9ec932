/**
 * Conformance run: drive a user's running app through one simulated RTMS stream, the way Zoom would, and report
 * what the app did right or wrong. The `rtms-client simulate` command is a thin wrapper around
 * {@link runConformance}.
 */
import { randomBytes } from 'node:crypto';
import { computeUrlValidationToken } from '../webhook.js';
import type { RtmsProduct } from '../protocol/products.js';
import type { DriftOptions } from './drift.js';
import { RtmsSimulator, type MeetingScript, type ProtocolViolation, type SimMediaKind, type StreamRecord } from './simulator.js';
import { buildUrlValidationWebhook, postWebhook, type PostedWebhook, type SignedWebhook } from './webhooks.js';

/** Options of {@link runConformance}. */
export interface ConformanceOptions {
  /** The app's webhook endpoint, e.g. `http://localhost:3000/webhook`. */
  webhookUrl: string;
  /** The app's client id (handshake signatures are checked against it). */
  clientId: string;
  /** The app's client secret. */
  clientSecret: string;
  /** The app's webhook secret token: webhooks are signed with it (and URL validation is checked, if asked). */
  webhookSecretToken?: string;
  /** Default `meeting`. */
  product?: RtmsProduct;
  /** The scripted stream. Default: the built-in meeting (or engagement), 10 s. */
  script?: MeetingScript;
  /** Keep-alive interval on every socket. Default 5 000 ms, so a short run still exercises keep-alives. */
  keepAliveIntervalMs?: number;
  /** Time the app has to connect and send CLIENT_READY_ACK after the webhook. Default 10 000 ms. */
  connectTimeoutMs?: number;
  /** Time the app has to close its sockets after `rtms_stopped`. Default 5 000 ms. */
  closeTimeoutMs?: number;
  /** Also send `endpoint.url_validation` first and check the answer. Needs `webhookSecretToken`. */
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
  /** Short id (`webhook-started`, `handshake-signaling`, ...). */
  readonly id: string;
  /** `pass`, `warn` (works with Zoom, but against its documentation) or `fail`. */
  readonly status: 'pass' | 'warn' | 'fail';
  /** What was checked and what happened. */
  readonly message: string;
}

/** The simulated stream a conformance run used. */
export interface ConformanceStream {
  /** Its product. */
  readonly product: RtmsProduct;
  /** Its `rtms_stream_id`. */
  readonly streamId: string;
  /** Its meeting UUID, webinar UUID, session id or engagement id. */
  readonly productId: string;
}

/** The outcome of {@link runConformance}. */
export interface ConformanceReport {
  /** True when no check failed (warnings allowed). */
  readonly ok: boolean;
  /** Checks, in order. */
  readonly checks: readonly ConformanceCheck[];
  /** Violations the simulator recorded. */
  readonly violations: readonly ProtocolViolation[];
  /** The simulator's record of the stream. */
  readonly record: StreamRecord;
  /** The stream's ids. */
  readonly stream: ConformanceStream;
  /** Wall time of the run in ms. */
  readonly durationMs: number;
}

/** POSTs, turning a network failure into an Error value. */
function tryPost(url: string, webhook: SignedWebhook): Promise<PostedWebhook | Error> {
  return postWebhook(url, webhook).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
}

function rule(violations: readonly ProtocolViolation[], ...rules: string[]): ProtocolViolation[] {
  return violations.filter((v) => rules.includes(v.rule));
}

/**
 * Runs one simulated stream against a running app: (optional URL validation,) signed `rtms_started`, the
 * handshakes, a scripted stream with keep-alives, signed `rtms_stopped`, and the closes. Never throws for app
 * faults: they are checks with status `fail`.
 */
export async function runConformance(options: ConformanceOptions): Promise<ConformanceReport> {
  const t0 = Date.now();
  const progress = options.onProgress ?? (() => undefined);
  const checks: ConformanceCheck[] = [];
  const check = (id: string, status: ConformanceCheck['status'], message: string) => {
    checks.push({ id, status, message });
    progress(`${status === 'pass' ? 'ok  ' : status === 'warn' ? 'warn' : 'FAIL'} ${message}`);
  };
  const sim = await RtmsSimulator.start({
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    ...(options.webhookSecretToken === undefined ? {} : { webhookSecretToken: options.webhookSecretToken }),
    keepAliveIntervalMs: options.keepAliveIntervalMs ?? 5_000,
    ...(options.mediaUrls ? { mediaUrls: options.mediaUrls } : {}),
    ...(options.host ? { host: options.host } : {}),
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.drift !== undefined ? { drift: options.drift } : {}),
  });
  const product = options.product ?? 'meeting';
  const stream = sim.createStream({ product });
  progress(`simulator listening on ${sim.baseUrl}; stream ${stream.streamId} (${product})`);
  try {
    if (options.validateUrl) {
      if (options.webhookSecretToken === undefined) {
        check('url-validation', 'fail', 'URL validation needs the webhook secret token');
      } else {
        const plainToken = randomBytes(16).toString('base64url');
        const res = await tryPost(options.webhookUrl, buildUrlValidationWebhook(plainToken, { secretToken: options.webhookSecretToken }));
        if (res instanceof Error) check('url-validation', 'fail', `endpoint.url_validation: request failed (${res.message})`);
        else {
          let body: unknown;
          try {
            body = JSON.parse(res.body);
          } catch {
            body = undefined;
          }
          const expected = computeUrlValidationToken(options.webhookSecretToken, plainToken);
          const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
          if (res.status === 200 && b['plainToken'] === plainToken && b['encryptedToken'] === expected) {
            check('url-validation', 'pass', 'endpoint.url_validation answered with the right encryptedToken');
          } else {
            check('url-validation', 'fail', `endpoint.url_validation: expected 200 with plainToken and its HMAC, got ${res.status}`);
          }
        }
      }
    }

    const sent = Date.now();
    const started = await tryPost(options.webhookUrl, stream.webhook('started'));
    if (started instanceof Error) {
      check('webhook-started', 'fail', `POST rtms_started to ${options.webhookUrl} failed: ${started.message}`);
      return finish();
    }
    const took = Date.now() - sent;
    if (started.status < 200 || started.status > 299) check('webhook-started', 'fail', `rtms_started answered HTTP ${started.status}; Zoom expects 2xx`);
    else if (took > 3_000) check('webhook-started', 'warn', `rtms_started answered after ${took} ms; Zoom retries after 3 s`);
    else check('webhook-started', 'pass', `rtms_started answered HTTP ${started.status} in ${took} ms`);

    try {
      await stream.ready(options.connectTimeoutMs ?? 10_000);
    } catch {
      const hs = stream.record.handshakes;
      check(
        'ready',
        'fail',
        hs.length === 0
          ? 'the app never sent a signaling handshake to server_urls'
          : `no CLIENT_READY_ACK on signaling after the media handshake (${hs.map((h) => h.channel).join(', ')} handshakes seen)`,
      );
      return finish();
    }
    check('ready', 'pass', `signaling and media handshakes accepted; CLIENT_READY_ACK received (${Date.now() - sent} ms after the webhook)`);

    await stream.playMeeting({ durationMs: 10_000, ...options.script });
    const stopped = await tryPost(options.webhookUrl, stream.webhook('stopped'));
    if (stopped instanceof Error) check('webhook-stopped', 'fail', `POST rtms_stopped failed: ${stopped.message}`);
    else if (stopped.status < 200 || stopped.status > 299) check('webhook-stopped', 'fail', `rtms_stopped answered HTTP ${stopped.status}`);
    else check('webhook-stopped', 'pass', `rtms_stopped answered HTTP ${stopped.status}`);
    try {
      await stream.socketsClosed(options.closeTimeoutMs ?? 5_000);
      check('closed', 'pass', 'the app closed its sockets after rtms_stopped');
    } catch {
      check('closed', 'warn', `sockets still open ${options.closeTimeoutMs ?? 5_000} ms after rtms_stopped (Zoom closes them itself; the app leaks until then)`);
      stream.terminate();
    }
    return finish();
  } finally {
    await sim.close();
  }

  function finish(): ConformanceReport {
    const v = stream.record.violations;
    const summarize = (id: string, rules: string[], passMessage: string) => {
      const found = rule(v, ...rules);
      if (found.length === 0) check(id, 'pass', passMessage);
      else check(id, found.some((x) => x.severity === 'error') ? 'fail' : 'warn', [...new Set(found.map((x) => x.message))].join('; '));
    };
    if (stream.record.handshakes.length > 0) {
      summarize('handshake-fields', ['protocol-version', 'sequence', 'id-key', 'handshake-first', 'media-type', 'media-params', 'order'], 'handshake fields as documented (protocol_version, sequence, ids, media_type)');
      summarize('signature', ['signature'], 'handshake signature valid');
      summarize('one-connection', ['one-connection'], 'one signaling and one media connection per stream');
      const ka = stream.record.keepAlive;
      const kaViolations = rule(v, 'keepalive', 'keepalive-echo');
      if (kaViolations.length > 0) summarize('keep-alive', ['keepalive', 'keepalive-echo'], '');
      else if (ka.sent === 0) check('keep-alive', 'warn', 'no keep-alive was due during the run (raise --duration or lower --keepalive)');
      else check('keep-alive', 'pass', `keep-alives answered with the request timestamp (${ka.answered} of ${ka.sent}; the rest were still in flight)`);
      summarize('messages', ['json', 'text-frames', 'ready-ack-channel', 'ready-ack-stream', 'ready-ack-order', 'event-subscription', 'video-subscription', 'signaling-only', 'unexpected-message'], 'every other message well formed');
    }
    return {
      ok: !checks.some((c) => c.status === 'fail'),
      checks,
      violations: [...v],
      record: stream.record,
      stream: { product, streamId: stream.streamId, productId: stream.productId },
      durationMs: Date.now() - t0,
    };
  }
}
