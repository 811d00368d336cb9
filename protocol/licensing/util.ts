import { Reader } from '../wire/index.js';

/** Encoders refuse fixed-size fields of the wrong size (a caller bug, hence RangeError). */
export function checkLength(value: Uint8Array, size: number, field: string): void {
  if (value.length !== size) throw new RangeError(`${field} must be ${size} bytes, got ${value.length}`);
}

/**
 * Decodes a whole buffer with `decode` (for decrypted inner structures: NEW_LICENSE_INFO, CLIENT_HARDWARE_ID, …): the
 * structure is read inside its own window, never from the bytes around it (BAD-INPUTS #7), and must use every byte.
 */
export function decodeAll<T>(data: Uint8Array, decode: (r: Reader) => T, field: string): T {
  const r = new Reader(data);
  const value = decode(r);
  r.end(field);
  return value;
}
