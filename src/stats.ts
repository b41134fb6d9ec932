/**
 * Counters: what `session.stats()` and `client.stats()` return. Plain numbers, incremented where the work is
 * done anyway; nothing here reads a clock or allocates per frame. A snapshot is built only when asked for.
 */
import type { SessionState } from './events.js';
import type { MediaKind } from './protocol/messages.js';
import type { WebhookRejectionCode } from './client.js';

/** Frames and bytes of one media kind. */
export interface MediaKindStats {
  /** Media frames of this kind received (`MEDIA_DATA_*` messages), whether or not anybody listened. */
  readonly frames: number;
  /**
   * Size of the frames' `content.data` as received, its `length`: for audio, video and share the base64 text
   * (its bytes on the wire; the decoded media is about 3/4 of it), for transcript and chat the text's UTF-16 code
   * units. Read from the string's length, so it costs nothing whether or not the media is decoded.
   */
  readonly bytes: number;
}

/** Counters that add up across sessions: one session's, or the client's totals. */
export interface StreamCounters {
  /** Per media kind: frames and bytes. Every kind is present (zero when never received). */
  readonly media: Readonly<Record<MediaKind, MediaKindStats>>;
  /** Every frame received on every socket (media, keep-alives, handshakes, events), across reconnects. */
  readonly framesReceived: number;
  /** Frames that could not be decoded, plus media frames whose base64 was invalid (each also an `error` event). */
  readonly frameErrors: number;
  /** Keep-alive requests answered. */
  readonly keepAlivesAnswered: number;
  /** Outages repaired (each a `reconnected` event). */
  readonly reconnects: number;
  /**
   * Time spent in outages after media first flowed, in ms: repaired outages, the one being repaired (up to the
   * call), and the last one of a session that ended during it. Retries of the first connection are not counted.
   * Never decreases.
   */
  readonly downtimeMs: number;
  /** Items discarded by the overflow policy of the session's iterators ({@link BoundedIterator.dropped}), all iterators together. */
  readonly iteratorDrops: number;
}

/** A session's counters; see `session.stats()`. */
export interface SessionStats extends StreamCounters {
  /** RTMS stream id. */
  readonly streamId: string;
  /** The session's state when the counters were read. */
  readonly state: SessionState;
  /**
   * Age of the last media frame (audio, video, share, transcript or chat) in ms; undefined before the first.
   * Frames are counted, not timed: each `stats()` call reads the clock once and notes whether the count moved
   * since the previous call. The figure is therefore a lower bound, short by at most the time between two
   * calls: poll every 10 s and a stream silent for 60 s reads between 50 and 60 s.
   */
  readonly lastFrameAgeMs: number | undefined;
}

/** Webhooks handled, by outcome; see `client.stats()`. */
export interface WebhookStats {
  /** Every webhook handled (`accepted + rejected`); health checks are not webhooks. */
  readonly received: number;
  /** Answered 2xx. */
  readonly accepted: number;
  /** Answered 4xx or 5xx (each also a `webhookRejected` event). */
  readonly rejected: number;
  /** The rejections by error code; codes never seen are absent. */
  readonly rejectedByCode: Readonly<Partial<Record<WebhookRejectionCode, number>>>;
}

/** The client's counters over its lifetime: sessions ended and live together. */
export interface ClientTotals extends StreamCounters {
  /** Sessions created (from webhooks and takeovers). */
  readonly sessionsCreated: number;
  /** Sessions that ended `stopped`. */
  readonly sessionsStopped: number;
  /** Sessions that ended `failed`. */
  readonly sessionsFailed: number;
}

/** What `client.stats()` returns. */
export interface ClientStats {
  /** Live sessions by state (ended sessions leave the client: `stopped` and `failed` count in {@link ClientTotals}). */
  readonly sessions: Readonly<Record<SessionState, number>>;
  /** Live sessions. */
  readonly liveSessions: number;
  /** Webhooks by outcome. */
  readonly webhooks: WebhookStats;
  /** Lifetime totals, ended sessions included. */
  readonly totals: ClientTotals;
}

/**
 * @internal Per-kind media tallies, as flat fields so that the per-frame increments stay monomorphic. Written by
 * the frame router; read only by snapshots.
 */
export class MediaTally {
  audioFrames = 0;
  audioBytes = 0;
  videoFrames = 0;
  videoBytes = 0;
  shareFrames = 0;
  shareBytes = 0;
  transcriptFrames = 0;
  transcriptBytes = 0;
  chatFrames = 0;
  chatBytes = 0;
  /** Media frames whose base64 could not be decoded. */
  invalidPayloads = 0;

  /** Media frames of every kind. */
  get frames(): number {
    return this.audioFrames + this.videoFrames + this.shareFrames + this.transcriptFrames + this.chatFrames;
  }

  /** A frozen per-kind snapshot. */
  snapshot(): Readonly<Record<MediaKind, MediaKindStats>> {
    return Object.freeze({
      audio: Object.freeze({ frames: this.audioFrames, bytes: this.audioBytes }),
      video: Object.freeze({ frames: this.videoFrames, bytes: this.videoBytes }),
      share: Object.freeze({ frames: this.shareFrames, bytes: this.shareBytes }),
      transcript: Object.freeze({ frames: this.transcriptFrames, bytes: this.transcriptBytes }),
      chat: Object.freeze({ frames: this.chatFrames, bytes: this.chatBytes }),
    });
  }
}

const KINDS: readonly MediaKind[] = ['audio', 'video', 'share', 'transcript', 'chat'];

/** @internal A mutable sum of {@link StreamCounters}. */
export class CounterSum {
  readonly media: Record<MediaKind, { frames: number; bytes: number }> = {
    audio: { frames: 0, bytes: 0 },
    video: { frames: 0, bytes: 0 },
    share: { frames: 0, bytes: 0 },
    transcript: { frames: 0, bytes: 0 },
    chat: { frames: 0, bytes: 0 },
  };
  framesReceived = 0;
  frameErrors = 0;
  keepAlivesAnswered = 0;
  reconnects = 0;
  downtimeMs = 0;
  iteratorDrops = 0;

  /** Adds `c` in. */
  add(c: StreamCounters): this {
    for (const k of KINDS) {
      this.media[k].frames += c.media[k].frames;
      this.media[k].bytes += c.media[k].bytes;
    }
    this.framesReceived += c.framesReceived;
    this.frameErrors += c.frameErrors;
    this.keepAlivesAnswered += c.keepAlivesAnswered;
    this.reconnects += c.reconnects;
    this.downtimeMs += c.downtimeMs;
    this.iteratorDrops += c.iteratorDrops;
    return this;
  }

  /** A frozen copy. */
  snapshot(): StreamCounters {
    const media = Object.fromEntries(KINDS.map((k) => [k, Object.freeze({ ...this.media[k] })])) as Record<MediaKind, MediaKindStats>;
    return {
      media: Object.freeze(media),
      framesReceived: this.framesReceived,
      frameErrors: this.frameErrors,
      keepAlivesAnswered: this.keepAlivesAnswered,
      reconnects: this.reconnects,
      downtimeMs: this.downtimeMs,
      iteratorDrops: this.iteratorDrops,
    };
  }
}
