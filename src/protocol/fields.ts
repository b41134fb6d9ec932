/**
 * The codec's reading policy, as one table: how every known field of an inbound message (and of a webhook body)
 * is read, whatever JSON type it arrives as. Be liberal in what you accept, but never guess:
 *
 * - a value of the documented type is taken as it is (the fast path: one `typeof` per field);
 * - a value of another type is normalised when it can be interpreted without guessing (a number sent as a
 *   decimal string, an id sent as a number);
 * - `null` means absent;
 * - a value that cannot be interpreted becomes `undefined`, and the decoder reports the field in its `dropped`
 *   list (the channel logs it at debug level); the rest of the message is still delivered;
 * - fields not in the table are left exactly as received, so users can still reach them (`content`, `body`).
 *
 * Only a message with no usable payload is an error: see {@link REQUIRED_FIELDS}. The same readers serve the
 * webhook parser, so webhook bodies get the same tolerance. docs/tolerant-reading.md prints this table; a unit
 * test keeps the two in step.
 *
 * Sources: protocol reference §3 (field types), §3.14 (`channel_id` typed string and int by different Zoom pages),
 * §3.8 (`user_id` a number in most examples, a string in Contact Center), §7.5 (`event_code`).
 */

/**
 * How one field is read.
 *
 * - `id`: an opaque identifier. Accepts a non-empty string, or a finite number (converted with `String(n)`).
 *   Delivered as a `string`. Never used for arithmetic.
 * - `userId`: a participant id. Accepts a finite number, or a string. A string holding a canonical decimal
 *   integer (`"16778240"`, no sign, no leading zero, at most 2^53 − 1) is delivered as that number, so the same
 *   participant has the same key whichever way the wire typed it; any other non-empty string is delivered as
 *   the string (Contact Center ids such as `"agent-7"`). Delivered as `number | string` ({@link UserIdValue}).
 * - `int`: an integer enum or count. Accepts an integer number, or a string holding a decimal integer
 *   (surrounding spaces allowed). Delivered as a `number`.
 * - `number`: a Unix time in ms, or another measure. Accepts a finite number, or a string holding a decimal
 *   number (surrounding spaces allowed). Delivered as a `number`.
 * - `text`: human-readable text. Accepts a string, or a finite number (converted with `String(n)`). Delivered as
 *   a `string`.
 * - `flag`: a boolean. Accepts `true`/`false`, or the strings `"true"`/`"false"`. Delivered as a `boolean`.
 * - `urls`: a map of media kind → URL. Accepts an object; keeps its string values. Delivered as
 *   `Record<string, string>`.
 * - `urlList`: the webhook's `server_urls`. Accepts a string (several URLs may be comma-separated, §1), an array
 *   of strings, or an object whose values are strings (the Zoom Phone sample tolerates both shapes, §6.2).
 *   Delivered as one comma-separated `string`, from which the client picks the `wss://` entry.
 * - `object`: a nested object read by its own rows (`media_params`, `event`). Accepts an object; anything else
 *   is dropped.
 * - `list`: a list of objects read by their own rows (`participants`). Accepts an array; entries that are not
 *   objects are skipped by the readers.
 */
export type FieldKind = 'id' | 'userId' | 'int' | 'number' | 'text' | 'flag' | 'urls' | 'urlList' | 'object' | 'list';

/** What each kind accepts and delivers, in words (docs/tolerant-reading.md prints these; a test compares). */
export const KIND_DESCRIPTIONS: Readonly<Record<FieldKind, { readonly accepts: string; readonly delivers: string }>> = {
  id: { accepts: 'non-empty string; finite number', delivers: '`string`' },
  userId: { accepts: 'finite number; decimal-integer string; other non-empty string', delivers: '`number` when a decimal integer, else `string`' },
  int: { accepts: 'integer; decimal-integer string', delivers: '`number`' },
  number: { accepts: 'finite number; decimal string', delivers: '`number`' },
  text: { accepts: 'string; finite number', delivers: '`string`' },
  flag: { accepts: 'boolean; `"true"` / `"false"`', delivers: '`boolean`' },
  urls: { accepts: 'object (string values kept)', delivers: '`Record<string, string>`' },
  urlList: { accepts: 'string; array of strings; object of strings', delivers: 'comma-separated `string`' },
  object: { accepts: 'object', delivers: 'the object, its own rows applied' },
  list: { accepts: 'array', delivers: 'the array, its entries\' rows applied' },
};

/** A participant id as delivered: a number when the id is a decimal integer, else the string. */
export type UserIdValue = number | string;

/** One row of the table. */
export interface FieldRule {
  /** Where the field lives: a message type name, `content` of media frames, `event` bodies, `webhook`, ... */
  readonly scope: FieldScope;
  /** The field's JSON key. */
  readonly field: string;
  /** How it is read. */
  readonly kind: FieldKind;
  /** Another key read when this one is absent (a documented disagreement between Zoom's sources). */
  readonly alias?: string;
}

/** The places fields live in. */
export type FieldScope =
  | 'envelope'
  | 'media content'
  | 'SIGNALING_HAND_SHAKE_RESP'
  | 'DATA_HAND_SHAKE_RESP'
  | 'media_params'
  | 'EVENT_UPDATE event'
  | 'participants[]'
  | 'participant_info'
  | 'STREAM_STATE_UPDATE'
  | 'SESSION_STATE_UPDATE'
  | 'SESSION_STATE_RESP'
  | 'STREAM_STATE_RESP'
  | 'STREAM_CLOSE_RESP'
  | 'VIDEO_SUBSCRIPTION_RESP'
  | 'webhook'
  | 'webhook payload';

/**
 * THE table. Each row is one field in one place. Rows are grouped by scope; within `every message`, the
 * envelope fields every inbound message may carry.
 */
export const FIELD_RULES: readonly FieldRule[] = [
  // Envelope of every inbound message except media frames (their top level carries nothing but `content`).
  { scope: 'envelope', field: 'msg_type', kind: 'int' },
  { scope: 'envelope', field: 'protocol_version', kind: 'int' },
  { scope: 'envelope', field: 'sequence', kind: 'int' },
  { scope: 'envelope', field: 'rtms_stream_id', kind: 'id' },
  { scope: 'envelope', field: 'timestamp', kind: 'number' },
  // Media frames 14–18: `content`.
  { scope: 'media content', field: 'user_id', kind: 'userId' },
  { scope: 'media content', field: 'user_name', kind: 'text' },
  { scope: 'media content', field: 'channel_id', kind: 'id' },
  { scope: 'media content', field: 'length', kind: 'int' },
  { scope: 'media content', field: 'timestamp', kind: 'number' },
  { scope: 'media content', field: 'start_time', kind: 'number' },
  { scope: 'media content', field: 'end_time', kind: 'number' },
  { scope: 'media content', field: 'language', kind: 'int' },
  { scope: 'media content', field: 'attribute', kind: 'int' },
  // Handshake responses.
  { scope: 'SIGNALING_HAND_SHAKE_RESP', field: 'status_code', kind: 'int', alias: 'status' },
  { scope: 'SIGNALING_HAND_SHAKE_RESP', field: 'reason', kind: 'text' },
  { scope: 'SIGNALING_HAND_SHAKE_RESP', field: 'media_server', kind: 'object' },
  { scope: 'SIGNALING_HAND_SHAKE_RESP', field: 'media_server.server_urls', kind: 'urls' },
  { scope: 'DATA_HAND_SHAKE_RESP', field: 'status_code', kind: 'int', alias: 'status' },
  { scope: 'DATA_HAND_SHAKE_RESP', field: 'reason', kind: 'text' },
  { scope: 'DATA_HAND_SHAKE_RESP', field: 'payload_encrypted', kind: 'flag', alias: 'payload_encryption' },
  { scope: 'DATA_HAND_SHAKE_RESP', field: 'media_params', kind: 'object' },
  // media_params.{audio,video,deskshare,transcript,chat} of DATA_HAND_SHAKE_RESP.
  { scope: 'media_params', field: 'content_type', kind: 'int' },
  { scope: 'media_params', field: 'codec', kind: 'int' },
  { scope: 'media_params', field: 'sample_rate', kind: 'int' },
  { scope: 'media_params', field: 'channel', kind: 'int' },
  { scope: 'media_params', field: 'data_opt', kind: 'int' },
  { scope: 'media_params', field: 'send_rate', kind: 'int' },
  { scope: 'media_params', field: 'resolution', kind: 'int' },
  { scope: 'media_params', field: 'fps', kind: 'int' },
  { scope: 'media_params', field: 'src_language', kind: 'int' },
  { scope: 'media_params', field: 'enable_lid', kind: 'flag' },
  // EVENT_UPDATE (6): the `event` object.
  { scope: 'EVENT_UPDATE event', field: 'event_type', kind: 'int' },
  { scope: 'EVENT_UPDATE event', field: 'event_code', kind: 'int' },
  { scope: 'EVENT_UPDATE event', field: 'timestamp', kind: 'number' },
  { scope: 'EVENT_UPDATE event', field: 'event_ts', kind: 'number' },
  { scope: 'EVENT_UPDATE event', field: 'user_id', kind: 'userId' },
  { scope: 'EVENT_UPDATE event', field: 'user_name', kind: 'text' },
  { scope: 'EVENT_UPDATE event', field: 'participants', kind: 'list' },
  { scope: 'EVENT_UPDATE event', field: 'participant_info', kind: 'object', alias: 'paticipant_info' },
  { scope: 'participants[]', field: 'user_id', kind: 'userId' },
  { scope: 'participants[]', field: 'user_name', kind: 'text' },
  { scope: 'participant_info', field: 'channel_id', kind: 'id' },
  { scope: 'participant_info', field: 'user_id', kind: 'id' },
  { scope: 'participant_info', field: 'participant_mode', kind: 'text' },
  { scope: 'participant_info', field: 'display_name', kind: 'text' },
  { scope: 'participant_info', field: 'phone_number', kind: 'text' },
  { scope: 'participant_info', field: 'queue_id', kind: 'id' },
  { scope: 'participant_info', field: 'queue_name', kind: 'text' },
  // State updates and responses.
  { scope: 'STREAM_STATE_UPDATE', field: 'state', kind: 'int' },
  { scope: 'STREAM_STATE_UPDATE', field: 'reason', kind: 'int', alias: 'stop_reason' },
  { scope: 'SESSION_STATE_UPDATE', field: 'state', kind: 'int' },
  { scope: 'SESSION_STATE_UPDATE', field: 'stop_reason', kind: 'int', alias: 'reason' },
  { scope: 'SESSION_STATE_UPDATE', field: 'rtms_session_id', kind: 'id', alias: 'session_id' },
  { scope: 'SESSION_STATE_RESP', field: 'state', kind: 'int' },
  { scope: 'SESSION_STATE_RESP', field: 'rtms_session_id', kind: 'id' },
  { scope: 'STREAM_STATE_RESP', field: 'state', kind: 'int' },
  { scope: 'STREAM_CLOSE_RESP', field: 'status_code', kind: 'int', alias: 'status' },
  { scope: 'STREAM_CLOSE_RESP', field: 'reason', kind: 'text' },
  { scope: 'VIDEO_SUBSCRIPTION_RESP', field: 'status_code', kind: 'int', alias: 'status' },
  { scope: 'VIDEO_SUBSCRIPTION_RESP', field: 'user_id', kind: 'userId' },
  { scope: 'VIDEO_SUBSCRIPTION_RESP', field: 'reason', kind: 'text' },
  // Webhook bodies: `{ event, event_ts, payload }`, read flat with a `payload.object` fallback (§6.1).
  { scope: 'webhook', field: 'event_ts', kind: 'number' },
  { scope: 'webhook payload', field: 'rtms_stream_id', kind: 'id' },
  { scope: 'webhook payload', field: 'meeting_uuid', kind: 'id' },
  { scope: 'webhook payload', field: 'webinar_uuid', kind: 'id' },
  { scope: 'webhook payload', field: 'session_id', kind: 'id' },
  { scope: 'webhook payload', field: 'engagement_id', kind: 'id' },
  { scope: 'webhook payload', field: 'call_id', kind: 'id' },
  { scope: 'webhook payload', field: 'server_urls', kind: 'urlList' },
  { scope: 'webhook payload', field: 'stop_reason', kind: 'int' },
  { scope: 'webhook payload', field: 'operator_id', kind: 'id' },
  { scope: 'webhook payload', field: 'concurrency_limit', kind: 'int' },
  { scope: 'webhook payload', field: 'concurrency_number', kind: 'int' },
  { scope: 'webhook payload', field: 'percentage', kind: 'number' },
];

/**
 * Fields without which a message has no usable payload; a message lacking one (or holding one that cannot be
 * interpreted) is an `RTMS_FRAME_INVALID` error. Everything else is optional.
 *
 * - every message: `msg_type`;
 * - media frames 14–18: `content.data`, a string (base64 or text). A bare string `content` is taken as `data`;
 * - handshake responses and VIDEO_SUBSCRIPTION_RESP: `status_code` (or `status`): without it the answer says nothing;
 * - EVENT_UPDATE: an `event` object with `event_type` or `event_code`;
 * - STREAM_STATE_UPDATE, SESSION_STATE_UPDATE: `state`;
 * - a webhook body: `event`, a non-empty string, and a `payload` object (else 400).
 *
 * KEEP_ALIVE_REQ's `timestamp` is the one field never normalised: it is echoed back exactly as received.
 */
export const REQUIRED_FIELDS: Readonly<Record<string, readonly string[]>> = {
  'envelope': ['msg_type'],
  'media content': ['data'],
  SIGNALING_HAND_SHAKE_RESP: ['status_code'],
  DATA_HAND_SHAKE_RESP: ['status_code'],
  VIDEO_SUBSCRIPTION_RESP: ['status_code'],
  'EVENT_UPDATE event': ['event_type or event_code'],
  STREAM_STATE_UPDATE: ['state'],
  SESSION_STATE_UPDATE: ['state'],
  webhook: ['event (a non-empty string)', 'payload (an object)'],
};

// ---------------------------------------------------------------------------------------------------------
// Readers: one per kind. Each returns the delivered value, or undefined when the value is absent (undefined,
// null) or cannot be interpreted. `INVALID` tells the two apart for callers that report dropped fields.
// ---------------------------------------------------------------------------------------------------------

/** Marker for a present value that could not be interpreted. */
export const INVALID: unique symbol = Symbol('invalid');

const DECIMAL_INT = /^\s*-?\d{1,16}\s*$/;
const DECIMAL_NUMBER = /^\s*-?\d{1,16}(?:\.\d+)?\s*$/;
const CANONICAL_UINT = /^(?:0|[1-9]\d{0,15})$/;

/** `int`: an integer number or a decimal-integer string. */
export function readInt(v: unknown): number | undefined | typeof INVALID {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? v : INVALID;
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string' && DECIMAL_INT.test(v)) {
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : INVALID;
  }
  return INVALID;
}

/** `number`: a finite number or a decimal-number string. */
export function readNumber(v: unknown): number | undefined | typeof INVALID {
  if (typeof v === 'number') return Number.isFinite(v) ? v : INVALID;
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string' && DECIMAL_NUMBER.test(v)) return Number(v);
  return INVALID;
}

/** `id`: a non-empty string, or a finite number as a string. */
export function readId(v: unknown): string | undefined | typeof INVALID {
  if (typeof v === 'string') return v.length > 0 ? v : undefined;
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return INVALID;
}

/** `userId`: a finite number, a canonical decimal-integer string as that number, or another non-empty string. */
export function readUserId(v: unknown): UserIdValue | undefined | typeof INVALID {
  if (typeof v === 'number') return Number.isFinite(v) ? v : INVALID;
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') {
    if (v.length === 0) return undefined;
    if (CANONICAL_UINT.test(v)) {
      const n = Number(v);
      if (Number.isSafeInteger(n)) return n;
    }
    return v;
  }
  return INVALID;
}

/** `text`: a string, or a finite number as a string. */
export function readText(v: unknown): string | undefined | typeof INVALID {
  if (typeof v === 'string') return v;
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return INVALID;
}

/** `flag`: a boolean, or `"true"` / `"false"`. */
export function readFlag(v: unknown): boolean | undefined | typeof INVALID {
  if (typeof v === 'boolean') return v;
  if (v === undefined || v === null) return undefined;
  if (v === 'true') return true;
  if (v === 'false') return false;
  return INVALID;
}

/** `urls`: the string values of an object. */
export function readUrls(v: unknown): Record<string, string> | undefined | typeof INVALID {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) return INVALID;
  const out: Record<string, string> = {};
  for (const [k, u] of Object.entries(v)) if (typeof u === 'string') out[k] = u;
  return out;
}

/** `urlList`: a string, an array of strings, or an object of strings, as one comma-separated string. */
export function readUrlList(v: unknown): string | undefined | typeof INVALID {
  if (typeof v === 'string') return v.length > 0 ? v : undefined;
  if (v === undefined || v === null) return undefined;
  const parts = Array.isArray(v) ? v : isObject(v) ? Object.values(v) : undefined;
  if (parts === undefined) return INVALID;
  const urls = parts.filter((u): u is string => typeof u === 'string' && u.length > 0);
  return urls.length > 0 ? urls.join(',') : INVALID;
}

/** True for a plain JSON object (not an array, not null). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A reader's result without the `INVALID` marker: what the user gets. */
export function value<T>(v: T | typeof INVALID): T | undefined {
  return v === INVALID ? undefined : v;
}

/** Reads `field` with the reader of `kind`; `INVALID` for a value that cannot be interpreted. */
export function readKind(kind: FieldKind, v: unknown): unknown {
  switch (kind) {
    case 'int':
      return readInt(v);
    case 'number':
      return readNumber(v);
    case 'id':
      return readId(v);
    case 'userId':
      return readUserId(v);
    case 'text':
      return readText(v);
    case 'flag':
      return readFlag(v);
    case 'urls':
      return readUrls(v);
    case 'urlList':
      return readUrlList(v);
    case 'object':
      return v === undefined || v === null ? undefined : isObject(v) ? v : INVALID;
    case 'list':
      return v === undefined || v === null ? undefined : Array.isArray(v) ? v : INVALID;
  }
}

/** The rows of one scope, as `[field, kind, alias]` tuples in table order (precomputed for the decoder's loops). */
export function rowsOf(scope: FieldScope): Rows {
  return FIELD_RULES.filter((r) => r.scope === scope && !r.field.includes('.')).map((r) => [r.field, r.kind, r.alias] as const);
}

/** True when `v` already has the delivered type of `kind` (nothing to convert). */
function isDelivered(kind: FieldKind, v: unknown): boolean {
  switch (kind) {
    case 'int':
      return typeof v === 'number' && Number.isSafeInteger(v);
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'id':
    case 'urlList':
      return typeof v === 'string' && v.length > 0;
    case 'userId':
      return (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v.length > 0 && !CANONICAL_UINT.test(v));
    case 'text':
      return typeof v === 'string';
    case 'flag':
      return typeof v === 'boolean';
    case 'urls':
      return false;
    case 'object':
      return isObject(v);
    case 'list':
      return Array.isArray(v);
  }
}

/**
 * The media-content fast path: true when every field of the `media content` rows is absent or already of its
 * delivered type, so {@link normaliseInPlace} would change nothing. It reads each field under a constant key
 * (monomorphic property loads: a few nanoseconds per frame, against ~100 ns for the table-driven loop), and runs
 * for every media frame; the general loop runs only for frames that drifted. `test/unit/fields.test.ts` checks it
 * against the table: it must say false whenever the loop would change something.
 */
export function mediaContentDelivered(c: Record<string, unknown>): boolean {
  const userId = c['user_id'];
  if (userId !== undefined && !(typeof userId === 'number' && Number.isFinite(userId))) return false;
  const userName = c['user_name'];
  if (userName !== undefined && typeof userName !== 'string') return false;
  const channelId = c['channel_id'];
  if (channelId !== undefined && !(typeof channelId === 'string' && channelId.length > 0)) return false;
  const length = c['length'];
  if (length !== undefined && !Number.isSafeInteger(length)) return false;
  const timestamp = c['timestamp'];
  if (timestamp !== undefined && !(typeof timestamp === 'number' && Number.isFinite(timestamp))) return false;
  const start = c['start_time'];
  if (start !== undefined && !(typeof start === 'number' && Number.isFinite(start))) return false;
  const end = c['end_time'];
  if (end !== undefined && !(typeof end === 'number' && Number.isFinite(end))) return false;
  const language = c['language'];
  if (language !== undefined && !Number.isSafeInteger(language)) return false;
  const attribute = c['attribute'];
  return attribute === undefined || Number.isSafeInteger(attribute);
}

/** Precomputed rows of one scope. */
export type Rows = ReadonlyArray<readonly [field: string, kind: FieldKind, alias: string | undefined]>;

/**
 * Normalises the fields of one scope in `obj`, in place: each known field is replaced by its delivered value (or
 * `undefined`); an alias fills an absent field. Fields the table does not name are left as received. Names of
 * fields that held something uninterpretable are added to `dropped` (prefixed with `path`), which is returned
 * (allocated only when something was dropped).
 */
export function normaliseInPlace(obj: Record<string, unknown>, rows: Rows, path: string, dropped: string[] | undefined): string[] | undefined {
  for (let i = 0; i < rows.length; i++) {
    // Index access, not destructuring: this loop runs for every media frame.
    const row = rows[i]!;
    const field = row[0];
    const kind = row[1];
    const alias = row[2];
    let raw = obj[field];
    // Fast path: absent, or already the delivered type (the common case on a well-behaved server).
    if (raw === undefined && alias === undefined) continue;
    if (raw !== undefined && raw !== null && isDelivered(kind, raw)) continue;
    let fromAlias = false;
    if ((raw === undefined || raw === null) && alias !== undefined) {
      const a = obj[alias];
      if (a !== undefined && a !== null) {
        raw = a;
        fromAlias = true;
      }
    }
    if (raw === undefined) continue;
    const v = readKind(kind, raw);
    if (v === INVALID) {
      (dropped ??= []).push(`${path}${fromAlias ? alias : field}`);
      obj[field] = undefined;
    } else {
      obj[field] = v;
      // The alias, when it supplied the value, reads the same (one value under both names).
      if (fromAlias) obj[alias!] = v;
    }
  }
  return dropped;
}
