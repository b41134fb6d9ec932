/**
 * `rtms-client/media`: decoding, alignment, mixing and recording of RTMS media, in TypeScript.
 *
 * - {@link createAudioDecoder}: 16-bit PCM from L16, G.711 (A-law, µ-law), G.722 and Opus (the last through
 *   the optional peer dependency `opus-decoder`), RTP unwrapped, a corrupt packet costing one frame of silence.
 * - {@link AudioTimeline} and {@link sessionTimeline}: per-speaker audio on one clock, gaps filled with silence,
 *   jitter, late and duplicate frames handled by documented rules, a mixed track, output resampled
 *   ({@link Resampler}) to 8, 16, 24 or 48 kHz, mono or stereo, in fixed-size chunks, as an async iterator or a
 *   Node stream with bounded buffering.
 * - {@link recordSession}: a WAV per speaker (or per channel) and a mixed WAV, sample-aligned and of equal
 *   length, WebVTT and SRT captions with speaker names, and chat as JSON lines, written as the meeting runs and
 *   readable if the process dies; and H.264 video and screen share muxed with the mixed audio (lossless FLAC by
 *   default) into fragmented MP4, through the optional peer dependency `mediabunny`, also readable if the process
 *   dies; JPG and PNG video and share frames as image files with a JSON-lines index ({@link sniffImage} tells
 *   them by their bytes).
 * - {@link splitAccessUnits}, {@link splitNalUnits}, {@link inspectAccessUnit}, {@link parseSps}: H.264 Annex B
 *   helpers (never throw on arbitrary bytes), for users who handle video frames themselves.
 *
 * The core (`rtms-client`) never imports this subpath, so applications that do not use it pay nothing for it.
 *
 * @packageDocumentation
 */
export { createAudioDecoder, type AudioDecoder, type AudioDecoderOptions, type DecodeErrorInfo, type DecodeErrorReason } from './decoder.js';
export { ALAW_TABLE, ULAW_TABLE, decodeAlaw, decodeUlaw } from './g711.js';
export { G722Decoder } from './g722.js';
export { parseRtp, type RtpPacket, type RtpError } from './rtp.js';
export { Resampler } from './resample.js';
export {
  AudioTimeline,
  trackKey,
  type AudioChunk,
  type PcmReadable,
  type PushResult,
  type TimelineFrame,
  type TimelineOptions,
  type TimelineReadableOptions,
  type TimelineSampleRate,
  type TimelineStats,
  type TrackInfo,
} from './timeline.js';
export { sessionTimeline, type MediaSession, type SessionTimelineOptions } from './session-audio.js';
export { recordSession, type RecordOptions, type Recording, type RecordingResult, type RecordedTrack } from './recorder.js';
export { type RecordedVideo, type RecordedVideoFile, type VideoDropCounts, type VideoKind } from './video-recorder.js';
export { sniffImage, type RecordedStills, type StillIndexLine, type StillType } from './stills.js';
export {
  NAL_TYPE,
  avcCodecString,
  inspectAccessUnit,
  parseSps,
  splitAccessUnits,
  splitNalUnits,
  type AccessUnitInfo,
  type NalUnit,
  type SpsInfo,
} from './h264.js';
export { WavWriter } from './wav-writer.js';
export { WEBVTT_HEADER, srtCue, vttCue, type CaptionCue } from './captions.js';
