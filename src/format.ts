/**
 * Wire media parameters → the {@link AudioFormat} / {@link VideoFormat} objects frames carry. Computed once per
 * media socket from what the server accepted (falling back to what was requested), then shared by every frame.
 */
import type { AudioFormat, VideoFormat } from './events.js';
import { MediaCodec, MediaContentType, MediaDataOption, MediaResolution, SAMPLE_RATE_HZ, nameOf } from './protocol/constants.js';

type Obj = Readonly<Record<string, unknown>>;

function num(o: Obj | undefined, key: string): number | undefined {
  const v = o?.[key];
  return typeof v === 'number' ? v : undefined;
}

function pick(server: Obj | undefined, requested: Obj | undefined, key: string): number | undefined {
  return num(server, key) ?? num(requested, key);
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The server's echo of one kind's params, if it sent any. */
export function serverParams(mediaParams: Obj | undefined, key: string): Obj | undefined {
  const v = mediaParams?.[key];
  return isObj(v) ? v : undefined;
}

/** Audio format from server-applied and requested `media_params.audio`. */
export function audioFormat(server: Obj | undefined, requested: Obj | undefined): AudioFormat {
  const codecName = nameOf(MediaCodec, pick(server, requested, 'codec') ?? MediaCodec.L16);
  const codec = codecName === 'L16' || codecName === 'G711' || codecName === 'G722' || codecName === 'OPUS' ? codecName : 'unknown';
  return Object.freeze({
    contentType: pick(server, requested, 'content_type') === MediaContentType.RTP ? 'rtp' : 'raw',
    codec,
    sampleRate: SAMPLE_RATE_HZ[pick(server, requested, 'sample_rate') ?? 1] ?? 16000,
    channels: pick(server, requested, 'channel') ?? 1,
    sendRate: pick(server, requested, 'send_rate') ?? 20,
    dataOption: pick(server, requested, 'data_opt') === MediaDataOption.AUDIO_MULTI_STREAMS ? 'multi' : 'mixed',
  } satisfies AudioFormat);
}

/** Video or share format from server-applied and requested params. */
export function videoFormat(server: Obj | undefined, requested: Obj | undefined, defaults: { fps: number; resolution: number }): VideoFormat {
  const codecName = nameOf(MediaCodec, pick(server, requested, 'codec') ?? MediaCodec.JPG);
  const resName = nameOf(MediaResolution, pick(server, requested, 'resolution') ?? defaults.resolution);
  return Object.freeze({
    codec: codecName === 'JPG' || codecName === 'PNG' || codecName === 'H264' ? codecName : 'unknown',
    resolution: resName === 'SD' || resName === 'HD' || resName === 'FHD' || resName === 'QHD' ? resName : 'unknown',
    fps: pick(server, requested, 'fps') ?? defaults.fps,
  } satisfies VideoFormat);
}

/** The `media_params` fields whose applied value is worth telling the app about when it is not the one asked for. */
const WATCHED: Readonly<Record<'audio' | 'video' | 'deskshare', readonly string[]>> = {
  audio: ['codec', 'sample_rate', 'channel', 'send_rate', 'data_opt'],
  video: ['codec', 'fps', 'resolution'],
  deskshare: ['codec', 'fps', 'resolution'],
};

/**
 * Where the server applied other `media_params` than the client asked for, for a log line: `codec JPG (asked
 * H264), fps 5 (asked 30)`; undefined when it echoed nothing for the kind, or what was asked. Only fields the client
 * asked for are compared (a default the server fills in is not a change).
 */
export function paramsChanged(kind: 'audio' | 'video' | 'deskshare', server: Obj | undefined, requested: Obj | undefined): string | undefined {
  if (server === undefined || requested === undefined) return undefined;
  const show = (key: string, v: unknown): string => (key === 'codec' && typeof v === 'number' ? (nameOf(MediaCodec, v) ?? String(v)) : String(v));
  const changes: string[] = [];
  for (const key of WATCHED[kind]) {
    const asked = requested[key];
    const got = server[key];
    if (asked === undefined || got === undefined || got === asked) continue;
    changes.push(`${key} ${show(key, got)} (asked ${show(key, asked)})`);
  }
  return changes.length === 0 ? undefined : changes.join(', ');
}

/** A JPEG's start of image and the first marker's prefix. */
const JPEG_SOI = [0xff, 0xd8, 0xff] as const;
/** The PNG signature. */
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] as const;

function startsWith(b: Uint8Array, magic: readonly number[]): boolean {
  return b.length >= magic.length && magic.every((v, i) => b[i] === v);
}

/**
 * What a video or share frame's bytes are, by their first bytes: `JPG` (a JPEG's `FF D8 FF`), `PNG` (the 8-byte PNG
 * signature), `H264` (an Annex B start code, `00 00 01` or `00 00 00 01`, as RTMS sends access units), or
 * undefined for anything else. Reads at most 8 bytes; never throws.
 *
 * The negotiated codec ({@link VideoFormat.codec}) says what was asked for and accepted; this says what arrived.
 * They can differ: Zoom's forum has screen share arriving as JPEG whatever was negotiated.
 */
export function detectVideoCodec(bytes: Uint8Array): 'JPG' | 'PNG' | 'H264' | undefined {
  if (startsWith(bytes, JPEG_SOI)) return 'JPG';
  if (startsWith(bytes, PNG_SIGNATURE)) return 'PNG';
  if (bytes[0] === 0 && bytes[1] === 0 && (bytes[2] === 1 || (bytes[2] === 0 && bytes[3] === 1))) return 'H264';
  return undefined;
}
