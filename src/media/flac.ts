/**
 * A minimal FLAC encoder for the MP4 recorder's audio: 16-bit PCM into FLAC frames that store each channel
 * verbatim, or as one value when the channel is constant (silence). No prediction and no entropy coding, so the
 * output is about as large as the PCM (silence aside); what it buys is a codec browsers play in MP4 (`fLaC` sample
 * entry), which PCM (`ipcm`) is not, while staying lossless and bit-exact. Format: the FLAC specification
 * (RFC 9639), variable block-size frames (each frame says its first sample number), CRC-8 header and CRC-16
 * frame checksums.
 */

const CRC8 = new Uint8Array(256);
const CRC16 = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  let c8 = i;
  for (let b = 0; b < 8; b++) c8 = c8 & 0x80 ? ((c8 << 1) ^ 0x07) & 0xff : (c8 << 1) & 0xff;
  CRC8[i] = c8;
  let c16 = i << 8;
  for (let b = 0; b < 8; b++) c16 = c16 & 0x8000 ? ((c16 << 1) ^ 0x8005) & 0xffff : (c16 << 1) & 0xffff;
  CRC16[i] = c16;
}

function crc8(b: Uint8Array, end: number): number {
  let c = 0;
  for (let i = 0; i < end; i++) c = CRC8[c ^ (b[i] ?? 0)] ?? 0;
  return c;
}

function crc16(b: Uint8Array, end: number): number {
  let c = 0;
  for (let i = 0; i < end; i++) c = ((c << 8) & 0xffff) ^ (CRC16[(c >> 8) ^ (b[i] ?? 0)] ?? 0);
  return c;
}

/** FLAC's sample-rate codes for the rates the timeline offers. */
const RATE_CODE: Readonly<Record<number, number>> = { 8000: 0b0100, 16000: 0b0101, 24000: 0b0111, 48000: 0b1010 };

/** Largest block the encoder writes, in sample frames (FLAC allows 65535). */
export const FLAC_MAX_BLOCK = 65535;

/**
 * The decoder description MP4 and WebCodecs take for FLAC: `fLaC` and a last-block STREAMINFO (block sizes 16 to
 * `maxBlock`, frame sizes and total samples unknown, no MD5).
 */
export function flacDescription(sampleRate: number, channels: number, maxBlock: number): Uint8Array {
  const out = new Uint8Array(4 + 4 + 34);
  out.set([0x66, 0x4c, 0x61, 0x43], 0); // fLaC
  out.set([0x80, 0, 0, 34], 4); // last metadata block, type 0 (STREAMINFO), 34 bytes
  const v = new DataView(out.buffer, 8);
  v.setUint16(0, 16);
  v.setUint16(2, Math.min(FLAC_MAX_BLOCK, Math.max(16, maxBlock)));
  // bytes 4..9: min and max frame size, 0 = unknown
  // sample rate (20 bits), channels - 1 (3 bits), bits per sample - 1 (5 bits), total samples (36 bits) = 0
  v.setUint8(10, (sampleRate >> 12) & 0xff);
  v.setUint8(11, (sampleRate >> 4) & 0xff);
  v.setUint8(12, ((sampleRate & 0x0f) << 4) | (((channels - 1) & 0x07) << 1) | ((16 - 1) >> 4));
  v.setUint8(13, ((16 - 1) & 0x0f) << 4);
  return out;
}

/** FLAC's "UTF-8" coding of a sample number (up to 36 bits). */
function codedNumber(n: number): number[] {
  if (n < 0x80) return [n];
  const bytes: number[] = [];
  let v = n;
  let limit = 0x3f; // payload bits that fit in the first byte shrink as continuation bytes are added
  let count = 1;
  while (v > limit) {
    bytes.unshift(0x80 | (v & 0x3f));
    v = Math.floor(v / 64);
    count++;
    limit = 0x7f >> count;
  }
  const prefix = (0xff00 >> count) & 0xff;
  bytes.unshift(prefix | v);
  return bytes;
}

/**
 * One FLAC frame of interleaved little-endian 16-bit PCM (`pcm.byteLength / 2 / channels` sample frames, 1 to
 * {@link FLAC_MAX_BLOCK}), starting at sample `firstSample` of the stream, at 8, 16, 24 or 48 kHz (the rates the
 * timeline offers; FLAC codes each of them in the frame header).
 */
export function flacFrame(pcm: Uint8Array, sampleRate: number, channels: number, firstSample: number): Uint8Array {
  const n = Math.floor(pcm.byteLength / 2 / channels);
  const le = new DataView(pcm.buffer, pcm.byteOffset, pcm.byteLength);
  const header = [0xff, 0xf9, (0b0111 << 4) | (RATE_CODE[sampleRate] ?? 0), ((channels - 1) << 4) | (0b100 << 1), ...codedNumber(firstSample), ((n - 1) >> 8) & 0xff, (n - 1) & 0xff];
  const out = new Uint8Array(header.length + 1 + channels * (1 + n * 2) + 2);
  out.set(header, 0);
  let p = header.length;
  out[p] = crc8(out, p);
  p++;
  for (let c = 0; c < channels; c++) {
    const first = n > 0 ? le.getInt16(c * 2, true) : 0;
    let constant = true;
    for (let i = 1; i < n && constant; i++) constant = le.getInt16((i * channels + c) * 2, true) === first;
    if (constant) {
      out[p++] = 0x00; // CONSTANT subframe
      out[p++] = (first >> 8) & 0xff;
      out[p++] = first & 0xff;
    } else {
      out[p++] = 0x02; // VERBATIM subframe
      for (let i = 0; i < n; i++) {
        const s = le.getInt16((i * channels + c) * 2, true);
        out[p++] = (s >> 8) & 0xff;
        out[p++] = s & 0xff;
      }
    }
  }
  const crc = crc16(out, p);
  out[p++] = crc >> 8;
  out[p++] = crc & 0xff;
  return out.subarray(0, p);
}
