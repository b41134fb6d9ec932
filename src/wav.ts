/**
 * WAV containers for received audio. RTMS sends headerless audio; these helpers build the 44-byte RIFF header
 * for L16 (16-bit little-endian PCM) and G.711 A-law frames so a recorder can write playable files.
 */
import type { AudioFormat } from './events.js';
import { RtmsError } from './errors.js';

/** WAVE format tags. */
const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_ALAW = 6;

/**
 * A 44-byte WAV header for `dataBytes` bytes of audio in `format`.
 *
 * @throws {@link RtmsError} `RTMS_INVALID_OPTIONS` for codecs WAV cannot hold as-is (Opus, G.722, RTP payloads).
 */
export function wavHeader(format: Pick<AudioFormat, 'codec' | 'sampleRate' | 'channels' | 'contentType'>, dataBytes: number): Buffer {
  if (format.contentType !== 'raw' || (format.codec !== 'L16' && format.codec !== 'G711')) {
    throw new RtmsError('RTMS_INVALID_OPTIONS', `WAV holds raw L16 or G711 audio, not ${format.contentType} ${format.codec}`);
  }
  const bitsPerSample = format.codec === 'L16' ? 16 : 8;
  const blockAlign = (format.channels * bitsPerSample) / 8;
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(format.codec === 'L16' ? WAVE_FORMAT_PCM : WAVE_FORMAT_ALAW, 20);
  h.writeUInt16LE(format.channels, 22);
  h.writeUInt32LE(format.sampleRate, 24);
  h.writeUInt32LE(format.sampleRate * blockAlign, 28);
  h.writeUInt16LE(blockAlign, 32);
  h.writeUInt16LE(bitsPerSample, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}
