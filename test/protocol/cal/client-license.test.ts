import t, { type Test } from 'tap';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DecodeError } from '../../../protocol/wire/index.js';
import { rsaPublicPart } from '../../../protocol/crypto/rsa-keys.js';
import {
  OID,
  buildLicenseServerCertificate,
  decodeX509Certificate,
  encodeTbsCertificate,
  findExtension,
  formatName,
  verifyX509Signature,
} from '../../../protocol/certificates/index.js';
import {
  CAL_MAX_CERTIFICATES,
  buildClientLicense,
  clientLicenseCertificateSpec,
  clientLicenseSerialNumber,
  decodeCertsOnlyBundle,
  encodeCertsOnlyBundle,
  parseClientLicense,
  type ClientLicenseParams,
} from '../../../protocol/cal/index.js';
import { hex, vector } from '../../helpers/vectors.js';
import { licenseOfNewLicenseInfo, testKey } from '../certificates/fixtures/certificates.js';

const specCal = () => vector('cal-spec-rodent.der');
const chainDCal = () => licenseOfNewLicenseInfo(vector('ironrdp-chainD-new-license-info.plain'));
const spec46Cal = () => licenseOfNewLicenseInfo(vector('rdpele-4.6-new-license-info.plain'));

t.test('the [MS-RDPELE] 4.3/4.6 CAL: HWID of 4.5, names, product, validity, signature valid', async (t) => {
  const cal = parseClientLicense(specCal());
  t.same(cal.hardwareId, hex('02000000f159873ec9d898af2402f8f3293af026'), 'HWID of [MS-RDPELE] 4.5');
  t.equal(cal.clientMachineName, 'RODENT');
  t.equal(cal.clientUserName, 'Administrator');
  t.equal(formatName(cal.issuer.name), 'CN=RODENT+L=WORKGROUP');
  t.equal(cal.issuer.licenseServerName, 'RODENT');
  t.equal(cal.issuer.licenseServerProductId, '78440-006-5867045-70347');
  t.equal(cal.issuer.scope, 'WORKGROUP');
  t.equal(cal.productId, 'A02');
  t.equal(cal.adjustedProductId, 'A02-6.00-S');
  t.equal(cal.majorVersion, 6);
  t.equal(cal.minorVersion, 0);
  t.equal(cal.product.versions[0]!.flags, 0x80648000);
  t.equal(cal.temporary, true);
  t.equal(cal.notBefore.toISOString(), '2007-06-20T14:51:35.000Z');
  t.equal(cal.notAfter.toISOString(), '2007-09-18T14:51:35.000Z');
  t.same(cal.serialNumber, hex('030000000f'));
  t.equal(cal.certificates.length, 2);
  t.same(cal.authorityKeyIdentifier, { licenseServerName: 'RODENT', serialNumber: hex('030000000f') });
  t.ok(cal.signatureValid, 'signature verifies with the LS certificate in the bundle');
  t.ok(cal.issuerCertificate && cal.issuerCertificate.subject.raw.equals(cal.issuer.name.raw));
  t.same(cal.raw, specCal());
  t.same(encodeCertsOnlyBundle(cal.certificates), specCal(), 'the bundle re-encodes byte for byte');
});

t.test('the CAL inside [MS-RDPELE] 4.6 NEW_LICENSE_INFO is the same license', async (t) => {
  const { bytes, offset } = spec46Cal();
  t.same(bytes, specCal());
  const cal = parseClientLicense(bytes, offset);
  t.same(cal.hardwareId, hex('02000000f159873ec9d898af2402f8f3293af026'));
  t.ok(cal.signatureValid);
});

t.test('the CAL inside IronRDP chain D NEW_LICENSE_INFO (4 certificates, clearinghouse-activated LS)', async (t) => {
  const { bytes, offset } = chainDCal();
  t.equal(bytes.length, 5112);
  const cal = parseClientLicense(bytes, offset);
  t.equal(cal.hardwareId.subarray(0, 4).toString('hex'), '00000104', 'PlatformId 0x04010000');
  t.same(cal.hardwareId, hex('0000010488fa3fe1ddb15d828eb8b1222af4755a'));
  t.equal(cal.certificates.length, 4);
  t.equal(cal.clientMachineName, 'ubuntu2');
  t.equal(cal.clientUserName, 'Administrator');
  t.equal(formatName(cal.issuer.name), 'CN=Becker');
  t.equal(cal.issuer.licenseServerName, 'WIN-4L4L6AMBCSQ');
  t.equal(cal.issuer.licenseServerProductId, '00429-00000-34972-AT353');
  t.equal(cal.productId, 'A02');
  t.equal(cal.adjustedProductId, 'A02-10.01-S');
  t.equal(cal.majorVersion, 10);
  t.equal(cal.minorVersion, 1);
  t.ok(cal.temporary);
  t.same(cal.serialNumber, hex('0600000006'));
  t.equal(cal.notBefore.toISOString(), '2019-10-27T13:57:42.000Z');
  t.equal(cal.notAfter.toISOString(), '2020-01-25T13:57:42.000Z');
  t.ok(cal.signatureValid);
  t.same(findExtension(cal.clientCertificate, OID.hydra18_9)?.value, hex('07000000'));
  t.same(encodeCertsOnlyBundle(cal.certificates), bytes);
});

t.test('our client license certificate builder reproduces the TBS bytes of both real CALs', async (t) => {
  const spec = parseClientLicense(specCal());
  const specParams: Omit<ClientLicenseParams, 'licenseServerKey'> = {
    licenseServerCertificates: spec.certificates.slice(0, -1),
    licenseServer: { name: 'RODENT', productId: '78440-006-5867045-70347', scope: 'WORKGROUP' },
    serialNumber: clientLicenseSerialNumber(3, 15),
    notBefore: spec.notBefore,
    notAfter: spec.notAfter,
    hardwareId: hex('02000000f159873ec9d898af2402f8f3293af026'),
    clientMachineName: 'RODENT',
    clientUserName: 'Administrator',
    product: { productId: 'A02', majorVersion: 6, minorVersion: 0, temporary: true, flags: 0x80648000 },
  };
  t.same(encodeTbsCertificate(clientLicenseCertificateSpec(specParams)), spec.clientCertificate.tbs, '[MS-RDPELE] 4.6 CAL');
  const d = parseClientLicense(chainDCal().bytes);
  const dParams: Omit<ClientLicenseParams, 'licenseServerKey'> = {
    licenseServerCertificates: d.certificates.slice(0, -1),
    licenseServer: { name: 'WIN-4L4L6AMBCSQ', productId: '00429-00000-34972-AT353', scope: 'WORKGROUP' },
    serialNumber: clientLicenseSerialNumber(6, 6),
    notBefore: d.notBefore,
    notAfter: d.notAfter,
    hardwareId: d.hardwareId,
    clientMachineName: 'ubuntu2',
    clientUserName: 'Administrator',
    product: { productId: 'A02', majorVersion: 10, minorVersion: 1, temporary: true },
    extraExtensions: [{ oid: OID.hydra18_9, critical: true, value: hex('07000000') }],
  };
  t.same(encodeTbsCertificate(clientLicenseCertificateSpec(dParams)), d.clientCertificate.tbs, 'IronRDP chain D CAL (Windows Server 2019)');
});

const lsKey = testKey(2048, 'ls');
const EPOCH = new Date(Date.UTC(1970, 4, 30, 10, 36, 18));
const END = new Date(Date.UTC(2049, 4, 30, 10, 36, 18));
const lsCert = buildLicenseServerCertificate({
  machineName: 'LSHOST',
  domain: 'WORKGROUP',
  serialNumber: hex('019e274d68aced20'),
  notBefore: EPOCH,
  notAfter: END,
  publicKey: rsaPublicPart(lsKey),
  privateKey: lsKey,
});
const params = (over: Partial<ClientLicenseParams> = {}): ClientLicenseParams => ({
  licenseServerCertificates: [lsCert],
  licenseServerKey: lsKey,
  licenseServer: { name: 'LSHOST', productId: '12345-678-9012345-67890', scope: 'WORKGROUP' },
  serialNumber: clientLicenseSerialNumber(2, 0x1234),
  notBefore: new Date(Date.UTC(2024, 2, 1, 12, 0, 0)),
  notAfter: new Date(Date.UTC(2024, 4, 30, 12, 0, 0)),
  hardwareId: hex('02000000f159873ec9d898af2402f8f3293af026'),
  clientMachineName: 'WORKSTATION7',
  clientUserName: 'alice',
  product: { productId: 'A02', majorVersion: 6, minorVersion: 2, temporary: false },
  ...over,
});

function opensslPkcs7(t: Test, der: Buffer): string {
  const dir = mkdtempSync(join(tmpdir(), 'rdplic-cal-'));
  try {
    writeFileSync(join(dir, 'cal.der'), der);
    const r = spawnSync('openssl', ['pkcs7', '-inform', 'DER', '-in', 'cal.der', '-print_certs', '-noout'], { cwd: dir, encoding: 'utf8' });
    t.equal(r.status, 0, `openssl pkcs7 -print_certs exits 0 ${r.stderr.trim()}`);
    return r.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

t.test('a license built by buildClientLicense parses back to the same fields and its signature verifies', async (t) => {
  const der = buildClientLicense(params());
  const cal = parseClientLicense(der);
  t.same(cal.hardwareId, hex('02000000f159873ec9d898af2402f8f3293af026'));
  t.equal(cal.clientMachineName, 'WORKSTATION7');
  t.equal(cal.clientUserName, 'alice');
  t.equal(formatName(cal.issuer.name), 'CN=LSHOST+L=WORKGROUP');
  t.same(
    { n: cal.issuer.licenseServerName, id: cal.issuer.licenseServerProductId, s: cal.issuer.scope },
    { n: 'LSHOST', id: '12345-678-9012345-67890', s: 'WORKGROUP' },
  );
  t.equal(cal.productId, 'A02');
  t.equal(cal.adjustedProductId, 'A02-6.02-S');
  t.equal(cal.majorVersion, 6);
  t.equal(cal.minorVersion, 2);
  t.equal(cal.temporary, false);
  t.equal(cal.product.versions[0]!.flags, 0x00808000);
  t.equal(cal.product.platformId, 0xff);
  t.equal(cal.product.languageId, 0x400);
  t.equal(cal.product.quantity, 1);
  t.equal(cal.notBefore.toISOString(), '2024-03-01T12:00:00.000Z');
  t.equal(cal.notAfter.toISOString(), '2024-05-30T12:00:00.000Z');
  t.same(cal.serialNumber, hex('0200001234'));
  t.same(cal.authorityKeyIdentifier, { licenseServerName: 'LSHOST', serialNumber: hex('0200001234') });
  t.equal(cal.certificates.length, 2);
  t.same(cal.certificates[0], lsCert, 'LS certificate first, client certificate last');
  t.ok(cal.signatureValid, 'signature verifies');
  const client = cal.clientCertificate;
  t.equal(client.version, 2);
  t.equal(client.signatureAlgorithm, OID.oiwSha1WithRSASignature);
  t.ok(client.subjectPublicKeyInfo.raw.equals(decodeX509Certificate(lsCert).subjectPublicKeyInfo.raw), 'SPKI is a copy of the LS key');
  t.same(
    client.extensions.map((e) => [e.oid, e.critical]),
    [OID.hydraCertVersion, OID.manufacturer, OID.licensedProductInfo, OID.msLicenseServerInfo, OID.authorityKeyIdentifier].map((o) => [o, true]),
  );
  t.same(findExtension(client, OID.hydraCertVersion)!.value, hex('01000500'));
  t.same(findExtension(client, OID.manufacturer)!.value, Buffer.from('Microsoft Corporation\0', 'utf16le'));
  t.ok(verifyX509Signature(client, rsaPublicPart(lsKey)));

  const temp = parseClientLicense(buildClientLicense(params({ product: { productId: 'A02', majorVersion: 10, minorVersion: 1, temporary: true } })));
  t.equal(temp.temporary, true);
  t.equal(temp.product.versions[0]!.flags, 0x80808000);
  t.equal(temp.adjustedProductId, 'A02-10.01-S');
});

t.test('a tampered byte makes signatureValid false', async (t) => {
  const der = buildClientLicense(params());
  const cal = parseClientLicense(der);
  const clientAt = der.indexOf(cal.clientCertificate.raw);
  const nameAt = cal.clientCertificate.raw.indexOf(Buffer.from('\0W\0O\0R\0K\0S\0T', 'latin1'));
  t.ok(clientAt > 0 && nameAt > 0);
  const a = Buffer.from(der);
  a[clientAt + nameAt + 1] = 'V'.charCodeAt(0); // CN "WORKSTATION7" → "VORKSTATION7"
  const ta = parseClientLicense(a);
  t.equal(ta.clientMachineName, 'VORKSTATION7', 'still parses');
  t.notOk(ta.signatureValid, 'subject changed: signature invalid');
  const b = Buffer.from(der);
  b[der.length - 3] ^= 0x01; // last bytes of the client certificate signature (before the empty signerInfos)
  t.notOk(parseClientLicense(b).signatureValid, 'signature changed: invalid');
  const c = Buffer.from(specCal());
  c[c.length - 10] ^= 0x80;
  t.notOk(parseClientLicense(c).signatureValid, 'the spec CAL with a flipped signature bit');
  // a license whose issuing certificate is missing from the bundle
  const lonely = encodeCertsOnlyBundle([cal.clientCertificate.raw]);
  const tl = parseClientLicense(lonely);
  t.notOk(tl.signatureValid);
  t.equal(tl.issuerCertificate, undefined);
  // signed by another key
  const other = testKey(2048, 'other');
  const otherLs = buildLicenseServerCertificate({ machineName: 'LSHOST', domain: 'WORKGROUP', serialNumber: hex('01'), notBefore: EPOCH, notAfter: END, publicKey: rsaPublicPart(other), privateKey: other });
  const swapped = encodeCertsOnlyBundle([otherLs, cal.clientCertificate.raw]);
  t.notOk(parseClientLicense(swapped).signatureValid, 'same issuer name, different key');
});

t.test('openssl pkcs7 -inform DER -print_certs reads a built license', async (t) => {
  const der = buildClientLicense(params());
  const out = opensslPkcs7(t, der);
  t.equal((out.match(/subject=/g) ?? []).length, 2, 'two certificates listed');
  t.match(out, /serialNumber/);
  opensslPkcs7(t, specCal());
});

t.test('license from a clearinghouse-activated license server: chain root-first, client certificate last', async (t) => {
  const rootKey = testKey(2048, 'root');
  const root = buildLicenseServerCertificate({
    machineName: 'Root',
    domain: 'Clearinghouse',
    serialNumber: hex('01'),
    notBefore: EPOCH,
    notAfter: END,
    publicKey: rsaPublicPart(rootKey),
    privateKey: rootKey,
    pathLength: null,
  });
  const ls = buildLicenseServerCertificate({
    machineName: 'LSHOST',
    domain: 'WORKGROUP',
    serialNumber: hex('02'),
    notBefore: EPOCH,
    notAfter: END,
    publicKey: rsaPublicPart(lsKey),
    issuer: { certificate: root, privateKey: rootKey },
  });
  const der = buildClientLicense(params({ licenseServerCertificates: [root, ls] }));
  const cal = parseClientLicense(der);
  t.equal(cal.certificates.length, 3);
  t.same(cal.certificates.slice(0, 2), [root, ls]);
  t.ok(cal.signatureValid);
  t.same(cal.issuerCertificate?.raw, ls);
  t.equal((opensslPkcs7(t, der).match(/subject=/g) ?? []).length, 3);
  t.throws(() => buildClientLicense(params({ licenseServerCertificates: [ls, root] })), RangeError, 'key must match the LAST certificate');
  t.throws(() => buildClientLicense(params({ licenseServerCertificates: [] })), RangeError);
  t.throws(() => buildClientLicense(params({ hardwareId: Buffer.alloc(16) })), RangeError);
});

t.test('clientLicenseSerialNumber: keypack-id byte ‖ big-endian license number', async (t) => {
  t.same(clientLicenseSerialNumber(3, 15), hex('030000000f'));
  t.same(clientLicenseSerialNumber(0xff, 0xffffffff), hex('ffffffffff'));
  t.throws(() => clientLicenseSerialNumber(256, 1), RangeError);
  t.throws(() => clientLicenseSerialNumber(1, -1), RangeError);
});

t.test('malformed licenses: every truncation and arbitrary bytes give DecodeError only', async (t) => {
  for (const [name, der] of [
    ['spec CAL', specCal()],
    ['chain D CAL', chainDCal().bytes],
    ['built CAL', buildClientLicense(params())],
  ] as const) {
    let bad = 0;
    for (let k = 0; k < der.length; k++) {
      try {
        parseClientLicense(der.subarray(0, k));
        bad++;
      } catch (e) {
        if (!(e instanceof DecodeError)) bad++;
      }
    }
    t.equal(bad, 0, `${name}: all ${der.length} truncations refused with DecodeError`);
  }
  const onlyDecodeErrors = (f: () => unknown): boolean => {
    try {
      f();
      return true;
    } catch (e) {
      if (e instanceof DecodeError) return true;
      throw e;
    }
  };
  fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (b) => onlyDecodeErrors(() => parseClientLicense(b))), { numRuns: 2000 });
  const seed = specCal();
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (edits) => {
      const b = Buffer.from(seed);
      for (const [at, v] of edits) b[at % b.length] = v;
      return onlyDecodeErrors(() => parseClientLicense(b));
    }),
    { numRuns: 1500 },
  );
  t.pass('no exception other than DecodeError');
});

t.test('bundle limits and shape', async (t) => {
  const der = buildClientLicense(params());
  const bundle = decodeCertsOnlyBundle(der);
  t.equal(bundle.version, 1);
  t.equal(bundle.certificates.length, 2);
  t.same(der.subarray(bundle.certificateOffsets[1]!, bundle.certificateOffsets[1]! + bundle.certificates[1]!.length), bundle.certificates[1]);
  const many = encodeCertsOnlyBundle(Array(CAL_MAX_CERTIFICATES + 1).fill(lsCert));
  t.throws(() => decodeCertsOnlyBundle(many), { code: 'LIMIT_EXCEEDED' });
  const notSigned = Buffer.from(der);
  notSigned[4 + 2 + 8] = 0x01; // contentType ...07.02 → ...07.01
  t.throws(() => parseClientLicense(notSigned), { code: 'UNSUPPORTED' });
  t.throws(() => parseClientLicense(Buffer.concat([der, Buffer.alloc(1)])), { code: 'TRAILING_BYTES' });
  t.throws(() => parseClientLicense(encodeCertsOnlyBundle([])), { code: 'INVALID_VALUE' });
  const noHwid = encodeCertsOnlyBundle([lsCert, lsCert]);
  t.throws(() => parseClientLicense(noHwid), { code: 'INVALID_VALUE' }, 'a last certificate without the CAL subject attributes');
});
