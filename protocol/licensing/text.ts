import { isUtf8 } from 'node:buffer';

/**
 * The two string encodings of the licensing protocol. Decoders keep the bytes as received beside the text they read, so
 * that a captured message re-encodes byte for byte; encoders write the received bytes only while they still read as the
 * text (so editing the text of a decoded message takes effect).
 */

/**
 * Text of a UTF-16LE field ([MS-RDPELE] 2.2.2.1.1 pbCompanyName/pbProductId): up to the first NUL code unit, an odd last
 * byte ignored. Never throws.
 */
export function utf16Text(raw: Uint8Array): string {
  const even = raw.length & ~1;
  const s = Buffer.from(raw.buffer, raw.byteOffset, even).toString('utf16le');
  const nul = s.indexOf('\0');
  return nul === -1 ? s : s.slice(0, nul);
}

/** `text` as UTF-16LE with the 2-byte NUL terminator the spec requires. */
export function utf16Bytes(text: string): Buffer {
  return Buffer.from(`${text}\0`, 'utf16le');
}

/**
 * Text of an "ANSI" field (scope, user and machine names): up to the first NUL byte (a missing NUL is accepted), read as
 * UTF-8 when it is valid UTF-8 (Microsoft's test client sends UTF-8), else as ISO-8859-1. Bytes that start like UTF-16LE
 * (`x 00 y 00`: node-rdpjs sends its machine name so) are read as UTF-16LE. Never throws.
 */
export function ansiText(raw: Uint8Array): string {
  if (raw.length >= 4 && raw[0] !== 0 && raw[1] === 0 && raw[2] !== 0 && raw[3] === 0) return utf16Text(raw);
  const nul = raw.indexOf(0);
  const bytes = Buffer.from(raw.buffer, raw.byteOffset, nul === -1 ? raw.length : nul);
  return isUtf8(bytes) ? bytes.toString('utf8') : bytes.toString('latin1');
}

/** `text` NUL-terminated, as UTF-8 (plain ASCII for the usual names). */
export function ansiBytes(text: string): Buffer {
  return Buffer.from(`${text}\0`, 'utf8');
}

/** The received bytes if they still read as `text`, else a fresh encoding of `text`. */
export function rawOrEncode(
  raw: Uint8Array | undefined,
  text: string,
  read: (raw: Uint8Array) => string,
  write: (text: string) => Buffer,
): Uint8Array {
  return raw !== undefined && read(raw) === text ? raw : write(text);
}
