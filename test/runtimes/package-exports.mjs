/**
 * The installed package, loaded by its name under the running runtime (Bun, Deno, or Node as the baseline): every
 * subpath of the exports map from ESM (`import`) and from CommonJS (`require`), with the same export names, the
 * key exports present, and an RtmsError from the CJS build `instanceof` RtmsError of the ESM build.
 *
 * Run by scripts/check-runtimes.sh from a scratch project where `npm install <packed tarball>` put rtms-client
 * (and `@opentelemetry/api`, the peer that rtms-client/otel needs) in node_modules. Exit code 0 when every check
 * passed. Plain JavaScript, so every runtime loads it as it is.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const runtime = globalThis.Bun ? `bun ${globalThis.Bun.version}` : globalThis.Deno ? `deno ${globalThis.Deno.version.deno}` : `node ${process.version}`;

/** Subpath -> names that must be there (functions or classes). */
const expected = {
  'rtms-client': ['RtmsClient', 'RtmsError', 'handleWebhook', 'verifyWebhookSignature', 'computeWebhookSignature', 'generateSignature', 'wavHeader'],
  'rtms-client/testing': ['RtmsSimulator', 'postWebhook', 'buildWebhook', 'runConformance'],
  'rtms-client/redis': ['RedisCoordinator'],
  'rtms-client/media': ['Resampler', 'G722Decoder', 'AudioTimeline'],
  'rtms-client/otel': ['registerRtmsMetrics'],
};

let failed = 0;
function check(ok, what) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failed++;
}

for (const [specifier, names] of Object.entries(expected)) {
  let esm;
  let cjs;
  try {
    esm = await import(specifier);
    cjs = require(specifier);
  } catch (err) {
    check(false, `${specifier} loads: ${err instanceof Error ? err.message : String(err)}`);
    continue;
  }
  const esmNames = Object.keys(esm).filter((n) => n !== 'default' && n !== 'module.exports').sort();
  const cjsNames = Object.keys(cjs).filter((n) => n !== 'default' && n !== '__esModule').sort();
  const missing = names.filter((n) => typeof esm[n] !== 'function' || typeof cjs[n] !== 'function');
  check(
    esmNames.length > 0 && JSON.stringify(esmNames) === JSON.stringify(cjsNames) && missing.length === 0,
    `${specifier}: ${esmNames.length} exports, the same from import and require${missing.length ? `; missing ${missing.join(', ')}` : ''}${
      JSON.stringify(esmNames) === JSON.stringify(cjsNames) ? '' : `; import only: ${esmNames.filter((n) => !cjsNames.includes(n)).join(', ')}; require only: ${cjsNames.filter((n) => !esmNames.includes(n)).join(', ')}`
    }`,
  );
}

const esm = await import('rtms-client');
const cjs = require('rtms-client');
const error = new cjs.RtmsError('RTMS_CONNECTION_LOST', 'x');
check(cjs.RtmsClient !== esm.RtmsClient && error instanceof esm.RtmsError && !(new Error('y') instanceof esm.RtmsError), 'an RtmsError of the CJS build is instanceof RtmsError of the ESM build');

console.log(`package exports under ${runtime}: ${failed === 0 ? 'passed' : `${failed} check(s) failed`}`);
process.exitCode = failed === 0 ? 0 : 1;
