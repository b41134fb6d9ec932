/**
 * `npm run bench:media`: what `rtms-client/media` costs, on this machine, one core per figure.
 *
 *   1. Decode: each codec's fixture (test/fixtures/media) in 20 ms packets through `createAudioDecoder`, looped
 *      for BENCH_DECODE_S seconds of audio; the figure is audio time / CPU time (× real time, one core). Opus
 *      stereo is a real stereo stream that ffmpeg encodes from the fixture at start (libopus, 64 kbit/s); without
 *      ffmpeg the mono packets go through a stereo decoder, and the row says so.
 *   2. Mix: an `AudioTimeline` (16 kHz mono out, 100 ms chunks, per-track output on) with N speakers all
 *      talking, fed decoded 20 ms frames; × real time for the whole timeline and per stream.
 *   3. Recording overhead: the same simulated meetings (the simulator in a child process, loopback, L16 16 kHz
 *      one stream per participant, the recorded sentence, transcripts, chat) received by the SDK with counting
 *      listeners only, then also recorded by `recordSession`; CPU per audio frame of this process, both ways.
 *   4. Scale: BENCH_MEETINGS (100) simultaneous real-time meetings recorded for BENCH_MEETING_S seconds: audio
 *      frames, samples, caption cues and chat lines sent by the simulator against those the recordings wrote.
 *      Zero lost is the target.
 *   5. Heap over a one-hour recording at an accelerated rate: `recordSession` on an in-process session fed an
 *      hour of three speakers' 20 ms frames, a transcript line a second and a chat line a minute, as fast as the
 *      files take it; heap used after GC every 5 simulated minutes.
 *   6. A/V sync over a simulated hour: `recordSession` on an in-process session fed an hour of mixed audio (the
 *      recorded sentence) and the simulator's H.264 active-speaker video at 15 fps, timestamped on one clock, as
 *      fast as the muxer takes it. Every minute the audio frame at that time carries a click instead of speech;
 *      ffmpeg decodes the MP4's audio and ffprobe lists its video packets, and the sync error is the click's
 *      time in the file minus the time of the video frame with the same RTMS timestamp. Needs ffmpeg/ffprobe
 *      and the optional `mediabunny`.
 *
 * `--short` (or BENCH_SHORT=1): smaller figures that finish in under a minute. Environment: BENCH_DECODE_S,
 * BENCH_MIX_S, BENCH_OVERHEAD_MEETINGS, BENCH_OVERHEAD_S, BENCH_MEETINGS, BENCH_MEETING_S, BENCH_HEAP_MIN, BENCH_AV_MIN,
 * BENCH_AV_SKEW_MS (shifts the video's timestamps, to see the sync measurement catch it), BENCH_AV_FILE_MIN (the
 * recorder's `videoMaxFileMs` in minutes; default its own, an hour).
 */
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { EventEmitter } from 'eventemitter3';
import type { AudioFormat, AudioFrame, ChatMessage, TranscriptEvent, VideoFrame } from '../src/index.js';
import { RtmsClient } from '../src/index.js';
import { AudioTimeline, createAudioDecoder, recordSession, type RecordingResult } from '../src/media/index.js';
import { readOgg, speechPacket, videoFrames } from '../src/testing/media-fixtures-packets.js';
import { RtmsSimulator, type SimulatedStream, type SignedWebhook } from '../src/testing/index.js';

const SELF = fileURLToPath(import.meta.url);
const ROOT = join(SELF, '..', '..');
const FIX = join(ROOT, 'test', 'fixtures', 'media');
const CREDS = { clientId: 'bench-media-id', clientSecret: 'bench-media-secret', webhookSecretToken: 'bench-media-token' };
const SHORT = process.argv.includes('--short') || process.env['BENCH_SHORT'] === '1';
const num = (name: string, full: number, short: number): number => Number(process.env[name] ?? (SHORT ? short : full));

// ---------------------------------------------------------------------------------------------------------
// The simulator child: runs meetings when asked, reports what it sent
// ---------------------------------------------------------------------------------------------------------

interface Sent {
  audio: number;
  transcripts: number;
  chats: number;
}
type ToChild = { cmd: 'meetings'; n: number; durationMs: number; chatEveryMs: number } | { cmd: 'exit' };
type FromChild = { type: 'started'; webhooks: SignedWebhook[] } | { type: 'done'; sent: Sent[]; stopped: SignedWebhook[]; violations: number };

async function child(): Promise<void> {
  const sim = await RtmsSimulator.start({ ...CREDS, keepAliveIntervalMs: 10_000 });
  const send = (m: FromChild) => process.send?.(m);
  process.on('disconnect', () => void sim.close().then(() => process.exit(0)));
  process.on('message', (m: ToChild) => {
    if (m.cmd === 'exit') {
      void sim.close().then(() => process.exit(0));
      return;
    }
    void (async () => {
      const streams: SimulatedStream[] = Array.from({ length: m.n }, () => sim.createStream({ product: 'meeting' }));
      const sent: Sent[] = streams.map(() => ({ audio: 0, transcripts: 0, chats: 0 }));
      streams.forEach((s, i) => {
        // Count what actually went out (the script calls the stream's own senders).
        const count = <K extends 'sendAudio' | 'sendTranscript' | 'sendChat'>(method: K, field: keyof Sent) => {
          const orig = s[method].bind(s) as (x: never) => boolean;
          (s as unknown as Record<string, unknown>)[method] = (x: never) => {
            const ok = orig(x);
            if (ok) sent[i]![field]++;
            return ok;
          };
        };
        count('sendAudio', 'audio');
        count('sendTranscript', 'transcripts');
        count('sendChat', 'chats');
      });
      send({ type: 'started', webhooks: streams.map((s) => s.webhook('started')) });
      await Promise.all(streams.map((s) => s.ready(60_000)));
      const chats = streams.map((s, i) =>
        setInterval(() => s.sendChat({ data: JSON.stringify({ text: `note ${sent[i]!.chats + 1}` }), userId: 16778240, userName: 'Ada Lovelace' }), m.chatEveryMs),
      );
      await Promise.all(streams.map((s) => s.playMeeting({ durationMs: m.durationMs, speech: true, video: false, share: false })));
      for (const c of chats) clearInterval(c);
      const violations = streams.reduce((n, s) => n + s.errors.length, 0);
      send({ type: 'done', sent, stopped: streams.map((s) => s.webhook('stopped')), violations });
      for (const s of streams) void s.socketsClosed(30_000).then(() => sim.deleteStream(s.streamId), () => undefined);
    })();
  });
  send({ type: 'started', webhooks: [] });
}

// ---------------------------------------------------------------------------------------------------------
// Measuring
// ---------------------------------------------------------------------------------------------------------

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** CPU seconds (user + system, every thread of this process) that `fn` takes. */
async function cpuOf(fn: () => unknown): Promise<number> {
  const t = process.cpuUsage();
  await fn();
  const d = process.cpuUsage(t);
  return (d.user + d.system) / 1e6;
}

const fmtX = (x: number): string => `${x >= 100 ? x.toFixed(0) : x.toFixed(1)}x`;
const row = (cells: (string | number)[], widths: number[]): string => cells.map((c, i) => String(c).padEnd(widths[i] ?? 12)).join(' ');

function format(p: Partial<AudioFormat>): AudioFormat {
  return { contentType: 'raw', codec: 'L16', sampleRate: 16000, channels: 1, sendRate: 20, dataOption: 'mixed', ...p };
}

/** Slices `bytes` into `size`-byte packets. */
function slices(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let o = 0; o + size <= bytes.length; o += size) out.push(bytes.subarray(o, o + size));
  return out;
}

/** Opus packets of an Ogg file (OpusHead and OpusTags left out). */
function opusPackets(file: Uint8Array): Uint8Array[] {
  const r = readOgg(file);
  if ('error' in r) throw new Error(r.error);
  return r.packets.slice(2);
}

/** A real stereo Opus stream of the fixture (ffmpeg, libopus), or undefined without ffmpeg. */
function stereoOpus(): Uint8Array[] | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'bench-media-'));
  try {
    const out = join(dir, 'stereo.opus');
    const r = spawnSync('ffmpeg', ['-nostdin', '-v', 'error', '-f', 's16le', '-ar', '16000', '-ac', '1', '-i', join(FIX, 'speech-16k.s16le'), '-af', 'aresample=48000,pan=stereo|c0=c0|c1=-0.7*c0', '-c:a', 'libopus', '-b:a', '64k', '-frame_duration', '20', out]);
    if (r.status !== 0) return undefined;
    return opusPackets(readFileSync(out));
  } catch {
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchDecode(): Promise<Record<string, number>> {
  const seconds = num('BENCH_DECODE_S', 120, 20);
  const stereo = stereoOpus();
  const cases: [string, AudioFormat, Uint8Array[], number][] = [
    ['L16 16 kHz mono', format({}), slices(readFileSync(join(FIX, 'speech-16k.s16le')), 640), 20],
    ['G.711 A-law 8 kHz', format({ codec: 'G711', sampleRate: 8000 }), slices(readFileSync(join(FIX, 'speech.alaw')), 160), 20],
    ['G.722 16 kHz', format({ codec: 'G722' }), slices(readFileSync(join(FIX, 'speech.g722')), 160), 20],
    ['Opus 48 kHz mono', format({ codec: 'OPUS', sampleRate: 48000 }), opusPackets(readFileSync(join(FIX, 'speech.opus'))), 20],
    [
      // The TOC byte's `s` bit (0x04) marks a stereo packet (RFC 6716 §3.1).
      stereo ? `Opus 48 kHz stereo (${Math.round((100 * stereo.filter((p) => ((p[0] ?? 0) & 0x04) !== 0).length) / stereo.length)} % stereo packets)` : 'Opus 48 kHz stereo (mono packets: no ffmpeg)',
      format({ codec: 'OPUS', sampleRate: 48000, channels: 2 }),
      stereo ?? opusPackets(readFileSync(join(FIX, 'speech.opus'))),
      20,
    ],
  ];
  console.log(`\n## 1. Decode cost (${seconds} s of audio per codec, one core)\n`);
  const w = [44, 12, 14, 12];
  console.log(row(['codec', 'CPU s', 'x real time', 'µs/packet'], w));
  const out: Record<string, number> = {};
  for (const [name, fmt, packets, ms] of cases) {
    let dec;
    try {
      dec = await createAudioDecoder(fmt);
    } catch (err) {
      console.log(row([name, '-', `skipped: ${err instanceof Error ? err.message : String(err)}`], w));
      continue;
    }
    const n = Math.round((seconds * 1000) / ms);
    for (let i = 0; i < 200; i++) dec.decode(packets[i % packets.length]!); // warm-up
    gc();
    const cpu = await cpuOf(() => {
      for (let i = 0; i < n; i++) dec.decode(packets[i % packets.length]!);
    });
    if (dec.errors > 0) throw new Error(`${name}: ${dec.errors} decode errors`);
    dec.close();
    out[name] = seconds / cpu;
    console.log(row([name, cpu.toFixed(3), fmtX(seconds / cpu), ((cpu * 1e6) / n).toFixed(1)], w));
  }
  return out;
}

async function benchMix(): Promise<void> {
  const seconds = num('BENCH_MIX_S', 60, 15);
  console.log(`\n## 2. Mix cost (AudioTimeline, 16 kHz mono out, 100 ms chunks, every speaker talking; ${seconds} s of meeting)\n`);
  const w = [34, 10, 16, 16];
  console.log(row(['speakers (input)', 'CPU s', 'x RT (timeline)', 'x RT per stream'], w));
  for (const [speakers, rate] of [
    [1, 16000],
    [3, 16000],
    [10, 16000],
    [50, 16000],
    [3, 48000],
  ] as const) {
    const frame = Int16Array.from({ length: (rate / 1000) * 20 }, (_, i) => Math.round(8000 * Math.sin(i / 7)));
    const warm = new AudioTimeline({ sampleRate: 16000, chunkMs: 100, start: 0 });
    for (let k = 0; k < 250; k++) for (let s = 0; s < speakers; s++) warm.push({ key: `user:${s + 1}`, pcm: frame, sampleRate: rate, channels: 1, timestamp: k * 20 });
    warm.end();
    const tl = new AudioTimeline({ sampleRate: 16000, chunkMs: 100, start: 0 });
    let chunks = 0;
    tl.onChunk(() => chunks++);
    const frames = (seconds * 1000) / 20;
    gc();
    const cpu = await cpuOf(() => {
      for (let k = 0; k < frames; k++) for (let s = 0; s < speakers; s++) tl.push({ key: `user:${s + 1}`, pcm: frame, sampleRate: rate, channels: 1, timestamp: k * 20 });
      tl.end();
    });
    if (tl.stats.placed !== frames * speakers) throw new Error(`mix: ${tl.stats.placed} of ${frames * speakers} placed`);
    console.log(row([`${speakers} x ${rate / 1000} kHz mono`, cpu.toFixed(3), fmtX(seconds / cpu), fmtX((seconds * speakers) / cpu)], w));
  }
}

// ---------------------------------------------------------------------------------------------------------
// Meetings over loopback
// ---------------------------------------------------------------------------------------------------------

interface MeetingRun {
  meetings: number;
  seconds: number;
  cpu: number;
  framesReceived: number;
  sent: Sent[];
  results: RecordingResult[];
  violations: number;
}

function nextMessage(sim: ChildProcess, type: FromChild['type']): Promise<FromChild> {
  return new Promise((resolve) => {
    const on = (m: FromChild) => {
      if (m.type !== type) return;
      sim.off('message', on);
      resolve(m);
    };
    sim.on('message', on);
  });
}

async function runMeetings(sim: ChildProcess, n: number, seconds: number, record: boolean): Promise<MeetingRun> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-media-rec-'));
  const client = new RtmsClient({ ...CREDS, media: ['audio', 'transcript', 'chat'], mediaParams: { audio: { dataOption: 'multi' } } });
  let framesReceived = 0;
  const recordings: Promise<RecordingResult>[] = [];
  client.on('session', (session) => {
    session.on('audio', () => framesReceived++);
    session.on('transcript', () => undefined);
    session.on('chat', () => undefined);
    if (record) recordings.push(recordSession(session, { dir, name: session.id }).done);
  });
  const started = nextMessage(sim, 'started');
  sim.send({ cmd: 'meetings', n, durationMs: seconds * 1000, chatEveryMs: 5_000 } satisfies ToChild);
  const { webhooks } = (await started) as Extract<FromChild, { type: 'started' }>;
  const done = nextMessage(sim, 'done');
  gc();
  const t = process.cpuUsage();
  await Promise.all(webhooks.map((w) => client.handleWebhook(w)));
  const end = (await done) as Extract<FromChild, { type: 'done' }>;
  await Promise.all(end.stopped.map((w) => client.handleWebhook(w)));
  await Promise.all([...client.sessions.values()].map((s) => s.closed()));
  const results = await Promise.all(recordings);
  const d = process.cpuUsage(t);
  await client.close();
  rmSync(dir, { recursive: true, force: true });
  return { meetings: n, seconds, cpu: (d.user + d.system) / 1e6, framesReceived, sent: end.sent, results, violations: end.violations };
}

async function benchOverhead(sim: ChildProcess): Promise<void> {
  const n = num('BENCH_OVERHEAD_MEETINGS', 20, 10);
  const seconds = num('BENCH_OVERHEAD_S', 10, 5);
  console.log(`\n## 3. Recording overhead (${n} meetings x ${seconds} s over loopback, L16 16 kHz per speaker, transcripts, chat)\n`);
  const w = [30, 10, 12, 14];
  console.log(row(['', 'CPU s', 'frames', 'µs CPU/frame'], w));
  const plain = await runMeetings(sim, n, seconds, false);
  const rec = await runMeetings(sim, n, seconds, true);
  const per = (r: MeetingRun) => (r.cpu * 1e6) / Math.max(1, r.framesReceived);
  console.log(row(['streaming only', plain.cpu.toFixed(2), plain.framesReceived, per(plain).toFixed(1)], w));
  console.log(row(['streaming + recordSession', rec.cpu.toFixed(2), rec.framesReceived, per(rec).toFixed(1)], w));
  console.log(`\nrecording overhead: ${(per(rec) - per(plain)).toFixed(1)} µs CPU per audio frame (x${(per(rec) / per(plain)).toFixed(2)} streaming alone)`);
}

async function benchScale(sim: ChildProcess): Promise<boolean> {
  const n = num('BENCH_MEETINGS', 100, 100);
  const seconds = num('BENCH_MEETING_S', 30, 10);
  console.log(`\n## 4. ${n} simultaneous real-time meetings recorded for ${seconds} s (audio per speaker + captions + chat)\n`);
  const r = await runMeetings(sim, n, seconds, true);
  const sum = (f: (s: Sent) => number) => r.sent.reduce((a, s) => a + f(s), 0);
  const sentFrames = sum((s) => s.audio);
  const sentSamples = sentFrames * 320; // 20 ms at 16 kHz
  const placed = r.results.reduce((a, x) => a + x.stats.placed, 0);
  const written = r.results.reduce((a, x) => a + x.samples, 0);
  const dropped = r.results.reduce((a, x) => a + x.stats.late + x.stats.duplicates + x.stats.outOfRange + x.stats.format + x.stats.decodeErrors, 0);
  const cues = r.results.reduce((a, x) => a + x.cues, 0);
  const chats = r.results.reduce((a, x) => a + x.chatMessages, 0);
  const errors = r.results.flatMap((x) => x.errors);
  const w = [26, 14, 14];
  console.log(row(['', 'sent', 'recorded'], w));
  console.log(row(['audio frames', sentFrames, placed], w));
  console.log(row(['audio samples (16 kHz)', sentSamples, written], w));
  console.log(row(['caption cues', sum((s) => s.transcripts), cues], w));
  console.log(row(['chat lines', sum((s) => s.chats), chats], w));
  console.log(row(['frames dropped', '', dropped], w));
  console.log(`\nrecordings ${r.results.length} of ${n}; file errors ${errors.length}; protocol violations ${r.violations}; CPU ${r.cpu.toFixed(1)} s for ${seconds} s (${((100 * r.cpu) / seconds).toFixed(0)} % of one core)`);
  const zero =
    r.results.length === n && placed === sentFrames && written === sentSamples && dropped === 0 && cues === sum((s) => s.transcripts) && chats === sum((s) => s.chats) && errors.length === 0;
  console.log(`ZERO frames lost: ${zero ? 'yes' : 'NO'}`);
  return zero;
}

// ---------------------------------------------------------------------------------------------------------
// One hour, accelerated
// ---------------------------------------------------------------------------------------------------------

async function benchHeap(): Promise<void> {
  const minutes = num('BENCH_HEAP_MIN', 60, 10);
  console.log(`\n## 5. Heap over a ${minutes}-minute recording at an accelerated rate (3 speakers in turn, 16 kHz per-speaker WAVs, captions, chat)\n`);
  const dir = mkdtempSync(join(tmpdir(), 'bench-media-hour-'));
  const emitter = new EventEmitter();
  let close!: () => void;
  const closed = new Promise<void>((r) => (close = r));
  const session = Object.assign(emitter, { id: 'hour', closed: () => closed });
  const rec = recordSession(session as unknown as Parameters<typeof recordSession>[0], { dir });
  const fmt = format({ dataOption: 'multi' });
  const applied = { codec: 'L16', sampleRate: 16000, channels: 1, sendRate: 20, multiStream: true } as const;
  const speakers = [
    [16778240, 'Ada Lovelace'],
    [16779264, 'Grace Hopper'],
    [16780288, 'Alan Turing'],
  ] as const;
  const packets = Array.from({ length: 50 }, (_, k) => Buffer.from(speechPacket(applied, k * 20, 20)));
  const t0 = 1_764_460_800_000;
  const framesPerMinute = 3000;
  const samples: { minute: number; heapMiB: number }[] = [];
  const started = Date.now();
  const cpu = await cpuOf(async () => {
    for (let minute = 0; minute < minutes; minute++) {
      for (let f = 0; f < framesPerMinute; f++) {
        const k = minute * framesPerMinute + f;
        const ts = t0 + k * 20;
        const [userId, userName] = speakers[Math.floor(k / 50) % 3]!;
        emitter.emit('audio', { data: packets[k % 50]!, userId, userName, channelId: undefined, timestamp: ts, format: fmt, content: {} } as unknown as AudioFrame);
        if (k % 50 === 49) {
          const at = ts - 980;
          emitter.emit('transcript', { text: 'Hello from the meeting.', userId, userName, channelId: undefined, timestamp: ts + 20, startTime: at + 12, endTime: at + 970, language: 9, content: {} } as unknown as TranscriptEvent);
        }
        // Give the event loop a turn now and then, as a live meeting does.
        if (f % 500 === 499) await new Promise((r) => setImmediate(r));
      }
      emitter.emit('chat', { text: `minute ${minute + 1}`, userId: 16778240, userName: 'Ada Lovelace', timestamp: t0 + (minute + 1) * 60_000, content: {} } as unknown as ChatMessage);
      if ((minute + 1) % 5 === 0 || minute === 0) {
        gc();
        samples.push({ minute: minute + 1, heapMiB: process.memoryUsage().heapUsed / 2 ** 20 });
      }
    }
    close();
    await rec.done;
  });
  const r = await rec.done;
  rmSync(dir, { recursive: true, force: true });
  console.log(samples.map((s) => `${String(s.minute).padStart(3)} min ${s.heapMiB.toFixed(1).padStart(6)} MiB`).join('\n'));
  const first = samples[0]!.heapMiB;
  const max = Math.max(...samples.map((s) => s.heapMiB));
  const last = samples[samples.length - 1]!.heapMiB;
  console.log(
    `\n${minutes} min recorded in ${((Date.now() - started) / 1000).toFixed(1)} s (${fmtX((minutes * 60) / cpu)} real time, CPU ${cpu.toFixed(1)} s); ` +
      `heap after GC: first ${first.toFixed(1)} MiB, max ${max.toFixed(1)}, last ${last.toFixed(1)} (growth ${(last - first).toFixed(1)} MiB); ` +
      `wrote ${(r.durationMs / 60_000).toFixed(1)} min, ${r.tracks.length} tracks, ${r.cues} cues, ${r.chatMessages} chat lines; dropped ${r.stats.late + r.stats.duplicates + r.stats.outOfRange}`,
  );
}

// ---------------------------------------------------------------------------------------------------------
// A/V sync over an hour, accelerated
// ---------------------------------------------------------------------------------------------------------

async function benchAvSync(): Promise<void> {
  const minutes = num('BENCH_AV_MIN', 60, 5);
  console.log(`\n## 6. A/V sync over a ${minutes}-minute recording at an accelerated rate (mixed audio + H.264 video at 15 fps, MP4)\n`);
  if (spawnSync('ffprobe', ['-version']).status !== 0 || spawnSync('ffmpeg', ['-version']).status !== 0) {
    console.log('not measured: ffmpeg/ffprobe are not on PATH (apt-get install ffmpeg)');
    return;
  }
  if (!(await import('mediabunny').then(() => true, () => false))) {
    console.log('video recording not available: the optional peer dependency mediabunny is not installed');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'bench-media-av-'));
  const emitter = new EventEmitter();
  let close!: () => void;
  const closed = new Promise<void>((r) => (close = r));
  const session = Object.assign(emitter, { id: 'av', closed: () => closed });
  // BENCH_AV_FILE_MIN: the recorder's videoMaxFileMs, in minutes (default: the recorder's own, an hour).
  const fileMin = process.env['BENCH_AV_FILE_MIN'];
  const rec = recordSession(session as unknown as Parameters<typeof recordSession>[0], {
    dir,
    perTrack: false,
    captions: false,
    chat: false,
    ...(fileMin === undefined ? {} : { videoMaxFileMs: Number(fileMin) * 60_000 }),
  });
  const fmt = format({});
  const vfmt = { codec: 'H264', resolution: 'HD', fps: 15 } as const;
  const applied = { codec: 'L16', sampleRate: 16000, channels: 1, sendRate: 20, multiStream: false } as const;
  const speech = Array.from({ length: 50 }, (_, k) => Buffer.from(speechPacket(applied, k * 20, 20)));
  const click = Buffer.alloc(640);
  click.writeInt16LE(30_000, 0); // the packet's first sample: the marker's own time
  const frames = videoFrames('video');
  const t0 = 1_764_460_800_000;
  const totalMs = minutes * 60_000;
  const markEveryMs = 60_000;
  const heap: string[] = [];
  const started = Date.now();
  let v = 0;
  // BENCH_AV_SKEW_MS shifts the video's timestamps: a check that the measurement sees a skew (it reports it).
  const skew = Number(process.env['BENCH_AV_SKEW_MS'] ?? 0);
  const vts = (j: number) => t0 + skew + Math.round((j * 1000) / 15);
  for (let ms = 0; ms < totalMs; ms += 20) {
    const ts = t0 + ms;
    // Video frames due by this audio frame's time go first, as they would arrive.
    while (vts(v) <= ts) {
      emitter.emit('video', { data: Buffer.from(frames[v % frames.length]!), userId: 16778240, userName: 'Ada Lovelace', timestamp: vts(v), format: vfmt, content: {} } as unknown as VideoFrame);
      v++;
    }
    emitter.emit('audio', { data: ms % markEveryMs === 0 ? click : speech[(ms / 20) % 50]!, userId: 0, userName: undefined, channelId: undefined, timestamp: ts, format: fmt, content: {} } as unknown as AudioFrame);
    // The muxer writes asynchronously: give it turns, as a live meeting's pace would.
    if ((ms / 20) % 25 === 24) await new Promise((r) => setImmediate(r));
    if (ms % 600_000 === 0) {
      gc();
      heap.push(`${String(ms / 60_000).padStart(3)} min ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(1).padStart(6)} MiB`);
    }
  }
  close();
  const r = await rec.done;
  gc();
  heap.push(`end     ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(1).padStart(6)} MiB`);
  const wall = (Date.now() - started) / 1000;
  const files = r.video.files;
  console.log(`recorded in ${wall.toFixed(1)} s: ${files.length} MP4 file(s), ${r.video.frames} of ${r.video.received} video frames written (dropped ${r.video.dropped}, retimed ${r.video.retimed}), audio silence filled ${r.video.audioSilenceMs} ms, errors ${r.errors.length}`);
  console.log(`heap after GC: ${heap.join('; ')}`);
  const errors: number[] = [];
  let framesBefore = 0;
  for (const f of files) {
    const probe = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', f.path], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
    const pts = probe.stdout.trim().split('\n').map(Number).sort((a, b) => a - b);
    const astart = Number(spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'a:0', '-show_entries', 'stream=start_time', '-of', 'csv=p=0', f.path], { encoding: 'utf8' }).stdout.trim());
    const pcm = spawnSync('ffmpeg', ['-nostdin', '-v', 'error', '-i', f.path, '-map', '0:a:0', '-f', 's16le', '-ac', '1', '-ar', '16000', '-'], { maxBuffer: 1024 * 2 ** 20 }).stdout;
    const clicks: number[] = [];
    for (let i = 0; i + 1 < pcm.length; i += 2) if (pcm.readInt16LE(i) > 28_000) clicks.push(astart + i / 2 / 16000);
    // Marker m: the audio frame at t0 + m minutes, and video frame 900 m (15 fps), which has that timestamp; the
    // file's packets are the frames written, in order, after those of the files before it.
    for (const c of clicks) {
      const minute = Math.round((c * 1000 + f.startMs) / markEveryMs);
      const j = minute * 900 - framesBefore;
      const p = pts[j];
      if (p === undefined) continue;
      errors.push((c - p) * 1000);
    }
    framesBefore += f.frames;
  }
  if (errors.length === 0) {
    console.log('no markers found: sync not measured');
    return;
  }
  const worst = Math.max(...errors.map(Math.abs));
  const mean = errors.reduce((a, b) => a + b, 0) / errors.length;
  console.log(`${errors.length} markers of ${minutes}: audio minus video ${errors.slice(0, 3).map((e) => e.toFixed(2)).join(', ')} … ${errors.slice(-3).map((e) => e.toFixed(2)).join(', ')} ms; mean ${mean.toFixed(2)} ms, worst ${worst.toFixed(2)} ms (target: within 20 ms): ${worst <= 20 ? 'in sync' : 'OUT OF SYNC'}`);
  rmSync(dir, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const t0 = Date.now();
  console.log(`# bench:media${SHORT ? ' --short' : ''}: ${cpus().length} x ${cpus()[0]?.model ?? 'CPU'}, Node ${process.version}`);
  await benchDecode();
  await benchMix();
  const sim = fork(SELF, ['--sim-child'], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    await nextMessage(sim, 'started');
    await benchOverhead(sim);
    const zero = await benchScale(sim);
    if (!zero) process.exitCode = 1;
  } finally {
    sim.send({ cmd: 'exit' } satisfies ToChild);
  }
  await benchHeap();
  await benchAvSync();
  console.log(`\nbench:media finished in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

if (process.argv.includes('--sim-child')) void child();
else
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
