/**
 * The simulator's embedded media (src/testing/media-fixtures.ts) is the committed fixtures, byte for byte: the
 * module is what scripts/embed-media-fixtures.ts writes from test/fixtures/media today, and each constant decodes
 * to its fixture file. Fails when a fixture changes and the module was not regenerated (or the other way round).
 * The A-law fixture is not embedded but computed from the 8 kHz PCM (src/testing/g711-encode.ts): the encoder is
 * held to speech.alaw byte for byte, and to A-law's own levels on every 16-bit sample. The JPG and PNG still
 * images are whole, 320x180 files of their format, small, and what the simulator sends, in order.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EMBEDDED, render } from '../../scripts/embed-media-fixtures.js';
import { ALAW_TABLE } from '../../src/media/g711.js';
import { alawByte, encodeAlaw } from '../../src/testing/g711-encode.js';
import { speechAlaw, speechPcm, stillImages } from '../../src/testing/media-fixtures-packets.js';
import * as embedded from '../../src/testing/media-fixtures.js';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'media');

describe('embedded media fixtures', () => {
  it('the module is exactly what the embed script writes from the fixture files now', () => {
    const now = readFileSync(join(import.meta.dirname, '..', '..', 'src', 'testing', 'media-fixtures.ts'), 'utf8');
    expect(now === render(), 'src/testing/media-fixtures.ts is stale: run npx tsx scripts/embed-media-fixtures.ts').toBe(true);
  });

  it.each(EMBEDDED.map(([name, file]) => [name, file]))('%s decodes to %s byte for byte', (name, file) => {
    const b64 = (embedded as Record<string, string>)[name];
    expect(typeof b64).toBe('string');
    const bytes = Buffer.from(b64!, 'base64');
    const want = readFileSync(join(FIX, file));
    expect(bytes.length).toBe(want.length);
    expect(bytes.equals(want)).toBe(true);
  });

  it('SPEECH_TEXT is speech.txt', () => {
    expect(embedded.SPEECH_TEXT).toBe(readFileSync(join(FIX, 'speech.txt'), 'utf8').trim());
    expect(embedded.SPEECH_TEXT.length).toBeGreaterThan(5);
  });
});

/** Width and height from a baseline or progressive JPEG's SOF0/SOF2 segment, walking the segments from SOI. */
function jpegSize(b: Buffer): { width: number; height: number } | undefined {
  let p = 2;
  while (p + 9 < b.length && b[p] === 0xff) {
    const marker = b[p + 1]!;
    const len = b.readUInt16BE(p + 2);
    if (marker === 0xc0 || marker === 0xc2) return { height: b.readUInt16BE(p + 5), width: b.readUInt16BE(p + 7) };
    p += 2 + len;
  }
  return undefined;
}

describe('the still images (JPG and PNG frames)', () => {
  const jpgs = EMBEDDED.filter(([, file]) => file.endsWith('.jpg')).map(([, file]) => file as string);
  const pngs = EMBEDDED.filter(([, file]) => file.endsWith('.png')).map(([, file]) => file as string);

  it('are 5 JPEG and 3 PNG files, embedded in order, under 60 KB together', () => {
    expect(jpgs).toEqual(['image-1.jpg', 'image-2.jpg', 'image-3.jpg', 'image-4.jpg', 'image-5.jpg']);
    expect(pngs).toEqual(['image-1.png', 'image-2.png', 'image-3.png']);
    const total = [...jpgs, ...pngs].reduce((n, f) => n + readFileSync(join(FIX, f)).length, 0);
    expect(total).toBeLessThan(60_000);
  });

  it.each([
    ['JPG', () => jpgs],
    ['PNG', () => pngs],
  ] as const)('%s: what the simulator sends is the files, in order, each a whole 320x180 image, all different', (codec, files) => {
    const sent = stillImages(codec);
    expect(sent.map((b) => Buffer.from(b).toString('hex'))).toEqual(files().map((f) => readFileSync(join(FIX, f)).toString('hex')));
    expect(new Set(sent.map((b) => Buffer.from(b).toString('base64'))).size).toBe(sent.length);
    for (const img of sent.map((b) => Buffer.from(b))) {
      expect(img.length).toBeGreaterThan(500);
      expect(img.length).toBeLessThan(8_000);
      if (codec === 'JPG') {
        expect(img.subarray(0, 3).toString('hex')).toBe('ffd8ff'); // SOI, then a marker
        expect(img.subarray(-2).toString('hex')).toBe('ffd9'); // EOI
        expect(jpegSize(img)).toEqual({ width: 320, height: 180 });
      } else {
        expect(img.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a'); // the PNG signature
        expect(img.subarray(12, 16).toString('latin1')).toBe('IHDR');
        expect([img.readUInt32BE(16), img.readUInt32BE(20)]).toEqual([320, 180]);
        expect(img.subarray(-8, -4).toString('latin1')).toBe('IEND');
      }
    }
  });
});

describe('the A-law stream, computed instead of embedded', () => {
  const alawFile = readFileSync(join(FIX, 'speech.alaw'));
  const pcm8kFile = readFileSync(join(FIX, 'speech-8k.s16le'));

  it('is not in the module: no constant decodes to speech.alaw', () => {
    expect(alawFile.length).toBe(8000);
    expect(EMBEDDED.map(([, file]) => file as string)).not.toContain('speech.alaw');
    for (const [name, value] of Object.entries(embedded)) {
      expect(Buffer.from(value, 'base64').equals(alawFile), `${name} holds speech.alaw`).toBe(false);
    }
  });

  it('speech-8k.s16le through encodeAlaw is speech.alaw byte for byte', () => {
    const pcm = new Int16Array(pcm8kFile.length / 2);
    for (let i = 0; i < pcm.length; i++) pcm[i] = pcm8kFile.readInt16LE(i * 2);
    const alaw = encodeAlaw(pcm);
    expect(alaw.length).toBe(alawFile.length);
    const differ = alaw.reduce((n, b, i) => n + (b === alawFile[i] ? 0 : 1), 0);
    expect(differ).toBe(0);
  });

  it('what the simulator sends (speechAlaw) is speech.alaw, from the embedded 8 kHz PCM', () => {
    expect(speechPcm(8000).length).toBe(8000);
    expect(Buffer.from(speechAlaw()).equals(alawFile)).toBe(true);
  });

  it('every A-law byte decodes to a level that encodes back to the same byte', () => {
    for (let b = 0; b < 256; b++) expect(alawByte(ALAW_TABLE[b]!), `byte 0x${b.toString(16)}`).toBe(b);
  });

  it('any sample encodes to a nearest A-law level (of its 14-bit value, within a threshold rounding), monotonically', () => {
    const levels = Array.from(ALAW_TABLE);
    fc.assert(
      fc.property(fc.integer({ min: -32768, max: 32767 }), fc.integer({ min: -32768, max: 32767 }), (a, b) => {
        const x = (a >> 2) * 4; // the 14-bit value the rule reads, on the 16-bit scale
        const got = ALAW_TABLE[alawByte(a)]!;
        const best = Math.min(...levels.map((l) => Math.abs(l - x)));
        expect(Math.abs(got - x)).toBeLessThanOrEqual(best + 4);
        expect(Math.sign(got)).toBe(a >> 2 < 0 ? -1 : 1);
        if (a <= b) expect(got).toBeLessThanOrEqual(ALAW_TABLE[alawByte(b)]!);
      }),
      { numRuns: 2000 },
    );
  });
});
