/**
 * `rdplic serve`: every role in one process — a clearinghouse, a license server activated by it (with a starter key
 * pack on first start), and a terminal server on TCP that real RDP clients license against. Everything lives in one data
 * folder: clearinghouse/, license-server/, terminal-server/.
 */
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { RdpEncryptionMethod, SecurityPolicy } from '../protocol/rdp/index.js';
import { SimulatedClock, systemClock, type Clock } from './clock.js';
import type { Clearinghouse } from './clearinghouse/clearinghouse.js';
import { ClearinghouseNode } from './clearinghouse/node.js';
import { DataFolder } from './data-folder.js';
import { startLicenseServerApi, type RunningLicenseServerApi } from './license-server/api.js';
import type { LicenseServerOptions } from './license-server/license-server.js';
import type { LocalLink } from './license-server/link.js';
import { cryptoRandom } from './crypto-random.js';
import { LicenseServerNode } from './license-server/node.js';
import { startTerminalServer } from './terminal-server/node.js';
import type { TerminalServer } from './terminal-server/terminal-server.js';

export interface ServeOptions {
  dataDir: string;
  host: string;
  port: number;
  security: SecurityPolicy;
  encryptionMethod?: RdpEncryptionMethod;
  certificate: 'x509' | 'proprietary';
  licensePolicy: 'issue' | 'valid-client';
  clock: 'system' | 'simulated';
  /** Start of a simulated clock. */
  clockStart?: Date;
  /** TS CALs in the key pack installed on first start (0: none). */
  cals: number;
  licenseServer: Partial<LicenseServerOptions>;
  graceDays: number;
  holdSessions: boolean;
  accounts?: Map<string, string>;
  /** Where the license server's HTTPS API listens (for rdplic admin and lsreport); undefined: no API. */
  api?: { host: string; port: number };
  internetConnector?: boolean;
  name: string;
  scope: string;
  log: (line: string) => void;
}

export const SERVE_DEFAULTS: Omit<ServeOptions, 'log'> = {
  dataDir: './data',
  host: '127.0.0.1',
  port: 3389,
  security: 'negotiate',
  certificate: 'x509',
  licensePolicy: 'issue',
  clock: 'system',
  cals: 10,
  licenseServer: {},
  graceDays: 90,
  holdSessions: false,
  name: 'RDPLIC',
  scope: 'WORKGROUP',
  api: { host: '127.0.0.1', port: 0 },
};

export interface Serving {
  address: AddressInfo;
  clock: Clock;
  licenseServer: LicenseServerNode;
  link: LocalLink;
  terminalServer: TerminalServer;
  clearinghouse: Clearinghouse;
  api?: RunningLicenseServerApi;
  close(): Promise<void>;
}

/** On first start: activate the license server through the clearinghouse and install a key pack of TS CALs. */
function firstStart(ls: LicenseServerNode, ch: Clearinghouse, cals: number, log: (line: string) => void): void {
  if (ls.activation.state.licenseServerId) return;
  const activation = ch.activateOnline({ publicKeyDer: ls.publicKeyDer, name: ls.keys.name, scope: ls.keys.scope });
  ls.activation.complete(activation.licenseServerId, 'internet', activation.certificates);
  log(`license server activated: License Server ID ${activation.licenseServerId}`);
  if (cals <= 0) return;
  const sale = ch.purchase({ program: 'retail', kind: 'per-device', quantity: cals, version: { major: 5, minor: 0 } });
  if (!('licenseCode' in sale)) return;
  const kp = ch.installKeyPack(activation.licenseServerId, { licenseCode: sale.licenseCode });
  ls.activation.installKeyPack(kp.keypackId, sale.licenseCode);
  log(`installed ${cals} TS CALs (License Code ${sale.licenseCode}, Key Pack ID ${kp.keypackId})`);
}

export async function startServe(o: ServeOptions): Promise<Serving> {
  const clock: Clock = o.clock === 'simulated' ? new SimulatedClock(o.clockStart ?? new Date()) : systemClock;
  const folder = new DataFolder(o.dataDir);
  const ch = new ClearinghouseNode({ dataDir: join(folder.path, 'clearinghouse'), clock });
  const licenseServer = new LicenseServerNode({
    dataDir: join(folder.path, 'license-server'),
    name: `${o.name}-LS`,
    scope: o.scope,
    clock,
    options: o.licenseServer,
  });
  firstStart(licenseServer, ch.clearinghouse, o.cals, o.log);
  const api = o.api ? await startLicenseServerApi(licenseServer, { ...o.api }) : undefined;
  if (api) {
    new DataFolder(licenseServer.folder.path).writeJson('endpoint.json', { name: licenseServer.server.name, url: api.url });
    o.log(`license server ${licenseServer.server.name} API on ${api.url} (rdplic admin --data ${licenseServer.folder.path} ...)`);
  }
  const link = licenseServer.localLink();
  const running = await startTerminalServer({
    name: o.name,
    dataDir: join(folder.path, 'terminal-server'),
    host: o.host,
    port: o.port,
    security: o.security,
    encryptionMethod: o.encryptionMethod,
    certificate: o.certificate,
    licensePolicy: o.licensePolicy,
    product: { major: 5, minor: 0 },
    graceDays: o.graceDays,
    renewalWindowDays: licenseServer.server.options.renewalWindowDays,
    holdSessions: o.holdSessions,
    accounts: o.accounts,
    perUser: false,
    internetUserAccountOk: true,
    internetConnector: o.internetConnector,
    clock,
    random: cryptoRandom,
    licenseServers: { kind: 'fixed', link },
    log: o.log,
  });
  if (clock instanceof SimulatedClock) o.log(`simulated clock at ${clock.now().toISOString()} (rdplic admin --data ${licenseServer.folder.path} clock advance 30d)`);
  return {
    address: running.address,
    clock,
    licenseServer,
    link,
    terminalServer: running.terminalServer,
    clearinghouse: ch.clearinghouse,
    api,
    async close() {
      await running.close();
      await api?.close();
      licenseServer.close();
      ch.close();
    },
  };
}
