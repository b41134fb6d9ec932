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

/** The client's side of a coordinator: what the coordinator calls back. */
export interface CoordinatorHost {
  /** A control message for a stream this instance owns. */
  onControl(message: ControlMessage): void;
  /** This instance has claimed a stream whose owner is gone: resume it. */
  onTakeover(lease: StreamLease): void;
  /** This instance no longer owns a stream (its lease lapsed or was taken): stop streaming it at once. */
  onLost(streamId: string): void;
}

/**
 * The coordination seam. Methods may be synchronous or return promises. Implementations must never let a claim
 * succeed on two instances for the same stream at once, and must call `onLost` before another instance can
 * claim a stream this one held.
 */
export interface StreamCoordinator {
  /** Connects the coordinator to its client; called once by the client's constructor. */
  attach(host: CoordinatorHost): void | Promise<void>;
  /** Tries to become the stream's owner. True when this instance owns it now. */
  claim(lease: StreamLease): boolean | Promise<boolean>;
  /** True while this instance holds a valid lease on the stream (checked before every reconnect attempt). */
  owns(streamId: string): boolean;
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
}

/** Single-instance coordination: owns whatever it is asked to claim; nothing to route or take over. */
export class LocalCoordinator implements StreamCoordinator {
  private readonly owned = new Set<string>();

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
