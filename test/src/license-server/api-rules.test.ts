/**
 * The rules of issue 4 items 1–5, each through the HTTPS API on the simulated clock: terminal servers are enrolled
 * HttpsLinks, the administrator is the admin client, the clearinghouse is its own HTTPS server.
 */
import t from 'tap';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseClientLicense } from '../../../protocol/cal/index.js';
import { decodeX509Certificate, verifyX509Signature } from '../../../protocol/certificates/index.js';
import { DAY } from '../../../src/clock.js';
import { ApiError } from '../../../src/http/json-client.js';
import { HttpsLink } from '../../../src/license-server/https-link.js';
import { LicenseServerError, type LicenseResult } from '../../../src/license-server/license-server.js';
import { W2000, activateAndStock, device, startWorld, type LicenseServerHandle, type TapTest, type World } from './harness.js';

t.setTimeout(300_000);

function issued(r: LicenseResult) {
  if (r.outcome !== 'issued') throw new Error(`expected a license, got ${JSON.stringify(r)}`);
  return r;
}

const ask = (link: HttpsLink, n: number, platformId?: number) => link.requestLicense({ terminalServer: 'ignored', client: device(n, platformId), product: W2000 });

async function rejects(t: TapTest, p: Promise<unknown>, status: number, pattern?: RegExp) {
  try {
    await p;
    t.fail(`expected HTTP ${status}`);
  } catch (e) {
    if (e instanceof ApiError) {
      t.equal(e.status, status, `HTTP ${status}: ${e.message}`);
      if (pattern) t.match(e.message, pattern);
    } else if (e instanceof LicenseServerError) {
      t.equal(({ invalid: 400, 'not-found': 404, conflict: 409, refused: 422 } as const)[e.code], status, `${e.code}: ${e.message}`);
      if (pattern) t.match(e.message, pattern);
    } else throw e;
  }
}

async function world(t: TapTest): Promise<World> {
  const w = await startWorld();
  t.teardown(() => w.close());
  return w;
}

async function server(w: World, opts: Parameters<World['startLicenseServer']>[1] = {}, name = 'LS1'): Promise<{ ls: LicenseServerHandle; ts: HttpsLink }> {
  const ls = await w.startLicenseServer(name, opts);
  return { ls, ts: await ls.enrol('TS1') };
}

// ---------------------------------------------------------------- 1. activation

t.test('activation over the Internet: the clearinghouse certifies the server; CALs chain to its root', async (t) => {
  const w = await world(t);
  const { ls, ts } = await server(w, { postLogonIssuance: false });
  const s = await ls.admin.activate('internet');
  t.ok(s.activated);
  t.equal(s.activationMethod, 'internet');
  t.match(s.licenseServerId, /^[BCDFGHJKMPQRTVWXY2346789]{35}$/, '35 characters of the base-24 alphabet');
  t.equal((await w.csr.servers())[0]!.licenseServerId, s.licenseServerId, 'the clearinghouse knows it');
  await activateAndStock(w, ls, 2);
  const r = issued(await ask(ts, 1));
  t.equal(r.license.kind, 'cal');
  const cal = parseClientLicense(r.certificate);
  t.equal(cal.certificates.length, 3, 'clearinghouse root, license server, client');
  t.ok(cal.signatureValid);
  const root = decodeX509Certificate(Buffer.from((await w.ch.clearinghouse.rootCertificate)));
  t.ok(verifyX509Signature(decodeX509Certificate(cal.certificates[1]!), root.subjectPublicKeyInfo.publicKey!), 'LS certificate issued by the root');
  t.ok((await ls.admin.events()).some((e) => e.eventId === 4), 'event 4: activated');
  await rejects(t, ls.admin.activate('internet'), 409, /activated already/);
});

t.test('activation by phone: request code → clearinghouse → License Server ID → completed', async (t) => {
  const w = await world(t);
  const { ls } = await server(w);
  const code = await ls.admin.requestCode();
  t.match(code, /^[BCDFGHJKMPQRTVWXY2346789]{35}$/);
  const a = await w.csr.activateOffline(code, 'phone', 'LS1');
  await rejects(t, ls.admin.activate('phone', a.licenseServerId.slice(0, 34) + (a.licenseServerId.endsWith('B') ? 'C' : 'B')), 400, /typing mistakes/);
  t.notOk((await ls.admin.status()).activated, 'a mistyped response changes nothing');
  const s = await ls.admin.activate('phone', a.licenseServerId);
  t.ok(s.activated);
  t.equal(s.licenseServerId, a.licenseServerId);
  t.equal(s.activationMethod, 'phone');
  // Another server's response code is refused.
  const other = await w.startLicenseServer('LS2');
  await rejects(t, other.admin.activate('fax', a.licenseServerId), 422, /another license server/);
});

t.test('deactivate and reactivate: temporary tokens only while deactivated; the same License Server ID after', async (t) => {
  const w = await world(t);
  const { ls, ts } = await server(w, { postLogonIssuance: false });
  await activateAndStock(w, ls, 5);
  const id = (await ls.admin.status()).licenseServerId;
  const d = await ls.admin.deactivate('internet');
  t.notOk(d.activated);
  t.equal((await w.csr.servers())[0]!.status, 'deactivated', 'the clearinghouse was told');
  t.equal(issued(await ask(ts, 1)).license.kind, 'temporary', 'deactivated: temporary only');
  await rejects(t, ls.admin.deactivate('internet'), 409, /not activated/);
  const r = await ls.admin.activate('internet');
  t.equal(r.licenseServerId, id, 'reactivated with the same License Server ID');
  t.equal((await ls.admin.keypacks())[0]!.free, 5, 'key packs survive');
  t.equal(issued(await ask(ts, 2)).license.kind, 'cal');
});

t.test('an unactivated license server issues temporary tokens only (no CAL, no built-in), and logs event 18', async (t) => {
  const w = await world(t);
  const { ls, ts } = await server(w, { postLogonIssuance: false });
  t.equal(issued(await ask(ts, 1)).license.kind, 'temporary');
  t.equal(issued(await ask(ts, 2, 0x05010000)).license.kind, 'temporary', 'Windows XP gets a temporary too');
  await rejects(t, ls.admin.install({ licenseCode: 'BBBBBPJWDKGJ9P6C8DKP7XBCF' }), 422, /activate/);
  t.ok((await ls.admin.events()).some((e) => e.eventId === 18), 'event 18');
});

// ---------------------------------------------------------------- 2. purchase and key packs

t.test('purchase and install: a License Code installs once, a mistyped one is refused, agreements and Open License work', async (t) => {
  const w = await world(t);
  const { ls } = await server(w);
  await ls.admin.activate('internet');
  const sale = await w.csr.purchase({ program: 'retail', kind: 'per-device', quantity: 25, version: W2000 });
  if (!('licenseCode' in sale)) throw new Error('License Code expected');
  t.match(sale.licenseCode, /^[BCDFGHJKMPQRTVWXY2346789]{25}$/, '25-character License Code');
  const typo = sale.licenseCode.slice(0, 24) + (sale.licenseCode.endsWith('B') ? 'C' : 'B');
  await rejects(t, ls.admin.install({ licenseCode: typo }), 400, /typing mistakes/);
  const kp = await ls.admin.install({ licenseCode: sale.licenseCode });
  t.equal(kp.total, 25);
  t.equal(kp.type, 'per-device');
  t.match(kp.keypackId, /^[BCDFGHJKMPQRTVWXY2346789]{35}$/, '35-character Key Pack ID');
  await rejects(t, ls.admin.install({ licenseCode: sale.licenseCode }), 409, /already been installed/);
  await rejects(t, ls.admin.install({ keypackId: kp.keypackId }), 409, /already installed/);

  const select = await w.csr.purchase({ program: 'select', kind: 'per-device', quantity: 10, version: W2000 });
  if (!('agreementNumber' in select)) throw new Error('agreement expected');
  t.match(select.agreementNumber, /^\d{7}$/);
  const a = await ls.admin.install({ program: 'select', agreementNumber: select.agreementNumber, type: 'per-device', quantity: 4, version: '5.0' });
  t.equal(a.total, 4, 'part of an agreement');
  await rejects(t, ls.admin.install({ program: 'select', agreementNumber: select.agreementNumber, type: 'per-device', quantity: 7, version: '5.0' }), 422, /6 licenses left/);
  const open = await w.csr.purchase({ program: 'open', kind: 'internet-connector', quantity: 2, version: W2000 });
  if (!('licenseNumber' in open)) throw new Error('Open License expected');
  await rejects(t, ls.admin.install({ program: 'open', licenseNumber: open.licenseNumber, authorizationNumber: 'BBBBBBBBBBBBBBB', type: 'internet-connector', quantity: 2, version: '5.0' }), 422, /does not match/);
  const o = await ls.admin.install({ program: 'open', licenseNumber: open.licenseNumber, authorizationNumber: open.authorizationNumber, type: 'internet-connector', quantity: 2, version: '5.0' });
  t.equal(o.type, 'internet-connector');
  t.equal((await ls.admin.keypacks()).length, 3);
});

t.test('a key pack issued for another License Server ID is refused; the phone path gives a Key Pack ID', async (t) => {
  const w = await world(t);
  const a = await w.startLicenseServer('LS1');
  const b = await w.startLicenseServer('LS2');
  const idA = (await a.admin.activate('internet')).licenseServerId!;
  await b.admin.activate('internet');
  const sale = await w.csr.purchase({ program: 'retail', kind: 'per-device', quantity: 3, version: W2000 });
  if (!('licenseCode' in sale)) throw new Error();
  const kp = await w.csr.installKeyPackByPhone(idA, { licenseCode: sale.licenseCode });
  await rejects(t, b.admin.install({ keypackId: kp.keypackId }), 422, /another License Server ID/);
  t.equal((await b.admin.keypacks()).length, 0, 'nothing installed on LS2');
  t.equal((await a.admin.install({ keypackId: kp.keypackId })).total, 3, 'LS1 installs it');
});

t.test('recovery after a lost database: reactivate (same key, same ID), the clearinghouse re-issues the key packs', async (t) => {
  const w = await world(t);
  const ls = await w.startLicenseServer('LS1');
  await activateAndStock(w, ls, 6);
  const id = (await ls.admin.status()).licenseServerId;
  const before = await ls.admin.keypacks();
  const dataDir = ls.node.folder.path;
  await ls.stop();
  for (const f of ['license-server.sqlite', 'license-server.sqlite-wal', 'license-server.sqlite-shm']) rmSync(join(dataDir, f), { force: true });
  const again = await w.startLicenseServer('LS1', {}, dataDir);
  t.equal((await again.admin.keypacks()).length, 0, 'the database is gone');
  await rejects(t, again.admin.recover(), 422, /activate/);
  t.equal((await again.admin.activate('internet')).licenseServerId, id, 'same key: same License Server ID');
  const r = await again.admin.recover();
  t.same(r.installed.map((k) => [k.keypackId, k.total]), before.map((k) => [k.keypackId, k.total]), 'the same key packs');
  const twice = await again.admin.recover();
  t.equal(twice.installed.length, 0, 'recovering again installs nothing twice');
  t.equal(twice.alreadyInstalled.length, 1);
  // The offline way: the clearinghouse lists the Key Pack IDs, the administrator types them in.
  const listed = await w.csr.recover(id!);
  t.same(listed.map((k) => k.keypackId), before.map((k) => k.keypackId));
  t.same(await again.admin.check(), []);
});

// ---------------------------------------------------------------- 3. the four token kinds

t.test('token kinds: TS CAL from a key pack, temporary (90 days, not counted), built-in (unlimited), Internet Connector (one per terminal server)', async (t) => {
  const w = await world(t);
  const { ls, ts } = await server(w, { postLogonIssuance: false });
  await activateAndStock(w, ls, 1);
  const cal = issued(await ask(ts, 1));
  t.equal(cal.license.kind, 'cal');
  const temp = issued(await ask(ts, 2));
  t.equal(temp.license.kind, 'temporary');
  t.equal(temp.license.expiresAt.getTime() - temp.license.issuedAt.getTime(), 90 * DAY);
  t.ok(parseClientLicense(temp.certificate).temporary, 'the certificate says temporary');
  t.equal((await ls.admin.keypacks())[0]!.issued, 1, 'temporaries are not counted against the pack');
  for (let i = 0; i < 5; i++) t.equal(issued(await ask(ts, 100 + i, 0x03010000)).license.kind, 'built-in', 'Windows 2000 Professional: built-in');
  t.equal((await ls.admin.licenses({ kind: 'built-in' })).total, 5);

  await rejects(t, ts.acquireInternetConnector('TS1', W2000), 422, /Internet Connector/);
  await activateAndStock(w, ls, 1, 'internet-connector');
  const ic = await ts.acquireInternetConnector('TS1', W2000);
  t.ok(ic.certificate.length > 0);
  t.equal((await ts.acquireInternetConnector('TS1', W2000)).licenseId, ic.licenseId, 'one per terminal server');
  const ts2 = await ls.enrol('TS2');
  await rejects(t, ts2.acquireInternetConnector('TS2', W2000), 422, /no Internet Connector/);
  await ts.releaseInternetConnector('TS1');
  t.ok((await ts2.acquireInternetConnector('TS2', W2000)).licenseId > ic.licenseId, 'released token goes to TS2');
  await rejects(t, ts.releaseInternetConnector('TS1'), 404);
});

// ---------------------------------------------------------------- 4. lifecycle

t.test('post-logon issuance: temporary, logon validates it, the next connection gets a CAL', async (t) => {
  const w = await world(t);
  const { ls, ts } = await server(w);
  await activateAndStock(w, ls, 3);
  const first = issued(await ask(ts, 1));
  t.equal(first.license.kind, 'temporary');
  t.notOk(first.license.validated);
  t.equal(issued(await ask(ts, 1)).reason, 'temporary-kept', 'not validated yet: the same temporary');
  await ts.reportLogon(device(1).hwid);
  const licenses = await ls.admin.licenses({ kind: 'temporary' });
  t.ok(licenses.licenses[0]!.validated, 'validated after the logon');
  const cal = issued(await ask(ts, 1));
  t.equal(cal.license.kind, 'cal');
  t.equal(cal.reason, 'upgraded-to-cal');
  const days = (cal.license.expiresAt.getTime() - cal.license.issuedAt.getTime()) / DAY;
  t.ok(days >= 52 && days <= 89 && Number.isInteger(days), `CAL expiry ${days} days in 52..89`);
});

t.test('a validated temporary is kept while no CAL is free, until its 90 days; then the device is denied', async (t) => {
  const w = await world(t);
  const { ls, ts } = await server(w);
  await ls.admin.activate('internet');
  const temp = issued(await ask(ts, 1));
  await ts.reportLogon(device(1).hwid);
  await ls.admin.advanceClock('89d');
  t.equal(issued(await ask(ts, 1)).license.id, temp.license.id, 'day 89: still the temporary');
  await ls.admin.advanceClock('1d');
  const denied = await ask(ts, 1);
  t.equal(denied.outcome, 'denied', 'day 90: denied');
  t.equal(denied.outcome === 'denied' && denied.reason, 'temporary-expired');
  t.ok((await ls.admin.events()).some((e) => e.eventId === 21), 'event 21: no permanent licenses');
  await activateAndStock(w, ls, 1);
  t.equal(issued(await ask(ts, 1)).license.kind, 'cal', 'a CAL once one is installed');
});

t.test('renewal within 7 days of expiry; a CAL not renewed returns to the pool and goes to another device', async (t) => {
  const w = await world(t);
  const { ls, ts } = await server(w, { postLogonIssuance: false });
  await activateAndStock(w, ls, 1);
  const cal = issued(await ask(ts, 1)).license;
  const life = (cal.expiresAt.getTime() - cal.issuedAt.getTime()) / DAY;
  await ls.admin.advanceClock(`${life - 8}d`);
  t.equal(issued(await ask(ts, 1)).reason, 'own-license', '8 days before expiry: the same CAL');
  await ls.admin.advanceClock('1d');
  const renewed = issued(await ask(ts, 1));
  t.equal(renewed.reason, 'renewed', '7 days before expiry: renewed');
  t.not(renewed.license.id, cal.id, 'a new serial');
  t.ok(renewed.license.expiresAt > cal.expiresAt);
  t.equal(issued(await ask(ts, 2)).license.kind, 'temporary', 'no CAL free for device 2');
  const end = (renewed.license.expiresAt.getTime() - w.clock.now().getTime()) / DAY;
  await ls.admin.advanceClock(`${end}d`);
  const other = issued(await ask(ts, 2));
  t.equal(other.license.kind, 'cal', 'the expired CAL went back to the pool and to device 2');
  t.equal(other.license.token, renewed.license.token, 'the same token');
  const states = (await ls.admin.licenses({ kind: 'cal' })).licenses.map((l) => l.state);
  t.same(states, ['renewed', 'expired', 'active']);
  t.same(await ls.admin.check(), []);
});

t.test('a device always gets its own CAL back (same serial, same bytes)', async (t) => {
  const w = await world(t);
  const { ls, ts } = await server(w, { postLogonIssuance: false });
  await activateAndStock(w, ls, 2);
  const a = issued(await ask(ts, 1));
  await ls.admin.advanceClock('20d');
  const b = issued(await ask(ts, 1));
  t.equal(b.reason, 'own-license');
  t.equal(b.license.id, a.license.id);
  t.same(b.certificate, a.certificate);
  t.equal((await ls.admin.keypacks())[0]!.issued, 1);
});

t.test("the seed's worked example: CAL of 89 days, device reinstalled gets a temporary, the CAL is back in the pool on day 89 and goes to the device", async (t) => {
  const w = await world(t);
  const { ls, ts } = await server(w, { calDays: [89, 89] });
  await activateAndStock(w, ls, 1);
  await ask(ts, 1);
  await ts.reportLogon(device(1).hwid);
  const cal = issued(await ask(ts, 1)).license;
  t.equal(cal.kind, 'cal');
  t.equal((cal.expiresAt.getTime() - cal.issuedAt.getTime()) / DAY, 89, 'expiration period of 89 days');
  await ls.admin.advanceClock('10d');
  const reinstalled = 2001; // a reinstalled OS: a new HWID, no license
  const temp = issued(await ask(ts, reinstalled)).license;
  t.equal(temp.kind, 'temporary', 'no other CAL available: a temporary for 90 days');
  await ts.reportLogon(device(reinstalled).hwid);
  await ls.admin.advanceClock('78d');
  t.equal(issued(await ask(ts, reinstalled)).license.kind, 'temporary', 'day 88: still temporary');
  await ls.admin.advanceClock('1d');
  t.equal((await ls.admin.keypacks())[0]!.free, 1, 'day 89: the original CAL is back in the pool');
  const back = issued(await ask(ts, reinstalled)).license;
  t.equal(back.kind, 'cal', 'the next connection gets it');
  t.equal(back.token, cal.token, 'the original token');
  t.same(await ls.admin.check(), []);
});

t.test('revocation: at most 20% of a version’s per-device CALs, back to the pool at once, with a next-allowed date', async (t) => {
  const w = await world(t);
  const { ls, ts } = await server(w, { postLogonIssuance: false });
  await activateAndStock(w, ls, 10);
  const cals = [];
  for (let i = 0; i < 4; i++) cals.push(issued(await ask(ts, i)).license);
  const r1 = await ls.admin.revoke(cals[0]!.id);
  t.equal(r1.license.state, 'revoked');
  t.equal(r1.revokable, 1);
  await ls.admin.revoke(cals[1]!.id);
  t.equal((await ls.admin.keypacks())[0]!.issued, 2, 'revoked CALs are back in the pool');
  try {
    await ls.admin.revoke(cals[2]!.id);
    t.fail('third revocation of 10 CALs must be refused');
  } catch (e) {
    t.equal((e as ApiError).status, 422);
    const next = new Date(String((e as ApiError).body.nextRevokeAllowedOn));
    t.equal(next.getTime(), Math.min(cals[0]!.expiresAt.getTime(), cals[1]!.expiresAt.getTime()), 'next allowed when the oldest revocation stops counting');
    t.equal((e as ApiError).body.revokable, 0);
    await ls.admin.advanceClock(String(next.getTime() - w.clock.now().getTime()));
  }
  const fresh = issued(await ask(ts, 40)).license;
  t.equal((await ls.admin.revoke(fresh.id)).license.state, 'revoked', 'allowed on the next-allowed date');
  const temp = issued(await ask(ts, 50, 0x03010000));
  await rejects(t, ls.admin.revoke(temp.license.id), 422, /only per-device CALs/);
  await rejects(t, ls.admin.revoke(999999), 404);
});

t.test('per-user mode is tracked and reported, not enforced', async (t) => {
  const w = await world(t);
  const { ls, ts } = await server(w);
  await activateAndStock(w, ls, 1, 'per-user');
  await ts.recordPerUser('alice', 'TS1', W2000);
  await ts.recordPerUser('bob', 'TS1', W2000);
  const users = (await ls.admin.licenses({ kind: 'per-user' })).licenses;
  t.same(users.map((u) => u.user), ['alice', 'bob'], 'both recorded, though one per-user CAL is installed');
  t.ok(users[0]!.keypack !== null && users[1]!.keypack === null, 'bob is over-allocated');
  t.equal((await ls.admin.keypacks())[0]!.issued, 1);
  await ls.admin.advanceClock('30d');
  await ts.recordPerUser('alice', 'TS1', W2000);
  const alice = (await ls.admin.licenses({ kind: 'per-user', user: 'alice' })).licenses[0]!;
  t.equal(alice.id, users[0]!.id, 'the same record');
  t.ok(alice.expiresAt > users[0]!.expiresAt, 'extended at sign-in');
  const report = await ls.admin.report();
  t.equal(report.rows.filter((r) => r.type === 'TS Per User CAL').length, 2, 'reported');
});

// ---------------------------------------------------------------- 5. peers

t.test('peers: with no CAL left, the license server redirects to a peer with inventory; the terminal server follows', async (t) => {
  const w = await world(t);
  const ls1 = await w.startLicenseServer('LS1', { postLogonIssuance: false });
  const ls2 = await w.startLicenseServer('LS2', { postLogonIssuance: false });
  const ls3 = await w.startLicenseServer('LS3', { postLogonIssuance: false }); // not activated, has no inventory
  await activateAndStock(w, ls1, 1);
  await activateAndStock(w, ls2, 5);
  await ls1.admin.setPeer('LS3', ls3.api.url);
  await ls1.admin.setPeer('LS2', ls2.api.url);
  await ls2.admin.setPeer('LS1', ls1.api.url);
  await ls3.admin.setPeer('LS1', ls1.api.url);
  const ts = await ls1.enrol('TS1');
  t.equal(issued(await ask(ts, 1)).license.kind, 'cal', 'LS1 serves its own CAL first');
  const r = issued(await ask(ts, 2));
  t.equal(r.license.kind, 'cal', 'the second device gets a CAL from LS2');
  t.equal(parseClientLicense(r.certificate).issuer.licenseServerName, 'LS2');
  t.equal((await ls2.admin.keypacks())[0]!.issued, 1);
  t.equal((await ls2.admin.licenses()).licenses[0]!.terminalServer, 'TS1', 'LS2 knows the terminal server by its LS1 certificate');

  const noFollow = new HttpsLink(ts.credentials, { followRedirects: false });
  t.teardown(() => noFollow.close());
  const redirect = await noFollow.requestLicense({ terminalServer: 'TS1', client: device(3), product: W2000 });
  t.equal(redirect.outcome, 'redirect');
  t.equal(redirect.outcome === 'redirect' && redirect.peer, 'LS2', 'the unactivated peer LS3 is skipped');
  t.equal(redirect.outcome === 'redirect' && redirect.url, ls2.api.url);

  await ls2.stop();
  const fallback = issued(await ask(ts, 4));
  t.equal(fallback.license.kind, 'temporary', 'no peer reachable: LS1 issues a temporary');
  t.ok((await ls1.admin.events()).some((e) => e.eventId === 8), 'event 8: a peer did not answer');
});
