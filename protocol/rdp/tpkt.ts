import { DecodeError, Reader, type Writer } from '../wire/index.js';

/** [T.123] / RFC 1006 TPKT header: version 3, reserved, length (big-endian, including these 4 bytes). */
export interface TpktHeader {
  version: number;
  reserved: number;
  length: number;
}

export const TPKT_VERSION = 3;
export const TPKT_HEADER_SIZE = 4;
/** TPKT header plus the shortest X.224 TPDU (LI, code, EOT of a Data TPDU). */
export const TPKT_MIN_LENGTH = 7;
/** The length field is 16 bits. */
export const TPKT_MAX_LENGTH = 0xffff;
/** Default cap on one received PDU (a CLIENT_LICENSE_INFO with a large CAL is about 6 KB). */
export const DEFAULT_MAX_PDU_SIZE = 16384;

export function decodeTpktHeader(r: Reader, maxLength: number = TPKT_MAX_LENGTH): TpktHeader {
  const at = r.offset;
  const version = r.u8('tpkt.version');
  if (version !== TPKT_VERSION) {
    throw new DecodeError('UNSUPPORTED', 'tpkt.version', at, `not a TPKT (first byte 0x${version.toString(16)}; fast-path is not accepted here)`);
  }
  const reserved = r.u8('tpkt.reserved');
  const lengthAt = r.offset;
  const length = r.u16be('tpkt.length');
  if (length < TPKT_MIN_LENGTH) throw new DecodeError('INVALID_LENGTH', 'tpkt.length', lengthAt, `${length} is below the minimum ${TPKT_MIN_LENGTH}`);
  if (length > maxLength) throw new DecodeError('LIMIT_EXCEEDED', 'tpkt.length', lengthAt, `${length} is above the maximum PDU size ${maxLength}`);
  return { version, reserved, length };
}

export function encodeTpktHeader(w: Writer, length: number): void {
  if (length < TPKT_MIN_LENGTH || length > TPKT_MAX_LENGTH) throw new RangeError(`TPKT length ${length} out of range`);
  w.u8(TPKT_VERSION).u8(0).u16be(length);
}

/** Prepends a TPKT header to `payload`. */
export function wrapTpkt(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(TPKT_HEADER_SIZE + payload.length);
  if (out.length > TPKT_MAX_LENGTH) throw new RangeError(`PDU of ${out.length} bytes does not fit in a TPKT`);
  out[0] = TPKT_VERSION;
  out[1] = 0;
  out.writeUInt16BE(out.length, 2);
  out.set(payload, TPKT_HEADER_SIZE);
  return out;
}

/** What `extractTpktFrames` found in a receive buffer. */
export interface TpktFrames {
  /** Whole frames (each including its TPKT header), sharing memory with the input. */
  frames: Buffer[];
  /** Bytes of the input taken by `frames`; the rest is an incomplete frame to keep for later. */
  consumed: number;
}

/**
 * Streaming frame extractor: splits accumulated bytes into complete TPKT frames. An incomplete frame at the end is
 * left (not consumed). A header that cannot start a valid frame throws DecodeError (offsets relative to `data`).
 * `limit` stops after that many frames (1 lets a caller switch to TLS between frames).
 */
export function extractTpktFrames(data: Uint8Array, maxLength: number = TPKT_MAX_LENGTH, limit = Infinity): TpktFrames {
  const frames: Buffer[] = [];
  let pos = 0;
  while (frames.length < limit && data.length - pos >= TPKT_HEADER_SIZE) {
    const header = decodeTpktHeader(new Reader(data.subarray(pos, pos + TPKT_HEADER_SIZE), pos), maxLength);
    if (data.length - pos < header.length) break;
    frames.push(Buffer.from(data.buffer, data.byteOffset + pos, header.length));
    pos += header.length;
  }
  // A lone first byte that is not 3 is already wrong: say so now rather than wait for 4 bytes.
  if (frames.length < limit && pos < data.length && data[pos] !== TPKT_VERSION) {
    throw new DecodeError('UNSUPPORTED', 'tpkt.version', pos, `not a TPKT (first byte 0x${data[pos]!.toString(16)})`);
  }
  return { frames, consumed: pos };
}
