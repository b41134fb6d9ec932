/**
 * The typed payloads a session emits, and the event maps that type `session.on(...)` and `client.on(...)`.
 */
import type { RtmsError } from './errors.js';
import type { RtmsProduct } from './protocol/products.js';

/**
 * Session states. `connecting` (signaling socket opening and its handshake) → `handshaking` (signaling accepted;
 * media sockets opening and handshaking) → `streaming` → `stopping` → `stopped`. `reconnecting` while an outage
 * is being repaired (back to `streaming`), and `failed` from any state before `stopped`.
 */
export type SessionState = 'connecting' | 'handshaking' | 'streaming' | 'reconnecting' | 'stopping' | 'stopped' | 'failed';

/**
 * A participant id. Meetings send numbers (0 for mixed audio), some Contact Center payloads strings, and a live
 * server may send either for the same field. The SDK delivers one canonical form, so the same participant always
 * has the same key: a number whenever the id is a decimal integer (`16778240` or `"16778240"` both arrive as
 * 16778240), otherwise the string as received (`"agent-7"`). See docs/tolerant-reading.md.
 */
export type UserId = number | string;

/**
 * The frame's `content` object: the fields the SDK reads carry their normalised values, and fields no
 * documentation names are kept as received, for users who want them.
 */
export type FrameContent = Readonly<Record<string, unknown>>;

/** The audio format frames arrive in: the parameters the media server accepted. */
export interface AudioFormat {
  /** `raw` (RAW_AUDIO, the default) or `rtp` (RTP packets). */
  readonly contentType: 'raw' | 'rtp';
  /** `L16` (16-bit little-endian PCM, the default), `G711` (A-law), `G722`, `OPUS`; `unknown` for another code. */
  readonly codec: 'L16' | 'G711' | 'G722' | 'OPUS' | 'unknown';
  /** Sample rate in Hz: 8000, 16000 (the default), 32000 or 48000. */
  readonly sampleRate: number;
  /** Number of channels: 1 (mono, the default) or 2 (stereo). */
  readonly channels: number;
  /** Milliseconds of audio per frame. */
  readonly sendRate: number;
  /** `mixed`: one stream, `userId` 0; `multi`: one stream per participant. */
  readonly dataOption: 'mixed' | 'multi';
}

/** The video or screen-share format frames arrive in. */
export interface VideoFormat {
  /** `JPG` or `PNG` (one image per frame, at most 5 fps) or `H264`; `unknown` for another code. */
  readonly codec: 'JPG' | 'PNG' | 'H264' | 'unknown';
  /**
   * Requested size class: `SD` 854×480 or 640×360, `HD` 1280×720, `FHD` 1920×1080, `QHD` 2560×1440;
   * `unknown` for another code. Actual frames may change size mid-stream.
   */
  readonly resolution: 'SD' | 'HD' | 'FHD' | 'QHD' | 'unknown';
  /** Frames per second (1–30) the server applied, or the requested value when it did not echo one. */
  readonly fps: number;
}

/** One audio packet (MEDIA_DATA_AUDIO). */
export interface AudioFrame {
  /** The raw bytes (for L16: 16-bit little-endian PCM). */
  readonly data: Buffer;
  /** Speaker; 0 for mixed audio; undefined for Contact Center and Zoom Phone (see {@link channelId}). */
  readonly userId: UserId | undefined;
  /** Speaker's display name; undefined for mixed audio, for Contact Center and Zoom Phone, or when the frame omits it. */
  readonly userName: string | undefined;
  /**
   * Contact Center and Zoom Phone: the channel of one party (caller or agent), always a string (a number on the
   * wire is converted); undefined for other products.
   */
  readonly channelId: string | undefined;
  /** Server creation time, Unix ms; undefined when the frame has none. */
  readonly timestamp: number | undefined;
  /** How {@link data} is encoded: the format negotiated for this media socket, shared by its frames. */
  readonly format: AudioFormat;
  /** The frame's `content` object, unknown fields included (see {@link FrameContent}). */
  readonly content: FrameContent;
}

/** One video or screen-share frame (MEDIA_DATA_VIDEO / MEDIA_DATA_SHARE). */
export interface VideoFrame {
  /** The frame bytes: a JPG or PNG image, or an H.264 access unit. */
  readonly data: Buffer;
  /** The participant whose video or screen this is; undefined when the frame carries no `user_id`. */
  readonly userId: UserId | undefined;
  /** That participant's display name; undefined when the frame omits it. */
  readonly userName: string | undefined;
  /** Server creation time, Unix ms; undefined when the frame has none. */
  readonly timestamp: number | undefined;
  /** Codec, resolution and fps negotiated for this media socket, shared by its frames. */
  readonly format: VideoFormat;
  /**
   * What this frame's bytes are, by their signature: `JPG`, `PNG`, `H264` (an Annex B start code), or undefined for
   * anything else. It can differ from `format.codec`: Zoom has been reported to send screen share as JPEG whatever
   * was negotiated. Decide how to handle a frame by this. See {@link detectVideoCodec}.
   */
  readonly detectedCodec: 'JPG' | 'PNG' | 'H264' | undefined;
  /** The frame's `content` object, unknown fields included (see {@link FrameContent}). */
  readonly content: FrameContent;
}

/**
 * An audio packet as received, its payload still base64 (the `rawMedia` event). Use it to pass audio on to a
 * service that takes base64 (many speech-to-text and realtime-model APIs do) without decoding and re-encoding.
 */
export interface RawAudioFrame {
  /** Which media this is. */
  readonly kind: 'audio';
  /**
   * `content.data` exactly as received: base64 text, neither decoded nor checked. An invalid payload reaches
   * this event unchanged; the `audio` event would report it as `RTMS_FRAME_INVALID` instead.
   */
  readonly base64: string;
  /** As {@link AudioFrame.userId}. */
  readonly userId: UserId | undefined;
  /** As {@link AudioFrame.userName}. */
  readonly userName: string | undefined;
  /** As {@link AudioFrame.channelId}. */
  readonly channelId: string | undefined;
  /** As {@link AudioFrame.timestamp}. */
  readonly timestamp: number | undefined;
  /** The audio format the decoded bytes are in. */
  readonly format: AudioFormat;
  /** The frame's `content` object, unknown fields included (see {@link FrameContent}). */
  readonly content: FrameContent;
}

/** A video or screen-share frame as received, its payload still base64 (the `rawMedia` event). */
export interface RawVideoFrame {
  /** Which media this is. */
  readonly kind: 'video' | 'share';
  /** `content.data` exactly as received: base64 text, neither decoded nor checked. */
  readonly base64: string;
  /** As {@link VideoFrame.userId}. */
  readonly userId: UserId | undefined;
  /** As {@link VideoFrame.userName}. */
  readonly userName: string | undefined;
  /** As {@link VideoFrame.timestamp}. */
  readonly timestamp: number | undefined;
  /** The format the decoded bytes are in. */
  readonly format: VideoFormat;
  /** The frame's `content` object, unknown fields included (see {@link FrameContent}). */
  readonly content: FrameContent;
}

/** A media frame with its payload left as base64; `kind` tells which. */
export type RawMediaFrame = RawAudioFrame | RawVideoFrame;

/** One transcript utterance (MEDIA_DATA_TRANSCRIPT). */
export interface TranscriptEvent {
  /** The utterance, UTF-8 text exactly as received in `content.data`. */
  readonly text: string;
  /** The speaker; undefined when the frame carries no `user_id` (Contact Center and Zoom Phone use {@link channelId}). */
  readonly userId: UserId | undefined;
  /** Speaker's display name; undefined when the frame omits it. */
  readonly userName: string | undefined;
  /** Contact Center and Zoom Phone: the channel of the speaker, always a string; undefined for other products. */
  readonly channelId: string | undefined;
  /** Utterance start, Unix ms; undefined when the frame has none. */
  readonly timestamp: number | undefined;
  /** Utterance start (`start_time`), Unix ms; undefined when absent. */
  readonly startTime: number | undefined;
  /** Utterance end (`end_time`), Unix ms; undefined when absent. */
  readonly endTime: number | undefined;
  /** Language id ({@link TranscriptLanguage}); undefined when absent. */
  readonly language: number | undefined;
  /** RTMS_DATA_MESSAGE_ATTRIBUTE when present (meaning not documented, §4.10). */
  readonly attribute: number | undefined;
  /** The frame's `content` object, unknown fields included (see {@link FrameContent}). */
  readonly content: FrameContent;
}

/** One chat message (MEDIA_DATA_CHAT). */
export interface ChatMessage {
  /** The message text (from the 2026 JSON payload when present, else the raw text). */
  readonly text: string;
  /** Server creation time, Unix ms; undefined when the frame has none. */
  readonly timestamp: number | undefined;
  /** Sender: `sender.user_id` of the JSON payload, else `content.user_id`; undefined when neither is present. */
  readonly userId: UserId | undefined;
  /** Sender's name: `sender.user_name` of the JSON payload, else `content.user_name`; undefined when neither is. */
  readonly userName: string | undefined;
  /** The parsed 2026 chat payload (sender, receiver, chat_session, operation_type, ...), when `data` was JSON. */
  readonly payload: Readonly<Record<string, unknown>> | undefined;
  /** `content.data` exactly as received. */
  readonly raw: string;
  /** The frame's `content` object, unknown fields included (see {@link FrameContent}). */
  readonly content: FrameContent;
}

/** An EVENT_UPDATE from the signaling channel. */
export interface RtmsEventUpdate {
  /**
   * `event_type` (protocol V1); its meaning depends on the product ({@link EventType}, {@link ZccEventType}).
   * Undefined when the server sent only V2's `event_code` (Zoom Phone does).
   */
  readonly eventType: number | undefined;
  /**
   * `event_code`, protocol V2's globally unique event id, when the server sent one (Zoom Phone sends only this).
   * Zoom has not published the table of codes, so the SDK passes the number on and never interprets it.
   */
  readonly eventCode: number | undefined;
  /**
   * Constant name of {@link eventType} for this product (`ACTIVE_SPEAKER_CHANGE`, `CONSUMER_ANSWERED`, ...), if
   * known; always undefined for Zoom Phone, whose numbers have no published table.
   */
  readonly name: string | undefined;
  /** Event time, Unix ms: `timestamp`, else `event_ts` (Contact Center); undefined when neither is a number. */
  readonly timestamp: number | undefined;
  /** The `event` object: known fields normalised (docs/tolerant-reading.md), unknown fields as received. */
  readonly body: Readonly<Record<string, unknown>>;
}

/** A STREAM_STATE_UPDATE. */
export interface StreamStateUpdate {
  /** The stream's state, a {@link StreamState} value (4 = TERMINATED). */
  readonly state: number;
  /** Name of {@link state} in {@link StreamState} (`ACTIVE`, `TERMINATED`, ...); undefined for an unknown number. */
  readonly stateName: string | undefined;
  /**
   * Why, as a {@link StopReason} (`reason`, or `stop_reason` from older servers); undefined when absent, and
   * always undefined in an answer to {@link RtmsSession.requestStreamState}.
   */
  readonly reason: number | undefined;
  /** Name of {@link reason} in {@link StopReason}; undefined when there is no reason or it is unknown. */
  readonly reasonName: string | undefined;
  /**
   * Server time, Unix ms; undefined when absent. In an answer to {@link RtmsSession.requestStreamState}
   * it may be in seconds (the protocol's only example is).
   */
  readonly timestamp: number | undefined;
}

/** A SESSION_STATE_UPDATE. */
export interface SessionStateUpdate {
  /** The RTMS session's state, a {@link SessionStateCode} value (5 = STOPPED). */
  readonly state: number;
  /** Name of {@link state} in {@link SessionStateCode} (`STARTED`, `STOPPED`, ...); undefined for an unknown number. */
  readonly stateName: string | undefined;
  /** The session inside the stream (`rtms_session_id`; a stream can hold several); undefined when omitted. */
  readonly rtmsSessionId: string | undefined;
  /**
   * Why the session stopped, a {@link StopReason} (`stop_reason`, or `reason`); normally sent only with STOPPED,
   * undefined when absent, and always undefined in an answer to {@link RtmsSession.requestSessionState}.
   */
  readonly stopReason: number | undefined;
  /** Name of {@link stopReason} in {@link StopReason}; undefined when there is none or it is unknown. */
  readonly stopReasonName: string | undefined;
  /** Server time, Unix ms; undefined when absent. */
  readonly timestamp: number | undefined;
}

/** A participant as events describe them. */
export interface Participant {
  /** The participant's `user_id`. */
  readonly userId: UserId;
  /**
   * Display name (`user_name`); undefined when not known. Leave events carry only ids: the session fills the
   * name in from its roster when it has one.
   */
  readonly userName: string | undefined;
}

/** ACTIVE_SPEAKER_CHANGE. */
export interface ActiveSpeakerEvent {
  /** The new active speaker; undefined when the event carries no usable `user_id`. */
  readonly userId: UserId | undefined;
  /** The speaker's display name; undefined when the event omits it. */
  readonly userName: string | undefined;
  /** Event time, Unix ms; undefined when absent. */
  readonly timestamp: number | undefined;
}

/** PARTICIPANT_JOIN / PARTICIPANT_LEAVE. */
export interface ParticipantsEvent {
  /** The participants who joined or left; empty when the event listed none. */
  readonly participants: readonly Participant[];
  /** Event time, Unix ms; undefined when absent. */
  readonly timestamp: number | undefined;
}

/** SHARING_START / SHARING_STOP. */
export interface SharingEvent {
  /** `true` for SHARING_START, `false` for SHARING_STOP. */
  readonly active: boolean;
  /** Who shares (start only); undefined on stop or when the event carries no `user_id`. */
  readonly userId: UserId | undefined;
  /** The sharer's display name (start only); undefined on stop or when omitted. */
  readonly userName: string | undefined;
  /** Event time, Unix ms; undefined when absent. */
  readonly timestamp: number | undefined;
}

/** PARTICIPANT_VIDEO_ON / PARTICIPANT_VIDEO_OFF. */
export interface ParticipantVideoEvent {
  /** `true` for PARTICIPANT_VIDEO_ON, `false` for PARTICIPANT_VIDEO_OFF. */
  readonly on: boolean;
  /** Participants whose video turned on or off: the ids {@link RtmsSession.subscribeVideo} takes. */
  readonly userIds: readonly UserId[];
  /** Event time, Unix ms; undefined when absent. */
  readonly timestamp: number | undefined;
}

/** The `participant_info` of a Contact Center event. */
export interface ContactCenterParticipant {
  /** SIP channel of this party (`channel_id`), as on its audio frames and transcripts; undefined when absent. */
  readonly channelId: string | undefined;
  /** `caller`, `agent`, ... */
  readonly participantMode: string | undefined;
  /** `user_id`, as a string (a number is converted); undefined when absent. */
  readonly userId: string | undefined;
  /** `display_name`; undefined when absent. */
  readonly displayName: string | undefined;
  /** `phone_number`; undefined when absent. */
  readonly phoneNumber: string | undefined;
  /** Contact Center queue id (`queue_id`); undefined when absent. */
  readonly queueId: string | undefined;
  /** Contact Center queue name (`queue_name`); undefined when absent. */
  readonly queueName: string | undefined;
}

/** A Contact Center voice event (CONSUMER_ANSWERED, USER_HOLD, TRANSFER_COMPLETED, ...). */
export interface ContactCenterEvent {
  /** `event_type`, a {@link ZccEventType} value. */
  readonly eventType: number;
  /** `event_code` (protocol V2) when the server sent one beside `event_type`; never interpreted. */
  readonly eventCode: number | undefined;
  /** Its name in {@link ZccEventType} (`USER_HOLD`, ...); undefined for numbers without one (such as 30–34). */
  readonly name: string | undefined;
  /** Event time, Unix ms (`timestamp`, else `event_ts`); undefined when neither is a number. */
  readonly timestamp: number | undefined;
  /** The event's `participant_info` (also read from the misspelt `paticipant_info`); undefined when absent. */
  readonly participant: ContactCenterParticipant | undefined;
}

/** Answer to {@link RtmsSession.subscribeVideo}. */
export interface VideoSubscriptionResult {
  /** The user the answer is about: its `user_id`, or the requested id when the answer has none. */
  readonly userId: UserId | undefined;
  /** `status_code`: 0 = done; otherwise a {@link StatusCode} (44 = already subscribed). */
  readonly statusCode: number;
  /** Name of {@link statusCode} in {@link StatusCode}, or `UNKNOWN_STATUS_<n>`. */
  readonly statusName: string;
  /** The server's `reason` text (e.g. `OK`), verbatim; undefined when absent. */
  readonly reason: string | undefined;
}

/** A META_DATA_* message (23–27); shapes are undocumented, so the body is passed on as received. */
export interface MetadataMessage {
  /** `msg_type`, 23–27 (META_DATA_AUDIO … META_DATA_CHAT). */
  readonly msgType: number;
  /** The media kind the metadata is about, from {@link msgType} (23 audio, 24 video, ... 27 chat). */
  readonly kind: 'audio' | 'video' | 'share' | 'transcript' | 'chat';
  /** The whole message as received, `msg_type` included. */
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
  /** `media`: only media sockets were reconnected; `full`: signaling and media. */
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
  /** Another app instance owns the stream now (see the client's `handover` event). */
  | 'handover'
  /** An error ended it (see `error`). */
  | 'error';

/** How a session ended; what `closed()` resolves to. */
export interface SessionEnd {
  /** `stopped` for an orderly end, `failed` when an error ended the session. */
  readonly state: 'stopped' | 'failed';
  /** What ended the session. */
  readonly cause: EndCause;
  /** True when the session asked the server to end the stream (STREAM_CLOSE_REQ) on its way out. */
  readonly streamClosed: boolean;
  /** RTMS stop reason, when the server gave one (webhook `stop_reason`, STREAM_STATE_UPDATE `reason`). */
  readonly stopReason: number | undefined;
  /** Name of {@link stopReason} in {@link StopReason}; undefined when there is none or it is unknown. */
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
  /**
   * One audio packet (MEDIA_DATA_AUDIO), decoded to bytes. The base64 payload is decoded only while an `audio`
   * listener (or iterator) exists; see `rawMedia` to receive it undecoded.
   */
  audio: [frame: AudioFrame];
  /** One camera video frame (MEDIA_DATA_VIDEO). */
  video: [frame: VideoFrame];
  /** One screen-share frame (MEDIA_DATA_SHARE). */
  share: [frame: VideoFrame];
  /** One transcript utterance (MEDIA_DATA_TRANSCRIPT). */
  transcript: [transcript: TranscriptEvent];
  /** One chat message (MEDIA_DATA_CHAT). */
  chat: [message: ChatMessage];
  /**
   * Every audio, video and screen-share frame with its payload left as base64, not decoded or validated. It is
   * independent of `audio` / `video` / `share`: with only `rawMedia` listeners, no payload is decoded at all.
   */
  rawMedia: [frame: RawMediaFrame];
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
  /**
   * Every STREAM_STATE_UPDATE. TERMINATING or TERMINATED ends the session; INTERRUPTED with reason 13 or 14
   * starts a reconnection.
   */
  streamState: [update: StreamStateUpdate];
  /** Every SESSION_STATE_UPDATE. A STOPPED RTMS session does not end the stream. */
  sessionState: [update: SessionStateUpdate];
  /** A META_DATA_* message (23–27), passed on as received. */
  metadata: [message: MetadataMessage];
  /**
   * A problem. Non-fatal ones (`RTMS_FRAME_INVALID`, `RTMS_FRAME_UNSUPPORTED`, `RTMS_LISTENER_ERROR`) leave the
   * session streaming; a fatal
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
  /** The account's limit of concurrent streams (`concurrency_limit`, 2000 by default); undefined when absent. */
  readonly concurrencyLimit: number | undefined;
  /** Streams running now (`concurrency_number`); undefined when absent. */
  readonly concurrencyNumber: number | undefined;
  /** Share of the limit in use, in percent (`percentage`; the webhook repeats above 80 %); undefined when absent. */
  readonly percentage: number | undefined;
}

/** Account-level `rtms.concurrency_limited` webhook. */
export interface ConcurrencyLimited {
  /** Streams running now (`concurrency_number`); undefined when absent. */
  readonly concurrencyNumber: number | undefined;
  /** `operator_id`: the user whose start was refused; undefined when absent or not a string. */
  readonly operatorId: string | undefined;
  /** The whole `payload`, including the refused stream's id field (`meeting_uuid`, `webinar_uuid` or `session_id`). */
  readonly payload: Readonly<Record<string, unknown>>;
}

/** A verified, parsed webhook. */
export interface WebhookEvent {
  /** Event name, such as `meeting.rtms_started` or `endpoint.url_validation`. */
  readonly event: string;
  /** `event_ts`, Unix ms; undefined when absent or not a number. */
  readonly eventTs: number | undefined;
  /** The `payload` object as received. */
  readonly payload: Readonly<Record<string, unknown>>;
}

/** The product-specific identity of a stream. */
export interface StreamIdentity {
  /** The product the stream belongs to, from the `*.rtms_started` webhook's event prefix. */
  readonly product: RtmsProduct;
  /** RTMS stream id. */
  readonly streamId: string;
  /** The product's id: meeting UUID, webinar UUID, Video SDK session id, engagement id or Zoom Phone call id. */
  readonly productId: string;
  /** The signaling URL (the chosen entry of the webhook's `server_urls`). */
  readonly serverUrl: string;
  /** `server_urls` exactly as the webhook gave it. */
  readonly serverUrls: string;
}
