/**
 * `rtms-client/media`: decoding, alignment, mixing and recording of RTMS media, in TypeScript.
 *
 * - {@link createAudioDecoder}: 16-bit PCM from L16, G.711 (A-law, µ-law), G.722 and Opus (the last through
 *   the optional peer dependency `opus-decoder`), RTP unwrapped, a corrupt packet costing one frame of silence.
 *
 * The core (`rtms-client`) never imports this subpath, so applications that do not use it pay nothing for it.
 *
 * @packageDocumentation
 */
export { createAudioDecoder, type AudioDecoder, type AudioDecoderOptions, type DecodeErrorInfo, type DecodeErrorReason } from './decoder.js';
export { ALAW_TABLE, ULAW_TABLE, decodeAlaw, decodeUlaw } from './g711.js';
export { G722Decoder } from './g722.js';
export { parseRtp, type RtpPacket, type RtpError } from './rtp.js';
