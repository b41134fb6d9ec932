/**
 * The logger hook. The SDK writes nothing anywhere unless a logger is given. Any object with some of
 * `debug`/`info`/`warn`/`error` methods taking `(message, context?)` works: `console`, a pino or winston
 * logger, or a `debug`-style function wrapped with {@link loggerFromDebug}.
 *
 * Nothing the SDK logs contains a client secret, a webhook secret token, a signature or a URL query string.
 */

/** Structured, secret-free context attached to a log line. */
export type LogContext = Readonly<Record<string, string | number | boolean | undefined>>;

/** A logger: every method optional. */
export interface RtmsLogger {
  /** Diagnostic detail: state moves, skipped or unexpected frames, socket errors. Hot paths skip it when absent. */
  debug?(message: string, context?: LogContext): void;
  /** Lifecycle facts: reconnect attempts, reconnections, server failover, duplicate webhooks ignored. */
  info?(message: string, context?: LogContext): void;
  /** Trouble the SDK handles: a socket down, a session failing, a refused or unverified webhook. */
  warn?(message: string, context?: LogContext): void;
  /** Unexpected failures: a listener threw, webhook handling failed. */
  error?(message: string, context?: LogContext): void;
}

/** Log levels, in order. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Internal logger: never throws, even if the user's logger does. */
export interface SafeLogger {
  debug(message: string, context?: LogContext): void;
  info(message: string, context?: LogContext): void;
  warn(message: string, context?: LogContext): void;
  error(message: string, context?: LogContext): void;
  /** True when a debug method exists (lets hot paths skip building messages). */
  readonly debugEnabled: boolean;
}

function wrap(logger: RtmsLogger | undefined, level: LogLevel): (message: string, context?: LogContext) => void {
  const fn = logger?.[level];
  if (typeof fn !== 'function') return () => undefined;
  return (message, context) => {
    try {
      if (context === undefined) fn.call(logger, message);
      else fn.call(logger, message, context);
    } catch {
      // A broken logger must not break the stream.
    }
  };
}

/** Makes the internal never-throwing logger. */
export function safeLogger(logger: RtmsLogger | undefined, prefix = 'rtms'): SafeLogger {
  const p = `[${prefix}] `;
  const d = wrap(logger, 'debug');
  const i = wrap(logger, 'info');
  const w = wrap(logger, 'warn');
  const e = wrap(logger, 'error');
  return {
    debug: (m, c) => d(p + m, c),
    info: (m, c) => i(p + m, c),
    warn: (m, c) => w(p + m, c),
    error: (m, c) => e(p + m, c),
    debugEnabled: typeof logger?.debug === 'function',
  };
}

/**
 * Adapts a `debug`-convention function (`const log = debug('rtms')`) into a logger that sends every level to it.
 */
export function loggerFromDebug(fn: (formatter: string, ...args: unknown[]) => void): RtmsLogger {
  const out = (level: string) => (message: string, context?: LogContext) =>
    context === undefined ? fn('%s %s', level, message) : fn('%s %s %o', level, message, context);
  return { debug: out('debug'), info: out('info'), warn: out('warn'), error: out('error') };
}

/** A pino-style logger: context object first, message second. */
export interface PinoLike {
  /** Logs at debug level; `obj` is the line's {@link LogContext} (`{}` when there is none). */
  debug(obj: object, msg: string): void;
  /** Logs at info level; `obj` is the line's {@link LogContext} (`{}` when there is none). */
  info(obj: object, msg: string): void;
  /** Logs at warn level; `obj` is the line's {@link LogContext} (`{}` when there is none). */
  warn(obj: object, msg: string): void;
  /** Logs at error level; `obj` is the line's {@link LogContext} (`{}` when there is none). */
  error(obj: object, msg: string): void;
}

/** Adapts a pino (or bunyan) logger, which takes `(context, message)`, into an {@link RtmsLogger}. */
export function loggerFromPino(log: PinoLike): RtmsLogger {
  return {
    debug: (m, c) => log.debug(c ?? {}, m),
    info: (m, c) => log.info(c ?? {}, m),
    warn: (m, c) => log.warn(c ?? {}, m),
    error: (m, c) => log.error(c ?? {}, m),
  };
}
