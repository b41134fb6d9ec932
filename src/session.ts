/**
 * RtmsSession: one RTMS stream, as a state machine over one signaling channel and one or more media channels.
 *
 * Flow: signaling socket → SIGNALING_HAND_SHAKE → media socket(s) → DATA_HAND_SHAKE → CLIENT_READY_ACK (on
 * signaling, one per media socket, as Zoom's sample clients do) → `streaming`. Keep-alives are answered by the
 * channels. Every state change goes through {@link RtmsSession.transition}, which checks the move against
 * {@link SESSION_TRANSITIONS} and emits `state`.
 *
 * The session owns every socket and timer it opens and releases them on every path to `stopped`/`failed`;
 * `closed()` resolves (never rejects) once they are gone.
 */
import { EventEmitter } from 'eventemitter3';
import { Channel, type ChannelHost, type ChannelLimits, type HandshakeResponse } from './channel.js';
import type { Clock, TimerHandle } from './clock.js';
import { RtmsError, describeError, statusName } from './errors.js';
import { BoundedQueue, type BoundedIterator, type IterateEventOptions } from './iterator.js';
import type {
  AudioFormat,
  AudioFrame,
  ChatMessage,
  EndCause,
  Participant,
  RtmsSessionEvents,
  SessionEnd,
  SessionState,
  SessionStateUpdate,
  StreamIdentity,
  StreamStateUpdate,
  UserId,
  VideoSubscriptionResult,
  TranscriptEvent,
  VideoFormat,
  VideoFrame,
} from './events.js';
import { audioFormat, serverParams, videoFormat } from './format.js';
import type { SafeLogger } from './logger.js';
import { MEDIA_BIT, type ResolvedMedia } from './media-params.js';
import {
  encodeClientReadyAck,
  encodeDataHandshake,
  encodeEventSubscription,
  encodeSessionStateReq,
  encodeSignalingHandshake,
  encodeStreamCloseReq,
  encodeStreamStateReq,
  encodeVideoSubscriptionReq,
  type FrameCodec,
} from './protocol/codec.js';
import {
  EventType,
  MediaResolution,
  RETRYABLE_STATUS_CODES,
  MsgType,
  SessionStateCode,
  StopReason,
  StreamState,
  WS_CLOSE_NORMAL,
  ZccEventType,
  nameOf,
} from './protocol/constants.js';
import type {
  InboundMessage,
  MediaKind,
  WireEventUpdate,
  WireMediaContent,
  WireMetadata,
  WireSessionStateUpdate,
  WireSignalingHandshakeResp,
  WireStreamStateUpdate,
} from './protocol/messages.js';
import { decodeBase64, eventTimestamp, readParticipants, readZccParticipant, str, uid } from './protocol/payloads.js';
import { PRODUCTS } from './protocol/products.js';
import { RESTART_STOP_REASONS, backoffDelay, type ReconnectPolicy } from './reconnect-policy.js';
import type { SocketFactory } from './transport.js';
import { checkUrl, type UrlPolicyOptions } from './url-policy.js';

/**
 * Allowed state moves. `failed` is reachable from every live state; `stopped` only through `stopping`.
 */
export const SESSION_TRANSITIONS: Readonly<Record<SessionState, readonly SessionState[]>> = {
  connecting: ['handshaking', 'reconnecting', 'stopping', 'failed'],
  handshaking: ['streaming', 'reconnecting', 'stopping', 'failed'],
  streaming: ['reconnecting', 'stopping', 'failed'],
  reconnecting: ['connecting', 'handshaking', 'streaming', 'stopping', 'failed'],
  stopping: ['stopped', 'failed'],
  stopped: [],
  failed: [],
};

/** Events readable through {@link RtmsSession.iterate}. */
export type IterableEvent = 'audio' | 'video' | 'share' | 'rawMedia' | 'transcript' | 'chat' | 'event' | 'metadata';

/** How media sockets are laid out. */
export type MediaSocketMode =
  /** One socket for every requested kind (the `all` URL), falling back to per-kind URLs when there is none. */
  | 'single'
  /** One socket per media kind, using each kind's URL (falling back to `all`). */
  | 'per-kind';

/** Options of {@link RtmsSession.stop}. */
export interface StopOptions {
  /**
   * Ask the server to end the stream (STREAM_CLOSE_REQ) before closing the sockets. Default true: without it
   * Zoom keeps the stream open for a reconnect (about a minute) before it gives up.
   */
  closeStream?: boolean;
  /** Upper bound for the graceful part; after it the sockets are cut. Default: the client's `stopTimeoutMs`. */
  timeoutMs?: number;
  /** Aborting cuts the sockets at once; the promise still resolves. */
  signal?: AbortSignal;
}

/** Everything a session gets from its client. Internal. */
export interface SessionContext {
  /** False when this instance no longer owns the stream (checked before each reconnect attempt). */
  readonly isOwner?: (streamId: string) => boolean;
  /** Reconnection policy; undefined turns reconnection off. */
  readonly reconnect: ReconnectPolicy | undefined;
  readonly clientId: string;
  readonly media: ResolvedMedia;
  readonly mediaSockets: MediaSocketMode;
  readonly bufferData: boolean | undefined;
  /** Event types to subscribe to after each signaling handshake, per product; missing = the product's default. */
  readonly events: Readonly<Partial<Record<StreamIdentity['product'], readonly number[]>>> | undefined;
  /** Time allowed for a request's response (video subscription, state requests). */
  readonly requestTimeoutMs: number;
  readonly limits: ChannelLimits;
  readonly stopTimeoutMs: number;
  readonly urlPolicy: UrlPolicyOptions;
  readonly socketFactory: SocketFactory;
  readonly codec: FrameCodec;
  readonly clock: Clock;
  readonly logger: SafeLogger;
}

/** Per-media-socket facts, kept in `Channel.tag`. */
interface MediaTag {
  readonly kinds: readonly MediaKind[];
  ready: boolean;
  audio: AudioFormat | undefined;
  video: VideoFormat | undefined;
  share: VideoFormat | undefined;
}

/** One media socket of the layout: its URL and what it carries. */
interface MediaPlanEntry {
  readonly url: string;
  readonly kinds: readonly MediaKind[];
  readonly handshake: (sequence: number) => string;
}

/** An outage being repaired. */
interface ReconnectState {
  /** `media`: only media sockets are reopened; `full`: signaling and media. */
  scope: 'full' | 'media';
  /** Attempts started for this outage. */
  attempt: number;
  /** No attempt starts after this time. */
  deadline: number;
  startedAt: number;
  timer: TimerHandle | undefined;
  lastError: RtmsError;
  /** Set when the outage began with a restart-worthy stop webhook. */
  stopReason: number | undefined;
}

/** A request waiting for its response on signaling. */
interface PendingRequest {
  /** Returns true when `msg` answers this request (and settles it). */
  readonly offer: (msg: InboundMessage) => boolean;
  readonly fail: (err: RtmsError) => void;
}

/**
 * Events subscribed by default: who speaks, joins and leaves, for the meeting-like products (what Zoom's own SDK
 * subscribes when such callbacks are registered). FIRST_PACKET_TIMESTAMP and MEDIA_CONNECTION_INTERRUPTED are
 * always sent and must not be subscribed (D-EVT, §3.7). Contact Center: none, as in Zoom's guide.
 */
export const DEFAULT_EVENTS: Readonly<Record<StreamIdentity['product'], readonly number[]>> = {
  meeting: [EventType.ACTIVE_SPEAKER_CHANGE, EventType.PARTICIPANT_JOIN, EventType.PARTICIPANT_LEAVE],
  webinar: [EventType.ACTIVE_SPEAKER_CHANGE, EventType.PARTICIPANT_JOIN, EventType.PARTICIPANT_LEAVE],
  session: [EventType.ACTIVE_SPEAKER_CHANGE, EventType.PARTICIPANT_JOIN, EventType.PARTICIPANT_LEAVE],
  contact_center: [],
};

/** The `server_urls` keys that may hold each kind's URL (share/chat keys are undocumented, §3.2). */
const URL_KEYS: Readonly<Record<MediaKind, readonly string[]>> = {
  audio: ['audio'],
  video: ['video'],
  share: ['deskshare', 'sharescreen', 'share'],
  transcript: ['transcript'],
  chat: ['chat'],
};

const NO_LISTENER_DEFAULT_FORMAT_AUDIO = audioFormat(undefined, undefined);
const VIDEO_DEFAULTS = { fps: 5, resolution: MediaResolution.HD };
const SHARE_DEFAULTS = { fps: 1, resolution: MediaResolution.FHD };

/**
 * One RTMS stream. Created by {@link RtmsClient} from an `*.rtms_started` webhook; subscribe to its events in
 * the client's `session` event or right after `handleWebhook` resolves.
 *
 * ```ts
 * session.on('transcript', (t) => show(t.userName, t.text));
 * session.on('state', (state, previous) => show(previous, '->', state));
 * const end = await session.closed(); // { state: 'stopped' | 'failed', cause, error? }
 * ```
 */
export class RtmsSession extends EventEmitter<RtmsSessionEvents> {
  /** RTMS stream id. */
  readonly id: string;
  /** True when this instance took the stream over from an instance that died (it resumed mid-stream). */
  readonly resumed: boolean;

  #identity: StreamIdentity;
  readonly #signature: string;
  readonly #ctx: SessionContext;
  #state: SessionState = 'connecting';
  #signaling: Channel | undefined;
  #media: Channel[] = [];
  #mediaPlan: MediaPlanEntry[] = [];
  #reconnect: ReconnectState | undefined;
  #startTimer: TimerHandle | undefined;
  #ending = false;
  #end: SessionEnd | undefined;
  #resolveClosed!: (end: SessionEnd) => void;
  readonly #closedPromise: Promise<SessionEnd>;
  #closeStreamWaiter: (() => void) | undefined;
  #everStreamed = false;
  readonly #host: ChannelHost;
  readonly #participants = new Map<UserId, Participant>();
  readonly #subscribed: Set<number>;
  readonly #pending = new Set<PendingRequest>();

  /** @internal Created by the client. */
  constructor(identity: StreamIdentity, signature: string, ctx: SessionContext, resumed = false) {
    super();
    this.id = identity.streamId;
    this.resumed = resumed;
    this.#identity = identity;
    this.#signature = signature;
    this.#ctx = ctx;
    this.#subscribed = new Set(ctx.events?.[identity.product] ?? DEFAULT_EVENTS[identity.product]);
    this.#closedPromise = new Promise<SessionEnd>((resolve) => {
      this.#resolveClosed = resolve;
    });
    this.#host = {
      onReady: (ch, resp) => this.#onReady(ch, resp),
      onMessage: (ch, msg) => this.#onMessage(ch, msg),
      onFrameError: (_ch, err) => this.#fire('error', err),
      onUnhandled: (ch, msgType, known) =>
        ctx.logger.debug(`${ch.label}: skipped ${known ? 'unexpected' : 'unknown'} msg_type ${msgType}`, { streamId: this.id }),
      onDown: (ch, err) => this.#onDown(ch, err),
    };
  }

  /** Product, ids and URLs of the stream (the URLs change on a server failover). */
  get identity(): StreamIdentity {
    return this.#identity;
  }
  /** The product: `meeting`, `webinar`, `session` (Video SDK) or `contact_center`. */
  get product(): StreamIdentity['product'] {
    return this.identity.product;
  }
  /** Meeting UUID (meetings only). */
  get meetingUuid(): string | undefined {
    return this.identity.product === 'meeting' ? this.identity.productId : undefined;
  }
  /** Webinar UUID (webinars only). */
  get webinarUuid(): string | undefined {
    return this.identity.product === 'webinar' ? this.identity.productId : undefined;
  }
  /** Video SDK session id (Video SDK sessions only). */
  get sessionId(): string | undefined {
    return this.identity.product === 'session' ? this.identity.productId : undefined;
  }
  /** Contact Center engagement id (Contact Center only). */
  get engagementId(): string | undefined {
    return this.identity.product === 'contact_center' ? this.identity.productId : undefined;
  }
  /** Current state. */
  get state(): SessionState {
    return this.#state;
  }
  /** How the session ended, once it has. */
  get end(): SessionEnd | undefined {
    return this.#end;
  }
  /** The audio format the media server accepted, once the media handshake carrying audio is done. */
  get audioFormat(): AudioFormat | undefined {
    for (const ch of this.#media) {
      const tag = ch.tag as MediaTag | undefined;
      if (tag?.audio) return tag.audio;
    }
    return undefined;
  }

  /** Media kinds this session requested. */
  get mediaKinds(): readonly MediaKind[] {
    return this.#ctx.media.kinds;
  }

  /**
   * Reads one kind of event as an async iterator with a bounded buffer (see {@link IterateOptions} for the
   * overflow policy). Iterating counts as listening, so media is decoded for it.
   *
   * ```ts
   * for await (const t of session.iterate('transcript')) show(t.text);
   * ```
   */
  iterate<K extends IterableEvent>(event: K, options?: IterateEventOptions<RtmsSessionEvents[K][0]>): BoundedIterator<RtmsSessionEvents[K][0]> {
    type T = RtmsSessionEvents[K][0];
    const filter = options?.filter;
    return new BoundedQueue<T>(
      (push) => {
        const listener = (filter ? (item: T) => (filter(item) ? push(item) : undefined) : push) as (...args: RtmsSessionEvents[K]) => void;
        (this.on as (e: K, fn: (...args: RtmsSessionEvents[K]) => void) => this)(event, listener);
        return () => (this.off as (e: K, fn: (...args: RtmsSessionEvents[K]) => void) => this)(event, listener);
      },
      this.#closedPromise,
      options,
    );
  }

  /** Transcripts as an async iterator; see {@link iterate}. */
  transcripts(options?: IterateEventOptions<TranscriptEvent>): BoundedIterator<TranscriptEvent> {
    return this.iterate('transcript', options);
  }

  /** Audio frames as an async iterator; see {@link iterate}. */
  audio(options?: IterateEventOptions<AudioFrame>): BoundedIterator<AudioFrame> {
    return this.iterate('audio', options);
  }

  /** Video frames as an async iterator; see {@link iterate}. */
  video(options?: IterateEventOptions<VideoFrame>): BoundedIterator<VideoFrame> {
    return this.iterate('video', options);
  }

  /** Screen-share frames as an async iterator; see {@link iterate}. */
  share(options?: IterateEventOptions<VideoFrame>): BoundedIterator<VideoFrame> {
    return this.iterate('share', options);
  }

  /** Chat messages as an async iterator; see {@link iterate}. */
  chat(options?: IterateEventOptions<ChatMessage>): BoundedIterator<ChatMessage> {
    return this.iterate('chat', options);
  }

  /** The live roster, kept from PARTICIPANT_JOIN / PARTICIPANT_LEAVE (and names from ACTIVE_SPEAKER_CHANGE). */
  get participants(): ReadonlyMap<UserId, Participant> {
    return this.#participants;
  }

  /** Event types currently subscribed. */
  get subscribedEvents(): readonly number[] {
    return [...this.#subscribed];
  }

  /**
   * Subscribes to event types ({@link EventType}, or {@link ZccEventType} for Contact Center) now and after every
   * reconnect. Returns false when signaling is not up yet (the subscription is sent once it is).
   */
  subscribe(eventTypes: readonly number[]): boolean {
    return this.#changeSubscription(eventTypes, true);
  }

  /** Unsubscribes from event types; see {@link subscribe}. */
  unsubscribe(eventTypes: readonly number[]): boolean {
    return this.#changeSubscription(eventTypes, false);
  }

  /**
   * Individual video (`video.dataOption: 'individual'`): asks for one participant's video (a new subscription
   * replaces the previous one; `subscribe: false` stops video). Resolves with the server's answer, whatever its
   * status; rejects with `RTMS_REQUEST_FAILED` when no answer comes in time or the session ends.
   */
  subscribeVideo(userId: UserId, subscribe = true): Promise<VideoSubscriptionResult> {
    const text = encodeVideoSubscriptionReq(userId, subscribe, this.#ctx.clock.now());
    return this.#request<VideoSubscriptionResult>(text, 'VIDEO_SUBSCRIPTION_REQ', (msg) => {
      if (msg.msg_type !== MsgType.VIDEO_SUBSCRIPTION_RESP) return undefined;
      if (msg.user_id !== undefined && msg.user_id !== userId && String(msg.user_id) !== String(userId)) return undefined;
      return { userId: msg.user_id ?? userId, statusCode: msg.status_code, statusName: statusName(msg.status_code), reason: msg.reason };
    });
  }

  /** Asks the server for the stream's state (STREAM_STATE_REQ). */
  requestStreamState(): Promise<StreamStateUpdate> {
    return this.#request<StreamStateUpdate>(encodeStreamStateReq(this.id), 'STREAM_STATE_REQ', (msg) => {
      if (msg.msg_type !== MsgType.STREAM_STATE_RESP || typeof msg.state !== 'number') return undefined;
      return { state: msg.state, stateName: nameOf(StreamState, msg.state), reason: undefined, reasonName: undefined, timestamp: msg.timestamp };
    });
  }

  /** Asks the server for one RTMS session's state (SESSION_STATE_REQ); ids come from `sessionState` events. */
  requestSessionState(rtmsSessionId: string): Promise<SessionStateUpdate> {
    return this.#request<SessionStateUpdate>(encodeSessionStateReq(rtmsSessionId), 'SESSION_STATE_REQ', (msg) => {
      if (msg.msg_type !== MsgType.SESSION_STATE_RESP || typeof msg.state !== 'number') return undefined;
      if (msg.rtms_session_id !== undefined && msg.rtms_session_id !== rtmsSessionId) return undefined;
      return { state: msg.state, stateName: nameOf(SessionStateCode, msg.state), rtmsSessionId, stopReason: undefined, stopReasonName: undefined, timestamp: msg.timestamp };
    });
  }

  #changeSubscription(eventTypes: readonly number[], subscribe: boolean): boolean {
    const valid = eventTypes.filter((t) => Number.isInteger(t) && t > 0);
    for (const t of valid) {
      if (subscribe) this.#subscribed.add(t);
      else this.#subscribed.delete(t);
    }
    if (valid.length === 0 || this.#signaling?.state !== 'ready') return false;
    return this.#signaling.send(encodeEventSubscription(valid.map((eventType) => ({ eventType, subscribe }))));
  }

  #request<T>(text: string, what: string, answer: (msg: InboundMessage) => T | undefined): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const { clock } = this.#ctx;
      if (this.#ending || this.#signaling?.state !== 'ready') {
        reject(new RtmsError('RTMS_REQUEST_FAILED', `${what}: signaling is not connected (state ${this.#state})`, { streamId: this.id }));
        return;
      }
      const req: PendingRequest = {
        offer: (msg) => {
          const value = answer(msg);
          if (value === undefined) return false;
          settle();
          resolve(value);
          return true;
        },
        fail: (err) => {
          settle();
          reject(err);
        },
      };
      const timer = clock.setTimeout(() => req.fail(new RtmsError('RTMS_REQUEST_FAILED', `${what}: no response within ${this.#ctx.requestTimeoutMs} ms`, { streamId: this.id })), this.#ctx.requestTimeoutMs);
      const settle = () => {
        clock.clearTimeout(timer);
        this.#pending.delete(req);
      };
      this.#pending.add(req);
      if (!this.#signaling.send(text)) req.fail(new RtmsError('RTMS_REQUEST_FAILED', `${what}: could not send`, { streamId: this.id }));
    });
  }

  /** Resolves (never rejects) when the session has ended and released every socket and timer. */
  closed(): Promise<SessionEnd> {
    return this.#closedPromise;
  }

  /**
   * Stops the session: by default asks the server to end the stream (STREAM_CLOSE_REQ, bounded wait), then closes
   * both sockets with code 1000. Idempotent; always resolves, with how the session ended.
   */
  stop(options: StopOptions = {}): Promise<SessionEnd> {
    return this.#finish('stopped', 'stop_called', { closeStream: options.closeStream ?? true, timeoutMs: options.timeoutMs, signal: options.signal });
  }

  /** @internal The client starts the session on the next turn of the event loop, after listeners are attached. */
  start(): void {
    if (this.#startTimer !== undefined || this.#signaling !== undefined || this.#ending) return;
    this.#startTimer = this.#ctx.clock.setTimeout(() => {
      this.#startTimer = undefined;
      this.#connect();
    }, 0);
  }

  /**
   * @internal An `*.rtms_stopped` webhook for this stream. Stop reasons 10–19 and 24 mean Zoom's side broke, and
   * its failover guide calls for a complete restart: with reconnection on, the session tries one.
   */
  stopFromWebhook(stopReason: number | undefined): Promise<SessionEnd> {
    if (stopReason !== undefined && RESTART_STOP_REASONS.has(stopReason) && this.#ctx.reconnect !== undefined && !this.#ending) {
      const name = nameOf(StopReason, stopReason) ?? String(stopReason);
      this.#reconnectOrFail('full', new RtmsError('RTMS_CONNECTION_LOST', `stream stopped by Zoom (${name}); restarting`, { streamId: this.id }), true, stopReason);
      return this.#closedPromise;
    }
    return this.#finish('stopped', 'webhook_stopped', { closeStream: false, stopReason });
  }

  /** @internal Another instance owns the stream now: cut the sockets at once, no STREAM_CLOSE_REQ. */
  handover(): Promise<SessionEnd> {
    return this.#finish('stopped', 'handover', { closeStream: false, signal: AbortSignal.abort() });
  }

  /** @internal `client.close()`. */
  stopForClient(options: StopOptions): Promise<SessionEnd> {
    return this.#finish('stopped', 'client_closed', { closeStream: options.closeStream ?? true, timeoutMs: options.timeoutMs, signal: options.signal });
  }

  /** Secret-free description for `util.inspect` (and so for printing the session). */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `RtmsSession { id: '${this.id}', product: '${this.product}', state: '${this.#state}' }`;
  }

  /** Secret-free JSON form. */
  toJSON(): Record<string, unknown> {
    return { id: this.id, product: this.product, productId: this.identity.productId, state: this.#state };
  }

  // ---------------------------------------------------------------------------------------------------------
  // State machine
  // ---------------------------------------------------------------------------------------------------------

  /** Moves to `to` if the table allows it; emits `state`. Returns false (and logs) for a disallowed move. */
  private transition(to: SessionState): boolean {
    const from = this.#state;
    if (from === to) return true;
    if (!SESSION_TRANSITIONS[from].includes(to)) {
      this.#ctx.logger.warn(`ignored state move ${from} -> ${to}`, { streamId: this.id });
      return false;
    }
    this.#state = to;
    this.#ctx.logger.debug(`state ${from} -> ${to}`, { streamId: this.id });
    this.#fire('state', to, from);
    return true;
  }

  /** Emits with listener isolation: a listener that throws is reported and streaming goes on. */
  #fire<K extends keyof RtmsSessionEvents>(event: K, ...args: RtmsSessionEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: RtmsSessionEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      this.#listenerError(event, err);
    }
  }

  #listenerError(event: string, err: unknown): void {
    this.#ctx.logger.error(`a '${event}' listener threw: ${describeError(err)}`, { streamId: this.id });
    if (event === 'error') return; // never loop
    const wrapped = new RtmsError('RTMS_LISTENER_ERROR', `a '${event}' listener threw: ${describeError(err)}`, { cause: err, streamId: this.id });
    try {
      this.emit('error', wrapped);
    } catch (again) {
      this.#ctx.logger.error(`an 'error' listener threw: ${describeError(again)}`, { streamId: this.id });
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Connecting
  // ---------------------------------------------------------------------------------------------------------

  /** Opens the signaling socket to the stream's current server URL. */
  #connect(): void {
    if (this.#ending) return;
    const url = this.#identity.serverUrl;
    const refused = checkUrl(url, this.#ctx.urlPolicy);
    if (refused !== undefined) {
      void this.#fail(new RtmsError('RTMS_URL_REJECTED', `signaling URL refused: ${refused}`, { streamId: this.id, channel: 'signaling' }));
      return;
    }
    const spec = PRODUCTS[this.#identity.product];
    const fields = { idKeys: spec.handshakeKeys, idValue: this.#identity.productId, streamId: this.id, signature: this.#signature };
    const bufferData = this.#ctx.bufferData;
    this.#signaling = this.#channel('signaling', 'signaling', url, (sequence) =>
      encodeSignalingHandshake({ ...fields, sequence, ...(bufferData === undefined ? {} : { bufferData }) }),
    );
    this.#signaling.open();
  }

  #channel(kind: 'signaling' | 'media', label: string, url: string, handshake: (sequence: number) => string): Channel {
    const ctx = this.#ctx;
    return new Channel(
      { kind, label, url, streamId: this.id, handshake, socketFactory: ctx.socketFactory, codec: ctx.codec, clock: ctx.clock, logger: ctx.logger, limits: ctx.limits },
      this.#host,
    );
  }

  #onReady(channel: Channel, resp: HandshakeResponse): void {
    if (this.#ending) return;
    if (channel.kind === 'signaling') {
      if (this.#state === 'connecting') this.transition('handshaking');
      if (this.#subscribed.size > 0) {
        channel.send(encodeEventSubscription([...this.#subscribed].map((eventType) => ({ eventType, subscribe: true }))));
      }
      const plan = this.#planMedia((resp as WireSignalingHandshakeResp).media_server?.server_urls ?? {});
      if (plan === undefined) return;
      this.#mediaPlan = plan;
      this.#media = plan.map((entry) => this.#openMediaChannel(entry));
      return;
    }
    const tag = channel.tag as MediaTag;
    tag.ready = true;
    const applied = resp.msg_type === MsgType.DATA_HAND_SHAKE_RESP ? resp.media_params : undefined;
    const requested = this.#ctx.media.wireParams;
    if (tag.kinds.includes('audio')) tag.audio = audioFormat(serverParams(applied, 'audio'), requested['audio']);
    if (tag.kinds.includes('video')) tag.video = videoFormat(serverParams(applied, 'video'), requested['video'], VIDEO_DEFAULTS);
    if (tag.kinds.includes('share')) tag.share = videoFormat(serverParams(applied, 'deskshare'), requested['deskshare'], SHARE_DEFAULTS);
    // One CLIENT_READY_ACK per successful media handshake, on signaling, as Zoom's sample clients do (§1 notes).
    this.#signaling?.send(encodeClientReadyAck(this.id));
    if (this.#signaling?.state !== 'ready' || !this.#media.every((m) => m.state === 'ready')) return;
    const r = this.#reconnect;
    if (r !== undefined) {
      if (r.timer !== undefined) this.#ctx.clock.clearTimeout(r.timer);
      this.#reconnect = undefined;
    }
    if (!this.transition('streaming')) return;
    if (!this.#everStreamed) {
      // The first time media flows is `ready`, even when the first connection needed retries.
      this.#everStreamed = true;
      this.#fire('ready');
    } else if (r !== undefined) {
      const info = { scope: r.scope, attempts: r.attempt, downtimeMs: this.#ctx.clock.now() - r.startedAt };
      this.#ctx.logger.info(`reconnected (${r.scope}) after ${info.attempts} attempt(s), ${info.downtimeMs} ms`, { streamId: this.id });
      this.#fire('reconnected', info);
    }
  }

  /** Lays out the media sockets from the signaling response's URLs; undefined (and the session fails) if impossible. */
  #planMedia(urls: Readonly<Record<string, string>>): MediaPlanEntry[] | undefined {
    const kinds = this.#ctx.media.kinds;
    const urlFor = (k: MediaKind): string | undefined => {
      for (const key of URL_KEYS[k]) if (urls[key] !== undefined) return urls[key];
      return undefined;
    };
    const groups = new Map<string, MediaKind[]>();
    const all = urls['all'];
    for (const k of kinds) {
      const own = urlFor(k);
      const url = this.#ctx.mediaSockets === 'single' ? (all ?? own) : (own ?? all);
      if (url === undefined) {
        void this.#fail(new RtmsError('RTMS_PROTOCOL_ERROR', `signaling response offers no media URL for ${k} (the app may lack the scope)`, { streamId: this.id, channel: 'signaling' }));
        return undefined;
      }
      const g = groups.get(url);
      if (g) g.push(k);
      else groups.set(url, [k]);
    }
    for (const url of groups.keys()) {
      const refused = checkUrl(url, this.#ctx.urlPolicy);
      if (refused !== undefined) {
        void this.#fail(new RtmsError('RTMS_URL_REJECTED', `media URL refused: ${refused}`, { streamId: this.id, channel: 'media' }));
        return undefined;
      }
    }
    const spec = PRODUCTS[this.#identity.product];
    const base = { idKeys: spec.handshakeKeys, idValue: this.#identity.productId, streamId: this.id, signature: this.#signature };
    const wire = this.#ctx.media.wireParams;
    return [...groups].map(([url, group]) => {
      let mediaType = 0;
      const mediaParams: Record<string, unknown> = {};
      for (const k of group) {
        mediaType |= MEDIA_BIT[k];
        const key = k === 'share' ? 'deskshare' : k;
        if (wire[key] !== undefined) mediaParams[key] = wire[key];
      }
      return { url, kinds: group, handshake: (sequence: number) => encodeDataHandshake({ ...base, sequence, mediaType, mediaParams, payloadEncryption: false }) };
    });
  }

  #openMediaChannel(entry: MediaPlanEntry): Channel {
    const ch = this.#channel('media', `media[${entry.kinds.join(',')}]`, entry.url, entry.handshake);
    ch.tag = { kinds: entry.kinds, ready: false, audio: undefined, video: undefined, share: undefined } satisfies MediaTag;
    ch.open();
    return ch;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Reconnection
  // ---------------------------------------------------------------------------------------------------------

  /** Errors worth another attempt: network trouble, timeouts, and the retryable status codes (§4.3). */
  #retryable(err: RtmsError): boolean {
    switch (err.code) {
      case 'RTMS_CONNECT_FAILED':
      case 'RTMS_CONNECT_TIMEOUT':
      case 'RTMS_HANDSHAKE_TIMEOUT':
      case 'RTMS_CONNECTION_LOST':
      case 'RTMS_IDLE_TIMEOUT':
        return true;
      case 'RTMS_HANDSHAKE_REJECTED':
        return err.statusCode !== undefined && RETRYABLE_STATUS_CODES.has(err.statusCode);
      default:
        return false;
    }
  }

  #onDown(channel: Channel, err: RtmsError): void {
    if (this.#ending) {
      // While stopping, the server closing signaling is the answer we were waiting for.
      if (channel.kind === 'signaling') this.#closeStreamWaiter?.();
      return;
    }
    const stale = channel !== this.#signaling && !this.#media.includes(channel);
    if (stale) return; // a socket we already replaced
    const scope = channel.kind === 'media' && this.#signaling?.state === 'ready' ? 'media' : 'full';
    this.#ctx.logger.warn(`${channel.label} down: ${err.code}: ${err.message}`, { streamId: this.id });
    this.#reconnectOrFail(scope, err, false);
  }

  /**
   * Starts (or continues) repairing an outage. `fresh` resets the budget (a failover to new URLs is a new outage).
   * Never runs two signaling sockets for one stream: a full attempt closes every old socket before opening one.
   */
  #reconnectOrFail(scope: 'full' | 'media', err: RtmsError, fresh: boolean, stopReason?: number): void {
    if (this.#ending) return;
    const policy = this.#ctx.reconnect;
    if (policy === undefined || !this.#retryable(err)) {
      void this.#finish('failed', 'error', { closeStream: false, error: err, stopReason: stopReason ?? this.#reconnect?.stopReason });
      return;
    }
    const now = this.#ctx.clock.now();
    const windowMs = (s: 'full' | 'media') => (s === 'full' ? policy.signalingWindowMs : policy.mediaWindowMs);
    let r = this.#reconnect;
    if (r === undefined || fresh) {
      if (r?.timer !== undefined) this.#ctx.clock.clearTimeout(r.timer);
      r = { scope, attempt: 0, deadline: now + windowMs(scope), startedAt: r?.startedAt ?? now, timer: undefined, lastError: err, stopReason: stopReason ?? r?.stopReason };
      this.#reconnect = r;
      this.transition('reconnecting');
    } else {
      r.lastError = err;
      if (scope === 'full' && r.scope === 'media') {
        r.scope = 'full';
        r.deadline = Math.max(r.deadline, r.startedAt + windowMs('full'));
      }
    }
    if (r.timer !== undefined) return; // an attempt is already scheduled; it will cover this
    if (r.attempt >= policy.maxAttempts) {
      this.#giveUp(r, `gave up after ${r.attempt} reconnect attempt(s)`);
      return;
    }
    const delay = backoffDelay(policy, r.attempt);
    if (now + delay > r.deadline) {
      this.#giveUp(r, `reconnect window of ${windowMs(r.scope)} ms is spent`);
      return;
    }
    this.#fire('reconnecting', { scope: r.scope, attempt: r.attempt + 1, delayMs: delay, cause: err });
    const state = r;
    state.timer = this.#ctx.clock.setTimeout(() => {
      state.timer = undefined;
      void this.#attempt(state);
    }, delay);
  }

  #giveUp(r: ReconnectState, why: string): void {
    this.#ctx.logger.warn(`${why}; last error ${r.lastError.code}`, { streamId: this.id });
    void this.#finish('failed', 'error', { closeStream: false, error: r.lastError, stopReason: r.stopReason });
  }

  async #attempt(r: ReconnectState): Promise<void> {
    if (this.#ending || this.#reconnect !== r) return;
    if (this.#ctx.isOwner?.(this.id) === false) {
      // Fenced: another instance owns the stream; reconnecting would kick it off.
      this.#ctx.logger.warn('not reconnecting: this instance no longer owns the stream', { streamId: this.id });
      void this.handover();
      return;
    }
    r.attempt++;
    this.#ctx.logger.info(`reconnect attempt ${r.attempt} (${r.scope})`, { streamId: this.id });
    if (r.scope === 'full') {
      const old = [...this.#media, ...(this.#signaling ? [this.#signaling] : [])];
      this.#media = [];
      this.#signaling = undefined;
      await Promise.all(old.map((ch) => ch.close(WS_CLOSE_NORMAL, 'reconnecting')));
      if (this.#ending || this.#reconnect !== r) return;
      this.#connect();
      return;
    }
    // Media only: reopen every media socket that is not streaming, to the same URL.
    const reopen: Promise<void>[] = [];
    this.#media = this.#media.map((ch, i) => {
      const entry = this.#mediaPlan[i];
      if (ch.state === 'ready' || entry === undefined) return ch;
      reopen.push(ch.close(WS_CLOSE_NORMAL, 'reconnecting'));
      return this.#openMediaChannel(entry);
    });
    await Promise.all(reopen);
  }

  /** @internal A second `*.rtms_started` with new `server_urls`: the server failed over; reconnect everything there. */
  failover(serverUrls: string, serverUrl: string): void {
    if (this.#ending) return;
    this.#identity = Object.freeze({ ...this.#identity, serverUrls, serverUrl });
    this.#ctx.logger.info('server failover: reconnecting to the new server_urls', { streamId: this.id });
    this.#reconnectOrFail('full', new RtmsError('RTMS_CONNECTION_LOST', 'server failover (new server_urls)', { streamId: this.id, channel: 'signaling' }), true);
  }

  /** @internal `*.rtms_interrupted`: Zoom lost our signaling connection; reconnect both channels. */
  interrupted(): void {
    if (this.#ending) return;
    this.#reconnectOrFail('full', new RtmsError('RTMS_CONNECTION_LOST', 'signaling interrupted (rtms_interrupted webhook)', { streamId: this.id, channel: 'signaling' }), false);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Incoming messages
  // ---------------------------------------------------------------------------------------------------------

  #onMessage(channel: Channel, msg: InboundMessage): void {
    switch (msg.msg_type) {
      case MsgType.MEDIA_DATA_AUDIO:
        this.#onAudio(channel, msg.content);
        return;
      case MsgType.MEDIA_DATA_TRANSCRIPT:
        this.#onTranscript(msg.content);
        return;
      case MsgType.MEDIA_DATA_VIDEO:
        this.#onVideo(channel, msg.content, 'video');
        return;
      case MsgType.MEDIA_DATA_SHARE:
        this.#onVideo(channel, msg.content, 'share');
        return;
      case MsgType.MEDIA_DATA_CHAT:
        this.#onChat(msg.content);
        return;
      case MsgType.EVENT_UPDATE:
        this.#onEvent(msg);
        return;
      case MsgType.STREAM_STATE_UPDATE:
        this.#onStreamState(msg);
        return;
      case MsgType.SESSION_STATE_UPDATE:
        this.#onSessionState(msg);
        return;
      case MsgType.STREAM_CLOSE_RESP:
        this.#closeStreamWaiter?.();
        return;
      case MsgType.VIDEO_SUBSCRIPTION_RESP:
      case MsgType.STREAM_STATE_RESP:
      case MsgType.SESSION_STATE_RESP:
        for (const req of this.#pending) if (req.offer(msg)) return;
        this.#ctx.logger.debug(`${channel.label}: unsolicited msg_type ${msg.msg_type}`, { streamId: this.id });
        return;
      case MsgType.META_DATA_AUDIO:
      case MsgType.META_DATA_VIDEO:
      case MsgType.META_DATA_SHARE:
      case MsgType.META_DATA_TRANSCRIPT:
      case MsgType.META_DATA_CHAT:
        this.#onMetadata(msg);
        return;
      default:
        this.#ctx.logger.debug(`${channel.label}: msg_type ${msg.msg_type} not handled yet`, { streamId: this.id });
    }
  }

  #badBase64(kind: string): void {
    this.#fire('error', new RtmsError('RTMS_FRAME_INVALID', `${kind} frame: content.data is not valid base64`, { streamId: this.id, channel: 'media' }));
  }

  #onAudio(channel: Channel, c: WireMediaContent): void {
    // Nobody reads audio: nothing is decoded or allocated. Raw listeners get the base64 text as it came.
    const decoded = this.listenerCount('audio') !== 0;
    const raw = this.listenerCount('rawMedia') !== 0;
    if (!decoded && !raw) return;
    const format = (channel.tag as MediaTag | undefined)?.audio ?? NO_LISTENER_DEFAULT_FORMAT_AUDIO;
    const userId = c.user_id ?? undefined;
    const userName = c.user_name ?? undefined;
    const channelId = c.channel_id ?? undefined;
    const timestamp = c.timestamp ?? undefined;
    if (decoded) {
      const data = decodeBase64(c.data);
      if (data === undefined) this.#badBase64('audio');
      else {
        try {
          this.emit('audio', { data, userId, userName, channelId, timestamp, format });
        } catch (err) {
          this.#listenerError('audio', err);
        }
      }
    }
    if (raw) this.#fire('rawMedia', { kind: 'audio', base64: c.data, userId, userName, channelId, timestamp, format });
  }

  #onVideo(channel: Channel, c: WireMediaContent, kind: 'video' | 'share'): void {
    const decoded = this.listenerCount(kind) !== 0;
    const raw = this.listenerCount('rawMedia') !== 0;
    if (!decoded && !raw) return;
    const tag = channel.tag as MediaTag | undefined;
    const format = (kind === 'video' ? tag?.video : tag?.share) ?? videoFormat(undefined, undefined, kind === 'video' ? VIDEO_DEFAULTS : SHARE_DEFAULTS);
    const userId = c.user_id ?? undefined;
    const userName = c.user_name ?? undefined;
    const timestamp = c.timestamp ?? undefined;
    if (decoded) {
      const data = decodeBase64(c.data);
      if (data === undefined) this.#badBase64(kind);
      else this.#fire(kind, { data, userId, userName, timestamp, format });
    }
    if (raw) this.#fire('rawMedia', { kind, base64: c.data, userId, userName, timestamp, format });
  }

  #onTranscript(c: WireMediaContent): void {
    if (this.listenerCount('transcript') === 0) return;
    try {
      this.emit('transcript', {
        text: c.data,
        userId: c.user_id ?? undefined,
        userName: c.user_name ?? undefined,
        channelId: c.channel_id ?? undefined,
        timestamp: c.timestamp ?? undefined,
        startTime: c.start_time ?? undefined,
        endTime: c.end_time ?? undefined,
        language: c.language ?? undefined,
        attribute: c.attribute ?? undefined,
      });
    } catch (err) {
      this.#listenerError('transcript', err);
    }
  }

  #onChat(c: WireMediaContent): void {
    if (this.listenerCount('chat') === 0) return;
    // Since July 2026 `data` may be a JSON string with sender/receiver/...; older servers send plain text (§3.14).
    let payload: Record<string, unknown> | undefined;
    const raw = c.data;
    if (raw.startsWith('{')) {
      try {
        const parsed: unknown = JSON.parse(raw);
        if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) payload = parsed as Record<string, unknown>;
      } catch {
        payload = undefined;
      }
    }
    const sender = payload?.['sender'];
    const s = typeof sender === 'object' && sender !== null ? (sender as Record<string, unknown>) : undefined;
    const textField = payload && ['text', 'content', 'message', 'msg'].map((k) => payload[k]).find((v) => typeof v === 'string');
    const senderId = s?.['user_id'];
    const senderName = s?.['user_name'];
    this.#fire('chat', {
      text: typeof textField === 'string' ? textField : raw,
      timestamp: c.timestamp ?? undefined,
      userId: typeof senderId === 'number' || typeof senderId === 'string' ? senderId : (c.user_id ?? undefined),
      userName: typeof senderName === 'string' ? senderName : (c.user_name ?? undefined),
      payload,
      raw,
    });
  }

  #onEvent(msg: WireEventUpdate): void {
    const ev = msg.event;
    const zcc = this.#identity.product === 'contact_center';
    const table = zcc ? ZccEventType : EventType;
    const ts = eventTimestamp(ev);
    const name = nameOf(table, ev.event_type);
    this.#fire('event', { eventType: ev.event_type, name, timestamp: ts, body: ev });
    if (zcc) {
      this.#fire('contactCenterEvent', { eventType: ev.event_type, name, timestamp: ts, participant: readZccParticipant(ev) });
      return;
    }
    switch (ev.event_type) {
      case EventType.FIRST_PACKET_TIMESTAMP:
        this.#fire('firstPacket', ts);
        return;
      case EventType.ACTIVE_SPEAKER_CHANGE: {
        const userId = uid(ev['user_id']);
        const userName = str(ev['user_name']);
        if (userId !== undefined && userName !== undefined && this.#participants.has(userId) && this.#participants.get(userId)?.userName === undefined) {
          this.#participants.set(userId, { userId, userName });
        }
        this.#fire('activeSpeaker', { userId, userName, timestamp: ts });
        return;
      }
      case EventType.PARTICIPANT_JOIN: {
        const participants = readParticipants(ev);
        for (const p of participants) this.#participants.set(p.userId, p);
        this.#fire('participantJoin', { participants, timestamp: ts });
        return;
      }
      case EventType.PARTICIPANT_LEAVE: {
        const participants = readParticipants(ev).map((p) => ({ userId: p.userId, userName: p.userName ?? this.#participants.get(p.userId)?.userName }));
        for (const p of participants) this.#participants.delete(p.userId);
        this.#fire('participantLeave', { participants, timestamp: ts });
        return;
      }
      case EventType.SHARING_START:
      case EventType.SHARING_STOP: {
        const active = ev.event_type === EventType.SHARING_START;
        this.#fire('sharing', { active, userId: active ? uid(ev['user_id']) : undefined, userName: active ? str(ev['user_name']) : undefined, timestamp: ts });
        return;
      }
      case EventType.PARTICIPANT_VIDEO_ON:
      case EventType.PARTICIPANT_VIDEO_OFF:
        this.#fire('participantVideo', { on: ev.event_type === EventType.PARTICIPANT_VIDEO_ON, userIds: readParticipants(ev).map((p) => p.userId), timestamp: ts });
        return;
      case EventType.MEDIA_CONNECTION_INTERRUPTED:
        // Zoom dropped our media socket(s) (which one is not said): reconnect media (§7.3).
        this.#fire('mediaInterrupted', ts);
        this.#interruptMedia('media', 'media connection interrupted (event 7)');
        return;
      default:
        return; // chat-group events 10–14: bodies undocumented; on 'event' only
    }
  }

  /** A server-side signal that our sockets are gone although they may look open (half-open): drop and repair. */
  #interruptMedia(scope: 'full' | 'media', why: string): void {
    if (this.#ending) return;
    const channel = scope === 'media' ? 'media' : 'signaling';
    const err = new RtmsError('RTMS_CONNECTION_LOST', why, { streamId: this.id, channel });
    if (scope === 'media') for (const ch of this.#media) void ch.close(WS_CLOSE_NORMAL, 'reconnecting');
    this.#reconnectOrFail(scope, err, false);
  }

  #onStreamState(msg: WireStreamStateUpdate): void {
    this.#fire('streamState', {
      state: msg.state,
      stateName: nameOf(StreamState, msg.state),
      reason: msg.reason,
      reasonName: msg.reason === undefined ? undefined : nameOf(StopReason, msg.reason),
      timestamp: msg.timestamp,
    });
    if (msg.state === StreamState.TERMINATED || msg.state === StreamState.TERMINATING) {
      if (this.#closeStreamWaiter) this.#closeStreamWaiter();
      else void this.#finish('stopped', 'stream_terminated', { closeStream: false, stopReason: msg.reason });
      return;
    }
    // INTERRUPTED with reason 14 (data connection) is an alternate trigger for a media-only reconnect, 13
    // (signaling) for a full one (RS-RECON, §3.9).
    if (msg.state === StreamState.INTERRUPTED && (msg.reason === StopReason.DATA_CONNECTION_INTERRUPTED || msg.reason === StopReason.SIGNAL_CONNECTION_INTERRUPTED)) {
      const media = msg.reason === StopReason.DATA_CONNECTION_INTERRUPTED;
      this.#interruptMedia(media ? 'media' : 'full', `stream interrupted (${media ? 'DATA' : 'SIGNAL'}_CONNECTION_INTERRUPTED)`);
    }
  }

  #onSessionState(msg: WireSessionStateUpdate): void {
    // A stream can host several RTMS sessions; a STOPPED session does not end the stream (STREAM_STATE_UPDATE does).
    this.#fire('sessionState', {
      state: msg.state,
      stateName: nameOf(SessionStateCode, msg.state),
      rtmsSessionId: msg.rtms_session_id,
      stopReason: msg.stop_reason,
      stopReasonName: msg.stop_reason === undefined ? undefined : nameOf(StopReason, msg.stop_reason),
      timestamp: msg.timestamp,
    });
  }

  #onMetadata(msg: WireMetadata): void {
    const kinds = ['audio', 'video', 'share', 'transcript', 'chat'] as const;
    const kind = kinds[msg.msg_type - MsgType.META_DATA_AUDIO] ?? 'audio';
    this.#fire('metadata', { msgType: msg.msg_type, kind, body: msg });
  }

  // ---------------------------------------------------------------------------------------------------------
  // Ending
  // ---------------------------------------------------------------------------------------------------------

  #fail(error: RtmsError): Promise<SessionEnd> {
    return this.#finish('failed', 'error', { closeStream: false, error });
  }

  async #finish(
    kind: 'stopped' | 'failed',
    cause: EndCause,
    opts: { closeStream: boolean; stopReason?: number | undefined; error?: RtmsError; timeoutMs?: number | undefined; signal?: AbortSignal | undefined },
  ): Promise<SessionEnd> {
    if (this.#ending) return this.#closedPromise;
    this.#ending = true;
    const { clock, logger } = this.#ctx;
    if (this.#startTimer !== undefined) {
      clock.clearTimeout(this.#startTimer);
      this.#startTimer = undefined;
    }
    if (this.#reconnect?.timer !== undefined) clock.clearTimeout(this.#reconnect.timer);
    this.#reconnect = undefined;
    for (const req of [...this.#pending]) req.fail(new RtmsError('RTMS_REQUEST_FAILED', 'the session ended before the server answered', { streamId: this.id }));
    if (opts.error) {
      logger.warn(`session failing: ${opts.error.code}: ${opts.error.message}`, { streamId: this.id });
      this.#fire('error', opts.error);
    }
    if (kind === 'stopped') this.transition('stopping');

    const channels = [...this.#media, ...(this.#signaling ? [this.#signaling] : [])];
    let streamClosed = false;
    try {
      if (opts.closeStream && this.#signaling?.state === 'ready' && !opts.signal?.aborted) {
        streamClosed = true;
        await this.#requestStreamClose(opts.timeoutMs ?? this.#ctx.stopTimeoutMs, opts.signal);
      }
    } catch (err) {
      logger.debug(`stream close request failed: ${describeError(err)}`, { streamId: this.id });
    }
    const closing = Promise.all(channels.map((ch) => ch.close(WS_CLOSE_NORMAL, kind === 'stopped' ? 'client stop' : 'client error')));
    const cut = (): void => void Promise.all(channels.map((ch) => ch.destroy()));
    if (opts.signal?.aborted) cut();
    else opts.signal?.addEventListener('abort', cut, { once: true });
    await closing;
    opts.signal?.removeEventListener('abort', cut);

    this.transition(kind);
    const end: SessionEnd = Object.freeze({
      state: kind,
      cause,
      streamClosed,
      stopReason: opts.stopReason,
      stopReasonName: opts.stopReason === undefined ? undefined : nameOf(StopReason, opts.stopReason),
      error: opts.error,
    });
    this.#end = end;
    if (kind === 'stopped') this.#fire('stopped', end);
    this.#fire('closed', end);
    this.#resolveClosed(end);
    return end;
  }

  /** Sends STREAM_CLOSE_REQ and waits (bounded) for STREAM_CLOSE_RESP, a TERMINATED update or the socket closing. */
  #requestStreamClose(timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
    const { clock } = this.#ctx;
    return new Promise<void>((resolve) => {
      let timer: TimerHandle | undefined;
      const done = (): void => {
        if (timer !== undefined) clock.clearTimeout(timer);
        timer = undefined;
        signal?.removeEventListener('abort', done);
        this.#closeStreamWaiter = undefined;
        resolve();
      };
      this.#closeStreamWaiter = done;
      signal?.addEventListener('abort', done, { once: true });
      timer = clock.setTimeout(done, timeoutMs);
      if (!this.#signaling?.send(encodeStreamCloseReq(this.id))) done();
    });
  }
}
