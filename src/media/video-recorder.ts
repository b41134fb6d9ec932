/**
 * The recorder's video: one kind (active-speaker `video`, or screen `share`) of H.264 access units into
 * fragmented MP4 files, each muxed with the recording's mixed audio read back from the mixed WAV; and JPG and PNG
 * frames into image files (stills.ts).
 *
 * ## Rules
 *
 * - **Images.** A frame whose bytes are a JPEG or a PNG (see `sniffImage`) is an image, whatever the codec field
 *   says: it is counted (`images`) and handed to the stills writer (stills.ts: written off the event loop, in
 *   order, through a bounded queue) as an image file at its place on the recording's clock (the clock
 *   rule below; a frame without a timestamp follows the previous one by 1/fps), unless stills are off. When JPG or
 *   PNG was negotiated, a frame that is neither is `corrupt`. None of the H.264 rules below applies to images.
 * - **Clock.** A frame at server time `ts` sits at `ts − start` ms on the recording's clock, the clock of the WAVs
 *   (FIRST_PACKET_TIMESTAMP, else the first audio frame). Frames that arrive before the clock has a start are held
 *   (at most {@link MAX_NO_CLOCK} frames and {@link MAX_NO_CLOCK_BYTES} bytes); past that the clock is fixed at the
 *   first held frame.
 * - **First key frame.** Nothing is written before an IDR access unit with SPS and PPS (in the frame, or the
 *   latest seen earlier); frames before it are dropped and counted (`beforeKeyframe`).
 * - **Corrupt frames.** A frame without a start code and a slice, or with an SPS that does not parse, is dropped
 *   (`corrupt`), and so is every frame after it until the next IDR (`beforeKeyframe`), since they refer to it.
 * - **Out of range.** A frame more than {@link MAX_JUMP_MS} ahead of the stream (the later of its last frame
 *   accepted, and the recording's start plus the audio written or the wall time since the recording began, whichever
 *   is further) is dropped (`outOfRange`), and the
 *   frames after it until the next IDR; unless the frame after it is within 10 s of it, which confirms the jump
 *   (a stream that really moved on, such as a camera back after a long pause in a meeting without audio).
 * - **Size change.** An IDR whose SPS gives another size ends the current file and starts the next
 *   (`-video-2.mp4`, ...): one MP4 never changes size mid-track, which players handle badly.
 * - **Long files.** The first IDR after a file has run `maxFileMs` (an hour by default) also starts the next file:
 *   mediabunny keeps a small record of every packet written (for the random-access index it writes at the end,
 *   `mfra`), about 13 MB an hour of 15 fps video with its audio, so an endless file would grow the heap without
 *   bound.
 * - **Timestamps.** A file's first frame keeps its time exactly (so the video starts in sync with the audio, to
 *   the audio timeline's placement); later frames go to the nearest slot of a grid of 1/fps (the negotiated fps)
 *   from it, which moves a frame of an RTMS stream (timestamps in whole ms, 1000/fps apart) by less than 1 ms.
 *   Reason: ffmpeg converts frame times to units of 1/frame-rate, and millisecond times off that grid put two
 *   frames in one unit ("non monotonically increasing dts"). A frame whose slot is taken, or more than half a
 *   slot from its time (frames faster than the negotiated rate, or out of order), takes the next free slot
 *   (`retimed`). A frame without a timestamp follows the previous one by 1/fps.
 * - **Audio.** A kind's first file starts at the recording's zero (so a screen share that starts late still
 *   holds the meeting's audio from the beginning, and its video begins where it began); a later file starts at
 *   its first frame. Audio is fed only up to the latest video frame, so the muxer never queues audio waiting for
 *   video: while the camera is off, audio stays on disk in the WAV. When the audio falls more than
 *   {@link MAX_AUDIO_LAG_MS} behind the video (a meeting with nobody talking: the timeline does not advance
 *   without audio), the MP4's audio is filled with silence up to that lag (`audioSilenceMs`); at the end, up to
 *   the last frame.
 * - **Memory.** Besides the per-packet records above, mediabunny cuts fragments at key frames, so it holds one key-frame interval of video and its
 *   audio; a stream whose key frames are more than {@link MAX_GOP_BYTES} apart drops frames until the next one
 *   (`backlog`), as it does when frames waiting for the muxer pass {@link MAX_BACKLOG_BYTES} (or
 *   {@link MAX_BACKLOG} operations).
 */
import type { VideoFrame } from '../events.js';
import { avcCodecString, inspectAccessUnit, parseSps } from './h264.js';
import { loadMediabunny, Mp4Writer, type MediabunnyModule, type Mp4Audio } from './mp4-writer.js';
import { sniffImage, StillsWriter, type RecordedStills } from './stills.js';

/** Which video a {@link RecordedVideo} is. */
export type VideoKind = 'video' | 'share';

/** Frames of a kind that were not written, by reason. */
export interface VideoDropCounts {
  /** Before the first decodable key frame (IDR with SPS and PPS), or after a corrupt frame until the next one. */
  beforeKeyframe: number;
  /**
   * No start code, no slice, or an SPS that does not parse; or, when JPG or PNG was negotiated, bytes that are
   * neither a JPEG nor a PNG (see {@link sniffImage}).
   */
  corrupt: number;
  /** Writing fell behind, or a key-frame interval outgrew the memory bound. */
  backlog: number;
  /** The MP4 muxer (`mediabunny`) could not be loaded or a file could not be written. */
  unavailable: number;
  /**
   * A timestamp more than 10 minutes ahead of the stream (its last frame accepted, or the recording's start plus
   * the audio written or the wall time since the recording began), unless the next frame confirms the jump: a bogus
   * timestamp must not make the file hours long.
   */
  outOfRange: number;
}

/** One MP4 file of a recording. */
export interface RecordedVideoFile {
  /** The file. */
  readonly path: string;
  /** The RFC 6381 codec string of its video (`avc1.42C01F`, ...). */
  readonly codec: string;
  /** Picture width, pixels. */
  readonly width: number;
  /** Picture height, pixels. */
  readonly height: number;
  /** Where the file's time zero sits on the recording's clock (the WAVs' sample 0), ms. */
  readonly startMs: number;
  /** Its first video frame, on the recording's clock, ms. */
  readonly firstFrameMs: number;
  /** Its last video frame, on the recording's clock, ms. */
  readonly lastFrameMs: number;
  /** Video frames (access units) written. */
  readonly frames: number;
  /** Holds the mixed audio (16-bit PCM) besides the video. */
  readonly audio: boolean;
}

/** What a recording did with one kind of video. */
export interface RecordedVideo {
  /** `video` (active speaker) or `share` (screen share). */
  readonly kind: VideoKind;
  /** The MP4 files, in order; more than one when the picture size changed. */
  readonly files: readonly RecordedVideoFile[];
  /** Frames received. */
  readonly received: number;
  /** H.264 frames written (over all MP4 files); images are counted in {@link images}. */
  readonly frames: number;
  /** Frames not written (the sum of {@link drops}). */
  readonly dropped: number;
  /** Frames not written, by reason. */
  readonly drops: Readonly<VideoDropCounts>;
  /**
   * JPG and PNG frames received (RTMS sends them at 5 fps or less), told by their bytes: each is written as an
   * image file (see {@link stills}) unless the recording has `stills: false`. Not part of {@link frames} (MP4
   * frames) nor of {@link dropped}: `received` is `frames + dropped + images`.
   */
  readonly images: number;
  /**
   * The JPG and PNG frames written as image files: their directory, their index and counts; undefined when no
   * image was received, or with `stills: false`.
   */
  readonly stills: RecordedStills | undefined;
  /** Frames whose timestamp was moved to keep presentation times increasing. */
  readonly retimed: number;
  /** Milliseconds of MP4 audio filled with silence because the audio lagged the video too far. */
  readonly audioSilenceMs: number;
}

/** Frames held while the recording's clock has no start. */
export const MAX_NO_CLOCK = 150;
/** Bytes of frames held while the recording's clock has no start (JPG and PNG frames are large). */
export const MAX_NO_CLOCK_BYTES = 16 * 1024 * 1024;
/** Bytes of frames that may wait for the muxer; frames past that are dropped until the next key frame. */
export const MAX_BACKLOG_BYTES = 64 * 1024 * 1024;
/** Muxer operations that may wait (a second bound, for floods of tiny frames). */
export const MAX_BACKLOG = 20_000;
/** Bytes of one key-frame interval the muxer may hold. */
export const MAX_GOP_BYTES = 64 * 1024 * 1024;
/** How far a frame's timestamp may run ahead of the stream's own pace (its first frame plus wall time since), ms. */
export const MAX_JUMP_MS = 600_000;
/** A frame within this of a frame dropped as out of range confirms the jump (the stream really moved on), ms. */
const CONFIRM_JUMP_MS = 10_000;
/** How far the MP4's audio may lag its video before it is filled with silence, ms. */
export const MAX_AUDIO_LAG_MS = 5000;

/** @internal What the video recorder needs of the recording. */
export interface VideoRecorderHost {
  /** The file of the `n`th MP4 of this kind (from 1). */
  path(n: number): string;
  /** A file this long (ms of the recording's clock) ends at the next IDR, and the next file starts there. */
  readonly maxFileMs: number;
  /** The mixed audio to mux in, or undefined for video-only files. */
  readonly audio: Mp4Audio | undefined;
  /** Sample frames of mixed audio written so far. */
  audioAvailable(): number;
  /** Mixed audio written so far, ms (whether or not the MP4s hold audio). */
  audioWrittenMs(): number;
  /** Reads `count` sample frames of mixed audio from `from` (little-endian 16-bit, zero-filled when short). */
  readAudio(from: number, count: number): Uint8Array;
  /** The recording clock's start, Unix ms. */
  clockStart(): number | undefined;
  /** Fixes the recording clock's start. */
  setClockStart(ts: number): void;
  /** Records an error message (once per cause). */
  error(message: string): void;
  /**
   * Where JPG and PNG frames go: the images' directory, the index file, and the directory as the index names it;
   * undefined to count them only.
   */
  readonly stills: { readonly dir: string; readonly index: string; readonly relDir: string } | undefined;
}

interface Segment {
  writer: Mp4Writer;
  codec: string;
  width: number;
  height: number;
  startMs: number;
  firstFrameMs: number;
  lastPtsMs: number;
  frameCount: number;
  /** Frame period of the file's grid, ms (1000 / the negotiated fps). */
  periodMs: number;
  /** Grid slot of the last frame. */
  lastSlot: number;
  /** Audio sample frames (from the recording's zero) fed so far. */
  audioCursor: number;
  /** Audio ends here (the next file's start) once the video moved on; undefined for the current file. */
  endSample: number | undefined;
  ready: Promise<void>;
}

const START_CODE = new Uint8Array([0, 0, 0, 1]);
/** Audio packets fed between two yields to the event loop: a long catch-up (a share that starts late reads its
 * audio back from the start) must not hold up the session's sockets, as a chain of microtasks would. */
const YIELD_EVERY = 50;

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
function withParameterSets(sps: Uint8Array, pps: Uint8Array, au: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + sps.length + pps.length + au.length);
  out.set(START_CODE, 0);
  out.set(sps, 4);
  out.set(START_CODE, 4 + sps.length);
  out.set(pps, 8 + sps.length);
  out.set(au, 8 + sps.length + pps.length);
  return out;
}

/** @internal Records one kind of video; see the module notes. */
export class VideoRecorder {
  private readonly segments: Segment[] = [];
  private readonly done: RecordedVideoFile[] = [];
  private current: Segment | undefined;
  private chain: Promise<void> = Promise.resolve();
  private backlog = 0;
  private backlogBytes = 0;
  private pumpQueued = false;
  private awaitingKey = true;
  private lastSps: Uint8Array | undefined;
  private lastPps: Uint8Array | undefined;
  private lastTs: number | undefined;
  private gopBytes = 0;
  private noClock: VideoFrame[] = [];
  private noClockBytes = 0;
  private stills: StillsWriter | undefined;
  private stillsResult: RecordedStills | undefined;
  private stillsClosed: Promise<void> | undefined;
  private unavailable = false;
  private finished = false;
  private mb: Promise<MediabunnyModule | undefined> | undefined;
  private received = 0;
  private images = 0;
  private retimed = 0;
  private silenceSamples = 0;
  private readonly drops: VideoDropCounts = { beforeKeyframe: 0, corrupt: 0, backlog: 0, unavailable: 0, outOfRange: 0 };
  /** When the recording began (wall clock), for the out-of-range rule and frames without a timestamp. */
  private readonly createdAt = Date.now();
  /** The last frame accepted (server time), and the last one dropped as out of range, for the same rule. */
  private lastAccepted: number | undefined;
  private lastJump: number | undefined;

  constructor(
    readonly kind: VideoKind,
    private readonly host: VideoRecorderHost,
  ) {
    const s = host.stills;
    if (s !== undefined) this.stills = new StillsWriter(s.dir, s.index, s.relDir, (message) => host.error(message));
  }

  /** Takes a frame from the session. Never throws. */
  onFrame(frame: VideoFrame): void {
    try {
      this.take(frame);
    } catch (err) {
      // Not expected (every step guards itself); a session's listener must never throw.
      this.host.error(`${this.kind}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private take(frame: VideoFrame): void {
    if (this.finished) return;
    this.received++;
    if (this.host.clockStart() === undefined) {
      // Held without `content` (the wire message, whose base64 text would hold the image a second time): the cap
      // then bounds what is really kept.
      this.noClock.push({ ...frame, content: {} });
      this.noClockBytes += frame.data.byteLength;
      if (this.noClock.length <= MAX_NO_CLOCK && this.noClockBytes <= MAX_NO_CLOCK_BYTES) return;
      const first = this.noClock.find((f) => f.timestamp !== undefined)?.timestamp ?? Date.now();
      this.host.setClockStart(first);
      this.flushNoClock(); // this frame included
      return;
    }
    this.flushNoClock();
    this.place(frame);
  }

  /** Says more mixed audio was written; feeds it to the open files (held frames go first). Never throws. */
  onAudio(): void {
    if (this.finished) return;
    this.flushNoClock();
    if (this.pumpQueued || this.segments.length === 0) return;
    this.pumpQueued = true;
    this.enqueue(async () => {
      this.pumpQueued = false;
      await this.pump(false);
    });
  }

  /** Writes what is left and closes every file. Never rejects. */
  async finish(): Promise<RecordedVideo> {
    if (!this.finished) {
      if (this.host.clockStart() === undefined && this.noClock.length > 0) {
        this.host.setClockStart(this.noClock.find((f) => f.timestamp !== undefined)?.timestamp ?? Date.now());
      }
      this.flushNoClock();
      this.finished = true;
      // The images' queue drains beside the muxer (bounded in time: see stills.ts); close never rejects.
      this.stillsClosed = this.stills?.close().then((r) => {
        this.stillsResult = r;
      });
      this.enqueue(async () => {
        for (const s of this.segments) s.writer.closeVideo();
        await this.pump(true);
        for (const s of this.segments.splice(0)) await this.close(s);
      });
    }
    await this.chain;
    await this.stillsClosed;
    return this.result();
  }

  private result(): RecordedVideo {
    const d = { ...this.drops };
    const files = [...this.done];
    return {
      kind: this.kind,
      files,
      received: this.received,
      frames: files.reduce((n, f) => n + f.frames, 0),
      dropped: d.beforeKeyframe + d.corrupt + d.backlog + d.unavailable + d.outOfRange,
      drops: d,
      images: this.images,
      stills: this.stillsResult !== undefined && this.images > 0 ? this.stillsResult : undefined,
      retimed: this.retimed,
      audioSilenceMs: this.host.audio === undefined ? 0 : Math.round((this.silenceSamples * 1000) / this.host.audio.sampleRate),
    };
  }

  private flushNoClock(): void {
    if (this.noClock.length === 0 || this.host.clockStart() === undefined) return;
    this.noClockBytes = 0;
    for (const f of this.noClock.splice(0)) this.place(f, true);
  }

  private enqueue(op: () => Promise<void>): void {
    this.backlog++;
    this.chain = this.chain
      .then(op)
      .catch((err: unknown) => this.host.error(`${this.kind}: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => {
        this.backlog--;
      });
  }

  /** See {@link VideoDropCounts.outOfRange}. */
  private outOfRange(ts: number, start: number): boolean {
    const ref = Math.max(this.lastAccepted ?? -Infinity, start + this.elapsedMs());
    if (ts - ref <= MAX_JUMP_MS || (this.lastJump !== undefined && Math.abs(ts - this.lastJump) <= CONFIRM_JUMP_MS)) {
      this.lastAccepted = Math.max(this.lastAccepted ?? ts, ts);
      this.lastJump = undefined;
      return false;
    }
    this.lastJump = ts;
    return true;
  }

  /** How far the recording has got, ms of its clock: the audio written, or the wall time since it began. */
  private elapsedMs(): number {
    return Math.max(this.host.audioWrittenMs(), Date.now() - this.createdAt);
  }

  private sampleAt(ms: number): number {
    const a = this.host.audio;
    return a === undefined ? 0 : Math.max(0, Math.round((ms * a.sampleRate) / 1000));
  }

  /** Classifies a frame and queues it for its file; `held`: it waited for the clock (already bounded in memory). */
  private place(frame: VideoFrame, held = false): void {
    const start = this.host.clockStart() ?? 0;
    const data = frame.data;
    const fps = frame.format.fps > 0 && frame.format.fps <= 60 ? frame.format.fps : 15;
    // A frame without a timestamp follows the previous one; the first goes where the recording is now.
    const ts = frame.timestamp ?? (this.lastTs === undefined ? start + this.elapsedMs() : this.lastTs + 1000 / fps);
    // An image is told by its bytes (whatever the codec field says); when JPG or PNG was negotiated, bytes that
    // are no image are corrupt, not H.264 to try.
    const image = sniffImage(data);
    if (image !== undefined || frame.format.codec === 'JPG' || frame.format.codec === 'PNG') {
      if (image === undefined) {
        this.drops.corrupt++;
        return;
      }
      this.images++;
      this.lastTs = ts;
      // No out-of-range rule here: a bogus timestamp costs one oddly named file, never a long one or memory.
      this.stills?.write({ data, type: image, offsetMs: ts - start, timestamp: frame.timestamp, userId: frame.userId, userName: frame.userName }, held);
      return;
    }
    if (this.outOfRange(ts, start)) {
      this.drops.outOfRange++;
      this.awaitingKey = true;
      return;
    }
    this.lastTs = ts;
    if (this.unavailable) {
      this.drops.unavailable++;
      return;
    }
    const info = inspectAccessUnit(data);
    if (!info.hasSlice || (info.sps !== undefined && info.spsInfo === undefined)) {
      this.drops.corrupt++;
      this.awaitingKey = true;
      return;
    }
    if (info.sps !== undefined) this.lastSps = info.sps;
    if (info.pps !== undefined) this.lastPps = info.pps;
    const size = info.spsInfo;
    let au: Uint8Array = data;
    let newFile: { codec: string; width: number; height: number } | undefined;
    if (info.idr) {
      const sps = this.lastSps;
      const pps = this.lastPps;
      const spsInfo = size ?? (sps === undefined ? undefined : parseSps(sps));
      if (sps === undefined || pps === undefined || spsInfo === undefined) {
        this.drops.beforeKeyframe++;
        this.awaitingKey = true;
        return;
      }
      if (info.sps === undefined || info.pps === undefined) au = withParameterSets(sps, pps, data);
      const cur = this.current;
      const long = cur !== undefined && cur.frameCount > 0 && ts - start - cur.startMs >= this.host.maxFileMs;
      if (cur === undefined || cur.width !== spsInfo.width || cur.height !== spsInfo.height || long) {
        newFile = { codec: avcCodecString(spsInfo), width: spsInfo.width, height: spsInfo.height };
      }
    } else if (this.awaitingKey || this.current === undefined) {
      this.drops.beforeKeyframe++;
      return;
    } else if (size !== undefined && (size.width !== this.current.width || size.height !== this.current.height)) {
      // A new size announced without a key frame: nothing decodes until one comes.
      this.drops.beforeKeyframe++;
      this.awaitingKey = true;
      return;
    }
    this.gopBytes = info.idr ? au.byteLength : this.gopBytes + au.byteLength;
    if (this.backlog >= MAX_BACKLOG || this.backlogBytes + au.byteLength > MAX_BACKLOG_BYTES || this.gopBytes > MAX_GOP_BYTES) {
      this.drops.backlog++;
      this.awaitingKey = true;
      return;
    }
    this.awaitingKey = false;
    let ms = ts - start;
    if (newFile !== undefined) {
      if (ms < 0) {
        ms = 0;
        this.retimed++;
      }
      this.openFile(newFile, ms);
    }
    const seg = this.current;
    if (seg === undefined) return;
    if (seg.frameCount === 0) {
      seg.firstFrameMs = ms;
      seg.periodMs = 1000 / fps;
      seg.lastSlot = 0;
    } else {
      // On the file's frame grid (see the module notes): ffmpeg times frames in units of 1/frame-rate, and
      // millisecond timestamps off the grid would land two frames in one unit.
      const exact = (ms - seg.firstFrameMs) / seg.periodMs;
      let slot = Math.round(exact);
      if (slot <= seg.lastSlot) slot = seg.lastSlot + 1;
      if (Math.abs(slot - exact) > 0.5) this.retimed++;
      seg.lastSlot = slot;
      ms = seg.firstFrameMs + slot * seg.periodMs;
    }
    seg.lastPtsMs = ms;
    seg.frameCount++;
    const key = info.idr;
    const duration = 1 / fps;
    const bytes = au.byteLength;
    this.backlogBytes += bytes;
    this.enqueue(async () => {
      this.backlogBytes -= bytes;
      await seg.ready;
      if (seg.writer.error !== undefined) {
        this.drops.unavailable++;
        return;
      }
      const before = seg.writer.frames;
      await seg.writer.addVideo(au, (ms - seg.startMs) / 1000, duration, key);
      if (seg.writer.frames === before) this.drops.unavailable++; // the muxer refused it (the error is reported)
      await this.pump(false);
    });
  }

  private openFile(size: { codec: string; width: number; height: number }, ms: number): void {
    const prev = this.current;
    const first = this.done.length === 0 && this.segments.length === 0;
    const startMs = first ? 0 : ms;
    const writer = new Mp4Writer(this.host.path(this.done.length + this.segments.length + 1), {
      video: size,
      audio: this.host.audio,
    });
    this.mb ??= loadMediabunny().then(
      (m) => m,
      (err: unknown) => {
        this.unavailable = true;
        this.host.error(err instanceof Error ? err.message : String(err));
        return undefined;
      },
    );
    const mb = this.mb;
    const seg: Segment = {
      writer,
      ...size,
      startMs,
      firstFrameMs: ms,
      lastPtsMs: -Infinity,
      frameCount: 0,
      periodMs: 1000 / 15,
      lastSlot: 0,
      audioCursor: this.sampleAt(startMs),
      endSample: undefined,
      ready: mb.then(async (m) => {
        if (m === undefined) {
          writer.error ??= new Error('mediabunny is not available');
          return;
        }
        await writer.open(m);
      }),
    };
    if (prev !== undefined) {
      prev.endSample = this.sampleAt(ms);
      this.enqueue(async () => {
        await prev.ready;
        prev.writer.closeVideo();
        await this.pump(false);
      });
    }
    this.segments.push(seg);
    this.current = seg;
  }

  /** Feeds mixed audio to every open file, as far as the rules allow; closes files whose audio is complete. */
  private async pump(final: boolean): Promise<void> {
    const a = this.host.audio;
    let packets = 0;
    for (const seg of [...this.segments]) {
      await seg.ready;
      if (a !== undefined && seg.writer.error === undefined) {
        const available = this.host.audioAvailable();
        const videoEnd = seg === this.current && !final ? this.sampleAt(seg.lastPtsMs) : Infinity;
        const limit = Math.min(seg.endSample ?? Infinity, final ? available : Math.min(available, videoEnd));
        const block = Math.max(1, Math.round(a.sampleRate / 10));
        while (seg.audioCursor < limit && seg.writer.error === undefined) {
          const n = Math.min(block, limit - seg.audioCursor);
          if (n < block && !final && limit !== seg.endSample) break; // whole packets while live
          await seg.writer.addAudio(this.host.readAudio(seg.audioCursor, n), (seg.audioCursor - this.sampleAt(seg.startMs)) / a.sampleRate);
          seg.audioCursor += n;
          if (++packets % YIELD_EVERY === 0) await yieldToEventLoop();
        }
        // Nobody talking: the audio does not advance; keep the muxer from queuing video behind it forever. At the
        // end, a recording whose audio stops before its video (or that has none) gets silence up to the last frame.
        const lagLimit = final ? Math.min(seg.endSample ?? Infinity, this.sampleAt(seg.lastPtsMs)) : videoEnd - this.sampleAt(MAX_AUDIO_LAG_MS);
        if ((final || seg.endSample === undefined) && Number.isFinite(lagLimit) && seg.audioCursor < lagLimit) {
          while (seg.audioCursor < lagLimit && seg.writer.error === undefined) {
            const n = Math.min(block, lagLimit - seg.audioCursor);
            await seg.writer.addAudio(new Uint8Array(n * a.channels * 2), (seg.audioCursor - this.sampleAt(seg.startMs)) / a.sampleRate);
            seg.audioCursor += n;
            this.silenceSamples += n;
            if (++packets % YIELD_EVERY === 0) await yieldToEventLoop();
          }
        }
      }
      if (seg.endSample !== undefined && (seg.audioCursor >= seg.endSample || a === undefined || seg.writer.error !== undefined)) {
        this.segments.splice(this.segments.indexOf(seg), 1);
        await this.close(seg);
      }
    }
  }

  private async close(seg: Segment): Promise<void> {
    await seg.ready;
    await seg.writer.finalize();
    // A missing muxer was reported once, when it failed to load.
    if (seg.writer.error !== undefined && !this.unavailable) this.host.error(`${seg.writer.path}: ${seg.writer.error.message}`);
    if (seg.writer.frames === 0) return;
    this.done.push({
      path: seg.writer.path,
      codec: seg.codec,
      width: seg.width,
      height: seg.height,
      startMs: seg.startMs,
      firstFrameMs: seg.firstFrameMs,
      lastFrameMs: seg.lastPtsMs,
      frames: seg.writer.frames,
      audio: this.host.audio !== undefined,
    });
  }
}
