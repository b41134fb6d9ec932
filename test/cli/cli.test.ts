/**
 * The `rtms-client` command, run in-process through main() with a fake CliIo: help, version and usage errors,
 * parseDuration, verify-webhook (valid, tampered, trailing newline, stale, --no-time, --json, no secrets printed)
 * and simulate against in-test apps (a correct one on RtmsClient; broken ones that must fail).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main, parseDuration } from '../../src/cli/main.js';
import { computeWebhookSignature } from '../../src/index.js';
import { buildWebhook, runConformance } from '../../src/testing/index.js';
import { APP, closedPort, fakeIo, rawApp, rtmsApp } from './apps.js';

const FAST = ['--duration', '1s', '--keepalive', '400ms'];
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const dir = mkdtempSync(join(tmpdir(), 'rtms-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
function file(content: string): string {
  const path = join(dir, `f${fileNo++}`);
  writeFileSync(path, content);
  return path;
}

describe('help, version and usage errors', () => {
  it.each([['--help'], ['-h'], ['help']])('rtms-client %s prints the overview and exits 0', async (flag) => {
    const io = fakeIo();
    expect(await main([flag], io)).toBe(0);
    expect(io.out()).toMatch(/^rtms-client \d+\.\d+\.\d+: tools for Zoom Realtime Media Streams/);
    expect(io.out()).toContain('rtms-client simulate --webhook <url>');
    expect(io.out()).toContain('rtms-client verify-webhook');
    expect(io.err()).toBe('');
  });

  it('no command prints the overview and exits 2', async () => {
    const io = fakeIo();
    expect(await main([], io)).toBe(2);
    expect(io.out()).toContain('Usage:');
  });

  it.each([
    ['simulate', '--help', /rtms-client simulate: drive your running app/],
    ['simulate', '-h', /--webhook <url> +your app's webhook endpoint, e\.g\. http:\/\/localhost:3000\/webhook \(or --events\)/],
    ['verify-webhook', '--help', /rtms-client verify-webhook: check a captured webhook/],
    ['verify-webhook', '-h', /--no-time +skip the replay-window check/],
  ])('%s %s prints the command help and exits 0', async (command, flag, expected) => {
    const io = fakeIo();
    expect(await main([command, flag], io)).toBe(0);
    expect(io.out()).toMatch(expected);
    expect(io.out()).toContain('Options:');
    expect(io.err()).toBe('');
  });

  it('--help wins over a missing required option', async () => {
    const io = fakeIo();
    expect(await main(['simulate', '--help', '--product', 'meeting'], io)).toBe(0);
  });

  it.each([['--version'], ['-v']])('%s prints the package version', async (flag) => {
    const io = fakeIo();
    expect(await main([flag], io)).toBe(0);
    expect(io.out()).toBe(`${pkg.version}\n`);
  });

  it('an unknown command exits 2 with a pointer to --help', async () => {
    const io = fakeIo();
    expect(await main(['frobnicate'], io)).toBe(2);
    expect(io.out()).toBe('');
    expect(io.err()).toContain('rtms-client: unknown command frobnicate');
    expect(io.err()).toContain("Run 'rtms-client --help'");
    expect(io.err()).toMatch(/Run 'rtms-client .*--help' for usage/);
  });

  it.each([
    [['simulate'], /--webhook <url> is required/],
    [['simulate', '--product', 'webinar'], /--webhook <url> is required/],
    [['simulate', '--webhook', 'ftp://example.com/hook'], /--webhook must be an http\(s\) URL/],
    [['simulate', '--webhook', 'not a url'], /--webhook must be an http\(s\) URL/],
    [['simulate', '--webhook', 'http://localhost:1/w', '--product', 'fax'], /--product must be meeting, webinar, session, contact-center or phone/],
    [['simulate', '--webhook', 'http://localhost:1/w', '--drift-kinds', 'binary,bogus'], /--drift-kinds: unknown kind bogus/],
    [['simulate', '--webhook', 'http://localhost:1/w'], /app credentials are needed/],
    [['simulate', '--webhook', 'http://localhost:1/w', '--client-id', 'a', '--client-secret', 'b', '--duration', 'soon'], /not a duration: soon/],
    [['simulate', '--webhook', 'http://localhost:1/w', '--client-id', 'a', '--client-secret', 'b', '--keepalive', '5h'], /not a duration: 5h/],
    [['simulate', '--webhook', 'http://localhost:1/w', '--client-id', 'a', '--client-secret', 'b', '--port', '70000'], /--port must be a port number/],
    [['simulate', '--webhook', 'http://localhost:1/w', '--client-id', 'a', '--client-secret', 'b', '--media-urls', 'audio,smell'], /--media-urls: unknown kind smell/],
    [['simulate', '--webhook', 'http://localhost:1/w', '--client-id', 'a', '--client-secret', 'b', '--script', '/nonexistent/script.json'], /cannot read script/],
    [['simulate', '--frobnicate'], /Unknown option '--frobnicate'/],
    [['verify-webhook', '--body', '{}'], /--secret <token> \(or ZOOM_SECRET_TOKEN\) is required/],
    [['verify-webhook', '--secret', 's'], /give --request <file>, or --body-file\/--body/],
    [['verify-webhook', '--secret', 's', '--request', '/nonexistent/request.json'], /cannot read \/nonexistent\/request.json/],
    [['verify-webhook', '--secret', 's', '--body', '{}', '--tolerance', 'forever'], /--tolerance must be a number of seconds/],
  ])('%j is a usage error: exit 2', async (argv, expected) => {
    const io = fakeIo();
    expect(await main(argv, io)).toBe(2);
    expect(io.err()).toMatch(expected);
    expect(io.err()).toMatch(new RegExp(`Run 'rtms-client ${argv[0]} --help' for usage`));
    expect(io.out()).toBe('');
  });

  it('a script file without lines of the right shape is a usage error', async () => {
    const io = fakeIo();
    const script = file(JSON.stringify({ lines: [{ text: 'no speaker' }] }));
    expect(await main(['simulate', '--webhook', 'http://localhost:1/w', '--client-id', 'a', '--client-secret', 'b', '--script', script], io)).toBe(2);
    expect(io.err()).toContain('script.lines[0] needs userName and text');
  });

  it('a request file without a string body is a usage error', async () => {
    const io = fakeIo();
    expect(await main(['verify-webhook', '--secret', 's', '--request', file(JSON.stringify({ headers: {}, body: { event: 'x' } }))], io)).toBe(2);
    expect(io.err()).toContain('"body" as the raw body string');
  });
});

describe('parseDuration', () => {
  it.each([
    ['30s', 30_000],
    ['1500ms', 1_500],
    ['2m', 120_000],
    ['5', 5_000],
    ['0.5s', 500],
    ['1.5m', 90_000],
    ['0', 0],
    [' 10s ', 10_000],
    ['300ms', 300],
  ])('%j is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([[''], ['abc'], ['-1s'], ['10h'], ['1e3'], ['s'], ['1 s'], ['1.s'], ['ms']])('%j is refused', (text) => {
    expect(() => parseDuration(text)).toThrow(/not a duration/);
  });
});

describe('verify-webhook', () => {
  const SECRET = 'verify-secret-token-DO-NOT-PRINT';
  const signed = (timestampSeconds?: number) =>
    buildWebhook('meeting.rtms_started', { meeting_uuid: 'abc/+=', rtms_stream_id: 'f00d', server_urls: 'wss://x.zoom.us' }, {
      secretToken: SECRET,
      ...(timestampSeconds === undefined ? {} : { timestampSeconds }),
    });

  /** Runs verify-webhook on a request file with `body` in place of the signed one; checks nothing secret is printed. */
  async function verify(body: string, headers: Record<string, string>, extra: string[] = []) {
    const io = fakeIo();
    const code = await main(['verify-webhook', '--secret', SECRET, '--request', file(JSON.stringify({ headers, body })), ...extra], io);
    const ts = headers['x-zm-request-timestamp'] ?? '0';
    expect(io.all()).not.toContain(SECRET);
    expect(io.all()).not.toContain(computeWebhookSignature(SECRET, ts, body)); // the signature this body would need
    expect(io.all()).not.toContain(computeWebhookSignature(SECRET, ts, body).slice(3));
    return { code, out: io.out(), err: io.err() };
  }

  it('a valid capture (request file) exits 0', async () => {
    const w = signed();
    const r = await verify(w.body, w.headers);
    expect(r.code).toBe(0);
    expect(r.out).toContain('VALID: the signature matches the raw body and the timestamp is fresh');
    expect(r.out).toMatch(new RegExp(`body: ${Buffer.byteLength(w.body)} bytes; timestamp age: \\d+ s`));
    expect(r.out).not.toContain('hint');
  });

  it('a valid capture given as --signature, --timestamp and --body-file (token from the environment) exits 0', async () => {
    const w = signed();
    const io = fakeIo({ ZOOM_SECRET_TOKEN: SECRET });
    const argv = ['verify-webhook', '--signature', w.headers['x-zm-signature']!, '--timestamp', w.headers['x-zm-request-timestamp']!, '--body-file', file(w.body)];
    expect(await main(argv, io)).toBe(0);
    expect(io.out()).toContain('VALID');
  });

  it('--body and ZOOM_WEBHOOK_SECRET_TOKEN work too, and header names are case-insensitive', async () => {
    const w = signed();
    const io = fakeIo({ ZOOM_WEBHOOK_SECRET_TOKEN: SECRET });
    const headers = { 'X-Zm-Signature': w.headers['x-zm-signature'], 'X-ZM-Request-Timestamp': w.headers['x-zm-request-timestamp'] };
    expect(await main(['verify-webhook', '--request', file(JSON.stringify({ headers, body: w.body }))], io)).toBe(0);
    const io2 = fakeIo({ ZOOM_WEBHOOK_SECRET_TOKEN: SECRET });
    expect(await main(['verify-webhook', '--body', w.body, '--signature', w.headers['x-zm-signature']!, '--timestamp', w.headers['x-zm-request-timestamp']!], io2)).toBe(0);
  });

  it('a re-serialised (pretty-printed) capture is invalid, with the compact-JSON hint', async () => {
    const w = signed();
    const r = await verify(JSON.stringify(JSON.parse(w.body), null, 2), w.headers);
    expect(r.code).toBe(1);
    expect(r.out).toContain('INVALID (RTMS_WEBHOOK_SIGNATURE_INVALID): signature does not match');
    expect(r.out).toContain('hint: it matches the compact JSON: your capture is a re-serialised body, not the raw bytes');
  });

  it('a tampered compact body is invalid and points at the token or the raw body', async () => {
    const w = signed();
    const r = await verify(w.body.replace('f00d', 'beef'), w.headers);
    expect(r.code).toBe(1);
    expect(r.out).toContain('INVALID (RTMS_WEBHOOK_SIGNATURE_INVALID)');
    expect(r.out).toContain("hint: no simple transformation of the body matches: check that this is the app's webhook secret token");
  });

  it('a tampered pretty body that is not the signed one says the body is not what was signed', async () => {
    const w = signed();
    const r = await verify(JSON.stringify({ ...w.json, event: 'meeting.rtms_stopped' }, null, 2), w.headers);
    expect(r.code).toBe(1);
    expect(r.out).toContain('hint: the body is not what was signed, or the token is wrong');
  });

  it('a body that is not JSON gets its own hint', async () => {
    const w = signed();
    const r = await verify('event=meeting.rtms_started', w.headers);
    expect(r.code).toBe(1);
    expect(r.out).toContain('hint: the body is not JSON; capture the raw request body exactly');
  });

  it.each([['\n'], ['\r\n']])('a trailing %j is invalid, with the trailing-newline hint', async (nl) => {
    const w = signed();
    const r = await verify(w.body + nl, w.headers);
    expect(r.code).toBe(1);
    expect(r.out).toContain('hint: it matches without the trailing newline: the body was changed after it arrived');
  });

  it('the wrong token is invalid and suggests checking the token', async () => {
    const w = buildWebhook('meeting.rtms_stopped', { meeting_uuid: 'm', rtms_stream_id: 's' }, { secretToken: 'some-other-token' });
    const r = await verify(w.body, w.headers);
    expect(r.code).toBe(1);
    expect(r.out).toContain('webhook secret token (not the client secret)');
    expect(r.out).not.toContain('some-other-token');
  });

  it('a stale capture is invalid with the age and a --no-time hint; --no-time then accepts it', async () => {
    const w = signed(Math.floor(Date.now() / 1000) - 3_600);
    const r = await verify(w.body, w.headers);
    expect(r.code).toBe(1);
    expect(r.out).toContain('INVALID (RTMS_WEBHOOK_TIMESTAMP_INVALID): timestamp is outside the 300 s replay window');
    expect(r.out).toMatch(/hint: the signature is right, but the timestamp is 360\d s old \(use --no-time for old captures\)/);
    const ok = await verify(w.body, w.headers, ['--no-time']);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/timestamp age: 360\d s/);
  });

  it('--tolerance sets the replay window', async () => {
    const w = signed(Math.floor(Date.now() / 1000) - 60);
    expect((await verify(w.body, w.headers, ['--tolerance', '30'])).code).toBe(1);
    expect((await verify(w.body, w.headers, ['--tolerance', '120'])).code).toBe(0);
  });

  it('a capture without signature headers is invalid, without hints', async () => {
    const w = signed();
    const r = await verify(w.body, { 'content-type': 'application/json' });
    expect(r.code).toBe(1);
    expect(r.out).toContain('INVALID (RTMS_WEBHOOK_SIGNATURE_MISSING): missing x-zm-signature header');
    expect(r.out).toContain('timestamp age: n/a');
    expect(r.out).not.toContain('hint');
  });

  it('--json prints one JSON object: valid, bodyBytes, timestampAgeSeconds, hints (and code, reason when invalid)', async () => {
    const w = signed();
    const valid = await verify(w.body, w.headers, ['--json']);
    expect(valid.code).toBe(0);
    const v = JSON.parse(valid.out) as Record<string, unknown>;
    expect(Object.keys(v).sort()).toEqual(['bodyBytes', 'hints', 'timestampAgeSeconds', 'valid']);
    expect(v).toMatchObject({ valid: true, bodyBytes: Buffer.byteLength(w.body), hints: [] });
    expect(v['timestampAgeSeconds']).toBeTypeOf('number');

    const invalid = await verify(`${w.body}\n`, w.headers, ['--json']);
    expect(invalid.code).toBe(1);
    expect(invalid.out.trim().split('\n')).toHaveLength(1);
    const i = JSON.parse(invalid.out) as Record<string, unknown>;
    expect(Object.keys(i).sort()).toEqual(['bodyBytes', 'code', 'hints', 'reason', 'timestampAgeSeconds', 'valid']);
    expect(i).toMatchObject({ valid: false, code: 'RTMS_WEBHOOK_SIGNATURE_INVALID', reason: 'signature does not match', bodyBytes: Buffer.byteLength(w.body) + 1 });
    expect(i['hints']).toEqual([expect.stringContaining('trailing newline')]);

    const unsigned = JSON.parse((await verify(w.body, {}, ['--json'])).out) as Record<string, unknown>;
    expect(unsigned).toMatchObject({ valid: false, code: 'RTMS_WEBHOOK_SIGNATURE_MISSING', hints: [] });
    expect('timestampAgeSeconds' in unsigned && unsigned['timestampAgeSeconds'] !== undefined).toBe(false);
  });
});

describe('simulate', () => {
  const creds = ['--client-id', APP.clientId, '--client-secret', APP.clientSecret];

  function noSecrets(text: string): void {
    expect(text).not.toContain(APP.clientSecret);
    expect(text).not.toContain(APP.webhookSecretToken);
  }

  it('a correct app on RtmsClient passes: exit 0, progress lines, a clean report', async () => {
    const app = await rtmsApp();
    const io = fakeIo();
    const code = await main(['simulate', '--webhook', app.url, ...creds, '--secret', APP.webhookSecretToken, '--validate-url', ...FAST], io);
    expect(code, io.all()).toBe(0);
    const out = io.out();
    expect(out).toMatch(/^simulator listening on ws:\/\/127\.0\.0\.1:\d+; stream [0-9a-f]{32} \(meeting\)$/m);
    expect(out).toContain('ok   endpoint.url_validation answered with the right encryptedToken');
    expect(out).toMatch(/ok {3}rtms_started answered HTTP 200 in \d+ ms/);
    expect(out).toContain('✔ handshake signature valid');
    expect(out).toContain('✔ the app closed its sockets after rtms_stopped');
    expect(out).toMatch(/✔ keep-alives answered with the request timestamp \(\d+ of [1-9]\d*/);
    expect(out).toMatch(/1 signaling \/ 1 media connection\(s\); \d+\/\d+ keep-alives answered; 1 ready ack\(s\)/);
    expect(out).toMatch(/PASS: \d+ passed, 0 warning\(s\), 0 failed\n$/);
    expect(out).not.toMatch(/FAIL|warn /);
    expect(io.err()).toBe('');
    expect(app.transcripts.length).toBeGreaterThan(0);
    noSecrets(io.all());
  });

  it('--json prints only the report, as one JSON object', async () => {
    const app = await rtmsApp();
    const io = fakeIo({ ZOOM_CLIENT_ID: APP.clientId, ZOOM_CLIENT_SECRET: APP.clientSecret, ZOOM_SECRET_TOKEN: APP.webhookSecretToken });
    expect(await main(['simulate', '--webhook', app.url, '--json', ...FAST], io)).toBe(0);
    expect(io.out().trim().split('\n')).toHaveLength(1);
    const report = JSON.parse(io.out()) as { ok: boolean; stream: Record<string, string>; checks: { id: string; status: string; message: string }[]; violations: unknown[]; durationMs: number };
    expect(Object.keys(report).sort()).toEqual(['checks', 'delivery', 'durationMs', 'ok', 'refusals', 'stream', 'violations']);
    expect(report).toMatchObject({ delivery: 'webhook' });
    expect(report.ok).toBe(true);
    expect(report.stream).toMatchObject({ product: 'meeting', streamId: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(report.checks.map((c) => c.id)).toEqual(['webhook-started', 'raw-body', 'ready', 'media-consumed', 'webhook-stopped', 'closed', 'connection', 'handshake-fields', 'signature', 'one-connection', 'keep-alive', 'messages']);
    expect(report.checks.every((c) => c.status === 'pass')).toBe(true);
    // The SDK omits `sequence` from the media handshake, as Zoom's own clients do: an informational note only.
    expect(report.violations).toEqual([expect.objectContaining({ severity: 'info', channel: 'media', rule: 'sequence' })]);
    expect(report.durationMs).toBeGreaterThanOrEqual(1_000);
    expect(io.err()).toBe('');
    noSecrets(io.all());
  });

  it('reads ZOOM_APP_CLIENT_ID / ZOOM_APP_CLIENT_SECRET, streams Contact Center, and warns when webhooks go unsigned', async () => {
    const app = await rtmsApp({ client: { webhookSecretToken: undefined, verifyWebhooks: false } });
    const io = fakeIo({ ZOOM_APP_CLIENT_ID: APP.clientId, ZOOM_APP_CLIENT_SECRET: APP.clientSecret });
    expect(await main(['simulate', '--webhook', app.url, '--product', 'contact-center', ...FAST], io)).toBe(0);
    expect(io.err()).toBe('warning: no webhook secret token: webhooks are sent unsigned\n');
    expect(io.out()).toMatch(/stream [0-9a-f]{32} \(contact_center\)/);
    expect(app.transcripts.length).toBeGreaterThan(0);
  });

  it('--product phone streams a Zoom Phone call (call_id, channel-keyed transcripts) into the app', async () => {
    const app = await rtmsApp();
    const io = fakeIo({ ZOOM_CLIENT_ID: APP.clientId, ZOOM_CLIENT_SECRET: APP.clientSecret, ZOOM_SECRET_TOKEN: APP.webhookSecretToken });
    expect(await main(['simulate', '--webhook', app.url, '--product', 'phone', ...FAST], io)).toBe(0);
    expect(io.out()).toMatch(/stream [0-9a-f]{32} \(phone\)/);
    expect(io.out()).toMatch(/PASS: \d+ passed, 0 warning\(s\), 0 failed\n$/);
    expect(app.transcripts.length).toBeGreaterThan(0);
  });

  it('--drift streams with benign drift (binary frames, retyped fields, nulls, unknown fields) and the SDK app still passes', async () => {
    const app = await rtmsApp();
    const io = fakeIo({ ZOOM_CLIENT_ID: APP.clientId, ZOOM_CLIENT_SECRET: APP.clientSecret, ZOOM_SECRET_TOKEN: APP.webhookSecretToken });
    expect(await main(['simulate', '--webhook', app.url, '--drift', '--product', 'contact-center', ...FAST], io)).toBe(0);
    expect(io.out()).toMatch(/PASS: \d+ passed, 0 warning\(s\), 0 failed\n$/);
    expect(app.transcripts.length).toBeGreaterThan(0);
    const only = fakeIo({ ZOOM_CLIENT_ID: APP.clientId, ZOOM_CLIENT_SECRET: APP.clientSecret, ZOOM_SECRET_TOKEN: APP.webhookSecretToken });
    expect(await main(['simulate', '--webhook', app.url, '--drift-kinds', 'binary,numericIds', ...FAST], only)).toBe(0);
  });

  it('an app that answers webhooks with 500 fails at once: exit 1, naming the status and the answer', async () => {
    const app = await rtmsApp({ forceStatus: 500 });
    const io = fakeIo();
    expect(await main(['simulate', '--webhook', app.url, ...creds, '--secret', APP.webhookSecretToken, ...FAST], io)).toBe(1);
    expect(io.out()).toContain('FAIL rtms_started answered HTTP 500: "internal error"; Zoom expects 2xx');
    expect(io.out()).toContain("hint: the app failed while handling the webhook: see the app's own log");
    expect(io.out()).not.toContain('rtms_stopped');
    expect(io.out()).toMatch(/FAIL: 0 passed, 0 warning\(s\), 1 failed\n$/);
  });

  it('an app that echoes the wrong keep-alive timestamp fails; a handshake without protocol_version/sequence warns', async () => {
    const app = await rawApp({ keepAliveSkew: 1, fullHandshake: false });
    const io = fakeIo();
    expect(await main(['simulate', '--webhook', app.url, ...creds, '--json', ...FAST], io)).toBe(1);
    const report = JSON.parse(io.out()) as { ok: boolean; checks: { id: string; status: string; message: string }[] };
    expect(report.ok).toBe(false);
    const byId = Object.fromEntries(report.checks.map((c) => [c.id, c]));
    expect(byId['ready']?.status).toBe('pass');
    expect(byId['keep-alive']).toMatchObject({ status: 'fail', message: expect.stringContaining('KEEP_ALIVE_RESP must echo the timestamp') });
    expect(byId['handshake-fields']).toMatchObject({ status: 'warn', message: expect.stringMatching(/omits protocol_version.*omits sequence/) });
  });

  it('the same raw app, written correctly, passes', async () => {
    const app = await rawApp();
    const io = fakeIo();
    expect(await main(['simulate', '--webhook', app.url, ...creds, ...FAST, '--media-urls', 'all,transcript'], io), io.all()).toBe(0);
  });

  it('an app that is not listening fails at once: exit 1, naming the URL', async () => {
    const io = fakeIo();
    const url = `http://127.0.0.1:${await closedPort()}/webhook`;
    expect(await main(['simulate', '--webhook', url, ...creds, ...FAST], io)).toBe(1);
    expect(io.out()).toMatch(/FAIL rtms_started could not be delivered \(connect ECONNREFUSED/);
    expect(io.out()).toContain(`hint: is your app listening on ${url}?`);
    expect(io.out()).toMatch(/FAIL: 0 passed, 0 warning\(s\), 1 failed/);
  });

  // The CLI waits 10 s for CLIENT_READY_ACK (no flag shortens it), so these two drive runConformance, which the
  // command wraps, with a short connect timeout.
  it('an app with the wrong client secret fails on the handshake signature', async () => {
    const app = await rawApp({ clientSecret: 'not-the-secret' });
    const report = await runConformance({ webhookUrl: app.url, clientId: APP.clientId, clientSecret: APP.clientSecret, connectTimeoutMs: 1_000, keepAliveIntervalMs: 400 });
    expect(report.ok).toBe(false);
    const byId = Object.fromEntries(report.checks.map((c) => [c.id, c]));
    expect(byId['ready']).toMatchObject({ status: 'fail', message: expect.stringContaining('no CLIENT_READY_ACK') });
    expect(byId['signature']).toMatchObject({ status: 'fail', message: expect.stringContaining('handshake signature does not match') });
  });

  it('an app that never sends CLIENT_READY_ACK fails, saying which handshakes were seen', async () => {
    const app = await rawApp({ readyAck: false });
    const report = await runConformance({ webhookUrl: app.url, clientId: APP.clientId, clientSecret: APP.clientSecret, connectTimeoutMs: 1_000, keepAliveIntervalMs: 400 });
    expect(report.ok).toBe(false);
    expect(report.checks.find((c) => c.id === 'ready')).toMatchObject({
      status: 'fail',
      message: 'no CLIENT_READY_ACK on signaling after the media handshake (signaling, media handshakes seen)',
    });
  });
});
