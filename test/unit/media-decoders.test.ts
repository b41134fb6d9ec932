/**
 * rtms-client/media decoders against known vectors and ffmpeg-made fixtures (test/fixtures/media/, made by
 * scripts/make-media-fixtures.sh). Tolerances: G.711 exact against the standard's table values; G.722
 * bit-exact with ffmpeg's decoder, and ≥ 25 dB SNR against the source speech (measured 30.8 dB at the codec's
 * 22-sample delay); Opus ≥ 38 dB SNR (measured 43.2) against libopus's own decode (ffmpeg -c:a libopus, resampled by soxr to
 * 16 kHz; ours resampled by our resampler) at lag 0. Against the source speech a perceptual codec at 32 kbit/s
 * is not waveform-close (about 6 dB), so that figure is only logged.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AudioFormat } from '../../src/events.js';
import { ALAW_TABLE, ULAW_TABLE, createAudioDecoder, decodeAlaw, decodeUlaw, parseRtp, type DecodeErrorInfo } from '../../src/media/index.js';
import { Resampler } from '../../src/media/resample.js';
import { fixture, oggOpus, pcm, snrAligned } from '../media-fixtures.js';


function fmt(partial: Partial<AudioFormat>): AudioFormat {
  return { contentType: 'raw', codec: 'L16', sampleRate: 16000, channels: 1, sendRate: 20, dataOption: 'mixed', ...partial };
}


/** RTP header (12 bytes, optional CSRCs, extension words and padding) around `payload`. */
function rtp(payload: Uint8Array, o: { version?: number; csrc?: number; extWords?: number; pad?: number } = {}): Uint8Array {
  const csrc = o.csrc ?? 0;
  const ext = o.extWords;
  const pad = o.pad ?? 0;
  const head = 12 + csrc * 4 + (ext === undefined ? 0 : 4 + ext * 4);
  const out = new Uint8Array(head + payload.length + pad);
  out[0] = ((o.version ?? 2) << 6) | (pad > 0 ? 0x20 : 0) | (ext === undefined ? 0 : 0x10) | csrc;
  out[1] = 0x80 | 9;
  out[3] = 7;
  if (ext !== undefined) out[12 + csrc * 4 + 3] = ext;
  out.set(payload, head);
  if (pad > 0) out[out.length - 1] = pad;
  return out;
}

describe('G.711', () => {
  it('A-law matches the standard (ITU-T G.711 table 1a values ×8 for 16 bits)', () => {
    expect(ALAW_TABLE[0xd5]).toBe(8);
    expect(ALAW_TABLE[0x55]).toBe(-8);
    expect(ALAW_TABLE[0xaa]).toBe(32256);
    expect(ALAW_TABLE[0x2a]).toBe(-32256);
    expect(ALAW_TABLE[0xd4]).toBe(24);
    expect(ALAW_TABLE[0xc5]).toBe(264);
    for (let i = 0; i < 128; i++) expect(ALAW_TABLE[i]).toBe(-(ALAW_TABLE[i | 0x80] as number));
  });

  it('µ-law matches the standard (ITU-T G.711 table 2a values ×4 for 16 bits)', () => {
    expect(ULAW_TABLE[0xff]).toBe(0);
    expect(ULAW_TABLE[0x7f]).toBe(0);
    expect(ULAW_TABLE[0x80]).toBe(32124);
    expect(ULAW_TABLE[0x00]).toBe(-32124);
    expect(ULAW_TABLE[0xfe]).toBe(8);
    expect(ULAW_TABLE[0xef]).toBe(132);
    for (let i = 0; i < 128; i++) expect((ULAW_TABLE[i] as number) + (ULAW_TABLE[i | 0x80] as number)).toBe(0);
  });

  it('decodes the ffmpeg fixtures to the source speech (A-law ≥ 30 dB SNR, µ-law ≥ 30 dB)', () => {
    const ref = pcm('speech-8k.s16le');
    const a = snrAligned(ref, decodeAlaw(fixture('speech.alaw')));
    const u = snrAligned(ref, decodeUlaw(fixture('speech.ulaw')));
    console.log(`G.711 SNR against the source: A-law ${a.snr.toFixed(1)} dB, µ-law ${u.snr.toFixed(1)} dB`);
    expect(a.snr).toBeGreaterThanOrEqual(30);
    expect(u.snr).toBeGreaterThanOrEqual(30);
  });

  it('codec G711 is A-law by default, µ-law on request', async () => {
    const bytes = fixture('speech.alaw').subarray(0, 160);
    const dec = await createAudioDecoder(fmt({ codec: 'G711', sampleRate: 8000 }));
    expect(dec.sampleRate).toBe(8000);
    expect([...dec.decode(bytes)]).toEqual([...decodeAlaw(bytes)]);
    const mu = await createAudioDecoder(fmt({ codec: 'G711', sampleRate: 8000 }), { g711: 'ulaw' });
    expect([...mu.decode(bytes)]).toEqual([...decodeUlaw(bytes)]);
  });
});

describe('G.722', () => {
  it("is bit-exact with ffmpeg's decoder on the fixture, and close to the source speech", async () => {
    const dec = await createAudioDecoder(fmt({ codec: 'G722' }));
    const g722 = fixture('speech.g722');
    const parts: Int16Array[] = [];
    for (let i = 0; i < g722.length; i += 160) parts.push(dec.decode(g722.subarray(i, i + 160))); // 20 ms packets
    const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((o, p) => (out.set(p, o), o + p.length), 0);
    expect(out.length).toBe(16000);
    const hash = createHash('sha256').update(new Uint8Array(out.buffer)).digest('hex');
    expect(hash).toBe(fixture('speech-g722-ffmpeg.sha256').toString('utf8').trim());
    const { snr, lag } = snrAligned(pcm('speech-16k.s16le'), out, 40);
    console.log(`G.722 SNR against the source: ${snr.toFixed(1)} dB at a lag of ${lag} samples (codec delay)`);
    expect(snr).toBeGreaterThanOrEqual(25);
    expect(dec.errors).toBe(0);
  });

  it('an empty packet costs one frame of silence and an error', async () => {
    const dec = await createAudioDecoder(fmt({ codec: 'G722' }));
    const out = dec.decode(new Uint8Array(0));
    expect(out.length).toBe(320);
    expect(out.every((v) => v === 0)).toBe(true);
    expect(dec.errors).toBe(1);
  });
});

describe('L16', () => {
  it('passes little-endian samples through, at any byte offset', async () => {
    const dec = await createAudioDecoder(fmt({}));
    const bytes = Buffer.alloc(9);
    bytes.writeInt16LE(-2, 1);
    bytes.writeInt16LE(32767, 3);
    bytes.writeInt16LE(-32768, 5);
    bytes.writeInt16LE(1, 7);
    expect([...dec.decode(bytes.subarray(1))]).toEqual([-2, 32767, -32768, 1]);
  });

  it('a ragged packet costs one frame of silence (sendRate ms) and an error, and the next packet decodes', async () => {
    const seen: DecodeErrorInfo[] = [];
    const dec = await createAudioDecoder(fmt({ channels: 2, sendRate: 40 }), {
      onError: (e) => {
        seen.push(e);
        throw new Error('a throwing listener is ignored');
      },
    });
    const out = dec.decode(new Uint8Array(6));
    expect(out.length).toBe(16 * 40 * 2);
    expect(seen).toEqual([{ reason: 'odd-length', byteLength: 6, errors: 1 }]);
    expect([...dec.decode(new Uint8Array([1, 0, 2, 0]))]).toEqual([1, 2]);
    expect(dec.packets).toBe(2);
    expect(dec.errors).toBe(1);
  });
});

describe('RTP', () => {
  const payload = new Uint8Array([1, 0, 2, 0, 3, 0, 4, 0]);

  it('unwraps the header, CSRC list, extension and padding (RFC 3550)', () => {
    const p = parseRtp(rtp(payload, { csrc: 2, extWords: 1, pad: 3 }));
    if (typeof p === 'string') throw new Error(p);
    expect([...p.payload]).toEqual([...payload]);
    expect(p.payloadType).toBe(9);
    expect(p.marker).toBe(true);
    expect(p.sequence).toBe(7);
  });

  it.each([
    ['too-short', new Uint8Array(11)],
    ['bad-version', rtp(payload, { version: 1 })],
    ['bad-csrc', rtp(new Uint8Array(0), { csrc: 3 }).subarray(0, 20)],
    ['bad-extension', rtp(new Uint8Array(0), { extWords: 5 }).subarray(0, 20)],
    ['bad-padding', (() => { const b = rtp(payload, { pad: 1 }); b[b.length - 1] = 200; return b; })()],
  ])('rejects %s', (reason, packet) => {
    expect(parseRtp(packet)).toBe(reason);
  });

  it('an RTP L16 stream decodes its payloads; a corrupt packet costs one frame of silence, never the stream', async () => {
    const dec = await createAudioDecoder(fmt({ contentType: 'rtp' }));
    expect([...dec.decode(rtp(payload, { csrc: 1 }))]).toEqual([1, 2, 3, 4]);
    expect(dec.decode(rtp(payload, { version: 0 })).length).toBe(320);
    expect([...dec.decode(rtp(payload))]).toEqual([1, 2, 3, 4]);
    expect(dec.errors).toBe(1);
  });

  it('an unknown codec is refused when the decoder is made', async () => {
    await expect(createAudioDecoder(fmt({ codec: 'unknown' }))).rejects.toMatchObject({ code: 'RTMS_INVALID_OPTIONS' });
  });
});


let opusInstalled = true;
try {
  await import('opus-decoder');
} catch {
  opusInstalled = false;
  console.warn('\n!!!!!!!! opus-decoder is not installed: SKIPPING the Opus decoder test (npm install opus-decoder). !!!!!!!!\n');
}

describe.skipIf(!opusInstalled)('Opus (optional peer dependency opus-decoder)', () => {
  it("decodes the libopus fixture as libopus does (through ffmpeg), time-aligned", async () => {
    const dec = await createAudioDecoder(fmt({ codec: 'OPUS', sampleRate: 48000 }));
    const { packets, preSkip } = oggOpus(fixture('speech.opus'));
    expect(packets.length).toBeGreaterThanOrEqual(50);
    const rs = new Resampler(48000, 16000);
    const parts: Float32Array[] = [];
    let skip = preSkip;
    for (const p of packets) {
      const out = dec.decode(p);
      expect(out.length).toBe(960);
      const cut = Math.min(skip, out.length);
      skip -= cut;
      parts.push(rs.process(out.subarray(cut)));
    }
    parts.push(rs.flush());
    const y = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((o, p) => (y.set(p, o), o + p.length), 0);
    const ref = snrAligned(pcm('speech-opus-libopus-16k.s16le'), y, 3, -3);
    const src = snrAligned(pcm('speech-16k.s16le'), y, 40);
    console.log(`Opus (decoded at 48 kHz, resampled to 16 kHz) SNR: against libopus via ffmpeg ${ref.snr.toFixed(1)} dB at lag ${ref.lag}; against the source speech ${src.snr.toFixed(1)} dB`);
    expect(ref.lag).toBe(0);
    expect(ref.snr).toBeGreaterThanOrEqual(38);
    expect(dec.errors).toBe(0);
    dec.close();
    dec.close();
    expect(dec.decode(packets[0] as Uint8Array).every((v) => v === 0)).toBe(true);
  });

  it("sessionTimeline holds a track's Opus frames while the WebAssembly loads, then places them all", async () => {
    const { EventEmitter } = await import('eventemitter3');
    const { sessionTimeline } = await import('../../src/media/index.js');
    const emitter = new EventEmitter();
    let close!: () => void;
    const closed = new Promise<void>((r) => (close = r));
    const session = Object.assign(emitter, { id: 's', closed: () => closed }) as unknown as Parameters<typeof sessionTimeline>[0];
    const tl = sessionTimeline(session, { sampleRate: 16000, chunkMs: 20 });
    let samples = 0;
    tl.onChunk((c) => (samples += c.samples));
    const { packets } = oggOpus(fixture('speech.opus'));
    const format = fmt({ codec: 'OPUS', sampleRate: 48000, dataOption: 'multi' });
    packets.forEach((data, k) => emitter.emit('audio', { data: Buffer.from(data), userId: 7, userName: 'Ada', channelId: undefined, timestamp: 1_000_000 + k * 20, format, content: {} }));
    close();
    await tl.ended;
    expect(tl.stats).toMatchObject({ placed: packets.length, decodeErrors: 0 });
    expect(samples).toBe(packets.length * 320);
  });

  it('an empty Opus packet costs one frame of silence and an error', async () => {
    const dec = await createAudioDecoder(fmt({ codec: 'OPUS', sampleRate: 48000, channels: 2 }));
    expect(dec.decode(new Uint8Array(0)).length).toBe(1920);
    expect(dec.errors).toBe(1);
    dec.close();
  });
});

describe('the core stays apart from rtms-client/media', () => {
  it('no module outside src/media imports it, opus-decoder or mediabunny; src/media imports only node:, relative modules, opus-decoder and mediabunny', async () => {
    const { readdirSync } = await import('node:fs');
    const root = join(import.meta.dirname, '..', '..', 'src');
    const files = (readdirSync(root, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'));
    const specifiers = (f: string) => [...readFileSync(join(root, f), 'utf8').matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((m) => m[1] as string);
    for (const f of files.filter((f) => !f.startsWith('media'))) {
      expect(specifiers(f).filter((s) => s.includes('/media/') || s.startsWith('./media/') || s === 'opus-decoder' || s === 'mediabunny'), f).toEqual([]);
    }
    for (const f of files.filter((f) => f.startsWith('media'))) {
      expect(specifiers(f).filter((s) => !s.startsWith('node:') && !s.startsWith('.') && s !== 'opus-decoder' && s !== 'mediabunny'), f).toEqual([]);
    }
  });
});
