/**
 * Benign drift against the codec: random drifts (the simulator's own `driftFrame`, written from the protocol
 * reference rather than from the codec's table) applied to every server → app frame shape of the reference.
 * Payloads and every interpretable field must arrive exactly as without drift, and nothing may be reported as
 * unreadable.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decode, type DecodeResult } from '../../src/protocol/codec.js';
import { DRIFT_KINDS, Drifter, driftFrame, type DriftKind } from '../../src/testing/drift.js';

const NUM_RUNS = 300;

const opt = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 3 });
const userId = fc.integer({ min: 0, max: 2 ** 32 - 1 });
const ts = fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 });
const name = fc.string({ minLength: 1, maxLength: 20 });
const b64 = fc.uint8Array({ minLength: 0, maxLength: 120 }).map((b) => Buffer.from(b).toString('base64'));
const channelId = fc.oneof(fc.nat({ max: 9 }).map(String), fc.constantFrom('ch-a', 'caller', '4444AAAiAAAAAiAiAiiAii=='));
const status = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 47 }));
const streamId = fc.stringMatching(/^[0-9a-f]{32}$/);

/** Drops undefined values, so optional fields are absent rather than undefined (as JSON would). */
function clean<T extends Record<string, unknown>>(o: T): T {
  return JSON.parse(JSON.stringify(o)) as T;
}

/** Every server → app frame shape of protocol.md §3, with realistic values. */
const FRAME_SHAPES: Record<string, fc.Arbitrary<Record<string, unknown>>> = {
  'SIGNALING_HAND_SHAKE_RESP (2)': fc.record({ sequence: fc.nat(), status_code: status, reason: fc.string(), all: fc.boolean() }).map((r) =>
    clean({
      msg_type: 2,
      protocol_version: 1,
      sequence: r.sequence,
      status_code: r.status_code,
      reason: r.reason,
      media_server: {
        server_urls: r.all ? { all: 'wss://m.zoom.us/all' } : { audio: 'wss://m.zoom.us/a', video: 'wss://m.zoom.us/v', transcript: 'wss://m.zoom.us/t', deskshare: 'wss://m.zoom.us/d' },
        srtp_keys: { audio: 'k1' },
        datacenter_region: 'US',
      },
    }),
  ),
  'DATA_HAND_SHAKE_RESP (4)': fc.record({ status_code: status, sendRate: fc.integer({ min: 1, max: 50 }).map((n) => n * 20), enc: fc.boolean(), spelling: fc.boolean(), fps: fc.integer({ min: 1, max: 30 }) }).map((r) =>
    clean({
      msg_type: 4,
      protocol_version: 1,
      sequence: 1,
      status_code: r.status_code,
      reason: '',
      [r.spelling ? 'payload_encrypted' : 'payload_encryption']: r.enc,
      media_params: {
        audio: { content_type: 2, sample_rate: 1, channel: 1, codec: 1, data_opt: 2, send_rate: r.sendRate },
        video: { content_type: 3, codec: 7, resolution: 2, fps: r.fps, data_opt: 3 },
        deskshare: { content_type: 3, codec: 5, resolution: 3, fps: 1 },
        transcript: { content_type: 5, src_language: 9, enable_lid: true },
        chat: { content_type: 5 },
      },
    }),
  ),
  'EVENT_UPDATE (6), meetings': fc
    .record({ type: fc.integer({ min: 1, max: 14 }), t: ts, id: userId, n: name, ids: fc.array(userId, { maxLength: 4 }) })
    .map(({ type, t, id, n, ids }) => {
      const body: Record<string, unknown> =
        type === 2 || type === 5
          ? { user_id: id, user_name: n }
          : type === 3
            ? { participants: ids.map((u) => ({ user_id: u, user_name: `${n}-${u}` })) }
            : type === 4 || type === 8 || type === 9
              ? { participants: ids.map((u) => ({ user_id: u })) }
              : {};
      return { msg_type: 6, event: { event_type: type, timestamp: t, ...body } };
    }),
  'EVENT_UPDATE (6), Contact Center': fc.record({ type: fc.integer({ min: 8, max: 34 }), t: ts, ch: channelId, misspelt: fc.boolean(), mode: fc.constantFrom('caller', 'agent') }).map((r) => ({
    msg_type: 6,
    event: {
      event_type: r.type,
      event_ts: r.t,
      [r.misspelt ? 'paticipant_info' : 'participant_info']: { channel_id: r.ch, participant_mode: r.mode, user_id: 'u-1', display_name: 'Agent', queue_id: 'q1', queue_name: 'Support' },
    },
  })),
  'EVENT_UPDATE (6), Zoom Phone / V2 (event_code only)': fc.record({ code: fc.integer({ min: 1, max: 100_000 }), t: ts }).map((r) => ({ msg_type: 6, event: { event_code: r.code, timestamp: r.t } })),
  'STREAM_STATE_UPDATE (8)': fc.record({ state: fc.integer({ min: 0, max: 6 }), reason: opt(fc.integer({ min: 0, max: 26 })), t: ts, id: opt(streamId), old: fc.boolean() }).map((r) =>
    clean({ msg_type: 8, state: r.state, [r.old ? 'stop_reason' : 'reason']: r.reason, timestamp: r.t, rtms_stream_id: r.id }),
  ),
  'SESSION_STATE_UPDATE (9)': fc.record({ state: fc.integer({ min: 0, max: 5 }), reason: opt(fc.integer({ min: 0, max: 26 })), t: ts, sid: fc.oneof(streamId, fc.nat().map(String)) }).map((r) =>
    clean({ msg_type: 9, state: r.state, stop_reason: r.reason, timestamp: r.t, rtms_session_id: r.sid }),
  ),
  'SESSION_STATE_RESP (11)': fc.record({ state: fc.integer({ min: 0, max: 5 }), t: ts, sid: streamId }).map((r) => ({ msg_type: 11, rtms_session_id: r.sid, state: r.state, timestamp: r.t })),
  'KEEP_ALIVE_REQ (12)': ts.map((t) => ({ msg_type: 12, timestamp: t })),
  'MEDIA_DATA_AUDIO (14), meetings': fc.record({ id: userId, n: opt(name), data: b64, t: ts }).map((r) =>
    clean({ msg_type: 14, content: { user_id: r.id, user_name: r.n, data: r.data, length: Buffer.from(r.data, 'base64').length, timestamp: r.t } }),
  ),
  'MEDIA_DATA_AUDIO (14), Contact Center and Phone': fc.record({ ch: channelId, data: b64, t: ts }).map((r) => ({
    msg_type: 14,
    content: { channel_id: r.ch, data: r.data, length: Buffer.from(r.data, 'base64').length, timestamp: r.t },
  })),
  'MEDIA_DATA_VIDEO (15) / SHARE (16)': fc.record({ type: fc.constantFrom(15, 16), id: userId, n: name, data: b64, t: ts }).map((r) => ({
    msg_type: r.type,
    content: { user_id: r.id, user_name: r.n, data: r.data, length: Buffer.from(r.data, 'base64').length, timestamp: r.t },
  })),
  'MEDIA_DATA_TRANSCRIPT (17)': fc.record({ id: userId, n: name, text: fc.string({ unit: 'grapheme', maxLength: 80 }), t: ts, lang: fc.integer({ min: -1, max: 36 }), attr: opt(fc.integer({ min: 0, max: 3 })), ch: opt(channelId) }).map((r) =>
    clean({ msg_type: 17, content: { user_id: r.id, user_name: r.n, data: r.text, timestamp: r.t, start_time: r.t - 1500, end_time: r.t, language: r.lang, attribute: r.attr, channel_id: r.ch } }),
  ),
  'MEDIA_DATA_CHAT (18)': fc.record({ text: fc.string({ maxLength: 80 }), t: ts, id: opt(userId), n: opt(name) }).map((r) => clean({ msg_type: 18, content: { data: r.text, timestamp: r.t, user_id: r.id, user_name: r.n } })),
  'STREAM_STATE_RESP (20)': fc.record({ state: fc.integer({ min: 0, max: 6 }), id: streamId, t: fc.integer({ min: 1_600_000_000, max: 1_900_000_000 }) }).map((r) => ({ msg_type: 20, state: r.state, rtms_stream_id: r.id, timestamp: r.t })),
  'STREAM_CLOSE_RESP (22)': fc.record({ id: streamId, s: status, t: ts }).map((r) => ({ msg_type: 22, rtms_stream_id: r.id, status_code: r.s, reason: '', timestamp: r.t })),
  'VIDEO_SUBSCRIPTION_RESP (29)': fc.record({ id: userId, s: status, t: ts }).map((r) => ({ msg_type: 29, user_id: r.id, status_code: r.s, reason: 'OK', timestamp: r.t })),
};

/** A decoded message without the drift's unknown fields (they must be kept, but are not part of the comparison). */
function delivered(r: DecodeResult): unknown {
  expect(r.kind, r.kind === 'error' ? r.error.message : '').toBe('message');
  if (r.kind !== 'message') return undefined;
  expect(r.dropped).toBeUndefined();
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (typeof v !== 'object' || v === null) return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (k !== 'x_sim_unknown' && k !== 'event_code') out[k] = strip(x);
    return out;
  };
  return strip(r.message);
}

describe('random benign drift on every frame shape of the reference', () => {
  const choices = fc.func(fc.boolean());
  for (const [shape, arb] of Object.entries(FRAME_SHAPES)) {
    it(`${shape}: payload and every interpretable field arrive unchanged`, () => {
      fc.assert(
        fc.property(arb, choices, (frame, choose) => {
          const plain = decode(JSON.stringify(frame));
          const used = new Set<DriftKind>();
          const drifted = driftFrame(frame, (k) => {
            const yes = choose(k, used.size);
            if (yes) used.add(k);
            return yes;
          });
          const after = decode(drifted);
          expect(delivered(after)).toEqual(delivered(plain));
          if (after.kind !== 'message' || plain.kind !== 'message') return;
          const c = (after.message as { content?: { data?: unknown } }).content;
          if (c !== undefined) expect(c.data).toBe((plain.message as { content: { data: unknown } }).content.data);
          // V2's event_code is passed on when drift adds it, and the original one is never changed.
          const ev = (after.message as { event?: Record<string, unknown> }).event;
          const orig = (frame as { event?: Record<string, unknown> }).event;
          if (orig?.['event_code'] !== undefined) expect(ev?.['event_code']).toBe(orig['event_code']);
          // Unknown fields stay reachable.
          if (used.has('extraFields')) expect((after.message as Record<string, unknown>)['x_sim_unknown']).toBeDefined();
        }),
        { numRuns: NUM_RUNS },
      );
    });
  }

  it('a keep-alive timestamp is never drifted (the client must echo it as sent)', () => {
    fc.assert(
      fc.property(ts, (t) => {
        const text = driftFrame({ msg_type: 12, timestamp: t }, () => true);
        expect(JSON.parse(Buffer.isBuffer(text) ? text.toString('utf8') : text).timestamp).toBe(t);
      }),
    );
  });

  it('every drift kind actually changes some frame (the drifter is not a no-op)', () => {
    const audio = { msg_type: 14, content: { user_id: 7, data: 'AAAA', length: 3, timestamp: 5 } };
    const zcc = { msg_type: 14, content: { channel_id: '1', data: 'AAAA' } };
    const ev = { msg_type: 6, event: { event_type: 2, user_id: 7, user_name: 'Ada', timestamp: 5 } };
    const only = (kind: DriftKind) => (k: DriftKind) => k === kind;
    const parse = (f: string | Buffer) => JSON.parse(Buffer.isBuffer(f) ? f.toString('utf8') : f) as Record<string, Record<string, unknown>>;
    expect(Buffer.isBuffer(driftFrame(audio, only('binary')))).toBe(true);
    expect(parse(driftFrame(audio, only('stringIds'))).content!['user_id']).toBe('7');
    expect(parse(driftFrame(zcc, only('numericIds'))).content!['channel_id']).toBe(1);
    expect(parse(driftFrame(audio, only('numericStrings'))).content!['timestamp']).toBe('5');
    expect(parse(driftFrame(audio, only('nulls'))).content!['user_name']).toBeNull();
    expect(parse(driftFrame(ev, only('extraFields'))).event!['x_sim_unknown']).toBeDefined();
    expect(parse(driftFrame(ev, only('eventCode'))).event!['event_code']).toBe(1002);
    expect(DRIFT_KINDS).toHaveLength(7);
  });

  it('a Drifter is reproducible from its seed and honours its kinds and rate', () => {
    const frames = Array.from({ length: 50 }, (_, i) => ({ msg_type: 17, content: { user_id: i, data: `line ${i}`, timestamp: 1_700_000_000_000 + i } }));
    const run = (seed: number) => frames.map((f) => new Drifter({ seed }).frame(f).toString());
    expect(run(7)).toEqual(run(7));
    const d = new Drifter({ seed: 3, kinds: ['binary'], rate: 1 });
    for (const f of frames) expect(Buffer.isBuffer(d.frame(f))).toBe(true);
    const none = new Drifter({ rate: 0 });
    for (const f of frames) expect(none.frame(f)).toBe(JSON.stringify(f));
    expect(() => new Drifter({ rate: 2 })).toThrow();
    expect(() => new Drifter({ kinds: ['bogus' as DriftKind] })).toThrow();
  });
});
