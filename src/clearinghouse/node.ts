/**
 * A clearinghouse assembled from its data folder: root key (root.key, 0600), database (clearinghouse.sqlite), the
 * secret behind Open License authorization numbers (open-license.secret, 0600), HTTPS key and certificate, and the
 * administration token of its customer-service representatives (admin.token, 0600).
 */
import type { Clock } from '../clock.js';
import { DataFolder } from '../data-folder.js';
import { httpsIdentity, type HttpsIdentity } from '../http/tls-certificates.js';
import { ClearinghouseCa } from './certificate-authority.js';
import { Clearinghouse } from './clearinghouse.js';

export class ClearinghouseNode {
  readonly folder: DataFolder;
  readonly clearinghouse: Clearinghouse;
  readonly https: HttpsIdentity;
  /** True when this start made the admin token (the command prints it once). */
  readonly newAdminToken: boolean;

  constructor(opts: { dataDir: string; clock: Clock }) {
    this.folder = new DataFolder(opts.dataDir);
    const root = this.folder.rsaKey('root.key').key;
    this.clearinghouse = new Clearinghouse(
      this.folder.file('clearinghouse.sqlite'),
      new ClearinghouseCa(root),
      opts.clock,
      Buffer.from(this.folder.secret('open-license.secret'), 'hex'),
    );
    this.https = httpsIdentity(this.folder, 'clearinghouse', 'clearinghouse');
    this.newAdminToken = !this.folder.has('admin.token');
  }

  get adminToken(): string {
    return this.folder.secret('admin.token');
  }

  close(): void {
    this.clearinghouse.close();
  }
}
