/**
 * The framework examples (node:http, Express, Fastify, Hono, Next.js App Router) receive a simulated stream the
 * way Zoom would send it: each one is started as its own process (the Next.js route in-process, through a small
 * node:http adapter, without Next.js), then driven by runConformance, which `rtms-client simulate` wraps. No check
 * may fail, and no protocol violation may be recorded. The `--simulate` one-command runs are checked too.
 */
import { execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RtmsClient } from '../../src/index.js';
import { computeUrlValidationToken, computeWebhookSignature } from '../../src/index.js';
import { buildUrlValidationWebhook, buildWebhook, runConformance, type ConformanceReport } from '../../src/testing/index.js';
import { routeServer } from '../../examples/nextjs/node-adapter.js';
import { freePort, startNode } from './child.js';

const CREDS = { clientId: 'fw-client-id', clientSecret: 'fw-client-secret', webhookSecretToken: 'fw-webhook-token' };
const ENV = { ZOOM_CLIENT_ID: CREDS.clientId, ZOOM_CLIENT_SECRET: CREDS.clientSecret, ZOOM_SECRET_TOKEN: CREDS.webhookSecretToken };

/**
 * URL validation, then a 1.2 s stream with a transcript line every 200 ms and a keep-alive after 1 s. (Not more
 * often: the simulator flags a slow app that answers two queued keep-alives in order, which a loaded CI machine can
 * make an app look like.)
 */
function conformance(webhookUrl: string): Promise<ConformanceReport> {
  return runConformance({
    webhookUrl,
    ...CREDS,
    validateUrl: true,
    keepAliveIntervalMs: 1_000,
    script: { durationMs: 1_200, transcriptEveryMs: 200, audioFrameMs: 0 },
  });
}

/**
 * No check fails, and the protocol checks pass outright. Timing checks (webhook answered within 3 s, sockets closed
 * within 5 s, a keep-alive due during the run) may only warn on a loaded machine, so they are not required to pass.
 */
function expectClean(report: ConformanceReport): void {
  const detail = JSON.stringify(report.checks, null, 2);
  expect(report.checks.filter((c) => c.status === 'fail'), detail).toEqual([]);
  expect(report.ok).toBe(true);
  const status = Object.fromEntries(report.checks.map((c) => [c.id, c.status]));
  expect(status, detail).toMatchObject({ 'url-validation': 'pass', ready: 'pass', 'webhook-stopped': 'pass', 'handshake-fields': 'pass', signature: 'pass', 'one-connection': 'pass', messages: 'pass' });
  // Informational notes (a media handshake without `sequence`, as every Zoom-written client sends it) are not faults.
  expect(report.violations.filter((v) => v.severity !== 'info'), detail).toEqual([]);
  expect(report.record.readyAcks).toBe(1);
}

// Each test starts a process through tsx; on a busy 2-core machine several starting at once take seconds each.
describe.concurrent('framework examples pass a conformance run', { timeout: 60_000 }, () => {
  it.for([
    ['node-http', 'examples/node-http/server.ts'],
    ['express', 'examples/express/server.ts'],
    ['fastify', 'examples/fastify/server.ts'],
    ['hono', 'examples/hono/server.ts'],
  ])('%s', async ([, file], { onTestFinished }) => {
    const port = await freePort();
    const app = await startNode(['--import', 'tsx', file!], { env: { ...ENV, PORT: String(port) }, ready: /listening on http:\/\/localhost:\d+\/zoom\/webhook/, onTestFinished });
    const report = await conformance(`http://127.0.0.1:${port}/zoom/webhook`);
    expectClean(report);
    await app.waitFor(/ended: stopped \(webhook_stopped, MEETING_ENDED\)/);
    expect(app.stdout()).toMatch(/\] Ada Lovelace: Good morning, everyone\./);
    expect(app.stdout() + app.stderr()).not.toContain(CREDS.clientSecret);
  });

  it.for([
    ['fastify', ['examples/fastify/server.ts', '--simulate']],
    ['hono', ['examples/hono/server.ts', '--simulate']],
    ['nextjs', ['examples/nextjs/simulate.ts']],
  ] as const)('%s runs with one command against the simulator and exits 0', async ([, args]) => {
    const port = await freePort();
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', ...args], {
      env: { ...process.env, PORT: String(port), DURATION_MS: '1000' },
      timeout: 45_000,
    });
    expect(stdout).toMatch(/^webhook answered 200$/m);
    expect(stdout).toMatch(/Ada Lovelace: Good morning/);
    expect(stdout).toMatch(/ended: stopped \(webhook_stopped, MEETING_ENDED\)/);
  });
});

describe('Next.js App Router route handler, without Next.js', () => {
  type Route = typeof import('../../examples/nextjs/app/api/zoom/webhook/route.js');
  let route: Route;
  const saved = { ...process.env };
  const log = vi.fn();

  beforeAll(async () => {
    Object.assign(process.env, ENV); // read on the first request, as Next.js would provide them
    // The route logs to the console; keep those lines (the client is created on the first request, with these).
    for (const level of ['log', 'info', 'warn', 'error'] as const) vi.spyOn(console, level).mockImplementation((...args: unknown[]) => log(level, ...args));
    route = await import('../../examples/nextjs/app/api/zoom/webhook/route.js');
  });
  afterAll(async () => {
    await (globalThis as { [key: symbol]: RtmsClient | undefined })[Symbol.for('rtms-client.examples.nextjs')]?.close();
    for (const k of Object.keys(ENV)) if (saved[k] === undefined) delete process.env[k];
    vi.restoreAllMocks();
  });

  const post = (webhook: { headers: Record<string, string>; body: string }) =>
    route.POST(new Request('http://localhost/api/zoom/webhook', { method: 'POST', headers: webhook.headers, body: webhook.body }));

  it('declares the Node.js runtime and no caching', () => {
    expect(route.runtime).toBe('nodejs');
    expect(route.dynamic).toBe('force-dynamic');
  });

  it('POST(Request) answers URL validation from the raw body', async () => {
    const res = await post(buildUrlValidationWebhook('plain-123', { secretToken: CREDS.webhookSecretToken }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ plainToken: 'plain-123', encryptedToken: computeUrlValidationToken(CREDS.webhookSecretToken, 'plain-123') });
  });

  it('POST(Request) refuses a bad signature with 401 and an oversize body with 413', async () => {
    const w = buildWebhook('meeting.rtms_stopped', { meeting_uuid: 'm', rtms_stream_id: 's' }, { secretToken: 'wrong-token' });
    const bad = await post(w);
    expect(bad.status).toBe(401);
    expect(await bad.json()).toMatchObject({ error: 'RTMS_WEBHOOK_SIGNATURE_INVALID' });
    expect(log).toHaveBeenCalledWith('warn', expect.stringContaining('webhook refused (401 RTMS_WEBHOOK_SIGNATURE_INVALID)'), expect.anything());

    const big = `{"event":"x","payload":{},"pad":"${'x'.repeat(1024 * 1024)}"}`;
    const ts = String(Math.floor(Date.now() / 1000));
    const headers = { 'content-type': 'application/json', 'x-zm-request-timestamp': ts, 'x-zm-signature': computeWebhookSignature(CREDS.webhookSecretToken, ts, big) };
    expect((await post({ headers, body: big })).status).toBe(413);
  });

  it('served on node:http, it passes a conformance run', async () => {
    const server = routeServer(route, '/api/zoom/webhook');
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const report = await conformance(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/zoom/webhook`);
      expectClean(report);
      const lines = () => log.mock.calls.map((c) => c.slice(1).join(' '));
      await expect.poll(() => lines().some((l) => / ended: stopped \(webhook_stopped, MEETING_ENDED\)$/.test(l))).toBe(true);
      expect(lines()).toContainEqual(expect.stringMatching(/\] Ada Lovelace: Good morning, everyone\./));
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
