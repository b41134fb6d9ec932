/**
 * A tiny raw RTMS client for the simulator tests: plain `ws` sockets, hand-written handshakes, every message kept.
 * It does exactly what a test tells it (answer keep-alives or not, reconnect or not), so the simulator's reactions
 * can be observed without the SDK's own recovery in the way. Sockets are terminated when the test finishes.
 */
import { onTestFinished } from 'vitest';
import WebSocket from 'ws';
import { generateSignature } from '../../src/index.js';
import { PRODUCTS } from '../../src/protocol/products.js';
import type { SimulatedStream } from '../../src/testing/index.js';
import { CREDS, until } from '../helpers.js';

export type Msg = Record<string, unknown>;

/** One socket and everything it received. */
export interface RawSocket {
  readonly ws: WebSocket;
  readonly received: Msg[];
  /** Keep-alive requests received. */
  keepAlives: number;
  /** Answer KEEP_ALIVE_REQ (default true). */
  answerKeepAlives: boolean;
  /** Close code and time, once closed. */
  closed: { code: number; at: number } | undefined;
}

function open(url: string): Promise<RawSocket> {
  const ws = new WebSocket(url);
  onTestFinished(() => ws.terminate());
  const s: RawSocket = { ws, received: [], keepAlives: 0, answerKeepAlives: true, closed: undefined };
  ws.on('message', (data: Buffer) => {
    const msg = JSON.parse(data.toString()) as Msg;
    s.received.push(msg);
    if (msg['msg_type'] === 12) {
      s.keepAlives++;
      if (s.answerKeepAlives) ws.send(JSON.stringify({ msg_type: 13, timestamp: msg['timestamp'] }));
    }
  });
  ws.on('close', (code) => (s.closed = { code, at: Date.now() }));
  ws.on('error', () => undefined);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(s));
    ws.once('error', reject);
  });
}

async function answer(s: RawSocket, msgType: number): Promise<Msg> {
  await until(() => s.received.some((m) => m['msg_type'] === msgType), 3_000, `msg_type ${msgType}`);
  return s.received.find((m) => m['msg_type'] === msgType)!;
}

export interface RawMediaOptions {
  /** Endpoint key in server_urls. Default `all`. */
  endpoint?: string;
  /** MEDIA_DATA_TYPE bits. Default 32 (all). */
  mediaType?: number;
  /** `media_params` to send. */
  mediaParams?: Msg;
  /** Send `sequence`. Default true. */
  sequence?: boolean;
}

/** A raw client of one stream: signaling, then any number of media sockets. */
export class RawClient {
  signaling!: RawSocket;
  /** The signaling handshake response. */
  signalingAnswer!: Msg;
  readonly media: RawSocket[] = [];
  readonly #stream: SimulatedStream;
  readonly #ids: Msg;

  constructor(stream: SimulatedStream) {
    this.#stream = stream;
    const signature = generateSignature({ clientId: CREDS.clientId, clientSecret: CREDS.clientSecret, id: stream.productId, streamId: stream.streamId });
    const ids: Msg = { rtms_stream_id: stream.streamId, signature };
    for (const k of PRODUCTS[stream.product].handshakeKeys) ids[k] = stream.productId;
    this.#ids = ids;
  }

  /** server_urls of the signaling answer. */
  get serverUrls(): Record<string, string> {
    return (this.signalingAnswer['media_server'] as { server_urls: Record<string, string> }).server_urls;
  }

  /** Opens signaling and handshakes. */
  async connectSignaling(options: { sequence?: boolean } = {}): Promise<Msg> {
    this.signaling = await open(this.#stream.serverUrls);
    this.signaling.ws.send(JSON.stringify({ msg_type: 1, protocol_version: 1, ...(options.sequence === false ? {} : { sequence: 1 }), ...this.#ids }));
    this.signalingAnswer = await answer(this.signaling, 2);
    return this.signalingAnswer;
  }

  /** Opens a media socket and handshakes; resolves with the socket and the answer. */
  async connectMedia(options: RawMediaOptions = {}): Promise<{ socket: RawSocket; answer: Msg }> {
    const url = this.serverUrls[options.endpoint ?? 'all'];
    if (url === undefined) throw new Error(`no ${options.endpoint} URL offered`);
    const socket = await open(url);
    this.media.push(socket);
    socket.ws.send(
      JSON.stringify({
        msg_type: 3,
        protocol_version: 1,
        ...(options.sequence === false ? {} : { sequence: 1 }),
        ...this.#ids,
        media_type: options.mediaType ?? 32,
        payload_encryption: false,
        ...(options.mediaParams ? { media_params: options.mediaParams } : {}),
      }),
    );
    return { socket, answer: await answer(socket, 4) };
  }

  /** CLIENT_READY_ACK on signaling. */
  ready(): void {
    this.signaling.ws.send(JSON.stringify({ msg_type: 7, rtms_stream_id: this.#stream.streamId }));
  }

  /** Signaling, one media socket (`all`), ready; resolves once the simulator counts the client ready. */
  async connect(media: RawMediaOptions = {}): Promise<{ socket: RawSocket; answer: Msg }> {
    await this.connectSignaling();
    const m = await this.connectMedia(media);
    this.ready();
    await this.#stream.ready();
    return m;
  }
}

/** Media frames of `msgType` a socket received. */
export function frames(s: RawSocket, msgType: number): Msg[] {
  return s.received.filter((m) => m['msg_type'] === msgType);
}

/** The `content` of a media frame. */
export function content(m: Msg): Msg {
  return m['content'] as Msg;
}
