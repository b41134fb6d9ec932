import fc from 'fast-check';
import { Server, WebSocket as MockWebSocket, type Client } from 'mock-socket';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Channel, type ChannelConfig, type ChannelHost, type ChannelLimits, type HandshakeResponse } from '../../src/channel.js';
import { IdleWatchdog, systemClock } from '../../src/clock.js';
import { RtmsError } from '../../src/errors.js';
import { safeLogger } from '../../src/logger.js';
import { encodeDataHandshake, encodeSignalingHandshake, jsonCodec } from '../../src/protocol/codec.js';
import type { InboundMessage } from '../../src/protocol/messages.js';
import type { RtmsSocket, RtmsSocketHandlers, RtmsSocketOptions, SocketFactory } from '../../src/transport.js';
import { ManualClock } from '../manual-clock.js';

// ---------------------------------------------------------------------------------------------------------
// Test doubles
// ---------------------------------------------------------------------------------------------------------

/** mock-socket delivers open, client→server messages and closes after a 4 ms `setTimeout`. */
const MOCK_DELAY_MS = 4;

const STREAM_ID = 'stream-abc';
const SIGNATURE = 'a'.repeat(64);

interface RecordedSocket {
  url: string;
  options: RtmsSocketOptions;
  closeCalls: Array<[number, string]>;
  terminateCalls: number;
}

/** Adapts a mock-socket WebSocket to the RtmsSocket interface of src/transport.ts (same contract as wsSocketFactory). */
function mockSocketFactory(record: RecordedSocket[]): SocketFactory {
  return (url: string, handlers: RtmsSocketHandlers, options: RtmsSocketOptions): RtmsSocket => {
    const rec: RecordedSocket = { url, options, closeCalls: [], terminateCalls: 0 };
    record.push(rec);
    const ws = new MockWebSocket(url);
    let closed = false;
    const finish = (code: number, reason: string) => {
      if (closed) return;
      closed = true;
      handlers.onClose(code, reason);
    };
    ws.onopen = () => {
      if (!closed) handlers.onOpen();
    };
    ws.onmessage = (ev: { data: unknown }) => {
      if (closed) return;
      const data: unknown = ev.data;
      if (typeof data === 'string') handlers.onText(data);
      else handlers.onBinary(data instanceof ArrayBuffer ? new Uint8Array(data) : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(0));
    };
    ws.onerror = () => {
      if (!closed) handlers.onError(new Error('mock socket error'));
    };
    ws.onclose = (ev: { code: number; reason?: string }) => finish(ev.code, ev.reason ?? '');
    return {
      send(data) {
        if (closed || ws.readyState !== MockWebSocket.OPEN) return false;
        ws.send(data);
        return true;
      },
      close(code, reason) {
        rec.closeCalls.push([code, reason]);
        try {
          ws.close(code, reason);
        } catch {
          ws.close();
        }
      },
      terminate() {
        rec.terminateCalls++;
        ws.close();
        finish(1006, '');
      },
    };
  };
}

/** A hand-written socket the test drives directly (for a connection that never opens, or never closes). */
class FakeSocket implements RtmsSocket {
  readonly sent: string[] = [];
  readonly closeCalls: Array<[number, string]> = [];
  terminateCalls = 0;
  isOpen = false;
  constructor(
    readonly url: string,
    readonly handlers: RtmsSocketHandlers,
    readonly options: RtmsSocketOptions,
  ) {}
  send(data: string): boolean {
    if (!this.isOpen) return false;
    this.sent.push(data);
    return true;
  }
  close(code: number, reason: string): void {
    this.closeCalls.push([code, reason]);
  }
  terminate(): void {
    this.terminateCalls++;
  }
  /** Test-side: the connection opens. */
  open(): void {
    this.isOpen = true;
    this.handlers.onOpen();
  }
  /** Test-side: the socket reports closed. */
  closed(code = 1000, reason = ''): void {
    this.isOpen = false;
    this.handlers.onClose(code, reason);
  }
}

function fakeSocketFactory(sockets: FakeSocket[]): SocketFactory {
  return (url, handlers, options) => {
    const s = new FakeSocket(url, handlers, options);
    sockets.push(s);
    return s;
  };
}

/** A ChannelHost that records every call. */
class RecordingHost implements ChannelHost {
  readonly ready: HandshakeResponse[] = [];
  readonly messages: InboundMessage[] = [];
  readonly frameErrors: RtmsError[] = [];
  readonly unhandled: Array<[number, boolean]> = [];
  readonly downs: RtmsError[] = [];
  onReady(_c: Channel, response: HandshakeResponse): void {
    this.ready.push(response);
  }
  onMessage(_c: Channel, message: InboundMessage): void {
    this.messages.push(message);
  }
  onFrameError(_c: Channel, error: RtmsError): void {
    this.frameErrors.push(error);
  }
  onUnhandled(_c: Channel, msgType: number, known: boolean): void {
    this.unhandled.push([msgType, known]);
  }
  onDown(_c: Channel, error: RtmsError): void {
    this.downs.push(error);
  }
}

const LIMITS: ChannelLimits = {
  connectTimeoutMs: 10_000,
  handshakeTimeoutMs: 5_000,
  idleTimeoutMs: 0,
  closeTimeoutMs: 2_000,
  maxPayloadBytes: 1 << 20,
};

function makeChannel(
  kind: 'signaling' | 'media',
  url: string,
  socketFactory: SocketFactory,
  limits: Partial<ChannelLimits> = {},
): { ch: Channel; host: RecordingHost } {
  const host = new RecordingHost();
  const idKeys = ['meeting_uuid'];
  const config: ChannelConfig = {
    kind,
    label: kind === 'signaling' ? 'signaling' : 'media[audio]',
    url,
    streamId: STREAM_ID,
    handshake: (sequence) =>
      kind === 'signaling'
        ? encodeSignalingHandshake({ sequence, idKeys, idValue: 'meeting==', streamId: STREAM_ID, signature: SIGNATURE })
        : encodeDataHandshake({ sequence, idKeys, idValue: 'meeting==', streamId: STREAM_ID, signature: SIGNATURE, mediaType: 1 }),
    socketFactory,
    codec: jsonCodec,
    clock: systemClock,
    logger: safeLogger(undefined),
    limits: { ...LIMITS, ...limits },
  };
  const ch = new Channel(config, host);
  channels.push(ch);
  return { ch, host };
}

/** A mock RTMS server at a fresh URL: records every frame it receives; `reply` decides what it answers. */
interface MockRtms {
  url: string;
  server: Server;
  received: Array<Record<string, unknown>>;
  rawReceived: string[];
  clients: Client[];
  /** The server side of the latest connection. */
  client(): Client;
  send(o: unknown): void;
}

let portCounter = 41_000;
const servers: Server[] = [];
const channels: Channel[] = [];

function mockRtms(reply?: (msg: Record<string, unknown>, socket: Client) => void): MockRtms {
  const url = `ws://localhost:${++portCounter}/rtms`;
  const server = new Server(url, { mock: false });
  servers.push(server);
  const rtms: MockRtms = {
    url,
    server,
    received: [],
    rawReceived: [],
    clients: [],
    client() {
      const c = rtms.clients[rtms.clients.length - 1];
      if (c === undefined) throw new Error('no client connected');
      return c;
    },
    send(o) {
      rtms.client().send(typeof o === 'string' ? o : JSON.stringify(o));
    },
  };
  server.on('connection', (socket) => {
    rtms.clients.push(socket);
    socket.on('message', (data) => {
      const text = String(data);
      rtms.rawReceived.push(text);
      const msg = JSON.parse(text) as Record<string, unknown>;
      rtms.received.push(msg);
      reply?.(msg, socket);
    });
  });
  return rtms;
}

/** Answers handshakes with status 0 (signaling: with media URLs). */
function acceptHandshakes(msg: Record<string, unknown>, socket: Client): void {
  if (msg['msg_type'] === 1) {
    socket.send(JSON.stringify({ msg_type: 2, protocol_version: 1, status_code: 0, reason: '', media_server: { server_urls: { all: 'wss://m.zoom.us' } } }));
  } else if (msg['msg_type'] === 3) {
    socket.send(JSON.stringify({ msg_type: 4, protocol_version: 1, status_code: 0, reason: '', payload_encrypted: false }));
  }
}

/** Opens a channel against an accepting mock server and brings it to `ready` (2 mock delays). */
function openReady(kind: 'signaling' | 'media' = 'signaling', limits: Partial<ChannelLimits> = {}) {
  const rtms = mockRtms(acceptHandshakes);
  const sockets: RecordedSocket[] = [];
  const { ch, host } = makeChannel(kind, rtms.url, mockSocketFactory(sockets), limits);
  ch.open();
  vi.advanceTimersByTime(2 * MOCK_DELAY_MS);
  expect(ch.state).toBe('ready');
  return { rtms, ch, host, sockets, readyAt: Date.now() };
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(async () => {
  for (const ch of channels.splice(0)) {
    void ch.close();
    vi.advanceTimersByTime(LIMITS.closeTimeoutMs + 100);
    await ch.closed();
  }
  for (const s of servers.splice(0)) s.stop();
  vi.clearAllTimers();
  vi.useRealTimers();
});

// ---------------------------------------------------------------------------------------------------------
// Channel over mock-socket
// ---------------------------------------------------------------------------------------------------------

describe('Channel over mock-socket — handshake', () => {
  it('passes maxPayload and connectTimeoutMs to the socket factory', () => {
    const rtms = mockRtms();
    const sockets: RecordedSocket[] = [];
    const { ch } = makeChannel('signaling', rtms.url, mockSocketFactory(sockets), { connectTimeoutMs: 1234, maxPayloadBytes: 4096 });
    ch.open();
    expect(sockets).toHaveLength(1);
    expect(sockets[0]!.url).toBe(rtms.url);
    expect(sockets[0]!.options).toEqual({ maxPayload: 4096, connectTimeoutMs: 1234 });
  });

  it('sends SIGNALING_HAND_SHAKE_REQ on open with sequence 1; later sequence numbers count up', () => {
    const rtms = mockRtms();
    const { ch } = makeChannel('signaling', rtms.url, mockSocketFactory([]));
    expect(ch.state).toBe('idle');
    ch.open();
    expect(ch.state).toBe('connecting');
    vi.advanceTimersByTime(MOCK_DELAY_MS);
    expect(ch.state).toBe('handshaking');
    vi.advanceTimersByTime(MOCK_DELAY_MS);
    expect(rtms.received).toEqual([
      { msg_type: 1, protocol_version: 1, sequence: 1, meeting_uuid: 'meeting==', rtms_stream_id: STREAM_ID, signature: SIGNATURE },
    ]);
    expect(ch.nextSequence()).toBe(2);
    expect(ch.nextSequence()).toBe(3);
    expect(ch.nextSequence()).toBe(4);
  });

  it('a media channel starts its own sequence at 1 too and sends DATA_HAND_SHAKE_REQ', () => {
    const rtms = mockRtms();
    const { ch } = makeChannel('media', rtms.url, mockSocketFactory([]));
    ch.open();
    vi.advanceTimersByTime(2 * MOCK_DELAY_MS);
    expect(rtms.received).toHaveLength(1);
    expect(rtms.received[0]).toMatchObject({ msg_type: 3, sequence: 1, media_type: 1, payload_encryption: false, rtms_stream_id: STREAM_ID });
    expect(ch.nextSequence()).toBe(2);
  });

  it('open() is only valid once', () => {
    const rtms = mockRtms();
    const sockets: RecordedSocket[] = [];
    const { ch } = makeChannel('signaling', rtms.url, mockSocketFactory(sockets));
    ch.open();
    ch.open();
    vi.advanceTimersByTime(2 * MOCK_DELAY_MS);
    ch.open();
    expect(sockets).toHaveLength(1);
    expect(rtms.received).toHaveLength(1);
  });

  it('accepted signaling handshake → onReady with the decoded response, state ready', () => {
    const { ch, host } = openReady('signaling');
    expect(host.ready).toHaveLength(1);
    expect(host.ready[0]).toMatchObject({ msg_type: 2, status_code: 0, media_server: { server_urls: { all: 'wss://m.zoom.us' } } });
    expect(host.messages).toEqual([]);
    expect(host.downs).toEqual([]);
    expect(ch.state).toBe('ready');
  });

  it('accepted media handshake → onReady with the DATA_HAND_SHAKE_RESP', () => {
    const { host } = openReady('media');
    expect(host.ready).toHaveLength(1);
    expect(host.ready[0]).toMatchObject({ msg_type: 4, status_code: 0, payload_encrypted: false });
  });

  it('refused handshake → RTMS_HANDSHAKE_REJECTED with statusCode, statusName and the server reason', async () => {
    const rtms = mockRtms((msg, socket) => {
      if (msg['msg_type'] === 1) socket.send(JSON.stringify({ msg_type: 2, status_code: 3, reason: 'invalid signature' }));
    });
    const sockets: RecordedSocket[] = [];
    const { ch, host } = makeChannel('signaling', rtms.url, mockSocketFactory(sockets));
    ch.open();
    vi.advanceTimersByTime(2 * MOCK_DELAY_MS);
    expect(host.ready).toEqual([]);
    expect(host.downs).toHaveLength(1);
    const err = host.downs[0]!;
    expect(err).toBeInstanceOf(RtmsError);
    expect(err.code).toBe('RTMS_HANDSHAKE_REJECTED');
    expect(err.statusCode).toBe(3);
    expect(err.statusName).toBe('STATUS_INVALID_SIGNATURE');
    expect(err.reason).toBe('invalid signature');
    expect(err.channel).toBe('signaling');
    expect(err.streamId).toBe(STREAM_ID);
    expect(err.message).toContain('STATUS_INVALID_SIGNATURE');
    expect(err.message).toContain('invalid signature');
    expect(err.message).not.toContain(SIGNATURE);
    // The channel closes its socket itself, normally, and ends with no timer left.
    expect(ch.state).toBe('closing');
    expect(sockets[0]!.closeCalls).toEqual([[1000, '']]);
    vi.advanceTimersByTime(MOCK_DELAY_MS);
    await ch.closed();
    expect(ch.state).toBe('closed');
    expect(vi.getTimerCount()).toBe(0);
    expect(host.downs).toHaveLength(1);
  });

  it('refused media handshake carrying `status` instead of status_code (RS-PY) → statusCode 16', () => {
    const rtms = mockRtms((msg, socket) => {
      if (msg['msg_type'] === 3) socket.send(JSON.stringify({ msg_type: 4, status: 16, reason: 'duplicate media connection' }));
    });
    const { ch, host } = makeChannel('media', rtms.url, mockSocketFactory([]));
    ch.open();
    vi.advanceTimersByTime(2 * MOCK_DELAY_MS);
    expect(host.downs).toHaveLength(1);
    expect(host.downs[0]).toMatchObject({
      code: 'RTMS_HANDSHAKE_REJECTED',
      statusCode: 16,
      statusName: 'STATUS_DUPLICATE_MEDIA_DATA_CONNECTION',
      reason: 'duplicate media connection',
      channel: 'media',
    });
  });

  it('an unknown refusal code is surfaced as UNKNOWN_STATUS_<n> with the reason verbatim', () => {
    const rtms = mockRtms((msg, socket) => {
      if (msg['msg_type'] === 1) socket.send(JSON.stringify({ msg_type: 2, status_code: 77, reason: 'Something new: détails' }));
    });
    const { ch, host } = makeChannel('signaling', rtms.url, mockSocketFactory([]));
    ch.open();
    vi.advanceTimersByTime(2 * MOCK_DELAY_MS);
    expect(host.downs[0]).toMatchObject({ code: 'RTMS_HANDSHAKE_REJECTED', statusCode: 77, statusName: 'UNKNOWN_STATUS_77', reason: 'Something new: détails' });
  });

  it('a media response on a signaling channel does not complete the handshake', () => {
    const rtms = mockRtms((msg, socket) => {
      if (msg['msg_type'] === 1) socket.send(JSON.stringify({ msg_type: 4, status_code: 0 }));
    });
    const { ch, host } = makeChannel('signaling', rtms.url, mockSocketFactory([]));
    ch.open();
    vi.advanceTimersByTime(2 * MOCK_DELAY_MS);
    expect(ch.state).toBe('handshaking');
    expect(host.ready).toEqual([]);
    expect(host.messages).toHaveLength(1);
  });

  it('handshake timeout fires RTMS_HANDSHAKE_TIMEOUT exactly handshakeTimeoutMs after the socket opened', async () => {
    const rtms = mockRtms(); // never answers
    const { ch, host } = makeChannel('signaling', rtms.url, mockSocketFactory([]), { handshakeTimeoutMs: 5_000 });
    ch.open();
    vi.advanceTimersByTime(MOCK_DELAY_MS);
    expect(ch.state).toBe('handshaking');
    const openedAt = Date.now();
    vi.advanceTimersByTime(5_000 - 1);
    expect(Date.now() - openedAt).toBe(4_999);
    expect(host.downs).toEqual([]);
    expect(rtms.received).toHaveLength(1); // the handshake did arrive
    vi.advanceTimersByTime(1);
    expect(host.downs).toHaveLength(1);
    expect(host.downs[0]).toMatchObject({ code: 'RTMS_HANDSHAKE_TIMEOUT', channel: 'signaling', streamId: STREAM_ID });
    vi.advanceTimersByTime(MOCK_DELAY_MS);
    await ch.closed();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('the connect timer is cleared on open: no RTMS_CONNECT_TIMEOUT later', () => {
    const { host } = openReady('signaling', { connectTimeoutMs: 50 });
    vi.advanceTimersByTime(60_000);
    expect(host.downs).toEqual([]);
  });

  it('a handshake response after ready is passed on as a message, not handled again', () => {
    const { rtms, host, ch } = openReady('signaling');
    rtms.send({ msg_type: 2, status_code: 3, reason: 'late' });
    expect(ch.state).toBe('ready');
    expect(host.downs).toEqual([]);
    expect(host.messages).toHaveLength(1);
    expect(host.messages[0]).toMatchObject({ msg_type: 2, status_code: 3 });
  });

  it('no server at the URL → RTMS_CONNECT_FAILED', async () => {
    const { ch, host } = makeChannel('signaling', `ws://localhost:${++portCounter}/none`, mockSocketFactory([]));
    ch.open();
    vi.advanceTimersByTime(MOCK_DELAY_MS);
    expect(host.downs).toHaveLength(1);
    expect(host.downs[0]).toMatchObject({ code: 'RTMS_CONNECT_FAILED', channel: 'signaling' });
    await ch.closed();
    expect(ch.state).toBe('closed');
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('Channel over mock-socket — keep-alive (§3.6)', () => {
  it('answers KEEP_ALIVE_REQ with KEEP_ALIVE_RESP carrying the same numeric timestamp, and counts it', () => {
    const { rtms, host, ch } = openReady('signaling');
    rtms.send({ msg_type: 12, timestamp: 1_712_345_678_901 });
    vi.advanceTimersByTime(MOCK_DELAY_MS);
    expect(rtms.rawReceived[1]).toBe('{"msg_type":13,"timestamp":1712345678901}');
    expect(ch.stats.keepAlivesAnswered).toBe(1);
    expect(host.messages).toEqual([]); // keep-alives are not passed on
  });

  it('echoes a string timestamp as a string', () => {
    const { rtms, ch } = openReady('signaling');
    rtms.send({ msg_type: 12, timestamp: '1712345678901' });
    vi.advanceTimersByTime(MOCK_DELAY_MS);
    expect(rtms.received[1]).toStrictEqual({ msg_type: 13, timestamp: '1712345678901' });
    expect(ch.stats.keepAlivesAnswered).toBe(1);
  });

  it('answers every request with its own timestamp, in order, and counts them all', () => {
    const { rtms, ch } = openReady('signaling');
    const stamps = [1000, 11_000, 21_000, Number.MAX_SAFE_INTEGER];
    for (const t of stamps) {
      rtms.send({ msg_type: 12, timestamp: t });
      vi.advanceTimersByTime(10_000);
    }
    expect(rtms.received.slice(1)).toStrictEqual(stamps.map((t) => ({ msg_type: 13, timestamp: t })));
    expect(ch.stats.keepAlivesAnswered).toBe(4);
    expect(ch.stats.framesReceived).toBe(1 + 4); // handshake response + keep-alives
  });

  it('answers on media channels too (keep-alive runs on both sockets)', () => {
    const { rtms, ch } = openReady('media');
    rtms.send({ msg_type: 12, timestamp: 42 });
    vi.advanceTimersByTime(MOCK_DELAY_MS);
    expect(rtms.received[1]).toStrictEqual({ msg_type: 13, timestamp: 42 });
    expect(ch.stats.keepAlivesAnswered).toBe(1);
  });

  it('answers a keep-alive that arrives before the handshake response', () => {
    const rtms = mockRtms((msg, socket) => {
      if (msg['msg_type'] === 1) socket.send(JSON.stringify({ msg_type: 12, timestamp: 7 }));
    });
    const { ch } = makeChannel('signaling', rtms.url, mockSocketFactory([]));
    ch.open();
    vi.advanceTimersByTime(3 * MOCK_DELAY_MS);
    expect(ch.state).toBe('handshaking');
    expect(rtms.received[1]).toStrictEqual({ msg_type: 13, timestamp: 7 });
    expect(ch.stats.keepAlivesAnswered).toBe(1);
  });

  it('does not answer after close()', async () => {
    const { rtms, ch } = openReady('signaling');
    const client = rtms.client();
    const done = ch.close();
    client.send(JSON.stringify({ msg_type: 12, timestamp: 1 }));
    vi.advanceTimersByTime(MOCK_DELAY_MS * 2);
    await done;
    expect(rtms.received).toHaveLength(1);
    expect(ch.stats.keepAlivesAnswered).toBe(0);
  });
});

describe('Channel over mock-socket — idle watchdog (§7.1)', () => {
  it('fires RTMS_IDLE_TIMEOUT exactly idleTimeoutMs after the handshake when nothing else arrives, not 1 ms earlier', async () => {
    const { ch, host } = openReady('signaling', { idleTimeoutMs: 30_000 });
    vi.advanceTimersByTime(30_000 - 1);
    expect(host.downs).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(host.downs).toHaveLength(1);
    expect(host.downs[0]).toMatchObject({ code: 'RTMS_IDLE_TIMEOUT', channel: 'signaling', streamId: STREAM_ID });
    expect(host.downs[0]!.message).toContain('30000');
    expect(ch.state).toBe('closing');
    vi.advanceTimersByTime(MOCK_DELAY_MS);
    await ch.closed();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('any frame pushes the deadline back: a keep-alive 20 s in moves it to 50 s (+ at most timeout/8)', () => {
    const { rtms, host, readyAt } = openReady('signaling', { idleTimeoutMs: 30_000 });
    vi.advanceTimersByTime(20_000);
    rtms.send({ msg_type: 12, timestamp: 1 });
    vi.advanceTimersByTime(10_000); // the original deadline
    expect(host.downs).toEqual([]);
    vi.advanceTimersByTime(20_000 - 1);
    expect(Date.now() - readyAt).toBe(49_999);
    expect(host.downs).toEqual([]); // never before 30 s of silence
    vi.advanceTimersByTime(1 + 30_000 / 8);
    expect(host.downs.map((e) => e.code)).toEqual(['RTMS_IDLE_TIMEOUT']);
  });

  it.each([
    ['a data message', { msg_type: 14, content: { data: 'AAAA', user_id: 0 } }],
    ['an invalid frame', 'this is not json'],
    ['an unknown msg_type', { msg_type: 99 }],
  ])('%s also counts as activity', (_label, frame) => {
    const { rtms, host } = openReady('media', { idleTimeoutMs: 30_000 });
    vi.advanceTimersByTime(10_000);
    rtms.send(frame);
    vi.advanceTimersByTime(30_000 - 1);
    expect(host.downs).toEqual([]);
    vi.advanceTimersByTime(1 + 30_000 / 8);
    expect(host.downs.map((e) => e.code)).toEqual(['RTMS_IDLE_TIMEOUT']);
  });

  it('steady frames keep the channel alive indefinitely', () => {
    const { rtms, host, ch } = openReady('signaling', { idleTimeoutMs: 30_000 });
    for (let i = 0; i < 30; i++) {
      vi.advanceTimersByTime(10_000);
      rtms.send({ msg_type: 12, timestamp: i });
    }
    expect(host.downs).toEqual([]);
    expect(ch.state).toBe('ready');
  });

  it('idleTimeoutMs 0 disables the watchdog', () => {
    const { host, ch } = openReady('signaling', { idleTimeoutMs: 0 });
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(60 * 60_000);
    expect(host.downs).toEqual([]);
    expect(ch.state).toBe('ready');
  });

  it('the watchdog only starts once the handshake succeeded (the handshake timeout covers the time before)', () => {
    const rtms = mockRtms(); // never answers
    const { host } = makeChannel('signaling', rtms.url, mockSocketFactory([]), { idleTimeoutMs: 100, handshakeTimeoutMs: 5_000 });
    channels[channels.length - 1]!.open();
    vi.advanceTimersByTime(MOCK_DELAY_MS + 1_000);
    expect(host.downs).toEqual([]);
    vi.advanceTimersByTime(4_000);
    expect(host.downs.map((e) => e.code)).toEqual(['RTMS_HANDSHAKE_TIMEOUT']);
  });
});

describe('Channel over mock-socket — frames', () => {
  it('passes decoded messages to the host', () => {
    const { rtms, host } = openReady('signaling');
    rtms.send({ msg_type: 6, event: { event_type: 2, user_id: 16778240, user_name: 'Ada', timestamp: 5 } });
    rtms.send({ msg_type: 8, state: 4, stop_reason: 6 });
    expect(host.messages).toEqual([
      { msg_type: 6, event: { event_type: 2, user_id: 16778240, user_name: 'Ada', timestamp: 5 } },
      expect.objectContaining({ msg_type: 8, state: 4, reason: 6 }),
    ]);
  });

  it('reports invalid frames and carries on', () => {
    const { rtms, host, ch } = openReady('media');
    rtms.send('{not json');
    rtms.send({ msg_type: 14 });
    expect(host.frameErrors.map((e) => e.code)).toEqual(['RTMS_FRAME_INVALID', 'RTMS_FRAME_INVALID']);
    expect(host.frameErrors[0]).toMatchObject({ channel: 'media', streamId: STREAM_ID });
    expect(host.frameErrors[0]!.cause).toBeInstanceOf(SyntaxError);
    expect(ch.stats.frameErrors).toBe(2);
    expect(ch.state).toBe('ready');
    rtms.send({ msg_type: 14, content: { data: 'AAAA' } });
    expect(host.messages).toHaveLength(1);
  });

  it('reports unhandled msg_types with their known flag', () => {
    const { rtms, host } = openReady('signaling');
    rtms.send({ msg_type: 99 });
    rtms.send({ msg_type: 13, timestamp: 1 });
    expect(host.unhandled).toEqual([
      [99, false],
      [13, true],
    ]);
  });

  const binary = (o: unknown): ArrayBuffer => {
    const b = new TextEncoder().encode(JSON.stringify(o));
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  };

  it('decodes a binary frame holding UTF-8 JSON exactly like text: keep-alives are answered, messages passed on', () => {
    const { rtms, host, ch } = openReady('media');
    rtms.client().send(binary({ msg_type: 12, timestamp: 1_712_345_678_901 }));
    rtms.client().send(binary({ msg_type: 14, content: { data: 'AAAA', user_id: '16778240', channel_id: 7 } }));
    vi.advanceTimersByTime(2 * MOCK_DELAY_MS);
    expect(rtms.received.at(-1)).toEqual({ msg_type: 13, timestamp: 1_712_345_678_901 });
    expect(ch.stats.keepAlivesAnswered).toBe(1);
    expect(host.messages).toEqual([{ msg_type: 14, content: { data: 'AAAA', user_id: 16778240, channel_id: '7' } }]);
    expect(host.frameErrors).toEqual([]);
  });

  it('takes a handshake response sent as a binary frame', () => {
    const rtms = mockRtms((msg, socket) => {
      if (msg['msg_type'] === 1) socket.send(binary({ msg_type: 2, protocol_version: 1, status_code: '0', reason: '', media_server: { server_urls: { all: 'wss://m.zoom.us' } } }));
    });
    const { ch, host } = makeChannel('signaling', rtms.url, mockSocketFactory([]));
    ch.open();
    vi.advanceTimersByTime(2 * MOCK_DELAY_MS);
    expect(ch.state).toBe('ready');
    expect(host.ready).toHaveLength(1);
  });

  it('reports a binary frame that is not UTF-8 JSON as RTMS_FRAME_UNSUPPORTED (length, first byte) and carries on', () => {
    const { rtms, host, ch } = openReady('media');
    rtms.client().send(new Uint8Array([0x08, 0x0e, 0x12, 0x04, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]).buffer);
    rtms.send({ msg_type: 14, content: { data: 'AAAA' } });
    expect(host.frameErrors).toHaveLength(1);
    const err = host.frameErrors[0]!;
    expect(err.code).toBe('RTMS_FRAME_UNSUPPORTED');
    expect(err.message).toContain('16 bytes');
    expect(err.message).toContain('0x08');
    expect(err.frame).toEqual({ byteLength: 16, firstByte: 8 });
    expect(err.channel).toBe('media');
    expect(host.messages).toHaveLength(1);
    expect(ch.state).toBe('ready');
    expect(ch.stats.frameErrors).toBe(1);
  });

  it("tolerates V2's srt_passphrase in the signaling response and never logs it, even with drifted fields beside it", () => {
    const lines: string[] = [];
    const rtms = mockRtms((msg, socket) => {
      if (msg['msg_type'] === 1) {
        socket.send(JSON.stringify({ msg_type: 2, status_code: 0, reason: { odd: true }, srt_passphrase: 'SRT-PASS-DO-NOT-LOG', srt_pbkey_length: '16', media_server: { server_urls: { all: 'wss://m.zoom.us' }, srt_passphrase: 'SRT-PASS-DO-NOT-LOG' } }));
      }
    });
    const { ch, host } = makeChannel('signaling', rtms.url, mockSocketFactory([]));
    const rec = (level: string) => (m: string, ctx?: unknown) => lines.push(`${level} ${m} ${JSON.stringify(ctx)}`);
    (ch as unknown as { config: { logger: unknown } }).config.logger = safeLogger({ debug: rec('debug'), info: rec('info'), warn: rec('warn'), error: rec('error') });
    ch.open();
    vi.advanceTimersByTime(2 * MOCK_DELAY_MS);
    expect(ch.state).toBe('ready');
    expect(host.ready).toHaveLength(1);
    expect(lines.some((l) => l.includes('reason'))).toBe(true); // the uninterpretable field is named...
    expect(lines.join('\n')).not.toContain('SRT-PASS'); // ...and no value is ever printed
  });

  it('logs fields it could not read at debug level, and still passes the message on', () => {
    const lines: string[] = [];
    const rtms = mockRtms(acceptHandshakes);
    const { ch, host } = makeChannel('media', rtms.url, mockSocketFactory([]));
    (ch as unknown as { config: { logger: unknown } }).config.logger = safeLogger({ debug: (m: string) => lines.push(m) });
    ch.open();
    vi.advanceTimersByTime(2 * MOCK_DELAY_MS);
    rtms.send({ msg_type: 17, content: { data: 'hi', language: 'en', timestamp: {} } });
    expect(host.messages).toHaveLength(1);
    expect(lines.some((l) => l.includes('content.language') && l.includes('content.timestamp'))).toBe(true);
  });
});

describe('Channel over mock-socket — close', () => {
  it('close() is idempotent, reports nothing, and leaves no timer behind', async () => {
    const { ch, host, sockets } = openReady('signaling', { idleTimeoutMs: 30_000 });
    expect(vi.getTimerCount()).toBeGreaterThan(0); // the watchdog
    const p1 = ch.close();
    const p2 = ch.close();
    expect(p2).toBe(p1);
    expect(ch.state).toBe('closing');
    expect(sockets[0]!.closeCalls).toEqual([[1000, '']]);
    vi.advanceTimersByTime(MOCK_DELAY_MS);
    await p1;
    expect(ch.state).toBe('closed');
    expect(ch.close()).toBe(p1);
    expect(ch.closed()).toBe(p1);
    expect(sockets[0]!.closeCalls).toHaveLength(1);
    expect(host.downs).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
    expect(ch.send('{"msg_type":13}')).toBe(false);
    // Nothing fires later either.
    vi.advanceTimersByTime(10 * 60_000);
    expect(host.downs).toEqual([]);
  });

  it('passes a custom close code through', async () => {
    const { ch, sockets } = openReady('signaling');
    const p = ch.close(4000, 'bye');
    expect(sockets[0]!.closeCalls).toEqual([[4000, 'bye']]);
    vi.advanceTimersByTime(MOCK_DELAY_MS);
    await p;
  });

  it('close() before open() resolves at once without a socket', async () => {
    const sockets: RecordedSocket[] = [];
    const { ch, host } = makeChannel('signaling', 'ws://localhost:1/unused', mockSocketFactory(sockets));
    await ch.close();
    expect(ch.state).toBe('closed');
    expect(sockets).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
    ch.open();
    expect(sockets).toEqual([]); // a closed channel does not reopen
    expect(host.downs).toEqual([]);
  });

  it('close() while connecting and while handshaking clears every timer', async () => {
    for (const advance of [0, MOCK_DELAY_MS]) {
      const rtms = mockRtms();
      const { ch, host } = makeChannel('signaling', rtms.url, mockSocketFactory([]));
      ch.open();
      vi.advanceTimersByTime(advance);
      const p = ch.close();
      vi.advanceTimersByTime(MOCK_DELAY_MS * 2);
      await p;
      expect(ch.state).toBe('closed');
      expect(host.downs).toEqual([]);
      expect(host.ready).toEqual([]);
      expect(vi.getTimerCount()).toBe(0);
    }
  });

  it('a peer close after ready → RTMS_CONNECTION_LOST with the close code, reported once', async () => {
    const { rtms, ch, host } = openReady('signaling', { idleTimeoutMs: 30_000 });
    rtms.client().close({ code: 4001, reason: 'server going away', wasClean: true });
    vi.advanceTimersByTime(MOCK_DELAY_MS);
    await ch.closed();
    expect(host.downs).toHaveLength(1);
    expect(host.downs[0]).toMatchObject({ code: 'RTMS_CONNECTION_LOST', closeCode: 4001, channel: 'signaling' });
    expect(host.downs[0]!.message).toContain('server going away');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a server shutdown after ready → RTMS_CONNECTION_LOST', async () => {
    const { rtms, ch, host } = openReady('media');
    rtms.server.close({ code: 1011, reason: '', wasClean: false });
    await ch.closed();
    expect(host.downs.map((e) => e.code)).toEqual(['RTMS_CONNECTION_LOST']);
    expect(host.downs[0]!.closeCode).toBe(1011);
    expect(vi.getTimerCount()).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Channel over a hand-written socket (a connection that never opens / a peer that never closes)
// ---------------------------------------------------------------------------------------------------------

describe('Channel over a hand-written fake socket', () => {
  it('connect timeout fires RTMS_CONNECT_TIMEOUT at exactly connectTimeoutMs, not 1 ms earlier', async () => {
    const sockets: FakeSocket[] = [];
    const { ch, host } = makeChannel('signaling', 'wss://rtms.zoom.us/s', fakeSocketFactory(sockets), { connectTimeoutMs: 10_000 });
    ch.open();
    expect(sockets[0]!.options.connectTimeoutMs).toBe(10_000);
    vi.advanceTimersByTime(9_999);
    expect(host.downs).toEqual([]);
    expect(ch.state).toBe('connecting');
    vi.advanceTimersByTime(1);
    expect(host.downs).toHaveLength(1);
    expect(host.downs[0]).toMatchObject({ code: 'RTMS_CONNECT_TIMEOUT', channel: 'signaling', streamId: STREAM_ID });
    expect(host.downs[0]!.message).toContain('10000');
    expect(sockets[0]!.closeCalls).toEqual([[1000, '']]);
    expect(ch.state).toBe('closing');
    // The socket then reports closed: no second report (not RTMS_CONNECT_FAILED as well), no timers.
    sockets[0]!.closed(1006, '');
    await ch.closed();
    expect(host.downs).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a late open after the connect timeout is ignored (no handshake sent)', () => {
    const sockets: FakeSocket[] = [];
    const { ch, host } = makeChannel('signaling', 'wss://rtms.zoom.us/s', fakeSocketFactory(sockets), { connectTimeoutMs: 100 });
    ch.open();
    vi.advanceTimersByTime(100);
    sockets[0]!.open();
    expect(sockets[0]!.sent).toEqual([]);
    expect(host.ready).toEqual([]);
    expect(ch.state).toBe('closing');
  });

  it('a peer that never completes the close is terminated after closeTimeoutMs', async () => {
    const sockets: FakeSocket[] = [];
    const { ch, host } = makeChannel('signaling', 'wss://rtms.zoom.us/s', fakeSocketFactory(sockets), { closeTimeoutMs: 2_000 });
    ch.open();
    sockets[0]!.open();
    sockets[0]!.handlers.onText(JSON.stringify({ msg_type: 2, status_code: 0 }));
    expect(ch.state).toBe('ready');
    const p = ch.close();
    vi.advanceTimersByTime(1_999);
    expect(sockets[0]!.terminateCalls).toBe(0);
    expect(ch.state).toBe('closing');
    vi.advanceTimersByTime(1);
    expect(sockets[0]!.terminateCalls).toBe(1);
    await p;
    expect(ch.state).toBe('closed');
    expect(vi.getTimerCount()).toBe(0);
    // A close event arriving after that is harmless.
    sockets[0]!.closed(1006, '');
    expect(host.downs).toEqual([]);
  });

  it('handshake timeout counts from open, not from open()', () => {
    const sockets: FakeSocket[] = [];
    const { ch, host } = makeChannel('media', 'wss://rtms.zoom.us/m', fakeSocketFactory(sockets), { handshakeTimeoutMs: 3_000, connectTimeoutMs: 10_000 });
    ch.open();
    vi.advanceTimersByTime(7_000);
    sockets[0]!.open();
    expect(JSON.parse(sockets[0]!.sent[0]!)).toMatchObject({ msg_type: 3, sequence: 1 });
    vi.advanceTimersByTime(2_999);
    expect(host.downs).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(host.downs.map((e) => e.code)).toEqual(['RTMS_HANDSHAKE_TIMEOUT']);
    expect(host.downs[0]!.channel).toBe('media');
  });

  it('a socket error before close becomes the cause of RTMS_CONNECT_FAILED', async () => {
    const sockets: FakeSocket[] = [];
    const { ch, host } = makeChannel('signaling', 'wss://rtms.zoom.us/s', fakeSocketFactory(sockets));
    ch.open();
    const cause = new Error('ECONNREFUSED');
    sockets[0]!.handlers.onError(cause);
    sockets[0]!.closed(1006, '');
    await ch.closed();
    expect(host.downs).toHaveLength(1);
    expect(host.downs[0]).toMatchObject({ code: 'RTMS_CONNECT_FAILED', closeCode: 1006 });
    expect(host.downs[0]!.cause).toBe(cause);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('after a fatal error, frames are ignored and nothing else is reported', () => {
    const sockets: FakeSocket[] = [];
    const { ch, host } = makeChannel('signaling', 'wss://rtms.zoom.us/s', fakeSocketFactory(sockets), { idleTimeoutMs: 1_000 });
    ch.open();
    sockets[0]!.open();
    sockets[0]!.handlers.onText(JSON.stringify({ msg_type: 2, status_code: 0 }));
    vi.advanceTimersByTime(1_000);
    expect(host.downs.map((e) => e.code)).toEqual(['RTMS_IDLE_TIMEOUT']);
    sockets[0]!.handlers.onText(JSON.stringify({ msg_type: 12, timestamp: 1 }));
    sockets[0]!.handlers.onText(JSON.stringify({ msg_type: 8, state: 1 }));
    expect(sockets[0]!.sent).toHaveLength(1); // only the handshake; the keep-alive is not answered
    expect(host.messages).toEqual([]);
    sockets[0]!.closed(1000, '');
    expect(host.downs).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------------------------------------
// IdleWatchdog with a hand-built clock
// ---------------------------------------------------------------------------------------------------------


function firstTimer(clock: ManualClock): [number, { at: number; fn: () => void }] {
  const first = [...clock.timers][0];
  if (first === undefined) throw new Error('no pending timer');
  return first;
}

describe('IdleWatchdog', () => {
  function setup(timeoutMs = 1_000) {
    const clock = new ManualClock();
    const fired: number[] = [];
    const dog = new IdleWatchdog(clock, timeoutMs, (idle) => fired.push(idle));
    return { clock, fired, dog };
  }

  it('does nothing until started', () => {
    const { clock, fired, dog } = setup();
    dog.touch();
    clock.advance(10_000);
    expect(clock.timers.size).toBe(0);
    expect(fired).toEqual([]);
  });

  it('fires exactly timeoutMs after start when nothing was seen, with the idle time, not 1 ms earlier', () => {
    const { clock, fired, dog } = setup(1_000);
    dog.start();
    expect(clock.scheduled).toEqual([125]); // checks every timeout / 8
    clock.advance(999);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual([1_000]);
  });

  it('fires once only, and leaves no timer behind', () => {
    const { clock, fired, dog } = setup(1_000);
    dog.start();
    clock.advance(1_000);
    clock.advance(60_000);
    expect(fired).toEqual([1_000]);
    expect(clock.timers.size).toBe(0);
  });

  it('touch() is a field write: it reads no clock and schedules nothing', () => {
    const { clock, dog } = setup(1_000);
    dog.start();
    const now = vi.spyOn(clock, 'now');
    const scheduled = clock.scheduled.length;
    for (let i = 0; i < 1_000; i++) dog.touch();
    expect(now).not.toHaveBeenCalled();
    expect(clock.scheduled.length).toBe(scheduled);
    expect(clock.timers.size).toBe(1);
  });

  it('touch() moves the deadline to the check after it + timeout: 400 ms in, it fires at 1,500 ms', () => {
    const { clock, fired, dog } = setup(1_000);
    const t0 = clock.now();
    dog.start();
    clock.advance(400);
    dog.touch();
    clock.advance(600); // the original deadline
    expect(fired).toEqual([]);
    clock.advance(499);
    expect(fired).toEqual([]);
    clock.advance(1); // the check at 500 ms saw the touch; 1,000 ms of silence after it
    expect(fired).toEqual([1_000]);
    expect(clock.now() - t0).toBe(1_500);
    expect(clock.scheduled.every((ms) => ms <= 125)).toBe(true);
  });

  it('many touches: fires between timeout and timeout × 1.125 after the last one', () => {
    const { clock, fired, dog } = setup(1_000);
    dog.start();
    for (let i = 0; i < 50; i++) {
      clock.advance(300);
      dog.touch();
    }
    clock.advance(999);
    expect(fired).toEqual([]); // 999 ms after the last touch
    clock.advance(126);
    expect(fired).toHaveLength(1); // by 1,125 ms after it
  });

  it('property: silence after any pattern of activity is reported no earlier than timeout and no later than timeout + timeout/8', () => {
    fc.assert(
      fc.property(fc.integer({ min: 8, max: 100_000 }), fc.array(fc.integer({ min: 0, max: 50_000 }), { maxLength: 40 }), (timeoutMs, gaps) => {
        const clock = new ManualClock();
        let firedAt: number | undefined;
        const dog = new IdleWatchdog(clock, timeoutMs, () => (firedAt ??= clock.now()));
        dog.start();
        let last = clock.now();
        for (const gap of gaps) {
          clock.advance(gap);
          if (firedAt !== undefined) break;
          dog.touch();
          last = clock.now();
        }
        if (firedAt === undefined) clock.advance(timeoutMs * 2);
        expect(firedAt).toBeDefined();
        expect(firedAt! - last).toBeGreaterThanOrEqual(timeoutMs);
        expect(firedAt! - last).toBeLessThanOrEqual(timeoutMs + Math.floor(timeoutMs / 8));
        dog.stop();
      }),
    );
  });

  it('stop() cancels the timer, is idempotent, and a late callback does nothing', () => {
    const { clock, fired, dog } = setup(1_000);
    dog.start();
    const [id, pending] = firstTimer(clock);
    dog.stop();
    dog.stop();
    expect(clock.cleared).toEqual([id]);
    expect(clock.timers.size).toBe(0);
    clock.t += 5_000;
    pending.fn(); // a timer callback that was already queued when stop() ran
    expect(fired).toEqual([]);
    expect(clock.timers.size).toBe(0);
  });

  it('start() restarts: cancels the running timer and counts from now', () => {
    const { clock, fired, dog } = setup(1_000);
    dog.start();
    clock.advance(800);
    dog.start();
    expect(clock.timers.size).toBe(1);
    expect(clock.cleared).toHaveLength(1);
    clock.advance(999);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual([1_000]);
  });

  it('can be started again after it fired', () => {
    const { clock, fired, dog } = setup(500);
    dog.start();
    clock.advance(500);
    dog.start();
    clock.advance(500);
    expect(fired).toEqual([500, 500]);
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])('timeout %s disables it', (timeoutMs) => {
    const { clock, fired, dog } = setup(timeoutMs);
    dog.start();
    expect(clock.timers.size).toBe(0);
    clock.advance(1e9);
    dog.touch();
    expect(fired).toEqual([]);
  });

  it('reports the actual idle time when the timer runs late', () => {
    const clock = new ManualClock();
    const fired: number[] = [];
    const dog = new IdleWatchdog(clock, 1_000, (idle) => fired.push(idle));
    dog.start();
    const [, pending] = firstTimer(clock);
    clock.timers.clear();
    clock.t += 1_250; // the event loop was blocked
    pending.fn();
    expect(fired).toEqual([1_250]);
  });
});

describe('systemClock', () => {
  it('uses Date.now and the global (fake) timers', () => {
    vi.setSystemTime(1_700_000_000_000);
    expect(systemClock.now()).toBe(1_700_000_000_000);
    const fn = vi.fn();
    const h = systemClock.setTimeout(fn, 100);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(99);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledTimes(1);
    const h2 = systemClock.setTimeout(fn, 100);
    systemClock.clearTimeout(h2);
    expect(vi.getTimerCount()).toBe(0);
    void h;
  });

  it('unrefs its real timers so they never keep the process alive', () => {
    vi.useRealTimers();
    const h = systemClock.setTimeout(() => undefined, 60_000) as ReturnType<typeof setTimeout>;
    try {
      expect(h.hasRef()).toBe(false);
    } finally {
      systemClock.clearTimeout(h);
    }
  });
});
