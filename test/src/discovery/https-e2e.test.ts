/**
 * Discovery end to end over the license servers' real HTTPS API on 127.0.0.1: the terminal server enrols with each,
 * and the locator's link factory hands out HttpsLinks by URL.
 */
import t, { type Test } from 'tap';
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { seededRandom } from '../../../protocol/crypto/index.js';
import { HOUR, MINUTE, SimulatedClock } from '../../../src/clock.js';
import { EventLog } from '../../../src/event-log.js';
import { JsonClient } from '../../../src/http/json-client.js';
import { AdminClient } from '../../../src/license-server/admin-client.js';
import { startLicenseServerApi, type RunningLicenseServerApi } from '../../../src/license-server/api.js';
import { HttpsLink, type HttpsLinkCredentials } from '../../../src/license-server/https-link.js';
import { LicenseServerNode } from '../../../src/license-server/node.js';
import { parseDirectory, type DirectoryData } from '../../../src/discovery/directory.js';
import { LicenseServerLocator, type LicenseServerLocatorOptions } from '../../../src/discovery/locator.js';
import { DiscoveryResponder } from '../../../src/discovery/responder.js';
import type { LinkFactory } from '../../../src/discovery/types.js';
import { tempDir } from '../../helpers/license-server.js';
import { freePortRange } from './helpers.js';

const START = Date.UTC(2026, 0, 1);
const rdpKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'der' });
const tlsKeyPem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;

/** A license server with its HTTPS API on 127.0.0.1, which can be stopped and started again on the same port. */
class HttpsLicenseServer {
  api?: RunningLicenseServerApi;
  url = '';

  constructor(readonly node: LicenseServerNode) {}

  static async start(t: Test, name: string, scope: string, clock: SimulatedClock): Promise<HttpsLicenseServer> {
    const ls = new HttpsLicenseServer(new LicenseServerNode({ dataDir: join(tempDir('rdplic-discovery-https-'), name), name, scope, clock }));
    await ls.startApi();
    t.teardown(async () => {
      await ls.stopApi();
      ls.node.close();
    });
    return ls;
  }

  async startApi(): Promise<void> {
    const port = this.url ? Number(new URL(this.url).port) : 0;
    this.api = await startLicenseServerApi(this.node, { port });
    this.url = this.api.url;
  }

  async stopApi(): Promise<void> {
    const api = this.api;
    this.api = undefined;
    await api?.close();
  }

  /** Enrols terminal server `ts` (an admin makes a one-time token; the terminal server redeems it). */
  async enrol(ts: string): Promise<HttpsLinkCredentials> {
    const admin = new AdminClient(new JsonClient({ url: this.url, serverCertificate: this.node.https.certificatePem, token: this.node.adminToken }));
    const { token } = await admin.enrolmentToken(ts);
    return HttpsLink.enrol(this.url, token, { name: ts, publicKeyDer: rdpKey, tlsKeyPem });
  }
}

async function httpsLinks(ts: string, servers: HttpsLicenseServer[]): Promise<LinkFactory> {
  const credentials = new Map<string, HttpsLinkCredentials>();
  for (const s of servers) credentials.set(s.url, await s.enrol(ts));
  return (target) => {
    const c = credentials.get(target.address);
    if (!c) throw new Error(`${ts} is not enrolled with ${target.address}`);
    return new HttpsLink(c, { timeoutMs: 5_000 });
  };
}

function locator(t: Test, clock: SimulatedClock, directory: Partial<DirectoryData> & Pick<DirectoryData, 'hosts'>, connect: LinkFactory, opts: Partial<LicenseServerLocatorOptions> & { self: string }) {
  const events = new EventLog('TermService', () => clock.now());
  const l = new LicenseServerLocator({
    directory: parseDirectory({ domains: [], sites: [], workgroups: [], ...directory }),
    clock,
    events,
    connect,
    random: seededRandom(11),
    ...opts,
  });
  t.teardown(() => l.stop());
  return { locator: l, events };
}

t.test('over HTTPS: domain discovery, a ping every 2 hours, the license server stopped mid-run, rediscovery', async (t) => {
  const clock = new SimulatedClock(START);
  const dc1 = await HttpsLicenseServer.start(t, 'DC1', 'CORP', clock);
  const dc2 = await HttpsLicenseServer.start(t, 'DC2', 'CORP', clock);
  const { locator: l } = locator(
    t,
    clock,
    {
      domains: [{ name: 'CORP', dnsName: 'corp.example', domainControllers: ['DC1', 'DC2'] }],
      hosts: [
        { name: 'DC1', domain: 'CORP', licenseServer: dc1.url },
        { name: 'DC2', domain: 'CORP', licenseServer: dc2.url },
        { name: 'TS1', domain: 'CORP' },
      ],
    },
    await httpsLinks('TS1', [dc1, dc2]),
    { self: 'TS1' },
  );
  const lost: string[] = [];
  l.on('lost', (e) => lost.push(`${e.entry.name}: ${e.reason}`));
  const first = await l.start();
  t.equal(first?.target, dc1.url);
  t.same((await first!.ping()).name, 'DC1', 'the HttpsLink answers as DC1');
  t.same(l.catalog().map((e) => [e.name, e.how, e.available, e.activated]), [
    ['DC1', 'domain', true, false],
    ['DC2', 'domain', true, false],
  ]);

  clock.advance(2 * HOUR);
  await l.idle();
  t.equal(l.current(), first, 'the 2-hour ping was answered');

  await dc1.stopApi();
  clock.advance(2 * HOUR);
  await l.idle();
  t.same(lost, ['DC1: ping-failed']);
  t.equal(l.current()?.target, dc2.url, 'rediscovery found DC2');
  t.match(l.catalog()[0]!.problem, /license server https:\/\/127\.0\.0\.1:\d+ is not available/);
});

t.test('over HTTPS: workgroup broadcast, and DefaultLicenseServer down with no fallback', async (t) => {
  const clock = new SimulatedClock(START);
  const ports = await freePortRange(3);
  const a = await HttpsLicenseServer.start(t, 'LSA', 'WORKGROUP', clock);
  const b = await HttpsLicenseServer.start(t, 'LSB', 'WORKGROUP', clock);
  const responders = [a, b].map((s) => new DiscoveryResponder({ name: s.node.server.name, scope: 'WORKGROUP', address: s.url, ports }));
  for (const r of responders) await r.start();
  t.teardown(() => Promise.all(responders.map((r) => r.stop())));
  const directory = {
    workgroups: [{ name: 'WORKGROUP' }],
    hosts: [
      { name: 'TS1', workgroup: 'WORKGROUP' },
      { name: 'TS2', workgroup: 'WORKGROUP' },
      { name: 'LSA', workgroup: 'WORKGROUP', licenseServer: a.url },
      { name: 'LSB', workgroup: 'WORKGROUP', licenseServer: b.url },
    ],
  };

  const ts1 = locator(t, clock, directory, await httpsLinks('TS1', [a, b]), { self: 'TS1', broadcast: { ports } });
  t.equal((await ts1.locator.start())?.target, a.url);
  t.same(ts1.locator.catalog().map((e) => [e.name, e.how, e.available]), [
    ['LSA', 'workgroup', true],
    ['LSB', 'workgroup', true],
  ]);

  const ts2Links = await httpsLinks('TS2', [a, b]);
  await b.stopApi();
  const ts2 = locator(t, clock, directory, ts2Links, { self: 'TS2', defaultLicenseServer: 'LSB', broadcast: { ports } });
  t.equal(await ts2.locator.start(), undefined, 'LSB is down: no license server, although LSA answers broadcasts');
  t.equal(ts2.events.count(1010), 1);
  t.same(ts2.locator.catalog().map((e) => [e.name, e.how, e.available]), [['LSB', 'registry', false]]);
  t.match(ts2.locator.catalog()[0]!.problem, /license server https:\/\/127\.0\.0\.1:\d+ is not available/);
  t.same(responders.map((r) => r.answered), [1, 1], 'only TS1 broadcast; TS2 never did');
});

t.test('over HTTPS: DefaultLicenseServer back after a restart is found by the next 15-minute round', async (t) => {
  const clock = new SimulatedClock(START);
  const ls = await HttpsLicenseServer.start(t, 'LSB', 'WORKGROUP', clock);
  const connect = await httpsLinks('TS1', [ls]);
  await ls.stopApi();
  const { locator: l, events } = locator(
    t,
    clock,
    { workgroups: [{ name: 'WORKGROUP' }], hosts: [{ name: 'TS1', workgroup: 'WORKGROUP' }, { name: 'LSB', workgroup: 'WORKGROUP', licenseServer: ls.url }] },
    connect,
    { self: 'TS1', defaultLicenseServer: 'LSB' },
  );
  t.equal(await l.start(), undefined);
  await ls.startApi();
  clock.advance(15 * MINUTE);
  await l.idle();
  t.equal(l.current()?.target, ls.url, 'found again over HTTPS');
  t.equal(events.count(1010), 1);
});
