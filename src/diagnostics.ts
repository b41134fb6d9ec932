/**
 * `node:diagnostics_channel` publishing, the way undici does: named channels an APM tool (or the app) subscribes
 * to with `diagnostics_channel.subscribe(name, fn)`, without any code in the app. Every publication is guarded
 * by `hasSubscribers`, so nothing is built or sent while nobody listens. Messages carry ids, states, codes and
 * counts: never a secret, a signature, a webhook body or media.
 */
import { channel } from 'node:diagnostics_channel';
import type { RtmsError } from './errors.js';
import type { SessionState } from './events.js';
import type { RtmsProduct } from './protocol/products.js';
import type { RtmsSession } from './session.js';
import type { WebhookRejectionCode } from './client.js';

/** The names of the channels rtms-client publishes to. Stable: a rename is a breaking change. */
export const DIAGNOSTICS_CHANNELS = Object.freeze({
  /** A session was created or changed state: {@link SessionStateMessage}. */
  sessionState: 'rtms-client:session:state',
  /** A webhook was answered: {@link WebhookMessage}. */
  webhook: 'rtms-client:webhook',
  /** A session or client error (what `error` events carry): {@link ErrorMessage}. */
  error: 'rtms-client:error',
  /** A reconnect was scheduled, or an outage repaired: {@link ReconnectMessage}. */
  reconnect: 'rtms-client:reconnect',
} as const);

/** Published on `rtms-client:session:state`. */
export interface SessionStateMessage {
  /** RTMS stream id. */
  readonly streamId: string;
  /** The product. */
  readonly product: RtmsProduct;
  /** The new state (`connecting` when the session was just created). */
  readonly state: SessionState;
  /** The state before; undefined when the session was just created. */
  readonly previous: SessionState | undefined;
  /** The session itself, to attach listeners or read `stats()`. */
  readonly session: RtmsSession;
}

/** Published on `rtms-client:webhook`, once per webhook answered (health checks excluded). */
export interface WebhookMessage {
  /** The webhook's `event` field, when the body could be read. */
  readonly event: string | undefined;
  /** HTTP status answered. */
  readonly status: number;
  /** `accepted` (2xx) or `rejected` (4xx/5xx). */
  readonly outcome: 'accepted' | 'rejected';
  /** The rejection's code; undefined when accepted. */
  readonly code: WebhookRejectionCode | undefined;
  /** The session the webhook created or addressed, if any. */
  readonly streamId: string | undefined;
}

/** Published on `rtms-client:error`. */
export interface ErrorMessage {
  /** The stream, for a session error; undefined for a client-level error. */
  readonly streamId: string | undefined;
  /** The error, as the `error` event carries it (RtmsError messages never contain secrets). */
  readonly error: RtmsError;
}

/** Published on `rtms-client:reconnect` when an attempt is scheduled. */
export interface ReconnectingMessage {
  /** Discriminant. */
  readonly phase: 'reconnecting';
  /** RTMS stream id. */
  readonly streamId: string;
  /** `media`: media sockets only; `full`: signaling and media. */
  readonly scope: 'full' | 'media';
  /** 1 for the outage's first attempt. */
  readonly attempt: number;
  /** Delay before the attempt. */
  readonly delayMs: number;
  /** The error code that caused it. */
  readonly code: RtmsError['code'];
}

/** Published on `rtms-client:reconnect` when an outage is repaired. */
export interface ReconnectedMessage {
  /** Discriminant. */
  readonly phase: 'reconnected';
  /** RTMS stream id. */
  readonly streamId: string;
  /** What was repaired. */
  readonly scope: 'full' | 'media';
  /** Attempts it took. */
  readonly attempts: number;
  /** From the outage to media flowing again. */
  readonly downtimeMs: number;
}

/** Published on `rtms-client:reconnect`. */
export type ReconnectMessage = ReconnectingMessage | ReconnectedMessage;

const stateChannel = channel(DIAGNOSTICS_CHANNELS.sessionState);
const webhookChannel = channel(DIAGNOSTICS_CHANNELS.webhook);
const errorChannel = channel(DIAGNOSTICS_CHANNELS.error);
const reconnectChannel = channel(DIAGNOSTICS_CHANNELS.reconnect);

/**
 * Publishes unless nobody subscribes. `build` runs only for subscribers; a subscriber that throws is Node's
 * business (it reports it on `process.nextTick` as an uncaught exception), but building never throws into us.
 */
function publish<T>(ch: ReturnType<typeof channel>, build: () => T): void {
  if (!ch.hasSubscribers) return;
  ch.publish(build());
}

/** @internal */
export function publishSessionState(session: RtmsSession, state: SessionState, previous: SessionState | undefined): void {
  publish<SessionStateMessage>(stateChannel, () => ({ streamId: session.id, product: session.identity.product, state, previous, session }));
}

/** @internal */
export function publishWebhook(message: () => WebhookMessage): void {
  publish(webhookChannel, message);
}

/** @internal */
export function publishError(streamId: string | undefined, error: RtmsError): void {
  publish<ErrorMessage>(errorChannel, () => ({ streamId, error }));
}

/** @internal */
export function publishReconnect(message: () => ReconnectMessage): void {
  publish(reconnectChannel, message);
}
