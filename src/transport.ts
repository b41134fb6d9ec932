/**
 * The transport seam: all a channel sees of a WebSocket. The default factory uses `ws`; tests inject
 * `mock-socket` (or anything else) through the `socketFactory` option without mocking modules.
 */
import WebSocket from 'ws';

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

/** The default {@link SocketFactory}: a `ws` client socket. TLS 1.2+ is Node's default minimum. */
export const wsSocketFactory: SocketFactory = (url, handlers, options) => {
  let ws: WebSocket;
  let closed = false;
  const finish = (code: number, reason: string): void => {
    if (closed) return;
    closed = true;
    handlers.onClose(code, reason);
  };
  try {
    ws = new WebSocket(url, { maxPayload: options.maxPayload, handshakeTimeout: options.connectTimeoutMs });
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
    if (!closed) handlers.onError(err);
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
};

function noop(): void {}
