/**
 * H.264 Annex B helpers (rtms-client/media): NAL units and access units of the committed fixtures (made by
 * scripts/make-media-fixtures.sh: 320x180, 15 fps, 2 s, SPS/PPS before each of the 2 IDRs), SPS sizes, and a
 * property test: arbitrary bytes never make any parser throw.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NAL_TYPE, avcCodecString, inspectAccessUnit, parseSps, splitAccessUnits, splitNalUnits } from '../../src/media/index.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'media');

describe('Annex B splitting', () => {
  it('finds NAL units behind 3- and 4-byte start codes, ignoring leading garbage and trailing zeros', () => {
    const b = Uint8Array.from([0xaa, 0, 0, 0, 1, 0x67, 1, 2, 0, 0, 0, 1, 0x68, 3, 0, 0, 0, 1, 0x65, 4, 5, 0, 0]);
    const nals = splitNalUnits(b);
    expect(nals.map((n) => n.type)).toEqual([NAL_TYPE.SPS, NAL_TYPE.PPS, NAL_TYPE.IDR]);
    expect(nals.map((n) => [...n.data])).toEqual([[0x67, 1, 2], [0x68, 3], [0x65, 4, 5]]);
    expect(nals.map((n) => n.startCodeOffset)).toEqual([1, 8, 14]);
    expect(splitNalUnits(Uint8Array.from([1, 2, 3, 0, 0]))).toEqual([]);
  });

  for (const name of ['video', 'share']) {
    it(`${name}.h264: 30 access units, IDRs (with SPS and PPS) at 0 and 15, 320x180 baseline`, () => {
      const stream = readFileSync(join(FIXTURES, `${name}.h264`));
      const aus = splitAccessUnits(stream);
      expect(aus.length).toBe(30);
      // The access units tile the stream: nothing lost, nothing repeated.
      expect(aus.reduce((n, a) => n + a.byteLength, 0)).toBe(stream.length);
      const infos = aus.map((a) => inspectAccessUnit(a));
      expect(infos.flatMap((i, n) => (i.idr ? [n] : []))).toEqual([0, 15]);
      expect(infos.every((i) => i.hasSlice)).toBe(true);
      for (const n of [0, 15]) {
        const i = infos[n]!;
        expect(i.sps).toBeDefined();
        expect(i.pps).toBeDefined();
        expect(i.spsInfo).toMatchObject({ profile: 66, width: 320, height: 180 });
      }
      expect(avcCodecString(infos[0]!.spsInfo!)).toMatch(/^avc1\.42[0-9A-F]{4}$/);
      // Exactly one picture (slice) per access unit in these streams.
      expect(infos.map((i) => i.nals.filter((x) => x.type === NAL_TYPE.IDR || x.type === NAL_TYPE.SLICE).length)).toEqual(Array(30).fill(1));
    });
  }

  it('an access unit delimiter starts a new access unit', () => {
    const aud = [0, 0, 0, 1, 0x09, 0xf0];
    const slice = (first: boolean): number[] => [0, 0, 1, 0x41, first ? 0x9a : 0x1a, 0x22];
    const s = Uint8Array.from([...aud, ...slice(true), ...aud, ...slice(true), ...slice(false)]);
    const aus = splitAccessUnits(s);
    expect(aus.map((a) => a.byteLength)).toEqual([12, 18]);
  });
});

describe('parseSps', () => {
  it('reads cropping (1080p is coded as 1088 lines)', () => {
    // x264 high profile 1920x1080 SPS (frame_cropping bottom 4).
    const sps = Uint8Array.from([0x67, 0x64, 0x00, 0x28, 0xac, 0xd9, 0x40, 0x78, 0x02, 0x27, 0xe5, 0x84, 0x00, 0x00, 0x03, 0x00, 0x04, 0x00, 0x00, 0x03, 0x00, 0xf0, 0x3c, 0x60, 0xc6, 0x58]);
    expect(parseSps(sps)).toMatchObject({ profile: 100, level: 40, width: 1920, height: 1080 });
  });

  it('returns undefined for a truncated SPS, another NAL type, or an empty buffer', () => {
    const full = splitNalUnits(readFileSync(join(FIXTURES, 'video.h264'))).find((n) => n.type === NAL_TYPE.SPS)!.data;
    expect(parseSps(full)).toBeDefined();
    expect(parseSps(full.subarray(0, 5))).toBeUndefined();
    expect(parseSps(Uint8Array.from([0x68, 1, 2, 3]))).toBeUndefined();
    expect(parseSps(new Uint8Array(0))).toBeUndefined();
  });
});

describe('property: the parsers never throw', () => {
  const bytes = fc.oneof(
    fc.uint8Array({ maxLength: 600 }),
    // Bytes rich in start codes and NAL headers, so the parsers get past the first check.
    fc.array(fc.oneof(fc.constant([0, 0, 1]), fc.constant([0, 0, 0, 1]), fc.constantFrom([0x67], [0x68], [0x65], [0x41], [0x09]), fc.uint8Array({ maxLength: 12 }).map((a) => [...a])), { maxLength: 60 }).map((parts) => Uint8Array.from(parts.flat())),
  );
  it('splitNalUnits, splitAccessUnits, inspectAccessUnit and parseSps on arbitrary bytes', () => {
    fc.assert(
      fc.property(bytes, (b) => {
        const nals = splitNalUnits(b);
        for (const n of nals) {
          expect(n.data.byteLength).toBeGreaterThan(0);
          const sps = parseSps(n.data);
          if (sps !== undefined) expect(sps.width > 0 && sps.height > 0).toBe(true);
        }
        const aus = splitAccessUnits(b);
        // Access units are disjoint, in order, and inside the input.
        let end = 0;
        for (const a of aus) {
          expect(a.byteOffset - b.byteOffset).toBeGreaterThanOrEqual(end);
          end = a.byteOffset - b.byteOffset + a.byteLength;
        }
        expect(end).toBeLessThanOrEqual(b.byteLength);
        const info = inspectAccessUnit(b);
        expect(info.nals.length).toBe(nals.length);
        expect(info.idr).toBe(nals.some((n) => n.type === NAL_TYPE.IDR));
      }),
      { numRuns: 2000 },
    );
  });
});
