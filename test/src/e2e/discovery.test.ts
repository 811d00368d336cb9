/**
 * License server discovery end to end (seed: "Licensing Service Location", "License Server Discovery"): in a domain
 * (the domain controllers that run the licensing service), a site (an enterprise license server of another domain
 * published for the site), and a workgroup (a broadcast on loopback). Each ends with a client device licensed by the
 * license server found, over real TCP and HTTPS.
 */
import t from 'tap';
import { HOUR } from '../../../src/clock.js';
import { Lab, SEED_TEXT } from '../../helpers/lab.js';

t.test('discovery in a domain: two domain controllers, the license server on the second', async (t) => {
  const lab = new Lab(t);
  const dc2 = await lab.licenseServer('DC2', { scope: 'CORP', cals: 3 });
  const other = await lab.licenseServer('LABDC', { scope: 'LABS', cals: 3 });
  const ts = await lab.terminalServer('TS1', {
    directory: {
      domains: [
        { name: 'CORP', dnsName: 'corp.example', domainControllers: ['DC1', 'DC2'] },
        { name: 'LABS', domainControllers: ['LABDC'] },
      ],
      hosts: [
        { name: 'DC1', domain: 'CORP' },
        { name: 'DC2', domain: 'CORP', licenseServer: dc2.url },
        { name: 'LABDC', domain: 'LABS', licenseServer: other.url },
        { name: 'TS1', domain: 'CORP' },
      ],
    },
  });
  t.equal(ts.currentLicenseServer, dc2.url, 'DC1 has no licensing service; DC2 has');
  t.same(ts.running.locator!.catalog().map((e) => [e.name, e.how, e.available, e.chosen, e.activated]), [['DC2', 'domain', true, true, true]], 'another domain\'s license server is not found');
  t.equal(ts.events(1010).length, 0);

  const pc = lab.device('PC1');
  const first = await pc.cli(ts);
  t.equal(first.outcome, 'new-license');
  t.equal(first.license?.issuer, 'DC2', 'licensed by the license server on DC2');
  t.equal(first.license?.issuerScope, 'CORP');
  const second = await pc.cli(ts);
  t.equal(second.outcome, 'upgrade-license');
  t.equal(second.license?.temporary, false);
  t.equal(second.license?.issuer, 'DC2', 'a TS CAL from DC2');
  t.equal(other.licenses().length, 0, 'nothing from the other domain');

  // Pinged every 2 hours; when the licensing service on DC2 stops, the next ping fails and discovery starts again.
  await lab.advance(2 * HOUR, ts);
  t.equal(ts.currentLicenseServer, dc2.url, 'the 2-hour ping was answered');
  await dc2.stop();
  await lab.advance(2 * HOUR, ts);
  t.equal(ts.currentLicenseServer, undefined, 'the ping failed: rediscovery finds none');
  t.same(ts.events(1010).map((e) => e.message), [SEED_TEXT[1010]()]);
  t.equal((await pc.connect(ts)).outcome, 'valid-client', 'the device with a CAL does not mind');
});

t.test('discovery in a site: an enterprise license server of another domain, published for the site', async (t) => {
  const lab = new Lab(t);
  const labls = await lab.licenseServer('LABLS', { scope: 'LABS', cals: 3 });
  const london = await lab.licenseServer('LONLS', { scope: 'LABS', cals: 3 });
  const ts = await lab.terminalServer('TS1', {
    directory: {
      domains: [
        { name: 'CORP', domainControllers: ['DC1'] },
        { name: 'LABS', domainControllers: ['LABDC'] },
      ],
      sites: [
        { name: 'Paris', licenseServers: ['LABLS'] },
        { name: 'London', licenseServers: ['LONLS'] },
      ],
      hosts: [
        { name: 'DC1', domain: 'CORP', site: 'Paris' },
        { name: 'TS1', domain: 'CORP', site: 'Paris' },
        { name: 'LABDC', domain: 'LABS', site: 'London' },
        { name: 'LABLS', domain: 'LABS', site: 'Paris', licenseServer: labls.url },
        { name: 'LONLS', domain: 'LABS', site: 'London', licenseServer: london.url },
      ],
    },
  });
  t.equal(ts.currentLicenseServer, labls.url, 'the enterprise license server of site Paris, from domain LABS');
  t.same(ts.running.locator!.catalog().map((e) => [e.name, e.how, e.available]), [['LABLS', 'enterprise', true]], "another site's is never found");

  const pc = lab.device('PC1');
  const first = await pc.cli(ts);
  t.equal(first.outcome, 'new-license');
  t.equal(first.license?.issuer, 'LABLS', 'licensed by LABLS');
  t.equal(first.license?.issuerScope, 'LABS', 'of the other domain');
  const second = await pc.connect(ts);
  t.equal(second.license?.temporary, false);
  t.equal(second.license?.issuer, 'LABLS', 'a TS CAL from LABLS');
  t.equal(london.licenses().length, 0);
});

t.test('discovery in a workgroup: a broadcast on loopback, answered by the license servers of the workgroup', async (t) => {
  const lab = new Lab(t);
  const peer = await lab.licenseServer('PEER1', { scope: 'WORKGROUP', cals: 3, openEnrolment: true });
  const stranger = await lab.licenseServer('OTHERLS', { scope: 'OTHERWG', cals: 3, openEnrolment: true });
  const responders = [await lab.responder(peer, 'WORKGROUP'), await lab.responder(stranger, 'OTHERWG')];
  // No enrolment token: PEER1 admits any terminal server (open enrolment).
  const ts = await lab.terminalServer('TS1', {
    directory: {
      workgroups: [{ name: 'WORKGROUP' }, { name: 'OTHERWG' }],
      hosts: [
        { name: 'TS1', workgroup: 'WORKGROUP' },
        { name: 'PEER1', workgroup: 'WORKGROUP' },
        { name: 'OTHERLS', workgroup: 'OTHERWG' },
      ],
    },
    enrolWithToken: false,
  });
  t.same(responders.map((r) => r.answered), [1, 1], 'both heard the broadcast');
  t.equal(ts.currentLicenseServer, peer.url, 'the license server of its own workgroup');
  t.same(ts.running.locator!.catalog().map((e) => [e.name, e.how, e.available]), [['PEER1', 'workgroup', true]], 'the other workgroup\'s offer is ignored');

  const pc = lab.device('PC1');
  const first = await pc.cli(ts);
  t.equal(first.outcome, 'new-license');
  t.equal(first.license?.issuer, 'PEER1', 'licensed by the license server found by broadcast');
  t.equal(first.license?.issuerScope, 'WORKGROUP');
  const second = await pc.connect(ts);
  t.equal(second.license?.temporary, false);
  t.equal(second.license?.issuer, 'PEER1');
  t.equal(stranger.licenses().length, 0);
});
