/**
 * The codec's field table (src/protocol/fields.ts): its readers, and the docs page that prints it.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FIELD_RULES,
  INVALID,
  KIND_DESCRIPTIONS,
  mediaContentDelivered,
  normaliseInPlace,
  readFlag,
  rowsOf,
  readId,
  readInt,
  readNumber,
  readText,
  readUrlList,
  readUserId,
} from '../../src/protocol/fields.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('docs/tolerant-reading.md prints the table', () => {
  it('has one row per rule, with the same scope, field, alias, kind and descriptions, in order', () => {
    const doc = readFileSync(join(root, 'docs', 'tolerant-reading.md'), 'utf8');
    const rows = doc.split('\n').filter((l) => /^\| (?!Where|---)/.test(l));
    const expected = FIELD_RULES.map((r) => {
      const d = KIND_DESCRIPTIONS[r.kind];
      return `| ${r.scope} | \`${r.field}\`${r.alias ? ` (or \`${r.alias}\`)` : ''} | ${r.kind} | ${d.accepts} | ${d.delivers} |`;
    });
    expect(rows).toEqual(expected);
  });

  it('names every field the issue lists as drifting', () => {
    const fields = new Set(FIELD_RULES.map((r) => r.field));
    for (const f of ['user_id', 'channel_id', 'rtms_session_id', 'rtms_stream_id', 'timestamp', 'start_time', 'end_time', 'language', 'length', 'status_code', 'state', 'reason', 'event_type', 'event_code']) {
      expect(fields.has(f), f).toBe(true);
    }
  });
});

describe('readers', () => {
  it('int: integers and decimal-integer strings', () => {
    expect([readInt(3), readInt('3'), readInt(' -1 '), readInt('0'), readInt(undefined), readInt(null)]).toEqual([3, 3, -1, 0, undefined, undefined]);
    for (const bad of [3.5, '3.5', 'x', '', '1e3', '0x10', true, {}, [], Number.NaN, Number.POSITIVE_INFINITY, '99999999999999999']) {
      expect(readInt(bad), JSON.stringify(bad)).toBe(INVALID);
    }
  });

  it('number: finite numbers and decimal strings', () => {
    expect([readNumber(1.5), readNumber('1712345678901'), readNumber('12.25'), readNumber(null)]).toEqual([1.5, 1_712_345_678_901, 12.25, undefined]);
    for (const bad of ['1e3', 'x', '', true, {}, Number.NaN, Number.NEGATIVE_INFINITY]) expect(readNumber(bad)).toBe(INVALID);
  });

  it('id: strings as they are, numbers as strings, empty as absent', () => {
    expect([readId('ab+/=='), readId(123), readId(''), readId(null)]).toEqual(['ab+/==', '123', undefined, undefined]);
    for (const bad of [true, {}, [], Number.NaN]) expect(readId(bad)).toBe(INVALID);
  });

  it('userId: canonical decimal strings become numbers, other strings stay', () => {
    expect([readUserId(7), readUserId('7'), readUserId('0'), readUserId('07'), readUserId('a-7'), readUserId(''), readUserId(null)]).toEqual([7, 7, 0, '07', 'a-7', undefined, undefined]);
    expect(readUserId(true)).toBe(INVALID);
  });

  it('text, flag, urlList', () => {
    expect([readText('a'), readText(5), readText(null)]).toEqual(['a', '5', undefined]);
    expect(readText(false)).toBe(INVALID);
    expect([readFlag(true), readFlag('false'), readFlag(undefined)]).toEqual([true, false, undefined]);
    for (const bad of [1, 0, 'yes', {}]) expect(readFlag(bad)).toBe(INVALID);
    expect([readUrlList('wss://a'), readUrlList(['wss://a', 'wss://b']), readUrlList({ x: 'wss://a', y: 5 })]).toEqual(['wss://a', 'wss://a,wss://b', 'wss://a']);
    for (const bad of [[], {}, 5, [5]]) expect(readUrlList(bad)).toBe(INVALID);
  });

  it('property: every id and integer survives a round trip through its string form', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (n) => {
        expect(readUserId(String(n))).toBe(n);
        expect(readUserId(n)).toBe(n);
        expect(readInt(String(n))).toBe(n);
        expect(readNumber(String(n))).toBe(n);
        expect(readId(n)).toBe(String(n));
      }),
    );
  });

  it('property: readers never throw, and return INVALID, undefined or the delivered type', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        for (const [read, type] of [
          [readInt, 'number'],
          [readNumber, 'number'],
          [readId, 'string'],
          [readText, 'string'],
          [readFlag, 'boolean'],
          [readUrlList, 'string'],
        ] as const) {
          const r = read(v);
          if (r !== INVALID && r !== undefined) expect(typeof r).toBe(type);
        }
        const u = readUserId(v);
        if (u !== INVALID && u !== undefined) expect(['number', 'string']).toContain(typeof u);
      }),
    );
  });
});

describe('the media-content fast path agrees with the table', () => {
  const rows = rowsOf('media content');
  const fields = rows.map((r) => r[0]);

  it('covers exactly the media content rows', () => {
    expect(fields.sort()).toEqual(['attribute', 'channel_id', 'end_time', 'language', 'length', 'start_time', 'timestamp', 'user_id', 'user_name']);
  });

  it('a well-typed frame takes the fast path; each drifted field alone takes the general one', () => {
    const good = { data: 'x', user_id: 7, user_name: 'Ada', channel_id: 'c1', length: 3, timestamp: 5, start_time: 1, end_time: 2, language: 9, attribute: 1 };
    expect(mediaContentDelivered(good)).toBe(true);
    expect(mediaContentDelivered({ data: 'x' })).toBe(true);
    const drifted: Record<string, unknown> = { user_id: '7', user_name: 7, channel_id: 1, length: '3', timestamp: '5', start_time: null, end_time: '2', language: '9', attribute: 1.5 };
    for (const f of fields) expect(mediaContentDelivered({ ...good, [f]: drifted[f] }), f).toBe(false);
  });

  it('property: whenever the fast path says "nothing to do", the table-driven loop changes nothing', () => {
    const value = fc.oneof(fc.jsonValue({ maxDepth: 1 }), fc.maxSafeInteger(), fc.maxSafeNat().map(String), fc.constant(null));
    const content = fc.dictionary(fc.constantFrom(...fields, 'data', 'x_other'), value);
    fc.assert(
      fc.property(content, (c) => {
        if (!mediaContentDelivered(c)) return;
        const copy = structuredClone(c);
        expect(normaliseInPlace(copy, rows, 'content.', undefined)).toBeUndefined();
        expect(copy).toEqual(c);
      }),
      { numRuns: 2000 },
    );
  });
});
