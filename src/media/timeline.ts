/**
 * A timeline: per-speaker audio placed on one clock, gaps filled with silence, a mixed track, output resampled,
 * converted to mono or stereo and cut into fixed-size chunks.
 *
 * ## Placement rules
 *
 * The clock starts at `start` (FIRST_PACKET_TIMESTAMP when known; else the first timestamp the timeline sees).
 * A frame with timestamp `ts` belongs at sample `p = round((ts − start) × rate / 1000)` of its track. Then, in order:
 *
 * 1. **Snap.** A track's frames sit on its packet grid: its first frame's place plus whole frames (`n`
 *    samples, the first frame's length). A frame goes to the grid slot nearest `p`, so jitter of less than half
 *    a packet (counted from the first frame's own jitter) moves nothing, a frame that arrives out of order finds its slot, and the slot after the track's
 *    last frame follows it with no gap or overlap. Only a frame more than `latencyMs` beyond the track's end
 *    (a speaker who was muted or silent: muted users send nothing) goes exactly at `p`, and the track's grid
 *    restarts there. The gap is silence. A frame of another length (a reconnect that settled another packet
 *    interval) also restarts the grid: at the track's end when within half a frame of it, else at `p`.
 * 2. **Late.** A frame whose place is before what the timeline has already emitted is dropped (`late`).
 * 3. **Duplicate.** A frame that would overlap audio already placed on its track is dropped (`duplicates`): a
 *    repeated timestamp, or a second frame snapped to the same slot.
 * 4. **Out of range.** A frame more than `maxJumpMs` ahead of everything placed, or placed before `start`, is
 *    dropped (`outOfRange`): a bogus timestamp must not write an hour of silence.
 * 5. A frame without a timestamp goes where its track's audio ends.
 *
 * ## Sample-rate changes
 *
 * The timeline works at the first frame's sample rate. A frame at another rate (a reconnect that settled new
 * media parameters, another codec) is converted to it by a resampler of its track, which keeps its state from
 * frame to frame, so the converted audio has no seams: consecutive frames (each within half a frame of where the
 * previous one ended) are placed one after the other, from where the track's audio ends; after a gap the
 * conversion is flushed and starts again at the frame's own place. Converted frames must arrive in order: one
 * whose place lies more than half a frame before the converted audio's end is dropped (`late` if that place was
 * already emitted, else `duplicates`). The conversion's output lags its input by the resampler's filter delay (a
 * few ms), and is flushed when the track returns to the timeline's rate, changes rate again, pauses, or the
 * timeline ends, so nothing of it is lost. Only rates whose ratio to the timeline's reduces to terms of at most
 * 64 are converted (all of 8, 16, 24, 32 and 48 kHz); others count in `format`.
 *
 * Audio is held back `latencyMs` (the jitter buffer) behind the furthest sample placed on any track, so
 * reordered frames still find their place; {@link AudioTimeline.end} flushes everything. Every track and the
 * mix are emitted together, so they stay sample-aligned and of equal length. Memory is bounded by the latency,
 * a frame and a chunk per track, whatever the meeting's length.
 */
import { Readable } from 'node:stream';
import { BoundedQueue, type BoundedIterator, type IterateOptions } from '../iterator.js';
import { RtmsError } from '../errors.js';
import type { UserId } from '../events.js';
import { Resampler } from './resample.js';
import type { sessionTimeline } from './session-audio.js';

/** Output sample rates the timeline offers. */
export type TimelineSampleRate = 8000 | 16000 | 24000 | 48000;

/** Options of {@link AudioTimeline}. */
export interface TimelineOptions {
  /** Output sample rate, Hz. Default 16000. */
  sampleRate?: TimelineSampleRate;
  /** Output channels: 1 (stereo input is averaged) or 2 (mono input is copied to both). Default 1. */
  channels?: 1 | 2;
  /** Chunk length in milliseconds (the last chunk may be shorter). Default 100. */
  chunkMs?: number;
  /** Jitter buffer: how far emission stays behind the furthest audio placed, ms. Default 200. */
  latencyMs?: number;
  /** Frames further ahead than this of everything placed are dropped as out of range, ms. Default 600 000. */
  maxJumpMs?: number;
  /** Clock start, Unix ms (FIRST_PACKET_TIMESTAMP). Default: set by {@link AudioTimeline.setStart} or the first frame. */
  start?: number;
  /** Include each track's audio in the chunks, not only the mix. Default true. */
  tracks?: boolean;
}

/** One decoded audio frame to place on the timeline. */
export interface TimelineFrame {
  /** Track key: one per speaker, or per channel (Contact Center, Zoom Phone). See {@link trackKey}. */
  readonly key: string;
  /** Interleaved 16-bit PCM. */
  readonly pcm: Int16Array;
  /** Its sample rate, Hz. Every frame of a timeline must share one rate (the first frame's). */
  readonly sampleRate: number;
  /** Its channel count, 1 or 2. */
  readonly channels: number;
  /** Server creation time, Unix ms; undefined to append where the track's audio ends. */
  readonly timestamp: number | undefined;
  /** Speaker, for {@link TrackInfo}. */
  readonly userId?: UserId | undefined;
  /** Speaker's name, for {@link TrackInfo}. */
  readonly userName?: string | undefined;
  /** Channel (Contact Center, Zoom Phone), for {@link TrackInfo}. */
  readonly channelId?: string | undefined;
}

/** What {@link AudioTimeline.push} did with a frame. */
export type PushResult = 'placed' | 'late' | 'duplicate' | 'out-of-range' | 'format' | 'ended';

/** A track of the timeline. */
export interface TrackInfo {
  /** Its key. */
  readonly key: string;
  /** Speaker, when known. */
  readonly userId: UserId | undefined;
  /** Speaker's latest name, when known. */
  readonly userName: string | undefined;
  /** Channel (Contact Center, Zoom Phone), when known. */
  readonly channelId: string | undefined;
  /** Output sample (from the timeline's start) where the track's first frame was placed. */
  readonly firstSample: number;
}

/** Counters of a timeline. */
export interface TimelineStats {
  /** Frames placed. */
  placed: number;
  /** Frames dropped because their place had already been emitted. */
  late: number;
  /** Frames dropped because they overlapped audio already placed on their track. */
  duplicates: number;
  /** Frames dropped for a timestamp before the start or beyond `maxJumpMs`. */
  outOfRange: number;
  /** Frames dropped for a sample rate other than the timeline's input rate, or an empty or ragged payload. */
  format: number;
  /** Chunks emitted. */
  chunks: number;
  /**
   * Packets a decoder replaced by silence, or dropped because their decoder could not be made (counted by
   * {@link sessionTimeline}; 0 for frames pushed directly).
   */
  decodeErrors: number;
}

/** A fixed-size piece of the timeline's output; every track and the mix cover the same samples. */
export interface AudioChunk {
  /** Chunk number, from 0. */
  readonly index: number;
  /** First sample frame of the chunk, counted from the timeline's start at the output rate. */
  readonly startSample: number;
  /** Its time from the timeline's start, ms. */
  readonly startMs: number;
  /** Its time as Unix ms (`start + startMs`). */
  readonly timestamp: number;
  /** Output sample rate, Hz. */
  readonly sampleRate: number;
  /** Output channels (interleaved). */
  readonly channels: number;
  /** Sample frames in the chunk (the last chunk may hold fewer than the others). */
  readonly samples: number;
  /** The mix of every track, interleaved, clipped to 16 bits. */
  readonly mixed: Int16Array;
  /** Each track's audio, interleaved; silence where a speaker sent nothing. Empty with `tracks: false`. */
  readonly tracks: ReadonlyMap<string, Int16Array>;
}

/** A Node Readable of 16-bit PCM that drops its oldest chunks for a slow reader; see {@link AudioTimeline.readable}. */
export type PcmReadable = Readable & {
  /** Chunks dropped because the reader fell more than `highWaterMark` chunks behind. */
  readonly dropped: number;
};

/** Options of {@link AudioTimeline.readable}. */
export interface TimelineReadableOptions {
  /** Whose audio: a track key, or `mixed` (default). */
  track?: string;
  /** Most chunks buffered for a slow reader; past that the oldest is dropped. Default 64. */
  highWaterMark?: number;
}

/**
 * The key of the track a frame belongs to: `channel:<id>` for Contact Center and Zoom Phone, `mixed` for mixed
 * audio (user id 0 or absent), else `user:<id>`.
 */
export function trackKey(frame: { readonly userId: UserId | undefined; readonly channelId: string | undefined }): string {
  if (frame.channelId !== undefined) return `channel:${frame.channelId}`;
  if (frame.userId === undefined || frame.userId === 0) return 'mixed';
  return `user:${String(frame.userId)}`;
}

const DEFAULTS = { sampleRate: 16000, channels: 1, chunkMs: 100, latencyMs: 200, maxJumpMs: 600_000 } as const;
/** Largest block emitted at once (input sample frames = 1 s at 48 kHz), to bound memory on a long gap. */
const MAX_BLOCK = 48_000;

/** A track's conversion of frames at another rate than the timeline's (see "Sample-rate changes"). */
interface Converter {
  /** The rate it converts from, Hz. */
  readonly rate: number;
  /** Its input channels, 1 or 2. */
  readonly channels: number;
  /** One resampler per input channel, `rate` → the timeline's rate. */
  readonly rs: Resampler[];
  /** Timeline sample where its output starts. */
  readonly segStart: number;
  /** Output samples placed so far. */
  written: number;
  /** Timeline sample where the next input frame is expected. */
  next: number;
}

interface Track {
  /** Converting frames at another rate, while it does. */
  conv?: Converter | undefined;
  info: { key: string; userId: UserId | undefined; userName: string | undefined; channelId: string | undefined; firstSample: number };
  /** Interleaved samples from `emitted` on. */
  buf: Int16Array;
  /** Placed ranges [start, end) at or after `emitted`, sorted by start. */
  filled: [number, number][];
  end: number;
  anchor: number;
  step: number;
  out: Resampler[];
  chunk: Int16Array | undefined;
}

function clip16(v: number): number {
  const r = Math.round(v);
  return r > 32767 ? 32767 : r < -32768 ? -32768 : r;
}

/**
 * Places per-speaker audio on one clock and emits aligned, resampled, fixed-size chunks (see the module notes
 * for the placement rules). Read it through {@link AudioTimeline.onChunk}, {@link AudioTimeline.chunks} (an
 * async iterator) or {@link AudioTimeline.readable} (a Node stream); call {@link AudioTimeline.end} when the
 * stream stops. Never throws from {@link AudioTimeline.push}.
 */
export class AudioTimeline {
  /** Output sample rate, Hz. */
  readonly sampleRate: TimelineSampleRate;
  /** Output channels. */
  readonly channels: 1 | 2;
  /** Chunk length in output sample frames. */
  readonly chunkSamples: number;
  /** Counters. */
  readonly stats: TimelineStats = { placed: 0, late: 0, duplicates: 0, outOfRange: 0, format: 0, chunks: 0, decodeErrors: 0 };
  private readonly latencyMs: number;
  private readonly maxJumpMs: number;
  private readonly keepTracks: boolean;
  private _start: number | undefined;
  private inRate: number | undefined;
  private readonly trackMap = new Map<string, Track>();
  /** Input sample frames emitted so far (every track and the mix). */
  private emitted = 0;
  /** Furthest sample placed on any track. */
  private maxEnd = 0;
  private mixOut: Resampler[] = [];
  private mixChunk: Int16Array;
  private chunkFill = 0;
  private outSamples = 0;
  private readonly listeners = new Set<(chunk: AudioChunk) => void>();
  private _ended = false;
  private resolveEnded!: () => void;
  /** Settles when {@link end} has emitted the last chunk. */
  readonly ended: Promise<void> = new Promise((r) => (this.resolveEnded = r));

  /** @throws `RtmsError` (from `rtms-client`) `RTMS_INVALID_OPTIONS` for an unsupported rate, channel count or duration. */
  constructor(options: TimelineOptions = {}) {
    const rate = options.sampleRate ?? DEFAULTS.sampleRate;
    if (![8000, 16000, 24000, 48000].includes(rate)) throw new RtmsError('RTMS_INVALID_OPTIONS', 'sampleRate must be 8000, 16000, 24000 or 48000');
    const ch = options.channels ?? DEFAULTS.channels;
    if (ch !== 1 && ch !== 2) throw new RtmsError('RTMS_INVALID_OPTIONS', 'channels must be 1 or 2');
    const chunkMs = options.chunkMs ?? DEFAULTS.chunkMs;
    if (!Number.isInteger(chunkMs) || chunkMs < 1 || chunkMs > 60_000) throw new RtmsError('RTMS_INVALID_OPTIONS', 'chunkMs must be an integer from 1 to 60000');
    const latency = options.latencyMs ?? DEFAULTS.latencyMs;
    if (!(latency >= 0 && latency <= 60_000)) throw new RtmsError('RTMS_INVALID_OPTIONS', 'latencyMs must be from 0 to 60000');
    const jump = options.maxJumpMs ?? DEFAULTS.maxJumpMs;
    if (!(jump > 0)) throw new RtmsError('RTMS_INVALID_OPTIONS', 'maxJumpMs must be positive');
    this.sampleRate = rate;
    this.channels = ch;
    this.chunkSamples = (rate * chunkMs) / 1000;
    this.latencyMs = latency;
    this.maxJumpMs = jump;
    this.keepTracks = options.tracks ?? true;
    this._start = options.start;
    this.mixChunk = new Int16Array(this.chunkSamples * ch);
  }

  /** The clock's start, Unix ms; undefined until set or until the first timestamped frame. */
  get start(): number | undefined {
    return this._start;
  }

  /** The tracks seen so far, in order of appearance. */
  get tracks(): readonly TrackInfo[] {
    return [...this.trackMap.values()].map((t) => ({ ...t.info }));
  }

  /** Output sample frames emitted so far (the length of every track and of the mix). */
  get samplesEmitted(): number {
    return this.outSamples;
  }

  /** True once {@link end} was called. */
  get isEnded(): boolean {
    return this._ended;
  }

  /**
   * Sets the clock's start (FIRST_PACKET_TIMESTAMP), if nothing has been placed yet. Returns whether it was taken.
   */
  setStart(timestamp: number): boolean {
    if (!Number.isFinite(timestamp) || this.stats.placed > 0 || this._ended) return false;
    this._start = timestamp;
    return true;
  }

  /** Registers a chunk listener; returns its remover. A listener that throws is ignored. */
  onChunk(listener: (chunk: AudioChunk) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The chunks as an async iterator with a bounded buffer (default 1024 chunks, drop-oldest). */
  chunks(options?: IterateOptions): BoundedIterator<AudioChunk> {
    return new BoundedQueue<AudioChunk>((push) => this.onChunk(push), this.ended, options);
  }

  /**
   * One track's audio (or the mix) as a Node Readable of little-endian 16-bit PCM, one Buffer per chunk. A slow
   * reader loses the oldest chunks past `highWaterMark` (counted in the stream's `dropped`), never memory.
   */
  readable(options: TimelineReadableOptions = {}): PcmReadable {
    const which = options.track ?? 'mixed';
    const hwm = options.highWaterMark ?? 64;
    if (!Number.isInteger(hwm) || hwm < 1) throw new RtmsError('RTMS_INVALID_OPTIONS', 'highWaterMark must be a positive integer');
    const queue: Buffer[] = [];
    let wanting = false;
    let finished = false;
    let dropped = 0;
    let detach: (() => void) | undefined;
    const pump = (): void => {
      while (wanting && queue.length > 0) wanting = stream.push(queue.shift());
      if (wanting && finished && queue.length === 0) {
        wanting = false;
        stream.push(null);
      }
    };
    const stream = new Readable({
      highWaterMark: 0,
      read() {
        wanting = true;
        pump();
      },
      destroy(err, cb) {
        detach?.();
        detach = undefined;
        queue.length = 0;
        cb(err);
      },
    }) as PcmReadable;
    Object.defineProperty(stream, 'dropped', { get: () => dropped });
    detach = this.onChunk((chunk) => {
      const pcm = which === 'mixed' ? chunk.mixed : chunk.tracks.get(which);
      if (pcm === undefined) return;
      queue.push(Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength));
      if (queue.length > hwm) {
        queue.shift();
        dropped++;
      }
      pump();
    });
    void this.ended.then(() => {
      finished = true;
      detach?.();
      detach = undefined;
      pump();
    });
    return stream;
  }

  /** Places one decoded frame (see the module notes for the rules). Never throws. */
  push(frame: TimelineFrame): PushResult {
    if (this._ended) return 'ended';
    const inCh = frame.channels === 2 ? 2 : 1;
    if (frame.pcm.length === 0 || frame.pcm.length % inCh !== 0 || !(frame.sampleRate > 0)) {
      this.stats.format++;
      return 'format';
    }
    if (this.inRate === undefined) {
      try {
        this.inRate = frame.sampleRate;
        this.mixOut = this.makeResamplers();
      } catch {
        this.inRate = undefined;
        this.stats.format++;
        return 'format';
      }
    }
    const rate = this.inRate;
    const native = frame.sampleRate === rate;
    // At another rate, the frame's length on the timeline's clock.
    const n = native ? frame.pcm.length / inCh : Math.round((frame.pcm.length / inCh) * (rate / frame.sampleRate));
    let track = this.trackMap.get(frame.key);
    let p: number | undefined;
    if (frame.timestamp !== undefined && Number.isFinite(frame.timestamp)) {
      this._start ??= frame.timestamp;
      p = Math.round(((frame.timestamp - this._start) * rate) / 1000);
      if (p < 0 || p - Math.max(this.maxEnd, this.emitted) > (this.maxJumpMs * rate) / 1000) {
        this.stats.outOfRange++;
        return 'out-of-range';
      }
    }
    if (!native) return this.pushConverted(frame, track, inCh, n, p);
    if (track?.conv !== undefined) this.closeConverter(track);
    let q: number;
    let regrid = false;
    if (track === undefined) {
      q = p ?? Math.max(this.emitted, this.maxEnd);
    } else if (p === undefined) {
      q = track.end;
    } else if (p > track.end + this.latencySamples(n)) {
      q = p;
      regrid = true;
    } else if (n !== track.step) {
      // The packet size changed (a reconnect settled another send_rate): a new grid from the track's end.
      q = Math.abs(p - track.end) <= n / 2 ? track.end : p;
      regrid = true;
    } else {
      q = track.anchor + Math.round((p - track.anchor) / track.step) * track.step;
    }
    const refused = this.refusal(track, q, n);
    if (refused !== undefined) return refused;
    // Emit what the new frame's arrival makes final, but never past the frame itself (bounded buffers).
    const newMax = Math.max(this.maxEnd, q + n);
    this.emitUpTo(Math.min(q, newMax - this.latencySamples(n)));
    if (track === undefined) {
      track = this.addTrack(frame, q);
    } else {
      if (frame.userName !== undefined) track.info.userName = frame.userName;
      if (regrid) {
        track.anchor = q;
        track.step = n;
      }
    }
    this.write(track, q, frame.pcm, inCh, n);
    this.maxEnd = newMax;
    this.stats.placed++;
    this.emitUpTo(this.maxEnd - this.latencySamples(n));
    return 'placed';
  }

  /**
   * Emits everything placed (the jitter buffer included) and the resamplers' tails, then the last, possibly
   * shorter, chunk; ends the iterators and streams. Idempotent.
   */
  end(): void {
    if (this._ended) return;
    for (const t of this.trackMap.values()) if (t.conv !== undefined) this.closeConverter(t);
    this.emitUpTo(this.maxEnd);
    this._ended = true;
    if (this.inRate !== undefined) {
      const tails = new Map<string, Int16Array>();
      if (this.keepTracks) for (const [key, t] of this.trackMap) tails.set(key, this.interleave(t.out.map((r) => r.flush())));
      const mixTail = this.interleave(this.mixOut.map((r) => r.flush()));
      this.toChunks(mixTail, tails);
    }
    if (this.chunkFill > 0) this.flushChunk(this.chunkFill);
    this.listeners.clear();
    this.resolveEnded();
  }

  /** Places a frame at another rate than the timeline's through its track's converter (see "Sample-rate changes"). */
  private pushConverted(frame: TimelineFrame, existing: Track | undefined, inCh: number, n: number, p: number | undefined): PushResult {
    let track = existing;
    let conv = track?.conv;
    if (track !== undefined && conv !== undefined && (conv.rate !== frame.sampleRate || conv.channels !== inCh)) {
      this.closeConverter(track);
      conv = undefined;
    }
    if (track !== undefined && conv !== undefined && p !== undefined) {
      if (p < conv.next - n / 2) {
        // Out of order, or a repeat: a streaming conversion cannot go back.
        if (p + n <= this.emitted) this.stats.late++;
        else this.stats.duplicates++;
        return p + n <= this.emitted ? 'late' : 'duplicate';
      }
      if (p > conv.next + n / 2) {
        // A gap (a muted speaker, a lost packet): the conversion ends here and starts again at the frame's place.
        this.closeConverter(track);
        conv = undefined;
      }
    }
    if (conv === undefined) {
      let rs: Resampler[];
      try {
        rs = Array.from({ length: inCh }, () => new Resampler(frame.sampleRate, this.inRate ?? frame.sampleRate));
      } catch {
        this.stats.format++;
        return 'format';
      }
      let q: number;
      if (track === undefined) q = p ?? Math.max(this.emitted, this.maxEnd);
      else if (p === undefined || Math.abs(p - track.end) <= n / 2) q = Math.max(track.end, this.emitted);
      else q = p;
      const refused = this.refusal(track, q, n);
      if (refused !== undefined) return refused;
      if (track === undefined) track = this.addTrack(frame, q);
      conv = { rate: frame.sampleRate, channels: inCh, rs, segStart: q, written: 0, next: q };
      track.conv = conv;
    }
    if (track === undefined) return 'format'; // unreachable: a converter belongs to a track
    if (frame.userName !== undefined) track.info.userName = frame.userName;
    const planes = conv.rs.map((r, c) => {
      const plane = new Int16Array(frame.pcm.length / inCh);
      for (let i = 0; i < plane.length; i++) plane[i] = frame.pcm[i * inCh + c] as number;
      return r.process(plane);
    });
    conv.next = (p !== undefined && Math.abs(p - conv.next) <= n / 2 ? conv.next : (p ?? conv.next)) + n;
    this.placeConverted(track, conv, planes, n);
    this.stats.placed++;
    return 'placed';
  }

  /** Writes a converter's new output where its output ends (what the timeline already emitted is skipped). */
  private placeConverted(track: Track, conv: Converter, planes: Float32Array[], frameLen: number): void {
    const inCh = planes.length;
    const m = planes[0]?.length ?? 0;
    const q = conv.segStart + conv.written;
    conv.written += m;
    const skip = Math.max(0, this.emitted - q);
    if (m - skip <= 0) return;
    const pcm = new Int16Array((m - skip) * inCh);
    for (let c = 0; c < inCh; c++) {
      const plane = planes[c] as Float32Array;
      for (let i = skip; i < m; i++) pcm[(i - skip) * inCh + c] = clip16(plane[i] as number);
    }
    const at = q + skip;
    const len = m - skip;
    const newMax = Math.max(this.maxEnd, at + len);
    this.emitUpTo(Math.min(at, newMax - this.latencySamples(frameLen)));
    this.write(track, at, pcm, inCh, len);
    this.maxEnd = newMax;
    this.emitUpTo(this.maxEnd - this.latencySamples(frameLen));
  }

  /** Ends a track's conversion: the resamplers' tails are placed, and the track's next frame starts a new grid. */
  private closeConverter(track: Track): void {
    const conv = track.conv;
    if (conv === undefined) return;
    track.conv = undefined;
    this.placeConverted(track, conv, conv.rs.map((r) => r.flush()), 0);
    // A frame at the timeline's rate after this restarts the grid (at the track's end when it follows on).
    track.step = 0;
  }

  /**
   * A frame placed at `q` for `n` samples that cannot go in, counted: `late` when it starts before what was already
   * emitted, `duplicate` when it overlaps what its track already holds; undefined when it fits.
   */
  private refusal(track: Track | undefined, q: number, n: number): 'late' | 'duplicate' | undefined {
    if (q < this.emitted) {
      this.stats.late++;
      return 'late';
    }
    if (track !== undefined && track.filled.some(([s, e]) => s < q + n && q < e)) {
      this.stats.duplicates++;
      return 'duplicate';
    }
    return undefined;
  }

  private latencySamples(frameLen: number): number {
    return Math.max(Math.ceil((this.latencyMs * (this.inRate ?? 0)) / 1000), frameLen);
  }

  private makeResamplers(): Resampler[] {
    const out: Resampler[] = [];
    for (let c = 0; c < this.channels; c++) out.push(new Resampler(this.inRate ?? this.sampleRate, this.sampleRate));
    return out;
  }

  private addTrack(frame: TimelineFrame, q: number): Track {
    const out = this.makeResamplers();
    out.forEach((r, c) => r.alignWith(this.mixOut[c] as Resampler));
    const track: Track = {
      info: {
        key: frame.key,
        userId: frame.userId,
        userName: frame.userName,
        channelId: frame.channelId,
        firstSample: Math.round((q * this.sampleRate) / (this.inRate ?? this.sampleRate)),
      },
      buf: new Int16Array(0),
      filled: [],
      end: q,
      anchor: q,
      step: frame.pcm.length / (frame.channels === 2 ? 2 : 1),
      out,
      chunk: undefined,
    };
    this.trackMap.set(frame.key, track);
    return track;
  }

  /** Writes a frame into a track's buffer at sample `q` (≥ emitted), converting its channels. */
  private write(track: Track, q: number, pcm: Int16Array, inCh: number, n: number): void {
    const ch = this.channels;
    const needed = (q + n - this.emitted) * ch;
    if (needed > track.buf.length) {
      const grown = new Int16Array(Math.max(needed, track.buf.length * 2));
      grown.set(track.buf);
      track.buf = grown;
    }
    const base = (q - this.emitted) * ch;
    for (let i = 0; i < n; i++) {
      if (ch === inCh) {
        for (let c = 0; c < ch; c++) track.buf[base + i * ch + c] = pcm[i * inCh + c] as number;
      } else if (ch === 1) {
        track.buf[base + i] = ((pcm[i * 2] as number) + (pcm[i * 2 + 1] as number)) >> 1;
      } else {
        const v = pcm[i] as number;
        track.buf[base + i * 2] = v;
        track.buf[base + i * 2 + 1] = v;
      }
    }
    const f = track.filled;
    let k = f.length;
    while (k > 0 && (f[k - 1] as [number, number])[0] > q) k--;
    f.splice(k, 0, [q, q + n]);
    if (q + n > track.end) track.end = q + n;
  }

  /** Emits input samples [emitted, target) of every track and the mix, in bounded blocks. */
  private emitUpTo(target: number): void {
    const ch = this.channels;
    while (target > this.emitted && this.inRate !== undefined) {
      const len = Math.min(target - this.emitted, MAX_BLOCK);
      const mix = new Int32Array(len * ch);
      const blocks = new Map<string, Int16Array>();
      for (const [key, t] of this.trackMap) {
        const block = new Int16Array(len * ch);
        block.set(t.buf.subarray(0, Math.min(t.buf.length, len * ch)));
        for (let i = 0; i < block.length; i++) mix[i] = (mix[i] as number) + (block[i] as number);
        // Shift the buffer: keep what lies after the block, zeros after that.
        if (t.buf.length > len * ch) {
          t.buf.copyWithin(0, len * ch);
          t.buf.fill(0, t.buf.length - len * ch);
        } else {
          t.buf.fill(0);
        }
        const upTo = this.emitted + len;
        t.filled = t.filled.filter(([, e]) => e > upTo);
        if (this.keepTracks) blocks.set(key, this.resampleBlock(t.out, block));
      }
      const mix16 = new Int16Array(mix.length);
      for (let i = 0; i < mix.length; i++) mix16[i] = clip16(mix[i] as number);
      this.emitted += len;
      this.toChunks(this.resampleBlock(this.mixOut, mix16), blocks);
    }
  }

  private resampleBlock(rs: Resampler[], block: Int16Array): Int16Array {
    const ch = this.channels;
    if (ch === 1) return this.interleave([(rs[0] as Resampler).process(block)]);
    const n = block.length / ch;
    const planes: Float32Array[] = [];
    for (let c = 0; c < ch; c++) {
      const plane = new Int16Array(n);
      for (let i = 0; i < n; i++) plane[i] = block[i * ch + c] as number;
      planes.push((rs[c] as Resampler).process(plane));
    }
    return this.interleave(planes);
  }

  private interleave(planes: Float32Array[]): Int16Array {
    const ch = planes.length;
    const n = planes[0]?.length ?? 0;
    const out = new Int16Array(n * ch);
    for (let c = 0; c < ch; c++) {
      const p = planes[c] as Float32Array;
      for (let i = 0; i < n; i++) out[i * ch + c] = clip16(p[i] as number);
    }
    return out;
  }

  /** Appends output samples (the same count for the mix and every track) to the current chunk. */
  private toChunks(mix: Int16Array, tracks: Map<string, Int16Array>): void {
    const ch = this.channels;
    const total = mix.length / ch;
    let pos = 0;
    while (pos < total) {
      const take = Math.min(total - pos, this.chunkSamples - this.chunkFill);
      this.mixChunk.set(mix.subarray(pos * ch, (pos + take) * ch), this.chunkFill * ch);
      if (this.keepTracks) {
        for (const [key, t] of this.trackMap) {
          const src = tracks.get(key);
          if (src === undefined) continue;
          t.chunk ??= new Int16Array(this.chunkSamples * ch);
          t.chunk.set(src.subarray(pos * ch, (pos + take) * ch), this.chunkFill * ch);
        }
      }
      this.chunkFill += take;
      pos += take;
      if (this.chunkFill === this.chunkSamples) this.flushChunk(this.chunkSamples);
    }
  }

  private flushChunk(samples: number): void {
    const ch = this.channels;
    const tracks = new Map<string, Int16Array>();
    if (this.keepTracks) {
      for (const [key, t] of this.trackMap) {
        tracks.set(key, (t.chunk ?? new Int16Array(this.chunkSamples * ch)).slice(0, samples * ch));
        t.chunk = undefined;
      }
    }
    const startSample = this.outSamples;
    const startMs = (startSample * 1000) / this.sampleRate;
    const chunk: AudioChunk = {
      index: this.stats.chunks,
      startSample,
      startMs,
      timestamp: (this._start ?? 0) + startMs,
      sampleRate: this.sampleRate,
      channels: ch,
      samples,
      mixed: this.mixChunk.slice(0, samples * ch),
      tracks,
    };
    this.mixChunk.fill(0);
    this.chunkFill = 0;
    this.outSamples += samples;
    this.stats.chunks++;
    for (const l of this.listeners) {
      try {
        l(chunk);
      } catch {
        // A throwing listener must not break the timeline.
      }
    }
  }
}
