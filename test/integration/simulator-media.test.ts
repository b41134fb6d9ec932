/**
 * The simulator's streams look like Zoom's: media parameters honoured and answered with what was applied
 * (send_rate, sample rate, channels, codec), L16 audio that carries a voice, Zoom-shaped product ids,
 * FIRST_PACKET_TIMESTAMP, keep-alives only on idle sockets, the share URL under both keys, and `sequence`
 * missing from a media handshake as an informational note. Over loopback, with raw clients and the SDK.
 */
import { onTestFinished, describe, expect, it } from 'vitest';
import { RtmsSimulator, tonePcm, type SimulatorOptions } from '../../src/testing/index.js';
import { speakerPitchHz } from '../../src/testing/sim-script.js';
import { CREDS, rig, until } from '../helpers.js';
import { RawClient, content, frames, type Msg, type RawSocket } from './simulator-raw.js';

async function sim(options: Partial<SimulatorOptions> = {}): Promise<RtmsSimulator> {
  const s = await RtmsSimulator.start({ ...CREDS, keepAliveIntervalMs: 0, ...options });
  onTestFinished(() => s.close());
  return s;
}

const SPEAKER = { userId: 16778240, userName: 'Ada Lovelace', text: 'One speaker, one pitch.' };

function audioParams(p: Msg): Msg {
  return { media_params: { audio: { content_type: 2, sample_rate: 1, channel: 1, codec: 1, data_opt: 1, send_rate: 20, ...p } } }['media_params'];
}

/** Plays `ms` of a one-speaker meeting to a raw client connected with `audio` params; returns the audio frames and the answer. */
async function play(audio: Msg, ms: number, endpoint = 'all'): Promise<{ answer: Msg; audio: Msg[]; socket: RawSocket }> {
  const s = await sim();
  const stream = s.createStream();
  const app = new RawClient(stream);
  const { socket, answer } = await app.connect({ endpoint, mediaType: 1, mediaParams: audioParams(audio) });
  await stream.playMeeting({ durationMs: ms, lines: [SPEAKER], transcriptEveryMs: 60_000, speakerEvents: false });
  return { answer, audio: frames(socket, 14), socket };
}

function pcm(frame: Msg): Buffer {
  return Buffer.from(content(frame)['data'] as string, 'base64');
}

/** Power of `samples` (sampled at `rate`) at `hz`, Goertzel. */
function power(samples: Float64Array, rate: number, hz: number): number {
  const k = (2 * Math.PI * hz) / rate;
  const c = 2 * Math.cos(k);
  let s1 = 0;
  let s2 = 0;
  for (const x of samples) {
    const s0 = x + c * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - c * s1 * s2;
}

/** RMS and the strongest frequency between 60 and 1000 Hz (1 Hz steps), with its share of the scanned power. */
function analyse(samples: Float64Array, rate: number): { rms: number; peakHz: number; peakShare: number } {
  let sq = 0;
  for (const x of samples) sq += x * x;
  let peakHz = 0;
  let peak = 0;
  let total = 0;
  for (let hz = 60; hz <= 1000; hz++) {
    const p = power(samples, rate, hz);
    total += p;
    if (p > peak) [peak, peakHz] = [p, hz];
  }
  return { rms: Math.sqrt(sq / samples.length), peakHz, peakShare: peak / total };
}

function l16(buf: Buffer, channels: number, channel = 0): Float64Array {
  const n = buf.length / 2 / channels;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = buf.readInt16LE((i * channels + channel) * 2);
  return out;
}

/** G.711 A-law to 16-bit linear (ITU-T G.711, as the reference `alaw2linear`). */
function alawToLinear(a: number): number {
  const v = a ^ 0x55;
  let t = (v & 0x0f) << 4;
  const seg = (v & 0x70) >> 4;
  if (seg === 0) t += 8;
  else if (seg === 1) t += 0x108;
  else t = (t + 0x108) << (seg - 1);
  return v & 0x80 ? t : -t;
}

describe('media parameters are applied, answered, and shape the packets', () => {
  it('send_rate 100 at 16 kHz mono L16: the answer says 100, packets every 100 ms of 3 200 bytes, timestamps +100', async () => {
    const t0 = Date.now();
    const { answer, audio } = await play({ send_rate: 100 }, 1_050);
    expect(answer).toMatchObject({ msg_type: 4, status_code: 0, media_params: { audio: { content_type: 2, codec: 1, sample_rate: 1, channel: 1, data_opt: 1, send_rate: 100 } } });
    expect(audio.length).toBeGreaterThanOrEqual(8);
    expect(audio.length).toBeLessThanOrEqual(11);
    for (const f of audio) expect([content(f)['length'], pcm(f).length]).toEqual([3200, 3200]);
    const ts = audio.map((f) => content(f)['timestamp'] as number);
    expect(ts[0]).toBeGreaterThanOrEqual(t0 - 5);
    for (let i = 1; i < ts.length; i++) expect(ts[i]! - ts[i - 1]!).toBe(100);
  });

  it('48 kHz stereo: 19 200 bytes per 100 ms, the same voice in both channels', async () => {
    const { answer, audio } = await play({ sample_rate: 3, channel: 2, send_rate: 100 }, 450);
    expect(answer['media_params']).toMatchObject({ audio: { sample_rate: 3, channel: 2, send_rate: 100, codec: 1 } });
    expect(audio.length).toBeGreaterThanOrEqual(3);
    for (const f of audio) expect(pcm(f).length).toBe(19_200);
    const buf = pcm(audio[1]!);
    expect(l16(buf, 2, 0)).toEqual(l16(buf, 2, 1));
  });

  it('G.711: A-law at 8 kHz mono, one byte per sample (160 bytes per 20 ms), a real signal once decoded', async () => {
    const { answer, audio } = await play({ codec: 2, sample_rate: 0 }, 300);
    expect(answer['media_params']).toMatchObject({ audio: { codec: 2, sample_rate: 0, channel: 1, send_rate: 20 } });
    expect(audio.length).toBeGreaterThanOrEqual(10);
    for (const f of audio) expect(pcm(f).length).toBe(160);
    const samples = Float64Array.from(Buffer.concat(audio.slice(0, 10).map(pcm)), alawToLinear);
    const a = analyse(samples, 8000);
    expect(a.rms).toBeGreaterThan(500);
    expect(Math.abs(a.peakHz - speakerPitchHz(SPEAKER.userId))).toBeLessThanOrEqual(6);
  });

  it('send_rate 1500 is applied as 1000 (the documented ceiling); 30 is refused with status 24', async () => {
    const s = await sim();
    const stream = s.createStream();
    const app = new RawClient(stream);
    await app.connectSignaling();
    const big = await app.connectMedia({ mediaType: 1, mediaParams: audioParams({ send_rate: 1500 }) });
    expect(big.answer).toMatchObject({ status_code: 0, media_params: { audio: { send_rate: 1000 } } });
    const odd = await app.connectMedia({ endpoint: 'transcript', mediaType: 8, mediaParams: audioParams({ send_rate: 30 }) });
    expect(odd.answer).toMatchObject({ status_code: 24, reason: expect.stringMatching(/send_rate 30 is not a multiple of 20/) });
    await until(() => odd.socket.closed !== undefined);
    expect(stream.errors.map((v) => v.rule)).toEqual(['media-params']);
  });

  it('Opus requested (the SDK): applied as Opus 48 kHz with 20 ms packets of the recorded speech; session.audioFormat reports it', async () => {
    const r = await rig({ media: ['audio'], mediaParams: { audio: { codec: 'OPUS', sampleRate: 48000, channels: 2 } } });
    const stream = r.sim.createStream();
    const session = (await r.client.handleWebhook(stream.webhook('started'))).session!;
    const frames: { data: Buffer; ts: number | undefined }[] = [];
    const formats: string[] = [];
    session.on('audio', (a) => {
      frames.push({ data: a.data, ts: a.timestamp });
      formats.push(a.format.codec);
    });
    await stream.ready();
    await until(() => session.state === 'streaming');
    expect(stream.record.handshakes.find((h) => h.channel === 'media')!.message['media_params']).toMatchObject({ audio: { codec: 4, sample_rate: 3, channel: 2 } });
    expect(session.audioFormat).toMatchObject({ codec: 'OPUS', sampleRate: 48000, channels: 2, sendRate: 20 });
    await stream.playMeeting({ durationMs: 200, lines: [SPEAKER], transcriptEveryMs: 60_000 });
    await until(() => frames.length >= 5);
    expect(new Set(formats)).toEqual(new Set(['OPUS']));
    // Opus packets vary in size (the fixture's first packets are 19, 62, 59 ... bytes) and come every 20 ms.
    expect(new Set(frames.map((f) => f.data.length)).size).toBeGreaterThan(1);
    for (let i = 1; i < frames.length; i++) expect(frames[i]!.ts! - frames[i - 1]!.ts!).toBe(20);
  });

  it("the script's packet interval and size follow the negotiated format unless the script sets them", async () => {
    const { audio } = await play({ sample_rate: 0, send_rate: 40 }, 300);
    for (const f of audio) expect(pcm(f).length).toBe(640); // 8 000 × 2 bytes × 40 ms
    const s = await sim();
    const stream = s.createStream();
    const app = new RawClient(stream);
    const { socket } = await app.connect({ mediaType: 1, mediaParams: audioParams({ send_rate: 100 }) });
    await stream.playMeeting({ durationMs: 200, audioFrameMs: 20, audioFrameBytes: 100, lines: [SPEAKER], transcriptEveryMs: 60_000 });
    const given = frames(socket, 14);
    expect(given.length).toBeGreaterThanOrEqual(5);
    for (const f of given) expect(pcm(f).length).toBe(100);
  });
});

describe('L16 audio carries a voice', () => {
  it('loud enough, and its strongest frequency is the speaker pitch (a voice, not noise or silence)', async () => {
    const { audio } = await play({ send_rate: 100 }, 350);
    const samples = l16(Buffer.concat(audio.slice(0, 3).map(pcm)), 1);
    const a = analyse(samples, 16000);
    expect(a.rms).toBeGreaterThan(1000);
    expect(Math.abs(a.peakHz - speakerPitchHz(SPEAKER.userId))).toBeLessThanOrEqual(3);
    expect(a.peakShare).toBeGreaterThan(0.01); // noise would spread its power over the 941 frequencies scanned
    // Consecutive packets join up: no jump at the boundary bigger than the signal's own steps.
    const first = l16(pcm(audio[0]!), 1);
    const second = l16(pcm(audio[1]!), 1);
    let maxStep = 0;
    for (let i = 1; i < first.length; i++) maxStep = Math.max(maxStep, Math.abs(first[i]! - first[i - 1]!));
    expect(Math.abs(second[0]! - first[first.length - 1]!)).toBeLessThanOrEqual(maxStep);
  });

  it('every speaker of the default meeting has a pitch of its own, in the range of speaking voices', () => {
    const pitches = [16778240, 16779264, 16780288].map(speakerPitchHz);
    expect(new Set(pitches).size).toBe(3);
    for (const p of pitches) expect(p).toBeGreaterThanOrEqual(80), expect(p).toBeLessThanOrEqual(260);
  });

  it('tonePcm still works, at 16 kHz by default or at a given rate', () => {
    expect(tonePcm(640, 1, 0)).toHaveLength(640);
    expect(tonePcm(641, 1, 0)).toHaveLength(640);
    const at48k = tonePcm(1920, 1, 0, 48000);
    expect(at48k).toHaveLength(1920);
    expect(at48k.equals(tonePcm(1920, 1, 0))).toBe(false);
  });
});

describe('realistic streams', () => {
  it("product ids have Zoom's shape (24 base64 characters ending ==), for every product; some hold / and some +", async () => {
    const s = await sim();
    const products = ['meeting', 'webinar', 'session', 'contact_center', 'phone'] as const;
    const ids = Array.from({ length: 50 }, (_, i) => s.createStream({ product: products[i % products.length]! }).productId);
    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z0-9+/]{22}==$/);
      expect(Buffer.from(id, 'base64')).toHaveLength(16);
    }
    expect(ids.filter((id) => id.includes('/')).length).toBeGreaterThan(5);
    expect(ids.filter((id) => id.includes('+')).length).toBeGreaterThan(5);
    expect(new Set(ids).size).toBe(50);
  });

  it('Contact Center: one channel_id per party, in audio and transcripts', async () => {
    const s = await sim();
    const stream = s.createStream({ product: 'contact_center' });
    const app = new RawClient(stream);
    const { socket } = await app.connect({ mediaType: 9 });
    const lines = [
      { userId: 'caller', userName: 'Caller', text: 'Hello?' },
      { userId: 'agent', userName: 'Agent', text: 'How can I help?' },
    ];
    await stream.playMeeting({ durationMs: 500, transcriptEveryMs: 100, lines });
    const transcripts = frames(socket, 17).map((f) => [content(f)['channel_id'], content(f)['data']]);
    expect(transcripts.slice(0, 2)).toEqual([
      ['1', 'Hello?'],
      ['2', 'How can I help?'],
    ]);
    const audioChannels = new Set(frames(socket, 14).map((f) => content(f)['channel_id']));
    expect([...audioChannels].sort()).toEqual(['1', '2']);
    for (const f of frames(socket, 14)) expect(content(f)['user_id']).toBeUndefined();
  });

  it('FIRST_PACKET_TIMESTAMP: once, as media starts, with the first packet timestamp; it reaches the SDK as firstPacket', async () => {
    const r = await rig({ media: ['audio', 'transcript'], reconnect: { baseDelayMs: 20, jitter: 0 } });
    const stream = r.sim.createStream();
    const session = (await r.client.handleWebhook(stream.webhook('started'))).session!;
    const first: (number | undefined)[] = [];
    const audioTs: number[] = [];
    session.on('firstPacket', (ts) => first.push(ts));
    session.on('audio', (a) => audioTs.push(a.timestamp!));
    await stream.ready();
    await until(() => session.state === 'streaming');
    expect(first).toEqual([]); // not before media flows
    await stream.playMeeting({ durationMs: 300, lines: [SPEAKER], transcriptEveryMs: 100 });
    await until(() => audioTs.length >= 5);
    expect(first).toEqual([audioTs[0]]);
    // A reconnect does not send it again.
    stream.dropSocket('media');
    await new Promise((resolve) => session.once('reconnected', resolve));
    await stream.ready();
    stream.sendTranscript({ text: 'after' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(first).toHaveLength(1);
  });

  it('FIRST_PACKET_TIMESTAMP is sent to Contact Center too (event_ts and timestamp)', async () => {
    const s = await sim();
    const stream = s.createStream({ product: 'contact_center' });
    const app = new RawClient(stream);
    await app.connect({ mediaType: 9 });
    stream.sendTranscript({ text: 'hi', channelId: '1', timestamp: 1_764_460_800_000 });
    await until(() => frames(app.signaling, 6).length === 1);
    expect(frames(app.signaling, 6)[0]!['event']).toEqual({ event_type: 1, timestamp: 1_764_460_800_000, event_ts: expect.any(Number) });
  });

  it('keep-alives go only to idle sockets by default: none on media while audio flows, some on signaling; `always` sends them anyway', async () => {
    for (const keepAlive of ['idle', 'always'] as const) {
      const s = await sim({ keepAliveIntervalMs: 50, keepAlive });
      const stream = s.createStream();
      const app = new RawClient(stream);
      const { socket } = await app.connect({ mediaType: 1 });
      const playing = stream.playMeeting({ durationMs: 700, lines: [SPEAKER], speakerEvents: false, transcriptEveryMs: 60_000 });
      await new Promise((resolve) => setTimeout(resolve, 150)); // audio is flowing
      const [media0, signaling0] = [socket.keepAlives, app.signaling.keepAlives];
      await playing;
      const whilePlaying = { media: socket.keepAlives - media0, signaling: app.signaling.keepAlives - signaling0 };
      await new Promise((resolve) => setTimeout(resolve, 300)); // idle again
      const afterwards = socket.keepAlives - media0 - whilePlaying.media;
      if (keepAlive === 'idle') expect(whilePlaying.media, keepAlive).toBe(0);
      else expect(whilePlaying.media, keepAlive).toBeGreaterThanOrEqual(5);
      expect(whilePlaying.signaling, keepAlive).toBeGreaterThanOrEqual(5); // signaling carried nothing
      expect(afterwards, keepAlive).toBeGreaterThanOrEqual(2);
      expect(stream.record.keepAlive.wrongTimestamp).toBe(0);
      await s.close();
    }
  });

  it('the share URL is offered under deskshare and sharescreen, and both serve share frames', async () => {
    const s = await sim();
    const stream = s.createStream();
    const app = new RawClient(stream);
    await app.connectSignaling();
    expect(Object.keys(app.serverUrls)).toEqual(['all', 'audio', 'video', 'deskshare', 'sharescreen', 'transcript', 'chat']);
    expect(app.serverUrls['sharescreen']).toMatch(/\/rtms\/media\/sharescreen$/);
    const { socket, answer } = await app.connectMedia({ endpoint: 'sharescreen', mediaType: 4 });
    expect(answer).toMatchObject({ status_code: 0 });
    app.ready();
    await stream.ready();
    expect(stream.sendShare({ data: Buffer.from([0xff, 0xd8]), userId: 1 })).toBe(true);
    await until(() => frames(socket, 16).length === 1);
    expect(content(frames(socket, 16)[0]!)).toMatchObject({ data: Buffer.from([0xff, 0xd8]).toString('base64'), length: 2 });
    // The same kind on the other key is the same socket kind: a second one is a duplicate.
    const dup = await app.connectMedia({ endpoint: 'deskshare', mediaType: 4 });
    expect(dup.answer).toMatchObject({ status_code: 16 });
    expect(stream.errors.map((v) => v.rule)).toEqual(['one-connection']);
  });
});

describe('sequence', () => {
  it('missing from the media handshake: an informational note; missing from signaling: a warning', async () => {
    const s = await sim();
    const stream = s.createStream();
    const app = new RawClient(stream);
    await app.connectSignaling({ sequence: false });
    await app.connectMedia({ sequence: false });
    expect(stream.record.violations.filter((v) => v.rule === 'sequence').map((v) => [v.channel, v.severity])).toEqual([
      ['signaling', 'warning'],
      ['media', 'info'],
    ]);
    expect(stream.errors).toEqual([]);
  });
});
