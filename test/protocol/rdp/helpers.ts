/**
 * Test-only helpers: a minimal unsigned proprietary server certificate ([MS-RDPBCGR] 2.2.1.4.3.1.1, PEERS.md §4.4)
 * around a known RSA key, and its parser (the real ones live in protocol/certificates).
 */
import { generateKeyPairSync } from 'node:crypto';
import { bigintFromBE, bigintFromLE, bigintToLE, modulusSize, type RsaPrivateKey, type RsaPublicKey } from '../../../protocol/crypto/index.js';
import { hex } from '../../helpers/vectors.js';

/** The Terminal Services Signing Key of keys.md (512 bits), used here simply as a known server key. */
export const TSSK: RsaPrivateKey = {
  n: bigintFromLE(hex('3d3a5ebd72433ec94dbbc11e4aba5fcb3e882087eff5c1e2d7b76b9af2524595ce63656b583afeef7ce7bffe3df65c7d6c5e06091af561bb2093095f056dea87')),
  e: 0xc0887b5bn,
  d: bigintFromLE(hex('87a71932da11875558001616256568f8243ee6fae9674994cf92cc3399e80860179a129f24ddb12499c73ab80a7b0ddd350779170b519bb3c7100113e73ff35f')),
};

export function generatedKey(bits: number): RsaPrivateKey {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  const j = privateKey.export({ format: 'jwk' });
  const b = (s: string | undefined) => bigintFromBE(Buffer.from(s!, 'base64url'));
  return { n: b(j.n), e: b(j.e), d: b(j.d), p: b(j.p), q: b(j.q), dp: b(j.dp), dq: b(j.dq), qi: b(j.qi) };
}

/** dwVersion 1, dwSigAlgId 1, dwKeyAlgId 1, BB_RSA_KEY_BLOB (RSA1 ...), BB_RSA_SIGNATURE_BLOB of 72 zero bytes (unsigned). */
export function proprietaryCertificate(key: RsaPublicKey): Buffer {
  const modlen = modulusSize(key);
  const rsa = Buffer.alloc(20);
  rsa.write('RSA1', 0, 'latin1');
  rsa.writeUInt32LE(modlen + 8, 4);
  rsa.writeUInt32LE(modlen * 8, 8);
  rsa.writeUInt32LE(modlen - 1, 12);
  rsa.writeUInt32LE(Number(key.e), 16);
  const pub = Buffer.concat([rsa, bigintToLE(key.n, modlen), Buffer.alloc(8)]);
  const head = Buffer.alloc(16);
  head.writeUInt32LE(1, 0);
  head.writeUInt32LE(1, 4);
  head.writeUInt32LE(1, 8);
  head.writeUInt16LE(0x0006, 12);
  head.writeUInt16LE(pub.length, 14);
  const sig = Buffer.alloc(4);
  sig.writeUInt16LE(0x0008, 0);
  sig.writeUInt16LE(72, 2);
  return Buffer.concat([head, pub, sig, Buffer.alloc(72)]);
}

/** Reads the public key back out of such a certificate. */
export function publicKeyOf(cert: Buffer): RsaPublicKey {
  if (cert.readUInt32LE(0) !== 1 || cert.readUInt16LE(12) !== 6 || cert.toString('latin1', 16, 20) !== 'RSA1') throw new Error('not a proprietary certificate');
  const keylen = cert.readUInt32LE(20);
  const e = BigInt(cert.readUInt32LE(32));
  return { n: bigintFromLE(cert.subarray(36, 36 + keylen - 8)), e };
}

/** The 16-byte STATUS_VALID_CLIENT licensing message ([MS-RDPBCGR] 4.1.11 decrypted). */
export const VALID_CLIENT = hex('ff031000070000000200000004000000');
