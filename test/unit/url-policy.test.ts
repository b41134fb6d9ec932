import { describe, expect, it } from 'vitest';
import { DEFAULT_ALLOWED_HOSTS, checkUrl, isLoopbackHost, pickServerUrl } from '../../src/url-policy.js';

describe('checkUrl — default policy', () => {
  it('defaults to zoom.us only', () => {
    expect(DEFAULT_ALLOWED_HOSTS).toEqual(['zoom.us']);
  });

  it.each([
    'wss://zoom.us',
    'wss://zoom.us/signaling',
    'wss://rtms.zoom.us',
    'wss://sjc.rtms.zoom.us:443/signaling?sig=1',
    'wss://a.b.c.zoom.us/x',
    'wss://RTMS.ZOOM.US/upper',
  ])('allows %s', (url) => {
    expect(checkUrl(url)).toBeUndefined();
  });

  it.each([
    ['wss://zoom.us.evil.com/x', 'zoom.us.evil.com'],
    ['wss://evilzoom.us/x', 'evilzoom.us'],
    ['wss://notzoom.us', 'notzoom.us'],
    ['wss://zoom.usa.com', 'zoom.usa.com'],
    ['wss://evil.com/zoom.us', 'evil.com'],
    ['wss://evil.com/?host=zoom.us', 'evil.com'],
    ['wss://zoom.us@evil.com/', 'evil.com'],
    ['wss://zoom.us:x@attacker.net/', 'attacker.net'],
    ['wss://zoom.com', 'zoom.com'],
  ])('refuses %s', (url, host) => {
    const reason = checkUrl(url);
    expect(reason).toBeTypeOf('string');
    expect(reason).toContain(host);
  });

  it('refuses plain ws:// to a non-loopback host, even under zoom.us', () => {
    const reason = checkUrl('ws://rtms.zoom.us/signaling');
    expect(reason).toBeTypeOf('string');
    expect(reason).toContain('ws://');
  });

  it('allows plain ws:// to an allowed host only with allowInsecureUrls', () => {
    expect(checkUrl('ws://rtms.zoom.us/signaling', { allowInsecureUrls: true })).toBeUndefined();
    expect(checkUrl('ws://rtms.zoom.us/signaling', { allowInsecureUrls: false })).toBeTypeOf('string');
  });

  it('allowInsecureUrls does not widen the host list', () => {
    expect(checkUrl('ws://evil.com/', { allowInsecureUrls: true })).toBeTypeOf('string');
    expect(checkUrl('wss://evil.com/', { allowInsecureUrls: true })).toBeTypeOf('string');
  });

  it.each(['http://zoom.us/', 'https://rtms.zoom.us/', 'ftp://zoom.us/', 'file:///etc/passwd', 'http://localhost:8080/'])(
    'refuses the non-WebSocket scheme of %s',
    (url) => {
      expect(checkUrl(url)).toBeTypeOf('string');
      expect(checkUrl(url, { allowInsecureUrls: true })).toBeTypeOf('string');
    },
  );

  it.each(['', 'not a url', 'rtms.zoom.us', '//rtms.zoom.us/x', 'wss://'])('refuses the invalid URL %j', (url) => {
    expect(checkUrl(url)).toBeTypeOf('string');
  });

  it('names only the host in its reason, never the path or query', () => {
    const reason = checkUrl('wss://evil.example/path/secret?signature=deadbeef&token=xyz');
    expect(reason).toBeTypeOf('string');
    expect(reason).toContain('evil.example');
    expect(reason).not.toContain('deadbeef');
    expect(reason).not.toContain('token=');
    expect(reason).not.toContain('/path/secret');
  });
});

describe('checkUrl — loopback', () => {
  it.each([
    'ws://localhost:8080/signaling',
    'ws://LOCALHOST:8080/',
    'wss://localhost/',
    'ws://127.0.0.1:9000/',
    'ws://127.0.0.5:9000/',
    'ws://127.255.255.254/',
    'ws://[::1]:9000/',
    'wss://[::1]/',
    'ws://media.localhost:1234/',
  ])('allows %s by default, plain ws:// included', (url) => {
    expect(checkUrl(url)).toBeUndefined();
  });

  it.each(['ws://127.0.0.1.evil.com/', 'ws://localhost.evil.com/', 'ws://128.0.0.1/', 'ws://10.0.0.1/', 'ws://[::2]/'])(
    'does not treat %s as loopback',
    (url) => {
      expect(checkUrl(url)).toBeTypeOf('string');
    },
  );

  it.each(['ws://localhost:8080/', 'wss://127.0.0.1/', 'ws://[::1]:9000/'])('refuses %s with allowLoopback: false', (url) => {
    expect(checkUrl(url, { allowLoopback: false })).toBeTypeOf('string');
  });

  it('allowLoopback: false leaves zoom.us URLs alone', () => {
    expect(checkUrl('wss://rtms.zoom.us/', { allowLoopback: false })).toBeUndefined();
  });

  it('isLoopbackHost recognises the loopback forms', () => {
    expect(isLoopbackHost('localhost')).toBe(true);
    expect(isLoopbackHost('127.0.0.1')).toBe(true);
    expect(isLoopbackHost('127.1.2.3')).toBe(true);
    expect(isLoopbackHost('[::1]')).toBe(true);
    expect(isLoopbackHost('::1')).toBe(true);
    expect(isLoopbackHost('127.0.0.1.nip.io')).toBe(false);
    expect(isLoopbackHost('0.0.0.0')).toBe(false);
    expect(isLoopbackHost('zoom.us')).toBe(false);
  });
});

describe('checkUrl — custom allowedHosts', () => {
  it('allows the configured suffix and its subdomains', () => {
    const opts = { allowedHosts: ['example.com'] };
    expect(checkUrl('wss://example.com/', opts)).toBeUndefined();
    expect(checkUrl('wss://media.example.com/', opts)).toBeUndefined();
    expect(checkUrl('wss://badexample.com/', opts)).toBeTypeOf('string');
    expect(checkUrl('wss://example.com.evil.net/', opts)).toBeTypeOf('string');
  });

  it('replaces the default list rather than adding to it', () => {
    expect(checkUrl('wss://rtms.zoom.us/', { allowedHosts: ['example.com'] })).toBeTypeOf('string');
  });

  it('accepts "*.host" and ".host" spellings, case-insensitively', () => {
    expect(checkUrl('wss://a.example.com/', { allowedHosts: ['*.example.com'] })).toBeUndefined();
    expect(checkUrl('wss://a.example.com/', { allowedHosts: ['.example.com'] })).toBeUndefined();
    expect(checkUrl('wss://a.example.com/', { allowedHosts: ['EXAMPLE.COM'] })).toBeUndefined();
  });

  it('an empty list refuses every non-loopback host; empty entries match nothing', () => {
    expect(checkUrl('wss://rtms.zoom.us/', { allowedHosts: [] })).toBeTypeOf('string');
    expect(checkUrl('wss://rtms.zoom.us/', { allowedHosts: [''] })).toBeTypeOf('string');
    expect(checkUrl('wss://rtms.zoom.us/', { allowedHosts: ['*.'] })).toBeTypeOf('string');
    expect(checkUrl('ws://localhost:1/', { allowedHosts: [] })).toBeUndefined();
  });

  it('several entries', () => {
    const opts = { allowedHosts: ['zoom.us', 'zoomgov.com'] };
    expect(checkUrl('wss://rtms.zoom.us/', opts)).toBeUndefined();
    expect(checkUrl('wss://rtms.zoomgov.com/', opts)).toBeUndefined();
    expect(checkUrl('wss://rtms.zoom.com/', opts)).toBeTypeOf('string');
  });
});

describe('pickServerUrl', () => {
  it('returns a single URL unchanged', () => {
    expect(pickServerUrl('wss://rtms.zoom.us/signaling')).toBe('wss://rtms.zoom.us/signaling');
  });

  it('prefers the first wss:// entry of a comma-separated list (§1: split on "," and pick wss://)', () => {
    expect(pickServerUrl('https://rtms.zoom.us/a,wss://rtms.zoom.us/b')).toBe('wss://rtms.zoom.us/b');
    expect(pickServerUrl('ws://rtms.zoom.us/a,wss://rtms.zoom.us/b,wss://rtms.zoom.us/c')).toBe('wss://rtms.zoom.us/b');
  });

  it('trims whitespace around entries', () => {
    expect(pickServerUrl('  rtmp://x.zoom.us/live ,  wss://rtms.zoom.us/b  ')).toBe('wss://rtms.zoom.us/b');
  });

  it('falls back to the first ws:// entry when no wss:// is given', () => {
    expect(pickServerUrl('https://a.zoom.us,ws://localhost:9000/x,ws://localhost:9001/y')).toBe('ws://localhost:9000/x');
  });

  it('returns undefined when no WebSocket URL is listed', () => {
    expect(pickServerUrl('')).toBeUndefined();
    expect(pickServerUrl(' , ,')).toBeUndefined();
    expect(pickServerUrl('https://rtms.zoom.us/a,rtmp://rtms.zoom.us/b')).toBeUndefined();
  });

  it('matches the scheme at the start only', () => {
    expect(pickServerUrl('https://x/?u=wss://evil')).toBeUndefined();
  });
});
