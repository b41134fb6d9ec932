/**
 * One client socket of the simulator, as the endpoints (sim-server.ts) and the stream (sim-stream.ts) share it.
 *
 * The endpoints create a `Conn` for each accepted socket, fill in what its handshake settled and run its
 * keep-alive; the stream sends on the conns attached to it and reads what they carry. `Conn` holds `ws`
 * types, so it and every member typed with it stay internal, out of the published .d.ts.
 */
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

/**
 * Media endpoints the simulator serves. Screen share is served under both keys Zoom's sources name: `deskshare`
 * (the media-params key and the docs' name) and `sharescreen` (where Zoom's sample libraries look the URL up).
 */
export type SimMediaKind = 'all' | 'audio' | 'video' | 'deskshare' | 'sharescreen' | 'transcript' | 'chat';

/** @internal Every media endpoint, in the order a signaling handshake response offers them by default. */
export const MEDIA_ENDPOINTS: readonly SimMediaKind[] = ['all', 'audio', 'video', 'deskshare', 'sharescreen', 'transcript', 'chat'];

/**
 * @internal The audio a media socket's handshake settled: what the simulator sends on it (and lists in the
 * DATA_HAND_SHAKE_RESP): L16, G.711 A-law, G.722 (the recorded speech only) or Opus (the recorded speech only).
 */
export interface AppliedAudio {
  /**
   * `L16`: 16-bit little-endian PCM; `G711`: A-law (PCMA), one byte per sample; `G722`: 64 kbit/s, one byte per
   * two 16 kHz samples; `OPUS`: one 20 ms Opus packet per send (variable size).
   */
  readonly codec: 'L16' | 'G711' | 'G722' | 'OPUS';
  /** Hz. */
  readonly sampleRate: number;
  /** 1 or 2 (interleaved). */
  readonly channels: 1 | 2;
  /** Milliseconds of audio per packet, and between packets. */
  readonly sendRate: number;
  /** One audio stream per participant (`data_opt` 2) rather than mixed. */
  readonly multiStream: boolean;
}

/** @internal What the simulator sends when no handshake asked for anything else: Zoom's wire default (§3.3). */
export const DEFAULT_AUDIO: AppliedAudio = { codec: 'L16', sampleRate: 16000, channels: 1, sendRate: 20, multiStream: false };

/** @internal Bytes in one packet of `format` (constant-rate codecs; for Opus, the 20 ms packets vary: 0 here). */
export function audioPacketBytes(format: AppliedAudio): number {
  if (format.codec === 'OPUS') return 0;
  if (format.codec === 'G722') return (8000 * format.sendRate) / 1000; // 64 kbit/s
  return ((format.sampleRate * format.sendRate) / 1000) * format.channels * (format.codec === 'L16' ? 2 : 1);
}

let handshakes = 0;

/** @internal A number that grows with every successful handshake (on any stream): tells a reconnect from an older socket. */
export function nextHandshakeSeq(): number {
  return ++handshakes;
}

/** @internal The last number {@link nextHandshakeSeq} gave: a socket handshaken later has a larger one. */
export function lastHandshakeSeq(): number {
  return handshakes;
}

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
  /** The audio its handshake settled (media sockets that carry audio). */
  audio: AppliedAudio | undefined;
  /** The `media_params` its handshake settled (as answered), once handshaken: the video and share codecs. */
  mediaParams?: Readonly<Record<string, unknown>>;
  /** Its handshake succeeded. */
  handshaken: boolean;
  /** {@link nextHandshakeSeq} at its successful handshake; 0 before. */
  handshakeSeq: number;
  /** Media: the signaling socket that carried the stream when its handshake succeeded. */
  peer: Conn | undefined;
  /** Keep-alive timestamps sent and not yet answered (the endpoints' keep-alive state). */
  readonly outstanding: Set<number>;
  /** The last keep-alive timestamps sent (bounded), to tell a late answer from a wrong one. */
  readonly sentKeepAlives: number[];
  /** The keep-alive timer, while one runs. */
  keepAliveTimer: ReturnType<typeof setInterval> | undefined;
  /** Epoch ms of the last frame the stream sent on it (media, events): keep-alives wait for an idle socket. */
  lastDataAt: number;
  /** The simulator closed it (so its close is recorded as `server`). */
  closedByServer: boolean;
  /** Why the simulator cut it, when that is a drop the client should recover from: unanswered keep-alives or a test's fault. */
  dropCause: 'keepalive' | 'fault' | undefined;
  /** Its loss was already handled (a keep-alive drop is recorded when decided, not when the socket finally closes). */
  dropHandled: boolean;
  /**
   * Zoom already told the client this socket is interrupted (event 7 or STREAM_STATE_UPDATE INTERRUPTED reason 14
   * for media, reason 13 or `rtms_interrupted` for signaling): when the client then closes it, the drop is
   * recorded but not announced again.
   */
  interruptionAnnounced: boolean;
  /** Frozen by `freeze()`: neither read nor written, and no longer counted as the stream's connection. */
  frozen: boolean;
}

/** @internal Open, handshaken and not frozen: a socket the stream sends on, and one a second connection would duplicate. */
export function isLive(c: Conn): boolean {
  return c.handshaken && !c.frozen && c.ws.readyState === c.ws.OPEN;
}

/** @internal Sends a stream frame (media, event, state update) on an open socket, marking the socket busy for keep-alives. */
export function sendData(c: Conn, frame: string | Buffer | Uint8Array): void {
  if (c.ws.readyState !== c.ws.OPEN) return;
  c.lastDataAt = Date.now();
  c.ws.send(frame);
}
