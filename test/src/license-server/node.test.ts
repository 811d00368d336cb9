import t from 'tap';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { writeFileSync, statSync } from 'node:fs';
import { parseClientLicense } from '../../../protocol/cal/index.js';
import { decodeX509Certificate, verifyX509Signature } from '../../../protocol/certificates/index.js';
import { rsaPublicPart } from '../../../protocol/crypto/index.js';
import { SimulatedClock } from '../../../src/clock.js';
import { Clearinghouse } from '../../../src/clearinghouse/clearinghouse.js';
import { ClearinghouseCa } from '../../../src/clearinghouse/certificate-authority.js';
import { DataFolder } from '../../../src/data-folder.js';
import { LicenseServerNode } from '../../../src/license-server/node.js';
import { publicKeyDer } from '../../../src/license-server/identity.js';
import { W2000, device, tempDir } from '../../helpers/license-server.js';

function setup() {
  const clock = new SimulatedClock(Date.UTC(2026, 2, 1));
  const dir = tempDir();
  const node = new LicenseServerNode({ dataDir: join(dir, 'ls'), name: 'LS1', scope: 'WORKGROUP', clock, options: { postLogonIssuance: false } });
  const chFolder = new DataFolder(join(dir, 'ch'));
  const ch = new Clearinghouse(chFolder.file('clearinghouse.sqlite'), new ClearinghouseCa(chFolder.rsaKey('root.key').key), clock);
  return { clock, dir, node, ch };
}

t.test('a license from an unactivated server: a real, signed temporary CAL naming the device', async (t) => {
  const { node, dir } = setup();
  t.equal(statSync(join(dir, 'ls', 'license-server.key')).mode & 0o777, 0o600, 'key mode 0600');
  const r = await node.server.requestLicense({ terminalServer: 'TS1', client: device(7), product: W2000 });
  t.equal(r.outcome, 'issued');
  if (r.outcome !== 'issued') return;
  const cal = parseClientLicense(r.certificate);
  t.same(cal.hardwareId, device(7).hwid);
  t.equal(cal.clientMachineName, 'PC7');
  t.equal(cal.clientUserName, 'user7');
  t.equal(cal.temporary, true);
  t.equal(cal.signatureValid, true);
  t.equal(cal.issuer.licenseServerName, 'LS1');
  t.equal(cal.notAfter.getTime(), r.license.expiresAt.getTime());
  const file = join(dir, 'cal.der');
  writeFileSync(file, r.certificate);
  const openssl = spawnSync('openssl', ['pkcs7', '-inform', 'DER', '-in', file, '-print_certs', '-noout'], { encoding: 'utf8' });
  t.equal(openssl.status, 0, openssl.stderr);
});

t.test('online activation through the clearinghouse; a License Code installs once; CALs chain to the clearinghouse root', async (t) => {
  const { node, ch } = setup();
  const activation = ch.activateOnline({ publicKeyDer: node.publicKeyDer, name: 'LS1', scope: 'WORKGROUP' });
  node.activation.complete(activation.licenseServerId, 'internet', activation.certificates);
  t.ok(node.server.activated);
  const lsCert = decodeX509Certificate(node.certificates()[1]!);
  t.ok(verifyX509Signature(lsCert, decodeX509Certificate(ch.rootCertificate).subjectPublicKeyInfo.publicKey!), 'LS certificate signed by the root');

  const sale = ch.purchase({ program: 'retail', kind: 'per-device', quantity: 3, version: W2000 });
  if (!('licenseCode' in sale)) throw new Error('retail gives a License Code');
  const kp = ch.installKeyPack(activation.licenseServerId, { licenseCode: sale.licenseCode });
  const installed = node.activation.installKeyPack(kp.keypackId, sale.licenseCode);
  t.equal(installed.total, 3);
  t.throws(() => ch.installKeyPack(activation.licenseServerId, { licenseCode: sale.licenseCode }), /already been installed/);
  t.throws(() => node.activation.installKeyPack(kp.keypackId), /already installed/);

  const r = await node.server.requestLicense({ terminalServer: 'TS1', client: device(1), product: W2000 });
  if (r.outcome !== 'issued') throw new Error('issued');
  t.equal(r.license.kind, 'cal');
  const cal = parseClientLicense(r.certificate);
  t.equal(cal.certificates.length, 3, 'root, LS certificate, client certificate');
  t.equal(cal.temporary, false);
  t.ok(cal.signatureValid);
  t.equal(cal.issuer.licenseServerProductId, activation.licenseServerId, 'the License Server ID is in 1.3.6.1.4.1.311.18.6');
});

t.test('a key pack issued for another License Server ID is refused', async (t) => {
  const a = setup();
  const b = setup();
  const ida = a.ch.activateOnline({ publicKeyDer: a.node.publicKeyDer, name: 'LS1', scope: 'W' });
  a.node.activation.complete(ida.licenseServerId, 'internet', ida.certificates);
  const idb = a.ch.activateOnline({ publicKeyDer: b.node.publicKeyDer, name: 'LS2', scope: 'W' });
  b.node.activation.complete(idb.licenseServerId, 'internet', idb.certificates);
  const sale = a.ch.purchase({ program: 'retail', kind: 'per-device', quantity: 1, version: W2000 });
  if (!('licenseCode' in sale)) throw new Error();
  const kp = a.ch.installKeyPack(ida.licenseServerId, { licenseCode: sale.licenseCode });
  t.throws(() => b.node.activation.installKeyPack(kp.keypackId), /another License Server ID/);
  t.throws(() => b.node.activation.complete(ida.licenseServerId, 'internet'), /another license server/);
});

t.test('terminal server certificates issued by the license server verify with its key', async (t) => {
  const { node } = setup();
  const tsKey = new DataFolder(tempDir()).rsaKey('ts.key').key;
  const cert = decodeX509Certificate(node.issueTerminalServerCertificate('TS1', publicKeyDer(tsKey)));
  t.ok(verifyX509Signature(cert, rsaPublicPart(node.keys.key)));
  t.same(cert.subjectPublicKeyInfo.publicKey, rsaPublicPart(tsKey));
});
