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
  /** 0: no message type; not a real message. */
  UNDEFINED: 0,
  /** 1: app → signaling: opens the stream with the product id, `rtms_stream_id` and signature. */
  SIGNALING_HAND_SHAKE_REQ: 1,
  /** 2: signaling → app: handshake result (`status_code` 0 = OK) and the media server URLs. */
  SIGNALING_HAND_SHAKE_RESP: 2,
  /** 3: app → media: opens a media socket for a `media_type` bitmask, with optional `media_params`. */
  DATA_HAND_SHAKE_REQ: 3,
  /** 4: media → app: media handshake result and the `media_params` the server actually applied. */
  DATA_HAND_SHAKE_RESP: 4,
  /** 5: app → signaling: subscribes to or unsubscribes from event types; the server sends no answer. */
  EVENT_SUBSCRIPTION: 5,
  /** 6: signaling → app: one event (`event.event_type`); numbering depends on the product. */
  EVENT_UPDATE: 6,
  /** 7: app → signaling: sent after a successful media handshake; media starts flowing after it. */
  CLIENT_READY_ACK: 7,
  /** 8: signaling → app: the stream changed state ({@link StreamState}), with a stop `reason`. */
  STREAM_STATE_UPDATE: 8,
  /** 9: signaling → app: one RTMS session inside the stream changed state ({@link SessionStateCode}). */
  SESSION_STATE_UPDATE: 9,
  /** 10: app → signaling: asks for one session's state by `rtms_session_id`. */
  SESSION_STATE_REQ: 10,
  /** 11: signaling → app: answer to SESSION_STATE_REQ (`rtms_session_id`, `state`, `timestamp`). */
  SESSION_STATE_RESP: 11,
  /** 12: server → app on every socket, about every 10 s; must be answered on the same socket. */
  KEEP_ALIVE_REQ: 12,
  /** 13: app → server: answers KEEP_ALIVE_REQ, echoing its `timestamp` unchanged. */
  KEEP_ALIVE_RESP: 13,
  /** 14: media → app: one audio packet, base64 in `content.data`. */
  MEDIA_DATA_AUDIO: 14,
  /** 15: media → app: one video frame (JPG, PNG or H.264), base64 in `content.data`. */
  MEDIA_DATA_VIDEO: 15,
  /** 16: media → app: one screen-share frame, base64 in `content.data`. */
  MEDIA_DATA_SHARE: 16,
  /** 17: media → app: one transcript utterance of one speaker, UTF-8 text in `content.data`. */
  MEDIA_DATA_TRANSCRIPT: 17,
  /** 18: media → app: one chat message; `content.data` is text or, since July 2026, a JSON string. */
  MEDIA_DATA_CHAT: 18,
  /** 19: app → signaling: asks for the stream's state. */
  STREAM_STATE_REQ: 19,
  /** 20: signaling → app: answer to STREAM_STATE_REQ; the doc example's `timestamp` is in seconds. */
  STREAM_STATE_RESP: 20,
  /** 21: app → signaling: asks the server to end the stream. */
  STREAM_CLOSE_REQ: 21,
  /** 22: signaling → app: answer to STREAM_CLOSE_REQ; the stream then ends (stop reason 20). */
  STREAM_CLOSE_RESP: 22,
  /** 23: server → app: audio metadata; the shape is undocumented. */
  META_DATA_AUDIO: 23,
  /** 24: server → app: video metadata; reserved, shape undocumented. */
  META_DATA_VIDEO: 24,
  /** 25: server → app: screen-share metadata; reserved, shape undocumented. */
  META_DATA_SHARE: 25,
  /** 26: server → app: transcript metadata; reserved, shape undocumented. */
  META_DATA_TRANSCRIPT: 26,
  /** 27: server → app: chat metadata; reserved, shape undocumented. */
  META_DATA_CHAT: 27,
  /** 28: app → signaling: starts or stops one participant's video (individual-video mode). */
  VIDEO_SUBSCRIPTION_REQ: 28,
  /** 29: signaling → app: answer to VIDEO_SUBSCRIPTION_REQ (`user_id`, `status_code`, `reason`). */
  VIDEO_SUBSCRIPTION_RESP: 29,
} as const;
/** A known `msg_type` number. */
export type MsgTypeValue = (typeof MsgType)[keyof typeof MsgType];

/** `media_type` bits (MEDIA_DATA_TYPE). `ALL` is its own bit, not the OR of the others. §4.1 [C2] */
export const MediaTypeBit = {
  /** 1: audio (MEDIA_DATA_AUDIO frames). */
  AUDIO: 1,
  /** 2: camera video (MEDIA_DATA_VIDEO frames). */
  VIDEO: 2,
  /** 4: screen share (MEDIA_DATA_SHARE frames). */
  DESKSHARE: 4,
  /** 8: transcripts (MEDIA_DATA_TRANSCRIPT frames). */
  TRANSCRIPT: 8,
  /** 16: chat messages (MEDIA_DATA_CHAT frames). */
  CHAT: 16,
  /** 32: every media type the app is scoped for, on one socket (`server_urls.all`). */
  ALL: 32,
} as const;

/**
 * `status_code` values in handshake and other responses (RTMS_STATUS_CODE, current table).
 * §4.3 [C2] 0–45, [C1] 46–47
 */
export const StatusCode = {
  /** 0: success. */
  STATUS_OK: 0,
  /** 1: the request's `msg_type` is not valid there. */
  STATUS_INVALID_MESSAGE_TYPE: 1,
  /** 2: the `rtms_stream_id` is unknown or invalid. */
  STATUS_INVALID_RTMS_STREAM_ID: 2,
  /** 3: the handshake `signature` did not verify (wrong client id/secret or signed id). */
  STATUS_INVALID_SIGNATURE: 3,
  /** 4: the request body is malformed or misses required fields. */
  STATUS_INVALID_PAYLOAD: 4,
  /** 5: the `events` list of an EVENT_SUBSCRIPTION is invalid. */
  STATUS_INVALID_EVENTS: 5,
  /** 6: an `event_type` in an EVENT_SUBSCRIPTION is not valid. */
  STATUS_INVALID_EVENT_TYPE: 6,
  /** 7: the `media_type` of a media handshake is invalid. */
  STATUS_INVALID_MEDIA_TYPE: 7,
  /** 8: a signaling connection for this stream already exists (the old socket is not closed yet); retryable. */
  STATUS_DUPLICATE_SIGNAL_REQUEST: 8,
  /** 9: audio was requested but is not available for this stream or app. */
  STATUS_MEDIA_TYPE_AUDIO_NOT_SUPPORT: 9,
  /** 10: video was requested but is not available for this stream or app. */
  STATUS_MEDIA_TYPE_VIDEO_NOT_SUPPORT: 10,
  /** 11: screen share was requested but is not available for this stream or app. */
  STATUS_MEDIA_TYPE_DESKSHARE_NOT_SUPPORT: 11,
  /** 12: transcripts were requested but are not available for this stream or app. */
  STATUS_MEDIA_TYPE_TRANSCRIPT_NOT_SUPPORT: 12,
  /** 13: chat was requested but is not available for this stream or app. */
  STATUS_MEDIA_TYPE_CHAT_NOT_SUPPORT: 13,
  /** 14: the `media_type` value is not a valid bitmask. */
  STATUS_MEDIA_TYPE_INVALID_VALUE: 14,
  /** 15: a media connection for all types (`ALL`) already exists; retryable. */
  STATUS_MEDIA_DATA_ALL_CONNECTION_EXIST: 15,
  /** 16: a media connection for this media type already exists; retryable. */
  STATUS_DUPLICATE_MEDIA_DATA_CONNECTION: 16,
  /** 17: `media_params` is invalid. */
  STATUS_INVALID_MEDIA_PARAMS: 17,
  /** 18: `media_params.audio` is invalid (e.g. an unsupported combination). */
  STATUS_INVALID_MEDIA_AUDIO_PARAMS: 18,
  /** 19: audio `content_type` is invalid. */
  STATUS_INVALID_MEDIA_AUDIO_CONTENT_TYPE: 19,
  /** 20: audio `sample_rate` is invalid. */
  STATUS_INVALID_MEDIA_AUDIO_SAMPLE_RATE: 20,
  /** 21: audio `channel` is invalid. */
  STATUS_INVALID_MEDIA_AUDIO_CHANNEL: 21,
  /** 22: audio `codec` is invalid. */
  STATUS_INVALID_MEDIA_AUDIO_CODEC: 22,
  /** 23: audio `data_opt` is invalid. */
  STATUS_INVALID_MEDIA_AUDIO_DATA_OPT: 23,
  /** 24: audio `send_rate` is invalid (must be a multiple of 20 ms). */
  STATUS_INVALID_MEDIA_AUDIO_SEND_RATE: 24,
  /** 25: `media_params.video` is invalid. */
  STATUS_INVALID_MEDIA_VIDEO_PARAMS: 25,
  /** 26: video `content_type` is invalid (must be 3, RAW_VIDEO). */
  STATUS_INVALID_MEDIA_VIDEO_CONTENT_TYPE: 26,
  /** 27: video `codec` is invalid. */
  STATUS_INVALID_MEDIA_VIDEO_CODEC: 27,
  /** 28: video `resolution` is invalid. */
  STATUS_INVALID_MEDIA_VIDEO_RESOLUTION: 28,
  /** 29: video `data_opt` is invalid. */
  STATUS_INVALID_MEDIA_VIDEO_DATA_OPT: 29,
  /** 30: video `fps` is invalid (1–30; at most 5 for JPG/PNG). */
  STATUS_INVALID_MEDIA_VIDEO_FPS: 30,
  /** 31: `media_params.deskshare` is invalid. */
  STATUS_INVALID_MEDIA_DESKSHARE_PARAMS: 31,
  /** 32: screen-share `content_type` is invalid (must be 3, RAW_VIDEO). */
  STATUS_INVALID_MEDIA_DESKSHARE_CONTENT_TYPE: 32,
  /** 33: screen-share `codec` is invalid. */
  STATUS_INVALID_MEDIA_DESKSHARE_CODEC: 33,
  /** 34: screen-share `resolution` is invalid. */
  STATUS_INVALID_MEDIA_DESKSHARE_RESOLUTION: 34,
  /** 35: screen-share `fps` is invalid. */
  STATUS_INVALID_MEDIA_DESKSHARE_FPS: 35,
  /** 36: `media_params.transcript` is invalid. */
  STATUS_INVALID_MEDIA_TRANSCRIPT_PARAMS: 36,
  /** 37: transcript `content_type` is invalid (must be 5, TEXT). */
  STATUS_INVALID_MEDIA_TRANSCRIPT_CONTENT_TYPE: 37,
  /** 38: `media_params.chat` is invalid. */
  STATUS_INVALID_MEDIA_CHAT_PARAMS: 38,
  /** 39: chat `content_type` is invalid (must be 5, TEXT). */
  STATUS_INVALID_MEDIA_CHAT_CONTENT_TYPE: 39,
  /** 40: the `rtms_session_id` is unknown or invalid. */
  STATUS_INVALID_RTMS_SESSION_ID: 40,
  /** 41: the CLIENT_READY_ACK was wrong or missing. */
  STATUS_INVALID_CLIENT_READY_ACK: 41,
  /** 42: the event subscription request is invalid. */
  STATUS_INVALID_EVENT_SUBSCRIBE: 42,
  /** 43: transcript `src_language` is not a known language id. */
  STATUS_INVALID_MEDIA_TRANSCRIPT_SOURCE_LANGUAGE: 43,
  /** 44: that participant's video is already subscribed. */
  STATUS_DUPLICATE_VIDEO_SUBSCRIPTION: 44,
  /** 45: internal server error; retryable. */
  STATUS_INTERNAL_EXCEPTION: 45,
  /** 46: the transcript target language is invalid (sample code only, [C1]). */
  STATUS_INVALID_MEDIA_TRANSCRIPT_TARGET_LANGUAGE: 46,
  /** 47: the chat session key is not available (sample code only, [C1]; otherwise undocumented). */
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
  /** 0: the stream is not active. */
  INACTIVE: 0,
  /** 1: media is flowing. */
  ACTIVE: 1,
  /** 2: a signaling or media connection problem; `reason` 13 = signaling, 14 = media. */
  INTERRUPTED: 2,
  /** 3: the stream is ending; the client should close its sockets. */
  TERMINATING: 3,
  /** 4: the stream has ended; stop reconnecting and close every socket. */
  TERMINATED: 4,
  /** 5: streaming is paused. */
  PAUSED: 5,
  /** 6: streaming resumed after a pause. */
  RESUMED: 6,
} as const;

/** `state` in SESSION_STATE_UPDATE / SESSION_STATE_RESP (RTMS_SESSION_STATE). §4.4 [C2] */
export const SessionStateCode = {
  /** 0: the session is not active. */
  INACTIVE: 0,
  /** 1: the session is being set up. */
  INITIALIZE: 1,
  /** 2: a brand-new session started (keep per-session state). */
  STARTED: 2,
  /** 3: the session is paused. */
  PAUSED: 3,
  /** 4: the session resumed after a pause. */
  RESUMED: 4,
  /** 5: the session stopped (`stop_reason` says why); the stream may go on with other sessions. */
  STOPPED: 5,
} as const;

/** Stop reasons (RTMS_STOP_REASON) in webhooks, STREAM_STATE_UPDATE and SESSION_STATE_UPDATE. §4.7 [C2] */
export const StopReason = {
  /** 0: no reason given. */
  UNDEFINED: 0,
  /** 1: the host stopped the stream. */
  HOST_TRIGGERED: 1,
  /** 2: the user who started the app stopped the stream. */
  USER_TRIGGERED: 2,
  /** 3: the app's user left the meeting. */
  USER_LEFT: 3,
  /** 4: the host removed the app's user. */
  USER_EJECTED: 4,
  /** 5: the host disabled the app (older name APP_DISABLED_BY_HOST). */
  HOST_DISABLED_APP: 5,
  /** 6: the meeting, webinar or session ended. */
  MEETING_ENDED: 6,
  /** 7: canceled at a participant's request. */
  STREAM_CANCELED: 7,
  /** 8: consent withdrawn: delete whatever was stored from this stream right away. */
  STREAM_REVOKED: 8,
  /** 9: the host disabled all apps. */
  ALL_APPS_DISABLED: 9,
  /** 10: server-side error. */
  INTERNAL_EXCEPTION: 10,
  /** 11: the connection timed out. */
  CONNECTION_TIMEOUT: 11,
  /** 12: the link to the meeting/session instance was interrupted (older name MEETING_CONNECTION_INTERRUPTED). */
  INSTANCE_CONNECTION_INTERRUPTED: 12,
  /** 13: the signaling connection was interrupted; reconnect signaling and media. */
  SIGNAL_CONNECTION_INTERRUPTED: 13,
  /** 14: a media (data) connection was interrupted; reconnect the media sockets only. */
  DATA_CONNECTION_INTERRUPTED: 14,
  /** 15: the app's signaling connection closed abnormally. */
  SIGNAL_CONNECTION_CLOSED_ABNORMALLY: 15,
  /** 16: the app's media connection closed abnormally. */
  DATA_CONNECTION_CLOSED_ABNORMALLY: 16,
  /** 17: the server received an exit signal (not further documented). */
  EXIT_SIGNAL: 17,
  /** 18: authentication failed (e.g. a bad handshake signature). */
  AUTHENTICATION_FAILURE: 18,
  /** 19: the app did not reconnect in time after an interruption. */
  AWAIT_RECONNECTION_TIMEOUT: 19,
  /** 20: the app asked to end the stream (STREAM_CLOSE_REQ). */
  RECEIVER_REQUEST_CLOSE: 20,
  /** 21: Contact Center: the customer disconnected. */
  CUSTOMER_DISCONNECTED: 21,
  /** 22: Contact Center: the agent disconnected. */
  AGENT_DISCONNECTED: 22,
  /** 23: an admin disabled the app. */
  ADMIN_DISABLED_APP: 23,
  /** 24: three keep-alives went unanswered. */
  KEEP_ALIVE_TIMEOUT: 24,
  /** 25: Contact Center: stopped through the REST API. */
  MANUAL_API_TRIGGERED: 25,
  /** 26: Contact Center: the queue does not support streaming. */
  STREAMING_NOT_SUPPORTED: 26,
} as const;

/** `event_type` values for meetings, webinars and Video SDK sessions (RTMS_EVENT_TYPE). §4.6 [C2] */
export const EventType = {
  /** 0: no event type. */
  UNDEFINED: 0,
  /** 1: `timestamp` (ms) of the first media packet, the session's time reference; always sent. */
  FIRST_PACKET_TIMESTAMP: 1,
  /** 2: the active speaker changed (`user_id`, `user_name`). */
  ACTIVE_SPEAKER_CHANGE: 2,
  /** 3: participants joined (`participants: [{ user_id, user_name }]`). */
  PARTICIPANT_JOIN: 3,
  /** 4: participants left (`participants: [{ user_id }]`). */
  PARTICIPANT_LEAVE: 4,
  /** 5: someone started screen sharing (`user_id`, `user_name`); needs the screen-share scope. */
  SHARING_START: 5,
  /** 6: screen sharing stopped. */
  SHARING_STOP: 6,
  /** 7: Zoom dropped a media connection; reconnect media only. Always sent. */
  MEDIA_CONNECTION_INTERRUPTED: 7,
  /** 8: participants turned their video on (`participants: [{ user_id }]`); for individual video. */
  PARTICIPANT_VIDEO_ON: 8,
  /** 9: participants turned their video off (`participants: [{ user_id }]`). */
  PARTICIPANT_VIDEO_OFF: 9,
  /** 10: a chat group was created (body undocumented). */
  CHAT_GROUP_CREATE: 10,
  /** 11: a chat group was deleted (body undocumented). */
  CHAT_GROUP_DELETE: 11,
  /** 12: members were added to a chat group (body undocumented). */
  CHAT_GROUP_MEMBERS_ADD: 12,
  /** 13: members were removed from a chat group (body undocumented). */
  CHAT_GROUP_MEMBERS_DELETE: 13,
  /** 14: a chat-group member moved (breakout room, waiting room, backstage, left...). */
  CHAT_GROUP_MEMBER_STATUS_UPDATE: 14,
} as const;

/**
 * `event_type` values for Contact Center voice streams (RTMS_ZCC_VOICE_EVENT_TYPE). The numbers overlap
 * with {@link EventType} (8–14 mean different things), so naming an event needs the stream's product.
 * §4.6 [C2]; 30–34 exist but are unnamed in our sources.
 */
export const ZccEventType = {
  /** 0: no event type. */
  UNDEFINED: 0,
  /** 8: the consumer (customer) was connected to the engagement. */
  CONSUMER_ANSWERED: 8,
  /** 9: the consumer's leg ended. */
  CONSUMER_END: 9,
  /** 10: an agent answered. */
  USER_ANSWERED: 10,
  /** 11: the agent's leg ended. */
  USER_END: 11,
  /** 12: the agent put the call on hold. */
  USER_HOLD: 12,
  /** 13: the agent took the call off hold. */
  USER_UNHOLD: 13,
  /** 14: a supervisor started monitoring the engagement. */
  MONITOR_STARTED: 14,
  /** 15: a supervisor's monitoring changed mode. */
  MONITOR_TRANSITIONED: 15,
  /** 16: monitoring ended. */
  MONITOR_ENDED: 16,
  /** 17: a supervisor took over the engagement. */
  TAKEOVER_STARTED: 17,
  /** 18: a transfer was started. */
  TRANSFER_INITIATED: 18,
  /** 19: the transfer was canceled. */
  TRANSFER_CANCELED: 19,
  /** 20: the transfer target accepted. */
  TRANSFER_ACCEPTED: 20,
  /** 21: the transfer completed. */
  TRANSFER_COMPLETED: 21,
  /** 22: the transfer target rejected it. */
  TRANSFER_REJECTED: 22,
  /** 23: the transfer was not answered in time. */
  TRANSFER_TIMEOUT: 23,
  /** 24: a conference was canceled. */
  CONFERENCE_CANCELED: 24,
  /** 25: the invitation of a conference participant was canceled. */
  CONFERENCE_PARTICIPANT_CANCELED: 25,
  /** 26: a participant was invited into a conference. */
  CONFERENCE_PARTICIPANT_INVITED: 26,
  /** 27: an invited conference participant declined. */
  CONFERENCE_PARTICIPANT_REJECTED: 27,
  /** 28: an invited conference participant did not answer in time. */
  CONFERENCE_PARTICIPANT_TIMEOUT: 28,
  /** 29: a conference participant left. */
  CONFERENCE_PARTICIPANT_LEFT: 29,
} as const;

/** MEDIA_CONTENT_TYPE. §4.2 [C2] */
export const MediaContentType = {
  /** 0: not set. */
  UNDEFINED: 0,
  /** 1: RTP packets (audio). */
  RTP: 1,
  /** 2: raw audio payloads; the audio default. */
  RAW_AUDIO: 2,
  /** 3: raw video frames; the only value for video and screen share. */
  RAW_VIDEO: 3,
  /** 4: file stream; not used by this client. */
  FILE_STREAM: 4,
  /** 5: text; the only value for transcripts and chat. */
  TEXT: 5,
} as const;

/** MEDIA_PAYLOAD_TYPE (the `codec` field). §4.2 [C2] */
export const MediaCodec = {
  /** 0: not set. */
  UNDEFINED: 0,
  /** 1: 16-bit linear PCM (little-endian); the audio default. */
  L16: 1,
  /** 2: G.711 A-law (PCMA); 8 kHz mono. */
  G711: 2,
  /** 3: G.722; 16 kHz mono. */
  G722: 3,
  /** 4: Opus; requires 48 kHz. */
  OPUS: 4,
  /** 5: JPEG images; video default; at most 5 fps. */
  JPG: 5,
  /** 6: PNG images; at most 5 fps. */
  PNG: 6,
  /** 7: H.264; required above 5 fps (up to 30). */
  H264: 7,
} as const;

/** AUDIO_SAMPLE_RATE. §4.2 [C2] */
export const AudioSampleRate = {
  /** 0: 8000 Hz. */
  SR_8K: 0,
  /** 1: 16000 Hz; the default. */
  SR_16K: 1,
  /** 2: 32000 Hz. */
  SR_32K: 2,
  /** 3: 48000 Hz; required by Opus. */
  SR_48K: 3,
} as const;

/** Sample rate in Hz for each {@link AudioSampleRate} value. */
export const SAMPLE_RATE_HZ: Readonly<Record<number, number>> = { 0: 8000, 1: 16000, 2: 32000, 3: 48000 };

/** AUDIO_CHANNEL. §4.2 [C2] */
export const AudioChannel = {
  /** 1: one channel; the default. */
  MONO: 1,
  /** 2: two channels. */
  STEREO: 2,
} as const;

/** MEDIA_DATA_OPTION. 5 (gallery view) is absent from the current data-types page: not offered. §4.2 */
export const MediaDataOption = {
  /** 0: not set. */
  UNDEFINED: 0,
  /** 1: audio: one stream mixing everyone, `user_id` 0; the default. */
  AUDIO_MIXED_STREAM: 1,
  /** 2: audio: one stream per participant, each with its own `user_id` and timestamps. */
  AUDIO_MULTI_STREAMS: 2,
  /** 3: video: the active speaker's video; the default. */
  VIDEO_SINGLE_ACTIVE_STREAM: 3,
  /** 4: video: one participant chosen with VIDEO_SUBSCRIPTION_REQ; none until subscribed. */
  VIDEO_SINGLE_INDIVIDUAL_STREAM: 4,
} as const;

/** MEDIA_RESOLUTION. §4.2 [C2] */
export const MediaResolution = {
  /** 1: 854×480 or 640×360. */
  SD: 1,
  /** 2: 1280×720; the video default. */
  HD: 2,
  /** 3: 1920×1080; the screen-share default. */
  FHD: 3,
  /** 4: 2560×1440. */
  QHD: 4,
} as const;

/** RTMS_TRANSCRIPT_LANGUAGE (`src_language`, transcript `language`). §4.9 [C2] */
export const TranscriptLanguage = {
  /** -1: no language set: the server identifies it (language identification). */
  NONE: -1,
  /** 0: Arabic. */
  ARABIC: 0,
  /** 1: Bengali. */
  BENGALI: 1,
  /** 2: Cantonese. */
  CANTONESE: 2,
  /** 3: Catalan. */
  CATALAN: 3,
  /** 4: Chinese (Simplified). */
  CHINESE_SIMPLIFIED: 4,
  /** 5: Chinese (Traditional). */
  CHINESE_TRADITIONAL: 5,
  /** 6: Czech. */
  CZECH: 6,
  /** 7: Danish. */
  DANISH: 7,
  /** 8: Dutch. */
  DUTCH: 8,
  /** 9: English. */
  ENGLISH: 9,
  /** 10: Estonian. */
  ESTONIAN: 10,
  /** 11: Finnish. */
  FINNISH: 11,
  /** 12: French (Canada). */
  FRENCH_CANADA: 12,
  /** 13: French (France). */
  FRENCH_FRANCE: 13,
  /** 14: German. */
  GERMAN: 14,
  /** 15: Hebrew. */
  HEBREW: 15,
  /** 16: Hindi. */
  HINDI: 16,
  /** 17: Hungarian. */
  HUNGARIAN: 17,
  /** 18: Indonesian. */
  INDONESIAN: 18,
  /** 19: Italian. */
  ITALIAN: 19,
  /** 20: Japanese. */
  JAPANESE: 20,
  /** 21: Korean. */
  KOREAN: 21,
  /** 22: Malay. */
  MALAY: 22,
  /** 23: Persian. */
  PERSIAN: 23,
  /** 24: Polish. */
  POLISH: 24,
  /** 25: Portuguese. */
  PORTUGUESE: 25,
  /** 26: Romanian. */
  ROMANIAN: 26,
  /** 27: Russian. */
  RUSSIAN: 27,
  /** 28: Spanish. */
  SPANISH: 28,
  /** 29: Swedish. */
  SWEDISH: 29,
  /** 30: Tagalog. */
  TAGALOG: 30,
  /** 31: Tamil. */
  TAMIL: 31,
  /** 32: Telugu. */
  TELUGU: 32,
  /** 33: Thai. */
  THAI: 33,
  /** 34: Turkish. */
  TURKISH: 34,
  /** 35: Ukrainian. */
  UKRAINIAN: 35,
  /** 36: Vietnamese. */
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
