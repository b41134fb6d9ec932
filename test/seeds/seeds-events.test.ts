/**
 * The seed guides' flow with no tunnel: examples/seeds/meeting-transcripts-events (the meeting guide's RTMS code,
 * receiving its events over the event WebSocket instead of a webhook route) run as its own process against the
 * simulator, both ways the README shows: the app started first and `rtms-client simulate --events --port N` after
 * it (the app retries until the simulator is up), and runConformance({ delivery: 'events' }) starting the app once
 * it knows the URLs. Transcripts must arrive and the report must have no failure; the guide's own departures
 * (bare signaling handshake, sockets left open after the stop) stay warnings, as in the webhook version.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { runConformance } from '../../src/testing/index.js';
import { fakeIo } from '../cli/apps.js';
import { freePort, startNode, type ChildApp } from '../frameworks/child.js';

const cwd = fileURLToPath(new URL('../../examples/seeds/meeting-transcripts-events/', import.meta.url));
const CREDS = { clientId: 'seed-events-client-id', clientSecret: 'seed-events-client-secret' };

function env(eventSocketUrl: string, tokenUrl: string): Record<string, string> {
  return { ZOOM_CLIENT_ID: CREDS.clientId, ZOOM_CLIENT_SECRET: CREDS.clientSecret, ZOOM_EVENT_WS_URL: eventSocketUrl, ZOOM_OAUTH_TOKEN_URL: tokenUrl };
}

function transcripts(app: ChildApp): string[] {
  return app.stdout().match(/^Transcript from .+: .+$/gm) ?? [];
}

describe.concurrent('the seed app over the event socket, no tunnel', () => {
  it('app first, then `rtms-client simulate --events --port N`: it connects, streams, and the run passes', async ({ onTestFinished }) => {
    const port = await freePort();
    const app = await startNode(['index.js'], {
      cwd,
      env: env(`ws://127.0.0.1:${port}/ws?subscriptionId=sim`, `http://127.0.0.1:${port}/oauth/token`),
      // Nothing listens yet: the app reports the outage and retries with backoff.
      ready: /Event socket down; reconnecting/,
      onTestFinished,
    });
    const io = fakeIo();
    const code = await main(
      ['simulate', '--events', '--port', String(port), '--client-id', CREDS.clientId, '--client-secret', CREDS.clientSecret, '--duration', '2500ms', '--keepalive', '1s', '--close-timeout', '300ms', '--wait', '20s'],
      io,
    );
    expect(code, io.all()).toBe(0);
    expect(io.out()).toMatch(/\nPASS: \d+ passed, [1-9] warning\(s\), 0 failed/);
    expect(io.out()).toMatch(/ok +the app fetched a token and opened the event socket/);
    expect(io.out()).toMatch(/warn signaling handshake omits protocol_version/);
    expect(transcripts(app).length, app.stdout()).toBeGreaterThanOrEqual(2);
    expect(app.stdout()).toContain(`Event socket connected to ws://127.0.0.1:${port}/ws`);
    expect(app.stdout() + app.stderr()).not.toContain('access_token'); // the token is never logged
  });

  it('runConformance starting the app once it knows the URLs: same report as the webhook seed', async ({ onTestFinished }) => {
    let app: Promise<ChildApp> | undefined;
    const report = await runConformance({
      delivery: 'events',
      ...CREDS,
      onEventEndpoints: (e) => {
        app = startNode(['index.js'], { cwd, env: env(e.eventSocketUrl, e.tokenUrl), ready: /Event socket connected/, onTestFinished });
      },
      eventConnectTimeoutMs: 15_000,
      script: { durationMs: 1_200, transcriptEveryMs: 200 },
      keepAliveIntervalMs: 1_000,
      closeTimeoutMs: 300,
    });
    const child = await app!;
    expect(report.checks.filter((c) => c.status === 'fail'), JSON.stringify(report.checks, null, 2)).toEqual([]);
    expect(report.ok).toBe(true);
    const warned = report.checks.filter((c) => c.status === 'warn').map((c) => c.id);
    expect(warned).toEqual(['closed', 'handshake-fields']); // the guide's own departures, as with webhooks
    expect(report.checks.find((c) => c.id === 'event-heartbeat')?.status).toBe('pass');
    expect(report.eventSocket).toMatchObject({ connections: 1, lost: 0 });
    const lines = transcripts(child);
    expect(lines.length, child.stdout()).toBeGreaterThanOrEqual(3);
    expect(lines[0]).toBe('Transcript from Ada Lovelace: Good morning, everyone. Shall we start with the roadmap?');
    expect(child.stdout()).toMatch(/Stopping RTMS for meeting /); // rtms_stopped arrived over the socket
  });
});
