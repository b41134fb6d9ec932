/**
 * Coordination between app instances: which instance streams which RTMS stream.
 *
 * RTMS allows one connection per stream, Zoom sends each webhook to one URL behind whatever load balancer the
 * app runs, and a stream outlives an instance by about a minute (Zoom's reconnect window). A
 * {@link StreamCoordinator} makes "exactly one consumer per stream" hold across instances: an instance claims a
 * stream before connecting, keeps a lease while streaming, routes control webhooks it receives for streams it
 * does not own to the owner, and takes over streams whose owner died.
 *
 * The default, {@link LocalCoordinator}, is the single-instance behaviour: every claim succeeds, nothing is routed,
 * nothing is taken over, and it costs nothing. `rtms-client/redis` provides one for several instances.
 */
import type { RtmsProduct } from './protocol/products.js';

/** What another instance needs to resume a stream. */
export interface StreamLease {
  /** RTMS stream id. */
  readonly streamId: string;
  /** The product. */
  readonly product: RtmsProduct;
  /** Meeting UUID, webinar UUID, Video SDK session id or engagement id. */
  readonly productId: string;
  /** The webhook's `server_urls` (last known: updated on failover). */
  readonly serverUrls: string;
}

/** `*.rtms_stopped`, routed to the owner. */
export interface StoppedControl {
  /** Discriminant. */
  readonly type: 'stopped';
  /** The stream. */
  readonly streamId: string;
  /** The webhook's `stop_reason`. */
  readonly stopReason: number | undefined;
  /**
   * False for the stop reasons after which the owner tries a restart (10–19, 24); a final stop lets the
   * coordinator forget the stream at once. Default true.
   */
  readonly final?: boolean;
}

/** `*.rtms_interrupted`, routed to the owner. */
export interface InterruptedControl {
  /** Discriminant. */
  readonly type: 'interrupted';
  /** The stream. */
  readonly streamId: string;
}

/** A repeated `*.rtms_started` (a retry with the same URLs, or a server failover with new ones), routed to the owner. */
export interface StartedControl {
  /** Discriminant. */
  readonly type: 'started';
  /** The stream. */
  readonly streamId: string;
  /** The webhook's `server_urls`. */
  readonly serverUrls: string;
}

/** A control webhook for a stream, delivered to the instance that owns it. */
export type ControlMessage = StoppedControl | InterruptedControl | StartedControl;

/**
 * A stop or interrupted webhook that names only the product id, no `rtms_stream_id` (the Zoom Phone sample's stop
 * payload has just `call_id` and `stop_reason`). With no stream id there is no owner to look up: it goes to every
 * instance ({@link StreamCoordinator.broadcast}), and each applies it to its own sessions of that product id.
 */
export interface ProductControl {
  /** What the webhook says happened. */
  readonly type: 'stopped' | 'interrupted';
  /** The product of the webhook's event. */
  readonly product: RtmsProduct;
  /** Meeting UUID, webinar UUID, Video SDK session id, engagement id or call id. */
  readonly productId: string;
  /** The webhook's `stop_reason` (`stopped` only). */
  readonly stopReason?: number | undefined;
  /**
   * When the sending instance received the webhook (epoch ms, its clock). A receiver applies the message only to
   * sessions it created before then (with a second's allowance for clock skew), so a copy that reaches it late, after
   * Redis held the publish through a stall, cannot end a newer stream of the same product id.
   */
  readonly at: number;
}

/**
 * Whether the coordinator's shared store answers. `ok`: it does. `unreachable`: its commands time out or fail
 * (a stalled, restarting or failed-over store, a partition). While unreachable the instance runs degraded: it
 * keeps streaming the streams it holds, starts the streams whose `rtms_started` it receives, takes nothing over,
 * and re-registers everything once the store answers again.
 */
export type CoordinatorState = 'ok' | 'unreachable';

/** A coordinator's view of its shared store, for health checks and monitoring. Never contains secrets. */
export interface CoordinatorStatus {
  /** See {@link CoordinatorState}. */
  readonly state: CoordinatorState;
  /** When `state` last changed (epoch ms); 0 when it never did. */
  readonly since: number;
  /** Streams this instance streams without a current confirmation from the store (kept through an outage, or started during one). */
  readonly unconfirmedStreams: number;
  /** Operations waiting for the store to come back (releases, routed stops and failovers). */
  readonly pendingOperations: number;
  /** The last failure, short and secret-free (`command timed out after 500 ms`, a connection error's message). */
  readonly lastError?: string;
}

/**
 * What {@link StreamCoordinator.offer} did with a new stream. `offered`: the fleet was told and one instance will
 * claim it; `owned`: another instance already owns the stream and was sent the event (a failover or a repeat);
 * `unavailable`: nobody could be told (the store does not answer, or no instance listens): handle it here.
 */
export type OfferOutcome = 'offered' | 'owned' | 'unavailable';

/**
 * One role held by at most one instance of the fleet at a time (the event WebSocket of one subscription), from
 * {@link StreamCoordinator.lead}.
 */
export interface LeaderElection {
  /** True while this instance holds the role. */
  readonly leading: boolean;
  /**
   * The fencing number of the current term: it grows by one each time any instance takes the role, so logs and
   * events show which holder came later. Undefined while not leading.
   */
  readonly epoch: number | undefined;
  /** Gives the role up (the next instance takes it at its next attempt) and stops competing. Idempotent; bounded. */
  resign(): Promise<void>;
}

/** The client's side of a coordinator: what the coordinator calls back. */
export interface CoordinatorHost {
  /** A control message for a stream this instance owns. */
  onControl(message: ControlMessage): void;
  /** This instance has claimed a stream whose owner is gone: resume it. */
  onTakeover(lease: StreamLease): void;
  /**
   * This instance no longer owns a stream: the store answered that another instance holds its lease, or this
   * process itself stalled past the lease. Stop streaming it at once.
   */
  onLost(streamId: string): void;
  /** The coordinator's {@link CoordinatorStatus} changed (the store stopped or started answering). */
  onStatus?(status: CoordinatorStatus): void;
  /**
   * A new stream offered to the whole fleet ({@link StreamCoordinator.offer}): claim it, or leave it to a less
   * loaded instance. Every instance, the offering one included, is told.
   */
  onOffer?(lease: StreamLease): void;
  /** A {@link ProductControl} sent to the whole fleet: apply it to this instance's sessions of that product id. */
  onProductControl?(message: ProductControl): void;
}

/**
 * The coordination seam. Methods may be synchronous or return promises; none may reject for a store that does
 * not answer (that is {@link CoordinatorStatus}), and each must settle in bounded time.
 *
 * Implementations must never let a claim succeed on two instances for the same stream while the store answers
 * both. While the store cannot be reached, an instance may keep (and start) streams it cannot register: RTMS
 * itself allows one connection per stream, so an overlap during a partition is settled by Zoom (a second
 * connection is refused, or kicks the first off), and the coordinator re-registers the stream with
 * compare-and-set semantics once the store answers. Only an answer from the store that another instance holds
 * the stream (or this process stalling past its lease) makes an implementation call `onLost`.
 */
export interface StreamCoordinator {
  /** Connects the coordinator to its client; called once by the client's constructor. Must settle in bounded time. */
  attach(host: CoordinatorHost): void | Promise<void>;
  /**
   * Tries to become the stream's owner. True when this instance should stream it: it owns it now, or the store
   * cannot be reached and the claim is provisional (registered once the store answers). False when another
   * instance owns it.
   */
  claim(lease: StreamLease): boolean | Promise<boolean>;
  /** True while this instance may act as the stream's owner. */
  owns(streamId: string): boolean;
  /**
   * Asked before every reconnect attempt of an owned stream; false makes the session hand the stream over. When
   * absent, {@link owns} is asked. Lets an implementation bound the reconnects of a stream it cannot confirm.
   */
  mayReconnect?(streamId: string): boolean;
  /** Records new `server_urls` for an owned stream (after a failover), so a takeover uses them. */
  update(lease: StreamLease): void | Promise<void>;
  /**
   * Gives up ownership. `forget`: the stream is over, drop its record so nobody resumes it; otherwise another
   * instance may take it over (a handover on shutdown).
   */
  release(streamId: string, forget: boolean): void | Promise<void>;
  /** Delivers a control message to the stream's owner. True when an owner exists and was told. */
  route(message: ControlMessage): boolean | Promise<boolean>;
  /** Stops renewing and listening; owned streams are released without forgetting them. */
  close(): Promise<void>;
  /**
   * Optional: elects one instance of the fleet to hold `role` (the client uses one role per event-subscription URL).
   * `onChange(true)` when this instance takes the role, `onChange(false)` when it must give it up (another instance
   * holds it, or this process stalled past its lease). Absent: every instance holds every role (single instance).
   */
  lead?(role: string, onChange: (leading: boolean) => void): LeaderElection;
  /**
   * Optional: hands a new stream (an `rtms_started` that arrived over the event WebSocket, which only the leader
   * holds) to the fleet, so that streams spread over the instances as webhooks behind a load balancer do. If an
   * instance already owns the stream, the event goes to it as a routed `started` control message instead.
   * Absent: the receiving instance claims the stream itself.
   */
  offer?(lease: StreamLease): Promise<OfferOutcome>;
  /**
   * Optional: sends a {@link ProductControl} to every other instance (`onProductControl`; not back to this one).
   * True when at least one other instance listens. Not retried: while the store does not answer, such a webhook
   * reaches only the receiving instance's sessions (the others learn the end from their own sockets). Absent: the
   * same, always.
   */
  broadcast?(message: ProductControl): Promise<boolean>;
  /** Whether the shared store answers; absent for a coordinator without one. Read it for health checks. */
  readonly status?: CoordinatorStatus;
}

const LOCAL_STATUS: CoordinatorStatus = Object.freeze({ state: 'ok', since: 0, unconfirmedStreams: 0, pendingOperations: 0 });

/** Single-instance coordination: owns whatever it is asked to claim; nothing to route or take over. */
export class LocalCoordinator implements StreamCoordinator {
  private readonly owned = new Set<string>();

  /** Always `ok`: there is no shared store. */
  get status(): CoordinatorStatus {
    return LOCAL_STATUS;
  }

  /** Nothing to connect. */
  attach(): void {}

  /** Succeeds unless this instance already owns the stream. */
  claim(lease: StreamLease): boolean {
    if (this.owned.has(lease.streamId)) return false;
    this.owned.add(lease.streamId);
    return true;
  }

  /** True for claimed streams. */
  owns(streamId: string): boolean {
    return this.owned.has(streamId);
  }

  /** Nothing is stored. */
  update(): void {}

  /** Forgets the claim. */
  release(streamId: string): void {
    this.owned.delete(streamId);
  }

  /** There is no other instance to route to. */
  route(): boolean {
    return false;
  }

  /** Drops every claim. */
  close(): Promise<void> {
    this.owned.clear();
    return Promise.resolve();
  }
}
