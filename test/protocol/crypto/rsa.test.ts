import t from 'tap';
import { bigintFromBE, rsaDecryptLE, rsaEncryptLE, type RsaPrivateKey, type RsaPublicKey, seededRandom } from '../../../protocol/crypto/index.js';
import { hex } from '../../helpers/vectors.js';
import { generateKeyPairSync } from 'node:crypto';

t.test('chain C: the premaster encrypts to the published 72-byte blob', async (t) => {
  const key: RsaPublicKey = {
    n: bigintFromBE(hex('abac871183bfe94825002c33315e3d78c85f82cb3641f5b46515ee0431aee24858997f4f901df77cd7f84793a0ca9cdf91b041e8054bdc245b72f7689184fb19')),
    e: 65537n,
  };
  const pms = hex('1428dafbb9ea38ab5ea2f904f7899c983d504577bf17811c3787c24813e8c9204ddff327bdb6987e64dafe1d312f62ca');
  t.equal(
    rsaEncryptLE(key, pms).toString('hex'),
    'b095f7cb813445856583b2cf5bdffe406fd81414180b2b6daad0380aaf74e951552bdbfd3bd3fb2f3492ddc8af48f391618a5bbd8187ecb8cc0b0bc90d1ce717' + '00'.repeat(8),
  );
});

function jwkKey(bits: number): RsaPrivateKey {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  const j = privateKey.export({ format: 'jwk' });
  const b = (s: string | undefined) => bigintFromBE(Buffer.from(s!, 'base64url'));
  return { n: b(j.n), e: b(j.e), d: b(j.d), p: b(j.p), q: b(j.q), dp: b(j.dp), dq: b(j.dq), qi: b(j.qi) };
}

t.test('encrypt then decrypt gives the premaster back (512 and 2048 bits, with and without CRT)', async (t) => {
  const rnd = seededRandom(7);
  for (const bits of [512, 2048]) {
    const key = jwkKey(bits);
    const pms = rnd.bytes(48);
    const blob = rsaEncryptLE(key, pms);
    t.equal(blob.length, bits / 8 + 8);
    t.same(rsaDecryptLE(key, blob, 48), pms, `${bits} CRT`);
    t.same(rsaDecryptLE({ n: key.n, e: key.e, d: key.d }, blob, 48), pms, `${bits} plain`);
  }
});

t.test('an all-zero premaster blob (rdesktop) decrypts to 48 zero bytes', async (t) => {
  const key = jwkKey(512);
  t.same(rsaDecryptLE(key, Buffer.alloc(72), 48), Buffer.alloc(48));
  t.same(rsaDecryptLE(key, Buffer.alloc(0), 48), Buffer.alloc(48), 'even an empty blob');
});
