/**
 * Sample-rate conversion by a polyphase windowed-sinc FIR (Kaiser window, β = 8.6), for the rational ratios
 * between the RTMS rates (8, 16, 32, 48 kHz) and the output rates (8, 16, 24, 48 kHz).
 *
 * Design: the prototype low-pass runs at `in × L` (L/M the reduced ratio), cut off at 0.45 × the lower of the
 * two rates, with a transition band of 0.1 × that rate and about 85 dB of stop-band attenuation; the filter is
 * linear-phase, so every frequency is delayed alike, and that delay is compensated: output sample `j` is the
 * signal at time `j / outRate`, exactly, and `n` input samples give `ceil(n × L / M)` output samples once
 * flushed. Pass band (to 0.4 × the lower rate) ripple is under 0.01 dB; test/unit/media-resample.test.ts measures
 * a sine's SNR through it and the rejection of a tone above the output's Nyquist frequency.
 */
import { RtmsError } from '../errors.js';

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Zeroth-order modified Bessel function of the first kind (series), for the Kaiser window. */
function bessel0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 50; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-12) break;
  }
  return sum;
}

const BETA = 8.6;
const ATTENUATION_DB = 85;

/** A streaming resampler for one mono channel of samples. */
export class Resampler {
  /** Input rate, Hz. */
  readonly inRate: number;
  /** Output rate, Hz. */
  readonly outRate: number;
  private readonly up: number;
  private readonly down: number;
  /** Polyphase taps: phase p holds h[p], h[p+L], h[p+2L], ... (scaled by L). */
  private readonly phases: Float64Array[];
  private readonly taps: number;
  private readonly delay: number;
  /** Input history: `hist[0]` is input sample number `histStart`. */
  private hist = new Float64Array(0);
  private histLen = 0;
  private histStart = 0;
  private inCount = 0;
  private outCount = 0;

  /**
   * Designs the filter for `inRate` → `outRate`.
   *
   * @param inRate - input rate in Hz (a positive integer).
   * @param outRate - output rate in Hz (a positive integer).
   * @throws `RtmsError` (from `rtms-client`) `RTMS_INVALID_OPTIONS` for a rate that is not a positive integer, or a
   * ratio whose reduced terms exceed 64.
   */
  constructor(inRate: number, outRate: number) {
    if (!Number.isInteger(inRate) || !Number.isInteger(outRate) || inRate <= 0 || outRate <= 0) {
      throw new RtmsError('RTMS_INVALID_OPTIONS', 'sample rates must be positive integers');
    }
    this.inRate = inRate;
    this.outRate = outRate;
    const g = gcd(inRate, outRate);
    this.up = outRate / g;
    this.down = inRate / g;
    if (this.up > 64 || this.down > 64) throw new RtmsError('RTMS_INVALID_OPTIONS', `unsupported resampling ratio ${inRate} → ${outRate}`);
    const L = this.up;
    const fs = inRate * L;
    const lower = Math.min(inRate, outRate);
    const fc = (0.45 * lower) / fs; // cycles per sample at the upsampled rate
    const dw = (2 * Math.PI * 0.1 * lower) / fs;
    let n = Math.ceil((ATTENUATION_DB - 8) / (2.285 * dw)) + 1;
    if (n % 2 === 0) n++; // odd length: the delay (n - 1) / 2 is a whole number of samples
    const h = new Float64Array(n);
    const mid = (n - 1) / 2;
    const i0 = bessel0(BETA);
    for (let i = 0; i < n; i++) {
      const t = i - mid;
      const sinc = t === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * t) / (Math.PI * t);
      const r = (2 * i) / (n - 1) - 1;
      h[i] = sinc * (bessel0(BETA * Math.sqrt(Math.max(0, 1 - r * r))) / i0) * L;
    }
    this.taps = Math.ceil(n / L);
    this.phases = [];
    for (let p = 0; p < L; p++) {
      const ph = new Float64Array(this.taps);
      for (let k = 0; k < this.taps; k++) ph[k] = h[p + k * L] ?? 0;
      this.phases.push(ph);
    }
    this.delay = mid;
  }

  /**
   * Puts this (new) resampler at the same point of the stream as `other`, as if it had been fed silence until
   * now: both then produce the same number of samples for the same input, so tracks that start late stay
   * sample-aligned with the others.
   */
  alignWith(other: Resampler): void {
    this.inCount = other.inCount;
    this.outCount = other.outCount;
    this.histStart = other.inCount;
    this.histLen = 0;
  }

  /** True when input and output rates are equal (samples pass through unchanged). */
  get identity(): boolean {
    return this.up === 1 && this.down === 1;
  }

  /** Output samples for `input` (mono). Keeps a short history; call {@link flush} at the end of the stream. */
  process(input: Int16Array | Float32Array): Float32Array {
    if (this.identity) {
      this.inCount += input.length;
      this.outCount += input.length;
      return Float32Array.from(input);
    }
    this.append(input);
    return this.produce(false);
  }

  /** The last output samples, as if the input were followed by silence; the resampler then starts afresh. */
  flush(): Float32Array {
    if (this.identity) {
      this.inCount = this.outCount = 0;
      return new Float32Array(0);
    }
    const out = this.produce(true);
    this.hist = new Float64Array(0);
    this.histLen = this.histStart = this.inCount = this.outCount = 0;
    return out;
  }

  private append(input: Int16Array | Float32Array): void {
    // Drop history no output can reach any more (older than the next output's first tap).
    const needFrom = Math.floor((this.outCount * this.down + this.delay) / this.up) - this.taps;
    const drop = Math.max(0, Math.min(this.histLen, needFrom - this.histStart));
    if (drop > 0) {
      this.hist.copyWithin(0, drop, this.histLen);
      this.histLen -= drop;
      this.histStart += drop;
    }
    if (this.histLen + input.length > this.hist.length) {
      const grown = new Float64Array(Math.max(this.histLen + input.length, this.hist.length * 2, 256));
      grown.set(this.hist.subarray(0, this.histLen));
      this.hist = grown;
    }
    for (let i = 0; i < input.length; i++) this.hist[this.histLen + i] = input[i] as number;
    this.histLen += input.length;
    this.inCount += input.length;
  }

  private produce(final: boolean): Float32Array {
    const L = this.up;
    const M = this.down;
    const taps = this.taps;
    const hist = this.hist;
    // Outputs whose newest tap is an input already seen (or, when final, every output the input accounts for).
    const limit = final ? Math.ceil((this.inCount * L) / M) : Math.ceil((this.inCount * L - this.delay) / M);
    const count = Math.max(0, limit - this.outCount);
    const out = new Float32Array(count);
    for (let o = 0; o < count; o++) {
      const j = this.outCount + o;
      const t = j * M + this.delay;
      const phase = t % L;
      const base = (t - phase) / L;
      const coeffs = this.phases[phase] as Float64Array;
      const top = base - this.histStart; // index in hist of tap 0
      let acc = 0;
      if (top < this.histLen && top - taps + 1 >= 0) {
        for (let k = 0; k < taps; k++) acc += (coeffs[k] as number) * (hist[top - k] as number);
      } else {
        for (let k = 0; k < taps; k++) {
          const idx = top - k;
          if (idx < 0) break;
          if (idx < this.histLen) acc += (coeffs[k] as number) * (hist[idx] as number);
        }
      }
      out[o] = acc;
    }
    this.outCount += count;
    return out;
  }
}
