/**
 * AudioTimeline across a sample-rate change (a reconnect that settles new media parameters): frames at another
 * rate than the timeline's are converted by the track's own resampler, seamlessly, and placed where they belong;
 * nothing is dropped, the output keeps its length, and the recorder's WAVs stay whole.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventEmitter } from 'eventemitter3';
import fc from 'fast-check';
import { describe, expect, it, onTestFinished } from 'vitest';
import { AudioTimeline, recordSession, type AudioChunk } from '../../src/media/index.js';

const T0 = 1_764_460_800_000;

function collect(tl: AudioTimeline): { mixed: () => Int16Array; track: (k: string) => Int16Array; chunks: AudioChunk[] } {
  const chunks: AudioChunk[] = [];
  tl.onChunk((c) => chunks.push(c));
  const join = (parts: Int16Array[]) => {
    const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((o, p) => (out.set(p, o), o + p.length), 0);
    return out;
  };
  return { chunks, mixed: () => join(chunks.map((c) => c.mixed)), track: (k) => join(chunks.map((c) => c.tracks.get(k) ?? new Int16Array(c.samples))) };
}

/** 20 ms frames of a sine at `hz`, from `fromMs` to `toMs` of the meeting, sampled at `rate` (phase continuous in time). */
function sineFrames(rate: number, hz: number, fromMs: number, toMs: number): { pcm: Int16Array; timestamp: number }[] {
  const out: { pcm: Int16Array; timestamp: number }[] = [];
  const n = (rate * 20) / 1000;
  for (let ms = fromMs; ms < toMs; ms += 20) {
    const first = (ms * rate) / 1000;
    out.push({ pcm: Int16Array.from({ length: n }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * hz * (first + i)) / rate))), timestamp: T0 + ms });
  }
  return out;
}

function snr(ref: ArrayLike<number>, got: ArrayLike<number>, from: number, to: number): number {
  let s = 0;
  let e = 0;
  for (let i = from; i < to; i++) {
    const r = ref[i] as number;
    s += r * r;
    e += (r - (got[i] as number)) ** 2;
  }
  return 10 * Math.log10(s / Math.max(e, 1e-9));
}

describe('AudioTimeline: a sample-rate change mid-stream', () => {
  it('16 kHz, then 48 kHz, then 16 kHz again: the sine goes on in phase, nothing dropped, length kept', () => {
    const tl = new AudioTimeline({ start: T0, sampleRate: 16000, chunkMs: 100 });
    const out = collect(tl);
    const frames = [...sineFrames(16000, 440, 0, 1000).map((f) => ({ ...f, sampleRate: 16000 })), ...sineFrames(48000, 440, 1000, 2000).map((f) => ({ ...f, sampleRate: 48000 })), ...sineFrames(16000, 440, 2000, 2500).map((f) => ({ ...f, sampleRate: 16000 }))];
    for (const f of frames) expect(tl.push({ key: 'user:1', pcm: f.pcm, sampleRate: f.sampleRate, channels: 1, timestamp: f.timestamp })).toBe('placed');
    tl.end();
    expect(tl.stats).toMatchObject({ placed: 125, late: 0, duplicates: 0, outOfRange: 0, format: 0 });
    const y = out.track('user:1');
    expect(y.length).toBe(40_000);
    expect([...out.mixed()]).toEqual([...y]);
    const ideal = Int16Array.from({ length: 40_000 }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 16000)));
    expect([...y.subarray(0, 16_000)]).toEqual([...ideal.subarray(0, 16_000)]); // before the change: untouched
    // The converted second, and the whole signal across both switches, against the ideal sine.
    expect(snr(ideal, y, 16_000 + 160, 32_000 - 160)).toBeGreaterThan(40);
    expect(snr(ideal, y, 0, 40_000)).toBeGreaterThan(30);
    // Back at 16 kHz, the frames follow on exactly where the converted audio ends.
    expect([...y.subarray(32_000 + 160)]).toEqual([...ideal.subarray(32_000 + 160)]);
  });

  it('stereo 48 kHz frames into a mono 16 kHz timeline, beside a track that never changes: aligned, equal length', () => {
    const tl = new AudioTimeline({ start: T0, sampleRate: 16000, chunkMs: 50 });
    const out = collect(tl);
    for (const f of sineFrames(16000, 300, 0, 600)) {
      tl.push({ key: 'user:1', pcm: f.pcm, sampleRate: 16000, channels: 1, timestamp: f.timestamp });
      tl.push({ key: 'user:2', pcm: f.pcm, sampleRate: 16000, channels: 1, timestamp: f.timestamp });
    }
    const at16 = sineFrames(16000, 300, 600, 1200);
    sineFrames(48000, 300, 600, 1200).forEach((f, k) => {
      const stereo = new Int16Array(f.pcm.length * 2);
      f.pcm.forEach((v, i) => ((stereo[2 * i] = v), (stereo[2 * i + 1] = v)));
      expect(tl.push({ key: 'user:2', pcm: stereo, sampleRate: 48000, channels: 2, timestamp: f.timestamp })).toBe('placed');
      expect(tl.push({ key: 'user:1', pcm: at16[k]!.pcm, sampleRate: 16000, channels: 1, timestamp: at16[k]!.timestamp })).toBe('placed');
    });
    tl.end();
    const a = out.track('user:1');
    const b = out.track('user:2');
    expect(a.length).toBe(19_200);
    expect(b.length).toBe(19_200);
    expect(snr(a, b, 9600 + 160, 19_200 - 160)).toBeGreaterThan(40); // same sine, same place
  });

  it('frames at the new rate that come out of order or twice are dropped and counted; a pause restarts the conversion at its place', () => {
    const tl = new AudioTimeline({ start: T0, sampleRate: 16000, latencyMs: 200 });
    const out = collect(tl);
    const f16 = sineFrames(16000, 500, 0, 100);
    const f48 = sineFrames(48000, 500, 100, 400);
    for (const f of f16) tl.push({ key: 'k', pcm: f.pcm, sampleRate: 16000, channels: 1, timestamp: f.timestamp });
    for (const f of f48.slice(0, 5)) tl.push({ key: 'k', pcm: f.pcm, sampleRate: 48000, channels: 1, timestamp: f.timestamp });
    expect(tl.push({ key: 'k', pcm: f48[2]!.pcm, sampleRate: 48000, channels: 1, timestamp: f48[2]!.timestamp })).toBe('duplicate');
    // 1 s of silence (a muted speaker), then the rest.
    for (const f of sineFrames(48000, 500, 1400, 1600)) expect(tl.push({ key: 'k', pcm: f.pcm, sampleRate: 48000, channels: 1, timestamp: f.timestamp })).toBe('placed');
    tl.end();
    expect(tl.stats).toMatchObject({ placed: 5 + 5 + 10, duplicates: 1, late: 0, format: 0 });
    const y = out.track('k');
    expect(y.length).toBe(1600 * 16);
    const ideal = Int16Array.from({ length: y.length }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 500 * i) / 16000)));
    expect(snr(ideal, y, 1400 * 16 + 160, 1600 * 16 - 160)).toBeGreaterThan(40);
    let quiet = 0;
    for (let i = 400 * 16 + 160; i < 1400 * 16 - 160; i++) quiet = Math.max(quiet, Math.abs(y[i]!));
    expect(quiet).toBe(0);
  });

  it('property: any sequence of rates (8, 16, 32, 48 kHz) and pauses keeps every frame, the length, and each segment in its place', () => {
    const seg = fc.record({ rate: fc.constantFrom(8000, 16000, 32000, 48000), frames: fc.integer({ min: 1, max: 12 }), pause: fc.integer({ min: 0, max: 20 }) });
    fc.assert(
      fc.property(fc.constantFrom(8000, 16000, 24000, 48000), fc.array(seg, { minLength: 1, maxLength: 8 }), (outRate, segs) => {
        const tl = new AudioTimeline({ start: T0, sampleRate: outRate as 8000 | 16000 | 24000 | 48000, chunkMs: 100 });
        const out = collect(tl);
        let ms = 0;
        let frames = 0;
        const spans: { from: number; to: number; value: number }[] = [];
        segs.forEach((s, i) => {
          ms += s.pause * 20;
          const value = 1000 * (i + 1);
          spans.push({ from: ms, to: ms + s.frames * 20, value });
          for (let k = 0; k < s.frames; k++, ms += 20, frames++) {
            expect(tl.push({ key: 'x', pcm: new Int16Array((s.rate * 20) / 1000).fill(value), sampleRate: s.rate, channels: 1, timestamp: T0 + ms })).toBe('placed');
          }
        });
        tl.end();
        expect(tl.stats).toMatchObject({ placed: frames, late: 0, duplicates: 0, format: 0, outOfRange: 0 });
        const y = out.track('x');
        expect(out.mixed().length).toBe(y.length);
        // The length: the last frame's end on the output clock (the first rate's samples, resampled, rounded up).
        const first = segs[0]!.rate;
        expect(y.length).toBe(Math.ceil((Math.round((ms * first) / 1000) * outRate) / first));
        // Each segment's level sits in its own place (away from its edges, where the filters ring).
        for (const sp of spans) {
          if (sp.to - sp.from < 60) continue;
          const mid = Math.floor((((sp.from + sp.to) / 2) * outRate) / 1000);
          expect(Math.abs(y[mid]! - sp.value)).toBeLessThanOrEqual(sp.value * 0.02);
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('recordSession across a reconnect that changes the sample rate', () => {
  it('16 kHz L16, then 48 kHz L16 (a new decoder, converted): the WAVs hold every frame, none dropped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rate-change-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const emitter = new EventEmitter();
    let close!: () => void;
    const closed = new Promise<void>((r) => (close = r));
    const session = Object.assign(emitter, { id: 'rate', closed: () => closed }) as unknown as Parameters<typeof recordSession>[0];
    const rec = recordSession(session, { dir });
    const fmt = (sampleRate: number) => ({ contentType: 'raw', codec: 'L16', sampleRate, channels: 1, sendRate: 20, dataOption: 'multi' }) as const;
    const frames = [...sineFrames(16000, 440, 0, 1000).map((f) => ({ ...f, rate: 16000 })), ...sineFrames(48000, 440, 1000, 2000).map((f) => ({ ...f, rate: 48000 }))];
    for (const f of frames) {
      const data = Buffer.from(f.pcm.buffer, f.pcm.byteOffset, f.pcm.byteLength);
      emitter.emit('audio', { data, userId: 7, userName: 'Ada', channelId: undefined, timestamp: f.timestamp, format: fmt(f.rate), content: {} });
    }
    close();
    const r = await rec.done;
    expect(r.errors).toEqual([]);
    expect(r.stats).toMatchObject({ placed: 100, format: 0, late: 0, duplicates: 0, decodeErrors: 0 });
    expect(r.samples).toBe(32_000);
    const wav = readFileSync(r.tracks[0]!.path);
    expect(wav.readUInt32LE(40)).toBe(64_000); // data chunk bytes: 2 s of 16 kHz mono
    const y = new Int16Array(wav.buffer.slice(wav.byteOffset + 44, wav.byteOffset + wav.length));
    const ideal = Int16Array.from({ length: 32_000 }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 16000)));
    expect(snr(ideal, y, 0, 32_000)).toBeGreaterThan(30);
  });
});
