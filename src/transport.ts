/**
 * The transport seam: all a channel sees of a WebSocket. The default factory uses `ws`; tests inject
 * `mock-socket` (or anything else) through the `socketFactory` option without mocking modules.
 */
import type { Agent } from 'node:http';
import WebSocket from 'ws';
import { explainConnectError, type NetworkPlan } from './net-options.js';

/** Callbacks a socket delivers to its one owner. None is called after `onClose`. */
export interface RtmsSocketHandlers {
  /** The connection is open (WebSocket upgrade done); frames may be sent from now on. */
  onOpen(): void;
  /** A text frame. */
  onText(data: string): void;
  /**
   * A binary frame. Zoom's servers may send JSON in binary frames (UTF-8 bytes); the channel decodes them exactly
   * like text. The bytes are only valid during the call.
   */
  onBinary(data: Uint8Array): void;
  /** The socket is closed; called exactly once. */
  onClose(code: number, reason: string): void;
  /** A socket error; `onClose` follows. */
  onError(err: Error): void;
}

/** A connected (or connecting) socket. */
export interface RtmsSocket {
  /** Sends a text frame; returns false when the socket is not open (the frame is dropped). */
  send(data: string): boolean;
  /** Starts a closing handshake (or aborts a connect). */
  close(code: number, reason: string): void;
  /** Drops the connection at once. */
  terminate(): void;
}

/** Options a factory receives for each socket. */
export interface RtmsSocketOptions {
  /** Largest frame accepted, in bytes; larger frames close the socket (1009). */
  maxPayload: number;
  /** Time allowed for the TCP + TLS + HTTP upgrade; the factory may enforce it, the channel does too. */
  connectTimeoutMs: number;
}

/** Creates a socket to `url` that reports to `handlers`. Must not throw: report failures through handlers. */
export type SocketFactory = (url: string, handlers: RtmsSocketHandlers, options: RtmsSocketOptions) => RtmsSocket;

const OPEN = 1;

/** The default {@link SocketFactory}: a `ws` client socket with Node's defaults. TLS 1.2+ is Node's default minimum. */
export const wsSocketFactory: SocketFactory = (url, handlers, options) => openWs(url, handlers, options, undefined, undefined);

/**
 * @internal A `ws` socket factory that takes the client's network options (agent, proxy, TLS): the client's
 * default when any of them is set. The first socket through a proxy waits for the proxy library to load; a socket
 * closed meanwhile reports its close at once and is never opened.
 */
export function createWsSocketFactory(network: NetworkPlan | undefined): SocketFactory {
  if (network === undefined || network.isDefault) return wsSocketFactory;
  return (url, handlers, options) => {
    const agent = network.agent(url);
    if (!(agent instanceof Promise)) return openWs(url, handlers, options, network, agent);
    let inner: RtmsSocket | undefined;
    let gone = false;
    const cancel = (): void => {
      if (gone || inner !== undefined) return;
      gone = true;
      queueMicrotask(() => handlers.onClose(1006, ''));
    };
    agent.then(
      (a) => {
        if (!gone) inner = openWs(url, handlers, options, network, a);
      },
      (err: unknown) => {
        if (gone) return;
        gone = true;
        handlers.onError(err instanceof Error ? err : new Error(String(err)));
        handlers.onClose(1006, '');
      },
    );
    return {
      send: (data) => inner?.send(data) ?? false,
      close: (code, reason) => (inner === undefined ? cancel() : inner.close(code, reason)),
      terminate: () => (inner === undefined ? cancel() : inner.terminate()),
    };
  };
}

function openWs(url: string, handlers: RtmsSocketHandlers, options: RtmsSocketOptions, network: NetworkPlan | undefined, agent: Agent | undefined): RtmsSocket {
  let ws: WebSocket;
  let closed = false;
  // A proxy, not the user's own agent (or a direct connection that NO_PROXY named).
  const viaProxy = network?.viaProxy === true && agent !== undefined;
  const finish = (code: number, reason: string): void => {
    if (closed) return;
    closed = true;
    handlers.onClose(code, reason);
  };
  try {
    ws = new WebSocket(url, { ...network?.wsOptions(url, agent), maxPayload: options.maxPayload, handshakeTimeout: options.connectTimeoutMs });
  } catch (err) {
    // Invalid URL and the like: report asynchronously, as a real connect failure would be.
    queueMicrotask(() => {
      handlers.onError(err instanceof Error ? err : new Error(String(err)));
      finish(1006, '');
    });
    return { send: () => false, close: () => undefined, terminate: () => undefined };
  }
  ws.on('open', () => handlers.onOpen());
  ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
    if (isBinary) {
      handlers.onBinary(Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? new Uint8Array(data) : data);
      return;
    }
    handlers.onText(typeof data === 'string' ? data : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : data.toString());
  });
  ws.on('error', (err: Error) => {
    // A refused certificate or a proxy's 407 is named as such (explainConnectError); other errors pass unchanged.
    if (!closed) handlers.onError(explainConnectError(err, viaProxy));
  });
  ws.on('close', (code: number, reason: Buffer) => {
    ws.removeAllListeners('open');
    ws.removeAllListeners('message');
    ws.removeAllListeners('close');
    // Keep a no-op error listener: a late error on a dead socket must never become an uncaught exception.
    ws.removeAllListeners('error');
    ws.on('error', noop);
    finish(code, reason.toString());
  });
  return {
    send(data) {
      if (ws.readyState !== OPEN) return false;
      ws.send(data);
      return true;
    },
    close(code, reason) {
      try {
        ws.close(code, reason);
      } catch {
        ws.terminate();
      }
    },
    terminate() {
      ws.terminate();
    },
  };
}

function noop(): void {}
