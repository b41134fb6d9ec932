/**
 * RtmsEventStream: Zoom's event-subscription WebSocket (§6.5), so an app receives its RTMS lifecycle webhooks
 * without a public HTTP endpoint. It obtains an OAuth token with the app's client credentials, opens the event
 * WebSocket with `&access_token=` appended, sends `{"module":"heartbeat"}` on open and every 30 s, and hands the
 * content of each `{ module: "message", content }` to the client, which treats it exactly as a verified webhook.
 *
 * What Zoom does not document, and how this code reads it (the safest reading each time):
 * - Whether the server drops a connection when its token expires: assumed yes. Before the token expires a new
 *   token is fetched and a second socket is opened with it; once that one is open the old one is closed
 *   (make before break), so no moment passes without an open socket. Events delivered on both sockets during the
 *   overlap are handed over once (deduplicated on event, `event_ts` and stream id).
 * - What the server answers to a heartbeat and how soon it drops a silent client: unknown, so nothing is
 *   expected back; a dead connection is found by the socket closing.
 * - Redelivery: Zoom delivers only while a connection is open (D-WS). Nothing missed while the socket is down
 *   comes back; sessions rely on their own signaling and keep-alives, not on every lifecycle event.
 */
import type { Clock, TimerHandle } from './clock.js';
import { RtmsError, describeError } from './errors.js';
import type { SafeLogger } from './logger.js';
import type { HttpRequester } from './net-options.js';
import { DEFAULT_RECONNECT, backoffDelay, type ReconnectPolicy } from './reconnect-policy.js';
import type { RtmsSocket, SocketFactory } from './transport.js';
import { checkUrl, type UrlPolicyOptions } from './url-policy.js';

/** Zoom's OAuth token endpoint (client-credentials grant). */
export const DEFAULT_EVENT_TOKEN_URL = 'https://zoom.us/oauth/token';
/** Heartbeat interval of Zoom's samples: 30 s. */
export const DEFAULT_EVENT_HEARTBEAT_MS = 30_000;

/** Options of {@link RtmsClient.connectEvents}. */
export interface EventStreamOptions {
  /**
   * The event-subscription WebSocket URL, as Zoom Marketplace shows it for the app's event subscription (Features →
   * Event Subscriptions → method "WebSocket"), for example `wss://ws.zoom.us/ws?subscriptionId=…`. Required: Zoom
   * documents no fixed URL. The client appends `access_token`. The client's URL allow-list applies (`wss://` to
   * Zoom's hosts; loopback for tests).
   */
  url: string;
  /**
   * The OAuth token endpoint. Default `https://zoom.us/oauth/token`. The allow-list applies: `https://` to an
   * allowed host, or a loopback host (plain `http://` allowed there) for tests.
   */
  tokenUrl?: string;
  /** Heartbeat interval. Default 30 000 ms (Zoom's samples). */
  heartbeatMs?: number;
  /** Backoff after the socket drops: first retry at once, then `baseDelayMs` doubling. Default 1 000 ms. */
  baseDelayMs?: number;
  /** Longest wait between reconnect attempts. Default 60 000 ms. Retries never stop while the stream is open. */
  maxDelayMs?: number;
  /** Random spread of each delay (0.2 = ±20 %). Default 0.2. */
  jitter?: number;
  /** Time allowed for a token request. Default: the client's `connectTimeoutMs`. */
  tokenTimeoutMs?: number;
}

/**
 * State of an {@link RtmsEventStream}. `standby`: with a shared coordinator, another instance of the fleet holds
 * the subscription's event socket; this one opens it if it takes the role over (docs/scaling.md).
 */
export type EventStreamState = 'standby' | 'connecting' | 'connected' | 'reconnecting' | 'closed' | 'failed';

/** How an event stream ended: `closed` by `close()` (or the client's), or `failed` with the error. */
export interface EventStreamEnd {
  /** `closed` or `failed`. */
  readonly state: 'closed' | 'failed';
  /** Why it failed (`RTMS_EVENT_STREAM_AUTH`); undefined when closed. */
  readonly error: RtmsError | undefined;
}

/** The `eventStreamConnected` event. */
export interface EventStreamConnected {
  /** The event URL without its query (the token is never shown). */
  readonly url: string;
  /** Connections opened before this one by this stream (0 for the first). */
  readonly reconnects: number;
  /** True when this connection replaced one whose token was about to expire (no gap in delivery). */
  readonly rotated: boolean;
}

/** The `eventStreamDisconnected` event: the socket is down; events sent until it is back are lost (§6.5). */
export interface EventStreamDisconnected {
  /** Why (`RTMS_CONNECTION_LOST`, `RTMS_CONNECT_FAILED`, ...). */
  readonly error: RtmsError;
  /** Delay before the next attempt, ms. */
  readonly retryInMs: number;
  /** Attempts since the last open connection (1 for the first retry). */
  readonly attempt: number;
}

/**
 * The `eventStreamLeadership` event (with a shared coordinator): this instance took the subscription's event socket
 * (`leader: true`, it connects now) or gave it up (`leader: false`, it closes it; another instance holds it).
 */
export interface EventStreamLeadership {
  /** The event URL without its query. */
  readonly url: string;
  /** True when this instance now holds the event socket. */
  readonly leader: boolean;
  /** The term's fencing number (grows with every new holder in the fleet); undefined when not leading. */
  readonly epoch: number | undefined;
}

/** @internal What an event stream needs from the client that owns it. */
export interface EventStreamHost {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly socketFactory: SocketFactory;
  readonly clock: Clock;
  readonly logger: SafeLogger;
  readonly urlPolicy: UrlPolicyOptions;
  readonly connectTimeoutMs: number;
  readonly maxPayloadBytes: number;
  /** Start in `standby` (no socket until {@link RtmsEventStream.setActive} says so). Default false. */
  readonly standby?: boolean;
  /** The token request, through the client's agent, proxy and TLS options (net-options.ts). Default: global `fetch`. */
  readonly request?: HttpRequester;
  /** Hands one webhook body (the `content` text) to the client's post-verification handling. */
  deliver(text: string): Promise<unknown>;
  connected(info: EventStreamConnected): void;
  disconnected(info: EventStreamDisconnected): void;
  error(err: RtmsError): void;
}

/** A token and when to replace it (clock ms). */
interface Token {
  readonly value: string;
  readonly refreshAt: number;
}

/** One event socket and its heartbeat. */
interface Link {
  socket: RtmsSocket | undefined;
  open: boolean;
  openedAt: number;
  heartbeat: TimerHandle | undefined;
  connectTimer: TimerHandle | undefined;
}

/** How long a delivered event's key is remembered, to drop the copy a second socket delivers during a rotation. */
const DEDUPE_WINDOW_MS = 120_000;
const DEDUPE_MAX = 512;
/**
 * A connection that lived this long resets the backoff. One that closes sooner counts as a failed attempt, so a
 * server that accepts and at once closes the socket meets a growing delay, not a reconnect loop.
 */
const STABLE_CONNECTION_MS = 10_000;

function urlWithoutQuery(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

/** Hides an `access_token` query value in a text that may quote a URL. */
function redactToken(text: string): string {
  return text.replace(/access_token=[^&\s'"]*/g, 'access_token=…');
}

/** Checks the token URL: `https://` to an allowed host, or a loopback host. @returns a reason, or undefined. */
function checkTokenUrl(url: string, policy: UrlPolicyOptions): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'not a valid URL';
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return `scheme ${u.protocol} is not http(s)`;
  // The host rules are the WebSocket ones: check the same host as a wss:// URL.
  const hostReason = checkUrl(`wss://${u.host}/`, policy);
  if (hostReason !== undefined) return hostReason;
  if (u.protocol === 'http:' && checkUrl(`ws://${u.host}/`, policy) !== undefined) return `plain http:// to ${u.host} is not allowed (use https://)`;
  return undefined;
}

function positive(name: string, v: number | undefined, dflt: number, allowZero = false): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
    throw new RtmsError('RTMS_INVALID_OPTIONS', `connectEvents: ${name} must be a ${allowZero ? 'non-negative' : 'positive'} number`);
  }
  return v;
}

/**
 * The client's event-subscription WebSocket (create it with {@link RtmsClient.connectEvents}). Reconnects with
 * jittered backoff for as long as it is open, except after a refused credential (`RTMS_EVENT_STREAM_AUTH`),
 * which ends it: the credentials are fixed for the client's lifetime, so no retry could succeed. Never throws
 * into the process; the token and the client secret never appear in logs, errors or `inspect()`.
 */
export class RtmsEventStream {
  readonly #host: EventStreamHost;
  readonly #url: string;
  readonly #tokenUrl: string;
  readonly #heartbeatMs: number;
  readonly #tokenTimeoutMs: number;
  readonly #policy: ReconnectPolicy;
  #state: EventStreamState = 'connecting';
  /** Grows at every standby/active switch: work started under an older value is dropped. */
  #generation = 0;
  #token: Token | undefined;
  #current: Link | undefined;
  #rotating: Link | undefined;
  #retryTimer: TimerHandle | undefined;
  #refreshTimer: TimerHandle | undefined;
  #attempt = 0;
  #opened = 0;
  #tokenAbort: AbortController | undefined;
  readonly #seen = new Map<string, number>();
  readonly #end: Promise<EventStreamEnd>;
  #resolveEnd!: (end: EventStreamEnd) => void;

  /**
   * @internal Created by {@link RtmsClient.connectEvents}; validates the options and starts connecting.
   * @throws {@link RtmsError} `RTMS_INVALID_OPTIONS` for a bad option, `RTMS_URL_REJECTED` for a URL the allow-list refuses.
   */
  constructor(host: EventStreamHost, options: EventStreamOptions) {
    if (typeof options !== 'object' || options === null || typeof options.url !== 'string' || options.url.length === 0) {
      throw new RtmsError('RTMS_INVALID_OPTIONS', "connectEvents: url is required (the event subscription's WebSocket URL from Zoom Marketplace)");
    }
    const tokenUrl = options.tokenUrl ?? DEFAULT_EVENT_TOKEN_URL;
    if (typeof tokenUrl !== 'string') throw new RtmsError('RTMS_INVALID_OPTIONS', 'connectEvents: tokenUrl must be a string');
    const urlReason = checkUrl(options.url, host.urlPolicy);
    if (urlReason !== undefined) throw new RtmsError('RTMS_URL_REJECTED', `event stream URL refused: ${urlReason}`);
    const tokenReason = checkTokenUrl(tokenUrl, host.urlPolicy);
    if (tokenReason !== undefined) throw new RtmsError('RTMS_URL_REJECTED', `token URL refused: ${tokenReason}`);
    const jitter = positive('jitter', options.jitter, 0.2, true);
    if (jitter > 1) throw new RtmsError('RTMS_INVALID_OPTIONS', 'connectEvents: jitter must be between 0 and 1');
    this.#host = host;
    this.#url = options.url;
    this.#tokenUrl = tokenUrl;
    this.#heartbeatMs = positive('heartbeatMs', options.heartbeatMs, DEFAULT_EVENT_HEARTBEAT_MS);
    this.#tokenTimeoutMs = positive('tokenTimeoutMs', options.tokenTimeoutMs, host.connectTimeoutMs);
    this.#policy = Object.freeze({
      ...DEFAULT_RECONNECT,
      maxAttempts: Number.POSITIVE_INFINITY,
      baseDelayMs: positive('baseDelayMs', options.baseDelayMs, 1_000, true),
      maxDelayMs: positive('maxDelayMs', options.maxDelayMs, 60_000, true),
      jitter,
    });
    this.#end = new Promise((resolve) => (this.#resolveEnd = resolve));
    if (host.standby === true) {
      this.#state = 'standby';
      this.#host.logger.info('event stream: standby (another instance may hold the event socket)', { url: urlWithoutQuery(this.#url) });
      return;
    }
    this.#host.logger.info('event stream: connecting', { url: urlWithoutQuery(this.#url) });
    this.#schedule(0);
  }

  /**
   * @internal The client's leader election: `true` opens the socket (from `standby`), `false` closes it and every
   * timer and goes back to `standby`, without `eventStreamDisconnected` (nothing failed). No-op once ended.
   */
  setActive(active: boolean): void {
    if (this.#done) return;
    if (active) {
      if (this.#state !== 'standby') return;
      this.#generation++;
      this.#state = 'connecting';
      this.#attempt = 0;
      this.#host.logger.info('event stream: this instance holds the event socket now; connecting', { url: urlWithoutQuery(this.#url) });
      this.#schedule(0);
      return;
    }
    if (this.#state === 'standby') return;
    this.#generation++;
    this.#state = 'standby';
    this.#release();
    this.#host.logger.info('event stream: standby (another instance holds the event socket)', { url: urlWithoutQuery(this.#url) });
  }

  /**
   * `connecting`, `connected`, `reconnecting`, then `closed` (by `close()`) or `failed` (a refused credential);
   * `standby` while another instance of the fleet holds the event socket.
   */
  get state(): EventStreamState {
    return this.#state;
  }

  /** Closes the socket and clears every timer; resolves once done. Idempotent; always resolves. */
  close(): Promise<void> {
    this.#finish({ state: 'closed', error: undefined });
    return this.#end.then(() => undefined);
  }

  /** Resolves (never rejects) when the stream ends: `close()`, the client's `close()`, or a refused credential. */
  closed(): Promise<EventStreamEnd> {
    return this.#end;
  }

  /** Secret-free description for `util.inspect`. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `RtmsEventStream { url: '${urlWithoutQuery(this.#url)}', state: '${this.#state}' }`;
  }

  /** Secret-free JSON form. */
  toJSON(): Record<string, unknown> {
    return { url: urlWithoutQuery(this.#url), state: this.#state };
  }

  // ---------------------------------------------------------------------------------------------------------

  get #done(): boolean {
    return this.#state === 'closed' || this.#state === 'failed';
  }

  /** Lets go of everything the stream holds: the token request, both timers, the sockets (closed 1000) and the token. */
  #release(): void {
    this.#tokenAbort?.abort();
    this.#tokenAbort = undefined;
    this.#clearTimer('retry');
    this.#clearTimer('refresh');
    this.#dropLink(this.#current, 1000);
    this.#dropLink(this.#rotating, 1000);
    this.#current = undefined;
    this.#rotating = undefined;
    this.#token = undefined;
  }

  #finish(end: EventStreamEnd): void {
    if (this.#done) return;
    this.#state = end.state;
    this.#release();
    this.#seen.clear();
    this.#host.logger.info(`event stream ${end.state}`, { url: urlWithoutQuery(this.#url) });
    this.#resolveEnd(end);
  }

  #clearTimer(which: 'retry' | 'refresh'): void {
    const t = which === 'retry' ? this.#retryTimer : this.#refreshTimer;
    if (t !== undefined) this.#host.clock.clearTimeout(t);
    if (which === 'retry') this.#retryTimer = undefined;
    else this.#refreshTimer = undefined;
  }

  /** Next connection attempt after `delayMs`. */
  #schedule(delayMs: number): void {
    this.#clearTimer('retry');
    this.#retryTimer = this.#host.clock.setTimeout(() => {
      this.#retryTimer = undefined;
      this.#attemptSafely(false);
    }, delayMs);
  }

  /** A failed attempt or a lost socket: report, then back off. */
  #lost(error: RtmsError): void {
    if (this.#done || this.#state === 'standby') return;
    this.#state = this.#opened > 0 ? 'reconnecting' : 'connecting';
    // The first retry after a working connection is immediate, then baseDelayMs doubling (as for sessions).
    const retryInMs = backoffDelay(this.#policy, this.#attempt);
    this.#attempt++;
    this.#host.logger.warn(`event stream down (${error.code}: ${error.message}); retrying in ${retryInMs} ms`, { url: urlWithoutQuery(this.#url), attempt: this.#attempt });
    this.#host.disconnected({ error, retryInMs, attempt: this.#attempt });
    this.#schedule(retryInMs);
  }

  /** Runs `#connect`; anything it throws (a socket factory that breaks its contract) is an outage. */
  #attemptSafely(rotate: boolean): void {
    this.#connect(rotate).catch((err: unknown) => {
      // No `cause`: what a foreign factory threw may quote the URL with its token.
      const error = new RtmsError('RTMS_CONNECT_FAILED', `opening the event socket failed: ${redactToken(describeError(err))}`);
      if (rotate) {
        if (this.#rotating !== undefined) this.#dropLink(this.#rotating, 1000);
        this.#rotationFailed(error);
      } else {
        if (this.#current !== undefined) this.#dropLink(this.#current, 1000);
        this.#lost(error);
      }
    });
  }

  /**
   * Opens a socket with a valid token. `rotate`: a replacement for the open socket before its token expires; a
   * failure then leaves the open socket alone and is retried after a backoff.
   */
  async #connect(rotate: boolean): Promise<void> {
    if (this.#done || this.#state === 'standby') return;
    const generation = this.#generation;
    let token = this.#token;
    if (rotate || token === undefined || this.#host.clock.now() >= token.refreshAt) {
      const fetched = await this.#fetchToken();
      // Ended, or put on standby (and maybe back) while the token was fetched: that attempt is stale.
      if (this.#done || generation !== this.#generation) return;
      if (fetched instanceof RtmsError) {
        if (fetched.code === 'RTMS_EVENT_STREAM_AUTH') {
          this.#host.logger.error(`event stream stopped: ${fetched.message}`, { url: urlWithoutQuery(this.#url) });
          this.#host.error(fetched);
          this.#finish({ state: 'failed', error: fetched });
          return;
        }
        if (rotate) return this.#rotationFailed(fetched);
        return this.#lost(fetched);
      }
      token = fetched;
      this.#token = fetched;
      this.#armRefresh();
    }
    this.#open(token.value, rotate);
  }

  #armRefresh(): void {
    this.#clearTimer('refresh');
    const t = this.#token;
    if (t === undefined) return;
    this.#refreshTimer = this.#host.clock.setTimeout(() => {
      this.#refreshTimer = undefined;
      // Only an open socket needs rotating; a socket still connecting fetches its own token when it retries.
      if (this.#current?.open === true && this.#rotating === undefined) this.#attemptSafely(true);
    }, Math.max(0, t.refreshAt - this.#host.clock.now()));
  }

  #rotationFailed(error: RtmsError): void {
    if (this.#done || this.#state === 'standby') return;
    const delay = Math.max(1_000, backoffDelay(this.#policy, 1));
    this.#host.logger.warn(`event stream: replacing the connection before its token expires failed (${error.code}); retrying in ${delay} ms`);
    this.#clearTimer('refresh');
    this.#refreshTimer = this.#host.clock.setTimeout(() => {
      this.#refreshTimer = undefined;
      if (this.#current?.open === true && this.#rotating === undefined) this.#attemptSafely(true);
    }, delay);
  }

  /** POST <tokenUrl>?grant_type=client_credentials with HTTP Basic. Never rejects. */
  async #fetchToken(): Promise<Token | RtmsError> {
    const abort = new AbortController();
    this.#tokenAbort = abort;
    const timer = this.#host.clock.setTimeout(() => abort.abort(), this.#tokenTimeoutMs);
    const where = urlWithoutQuery(this.#tokenUrl);
    try {
      const u = new URL(this.#tokenUrl);
      u.searchParams.set('grant_type', 'client_credentials');
      const basic = Buffer.from(`${this.#host.clientId}:${this.#host.clientSecret}`, 'utf8').toString('base64');
      const init = { method: 'POST', headers: { authorization: `Basic ${basic}`, accept: 'application/json' }, signal: abort.signal };
      const res = this.#host.request !== undefined ? await this.#host.request(u, init) : await fetch(u, init);
      const text = typeof res.text === 'string' ? res.text : await res.text();
      if (res.status === 400 || res.status === 401) {
        return new RtmsError('RTMS_EVENT_STREAM_AUTH', `the token endpoint ${where} refused the app's client credentials (HTTP ${res.status}); check clientId and clientSecret`, { statusCode: res.status });
      }
      if (!res.ok) return new RtmsError('RTMS_CONNECT_FAILED', `the token endpoint ${where} answered HTTP ${res.status}`, { statusCode: res.status });
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      const o = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
      const accessToken = o['access_token'];
      if (typeof accessToken !== 'string' || accessToken.length === 0) return new RtmsError('RTMS_CONNECT_FAILED', `the token endpoint ${where} answered without an access_token`);
      const expiresIn = typeof o['expires_in'] === 'number' && o['expires_in'] > 0 ? o['expires_in'] : 3600;
      // Replace the token a quarter of its life (at most 5 minutes) before it expires.
      const lifeMs = expiresIn * 1000;
      return { value: accessToken, refreshAt: this.#host.clock.now() + lifeMs - Math.min(300_000, lifeMs / 4) };
    } catch (err) {
      const timedOut = abort.signal.aborted && !this.#done;
      // The message names the endpoint only; a fetch error's text holds no credential (Basic auth is a header).
      return new RtmsError('RTMS_CONNECT_FAILED', `token request to ${where} ${timedOut ? `timed out after ${this.#tokenTimeoutMs} ms` : `failed: ${describeError(err)}`}`, { cause: err });
    } finally {
      this.#host.clock.clearTimeout(timer);
      if (this.#tokenAbort === abort) this.#tokenAbort = undefined;
    }
  }

  #open(token: string, rotate: boolean): void {
    if (this.#done) return;
    const link: Link = { socket: undefined, open: false, openedAt: 0, heartbeat: undefined, connectTimer: undefined };
    if (rotate) this.#rotating = link;
    else this.#current = link;
    const full = `${this.#url}${this.#url.includes('?') ? '&' : '?'}access_token=${encodeURIComponent(token)}`;
    let errored: Error | undefined;
    link.connectTimer = this.#host.clock.setTimeout(() => {
      link.connectTimer = undefined;
      if (!link.open) link.socket?.terminate();
    }, this.#host.connectTimeoutMs);
    link.socket = this.#host.socketFactory(
      full,
      {
        onOpen: () => {
          if (this.#done || (link !== this.#current && link !== this.#rotating)) return;
          link.open = true;
          link.openedAt = this.#host.clock.now();
          this.#clearLinkTimer(link);
          this.#beat(link);
          const rotated = link === this.#rotating;
          if (rotated) {
            const old = this.#current;
            this.#current = link;
            this.#rotating = undefined;
            this.#dropLink(old, 1000);
          }
          this.#state = 'connected';
          const reconnects = this.#opened++;
          this.#host.logger.info(rotated ? 'event stream: connection replaced before its token expired' : 'event stream connected', { url: urlWithoutQuery(this.#url) });
          this.#host.connected({ url: urlWithoutQuery(this.#url), reconnects, rotated });
        },
        onText: (data) => this.#onText(link, data),
        onBinary: (data) => this.#onText(link, Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8')),
        onError: (err) => {
          errored = err;
        },
        onClose: (code) => {
          const wasOpen = link.open;
          this.#releaseLink(link);
          if (this.#done) return;
          if (link === this.#rotating) {
            this.#rotating = undefined;
            this.#rotationFailed(new RtmsError('RTMS_CONNECT_FAILED', 'the replacement event socket did not open', { closeCode: code, cause: errored }));
            return;
          }
          if (link !== this.#current) return;
          this.#current = undefined;
          // A socket that never opened may have been refused for its token: fetch a new one next time.
          if (!wasOpen) this.#token = undefined;
          else if (this.#host.clock.now() - link.openedAt >= STABLE_CONNECTION_MS) this.#attempt = 0;
          this.#lost(
            wasOpen
              ? new RtmsError('RTMS_CONNECTION_LOST', `the event socket closed (code ${code})`, { closeCode: code, cause: errored })
              : new RtmsError('RTMS_CONNECT_FAILED', `the event socket to ${urlWithoutQuery(this.#url)} did not open${errored ? `: ${redactToken(errored.message)}` : ''}`, { closeCode: code }),
          );
        },
      },
      { maxPayload: this.#host.maxPayloadBytes, connectTimeoutMs: this.#host.connectTimeoutMs },
    );
  }

  #beat(link: Link): void {
    link.socket?.send('{"module":"heartbeat"}');
    link.heartbeat = this.#host.clock.setTimeout(() => {
      link.heartbeat = undefined;
      if (link.open) this.#beat(link);
    }, this.#heartbeatMs);
  }

  #clearLinkTimer(link: Link): void {
    if (link.connectTimer !== undefined) this.#host.clock.clearTimeout(link.connectTimer);
    link.connectTimer = undefined;
  }

  #releaseLink(link: Link): void {
    link.open = false;
    this.#clearLinkTimer(link);
    if (link.heartbeat !== undefined) this.#host.clock.clearTimeout(link.heartbeat);
    link.heartbeat = undefined;
  }

  /** Closes a link we no longer want; its close callback finds it neither current nor rotating and does nothing. */
  #dropLink(link: Link | undefined, code: number): void {
    if (link === undefined) return;
    if (this.#current === link) this.#current = undefined;
    if (this.#rotating === link) this.#rotating = undefined;
    this.#releaseLink(link);
    try {
      link.socket?.close(code, '');
    } catch {
      link.socket?.terminate();
    }
  }

  #onText(link: Link, data: string): void {
    if (this.#done || (link !== this.#current && link !== this.#rotating)) return;
    let envelope: unknown;
    try {
      envelope = JSON.parse(data);
    } catch {
      this.#host.logger.warn('event stream: a frame that is not JSON was skipped', { bytes: data.length });
      return;
    }
    if (typeof envelope !== 'object' || envelope === null) return;
    const e = envelope as Record<string, unknown>;
    // Heartbeat answers and any other module are ignored (§6.5).
    if (e['module'] !== 'message') return;
    const content = e['content'];
    if (typeof content !== 'string') {
      this.#host.logger.warn('event stream: a message without string content was skipped');
      return;
    }
    if (this.#duplicate(content)) return;
    void this.#host.deliver(content).catch((err: unknown) => this.#host.logger.error(`event stream: handling an event failed: ${describeError(err)}`));
  }

  /** True for a body already handed over within the window (the other socket's copy during a rotation). */
  #duplicate(content: string): boolean {
    let key = content;
    try {
      const b = JSON.parse(content) as Record<string, unknown>;
      const p = (typeof b['payload'] === 'object' && b['payload'] !== null ? b['payload'] : {}) as Record<string, unknown>;
      if (typeof b['event'] === 'string' && b['event_ts'] !== undefined) key = `${b['event']}|${String(b['event_ts'])}|${String(p['rtms_stream_id'] ?? '')}`;
    } catch {
      // not JSON: the client answers it as an invalid body; the raw text is the key
    }
    const now = this.#host.clock.now();
    for (const [k, at] of this.#seen) {
      if (now - at < DEDUPE_WINDOW_MS && this.#seen.size <= DEDUPE_MAX) break;
      this.#seen.delete(k);
    }
    if (this.#seen.has(key)) return true;
    this.#seen.set(key, now);
    return false;
  }
}
