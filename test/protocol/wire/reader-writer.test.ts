import t from 'tap';
import fc from 'fast-check';
import { DecodeError, Reader, Writer } from '../../../protocol/wire/index.js';

t.test('Writer and Reader agree on every integer width and order', async (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xff }), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffffffff }), (a, b, c) => {
      const w = new Writer(1);
      w.u8(a).u16le(b).u32le(c).u16be(b).u32be(c);
      const r = new Reader(w.toBuffer());
      return r.u8('a') === a && r.u16le('b') === b && r.u32le('c') === c && r.u16be('b') === b && r.u32be('c') === c && r.remaining === 0;
    }),
  );
});

t.test('a read past the end throws TRUNCATED naming the field and offset', async (t) => {
  const r = new Reader(Buffer.from([1, 2, 3]));
  r.u16le('first');
  const err = t.throws(() => r.u32le('dwSecond')) as DecodeError;
  t.type(err, DecodeError);
  t.equal(err.code, 'TRUNCATED');
  t.equal(err.field, 'dwSecond');
  t.equal(err.offset, 2);
});

t.test('a sub-reader cannot read past its window and reports absolute offsets', async (t) => {
  const r = new Reader(Buffer.alloc(10));
  r.skip(3, 'x');
  const s = r.sub(4, 'blob');
  s.u16le('a');
  const err = t.throws(() => s.u32le('b')) as DecodeError;
  t.equal(err.offset, 5);
  t.equal(r.remaining, 3, 'the parent moved past the window');
  t.throws(() => r.sub(4, 'too long'), DecodeError);
});

t.test('end() refuses trailing bytes; negative lengths are truncations, not RangeErrors', async (t) => {
  const r = new Reader(Buffer.alloc(2));
  t.throws(() => r.end('msg'), { code: 'TRAILING_BYTES' });
  t.throws(() => r.bytes(-1, 'n'), { code: 'TRUNCATED' });
});

t.test('reserved slots are patched in place', async (t) => {
  const w = new Writer();
  const set = w.reserveU16le();
  w.bytes(Buffer.from('abc'));
  set(w.length);
  t.equal(w.toBuffer().toString('hex'), '0500616263');
});
