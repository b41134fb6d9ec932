/**
 * The V1 codec: JSON text frames in, validated typed messages out; typed messages in, JSON text out.
 *
 * Pure: no I/O, no timers, never throws. A frame that is not JSON, not an object, lacks an integer `msg_type`,
 * or has a known `msg_type` with missing or wrongly typed fields becomes an `RTMS_FRAME_INVALID` error value.
 * A `msg_type` the client never expects (or that the protocol does not define) becomes an `unhandled` value
 * the session logs and skips. Media payloads are validated but not decoded here: base64 is decoded only when
 * someone listens (see the session).
 *
 * A second wire format (protocol V2, protobuf) would be a second module with the same `decode` contract; the
 * channels take the codec through {@link FrameCodec}.
 */
import { RtmsError } from '../errors.js';
import { MsgType, PROTOCOL_VERSION } from './constants.js';
import type {
  InboundMessage,
  MediaKind,
  WireMediaContent,
  WireUserId,
} from './messages.js';

/** Outcome of decoding one frame. */
export type DecodeResult =
  | { readonly kind: 'message'; readonly message: InboundMessage }
  | { readonly kind: 'unhandled'; readonly msgType: number; readonly known: boolean }
  | { readonly kind: 'error'; readonly error: RtmsError };

/** The seam a channel decodes through; V1 JSON is the only implementation today. */
export interface FrameCodec {
  /** Decodes one text frame into a message, an `unhandled` note or an `RTMS_FRAME_INVALID` error; never throws. */
  decode(frame: string): DecodeResult;
}

/** Media kind for each media `msg_type` (14–18). */
export const MEDIA_KIND_BY_MSG_TYPE: Readonly<Record<number, MediaKind>> = {
  [MsgType.MEDIA_DATA_AUDIO]: 'audio',
  [MsgType.MEDIA_DATA_VIDEO]: 'video',
  [MsgType.MEDIA_DATA_SHARE]: 'share',
  [MsgType.MEDIA_DATA_TRANSCRIPT]: 'transcript',
  [MsgType.MEDIA_DATA_CHAT]: 'chat',
};

const KNOWN_MSG_TYPES: ReadonlySet<number> = new Set(Object.values(MsgType));

type Obj = Record<string, unknown>;

function invalid(message: string, cause?: unknown): DecodeResult {
  return { kind: 'error', error: new RtmsError('RTMS_FRAME_INVALID', message, { cause }) };
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

function optType(o: Obj, key: string, type: 'string' | 'number' | 'boolean'): boolean {
  const v = o[key];
  return v === undefined || v === null || typeof v === type;
}

function isUserId(v: unknown): v is WireUserId | undefined {
  return v === undefined || v === null || typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
}

/** Reads `status_code`, falling back to `status` (RS-PY, §3.2). */
function readStatus(o: Obj): number | undefined {
  const v = o['status_code'] ?? o['status'];
  return isInt(v) ? v : undefined;
}

function decodeMediaContent(o: Obj, msgType: number): WireMediaContent | string {
  let content = o['content'];
  // Some samples treat `content` as a bare string (§3.14 defensive notes): wrap it.
  if (typeof content === 'string') {
    content = { data: content };
    o['content'] = content;
  }
  if (!isObj(content)) return `msg_type ${msgType}: content must be an object`;
  if (typeof content['data'] !== 'string') return `msg_type ${msgType}: content.data must be a string`;
  if (!isUserId(content['user_id'])) return `msg_type ${msgType}: content.user_id must be a number or string`;
  if (!optType(content, 'user_name', 'string')) return `msg_type ${msgType}: content.user_name must be a string`;
  if (!optType(content, 'channel_id', 'string')) return `msg_type ${msgType}: content.channel_id must be a string`;
  if (!optType(content, 'timestamp', 'number')) return `msg_type ${msgType}: content.timestamp must be a number`;
  if (!optType(content, 'length', 'number')) return `msg_type ${msgType}: content.length must be a number`;
  if (msgType === MsgType.MEDIA_DATA_TRANSCRIPT) {
    if (!optType(content, 'start_time', 'number')) return 'transcript: content.start_time must be a number';
    if (!optType(content, 'end_time', 'number')) return 'transcript: content.end_time must be a number';
    if (!optType(content, 'language', 'number')) return 'transcript: content.language must be a number';
  }
  return content as WireMediaContent;
}

/** V1 JSON decoding of one text frame. Never throws. */
export function decode(frame: string): DecodeResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(frame);
  } catch (err) {
    return invalid('frame is not valid JSON', err);
  }
  if (!isObj(parsed)) return invalid('frame is not a JSON object');
  const msgType = parsed['msg_type'];
  if (!isInt(msgType)) return invalid('frame has no integer msg_type');

  switch (msgType) {
    case MsgType.MEDIA_DATA_AUDIO:
    case MsgType.MEDIA_DATA_VIDEO:
    case MsgType.MEDIA_DATA_SHARE:
    case MsgType.MEDIA_DATA_TRANSCRIPT:
    case MsgType.MEDIA_DATA_CHAT: {
      const content = decodeMediaContent(parsed, msgType);
      if (typeof content === 'string') return invalid(content);
      return { kind: 'message', message: parsed as unknown as InboundMessage };
    }
    case MsgType.KEEP_ALIVE_REQ: {
      const ts = parsed['timestamp'];
      if (ts !== undefined && typeof ts !== 'number' && typeof ts !== 'string') {
        return invalid('KEEP_ALIVE_REQ: timestamp must be a number');
      }
      return { kind: 'message', message: parsed as unknown as InboundMessage };
    }
    case MsgType.SIGNALING_HAND_SHAKE_RESP: {
      const status = readStatus(parsed);
      if (status === undefined) return invalid('SIGNALING_HAND_SHAKE_RESP: status_code must be an integer');
      parsed['status_code'] = status;
      if (!optType(parsed, 'reason', 'string')) return invalid('SIGNALING_HAND_SHAKE_RESP: reason must be a string');
      const ms = parsed['media_server'];
      if (ms !== undefined && ms !== null) {
        if (!isObj(ms)) return invalid('SIGNALING_HAND_SHAKE_RESP: media_server must be an object');
        const urls = ms['server_urls'];
        if (urls !== undefined && urls !== null) {
          if (!isObj(urls)) return invalid('SIGNALING_HAND_SHAKE_RESP: media_server.server_urls must be an object');
          const clean: Record<string, string> = {};
          for (const [k, v] of Object.entries(urls)) if (typeof v === 'string') clean[k] = v;
          ms['server_urls'] = clean;
        }
      }
      return { kind: 'message', message: parsed as unknown as InboundMessage };
    }
    case MsgType.DATA_HAND_SHAKE_RESP: {
      const status = readStatus(parsed);
      if (status === undefined) return invalid('DATA_HAND_SHAKE_RESP: status_code must be an integer');
      parsed['status_code'] = status;
      if (!optType(parsed, 'reason', 'string')) return invalid('DATA_HAND_SHAKE_RESP: reason must be a string');
      // The docs name this field both ways (§3.4, §9.7): read both.
      const enc = parsed['payload_encrypted'] ?? parsed['payload_encryption'];
      if (enc !== undefined && typeof enc !== 'boolean') return invalid('DATA_HAND_SHAKE_RESP: payload_encrypted must be a boolean');
      parsed['payload_encrypted'] = enc === true;
      if (parsed['media_params'] !== undefined && !isObj(parsed['media_params'])) {
        return invalid('DATA_HAND_SHAKE_RESP: media_params must be an object');
      }
      return { kind: 'message', message: parsed as unknown as InboundMessage };
    }
    case MsgType.EVENT_UPDATE: {
      const ev = parsed['event'];
      if (!isObj(ev) || !isInt(ev['event_type'])) return invalid('EVENT_UPDATE: event.event_type must be an integer');
      return { kind: 'message', message: parsed as unknown as InboundMessage };
    }
    case MsgType.STREAM_STATE_UPDATE: {
      if (!isInt(parsed['state'])) return invalid('STREAM_STATE_UPDATE: state must be an integer');
      const reason = parsed['reason'] ?? parsed['stop_reason'];
      if (reason !== undefined && reason !== null && !isInt(reason)) return invalid('STREAM_STATE_UPDATE: reason must be an integer');
      parsed['reason'] = reason ?? undefined;
      return { kind: 'message', message: parsed as unknown as InboundMessage };
    }
    case MsgType.SESSION_STATE_UPDATE: {
      if (!isInt(parsed['state'])) return invalid('SESSION_STATE_UPDATE: state must be an integer');
      const reason = parsed['stop_reason'] ?? parsed['reason'];
      if (reason !== undefined && reason !== null && !isInt(reason)) return invalid('SESSION_STATE_UPDATE: stop_reason must be an integer');
      parsed['stop_reason'] = reason ?? undefined;
      if (parsed['rtms_session_id'] === undefined && typeof parsed['session_id'] === 'string') {
        parsed['rtms_session_id'] = parsed['session_id']; // MOCK spelling, §3.10 [C1]
      }
      return { kind: 'message', message: parsed as unknown as InboundMessage };
    }
    case MsgType.STREAM_CLOSE_RESP:
    case MsgType.VIDEO_SUBSCRIPTION_RESP: {
      const status = readStatus(parsed);
      if (status === undefined) return invalid(`msg_type ${msgType}: status_code must be an integer`);
      parsed['status_code'] = status;
      return { kind: 'message', message: parsed as unknown as InboundMessage };
    }
    case MsgType.SESSION_STATE_RESP:
    case MsgType.STREAM_STATE_RESP:
    case MsgType.META_DATA_AUDIO:
    case MsgType.META_DATA_VIDEO:
    case MsgType.META_DATA_SHARE:
    case MsgType.META_DATA_TRANSCRIPT:
    case MsgType.META_DATA_CHAT:
      return { kind: 'message', message: parsed as unknown as InboundMessage };
    default:
      return { kind: 'unhandled', msgType, known: KNOWN_MSG_TYPES.has(msgType) };
  }
}

/** The V1 JSON codec as a {@link FrameCodec}. */
export const jsonCodec: FrameCodec = { decode };

// ---------------------------------------------------------------------------------------------------------
// Outgoing messages (app → Zoom)
// ---------------------------------------------------------------------------------------------------------

/** Fields common to both handshakes. */
export interface HandshakeFields {
  /** `sequence` of this message on its socket (starts at 1). */
  sequence: number;
  /** Id keys and their value (several keys share one value for webinars and Video SDK, §5.2). */
  idKeys: readonly string[];
  /** The product id (meeting UUID, webinar UUID, session id or engagement id) sent under every key. */
  idValue: string;
  /** `rtms_stream_id` from the webhook. */
  streamId: string;
  /** Lowercase hex HMAC-SHA256 handshake signature; the same value on signaling and media. */
  signature: string;
}

function idObject(f: HandshakeFields): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of f.idKeys) out[k] = f.idValue;
  return out;
}

/** SIGNALING_HAND_SHAKE_REQ (1). §3.1 */
export function encodeSignalingHandshake(f: HandshakeFields & { bufferData?: boolean }): string {
  return JSON.stringify({
    msg_type: MsgType.SIGNALING_HAND_SHAKE_REQ,
    protocol_version: PROTOCOL_VERSION,
    sequence: f.sequence,
    ...idObject(f),
    rtms_stream_id: f.streamId,
    signature: f.signature,
    ...(f.bufferData === undefined ? {} : { buffer_data: f.bufferData }),
  });
}

/** DATA_HAND_SHAKE_REQ (3). §3.3 */
export function encodeDataHandshake(
  f: HandshakeFields & { mediaType: number; mediaParams?: Record<string, unknown>; payloadEncryption?: boolean },
): string {
  return JSON.stringify({
    msg_type: MsgType.DATA_HAND_SHAKE_REQ,
    protocol_version: PROTOCOL_VERSION,
    sequence: f.sequence,
    ...idObject(f),
    rtms_stream_id: f.streamId,
    signature: f.signature,
    media_type: f.mediaType,
    payload_encryption: f.payloadEncryption ?? false,
    ...(f.mediaParams === undefined ? {} : { media_params: f.mediaParams }),
  });
}

/** CLIENT_READY_ACK (7), sent on the signaling socket. §3.5 */
export function encodeClientReadyAck(streamId: string): string {
  return JSON.stringify({ msg_type: MsgType.CLIENT_READY_ACK, rtms_stream_id: streamId });
}

/** KEEP_ALIVE_RESP (13): echoes the request's timestamp unchanged. §3.6 */
export function encodeKeepAliveResp(timestamp: number | string | undefined): string {
  return JSON.stringify({ msg_type: MsgType.KEEP_ALIVE_RESP, timestamp });
}

/** EVENT_SUBSCRIPTION (5). §3.7 */
export function encodeEventSubscription(events: readonly { eventType: number; subscribe: boolean }[]): string {
  return JSON.stringify({
    msg_type: MsgType.EVENT_SUBSCRIPTION,
    events: events.map((e) => ({ event_type: e.eventType, subscribe: e.subscribe })),
  });
}

/** STREAM_CLOSE_REQ (21). §3.12 */
export function encodeStreamCloseReq(streamId: string): string {
  return JSON.stringify({ msg_type: MsgType.STREAM_CLOSE_REQ, rtms_stream_id: streamId });
}

/** STREAM_STATE_REQ (19). §3.11 */
export function encodeStreamStateReq(streamId: string): string {
  return JSON.stringify({ msg_type: MsgType.STREAM_STATE_REQ, rtms_stream_id: streamId });
}

/** SESSION_STATE_REQ (10). §3.11 */
export function encodeSessionStateReq(rtmsSessionId: string): string {
  return JSON.stringify({ msg_type: MsgType.SESSION_STATE_REQ, rtms_session_id: rtmsSessionId });
}

/** VIDEO_SUBSCRIPTION_REQ (28). §3.13 */
export function encodeVideoSubscriptionReq(userId: WireUserId, subscribe: boolean, timestamp: number): string {
  return JSON.stringify({ msg_type: MsgType.VIDEO_SUBSCRIPTION_REQ, user_id: userId, subscribe, timestamp });
}
