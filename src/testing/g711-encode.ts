/**
 * G.711 A-law encoding for the simulator: the 8 kHz speech fixture becomes the A-law stream a codec-2 audio
 * socket sends, computed on first use instead of embedded (8 000 bytes fewer in media-fixtures.ts).
 *
 * The rule rounds each sample to the nearest A-law level: the decision threshold between two adjacent levels is
 * the midpoint of their decoded values, taken on the sample cut to 14 bits (`sample >> 2`, then its magnitude).
 * That is what ffmpeg's `pcm_alaw` encoder does, so the result is test/fixtures/media/speech.alaw byte for byte
 * (test/unit/media-embed.test.ts). G.711's reference encoder truncates instead of rounding: on this fixture it
 * differs in 554 of the 8 000 bytes, by one level each; both are valid A-law, and the G.711 decoder
 * (src/media/g711.ts) reads either. Every A-law byte's decoded value encodes back to that byte.
 */

/** Decoded magnitude (16-bit scale) of the 7-bit A-law magnitude code `k` (3-bit segment, 4-bit step). */
function level(k: number): number {
  const seg = k >> 4;
  const step = k & 0x0f;
  return seg === 0 ? (step << 4) + 8 : ((step << 4) + 0x108) << (seg - 1);
}

/** Threshold `t[k]` (14-bit scale): magnitudes at or above it encode above code `k` (127 thresholds). */
const THRESHOLDS: Int16Array = Int16Array.from({ length: 127 }, (_, k) => (level(k) + level(k + 1) + 4) >> 3);

/** @internal One 16-bit sample to its A-law byte (even bits inverted, as G.711 sends them). */
export function alawByte(sample: number): number {
  const q = sample >> 2; // 14-bit
  const mag = q < 0 ? -q : q;
  // Binary search: the number of thresholds at or below `mag` is the magnitude code.
  let lo = 0;
  let hi = THRESHOLDS.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((THRESHOLDS[mid] as number) <= mag) lo = mid + 1;
    else hi = mid;
  }
  return (q < 0 ? lo : lo | 0x80) ^ 0x55;
}

/** @internal 16-bit PCM to G.711 A-law, one byte per sample. */
export function encodeAlaw(pcm: Int16Array): Uint8Array {
  const out = new Uint8Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = alawByte(pcm[i] as number);
  return out;
}
