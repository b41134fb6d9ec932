/**
 * `rtms-client/testing`: a local RTMS simulator and webhook builders, for testing apps without Zoom.
 *
 * @packageDocumentation
 */
export { RtmsSimulator, SimulatedStream, DEFAULT_LINES, tonePcm } from './simulator.js';
export type {
  CloseRecord,
  CreateStreamOptions,
  DropRecord,
  EventEndpointRecord,
  HandshakeRecord,
  KeepAliveRecord,
  MeetingScript,
  ProtocolViolation,
  ScriptLine,
  SimAudio,
  SimMediaKind,
  SimTranscript,
  SimVideo,
  SimulatedStreamEvents,
  SimulatorOptions,
  StreamRecord,
  TokenRequestRecord,
} from './simulator.js';
export { DRIFT_KINDS, Drifter, SIM_EVENT_CODE_BASE, driftFrame } from './drift.js';
export type { DriftKind, DriftOptions } from './drift.js';
export { buildUrlValidationWebhook, buildWebhook, postWebhook } from './webhooks.js';
export type { BuildWebhookOptions, PostedWebhook, SignedWebhook } from './webhooks.js';
export { runConformance } from './conformance.js';
export type { ConformanceCheck, ConformanceEventEndpoints, ConformanceOptions, ConformanceReport, ConformanceStream, WebhookRefusal } from './conformance.js';
