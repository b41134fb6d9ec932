/**
 * rtms-client/otel against the real OpenTelemetry metrics SDK: a simulated meeting through the client, a manual
 * collection through an in-memory exporter, and every instrument checked against `client.stats()`. Also: the
 * core bundle never loads `@opentelemetry/api`, and `unregister()` stops the reporting.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { AggregationTemporality, DataPointType, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type MetricData } from '@opentelemetry/sdk-metrics';
import { describe, expect, it, onTestFinished } from 'vitest';
import { RTMS_METRICS, registerRtmsMetrics } from 'rtms-client/otel';
import type { ClientStats } from '../../src/index.js';
import { rig, until } from '../helpers.js';

const root = join(import.meta.dirname, '..', '..');

function otel() {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  // A long interval: the test exports by hand with forceFlush().
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  onTestFinished(() => provider.shutdown());
  const meter = provider.getMeter('rtms-test');
  /** Collects once and returns the metrics by name. */
  const collect = async (): Promise<Map<string, MetricData>> => {
    exporter.reset();
    await reader.forceFlush();
    const metrics = new Map<string, MetricData>();
    for (const rm of exporter.getMetrics()) for (const sm of rm.scopeMetrics) for (const m of sm.metrics) metrics.set(m.descriptor.name, m);
    return metrics;
  };
  return { meter, collect };
}

/** The data points of one metric as `attributes JSON -> value`. */
function points(metrics: Map<string, MetricData>, name: string): Record<string, number> {
  const m = metrics.get(name);
  const out: Record<string, number> = {};
  for (const p of m?.dataPoints ?? []) out[JSON.stringify(p.attributes)] = p.value as number;
  return out;
}

const one = (metrics: Map<string, MetricData>, name: string, attributes: Record<string, unknown> = {}) => points(metrics, name)[JSON.stringify(attributes)];

function expectMatches(metrics: Map<string, MetricData>, stats: ClientStats, extra: Record<string, unknown> = {}) {
  const t = stats.totals;
  for (const state of ['connecting', 'handshaking', 'streaming', 'reconnecting', 'stopping'] as const) {
    expect(one(metrics, 'rtms.sessions', { ...extra, 'rtms.session.state': state }), state).toBe(stats.sessions[state]);
  }
  expect(one(metrics, 'rtms.sessions.created', extra)).toBe(t.sessionsCreated);
  expect(one(metrics, 'rtms.sessions.ended', { ...extra, 'rtms.session.outcome': 'stopped' })).toBe(t.sessionsStopped);
  expect(one(metrics, 'rtms.sessions.ended', { ...extra, 'rtms.session.outcome': 'failed' })).toBe(t.sessionsFailed);
  expect(one(metrics, 'rtms.webhooks', { ...extra, 'rtms.webhook.outcome': 'accepted' })).toBe(stats.webhooks.accepted);
  for (const [code, n] of Object.entries(stats.webhooks.rejectedByCode)) {
    expect(one(metrics, 'rtms.webhooks', { ...extra, 'rtms.webhook.outcome': 'rejected', 'error.type': code })).toBe(n);
  }
  for (const kind of ['audio', 'video', 'share', 'transcript', 'chat'] as const) {
    expect(one(metrics, 'rtms.media.frames', { ...extra, 'rtms.media.kind': kind }), kind).toBe(t.media[kind].frames);
    expect(one(metrics, 'rtms.media.bytes', { ...extra, 'rtms.media.kind': kind }), kind).toBe(t.media[kind].bytes);
  }
  expect(one(metrics, 'rtms.frames_received', extra)).toBe(t.framesReceived);
  expect(one(metrics, 'rtms.frame_errors', extra)).toBe(t.frameErrors);
  expect(one(metrics, 'rtms.keepalives_answered', extra)).toBe(t.keepAlivesAnswered);
  expect(one(metrics, 'rtms.reconnects', extra)).toBe(t.reconnects);
  expect(one(metrics, 'rtms.downtime', extra)).toBe(t.downtimeMs / 1000);
  expect(one(metrics, 'rtms.iterator_drops', extra)).toBe(t.iteratorDrops);
  expect(one(metrics, 'rtms.ready', extra)).toBe(1);
  expect(one(metrics, 'rtms.coordinator.reachable', { ...extra, 'rtms.coordinator.shared': false })).toBe(1);
}

describe('rtms-client/otel', () => {
  it('reports every instrument as client.stats() gives it, through a meeting, a reconnect, a rejected webhook and the end', async () => {
    const r = await rig({ reconnect: { baseDelayMs: 10, maxDelayMs: 40, jitter: 0, maxAttempts: 4 } }, { keepAliveIntervalMs: 20 });
    const { meter, collect } = otel();
    const registration = registerRtmsMetrics(r.client, meter, { attributes: { 'service.instance.id': 'i-1' } });
    const extra = { 'service.instance.id': 'i-1' };

    // Before any session: zeros, and the instruments with their units.
    let metrics = await collect();
    expect(one(metrics, 'rtms.sessions.created', extra)).toBe(0);
    expect(metrics.get('rtms.media.bytes')?.descriptor.unit).toBe('By');
    expect(metrics.get('rtms.media.frames')?.descriptor.unit).toBe('{frame}');
    expect(metrics.get('rtms.downtime')?.descriptor.unit).toBe('s');
    expect(metrics.get('rtms.sessions')).toMatchObject({ dataPointType: DataPointType.SUM, isMonotonic: false }); // an UpDownCounter
    expect(metrics.get('rtms.webhooks')).toMatchObject({ dataPointType: DataPointType.SUM, isMonotonic: true }); // a Counter
    expect(metrics.get('rtms.coordinator.reachable')?.dataPointType).toBe(DataPointType.GAUGE);
    // Every instrument but the event streams', which report only while the client has one (next test).
    expect([...metrics.keys()].sort()).toEqual(Object.values(RTMS_METRICS).filter((n) => n !== RTMS_METRICS.eventStreams).sort());

    const stream = r.sim.createStream();
    const session = (await r.client.handleWebhook(stream.webhook('started'))).session!;
    const texts: string[] = [];
    session.on('transcript', (t) => texts.push(t.text));
    await stream.ready();
    await until(() => session.state === 'streaming', 5_000, 'streaming');
    for (let i = 0; i < 3; i++) stream.sendAudio({ data: new Uint8Array(30) });
    stream.sendTranscript({ text: 'hello' });
    await until(() => texts.length === 1, 2_000, 'transcript');
    stream.sendRaw('media', '{"msg_type": 14, "content": ');
    await until(() => session.stats().frameErrors === 1, 2_000, 'frame error');
    await until(() => session.stats().keepAlivesAnswered > 0, 2_000, 'keep-alive');
    const reconnected = new Promise((resolve) => session.once('reconnected', resolve));
    stream.dropSocket('media');
    await reconnected;
    await r.client.handleWebhook({ headers: { ...stream.webhook('started').headers, 'x-zm-signature': 'v0=bad' }, body: stream.webhook('started').body });

    // Live: the session is streaming. Keep-alives keep coming, so compare with stats read in the same tick.
    let stats: ClientStats | undefined;
    const statsOf = r.client.stats.bind(r.client);
    r.client.stats = () => (stats = statsOf());
    metrics = await collect();
    r.client.stats = statsOf;
    expect(stats!.sessions.streaming).toBe(1);
    expect(stats!.totals.media.audio).toEqual({ frames: 3, bytes: 120 });
    expect(stats!.totals.reconnects).toBe(1);
    expect(stats!.webhooks.rejectedByCode).toEqual({ RTMS_WEBHOOK_SIGNATURE_INVALID: 1 });
    expectMatches(metrics, stats!, extra);

    // Ended: the session's counters stay in the totals.
    await session.stop();
    await until(() => r.client.sessions.size === 0, 2_000, 'session gone');
    metrics = await collect();
    stats = r.client.stats();
    expect(stats.totals.sessionsStopped).toBe(1);
    expect(stats.totals.media.transcript.frames).toBe(1);
    expectMatches(metrics, stats, extra);

    // Unregistered: the callback is gone, so the client is no longer read and nothing new is reported (a
    // cumulative reader repeats the last values it has); twice is fine.
    registration.unregister();
    registration.unregister();
    let reads = 0;
    r.client.stats = () => (reads++, statsOf());
    const before = points(metrics, 'rtms.sessions.created');
    const stream2 = r.sim.createStream();
    const session2 = (await r.client.handleWebhook(stream2.webhook('started'))).session!;
    await stream2.ready();
    await until(() => session2.state === 'streaming', 5_000, 'second session streaming');
    metrics = await collect();
    expect(reads).toBe(0);
    expect(r.client.stats().totals.sessionsCreated).toBe(2);
    expect(points(metrics, 'rtms.sessions.created')).toEqual(before);
  });

  it('reads client.stats() once per collection, never per frame', async () => {
    const r = await rig();
    const { meter, collect } = otel();
    let calls = 0;
    const statsOf = r.client.stats.bind(r.client);
    r.client.stats = () => (calls++, statsOf());
    const registration = registerRtmsMetrics(r.client, meter);
    onTestFinished(() => registration.unregister());
    const stream = r.sim.createStream();
    const session = (await r.client.handleWebhook(stream.webhook('started'))).session!;
    await stream.ready();
    await until(() => session.state === 'streaming', 5_000, 'streaming');
    for (let i = 0; i < 20; i++) stream.sendAudio({ data: new Uint8Array(30) });
    await until(() => session.stats().media.audio.frames === 20, 2_000, 'frames');
    expect(calls).toBe(0);
    const metrics = await collect();
    expect(calls).toBe(1);
    expect(one(metrics, 'rtms.media.frames', { 'rtms.media.kind': 'audio' })).toBe(20);
  });

  it('reports the event WebSockets by state, and nothing for a client without one', async () => {
    const r = await rig();
    const { meter, collect } = otel();
    const registration = registerRtmsMetrics(r.client, meter);
    onTestFinished(() => registration.unregister());
    expect(points(await collect(), 'rtms.event_streams')).toEqual({});

    const connected = new Promise((resolve) => r.client.once('eventStreamConnected', resolve));
    const events = r.client.connectEvents({ url: r.sim.eventSocketUrl, tokenUrl: r.sim.tokenUrl });
    await connected;
    const state = (s: string) => JSON.stringify({ 'rtms.event_stream.state': s });
    expect(points(await collect(), 'rtms.event_streams')).toEqual({ [state('connected')]: 1, [state('connecting')]: 0, [state('reconnecting')]: 0, [state('standby')]: 0 });
    const dropped = new Promise((resolve) => r.client.once('eventStreamDisconnected', resolve));
    r.sim.dropEventSockets();
    await dropped;
    const during = points(await collect(), 'rtms.event_streams');
    // Reopened at once; the collection sees it either still down or already back, never both or neither.
    expect((during[state('connected')] ?? 0) + (during[state('reconnecting')] ?? 0)).toBe(1);
    await events.close();
  });
});

describe('the core stays apart from rtms-client/otel', () => {
  it('no module outside src/otel imports it or @opentelemetry/*', () => {
    const src = join(root, 'src');
    const files = (readdirSync(src, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts') && !f.startsWith('otel'));
    for (const f of files) {
      const specifiers = [...readFileSync(join(src, f), 'utf8').matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((m) => m[1] as string);
      expect(specifiers.filter((s) => s.includes('otel/') || s.startsWith('@opentelemetry/')), f).toEqual([]);
    }
  });

  it('the built core bundle (dist/index.js, dist/index.cjs) does not contain @opentelemetry/api; the otel bundle loads it', () => {
    if (!existsSync(join(root, 'dist', 'otel', 'index.js'))) {
      execFileSync(process.execPath, [join(root, 'node_modules', 'tsup', 'dist', 'cli-default.js')], { cwd: root, stdio: 'ignore', timeout: 120_000 });
    }
    for (const f of ['index.js', 'index.cjs']) expect(readFileSync(join(root, 'dist', f), 'utf8'), f).not.toContain('@opentelemetry');
    expect(readFileSync(join(root, 'dist', 'otel', 'index.js'), 'utf8')).toContain("from '@opentelemetry/api'");
    const keys = execFileSync(process.execPath, ['--input-type=module', '-e', "const m = await import('rtms-client/otel'); console.log(Object.keys(m).sort().join(','))"], { cwd: root, encoding: 'utf8' }).trim();
    expect(keys).toBe('RTMS_METRICS,registerRtmsMetrics');
    const cjs = execFileSync(process.execPath, ['-e', "console.log(typeof require('rtms-client/otel').registerRtmsMetrics)"], { cwd: root, encoding: 'utf8' }).trim();
    expect(cjs).toBe('function');
  }, 130_000);
});
