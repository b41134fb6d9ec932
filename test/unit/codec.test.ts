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
    it('rejects a missing or non-integer status', () => {
      expectInvalid(decode(frame({ msg_type: t })));
      expectInvalid(decode(frame({ msg_type: t, status_code: '0' })));
      expectInvalid(decode(frame({ msg_type: t, status_code: 0.5 })));
      expectInvalid(decode(frame({ msg_type: t, status_code: null })));
      expectInvalid(decode(frame({ msg_type: t, status: true })));
    });
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

  it('SIGNALING_HAND_SHAKE_RESP tolerates a null media_server / server_urls', () => {
    expectMessage(decode(frame({ msg_type: 2, status_code: 0, media_server: null })));
    expectMessage(decode(frame({ msg_type: 2, status_code: 0, media_server: { server_urls: null } })));
  });

  describe('DATA_HAND_SHAKE_RESP payload_encrypted (§3.4, §9.7)', () => {
    it('reads payload_encrypted', () => {
      expect(expectMessage(decode(frame({ msg_type: 4, status_code: 0, payload_encrypted: true })))['payload_encrypted']).toBe(true);
      expect(expectMessage(decode(frame({ msg_type: 4, status_code: 0, payload_encrypted: false })))['payload_encrypted']).toBe(false);
    });
    it('maps payload_encryption to payload_encrypted', () => {
      expect(expectMessage(decode(frame({ msg_type: 4, status_code: 0, payload_encryption: true })))['payload_encrypted']).toBe(true);
      expect(expectMessage(decode(frame({ msg_type: 4, status_code: 0, payload_encryption: false })))['payload_encrypted']).toBe(false);
    });
    it('defaults to false when absent', () => {
      expect(expectMessage(decode(frame({ msg_type: 4, status_code: 0 })))['payload_encrypted']).toBe(false);
    });
    it('rejects a non-boolean value under either name', () => {
      expectInvalid(decode(frame({ msg_type: 4, status_code: 0, payload_encrypted: 'yes' })));
      expectInvalid(decode(frame({ msg_type: 4, status_code: 0, payload_encryption: 1 })));
    });
    it('keeps media_params, rejects a non-object one', () => {
      const mp = { audio: { sample_rate: 1, codec: 1 } };
      expect(expectMessage(decode(frame({ msg_type: 4, status_code: 0, media_params: mp })))['media_params']).toEqual(mp);
      expectInvalid(decode(frame({ msg_type: 4, status_code: 0, media_params: 'x' })));
      expectInvalid(decode(frame({ msg_type: 4, status_code: 0, media_params: [1] })));
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
    it('rejects a non-integer reason or a missing/non-integer state', () => {
      expectInvalid(decode(frame({ msg_type: 8, state: 4, reason: '6' })));
      expectInvalid(decode(frame({ msg_type: 8, state: 4, stop_reason: 1.5 })));
      expectInvalid(decode(frame({ msg_type: 8 })));
      expectInvalid(decode(frame({ msg_type: 8, state: '4' })));
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
    it('rejects a non-integer stop reason or a missing state', () => {
      expectInvalid(decode(frame({ msg_type: 9, state: 5, stop_reason: 'x' })));
      expectInvalid(decode(frame({ msg_type: 9, state: 5, reason: 2.5 })));
      expectInvalid(decode(frame({ msg_type: 9, rtms_session_id: 's' })));
    });
    it('copies the MOCK spelling session_id into rtms_session_id', () => {
      expect(expectMessage(decode(frame({ msg_type: 9, state: 2, session_id: 'sess-1' })))['rtms_session_id']).toBe('sess-1');
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

  describe('KEEP_ALIVE_REQ timestamp', () => {
    it('accepts a number, a string, or no timestamp', () => {
      expect(expectMessage(decode(frame({ msg_type: 12, timestamp: 1_712_345_678_901 })))['timestamp']).toBe(1_712_345_678_901);
      expect(expectMessage(decode(frame({ msg_type: 12, timestamp: '1712345678901' })))['timestamp']).toBe('1712345678901');
      expectMessage(decode(frame({ msg_type: 12 })));
    });
    it('rejects an object, array or boolean timestamp', () => {
      expectInvalid(decode(frame({ msg_type: 12, timestamp: { t: 1 } })));
      expectInvalid(decode(frame({ msg_type: 12, timestamp: [1] })));
      expectInvalid(decode(frame({ msg_type: 12, timestamp: true })));
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

  it('media user_id may be a number or a string (ZCC); null is tolerated', () => {
    expectMessage(decode(frame({ msg_type: 14, content: { data: 'A', user_id: 0 } })));
    expectMessage(decode(frame({ msg_type: 14, content: { data: 'A', user_id: 'agent-7' } })));
    expectMessage(decode(frame({ msg_type: 14, content: { data: 'A', user_id: null } })));
  });
});

describe('decode — invalid frames give RTMS_FRAME_INVALID', () => {
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
    ['msg_type as string', '{"msg_type": "12"}'],
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

  it.each([14, 15, 16, 17, 18])('media msg_type %i: invalid content', (t) => {
    expectInvalid(decode(frame({ msg_type: t })));
    expectInvalid(decode(frame({ msg_type: t, content: null })));
    expectInvalid(decode(frame({ msg_type: t, content: 5 })));
    expectInvalid(decode(frame({ msg_type: t, content: ['A'] })));
    expectInvalid(decode(frame({ msg_type: t, content: {} })));
    expectInvalid(decode(frame({ msg_type: t, content: { user_id: 1 } })));
    expectInvalid(decode(frame({ msg_type: t, content: { data: null } })));
    expectInvalid(decode(frame({ msg_type: t, content: { data: 5 } })));
    expectInvalid(decode(frame({ msg_type: t, content: { data: ['A'] } })));
    expectInvalid(decode(frame({ msg_type: t, content: { data: 'A', user_id: true } })));
    expectInvalid(decode(frame({ msg_type: t, content: { data: 'A', user_id: { id: 1 } } })));
    expectInvalid(decode(frame({ msg_type: t, content: { data: 'A', user_id: [1] } })));
    expectInvalid(decode(frame({ msg_type: t, content: { data: 'A', timestamp: '1712345678901' } })));
    expectInvalid(decode(frame({ msg_type: t, content: { data: 'A', timestamp: {} } })));
    expectInvalid(decode(frame({ msg_type: t, content: { data: 'A', user_name: 7 } })));
    expectInvalid(decode(frame({ msg_type: t, content: { data: 'A', channel_id: 7 } })));
    expectInvalid(decode(frame({ msg_type: t, content: { data: 'A', length: '3' } })));
  });

  it('transcript: start_time, end_time and language must be numbers', () => {
    expectInvalid(decode(frame({ msg_type: 17, content: { data: 'hi', start_time: '1' } })));
    expectInvalid(decode(frame({ msg_type: 17, content: { data: 'hi', end_time: '2' } })));
    expectInvalid(decode(frame({ msg_type: 17, content: { data: 'hi', language: 'en' } })));
  });

  it('EVENT_UPDATE without a valid event.event_type', () => {
    expectInvalid(decode(frame({ msg_type: 6 })));
    expectInvalid(decode(frame({ msg_type: 6, event: null })));
    expectInvalid(decode(frame({ msg_type: 6, event: 'x' })));
    expectInvalid(decode(frame({ msg_type: 6, event: [] })));
    expectInvalid(decode(frame({ msg_type: 6, event: {} })));
    expectInvalid(decode(frame({ msg_type: 6, event: { timestamp: 1 } })));
    expectInvalid(decode(frame({ msg_type: 6, event: { event_type: '2' } })));
    expectInvalid(decode(frame({ msg_type: 6, event: { event_type: 2.5 } })));
    expectInvalid(decode(frame({ msg_type: 6, event_type: 2 })));
  });

  it('EVENT_UPDATE accepts ZCC bodies (event_ts, participant_info) and string user ids', () => {
    const ev = { event_type: 8, event_ts: 1, participant_info: { channel_id: 'c', user_id: 'u-1', display_name: 'Agent' } };
    expect(expectMessage(decode(frame({ msg_type: 6, event: ev })))['event']).toEqual(ev);
  });

  it('handshake responses with a wrongly typed reason or media_server', () => {
    expectInvalid(decode(frame({ msg_type: 2, status_code: 0, reason: 5 })));
    expectInvalid(decode(frame({ msg_type: 2, status_code: 0, media_server: 'wss://x' })));
    expectInvalid(decode(frame({ msg_type: 2, status_code: 0, media_server: [] })));
    expectInvalid(decode(frame({ msg_type: 2, status_code: 0, media_server: { server_urls: 'wss://x' } })));
    expectInvalid(decode(frame({ msg_type: 2, status_code: 0, media_server: { server_urls: ['wss://x'] } })));
    expectInvalid(decode(frame({ msg_type: 4, status_code: 0, reason: false })));
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
  };

  it('the product table sends the §5.2 id keys', () => {
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
        // Anything that is not an object with an integer msg_type must be an error.
        const isObj = typeof v === 'object' && v !== null && !Array.isArray(v);
        if (!isObj || !Number.isInteger((v as Record<string, unknown>)['msg_type'])) expect(r.kind).toBe('error');
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
          for (const k of ['user_id', 'user_name', 'channel_id', 'length', 'language'] as const) expect(got[k]).toEqual(content[k]);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
