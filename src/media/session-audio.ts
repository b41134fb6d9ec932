/**
 * A session's audio on a timeline: each track's frames decoded by its own decoder, placed on one clock that
 * starts at FIRST_PACKET_TIMESTAMP, and the timeline ended when the session ends.
 */
import type { AudioFormat, AudioFrame, ChatMessage, TranscriptEvent } from '../events.js';
import { createAudioDecoder, createAudioDecoderSync, type AudioDecoder, type AudioDecoderOptions } from './decoder.js';
import { AudioTimeline, trackKey, type TimelineOptions } from './timeline.js';

/** Options of {@link sessionTimeline}: the timeline's and the decoders'. */
export interface SessionTimelineOptions extends TimelineOptions, Pick<AudioDecoderOptions, 'g711'> {
  /**
   * Most frames held per track while its decoder loads (only Opus loads: its WebAssembly, once). Default 3000:
   * 60 s of 20 ms packets, Zoom's largest buffered backlog. Frames past that count in `stats.decodeErrors`.
   */
  maxPendingFrames?: number;
  /** Ends the timeline early (as if the session had ended) when aborted. */
  signal?: AbortSignal;
}

/**
 * What `rtms-client/media` needs of a session: an `RtmsSession` fits (its events, as it emits them), and so does a
 * stand-in in tests. Declared here rather than borrowed from `RtmsSession`, so these declarations stay apart from
 * the core's.
 */
export interface MediaSession {
  /** The stream id (names the recorder's files). */
  readonly id: string;
  /** Subscribes to audio frames. */
  on(event: 'audio', listener: (frame: AudioFrame) => void): unknown;
  /** Subscribes to FIRST_PACKET_TIMESTAMP. */
  on(event: 'firstPacket', listener: (timestamp: number | undefined) => void): unknown;
  /** Subscribes to transcript utterances. */
  on(event: 'transcript', listener: (t: TranscriptEvent) => void): unknown;
  /** Subscribes to chat messages. */
  on(event: 'chat', listener: (c: ChatMessage) => void): unknown;
  /** Unsubscribes from audio frames. */
  off(event: 'audio', listener: (frame: AudioFrame) => void): unknown;
  /** Unsubscribes from FIRST_PACKET_TIMESTAMP. */
  off(event: 'firstPacket', listener: (timestamp: number | undefined) => void): unknown;
  /** Unsubscribes from transcript utterances. */
  off(event: 'transcript', listener: (t: TranscriptEvent) => void): unknown;
  /** Unsubscribes from chat messages. */
  off(event: 'chat', listener: (c: ChatMessage) => void): unknown;
  /** Settles when the session has ended. */
  closed(): Promise<unknown>;
}

interface TrackDecoder {
  decoder: AudioDecoder | undefined;
  failed: boolean;
  loading?: boolean;
  pending: AudioFrame[];
}

function sameCodec(a: AudioFormat, b: AudioFormat): boolean {
  return a === b || (a.codec === b.codec && a.contentType === b.contentType && a.sampleRate === b.sampleRate && a.channels === b.channels);
}

function decoderOptionsOf(options: SessionTimelineOptions): AudioDecoderOptions {
  return options.g711 === undefined ? {} : { g711: options.g711 };
}

/**
 * Feeds a session's audio into a new {@link AudioTimeline} and ends it when the session ends (after the last
 * frame is placed), so its iterators and streams finish. Decoders are made per track, as the first frame of each
 * arrives; their packet errors count in `stats.decodeErrors`. Never throws into the session's events.
 *
 * @example
 * ```ts
 * const timeline = sessionTimeline(session, { sampleRate: 16000, chunkMs: 100, tracks: false });
 * for await (const chunk of timeline.chunks()) stt.send(Buffer.from(chunk.mixed.buffer));
 * ```
 */
export function sessionTimeline(session: MediaSession, options: SessionTimelineOptions = {}): AudioTimeline {
  const timeline = new AudioTimeline(options);
  const maxPending = options.maxPendingFrames ?? 3000;
  const decoders = new Map<string, TrackDecoder>();
  const loading = new Set<Promise<unknown>>();
  const place = (frame: AudioFrame, key: string, decoder: AudioDecoder): void => {
    const before = decoder.errors;
    const pcm = decoder.decode(frame.data);
    timeline.stats.decodeErrors += decoder.errors - before;
    timeline.push({
      key,
      pcm,
      sampleRate: decoder.sampleRate,
      channels: decoder.channels,
      timestamp: frame.timestamp,
      userId: frame.userId,
      userName: frame.userName,
      channelId: frame.channelId,
    });
  };
  const onAudio = (frame: AudioFrame): void => {
    if (timeline.isEnded) return;
    const key = trackKey(frame);
    let t = decoders.get(key);
    if (t !== undefined && t.decoder !== undefined && !sameCodec(t.decoder.format, frame.format)) {
      // A reconnect settled another codec, rate or channel count: a new decoder for this track.
      t.decoder.close();
      t = undefined;
    }
    if (t === undefined) {
      const entry: TrackDecoder = { decoder: undefined, failed: false, pending: [] };
      t = entry;
      decoders.set(key, entry);
      try {
        // L16, G.711 and G.722 decoders are made at once: a burst of frames never waits.
        entry.decoder = createAudioDecoderSync(frame.format, decoderOptionsOf(options));
      } catch {
        entry.failed = true;
      }
    }
    if (t.decoder === undefined && !t.failed && t.loading !== true) {
      const entry = t;
      entry.loading = true;
      const p = createAudioDecoder(frame.format, decoderOptionsOf(options)).then(
        (decoder) => {
          if (timeline.isEnded) {
            decoder.close();
            return;
          }
          entry.decoder = decoder;
          for (const f of entry.pending.splice(0)) place(f, key, decoder);
        },
        () => {
          entry.failed = true;
          timeline.stats.decodeErrors += entry.pending.length;
          entry.pending.length = 0;
        },
      );
      loading.add(p);
      void p.finally(() => loading.delete(p));
    }
    if (t.failed) {
      timeline.stats.decodeErrors++;
    } else if (t.decoder === undefined) {
      if (t.pending.length >= maxPending) timeline.stats.decodeErrors++;
      else t.pending.push(frame);
    } else {
      place(frame, key, t.decoder);
    }
  };
  const onFirstPacket = (ts: number | undefined): void => {
    if (ts !== undefined) timeline.setStart(ts);
  };
  let finishing = false;
  const finish = async (): Promise<void> => {
    if (finishing) return;
    finishing = true;
    session.off('audio', onAudio);
    session.off('firstPacket', onFirstPacket);
    options.signal?.removeEventListener('abort', onAbort);
    await Promise.allSettled([...loading]);
    timeline.end();
    for (const t of decoders.values()) t.decoder?.close();
    decoders.clear();
  };
  const onAbort = (): void => void finish();
  session.on('audio', onAudio);
  session.on('firstPacket', onFirstPacket);
  if (options.signal?.aborted) void finish();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  void session.closed().then(finish, finish);
  return timeline;
}
