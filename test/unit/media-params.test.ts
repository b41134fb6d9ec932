import { describe, expect, it } from 'vitest';
import { RtmsError } from '../../src/errors.js';
import { MEDIA_BIT, resolveMedia, type AudioParams, type CameraVideoParams, type VideoParams } from '../../src/media-params.js';
import type { MediaKind } from '../../src/protocol/messages.js';

/** Wire numbers copied by hand from protocol.md §3.3 / §4.1 / §4.2 (independent of src/protocol/constants.ts). */
const WIRE = {
  mediaType: { audio: 1, video: 2, deskshare: 4, transcript: 8, chat: 16, all: 32 },
  contentType: { RTP: 1, RAW_AUDIO: 2, RAW_VIDEO: 3, TEXT: 5 },
  codec: { L16: 1, G711: 2, G722: 3, OPUS: 4, JPG: 5, PNG: 6, H264: 7 },
  sampleRate: { 8000: 0, 16000: 1, 32000: 2, 48000: 3 } as Record<number, number>,
  dataOpt: { AUDIO_MIXED_STREAM: 1, AUDIO_MULTI_STREAMS: 2, VIDEO_SINGLE_ACTIVE_STREAM: 3, VIDEO_SINGLE_INDIVIDUAL_STREAM: 4 },
  resolution: { SD: 1, HD: 2, FHD: 3, QHD: 4 },
} as const;

function expectInvalidOptions(fn: () => unknown): RtmsError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(RtmsError);
  const err = caught as RtmsError;
  expect(err.code).toBe('RTMS_INVALID_OPTIONS');
  expect(err.message.length).toBeGreaterThan(0);
  return err;
}

function present<T>(v: T | undefined): T {
  if (v === undefined) throw new Error('expected wire params');
  return v;
}
const audio = (p: AudioParams) => present(resolveMedia(['audio'], { audio: p }).wireParams['audio']);
const video = (p: CameraVideoParams) => present(resolveMedia(['video'], { video: p }).wireParams['video']);
const share = (p: VideoParams) => present(resolveMedia(['share'], { share: p }).wireParams['deskshare']);

describe('resolveMedia — media selection and bits (§4.1)', () => {
  it('MEDIA_BIT matches MEDIA_DATA_TYPE: audio 1, video 2, deskshare 4, transcript 8, chat 16', () => {
    expect(MEDIA_BIT).toEqual({ audio: 1, video: 2, share: 4, transcript: 8, chat: 16 });
  });

  it('defaults to audio + transcript, media_type 9', () => {
    const r = resolveMedia(undefined);
    expect(r.kinds).toEqual(['audio', 'transcript']);
    expect(r.mediaType).toBe(WIRE.mediaType.audio | WIRE.mediaType.transcript);
    expect(r.mediaType).toBe(9);
    expect(Object.keys(r.wireParams).sort()).toEqual(['audio', 'transcript']);
  });

  it('default audio params are the wire defaults: RAW(2), L16(1), 16 kHz(1), mono(1), mixed(1), 20 ms', () => {
    expect(resolveMedia(undefined).wireParams['audio']).toEqual({
      content_type: 2,
      codec: 1,
      sample_rate: 1,
      channel: 1,
      data_opt: 1,
      send_rate: 20,
    });
  });

  it('default transcript params carry only content_type TEXT (5)', () => {
    expect(resolveMedia(undefined).wireParams['transcript']).toEqual({ content_type: 5 });
  });

  it.each<[MediaKind[], number]>([
    [['audio'], 1],
    [['video'], 2],
    [['share'], 4],
    [['transcript'], 8],
    [['chat'], 16],
    [['audio', 'video'], 3],
    [['video', 'share'], 6],
    [['audio', 'video', 'share', 'transcript', 'chat'], 31],
  ])('%j → media_type %i', (kinds, bits) => {
    expect(resolveMedia(kinds).mediaType).toBe(bits);
  });

  it('never sets the ALL bit (32), which is its own bit and not the OR of the others', () => {
    const r = resolveMedia(['audio', 'video', 'share', 'transcript', 'chat']);
    expect(r.mediaType & WIRE.mediaType.all).toBe(0);
  });

  it('orders kinds by wire order and drops duplicates', () => {
    const r = resolveMedia(['chat', 'transcript', 'audio', 'audio', 'video']);
    expect(r.kinds).toEqual(['audio', 'video', 'transcript', 'chat']);
    expect(r.mediaType).toBe(1 | 2 | 8 | 16);
  });

  it('emits params only for the kinds requested, with share under the wire key "deskshare"', () => {
    expect(Object.keys(resolveMedia(['video']).wireParams)).toEqual(['video']);
    expect(Object.keys(resolveMedia(['share']).wireParams)).toEqual(['deskshare']);
    expect(Object.keys(resolveMedia(['audio', 'share', 'chat']).wireParams).sort()).toEqual(['audio', 'chat', 'deskshare']);
  });

  it('chat → { content_type: 5 } (§3.3)', () => {
    const r = resolveMedia(['chat']);
    expect(r.mediaType).toBe(16);
    expect(r.wireParams['chat']).toEqual({ content_type: 5 });
  });

  it('rejects an empty list', () => {
    expectInvalidOptions(() => resolveMedia([]));
  });

  it.each(['deskshare', 'Audio', 'all', '', 'screen'])('rejects the unknown media kind %j', (kind) => {
    expectInvalidOptions(() => resolveMedia([kind as MediaKind]));
    expectInvalidOptions(() => resolveMedia(['audio', kind as MediaKind]));
  });

  it('rejects a non-array media option', () => {
    expectInvalidOptions(() => resolveMedia('audio' as unknown as MediaKind[]));
  });
});

describe('resolveMedia — audio (§3.3 supported combinations)', () => {
  type Combo = { contentType: 'raw' | 'rtp'; codec: 'L16' | 'G711' | 'G722' | 'OPUS'; sampleRate: 8000 | 16000 | 32000 | 48000; channels: 1 | 2; sendRate: number };
  // RTP+OPUS 48k mono/stereo 20 ms; RTP+G711 8k mono 20; RTP+G722 16k mono 20; RAW+L16 8/16/32/48k mono/stereo
  // 20 ms…1 s (multiple of 20); RAW+OPUS 48k mono/stereo 20; RAW+G711 8k mono 20; RAW+G722 16k mono 20.
  const supported: Combo[] = [
    { contentType: 'rtp', codec: 'OPUS', sampleRate: 48000, channels: 1, sendRate: 20 },
    { contentType: 'rtp', codec: 'OPUS', sampleRate: 48000, channels: 2, sendRate: 20 },
    { contentType: 'rtp', codec: 'G711', sampleRate: 8000, channels: 1, sendRate: 20 },
    { contentType: 'rtp', codec: 'G722', sampleRate: 16000, channels: 1, sendRate: 20 },
    { contentType: 'raw', codec: 'OPUS', sampleRate: 48000, channels: 1, sendRate: 20 },
    { contentType: 'raw', codec: 'OPUS', sampleRate: 48000, channels: 2, sendRate: 20 },
    { contentType: 'raw', codec: 'G711', sampleRate: 8000, channels: 1, sendRate: 20 },
    { contentType: 'raw', codec: 'G722', sampleRate: 16000, channels: 1, sendRate: 20 },
  ];
  for (const rate of [8000, 16000, 32000, 48000] as const) {
    for (const channels of [1, 2] as const) {
      for (const sendRate of [20, 40, 100, 500, 980, 1000]) {
        supported.push({ contentType: 'raw', codec: 'L16', sampleRate: rate, channels, sendRate });
      }
    }
  }

  it.each(supported)('accepts %j with the right wire numbers', (c) => {
    for (const dataOption of ['mixed', 'multi'] as const) {
      expect(audio({ ...c, dataOption })).toEqual({
        content_type: c.contentType === 'raw' ? WIRE.contentType.RAW_AUDIO : WIRE.contentType.RTP,
        codec: WIRE.codec[c.codec],
        sample_rate: WIRE.sampleRate[c.sampleRate],
        channel: c.channels,
        data_opt: dataOption === 'mixed' ? WIRE.dataOpt.AUDIO_MIXED_STREAM : WIRE.dataOpt.AUDIO_MULTI_STREAMS,
        send_rate: c.sendRate,
      });
    }
  });

  it('multi-stream audio → data_opt 2, rtp → content_type 1', () => {
    expect(audio({ dataOption: 'multi' })['data_opt']).toBe(2);
    expect(audio({ contentType: 'rtp', codec: 'OPUS', sampleRate: 48000 })['content_type']).toBe(1);
  });

  it.each<[string, AudioParams]>([
    ['OPUS at 16 kHz', { codec: 'OPUS', sampleRate: 16000 }],
    ['OPUS at 8 kHz', { codec: 'OPUS', sampleRate: 8000 }],
    ['OPUS at 32 kHz', { codec: 'OPUS', sampleRate: 32000 }],
    ['OPUS at the default 16 kHz', { codec: 'OPUS' }],
    ['G711 stereo', { codec: 'G711', sampleRate: 8000, channels: 2 }],
    ['G711 at 16 kHz', { codec: 'G711', sampleRate: 16000 }],
    ['G711 at the default 16 kHz', { codec: 'G711' }],
    ['G722 at 8 kHz', { codec: 'G722', sampleRate: 8000 }],
    ['G722 at 48 kHz', { codec: 'G722', sampleRate: 48000 }],
    ['G722 stereo', { codec: 'G722', sampleRate: 16000, channels: 2 }],
    ['send rate 30 (not a multiple of 20)', { sendRate: 30 }],
    ['send rate 10', { sendRate: 10 }],
    ['send rate 1020 (above 1000)', { sendRate: 1020 }],
    ['send rate 2000', { sendRate: 2000 }],
    ['send rate 0', { sendRate: 0 }],
    ['send rate -20', { sendRate: -20 }],
    ['send rate 20.5', { sendRate: 20.5 }],
    ['send rate NaN', { sendRate: Number.NaN }],
    ['send rate Infinity', { sendRate: Number.POSITIVE_INFINITY }],
    ['OPUS with send rate 40', { codec: 'OPUS', sampleRate: 48000, sendRate: 40 }],
    ['G711 with send rate 40', { codec: 'G711', sampleRate: 8000, sendRate: 40 }],
    ['G722 with send rate 40', { codec: 'G722', sampleRate: 16000, sendRate: 40 }],
    ['G722 with send rate 1000', { codec: 'G722', sampleRate: 16000, sendRate: 1000 }],
    ['sample rate 44100', { sampleRate: 44100 as 48000 }],
    ['sample rate 0', { sampleRate: 0 as 8000 }],
    ['3 channels', { channels: 3 as 2 }],
    ['0 channels', { channels: 0 as 1 }],
    ['an unknown codec', { codec: 'AAC' as 'L16' }],
    ['a video codec as audio codec', { codec: 'H264' as 'L16' }],
    ['an unknown content type', { contentType: 'file' as 'raw' }],
    ['an unknown data option', { dataOption: 'gallery' as 'mixed' }],
  ])('rejects %s with RTMS_INVALID_OPTIONS', (_label, p) => {
    expectInvalidOptions(() => audio(p));
  });

  it('validates audio params only when audio is requested through the default list too', () => {
    expectInvalidOptions(() => resolveMedia(undefined, { audio: { codec: 'OPUS', sampleRate: 16000 } }));
  });
});

describe('resolveMedia — video and share (§3.3)', () => {
  it('video defaults: RAW_VIDEO(3), JPG(5), HD(2), 5 fps, active speaker(3)', () => {
    expect(video({})).toEqual({ content_type: 3, codec: 5, resolution: 2, fps: 5, data_opt: 3 });
  });

  it('share defaults: RAW_VIDEO(3), JPG(5), FHD(3), 1 fps, and no data_opt', () => {
    expect(share({})).toEqual({ content_type: 3, codec: 5, resolution: 3, fps: 1 });
  });

  it('individual video → data_opt 4 (VIDEO_SINGLE_INDIVIDUAL_STREAM)', () => {
    expect(video({ dataOption: 'individual' })['data_opt']).toBe(WIRE.dataOpt.VIDEO_SINGLE_INDIVIDUAL_STREAM);
    expect(video({ dataOption: 'active_speaker' })['data_opt']).toBe(WIRE.dataOpt.VIDEO_SINGLE_ACTIVE_STREAM);
  });

  it('rejects an unknown video data option (5, gallery view, is not offered)', () => {
    expectInvalidOptions(() => video({ dataOption: 'gallery' as 'individual' }));
  });

  describe.each([
    ['video', video],
    ['share', share],
  ] as const)('%s', (_label, build) => {
    it.each([1, 2, 3, 4, 5])('JPG and PNG accept %i fps', (fps) => {
      expect(build({ codec: 'JPG', fps })).toMatchObject({ codec: WIRE.codec.JPG, fps });
      expect(build({ codec: 'PNG', fps })).toMatchObject({ codec: WIRE.codec.PNG, fps });
    });

    it.each([6, 10, 30])('JPG and PNG reject %i fps (only ≤ 5; use H264)', (fps) => {
      expectInvalidOptions(() => build({ codec: 'JPG', fps }));
      expectInvalidOptions(() => build({ codec: 'PNG', fps }));
    });

    it('the default codec (JPG) rejects 6 fps', () => {
      expectInvalidOptions(() => build({ fps: 6 }));
    });

    it.each([1, 5, 6, 15, 25, 30])('H264 accepts %i fps', (fps) => {
      expect(build({ codec: 'H264', fps })).toMatchObject({ content_type: 3, codec: WIRE.codec.H264, fps });
    });

    it('H264 without fps asks for 30 fps (SDK default, §8)', () => {
      expect(build({ codec: 'H264' })).toMatchObject({ codec: 7, fps: 30 });
    });

    it.each([31, 60, 0, -1, 2.5, Number.NaN])('rejects fps %s for any codec', (fps) => {
      expectInvalidOptions(() => build({ codec: 'H264', fps }));
      expectInvalidOptions(() => build({ codec: 'JPG', fps }));
    });

    it.each([
      ['SD', 1],
      ['HD', 2],
      ['FHD', 3],
      ['QHD', 4],
    ] as const)('resolution %s → %i', (resolution, wire) => {
      expect(build({ resolution })['resolution']).toBe(wire);
    });

    it.each(['UHD', '4K', 'hd', ''])('rejects the resolution %j', (resolution) => {
      expectInvalidOptions(() => build({ resolution: resolution as 'HD' }));
    });

    it.each(['GIF', 'jpg', 'VP8'])('rejects the codec %j', (codec) => {
      expectInvalidOptions(() => build({ codec: codec as 'JPG' }));
    });
  });
});

describe('resolveMedia — transcript (§3.3, §4.9)', () => {
  const transcript = (srcLanguage?: number, enableLid?: boolean) =>
    resolveMedia(['transcript'], { transcript: { ...(srcLanguage === undefined ? {} : { srcLanguage }), ...(enableLid === undefined ? {} : { enableLid }) } })
      .wireParams['transcript'];

  it.each([
    [-1, 'NONE'],
    [0, 'Arabic'],
    [9, 'English'],
    [14, 'German'],
    [20, 'Japanese'],
    [28, 'Spanish'],
    [36, 'Vietnamese'],
  ])('accepts src_language %i (%s)', (id) => {
    expect(transcript(id)).toEqual({ content_type: 5, src_language: id });
  });

  it('accepts every language id from -1 to 36', () => {
    for (let id = -1; id <= 36; id++) expect(transcript(id)?.['src_language']).toBe(id);
  });

  it.each([37, -2, 100, 9.5, Number.NaN])('rejects the unknown language id %s', (id) => {
    expectInvalidOptions(() => transcript(id));
  });

  it('passes enable_lid through when given (false pins the language)', () => {
    expect(transcript(9, false)).toEqual({ content_type: 5, src_language: 9, enable_lid: false });
    expect(transcript(undefined, true)).toEqual({ content_type: 5, enable_lid: true });
  });

  it('rejects a non-boolean enableLid', () => {
    expectInvalidOptions(() => resolveMedia(['transcript'], { transcript: { enableLid: 'yes' as unknown as boolean } }));
  });
});

describe('resolveMedia — values that name Object.prototype members (untyped JS callers)', () => {
  // Regression: validation used the `in` operator, which also sees inherited Object.prototype members, so
  // 'constructor' / 'toString' / '__proto__' passed and the wire params got a function (`resolution: Object`,
  // `sample_rate: toString`) that JSON.stringify silently dropped. Found by these tests; src now uses Object.hasOwn.
  it.each(['constructor', 'toString', 'valueOf', '__proto__', 'hasOwnProperty'])('rejects the video and share resolution %j', (resolution) => {
    expectInvalidOptions(() => video({ resolution: resolution as 'HD' }));
    expectInvalidOptions(() => share({ resolution: resolution as 'HD' }));
  });

  it.each(['constructor', 'toString', 'valueOf', '__proto__', 'hasOwnProperty'])('rejects the audio sampleRate %j', (rate) => {
    expectInvalidOptions(() => audio({ sampleRate: rate as unknown as 16000 }));
  });

  it('rejects a resolution given as its wire number', () => {
    expectInvalidOptions(() => video({ resolution: 2 as unknown as 'HD' }));
  });

  it('rejects other strings that are not members', () => {
    expectInvalidOptions(() => video({ resolution: 'notAResolution' as 'HD' }));
    expectInvalidOptions(() => audio({ sampleRate: 'notARate' as unknown as 16000 }));
  });
});
