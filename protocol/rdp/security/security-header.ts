import type { Reader, Writer } from '../../wire/index.js';
import { SEC_ENCRYPT, SEC_KNOWN_FLAGS } from './constants.js';

export const BASIC_SECURITY_HEADER_SIZE = 4;
export const DATA_SIGNATURE_SIZE = 8;

/**
 * [MS-RDPBCGR] 2.2.8.1.1.2.1 TS_SECURITY_HEADER (flags, flagsHi) and, when SEC_ENCRYPT is set, 2.2.8.1.1.2.2
 * TS_SECURITY_HEADER1 (+ 8-byte dataSignature; FIPS is not supported). Liberal on receive: unknown flag bits are
 * masked off (BAD-INPUTS.md #16) and flagsHi is never interpreted (Windows fills it with garbage).
 */
export interface SecurityHeader {
  /** Known flag bits only. */
  flags: number;
  /** As received (meaningless unless SEC_FLAGSHI_VALID); write 0. */
  flagsHi: number;
  /** Unknown bits masked off `flags` on receive, kept so the header re-encodes byte for byte. */
  ignoredFlags?: number;
  /** The MAC of the plaintext; present exactly when SEC_ENCRYPT is set. */
  dataSignature?: Buffer;
}

export function decodeSecurityHeader(r: Reader): SecurityHeader {
  const raw = r.u16le('securityHeader.flags');
  const h: SecurityHeader = { flags: raw & SEC_KNOWN_FLAGS, flagsHi: r.u16le('securityHeader.flagsHi') };
  if (raw & ~SEC_KNOWN_FLAGS) h.ignoredFlags = raw & ~SEC_KNOWN_FLAGS;
  if (h.flags & SEC_ENCRYPT) h.dataSignature = Buffer.from(r.bytes(DATA_SIGNATURE_SIZE, 'securityHeader.dataSignature'));
  return h;
}

export function encodeSecurityHeader(w: Writer, h: SecurityHeader): void {
  const encrypted = (h.flags & SEC_ENCRYPT) !== 0;
  if (encrypted !== (h.dataSignature !== undefined) || (h.dataSignature && h.dataSignature.length !== DATA_SIGNATURE_SIZE)) {
    throw new RangeError('an 8-byte dataSignature goes with SEC_ENCRYPT, and only with it');
  }
  w.u16le(h.flags | (h.ignoredFlags ?? 0)).u16le(h.flagsHi);
  if (h.dataSignature) w.bytes(h.dataSignature);
}
