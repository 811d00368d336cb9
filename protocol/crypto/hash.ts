import { createHash } from 'node:crypto';

export function md5(...parts: Uint8Array[]): Buffer {
  const h = createHash('md5');
  for (const p of parts) h.update(p);
  return h.digest();
}

export function sha1(...parts: Uint8Array[]): Buffer {
  const h = createHash('sha1');
  for (const p of parts) h.update(p);
  return h.digest();
}

/** `MD5(S ‖ SHA1(I ‖ S ‖ A ‖ B))`, the building block of [MS-RDPELE] 5.1.2 and [MS-RDPBCGR] 5.3.5.1. */
export function saltedHash(s: Uint8Array, i: Uint8Array, a: Uint8Array, b: Uint8Array): Buffer {
  return md5(s, sha1(i, s, a, b));
}

const SALTS = [Buffer.from('A'), Buffer.from('BB'), Buffer.from('CCC')];

/** `SaltedHash(S,"A",a,b) ‖ SaltedHash(S,"BB",a,b) ‖ SaltedHash(S,"CCC",a,b)`: 48 bytes. */
export function hash48(s: Uint8Array, a: Uint8Array, b: Uint8Array, salts: Uint8Array[] = SALTS): Buffer {
  return Buffer.concat(salts.map((salt) => saltedHash(s, salt, a, b)));
}
