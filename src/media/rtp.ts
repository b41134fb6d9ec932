/**
 * RTP unwrapping (RFC 3550 §5.1) for audio sent with `contentType: 'rtp'`: the fixed 12-byte header, the CSRC
 * list, an optional header extension and optional padding are removed, leaving the codec payload.
 */

/** The parts of an RTP packet a decoder needs. */
export interface RtpPacket {
  /** Payload type (7 bits). */
  readonly payloadType: number;
  /** Sequence number (16 bits). */
  readonly sequence: number;
  /** RTP timestamp (32 bits, in the codec's clock). */
  readonly timestamp: number;
  /** Synchronisation source. */
  readonly ssrc: number;
  /** The marker bit. */
  readonly marker: boolean;
  /** The codec payload: a view into the packet, not a copy. */
  readonly payload: Uint8Array;
}

/** Why a packet is not valid RTP; see {@link parseRtp}. */
export type RtpError = 'too-short' | 'bad-version' | 'bad-csrc' | 'bad-extension' | 'bad-padding';

/**
 * Parses one RTP packet. Returns the packet, or the reason it is malformed: shorter than 12 bytes, a version
 * other than 2, a CSRC list, header extension or padding count that runs past the end. Never throws.
 */
export function parseRtp(data: Uint8Array): RtpPacket | RtpError {
  if (data.length < 12) return 'too-short';
  const b0 = data[0] as number;
  if (b0 >> 6 !== 2) return 'bad-version';
  const padding = (b0 & 0x20) !== 0;
  const extension = (b0 & 0x10) !== 0;
  const csrcCount = b0 & 0x0f;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let offset = 12 + csrcCount * 4;
  if (offset > data.length) return 'bad-csrc';
  if (extension) {
    if (offset + 4 > data.length) return 'bad-extension';
    offset += 4 + view.getUint16(offset + 2) * 4;
    if (offset > data.length) return 'bad-extension';
  }
  let end = data.length;
  if (padding) {
    const pad = data[data.length - 1] as number;
    if (pad === 0 || offset + pad > end) return 'bad-padding';
    end -= pad;
  }
  const b1 = data[1] as number;
  return {
    payloadType: b1 & 0x7f,
    marker: (b1 & 0x80) !== 0,
    sequence: view.getUint16(2),
    timestamp: view.getUint32(4),
    ssrc: view.getUint32(8),
    payload: data.subarray(offset, end),
  };
}
