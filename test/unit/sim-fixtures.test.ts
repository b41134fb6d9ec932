/**
 * The simulator's media source (src/testing/media-fixtures-packets.ts): the Ogg reader and the H.264 access-unit
 * splitter (property tests: they give back what was put in and never throw on arbitrary bytes), and the packets
 * cut from the embedded fixtures (sizes, looping without a gap, the fixture's own bytes).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  SENTENCE_MS,
  h264AccessUnits,
  isKeyFrame,
  readOgg,
  speechOpus,
  speechPacket,
  speechPcm,
  videoFrames,
  voicedSpanMs,
} from '../../src/testing/media-fixtures-packets.js';
import type { AppliedAudio } from '../../src/testing/sim-conn.js';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'media');
const fixture = (name: string): Buffer => readFileSync(join(FIX, name));

/** Ogg pages (RFC 3533) around `packets`, at most `perPage` segments a page; CRC left 0 (the reader does not check it). */
function oggPages(packets: readonly Uint8Array[], perPage: number): Uint8Array {
  const segs: { len: number; data: Uint8Array }[] = [];
  for (const p of packets) {
    let o = 0;
    for (;;) {
      const len = Math.min(255, p.length - o);
      segs.push({ len, data: p.subarray(o, o + len) });
      o += len;
      if (len < 255) break;
    }
  }
  const pages: Buffer[] = [];
  for (let i = 0; i < segs.length; i += perPage) {
    const page = segs.slice(i, i + perPage);
    const head = Buffer.alloc(27 + page.length);
    head.write('OggS', 0, 'latin1');
    head[26] = page.length;
    page.forEach((s, k) => (head[27 + k] = s.len));
    pages.push(head, ...page.map((s) => Buffer.from(s.data)));
  }
  return new Uint8Array(Buffer.concat(pages));
}

/**
 * An Annex B stream of pictures: each [parameter sets?, SEI?, slices...], slice headers with first_mb_in_slice 0 on
 * the first slice only; start codes of 4 bytes, or of 3 when `short(i)` says so for NAL unit i.
 */
function annexB(
  pictures: readonly { key: boolean; slices: number; sei: boolean }[],
  payload: (i: number) => Uint8Array,
  short: (i: number) => boolean = () => false,
): { stream: Uint8Array; units: Uint8Array[] } {
  const units: Uint8Array[] = [];
  let n = 0;
  for (const pic of pictures) {
    const nals: Uint8Array[] = [];
    const nal = (type: number, second: number) => {
      const code = short(n) ? [0, 0, 1] : [0, 0, 0, 1];
      const body = payload(n++);
      const out = new Uint8Array(code.length + 2 + body.length);
      out.set([...code, type, second], 0);
      // Keep the body free of start codes (the stream's own emulation prevention).
      out.set(body.map((b) => (b === 0 ? 0x11 : b)), code.length + 2);
      nals.push(out);
    };
    if (pic.key) {
      nal(0x67, 0x42);
      nal(0x68, 0xce);
    }
    if (pic.sei) nal(0x06, 0x05);
    for (let s = 0; s < pic.slices; s++) nal(pic.key ? 0x65 : 0x41, s === 0 ? 0x88 : 0x48);
    units.push(Buffer.concat(nals));
  }
  return { stream: new Uint8Array(Buffer.concat(units)), units };
}

describe('Ogg reader', () => {
  it('gives back the packets, whatever their sizes (0 to 1 000 bytes: several segments, packets across pages)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 0, maxLength: 1000 }), { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 255 }), (packets, perPage) => {
        const read = readOgg(oggPages(packets, perPage));
        if ('error' in read) throw new Error(read.error);
        expect(read.complete).toBe(true);
        expect(read.packets.map((p) => [...p])).toEqual(packets.map((p) => [...p]));
      }),
      { numRuns: 200 },
    );
  });

  it('never throws on arbitrary or truncated input, and says when a stream is cut short', () => {
    const whole = oggPages([new Uint8Array(600).fill(7), new Uint8Array(10).fill(9)], 2);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.nat(whole.length - 1), (junk, cut) => {
        const a = readOgg(junk);
        expect('error' in a || Array.isArray(a.packets)).toBe(true);
        const b = readOgg(whole.subarray(0, cut));
        if (!('error' in b)) expect(b.complete).toBe(false);
      }),
      { numRuns: 300 },
    );
    expect(readOgg(new Uint8Array([1, 2, 3]))).toEqual({ error: 'not an Ogg stream (no OggS page)' });
  });

  it('reads the Opus fixture: OpusHead, OpusTags, then 51 packets; the simulator keeps the first 50 (1 s)', () => {
    const read = readOgg(fixture('speech.opus'));
    if ('error' in read) throw new Error(read.error);
    expect(read.complete).toBe(true);
    expect(Buffer.from(read.packets[0]!.subarray(0, 8)).toString('latin1')).toBe('OpusHead');
    expect(Buffer.from(read.packets[1]!.subarray(0, 8)).toString('latin1')).toBe('OpusTags');
    expect(read.packets.length).toBe(53);
    const { packets, preSkip } = speechOpus();
    expect(packets.length).toBe(SENTENCE_MS / 20);
    expect(packets.map((p) => [...p])).toEqual(read.packets.slice(2, 52).map((p) => [...p]));
    expect(preSkip).toBe(312);
  });
});

describe('H.264 access units', () => {
  it('one unit per picture, joined they give the stream back (parameter sets, SEI, several slices a picture, 3- and 4-byte start codes)', () => {
    const pic = fc.record({ key: fc.boolean(), slices: fc.integer({ min: 1, max: 3 }), sei: fc.boolean() });
    fc.assert(
      fc.property(fc.array(pic, { minLength: 1, maxLength: 20 }), fc.array(fc.uint8Array({ minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 8 }), fc.array(fc.boolean(), { minLength: 1, maxLength: 16 }), (pictures, bodies, shorts) => {
        const { stream, units } = annexB(pictures, (i) => bodies[i % bodies.length]!, (i) => shorts[i % shorts.length]!);
        const got = h264AccessUnits(stream);
        expect(got.map((u) => Buffer.from(u).toString('hex'))).toEqual(units.map((u) => Buffer.from(u).toString('hex')));
        expect(got.map(isKeyFrame)).toEqual(pictures.map((p) => p.key));
      }),
      { numRuns: 200 },
    );
  });

  it('never throws on arbitrary bytes, and loses none of them', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const units = h264AccessUnits(bytes);
        expect(Buffer.concat(units).equals(Buffer.from(bytes))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it.each(['video', 'share'] as const)('the %s fixture is 30 pictures (2 s at 15 fps), IDR at 0 and 15, whole file in order', (kind) => {
    const frames = videoFrames(kind);
    expect(frames.length).toBe(30);
    expect(frames.map((f, i) => (isKeyFrame(f) ? i : -1)).filter((i) => i >= 0)).toEqual([0, 15]);
    expect(Buffer.concat(frames).equals(fixture(kind === 'video' ? 'video.h264' : 'share.h264'))).toBe(true);
  });
});

describe('speech packets', () => {
  const fmt = (p: Partial<AppliedAudio>): AppliedAudio => ({ codec: 'L16', sampleRate: 16000, channels: 1, sendRate: 20, multiStream: false, ...p });

  it.each([
    ['L16 16 kHz', fmt({}), 'speech-16k.s16le'],
    ['L16 8 kHz', fmt({ sampleRate: 8000 }), 'speech-8k.s16le'],
    ['G.711 A-law', fmt({ codec: 'G711', sampleRate: 8000 }), 'speech.alaw'],
    ['G.722', fmt({ codec: 'G722' }), 'speech.g722'],
  ] as const)('%s: consecutive packets of any send_rate are the fixture looped with no gap', (_name, format, file) => {
    const want = fixture(file);
    for (const ms of [20, 60, 100, 1000]) {
      const parts: Uint8Array[] = [];
      for (let t = 0; t < 3 * SENTENCE_MS; t += ms) parts.push(speechPacket(format, t, ms));
      const got = Buffer.concat(parts);
      const perMs = want.length / SENTENCE_MS;
      for (const p of parts) expect(p.length).toBe(ms * perMs);
      expect(got.subarray(0, want.length).equals(want)).toBe(true);
      expect(got.subarray(want.length, 2 * want.length).equals(want)).toBe(true);
    }
  });

  it('L16 48 kHz stereo: the 16 kHz speech interpolated (3 samples per input sample, the input on every third), both channels equal', () => {
    const p = Buffer.from(speechPacket(fmt({ sampleRate: 48000, channels: 2 }), 0, SENTENCE_MS));
    expect(p.length).toBe(48000 * 2 * 2);
    const ref = speechPcm(16000);
    let err = 0;
    let sig = 0;
    for (let i = 0; i < 48000; i++) expect(p.readInt16LE(i * 4)).toBe(p.readInt16LE(i * 4 + 2));
    for (let i = 0; i < ref.length; i++) {
      const r = ref[i]!;
      sig += r * r;
      err += (r - p.readInt16LE(i * 3 * 4)) ** 2;
    }
    // A band-limited interpolator passes the input samples almost unchanged (the 0.95 cut-off costs a little).
    expect(10 * Math.log10(sig / err)).toBeGreaterThan(25);
  });

  it('Opus: one fixture packet per 20 ms, in order, looping after 1 s', () => {
    const { packets } = speechOpus();
    const f = fmt({ codec: 'OPUS', sampleRate: 48000 });
    expect([...speechPacket(f, 0, 20)]).toEqual([...packets[0]!]);
    expect([...speechPacket(f, 40, 20)]).toEqual([...packets[2]!]);
    expect([...speechPacket(f, SENTENCE_MS + 20, 20)]).toEqual([...packets[1]!]);
  });

  it('the voice lies inside the sentence: it starts after 0 and ends before 1 s', () => {
    const { startMs, endMs } = voicedSpanMs();
    expect(startMs).toBeGreaterThanOrEqual(0);
    expect(endMs).toBeLessThanOrEqual(SENTENCE_MS);
    expect(endMs - startMs).toBeGreaterThan(500);
  });
});
