import { DecodeError, type Reader, Writer } from '../../wire/index.js';

/** BER ([X.690]) pieces used by the T.125 MCS connect PDUs. */
export const BER_TAG_BOOLEAN = 0x01;
export const BER_TAG_INTEGER = 0x02;
export const BER_TAG_OCTET_STRING = 0x04;
export const BER_TAG_ENUMERATED = 0x0a;
export const BER_TAG_SEQUENCE = 0x30;
/** Application class, constructed, tag number in the next byte (> 30). */
export const BER_TAG_APPLICATION_HIGH = 0x7f;
/** Largest integer size we read (MCS integers are at most 32 bits). */
export const BER_MAX_INTEGER_SIZE = 4;

export function readBerLength(r: Reader, field: string): number {
  const at = r.offset;
  const first = r.u8(field);
  if (first < 0x80) return first;
  const n = first & 0x7f;
  if (n === 0) throw new DecodeError('UNSUPPORTED', field, at, 'indefinite BER length');
  if (n > 4) throw new DecodeError('LIMIT_EXCEEDED', field, at, `BER length of ${n} bytes`);
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 256 + r.u8(field);
  return v;
}

/** Short form below 0x80, then 81 xx, then 82 hi lo (the forms Windows and xrdp write). */
export function writeBerLength(w: Writer, length: number): void {
  if (length < 0x80) w.u8(length);
  else if (length < 0x100) w.u8(0x81).u8(length);
  else if (length <= 0xffff) w.u8(0x82).u16be(length);
  else throw new RangeError(`BER length ${length} too large`);
}

function expectTag(r: Reader, tag: number, field: string): void {
  const at = r.offset;
  const got = r.u8(field);
  if (got !== tag) throw new DecodeError('INVALID_VALUE', field, at, `expected BER tag 0x${tag.toString(16)}, got 0x${got.toString(16)}`);
}

/** Reads `7f <tagNumber> <length>` and returns a reader over exactly the contents. */
export function readBerApplication(r: Reader, tagNumber: number, field: string): Reader {
  expectTag(r, BER_TAG_APPLICATION_HIGH, field);
  expectTag(r, tagNumber, field);
  return r.sub(readBerLength(r, field), field);
}

export function writeBerApplication(w: Writer, tagNumber: number, contents: Uint8Array): void {
  w.u8(BER_TAG_APPLICATION_HIGH).u8(tagNumber);
  writeBerLength(w, contents.length);
  w.bytes(contents);
}

/** A SEQUENCE: returns a reader over its contents. */
export function readBerSequence(r: Reader, field: string): Reader {
  expectTag(r, BER_TAG_SEQUENCE, field);
  return r.sub(readBerLength(r, field), field);
}

export function writeBerSequence(w: Writer, contents: Uint8Array): void {
  w.u8(BER_TAG_SEQUENCE);
  writeBerLength(w, contents.length);
  w.bytes(contents);
}

/**
 * An INTEGER read as UNSIGNED big-endian: real clients write 65535 as `02 02 ff ff` (strictly -1), so be liberal.
 */
export function readBerInteger(r: Reader, field: string): number {
  expectTag(r, BER_TAG_INTEGER, field);
  const at = r.offset;
  const len = readBerLength(r, field);
  if (len < 1 || len > BER_MAX_INTEGER_SIZE + 1) throw new DecodeError('INVALID_LENGTH', field, at, `INTEGER of ${len} bytes`);
  const bytes = r.bytes(len, field);
  let v = 0;
  for (const b of bytes) v = v * 256 + b;
  if (v > 0xffffffff) throw new DecodeError('LIMIT_EXCEEDED', field, at, 'INTEGER above 32 bits');
  return v;
}

/** Minimal two's-complement encoding of a non-negative integer (65528 → `02 03 00 ff f8`). */
export function writeBerInteger(w: Writer, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`BER INTEGER ${v} out of range`);
  const bytes: number[] = [];
  let x = v;
  do {
    bytes.unshift(x & 0xff);
    x = Math.floor(x / 256);
  } while (x > 0);
  if (bytes[0]! & 0x80) bytes.unshift(0);
  w.u8(BER_TAG_INTEGER).u8(bytes.length);
  for (const b of bytes) w.u8(b);
}

export function readBerBoolean(r: Reader, field: string): boolean {
  expectTag(r, BER_TAG_BOOLEAN, field);
  const at = r.offset;
  const len = readBerLength(r, field);
  if (len !== 1) throw new DecodeError('INVALID_LENGTH', field, at, `BOOLEAN of ${len} bytes`);
  return r.u8(field) !== 0;
}

export function writeBerBoolean(w: Writer, v: boolean): void {
  w.u8(BER_TAG_BOOLEAN).u8(1).u8(v ? 0xff : 0);
}

export function readBerEnumerated(r: Reader, field: string): number {
  expectTag(r, BER_TAG_ENUMERATED, field);
  const at = r.offset;
  const len = readBerLength(r, field);
  if (len !== 1) throw new DecodeError('INVALID_LENGTH', field, at, `ENUMERATED of ${len} bytes`);
  return r.u8(field);
}

export function writeBerEnumerated(w: Writer, v: number): void {
  w.u8(BER_TAG_ENUMERATED).u8(1).u8(v);
}

export function readBerOctetString(r: Reader, field: string): Buffer {
  expectTag(r, BER_TAG_OCTET_STRING, field);
  return r.bytes(readBerLength(r, field), field);
}

export function writeBerOctetString(w: Writer, v: Uint8Array): void {
  w.u8(BER_TAG_OCTET_STRING);
  writeBerLength(w, v.length);
  w.bytes(v);
}

/** Encodes with a fresh Writer (for contents whose length prefixes them). */
export function berContents(fn: (w: Writer) => void): Buffer {
  const w = new Writer();
  fn(w);
  return w.toBuffer();
}
