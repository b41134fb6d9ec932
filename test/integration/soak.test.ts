/**
 * 1,000 session lifecycles through the simulator over loopback, ending every way a session can end. Afterwards
 * no socket, timer or listener of ours remains and the heap is flat. Prints the figures.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { RtmsClient, StatusCode } from '../../src/index.js';
import { RtmsSimulator } from '../../src/testing/index.js';
import { CREDS, expectNoLeaks, ourResources, until } from '../helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

describe('soak', () => {
  it('1,000 lifecycles leave no sockets, timers or listeners, and a flat heap', async () => {
    const baseline = ourResources();
    const sim = await RtmsSimulator.start({ ...CREDS, keepAliveIntervalMs: 50 });
    const client = new RtmsClient({ ...CREDS, reconnect: { baseDelayMs: 10, maxDelayMs: 20, jitter: 0, maxAttempts: 2 } });
    const endings = ['webhook', 'stop', 'terminate', 'refused', 'dropped'] as const;
    const counts: Record<string, number> = {};
    let delivered = 0;
    let listenerMismatch = 0;
    const one = async (i: number): Promise<void> => {
      const how = endings[i % endings.length]!;
      const stream = sim.createStream({ product: i % 2 === 0 ? 'meeting' : 'contact_center' });
      if (how === 'refused') stream.refuseNextHandshake('signaling', StatusCode.STATUS_INVALID_SIGNATURE);
      const res = await client.handleWebhook(stream.webhook('started'));
      const session = res.session!;
      let got = 0;
      session.on('transcript', () => got++);
      session.on('audio', () => got++);
      session.on('error', () => undefined);
      if (how !== 'refused') {
        await stream.ready();
        await until(() => session.state === 'streaming', 5_000);
        stream.sendTranscript({ text: `line ${i}` });
        stream.sendAudio({ data: Buffer.alloc(640) });
        await until(() => got === 2, 5_000, 'delivery');
        delivered += got;
      }
      if (how === 'webhook') await client.handleWebhook(stream.webhook('stopped'));
      if (how === 'stop') void session.stop();
      if (how === 'terminate') stream.terminate();
      if (how === 'dropped') {
        stream.refuseNextHandshake('signaling', StatusCode.STATUS_INVALID_RTMS_STREAM_ID);
        stream.dropSocket('signaling');
      }
      const end = await session.closed();
      counts[`${how}:${end.state}`] = (counts[`${how}:${end.state}`] ?? 0) + 1;
      if (session.listenerCount('transcript') + session.listenerCount('audio') !== 2) listenerMismatch++; // user listeners stay theirs
      session.removeAllListeners();
      await stream.socketsClosed();
      sim.deleteStream(stream.streamId);
    };
    const run = async (from: number, to: number) => {
      const batch = 50;
      for (let i = from; i < to; i += batch) await Promise.all(Array.from({ length: Math.min(batch, to - i) }, (_, k) => one(i + k)));
    };
    const t0 = Date.now();
    await run(0, 400); // warm up (JIT, pools)
    const heap400 = heapAfterGc();
    await run(400, 1000);
    const heap1000 = heapAfterGc();
    const seconds = (Date.now() - t0) / 1000;
    expect(client.sessions.size).toBe(0);
    expect(sim.openSockets).toBe(0);
    expect(client.listenerCount('session')).toBe(0);
    await client.close();
    await sim.close();
    await expectNoLeaks(baseline);
    const growthPerLifecycle = (heap1000 - heap400) / 600;
    console.info(
      `soak: 1000 lifecycles in ${seconds.toFixed(1)} s; endings ${JSON.stringify(counts)}; frames delivered ${delivered}; ` +
        `heap after GC ${(heap400 / 1048576).toFixed(1)} MiB at 400, ${(heap1000 / 1048576).toFixed(1)} MiB at 1000 ` +
        `(${growthPerLifecycle.toFixed(0)} B per lifecycle)`,
    );
    expect(counts['refused:failed']).toBe(200);
    expect(counts['dropped:failed']).toBe(200);
    expect(counts['webhook:stopped']! + counts['stop:stopped']! + counts['terminate:stopped']!).toBe(600);
    expect(delivered).toBe(800 * 2);
    expect(listenerMismatch).toBe(0);
    // A leaked session (sockets, buffers, listeners) costs tens of KB; the test harness itself adds about 1 KB per
    // lifecycle here. `npm run bench:soak` measures the SDK alone (flat within noise over 3,000 lifecycles).
    expect(growthPerLifecycle).toBeLessThan(4096);
  }, 120_000);
});
