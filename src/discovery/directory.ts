/**
 * The emulated directory: the domains (and their domain controllers), the Active Directory sites (and the enterprise
 * license servers published for each), the workgroups, and the hosts, one of which is the terminal server itself.
 * It stands in for what a real terminal server learns from Active Directory, DNS/WINS and the network.
 * The file format is documented in DIRECTORY.md beside this file.
 */
import { readFileSync, statSync } from 'node:fs';
import { isHostName, isNetbiosName, isServiceAddress, parseServiceAddress, sameName } from './address.js';

/** A directory file larger than this is refused before it is read. */
export const MAX_DIRECTORY_FILE_BYTES = 1024 * 1024;
/** Most entries in any one list of the file. */
export const MAX_DIRECTORY_ENTRIES = 10_000;

export interface DirectoryDomain {
  /** NetBIOS domain name, e.g. CORP. */
  name: string;
  /** DNS name, e.g. corp.example; hosts of the domain are then also known as NAME.dnsName. */
  dnsName?: string;
  /** Host names, in the order the terminal server enumerates them. */
  domainControllers: string[];
}

export interface DirectorySite {
  name: string;
  /** Enterprise license servers published for this site (any domain), in order. */
  licenseServers: string[];
}

export interface DirectoryWorkgroup {
  name: string;
}

export interface DirectoryHost {
  name: string;
  /** Exactly one of domain and workgroup is set. */
  domain?: string;
  workgroup?: string;
  /** Active Directory site; domain members only. */
  site?: string;
  /** Where this host's license server answers, if the host runs the licensing service. */
  licenseServer?: string;
}

export interface DirectoryData {
  version?: 1;
  domains: DirectoryDomain[];
  sites: DirectorySite[];
  workgroups: DirectoryWorkgroup[];
  hosts: DirectoryHost[];
}

/** A directory file or object that is not valid. The message is one line: `FILE: PATH: what is wrong`. */
export class DirectoryError extends Error {
  override readonly name = 'DirectoryError';
  constructor(
    readonly source: string,
    /** Where in the file, e.g. `hosts[2].domain`; empty for the whole file. */
    readonly path: string,
    readonly problem: string,
  ) {
    super(path ? `${source}: ${path}: ${problem}` : `${source}: ${problem}`);
  }
}

/** The outcome of resolving a DefaultLicenseServer or SpecifiedLicenseServers value (NetBIOS name, FQDN or address). */
export interface Resolution {
  /** The host's name, or the value itself when it names no host. */
  name: string;
  host?: DirectoryHost;
  /** Where its license server answers; undefined when there is none (see `problem`). */
  address?: string;
  problem?: string;
}

type Json = Record<string, unknown>;

/** Validates raw JSON against the format, throwing a DirectoryError that names the first bad path. */
class Validator {
  constructor(private readonly source: string) {}

  fail(path: string, problem: string): never {
    throw new DirectoryError(this.source, path, problem);
  }

  object(value: unknown, path: string, allowed: readonly string[], required: readonly string[]): Json {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(path, `must be an object, not ${describe(value)}`);
    const o = value as Json;
    for (const key of Object.keys(o)) {
      if (!allowed.includes(key)) this.fail(join(path, key), `unknown field (expected ${allowed.join(', ')})`);
    }
    for (const key of required) if (!(key in o)) this.fail(join(path, key), 'is missing');
    return o;
  }

  array(value: unknown, path: string): unknown[] {
    if (value === undefined) return [];
    if (!Array.isArray(value)) this.fail(path, `must be a list, not ${describe(value)}`);
    if (value.length > MAX_DIRECTORY_ENTRIES) this.fail(path, `has ${value.length} entries, more than ${MAX_DIRECTORY_ENTRIES}`);
    return value;
  }

  netbios(value: unknown, path: string, what: string): string {
    if (!isNetbiosName(value)) {
      this.fail(path, `${typeof value === 'string' ? `"${value}"` : describe(value)} is not a ${what} name (1-15 letters, digits, - or _)`);
    }
    return value;
  }

  siteName(value: unknown, path: string): string {
    if (typeof value !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9-]{0,62}$/.test(value)) {
      this.fail(path, `${typeof value === 'string' ? `"${value}"` : describe(value)} is not a site name (1-63 letters, digits or -)`);
    }
    return value;
  }
}

function join(path: string, key: string | number): string {
  return typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `"${value.length > 40 ? value.slice(0, 40) + '…' : value}"`;
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

/** Checks a parsed JSON value and returns the directory it describes. `source` names it in errors (a file path). */
export function parseDirectory(json: unknown, source = 'directory'): Directory {
  const v: Validator = new Validator(source);
  const top = v.object(json, '', ['version', 'domains', 'sites', 'workgroups', 'hosts'], ['hosts']);
  if (top.version !== undefined && top.version !== 1) v.fail('version', `${describe(top.version)} is not a supported version (only 1)`);

  const unique = (seen: Map<string, string>, name: string, path: string, what: string) => {
    const prev = seen.get(name.toLowerCase());
    if (prev !== undefined) v.fail(path, `${what} "${name}" is already defined at ${prev}`);
    seen.set(name.toLowerCase(), path);
  };

  const domainNames = new Map<string, string>();
  const domains: DirectoryDomain[] = v.array(top.domains, 'domains').map((raw, i) => {
    const path = join('domains', i);
    const o = v.object(raw, path, ['name', 'dnsName', 'domainControllers'], ['name', 'domainControllers']);
    const name = v.netbios(o.name, join(path, 'name'), 'domain');
    unique(domainNames, name, join(path, 'name'), 'domain');
    let dnsName: string | undefined;
    if (o.dnsName !== undefined) {
      if (typeof o.dnsName !== 'string' || !isHostName(o.dnsName) || !o.dnsName.includes('.')) {
        v.fail(join(path, 'dnsName'), `${describe(o.dnsName)} is not a DNS domain name (e.g. corp.example)`);
      }
      dnsName = o.dnsName;
    }
    const dcs = v.array(o.domainControllers, join(path, 'domainControllers')).map((dc, j) =>
      v.netbios(dc, join(join(path, 'domainControllers'), j), 'host'),
    );
    return { name, dnsName, domainControllers: dcs };
  });

  const siteNames = new Map<string, string>();
  const sites: DirectorySite[] = v.array(top.sites, 'sites').map((raw, i) => {
    const path = join('sites', i);
    const o = v.object(raw, path, ['name', 'licenseServers'], ['name']);
    const name = v.siteName(o.name, join(path, 'name'));
    unique(siteNames, name, join(path, 'name'), 'site');
    const ls = v.array(o.licenseServers, join(path, 'licenseServers')).map((h, j) => v.netbios(h, join(join(path, 'licenseServers'), j), 'host'));
    return { name, licenseServers: ls };
  });

  const workgroupNames = new Map<string, string>();
  const workgroups: DirectoryWorkgroup[] = v.array(top.workgroups, 'workgroups').map((raw, i) => {
    const path = join('workgroups', i);
    const o = v.object(raw, path, ['name'], ['name']);
    const name = v.netbios(o.name, join(path, 'name'), 'workgroup');
    unique(workgroupNames, name, join(path, 'name'), 'workgroup');
    return { name };
  });

  const known = (names: { name: string }[], value: string, path: string, what: string) => {
    if (!names.some((n) => sameName(n.name, value))) {
      const list = names.map((n) => n.name);
      v.fail(path, `"${value}" is not a ${what} of this directory (${list.length ? `known: ${list.join(', ')}` : `it defines no ${what}s`})`);
    }
  };

  const hostNames = new Map<string, string>();
  const hostList = v.array(top.hosts, 'hosts');
  const addressOwners = new Map<string, string>();
  const hosts: DirectoryHost[] = hostList.map((raw, i) => {
    const path = join('hosts', i);
    const o = v.object(raw, path, ['name', 'domain', 'workgroup', 'site', 'licenseServer'], ['name']);
    const name = v.netbios(o.name, join(path, 'name'), 'host');
    unique(hostNames, name, join(path, 'name'), 'host');
    const host: DirectoryHost = { name };
    if (o.domain !== undefined && o.workgroup !== undefined) v.fail(path, 'has both a domain and a workgroup; a host belongs to one');
    if (o.domain === undefined && o.workgroup === undefined) v.fail(path, 'needs a domain or a workgroup');
    if (o.domain !== undefined) {
      host.domain = v.netbios(o.domain, join(path, 'domain'), 'domain');
      known(domains, host.domain, join(path, 'domain'), 'domain');
    } else {
      host.workgroup = v.netbios(o.workgroup, join(path, 'workgroup'), 'workgroup');
      known(workgroups, host.workgroup, join(path, 'workgroup'), 'workgroup');
    }
    if (o.site !== undefined) {
      if (host.workgroup !== undefined) v.fail(join(path, 'site'), 'a workgroup host has no Active Directory site');
      host.site = v.siteName(o.site, join(path, 'site'));
      known(sites, host.site, join(path, 'site'), 'site');
    }
    if (o.licenseServer !== undefined) {
      const a = parseServiceAddress(o.licenseServer);
      if (!isServiceAddress(a)) v.fail(join(path, 'licenseServer'), a.problem);
      const owner = addressOwners.get(a.key);
      if (owner !== undefined) v.fail(join(path, 'licenseServer'), `"${a.text}" is already the license server of ${owner}`);
      addressOwners.set(a.key, name);
      host.licenseServer = a.text;
    }
    return host;
  });

  const byName = new Map(hosts.map((h) => [h.name.toLowerCase(), h]));
  domains.forEach((d, i) => {
    const dcPath = join(join('domains', i), 'domainControllers');
    const seen = new Map<string, string>();
    d.domainControllers.forEach((dc, j) => {
      const path = join(dcPath, j);
      unique(seen, dc, path, 'domain controller');
      const h = byName.get(dc.toLowerCase());
      if (!h) v.fail(path, `"${dc}" is not a host of this directory`);
      if (!h.domain || !sameName(h.domain, d.name)) v.fail(path, `host ${h.name} is not a member of domain ${d.name}`);
    });
  });
  sites.forEach((s, i) => {
    const lsPath = join(join('sites', i), 'licenseServers');
    const seen = new Map<string, string>();
    s.licenseServers.forEach((name, j) => {
      const path = join(lsPath, j);
      unique(seen, name, path, 'license server');
      const h = byName.get(name.toLowerCase());
      if (!h) v.fail(path, `"${name}" is not a host of this directory`);
      if (!h.domain) v.fail(path, `host ${h.name} is in a workgroup; only domain members are published in Active Directory`);
    });
  });

  return new Directory({ version: 1, domains, sites, workgroups, hosts });
}

/** Reads and checks a directory file (JSON). Every problem is a DirectoryError naming the file. */
export function loadDirectory(file: string): Directory {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (e) {
    throw new DirectoryError(file, '', `cannot read the directory file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  if (size > MAX_DIRECTORY_FILE_BYTES) throw new DirectoryError(file, '', `is ${size} bytes, more than ${MAX_DIRECTORY_FILE_BYTES}`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new DirectoryError(file, '', `cannot read the directory file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new DirectoryError(file, '', `not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  return parseDirectory(json, file);
}

/** A checked directory, with the look-ups discovery needs. Names are matched without regard to case. */
export class Directory {
  private readonly hostsByName: Map<string, DirectoryHost>;

  constructor(readonly data: DirectoryData) {
    this.hostsByName = new Map(data.hosts.map((h) => [h.name.toLowerCase(), h]));
  }

  host(name: string): DirectoryHost | undefined {
    return this.hostsByName.get(name.toLowerCase());
  }

  domain(name: string): DirectoryDomain | undefined {
    return this.data.domains.find((d) => sameName(d.name, name));
  }

  site(name: string): DirectorySite | undefined {
    return this.data.sites.find((s) => sameName(s.name, name));
  }

  /** The domain controllers of a domain, in the file's order. */
  domainControllers(domain: string): DirectoryHost[] {
    return (this.domain(domain)?.domainControllers ?? []).map((n) => this.host(n)!);
  }

  /** The enterprise license servers published for a site, in the file's order. */
  enterpriseLicenseServers(site: string): DirectoryHost[] {
    return (this.site(site)?.licenseServers ?? []).map((n) => this.host(n)!);
  }

  /** A host's fully qualified name, when its domain has a DNS name. */
  fqdn(host: DirectoryHost): string | undefined {
    const dns = host.domain ? this.domain(host.domain)?.dnsName : undefined;
    return dns ? `${host.name}.${dns}` : undefined;
  }

  /**
   * Resolves a DefaultLicenseServer or SpecifiedLicenseServers value, as WINS/DNS would: a host's NetBIOS name, its
   * FQDN, an address (`HOST:PORT`, a URL, `local:NAME`) or a bare IP address naming exactly one license server.
   */
  resolve(value: string): Resolution {
    const v = value.trim();
    const ofHost = (host: DirectoryHost): Resolution =>
      host.licenseServer !== undefined
        ? { name: host.name, host, address: host.licenseServer }
        : { name: host.name, host, problem: `host ${host.name} does not run the licensing service` };

    const byName = this.host(v);
    if (byName) return ofHost(byName);
    const byFqdn = this.data.hosts.find((h) => {
      const f = this.fqdn(h);
      return f !== undefined && sameName(f, v);
    });
    if (byFqdn) return ofHost(byFqdn);

    const address = parseServiceAddress(v);
    if (isServiceAddress(address)) {
      const owner = this.data.hosts.find((h) => {
        const a = h.licenseServer !== undefined ? parseServiceAddress(h.licenseServer) : undefined;
        return a !== undefined && isServiceAddress(a) && a.key === address.key;
      });
      return owner ? ofHost(owner) : { name: v, address: address.text };
    }
    if (isHostName(v) && /^[\d.]+$/.test(v)) {
      const owners = this.data.hosts.filter((h) => {
        const a = h.licenseServer !== undefined ? parseServiceAddress(h.licenseServer) : undefined;
        return a !== undefined && isServiceAddress(a) && a.host === v;
      });
      if (owners.length === 1) return ofHost(owners[0]!);
      if (owners.length > 1) {
        return { name: v, problem: `${v} is ambiguous: the license servers of ${owners.map((h) => h.name).join(', ')} answer there; give HOST:PORT` };
      }
      return { name: v, problem: `no license server of the directory answers on ${v}; give HOST:PORT` };
    }
    return { name: v, problem: `no host named "${v}" in the directory` };
  }
}
