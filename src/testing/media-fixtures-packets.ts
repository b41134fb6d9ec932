/**
 * The simulator's real media: the committed fixtures (embedded in media-fixtures.ts) cut into the packets and
 * frames a stream sends, in the codec its handshake settled.
 *
 * - Speech: one recorded sentence ({@link SPEECH_TEXT}), exactly {@link SENTENCE_MS} long, looped without a gap.
 *   L16 at 8 or 16 kHz is the fixture's own PCM; at 32 or 48 kHz it is the 16 kHz PCM interpolated (windowed
 *   sinc), so it holds nothing above 8 kHz; stereo repeats it in both channels. G.711 is the 8 kHz PCM through
 *   nearest-level A-law, ffmpeg's pcm_alaw rule (the fixture's bytes exactly; g711-encode.ts). G.722 is the fixture's bitstream, cut into
 *   `send_rate` slices. Opus is the fixture's first 50 packets (1 s of 20 ms packets; the 51st holds only the
 *   encoder's padding), read out of the Ogg file; a stereo decoder decodes these mono packets as two equal
 *   channels.
 * - Video: the H.264 Annex B streams cut into access units (one frame each, SPS/PPS before every IDR), sent in
 *   order (on the negotiated fps grid: the fixtures were made at 15 fps) and looped every 30 frames; or, for JPG
 *   and PNG, whole still images, one per frame, in turn (5 JPEG pictures, 3 PNG pictures; video and share alike).
 *
 * Pure functions of the packet's place in the stream: nothing here opens a socket or starts a timer.
 */
import { encodeAlaw } from './g711-encode.js';
import {
  IMAGE_JPG_1,
  IMAGE_JPG_2,
  IMAGE_JPG_3,
  IMAGE_JPG_4,
  IMAGE_JPG_5,
  IMAGE_PNG_1,
  IMAGE_PNG_2,
  IMAGE_PNG_3,
  SHARE_H264,
  SPEECH_G722,
  SPEECH_L16_16K,
  SPEECH_L16_8K,
  SPEECH_OPUS_OGG,
  SPEECH_TEXT,
  VIDEO_H264,
} from './media-fixtures.js';
import type { AppliedAudio } from './sim-conn.js';

export { SPEECH_TEXT };

/** @internal Length of the recorded sentence, ms: the loop's period. */
export const SENTENCE_MS = 1000;

/** @internal Frames per second of the H.264 fixtures. */
export const VIDEO_FPS = 15;

/** @internal Duration of one Opus packet of the fixture, ms. */
export const OPUS_PACKET_MS = 20;

const cache = new Map<string, unknown>();
function once<T>(key: string, make: () => T): T {
  if (cache.has(key)) return cache.get(key) as T;
  const v = make();
  cache.set(key, v);
  return v;
}

function int16(buf: Buffer): Int16Array {
  const out = new Int16Array(buf.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = buf.readInt16LE(i * 2);
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Containers: Ogg pages (RFC 3533) and H.264 Annex B
// ---------------------------------------------------------------------------------------------------------

/** @internal The packets of an Ogg stream, or why it could not be read. */
export type OggRead = { readonly packets: Uint8Array[]; readonly complete: boolean } | { readonly error: string };

/**
 * @internal Reads the packets out of Ogg pages (RFC 3533): each page is `OggS`, version 0, a header of 27 bytes,
 * a segment table, then the segments; a packet ends at a segment shorter than 255 bytes and may span pages.
 * Stops at the first byte that is not a page (an error when no page was read); `complete` is false when the
 * data ends inside a page or inside a packet. Never throws.
 */
export function readOgg(data: Uint8Array): OggRead {
  const packets: Uint8Array[] = [];
  let partial: Uint8Array[] = [];
  let pos = 0;
  let pages = 0;
  while (pos + 27 <= data.length) {
    if (data[pos] !== 0x4f || data[pos + 1] !== 0x67 || data[pos + 2] !== 0x67 || data[pos + 3] !== 0x53) break;
    if (data[pos + 4] !== 0) return { error: `Ogg page ${pages}: version ${String(data[pos + 4])}` };
    const segments = data[pos + 26] ?? 0;
    let body = pos + 27 + segments;
    if (body > data.length) return { packets, complete: false };
    for (let s = 0; s < segments; s++) {
      const len = data[pos + 27 + s] ?? 0;
      if (body + len > data.length) return { packets, complete: false };
      partial.push(data.subarray(body, body + len));
      body += len;
      if (len < 255) {
        packets.push(concat(partial));
        partial = [];
      }
    }
    pos = body;
    pages++;
  }
  if (pages === 0) return { error: 'not an Ogg stream (no OggS page)' };
  return { packets, complete: pos === data.length && partial.length === 0 };
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return Uint8Array.from(parts[0]!);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** @internal Where each NAL unit of an Annex B stream starts (after its start code), and its type. */
function nalUnits(data: Uint8Array): { start: number; type: number }[] {
  const out: { start: number; type: number }[] = [];
  for (let i = 0; i + 2 < data.length; i++) {
    if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) {
      const start = i + 3;
      if (start < data.length) out.push({ start, type: (data[start] ?? 0) & 0x1f });
      i += 2;
    }
  }
  return out;
}

/**
 * @internal Cuts an H.264 Annex B stream into access units (one picture each, with the parameter sets and SEI
 * before it), as RTMS sends a frame: a new unit starts at an access unit delimiter, SPS, PPS or SEI after a
 * picture, or at a slice whose `first_mb_in_slice` is 0 after a picture. Leading bytes before the first start
 * code stay with the first unit; the units joined give the input back. Never throws.
 */
export function h264AccessUnits(data: Uint8Array): Uint8Array[] {
  const nals = nalUnits(data);
  const cuts: number[] = [0];
  let sawPicture = false;
  for (const n of nals) {
    const vcl = n.type >= 1 && n.type <= 5;
    // A slice header starts with first_mb_in_slice, ue(v): a first bit of 1 codes 0 (a new picture).
    const firstSlice = vcl && ((data[n.start + 1] ?? 0) & 0x80) !== 0;
    const prefix = n.type === 6 || n.type === 7 || n.type === 8 || n.type === 9;
    if (sawPicture && (prefix || firstSlice)) {
      // The start code may be 3 or 4 bytes: cut before its zeros.
      let cut = n.start - 3;
      if (cut > 0 && data[cut - 1] === 0) cut--;
      cuts.push(cut);
      sawPicture = false;
    }
    if (vcl) sawPicture = true;
  }
  const units: Uint8Array[] = [];
  for (let i = 0; i < cuts.length; i++) {
    const from = cuts[i]!;
    const to = cuts[i + 1] ?? data.length;
    if (to > from) units.push(data.subarray(from, to));
  }
  return units;
}

/** @internal True when the access unit holds an IDR slice (a frame a decoder can start at). */
export function isKeyFrame(unit: Uint8Array): boolean {
  return nalUnits(unit).some((n) => n.type === 5);
}

// ---------------------------------------------------------------------------------------------------------
// The fixtures, decoded once on first use
// ---------------------------------------------------------------------------------------------------------

/** @internal The sentence as 16-bit mono PCM at `rate` (8 and 16 kHz: the fixtures; other rates: from 16 kHz). */
export function speechPcm(rate: number): Int16Array {
  return once(`pcm${rate}`, () => {
    if (rate === 16000) return int16(Buffer.from(SPEECH_L16_16K, 'base64'));
    if (rate === 8000) return int16(Buffer.from(SPEECH_L16_8K, 'base64'));
    return interpolate(speechPcm(16000), 16000, rate);
  });
}

/**
 * Band-limited interpolation of a loop (it wraps around) from `from` Hz to `to` Hz: a Blackman-windowed sinc,
 * 16 input samples each side, cut off a little under the input's Nyquist frequency.
 */
function interpolate(x: Int16Array, from: number, to: number): Int16Array {
  const n = Math.round((x.length * to) / from);
  const out = new Int16Array(n);
  const half = 16;
  const fc = 0.95; // of the input's Nyquist
  for (let i = 0; i < n; i++) {
    const t = (i * from) / to;
    const k0 = Math.floor(t);
    let acc = 0;
    for (let k = k0 - half + 1; k <= k0 + half; k++) {
      const d = t - k;
      const w = 0.42 + 0.5 * Math.cos((Math.PI * d) / half) + 0.08 * Math.cos((2 * Math.PI * d) / half);
      const s = d === 0 ? fc : Math.sin(Math.PI * fc * d) / (Math.PI * d);
      acc += (x[((k % x.length) + x.length) % x.length] ?? 0) * s * w;
    }
    out[i] = Math.max(-32768, Math.min(32767, Math.round(acc)));
  }
  return out;
}

/** @internal The sentence in G.711 A-law, 8 kHz (8 000 bytes). */
export function speechAlaw(): Uint8Array {
  return once('alaw', () => encodeAlaw(speechPcm(8000))); // speech.alaw byte for byte (test/unit/media-embed.test.ts)
}

/** @internal The sentence in G.722 (64 kbit/s, 8 000 bytes). */
export function speechG722(): Uint8Array {
  return once('g722', () => new Uint8Array(Buffer.from(SPEECH_G722, 'base64')));
}

/** @internal The sentence's 50 Opus packets (20 ms each, 48 kHz mono), and the stream's pre-skip in 48 kHz samples. */
export function speechOpus(): { readonly packets: readonly Uint8Array[]; readonly preSkip: number } {
  return once('opus', () => {
    const read = readOgg(new Uint8Array(Buffer.from(SPEECH_OPUS_OGG, 'base64')));
    if ('error' in read) throw new Error(`embedded Opus fixture: ${read.error}`);
    const head = read.packets[0] ?? new Uint8Array(0);
    const preSkip = (head[10] ?? 0) | ((head[11] ?? 0) << 8); // OpusHead (RFC 7845 §5.1)
    // Packets 0 and 1 are OpusHead and OpusTags; then 1 s of audio in 50 packets (the 51st: padding).
    return { packets: read.packets.slice(2, 2 + SENTENCE_MS / OPUS_PACKET_MS), preSkip };
  });
}

/** @internal The access units of the active-speaker video (`video`) or the screen share (`share`). */
export function videoFrames(kind: 'video' | 'share'): readonly Uint8Array[] {
  return once(`h264-${kind}`, () => h264AccessUnits(new Uint8Array(Buffer.from(kind === 'video' ? VIDEO_H264 : SHARE_H264, 'base64'))));
}

/**
 * @internal The still images sent, one whole image per MEDIA_DATA_VIDEO or MEDIA_DATA_SHARE frame, when JPG (5
 * JPEG pictures of a moving test pattern) or PNG (3 PNG pictures of colour bars with a moving square) was
 * negotiated; video and share send the same pictures. All 320x180.
 */
export function stillImages(codec: 'JPG' | 'PNG'): readonly Uint8Array[] {
  return once(`images-${codec}`, () =>
    (codec === 'JPG' ? [IMAGE_JPG_1, IMAGE_JPG_2, IMAGE_JPG_3, IMAGE_JPG_4, IMAGE_JPG_5] : [IMAGE_PNG_1, IMAGE_PNG_2, IMAGE_PNG_3]).map(
      (b64) => new Uint8Array(Buffer.from(b64, 'base64')),
    ),
  );
}

/**
 * @internal Where the sentence's voice starts and ends, ms into it (samples above 1% of full scale): a
 * transcript line's `start_time` and `end_time`.
 */
export function voicedSpanMs(): { readonly startMs: number; readonly endMs: number } {
  return once('span', () => {
    const pcm = speechPcm(16000);
    let first = -1;
    let last = -1;
    for (let i = 0; i < pcm.length; i++) {
      if (Math.abs(pcm[i] ?? 0) > 327) {
        if (first < 0) first = i;
        last = i;
      }
    }
    return first < 0 ? { startMs: 0, endMs: SENTENCE_MS } : { startMs: Math.floor(first / 16), endMs: Math.ceil((last + 1) / 16) };
  });
}

// ---------------------------------------------------------------------------------------------------------
// Packets
// ---------------------------------------------------------------------------------------------------------

/** Bytes of one ms of `format`'s constant-rate audio. */
function bytesPerMs(format: AppliedAudio): number {
  if (format.codec === 'G711' || format.codec === 'G722') return 8;
  return (format.sampleRate / 1000) * format.channels * 2;
}

/**
 * @internal The speech packet of `format` that starts `offsetMs` into the stream (the loop has no gap, so
 * consecutive packets join up) and lasts `ms`: a slice of the looped sentence for L16, G.711 and G.722, the
 * Opus packet at that place for Opus (one per 20 ms; `ms` is ignored). `offsetMs` is a whole number of ms.
 */
export function speechPacket(format: AppliedAudio, offsetMs: number, ms: number): Uint8Array {
  const at = ((offsetMs % SENTENCE_MS) + SENTENCE_MS) % SENTENCE_MS;
  if (format.codec === 'OPUS') {
    const { packets } = speechOpus();
    return packets[Math.floor(at / OPUS_PACKET_MS) % packets.length] ?? new Uint8Array(0);
  }
  const loop = speechLoop(format);
  const per = bytesPerMs(format);
  const out = new Uint8Array(ms * per);
  let o = 0;
  let from = at * per;
  while (o < out.length) {
    const n = Math.min(out.length - o, loop.length - from);
    out.set(loop.subarray(from, from + n), o);
    o += n;
    from = 0;
  }
  return out;
}

/** The sentence's bytes in a constant-rate format (L16 at its rate and channels, A-law or G.722). */
function speechLoop(format: AppliedAudio): Uint8Array {
  if (format.codec === 'G711') return speechAlaw();
  if (format.codec === 'G722') return speechG722();
  return once(`l16-${format.sampleRate}-${format.channels}`, () => {
    const pcm = speechPcm(format.sampleRate);
    const out = Buffer.alloc(pcm.length * format.channels * 2);
    for (let i = 0; i < pcm.length; i++) for (let c = 0; c < format.channels; c++) out.writeInt16LE(pcm[i] ?? 0, (i * format.channels + c) * 2);
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  });
}
