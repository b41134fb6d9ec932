/**
 * rtms-client: a pure-TypeScript client for Zoom Realtime Media Streams (RTMS).
 *
 * @packageDocumentation
 */
export { RtmsClient, handleWebhook } from './client.js';
export type {
  CloseOptions,
  RtmsClientEvents,
  RtmsClientOptions,
  WebhookRejection,
  WebhookRejectionCode,
  WebhookRequest,
  WebhookResponse,
} from './client.js';
export type { ClientStats, ClientTotals, MediaKindStats, SessionStats, StreamCounters, WebhookStats } from './stats.js';
export { DIAGNOSTICS_CHANNELS } from './diagnostics.js';
export { detectVideoCodec } from './format.js';
export type { ErrorMessage, ReconnectedMessage, ReconnectingMessage, ReconnectMessage, SessionStateMessage, WebhookMessage } from './diagnostics.js';
export type { HealthBody, HealthCoordinator, HealthEventStreams, HealthReport, HealthResponseOptions, HealthSessions, HealthStatus } from './health.js';
export type { FetchHandler, FetchHandlerOptions } from './fetch-handler.js';
export { RtmsSession, SESSION_TRANSITIONS } from './session.js';
export { DEFAULT_EVENTS } from './session.js';
export type { IterableEvent, MediaSocketMode, StopOptions } from './session.js';
export { DEFAULT_RECONNECT, RESTART_STOP_REASONS, backoffDelay } from './reconnect-policy.js';
export { DEFAULT_EVENT_HEARTBEAT_MS, DEFAULT_EVENT_TOKEN_URL, RtmsEventStream } from './event-stream.js';
export type { EventStreamConnected, EventStreamDisconnected, EventStreamLeadership, EventStreamEnd, EventStreamOptions, EventStreamState } from './event-stream.js';
export type { ReconnectOptions, ReconnectPolicy } from './reconnect-policy.js';
export { DEFAULT_HIGH_WATER_MARK } from './iterator.js';
export type { BoundedIterator, IterateEventOptions, IterateOptions, OverflowPolicy } from './iterator.js';
export { LocalCoordinator } from './coordination.js';
export type { ControlMessage, CoordinatorHost, CoordinatorState, CoordinatorStatus, InterruptedControl, LeaderElection, OfferOutcome, ProductControl, StartedControl, StoppedControl, StreamCoordinator, StreamLease } from './coordination.js';
export { RtmsError, statusName } from './errors.js';
export type { FrameInfo, RtmsChannelKind, RtmsErrorCode, RtmsErrorDetails } from './errors.js';
export type {
  ActiveSpeakerEvent,
  ContactCenterEvent,
  ContactCenterParticipant,
  Participant,
  ParticipantVideoEvent,
  ParticipantsEvent,
  SharingEvent,
  VideoSubscriptionResult,
  AudioFormat,
  AudioFrame,
  ChatMessage,
  ConcurrencyLimited,
  ConcurrencyNearLimit,
  EndCause,
  FrameContent,
  MetadataMessage,
  RawAudioFrame,
  RawMediaFrame,
  RawVideoFrame,
  ReconnectedInfo,
  ReconnectingInfo,
  RtmsEventUpdate,
  RtmsSessionEvents,
  SessionEnd,
  SessionState,
  SessionStateUpdate,
  StreamIdentity,
  StreamStateUpdate,
  TranscriptEvent,
  UserId,
  VideoFormat,
  VideoFrame,
  WebhookEvent,
} from './events.js';
export type { AudioParams, CameraVideoParams, MediaParams, TranscriptParams, VideoParams } from './media-params.js';
export type { MediaKind } from './protocol/messages.js';
export type { RtmsProduct } from './protocol/products.js';
export { loggerFromDebug, loggerFromPino } from './logger.js';
export type { LogContext, PinoLike, RtmsLogger } from './logger.js';
export type { Clock, TimerHandle } from './clock.js';
export { wsSocketFactory } from './transport.js';
export type { RtmsSocket, RtmsSocketHandlers, RtmsSocketOptions, SocketFactory } from './transport.js';
export { DEFAULT_ALLOWED_HOSTS } from './url-policy.js';
export type { UrlPolicyOptions } from './url-policy.js';
export type { NetworkOptions, RtmsTlsOptions } from './net-options.js';
export {
  DEFAULT_WEBHOOK_TOLERANCE_SECONDS,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  computeUrlValidationToken,
  computeWebhookSignature,
  verifyWebhookSignature,
} from './webhook.js';
export type { VerifyWebhookInput, WebhookBody, WebhookHeaders, WebhookVerification } from './webhook.js';
export { generateSignature } from './protocol/signature.js';
export { wavHeader } from './wav.js';
export {
  AudioChannel,
  AudioSampleRate,
  EventType,
  MediaCodec,
  MediaContentType,
  MediaDataOption,
  MediaResolution,
  MediaTypeBit,
  MsgType,
  PROTOCOL_VERSION,
  RETRYABLE_STATUS_CODES,
  SessionStateCode,
  StatusCode,
  StopReason,
  StreamState,
  TranscriptLanguage,
  ZccEventType,
} from './protocol/constants.js';
