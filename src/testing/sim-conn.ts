/**
 * One client socket of the simulator, as the endpoints (sim-server.ts) and the stream (sim-stream.ts) share it.
 *
 * The endpoints create a `Conn` for each accepted socket, fill in what its handshake settled and run its
 * keep-alive; the stream sends on the conns attached to it and reads what they carry. `Conn` holds `ws`
 * types, so it and every member typed with it stay internal, out of the published .d.ts.
 */
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

/** Media endpoints the simulator serves; `deskshare` carries screen share. */
export type SimMediaKind = 'all' | 'audio' | 'video' | 'deskshare' | 'transcript' | 'chat';

/** @internal Every media endpoint, in the order a signaling handshake response offers them by default. */
export const MEDIA_ENDPOINTS: readonly SimMediaKind[] = ['all', 'audio', 'video', 'deskshare', 'transcript', 'chat'];

/** @internal One client socket. Holds `ws` types, so it and every member typed with it stay out of the published .d.ts. */
export interface Conn {
  readonly ws: WebSocket;
  /** The TCP socket under `ws`, for freezing. */
  readonly raw: Duplex;
  readonly channel: 'signaling' | 'media';
  /** The URL it came in on. */
  readonly endpoint: SimMediaKind | 'signaling';
  /** Media types its handshake asked for (MEDIA_DATA_TYPE bits); 0 on signaling. */
  mask: number;
  /** Audio `data_opt` the client asked for (2 = one stream per participant). */
  audioDataOpt: number;
  /** Its handshake succeeded. */
  handshaken: boolean;
  /** Keep-alive timestamps sent and not yet answered (the endpoints' keep-alive state). */
  readonly outstanding: Set<number>;
  /** The last keep-alive timestamps sent (bounded), to tell a late answer from a wrong one. */
  readonly sentKeepAlives: number[];
  /** The keep-alive timer, while one runs. */
  keepAliveTimer: ReturnType<typeof setInterval> | undefined;
  /** The simulator closed it (so its close is recorded as `server`). */
  closedByServer: boolean;
  /** Frozen by `freeze()`: neither read nor written, and no longer counted as the stream's connection. */
  frozen: boolean;
}

/** @internal Open, handshaken and not frozen: a socket the stream sends on, and one a second connection would duplicate. */
export function isLive(c: Conn): boolean {
  return c.handshaken && !c.frozen && c.ws.readyState === c.ws.OPEN;
}
