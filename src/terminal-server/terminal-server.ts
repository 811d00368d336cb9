/**
 * The terminal server (seed: "Terminal Server", "Client Device Licensing", "Terminal Services Internet Connector
 * Licensing"): a TCP listener running one RdpConnection per client, the licensing rules of licensing-policy.ts, the
 * grace period, Internet Connector mode, the emulated logon and its report to the license server, and event log 1000–1011.
 */
import { createServer, type AddressInfo, type Server } from 'node:net';
import { buildProprietaryCertificate, serverCertificateBytes, x509CertificateChain, encodeServerCertificate } from '../../protocol/certificates/index.js';
import { rsaPublicPart, type RandomSource, type RsaPrivateKey, type RsaPublicKey } from '../../protocol/crypto/index.js';
import { ERR_INVALID_CLIENT } from '../../protocol/licensing/index.js';
import type { ClientInfo, RdpEncryptionMethod, SecurityPolicy } from '../../protocol/rdp/index.js';
import type { ServerOutcome } from '../../protocol/session/index.js';
import { Writer } from '../../protocol/wire/index.js';
import type { Clock } from '../clock.js';
import { DataFolder } from '../data-folder.js';
import { EventLog } from '../event-log.js';
import { publicKeyDer } from '../license-server/identity.js';
import type { LicenseServerLink } from '../license-server/link.js';
import type { ProductVersion } from '../license-server/types.js';
import { httpsIdentity, type HttpsIdentity } from '../http/tls-certificates.js';
import { RdpConnection, type ConnectionLimits } from './connection.js';
import { TS_EVENTS } from './events.js';
import { GracePeriod, type GraceState } from './grace-period.js';
import type { LicensingContext, LicensingNote } from './licensing-policy.js';
import { certificateKey, type TrustAnchors } from './presented-license.js';

/** Where the terminal server finds license servers: one fixed link, or discovery. */
export interface LicenseServerSource {
  current(): LicenseServerLink | undefined;
  reportUnreachable(link: LicenseServerLink): void;
  /** A link to a peer named in a redirect. */
  linkTo(url: string, name: string): LicenseServerLink;
}

/** A source that always answers with the same link (`rdplic serve`, or a configured license server). */
export class FixedLicenseServer implements LicenseServerSource {
  constructor(
    private readonly link: LicenseServerLink | undefined,
    private readonly connect: (url: string, name: string) => LicenseServerLink = () => {
      throw new Error('redirects are not supported here');
    },
  ) {}
  current(): LicenseServerLink | undefined {
    return this.link;
  }
  reportUnreachable(): void {}
  linkTo(url: string, name: string): LicenseServerLink {
    return this.connect(url, name);
  }
}

export interface TerminalServerOptions {
  /** The terminal server's name (CN of its certificate, its name at the license server). */
  name: string;
  dataDir: string;
  security: SecurityPolicy;
  encryptionMethod?: RdpEncryptionMethod;
  /** The certificate in the LICENSE_REQUEST: an X.509 chain [license server, terminal server] (default) or proprietary. */
  certificate: 'x509' | 'proprietary';
  /** `issue`: full licensing; `valid-client`: STATUS_VALID_CLIENT at once, as xrdp does. */
  licensePolicy: 'issue' | 'valid-client';
  product: ProductVersion;
  graceDays: number;
  renewalWindowDays: number;
  /** Keep the connection open after licensing until the client leaves (counts toward Internet Connector's 200). */
  holdSessions: boolean;
  /** Emulated logon: user → password. Without it, any user with a non-empty password logs on. */
  accounts?: Map<string, string>;
  /** Per-user licensing mode: sign-ins are reported to the license server (tracked, not enforced). */
  perUser: boolean;
  /** Whether the TSInternetUser account works (event 1007 when it does not). */
  internetUserAccountOk: boolean;
  limits: ConnectionLimits;
}

function keysOf(certificates: Buffer[]): RsaPublicKey[] {
  return certificates.map(certificateKey).filter((k): k is RsaPublicKey => k !== undefined);
}

/** How one connection's licensing ended. */
export interface FinishedConnection {
  id: number;
  client: ClientInfo;
  outcome: ServerOutcome;
  note?: LicensingNote;
  logon: string;
}

export const INTERNET_CONNECTOR_LIMIT = 200;
export const INTERNET_USER = 'TSInternetUser';

interface StoredState {
  grace?: GraceState;
  /** DER certificates of license servers and roots seen, base64: licenses they signed stay valid without them. */
  trusted?: string[];
  /** The X.509 chain the license server issued for us, base64 DER (root first). */
  chain?: string[];
  internetConnector?: { licenseId: number } | null;
}

export class TerminalServer {
  readonly events: EventLog;
  readonly key: RsaPrivateKey;
  /** The certificate of RDP over TLS: made on first start (tls.key 0600, tls.crt), kept in the data folder. */
  readonly tls: HttpsIdentity;
  readonly grace: GracePeriod;
  readonly certificates: { proprietary: Buffer; licensing: Buffer };
  readonly licensingContext: LicensingContext;
  internetConnector: { licenseId: number } | null;
  private readonly folder: DataFolder;
  private readonly connections = new Set<RdpConnection>();
  private server?: Server;
  private nextId = 1;
  private finishedListeners: Array<(f: FinishedConnection) => void> = [];
  private state: StoredState;
  private trusted: Buffer[];
  /** The keys of `trusted`, kept with it. */
  private trustedKeys: RsaPublicKey[];
  /** Work that runs after a connection's licensing (logon reports) or after discovery (contacting a license server found). */
  private readonly background = new Set<Promise<unknown>>();

  constructor(
    readonly options: TerminalServerOptions,
    readonly clock: Clock,
    readonly random: RandomSource,
    readonly source: LicenseServerSource,
    readonly log: (line: string) => void,
    /** Its event log (source TermService); made here unless discovery, which logs 1010 into it, needs it first. */
    events: EventLog = new EventLog('TermService', () => clock.now()),
  ) {
    this.folder = new DataFolder(options.dataDir);
    this.events = events;
    this.events.addSink({ write: (e) => log(`event ${e.eventId} ${e.level}: ${e.message}`) });
    this.key = this.folder.rsaKey('terminal-server.key').key;
    this.tls = httpsIdentity(this.folder, options.name, 'terminal server', 'tls');
    this.state = this.folder.readJson<StoredState>('terminal-server.json') ?? {};
    this.trusted = (this.state.trusted ?? []).map((c) => Buffer.from(c, 'base64'));
    this.trustedKeys = keysOf(this.trusted);
    this.internetConnector = this.state.internetConnector ?? null;
    this.grace = new GracePeriod(clock, this.events, options.graceDays, this.state.grace ?? {}, (g) => this.save({ grace: g }));
    const proprietary = new Writer();
    encodeServerCertificate(proprietary, buildProprietaryCertificate(rsaPublicPart(this.key)));
    this.certificates = { proprietary: proprietary.toBuffer(), licensing: proprietary.toBuffer() };
    if (options.certificate === 'x509' && this.state.chain) this.certificates.licensing = this.x509Chain(this.state.chain.map((c) => Buffer.from(c, 'base64')));
    const trust: TrustAnchors = { keys: () => this.trustedKeys };
    this.licensingContext = {
      name: options.name,
      clock,
      events: this.events,
      grace: this.grace,
      product: options.product,
      trust,
      renewalWindowDays: options.renewalWindowDays,
      licenseServer: () => source.current(),
      linkTo: (url, name) => source.linkTo(url, name),
      reportUnreachable: (link) => source.reportUnreachable(link),
      licensingOff: () => options.licensePolicy === 'valid-client' || this.internetConnector !== null,
    };
  }

  private save(patch: Partial<StoredState>): void {
    this.state = { ...this.state, ...patch };
    this.folder.writeJson('terminal-server.json', this.state);
  }

  private x509Chain(certs: Buffer[]): Buffer {
    return serverCertificateBytes(x509CertificateChain(certs));
  }

  /**
   * Contacts the license server: learns the keys whose licenses to trust and gets this terminal server's certificate
   * (the last of the X.509 chain sent to clients). A license server found here, at the start, forfeits the grace period.
   */
  async connectLicenseServer(): Promise<boolean> {
    const link = this.source.current();
    if (!link) return false;
    try {
      const status = await link.ping();
      this.trust(status.certificates);
      if (this.options.certificate === 'x509') {
        const ts = await link.terminalServerCertificate(this.options.name, publicKeyDer(this.key));
        const chain = [...status.certificates, ts];
        this.certificates.licensing = this.x509Chain(chain);
        this.save({ chain: chain.map((c) => c.toString('base64')) });
      }
      this.grace.licenseServerFound();
      return true;
    } catch (e) {
      this.log(`license server ${link.target} is not reachable: ${(e as Error).message}`);
      this.source.reportUnreachable(link);
      return false;
    }
  }

  /** Adds certificates (license servers and the roots above them) whose licenses this terminal server accepts. */
  trust(certificates: Buffer[]): void {
    const known = new Set(this.trusted.map((c) => c.toString('base64')));
    const added = certificates.filter((c) => !known.has(c.toString('base64')));
    if (added.length === 0) return;
    this.trusted.push(...added);
    this.trustedKeys.push(...keysOf(added));
    this.save({ trusted: this.trusted.map((c) => c.toString('base64')) });
  }

  async listen(host: string, port: number): Promise<AddressInfo> {
    const server = createServer({ noDelay: true }, (socket) => {
      const conn = new RdpConnection(this.nextId++, socket, this, this.options.limits);
      this.connections.add(conn);
      this.log(`conn#${conn.id} accepted from ${socket.remoteAddress}:${socket.remotePort}`);
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    server.on('error', (e) => this.log(`listener error: ${e.message}`));
    return server.address() as AddressInfo;
  }

  get activeConnections(): number {
    return this.connections.size;
  }

  /** Called when a client's Client Info arrives: starts the grace period; refuses the 201st Internet Connector connection. */
  admit(conn: RdpConnection): { errorCode: number; reason: string } | undefined {
    this.grace.clientConnected();
    if (this.internetConnector === null) return undefined;
    const counted = [...this.connections].filter((c) => c.counted && !c.closed).length;
    if (counted >= INTERNET_CONNECTOR_LIMIT) {
      return { errorCode: ERR_INVALID_CLIENT, reason: `Internet Connector: all ${INTERNET_CONNECTOR_LIMIT} connections are in use` };
    }
    conn.counted = true;
    return undefined;
  }

  /**
   * The emulated logon after licensing (there is no Winlogon here): a user with a non-empty password logs on, checked
   * against the accounts when there are some. In Internet Connector mode everyone logs on as TSInternetUser. A successful
   * logon is reported to the license server, which validates the device's temporary token (post-logon issuance).
   */
  logon(info: ClientInfo, password: string, note: LicensingNote | undefined): string {
    if (this.internetConnector !== null) {
      if (!this.options.internetUserAccountOk) {
        this.events.log(TS_EVENTS.INTERNET_USER_LOGON_FAILED);
        return 'failed (TSInternetUser)';
      }
      return `ok as ${INTERNET_USER}`;
    }
    const accounts = this.options.accounts;
    const ok = info.userName !== '' && password !== '' && (!accounts || accounts.get(info.userName.toLowerCase()) === password);
    if (!ok) return 'failed';
    const link = this.source.current();
    if (link && note?.hwid && note.kind === 'temporary') {
      this.track(link.reportLogon(note.hwid).catch((e: Error) => this.log(`could not report the logon to ${link.target}: ${e.message}`)));
    }
    if (link && this.options.perUser) {
      this.track(link.recordPerUser(info.userName, this.options.name, this.options.product).catch((e: Error) => this.log(`could not record the per-user CAL: ${e.message}`)));
    }
    return 'ok';
  }

  /** Runs `work` in the background; idle() waits for it. */
  track<T>(work: Promise<T>): Promise<T> {
    const p = work.finally(() => this.background.delete(p));
    p.catch(() => undefined); // a failure is the caller's to handle; idle() only waits
    this.background.add(p);
    return p;
  }

  /** Resolves once no background work (logon reports, contacting a license server just found) is in flight. */
  async idle(): Promise<void> {
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
  }

  /** Called with every connection's licensing result (tests, tools). */
  onFinished(fn: (f: FinishedConnection) => void): () => void {
    this.finishedListeners.push(fn);
    return () => (this.finishedListeners = this.finishedListeners.filter((x) => x !== fn));
  }

  connectionFinished(f: FinishedConnection): void {
    for (const fn of this.finishedListeners) fn(f);
  }

  connectionClosed(conn: RdpConnection): void {
    this.connections.delete(conn);
  }

  // ---------------------------------------------------------------- Internet Connector

  /** Pulls an Internet Connector token from the license server; there is no temporary one, so no license server, no mode. */
  async enableInternetConnector(): Promise<void> {
    if (this.internetConnector) return;
    const link = this.source.current();
    if (!link) throw new Error('Internet Connector mode needs a license server, and none is available');
    const r = await link.acquireInternetConnector(this.options.name, this.options.product);
    this.internetConnector = { licenseId: r.licenseId };
    this.save({ internetConnector: this.internetConnector });
    this.log(`Internet Connector mode on (license ${r.licenseId}): up to ${INTERNET_CONNECTOR_LIMIT} connections, logged on as ${INTERNET_USER}`);
  }

  /** Moves the token back to the license server, which must be available. */
  async disableInternetConnector(): Promise<void> {
    if (!this.internetConnector) return;
    const link = this.source.current();
    if (!link) throw new Error('disabling Internet Connector mode needs the license server, and none is available');
    await link.releaseInternetConnector(this.options.name);
    this.internetConnector = null;
    this.save({ internetConnector: null });
    this.log('Internet Connector mode off');
  }

  async close(): Promise<void> {
    this.grace.stop();
    for (const c of this.connections) c.abort('the server is stopping');
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
