/**
 * Frames → typed session events. {@link FrameRouter} receives the messages a session's channels decoded, turns
 * each into the event(s) of {@link RtmsSessionEvents}, keeps the participant roster, and isolates listeners: a
 * listener that throws is reported as `RTMS_LISTENER_ERROR` and the next frame is delivered as usual.
 *
 * It opens no socket and reads no clock. What it cannot decide alone (a reconnect, the end of the stream, a
 * pending request) it hands to a {@link FrameHost}: the session in production, a hand-built object in tests.
 *
 * The media paths run once per frame: each reads a listener count once, allocates nothing when nobody listens,
 * and builds exactly the event objects it emits.
 */
import { RtmsError, describeError } from './errors.js';
import type { AudioFormat, Participant, RtmsSessionEvents, UserId, VideoFormat } from './events.js';
import { audioFormat, detectVideoCodec, videoFormat } from './format.js';
import type { SafeLogger } from './logger.js';
import { EventType, MediaResolution, MsgType, SessionStateCode, StopReason, StreamState, ZccEventType, nameOf } from './protocol/constants.js';
import type {
  InboundMessage,
  WireEventUpdate,
  WireMediaContent,
  WireMetadata,
  WireSessionStateUpdate,
  WireStreamStateUpdate,
} from './protocol/messages.js';
import { decodeBase64, eventTimestamp, readParticipants, readZccParticipant, str, uid } from './protocol/payloads.js';
import { readUserId, value } from './protocol/fields.js';
import { PRODUCTS, type RtmsProduct } from './protocol/products.js';
import { MediaTally } from './stats.js';

/** @internal Camera video defaults when neither the server nor the request names them. */
export const VIDEO_DEFAULTS: Readonly<{ fps: number; resolution: number }> = { fps: 5, resolution: MediaResolution.HD };
/** @internal Screen-share defaults when neither the server nor the request names them. */
export const SHARE_DEFAULTS: Readonly<{ fps: number; resolution: number }> = { fps: 1, resolution: MediaResolution.FHD };

/** Formats for a frame that arrives on a socket whose handshake gave none (computed once, shared by every frame). */
const DEFAULT_AUDIO_FORMAT = audioFormat(undefined, undefined);
const DEFAULT_VIDEO_FORMAT = videoFormat(undefined, undefined, VIDEO_DEFAULTS);
const DEFAULT_SHARE_FORMAT = videoFormat(undefined, undefined, SHARE_DEFAULTS);

/** `META_DATA_*` kinds, in `msg_type` order from META_DATA_AUDIO. */
const METADATA_KINDS = ['audio', 'video', 'share', 'transcript', 'chat'] as const;

/** Keys that may hold a structured chat message's text, in order of preference (§3.14). */
const CHAT_TEXT_KEYS = ['text', 'content', 'message', 'msg'] as const;

/** @internal The session events that carry exactly one value: every event a {@link FrameRouter} emits. */
export type FrameEvent = {
  [K in keyof RtmsSessionEvents]: RtmsSessionEvents[K] extends [unknown] ? K : never;
}[keyof RtmsSessionEvents];

/** @internal The formats a media socket's handshake settled, read from the socket's tag for each media frame. */
export interface MediaFormats {
  /** Audio format, once the handshake of a socket carrying audio is done. */
  readonly audio: AudioFormat | undefined;
  /** Camera video format, likewise. */
  readonly video: VideoFormat | undefined;
  /** Screen-share format, likewise. */
  readonly share: VideoFormat | undefined;
}

/** @internal Where a message came from: a channel, as far as the router needs to know it. */
export interface FrameSource {
  /** Short label for logs, e.g. `media[audio,transcript]`. */
  readonly label: string;
  /** The owner's per-socket facts: {@link MediaFormats} on a media socket after its handshake, else anything. */
  readonly tag: unknown;
}

/** @internal What a {@link FrameRouter} needs to know about its stream. */
export interface FrameRouterConfig {
  /** RTMS stream id, for errors and log context. */
  readonly streamId: string;
  /** The stream's product: it decides which table names event numbers, and which typed events follow `event`. */
  readonly product: RtmsProduct;
  /** The session's never-throwing logger. */
  readonly logger: SafeLogger;
}

/**
 * @internal What a {@link FrameRouter} reports to. Every method is called synchronously from `route()`.
 */
export interface FrameHost {
  /**
   * Emits one event to the session's listeners. A listener that throws propagates out of this call: the router
   * catches it and reports it (see {@link reportListenerError}).
   */
  emit<K extends FrameEvent>(event: K, value: RtmsSessionEvents[K][0]): void;
  /** How many listeners an event has (media is decoded only for someone). Read once per frame and event. */
  listenerCount(event: keyof RtmsSessionEvents): number;
  /**
   * The server says our sockets are gone although they may look open (event 7, or STREAM_STATE_UPDATE
   * INTERRUPTED with reason 13/14): drop and repair. `media` reopens the media sockets only, `full` everything.
   */
  interrupt(scope: 'full' | 'media', why: string): void;
  /** STREAM_STATE_UPDATE TERMINATING or TERMINATED: the server ended the stream. */
  terminated(stopReason: number | undefined): void;
  /** STREAM_CLOSE_RESP: the answer to our STREAM_CLOSE_REQ. */
  closeAnswered(): void;
  /** A response to a request (VIDEO_SUBSCRIPTION_RESP, STREAM_STATE_RESP, SESSION_STATE_RESP); true when taken. */
  answer(message: InboundMessage): boolean;
}

/**
 * @internal Reports a listener that threw: an error log line, then `RTMS_LISTENER_ERROR` on `error`. A throwing
 * `error` listener is only logged (never loops).
 */
export function reportListenerError(emitError: (error: RtmsError) => void, logger: SafeLogger, streamId: string, event: string, err: unknown): void {
  logger.error(`a '${event}' listener threw: ${describeError(err)}`, { streamId });
  if (event === 'error') return;
  const wrapped = new RtmsError('RTMS_LISTENER_ERROR', `a '${event}' listener threw: ${describeError(err)}`, { cause: err, streamId });
  try {
    emitError(wrapped);
  } catch (again) {
    logger.error(`an 'error' listener threw: ${describeError(again)}`, { streamId });
  }
}

/**
 * @internal Turns a session's decoded messages into typed events and keeps the roster. Constructible with a
 * hand-built {@link FrameHost}: no socket, no clock.
 */
export class FrameRouter {
  /** The live roster, kept from PARTICIPANT_JOIN / PARTICIPANT_LEAVE (and names from ACTIVE_SPEAKER_CHANGE). */
  readonly participants = new Map<UserId, Participant>();
  /** Media frames and bytes per kind (`content.data.length`), counted before anything else: two field writes a frame. */
  readonly tally = new MediaTally();

  readonly #streamId: string;
  readonly #eventTable: 'meeting' | 'contact_center' | 'none';
  readonly #logger: SafeLogger;
  readonly #host: FrameHost;
  readonly #emitError: (error: RtmsError) => void;

  /** Routes for one stream; `host` receives the events and the decisions. */
  constructor(config: FrameRouterConfig, host: FrameHost) {
    this.#streamId = config.streamId;
    this.#eventTable = PRODUCTS[config.product].eventTable;
    this.#logger = config.logger;
    this.#host = host;
    this.#emitError = (error) => host.emit('error', error);
  }

  /** Handles one decoded message from `source` (keep-alives and handshake responses never get here). */
  route(source: FrameSource, msg: InboundMessage): void {
    switch (msg.msg_type) {
      case MsgType.MEDIA_DATA_AUDIO:
        this.tally.audioFrames++;
        this.tally.audioBytes += msg.content.data.length;
        this.#onAudio(source, msg.content);
        return;
      case MsgType.MEDIA_DATA_TRANSCRIPT:
        this.tally.transcriptFrames++;
        this.tally.transcriptBytes += msg.content.data.length;
        this.#onTranscript(msg.content);
        return;
      case MsgType.MEDIA_DATA_VIDEO:
        this.tally.videoFrames++;
        this.tally.videoBytes += msg.content.data.length;
        this.#onVideo(source, msg.content, 'video');
        return;
      case MsgType.MEDIA_DATA_SHARE:
        this.tally.shareFrames++;
        this.tally.shareBytes += msg.content.data.length;
        this.#onVideo(source, msg.content, 'share');
        return;
      case MsgType.MEDIA_DATA_CHAT:
        this.tally.chatFrames++;
        this.tally.chatBytes += msg.content.data.length;
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
        this.#host.closeAnswered();
        return;
      case MsgType.VIDEO_SUBSCRIPTION_RESP:
      case MsgType.STREAM_STATE_RESP:
      case MsgType.SESSION_STATE_RESP:
        if (this.#host.answer(msg)) return;
        this.#logger.debug(`${source.label}: unsolicited msg_type ${msg.msg_type}`, { streamId: this.#streamId });
        return;
      case MsgType.META_DATA_AUDIO:
      case MsgType.META_DATA_VIDEO:
      case MsgType.META_DATA_SHARE:
      case MsgType.META_DATA_TRANSCRIPT:
      case MsgType.META_DATA_CHAT:
        this.#onMetadata(msg);
        return;
      default:
        this.#logger.debug(`${source.label}: msg_type ${msg.msg_type} not handled yet`, { streamId: this.#streamId });
    }
  }

  /** Emits with listener isolation: a listener that throws is reported and routing goes on. */
  #fire<K extends FrameEvent>(event: K, value: RtmsSessionEvents[K][0]): void {
    try {
      this.#host.emit(event, value);
    } catch (err) {
      reportListenerError(this.#emitError, this.#logger, this.#streamId, event, err);
    }
  }

  #badBase64(kind: string): void {
    this.tally.invalidPayloads++;
    this.#fire('error', new RtmsError('RTMS_FRAME_INVALID', `${kind} frame: content.data is not valid base64`, { streamId: this.#streamId, channel: 'media' }));
  }

  #onAudio(source: FrameSource, c: WireMediaContent): void {
    // Nobody reads audio: nothing is decoded or allocated. Raw listeners get the base64 text as it came.
    const host = this.#host;
    const decoded = host.listenerCount('audio') !== 0;
    const raw = host.listenerCount('rawMedia') !== 0;
    if (!decoded && !raw) return;
    const format = (source.tag as MediaFormats | undefined)?.audio ?? DEFAULT_AUDIO_FORMAT;
    const userId = c.user_id ?? undefined;
    const userName = c.user_name ?? undefined;
    const channelId = c.channel_id ?? undefined;
    const timestamp = c.timestamp ?? undefined;
    if (decoded) {
      const data = decodeBase64(c.data);
      if (data === undefined) this.#badBase64('audio');
      else this.#fire('audio', { data, userId, userName, channelId, timestamp, format, content: c });
    }
    if (raw) this.#fire('rawMedia', { kind: 'audio', base64: c.data, userId, userName, channelId, timestamp, format, content: c });
  }

  #onVideo(source: FrameSource, c: WireMediaContent, kind: 'video' | 'share'): void {
    const host = this.#host;
    const decoded = host.listenerCount(kind) !== 0;
    const raw = host.listenerCount('rawMedia') !== 0;
    if (!decoded && !raw) return;
    const tag = source.tag as MediaFormats | undefined;
    const format = kind === 'video' ? (tag?.video ?? DEFAULT_VIDEO_FORMAT) : (tag?.share ?? DEFAULT_SHARE_FORMAT);
    const userId = c.user_id ?? undefined;
    const userName = c.user_name ?? undefined;
    const timestamp = c.timestamp ?? undefined;
    if (decoded) {
      const data = decodeBase64(c.data);
      if (data === undefined) this.#badBase64(kind);
      else this.#fire(kind, { data, userId, userName, timestamp, format, detectedCodec: detectVideoCodec(data), content: c });
    }
    if (raw) this.#fire('rawMedia', { kind, base64: c.data, userId, userName, timestamp, format, content: c });
  }

  #onTranscript(c: WireMediaContent): void {
    if (this.#host.listenerCount('transcript') === 0) return;
    this.#fire('transcript', {
      text: c.data,
      userId: c.user_id ?? undefined,
      userName: c.user_name ?? undefined,
      channelId: c.channel_id ?? undefined,
      timestamp: c.timestamp ?? undefined,
      startTime: c.start_time ?? undefined,
      endTime: c.end_time ?? undefined,
      language: c.language ?? undefined,
      attribute: c.attribute ?? undefined,
      content: c,
    });
  }

  #onChat(c: WireMediaContent): void {
    if (this.#host.listenerCount('chat') === 0) return;
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
    let textField: string | undefined;
    if (payload) {
      for (const k of CHAT_TEXT_KEYS) {
        const v = payload[k];
        if (typeof v === 'string') {
          textField = v;
          break;
        }
      }
    }
    // The sender's id is read like every other participant id (docs/tolerant-reading.md): one canonical form.
    const senderId = value(readUserId(s?.['user_id']));
    const senderName = s?.['user_name'];
    this.#fire('chat', {
      text: textField ?? raw,
      timestamp: c.timestamp ?? undefined,
      userId: senderId ?? c.user_id ?? undefined,
      userName: typeof senderName === 'string' ? senderName : (c.user_name ?? undefined),
      payload,
      raw,
      content: c,
    });
  }

  #onEvent(msg: WireEventUpdate): void {
    const ev = msg.event;
    // V1 numbers per product in `event_type`; V2's `event_code` is globally unique but has no public table
    // (§7.5): it is passed on, never mapped. Zoom Phone sends only `event_code` (the codec guarantees one of
    // the two). Typed events follow `event_type` alone.
    const eventType = ev.event_type;
    const eventCode = ev.event_code;
    const tableKind = this.#eventTable;
    const table = tableKind === 'meeting' ? EventType : tableKind === 'contact_center' ? ZccEventType : undefined;
    const ts = eventTimestamp(ev);
    // FIRST_PACKET_TIMESTAMP (1) is always sent, whatever the product (D-EVT, and D-ZCC-OLD for Contact Center,
    // whose own table starts at 8, so 1 cannot mean anything else there).
    const firstPacket = eventType === EventType.FIRST_PACKET_TIMESTAMP;
    const name = firstPacket ? 'FIRST_PACKET_TIMESTAMP' : table === undefined || eventType === undefined ? undefined : nameOf(table, eventType);
    this.#fire('event', { eventType, eventCode, name, timestamp: ts, body: ev });
    if (eventType === undefined) return;
    if (firstPacket) {
      this.#fire('firstPacket', ts);
      return;
    }
    if (tableKind === 'contact_center') {
      this.#fire('contactCenterEvent', { eventType, eventCode, name, timestamp: ts, participant: readZccParticipant(ev) });
      return;
    }
    if (tableKind !== 'meeting') return; // Zoom Phone publishes no event table: on 'event' only
    const roster = this.participants;
    switch (ev.event_type) {
      case EventType.ACTIVE_SPEAKER_CHANGE: {
        const userId = uid(ev['user_id']);
        const userName = str(ev['user_name']);
        // A speaker already on the roster without a name gets one; a speaker not on it is not added.
        if (userId !== undefined && userName !== undefined && roster.has(userId) && roster.get(userId)?.userName === undefined) {
          roster.set(userId, { userId, userName });
        }
        this.#fire('activeSpeaker', { userId, userName, timestamp: ts });
        return;
      }
      case EventType.PARTICIPANT_JOIN: {
        const participants = readParticipants(ev);
        for (const p of participants) roster.set(p.userId, p);
        this.#fire('participantJoin', { participants, timestamp: ts });
        return;
      }
      case EventType.PARTICIPANT_LEAVE: {
        // A leave without a name takes the one the roster knew.
        const participants = readParticipants(ev).map((p) => ({ userId: p.userId, userName: p.userName ?? roster.get(p.userId)?.userName }));
        for (const p of participants) roster.delete(p.userId);
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
        this.#host.interrupt('media', 'media connection interrupted (event 7)');
        return;
      default:
        return; // chat-group events 10–14: bodies undocumented; on 'event' only
    }
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
      this.#host.terminated(msg.reason);
      return;
    }
    // INTERRUPTED with reason 14 (data connection) is an alternate trigger for a media-only reconnect, 13
    // (signaling) for a full one (RS-RECON, §3.9).
    if (msg.state === StreamState.INTERRUPTED && (msg.reason === StopReason.DATA_CONNECTION_INTERRUPTED || msg.reason === StopReason.SIGNAL_CONNECTION_INTERRUPTED)) {
      const media = msg.reason === StopReason.DATA_CONNECTION_INTERRUPTED;
      this.#host.interrupt(media ? 'media' : 'full', `stream interrupted (${media ? 'DATA' : 'SIGNAL'}_CONNECTION_INTERRUPTED)`);
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
    const kind = METADATA_KINDS[msg.msg_type - MsgType.META_DATA_AUDIO] ?? 'audio';
    this.#fire('metadata', { msgType: msg.msg_type, kind, body: msg });
  }
}
