/**
 * The record of what a client did on one simulated stream: the shapes a test reads ({@link StreamRecord} and its
 * parts) and `StreamRecorder`, the only code that writes them.
 *
 * The endpoints (sim-server.ts) report through the recorder as they accept sockets, check handshakes, count
 * keep-alives and see sockets close; the stream owns one recorder and publishes its record. Readers get the
 * `readonly` view, so a test cannot change what happened by accident.
 */

/**
 * Something the client did that Zoom's documentation says it must not (`error`), or should not (`warning`), or a
 * departure from the documentation that Zoom's own clients make (`info`).
 */
export interface ProtocolViolation {
  /**
   * `error`: Zoom would refuse or drop this; `warning`: tolerated, but against the documentation; `info`: neither
   * an error nor a warning, an informational note (the documentation asks for it, Zoom's own clients all do
   * otherwise and Zoom accepts it, such as a media handshake without `sequence`).
   */
  readonly severity: 'error' | 'warning' | 'info';
  /** The socket it happened on. */
  readonly channel: 'signaling' | 'media';
  /** Short rule id (`signature`, `keepalive-echo`, `protocol-version`, ...). */
  readonly rule: string;
  /** What happened, for humans. */
  readonly message: string;
}

/** A handshake request the simulator received. */
export interface HandshakeRecord {
  /** The socket it came on. */
  channel: 'signaling' | 'media';
  /** The message as received, with `signature` replaced by `<redacted>`. */
  message: Record<string, unknown>;
}

/** Keep-alive counters of a stream. */
export interface KeepAliveRecord {
  /** KEEP_ALIVE_REQ sent. */
  sent: number;
  /** KEEP_ALIVE_RESP received with a matching timestamp. */
  answered: number;
  /** KEEP_ALIVE_RESP received with a timestamp that matched no request. */
  wrongTimestamp: number;
  /** Sockets dropped for unanswered keep-alives. */
  missedDrops: number;
}

/** One closed socket. */
export interface CloseRecord {
  /** Which socket. */
  channel: 'signaling' | 'media';
  /** WebSocket close code. */
  code: number;
  /** Who closed it. */
  by: 'client' | 'server';
}

/** A socket the client lost while the stream was live, and what became of it. */
export interface DropRecord {
  /** Which socket. */
  readonly channel: 'signaling' | 'media';
  /** WebSocket close code as the server saw it (1006 = closed abnormally, no close frame). */
  readonly code: number;
  /** Epoch ms of the drop. */
  readonly at: number;
  /**
   * `client-closed`: the client closed or lost it; `keepalive`: the server dropped it after unanswered
   * keep-alives; `fault`: a test's `dropSocket()` or `freeze()` fault.
   */
  readonly cause: 'client-closed' | 'keepalive' | 'fault';
  /** Zoom's reconnect window for this drop, ms (signaling 60 s, media 30 s by default; `reconnectWindows` option). */
  readonly windowMs: number;
  /**
   * `pending` until one of the others (and for good when the stop is announced first: no reconnect came);
   * `reconnected` when the client re-handshook on the lost channel (and, for signaling, on media) and sent
   * CLIENT_READY_ACK again inside the window; `expired` when the window passed and the simulator ended the
   * stream; `stream-ended` when the simulator ended the stream for another reason first. A media drop pending
   * when signaling drops, or lost after it, is settled with that signaling drop.
   */
  outcome: 'pending' | 'reconnected' | 'expired' | 'stream-ended';
  /** Epoch ms when the reconnect completed (handshake + CLIENT_READY_ACK), if it did. */
  reconnectedAt: number | undefined;
}

/** What the simulator saw a client do on one stream. */
export interface StreamRecord {
  /** Every violation, in order. */
  readonly violations: ProtocolViolation[];
  /** Handshake requests as received (signatures replaced by `<redacted>`). */
  readonly handshakes: HandshakeRecord[];
  /** Keep-alive bookkeeping over every socket of the stream. */
  readonly keepAlive: KeepAliveRecord;
  /** CLIENT_READY_ACK messages received. */
  readonly readyAcks: number;
  /** Sockets that closed, who closed them and with what code. */
  readonly closes: CloseRecord[];
  /** Signaling connections accepted (a reconnect adds one). */
  readonly signalingConnections: number;
  /** Media connections accepted. */
  readonly mediaConnections: number;
  /** Other client messages by msg_type (EVENT_SUBSCRIPTION, STREAM_CLOSE_REQ, ...). */
  readonly otherMessages: Record<number, number>;
  /**
   * Sockets the client lost while the stream was live (from its first signaling handshake until the stream ended
   * or its stop was announced), in order. Closes after that, and sockets the simulator closed on purpose (a kick,
   * a refusal, the media sockets it closes when signaling is lost), are not drops.
   */
  readonly drops: DropRecord[];
  /** Epoch ms of the first valid CLIENT_READY_ACK (after a media handshake). */
  readonly readyAt: number | undefined;
  /**
   * Epoch ms of the first stop announcement: the first `stream.webhook('stopped')` built (by a test, or by the
   * simulator when it ends the stream). After it, the client closing its sockets is expected, not a drop.
   */
  readonly stopSentAt: number | undefined;
  /**
   * When (epoch ms) and why the simulator ended the stream (`terminate()`, STREAM_CLOSE_REQ, a reconnect window
   * that passed), with the stop reason it sent in STREAM_STATE_UPDATE TERMINATED.
   */
  readonly end:
    | {
        /** Epoch ms. */
        readonly at: number;
        /** The STOP_REASON sent in STREAM_STATE_UPDATE TERMINATED. */
        readonly stopReason: number;
        /** What ended it, for humans. */
        readonly why: string;
      }
    | undefined;
}

/** @internal A copy of a client message fit to record or show: `signature` replaced by `<redacted>`. */
export function redact(msg: Record<string, unknown>): Record<string, unknown> {
  return 'signature' in msg ? { ...msg, signature: '<redacted>' } : { ...msg };
}

/** The writable form of a record: the same object the stream publishes as `readonly`. */
type Writable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * @internal Appends to one stream's {@link StreamRecord}. Every write to a record goes through one of its methods;
 * a violation is also handed to the listener given at construction (the stream, which emits `violation`).
 */
export class StreamRecorder {
  /** The record, as the stream publishes it (the same object this recorder writes). */
  readonly record: StreamRecord;
  readonly #r: Writable<StreamRecord>;
  readonly #onViolation: (violation: ProtocolViolation) => void;

  constructor(onViolation: (violation: ProtocolViolation) => void) {
    this.#onViolation = onViolation;
    this.#r = {
      violations: [],
      handshakes: [],
      keepAlive: { sent: 0, answered: 0, wrongTimestamp: 0, missedDrops: 0 },
      readyAcks: 0,
      closes: [],
      signalingConnections: 0,
      mediaConnections: 0,
      otherMessages: {},
      drops: [],
      readyAt: undefined,
      stopSentAt: undefined,
      end: undefined,
    };
    this.record = this.#r;
  }

  /** Records a violation, then tells the listener. */
  violation(violation: ProtocolViolation): void {
    this.#r.violations.push(violation);
    this.#onViolation(violation);
  }

  /** A handshake request as received (its signature is redacted here). */
  handshake(channel: 'signaling' | 'media', message: Record<string, unknown>): void {
    this.#r.handshakes.push({ channel, message: redact(message) });
  }

  /** A handshake succeeded: one more signaling or media connection. */
  connection(channel: 'signaling' | 'media'): void {
    if (channel === 'signaling') this.#r.signalingConnections++;
    else this.#r.mediaConnections++;
  }

  /** A CLIENT_READY_ACK for this stream arrived. */
  readyAck(): void {
    this.#r.readyAcks++;
  }

  /** Another client message, counted by msg_type. */
  message(msgType: number): void {
    this.#r.otherMessages[msgType] = (this.#r.otherMessages[msgType] ?? 0) + 1;
  }

  /** A socket of the stream closed. */
  close(channel: 'signaling' | 'media', code: number, by: 'client' | 'server'): void {
    this.#r.closes.push({ channel, code, by });
  }

  /** A valid CLIENT_READY_ACK: the first one sets `readyAt`. */
  ready(at: number): void {
    this.#r.readyAt ??= at;
  }

  /** A stop webhook was built: the first one sets `stopSentAt`. */
  stopSent(at: number): void {
    this.#r.stopSentAt ??= at;
  }

  /** The simulator ended the stream (first end only). */
  ended(end: { at: number; stopReason: number; why: string }): void {
    this.#r.end ??= end;
  }

  /** A socket lost while live: appended, `pending`; the returned record is the one to settle. */
  drop(drop: Omit<DropRecord, 'outcome' | 'reconnectedAt'>): DropRecord {
    const d: DropRecord = { ...drop, outcome: 'pending', reconnectedAt: undefined };
    this.#r.drops.push(d);
    return d;
  }

  /** Settles a pending drop (a settled one stays as it is). */
  settle(drop: DropRecord, outcome: 'reconnected' | 'expired' | 'stream-ended', at: number): void {
    if (drop.outcome !== 'pending') return;
    drop.outcome = outcome;
    if (outcome === 'reconnected') drop.reconnectedAt = at;
  }

  /** A KEEP_ALIVE_REQ went out. */
  keepAliveSent(): void {
    this.#r.keepAlive.sent++;
  }

  /** A KEEP_ALIVE_RESP echoed a request's timestamp. */
  keepAliveAnswered(): void {
    this.#r.keepAlive.answered++;
  }

  /** A KEEP_ALIVE_RESP echoed no timestamp the simulator sent. */
  keepAliveWrongTimestamp(): void {
    this.#r.keepAlive.wrongTimestamp++;
  }

  /** A socket was dropped for unanswered keep-alives. */
  keepAliveMissedDrop(): void {
    this.#r.keepAlive.missedDrops++;
  }
}
