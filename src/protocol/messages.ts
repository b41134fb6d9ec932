/**
 * Wire message types (snake_case, as they travel). Incoming types describe what the codec delivers after
 * normalising each known field by the table in `fields.ts`: fields marked required are present with the stated
 * type; every other known field is either absent (`undefined`) or of the stated type. Extra fields are kept as
 * received.
 */
import type { MsgType } from './constants.js';
import type { UserIdValue } from './fields.js';

type M = typeof MsgType;

/**
 * A user id: on the wire a number for meetings and a string in some Contact Center payloads (§3.8); after
 * decoding, a number whenever the id is a decimal integer, else the string.
 */
export type WireUserId = UserIdValue;

/** SIGNALING_HAND_SHAKE_RESP (2). §3.2 */
export interface WireSignalingHandshakeResp {
  msg_type: M['SIGNALING_HAND_SHAKE_RESP'];
  /** Normalised by the codec from `status_code` or, failing that, `status` (RS-PY). */
  status_code: number;
  reason?: string;
  sequence?: number;
  protocol_version?: number;
  media_server?: {
    /** Map of media kind (`audio`, `video`, `transcript`, `all`, ...) to a media URL; only string values are kept. */
    server_urls?: Record<string, string>;
    [key: string]: unknown;
  };
}

/** DATA_HAND_SHAKE_RESP (4). §3.4 */
export interface WireDataHandshakeResp {
  msg_type: M['DATA_HAND_SHAKE_RESP'];
  status_code: number;
  reason?: string;
  sequence?: number;
  protocol_version?: number;
  /** Normalised by the codec from `payload_encrypted` or `payload_encryption` (§9.7). */
  payload_encrypted?: boolean;
  media_params?: Record<string, unknown>;
}

/** EVENT_UPDATE (6). The `event` body depends on `event_type` and the product. §3.8 */
export interface WireEventUpdate {
  msg_type: M['EVENT_UPDATE'];
  /**
   * The event body. At least one of `event_type` (V1, numbered per product) and `event_code` (V2's globally
   * unique code, §7.5; Zoom Phone sends only this one) is present.
   */
  event: { event_type?: number; event_code?: number; timestamp?: number; event_ts?: number; [key: string]: unknown };
}

/** STREAM_STATE_UPDATE (8). `reason` is normalised from `reason ?? stop_reason` (§9.6). */
export interface WireStreamStateUpdate {
  msg_type: M['STREAM_STATE_UPDATE'];
  state: number;
  reason?: number;
  timestamp?: number;
  rtms_stream_id?: string;
}

/** SESSION_STATE_UPDATE (9). `stop_reason` is normalised from `stop_reason ?? reason` (§9.6). */
export interface WireSessionStateUpdate {
  msg_type: M['SESSION_STATE_UPDATE'];
  state: number;
  stop_reason?: number;
  timestamp?: number;
  rtms_session_id?: string;
}

/** SESSION_STATE_RESP (11). §3.11 [C1] */
export interface WireSessionStateResp {
  msg_type: M['SESSION_STATE_RESP'];
  rtms_session_id?: string;
  state?: number;
  timestamp?: number;
}

/** STREAM_STATE_RESP (20). §3.11 [C1]; the doc example's timestamp is in seconds. */
export interface WireStreamStateResp {
  msg_type: M['STREAM_STATE_RESP'];
  state?: number;
  rtms_stream_id?: string;
  timestamp?: number;
}

/** STREAM_CLOSE_RESP (22). §3.12 */
export interface WireStreamCloseResp {
  msg_type: M['STREAM_CLOSE_RESP'];
  status_code: number;
  reason?: string;
  rtms_stream_id?: string;
  timestamp?: number;
}

/** VIDEO_SUBSCRIPTION_RESP (29). §3.13 */
export interface WireVideoSubscriptionResp {
  msg_type: M['VIDEO_SUBSCRIPTION_RESP'];
  status_code: number;
  user_id?: WireUserId;
  reason?: string;
  timestamp?: number;
}

/** KEEP_ALIVE_REQ (12), on every socket. The `timestamp` is echoed back unchanged. §3.6 */
export interface WireKeepAliveReq {
  msg_type: M['KEEP_ALIVE_REQ'];
  /** Echoed back exactly as received, whatever its type (the one field the codec never normalises). */
  timestamp?: unknown;
}

/** `content` of a media frame (14–18). §3.14 */
export interface WireMediaContent {
  /** Base64 bytes (audio, video, share) or text (transcript, chat). */
  data: string;
  user_id?: WireUserId;
  user_name?: string;
  /** Contact Center and Zoom Phone: the channel of one party (a number on the wire is converted to a string). */
  channel_id?: string;
  length?: number;
  timestamp?: number;
  start_time?: number;
  end_time?: number;
  language?: number;
  attribute?: number;
  [key: string]: unknown;
}

/** Media frame kinds, in `msg_type` order 14–18. */
export type MediaKind = 'audio' | 'video' | 'share' | 'transcript' | 'chat';

/** A media frame (14–18) whose `content` the codec has validated. */
export interface WireMediaFrame {
  msg_type:
    | M['MEDIA_DATA_AUDIO']
    | M['MEDIA_DATA_VIDEO']
    | M['MEDIA_DATA_SHARE']
    | M['MEDIA_DATA_TRANSCRIPT']
    | M['MEDIA_DATA_CHAT'];
  content: WireMediaContent;
}

/** META_DATA_* (23–27): shapes undocumented; passed on as received. */
export interface WireMetadata {
  msg_type:
    | M['META_DATA_AUDIO']
    | M['META_DATA_VIDEO']
    | M['META_DATA_SHARE']
    | M['META_DATA_TRANSCRIPT']
    | M['META_DATA_CHAT'];
  [key: string]: unknown;
}

/**
 * A message type the codec knows but the client never expects to receive (one it sends itself, such as
 * KEEP_ALIVE_RESP), or a number it does not know. Reported at debug level and skipped.
 */
export interface WireUnhandled {
  msg_type: number;
  /** True when `msg_type` is not in the protocol's table at all. */
  unknown: boolean;
  [key: string]: unknown;
}

/** Any frame the codec accepts from an RTMS server. */
export type InboundMessage =
  | WireSignalingHandshakeResp
  | WireDataHandshakeResp
  | WireEventUpdate
  | WireStreamStateUpdate
  | WireSessionStateUpdate
  | WireSessionStateResp
  | WireStreamStateResp
  | WireStreamCloseResp
  | WireVideoSubscriptionResp
  | WireKeepAliveReq
  | WireMediaFrame
  | WireMetadata;
