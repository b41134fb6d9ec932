/**
 * The committed media fixtures (test/fixtures/media, made by scripts/make-media-fixtures.sh) as the media tests
 * read them, and the one measure they hold decoders to.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readOgg } from '../src/testing/media-fixtures-packets.js';

/** The fixtures' folder. */
export const FIX = join(import.meta.dirname, 'fixtures', 'media');

/** A fixture file's bytes. */
export const fixture = (name: string): Buffer => readFileSync(join(FIX, name));

/** A fixture file of 16-bit little-endian PCM, as samples. */
export const pcm = (name: string): Int16Array => {
  const b = fixture(name);
  return new Int16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

/** SNR (dB) of `test` against `ref`, at the lag in [minLag, maxLag] that fits best. */
export function snrAligned(ref: ArrayLike<number>, test: ArrayLike<number>, maxLag = 0, minLag = 0): { snr: number; lag: number } {
  let best = { snr: -Infinity, lag: 0 };
  for (let lag = minLag; lag <= maxLag; lag++) {
    let s = 0;
    let e = 0;
    const n = Math.min(ref.length, test.length - lag);
    for (let i = Math.max(0, -lag); i < n; i++) {
      const r = ref[i] as number;
      s += r * r;
      e += (r - (test[i + lag] as number)) ** 2;
    }
    const snr = 10 * Math.log10(s / Math.max(e, 1e-9));
    if (snr > best.snr) best = { snr, lag };
  }
  return best;
}

/** The audio packets of an Ogg Opus file, and the pre-skip of its header (RFC 7845). Throws on a file it cannot read. */
export function oggOpus(file: Uint8Array): { packets: Uint8Array[]; preSkip: number } {
  const read = readOgg(file);
  if ('error' in read) throw new Error(read.error);
  const head = read.packets[0];
  if (head === undefined) throw new Error('no OpusHead');
  const preSkip = (head[10] as number) | ((head[11] as number) << 8);
  return { packets: read.packets.slice(2), preSkip }; // skip OpusHead and OpusTags
}
