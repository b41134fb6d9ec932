import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RtmsError } from '../../src/errors.js';
import {
  MEDIA_KIND_BY_MSG_TYPE,
  decode,
  encodeClientReadyAck,
  encodeDataHandshake,
  encodeEventSubscription,
  encodeKeepAliveResp,
  encodeSessionStateReq,
  encodeSignalingHandshake,
  encodeStreamCloseReq,
  encodeStreamStateReq,
  encodeVideoSubscriptionReq,
  jsonCodec,
  type DecodeResult,
} from '../../src/protocol/codec.js';
import { MsgType } from '../../src/protocol/constants.js';
import { readInt, readUserId } from '../../src/protocol/fields.js';
import type { InboundMessage } from '../../src/protocol/messages.js';
import { ALL_HANDSHAKE_ID_KEYS, PRODUCTS } from '../../src/protocol/products.js';

const NUM_RUNS = 500;

type Dir = 'in' | 'out' | 'none';

/** protocol.md §2, copied by hand: value, name, direction ('in' = Zoom → app, 'out' = app → Zoom). */
const MSG_TABLE: ReadonlyArray<readonly [number, string, Dir]> = [
  [0, 'UNDEFINED', 'none'],
  [1, 'SIGNALING_HAND_SHAKE_REQ', 'out'],
  [2, 'SIGNALING_HAND_SHAKE_RESP', 'in'],
  [3, 'DATA_HAND_SHAKE_REQ', 'out'],
  [4, 'DATA_HAND_SHAKE_RESP', 'in'],
  [5, 'EVENT_SUBSCRIPTION', 'out'],
  [6, 'EVENT_UPDATE', 'in'],
  [7, 'CLIENT_READY_ACK', 'out'],
  [8, 'STREAM_STATE_UPDATE', 'in'],
  [9, 'SESSION_STATE_UPDATE', 'in'],
  [10, 'SESSION_STATE_REQ', 'out'],
  [11, 'SESSION_STATE_RESP', 'in'],
  [12, 'KEEP_ALIVE_REQ', 'in'],
  [13, 'KEEP_ALIVE_RESP', 'out'],
  [14, 'MEDIA_DATA_AUDIO', 'in'],
  [15, 'MEDIA_DATA_VIDEO', 'in'],
  [16, 'MEDIA_DATA_SHARE', 'in'],
  [17, 'MEDIA_DATA_TRANSCRIPT', 'in'],
  [18, 'MEDIA_DATA_CHAT', 'in'],
  [19, 'STREAM_STATE_REQ', 'out'],
  [20, 'STREAM_STATE_RESP', 'in'],
  [21, 'STREAM_CLOSE_REQ', 'out'],
  [22, 'STREAM_CLOSE_RESP', 'in'],
  [23, 'META_DATA_AUDIO', 'in'],
  [24, 'META_DATA_VIDEO', 'in'],
  [25, 'META_DATA_SHARE', 'in'],
  [26, 'META_DATA_TRANSCRIPT', 'in'],
  [27, 'META_DATA_CHAT', 'in'],
  [28, 'VIDEO_SUBSCRIPTION_REQ', 'out'],
  [29, 'VIDEO_SUBSCRIPTION_RESP', 'in'],
];

/** A minimal valid body per server→app type, built from the field tables of §3. */
const MINIMAL_BODY: Readonly<Record<number, Record<string, unknown>>> = {
  2: { status_code: 0 },
  4: { status_code: 0 },
  6: { event: { event_type: 2 } },
  8: { state: 1 },
  9: { state: 2 },
  11: {},
  12: { timestamp: 1_712_345_678_901 },
  14: { content: { data: 'AAAA' } },
  15: { content: { data: '/9j/' } },
  16: { content: { data: '/9j/' } },
  17: { content: { data: 'hello' } },
  18: { content: { data: 'hi' } },
  20: {},
  22: { status_code: 0 },
  23: {},
  24: {},
  25: {},
  26: {},
  27: {},
  29: { status_code: 0 },
};

const frame = (o: unknown): string => JSON.stringify(o);

function expectMessage(r: DecodeResult): InboundMessage & Record<string, unknown> {
  if (r.kind !== 'message') throw new Error(`expected a message, got ${JSON.stringify(r.kind === 'error' ? r.error.message : r)}`);
  return r.message as InboundMessage & Record<string, unknown>;
}

function expectInvalid(r: DecodeResult): RtmsError {
  expect(r.kind).toBe('error');
  if (r.kind !== 'error') throw new Error('unreachable');
  expect(r.error).toBeInstanceOf(RtmsError);
  expect(r.error.code).toBe('RTMS_FRAME_INVALID');
  return r.error;
}

describe('MsgType matches protocol.md §2', () => {
  it('every number in the reference table has the same name in MsgType, and nothing more', () => {
    for (const [value, name] of MSG_TABLE) expect((MsgType as Record<string, number>)[name]).toBe(value);
    expect(Object.keys(MsgType).length).toBe(MSG_TABLE.length);
  });

  it('media kinds by msg_type: 14 audio, 15 video, 16 share, 17 transcript, 18 chat', () => {
    expect(MEDIA_KIND_BY_MSG_TYPE).toEqual({ 14: 'audio', 15: 'video', 16: 'share', 17: 'transcript', 18: 'chat' });
  });
});

describe('decode — every msg_type of §2 is recognised', () => {
  const inbound = MSG_TABLE.filter(([, , d]) => d === 'in');
  const notInbound = MSG_TABLE.filter(([, , d]) => d !== 'in');

  it('covers every server → app type with a minimal body', () => {
    expect(Object.keys(MINIMAL_BODY).map(Number).sort((a, b) => a - b)).toEqual(inbound.map(([v]) => v));
  });

  it.each(inbound)('%i %s (Zoom → app) decodes to a message', (value) => {
    const body = MINIMAL_BODY[value]!;
    const msg = expectMessage(decode(frame({ msg_type: value, ...body })));
    expect(msg.msg_type).toBe(value);
    for (const [k, v] of Object.entries(body)) expect(msg[k]).toEqual(v);
  });

  it.each(notInbound)('%i %s (app → Zoom or UNDEFINED) is unhandled and known', (value) => {
    expect(decode(frame({ msg_type: value }))).toEqual({ kind: 'unhandled', msgType: value, known: true });
    // Even with plausible fields, the client never treats its own message types as inbound.
    expect(decode(frame({ msg_type: value, status_code: 0, rtms_stream_id: 's', timestamp: 1 }))).toEqual({ kind: 'unhandled', msgType: value, known: true });
  });

  it.each([30, 31, 99, 1000, -1, 2 ** 31, Number.MAX_SAFE_INTEGER])('unknown msg_type %i is unhandled and not known', (value) => {
    expect(decode(frame({ msg_type: value, content: { data: 'x' } }))).toEqual({ kind: 'unhandled', msgType: value, known: false });
  });

  it('keeps unknown extra fields (§3: extra fields must be tolerated)', () => {
    const msg = expectMessage(decode(frame({ msg_type: 8, state: 1, future_field: { a: [1, 2] }, rtms_stream_id: 'abc' })));
    expect(msg['future_field']).toEqual({ a: [1, 2] });
    expect(msg['rtms_stream_id']).toBe('abc');
  });

  it('jsonCodec.decode is decode', () => {
    expect(jsonCodec.decode(frame({ msg_type: 8, state: 4 }))).toEqual(decode(frame({ msg_type: 8, state: 4 })));
  });
});

describe('decode — normalisations', () => {
  describe.each([2, 4, 22, 29])('status on msg_type %i', (t) => {
    it('reads status_code', () => {
      expect(expectMessage(decode(frame({ msg_type: t, status_code: 3 })))['status_code']).toBe(3);
    });
    it('falls back to status (RS-PY) and stores it as status_code', () => {
      expect(expectMessage(decode(frame({ msg_type: t, status: 8 })))['status_code']).toBe(8);
    });
    it('prefers status_code over status', () => {
      expect(expectMessage(decode(frame({ msg_type: t, status_code: 0, status: 8 })))['status_code']).toBe(0);
    });
    it('reads a numeric string status, and a null status_code falls back to status', () => {
      expect(expectMessage(decode(frame({ msg_type: t, status_code: '0' })))['status_code']).toBe(0);
      expect(expectMessage(decode(frame({ msg_type: t, status_code: ' 16 ' })))['status_code']).toBe(16);
      expect(expectMessage(decode(frame({ msg_type: t, status_code: null, status: 3 })))['status_code']).toBe(3);
    });
  });

  describe.each([2, 4, 29])('msg_type %i without a usable status has no usable payload', (t) => {
    it('is RTMS_FRAME_INVALID', () => {
      expectInvalid(decode(frame({ msg_type: t })));
      expectInvalid(decode(frame({ msg_type: t, status_code: 0.5 })));
      expectInvalid(decode(frame({ msg_type: t, status_code: null })));
      expectInvalid(decode(frame({ msg_type: t, status: true })));
      expectInvalid(decode(frame({ msg_type: t, status_code: 'ok' })));
    });
  });

  it('STREAM_CLOSE_RESP is an answer even without a status (its arrival is what counts)', () => {
    const r = decode(frame({ msg_type: 22, status_code: 'x', rtms_stream_id: 's' }));
    expect(expectMessage(r)['status_code']).toBeUndefined();
    expect(r.kind === 'message' && r.dropped).toEqual(['status_code']);
    expectMessage(decode(frame({ msg_type: 22 })));
  });

  it('SIGNALING_HAND_SHAKE_RESP keeps media_server.server_urls, dropping non-string values', () => {
    const msg = expectMessage(
      decode(
        frame({
          msg_type: 2,
          status_code: 0,
          reason: '',
          media_server: { server_urls: { audio: 'wss://a.zoom.us', all: 'wss://all.zoom.us', bogus: 5, nested: { x: 1 } }, srtp_keys: { audio: 'k' } },
        }),
      ),
    );
    const ms = msg['media_server'] as { server_urls: Record<string, string>; srtp_keys: unknown };
    expect(ms.server_urls).toEqual({ audio: 'wss://a.zoom.us', all: 'wss://all.zoom.us' });
    expect(ms.srtp_keys).toEqual({ audio: 'k' });
  });

  it('SIGNALING_HAND_SHAKE_RESP tolerates a null media_server / server_urls, and keeps V2 fields it does not read', () => {
    expectMessage(decode(frame({ msg_type: 2, status_code: 0, media_server: null })));
    expectMessage(decode(frame({ msg_type: 2, status_code: 0, media_server: { server_urls: null } })));
    const v2 = expectMessage(decode(frame({ msg_type: 2, status_code: 0, srt_passphrase: 'p', srt_pbkey_length: 16, media_server: { server_urls: { all: 'wss://x' } } })));
    expect(v2['srt_pbkey_length']).toBe(16);
  });

  describe('DATA_HAND_SHAKE_RESP payload_encrypted (§3.4, §9.7)', () => {
    it('reads payload_encrypted', () => {
      expect(expectMessage(decode(frame({ msg_type: 4, status_code: 0, payload_encrypted: true })))['payload_encrypted']).toBe(true);
      expect(expectMessage(decode(frame({ msg_type: 4, status_code: 0, payload_encrypted: false })))['payload_encrypted']).toBe(false);
    });
    it('maps payload_encryption to payload_encrypted, and reads "true" / "false"', () => {
      expect(expectMessage(decode(frame({ msg_type: 4, status_code: 0, payload_encryption: true })))['payload_encrypted']).toBe(true);
      expect(expectMessage(decode(frame({ msg_type: 4, status_code: 0, payload_encryption: false })))['payload_encrypted']).toBe(false);
      expect(expectMessage(decode(frame({ msg_type: 4, status_code: 0, payload_encrypted: 'true' })))['payload_encrypted']).toBe(true);
    });
    it('defaults to false when absent or uninterpretable (and reports the field)', () => {
      expect(expectMessage(decode(frame({ msg_type: 4, status_code: 0 })))['payload_encrypted']).toBe(false);
      const r = decode(frame({ msg_type: 4, status_code: 0, payload_encrypted: 'yes' }));
      expect(expectMessage(r)['payload_encrypted']).toBe(false);
      expect(r.kind === 'message' && r.dropped).toEqual(['payload_encrypted']);
    });
    it('keeps media_params with numeric strings read as numbers; a non-object one is dropped', () => {
      const mp = { audio: { sample_rate: 1, codec: 1, send_rate: 100 }, transcript: { src_language: 9, enable_lid: true } };
      expect(expectMessage(decode(frame({ msg_type: 4, status_code: 0, media_params: mp })))['media_params']).toEqual(mp);
      const drifted = { audio: { sample_rate: '1', codec: 1, send_rate: '100' }, transcript: { src_language: '9', enable_lid: 'true' } };
      expect(expectMessage(decode(frame({ msg_type: 4, status_code: 0, media_params: drifted })))['media_params']).toEqual(mp);
      for (const bad of ['x', [1]]) {
        const r = decode(frame({ msg_type: 4, status_code: 0, media_params: bad }));
        expect(expectMessage(r)['media_params']).toBeUndefined();
        expect(r.kind === 'message' && r.dropped).toEqual(['media_params']);
      }
    });
  });

  describe('STREAM_STATE_UPDATE (8) reason ?? stop_reason (§3.9)', () => {
    it('keeps reason', () => {
      expect(expectMessage(decode(frame({ msg_type: 8, state: 4, reason: 6 })))['reason']).toBe(6);
    });
    it('reads stop_reason into reason', () => {
      expect(expectMessage(decode(frame({ msg_type: 8, state: 4, stop_reason: 20 })))['reason']).toBe(20);
    });
    it('prefers reason when both are present', () => {
      expect(expectMessage(decode(frame({ msg_type: 8, state: 4, reason: 13, stop_reason: 20 })))['reason']).toBe(13);
    });
    it('leaves reason undefined when neither is present', () => {
      expect(expectMessage(decode(frame({ msg_type: 8, state: 1 })))['reason']).toBeUndefined();
    });
    it('reads numeric strings; an uninterpretable reason is dropped, the update still delivered', () => {
      const m = expectMessage(decode(frame({ msg_type: 8, state: '4', reason: '6', timestamp: '1712345678901' })));
      expect([m['state'], m['reason'], m['timestamp']]).toEqual([4, 6, 1_712_345_678_901]);
      const r = decode(frame({ msg_type: 8, state: 4, stop_reason: 1.5 }));
      expect(expectMessage(r)['reason']).toBeUndefined();
      expect(r.kind === 'message' && r.dropped).toEqual(['stop_reason']); // named as it arrived
    });
    it('without a usable state it has no payload', () => {
      expectInvalid(decode(frame({ msg_type: 8 })));
      expectInvalid(decode(frame({ msg_type: 8, state: 'four' })));
    });
  });

  describe('SESSION_STATE_UPDATE (9) stop_reason ?? reason, session_id → rtms_session_id (§3.10)', () => {
    it('keeps stop_reason', () => {
      expect(expectMessage(decode(frame({ msg_type: 9, state: 5, stop_reason: 6 })))['stop_reason']).toBe(6);
    });
    it('reads reason into stop_reason', () => {
      expect(expectMessage(decode(frame({ msg_type: 9, state: 5, reason: 2 })))['stop_reason']).toBe(2);
    });
    it('prefers stop_reason when both are present', () => {
      expect(expectMessage(decode(frame({ msg_type: 9, state: 5, stop_reason: 6, reason: 2 })))['stop_reason']).toBe(6);
    });
    it('drops an uninterpretable stop reason; without a state there is no payload', () => {
      expect(expectMessage(decode(frame({ msg_type: 9, state: 5, stop_reason: 'x' })))['stop_reason']).toBeUndefined();
      expect(expectMessage(decode(frame({ msg_type: 9, state: 5, reason: 2.5 })))['stop_reason']).toBeUndefined();
      expectInvalid(decode(frame({ msg_type: 9, rtms_session_id: 's' })));
    });
    it('copies the MOCK spelling session_id into rtms_session_id; a numeric id becomes a string', () => {
      expect(expectMessage(decode(frame({ msg_type: 9, state: 2, session_id: 'sess-1' })))['rtms_session_id']).toBe('sess-1');
      expect(expectMessage(decode(frame({ msg_type: 9, state: 2, rtms_session_id: 42 })))['rtms_session_id']).toBe('42');
    });
    it('keeps rtms_session_id when both are present', () => {
      expect(expectMessage(decode(frame({ msg_type: 9, state: 2, rtms_session_id: 'real', session_id: 'other' })))['rtms_session_id']).toBe('real');
    });
  });

  describe('media content as a bare string (§3.14 defensive notes)', () => {
    it.each([14, 15, 16, 17, 18])('msg_type %i wraps a string content as { data }', (t) => {
      const msg = expectMessage(decode(frame({ msg_type: t, content: 'aGVsbG8=' })));
      expect(msg['content']).toEqual({ data: 'aGVsbG8=' });
    });
  });

  describe('KEEP_ALIVE_REQ timestamp: never normalised, echoed as received', () => {
    it.each([1_712_345_678_901, '1712345678901', null, { t: 1 }, [1], true, undefined])('%j', (ts) => {
      const msg = expectMessage(decode(frame({ msg_type: 12, timestamp: ts })));
      expect(msg['timestamp']).toEqual(ts);
    });
  });

  it('media frames keep every documented content field', () => {
    const content = {
      user_id: 16778240,
      user_name: 'Ada',
      data: 'hello world',
      timestamp: 1_712_345_678_901,
      start_time: 1_712_345_678_000,
      end_time: 1_712_345_679_000,
      language: 9,
      attribute: 1,
    };
    expect(expectMessage(decode(frame({ msg_type: 17, content })))['content']).toEqual(content);
    const zcc = { channel_id: 'ch-1', data: 'AAAA', length: 3, timestamp: 5 };
    expect(expectMessage(decode(frame({ msg_type: 14, content: zcc })))['content']).toEqual(zcc);
  });

  it('media frames normalise drifted metadata and deliver the payload (the numeric channel_id case)', () => {
    const r = decode(
      frame({
        msg_type: 17,
        content: { user_id: '16778240', user_name: 7, channel_id: 123, data: 'hello', length: '5', timestamp: '1712345678901', start_time: '1712345678000', end_time: null, language: '9', attribute: '1', extra: { keep: true } },
      }),
    );
    expect(r.kind === 'message' && r.dropped).toBeUndefined();
    expect(expectMessage(r)['content']).toEqual({
      user_id: 16778240,
      user_name: '7',
      channel_id: '123',
      data: 'hello',
      length: 5,
      timestamp: 1_712_345_678_901,
      start_time: 1_712_345_678_000,
      end_time: undefined,
      language: 9,
      attribute: 1,
      extra: { keep: true },
    });
  });

  it('media user_id: a number, a canonical decimal string as that number, any other string as the string; null is absent', () => {
    const uidOf = (v: unknown) => (expectMessage(decode(frame({ msg_type: 14, content: { data: 'A', user_id: v } })))['content'] as Record<string, unknown>)['user_id'];
    expect(uidOf(0)).toBe(0);
    expect(uidOf('0')).toBe(0);
    expect(uidOf('16778240')).toBe(16778240);
    expect(uidOf('agent-7')).toBe('agent-7');
    expect(uidOf('007')).toBe('007'); // not canonical: kept as the string, never guessed
    expect(uidOf('-1')).toBe('-1');
    expect(uidOf('99999999999999999999')).toBe('99999999999999999999'); // beyond 2^53: kept as the string
    expect(uidOf(null)).toBeUndefined();
    expect(uidOf('')).toBeUndefined();
  });

  it('uninterpretable metadata becomes undefined and is reported; the payload is still delivered', () => {
    for (const [field, v] of [
      ['user_id', true],
      ['user_id', { id: 1 }],
      ['user_id', [1]],
      ['timestamp', {}],
      ['timestamp', 'yesterday'],
      ['length', '3.5'],
      ['user_name', false],
      ['channel_id', { id: 1 }],
      ['language', 'en'],
      ['start_time', 'soon'],
    ] as const) {
      const r = decode(frame({ msg_type: 17, content: { data: 'hi', [field]: v } }));
      const c = expectMessage(r)['content'] as Record<string, unknown>;
      expect(c['data']).toBe('hi');
      expect(c[field], field).toBeUndefined();
      expect(r.kind === 'message' && r.dropped).toEqual([`content.${field}`]);
    }
  });

  it('msg_type as a numeric string is read as the number', () => {
    expect(expectMessage(decode('{"msg_type": "12", "timestamp": 1}')).msg_type).toBe(12);
    expect(expectMessage(decode('{"msg_type": " 14 ", "content": {"data": "AA=="}}')).msg_type).toBe(14);
  });

  it('EVENT_UPDATE reads event_type and V2 event_code, numeric strings included; participants are normalised', () => {
    const ev = expectMessage(decode(frame({ msg_type: 6, event: { event_type: '3', event_code: '1003', timestamp: '5', participants: [{ user_id: '7', user_name: 'Ada' }, { user_id: 'x-1' }, 'junk'] } })))['event'];
    expect(ev).toEqual({ event_type: 3, event_code: 1003, timestamp: 5, participants: [{ user_id: 7, user_name: 'Ada' }, { user_id: 'x-1' }, 'junk'] });
    // Zoom Phone sends event_code only (§7.5).
    expect(expectMessage(decode(frame({ msg_type: 6, event: { event_code: 42 } })))['event']).toEqual({ event_code: 42 });
  });
});

describe('decode — frames with no usable payload give RTMS_FRAME_INVALID', () => {
  it.each([
    ['not JSON', 'hello'],
    ['empty string', ''],
    ['truncated JSON', '{"msg_type": 14, "content": {'],
    ['JSON null', 'null'],
    ['JSON number', '42'],
    ['JSON string', '"msg_type"'],
    ['JSON true', 'true'],
    ['JSON array', '[{"msg_type": 12}]'],
    ['empty array', '[]'],
    ['object without msg_type', '{"timestamp": 1}'],
    ['msg_type null', '{"msg_type": null}'],
    ['msg_type a word', '{"msg_type": "twelve"}'],
    ['float msg_type', '{"msg_type": 12.5}'],
    ['float msg_type 14.000001', '{"msg_type": 14.000001, "content": {"data": "A"}}'],
    ['msg_type overflowing to Infinity', '{"msg_type": 1e400}'],
    ['msg_type as boolean', '{"msg_type": true}'],
    ['msg_type as object', '{"msg_type": {"v": 12}}'],
  ])('%s', (_label, text) => {
    expectInvalid(decode(text));
  });

  it('keeps the JSON SyntaxError as cause', () => {
    const err = expectInvalid(decode('{nope'));
    expect(err.cause).toBeInstanceOf(SyntaxError);
  });

  it.each([14, 15, 16, 17, 18])('media msg_type %i: content.data missing or not a string', (t) => {
    expectInvalid(decode(frame({ msg_type: t })));
    expectInvalid(decode(frame({ msg_type: t, content: null })));
    expectInvalid(decode(frame({ msg_type: t, content: 5 })));
    expectInvalid(decode(frame({ msg_type: t, content: ['A'] })));
    expectInvalid(decode(frame({ msg_type: t, content: {} })));
    expectInvalid(decode(frame({ msg_type: t, content: { user_id: 1 } })));
    expectInvalid(decode(frame({ msg_type: t, content: { data: null } })));
    expectInvalid(decode(frame({ msg_type: t, content: { data: 5 } })));
    expectInvalid(decode(frame({ msg_type: t, content: { data: ['A'] } })));
  });

  it('EVENT_UPDATE without an event object, or with neither event_type nor event_code', () => {
    expectInvalid(decode(frame({ msg_type: 6 })));
    expectInvalid(decode(frame({ msg_type: 6, event: null })));
    expectInvalid(decode(frame({ msg_type: 6, event: 'x' })));
    expectInvalid(decode(frame({ msg_type: 6, event: [] })));
    expectInvalid(decode(frame({ msg_type: 6, event: {} })));
    expectInvalid(decode(frame({ msg_type: 6, event: { timestamp: 1 } })));
    expectInvalid(decode(frame({ msg_type: 6, event: { event_type: 'two' } })));
    expectInvalid(decode(frame({ msg_type: 6, event: { event_type: 2.5 } })));
    expectInvalid(decode(frame({ msg_type: 6, event_type: 2 })));
  });

  it('EVENT_UPDATE accepts ZCC bodies (event_ts, participant_info) and string user ids', () => {
    const ev = { event_type: 8, event_ts: 1, participant_info: { channel_id: 'c', user_id: 'u-1', display_name: 'Agent' } };
    expect(expectMessage(decode(frame({ msg_type: 6, event: ev })))['event']).toEqual(ev);
  });

  it('handshake responses with a wrongly typed reason or media_server are delivered without those fields', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ msg_type: 2, status_code: 0, reason: false }, 'reason'],
      [{ msg_type: 2, status_code: 0, media_server: 'wss://x' }, 'media_server'],
      [{ msg_type: 2, status_code: 0, media_server: [] }, 'media_server'],
      [{ msg_type: 2, status_code: 0, media_server: { server_urls: 'wss://x' } }, 'media_server.server_urls'],
      [{ msg_type: 2, status_code: 0, media_server: { server_urls: ['wss://x'] } }, 'media_server.server_urls'],
      [{ msg_type: 4, status_code: 0, reason: {} }, 'reason'],
    ];
    for (const [o, field] of cases) {
      const r = decode(frame(o));
      expect(expectMessage(r)['status_code']).toBe(0);
      expect(r.kind === 'message' && r.dropped, field).toEqual([field]);
    }
    // A number where text is expected is text.
    expect(expectMessage(decode(frame({ msg_type: 2, status_code: 3, reason: 5 })))['reason']).toBe('5');
  });
});

describe('decode — binary frames (§3.14)', () => {
  const bytes = (s: string) => new TextEncoder().encode(s);

  it('a binary frame holding UTF-8 JSON decodes exactly like the same text', () => {
    for (const [t, body] of Object.entries(MINIMAL_BODY)) {
      const text = frame({ msg_type: Number(t), ...body, note: 'héllo ✓' });
      expect(decode(bytes(text))).toEqual(decode(text));
    }
    // A UTF-8 byte-order mark is allowed.
    expect(expectMessage(decode(new Uint8Array([0xef, 0xbb, 0xbf, ...bytes('{"msg_type":12,"timestamp":1}')]))).msg_type).toBe(12);
  });

  it('a binary frame that is JSON but not a usable message is RTMS_FRAME_INVALID, as text would be', () => {
    expectInvalid(decode(bytes('[1,2]')));
    expectInvalid(decode(bytes('{"msg_type": 14}')));
  });

  it('bytes that are not UTF-8 JSON are RTMS_FRAME_UNSUPPORTED with their length and first byte, never their content', () => {
    const protobufLike = new Uint8Array([0x08, 0x0e, 0x12, 0x04, 0xde, 0xad, 0xbe, 0xef]);
    for (const [b, first] of [
      [protobufLike, 0x08],
      [bytes('hello, not json'), 0x68],
      [new Uint8Array([0x7b, 0xff, 0xfe]), 0x7b], // starts like JSON, invalid UTF-8
      [new Uint8Array(0), undefined],
    ] as const) {
      const r = decode(b);
      expect(r.kind).toBe('error');
      if (r.kind !== 'error') continue;
      expect(r.error.code).toBe('RTMS_FRAME_UNSUPPORTED');
      expect(r.error.frame).toEqual({ byteLength: b.byteLength, firstByte: first });
      expect(r.error.message).toContain(`${b.byteLength} bytes`);
      expect(r.error.message).not.toContain('hello');
    }
  });

  it('property: any bytes decode without throwing, to a message, an unhandled note or a typed error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        const r = decode(b);
        if (r.kind === 'error') expect(['RTMS_FRAME_INVALID', 'RTMS_FRAME_UNSUPPORTED']).toContain(r.error.code);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('encoders (app → Zoom)', () => {
  const base = { sequence: 1, idKeys: ['meeting_uuid'], idValue: 'aBc+/d==', streamId: 'stream-1', signature: 'f'.repeat(64) };

  describe('SIGNALING_HAND_SHAKE_REQ (§3.1)', () => {
    it('has exactly msg_type 1, protocol_version 1, sequence, the id key, rtms_stream_id and signature', () => {
      expect(JSON.parse(encodeSignalingHandshake(base))).toStrictEqual({
        msg_type: 1,
        protocol_version: 1,
        sequence: 1,
        meeting_uuid: 'aBc+/d==',
        rtms_stream_id: 'stream-1',
        signature: 'f'.repeat(64),
      });
    });

    it('adds buffer_data only when given, with its boolean value', () => {
      expect(JSON.parse(encodeSignalingHandshake({ ...base, bufferData: false }))).toMatchObject({ buffer_data: false });
      expect(JSON.parse(encodeSignalingHandshake({ ...base, bufferData: true }))).toMatchObject({ buffer_data: true });
      expect(JSON.parse(encodeSignalingHandshake(base))).not.toHaveProperty('buffer_data');
    });

    it('carries the given sequence number', () => {
      expect(JSON.parse(encodeSignalingHandshake({ ...base, sequence: 7 })).sequence).toBe(7);
    });

    it('keeps the id value byte-exact (no URL encoding, §5.1)', () => {
      const id = 'xY/+z==\u00e9 \u{1F600}';
      expect(JSON.parse(encodeSignalingHandshake({ ...base, idValue: id })).meeting_uuid).toBe(id);
    });
  });

  // §5.2: which keys each product sends (conflicts resolved by sending both keys with one value).
  const EXPECTED_KEYS: Record<string, string[]> = {
    meeting: ['meeting_uuid'],
    webinar: ['meeting_uuid', 'webinar_uuid'],
    session: ['meeting_uuid', 'session_id'],
    contact_center: ['engagement_id'],
    phone: ['call_id'], // ZP-S, §6.4 [C1]
  };

  it('the product table sends the §5.2 id keys, for every product', () => {
    expect(Object.keys(PRODUCTS).sort()).toEqual(Object.keys(EXPECTED_KEYS).sort());
    for (const [product, keys] of Object.entries(EXPECTED_KEYS)) {
      expect([...PRODUCTS[product as keyof typeof PRODUCTS].handshakeKeys].sort()).toEqual([...keys].sort());
    }
  });

  it.each(Object.entries(EXPECTED_KEYS))('%s: both handshakes carry its id keys with one value and no other id key', (_product, keys) => {
    const fields = { ...base, idKeys: keys, idValue: 'the-id' };
    for (const text of [encodeSignalingHandshake(fields), encodeDataHandshake({ ...fields, mediaType: 9 })]) {
      const o = JSON.parse(text) as Record<string, unknown>;
      for (const k of keys) expect(o[k]).toBe('the-id');
      for (const k of ALL_HANDSHAKE_ID_KEYS) if (!keys.includes(k)) expect(o).not.toHaveProperty(k);
      // No id key beyond the protocol's four, and no SKILLS-only fields on the signaling handshake (§3.1).
      expect(o).not.toHaveProperty('client_id');
    }
    expect(JSON.parse(encodeSignalingHandshake(fields))).not.toHaveProperty('media_type');
  });

  describe('DATA_HAND_SHAKE_REQ (§3.3)', () => {
    it('omits sequence when none is given (as the session sends it, §9.5)', () => {
      expect(JSON.parse(encodeDataHandshake({ ...base, sequence: undefined, mediaType: 8 }))).not.toHaveProperty('sequence');
    });

    it('has msg_type 3, the handshake fields, media_type and payload_encryption false', () => {
      expect(JSON.parse(encodeDataHandshake({ ...base, sequence: 2, mediaType: 9 }))).toStrictEqual({
        msg_type: 3,
        protocol_version: 1,
        sequence: 2,
        meeting_uuid: 'aBc+/d==',
        rtms_stream_id: 'stream-1',
        signature: 'f'.repeat(64),
        media_type: 9,
        payload_encryption: false,
      });
    });

    it('includes media_params verbatim when given', () => {
      const mediaParams = { audio: { content_type: 2, codec: 1, sample_rate: 1, channel: 1, data_opt: 1, send_rate: 20 }, transcript: { content_type: 5 } };
      const o = JSON.parse(encodeDataHandshake({ ...base, mediaType: 9, mediaParams }));
      expect(o.media_params).toStrictEqual(mediaParams);
      expect(o.payload_encryption).toBe(false);
    });

    it('payload_encryption follows the request when given', () => {
      expect(JSON.parse(encodeDataHandshake({ ...base, mediaType: 32, payloadEncryption: true })).payload_encryption).toBe(true);
    });
  });

  it('CLIENT_READY_ACK is { msg_type: 7, rtms_stream_id } (§3.5)', () => {
    expect(JSON.parse(encodeClientReadyAck('stream-1'))).toStrictEqual({ msg_type: 7, rtms_stream_id: 'stream-1' });
  });

  describe('KEEP_ALIVE_RESP (§3.6) echoes the timestamp exactly', () => {
    it.each([1_712_345_678_901, 0, Number.MAX_SAFE_INTEGER, 1.5, '1712345678901', '', 'not-a-number'])('%j', (ts) => {
      const o = JSON.parse(encodeKeepAliveResp(ts));
      expect(o).toStrictEqual({ msg_type: 13, timestamp: ts });
      expect(typeof o.timestamp).toBe(typeof ts);
    });

    it('a request and its response carry the same timestamp text', () => {
      const req = '{"msg_type":12,"timestamp":1712345678901}';
      const msg = expectMessage(decode(req)) as { timestamp?: number | string };
      expect(encodeKeepAliveResp(msg.timestamp)).toBe('{"msg_type":13,"timestamp":1712345678901}');
    });

    it('property: decode(KEEP_ALIVE_REQ) then encode gives back the same timestamp value and type', () => {
      fc.assert(
        fc.property(fc.oneof(fc.maxSafeInteger(), fc.string()), (ts) => {
          const msg = expectMessage(decode(JSON.stringify({ msg_type: 12, timestamp: ts }))) as { timestamp?: number | string };
          const back = JSON.parse(encodeKeepAliveResp(msg.timestamp)) as { msg_type: number; timestamp: unknown };
          expect(back.msg_type).toBe(13);
          expect(back.timestamp === ts || (ts === 0 && back.timestamp === 0)).toBe(true);
        }),
        { numRuns: NUM_RUNS },
      );
    });
  });

  it('EVENT_SUBSCRIPTION is { msg_type: 5, events: [{ event_type, subscribe }] } (§3.7)', () => {
    expect(
      JSON.parse(
        encodeEventSubscription([
          { eventType: 2, subscribe: true },
          { eventType: 3, subscribe: true },
          { eventType: 8, subscribe: false },
        ]),
      ),
    ).toStrictEqual({
      msg_type: 5,
      events: [
        { event_type: 2, subscribe: true },
        { event_type: 3, subscribe: true },
        { event_type: 8, subscribe: false },
      ],
    });
    expect(JSON.parse(encodeEventSubscription([]))).toStrictEqual({ msg_type: 5, events: [] });
  });

  it('STREAM_CLOSE_REQ is { msg_type: 21, rtms_stream_id } (§3.12)', () => {
    expect(JSON.parse(encodeStreamCloseReq('stream-1'))).toStrictEqual({ msg_type: 21, rtms_stream_id: 'stream-1' });
  });

  it('STREAM_STATE_REQ (19), SESSION_STATE_REQ (10), VIDEO_SUBSCRIPTION_REQ (28) (§3.11, §3.13)', () => {
    expect(JSON.parse(encodeStreamStateReq('s'))).toStrictEqual({ msg_type: 19, rtms_stream_id: 's' });
    expect(JSON.parse(encodeSessionStateReq('sess'))).toStrictEqual({ msg_type: 10, rtms_session_id: 'sess' });
    expect(JSON.parse(encodeVideoSubscriptionReq(16778240, true, 123))).toStrictEqual({ msg_type: 28, user_id: 16778240, subscribe: true, timestamp: 123 });
  });

  it('every encoded app → Zoom message decodes back as unhandled and known (the client never consumes its own messages)', () => {
    const texts = [
      encodeSignalingHandshake(base),
      encodeDataHandshake({ ...base, mediaType: 9 }),
      encodeClientReadyAck('s'),
      encodeKeepAliveResp(1),
      encodeEventSubscription([{ eventType: 2, subscribe: true }]),
      encodeStreamCloseReq('s'),
      encodeStreamStateReq('s'),
      encodeSessionStateReq('s'),
      encodeVideoSubscriptionReq(1, false, 2),
    ];
    for (const t of texts) {
      const r = decode(t);
      expect(r.kind).toBe('unhandled');
      if (r.kind === 'unhandled') expect(r.known).toBe(true);
    }
  });
});

describe('decode — properties', () => {
  function checkShape(r: DecodeResult): void {
    expect(['message', 'unhandled', 'error']).toContain(r.kind);
    if (r.kind === 'error') {
      expect(r.error).toBeInstanceOf(RtmsError);
      expect(r.error.code).toBe('RTMS_FRAME_INVALID');
    }
  }

  it('never throws for arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
        checkShape(decode(s));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('never throws for fc.json()', () => {
    fc.assert(
      fc.property(fc.json(), (s) => {
        checkShape(decode(s));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('never throws for stringified fc.jsonValue()', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const r = decode(JSON.stringify(v) ?? 'null');
        checkShape(r);
        // Anything that is not an object with an integer msg_type (or a decimal-integer string) must be an error.
        const isObj = typeof v === 'object' && v !== null && !Array.isArray(v);
        if (!isObj || typeof readInt((v as Record<string, unknown>)['msg_type']) !== 'number') expect(r.kind).toBe('error');
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('never throws for objects with random msg_type integers and random content/fields', () => {
    const anyJson = fc.jsonValue({ maxDepth: 3 });
    const fields = fc.record(
      {
        msg_type: fc.oneof(fc.integer({ min: -3, max: 35 }), fc.integer()),
        content: fc.oneof(anyJson, fc.record({ data: anyJson, user_id: anyJson, timestamp: anyJson, user_name: anyJson }, { requiredKeys: [] })),
        event: fc.oneof(anyJson, fc.record({ event_type: anyJson }, { requiredKeys: [] })),
        status_code: anyJson,
        status: anyJson,
        reason: anyJson,
        stop_reason: anyJson,
        state: anyJson,
        timestamp: anyJson,
        media_server: fc.oneof(anyJson, fc.record({ server_urls: anyJson }, { requiredKeys: [] })),
        payload_encrypted: anyJson,
        payload_encryption: anyJson,
        media_params: anyJson,
        session_id: anyJson,
      },
      { requiredKeys: ['msg_type'] },
    );
    fc.assert(
      fc.property(fields, (o) => {
        const r = decode(JSON.stringify(o));
        checkShape(r);
        if (r.kind === 'unhandled') expect(r.msgType).toBe(o.msg_type);
        if (r.kind === 'message') expect(r.message.msg_type).toBe(o.msg_type);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('any valid media frame decodes to a message and preserves content.data exactly', () => {
    const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
    const mediaFrame = fc.record({
      msg_type: fc.constantFrom(14, 15, 16, 17, 18),
      data: fc.string({ unit: 'binary', maxLength: 300 }),
      bare: fc.boolean(),
      user_id: optional(fc.oneof(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.string())),
      user_name: optional(fc.string({ unit: 'grapheme' })),
      channel_id: optional(fc.string()),
      timestamp: optional(fc.double({ noNaN: true, noDefaultInfinity: true })),
      length: optional(fc.nat()),
      start_time: optional(fc.maxSafeNat()),
      end_time: optional(fc.maxSafeNat()),
      language: optional(fc.integer({ min: -1, max: 36 })),
      extra: optional(fc.jsonValue({ maxDepth: 2 })),
    });
    fc.assert(
      fc.property(mediaFrame, (f) => {
        const { msg_type, data, bare, ...rest } = f;
        const content: Record<string, unknown> = { data };
        for (const [k, v] of Object.entries(rest)) if (v !== undefined) content[k] = v;
        const text = JSON.stringify({ msg_type, content: bare ? data : content });
        const msg = expectMessage(decode(text));
        expect(msg.msg_type).toBe(msg_type);
        const got = msg['content'] as Record<string, unknown>;
        expect(got['data']).toBe(data);
        if (!bare) {
          for (const k of ['user_name', 'channel_id', 'length', 'language'] as const) expect(got[k]).toEqual(content[k] === '' && k === 'channel_id' ? undefined : content[k]);
          expect(got['user_id']).toEqual(readUserId(content['user_id']));
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
