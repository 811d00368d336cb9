import { DecodeError, type Reader, type Writer } from '../../wire/index.js';

/** ALIGNED PER ([X.691]) pieces used by the MCS domain PDUs and GCC. */

/** Largest length of the 2-byte form (14 bits); 0xC0 starts a fragmented length, which nobody sends here. */
export const PER_MAX_LENGTH = 0x3fff;
/** MCS UserId values are sent as `value - 1001` in 16 bits ([T.125] UserId ::= DynamicChannelId (1001..65535)). */
export const MCS_USERCHANNEL_BASE = 1001;

/** A PER length determinant: 1 byte below 0x80, else `0x80|hi lo`. Returns the value and whether the long form was used. */
export function readPerLength(r: Reader, field: string): number {
  return readPerLengthForm(r, field).length;
}

export function readPerLengthForm(r: Reader, field: string): { length: number; long: boolean } {
  const at = r.offset;
  const first = r.u8(field);
  if ((first & 0x80) === 0) return { length: first, long: false };
  if ((first & 0xc0) === 0xc0) throw new DecodeError('UNSUPPORTED', field, at, 'fragmented PER length');
  return { length: ((first & 0x3f) << 8) | r.u8(field), long: true };
}

/** Short form below 0x80 unless `long` is asked for (Windows clients always write `80 xx`). */
export function writePerLength(w: Writer, length: number, long = false): void {
  if (length < 0 || length > PER_MAX_LENGTH) throw new RangeError(`PER length ${length} out of range`);
  if (length < 0x80 && !long) w.u8(length);
  else w.u16be(0x8000 | length);
}

export function readUserId(r: Reader, field: string): number {
  return r.u16be(field) + MCS_USERCHANNEL_BASE;
}

export function writeUserId(w: Writer, userId: number): void {
  if (userId < MCS_USERCHANNEL_BASE || userId > 0xffff) throw new RangeError(`MCS user id ${userId} out of range`);
  w.u16be(userId - MCS_USERCHANNEL_BASE);
}
