import { DecodeError, type Reader, type Writer } from '../../wire/index.js';

/** X.224 TPDU codes (high nibble) seen after the connection phase. */
export const X224_TPDU_DATA = 0xf0;
export const X224_TPDU_DISCONNECT_REQUEST = 0x80;
/** EOT bit of a Data TPDU: the last (only) TPDU of the TSDU. */
export const X224_EOT = 0x80;

/** [X.224] 13.7 Data TPDU header (class 0): LI = 2, code 0xF0, EOT|NR. `[MS-RDPBCGR] 2.2.1.3` etc. wrap MCS in it. */
export interface X224Data {
  /** The EOT|TPDU-NR byte (0x80 on the wire from every peer). */
  eot: number;
}

/** Reads a Data TPDU header; an X.224 Disconnect Request yields `'disconnect'` so callers can close quietly. */
export function decodeX224Data(r: Reader): X224Data | 'disconnect' {
  const liAt = r.offset;
  const li = r.u8('x224.LI');
  const codeAt = r.offset;
  const code = r.u8('x224.code');
  if ((code & 0xf0) === X224_TPDU_DISCONNECT_REQUEST) return 'disconnect';
  if ((code & 0xf0) !== X224_TPDU_DATA) {
    throw new DecodeError('INVALID_VALUE', 'x224.code', codeAt, `expected a Data TPDU (0xF0), got 0x${code.toString(16)}`);
  }
  if (li !== 2) throw new DecodeError('INVALID_LENGTH', 'x224.LI', liAt, `LI of a Data TPDU must be 2, is ${li}`);
  return { eot: r.u8('x224.EOT') };
}

export function encodeX224Data(w: Writer, dt: X224Data = { eot: X224_EOT }): void {
  w.u8(2).u8(X224_TPDU_DATA).u8(dt.eot);
}
