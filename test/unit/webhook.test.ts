import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { WebhookEvent } from '../../src/events.js';
import {
  DEFAULT_WEBHOOK_TOLERANCE_SECONDS,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  computeUrlValidationToken,
  computeWebhookSignature,
  getHeader,
  parseWebhookBody,
  payloadField,
  readStreamWebhook,
  verifyWebhookSignature,
  type VerifyWebhookInput,
  type WebhookHeaders,
} from '../../src/webhook.js';

const NUM_RUNS = 500;
const TOKEN = 'whsec-test-token-DO-NOT-LOG';
const TS = 1_760_000_000; // Unix seconds
const NOW_MS = TS * 1000;

/**
 * HMAC-SHA256 written out from RFC 2104 on top of a plain SHA-256, so the expected values below do not come
 * from the same `createHmac` call the library makes.
 */
function handHmacSha256(key: Buffer, message: Buffer): Buffer {
  const blockSize = 64;
  let k = key.length > blockSize ? createHash('sha256').update(key).digest() : key;
  k = Buffer.concat([k, Buffer.alloc(blockSize - k.length)]);
  const ipad = Buffer.alloc(blockSize);
  const opad = Buffer.alloc(blockSize);
  for (let i = 0; i < blockSize; i++) {
    ipad[i] = k[i]! ^ 0x36;
    opad[i] = k[i]! ^ 0x5c;
  }
  const inner = createHash('sha256').update(ipad).update(message).digest();
  return createHash('sha256').update(opad).update(inner).digest();
}

function sign(body: string | Uint8Array, ts: string | number = TS, token = TOKEN): string {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body);
  return `v0=${createHmac('sha256', token).update(`v0:${ts}:`).update(bytes).digest('hex')}`;
}

function input(body: string | Uint8Array, headers: WebhookHeaders | undefined, extra: Partial<VerifyWebhookInput> = {}): VerifyWebhookInput {
  return { secretToken: TOKEN, headers, body, now: NOW_MS, ...extra };
}

const BODY = '{"event":"meeting.rtms_started","event_ts":1760000000000,"payload":{"meeting_uuid":"abc==","rtms_stream_id":"s1","server_urls":"wss://rtms.zoom.us"}}';

describe('hand-written HMAC-SHA256 (test helper) against RFC 4231', () => {
  it('test case 1 and 2', () => {
    expect(handHmacSha256(Buffer.alloc(20, 0x0b), Buffer.from('Hi There')).toString('hex')).toBe(
      'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
    );
    expect(handHmacSha256(Buffer.from('Jefe'), Buffer.from('what do ya want for nothing?')).toString('hex')).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });

  it('test case 6 (key longer than the block size)', () => {
    expect(handHmacSha256(Buffer.alloc(131, 0xaa), Buffer.from('Test Using Larger Than Block-Size Key - Hash Key First')).toString('hex')).toBe(
      '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
    );
  });
});

describe('computeWebhookSignature (§6.3: "v0=" + hex HMAC-SHA256(token, "v0:" + ts + ":" + body))', () => {
  it('matches node:crypto HMAC over the documented message', () => {
    expect(computeWebhookSignature(TOKEN, TS, BODY)).toBe(`v0=${createHmac('sha256', TOKEN).update(`v0:${TS}:${BODY}`).digest('hex')}`);
  });

  it('matches a fixed vector computed with the hand-written HMAC', () => {
    const expected = `v0=${handHmacSha256(Buffer.from('Jefe'), Buffer.from('v0:1700000000:{"event":"x"}')).toString('hex')}`;
    expect(computeWebhookSignature('Jefe', 1_700_000_000, '{"event":"x"}')).toBe(expected);
    expect(computeWebhookSignature('Jefe', '1700000000', '{"event":"x"}')).toBe(expected);
    expect(expected).toMatch(/^v0=[0-9a-f]{64}$/);
  });

  it('signs the UTF-8 bytes of a string body, and the raw bytes of a binary body', () => {
    const text = '{"name":"Zoë 😀"}';
    const expected = `v0=${handHmacSha256(Buffer.from(TOKEN), Buffer.concat([Buffer.from(`v0:${TS}:`), Buffer.from(text, 'utf8')])).toString('hex')}`;
    expect(computeWebhookSignature(TOKEN, TS, text)).toBe(expected);
    expect(computeWebhookSignature(TOKEN, TS, Buffer.from(text, 'utf8'))).toBe(expected);
    expect(computeWebhookSignature(TOKEN, TS, new Uint8Array(Buffer.from(text, 'utf8')))).toBe(expected);
    // Non-UTF-8 bytes are signed as they are.
    const raw = new Uint8Array([0xff, 0xfe, 0x00, 0x80]);
    expect(computeWebhookSignature(TOKEN, TS, raw)).toBe(
      `v0=${handHmacSha256(Buffer.from(TOKEN), Buffer.concat([Buffer.from(`v0:${TS}:`), Buffer.from(raw)])).toString('hex')}`,
    );
  });

  it('signs only the viewed bytes of a Uint8Array that is a window onto a larger buffer', () => {
    const big = Buffer.from(`XXXX${BODY}YYYY`, 'utf8');
    const view = new Uint8Array(big.buffer, big.byteOffset + 4, Buffer.byteLength(BODY));
    expect(computeWebhookSignature(TOKEN, TS, view)).toBe(sign(BODY));
  });
});

describe('computeUrlValidationToken (§6.3: hex HMAC-SHA256(token, plainToken))', () => {
  it('RFC 4231 test case 2 vector', () => {
    expect(computeUrlValidationToken('Jefe', 'what do ya want for nothing?')).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });

  it('matches the hand-written HMAC for a Zoom-style plainToken', () => {
    const plain = 'qgg8vlvZRS6UYooatFL8Aw';
    expect(computeUrlValidationToken(TOKEN, plain)).toBe(handHmacSha256(Buffer.from(TOKEN), Buffer.from(plain)).toString('hex'));
  });
});

describe('verifyWebhookSignature', () => {
  /** `null` leaves a header out; omitted arguments give the correct values. */
  const headers = (sig: string | null = sign(BODY), ts: string | null = String(TS)): Record<string, string> => {
    const h: Record<string, string> = {};
    if (sig !== null) h[SIGNATURE_HEADER] = sig;
    if (ts !== null) h[TIMESTAMP_HEADER] = ts;
    return h;
  };

  it('uses the documented header names', () => {
    expect(SIGNATURE_HEADER).toBe('x-zm-signature');
    expect(TIMESTAMP_HEADER).toBe('x-zm-request-timestamp');
    expect(DEFAULT_WEBHOOK_TOLERANCE_SECONDS).toBe(300);
  });

  it('accepts a correctly signed request', () => {
    expect(verifyWebhookSignature(input(BODY, headers()))).toEqual({ ok: true });
  });

  it('missing signature header → RTMS_WEBHOOK_SIGNATURE_MISSING', () => {
    const r = verifyWebhookSignature(input(BODY, headers(null)));
    expect(r).toMatchObject({ ok: false, code: 'RTMS_WEBHOOK_SIGNATURE_MISSING' });
    if (!r.ok) expect(r.message).toContain(SIGNATURE_HEADER);
  });

  it('missing timestamp header → RTMS_WEBHOOK_SIGNATURE_MISSING naming the timestamp header', () => {
    const r = verifyWebhookSignature(input(BODY, headers(sign(BODY), null)));
    expect(r).toMatchObject({ ok: false, code: 'RTMS_WEBHOOK_SIGNATURE_MISSING' });
    if (!r.ok) expect(r.message).toContain(TIMESTAMP_HEADER);
  });

  it('no headers at all → missing', () => {
    expect(verifyWebhookSignature(input(BODY, undefined))).toMatchObject({ ok: false, code: 'RTMS_WEBHOOK_SIGNATURE_MISSING' });
    expect(verifyWebhookSignature(input(BODY, {}))).toMatchObject({ ok: false, code: 'RTMS_WEBHOOK_SIGNATURE_MISSING' });
  });

  it.each(['abc', '', '12.5', '-5', '1e9', '0x10', '1760000000abc', '١٧٦٠٠٠٠٠٠٠'])('non-numeric timestamp %j → RTMS_WEBHOOK_TIMESTAMP_INVALID', (ts) => {
    const r = verifyWebhookSignature(input(BODY, headers(sign(BODY, ts), ts)));
    expect(r).toMatchObject({ ok: false, code: 'RTMS_WEBHOOK_TIMESTAMP_INVALID' });
  });

  it('a timestamp in milliseconds (not seconds) is far outside the window', () => {
    const ms = String(NOW_MS);
    expect(verifyWebhookSignature(input(BODY, headers(sign(BODY, ms), ms)))).toMatchObject({ ok: false, code: 'RTMS_WEBHOOK_TIMESTAMP_INVALID' });
  });

  it('accepts exactly ±300 s and refuses anything beyond (stale and future)', () => {
    const at = (nowMs: number) => verifyWebhookSignature(input(BODY, headers(), { now: nowMs }));
    expect(at(NOW_MS + 300_000)).toEqual({ ok: true });
    expect(at(NOW_MS - 300_000)).toEqual({ ok: true });
    expect(at(NOW_MS + 300_001)).toMatchObject({ ok: false, code: 'RTMS_WEBHOOK_TIMESTAMP_INVALID' }); // stale
    expect(at(NOW_MS - 300_001)).toMatchObject({ ok: false, code: 'RTMS_WEBHOOK_TIMESTAMP_INVALID' }); // future
    expect(at(NOW_MS + 3_600_000)).toMatchObject({ ok: false, code: 'RTMS_WEBHOOK_TIMESTAMP_INVALID' });
    expect(at(NOW_MS - 3_600_000)).toMatchObject({ ok: false, code: 'RTMS_WEBHOOK_TIMESTAMP_INVALID' });
  });

  it('checks the timestamp before the signature (a stale request with a valid signature still fails)', () => {
    expect(verifyWebhookSignature(input(BODY, headers(), { now: NOW_MS + 10 * 60_000 }))).toMatchObject({ code: 'RTMS_WEBHOOK_TIMESTAMP_INVALID' });
  });

  it('honours a custom tolerance', () => {
    const at = (nowMs: number, toleranceSeconds: number) => verifyWebhookSignature(input(BODY, headers(), { now: nowMs, toleranceSeconds }));
    expect(at(NOW_MS + 30_000, 30)).toEqual({ ok: true });
    expect(at(NOW_MS + 31_000, 30)).toMatchObject({ ok: false, code: 'RTMS_WEBHOOK_TIMESTAMP_INVALID' });
    expect(at(NOW_MS + 299_000, 30)).toMatchObject({ ok: false, code: 'RTMS_WEBHOOK_TIMESTAMP_INVALID' });
    expect(at(NOW_MS + 3_000_000, 3600)).toEqual({ ok: true });
    expect(at(NOW_MS, 0)).toEqual({ ok: true });
    expect(at(NOW_MS + 1000, 0)).toMatchObject({ ok: false });
  });

  it('uses Date.now() when no `now` is given', () => {
    const nowSec = Math.floor(Date.now() / 1000);
    expect(verifyWebhookSignature({ secretToken: TOKEN, headers: headers(sign(BODY, nowSec), String(nowSec)), body: BODY })).toEqual({ ok: true });
    expect(verifyWebhookSignature({ secretToken: TOKEN, headers: headers(), body: BODY })).toMatchObject({ ok: false, code: 'RTMS_WEBHOOK_TIMESTAMP_INVALID' });
  });

  it('wrong signature of the same length → RTMS_WEBHOOK_SIGNATURE_INVALID', () => {
    const good = sign(BODY);
    const bad = good.slice(0, -1) + (good.endsWith('0') ? '1' : '0');
    expect(bad.length).toBe(good.length);
    expect(verifyWebhookSignature(input(BODY, headers(bad)))).toMatchObject({ ok: false, code: 'RTMS_WEBHOOK_SIGNATURE_INVALID' });
  });

  it.each([
    ['too short', 'v0=abc'],
    ['empty', ''],
    ['without the v0= prefix', sign(BODY).slice(3)],
    ['too long', sign(BODY) + '00'],
    ['v1 scheme', 'v1=' + sign(BODY).slice(3)],
    ['multi-byte characters of the same char length', 'v0=' + 'é'.repeat(64)],
  ])('signature %s → RTMS_WEBHOOK_SIGNATURE_INVALID (no throw)', (_label, sig) => {
    expect(verifyWebhookSignature(input(BODY, headers(sig)))).toMatchObject({ ok: false, code: 'RTMS_WEBHOOK_SIGNATURE_INVALID' });
  });

  it('a signature made with another token or another timestamp fails', () => {
    expect(verifyWebhookSignature(input(BODY, headers(sign(BODY, TS, 'other-token'))))).toMatchObject({ code: 'RTMS_WEBHOOK_SIGNATURE_INVALID' });
    expect(verifyWebhookSignature(input(BODY, headers(sign(BODY, TS - 1))))).toMatchObject({ code: 'RTMS_WEBHOOK_SIGNATURE_INVALID' });
  });

  it('reads header names case-insensitively from a plain record', () => {
    expect(verifyWebhookSignature(input(BODY, { 'X-ZM-Signature': sign(BODY), 'X-Zm-Request-Timestamp': String(TS) }))).toEqual({ ok: true });
    expect(verifyWebhookSignature(input(BODY, { 'X-ZM-SIGNATURE': sign(BODY), 'X-ZM-REQUEST-TIMESTAMP': String(TS) }))).toEqual({ ok: true });
  });

  it('reads a Fetch Headers object', () => {
    const h = new Headers({ 'X-Zm-Signature': sign(BODY), 'x-zm-request-timestamp': String(TS), 'content-type': 'application/json' });
    expect(verifyWebhookSignature(input(BODY, h))).toEqual({ ok: true });
    expect(verifyWebhookSignature(input(BODY, new Headers({ 'x-zm-request-timestamp': String(TS) })))).toMatchObject({ code: 'RTMS_WEBHOOK_SIGNATURE_MISSING' });
  });

  it('reads the first value of an array header (Node IncomingHttpHeaders shape)', () => {
    expect(verifyWebhookSignature(input(BODY, { 'x-zm-signature': [sign(BODY), 'v0=junk'], 'x-zm-request-timestamp': [String(TS)] }))).toEqual({ ok: true });
    expect(verifyWebhookSignature(input(BODY, { 'x-zm-signature': [], 'x-zm-request-timestamp': String(TS) }))).toMatchObject({
      code: 'RTMS_WEBHOOK_SIGNATURE_MISSING',
    });
  });

  it('tolerates surrounding whitespace in header values', () => {
    expect(verifyWebhookSignature(input(BODY, { 'x-zm-signature': ` ${sign(BODY)} `, 'x-zm-request-timestamp': ` ${TS} ` }))).toEqual({ ok: true });
  });

  it('verifies Buffer and Uint8Array bodies over their raw bytes', () => {
    expect(verifyWebhookSignature(input(Buffer.from(BODY, 'utf8'), headers()))).toEqual({ ok: true });
    expect(verifyWebhookSignature(input(new Uint8Array(Buffer.from(BODY, 'utf8')), headers()))).toEqual({ ok: true });
    const big = Buffer.from(`[[[${BODY}]]]`, 'utf8');
    expect(verifyWebhookSignature(input(big.subarray(3, big.length - 3), headers()))).toEqual({ ok: true });
  });

  it('a re-serialised body (different whitespace / key order) fails: the signature covers the raw bytes', () => {
    const pretty = JSON.stringify(JSON.parse(BODY), null, 2);
    expect(pretty).not.toBe(BODY);
    expect(verifyWebhookSignature(input(pretty, headers()))).toMatchObject({ ok: false, code: 'RTMS_WEBHOOK_SIGNATURE_INVALID' });
    expect(verifyWebhookSignature(input(Buffer.from(pretty), headers()))).toMatchObject({ ok: false, code: 'RTMS_WEBHOOK_SIGNATURE_INVALID' });
    const spaced = BODY.replace('"event":', '"event": ');
    expect(verifyWebhookSignature(input(spaced, headers()))).toMatchObject({ ok: false, code: 'RTMS_WEBHOOK_SIGNATURE_INVALID' });
    // And the other way round: a pretty body signed as sent verifies.
    expect(verifyWebhookSignature(input(pretty, headers(sign(pretty))))).toEqual({ ok: true });
  });

  it('never puts the secret token or a signature in its messages', () => {
    const good = sign(BODY);
    const wrong = sign(BODY, TS, 'another-token');
    const cases: VerifyWebhookInput[] = [
      input(BODY, headers(null)),
      input(BODY, headers(good, null)),
      input(BODY, headers(good, 'abc')),
      input(BODY, headers(good), { now: NOW_MS + 10_000_000 }),
      input(BODY, headers(wrong)),
      input(BODY, headers('v0=short')),
      input('tampered', headers(good)),
    ];
    for (const c of cases) {
      const r = verifyWebhookSignature(c);
      expect(r.ok).toBe(false);
      if (r.ok) continue;
      expect(r.message).not.toContain(TOKEN);
      expect(r.message).not.toContain(good.slice(3));
      expect(r.message).not.toContain(wrong.slice(3));
      expect(r.message).not.toContain('v0=');
      expect(JSON.stringify(r)).not.toContain(TOKEN);
    }
  });

  it('getHeader survives a Headers-like object whose get() throws or returns junk', () => {
    expect(getHeader({ get: () => { throw new Error('x'); } }, 'x-zm-signature')).toBeUndefined();
    expect(getHeader({ get: () => 5 as unknown as string }, 'x-zm-signature')).toBeUndefined();
    expect(getHeader(null as unknown as WebhookHeaders, 'x')).toBeUndefined();
    expect(getHeader({ 'x-a': 5 as unknown as string }, 'x-a')).toBeUndefined();
  });

  describe('properties', () => {
    const headerValue = fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 3 }), fc.constant(undefined), fc.integer(), fc.constant(null));
    const headerName = fc.oneof(fc.string(), fc.constantFrom('x-zm-signature', 'X-ZM-Signature', 'x-zm-request-timestamp', 'X-Zm-Request-Timestamp'));
    const anyHeaders = fc.oneof(
      fc.dictionary(headerName, headerValue),
      fc.record({ 'x-zm-signature': fc.oneof(fc.string(), fc.string().map((s) => `v0=${s}`)), 'x-zm-request-timestamp': fc.oneof(fc.string(), fc.nat().map(String)) }),
      fc.anything(),
      fc.constant(undefined),
    );
    const anyBody = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.uint8Array(),
      fc.uint8Array({ minLength: 4 }).map((u) => u.subarray(1, u.length - 1)),
    );

    it('never throws on arbitrary headers and (string or byte) bodies', () => {
      fc.assert(
        fc.property(
          anyHeaders,
          anyBody,
          fc.string({ unit: 'binary' }),
          fc.option(fc.double(), { nil: undefined }),
          fc.option(fc.oneof(fc.double(), fc.maxSafeInteger()), { nil: undefined }),
          (h, body, token, tol, now) => {
            const r = verifyWebhookSignature({ secretToken: token, headers: h as WebhookHeaders, body, now: now ?? NOW_MS, toleranceSeconds: tol });
            expect(typeof r.ok).toBe('boolean');
            if (!r.ok) {
              const allowed = ['RTMS_WEBHOOK_SIGNATURE_MISSING', 'RTMS_WEBHOOK_TIMESTAMP_INVALID', 'RTMS_WEBHOOK_SIGNATURE_INVALID'];
              if (token.length === 0) allowed.push('RTMS_WEBHOOK_NOT_CONFIGURED');
              expect(allowed).toContain(r.code);
            }
          },
        ),
        { numRuns: NUM_RUNS },
      );
    });

    it('never throws for untyped inputs either (any headers, body, token, tolerance, now)', () => {
      fc.assert(
        fc.property(anyHeaders, fc.anything(), fc.anything(), fc.anything(), fc.anything(), (h, body, token, tol, now) => {
          const r = verifyWebhookSignature({ secretToken: token, headers: h, body, toleranceSeconds: tol, now } as unknown as VerifyWebhookInput);
          expect(r.ok).toBe(false);
        }),
        { numRuns: NUM_RUNS },
      );
    });

    // Regression: a body that is neither a string nor a Uint8Array used to reach `mac.update(body)` and throw
    // ERR_INVALID_ARG_TYPE despite the documented "Never throws" (realistic case: `req.body` after express.json()).
    // Found by these tests; src now answers RTMS_WEBHOOK_BODY_INVALID.
    it.each([
      ['a parsed JSON object (express.json())', { event: 'meeting.rtms_started', payload: {} }],
      ['an array', [1, 2, 3]],
      ['undefined', undefined],
      ['null', null],
      ['a number', 42],
      ['an ArrayBuffer', new ArrayBuffer(4)],
    ])('a body that is %s → RTMS_WEBHOOK_BODY_INVALID, not a throw', (_label, body) => {
      const r = verifyWebhookSignature({ secretToken: TOKEN, headers: { 'x-zm-signature': sign(BODY), 'x-zm-request-timestamp': String(TS) }, body: body as unknown as string, now: NOW_MS });
      expect(r).toMatchObject({ ok: false, code: 'RTMS_WEBHOOK_BODY_INVALID' });
    });

    it.each([
      ['empty', ''],
      ['undefined (unset environment variable)', undefined],
      ['a number', 5],
    ])('a secret token that is %s → RTMS_WEBHOOK_NOT_CONFIGURED, never a pass', (_label, token) => {
      const r = verifyWebhookSignature({ secretToken: token as unknown as string, headers: { 'x-zm-signature': sign(BODY, TS, ''), 'x-zm-request-timestamp': String(TS) }, body: BODY, now: NOW_MS });
      expect(r).toMatchObject({ ok: false, code: 'RTMS_WEBHOOK_NOT_CONFIGURED' });
      if (!r.ok) expect(r.message).not.toContain(sign(BODY, TS, '').slice(3));
    });

    it('a correctly signed request always verifies; any single-character change to the body does not', () => {
      const bodyArb = fc.oneof(fc.string({ minLength: 1, maxLength: 200 }), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 100 }));
      fc.assert(
        fc.property(
          bodyArb,
          fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
          fc.nat(),
          fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
          fc.boolean(),
          (body, token, pos, replacement, asBytes) => {
            const ts = TS + (pos % 600) - 300; // anywhere in the window
            const sig = computeWebhookSignature(token, ts, body);
            const h = { 'x-zm-signature': sig, 'x-zm-request-timestamp': String(ts) };
            const raw = asBytes ? Buffer.from(body, 'utf8') : body;
            expect(verifyWebhookSignature({ secretToken: token, headers: h, body: raw, now: NOW_MS })).toEqual({ ok: true });

            const chars = Array.from(body);
            const i = pos % chars.length;
            fc.pre(chars[i] !== replacement);
            chars[i] = replacement;
            const mutated = chars.join('');
            fc.pre(Buffer.from(mutated, 'utf8').equals(Buffer.from(body, 'utf8')) === false);
            const r = verifyWebhookSignature({ secretToken: token, headers: h, body: asBytes ? Buffer.from(mutated, 'utf8') : mutated, now: NOW_MS });
            expect(r).toMatchObject({ ok: false, code: 'RTMS_WEBHOOK_SIGNATURE_INVALID' });
          },
        ),
        { numRuns: NUM_RUNS },
      );
    });
  });
});

describe('parseWebhookBody', () => {
  it('parses { event, event_ts, payload }', () => {
    expect(parseWebhookBody(BODY)).toEqual({
      ok: true,
      webhook: {
        event: 'meeting.rtms_started',
        eventTs: 1_760_000_000_000,
        payload: { meeting_uuid: 'abc==', rtms_stream_id: 's1', server_urls: 'wss://rtms.zoom.us' },
      },
    });
  });

  it('event_ts is optional; a numeric string is read as the number, anything else is absent', () => {
    const a = parseWebhookBody('{"event":"x","payload":{}}');
    expect(a.ok && a.webhook.eventTs).toBeUndefined();
    const b = parseWebhookBody('{"event":"x","event_ts":"123","payload":{}}');
    expect(b.ok && b.webhook.eventTs).toBe(123);
    const c = parseWebhookBody('{"event":"x","event_ts":{"t":1},"payload":{}}');
    expect(c.ok && c.webhook.eventTs).toBeUndefined();
    const d = parseWebhookBody('{"event":"x","event_ts":null,"payload":{}}');
    expect(d.ok && d.webhook.eventTs).toBeUndefined();
  });

  it.each([
    ['not JSON', '{"event":'],
    ['empty', ''],
    ['an array', '[{"event":"x","payload":{}}]'],
    ['null', 'null'],
    ['a string', '"meeting.rtms_started"'],
    ['no event', '{"payload":{}}'],
    ['empty event', '{"event":"","payload":{}}'],
    ['numeric event', '{"event":5,"payload":{}}'],
    ['no payload', '{"event":"meeting.rtms_started"}'],
    ['null payload', '{"event":"meeting.rtms_started","payload":null}'],
    ['array payload', '{"event":"meeting.rtms_started","payload":[]}'],
    ['string payload', '{"event":"meeting.rtms_started","payload":"x"}'],
  ])('refuses %s', (_label, text) => {
    const r = parseWebhookBody(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message.length).toBeGreaterThan(0);
  });

  it('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (s) => {
        expect(typeof parseWebhookBody(s).ok).toBe('boolean');
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('readStreamWebhook (§6.2, §5.2)', () => {
  const wh = (event: string, payload: Record<string, unknown>): WebhookEvent => ({ event, eventTs: 1, payload });
  const URLS = 'wss://rtms.zoom.us/signaling';

  it.each([
    ['meeting.', 'meeting', 'meeting_uuid'],
    ['webinar.', 'webinar', 'webinar_uuid'],
    ['session.', 'session', 'session_id'],
    ['contact_center.voice_', 'contact_center', 'engagement_id'],
  ])('%srtms_started → product %s, id from %s', (prefix, product, idField) => {
    const r = readStreamWebhook(wh(`${prefix}rtms_started`, { [idField]: 'ID+/=', rtms_stream_id: 'stream-9', server_urls: URLS, operator_id: 'op' }));
    expect(r).toEqual({
      ok: true,
      value: { product, step: 'rtms_started', streamId: 'stream-9', productId: 'ID+/=', serverUrls: URLS, stopReason: undefined },
    });
  });

  it.each(['meeting.', 'webinar.', 'session.', 'contact_center.voice_'])('%srtms_stopped and rtms_interrupted need only rtms_stream_id', (prefix) => {
    const stopped = readStreamWebhook(wh(`${prefix}rtms_stopped`, { rtms_stream_id: 's', stop_reason: 6 }));
    expect(stopped).toMatchObject({ ok: true, value: { step: 'rtms_stopped', streamId: 's', stopReason: 6, productId: undefined, serverUrls: undefined } });
    const interrupted = readStreamWebhook(wh(`${prefix}rtms_interrupted`, { rtms_stream_id: 's' }));
    expect(interrupted).toMatchObject({ ok: true, value: { step: 'rtms_interrupted', streamId: 's', stopReason: undefined } });
  });

  it('accepts any integer stop_reason (§4.7, §9.15), numeric strings included, and ignores the rest', () => {
    for (const reason of [0, 1, 6, 19, 24, 26, 99]) {
      expect(readStreamWebhook(wh('meeting.rtms_stopped', { rtms_stream_id: 's', stop_reason: reason }))).toMatchObject({ value: { stopReason: reason } });
    }
    expect(readStreamWebhook(wh('meeting.rtms_stopped', { rtms_stream_id: 's', stop_reason: '6' }))).toMatchObject({ value: { stopReason: 6 } });
    expect(readStreamWebhook(wh('meeting.rtms_stopped', { rtms_stream_id: 's', stop_reason: 1.5 }))).toMatchObject({ value: { stopReason: undefined } });
    expect(readStreamWebhook(wh('meeting.rtms_stopped', { rtms_stream_id: 's', stop_reason: 'ended' }))).toMatchObject({ value: { stopReason: undefined } });
    expect(readStreamWebhook(wh('meeting.rtms_stopped', { rtms_stream_id: 's', stop_reason: null }))).toMatchObject({ value: { stopReason: undefined } });
  });

  it('ids sent as numbers are read as strings; null is absent', () => {
    expect(readStreamWebhook(wh('contact_center.voice_rtms_started', { engagement_id: 12345, rtms_stream_id: 987, server_urls: URLS }))).toEqual({
      ok: true,
      value: { product: 'contact_center', step: 'rtms_started', streamId: '987', productId: '12345', serverUrls: URLS, stopReason: undefined },
    });
    expect(readStreamWebhook(wh('webinar.rtms_started', { webinar_uuid: null, meeting_uuid: 'm', rtms_stream_id: 's', server_urls: URLS }))).toMatchObject({ value: { productId: 'm' } });
  });

  it('server_urls may be a string, an array of strings or an object of strings (ZP-S, §6.2)', () => {
    const other = 'https://rtms.zoom.us/x';
    for (const urls of [`${other},${URLS}`, [other, URLS], { http: other, wss: URLS }]) {
      expect(readStreamWebhook(wh('phone.rtms_started', { call_id: 'c', rtms_stream_id: 's', server_urls: urls }))).toMatchObject({ ok: true, value: { serverUrls: `${other},${URLS}` } });
    }
  });

  it.each(['phone.rtms_started', 'phone.call_rtms_started'])('%s → product phone, id from call_id', (event) => {
    expect(readStreamWebhook(wh(event, { call_id: 'call+/=', rtms_stream_id: 's', server_urls: URLS }))).toEqual({
      ok: true,
      value: { product: 'phone', step: 'rtms_started', streamId: 's', productId: 'call+/=', serverUrls: URLS, stopReason: undefined },
    });
  });

  it.each(['phone.rtms_stopped', 'phone.call_rtms_stopped', 'phone.rtms_interrupted', 'phone.call_rtms_interrupted'])('%s needs only rtms_stream_id', (event) => {
    expect(readStreamWebhook(wh(event, { call_id: 'c', rtms_stream_id: 's', stop_reason: 6 }))).toMatchObject({ ok: true, value: { product: 'phone', streamId: 's' } });
  });

  it('falls back to payload.object when the flat fields are absent (§6.1, §9.3)', () => {
    const r = readStreamWebhook(wh('meeting.rtms_started', { object: { meeting_uuid: 'm', rtms_stream_id: 's', server_urls: URLS }, account_id: 'a' }));
    expect(r).toMatchObject({ ok: true, value: { product: 'meeting', streamId: 's', productId: 'm', serverUrls: URLS } });
    const stopped = readStreamWebhook(wh('contact_center.voice_rtms_stopped', { object: { engagement_id: 'e', rtms_stream_id: 's', stop_reason: 21 } }));
    expect(stopped).toMatchObject({ ok: true, value: { productId: 'e', stopReason: 21 } });
  });

  it('prefers the flat field over payload.object', () => {
    const r = readStreamWebhook(wh('meeting.rtms_started', { meeting_uuid: 'flat', rtms_stream_id: 's-flat', server_urls: URLS, object: { meeting_uuid: 'nested', rtms_stream_id: 's-nested' } }));
    expect(r).toMatchObject({ value: { productId: 'flat', streamId: 's-flat' } });
  });

  it('payloadField reads flat, then object, never throws on odd shapes', () => {
    expect(payloadField({ a: 1, object: { a: 2 } }, 'a')).toBe(1);
    expect(payloadField({ a: null, object: { a: 2 } }, 'a')).toBe(2);
    expect(payloadField({ object: [1] }, 'a')).toBeUndefined();
    expect(payloadField({ object: 'x' }, 'a')).toBeUndefined();
    expect(payloadField({}, 'a')).toBeUndefined();
  });

  it('webinar falls back to meeting_uuid (SKILLS, §9.4), preferring webinar_uuid', () => {
    expect(readStreamWebhook(wh('webinar.rtms_started', { meeting_uuid: 'm-id', rtms_stream_id: 's', server_urls: URLS }))).toMatchObject({
      ok: true,
      value: { product: 'webinar', productId: 'm-id' },
    });
    expect(readStreamWebhook(wh('webinar.rtms_started', { webinar_uuid: 'w-id', meeting_uuid: 'm-id', rtms_stream_id: 's', server_urls: URLS }))).toMatchObject({
      value: { productId: 'w-id' },
    });
    expect(readStreamWebhook(wh('webinar.rtms_started', { webinar_uuid: '', meeting_uuid: 'm-id', rtms_stream_id: 's', server_urls: URLS }))).toMatchObject({
      value: { productId: 'm-id' },
    });
  });

  it('meeting does not fall back to webinar_uuid; session does not read session_key', () => {
    expect(readStreamWebhook(wh('meeting.rtms_started', { webinar_uuid: 'w', rtms_stream_id: 's', server_urls: URLS }))).toMatchObject({ ok: false });
    expect(readStreamWebhook(wh('session.rtms_started', { session_key: 'my-session', rtms_stream_id: 's', server_urls: URLS }))).toMatchObject({ ok: false });
    expect(readStreamWebhook(wh('session.rtms_started', { session_id: 'sid', session_key: 'my-session', rtms_stream_id: 's', server_urls: URLS }))).toMatchObject({
      value: { productId: 'sid' },
    });
  });

  it.each([
    ['missing', {}],
    ['empty', { rtms_stream_id: '' }],
    ['null', { rtms_stream_id: null }],
    ['an object', { rtms_stream_id: { id: 5 } }],
    ['a boolean', { rtms_stream_id: true }],
  ])('rtms_stream_id %s → error for rtms_started, and for a stop or interrupt that names no product id either', (_label, extra) => {
    const started = readStreamWebhook(wh('meeting.rtms_started', { meeting_uuid: 'm', server_urls: URLS, ...extra }));
    expect(started).toMatchObject({ ok: false });
    if (started && !started.ok) expect(started.message).toContain('rtms_stream_id');
    for (const event of ['meeting.rtms_stopped', 'webinar.rtms_interrupted', 'phone.rtms_stopped']) {
      const r = readStreamWebhook(wh(event, { server_urls: URLS, ...extra }));
      expect(r).toMatchObject({ ok: false });
      if (r && !r.ok) expect(r.message).toContain('rtms_stream_id');
    }
  });

  it('a stop or interrupted webhook without rtms_stream_id names its stream by product id (the Phone sample sends only call_id)', () => {
    expect(readStreamWebhook(wh('phone.rtms_stopped', { call_id: 'c-1', stop_reason: 6 }))).toEqual({
      ok: true,
      value: { product: 'phone', step: 'rtms_stopped', streamId: undefined, productId: 'c-1', serverUrls: undefined, stopReason: 6 },
    });
    expect(readStreamWebhook(wh('meeting.rtms_interrupted', { meeting_uuid: 'm' }))).toMatchObject({ ok: true, value: { streamId: undefined, productId: 'm' } });
  });

  it.each([
    ['meeting.rtms_started', 'meeting_uuid'],
    ['webinar.rtms_started', 'webinar_uuid'],
    ['session.rtms_started', 'session_id'],
    ['contact_center.voice_rtms_started', 'engagement_id'],
  ])('%s without %s → error naming the field', (event, field) => {
    const r = readStreamWebhook(wh(event, { rtms_stream_id: 's', server_urls: URLS }));
    expect(r).toMatchObject({ ok: false });
    if (r && !r.ok) expect(r.message).toContain(field);
    const empty = readStreamWebhook(wh(event, { [field]: '', rtms_stream_id: 's', server_urls: URLS }));
    expect(empty).toMatchObject({ ok: false });
  });

  it.each([
    ['missing', {}],
    ['empty', { server_urls: '' }],
    ['an empty array', { server_urls: [] }],
    ['an array without strings', { server_urls: [1, null] }],
    ['a number', { server_urls: 5 }],
  ])('rtms_started with server_urls %s → error', (_label, extra) => {
    const r = readStreamWebhook(wh('meeting.rtms_started', { meeting_uuid: 'm', rtms_stream_id: 's', ...extra }));
    expect(r).toMatchObject({ ok: false });
    if (r && !r.ok) expect(r.message).toContain('server_urls');
  });

  it.each([
    'endpoint.url_validation',
    'meeting.started',
    'meeting.ended',
    'meeting.rtms_started_extra',
    'meeting.rtms_paused',
    'rtms.concurrency_near_limit',
    'rtms.concurrency_limited',
    'rtms.start_failed',
    'phone.rtms_paused',
    'phone.call_started',
    'contact_center.rtms_started',
    'Meeting.rtms_started',
    'xmeeting.rtms_started',
    'rtms_started',
    '',
  ])('%j is not a lifecycle event → undefined', (event) => {
    expect(readStreamWebhook(wh(event, { meeting_uuid: 'm', rtms_stream_id: 's', server_urls: URLS }))).toBeUndefined();
  });
});

describe('verifyWebhookSignature: non-finite window or clock', () => {
  it('refuses instead of skipping the replay check', async () => {
    const { verifyWebhookSignature, computeWebhookSignature } = await import('../../src/webhook.js');
    const ts = Math.floor(Date.now() / 1000) - 10_000; // far outside any sane window
    const headers = { 'x-zm-signature': computeWebhookSignature('tok', ts, '{}'), 'x-zm-request-timestamp': String(ts) };
    for (const bad of [{ toleranceSeconds: Number.NaN }, { now: Number.NaN }, { toleranceSeconds: Number.POSITIVE_INFINITY }]) {
      const r = verifyWebhookSignature({ secretToken: 'tok', headers, body: '{}', ...bad });
      expect(r.ok).toBe(false);
    }
  });
});
