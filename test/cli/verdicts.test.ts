/**
 * Honest verdicts: small, deliberately broken apps driven over real loopback through the conformance run (and
 * the `simulate` command). Each must fail with a precise message; a correct app, and one that reconnects after
 * losing its media socket, must pass.
 */
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { runConformance, type ConformanceOptions, type ConformanceReport } from '../../src/testing/index.js';
import { APP, closedPort, fakeIo, rawApp, rtmsApp } from './apps.js';

function run(webhookUrl: string, options: Partial<ConformanceOptions> = {}): Promise<ConformanceReport> {
  return runConformance({
    webhookUrl,
    clientId: APP.clientId,
    clientSecret: APP.clientSecret,
    webhookSecretToken: APP.webhookSecretToken,
    keepAliveIntervalMs: 400,
    connectTimeoutMs: 3_000,
    closeTimeoutMs: 2_000,
    reconnectGraceMs: 1_000,
    ...options,
    script: { durationMs: 2_500, ...options.script },
  });
}

const byId = (r: ConformanceReport, id: string) => r.checks.filter((c) => c.id === id);
const CREDS = ['--client-id', APP.clientId, '--client-secret', APP.clientSecret, '--secret', APP.webhookSecretToken];

describe('apps that must fail', () => {
  it('an app that crashes mid-stream: both sockets closed 1006 long before the stop, no reconnect, unreachable', async () => {
    const app = await rawApp({ crashAfterMs: 500 });
    const report = await run(app.url, { webhookSecretToken: undefined });
    expect(report.ok).toBe(false);
    const lost = byId(report, 'connection');
    expect(lost.map((c) => c.status)).toEqual(['fail', 'fail']);
    for (const c of lost) expect(c.message).toMatch(/^(signaling|media) socket closed 1006 at \d+\.\d\d s, \d+\.\d s before the stop; no reconnect/);
    expect(byId(report, 'webhook-stopped')[0]).toMatchObject({ status: 'fail', message: expect.stringMatching(/the app became unreachable: rtms_stopped could not be delivered at \d+\.\d\d s \(connect ECONNREFUSED/) });
    expect(report.refusals.map((f) => f.hints.join())).toContain(`is your app listening on ${app.url}? (start it first, and check the port and path)`);
  });

  it('an app that drops its media socket and never reconnects (Zoom sent MEDIA_CONNECTION_INTERRUPTED)', async () => {
    const app = await rawApp({ dropMediaAfterMs: 500 });
    const report = await run(app.url, { webhookSecretToken: undefined });
    expect(report.ok).toBe(false);
    expect(byId(report, 'connection')).toEqual([{ id: 'connection', status: 'fail', message: expect.stringMatching(/^media socket closed 1000 at \d+\.\d\d s, \d+\.\d s before the stop; no reconnect$/) }]);
    expect(report.record.drops).toMatchObject([{ channel: 'media', code: 1000, cause: 'client-closed', outcome: 'pending' }]);
  });

  it('past Zoom\'s window the stream ends with the documented stop reason, and the run says so', async () => {
    const app = await rawApp({ dropMediaAfterMs: 300 });
    const report = await run(app.url, { webhookSecretToken: undefined, reconnectWindows: { mediaMs: 800 }, script: { durationMs: 3_000 } });
    expect(report.ok).toBe(false);
    expect(byId(report, 'connection')[0]?.message).toMatch(/^media socket closed 1000 at \d+\.\d\d s; no reconnect within Zoom's 0\.8 s window: the stream ended \(stop reason 19\)$/);
    expect(report.record.end?.stopReason).toBe(19);
    expect(byId(report, 'webhook-stopped')[0]).toMatchObject({ status: 'pass' }); // Zoom's own rtms_stopped, delivered
  });

  it('an app that stops consuming its media (socket open, nothing read) fails: the media socket stops answering and is dropped', async () => {
    const app = await rawApp({ pauseMediaAfterMs: 300 });
    const report = await run(app.url, { webhookSecretToken: undefined, keepAliveIntervalMs: 200 });
    expect(report.ok).toBe(false);
    expect(byId(report, 'connection').map((c) => c.message).join('\n')).toMatch(/^media socket dropped by the server after unanswered keep-alives at \d+\.\d\d s/m);
    expect(report.record.drops.filter((d) => d.channel === 'signaling')).toEqual([]); // signaling kept answering
  });

  it('an app that ignores keep-alives is dropped after three, like Zoom does', async () => {
    const app = await rawApp({ answerKeepAlives: false });
    const report = await run(app.url, { webhookSecretToken: undefined, keepAliveIntervalMs: 200 });
    expect(report.ok).toBe(false);
    expect(byId(report, 'keep-alive')[0]).toMatchObject({ status: 'fail', message: expect.stringContaining('3 keep-alive requests went unanswered') });
    expect(byId(report, 'connection').map((c) => c.message).join('\n')).toMatch(/socket dropped by the server after unanswered keep-alives at \d+\.\d\d s/);
  });

  it('an app that answers no keep-alive fails even when the run is too short for Zoom to drop it', async () => {
    const app = await rawApp({ answerKeepAlives: false });
    const report = await run(app.url, { webhookSecretToken: undefined, keepAliveIntervalMs: 400, script: { durationMs: 900 } });
    expect(report.ok).toBe(false);
    expect(byId(report, 'keep-alive')[0]).toMatchObject({ status: 'fail', message: expect.stringMatching(/^the app answered none of the \d+ keep-alive request\(s\)/) });
  });

  it('an app that verifies a re-serialised body fails at once, with the reason', async () => {
    const app = await rtmsApp({ reserializeBody: true });
    const report = await run(app.url);
    expect(report.ok).toBe(false);
    expect(report.durationMs).toBeLessThan(3_000);
    expect(byId(report, 'webhook-started')[0]).toMatchObject({ status: 'fail', message: expect.stringContaining('rtms_started answered HTTP 401') });
    expect(byId(report, 'raw-body')[0]).toMatchObject({ status: 'fail', message: expect.stringContaining('the app verifies a re-serialised body, not the raw bytes') });
    expect(report.checks.some((c) => c.id === 'ready')).toBe(false); // the run ended there
  });

  it('an app whose body parser ran first answers 400: the run ends at once with its answer and the hint', async () => {
    const app = await rtmsApp({ parsedBody: true });
    const io = fakeIo();
    const t = Date.now();
    expect(await main(['simulate', '--webhook', app.url, ...CREDS], io)).toBe(1);
    expect(Date.now() - t).toBeLessThan(3_000);
    const out = io.out();
    expect(out).toContain('✘ rtms_started answered HTTP 400: ');
    expect(out).toContain('RTMS_WEBHOOK_BODY_INVALID');
    expect(out).toContain('body must be the raw request body');
    expect(out).toContain('hint: a body parser probably ran before the webhook handler');
    expect(out).toMatch(/FAIL: 0 passed, 0 warning\(s\), 1 failed\n$/);
  });

  it('an app with another webhook token answers 401: the run ends at once, pointing at the token', async () => {
    const app = await rtmsApp({ client: { webhookSecretToken: 'another-token' } });
    const io = fakeIo();
    expect(await main(['simulate', '--webhook', app.url, ...CREDS], io)).toBe(1);
    expect(io.out()).toContain('✘ rtms_started answered HTTP 401');
    expect(io.out()).toContain('RTMS_WEBHOOK_SIGNATURE_INVALID');
    expect(io.out()).toContain('hint: check that the app and this command use the same webhook secret token');
  });

  it('an app that is not listening: "is your app listening on ...?"', async () => {
    const io = fakeIo();
    const url = `http://127.0.0.1:${await closedPort()}/webhook`;
    expect(await main(['simulate', '--webhook', url, ...CREDS], io)).toBe(1);
    expect(io.out()).toContain('✘ rtms_started could not be delivered (connect ECONNREFUSED');
    expect(io.out()).toContain(`hint: is your app listening on ${url}?`);
  });
});

describe('apps that must pass', () => {
  it('a correct app passes, and the summary agrees with the checks', async () => {
    const app = await rtmsApp();
    const io = fakeIo();
    expect(await main(['simulate', '--webhook', app.url, ...CREDS, '--duration', '1500ms', '--keepalive', '400ms'], io)).toBe(0);
    const out = io.out();
    expect(out).toContain("✔ the app's sockets stayed up until the stop");
    expect(out).toContain('✔ the app verified the raw body');
    expect(out).toMatch(/1 signaling \/ 1 media connection\(s\); /);
    expect(out).toMatch(/PASS: \d+ passed, 0 warning\(s\), 0 failed\n$/);
  });

  it('an app that loses its media socket and reconnects passes, and the report shows the reconnect', async () => {
    const app = await rtmsApp({ cutMediaAfterMs: 500 });
    const report = await run(app.url, { script: { durationMs: 3_000 } });
    expect(report.checks.filter((c) => c.status === 'fail')).toEqual([]);
    expect(report.ok).toBe(true);
    expect(byId(report, 'connection')).toEqual([{ id: 'connection', status: 'pass', message: expect.stringMatching(/^media socket closed 1006 at \d+\.\d\d s; media reconnected after \d+\.\d s$/) }]);
    expect(report.record.mediaConnections).toBe(2);
    expect(app.transcripts.length).toBeGreaterThan(0);
  });
});
