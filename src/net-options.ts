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
   *
   * `'env'` takes the proxy from the environment for each connection, as `proxy-from-env` (the lookup axios uses)
   * reads it: `HTTPS_PROXY` for `wss://` and `https://` targets, `HTTP_PROXY` for `ws://` and `http://`, `ALL_PROXY`
   * for either, lower-case names first; `NO_PROXY` (comma-separated: an exact host, `.domain` or `*.domain` for its
   * subdomains, `host:port`, or `*`) for targets that connect directly. A proxy written without a scheme is
   * `http://`. Needs `proxy-from-env` beside `https-proxy-agent` (`npm install https-proxy-agent proxy-from-env`).
   * Without this value the environment is never read.
   */
  proxy?: string | URL;
  /** TLS options for `wss://` sockets and `https://` requests (custom CA, client certificate, SNI). */
  tls?: RtmsTlsOptions;
}

/** @internal How the proxy agent module is loaded (a seam for tests). */
export type ProxyAgentLoader = (proxy: URL) => Promise<Agent>;

/** @internal The proxy for a target URL from the environment: a URL string, or '' for a direct connection. */
export type EnvProxyLookup = (target: string) => string;

/** @internal How the environment lookup is loaded (a seam for tests). */
export type EnvProxyLoader = () => Promise<EnvProxyLookup>;

/** The value of the `proxy` option that reads the proxy from the environment. */
const FROM_ENV = 'env';

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

/**
 * Imports an optional peer dependency (`load` holds the literal `import()`, so bundlers see it) and returns its
 * export `name`, from an ES module or a CommonJS one.
 *
 * @throws {@link RtmsError} `RTMS_INVALID_OPTIONS` naming the package to install, or the version needed.
 */
async function optionalPeerExport(load: () => Promise<unknown>, pkg: string, name: string, neededBy: string, minVersion: string): Promise<unknown> {
  let mod: unknown;
  try {
    mod = await load();
  } catch (cause) {
    throw new RtmsError('RTMS_INVALID_OPTIONS', `${neededBy} needs the optional peer dependency ${pkg}: npm install ${pkg}`, { cause });
  }
  const m = mod as Record<string, unknown> & { default?: Record<string, unknown> };
  const value = m[name] ?? m.default?.[name];
  if (typeof value !== 'function') throw new RtmsError('RTMS_INVALID_OPTIONS', `${pkg} exports no ${name} (version ${minVersion} or later is needed)`);
  return value;
}

/** The default loader: `https-proxy-agent`, imported on first use. */
const loadHttpsProxyAgent: ProxyAgentLoader = async (proxy) => {
  const Ctor = (await optionalPeerExport(() => import('https-proxy-agent'), 'https-proxy-agent', 'HttpsProxyAgent', 'the proxy option', '7')) as new (proxy: URL) => Agent;
  return new Ctor(proxy);
};

/** The default environment lookup: `getProxyForUrl` of `proxy-from-env`, imported on first use. */
const loadProxyFromEnv: EnvProxyLoader = async () => {
  const fn = (await optionalPeerExport(() => import('proxy-from-env'), 'proxy-from-env', 'getProxyForUrl', "proxy: 'env'", '1.1')) as (url: string) => unknown;
  return (target) => {
    const v = fn(target);
    return typeof v === 'string' ? schemeForBareProxy(v) : '';
  };
};

/** The variables proxy-from-env (1.x and 2.x) may take an `https://` target's proxy from. */
const HTTPS_PROXY_VARIABLES = ['https_proxy', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY', 'npm_config_https_proxy', 'npm_config_proxy'];

/**
 * A proxy variable written without a scheme (`HTTPS_PROXY=proxy.corp:3128`, common in container set-ups) is an
 * `http://` proxy, as curl reads it. proxy-from-env gives it the target's scheme instead, which for a `wss://` target
 * would open TLS to a plain HTTP proxy and fail with a TLS error.
 */
function schemeForBareProxy(found: string): string {
  if (!found.startsWith('https://')) return found;
  const bare = found.slice('https://'.length);
  return HTTPS_PROXY_VARIABLES.some((name) => process.env[name] === bare) ? `http://${bare}` : found;
}

/**
 * Checks a proxy URL (from the option or the environment). Never quotes the value: it may hold a password.
 *
 * @throws {@link RtmsError} `RTMS_INVALID_OPTIONS` naming `what`.
 */
function parseProxyUrl(value: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new RtmsError('RTMS_INVALID_OPTIONS', `${what} is not a valid URL (expected http://host:port or http://user:password@host:port)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new RtmsError('RTMS_INVALID_OPTIONS', `${what} must be an http:// (or https://) CONNECT proxy, not ${url.protocol}//`);
  }
  if (url.hostname === '') throw new RtmsError('RTMS_INVALID_OPTIONS', `${what} has no host`);
  return url;
}

/**
 * The target as the environment's proxy variables name its scheme: `wss://` is `https://` (`HTTPS_PROXY`), `ws://`
 * is `http://` (`HTTP_PROXY`), as curl and Node's own `NODE_USE_ENV_PROXY` read them.
 */
function envTarget(url: string | URL): string {
  const u = new URL(String(url));
  if (u.protocol === 'wss:') u.protocol = 'https:';
  else if (u.protocol === 'ws:') u.protocol = 'http:';
  return u.href;
}

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
 * @internal The resolved network options. One per client: its proxy agents (one per proxy, loaded once) serve
 * every socket and token request.
 */
export class NetworkPlan {
  /** The user's agent. */
  readonly #agent: Agent | undefined;
  /** The `proxy` option: a fixed proxy, the environment, or none. */
  readonly #proxy: URL | typeof FROM_ENV | undefined;
  readonly #loader: ProxyAgentLoader;
  readonly #envLoader: EnvProxyLoader;
  readonly #tls: Readonly<RtmsTlsOptions> | undefined;
  readonly #logger: SafeLogger | undefined;
  /** Proxy agents by proxy URL (credentials included), once loaded. */
  readonly #agents = new Map<string, Agent>();
  readonly #loading = new Map<string, Promise<Agent>>();
  #lookup: EnvProxyLookup | undefined;
  #lookupLoading: Promise<EnvProxyLookup> | undefined;

  /** @internal Use {@link resolveNetwork}. */
  constructor(
    agent: Agent | undefined,
    proxy: URL | typeof FROM_ENV | undefined,
    tls: RtmsTlsOptions | undefined,
    loader: ProxyAgentLoader,
    envLoader: EnvProxyLoader = loadProxyFromEnv,
    logger?: SafeLogger,
  ) {
    this.#agent = agent;
    this.#proxy = proxy;
    this.#tls = tls === undefined ? undefined : Object.freeze({ ...tls });
    this.#loader = loader;
    this.#envLoader = envLoader;
    this.#logger = logger;
  }

  /** True when nothing is configured: sockets and requests use Node's defaults. */
  get isDefault(): boolean {
    return this.#agent === undefined && this.#proxy === undefined && this.#tls === undefined;
  }

  /** True when connections may go through a proxy (the `proxy` option, a URL or `'env'`). */
  get viaProxy(): boolean {
    return this.#proxy !== undefined;
  }

  /** The proxy without credentials (or `env`), for logs; undefined without one. */
  get proxyForLog(): string | undefined {
    return this.#proxy === undefined ? undefined : this.#proxy === FROM_ENV ? FROM_ENV : redactProxyUrl(this.#proxy);
  }

  /**
   * The agent a connection to `target` uses: undefined (Node's default, or a direct connection that `NO_PROXY`
   * names), an agent, or, the first time a proxy library is needed, a promise of it (the libraries load lazily). A
   * failed load is not remembered: the next call tries again. With `proxy: 'env'` the environment is read at every
   * call, so a changed variable applies to the next connection.
   */
  agent(target: string | URL): Agent | Promise<Agent | undefined> | undefined {
    if (this.#agent !== undefined || this.#proxy === undefined) return this.#agent;
    if (this.#proxy !== FROM_ENV) return this.#proxyAgent(this.#proxy);
    const lookup = this.#lookup;
    if (lookup === undefined) {
      this.#lookupLoading ??= this.#envLoader().then(
        (l) => {
          this.#lookup = l;
          this.#lookupLoading = undefined;
          return l;
        },
        (err: unknown) => {
          this.#lookupLoading = undefined;
          throw err;
        },
      );
      return this.#lookupLoading.then((l) => this.#envAgent(l, target));
    }
    try {
      return this.#envAgent(lookup, target);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  #envAgent(lookup: EnvProxyLookup, target: string | URL): Agent | Promise<Agent> | undefined {
    const found = lookup(envTarget(target));
    if (found === '') return undefined;
    return this.#proxyAgent(parseProxyUrl(found, 'the proxy in the environment (HTTPS_PROXY, HTTP_PROXY or ALL_PROXY)'));
  }

  #proxyAgent(proxy: URL): Agent | Promise<Agent> {
    const key = proxy.href;
    const ready = this.#agents.get(key);
    if (ready !== undefined) return ready;
    let loading = this.#loading.get(key);
    if (loading === undefined) {
      loading = this.#loader(proxy).then(
        (a) => {
          this.#agents.set(key, a);
          this.#loading.delete(key);
          if (this.#proxy === FROM_ENV) this.#logger?.info(`outbound connections go through the HTTP proxy ${redactProxyUrl(proxy)} (from the environment)`);
          return a;
        },
        (err: unknown) => {
          this.#loading.delete(key);
          throw err;
        },
      );
      this.#loading.set(key, loading);
    }
    return loading;
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
    const agent = await this.agent(url);
    const options: RequestOptions = { method: init.method, headers: init.headers, signal: init.signal, ...this.#tlsRequestOptions(url), ...(agent === undefined ? {} : { agent }) };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<HttpTextResponse>((resolve, reject) => {
      let settled = false;
      const fail = (err: unknown): void => {
        if (settled) return;
        settled = true;
        reject(err instanceof Error ? explainConnectError(err, this.viaProxy && agent !== undefined) : new Error(describeError(err)));
      };
      let req: ReturnType<typeof httpRequest>;
      try {
        req = send(url, options, (res: IncomingMessage) => {
          const status = res.statusCode ?? 0;
          if (status === 407) {
            res.destroy();
            fail(explainConnectError(new Error('Unexpected server response: 407'), this.viaProxy && agent !== undefined));
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
    const parts = [this.#proxy ? `proxy: '${this.proxyForLog ?? ''}'` : undefined, this.#agent && !this.#proxy ? 'agent: [Agent]' : undefined, this.#tls ? `tls: [${Object.keys(this.#tls).join(', ')}]` : undefined];
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
  envLoader: EnvProxyLoader = loadProxyFromEnv,
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
  let proxyUrl: URL | typeof FROM_ENV | undefined;
  if (proxy !== undefined) {
    if (typeof proxy !== 'string' && !(proxy instanceof URL)) throw new RtmsError('RTMS_INVALID_OPTIONS', "proxy must be a URL string, a URL, or 'env'");
    proxyUrl = proxy === FROM_ENV ? FROM_ENV : parseProxyUrl(String(proxy), 'proxy');
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
  const plan = new NetworkPlan(agent, proxyUrl, tls, loader, envLoader, logger);
  if (proxyUrl === FROM_ENV) {
    logger.info('outbound connections take their proxy from the environment (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY)');
    // Load the lookup now, so a missing proxy-from-env is logged at start-up rather than first met on a connection
    // (https-proxy-agent loads with the first connection the environment sends through a proxy).
    const loading = plan.agent('https://zoom.us/');
    if (loading instanceof Promise) loading.catch((err: unknown) => logger.error(`proxy: ${err instanceof Error ? err.message : describeError(err)}`));
  } else if (proxyUrl !== undefined) {
    logger.info(`outbound connections go through the HTTP proxy ${redactProxyUrl(proxyUrl)}`);
    const loading = plan.agent(proxyUrl);
    if (loading instanceof Promise) loading.catch((err: unknown) => logger.error(`proxy: ${err instanceof Error ? err.message : describeError(err)}`));
  }
  return plan;
}
