/**
 * Three app instances (child processes) share 30 simulated meetings through a real Redis: webhooks arrive
 * round-robin, some twice at once on two instances, control webhooks land on instances that do not own the
 * stream, and one instance is killed with SIGKILL mid-stream. Every meeting keeps exactly one consumer at every
 * moment and each stream of the dead instance resumes on a survivor. Prints takeover time and media gap.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { RtmsSimulator, postWebhook, type SimulatedStream } from '../../src/testing/index.js';
import { CREDS, until } from '../helpers.js';
import { redisUrl, stopRedis } from './redis-server.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
// Known at collection time (top-level await), so skipIf sees a boolean; in CI a missing Redis throws here.
const url = await redisUrl();
afterAll(() => stopRedis());

interface Instance {
  name: string;
  child: ChildProcess;
  port: number;
  alive: boolean;
}

type Msg =
  | { type: 'port'; port: number }
  | { type: 'session'; streamId: string; resumed: boolean; at: number }
  | { type: 'closed'; streamId: string; cause: string; state: string; at: number }
  | { type: 'handover'; streamId: string; at: number }
  | { type: 'frames'; frames: [string, number][] }
  | { type: 'bye' };

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
}

describe.skipIf(url === undefined)('scale-out across processes', () => {
  it('30 meetings, 3 instances, duplicates and a SIGKILL: one consumer per stream at every moment, all resume', async () => {
    const prefix = `mp${process.pid}-${Date.now()}:`;
    const sim = await RtmsSimulator.start({ ...CREDS, keepAliveIntervalMs: 1_000 });
    onTestFinished(() => sim.close());
    const receipts = new Map<string, { at: number; who: string }[]>();
    const sessions: { who: string; streamId: string; resumed: boolean; at: number }[] = [];
    const closed: { who: string; streamId: string; cause: string; at: number }[] = [];
    const instances: Instance[] = [];
    for (const name of ['A', 'B', 'C']) {
      const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'instance.ts')], {
        cwd: root,
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        env: { ...process.env, REDIS_URL: url, PREFIX: prefix, INSTANCE: name, CLIENT_ID: CREDS.clientId, CLIENT_SECRET: CREDS.clientSecret, SECRET_TOKEN: CREDS.webhookSecretToken },
      });
      const inst: Instance = { name, child, port: 0, alive: true };
      onTestFinished(() => {
        if (inst.alive) child.kill('SIGKILL');
      });
      child.on('exit', () => (inst.alive = false));
      child.on('message', (m: Msg) => {
        if (m.type === 'port') inst.port = m.port;
        else if (m.type === 'session') sessions.push({ who: name, streamId: m.streamId, resumed: m.resumed, at: m.at });
        else if (m.type === 'closed') closed.push({ who: name, streamId: m.streamId, cause: m.cause, at: m.at });
        else if (m.type === 'frames') {
          for (const [id, at] of m.frames) {
            let l = receipts.get(id);
            if (!l) receipts.set(id, (l = []));
            l.push({ at, who: name });
          }
        }
      });
      instances.push(inst);
    }
    await until(() => instances.every((i) => i.port > 0), 20_000, 'instances listening');
    const hook = (i: Instance) => `http://127.0.0.1:${i.port}/`;

    // 30 meetings; webhooks round-robin; every fifth one is also delivered to a second instance at the same time.
    const streams: SimulatedStream[] = Array.from({ length: 30 }, () => sim.createStream());
    await Promise.all(
      streams.map(async (s, k) => {
        const w = s.webhook('started');
        const first = instances[k % 3]!;
        const posts = [postWebhook(hook(first), w)];
        if (k % 5 === 0) posts.push(postWebhook(hook(instances[(k + 1) % 3]!), w));
        for (const r of await Promise.all(posts)) expect(r.status).toBe(200);
      }),
    );
    await Promise.all(streams.map((s) => s.ready(15_000)));
    expect(sessions.length).toBe(30); // duplicates opened nothing
    expect(streams.every((s) => s.record.signalingConnections === 1)).toBe(true);

    const playing = streams.map((s) => s.playMeeting({ durationMs: 11_000, audioFrameMs: 40, audioFrameBytes: 1280, transcriptEveryMs: 2_000, speakerEvents: false }));
    await new Promise((r) => setTimeout(r, 1_500));

    // A stop webhook delivered to an instance that does not own the stream is routed to the owner.
    const owner = (id: string) => sessions.filter((x) => x.streamId === id).at(-1)?.who;
    const stopMe = streams[1]!;
    const notOwner = instances.find((i) => i.name !== owner(stopMe.streamId))!;
    expect((await postWebhook(hook(notOwner), stopMe.webhook('stopped'))).status).toBe(200);
    await stopMe.socketsClosed(5_000);
    await until(() => closed.some((c) => c.streamId === stopMe.streamId), 5_000, 'the stopped session reported closed');

    // Kill one instance mid-stream.
    // The victim is the instance holding the most streams right now.
    const held = (i: Instance) => new Set(sessions.filter((x) => x.who === i.name).map((x) => x.streamId)).size;
    const victim = [...instances].sort((a, b) => held(b) - held(a))[0]!;
    const victimStreams = new Set(sessions.filter((x) => x.who === victim.name).map((x) => x.streamId));
    victimStreams.delete(stopMe.streamId);
    const killAt = Date.now();
    victim.child.kill('SIGKILL');
    await until(() => [...victimStreams].every((id) => sessions.some((x) => x.streamId === id && x.resumed && x.who !== victim.name)), 15_000, 'takeovers');

    // Figures (before the stall phase, so they measure the SIGKILL alone).
    await until(() => [...victimStreams].every((id) => (receipts.get(id) ?? []).some((x) => x.who !== victim.name && x.at > killAt)), 10_000, 'media after takeover');
    const takeover: number[] = [];
    const gaps: number[] = [];
    for (const id of victimStreams) {
      const resumedAt = sessions.find((x) => x.streamId === id && x.resumed)!.at;
      takeover.push(resumedAt - killAt);
      const r = receipts.get(id) ?? [];
      const before = r.filter((x) => x.who === victim.name).at(-1)?.at ?? killAt;
      const after = r.find((x) => x.who !== victim.name && x.at > killAt)?.at;
      expect(after, `stream ${id} resumed media: ${JSON.stringify({ sessions: sessions.filter((x) => x.streamId === id), closed: closed.filter((x) => x.streamId === id), killAt, n: r.length, last: r.slice(-3) })}`).toBeDefined();
      gaps.push(after! - before);
    }
    console.info(
      `scale-out: ${victimStreams.size} streams taken over after SIGKILL; takeover p50 ${pct(takeover, 50)} ms, max ${Math.max(...takeover)} ms; ` +
        `media gap p50 ${pct(gaps, 50)} ms, max ${Math.max(...gaps)} ms`,
    );

    // A dead instance's sockets are gone, so no survivor was ever refused as a second connection.
    expect(streams.flatMap((s) => s.record.violations.filter((v) => v.rule === 'one-connection'))).toEqual([]);

    // Stall another instance (SIGSTOP) past its lease, then let it come back: its streams move to the last
    // instance, and on waking it must hand them over without streaming them again.
    const alive = instances.filter((i) => i.alive);
    const current = (i: Instance) => new Set(sessions.filter((x) => x.who === i.name).map((x) => x.streamId).filter((id) => !closed.some((c) => c.who === i.name && c.streamId === id)));
    const stalled = [...alive].sort((a, b) => current(b).size - current(a).size)[0]!;
    const other = alive.find((i) => i !== stalled)!;
    const stalledStreams = [...current(stalled)].filter((id) => id !== stopMe.streamId);
    const handovers: string[] = [];
    stalled.child.on('message', (m: Msg) => {
      if (m.type === 'handover') handovers.push(m.streamId);
    });
    const stallAt = Date.now();
    stalled.child.kill('SIGSTOP');
    await until(() => stalledStreams.every((id) => sessions.some((x) => x.streamId === id && x.who === other.name && x.at > stallAt)), 20_000, 'takeovers from the stalled instance');
    stalled.child.kill('SIGCONT');
    await until(() => stalledStreams.every((id) => handovers.includes(id)), 10_000, 'handovers after waking').catch((e: unknown) => {
      throw new Error(`${String(e)}: ${JSON.stringify(closed.filter((c) => c.who === stalled.name && c.at > stallAt))} vs ${stalledStreams.length}`);
    });
    console.info(`scale-out: stalled ${stalled.name} for ${Date.now() - stallAt} ms; ${stalledStreams.length} streams moved to ${other.name}; ${handovers.length} handovers on waking`);
    await Promise.all(playing);

    // Exactly one consumer at every moment: per stream, once another instance starts receiving, the previous never
    // receives again; and nobody but the owner of the moment receives.
    for (const [id, r] of receipts) {
      const order = [...r].sort((a, b) => a.at - b.at).map((x) => x.who);
      const runs = order.filter((w, i) => i === 0 || w !== order[i - 1]);
      expect(new Set(runs).size, `stream ${id}: ${runs.join(' -> ')}`).toBe(runs.length);
      const moves = (victimStreams.has(id) ? 1 : 0) + (stalledStreams.includes(id) ? 1 : 0);
      expect(runs.length, `stream ${id}: ${runs.join(' -> ')}; victim ${victim.name}, stalled ${stalled.name}; ${JSON.stringify(sessions.filter((x) => x.streamId === id))} ${JSON.stringify(closed.filter((x) => x.streamId === id))}`).toBeLessThanOrEqual(1 + moves);
    }
    expect(victimStreams.size).toBeGreaterThan(0);

    // Stop everything through whichever instance: routed to the owners.
    const survivors = instances.filter((i) => i.alive);
    await Promise.all(streams.filter((s) => s !== stopMe).map((s, k) => postWebhook(hook(survivors[k % survivors.length]!), s.webhook('stopped'))));
    await Promise.all(streams.map((s) => s.socketsClosed(10_000)));
    for (const i of survivors) {
      const bye = new Promise<void>((resolve) => i.child.once('exit', () => resolve()));
      i.child.send({ type: 'shutdown' });
      await bye;
    }
    // Every stream ended by its stop webhook on whichever instance owned it then (the victim never reported).
    expect(new Set(closed.filter((c) => c.cause === 'webhook_stopped').map((c) => c.streamId)).size).toBe(30);
  }, 90_000);
});
