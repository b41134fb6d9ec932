import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RECONNECT, RESTART_STOP_REASONS, backoffDelay } from '../../src/index.js';
import { decodeBase64, readParticipants, readZccParticipant } from '../../src/protocol/payloads.js';

describe('backoffDelay', () => {
  it("follows Zoom's schedule without jitter: immediate, then 3 s doubling to a 30 s cap", () => {
    const p = { ...DEFAULT_RECONNECT, jitter: 0 };
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((a) => backoffDelay(p, a))).toEqual([0, 3000, 6000, 12000, 24000, 30000, 30000, 30000]);
  });

  it('spreads each delay by at most ±jitter', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.double({ min: 0, max: 0.999999, noNaN: true }), (attempt, r) => {
        const base = backoffDelay({ ...DEFAULT_RECONNECT, jitter: 0 }, attempt);
        const d = backoffDelay(DEFAULT_RECONNECT, attempt, () => r);
        expect(d).toBeGreaterThanOrEqual(Math.floor(base * 0.8));
        expect(d).toBeLessThanOrEqual(Math.ceil(base * 1.2));
      }),
    );
  });

  it('restart stop reasons are 10-19 and 24 (D-FAIL)', () => {
    expect([...RESTART_STOP_REASONS].sort((a, b) => a - b)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 24]);
  });
});

describe('payload readers', () => {
  it('decodeBase64 rejects characters outside the alphabet instead of skipping them', () => {
    expect(decodeBase64(Buffer.from('hello').toString('base64'))?.toString()).toBe('hello');
    expect(decodeBase64('aGVsbG8')?.toString()).toBe('hello'); // unpadded
    expect(decodeBase64('aGV*bG8=')).toBeUndefined();
    expect(decodeBase64('a')).toBeUndefined();
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      expect(decodeBase64(Buffer.from(bytes).toString('base64'))?.equals(Buffer.from(bytes))).toBe(true);
    }));
  });

  it('participants from a list or a top-level user; ZCC participant_info in both spellings', () => {
    expect(readParticipants({ participants: [{ user_id: 1, user_name: 'A' }, { user_name: 'no id' }, 'x'] })).toEqual([{ userId: 1, userName: 'A' }]);
    expect(readParticipants({ user_id: 'z', user_name: 'Z' })).toEqual([{ userId: 'z', userName: 'Z' }]);
    expect(readParticipants({})).toEqual([]);
    expect(readZccParticipant({ paticipant_info: { channel_id: 'c', user_id: 5 } })).toMatchObject({ channelId: 'c', userId: '5' });
    expect(readZccParticipant({ participant_info: 'bad' })).toBeUndefined();
  });
});
