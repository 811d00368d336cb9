/**
 * What a terminal server asks of a license server (RD-LICENSING.md §2.5: new license, upgrade/renew, mark validated,
 * Internet Connector, ping). The terminal server holds one link per license server it knows: `LocalLink` when both
 * run in one process, an HTTPS link otherwise.
 */
import type { LicenseRequest, LicenseResult, LicenseServer } from './license-server.js';
import type { ProductVersion } from './types.js';

export interface LicenseServerStatus {
  name: string;
  activated: boolean;
  licenseServerId?: string;
  /** The license server's certificates, root first, its own last: CALs it issues are signed by the last one's key. */
  certificates: Buffer[];
}

export interface LicenseServerLink {
  /** Where the link goes (a name, or a URL), for logs. */
  readonly target: string;
  ping(): Promise<LicenseServerStatus>;
  requestLicense(req: LicenseRequest): Promise<LicenseResult>;
  /** After a successful logon: the device's temporary token becomes validated. */
  reportLogon(hwid: Buffer): Promise<void>;
  /** Per-user mode: a user signed in. */
  recordPerUser(user: string, terminalServer: string, product: ProductVersion): Promise<void>;
  acquireInternetConnector(terminalServer: string, product: ProductVersion): Promise<{ licenseId: number; certificate: Buffer }>;
  releaseInternetConnector(terminalServer: string): Promise<void>;
  /** A certificate for the terminal server's key, issued by this license server (last in the chain sent to clients). */
  terminalServerCertificate(name: string, publicKeyDer: Buffer): Promise<Buffer>;
}

/** Thrown by links when the license server cannot be reached (the terminal server's rules then apply). */
export class LicenseServerUnreachable extends Error {
  override readonly name = 'LicenseServerUnreachable';
}

/** In-process link: calls the license server directly (`rdplic serve` running every role in one process). */
export class LocalLink implements LicenseServerLink {
  /** While false, every call fails as if the server were down (tests: "a license server stopped mid-run"). */
  available = true;

  constructor(
    readonly server: LicenseServer,
    private readonly status: () => LicenseServerStatus,
    private readonly issueTs: (name: string, publicKeyDer: Buffer) => Buffer,
  ) {}

  get target(): string {
    return this.server.name;
  }

  private check(): void {
    if (!this.available) throw new LicenseServerUnreachable(`license server ${this.server.name} is not available`);
  }

  async ping(): Promise<LicenseServerStatus> {
    this.check();
    return this.status();
  }

  async requestLicense(req: LicenseRequest): Promise<LicenseResult> {
    this.check();
    return this.server.requestLicense(req);
  }

  async reportLogon(hwid: Buffer): Promise<void> {
    this.check();
    this.server.reportLogon(hwid);
  }

  async recordPerUser(user: string, terminalServer: string, product: ProductVersion): Promise<void> {
    this.check();
    this.server.recordPerUser(user, terminalServer, product);
  }

  async acquireInternetConnector(terminalServer: string, product: ProductVersion): Promise<{ licenseId: number; certificate: Buffer }> {
    this.check();
    const r = this.server.acquireInternetConnector(terminalServer, product);
    return { licenseId: r.license.id, certificate: r.certificate };
  }

  async releaseInternetConnector(terminalServer: string): Promise<void> {
    this.check();
    this.server.releaseInternetConnector(terminalServer);
  }

  async terminalServerCertificate(name: string, publicKeyDer: Buffer): Promise<Buffer> {
    this.check();
    return this.issueTs(name, publicKeyDer);
  }
}
