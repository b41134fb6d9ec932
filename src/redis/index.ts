/**
 * `rtms-client/redis`: several app instances share RTMS streams through Redis, with exactly one consumer per
 * stream, routing of control webhooks to the owner, and takeover when an owner dies.
 *
 * ```ts
 * import { createClient } from 'redis';
 * import { RtmsClient } from 'rtms-client';
 * import { RedisCoordinator } from 'rtms-client/redis';
 *
 * const redis = await createClient({ url: process.env.REDIS_URL }).connect();
 * const subscriber = await redis.duplicate().connect();
 * const client = new RtmsClient({ clientId, clientSecret, webhookSecretToken,
 *   coordinator: new RedisCoordinator({ client: redis, subscriber }) });
 * ```
 *
 * Model: a lease key per stream (`SET NX PX`, renewed while streaming) names the owning instance; a record key
 * keeps what a survivor needs to resume the stream (product, ids, last `server_urls`) and expires
 * `takeoverWindowMs` after the owner's last renewal, matching Zoom's reconnect window. Control webhooks for a
 * stream this instance does not own are published on the owner's channel. Every instance scans for records
 * whose lease lapsed and claims them atomically; the winner resumes the stream.
 *
 * Split brain: an owner treats its lease as valid only until `lastRenewalSent + leaseMs − margin`, before Redis
 * can expire it; when that passes without a successful renewal (a stall, a partition) it cuts its sockets and
 * never reconnects (reconnect attempts check ownership first). All state changes are Lua scripts, so a claim
 * and its record are written atomically.
 *
 * The Redis client is an optional peer dependency. Every node-redis (v4 or later) client works, as does anything with
 * the same `eval` / `publish` / `subscribe` shape.
 */
import { randomBytes } from 'node:crypto';
import type { ControlMessage, CoordinatorHost, StreamCoordinator, StreamLease } from '../coordination.js';
import { safeLogger, type RtmsLogger, type SafeLogger } from '../logger.js';
import { describeError } from '../errors.js';

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

/** Renews one lease if still ours, and pushes the record's expiry. KEYS: lease, record. ARGV: me, leaseMs, recordTtl. */
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
  return 1
end
return 0`;

/** Rewrites the record if the lease is ours. KEYS: lease, record. ARGV: me, record, recordTtl. */
const UPDATE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0`;

/** Releases a lease if ours; with forget, drops the record too. KEYS: lease, record, set. ARGV: me, forget, id. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  if ARGV[2] == '1' then
    redis.call('DEL', KEYS[2])
    redis.call('SREM', KEYS[3], ARGV[3])
  end
  return 1
end
return 0`;

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

interface Owned {
  /** This instance may act as owner until this time (local clock). */
  validUntil: number;
}

function positive(name: string, v: number | undefined, d: number): number {
  if (v === undefined) return d;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new TypeError(`${name} must be a positive number`);
  return v;
}

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
  readonly #margin: number;
  readonly #log: SafeLogger;
  readonly #owned = new Map<string, Owned>();
  /** Streams this instance handed over recently: not to be taken back by its own scan. */
  readonly #handedOver = new Map<string, number>();
  #host: CoordinatorHost | undefined;
  #renewTimer: ReturnType<typeof setInterval> | undefined;
  #scanTimer: ReturnType<typeof setInterval> | undefined;
  #scanning = false;
  #closed = false;

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
    if (this.#renewMs * 2 > this.#leaseMs) throw new TypeError('renewIntervalMs must be at most half of leaseMs');
    // Give up local ownership a little before Redis would expire the lease.
    this.#margin = Math.min(1_000, Math.floor(this.#leaseMs / 5));
    this.#log = safeLogger(options.logger, `rtms redis ${this.instanceId}`);
  }

  /** Streams this instance holds a valid lease on. */
  get ownedStreams(): readonly string[] {
    return [...this.#owned.keys()].filter((id) => this.owns(id));
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

  /** Subscribes to this instance's control channel and starts renewing and scanning. */
  async attach(host: CoordinatorHost): Promise<void> {
    this.#host = host;
    await this.#subscriber.subscribe(this.#channel(this.instanceId), (message) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(message);
      } catch {
        return;
      }
      const m = parsed as ControlMessage;
      if (typeof m?.streamId !== 'string' || !this.#owned.has(m.streamId)) return;
      host.onControl(m);
    });
    this.#renewTimer = setInterval(() => void this.#renewAll(), this.#renewMs);
    this.#renewTimer.unref();
    this.#scanTimer = setInterval(() => void this.#scan(), this.#scanMs);
    this.#scanTimer.unref();
  }

  /** Atomically claims the lease and writes the stream's record. */
  async claim(lease: StreamLease): Promise<boolean> {
    if (this.#closed) return false;
    const sent = Date.now();
    const r = await this.#client.eval(CLAIM, {
      keys: [this.#key('lease', lease.streamId), this.#key('stream', lease.streamId), this.#set],
      arguments: [this.instanceId, String(this.#leaseMs), JSON.stringify(lease), String(this.#windowMs), lease.streamId],
    });
    if (Number(r) !== 1) return false;
    this.#owned.set(lease.streamId, { validUntil: sent + this.#leaseMs - this.#margin });
    return true;
  }

  /** True while the lease is locally known to be valid. */
  owns(streamId: string): boolean {
    const o = this.#owned.get(streamId);
    return o !== undefined && Date.now() < o.validUntil;
  }

  /** Records new `server_urls` (after a failover). */
  async update(lease: StreamLease): Promise<void> {
    if (!this.#owned.has(lease.streamId)) return;
    await this.#client.eval(UPDATE, {
      keys: [this.#key('lease', lease.streamId), this.#key('stream', lease.streamId)],
      arguments: [this.instanceId, JSON.stringify(lease), String(this.#windowMs)],
    });
  }

  /** Releases the lease; `forget` drops the record so nobody resumes the stream. */
  async release(streamId: string, forget: boolean): Promise<void> {
    const held = this.#owned.delete(streamId);
    if (!held) return;
    if (!forget) this.#handedOver.set(streamId, Date.now() + this.#leaseMs);
    await this.#client.eval(RELEASE, {
      keys: [this.#key('lease', streamId), this.#key('stream', streamId), this.#set],
      arguments: [this.instanceId, forget ? '1' : '0', streamId],
    });
  }

  /** Publishes a control message on the owner's channel. */
  async route(message: ControlMessage): Promise<boolean> {
    const id = message.streamId;
    const n = await this.#client.eval(ROUTE, {
      keys: [this.#key('lease', id), this.#key('stream', id), this.#set],
      arguments: [`${this.#prefix}ctl:`, JSON.stringify(message), message.type === 'stopped' && message.final !== false ? '1' : '0', id],
    });
    return Number(n) > 0;
  }

  /** Stops timers and the subscription; releases owned streams without forgetting them (others may resume). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#renewTimer) clearInterval(this.#renewTimer);
    if (this.#scanTimer) clearInterval(this.#scanTimer);
    const owned = [...this.#owned.keys()];
    await Promise.allSettled(owned.map((id) => this.release(id, false)));
    await this.#subscriber.unsubscribe(this.#channel(this.instanceId)).catch(() => undefined);
  }

  /** Renews every owned lease; streams whose lease is lost or locally expired are handed over. */
  async #renewAll(): Promise<void> {
    const now = Date.now();
    // Local fence first: a lease that expired while we could not renew (a stall) is not ours any more.
    for (const [id, o] of this.#owned) {
      if (now >= o.validUntil) this.#lose(id, 'lease expired before it could be renewed');
    }
    await Promise.all(
      [...this.#owned.keys()].map(async (id) => {
        try {
          const r = await this.#client.eval(RENEW, {
            keys: [this.#key('lease', id), this.#key('stream', id)],
            arguments: [this.instanceId, String(this.#leaseMs), String(this.#windowMs)],
          });
          const o = this.#owned.get(id);
          if (o === undefined) return;
          if (Number(r) === 1) o.validUntil = now + this.#leaseMs - this.#margin;
          else this.#lose(id, 'another instance holds the lease');
        } catch (err) {
          this.#log.warn(`lease renewal failed: ${describeError(err)}`, { streamId: id });
        }
      }),
    );
  }

  #lose(id: string, why: string): void {
    if (!this.#owned.delete(id)) return;
    this.#log.warn(`lost stream: ${why}`, { streamId: id });
    this.#host?.onLost(id);
  }

  /** Looks for orphaned streams and takes over those it wins, in random order (spreads load across survivors). */
  async #scan(): Promise<void> {
    if (this.#scanning || this.#closed || this.#host === undefined) return;
    this.#scanning = true;
    try {
      const ids = (await this.#client.eval(ORPHANS, { keys: [this.#set], arguments: [this.#prefix] })) as unknown;
      if (!Array.isArray(ids) || ids.length === 0) return;
      const now = Date.now();
      for (const [id, until] of this.#handedOver) if (until <= now) this.#handedOver.delete(id);
      const shuffled = (ids as unknown[])
        .filter((x): x is string => typeof x === 'string' && !this.#handedOver.has(x))
        .sort(() => Math.random() - 0.5);
      for (const id of shuffled) {
        if (this.#closed) return;
        const sent = Date.now();
        const rec = await this.#client.eval(TAKE, { keys: [this.#key('lease', id), this.#key('stream', id)], arguments: [this.instanceId, String(this.#leaseMs)] });
        if (typeof rec !== 'string') continue;
        let lease: StreamLease;
        try {
          lease = JSON.parse(rec) as StreamLease;
        } catch {
          continue;
        }
        this.#owned.set(id, { validUntil: sent + this.#leaseMs - this.#margin });
        this.#log.info('took over an orphaned stream', { streamId: id });
        this.#host.onTakeover(lease);
      }
    } catch (err) {
      this.#log.warn(`orphan scan failed: ${describeError(err)}`);
    } finally {
      this.#scanning = false;
    }
  }
}
