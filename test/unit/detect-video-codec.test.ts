/**
 * detectVideoCodec: what a video or share frame's bytes are, by their signature, whatever was negotiated.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { detectVideoCodec } from '../../src/index.js';
import { fixture } from '../media-fixtures.js';

describe('detectVideoCodec', () => {
  it('names the committed fixtures: JPEG stills, PNG stills, H.264 access units (both start codes)', () => {
    for (const i of [1, 2, 3, 4, 5]) expect(detectVideoCodec(fixture(`image-${i}.jpg`))).toBe('JPG');
    for (const i of [1, 2, 3]) expect(detectVideoCodec(fixture(`image-${i}.png`))).toBe('PNG');
    expect(detectVideoCodec(fixture('video.h264'))).toBe('H264');
    expect(detectVideoCodec(Uint8Array.from([0, 0, 1, 0x65]))).toBe('H264');
    expect(detectVideoCodec(Uint8Array.from([0, 0, 0, 1, 0x67]))).toBe('H264');
  });

  it('anything else, short or close, is undefined', () => {
    for (const b of [[], [0xff, 0xd8], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a], [0, 0, 0, 0, 1], [0, 0, 2], [0, 1], [0x47, 0x40]]) {
      expect(detectVideoCodec(Uint8Array.from(b)), JSON.stringify(b)).toBeUndefined();
    }
  });

  it('property: never throws; depends on the first 8 bytes only; JPG, PNG and H264 exactly when their signature leads', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 24 }), fc.uint8Array({ maxLength: 8 }), (bytes, tail) => {
        const got = detectVideoCodec(bytes);
        const b = [...bytes];
        const expected =
          b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff
            ? 'JPG'
            : b.length >= 8 && [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a].every((v, i) => b[i] === v)
              ? 'PNG'
              : b[0] === 0 && b[1] === 0 && (b[2] === 1 || (b[2] === 0 && b[3] === 1))
                ? 'H264'
                : undefined;
        expect(got).toBe(expected);
        if (bytes.length >= 8) expect(detectVideoCodec(Uint8Array.from([...bytes, ...tail]))).toBe(got);
      }),
      { numRuns: 2000 },
    );
  });
});
