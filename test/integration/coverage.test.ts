/**
 * The coverage matrix behind docs/coverage.md: every product × media kind streams through the simulator over
 * loopback, every audio parameter combination the protocol defines is negotiated and reported on the frames,
 * and video/share parameters reach the frames' format.
 */
import { describe, expect, it } from 'vitest';
import type { AudioParams, MediaKind, RawMediaFrame, RtmsProduct } from '../../src/index.js';
import { rig, until } from '../helpers.js';

const PRODUCTS: RtmsProduct[] = ['meeting', 'webinar', 'session', 'contact_center', 'phone'];
// Contact Center voice streams carry audio and transcripts only (D-QS-ZCC, D-MEDIA contact-center); so does
// Zoom Phone (D-PHONE: audio and transcripts, no video, share or chat).
const KINDS: Record<RtmsProduct, MediaKind[]> = {
  meeting: ['audio', 'video', 'share', 'transcript', 'chat'],
  webinar: ['audio', 'video', 'share', 'transcript', 'chat'],
  session: ['audio', 'video', 'share', 'transcript', 'chat'],
  contact_center: ['audio', 'transcript'],
  phone: ['audio', 'transcript'],
};

describe('product × media kind', () => {
  for (const product of PRODUCTS) {
    for (const kind of KINDS[product]) {
      it(`${product} × ${kind}`, async () => {
        const r = await rig({ media: [kind] });
        const stream = r.sim.createStream({ product });
        const res = await r.client.handleWebhook(stream.webhook('started'));
        const session = res.session!;
        const got: unknown[] = [];
        session.on(kind, (x: unknown) => got.push(x));
        await stream.ready();
        await until(() => session.state === 'streaming');
        const bytes = Buffer.from([1, 2, 3, 4, 5]);
        if (kind === 'audio') stream.sendAudio({ data: bytes, userId: 7, channelId: 'ch-1' });
        if (kind === 'video') stream.sendVideo({ data: bytes, userId: 7, userName: 'Ada' });
        if (kind === 'share') stream.sendShare({ data: bytes, userId: 7, userName: 'Ada' });
        if (kind === 'transcript') stream.sendTranscript({ text: 'hello', userId: 7, userName: 'Ada', channelId: 'ch-1' });
        if (kind === 'chat') stream.sendChat({ data: 'hi all', userId: 7, userName: 'Ada' });
        await until(() => got.length === 1);
        const x = got[0] as Record<string, unknown>;
        if (kind === 'transcript') expect(x['text']).toBe('hello');
        else if (kind === 'chat') expect(x['text']).toBe('hi all');
        else expect((x['data'] as Buffer).equals(bytes)).toBe(true);
        if (product === 'contact_center' || product === 'phone') expect(x['channelId']).toBe('ch-1');
        const hs = stream.record.handshakes.find((h) => h.channel === 'media')!.message;
        expect(hs['media_type']).toBe({ audio: 1, video: 2, share: 4, transcript: 8, chat: 16 }[kind]);
        expect(stream.errors).toEqual([]);
      });
    }
  }
});

describe('audio parameters', () => {
  const combos: [string, AudioParams, { codec: string; sampleRate: number; channels: number; sendRate: number; contentType: string }][] = [
    ['RAW L16 8 kHz mono', { codec: 'L16', sampleRate: 8000 }, { codec: 'L16', sampleRate: 8000, channels: 1, sendRate: 20, contentType: 'raw' }],
    ['RAW L16 16 kHz mono (default)', {}, { codec: 'L16', sampleRate: 16000, channels: 1, sendRate: 20, contentType: 'raw' }],
    ['RAW L16 32 kHz stereo 100 ms', { sampleRate: 32000, channels: 2, sendRate: 100 }, { codec: 'L16', sampleRate: 32000, channels: 2, sendRate: 100, contentType: 'raw' }],
    ['RAW L16 48 kHz stereo 1000 ms', { sampleRate: 48000, channels: 2, sendRate: 1000 }, { codec: 'L16', sampleRate: 48000, channels: 2, sendRate: 1000, contentType: 'raw' }],
    // The simulator applies OPUS and G.722 (streaming its recorded speech), and the frames report what the server applied.
    ['RAW OPUS 48 kHz stereo', { codec: 'OPUS', sampleRate: 48000, channels: 2 }, { codec: 'OPUS', sampleRate: 48000, channels: 2, sendRate: 20, contentType: 'raw' }],
    ['RAW G711 8 kHz mono', { codec: 'G711', sampleRate: 8000 }, { codec: 'G711', sampleRate: 8000, channels: 1, sendRate: 20, contentType: 'raw' }],
    ['RAW G722 16 kHz mono', { codec: 'G722', sampleRate: 16000 }, { codec: 'G722', sampleRate: 16000, channels: 1, sendRate: 20, contentType: 'raw' }],
    ['RTP OPUS 48 kHz mono', { contentType: 'rtp', codec: 'OPUS', sampleRate: 48000 }, { codec: 'OPUS', sampleRate: 48000, channels: 1, sendRate: 20, contentType: 'rtp' }],
    ['RTP G711 8 kHz mono', { contentType: 'rtp', codec: 'G711', sampleRate: 8000 }, { codec: 'G711', sampleRate: 8000, channels: 1, sendRate: 20, contentType: 'rtp' }],
    ['RTP G722 16 kHz mono', { contentType: 'rtp', codec: 'G722', sampleRate: 16000 }, { codec: 'G722', sampleRate: 16000, channels: 1, sendRate: 20, contentType: 'rtp' }],
  ];
  for (const dataOption of ['mixed', 'multi'] as const) {
    it.each(combos)(`%s, ${dataOption}`, async (_name, params, expected) => {
      const r = await rig({ media: ['audio'], mediaParams: { audio: { ...params, dataOption } } });
      const stream = r.sim.createStream();
      const res = await r.client.handleWebhook(stream.webhook('started'));
      const formats: unknown[] = [];
      res.session!.on('audio', (a) => formats.push(a.format));
      await stream.ready();
      expect(stream.audioMultiStream).toBe(dataOption === 'multi');
      await until(() => res.session!.state === 'streaming');
      stream.sendAudio({ data: Buffer.alloc(8), userId: dataOption === 'multi' ? 9 : 0 });
      await until(() => formats.length === 1);
      expect(formats[0]).toEqual({ ...expected, dataOption });
    });
  }
});

describe('video and share parameters', () => {
  it.each([
    ['video', { codec: 'JPG', resolution: 'SD', fps: 5 }],
    ['video', { codec: 'PNG', resolution: 'HD', fps: 1 }],
    ['video', { codec: 'H264', resolution: 'FHD', fps: 30 }],
    ['video', { codec: 'H264', resolution: 'QHD', fps: 24 }],
    ['share', { codec: 'JPG', resolution: 'FHD', fps: 1 }],
    ['share', { codec: 'H264', resolution: 'HD', fps: 15 }],
  ] as const)('%s %o', async (kind, p) => {
    const r = await rig({ media: [kind], mediaParams: { [kind]: p } });
    const stream = r.sim.createStream();
    const res = await r.client.handleWebhook(stream.webhook('started'));
    const formats: unknown[] = [];
    res.session!.on(kind, (v) => formats.push(v.format));
    await stream.ready();
    await until(() => res.session!.state === 'streaming');
    if (kind === 'video') stream.sendVideo({ data: Buffer.from([0]) });
    else stream.sendShare({ data: Buffer.from([0]) });
    await until(() => formats.length === 1);
    expect(formats[0]).toEqual(p);
  });
});

describe('transcript parameters', () => {
  it('src_language and enable_lid reach the media handshake; the language comes back on transcripts', async () => {
    const r = await rig({ media: ['transcript'], mediaParams: { transcript: { srcLanguage: 14, enableLid: false } } });
    const stream = r.sim.createStream();
    const res = await r.client.handleWebhook(stream.webhook('started'));
    await stream.ready();
    const hs = stream.record.handshakes.find((h) => h.channel === 'media')!.message;
    expect(hs['media_params']).toEqual({ transcript: { content_type: 5, src_language: 14, enable_lid: false } });
    const got = new Promise<number | undefined>((resolve) => res.session!.once('transcript', (t) => resolve(t.language)));
    await until(() => res.session!.state === 'streaming');
    stream.sendTranscript({ text: 'Guten Tag', language: 14 });
    expect(await got).toBe(14);
  });
});

describe('session.audioFormat', () => {
  it('is undefined before the media handshake and the accepted format after', async () => {
    const r = await rig({ mediaParams: { audio: { sampleRate: 48000, channels: 2 } } });
    const stream = r.sim.createStream();
    const res = await r.client.handleWebhook(stream.webhook('started'));
    expect(res.session!.audioFormat).toBeUndefined();
    await stream.ready();
    await until(() => res.session!.state === 'streaming');
    expect(res.session!.audioFormat).toMatchObject({ codec: 'L16', sampleRate: 48000, channels: 2 });
  });
});

describe('rawMedia: payloads left as base64', () => {
  it('delivers audio, video and share as received, with the same fields and format as the decoded events', async () => {
    const r = await rig({ media: ['audio', 'video', 'share'], mediaParams: { audio: { sampleRate: 48000 }, video: { codec: 'H264', resolution: 'HD', fps: 30 } } });
    const stream = r.sim.createStream();
    const session = (await r.client.handleWebhook(stream.webhook('started'))).session!;
    const raw: RawMediaFrame[] = [];
    const decoded: Buffer[] = [];
    session.on('rawMedia', (f) => raw.push(f));
    session.on('audio', (f) => decoded.push(f.data));
    await stream.ready();
    await until(() => session.state === 'streaming');
    const pcm = Buffer.from([1, 2, 3, 4, 5, 6]);
    stream.sendAudio({ data: pcm, userId: 7, userName: 'Ada', timestamp: 1234 });
    stream.sendVideo({ data: Buffer.from('video-bytes'), userId: 8, userName: 'Grace' });
    stream.sendShare({ data: Buffer.from('share-bytes'), userId: 9 });
    await until(() => raw.length === 3);
    expect(raw[0]).toMatchObject({ kind: 'audio', base64: pcm.toString('base64'), userId: 7, userName: 'Ada', timestamp: 1234, format: { sampleRate: 48000 } });
    expect(raw[1]).toMatchObject({ kind: 'video', base64: Buffer.from('video-bytes').toString('base64'), userId: 8, userName: 'Grace', format: { codec: 'H264', fps: 30 } });
    expect(raw[2]).toMatchObject({ kind: 'share', base64: Buffer.from('share-bytes').toString('base64'), userId: 9 });
    expect(decoded).toEqual([pcm]); // the audio listener still gets the bytes
    const first = raw[0]!;
    if (first.kind === 'audio') expect(first.format).toBe(session.audioFormat); // shared, not copied
  });

  it('with only rawMedia listeners nothing is decoded: an invalid payload passes through without an error', async () => {
    const r = await rig();
    const stream = r.sim.createStream();
    const session = (await r.client.handleWebhook(stream.webhook('started'))).session!;
    const raw: string[] = [];
    const errors: string[] = [];
    session.on('rawMedia', (f) => raw.push(f.base64));
    session.on('error', (e) => errors.push(e.code));
    await stream.ready();
    await until(() => session.state === 'streaming');
    stream.sendRaw('media', JSON.stringify({ msg_type: 14, content: { data: '!!!not base64!!!', user_id: 0 } }));
    stream.sendAudio({ data: Buffer.from([9, 9]) });
    await until(() => raw.length === 2);
    expect(raw).toEqual(['!!!not base64!!!', 'CQk=']);
    expect(errors).toEqual([]);
    // The same invalid frame with an audio listener is reported, and rawMedia still receives it.
    session.on('audio', () => undefined);
    stream.sendRaw('media', JSON.stringify({ msg_type: 14, content: { data: '!!!not base64!!!', user_id: 0 } }));
    await until(() => raw.length === 3);
    expect(errors).toEqual(['RTMS_FRAME_INVALID']);
  });

  it('iterates like the other media, and a throwing rawMedia listener is reported without stopping the stream', async () => {
    const r = await rig();
    const stream = r.sim.createStream();
    const session = (await r.client.handleWebhook(stream.webhook('started'))).session!;
    const errors: string[] = [];
    session.on('error', (e) => errors.push(e.code));
    session.once('rawMedia', () => {
      throw new Error('user bug');
    });
    const it = session.iterate('rawMedia', { filter: (f) => f.kind === 'audio' && f.userId === 2 });
    await stream.ready();
    await until(() => session.state === 'streaming');
    stream.sendAudio({ data: Buffer.from([1]), userId: 1 });
    stream.sendAudio({ data: Buffer.from([2]), userId: 2 });
    const next = await it.next();
    expect(next.done).toBe(false);
    expect(next.value).toMatchObject({ kind: 'audio', base64: 'Ag==', userId: 2 });
    expect(errors).toEqual(['RTMS_LISTENER_ERROR']);
    expect(session.state).toBe('streaming');
    await it.return?.();
  });
});
