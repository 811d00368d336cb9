import { DecodeError, type Reader, type Writer } from '../../wire/index.js';
import { decodeRdpNegotiation, encodeRdpNegotiation, TYPE_RDP_NEG_FAILURE, TYPE_RDP_NEG_RSP } from './negotiation.js';

export const X224_TPDU_CONNECTION_CONFIRM = 0xd0;
/** SRC-REF that Windows and xrdp send (PEERS.md §4.1). */
export const SERVER_SRC_REF = 0x1234;

/**
 * [MS-RDPBCGR] 2.2.1.2 Server X.224 Connection Confirm PDU (without TPKT): LI, CC|CDT, DST-REF, SRC-REF,
 * class option, then RDP_NEG_RSP, RDP_NEG_FAILURE or nothing (when the client sent no RDP_NEG_REQ).
 */
export interface X224ConnectionConfirm {
  dstRef: number;
  srcRef: number;
  classOption: number;
  /** RDP_NEG_RSP. */
  response?: { flags: number; selectedProtocol: number };
  /** RDP_NEG_FAILURE. */
  failure?: { flags: number; failureCode: number };
}

export function decodeX224ConnectionConfirm(r: Reader): X224ConnectionConfirm {
  const liAt = r.offset;
  const li = r.u8('x224.LI');
  if (li !== r.remaining) throw new DecodeError('INVALID_LENGTH', 'x224.LI', liAt, `LI ${li} but ${r.remaining} bytes follow`);
  if (li !== 6 && li !== 14) throw new DecodeError('INVALID_LENGTH', 'x224.LI', liAt, `LI ${li}: a CC is 6 or 14 bytes`);
  const codeAt = r.offset;
  const code = r.u8('x224.code');
  if ((code & 0xf0) !== X224_TPDU_CONNECTION_CONFIRM) {
    throw new DecodeError('INVALID_VALUE', 'x224.code', codeAt, `expected a Connection Confirm (0xD0), got 0x${code.toString(16)}`);
  }
  const cc: X224ConnectionConfirm = { dstRef: r.u16be('x224.dstRef'), srcRef: r.u16be('x224.srcRef'), classOption: r.u8('x224.classOption') };
  if (r.remaining > 0) {
    const n = decodeRdpNegotiation(r, [TYPE_RDP_NEG_RSP, TYPE_RDP_NEG_FAILURE]);
    if (n.type === TYPE_RDP_NEG_RSP) cc.response = { flags: n.flags, selectedProtocol: n.value };
    else cc.failure = { flags: n.flags, failureCode: n.value };
  }
  r.end('x224.connectionConfirm');
  return cc;
}

export function encodeX224ConnectionConfirm(w: Writer, cc: X224ConnectionConfirm): void {
  if (cc.response && cc.failure) throw new RangeError('a Connection Confirm carries RDP_NEG_RSP or RDP_NEG_FAILURE, not both');
  const neg = cc.response || cc.failure;
  w.u8(neg ? 14 : 6).u8(X224_TPDU_CONNECTION_CONFIRM).u16be(cc.dstRef).u16be(cc.srcRef).u8(cc.classOption);
  if (cc.response) encodeRdpNegotiation(w, { type: TYPE_RDP_NEG_RSP, flags: cc.response.flags, value: cc.response.selectedProtocol });
  if (cc.failure) encodeRdpNegotiation(w, { type: TYPE_RDP_NEG_FAILURE, flags: cc.failure.flags, value: cc.failure.failureCode });
}
