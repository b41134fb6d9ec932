/**
 * RtmsSession: one RTMS stream, as a state machine over one signaling channel and one or more media channels.
 *
 * Flow: signaling socket → SIGNALING_HAND_SHAKE → media socket(s) → DATA_HAND_SHAKE → CLIENT_READY_ACK (on
 * signaling, one per media socket, as Zoom's sample clients do) → `streaming`. Keep-alives are answered by the
 * channels. Every state change goes through {@link RtmsSession.transition}, which checks the move against
 * {@link SESSION_TRANSITIONS} and emits `state`.
 *
 * The session owns every socket and timer it opens and releases them on every path to `stopped`/`failed`;
 * `closed()` resolves (never rejects) once they are gone. Two helpers do the rest: `FrameRouter` (session-events.ts)
 * turns decoded frames into typed events and keeps the roster, and `Recovery` (session-recovery.ts) repairs
 * outages. Each reports back through a narrow host the session builds.
 */
import { EventEmitter } from 'eventemitter3';
import { Channel, type ChannelHost, type ChannelLimits, type ChannelStats, type HandshakeResponse } from './channel.js';
import { publishError, publishReconnect, publishSessionState } from './diagnostics.js';
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
import { audioFormat, paramsChanged, serverParams, videoFormat } from './format.js';
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
import { EventType, MsgType, SessionStateCode, StopReason, StreamState, WS_CLOSE_NORMAL, nameOf } from './protocol/constants.js';
import type { InboundMessage, MediaKind, WireSignalingHandshakeResp } from './protocol/messages.js';
import { PRODUCTS } from './protocol/products.js';
import type { ReconnectPolicy } from './reconnect-policy.js';
import { FrameRouter, SHARE_DEFAULTS, VIDEO_DEFAULTS, reportListenerError, type FrameHost, type MediaFormats } from './session-events.js';
import { Recovery, type RecoveryHost } from './session-recovery.js';
import type { SessionStats } from './stats.js';
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

/** Per-media-socket facts, kept in `Channel.tag` (the `FrameRouter` reads the formats for each frame). */
interface MediaTag extends MediaFormats {
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

/** A request waiting for its response on signaling. */
interface PendingRequest {
  /** Returns true when `msg` answers this request (and settles it). */
  readonly offer: (msg: InboundMessage) => boolean;
  readonly fail: (err: RtmsError) => void;
}

/**
 * Events subscribed by default: who speaks, joins and leaves, for the meeting-like products (what Zoom's own SDK
 * subscribes when such callbacks are registered). FIRST_PACKET_TIMESTAMP and MEDIA_CONNECTION_INTERRUPTED are
 * always sent and must not be subscribed (D-EVT, §3.7). Contact Center: none, as in Zoom's guide. Zoom Phone: none
 * (its event numbers are not published).
 */
export const DEFAULT_EVENTS: Readonly<Record<StreamIdentity['product'], readonly number[]>> = {
  meeting: [EventType.ACTIVE_SPEAKER_CHANGE, EventType.PARTICIPANT_JOIN, EventType.PARTICIPANT_LEAVE],
  webinar: [EventType.ACTIVE_SPEAKER_CHANGE, EventType.PARTICIPANT_JOIN, EventType.PARTICIPANT_LEAVE],
  session: [EventType.ACTIVE_SPEAKER_CHANGE, EventType.PARTICIPANT_JOIN, EventType.PARTICIPANT_LEAVE],
  contact_center: [],
  phone: [],
};

/** The `server_urls` keys that may hold each kind's URL (share/chat keys are undocumented, §3.2). */
const URL_KEYS: Readonly<Record<MediaKind, readonly string[]>> = {
  audio: ['audio'],
  video: ['video'],
  share: ['deskshare', 'sharescreen', 'share'],
  transcript: ['transcript'],
  chat: ['chat'],
};

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
  #startTimer: TimerHandle | undefined;
  #ending = false;
  #end: SessionEnd | undefined;
  #resolveClosed!: (end: SessionEnd) => void;
  readonly #closedPromise: Promise<SessionEnd>;
  #closeStreamWaiter: (() => void) | undefined;
  #everStreamed = false;
  readonly #host: ChannelHost;
  readonly #frames: FrameRouter;
  readonly #recovery: Recovery;
  readonly #subscribed: Set<number>;
  readonly #pending = new Set<PendingRequest>();
  /** Shared by every channel of the session, so the counts add up across reconnects. */
  readonly #channelStats: ChannelStats = { framesReceived: 0, keepAlivesAnswered: 0, frameErrors: 0 };
  readonly #drops = { dropped: 0 };
  #reconnects = 0;
  #downtimeMs = 0;
  /** Media frame count at the last `stats()` call that saw it move, and the clock then. */
  #frameMark = 0;
  #frameSeenAt = 0;

  /** @internal Created by the client (the constructor is private, so the published types offer no `new`). */
  static create(identity: StreamIdentity, signature: string, ctx: SessionContext, resumed = false): RtmsSession {
    return new RtmsSession(identity, signature, ctx, resumed);
  }

  private constructor(identity: StreamIdentity, signature: string, ctx: SessionContext, resumed = false) {
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
    const frames = new FrameRouter({ streamId: this.id, product: identity.product, logger: ctx.logger }, this.#frameHost());
    this.#frames = frames;
    this.#recovery = new Recovery({ streamId: this.id, policy: ctx.reconnect, clock: ctx.clock, logger: ctx.logger }, this.#recoveryHost());
    this.#host = {
      onReady: (ch, resp) => this.#onReady(ch, resp),
      onMessage: (ch, msg) => frames.route(ch, msg),
      onFrameError: (_ch, err) => this.#fire('error', err),
      onUnhandled: (ch, msgType, known) =>
        ctx.logger.debug(`${ch.label}: skipped ${known ? 'unexpected' : 'unknown'} msg_type ${msgType}`, { streamId: this.id }),
      onDown: (ch, err) => this.#onDown(ch, err),
    };
    publishSessionState(this, this.#state, undefined);
  }

  /** Product, ids and URLs of the stream (the URLs change on a server failover). */
  get identity(): StreamIdentity {
    return this.#identity;
  }
  /** The product: `meeting`, `webinar`, `session` (Video SDK), `contact_center` or `phone` (Zoom Phone, experimental). */
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
  /**
   * Zoom Phone call id (`call_id`; Zoom Phone only). Experimental: Zoom Phone's wire details rest on a single Zoom
   * sample and may change (docs/products.md).
   */
  get callId(): string | undefined {
    return this.identity.product === 'phone' ? this.identity.productId : undefined;
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
      this.#drops,
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
    return this.#frames.participants;
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

  /**
   * The session's counters: per media kind frames and bytes, frame errors, keep-alives answered, reconnects and
   * downtime, the age of the last media frame, iterator drops. Plain counters kept as frames arrive (no clock read
   * per frame); this call reads the clock once. See {@link SessionStats} for each figure's definition.
   */
  stats(): SessionStats {
    const now = this.#ctx.clock.now();
    const tally = this.#frames.tally;
    const mediaFrames = tally.frames;
    if (mediaFrames !== this.#frameMark) {
      this.#frameMark = mediaFrames;
      this.#frameSeenAt = now;
    }
    // Retries of the first connection are not an outage (nothing streamed yet): downtime only ever grows.
    const outage = this.#everStreamed ? this.#recovery.outage : undefined;
    const ch = this.#channelStats;
    return Object.freeze({
      streamId: this.id,
      state: this.#state,
      media: tally.snapshot(),
      framesReceived: ch.framesReceived,
      frameErrors: ch.frameErrors + tally.invalidPayloads,
      keepAlivesAnswered: ch.keepAlivesAnswered,
      reconnects: this.#reconnects,
      downtimeMs: this.#downtimeMs + (outage === undefined ? 0 : Math.max(0, now - outage.startedAt)),
      lastFrameAgeMs: mediaFrames === 0 ? undefined : Math.max(0, now - this.#frameSeenAt),
      iteratorDrops: this.#drops.dropped,
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
    if (!this.#ending && this.#recovery.restartAfterStop(stopReason)) return this.#closedPromise;
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
    publishSessionState(this, to, from);
    this.#fire('state', to, from);
    return true;
  }

  /** Emits with listener isolation: a listener that throws is reported and streaming goes on. */
  #fire<K extends keyof RtmsSessionEvents>(event: K, ...args: RtmsSessionEvents[K]): void {
    if (event === 'error') publishError(this.id, args[0] as RtmsError);
    try {
      (this.emit as (e: K, ...a: RtmsSessionEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      this.#listenerError(event, err);
    }
  }

  #listenerError(event: string, err: unknown): void {
    reportListenerError(
      (error) => {
        publishError(this.id, error);
        this.emit('error', error);
      },
      this.#ctx.logger,
      this.id,
      event,
      err,
    );
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
      { kind, label, url, streamId: this.id, handshake, socketFactory: ctx.socketFactory, codec: ctx.codec, clock: ctx.clock, logger: ctx.logger, limits: ctx.limits, stats: this.#channelStats },
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
    for (const [kind, key] of [['audio', 'audio'], ['video', 'video'], ['share', 'deskshare']] as const) {
      if (!tag.kinds.includes(kind)) continue;
      const changed = paramsChanged(key, serverParams(applied, key), serverParams(requested, key));
      // Zoom answers what it applied; frames carry that. Said once per media handshake, since a silent change (JPG
      // at 5 fps where H.264 at 30 was asked, zoom/rtms#94) is what users otherwise find out from their frames.
      if (changed !== undefined) this.#ctx.logger.warn(`media: Zoom applied other ${kind} params than asked: ${changed}`, { streamId: this.id });
    }
    // One CLIENT_READY_ACK per successful media handshake, on signaling, as Zoom's sample clients do (§1 notes).
    this.#signaling?.send(encodeClientReadyAck(this.id));
    if (this.#signaling?.state !== 'ready' || !this.#media.every((m) => m.state === 'ready')) return;
    const r = this.#recovery.succeeded();
    if (!this.transition('streaming')) return;
    if (!this.#everStreamed) {
      // The first time media flows is `ready`, even when the first connection needed retries.
      this.#everStreamed = true;
      this.#fire('ready');
    } else if (r !== undefined) {
      const info = { scope: r.scope, attempts: r.attempt, downtimeMs: this.#ctx.clock.now() - r.startedAt };
      this.#reconnects++;
      this.#downtimeMs += Math.max(0, info.downtimeMs);
      publishReconnect(() => ({ phase: 'reconnected', streamId: this.id, ...info }));
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
      return { url, kinds: group, handshake: () => encodeDataHandshake({ ...base, sequence: undefined, mediaType, mediaParams, payloadEncryption: false }) };
    });
  }

  #openMediaChannel(entry: MediaPlanEntry): Channel {
    const ch = this.#channel('media', `media[${entry.kinds.join(',')}]`, entry.url, entry.handshake);
    ch.tag = { kinds: entry.kinds, ready: false, audio: undefined, video: undefined, share: undefined } satisfies MediaTag;
    ch.open();
    return ch;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Incoming messages (turned into events by this.#frames)
  // ---------------------------------------------------------------------------------------------------------

  /** What the frame router reports to. `emit` and `listenerCount` run per frame: fixed arity, no allocation. */
  #frameHost(): FrameHost {
    return {
      emit: (event, value) => {
        if (event === 'error') publishError(this.id, value as RtmsError);
        (this.emit as (e: string, v: unknown) => boolean)(event, value);
      },
      listenerCount: (event) => this.listenerCount(event),
      interrupt: (scope, why) => this.#recovery.interrupt(scope, why),
      terminated: (stopReason) => {
        if (this.#closeStreamWaiter) this.#closeStreamWaiter();
        else void this.#finish('stopped', 'stream_terminated', { closeStream: false, stopReason });
      },
      closeAnswered: () => this.#closeStreamWaiter?.(),
      answer: (msg) => {
        for (const req of this.#pending) if (req.offer(msg)) return true;
        return false;
      },
    };
  }

  // ---------------------------------------------------------------------------------------------------------
  // Outages (repaired by this.#recovery)
  // ---------------------------------------------------------------------------------------------------------

  /** What outage repair asks of the session: its sockets and its state machine. */
  #recoveryHost(): RecoveryHost {
    return {
      isOwner: () => this.#ctx.isOwner?.(this.id) !== false,
      enterReconnecting: () => void this.transition('reconnecting'),
      reconnecting: (info) => {
        publishReconnect(() => ({ phase: 'reconnecting', streamId: this.id, scope: info.scope, attempt: info.attempt, delayMs: info.delayMs, code: info.cause.code }));
        this.#fire('reconnecting', info);
      },
      fail: (error, stopReason) => void this.#finish('failed', 'error', { closeStream: false, error, stopReason }),
      handover: () => void this.handover(),
      dropMedia: () => {
        // Only established sockets: one still connecting or handshaking is a repair already under way (the event
        // that triggered this, e.g. MEDIA_CONNECTION_INTERRUPTED, refers to the socket Zoom lost, not to it).
        for (const ch of this.#media) if (ch.state === 'ready') void ch.close(WS_CLOSE_NORMAL, 'reconnecting');
      },
      closeAll: async () => {
        const old = [...this.#media, ...(this.#signaling ? [this.#signaling] : [])];
        this.#media = [];
        this.#signaling = undefined;
        await Promise.all(old.map((ch) => ch.close(WS_CLOSE_NORMAL, 'reconnecting')));
      },
      connect: () => this.#connect(),
      reopenMedia: async () => {
        // Reopen every media socket that is not streaming, to the same URL.
        const reopen: Promise<void>[] = [];
        this.#media = this.#media.map((ch, i) => {
          const entry = this.#mediaPlan[i];
          if (ch.state === 'ready' || entry === undefined) return ch;
          reopen.push(ch.close(WS_CLOSE_NORMAL, 'reconnecting'));
          return this.#openMediaChannel(entry);
        });
        await Promise.all(reopen);
      },
    };
  }

  #onDown(channel: Channel, err: RtmsError): void {
    if (this.#ending) {
      // While stopping, the server closing signaling is the answer we were waiting for.
      if (channel.kind === 'signaling') this.#closeStreamWaiter?.();
      return;
    }
    const stale = channel !== this.#signaling && !this.#media.includes(channel);
    if (stale) return; // a socket we already replaced
    this.#recovery.channelDown(channel.kind, channel.label, err, this.#signaling?.state === 'ready');
  }

  /** @internal A second `*.rtms_started` with new `server_urls`: the server failed over; reconnect everything there. */
  failover(serverUrls: string, serverUrl: string): void {
    if (this.#ending) return;
    this.#identity = Object.freeze({ ...this.#identity, serverUrls, serverUrl });
    this.#recovery.failover();
  }

  /** @internal `*.rtms_interrupted`: Zoom lost our signaling connection; reconnect both channels. */
  interrupted(): void {
    if (this.#ending) return;
    this.#recovery.signalingInterrupted();
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
    // An outage the session ends in still counts as downtime.
    const outage = this.#everStreamed ? this.#recovery.outage : undefined;
    if (outage !== undefined) this.#downtimeMs += Math.max(0, clock.now() - outage.startedAt);
    this.#recovery.stop();
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
