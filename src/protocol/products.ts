/**
 * The RTMS products and how each one names its stream's parent id in webhooks, the handshake signature and
 * the handshake messages. §5.2 and §6.2 of the protocol reference.
 */

/**
 * The RTMS products this SDK streams. `phone` (Zoom Phone, added in Zoom's November 2026 release) is
 * experimental: its wire details rest on a single Zoom sample (protocol reference §6.4) and may change.
 */
export type RtmsProduct = 'meeting' | 'webinar' | 'session' | 'contact_center' | 'phone';

/** How one product maps onto the wire. */
export interface ProductSpec {
  readonly product: RtmsProduct;
  /** Webhook event prefix; `${prefix}rtms_started` etc. */
  readonly webhookPrefix: string;
  /** Other prefixes the same webhooks have been seen under (Zoom Phone was renamed during development, §6.2). */
  readonly webhookAliasPrefixes: readonly string[];
  /** Payload field holding the id that is signed; read first. */
  readonly idField: string;
  /** Payload fields tried after {@link idField}, in order (a documented disagreement, §9.4). */
  readonly idFallbackFields: readonly string[];
  /** JSON keys the id is sent under in both handshakes (all with the same value). */
  readonly handshakeKeys: readonly string[];
  /**
   * How audio frames and transcripts name their party: `user` (`user_id`, `user_name`) for the meeting-like
   * products, `channel` (`channel_id`, one per party, no user) for Contact Center and Zoom Phone (§3.14).
   */
  readonly partyKey: 'user' | 'channel';
  /**
   * Which table names this product's event numbers: the meeting table (`EventType`), the Contact Center
   * table (`ZccEventType`; numbers overlap the meeting table), or none (Zoom Phone publishes no table, and
   * its numbers must not be read through the Contact Center one, §4.6).
   */
  readonly eventTable: 'meeting' | 'contact_center' | 'none';
}

/**
 * Product table.
 *
 * - Meetings: `meeting_uuid` everywhere. [C2] (D-EVT, D-QS-MTG, all samples)
 * - Webinars: the webhook carries `webinar_uuid` (D-WH, SDK-TS, RS-JS, RS-PY; SKILLS says `meeting_uuid`, so we
 *   fall back to it). The handshake key is disputed: RS-JS sends `meeting_uuid`, RS-PY `webinar_uuid`. We send
 *   both with the same value, as the reference recommends (§5.2, §9.2). [CONFLICT]
 * - Video SDK: `session_id` is signed; RS-VSDK sends `meeting_uuid` = session_id plus `session_id`, RS-PY only
 *   `session_id`. We send both (§5.2). [CONFLICT]
 * - Contact Center voice: `engagement_id` everywhere. [C2] (D-QS-ZCC, ZCC-S, RS-PY)
 * - Zoom Phone: `call_id` in the webhook, the signature and both handshakes; audio and transcripts keyed by
 *   `channel_id` as in Contact Center; webhooks `phone.rtms_*` and the alias `phone.call_rtms_*`. [C1]: one
 *   sample by a Zoom employee (ZP-S), written before the November 2026 release; the names may change.
 */
export const PRODUCTS: Readonly<Record<RtmsProduct, ProductSpec>> = {
  meeting: {
    product: 'meeting',
    webhookPrefix: 'meeting.',
    idField: 'meeting_uuid',
    webhookAliasPrefixes: [],
    idFallbackFields: [],
    handshakeKeys: ['meeting_uuid'],
    partyKey: 'user',
    eventTable: 'meeting',
  },
  webinar: {
    product: 'webinar',
    webhookPrefix: 'webinar.',
    idField: 'webinar_uuid',
    webhookAliasPrefixes: [],
    idFallbackFields: ['meeting_uuid'],
    handshakeKeys: ['meeting_uuid', 'webinar_uuid'],
    partyKey: 'user',
    eventTable: 'meeting',
  },
  session: {
    product: 'session',
    webhookPrefix: 'session.',
    idField: 'session_id',
    webhookAliasPrefixes: [],
    idFallbackFields: [],
    handshakeKeys: ['meeting_uuid', 'session_id'],
    partyKey: 'user',
    eventTable: 'meeting',
  },
  contact_center: {
    product: 'contact_center',
    webhookPrefix: 'contact_center.voice_',
    idField: 'engagement_id',
    webhookAliasPrefixes: [],
    idFallbackFields: [],
    handshakeKeys: ['engagement_id'],
    partyKey: 'channel',
    eventTable: 'contact_center',
  },
  phone: {
    product: 'phone',
    webhookPrefix: 'phone.',
    webhookAliasPrefixes: ['phone.call_'],
    idField: 'call_id',
    idFallbackFields: [],
    handshakeKeys: ['call_id'],
    partyKey: 'channel',
    eventTable: 'none',
  },
};

/** Every handshake key any product uses; a handshake must carry no key outside its own product's list. */
export const ALL_HANDSHAKE_ID_KEYS: readonly string[] = ['meeting_uuid', 'webinar_uuid', 'session_id', 'engagement_id', 'call_id'];

/** Every product, in a stable order. */
export const RTMS_PRODUCTS: readonly RtmsProduct[] = ['meeting', 'webinar', 'session', 'contact_center', 'phone'];

/** True for a product name this SDK knows. */
export function isRtmsProduct(v: unknown): v is RtmsProduct {
  return typeof v === 'string' && (RTMS_PRODUCTS as readonly string[]).includes(v);
}

/** The lifecycle webhooks per product. */
export type RtmsLifecycleEvent = 'rtms_started' | 'rtms_stopped' | 'rtms_interrupted';

/**
 * Splits a webhook event name such as `contact_center.voice_rtms_started` into product and lifecycle step. Zoom
 * Phone's `phone.call_rtms_started` (and stopped, interrupted) is read as `phone.rtms_started`.
 *
 * @returns `undefined` for any event that is not an RTMS lifecycle webhook.
 */
export function parseLifecycleEvent(event: string): { product: RtmsProduct; step: RtmsLifecycleEvent } | undefined {
  for (const spec of Object.values(PRODUCTS)) {
    for (const prefix of [spec.webhookPrefix, ...spec.webhookAliasPrefixes]) {
      if (!event.startsWith(prefix)) continue;
      const step = event.slice(prefix.length);
      if (step === 'rtms_started' || step === 'rtms_stopped' || step === 'rtms_interrupted') {
        return { product: spec.product, step };
      }
    }
  }
  return undefined;
}
