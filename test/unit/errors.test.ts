import { describe, expect, it, vi } from 'vitest';
import { RtmsError, describeError, statusName } from '../../src/errors.js';

/**
 * The current RTMS_STATUS_CODE table, copied by hand from protocol.md §4.3 (D-DT / SKILLS for 0–45,
 * RS-JS / RS-PY for 46–47). Kept independent of src/protocol/constants.ts on purpose.
 */
const STATUS_TABLE_FROM_REFERENCE: ReadonlyArray<readonly [number, string]> = [
  [0, 'STATUS_OK'],
  [1, 'STATUS_INVALID_MESSAGE_TYPE'],
  [2, 'STATUS_INVALID_RTMS_STREAM_ID'],
  [3, 'STATUS_INVALID_SIGNATURE'],
  [4, 'STATUS_INVALID_PAYLOAD'],
  [5, 'STATUS_INVALID_EVENTS'],
  [6, 'STATUS_INVALID_EVENT_TYPE'],
  [7, 'STATUS_INVALID_MEDIA_TYPE'],
  [8, 'STATUS_DUPLICATE_SIGNAL_REQUEST'],
  [9, 'STATUS_MEDIA_TYPE_AUDIO_NOT_SUPPORT'],
  [10, 'STATUS_MEDIA_TYPE_VIDEO_NOT_SUPPORT'],
  [11, 'STATUS_MEDIA_TYPE_DESKSHARE_NOT_SUPPORT'],
  [12, 'STATUS_MEDIA_TYPE_TRANSCRIPT_NOT_SUPPORT'],
  [13, 'STATUS_MEDIA_TYPE_CHAT_NOT_SUPPORT'],
  [14, 'STATUS_MEDIA_TYPE_INVALID_VALUE'],
  [15, 'STATUS_MEDIA_DATA_ALL_CONNECTION_EXIST'],
  [16, 'STATUS_DUPLICATE_MEDIA_DATA_CONNECTION'],
  [17, 'STATUS_INVALID_MEDIA_PARAMS'],
  [18, 'STATUS_INVALID_MEDIA_AUDIO_PARAMS'],
  [19, 'STATUS_INVALID_MEDIA_AUDIO_CONTENT_TYPE'],
  [20, 'STATUS_INVALID_MEDIA_AUDIO_SAMPLE_RATE'],
  [21, 'STATUS_INVALID_MEDIA_AUDIO_CHANNEL'],
  [22, 'STATUS_INVALID_MEDIA_AUDIO_CODEC'],
  [23, 'STATUS_INVALID_MEDIA_AUDIO_DATA_OPT'],
  [24, 'STATUS_INVALID_MEDIA_AUDIO_SEND_RATE'],
  [25, 'STATUS_INVALID_MEDIA_VIDEO_PARAMS'],
  [26, 'STATUS_INVALID_MEDIA_VIDEO_CONTENT_TYPE'],
  [27, 'STATUS_INVALID_MEDIA_VIDEO_CODEC'],
  [28, 'STATUS_INVALID_MEDIA_VIDEO_RESOLUTION'],
  [29, 'STATUS_INVALID_MEDIA_VIDEO_DATA_OPT'],
  [30, 'STATUS_INVALID_MEDIA_VIDEO_FPS'],
  [31, 'STATUS_INVALID_MEDIA_DESKSHARE_PARAMS'],
  [32, 'STATUS_INVALID_MEDIA_DESKSHARE_CONTENT_TYPE'],
  [33, 'STATUS_INVALID_MEDIA_DESKSHARE_CODEC'],
  [34, 'STATUS_INVALID_MEDIA_DESKSHARE_RESOLUTION'],
  [35, 'STATUS_INVALID_MEDIA_DESKSHARE_FPS'],
  [36, 'STATUS_INVALID_MEDIA_TRANSCRIPT_PARAMS'],
  [37, 'STATUS_INVALID_MEDIA_TRANSCRIPT_CONTENT_TYPE'],
  [38, 'STATUS_INVALID_MEDIA_CHAT_PARAMS'],
  [39, 'STATUS_INVALID_MEDIA_CHAT_CONTENT_TYPE'],
  [40, 'STATUS_INVALID_RTMS_SESSION_ID'],
  [41, 'STATUS_INVALID_CLIENT_READY_ACK'],
  [42, 'STATUS_INVALID_EVENT_SUBSCRIBE'],
  [43, 'STATUS_INVALID_MEDIA_TRANSCRIPT_SOURCE_LANGUAGE'],
  [44, 'STATUS_DUPLICATE_VIDEO_SUBSCRIPTION'],
  [45, 'STATUS_INTERNAL_EXCEPTION'],
  [46, 'STATUS_INVALID_MEDIA_TRANSCRIPT_TARGET_LANGUAGE'],
  [47, 'STATUS_CHAT_SESSION_KEY_NOT_AVAILABLE'],
];

const BRAND = Symbol.for('rtms-client.RtmsError');

describe('RtmsError', () => {
  it('carries code, message, name and is a real Error', () => {
    const err = new RtmsError('RTMS_CONNECT_TIMEOUT', 'not connected within 10 ms');
    expect(err).toBeInstanceOf(Error);
    expect(err).toBeInstanceOf(RtmsError);
    expect(err.code).toBe('RTMS_CONNECT_TIMEOUT');
    expect(err.message).toBe('not connected within 10 ms');
    expect(err.name).toBe('RtmsError');
    expect(err.statusCode).toBeUndefined();
    expect(err.statusName).toBeUndefined();
    expect(err.reason).toBeUndefined();
    expect(err.channel).toBeUndefined();
    expect(err.streamId).toBeUndefined();
    expect(err.closeCode).toBeUndefined();
    expect(typeof err.stack).toBe('string');
  });

  it('keeps every detail it is given, and the cause', () => {
    const cause = new SyntaxError('bad json');
    const err = new RtmsError('RTMS_HANDSHAKE_REJECTED', 'refused', {
      cause,
      statusCode: 3,
      reason: 'invalid signature',
      channel: 'media',
      streamId: 'stream-1',
      closeCode: 1006,
    });
    expect(err.cause).toBe(cause);
    expect(err.statusCode).toBe(3);
    expect(err.statusName).toBe('STATUS_INVALID_SIGNATURE');
    expect(err.reason).toBe('invalid signature');
    expect(err.channel).toBe('media');
    expect(err.streamId).toBe('stream-1');
    expect(err.closeCode).toBe(1006);
  });

  it('has no own cause property when no cause was given', () => {
    const err = new RtmsError('RTMS_CLIENT_CLOSED', 'closed');
    expect(Object.prototype.hasOwnProperty.call(err, 'cause')).toBe(false);
  });

  it('statusName follows the current status table of §4.3 for known codes', () => {
    for (const [code, name] of STATUS_TABLE_FROM_REFERENCE) {
      expect(new RtmsError('RTMS_HANDSHAKE_REJECTED', 'x', { statusCode: code }).statusName).toBe(name);
    }
  });

  it('statusName is UNKNOWN_STATUS_<n> for codes outside the table (never throws)', () => {
    expect(new RtmsError('RTMS_HANDSHAKE_REJECTED', 'x', { statusCode: 48 }).statusName).toBe('UNKNOWN_STATUS_48');
    expect(new RtmsError('RTMS_HANDSHAKE_REJECTED', 'x', { statusCode: 999 }).statusName).toBe('UNKNOWN_STATUS_999');
    expect(new RtmsError('RTMS_HANDSHAKE_REJECTED', 'x', { statusCode: -1 }).statusName).toBe('UNKNOWN_STATUS_-1');
  });

  it('uses the current table, not the legacy one (legacy 15 = INVALID_SIGNATURE, 17 = DUPLICATE_SIGNAL_REQUEST)', () => {
    expect(statusName(15)).toBe('STATUS_MEDIA_DATA_ALL_CONNECTION_EXIST');
    expect(statusName(17)).toBe('STATUS_INVALID_MEDIA_PARAMS');
  });

  describe('instanceof across copies of the library (Symbol.for brand)', () => {
    it('accepts an object from a hand-made second copy carrying the registered brand', () => {
      // What a second copy of the library (e.g. the CJS build next to the ESM one) produces: a different class
      // whose instances carry the same Symbol.for brand.
      class OtherCopyRtmsError extends Error {
        readonly code = 'RTMS_CONNECT_FAILED';
        constructor(message: string) {
          super(message);
          Object.defineProperty(this, Symbol.for('rtms-client.RtmsError'), { value: true });
        }
      }
      const foreign = new OtherCopyRtmsError('from another copy');
      expect(foreign instanceof RtmsError).toBe(true);
      expect({ [BRAND]: true } instanceof RtmsError).toBe(true);
    });

    it('accepts instances of a freshly loaded second module instance, both ways', async () => {
      vi.resetModules();
      const second = (await import('../../src/errors.js')) as typeof import('../../src/errors.js');
      expect(second.RtmsError).not.toBe(RtmsError);
      const fromSecond = new second.RtmsError('RTMS_IDLE_TIMEOUT', 'idle');
      const fromFirst = new RtmsError('RTMS_IDLE_TIMEOUT', 'idle');
      expect(fromSecond instanceof RtmsError).toBe(true);
      expect(fromFirst instanceof second.RtmsError).toBe(true);
      expect(fromSecond.code).toBe('RTMS_IDLE_TIMEOUT');
    });

    it('rejects values without the brand, with a falsy brand, or with an unregistered symbol', () => {
      expect(new Error('plain') instanceof RtmsError).toBe(false);
      expect({ code: 'RTMS_CONNECT_FAILED', name: 'RtmsError' } instanceof RtmsError).toBe(false);
      expect({ [BRAND]: 'yes' } instanceof RtmsError).toBe(false);
      expect({ [BRAND]: false } instanceof RtmsError).toBe(false);
      expect({ [Symbol('rtms-client.RtmsError')]: true } instanceof RtmsError).toBe(false);
      expect((null as unknown) instanceof RtmsError).toBe(false);
      expect((undefined as unknown) instanceof RtmsError).toBe(false);
      expect(('RtmsError' as unknown) instanceof RtmsError).toBe(false);
      expect((42 as unknown) instanceof RtmsError).toBe(false);
    });

    it('the brand is not enumerable (does not show up in JSON or Object.keys)', () => {
      const err = new RtmsError('RTMS_CONNECT_FAILED', 'x');
      expect(Object.getOwnPropertySymbols(err)).toContain(BRAND);
      expect(Object.prototype.propertyIsEnumerable.call(err, BRAND)).toBe(false);
    });
  });
});

describe('describeError', () => {
  it('names an Error by name and message', () => {
    expect(describeError(new RtmsError('RTMS_CONNECT_FAILED', 'could not connect'))).toBe('RtmsError: could not connect');
    expect(describeError(new TypeError('bad'))).toBe('TypeError: bad');
  });

  it('stringifies anything else', () => {
    expect(describeError('boom')).toBe('boom');
    expect(describeError(42)).toBe('42');
    expect(describeError(undefined)).toBe('undefined');
  });
});
