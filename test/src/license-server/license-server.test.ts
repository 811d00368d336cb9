import t from 'tap';
import { DAY } from '../../../src/clock.js';
import { LicenseServerError, type LicenseResult } from '../../../src/license-server/license-server.js';
import type { LicenseRecord } from '../../../src/license-server/types.js';
import { W2000, device, makeServer } from '../../helpers/license-server.js';

const ask = (s: ReturnType<typeof makeServer>, n: number, platformId?: number) =>
  s.server.requestLicense({ terminalServer: 'TS1', client: device(n, platformId), product: W2000 });

function issued(r: LicenseResult) {
  if (r.outcome !== 'issued') throw new Error(`expected a license, got ${JSON.stringify(r)}`);
  return r;
}

t.test('no token → temporary, not yet validated; logon validates it; the next connection gets a CAL', async (t) => {
  const s = makeServer();
  s.install(5);
  const first = issued(await ask(s, 1));
  t.equal(first.license.kind, 'temporary');
  t.equal(first.reason, 'new-temporary');
  t.notOk(first.license.validated);
  t.equal(first.license.expiresAt.getTime() - first.license.issuedAt.getTime(), 90 * DAY, '90 days');
  t.equal(s.store.keyPacks()[0]!.issued, 0, 'a temporary is not counted against the pack');

  const again = issued(await ask(s, 1));
  t.equal(again.license.id, first.license.id, 'not validated yet: the same temporary');
  t.equal(again.reason, 'temporary-kept');

  t.ok(s.server.reportLogon(device(1).hwid)?.validated);
  const third = issued(await ask(s, 1));
  t.equal(third.license.kind, 'cal');
  t.equal(third.reason, 'upgraded-to-cal');
  t.equal(s.store.license(first.license.id)!.state, 'upgraded');
  t.equal(s.store.keyPacks()[0]!.issued, 1);
  const days = (third.license.expiresAt.getTime() - third.license.issuedAt.getTime()) / DAY;
  t.ok(Number.isInteger(days) && days >= 52 && days <= 89, `CAL expiry ${days} days is within 52–89`);
});

t.test('a validated temporary keeps working when no CAL is free, until its 90 days end; then denied', async (t) => {
  const s = makeServer();
  const temp = issued(await ask(s, 1));
  s.server.reportLogon(device(1).hwid);
  s.clock.advance(89 * DAY);
  t.equal(issued(await ask(s, 1)).license.id, temp.license.id);
  s.clock.advance(DAY);
  const r = await ask(s, 1);
  t.equal(r.outcome, 'denied');
  t.equal(r.outcome === 'denied' && r.reason, 'temporary-expired');
  s.install(1);
  const after = issued(await ask(s, 1));
  t.equal(after.license.kind, 'cal', 'with a CAL installed the validated device gets it');
});

t.test('an expired, never validated temporary is denied even with CALs free', async (t) => {
  const s = makeServer();
  s.install(1);
  await ask(s, 1);
  s.clock.advance(90 * DAY);
  const r = await ask(s, 1);
  t.equal(r.outcome, 'denied');
});

t.test('immediate issuance (post-logon off): a CAL at once, a temporary when the pack is empty', async (t) => {
  const s = makeServer({ postLogonIssuance: false });
  s.install(1);
  t.equal(issued(await ask(s, 1)).license.kind, 'cal');
  t.equal(issued(await ask(s, 2)).license.kind, 'temporary');
});

t.test('a device always gets its own CAL back; one CAL per HWID', async (t) => {
  const s = makeServer({ postLogonIssuance: false });
  s.install(3);
  const a = issued(await ask(s, 1));
  const b = issued(await ask(s, 1));
  t.equal(b.license.id, a.license.id);
  t.equal(b.reason, 'own-license');
  t.same(b.certificate, a.certificate, 'byte-identical certificate');
  t.equal(s.store.keyPacks()[0]!.issued, 1);
});

t.test('renewal: a CAL presented within 7 days of expiry gets a new 52–89-day expiry on the same token', async (t) => {
  const s = makeServer({ postLogonIssuance: false });
  s.install(1);
  const cal = issued(await ask(s, 1)).license;
  const lifetime = cal.expiresAt.getTime() - cal.issuedAt.getTime();
  s.clock.advance(lifetime - 8 * DAY);
  t.equal(issued(await ask(s, 1)).reason, 'own-license', '8 days before expiry: not yet');
  s.clock.advance(DAY);
  const renewed = issued(await ask(s, 1));
  t.equal(renewed.reason, 'renewed');
  t.not(renewed.license.id, cal.id, 'a new license serial');
  t.equal(renewed.license.token, cal.token, 'the same token');
  t.equal(s.store.license(cal.id)!.state, 'renewed');
  t.ok(renewed.license.expiresAt > cal.expiresAt);
  t.same(s.store.checkInvariants(), []);
});

t.test('a CAL not renewed returns to the pool when it expires and can go to another device', async (t) => {
  const s = makeServer({ postLogonIssuance: false });
  s.install(1);
  const cal = issued(await ask(s, 1)).license;
  t.equal(issued(await ask(s, 2)).license.kind, 'temporary', 'pool empty');
  s.clock.set(cal.expiresAt);
  const other = issued(await ask(s, 2));
  t.equal(other.license.kind, 'cal');
  t.equal(other.license.token, cal.token, 'the same token, now with device 2');
  t.equal(s.store.license(cal.id)!.state, 'expired');
});

t.test("the seed's worked example: CAL of 89 days, device reinstalled, temporary, CAL back in the pool on day 89", async (t) => {
  const s = makeServer();
  s.install(1);
  // Force the maximum expiry of 89 days as in the example.
  (s.server.options.calDays as [number, number]) = [89, 89];
  const before = device(1);
  await ask(s, 1);
  s.server.reportLogon(before.hwid);
  const cal = issued(await ask(s, 1)).license;
  t.equal(cal.kind, 'cal');
  t.equal((cal.expiresAt.getTime() - cal.issuedAt.getTime()) / DAY, 89);
  const day0 = cal.issuedAt.getTime();
  // The device's OS is reinstalled: it comes back with a new HWID and no license.
  s.clock.advance(10 * DAY);
  const reinstalled = 1001;
  const temp = issued(await ask(s, reinstalled)).license;
  t.equal(temp.kind, 'temporary', 'no other CAL free: a temporary');
  s.server.reportLogon(device(reinstalled).hwid);
  t.equal(issued(await ask(s, reinstalled)).license.kind, 'temporary', 'day 10: still temporary');
  s.clock.set(new Date(day0 + 89 * DAY));
  const back = issued(await ask(s, reinstalled)).license;
  t.equal(back.kind, 'cal', 'day 89: the original CAL token is given to the device');
  t.equal(back.token, cal.token);
  t.same(s.store.checkInvariants(), []);
});

t.test('built-in tokens for Windows 2000 Professional or later, an unlimited pool', async (t) => {
  const s = makeServer();
  for (let i = 0; i < 20; i++) t.equal(issued(await ask(s, i, 0x03010000)).license.kind, 'built-in');
  t.equal(issued(await ask(s, 99, 0x02010000)).license.kind, 'temporary', 'NT 4.0 gets a temporary');
  t.equal(issued(await ask(s, 98, 0xff010000)).license.kind, 'temporary', 'an unknown OS byte (rdesktop) is not built-in');
});

t.test('an unactivated server issues only temporary tokens', async (t) => {
  const s = makeServer({ activated: false, postLogonIssuance: false });
  s.install(5);
  t.equal(issued(await ask(s, 1)).license.kind, 'temporary');
  t.equal(issued(await ask(s, 2, 0x04010000)).license.kind, 'temporary', 'no built-in either');
  t.ok(s.server.events.count(18) >= 1, 'event 18: not activated');
});

t.test('revocation: at most 20% of the per-device CALs of a version, with a next-allowed date', async (t) => {
  const s = makeServer({ postLogonIssuance: false });
  s.install(10);
  const cals: LicenseRecord[] = [];
  for (let i = 0; i < 4; i++) cals.push(issued(await ask(s, i)).license);
  s.server.revoke(cals[0]!.id);
  s.server.revoke(cals[1]!.id);
  const err = t.throws(() => s.server.revoke(cals[2]!.id)) as LicenseServerError;
  t.equal(err.code, 'refused');
  const next = new Date(String(err.details.nextRevokeAllowedOn));
  t.equal(next.getTime(), Math.min(cals[0]!.expiresAt.getTime(), cals[1]!.expiresAt.getTime()));
  t.equal(s.store.keyPacks()[0]!.issued, 2, 'revoked CALs went back to the pool at once');
  s.clock.set(next);
  t.doesNotThrow(() => s.server.revoke(cals[2]!.id), 'allowed again on the next-allowed date');
  t.throws(() => s.server.revoke(cals[0]!.id), { code: 'conflict' });
});

t.test('only per-device CALs can be revoked', async (t) => {
  const s = makeServer();
  const temp = issued(await ask(s, 1)).license;
  t.throws(() => s.server.revoke(temp.id), { code: 'refused' });
});

t.test('Internet Connector: one token per terminal server, none without inventory, returned on disable', async (t) => {
  const s = makeServer();
  t.throws(() => s.server.acquireInternetConnector('TS1', W2000), { code: 'refused' });
  s.install(1, 'internet-connector');
  const a = s.server.acquireInternetConnector('TS1', W2000);
  t.equal(s.server.acquireInternetConnector('TS1', W2000).license.id, a.license.id, 'idempotent per terminal server');
  t.throws(() => s.server.acquireInternetConnector('TS2', W2000), { code: 'refused' });
  s.server.releaseInternetConnector('TS1');
  t.equal(s.server.acquireInternetConnector('TS2', W2000).license.terminalServer, 'TS2');
});

t.test('per-user mode is tracked, not enforced: over-allocation is recorded', async (t) => {
  const s = makeServer();
  s.install(1, 'per-user');
  const a = s.server.recordPerUser('alice', 'TS1', W2000);
  const b = s.server.recordPerUser('bob', 'TS1', W2000);
  t.not(a.keypack, null);
  t.equal(b.keypack, null, 'bob is over the installed count, still recorded');
  s.clock.advance(30 * DAY);
  const again = s.server.recordPerUser('alice', 'TS1', W2000);
  t.equal(again.id, a.id);
  t.ok(again.expiresAt > a.expiresAt, 'extended at sign-in');
});

t.test('with no CAL left, a peer with inventory gets the request (redirect)', async (t) => {
  const s = makeServer({
    postLogonIssuance: false,
    peers: { findPeerWithInventory: async () => ({ name: 'LS2', url: 'https://127.0.0.1:1/' }) },
  });
  const r = await ask(s, 1);
  t.same(r, { outcome: 'redirect', peer: 'LS2', url: 'https://127.0.0.1:1/' });
  const none = makeServer({ postLogonIssuance: false, peers: { findPeerWithInventory: async () => undefined } });
  t.equal(issued(await ask(none, 1)).license.kind, 'temporary', 'no peer has any: temporary');
});
