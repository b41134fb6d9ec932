/**
 * The recorder: one call records a session, while it runs and with bounded memory, to
 *
 * - `<name>-mixed.wav`: every speaker mixed;
 * - `<name>-<track>.wav`: one per speaker (`user-<id>`), or per channel for Contact Center and Zoom Phone
 *   (`channel-<id>`); all the WAVs are sample-aligned and of equal length (a speaker who joins late starts
 *   with silence, one who is muted is silent);
 * - `<name>.vtt` and `<name>.srt`: the transcript as captions with speaker names, on the recording's clock;
 * - `<name>-chat.jsonl`: chat, one JSON object a line;
 * - `<name>-video.mp4` (active speaker) and `<name>-share.mp4` (screen share): H.264 video muxed with the mixed
 *   audio, as fragmented MP4, when the session sends H.264 and the optional peer dependency `mediabunny` is
 *   installed; `-video-2.mp4`, ... when the picture size changes (see {@link RecordedVideo} and
 *   video-recorder.ts for the rules);
 * - `<name>-video-frames/` and `<name>-share-frames/`: JPG and PNG frames (sent at 5 fps or less), one image file
 *   a frame, named by its offset on the recording's clock in ms, zero-padded (`000012345.jpg`, so names sort by
 *   time), the extension from the bytes; with `<name>-video-frames.jsonl` and `<name>-share-frames.jsonl`, one JSON
 *   line per image (see stills.ts for the rules). Created at the first image only.
 *
 * While recording, the WAV headers say "length unknown" (see {@link WavWriter}), so a process that dies
 * mid-meeting leaves files that ffmpeg and players read up to the last chunk written; captions and chat are
 * appended a cue or a line at a time, and each image file is complete before its index line is written; the MP4s
 * are fragmented (one fragment per key-frame interval, about a second or more), so ffmpeg reads every complete
 * fragment. When the session ends the headers are patched, the
 * last fragments written and every file closed.
 *
 * What plays where (see {@link RecordOptions.videoAudio}): by default the MP4s hold H.264 with FLAC audio
 * (lossless), which ffmpeg (checked with 5.1), ffplay and VLC play, and which Chrome, Edge and Firefox play by
 * their documented codec support (Safari not verified; no test runs a browser). `videoAudio: 'pcm'` stores
 * 16-bit PCM (`ipcm`) instead, which ffmpeg plays and no browser does; `'none'` writes H.264 alone, which every
 * browser that plays H.264 in MP4 plays, with the audio in the WAVs.
 */
import { mkdirSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { ChatMessage, TranscriptEvent, UserId, VideoFrame } from '../events.js';
import type { AudioDecoderOptions } from './decoder.js';
import { WEBVTT_HEADER, srtCue, vttCue, type CaptionCue } from './captions.js';
import { sessionTimeline, type MediaSession } from './session-audio.js';
import type { AudioChunk, AudioTimeline, TimelineSampleRate, TimelineStats } from './timeline.js';
import { TextFile } from './text-file.js';
import { WavWriter, closeFd, toError } from './wav-writer.js';
import { VideoRecorder, type RecordedVideo, type VideoKind } from './video-recorder.js';
import { RtmsError } from '../errors.js';

/** Options of {@link recordSession}. */
export interface RecordOptions {
  /** Directory for the files; created when missing. */
  dir: string;
  /** File name prefix. Default: the session id, with characters other than `A-Za-z0-9._-` replaced by `_`. */
  name?: string;
  /** WAV sample rate. Default 16000. */
  sampleRate?: TimelineSampleRate;
  /** WAV channels. Default 1. */
  channels?: 1 | 2;
  /** Jitter buffer, ms (see {@link AudioTimeline}). Default 200. */
  latencyMs?: number;
  /** Write a WAV per speaker (or per channel) besides the mix. Default true. */
  perTrack?: boolean;
  /** Write the transcript as WebVTT and SRT. Default true. */
  captions?: boolean;
  /** Write chat as JSON lines. Default true. */
  chat?: boolean;
  /** Which G.711 law `G711` audio is; see {@link AudioDecoderOptions.g711}. Default `alaw`. */
  g711?: 'alaw' | 'ulaw';
  /**
   * Record video and screen share: H.264 to fragmented MP4 (needs the optional peer dependency `mediabunny`;
   * without it the frames are counted in {@link RecordedVideo.drops} `unavailable` and the error is reported
   * in {@link RecordingResult.errors}), and JPG and PNG frames as image files (see {@link stills}). `false`
   * records neither and does not listen for video or share frames. Default true.
   */
  video?: boolean;
  /**
   * Write JPG and PNG frames of video and screen share (RTMS sends them at 5 fps or less) as image files, one a
   * frame, in `<name>-video-frames/` and `<name>-share-frames/`, each with an index, `<name>-video-frames.jsonl`
   * and `<name>-share-frames.jsonl` (see {@link recordSession}). `false` counts them only
   * ({@link RecordedVideo.images}). Applies only while {@link video} is on. Default true.
   */
  stills?: boolean;
  /**
   * How the MP4s hold the mixed audio (the WAVs' rate and channels, bit-exact):
   * - `flac` (default): FLAC, lossless; ffmpeg, ffplay and VLC play it, and so do Chrome, Edge and Firefox by
   *   their documented support of FLAC in MP4 (Safari not verified). Written by a small built-in encoder that
   *   stores samples verbatim (silence as one value), so it is about the size of the PCM.
   * - `pcm`: 16-bit PCM (`ipcm`, ISO/IEC 23003-5); ffmpeg (5.1 and later) plays it, no browser does.
   * - `none`: no audio track, H.264 alone; the audio is only in the WAVs, on the same clock.
   */
  videoAudio?: 'flac' | 'pcm' | 'none';
  /**
   * Longest MP4 file, ms: the first key frame after a file has run this long starts the next file
   * (`-video-2.mp4`, ...), which bounds memory (the muxer keeps a small record of every packet of a file until it
   * is closed: about 13 MB an hour of 15 fps video with its audio). Default 3 600 000 (an hour); at least 10 000.
   */
  videoMaxFileMs?: number;
}

/** A per-speaker (or per-channel) WAV of a recording. */
export interface RecordedTrack {
  /** The timeline's track key (`user:<id>`, `channel:<id>`). */
  readonly key: string;
  /** Speaker, when known. */
  readonly userId: UserId | undefined;
  /** Speaker's latest name, when known. */
  readonly userName: string | undefined;
  /** Channel (Contact Center, Zoom Phone), when known. */
  readonly channelId: string | undefined;
  /** The WAV file. */
  readonly path: string;
}

/** What a finished recording wrote. */
export interface RecordingResult {
  /** The mixed WAV. */
  readonly mixed: string;
  /** The per-speaker or per-channel WAVs. */
  readonly tracks: readonly RecordedTrack[];
  /** The WebVTT captions, when written. */
  readonly vtt: string | undefined;
  /** The SRT captions, when written. */
  readonly srt: string | undefined;
  /** The chat log (JSON lines), when written. */
  readonly chat: string | undefined;
  /** The recording's start (its clock's zero), Unix ms; undefined when nothing was recorded. */
  readonly start: number | undefined;
  /** Sample frames in every WAV. */
  readonly samples: number;
  /** Duration of every WAV, ms. */
  readonly durationMs: number;
  /** Caption cues written. */
  readonly cues: number;
  /** Chat lines written. */
  readonly chatMessages: number;
  /** The timeline's counters (late, duplicate, undecodable frames, ...). */
  readonly stats: Readonly<TimelineStats>;
  /** File errors met (a full disk, a closed directory), as messages; empty when every write succeeded. */
  readonly errors: readonly string[];
  /**
   * The active speaker's video: its MP4 files (none when no H.264 was recorded), its JPG and PNG frames as image
   * files ({@link RecordedVideo.stills}: directory, index, counts; undefined when none), and frame counts.
   */
  readonly video: RecordedVideo;
  /** The screen share, as {@link video}. */
  readonly share: RecordedVideo;
}

/** The video events of a session (an `RtmsSession` emits them); the recorder listens when the session has them. */
interface VideoEvents {
  on(event: VideoKind, listener: (frame: VideoFrame) => void): unknown;
  off(event: VideoKind, listener: (frame: VideoFrame) => void): unknown;
}

/** A recording under way. */
export interface Recording {
  /** The audio timeline being recorded (its stats, its tracks). */
  readonly timeline: AudioTimeline;
  /** Settles with the result once every file is finalised (when the session ends, or after {@link stop}). Never rejects. */
  readonly done: Promise<RecordingResult>;
  /** Stops recording now, before the session ends, and finalises the files. Idempotent. */
  stop(): Promise<RecordingResult>;
}

/** Most captions and chat lines held while the recording's clock has no start yet (no audio so far). */
const MAX_PENDING = 1000;
/** Bytes of the WAV header before the samples (see {@link WavWriter}). */
const WAV_HEADER_BYTES = 44;

function safe(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_');
}

type Pending = { kind: 'transcript'; t: TranscriptEvent; ts: number } | { kind: 'chat'; c: ChatMessage; ts: number };

/**
 * Records a session to files in `options.dir` and finalises them when the session ends. Never throws into the
 * session's events; file errors end up in {@link RecordingResult.errors}.
 *
 * What is written, `<name>` being {@link RecordOptions.name}:
 *
 * | File | Content |
 * |---|---|
 * | `<name>-mixed.wav` | every speaker mixed, 16-bit PCM |
 * | `<name>-user-<id>.wav`, `<name>-channel-<id>.wav` | one per speaker (or channel), sample-aligned with the mix |
 * | `<name>.vtt`, `<name>.srt` | the transcript as captions, on the WAVs' clock |
 * | `<name>-chat.jsonl` | chat, one JSON object a line |
 * | `<name>-video.mp4`, `<name>-share.mp4` (`-2.mp4`, ...) | H.264 video and screen share with the mixed audio |
 * | `<name>-video-frames/`, `<name>-share-frames/` | JPG and PNG frames, one image file a frame: `000012345.jpg` is the frame at 12.345 s on the WAVs' clock (9 digits, zero-padded, so names sort by time; `_002`, ... when a name is taken; `.jpg` or `.png` from the bytes) |
 * | `<name>-video-frames.jsonl`, `<name>-share-frames.jsonl` | the images' index, one line each: `{"t":12345,"timestamp":1700000012345,"userId":16778240,"userName":"Ada","file":"<name>-video-frames/000012345.jpg","bytes":48213}` (`t` ms on the WAVs' clock, `timestamp` Zoom's Unix ms, `file` relative to the index's directory) |
 *
 * The result lists them: {@link RecordingResult.video} and {@link RecordingResult.share} hold the MP4 files
 * ({@link RecordedVideo.files}) and the images ({@link RecordedVideo.stills}: directory, index, counts). A frame
 * that is neither a JPEG nor a PNG when JPG or PNG was negotiated is counted in `drops.corrupt` and skipped.
 *
 * @example
 * ```ts
 * client.on('session', (session) => {
 *   const rec = recordSession(session, { dir: 'recordings' });
 *   rec.done.then((r) => report(r.mixed, r.tracks.map((t) => t.path), r.vtt)); // report: your own code
 * });
 * ```
 *
 * @throws `RtmsError` (from `rtms-client`) `RTMS_INVALID_OPTIONS` for a bad rate, channel count, latency or
 * `videoMaxFileMs`.
 */
export function recordSession(session: MediaSession, options: RecordOptions): Recording {
  const name = safe(options.name ?? session.id);
  const sampleRate = options.sampleRate ?? 16000;
  const channels = options.channels ?? 1;
  const perTrack = options.perTrack ?? true;
  const videoMaxFileMs = options.videoMaxFileMs ?? 3_600_000;
  if (!(Number.isFinite(videoMaxFileMs) && videoMaxFileMs >= 10_000)) {
    throw new RtmsError('RTMS_INVALID_OPTIONS', `videoMaxFileMs must be a number of ms, at least 10000 (got ${String(options.videoMaxFileMs)})`);
  }
  const abort = new AbortController();
  const timeline = sessionTimeline(session, {
    sampleRate,
    channels,
    chunkMs: 100,
    tracks: perTrack,
    signal: abort.signal,
    ...(options.latencyMs === undefined ? {} : { latencyMs: options.latencyMs }),
    ...(options.g711 === undefined ? {} : { g711: options.g711 }),
  });
  const errors: string[] = [];
  try {
    mkdirSync(options.dir, { recursive: true });
  } catch (err) {
    errors.push(`cannot create ${options.dir}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const path = (suffix: string): string => join(options.dir, `${name}${suffix}`);
  const mixed = new WavWriter(path('-mixed.wav'), sampleRate, channels);
  const trackFiles = new Map<string, WavWriter>();
  const vtt = options.captions === false ? undefined : new TextFile(path('.vtt'), WEBVTT_HEADER);
  const srt = options.captions === false ? undefined : new TextFile(path('.srt'), '');
  const chat = options.chat === false ? undefined : new TextFile(path('-chat.jsonl'), '');
  let cues = 0;
  let chatMessages = 0;
  let lastCueStart = 0;
  const pending: Pending[] = [];

  let audioReadFd: number | undefined;
  let audioReadFailed = false;
  const readAudio = (from: number, count: number): Uint8Array => {
    const out = new Uint8Array(count * channels * 2);
    if (audioReadFailed) return out;
    try {
      audioReadFd ??= openSync(mixed.path, 'r');
      let done = 0;
      while (done < out.length) {
        const n = readSync(audioReadFd, out, done, out.length - done, WAV_HEADER_BYTES + from * channels * 2 + done);
        if (n <= 0) break;
        done += n;
      }
    } catch (err) {
      audioReadFailed = true;
      errors.push(`cannot read ${mixed.path} back for the MP4 audio: ${toError(err).message}`);
    }
    return out;
  };
  const videoErrors = new Set<string>();
  let videoClock: number | undefined;
  const makeVideo = (kind: VideoKind): VideoRecorder =>
    new VideoRecorder(kind, {
      path: (n) => path(`-${kind}${n === 1 ? '' : `-${n}`}.mp4`),
      maxFileMs: videoMaxFileMs,
      audio: options.videoAudio === 'none' ? undefined : { sampleRate, channels, codec: options.videoAudio ?? 'flac' },
      audioAvailable: () => mixed.samples,
      audioWrittenMs: () => (mixed.samples * 1000) / sampleRate,
      readAudio,
      clockStart: () => timeline.start ?? videoClock,
      setClockStart: (ts) => {
        // After the timeline has ended (frames held with no clock until the end) it keeps no new start.
        if (!timeline.setStart(ts) && timeline.start === undefined) videoClock ??= ts;
      },
      error: (message) => {
        if (videoErrors.has(message)) return;
        videoErrors.add(message);
        errors.push(message);
      },
      stills: options.stills === false ? undefined : { dir: path(`-${kind}-frames`), index: path(`-${kind}-frames.jsonl`), relDir: `${name}-${kind}-frames` },
    });
  const video = makeVideo('video');
  const share = makeVideo('share');
  const onVideo = (frame: VideoFrame): void => video.onFrame(frame);
  const onShare = (frame: VideoFrame): void => share.onFrame(frame);
  const videoSession = session as unknown as VideoEvents;
  let videoListening = false;
  if (options.video !== false) {
    try {
      videoSession.on('video', onVideo);
      videoSession.on('share', onShare);
      videoListening = true;
    } catch (err) {
      errors.push(`cannot listen to video: ${toError(err).message}`);
    }
  }

  const onChunk = (chunk: AudioChunk): void => {
    mixed.write(chunk.mixed);
    for (const [key, pcm] of chunk.tracks) {
      if (key === 'mixed') continue; // mixed audio (user 0) is the mix itself
      let w = trackFiles.get(key);
      if (w === undefined) {
        w = new WavWriter(path(`-${safe(key.replace(':', '-'))}.wav`), sampleRate, channels);
        w.writeSilence(chunk.startSample);
        trackFiles.set(key, w);
      }
      w.write(pcm);
    }
    video.onAudio();
    share.onAudio();
  };
  const detachChunks = timeline.onChunk(onChunk);

  const writeCue = (t: TranscriptEvent, start: number): void => {
    const begin = t.startTime ?? t.timestamp ?? start;
    let startMs = Math.max(0, begin - start, lastCueStart);
    const estimated = Math.min(8000, Math.max(1000, t.text.length * 60));
    let endMs = t.endTime !== undefined && t.endTime > begin ? t.endTime - start : startMs + estimated;
    startMs = Math.round(startMs);
    endMs = Math.max(Math.round(endMs), startMs + 1);
    lastCueStart = startMs;
    const cue: CaptionCue = { startMs, endMs, speaker: t.userName ?? (t.userId === undefined ? t.channelId : String(t.userId)), text: t.text };
    cues++;
    vtt?.append(vttCue(cues, cue));
    srt?.append(srtCue(cues, cue));
  };
  const writeChat = (c: ChatMessage, start: number): void => {
    const ts = c.timestamp ?? start;
    chatMessages++;
    chat?.append(
      `${JSON.stringify({ t: Math.max(0, Math.round(ts - start)), timestamp: c.timestamp ?? null, userId: c.userId ?? null, userName: c.userName ?? null, text: c.text, ...(c.payload === undefined ? {} : { payload: c.payload }) })}\n`,
    );
  };
  const drain = (start: number): void => {
    for (const p of pending.splice(0)) {
      if (p.kind === 'transcript') writeCue(p.t, start);
      else writeChat(p.c, start);
    }
  };
  const handle = (p: Pending): void => {
    const start = timeline.start;
    if (start === undefined) {
      pending.push(p);
      if (pending.length > MAX_PENDING) {
        // No audio for a long while: fix the clock at the earliest pending item, so memory stays bounded.
        const first = Math.min(...pending.map((x) => x.ts));
        timeline.setStart(first);
        drain(first);
      }
      return;
    }
    drain(start);
    if (p.kind === 'transcript') writeCue(p.t, start);
    else writeChat(p.c, start);
  };
  const onTranscript = (t: TranscriptEvent): void => {
    if (vtt === undefined && srt === undefined) return;
    handle({ kind: 'transcript', t, ts: t.startTime ?? t.timestamp ?? Date.now() });
  };
  const onChat = (c: ChatMessage): void => {
    if (chat === undefined) return;
    handle({ kind: 'chat', c, ts: c.timestamp ?? Date.now() });
  };
  session.on('transcript', onTranscript);
  session.on('chat', onChat);

  const done = timeline.ended.then(async (): Promise<RecordingResult> => {
    session.off('transcript', onTranscript);
    session.off('chat', onChat);
    if (videoListening) {
      try {
        videoSession.off('video', onVideo);
        videoSession.off('share', onShare);
      } catch {
        // A session that let us subscribe but not unsubscribe: nothing more reaches the finished recorders.
      }
    }
    detachChunks();
    const [videoResult, shareResult] = await Promise.all([video.finish(), share.finish()]);
    const closeError = audioReadFd === undefined ? undefined : closeFd(audioReadFd);
    if (closeError !== undefined) errors.push(`${mixed.path}: ${closeError.message}`);
    const start = timeline.start ?? videoClock ?? (pending.length > 0 ? Math.min(...pending.map((x) => x.ts)) : undefined);
    if (start !== undefined) drain(start);
    const files = [mixed, ...trackFiles.values()];
    for (const f of files) f.close();
    for (const f of [vtt, srt, chat]) f?.close();
    for (const f of [...files, vtt, srt, chat]) if (f?.error) errors.push(`${f.path}: ${f.error.message}`);
    const info = new Map(timeline.tracks.map((t) => [t.key, t]));
    return {
      mixed: mixed.path,
      tracks: [...trackFiles].map(([key, w]) => ({
        key,
        userId: info.get(key)?.userId,
        userName: info.get(key)?.userName,
        channelId: info.get(key)?.channelId,
        path: w.path,
      })),
      vtt: vtt?.path,
      srt: srt?.path,
      chat: chat?.path,
      start,
      samples: mixed.samples,
      durationMs: (mixed.samples * 1000) / sampleRate,
      cues,
      chatMessages,
      stats: { ...timeline.stats },
      errors,
      video: videoResult,
      share: shareResult,
    };
  });
  return {
    timeline,
    done,
    stop(): Promise<RecordingResult> {
      abort.abort();
      return done;
    },
  };
}
