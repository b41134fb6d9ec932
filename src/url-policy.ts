/**
 * Which RTMS URLs the client will dial. `server_urls` and media URLs come from outside; a forged webhook that
 * pointed the client at another host would receive a valid handshake signature there. So by default only
 * `wss://` hosts under `zoom.us` are dialled, plus loopback hosts (plain `ws://` allowed) for local testing.
 *
 * The policy applies to the TARGET of a connection (signaling, media, event socket, token endpoint) and is checked
 * before anything is dialled, so a refused target is refused with a proxy configured too. It never applies to the
 * `proxy` or `agent` option (net-options.ts): the proxy is the operator's choice and may be on any host.
 */

/** URL policy options (part of the client options). */
export interface UrlPolicyOptions {
  /**
   * Host suffixes allowed for signaling and media URLs. `'zoom.us'` allows `zoom.us` and every `*.zoom.us`.
   * Default `['zoom.us']`. Loopback hosts are always allowed unless {@link allowLoopback} is false.
   */
  allowedHosts?: readonly string[];
  /** Allow loopback hosts (`localhost`, `127.0.0.0/8`, `::1`). Default true. */
  allowLoopback?: boolean;
  /** Allow plain `ws://` to non-loopback hosts. Default false: only `wss://` leaves the machine. */
  allowInsecureUrls?: boolean;
}

/** Default allowed host suffixes. */
export const DEFAULT_ALLOWED_HOSTS: readonly string[] = ['zoom.us'];

/** True for `localhost`, `127.0.0.0/8` and `::1`. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h.endsWith('.localhost') || h === '::1') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

function hostAllowed(hostname: string, allowed: readonly string[]): boolean {
  const h = hostname.toLowerCase();
  for (const raw of allowed) {
    const entry = raw.toLowerCase().replace(/^\*\./, '').replace(/^\./, '');
    if (entry.length === 0) continue;
    if (h === entry || h.endsWith(`.${entry}`)) return true;
  }
  return false;
}

/**
 * Checks a URL against the policy.
 *
 * @returns `undefined` when the URL may be dialled, else a short reason (naming only the host).
 */
export function checkUrl(url: string, options: UrlPolicyOptions = {}): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'not a valid URL';
  }
  const loopback = isLoopbackHost(parsed.hostname);
  if (loopback && options.allowLoopback === false) return `loopback host ${parsed.host} is not allowed`;
  if (parsed.protocol !== 'wss:' && parsed.protocol !== 'ws:') return `scheme ${parsed.protocol} is not a WebSocket scheme`;
  if (parsed.protocol === 'ws:' && !loopback && options.allowInsecureUrls !== true) {
    return `plain ws:// to ${parsed.host} is not allowed (use wss://, or set allowInsecureUrls)`;
  }
  if (!loopback && !hostAllowed(parsed.hostname, options.allowedHosts ?? DEFAULT_ALLOWED_HOSTS)) {
    return `host ${parsed.host} is not in allowedHosts`;
  }
  return undefined;
}

/**
 * Picks the signaling URL from a webhook's `server_urls`, which may list several URLs separated by commas
 * (D-WH, §1): the first `wss://` entry, else the first `ws://` entry.
 */
export function pickServerUrl(serverUrls: string): string | undefined {
  const parts = serverUrls
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  return parts.find((p) => p.startsWith('wss://')) ?? parts.find((p) => p.startsWith('ws://'));
}
