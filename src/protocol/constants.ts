/**
 * RTMS protocol constants (wire protocol V1, JSON over WebSocket).
 *
 * Every number the protocol uses is named here, once. Sources and confidence marks refer to
 * `shared/protocol.md` (§ numbers in comments). Tables are plain frozen objects (`as const`) so
 * they tree-shake and double as value-to-name lookups through {@link nameOf}.
 *
 * @packageDocumentation
 */

/** `protocol_version` sent in both handshakes (V1). §3.1 [C2] */
export const PROTOCOL_VERSION = 1;

/** First `sequence` value on a channel; later messages count up from here. §3.1 [CONFLICT → 1] */
export const FIRST_SEQUENCE = 1;

/** `msg_type` values (RTMS_MESSAGE_TYPE). §2 [C2] */
export const MsgType = {
  UNDEFINED: 0,
  SIGNALING_HAND_SHAKE_REQ: 1,
  SIGNALING_HAND_SHAKE_RESP: 2,
  DATA_HAND_SHAKE_REQ: 3,
  DATA_HAND_SHAKE_RESP: 4,
  EVENT_SUBSCRIPTION: 5,
  EVENT_UPDATE: 6,
  CLIENT_READY_ACK: 7,
  STREAM_STATE_UPDATE: 8,
  SESSION_STATE_UPDATE: 9,
  SESSION_STATE_REQ: 10,
  SESSION_STATE_RESP: 11,
  KEEP_ALIVE_REQ: 12,
  KEEP_ALIVE_RESP: 13,
  MEDIA_DATA_AUDIO: 14,
  MEDIA_DATA_VIDEO: 15,
  MEDIA_DATA_SHARE: 16,
  MEDIA_DATA_TRANSCRIPT: 17,
  MEDIA_DATA_CHAT: 18,
  STREAM_STATE_REQ: 19,
  STREAM_STATE_RESP: 20,
  STREAM_CLOSE_REQ: 21,
  STREAM_CLOSE_RESP: 22,
  META_DATA_AUDIO: 23,
  META_DATA_VIDEO: 24,
  META_DATA_SHARE: 25,
  META_DATA_TRANSCRIPT: 26,
  META_DATA_CHAT: 27,
  VIDEO_SUBSCRIPTION_REQ: 28,
  VIDEO_SUBSCRIPTION_RESP: 29,
} as const;
/** A known `msg_type` number. */
export type MsgTypeValue = (typeof MsgType)[keyof typeof MsgType];

/** `media_type` bits (MEDIA_DATA_TYPE). `ALL` is its own bit, not the OR of the others. §4.1 [C2] */
export const MediaTypeBit = {
  AUDIO: 1,
  VIDEO: 2,
  DESKSHARE: 4,
  TRANSCRIPT: 8,
  CHAT: 16,
  ALL: 32,
} as const;

/** `status_code` values in handshake and other responses (RTMS_STATUS_CODE, current table). §4.3 [C2] 0–45, [C1] 46–47 */
export const StatusCode = {
  STATUS_OK: 0,
  STATUS_INVALID_MESSAGE_TYPE: 1,
  STATUS_INVALID_RTMS_STREAM_ID: 2,
  STATUS_INVALID_SIGNATURE: 3,
  STATUS_INVALID_PAYLOAD: 4,
  STATUS_INVALID_EVENTS: 5,
  STATUS_INVALID_EVENT_TYPE: 6,
  STATUS_INVALID_MEDIA_TYPE: 7,
  STATUS_DUPLICATE_SIGNAL_REQUEST: 8,
  STATUS_MEDIA_TYPE_AUDIO_NOT_SUPPORT: 9,
  STATUS_MEDIA_TYPE_VIDEO_NOT_SUPPORT: 10,
  STATUS_MEDIA_TYPE_DESKSHARE_NOT_SUPPORT: 11,
  STATUS_MEDIA_TYPE_TRANSCRIPT_NOT_SUPPORT: 12,
  STATUS_MEDIA_TYPE_CHAT_NOT_SUPPORT: 13,
  STATUS_MEDIA_TYPE_INVALID_VALUE: 14,
  STATUS_MEDIA_DATA_ALL_CONNECTION_EXIST: 15,
  STATUS_DUPLICATE_MEDIA_DATA_CONNECTION: 16,
  STATUS_INVALID_MEDIA_PARAMS: 17,
  STATUS_INVALID_MEDIA_AUDIO_PARAMS: 18,
  STATUS_INVALID_MEDIA_AUDIO_CONTENT_TYPE: 19,
  STATUS_INVALID_MEDIA_AUDIO_SAMPLE_RATE: 20,
  STATUS_INVALID_MEDIA_AUDIO_CHANNEL: 21,
  STATUS_INVALID_MEDIA_AUDIO_CODEC: 22,
  STATUS_INVALID_MEDIA_AUDIO_DATA_OPT: 23,
  STATUS_INVALID_MEDIA_AUDIO_SEND_RATE: 24,
  STATUS_INVALID_MEDIA_VIDEO_PARAMS: 25,
  STATUS_INVALID_MEDIA_VIDEO_CONTENT_TYPE: 26,
  STATUS_INVALID_MEDIA_VIDEO_CODEC: 27,
  STATUS_INVALID_MEDIA_VIDEO_RESOLUTION: 28,
  STATUS_INVALID_MEDIA_VIDEO_DATA_OPT: 29,
  STATUS_INVALID_MEDIA_VIDEO_FPS: 30,
  STATUS_INVALID_MEDIA_DESKSHARE_PARAMS: 31,
  STATUS_INVALID_MEDIA_DESKSHARE_CONTENT_TYPE: 32,
  STATUS_INVALID_MEDIA_DESKSHARE_CODEC: 33,
  STATUS_INVALID_MEDIA_DESKSHARE_RESOLUTION: 34,
  STATUS_INVALID_MEDIA_DESKSHARE_FPS: 35,
  STATUS_INVALID_MEDIA_TRANSCRIPT_PARAMS: 36,
  STATUS_INVALID_MEDIA_TRANSCRIPT_CONTENT_TYPE: 37,
  STATUS_INVALID_MEDIA_CHAT_PARAMS: 38,
  STATUS_INVALID_MEDIA_CHAT_CONTENT_TYPE: 39,
  STATUS_INVALID_RTMS_SESSION_ID: 40,
  STATUS_INVALID_CLIENT_READY_ACK: 41,
  STATUS_INVALID_EVENT_SUBSCRIBE: 42,
  STATUS_INVALID_MEDIA_TRANSCRIPT_SOURCE_LANGUAGE: 43,
  STATUS_DUPLICATE_VIDEO_SUBSCRIPTION: 44,
  STATUS_INTERNAL_EXCEPTION: 45,
  STATUS_INVALID_MEDIA_TRANSCRIPT_TARGET_LANGUAGE: 46,
  STATUS_CHAT_SESSION_KEY_NOT_AVAILABLE: 47,
} as const;

/**
 * Status codes worth retrying: the connection-class codes of the official sample client (RS-JS
 * `RTMSError.js`: 8, 15, 16) plus the server's internal exception (45). Everything else (bad signature,
 * bad parameters, unknown stream) cannot succeed on a retry. §4.3 [C1]
 */
export const RETRYABLE_STATUS_CODES: ReadonlySet<number> = new Set<number>([
  StatusCode.STATUS_DUPLICATE_SIGNAL_REQUEST,
  StatusCode.STATUS_MEDIA_DATA_ALL_CONNECTION_EXIST,
  StatusCode.STATUS_DUPLICATE_MEDIA_DATA_CONNECTION,
  StatusCode.STATUS_INTERNAL_EXCEPTION,
]);

/** `state` in STREAM_STATE_UPDATE / STREAM_STATE_RESP (RTMS_STREAM_STATE). §4.5 [C2] */
export const StreamState = {
  INACTIVE: 0,
  ACTIVE: 1,
  INTERRUPTED: 2,
  TERMINATING: 3,
  TERMINATED: 4,
  PAUSED: 5,
  RESUMED: 6,
} as const;

/** `state` in SESSION_STATE_UPDATE / SESSION_STATE_RESP (RTMS_SESSION_STATE). §4.4 [C2] */
export const SessionStateCode = {
  INACTIVE: 0,
  INITIALIZE: 1,
  STARTED: 2,
  PAUSED: 3,
  RESUMED: 4,
  STOPPED: 5,
} as const;

/** Stop reasons (RTMS_STOP_REASON) in webhooks, STREAM_STATE_UPDATE and SESSION_STATE_UPDATE. §4.7 [C2] */
export const StopReason = {
  UNDEFINED: 0,
  HOST_TRIGGERED: 1,
  USER_TRIGGERED: 2,
  USER_LEFT: 3,
  USER_EJECTED: 4,
  HOST_DISABLED_APP: 5,
  MEETING_ENDED: 6,
  STREAM_CANCELED: 7,
  STREAM_REVOKED: 8,
  ALL_APPS_DISABLED: 9,
  INTERNAL_EXCEPTION: 10,
  CONNECTION_TIMEOUT: 11,
  INSTANCE_CONNECTION_INTERRUPTED: 12,
  SIGNAL_CONNECTION_INTERRUPTED: 13,
  DATA_CONNECTION_INTERRUPTED: 14,
  SIGNAL_CONNECTION_CLOSED_ABNORMALLY: 15,
  DATA_CONNECTION_CLOSED_ABNORMALLY: 16,
  EXIT_SIGNAL: 17,
  AUTHENTICATION_FAILURE: 18,
  AWAIT_RECONNECTION_TIMEOUT: 19,
  RECEIVER_REQUEST_CLOSE: 20,
  CUSTOMER_DISCONNECTED: 21,
  AGENT_DISCONNECTED: 22,
  ADMIN_DISABLED_APP: 23,
  KEEP_ALIVE_TIMEOUT: 24,
  MANUAL_API_TRIGGERED: 25,
  STREAMING_NOT_SUPPORTED: 26,
} as const;

/** `event_type` values for meetings, webinars and Video SDK sessions (RTMS_EVENT_TYPE). §4.6 [C2] */
export const EventType = {
  UNDEFINED: 0,
  FIRST_PACKET_TIMESTAMP: 1,
  ACTIVE_SPEAKER_CHANGE: 2,
  PARTICIPANT_JOIN: 3,
  PARTICIPANT_LEAVE: 4,
  SHARING_START: 5,
  SHARING_STOP: 6,
  MEDIA_CONNECTION_INTERRUPTED: 7,
  PARTICIPANT_VIDEO_ON: 8,
  PARTICIPANT_VIDEO_OFF: 9,
  CHAT_GROUP_CREATE: 10,
  CHAT_GROUP_DELETE: 11,
  CHAT_GROUP_MEMBERS_ADD: 12,
  CHAT_GROUP_MEMBERS_DELETE: 13,
  CHAT_GROUP_MEMBER_STATUS_UPDATE: 14,
} as const;

/**
 * `event_type` values for Contact Center voice streams (RTMS_ZCC_VOICE_EVENT_TYPE). The numbers overlap
 * with {@link EventType} (8–14 mean different things), so naming an event needs the stream's product.
 * §4.6 [C2]; 30–34 exist but are unnamed in our sources.
 */
export const ZccEventType = {
  UNDEFINED: 0,
  CONSUMER_ANSWERED: 8,
  CONSUMER_END: 9,
  USER_ANSWERED: 10,
  USER_END: 11,
  USER_HOLD: 12,
  USER_UNHOLD: 13,
  MONITOR_STARTED: 14,
  MONITOR_TRANSITIONED: 15,
  MONITOR_ENDED: 16,
  TAKEOVER_STARTED: 17,
  TRANSFER_INITIATED: 18,
  TRANSFER_CANCELED: 19,
  TRANSFER_ACCEPTED: 20,
  TRANSFER_COMPLETED: 21,
  TRANSFER_REJECTED: 22,
  TRANSFER_TIMEOUT: 23,
  CONFERENCE_CANCELED: 24,
  CONFERENCE_PARTICIPANT_CANCELED: 25,
  CONFERENCE_PARTICIPANT_INVITED: 26,
  CONFERENCE_PARTICIPANT_REJECTED: 27,
  CONFERENCE_PARTICIPANT_TIMEOUT: 28,
  CONFERENCE_PARTICIPANT_LEFT: 29,
} as const;

/** MEDIA_CONTENT_TYPE. §4.2 [C2] */
export const MediaContentType = {
  UNDEFINED: 0,
  RTP: 1,
  RAW_AUDIO: 2,
  RAW_VIDEO: 3,
  FILE_STREAM: 4,
  TEXT: 5,
} as const;

/** MEDIA_PAYLOAD_TYPE (the `codec` field). §4.2 [C2] */
export const MediaCodec = {
  UNDEFINED: 0,
  L16: 1,
  G711: 2,
  G722: 3,
  OPUS: 4,
  JPG: 5,
  PNG: 6,
  H264: 7,
} as const;

/** AUDIO_SAMPLE_RATE. §4.2 [C2] */
export const AudioSampleRate = {
  SR_8K: 0,
  SR_16K: 1,
  SR_32K: 2,
  SR_48K: 3,
} as const;

/** Sample rate in Hz for each {@link AudioSampleRate} value. */
export const SAMPLE_RATE_HZ: Readonly<Record<number, number>> = { 0: 8000, 1: 16000, 2: 32000, 3: 48000 };

/** AUDIO_CHANNEL. §4.2 [C2] */
export const AudioChannel = {
  MONO: 1,
  STEREO: 2,
} as const;

/** MEDIA_DATA_OPTION. 5 (gallery view) is absent from the current data-types page: not offered. §4.2 */
export const MediaDataOption = {
  UNDEFINED: 0,
  AUDIO_MIXED_STREAM: 1,
  AUDIO_MULTI_STREAMS: 2,
  VIDEO_SINGLE_ACTIVE_STREAM: 3,
  VIDEO_SINGLE_INDIVIDUAL_STREAM: 4,
} as const;

/** MEDIA_RESOLUTION. §4.2 [C2] */
export const MediaResolution = {
  SD: 1,
  HD: 2,
  FHD: 3,
  QHD: 4,
} as const;

/** RTMS_TRANSCRIPT_LANGUAGE (`src_language`, transcript `language`). §4.9 [C2] */
export const TranscriptLanguage = {
  NONE: -1,
  ARABIC: 0,
  BENGALI: 1,
  CANTONESE: 2,
  CATALAN: 3,
  CHINESE_SIMPLIFIED: 4,
  CHINESE_TRADITIONAL: 5,
  CZECH: 6,
  DANISH: 7,
  DUTCH: 8,
  ENGLISH: 9,
  ESTONIAN: 10,
  FINNISH: 11,
  FRENCH_CANADA: 12,
  FRENCH_FRANCE: 13,
  GERMAN: 14,
  HEBREW: 15,
  HINDI: 16,
  HUNGARIAN: 17,
  INDONESIAN: 18,
  ITALIAN: 19,
  JAPANESE: 20,
  KOREAN: 21,
  MALAY: 22,
  PERSIAN: 23,
  POLISH: 24,
  PORTUGUESE: 25,
  ROMANIAN: 26,
  RUSSIAN: 27,
  SPANISH: 28,
  SWEDISH: 29,
  TAGALOG: 30,
  TAMIL: 31,
  TELUGU: 32,
  THAI: 33,
  TURKISH: 34,
  UKRAINIAN: 35,
  VIETNAMESE: 36,
} as const;

/** Audio `send_rate` rules: a multiple of 20 ms, at most 1000 ms. §3.3 [C2] */
export const AUDIO_SEND_RATE_STEP_MS = 20;
/** Largest audio `send_rate` the server accepts. §3.3 [C2] */
export const AUDIO_SEND_RATE_MAX_MS = 1000;

/** WebSocket close code for a normal close (RFC 6455). */
export const WS_CLOSE_NORMAL = 1000;
/** WebSocket close code when this side goes away (process shutdown). */
export const WS_CLOSE_GOING_AWAY = 1001;

/** Default keep-alive interval on the server side (~10 s). §7.1 [C2] */
export const SERVER_KEEP_ALIVE_INTERVAL_MS = 10_000;
/** Keep-alives the server lets go unanswered before it drops the socket. §7.1 [C2] */
export const SERVER_KEEP_ALIVE_MAX_MISSED = 3;
/** Client-side watchdog: re-handshake when nothing arrived for 65 s. §7.1 [C1] */
export const CLIENT_IDLE_TIMEOUT_MS = 65_000;

/**
 * Looks up the constant name of a protocol number in one of the tables above.
 *
 * @returns the name, or `undefined` for a number the table does not know (never throws).
 */
export function nameOf(table: Readonly<Record<string, number>>, value: number): string | undefined {
  for (const key in table) {
    if (table[key] === value) return key;
  }
  return undefined;
}
