/**
 * RtmsClient: holds the app's credentials and options, turns webhooks into sessions, and owns every session it
 * created until the session ends.
 */
import { EventEmitter } from 'eventemitter3';
import type { ChannelLimits } from './channel.js';
import { systemClock, type Clock } from './clock.js';
import { createHash } from 'node:crypto';
import { LocalCoordinator, type ControlMessage, type CoordinatorStatus, type LeaderElection, type ProductControl, type StreamCoordinator, type StreamLease } from './coordination.js';
import { publishError, publishWebhook } from './diagnostics.js';
import { RtmsError, describeError, type RtmsErrorCode } from './errors.js';
import { RtmsEventStream, type EventStreamConnected, type EventStreamDisconnected, type EventStreamLeadership, type EventStreamOptions } from './event-stream.js';
import type { ConcurrencyLimited, ConcurrencyNearLimit, SessionState, StreamIdentity, WebhookEvent } from './events.js';
import { createFetchHandler, type FetchHandler, type FetchHandlerOptions } from './fetch-handler.js';
import { healthAnswer, type HealthReport, type HealthResponseOptions } from './health.js';
import { safeLogger, type RtmsLogger, type SafeLogger } from './logger.js';
import { resolveMedia, type MediaParams, type ResolvedMedia } from './media-params.js';
import { jsonCodec } from './protocol/codec.js';
import { readId, readInt, readNumber, value } from './protocol/fields.js';
import { CLIENT_IDLE_TIMEOUT_MS } from './protocol/constants.js';
import type { MediaKind } from './protocol/messages.js';
import { isRtmsProduct, type RtmsProduct } from './protocol/products.js';
import { generateSignature } from './protocol/signature.js';
import { DEFAULT_RECONNECT, RESTART_STOP_REASONS, type ReconnectOptions, type ReconnectPolicy } from './reconnect-policy.js';
import { RtmsSession, type MediaSocketMode, type SessionContext, type StopOptions } from './session.js';
import { resolveNetwork, type NetworkOptions, type NetworkPlan } from './net-options.js';
import { createWsSocketFactory, type SocketFactory } from './transport.js';
import { CounterSum, type ClientStats } from './stats.js';
import { pickServerUrl, type UrlPolicyOptions } from './url-policy.js';
import {
  DEFAULT_WEBHOOK_TOLERANCE_SECONDS,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  URL_VALIDATION_EVENT,
  bodyByteLength,
  bodyText,
  computeUrlValidationToken,
  getHeader,
  parseWebhookBody,
  payloadField,
  readStreamWebhook,
  verifyWebhookSignature,
  type StreamWebhook,
  type WebhookBody,
  type WebhookHeaders,
} from './webhook.js';

/** Options of {@link RtmsClient}. Only `clientId` and `clientSecret` are required. */
export interface RtmsClientOptions extends UrlPolicyOptions, NetworkOptions {
  /** The Marketplace app's client id (for Video SDK apps, the SDK key). */
  clientId: string;
  /** The app's client secret (for Video SDK apps, the SDK secret). Used only to sign handshakes; never logged. */
  clientSecret: string;
  /**
   * The app's webhook Secret Token (Marketplace → Features → Access). Every webhook must then carry a valid
   * `x-zm-signature`, and `endpoint.url_validation` is answered with it. Required unless `verifyWebhooks` is
   * `false`: a client without it throws at construction rather than accept forged webhooks.
   */
  webhookSecretToken?: string;
  /**
   * Verify `x-zm-signature` on every webhook. Default `true`, which requires `webhookSecretToken`. `false` accepts
   * unsigned and wrongly signed webhooks, so anyone who can reach the endpoint can start, stop or redirect
   * sessions: for local testing only. The client logs a warning when it is off.
   */
  verifyWebhooks?: boolean;
  /**
   * The client receives its events only over Zoom's event WebSocket ({@link RtmsClient.connectEvents}), never over
   * HTTP: `webhookSecretToken` is then not required, and `handleWebhook` (and `fetchHandler`) refuse every webhook
   * with 403 `RTMS_WEBHOOK_NOT_CONFIGURED`, whatever its signature, so nothing can start, stop or redirect a
   * session through an HTTP endpoint wired up by mistake. Health checks (`GET`/`HEAD`) are still answered.
   * Default `false`.
   */
  eventsOnly?: boolean;
  /** Media kinds to receive. Default `['audio', 'transcript']`. */
  media?: readonly MediaKind[];
  /** Media parameters; validated at construction. */
  mediaParams?: MediaParams;
  /** `single` (default): one media socket; `per-kind`: one socket per media kind where the server offers URLs. */
  mediaSockets?: MediaSocketMode;
  /**
   * Event types to subscribe to. A list applies to meetings, webinars and Video SDK sessions ({@link EventType}
   * numbers); per-product lists (`{ meeting: [...], contact_center: [...] }`) are needed for Contact Center, whose
   * {@link ZccEventType} numbers overlap, and for Zoom Phone (`phone`), whose event numbers Zoom has not published.
   * Default: active speaker, participant join and leave for the meeting-like products; none for Contact Center and
   * Zoom Phone. Change at run time with `session.subscribe()`.
   */
  events?: readonly number[] | Readonly<Partial<Record<RtmsProduct, readonly number[]>>>;
  /** Time allowed for the answer to a request (`subscribeVideo`, `requestStreamState`, ...). Default 10 000 ms. */
  requestTimeoutMs?: number;
  /** `buffer_data` in the signaling handshake: `false` drops audio buffered before the app connected. Server default true. */
  bufferData?: boolean;
  /**
   * Automatic reconnection after a dropped socket, a silent server, an `*.rtms_interrupted` webhook, a
   * media-interrupted event or a server failover. Default on, with Zoom's figures; `false` turns it off.
   */
  reconnect?: ReconnectOptions | false;
  /** Where the SDK logs. Default: nowhere. */
  logger?: RtmsLogger;
  /** Webhook replay window in seconds. Default 300. */
  webhookToleranceSeconds?: number;
  /** Largest webhook body accepted, in bytes (413 above). Default 1 MiB. */
  maxWebhookBodyBytes?: number;
  /** Socket connect (TCP + TLS + upgrade) timeout. Default 10 000 ms. */
  connectTimeoutMs?: number;
  /** Time allowed for a handshake response. Default 10 000 ms. */
  handshakeTimeoutMs?: number;
  /**
   * A socket that receives nothing (no keep-alive, no data) for this long is treated as dropped. Default 65 000 ms;
   * 0 disables. The watchdog checks eight times per timeout instead of reading the clock on every frame, so a
   * silent socket is reported between `idleTimeoutMs` and `idleTimeoutMs × 1.125` after its last frame.
   */
  idleTimeoutMs?: number;
  /** Time allowed for a socket's closing handshake before it is cut. Default 2 000 ms. */
  closeTimeoutMs?: number;
  /** Time `stop()` waits for the server to confirm STREAM_CLOSE_REQ. Default 2 000 ms. */
  stopTimeoutMs?: number;
  /** Largest frame accepted on a socket, in bytes. Default 16 MiB. */
  maxPayloadBytes?: number;
  /**
   * Coordination with other app instances (one consumer per stream, routing, takeover). Default: a
   * {@link LocalCoordinator} (single instance). See `rtms-client/redis`.
   */
  coordinator?: StreamCoordinator;
  /**
   * Socket factory (transport seam). Default: `ws`, with `agent`, `proxy` and `tls` applied. A custom factory opens
   * its own sockets, so it cannot be combined with those options (`RTMS_INVALID_OPTIONS`).
   */
  socketFactory?: SocketFactory;
  /** Clock (for fake timers in tests). Default: the system clock. */
  clock?: Clock;
}

/** A webhook request, framework-free: the raw body and the headers. */
export interface WebhookRequest {
  /** The request headers (Node's `req.headers`, a plain record, or a Fetch `Headers`). */
  headers?: WebhookHeaders;
  /** The raw request body, exactly as received (signatures cover these bytes). */
  body: WebhookBody;
  /**
   * The HTTP method, when the route also takes load-balancer checks: `GET` and `HEAD` get the health answer
   * ({@link RtmsClient.healthResponse}) instead of being handled as a webhook. Absent or any other method: a webhook.
   */
  method?: string;
}

/** What to answer Zoom. Send `status`, `headers` and `body` back as they are. */
export interface WebhookResponse {
  /** HTTP status to answer with (200, 400, 401, 413, 500 or 503). */
  status: number;
  /** Headers to answer with (`content-type: application/json`). */
  headers?: Record<string, string>;
  /** JSON body to answer with. */
  body: string;
  /** The session the webhook created or addressed, if any. */
  session?: RtmsSession;
}

/** Codes a refused webhook can carry. */
export type WebhookRejectionCode = Extract<RtmsErrorCode, `RTMS_WEBHOOK_${string}` | 'RTMS_CLIENT_CLOSED' | 'RTMS_INTERNAL_ERROR'>;

/** A webhook the client refused, for monitoring. Never contains secrets. */
export interface WebhookRejection {
  /** HTTP status answered. */
  readonly status: number;
  /** Error code (`RTMS_WEBHOOK_SIGNATURE_INVALID`, ...). */
  readonly code: WebhookRejectionCode;
  /** Short reason, also in the response body. */
  readonly message: string;
  /** Webhook event name, when the body was readable. */
  readonly event: string | undefined;
}

/** Events of an {@link RtmsClient}. */
export interface RtmsClientEvents {
  /** A new session, emitted synchronously inside `handleWebhook`: attach listeners here. */
  session: [session: RtmsSession];
  /** Any verified webhook (after the session, if one was created). */
  webhook: [event: WebhookEvent];
  /** A webhook answered with 4xx/5xx. */
  webhookRejected: [rejection: WebhookRejection];
  /** `rtms.concurrency_near_limit`. */
  concurrencyNearLimit: [info: ConcurrencyNearLimit];
  /** `rtms.concurrency_limited`: new streams are being refused. */
  concurrencyLimited: [info: ConcurrencyLimited];
  /**
   * This instance gave a stream up: the coordinator's store answered that another instance holds it, this process
   * stalled past its lease, or (store unreachable) the stream could not be confirmed and spent its reconnects. The
   * session was cut at once and ends `stopped` with cause `handover`; another instance resumes it. A store that
   * merely does not answer never causes a handover of a healthy stream.
   */
  handover: [session: RtmsSession];
  /** The event WebSocket ({@link RtmsClient.connectEvents}) opened, or was replaced before its token expired. */
  eventStreamConnected: [info: EventStreamConnected];
  /** The event WebSocket is down and will be retried; events Zoom sends until it is back are lost (§6.5). */
  eventStreamDisconnected: [info: EventStreamDisconnected];
  /**
   * With a shared coordinator (`rtms-client/redis`): this instance took the subscription's event socket (it connects
   * now) or gave it up to another instance (it closed it). Only one instance of the fleet holds it (docs/scaling.md).
   */
  eventStreamLeadership: [info: EventStreamLeadership];
  /** A client-level problem (a `session` listener threw, the event stream's credentials were refused, ...). */
  error: [error: RtmsError];
}

/** Options of {@link RtmsClient.close}. */
export type CloseOptions = StopOptions;

const JSON_HEADERS: Readonly<Record<string, string>> = { 'content-type': 'application/json' };

/**
 * The longest a webhook waits for the coordinator (claims and routing), so that Zoom gets its answer within its
 * 3 s webhook timeout even from a coordinator that does not bound its own calls. A claim still pending then goes
 * on in the background (the session starts if it succeeds); the webhook is answered 200.
 */
const COORDINATION_BUDGET_MS = 2_500;
/**
 * A stream offered to the fleet (it arrived on the leader's event socket) is claimed after
 * `min(OFFER_MAX_DELAY_MS, sessions × OFFER_DELAY_PER_SESSION_MS)` plus up to `OFFER_JITTER_MS`: the least loaded
 * instance usually wins. If nobody has claimed it after `OFFER_FALLBACK_MS`, the leader claims it.
 */
const OFFER_DELAY_PER_SESSION_MS = 10;
const OFFER_MAX_DELAY_MS = 500;
const OFFER_JITTER_MS = 25;
const OFFER_FALLBACK_MS = 2_000;

/** What {@link RtmsClient} gets from a coordinator call that ran past the webhook's budget. */
const LATE: unique symbol = Symbol('late');
/** What {@link RtmsClient} gets from a coordinator call that rejected (the seam says none should). */
const FAILED: unique symbol = Symbol('failed');

/**
 * Clock-skew allowance for {@link ProductControl.at}: a product-id-only webhook from another instance applies to the
 * sessions created up to this long after the sender received it (by this instance's clock).
 */
const PRODUCT_CONTROL_SKEW_MS = 1_000;

/** The webhook answer's `status` for a control webhook handed to other instances: told, still telling, or nobody. */
function routingStatus(routed: boolean | typeof LATE | typeof FAILED): 'routed' | 'routing' | 'unknown_stream' {
  return routed === true ? 'routed' : routed === LATE ? 'routing' : 'unknown_stream';
}

function positive(name: string, v: number | undefined, dflt: number, allowZero = false): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
    throw new RtmsError('RTMS_INVALID_OPTIONS', `${name} must be a ${allowZero ? 'non-negative' : 'positive'} number`);
  }
  return v;
}

function resolveEvents(events: RtmsClientOptions['events']): SessionContext['events'] {
  if (events === undefined) return undefined;
  const list = (name: string, v: unknown): readonly number[] => {
    if (!Array.isArray(v) || v.some((e) => !Number.isInteger(e) || e <= 0)) {
      throw new RtmsError('RTMS_INVALID_OPTIONS', `${name} must be a list of positive integer event types`);
    }
    return Object.freeze([...(v as number[])]);
  };
  if (Array.isArray(events)) {
    const l = list('events', events);
    return Object.freeze({ meeting: l, webinar: l, session: l });
  }
  if (typeof events !== 'object' || events === null) throw new RtmsError('RTMS_INVALID_OPTIONS', 'events must be a list or a per-product map');
  const out: Partial<Record<RtmsProduct, readonly number[]>> = {};
  for (const [k, v] of Object.entries(events)) {
    if (!isRtmsProduct(k)) throw new RtmsError('RTMS_INVALID_OPTIONS', `events: unknown product ${k}`);
    out[k] = list(`events.${k}`, v);
  }
  return Object.freeze(out);
}

function resolveReconnect(opt: ReconnectOptions | false | undefined): ReconnectPolicy | undefined {
  if (opt === false) return undefined;
  if (opt !== undefined && (typeof opt !== 'object' || opt === null)) throw new RtmsError('RTMS_INVALID_OPTIONS', 'reconnect must be an object or false');
  const o = opt ?? {};
  const d = DEFAULT_RECONNECT;
  const maxAttempts = positive('reconnect.maxAttempts', o.maxAttempts, d.maxAttempts);
  if (!Number.isInteger(maxAttempts)) throw new RtmsError('RTMS_INVALID_OPTIONS', 'reconnect.maxAttempts must be an integer');
  const jitter = positive('reconnect.jitter', o.jitter, d.jitter, true);
  if (jitter > 1) throw new RtmsError('RTMS_INVALID_OPTIONS', 'reconnect.jitter must be between 0 and 1');
  return Object.freeze({
    maxAttempts,
    baseDelayMs: positive('reconnect.baseDelayMs', o.baseDelayMs, d.baseDelayMs, true),
    maxDelayMs: positive('reconnect.maxDelayMs', o.maxDelayMs, d.maxDelayMs, true),
    jitter,
    signalingWindowMs: positive('reconnect.signalingWindowMs', o.signalingWindowMs, d.signalingWindowMs),
    mediaWindowMs: positive('reconnect.mediaWindowMs', o.mediaWindowMs, d.mediaWindowMs),
  });
}

function leaseOf(session: RtmsSession): StreamLease {
  const id = session.identity;
  return { streamId: id.streamId, product: id.product, productId: id.productId, serverUrls: id.serverUrls };
}

function json(status: number, body: Record<string, unknown>, session?: RtmsSession): WebhookResponse {
  const res: WebhookResponse = { status, headers: { ...JSON_HEADERS }, body: JSON.stringify(body) };
  if (session) res.session = session;
  return res;
}

function num(v: unknown): number | undefined {
  return value(readNumber(v));
}

/**
 * The RTMS client. One per app (credentials); it serves any number of concurrent streams.
 *
 * ```ts
 * const client = new RtmsClient({ clientId, clientSecret, webhookSecretToken });
 * client.on('session', (session) => session.on('transcript', (t) => show(t.userName, t.text)));
 * const res = await client.handleWebhook({ headers: req.headers, body: rawBody });
 * ```
 *
 * @throws {@link RtmsError} `RTMS_INVALID_OPTIONS` from the constructor for missing credentials or bad options.
 */
export class RtmsClient extends EventEmitter<RtmsClientEvents> {
  readonly #clientId: string;
  readonly #clientSecret: string;
  readonly #webhookSecretToken: string | undefined;
  readonly #verifyWebhooks: boolean;
  readonly #eventsOnly: boolean;
  readonly #sessions = new Map<string, RtmsSession>();
  /** When each session was created (epoch ms): a late product-id-only webhook from another instance spares newer ones. */
  readonly #createdAt = new WeakMap<RtmsSession, number>();
  #ctx: SessionContext;
  readonly #logger: SafeLogger;
  /** Agent, proxy and TLS options: every socket and the event stream's token request use them. */
  readonly #network: NetworkPlan;
  readonly #toleranceSeconds: number;
  readonly #maxBodyBytes: number;
  #closing: Promise<void> | undefined;
  readonly #coordinator: StreamCoordinator;
  readonly #attached: Promise<void>;
  readonly #claiming = new Map<string, Promise<RtmsSession | undefined>>();
  #coordinatorStarted = false;
  #webhooksAccepted = 0;
  #webhooksRejected = 0;
  readonly #rejectedByCode: Partial<Record<WebhookRejectionCode, number>> = {};
  readonly #endedCounters = new CounterSum();
  #sessionsCreated = 0;
  #sessionsStopped = 0;
  #sessionsFailed = 0;
  readonly #eventStreams = new Set<RtmsEventStream>();
  /** Event-subscription URLs (without query) with an open stream on this client: one socket per subscription. */
  readonly #eventUrls = new Set<string>();
  /** Timers of streams offered to the fleet: this instance's claim delay, and the offering leader's fallback. */
  readonly #offerTimers = new Set<ReturnType<typeof setTimeout>>();

  /**
   * Validates the options (media parameters included) and prepares the client; opens nothing.
   *
   * @throws {@link RtmsError} `RTMS_INVALID_OPTIONS` for missing credentials or a bad option.
   */
  constructor(options: RtmsClientOptions) {
    super();
    if (typeof options !== 'object' || options === null) throw new RtmsError('RTMS_INVALID_OPTIONS', 'options are required');
    if (typeof options.clientId !== 'string' || options.clientId.length === 0) {
      throw new RtmsError('RTMS_INVALID_OPTIONS', 'clientId is required (the app\'s client id)');
    }
    if (typeof options.clientSecret !== 'string' || options.clientSecret.length === 0) {
      throw new RtmsError('RTMS_INVALID_OPTIONS', 'clientSecret is required (the app\'s client secret)');
    }
    if (options.verifyWebhooks !== undefined && typeof options.verifyWebhooks !== 'boolean') {
      throw new RtmsError('RTMS_INVALID_OPTIONS', 'verifyWebhooks must be a boolean');
    }
    const verify = options.verifyWebhooks !== false;
    if (options.eventsOnly !== undefined && typeof options.eventsOnly !== 'boolean') throw new RtmsError('RTMS_INVALID_OPTIONS', 'eventsOnly must be a boolean');
    // Events-only: no HTTP path at all, so no secret token is needed to keep it secure (every webhook is refused).
    this.#eventsOnly = options.eventsOnly === true;
    if (options.webhookSecretToken !== undefined && (typeof options.webhookSecretToken !== 'string' || options.webhookSecretToken.length === 0)) {
      throw new RtmsError('RTMS_INVALID_OPTIONS', `webhookSecretToken must be a non-empty string${verify ? "; set it to the app's Secret Token, or pass verifyWebhooks: false to accept unsigned webhooks (local testing only)" : ''}`);
    }
    if (verify && !this.#eventsOnly && options.webhookSecretToken === undefined) {
      // Secure by default: without a token every webhook would be accepted unverified. Name both ways out.
      throw new RtmsError(
        'RTMS_INVALID_OPTIONS',
        "webhookSecretToken is required to verify Zoom's webhooks: set it to the app's Secret Token (e.g. process.env.ZOOM_SECRET_TOKEN), eventsOnly: true when the app takes its events over the event WebSocket only (connectEvents), or verifyWebhooks: false to accept unsigned webhooks (local testing only)",
      );
    }
    this.#verifyWebhooks = verify;
    const mediaSockets = options.mediaSockets ?? 'single';
    if (mediaSockets !== 'single' && mediaSockets !== 'per-kind') throw new RtmsError('RTMS_INVALID_OPTIONS', "mediaSockets must be 'single' or 'per-kind'");
    this.#clientId = options.clientId;
    this.#clientSecret = options.clientSecret;
    this.#webhookSecretToken = options.webhookSecretToken;
    this.#logger = safeLogger(options.logger);
    this.#network = resolveNetwork(options, this.#logger);
    if (options.socketFactory !== undefined && !this.#network.isDefault) {
      throw new RtmsError('RTMS_INVALID_OPTIONS', 'socketFactory cannot be combined with agent, proxy or tls: a custom factory opens its own sockets');
    }
    this.#toleranceSeconds = positive('webhookToleranceSeconds', options.webhookToleranceSeconds, DEFAULT_WEBHOOK_TOLERANCE_SECONDS);
    this.#maxBodyBytes = positive('maxWebhookBodyBytes', options.maxWebhookBodyBytes, 1024 * 1024);
    const media: ResolvedMedia = resolveMedia(options.media, options.mediaParams);
    const limits: ChannelLimits = {
      connectTimeoutMs: positive('connectTimeoutMs', options.connectTimeoutMs, 10_000),
      handshakeTimeoutMs: positive('handshakeTimeoutMs', options.handshakeTimeoutMs, 10_000),
      idleTimeoutMs: positive('idleTimeoutMs', options.idleTimeoutMs, CLIENT_IDLE_TIMEOUT_MS, true),
      closeTimeoutMs: positive('closeTimeoutMs', options.closeTimeoutMs, 2_000),
      maxPayloadBytes: positive('maxPayloadBytes', options.maxPayloadBytes, 16 * 1024 * 1024),
    };
    if (options.bufferData !== undefined && typeof options.bufferData !== 'boolean') throw new RtmsError('RTMS_INVALID_OPTIONS', 'bufferData must be a boolean');
    this.#ctx = {
      reconnect: resolveReconnect(options.reconnect),
      clientId: options.clientId,
      media,
      mediaSockets,
      bufferData: options.bufferData,
      events: resolveEvents(options.events),
      requestTimeoutMs: positive('requestTimeoutMs', options.requestTimeoutMs, 10_000),
      limits,
      stopTimeoutMs: positive('stopTimeoutMs', options.stopTimeoutMs, 2_000),
      urlPolicy: { allowedHosts: options.allowedHosts, allowLoopback: options.allowLoopback, allowInsecureUrls: options.allowInsecureUrls },
      socketFactory: options.socketFactory ?? createWsSocketFactory(this.#network),
      codec: jsonCodec,
      clock: options.clock ?? systemClock,
      logger: this.#logger,
    };
    if (!this.#verifyWebhooks && !this.#eventsOnly) {
      this.#logger.warn('verifyWebhooks is false: webhooks are NOT verified; anyone who reaches the endpoint can start, stop or redirect sessions');
    }
    this.#coordinator = options.coordinator ?? new LocalCoordinator();
    const coordinator = this.#coordinator;
    // Asked before every reconnect attempt; a coordinator may bound the reconnects of a stream it cannot confirm.
    const isOwner: (streamId: string) => boolean =
      typeof coordinator.mayReconnect === 'function' ? (streamId) => coordinator.mayReconnect!(streamId) : (streamId) => coordinator.owns(streamId);
    this.#ctx = { ...this.#ctx, isOwner };
    this.#attached = Promise.resolve()
      .then(() =>
        coordinator.attach({
          onControl: (m) => this.#onControl(m),
          onTakeover: (l) => this.#onTakeover(l),
          onLost: (id) => this.#onLost(id),
          onStatus: (status) => this.#onStatus(status),
          onOffer: (lease) => this.#onOffer(lease),
          onProductControl: (m) => this.#onProductControl(m),
        }),
      )
      .catch((err: unknown) => this.#logger.error(`coordinator failed to start: ${describeError(err)}`))
      .then(() => {
        this.#coordinatorStarted = true;
      });
  }

  /** Live sessions by stream id. A session leaves this map when it ends. */
  get sessions(): ReadonlyMap<string, RtmsSession> {
    return this.#sessions;
  }

  /** True once `close()` was called. */
  get isClosed(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * Handles one webhook request. Never throws or rejects: bad input is an answer (400/401/413), and an internal
   * fault is a 500. Answer Zoom with the returned status, headers and body.
   */
  async handleWebhook(request: WebhookRequest): Promise<WebhookResponse> {
    try {
      const method = typeof request === 'object' && request !== null && typeof request.method === 'string' ? request.method.toUpperCase() : undefined;
      if (method === 'GET' || method === 'HEAD') return this.healthResponse({ head: method === 'HEAD' });
      await this.#attached;
      const meta: { event?: string } = {};
      const res = await this.#handle(request, meta);
      if (res.status < 400) {
        this.#webhooksAccepted++;
        publishWebhook(() => ({ event: meta.event, status: res.status, outcome: 'accepted', code: undefined, streamId: res.session?.id }));
      }
      return res;
    } catch (err) {
      this.#logger.error(`webhook handling failed: ${describeError(err)}`);
      return this.#reject(500, 'RTMS_INTERNAL_ERROR', 'internal error', undefined);
    }
  }

  /**
   * Receives the app's webhooks over Zoom's event-subscription WebSocket instead of an HTTP endpoint
   * (docs/event-stream.md): fetches an OAuth token with the app's client credentials, opens `url` with it, sends
   * heartbeats, and handles each event exactly as a verified webhook. Reconnects with backoff; `client.close()`
   * closes it. Events: `eventStreamConnected`, `eventStreamDisconnected`, and `error` for a refused credential.
   *
   * @throws {@link RtmsError} `RTMS_INVALID_OPTIONS` for a bad option or a closed client, `RTMS_URL_REJECTED` for a
   * URL the allow-list refuses.
   */
  connectEvents(options: EventStreamOptions): RtmsEventStream {
    if (this.#closing) throw new RtmsError('RTMS_INVALID_OPTIONS', 'connectEvents: the client is closed');
    const ctx = this.#ctx;
    const subscription = typeof options?.url === 'string' ? subscriptionKey(options.url) : '';
    if (this.#eventUrls.has(subscription)) {
      throw new RtmsError('RTMS_INVALID_OPTIONS', 'connectEvents: this client already has an event stream for that subscription (one socket per subscription)');
    }
    // With a coordinator that elects, only the fleet's leader for this subscription holds its socket (docs/scaling.md).
    const coordinator = this.#coordinator;
    const elects = typeof coordinator.lead === 'function';
    const stream = new RtmsEventStream(
      {
        clientId: this.#clientId,
        clientSecret: this.#clientSecret,
        socketFactory: ctx.socketFactory,
        clock: ctx.clock,
        logger: this.#logger,
        urlPolicy: ctx.urlPolicy,
        connectTimeoutMs: ctx.limits.connectTimeoutMs,
        maxPayloadBytes: ctx.limits.maxPayloadBytes,
        request: this.#network.request,
        standby: elects,
        deliver: (text) => this.handleEventBody(text),
        connected: (info) => this.#safeEmit('eventStreamConnected', info),
        disconnected: (info) => this.#safeEmit('eventStreamDisconnected', info),
        error: (err) => this.#safeEmit('error', err),
      },
      options,
    );
    this.#eventStreams.add(stream);
    this.#eventUrls.add(subscription);
    let election: LeaderElection | undefined;
    if (elects) {
      // Shown without its query, as in the other event-stream events.
      const shownUrl = subscription.slice(subscription.indexOf(' ') + 1).split('?')[0] ?? '';
      try {
        election = coordinator.lead!(`events:${createHash('sha256').update(subscription).digest('hex').slice(0, 32)}`, (leading) => {
          stream.setActive(leading);
          this.#safeEmit('eventStreamLeadership', { url: shownUrl, leader: leading, epoch: leading ? election?.epoch : undefined });
        });
      } catch (err) {
        // A coordinator that refuses the role (one coordinator shared by two clients, say): open nothing.
        void stream.close();
        throw new RtmsError('RTMS_INVALID_OPTIONS', `connectEvents: the coordinator refused the event socket's election: ${describeError(err)}`);
      }
    }
    void stream.closed().then(async () => {
      this.#eventStreams.delete(stream);
      this.#eventUrls.delete(subscription);
      await election?.resign().catch((err: unknown) => this.#logger.warn(`resigning the event socket's role failed: ${describeError(err)}`));
    });
    return stream;
  }

  /**
   * @internal A webhook body that arrived over the event WebSocket (§6.5): the channel is authenticated by the
   * OAuth token, so it is handled exactly as a verified webhook. Never rejects.
   */
  async handleEventBody(text: string): Promise<WebhookResponse> {
    try {
      await this.#attached;
      if (this.#closing) return this.#reject(503, 'RTMS_CLIENT_CLOSED', 'client is closed', undefined);
      const parsed = parseWebhookBody(text);
      if (!parsed.ok) return this.#reject(400, 'RTMS_WEBHOOK_BODY_INVALID', parsed.message, undefined);
      // No public endpoint: nothing to validate.
      if (parsed.webhook.event === URL_VALIDATION_EVENT) return json(200, { status: 'ignored' });
      const res = await this.#dispatch(parsed.webhook, true);
      if (res.status < 400) {
        this.#webhooksAccepted++;
        publishWebhook(() => ({ event: parsed.webhook.event, status: res.status, outcome: 'accepted', code: undefined, streamId: res.session?.id }));
      }
      return res;
    } catch (err) {
      this.#logger.error(`event handling failed: ${describeError(err)}`);
      return this.#reject(500, 'RTMS_INTERNAL_ERROR', 'internal error', undefined);
    }
  }

  /**
   * Stops every session (by default each asks the server to end its stream) and resolves once every socket and
   * timer the client opened is released. Later webhooks get 503. Idempotent; always resolves.
   */
  close(options: CloseOptions = {}): Promise<void> {
    if (this.#closing) return this.#closing;
    for (const t of this.#offerTimers) clearTimeout(t);
    this.#offerTimers.clear();
    const events = [...this.#eventStreams].map((e) => e.close());
    this.#closing = (async () => {
      await Promise.all(events);
      await this.#attached;
      // A claim still pending (a coordinator that does not answer) is waited for at most the webhook budget; if it
      // succeeds later it sees the client closing and releases the stream.
      await this.#within(Promise.all([...this.#claiming.values()]), Date.now() + COORDINATION_BUDGET_MS);
      const ended = [...this.#sessions.values()].map((s) => s.stopForClient(options));
      await Promise.all(ended);
      // Let the sessions' release calls reach the coordinator before it closes.
      await new Promise<void>((resolve) => setImmediate(resolve));
      await this.#coordinator.close().catch((err: unknown) => this.#logger.warn(`coordinator close failed: ${describeError(err)}`));
    })();
    return this.#closing;
  }

  /**
   * The client's counters: live sessions by state, webhooks by outcome (rejections by error code), and lifetime
   * totals (sessions created, stopped and failed, and every session's counters, ended ones included). Reads each
   * live session's {@link RtmsSession.stats}; never throws.
   */
  stats(): ClientStats {
    const sessions: Record<SessionState, number> = { connecting: 0, handshaking: 0, streaming: 0, reconnecting: 0, stopping: 0, stopped: 0, failed: 0 };
    const sum = new CounterSum().add(this.#endedCounters.snapshot());
    for (const s of this.#sessions.values()) {
      sessions[s.state]++;
      sum.add(s.stats());
    }
    return Object.freeze({
      sessions: Object.freeze(sessions),
      liveSessions: this.#sessions.size,
      webhooks: Object.freeze({
        received: this.#webhooksAccepted + this.#webhooksRejected,
        accepted: this.#webhooksAccepted,
        rejected: this.#webhooksRejected,
        rejectedByCode: Object.freeze({ ...this.#rejectedByCode }),
      }),
      totals: Object.freeze({ ...sum.snapshot(), sessionsCreated: this.#sessionsCreated, sessionsStopped: this.#sessionsStopped, sessionsFailed: this.#sessionsFailed }),
    });
  }

  /**
   * Live/ready, sessions streaming versus reconnecting, and (in scale-out mode) whether the coordinator's store
   * answers. Reads state only; never throws.
   */
  health(): HealthReport {
    const sessions = { total: this.#sessions.size, streaming: 0, connecting: 0, reconnecting: 0, stopping: 0 };
    for (const s of this.#sessions.values()) {
      const st = s.state;
      if (st === 'streaming') sessions.streaming++;
      else if (st === 'reconnecting') sessions.reconnecting++;
      else if (st === 'connecting' || st === 'handshaking') sessions.connecting++;
      else if (st === 'stopping') sessions.stopping++;
    }
    const shared = !(this.#coordinator instanceof LocalCoordinator);
    let status: CoordinatorStatus | undefined;
    try {
      status = this.#coordinator.status;
    } catch {
      status = undefined;
    }
    const reachable = !shared ? true : status === undefined ? undefined : status.state === 'ok';
    const eventStreams = { total: 0, connected: 0, connecting: 0, reconnecting: 0, standby: 0 };
    for (const e of this.#eventStreams) {
      const st = e.state;
      if (st === 'closed' || st === 'failed') continue;
      eventStreams.total++;
      eventStreams[st]++;
    }
    const live = this.#closing === undefined;
    const ready = live && this.#coordinatorStarted;
    return Object.freeze({
      status: !ready ? 'unavailable' : reachable === false || eventStreams.connecting + eventStreams.reconnecting > 0 ? 'degraded' : 'ok',
      live,
      ready,
      sessions: Object.freeze(sessions),
      coordinator: Object.freeze({ shared, reachable, status }),
      eventStreams: Object.freeze(eventStreams),
    });
  }

  /**
   * A ready-made answer for load-balancer health checks: 200 while {@link health} says ready (503 otherwise, and
   * also while a shared coordinator's store does not answer with `requireCoordinator`), with a small JSON
   * {@link HealthBody}. `handleWebhook` answers GET and HEAD with it when given the request's `method`.
   *
   * ```ts
   * app.get('/health', (_req, res) => { const h = client.healthResponse(); res.status(h.status).set(h.headers).send(h.body); });
   * ```
   */
  healthResponse(options: HealthResponseOptions = {}): WebhookResponse {
    const { status, body } = healthAnswer(this.health(), options);
    return { status, headers: { ...JSON_HEADERS, 'cache-control': 'no-store' }, body };
  }

  /**
   * A Web-standard handler for `Bun.serve`, `Deno.serve`, Hono, Next.js route handlers and other Fetch API
   * servers: reads the raw body from the `Request` (bounded by `maxWebhookBodyBytes`: a larger `content-length`
   * is refused unread, and reading stops past the limit), answers GET and HEAD with the health answer, and
   * otherwise answers exactly what {@link handleWebhook} answers. The returned function never rejects.
   *
   * ```ts
   * Bun.serve({ port: 8080, fetch: client.fetchHandler() });
   * ```
   */
  fetchHandler(options: FetchHandlerOptions = {}): FetchHandler {
    return createFetchHandler(
      {
        maxBodyBytes: this.#maxBodyBytes,
        health: (o) => this.healthResponse(o),
        webhook: (request) => this.handleWebhook(request),
        tooLarge: () =>
          this.#closing
            ? this.#reject(503, 'RTMS_CLIENT_CLOSED', 'client is closed', undefined)
            : this.#reject(413, 'RTMS_WEBHOOK_BODY_TOO_LARGE', `body is larger than ${this.#maxBodyBytes} bytes`, undefined),
        unreadable: () => this.#reject(400, 'RTMS_WEBHOOK_BODY_INVALID', 'the request body could not be read', undefined),
      },
      options,
    );
  }

  /** Secret-free description for `util.inspect`. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `RtmsClient { clientId: '${this.#clientId}', sessions: ${this.#sessions.size}, verifiesWebhooks: ${this.#verifyWebhooks} }`;
  }

  /** Secret-free JSON form. */
  toJSON(): Record<string, unknown> {
    return { clientId: this.#clientId, sessions: [...this.#sessions.keys()], verifiesWebhooks: this.#verifyWebhooks };
  }

  // ---------------------------------------------------------------------------------------------------------

  #reject(status: number, code: WebhookRejectionCode, message: string, event: string | undefined): WebhookResponse {
    this.#webhooksRejected++;
    this.#rejectedByCode[code] = (this.#rejectedByCode[code] ?? 0) + 1;
    publishWebhook(() => ({ event, status, outcome: 'rejected', code, streamId: undefined }));
    this.#logger.warn(`webhook refused (${status} ${code}): ${message}`, { event });
    this.#safeEmit('webhookRejected', { status, code, message, event });
    return json(status, { error: code, message });
  }

  #safeEmit<K extends keyof RtmsClientEvents>(event: K, ...args: RtmsClientEvents[K]): void {
    if (event === 'error') publishError(undefined, args[0] as RtmsError);
    try {
      (this.emit as (e: K, ...a: RtmsClientEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      this.#logger.error(`a '${event}' listener threw: ${describeError(err)}`);
      if (event === 'error') return;
      try {
        const wrapped = new RtmsError('RTMS_LISTENER_ERROR', `a '${event}' listener threw: ${describeError(err)}`, { cause: err });
        publishError(undefined, wrapped);
        this.emit('error', wrapped);
      } catch {
        // an 'error' listener that throws is logged above and otherwise ignored
      }
    }
  }

  async #handle(request: WebhookRequest, meta: { event?: string }): Promise<WebhookResponse> {
    if (this.#closing) return this.#reject(503, 'RTMS_CLIENT_CLOSED', 'client is closed', undefined);
    if (this.#eventsOnly) {
      return this.#reject(403, 'RTMS_WEBHOOK_NOT_CONFIGURED', 'this client takes its events over the event WebSocket only (eventsOnly): HTTP webhooks are refused', undefined);
    }
    if (typeof request !== 'object' || request === null) return this.#reject(400, 'RTMS_WEBHOOK_BODY_INVALID', 'no request', undefined);
    const body = request.body as unknown;
    if (typeof body !== 'string' && !(body instanceof Uint8Array)) {
      return this.#reject(400, 'RTMS_WEBHOOK_BODY_INVALID', 'body must be the raw request body (string or Buffer)', undefined);
    }
    if (bodyByteLength(body) > this.#maxBodyBytes) {
      return this.#reject(413, 'RTMS_WEBHOOK_BODY_TOO_LARGE', `body is larger than ${this.#maxBodyBytes} bytes`, undefined);
    }
    // With verification on, the constructor made sure there is a token; with it off (an explicit opt-out for
    // local testing), nothing is checked and the token only answers URL validation.
    const token = this.#verifyWebhooks ? this.#webhookSecretToken : undefined;
    if (this.#verifyWebhooks && token === undefined) return this.#reject(500, 'RTMS_WEBHOOK_NOT_CONFIGURED', 'no webhook secret token to verify with', undefined);
    const headers = request.headers;
    const signed = getHeader(headers, SIGNATURE_HEADER) !== undefined || getHeader(headers, TIMESTAMP_HEADER) !== undefined;
    // Verify before parsing. An unsigned request may only be a URL validation (§6.3: Zoom's own samples
    // disagree on whether those are signed; answering proves we hold the token and reveals nothing).
    if (token !== undefined && signed) {
      const v = verifyWebhookSignature({ secretToken: token, headers, body, toleranceSeconds: this.#toleranceSeconds });
      if (!v.ok) return this.#reject(401, v.code, v.message, undefined);
    }
    const parsed = parseWebhookBody(bodyText(body));
    if (!parsed.ok) {
      if (token !== undefined && !signed) return this.#reject(401, 'RTMS_WEBHOOK_SIGNATURE_MISSING', `missing ${SIGNATURE_HEADER} header`, undefined);
      return this.#reject(400, 'RTMS_WEBHOOK_BODY_INVALID', parsed.message, undefined);
    }
    const webhook = parsed.webhook;
    meta.event = webhook.event;
    if (webhook.event === URL_VALIDATION_EVENT) return this.#urlValidation(webhook);
    if (token !== undefined && !signed) return this.#reject(401, 'RTMS_WEBHOOK_SIGNATURE_MISSING', `missing ${SIGNATURE_HEADER} header`, webhook.event);
    return this.#dispatch(webhook);
  }

  /** A verified webhook (HTTP) or an event-socket body, parsed: sessions, stops, interruptions, account events. */
  async #dispatch(webhook: WebhookEvent, fromEventSocket = false): Promise<WebhookResponse> {
    const stream = readStreamWebhook(webhook);
    if (stream !== undefined && !stream.ok) return this.#reject(400, 'RTMS_WEBHOOK_BODY_INVALID', stream.message, webhook.event);
    let response: WebhookResponse;
    if (stream === undefined) response = this.#accountWebhook(webhook);
    else if (stream.value.step === 'rtms_started' && stream.value.streamId !== undefined) response = await this.#started({ ...stream.value, streamId: stream.value.streamId }, fromEventSocket);
    else response = await this.#stoppedOrInterrupted(stream.value, webhook);
    this.#safeEmit('webhook', webhook);
    return response;
  }

  #urlValidation(webhook: WebhookEvent): WebhookResponse {
    const plainToken = payloadField(webhook.payload, 'plainToken');
    if (typeof plainToken !== 'string' || plainToken.length === 0) {
      return this.#reject(400, 'RTMS_WEBHOOK_BODY_INVALID', 'payload.plainToken is missing', webhook.event);
    }
    if (this.#webhookSecretToken === undefined) {
      return this.#reject(500, 'RTMS_WEBHOOK_NOT_CONFIGURED', 'URL validation needs webhookSecretToken', webhook.event);
    }
    const encryptedToken = computeUrlValidationToken(this.#webhookSecretToken, plainToken);
    return json(200, { plainToken, encryptedToken });
  }

  #accountWebhook(webhook: WebhookEvent): WebhookResponse {
    const p = webhook.payload;
    if (webhook.event === 'rtms.concurrency_near_limit') {
      this.#safeEmit('concurrencyNearLimit', {
        concurrencyLimit: value(readInt(payloadField(p, 'concurrency_limit'))),
        concurrencyNumber: value(readInt(payloadField(p, 'concurrency_number'))),
        percentage: num(payloadField(p, 'percentage')),
      });
      return json(200, { status: 'ok' });
    }
    if (webhook.event === 'rtms.concurrency_limited') {
      this.#safeEmit('concurrencyLimited', {
        concurrencyNumber: value(readInt(payloadField(p, 'concurrency_number'))),
        operatorId: value(readId(payloadField(p, 'operator_id'))),
        payload: p,
      });
      return json(200, { status: 'ok' });
    }
    return json(200, { status: 'ignored' });
  }

  /** Applies a repeated rtms_started to a local session: a retry (same URLs) or a failover (new URLs). */
  #restarted(session: RtmsSession, serverUrls: string): WebhookResponse {
    if (session.identity.serverUrls === serverUrls) {
      // Zoom retried a webhook it thinks went unanswered: one connection per stream, so reuse the session.
      this.#logger.info('duplicate rtms_started ignored', { streamId: session.id });
      return json(200, { status: 'duplicate' }, session);
    }
    // A new server_urls for a live stream: Zoom's server failed over. Reconnect both channels there (§7.3).
    session.failover(serverUrls, pickServerUrl(serverUrls) ?? serverUrls);
    void Promise.resolve(this.#coordinator.update({ ...leaseOf(session), serverUrls })).catch((err: unknown) =>
      this.#logger.warn(`coordinator update failed: ${describeError(err)}`, { streamId: session.id }),
    );
    return json(200, { status: 'failover' }, session);
  }

  async #started(w: StreamWebhook & { streamId: string }, fromEventSocket = false): Promise<WebhookResponse> {
    const serverUrls = w.serverUrls ?? '';
    const existing = this.#sessions.get(w.streamId);
    if (existing !== undefined) return this.#restarted(existing, serverUrls);
    // Two deliveries of one webhook racing in this instance: the second waits for the first's claim.
    const racing = this.#claiming.get(w.streamId);
    if (racing !== undefined) {
      const s = await this.#within(racing, Date.now() + COORDINATION_BUDGET_MS);
      if (s === LATE) return json(200, { status: 'pending' });
      if (s === FAILED) return this.#reject(500, 'RTMS_INTERNAL_ERROR', 'claiming or starting the session failed', undefined);
      if (s !== undefined) return this.#restarted(s, serverUrls);
      return json(200, { status: 'owned_elsewhere' });
    }
    const lease: StreamLease = { streamId: w.streamId, product: w.product, productId: w.productId ?? '', serverUrls };
    const deadline = Date.now() + COORDINATION_BUDGET_MS;
    // The event socket's leader receives every rtms_started of the fleet: offer it to all instances, as a load
    // balancer spreads webhooks, rather than piling every stream onto the leader (docs/scaling.md).
    if (fromEventSocket && typeof this.#coordinator.offer === 'function') {
      const offered = await this.#within(Promise.resolve(this.#coordinator.offer(lease)), deadline);
      if (offered === 'owned') return json(200, { status: 'owned_elsewhere' });
      if (offered === 'offered') {
        this.#offerFallback(lease);
        return json(200, { status: 'offered' });
      }
      if (this.#sessions.has(w.streamId) || this.#claiming.has(w.streamId)) return json(200, { status: 'pending' });
      // Nobody could be told (Redis does not answer, nobody listens, or it took too long): claim it here.
    }
    const claim = this.#claimThenStart(lease);
    this.#claiming.set(w.streamId, claim);
    void claim
      .catch((err: unknown) => {
        this.#logger.error(`claiming or starting the session failed: ${describeError(err)}`, { streamId: w.streamId });
        return undefined;
      })
      .finally(() => {
        if (this.#claiming.get(w.streamId) === claim) this.#claiming.delete(w.streamId);
      });
    const session = await this.#within(claim, deadline);
    if (session === LATE) {
      // The coordinator did not answer in time: answer Zoom now; the session starts if the claim succeeds.
      this.#logger.warn('rtms_started: the coordinator did not answer in time; the claim goes on in the background', { streamId: w.streamId });
      return json(200, { status: 'pending' });
    }
    if (session === FAILED) return this.#reject(500, 'RTMS_INTERNAL_ERROR', 'claiming or starting the session failed', undefined);
    if (session !== undefined) return json(200, { status: 'ok' }, session);
    // Another instance owns the stream: let it decide whether this is a retry or a failover.
    const routed = await this.#within(Promise.resolve(this.#coordinator.route({ type: 'started', streamId: w.streamId, serverUrls })), deadline);
    this.#logger.info(`rtms_started for a stream another instance owns: ${routed === true ? 'routed to it' : 'not delivered yet'}`, { streamId: w.streamId });
    return json(200, { status: 'owned_elsewhere' });
  }

  /**
   * Waits for a coordinator call until `deadline` (epoch ms); {@link LATE} past it. Never rejects: a failed call
   * reads as {@link FAILED}. The timer is always cleared.
   */
  #within<T>(p: Promise<T>, deadline: number): Promise<T | typeof LATE | typeof FAILED> {
    // The single-instance coordinator answers at once: no timer on that path.
    if (this.#coordinator instanceof LocalCoordinator) return p.catch(() => FAILED);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(LATE), Math.max(0, deadline - Date.now()));
      p.then(
        (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        (err: unknown) => {
          clearTimeout(timer);
          this.#logger.warn(`coordinator call failed: ${describeError(err)}`);
          resolve(FAILED);
        },
      );
    });
  }

  /** Creates, registers, announces and starts a session for a stream this instance owns. */
  #createSession(lease: StreamLease, resumed: boolean): RtmsSession {
    const serverUrl = pickServerUrl(lease.serverUrls) ?? lease.serverUrls;
    const identity: StreamIdentity = Object.freeze({ product: lease.product, streamId: lease.streamId, productId: lease.productId, serverUrl, serverUrls: lease.serverUrls });
    const signature = generateSignature({ clientId: this.#clientId, clientSecret: this.#clientSecret, id: lease.productId, streamId: lease.streamId });
    const session = RtmsSession.create(identity, signature, this.#ctx, resumed);
    this.#sessions.set(lease.streamId, session);
    this.#createdAt.set(session, Date.now());
    this.#sessionsCreated++;
    void session.closed().then(async (end) => {
      if (this.#sessions.get(lease.streamId) === session) this.#sessions.delete(lease.streamId);
      this.#endedCounters.add(session.stats());
      if (end.state === 'failed') this.#sessionsFailed++;
      else this.#sessionsStopped++;
      if (end.cause === 'handover') this.#safeEmit('handover', session);
      // A handover, or a shutdown that left the stream open, lets another instance resume it.
      const forget = !(end.cause === 'handover' || (end.cause === 'client_closed' && !end.streamClosed));
      try {
        await this.#coordinator.release(lease.streamId, forget);
      } catch (err) {
        this.#logger.warn(`coordinator release failed: ${describeError(err)}`, { streamId: lease.streamId });
      }
    });
    this.#safeEmit('session', session);
    session.start();
    return session;
  }

  async #stoppedOrInterrupted(w: StreamWebhook, webhook: WebhookEvent): Promise<WebhookResponse> {
    if (w.streamId === undefined) return this.#byProductId(w, webhook);
    const session = this.#sessions.get(w.streamId);
    if (session === undefined) {
      const message: ControlMessage =
        w.step === 'rtms_stopped'
          ? { type: 'stopped', streamId: w.streamId, stopReason: w.stopReason, final: !(this.#ctx.reconnect !== undefined && w.stopReason !== undefined && RESTART_STOP_REASONS.has(w.stopReason)) }
          : { type: 'interrupted', streamId: w.streamId };
      const routed = await this.#within(Promise.resolve(this.#coordinator.route(message)), Date.now() + COORDINATION_BUDGET_MS);
      const status = routingStatus(routed);
      this.#logger.info(`${w.step} for a stream ${routed === true ? 'another instance owns: routed to it' : routed === LATE ? 'this instance does not hold: still routing' : 'nobody owns (or the coordinator cannot reach its store)'}`, { streamId: w.streamId });
      return json(200, { status });
    }
    if (w.step === 'rtms_stopped') {
      this.#stopLocal(session, w.stopReason);
      return json(200, { status: 'ok' }, session);
    }
    // rtms_interrupted: Zoom lost our signaling connection; reconnect both channels within its 60 s window.
    this.#logger.warn('rtms_interrupted received', { streamId: w.streamId, event: webhook.event });
    session.interrupted();
    return json(200, { status: 'ok' }, session);
  }

  /**
   * A stop or interrupted webhook that names no `rtms_stream_id`, only the product id (the Zoom Phone sample's
   * stop payload has just `call_id` and `stop_reason`, §6.2): applied to this instance's sessions of that
   * product id; when it has none, sent to the whole fleet (a coordinator with `broadcast`), where each instance
   * applies it to its own.
   */
  async #byProductId(w: StreamWebhook, webhook: WebhookEvent): Promise<WebhookResponse> {
    const at = Date.now();
    const control: ProductControl =
      w.step === 'rtms_stopped' ? { type: 'stopped', product: w.product, productId: w.productId ?? '', stopReason: w.stopReason, at } : { type: 'interrupted', product: w.product, productId: w.productId ?? '', at };
    const matching = this.#applyByProduct(control, Number.POSITIVE_INFINITY);
    const sent = this.#coordinator.broadcast === undefined ? Promise.resolve(false) : Promise.resolve(this.#coordinator.broadcast(control));
    // Sent to the others too when a session here had the id: nothing stops the same id streaming on two instances.
    if (matching.length > 0) {
      void sent.catch((err: unknown) => this.#logger.warn(`coordinator broadcast failed: ${describeError(err)}`));
      return json(200, { status: 'ok' }, matching.length === 1 ? matching[0] : undefined);
    }
    const routed = await this.#within(sent, Date.now() + COORDINATION_BUDGET_MS);
    this.#logger.info(
      `${w.step} without rtms_stream_id for a ${w.product} id no local session has${routed === true ? ': sent to the other instances' : routed === LATE ? ': still sending to the other instances' : ''}`,
      { event: webhook.event },
    );
    return json(200, { status: routingStatus(routed) });
  }

  /**
   * Applies a product-id-only stop or interruption to this instance's sessions of that id created before
   * `createdBefore` (epoch ms); returns them.
   */
  #applyByProduct(m: ProductControl, createdBefore: number): RtmsSession[] {
    const matching = [...this.#sessions.values()].filter(
      (s) => s.identity.product === m.product && s.identity.productId === m.productId && (this.#createdAt.get(s) ?? 0) <= createdBefore,
    );
    for (const session of matching) {
      if (m.type === 'stopped') this.#stopLocal(session, m.stopReason);
      else session.interrupted();
    }
    return matching;
  }

  /** A product-id-only webhook another instance received: applied to sessions older than it (a second for clock skew). */
  #onProductControl(m: ProductControl): void {
    const applied = this.#applyByProduct(m, m.at + PRODUCT_CONTROL_SKEW_MS);
    if (applied.length > 0) this.#logger.info(`'${m.type}' for a ${m.product} id sent by another instance: applied to ${applied.length} session(s)`, { streamId: applied.map((x) => x.id).join(',') });
  }

  /** Applies a stop webhook; a final stop is forgotten by the coordinator at once (no takeover if we die now). */
  #stopLocal(session: RtmsSession, stopReason: number | undefined): void {
    void session.stopFromWebhook(stopReason);
    if (session.state === 'stopping' || session.state === 'stopped' || session.state === 'failed') {
      void Promise.resolve(this.#coordinator.release(session.id, true)).catch((err: unknown) =>
        this.#logger.warn(`coordinator release failed: ${describeError(err)}`, { streamId: session.id }),
      );
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Coordinator callbacks
  // ---------------------------------------------------------------------------------------------------------

  #onControl(message: ControlMessage): void {
    const session = this.#sessions.get(message.streamId);
    if (session === undefined) return;
    this.#logger.info(`control message '${message.type}' routed from another instance`, { streamId: message.streamId });
    if (message.type === 'stopped') this.#stopLocal(session, message.stopReason);
    else if (message.type === 'interrupted') session.interrupted();
    else this.#restarted(session, message.serverUrls);
  }

  /**
   * A stream offered to the fleet: claim it after a delay that grows with this instance's load, so that the least
   * loaded instance usually claims first (the claim itself is atomic: one winner). Not while the store does not
   * answer: a claim would then be provisional on every instance at once; the leader's fallback takes it.
   */
  #onOffer(lease: StreamLease): void {
    if (this.#closing || this.#sessions.has(lease.streamId) || this.#claiming.has(lease.streamId)) return;
    const delay = Math.min(OFFER_MAX_DELAY_MS, this.#sessions.size * OFFER_DELAY_PER_SESSION_MS) + Math.random() * OFFER_JITTER_MS;
    this.#offerTimer(delay, () => {
      if (this.#coordinator.status?.state === 'unreachable') return;
      void this.#claimAndStart(lease);
    });
  }

  /** The leader that offered a stream: if no instance claimed it in time, it claims it itself (atomic as ever). */
  #offerFallback(lease: StreamLease): void {
    this.#offerTimer(OFFER_FALLBACK_MS, () => {
      if (this.#coordinator.owns(lease.streamId)) return;
      this.#logger.info('no instance claimed an offered stream in time: claiming it here', { streamId: lease.streamId });
      void this.#claimAndStart(lease);
    });
  }

  #offerTimer(ms: number, fn: () => void): void {
    if (this.#closing) return;
    const timer = setTimeout(() => {
      this.#offerTimers.delete(timer);
      if (this.#closing) return;
      fn();
    }, ms);
    this.#offerTimers.add(timer);
  }

  /** The claim of a stream through the coordinator and, if it wins and the client is not closing, its session. */
  async #claimThenStart(lease: StreamLease): Promise<RtmsSession | undefined> {
    if (!(await this.#coordinator.claim(lease))) return undefined;
    if (this.#closing) {
      await this.#coordinator.release(lease.streamId, false);
      return undefined;
    }
    return this.#createSession(lease, false);
  }

  /** Claims a stream and starts its session if the claim wins; shares the in-flight claim map with webhooks. */
  async #claimAndStart(lease: StreamLease): Promise<void> {
    if (this.#closing || this.#sessions.has(lease.streamId) || this.#claiming.has(lease.streamId)) return;
    const claim = this.#claimThenStart(lease);
    this.#claiming.set(lease.streamId, claim);
    try {
      await claim;
    } catch (err) {
      this.#logger.error(`claiming or starting an offered stream failed: ${describeError(err)}`, { streamId: lease.streamId });
    } finally {
      if (this.#claiming.get(lease.streamId) === claim) this.#claiming.delete(lease.streamId);
    }
  }

  #onTakeover(lease: StreamLease): void {
    if (this.#closing || this.#sessions.has(lease.streamId)) return;
    this.#logger.info('taking over a stream whose owner is gone', { streamId: lease.streamId });
    this.#createSession(lease, true);
  }

  #onStatus(status: CoordinatorStatus): void {
    if (status.state === 'unreachable') {
      this.#logger.warn(
        `coordinator store unreachable (${status.lastError ?? 'no answer'}): degraded mode; ${this.#sessions.size} sessions keep streaming, new streams start unregistered, no takeovers`,
      );
    } else {
      this.#logger.info(`coordinator store reachable again: re-registering streams (${status.unconfirmedStreams} unconfirmed, ${status.pendingOperations} pending operations)`);
    }
  }

  #onLost(streamId: string): void {
    const session = this.#sessions.get(streamId);
    if (session === undefined) return;
    this.#logger.warn('lost the lease on a stream: handing it over', { streamId });
    void session.handover();
  }

}

/** An event-subscription URL without its query's `access_token` (the key of "one socket per subscription"). */
function subscriptionKey(url: string): string {
  try {
    const u = new URL(url);
    u.searchParams.delete('access_token');
    return `sub ${u.protocol}//${u.host}${u.pathname}${u.search}`;
  } catch {
    return `sub ${url}`;
  }
}

/**
 * Function form of {@link RtmsClient.handleWebhook}, for users who prefer functions.
 */
export function handleWebhook(client: RtmsClient, request: WebhookRequest): Promise<WebhookResponse> {
  return client.handleWebhook(request);
}
