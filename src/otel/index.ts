/**
 * `rtms-client/otel`: the SDK's counters (`client.stats()`, `client.health()`) as OpenTelemetry
 * metrics on a `Meter` you provide.
 *
 * ```ts
 * import { metrics } from '@opentelemetry/api';
 * import { registerRtmsMetrics } from 'rtms-client/otel';
 *
 * const registration = registerRtmsMetrics(client, metrics.getMeter('my-app'));
 * // later, if ever: registration.unregister();
 * ```
 *
 * Every instrument is observable: nothing is recorded per frame. One batch callback reads `client.stats()` and
 * `client.health()` once per collection, when the exporter or the Prometheus scrape asks.
 *
 * `@opentelemetry/api` is an optional peer dependency, needed only by this subpath; the core (`rtms-client`)
 * never imports it.
 *
 * @packageDocumentation
 */
import { ValueType, type Attributes, type BatchObservableCallback, type Meter, type Observable } from '@opentelemetry/api';
import type { SessionState } from '../events.js';
import type { HealthReport } from '../health.js';
import type { MediaKind } from '../protocol/messages.js';
import type { ClientStats } from '../stats.js';

/**
 * What {@link registerRtmsMetrics} reads: an `RtmsClient` (any object with its `stats()` and `health()`).
 */
export interface RtmsMetricsSource {
  /** The counters; see `RtmsClient.stats()`. */
  stats(): ClientStats;
  /** Live/ready and the coordinator; see `RtmsClient.health()`. */
  health(): HealthReport;
}

/** The instrument names {@link registerRtmsMetrics} registers. Stable: a rename is a breaking change. */
export const RTMS_METRICS = Object.freeze({
  /** UpDownCounter, `{session}`: live sessions, by `rtms.session.state`. */
  sessions: 'rtms.sessions',
  /** Counter, `{session}`: sessions created (from webhooks and takeovers). */
  sessionsCreated: 'rtms.sessions.created',
  /** Counter, `{session}`: sessions ended, by `rtms.session.outcome` (`stopped`, `failed`). */
  sessionsEnded: 'rtms.sessions.ended',
  /** Counter, `{webhook}`: webhooks handled, by `rtms.webhook.outcome` and (rejected ones) `error.type`. */
  webhooks: 'rtms.webhooks',
  /** Counter, `{frame}`: media frames received, by `rtms.media.kind`. */
  mediaFrames: 'rtms.media.frames',
  /** Counter, `By`: length of the media frames' payload as received, by `rtms.media.kind`. */
  mediaBytes: 'rtms.media.bytes',
  /** Counter, `{frame}`: every frame received on every socket. */
  framesReceived: 'rtms.frames_received',
  /** Counter, `{frame}`: frames that could not be decoded, and media with invalid base64. */
  frameErrors: 'rtms.frame_errors',
  /** Counter, `{keepalive}`: keep-alive requests answered. */
  keepAlivesAnswered: 'rtms.keepalives_answered',
  /** Counter, `{reconnect}`: outages repaired. */
  reconnects: 'rtms.reconnects',
  /** Counter, `s`: time spent in outages. */
  downtime: 'rtms.downtime',
  /** Counter, `{item}`: items the iterators' overflow policy discarded. */
  iteratorDrops: 'rtms.iterator_drops',
  /** Gauge, `1`: 1 while the client is ready (takes new streams), else 0. */
  ready: 'rtms.ready',
  /** Gauge, `1`: 1 while the coordinator's store answers, else 0, by `rtms.coordinator.shared`. */
  coordinatorReachable: 'rtms.coordinator.reachable',
  /**
   * UpDownCounter, `{stream}`: the event WebSockets open or trying (`client.connectEvents()`), by
   * `rtms.event_stream.state` (`connected`, `connecting`, `reconnecting`, `standby`).
   */
  eventStreams: 'rtms.event_streams',
});

/** Options of {@link registerRtmsMetrics}. */
export interface RtmsMetricsOptions {
  /**
   * Attributes added to every observation, for example `{ 'service.instance.id': hostname() }` when several
   * clients report to the same Meter. Default none.
   */
  attributes?: Attributes;
}

/** What {@link registerRtmsMetrics} returns. */
export interface RtmsMetricsRegistration {
  /**
   * Removes the batch callback: the instruments stop reporting (OpenTelemetry has no way to remove an instrument
   * itself). Idempotent.
   */
  unregister(): void;
}

const LIVE_STATES: readonly SessionState[] = ['connecting', 'handshaking', 'streaming', 'reconnecting', 'stopping'];
const KINDS: readonly MediaKind[] = ['audio', 'video', 'share', 'transcript', 'chat'];
const EVENT_STREAM_STATES = ['connected', 'connecting', 'reconnecting', 'standby'] as const;

/**
 * Registers the client's counters on `meter` as observable instruments (names in {@link RTMS_METRICS}, units and
 * attributes in docs/operations.md), read in one batch callback from `client.stats()` and `client.health()` at
 * collection time. Counters are cumulative over the client's lifetime, ended sessions included.
 */
export function registerRtmsMetrics(client: RtmsMetricsSource, meter: Meter, options: RtmsMetricsOptions = {}): RtmsMetricsRegistration {
  const base: Attributes = { ...options.attributes };
  const int = { valueType: ValueType.INT } as const;
  const sessions = meter.createObservableUpDownCounter(RTMS_METRICS.sessions, { ...int, unit: '{session}', description: 'Live RTMS sessions, by state.' });
  const sessionsCreated = meter.createObservableCounter(RTMS_METRICS.sessionsCreated, { ...int, unit: '{session}', description: 'RTMS sessions created.' });
  const sessionsEnded = meter.createObservableCounter(RTMS_METRICS.sessionsEnded, { ...int, unit: '{session}', description: 'RTMS sessions ended, by outcome.' });
  const webhooks = meter.createObservableCounter(RTMS_METRICS.webhooks, { ...int, unit: '{webhook}', description: 'Webhooks handled, by outcome and error code.' });
  const mediaFrames = meter.createObservableCounter(RTMS_METRICS.mediaFrames, { ...int, unit: '{frame}', description: 'Media frames received, by media kind.' });
  const mediaBytes = meter.createObservableCounter(RTMS_METRICS.mediaBytes, { ...int, unit: 'By', description: 'Length of the media payloads received, by media kind.' });
  const framesReceived = meter.createObservableCounter(RTMS_METRICS.framesReceived, { ...int, unit: '{frame}', description: 'Frames received on every socket.' });
  const frameErrors = meter.createObservableCounter(RTMS_METRICS.frameErrors, { ...int, unit: '{frame}', description: 'Frames that could not be decoded.' });
  const keepAlives = meter.createObservableCounter(RTMS_METRICS.keepAlivesAnswered, { ...int, unit: '{keepalive}', description: 'Keep-alive requests answered.' });
  const reconnects = meter.createObservableCounter(RTMS_METRICS.reconnects, { ...int, unit: '{reconnect}', description: 'Outages repaired.' });
  const downtime = meter.createObservableCounter(RTMS_METRICS.downtime, { valueType: ValueType.DOUBLE, unit: 's', description: 'Time spent in outages.' });
  const iteratorDrops = meter.createObservableCounter(RTMS_METRICS.iteratorDrops, { ...int, unit: '{item}', description: 'Items discarded by the iterators overflow policy.' });
  const ready = meter.createObservableGauge(RTMS_METRICS.ready, { ...int, unit: '1', description: '1 while the client takes new streams, else 0.' });
  const reachable = meter.createObservableGauge(RTMS_METRICS.coordinatorReachable, { ...int, unit: '1', description: "1 while the coordinator's store answers, else 0." });
  const eventStreams = meter.createObservableUpDownCounter(RTMS_METRICS.eventStreams, { ...int, unit: '{stream}', description: 'Event WebSockets open or trying, by state.' });
  const observables: Observable[] = [sessions, sessionsCreated, sessionsEnded, webhooks, mediaFrames, mediaBytes, framesReceived, frameErrors, keepAlives, reconnects, downtime, iteratorDrops, ready, reachable, eventStreams];

  const callback: BatchObservableCallback = (result) => {
    const stats = client.stats();
    const health = client.health();
    const t = stats.totals;
    for (const state of LIVE_STATES) result.observe(sessions, stats.sessions[state], { ...base, 'rtms.session.state': state });
    result.observe(sessionsCreated, t.sessionsCreated, base);
    result.observe(sessionsEnded, t.sessionsStopped, { ...base, 'rtms.session.outcome': 'stopped' });
    result.observe(sessionsEnded, t.sessionsFailed, { ...base, 'rtms.session.outcome': 'failed' });
    result.observe(webhooks, stats.webhooks.accepted, { ...base, 'rtms.webhook.outcome': 'accepted' });
    for (const [code, n] of Object.entries(stats.webhooks.rejectedByCode)) {
      result.observe(webhooks, n ?? 0, { ...base, 'rtms.webhook.outcome': 'rejected', 'error.type': code });
    }
    for (const kind of KINDS) {
      const attributes = { ...base, 'rtms.media.kind': kind };
      result.observe(mediaFrames, t.media[kind].frames, attributes);
      result.observe(mediaBytes, t.media[kind].bytes, attributes);
    }
    result.observe(framesReceived, t.framesReceived, base);
    result.observe(frameErrors, t.frameErrors, base);
    result.observe(keepAlives, t.keepAlivesAnswered, base);
    result.observe(reconnects, t.reconnects, base);
    result.observe(downtime, t.downtimeMs / 1000, base);
    result.observe(iteratorDrops, t.iteratorDrops, base);
    result.observe(ready, health.ready ? 1 : 0, base);
    const r = health.coordinator.reachable;
    if (r !== undefined) result.observe(reachable, r ? 1 : 0, { ...base, 'rtms.coordinator.shared': health.coordinator.shared });
    // Only clients that use the event WebSocket report it: an HTTP-only app exports no empty series.
    if (health.eventStreams.total > 0) {
      for (const state of EVENT_STREAM_STATES) result.observe(eventStreams, health.eventStreams[state], { ...base, 'rtms.event_stream.state': state });
    }
  };
  meter.addBatchObservableCallback(callback, observables);

  let registered = true;
  return {
    unregister() {
      if (!registered) return;
      registered = false;
      meter.removeBatchObservableCallback(callback, observables);
    },
  };
}
