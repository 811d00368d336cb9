import t from 'tap';
import fc from 'fast-check';
import { deepStrictEqual } from 'node:assert';
import {
  MAX_PRODUCT_INFO_STRING_SIZE,
  ansiBytes,
  ansiText,
  decodeProductInfo,
  encodeProductInfo,
  utf16Bytes,
  utf16Text,
} from '../../../protocol/licensing/index.js';
import { Reader, encodeWith } from '../../../protocol/wire/index.js';
import { hex } from '../../helpers/vectors.js';
import { productInfo } from './fixtures/arbitraries.js';

t.test('product info from text encodes NUL-terminated UTF-16 (the 4.1 bytes)', async (t) => {
  const bytes = encodeWith((w) => encodeProductInfo(w, { version: 0x00060000, companyName: 'Microsoft Corporation', productId: 'A02' }));
  t.equal(bytes.readUInt32LE(4), 44, 'cbCompanyName');
  t.equal(bytes.subarray(8 + 44).toString('hex'), '08000000' + '4100300032000000');
});

t.test('a company name without NUL is kept byte for byte', async (t) => {
  const raw = Buffer.from('ACME', 'utf16le');
  const bytes = Buffer.concat([hex('00000600'), hex('08000000'), raw, hex('04000000'), hex('41000000')]);
  const info = decodeProductInfo(new Reader(bytes));
  t.equal(info.companyName, 'ACME');
  t.equal(info.productId, 'A');
  t.same(encodeWith((w) => encodeProductInfo(w, info)), bytes);
});

t.test(`cbCompanyName above ${MAX_PRODUCT_INFO_STRING_SIZE} is a LIMIT_EXCEEDED`, async (t) => {
  const bytes = Buffer.concat([hex('00000600'), hex('02040000'), Buffer.alloc(0x402)]);
  t.throws(() => decodeProductInfo(new Reader(bytes)), { code: 'LIMIT_EXCEEDED', field: 'cbCompanyName' });
});

t.test('fast-check: PRODUCT_INFO decode(encode(x)) deep-equals x', async () => {
  fc.assert(fc.property(productInfo, (x) => deepStrictEqual(decodeProductInfo(new Reader(encodeWith((w) => encodeProductInfo(w, x)))), x)));
});

t.test('string helpers: UTF-16 and ANSI texts stop at NUL, accept no NUL, UTF-8 and Latin-1', async (t) => {
  t.equal(utf16Text(utf16Bytes('Microsoft Corporation')), 'Microsoft Corporation');
  t.equal(utf16Text(Buffer.from('AB', 'utf16le')), 'AB', 'no NUL');
  t.equal(utf16Text(Buffer.from([0x41, 0x00, 0x42])), 'A', 'odd last byte ignored');
  t.equal(utf16Text(Buffer.from([0x41, 0x00, 0x00, 0x00, 0x42, 0x00])), 'A', 'stops at the first NUL');
  t.equal(ansiText(ansiBytes('Administrator')), 'Administrator');
  t.equal(ansiText(Buffer.from('sample-user')), 'sample-user', 'UTF-8 without NUL (Microsoft test client)');
  t.equal(ansiText(Buffer.from('Jürgen\0', 'utf8')), 'Jürgen');
  t.equal(ansiText(Buffer.from('Jürgen\0', 'latin1')), 'Jürgen', 'not UTF-8: read as Latin-1');
  t.equal(ansiText(Buffer.alloc(0)), '');
  t.same(ansiBytes('x'), Buffer.from([0x78, 0]));
});

t.test('ANSI names that are really UTF-16LE (node-rdpjs machine name) are read as UTF-16', async (t) => {
  t.equal(ansiText(Buffer.from('bob\0', 'utf16le')), 'bob');
  t.equal(ansiText(Buffer.from('b\0', 'latin1')), 'b', 'a one-letter ANSI name stays ANSI');
});
