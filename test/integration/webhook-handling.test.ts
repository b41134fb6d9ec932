import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RtmsClient, handleWebhook, type WebhookRejection } from '../../src/index.js';
import { buildUrlValidationWebhook, buildWebhook } from '../../src/testing/index.js';
import { CREDS, rig } from '../helpers.js';

const nowSec = () => Math.floor(Date.now() / 1000);

describe('handleWebhook', () => {
  it('answers endpoint.url_validation with the HMAC of plainToken', async () => {
    const client = new RtmsClient(CREDS);
    const req = buildUrlValidationWebhook('qgg8vlvZRS6UYooatFL8Aw', { secretToken: CREDS.webhookSecretToken });
    const res = await client.handleWebhook(req);
    expect(res.status).toBe(200);
    const expected = createHmac('sha256', CREDS.webhookSecretToken).update('qgg8vlvZRS6UYooatFL8Aw').digest('hex');
    expect(JSON.parse(res.body)).toEqual({ plainToken: 'qgg8vlvZRS6UYooatFL8Aw', encryptedToken: expected });
    expect(res.headers?.['content-type']).toBe('application/json');
    // Unsigned validation requests are answered too (Zoom's samples disagree on whether they are signed).
    const unsigned = await client.handleWebhook(buildUrlValidationWebhook('abc'));
    expect(unsigned.status).toBe(200);
    await client.close();
  });

  it('refuses a bad signature, a missing one, and replayed or future timestamps with 401, opening nothing', async () => {
    const { sim, client } = await rig();
    const rejections: WebhookRejection[] = [];
    client.on('webhookRejected', (r) => rejections.push(r));
    const stream = sim.createStream();
    const good = stream.webhook('started');
    const cases = [
      { headers: { ...good.headers, 'x-zm-signature': `v0=${'0'.repeat(64)}` }, body: good.body },
      { headers: { 'content-type': 'application/json' }, body: good.body },
      { headers: { ...good.headers, 'x-zm-signature': 'v0=short' }, body: good.body },
      stream.webhook('started', { timestampSeconds: nowSec() - 301 }),
      stream.webhook('started', { timestampSeconds: nowSec() + 301 }),
      { headers: good.headers, body: good.body.replace('"event"', '"event" ') },
    ];
    for (const c of cases) {
      const res = await client.handleWebhook(c);
      expect(res.status).toBe(401);
      expect(res.session).toBeUndefined();
    }
    expect(rejections.map((r) => r.code)).toEqual([
      'RTMS_WEBHOOK_SIGNATURE_INVALID',
      'RTMS_WEBHOOK_SIGNATURE_MISSING',
      'RTMS_WEBHOOK_SIGNATURE_INVALID',
      'RTMS_WEBHOOK_TIMESTAMP_INVALID',
      'RTMS_WEBHOOK_TIMESTAMP_INVALID',
      'RTMS_WEBHOOK_SIGNATURE_INVALID',
    ]);
    expect(client.sessions.size).toBe(0);
    expect(sim.openSockets).toBe(0);
    // The same request, correctly signed and fresh, is accepted.
    expect((await client.handleWebhook(good)).status).toBe(200);
  });

  describe('secure by default', () => {
    it('refuses to construct without a webhook secret token, naming both ways out', () => {
      for (const options of [{ clientId: 'id', clientSecret: 'secret' }, { clientId: 'id', clientSecret: 'secret', webhookSecretToken: undefined }, { clientId: 'id', clientSecret: 'secret', verifyWebhooks: true }]) {
        let thrown: unknown;
        try {
          new RtmsClient(options);
        } catch (err) {
          thrown = err;
        }
        expect(thrown).toMatchObject({ code: 'RTMS_INVALID_OPTIONS' });
        expect((thrown as Error).message).toContain('webhookSecretToken');
        expect((thrown as Error).message).toContain('verifyWebhooks: false');
      }
      // An unset environment variable read as '' gets the same advice.
      expect(() => new RtmsClient({ clientId: 'id', clientSecret: 'secret', webhookSecretToken: '' })).toThrow(/verifyWebhooks: false/);
      expect(() => new RtmsClient({ clientId: 'id', clientSecret: 'secret', verifyWebhooks: 'no' as unknown as boolean })).toThrow(/verifyWebhooks must be a boolean/);
    });

    it('verifyWebhooks: false is an explicit opt-out: unsigned webhooks start sessions, and the client warns', async () => {
      const warnings: string[] = [];
      const { sim, client } = await rig({ webhookSecretToken: undefined, verifyWebhooks: false, logger: { warn: (m) => warnings.push(m) } });
      expect(warnings.some((w) => w.includes('NOT verified'))).toBe(true);
      const stream = sim.createStream();
      const unsigned = { headers: { 'content-type': 'application/json' }, body: stream.webhook('started').body };
      const res = await client.handleWebhook(unsigned);
      expect(res.status).toBe(200);
      await stream.ready();
      expect(client.toJSON()).toMatchObject({ verifiesWebhooks: false });
      // Without a token there is nothing to answer URL validation with: 500, never a guess.
      expect((await client.handleWebhook(buildUrlValidationWebhook('abc'))).status).toBe(500);
    });

    it('with a token, a webhook that is not signed can neither start, stop nor redirect a session', async () => {
      const { sim, client } = await rig();
      const stream = sim.createStream();
      const strip = (w: { body: string }) => ({ headers: { 'content-type': 'application/json' }, body: w.body });
      expect((await client.handleWebhook(strip(stream.webhook('started')))).status).toBe(401);
      expect(client.sessions.size).toBe(0);
      const session = (await client.handleWebhook(stream.webhook('started'))).session!;
      await stream.ready();
      expect((await client.handleWebhook(strip(stream.webhook('started', { serverUrls: 'wss://evil.example/rtms' })))).status).toBe(401);
      expect((await client.handleWebhook(strip(stream.webhook('stopped')))).status).toBe(401);
      expect((await client.handleWebhook(strip(stream.webhook('interrupted')))).status).toBe(401);
      expect(session.state).toBe('streaming');
      expect(session.identity.serverUrls).toBe(stream.serverUrls);
    });
  });

  it('accepts a configurable replay window', async () => {
    const { sim, client } = await rig({ webhookToleranceSeconds: 1000 });
    const res = await client.handleWebhook(sim.createStream().webhook('started', { timestampSeconds: nowSec() - 900 }));
    expect(res.status).toBe(200);
  });

  it('answers 400 with a short reason for bodies that are not JSON or have the wrong shape', async () => {
    const client = new RtmsClient({ clientId: 'id', clientSecret: 'secret', verifyWebhooks: false });
    const bodies = [
      'not json',
      '[]',
      '{"payload":{}}',
      '{"event":"meeting.rtms_started"}',
      JSON.stringify({ event: 'meeting.rtms_started', payload: { meeting_uuid: 'u', server_urls: 'wss://x.zoom.us' } }),
      JSON.stringify({ event: 'meeting.rtms_started', payload: { meeting_uuid: 'u', rtms_stream_id: 's' } }),
      JSON.stringify({ event: 'meeting.rtms_started', payload: { rtms_stream_id: 's', server_urls: 'wss://x.zoom.us' } }),
      JSON.stringify({ event: 'endpoint.url_validation', payload: {} }),
    ];
    for (const body of bodies) {
      const res = await client.handleWebhook({ headers: {}, body });
      expect(res.status, body).toBe(400);
      expect(JSON.parse(res.body).message).toMatch(/\w/);
    }
    expect(client.sessions.size).toBe(0);
    await client.close();
  });

  it('accepts Buffer and Uint8Array bodies and Fetch Headers', async () => {
    const { sim, client } = await rig();
    const a = sim.createStream().webhook('started');
    expect((await client.handleWebhook({ headers: a.headers, body: Buffer.from(a.body) })).status).toBe(200);
    const b = sim.createStream().webhook('started');
    expect((await client.handleWebhook({ headers: new Headers(b.headers), body: new TextEncoder().encode(b.body) })).status).toBe(200);
    expect(client.sessions.size).toBe(2);
  });

  it('413 for oversize bodies, 503 after close, 200 for unhandled events and unknown streams', async () => {
    const client = new RtmsClient({ clientId: 'id', clientSecret: 'secret', verifyWebhooks: false, maxWebhookBodyBytes: 100 });
    expect((await client.handleWebhook({ body: 'x'.repeat(101) })).status).toBe(413);
    const other = await client.handleWebhook({ body: JSON.stringify({ event: 'meeting.started', payload: {} }) });
    expect(other.status).toBe(200);
    expect(JSON.parse(other.body).status).toBe('ignored');
    const stop = await client.handleWebhook({ body: JSON.stringify({ event: 'meeting.rtms_stopped', payload: { rtms_stream_id: 'nope' } }) });
    expect(stop.status).toBe(200);
    await client.close();
    expect((await client.handleWebhook({ body: '{}' })).status).toBe(503);
  });

  it('emits typed concurrency events', async () => {
    const client = new RtmsClient({ clientId: 'id', clientSecret: 'secret', verifyWebhooks: false });
    const near: number[] = [];
    client.on('concurrencyNearLimit', (e) => near.push(e.percentage ?? -1));
    const res = await client.handleWebhook({ body: JSON.stringify({ event: 'rtms.concurrency_near_limit', payload: { concurrency_limit: 2000, concurrency_number: 1700, percentage: 85 } }) });
    expect(res.status).toBe(200);
    expect(near).toEqual([85]);
    await client.close();
  });

  it('reads ids from payload.object as a fallback', async () => {
    const { sim, client } = await rig({ webhookSecretToken: undefined, verifyWebhooks: false });
    const s = sim.createStream();
    const body = JSON.stringify({ event: 'meeting.rtms_started', event_ts: Date.now(), payload: { object: { meeting_uuid: s.productId, rtms_stream_id: s.streamId, server_urls: s.serverUrls } } });
    const res = await handleWebhook(client, { body });
    expect(res.status).toBe(200);
    expect(res.session?.meetingUuid).toBe(s.productId);
    await s.ready();
  });

  it('never throws or rejects, and opens nothing, for arbitrary input', async () => {
    const client = new RtmsClient(CREDS);
    const headers = fc.dictionary(fc.constantFrom('x-zm-signature', 'x-zm-request-timestamp', 'content-type', 'X-ZM-SIGNATURE', 'other'), fc.oneof(fc.string(), fc.array(fc.string())));
    const body = fc.oneof(fc.string(), fc.json(), fc.uint8Array({ maxLength: 200 }), fc.constant(buildWebhook('meeting.rtms_started', { meeting_uuid: 'u', rtms_stream_id: 's', server_urls: 'wss://a.zoom.us' }).body));
    await fc.assert(
      fc.asyncProperty(headers, body, async (h, b) => {
        const res = await client.handleWebhook({ headers: h, body: b });
        expect([200, 400, 401, 413]).toContain(res.status);
        expect(typeof res.body).toBe('string');
      }),
      { numRuns: 300 },
    );
    // Structurally odd requests are answers too.
    for (const bad of [undefined, null, 42, {}, { body: 12 }, { body: {} }]) {
      const res = await client.handleWebhook(bad as never);
      expect(res.status).toBe(400);
    }
    expect(client.sessions.size).toBe(0);
    await client.close();
  });
});

describe('client construction', () => {
  it('throws a clear RtmsError for missing credentials and bad options', () => {
    expect(() => new RtmsClient({ clientId: '', clientSecret: 's' })).toThrow(/clientId is required/);
    expect(() => new RtmsClient({ clientId: 'i' } as never)).toThrow(/clientSecret is required/);
    const base = { clientId: 'i', clientSecret: 's', webhookSecretToken: 't' };
    expect(() => new RtmsClient({ ...base, media: [] })).toThrow(/at least one/);
    expect(() => new RtmsClient({ ...base, mediaParams: { audio: { codec: 'OPUS' } } })).toThrow(/OPUS requires sampleRate 48000/);
    expect(() => new RtmsClient({ ...base, connectTimeoutMs: -1 })).toThrow(/connectTimeoutMs/);
    try {
      new RtmsClient({ clientId: 'i', clientSecret: '' });
    } catch (e) {
      expect((e as { code: string }).code).toBe('RTMS_INVALID_OPTIONS');
    }
  });
});
