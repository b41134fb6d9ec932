/**
 * The RTMS products and how each one names its stream's parent id in webhooks, the handshake signature and
 * the handshake messages. §5.2 and §6.2 of the protocol reference.
 */

/** The RTMS products this SDK streams. */
export type RtmsProduct = 'meeting' | 'webinar' | 'session' | 'contact_center';

/** How one product maps onto the wire. */
export interface ProductSpec {
  readonly product: RtmsProduct;
  /** Webhook event prefix; `${prefix}rtms_started` etc. */
  readonly webhookPrefix: string;
  /** Payload field holding the id that is signed; read first. */
  readonly idField: string;
  /** Payload fields tried after {@link idField}, in order (a documented disagreement, §9.4). */
  readonly idFallbackFields: readonly string[];
  /** JSON keys the id is sent under in both handshakes (all with the same value). */
  readonly handshakeKeys: readonly string[];
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
 */
export const PRODUCTS: Readonly<Record<RtmsProduct, ProductSpec>> = {
  meeting: {
    product: 'meeting',
    webhookPrefix: 'meeting.',
    idField: 'meeting_uuid',
    idFallbackFields: [],
    handshakeKeys: ['meeting_uuid'],
  },
  webinar: {
    product: 'webinar',
    webhookPrefix: 'webinar.',
    idField: 'webinar_uuid',
    idFallbackFields: ['meeting_uuid'],
    handshakeKeys: ['meeting_uuid', 'webinar_uuid'],
  },
  session: {
    product: 'session',
    webhookPrefix: 'session.',
    idField: 'session_id',
    idFallbackFields: [],
    handshakeKeys: ['meeting_uuid', 'session_id'],
  },
  contact_center: {
    product: 'contact_center',
    webhookPrefix: 'contact_center.voice_',
    idField: 'engagement_id',
    idFallbackFields: [],
    handshakeKeys: ['engagement_id'],
  },
};

/** Every handshake key any product uses; a handshake must carry no key outside its own product's list. */
export const ALL_HANDSHAKE_ID_KEYS: readonly string[] = ['meeting_uuid', 'webinar_uuid', 'session_id', 'engagement_id'];

/** The lifecycle webhooks per product. */
export type RtmsLifecycleEvent = 'rtms_started' | 'rtms_stopped' | 'rtms_interrupted';

/**
 * Splits a webhook event name such as `contact_center.voice_rtms_started` into product and lifecycle step.
 *
 * @returns `undefined` for any event that is not an RTMS lifecycle webhook.
 */
export function parseLifecycleEvent(event: string): { product: RtmsProduct; step: RtmsLifecycleEvent } | undefined {
  for (const spec of Object.values(PRODUCTS)) {
    if (!event.startsWith(spec.webhookPrefix)) continue;
    const step = event.slice(spec.webhookPrefix.length);
    if (step === 'rtms_started' || step === 'rtms_stopped' || step === 'rtms_interrupted') {
      return { product: spec.product, step };
    }
  }
  return undefined;
}
