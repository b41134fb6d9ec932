/**
 * H.264 in Annex B, as RTMS sends it (video msg 15 and screen share msg 16 when fps > 5): each frame's `data` is
 * an access unit of NAL units behind start codes (`00 00 01` or `00 00 00 01`); SPS and PPS come in-band before
 * IDR pictures. Nothing here decodes pictures: it finds NAL units, splits a byte stream into access units, and
 * reads the picture size out of an SPS. Every function takes arbitrary bytes and never throws.
 *
 * Protocol confidence: that RTMS frames are Annex B comes from Zoom's samples detecting start codes (protocol
 * reference §7.4, marked inferred). A frame that holds no start code is treated as corrupt, never guessed at.
 */

/** NAL unit types used here (ITU-T H.264 Table 7-1). */
export const NAL_TYPE = {
  /** Coded slice of a non-IDR picture. */
  SLICE: 1,
  /** Coded slice of an IDR picture (a key frame). */
  IDR: 5,
  /** Supplemental enhancement information. */
  SEI: 6,
  /** Sequence parameter set. */
  SPS: 7,
  /** Picture parameter set. */
  PPS: 8,
  /** Access unit delimiter. */
  AUD: 9,
} as const;

/** One NAL unit found in an Annex B buffer. */
export interface NalUnit {
  /** `nal_unit_type` (the low 5 bits of the first byte). */
  readonly type: number;
  /** The NAL unit's bytes, header byte included, start code excluded (a view of the input, not a copy). */
  readonly data: Uint8Array;
  /** Offset of its start code in the input. */
  readonly startCodeOffset: number;
}

/** The picture size and profile read from an SPS. */
export interface SpsInfo {
  /** `profile_idc` (66 baseline, 77 main, 100 high, ...). */
  readonly profile: number;
  /** The constraint-flags byte. */
  readonly constraints: number;
  /** `level_idc` (30 = 3.0, 31 = 3.1, ...). */
  readonly level: number;
  /** Displayed width in pixels (after cropping). */
  readonly width: number;
  /** Displayed height in pixels (after cropping). */
  readonly height: number;
}

/** What an access unit holds, as far as recording needs to know. */
export interface AccessUnitInfo {
  /** Its NAL units, in order. */
  readonly nals: readonly NalUnit[];
  /** Holds an IDR slice: a key frame that decodes on its own (given SPS and PPS). */
  readonly idr: boolean;
  /** Holds at least one coded slice (IDR or not). */
  readonly hasSlice: boolean;
  /** The last SPS in it, when any. */
  readonly sps: Uint8Array | undefined;
  /** The last PPS in it, when any. */
  readonly pps: Uint8Array | undefined;
  /** The parsed SPS, when there is one and it parses. */
  readonly spsInfo: SpsInfo | undefined;
}

/** Where the next start code at or after `from` begins, and its length; undefined when there is none. */
function nextStartCode(b: Uint8Array, from: number): { at: number; len: number } | undefined {
  for (let i = from; i + 2 < b.length; i++) {
    if (b[i] !== 0 || b[i + 1] !== 0) continue;
    if (b[i + 2] === 1) {
      // 00 00 00 01 counts as a 4-byte code starting one byte earlier.
      return i > from && b[i - 1] === 0 ? { at: i - 1, len: 4 } : { at: i, len: 3 };
    }
  }
  return undefined;
}

/**
 * The NAL units of an Annex B buffer. Bytes before the first start code are ignored; trailing zero bytes of a
 * NAL unit (before the next start code) are trimmed. Empty NAL units are skipped. Never throws.
 */
export function splitNalUnits(data: Uint8Array): NalUnit[] {
  const out: NalUnit[] = [];
  let sc = nextStartCode(data, 0);
  while (sc !== undefined) {
    const begin = sc.at + sc.len;
    const next = nextStartCode(data, begin);
    let end = next === undefined ? data.length : next.at;
    while (end > begin && data[end - 1] === 0) end--;
    if (end > begin) {
      const first = data[begin] ?? 0;
      out.push({ type: first & 0x1f, data: data.subarray(begin, end), startCodeOffset: sc.at });
    }
    sc = next;
  }
  return out;
}

/** The NAL unit's payload with emulation-prevention bytes (`00 00 03`) removed, header byte excluded. */
function rbsp(nal: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.max(0, nal.length - 1));
  let n = 0;
  let zeros = 0;
  for (let i = 1; i < nal.length; i++) {
    const v = nal[i] ?? 0;
    if (zeros >= 2 && v === 3) {
      zeros = 0;
      continue;
    }
    out[n++] = v;
    zeros = v === 0 ? zeros + 1 : 0;
  }
  return out.subarray(0, n);
}

/** Thrown by the bit reader when it runs out of bits; caught by the parsers, never escapes. */
class OutOfBits extends Error {}

class BitReader {
  private pos = 0;
  constructor(private readonly b: Uint8Array) {}
  bit(): number {
    const byte = this.b[this.pos >> 3];
    if (byte === undefined) throw new OutOfBits();
    const v = (byte >> (7 - (this.pos & 7))) & 1;
    this.pos++;
    return v;
  }
  bits(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 2 + this.bit();
    return v;
  }
  /** Unsigned Exp-Golomb; more than 31 leading zeros is corrupt. */
  ue(): number {
    let zeros = 0;
    while (this.bit() === 0) {
      if (++zeros > 31) throw new OutOfBits();
    }
    return 2 ** zeros - 1 + this.bits(zeros);
  }
  se(): number {
    const k = this.ue();
    return k % 2 === 1 ? (k + 1) / 2 : -(k / 2);
  }
}

const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

function skipScalingList(r: BitReader, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) next = (last + r.se() + 256) % 256;
    last = next === 0 ? last : next;
  }
}

/**
 * Reads profile, level and displayed size from an SPS NAL unit (header byte included, start code excluded).
 * Returns undefined for anything that is not a well-formed SPS or gives an implausible size. Never throws.
 */
export function parseSps(nal: Uint8Array): SpsInfo | undefined {
  if (nal.length < 4 || ((nal[0] ?? 0) & 0x1f) !== NAL_TYPE.SPS) return undefined;
  try {
    const r = new BitReader(rbsp(nal));
    const profile = r.bits(8);
    const constraints = r.bits(8);
    const level = r.bits(8);
    r.ue(); // seq_parameter_set_id
    let chromaFormat = 1;
    let separateColourPlane = 0;
    if (HIGH_PROFILES.has(profile)) {
      chromaFormat = r.ue();
      if (chromaFormat > 3) return undefined;
      if (chromaFormat === 3) separateColourPlane = r.bit();
      r.ue(); // bit_depth_luma_minus8
      r.ue(); // bit_depth_chroma_minus8
      r.bit(); // qpprime_y_zero_transform_bypass_flag
      if (r.bit() === 1) {
        const lists = chromaFormat === 3 ? 12 : 8;
        for (let i = 0; i < lists; i++) if (r.bit() === 1) skipScalingList(r, i < 6 ? 16 : 64);
      }
    }
    r.ue(); // log2_max_frame_num_minus4
    const pocType = r.ue();
    if (pocType === 0) {
      r.ue();
    } else if (pocType === 1) {
      r.bit();
      r.se();
      r.se();
      const cycle = r.ue();
      if (cycle > 255) return undefined;
      for (let i = 0; i < cycle; i++) r.se();
    } else if (pocType !== 2) {
      return undefined;
    }
    r.ue(); // max_num_ref_frames
    r.bit(); // gaps_in_frame_num_value_allowed_flag
    const widthMbs = r.ue() + 1;
    const heightMapUnits = r.ue() + 1;
    const frameMbsOnly = r.bit();
    if (frameMbsOnly === 0) r.bit(); // mb_adaptive_frame_field_flag
    r.bit(); // direct_8x8_inference_flag
    let cropL = 0;
    let cropR = 0;
    let cropT = 0;
    let cropB = 0;
    if (r.bit() === 1) {
      cropL = r.ue();
      cropR = r.ue();
      cropT = r.ue();
      cropB = r.ue();
    }
    const chromaArray = separateColourPlane === 1 ? 0 : chromaFormat;
    const subW = chromaArray === 1 || chromaArray === 2 ? 2 : 1;
    const subH = chromaArray === 1 ? 2 : 1;
    const cropX = chromaArray === 0 ? 1 : subW;
    const cropY = (chromaArray === 0 ? 1 : subH) * (2 - frameMbsOnly);
    const width = widthMbs * 16 - cropX * (cropL + cropR);
    const height = (2 - frameMbsOnly) * heightMapUnits * 16 - cropY * (cropT + cropB);
    if (!(width > 0 && height > 0 && width <= 16384 && height <= 16384)) return undefined;
    return { profile, constraints, level, width, height };
  } catch {
    return undefined;
  }
}

/** The RFC 6381 codec string of an SPS (`avc1.PPCCLL`), as MP4 and browsers name H.264 streams. */
export function avcCodecString(sps: SpsInfo): string {
  const hex = (v: number): string => v.toString(16).toUpperCase().padStart(2, '0');
  return `avc1.${hex(sps.profile)}${hex(sps.constraints)}${hex(sps.level)}`;
}

/** What an access unit holds (see {@link AccessUnitInfo}). Never throws. */
export function inspectAccessUnit(data: Uint8Array): AccessUnitInfo {
  const nals = splitNalUnits(data);
  let idr = false;
  let hasSlice = false;
  let sps: Uint8Array | undefined;
  let pps: Uint8Array | undefined;
  for (const n of nals) {
    if (n.type === NAL_TYPE.IDR) idr = true;
    if (n.type === NAL_TYPE.IDR || n.type === NAL_TYPE.SLICE) hasSlice = true;
    if (n.type === NAL_TYPE.SPS) sps = n.data;
    if (n.type === NAL_TYPE.PPS) pps = n.data;
  }
  return { nals, idr, hasSlice, sps, pps, spsInfo: sps === undefined ? undefined : parseSps(sps) };
}

/** `first_mb_in_slice` of a slice NAL is 0 (it begins a new picture): the first bit of ue(v) 0 is a 1. */
function firstSliceOfPicture(nal: Uint8Array): boolean {
  const b = nal[1];
  return b !== undefined && (b & 0x80) !== 0;
}

/**
 * Splits an Annex B byte stream (a `.h264` file, or several frames glued together) into access units, each a
 * view of the input starting at its first NAL unit's start code. A new access unit starts at an access unit
 * delimiter, or at an SPS, PPS or SEI, or a slice with `first_mb_in_slice` 0, that follows a slice (ITU-T H.264
 * 7.4.1.2.3, simplified for streams without redundant pictures). Never throws; returns `[]` when there is no
 * start code.
 */
export function splitAccessUnits(stream: Uint8Array): Uint8Array[] {
  const nals = splitNalUnits(stream);
  const out: Uint8Array[] = [];
  let start: number | undefined;
  let sawSlice = false;
  for (const n of nals) {
    const slice = n.type === NAL_TYPE.SLICE || n.type === NAL_TYPE.IDR;
    const boundary =
      n.type === NAL_TYPE.AUD ||
      (sawSlice && (n.type === NAL_TYPE.SPS || n.type === NAL_TYPE.PPS || n.type === NAL_TYPE.SEI || (slice && firstSliceOfPicture(n.data))));
    if (boundary && start !== undefined && (sawSlice || n.type === NAL_TYPE.AUD)) {
      if (n.startCodeOffset > start) out.push(stream.subarray(start, n.startCodeOffset));
      start = undefined;
      sawSlice = false;
    }
    start ??= n.startCodeOffset;
    if (slice) sawSlice = true;
  }
  if (start !== undefined) out.push(stream.subarray(start));
  return out;
}
