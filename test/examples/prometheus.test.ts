/**
 * The Prometheus recipe (examples/prometheus/metrics.ts): a simulated meeting, one scrape of `/metrics`, and the
 * figures checked against `client.stats()`.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { describe, expect, it, onTestFinished } from 'vitest';
import { registerRtmsPrometheus, serveMetrics } from '../../examples/prometheus/metrics.js';
import { rig, until } from '../helpers.js';

describe('examples/prometheus', () => {
  it('serves the client counters on /metrics, read at scrape time', async () => {
    const r = await rig();
    const registry = new Registry();
    registerRtmsPrometheus(r.client, registry);
    const server = serveMetrics(registry, 0);
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const stream = r.sim.createStream();
    const session = (await r.client.handleWebhook(stream.webhook('started'))).session!;
    await stream.ready();
    await until(() => session.state === 'streaming', 5_000, 'streaming');
    for (let i = 0; i < 3; i++) stream.sendAudio({ data: new Uint8Array(30) }); // 40 base64 characters each
    await until(() => session.stats().media.audio.frames === 3, 2_000, 'audio');
    await r.client.handleWebhook({ headers: { ...stream.webhook('started').headers, 'x-zm-signature': 'v0=bad' }, body: stream.webhook('started').body });

    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    const stats = r.client.stats();
    expect(stats.totals.media.audio).toEqual({ frames: 3, bytes: 120 });
    expect(text).toContain('# TYPE rtms_media_frames_total counter');
    expect(text).toContain('rtms_sessions{state="streaming"} 1');
    expect(text).toContain('rtms_media_frames_total{kind="audio"} 3');
    expect(text).toContain('rtms_media_bytes_total{kind="audio"} 120');
    expect(text).toContain('rtms_media_frames_total{kind="video"} 0');
    expect(text).toContain('rtms_webhooks_total{outcome="accepted",code=""} 1');
    expect(text).toContain('rtms_webhooks_total{outcome="rejected",code="RTMS_WEBHOOK_SIGNATURE_INVALID"} 1');
    expect(text).toContain('rtms_reconnects_total 0');
    expect(text).toContain('rtms_frame_errors_total 0');
    expect(text).toContain('rtms_coordinator_reachable 1');
    expect((await fetch(`${url}/other`)).status).toBe(404);
  });
});
