import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DirectoryError, loadDirectory, parseDirectory, MAX_DIRECTORY_FILE_BYTES } from '../../../src/discovery/directory.js';
import { tempDir } from '../../helpers/license-server.js';

const EXAMPLE = new URL('../../../src/discovery/directory.example.json', import.meta.url);

t.test('the documented example parses, and its look-ups work', async (t) => {
  const d = loadDirectory(EXAMPLE.pathname);
  t.same(d.domainControllers('corp').map((h) => h.name), ['DC1', 'DC2']);
  t.same(d.enterpriseLicenseServers('PARIS').map((h) => h.name), ['LABLS']);
  t.equal(d.fqdn(d.host('dc2')!), 'DC2.corp.example');
  t.equal(d.fqdn(d.host('LABLS')!), undefined, 'LABS has no DNS name');
  t.same(d.host('ts2'), { name: 'TS2', workgroup: 'WORKGROUP' });
  t.match(readFileSync(new URL('../../../src/discovery/DIRECTORY.md', import.meta.url), 'utf8'), readFileSync(EXAMPLE, 'utf8').trim(), 'DIRECTORY.md shows the example file');
});

t.test('resolving DefaultLicenseServer / SpecifiedLicenseServers values: NetBIOS name, FQDN, address, IP', async (t) => {
  const d = loadDirectory(EXAMPLE.pathname);
  t.same(d.resolve('dc2'), { name: 'DC2', host: d.host('DC2'), address: 'https://127.0.0.1:4443' }, 'NetBIOS name, any case');
  t.same(d.resolve('DC2.Corp.Example').address, 'https://127.0.0.1:4443', 'FQDN');
  t.same(d.resolve('HTTPS://127.0.0.1:4443/').name, 'DC2', 'an address its host owns');
  t.same(d.resolve('127.0.0.1:4445').name, 'PEER1');
  t.same(d.resolve('127.0.0.1:9999'), { name: '127.0.0.1:9999', address: '127.0.0.1:9999' }, 'an address no host owns is used as it is');
  t.same(d.resolve('local:LS1'), { name: 'local:LS1', address: 'local:LS1' });
  t.match(d.resolve('127.0.0.1').problem, /127\.0\.0\.1 is ambiguous: the license servers of DC2, LABLS, PEER1 answer there; give HOST:PORT/);
  t.match(d.resolve('10.0.0.1').problem, /no license server of the directory answers on 10\.0\.0\.1/);
  t.match(d.resolve('DC1'), { name: 'DC1', address: undefined, problem: 'host DC1 does not run the licensing service' });
  t.match(d.resolve('NOSUCH'), { name: 'NOSUCH', problem: 'no host named "NOSUCH" in the directory' });

  const single = parseDirectory({ workgroups: [{ name: 'WG' }], hosts: [{ name: 'LS1', workgroup: 'WG', licenseServer: 'https://127.0.0.1:4443' }] });
  t.equal(single.resolve('127.0.0.1').name, 'LS1', 'a bare IP naming exactly one license server');
});

t.test('malformed directories: one clear line naming the path in the file', async (t) => {
  const wg = [{ name: 'WG' }];
  const ok = { name: 'TS1', workgroup: 'WG' };
  const cases: Array<[string, unknown, string]> = [
    ['not an object', [], 'lab.json: must be an object, not a list'],
    ['no hosts', { domains: [] }, 'lab.json: hosts: is missing'],
    ['unknown field', { hosts: [], domian: [] }, 'lab.json: domian: unknown field (expected version, domains, sites, workgroups, hosts)'],
    ['version', { version: 2, hosts: [] }, 'lab.json: version: number 2 is not a supported version (only 1)'],
    ['hosts not a list', { hosts: {} }, 'lab.json: hosts: must be a list, not an object'],
    ['host not an object', { workgroups: wg, hosts: [ok, 'TS2'] }, 'lab.json: hosts[1]: must be an object, not "TS2"'],
    ['host name too long', { workgroups: wg, hosts: [{ name: 'THISNAMEISTOOLONG', workgroup: 'WG' }] }, 'lab.json: hosts[0].name: "THISNAMEISTOOLONG" is not a host name (1-15 letters, digits, - or _)'],
    ['host name missing', { workgroups: wg, hosts: [{ workgroup: 'WG' }] }, 'lab.json: hosts[0].name: is missing'],
    ['host field typo', { workgroups: wg, hosts: [{ name: 'TS1', workgroup: 'WG', licenceServer: 'x:1' }] }, 'lab.json: hosts[0].licenceServer: unknown field (expected name, domain, workgroup, site, licenseServer)'],
    ['duplicate host', { workgroups: wg, hosts: [ok, { name: 'ts1', workgroup: 'WG' }] }, 'lab.json: hosts[1].name: host "ts1" is already defined at hosts[0].name'],
    ['unknown domain', { domains: [{ name: 'CORP', domainControllers: [] }], hosts: [{ name: 'TS1', domain: 'CORP2' }] }, 'lab.json: hosts[0].domain: "CORP2" is not a domain of this directory (known: CORP)'],
    ['no domains at all', { hosts: [{ name: 'TS1', domain: 'CORP' }] }, 'lab.json: hosts[0].domain: "CORP" is not a domain of this directory (it defines no domains)'],
    ['both', { workgroups: wg, domains: [{ name: 'CORP', domainControllers: [] }], hosts: [{ name: 'TS1', domain: 'CORP', workgroup: 'WG' }] }, 'lab.json: hosts[0]: has both a domain and a workgroup; a host belongs to one'],
    ['neither', { hosts: [{ name: 'TS1' }] }, 'lab.json: hosts[0]: needs a domain or a workgroup'],
    ['site in a workgroup', { workgroups: wg, sites: [{ name: 'Paris' }], hosts: [{ name: 'TS1', workgroup: 'WG', site: 'Paris' }] }, 'lab.json: hosts[0].site: a workgroup host has no Active Directory site'],
    ['unknown site', { domains: [{ name: 'CORP', domainControllers: [] }], hosts: [{ name: 'TS1', domain: 'CORP', site: 'Rome' }] }, 'lab.json: hosts[0].site: "Rome" is not a site of this directory (it defines no sites)'],
    ['address without port', { workgroups: wg, hosts: [{ ...ok, licenseServer: '127.0.0.1' }] }, 'lab.json: hosts[0].licenseServer: "127.0.0.1" has no port (use https://HOST:PORT, HOST:PORT or local:NAME)'],
    ['address port out of range', { workgroups: wg, hosts: [{ ...ok, licenseServer: '127.0.0.1:99999' }] }, 'lab.json: hosts[0].licenseServer: port 99999 is not between 1 and 65535'],
    ['address with a password', { workgroups: wg, hosts: [{ ...ok, licenseServer: 'https://u:p@127.0.0.1:1' }] }, 'lab.json: hosts[0].licenseServer: "https://u:p@127.0.0.1:1" must not carry a user name or password'],
    ['address a number', { workgroups: wg, hosts: [{ ...ok, licenseServer: 4443 }] }, 'lab.json: hosts[0].licenseServer: must be a string'],
    ['address with a space', { workgroups: wg, hosts: [{ ...ok, licenseServer: 'ls 1:80' }] }, 'lab.json: hosts[0].licenseServer: may hold only printable ASCII without spaces'],
    ['shared address', { workgroups: wg, hosts: [{ ...ok, licenseServer: '127.0.0.1:80' }, { name: 'TS2', workgroup: 'WG', licenseServer: '127.0.0.1:0080' }] }, 'lab.json: hosts[1].licenseServer: "127.0.0.1:0080" is already the license server of TS1'],
    ['bad dnsName', { domains: [{ name: 'CORP', dnsName: 'corp', domainControllers: [] }], hosts: [] }, 'lab.json: domains[0].dnsName: "corp" is not a DNS domain name (e.g. corp.example)'],
    ['DCs missing', { domains: [{ name: 'CORP' }], hosts: [] }, 'lab.json: domains[0].domainControllers: is missing'],
    ['DC not a host', { domains: [{ name: 'CORP', domainControllers: ['DC1'] }], hosts: [] }, 'lab.json: domains[0].domainControllers[0]: "DC1" is not a host of this directory'],
    ['DC of another domain', { workgroups: wg, domains: [{ name: 'CORP', domainControllers: ['TS1'] }], hosts: [ok] }, 'lab.json: domains[0].domainControllers[0]: host TS1 is not a member of domain CORP'],
    ['DC twice', { domains: [{ name: 'CORP', domainControllers: ['DC1', 'dc1'] }], hosts: [{ name: 'DC1', domain: 'CORP' }] }, 'lab.json: domains[0].domainControllers[1]: domain controller "dc1" is already defined at domains[0].domainControllers[0]'],
    ['duplicate domain', { domains: [{ name: 'CORP', domainControllers: [] }, { name: 'corp', domainControllers: [] }], hosts: [] }, 'lab.json: domains[1].name: domain "corp" is already defined at domains[0].name'],
    ['bad site name', { sites: [{ name: 'Paris Nord' }], hosts: [] }, 'lab.json: sites[0].name: "Paris Nord" is not a site name (1-63 letters, digits or -)'],
    ['enterprise LS in a workgroup', { workgroups: wg, sites: [{ name: 'Paris', licenseServers: ['TS1'] }], hosts: [ok] }, 'lab.json: sites[0].licenseServers[0]: host TS1 is in a workgroup; only domain members are published in Active Directory'],
    ['enterprise LS not a host', { sites: [{ name: 'Paris', licenseServers: ['LS9'] }], hosts: [] }, 'lab.json: sites[0].licenseServers[0]: "LS9" is not a host of this directory'],
    ['workgroup null', { workgroups: [null], hosts: [] }, 'lab.json: workgroups[0]: must be an object, not null'],
    ['workgroup name number', { workgroups: [{ name: 7 }], hosts: [] }, 'lab.json: workgroups[0].name: number 7 is not a workgroup name (1-15 letters, digits, - or _)'],
  ];
  for (const [what, json, message] of cases) {
    t.throws(() => parseDirectory(json, 'lab.json'), { name: 'DirectoryError', message }, what);
    try {
      parseDirectory(json, 'lab.json');
    } catch (e) {
      t.notMatch((e as Error).message, /\n/, `${what}: one line`);
    }
  }
  const e = (() => {
    try {
      parseDirectory({ hosts: [{ name: 'TS1', domain: 'X' }] }, 'lab.json');
    } catch (e) {
      return e as DirectoryError;
    }
  })()!;
  t.same([e.source, e.path], ['lab.json', 'hosts[0].domain'], 'the error carries the file and the path');
});

t.test('loading directory files: missing, not JSON, too large, with a byte-order mark', async (t) => {
  const dir = tempDir('rdplic-directory-');
  const file = (name: string, text: string | Buffer) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  const missing = join(dir, 'missing.json');
  t.throws(() => loadDirectory(missing), { message: `${missing}: cannot read the directory file (ENOENT)` });
  const bad = file('bad.json', '{ "hosts": [ }');
  t.throws(() => loadDirectory(bad), { name: 'DirectoryError', message: new RegExp(`^${bad}: not valid JSON \\(.+\\)$`) });
  const big = file('big.json', Buffer.alloc(MAX_DIRECTORY_FILE_BYTES + 1, 0x20));
  t.throws(() => loadDirectory(big), { message: `${big}: is ${MAX_DIRECTORY_FILE_BYTES + 1} bytes, more than ${MAX_DIRECTORY_FILE_BYTES}` });
  t.throws(() => loadDirectory(dir), { message: /cannot read the directory file \(EISDIR\)/ });
  const bom = file('bom.json', '\uFEFF{ "workgroups": [{ "name": "WG" }], "hosts": [{ "name": "TS1", "workgroup": "WG" }] }');
  t.equal(loadDirectory(bom).host('ts1')?.name, 'TS1');
  const wrong = file('wrong.json', '{ "hosts": [{ "name": "TS1" }] }');
  t.throws(() => loadDirectory(wrong), { message: `${wrong}: hosts[0]: needs a domain or a workgroup` });
});
