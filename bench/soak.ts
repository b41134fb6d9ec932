/**
 * `npm run bench:soak`: session lifecycles in rounds of 500, each ending a different way (stop, server
 * termination, refused handshake, dropped socket with a refused reconnect), printing heap after GC per round.
 * A flat series means nothing is retained per session. Bounded: 6 rounds, well under a minute.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { RtmsClient, StatusCode } from '../src/index.js';
import { RtmsSimulator } from '../src/testing/index.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const CREDS = { clientId: 'bench-id', clientSecret: 'bench-secret', webhookSecretToken: 'bench-token' };
const ROUNDS = Number(process.env['SOAK_ROUNDS'] ?? 6);
const PER_ROUND = 500;

const sim = await RtmsSimulator.start({ ...CREDS, keepAliveIntervalMs: 50 });
const client = new RtmsClient({ ...CREDS, reconnect: { baseDelayMs: 10, maxDelayMs: 20, jitter: 0, maxAttempts: 2 } });
const modes = ['stop', 'terminate', 'refused', 'dropped'] as const;

async function lifecycle(i: number): Promise<void> {
  const mode = modes[i % modes.length]!;
  const stream = sim.createStream();
  if (mode === 'refused') stream.refuseNextHandshake('signaling', StatusCode.STATUS_INVALID_SIGNATURE);
  const res = await client.handleWebhook(stream.webhook('started'));
  const session = res.session!;
  session.on('error', () => undefined);
  if (mode !== 'refused') await stream.ready();
  if (mode === 'stop') void session.stop();
  if (mode === 'terminate') stream.terminate();
  if (mode === 'dropped') {
    stream.refuseNextHandshake('signaling', StatusCode.STATUS_INVALID_RTMS_STREAM_ID);
    stream.dropSocket('signaling');
  }
  await session.closed();
  await stream.socketsClosed();
  sim.deleteStream(stream.streamId);
}

const heaps: number[] = [];
const t0 = Date.now();
let n = 0;
for (let round = 0; round < ROUNDS; round++) {
  for (let i = 0; i < PER_ROUND; i += 50) await Promise.all(Array.from({ length: 50 }, () => lifecycle(n++)));
  gc();
  gc();
  heaps.push(process.memoryUsage().heapUsed);
  console.log(`round ${round + 1}: ${n} lifecycles, heap after GC ${(heaps[round]! / 1048576).toFixed(2)} MiB`);
}
await client.close();
await sim.close();
const first = heaps[1] ?? heaps[0]!;
const last = heaps[heaps.length - 1]!;
const perLifecycle = (last - first) / (PER_ROUND * (heaps.length - 2));
console.log(`lifecycles: ${n} in ${((Date.now() - t0) / 1000).toFixed(1)} s; heap change after warm-up: ${(((last - first) / 1048576)).toFixed(2)} MiB (${perLifecycle.toFixed(0)} B per lifecycle)`);
console.log(JSON.stringify({ lifecycles: n, heapFirstMiB: +(first / 1048576).toFixed(2), heapLastMiB: +(last / 1048576).toFixed(2), bytesPerLifecycle: Math.round(perLifecycle), openSockets: sim.openSockets, sessions: client.sessions.size }));
