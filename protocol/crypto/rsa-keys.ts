import { createPrivateKey, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { bigintFromBE, bigintToBE, modPow, type RsaPrivateKey, type RsaPublicKey } from './rsa.js';

/**
 * Conversions between the bigint RSA keys of rsa.ts and node:crypto's KeyObject / JWK / PEM / DER, so that keys can be
 * stored by src/ in standard formats and handed to node:crypto for signing. Pure functions: no randomness involved.
 */

/** An RSA private key with every CRT part known. */
export type CompleteRsaPrivateKey = Required<RsaPrivateKey>;

const b64u = (v: bigint): string => {
  const size = Math.max(1, Math.ceil(v.toString(16).length / 2));
  return bigintToBE(v, size).toString('base64url');
};
const fromB64u = (s: string | undefined, what: string): bigint => {
  if (typeof s !== 'string' || s.length === 0) throw new TypeError(`RSA JWK lacks "${what}"`);
  return bigintFromBE(Buffer.from(s, 'base64url'));
};

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a < 0n ? -a : a;
}

/** Inverse of `a` modulo `m` (throws RangeError when none exists). */
export function modInverse(a: bigint, m: bigint): bigint {
  let [r0, r1] = [((a % m) + m) % m, m];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  if (r0 !== 1n) throw new RangeError('not invertible');
  return ((s0 % m) + m) % m;
}

/**
 * Fills in p, q, dp, dq and qi of a key known only as (n, e, d) — the Terminal Services Signing Key of [MS-RDPBCGR]
 * 5.3.3.1.1 is published that way — by the classic factoring of n from e·d − 1 (deterministic: bases 2, 3, 5, …).
 */
export function completeRsaPrivateKey(key: RsaPrivateKey): CompleteRsaPrivateKey {
  const { n, e, d } = key;
  if (key.p !== undefined && key.q !== undefined && key.dp !== undefined && key.dq !== undefined && key.qi !== undefined) {
    return { n, e, d, p: key.p, q: key.q, dp: key.dp, dq: key.dq, qi: key.qi };
  }
  let p = 0n;
  if (key.p !== undefined && key.p > 1n && n % key.p === 0n) p = key.p;
  else {
    if (n < 15n || modPow(modPow(2n, e, n), d, n) !== 2n) throw new RangeError('inconsistent key: (2^e)^d mod n != 2');
    const k = d * e - 1n;
    let r = k;
    let t = 0;
    while ((r & 1n) === 0n) {
      r >>= 1n;
      t++;
    }
    search: for (let g = 2n; g < 200n; g++) {
      let y = modPow(g, r, n);
      if (y === 1n || y === n - 1n) continue;
      for (let i = 0; i < t; i++) {
        const x = (y * y) % n;
        if (x === 1n) {
          p = gcd(y - 1n, n);
          break search;
        }
        if (x === n - 1n) break;
        y = x;
      }
    }
    if (p <= 1n || p >= n) throw new RangeError('cannot factor the modulus from (n, e, d): inconsistent key');
  }
  let q = n / p;
  if (p < q) [p, q] = [q, p]; // convention: p > q
  return { n, e, d, p, q, dp: d % (p - 1n), dq: d % (q - 1n), qi: modInverse(q, p) };
}

export function rsaPublicKeyToJwk(key: RsaPublicKey): JsonWebKey {
  return { kty: 'RSA', n: b64u(key.n), e: b64u(key.e) };
}

/** A private JWK with all CRT parts (computed when the key lacks them). */
export function rsaPrivateKeyToJwk(key: RsaPrivateKey): JsonWebKey {
  const k = completeRsaPrivateKey(key);
  return {
    kty: 'RSA',
    n: b64u(k.n),
    e: b64u(k.e),
    d: b64u(k.d),
    p: b64u(k.p),
    q: b64u(k.q),
    dp: b64u(k.dp),
    dq: b64u(k.dq),
    qi: b64u(k.qi),
  };
}

export function rsaPublicKeyFromJwk(jwk: JsonWebKey): RsaPublicKey {
  if (jwk.kty !== 'RSA') throw new TypeError(`not an RSA JWK: ${String(jwk.kty)}`);
  return { n: fromB64u(jwk.n, 'n'), e: fromB64u(jwk.e, 'e') };
}

export function rsaPrivateKeyFromJwk(jwk: JsonWebKey): RsaPrivateKey {
  const pub = rsaPublicKeyFromJwk(jwk);
  const key: RsaPrivateKey = { ...pub, d: fromB64u(jwk.d, 'd') };
  if (jwk.p && jwk.q && jwk.dp && jwk.dq && jwk.qi) {
    key.p = fromB64u(jwk.p, 'p');
    key.q = fromB64u(jwk.q, 'q');
    key.dp = fromB64u(jwk.dp, 'dp');
    key.dq = fromB64u(jwk.dq, 'dq');
    key.qi = fromB64u(jwk.qi, 'qi');
  }
  return key;
}

export function rsaPublicKeyToKeyObject(key: RsaPublicKey): KeyObject {
  return createPublicKey({ key: rsaPublicKeyToJwk(key), format: 'jwk' });
}

export function rsaPrivateKeyToKeyObject(key: RsaPrivateKey): KeyObject {
  return createPrivateKey({ key: rsaPrivateKeyToJwk(key), format: 'jwk' });
}

/** The public half of an RSA KeyObject (public or private). */
export function rsaPublicKeyFromKeyObject(ko: KeyObject): RsaPublicKey {
  if (ko.asymmetricKeyType !== 'rsa') throw new TypeError(`not an RSA key: ${String(ko.asymmetricKeyType)}`);
  return rsaPublicKeyFromJwk(ko.export({ format: 'jwk' }));
}

export function rsaPrivateKeyFromKeyObject(ko: KeyObject): RsaPrivateKey {
  if (ko.type !== 'private' || ko.asymmetricKeyType !== 'rsa') throw new TypeError('not an RSA private key');
  return rsaPrivateKeyFromJwk(ko.export({ format: 'jwk' }));
}

/** PEM text: PKCS#8 ("PRIVATE KEY", default) or PKCS#1 ("RSA PRIVATE KEY"). */
export function rsaPrivateKeyToPem(key: RsaPrivateKey, type: 'pkcs8' | 'pkcs1' = 'pkcs8'): string {
  return rsaPrivateKeyToKeyObject(key).export({ format: 'pem', type }) as string;
}

/** DER bytes: PKCS#8 PrivateKeyInfo (default) or PKCS#1 RSAPrivateKey. */
export function rsaPrivateKeyToDer(key: RsaPrivateKey, type: 'pkcs8' | 'pkcs1' = 'pkcs8'): Buffer {
  return rsaPrivateKeyToKeyObject(key).export({ format: 'der', type }) as Buffer;
}

/** Reads a private key from PEM text (any type node:crypto knows) or from PKCS#8 / PKCS#1 DER bytes. */
export function rsaPrivateKeyFromPem(data: string | Uint8Array): RsaPrivateKey {
  return rsaPrivateKeyFromKeyObject(parsePrivate(data));
}

function parsePrivate(data: string | Uint8Array): KeyObject {
  if (typeof data === 'string' || Buffer.from(data).subarray(0, 10).toString('latin1').startsWith('-----')) {
    return createPrivateKey({ key: typeof data === 'string' ? data : Buffer.from(data), format: 'pem' });
  }
  const der = Buffer.from(data);
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } catch {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs1' });
  }
}

export const rsaPrivateKeyFromDer = rsaPrivateKeyFromPem;

/** PEM text of the public key: SubjectPublicKeyInfo ("PUBLIC KEY", default) or PKCS#1 ("RSA PUBLIC KEY"). */
export function rsaPublicKeyToPem(key: RsaPublicKey, type: 'spki' | 'pkcs1' = 'spki'): string {
  return rsaPublicKeyToKeyObject(key).export({ format: 'pem', type }) as string;
}

/** DER of the public key: SubjectPublicKeyInfo with rsaEncryption (default) or PKCS#1 RSAPublicKey. */
export function rsaPublicKeyToDer(key: RsaPublicKey, type: 'spki' | 'pkcs1' = 'spki'): Buffer {
  return rsaPublicKeyToKeyObject(key).export({ format: 'der', type }) as Buffer;
}

/** Reads a public key from PEM (public or private) or from SPKI / PKCS#1 DER. */
export function rsaPublicKeyFromPem(data: string | Uint8Array): RsaPublicKey {
  if (typeof data === 'string' || Buffer.from(data).subarray(0, 10).toString('latin1').startsWith('-----')) {
    return rsaPublicKeyFromKeyObject(createPublicKey({ key: typeof data === 'string' ? data : Buffer.from(data), format: 'pem' }));
  }
  const der = Buffer.from(data);
  try {
    return rsaPublicKeyFromKeyObject(createPublicKey({ key: der, format: 'der', type: 'spki' }));
  } catch {
    return rsaPublicKeyFromKeyObject(createPublicKey({ key: der, format: 'der', type: 'pkcs1' }));
  }
}

export const rsaPublicKeyFromDer = rsaPublicKeyFromPem;

/** Same modulus and exponent. */
export function rsaPublicKeyEquals(a: RsaPublicKey, b: RsaPublicKey): boolean {
  return a.n === b.n && a.e === b.e;
}

/** The public half of a key (drops d and the CRT parts). */
export function rsaPublicPart(key: RsaPublicKey): RsaPublicKey {
  return { n: key.n, e: key.e };
}

/** Modulus size in bits. */
export function modulusBits(key: RsaPublicKey): number {
  return key.n === 0n ? 0 : key.n.toString(2).length;
}

