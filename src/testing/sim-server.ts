/**
 * The simulator's endpoints: a `ws` server on loopback serving `/rtms/signaling` and `/rtms/media/<kind>`.
 *
 * `SimServer` accepts each socket, checks every handshake the way Zoom does (signature, stream id, product
 * id key, media type, one connection per channel) and answers it, answers the client's requests
 * (EVENT_SUBSCRIPTION, STREAM_STATE_REQ, SESSION_STATE_REQ, VIDEO_SUBSCRIPTION_REQ, STREAM_CLOSE_REQ), and runs
 * the keep-alive of every socket (by default only while a socket is idle, as Zoom describes). It settles the
 * media parameters a media handshake asks for and answers with what it applied. It finds streams through a
 * lookup the simulator gives it, attaches each socket to the stream its handshake names, and reports what the
 * client did through the stream's recorder. It consults the stream's faults for deferred ones (a forced
 * refusal). Everything else a stream does (sending media, scripts, immediate faults, Zoom's reactions to a
 * drop) is the stream's own business.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  AUDIO_SEND_RATE_MAX_MS,
  AUDIO_SEND_RATE_STEP_MS,
  MediaCodec,
  MediaContentType,
  MediaDataOption,
  MediaTypeBit,
  MsgType,
  SAMPLE_RATE_HZ,
  SERVER_KEEP_ALIVE_INTERVAL_MS,
  SERVER_KEEP_ALIVE_MAX_MISSED,
  StatusCode,
  StreamState,
} from '../protocol/constants.js';
import { ALL_HANDSHAKE_ID_KEYS, PRODUCTS } from '../protocol/products.js';
import { Drifter, type DriftOptions } from './drift.js';
import { MEDIA_ENDPOINTS, isLive, nextHandshakeSeq, type AppliedAudio, type Conn, type SimMediaKind } from './sim-conn.js';
import { redact } from './sim-record.js';
import { alwaysSentEvent } from './sim-script.js';
import type { SimEventEndpoint } from './sim-events.js';
import type { SimulatedStream } from './sim-stream.js';

const KIND_BIT: Readonly<Record<Exclude<SimMediaKind, 'all'>, number>> = {
  audio: MediaTypeBit.AUDIO,
  video: MediaTypeBit.VIDEO,
  deskshare: MediaTypeBit.DESKSHARE,
  sharescreen: MediaTypeBit.DESKSHARE,
  transcript: MediaTypeBit.TRANSCRIPT,
  chat: MediaTypeBit.CHAT,
};
const VALID_MEDIA_BITS = MediaTypeBit.AUDIO | MediaTypeBit.VIDEO | MediaTypeBit.DESKSHARE | MediaTypeBit.TRANSCRIPT | MediaTypeBit.CHAT | MediaTypeBit.ALL;

/** @internal The simulator's options that concern the endpoints (see `SimulatorOptions`). */
export interface EndpointOptions {
  /** The app's client id; handshake signatures are checked against it. */
  readonly clientId: string;
  /** The app's client secret; handshake signatures are checked against it. */
  readonly clientSecret: string;
  /** Interface to listen on. Default `127.0.0.1`. */
  readonly host?: string;
  /** Port. Default 0. */
  readonly port?: number;
  /** Keep-alive request interval. Default Zoom's; 0 disables. */
  readonly keepAliveIntervalMs?: number;
  /** Unanswered keep-alives before a socket is dropped. Default Zoom's. */
  readonly keepAliveMaxMissed?: number;
  /** `idle` (default): a keep-alive only on a socket that carried no stream frame for an interval; `always`: every interval. */
  readonly keepAlive?: 'idle' | 'always';
  /** Media URLs offered in the signaling response. Default: every endpoint. */
  readonly mediaUrls?: readonly SimMediaKind[];
  /** What a second connection for a live channel gets. Default `reject`. */
  readonly duplicateConnection?: 'reject' | 'kick';
  /** Drift for sockets not (yet) attached to a stream. */
  readonly drift?: boolean | DriftOptions;
  /** Serve TLS with this key and certificate (PEM): the URLs become `wss://` and `https://`. Default: plain. */
  readonly tls?: { readonly key: string | Buffer; readonly cert: string | Buffer };
}

function noop(): void {}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * What a media handshake's `media_params` settle: the params to answer with (and `notes`: where the simulator
 * applied something other than what was asked, recorded as `media-params` warnings), or why the handshake is
 * refused.
 */
type Negotiated =
  | { readonly ok: true; readonly params: Record<string, unknown>; readonly audio: AppliedAudio | undefined; readonly notes: readonly string[] }
  | { readonly ok: false; readonly status: number; readonly message: string };

/**
 * The fps a video (`video`) or screen share (`deskshare`) gets when its params name none, and the most JPG and PNG
 * may have (§3.3). Video: JPG at 5 fps by default, JPG/PNG only up to 5 fps (D-EVT, D-MEDIA). Screen share: JPG at
 * 1 fps by default; JPG/PNG only up to 1 fps says D-EVT, up to 5 say the data-types page and Zoom's SDK
 * ([CONFLICT], §9.13): the simulator takes the stricter reading, 1, so a client tested against it also works
 * where Zoom holds to it.
 */
const VIDEO_FPS: Readonly<Record<'video' | 'deskshare', { readonly default: number; readonly imageMax: number }>> = {
  video: { default: 5, imageMax: 5 },
  deskshare: { default: 1, imageMax: 1 },
};

/**
 * H.264 asked for without an fps: Zoom documents no default, and the reference's rule is "H.264 when fps > 5" (share:
 * > 1), so the JPG defaults would be a combination it excludes. 30, the default of Zoom's own SDK (SDK-CPP, §9), is
 * the one documented value.
 */
const H264_DEFAULT_FPS = 30;

/**
 * @internal Settles `media_params.video` or `media_params.deskshare` (an object): the `codec` and `fps` applied, filled in
 * when missing, the other fields as asked (with `content_type` 3 when missing).
 *
 * - `codec` 5 (JPG), 6 (PNG) or 7 (H264); none: JPG. Another value refuses the handshake with status 27
 *   (`STATUS_INVALID_MEDIA_VIDEO_CODEC`) or 33 (deskshare): Zoom has those statuses but does not say which values
 *   it refuses, so, as for `send_rate`, a value the simulator cannot honour is refused rather than guessed at.
 * - `fps` an integer from 1 to 30; none: the default above, or 30 for H.264 ({@link H264_DEFAULT_FPS}). Any other
 *   value refuses with status 30 (`STATUS_INVALID_MEDIA_VIDEO_FPS`) or 35. H.264 asked for at or below the JPG/PNG
 *   limit is applied as asked with a `media-params` warning: the reference says H.264 is used above it, and
 *   whether Zoom sends JPG instead is not documented.
 * - No codec and an fps above the JPG/PNG limit: JPG at the default fps, as Zoom documents for video ("fps > 5
 *   without codec falls back to JPG at 5 fps"). JPG or PNG asked for with an fps above the limit: Zoom does not
 *   say; the same fallback (the asked codec at the default fps) is the safest reading, since the answer tells the
 *   client. Both are recorded as `media-params` warnings.
 */
export function settleVideo(key: 'video' | 'deskshare', value: Record<string, unknown>): { ok: true; params: Record<string, unknown>; notes: string[] } | { ok: false; status: number; message: string } {
  const share = key === 'deskshare';
  const { default: fallback, imageMax } = VIDEO_FPS[key];
  const codec = value['codec'];
  const fps = value['fps'];
  if (codec !== undefined && codec !== MediaCodec.JPG && codec !== MediaCodec.PNG && codec !== MediaCodec.H264) {
    const status = share ? StatusCode.STATUS_INVALID_MEDIA_DESKSHARE_CODEC : StatusCode.STATUS_INVALID_MEDIA_VIDEO_CODEC;
    return { ok: false, status, message: `media_params.${key}.codec ${JSON.stringify(codec)} is not 5 (JPG), 6 (PNG) or 7 (H264)` };
  }
  if (fps !== undefined && !(typeof fps === 'number' && Number.isInteger(fps) && fps >= 1 && fps <= 30)) {
    const status = share ? StatusCode.STATUS_INVALID_MEDIA_DESKSHARE_FPS : StatusCode.STATUS_INVALID_MEDIA_VIDEO_FPS;
    return { ok: false, status, message: `media_params.${key}.fps ${JSON.stringify(fps)} is not an integer from 1 to 30` };
  }
  const notes: string[] = [];
  const appliedCodec: number = codec ?? MediaCodec.JPG;
  let appliedFps: number = fps ?? (appliedCodec === MediaCodec.H264 ? H264_DEFAULT_FPS : fallback);
  if (appliedCodec === MediaCodec.H264 && appliedFps <= imageMax) {
    notes.push(`media_params.${key}: H264 at ${appliedFps} fps: Zoom's documentation uses H.264 above ${imageMax} fps and JPG/PNG at or below it; applied as asked, but Zoom may send JPG here (undocumented)`);
  }
  if (appliedCodec !== MediaCodec.H264 && appliedFps > imageMax) {
    const limit = share ? `${imageMax} fps (D-EVT; Zoom's SDK allows 5: the simulator takes the stricter reading)` : `${imageMax} fps`;
    notes.push(
      codec === undefined
        ? `media_params.${key} asks for ${appliedFps} fps without a codec: applied JPG at ${fallback} fps, Zoom's fallback (JPG and PNG go up to ${limit}; ask for codec 7, H264, for more)`
        : `media_params.${key}: codec ${String(codec)} at ${appliedFps} fps is more than JPG and PNG allow (${limit}): applied ${fallback} fps`,
    );
    appliedFps = fallback;
  }
  return { ok: true, params: { content_type: MediaContentType.RAW_VIDEO, ...value, codec: appliedCodec, fps: appliedFps }, notes };
}

/**
 * Settles a media handshake's `media_params` (§3.3, §3.4): what the simulator applies, and so lists in
 * DATA_HAND_SHAKE_RESP and sends.
 *
 * Audio (whenever the socket carries audio, requested or not):
 * - `send_rate` (default 20): a multiple of 20 from 20 to 1000 ms is applied as asked; a larger value becomes 1000,
 *   as Zoom documents. Any other value (not a number, not a positive multiple of 20) is refused with status 24
 *   STATUS_INVALID_MEDIA_AUDIO_SEND_RATE rather than rounded: that status exists for rejected send rates, and a
 *   rounded interval would hide a client bug that Zoom may not forgive.
 * - codec: L16 (default) at the requested sample rate (8, 16, 32 or 48 kHz; 16 kHz when the value is unknown)
 *   and channels (1 or 2); G.711 (codec 2) as A-law at 8 kHz mono, the only G.711 Zoom lists; G.722 (codec 3) at
 *   16 kHz mono; Opus (codec 4) at 48 kHz, mono or stereo as asked, 20 ms packets (`send_rate` answered 20).
 *   G.722 and Opus streams carry the committed recording of a spoken sentence (the simulator has no encoder).
 * - `data_opt` 1 (mixed, default) or 2 (one stream per participant); `content_type` as asked (2, RAW, by default).
 *
 * Video and deskshare (when asked for, as objects, or named in `media_type` without params): the codec and fps
 * applied ({@link settleVideo}), which the stream sends in. Other kinds are answered as asked, with the `content_type` Zoom fills in (5 for transcript and
 * chat).
 */
function negotiateMedia(requested: Record<string, unknown> | undefined, mask: number): Negotiated {
  const req = requested ?? {};
  const params: Record<string, unknown> = {};
  const notes: string[] = [];
  for (const [key, value] of Object.entries(req)) {
    if (key === 'audio') continue;
    if ((key === 'video' || key === 'deskshare') && !isObj(value)) {
      // Not the object §3.3 describes: refused with the kind's params status (25, 31) rather than echoed back.
      const status = key === 'deskshare' ? StatusCode.STATUS_INVALID_MEDIA_DESKSHARE_PARAMS : StatusCode.STATUS_INVALID_MEDIA_VIDEO_PARAMS;
      return { ok: false, status, message: `media_params.${key} is ${JSON.stringify(value)}, not an object` };
    }
    if (!isObj(value)) {
      params[key] = value;
      continue;
    }
    if (key === 'video' || key === 'deskshare') {
      const settled = settleVideo(key, value);
      if (!settled.ok) return settled;
      params[key] = settled.params;
      notes.push(...settled.notes);
      continue;
    }
    const contentType = key === 'transcript' || key === 'chat' ? MediaContentType.TEXT : undefined;
    params[key] = contentType === undefined || value['content_type'] !== undefined ? { ...value } : { content_type: contentType, ...value };
  }
  // A socket that names video or deskshare in its media_type without params for it gets Zoom's defaults (JPG at
  // 5 fps, share JPG at 1 fps), answered like asked-for params. [INF] §3.4 says the answer has the request's keys;
  // answering what was applied follows the audio answer, which the simulator fills in the same way. Not for media_type 32 ("all the app is scoped
  // for"): the simulator cannot know the app's scopes, so it settles video only where the client asked for it.
  for (const [key, bit] of [['video', MediaTypeBit.VIDEO], ['deskshare', MediaTypeBit.DESKSHARE]] as const) {
    if ((mask & bit) === 0 || req[key] !== undefined) continue;
    const settled = settleVideo(key, {});
    if (settled.ok) params[key] = settled.params;
  }
  const carriesAudio = (mask & (MediaTypeBit.AUDIO | MediaTypeBit.ALL)) !== 0;
  if (!carriesAudio && req['audio'] === undefined) return { ok: true, params, audio: undefined, notes };
  const a = isObj(req['audio']) ? req['audio'] : {};
  const asked = a['send_rate'] ?? AUDIO_SEND_RATE_STEP_MS;
  let sendRate: number;
  if (typeof asked === 'number' && asked > AUDIO_SEND_RATE_MAX_MS) sendRate = AUDIO_SEND_RATE_MAX_MS;
  else if (typeof asked === 'number' && Number.isInteger(asked) && asked >= AUDIO_SEND_RATE_STEP_MS && asked % AUDIO_SEND_RATE_STEP_MS === 0) sendRate = asked;
  else {
    return {
      ok: false,
      status: StatusCode.STATUS_INVALID_MEDIA_AUDIO_SEND_RATE,
      message: `media_params.audio.send_rate ${JSON.stringify(asked)} is not a multiple of ${AUDIO_SEND_RATE_STEP_MS} ms between ${AUDIO_SEND_RATE_STEP_MS} and ${AUDIO_SEND_RATE_MAX_MS}`,
    };
  }
  // The codec asked for is applied; G.711, G.722 and Opus with the one rate (and G.711/G.722 the one channel
  // count) Zoom lists for them (§3.3 matrix), Opus with 20 ms packets whatever send_rate asked (the matrix lists
  // only 20 ms; the answer says 20). G.722 and Opus carry the recorded speech (media-fixtures-packets.ts).
  const codec: AppliedAudio['codec'] = a['codec'] === MediaCodec.G711 ? 'G711' : a['codec'] === MediaCodec.G722 ? 'G722' : a['codec'] === MediaCodec.OPUS ? 'OPUS' : 'L16';
  const askedRate = a['sample_rate'];
  const rateCode = codec === 'G711' ? 0 : codec === 'G722' ? 1 : codec === 'OPUS' ? 3 : typeof askedRate === 'number' && SAMPLE_RATE_HZ[askedRate] !== undefined ? askedRate : 1;
  const channels = (codec === 'L16' || codec === 'OPUS') && a['channel'] === 2 ? 2 : 1;
  if (codec === 'OPUS') sendRate = AUDIO_SEND_RATE_STEP_MS;
  const multiStream = a['data_opt'] === MediaDataOption.AUDIO_MULTI_STREAMS;
  params['audio'] = {
    content_type: a['content_type'] === MediaContentType.RTP ? MediaContentType.RTP : MediaContentType.RAW_AUDIO,
    codec: MediaCodec[codec],
    sample_rate: rateCode,
    channel: channels,
    data_opt: multiStream ? MediaDataOption.AUDIO_MULTI_STREAMS : MediaDataOption.AUDIO_MIXED_STREAM,
    send_rate: sendRate,
  };
  const audio: AppliedAudio | undefined = carriesAudio ? { codec, sampleRate: SAMPLE_RATE_HZ[rateCode] ?? 16000, channels, sendRate, multiStream } : undefined;
  return { ok: true, params, audio, notes };
}

/** A socket as the endpoints hold it: the shared {@link Conn}, and the stream it is attached to once its handshake names one. */
interface Client extends Conn {
  stream: SimulatedStream | undefined;
}

/** @internal The loopback server: endpoints, handshakes, requests and keep-alives. */
export class SimServer {
  readonly #options: EndpointOptions;
  readonly #clientId: string;
  readonly #clientSecret: string;
  readonly #findStream: (streamId: string) => SimulatedStream | undefined;
  readonly #clients = new Set<Client>();
  readonly #drifter: Drifter | undefined;
  #server: Server | undefined;
  #wss: WebSocketServer | undefined;
  #baseUrl = '';
  #closing = false;
  readonly #events: SimEventEndpoint | undefined;

  /**
   * @param options Read as the simulator was given them (not copied), like the rest of its options.
   * @param findStream The stream a handshake's `rtms_stream_id` names, if the simulator has it.
   * @param events The OAuth token endpoint and event WebSocket (sim-events.ts), served on the same port.
   */
  constructor(options: EndpointOptions, findStream: (streamId: string) => SimulatedStream | undefined, events?: SimEventEndpoint) {
    this.#options = options;
    this.#events = events;
    this.#clientId = options.clientId;
    this.#clientSecret = options.clientSecret;
    this.#findStream = findStream;
    this.#drifter = options.drift === undefined || options.drift === false ? undefined : new Drifter(options.drift === true ? {} : options.drift);
  }

  /** `ws://host:port` (`wss://` with the `tls` option), once listening. */
  get baseUrl(): string {
    return this.#baseUrl;
  }

  /** The signaling URL. */
  get signalingUrl(): string {
    return `${this.#baseUrl}/rtms/signaling`;
  }

  /** Open sockets right now. */
  get openSockets(): number {
    return this.#clients.size;
  }

  /** Listens (port 0 by default) and resolves once listening. */
  async listen(): Promise<void> {
    const onRequest: RequestListener = (req, res) => {
      if (!this.#closing && this.#events?.handleRequest(req, res) === true) return;
      res.writeHead(426, { 'content-type': 'text/plain' });
      res.end('RTMS simulator: WebSocket endpoints only\n');
    };
    const tls = this.#options.tls;
    // An https.Server is an http.Server for everything used here (upgrade, closeAllConnections, close).
    const server: Server = tls === undefined ? createServer(onRequest) : createTlsServer({ key: tls.key, cert: tls.cert }, onRequest);
    // A client that gives up during the TLS handshake (say, it does not trust the certificate) is no server error.
    server.on('tlsClientError', noop);
    const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (!this.#closing && this.#events?.handleUpgrade(req, socket, head) === true) return;
      const path = (req.url ?? '').split('?')[0] ?? '';
      let endpoint: Conn['endpoint'] | undefined;
      if (path === '/rtms/signaling') endpoint = 'signaling';
      else if (path.startsWith('/rtms/media/')) {
        const k = path.slice('/rtms/media/'.length) as SimMediaKind;
        if (MEDIA_ENDPOINTS.includes(k)) endpoint = k;
      }
      if (endpoint === undefined || this.#closing) {
        socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
        return;
      }
      const ep = endpoint;
      wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws, ep, socket));
    });
    this.#server = server;
    this.#wss = wss;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#options.port ?? 0, this.#options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address() as AddressInfo;
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    this.#baseUrl = `${tls === undefined ? 'ws' : 'wss'}://${host}:${addr.port}`;
  }

  /**
   * Stops accepting (at once), cuts every socket without a close frame, and resolves once the server is closed.
   * The caller makes it idempotent.
   */
  async close(): Promise<void> {
    this.#closing = true;
    for (const c of this.#clients) {
      this.stopKeepAlive(c);
      c.closedByServer = true;
      c.ws.terminate();
    }
    this.#clients.clear();
    await new Promise<void>((resolve) => (this.#wss ? this.#wss.close(() => resolve()) : resolve()));
    await new Promise<void>((resolve) => {
      if (!this.#server) return resolve();
      this.#server.closeAllConnections();
      this.#server.close(() => resolve());
    });
  }

  /** Closes a socket from the server side with `code`: its keep-alive stops and its close is recorded as `server`. */
  closeConn(c: Conn, code: number): void {
    this.stopKeepAlive(c);
    c.closedByServer = true;
    if (c.ws.readyState === c.ws.OPEN || c.ws.readyState === c.ws.CONNECTING) c.ws.close(code);
  }

  /** Stops the keep-alive requests on a socket. */
  stopKeepAlive(c: Conn): void {
    if (c.keepAliveTimer !== undefined) clearInterval(c.keepAliveTimer);
    c.keepAliveTimer = undefined;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Sockets
  // ---------------------------------------------------------------------------------------------------------

  #accept(ws: WebSocket, endpoint: Conn['endpoint'], raw: Duplex): void {
    const conn: Client = {
      ws,
      raw,
      channel: endpoint === 'signaling' ? 'signaling' : 'media',
      endpoint,
      stream: undefined,
      mask: 0,
      audio: undefined,
      handshaken: false,
      handshakeSeq: 0,
      peer: undefined,
      outstanding: new Set(),
      sentKeepAlives: [],
      keepAliveTimer: undefined,
      lastDataAt: 0,
      closedByServer: false,
      dropCause: undefined,
      dropHandled: false,
      interruptionAnnounced: false,
      frozen: false,
    };
    this.#clients.add(conn);
    ws.on('error', () => undefined);
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        this.#violate(conn, 'error', 'text-frames', 'client sent a binary frame; RTMS V1 is JSON text');
        return;
      }
      this.#onClientText(conn, Array.isArray(data) ? Buffer.concat(data).toString() : data.toString());
    });
    ws.on('close', (code) => {
      this.stopKeepAlive(conn);
      this.#clients.delete(conn);
      conn.stream?.detach(conn, code);
    });
  }

  #violate(conn: Client, severity: 'error' | 'warning' | 'info', rule: string, message: string): void {
    conn.stream?.recorder.violation({ severity, channel: conn.channel, rule, message });
  }

  #send(conn: Client, msg: Record<string, unknown>): void {
    if (conn.ws.readyState !== conn.ws.OPEN) return;
    // Drift follows the stream; a socket not yet bound to a stream (an unknown stream id) follows the simulator.
    conn.ws.send(conn.stream ? conn.stream.encode(msg) : this.#drifter ? this.#drifter.frame(msg) : JSON.stringify(msg));
  }

  #onClientText(conn: Client, text: string): void {
    let msg: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      msg = parsed as Record<string, unknown>;
    } catch {
      this.#violate(conn, 'error', 'json', 'client sent a frame that is not a JSON object');
      return;
    }
    const type = msg['msg_type'];
    if (!conn.handshaken) {
      const expected = conn.channel === 'signaling' ? MsgType.SIGNALING_HAND_SHAKE_REQ : MsgType.DATA_HAND_SHAKE_REQ;
      if (type !== expected) {
        this.#violate(conn, 'error', 'handshake-first', `first message on ${conn.channel} must be msg_type ${expected}, got ${String(type)}`);
        this.#send(conn, { msg_type: expected + 1, protocol_version: 1, status_code: StatusCode.STATUS_INVALID_MESSAGE_TYPE, reason: 'handshake expected' });
        this.closeConn(conn, 1000);
        return;
      }
      this.#handshake(conn, msg);
      return;
    }
    conn.stream?.emit('clientMessage', conn.channel, redact(msg));
    switch (type) {
      case MsgType.KEEP_ALIVE_RESP:
        this.#keepAliveAnswer(conn, msg['timestamp']);
        return;
      case MsgType.CLIENT_READY_ACK: {
        const s = conn.stream;
        if (conn.channel !== 'signaling') {
          this.#violate(conn, 'error', 'ready-ack-channel', 'CLIENT_READY_ACK must be sent on the signaling socket');
          return;
        }
        if (!s) return;
        if (msg['rtms_stream_id'] !== s.streamId) {
          this.#violate(conn, 'error', 'ready-ack-stream', 'CLIENT_READY_ACK must carry the stream id');
          this.#send(conn, { msg_type: MsgType.STREAM_STATE_UPDATE, state: StreamState.INTERRUPTED, reason: StatusCode.STATUS_INVALID_CLIENT_READY_ACK });
          return;
        }
        s.recorder.readyAck();
        if (![...s.conns].some((c) => c.channel === 'media' && c.handshaken)) {
          this.#violate(conn, 'error', 'ready-ack-order', 'CLIENT_READY_ACK sent before any media handshake succeeded');
          return;
        }
        s.readyAck(conn);
        return;
      }
      case MsgType.STREAM_CLOSE_REQ: {
        const s = conn.stream;
        s?.recorder.message(MsgType.STREAM_CLOSE_REQ);
        if (!s) return;
        this.#send(conn, { msg_type: MsgType.STREAM_CLOSE_RESP, rtms_stream_id: s.streamId, status_code: 0, reason: '', timestamp: Date.now() });
        s.closeRequested();
        return;
      }
      case MsgType.EVENT_SUBSCRIPTION:
      case MsgType.SESSION_STATE_REQ:
      case MsgType.STREAM_STATE_REQ:
      case MsgType.VIDEO_SUBSCRIPTION_REQ:
        conn.stream?.recorder.message(type);
        if (conn.channel !== 'signaling') {
          this.#violate(conn, 'error', 'signaling-only', `msg_type ${type} belongs on the signaling socket`);
          return;
        }
        this.#request(conn, type, msg);
        return;
      default:
        this.#violate(conn, 'warning', 'unexpected-message', `unexpected msg_type ${String(type)} on ${conn.channel}`);
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Handshakes
  // ---------------------------------------------------------------------------------------------------------

  #handshake(conn: Client, msg: Record<string, unknown>): void {
    const isSignaling = conn.channel === 'signaling';
    const respType = isSignaling ? MsgType.SIGNALING_HAND_SHAKE_RESP : MsgType.DATA_HAND_SHAKE_RESP;
    const streamId = msg['rtms_stream_id'];
    const stream = typeof streamId === 'string' ? this.#findStream(streamId) : undefined;
    // Both handshake responses echo the request's sequence and carry a status (§3.2, §3.4).
    const answer = (code: number, reason: string, extra: Record<string, unknown> = {}) =>
      this.#send(conn, {
        msg_type: respType,
        protocol_version: 1,
        sequence: typeof msg['sequence'] === 'number' ? msg['sequence'] : 0,
        status_code: code,
        reason,
        ...extra,
      });
    const refuse = (code: number, reason: string) => {
      answer(code, reason);
      this.closeConn(conn, 1000);
    };
    if (!stream) {
      refuse(StatusCode.STATUS_INVALID_RTMS_STREAM_ID, 'unknown rtms_stream_id');
      return;
    }
    conn.stream = stream;
    stream.attach(conn);
    stream.recorder.handshake(conn.channel, msg);
    const warn = (rule: string, message: string) => this.#violate(conn, 'warning', rule, message);
    const err = (rule: string, message: string) => this.#violate(conn, 'error', rule, message);

    // A handshake for a stream that has ended. Zoom's answer is not documented (protocol.md lists what a restart
    // after a stop needs as open); the safest reading for an app's tests is the one for an id Zoom no longer
    // knows: a refusal, so an app that reconnects after the end sees it fail instead of a socket that stays open
    // with nothing on it.
    const end = stream.record.end;
    if (end !== undefined) {
      warn('after-end', `${isSignaling ? 'signaling' : 'media'} handshake for a stream that ended ${((Date.now() - end.at) / 1000).toFixed(1)} s ago (stop reason ${end.stopReason}: ${end.why}); refused as an unknown stream`);
      refuse(StatusCode.STATUS_INVALID_RTMS_STREAM_ID, 'the stream has ended');
      return;
    }

    // Fields Zoom's docs require but its own seed samples omit: the stream still works; we warn.
    const label = isSignaling ? 'signaling handshake' : 'media handshake';
    if (msg['protocol_version'] === undefined) warn('protocol-version', `${label} omits protocol_version (docs require 1)`);
    else if (msg['protocol_version'] !== 1) warn('protocol-version', `${label}: protocol_version ${String(msg['protocol_version'])} is not 1`);
    // On the media handshake every client Zoom wrote omits it and Zoom accepts that (§3.3): a note, not a warning.
    if (msg['sequence'] === undefined) {
      if (isSignaling) warn('sequence', `${label} omits sequence (docs require a number)`);
      else this.#violate(conn, 'info', 'sequence', `${label} omits sequence (the docs list it; Zoom's own clients omit it and Zoom accepts that)`);
    }
    else if (typeof msg['sequence'] !== 'number' || !Number.isInteger(msg['sequence'])) warn('sequence', `${label}: sequence is not an integer`);

    const spec = PRODUCTS[stream.product];
    const matching = spec.handshakeKeys.filter((k) => msg[k] === stream.productId);
    const foreign = ALL_HANDSHAKE_ID_KEYS.filter((k) => !spec.handshakeKeys.includes(k) && msg[k] !== undefined);
    if (foreign.length > 0) warn('id-key', `handshake for a ${stream.product} carries ${foreign.join(', ')}`);
    if (matching.length === 0) {
      err('id-key', `handshake must carry ${spec.handshakeKeys.join(' or ')} = the webhook's ${spec.idField}`);
      refuse(StatusCode.STATUS_INVALID_PAYLOAD, `missing ${spec.idField}`);
      return;
    }
    const expected = createHmac('sha256', this.#clientSecret).update(`${this.#clientId},${stream.productId},${stream.streamId}`).digest('hex');
    if (msg['signature'] !== expected) {
      err('signature', 'handshake signature does not match HMAC-SHA256(clientSecret, "clientId,id,streamId")');
      refuse(StatusCode.STATUS_INVALID_SIGNATURE, 'invalid signature');
      return;
    }
    const forced = stream.faults.takeRefusal(conn.channel);
    if (forced) {
      refuse(forced.code, forced.reason);
      return;
    }

    const kick = this.#options.duplicateConnection === 'kick';
    if (isSignaling) {
      const live = [...stream.conns].filter((c) => c !== conn && c.channel === 'signaling' && isLive(c));
      if (live.length > 0) {
        err('one-connection', 'a second signaling connection for a stream that already has one');
        if (!kick) {
          refuse(StatusCode.STATUS_DUPLICATE_SIGNAL_REQUEST, 'duplicate signal request');
          return;
        }
        for (const c of live) this.closeConn(c, 1000);
      }
      conn.handshaken = true;
      conn.handshakeSeq = nextHandshakeSeq();
      stream.recorder.connection('signaling');
      const offered = this.#options.mediaUrls ?? MEDIA_ENDPOINTS;
      const urls: Record<string, string> = {};
      for (const k of offered) urls[k] = `${this.#baseUrl}/rtms/media/${k}`;
      answer(StatusCode.STATUS_OK, '', { media_server: { server_urls: urls } });
    } else {
      const mediaType = msg['media_type'];
      if (typeof mediaType !== 'number' || !Number.isInteger(mediaType) || mediaType <= 0 || (mediaType & ~VALID_MEDIA_BITS) !== 0) {
        err('media-type', `media_type ${String(mediaType)} is not a MEDIA_DATA_TYPE bitmask`);
        refuse(StatusCode.STATUS_INVALID_MEDIA_TYPE, 'invalid media_type');
        return;
      }
      if (conn.endpoint !== 'all') {
        const bit = KIND_BIT[conn.endpoint as Exclude<SimMediaKind, 'all'>];
        if (mediaType !== MediaTypeBit.ALL && (mediaType & ~bit) !== 0) {
          err('media-type', `media_type ${mediaType} asks for kinds the ${conn.endpoint} URL does not carry`);
          refuse(StatusCode.STATUS_MEDIA_TYPE_INVALID_VALUE, 'media_type does not match URL');
          return;
        }
      }
      const params = msg['media_params'];
      if (params !== undefined && !isObj(params)) {
        err('media-params', 'media_params must be an object');
        refuse(StatusCode.STATUS_INVALID_MEDIA_PARAMS, 'invalid media_params');
        return;
      }
      const negotiated = negotiateMedia(params, mediaType);
      if (!negotiated.ok) {
        err('media-params', negotiated.message);
        refuse(negotiated.status, negotiated.message);
        return;
      }
      const overlapping = [...stream.conns].filter((c) => c !== conn && c.channel === 'media' && isLive(c) && (c.mask & mediaType) !== 0);
      if (overlapping.length > 0) {
        err('one-connection', 'a second media connection for a media type that already has one');
        if (!kick) {
          refuse(StatusCode.STATUS_DUPLICATE_MEDIA_DATA_CONNECTION, 'duplicate media connection');
          return;
        }
        for (const c of overlapping) this.closeConn(c, 1000);
      }
      if (!stream.isReady && ![...stream.conns].some((c) => c.channel === 'signaling' && c.handshaken)) {
        warn('order', 'media handshake before the signaling handshake succeeded');
      }
      conn.handshaken = true;
      conn.handshakeSeq = nextHandshakeSeq();
      conn.mask = mediaType;
      conn.audio = negotiated.audio;
      conn.mediaParams = negotiated.params;
      for (const note of negotiated.notes) warn('media-params', note);
      conn.peer = [...stream.conns].find((c) => c.channel === 'signaling' && isLive(c));
      stream.recorder.connection('media');
      answer(StatusCode.STATUS_OK, '', { payload_encrypted: false, media_params: negotiated.params });
    }
    this.#startKeepAlive(conn);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Requests on signaling
  // ---------------------------------------------------------------------------------------------------------

  #request(conn: Client, type: number, msg: Record<string, unknown>): void {
    const s = conn.stream;
    if (!s) return;
    if (type === MsgType.EVENT_SUBSCRIPTION) {
      const events = msg['events'];
      if (!Array.isArray(events) || events.length === 0) {
        this.#violate(conn, 'error', 'event-subscription', 'EVENT_SUBSCRIPTION needs a non-empty events array');
        return;
      }
      for (const e of events as unknown[]) {
        const o = (typeof e === 'object' && e !== null ? e : {}) as Record<string, unknown>;
        const t = o['event_type'];
        if (typeof t !== 'number' || !Number.isInteger(t) || typeof o['subscribe'] !== 'boolean') {
          this.#violate(conn, 'error', 'event-subscription', 'each event needs an integer event_type and a boolean subscribe');
          continue;
        }
        if (alwaysSentEvent(t, s.channelKeyed)) {
          this.#violate(conn, 'warning', 'event-subscription', `event ${t} is always sent and should not be subscribed`);
        }
        if (o['subscribe']) s.subscribedEvents.add(t);
        else s.subscribedEvents.delete(t);
      }
      return;
    }
    if (type === MsgType.STREAM_STATE_REQ) {
      this.#send(conn, { msg_type: MsgType.STREAM_STATE_RESP, rtms_stream_id: s.streamId, state: StreamState.ACTIVE, timestamp: Date.now() });
      return;
    }
    if (type === MsgType.SESSION_STATE_REQ) {
      this.#send(conn, { msg_type: MsgType.SESSION_STATE_RESP, rtms_session_id: msg['rtms_session_id'], state: 2, timestamp: Date.now() });
      return;
    }
    // VIDEO_SUBSCRIPTION_REQ: one individual stream at a time; the same user twice is a duplicate (status 44).
    const userId = msg['user_id'];
    const subscribe = msg['subscribe'];
    if ((typeof userId !== 'number' && typeof userId !== 'string') || typeof subscribe !== 'boolean') {
      this.#violate(conn, 'error', 'video-subscription', 'VIDEO_SUBSCRIPTION_REQ needs user_id and a boolean subscribe');
      this.#send(conn, { msg_type: MsgType.VIDEO_SUBSCRIPTION_RESP, user_id: userId, status_code: StatusCode.STATUS_INVALID_PAYLOAD, reason: 'invalid request', timestamp: Date.now() });
      return;
    }
    const duplicate = subscribe && s.videoSubscription === userId;
    if (!duplicate) s.videoSubscription = subscribe ? userId : undefined;
    this.#send(conn, {
      msg_type: MsgType.VIDEO_SUBSCRIPTION_RESP,
      user_id: userId,
      status_code: duplicate ? StatusCode.STATUS_DUPLICATE_VIDEO_SUBSCRIPTION : StatusCode.STATUS_OK,
      reason: duplicate ? 'duplicate subscription' : 'OK',
      timestamp: Date.now(),
    });
  }

  // ---------------------------------------------------------------------------------------------------------
  // Keep-alives
  // ---------------------------------------------------------------------------------------------------------

  /**
   * Every `interval`: drop the socket when `maxMissed` requests are unanswered; else send a request, unless (in
   * `idle` mode, the default) the stream sent a frame on the socket within the last interval. Zoom sends
   * keep-alives "only during idle periods", while no data flows (RS-RECON, D-ZCC-OLD; D-EVT says every 10 s with
   * no qualifier, §7.1), so a client must never rely on them while media flows.
   */
  #startKeepAlive(conn: Client): void {
    const interval = this.#options.keepAliveIntervalMs ?? SERVER_KEEP_ALIVE_INTERVAL_MS;
    const maxMissed = this.#options.keepAliveMaxMissed ?? SERVER_KEEP_ALIVE_MAX_MISSED;
    if (!(interval > 0)) return;
    conn.keepAliveTimer = setInterval(() => {
      const s = conn.stream;
      if (conn.outstanding.size >= maxMissed) {
        if (s) {
          s.recorder.keepAliveMissedDrop();
          this.#violate(conn, 'error', 'keepalive', `${maxMissed} keep-alive requests went unanswered; socket dropped`);
          s.keepAliveDrop(conn, 1000);
        }
        this.closeConn(conn, 1000);
        return;
      }
      if ((this.#options.keepAlive ?? 'idle') === 'idle' && Date.now() - conn.lastDataAt < interval) return;
      let ts = Date.now();
      while (conn.outstanding.has(ts)) ts++;
      conn.outstanding.add(ts);
      conn.sentKeepAlives.push(ts);
      if (conn.sentKeepAlives.length > 16) conn.sentKeepAlives.shift();
      s?.recorder.keepAliveSent();
      this.#send(conn, { msg_type: MsgType.KEEP_ALIVE_REQ, timestamp: ts });
    }, interval);
  }

  /** A KEEP_ALIVE_RESP: it must echo the timestamp of a request. */
  #keepAliveAnswer(conn: Client, ts: unknown): void {
    const s = conn.stream;
    if (typeof ts === 'number' && conn.outstanding.has(ts)) {
      // This answer settles its request and any older one (answers may come late and in order).
      for (const t of conn.outstanding) if (t <= ts) conn.outstanding.delete(t);
      s?.recorder.keepAliveAnswered();
    } else if (typeof ts === 'number' && conn.sentKeepAlives.includes(ts)) {
      s?.recorder.keepAliveAnswered(); // a late answer to a request already settled by a newer one
    } else {
      s?.recorder.keepAliveWrongTimestamp();
      this.#violate(conn, 'error', 'keepalive-echo', 'KEEP_ALIVE_RESP must echo the timestamp of a KEEP_ALIVE_REQ');
    }
  }
}
