import t from 'tap';
import fc from 'fast-check';
import { deepStrictEqual } from 'node:assert';
import {
  BB_SCOPE_BLOB,
  MAX_SCOPE_COUNT,
  decodeKeyExchangeList,
  decodeScopeList,
  encodeKeyExchangeList,
  encodeScopeList,
} from '../../../protocol/licensing/index.js';
import { Reader, encodeWith } from '../../../protocol/wire/index.js';
import { hex } from '../../helpers/vectors.js';
import { keyExchangeList, scope } from './fixtures/arbitraries.js';

t.test('scope list from text: BB_SCOPE_BLOB "microsoft.com\\0"', async (t) => {
  t.equal(encodeWith((w) => encodeScopeList(w, [{ issuer: 'microsoft.com' }])).toString('hex'), '01000000' + '0e000e00' + Buffer.from('microsoft.com\0').toString('hex'));
});

t.test(`${MAX_SCOPE_COUNT} scopes are accepted`, async (t) => {
  const list = Array.from({ length: MAX_SCOPE_COUNT }, (_, i) => ({ issuer: `s${i}` }));
  const decoded = decodeScopeList(new Reader(encodeWith((w) => encodeScopeList(w, list))));
  t.equal(decoded.length, MAX_SCOPE_COUNT);
  t.equal(decoded[255]!.issuer, 's255');
});

t.test('a non-empty scope blob of another type is refused; an empty one of any type is accepted', async (t) => {
  t.throws(() => decodeScopeList(new Reader(hex('01000000 0f000200 4100'))), { code: 'INVALID_VALUE', field: 'ScopeArray[0].wBlobType' });
  const empty = decodeScopeList(new Reader(hex('01000000 34120000')));
  t.same(empty.map((s) => [s.issuer, s.blob!.blobType]), [['', 0x1234]]);
});

t.test('a key exchange list whose length is not a multiple of 4 is refused; other types only when empty', async (t) => {
  t.throws(() => decodeKeyExchangeList(new Reader(hex('0d000300 010000'))), { code: 'INVALID_LENGTH' });
  t.throws(() => decodeKeyExchangeList(new Reader(hex('01000400 01000000'))), { code: 'INVALID_VALUE' });
  t.same(decodeKeyExchangeList(new Reader(hex('99990000'))), { algorithms: [], blobType: 0x9999 });
  t.same(encodeWith((w) => encodeKeyExchangeList(w, { algorithms: [1] })), hex('0d000400 01000000'));
});

t.test('fast-check: scope list and key exchange list round-trip', async () => {
  fc.assert(
    fc.property(fc.array(scope, { maxLength: 8 }), keyExchangeList, (scopes, kx) => {
      deepStrictEqual(decodeScopeList(new Reader(encodeWith((w) => encodeScopeList(w, scopes)))), scopes);
      deepStrictEqual(decodeKeyExchangeList(new Reader(encodeWith((w) => encodeKeyExchangeList(w, kx)))), kx);
    }),
  );
  void BB_SCOPE_BLOB;
});
