/**
 * ITU-T G.722 decoding, mode 1 (64 kbit/s: one byte per pair of 16 kHz samples, 6 bits low band, 2 bits high
 * band), in integer arithmetic that follows the standard's blocks (INVQAL/INVQBL, LOGSCL, SCALEL, the adaptive
 * predictor of block 4 and the receive QMF). Bit-exact with ffmpeg's decoder on the committed fixtures
 * (test/unit/media-g722.test.ts). No npm package offers a maintained G.722 decoder, so it lives here.
 */

const WL = [-60, -30, 58, 172, 334, 538, 1198, 3042] as const;
const RL42 = [0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0] as const;
const ILB = [
  2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834, 2896, 2960, 3025, 3091,
  3158, 3228, 3298, 3371, 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008,
] as const;
const WH = [0, -214, 798] as const;
const RH2 = [2, 1, 2, 1] as const;
const QM2 = [-7408, -1616, 7408, 1616] as const;
const QM4 = [0, -20456, -12896, -8968, -6288, -4240, -2584, -1200, 20456, 12896, 8968, 6288, 4240, 2584, 1200, 0] as const;
const QM6 = [
  -136, -136, -136, -136, -24808, -21904, -19008, -16704, -14984, -13512, -12280, -11192, -10232, -9360, -8576, -7856,
  -7192, -6576, -6000, -5456, -4944, -4464, -4008, -3576, -3168, -2776, -2400, -2032, -1688, -1360, -1040, -728, 24808,
  21904, 19008, 16704, 14984, 13512, 12280, 11192, 10232, 9360, 8576, 7856, 7192, 6576, 6000, 5456, 4944, 4464, 4008,
  3576, 3168, 2776, 2400, 2032, 1688, 1360, 1040, 728, 432, 136, -432, -136,
] as const;
const QMF = [3, -11, 12, 32, -210, 951, 3876, -805, 362, -156, 53, -11] as const;

function sat(v: number): number {
  return v > 32767 ? 32767 : v < -32768 ? -32768 : v;
}

/** The adaptive predictor state of one sub-band (block 4 of the standard). */
class Band {
  s = 0;
  sp = 0;
  sz = 0;
  nb = 0;
  det: number;
  readonly r = new Int32Array(3);
  readonly a = new Int32Array(3);
  readonly ap = new Int32Array(3);
  readonly p = new Int32Array(3);
  readonly d = new Int32Array(7);
  readonly b = new Int32Array(7);
  readonly bp = new Int32Array(7);
  readonly sg = new Int32Array(7);

  constructor(det: number) {
    this.det = det;
  }

  /** Block 4: reconstruct, adapt the pole and zero predictors, predict the next value. */
  update(dq: number): void {
    const { r, a, ap, p, d, b, bp, sg } = this;
    d[0] = dq;
    r[0] = sat(this.s + dq);
    p[0] = sat(this.sz + dq);
    // UPPOL2
    for (let i = 0; i < 3; i++) sg[i] = (p[i] as number) >> 15;
    const wa1 = sat((a[1] as number) << 2);
    let wd2 = sg[0] === sg[1] ? -wa1 : wa1;
    if (wd2 > 32767) wd2 = 32767;
    let wd3 = (sg[0] === sg[2] ? 128 : -128) + (wd2 >> 7) + (((a[2] as number) * 32512) >> 15);
    wd3 = wd3 > 12288 ? 12288 : wd3 < -12288 ? -12288 : wd3;
    ap[2] = wd3;
    // UPPOL1
    sg[0] = (p[0] as number) >> 15;
    sg[1] = (p[1] as number) >> 15;
    ap[1] = sat((sg[0] === sg[1] ? 192 : -192) + (((a[1] as number) * 32640) >> 15));
    const lim = sat(15360 - (ap[2] as number));
    if ((ap[1] as number) > lim) ap[1] = lim;
    else if ((ap[1] as number) < -lim) ap[1] = -lim;
    // UPZERO
    const step = dq === 0 ? 0 : 128;
    sg[0] = dq >> 15;
    for (let i = 1; i < 7; i++) {
      sg[i] = (d[i] as number) >> 15;
      bp[i] = sat((sg[i] === sg[0] ? step : -step) + (((b[i] as number) * 32640) >> 15));
    }
    // DELAYA
    for (let i = 6; i > 0; i--) {
      d[i] = d[i - 1] as number;
      b[i] = bp[i] as number;
    }
    for (let i = 2; i > 0; i--) {
      r[i] = r[i - 1] as number;
      p[i] = p[i - 1] as number;
      a[i] = ap[i] as number;
    }
    // FILTEP, FILTEZ, PREDIC
    const w1 = ((a[1] as number) * sat((r[1] as number) * 2)) >> 15;
    const w2 = ((a[2] as number) * sat((r[2] as number) * 2)) >> 15;
    this.sp = sat(w1 + w2);
    let sz = 0;
    for (let i = 6; i > 0; i--) sz += ((b[i] as number) * sat((d[i] as number) * 2)) >> 15;
    this.sz = sat(sz);
    this.s = sat(this.sp + this.sz);
  }
}

/** A stateful G.722 (64 kbit/s) decoder: one instance per stream, fed its packets in order. */
export class G722Decoder {
  private low = new Band(32);
  private high = new Band(8);
  private readonly x = new Int32Array(24);

  /** Decodes `data` (one byte per two output samples) to 16 kHz 16-bit PCM. */
  decode(data: Uint8Array): Int16Array {
    const out = new Int16Array(data.length * 2);
    const low = this.low;
    const high = this.high;
    const x = this.x;
    let o = 0;
    for (let j = 0; j < data.length; j++) {
      const code = data[j] as number;
      const ilow = code & 0x3f;
      const ihigh = (code >> 6) & 0x03;
      // Low band: INVQBL, RECONS, LIMIT.
      let rlow = low.s + ((low.det * (QM6[ilow] as number)) >> 15);
      rlow = rlow > 16383 ? 16383 : rlow < -16384 ? -16384 : rlow;
      // INVQAL (4-bit truncated code drives the adaptation), LOGSCL, SCALEL.
      const ilow4 = ilow >> 2;
      const dlow = (low.det * (QM4[ilow4] as number)) >> 15;
      let nb = ((low.nb * 127) >> 7) + (WL[RL42[ilow4] as number] as number);
      low.nb = nb < 0 ? 0 : nb > 18432 ? 18432 : nb;
      let shift = 8 - (low.nb >> 11);
      let ilb = ILB[(low.nb >> 6) & 31] as number;
      low.det = (shift < 0 ? ilb << -shift : ilb >> shift) << 2;
      low.update(dlow);
      // High band: INVQAH, RECONS, LIMIT, LOGSCH, SCALEH.
      const dhigh = (high.det * (QM2[ihigh] as number)) >> 15;
      let rhigh = dhigh + high.s;
      rhigh = rhigh > 16383 ? 16383 : rhigh < -16384 ? -16384 : rhigh;
      nb = ((high.nb * 127) >> 7) + (WH[RH2[ihigh] as number] as number);
      high.nb = nb < 0 ? 0 : nb > 22528 ? 22528 : nb;
      shift = 10 - (high.nb >> 11);
      ilb = ILB[(high.nb >> 6) & 31] as number;
      high.det = (shift < 0 ? ilb << -shift : ilb >> shift) << 2;
      high.update(dhigh);
      // Receive QMF: two output samples per code.
      x.copyWithin(0, 2);
      x[22] = rlow + rhigh;
      x[23] = rlow - rhigh;
      let xout1 = 0;
      let xout2 = 0;
      for (let i = 0; i < 12; i++) {
        xout2 += (x[2 * i] as number) * (QMF[i] as number);
        xout1 += (x[2 * i + 1] as number) * (QMF[11 - i] as number);
      }
      out[o++] = sat(xout1 >> 11);
      out[o++] = sat(xout2 >> 11);
    }
    return out;
  }

  /** Forgets all state, as if new. */
  reset(): void {
    this.low = new Band(32);
    this.high = new Band(8);
    this.x.fill(0);
  }
}
