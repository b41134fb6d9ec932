/**
 * One fragmented MP4 file (H.264 video, and FLAC or 16-bit PCM audio, or none) written as media arrives, through
 * the optional peer dependency `mediabunny`.
 *
 * Why mediabunny: a maintained, pure-TypeScript muxer (no native addon, no ffmpeg), MPL-2.0, that writes
 * fragmented MP4 (`fastStart: 'fragmented'`) to any `WritableStream`, takes H.264 in Annex B and converts it to
 * the length-prefixed form MP4 needs, and builds the `avcC` box from the first key frame's SPS and PPS. It is loaded
 * only when a recording meets its first H.264 frame, so audio-only users never install it.
 *
 * The file is written with positioned, synchronous writes as mediabunny emits each fragment (about one second of
 * media, `moof` + `mdat`), so memory holds at most a fragment, and a process that dies mid-meeting leaves a file
 * whose complete fragments ffmpeg reads. The audio is FLAC (`fLaC` sample entry, from the encoder in flac.ts),
 * which ffmpeg and browsers play, or PCM (`ipcm`, ISO/IEC 23003-5), which the Debian ffmpeg 5.1 of our CI reads
 * and browsers do not.
 */
import { openSync, writeSync } from 'node:fs';
import { RtmsError } from '../errors.js';
import { closeFd, toError } from './wav-writer.js';
import { FLAC_MAX_BLOCK, flacDescription, flacFrame } from './flac.js';

/** Most sample frames in one audio packet the recorder feeds (100 ms at 48 kHz is 4800). */
const FLAC_BLOCK_LIMIT = Math.min(FLAC_MAX_BLOCK, 8192);

/** The subset of mediabunny's API used here, so its types are not needed to build or use this package. */
interface MbPacket {
  readonly timestamp: number;
}
interface MbPacketCtor {
  new (data: Uint8Array, type: 'key' | 'delta', timestamp: number, duration: number): MbPacket;
}
interface MbSource {
  add(packet: MbPacket, meta?: unknown): Promise<void>;
  close(): void;
}
interface MbOutput {
  addVideoTrack(source: MbSource, metadata?: unknown): unknown;
  addAudioTrack(source: MbSource, metadata?: unknown): unknown;
  start(): Promise<void>;
  finalize(): Promise<void>;
  cancel(): Promise<void>;
}
interface MbChunk {
  data: Uint8Array;
  position: number;
}
/** @internal mediabunny's constructors, as far as the MP4 writer uses them. */
export interface MediabunnyModule {
  Output: new (options: { format: unknown; target: unknown }) => MbOutput;
  Mp4OutputFormat: new (options: { fastStart: 'fragmented'; minimumFragmentDuration?: number }) => unknown;
  StreamTarget: new (writable: WritableStream<MbChunk>, options?: { chunked?: boolean }) => unknown;
  EncodedVideoPacketSource: new (codec: 'avc') => MbSource;
  EncodedAudioPacketSource: new (codec: 'pcm-s16' | 'flac') => MbSource;
  EncodedPacket: MbPacketCtor;
}

let mediabunny: Promise<MediabunnyModule> | undefined;

/**
 * Loads the optional peer dependency `mediabunny`, once.
 *
 * @throws `RtmsError` `RTMS_INVALID_OPTIONS` (as a rejection) when it is not installed, naming the fix.
 * @internal
 */
export function loadMediabunny(): Promise<MediabunnyModule> {
  mediabunny ??= (import('mediabunny') as Promise<unknown>).then(
    (m) => {
      const mod = m as Partial<MediabunnyModule> & { default?: Partial<MediabunnyModule> };
      const pick = mod.Output === undefined ? mod.default : mod;
      if (pick?.Output === undefined || pick.Mp4OutputFormat === undefined || pick.StreamTarget === undefined || pick.EncodedPacket === undefined) {
        throw new Error('mediabunny exports no Output, Mp4OutputFormat, StreamTarget or EncodedPacket');
      }
      return pick as MediabunnyModule;
    },
    (cause: unknown) => {
      mediabunny = undefined;
      throw new RtmsError('RTMS_INVALID_OPTIONS', 'Recording H.264 video needs the optional peer dependency mediabunny: npm install mediabunny', { cause });
    },
  );
  return mediabunny;
}

/** The audio of an MP4 file: its format, and how it is stored (`flac`, lossless, or `pcm`, `ipcm`). */
export interface Mp4Audio {
  /** Sample rate, Hz. */
  readonly sampleRate: number;
  /** Channels. */
  readonly channels: number;
  /** Storage codec. */
  readonly codec: 'flac' | 'pcm';
}

/** What an MP4 file holds. */
export interface Mp4Tracks {
  /** The H.264 codec string (`avc1.PPCCLL`) and size of the first key frame. */
  readonly video: { readonly codec: string; readonly width: number; readonly height: number };
  /** Audio (fed as 16-bit PCM; stored as FLAC or as PCM), or none. */
  readonly audio: Mp4Audio | undefined;
}

/**
 * @internal A fragmented MP4 file fed with H.264 access units (Annex B, the first a key frame with SPS and PPS)
 * and 16-bit little-endian PCM. Calls must not overlap (the recorder runs them one after another); none throws
 * or rejects: the first error is kept in {@link error} and later calls do nothing.
 */
export class Mp4Writer {
  /** The first error met; undefined when none. */
  error: Error | undefined;
  /** Video access units written. */
  frames = 0;
  /** Audio sample frames written. */
  audioSamples = 0;
  private fd: number | undefined;
  private output: MbOutput | undefined;
  private video: MbSource | undefined;
  private audio: MbSource | undefined;
  private videoClosed = false;
  private started = false;
  private Packet: MbPacketCtor | undefined;

  constructor(
    readonly path: string,
    private readonly tracks: Mp4Tracks,
  ) {}

  /** Opens the file and starts the muxer. */
  async open(mb: MediabunnyModule): Promise<void> {
    try {
      this.fd = openSync(this.path, 'w');
      const writable = new WritableStream<MbChunk>({
        write: (chunk) => {
          // Fragmented output is written in order; the position is honoured anyway. After a failure the file is
          // closed, and a late write must not reach whatever file reuses the descriptor.
          if (this.fd === undefined) throw new Error('MP4 file closed');
          writeSync(this.fd, chunk.data, 0, chunk.data.byteLength, chunk.position);
        },
      });
      this.Packet = mb.EncodedPacket;
      this.output = new mb.Output({ format: new mb.Mp4OutputFormat({ fastStart: 'fragmented', minimumFragmentDuration: 1 }), target: new mb.StreamTarget(writable) });
      this.video = new mb.EncodedVideoPacketSource('avc');
      this.output.addVideoTrack(this.video);
      if (this.tracks.audio !== undefined) {
        this.audio = new mb.EncodedAudioPacketSource(this.tracks.audio.codec === 'flac' ? 'flac' : 'pcm-s16');
        this.output.addAudioTrack(this.audio);
      }
      await this.output.start();
      this.started = true;
    } catch (err) {
      this.fail(err);
    }
  }

  /** Adds an access unit at `seconds` (presentation time, strictly increasing) lasting `duration` seconds. */
  async addVideo(data: Uint8Array, seconds: number, duration: number, key: boolean): Promise<void> {
    if (!this.ok() || this.video === undefined || this.Packet === undefined || this.videoClosed) return;
    try {
      const meta =
        this.frames === 0
          ? { decoderConfig: { codec: this.tracks.video.codec, codedWidth: this.tracks.video.width, codedHeight: this.tracks.video.height } }
          : undefined;
      await this.video.add(new this.Packet(data, key ? 'key' : 'delta', seconds, duration), meta);
      this.frames++;
    } catch (err) {
      this.fail(err);
    }
  }

  /** Says no more video will come, so the audio is no longer held back to interleave with it. */
  closeVideo(): void {
    if (this.videoClosed) return;
    this.videoClosed = true;
    try {
      this.video?.close();
    } catch (err) {
      this.fail(err);
    }
  }

  /** Adds interleaved little-endian 16-bit PCM starting at `seconds`. */
  async addAudio(pcm: Uint8Array, seconds: number): Promise<void> {
    const a = this.tracks.audio;
    if (!this.ok() || this.audio === undefined || a === undefined || this.Packet === undefined || pcm.byteLength === 0) return;
    try {
      const samples = pcm.byteLength / 2 / a.channels;
      let meta: unknown;
      if (this.audioSamples === 0) {
        meta =
          a.codec === 'flac'
            ? { decoderConfig: { codec: 'flac', sampleRate: a.sampleRate, numberOfChannels: a.channels, description: flacDescription(a.sampleRate, a.channels, FLAC_BLOCK_LIMIT) } }
            : { decoderConfig: { codec: 'pcm-s16', sampleRate: a.sampleRate, numberOfChannels: a.channels } };
      }
      const data = a.codec === 'flac' ? flacFrame(pcm, a.sampleRate, a.channels, this.audioSamples) : pcm;
      await this.audio.add(new this.Packet(data, 'key', seconds, samples / a.sampleRate), meta);
      this.audioSamples += samples;
    } catch (err) {
      this.fail(err);
    }
  }

  /** Writes the last fragment and closes the file. Idempotent. A file with no video frame is left empty. */
  async finalize(): Promise<void> {
    const output = this.output;
    this.output = undefined;
    try {
      if (output !== undefined && this.started && this.error === undefined) {
        if (this.frames > 0) await output.finalize();
        else await output.cancel();
      }
    } catch (err) {
      this.error ??= toError(err);
    }
    this.closeFile();
  }

  private ok(): boolean {
    return this.started && this.error === undefined && this.output !== undefined;
  }

  private closeFile(): void {
    const fd = this.fd;
    this.fd = undefined;
    if (fd === undefined) return;
    const closeError = closeFd(fd); // always closed; the first error is kept
    this.error ??= closeError;
  }

  private fail(err: unknown): void {
    this.error ??= toError(err);
    const output = this.output;
    this.output = undefined;
    if (output !== undefined) void output.cancel().catch(() => undefined);
    this.closeFile();
  }
}
