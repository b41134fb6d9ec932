/**
 * Outbound network options: an `http.Agent`, an HTTP CONNECT proxy, and TLS options. This module is the one place
 * that turns the client's options into the options of a `ws` socket (signaling, media, event socket) and of a
 * `node:http(s)` request (the event stream's OAuth token request), so every outbound connection takes the same way
 * out.
 *
 * What it does not do: the URL allow-list (url-policy.ts) is checked by the callers against the TARGET URL before
 * anything is dialled. The proxy is not a target: it may be on any host, and a target the allow-list refuses stays
 * refused whatever proxy is configured.
 */
import type { Agent, IncomingMessage, RequestOptions } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { SecureVersion } from 'node:tls';
import { RtmsError, describeError } from './errors.js';
import type { SafeLogger } from './logger.js';

/**
 * TLS options for `wss://` sockets and the `https://` token request: a typed subset of `node:tls` connect options.
 * Key material (`key`, `passphrase`) is handed to Node only; it never appears in logs, errors or `inspect()`.
 */
export interface RtmsTlsOptions {
  /**
   * Certificates to trust, PEM. This REPLACES Node's bundled root certificates for these connections (Node's own
   * rule for `ca`): pass `[...tls.rootCertificates, myCaPem]` to add a CA instead, or set `NODE_EXTRA_CA_CERTS`
   * for the whole process (docs/operations.md, "Proxies and TLS").
   */
  ca?: string | Buffer | ReadonlyArray<string | Buffer>;
  /** Client certificate chain, PEM, for servers that ask for one (mutual TLS). */
  cert?: string | Buffer | ReadonlyArray<string | Buffer>;
  /** Private key of `cert`, PEM. Never logged. */
  key?: string | Buffer | ReadonlyArray<string | Buffer>;
  /** Passphrase of `key`. Never logged. */
  passphrase?: string;
  /** SNI server name and the name the certificate is checked against. Default: the URL's host. */
  servername?: string;
  /**
   * Verify the server's certificate. Default `true`. `false` accepts any certificate, so anyone on the path can read
   * and change the stream: for tests only. The client logs a warning when it is set.
   */
  rejectUnauthorized?: boolean;
  /** Lowest TLS version. Default Node's (`TLSv1.2`). */
  minVersion?: SecureVersion;
}

/** Outbound network options (part of the client options). `agent` and `proxy` exclude each other. */
export interface NetworkOptions {
  /**
   * An `http.Agent` for every outbound connection: the signaling, media and event WebSockets and the event stream's
   * token request. Any agent works, for example `new HttpsProxyAgent(url)` of `https-proxy-agent` or a SOCKS agent.
   * An agent for `wss://`/`https://` targets must speak TLS itself (an `https.Agent` or a proxy agent).
   */
  agent?: Agent;
  /**
   * An HTTP CONNECT proxy for every outbound connection, such as `http://proxy.corp:3128` or
   * `http://user:password@proxy.corp:3128` (Basic `Proxy-Authorization`; percent-encode special characters).
   * Needs the optional peer dependency `https-proxy-agent` (`npm install https-proxy-agent`), loaded only when
   * this option is set. The credentials are never logged. The allow-list checks the target, never the proxy.
   */
  proxy?: string | URL;
  /** TLS options for `wss://` sockets and `https://` requests (custom CA, client certificate, SNI). */
  tls?: RtmsTlsOptions;
}

/** @internal How the proxy agent module is loaded (a seam for tests). */
export type ProxyAgentLoader = (proxy: URL) => Promise<Agent>;

/** @internal What a token request answers: the status and the body (capped). */
export interface HttpTextResponse {
  readonly status: number;
  readonly ok: boolean;
  readonly text: string;
}

/** @internal A POST with headers, cancellable; resolves with the answer, rejects on a network failure. */
export type HttpRequester = (url: URL, init: { method: string; headers: Record<string, string>; signal: AbortSignal }) => Promise<HttpTextResponse>;

/** Largest token-endpoint answer read, in bytes; anything beyond is a failure (a token answer is a few hundred bytes). */
const MAX_RESPONSE_BYTES = 64 * 1024;

/** TLS verification failures (`err.code`): a certificate the client does not trust, or one for another name. */
const TLS_VERIFY_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_REVOKED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** The proxy URL without its user and password, for logs and errors. */
export function redactProxyUrl(proxy: URL): string {
  return `${proxy.protocol}//${proxy.host}`;
}

/** The default loader: `https-proxy-agent`, imported on first use. */
const loadHttpsProxyAgent: ProxyAgentLoader = async (proxy) => {
  let mod: unknown;
  try {
    mod = await import('https-proxy-agent');
  } catch (cause) {
    throw new RtmsError('RTMS_INVALID_OPTIONS', 'the proxy option needs the optional peer dependency https-proxy-agent: npm install https-proxy-agent', { cause });
  }
  const m = mod as { HttpsProxyAgent?: unknown; default?: { HttpsProxyAgent?: unknown } };
  const Ctor = (m.HttpsProxyAgent ?? m.default?.HttpsProxyAgent) as (new (proxy: URL) => Agent) | undefined;
  if (typeof Ctor !== 'function') throw new RtmsError('RTMS_INVALID_OPTIONS', 'https-proxy-agent exports no HttpsProxyAgent (version 7 or later is needed)');
  return new Ctor(proxy);
};

function isPem(v: unknown): boolean {
  if (typeof v === 'string' || Buffer.isBuffer(v)) return true;
  return Array.isArray(v) && v.every((x) => typeof x === 'string' || Buffer.isBuffer(x));
}

function isAgent(v: unknown): v is Agent {
  // Any object with the Agent's request hook: node's Agent, agent-base's, undici-free SOCKS agents.
  return typeof v === 'object' && v !== null && (typeof (v as { addRequest?: unknown }).addRequest === 'function' || typeof (v as { createConnection?: unknown }).createConnection === 'function');
}

/**
 * A connect error described for a person: a refused certificate says so and names the fix; a proxy that refused
 * the tunnel says so. The result keeps the original `code` and has it as `cause`. Never holds key material or
 * proxy credentials (Node's messages name hosts and certificate problems only).
 */
export function explainConnectError(err: Error, viaProxy: boolean): Error {
  const code = (err as { code?: unknown }).code;
  let message: string | undefined;
  if (typeof code === 'string' && TLS_VERIFY_CODES.has(code)) {
    message = `TLS: the server's certificate was not accepted (${code}: ${err.message}); if a private CA issued it, trust that CA with the tls.ca option or NODE_EXTRA_CA_CERTS`;
  } else if (typeof code === 'string' && code.startsWith('ERR_SSL_')) {
    message = `TLS: ${err.message} (${code})`;
  } else {
    const status = /^Unexpected server response: (\d{3})$/.exec(err.message)?.[1];
    if (status === '407') message = 'the HTTP proxy refused the tunnel: 407 Proxy Authentication Required (check the user and password of the proxy option)';
    else if (status !== undefined && viaProxy) message = `${err.message} (from the HTTP proxy or, through it, the server)`;
  }
  if (message === undefined) return err;
  const out = new Error(message, { cause: err });
  if (typeof code === 'string') (out as { code?: string }).code = code;
  return out;
}

/**
 * @internal The resolved network options. One per client: its proxy agent (loaded once) serves every socket and
 * token request.
 */
export class NetworkPlan {
  /** The user's agent, or the proxy agent once loaded. */
  #agent: Agent | undefined;
  #loading: Promise<Agent> | undefined;
  readonly #proxy: URL | undefined;
  readonly #loader: ProxyAgentLoader;
  readonly #tls: Readonly<RtmsTlsOptions> | undefined;

  /** @internal Use {@link resolveNetwork}. */
  constructor(agent: Agent | undefined, proxy: URL | undefined, tls: RtmsTlsOptions | undefined, loader: ProxyAgentLoader) {
    this.#agent = agent;
    this.#proxy = proxy;
    this.#tls = tls === undefined ? undefined : Object.freeze({ ...tls });
    this.#loader = loader;
  }

  /** True when nothing is configured: sockets and requests use Node's defaults. */
  get isDefault(): boolean {
    return this.#agent === undefined && this.#proxy === undefined && this.#tls === undefined;
  }

  /** True when connections go through a proxy (the `proxy` option). */
  get viaProxy(): boolean {
    return this.#proxy !== undefined;
  }

  /** The proxy without credentials, for logs; undefined without one. */
  get proxyForLog(): string | undefined {
    return this.#proxy === undefined ? undefined : redactProxyUrl(this.#proxy);
  }

  /**
   * The agent every connection uses: undefined (Node's default), an agent, or, the first time a proxy is used, a
   * promise of it (the proxy library is loaded lazily). A failed load is not remembered: the next call tries again.
   */
  agent(): Agent | Promise<Agent> | undefined {
    if (this.#agent !== undefined || this.#proxy === undefined) return this.#agent;
    this.#loading ??= this.#loader(this.#proxy).then(
      (a) => {
        this.#agent = a;
        this.#loading = undefined;
        return a;
      },
      (err: unknown) => {
        this.#loading = undefined;
        throw err;
      },
    );
    return this.#loading;
  }

  /** TLS options for a connection to `url` (only `wss:`/`https:` targets get them). */
  tlsFor(url: string | URL): Readonly<RtmsTlsOptions> | undefined {
    if (this.#tls === undefined) return undefined;
    const protocol = typeof url === 'string' ? url.slice(0, url.indexOf(':') + 1) : url.protocol;
    return protocol === 'wss:' || protocol === 'https:' ? this.#tls : undefined;
  }

  /**
   * Options for `new WebSocket(url, options)` of `ws`, beside `maxPayload` and `handshakeTimeout`: the agent and,
   * for `wss://`, the TLS options (ws passes both to `https.request`, and a proxy agent passes the TLS options on to
   * its TLS connection to the target).
   */
  wsOptions(url: string, agent: Agent | undefined): Record<string, unknown> {
    return { ...(agent === undefined ? {} : { agent }), ...this.#tlsRequestOptions(url) };
  }

  #tlsRequestOptions(url: string | URL): Record<string, unknown> {
    const t = this.tlsFor(url);
    if (t === undefined) return {};
    const out: Record<string, unknown> = {};
    for (const k of ['ca', 'cert', 'key', 'passphrase', 'servername', 'rejectUnauthorized', 'minVersion'] as const) if (t[k] !== undefined) out[k] = t[k];
    return out;
  }

  /**
   * A request with `node:http`/`node:https` that honours the agent, the proxy and the TLS options (the global
   * `fetch` of Node 20 ignores `http.Agent`). Reads at most 64 KiB of the answer. Rejects on a network or TLS failure
   * (described by {@link explainConnectError}), on a 407 from the proxy, and when `signal` aborts.
   */
  readonly request: HttpRequester = async (url, init) => {
    init.signal.throwIfAborted();
    const agent = await this.agent();
    const options: RequestOptions = { method: init.method, headers: init.headers, signal: init.signal, ...this.#tlsRequestOptions(url), ...(agent === undefined ? {} : { agent }) };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<HttpTextResponse>((resolve, reject) => {
      let settled = false;
      const fail = (err: unknown): void => {
        if (settled) return;
        settled = true;
        reject(err instanceof Error ? explainConnectError(err, this.viaProxy) : new Error(describeError(err)));
      };
      let req: ReturnType<typeof httpRequest>;
      try {
        req = send(url, options, (res: IncomingMessage) => {
          const status = res.statusCode ?? 0;
          if (status === 407) {
            res.destroy();
            fail(explainConnectError(new Error('Unexpected server response: 407'), this.viaProxy));
            return;
          }
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MAX_RESPONSE_BYTES) {
              res.destroy();
              fail(new Error(`the answer is larger than ${MAX_RESPONSE_BYTES} bytes`));
              return;
            }
            chunks.push(c);
          });
          res.on('error', fail);
          res.on('end', () => {
            if (settled) return;
            settled = true;
            resolve({ status, ok: status >= 200 && status < 300, text: Buffer.concat(chunks).toString('utf8') });
          });
        });
      } catch (err) {
        fail(err);
        return;
      }
      req.on('error', fail);
      req.end();
    });
  };

  /** Secret-free description for `util.inspect`: no key material, no proxy credentials. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    const parts = [this.#proxy ? `proxy: '${redactProxyUrl(this.#proxy)}'` : undefined, this.#agent && !this.#proxy ? 'agent: [Agent]' : undefined, this.#tls ? `tls: [${Object.keys(this.#tls).join(', ')}]` : undefined];
    return `NetworkPlan { ${parts.filter((p) => p !== undefined).join(', ')} }`;
  }

  /** Secret-free JSON form. */
  toJSON(): Record<string, unknown> {
    return { proxy: this.proxyForLog, agent: this.#agent !== undefined && this.#proxy === undefined, tls: this.#tls === undefined ? undefined : Object.keys(this.#tls) };
  }
}

/** True when the dotted version `v` is at least `min` (missing or non-numeric parts count as 0). */
function atLeast(v: string, min: readonly number[]): boolean {
  const parts = v.split(/[.+-]/).map((p) => Number.parseInt(p, 10));
  for (let i = 0; i < min.length; i++) {
    const a = Number.isFinite(parts[i]) ? (parts[i] as number) : 0;
    const b = min[i] as number;
    if (a !== b) return a > b;
  }
  return true;
}

/**
 * Validates the network options and resolves them into a {@link NetworkPlan}. Logs (without credentials) which
 * proxy is used, and warns when certificate verification is off. When a proxy is set, starts loading the proxy
 * library at once so a missing `https-proxy-agent` is logged at start-up, not first met on a connection.
 *
 * @throws {@link RtmsError} `RTMS_INVALID_OPTIONS`: `agent` with `proxy`, a proxy URL that is not `http(s)://`, an
 * agent that is not one, TLS options of the wrong type, any of them on a Bun older than 1.4.4.
 */
export function resolveNetwork(
  options: NetworkOptions,
  logger: SafeLogger,
  loader: ProxyAgentLoader = loadHttpsProxyAgent,
  bunVersion: string | undefined = (process.versions as Record<string, string | undefined>)['bun'],
): NetworkPlan {
  const { agent, proxy, tls } = options;
  if ((agent !== undefined || proxy !== undefined || tls !== undefined) && bunVersion !== undefined && !atLeast(bunVersion, [1, 4, 4])) {
    // Checked under real Bun (docs/runtimes.md): before 1.4.4 it does not apply `tls.ca` to WebSockets, and 1.2
    // ignores the proxy agent, so the options would be dropped without a word.
    throw new RtmsError('RTMS_INVALID_OPTIONS', `agent, proxy and tls need Bun 1.4.4 or later (this is Bun ${bunVersion}): older versions ignore them silently`);
  }
  if (agent !== undefined && proxy !== undefined) {
    throw new RtmsError('RTMS_INVALID_OPTIONS', 'agent and proxy exclude each other: pass an agent that goes through the proxy (for example new HttpsProxyAgent(url)), or the proxy URL alone');
  }
  if (agent !== undefined && !isAgent(agent)) throw new RtmsError('RTMS_INVALID_OPTIONS', 'agent must be an http.Agent (or an agent such as https-proxy-agent\'s)');
  let proxyUrl: URL | undefined;
  if (proxy !== undefined) {
    if (typeof proxy !== 'string' && !(proxy instanceof URL)) throw new RtmsError('RTMS_INVALID_OPTIONS', 'proxy must be a URL string or a URL');
    try {
      proxyUrl = new URL(String(proxy));
    } catch {
      // Never quote the value: it may hold a password.
      throw new RtmsError('RTMS_INVALID_OPTIONS', 'proxy is not a valid URL (expected http://host:port or http://user:password@host:port)');
    }
    if (proxyUrl.protocol !== 'http:' && proxyUrl.protocol !== 'https:') {
      throw new RtmsError('RTMS_INVALID_OPTIONS', `proxy must be an http:// (or https://) CONNECT proxy, not ${proxyUrl.protocol}//`);
    }
    if (proxyUrl.hostname === '') throw new RtmsError('RTMS_INVALID_OPTIONS', 'proxy has no host');
  }
  if (tls !== undefined) {
    if (typeof tls !== 'object' || tls === null) throw new RtmsError('RTMS_INVALID_OPTIONS', 'tls must be an object');
    for (const k of ['ca', 'cert', 'key'] as const) {
      if (tls[k] !== undefined && !isPem(tls[k])) throw new RtmsError('RTMS_INVALID_OPTIONS', `tls.${k} must be a PEM string or Buffer, or an array of them`);
    }
    for (const k of ['passphrase', 'servername', 'minVersion'] as const) {
      if (tls[k] !== undefined && typeof tls[k] !== 'string') throw new RtmsError('RTMS_INVALID_OPTIONS', `tls.${k} must be a string`);
    }
    if (tls.rejectUnauthorized !== undefined && typeof tls.rejectUnauthorized !== 'boolean') throw new RtmsError('RTMS_INVALID_OPTIONS', 'tls.rejectUnauthorized must be a boolean');
    if (tls.rejectUnauthorized === false) {
      logger.warn('tls.rejectUnauthorized is false: server certificates are NOT verified, so anyone on the path can read and change the streams; for tests only');
    }
  }
  const plan = new NetworkPlan(agent, proxyUrl, tls, loader);
  if (proxyUrl !== undefined) {
    logger.info(`outbound connections go through the HTTP proxy ${redactProxyUrl(proxyUrl)}`);
    const loading = plan.agent();
    if (loading instanceof Promise) loading.catch((err: unknown) => logger.error(`proxy: ${err instanceof Error ? err.message : describeError(err)}`));
  }
  return plan;
}
