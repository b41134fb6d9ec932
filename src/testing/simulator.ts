/**
 * A faithful local RTMS server, for testing apps (and this SDK) without Zoom.
 *
 * A real `ws` server on loopback serves the signaling endpoint and media endpoints (`all` and one per kind).
 * It checks every handshake the way Zoom does (signature, stream id, product id key, media type), applies the
 * media parameters it can produce and answers with them, sends keep-alives while a socket is idle, streams what a
 * test or a script tells it to, can refuse a handshake with any status code, terminate a stream or drop a
 * socket, and records what the client did for assertions.
 *
 * It also reacts as Zoom does when the client loses a socket of a live stream: MEDIA_CONNECTION_INTERRUPTED on
 * signaling for a lost media socket; for lost signaling, the media sockets closed and an `rtms_interrupted`
 * webhook (the stream's `webhook` event); a reconnect window (`reconnectWindows`); and past it the end of the
 * stream with stop reason 19 (24 after unanswered keep-alives) and an `rtms_stopped` webhook. Each loss is a
 * `DropRecord` in `stream.record.drops`.
 *
 * ```ts
 * const sim = await RtmsSimulator.start({ clientId, clientSecret, webhookSecretToken });
 * const stream = sim.createStream({ product: 'meeting' });
 * await client.handleWebhook(stream.webhook('started'));
 * await stream.ready();
 * stream.sendTranscript({ userId: 1, userName: 'Ada', text: 'hello' });
 * await sim.close();
 * ```
 *
 * {@link RtmsSimulator} ties together one job per module, each layer importing only the ones before it:
 * sim-record.ts (what the client did), sim-conn.ts (a client socket), sim-script.ts (media content and the
 * scripted meeting), sim-faults.ts (fault injection), sim-reactions.ts (Zoom's reactions to a drop),
 * sim-stream.ts (`SimulatedStream`, which reaches the server only through a narrow host) and sim-server.ts
 * (endpoints, handshakes, media parameters, requests and keep-alives).
 */
import type { RtmsProduct } from '../protocol/products.js';
import type { DriftOptions } from './drift.js';
import type { SimMediaKind } from './sim-conn.js';
import { DEFAULT_MEDIA_WINDOW_MS, DEFAULT_SIGNALING_WINDOW_MS } from './sim-reactions.js';
import { newProductId, newStreamId } from './sim-script.js';
import { SimEventEndpoint, type EventEndpointRecord } from './sim-events.js';
import { SimServer } from './sim-server.js';
import { SimulatedStream, type StreamHost } from './sim-stream.js';

export type { SimMediaKind } from './sim-conn.js';
export type { EventEndpointRecord, TokenRequestRecord } from './sim-events.js';
export type { CloseRecord, DropRecord, HandshakeRecord, KeepAliveRecord, ProtocolViolation, StreamRecord } from './sim-record.js';
export { DEFAULT_LINES, tonePcm } from './sim-script.js';
export type { MeetingScript, ScriptLine, SimAudio, SimTranscript, SimVideo } from './sim-script.js';
export { SimulatedStream } from './sim-stream.js';
export type { SimulatedStreamEvents } from './sim-stream.js';

/** Options of {@link RtmsSimulator}. */
export interface SimulatorOptions {
  /** The app's client id; handshake signatures are checked against it. */
  clientId: string;
  /** The app's client secret; handshake signatures are checked against it. */
  clientSecret: string;
  /** The app's webhook secret token; webhooks the simulator builds are signed with it. */
  webhookSecretToken?: string;
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Port. Default 0 (any free port). */
  port?: number;
  /** Keep-alive request interval on every socket. Default 10 000 ms (Zoom's). 0 disables. */
  keepAliveIntervalMs?: number;
  /**
   * Unanswered keep-alives before the simulator drops a socket. Default 3 (Zoom's). While the stream is live the
   * drop is a `DropRecord` with cause `keepalive`, and a stream not reconnected in time ends with stop reason 24.
   */
  keepAliveMaxMissed?: number;
  /**
   * When keep-alive requests go out. `idle` (the default): only on a socket that carried no stream frame (media,
   * event) during the last interval, as Zoom describes it ("only during idle periods"; protocol reference §7.1),
   * so a socket busy with audio gets none. `always`: on every socket every interval, whatever flows (the event
   * reference's wording), to test a client's keep-alive answers while media flows.
   */
  keepAlive?: 'idle' | 'always';
  /**
   * Zoom's reconnect windows after the client loses a socket of a live stream: `signalingMs` (default 60 000, the
   * documented minute) after a lost signaling socket, `mediaMs` (default 30 000) after a lost media socket. Zoom's
   * sources give about 30 s for media in some places and 65 s in others; the shorter is the default. A drop not
   * reconnected (handshakes and CLIENT_READY_ACK again) within its window ends the stream.
   */
  reconnectWindows?: {
    /** After a lost signaling socket, ms. Default 60 000. */
    signalingMs?: number;
    /** After a lost media socket, ms. Default 30 000. */
    mediaMs?: number;
  };
  /**
   * Media URLs offered in the signaling response. Default: `all` plus one per kind, screen share under both
   * `deskshare` and `sharescreen` (the keys Zoom's sources name; both are served).
   */
  mediaUrls?: readonly SimMediaKind[];
  /**
   * What a second connection for a stream that already has a live one gets. Zoom's sources disagree:
   * `reject` (the default) refuses it with status 8 (STATUS_DUPLICATE_SIGNAL_REQUEST) or 16
   * (STATUS_DUPLICATE_MEDIA_DATA_CONNECTION), as the data-type reference and Zoom's samples describe;
   * `kick` accepts it and closes the older connection of that channel with 1000, as Zoom's agent-skills text
   * says ("a second connection kicks the first out"). Either way the attempt is recorded as a violation: a
   * client must never open two. Use `kick` to test what happens when two instances connect the same stream.
   */
  duplicateConnection?: 'reject' | 'kick';
  /**
   * Send every frame with benign drift, as a live server's JSON varies: binary frames holding JSON, ids as
   * numbers or strings, numbers as strings, `null` for absent fields, unknown fields, V2's `event_code`. A
   * tolerant client delivers exactly what it would without it. `true` applies every kind at random (seeded, so
   * runs repeat); see {@link DriftOptions} to choose. Default off. A stream can override it.
   */
  drift?: boolean | DriftOptions;
  /**
   * `expires_in` of the tokens the simulated OAuth endpoint issues, in seconds. Default 3 600 (Zoom's). An event
   * socket is closed (4001) when the token it connected with expires: Zoom does not say what it does, and this is
   * the strict reading. Use a few seconds to test token refresh.
   */
  eventTokenTtlSeconds?: number;
  /**
   * Deliver the webhooks Zoom sends on its own (a stream's `webhook` event: `rtms_interrupted` after the client
   * lost signaling, `rtms_stopped` after a reconnect window passed) over the event WebSocket as they happen, as Zoom
   * would to an app subscribed that way. Default false: the test delivers them. Lost when no event socket is open.
   */
  eventSocketReactions?: boolean;
  /**
   * Serve TLS with this key and certificate (PEM), to test `wss://` and custom CAs: `signalingUrl`, the media URLs,
   * `eventSocketUrl` become `wss://` and `tokenUrl` `https://`. A client trusts the certificate through its `tls.ca`
   * option (the repository's test/fixtures/tls/ has a test CA and a certificate it issued for 127.0.0.1 and
   * localhost). Default: plain `ws://` and `http://`.
   */
  tls?: {
    /** The server's private key, PEM. */
    key: string | Buffer;
    /** The server's certificate (with any intermediates), PEM. */
    cert: string | Buffer;
  };
}

/** Options of {@link RtmsSimulator.createStream}. */
export interface CreateStreamOptions {
  /** Default `meeting`. */
  product?: RtmsProduct;
  /** Default: a random 32-hex id. */
  streamId?: string;
  /**
   * The product id (meeting UUID, webinar UUID, session id, engagement id, call id). Default: a random id in Zoom's
   * shape, a 24-character base64 UUID ending `==` (16 random bytes), that contains both `/` and `+`.
   */
  productId?: string;
  /** Drift for this stream's frames; default: the simulator's `drift` option. */
  drift?: boolean | DriftOptions;
}

/** The RTMS simulator: one loopback server, any number of streams. */
export class RtmsSimulator {
  /** The app's client id the simulator checks signatures against. */
  readonly clientId: string;
  readonly #options: SimulatorOptions;
  readonly #streams = new Map<string, SimulatedStream>();
  readonly #server: SimServer;
  readonly #streamHost: StreamHost;
  readonly #events: SimEventEndpoint;
  #closing: Promise<void> | undefined;

  private constructor(options: SimulatorOptions) {
    if (!options.clientId || !options.clientSecret) throw new Error('RtmsSimulator needs clientId and clientSecret');
    this.clientId = options.clientId;
    this.#options = options;
    this.#events = new SimEventEndpoint(options);
    const events = this.#events;
    this.#server = new SimServer(options, (streamId) => this.#streams.get(streamId), events);
    const server = this.#server;
    this.#streamHost = {
      webhookSecretToken: options.webhookSecretToken,
      closeSocket: (conn, code) => server.closeConn(conn, code),
      stopKeepAlive: (conn) => server.stopKeepAlive(conn),
      reconnectWindows: () => ({
        signalingMs: options.reconnectWindows?.signalingMs ?? DEFAULT_SIGNALING_WINDOW_MS,
        mediaMs: options.reconnectWindows?.mediaMs ?? DEFAULT_MEDIA_WINDOW_MS,
      }),
      deliverEvent: (body) => events.deliver(body),
    };
  }

  /** Starts a simulator on loopback (port 0 by default) and resolves once it listens. */
  static async start(options: SimulatorOptions): Promise<RtmsSimulator> {
    const sim = new RtmsSimulator(options);
    await sim.#server.listen();
    return sim;
  }

  /** `ws://host:port` (`wss://` with the `tls` option). */
  get baseUrl(): string {
    return this.#server.baseUrl;
  }

  /** The signaling URL (what a webhook's `server_urls` holds). */
  get signalingUrl(): string {
    return this.#server.signalingUrl;
  }

  /**
   * The event-subscription WebSocket URL (`ws://…/ws?subscriptionId=sim`), for `client.connectEvents({ url })`.
   * The client appends `&access_token=`; a missing, unknown or expired token is refused with HTTP 401.
   */
  get eventSocketUrl(): string {
    return `${this.#server.baseUrl}/ws?subscriptionId=sim`;
  }

  /**
   * The OAuth token endpoint (`http://…/oauth/token`, `https://` with the `tls` option), for `connectEvents({ tokenUrl })`. It takes
   * `POST ?grant_type=client_credentials` with HTTP Basic `clientId:clientSecret` and answers
   * `{ access_token, token_type: 'bearer', expires_in }` (401 for other credentials).
   */
  get tokenUrl(): string {
    return `${this.#server.baseUrl.replace(/^ws(s?):/, 'http$1:')}/oauth/token`;
  }

  /** What the token endpoint and the event WebSocket saw: token requests, connections, heartbeats, deliveries. */
  get eventRecord(): EventEndpointRecord {
    return this.#events.record;
  }

  /** Open event sockets right now. */
  get openEventSockets(): number {
    return this.#events.openSockets;
  }

  /**
   * Delivers any webhook body (`{ event, event_ts, payload }`) over the event WebSocket; see
   * {@link SimulatedStream.deliverEvent} for a stream's own. Returns the number of sockets it went to (0: lost).
   */
  deliverEvent(body: Record<string, unknown>): number {
    return this.#events.deliver(body);
  }

  /** Cuts every event socket abruptly (no close frame), like a network failure; media sockets are untouched. */
  dropEventSockets(): void {
    this.#events.dropSockets();
  }

  /** Makes the token endpoint refuse every credential with 401 from now on (`false` undoes it). */
  refuseEventCredentials(refuse = true): void {
    this.#events.refuseCredentials(refuse);
  }

  /** Streams created so far, by stream id. */
  get streams(): ReadonlyMap<string, SimulatedStream> {
    return this.#streams;
  }

  /** Open sockets right now. */
  get openSockets(): number {
    return this.#server.openSockets;
  }

  /** Secret-free description. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `RtmsSimulator { url: '${this.#server.baseUrl}', streams: ${this.#streams.size} }`;
  }

  /** Creates a stream the simulator will accept handshakes for. */
  createStream(options: CreateStreamOptions = {}): SimulatedStream {
    const stream = SimulatedStream.create(this.#streamHost, {
      product: options.product ?? 'meeting',
      streamId: options.streamId ?? newStreamId(),
      productId: options.productId ?? newProductId(),
      drift: options.drift ?? this.#options.drift,
      signalingUrl: this.#server.signalingUrl,
    });
    this.#streams.set(stream.streamId, stream);
    if (this.#options.eventSocketReactions === true) stream.on('webhook', (_step, webhook) => this.#events.deliver(webhook.json));
    return stream;
  }

  /** Forgets a stream (closing its sockets and clearing its timers), so long runs do not accumulate records. */
  deleteStream(streamId: string): void {
    const s = this.#streams.get(streamId);
    if (!s) return;
    s.dispose();
    for (const c of s.conns) this.#server.closeConn(c, 1000);
    this.#streams.delete(streamId);
  }

  /** Stops everything: closes every socket, the server and every timer (scripts, reconnect windows). Idempotent. */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    for (const s of this.#streams.values()) s.dispose();
    this.#events.close();
    this.#closing = this.#server.close();
    return this.#closing;
  }
}
