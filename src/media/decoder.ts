/**
 * Audio decoders: every codec RTMS offers, to interleaved 16-bit PCM. One decoder per stream (G.722 and Opus
 * keep state between packets). A packet that cannot be decoded becomes one frame of silence and a counted error,
 * so a corrupt packet never ends the stream and never shifts later audio in time.
 */
import type { AudioFormat } from '../events.js';
import { RtmsError } from '../errors.js';
import { decodeAlaw, decodeUlaw } from './g711.js';
import { G722Decoder } from './g722.js';
import { parseRtp, type RtpError } from './rtp.js';

/** Why a packet was replaced by silence. */
export type DecodeErrorReason = RtpError | 'odd-length' | 'empty' | 'opus';

/** A packet the decoder could not decode (it produced a frame of silence instead). */
export interface DecodeErrorInfo {
  /** What was wrong. */
  readonly reason: DecodeErrorReason;
  /** The packet's length in bytes. */
  readonly byteLength: number;
  /** Running count of errors of this decoder, this one included. */
  readonly errors: number;
}

/** Options of {@link createAudioDecoder}. */
export interface AudioDecoderOptions {
  /**
   * Which G.711 law codec `G711` is. RTMS sends A-law (PCMA), the default; `ulaw` decodes µ-law (PCMU) for other
   * sources.
   */
  g711?: 'alaw' | 'ulaw';
  /** Called after each packet replaced by silence. A listener that throws is ignored. */
  onError?: (info: DecodeErrorInfo) => void;
}

/** A stateful decoder for one audio stream. */
export interface AudioDecoder {
  /** The input format it decodes. */
  readonly format: AudioFormat;
  /** Output sample rate, Hz (the format's rate; 16000 for G.722, 8000 for G.711). */
  readonly sampleRate: number;
  /** Output channels (interleaved). */
  readonly channels: number;
  /** Packets decoded so far, good or not. */
  readonly packets: number;
  /** Packets replaced by silence so far. */
  readonly errors: number;
  /**
   * Decodes one packet (an RTP packet when the format's `contentType` is `rtp`) to interleaved 16-bit PCM.
   * Never throws: a corrupt packet yields one frame of silence (`sendRate` ms) and counts an error.
   */
  decode(packet: Uint8Array): Int16Array;
  /** Releases the decoder (the WebAssembly memory of Opus). Idempotent; `decode` then returns silence. */
  close(): void;
}

/** The subset of `opus-decoder`'s API used here, so the optional peer dependency's types are not needed. */
interface OpusWasmDecoder {
  ready: Promise<void>;
  free(): void;
  decodeFrame(frame: Uint8Array): { channelData: Float32Array[]; samplesDecoded: number; errors: unknown[] };
}
interface OpusModule {
  OpusDecoder: new (options: { sampleRate: number; channels: number }) => OpusWasmDecoder;
}

let opusModule: Promise<OpusModule> | undefined;

/**
 * Loads the optional peer dependency `opus-decoder` (libopus compiled to WebAssembly, MIT, no native addon, runs
 * on Node 20). It earns its place because Opus cannot reasonably be decoded in plain TypeScript (SILK + CELT +
 * range coder, tens of thousands of lines of reference C), it is the maintained WASM build of the reference
 * libopus, and it is loaded only when an Opus stream is decoded, so users of other codecs never install it.
 */
function loadOpus(): Promise<OpusModule> {
  opusModule ??= (import('opus-decoder') as Promise<unknown>).then(
    (m) => {
      const mod = m as Partial<OpusModule> & { default?: Partial<OpusModule> };
      const ctor = mod.OpusDecoder ?? mod.default?.OpusDecoder;
      if (typeof ctor !== 'function') throw new Error('opus-decoder exports no OpusDecoder');
      return { OpusDecoder: ctor };
    },
    (cause: unknown) => {
      opusModule = undefined;
      throw new RtmsError('RTMS_INVALID_OPTIONS', 'Opus audio needs the optional peer dependency opus-decoder: npm install opus-decoder', { cause });
    },
  );
  return opusModule;
}

function samplesPerFrame(format: AudioFormat, rate: number): number {
  const ms = Number.isFinite(format.sendRate) && format.sendRate > 0 ? format.sendRate : 20;
  return Math.round((rate * ms) / 1000) * Math.max(1, format.channels);
}

function toInt16(channelData: Float32Array[], samples: number, channels: number): Int16Array {
  const out = new Int16Array(samples * channels);
  for (let c = 0; c < channels; c++) {
    const src = channelData[Math.min(c, channelData.length - 1)];
    if (src === undefined) continue;
    for (let i = 0; i < samples; i++) {
      const v = Math.round((src[i] ?? 0) * 32768);
      out[i * channels + c] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
    }
  }
  return out;
}

/** Reads little-endian 16-bit PCM, on any byte alignment and any host byte order. */
function decodeL16(data: Uint8Array): Int16Array {
  const n = data.length >> 1;
  const out = new Int16Array(n);
  const view = new DataView(data.buffer, data.byteOffset, n * 2);
  for (let i = 0; i < n; i++) out[i] = view.getInt16(i * 2, true);
  return out;
}

/**
 * Creates a decoder for audio in `format` (an audio frame's `format`). L16, G.711 and G.722 are decoded
 * in TypeScript; Opus through the optional peer dependency `opus-decoder`, loaded on first use.
 *
 * @throws (rejects with) `RtmsError` (from `rtms-client`) `RTMS_INVALID_OPTIONS` for an unknown codec, or for Opus when
 * `opus-decoder` is not installed.
 */
export async function createAudioDecoder(format: AudioFormat, options: AudioDecoderOptions = {}): Promise<AudioDecoder> {
  const sync = createAudioDecoderSync(format, options);
  if (sync !== undefined) return sync;
  const channels = clampChannels(format);
  const mod = await loadOpus();
  const opus = new mod.OpusDecoder({ sampleRate: 48000, channels });
  await opus.ready;
  const decodePayload = (p: Uint8Array): Int16Array | DecodeErrorReason => {
    if (p.length === 0) return 'empty';
    try {
      const r = opus.decodeFrame(p);
      if (r.errors.length > 0 || r.samplesDecoded === 0) return 'opus';
      return toInt16(r.channelData, r.samplesDecoded, channels);
    } catch {
      return 'opus';
    }
  };
  return wrap(format, options, 48000, channels, decodePayload, () => opus.free());
}

function clampChannels(format: AudioFormat): number {
  return Math.max(1, Math.min(2, Math.trunc(format.channels) || 1));
}

/**
 * The decoder for codecs that need no loading (L16, G.711, G.722), made at once; undefined for Opus, which
 * {@link createAudioDecoder} loads asynchronously. Used by the timeline so a burst of frames (Zoom's buffered
 * backlog) never waits for a decoder.
 *
 * @throws `RtmsError` `RTMS_INVALID_OPTIONS` for an unknown codec.
 * @internal
 */
export function createAudioDecoderSync(format: AudioFormat, options: AudioDecoderOptions = {}): AudioDecoder | undefined {
  const channels = clampChannels(format);
  switch (format.codec) {
    case 'L16':
      return wrap(format, options, format.sampleRate, channels, (p) => (p.length === 0 ? 'empty' : p.length % (2 * channels) !== 0 ? 'odd-length' : decodeL16(p)));
    case 'G711': {
      const fn = options.g711 === 'ulaw' ? decodeUlaw : decodeAlaw;
      return wrap(format, options, 8000, channels, (p) => (p.length === 0 ? 'empty' : fn(p)));
    }
    case 'G722': {
      const g722 = new G722Decoder();
      return wrap(format, options, 16000, channels, (p) => (p.length === 0 ? 'empty' : g722.decode(p)));
    }
    case 'OPUS':
      return undefined;
    default:
      throw new RtmsError('RTMS_INVALID_OPTIONS', `no decoder for audio codec ${String(format.codec)}`);
  }
}

function wrap(
  format: AudioFormat,
  options: AudioDecoderOptions,
  rate: number,
  channels: number,
  decodePayload: (payload: Uint8Array) => Int16Array | DecodeErrorReason,
  release: () => void = () => undefined,
): AudioDecoder {
  const silence = samplesPerFrame(format, rate);
  const rtp = format.contentType === 'rtp';
  let packets = 0;
  let errors = 0;
  let closed = false;
  const fail = (reason: DecodeErrorReason, byteLength: number): Int16Array => {
    errors++;
    try {
      options.onError?.({ reason, byteLength, errors });
    } catch {
      // A throwing listener must not break decoding.
    }
    return new Int16Array(silence);
  };
  return {
    format,
    sampleRate: rate,
    channels,
    get packets() {
      return packets;
    },
    get errors() {
      return errors;
    },
    decode(packet: Uint8Array): Int16Array {
      packets++;
      if (closed) return new Int16Array(silence);
      let payload = packet;
      if (rtp) {
        const parsed = parseRtp(packet);
        if (typeof parsed === 'string') return fail(parsed, packet.length);
        payload = parsed.payload;
      }
      const out = decodePayload(payload);
      return typeof out === 'string' ? fail(out, packet.length) : out;
    },
    close(): void {
      if (closed) return;
      closed = true;
      release();
    },
  };
}
