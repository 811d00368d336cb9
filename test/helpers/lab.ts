/**
 * The end-to-end lab: a whole licensing deployment on 127.0.0.1 and ONE SimulatedClock.
 *  - a clearinghouse (in process) that activates license servers and sells them key packs;
 *  - license servers, each a LicenseServerNode (SQLite in a temp folder) behind its real HTTPS API, which can be stopped
 *    and started again on the same port ("a license server stopped mid-run");
 *  - terminal servers (startTerminalServer) that find them by discovery through an emulated directory, enrol over HTTPS
 *    with a one-time token, and license real client devices over TCP;
 *  - client devices: the ClientDevice library, or `rdplic client` as a child process, each with its own .reg registry.
 * Protocol timers move only with `lab.clock`; nothing here sleeps.
 */
import type { Test } from 'tap';
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { seededRandom } from '../../protocol/crypto/index.js';
import { HOUR, SimulatedClock } from '../../src/clock.js';
import { ClearinghouseNode } from '../../src/clearinghouse/node.js';
import type { KeyPackKind } from '../../src/clearinghouse/codes.js';
import { ClientDevice, type ClientConnectResult, type SecurityChoice } from '../../src/client/index.js';
import { parseDirectory, type DirectoryData } from '../../src/discovery/directory.js';
import { DiscoveryResponder } from '../../src/discovery/responder.js';
import type { PortRange } from '../../src/discovery/ports.js';
import type { LoggedEvent } from '../../src/event-log.js';
import { LicenseServerAccess } from '../../src/license-server/access.js';
import { startLicenseServerApi, type RunningLicenseServerApi } from '../../src/license-server/api.js';
import type { LicenseServerOptions } from '../../src/license-server/license-server.js';
import { cryptoRandom } from '../../src/crypto-random.js';
import { LicenseServerNode } from '../../src/license-server/node.js';
import type { LicenseFilter } from '../../src/license-server/store.js';
import type { LicenseRecord } from '../../src/license-server/types.js';
import type { ConnectionLimits } from '../../src/terminal-server/connection.js';
import { startTerminalServer, type RunningTerminalServer } from '../../src/terminal-server/node.js';
import type { FinishedConnection, TerminalServer } from '../../src/terminal-server/terminal-server.js';
import { RDPLIC, rdplic } from './cli.js';
import { tempDir } from './license-server.js';
import { freePortRange } from '../src/discovery/helpers.js';

export const START = new Date(Date.UTC(2027, 0, 4, 9, 0, 0));
export const W2000 = { major: 5, minor: 0 };

/** PlatformIds of the licensing request: NT 4.0 gets TS CALs; Windows 2000 Professional and later get built-in tokens. */
export const PLATFORM = { nt4: 0x02010000, win2000: 0x03010000, xp: 0x04010000 } as const;

/** The seed's event texts ("System Logs and the Event Viewer"), with %1, %2 filled in by the caller. */
export const SEED_TEXT = {
  1000: (user: string, domain: string) => `Unable to acquire a license for user '${user}', domain '${domain}'.`,
  1003: (client: string) => `The terminal service client '${client}' has provided an invalid license.`,
  1004: () => 'The terminal server cannot issue a client license.',
  1007: () => 'Unable to log in the Internet user as TSInternetUser.  If the problem is not corrected in 20 minutes, delete the account and run Setup again.',
  1008: (days = 90) =>
    `The terminal services licensing grace period has expired and the service has not registered with a license server.  A terminal services license server is required for continuous operation.  A terminal server can operate without a license server for ${days} days after initial start up.`,
  1009: (date: string, days = 90) =>
    `The terminal services licensing grace period is about to expire on ${date} and the service has not registered with a license server.  A terminal services license server is required for continuous operation.  A terminal server can operate without a license server for ${days} days after initial start up.`,
  1010: () =>
    'The terminal services could not locate a license server. Confirm that all license servers on the network are registered in WINS\\DNS, accepting network requests, and the Terminal Services Licensing Service is running.',
  1011: (client: string) => `The terminal services client ${client} has been disconnected because its temporary license has expired.`,
} as const;

export interface LicenseServerSpec {
  /** Domain or workgroup (default CORP). */
  scope?: string;
  /** Activate through the clearinghouse (default true). */
  activate?: boolean;
  /** TS CALs (per-device) to install (default 0). */
  cals?: number;
  /** Internet Connector tokens to install (default 0). */
  internetConnector?: number;
  options?: Partial<LicenseServerOptions>;
  /** Terminal servers may enrol without a token. */
  openEnrolment?: boolean;
}

export class LabLicenseServer {
  api?: RunningLicenseServerApi;
  url = '';
  /** One line per HTTPS request the API served. */
  readonly requests: string[] = [];

  constructor(
    readonly lab: Lab,
    readonly node: LicenseServerNode,
  ) {}

  get name(): string {
    return this.node.server.name;
  }

  get running(): boolean {
    return this.api !== undefined;
  }

  /** Starts the HTTPS API (again on the same port after a stop). */
  async start(): Promise<void> {
    if (this.api) return;
    const port = this.url ? Number(new URL(this.url).port) : 0;
    this.api = await startLicenseServerApi(this.node, { host: '127.0.0.1', port, log: (l) => this.requests.push(l) });
    this.url = this.api.url;
  }

  /** Stops the service: its API no longer answers (the database stays). */
  async stop(): Promise<void> {
    const api = this.api;
    this.api = undefined;
    await api?.close();
  }

  /** A one-time enrolment token for terminal server `ts`, as `rdplic admin enrol` makes. */
  enrolmentToken(ts: string): string {
    // The administrator makes it on the license server's own machine: it works while the service is stopped too.
    const access = this.api?.access ?? new LicenseServerAccess(this.node, async () => []);
    return access.createEnrolmentToken(ts, HOUR).token;
  }

  /** Buys `quantity` tokens of `kind` from the clearinghouse and installs the key pack. */
  install(kind: KeyPackKind, quantity: number): void {
    const ch = this.lab.clearinghouse.clearinghouse;
    const id = this.node.activation.state.licenseServerId;
    if (!id) throw new Error(`license server ${this.name} is not activated`);
    const sale = ch.purchase({ program: 'retail', kind, quantity, version: W2000 });
    if (!('licenseCode' in sale)) throw new Error('a retail purchase gives a License Code');
    const kp = ch.installKeyPack(id, { licenseCode: sale.licenseCode });
    this.node.activation.installKeyPack(kp.keypackId, sale.licenseCode);
  }

  licenses(filter: LicenseFilter = {}): LicenseRecord[] {
    return this.node.store.licenses(filter);
  }

  /** How many token requests terminal servers made (POST /api/v1/ts/licenses). */
  get licenseRequests(): number {
    return this.requests.filter((l) => / POST \/api\/v1\/ts\/licenses /.test(l)).length;
  }

  /** Free per-device CALs, as the admin API reports them (what expired by now is returned to the pool first). */
  get freeCals(): number {
    this.node.server.sweep();
    return this.node.store.freeCount('per-device', W2000);
  }
}

export interface TerminalServerSpec {
  /** The directory (this terminal server must be one of its hosts). */
  directory: Partial<DirectoryData> & Pick<DirectoryData, 'hosts'>;
  defaultLicenseServer?: string;
  specifiedLicenseServers?: string[];
  graceDays?: number;
  holdSessions?: boolean;
  internetUserAccountOk?: boolean;
  internetConnector?: boolean;
  security?: 'negotiate' | 'rdp' | 'tls';
  /** Broadcast ports for workgroup discovery (default: a free range of this lab). */
  broadcastPorts?: PortRange;
  /** Enrol with a one-time token an administrator made (default), or without (the license server must allow open enrolment). */
  enrolWithToken?: boolean;
  limits?: Partial<ConnectionLimits>;
}

export class LabTerminalServer {
  readonly finished: FinishedConnection[] = [];

  constructor(
    readonly running: RunningTerminalServer,
    readonly logs: string[],
  ) {
    running.terminalServer.onFinished((f) => this.finished.push(f));
  }

  get ts(): TerminalServer {
    return this.running.terminalServer;
  }

  get port(): number {
    return this.running.address.port;
  }

  get name(): string {
    return this.ts.options.name;
  }

  /** The events the terminal server logged with this id. */
  events(id: number): LoggedEvent[] {
    return this.ts.events.events.filter((e) => e.eventId === id);
  }

  /** The license server discovery uses now (its URL), if any. */
  get currentLicenseServer(): string | undefined {
    return this.running.locator?.current()?.target;
  }

  idle(): Promise<void> {
    return this.running.idle();
  }
}

export interface DeviceSpec {
  /** Default nt4: a device that needs a TS CAL. */
  platform?: keyof typeof PLATFORM;
  logon?: 'ok' | 'fail';
  security?: SecurityChoice;
  user?: string;
}

export class LabDevice {
  constructor(
    readonly lab: Lab,
    readonly name: string,
    readonly registry: string,
    readonly spec: DeviceSpec,
  ) {}

  get user(): string {
    return this.spec.user ?? `${this.name.toLowerCase()}-user`;
  }

  /** One connection through the ClientDevice library; waits for the terminal server's background work (the logon report). */
  async connect(ts: LabTerminalServer, opts: { hold?: Promise<unknown> } = {}): Promise<ClientConnectResult> {
    const device = new ClientDevice({
      registry: this.registry,
      userName: this.user,
      machineName: this.name,
      domain: 'CORP',
      ...(this.spec.logon === 'fail' ? {} : { password: 'secret' }),
      platformId: PLATFORM[this.spec.platform ?? 'nt4'],
      security: this.spec.security ?? 'negotiate',
      timeoutMs: 60_000,
      ...(opts.hold ? { hold: opts.hold } : {}),
    });
    const r = await device.connect('127.0.0.1', ts.port);
    await ts.idle();
    return r;
  }

  private cliArgs(ts: LabTerminalServer, more: string[]): string[] {
    const args = ['client', '--connect', `127.0.0.1:${ts.port}`, '--registry', this.registry, '--user', this.user, '--machine', this.name, '--domain', 'CORP'];
    args.push('--platform-id', PLATFORM[this.spec.platform ?? 'nt4'].toString(16).padStart(8, '0'));
    if (this.spec.logon === 'fail') args.push('--logon', 'fail');
    if (this.spec.security) args.push('--security', this.spec.security);
    return [...args, '--json', ...more];
  }

  /** The same device through `rdplic client --json` (a child process, as a user runs it). */
  async cli(ts: LabTerminalServer, ...more: string[]): Promise<CliResult> {
    const run = await rdplic(this.cliArgs(ts, more));
    await ts.idle();
    return cliResult(run.code, run.stdout, run.stderr);
  }

  /** `rdplic client` started in the background (e.g. with --hold); `pid` to signal it. */
  cliProcess(ts: LabTerminalServer, ...more: string[]): { pid: number; result: Promise<CliResult> } {
    const p = spawn(process.execPath, [RDPLIC, ...this.cliArgs(ts, more)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const result = new Promise<CliResult>((resolve, reject) => {
      p.on('error', reject);
      p.on('close', (code) => {
        try {
          resolve(cliResult(code, stdout, stderr));
        } catch (e) {
          reject(e);
        }
      });
    });
    this.lab.onClose(() => {
      if (p.exitCode === null && p.signalCode === null) process.kill(p.pid!, 'SIGKILL');
    });
    return { pid: p.pid!, result };
  }
}

export type CliResult = ClientConnectResult & { exit: number | null; stderr: string };

function cliResult(exit: number | null, stdout: string, stderr: string): CliResult {
  let parsed: ClientConnectResult;
  try {
    parsed = JSON.parse(stdout) as ClientConnectResult;
  } catch {
    throw new Error(`rdplic client printed no JSON (exit ${exit}): ${stdout}${stderr}`);
  }
  return { ...parsed, exit, stderr };
}

export class Lab {
  readonly clock = new SimulatedClock(START);
  readonly dir = tempDir('rdplic-e2e-');
  readonly licenseServers: LabLicenseServer[] = [];
  private ch?: ClearinghouseNode;
  private readonly closers: Array<() => Promise<void> | void> = [];
  private readonly logs: string[] = [];
  private ports?: PortRange;

  constructor(t: Test) {
    t.teardown(() => this.close(t));
  }

  get clearinghouse(): ClearinghouseNode {
    this.ch ??= new ClearinghouseNode({ dataDir: join(this.dir, 'clearinghouse'), clock: this.clock });
    return this.ch;
  }

  /** A free UDP port range for this lab's workgroup broadcasts (so parallel test files never meet). */
  async broadcastPorts(): Promise<PortRange> {
    this.ports ??= await freePortRange(4);
    return this.ports;
  }

  private log(line: string): void {
    this.logs.push(`${this.clock.now().toISOString()} ${line}`);
  }

  async licenseServer(name: string, spec: LicenseServerSpec = {}): Promise<LabLicenseServer> {
    const node = new LicenseServerNode({
      dataDir: join(this.dir, `ls-${name}`),
      name,
      scope: spec.scope ?? 'CORP',
      clock: this.clock,
      // Repeatable CAL expiries (52-89 days) from one run to the next.
      random: seededRandom(this.licenseServers.length + 1),
      options: spec.options,
    });
    const ls = new LabLicenseServer(this, node);
    this.licenseServers.push(ls);
    this.closers.push(async () => {
      await ls.stop();
      node.close();
    });
    if (spec.activate ?? true) {
      const a = this.clearinghouse.clearinghouse.activateOnline({ publicKeyDer: node.publicKeyDer, name, scope: node.keys.scope });
      node.activation.complete(a.licenseServerId, 'internet', a.certificates);
    }
    if (spec.cals) ls.install('per-device', spec.cals);
    if (spec.internetConnector) ls.install('internet-connector', spec.internetConnector);
    if (spec.openEnrolment) node.store.setSetting('open_enrolment', 'on');
    node.server.events.addSink({ write: (e) => this.log(`${name} event ${e.eventId}: ${e.message}`) });
    await ls.start();
    return ls;
  }

  /** A discovery responder for `ls` in workgroup `scope`, on this lab's broadcast ports. */
  async responder(ls: LabLicenseServer, scope = 'WORKGROUP'): Promise<DiscoveryResponder> {
    const r = new DiscoveryResponder({ name: ls.name, scope, address: ls.url, ports: await this.broadcastPorts() });
    await r.start();
    this.closers.push(() => r.stop());
    return r;
  }

  /**
   * A terminal server named `name` (a host of the directory). It has a one-time enrolment token for every license server
   * of the lab, and enrols with those it finds.
   */
  async terminalServer(name: string, spec: TerminalServerSpec): Promise<LabTerminalServer> {
    const tokens: Record<string, string> = {};
    if (spec.enrolWithToken ?? true) for (const ls of this.licenseServers) tokens[ls.url] = ls.enrolmentToken(name);
    const logs: string[] = [];
    const running = await startTerminalServer({
      name,
      dataDir: join(this.dir, `ts-${name}`),
      host: '127.0.0.1',
      port: 0,
      security: spec.security ?? 'negotiate',
      certificate: 'x509',
      licensePolicy: 'issue',
      product: W2000,
      graceDays: spec.graceDays ?? 90,
      renewalWindowDays: 7,
      holdSessions: spec.holdSessions ?? false,
      perUser: false,
      internetUserAccountOk: spec.internetUserAccountOk ?? true,
      internetConnector: spec.internetConnector,
      ...(spec.limits ? { limits: spec.limits } : {}),
      clock: this.clock,
      random: cryptoRandom,
      licenseServers: {
        kind: 'discovery',
        directory: parseDirectory({ domains: [], sites: [], workgroups: [], ...spec.directory }),
        self: name,
        defaultLicenseServer: spec.defaultLicenseServer,
        specifiedLicenseServers: spec.specifiedLicenseServers,
        tokens,
        broadcastPorts: spec.broadcastPorts ?? (await this.broadcastPorts()),
      },
      log: (line) => {
        logs.push(line);
        this.log(`${name} ${line}`);
      },
    });
    this.closers.push(() => running.close());
    return new LabTerminalServer(running, logs);
  }

  /** Runs `fn` when the lab is torn down (before the servers stop). */
  onClose(fn: () => Promise<void> | void): void {
    this.closers.push(fn);
  }

  device(name: string, spec: DeviceSpec = {}): LabDevice {
    return new LabDevice(this, name, join(this.dir, `${name}.reg`), spec);
  }

  /** Moves the one clock forward and lets every terminal server finish what its timers started. */
  async advance(ms: number, ...servers: LabTerminalServer[]): Promise<void> {
    this.clock.advance(ms);
    for (const s of servers) await s.idle();
  }

  async set(to: Date, ...servers: LabTerminalServer[]): Promise<void> {
    this.clock.set(to);
    for (const s of servers) await s.idle();
  }

  private async close(t: Test): Promise<void> {
    for (const c of this.closers.reverse()) await c();
    this.ch?.close();
    if (t.passing()) {
      rmSync(this.dir, { recursive: true, force: true });
    } else {
      // Kept for a look: the data folders, the registries and the log of every role.
      const file = join(this.dir, 'lab.log');
      writeFileSync(file, this.logs.join('\n') + '\n');
      t.comment(`lab log: ${file}`);
    }
  }
}

/**
 * A domain CORP: domain controller DC0 without the licensing service, then one domain controller per license server
 * (named as the license server), and the terminal servers as members.
 */
export function corpDomain(terminalServers: string[], licenseServers: LabLicenseServer[]): TerminalServerSpec['directory'] {
  return {
    domains: [{ name: 'CORP', domainControllers: ['DC0', ...licenseServers.map((l) => l.name)] }],
    hosts: [
      { name: 'DC0', domain: 'CORP' },
      ...licenseServers.map((l) => ({ name: l.name, domain: 'CORP', licenseServer: l.url })),
      ...terminalServers.map((name) => ({ name, domain: 'CORP' })),
    ],
  };
}

/** A promise with its resolve function outside (to end holds). */
export function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}
