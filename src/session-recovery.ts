/**
 * Outage repair for one session. {@link Recovery} decides whether an outage is worth repairing, owns the outage
 * being repaired (its scope, attempt count, window and timer), and runs each attempt through a narrow
 * {@link RecoveryHost}: the session, which owns the sockets and the state machine.
 *
 * The schedule is the pure policy of reconnect-policy.ts: attempts at {@link backoffDelay} intervals, at most
 * `maxAttempts` per outage, none starting after the window (60 s for signaling, 30 s for media). Every path to
 * the end of the session goes through {@link Recovery.stop}, which clears the timer; a late callback does nothing.
 *
 * Flapping: a connection that drops again within {@link FLAP_MS} of being repaired, {@link FLAPS_BEFORE_BACKOFF}
 * times in a row, is not given a fresh outage with an immediate attempt each time (a server that accepts and then
 * drops at once would get a reconnect loop as fast as the handshakes, hundreds a second): from then on each new
 * outage continues the backoff and the attempt budget where the last one left them, so the attempts slow down
 * (3 s, 6 s, ...) and the session fails once `maxAttempts` is spent. A repair that lasts `FLAP_MS` ends the run.
 */
import type { Clock, TimerHandle } from './clock.js';
import { RtmsError, type RtmsChannelKind } from './errors.js';
import type { ReconnectingInfo } from './events.js';
import type { SafeLogger } from './logger.js';
import { RETRYABLE_STATUS_CODES, StopReason, nameOf } from './protocol/constants.js';
import { RESTART_STOP_REASONS, backoffDelay, type ReconnectPolicy } from './reconnect-policy.js';

/** @internal A repaired connection that drops again sooner than this after the repair has flapped. */
export const FLAP_MS = 1_000;

/**
 * @internal Consecutive flaps after which a new outage continues the backoff and budget instead of starting over
 * with an immediate attempt (the first flaps may be chance: two faults close together).
 */
export const FLAPS_BEFORE_BACKOFF = 3;

/** @internal What an outage repairs: `media` reopens the media sockets only, `full` signaling and media. */
export type RepairScope = 'full' | 'media';

/** @internal An outage as the session reports it once repaired (`reconnected`). */
export interface Outage {
  /** What was repaired. */
  readonly scope: RepairScope;
  /** Attempts started for this outage. */
  readonly attempt: number;
  /** Clock time the outage began. */
  readonly startedAt: number;
}

/** An outage being repaired. */
interface ReconnectState extends Outage {
  scope: RepairScope;
  attempt: number;
  /** No attempt starts after this time. */
  deadline: number;
  timer: TimerHandle | undefined;
  lastError: RtmsError;
  /** Set when the outage began with a restart-worthy stop webhook. */
  stopReason: number | undefined;
}

/** @internal What {@link Recovery} needs to know about its stream. */
export interface RecoveryConfig {
  /** RTMS stream id, for errors and log context. */
  readonly streamId: string;
  /** Reconnection policy; undefined turns repair off (every outage fails the session). */
  readonly policy: ReconnectPolicy | undefined;
  /** Time and timers. */
  readonly clock: Clock;
  /** The session's never-throwing logger. */
  readonly logger: SafeLogger;
}

/**
 * @internal What {@link Recovery} asks of the session. Every method but the two that return promises acts
 * synchronously.
 */
export interface RecoveryHost {
  /** False once another instance owns the stream (asked before each attempt; reconnecting would kick it off). */
  isOwner(): boolean;
  /** A new outage: move the session to `reconnecting`. */
  enterReconnecting(): void;
  /** An attempt is scheduled: emit `reconnecting`. */
  reconnecting(info: ReconnectingInfo): void;
  /** The outage cannot be repaired: end the session `failed` with `error` (and the stop reason that began it). */
  fail(error: RtmsError, stopReason: number | undefined): void;
  /** Another instance owns the stream: end the session as a handover, without touching the stream. */
  handover(): void;
  /** The server says the media sockets are gone: close them (the next media attempt reopens them). */
  dropMedia(): void;
  /** First half of a full attempt: forget every socket and close it; resolves once they are all closed. */
  closeAll(): Promise<void>;
  /** Second half of a full attempt: open signaling again (media follows its handshake). */
  connect(): void;
  /** A media attempt: reopen each media socket that is not streaming, to the same URL. */
  reopenMedia(): Promise<void>;
}

/** @internal Errors worth another attempt: network trouble, timeouts, and the retryable status codes (§4.3). */
export function retryable(err: RtmsError): boolean {
  switch (err.code) {
    case 'RTMS_CONNECT_FAILED':
    case 'RTMS_CONNECT_TIMEOUT':
    case 'RTMS_HANDSHAKE_TIMEOUT':
    case 'RTMS_CONNECTION_LOST':
    case 'RTMS_IDLE_TIMEOUT':
      return true;
    case 'RTMS_HANDSHAKE_REJECTED':
      return err.statusCode !== undefined && RETRYABLE_STATUS_CODES.has(err.statusCode);
    default:
      return false;
  }
}

/**
 * @internal Repairs one session's outages. Never runs two signaling sockets for one stream: a full attempt
 * closes every old socket before it opens one. Constructible with a hand-built {@link RecoveryHost} and clock.
 */
export class Recovery {
  readonly #streamId: string;
  readonly #policy: ReconnectPolicy | undefined;
  readonly #clock: Clock;
  readonly #logger: SafeLogger;
  readonly #host: RecoveryHost;
  #state: ReconnectState | undefined;
  #stopped = false;
  /** Clock time of the last repair, and its attempt count (see "Flapping" above). */
  #lastRepair: { readonly at: number; readonly attempts: number } | undefined;
  /** Consecutive outages that began within FLAP_MS of the repair before them. */
  #flaps = 0;

  /** Repairs for one stream; `host` runs the attempts. */
  constructor(config: RecoveryConfig, host: RecoveryHost) {
    this.#streamId = config.streamId;
    this.#policy = config.policy;
    this.#clock = config.clock;
    this.#logger = config.logger;
    this.#host = host;
  }

  /** The outage being repaired, if any. */
  get outage(): Outage | undefined {
    return this.#state;
  }

  /** True while an attempt is scheduled (a timer is pending). */
  get scheduled(): boolean {
    return this.#state?.timer !== undefined;
  }

  /** A channel went down by itself: media alone is repaired while signaling is up, else everything. */
  channelDown(kind: RtmsChannelKind, label: string, err: RtmsError, signalingReady: boolean): void {
    if (this.#stopped) return;
    const scope: RepairScope = kind === 'media' && signalingReady ? 'media' : 'full';
    this.#logger.warn(`${label} down: ${err.code}: ${err.message}`, { streamId: this.#streamId });
    this.begin(scope, err, false);
  }

  /** A server-side signal that our sockets are gone although they may look open (half-open): drop and repair. */
  interrupt(scope: RepairScope, why: string): void {
    if (this.#stopped) return;
    const err = new RtmsError('RTMS_CONNECTION_LOST', why, { streamId: this.#streamId, channel: scope === 'media' ? 'media' : 'signaling' });
    if (scope === 'media') this.#host.dropMedia();
    this.begin(scope, err, false);
  }

  /** `*.rtms_interrupted`: Zoom lost our signaling connection; reconnect both channels. */
  signalingInterrupted(): void {
    if (this.#stopped) return;
    this.begin('full', new RtmsError('RTMS_CONNECTION_LOST', 'signaling interrupted (rtms_interrupted webhook)', { streamId: this.#streamId, channel: 'signaling' }), false);
  }

  /** A second `*.rtms_started` with new `server_urls` (the caller has switched the URLs): a new outage, full scope. */
  failover(): void {
    if (this.#stopped) return;
    this.#logger.info('server failover: reconnecting to the new server_urls', { streamId: this.#streamId });
    this.begin('full', new RtmsError('RTMS_CONNECTION_LOST', 'server failover (new server_urls)', { streamId: this.#streamId, channel: 'signaling' }), true);
  }

  /**
   * An `*.rtms_stopped` webhook. Stop reasons 10–19 and 24 mean Zoom's side broke, and its failover guide calls
   * for a complete restart: with reconnection on, one starts and this returns true. False: the caller stops.
   */
  restartAfterStop(stopReason: number | undefined): boolean {
    if (stopReason === undefined || !RESTART_STOP_REASONS.has(stopReason) || this.#policy === undefined || this.#stopped) return false;
    const name = nameOf(StopReason, stopReason) ?? String(stopReason);
    this.begin('full', new RtmsError('RTMS_CONNECTION_LOST', `stream stopped by Zoom (${name}); restarting`, { streamId: this.#streamId }), true, stopReason);
    return true;
  }

  /**
   * Starts (or continues) repairing an outage. `fresh` resets the budget (a failover to new URLs is a new outage).
   * A non-retryable error, or no policy, fails the session at once.
   */
  begin(scope: RepairScope, err: RtmsError, fresh: boolean, stopReason?: number): void {
    if (this.#stopped) return;
    const policy = this.#policy;
    if (policy === undefined || !retryable(err)) {
      this.#host.fail(err, stopReason ?? this.#state?.stopReason);
      return;
    }
    const clock = this.#clock;
    const now = clock.now();
    const windowMs = (s: RepairScope) => (s === 'full' ? policy.signalingWindowMs : policy.mediaWindowMs);
    let r = this.#state;
    if (r === undefined || fresh) {
      if (r?.timer !== undefined) clock.clearTimeout(r.timer);
      // A new outage right after a repair is a flap; past FLAPS_BEFORE_BACKOFF in a row, the backoff goes on.
      const last = this.#lastRepair;
      this.#flaps = !fresh && r === undefined && last !== undefined && now - last.at < FLAP_MS ? this.#flaps + 1 : 0;
      const attempt = this.#flaps >= FLAPS_BEFORE_BACKOFF && last !== undefined ? Math.max(1, last.attempts) : 0;
      r = { scope, attempt, deadline: now + windowMs(scope), startedAt: r?.startedAt ?? now, timer: undefined, lastError: err, stopReason: stopReason ?? r?.stopReason };
      this.#state = r;
      this.#host.enterReconnecting();
      if (this.#stopped || this.#state !== r) return; // a `state` listener ended the session
    } else {
      r.lastError = err;
      if (scope === 'full' && r.scope === 'media') {
        r.scope = 'full';
        r.deadline = Math.max(r.deadline, r.startedAt + windowMs('full'));
      }
    }
    if (r.timer !== undefined) return; // an attempt is already scheduled; it will cover this
    if (r.attempt >= policy.maxAttempts) {
      const flapping = this.#flaps >= FLAPS_BEFORE_BACKOFF ? ` (the connection dropped within ${FLAP_MS} ms of each of the last ${this.#flaps} repairs)` : '';
      this.#giveUp(r, `gave up after ${r.attempt} reconnect attempt(s)${flapping}`);
      return;
    }
    const delay = backoffDelay(policy, r.attempt);
    if (now + delay > r.deadline) {
      this.#giveUp(r, `reconnect window of ${windowMs(r.scope)} ms is spent`);
      return;
    }
    this.#host.reconnecting({ scope: r.scope, attempt: r.attempt + 1, delayMs: delay, cause: err });
    if (this.#stopped || this.#state !== r || r.timer !== undefined) return; // a `reconnecting` listener ended or re-entered
    const state = r;
    state.timer = clock.setTimeout(() => {
      state.timer = undefined;
      void this.#attempt(state);
    }, delay);
  }

  /**
   * Every socket is streaming again: the outage (if any) is over. Clears its timer and returns it, for the
   * `reconnected` report; undefined when there was none.
   */
  succeeded(): Outage | undefined {
    const r = this.#state;
    if (r === undefined) return undefined;
    if (r.timer !== undefined) this.#clock.clearTimeout(r.timer);
    r.timer = undefined;
    this.#state = undefined;
    this.#lastRepair = { at: this.#clock.now(), attempts: r.attempt };
    return r;
  }

  /** The session is ending: clears the timer and ignores everything after. Idempotent. */
  stop(): void {
    this.#stopped = true;
    const r = this.#state;
    this.#state = undefined;
    if (r?.timer !== undefined) {
      this.#clock.clearTimeout(r.timer);
      r.timer = undefined;
    }
  }

  #giveUp(r: ReconnectState, why: string): void {
    this.#logger.warn(`${why}; last error ${r.lastError.code}`, { streamId: this.#streamId });
    this.#host.fail(r.lastError, r.stopReason);
  }

  async #attempt(r: ReconnectState): Promise<void> {
    if (this.#stopped || this.#state !== r) return;
    const host = this.#host;
    if (!host.isOwner()) {
      // Fenced: another instance owns the stream; reconnecting would kick it off.
      this.#logger.warn('not reconnecting: this instance no longer owns the stream', { streamId: this.#streamId });
      host.handover();
      return;
    }
    r.attempt++;
    this.#logger.info(`reconnect attempt ${r.attempt} (${r.scope})`, { streamId: this.#streamId });
    if (r.scope === 'full') {
      await host.closeAll();
      if (this.#stopped || this.#state !== r) return;
      host.connect();
      return;
    }
    await host.reopenMedia();
  }
}
