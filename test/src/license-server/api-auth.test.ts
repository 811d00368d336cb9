/**
 * Every route group of the license server's API refuses unauthenticated and malformed requests with a clear 4xx, and
 * such a request changes nothing in the database.
 */
import t from 'tap';
import { generateKeyPairSync } from 'node:crypto';
import { ApiError, JsonClient } from '../../../src/http/json-client.js';
import { selfSignedTlsCertificate } from '../../../src/http/tls-certificates.js';
import { HttpsLink } from '../../../src/license-server/https-link.js';
import type { LicenseServerNode } from '../../../src/license-server/node.js';
import { W2000, activateAndStock, device, sharedTlsKey, startWorld, terminalServerPublicKey, type TapTest } from './harness.js';

t.setTimeout(180_000);

/** Everything but the event log (refusals of a restore are logged as event 9). */
function snapshot(node: LicenseServerNode): string {
  const db = node.store.db;
  const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'events' ORDER BY name`).all() as Array<{ name: string }>).map((r) => r.name);
  return JSON.stringify(tables.map((name) => [name, db.prepare(`SELECT * FROM "${name}"`).all()]), (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('hex') : v));
}

async function status(p: Promise<unknown>): Promise<{ status: number; error: string }> {
  try {
    await p;
    return { status: 200, error: '' };
  } catch (e) {
    if (e instanceof ApiError) return { status: e.status, error: e.message };
    return { status: -1, error: (e as Error).message };
  }
}

const w = await startWorld();
t.teardown(() => w.close());
const ls = await w.startLicenseServer('LS1', { postLogonIssuance: false });
await activateAndStock(w, ls, 5);
const ts = await ls.enrol('TS1');
await ts.requestLicense({ terminalServer: 'TS1', client: device(1), product: W2000 });
const url = ls.api.url;
const pin = ls.node.https.certificatePem;
const anonymous = new JsonClient({ url, serverCertificate: pin });
const wrongToken = new JsonClient({ url, serverCertificate: pin, token: 'f'.repeat(64) });
const admin = ls.admin.http;
const tsHttp = new JsonClient({ url, serverCertificate: pin, clientCert: { cert: ts.credentials.tlsCertificate, key: ts.credentials.tlsKey } });
const strangerKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const stranger = new JsonClient({ url, serverCertificate: pin, clientCert: { cert: selfSignedTlsCertificate(strangerKey, 'TS1', 'impostor'), key: strangerKey } });
const hwid = device(9).hwid.toString('hex');

interface Case {
  name: string;
  call: () => Promise<unknown>;
  status: number;
  error?: RegExp;
}

async function check(tt: TapTest, cases: Case[]) {
  for (const c of cases) {
    const before = snapshot(ls.node);
    const r = await status(c.call());
    tt.equal(r.status, c.status, `${c.name}: HTTP ${c.status} (${r.error})`);
    if (c.error) tt.match(r.error, c.error, `${c.name}: says why`);
    tt.equal(snapshot(ls.node), before, `${c.name}: nothing changed`);
  }
}

t.test('routing: unknown resources and methods', async (t) => {
  await check(t, [
    { name: 'unknown path', call: () => admin.get('/api/v1/nothing'), status: 404 },
    { name: 'wrong method', call: () => admin.call('PUT', '/api/v1/admin/status'), status: 405 },
  ]);
});

t.test('open routes: enrolment needs a valid, unused token for this server and name, and a real key', async (t) => {
  const { token } = await ls.admin.enrolmentToken('TS7');
  const key = terminalServerPublicKey().toString('base64');
  const tls = ls.node.https.certificatePem && (await import('../../../src/http/tls-certificates.js')).publicKeyDerOfPem(sharedTlsKey()).toString('base64');
  const body = (over: Record<string, unknown>) => ({ token, name: 'TS7', publicKey: key, tlsPublicKey: tls, ...over });
  await check(t, [
    { name: 'no body', call: () => anonymous.post('/api/v1/enrol'), status: 400, error: /JSON object/ },
    { name: 'not JSON', call: () => anonymous.raw('POST', '/api/v1/enrol', Buffer.from('{token')), status: 400, error: /not valid JSON/ },
    { name: 'unknown field', call: () => anonymous.post('/api/v1/enrol', body({ admin: true })), status: 400, error: /unknown field "admin"/ },
    { name: 'bad name', call: () => anonymous.post('/api/v1/enrol', body({ name: 'TS 7; DROP' })), status: 400, error: /machine name/ },
    { name: 'not a token', call: () => anonymous.post('/api/v1/enrol', body({ token: 'hello' })), status: 400, error: /not an enrolment token/ },
    { name: 'unknown token', call: () => anonymous.post('/api/v1/enrol', body({ token: token.replace(/\.[^.]{32}\./, '.' + 'A'.repeat(32) + '.') })), status: 401 },
    { name: "another server's token", call: () => anonymous.post('/api/v1/enrol', body({ token: token.replace(/[0-9a-f]{32}$/, '0'.repeat(32)) })), status: 403 },
    { name: 'token for another name', call: () => anonymous.post('/api/v1/enrol', body({ name: 'TS8' })), status: 403, error: /for terminal server "TS7"/ },
    { name: 'not a key', call: () => anonymous.post('/api/v1/enrol', body({ publicKey: Buffer.from('0000', 'hex').toString('base64') })), status: 400 },
    { name: 'garbage key', call: () => anonymous.post('/api/v1/enrol', body({ publicKey: Buffer.from('3003020100', 'hex').toString('base64') })), status: 400 },
  ]);
  // The token still works once, then never again.
  t.equal((await anonymous.post<{ name: string }>('/api/v1/enrol', body({}))).name, 'TS7');
  await check(t, [{ name: 'used token', call: () => anonymous.post('/api/v1/enrol', body({})), status: 401, error: /used already/ }]);
});

t.test('terminal-server routes: mutual TLS with an enrolled certificate; bodies checked', async (t) => {
  const req = (over: Record<string, unknown> = {}) => ({ client: { hwid, machine: 'PC9', user: 'u', platformId: 0 }, product: W2000, ...over });
  await check(t, [
    { name: 'no client certificate', call: () => anonymous.post('/api/v1/ts/licenses', req()), status: 401, error: /enrolment/ },
    { name: 'admin token is not a terminal server', call: () => admin.post('/api/v1/ts/licenses', req()), status: 401 },
    { name: 'self-made certificate', call: () => stranger.post('/api/v1/ts/licenses', req()), status: 403, error: /not issued by this license server/ },
    { name: 'ping without certificate', call: () => anonymous.get('/api/v1/ts/ping'), status: 401 },
    { name: 'no client', call: () => tsHttp.post('/api/v1/ts/licenses', { product: W2000 }), status: 400 },
    { name: 'short hwid', call: () => tsHttp.post('/api/v1/ts/licenses', req({ client: { hwid: 'abcd' } })), status: 400, error: /20 bytes of hex/ },
    { name: 'bad platform id', call: () => tsHttp.post('/api/v1/ts/licenses', req({ client: { hwid, platformId: -1 } })), status: 400 },
    { name: 'bad version', call: () => tsHttp.post('/api/v1/ts/licenses', req({ product: { major: 300, minor: 0 } })), status: 400 },
    { name: 'unknown field', call: () => tsHttp.post('/api/v1/ts/licenses', req({ terminalServer: 'TS2' })), status: 400, error: /unknown field/ },
    { name: 'array body', call: () => tsHttp.post('/api/v1/ts/licenses', []), status: 400 },
    { name: 'logon without hwid', call: () => tsHttp.post('/api/v1/ts/logons', {}), status: 400 },
    { name: 'per-user without user', call: () => tsHttp.post('/api/v1/ts/per-user', { product: W2000 }), status: 400 },
    { name: 'internet connector, none installed', call: () => tsHttp.post('/api/v1/ts/internet-connector', {}), status: 422 },
    { name: 'release what it does not hold', call: () => tsHttp.delete('/api/v1/ts/internet-connector'), status: 404 },
    { name: 'certificate for another name', call: () => tsHttp.post('/api/v1/ts/certificate', { name: 'TS2', publicKey: terminalServerPublicKey().toString('base64') }), status: 403 },
    { name: 'certificate for garbage key', call: () => tsHttp.post('/api/v1/ts/certificate', { name: 'TS1', publicKey: Buffer.from('30030201', 'hex').toString('base64') }), status: 400 },
  ]);
  // An unenrolled terminal server loses access.
  const ts2 = await ls.enrol('TS2');
  await ls.admin.removeTerminalServer('TS2');
  await check(t, [{ name: 'unenrolled', call: () => ts2.ping(), status: 403, error: /not enrolled/ }]);
});

t.test('peer routes: only configured peers, by their pinned certificate', async (t) => {
  await check(t, [
    { name: 'no certificate', call: () => anonymous.get('/api/v1/peer/inventory?type=per-device'), status: 401 },
    { name: 'a terminal server is not a peer', call: () => tsHttp.get('/api/v1/peer/inventory?type=per-device'), status: 403, error: /not a configured peer/ },
    { name: 'admin token is not a peer', call: () => admin.get('/api/v1/peer/ping'), status: 401 },
  ]);
  const ls2 = await w.startLicenseServer('LS2');
  await ls.admin.setPeer('LS2', ls2.api.url);
  const peer = new JsonClient({ url, serverCertificate: pin, clientCert: { cert: ls2.node.https.certificatePem, key: ls2.node.https.keyPem } });
  t.equal((await peer.get<{ available: boolean }>('/api/v1/peer/inventory?type=per-device&major=5&minor=0')).available, true, 'a configured peer asks');
  await check(t, [
    { name: 'bad type', call: () => peer.get('/api/v1/peer/inventory?type=per-cpu'), status: 400, error: /one of/ },
    { name: 'bad version', call: () => peer.get('/api/v1/peer/inventory?major=x'), status: 400 },
  ]);
  await ls.admin.removePeer('LS2');
});

t.test('administration routes: the admin token; every body and query checked', async (t) => {
  const backup = await ls.admin.backup();
  const corrupt = Buffer.from(backup);
  corrupt.fill(0x55, 4096, 8192);
  await check(t, [
    { name: 'no token', call: () => anonymous.get('/api/v1/admin/status'), status: 401, error: /admin token/ },
    { name: 'wrong token', call: () => wrongToken.get('/api/v1/admin/keypacks'), status: 401, error: /not valid/ },
    { name: 'wrong token, revoke', call: () => wrongToken.post('/api/v1/admin/licenses/1/revoke'), status: 401 },
    { name: 'wrong token, restore', call: () => wrongToken.raw('POST', '/api/v1/admin/restore', backup), status: 401 },
    { name: 'wrong token, clock', call: () => wrongToken.post('/api/v1/admin/clock/advance', { by: '1d' }), status: 401 },
    { name: 'TS certificate is not admin', call: () => tsHttp.get('/api/v1/admin/status'), status: 401 },
    { name: 'activate: unknown method', call: () => admin.post('/api/v1/admin/activate', { method: 'pigeon' }), status: 400, error: /one of/ },
    { name: 'activate: already', call: () => admin.post('/api/v1/admin/activate', { method: 'phone', licenseServerId: 'B'.repeat(35) }), status: 409 },
    { name: 'install: empty', call: () => admin.post('/api/v1/admin/install', {}), status: 400 },
    { name: 'install: bad code', call: () => admin.post('/api/v1/admin/install', { licenseCode: 'AAAAA' }), status: 400 },
    { name: 'install: typo Key Pack ID', call: () => admin.post('/api/v1/admin/install', { keypackId: 'B'.repeat(35) }), status: 400, error: /typing mistakes/ },
    { name: 'install: bad quantity', call: () => admin.post('/api/v1/admin/install', { program: 'select', agreementNumber: '0000018', type: 'per-device', quantity: 0, version: '5.0' }), status: 400 },
    { name: 'recover: bad list', call: () => admin.post('/api/v1/admin/recover', { keypackIds: 'x' }), status: 400 },
    { name: 'licenses: bad kind', call: () => admin.get('/api/v1/admin/licenses?kind=gold'), status: 400 },
    { name: 'licenses: bad date', call: () => admin.get('/api/v1/admin/licenses?from=yesterday'), status: 400 },
    { name: 'licenses: unknown filter', call: () => admin.get('/api/v1/admin/licenses?colour=red'), status: 400 },
    { name: 'revoke: not a number', call: () => admin.post('/api/v1/admin/licenses/abc/revoke'), status: 400 },
    { name: 'revoke: no such license', call: () => admin.post('/api/v1/admin/licenses/424242/revoke'), status: 404 },
    { name: 'enrolment: bad name', call: () => admin.post('/api/v1/admin/enrolments', { name: '../etc' }), status: 400 },
    { name: 'enrolment: bad ttl', call: () => admin.post('/api/v1/admin/enrolments', { name: 'TS3', ttl: 'forever' }), status: 400 },
    { name: 'unenrol: unknown', call: () => admin.delete('/api/v1/admin/servers/NOPE'), status: 404 },
    { name: 'peer: not https', call: () => admin.put('/api/v1/admin/peers/LS9', { url: 'http://127.0.0.1:1' }), status: 400 },
    { name: 'peer: bad name', call: () => admin.put('/api/v1/admin/peers/a%20b', { url: 'https://127.0.0.1:1' }), status: 400 },
    { name: 'peer remove: unknown', call: () => admin.delete('/api/v1/admin/peers/LS9'), status: 404 },
    { name: 'clock: not a duration', call: () => admin.post('/api/v1/admin/clock/advance', { by: 'soon' }), status: 400, error: /not a duration/ },
    { name: 'clock: no body', call: () => admin.post('/api/v1/admin/clock/advance'), status: 400 },
    { name: 'events: bad limit', call: () => admin.get('/api/v1/admin/events?limit=0'), status: 400 },
    { name: 'restore: empty', call: () => admin.raw('POST', '/api/v1/admin/restore', Buffer.alloc(0)), status: 400 },
    { name: 'restore: not SQLite', call: () => admin.raw('POST', '/api/v1/admin/restore', Buffer.from('hello world, this is not a database')), status: 400, error: /not an SQLite database/ },
    { name: 'restore: corrupt', call: () => admin.raw('POST', '/api/v1/admin/restore', corrupt), status: 400 },
    { name: 'body too large', call: () => admin.post('/api/v1/admin/install', { licenseCode: 'x'.repeat(2 << 20) }), status: 413 },
  ]);
  t.ok((await ls.admin.events()).some((e) => e.eventId === 9), 'event 9 for the refused restores');
});

t.test('the system clock cannot be advanced', async (t) => {
  // A license server on the system clock: its own world-less node.
  const { LicenseServerNode } = await import('../../../src/license-server/node.js');
  const { startLicenseServerApi } = await import('../../../src/license-server/api.js');
  const { systemClock } = await import('../../../src/clock.js');
  const { join } = await import('node:path');
  const node = new LicenseServerNode({ dataDir: join(w.dir, 'system'), name: 'SYS', scope: 'W', clock: systemClock });
  const api = await startLicenseServerApi(node);
  t.teardown(async () => {
    await api.close();
    node.close();
  });
  const c = new JsonClient({ url: api.url, serverCertificate: node.https.certificatePem, token: node.adminToken });
  const r = await status(c.post('/api/v1/admin/clock/advance', { by: '1d' }));
  t.equal(r.status, 409);
  t.match(r.error, /system clock/);
});

t.test('a terminal server pins the license server: another server with the same URL is refused', async (t) => {
  const other = await w.startLicenseServer('LS3');
  const link = new HttpsLink({ ...ts.credentials, url: other.api.url });
  t.teardown(() => link.close());
  await t.rejects(link.ping(), { name: 'LicenseServerUnreachable' });
});
