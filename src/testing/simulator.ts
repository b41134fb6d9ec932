/**
 * A faithful local RTMS server, for testing apps (and this SDK) without Zoom.
 *
 * A real `ws` server on loopback serves the signaling endpoint and media endpoints (`all` and one per kind).
 * It checks every handshake the way Zoom does (signature, stream id, product id key, media type), answers and
 * sends keep-alives, streams what a test or a script tells it to, can refuse a handshake with any status code,
 * terminate a stream or drop a socket, and records what the client did for assertions.
 *
 * ```ts
 * const sim = await RtmsSimulator.start({ clientId, clientSecret, webhookSecretToken });
 * const stream = sim.createStream({ product: 'meeting' });
 * await client.handleWebhook(stream.webhook('started'));
 * await stream.ready();
 * stream.sendTranscript({ userId: 1, userName: 'Ada', text: 'hello' });
 * await sim.close();
 * ```
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { EventEmitter } from 'eventemitter3';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  MediaTypeBit,
  MsgType,
  SERVER_KEEP_ALIVE_INTERVAL_MS,
  SERVER_KEEP_ALIVE_MAX_MISSED,
  StatusCode,
  StopReason,
  StreamState,
} from '../protocol/constants.js';
import { ALL_HANDSHAKE_ID_KEYS, PRODUCTS, type RtmsProduct } from '../protocol/products.js';
import { Drifter, type DriftOptions } from './drift.js';
import { buildWebhook, type SignedWebhook } from './webhooks.js';

/** Media endpoints the simulator serves; `deskshare` carries screen share. */
export type SimMediaKind = 'all' | 'audio' | 'video' | 'deskshare' | 'transcript' | 'chat';

const MEDIA_ENDPOINTS: readonly SimMediaKind[] = ['all', 'audio', 'video', 'deskshare', 'transcript', 'chat'];
const KIND_BIT: Readonly<Record<Exclude<SimMediaKind, 'all'>, number>> = {
  audio: MediaTypeBit.AUDIO,
  video: MediaTypeBit.VIDEO,
  deskshare: MediaTypeBit.DESKSHARE,
  transcript: MediaTypeBit.TRANSCRIPT,
  chat: MediaTypeBit.CHAT,
};
const VALID_MEDIA_BITS = MediaTypeBit.AUDIO | MediaTypeBit.VIDEO | MediaTypeBit.DESKSHARE | MediaTypeBit.TRANSCRIPT | MediaTypeBit.CHAT | MediaTypeBit.ALL;

/** Options of {@link RtmsSimulator}. */
export interface SimulatorOptions {
  /** The app's client id; handshake signatures are checked against it. */
  clientId: string;
  /** The app's client secret; handshake signatures are checked against it. */
  clientSecret: string;
  /** The app's webhook secret token; webhooks the simulator builds are signed with it. */
  webhookSecretToken?: string;
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Port. Default 0 (any free port). */
  port?: number;
  /** Keep-alive request interval on every socket. Default 10 000 ms (Zoom's). 0 disables. */
  keepAliveIntervalMs?: number;
  /** Unanswered keep-alives before the simulator drops a socket. Default 3 (Zoom's). */
  keepAliveMaxMissed?: number;
  /** Media URLs offered in the signaling response. Default: `all` plus one per kind. */
  mediaUrls?: readonly SimMediaKind[];
  /**
   * What a second connection for a stream that already has a live one gets. Zoom's sources disagree:
   * `reject` (the default) refuses it with status 8 (STATUS_DUPLICATE_SIGNAL_REQUEST) or 16
   * (STATUS_DUPLICATE_MEDIA_DATA_CONNECTION), as the data-type reference and Zoom's samples describe;
   * `kick` accepts it and closes the older connection of that channel with 1000, as Zoom's agent-skills text
   * says ("a second connection kicks the first out"). Either way the attempt is recorded as a violation: a
   * client must never open two. Use `kick` to test what happens when two instances connect the same stream.
   */
  duplicateConnection?: 'reject' | 'kick';
  /**
   * Send every frame with benign drift, as a live server's JSON varies: binary frames holding JSON, ids as
   * numbers or strings, numbers as strings, `null` for absent fields, unknown fields, V2's `event_code`. A
   * tolerant client delivers exactly what it would without it. `true` applies every kind at random (seeded, so
   * runs repeat); see {@link DriftOptions} to choose. Default off. A stream can override it.
   */
  drift?: boolean | DriftOptions;
}

/** Something the client did that Zoom's documentation says it must not (`error`), or should not (`warning`). */
export interface ProtocolViolation {
  /** `error`: Zoom would refuse or drop this; `warning`: tolerated, but against the documentation. */
  readonly severity: 'error' | 'warning';
  /** The socket it happened on. */
  readonly channel: 'signaling' | 'media';
  /** Short rule id (`signature`, `keepalive-echo`, `protocol-version`, ...). */
  readonly rule: string;
  /** What happened, for humans. */
  readonly message: string;
}

/** A handshake request the simulator received. */
export interface HandshakeRecord {
  /** The socket it came on. */
  channel: 'signaling' | 'media';
  /** The message as received, with `signature` replaced by `<redacted>`. */
  message: Record<string, unknown>;
}

/** Keep-alive counters of a stream. */
export interface KeepAliveRecord {
  /** KEEP_ALIVE_REQ sent. */
  sent: number;
  /** KEEP_ALIVE_RESP received with a matching timestamp. */
  answered: number;
  /** KEEP_ALIVE_RESP received with a timestamp that matched no request. */
  wrongTimestamp: number;
  /** Sockets dropped for unanswered keep-alives. */
  missedDrops: number;
}

/** One closed socket. */
export interface CloseRecord {
  /** Which socket. */
  channel: 'signaling' | 'media';
  /** WebSocket close code. */
  code: number;
  /** Who closed it. */
  by: 'client' | 'server';
}

/** What the simulator saw a client do on one stream. */
export interface StreamRecord {
  /** Every violation, in order. */
  readonly violations: ProtocolViolation[];
  /** Handshake requests as received (signatures replaced by `<redacted>`). */
  readonly handshakes: HandshakeRecord[];
  /** Keep-alive bookkeeping over every socket of the stream. */
  readonly keepAlive: KeepAliveRecord;
  /** CLIENT_READY_ACK messages received. */
  readonly readyAcks: number;
  /** Sockets that closed, who closed them and with what code. */
  readonly closes: CloseRecord[];
  /** Signaling connections accepted (a reconnect adds one). */
  readonly signalingConnections: number;
  /** Media connections accepted. */
  readonly mediaConnections: number;
  /** Other client messages by msg_type (EVENT_SUBSCRIPTION, STREAM_CLOSE_REQ, ...). */
  readonly otherMessages: Record<number, number>;
}

/** Options of {@link RtmsSimulator.createStream}. */
export interface CreateStreamOptions {
  /** Default `meeting`. */
  product?: RtmsProduct;
  /** Default: a random 32-hex id. */
  streamId?: string;
  /** The product id (meeting UUID, ...). Default: a random base64 UUID-like id containing `/`, `+` or `=`. */
  productId?: string;
  /** Drift for this stream's frames; default: the simulator's `drift` option. */
  drift?: boolean | DriftOptions;
}

/** @internal One client socket. Holds `ws` types, so it and every member typed with it stay out of the published .d.ts. */
interface Conn {
  readonly ws: WebSocket;
  /** The TCP socket under `ws`, for freezing. */
  readonly raw: Duplex;
  readonly channel: 'signaling' | 'media';
  readonly endpoint: SimMediaKind | 'signaling';
  stream: SimulatedStream | undefined;
  mask: number;
  /** Audio `data_opt` the client asked for (2 = one stream per participant). */
  audioDataOpt: number;
  handshaken: boolean;
  readonly outstanding: Set<number>;
  /** The last keep-alive timestamps sent (bounded), to tell a late answer from a wrong one. */
  readonly sentKeepAlives: number[];
  keepAliveTimer: ReturnType<typeof setInterval> | undefined;
  closedByServer: boolean;
  /** Frozen by `freeze()`: neither read nor written, and no longer counted as the stream's connection. */
  frozen: boolean;
}

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
}

/** A transcript line to send. */
export interface SimTranscript {
  /** Speaker id. Default 0. */
  userId?: number | string;
  /** Speaker name. Omitted from the frame when not given. */
  userName?: string;
  /** The utterance. */
  text: string;
  /** Unix ms. Default now. */
  timestamp?: number;
  /** Utterance start, Unix ms. Default now − 1.5 s. */
  startTime?: number;
  /** Utterance end, Unix ms. Default now. */
  endTime?: number;
  /** Language id. Default 9 (English). */
  language?: number;
  /** Contact Center channel of the speaker. */
  channelId?: string;
}

/** An audio packet to send. */
export interface SimAudio {
  /** Raw audio bytes (sent base64-encoded). */
  data: Uint8Array;
  /** Speaker; 0 (default) for mixed audio. Not sent for Contact Center. */
  userId?: number | string;
  /** Speaker name, for per-participant audio. */
  userName?: string;
  /** Unix ms. Default now. */
  timestamp?: number;
  /** Contact Center channel. Default `'0'` for Contact Center streams. */
  channelId?: string;
}

/** A video or share frame to send. */
export interface SimVideo {
  /** Frame bytes (JPG, PNG or H.264), sent base64-encoded. */
  data: Uint8Array;
  /** Whose video. Default 0. */
  userId?: number | string;
  /** Their name. */
  userName?: string;
  /** Unix ms. Default now. */
  timestamp?: number;
}

/** One line of a scripted meeting. `channelId` is for Contact Center streams. */
export interface ScriptLine {
  /** Speaker id. */
  userId: number | string;
  /** Speaker name. */
  userName: string;
  /** What they say. */
  text: string;
  /** Contact Center channel of the speaker. */
  channelId?: string;
}

/** A scripted meeting: speakers take turns; audio streams at real time. */
export interface MeetingScript {
  /** Total length. Default 5 000 ms. */
  durationMs?: number;
  /** Audio packet interval (send_rate). Default 20 ms. 0 sends no audio. */
  audioFrameMs?: number;
  /** Bytes per audio packet. Default 640 (20 ms of 16 kHz mono L16). */
  audioFrameBytes?: number;
  /** Time between transcript lines. Default 1 000 ms. */
  transcriptEveryMs?: number;
  /** Lines, spoken in turn (repeating when the meeting outlasts them). */
  lines?: readonly ScriptLine[];
  /** Also send ACTIVE_SPEAKER_CHANGE events on signaling when the speaker changes. Default true. */
  speakerEvents?: boolean;
  /** Send STREAM_STATE_UPDATE TERMINATED (MEETING_ENDED) at the end. Default false. */
  terminateAtEnd?: boolean;
}

/** The default meeting script's lines. */
export const DEFAULT_LINES: readonly ScriptLine[] = [
  { userId: 16778240, userName: 'Ada Lovelace', text: 'Good morning, everyone. Shall we start with the roadmap?' },
  { userId: 16779264, userName: 'Grace Hopper', text: 'Yes. The compiler work is ahead of schedule.' },
  { userId: 16780288, userName: 'Alan Turing', text: 'I have a question about the test plan for the new release.' },
  { userId: 16778240, userName: 'Ada Lovelace', text: 'Go ahead, Alan.' },
  { userId: 16780288, userName: 'Alan Turing', text: 'Do we run the simulator in CI, or only on our laptops?' },
  { userId: 16779264, userName: 'Grace Hopper', text: 'In CI, on every commit. It needs no Zoom account.' },
];

function redact(msg: Record<string, unknown>): Record<string, unknown> {
  return 'signature' in msg ? { ...msg, signature: '<redacted>' } : { ...msg };
}

function randomProductId(): string {
  // Zoom UUIDs are base64 and often contain '/', '+' or '='; make sure ours do too.
  return `${randomBytes(15).toString('base64').slice(0, 18)}/+${randomBytes(3).toString('base64')}==`;
}

/** Synthetic 16-bit PCM: a quiet tone whose pitch depends on the speaker. */
export function tonePcm(bytes: number, seed: number, phase: number): Buffer {
  const buf = Buffer.allocUnsafe(bytes - (bytes % 2));
  const freq = 180 + (Math.abs(seed) % 7) * 40;
  for (let i = 0; i < buf.length / 2; i++) {
    buf.writeInt16LE(Math.round(3000 * Math.sin((2 * Math.PI * freq * (phase + i)) / 16000)), i * 2);
  }
  return buf;
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
  /** @internal Status code to refuse the next signaling / media handshake with (then cleared). */
  readonly pendingRefusals: { signaling?: { code: number; reason: string }; media?: { code: number; reason: string } } = {};
  /** @internal */ readonly conns = new Set<Conn>();
  /** The user whose individual video the client subscribed to (VIDEO_SUBSCRIPTION_REQ), if any. */
  videoSubscription: number | string | undefined;
  /** Event types the client subscribed to (EVENT_SUBSCRIPTION). */
  readonly subscribedEvents = new Set<number>();
  private timers = new Set<ReturnType<typeof setTimeout>>();
  private _ready = false;
  private terminated = false;
  /** @internal Drift applied to this stream's frames, if any. */
  readonly drifter: Drifter | undefined;

  /** @internal Created by {@link RtmsSimulator.createStream}. */
  static create(sim: RtmsSimulator, opts: Required<Omit<CreateStreamOptions, 'drift'>> & { drift: boolean | DriftOptions | undefined }): SimulatedStream {
    return new SimulatedStream(sim, opts);
  }

  private constructor(
    private readonly sim: RtmsSimulator,
    opts: Required<Omit<CreateStreamOptions, 'drift'>> & { drift: boolean | DriftOptions | undefined },
  ) {
    super();
    this.drifter = opts.drift === undefined || opts.drift === false ? undefined : new Drifter(opts.drift === true ? {} : opts.drift);
    this.product = opts.product;
    this.streamId = opts.streamId;
    this.productId = opts.productId;
    this.serverUrls = sim.signalingUrl;
    this.record = {
      violations: [],
      handshakes: [],
      keepAlive: { sent: 0, answered: 0, wrongTimestamp: 0, missedDrops: 0 },
      readyAcks: 0,
      closes: [],
      signalingConnections: 0,
      mediaConnections: 0,
      otherMessages: {},
    };
  }

  /** True once the client sent CLIENT_READY_ACK after a media handshake (and until the stream ends). */
  get isReady(): boolean {
    return this._ready;
  }

  /** Errors among the recorded violations. */
  get errors(): ProtocolViolation[] {
    return this.record.violations.filter((v) => v.severity === 'error');
  }

  /** @internal A message as this stream sends it: JSON text, or drifted (possibly a binary frame). */
  encode(message: Record<string, unknown>): string | Buffer {
    return this.drifter ? this.drifter.frame(message) : JSON.stringify(message);
  }

  /** True for products whose audio and transcripts are keyed by `channel_id` (Contact Center, Zoom Phone). */
  get channelKeyed(): boolean {
    return PRODUCTS[this.product].partyKey === 'channel';
  }

  /** The id key/value pair of this product's webhook payload. */
  private idPayload(): Record<string, unknown> {
    const key = PRODUCTS[this.product].idField;
    const extra = this.product === 'session' ? { session_key: `session-${this.streamId.slice(0, 6)}` } : {};
    return { [key]: this.productId, ...extra };
  }

  /**
   * A webhook for this stream, signed with the simulator's webhook token when it has one.
   *
   * @param step `started` (with `server_urls`), `stopped` (with `stop_reason`, default MEETING_ENDED) or `interrupted`.
   */
  webhook(step: 'started' | 'stopped' | 'interrupted', options: { stopReason?: number; timestampSeconds?: number; serverUrls?: string } = {}): SignedWebhook {
    const prefix = PRODUCTS[this.product].webhookPrefix;
    const payload: Record<string, unknown> = { ...this.idPayload(), rtms_stream_id: this.streamId };
    if (step === 'started') {
      payload['server_urls'] = options.serverUrls ?? this.serverUrls;
      if (!this.channelKeyed) payload['operator_id'] = 'sim-operator';
    }
    if (step === 'stopped') payload['stop_reason'] = options.stopReason ?? StopReason.MEETING_ENDED;
    return buildWebhook(`${prefix}rtms_${step}`, payload, {
      ...(this.sim.webhookSecretToken === undefined ? {} : { secretToken: this.sim.webhookSecretToken }),
      ...(options.timestampSeconds === undefined ? {} : { timestampSeconds: options.timestampSeconds }),
    });
  }

  /** Refuses the next handshake on `channel` with `statusCode` (and `reason`). */
  refuseNextHandshake(channel: 'signaling' | 'media', statusCode: number, reason = 'refused by simulator'): void {
    this.pendingRefusals[channel] = { code: statusCode, reason };
  }

  /** Resolves when the client is ready (CLIENT_READY_ACK received); rejects after `timeoutMs`. */
  ready(timeoutMs = 5_000): Promise<void> {
    if (this._ready) return Promise.resolve();
    return this.waitFor('ready', timeoutMs);
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

  private waitFor(event: 'ready', timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off(event, onEvent);
        reject(new Error(`stream ${this.streamId}: no '${event}' within ${timeoutMs} ms`));
      }, timeoutMs);
      const onEvent = () => {
        clearTimeout(timer);
        resolve();
      };
      this.once(event, onEvent);
    });
  }

  private mediaConns(bit: number): Conn[] {
    const out: Conn[] = [];
    for (const c of this.conns) {
      if (c.channel === 'media' && c.handshaken && !c.frozen && c.ws.readyState === c.ws.OPEN && (c.mask & bit || c.mask & MediaTypeBit.ALL)) out.push(c);
    }
    return out;
  }

  /** True when the client asked for one audio stream per participant (`data_opt` 2). */
  get audioMultiStream(): boolean {
    for (const c of this.conns) if (c.channel === 'media' && c.handshaken && c.audioDataOpt === 2) return true;
    return false;
  }

  private signalingConn(): Conn | undefined {
    for (const c of this.conns) if (c.channel === 'signaling' && c.handshaken && !c.frozen && c.ws.readyState === c.ws.OPEN) return c;
    return undefined;
  }

  private sendMedia(bit: number, msgType: number, content: Record<string, unknown>): boolean {
    const conns = this.mediaConns(bit);
    if (!this._ready || conns.length === 0) return false;
    const frame = this.encode({ msg_type: msgType, content });
    for (const c of conns) c.ws.send(frame);
    return true;
  }

  /** Sends a transcript line. Returns false when no ready media socket carries transcripts. */
  sendTranscript(t: SimTranscript): boolean {
    const now = Date.now();
    const content: Record<string, unknown> = {
      user_id: t.userId ?? 0,
      ...(t.userName === undefined ? {} : { user_name: t.userName }),
      data: t.text,
      timestamp: t.timestamp ?? now,
      start_time: t.startTime ?? now - 1500,
      end_time: t.endTime ?? now,
      language: t.language ?? 9,
    };
    if (t.channelId !== undefined) content['channel_id'] = t.channelId;
    return this.sendMedia(MediaTypeBit.TRANSCRIPT, MsgType.MEDIA_DATA_TRANSCRIPT, content);
  }

  /** Sends an audio packet (base64 on the wire). Contact Center and Zoom Phone packets carry `channelId` and no user. */
  sendAudio(a: SimAudio): boolean {
    const data = Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength);
    const content: Record<string, unknown> = { data: data.toString('base64'), length: data.length, timestamp: a.timestamp ?? Date.now() };
    if (this.channelKeyed) content['channel_id'] = a.channelId ?? '0';
    else {
      content['user_id'] = a.userId ?? 0;
      if (a.userName !== undefined) content['user_name'] = a.userName;
    }
    return this.sendMedia(MediaTypeBit.AUDIO, MsgType.MEDIA_DATA_AUDIO, content);
  }

  /** Sends a video frame. */
  sendVideo(v: SimVideo): boolean {
    return this.sendFrame(MediaTypeBit.VIDEO, MsgType.MEDIA_DATA_VIDEO, v);
  }

  /** Sends a screen-share frame. */
  sendShare(v: SimVideo): boolean {
    return this.sendFrame(MediaTypeBit.DESKSHARE, MsgType.MEDIA_DATA_SHARE, v);
  }

  private sendFrame(bit: number, msgType: number, v: SimVideo): boolean {
    const data = Buffer.from(v.data.buffer, v.data.byteOffset, v.data.byteLength);
    return this.sendMedia(bit, msgType, {
      user_id: v.userId ?? 0,
      ...(v.userName === undefined ? {} : { user_name: v.userName }),
      data: data.toString('base64'),
      length: data.length,
      timestamp: v.timestamp ?? Date.now(),
    });
  }

  /** Sends a chat message; `data` is sent as given (plain text, or a JSON string for the 2026 payload). */
  sendChat(c: { data: string; userId?: number; userName?: string; timestamp?: number }): boolean {
    return this.sendMedia(MediaTypeBit.CHAT, MsgType.MEDIA_DATA_CHAT, {
      data: c.data,
      timestamp: c.timestamp ?? Date.now(),
      ...(c.userId === undefined ? {} : { user_id: c.userId }),
      ...(c.userName === undefined ? {} : { user_name: c.userName }),
    });
  }

  /**
   * Sends an EVENT_UPDATE on signaling, as Zoom does: only if the client subscribed to that event type, except
   * FIRST_PACKET_TIMESTAMP (1) and MEDIA_CONNECTION_INTERRUPTED (7), which are always sent (D-EVT). Pass
   * `force` to send regardless. Returns whether it was sent.
   */
  sendEvent(event: { event_type: number; [key: string]: unknown }, options: { force?: boolean } = {}): boolean {
    const always = !this.channelKeyed && (event.event_type === 1 || event.event_type === 7);
    if (!options.force && !always && !this.subscribedEvents.has(event.event_type)) return false;
    // Contact Center bodies name their time event_ts (D-ZCCEV); the Zoom Phone sample reads them the same way.
    const ts = this.channelKeyed ? { event_ts: Date.now() } : { timestamp: Date.now() };
    return this.sendSignaling({ msg_type: MsgType.EVENT_UPDATE, event: { ...ts, ...event } });
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
    const c = this.signalingConn();
    if (!c) return false;
    c.ws.send(this.encode(message));
    return true;
  }

  /** Sends a raw frame (text or binary) on the signaling socket or on every media socket; never drifted. */
  sendRaw(channel: 'signaling' | 'media', frame: string | Uint8Array): boolean {
    const conns = channel === 'signaling' ? [this.signalingConn()].filter((c): c is Conn => c !== undefined) : this.mediaConns(0x3f);
    for (const c of conns) c.ws.send(frame);
    return conns.length > 0;
  }

  /** Sends STREAM_STATE_UPDATE TERMINATED with `reason` and closes every socket of the stream. */
  terminate(reason: number = StopReason.MEETING_ENDED): void {
    if (this.terminated) return;
    this.terminated = true;
    this._ready = false;
    this.sendSignaling({ msg_type: MsgType.STREAM_STATE_UPDATE, state: StreamState.TERMINATED, reason, timestamp: Date.now(), rtms_stream_id: this.streamId });
    for (const c of this.conns) this.sim.closeConn(c, 1000);
  }

  /**
   * Freezes the stream like a stalled server or a half-open connection: the simulator stops reading from the
   * stream's sockets and stops sending (no keep-alives, no media, no close frames). `dropSocket` or `sim.close()`
   * ends it.
   */
  freeze(): void {
    this._ready = false;
    for (const c of this.conns) {
      this.sim.stopKeepAlive(c);
      c.frozen = true;
      c.raw.pause();
    }
  }

  /** Drops the stream's signaling or media socket(s) abruptly (TCP reset, no close frame), like a network failure. */
  dropSocket(channel: 'signaling' | 'media'): void {
    for (const c of this.conns) {
      if (c.channel !== channel) continue;
      c.closedByServer = true;
      c.ws.terminate();
    }
  }

  /**
   * Plays a scripted meeting: audio at real time, transcript lines in turn, speaker-change events. Resolves at
   * the end of the script (or when the stream's sockets go away).
   */
  playMeeting(script: MeetingScript = {}): Promise<void> {
    const duration = script.durationMs ?? 5_000;
    const frameMs = script.audioFrameMs ?? 20;
    const frameBytes = script.audioFrameBytes ?? 640;
    const every = script.transcriptEveryMs ?? 1_000;
    const lines = script.lines && script.lines.length > 0 ? script.lines : DEFAULT_LINES;
    const start = Date.now();
    let lineIndex = 0;
    let speaker: number | string | undefined;
    let phase = 0;
    // Contact Center and Zoom Phone: one channel per party, numbered in speaking order, unless the line names one.
    const channels = new Map<number | string, string>();
    const channelOf = (line: ScriptLine): string | undefined => {
      if (!this.channelKeyed) return undefined;
      if (line.channelId !== undefined) return line.channelId;
      let ch = channels.get(line.userId);
      if (ch === undefined) {
        ch = String(channels.size + 1);
        channels.set(line.userId, ch);
      }
      return ch;
    };
    if (!this.channelKeyed) {
      const seen = new Map<number | string, string>();
      for (const l of lines) seen.set(l.userId, l.userName);
      this.join([...seen].map(([userId, userName]) => ({ userId, userName })));
    }
    return new Promise<void>((resolve) => {
      const finish = () => {
        for (const t of owned) {
          clearTimeout(t);
          clearInterval(t);
          this.timers.delete(t);
        }
        if (script.terminateAtEnd) this.terminate(StopReason.MEETING_ENDED);
        resolve();
      };
      const owned: ReturnType<typeof setTimeout>[] = [];
      const current = () => lines[lineIndex % lines.length] ?? DEFAULT_LINES[0]!;
      if (frameMs > 0) {
        // Self-correcting real-time pacing: send as many frames as wall time says are due.
        let sent = 0;
        const audio = setInterval(() => {
          const due = Math.floor((Date.now() - start) / frameMs);
          while (sent < due) {
            const line = current();
            // Mixed audio has user_id 0; per-participant audio names the speaker (D-MEDIA, §7.2).
            const multi = this.audioMultiStream;
            this.sendAudio({
              data: tonePcm(frameBytes, Number(line.userId) || 0, phase),
              userId: multi ? line.userId : 0,
              ...(multi ? { userName: line.userName } : {}),
              timestamp: start + sent * frameMs,
              ...(this.channelKeyed ? { channelId: channelOf(line) } : {}),
            });
            phase += frameBytes / 2;
            sent++;
          }
        }, frameMs);
        owned.push(audio);
        this.timers.add(audio);
      }
      const speak = () => {
        const line = current();
        if (script.speakerEvents !== false && line.userId !== speaker && !this.channelKeyed) {
          speaker = line.userId;
          this.sendEvent({ event_type: 2, user_id: line.userId, user_name: line.userName });
        }
        const channelId = channelOf(line);
        this.sendTranscript({ userId: line.userId, userName: line.userName, text: line.text, ...(channelId === undefined ? {} : { channelId }) });
        lineIndex++;
      };
      const transcripts = setInterval(speak, every);
      owned.push(transcripts);
      this.timers.add(transcripts);
      const end = setTimeout(finish, duration);
      owned.push(end);
      this.timers.add(end);
    });
  }

  /** @internal */
  violation(v: ProtocolViolation): void {
    this.record.violations.push(v);
    this.emit('violation', v);
  }

  /** @internal */
  markReady(): void {
    if (this._ready || this.terminated) return;
    this._ready = true;
    this.emit('ready');
  }

  /** @internal */
  unready(): void {
    this._ready = false;
  }

  /** @internal Clears timers this stream owns. */
  dispose(): void {
    for (const t of this.timers) {
      clearTimeout(t);
      clearInterval(t);
    }
    this.timers.clear();
  }
}

/** The RTMS simulator: one loopback server, any number of streams. */
export class RtmsSimulator {
  /** The app's client id the simulator checks signatures against. */
  readonly clientId: string;
  /** @internal */ readonly webhookSecretToken: string | undefined;
  readonly #clientSecret: string;
  readonly #options: SimulatorOptions;
  readonly #streams = new Map<string, SimulatedStream>();
  readonly #conns = new Set<Conn>();
  #server: Server | undefined;
  #wss: WebSocketServer | undefined;
  #baseUrl = '';
  #closing: Promise<void> | undefined;
  readonly #drifter: Drifter | undefined;

  private constructor(options: SimulatorOptions) {
    if (!options.clientId || !options.clientSecret) throw new Error('RtmsSimulator needs clientId and clientSecret');
    this.clientId = options.clientId;
    this.#clientSecret = options.clientSecret;
    this.webhookSecretToken = options.webhookSecretToken;
    this.#options = options;
    this.#drifter = options.drift === undefined || options.drift === false ? undefined : new Drifter(options.drift === true ? {} : options.drift);
  }

  /** Starts a simulator on loopback (port 0 by default) and resolves once it listens. */
  static async start(options: SimulatorOptions): Promise<RtmsSimulator> {
    const sim = new RtmsSimulator(options);
    await sim.#listen();
    return sim;
  }

  /** `ws://host:port`. */
  get baseUrl(): string {
    return this.#baseUrl;
  }

  /** The signaling URL (what a webhook's `server_urls` holds). */
  get signalingUrl(): string {
    return `${this.#baseUrl}/rtms/signaling`;
  }

  /** Streams created so far, by stream id. */
  get streams(): ReadonlyMap<string, SimulatedStream> {
    return this.#streams;
  }

  /** Open sockets right now. */
  get openSockets(): number {
    return this.#conns.size;
  }

  /** Secret-free description. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `RtmsSimulator { url: '${this.#baseUrl}', streams: ${this.#streams.size} }`;
  }

  /** Creates a stream the simulator will accept handshakes for. */
  createStream(options: CreateStreamOptions = {}): SimulatedStream {
    const stream = SimulatedStream.create(this, {
      product: options.product ?? 'meeting',
      streamId: options.streamId ?? randomUUID().replace(/-/g, ''),
      productId: options.productId ?? randomProductId(),
      drift: options.drift ?? this.#options.drift,
    });
    this.#streams.set(stream.streamId, stream);
    return stream;
  }

  /** Forgets a stream (closing its sockets), so long runs do not accumulate records. */
  deleteStream(streamId: string): void {
    const s = this.#streams.get(streamId);
    if (!s) return;
    s.dispose();
    for (const c of s.conns) this.closeConn(c, 1000);
    this.#streams.delete(streamId);
  }

  /** Stops everything: closes every socket, the server and every timer. Idempotent. */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#closing = (async () => {
      for (const s of this.#streams.values()) s.dispose();
      for (const c of this.#conns) {
        this.#stopKeepAlive(c);
        c.closedByServer = true;
        c.ws.terminate();
      }
      this.#conns.clear();
      await new Promise<void>((resolve) => (this.#wss ? this.#wss.close(() => resolve()) : resolve()));
      await new Promise<void>((resolve) => {
        if (!this.#server) return resolve();
        this.#server.closeAllConnections();
        this.#server.close(() => resolve());
      });
    })();
    return this.#closing;
  }

  /** @internal */
  closeConn(c: Conn, code: number): void {
    this.#stopKeepAlive(c);
    c.closedByServer = true;
    if (c.ws.readyState === c.ws.OPEN || c.ws.readyState === c.ws.CONNECTING) c.ws.close(code);
  }

  // ---------------------------------------------------------------------------------------------------------

  async #listen(): Promise<void> {
    const server = createServer((_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain' });
      res.end('RTMS simulator: WebSocket endpoints only\n');
    });
    const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const path = (req.url ?? '').split('?')[0] ?? '';
      let endpoint: Conn['endpoint'] | undefined;
      if (path === '/rtms/signaling') endpoint = 'signaling';
      else if (path.startsWith('/rtms/media/')) {
        const k = path.slice('/rtms/media/'.length) as SimMediaKind;
        if (MEDIA_ENDPOINTS.includes(k)) endpoint = k;
      }
      if (endpoint === undefined || this.#closing) {
        socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
        return;
      }
      const ep = endpoint;
      wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws, ep, socket));
    });
    this.#server = server;
    this.#wss = wss;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#options.port ?? 0, this.#options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address() as AddressInfo;
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    this.#baseUrl = `ws://${host}:${addr.port}`;
  }

  #accept(ws: WebSocket, endpoint: Conn['endpoint'], raw: Duplex): void {
    const conn: Conn = {
      ws,
      raw,
      channel: endpoint === 'signaling' ? 'signaling' : 'media',
      endpoint,
      stream: undefined,
      mask: 0,
      audioDataOpt: 1,
      handshaken: false,
      outstanding: new Set(),
      sentKeepAlives: [],
      keepAliveTimer: undefined,
      closedByServer: false,
      frozen: false,
    };
    this.#conns.add(conn);
    ws.on('error', () => undefined);
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        this.#violate(conn, 'error', 'text-frames', 'client sent a binary frame; RTMS V1 is JSON text');
        return;
      }
      this.#onClientText(conn, Array.isArray(data) ? Buffer.concat(data).toString() : data.toString());
    });
    ws.on('close', (code) => {
      this.#stopKeepAlive(conn);
      this.#conns.delete(conn);
      const s = conn.stream;
      if (s) {
        s.record.closes.push({ channel: conn.channel, code, by: conn.closedByServer ? 'server' : 'client' });
        s.conns.delete(conn);
        // The stream stays ready while another client connection carries it (e.g. a new owner took over).
        const live = (ch: 'signaling' | 'media') => [...s.conns].some((c) => c.channel === ch && c.handshaken && !c.frozen);
        if (!live('signaling') || !live('media')) s.unready();
        s.emit('socketClosed', conn.channel, code);
      }
    });
  }

  #violate(conn: Conn, severity: 'error' | 'warning', rule: string, message: string): void {
    conn.stream?.violation({ severity, channel: conn.channel, rule, message });
  }

  #send(conn: Conn, msg: Record<string, unknown>): void {
    if (conn.ws.readyState !== conn.ws.OPEN) return;
    // Drift follows the stream; a socket not yet bound to a stream (an unknown stream id) follows the simulator.
    conn.ws.send(conn.stream ? conn.stream.encode(msg) : this.#drifter ? this.#drifter.frame(msg) : JSON.stringify(msg));
  }

  #onClientText(conn: Conn, text: string): void {
    let msg: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      msg = parsed as Record<string, unknown>;
    } catch {
      this.#violate(conn, 'error', 'json', 'client sent a frame that is not a JSON object');
      return;
    }
    const type = msg['msg_type'];
    if (!conn.handshaken) {
      const expected = conn.channel === 'signaling' ? MsgType.SIGNALING_HAND_SHAKE_REQ : MsgType.DATA_HAND_SHAKE_REQ;
      if (type !== expected) {
        this.#violate(conn, 'error', 'handshake-first', `first message on ${conn.channel} must be msg_type ${expected}, got ${String(type)}`);
        this.#send(conn, { msg_type: expected + 1, protocol_version: 1, status_code: StatusCode.STATUS_INVALID_MESSAGE_TYPE, reason: 'handshake expected' });
        this.closeConn(conn, 1000);
        return;
      }
      this.#handshake(conn, msg);
      return;
    }
    conn.stream?.emit('clientMessage', conn.channel, redact(msg));
    switch (type) {
      case MsgType.KEEP_ALIVE_RESP: {
        const ts = msg['timestamp'];
        const s = conn.stream;
        if (typeof ts === 'number' && conn.outstanding.has(ts)) {
          // This answer settles its request and any older one (answers may come late and in order).
          for (const t of conn.outstanding) if (t <= ts) conn.outstanding.delete(t);
          if (s) s.record.keepAlive.answered++;
        } else if (typeof ts === 'number' && conn.sentKeepAlives.includes(ts)) {
          if (s) s.record.keepAlive.answered++; // a late answer to a request already settled by a newer one
        } else {
          if (s) s.record.keepAlive.wrongTimestamp++;
          this.#violate(conn, 'error', 'keepalive-echo', 'KEEP_ALIVE_RESP must echo the timestamp of a KEEP_ALIVE_REQ');
        }
        return;
      }
      case MsgType.CLIENT_READY_ACK: {
        const s = conn.stream;
        if (conn.channel !== 'signaling') {
          this.#violate(conn, 'error', 'ready-ack-channel', 'CLIENT_READY_ACK must be sent on the signaling socket');
          return;
        }
        if (!s) return;
        if (msg['rtms_stream_id'] !== s.streamId) {
          this.#violate(conn, 'error', 'ready-ack-stream', 'CLIENT_READY_ACK must carry the stream id');
          this.#send(conn, { msg_type: MsgType.STREAM_STATE_UPDATE, state: StreamState.INTERRUPTED, reason: StatusCode.STATUS_INVALID_CLIENT_READY_ACK });
          return;
        }
        (s.record as { readyAcks: number }).readyAcks++;
        if (![...s.conns].some((c) => c.channel === 'media' && c.handshaken)) {
          this.#violate(conn, 'error', 'ready-ack-order', 'CLIENT_READY_ACK sent before any media handshake succeeded');
          return;
        }
        s.markReady();
        return;
      }
      case MsgType.STREAM_CLOSE_REQ: {
        const s = conn.stream;
        this.#count(conn, MsgType.STREAM_CLOSE_REQ);
        if (!s) return;
        this.#send(conn, { msg_type: MsgType.STREAM_CLOSE_RESP, rtms_stream_id: s.streamId, status_code: 0, reason: '', timestamp: Date.now() });
        s.terminate(StopReason.RECEIVER_REQUEST_CLOSE);
        return;
      }
      case MsgType.EVENT_SUBSCRIPTION:
      case MsgType.SESSION_STATE_REQ:
      case MsgType.STREAM_STATE_REQ:
      case MsgType.VIDEO_SUBSCRIPTION_REQ:
        this.#count(conn, type);
        if (conn.channel !== 'signaling') {
          this.#violate(conn, 'error', 'signaling-only', `msg_type ${type} belongs on the signaling socket`);
          return;
        }
        this.#request(conn, type, msg);
        return;
      default:
        this.#violate(conn, 'warning', 'unexpected-message', `unexpected msg_type ${String(type)} on ${conn.channel}`);
    }
  }

  #request(conn: Conn, type: number, msg: Record<string, unknown>): void {
    const s = conn.stream;
    if (!s) return;
    if (type === MsgType.EVENT_SUBSCRIPTION) {
      const events = msg['events'];
      if (!Array.isArray(events) || events.length === 0) {
        this.#violate(conn, 'error', 'event-subscription', 'EVENT_SUBSCRIPTION needs a non-empty events array');
        return;
      }
      for (const e of events as unknown[]) {
        const o = (typeof e === 'object' && e !== null ? e : {}) as Record<string, unknown>;
        const t = o['event_type'];
        if (typeof t !== 'number' || !Number.isInteger(t) || typeof o['subscribe'] !== 'boolean') {
          this.#violate(conn, 'error', 'event-subscription', 'each event needs an integer event_type and a boolean subscribe');
          continue;
        }
        if (!s.channelKeyed && (t === 1 || t === 7)) {
          this.#violate(conn, 'warning', 'event-subscription', `event ${t} is always sent and should not be subscribed`);
        }
        if (o['subscribe']) s.subscribedEvents.add(t);
        else s.subscribedEvents.delete(t);
      }
      return;
    }
    if (type === MsgType.STREAM_STATE_REQ) {
      this.#send(conn, { msg_type: MsgType.STREAM_STATE_RESP, rtms_stream_id: s.streamId, state: StreamState.ACTIVE, timestamp: Date.now() });
      return;
    }
    if (type === MsgType.SESSION_STATE_REQ) {
      this.#send(conn, { msg_type: MsgType.SESSION_STATE_RESP, rtms_session_id: msg['rtms_session_id'], state: 2, timestamp: Date.now() });
      return;
    }
    // VIDEO_SUBSCRIPTION_REQ: one individual stream at a time; the same user twice is a duplicate (status 44).
    const userId = msg['user_id'];
    const subscribe = msg['subscribe'];
    if ((typeof userId !== 'number' && typeof userId !== 'string') || typeof subscribe !== 'boolean') {
      this.#violate(conn, 'error', 'video-subscription', 'VIDEO_SUBSCRIPTION_REQ needs user_id and a boolean subscribe');
      this.#send(conn, { msg_type: MsgType.VIDEO_SUBSCRIPTION_RESP, user_id: userId, status_code: StatusCode.STATUS_INVALID_PAYLOAD, reason: 'invalid request', timestamp: Date.now() });
      return;
    }
    const duplicate = subscribe && s.videoSubscription === userId;
    if (!duplicate) s.videoSubscription = subscribe ? userId : undefined;
    this.#send(conn, {
      msg_type: MsgType.VIDEO_SUBSCRIPTION_RESP,
      user_id: userId,
      status_code: duplicate ? StatusCode.STATUS_DUPLICATE_VIDEO_SUBSCRIPTION : StatusCode.STATUS_OK,
      reason: duplicate ? 'duplicate subscription' : 'OK',
      timestamp: Date.now(),
    });
  }

  #count(conn: Conn, type: number): void {
    const s = conn.stream;
    if (s) s.record.otherMessages[type] = (s.record.otherMessages[type] ?? 0) + 1;
  }

  #handshake(conn: Conn, msg: Record<string, unknown>): void {
    const isSignaling = conn.channel === 'signaling';
    const respType = isSignaling ? MsgType.SIGNALING_HAND_SHAKE_RESP : MsgType.DATA_HAND_SHAKE_RESP;
    const streamId = msg['rtms_stream_id'];
    const stream = typeof streamId === 'string' ? this.#streams.get(streamId) : undefined;
    // Both handshake responses echo the request's sequence and carry a status (§3.2, §3.4).
    const answer = (code: number, reason: string, extra: Record<string, unknown> = {}) =>
      this.#send(conn, {
        msg_type: respType,
        protocol_version: 1,
        sequence: typeof msg['sequence'] === 'number' ? msg['sequence'] : 0,
        status_code: code,
        reason,
        ...extra,
      });
    const refuse = (code: number, reason: string) => {
      answer(code, reason);
      this.closeConn(conn, 1000);
    };
    if (!stream) {
      refuse(StatusCode.STATUS_INVALID_RTMS_STREAM_ID, 'unknown rtms_stream_id');
      return;
    }
    conn.stream = stream;
    stream.conns.add(conn);
    stream.record.handshakes.push({ channel: conn.channel, message: redact(msg) });
    const warn = (rule: string, message: string) => this.#violate(conn, 'warning', rule, message);
    const err = (rule: string, message: string) => this.#violate(conn, 'error', rule, message);

    // Fields Zoom's docs require but its own seed samples omit: the stream still works; we warn.
    const label = isSignaling ? 'signaling handshake' : 'media handshake';
    if (msg['protocol_version'] === undefined) warn('protocol-version', `${label} omits protocol_version (docs require 1)`);
    else if (msg['protocol_version'] !== 1) warn('protocol-version', `${label}: protocol_version ${String(msg['protocol_version'])} is not 1`);
    if (msg['sequence'] === undefined) warn('sequence', `${label} omits sequence (docs require a number)`);
    else if (typeof msg['sequence'] !== 'number' || !Number.isInteger(msg['sequence'])) warn('sequence', `${label}: sequence is not an integer`);

    const spec = PRODUCTS[stream.product];
    const matching = spec.handshakeKeys.filter((k) => msg[k] === stream.productId);
    const foreign = ALL_HANDSHAKE_ID_KEYS.filter((k) => !spec.handshakeKeys.includes(k) && msg[k] !== undefined);
    if (foreign.length > 0) warn('id-key', `handshake for a ${stream.product} carries ${foreign.join(', ')}`);
    if (matching.length === 0) {
      err('id-key', `handshake must carry ${spec.handshakeKeys.join(' or ')} = the webhook's ${spec.idField}`);
      refuse(StatusCode.STATUS_INVALID_PAYLOAD, `missing ${spec.idField}`);
      return;
    }
    const expected = createHmac('sha256', this.#clientSecret).update(`${this.clientId},${stream.productId},${stream.streamId}`).digest('hex');
    if (msg['signature'] !== expected) {
      err('signature', 'handshake signature does not match HMAC-SHA256(clientSecret, "clientId,id,streamId")');
      refuse(StatusCode.STATUS_INVALID_SIGNATURE, 'invalid signature');
      return;
    }
    const forced = stream.pendingRefusals[conn.channel];
    if (forced) {
      delete stream.pendingRefusals[conn.channel];
      refuse(forced.code, forced.reason);
      return;
    }

    const kick = this.#options.duplicateConnection === 'kick';
    if (isSignaling) {
      const live = [...stream.conns].filter((c) => c !== conn && c.channel === 'signaling' && c.handshaken && !c.frozen && c.ws.readyState === c.ws.OPEN);
      if (live.length > 0) {
        err('one-connection', 'a second signaling connection for a stream that already has one');
        if (!kick) {
          refuse(StatusCode.STATUS_DUPLICATE_SIGNAL_REQUEST, 'duplicate signal request');
          return;
        }
        for (const c of live) this.closeConn(c, 1000);
      }
      conn.handshaken = true;
      (stream.record as { signalingConnections: number }).signalingConnections++;
      const offered = this.#options.mediaUrls ?? MEDIA_ENDPOINTS;
      const urls: Record<string, string> = {};
      for (const k of offered) urls[k] = `${this.#baseUrl}/rtms/media/${k}`;
      answer(StatusCode.STATUS_OK, '', { media_server: { server_urls: urls } });
    } else {
      const mediaType = msg['media_type'];
      if (typeof mediaType !== 'number' || !Number.isInteger(mediaType) || mediaType <= 0 || (mediaType & ~VALID_MEDIA_BITS) !== 0) {
        err('media-type', `media_type ${String(mediaType)} is not a MEDIA_DATA_TYPE bitmask`);
        refuse(StatusCode.STATUS_INVALID_MEDIA_TYPE, 'invalid media_type');
        return;
      }
      if (conn.endpoint !== 'all') {
        const bit = KIND_BIT[conn.endpoint as Exclude<SimMediaKind, 'all'>];
        if (mediaType !== MediaTypeBit.ALL && (mediaType & ~bit) !== 0) {
          err('media-type', `media_type ${mediaType} asks for kinds the ${conn.endpoint} URL does not carry`);
          refuse(StatusCode.STATUS_MEDIA_TYPE_INVALID_VALUE, 'media_type does not match URL');
          return;
        }
      }
      const params = msg['media_params'];
      if (params !== undefined && (typeof params !== 'object' || params === null || Array.isArray(params))) {
        err('media-params', 'media_params must be an object');
        refuse(StatusCode.STATUS_INVALID_MEDIA_PARAMS, 'invalid media_params');
        return;
      }
      const overlapping = [...stream.conns].filter((c) => c !== conn && c.channel === 'media' && c.handshaken && !c.frozen && c.ws.readyState === c.ws.OPEN && (c.mask & mediaType) !== 0);
      if (overlapping.length > 0) {
        err('one-connection', 'a second media connection for a media type that already has one');
        if (!kick) {
          refuse(StatusCode.STATUS_DUPLICATE_MEDIA_DATA_CONNECTION, 'duplicate media connection');
          return;
        }
        for (const c of overlapping) this.closeConn(c, 1000);
      }
      if (!stream.isReady && ![...stream.conns].some((c) => c.channel === 'signaling' && c.handshaken)) {
        warn('order', 'media handshake before the signaling handshake succeeded');
      }
      conn.handshaken = true;
      conn.mask = mediaType;
      const audioParams = (params as Record<string, unknown> | undefined)?.['audio'];
      const dataOpt = typeof audioParams === 'object' && audioParams !== null ? (audioParams as Record<string, unknown>)['data_opt'] : undefined;
      conn.audioDataOpt = typeof dataOpt === 'number' ? dataOpt : 1;
      (stream.record as { mediaConnections: number }).mediaConnections++;
      answer(StatusCode.STATUS_OK, '', { payload_encrypted: false, media_params: (params as Record<string, unknown> | undefined) ?? {} });
    }
    this.#startKeepAlive(conn);
  }

  #startKeepAlive(conn: Conn): void {
    const interval = this.#options.keepAliveIntervalMs ?? SERVER_KEEP_ALIVE_INTERVAL_MS;
    const maxMissed = this.#options.keepAliveMaxMissed ?? SERVER_KEEP_ALIVE_MAX_MISSED;
    if (!(interval > 0)) return;
    conn.keepAliveTimer = setInterval(() => {
      const s = conn.stream;
      if (conn.outstanding.size >= maxMissed) {
        if (s) {
          s.record.keepAlive.missedDrops++;
          this.#violate(conn, 'error', 'keepalive', `${maxMissed} keep-alive requests went unanswered; socket dropped`);
        }
        this.closeConn(conn, 1000);
        return;
      }
      let ts = Date.now();
      while (conn.outstanding.has(ts)) ts++;
      conn.outstanding.add(ts);
      conn.sentKeepAlives.push(ts);
      if (conn.sentKeepAlives.length > 16) conn.sentKeepAlives.shift();
      if (s) s.record.keepAlive.sent++;
      this.#send(conn, { msg_type: MsgType.KEEP_ALIVE_REQ, timestamp: ts });
    }, interval);
  }

  /** @internal */
  stopKeepAlive(conn: Conn): void {
    this.#stopKeepAlive(conn);
  }

  #stopKeepAlive(conn: Conn): void {
    if (conn.keepAliveTimer !== undefined) clearInterval(conn.keepAliveTimer);
    conn.keepAliveTimer = undefined;
  }
}
