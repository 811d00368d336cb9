import t, { type Test } from 'tap';
import { createSocket } from 'node:dgram';
import { seededRandom } from '../../../protocol/crypto/index.js';
import { HOUR, MINUTE, SimulatedClock } from '../../../src/clock.js';
import { EventLog } from '../../../src/event-log.js';
import { encodeOffer } from '../../../src/discovery/datagram.js';
import { parseDirectory, type DirectoryData } from '../../../src/discovery/directory.js';
import { EVENT_NO_LICENSE_SERVER } from '../../../src/discovery/events.js';
import { LicenseServerLocator, parseLicenseServerList, type FoundEvent, type LicenseServerLocatorOptions, type LostEvent, type NoneEvent } from '../../../src/discovery/locator.js';
import { DiscoveryResponder } from '../../../src/discovery/responder.js';
import { TestLicenseServer, freePortRange, testLinks } from './helpers.js';

const START = Date.UTC(2026, 0, 1);

interface Rig {
  clock: SimulatedClock;
  events: EventLog;
  locator: LicenseServerLocator;
  found: FoundEvent[];
  lost: LostEvent[];
  none: NoneEvent[];
  logs: string[];
  links: ReturnType<typeof testLinks>;
}

function rig(
  t: Test,
  clock: SimulatedClock,
  directory: Partial<DirectoryData> & Pick<DirectoryData, 'hosts'>,
  servers: TestLicenseServer[],
  opts: Partial<LicenseServerLocatorOptions> & { self: string },
): Rig {
  const events = new EventLog('TermService', () => clock.now());
  const links = testLinks(servers);
  const logs: string[] = [];
  const locator = new LicenseServerLocator({
    directory: parseDirectory({ domains: [], sites: [], workgroups: [], ...directory }, 'test-directory'),
    clock,
    events,
    connect: links.connect,
    random: seededRandom(7),
    log: (line) => logs.push(line),
    ...opts,
  });
  const r: Rig = { clock, events, locator, found: [], lost: [], none: [], logs, links };
  locator.on('found', (e) => r.found.push(e));
  locator.on('lost', (e) => r.lost.push(e));
  locator.on('none', (e) => r.none.push(e));
  t.teardown(async () => {
    await locator.stop();
    for (const s of servers) await s.close();
  });
  return r;
}

function summary(r: Rig) {
  return r.locator.catalog().map((e) => ({ name: e.name, how: e.how, available: e.available, chosen: e.chosen }));
}

t.test('domain discovery: two domain controllers, only the second runs licensing → found on the second', async (t) => {
  const clock = new SimulatedClock(START);
  const dc1 = await TestLicenseServer.create('DC1', 'CORP', clock, false); // installed, service stopped
  const dc2 = await TestLicenseServer.create('DC2', 'CORP', clock);
  const r = rig(
    t,
    clock,
    {
      domains: [{ name: 'CORP', dnsName: 'corp.example', domainControllers: ['DC1', 'DC2'] }],
      hosts: [
        { name: 'DC1', domain: 'CORP', licenseServer: dc1.address },
        { name: 'DC2', domain: 'CORP', licenseServer: dc2.address },
        { name: 'MEMBER1', domain: 'CORP' },
        { name: 'TS1', domain: 'CORP' },
      ],
    },
    [dc1, dc2],
    { self: 'TS1' },
  );
  const link = await r.locator.start();
  t.equal(link, r.locator.current(), 'start() resolves with the chosen link');
  t.equal(link?.target, dc2.address, 'DC2 is the license server in use');
  t.same(
    r.links.asked.map((a) => [a.name, a.how]),
    [
      ['DC1', 'domain'],
      ['DC2', 'domain'],
    ],
    'each domain controller was contacted, in the directory order',
  );
  t.same(summary(r), [
    { name: 'DC1', how: 'domain', available: false, chosen: false },
    { name: 'DC2', how: 'domain', available: true, chosen: true },
  ]);
  t.match(r.locator.catalog()[0]!.problem, /not available \(ECONNREFUSED\)/, 'DC1 refused the connection');
  t.equal(r.found.length, 1);
  t.equal(r.found[0]!.initial, true, 'found at the start: the terminal server can forfeit its grace period');
  t.equal(r.events.count(1010), 0);
  t.same(r.locator.nextCheck(), { kind: 'ping', at: new Date(START + 2 * HOUR) });
});

t.test('site (enterprise) discovery across domains; a remote site\'s license server is not discovered', async (t) => {
  const clock = new SimulatedClock(START);
  const paris = await TestLicenseServer.create('LSPARIS', 'WEST', clock);
  const london = await TestLicenseServer.create('LSLONDON', 'WEST', clock);
  const directory = {
    domains: [
      { name: 'EAST', domainControllers: ['DCEAST'] },
      { name: 'WEST', domainControllers: ['DCWEST'] },
    ],
    sites: [
      { name: 'Paris', licenseServers: ['LSPARIS'] },
      { name: 'London', licenseServers: ['LSLONDON'] },
    ],
    hosts: [
      { name: 'DCEAST', domain: 'EAST', site: 'Paris' },
      { name: 'DCWEST', domain: 'WEST', site: 'London' },
      { name: 'LSPARIS', domain: 'WEST', site: 'Paris', licenseServer: paris.address },
      { name: 'LSLONDON', domain: 'WEST', site: 'London', licenseServer: london.address },
      { name: 'TSEAST', domain: 'EAST', site: 'Paris' },
    ],
  };
  const r = rig(t, clock, directory, [paris, london], { self: 'TSEAST' });
  const link = await r.locator.start();
  t.equal(link?.target, paris.address, 'the Paris enterprise license server (domain WEST) serves TSEAST (domain EAST) in Paris');
  t.same(summary(r), [{ name: 'LSPARIS', how: 'enterprise', available: true, chosen: true }], 'London is another site: not discovered');
  const status = await link!.ping();
  t.equal(status.name, 'LSPARIS');
});

t.test('workgroup broadcast on loopback: two responders on one machine both answer and both are catalogued', async (t) => {
  const clock = new SimulatedClock(START);
  const ports = await freePortRange(4);
  const a = await TestLicenseServer.create('LSA', 'WORKGROUP', clock);
  const b = await TestLicenseServer.create('LSB', 'WORKGROUP', clock);
  const other = await TestLicenseServer.create('LSOTHER', 'LAB', clock);
  const responders = [
    new DiscoveryResponder({ name: 'LSB', scope: 'WORKGROUP', address: b.address, ports }),
    new DiscoveryResponder({ name: 'LSA', scope: 'WORKGROUP', address: a.address, ports }),
    new DiscoveryResponder({ name: 'LSOTHER', scope: 'LAB', address: other.address, ports }),
  ];
  const bound = [];
  for (const x of responders) bound.push(await x.start());
  t.teardown(() => Promise.all(responders.map((x) => x.stop())));
  t.same(bound, [ports.first, ports.first + 1, ports.first + 2], 'each responder takes the next free port of the range');

  const r = rig(
    t,
    clock,
    { workgroups: [{ name: 'WORKGROUP' }, { name: 'LAB' }], hosts: [{ name: 'TS1', workgroup: 'WORKGROUP' }] },
    [a, b, other],
    { self: 'TS1', broadcast: { ports } },
  );
  const link = await r.locator.start();
  t.same(
    responders.map((x) => x.answered),
    [1, 1, 1],
    'one DISCOVER reached every responder',
  );
  t.same(summary(r), [
    { name: 'LSA', how: 'workgroup', available: true, chosen: true },
    { name: 'LSB', how: 'workgroup', available: true, chosen: false },
  ]);
  t.equal(link?.target, a.address);
  t.ok(
    r.logs.some((l) => /offer=LSOTHER outcome=ignored reason="workgroup LAB, not WORKGROUP"/.test(l)),
    'the offer of a license server of another workgroup is ignored',
  );
});

t.test('none found: event 1010, and a retry exactly 15 minutes later finds a license server started meanwhile', async (t) => {
  const clock = new SimulatedClock(START);
  const ports = await freePortRange(3);
  const ls = await TestLicenseServer.create('LS1', 'WORKGROUP', clock, false);
  const r = rig(t, clock, { workgroups: [{ name: 'WORKGROUP' }], hosts: [{ name: 'TS1', workgroup: 'WORKGROUP' }] }, [ls], {
    self: 'TS1',
    broadcast: { ports },
  });
  t.equal(await r.locator.start(), undefined, 'nothing answers the broadcast');
  t.equal(r.locator.current(), undefined);
  t.same(
    r.events.events.map((e) => [e.eventId, e.level, e.message, e.at.getTime()]),
    [[1010, 'error', EVENT_NO_LICENSE_SERVER.text, START]],
  );
  t.match(r.events.events[0]!.message, /WINS\\DNS/);
  t.equal(r.none.length, 1);
  t.same(r.locator.nextCheck(), { kind: 'discovery', at: new Date(START + 15 * MINUTE) });

  // Meanwhile the license server is started, with its responder.
  await ls.start();
  const responder = new DiscoveryResponder({ name: 'LS1', scope: 'WORKGROUP', address: ls.address, ports });
  await responder.start();
  t.teardown(() => responder.stop());

  clock.advance(15 * MINUTE - 1);
  await r.locator.idle();
  t.equal(r.locator.roundCount, 1, 'no round before 15 minutes');
  t.equal(responder.answered, 0);

  clock.advance(1);
  await r.locator.idle();
  t.equal(r.locator.roundCount, 2, 'the second round ran exactly 15 minutes after the first');
  t.equal(r.locator.current()?.target, ls.address, 'and found the license server');
  t.equal(r.found.length, 1);
  t.equal(r.found[0]!.initial, false, 'not at the start');
  t.equal(r.found[0]!.first, true, 'but the first since start');
  t.equal(r.events.count(1010), 1, 'no second 1010');
  t.same(r.locator.nextCheck(), { kind: 'ping', at: new Date(START + 15 * MINUTE + 2 * HOUR) });
});

t.test('rounds keep coming every 15 minutes while none is found, each logging 1010', async (t) => {
  const clock = new SimulatedClock(START);
  const r = rig(t, clock, { domains: [{ name: 'CORP', domainControllers: ['DC1'] }], hosts: [{ name: 'DC1', domain: 'CORP' }, { name: 'TS1', domain: 'CORP' }] }, [], {
    self: 'TS1',
  });
  await r.locator.start();
  for (let i = 0; i < 4; i++) {
    clock.advance(15 * MINUTE);
    await r.locator.idle();
  }
  t.equal(r.locator.roundCount, 5);
  t.same(
    r.events.events.map((e) => (e.at.getTime() - START) / MINUTE),
    [0, 15, 30, 45, 60],
  );
  t.same(r.locator.catalog(), [], 'a domain controller without the licensing service is not a license server');
});

t.test('the chosen license server is pinged every 2 hours; when it stops, rediscovery finds another', async (t) => {
  const clock = new SimulatedClock(START);
  const dc1 = await TestLicenseServer.create('DC1', 'CORP', clock);
  const dc2 = await TestLicenseServer.create('DC2', 'CORP', clock);
  const r = rig(
    t,
    clock,
    {
      domains: [{ name: 'CORP', domainControllers: ['DC1', 'DC2'] }],
      hosts: [
        { name: 'DC1', domain: 'CORP', licenseServer: dc1.address },
        { name: 'DC2', domain: 'CORP', licenseServer: dc2.address },
        { name: 'TS1', domain: 'CORP' },
      ],
    },
    [dc1, dc2],
    { self: 'TS1' },
  );
  await r.locator.start();
  const first = r.locator.current()!;
  t.equal(first.target, dc1.address, 'DC1 chosen (first in order)');
  const pings = () => r.links.links.get('DC1')!.pings;
  t.equal(pings(), 1, 'contacted once by discovery');

  clock.advance(2 * HOUR - 1);
  await r.locator.idle();
  t.equal(pings(), 1, 'no ping before 2 hours');
  clock.advance(1);
  await r.locator.idle();
  t.equal(pings(), 2, 'pinged at 2 hours');
  clock.advance(2 * HOUR);
  await r.locator.idle();
  t.equal(pings(), 3, 'and at 4 hours');
  t.equal(r.locator.current(), first, 'still in use');
  t.equal(r.locator.roundCount, 1, 'no rediscovery while it answers');

  await dc1.stop();
  clock.advance(2 * HOUR);
  await r.locator.idle();
  t.equal(pings(), 5, 'the failed 6-hour ping, then the rediscovery round contacting DC1 again');
  t.equal(r.lost.length, 1, 'the 6-hour ping failed: lost');
  t.equal(r.lost[0]!.reason, 'ping-failed');
  t.equal(r.lost[0]!.link, first);
  t.equal(r.locator.roundCount, 2, 'rediscovery started at once');
  t.equal(r.locator.current()?.target, dc2.address, 'and found DC2');
  t.same(summary(r), [
    { name: 'DC1', how: 'domain', available: false, chosen: false },
    { name: 'DC2', how: 'domain', available: true, chosen: true },
  ]);
  t.equal(r.found.length, 2);
  t.same(r.locator.nextCheck(), { kind: 'ping', at: new Date(START + 8 * HOUR) });

  // DC1 returns; the terminal server keeps DC2 as long as it answers.
  await dc1.start();
  await r.locator.discoverNow();
  t.equal(r.locator.current()?.target, dc2.address, 'a license server in use is kept while it answers');
  t.same(r.locator.nextCheck(), { kind: 'ping', at: new Date(START + 8 * HOUR) }, 'the ping schedule is unchanged');
});

t.test('reportUnreachable: the terminal server could not reach the license server, rediscovery runs at once', async (t) => {
  const clock = new SimulatedClock(START);
  const dc1 = await TestLicenseServer.create('DC1', 'CORP', clock);
  const dc2 = await TestLicenseServer.create('DC2', 'CORP', clock);
  const r = rig(
    t,
    clock,
    {
      domains: [{ name: 'CORP', domainControllers: ['DC1', 'DC2'] }],
      hosts: [
        { name: 'DC1', domain: 'CORP', licenseServer: dc1.address },
        { name: 'DC2', domain: 'CORP', licenseServer: dc2.address },
        { name: 'TS1', domain: 'CORP' },
      ],
    },
    [dc1, dc2],
    { self: 'TS1' },
  );
  const link = (await r.locator.start())!;
  await dc1.stop();
  await t.rejects(link.requestLicense({} as never), { name: 'LicenseServerUnreachable' });
  clock.advance(10 * MINUTE);
  const next = await r.locator.reportUnreachable(link, 'request failed');
  t.equal(next?.target, dc2.address);
  t.same([r.lost[0]!.reason, r.lost[0]!.problem], ['reported-unreachable', 'request failed']);
  t.same(r.locator.nextCheck(), { kind: 'ping', at: new Date(START + 10 * MINUTE + 2 * HOUR) });
  t.equal(await r.locator.reportUnreachable(link), next, 'a stale report changes nothing');
  t.equal(r.locator.roundCount, 2);
});

t.test('DefaultLicenseServer down: no license server, and no fallback even though another is discoverable', async (t) => {
  const clock = new SimulatedClock(START);
  const ports = await freePortRange(3);
  const preferred = await TestLicenseServer.create('LSPREF', 'WORKGROUP', clock, false);
  const other = await TestLicenseServer.create('LSOTHER', 'WORKGROUP', clock);
  const responder = new DiscoveryResponder({ name: 'LSOTHER', scope: 'WORKGROUP', address: other.address, ports });
  await responder.start();
  t.teardown(() => responder.stop());
  const r = rig(
    t,
    clock,
    {
      workgroups: [{ name: 'WORKGROUP' }],
      hosts: [
        { name: 'TS1', workgroup: 'WORKGROUP' },
        { name: 'LSPREF', workgroup: 'WORKGROUP', licenseServer: preferred.address },
        { name: 'LSOTHER', workgroup: 'WORKGROUP', licenseServer: other.address },
      ],
    },
    [preferred, other],
    { self: 'TS1', defaultLicenseServer: 'lspref', broadcast: { ports } },
  );
  t.equal(await r.locator.start(), undefined, 'no license server');
  t.same(summary(r), [{ name: 'LSPREF', how: 'registry', available: false, chosen: false }], 'only the DefaultLicenseServer is known');
  t.equal(responder.answered, 0, 'no broadcast was sent');
  t.same(r.links.asked.map((a) => a.name), ['LSPREF'], 'the discoverable LSOTHER was never contacted');
  t.equal(r.events.count(1010), 1);

  clock.advance(15 * MINUTE);
  await r.locator.idle();
  t.equal(r.locator.current(), undefined, 'still none 15 minutes later');
  t.equal(r.events.count(1010), 2);

  await preferred.start();
  clock.advance(15 * MINUTE);
  await r.locator.idle();
  t.equal(r.locator.current()?.target, preferred.address, 'found when it returns');
  t.equal(responder.answered, 0);

  await preferred.stop();
  clock.advance(2 * HOUR);
  await r.locator.idle();
  t.equal(r.lost.length, 1, 'lost at the next ping');
  t.equal(r.locator.current(), undefined, 'and no fallback');
  t.same(r.links.asked.map((a) => a.name), ['LSPREF']);
});

t.test('SpecifiedLicenseServers: tried first, in order, then auto-discovery', async (t) => {
  const clock = new SimulatedClock(START);
  const x = await TestLicenseServer.create('LSX', 'CORP', clock, false);
  const y = await TestLicenseServer.create('LSY', 'CORP', clock);
  const dc = await TestLicenseServer.create('DC1', 'CORP', clock);
  const r = rig(
    t,
    clock,
    {
      domains: [{ name: 'CORP', dnsName: 'corp.example', domainControllers: ['DC1'] }],
      hosts: [
        { name: 'DC1', domain: 'CORP', licenseServer: dc.address },
        { name: 'LSX', domain: 'CORP', licenseServer: x.address },
        { name: 'LSY', domain: 'CORP', licenseServer: y.address },
        { name: 'TS1', domain: 'CORP' },
      ],
    },
    [x, y, dc],
    { self: 'TS1', specifiedLicenseServers: parseLicenseServerList('LSX, lsy.corp.example, NOSUCH, DC1'), specifiedBy: 'gp' },
  );
  await r.locator.start();
  t.equal(r.locator.current()?.target, y.address, 'LSX is down, so the second specified, LSY, is used');
  t.same(summary(r), [
    { name: 'LSX', how: 'gp', available: false, chosen: false },
    { name: 'LSY', how: 'gp', available: true, chosen: true },
    { name: 'NOSUCH', how: 'gp', available: false, chosen: false },
    { name: 'DC1', how: 'gp', available: true, chosen: false },
  ], 'catalogued once each, as the policy named them (DC1 too)');
  t.match(r.locator.catalog()[2]!.problem, 'no host named "NOSUCH" in the directory');

  await y.stop();
  await x.start();
  await r.locator.reportUnreachable(r.locator.current()!);
  t.equal(r.locator.current()?.target, x.address, 'LSX is back: the first specified is preferred again');

  await x.stop();
  await r.locator.reportUnreachable(r.locator.current()!);
  t.equal(r.locator.current()?.target, dc.address, 'every specified server down: DC1');
});

t.test('SpecifiedLicenseServers all down: auto-discovery finds a domain controller', async (t) => {
  const clock = new SimulatedClock(START);
  const x = await TestLicenseServer.create('LSX', 'CORP', clock, false);
  const dc = await TestLicenseServer.create('DC1', 'CORP', clock);
  const r = rig(
    t,
    clock,
    {
      domains: [{ name: 'CORP', domainControllers: ['DC1'] }],
      hosts: [
        { name: 'DC1', domain: 'CORP', licenseServer: dc.address },
        { name: 'LSX', domain: 'CORP', licenseServer: x.address },
        { name: 'TS1', domain: 'CORP' },
      ],
    },
    [x, dc],
    { self: 'TS1', specifiedLicenseServers: [x.address] },
  );
  await r.locator.start();
  t.same(summary(r), [
    { name: 'LSX', how: 'registry', available: false, chosen: false },
    { name: 'DC1', how: 'domain', available: true, chosen: true },
  ], 'an address resolves to its host; then the fallback to discovery');
});

t.test('stop() cancels the timers; the locator checks its options and its state', async (t) => {
  const clock = new SimulatedClock(START);
  const directory = { workgroups: [{ name: 'WG' }], hosts: [{ name: 'TS1', workgroup: 'WG' }] };
  const ports = await freePortRange(1);
  const r = rig(t, clock, directory, [], { self: 'TS1', broadcast: { ports } });
  t.throws(() => r.locator.discoverNow(), /needs start\(\) first/);
  await r.locator.start();
  t.throws(() => r.locator.start(), /already started/);
  await r.locator.stop();
  t.equal(r.locator.nextCheck(), undefined);
  clock.advance(24 * HOUR);
  await r.locator.idle();
  t.equal(r.locator.roundCount, 1, 'no round after stop');
  t.throws(() => r.locator.reportUnreachable({} as never), /was stopped/);

  const base = { directory: parseDirectory(directory), clock, events: new EventLog('TermService', () => clock.now()), connect: () => ({}) as never };
  t.throws(() => new LicenseServerLocator({ ...base, self: 'TS9' }), /the terminal server "TS9" is not a host of the directory/);
  t.throws(() => new LicenseServerLocator({ ...base, self: 'TS1', defaultLicenseServer: 'LS1', specifiedLicenseServers: ['LS2'] }), /not both/);
  t.throws(() => new LicenseServerLocator({ ...base, self: 'TS1', defaultLicenseServer: 'LS1,LS2' }), /takes exactly one/);
  t.throws(() => new LicenseServerLocator({ ...base, self: 'TS1', defaultLicenseServer: ' ' }), /DefaultLicenseServer is empty/);
  t.throws(() => new LicenseServerLocator({ ...base, self: 'TS1', specifiedLicenseServers: ['LS1', ''] }), /SpecifiedLicenseServers\[1\] is empty/);
  t.throws(() => new LicenseServerLocator({ ...base, self: 'TS1', broadcast: { ports: { first: 65535, count: 2 } } }), /run past 65535/);
  t.throws(() => new LicenseServerLocator({ ...base, self: 'TS1', pingIntervalMs: 0 }), /pingIntervalMs must be a positive/);
});

t.test('a listener that throws does not break discovery', async (t) => {
  const clock = new SimulatedClock(START);
  const dc = await TestLicenseServer.create('DC1', 'CORP', clock);
  const r = rig(
    t,
    clock,
    { domains: [{ name: 'CORP', domainControllers: ['DC1'] }], hosts: [{ name: 'DC1', domain: 'CORP', licenseServer: dc.address }, { name: 'TS1', domain: 'CORP' }] },
    [dc],
    { self: 'TS1' },
  );
  r.locator.on('found', () => {
    throw new Error('listener bug');
  });
  t.equal((await r.locator.start())?.target, dc.address);
  t.ok(r.logs.some((l) => /listener=found outcome=threw/.test(l)));
});

t.test('a round survives junk on the broadcast range: malformed answers are logged and ignored', async (t) => {
  const clock = new SimulatedClock(START);
  const ports = await freePortRange(3);
  const ls = await TestLicenseServer.create('LS1', 'WG', clock);
  // Something on the first port answers every request with junk and an offer carrying the wrong nonce.
  const junk = createSocket('udp4');
  await new Promise<void>((resolve) => junk.bind(ports.first, '127.0.0.1', () => resolve()));
  t.teardown(() => new Promise<void>((resolve) => junk.close(() => resolve())));
  junk.on('message', (m, rinfo) => {
    junk.send(Buffer.from([0xde, 0xad]), rinfo.port, '127.0.0.1');
    junk.send(encodeOffer({ nonce: Buffer.alloc(8), name: 'EVIL', scope: 'WG', address: '127.0.0.1:1' }), rinfo.port, '127.0.0.1');
    junk.send(m, rinfo.port, '127.0.0.1'); // its own request echoed back, then silence
  });
  const responder = new DiscoveryResponder({ name: 'LS1', scope: 'WG', address: ls.address, ports });
  await responder.start();
  t.teardown(() => responder.stop());
  const network = new SimulatedClock(START);
  const r = rig(t, clock, { workgroups: [{ name: 'WG' }], hosts: [{ name: 'TS1', workgroup: 'WG' }] }, [ls], {
    self: 'TS1',
    broadcast: { ports, timeoutMs: 500 },
    networkTimer: network,
  });
  const started = r.locator.start();
  // Wait until the three junk datagrams were seen and ignored, then let the silent port time out.
  while (r.logs.filter((l) => /broadcast=\d+ outcome=ignored/.test(l)).length < 3) await new Promise((resolve) => setImmediate(resolve));
  network.advance(500);
  t.equal((await started)?.target, ls.address, 'the real license server was found');
  t.same(summary(r), [{ name: 'LS1', how: 'workgroup', available: true, chosen: true }], 'nothing from the junk was catalogued');
  t.same(
    r.logs.filter((l) => /outcome=ignored/.test(l)).map((l) => l.replace(/^.*reason=/, '')),
    ['"magic at offset 0: needs 4 bytes, 2 left"', '"an offer for another request (nonce differs)"', '"a discover, not an offer"'],
  );
});
