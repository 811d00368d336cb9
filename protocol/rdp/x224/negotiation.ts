import type { Reader, Writer } from '../../wire/index.js';

/** [MS-RDPBCGR] 2.2.1.1.1 requestedProtocols / 2.2.1.2.1 selectedProtocol values. */
export const PROTOCOL_RDP = 0x00000000;
export const PROTOCOL_SSL = 0x00000001;
export const PROTOCOL_HYBRID = 0x00000002;
export const PROTOCOL_RDSTLS = 0x00000004;
export const PROTOCOL_HYBRID_EX = 0x00000008;
export const PROTOCOL_RDSAAD = 0x00000010;

/** Negotiation structure types. */
export const TYPE_RDP_NEG_REQ = 0x01;
export const TYPE_RDP_NEG_RSP = 0x02;
export const TYPE_RDP_NEG_FAILURE = 0x03;
export const TYPE_RDP_CORRELATION_INFO = 0x06;
export const RDP_NEG_LENGTH = 8;

/** [MS-RDPBCGR] 2.2.1.2.2 failureCode values. */
export const SSL_REQUIRED_BY_SERVER = 0x00000001;
export const SSL_NOT_ALLOWED_BY_SERVER = 0x00000002;
export const SSL_CERT_NOT_ON_SERVER = 0x00000003;
export const INCONSISTENT_FLAGS = 0x00000004;
export const HYBRID_REQUIRED_BY_SERVER = 0x00000005;
export const SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER = 0x00000006;

/**
 * [MS-RDPBCGR] 2.2.1.1.1 RDP_NEG_REQ, 2.2.1.2.1 RDP_NEG_RSP and 2.2.1.2.2 RDP_NEG_FAILURE share one 8-byte layout:
 * type, flags, length (= 8), then requestedProtocols / selectedProtocol / failureCode.
 */
export interface RdpNegotiation {
  type: number;
  flags: number;
  /** requestedProtocols (REQ), selectedProtocol (RSP) or failureCode (FAILURE). */
  value: number;
}

export function decodeRdpNegotiation(r: Reader, expectedTypes: readonly number[]): RdpNegotiation {
  const at = r.offset;
  const type = r.u8('rdpNeg.type');
  if (!expectedTypes.includes(type)) r.fail('INVALID_VALUE', 'rdpNeg.type', `unexpected negotiation type 0x${type.toString(16)}`, at);
  const flags = r.u8('rdpNeg.flags');
  const lengthAt = r.offset;
  const length = r.u16le('rdpNeg.length');
  if (length !== RDP_NEG_LENGTH) r.fail('INVALID_LENGTH', 'rdpNeg.length', `must be 8, is ${length}`, lengthAt);
  const value = r.u32le(type === TYPE_RDP_NEG_REQ ? 'requestedProtocols' : type === TYPE_RDP_NEG_RSP ? 'selectedProtocol' : 'failureCode');
  return { type, flags, value };
}

export function encodeRdpNegotiation(w: Writer, n: RdpNegotiation): void {
  w.u8(n.type).u8(n.flags).u16le(RDP_NEG_LENGTH).u32le(n.value);
}
