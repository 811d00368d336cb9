import { DecodeError } from './decode-error.js';

/**
 * A bounds-checked cursor over a byte buffer. Every read names the spec field it reads so that a failure says which
 * field and where. Offsets in errors are absolute: a sub-reader keeps the base offset of its parent.
 */
export class Reader {
  private pos = 0;

  constructor(
    readonly buffer: Uint8Array,
    /** Offset of `buffer[0]` in the outermost input, for error messages. */
    readonly base = 0,
  ) {}

  static from(data: Uint8Array): Reader {
    return new Reader(data);
  }

  /** Absolute offset of the next byte. */
  get offset(): number {
    return this.base + this.pos;
  }

  /** Position inside this reader's buffer. */
  get position(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.buffer.length - this.pos;
  }

  /** Throws TRUNCATED unless `n` more bytes are available. */
  need(n: number, field: string): void {
    if (n < 0 || n > this.remaining) {
      throw new DecodeError('TRUNCATED', field, this.offset, `needs ${n} bytes, ${this.remaining} left`);
    }
  }

  u8(field: string): number {
    this.need(1, field);
    return this.buffer[this.pos++]!;
  }

  u16le(field: string): number {
    this.need(2, field);
    const b = this.buffer, p = this.pos;
    this.pos += 2;
    return b[p]! | (b[p + 1]! << 8);
  }

  u32le(field: string): number {
    this.need(4, field);
    const b = this.buffer, p = this.pos;
    this.pos += 4;
    return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16)) + b[p + 3]! * 0x1000000;
  }

  u16be(field: string): number {
    this.need(2, field);
    const b = this.buffer, p = this.pos;
    this.pos += 2;
    return (b[p]! << 8) | b[p + 1]!;
  }

  u32be(field: string): number {
    this.need(4, field);
    const b = this.buffer, p = this.pos;
    this.pos += 4;
    return b[p]! * 0x1000000 + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
  }

  /** The next `n` bytes, as a Buffer sharing memory with the input. */
  bytes(n: number, field: string): Buffer {
    this.need(n, field);
    const out = Buffer.from(this.buffer.buffer, this.buffer.byteOffset + this.pos, n);
    this.pos += n;
    return out;
  }

  /** All bytes left. */
  rest(): Buffer {
    return this.bytes(this.remaining, 'rest');
  }

  skip(n: number, field: string): void {
    this.need(n, field);
    this.pos += n;
  }

  peekU8(field: string): number {
    this.need(1, field);
    return this.buffer[this.pos]!;
  }

  /** A reader over the next `n` bytes (consumed here); its reads cannot run past them. */
  sub(n: number, field: string): Reader {
    const start = this.offset;
    return new Reader(this.bytes(n, field), start);
  }

  /** Throws TRAILING_BYTES if anything is left. */
  end(field: string): void {
    if (this.remaining !== 0) {
      throw new DecodeError('TRAILING_BYTES', field, this.offset, `${this.remaining} unexpected bytes after the structure`);
    }
  }

  /** Throws a DecodeError for `field` at the current offset. */
  fail(code: DecodeError['code'], field: string, message?: string, at = this.offset): never {
    throw new DecodeError(code, field, at, message);
  }
}
