/**
 * The 24-symbol alphabet of License Server IDs, Key Pack IDs and License Codes (RD-LICENSING.md §3.5): no vowels, no
 * look-alikes (0/O, 1/I, 5/S). Digits are written most significant first; the bytes are read as one big-endian integer.
 */
export const BASE24_ALPHABET = 'BCDFGHJKMPQRTVWXY2346789';

export class CodeError extends Error {
  override readonly name = 'CodeError';
}

export function encodeBase24(bytes: Uint8Array, digits: number): string {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  let out = '';
  for (let i = 0; i < digits; i++) {
    out = BASE24_ALPHABET[Number(v % 24n)]! + out;
    v /= 24n;
  }
  if (v !== 0n) throw new RangeError(`${bytes.length} bytes do not fit in ${digits} base-24 digits`);
  return out;
}

/** Normalises what a person typed (case, spaces, hyphens), then decodes `digits` digits into `size` bytes. */
export function decodeBase24(text: string, digits: number, size: number, what: string): Buffer {
  const s = normaliseCode(text);
  if (s.length !== digits) throw new CodeError(`${what} must have ${digits} characters, not ${s.length}`);
  let v = 0n;
  for (const ch of s) {
    const d = BASE24_ALPHABET.indexOf(ch);
    if (d < 0) throw new CodeError(`${what} contains "${ch}", which is not one of ${BASE24_ALPHABET}`);
    v = v * 24n + BigInt(d);
  }
  const out = Buffer.alloc(size);
  for (let i = size - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  if (v !== 0n) throw new CodeError(`${what} is out of range`);
  return out;
}

export function normaliseCode(text: string): string {
  return text.toUpperCase().replace(/[\s-]/g, '');
}

/** Groups of five, as the Licensing wizard shows them. */
export function groupCode(code: string): string {
  return code.match(/.{1,5}/g)!.join('-');
}
