/**
 * One RTMS channel: one socket (signaling or media), its handshake, its keep-alive answers, its idle watchdog
 * and its timers. The channel knows nothing of sessions: it reports to a {@link ChannelHost}.
 *
 * Lifecycle: `idle → connecting → handshaking → ready → closing → closed`. Every path to `closed` clears every
 * timer the channel set and lets go of the socket; `closed()` resolves then. `close()` is idempotent.
 */
import { IdleWatchdog, type Clock, type TimerHandle } from './clock.js';
import { RtmsError, describeError, statusName, type FrameInfo, type RtmsChannelKind } from './errors.js';
import type { SafeLogger } from './logger.js';
import type { FrameCodec } from './protocol/codec.js';
import { encodeKeepAliveResp } from './protocol/codec.js';
import { FIRST_SEQUENCE, MsgType, StatusCode, WS_CLOSE_NORMAL } from './protocol/constants.js';
import type { InboundMessage, WireDataHandshakeResp, WireSignalingHandshakeResp } from './protocol/messages.js';
import type { RtmsSocket, RtmsSocketHandlers, SocketFactory } from './transport.js';

/** Where a channel is in its life. */
export type ChannelState = 'idle' | 'connecting' | 'handshaking' | 'ready' | 'closing' | 'closed';

/** The response that completes a channel's handshake. */
export type HandshakeResponse = WireSignalingHandshakeResp | WireDataHandshakeResp;

/** What a channel reports to. Calls never overlap and never come after the channel is closed, except `onDown`. */
export interface ChannelHost {
  /** The handshake was accepted (status 0). */
  onReady(channel: Channel, response: HandshakeResponse): void;
  /** Any decoded message other than keep-alive requests and the handshake response. */
  onMessage(channel: Channel, message: InboundMessage): void;
  /** A frame that could not be decoded; the channel carries on. */
  onFrameError(channel: Channel, error: RtmsError): void;
  /** A frame with a `msg_type` the client does not handle; the channel carries on. */
  onUnhandled(channel: Channel, msgType: number, known: boolean): void;
  /**
   * The channel is going down without having been asked to: the socket closed or failed, a timeout fired,
   * or the handshake was refused. Called at most once; the channel is already closing itself.
   */
  onDown(channel: Channel, error: RtmsError): void;
}

/** Timeouts and limits of a channel. */
export interface ChannelLimits {
  connectTimeoutMs: number;
  handshakeTimeoutMs: number;
  /** Nothing received for this long (keep-alive or data) ⇒ the socket is treated as dropped. ≤ 0 disables. */
  idleTimeoutMs: number;
  closeTimeoutMs: number;
  maxPayloadBytes: number;
}

/** Everything a channel needs. */
export interface ChannelConfig {
  kind: RtmsChannelKind;
  /** Short label for logs, e.g. `media[audio,transcript]`. */
  label: string;
  url: string;
  streamId: string;
  /** Builds the handshake request for the given sequence number. */
  handshake: (sequence: number) => string;
  socketFactory: SocketFactory;
  codec: FrameCodec;
  clock: Clock;
  logger: SafeLogger;
  limits: ChannelLimits;
  /** Counters to add to, shared by the channels of one session so they add up across reconnects. Default: the channel's own. */
  stats?: ChannelStats;
}

/** A channel's counters. */
export interface ChannelStats {
  framesReceived: number;
  keepAlivesAnswered: number;
  frameErrors: number;
}

/** One socket of a session. */
export class Channel implements RtmsSocketHandlers {
  readonly kind: RtmsChannelKind;
  readonly label: string;
  readonly url: string;
  /** Free slot for the owner (the session keeps its per-socket media facts here). */
  tag: unknown;
  readonly stats: ChannelStats;

  private _state: ChannelState = 'idle';
  private socket: RtmsSocket | undefined;
  private sequence = FIRST_SEQUENCE;
  private phaseTimer: TimerHandle | undefined;
  private closeTimer: TimerHandle | undefined;
  private readonly watchdog: IdleWatchdog;
  private downReported = false;
  private lastSocketError: Error | undefined;
  private resolveClosed!: () => void;
  private readonly closedPromise: Promise<void>;
  private readonly handshakeResponseType: number;

  constructor(
    private readonly config: ChannelConfig,
    private readonly host: ChannelHost,
  ) {
    this.kind = config.kind;
    this.label = config.label;
    this.url = config.url;
    this.stats = config.stats ?? { framesReceived: 0, keepAlivesAnswered: 0, frameErrors: 0 };
    this.handshakeResponseType = config.kind === 'signaling' ? MsgType.SIGNALING_HAND_SHAKE_RESP : MsgType.DATA_HAND_SHAKE_RESP;
    this.closedPromise = new Promise<void>((resolve) => {
      this.resolveClosed = resolve;
    });
    this.watchdog = new IdleWatchdog(config.clock, config.limits.idleTimeoutMs, (idle) =>
      this.fail(new RtmsError('RTMS_IDLE_TIMEOUT', `${this.label}: nothing received for ${idle} ms`, this.details())),
    );
  }

  /** Current state. */
  get state(): ChannelState {
    return this._state;
  }

  /** Opens the socket and runs the handshake. Only valid once, from `idle`. */
  open(): void {
    if (this._state !== 'idle') return;
    this._state = 'connecting';
    const { limits } = this.config;
    this.phaseTimer = this.config.clock.setTimeout(() => {
      this.phaseTimer = undefined;
      this.fail(new RtmsError('RTMS_CONNECT_TIMEOUT', `${this.label}: not connected within ${limits.connectTimeoutMs} ms`, this.details()));
    }, limits.connectTimeoutMs);
    // The channel is its socket's handler object: no per-channel closures.
    this.socket = this.config.socketFactory(this.url, this, {
      maxPayload: limits.maxPayloadBytes,
      connectTimeoutMs: limits.connectTimeoutMs,
    });
  }

  /** Next sequence number for an outgoing message that carries one. */
  nextSequence(): number {
    return this.sequence++;
  }

  /** Sends a text frame; false when the socket is not open (nothing is queued). */
  send(text: string): boolean {
    if (this._state === 'closing' || this._state === 'closed' || this.socket === undefined) return false;
    return this.socket.send(text);
  }

  /** Closes the socket with `code` (1000 by default). Idempotent; resolves once the socket is gone. */
  close(code: number = WS_CLOSE_NORMAL, reason = ''): Promise<void> {
    if (this._state === 'closed' || this._state === 'closing') return this.closedPromise;
    if (this._state === 'idle' || this.socket === undefined) {
      this.finalize();
      return this.closedPromise;
    }
    this.beginClosing();
    this.socket.close(code, reason);
    return this.closedPromise;
  }

  /** Drops the socket at once (no closing handshake). Idempotent; resolves once the socket is gone. */
  destroy(): Promise<void> {
    if (this._state === 'closed') return this.closedPromise;
    const socket = this.socket;
    this.finalize();
    socket?.terminate();
    return this.closedPromise;
  }

  /** Resolves when the channel has released its socket and timers. */
  closed(): Promise<void> {
    return this.closedPromise;
  }

  // ----------------------------------------------------------------------------------------------------

  private details(extra: { statusCode?: number; reason?: string; cause?: unknown; closeCode?: number; frame?: FrameInfo | undefined } = {}) {
    return { channel: this.kind, streamId: this.config.streamId, ...extra };
  }

  /** @internal Socket callback. */
  onOpen(): void {
    if (this._state !== 'connecting') return;
    this.clearPhaseTimer();
    this._state = 'handshaking';
    const { limits } = this.config;
    this.phaseTimer = this.config.clock.setTimeout(() => {
      this.phaseTimer = undefined;
      this.fail(new RtmsError('RTMS_HANDSHAKE_TIMEOUT', `${this.label}: no handshake response within ${limits.handshakeTimeoutMs} ms`, this.details()));
    }, limits.handshakeTimeoutMs);
    this.send(this.config.handshake(this.nextSequence()));
  }

  /** @internal Socket callback: one text frame. */
  onText(data: string): void {
    this.onFrame(data);
  }

  /**
   * @internal Socket callback: one binary frame. Zoom may send JSON as UTF-8 in binary frames (its
   * troubleshooting guide: a client that ignores them gets timed out), so it is decoded exactly like text;
   * bytes that are not UTF-8 JSON are reported as `RTMS_FRAME_UNSUPPORTED` and skipped.
   */
  onBinary(data: Uint8Array): void {
    this.onFrame(data);
  }

  private onFrame(data: string | Uint8Array): void {
    const state = this._state;
    if (state === 'closing' || state === 'closed') return;
    this.stats.framesReceived++;
    this.watchdog.touch();
    const result = this.config.codec.decode(data);
    if (result.kind === 'message') {
      const msg = result.message;
      if (result.dropped !== undefined) {
        this.config.logger.debug(`${this.label}: msg_type ${msg.msg_type}: ignored field(s) that could not be read: ${result.dropped.join(', ')}`, {
          streamId: this.config.streamId,
        });
      }
      if (msg.msg_type === MsgType.KEEP_ALIVE_REQ) {
        this.stats.keepAlivesAnswered++;
        this.send(encodeKeepAliveResp(msg.timestamp));
        return;
      }
      if (msg.msg_type === this.handshakeResponseType && state === 'handshaking') {
        this.handleHandshakeResponse(msg as HandshakeResponse);
        return;
      }
      this.host.onMessage(this, msg);
      return;
    }
    if (result.kind === 'error') {
      this.stats.frameErrors++;
      const e = result.error;
      this.host.onFrameError(this, new RtmsError(e.code, `${this.label}: ${e.message}`, this.details({ cause: e.cause, frame: e.frame })));
      return;
    }
    this.host.onUnhandled(this, result.msgType, result.known);
  }

  private handleHandshakeResponse(resp: HandshakeResponse): void {
    this.clearPhaseTimer();
    if (resp.status_code !== StatusCode.STATUS_OK) {
      // The message names the status code; the server's reason is kept verbatim on the error.
      const message = `${this.label} handshake refused: ${statusName(resp.status_code)} (${resp.status_code})${resp.reason ? `: ${resp.reason}` : ''}`;
      this.fail(new RtmsError('RTMS_HANDSHAKE_REJECTED', message, this.details({ statusCode: resp.status_code, reason: resp.reason })));
      return;
    }
    this._state = 'ready';
    this.watchdog.start();
    this.host.onReady(this, resp);
  }

  /** @internal Socket callback: a socket error (`onClose` follows). */
  onError(err: Error): void {
    this.lastSocketError = err;
    this.config.logger.debug(`${this.label}: socket error: ${describeError(err)}`, { streamId: this.config.streamId });
  }

  /** @internal Socket callback: the socket closed. */
  onClose(code: number, reason: string): void {
    if (this._state === 'closed') return; // already released (destroy, or a close that timed out)
    const wasClosing = this._state === 'closing';
    const neverOpened = this._state === 'connecting';
    this.finalize();
    if (wasClosing) return;
    const cause = this.lastSocketError;
    const err = neverOpened
      ? new RtmsError('RTMS_CONNECT_FAILED', `${this.label}: could not connect${cause ? ` (${cause.message})` : ''}`, this.details({ cause, closeCode: code }))
      : new RtmsError('RTMS_CONNECTION_LOST', `${this.label}: socket closed (code ${code}${reason ? `, ${reason}` : ''})${cause ? `: ${cause.message}` : ''}`, this.details({ cause, closeCode: code }));
    this.reportDown(err);
  }

  /** A fatal problem on this channel: close it and report once. */
  private fail(err: RtmsError): void {
    if (this._state === 'closing' || this._state === 'closed') return;
    this.beginClosing();
    this.socket?.close(WS_CLOSE_NORMAL, '');
    this.reportDown(err);
  }

  private reportDown(err: RtmsError): void {
    if (this.downReported) return;
    this.downReported = true;
    this.host.onDown(this, err);
  }

  private beginClosing(): void {
    this._state = 'closing';
    this.clearPhaseTimer();
    this.watchdog.stop();
    // Bounded close: a peer that never completes the closing handshake is cut off.
    this.closeTimer = this.config.clock.setTimeout(() => {
      this.closeTimer = undefined;
      this.socket?.terminate();
      this.finalize();
    }, this.config.limits.closeTimeoutMs);
  }

  private finalize(): void {
    if (this._state === 'closed') return;
    this._state = 'closed';
    this.clearPhaseTimer();
    this.watchdog.stop();
    if (this.closeTimer !== undefined) {
      this.config.clock.clearTimeout(this.closeTimer);
      this.closeTimer = undefined;
    }
    this.socket = undefined;
    this.resolveClosed();
  }

  private clearPhaseTimer(): void {
    if (this.phaseTimer !== undefined) {
      this.config.clock.clearTimeout(this.phaseTimer);
      this.phaseTimer = undefined;
    }
  }
}
