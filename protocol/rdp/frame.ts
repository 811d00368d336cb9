import { DecodeError, encodeWith, Reader, type Writer } from '../wire/index.js';
import { decodeMcsDomainPdu, encodeMcsDomainPdu, type McsDomainPdu } from './mcs/domain-pdu.js';
import { decodeTpktHeader, wrapTpkt } from './tpkt.js';
import { decodeX224Data, encodeX224Data } from './x224/data.js';

/**
 * Helpers for whole frames: TPKT + X.224 Data TPDU + an MCS PDU ([MS-RDPBCGR] 2.2.1.3 onwards). Frames given to the
 * decoders are complete TPKT frames (see `extractTpktFrames`).
 */

/** Checks the TPKT header of a complete frame and returns a reader over its payload (after TPKT). */
export function readTpktPayload(frame: Uint8Array, maxLength?: number): Reader {
  const r = new Reader(frame);
  const h = decodeTpktHeader(r, maxLength);
  if (h.length !== frame.length) throw new DecodeError('INVALID_LENGTH', 'tpkt.length', 2, `says ${h.length}, frame has ${frame.length} bytes`);
  return r;
}

/** Reads TPKT + X.224 DT and returns a reader over the MCS bytes, or 'disconnect' for an X.224 Disconnect Request. */
export function readX224DataPayload(frame: Uint8Array, maxLength?: number): Reader | 'disconnect' {
  const r = readTpktPayload(frame, maxLength);
  return decodeX224Data(r) === 'disconnect' ? 'disconnect' : r;
}

/** Decodes a frame holding one MCS domain PDU (consumed exactly). */
export function decodeMcsFrame(frame: Uint8Array, maxLength?: number): McsDomainPdu | 'disconnect' {
  const r = readX224DataPayload(frame, maxLength);
  if (r === 'disconnect') return r;
  const pdu = decodeMcsDomainPdu(r);
  r.end('mcs');
  return pdu;
}

/** TPKT + X.224 DT around MCS bytes written by `fn`. */
export function x224DataFrame(fn: (w: Writer) => void): Buffer {
  return wrapTpkt(encodeWith((w) => {
    encodeX224Data(w);
    fn(w);
  }));
}

export function encodeMcsFrame(pdu: McsDomainPdu): Buffer {
  return x224DataFrame((w) => encodeMcsDomainPdu(w, pdu));
}

/** The Disconnect Provider Ultimatum frame every peer understands: `03 00 00 09 02 f0 80 21 80`. */
export const DISCONNECT_PROVIDER_ULTIMATUM_FRAME = encodeMcsFrame({ type: 'disconnectProviderUltimatum', reason: 3 });
