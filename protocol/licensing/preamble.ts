import type { Reader, Writer } from '../wire/index.js';

/** LICENSE_PREAMBLE, [MS-RDPBCGR] 2.2.1.12.1.1: the 4 bytes that start every licensing message. */
export interface LicensePreamble {
  /** bMsgType: LICENSE_REQUEST, PLATFORM_CHALLENGE, …, ERROR_ALERT. */
  msgType: number;
  /** flags: low nibble = protocol version (PREAMBLE_VERSION_3_0), 0x80 = EXTENDED_ERROR_MSG_SUPPORTED; kept as received. */
  flags: number;
  /** wMsgSize: the message size including the preamble, excluding the security header. */
  msgSize: number;
}

export const LICENSE_PREAMBLE_LENGTH = 4;

/** [MS-RDPBCGR] 2.2.1.12.1.1. */
export function decodeLicensePreamble(r: Reader): LicensePreamble {
  const msgType = r.u8('bMsgType');
  const flags = r.u8('flags');
  const msgSize = r.u16le('wMsgSize');
  return { msgType, flags, msgSize };
}

/** [MS-RDPBCGR] 2.2.1.12.1.1. */
export function encodeLicensePreamble(w: Writer, value: LicensePreamble): void {
  w.u8(value.msgType).u8(value.flags).u16le(value.msgSize);
}
