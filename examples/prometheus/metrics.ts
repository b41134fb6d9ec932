/**
 * Prometheus recipe: a `/metrics` endpoint fed from `client.stats()` and `client.health()` with `prom-client`.
 * Nothing is recorded per frame: every metric has a `collect()` that reads the client when Prometheus scrapes.
 *
 * ```ts
 * import { Registry } from 'prom-client';
 * const registry = new Registry();
 * registerRtmsPrometheus(client, registry);
 * serveMetrics(registry, 9464); // GET http://localhost:9464/metrics
 * ```
 *
 * (Using OpenTelemetry already? `rtms-client/otel` with `@opentelemetry/exporter-prometheus` gives the same
 * figures under OpenTelemetry's names; see docs/operations.md.) Needs `npm install prom-client`.
 */
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { RtmsClient } from 'rtms-client';

const LIVE_STATES = ['connecting', 'handshaking', 'streaming', 'reconnecting', 'stopping'] as const;
const KINDS = ['audio', 'video', 'share', 'transcript', 'chat'] as const;

/** Registers the RTMS metrics on `registry`; each is read from the client at scrape time. */
export function registerRtmsPrometheus(client: Pick<RtmsClient, 'stats' | 'health'>, registry: Registry): void {
  const registers = [registry];
  // A counter set to the client's lifetime total at each scrape (prom-client counters only go up: reset, then add).
  const total = (name: string, help: string, labelNames: string[], read: (count: (value: number, labels?: Record<string, string>) => void) => void) =>
    new Counter({
      name,
      help,
      labelNames,
      registers,
      collect() {
        this.reset();
        read((value, labels = {}) => this.inc(labels, value));
      },
    });

  new Gauge({
    name: 'rtms_sessions',
    help: 'Live RTMS sessions, by state.',
    labelNames: ['state'],
    registers,
    collect() {
      const { sessions } = client.stats();
      for (const state of LIVE_STATES) this.set({ state }, sessions[state]);
    },
  });
  total('rtms_webhooks_total', 'Webhooks handled, by outcome and error code.', ['outcome', 'code'], (count) => {
    const { webhooks } = client.stats();
    count(webhooks.accepted, { outcome: 'accepted', code: '' });
    for (const [code, n] of Object.entries(webhooks.rejectedByCode)) count(n ?? 0, { outcome: 'rejected', code });
  });
  total('rtms_media_frames_total', 'Media frames received, by media kind.', ['kind'], (count) => {
    const { media } = client.stats().totals;
    for (const kind of KINDS) count(media[kind].frames, { kind });
  });
  total('rtms_media_bytes_total', 'Length of the media payloads received, by media kind.', ['kind'], (count) => {
    const { media } = client.stats().totals;
    for (const kind of KINDS) count(media[kind].bytes, { kind });
  });
  total('rtms_frame_errors_total', 'Frames that could not be decoded.', [], (count) => count(client.stats().totals.frameErrors));
  total('rtms_keepalives_answered_total', 'Keep-alive requests answered.', [], (count) => count(client.stats().totals.keepAlivesAnswered));
  total('rtms_reconnects_total', 'Outages repaired.', [], (count) => count(client.stats().totals.reconnects));
  total('rtms_downtime_seconds_total', 'Time spent in outages.', [], (count) => count(client.stats().totals.downtimeMs / 1000));
  new Gauge({
    name: 'rtms_coordinator_reachable',
    help: "1 while the coordinator's store answers, else 0.",
    registers,
    collect() {
      this.set(client.health().coordinator.reachable === false ? 0 : 1);
    },
  });
}

/** A small `node:http` server answering `GET /metrics` from `registry` (404 elsewhere). */
export function serveMetrics(registry: Registry, port = 9464): Server {
  return createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') return void res.writeHead(404).end();
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      () => res.writeHead(500).end(),
    );
  }).listen(port);
}
