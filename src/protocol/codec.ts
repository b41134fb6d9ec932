/**
 * The V1 codec: JSON frames in (text, or binary frames holding UTF-8 JSON), normalised typed messages out; typed
 * messages in, JSON text out.
 *
 * Pure: no I/O, no timers, never throws. Reading follows one policy, the table in {@link FIELD_RULES}: known
 * fields are normalised in place (numbers sent as strings, ids sent as numbers, `null` as absent), fields that
 * cannot be interpreted become `undefined` and are listed in the result's `dropped`, unknown fields stay as
 * received. Only a frame with no usable payload is an error ({@link REQUIRED_FIELDS}): `RTMS_FRAME_INVALID`. A
 * binary frame that is not UTF-8 JSON (a protocol V2 protobuf frame, for instance, whose definitions Zoom has not
 * published) is `RTMS_FRAME_UNSUPPORTED`. A `msg_type` the client never expects becomes an `unhandled` value the
 * session logs and skips. Media payloads are validated but not decoded here: base64 is decoded only when someone
 * listens (see the session).
 *
 * A second wire format (protocol V2 protobuf) would be a second module with the same `decode` contract; the
 * channels take the codec through {@link FrameCodec}.
 */
import { RtmsError } from '../errors.js';
import { MsgType, PROTOCOL_VERSION } from './constants.js';
import { isObject, mediaContentDelivered, normaliseInPlace, readInt, rowsOf, type Rows } from './fields.js';
import type { InboundMessage, MediaKind, WireUserId } from './messages.js';

/** Outcome of decoding one frame. */
export type DecodeResult =
  | {
      readonly kind: 'message';
      readonly message: InboundMessage;
      /** Fields that held a value the codec could not interpret and now read as `undefined` (for a debug log). */
      readonly dropped?: readonly string[];
    }
  | { readonly kind: 'unhandled'; readonly msgType: number; readonly known: boolean }
  | { readonly kind: 'error'; readonly error: RtmsError };

/** The seam a channel decodes through; V1 JSON is the only implementation today. */
export interface FrameCodec {
  /**
   * Decodes one frame, text or binary, into a message, an `unhandled` note or an error (`RTMS_FRAME_INVALID`,
   * or `RTMS_FRAME_UNSUPPORTED` for a binary frame that is not UTF-8 JSON); never throws.
   */
  decode(frame: string | Uint8Array): DecodeResult;
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

const ENVELOPE = rowsOf('envelope').filter(([field]) => field !== 'msg_type');
const CONTENT = rowsOf('media content');
const SIGNALING_RESP = rowsOf('SIGNALING_HAND_SHAKE_RESP');
const DATA_RESP = rowsOf('DATA_HAND_SHAKE_RESP');
const MEDIA_PARAMS = rowsOf('media_params');
const EVENT = rowsOf('EVENT_UPDATE event');
const PARTICIPANT = rowsOf('participants[]');
const PARTICIPANT_INFO = rowsOf('participant_info');
const BY_TYPE: Readonly<Record<number, Rows>> = {
  [MsgType.STREAM_STATE_UPDATE]: rowsOf('STREAM_STATE_UPDATE'),
  [MsgType.SESSION_STATE_UPDATE]: rowsOf('SESSION_STATE_UPDATE'),
  [MsgType.SESSION_STATE_RESP]: rowsOf('SESSION_STATE_RESP'),
  [MsgType.STREAM_STATE_RESP]: rowsOf('STREAM_STATE_RESP'),
  [MsgType.STREAM_CLOSE_RESP]: rowsOf('STREAM_CLOSE_RESP'),
  [MsgType.VIDEO_SUBSCRIPTION_RESP]: rowsOf('VIDEO_SUBSCRIPTION_RESP'),
};

const utf8 = new TextDecoder('utf-8', { fatal: true });

function invalid(message: string, cause?: unknown): DecodeResult {
  return { kind: 'error', error: new RtmsError('RTMS_FRAME_INVALID', message, { cause }) };
}

function unsupported(bytes: Uint8Array): DecodeResult {
  const first = bytes[0];
  const firstByte = first === undefined ? 'none' : `0x${first.toString(16).padStart(2, '0')}`;
  return {
    kind: 'error',
    error: new RtmsError(
      'RTMS_FRAME_UNSUPPORTED',
      `binary frame is not UTF-8 JSON (${bytes.byteLength} bytes, first byte ${firstByte}); possibly protocol V2 protobuf, which this client does not decode`,
      { frame: { byteLength: bytes.byteLength, firstByte: first } },
    ),
  };
}

function message(m: Obj, dropped: string[] | undefined): DecodeResult {
  return dropped === undefined ? { kind: 'message', message: m as unknown as InboundMessage } : { kind: 'message', message: m as unknown as InboundMessage, dropped };
}

/** Normalises an optional nested object field: a non-object becomes undefined (and is reported). */
function nested(o: Obj, field: string, rows: Rows, path: string, dropped: string[] | undefined): string[] | undefined {
  const v = o[field];
  if (!isObject(v)) return dropped;
  return normaliseInPlace(v, rows, `${path}${field}.`, dropped);
}

function decodeMedia(o: Obj, msgType: number): DecodeResult {
  let content = o['content'];
  // Some samples treat `content` as a bare string (§3.14 defensive notes): wrap it.
  if (typeof content === 'string') {
    content = { data: content };
    o['content'] = content;
  }
  if (!isObject(content)) return invalid(`msg_type ${msgType}: content must be an object`);
  if (typeof content['data'] !== 'string') return invalid(`msg_type ${msgType}: content.data must be a string`);
  // The hot path: a well-typed frame needs no normalising (see mediaContentDelivered).
  if (mediaContentDelivered(content)) return { kind: 'message', message: o as unknown as InboundMessage };
  return message(o, normaliseInPlace(content, CONTENT, 'content.', undefined));
}

function noStatus(name: string): DecodeResult {
  return invalid(`${name}: status_code must be an integer`);
}

function decodeObject(parsed: unknown): DecodeResult {
  if (!isObject(parsed)) return invalid('frame is not a JSON object');
  const raw = parsed['msg_type'];
  let msgType: number;
  if (typeof raw === 'number' && Number.isSafeInteger(raw)) msgType = raw;
  else {
    const read = readInt(raw);
    if (typeof read !== 'number') return invalid('frame has no integer msg_type');
    msgType = read;
    parsed['msg_type'] = msgType;
  }
  // Media frames first: they are nearly every frame of a stream.
  if (msgType >= MsgType.MEDIA_DATA_AUDIO && msgType <= MsgType.MEDIA_DATA_CHAT) return decodeMedia(parsed, msgType);
  switch (msgType) {
    case MsgType.MEDIA_DATA_AUDIO:
    case MsgType.MEDIA_DATA_VIDEO:
    case MsgType.MEDIA_DATA_SHARE:
    case MsgType.MEDIA_DATA_TRANSCRIPT:
    case MsgType.MEDIA_DATA_CHAT:
      return decodeMedia(parsed, msgType);
    case MsgType.KEEP_ALIVE_REQ:
      // The one field never normalised: the answer echoes `timestamp` exactly as received (§3.6).
      return message(parsed, undefined);
    case MsgType.SIGNALING_HAND_SHAKE_RESP: {
      // status_code falls back to `status` (RS-PY, §3.2).
      let d = normaliseInPlace(parsed, SIGNALING_RESP, '', normaliseInPlace(parsed, ENVELOPE, '', undefined));
      if (typeof parsed['status_code'] !== 'number') return noStatus('SIGNALING_HAND_SHAKE_RESP');
      const ms = parsed['media_server'];
      if (isObject(ms)) d = normaliseInPlace(ms, [['server_urls', 'urls', undefined]], 'media_server.', d);
      return message(parsed, d);
    }
    case MsgType.DATA_HAND_SHAKE_RESP: {
      // payload_encrypted is also spelt payload_encryption (§3.4, §9.7).
      let d = normaliseInPlace(parsed, DATA_RESP, '', normaliseInPlace(parsed, ENVELOPE, '', undefined));
      if (typeof parsed['status_code'] !== 'number') return noStatus('DATA_HAND_SHAKE_RESP');
      parsed['payload_encrypted'] = parsed['payload_encrypted'] === true;
      const mp = parsed['media_params'];
      if (isObject(mp)) for (const kind of Object.keys(mp)) d = nested(mp, kind, MEDIA_PARAMS, 'media_params.', d);
      return message(parsed, d);
    }
    case MsgType.EVENT_UPDATE: {
      let d = normaliseInPlace(parsed, ENVELOPE, '', undefined);
      const ev = parsed['event'];
      if (!isObject(ev)) return invalid('EVENT_UPDATE: event must be an object');
      d = normaliseInPlace(ev, EVENT, 'event.', d);
      if (ev['event_type'] === undefined && ev['event_code'] === undefined) {
        return invalid('EVENT_UPDATE: event has no integer event_type or event_code');
      }
      const list = ev['participants'];
      if (Array.isArray(list)) {
        for (const p of list) if (isObject(p)) d = normaliseInPlace(p, PARTICIPANT, 'event.participants[].', d);
      }
      d = nested(ev, 'participant_info', PARTICIPANT_INFO, 'event.', d);
      return message(parsed, d);
    }
    case MsgType.STREAM_STATE_UPDATE:
    case MsgType.SESSION_STATE_UPDATE: {
      const d = normaliseInPlace(parsed, BY_TYPE[msgType]!, '', normaliseInPlace(parsed, ENVELOPE, '', undefined));
      if (typeof parsed['state'] !== 'number') {
        return invalid(`${msgType === MsgType.STREAM_STATE_UPDATE ? 'STREAM' : 'SESSION'}_STATE_UPDATE: state must be an integer`);
      }
      return message(parsed, d);
    }
    case MsgType.VIDEO_SUBSCRIPTION_RESP: {
      const d = normaliseInPlace(parsed, BY_TYPE[msgType]!, '', normaliseInPlace(parsed, ENVELOPE, '', undefined));
      if (typeof parsed['status_code'] !== 'number') return noStatus('VIDEO_SUBSCRIPTION_RESP');
      return message(parsed, d);
    }
    case MsgType.STREAM_CLOSE_RESP:
    case MsgType.SESSION_STATE_RESP:
    case MsgType.STREAM_STATE_RESP:
      return message(parsed, normaliseInPlace(parsed, BY_TYPE[msgType]!, '', normaliseInPlace(parsed, ENVELOPE, '', undefined)));
    case MsgType.META_DATA_AUDIO:
    case MsgType.META_DATA_VIDEO:
    case MsgType.META_DATA_SHARE:
    case MsgType.META_DATA_TRANSCRIPT:
    case MsgType.META_DATA_CHAT:
      // Shapes undocumented: passed on as received.
      return message(parsed, undefined);
    default:
      return { kind: 'unhandled', msgType, known: KNOWN_MSG_TYPES.has(msgType) };
  }
}

/**
 * Decodes one frame. Text is parsed as JSON; bytes (a binary WebSocket frame) are decoded as UTF-8 and then
 * handled exactly like text, since Zoom's servers may send JSON in binary frames (§3.14). Never throws.
 */
export function decode(frame: string | Uint8Array): DecodeResult {
  let parsed: unknown;
  if (typeof frame === 'string') {
    try {
      parsed = JSON.parse(frame);
    } catch (err) {
      return invalid('frame is not valid JSON', err);
    }
    return decodeObject(parsed);
  }
  let text: string;
  try {
    text = utf8.decode(frame);
    parsed = JSON.parse(text);
  } catch {
    return unsupported(frame);
  }
  return decodeObject(parsed);
}

/** The V1 JSON codec as a {@link FrameCodec}. */
export const jsonCodec: FrameCodec = { decode };

// ---------------------------------------------------------------------------------------------------------
// Outgoing messages (app → Zoom)
// ---------------------------------------------------------------------------------------------------------

/** Fields common to both handshakes. */
export interface HandshakeFields {
  /** `sequence` of this message on its socket (starts at 1); omitted from the message when undefined. */
  sequence: number | undefined;
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

/**
 * DATA_HAND_SHAKE_REQ (3). §3.3. The session sends it without `sequence`: every client Zoom wrote omits it on the
 * media handshake and is accepted, while only the docs' examples carry it (§9.5, the reference's advice).
 */
export function encodeDataHandshake(
  f: HandshakeFields & { mediaType: number; mediaParams?: Record<string, unknown>; payloadEncryption?: boolean },
): string {
  return JSON.stringify({
    msg_type: MsgType.DATA_HAND_SHAKE_REQ,
    protocol_version: PROTOCOL_VERSION,
    ...(f.sequence === undefined ? {} : { sequence: f.sequence }),
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
export function encodeKeepAliveResp(timestamp: unknown): string {
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
