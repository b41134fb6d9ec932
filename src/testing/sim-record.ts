/**
 * The record of what a client did on one simulated stream: the shapes a test reads ({@link StreamRecord} and its
 * parts) and `StreamRecorder`, the only code that writes them.
 *
 * The endpoints (sim-server.ts) report through the recorder as they accept sockets, check handshakes, count
 * keep-alives and see sockets close; the stream owns one recorder and publishes its record. Readers get the
 * `readonly` view, so a test cannot change what happened by accident.
 */

/** Something the client did that Zoom's documentation says it must not (`error`), or should not (`warning`). */
export interface ProtocolViolation {
  /** `error`: Zoom would refuse or drop this; `warning`: tolerated, but against the documentation. */
  readonly severity: 'error' | 'warning';
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
