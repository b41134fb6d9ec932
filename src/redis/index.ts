/**
 * `rtms-client/redis`: several app instances share RTMS streams through Redis, with exactly one consumer per
 * stream, routing of control webhooks to the owner, and takeover when an owner dies.
 *
 * ```ts
 * import { createClient } from 'redis';
 * import { RtmsClient } from 'rtms-client';
 * import { RedisCoordinator } from 'rtms-client/redis';
 *
 * const redis = await createClient({ url: process.env.REDIS_URL, disableOfflineQueue: true }).connect();
 * const subscriber = await redis.duplicate().connect();
 * const client = new RtmsClient({ clientId, clientSecret, webhookSecretToken,
 *   coordinator: new RedisCoordinator({ client: redis, subscriber }) });
 * ```
 *
 * Model: a lease key per stream (`SET NX PX`, renewed while streaming) names the owning instance; a record key
 * keeps what a survivor needs to resume the stream (product, ids, last `server_urls`) and expires
 * `takeoverWindowMs` after the owner's last renewal, matching Zoom's reconnect window. Control webhooks for a
 * stream this instance does not own are published on the owner's channel; one that names only the product id
 * (no stream id) is published to the whole fleet. Every instance scans for records
 * whose lease lapsed and claims them atomically; the winner resumes the stream. All state changes are Lua
 * scripts (compare-and-set on the lease value), so a claim and its record are written atomically.
 *
 * Redis is a helper, not a single point of failure. Every command has a timeout (`commandTimeoutMs`), and only an
 * answer from Redis that another instance holds a lease makes this instance give a stream up. While Redis does
 * not answer (a stall, a restart, a failover, a partition), the instance runs degraded ({@link RedisCoordinator.status}
 * `unreachable`): it keeps streaming what it holds, starts the streams whose `rtms_started` it receives, takes
 * nothing over, and allows each stream it cannot confirm at most two reconnects. When Redis answers again, every
 * renewal re-asserts its lease and record with compare-and-set (a lease that expired, or was lost with Redis'
 * data, is written again unless another instance holds it), routed stops and releases that failed are applied,
 * and takeovers wait one lease so that live owners re-register first (so does a new instance, for its first lease:
 * it cannot know whether Redis just came back from an outage it did not see).
 *
 * One exception to "only Redis' answer": a process that itself did not run for longer than its lease (a long GC
 * pause, SIGSTOP, a suspended VM) cuts the streams whose lease it can no longer vouch for at once, since a
 * survivor may already have taken them over.
 *
 * The Redis client is an optional peer dependency. Every node-redis (v4 or later) client works, as does anything with
 * the same `eval` / `subscribe` shape.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { ControlMessage, CoordinatorHost, CoordinatorState, CoordinatorStatus, LeaderElection, OfferOutcome, ProductControl, StreamCoordinator, StreamLease } from '../coordination.js';
import { safeLogger, type RtmsLogger, type SafeLogger } from '../logger.js';
import { isRtmsProduct } from '../protocol/products.js';
import { describeError } from '../errors.js';

export type { CoordinatorState, CoordinatorStatus } from '../coordination.js';

/** The commands the coordinator uses, as node-redis names them. */
export interface RedisCommands {
  /** `EVAL script numkeys keys... args...`. */
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

/** A connection in subscriber mode (node-redis: `client.duplicate()`, connected). */
export interface RedisSubscriber {
  /** Subscribes `listener` to `channel`. */
  subscribe(channel: string, listener: (message: string, channel: string) => void): Promise<unknown>;
  /** Unsubscribes from `channel`. */
  unsubscribe(channel: string): Promise<unknown>;
}

/** Options of {@link RedisCoordinator}. */
export interface RedisCoordinatorOptions {
  /** A connected client for commands. */
  client: RedisCommands;
  /** A second connected client, used only to receive routed control messages. */
  subscriber: RedisSubscriber;
  /** This instance's id. Default: random. Must be unique per running instance. */
  instanceId?: string;
  /** Prefix of every key and channel. Default `rtms:`. */
  keyPrefix?: string;
  /** Lease length. A dead owner's streams are taken over roughly this long after it died. Default 10 000 ms. */
  leaseMs?: number;
  /** How often leases are renewed. Default a third of `leaseMs`. */
  renewIntervalMs?: number;
  /** How often orphaned streams are looked for. Default 1 000 ms. */
  scanIntervalMs?: number;
  /**
   * How long after its owner's last renewal a stream may still be resumed. Default 55 000 ms, inside Zoom's
   * ~60 s signaling reconnect window.
   */
  takeoverWindowMs?: number;
  /**
   * Time allowed for each Redis command; a command that takes longer counts as Redis being unreachable (node-redis
   * has no command timeout of its own by default). Default `renewIntervalMs`, at most 1 000 ms; at most half of
   * `leaseMs`. A webhook waits for at most two commands, so keep it well under Zoom's 3 s webhook timeout.
   */
  commandTimeoutMs?: number;
  /** Where to log (nothing by default). */
  logger?: RtmsLogger;
}

/** Claims a lease and writes the stream's record. KEYS: lease, record, set. ARGV: me, leaseMs, record, recordTtl, id. */
const CLAIM = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[4])
  redis.call('SADD', KEYS[3], ARGV[5])
  return 1
end
return 0`;

/**
 * Renews (and re-asserts) a batch of leases. Per stream: a lease that is ours is extended (1); a lease that is
 * missing (it expired while Redis was unreachable, or Redis lost its data) is written again with the record (2);
 * a lease another instance holds is left alone (0). A record is rewritten when flagged (new `server_urls`, a
 * provisional claim) or re-asserted; otherwise only its expiry moves, so a record forgotten by a routed final
 * stop is not brought back. KEYS: lease and record of each stream, then the set. ARGV: me, leaseMs, recordTtl,
 * then id, record, rewrite flag per stream. Returns one code per stream.
 */
const RENEW = `
local n = (#KEYS - 1) / 2
local set = KEYS[#KEYS]
local out = {}
for i = 1, n do
  local lease, rec = KEYS[2 * i - 1], KEYS[2 * i]
  local id, record, rewrite = ARGV[3 * i + 1], ARGV[3 * i + 2], ARGV[3 * i + 3]
  local owner = redis.call('GET', lease)
  if owner == ARGV[1] then
    redis.call('PEXPIRE', lease, ARGV[2])
    if rewrite == '1' then
      redis.call('SET', rec, record, 'PX', ARGV[3])
      redis.call('SADD', set, id)
    else
      redis.call('PEXPIRE', rec, ARGV[3])
    end
    out[i] = 1
  elseif not owner then
    redis.call('SET', lease, ARGV[1], 'PX', ARGV[2])
    redis.call('SET', rec, record, 'PX', ARGV[3])
    redis.call('SADD', set, id)
    out[i] = 2
  else
    out[i] = 0
  end
end
return out`;

/** Rewrites the record if the lease is ours. KEYS: lease, record. ARGV: me, record, recordTtl. */
const UPDATE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0`;

/**
 * Releases a lease if ours; with forget, drops the record too, also when the lease already expired (a stop that
 * could not reach Redis in time), but never when another instance holds the lease. KEYS: lease, record, set.
 * ARGV: me, forget, id.
 */
const RELEASE = `
local owner = redis.call('GET', KEYS[1])
if owner == ARGV[1] then
  redis.call('DEL', KEYS[1])
elseif owner then
  return 0
end
if ARGV[2] == '1' then
  redis.call('DEL', KEYS[2])
  redis.call('SREM', KEYS[3], ARGV[3])
end
return 1`;

/**
 * Publishes a control message to the owner. A final stop also forgets the stream at once, so nobody resumes it
 * even if the owner dies before it releases. KEYS: lease, record, set. ARGV: channel prefix, message, forget, id.
 * Returns receivers (0 = nobody).
 */
const ROUTE = `
local owner = redis.call('GET', KEYS[1])
local n = 0
if owner then n = redis.call('PUBLISH', ARGV[1] .. owner, ARGV[2]) end
if ARGV[3] == '1' then
  redis.call('DEL', KEYS[2])
  redis.call('SREM', KEYS[3], ARGV[4])
end
return n`;

/**
 * Lists streams with a record and no lease (orphans), pruning ids whose record expired. KEYS: set.
 * ARGV: prefix. Returns the orphaned ids.
 */
const ORPHANS = `
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[1] .. 'stream:' .. id) == 0 then
    redis.call('SREM', KEYS[1], id)
  elseif redis.call('EXISTS', ARGV[1] .. 'lease:' .. id) == 0 then
    table.insert(out, id)
  end
end
return out`;

/** Takes an orphan over: claims the lease if free and the record still exists. KEYS: lease, record. ARGV: me, leaseMs. */
const TAKE = `
local rec = redis.call('GET', KEYS[2])
if not rec then return false end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return rec end
return false`;

/**
 * Offers a new stream to the fleet: if an instance owns it, sends it the `started` control message instead.
 * KEYS: lease. ARGV: control channel prefix, started message, offers channel, lease. Returns { kind, receivers }.
 */
const OFFER = `
local owner = redis.call('GET', KEYS[1])
if owner then return { 'owned', redis.call('PUBLISH', ARGV[1] .. owner, ARGV[2]) } end
return { 'offered', redis.call('PUBLISH', ARGV[3], ARGV[4]) }`;

/**
 * Takes a role if nobody holds it: the value is `<instance>:<epoch>`, the epoch a counter that grows with every
 * new holder (the fencing number). KEYS: role, epoch counter. ARGV: instance, leaseMs. Returns the value or false.
 */
const LEAD = `
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local v = ARGV[1] .. ':' .. redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], v, 'PX', ARGV[2])
return v`;

/**
 * Renews a held role: 1 when it is ours (extended), 2 when it was missing (expired while Redis was unreachable, or
 * lost with Redis' data: written again with the same value), the holder's value when another instance holds it.
 * KEYS: role. ARGV: value, leaseMs.
 */
const LEAD_RENEW = `
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 2 end
return v`;

/** Publishes to the fleet's channel. ARGV: channel, message. Returns the number of receivers. */
const BROADCAST = `return redis.call('PUBLISH', ARGV[1], ARGV[2])`;

/** Gives a role up if ours. KEYS: role. ARGV: value. */
const RESIGN = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end
return 0`;

/** One role this instance competes for (see {@link RedisCoordinator.lead}). */
interface Election {
  readonly key: string;
  readonly onChange: (leading: boolean) => void;
  /** `<instance>:<epoch>` while leading. */
  value: string | undefined;
  timer: ReturnType<typeof setInterval> | undefined;
  busy: boolean;
  resigned: boolean;
  /** When the election timer last fired (busy or not): a longer gap means the process did not run. */
  lastTick: number;
  /** Another holder a renewal found while this instance held the role, and when it was first seen. */
  rival: { value: string; since: number } | undefined;
}

/** Streams renewed per script call. */
const RENEW_BATCH = 500;
/** Reconnects allowed to a stream whose lease cannot be confirmed (Redis unreachable), per unconfirmed period. */
const UNCONFIRMED_RECONNECTS = 2;
/** Operations kept for Redis' return, at most. */
const MAX_PENDING = 10_000;

interface Owned {
  /** What a renewal writes back (last known `server_urls`). */
  lease: StreamLease;
  /** This instance may act as owner without asking Redis until this time (monotonic clock). */
  validUntil: number;
  /** Redis acknowledged this instance's lease at least once (false: a provisional claim made while unreachable). */
  confirmed: boolean;
  /** Local revision of `lease`; the record in Redis is known to hold `writtenRev`. */
  rev: number;
  writtenRev: number;
  /** Reconnects granted since the lease could last be confirmed. */
  graces: number;
}

type Pending = { readonly kind: 'release'; readonly streamId: string; readonly forget: boolean; readonly at: number } | { readonly kind: 'route'; readonly message: ControlMessage; readonly at: number };

type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: string };

function positive(name: string, v: number | undefined, d: number): number {
  if (v === undefined) return d;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new TypeError(`${name} must be a positive number`);
  return v;
}

const clock = (): number => performance.now();

/** A {@link StreamCoordinator} on Redis. See the module documentation. */
export class RedisCoordinator implements StreamCoordinator {
  /** This instance's id (the value of the lease keys it holds). */
  readonly instanceId: string;
  readonly #client: RedisCommands;
  readonly #subscriber: RedisSubscriber;
  readonly #prefix: string;
  readonly #leaseMs: number;
  readonly #renewMs: number;
  readonly #scanMs: number;
  readonly #windowMs: number;
  readonly #timeoutMs: number;
  readonly #margin: number;
  /** A gap between renewal ticks longer than this means the process itself did not run. */
  readonly #stallMs: number;
  readonly #log: SafeLogger;
  readonly #owned = new Map<string, Owned>();
  /** Streams this instance gave up recently: not to be taken back by its own scan (monotonic deadline). */
  readonly #handedOver = new Map<string, number>();
  /** Operations that could not reach Redis, applied when it answers again (keyed, so a later one replaces an earlier). */
  readonly #pending = new Map<string, Pending>();
  #host: CoordinatorHost | undefined;
  #renewTimer: ReturnType<typeof setInterval> | undefined;
  #scanTimer: ReturnType<typeof setInterval> | undefined;
  #lastTick = clock();
  #renewing = false;
  #scanning = false;
  #flushing = false;
  #closed = false;
  #state: CoordinatorState = 'ok';
  #since = 0;
  #lastError: string | undefined;
  /** No takeovers before this time (monotonic): after an outage, live owners re-register first. */
  #noTakeoversUntil = 0;
  #subscribed = false;
  #subscribing: Promise<void> | undefined;
  readonly #onMessage = (message: string): void => this.#message(message);
  readonly #onOffer = (message: string): void => this.#offered(message);
  readonly #elections = new Map<string, Election>();
  /** No role is taken before this time (monotonic): after an outage, the holder re-asserts first. */
  #noLeadUntil = 0;

  /**
   * Checks the options; connects nothing (the client's constructor calls {@link attach}).
   *
   * @throws TypeError for a missing client or subscriber, or inconsistent timings.
   */
  constructor(options: RedisCoordinatorOptions) {
    if (typeof options?.client?.eval !== 'function') throw new TypeError('RedisCoordinator needs a connected client with eval()');
    if (typeof options.subscriber?.subscribe !== 'function') throw new TypeError('RedisCoordinator needs a subscriber connection (client.duplicate())');
    this.#client = options.client;
    this.#subscriber = options.subscriber;
    this.instanceId = options.instanceId ?? randomBytes(8).toString('hex');
    this.#prefix = options.keyPrefix ?? 'rtms:';
    this.#leaseMs = positive('leaseMs', options.leaseMs, 10_000);
    this.#renewMs = positive('renewIntervalMs', options.renewIntervalMs, Math.floor(this.#leaseMs / 3));
    this.#scanMs = positive('scanIntervalMs', options.scanIntervalMs, 1_000);
    this.#windowMs = positive('takeoverWindowMs', options.takeoverWindowMs, 55_000);
    this.#timeoutMs = positive('commandTimeoutMs', options.commandTimeoutMs, Math.min(1_000, this.#renewMs));
    if (this.#renewMs * 2 > this.#leaseMs) throw new TypeError('renewIntervalMs must be at most half of leaseMs');
    if (this.#timeoutMs * 2 > this.#leaseMs) throw new TypeError('commandTimeoutMs must be at most half of leaseMs');
    // Give up local ownership a little before Redis would expire the lease.
    this.#margin = Math.min(1_000, Math.floor(this.#leaseMs / 5));
    this.#stallMs = this.#renewMs + Math.max(this.#margin, this.#renewMs);
    this.#log = safeLogger(options.logger, `rtms redis ${this.instanceId}`);
  }

  /** Streams this instance may act as owner of. */
  get ownedStreams(): readonly string[] {
    return [...this.#owned.keys()].filter((id) => this.owns(id));
  }

  /**
   * Whether Redis answers: `ok`, or `unreachable` (degraded mode; see the module documentation), with the number of
   * streams kept or started without a confirmation and of operations waiting for Redis. A new object per read.
   */
  get status(): CoordinatorStatus {
    const now = clock();
    let unconfirmed = 0;
    for (const o of this.#owned.values()) if (!o.confirmed || now >= o.validUntil) unconfirmed++;
    const s: CoordinatorStatus = { state: this.#state, since: this.#since, unconfirmedStreams: unconfirmed, pendingOperations: this.#pending.size };
    return Object.freeze(this.#lastError === undefined ? s : { ...s, lastError: this.#lastError });
  }

  #key(kind: 'lease' | 'stream', id: string): string {
    return `${this.#prefix}${kind}:${id}`;
  }

  get #set(): string {
    return `${this.#prefix}streams`;
  }

  #channel(instanceId: string): string {
    return `${this.#prefix}ctl:${instanceId}`;
  }

  get #offers(): string {
    return `${this.#prefix}offers`;
  }

  /**
   * Starts renewing and scanning, and subscribes to this instance's control channel. Resolves within
   * `commandTimeoutMs` even when Redis does not answer (the subscription is then retried at every scan).
   */
  async attach(host: CoordinatorHost): Promise<void> {
    this.#host = host;
    this.#lastTick = clock();
    // A new instance cannot know whether Redis just came back from an outage it did not see, with live owners
    // still to re-assert their leases: it takes nothing over during its first lease.
    this.#noTakeoversUntil = this.#lastTick + this.#leaseMs;
    this.#renewTimer = setInterval(() => this.#tick(), this.#renewMs);
    this.#renewTimer.unref();
    this.#scanTimer = setInterval(() => void this.#scan(), this.#scanMs);
    this.#scanTimer.unref();
    await this.#bounded(this.#subscribe());
  }

  /**
   * Atomically claims the lease and writes the stream's record. While Redis cannot be reached (the claim times
   * out or fails, or Redis is already known to be unreachable) the claim is provisional: true, so that the stream
   * is not lost, and registered by the renewals once Redis answers, unless another instance holds it by then.
   */
  async claim(lease: StreamLease): Promise<boolean> {
    if (this.#closed || this.#owned.has(lease.streamId)) return false;
    if (this.#state === 'unreachable') return this.#provisional(lease);
    const sent = clock();
    const r = await this.#run(CLAIM, [this.#key('lease', lease.streamId), this.#key('stream', lease.streamId), this.#set], [
      this.instanceId,
      String(this.#leaseMs),
      JSON.stringify(lease),
      String(this.#windowMs),
      lease.streamId,
    ]);
    if (!r.ok) return this.#provisional(lease);
    if (Number(r.value) !== 1 || this.#closed || this.#owned.has(lease.streamId)) return false;
    this.#owned.set(lease.streamId, { lease, validUntil: sent + this.#leaseMs - this.#margin, confirmed: true, rev: 0, writtenRev: 0, graces: 0 });
    return true;
  }

  #provisional(lease: StreamLease): boolean {
    if (this.#closed || this.#owned.has(lease.streamId)) return false;
    this.#owned.set(lease.streamId, { lease, validUntil: 0, confirmed: false, rev: 0, writtenRev: -1, graces: 0 });
    this.#log.warn('Redis is unreachable: streaming a new stream unregistered; it is registered when Redis answers', { streamId: lease.streamId });
    return true;
  }

  /**
   * True while this instance may act as the stream's owner: its lease is confirmed, or Redis cannot be reached
   * and nothing says another instance holds it. False once this process stalled past the lease.
   */
  owns(streamId: string): boolean {
    const o = this.#owned.get(streamId);
    if (o === undefined) return false;
    const now = clock();
    return now < o.validUntil || !this.#stalled(now);
  }

  /**
   * Asked before each reconnect attempt. A confirmed lease allows it. A stream whose lease cannot be confirmed
   * (Redis unreachable, or a provisional claim) may reconnect twice until Redis confirms it again: during a
   * partition another instance may hold the stream, and when Zoom kicks the older connection off, a bounded
   * number of reconnects ends the tug of war. Never after this process stalled past the lease.
   */
  mayReconnect(streamId: string): boolean {
    const o = this.#owned.get(streamId);
    if (o === undefined) return false;
    const now = clock();
    if (now < o.validUntil) return true;
    if (this.#stalled(now)) return false;
    if (o.graces >= UNCONFIRMED_RECONNECTS) {
      this.#log.warn(`not reconnecting: the lease cannot be confirmed and ${UNCONFIRMED_RECONNECTS} unconfirmed reconnects were spent`, { streamId });
      return false;
    }
    o.graces++;
    this.#log.info(`reconnecting without a confirmed lease (Redis ${this.#state}), ${o.graces} of ${UNCONFIRMED_RECONNECTS}`, { streamId });
    return true;
  }

  /** Records new `server_urls` (after a failover); rewritten at the next renewal when Redis does not answer now. */
  async update(lease: StreamLease): Promise<void> {
    const o = this.#owned.get(lease.streamId);
    if (o === undefined) return;
    o.lease = lease;
    const rev = ++o.rev;
    if (this.#state === 'unreachable') return;
    const r = await this.#run(UPDATE, [this.#key('lease', lease.streamId), this.#key('stream', lease.streamId)], [this.instanceId, JSON.stringify(lease), String(this.#windowMs)]);
    if (r.ok && Number(r.value) === 1 && o.writtenRev < rev) o.writtenRev = rev;
  }

  /**
   * Releases the lease; `forget` drops the record so nobody resumes the stream. A release that cannot reach Redis
   * is applied when Redis answers again (a forgotten stream must not be resumed by another instance later).
   */
  async release(streamId: string, forget: boolean): Promise<void> {
    const held = this.#owned.delete(streamId);
    if (!held) return;
    if (!forget) this.#handedOver.set(streamId, clock() + this.#leaseMs + 2 * this.#scanMs);
    await this.#releaseRemote(streamId, forget);
  }

  async #releaseRemote(streamId: string, forget: boolean): Promise<void> {
    const r = await this.#run(RELEASE, [this.#key('lease', streamId), this.#key('stream', streamId), this.#set], [this.instanceId, forget ? '1' : '0', streamId]);
    if (r.ok) {
      this.#pending.delete(`release:${streamId}`);
      return;
    }
    const prev = this.#pending.get(`release:${streamId}`);
    const keepForget = forget || (prev?.kind === 'release' && prev.forget);
    this.#defer(`release:${streamId}`, { kind: 'release', streamId, forget: keepForget, at: clock() });
  }

  /**
   * Publishes a control message on the owner's channel. While Redis cannot be reached it answers false at once;
   * a final stop and a failover (`started`) are then delivered when Redis answers again (within the takeover window).
   */
  async route(message: ControlMessage): Promise<boolean> {
    if (this.#state === 'ok') {
      const r = await this.#routeNow(message);
      if (r.ok) return Number(r.value) > 0;
    }
    const worthLater = message.type === 'started' || (message.type === 'stopped' && message.final !== false);
    if (worthLater) this.#defer(`route:${message.type}:${message.streamId}`, { kind: 'route', message, at: clock() });
    return false;
  }

  #routeNow(message: ControlMessage): Promise<Outcome> {
    const id = message.streamId;
    return this.#run(ROUTE, [this.#key('lease', id), this.#key('stream', id), this.#set], [
      `${this.#prefix}ctl:`,
      JSON.stringify(message),
      message.type === 'stopped' && message.final !== false ? '1' : '0',
      id,
    ]);
  }

  /**
   * Sends a stop or interrupted webhook that names only the product id to every other instance, on the fleet's
   * channel (the one offers use); this instance ignores its own. True when at least one other instance listens.
   * Not retried while Redis does not answer (a copy published late could only do harm; see
   * {@link ProductControl.at} for one that Redis itself runs late).
   */
  async broadcast(message: ProductControl): Promise<boolean> {
    if (this.#closed || this.#state === 'unreachable') return false;
    const r = await this.#run(BROADCAST, [], [this.#offers, JSON.stringify({ control: message, from: this.instanceId })]);
    return r.ok && Number(r.value) > (this.#subscribed ? 1 : 0);
  }

  /**
   * Offers a new stream to every instance (a Redis channel all of them listen on; each decides by its load
   * whether to claim, and the claim stays atomic), unless an instance owns it already: then it is sent the
   * `started` control message, as {@link route} does. `unavailable` while Redis does not answer or nobody listens.
   */
  async offer(lease: StreamLease): Promise<OfferOutcome> {
    if (this.#closed || this.#state === 'unreachable') return 'unavailable';
    const started: ControlMessage = { type: 'started', streamId: lease.streamId, serverUrls: lease.serverUrls };
    const r = await this.#run(OFFER, [this.#key('lease', lease.streamId)], [`${this.#prefix}ctl:`, JSON.stringify(started), this.#offers, JSON.stringify(lease)]);
    if (!r.ok || !Array.isArray(r.value)) return 'unavailable';
    const [kind, receivers] = r.value as unknown[];
    if (kind === 'owned') return 'owned';
    return Number(receivers) > 0 ? 'offered' : 'unavailable';
  }

  /**
   * Competes for `role` (one lease key, `SET` only when absent, renewed every `renewIntervalMs`, fenced by an
   * epoch that grows with every new holder). `onChange(true)` when this instance takes it; `onChange(false)` when
   * two renewals at least `renewIntervalMs` apart find that another instance holds it, or this process stalled past
   * the lease. While Redis does not answer, a holder keeps the role (it cannot renew, and nobody else can take it);
   * when Redis answers again it re-asserts it, or gives it up if another instance took it meanwhile (possible only
   * if that one could reach Redis while this one could not). A non-holder tries at every renewal tick.
   *
   * @throws TypeError when this instance already competes for `role`.
   */
  lead(role: string, onChange: (leading: boolean) => void): LeaderElection {
    const key = `${this.#prefix}leader:${role}`;
    if (this.#elections.has(key)) throw new TypeError(`RedisCoordinator: already competing for role ${role}`);
    const e: Election = { key, onChange, value: undefined, timer: undefined, busy: false, resigned: false, lastTick: clock(), rival: undefined };
    this.#elections.set(key, e);
    if (!this.#closed) {
      e.timer = setInterval(() => this.#electionTimer(e), Math.min(this.#renewMs, this.#scanMs));
      e.timer.unref();
      void this.#electionTick(e);
    }
    return {
      get leading() {
        return e.value !== undefined;
      },
      get epoch() {
        return e.value === undefined ? undefined : Number(e.value.slice(e.value.lastIndexOf(':') + 1));
      },
      resign: () => this.#resign(e),
    };
  }

  /**
   * The election timer: the stall fence, then a tick. The gap is measured between timer firings, not between
   * finished ticks: a tick waiting for a Redis that does not answer is busy for up to a command timeout, and that
   * wait is not the process stalling.
   */
  #electionTimer(e: Election): void {
    const now = clock();
    const gap = now - e.lastTick;
    e.lastTick = now;
    if (e.value !== undefined && gap > this.#leaseMs - this.#margin) {
      // This process did not run for longer than the role's lease: another instance may hold it by now.
      this.#stepDown(e, `this process did not run for ${Math.round(gap)} ms, past the lease`);
    }
    void this.#electionTick(e);
  }

  async #electionTick(e: Election): Promise<void> {
    if (e.busy || e.resigned || this.#closed) return;
    e.busy = true;
    try {
      const now = clock();
      if (e.value !== undefined) {
        const held = e.value;
        // A renewal queued while Redis did not answer and run when it answered: if this instance gave the role up
        // meanwhile, a key it wrote back is freed at once.
        const late = (value: unknown): void => {
          if (Number(value) === 2 && e.value !== held) void this.#run(RESIGN, [e.key], [held]);
        };
        const sent = clock();
        const r = await this.#run(LEAD_RENEW, [e.key], [held, String(this.#leaseMs)], late);
        if (e.resigned || e.value !== held) return;
        // No answer: keep the role (nobody else can take it from a Redis that does not answer either).
        if (!r.ok) return;
        if (typeof r.value === 'string') {
          this.#rivalSeen(e, r.value, sent);
          return;
        }
        e.rival = undefined;
        if (Number(r.value) === 2) this.#log.info('re-asserted a role Redis no longer had', { role: e.key });
        return;
      }
      if (this.#state === 'unreachable') return; // the scans probe Redis meanwhile
      if (now < this.#noLeadUntil) return;
      // A take that answers after its timeout (sent as Redis stopped answering, run when it answers again: the
      // client queues commands) holds a role nobody acts on, and would make the holder that kept its socket through
      // the outage give it up: free it at once.
      const late = (value: unknown): void => {
        if (typeof value === 'string' && e.value !== value) void this.#run(RESIGN, [e.key], [value]);
      };
      const r = await this.#run(LEAD, [e.key, `${e.key}:epoch`], [this.instanceId, String(this.#leaseMs)], late);
      if (!r.ok || typeof r.value !== 'string') return;
      if (e.resigned || this.#closed) {
        void this.#run(RESIGN, [e.key], [r.value]);
        return;
      }
      e.value = r.value;
      this.#log.info(`took the role (epoch ${r.value.slice(r.value.lastIndexOf(':') + 1)})`, { role: e.key });
      this.#tellElection(e, true);
    } finally {
      e.busy = false;
    }
  }

  /**
   * A renewal found another instance's value on the role. The holder gives the role up only when the same value is
   * still there at a renewal at least `renewIntervalMs` after the first sighting. A real holder renews its key and
   * is seen again; a take that ran late (sent by another instance as Redis stopped answering, run when it answered
   * again, after this one's key expired in the outage) is given back by its sender as soon as its answer arrives,
   * so it is gone by then, and stepping down at the first sighting would close the only working socket for nothing.
   * The cost: after a partition that cut only this instance off, both keep a socket for one more renewal interval.
   */
  #rivalSeen(e: Election, value: string, sent: number): void {
    // Timed by when each renewal was sent: a slow answer to the first does not push the second past its interval.
    const now = sent;
    if (e.rival === undefined || e.rival.value !== value) {
      e.rival = { value, since: now };
      this.#log.debug('another instance holds the role: checking again at the next renewal', { role: e.key });
      return;
    }
    if (now - e.rival.since >= this.#renewMs) this.#stepDown(e, 'another instance holds the role');
  }

  #stepDown(e: Election, why: string): void {
    const value = e.value;
    if (value === undefined) return;
    e.value = undefined;
    e.rival = undefined;
    this.#log.warn(`gave up the role: ${why}`, { role: e.key });
    // If Redis still has it as ours (a stall that ended before it expired), free it for another instance now.
    void this.#run(RESIGN, [e.key], [value]);
    this.#tellElection(e, false);
  }

  #tellElection(e: Election, leading: boolean): void {
    try {
      e.onChange(leading);
    } catch (err) {
      this.#log.error(`role listener threw: ${describeError(err)}`);
    }
  }

  async #resign(e: Election): Promise<void> {
    if (e.resigned) return;
    e.resigned = true;
    if (e.timer !== undefined) clearInterval(e.timer);
    e.timer = undefined;
    this.#elections.delete(e.key);
    const value = e.value;
    e.value = undefined;
    if (value !== undefined) await this.#run(RESIGN, [e.key], [value]);
  }

  /** Stops timers and the subscription; releases owned streams without forgetting them (others may resume). Bounded. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await Promise.all([...this.#elections.values()].map((e) => this.#resign(e)));
    this.#closed = true;
    if (this.#renewTimer) clearInterval(this.#renewTimer);
    if (this.#scanTimer) clearInterval(this.#scanTimer);
    this.#renewTimer = undefined;
    this.#scanTimer = undefined;
    const owned = [...this.#owned.keys()];
    this.#owned.clear();
    await Promise.all(owned.map((id) => this.#releaseRemote(id, false)));
    this.#pending.clear();
    this.#handedOver.clear();
    if (this.#subscribed) {
      this.#subscribed = false;
      await this.#bounded(Promise.all([this.#subscriber.unsubscribe(this.#channel(this.instanceId)), this.#subscriber.unsubscribe(this.#offers)]));
    }
  }

  // ---------------------------------------------------------------------------------------------------------

  /** Runs a script with the command timeout; never rejects. A late answer of a timed-out command goes to `late`. */
  #run(script: string, keys: string[], args: string[], late?: (value: unknown) => void): Promise<Outcome> {
    return new Promise<Outcome>((resolve) => {
      let done = false;
      const timer = setTimeout(() => {
        done = true;
        resolve({ ok: false, error: `command timed out after ${this.#timeoutMs} ms` });
      }, this.#timeoutMs);
      let p: Promise<unknown>;
      try {
        p = Promise.resolve(this.#client.eval(script, { keys, arguments: args }));
      } catch (err) {
        p = Promise.reject(err);
      }
      p.then(
        (value) => {
          if (done) {
            late?.(value);
            return;
          }
          done = true;
          clearTimeout(timer);
          resolve({ ok: true, value });
        },
        (err: unknown) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          resolve({ ok: false, error: describeError(err) });
        },
      );
    }).then((r) => {
      if (r.ok) this.#reachable();
      else this.#unreachable(r.error);
      return r;
    });
  }

  /** Waits for `p` at most `commandTimeoutMs`; never rejects. */
  #bounded(p: Promise<unknown>): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.#timeoutMs);
      p.then(
        () => {
          clearTimeout(timer);
          resolve();
        },
        () => {
          clearTimeout(timer);
          resolve();
        },
      );
    });
  }

  /** Subscribes once; a failed attempt is retried at the next scan (never two attempts at once). */
  #subscribe(): Promise<void> {
    if (this.#subscribed || this.#closed) return Promise.resolve();
    if (this.#subscribing) return this.#subscribing;
    let p: Promise<unknown>;
    try {
      p = Promise.all([this.#subscriber.subscribe(this.#channel(this.instanceId), this.#onMessage), this.#subscriber.subscribe(this.#offers, this.#onOffer)]);
    } catch (err) {
      p = Promise.reject(err);
    }
    this.#subscribing = p.then(
      () => {
        this.#subscribing = undefined;
        if (this.#closed) {
          void Promise.resolve(this.#subscriber.unsubscribe(this.#channel(this.instanceId))).catch(() => undefined);
          void Promise.resolve(this.#subscriber.unsubscribe(this.#offers)).catch(() => undefined);
          return;
        }
        this.#subscribed = true;
      },
      (err: unknown) => {
        this.#subscribing = undefined;
        this.#log.warn(`subscribing to the control channel failed (retried at the next scan): ${describeError(err)}`);
      },
    );
    return this.#subscribing;
  }

  #message(message: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(message);
    } catch {
      return;
    }
    const m = parsed as ControlMessage;
    if (typeof m?.streamId !== 'string' || !this.#owned.has(m.streamId)) return;
    this.#host?.onControl(m);
  }

  /**
   * A message on the fleet's channel: a stream offered to the fleet (the client decides by its load whether to
   * claim it), or a webhook that names only a product id.
   */
  #offered(message: string): void {
    if (this.#closed) return;
    let lease: StreamLease;
    try {
      lease = JSON.parse(message) as StreamLease;
    } catch {
      return;
    }
    if (typeof lease === 'object' && lease !== null && 'control' in lease) {
      const { control, from } = lease as unknown as { control: unknown; from?: unknown };
      if (from !== this.instanceId) this.#productControl(control);
      return;
    }
    // Only a well-formed lease is handed on (whatever else sits on the channel is ignored).
    if (typeof lease !== 'object' || lease === null || typeof lease.streamId !== 'string' || lease.streamId.length === 0) return;
    if (typeof lease.serverUrls !== 'string' || typeof lease.productId !== 'string' || !isRtmsProduct(lease.product)) return;
    if (this.#owned.has(lease.streamId)) return;
    lease = { streamId: lease.streamId, product: lease.product, productId: lease.productId, serverUrls: lease.serverUrls };
    try {
      this.#host?.onOffer?.(lease);
    } catch (err) {
      this.#log.error(`offer listener threw: ${describeError(err)}`);
    }
  }

  /** A {@link ProductControl} from the fleet's channel: handed on only when well-formed, with its fields alone. */
  #productControl(raw: unknown): void {
    if (typeof raw !== 'object' || raw === null) return;
    const m = raw as Record<string, unknown>;
    const { type, product, productId, stopReason, at } = m;
    if ((type !== 'stopped' && type !== 'interrupted') || !isRtmsProduct(product) || typeof productId !== 'string' || productId.length === 0) return;
    if (stopReason !== undefined && (typeof stopReason !== 'number' || !Number.isInteger(stopReason))) return;
    if (typeof at !== 'number' || !Number.isFinite(at)) return;
    const control: ProductControl = type === 'stopped' ? { type, product, productId, stopReason, at } : { type, product, productId, at };
    try {
      this.#host?.onProductControl?.(control);
    } catch (err) {
      this.#log.error(`product control listener threw: ${describeError(err)}`);
    }
  }

  #stalled(now: number): boolean {
    return now - this.#lastTick > this.#stallMs;
  }

  #defer(key: string, op: Pending): void {
    if (this.#closed) return;
    this.#pending.delete(key);
    if (this.#pending.size >= MAX_PENDING) {
      const oldest = this.#pending.keys().next();
      if (!oldest.done) this.#pending.delete(oldest.value);
    }
    this.#pending.set(key, op);
  }

  #reachable(): void {
    if (this.#state === 'ok' || this.#closed) return;
    const down = Date.now() - this.#since;
    this.#state = 'ok';
    this.#since = Date.now();
    const now = clock();
    // Leases may have expired during the outage (it began up to a command timeout before it was noticed, and a
    // lease is renewed every renewIntervalMs): owners re-assert them at their next renewal. Give them a lease's time
    // before anything is taken over, and keep streams this instance gave up away from its own scan as long. A blip
    // too short for any lease to expire (a command that timed out on a busy machine) changes nothing.
    const leasesMayHaveExpired = down + this.#timeoutMs >= this.#leaseMs - this.#renewMs;
    if (leasesMayHaveExpired) {
      this.#noTakeoversUntil = Math.max(this.#noTakeoversUntil, now + this.#leaseMs);
      // Roles too: a holder that kept its role through the outage re-asserts it at its next tick. Wait a whole
      // lease, as for takeovers, not just one tick: on a loaded machine the holder's tick can lag this instance's
      // by more than a renewal interval, and taking the role then would close a working socket for nothing. (If
      // the holder died during the outage there was no socket anyway; this adds one lease to that gap.)
      this.#noLeadUntil = Math.max(this.#noLeadUntil, now + this.#leaseMs);
      for (const [id, until] of this.#handedOver) this.#handedOver.set(id, Math.max(until, now + this.#leaseMs + 2 * this.#scanMs));
    }
    this.#log.info(
      `Redis answers again after ${down} ms: re-registering ${this.#owned.size} streams, applying ${this.#pending.size} pending operations${leasesMayHaveExpired ? `; no takeovers for ${this.#leaseMs} ms` : ''}`,
    );
    this.#notify();
    void this.#renew();
    void this.#flush();
  }

  #unreachable(error: string): void {
    this.#lastError = error;
    if (this.#state === 'unreachable' || this.#closed) return;
    this.#state = 'unreachable';
    this.#since = Date.now();
    this.#log.warn(
      `Redis is unreachable (${error}): degraded mode. ${this.#owned.size} streams keep streaming; new streams start unregistered; no takeovers until Redis answers`,
    );
    this.#notify();
  }

  #notify(): void {
    const host = this.#host;
    if (host?.onStatus === undefined) return;
    try {
      host.onStatus(this.status);
    } catch (err) {
      this.#log.error(`status listener threw: ${describeError(err)}`);
    }
  }

  /** The renewal timer: the stall fence, then the renewals. */
  #tick(): void {
    const now = clock();
    const gap = now - this.#lastTick;
    this.#lastTick = now;
    if (gap > this.#stallMs) {
      // This process did not run (SIGSTOP, a long pause): a lease it could not renew may be another's by now.
      for (const [id, o] of this.#owned) if (now >= o.validUntil) this.#lose(id, `this process did not run for ${Math.round(gap)} ms, past its lease`);
    }
    void this.#renew();
  }

  /** Renews (re-asserts) every owned lease; a lease another instance holds is lost. */
  async #renew(): Promise<void> {
    if (this.#renewing || this.#closed || this.#owned.size === 0) return;
    this.#renewing = true;
    try {
      const all = [...this.#owned];
      for (let i = 0; i < all.length; i += RENEW_BATCH) {
        const batch = all.slice(i, i + RENEW_BATCH);
        const keys: string[] = [];
        const args = [this.instanceId, String(this.#leaseMs), String(this.#windowMs)];
        const revs: number[] = [];
        for (const [id, o] of batch) {
          keys.push(this.#key('lease', id), this.#key('stream', id));
          const rewrite = o.writtenRev !== o.rev;
          revs.push(o.rev);
          args.push(id, JSON.stringify(o.lease), rewrite ? '1' : '0');
        }
        keys.push(this.#set);
        const sent = clock();
        const r = await this.#run(RENEW, keys, args);
        if (!r.ok) {
          this.#log.debug(`lease renewal failed: ${r.error}`);
          return;
        }
        const codes = Array.isArray(r.value) ? (r.value as unknown[]) : [];
        batch.forEach(([id, o], k) => {
          if (this.#owned.get(id) !== o) return; // released or lost meanwhile
          const code = Number(codes[k]);
          if (code === 1 || code === 2) {
            if (code === 2) this.#log.info(o.confirmed ? 're-registered a lease Redis no longer had' : 'registered a stream started while Redis was unreachable', { streamId: id });
            o.validUntil = sent + this.#leaseMs - this.#margin;
            o.confirmed = true;
            o.graces = 0;
            if (code === 2 || o.writtenRev !== revs[k]) o.writtenRev = Math.max(o.writtenRev, revs[k] ?? 0);
          } else if (code === 0) {
            this.#lose(id, 'another instance holds the lease');
            // A stream started here while Redis was unreachable: the owner may not know its (new) server_urls.
            if (!o.confirmed) void this.route({ type: 'started', streamId: id, serverUrls: o.lease.serverUrls });
          }
        });
      }
    } finally {
      this.#renewing = false;
    }
  }

  #lose(id: string, why: string): void {
    if (!this.#owned.delete(id)) return;
    this.#handedOver.set(id, clock() + this.#leaseMs + 2 * this.#scanMs);
    this.#log.warn(`lost stream: ${why}`, { streamId: id });
    // If the lease is still ours in Redis (a stall that ended before it expired), free it for a survivor now.
    void this.#releaseRemote(id, false);
    this.#host?.onLost(id);
  }

  /** Applies the operations that waited for Redis; stops at the first that fails. */
  async #flush(): Promise<void> {
    if (this.#flushing || this.#closed || this.#pending.size === 0) return;
    this.#flushing = true;
    try {
      for (const [key, op] of [...this.#pending]) {
        if (this.#closed || this.#state !== 'ok') return;
        if (this.#pending.get(key) !== op) continue;
        if (clock() - op.at > this.#windowMs) {
          this.#pending.delete(key);
          continue;
        }
        const r =
          op.kind === 'release'
            ? await this.#run(RELEASE, [this.#key('lease', op.streamId), this.#key('stream', op.streamId), this.#set], [this.instanceId, op.forget ? '1' : '0', op.streamId])
            : await this.#routeNow(op.message);
        if (!r.ok) return;
        if (this.#pending.get(key) === op) this.#pending.delete(key);
      }
    } finally {
      this.#flushing = false;
    }
  }

  /** Looks for orphaned streams and takes over those it wins, in random order (spreads load across survivors). */
  async #scan(): Promise<void> {
    if (this.#scanning || this.#closed || this.#host === undefined) return;
    this.#scanning = true;
    try {
      if (!this.#subscribed) void this.#subscribe();
      // Also the probe that notices Redis is back when this instance owns nothing.
      const r = await this.#run(ORPHANS, [this.#set], [this.#prefix]);
      if (this.#pending.size > 0) void this.#flush();
      if (!r.ok || !Array.isArray(r.value) || r.value.length === 0) return;
      const now = clock();
      if (now < this.#noTakeoversUntil) return;
      for (const [id, until] of this.#handedOver) if (until <= now) this.#handedOver.delete(id);
      const shuffled = (r.value as unknown[])
        .filter((x): x is string => typeof x === 'string' && !this.#handedOver.has(x) && !this.#owned.has(x))
        .sort(() => Math.random() - 0.5);
      for (const id of shuffled) {
        if (this.#closed || this.#state !== 'ok') return;
        const sent = clock();
        // A take that answers after its timeout holds a lease nobody streams: free it for the next scan.
        const late = (value: unknown): void => {
          if (typeof value === 'string' && !this.#owned.has(id)) void this.#releaseRemote(id, false);
        };
        const t = await this.#run(TAKE, [this.#key('lease', id), this.#key('stream', id)], [this.instanceId, String(this.#leaseMs)], late);
        if (!t.ok) return;
        if (typeof t.value !== 'string') continue;
        let lease: StreamLease;
        try {
          lease = JSON.parse(t.value) as StreamLease;
        } catch {
          continue;
        }
        if (this.#closed) return;
        this.#owned.set(id, { lease, validUntil: sent + this.#leaseMs - this.#margin, confirmed: true, rev: 0, writtenRev: 0, graces: 0 });
        this.#log.info('took over an orphaned stream', { streamId: id });
        this.#host.onTakeover(lease);
      }
    } finally {
      this.#scanning = false;
    }
  }
}
