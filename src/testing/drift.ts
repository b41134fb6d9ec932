/**
 * Benign drift: the variations a live RTMS server's JSON shows, or that Zoom's own sources disagree on, applied
 * to a message the simulator is about to send. Each drift keeps the message's meaning, so a tolerant client
 * must deliver exactly what it would have delivered without it. Written from the protocol reference, not from
 * the SDK's codec table, so that a test driving one against the other checks something.
 *
 * - `binary`: the frame goes out as a binary WebSocket frame holding the same UTF-8 JSON (§3.14: Zoom's
 *   troubleshooting guide says its servers may do this).
 * - `stringIds`: numeric participant ids become decimal strings (`user_id` 16778240 → `"16778240"`; §3.8:
 *   Contact Center sends string ids).
 * - `numericIds`: ids that are decimal strings become numbers (`channel_id` `"1"` → 1; §3.14: one Zoom page types
 *   `channel_id` as `int`; also `rtms_session_id`, `rtms_stream_id`).
 * - `numericStrings`: numeric fields become decimal strings (`timestamp`, `start_time`, `end_time`, `language`,
 *   `length`, `status_code`, `state`, `reason`, `stop_reason`, `event_type`, `event_ts`, `sequence`, media
 *   parameters, ...). A keep-alive's `timestamp` is left alone: the client must echo it as sent.
 * - `nulls`: optional fields that are absent are sent as `null` (`user_name`, `channel_id`, `attribute`, ...).
 * - `extraFields`: fields no documentation names are added at the top level and inside `content` / `event`.
 * - `eventCode`: EVENT_UPDATE gains an `event_code` beside `event_type`, as protocol V2 adds (§7.5). Zoom has
 *   published no `event_code` table, so the value is the simulator's own opaque number (1000 + `event_type`),
 *   which a client must pass on and never interpret.
 */

/** One kind of benign drift. */
export type DriftKind = 'binary' | 'stringIds' | 'numericIds' | 'numericStrings' | 'nulls' | 'extraFields' | 'eventCode';

/** Every drift kind. */
export const DRIFT_KINDS: readonly DriftKind[] = ['binary', 'stringIds', 'numericIds', 'numericStrings', 'nulls', 'extraFields', 'eventCode'];

/** Drift settings of the simulator (`drift` option), or `true` for the defaults. */
export interface DriftOptions {
  /** Which drifts to apply. Default: all of {@link DRIFT_KINDS}. */
  kinds?: readonly DriftKind[];
  /** Probability that each chosen kind applies to a given frame, 0–1. Default 0.5, so frames mix drifts. */
  rate?: number;
  /** Seed of the drift choices: the same seed drifts the same frames the same way. Default 1. */
  seed?: number;
}

/** The offset of the simulator's opaque `event_code` values (see the module comment). */
export const SIM_EVENT_CODE_BASE = 1000;

const STRING_ID_FIELDS = new Set(['user_id']);
const NUMERIC_ID_FIELDS = new Set(['channel_id', 'rtms_session_id', 'rtms_stream_id']);
const NUMERIC_FIELDS = new Set([
  'timestamp',
  'start_time',
  'end_time',
  'language',
  'length',
  'attribute',
  'status_code',
  'state',
  'reason',
  'stop_reason',
  'event_type',
  'event_code',
  'event_ts',
  'sequence',
  'protocol_version',
  'content_type',
  'codec',
  'sample_rate',
  'channel',
  'data_opt',
  'send_rate',
  'resolution',
  'fps',
  'src_language',
]);
/** Optional fields that may be sent as null when absent, per place. */
const NULLABLE: Readonly<Record<'top' | 'content' | 'event', readonly string[]>> = {
  top: ['sequence', 'rtms_stream_id'],
  content: ['user_name', 'channel_id', 'attribute', 'length'],
  event: ['user_name'],
};
const CANONICAL_DECIMAL = /^(?:0|[1-9]\d{0,14})$/;
const KEEP_ALIVE_REQ = 12;
const EVENT_UPDATE = 6;

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Walks an object tree, changing ids and numbers by the chosen drifts. */
function walk(o: Obj, pick: (k: DriftKind) => boolean): void {
  for (const [key, v] of Object.entries(o)) {
    if (isObj(v)) {
      walk(v, pick);
      continue;
    }
    if (Array.isArray(v)) {
      for (const item of v) if (isObj(item)) walk(item, pick);
      continue;
    }
    if (typeof v === 'number' && STRING_ID_FIELDS.has(key) && pick('stringIds')) o[key] = String(v);
    else if (typeof v === 'string' && NUMERIC_ID_FIELDS.has(key) && CANONICAL_DECIMAL.test(v) && pick('numericIds')) o[key] = Number(v);
    else if (typeof v === 'number' && Number.isSafeInteger(v) && NUMERIC_FIELDS.has(key) && pick('numericStrings')) o[key] = String(v);
  }
}

function addNulls(o: Obj, fields: readonly string[]): void {
  for (const f of fields) if (!(f in o)) o[f] = null;
}

/**
 * Applies drifts to a copy of `message`; `pick(kind)` decides, for each place a kind could apply, whether it
 * does. Returns the frame to send: text, or bytes for a `binary` drift. The input is not changed.
 */
export function driftFrame(message: Readonly<Record<string, unknown>>, pick: (kind: DriftKind) => boolean): string | Buffer {
  const o = structuredClone(message) as Obj;
  const type = o['msg_type'];
  const isKeepAlive = type === KEEP_ALIVE_REQ;
  const content = o['content'];
  const event = o['event'];
  if (type === EVENT_UPDATE && isObj(event) && typeof event['event_type'] === 'number' && event['event_code'] === undefined && pick('eventCode')) {
    event['event_code'] = SIM_EVENT_CODE_BASE + event['event_type'];
  }
  // A keep-alive's timestamp must come back exactly as sent: it is not drifted.
  if (!isKeepAlive) walk(o, pick);
  if (pick('nulls')) {
    // Media frames carry nothing at the top level but msg_type and content.
    if (!isKeepAlive && !isObj(content)) addNulls(o, NULLABLE.top);
    if (isObj(content)) addNulls(content, NULLABLE.content);
    if (isObj(event)) addNulls(event, NULLABLE.event);
  }
  if (pick('extraFields')) {
    o['x_sim_unknown'] = { note: 'a field no documentation names', n: 1 };
    if (isObj(content)) content['x_sim_unknown'] = 'kept as received';
    if (isObj(event)) event['x_sim_unknown'] = ['kept', 'as', 'received'];
  }
  const text = JSON.stringify(o);
  return pick('binary') ? Buffer.from(text, 'utf8') : text;
}

/** A seeded source of drift choices (mulberry32): reproducible runs. */
export class Drifter {
  readonly #kinds: ReadonlySet<DriftKind>;
  readonly #rate: number;
  #state: number;

  /**
   * Validates the settings and seeds the choices.
   *
   * @param options - The simulator's `drift` setting.
   * @throws Error for an unknown kind or a rate outside 0–1.
   */
  constructor(options: DriftOptions = {}) {
    const kinds = options.kinds ?? DRIFT_KINDS;
    for (const k of kinds) if (!DRIFT_KINDS.includes(k)) throw new Error(`unknown drift kind ${String(k)}`);
    const rate = options.rate ?? 0.5;
    if (!(rate >= 0 && rate <= 1)) throw new Error('drift rate must be between 0 and 1');
    this.#kinds = new Set(kinds);
    this.#rate = rate;
    this.#state = (options.seed ?? 1) >>> 0;
  }

  /** The frame to send for `message`, drifted by this drifter's choices. */
  frame(message: Readonly<Record<string, unknown>>): string | Buffer {
    return driftFrame(message, (k) => this.#kinds.has(k) && this.#next() < this.#rate);
  }

  #next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}
