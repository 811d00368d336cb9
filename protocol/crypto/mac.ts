import { md5, sha1 } from './hash.js';

const PAD1 = Buffer.alloc(40, 0x36);
const PAD2 = Buffer.alloc(48, 0x5c);
export const MAC_SIZE = 16;

/** [MS-RDPELE] 5.1.5: `MD5(MacSaltKey ‖ pad2 ‖ SHA1(MacSaltKey ‖ pad1 ‖ LE32(len) ‖ data))`, over the plaintext. */
export function licensingMac(macSaltKey: Uint8Array, ...data: Uint8Array[]): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32LE(data.reduce((n, d) => n + d.length, 0));
  return md5(macSaltKey, PAD2, sha1(macSaltKey, PAD1, len, ...data));
}

/** Constant-time comparison of two MACs. */
export function macEquals(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
