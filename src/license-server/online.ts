/**
 * The Internet connection method (seed: "Activate a License Server", "Install Licenses", "License Recovery"): the
 * license server talks to the clearinghouse it is configured with. Its certificate is pinned on first contact (or given
 * with --clearinghouse-cert) and kept in the database.
 */
import { X509Certificate } from 'node:crypto';
import { ClearinghouseClient } from '../clearinghouse/client.js';
import type { InstallSource } from '../clearinghouse/clearinghouse.js';
import { ApiError, JsonClient, isConnectionError } from '../http/json-client.js';
import { toPem } from '../http/tls-certificates.js';
import { LicenseServerError } from './license-server.js';
import type { LicenseServerNode } from './node.js';
import type { KeyPack } from './types.js';

export class ClearinghouseUnavailable extends Error {
  override readonly name = 'ClearinghouseUnavailable';
}

export class OnlineActivation {
  constructor(private readonly node: LicenseServerNode) {}

  get url(): string | undefined {
    return this.node.store.getSetting('clearinghouse_url');
  }

  /** Configures the clearinghouse (a new URL forgets the pinned certificate unless one is given). */
  configure(url: string, certificatePem?: string): void {
    const s = this.node.store;
    s.transaction(() => {
      if (s.getSetting('clearinghouse_url') !== url) s.setSetting('clearinghouse_certificate', undefined);
      s.setSetting('clearinghouse_url', url);
      if (certificatePem) s.setSetting('clearinghouse_certificate', toPem(new X509Certificate(certificatePem).raw));
    });
  }

  private async client(): Promise<ClearinghouseClient> {
    const url = this.url;
    if (!url) throw new LicenseServerError('refused', 'no clearinghouse is configured for the Internet method: start the license server with --clearinghouse URL, or use --method phone');
    let pinned = this.node.store.getSetting('clearinghouse_certificate');
    if (!pinned) {
      let seen: X509Certificate | undefined;
      try {
        await new JsonClient({ url, verifyServer: (c) => ((seen = c), true), timeoutMs: 10_000 }).get('/api/v1/ping');
      } catch (e) {
        throw new ClearinghouseUnavailable(`the clearinghouse at ${url} cannot be reached: ${(e as Error).message}`);
      }
      pinned = toPem(seen!.raw);
      this.node.store.setSetting('clearinghouse_certificate', pinned);
    }
    return new ClearinghouseClient({ url, serverCertificate: pinned, timeoutMs: 10_000 });
  }

  /** Runs a clearinghouse call: its refusals become LicenseServerErrors, no answer a ClearinghouseUnavailable. */
  private async ask<T>(fn: (c: ClearinghouseClient) => Promise<T>): Promise<T> {
    const c = await this.client();
    try {
      return await fn(c);
    } catch (e) {
      if (e instanceof ApiError && e.status < 500 && e.status !== 495) {
        const code = e.status === 404 ? 'not-found' : e.status === 409 ? 'conflict' : e.status === 400 ? 'invalid' : 'refused';
        throw new LicenseServerError(code, `the clearinghouse refused: ${e.message}`);
      }
      if (isConnectionError(e)) throw new ClearinghouseUnavailable(`the clearinghouse at ${c.url} cannot be reached: ${(e as Error).message}`);
      throw e;
    }
  }

  private proofKey() {
    return { key: this.node.keys.key, publicKeyDer: this.node.publicKeyDer };
  }

  /** Internet activation: the clearinghouse certifies the key and names the server. */
  async activate() {
    if (this.node.server.activated) throw new LicenseServerError('conflict', 'the license server is activated already (deactivate it first to reactivate)');
    const a = await this.ask((c) => c.activateOnline({ ...this.proofKey(), name: this.node.keys.name, scope: this.node.keys.scope }));
    return this.node.activation.complete(a.licenseServerId, 'internet', a.certificates);
  }

  /** Deactivation over the Internet: the clearinghouse is told, then the server stops issuing CALs. */
  async deactivate() {
    const id = this.node.activation.state.licenseServerId;
    if (!this.node.server.activated || !id) throw new LicenseServerError('conflict', 'the license server is not activated');
    const { key, publicKeyDer } = this.proofKey();
    await this.ask((c) => c.deactivateOnline(id, key, publicKeyDer));
    return this.node.activation.deactivate();
  }

  /** Installs licenses bought with a License Code or an agreement: the clearinghouse issues a key pack for this server. */
  async install(source: InstallSource): Promise<KeyPack> {
    const id = this.node.activation.state.licenseServerId;
    if (!this.node.server.activated || !id) throw new LicenseServerError('refused', 'activate the license server before installing licenses');
    const kp = await this.ask((c) => c.installKeyPack(id, source));
    return this.node.activation.installKeyPack(kp.keypackId, kp.source);
  }

  /** Recovery after a lost database: the clearinghouse re-issues every key pack of this License Server ID. */
  async recover(): Promise<{ installed: KeyPack[]; alreadyInstalled: string[] }> {
    const id = this.node.activation.state.licenseServerId;
    if (!this.node.server.activated || !id) throw new LicenseServerError('refused', 'activate the license server before recovering its licenses');
    const { key, publicKeyDer } = this.proofKey();
    const packs = await this.ask((c) => c.recoverOnline(id, key, publicKeyDer));
    return installAll(this.node, packs.map((p) => ({ keypackId: p.keypackId, source: p.source })));
  }
}

/** Installs key packs by Key Pack ID, skipping those installed already (recovery is safe to repeat). */
export function installAll(node: LicenseServerNode, packs: Array<{ keypackId: string; source?: string }>): { installed: KeyPack[]; alreadyInstalled: string[] } {
  const installed: KeyPack[] = [];
  const alreadyInstalled: string[] = [];
  node.store.transaction(() => {
    for (const p of packs) {
      const id = p.keypackId.toUpperCase().replace(/[\s-]/g, '');
      if (node.store.hasKeyPackId(id)) alreadyInstalled.push(id);
      else installed.push(node.activation.installKeyPack(id, p.source ?? id));
    }
  });
  return { installed, alreadyInstalled };
}
