/**
 * Fault injection on one simulated stream: what a test asks the simulator to do to a client, the way a broken
 * network or an unhappy Zoom would.
 *
 * `StreamFaults` holds two kinds of fault. A deferred fault waits for a moment the endpoints reach (a refusal
 * waits for the next handshake on its channel): it is stored here and the endpoints take it when that moment
 * comes. An immediate fault (terminate, freeze, drop, a raw frame) acts at once on the stream's sockets through a
 * narrow `FaultHost`. A new fault is a method here, a public one-liner on `SimulatedStream` and, if it is
 * deferred, a `take…` method the endpoints call.
 */
import { MsgType, StreamState } from '../protocol/constants.js';
import { sendData, type Conn } from './sim-conn.js';

/** @internal A forced handshake answer: the status code and reason to refuse with. */
export interface Refusal {
  /** Handshake response `status_code`. */
  readonly code: number;
  /** Handshake response `reason`. */
  readonly reason: string;
}

/** @internal What the faults act on: the stream's sockets, and the endpoints that serve them. */
export interface FaultHost {
  /** The stream's id (STREAM_STATE_UPDATE carries it). */
  readonly streamId: string;
  /** Every socket attached to the stream, whatever its state. */
  sockets(): Iterable<Conn>;
  /** The live signaling socket, if any. */
  signalingSocket(): Conn | undefined;
  /** Every live media socket. */
  mediaSockets(): Conn[];
  /** Sends a message on signaling as the stream sends everything (drift applies); false when no socket took it. */
  sendSignaling(message: Record<string, unknown>): boolean;
  /** Closes a socket from the server side with `code` (keep-alive stopped; recorded as closed by the server). */
  closeSocket(conn: Conn, code: number): void;
  /** Stops the keep-alive requests on a socket. */
  stopKeepAlive(conn: Conn): void;
}

/** @internal The faults of one stream: deferred ones waiting for the endpoints, immediate ones carried out at once. */
export class StreamFaults {
  readonly #host: FaultHost;
  readonly #refusals: { signaling?: Refusal; media?: Refusal } = {};

  constructor(host: FaultHost) {
    this.#host = host;
  }

  // -- deferred ------------------------------------------------------------------------------------------

  /** Arms a refusal of the next handshake on `channel` (replacing one already armed). */
  refuseNextHandshake(channel: 'signaling' | 'media', code: number, reason: string): void {
    this.#refusals[channel] = { code, reason };
  }

  /** The endpoints, once a handshake on `channel` passed its checks: the armed refusal, if any, now disarmed. */
  takeRefusal(channel: 'signaling' | 'media'): Refusal | undefined {
    const refusal = this.#refusals[channel];
    if (refusal) delete this.#refusals[channel];
    return refusal;
  }

  // -- immediate -----------------------------------------------------------------------------------------

  /** STREAM_STATE_UPDATE TERMINATED with `reason` on signaling, then every socket closed with 1000. */
  terminate(reason: number): void {
    this.#host.sendSignaling({ msg_type: MsgType.STREAM_STATE_UPDATE, state: StreamState.TERMINATED, reason, timestamp: Date.now(), rtms_stream_id: this.#host.streamId });
    for (const c of this.#host.sockets()) this.#host.closeSocket(c, 1000);
  }

  /**
   * Stops reading from and writing to every socket: no keep-alives, no media, no close frames. A frozen socket
   * that closes later, before a newer one replaced it, is a drop by fault.
   */
  freeze(): void {
    for (const c of this.#host.sockets()) {
      this.#host.stopKeepAlive(c);
      c.frozen = true;
      c.dropCause = 'fault';
      c.raw.pause();
    }
  }

  /** Drops every socket of `channel` abruptly (TCP reset, no close frame): a drop by fault, which Zoom then reacts to. */
  dropSocket(channel: 'signaling' | 'media'): void {
    for (const c of this.#host.sockets()) {
      if (c.channel !== channel) continue;
      c.closedByServer = true;
      c.dropCause = 'fault';
      c.ws.terminate();
    }
  }

  /** Sends `frame` as is on the signaling socket or on every media socket; true when at least one took it. */
  sendRaw(channel: 'signaling' | 'media', frame: string | Uint8Array): boolean {
    const conns = channel === 'signaling' ? [this.#host.signalingSocket()].filter((c): c is Conn => c !== undefined) : this.#host.mediaSockets();
    for (const c of conns) sendData(c, frame);
    return conns.length > 0;
  }
}
