/** A growable little/big-endian byte writer for encoders. Values out of range throw RangeError: an encoder bug, not input. */
export class Writer {
  private buf: Buffer;
  private len = 0;

  constructor(initial = 256) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  get length(): number {
    return this.len;
  }

  private grow(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  u8(v: number): this {
    this.grow(1);
    this.buf.writeUInt8(v, this.len);
    this.len += 1;
    return this;
  }

  u16le(v: number): this {
    this.grow(2);
    this.buf.writeUInt16LE(v, this.len);
    this.len += 2;
    return this;
  }

  u32le(v: number): this {
    this.grow(4);
    this.buf.writeUInt32LE(v >>> 0 === v ? v : checkU32(v), this.len);
    this.len += 4;
    return this;
  }

  u16be(v: number): this {
    this.grow(2);
    this.buf.writeUInt16BE(v, this.len);
    this.len += 2;
    return this;
  }

  u32be(v: number): this {
    this.grow(4);
    this.buf.writeUInt32BE(v, this.len);
    this.len += 4;
    return this;
  }

  bytes(data: Uint8Array): this {
    this.grow(data.length);
    this.buf.set(data, this.len);
    this.len += data.length;
    return this;
  }

  zeros(n: number): this {
    this.grow(n);
    this.buf.fill(0, this.len, this.len + n);
    this.len += n;
    return this;
  }

  /** Reserves a 16-bit little-endian slot; call the returned function with the value once known. */
  reserveU16le(): (v: number) => void {
    const at = this.len;
    this.u16le(0);
    return (v) => void this.buf.writeUInt16LE(v, at);
  }

  reserveU16be(): (v: number) => void {
    const at = this.len;
    this.u16be(0);
    return (v) => void this.buf.writeUInt16BE(v, at);
  }

  reserveU32le(): (v: number) => void {
    const at = this.len;
    this.u32le(0);
    return (v) => void this.buf.writeUInt32LE(v, at);
  }

  /** A copy of what was written. */
  toBuffer(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.len));
  }
}

function checkU32(v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`not a UINT32: ${v}`);
  return v;
}

/** Encodes with a fresh Writer. */
export function encodeWith(fn: (w: Writer) => void): Buffer {
  const w = new Writer();
  fn(w);
  return w.toBuffer();
}
