/** Fixed-size, NUL-padded UTF-16LE fields of the GCC blocks (clientName, imeFileName, clientDigProductId). */
export function readFixedUtf16(data: Uint8Array): string {
  const b = Buffer.from(data.buffer, data.byteOffset, data.length & ~1);
  let end = 0;
  while (end + 1 < b.length && (b[end] !== 0 || b[end + 1] !== 0)) end += 2;
  return b.subarray(0, end).toString('utf16le');
}

/** `s` as UTF-16LE in exactly `size` bytes, truncated so that a NUL terminator always fits. */
export function fixedUtf16(s: string, size: number): Buffer {
  const out = Buffer.alloc(size);
  const enc = Buffer.from(s, 'utf16le');
  enc.copy(out, 0, 0, Math.min(enc.length, size - 2) & ~1);
  return out;
}

/** A NUL-padded ANSI field (CHANNEL_DEF name). */
export function readFixedAnsi(data: Uint8Array): string {
  const b = Buffer.from(data.buffer, data.byteOffset, data.length);
  const nul = b.indexOf(0);
  return b.subarray(0, nul < 0 ? b.length : nul).toString('latin1');
}

export function fixedAnsi(s: string, size: number): Buffer {
  const out = Buffer.alloc(size);
  Buffer.from(s, 'latin1').copy(out, 0, 0, size - 1);
  return out;
}
