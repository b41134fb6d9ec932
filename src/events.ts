/**
 * The typed payloads a session emits, and the event maps that type `session.on(...)` and `client.on(...)`.
 */
import type { RtmsError } from './errors.js';
import type { RtmsProduct } from './protocol/products.js';

/**
 * Session states. `connecting` (signaling socket opening) → `handshaking` (handshakes on signaling and media)
 * → `streaming` → `stopping` → `stopped`; or `failed` from any state before `stopped`. `reconnecting` is
 * reserved for automatic reconnection.
 */
export type SessionState = 'connecting' | 'handshaking' | 'streaming' | 'reconnecting' | 'stopping' | 'stopped' | 'failed';

/** A user id as received: a number in meetings (0 for mixed audio), a string in some Contact Center payloads. */
export type UserId = number | string;

/** The audio format frames arrive in: the parameters the media server accepted. */
export interface AudioFormat {
  readonly contentType: 'raw' | 'rtp';
  readonly codec: 'L16' | 'G711' | 'G722' | 'OPUS' | 'unknown';
  /** Hz. */
  readonly sampleRate: number;
  readonly channels: number;
  /** Milliseconds of audio per frame. */
  readonly sendRate: number;
  /** `mixed`: one stream, `userId` 0; `multi`: one stream per participant. */
  readonly dataOption: 'mixed' | 'multi';
}

/** The video or screen-share format frames arrive in. */
export interface VideoFormat {
  readonly codec: 'JPG' | 'PNG' | 'H264' | 'unknown';
  readonly resolution: 'SD' | 'HD' | 'FHD' | 'QHD' | 'unknown';
  readonly fps: number;
}

/** One audio packet (MEDIA_DATA_AUDIO). */
export interface AudioFrame {
  /** The raw bytes (for L16: 16-bit little-endian PCM). */
  readonly data: Buffer;
  /** Speaker; 0 for mixed audio; undefined for Contact Center (see {@link channelId}). */
  readonly userId: UserId | undefined;
  readonly userName: string | undefined;
  /** Contact Center: the SIP channel of one party (caller or agent). */
  readonly channelId: string | undefined;
  /** Server creation time, Unix ms. */
  readonly timestamp: number | undefined;
  readonly format: AudioFormat;
}

/** One video or screen-share frame (MEDIA_DATA_VIDEO / MEDIA_DATA_SHARE). */
export interface VideoFrame {
  /** The frame bytes: a JPG or PNG image, or an H.264 access unit. */
  readonly data: Buffer;
  readonly userId: UserId | undefined;
  readonly userName: string | undefined;
  readonly timestamp: number | undefined;
  readonly format: VideoFormat;
}

/** One transcript utterance (MEDIA_DATA_TRANSCRIPT). */
export interface TranscriptEvent {
  readonly text: string;
  readonly userId: UserId | undefined;
  readonly userName: string | undefined;
  /** Contact Center: the SIP channel of the speaker. */
  readonly channelId: string | undefined;
  /** Utterance start, Unix ms. */
  readonly timestamp: number | undefined;
  readonly startTime: number | undefined;
  readonly endTime: number | undefined;
  /** Language id ({@link TranscriptLanguage}). */
  readonly language: number | undefined;
  /** RTMS_DATA_MESSAGE_ATTRIBUTE when present (meaning not documented, §4.10). */
  readonly attribute: number | undefined;
}

/** One chat message (MEDIA_DATA_CHAT). */
export interface ChatMessage {
  /** The message text (from the 2026 JSON payload when present, else the raw text). */
  readonly text: string;
  readonly timestamp: number | undefined;
  readonly userId: UserId | undefined;
  readonly userName: string | undefined;
  /** The parsed 2026 chat payload (sender, receiver, chat_session, operation_type, ...), when `data` was JSON. */
  readonly payload: Readonly<Record<string, unknown>> | undefined;
  /** `content.data` exactly as received. */
  readonly raw: string;
}

/** An EVENT_UPDATE from the signaling channel. */
export interface RtmsEventUpdate {
  readonly eventType: number;
  /** Constant name for this product (`ACTIVE_SPEAKER_CHANGE`, `CONSUMER_ANSWERED`, ...), if known. */
  readonly name: string | undefined;
  readonly timestamp: number | undefined;
  /** The `event` object as received. */
  readonly body: Readonly<Record<string, unknown>>;
}

/** A STREAM_STATE_UPDATE. */
export interface StreamStateUpdate {
  readonly state: number;
  readonly stateName: string | undefined;
  readonly reason: number | undefined;
  readonly reasonName: string | undefined;
  readonly timestamp: number | undefined;
}

/** A SESSION_STATE_UPDATE. */
export interface SessionStateUpdate {
  readonly state: number;
  readonly stateName: string | undefined;
  readonly rtmsSessionId: string | undefined;
  readonly stopReason: number | undefined;
  readonly stopReasonName: string | undefined;
  readonly timestamp: number | undefined;
}

/** A participant as events describe them. */
export interface Participant {
  readonly userId: UserId;
  readonly userName: string | undefined;
}

/** ACTIVE_SPEAKER_CHANGE. */
export interface ActiveSpeakerEvent {
  readonly userId: UserId | undefined;
  readonly userName: string | undefined;
  readonly timestamp: number | undefined;
}

/** PARTICIPANT_JOIN / PARTICIPANT_LEAVE. */
export interface ParticipantsEvent {
  readonly participants: readonly Participant[];
  readonly timestamp: number | undefined;
}

/** SHARING_START / SHARING_STOP. */
export interface SharingEvent {
  readonly active: boolean;
  /** Who shares (start only). */
  readonly userId: UserId | undefined;
  readonly userName: string | undefined;
  readonly timestamp: number | undefined;
}

/** PARTICIPANT_VIDEO_ON / PARTICIPANT_VIDEO_OFF. */
export interface ParticipantVideoEvent {
  readonly on: boolean;
  readonly userIds: readonly UserId[];
  readonly timestamp: number | undefined;
}

/** The `participant_info` of a Contact Center event. */
export interface ContactCenterParticipant {
  readonly channelId: string | undefined;
  /** `caller`, `agent`, ... */
  readonly participantMode: string | undefined;
  readonly userId: string | undefined;
  readonly displayName: string | undefined;
  readonly phoneNumber: string | undefined;
  readonly queueId: string | undefined;
  readonly queueName: string | undefined;
}

/** A Contact Center voice event (CONSUMER_ANSWERED, USER_HOLD, TRANSFER_COMPLETED, ...). */
export interface ContactCenterEvent {
  readonly eventType: number;
  readonly name: string | undefined;
  readonly timestamp: number | undefined;
  readonly participant: ContactCenterParticipant | undefined;
}

/** Answer to {@link RtmsSession.subscribeVideo}. */
export interface VideoSubscriptionResult {
  readonly userId: UserId | undefined;
  readonly statusCode: number;
  readonly statusName: string;
  readonly reason: string | undefined;
}

/** A META_DATA_* message (23–27); shapes are undocumented, so the body is passed on as received. */
export interface MetadataMessage {
  readonly msgType: number;
  readonly kind: 'audio' | 'video' | 'share' | 'transcript' | 'chat';
  readonly body: Readonly<Record<string, unknown>>;
}

/** Payload of the `reconnecting` event. */
export interface ReconnectingInfo {
  /** `media`: only media sockets; `full`: signaling and media. */
  readonly scope: 'full' | 'media';
  /** 1 for the first attempt of this outage. */
  readonly attempt: number;
  /** Delay before the attempt starts. */
  readonly delayMs: number;
  /** What went wrong. */
  readonly cause: RtmsError;
}

/** Payload of the `reconnected` event. */
export interface ReconnectedInfo {
  readonly scope: 'full' | 'media';
  /** Attempts it took. */
  readonly attempts: number;
  /** From the outage to media flowing again. */
  readonly downtimeMs: number;
}

/** Why a session ended. */
export type EndCause =
  /** `session.stop()` was called. */
  | 'stop_called'
  /** An `*.rtms_stopped` webhook arrived. */
  | 'webhook_stopped'
  /** The server terminated the stream (STREAM_STATE_UPDATE TERMINATING/TERMINATED). */
  | 'stream_terminated'
  /** `client.close()` was called. */
  | 'client_closed'
  /** An error ended it (see `error`). */
  | 'error';

/** How a session ended; what `closed()` resolves to. */
export interface SessionEnd {
  readonly state: 'stopped' | 'failed';
  readonly cause: EndCause;
  /** RTMS stop reason, when the server gave one (webhook `stop_reason`, STREAM_STATE_UPDATE `reason`). */
  readonly stopReason: number | undefined;
  readonly stopReasonName: string | undefined;
  /** The error, for `failed`. */
  readonly error: RtmsError | undefined;
}

/** Events of an {@link RtmsSession}. Each entry is the listener's argument list. */
export interface RtmsSessionEvents {
  /** The session moved from `previous` to `state`. */
  state: [state: SessionState, previous: SessionState];
  /** Both handshakes done and CLIENT_READY_ACK sent: media flows from now on. */
  ready: [];
  audio: [frame: AudioFrame];
  video: [frame: VideoFrame];
  share: [frame: VideoFrame];
  transcript: [transcript: TranscriptEvent];
  chat: [message: ChatMessage];
  /** A connection dropped and an attempt to restore it is scheduled (state is `reconnecting`). */
  reconnecting: [info: ReconnectingInfo];
  /** The connection is restored and media flows again. */
  reconnected: [info: ReconnectedInfo];
  /** Any EVENT_UPDATE (participants, active speaker, sharing, Contact Center events, ...), as received. */
  event: [event: RtmsEventUpdate];
  /** FIRST_PACKET_TIMESTAMP: the session's media time reference. */
  firstPacket: [timestamp: number | undefined];
  /** ACTIVE_SPEAKER_CHANGE. Mixed audio has no speaker; this says who it is. */
  activeSpeaker: [event: ActiveSpeakerEvent];
  /** PARTICIPANT_JOIN (the roster, `session.participants`, is updated first). */
  participantJoin: [event: ParticipantsEvent];
  /** PARTICIPANT_LEAVE (the roster is updated first). */
  participantLeave: [event: ParticipantsEvent];
  /** SHARING_START / SHARING_STOP. */
  sharing: [event: SharingEvent];
  /** PARTICIPANT_VIDEO_ON / _OFF (individual video mode). */
  participantVideo: [event: ParticipantVideoEvent];
  /** MEDIA_CONNECTION_INTERRUPTED; the session reconnects media by itself. */
  mediaInterrupted: [timestamp: number | undefined];
  /** A Contact Center voice event. */
  contactCenterEvent: [event: ContactCenterEvent];
  streamState: [update: StreamStateUpdate];
  sessionState: [update: SessionStateUpdate];
  metadata: [message: MetadataMessage];
  /**
   * A problem. Non-fatal ones (`RTMS_FRAME_INVALID`, `RTMS_LISTENER_ERROR`) leave the session streaming; a fatal
   * one is followed by `state` → `failed`. With no listener, errors are dropped (never thrown): the terminal
   * reason is always on `closed()`.
   */
  error: [error: RtmsError];
  /** The session ended in `stopped`. */
  stopped: [end: SessionEnd];
  /** The session ended, in `stopped` or `failed`; every socket and timer is released. */
  closed: [end: SessionEnd];
}

/** Account-level `rtms.concurrency_near_limit` webhook. */
export interface ConcurrencyNearLimit {
  readonly concurrencyLimit: number | undefined;
  readonly concurrencyNumber: number | undefined;
  readonly percentage: number | undefined;
}

/** Account-level `rtms.concurrency_limited` webhook. */
export interface ConcurrencyLimited {
  readonly concurrencyNumber: number | undefined;
  readonly operatorId: string | undefined;
  readonly payload: Readonly<Record<string, unknown>>;
}

/** A verified, parsed webhook. */
export interface WebhookEvent {
  readonly event: string;
  readonly eventTs: number | undefined;
  readonly payload: Readonly<Record<string, unknown>>;
}

/** The product-specific identity of a stream. */
export interface StreamIdentity {
  readonly product: RtmsProduct;
  /** RTMS stream id. */
  readonly streamId: string;
  /** The product's id: meeting UUID, webinar UUID, Video SDK session id or engagement id. */
  readonly productId: string;
  /** The signaling URL (the chosen entry of the webhook's `server_urls`). */
  readonly serverUrl: string;
  /** `server_urls` exactly as the webhook gave it. */
  readonly serverUrls: string;
}
