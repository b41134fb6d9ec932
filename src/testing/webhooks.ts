/**
 * Builders for signed Zoom webhook requests, for testing a webhook endpoint (ours or the user's).
 */
import { computeWebhookSignature } from '../webhook.js';

/** A webhook request ready to send: raw body and headers, signed when a token was given. */
export interface SignedWebhook {
  /** Headers including `content-type`, and `x-zm-signature` / `x-zm-request-timestamp` when signed. */
  readonly headers: Record<string, string>;
  /** The raw JSON body. */
  readonly body: string;
  /** The body as an object. */
  readonly json: {
    /** Event name, such as `meeting.rtms_started`. */
    event: string;
    /** Event time, Unix ms (`eventTs`, default now). */
    event_ts: number;
    /** The payload given to {@link buildWebhook}. */
    payload: Record<string, unknown>;
  };
}

/** Options of {@link buildWebhook}. */
export interface BuildWebhookOptions {
  /** Sign with this token. Omit for an unsigned request. */
  secretToken?: string;
  /** Signed timestamp, Unix seconds. Default now. */
  timestampSeconds?: number;
  /** `event_ts`, Unix ms. Default now. */
  eventTs?: number;
  /**
   * Write every `/` as `\/`, as many JSON encoders do (Java's, PHP's). The body means the same, but its bytes
   * differ from `JSON.stringify(JSON.parse(body))`: an endpoint that verifies a re-serialised body instead of
   * the raw bytes fails on it. Default false.
   */
  escapeSlashes?: boolean;
}

/** Builds a (signed) webhook request `{ event, event_ts, payload }`. */
export function buildWebhook(event: string, payload: Record<string, unknown>, options: BuildWebhookOptions = {}): SignedWebhook {
  const json = { event, event_ts: options.eventTs ?? Date.now(), payload };
  // Outside strings JSON text has no '/', so escaping every one keeps the same value.
  const body = options.escapeSlashes ? JSON.stringify(json).replaceAll('/', '\\/') : JSON.stringify(json);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.secretToken !== undefined) {
    const ts = String(options.timestampSeconds ?? Math.floor(Date.now() / 1000));
    headers['x-zm-request-timestamp'] = ts;
    headers['x-zm-signature'] = computeWebhookSignature(options.secretToken, ts, body);
  }
  return { headers, body, json };
}

/** Builds an `endpoint.url_validation` request. */
export function buildUrlValidationWebhook(plainToken: string, options: BuildWebhookOptions = {}): SignedWebhook {
  return buildWebhook('endpoint.url_validation', { plainToken }, options);
}

/** Result of {@link postWebhook}. */
export interface PostedWebhook {
  /** HTTP status code of the endpoint's answer. */
  readonly status: number;
  /** The answer's body, as text. */
  readonly body: string;
}

/**
 * POSTs a webhook to a URL (an app's endpoint) and returns its answer. Uses the global `fetch`.
 */
export async function postWebhook(url: string, webhook: SignedWebhook, options: { signal?: AbortSignal } = {}): Promise<PostedWebhook> {
  const res = await fetch(url, {
    method: 'POST',
    headers: webhook.headers,
    body: webhook.body,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return { status: res.status, body: await res.text() };
}
