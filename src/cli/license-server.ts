/**
 * rdplic license-server: runs the license-server role alone, from a data folder, with its HTTPS API. Prints one line
 * (its URL and where the admin token is), the token itself once at first start, and stops cleanly on SIGINT/SIGTERM.
 */
import Database from 'better-sqlite3';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { SimulatedClock, systemClock, type Clock } from '../clock.js';
import { DataFolder } from '../data-folder.js';
import { publishInDirectory, type Endpoint } from '../license-server/admin-client.js';
import { startLicenseServerApi } from '../license-server/api.js';
import { LicenseServerNode } from '../license-server/node.js';
import { onOff, parseListen, parseOptions, untilSignal } from './options.js';
import type { Command } from './rdplic.js';
import { UsageError } from './usage.js';

const USAGE = `Usage: rdplic license-server [options]

  --data DIR                    data folder (default ./data): keys (0600), database, admin.token, https.crt
  --listen HOST:PORT            default 127.0.0.1:4443 (port 0: any free port)
  --name NAME                   machine name in certificates and CALs (default: the one stored, else the host name)
  --scope SCOPE                 domain or workgroup (default WORKGROUP)
  --clock system|simulated      simulated: time moves only with "rdplic admin clock advance" (resumed at restart)
  --start DATE                  where a new simulated clock starts (ISO date; default now)
  --clearinghouse URL           clearinghouse for the Internet method (remembered)
  --clearinghouse-cert FILE     its HTTPS certificate (default: pinned on first contact)
  --peer NAME=URL               a peer license server (repeatable; remembered)
  --post-logon-issuance on|off  CAL only after a logon validated the device's temporary license (default on)
  --built-in on|off             built-in pool for Windows 2000 Professional and later (default on)
  --open-enrolment on|off       terminal servers may enrol without a token, as a Windows license server answers any
                                terminal server unless the "License server security group" policy is on (default off;
                                remembered)
  --directory FILE              publish this server in a directory file (for lsreport and tools; or RDPLIC_DIRECTORY)
  --log                         one line per API request on stderr`;

const SPEC = {
  data: 'string',
  listen: 'string',
  name: 'string',
  scope: 'string',
  clock: 'string',
  start: 'string',
  clearinghouse: 'string',
  'clearinghouse-cert': 'string',
  peer: 'list',
  'post-logon-issuance': 'string',
  'built-in': 'string',
  'open-enrolment': 'string',
  directory: 'string',
  log: 'boolean',
} as const;

/** A setting of a license database, read before the server opens it (name, simulated time). */
function storedSetting(file: string, key: string): string | undefined {
  if (!existsSync(file)) return undefined;
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    return (db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  } catch {
    return undefined;
  } finally {
    db?.close();
  }
}

function makeClock(kind: string | undefined, start: string | undefined, dbFile: string): Clock {
  if (kind === undefined || kind === 'system') {
    if (start) throw new UsageError('--start is for --clock simulated');
    return systemClock;
  }
  if (kind !== 'simulated') throw new UsageError(`--clock is system or simulated, not "${kind}"`);
  const saved = storedSetting(dbFile, 'simulated_now');
  if (saved) return new SimulatedClock(new Date(saved));
  const at = start ? new Date(start) : new Date();
  if (Number.isNaN(at.getTime())) throw new UsageError(`--start is an ISO date, not "${start}"`);
  return new SimulatedClock(at);
}

function peersOf(list: string[] | undefined): Record<string, string> {
  const peers: Record<string, string> = {};
  for (const p of list ?? []) {
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]{0,63})=(https:\/\/\S+)$/.exec(p);
    if (!m) throw new UsageError(`--peer is NAME=https://host:port, not "${p}"`);
    peers[m[1]!] = m[2]!;
  }
  return peers;
}

export const licenseServerCommand: Command = {
  summary: 'run a license server (HTTPS API for terminal servers, peers and administration)',
  usage: USAGE,
  async run(argv) {
    const o = parseOptions(argv, SPEC);
    if (o.positional.length) throw new UsageError(`unexpected argument "${o.positional[0]}"`);
    const v = o.values;
    const dataDir = resolve(v.data ?? 'data');
    const { host, port } = parseListen(v.listen ?? '127.0.0.1:4443');
    const dbFile = join(dataDir, 'license-server.sqlite');
    const name = v.name ?? storedSetting(dbFile, 'name') ?? hostname().split('.')[0]!.toUpperCase();
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) throw new UsageError(`--name "${name}" is not a machine name`);
    const clock = makeClock(v.clock, v.start, dbFile);
    const postLogonIssuance = onOff(v['post-logon-issuance'], 'post-logon-issuance');
    const builtInPool = onOff(v['built-in'], 'built-in');
    const peers = peersOf(o.lists.peer);
    const clearinghouseCertificate = v['clearinghouse-cert'] ? readFileSync(v['clearinghouse-cert'], 'utf8') : undefined;
    if (v.clearinghouse && !/^https:\/\/\S+$/.test(v.clearinghouse)) throw new UsageError('--clearinghouse is an https:// URL');

    const node = new LicenseServerNode({
      dataDir,
      name,
      scope: v.scope ?? storedSetting(dbFile, 'scope') ?? 'WORKGROUP',
      clock,
      options: { ...(postLogonIssuance === undefined ? {} : { postLogonIssuance }), ...(builtInPool === undefined ? {} : { builtInPool }) },
    });
    node.store.setSetting('name', name);
    const openEnrolment = onOff(v['open-enrolment'], 'open-enrolment');
    if (openEnrolment !== undefined) node.store.setSetting('open_enrolment', openEnrolment ? 'on' : 'off');
    node.store.setSetting('scope', node.keys.scope);
    const log = o.flags.log ? (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`) : undefined;
    let api;
    try {
      api = await startLicenseServerApi(node, { host, port, log, peers, clearinghouseUrl: v.clearinghouse, clearinghouseCertificate });
    } catch (e) {
      node.close();
      throw new Error(`cannot listen on ${host}:${port}: ${(e as Error).message}`);
    }
    const folder = new DataFolder(dataDir);
    const fresh = node.newAdminToken;
    const token = node.adminToken;
    folder.writeJson('endpoint.json', { name, url: api.url } satisfies Endpoint);
    const directory = v.directory ?? process.env.RDPLIC_DIRECTORY;
    if (directory) publishInDirectory(directory, { name, url: api.url, certificate: node.https.certificatePem, data: dataDir });

    process.stdout.write(`license server ${name} listening on ${api.url} (admin token in ${folder.file('admin.token')}; ${clock instanceof SimulatedClock ? `simulated clock at ${clock.now().toISOString()}` : 'system clock'})\n`);
    if (fresh) process.stdout.write(`admin token (shown once): ${token}\n`);

    return untilSignal(async () => {
      await api.close();
      node.close();
    }, log);
  },
};
