/**
 * Redis trouble with three app instances (child processes) and twelve streaming meetings, against a redis-server
 * these tests pause, restart and flush. The targets of issue #14, with a 2 s lease:
 *
 * - A Redis pause of 4 × the lease ends no stream, and the media gap of healthy streams stays under 1 s. Webhooks
 *   that arrive meanwhile (a new stream, a stop, an interrupted, a duplicate start) are answered well within
 *   Zoom's 3 s and never hang on a claim.
 * - A Redis restart that lost every key (and a FLUSHALL) ends no stream; leases and records are re-registered,
 *   and a later instance crash is still taken over within lease + scan + reconnect.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { RtmsSimulator, type SimulatedStream } from '../../src/testing/index.js';
import { CREDS, until } from '../helpers.js';
import { Cluster } from './cluster.js';
import { ownRedisPerFile, peekKeys } from './redis-server.js';

const own = ownRedisPerFile();
const canRun = own.canRun;

const LEASE = 2_000;
const SCAN = 200;
/** Reconnect allowance in the takeover bound: handshakes on loopback plus the first backoff (200 ms ± 20 %). */
const RECONNECT = 1_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Reads keys on a fresh connection. */
const peek = (keys: string[]) => peekKeys(own.redis.url, keys);

async function setup(n: number) {
  const prefix = `oc${process.pid}-${Date.now()}:`;
  const sim = await RtmsSimulator.start({ ...CREDS, keepAliveIntervalMs: 1_000 });
  onTestFinished(() => sim.close());
  const cluster = new Cluster({ redisUrl: own.redis.url, prefix, creds: CREDS, leaseMs: LEASE, renewIntervalMs: 500, scanIntervalMs: SCAN });
  onTestFinished(() => cluster.close());
  const instances = await Promise.all(['A', 'B', 'C'].map((name) => cluster.add(name)));
  const streams: SimulatedStream[] = Array.from({ length: n }, () => sim.createStream());
  const responses = await Promise.all(streams.map((s, k) => cluster.post(instances[k % 3]!, s.webhook('started'))));
  expect(responses.map((r) => r.status)).toEqual(streams.map(() => 200));
  await Promise.all(streams.map((s) => s.ready(15_000)));
  const playing: Promise<void>[] = [];
  const play = (s: SimulatedStream, ms: number) =>
    playing.push(s.playMeeting({ durationMs: ms, audioFrameMs: 40, audioFrameBytes: 1280, transcriptEveryMs: 2_000, speakerEvents: false }));
  return { prefix, sim, cluster, instances, streams, playing, play };
}

/** SIGKILLs the busiest instance and measures takeover (kill → resumed session) and media gap per stream. */
async function killAndMeasure(cluster: Cluster, exclude: Set<string>) {
  const alive = cluster.running();
  const victim = [...alive].sort((a, b) => cluster.held(b.name).length - cluster.held(a.name).length)[0]!;
  const victimStreams = cluster.held(victim.name).filter((id) => !exclude.has(id));
  expect(victimStreams.length).toBeGreaterThan(0);
  const killAt = Date.now();
  cluster.signal(victim, 'SIGKILL');
  await until(
    () => victimStreams.every((id) => cluster.sessions.some((s) => s.streamId === id && s.resumed && s.who !== victim.name && s.at > killAt)),
    15_000,
    'takeovers after SIGKILL',
  );
  await until(() => victimStreams.every((id) => (cluster.receipts.get(id) ?? []).some((x) => x.who !== victim.name && x.at > killAt)), 10_000, 'media after takeover');
  const takeover: number[] = [];
  const gaps: number[] = [];
  for (const id of victimStreams) {
    takeover.push(cluster.sessions.find((s) => s.streamId === id && s.resumed && s.at > killAt)!.at - killAt);
    const r = cluster.sorted(id);
    const before = r.filter((x) => x.who === victim.name).at(-1)?.at ?? killAt;
    const after = r.find((x) => x.who !== victim.name && x.at > killAt)!.at;
    gaps.push(after - before);
  }
  return { victim, victimStreams, takeover, gaps };
}

function healthyGaps(cluster: Cluster, ids: string[], from: number, to: number): number[] {
  return ids.map((id) => cluster.maxGap(id, from, to).gap);
}

describe.skipIf(!canRun)('three instances through Redis trouble (2 s lease)', () => {
  it('a Redis pause of 4 × the lease ends no stream; webhooks meanwhile are answered at once; a later SIGKILL is taken over', async () => {
    const { prefix, sim, cluster, instances, streams, play, playing } = await setup(12);
    for (const s of streams) play(s, 30_000);
    await sleep(1_000);
    const A = instances[0]!;
    const ownerOf = (s: SimulatedStream) => cluster.holders(s.streamId)[0];

    const pauseAt = Date.now();
    own.redis.pause();
    let resumeAt = 0;
    const answers: { what: string; status: number; ms: number; body: string }[] = [];
    const stopped = streams[0]!; // its stop webhook lands on an instance that does not own it
    const dropped = streams[1]!; // loses signaling mid-outage; its rtms_interrupted lands on a non-owner
    const duplicated = streams[2]!; // a duplicate rtms_started lands on a non-owner mid-outage
    let fresh: SimulatedStream | undefined;
    try {
      await until(() => cluster.statuses.filter((s) => s.state === 'unreachable' && s.at >= pauseAt).length === 3, 3_000, 'all three degraded');
      const notOwner = (s: SimulatedStream) => instances.find((i) => i.name !== ownerOf(s))!;

      fresh = sim.createStream();
      const started = await cluster.post(A, fresh.webhook('started'));
      answers.push({ what: 'new rtms_started', ...started });
      play(fresh, 20_000);

      stopped.terminate();
      answers.push({ what: 'rtms_stopped (not the owner)', ...(await cluster.post(notOwner(stopped), stopped.webhook('stopped'))) });

      dropped.dropSocket('signaling');
      answers.push({ what: 'rtms_interrupted (not the owner)', ...(await cluster.post(notOwner(dropped), dropped.webhook('interrupted'))) });

      answers.push({ what: 'duplicate rtms_started (not the owner)', ...(await cluster.post(notOwner(duplicated), duplicated.webhook('started'))) });

      await fresh.ready(5_000); // a new stream starts although Redis cannot register it
      await sleep(Math.max(0, pauseAt + 4 * LEASE - Date.now()));
    } finally {
      own.redis.resume();
      resumeAt = Date.now();
    }
    console.info(`redis pause: ${resumeAt - pauseAt} ms; webhooks meanwhile: ${answers.map((a) => `${a.what} ${a.status} in ${a.ms} ms (${a.body})`).join('; ')}`);
    for (const a of answers) {
      expect(a.status, a.what).toBe(200);
      expect(a.ms, a.what).toBeLessThan(1_500); // Zoom's timeout is 3 s
    }
    await until(() => cluster.statuses.filter((s) => s.state === 'ok' && s.at >= resumeAt).length === 3, 5_000, 'all three reachable again');
    await sleep(LEASE + 1_000); // re-registration, then past the takeover grace

    const special = new Set([stopped.streamId, dropped.streamId, duplicated.streamId, fresh!.streamId]);
    const healthy = streams.filter((s) => !special.has(s.streamId)).map((s) => s.streamId);
    const gaps = healthyGaps(cluster, healthy, pauseAt, Date.now());
    const droppedGap = cluster.maxGap(dropped.streamId, pauseAt, Date.now()).gap;
    console.info(`redis pause: healthy media gap max ${Math.max(...gaps)} ms over ${healthy.length} streams; signaling drop during the pause: gap ${droppedGap} ms`);
    expect(Math.max(...gaps)).toBeLessThan(1_000);
    expect(droppedGap).toBeLessThan(3_000);

    // Nothing ended but the stopped stream (and the duplicate's refused second session); nothing was resumed.
    const ends = cluster.closed.filter((c) => c.at >= pauseAt && c.streamId !== stopped.streamId && c.streamId !== duplicated.streamId);
    expect(ends).toEqual([]);
    expect(cluster.sessions.filter((s) => s.resumed)).toEqual([]);
    // The duplicate: Zoom refused the second connection; exactly one instance holds the stream now.
    expect(cluster.holders(duplicated.streamId)).toHaveLength(1);
    expect(cluster.overlaps()).toEqual([]);
    // The stream started during the outage is registered to its instance; the stopped one is forgotten.
    expect(await peek([`${prefix}lease:${fresh!.streamId}`, `${prefix}stream:${stopped.streamId}`, `${prefix}lease:${stopped.streamId}`])).toEqual(['A', null, null]);
    // Every stream still running is registered to the instance that streams it.
    for (const s of [...streams, fresh!].filter((x) => x !== stopped)) {
      expect((await peek([`${prefix}lease:${s.streamId}`]))[0], s.streamId).toBe(ownerOf(s));
    }

    const k = await killAndMeasure(cluster, new Set([stopped.streamId]));
    console.info(
      `redis pause, then SIGKILL of ${k.victim.name}: ${k.victimStreams.length} streams; takeover max ${Math.max(...k.takeover)} ms, media gap max ${Math.max(...k.gaps)} ms`,
    );
    expect(Math.max(...k.takeover)).toBeLessThan(LEASE + SCAN + RECONNECT);
    expect(cluster.overlaps()).toEqual([]);
    await Promise.all(playing);
  }, 90_000);

  it('a Redis restart that lost every key, then a FLUSHALL, end no stream; a later SIGKILL is still taken over', async () => {
    const { prefix, cluster, streams, play, playing } = await setup(12);
    for (const s of streams) play(s, 25_000);
    await sleep(1_000);
    const registered = async () => {
      const leases = await peek(streams.map((s) => `${prefix}lease:${s.streamId}`));
      const records = await peek(streams.map((s) => `${prefix}stream:${s.streamId}`));
      return streams.every((s, k) => leases[k] === cluster.holders(s.streamId)[0] && records[k] !== null);
    };

    const restartAt = Date.now();
    await own.redis.restart(500);
    let ok = false;
    for (let i = 0; i < 100 && !ok; i++) {
      ok = await registered();
      if (!ok) await sleep(50);
    }
    const reRegisteredIn = Date.now() - restartAt;
    expect(ok).toBe(true);

    await sleep(1_000);
    const flushAt = Date.now();
    await own.redis.flush();
    ok = false;
    for (let i = 0; i < 100 && !ok; i++) {
      ok = await registered();
      if (!ok) await sleep(50);
    }
    const reFlushedIn = Date.now() - flushAt;
    expect(ok).toBe(true);
    await sleep(LEASE + 500); // past any takeover grace
    const ids = streams.map((s) => s.streamId);
    const gaps = healthyGaps(cluster, ids, restartAt, Date.now());
    console.info(`redis restart (500 ms down, no data): re-registered in ${reRegisteredIn} ms; FLUSHALL: re-registered in ${reFlushedIn} ms; media gap max ${Math.max(...gaps)} ms`);
    expect(Math.max(...gaps)).toBeLessThan(1_000);
    expect(cluster.closed).toEqual([]);
    expect(cluster.handovers).toEqual([]);
    expect(cluster.sessions.filter((s) => s.resumed)).toEqual([]);

    const k = await killAndMeasure(cluster, new Set());
    console.info(
      `redis restart + flush, then SIGKILL of ${k.victim.name}: ${k.victimStreams.length} streams; takeover max ${Math.max(...k.takeover)} ms, media gap max ${Math.max(...k.gaps)} ms`,
    );
    expect(Math.max(...k.takeover)).toBeLessThan(LEASE + SCAN + RECONNECT);
    expect(cluster.overlaps()).toEqual([]);
    await Promise.all(playing);
  }, 90_000);
});
