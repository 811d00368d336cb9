import { DecodeError, type Reader, type Writer } from '../../wire/index.js';
import { decodeRdpNegotiation, encodeRdpNegotiation, TYPE_RDP_CORRELATION_INFO, TYPE_RDP_NEG_REQ } from './negotiation.js';

/** X.224 CR TPDU code (high nibble; the low nibble is CDT). */
export const X224_TPDU_CONNECTION_REQUEST = 0xe0;
export const COOKIE_PREFIX = 'Cookie: mstshash=';
export const ROUTING_TOKEN_PREFIX = 'Cookie: msts=';
/** Longest cookie or routing token line we accept (the whole TPDU is bounded by its 1-byte LI anyway). */
export const MAX_COOKIE_LENGTH = 250;
/** [MS-RDPBCGR] 2.2.1.1.2 RDP_CORRELATION_INFO is 36 bytes. */
export const RDP_CORRELATION_INFO_LENGTH = 36;

/**
 * [MS-RDPBCGR] 2.2.1.1 Client X.224 Connection Request PDU (the X.224 part, without TPKT):
 * LI, CR|CDT, DST-REF, SRC-REF, class option, then an optional cookie (or routing token) ending in CR LF,
 * an optional RDP_NEG_REQ and an optional RDP_CORRELATION_INFO.
 */
export interface X224ConnectionRequest {
  dstRef: number;
  srcRef: number;
  classOption: number;
  /** The IDENTIFIER of `Cookie: mstshash=IDENTIFIER\r\n`, when present. */
  cookie?: string;
  /** A whole routing token line (`Cookie: msts=...\r\n`) or any other CR LF terminated line, kept raw. */
  routingToken?: Buffer;
  /** RDP_NEG_REQ: absent for legacy clients (xfreerdp /sec:rdp, rdesktop -4). */
  negotiation?: { flags: number; requestedProtocols: number };
  /** RDP_CORRELATION_INFO, kept raw. */
  correlationInfo?: Buffer;
}

export function decodeX224ConnectionRequest(r: Reader): X224ConnectionRequest {
  const liAt = r.offset;
  const li = r.u8('x224.LI');
  if (li !== r.remaining) throw new DecodeError('INVALID_LENGTH', 'x224.LI', liAt, `LI ${li} but ${r.remaining} bytes follow`);
  if (li < 6) throw new DecodeError('INVALID_LENGTH', 'x224.LI', liAt, `LI ${li} is too short for a CR TPDU`);
  const codeAt = r.offset;
  const code = r.u8('x224.code');
  if ((code & 0xf0) !== X224_TPDU_CONNECTION_REQUEST) {
    throw new DecodeError('INVALID_VALUE', 'x224.code', codeAt, `expected a Connection Request (0xE0), got 0x${code.toString(16)}`);
  }
  const cr: X224ConnectionRequest = { dstRef: r.u16be('x224.dstRef'), srcRef: r.u16be('x224.srcRef'), classOption: r.u8('x224.classOption') };
  // A cookie or routing token line: anything that does not start with a negotiation type byte and ends in CR LF.
  if (r.remaining > 0 && r.peekU8('routingToken') === 0x43 /* 'C' */) {
    const start = r.offset;
    const rest = r.buffer.subarray(r.position);
    const end = Buffer.from(rest.buffer, rest.byteOffset, rest.length).indexOf('\r\n');
    if (end < 0) throw new DecodeError('INVALID_VALUE', 'cookie', start, 'cookie or routing token without CR LF');
    if (end > MAX_COOKIE_LENGTH) throw new DecodeError('LIMIT_EXCEEDED', 'cookie', start, `line of ${end} bytes`);
    const line = r.bytes(end + 2, 'cookie');
    const text = line.subarray(0, end).toString('latin1');
    if (text.startsWith(COOKIE_PREFIX)) cr.cookie = text.slice(COOKIE_PREFIX.length);
    else cr.routingToken = Buffer.from(line);
  }
  if (r.remaining > 0 && r.peekU8('rdpNegReq.type') === TYPE_RDP_NEG_REQ) {
    const n = decodeRdpNegotiation(r, [TYPE_RDP_NEG_REQ]);
    cr.negotiation = { flags: n.flags, requestedProtocols: n.value };
  }
  if (r.remaining > 0 && r.peekU8('rdpCorrelationInfo.type') === TYPE_RDP_CORRELATION_INFO) {
    cr.correlationInfo = Buffer.from(r.bytes(RDP_CORRELATION_INFO_LENGTH, 'rdpCorrelationInfo'));
  }
  r.end('x224.connectionRequest');
  return cr;
}

export function encodeX224ConnectionRequest(w: Writer, cr: X224ConnectionRequest): void {
  const cookie = cr.cookie !== undefined ? Buffer.from(`${COOKIE_PREFIX}${cr.cookie}\r\n`, 'latin1') : cr.routingToken ?? Buffer.alloc(0);
  const li = 6 + cookie.length + (cr.negotiation ? 8 : 0) + (cr.correlationInfo?.length ?? 0);
  if (li > 0xfe) throw new RangeError(`X.224 CR too long (LI ${li})`);
  w.u8(li).u8(X224_TPDU_CONNECTION_REQUEST).u16be(cr.dstRef).u16be(cr.srcRef).u8(cr.classOption).bytes(cookie);
  if (cr.negotiation) encodeRdpNegotiation(w, { type: TYPE_RDP_NEG_REQ, flags: cr.negotiation.flags, value: cr.negotiation.requestedProtocols });
  if (cr.correlationInfo) w.bytes(cr.correlationInfo);
}
