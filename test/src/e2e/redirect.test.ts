/**
 * Redirection between license servers end to end (seed: "Client Device Licensing": "If the license server has no TS CAL
 * tokens, it will first look to any other license server ... the first license server will redirect the terminal server
 * to the second, where the request can be fulfilled").
 */
import t from 'tap';
import { DAY } from '../../../src/clock.js';
import { Lab, corpDomain } from '../../helpers/lab.js';

t.test('redirection between two license servers: the first has no CAL left, its peer has; the client gets a CAL issued by the peer', async (t) => {
  const lab = new Lab(t);
  // LS1 is activated but holds no TS CAL (the seed's "secondary license server"); LS2 has one.
  const ls1 = await lab.licenseServer('LS1', { cals: 0 });
  const ls2 = await lab.licenseServer('LS2', { cals: 1 });
  // The two know each other as peers (each pins the other's HTTPS certificate on first contact).
  ls1.node.store.setPeer('LS2', ls2.url);
  ls2.node.store.setPeer('LS1', ls1.url);
  // The terminal server knows only LS1 (the only domain controller running the licensing service).
  const ts = await lab.terminalServer('TS1', { directory: corpDomain(['TS1'], [ls1]) });
  t.equal(ts.currentLicenseServer, ls1.url);
  t.equal(ls1.freeCals, 0, 'LS1 has no CAL');

  // PC2: a temporary token first (a new device), validated by its logon; then a CAL, which only LS2 has.
  const pc2 = lab.device('PC2');
  const first = await pc2.cli(ts);
  t.equal(first.outcome, 'new-license');
  t.equal(first.license?.temporary, true);
  const second = await pc2.cli(ts);
  t.equal(second.exit, 0, second.stderr);
  t.equal(second.outcome, 'upgrade-license');
  t.equal(second.license?.temporary, false, 'a permanent TS CAL');
  t.equal(second.license?.issuer, 'LS2', 'issued by the peer LS2');
  t.equal(second.license?.hwid, second.hwid);
  t.same(ls2.licenses({ machine: 'PC2', state: 'active' }).map((l) => l.kind), ['cal'], 'LS2 holds the CAL of PC2');
  t.equal(ls2.freeCals, 0, 'LS2 gave its only CAL');
  t.equal(ls1.licenses({ machine: 'PC2', kind: 'cal' }).length, 0, 'LS1 issued no CAL to PC2');
  t.ok(ls2.requests.some((l) => / GET \/api\/v1\/peer\/inventory\?type=per-device&major=5&minor=0&hwid=[0-9a-f]{40} status=200 principal=LS1 /.test(l)), 'LS1 asked LS2 for its inventory');
  t.equal(ls2.licenseRequests, 1, 'the terminal server was redirected to LS2 once');

  // The CAL from LS2 is accepted by the terminal server without asking anyone.
  const requests = ls1.licenseRequests + ls2.licenseRequests;
  const third = await pc2.connect(ts);
  t.equal(third.outcome, 'valid-client', 'the peer\'s CAL is valid at this terminal server');
  t.equal(ls1.licenseRequests + ls2.licenseRequests, requests);

  // Within 7 days of its expiry the CAL is renewed by LS2, which issued it (LS1 still has none, LS2 none free).
  const notAfter = new Date(second.license!.notAfter!).getTime();
  await lab.set(new Date(notAfter - 3 * DAY), ts);
  const renewed = await pc2.connect(ts);
  t.equal(renewed.outcome, 'upgrade-license', 'near its expiry: UPGRADE_LICENSE');
  t.equal(renewed.license?.temporary, false, 'still a TS CAL, not a temporary token from LS1');
  t.equal(renewed.license?.issuer, 'LS2', 'renewed by LS2');
  t.ok(new Date(renewed.license!.notAfter!).getTime() > notAfter + 40 * DAY, 'with a new expiry');
  t.same(ls2.licenses({ machine: 'PC2', kind: 'cal' }).map((l) => l.state), ['renewed', 'active']);

  // Near the next expiry LS2 is down: the CAL works as normal (seed: "Automatic License Token Re-issuance").
  await ls2.stop();
  await lab.set(new Date(new Date(renewed.license!.notAfter!).getTime() - 2 * DAY), ts);
  const offline = await pc2.connect(ts);
  t.equal(offline.outcome, 'valid-client', 'LS2 down: the CAL near its expiry still connects');
  t.equal(offline.license?.serialNumber, renewed.license?.serialNumber, 'the same CAL, kept');
  t.equal(ts.events(1011).length, 0, 'no 1011: it presented a CAL, not an expired temporary token');
});
