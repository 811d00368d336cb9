import t from 'tap';
import { createPublicKey, generateKeyPairSync, createVerify } from 'node:crypto';
import {
  completeRsaPrivateKey,
  modInverse,
  rsaPrivateKeyFromKeyObject,
  rsaPrivateKeyFromPem,
  rsaPrivateKeyToDer,
  rsaPrivateKeyToJwk,
  rsaPrivateKeyToKeyObject,
  rsaPrivateKeyToPem,
  rsaPublicKeyFromPem,
  rsaPublicKeyToDer,
  rsaPublicKeyToKeyObject,
  rsaPublicKeyToPem,
  rsaPublicKeyEquals,
  rsaPublicPart,
  modulusBits,
} from '../../../protocol/crypto/rsa-keys.js';
import { pkcs1v15Encode, rsaPkcs1v15Sign, rsaPkcs1v15Verify, rsaSha1Sign, rsaSha1Verify, digest } from '../../../protocol/crypto/rsa-sign.js';
import { bigintFromBE, bigintToBE, modPow, rsaPublic, type RsaPrivateKey } from '../../../protocol/crypto/rsa.js';
import { TSSK } from '../../../protocol/certificates/tssk.js';

const key2048 = rsaPrivateKeyFromKeyObject(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);

t.test('KeyObject / JWK / PEM / DER round trips keep every part', async (t) => {
  t.ok(key2048.p && key2048.q && key2048.dp && key2048.dq && key2048.qi, 'CRT parts read from the KeyObject');
  t.equal(modulusBits(key2048), 2048);
  for (const type of ['pkcs8', 'pkcs1'] as const) {
    t.same(rsaPrivateKeyFromPem(rsaPrivateKeyToPem(key2048, type)), key2048, `PEM ${type}`);
    t.same(rsaPrivateKeyFromPem(rsaPrivateKeyToDer(key2048, type)), key2048, `DER ${type}`);
  }
  for (const type of ['spki', 'pkcs1'] as const) {
    t.same(rsaPublicKeyFromPem(rsaPublicKeyToPem(key2048, type)), rsaPublicPart(key2048), `public PEM ${type}`);
    t.same(rsaPublicKeyFromPem(rsaPublicKeyToDer(key2048, type)), rsaPublicPart(key2048), `public DER ${type}`);
  }
  t.ok(rsaPublicKeyEquals(rsaPublicKeyFromPem(rsaPrivateKeyToPem(key2048)), key2048), 'public key of a private PEM');
  t.equal(rsaPublicKeyToKeyObject(key2048).asymmetricKeyDetails?.modulusLength, 2048);
  t.equal(rsaPrivateKeyToJwk(key2048).kty, 'RSA');
});

t.test('the CRT parts of a key known as (n, e, d) are recovered (TSSK)', async (t) => {
  const full = completeRsaPrivateKey(TSSK);
  t.equal(full.p * full.q, TSSK.n);
  t.equal(full.dp, TSSK.d % (full.p - 1n));
  t.equal((full.qi * full.q) % full.p, 1n);
  const m = 0x1234567890abcdefn;
  t.equal(modPow(rsaPublic(TSSK, m), full.d, full.n), m);
  const ko = rsaPrivateKeyToKeyObject(TSSK);
  t.equal(ko.asymmetricKeyDetails?.modulusLength, 512, 'node:crypto accepts the TSSK');
  const stripped: RsaPrivateKey = { n: key2048.n, e: key2048.e, d: key2048.d };
  const again = completeRsaPrivateKey(stripped);
  t.equal(again.p * again.q, key2048.n);
  t.equal(modInverse(3n, 7n), 5n);
  t.throws(() => modInverse(2n, 4n), RangeError);
  t.throws(() => completeRsaPrivateKey({ n: key2048.n, e: key2048.e, d: key2048.d + 2n }), RangeError, 'inconsistent key');
});

t.test('PKCS#1 v1.5 SHA-1: node:crypto and the bigint path sign alike; both verify; openssl-side verify agrees', async (t) => {
  const data = Buffer.from('tbsCertificate bytes');
  const viaNode = rsaSha1Sign(key2048, data);
  const viaBigint = rsaSha1Sign({ n: key2048.n, e: key2048.e, d: key2048.d }, data);
  t.same(viaNode, viaBigint, 'deterministic, same bytes');
  t.equal(viaNode.length, 256);
  t.ok(rsaSha1Verify(key2048, data, viaNode));
  t.notOk(rsaSha1Verify(key2048, Buffer.from('other'), viaNode));
  const bad = Buffer.from(viaNode);
  bad[10] ^= 1;
  t.notOk(rsaSha1Verify(key2048, data, bad));
  t.notOk(rsaSha1Verify(key2048, data, Buffer.alloc(257, 1)), 'too long');
  t.notOk(rsaSha1Verify(key2048, data, bigintToBE(key2048.n, 256)), 'not below the modulus');
  const v = createVerify('sha1');
  v.update(data);
  t.ok(v.verify(createPublicKey(rsaPublicKeyToPem(key2048)), viaNode), 'node:crypto verifies our signature');
  const s256 = rsaPkcs1v15Sign(key2048, data, 'sha256');
  t.ok(rsaPkcs1v15Verify(key2048, data, s256, 'sha256'));
  t.notOk(rsaPkcs1v15Verify(key2048, data, s256, 'sha1'));
});

t.test('a DigestInfo without NULL parameters is accepted on verification', async (t) => {
  const data = Buffer.from('x');
  const noNull = Buffer.from('301f300706052b0e03021a0414', 'hex');
  const em = pkcs1v15Encode('sha1', digest('sha1', data), 256, noNull);
  const sig = bigintToBE(modPow(bigintFromBE(em), key2048.d, key2048.n), 256);
  t.ok(rsaSha1Verify(key2048, data, sig));
  t.throws(() => pkcs1v15Encode('sha512', Buffer.alloc(64), 64), RangeError);
});
