import t from 'tap';
import { Reader, encodeWith } from '../../../protocol/wire/index.js';
import { md5 } from '../../../protocol/crypto/hash.js';
import { bigintFromLE, bigintToLE, rsaDecryptLE, rsaEncryptLE, rsaPublic } from '../../../protocol/crypto/rsa.js';
import {
  CERT_CHAIN_VERSION_1,
  CERT_TEMPORARILY_ISSUED,
  TSSK,
  TSSK_PUBLIC,
  buildProprietaryCertificate,
  decodeProprietaryCertificate,
  decodeServerCertificateBytes,
  encodeProprietaryCertificate,
  isTemporarilyIssued,
  proprietaryPublicKey,
  proprietarySignedData,
  publicKeyOfServerCertificate,
  serverCertificateBytes,
  signProprietaryData,
  verifyProprietaryCertificate,
  type ProprietaryServerCertificate,
} from '../../../protocol/certificates/index.js';
import { hex } from '../../helpers/vectors.js';
import { bcgrCertificate, testKey, xrdpCertificate } from './fixtures/certificates.js';

const decodeP = (b: Buffer): ProprietaryServerCertificate => {
  const c = decodeServerCertificateBytes(b);
  if (c.certChainVersion !== CERT_CHAIN_VERSION_1) throw new Error('not proprietary');
  return c;
};

t.test('TSSK signatures of keys.md verify: xrdp certificate (bytes 0x70..0x128 after the security header)', async (t) => {
  const bytes = xrdpCertificate();
  t.equal(bytes.length, 184);
  t.same(bytes.subarray(0, 4), hex('01000000'), 'starts at dwVersion');
  const cert = decodeP(bytes);
  t.same(
    proprietarySignedData(cert),
    hex(
      '01000000 01000000 01000000 0600 5c00 52534131 48000000 00020000 3f000000 01000100 01c7c9f78e5a38e429c300952ddd4c3e50450b0d9e2a5d186364c42cf78f29d53fc5352234ffad3ae6e39506ae5582e3c8c7b4a847c85071742953896d9ced70 0000000000000000',
    ),
    'signed data as keys.md',
  );
  t.same(md5(proprietarySignedData(cert)), hex('f99ac2cbb5f4c37975b5364d1125128c'));
  t.same(
    cert.signatureBlob,
    Buffer.concat([hex('a8f431b9ab4be6b4f43989d6b1daf61eecb1f0543b5e3e6a71b4f775c8162f2400dee982995f330ba9a694afcb11c3f2db0942682956580156db590369db7d37'), Buffer.alloc(8)]),
  );
  t.ok(verifyProprietaryCertificate(cert), 'verifies with the TSSK public key');
  const m = bigintToLE(rsaPublic(TSSK_PUBLIC, bigintFromLE(cert.signatureBlob.subarray(0, 64))), 64);
  t.same(m, Buffer.concat([hex('f99ac2cbb5f4c37975b5364d1125128c'), hex('00'), Buffer.alloc(45, 0xff), hex('01 00')]), 'LEint(sig)^e mod n = MD5 ‖ 00 ‖ FF×45 ‖ 01 ‖ 00');
  t.same(signProprietaryData(proprietarySignedData(cert)), cert.signatureBlob, 're-signing with the TSSK gives the same bytes');
  t.same(serverCertificateBytes(cert), bytes, 'decode → encode is byte-identical');
  t.equal(cert.publicKeyBlob.bitlen, 512);
  t.equal(proprietaryPublicKey(cert).e, 65537n);
  t.same(bigintToLE(publicKeyOfServerCertificate(bytes).n, 64), cert.publicKeyBlob.modulus.subarray(0, 64), 'key from the LE modulus');
});

t.test('TSSK signatures of keys.md verify: [MS-RDPBCGR] example certificate', async (t) => {
  const bytes = bcgrCertificate();
  const cert = decodeP(bytes);
  t.same(md5(proprietarySignedData(cert)), hex('406ac06d77a1a7f72e8f81ab4d24a6c5'));
  t.ok(verifyProprietaryCertificate(cert));
  t.same(signProprietaryData(proprietarySignedData(cert)), cert.signatureBlob, 're-signing gives the same bytes');
  t.same(serverCertificateBytes(cert), bytes, 'decode → encode is byte-identical');
  t.same(buildProprietaryCertificate(proprietaryPublicKey(cert)).raw, bytes, 'building for the same key reproduces the certificate');
  t.notOk(isTemporarilyIssued(cert));
});

t.test('the t-bit is hashed as sent: flipping it breaks the [MS-RDPBCGR] signature', async (t) => {
  const bytes = Buffer.from(bcgrCertificate());
  bytes.writeUInt32LE(0x80000001, 0);
  const cert = decodeP(bytes);
  t.ok(isTemporarilyIssued(cert));
  t.notOk(verifyProprietaryCertificate(cert));
});

t.test('a certificate we build verifies, round-trips, and carries a usable key', async (t) => {
  for (const bits of [512, 1024, 2048]) {
    const key = testKey(bits);
    for (const temporary of [false, true]) {
      const cert = buildProprietaryCertificate(key, { temporary });
      t.equal(cert.version, temporary ? (CERT_CHAIN_VERSION_1 | CERT_TEMPORARILY_ISSUED) >>> 0 : 1);
      t.ok(verifyProprietaryCertificate(cert), `${bits} bits, temporary=${temporary}: verifies`);
      const bytes = serverCertificateBytes(cert);
      t.same(bytes, cert.raw);
      const back = decodeP(bytes);
      t.same(serverCertificateBytes(back), bytes, 'byte-identical round trip');
      t.ok(verifyProprietaryCertificate(back));
      t.equal(back.publicKeyBlob.keylen, bits / 8 + 8);
      t.equal(back.publicKeyBlob.datalen, bits / 8 - 1);
      const pub = publicKeyOfServerCertificate(bytes);
      t.equal(pub.n, key.n);
      const pms = Buffer.alloc(48, 7);
      t.same(rsaDecryptLE(key, rsaEncryptLE(pub, pms), 48), pms, 'premaster round trip with the certificate key');
    }
  }
  const other = buildProprietaryCertificate(testKey(512), { signingKey: testKey(512, 'not-tssk') });
  t.notOk(verifyProprietaryCertificate(other), 'signed by another key: TSSK verification fails');
  t.ok(verifyProprietaryCertificate(other, testKey(512, 'not-tssk')), '…but verifies with that key');
});

t.test('a tampered modulus or signature fails verification', async (t) => {
  const bytes = Buffer.from(xrdpCertificate());
  const a = Buffer.from(bytes);
  a[0x30] ^= 0x40; // inside the modulus
  t.notOk(verifyProprietaryCertificate(decodeP(a)));
  const b = Buffer.from(bytes);
  b[0x80] ^= 0x01; // inside the signature
  t.notOk(verifyProprietaryCertificate(decodeP(b)));
  const c = Buffer.from(bytes);
  c.fill(0xff, 0x70, 0x70 + 64); // signature ≥ n
  t.notOk(verifyProprietaryCertificate(decodeP(c)));
});

t.test('PROPRIETARYSERVERCERTIFICATE via decode(reader)/encode(writer)', async (t) => {
  const bytes = bcgrCertificate();
  const r = new Reader(Buffer.concat([bytes, hex('aabb')]), 100);
  const cert = decodeProprietaryCertificate(r);
  t.equal(r.remaining, 2, 'reads exactly the structure');
  t.same(encodeWith((w) => encodeProprietaryCertificate(w, cert)), bytes);
  t.same(TSSK.e, 0xc0887b5bn);
});
