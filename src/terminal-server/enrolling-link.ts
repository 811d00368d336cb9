/**
 * A link to a license server over HTTPS that enrols on first use: with a token the administrator made, or without one
 * when the license server admits any terminal server (open enrolment). Credentials are kept in the terminal server's
 * data folder (links/<host>_<port>.json, mode 0600), so enrolment happens once.
 */
import { existsSync } from 'node:fs';
import type { LicenseRequest, LicenseResult } from '../license-server/license-server.js';
import { HttpsLink, readLinkCredentials, writeLinkCredentials } from '../license-server/https-link.js';
import { LicenseServerUnreachable, type LicenseServerLink, type LicenseServerStatus } from '../license-server/link.js';
import type { ProductVersion } from '../license-server/types.js';
import { isConnectionError } from '../http/json-client.js';
import type { DataFolder } from '../data-folder.js';

export class EnrollingLink implements LicenseServerLink {
  private link?: HttpsLink;
  private enrolling?: Promise<HttpsLink>;

  constructor(
    readonly target: string,
    /** Where credentials are kept (the terminal server's `links` folder). */
    private readonly folder: DataFolder,
    private readonly ts: { name: string; publicKeyDer: Buffer },
    private readonly token?: string,
  ) {}

  /** The credentials file in the links folder. */
  private get file(): string {
    const u = new URL(this.target);
    return this.folder.file(`${u.hostname}_${u.port || '443'}.json`);
  }

  /** The HTTPS link, enrolling first if this terminal server never did. */
  private async get(): Promise<HttpsLink> {
    if (this.link) return this.link;
    this.enrolling ??= (async () => {
      if (existsSync(this.file)) return new HttpsLink(readLinkCredentials(this.file));
      let credentials;
      try {
        credentials = await HttpsLink.enrol(this.target, this.token, { ...this.ts, timeoutMs: 10_000 });
      } catch (e) {
        if (isConnectionError(e)) throw new LicenseServerUnreachable(`license server ${this.target} is not available: ${(e as Error).message}`);
        throw new LicenseServerUnreachable(`cannot enrol with license server ${this.target}: ${(e as Error).message}`);
      }
      writeLinkCredentials(this.file, credentials);
      return new HttpsLink(credentials);
    })();
    try {
      this.link = await this.enrolling;
      return this.link;
    } finally {
      this.enrolling = undefined;
    }
  }

  async ping(): Promise<LicenseServerStatus> {
    return (await this.get()).ping();
  }
  async requestLicense(req: LicenseRequest): Promise<LicenseResult> {
    return (await this.get()).requestLicense(req);
  }
  async reportLogon(hwid: Buffer): Promise<void> {
    return (await this.get()).reportLogon(hwid);
  }
  async recordPerUser(user: string, terminalServer: string, product: ProductVersion): Promise<void> {
    return (await this.get()).recordPerUser(user, terminalServer, product);
  }
  async acquireInternetConnector(terminalServer: string, product: ProductVersion): Promise<{ licenseId: number; certificate: Buffer }> {
    return (await this.get()).acquireInternetConnector(terminalServer, product);
  }
  async releaseInternetConnector(terminalServer: string): Promise<void> {
    return (await this.get()).releaseInternetConnector(terminalServer);
  }
  async terminalServerCertificate(name: string, publicKeyDer: Buffer): Promise<Buffer> {
    return (await this.get()).terminalServerCertificate(name, publicKeyDer);
  }
  close(): void {
    this.link?.close();
  }
}
