/**
 * A running license server assembled from its data folder: key (license-server.key, 0600), database
 * (license-server.sqlite), certificates, CAL issuer, activation. Both `rdplic serve` and `rdplic license-server` start
 * one of these.
 */
import { rsaPublicKeyFromDer, type RandomSource } from '../../protocol/crypto/index.js';
import { SimulatedClock, type Clock } from '../clock.js';
import { DataFolder } from '../data-folder.js';
import { cryptoRandom } from '../crypto-random.js';
import { httpsIdentity, type HttpsIdentity } from '../http/tls-certificates.js';
import { decodeX509Certificate } from '../../protocol/certificates/index.js';
import { rsaPublicKeyEquals, rsaPublicPart } from '../../protocol/crypto/index.js';
import { ActivationManager } from './activation.js';
import { LS_EVENTS } from './events.js';
import { CalIssuer, issueTerminalServerCertificate, publicKeyDer, selfSignedCertificate, type LicenseServerKeys } from './identity.js';
import { LicenseServer, type LicenseServerOptions, type PeerDirectory } from './license-server.js';
import { LocalLink, type LicenseServerStatus } from './link.js';
import { LicenseStore } from './store.js';

export interface LicenseServerNodeOptions {
  dataDir: string;
  /** The license server's machine name (CN of its certificate, issuer name in CALs). */
  name: string;
  /** Its domain or workgroup. */
  scope: string;
  clock: Clock;
  random?: RandomSource;
  options?: Partial<LicenseServerOptions>;
  peers?: PeerDirectory;
}


/** A License Server ID-shaped placeholder written into CALs of a server that was never activated. */
const NOT_ACTIVATED_ID = '00000-000-0000000-00000';

export class LicenseServerNode {
  readonly folder: DataFolder;
  readonly store: LicenseStore;
  readonly keys: LicenseServerKeys;
  readonly server: LicenseServer;
  readonly activation: ActivationManager;
  /** The HTTPS key and certificate of its API (https.key 0600, https.crt): clients pin the certificate. */
  readonly https: HttpsIdentity;
  /** True when this start made the admin token (the command prints it once). */
  readonly newAdminToken: boolean;
  private readonly selfSigned: Buffer;

  constructor(opts: LicenseServerNodeOptions) {
    this.folder = new DataFolder(opts.dataDir);
    this.keys = { name: opts.name, scope: opts.scope, key: this.folder.rsaKey('license-server.key').key };
    this.store = new LicenseStore(this.folder.file('license-server.sqlite'));
    this.selfSigned = selfSignedCertificate(this.keys);
    const issuer = new CalIssuer(
      this.keys,
      () => this.certificates(),
      () => this.activation.state.licenseServerId ?? NOT_ACTIVATED_ID,
    );
    this.server = new LicenseServer(opts.name, this.store, opts.clock, opts.random ?? cryptoRandom, issuer, opts.options, opts.peers);
    this.activation = new ActivationManager(this.server, this.publicKeyDer);
    this.https = httpsIdentity(this.folder, opts.name, 'license server');
    this.newAdminToken = !this.folder.has('admin.token');
    this.server.events.log(LS_EVENTS.SERVICE_STARTED);
    if (!this.certificatesMatchKey()) this.server.events.log(LS_EVENTS.CERTIFICATES_INVALID, opts.name);
  }

  /** The administration credential (admin.token, 0600), made on first use. */
  get adminToken(): string {
    return this.folder.secret('admin.token');
  }

  get clock(): Clock {
    return this.server.clock;
  }

  /** Moves a simulated clock forward (and remembers where it is, for the next start); sweeps what expired. */
  advanceClock(ms: number): Date {
    const clock = this.server.clock;
    if (!(clock instanceof SimulatedClock)) throw new Error('the clock of this license server is the system clock');
    const now = clock.advance(ms);
    this.store.setSetting('simulated_now', now.toISOString());
    this.server.sweep();
    return now;
  }

  /** Where a simulated clock stood when this database last moved it (to resume there). */
  static savedSimulatedTime(store: LicenseStore): Date | undefined {
    const v = store.getSetting('simulated_now');
    return v ? new Date(v) : undefined;
  }

  private certificatesMatchKey(): boolean {
    const chain = this.activation.state.certificates;
    if (!this.server.activated || chain.length === 0) return true;
    try {
      const own = decodeX509Certificate(chain[chain.length - 1]!);
      return rsaPublicKeyEquals(own.subjectPublicKeyInfo.publicKey!, rsaPublicPart(this.keys.key));
    } catch {
      return false;
    }
  }

  get publicKeyDer(): Buffer {
    return publicKeyDer(this.keys.key);
  }

  /** The certificates CALs are issued under: the clearinghouse's chain once activated online, else the self-signed one. */
  certificates(): Buffer[] {
    const chain = this.activation.state.certificates;
    return this.server.activated && chain.length > 0 ? chain : [this.selfSigned];
  }

  status(): LicenseServerStatus {
    const a = this.activation.state;
    return { name: this.server.name, activated: a.activated, licenseServerId: a.licenseServerId, certificates: this.certificates() };
  }

  /** Issues a certificate for a terminal server's key (serials count up in the database). */
  issueTerminalServerCertificate(name: string, tsPublicKeyDer: Buffer): Buffer {
    const publicKey = rsaPublicKeyFromDer(tsPublicKeyDer); // a bad key fails here, before a serial is used
    const serial = this.store.transaction(() => {
      const next = Number(this.store.getSetting('ts_certificate_serial') ?? '0') + 1;
      this.store.setSetting('ts_certificate_serial', String(next));
      return next;
    });
    const chain = this.certificates();
    return issueTerminalServerCertificate(this.keys, chain[chain.length - 1]!, {
      name,
      publicKey,
      serial,
      notBefore: this.server.clock.now(),
    });
  }

  localLink(): LocalLink {
    return new LocalLink(this.server, () => this.status(), (name, der) => this.issueTerminalServerCertificate(name, der));
  }

  close(): void {
    this.server.events.log(LS_EVENTS.SERVICE_STOPPED);
    this.store.close();
  }
}
