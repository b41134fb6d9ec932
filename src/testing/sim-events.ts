/**
 * The simulator's side of Zoom's event-subscription WebSocket (§6.5): an OAuth token endpoint
 * (`POST /oauth/token?grant_type=client_credentials` with HTTP Basic `clientId:clientSecret`) and the event
 * WebSocket (`/ws?subscriptionId=sim&access_token=…`) that answers heartbeats and delivers webhook bodies as
 * `{ module: "message", content: "<JSON text>" }`.
 *
 * Where Zoom's behaviour is unknown the simulator takes the strict reading, so a client that copes with it copes
 * with Zoom: a socket is closed (4001) when the token it connected with expires, and events sent while no socket
 * is open are lost, never redelivered. Its heartbeat answer (`{"module":"heartbeat"}`) is a guess: clients must
 * not depend on it.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';

/** Path of the simulated token endpoint. */
export const SIM_TOKEN_PATH = '/oauth/token';
/** Path of the simulated event WebSocket. */
export const SIM_EVENT_PATH = '/ws';

/** One request to the simulated token endpoint. */
export interface TokenRequestRecord {
  /** When it came, epoch ms. */
  readonly at: number;
  /** The HTTP status answered (200, or 401 for other credentials). */
  readonly status: number;
}

/** What the event endpoints saw, for assertions. */
export interface EventEndpointRecord {
  /** Every token request: when and the HTTP status answered. */
  readonly tokenRequests: TokenRequestRecord[];
  /** Event sockets accepted. */
  connections: number;
  /** Event socket upgrades refused (no, unknown or expired `access_token`). */
  refusedConnections: number;
  /** Heartbeats received (`{"module":"heartbeat"}`). */
  heartbeats: number;
  /** Sockets closed because their token expired. */
  expiredClosures: number;
  /** Bodies delivered (counted once per body, whatever the number of sockets). */
  delivered: number;
  /** Bodies that found no open socket: lost, as Zoom loses them. */
  lost: number;
  /** Event sockets that closed (by either side, including token expiry and drops). */
  closed: number;
  /** Most event sockets open at the same time. */
  maxOpenSockets: number;
  /**
   * Longest stretch, in ms, with more than one event socket open at once (a brief overlap is a client replacing its
   * socket before its token expires; how many connections one subscription may hold is not documented, §6.5).
   * A stretch still under way is counted up to the moment the record is read.
   */
  longestOverlapMs: number;
}

/** @internal Options of the event endpoints. */
export interface EventEndpointOptions {
  readonly clientId: string;
  readonly clientSecret: string;
  /** `expires_in` of issued tokens, seconds. Default 3 600 (Zoom's). */
  readonly eventTokenTtlSeconds?: number;
}

interface EventSocket {
  readonly ws: WebSocket;
  readonly token: string;
}

/** @internal The simulated token endpoint and event WebSocket. */
export class SimEventEndpoint {
  readonly #record: EventEndpointRecord = {
    tokenRequests: [],
    connections: 0,
    refusedConnections: 0,
    heartbeats: 0,
    expiredClosures: 0,
    delivered: 0,
    lost: 0,
    closed: 0,
    maxOpenSockets: 0,
    longestOverlapMs: 0,
  };
  /** When more than one socket started being open at once (epoch ms), or undefined. */
  #overlapSince: number | undefined;
  readonly #options: EventEndpointOptions;
  readonly #tokens = new Map<string, number>();
  readonly #sockets = new Set<EventSocket>();
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  #refuseCredentials = false;

  constructor(options: EventEndpointOptions) {
    this.#options = options;
  }

  /** Open event sockets. */
  get openSockets(): number {
    return this.#sockets.size;
  }

  /** What the endpoints saw (live). An overlap of sockets still under way is counted up to the time of reading. */
  get record(): EventEndpointRecord {
    const r = this.#record;
    if (this.#overlapSince !== undefined) r.longestOverlapMs = Math.max(r.longestOverlapMs, Date.now() - this.#overlapSince);
    return r;
  }

  /** Tracks the open-socket count: the most at once, and the longest overlap. */
  #counted(): void {
    const n = this.#sockets.size;
    if (n > this.#record.maxOpenSockets) this.#record.maxOpenSockets = n;
    if (n > 1 && this.#overlapSince === undefined) this.#overlapSince = Date.now();
    if (n <= 1 && this.#overlapSince !== undefined) {
      this.#record.longestOverlapMs = Math.max(this.#record.longestOverlapMs, Date.now() - this.#overlapSince);
      this.#overlapSince = undefined;
    }
  }

  /** Answers a token request on {@link SIM_TOKEN_PATH}; false for any other request. */
  handleRequest(req: IncomingMessage, res: ServerResponse): boolean {
    const url = new URL(req.url ?? '/', 'http://sim');
    if (url.pathname !== SIM_TOKEN_PATH) return false;
    const answer = (status: number, body: Record<string, unknown>) => {
      this.#record.tokenRequests.push({ at: Date.now(), status });
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    req.resume();
    if (req.method !== 'POST') return answer(405, { reason: 'POST only' }), true;
    if (url.searchParams.get('grant_type') !== 'client_credentials') return answer(400, { reason: 'unsupported grant_type', error: 'unsupported_grant_type' }), true;
    const expected = Buffer.from(`Basic ${Buffer.from(`${this.#options.clientId}:${this.#options.clientSecret}`).toString('base64')}`);
    const got = Buffer.from(req.headers.authorization ?? '');
    if (this.#refuseCredentials || got.length !== expected.length || !timingSafeEqual(got, expected)) {
      return answer(401, { reason: 'Invalid client_id or client_secret', error: 'invalid_client' }), true;
    }
    const ttl = this.#options.eventTokenTtlSeconds ?? 3600;
    const token = randomBytes(24).toString('base64url');
    const expiresAt = Date.now() + ttl * 1000;
    this.#tokens.set(token, expiresAt);
    // The strict reading of an unknown: a connection dies with its token.
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.#tokens.delete(token);
      for (const s of this.#sockets) {
        if (s.token !== token) continue;
        this.#record.expiredClosures++;
        s.ws.close(4001, 'token expired');
      }
    }, ttl * 1000);
    this.#timers.add(timer);
    answer(200, { access_token: token, token_type: 'bearer', expires_in: ttl, scope: 'rtms:read' });
    return true;
  }

  /** Accepts an upgrade on {@link SIM_EVENT_PATH} with a valid token (401 without); false for any other path. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? '/', 'http://sim');
    if (url.pathname !== SIM_EVENT_PATH) return false;
    const token = url.searchParams.get('access_token') ?? '';
    const expiresAt = this.#tokens.get(token);
    if (expiresAt === undefined || expiresAt <= Date.now()) {
      this.#record.refusedConnections++;
      socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
      return true;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      const s: EventSocket = { ws, token };
      this.#sockets.add(s);
      this.#record.connections++;
      this.#counted();
      ws.on('error', () => undefined);
      ws.on('message', (data) => {
        let msg: unknown;
        try {
          msg = JSON.parse(String(data));
        } catch {
          return;
        }
        if (typeof msg === 'object' && msg !== null && (msg as Record<string, unknown>)['module'] === 'heartbeat') {
          this.#record.heartbeats++;
          if (ws.readyState === ws.OPEN) ws.send('{"module":"heartbeat"}');
        }
      });
      ws.on('close', () => {
        if (!this.#sockets.delete(s)) return;
        this.#record.closed++;
        this.#counted();
      });
    });
    return true;
  }

  /**
   * Delivers a webhook body on every open event socket as `{ module: "message", content }`. Returns the number of
   * sockets it went to; 0 means it is lost (recorded in `lost`), as Zoom does not redeliver.
   */
  deliver(body: Record<string, unknown>): number {
    const frame = JSON.stringify({ module: 'message', content: JSON.stringify(body) });
    let n = 0;
    for (const s of this.#sockets) {
      if (s.ws.readyState !== s.ws.OPEN) continue;
      s.ws.send(frame);
      n++;
    }
    if (n === 0) this.#record.lost++;
    else this.#record.delivered++;
    return n;
  }

  /** Cuts every event socket (TCP reset, no close frame), like a network failure. */
  dropSockets(): void {
    for (const s of this.#sockets) s.ws.terminate();
  }

  /** From now on the token endpoint refuses every credential with 401 (`false` undoes it). */
  refuseCredentials(refuse = true): void {
    this.#refuseCredentials = refuse;
  }

  /** Closes every socket and clears every timer. */
  close(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    for (const s of this.#sockets) s.ws.terminate();
    this.#sockets.clear();
    this.#wss.close();
  }
}
