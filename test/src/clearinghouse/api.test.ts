/**
 * The clearinghouse's HTTPS API: the open routes license servers use (activation needs a proof of the key,
 * deactivation and recovery a proof that the key is the one the License Server ID was activated with), and the
 * customer-service routes behind the admin token. Refusals are 4xx and change nothing.
 */
import t from 'tap';
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { rsaPrivateKeyFromPem } from '../../../protocol/crypto/index.js';
import { SimulatedClock } from '../../../src/clock.js';
import { startClearinghouseApi } from '../../../src/clearinghouse/api.js';
import { ClearinghouseClient } from '../../../src/clearinghouse/client.js';
import { ClearinghouseNode } from '../../../src/clearinghouse/node.js';
import { signProof } from '../../../src/clearinghouse/proof.js';
import { ApiError, JsonClient } from '../../../src/http/json-client.js';
import { tempDir } from '../../helpers/license-server.js';

const W2000 = { major: 5, minor: 0 };

function key() {
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  return { key: rsaPrivateKeyFromPem(pem), publicKeyDer: pair.publicKey.export({ type: 'spki', format: 'der' }) };
}

const dir = tempDir();
const node = new ClearinghouseNode({ dataDir: join(dir, 'ch'), clock: new SimulatedClock() });
const api = await startClearinghouseApi(node);
t.teardown(async () => {
  await api.close();
  node.close();
});
const open = new ClearinghouseClient({ url: api.url, serverCertificate: node.https.certificatePem });
const csr = new ClearinghouseClient({ url: api.url, serverCertificate: node.https.certificatePem, token: node.adminToken });
const raw = new JsonClient({ url: api.url, serverCertificate: node.https.certificatePem });
const ls = key();
const other = key();

async function status(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 200;
  } catch (e) {
    if (e instanceof ApiError) return e.status;
    throw e;
  }
}

t.test('customer-service routes need the admin token', async (t) => {
  const before = await csr.servers();
  t.equal(await status(open.purchase({ program: 'retail', kind: 'per-device', quantity: 1, version: W2000 })), 401);
  t.equal(await status(open.activateOffline('B'.repeat(35), 'phone')), 401);
  t.equal(await status(open.recover('B'.repeat(35))), 401);
  t.equal(await status(open.servers()), 401);
  t.equal(await status(new ClearinghouseClient({ url: api.url, serverCertificate: node.https.certificatePem, token: 'x' }).servers()), 401);
  t.same(await csr.servers(), before, 'nothing changed');
});

t.test('malformed bodies are 400', async (t) => {
  t.equal(await status(raw.post('/api/v1/activations', { name: 'LS1' })), 400);
  t.equal(await status(csr.purchase({ program: 'retail', kind: 'per-device', quantity: 0, version: W2000 })), 400);
  t.equal(await status(raw.call('POST', '/api/v1/admin/purchases', { type: 'per-device', quantity: 1, version: 'five' }).catch((e) => Promise.reject(e))), 401, 'the token is checked before the body');
  const c = new JsonClient({ url: api.url, serverCertificate: node.https.certificatePem, token: node.adminToken });
  t.equal(await status(c.post('/api/v1/admin/purchases', { type: 'per-device', quantity: 1, version: 'five' })), 400);
  t.equal(await status(c.post('/api/v1/admin/purchases', { type: 'per-device', quantity: 1, version: '5.0', colour: 'red' })), 400);
  t.equal(await status(c.post('/api/v1/admin/activations', { requestCode: 'AAAA', method: 'phone' })), 400);
  t.equal(await status(c.post('/api/v1/admin/activations', { requestCode: 'B'.repeat(35), method: 'internet' })), 400, 'internet is not a CSR method');
  t.equal(await status(raw.post('/api/v1/keypacks', { licenseServerId: 'B'.repeat(35), source: { licenseCode: 'B'.repeat(25) } })), 400, 'a mistyped License Server ID');
  t.same(await csr.servers(), []);
});

t.test('Internet activation needs the signature of the key it certifies; the same key keeps its ID', async (t) => {
  const forged = { ...signProof('activate', '', other.key, other.publicKeyDer), publicKey: ls.publicKeyDer.toString('base64') };
  t.equal(await status(raw.post('/api/v1/activations', { name: 'LS1', scope: 'W', ...forged })), 403);
  const a = await open.activateOnline({ ...ls, name: 'LS1', scope: 'WORKGROUP' });
  t.equal(a.certificates.length, 2, 'root and license-server certificates');
  t.equal((await open.activateOnline({ ...ls, name: 'LS1', scope: 'WORKGROUP' })).licenseServerId, a.licenseServerId);
  const sale = await csr.purchase({ program: 'retail', kind: 'per-device', quantity: 4, version: W2000 });
  if (!('licenseCode' in sale)) throw new Error();
  const kp = await open.installKeyPack(a.licenseServerId, { licenseCode: sale.licenseCode });
  t.equal(kp.quantity, 4);
  t.equal(await status(open.installKeyPack(a.licenseServerId, { licenseCode: sale.licenseCode })), 409, 'installs once');

  t.equal(await status(open.recoverOnline(a.licenseServerId, other.key, other.publicKeyDer)), 403, 'recovery with another key');
  t.equal(await status(open.deactivateOnline(a.licenseServerId, other.key, other.publicKeyDer)), 403, 'deactivation with another key');
  t.equal((await csr.servers())[0]!.status, 'active', 'nothing changed');
  t.same((await open.recoverOnline(a.licenseServerId, ls.key, ls.publicKeyDer)).map((k) => k.keypackId), [kp.keypackId]);
  await open.deactivateOnline(a.licenseServerId, ls.key, ls.publicKeyDer);
  t.equal((await csr.servers())[0]!.status, 'deactivated');
  t.equal(await status(open.installKeyPack(a.licenseServerId, { licenseCode: sale.licenseCode })), 422, 'no key packs for a deactivated server');
  t.equal(await status(csr.recover('B'.repeat(35))), 400);
});

t.test('Open License authorization numbers survive a restart of the clearinghouse', async (t) => {
  const sale = await csr.purchase({ program: 'open', kind: 'per-device', quantity: 2, version: W2000 });
  if (!('licenseNumber' in sale)) throw new Error();
  const again = new ClearinghouseNode({ dataDir: join(dir, 'ch'), clock: new SimulatedClock() });
  t.teardown(() => again.close());
  const a = again.clearinghouse.activateOnline({ publicKeyDer: key().publicKeyDer, name: 'LS9', scope: 'W' });
  const kp = again.clearinghouse.installKeyPack(a.licenseServerId, { program: 'open', licenseNumber: sale.licenseNumber, authorizationNumber: sale.authorizationNumber, kind: 'per-device', quantity: 2, version: W2000 });
  t.equal(kp.quantity, 2);
});
