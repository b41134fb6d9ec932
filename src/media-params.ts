/**
 * Media selection and media parameters: friendly, typed options in; validated wire `media_type` bitmask and
 * `media_params` out. Validation happens once, when the client is constructed, so a bad combination fails
 * before any socket opens.
 */
import { RtmsError } from './errors.js';
import {
  AUDIO_SEND_RATE_MAX_MS,
  AUDIO_SEND_RATE_STEP_MS,
  AudioChannel,
  AudioSampleRate,
  MediaCodec,
  MediaContentType,
  MediaDataOption,
  MediaResolution,
  MediaTypeBit,
  TranscriptLanguage,
} from './protocol/constants.js';
import type { MediaKind } from './protocol/messages.js';

/** Audio parameters. Defaults are the wire defaults: raw L16 PCM, 16 kHz, mono, mixed, 20 ms. §3.3 */
export interface AudioParams {
  /** `raw` (default) or `rtp`. */
  contentType?: 'raw' | 'rtp';
  /** Default `L16` (16-bit little-endian PCM). `G711` is A-law. */
  codec?: 'L16' | 'G711' | 'G722' | 'OPUS';
  /** Hz; default 16000. */
  sampleRate?: 8000 | 16000 | 32000 | 48000;
  /** Default 1 (mono). */
  channels?: 1 | 2;
  /** `mixed` (default): one stream, `userId` 0. `multi`: one stream per participant. */
  dataOption?: 'mixed' | 'multi';
  /** Milliseconds between packets: a multiple of 20, at most 1000. Default 20. */
  sendRate?: number;
}

/** Video or screen-share parameters. §3.3 */
export interface VideoParams {
  /** Default `JPG`. JPG and PNG allow at most 5 fps; use `H264` for more. */
  codec?: 'JPG' | 'PNG' | 'H264';
  /** Default `HD` for video, `FHD` for share. */
  resolution?: 'SD' | 'HD' | 'FHD' | 'QHD';
  /** 1–30. Default 5 for video, 1 for share. */
  fps?: number;
}

/** Video-only parameters. */
export interface CameraVideoParams extends VideoParams {
  /** `active_speaker` (default) or `individual` (one participant at a time, chosen by subscription). */
  dataOption?: 'active_speaker' | 'individual';
}

/** Transcript parameters. §3.3 */
export interface TranscriptParams {
  /** Source language id ({@link TranscriptLanguage}); -1 (none) lets the server identify it. */
  srcLanguage?: number;
  /** Language identification; default on at the server. `false` pins {@link srcLanguage}. */
  enableLid?: boolean;
}

/** Media parameters per kind. */
export interface MediaParams {
  /** Audio format; omitted fields take the wire defaults (raw L16, 16 kHz, mono, mixed, 20 ms). */
  audio?: AudioParams;
  /** Camera video format and mode; defaults: JPG, HD, 5 fps, active speaker. */
  video?: CameraVideoParams;
  /** Screen-share format (sent as `deskshare`); defaults: JPG, FHD, 1 fps. */
  share?: VideoParams;
  /** Transcript language options; omitted fields are left to the server. */
  transcript?: TranscriptParams;
}

/** What the client asks the media server for: the validated outcome of the media options. */
export interface ResolvedMedia {
  /** Media kinds requested, in a stable order. */
  readonly kinds: readonly MediaKind[];
  /** OR of the media bits of {@link kinds}. */
  readonly mediaType: number;
  /** Wire `media_params`, only for the kinds requested. */
  readonly wireParams: Readonly<Record<string, Record<string, unknown>>>;
}

/** Wire media bit of each kind. */
export const MEDIA_BIT: Readonly<Record<MediaKind, number>> = {
  audio: MediaTypeBit.AUDIO,
  video: MediaTypeBit.VIDEO,
  share: MediaTypeBit.DESKSHARE,
  transcript: MediaTypeBit.TRANSCRIPT,
  chat: MediaTypeBit.CHAT,
};

/** All media kinds, in wire order. */
export const MEDIA_KINDS: readonly MediaKind[] = ['audio', 'video', 'share', 'transcript', 'chat'];

const AUDIO_CODECS = ['L16', 'G711', 'G722', 'OPUS'] as const;

const SAMPLE_RATE_CODE = {
  8000: AudioSampleRate.SR_8K,
  16000: AudioSampleRate.SR_16K,
  32000: AudioSampleRate.SR_32K,
  48000: AudioSampleRate.SR_48K,
} as const;

function bad(message: string): never {
  throw new RtmsError('RTMS_INVALID_OPTIONS', message);
}

/**
 * Validates the audio tuple against the server's supported combinations (SKILLS connection.md, media-types.md;
 * [C1], §3.3): OPUS needs 48 kHz and 20 ms; G.711 needs 8 kHz mono 20 ms; G.722 needs 16 kHz mono 20 ms; L16
 * takes any rate, mono or stereo, and a send rate that is a multiple of 20 up to 1000 ms.
 */
function wireAudio(p: AudioParams): Record<string, unknown> {
  const codec = p.codec ?? 'L16';
  const rate = p.sampleRate ?? 16000;
  const channels = p.channels ?? AudioChannel.MONO;
  const sendRate = p.sendRate ?? AUDIO_SEND_RATE_STEP_MS;
  if (!(AUDIO_CODECS as readonly string[]).includes(codec)) bad(`audio.codec ${String(codec)} is not an audio codec (L16, G711, G722, OPUS)`);
  if (typeof rate !== 'number' || !Object.hasOwn(SAMPLE_RATE_CODE, rate)) bad(`audio.sampleRate must be 8000, 16000, 32000 or 48000, got ${String(rate)}`);
  if (channels !== 1 && channels !== 2) bad(`audio.channels must be 1 or 2, got ${String(channels)}`);
  if (!Number.isInteger(sendRate) || sendRate < AUDIO_SEND_RATE_STEP_MS || sendRate > AUDIO_SEND_RATE_MAX_MS || sendRate % AUDIO_SEND_RATE_STEP_MS !== 0) {
    bad(`audio.sendRate must be a multiple of ${AUDIO_SEND_RATE_STEP_MS} between ${AUDIO_SEND_RATE_STEP_MS} and ${AUDIO_SEND_RATE_MAX_MS} ms, got ${String(sendRate)}`);
  }
  if (codec === 'OPUS' && rate !== 48000) bad('audio: OPUS requires sampleRate 48000');
  if (codec === 'G711' && (rate !== 8000 || channels !== 1)) bad('audio: G711 requires sampleRate 8000 and mono');
  if (codec === 'G722' && (rate !== 16000 || channels !== 1)) bad('audio: G722 requires sampleRate 16000 and mono');
  if (codec !== 'L16' && sendRate !== AUDIO_SEND_RATE_STEP_MS) bad(`audio: ${codec} requires sendRate ${AUDIO_SEND_RATE_STEP_MS}`);
  const contentType = p.contentType ?? 'raw';
  if (contentType !== 'raw' && contentType !== 'rtp') bad(`audio.contentType must be 'raw' or 'rtp'`);
  const dataOption = p.dataOption ?? 'mixed';
  if (dataOption !== 'mixed' && dataOption !== 'multi') bad(`audio.dataOption must be 'mixed' or 'multi'`);
  return {
    content_type: contentType === 'raw' ? MediaContentType.RAW_AUDIO : MediaContentType.RTP,
    sample_rate: SAMPLE_RATE_CODE[rate],
    channel: channels,
    codec: MediaCodec[codec],
    data_opt: dataOption === 'mixed' ? MediaDataOption.AUDIO_MIXED_STREAM : MediaDataOption.AUDIO_MULTI_STREAMS,
    send_rate: sendRate,
  };
}

/**
 * JPG/PNG allow at most 5 fps, H.264 1–30 fps (D-EVT, SDK-CPP). For screen share D-EVT says JPG/PNG only up to
 * 1 fps while the data-types page and Zoom's SDK say 5 ([CONFLICT], §9.13); we accept up to 5 and the server
 * falls back to its default where it disagrees.
 */
function wireVideo(p: VideoParams, label: string, defaults: { resolution: keyof typeof MediaResolution; fps: number }): Record<string, unknown> {
  const codec = p.codec ?? 'JPG';
  const fps = p.fps ?? (codec === 'H264' ? 30 : defaults.fps);
  const resolution = p.resolution ?? defaults.resolution;
  if (codec !== 'JPG' && codec !== 'PNG' && codec !== 'H264') bad(`${label}.codec must be JPG, PNG or H264`);
  if (typeof resolution !== 'string' || !Object.hasOwn(MediaResolution, resolution)) bad(`${label}.resolution must be SD, HD, FHD or QHD`);
  if (!Number.isInteger(fps) || fps < 1 || fps > 30) bad(`${label}.fps must be an integer from 1 to 30, got ${String(fps)}`);
  if (codec !== 'H264' && fps > 5) bad(`${label}: ${codec} allows at most 5 fps; use H264 for more`);
  return {
    content_type: MediaContentType.RAW_VIDEO,
    codec: MediaCodec[codec],
    resolution: MediaResolution[resolution],
    fps,
  };
}

function wireTranscript(p: TranscriptParams): Record<string, unknown> {
  const out: Record<string, unknown> = { content_type: MediaContentType.TEXT };
  if (p.srcLanguage !== undefined) {
    const known = Object.values(TranscriptLanguage) as number[];
    if (!known.includes(p.srcLanguage)) bad(`transcript.srcLanguage ${String(p.srcLanguage)} is not a known language id`);
    out['src_language'] = p.srcLanguage;
  }
  if (p.enableLid !== undefined) {
    if (typeof p.enableLid !== 'boolean') bad('transcript.enableLid must be a boolean');
    out['enable_lid'] = p.enableLid;
  }
  return out;
}

/**
 * Validates media options and turns them into the wire form.
 *
 * @throws {@link RtmsError} `RTMS_INVALID_OPTIONS` for an unknown kind or an unsupported parameter combination.
 */
export function resolveMedia(kinds: readonly MediaKind[] | undefined, params: MediaParams = {}): ResolvedMedia {
  const requested = kinds ?? ['audio', 'transcript'];
  if (!Array.isArray(requested) || requested.length === 0) bad('media must list at least one media kind');
  for (const k of requested) if (!MEDIA_KINDS.includes(k)) bad(`unknown media kind ${JSON.stringify(k)}`);
  const ordered = MEDIA_KINDS.filter((k) => requested.includes(k));
  let mediaType = 0;
  const wireParams: Record<string, Record<string, unknown>> = {};
  for (const k of ordered) {
    mediaType |= MEDIA_BIT[k];
    switch (k) {
      case 'audio':
        wireParams['audio'] = wireAudio(params.audio ?? {});
        break;
      case 'video': {
        const v = params.video ?? {};
        const wire = wireVideo(v, 'video', { resolution: 'HD', fps: 5 });
        const opt = v.dataOption ?? 'active_speaker';
        if (opt !== 'active_speaker' && opt !== 'individual') bad(`video.dataOption must be 'active_speaker' or 'individual'`);
        wire['data_opt'] = opt === 'individual' ? MediaDataOption.VIDEO_SINGLE_INDIVIDUAL_STREAM : MediaDataOption.VIDEO_SINGLE_ACTIVE_STREAM;
        wireParams['video'] = wire;
        break;
      }
      case 'share':
        wireParams['deskshare'] = wireVideo(params.share ?? {}, 'share', { resolution: 'FHD', fps: 1 });
        break;
      case 'transcript':
        wireParams['transcript'] = wireTranscript(params.transcript ?? {});
        break;
      case 'chat':
        wireParams['chat'] = { content_type: MediaContentType.TEXT };
        break;
    }
  }
  return { kinds: ordered, mediaType, wireParams };
}
