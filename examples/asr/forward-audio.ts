/**
 * Forwards a session's audio to a speech-to-text (ASR) service: one ASR stream per speaker when Zoom sends one
 * audio stream per participant (`audio.dataOption: 'multi'`), one per channel for Contact Center, or one for the
 * mixed stream. Audio is read through `session.audio({ highWaterMark, overflow })`, so a slow ASR service can
 * never make memory grow: past `highWaterMark` frames, the oldest are dropped and counted.
 *
 *   npx tsx examples/asr/forward-audio.ts --simulate            # a simulated meeting into the fake ASR below
 *   npx tsx examples/asr/forward-audio.ts --simulate --slow     # a fake ASR too slow for real time: frames dropped
 *   npx tsx examples/asr/forward-audio.ts --simulate --mixed    # one mixed stream instead of one per speaker
 *   ZOOM_CLIENT_ID=... ZOOM_CLIENT_SECRET=... ZOOM_SECRET_TOKEN=... npx tsx examples/asr/forward-audio.ts
 *
 * The service sits behind a two-method adapter ({@link SpeechToText}, {@link AsrStream}). {@link FakeAsr} is a
 * deterministic stand-in used by `--simulate` and the tests. To plug a real service, write an adapter like the
 * sketch below; nothing else changes.
 *
 * ```ts
 * // A sketch for a WebSocket streaming ASR service (names are made up; check your vendor's docs).
 * import WebSocket from 'ws';
 * import { once } from 'node:events';
 *
 * class VendorAsr implements SpeechToText {
 *   async open(format: AudioFormat, meta: AsrStreamMeta, onResult: (r: AsrResult) => void): Promise<AsrStream> {
 *     if (format.codec !== 'L16') throw new Error(`send L16 to this service, not ${format.codec}`);
 *     const url = `wss://asr.example.com/v1/listen?encoding=linear16&sample_rate=${format.sampleRate}&channels=${format.channels}`;
 *     const ws = new WebSocket(url, { headers: { authorization: `Token ${process.env.ASR_API_KEY}` } });
 *     await once(ws, 'open');
 *     ws.on('message', (m) => {
 *       const r = JSON.parse(String(m)) as { transcript?: string; is_final?: boolean };
 *       if (r.transcript) onResult({ text: r.transcript, isFinal: r.is_final === true });
 *     });
 *     return {
 *       // Resolving only once the bytes are handed to the socket is what gives backpressure: while the vendor
 *       // is slow, the forwarder waits here and the session's bounded buffer absorbs (then drops) audio.
 *       write: (chunk) => new Promise<void>((resolve, reject) => ws.send(chunk, (err) => (err ? reject(err) : resolve()))),
 *       close: async () => {
 *         ws.send(JSON.stringify({ type: 'CloseStream' })); // flush: the vendor sends its last results, then closes
 *         await once(ws, 'close');
 *       },
 *     };
 *   }
 * }
 * ```
 *
 * Ask Zoom for the format the service wants (`mediaParams.audio`: L16 16 kHz mono is the default; most streaming
 * ASR services take it as "linear16"), so no transcoding is needed here.
 */
import { createHash } from 'node:crypto';
import { RtmsClient, type AudioFormat, type AudioFrame, type OverflowPolicy, type RtmsSession, type UserId } from 'rtms-client';
import { exampleCredentials, serveWebhooks, simulateMeeting, simulating } from '../shared/app.js';

/** One recognition result from an ASR stream. */
export interface AsrResult {
  /** Recognised text. */
  readonly text: string;
  /** True for a final result; false for an interim one that a later result may revise. */
  readonly isFinal: boolean;
}

/** Who and what an ASR stream is for. */
export interface AsrStreamMeta {
  /** RTMS stream id of the session. */
  readonly streamId: string;
  /** Stable key of the audio source: `mixed`, `user:<userId>` or `channel:<channelId>` (Contact Center). */
  readonly key: string;
  /** Human-readable speaker: the participant's name, `channel <id>`, or `mixed`. */
  readonly speaker: string;
  /** The participant (per-participant audio); undefined for mixed audio and Contact Center. */
  readonly userId: UserId | undefined;
  /** The Contact Center channel; undefined for other products. */
  readonly channelId: string | undefined;
}

/** One open recognition stream at the ASR service. */
export interface AsrStream {
  /**
   * Sends one chunk of audio. Return a promise to apply backpressure: the forwarder sends nothing more to any
   * stream until it settles, and the session's bounded buffer takes up the slack. A rejection closes this stream
   * (a new one is opened for the speaker's next audio).
   */
  write(chunk: Buffer): void | Promise<void>;
  /** Ends the stream: flush, deliver the last results, release the connection. */
  close(): Promise<void>;
}

/** The adapter to a speech-to-text service. */
export interface SpeechToText {
  /** Opens a recognition stream for audio in `format`; `onResult` receives its results until it is closed. */
  open(format: AudioFormat, meta: AsrStreamMeta, onResult: (result: AsrResult) => void): Promise<AsrStream>;
}

/** Options of {@link forwardAudio}. */
export interface ForwardAudioOptions {
  /** Audio frames buffered while the ASR service is slow (all speakers together). Default 500 (10 s of 20 ms frames). */
  highWaterMark?: number;
  /** What to do when the buffer is full. Default `drop-oldest`: live recognition wants the newest audio. */
  overflow?: OverflowPolicy;
  /** Close a participant's ASR stream when they leave the meeting (PARTICIPANT_LEAVE). Default true. */
  closeOnLeave?: boolean;
  /** Every result, with the stream it came from. */
  onResult?: (result: AsrResult, meta: AsrStreamMeta) => void;
  /** An ASR stream failed to open, write or close (the forwarder goes on). */
  onError?: (error: unknown, meta: AsrStreamMeta | undefined) => void;
  /** Stops forwarding (open ASR streams are closed). */
  signal?: AbortSignal;
}

/** What one ASR stream received. */
export interface AsrStreamSummary {
  /** Whose audio it was. */
  readonly meta: AsrStreamMeta;
  /** Frames written to it. */
  readonly frames: number;
  /** Bytes written to it. */
  readonly bytes: number;
  /** Results it produced. */
  readonly results: number;
}

/** How forwarding went, once the session (or the signal) ended it. */
export interface ForwardSummary {
  /** Frames written to an ASR stream. */
  readonly forwarded: number;
  /** Frames the bounded buffer discarded because the ASR service was too slow. */
  readonly dropped: number;
  /** Frames read but not delivered: their ASR stream could not be opened (it is not retried), or the write failed. */
  readonly unforwarded: number;
  /** Every ASR stream opened, in order; all are closed by the time the summary exists. */
  readonly streams: readonly AsrStreamSummary[];
  /** Set when forwarding stopped on an error (an `overflow: 'error'` buffer overflow). */
  readonly error: unknown;
}

/** A running forwarder. */
export interface AudioForwarder {
  /** Frames discarded by the bounded buffer so far. */
  readonly dropped: number;
  /** Frames waiting in the buffer now (never more than `highWaterMark`). */
  readonly buffered: number;
  /** ASR streams open now. */
  readonly openStreams: number;
  /** Resolves (never rejects) when the session ends, after every buffered frame was handled and every ASR stream closed. */
  readonly done: Promise<ForwardSummary>;
}

/** Which audio source a frame belongs to, and the name to show for it. */
export function speakerOf(session: RtmsSession, frame: AudioFrame): AsrStreamMeta {
  if (frame.channelId !== undefined) {
    return { streamId: session.id, key: `channel:${frame.channelId}`, speaker: `channel ${frame.channelId}`, userId: undefined, channelId: frame.channelId };
  }
  if (frame.userId === undefined || frame.userId === 0 || frame.format.dataOption === 'mixed') {
    return { streamId: session.id, key: 'mixed', speaker: 'mixed', userId: undefined, channelId: undefined };
  }
  const name = frame.userName ?? session.participants.get(frame.userId)?.userName ?? `user ${frame.userId}`;
  return { streamId: session.id, key: `user:${frame.userId}`, speaker: name, userId: frame.userId, channelId: undefined };
}

interface Entry {
  readonly meta: AsrStreamMeta;
  asr: AsrStream | undefined;
  /** The last write (or the close), so a close never overtakes a write in flight. */
  last: Promise<void>;
  frames: number;
  bytes: number;
  results: number;
}

/**
 * Forwards `session`'s audio to `asr` until the session ends: one ASR stream per speaker (per-participant
 * audio), per channel (Contact Center), or one for mixed audio. Start it in the client's `session` listener.
 */
export function forwardAudio(session: RtmsSession, asr: SpeechToText, options: ForwardAudioOptions = {}): AudioForwarder {
  const frames = session.audio({
    highWaterMark: options.highWaterMark ?? 500,
    overflow: options.overflow ?? 'drop-oldest',
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const live = new Map<string, Entry>();
  const all: Entry[] = [];
  const closing: Promise<void>[] = [];
  const report = (err: unknown, meta: AsrStreamMeta | undefined): void => {
    try {
      options.onError?.(err, meta);
    } catch {
      // a throwing error callback must not stop the audio
    }
  };

  const closeEntry = (entry: Entry): void => {
    if (live.get(entry.meta.key) === entry) live.delete(entry.meta.key);
    const asrStream = entry.asr;
    entry.asr = undefined;
    if (asrStream === undefined) return;
    entry.last = entry.last.then(() => asrStream.close()).catch((err: unknown) => report(err, entry.meta));
    closing.push(entry.last);
  };

  const onLeave = (e: { participants: readonly { userId: UserId }[] }): void => {
    for (const p of e.participants) {
      const entry = live.get(`user:${p.userId}`);
      if (entry) closeEntry(entry);
    }
  };
  if (options.closeOnLeave !== false) session.on('participantLeave', onLeave);

  const open = async (frame: AudioFrame): Promise<Entry> => {
    const meta = speakerOf(session, frame);
    const entry: Entry = { meta, asr: undefined, last: Promise.resolve(), frames: 0, bytes: 0, results: 0 };
    live.set(meta.key, entry);
    all.push(entry);
    try {
      entry.asr = await asr.open(frame.format, meta, (result) => {
        entry.results++;
        try {
          options.onResult?.(result, meta);
        } catch (err) {
          report(err, meta);
        }
      });
    } catch (err) {
      report(err, meta); // frames for this source stay unforwarded until the session ends
    }
    if (live.get(meta.key) !== entry) closeEntry(entry); // the speaker left while the stream was opening
    return entry;
  };

  let forwarded = 0;
  let unforwarded = 0;
  const done = (async (): Promise<ForwardSummary> => {
    let error: unknown;
    try {
      for await (const frame of frames) {
        const entry = live.get(speakerOf(session, frame).key) ?? (await open(frame));
        const asrStream = entry.asr;
        if (asrStream === undefined) {
          unforwarded++;
          continue;
        }
        const write = entry.last.then(() => asrStream.write(frame.data));
        entry.last = write.catch(() => undefined);
        try {
          await write; // backpressure: nothing more is read until the service took this chunk
          entry.frames++;
          entry.bytes += frame.data.length;
          forwarded++;
        } catch (err) {
          unforwarded++;
          report(err, entry.meta);
          closeEntry(entry); // the speaker's next frame opens a fresh stream
        }
      }
    } catch (err) {
      error = err; // RTMS_BUFFER_OVERFLOW with overflow: 'error'
    } finally {
      session.off('participantLeave', onLeave);
      for (const entry of [...live.values()]) closeEntry(entry);
      await Promise.all(closing);
    }
    return {
      forwarded,
      dropped: frames.dropped,
      unforwarded,
      streams: all.map((e) => ({ meta: e.meta, frames: e.frames, bytes: e.bytes, results: e.results })),
      error,
    };
  })();

  return {
    get dropped() {
      return frames.dropped;
    },
    get buffered() {
      return frames.buffered;
    },
    get openStreams() {
      let n = 0;
      for (const e of live.values()) if (e.asr !== undefined) n++;
      return n;
    },
    done,
  };
}

// -------------------------------------------------------------------------------------------------------------
// A deterministic fake ASR service
// -------------------------------------------------------------------------------------------------------------

/** Milliseconds of audio in `bytes` bytes of `format` (L16 and G.711 exactly; other codecs: one frame's worth). */
function audioMs(format: AudioFormat, bytes: number): number {
  const bytesPerSample = format.codec === 'L16' ? 2 : format.codec === 'G711' ? 1 : 0;
  if (bytesPerSample === 0) return format.sendRate;
  return (bytes * 1000) / (format.sampleRate * format.channels * bytesPerSample);
}

/** One stream of {@link FakeAsr}: it counts what it receives and "recognises" each full second of audio. */
export class FakeAsrStream implements AsrStream {
  /** Bytes received. */
  bytes = 0;
  /** Chunks received. */
  chunks = 0;
  /** True once closed. */
  closed = false;
  /** Every result emitted, in order. */
  readonly results: AsrResult[] = [];
  #ms = 0;
  #seconds = 0;
  readonly #hash = createHash('sha256');
  #digest: string | undefined;

  constructor(
    readonly format: AudioFormat,
    readonly meta: AsrStreamMeta,
    private readonly onResult: (result: AsrResult) => void,
    private readonly writeDelayMs: number,
  ) {}

  /** SHA-256 of every byte received, in order (hex); lets a test check nothing was lost, duplicated or reordered. */
  get sha256(): string {
    return this.#digest ?? this.#hash.copy().digest('hex');
  }

  async write(chunk: Buffer): Promise<void> {
    if (this.closed) throw new Error(`fake ASR stream for ${this.meta.speaker} is closed`);
    if (this.writeDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.writeDelayMs));
    this.bytes += chunk.length;
    this.chunks++;
    this.#hash.update(chunk);
    this.#ms += audioMs(this.format, chunk.length);
    while (this.#ms >= (this.#seconds + 1) * 1000) {
      this.#seconds++;
      this.#emit({ text: `recognised ${this.#seconds * 1000} ms of audio from ${this.meta.speaker}`, isFinal: false });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.#digest = this.#hash.digest('hex');
    this.#emit({ text: `recognised ${Math.round(this.#ms)} ms of audio from ${this.meta.speaker}`, isFinal: true });
  }

  #emit(result: AsrResult): void {
    this.results.push(result);
    this.onResult(result);
  }
}

/**
 * A fake speech-to-text service: no network, fully deterministic. Each stream emits an interim result per second
 * of audio ("recognised 2000 ms of audio from Ada Lovelace") and a final one with the total when closed.
 * `writeDelayMs` makes every write take that long, to play a service slower than real time.
 */
export class FakeAsr implements SpeechToText {
  /** Every stream opened, in order. */
  readonly streams: FakeAsrStream[] = [];
  readonly #writeDelayMs: number;

  constructor(options: { writeDelayMs?: number } = {}) {
    this.#writeDelayMs = options.writeDelayMs ?? 0;
  }

  async open(format: AudioFormat, meta: AsrStreamMeta, onResult: (result: AsrResult) => void): Promise<AsrStream> {
    const stream = new FakeAsrStream(format, meta, onResult, this.#writeDelayMs);
    this.streams.push(stream);
    return stream;
  }
}

// -------------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const mixed = process.argv.includes('--mixed');
  const slow = process.argv.includes('--slow');
  const client = new RtmsClient({ ...exampleCredentials(), media: ['audio'], mediaParams: { audio: { dataOption: mixed ? 'mixed' : 'multi' } } });
  // Replace FakeAsr with your service's adapter (see the sketch at the top of this file).
  const asr = new FakeAsr({ writeDelayMs: slow ? 60 : 0 });
  const done: Promise<unknown>[] = [];
  client.on('session', (session) => {
    console.log(`forwarding audio of ${session.id}`);
    const forwarder = forwardAudio(session, asr, {
      highWaterMark: slow ? 50 : 500,
      onResult: (r, meta) => console.log(`[${meta.speaker}] ${r.isFinal ? 'final' : 'interim'}: ${r.text}`),
      onError: (err, meta) => console.error(`ASR error (${meta?.speaker ?? 'unknown'}):`, err),
    });
    done.push(
      forwarder.done.then((s) => {
        console.log(`stream ${session.id} ended: ${s.streams.length} ASR stream(s) closed, ${s.forwarded} frames forwarded, ${s.dropped} dropped`);
      }),
    );
  });
  const { server, url } = await serveWebhooks(client);
  if (!simulating) {
    console.log(`listening on ${url}`);
    const shutdown = (): void => void client.close().then(() => server.close());
    process.once('SIGINT', shutdown).once('SIGTERM', shutdown);
    return;
  }
  await simulateMeeting(url, { durationMs: 4_000, transcriptEveryMs: 1200 });
  await Promise.all(done);
  await client.close();
  server.close();
}

if (process.argv[1]?.endsWith('forward-audio.ts')) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
