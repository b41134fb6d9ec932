import { StatusCode, nameOf } from './protocol/constants.js';

/**
 * Stable error codes. Each is listed with its meaning in `docs/errors.md`.
 *
 * Connection codes (`RTMS_CONNECT_FAILED`, `RTMS_CONNECT_TIMEOUT`, `RTMS_HANDSHAKE_TIMEOUT`,
 * `RTMS_CONNECTION_LOST`, `RTMS_IDLE_TIMEOUT`, and `RTMS_HANDSHAKE_REJECTED` with a retryable status) start a
 * reconnect; they end the session when reconnection is off or its budget is spent. Always session-ending:
 * `RTMS_URL_REJECTED`, `RTMS_PROTOCOL_ERROR`, `RTMS_HANDSHAKE_REJECTED` with any other status. Reported and the
 * stream goes on: `RTMS_FRAME_INVALID`, `RTMS_FRAME_UNSUPPORTED`, `RTMS_LISTENER_ERROR`. Rejections of request promises:
 * `RTMS_REQUEST_FAILED`. Iterators: `RTMS_BUFFER_OVERFLOW`. Constructors: `RTMS_INVALID_OPTIONS`. Webhook answers
 * (`WebhookRejection.code`, never thrown): `RTMS_WEBHOOK_*`, `RTMS_CLIENT_CLOSED`, `RTMS_INTERNAL_ERROR`. Event stream (`client.connectEvents`):
 * `RTMS_EVENT_STREAM_AUTH` ends it; its other outages travel as connection codes on `eventStreamDisconnected`.
 */
export type RtmsErrorCode =
  | 'RTMS_INVALID_OPTIONS'
  | 'RTMS_URL_REJECTED'
  | 'RTMS_CONNECT_FAILED'
  | 'RTMS_CONNECT_TIMEOUT'
  | 'RTMS_HANDSHAKE_TIMEOUT'
  | 'RTMS_HANDSHAKE_REJECTED'
  | 'RTMS_CONNECTION_LOST'
  | 'RTMS_IDLE_TIMEOUT'
  | 'RTMS_PROTOCOL_ERROR'
  | 'RTMS_FRAME_INVALID'
  | 'RTMS_FRAME_UNSUPPORTED'
  | 'RTMS_LISTENER_ERROR'
  | 'RTMS_REQUEST_FAILED'
  | 'RTMS_BUFFER_OVERFLOW'
  | 'RTMS_CLIENT_CLOSED'
  | 'RTMS_INTERNAL_ERROR'
  | 'RTMS_WEBHOOK_SIGNATURE_MISSING'
  | 'RTMS_WEBHOOK_SIGNATURE_INVALID'
  | 'RTMS_WEBHOOK_TIMESTAMP_INVALID'
  | 'RTMS_WEBHOOK_BODY_INVALID'
  | 'RTMS_WEBHOOK_BODY_TOO_LARGE'
  | 'RTMS_WEBHOOK_NOT_CONFIGURED'
  | 'RTMS_EVENT_STREAM_AUTH';

/** Which socket an error came from, when it came from one. */
export type RtmsChannelKind = 'signaling' | 'media';

/** Extra, secret-free facts an {@link RtmsError} may carry. */
export interface RtmsErrorDetails {
  /** The underlying error, if any (socket error, JSON syntax error, a listener's throw). */
  cause?: unknown;
  /** RTMS `status_code` of a refused request. */
  statusCode?: number;
  /** The server's `reason` text, verbatim. */
  reason?: string;
  /** Channel the error came from. */
  channel?: RtmsChannelKind;
  /** RTMS stream id the error belongs to (not a secret). */
  streamId?: string;
  /** WebSocket close code, for a closed socket. */
  closeCode?: number;
  /** Size and first byte of a frame the client could not read (`RTMS_FRAME_UNSUPPORTED`). */
  frame?: FrameInfo;
}

/** What an error says about a frame it could not read: never the frame's content. */
export interface FrameInfo {
  /** The frame's length in bytes. */
  readonly byteLength: number;
  /** Its first byte (0–255); undefined for an empty frame. */
  readonly firstByte: number | undefined;
}

const BRAND = Symbol.for('rtms-client.RtmsError');

/**
 * The one error type the SDK produces. `code` is stable; `message` is for humans and never contains a
 * secret, a signature or a full URL query. `instanceof RtmsError` works across the ESM and CJS builds
 * (a `Symbol.for` brand), so two loaded copies of the library agree.
 */
export class RtmsError extends Error {
  /** Stable machine-readable code. */
  readonly code: RtmsErrorCode;
  /** RTMS `status_code`, when the server refused something. */
  readonly statusCode: number | undefined;
  /**
   * Name of {@link statusCode} in the current status table (`STATUS_INVALID_SIGNATURE`, ...), or
   * `UNKNOWN_STATUS_<n>`; undefined when there is no status code.
   */
  readonly statusName: string | undefined;
  /** The server's `reason` text, verbatim. */
  readonly reason: string | undefined;
  /** Channel the error came from. */
  readonly channel: RtmsChannelKind | undefined;
  /** Stream the error belongs to. */
  readonly streamId: string | undefined;
  /** WebSocket close code, for a closed socket. */
  readonly closeCode: number | undefined;
  /** Length and first byte of the frame, for `RTMS_FRAME_UNSUPPORTED`; undefined otherwise. */
  readonly frame: FrameInfo | undefined;

  /**
   * Creates an error; {@link RtmsError.statusName} is derived from `details.statusCode`.
   *
   * @param code - The stable {@link RtmsErrorCode}.
   * @param message - Human-readable text; must not contain a secret, a signature or a URL query.
   * @param details - Optional secret-free facts: cause, status code, reason, channel, stream id, close code.
   */
  constructor(code: RtmsErrorCode, message: string, details: RtmsErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'RtmsError';
    this.code = code;
    this.statusCode = details.statusCode;
    this.statusName = details.statusCode === undefined ? undefined : statusName(details.statusCode);
    this.reason = details.reason;
    this.channel = details.channel;
    this.streamId = details.streamId;
    this.closeCode = details.closeCode;
    this.frame = details.frame === undefined ? undefined : Object.freeze({ byteLength: details.frame.byteLength, firstByte: details.frame.firstByte });
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** Works across copies of the library (ESM and CJS builds loaded side by side). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}

/** Name of an RTMS status code in the current table, or `UNKNOWN_STATUS_<n>` for a code it does not list. */
export function statusName(code: number): string {
  return nameOf(StatusCode, code) ?? `UNKNOWN_STATUS_${code}`;
}

/** Turns anything thrown into a short, secret-free description for a log line. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
