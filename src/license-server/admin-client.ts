/**
 * The administration API of a license server, from the outside (`rdplic admin`, `rdplic events`, `lsreport`, tests),
 * and how a tool finds a server and its credentials:
 *  - `--data DIR`: the server's own data folder on this machine (endpoint.json, admin.token, https.crt);
 *  - a name or URL in the directory file (RDPLIC_DIRECTORY, written by `rdplic license-server --directory FILE`);
 *  - a URL with --token/--token-file (or RDPLIC_ADMIN_TOKEN / RDPLIC_ADMIN_TOKEN_FILE) and --server-cert FILE; without a
 *    certificate the server is trusted on first use and its fingerprint kept in $RDPLIC_HOME/known-servers.json
 *    (default ~/.rdplic); a server that later shows another certificate is refused.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../data-folder.js';
import { JsonClient } from '../http/json-client.js';
import { fingerprint } from '../http/tls-certificates.js';
import type { KeyPackJson, LicenseJson, ReportRowJson } from './json-codec.js';

export interface ServerAccess {
  url: string;
  token: string;
  /** PEM to pin, or a fingerprint to check (trust on first use). */
  certificate?: string;
  fingerprint?: string;
  /** What the server is called in the directory, if known. */
  name?: string;
}

export interface DirectoryEntry {
  name: string;
  url: string;
  certificate: string;
  /** The data folder, when the server runs on this machine (its admin.token is read from there). */
  data?: string;
}

export interface Directory {
  licenseServers: DirectoryEntry[];
}

export function directoryPath(explicit?: string): string | undefined {
  return explicit ?? process.env.RDPLIC_DIRECTORY ?? undefined;
}

export function readDirectory(path: string | undefined): Directory {
  if (!path || !existsSync(path)) return { licenseServers: [] };
  const d = JSON.parse(readFileSync(path, 'utf8')) as Directory;
  if (!Array.isArray(d.licenseServers)) throw new Error(`${path} is not a license-server directory`);
  return d;
}

/** Publishes a license server in the directory file (replacing an entry of the same name). */
export function publishInDirectory(path: string, entry: DirectoryEntry): void {
  const d = readDirectory(path);
  d.licenseServers = [...d.licenseServers.filter((e) => e.name.toLowerCase() !== entry.name.toLowerCase()), entry];
  writeFileAtomic(path, JSON.stringify(d, null, 2) + '\n');
}

/** What `rdplic license-server` writes in its data folder so local tools find it: endpoint.json. */
export interface Endpoint {
  name: string;
  url: string;
}

export interface AccessOptions {
  data?: string;
  token?: string;
  tokenFile?: string;
  serverCertFile?: string;
  directory?: string;
}

function readToken(file: string): string {
  return readFileSync(file, 'utf8').trim();
}

/** Resolves a server reference (URL or directory name; or nothing with --data) into a URL and credentials. */
export function resolveServer(ref: string | undefined, opts: AccessOptions = {}): ServerAccess {
  const explicitToken = opts.token ?? process.env.RDPLIC_ADMIN_TOKEN ?? (opts.tokenFile ?? process.env.RDPLIC_ADMIN_TOKEN_FILE ? readToken((opts.tokenFile ?? process.env.RDPLIC_ADMIN_TOKEN_FILE)!) : undefined);
  const explicitCert = opts.serverCertFile ? readFileSync(opts.serverCertFile, 'utf8') : undefined;
  if (opts.data) {
    const dir = resolve(opts.data);
    const endpointFile = join(dir, 'endpoint.json');
    const endpoint = existsSync(endpointFile) ? (JSON.parse(readFileSync(endpointFile, 'utf8')) as Endpoint) : undefined;
    const url = ref ?? endpoint?.url;
    if (!url) throw new Error(`${dir} has no endpoint.json (is the license server running?): give --server URL`);
    return {
      url,
      name: endpoint?.name,
      token: explicitToken ?? readToken(join(dir, 'admin.token')),
      certificate: explicitCert ?? readFileSync(join(dir, 'https.crt'), 'utf8'),
    };
  }
  if (!ref) throw new Error('say which license server: --server URL (or a name from the directory), or --data DIR');
  const directory = readDirectory(directoryPath(opts.directory));
  const entry = directory.licenseServers.find((e) => e.name.toLowerCase() === ref.toLowerCase() || e.url === ref.replace(/\/$/, ''));
  if (!entry && !/^https:\/\//.test(ref)) throw new Error(`"${ref}" is neither an https:// URL nor a license server of the directory${directoryPath(opts.directory) ? '' : ' (set RDPLIC_DIRECTORY)'}`);
  const token = explicitToken ?? (entry?.data && existsSync(join(entry.data, 'admin.token')) ? readToken(join(entry.data, 'admin.token')) : undefined);
  if (!token) throw new Error(`no admin token for ${ref}: give --token-file FILE (the server's admin.token) or set RDPLIC_ADMIN_TOKEN`);
  return { url: entry?.url ?? ref.replace(/\/$/, ''), name: entry?.name, token, certificate: explicitCert ?? entry?.certificate };
}

function knownServersFile(): string {
  return join(process.env.RDPLIC_HOME ?? join(homedir(), '.rdplic'), 'known-servers.json');
}

/** A JsonClient for the server: pinned to its certificate, or trusting it on first use. */
export function adminHttp(access: ServerAccess, timeoutMs = 60_000): JsonClient {
  if (access.certificate) return new JsonClient({ url: access.url, serverCertificate: access.certificate, token: access.token, timeoutMs });
  const file = knownServersFile();
  const known = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>) : {};
  return new JsonClient({
    url: access.url,
    token: access.token,
    timeoutMs,
    verifyServer: (cert) => {
      const fp = fingerprint(cert);
      const pinned = known[access.url];
      if (pinned) return pinned === fp;
      known[access.url] = fp;
      writeFileAtomic(file, JSON.stringify(known, null, 2) + '\n', 0o600);
      return true;
    },
  });
}

export interface StatusJson {
  name: string;
  scope: string;
  activated: boolean;
  licenseServerId: string | null;
  activationMethod: string | null;
  clock: { kind: 'simulated' | 'system'; now: string };
  clearinghouse: string | null;
  keypacks: KeyPackJson[];
  licenses: Record<string, number>;
  terminalServers: number;
  peers: Array<{ name: string; url: string; pinned: boolean }>;
  httpsFingerprint: string;
}

export interface LicenseQuery {
  kind?: string;
  state?: string;
  hwid?: string;
  machine?: string;
  user?: string;
  terminalServer?: string;
  from?: string;
  to?: string;
  limit?: number;
  offset?: number;
  temporary?: boolean;
}

function query(q: LicenseQuery): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === false) continue;
    p.set(k, v === true ? '1' : String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** Typed calls of the administration routes. */
export class AdminClient {
  constructor(readonly http: JsonClient) {}

  static connect(ref: string | undefined, opts: AccessOptions = {}): AdminClient {
    return new AdminClient(adminHttp(resolveServer(ref, opts)));
  }

  status(): Promise<StatusJson> {
    return this.http.get('/api/v1/admin/status');
  }

  async requestCode(): Promise<string> {
    return (await this.http.get<{ requestCode: string }>('/api/v1/admin/request-code')).requestCode;
  }

  activate(method: string, licenseServerId?: string): Promise<StatusJson> {
    return this.http.post('/api/v1/admin/activate', licenseServerId === undefined ? { method } : { method, licenseServerId });
  }

  deactivate(method = 'internet'): Promise<StatusJson> {
    return this.http.post('/api/v1/admin/deactivate', { method });
  }

  async install(source: Record<string, unknown>): Promise<KeyPackJson> {
    return (await this.http.post<{ keypack: KeyPackJson }>('/api/v1/admin/install', source)).keypack;
  }

  recover(keypackIds?: string[]): Promise<{ installed: KeyPackJson[]; alreadyInstalled: string[] }> {
    return this.http.post('/api/v1/admin/recover', keypackIds ? { keypackIds } : {});
  }

  async keypacks(): Promise<KeyPackJson[]> {
    return (await this.http.get<{ keypacks: KeyPackJson[] }>('/api/v1/admin/keypacks')).keypacks;
  }

  licenses(q: LicenseQuery = {}): Promise<{ total: number; licenses: LicenseJson[] }> {
    return this.http.get(`/api/v1/admin/licenses${query(q)}`);
  }

  revoke(id: number): Promise<{ license: LicenseJson; revokable: number }> {
    return this.http.post(`/api/v1/admin/licenses/${id}/revoke`);
  }

  servers(): Promise<{
    terminalServers: Array<{ name: string; enrolledAt: string; lastSeenAt: string | null; tlsFingerprint: string }>;
    peers: Array<{ name: string; url: string; pinned: boolean }>;
    enrolmentTokens: Array<{ name: string; createdAt: string; expiresAt: string; usedAt: string | null; usedBy: string | null }>;
  }> {
    return this.http.get('/api/v1/admin/servers');
  }

  enrolmentToken(name = '', ttl?: string): Promise<{ token: string; name: string; expiresAt: string }> {
    return this.http.post('/api/v1/admin/enrolments', ttl ? { name, ttl } : { name });
  }

  removeTerminalServer(name: string): Promise<unknown> {
    return this.http.delete(`/api/v1/admin/servers/${encodeURIComponent(name)}`);
  }

  setPeer(name: string, url: string, certificate?: string): Promise<unknown> {
    return this.http.put(`/api/v1/admin/peers/${encodeURIComponent(name)}`, certificate ? { url, certificate } : { url });
  }

  removePeer(name: string): Promise<unknown> {
    return this.http.delete(`/api/v1/admin/peers/${encodeURIComponent(name)}`);
  }

  backup(): Promise<Buffer> {
    return this.http.raw('GET', '/api/v1/admin/backup');
  }

  async restore(bytes: Buffer): Promise<{ licenses: number; keypacks: number }> {
    return JSON.parse((await this.http.raw('POST', '/api/v1/admin/restore', bytes)).toString('utf8')) as { licenses: number; keypacks: number };
  }

  async events(limit = 1000): Promise<Array<{ at: string; eventId: number; level: string; message: string }>> {
    return (await this.http.get<{ events: Array<{ at: string; eventId: number; level: string; message: string }> }>(`/api/v1/admin/events?limit=${limit}`)).events;
  }

  clock(): Promise<{ kind: string; now: string }> {
    return this.http.get('/api/v1/admin/clock');
  }

  advanceClock(by: string): Promise<{ kind: string; now: string }> {
    return this.http.post('/api/v1/admin/clock/advance', { by });
  }

  report(q: { temporary?: boolean; from?: string; to?: string } = {}): Promise<{ server: string; rows: ReportRowJson[] }> {
    return this.http.get(`/api/v1/admin/report${query(q)}`);
  }

  async check(): Promise<string[]> {
    return (await this.http.get<{ problems: string[] }>('/api/v1/admin/check')).problems;
  }
}
