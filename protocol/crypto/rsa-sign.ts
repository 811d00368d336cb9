import { createHash, sign as nodeSign, type KeyObject } from 'node:crypto';
import { bigintFromBE, bigintToBE, modulusSize, rsaPrivate, rsaPublic, type RsaPrivateKey, type RsaPublicKey } from './rsa.js';
import { rsaPrivateKeyToKeyObject } from './rsa-keys.js';

/**
 * RSASSA-PKCS1-v1_5 (RFC 8017 8.2), the signature of X.509 certificates and of the licenses a license server issues
 * ([MS-RDPELE] 2.2.2.9: sha1RSA, OID 1.3.14.3.2.29). Signatures are big-endian, modulus-sized, deterministic.
 */
export type SignatureHash = 'md5' | 'sha1' | 'sha256' | 'sha384' | 'sha512';

/** DER DigestInfo prefixes (AlgorithmIdentifier with NULL parameters, as RFC 8017 9.2 note 1 lists them). */
const DIGEST_INFO_PREFIX: Record<SignatureHash, Buffer> = {
  md5: Buffer.from('3020300c06082a864886f70d020505000410', 'hex'),
  sha1: Buffer.from('3021300906052b0e03021a05000414', 'hex'),
  sha256: Buffer.from('3031300d060960864801650304020105000420', 'hex'),
  sha384: Buffer.from('3041300d060960864801650304020205000430', 'hex'),
  sha512: Buffer.from('3051300d060960864801650304020305000440', 'hex'),
};

/** The same DigestInfo without the NULL parameters (some signers omit them; accepted on verification only). */
function digestInfoWithoutNull(hash: SignatureHash): Buffer {
  const withNull = DIGEST_INFO_PREFIX[hash];
  // 30 L1 30 L2 06 .. 05 00 04 L3  →  30 L1-2 30 L2-2 06 .. 04 L3
  const out = Buffer.concat([withNull.subarray(0, withNull.length - 4), withNull.subarray(withNull.length - 2)]);
  out[1] = out[1]! - 2;
  out[3] = out[3]! - 2;
  return out;
}

export function digest(hash: SignatureHash, data: Uint8Array): Buffer {
  return createHash(hash).update(data).digest();
}

/** EMSA-PKCS1-v1_5: `00 01 FF…FF 00 DigestInfo(hash)`, `emLen` bytes. */
export function pkcs1v15Encode(hash: SignatureHash, digestValue: Uint8Array, emLen: number, digestInfoPrefix = DIGEST_INFO_PREFIX[hash]): Buffer {
  const t = Buffer.concat([digestInfoPrefix, digestValue]);
  if (emLen < t.length + 11) throw new RangeError('modulus too short for this digest');
  return Buffer.concat([Buffer.from([0, 1]), Buffer.alloc(emLen - t.length - 3, 0xff), Buffer.from([0]), t]);
}

/** node:crypto's form of a key, made once per key object (a license server signs every CAL with the same key). */
const keyObjects = new WeakMap<RsaPrivateKey, KeyObject>();
function keyObjectOf(key: RsaPrivateKey): KeyObject {
  let ko = keyObjects.get(key);
  if (!ko) keyObjects.set(key, (ko = rsaPrivateKeyToKeyObject(key)));
  return ko;
}

const hasCrt = (k: RsaPrivateKey): boolean =>
  k.p !== undefined && k.q !== undefined && k.dp !== undefined && k.dq !== undefined && k.qi !== undefined;

/**
 * Signs `data`. With the CRT parts known, node:crypto signs; otherwise the bigint private operation of rsa.ts does
 * (both give the same bytes: PKCS#1 v1.5 signatures are deterministic).
 */
export function rsaPkcs1v15Sign(key: RsaPrivateKey, data: Uint8Array, hash: SignatureHash = 'sha1'): Buffer {
  const size = modulusSize(key);
  if (hasCrt(key)) {
    return nodeSign(hash, data, keyObjectOf(key));
  }
  const em = pkcs1v15Encode(hash, digest(hash, data), size);
  return bigintToBE(rsaPrivate(key, bigintFromBE(em)), size);
}

/**
 * Verifies a PKCS#1 v1.5 signature by recomputing the whole encoded message and comparing it (no parsing of the
 * decrypted block). The signature must be exactly modulus-sized; leading zero bytes may be missing as some encoders
 * drop them. The DigestInfo is accepted with or without NULL parameters.
 */
export function rsaPkcs1v15Verify(key: RsaPublicKey, data: Uint8Array, signature: Uint8Array, hash: SignatureHash = 'sha1'): boolean {
  const size = modulusSize(key);
  if (signature.length === 0 || signature.length > size || key.n < 2n) return false;
  const s = bigintFromBE(signature);
  if (s >= key.n) return false;
  const em = bigintToBE(rsaPublic(key, s), size);
  const h = digest(hash, data);
  try {
    if (em.equals(pkcs1v15Encode(hash, h, size))) return true;
    return em.equals(pkcs1v15Encode(hash, h, size, digestInfoWithoutNull(hash)));
  } catch {
    return false;
  }
}

export const rsaSha1Sign = (key: RsaPrivateKey, data: Uint8Array): Buffer => rsaPkcs1v15Sign(key, data, 'sha1');
export const rsaSha1Verify = (key: RsaPublicKey, data: Uint8Array, signature: Uint8Array): boolean =>
  rsaPkcs1v15Verify(key, data, signature, 'sha1');
