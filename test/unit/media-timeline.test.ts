/**
 * The timeline (rtms-client/media): placement rules, gaps, late and duplicate frames, the mix, resampling,
 * chunking, the iterator and the Node stream; a fast-check property shuffles, delays, jitters and duplicates
 * frames and checks the output's length and alignment. And the resampler's quality.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AudioTimeline, type AudioChunk, type TimelineFrame } from '../../src/media/index.js';
import { Resampler } from '../../src/media/resample.js';

const RATE = 16000;
const N = 320; // 20 ms at 16 kHz
const T0 = 1_700_000_000_000;

/** A frame whose samples say where they belong: sample i of frame k holds (k·N + i) mod 30000 + 1, per track. */
function frame(key: string, k: number, o: { jitterMs?: number; ts?: number | null; value?: number } = {}): TimelineFrame {
  const pcm = new Int16Array(N);
  for (let i = 0; i < N; i++) pcm[i] = o.value ?? ((k * N + i) % 30000) + 1;
  const ts = o.ts === null ? undefined : (o.ts ?? T0 + k * 20 + (o.jitterMs ?? 0));
  return { key, pcm, sampleRate: RATE, channels: 1, timestamp: ts, userId: key, userName: `name-${key}` };
}

function collect(tl: AudioTimeline): { chunks: AudioChunk[]; mixed: () => Int16Array; track: (key: string) => Int16Array } {
  const chunks: AudioChunk[] = [];
  tl.onChunk((c) => chunks.push(c));
  const join = (pick: (c: AudioChunk) => Int16Array | undefined): Int16Array => {
    const parts = chunks.map((c) => pick(c) ?? new Int16Array(c.samples * c.channels));
    const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((o, p) => (out.set(p, o), o + p.length), 0);
    return out;
  };
  return { chunks, mixed: () => join((c) => c.mixed), track: (key) => join((c) => c.tracks.get(key)) };
}

describe('AudioTimeline placement', () => {
  it('places frames by timestamp, fills a gap (a muted speaker) with silence, and keeps tracks equal in length', () => {
    const tl = new AudioTimeline({ start: T0, chunkMs: 100 });
    const out = collect(tl);
    expect(tl.push(frame('a', 0))).toBe('placed');
    expect(tl.push(frame('a', 1))).toBe('placed');
    expect(tl.push(frame('b', 3))).toBe('placed'); // b starts later
    expect(tl.push(frame('a', 50))).toBe('placed'); // a was muted for 48 frames
    tl.end();
    const a = out.track('a');
    const b = out.track('b');
    expect(a.length).toBe(51 * N);
    expect(b.length).toBe(a.length);
    expect(out.mixed().length).toBe(a.length);
    expect(a[0]).toBe(1);
    expect(a[2 * N]).toBe(0); // silence in the gap
    expect(a[50 * N]).toBe(((50 * N) % 30000) + 1);
    expect(b[3 * N - 1]).toBe(0);
    expect(b[3 * N]).toBe(((3 * N) % 30000) + 1);
    expect(out.chunks.every((c, i) => c.index === i && c.startSample === i * 1600 && c.timestamp === T0 + i * 100)).toBe(true);
    expect(tl.tracks.map((t) => [t.key, t.firstSample, t.userName])).toEqual([['a', 0, 'name-a'], ['b', 3 * N, 'name-b']]);
  });

  it('snaps jitter of less than half a packet, drops duplicates and late frames, and counts them', () => {
    const tl = new AudioTimeline({ start: T0, latencyMs: 100 });
    const out = collect(tl);
    tl.push(frame('a', 0));
    expect(tl.push(frame('a', 1, { jitterMs: 9 }))).toBe('placed');
    expect(tl.push(frame('a', 2, { jitterMs: -9 }))).toBe('placed');
    expect(tl.push(frame('a', 2))).toBe('duplicate');
    expect(tl.push(frame('a', 4))).toBe('placed');
    expect(tl.push(frame('a', 3))).toBe('placed'); // out of order, within the jitter buffer
    for (let k = 5; k < 20; k++) tl.push(frame('a', k));
    expect(tl.push(frame('a', 1))).toBe('late'); // already emitted
    tl.end();
    expect(tl.stats).toMatchObject({ placed: 20, duplicates: 1, late: 1, outOfRange: 0 });
    const a = out.track('a');
    expect(a.length).toBe(20 * N);
    for (let i = 0; i < a.length; i++) if (a[i] !== (i % 30000) + 1) throw new Error(`sample ${i} is ${a[i]}`);
  });

  it('appends frames without a timestamp where the track ends; drops bogus timestamps as out of range', () => {
    const tl = new AudioTimeline({ start: T0, maxJumpMs: 60_000 });
    const out = collect(tl);
    tl.push(frame('a', 0));
    expect(tl.push(frame('a', 1, { ts: null }))).toBe('placed');
    expect(tl.push(frame('a', 2, { ts: T0 - 1000 }))).toBe('out-of-range');
    expect(tl.push(frame('a', 2, { ts: T0 + 3_600_000 }))).toBe('out-of-range');
    expect(tl.push({ ...frame('a', 2), sampleRate: 44100 })).toBe('format'); // 8, 16, 24, 32 and 48 kHz are converted (media-timeline-rate.test.ts)
    expect(tl.push({ ...frame('a', 2), pcm: new Int16Array(0) })).toBe('format');
    tl.end();
    expect(tl.push(frame('a', 3))).toBe('ended');
    expect(out.track('a').length).toBe(2 * N);
  });

  it('starts at the first frame when no start is given; setStart is refused once audio is placed', () => {
    const tl = new AudioTimeline();
    expect(tl.setStart(T0 - 40)).toBe(true);
    expect(tl.setStart(T0 - 20)).toBe(true);
    tl.push(frame('a', 0));
    expect(tl.setStart(T0)).toBe(false);
    expect(tl.start).toBe(T0 - 20);
    const out = collect(tl);
    tl.end();
    expect(out.track('a').length).toBe(2 * N); // 20 ms of silence, then the frame
  });

  it('mixes tracks by summing, with clipping', () => {
    const tl = new AudioTimeline({ start: T0 });
    const out = collect(tl);
    tl.push(frame('a', 0, { value: 30000 }));
    tl.push(frame('b', 0, { value: 10000 }));
    tl.push(frame('c', 0, { value: -5000 }));
    tl.push(frame('a', 1, { value: 1000 }));
    tl.push(frame('b', 1, { value: -3000 }));
    tl.end();
    const m = out.mixed();
    expect(m[0]).toBe(32767);
    expect(m[N]).toBe(-2000);
  });

  it('converts mono to stereo and stereo to mono', () => {
    const st = new AudioTimeline({ start: T0, channels: 2 });
    const a = collect(st);
    st.push(frame('a', 0, { value: 100 }));
    st.end();
    expect(a.mixed().length).toBe(2 * N);
    expect([a.mixed()[0], a.mixed()[1]]).toEqual([100, 100]);
    const mono = new AudioTimeline({ start: T0 });
    const b = collect(mono);
    const pcm = new Int16Array(2 * N);
    for (let i = 0; i < N; i++) [pcm[2 * i], pcm[2 * i + 1]] = [100, 300];
    mono.push({ key: 'a', pcm, sampleRate: RATE, channels: 2, timestamp: T0 });
    mono.end();
    expect(b.mixed().length).toBe(N);
    expect(b.mixed()[5]).toBe(200);
  });

  it('resamples every track and the mix to the same length (16 kHz in, 48 kHz out), late tracks included', () => {
    const tl = new AudioTimeline({ start: T0, sampleRate: 48000, chunkMs: 250 });
    const out = collect(tl);
    for (let k = 0; k < 50; k++) tl.push(frame('a', k));
    for (let k = 17; k < 33; k++) tl.push(frame('b', k));
    tl.end();
    expect(out.mixed().length).toBe(50 * N * 3);
    expect(out.track('b').length).toBe(50 * N * 3);
    expect(out.chunks.map((c) => c.samples)).toEqual([12000, 12000, 12000, 12000]);
  });

  it('tracks: false (speech-to-text) resamples only the mix, to the same length, with empty track maps', () => {
    const tl = new AudioTimeline({ start: T0, sampleRate: 24000, chunkMs: 100, tracks: false });
    const out = collect(tl);
    for (let k = 0; k < 25; k++) tl.push(frame('a', k));
    for (let k = 10; k < 30; k++) tl.push(frame('b', k));
    tl.end();
    expect(out.mixed().length).toBe(30 * N * 1.5);
    expect(out.chunks.every((c) => c.tracks.size === 0)).toBe(true);
  });

  it('a change of packet size (a reconnect that settled another send_rate) restarts the grid without a gap or a drop', () => {
    const tl = new AudioTimeline({ start: T0 });
    const out = collect(tl);
    for (let k = 0; k < 5; k++) tl.push(frame('a', k));
    const big = { ...frame('a', 5), pcm: new Int16Array(5 * N).fill(7) }; // 100 ms packets from here on
    expect(tl.push(big)).toBe('placed');
    expect(tl.push({ ...big, timestamp: T0 + 200 + 1, pcm: new Int16Array(5 * N).fill(8) })).toBe('placed');
    tl.end();
    const a = out.track('a');
    expect(a.length).toBe(15 * N);
    expect([a[5 * N - 1], a[5 * N], a[10 * N - 1], a[10 * N], a[15 * N - 1]]).toEqual([5 * N, 7, 7, 8, 8]);
    expect(tl.stats).toMatchObject({ placed: 7, duplicates: 0, late: 0 });
  });

  it('rejects bad options', () => {
    expect(() => new AudioTimeline({ sampleRate: 44100 as 48000 })).toThrow(/sampleRate/);
    expect(() => new AudioTimeline({ channels: 3 as 2 })).toThrow(/channels/);
    expect(() => new AudioTimeline({ chunkMs: 0 })).toThrow(/chunkMs/);
  });
});

describe('AudioTimeline outputs', () => {
  it('an async iterator that ends when the timeline ends', async () => {
    const tl = new AudioTimeline({ start: T0, chunkMs: 20 });
    const it = tl.chunks();
    for (let k = 0; k < 30; k++) tl.push(frame('a', k));
    tl.end();
    let n = 0;
    for await (const c of it) n += c.samples;
    expect(n).toBe(30 * N);
  });

  it('a Node Readable of mixed PCM bytes, bounded: a slow reader loses the oldest chunks', async () => {
    const tl = new AudioTimeline({ start: T0, chunkMs: 20 });
    const stream = tl.readable({ highWaterMark: 5 });
    for (let k = 0; k < 30; k++) tl.push(frame('a', k));
    tl.end();
    const bufs: Buffer[] = [];
    for await (const b of stream) bufs.push(b as Buffer);
    expect(stream.dropped).toBe(25);
    expect(Buffer.concat(bufs).length).toBe(5 * N * 2);
    expect(Buffer.concat(bufs).readInt16LE(0)).toBe(((25 * N) % 30000) + 1);
  });

  it('a destroyed stream stops listening', () => {
    const tl = new AudioTimeline({ start: T0, chunkMs: 20 });
    const stream = tl.readable({ track: 'a' });
    stream.destroy();
    for (let k = 0; k < 30; k++) tl.push(frame('a', k));
    tl.end();
    expect(stream.dropped).toBe(0);
  });
});

describe('AudioTimeline property: shuffled, delayed, jittered and duplicated frames', () => {
  it('every frame lands at its place (shifted alike by its track’s first-frame jitter), tracks equal in length', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 5, max: 60 }),
        // Jitter of ±4 ms: any two frames of a track differ by less than half a packet (10 ms) from the grid.
        fc.array(fc.integer({ min: -4, max: 4 }), { minLength: 200, maxLength: 200 }),
        fc.array(fc.nat({ max: 4 }), { minLength: 200, maxLength: 200 }),
        fc.array(fc.boolean(), { minLength: 200, maxLength: 200 }),
        fc.integer({ min: 0, max: 9 }),
        (speakers, frames, jitter, delay, dup, startGap) => {
          // Each speaker talks frames k = startGap·s … ; arrival order: by (k + delay) so a frame is at most 4 late.
          const start = T0 - 100;
          const tl = new AudioTimeline({ start, latencyMs: 200 });
          const out = collect(tl);
          type Item = { key: string; k: number; j: number; order: number; dup: boolean };
          const items: Item[] = [];
          let idx = 0;
          for (let s = 0; s < speakers; s++) {
            for (let k = s * startGap; k < s * startGap + frames; k++, idx++) {
              items.push({ key: `s${s}`, k, j: jitter[idx % 200] as number, order: k + (delay[idx % 200] as number) + idx * 1e-6, dup: dup[idx % 200] as boolean });
            }
          }
          const arrivals = [...items].sort((a, b) => a.order - b.order);
          const firstJitter = new Map<string, number>();
          let duplicates = 0;
          for (const it of arrivals) {
            if (!firstJitter.has(it.key)) firstJitter.set(it.key, it.j);
            const f = frame(it.key, it.k, { jitterMs: it.j });
            expect(tl.push(f)).toBe('placed');
            if (it.dup) {
              expect(tl.push(frame(it.key, it.k, { jitterMs: -it.j }))).toBe('duplicate');
              duplicates++;
            }
          }
          tl.end();
          expect(tl.stats).toMatchObject({ late: 0, duplicates, outOfRange: 0, placed: items.length });
          const lengths = [...firstJitter.keys()].map((k) => out.track(k).length);
          expect(new Set([...lengths, out.mixed().length]).size).toBe(1);
          for (const it of items) {
            const t = out.track(it.key);
            const at = ((it.k * 20 + 100) * RATE) / 1000 + ((firstJitter.get(it.key) as number) * RATE) / 1000;
            expect(t[at]).toBe(((it.k * N) % 30000) + 1);
            expect(t[at + N - 1]).toBe(((it.k * N + N - 1) % 30000) + 1);
          }
          const last = Math.max(...items.map((it) => ((it.k * 20 + 100 + (firstJitter.get(it.key) as number)) * RATE) / 1000 + N));
          expect(out.mixed().length).toBe(last);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('with resampling, output length is the input length × the ratio, for every track and the mix', () => {
    fc.assert(
      fc.property(fc.constantFrom(8000, 24000, 48000), fc.integer({ min: 1, max: 80 }), fc.integer({ min: 0, max: 40 }), (rate, frames, gap) => {
        const tl = new AudioTimeline({ start: T0, sampleRate: rate as 8000 | 24000 | 48000, chunkMs: 250 });
        const out = collect(tl);
        for (let k = 0; k < frames; k++) tl.push(frame('a', k));
        tl.push(frame('b', frames + gap));
        tl.end();
        const inSamples = (frames + gap + 1) * N;
        const expected = Math.ceil((inSamples * rate) / RATE);
        expect(out.mixed().length).toBe(expected);
        expect(out.track('a').length).toBe(expected);
        expect(out.track('b').length).toBe(expected);
      }),
      { numRuns: 40 },
    );
  });
});

describe('Resampler', () => {
  function sine(rate: number, f: number, n: number, amp = 10000): Int16Array {
    return Int16Array.from({ length: n }, (_, i) => Math.round(amp * Math.sin((2 * Math.PI * f * i) / rate)));
  }
  function run(r: Resampler, x: Int16Array, block = 333): Float32Array {
    const parts: Float32Array[] = [];
    for (let i = 0; i < x.length; i += block) parts.push(r.process(x.subarray(i, i + block)));
    parts.push(r.flush());
    const y = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((o, p) => (y.set(p, o), o + p.length), 0);
    return y;
  }

  it.each([
    [16000, 48000],
    [48000, 16000],
    [8000, 16000],
    [16000, 24000],
    [32000, 24000],
    [8000, 48000],
    [48000, 8000],
    [16000, 8000],
  ])('%i → %i Hz: exact length, time-aligned, a 440 Hz sine within 80 dB SNR', (fin, fout) => {
    const y = run(new Resampler(fin, fout), sine(fin, 440, fin));
    expect(y.length).toBe(Math.ceil((fin * fout) / fin));
    let s = 0;
    let e = 0;
    for (let i = 200; i < y.length - 200; i++) {
      const ref = 10000 * Math.sin((2 * Math.PI * 440 * i) / fout);
      s += ref * ref;
      e += ((y[i] as number) - ref) ** 2;
    }
    expect(10 * Math.log10(s / e)).toBeGreaterThan(80);
  });

  it.each([
    [48000, 16000],
    [32000, 24000],
    [16000, 8000],
  ])('%i → %i Hz: a tone above the output Nyquist frequency is attenuated by at least 80 dB', (fin, fout) => {
    const y = run(new Resampler(fin, fout), sine(fin, fout * 0.55, fin));
    let p = 0;
    for (let i = 200; i < y.length - 200; i++) p += (y[i] as number) ** 2;
    const rms = Math.sqrt(p / (y.length - 400));
    expect(20 * Math.log10(rms / (10000 / Math.SQRT2))).toBeLessThan(-80);
  });

  it('block size does not change the output', () => {
    const x = sine(16000, 1000, 4000);
    const a = run(new Resampler(16000, 24000), x, 7);
    const b = run(new Resampler(16000, 24000), x, 4000);
    expect([...a]).toEqual([...b]);
  });
});

describe('sessionTimeline', () => {
  it('decodes each track, starts the clock at FIRST_PACKET_TIMESTAMP, counts decode errors and ends with the session', async () => {
    const { EventEmitter } = await import('eventemitter3');
    const { sessionTimeline } = await import('../../src/media/index.js');
    const emitter = new EventEmitter();
    let close!: () => void;
    const closed = new Promise<void>((r) => (close = r));
    const session = Object.assign(emitter, { closed: () => closed }) as unknown as Parameters<typeof sessionTimeline>[0];
    const tl = sessionTimeline(session, { chunkMs: 20 });
    const out = collect(tl);
    const format = { contentType: 'raw', codec: 'L16', sampleRate: RATE, channels: 1, sendRate: 20, dataOption: 'multi' } as const;
    const audio = (userId: number, k: number, data = Buffer.alloc(2 * N, 1)) =>
      emitter.emit('audio', { data, userId, userName: `u${userId}`, channelId: undefined, timestamp: T0 + k * 20, format, content: {} });
    emitter.emit('firstPacket', T0 - 20);
    audio(1, 0);
    audio(2, 1);
    audio(1, 1, Buffer.alloc(3)); // corrupt: one frame of silence
    close();
    await tl.ended;
    expect(tl.start).toBe(T0 - 20);
    expect(tl.stats.decodeErrors).toBe(1);
    expect(tl.tracks.map((t) => t.key)).toEqual(['user:1', 'user:2']);
    expect(out.track('user:1').length).toBe(3 * N);
    expect(out.track('user:1')[N]).toBe(257);
    expect(emitter.listenerCount('audio')).toBe(0);
  });
});

describe('sessionTimeline format changes', () => {
  it('a new codec setting for a track (a reconnect) gets a new decoder', async () => {
    const { EventEmitter } = await import('eventemitter3');
    const { sessionTimeline } = await import('../../src/media/index.js');
    const emitter = new EventEmitter();
    let close!: () => void;
    const closed = new Promise<void>((r) => (close = r));
    const session = Object.assign(emitter, { id: 's', closed: () => closed }) as unknown as Parameters<typeof sessionTimeline>[0];
    const tl = sessionTimeline(session, { chunkMs: 20 });
    const out = collect(tl);
    const raw = { contentType: 'raw', codec: 'L16', sampleRate: RATE, channels: 1, sendRate: 20, dataOption: 'multi' } as const;
    const rtp = { ...raw, contentType: 'rtp' } as const;
    const header = Buffer.from([0x80, 0x0b, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9]);
    emitter.emit('audio', { data: Buffer.alloc(2 * N, 1), userId: 3, userName: 'x', channelId: undefined, timestamp: T0, format: raw, content: {} });
    emitter.emit('audio', { data: Buffer.concat([header, Buffer.alloc(2 * N, 2)]), userId: 3, userName: 'x', channelId: undefined, timestamp: T0 + 20, format: rtp, content: {} });
    close();
    await tl.ended;
    expect(tl.stats).toMatchObject({ placed: 2, decodeErrors: 0 });
    expect([out.track('user:3')[0], out.track('user:3')[N]]).toEqual([257, 514]);
  });
});

describe('sessionTimeline bursts', () => {
  async function fake() {
    const { EventEmitter } = await import('eventemitter3');
    const { sessionTimeline } = await import('../../src/media/index.js');
    const emitter = new EventEmitter();
    let close!: () => void;
    const closed = new Promise<void>((r) => (close = r));
    const session = Object.assign(emitter, { id: 's', closed: () => closed }) as unknown as Parameters<typeof sessionTimeline>[0];
    return { emitter, close, sessionTimeline, session };
  }

  it('a burst of frames in one tick (Zoom delivering its buffered backlog) is placed whole, L16 decoders being made at once', async () => {
    const { emitter, close, sessionTimeline, session } = await fake();
    const tl = sessionTimeline(session, { chunkMs: 100, tracks: false });
    const out = collect(tl);
    const format = { contentType: 'raw', codec: 'L16', sampleRate: RATE, channels: 1, sendRate: 20, dataOption: 'multi' } as const;
    for (let k = 0; k < 3000; k++) emitter.emit('audio', { data: Buffer.alloc(2 * N, 1), userId: 1 + (k % 2), userName: 'x', channelId: undefined, timestamp: T0 + Math.floor(k / 2) * 20, format, content: {} });
    close();
    await tl.ended;
    expect(tl.stats).toMatchObject({ placed: 3000, decodeErrors: 0, late: 0, duplicates: 0 });
    expect(out.mixed().length).toBe(1500 * N);
  });
});
