import t from 'tap';
import { Rc4, rc4 } from '../../../protocol/crypto/index.js';
import { hex, vector } from '../../helpers/vectors.js';

// RFC 6229 test vectors: keystream at given offsets.
const rfc6229: Array<[string, Array<[number, string]>]> = [
  ['0102030405', [[0, 'b2396305f03dc027ccc3524a0a1118a8'], [16, '6982944f18fc82d589c403a47a0d0919'], [4080, '068326a2118416d21f9d04b2cd1ca050']]],
  ['0102030405060708090a0b0c0d0e0f10', [[0, '9ac7cc9a609d1ef7b2932899cde41b97'], [16, '5248c4959014126a6e8a84f11d1a9e1c'], [4080, 'ff38265c1642c1abe8d3c2fe5e572bf8']]],
];

for (const [key, points] of rfc6229) {
  t.test(`RFC 6229 keystream, key ${key}`, async (t) => {
    const stream = rc4(hex(key), Buffer.alloc(4096));
    for (const [offset, expected] of points) t.equal(stream.subarray(offset, offset + 16).toString('hex'), expected, `offset ${offset}`);
  });
}

t.test('a stateful Rc4 continues the keystream across calls', async (t) => {
  const key = hex('0102030405');
  const s = new Rc4(key);
  const joined = Buffer.concat([s.update(Buffer.alloc(7)), s.update(Buffer.alloc(25))]);
  t.same(joined, rc4(key, Buffer.alloc(32)));
});

t.test('keys.md RC4 sanity: zero key over the 4.6 NEW_LICENSE_INFO', async (t) => {
  const out = rc4(Buffer.alloc(16), vector('rdpele-4.6-new-license-info.plain'));
  t.equal(out.subarray(0, 32).toString('hex'), 'de188f41ad375d3ae76f7d15381dfd0bb3341ccc9dccc797452b00324e963c9e');
});

t.test('rejects empty keys', async (t) => {
  t.throws(() => rc4(Buffer.alloc(0), Buffer.alloc(1)), RangeError);
});
