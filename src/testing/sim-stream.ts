/**
 * SimulatedStream: one simulated RTMS stream (one meeting, webinar, Video SDK session, engagement or call).
 *
 * The stream knows which client sockets carry it (the endpoints attach each socket whose handshake names it, and
 * detach it when it closes), whether media may flow (`ready`), and what the client subscribed to. It sends media
 * and events on those sockets and builds the stream's webhooks. Three helpers do the rest: the wire content and
 * the scripted meeting come from sim-script.ts, fault injection is `StreamFaults` (sim-faults.ts), and the record
 * of what the client did is written by `StreamRecorder` (sim-record.ts).
 *
 * What Zoom does on its own when the client loses a socket (an interruption event, closing media, the
 * `rtms_interrupted` and `rtms_stopped` webhooks, ending the stream after a reconnect window) is
 * `StreamReactions` (sim-reactions.ts).
 *
 * The stream reaches the simulator that serves it only through a narrow `StreamHost`, so it never imports
 * the endpoints (sim-server.ts), which import it.
 */
import { EventEmitter } from 'eventemitter3';
import { MediaTypeBit, MsgType, StopReason } from '../protocol/constants.js';
import { PRODUCTS, type RtmsProduct } from '../protocol/products.js';
import { Drifter, type DriftOptions } from './drift.js';
import { DEFAULT_AUDIO, isLive, sendData, type AppliedAudio, type Conn } from './sim-conn.js';
import { StreamFaults, type FaultHost } from './sim-faults.js';
import { StreamReactions, type ReactionHost, type Windows } from './sim-reactions.js';
import { StreamRecorder, type DropRecord, type ProtocolViolation, type StreamRecord } from './sim-record.js';
import {
  alwaysSentEvent,
  audioContent,
  chatContent,
  eventUpdate,
  frameContent,
  playMeeting,
  transcriptContent,
  type MeetingScript,
  type ScriptHost,
  type ScriptTimer,
  type SimAudio,
  type SimTranscript,
  type SimVideo,
} from './sim-script.js';
import { buildWebhook, type SignedWebhook } from './webhooks.js';

/** Events a {@link SimulatedStream} emits. */
export interface SimulatedStreamEvents {
  /** The client sent CLIENT_READY_ACK after its media handshake: media may flow. */
  ready: [];
  /** A violation was recorded. */
  violation: [violation: ProtocolViolation];
  /** A socket of this stream closed. */
  socketClosed: [channel: 'signaling' | 'media', code: number];
  /** Any client message on this stream (parsed). */
  clientMessage: [channel: 'signaling' | 'media', message: Record<string, unknown>];
  /** The client lost a socket while the stream was live (recorded in `record.drops`, outcome `pending`). */
  drop: [drop: DropRecord];
  /** A drop was settled as `reconnected`: the client handshook again and sent CLIENT_READY_ACK inside the window. */
  reconnected: [drop: DropRecord];
  /**
   * A webhook Zoom would send on its own, built and signed like `stream.webhook(step)`: `interrupted` when the
   * client lost signaling, `stopped` when the simulator ended the stream after a reconnect window passed. The
   * in-process API only emits it; deliver it (`client.handleWebhook(webhook)`, or POST it) to act as Zoom.
   */
  webhook: [step: 'interrupted' | 'stopped', webhook: SignedWebhook];
  /** The simulator ended the stream (`terminate()`, STREAM_CLOSE_REQ, a reconnect window that passed); see `record.end`. */
  ended: [stopReason: number];
}

/** @internal What a stream asks of the simulator that serves it. */
export interface StreamHost {
  /** The app's webhook secret token: the stream's webhooks are signed with it when there is one. */
  readonly webhookSecretToken: string | undefined;
  /** Closes one of the stream's sockets from the server side with `code` (keep-alive stopped; recorded as closed by the server). */
  closeSocket(conn: Conn, code: number): void;
  /** Stops the keep-alive requests on one of the stream's sockets. */
  stopKeepAlive(conn: Conn): void;
  /** Zoom's reconnect windows, as configured now. */
  reconnectWindows(): Windows;
  /** Delivers a webhook body over the event WebSocket; the number of sockets it went to (0: lost). */
  deliverEvent(body: Record<string, unknown>): number;
}

/** @internal A new stream's identity and settings. */
export interface StreamInit {
  /** The product it simulates. */
  readonly product: RtmsProduct;
  /** `rtms_stream_id`. */
  readonly streamId: string;
  /** Meeting UUID, webinar UUID, Video SDK session id, engagement id or call id. */
  readonly productId: string;
  /** Drift for its frames (already resolved against the simulator's option). */
  readonly drift: boolean | DriftOptions | undefined;
  /** The signaling URL: the webhook's default `server_urls`. */
  readonly signalingUrl: string;
}

/** One simulated RTMS stream (one meeting, webinar, Video SDK session or engagement). */
export class SimulatedStream extends EventEmitter<SimulatedStreamEvents> {
  /** The product this stream simulates. */
  readonly product: RtmsProduct;
  /** `rtms_stream_id`. */
  readonly streamId: string;
  /** Meeting UUID, webinar UUID, Video SDK session id or engagement id. */
  readonly productId: string;
  /** `server_urls` for the webhook: the signaling URL. */
  serverUrls: string;
  /** What the client did on this stream. */
  readonly record: StreamRecord;
  /** @internal Writes {@link SimulatedStream.record}: the endpoints report what the client did through it. */
  readonly recorder: StreamRecorder;
  /** @internal The faults armed on (or carried out against) this stream; the endpoints take the deferred ones. */
  readonly faults: StreamFaults;
  /** @internal The client sockets attached to this stream (by their handshake), until they close. */
  readonly conns = new Set<Conn>();
  /** The user whose individual video the client subscribed to (VIDEO_SUBSCRIPTION_REQ), if any. */
  videoSubscription: number | string | undefined;
  /** Event types the client subscribed to (EVENT_SUBSCRIPTION). */
  readonly subscribedEvents = new Set<number>();
  /** @internal Drift applied to this stream's frames, if any. */
  readonly drifter: Drifter | undefined;
  readonly #host: StreamHost;
  readonly #timers = new Set<ScriptTimer>();
  readonly #reactions: StreamReactions;
  #ready = false;
  #terminated = false;
  #firstPacketSent = false;

  /** @internal Created by `RtmsSimulator.createStream` (the constructor is private, so the published types offer no `new`). */
  static create(host: StreamHost, init: StreamInit): SimulatedStream {
    return new SimulatedStream(host, init);
  }

  private constructor(host: StreamHost, init: StreamInit) {
    super();
    this.#host = host;
    this.drifter = init.drift === undefined || init.drift === false ? undefined : new Drifter(init.drift === true ? {} : init.drift);
    this.product = init.product;
    this.streamId = init.streamId;
    this.productId = init.productId;
    this.serverUrls = init.signalingUrl;
    this.recorder = new StreamRecorder((v) => this.emit('violation', v));
    this.record = this.recorder.record;
    this.faults = new StreamFaults(this.#faultHost());
    this.#reactions = new StreamReactions(this.#reactionHost());
  }

  /** True once the client sent CLIENT_READY_ACK after a media handshake (and until the stream ends). */
  get isReady(): boolean {
    return this.#ready;
  }

  /** Errors among the recorded violations. */
  get errors(): ProtocolViolation[] {
    return this.record.violations.filter((v) => v.severity === 'error');
  }

  /** True for products whose audio and transcripts are keyed by `channel_id` (Contact Center, Zoom Phone). */
  get channelKeyed(): boolean {
    return PRODUCTS[this.product].partyKey === 'channel';
  }

  /** True when the client asked for one audio stream per participant (`data_opt` 2). */
  get audioMultiStream(): boolean {
    for (const c of this.conns) if (c.channel === 'media' && c.handshaken && c.audio?.multiStream) return true;
    return false;
  }

  /**
   * @internal The audio the live media socket that carries audio settled in its handshake (what the simulator
   * sends); Zoom's default (L16, 16 kHz, mono, 20 ms, mixed) when none does.
   */
  get audioFormat(): AppliedAudio {
    for (const c of this.conns) if (c.channel === 'media' && isLive(c) && c.audio) return c.audio;
    return DEFAULT_AUDIO;
  }

  /** True once the simulator ended the stream (`terminate()`, STREAM_CLOSE_REQ, a reconnect window that passed). */
  get isEnded(): boolean {
    return this.#terminated;
  }

  /**
   * Bytes queued on the stream's media sockets that the client has not read yet (over what the operating system
   * buffers): it grows while a client stops consuming its media.
   */
  get mediaBacklogBytes(): number {
    let bytes = 0;
    for (const c of this.conns) if (c.channel === 'media') bytes += c.ws.bufferedAmount;
    return bytes;
  }

  /**
   * A webhook for this stream, signed with the simulator's webhook token when it has one.
   *
   * Building the `stopped` webhook announces the stop (the first time, `record.stopSentAt`): from then on the
   * client closing its sockets is expected, not a drop, and no reconnect window runs on (a drop still pending
   * stays `pending`: no reconnect came before the stop). The simulator still accepts handshakes afterwards (a
   * client restarts after stop reasons 10–19 and 24). Building the `interrupted` webhook announces that signaling
   * is interrupted: when the client then closes its signaling socket, the drop is recorded but the simulator
   * sends no second `rtms_interrupted`.
   *
   * @param step `started` (with `server_urls`), `stopped` (with `stop_reason`, default MEETING_ENDED) or `interrupted`.
   */
  webhook(step: 'started' | 'stopped' | 'interrupted', options: { stopReason?: number; timestampSeconds?: number; serverUrls?: string } = {}): SignedWebhook {
    if (step === 'stopped' && this.record.stopSentAt === undefined) {
      this.recorder.stopSent(Date.now());
      this.#reactions.stopAnnounced();
    }
    if (step === 'interrupted') this.#reactions.announced('signaling');
    const spec = PRODUCTS[this.product];
    // The product's id field, and a session key for Video SDK sessions.
    const extra = this.product === 'session' ? { session_key: `session-${this.streamId.slice(0, 6)}` } : {};
    const payload: Record<string, unknown> = { [spec.idField]: this.productId, ...extra, rtms_stream_id: this.streamId };
    if (step === 'started') {
      payload['server_urls'] = options.serverUrls ?? this.serverUrls;
      if (!this.channelKeyed) payload['operator_id'] = 'sim-operator';
    }
    if (step === 'stopped') payload['stop_reason'] = options.stopReason ?? StopReason.MEETING_ENDED;
    const token = this.#host.webhookSecretToken;
    return buildWebhook(`${spec.webhookPrefix}rtms_${step}`, payload, {
      ...(token === undefined ? {} : { secretToken: token }),
      ...(options.timestampSeconds === undefined ? {} : { timestampSeconds: options.timestampSeconds }),
    });
  }

  /**
   * Delivers this stream's webhook over the simulator's event WebSocket (`sim.eventSocketUrl`) instead of as an
   * HTTP request: the body `stream.webhook(step, options)` builds, wrapped as `{ module: "message", content }`.
   * Returns the number of event sockets it went to; 0 means no client was connected and the event is lost, as
   * Zoom does not redeliver.
   */
  deliverEvent(step: 'started' | 'stopped' | 'interrupted', options: { stopReason?: number; serverUrls?: string } = {}): number {
    return this.#host.deliverEvent(this.webhook(step, options).json);
  }

  /** Resolves when the client is ready (CLIENT_READY_ACK received); rejects after `timeoutMs`. */
  ready(timeoutMs = 5_000): Promise<void> {
    if (this.#ready) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('ready', onReady);
        reject(new Error(`stream ${this.streamId}: no 'ready' within ${timeoutMs} ms`));
      }, timeoutMs);
      const onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      this.once('ready', onReady);
    });
  }

  /** Resolves when every socket of this stream is closed; rejects after `timeoutMs`. */
  socketsClosed(timeoutMs = 5_000): Promise<void> {
    const done = () => [...this.conns].every((c) => c.ws.readyState === c.ws.CLOSED);
    if (this.conns.size === 0 || done()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('socketClosed', check);
        reject(new Error(`stream ${this.streamId}: sockets still open after ${timeoutMs} ms`));
      }, timeoutMs);
      const check = () => {
        if (!done()) return;
        clearTimeout(timer);
        this.off('socketClosed', check);
        resolve();
      };
      this.on('socketClosed', check);
    });
  }

  // ---------------------------------------------------------------------------------------------------------
  // Media and events (content from sim-script.ts)
  // ---------------------------------------------------------------------------------------------------------

  /** Sends a transcript line. Returns false when no ready media socket carries transcripts. */
  sendTranscript(t: SimTranscript): boolean {
    return this.#sendMedia(MediaTypeBit.TRANSCRIPT, MsgType.MEDIA_DATA_TRANSCRIPT, transcriptContent(t));
  }

  /** Sends an audio packet (base64 on the wire). Contact Center and Zoom Phone packets carry `channelId` and no user. */
  sendAudio(a: SimAudio): boolean {
    return this.#sendMedia(MediaTypeBit.AUDIO, MsgType.MEDIA_DATA_AUDIO, audioContent(a, this.channelKeyed));
  }

  /** Sends a video frame. */
  sendVideo(v: SimVideo): boolean {
    return this.#sendMedia(MediaTypeBit.VIDEO, MsgType.MEDIA_DATA_VIDEO, frameContent(v));
  }

  /** Sends a screen-share frame. */
  sendShare(v: SimVideo): boolean {
    return this.#sendMedia(MediaTypeBit.DESKSHARE, MsgType.MEDIA_DATA_SHARE, frameContent(v));
  }

  /** Sends a chat message; `data` is sent as given (plain text, or a JSON string for the 2026 payload). */
  sendChat(c: { data: string; userId?: number; userName?: string; timestamp?: number }): boolean {
    return this.#sendMedia(MediaTypeBit.CHAT, MsgType.MEDIA_DATA_CHAT, chatContent(c));
  }

  /**
   * Sends an EVENT_UPDATE on signaling, as Zoom does: only if the client subscribed to that event type, except
   * FIRST_PACKET_TIMESTAMP (1) and MEDIA_CONNECTION_INTERRUPTED (7), which are always sent (D-EVT). Pass
   * `force` to send regardless. Returns whether it was sent.
   */
  sendEvent(event: { event_type: number; [key: string]: unknown }, options: { force?: boolean } = {}): boolean {
    const always = alwaysSentEvent(event.event_type, this.channelKeyed);
    if (!options.force && !always && !this.subscribedEvents.has(event.event_type)) return false;
    return this.sendSignaling(eventUpdate(event, this.channelKeyed));
  }

  /** PARTICIPANT_JOIN for these participants (if subscribed). */
  join(participants: readonly { userId: number | string; userName: string }[]): boolean {
    return this.sendEvent({ event_type: 3, participants: participants.map((p) => ({ user_id: p.userId, user_name: p.userName })) });
  }

  /** PARTICIPANT_LEAVE for these user ids (if subscribed). */
  leave(userIds: readonly (number | string)[]): boolean {
    return this.sendEvent({ event_type: 4, participants: userIds.map((user_id) => ({ user_id })) });
  }

  /** Sends any message on signaling. */
  sendSignaling(message: Record<string, unknown>): boolean {
    const c = this.#signalingConn();
    if (!c) return false;
    this.#reactions.announcing(message);
    sendData(c, this.encode(message));
    return true;
  }

  /**
   * Plays a scripted meeting: audio at real time in the format the client's media handshake settled (send_rate,
   * sample rate, channels, codec), transcript lines in turn, speaker-change events, and H.264 video and screen
   * share when the client negotiated them (codec 7). With `script.speech` (the default for G.722 and Opus) the
   * audio is a real recorded sentence and the transcripts say it. Resolves at the end of the script.
   */
  playMeeting(script: MeetingScript = {}): Promise<void> {
    return playMeeting(this.#scriptHost(), script);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Faults (carried out by this.faults)
  // ---------------------------------------------------------------------------------------------------------

  /** Refuses the next handshake on `channel` with `statusCode` (and `reason`). */
  refuseNextHandshake(channel: 'signaling' | 'media', statusCode: number, reason = 'refused by simulator'): void {
    this.faults.refuseNextHandshake(channel, statusCode, reason);
  }

  /** Sends a raw frame (text or binary) on the signaling socket or on every media socket; never drifted. */
  sendRaw(channel: 'signaling' | 'media', frame: string | Uint8Array): boolean {
    return this.faults.sendRaw(channel, frame);
  }

  /**
   * Ends the stream: STREAM_STATE_UPDATE TERMINATED with `reason` on signaling, every socket closed, `record.end`
   * set and `ended` emitted (no webhook: the test sends the stop webhook it wants). Idempotent.
   */
  terminate(reason: number = StopReason.MEETING_ENDED): void {
    this.#end(reason, 'terminate()', undefined);
  }

  /**
   * Freezes the stream like a stalled server or a half-open connection: the simulator stops reading from the
   * stream's sockets and stops sending (no keep-alives, no media, no close frames). `dropSocket` or `sim.close()`
   * ends it.
   */
  freeze(): void {
    this.#ready = false;
    this.faults.freeze();
  }

  /**
   * Drops the stream's signaling or media socket(s) abruptly (TCP reset, no close frame), like a network failure.
   * While the stream is live this is a drop (cause `fault`) that Zoom reacts to like any other.
   */
  dropSocket(channel: 'signaling' | 'media'): void {
    this.faults.dropSocket(channel);
  }

  // ---------------------------------------------------------------------------------------------------------
  // What the endpoints call (sim-server.ts)
  // ---------------------------------------------------------------------------------------------------------

  /** @internal A message as this stream sends it: JSON text, or drifted (possibly a binary frame). */
  encode(message: Record<string, unknown>): string | Buffer {
    return this.drifter ? this.drifter.frame(message) : JSON.stringify(message);
  }

  /** @internal A socket's handshake named this stream: it belongs to the stream until it closes. */
  attach(conn: Conn): void {
    this.conns.add(conn);
  }

  /**
   * @internal A socket of this stream closed: recorded, forgotten, and the stream is no longer ready unless
   * another live signaling and media socket still carry it (e.g. a new owner took over). Then Zoom's reaction,
   * if it was a drop.
   */
  detach(conn: Conn, code: number): void {
    this.recorder.close(conn.channel, code, conn.closedByServer ? 'server' : 'client');
    this.conns.delete(conn);
    const live = (ch: 'signaling' | 'media') => [...this.conns].some((c) => c.channel === ch && c.handshaken && !c.frozen);
    if (!live('signaling') || !live('media')) this.#ready = false;
    this.emit('socketClosed', conn.channel, code);
    this.#reactions.lost(conn, code);
  }

  /**
   * @internal The endpoints are about to drop `conn` for unanswered keep-alives (close `code`): the drop counts
   * from now, not from when the socket finally closes.
   */
  keepAliveDrop(conn: Conn, code: number): void {
    conn.dropCause = 'keepalive';
    this.#reactions.lost(conn, code);
  }

  /**
   * @internal A valid CLIENT_READY_ACK on `signaling` after a media handshake: media may flow (not after the
   * stream ended); the first sets `record.readyAt`; pending drops it completes are reconnected.
   */
  readyAck(signaling: Conn): void {
    if (this.#terminated) return;
    this.recorder.ready(Date.now());
    this.#reactions.readyAck(signaling);
    this.markReady();
  }

  /** @internal Media may flow (not after the stream ended). */
  markReady(): void {
    if (this.#ready || this.#terminated) return;
    this.#ready = true;
    this.emit('ready');
  }

  /** @internal The client sent STREAM_CLOSE_REQ (and was answered): the stream ends with RECEIVER_REQUEST_CLOSE. */
  closeRequested(): void {
    this.#end(StopReason.RECEIVER_REQUEST_CLOSE, 'the client sent STREAM_CLOSE_REQ', undefined);
  }

  /** @internal Clears every timer this stream owns (scripts, reconnect windows). */
  dispose(): void {
    for (const t of this.#timers) {
      clearTimeout(t);
      clearInterval(t);
    }
    this.#timers.clear();
    this.#reactions.dispose();
  }

  // ---------------------------------------------------------------------------------------------------------

  #mediaConns(bit: number): Conn[] {
    const out: Conn[] = [];
    for (const c of this.conns) {
      if (c.channel === 'media' && isLive(c) && (c.mask & bit || c.mask & MediaTypeBit.ALL)) out.push(c);
    }
    return out;
  }

  /**
   * The codec and fps a live media socket that carries video (or share) settled for it in its handshake, if any
   * (the handshake fills both in: sim-server.ts `settleVideo`).
   */
  #videoFormat(kind: 'video' | 'share'): { codec: number; fps: number } | undefined {
    const key = kind === 'video' ? 'video' : 'deskshare';
    for (const c of this.#mediaConns(kind === 'video' ? MediaTypeBit.VIDEO : MediaTypeBit.DESKSHARE)) {
      const params = c.mediaParams?.[key];
      if (typeof params !== 'object' || params === null) continue;
      const { codec, fps } = params as Record<string, unknown>;
      if (typeof codec === 'number' && typeof fps === 'number') return { codec, fps };
    }
    return undefined;
  }

  #signalingConn(): Conn | undefined {
    for (const c of this.conns) if (c.channel === 'signaling' && isLive(c)) return c;
    return undefined;
  }

  #sendMedia(bit: number, msgType: number, content: Record<string, unknown>): boolean {
    const conns = this.#mediaConns(bit);
    if (!this.#ready || conns.length === 0) return false;
    if (!this.#firstPacketSent) {
      // FIRST_PACKET_TIMESTAMP: always sent, once, as media starts flowing, with the first packet's timestamp
      // (§3.8). Sent for every product: D-ZCC-OLD documents it for Contact Center too.
      this.#firstPacketSent = true;
      const ts = typeof content['timestamp'] === 'number' ? content['timestamp'] : Date.now();
      this.sendSignaling(eventUpdate({ event_type: 1, timestamp: ts }, this.channelKeyed));
    }
    const frame = this.encode({ msg_type: msgType, content });
    for (const c of conns) sendData(c, frame);
    return true;
  }

  /** Ends the stream once: recorded, drops settled, TERMINATED sent and sockets closed, then the events. */
  #end(reason: number, why: string, expired: DropRecord | undefined): void {
    if (this.#terminated) return;
    this.#terminated = true;
    this.#ready = false;
    this.recorder.ended({ at: Date.now(), stopReason: reason, why });
    this.#reactions.settleAll(expired);
    this.faults.terminate(reason);
    // A window that passed is Zoom's own decision: it sends rtms_stopped with the reason.
    if (expired) this.emit('webhook', 'stopped', this.webhook('stopped', { stopReason: reason }));
    this.emit('ended', reason);
  }

  /** What the faults act on: this stream's sockets, and the simulator's side of them. */
  #faultHost(): FaultHost {
    return {
      streamId: this.streamId,
      sockets: () => this.conns,
      signalingSocket: () => this.#signalingConn(),
      mediaSockets: () => this.#mediaConns(0x3f),
      sendSignaling: (message) => this.sendSignaling(message),
      closeSocket: (conn, code) => this.#host.closeSocket(conn, code),
      stopKeepAlive: (conn) => this.#host.stopKeepAlive(conn),
    };
  }

  /** What Zoom's reactions act on: this stream's record, sockets and events. */
  #reactionHost(): ReactionHost {
    return {
      recorder: this.recorder,
      channelKeyed: this.channelKeyed,
      streamId: this.streamId,
      windows: () => this.#host.reconnectWindows(),
      live: () => this.record.signalingConnections > 0 && !this.#terminated && this.record.stopSentAt === undefined,
      sockets: () => this.conns,
      sendSignaling: (message) => this.sendSignaling(message),
      closeSocket: (conn, code) => this.#host.closeSocket(conn, code),
      dropped: (drop) => this.emit('drop', drop),
      reconnected: (drop) => this.emit('reconnected', drop),
      interrupted: () => this.emit('webhook', 'interrupted', this.webhook('interrupted')),
      expire: (reason, why, drop) => this.#end(reason, why, drop),
    };
  }

  /** What a meeting script plays through: this stream's public senders, and its timers. */
  #scriptHost(): ScriptHost {
    return {
      channelKeyed: this.channelKeyed,
      audioFormat: () => this.audioFormat,
      sendAudio: (a) => this.sendAudio(a),
      videoFormat: (kind) => this.#videoFormat(kind),
      sendVideo: (v) => this.sendVideo(v),
      sendShare: (v) => this.sendShare(v),
      sendTranscript: (t) => this.sendTranscript(t),
      sendEvent: (event) => this.sendEvent(event),
      join: (participants) => this.join(participants),
      terminate: (reason) => this.#end(reason, 'the meeting script ended (terminateAtEnd)', undefined),
      timers: this.#timers,
    };
  }
}
