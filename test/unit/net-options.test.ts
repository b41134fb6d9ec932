/**
 * The network options module (src/net-options.ts) and the socket factory that uses it: option validation, the
 * lazily loaded proxy agent (including a missing https-proxy-agent), error descriptions, and that no credential
 * or key material is ever shown.
 */
import { Agent, createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { RtmsClient, RtmsError } from '../../src/index.js';
import { safeLogger } from '../../src/logger.js';
import { NetworkPlan, explainConnectError, redactProxyUrl, resolveNetwork, type EnvProxyLoader, type EnvProxyLookup, type ProxyAgentLoader } from '../../src/net-options.js';
import { createWsSocketFactory, wsSocketFactory, type RtmsSocketHandlers } from '../../src/transport.js';
import { CREDS, recordingLogger } from '../helpers.js';

const MISSING: ProxyAgentLoader = () => Promise.reject(new RtmsError('RTMS_INVALID_OPTIONS', 'the proxy option needs the optional peer dependency https-proxy-agent: npm install https-proxy-agent'));

function invalid(fn: () => unknown): RtmsError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RtmsError);
    expect((err as RtmsError).code).toBe('RTMS_INVALID_OPTIONS');
    return err as RtmsError;
  }
  throw new Error('expected RTMS_INVALID_OPTIONS');
}

/** Handlers that record what a socket reported. */
function recorder(): RtmsSocketHandlers & { events: string[]; errors: Error[] } {
  const events: string[] = [];
  const errors: Error[] = [];
  return {
    events,
    errors,
    onOpen: () => events.push('open'),
    onText: () => events.push('text'),
    onBinary: () => events.push('binary'),
    onError: (e) => {
      errors.push(e);
      events.push('error');
    },
    onClose: (code) => events.push(`close ${code}`),
  };
}

const SOCKET_OPTIONS = { maxPayload: 1024, connectTimeoutMs: 1_000 };

describe('resolveNetwork: validation', () => {
  const log = safeLogger(undefined);
  it('agent and proxy together are an options error', () => {
    const err = invalid(() => resolveNetwork({ agent: new Agent(), proxy: 'http://127.0.0.1:3128' }, log));
    expect(err.message).toContain('agent and proxy exclude each other');
  });
  it('refuses a proxy that is not an http(s) CONNECT proxy, or not a URL, without quoting it', () => {
    expect(invalid(() => resolveNetwork({ proxy: 'socks5://u:secret-1@127.0.0.1:1080' }, log)).message).toContain('socks5:');
    const bad = invalid(() => resolveNetwork({ proxy: 'http://u:secret-2@[bad' }, log));
    expect(bad.message).not.toContain('secret-2');
    expect(invalid(() => resolveNetwork({ proxy: 3128 as unknown as string }, log)).message).toContain('proxy must be');
  });
  it('refuses an agent that is not one and TLS options of the wrong type', () => {
    invalid(() => resolveNetwork({ agent: {} as Agent }, log));
    invalid(() => resolveNetwork({ tls: { ca: 42 as unknown as string } }, log));
    invalid(() => resolveNetwork({ tls: { key: [Buffer.from('k'), 1] as unknown as string[] } }, log));
    invalid(() => resolveNetwork({ tls: { rejectUnauthorized: 'no' as unknown as boolean } }, log));
    invalid(() => resolveNetwork({ tls: { servername: 1 as unknown as string } }, log));
    invalid(() => resolveNetwork({ tls: null as unknown as object }, log));
  });
  it('refuses agent, proxy and tls on a Bun older than 1.4.4, which ignores them; fine on 1.4.4+, on Node, or without them', () => {
    const noProxy: ProxyAgentLoader = () => Promise.reject(new Error('not loaded in this test'));
    for (const old of ['1.4.3', '1.3.9', '1.2.0', '0.9']) {
      expect(invalid(() => resolveNetwork({ tls: { ca: 'PEM' } }, log, noProxy, old)).message).toContain(`Bun ${old}`);
      invalid(() => resolveNetwork({ agent: new Agent() }, log, noProxy, old));
    }
    for (const ok of ['1.4.4', '1.4.5', '1.10.0', '2.0.0-canary.1', undefined]) resolveNetwork({ tls: { ca: 'PEM' } }, log, noProxy, ok);
    resolveNetwork({}, log, noProxy, '1.1.0');
  });
  it('the client refuses a custom socketFactory with agent, proxy or tls (the factory would bypass them)', () => {
    for (const extra of [{ agent: new Agent() }, { proxy: 'http://127.0.0.1:1' }, { tls: { ca: 'x' } }]) {
      expect(invalid(() => new RtmsClient({ ...CREDS, socketFactory: wsSocketFactory, ...extra })).message).toContain('socketFactory cannot be combined');
    }
    // Without network options a custom factory is fine.
    const client = new RtmsClient({ ...CREDS, socketFactory: wsSocketFactory });
    onTestFinished(() => client.close());
  });
  it('warns when certificate verification is off, and only then', () => {
    const logger = recordingLogger();
    resolveNetwork({ tls: { rejectUnauthorized: false } }, safeLogger(logger));
    resolveNetwork({ tls: { rejectUnauthorized: true, ca: 'pem' } }, safeLogger(logger));
    expect(logger.lines.filter((l) => l.startsWith('warn'))).toEqual([expect.stringContaining('tls.rejectUnauthorized is false')]);
  });
  it('with nothing set the plan is the default and the factory is the plain ws one', () => {
    const plan = resolveNetwork({}, log);
    expect(plan.isDefault).toBe(true);
    expect(createWsSocketFactory(plan)).toBe(wsSocketFactory);
    expect(plan.agent('wss://zoom.us/')).toBeUndefined();
  });
  it('TLS options go to wss:// and https:// only', () => {
    const plan = resolveNetwork({ tls: { ca: 'CA-PEM', servername: 'zoom.us' } }, log);
    expect(plan.wsOptions('wss://a.zoom.us/x', undefined)).toEqual({ ca: 'CA-PEM', servername: 'zoom.us' });
    expect(plan.wsOptions('ws://127.0.0.1:1/x', undefined)).toEqual({});
    expect(plan.tlsFor(new URL('https://zoom.us/oauth/token'))).toMatchObject({ ca: 'CA-PEM' });
    expect(plan.tlsFor(new URL('http://127.0.0.1/'))).toBeUndefined();
  });
});

describe('no credential or key material is ever shown', () => {
  it('proxy user and password, TLS key and passphrase never reach logs, inspect() or JSON (property)', () => {
    const secret = fc.string({ minLength: 6, maxLength: 24 }).filter((s) => s.trim().length >= 6);
    fc.assert(
      fc.property(secret, secret, secret, (user, password, passphrase) => {
        const logger = recordingLogger();
        const url = new URL('http://proxy.corp.example:3128');
        url.username = user;
        url.password = password;
        const plan = resolveNetwork({ proxy: url, tls: { key: `KEY-${passphrase}`, passphrase, rejectUnauthorized: false } }, safeLogger(logger), () => new Promise<Agent>(() => undefined));
        const shown = [logger.lines.join('\n'), inspect(plan), JSON.stringify(plan), plan.proxyForLog ?? '', redactProxyUrl(url)].join('\n');
        for (const s of [url.username, url.password, encodeURIComponent(password), passphrase, `KEY-${passphrase}`]) expect(shown).not.toContain(s);
        expect(shown).toContain('http://proxy.corp.example:3128');
      }),
      { numRuns: 200 },
    );
  });
});

describe('the proxy library is loaded lazily', () => {
  it('a missing https-proxy-agent is logged at start-up and each socket reports it as a typed error, then closes once', async () => {
    const logger = recordingLogger();
    const plan = resolveNetwork({ proxy: 'http://u:pw-DO-NOT-LOG@127.0.0.1:3128' }, safeLogger(logger), MISSING);
    const factory = createWsSocketFactory(plan);
    const h = recorder();
    const socket = factory('wss://rtms.zoom.us/x', h, SOCKET_OPTIONS);
    expect(socket.send('x')).toBe(false);
    await new Promise((r) => setTimeout(r, 10));
    expect(h.events).toEqual(['error', 'close 1006']);
    expect(h.errors[0]).toBeInstanceOf(RtmsError);
    expect(h.errors[0]!.message).toContain('npm install https-proxy-agent');
    expect(logger.lines.some((l) => l.startsWith('error') && l.includes('npm install https-proxy-agent'))).toBe(true);
    expect(logger.lines.join('\n')).not.toContain('pw-DO-NOT-LOG');
    // The token request fails the same way (a rejection the event stream turns into a retried outage).
    await expect(plan.request(new URL('https://zoom.us/oauth/token'), { method: 'POST', headers: {}, signal: new AbortController().signal })).rejects.toThrow('npm install https-proxy-agent');
  });

  it('one load serves every socket; a socket closed while the library loads closes at once and is never opened', async () => {
    let loads = 0;
    let release!: (a: Agent) => void;
    const dialled: string[] = [];
    const agent = new Agent();
    // An agent that records instead of connecting.
    (agent as unknown as { createConnection: () => never }).createConnection = () => {
      dialled.push('dial');
      throw new Error('not dialled in this test');
    };
    const loader: ProxyAgentLoader = () => {
      loads++;
      return new Promise<Agent>((resolve) => (release = resolve));
    };
    const plan = new NetworkPlan(undefined, new URL('http://127.0.0.1:3128'), undefined, loader);
    const factory = createWsSocketFactory(plan);
    const a = recorder();
    const b = recorder();
    const sa = factory('ws://127.0.0.1:1/a', a, SOCKET_OPTIONS);
    factory('ws://127.0.0.1:1/b', b, SOCKET_OPTIONS);
    expect(loads).toBe(1);
    sa.close(1000, '');
    sa.terminate();
    await new Promise((r) => setTimeout(r, 5));
    expect(a.events).toEqual(['close 1006']);
    release(agent);
    await new Promise((r) => setTimeout(r, 20));
    expect(a.events).toEqual(['close 1006']); // never opened after the load
    expect(b.events.at(-1)).toBe('close 1006'); // b was opened with the agent, whose connection failed
    expect(dialled).toEqual(['dial']);
    expect(plan.agent('wss://zoom.us/')).toBe(agent); // loaded once, kept
    expect(loads).toBe(1);
  });
});

describe("proxy: 'env'", () => {
  /** A loader that makes a distinct (never dialled) agent per proxy URL and records what it was asked. */
  function agents() {
    const made: string[] = [];
    const loader: ProxyAgentLoader = (proxy) => {
      made.push(proxy.href);
      return Promise.resolve(new Agent());
    };
    return { made, loader };
  }
  const BUN = undefined;
  const log = safeLogger(undefined);

  it('asks the environment per target, with ws/wss named as http/https; one agent per proxy; NO_PROXY targets go direct', async () => {
    const asked: string[] = [];
    const env: Record<string, string> = { 'https://rtms.zoom.us/a': 'http://u:pw-DO-NOT-LOG@proxy.corp:3128', 'https://other.zoom.us/b': 'http://u:pw-DO-NOT-LOG@proxy.corp:3128', 'http://127.0.0.1:9/c': 'http://plain.corp:8080' };
    const lookup: EnvProxyLookup = (target) => {
      asked.push(target);
      return env[target] ?? '';
    };
    let loads = 0;
    const envLoader: EnvProxyLoader = () => {
      loads++;
      return Promise.resolve(lookup);
    };
    const { made, loader } = agents();
    const logger = recordingLogger();
    const plan = resolveNetwork({ proxy: 'env' }, safeLogger(logger), loader, BUN, envLoader);
    expect(plan.viaProxy).toBe(true);
    const a = await plan.agent('wss://rtms.zoom.us/a');
    const b = await plan.agent('wss://other.zoom.us/b');
    const c = await plan.agent(new URL('ws://127.0.0.1:9/c'));
    const direct = await plan.agent('wss://direct.zoom.us/d');
    expect(a).toBeInstanceOf(Agent);
    expect(b).toBe(a); // the same proxy: one agent
    expect(c).toBeInstanceOf(Agent);
    expect(c).not.toBe(a);
    expect(direct).toBeUndefined();
    expect(made).toEqual(['http://u:pw-DO-NOT-LOG@proxy.corp:3128/', 'http://plain.corp:8080/']);
    expect(asked).toEqual(expect.arrayContaining(['https://rtms.zoom.us/a', 'https://other.zoom.us/b', 'http://127.0.0.1:9/c', 'https://direct.zoom.us/d']));
    expect(loads).toBe(1); // the lookup is loaded once (at start-up)
    // Once loaded, the answer is synchronous.
    expect(plan.agent('wss://rtms.zoom.us/a')).toBe(a);
    expect(plan.agent('wss://direct.zoom.us/d')).toBeUndefined();
    const text = [logger.lines.join('\n'), inspect(plan), JSON.stringify(plan)].join('\n');
    expect(text).toContain('proxy.corp:3128');
    expect(text).not.toContain('pw-DO-NOT-LOG');
    expect(inspect(plan)).toContain("proxy: 'env'");
  });

  it('a proxy in the environment that is not an http(s) URL is a typed error on that connection, never quoted', async () => {
    const envLoader: EnvProxyLoader = () => Promise.resolve(() => 'socks5://u:pw-DO-NOT-LOG@proxy.corp:1080');
    const plan = resolveNetwork({ proxy: 'env' }, log, agents().loader, BUN, envLoader);
    const h = recorder();
    createWsSocketFactory(plan)('wss://rtms.zoom.us/x', h, SOCKET_OPTIONS);
    await new Promise((r) => setTimeout(r, 10));
    expect(h.events).toEqual(['error', 'close 1006']);
    expect(h.errors[0]).toMatchObject({ code: 'RTMS_INVALID_OPTIONS' });
    expect(h.errors[0]!.message).toMatch(/the proxy in the environment .* must be an http:\/\/ .* not socks5:/);
    expect(h.errors[0]!.message).not.toContain('pw-DO-NOT-LOG');
  });

  it('a missing proxy-from-env is logged at start-up and reported by each connection, and tried again later', async () => {
    let available = false;
    const envLoader: EnvProxyLoader = () =>
      available ? Promise.resolve(() => '') : Promise.reject(new RtmsError('RTMS_INVALID_OPTIONS', "proxy: 'env' needs the optional peer dependency proxy-from-env: npm install proxy-from-env"));
    const logger = recordingLogger();
    const plan = resolveNetwork({ proxy: 'env' }, safeLogger(logger), agents().loader, BUN, envLoader);
    await new Promise((r) => setTimeout(r, 5));
    expect(logger.lines.some((l) => l.startsWith('error') && l.includes('npm install proxy-from-env'))).toBe(true);
    await expect(plan.request(new URL('https://zoom.us/oauth/token'), { method: 'POST', headers: {}, signal: new AbortController().signal })).rejects.toThrow('npm install proxy-from-env');
    available = true;
    await expect(plan.agent('wss://rtms.zoom.us/x')).resolves.toBeUndefined();
  });

  it('the real proxy-from-env: HTTPS_PROXY for wss://, HTTP_PROXY for ws://, NO_PROXY by host and by domain suffix', async () => {
    onTestFinished(() => {
      vi.unstubAllEnvs();
    });
    for (const name of ['https_proxy', 'http_proxy', 'all_proxy', 'no_proxy', 'ALL_PROXY', 'npm_config_https_proxy', 'npm_config_http_proxy', 'npm_config_proxy']) vi.stubEnv(name, '');
    vi.stubEnv('HTTPS_PROXY', 'http://secure.corp:3128');
    vi.stubEnv('HTTP_PROXY', 'http://plain.corp:3128');
    vi.stubEnv('NO_PROXY', 'localhost,.internal.corp');
    const { made, loader } = agents();
    const plan = resolveNetwork({ proxy: 'env' }, log, loader);
    expect(await plan.agent('wss://rtms.zoom.us/a')).toBeInstanceOf(Agent);
    expect(await plan.agent('ws://media.example.com/b')).toBeInstanceOf(Agent);
    expect(await plan.agent('wss://api.internal.corp/c')).toBeUndefined();
    expect(await plan.agent('ws://localhost:9/d')).toBeUndefined();
    expect(made).toEqual(['http://secure.corp:3128/', 'http://plain.corp:3128/']);
    // A proxy written without a scheme is an http:// proxy (as curl reads it), also for wss:// targets.
    vi.stubEnv('HTTPS_PROXY', 'bare.corp:3128');
    expect(await plan.agent('wss://rtms.zoom.us/e')).toBeInstanceOf(Agent);
    expect(made.at(-1)).toBe('http://bare.corp:3128/');
  });
});

describe('the token request (node:http with the plan)', () => {
  async function server(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; srv: Server }> {
    const srv = createServer(handler);
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    onTestFinished(
      () =>
        new Promise<void>((r) => {
          srv.closeAllConnections();
          srv.close(() => r());
        }),
    );
    return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, srv };
  }

  it('posts the headers and reads the answer; caps the body at 64 KiB; aborts on the signal', async () => {
    const seen: string[] = [];
    const { url } = await server((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers['authorization'] ?? ''}`);
      if (req.url?.startsWith('/big')) res.end(Buffer.alloc(70 * 1024, 0x61));
      else if (req.url?.startsWith('/slow')) setTimeout(() => res.end('late'), 2_000).unref();
      else res.writeHead(201).end('{"ok":1}');
    });
    const plan = resolveNetwork({ agent: new Agent() }, safeLogger(undefined));
    const signal = new AbortController().signal;
    const res = await plan.request(new URL(`${url}/t?x=1`), { method: 'POST', headers: { authorization: 'Basic abc' }, signal });
    expect(res).toEqual({ status: 201, ok: true, text: '{"ok":1}' });
    expect(seen).toEqual(['POST /t?x=1 Basic abc']);
    await expect(plan.request(new URL(`${url}/big`), { method: 'POST', headers: {}, signal })).rejects.toThrow('larger than 65536 bytes');
    const abort = new AbortController();
    const slow = plan.request(new URL(`${url}/slow`), { method: 'POST', headers: {}, signal: abort.signal });
    setTimeout(() => abort.abort(), 20);
    await expect(slow).rejects.toThrow(/abort/i);
  });
});

describe('explainConnectError', () => {
  it('names refused certificates and the fix, keeps the code and the cause', () => {
    const raw = Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' });
    const out = explainConnectError(raw, false);
    expect(out.message).toBe(
      "TLS: the server's certificate was not accepted (SELF_SIGNED_CERT_IN_CHAIN: self-signed certificate in certificate chain); if a private CA issued it, trust that CA with the tls.ca option or NODE_EXTRA_CA_CERTS",
    );
    expect((out as { code?: string }).code).toBe('SELF_SIGNED_CERT_IN_CHAIN');
    expect(out.cause).toBe(raw);
    const altname = Object.assign(new Error("Hostname/IP does not match certificate's altnames"), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    expect(explainConnectError(altname, false).message).toMatch(/^TLS: .*ERR_TLS_CERT_ALTNAME_INVALID/);
  });
  it("names a proxy's 407, and marks other HTTP answers as possibly the proxy's only when there is one", () => {
    expect(explainConnectError(new Error('Unexpected server response: 407'), true).message).toContain('407 Proxy Authentication Required');
    expect(explainConnectError(new Error('Unexpected server response: 502'), true).message).toBe('Unexpected server response: 502 (from the HTTP proxy or, through it, the server)');
    const plain = new Error('Unexpected server response: 502');
    expect(explainConnectError(plain, false)).toBe(plain);
  });
  it('leaves every other error as it is (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.option(fc.string(), { nil: undefined }), fc.boolean(), (message, code, viaProxy) => {
        fc.pre(!/^Unexpected server response: \d{3}$/.test(message));
        fc.pre(code === undefined || (!code.startsWith('ERR_SSL_') && !/^[A-Z_]+$/.test(code)));
        const err = Object.assign(new Error(message), code === undefined ? {} : { code });
        expect(explainConnectError(err, viaProxy)).toBe(err);
      }),
    );
  });
});
