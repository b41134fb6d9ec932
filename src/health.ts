/**
 * Health: what `client.health()` reports, and the small HTTP answer for load-balancer checks built from it.
 */
import type { CoordinatorStatus } from './coordination.js';

/**
 * `ok`: ready, coordinator (if shared) reachable, every event WebSocket open (or in standby). `degraded`: ready,
 * but the shared store does not answer, or an event WebSocket is not open yet or is reconnecting (lifecycle events
 * that happen meanwhile are lost). `unavailable`: not ready. Load-balancer answers stay 200 while degraded.
 */
export type HealthStatus = 'ok' | 'degraded' | 'unavailable';

/** Sessions by what they are doing. */
export interface HealthSessions {
  /** Live sessions. */
  readonly total: number;
  /** Media flowing. */
  readonly streaming: number;
  /** Connecting or handshaking for the first time. */
  readonly connecting: number;
  /** Repairing an outage. */
  readonly reconnecting: number;
  /** Ending. */
  readonly stopping: number;
}

/** The coordinator, as far as health goes. */
export interface HealthCoordinator {
  /** False for the default single-instance {@link LocalCoordinator}; true in scale-out mode. */
  readonly shared: boolean;
  /** Whether the shared store answers; undefined for a coordinator that reports no status. Always true when not shared. */
  readonly reachable: boolean | undefined;
  /** The coordinator's own status, when it reports one (secret-free). */
  readonly status: CoordinatorStatus | undefined;
}

/**
 * The client's event WebSockets ({@link RtmsClient.connectEvents}), by state. Only streams still open or trying
 * count: one that ended (`closed`, or `failed` on a refused credential) has left the client, which said why with
 * an `error` event.
 */
export interface HealthEventStreams {
  /** Event streams that are open or trying. */
  readonly total: number;
  /** The socket is open: events arrive. */
  readonly connected: number;
  /** Opening for the first time. */
  readonly connecting: number;
  /** The socket dropped and is being reopened: events that happen meanwhile are lost (Zoom does not redeliver). */
  readonly reconnecting: number;
  /** Another instance of the fleet holds the subscription's socket; this one waits to take over. */
  readonly standby: number;
}

/** What `client.health()` returns. */
export interface HealthReport {
  /** Summary; see {@link HealthStatus}. */
  readonly status: HealthStatus;
  /** The client is not closed: it answers webhooks. */
  readonly live: boolean;
  /**
   * The client takes new streams: live, and its coordinator has started. A shared store that does not answer
   * leaves the client ready (it starts streams unregistered, see {@link CoordinatorState}); `status` says `degraded`.
   */
  readonly ready: boolean;
  /** Live sessions by what they are doing. */
  readonly sessions: HealthSessions;
  /** The coordinator. */
  readonly coordinator: HealthCoordinator;
  /** The event WebSockets; all zero when the app takes webhooks over HTTP only. */
  readonly eventStreams: HealthEventStreams;
}

/** Options of `client.healthResponse()` and of the health answers of `handleWebhook` and `fetchHandler`. */
export interface HealthResponseOptions {
  /** Answer 503 while a shared coordinator's store does not answer, not only when not ready. Default false. */
  requireCoordinator?: boolean;
  /** A HEAD request: same status and headers, empty body. Default false. */
  head?: boolean;
}

/**
 * The body of a health answer: {@link HealthReport} without the coordinator's details (the webhook route is
 * public; no error text or counts beyond these go out on it).
 */
export interface HealthBody {
  /** See {@link HealthReport.status}. */
  readonly status: HealthStatus;
  /** See {@link HealthReport.live}. */
  readonly live: boolean;
  /** See {@link HealthReport.ready}. */
  readonly ready: boolean;
  /** Live sessions, streaming and reconnecting. */
  readonly sessions: {
    /** Live sessions. */
    readonly total: number;
    /** Media flowing. */
    readonly streaming: number;
    /** Repairing an outage. */
    readonly reconnecting: number;
  };
  /** `local` (single instance), or the shared store's state: `ok`, `unreachable` or `unknown`. */
  readonly coordinator: 'local' | 'ok' | 'unreachable' | 'unknown';
  /** Event WebSockets open or trying, connected, and reconnecting (see {@link HealthEventStreams}). */
  readonly eventStreams: {
    /** Event streams open or trying. */
    readonly total: number;
    /** Open: events arrive. */
    readonly connected: number;
    /** Not open: opening for the first time, or dropped and being reopened. */
    readonly reconnecting: number;
  };
}

/** @internal The HTTP status and body of a health answer for `report`. */
export function healthAnswer(report: HealthReport, options: HealthResponseOptions = {}): { status: number; body: string } {
  const c = report.coordinator;
  const body: HealthBody = {
    status: report.status,
    live: report.live,
    ready: report.ready,
    sessions: { total: report.sessions.total, streaming: report.sessions.streaming, reconnecting: report.sessions.reconnecting },
    coordinator: !c.shared ? 'local' : c.reachable === undefined ? 'unknown' : c.reachable ? 'ok' : 'unreachable',
    eventStreams: {
      total: report.eventStreams.total,
      connected: report.eventStreams.connected,
      reconnecting: report.eventStreams.connecting + report.eventStreams.reconnecting,
    },
  };
  const up = report.ready && !(options.requireCoordinator === true && c.reachable === false);
  return { status: up ? 200 : 503, body: options.head === true ? '' : JSON.stringify(body) };
}
