import t from 'tap';
import { rsaPkcs1v15Verify } from '../../../protocol/crypto/rsa-sign.js';
import { bigintFromBE, bigintToBE } from '../../../protocol/crypto/rsa.js';
import {
  CERT_CHAIN_VERSION_2,
  OID,
  decodeServerCertificateBytes,
  decodeX509Certificate,
  formatName,
  isTemporarilyIssued,
  nameAttribute,
  publicKeyOfServerCertificate,
  serverCertificateBytes,
  verifyX509ChainSignatures,
  verifyX509Signature,
  x509PublicKey,
  type X509CertificateChain,
  decodeHardwareIdAttribute,
  findExtension,
  decodeLicensedProductInfo,
  decodeMsLicenseServerInfo,
  decodeMicrosoftAuthorityKeyIdentifier,
} from '../../../protocol/certificates/index.js';
import { hex } from '../../helpers/vectors.js';
import { chainC, spec41Chain } from './fixtures/certificates.js';

const decodeChain = (b: Buffer, at = 0): X509CertificateChain => {
  const c = decodeServerCertificateBytes(b, at);
  if (c.certChainVersion !== CERT_CHAIN_VERSION_2) throw new Error('not a chain');
  return c;
};

t.test('[MS-RDPELE] 4.1 chain: parsed, re-encoded byte-identically, TS cert verifies against the LS cert', async (t) => {
  const { bytes, offset } = spec41Chain();
  const chain = decodeChain(bytes, offset);
  t.equal(chain.version, 0x80000002, 'dwVersion with the t-bit');
  t.ok(isTemporarilyIssued(chain));
  t.equal(chain.certificates.length, 2);
  t.same(chain.certificates.map((c) => c.length), [757, 1277]);
  t.same(chain.padding, Buffer.alloc(16), '8 + 4·2 zero bytes of padding');
  t.same(serverCertificateBytes(chain), bytes, 'byte-identical re-encoding');
  t.same(serverCertificateBytes({ ...chain, padding: undefined }), bytes, 'the padding we write on send is the same');

  const [ls, ts] = chain.certificates.map((c) => decodeX509Certificate(c));
  t.equal(formatName(ls!.subject), 'CN=RODENT+L=WORKGROUP');
  t.ok(ls!.issuer.raw.equals(ls!.subject.raw), 'LS certificate is self-signed');
  t.equal(ls!.subjectPublicKeyInfo.algorithm, OID.rsaEncryption);
  t.ok(ts!.issuer.raw.equals(ls!.subject.raw), 'TS certificate issued by the LS');
  t.equal(ts!.version, 2, 'v3');
  t.same(ts!.serialNumber, hex('0100000002'));
  t.equal(ts!.signatureAlgorithm, OID.oiwSha1WithRSASignature);
  t.equal(ts!.subjectPublicKeyInfo.algorithm, OID.oiwShaWithRSASignature, 'TS key OID 1.3.14.3.2.15');
  t.equal(nameAttribute(ts!.subject, OID.commonName), 'ncalrpc:RODENT');
  t.same(decodeHardwareIdAttribute(nameAttribute(ts!.subject, OID.serialNumber)!), hex('02000000958648163a8cb6fe4affd1ab45a80c5b'), 'TS id as keys.md says');
  t.equal(ts!.notAfter.toISOString(), '2038-01-19T03:14:07.000Z');
  t.ok(verifyX509Signature(ts!, ls!.subjectPublicKeyInfo.publicKey!), 'TS cert signature (PKCS#1 v1.5 SHA-1) verifies with the LS key');
  t.ok(rsaPkcs1v15Verify(ls!.subjectPublicKeyInfo.publicKey!, ts!.tbs, ts!.signature, 'sha1'), 'same, directly');
  t.ok(verifyX509Signature(ls!, ls!.subjectPublicKeyInfo.publicKey!), 'LS self-signature verifies');
  t.same(verifyX509ChainSignatures(chain.certificates), [true, true]);
  const tampered = Buffer.from(chain.certificates[1]!);
  tampered[50] ^= 1;
  t.notOk(verifyX509Signature(decodeX509Certificate(tampered), ls!.subjectPublicKeyInfo.publicKey!), 'a flipped TBS byte fails');

  const key = publicKeyOfServerCertificate(bytes, offset);
  t.equal(key.e, 65537n);
  t.equal(key.n.toString(2).length, 2048, 'RSA-2048 TS key');
  t.equal(key.n, ts!.subjectPublicKeyInfo.publicKey!.n);
  // Microsoft extensions of the TS certificate
  const lpi = decodeLicensedProductInfo(findExtension(ts!, OID.licensedProductInfo)!.value);
  t.equal(lpi.productId, '3d267954-eeb7-11d1-b94e-00c04fa3080d');
  t.equal(lpi.platformId, 2);
  t.equal(lpi.languageId, 0x409);
  const lsi = decodeMsLicenseServerInfo(findExtension(ts!, OID.msLicenseServerInfo)!.value);
  t.same(lsi, { version: 0x3000, licenseServerName: 'RODENT', licenseServerProductId: '78440-006-5867045-70347', scope: 'WORKGROUP' });
  t.same(decodeMicrosoftAuthorityKeyIdentifier(findExtension(ts!, OID.authorityKeyIdentifier)!.value), { licenseServerName: 'RODENT', serialNumber: hex('0100000002') });
  t.ok(findExtension(ts!, OID.authorityKeyIdentifier)!.critical);
});

t.test('IronRDP chain C: parsed, re-encoded byte-identically, last certificate key = keys.md modulus', async (t) => {
  const { bytes, offset } = chainC();
  const chain = decodeChain(bytes, offset);
  t.equal(chain.certificates.length, 2);
  t.same(serverCertificateBytes(chain), bytes, 'byte-identical re-encoding');
  const key = publicKeyOfServerCertificate(bytes, offset);
  t.equal(
    key.n,
    bigintFromBE(hex('abac871183bfe94825002c33315e3d78c85f82cb3641f5b46515ee0431aee24858997f4f901df77cd7f84793a0ca9cdf91b041e8054bdc245b72f7689184fb19')),
  );
  t.equal(key.e, 65537n);
  t.equal(bigintToBE(key.n, 64).length, 64);
  t.same(x509PublicKey(chain.certificates[1]!), key);
  const [ls, ts] = chain.certificates.map((c) => decodeX509Certificate(c));
  t.equal(formatName(ls!.subject), 'CN=Becker');
  t.equal(ls!.outerSignatureAlgorithm, OID.sha256WithRSAEncryption, 'LS cert issued by the clearinghouse, sha256RSA');
  t.ok(verifyX509Signature(ts!, ls!.subjectPublicKeyInfo.publicKey!), 'TS cert verifies against the LS cert');
  t.same(verifyX509ChainSignatures(chain.certificates), [false, true], 'the LS cert is not self-signed (its issuer is not in the chain)');
});

t.test('decoding a chain whose padding is missing or short is accepted (FreeRDP ignores it)', async (t) => {
  const { bytes } = spec41Chain();
  for (const cut of [0, 1, 8, 15]) {
    const b = bytes.subarray(0, bytes.length - 16 + cut);
    const chain = decodeChain(b);
    t.equal(chain.padding!.length, cut);
    t.same(serverCertificateBytes(chain), b, `${cut} padding bytes re-emitted as received`);
    t.same(serverCertificateBytes({ ...chain, padding: undefined }), bytes, 'strict on send: full padding');
  }
});
