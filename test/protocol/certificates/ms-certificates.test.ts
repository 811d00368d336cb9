import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as pkijs from 'pkijs';
import { rsaPublicPart } from '../../../protocol/crypto/rsa-keys.js';
import { rsaDecryptLE, rsaEncryptLE } from '../../../protocol/crypto/rsa.js';
import {
  CERT_CHAIN_VERSION_2,
  OID,
  buildLicenseServerCertificate,
  buildServerCertificateChain,
  buildTerminalServerCertificate,
  decodeHardwareIdAttribute,
  decodeLicensedProductInfo,
  decodeMicrosoftAuthorityKeyIdentifier,
  decodeMsLicenseServerInfo,
  decodeServerCertificateBytes,
  decodeX509Certificate,
  encodeHardwareIdAttribute,
  encodeTbsCertificate,
  findExtension,
  formatName,
  isTemporarilyIssued,
  licenseServerCertificateSpec,
  licenseServerProductKeyExtension,
  microsoftName,
  nameAttribute,
  publicKeyOfServerCertificate,
  serverCertificateBytes,
  terminalServerCertificateSpec,
  verifyX509ChainSignatures,
  verifyX509Signature,
  type X509CertificateChain,
} from '../../../protocol/certificates/index.js';
import { hex } from '../../helpers/vectors.js';
import { spec41Chain, testKey } from './fixtures/certificates.js';

const lsKey = testKey(2048, 'ls');
const tsKey = testKey(2048, 'ts');
const rootKey = testKey(2048, 'root');
const EPOCH = new Date(Date.UTC(1970, 4, 30, 10, 36, 18));
const END = new Date(Date.UTC(2049, 4, 30, 10, 36, 18));
const lsIdentity = { name: 'LSHOST', productId: '78440-006-5867045-70347', scope: 'WORKGROUP' };

function openssl(t: Test, args: string[], files: Record<string, Buffer>): string {
  const dir = mkdtempSync(join(tmpdir(), 'rdplic-x509-'));
  try {
    for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), data);
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    t.equal(r.status, 0, `openssl ${args.join(' ')} exits 0 ${r.stderr ? `(${r.stderr.trim().split('\n')[0]})` : ''}`);
    return r.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

t.test('[MS-RDPELE] 4.1: our builders reproduce the LS and TS TBSCertificate bytes exactly', async (t) => {
  const { bytes } = spec41Chain();
  const [lsDer, tsDer] = (decodeServerCertificateBytes(bytes) as X509CertificateChain).certificates;
  const ls = decodeX509Certificate(lsDer!);
  const ts = decodeX509Certificate(tsDer!);
  const lsSpec = licenseServerCertificateSpec({
    machineName: 'RODENT',
    domain: 'WORKGROUP',
    serialNumber: ls.serialNumber,
    notBefore: ls.notBefore,
    notAfter: ls.notAfter,
    publicKey: ls.subjectPublicKeyInfo.publicKey!,
  });
  t.same(encodeTbsCertificate(lsSpec), ls.tbs, 'license server certificate TBS');
  const tsSpec = terminalServerCertificateSpec({
    commonName: 'ncalrpc:RODENT',
    hardwareId: hex('02000000958648163a8cb6fe4affd1ab45a80c5b'),
    serialNumber: hex('0100000002'),
    notBefore: ts.notBefore,
    notAfter: ts.notAfter,
    publicKey: ts.subjectPublicKeyInfo.publicKey!,
    publicKeyAlgorithm: OID.oiwShaWithRSASignature,
    licenseServerCertificate: lsDer!,
    licenseServer: { name: 'RODENT', productId: '78440-006-5867045-70347', scope: 'WORKGROUP' },
  });
  t.same(encodeTbsCertificate(tsSpec), ts.tbs, 'terminal server certificate TBS (Microsoft extensions included)');
  t.equal(encodeHardwareIdAttribute(hex('02000000958648163a8cb6fe4affd1ab45a80c5b')), '1BcKebhpXZtLqO7SQnBpRfudddY=\r\n');
});

t.test('a built LS + TS chain parses with our parser, yields the TS key, and openssl reads each certificate', async (t) => {
  const lsCert = buildLicenseServerCertificate({
    machineName: 'LSHOST',
    domain: 'WORKGROUP',
    serialNumber: hex('019e274d68aced20'),
    notBefore: EPOCH,
    notAfter: END,
    publicKey: rsaPublicPart(lsKey),
    privateKey: lsKey,
  });
  const { serverCertificate, terminalServerCertificate } = buildServerCertificateChain({
    licenseServerCertificate: lsCert,
    licenseServerKey: lsKey,
    terminalServer: {
      commonName: 'ncacn_ip_tcp:192.0.2.10',
      hardwareId: hex('02000000958648163a8cb6fe4affd1ab45a80c5b'),
      serialNumber: hex('0100000001'),
      notBefore: new Date(Date.UTC(2024, 0, 1)),
      notAfter: new Date(Date.UTC(2038, 0, 19, 3, 14, 7)),
      publicKey: rsaPublicPart(tsKey),
      licenseServer: lsIdentity,
    },
  });
  const chain = decodeServerCertificateBytes(serverCertificate);
  t.equal(chain.certChainVersion, CERT_CHAIN_VERSION_2);
  t.notOk(isTemporarilyIssued(chain));
  const certs = (chain as X509CertificateChain).certificates;
  t.equal(certs.length, 2);
  t.same(certs[1], terminalServerCertificate);
  t.same((chain as X509CertificateChain).padding, Buffer.alloc(16), 'spec padding written');
  t.same(serverCertificateBytes(chain), serverCertificate);
  const key = publicKeyOfServerCertificate(serverCertificate);
  t.same(key, rsaPublicPart(tsKey), 'the TS key comes out');
  const pms = Buffer.alloc(48, 0x5a);
  t.same(rsaDecryptLE(tsKey, rsaEncryptLE(key, pms), 48), pms, 'and works for the premaster');
  t.same(verifyX509ChainSignatures(certs), [true, true], 'LS self-signed, TS signed by the LS');

  const ls = decodeX509Certificate(certs[0]!);
  const ts = decodeX509Certificate(certs[1]!);
  t.equal(ls.version, 2);
  t.equal(ls.signatureAlgorithm, OID.oiwSha1WithRSASignature);
  t.equal(formatName(ls.subject), 'CN=LSHOST+L=WORKGROUP');
  t.same(findExtension(ls, OID.basicConstraints), { oid: OID.basicConstraints, critical: false, value: hex('30060101ff020100'), valueOffset: findExtension(ls, OID.basicConstraints)!.valueOffset });
  t.equal(ts.subjectPublicKeyInfo.algorithm, OID.rsaEncryption);
  t.ok(ts.issuer.raw.equals(ls.subject.raw));
  t.same(decodeHardwareIdAttribute(nameAttribute(ts.subject, OID.serialNumber)!), hex('02000000958648163a8cb6fe4affd1ab45a80c5b'));
  t.same(decodeMsLicenseServerInfo(findExtension(ts, OID.msLicenseServerInfo)!.value), { version: 0x3000, licenseServerName: 'LSHOST', licenseServerProductId: lsIdentity.productId, scope: 'WORKGROUP' });
  t.same(decodeMicrosoftAuthorityKeyIdentifier(findExtension(ts, OID.authorityKeyIdentifier)!.value), { licenseServerName: 'LSHOST', serialNumber: hex('0100000001') });
  t.equal(decodeLicensedProductInfo(findExtension(ts, OID.licensedProductInfo)!.value).platformId, 2);

  for (const [name, der] of [['ls.der', certs[0]!], ['ts.der', certs[1]!]] as const) {
    const text = openssl(t, ['x509', '-inform', 'DER', '-in', name, '-noout', '-text'], { [name]: der });
    t.match(text, /Version: 3 \(0x2\)/, `${name}: v3`);
    t.match(text, /Public-Key: \(2048 bit\)/, `${name}: 2048-bit key`);
  }
  // an independent parser (PKI.js) reads them too
  for (const der of certs) {
    const c = pkijs.Certificate.fromBER(new Uint8Array(der));
    t.equal(c.version, 2);
    t.same(Buffer.from(c.serialNumber.valueBlock.valueHexView), decodeX509Certificate(der).serialNumber);
  }
});

t.test('with the 1.3.14.3.2.15 key OID and no Microsoft extensions; temporary t-bit', async (t) => {
  const lsCert = buildLicenseServerCertificate({
    machineName: 'LSHOST',
    domain: 'CONTOSO',
    serialNumber: hex('0102030405060708'),
    notBefore: EPOCH,
    notAfter: END,
    publicKey: rsaPublicPart(lsKey),
    privateKey: lsKey,
    nameOrder: 'L,CN',
    extensions: [licenseServerProductKeyExtension('00429-00000-34972-AT353')],
  });
  const ts512 = testKey(512, 'ts');
  const { serverCertificate } = buildServerCertificateChain({
    licenseServerCertificate: lsCert,
    licenseServerKey: lsKey,
    temporary: true,
    terminalServer: {
      commonName: 'ncalrpc:HOST',
      serialNumber: hex('0100000007'),
      notBefore: new Date(Date.UTC(2024, 0, 1)),
      notAfter: new Date(Date.UTC(2030, 0, 1)),
      publicKey: rsaPublicPart(ts512),
      publicKeyAlgorithm: OID.oiwShaWithRSASignature,
    },
  });
  const chain = decodeServerCertificateBytes(serverCertificate) as X509CertificateChain;
  t.equal(chain.version, 0x80000002);
  t.same(publicKeyOfServerCertificate(serverCertificate), rsaPublicPart(ts512));
  const ls = decodeX509Certificate(chain.certificates[0]!);
  t.equal(formatName(ls.subject), 'L=CONTOSO+CN=LSHOST');
  t.same(findExtension(ls, OID.licenseServerProductKey)!.value, Buffer.from('00429-00000-34972-AT353\0', 'utf16le'));
  const ts = decodeX509Certificate(chain.certificates[1]!);
  t.equal(ts.subjectPublicKeyInfo.algorithm, OID.oiwShaWithRSASignature);
  t.same(ts.extensions, []);
  t.equal(nameAttribute(ts.subject, OID.serialNumber), undefined);
  t.ok(verifyX509Signature(ts, rsaPublicPart(lsKey)));
  const text = openssl(t, ['x509', '-inform', 'DER', '-in', 'ts.der', '-noout', '-text'], { 'ts.der': chain.certificates[1]! });
  t.match(text, /Version: 3/);
});

t.test('clearinghouse root → LS certificate → TS certificate: a 3-certificate chain from the same builders', async (t) => {
  const rootName = [[{ type: OID.commonName, value: 'Emulated Clearinghouse Root', encoding: 'utf8' as const }]];
  const root = buildLicenseServerCertificate({
    machineName: '',
    domain: '',
    subject: rootName,
    serialNumber: hex('7f000001'),
    notBefore: EPOCH,
    notAfter: END,
    publicKey: rsaPublicPart(rootKey),
    privateKey: rootKey,
    pathLength: 1,
    signatureAlgorithm: OID.sha256WithRSAEncryption,
  });
  const ls = buildLicenseServerCertificate({
    machineName: 'LSHOST',
    domain: 'WORKGROUP',
    serialNumber: hex('0a0b0c0d0e0f1011'),
    notBefore: EPOCH,
    notAfter: END,
    publicKey: rsaPublicPart(lsKey),
    issuer: { certificate: root, privateKey: rootKey },
  });
  const ls2 = buildLicenseServerCertificate({
    machineName: 'LSHOST',
    domain: 'WORKGROUP',
    serialNumber: hex('0a0b0c0d0e0f1011'),
    notBefore: EPOCH,
    notAfter: END,
    publicKey: rsaPublicPart(lsKey),
    issuer: { name: rootName, privateKey: rootKey },
  });
  t.same(ls2, ls, 'issuer given by name or by certificate: same certificate');
  const { serverCertificate } = buildServerCertificateChain({
    issuerCertificates: [root],
    licenseServerCertificate: ls,
    licenseServerKey: lsKey,
    terminalServer: {
      commonName: 'ncalrpc:HOST',
      serialNumber: hex('0100000003'),
      notBefore: new Date(Date.UTC(2024, 0, 1)),
      notAfter: new Date(Date.UTC(2030, 0, 1)),
      publicKey: rsaPublicPart(tsKey),
    },
  });
  const chain = decodeServerCertificateBytes(serverCertificate) as X509CertificateChain;
  t.equal(chain.certificates.length, 3);
  t.same(chain.padding, Buffer.alloc(8 + 12));
  t.same(verifyX509ChainSignatures(chain.certificates), [true, true, true]);
  t.same(publicKeyOfServerCertificate(serverCertificate), rsaPublicPart(tsKey));
  const lsParsed = decodeX509Certificate(chain.certificates[1]!);
  t.equal(formatName(lsParsed.issuer), 'CN=Emulated Clearinghouse Root');
  t.equal(decodeX509Certificate(chain.certificates[0]!).outerSignatureAlgorithm, OID.sha256WithRSAEncryption);
  const files = { 'root.der': chain.certificates[0]!, 'ls.der': chain.certificates[1]!, 'ts.der': chain.certificates[2]! };
  for (const f of Object.keys(files)) openssl(t, ['x509', '-inform', 'DER', '-in', f, '-noout', '-text'], files);
  // OpenSSL's own path validation (SHA-1 allowed at auth level 0; the TS cert has no unknown critical extensions here)
  const pem = (d: Buffer) => `-----BEGIN CERTIFICATE-----\n${d.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`;
  const out = openssl(t, ['verify', '-auth_level', '0', '-no_check_time', '-CAfile', 'root.pem', '-untrusted', 'ls.pem', 'ts.pem'], {
    'root.pem': Buffer.from(pem(chain.certificates[0]!)),
    'ls.pem': Buffer.from(pem(chain.certificates[1]!)),
    'ts.pem': Buffer.from(pem(chain.certificates[2]!)),
  });
  t.match(out, /ts\.pem: OK/);
});

t.test('builders refuse mismatched keys and bad parameters', async (t) => {
  t.throws(() =>
    buildLicenseServerCertificate({ machineName: 'A', domain: 'B', serialNumber: hex('01'), notBefore: EPOCH, notAfter: END, publicKey: rsaPublicPart(lsKey), privateKey: tsKey }),
  );
  t.throws(() => buildLicenseServerCertificate({ machineName: 'A', domain: 'B', serialNumber: hex('01'), notBefore: EPOCH, notAfter: END, publicKey: rsaPublicPart(lsKey) }));
  const lsCert = buildLicenseServerCertificate({ machineName: 'A', domain: 'B', serialNumber: hex('01'), notBefore: EPOCH, notAfter: END, publicKey: rsaPublicPart(lsKey), privateKey: lsKey });
  t.throws(() =>
    buildTerminalServerCertificate({
      commonName: 'x',
      serialNumber: hex('01'),
      notBefore: EPOCH,
      notAfter: END,
      publicKey: rsaPublicPart(tsKey),
      licenseServerCertificate: lsCert,
      licenseServerKey: tsKey,
    }),
  );
  t.throws(() => encodeHardwareIdAttribute(Buffer.alloc(19)), RangeError);
  t.throws(
    () => encodeTbsCertificate(licenseServerCertificateSpec({ machineName: 'A', domain: 'B', serialNumber: Buffer.alloc(0), notBefore: EPOCH, notAfter: END, publicKey: lsKey })),
    RangeError,
    'empty serial',
  );
  t.same(microsoftName({ commonName: 'x' }), [[{ type: OID.commonName, value: 'x' }]]);
  // serial with the top bit set gets its sign byte; validity beyond 2049 becomes GeneralizedTime
  const c = decodeX509Certificate(
    buildLicenseServerCertificate({ machineName: 'A', domain: 'B', serialNumber: hex('80'), notBefore: EPOCH, notAfter: new Date(Date.UTC(2100, 0, 1)), publicKey: rsaPublicPart(lsKey), privateKey: lsKey }),
  );
  t.same(c.serialNumber, hex('0080'));
  t.equal(c.notAfter.toISOString(), '2100-01-01T00:00:00.000Z');
});
