/**
 * G.711 (ITU-T G.711) decoding: A-law (PCMA, what RTMS sends as codec 2) and µ-law (PCMU). Each byte is one
 * sample; both tables are computed once from the standard's segment formulas and hold the exact 16-bit values
 * of ITU-T G.711 (A-law: 13-bit magnitude shifted left by 3; µ-law: 14-bit shifted left by 2).
 */

function alawToLinear(byte: number): number {
  const a = byte ^ 0x55;
  const seg = (a & 0x70) >> 4;
  let t = (a & 0x0f) << 4;
  t = seg === 0 ? t + 8 : (t + 0x108) << (seg - 1);
  return a & 0x80 ? t : -t;
}

function ulawToLinear(byte: number): number {
  const u = ~byte & 0xff;
  let t = ((u & 0x0f) << 3) + 0x84;
  t <<= (u & 0x70) >> 4;
  return u & 0x80 ? 0x84 - t : t - 0x84;
}

/** A-law byte → 16-bit sample (256 entries). */
export const ALAW_TABLE: Int16Array = Int16Array.from({ length: 256 }, (_, i) => alawToLinear(i));

/** µ-law byte → 16-bit sample (256 entries). */
export const ULAW_TABLE: Int16Array = Int16Array.from({ length: 256 }, (_, i) => ulawToLinear(i));

/** Decodes G.711 A-law bytes to 16-bit PCM, one sample per byte. */
export function decodeAlaw(data: Uint8Array): Int16Array {
  const out = new Int16Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = ALAW_TABLE[data[i] as number] as number;
  return out;
}

/** Decodes G.711 µ-law bytes to 16-bit PCM, one sample per byte. */
export function decodeUlaw(data: Uint8Array): Int16Array {
  const out = new Int16Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = ULAW_TABLE[data[i] as number] as number;
  return out;
}
