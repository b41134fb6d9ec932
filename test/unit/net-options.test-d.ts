/** Types of the network options on RtmsClientOptions (issue #16 item 5). */
import { Agent } from 'node:http';
import { rootCertificates } from 'node:tls';
import { describe, expectTypeOf, it } from 'vitest';
import type { NetworkOptions, RtmsClientOptions, RtmsTlsOptions } from '../../src/index.js';

const base = { clientId: 'id', clientSecret: 'secret', webhookSecretToken: 'token' };

describe('network option types', () => {
  it('the client options take agent, proxy and tls', () => {
    expectTypeOf<RtmsClientOptions>().toMatchTypeOf<NetworkOptions>();
    expectTypeOf<NetworkOptions['proxy']>().toEqualTypeOf<string | URL | undefined>();
    expectTypeOf<NetworkOptions['agent']>().toEqualTypeOf<Agent | undefined>();
    expectTypeOf<RtmsTlsOptions['rejectUnauthorized']>().toEqualTypeOf<boolean | undefined>();
    const ok: RtmsClientOptions[] = [
      { ...base, proxy: 'http://user:pw@proxy.corp:3128' },
      { ...base, proxy: new URL('http://proxy.corp:3128') },
      { ...base, agent: new Agent({ keepAlive: true }) },
      { ...base, tls: { ca: [...rootCertificates, '-----BEGIN CERTIFICATE-----'], servername: 'zoom.us', minVersion: 'TLSv1.3' } },
      { ...base, tls: { cert: Buffer.from('c'), key: Buffer.from('k'), passphrase: 'p' } },
    ];
    expectTypeOf(ok).toBeArray();
  });

  it('wrong types do not compile', () => {
    // @ts-expect-error a port is not a proxy URL
    const a: RtmsClientOptions = { ...base, proxy: 3128 };
    // @ts-expect-error rejectUnauthorized is a boolean
    const b: RtmsClientOptions = { ...base, tls: { rejectUnauthorized: 'no' } };
    // @ts-expect-error ca is PEM text or bytes
    const c: RtmsClientOptions = { ...base, tls: { ca: 42 } };
    // @ts-expect-error an unknown TLS option (the subset is closed)
    const d: RtmsClientOptions = { ...base, tls: { ciphers: 'ALL' } };
    // @ts-expect-error SSLv3 is no TLS version Node accepts
    const e: RtmsClientOptions = { ...base, tls: { minVersion: 'SSLv3' } };
    expectTypeOf([a, b, c, d, e]).toBeArray();
  });
});
