/**
 * Terminal servers without their license server (seed: "Client Device Licensing", "License Server Discovery",
 * DefaultLicenseServer): valid tokens need no license server; a license server stopped mid-run leaves the clients with
 * valid tokens connecting and the others denied; a DefaultLicenseServer that is down is not replaced by another.
 */
import t from 'tap';
import { DAY, MINUTE } from '../../../src/clock.js';
import { Lab, SEED_TEXT, corpDomain } from '../../helpers/lab.js';

t.test('a client with a valid CAL, and one with a built-in token, needs no license server', async (t) => {
  const lab = new Lab(t);
  const ls = await lab.licenseServer('LS1', { cals: 5 });
  const ts = await lab.terminalServer('TS1', { directory: corpDomain(['TS1'], [ls]) });

  const nt4 = lab.device('NT4PC');
  await nt4.connect(ts);
  const cal = await nt4.connect(ts);
  t.equal(cal.license?.temporary, false, 'the NT 4.0 device holds a TS CAL');
  const pro = lab.device('W2KPRO', { platform: 'win2000' });
  const builtIn = await pro.cli(ts);
  t.equal(builtIn.outcome, 'new-license');
  t.equal(builtIn.license?.temporary, false, 'the Windows 2000 Professional device gets a permanent token at once');
  t.same(
    ls.licenses({ machine: 'W2KPRO' }).map((l) => l.kind),
    ['built-in'],
    'from the built-in pool',
  );
  t.equal(ls.freeCals, 4, 'a built-in token takes no TS CAL');

  // With the license server up, neither is sent to it.
  const requests = ls.licenseRequests;
  t.equal((await nt4.connect(ts)).outcome, 'valid-client');
  t.equal((await pro.connect(ts)).outcome, 'valid-client');
  t.equal(ls.licenseRequests, requests, 'no token request for a valid CAL or built-in token');

  // With the license server down, both still connect.
  await ls.stop();
  const calOffline = await nt4.cli(ts);
  t.equal(calOffline.outcome, 'valid-client', 'TS CAL: connects while the license server is down');
  const builtInOffline = await pro.cli(ts);
  t.equal(builtInOffline.outcome, 'valid-client', 'built-in token: connects while the license server is down');
  t.equal(ts.events(1000).length + ts.events(1004).length, 0, 'nothing to report');
  t.equal(ts.finished.at(-1)?.note?.decision, 'valid license');
});

t.test('a license server stopped mid-run: valid CALs and temporary tokens still connect, the others are denied', async (t) => {
  const lab = new Lab(t);
  const ls = await lab.licenseServer('LS1', { cals: 1 });
  const ts = await lab.terminalServer('TS1', { directory: corpDomain(['TS1'], [ls]) });

  // Day 0: OLD gets a temporary token (its logon fails: never validated). Day 80: CAL gets a TS CAL, TEMP a temporary.
  const old = lab.device('OLD', { logon: 'fail' });
  t.equal((await old.connect(ts)).license?.temporary, true);
  await lab.advance(80 * DAY, ts);
  const calDevice = lab.device('CAL');
  await calDevice.connect(ts);
  t.equal((await calDevice.connect(ts)).license?.temporary, false, 'CAL holds a TS CAL');
  const temp = lab.device('TEMP');
  t.equal((await temp.connect(ts)).license?.temporary, true, 'TEMP holds a temporary token (a new device)');

  // Mid-run, the license server stops. Day 91: OLD's temporary has expired, TEMP's has 79 days left.
  await ls.stop();
  await lab.advance(11 * DAY, ts);
  const a = await calDevice.cli(ts);
  t.equal(a.outcome, 'valid-client', 'a valid TS CAL connects');
  const b = await temp.cli(ts);
  t.equal(b.outcome, 'valid-client', 'a still-valid temporary token connects');
  t.equal(b.license?.temporary, true);
  t.equal(ts.finished.at(-1)?.note?.decision, 'no license server: the presented license still works');
  const c = await old.cli(ts);
  t.equal(c.exit, 3);
  t.equal(c.outcome, 'denied', 'an expired temporary token is denied');
  t.equal(c.errorCodeName, 'ERR_NO_LICENSE_SERVER');
  const d = await lab.device('NEW', { user: 'carol' }).cli(ts);
  t.equal(d.outcome, 'denied', 'no token: denied');
  t.equal(d.errorCodeName, 'ERR_NO_LICENSE_SERVER');
  t.equal(ts.events(1000).at(-1)?.message, SEED_TEXT[1000]('carol', 'CORP'));
  t.equal(ts.events(1004).length, 2, 'event 1004 for each denial');
  t.equal(ts.currentLicenseServer, undefined, 'the terminal server lost the license server and looked for another');
  t.ok(ts.events(1010).length >= 1, 'event 1010: none found');
  t.equal(ts.events(1010).at(-1)?.message, SEED_TEXT[1010]());

  // Back again: found by the next 15-minute round; the tokenless device gets a token.
  await ls.start();
  await lab.advance(15 * MINUTE, ts);
  t.equal(ts.currentLicenseServer, ls.url);
  const e = await lab.device('NEW').connect(ts);
  t.equal(e.outcome, 'new-license', 'licensed once the license server is back');
});

t.test('DefaultLicenseServer down: clients without tokens fail although another license server is discoverable', async (t) => {
  const lab = new Lab(t);
  const lsa = await lab.licenseServer('LSA', { scope: 'WORKGROUP', cals: 5 });
  const lsb = await lab.licenseServer('LSB', { scope: 'WORKGROUP', cals: 5 });
  const responders = [await lab.responder(lsa), await lab.responder(lsb)];
  const directory = {
    workgroups: [{ name: 'WORKGROUP' }],
    hosts: [
      { name: 'TS1', workgroup: 'WORKGROUP' },
      { name: 'TS2', workgroup: 'WORKGROUP' },
      { name: 'LSA', workgroup: 'WORKGROUP', licenseServer: lsa.url },
      { name: 'LSB', workgroup: 'WORKGROUP', licenseServer: lsb.url },
    ],
  };
  const ts1 = await lab.terminalServer('TS1', { directory, defaultLicenseServer: 'LSB' });
  t.equal(ts1.currentLicenseServer, lsb.url, 'TS1 uses its DefaultLicenseServer, LSB');
  const pc = lab.device('PC1');
  await pc.connect(ts1);
  t.equal((await pc.connect(ts1)).license?.issuer, 'LSB', 'PC1 holds a TS CAL from LSB');

  await lsb.stop();
  const denied = await lab.device('PC2', { user: 'dave' }).cli(ts1);
  t.equal(denied.outcome, 'denied', 'a client without a token fails');
  t.equal(denied.errorCodeName, 'ERR_NO_LICENSE_SERVER');
  t.same(ts1.events(1000).map((e) => e.message), [SEED_TEXT[1000]('dave', 'CORP')]);
  t.equal(ts1.currentLicenseServer, undefined, 'no license server: LSA is never used instead');
  t.same(ts1.running.locator!.catalog().map((e) => [e.name, e.how, e.available]), [['LSB', 'registry', false]]);
  t.equal(ts1.events(1010).length, 1, 'event 1010');
  await lab.advance(15 * MINUTE, ts1);
  t.equal(ts1.currentLicenseServer, undefined, 'nor by the next round');
  t.equal(ts1.events(1010).length, 2);
  t.equal((await lab.device('PC2').connect(ts1)).outcome, 'denied');
  t.same(responders.map((r) => r.answered), [0, 0], 'TS1 never broadcast');
  t.equal(lsa.requests.filter((l) => l.includes('/api/v1/ts/')).length, 0, 'TS1 never asked LSA anything');
  t.equal((await pc.connect(ts1)).outcome, 'valid-client', 'a client with a TS CAL still connects');

  // LSA is discoverable: a terminal server without the override finds it by broadcast and licenses PC2.
  const ts2 = await lab.terminalServer('TS2', { directory });
  t.equal(ts2.currentLicenseServer, lsa.url, 'TS2 finds LSA by broadcast');
  const licensed = await lab.device('PC2').connect(ts2);
  t.equal(licensed.outcome, 'new-license');
  t.equal(licensed.license?.issuer, 'LSA');

  // LSB back: TS1's next round finds it, and PC3 gets a token.
  await lsb.start();
  await lab.advance(15 * MINUTE, ts1);
  t.equal(ts1.currentLicenseServer, lsb.url);
  const back = await lab.device('PC3').connect(ts1);
  t.equal(back.outcome, 'new-license');
  t.equal(back.license?.issuer, 'LSB');
});
