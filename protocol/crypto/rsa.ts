/**
 * Raw RSA on little-endian integers, as the licensing protocol ([MS-RDPELE] 5.1.1.1) and Standard RDP Security
 * ([MS-RDPBCGR] 5.3.4.1) use it: no padding, values and results little-endian.
 */
export interface RsaPublicKey {
  /** Modulus. */
  n: bigint;
  /** Public exponent. */
  e: bigint;
}

export interface RsaPrivateKey extends RsaPublicKey {
  d: bigint;
  /** CRT parts, when known (they make private operations about 3× faster). */
  p?: bigint;
  q?: bigint;
  dp?: bigint;
  dq?: bigint;
  qi?: bigint;
}

export function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  if (mod === 1n) return 0n;
  let result = 1n;
  let b = base % mod;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % mod;
    e >>= 1n;
    b = (b * b) % mod;
  }
  return result;
}

export function bigintFromLE(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  return v;
}

export function bigintFromBE(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = 0; i < bytes.length; i++) v = (v << 8n) | BigInt(bytes[i]!);
  return v;
}

/** `v` as exactly `size` little-endian bytes (throws RangeError if it does not fit). */
export function bigintToLE(v: bigint, size: number): Buffer {
  const out = Buffer.alloc(size);
  let x = v;
  for (let i = 0; i < size; i++) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  if (x !== 0n) throw new RangeError(`integer does not fit in ${size} bytes`);
  return out;
}

export function bigintToBE(v: bigint, size: number): Buffer {
  return bigintToLE(v, size).reverse();
}

/** Number of bytes of the modulus. */
export function modulusSize(key: RsaPublicKey): number {
  return Math.ceil(key.n.toString(16).length / 2);
}

export function rsaPublic(key: RsaPublicKey, m: bigint): bigint {
  return modPow(m, key.e, key.n);
}

export function rsaPrivate(key: RsaPrivateKey, c: bigint): bigint {
  const { p, q, dp, dq, qi } = key;
  if (p !== undefined && q !== undefined && dp !== undefined && dq !== undefined && qi !== undefined) {
    const m1 = modPow(c % p, dp, p);
    const m2 = modPow(c % q, dq, q);
    const h = (qi * (((m1 - m2) % p) + p)) % p;
    return m2 + h * q;
  }
  return modPow(c, key.d, key.n);
}

/**
 * Encrypts `data` (read as a little-endian integer) with the public key and returns the ciphertext as
 * modulus-size little-endian bytes followed by 8 zero bytes: the EncryptedPreMasterSecret / encryptedClientRandom form.
 */
export function rsaEncryptLE(key: RsaPublicKey, data: Uint8Array): Buffer {
  const size = modulusSize(key);
  const m = bigintFromLE(data);
  if (m >= key.n) throw new RangeError('data is not smaller than the modulus');
  return Buffer.concat([bigintToLE(rsaPublic(key, m), size), Buffer.alloc(8)]);
}

/**
 * Decrypts a blob of the form above and returns the first `outputSize` little-endian bytes of the plaintext. The blob is
 * read as one little-endian integer over its whole length (trailing zeros do not change it); a value not below the
 * modulus is reduced, as peers do. An all-zero blob gives zeros.
 */
export function rsaDecryptLE(key: RsaPrivateKey, blob: Uint8Array, outputSize: number): Buffer {
  const c = bigintFromLE(blob) % key.n;
  const m = rsaPrivate(key, c);
  const size = Math.max(modulusSize(key), outputSize);
  return bigintToLE(m, size).subarray(0, outputSize);
}
