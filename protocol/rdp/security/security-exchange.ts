import { DecodeError, type Reader, type Writer } from '../../wire/index.js';

/** Largest encryptedClientRandom we accept: a 4096-bit modulus plus the 8 padding bytes. */
export const MAX_ENCRYPTED_CLIENT_RANDOM_SIZE = 512 + 8;
export const CLIENT_RANDOM_SIZE = 32;

/**
 * [MS-RDPBCGR] 2.2.1.10.1 TS_SECURITY_PACKET, after its basic security header (SEC_EXCHANGE_PKT, plus
 * SEC_LICENSE_ENCRYPT_SC from FreeRDP): length, then the client random RSA-encrypted little-endian + 8 zero bytes.
 */
export interface SecurityExchange {
  encryptedClientRandom: Buffer;
}

export function decodeSecurityExchange(r: Reader): SecurityExchange {
  const at = r.offset;
  const length = r.u32le('length');
  if (length > MAX_ENCRYPTED_CLIENT_RANDOM_SIZE) throw new DecodeError('LIMIT_EXCEEDED', 'length', at, `${length} bytes of encrypted client random`);
  const encryptedClientRandom = Buffer.from(r.bytes(length, 'encryptedClientRandom'));
  r.end('TS_SECURITY_PACKET');
  return { encryptedClientRandom };
}

export function encodeSecurityExchange(w: Writer, p: SecurityExchange): void {
  w.u32le(p.encryptedClientRandom.length).bytes(p.encryptedClientRandom);
}
