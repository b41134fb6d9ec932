/**
 * Zoom webhook primitives, framework-free: signature verification over the raw body (verify before parse),
 * URL-validation answers, and parsing a body into a typed RTMS webhook. Nothing here throws for bad input.
 * §6 of the protocol reference.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { RtmsErrorCode } from './errors.js';
import type { WebhookEvent } from './events.js';
import { readId, readInt, readNumber, readUrlList, value } from './protocol/fields.js';
import { PRODUCTS, parseLifecycleEvent, type RtmsLifecycleEvent, type RtmsProduct } from './protocol/products.js';

/** Header carrying `v0=<hex>`. */
export const SIGNATURE_HEADER = 'x-zm-signature';
/** Header carrying the Unix-seconds timestamp that is signed. */
export const TIMESTAMP_HEADER = 'x-zm-request-timestamp';
/** Event name of Zoom's endpoint check. */
export const URL_VALIDATION_EVENT = 'endpoint.url_validation';
/** Default replay window: 300 s either side (RS-WH, ZCC-S). */
export const DEFAULT_WEBHOOK_TOLERANCE_SECONDS = 300;

/** Request headers in any common shape: Node's `IncomingHttpHeaders`, a plain record, or a Fetch `Headers`. */
export type WebhookHeaders =
  | Readonly<Record<string, string | readonly string[] | undefined>>
  | {
      /** Fetch-style lookup: the header's value, or `null` when it is absent. */
      get(name: string): string | null;
    };

/** A raw body: the exact bytes Zoom sent. */
export type WebhookBody = string | Uint8Array;

/** Reads one header case-insensitively from any {@link WebhookHeaders}. */
export function getHeader(headers: WebhookHeaders | undefined, name: string): string | undefined {
  if (headers === undefined || headers === null || typeof headers !== 'object') return undefined;
  if (typeof (headers as { get?: unknown }).get === 'function') {
    try {
      const v = (headers as { get(name: string): string | null }).get(name);
      return typeof v === 'string' ? v : undefined;
    } catch {
      return undefined;
    }
  }
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(headers as Record<string, unknown>)) {
    if (k.toLowerCase() !== lower) continue;
    if (typeof v === 'string') return v;
    if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
  }
  return undefined;
}

/** The raw body as UTF-8 text. */
export function bodyText(body: WebhookBody): string {
  return typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
}

/** Size of the raw body in bytes. */
export function bodyByteLength(body: WebhookBody): number {
  return typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.byteLength;
}

/** `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{body}` keyed by the webhook secret token. */
export function computeWebhookSignature(secretToken: string, timestamp: string | number, body: WebhookBody): string {
  const mac = createHmac('sha256', secretToken);
  mac.update(`v0:${timestamp}:`, 'utf8');
  mac.update(typeof body === 'string' ? Buffer.from(body, 'utf8') : body);
  return `v0=${mac.digest('hex')}`;
}

/** `encryptedToken` for an `endpoint.url_validation` request: hex HMAC-SHA256 of `plainToken`. */
export function computeUrlValidationToken(secretToken: string, plainToken: string): string {
  return createHmac('sha256', secretToken).update(plainToken, 'utf8').digest('hex');
}

/** Outcome of {@link verifyWebhookSignature}. */
export type WebhookVerification =
  | {
      /** The signature matches and the timestamp is inside the replay window: the request is Zoom's. */
      readonly ok: true;
    }
  | {
      /** Verification failed: do not act on the request. */
      readonly ok: false;
      /**
       * Why: `RTMS_WEBHOOK_SIGNATURE_MISSING`, `RTMS_WEBHOOK_SIGNATURE_INVALID`, `RTMS_WEBHOOK_TIMESTAMP_INVALID`
       * (unparsable, outside the window, or a non-finite window or clock), `RTMS_WEBHOOK_BODY_INVALID` (not the
       * raw body) or `RTMS_WEBHOOK_NOT_CONFIGURED` (no secret token).
       */
      readonly code: Extract<RtmsErrorCode, `RTMS_WEBHOOK_${string}`>;
      /** Human-readable reason; never contains the token or a signature. */
      readonly message: string;
    };

/** Inputs of {@link verifyWebhookSignature}. */
export interface VerifyWebhookInput {
  /** The app's webhook Secret Token, the HMAC key; empty gives `RTMS_WEBHOOK_NOT_CONFIGURED`. */
  secretToken: string;
  /** Request headers; `x-zm-signature` and `x-zm-request-timestamp` are looked up case-insensitively. */
  headers: WebhookHeaders | undefined;
  /** The raw request body, byte for byte as received (re-serialised JSON may not match the signature). */
  body: WebhookBody;
  /** Replay window in seconds, either side of now. Default 300. */
  toleranceSeconds?: number;
  /** Now, in ms (for tests). Default `Date.now()`. */
  now?: number;
}

/**
 * Verifies `x-zm-signature` against the raw body, in constant time, and checks the timestamp is inside the
 * replay window. Never throws; the messages never contain the token or a signature.
 */
export function verifyWebhookSignature(input: VerifyWebhookInput): WebhookVerification {
  if (typeof input.body !== 'string' && !(input.body instanceof Uint8Array)) {
    return { ok: false, code: 'RTMS_WEBHOOK_BODY_INVALID', message: 'body must be the raw request body (string or bytes), not parsed JSON' };
  }
  if (typeof input.secretToken !== 'string' || input.secretToken.length === 0) {
    return { ok: false, code: 'RTMS_WEBHOOK_NOT_CONFIGURED', message: 'no webhook secret token to verify with' };
  }
  const signature = getHeader(input.headers, SIGNATURE_HEADER);
  const timestamp = getHeader(input.headers, TIMESTAMP_HEADER);
  if (signature === undefined || timestamp === undefined) {
    return { ok: false, code: 'RTMS_WEBHOOK_SIGNATURE_MISSING', message: `missing ${signature === undefined ? SIGNATURE_HEADER : TIMESTAMP_HEADER} header` };
  }
  if (!/^\d{1,15}$/.test(timestamp.trim())) {
    return { ok: false, code: 'RTMS_WEBHOOK_TIMESTAMP_INVALID', message: 'timestamp header is not a number of seconds' };
  }
  const tolerance = input.toleranceSeconds ?? DEFAULT_WEBHOOK_TOLERANCE_SECONDS;
  const nowMs = input.now ?? Date.now();
  // A NaN would make every comparison false and silently switch the replay check off: refuse instead.
  if (!Number.isFinite(tolerance) || tolerance < 0 || !Number.isFinite(nowMs)) {
    return { ok: false, code: 'RTMS_WEBHOOK_TIMESTAMP_INVALID', message: 'replay window or clock is not a finite number' };
  }
  const nowSec = nowMs / 1000;
  if (Math.abs(nowSec - Number(timestamp.trim())) > tolerance) {
    return { ok: false, code: 'RTMS_WEBHOOK_TIMESTAMP_INVALID', message: `timestamp is outside the ${tolerance} s replay window` };
  }
  const expected = Buffer.from(computeWebhookSignature(input.secretToken, timestamp.trim(), input.body), 'utf8');
  const given = Buffer.from(signature.trim(), 'utf8');
  // Length first (timingSafeEqual needs equal lengths), then constant-time comparison.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, code: 'RTMS_WEBHOOK_SIGNATURE_INVALID', message: 'signature does not match' };
  }
  return { ok: true };
}

/** A parsed webhook body, or why it is not one. */
export type ParsedWebhook =
  | { readonly ok: true; readonly webhook: WebhookEvent }
  | { readonly ok: false; readonly message: string };

/**
 * Parses `{ event, event_ts?, payload }`. Never throws. `event_ts` is read by the codec's field table (a numeric
 * string is a number; anything else that is not a number is absent).
 */
export function parseWebhookBody(text: string): ParsedWebhook {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, message: 'body is not valid JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { ok: false, message: 'body is not a JSON object' };
  const o = parsed as Record<string, unknown>;
  if (typeof o['event'] !== 'string' || o['event'].length === 0) return { ok: false, message: 'body has no event name' };
  const payload = o['payload'];
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return { ok: false, message: 'body has no payload object' };
  return { ok: true, webhook: { event: o['event'], eventTs: value(readNumber(o['event_ts'])), payload: payload as Record<string, unknown> } };
}

/**
 * Reads a payload field: directly under `payload` (OpenAPI, seeds, SDK, samples), falling back to
 * `payload.object` as some Zoom material shows (§6.1, §9.3).
 */
export function payloadField(payload: Readonly<Record<string, unknown>>, key: string): unknown {
  const direct = payload[key];
  if (direct !== undefined && direct !== null) return direct;
  const obj = payload['object'];
  if (typeof obj === 'object' && obj !== null && !Array.isArray(obj)) return (obj as Record<string, unknown>)[key];
  return undefined;
}

/** An RTMS lifecycle webhook, validated. */
export interface StreamWebhook {
  /** Product, from the event name's prefix. */
  readonly product: RtmsProduct;
  /** Lifecycle step: `rtms_started`, `rtms_stopped` or `rtms_interrupted`. */
  readonly step: RtmsLifecycleEvent;
  /**
   * `rtms_stream_id`; always present for `rtms_started`. A stop or interrupted webhook may lack it when it names
   * the product id instead (the Zoom Phone sample's stop payload carries only `call_id`, §6.2).
   */
  readonly streamId: string | undefined;
  /** Product id; present for `rtms_started`, optional otherwise. */
  readonly productId: string | undefined;
  /** `server_urls`; present for `rtms_started`. */
  readonly serverUrls: string | undefined;
  /** `stop_reason` ({@link StopReason}) of `rtms_stopped`; undefined when absent or not an integer (or integer string). */
  readonly stopReason: number | undefined;
}

/**
 * Validates an RTMS lifecycle webhook's payload. `undefined` for events that are not RTMS lifecycle events.
 *
 * Fields are read by the codec's field table, as frames are: ids may arrive as numbers (delivered as strings),
 * `stop_reason` as a numeric string, `server_urls` as a string, an array of strings or an object of strings, and
 * `null` is absent. Refused: `rtms_started` without a usable `rtms_stream_id`, product id or `server_urls`, and
 * a stop or interrupted webhook with neither `rtms_stream_id` nor the product id.
 */
export function readStreamWebhook(webhook: WebhookEvent): { ok: true; value: StreamWebhook } | { ok: false; message: string } | undefined {
  const kind = parseLifecycleEvent(webhook.event);
  if (kind === undefined) return undefined;
  const spec = PRODUCTS[kind.product];
  const p = webhook.payload;
  const streamId = value(readId(payloadField(p, 'rtms_stream_id')));
  let productId: string | undefined;
  for (const key of [spec.idField, ...spec.idFallbackFields]) {
    productId = value(readId(payloadField(p, key)));
    if (productId !== undefined) break;
  }
  // A stop or interrupted webhook may name the stream by its product id alone; rtms_started needs the stream id.
  if (streamId === undefined && (kind.step === 'rtms_started' || productId === undefined)) {
    return { ok: false, message: 'payload.rtms_stream_id is missing' };
  }
  const urls = value(readUrlList(payloadField(p, 'server_urls')));
  if (kind.step === 'rtms_started') {
    if (productId === undefined) return { ok: false, message: `payload.${spec.idField} is missing` };
    if (urls === undefined) return { ok: false, message: 'payload.server_urls is missing' };
  }
  return {
    ok: true,
    value: {
      product: kind.product,
      step: kind.step,
      streamId,
      productId,
      serverUrls: urls,
      stopReason: value(readInt(payloadField(p, 'stop_reason'))),
    },
  };
}
