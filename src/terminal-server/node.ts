/**
 * A running terminal server: the TerminalServer, where it finds license servers (one fixed link, or discovery through
 * the directory with DefaultLicenseServer / SpecifiedLicenseServers), its listener, and Internet Connector mode.
 * `rdplic terminal-server` and `rdplic serve` both start one.
 */
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { RandomSource } from '../../protocol/crypto/index.js';
import type { Clock } from '../clock.js';
import { DataFolder } from '../data-folder.js';
import { LicenseServerLocator, parseServiceAddress, isServiceAddress, type Directory, type LicenseServerTarget, type PortRange } from '../discovery/index.js';
import { EventLog } from '../event-log.js';
import { publicKeyDer } from '../license-server/identity.js';
import type { LicenseServerLink } from '../license-server/link.js';
import type { ConnectionLimits } from './connection.js';
import { EnrollingLink } from './enrolling-link.js';
import { FixedLicenseServer, TerminalServer, type LicenseServerSource, type TerminalServerOptions } from './terminal-server.js';

export const DEFAULT_LIMITS: ConnectionLimits = { idleMs: 30_000, licensingMs: 60_000, maxPduSize: 16_384 };

/** How the terminal server finds license servers. */
export type LicenseServerConfig =
  | { kind: 'fixed'; link: LicenseServerLink }
  | {
      kind: 'discovery';
      directory: Directory;
      /** This terminal server's host name in the directory. */
      self: string;
      defaultLicenseServer?: string;
      specifiedLicenseServers?: string[];
      specifiedBy?: 'gp' | 'registry';
      /** Enrolment tokens by license-server URL (servers without one are enrolled openly, if they allow it). */
      tokens?: Record<string, string>;
      /** In-process license servers for `local:NAME` addresses. */
      local?: Record<string, LicenseServerLink>;
      broadcastPorts?: PortRange;
    };

export interface TerminalServerNodeOptions extends Omit<TerminalServerOptions, 'limits'> {
  host: string;
  port: number;
  clock: Clock;
  random: RandomSource;
  licenseServers: LicenseServerConfig;
  limits?: Partial<ConnectionLimits>;
  /** Enable Internet Connector mode at start (it needs a license server with a free token). */
  internetConnector?: boolean;
  log: (line: string) => void;
}

export interface RunningTerminalServer {
  terminalServer: TerminalServer;
  address: AddressInfo;
  locator?: LicenseServerLocator;
  /** Resolves once nothing runs in the background: logon reports, discovery rounds and pings, contacting a license server found. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** Discovery as the terminal server's source of license servers. */
class LocatorSource implements LicenseServerSource {
  constructor(
    readonly locator: LicenseServerLocator,
    private readonly connect: (target: LicenseServerTarget) => LicenseServerLink,
  ) {}
  current(): LicenseServerLink | undefined {
    return this.locator.current();
  }
  reportUnreachable(link: LicenseServerLink): void {
    void this.locator.reportUnreachable(link);
  }
  linkTo(url: string, name: string): LicenseServerLink {
    return this.connect({ name, address: url, how: 'registry' });
  }
}

export async function startTerminalServer(o: TerminalServerNodeOptions): Promise<RunningTerminalServer> {
  const limits = { ...DEFAULT_LIMITS, ...o.limits };
  const options: TerminalServerOptions = { ...o, limits };
  const cfg = o.licenseServers;
  let locator: LicenseServerLocator | undefined;
  let source: LicenseServerSource;
  let terminalServer: TerminalServer;
  if (cfg.kind === 'fixed') {
    source = new FixedLicenseServer(cfg.link);
    terminalServer = new TerminalServer(options, o.clock, o.random, source, o.log);
  } else {
    const links = new DataFolder(join(o.dataDir, 'links'));
    const tsKey = publicKeyDer(new DataFolder(o.dataDir).rsaKey('terminal-server.key').key);
    const made = new Map<string, LicenseServerLink>();
    const connect = (target: LicenseServerTarget): LicenseServerLink => {
      const address = parseServiceAddress(target.address);
      if (!isServiceAddress(address)) throw new Error(`license server ${target.name}: ${address.problem}`);
      const known = made.get(address.key);
      if (known) return known;
      let link: LicenseServerLink;
      if (address.kind === 'local') {
        const local = cfg.local?.[address.text.slice('local:'.length)];
        if (!local) throw new Error(`no in-process license server "${address.text}"`);
        link = local;
      } else {
        const url = address.kind === 'url' ? address.text.replace(/\/$/, '') : `https://${address.text}`;
        link = new EnrollingLink(url, links, { name: o.name, publicKeyDer: tsKey }, cfg.tokens?.[url]);
      }
      made.set(address.key, link);
      return link;
    };
    const events = new EventLog('TermService', () => o.clock.now());
    locator = new LicenseServerLocator({
      directory: cfg.directory,
      self: cfg.self,
      clock: o.clock,
      events,
      connect,
      defaultLicenseServer: cfg.defaultLicenseServer,
      specifiedLicenseServers: cfg.specifiedLicenseServers,
      specifiedBy: cfg.specifiedBy,
      broadcast: cfg.broadcastPorts ? { ports: cfg.broadcastPorts } : undefined,
      random: o.random,
      log: (line) => o.log(line),
    });
    source = new LocatorSource(locator, connect);
    terminalServer = new TerminalServer(options, o.clock, o.random, source, o.log, events);
    const ts = terminalServer;
    // Whenever a license server is found (discovery pinged it): the grace period ends (forfeited when this happens at the
    // start); then its certificates are trusted and our certificate is got from it.
    locator.on('found', () => {
      ts.grace.licenseServerFound();
      void ts.track(ts.connectLicenseServer());
    });
    await locator.start();
    // The license server found at the start is contacted before clients are accepted (the grace period is forfeited).
    await ts.idle();
  }
  let address: AddressInfo;
  try {
    if (cfg.kind === 'fixed') await terminalServer.connectLicenseServer();
    // No Internet Connector token free (there is no temporary one), or no license server: the terminal server does not start.
    if (o.internetConnector) await terminalServer.enableInternetConnector();
    address = await terminalServer.listen(o.host, o.port);
  } catch (e) {
    await terminalServer.close();
    await locator?.stop();
    throw e;
  }
  o.log(
    `terminal server ${o.name} listening on ${address.address}:${address.port} (security ${o.security}, certificate ${o.certificate}, license policy ${o.licensePolicy}${terminalServer.internetConnector ? ', Internet Connector' : ''})`,
  );
  return {
    terminalServer,
    address,
    locator,
    async idle() {
      // Each can start work in the other (a round finds a license server, which is then contacted; a failed contact
      // starts a round): let both settle a few times over.
      for (let i = 0; i < 5; i++) {
        await locator?.idle();
        await terminalServer.idle();
      }
    },
    async close() {
      await terminalServer.close();
      await locator?.stop();
    },
  };
}
