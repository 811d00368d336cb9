/**
 * The clearinghouse's HTTPS API from the outside: license servers use the open routes (Internet method), the
 * `rdplic clearinghouse` commands the customer-service routes with the admin token.
 */
import type { RsaPrivateKey } from '../../protocol/crypto/index.js';
import { JsonClient, type JsonClientOptions } from '../http/json-client.js';
import { installSourceJson, type KeyPackJson } from './api.js';
import type { Activation, ActivationMethod, InstallSource, IssuedKeyPack, Purchase } from './clearinghouse.js';
import { parseProductVersion, type KeyPackKind, type Program } from './codes.js';
import { signProof } from './proof.js';

export const keyPackFromJson = (j: KeyPackJson): IssuedKeyPack => ({ ...j, version: parseProductVersion(j.version), issuedAt: new Date(j.issuedAt) });

function activationFromJson(j: { licenseServerId: string; method: ActivationMethod; certificates: string[] }): Activation {
  return { licenseServerId: j.licenseServerId, method: j.method, certificates: j.certificates.map((c) => Buffer.from(c, 'base64')) };
}

export interface ServerRecord {
  licenseServerId: string;
  name: string;
  method: string;
  status: string;
  activatedAt: string;
  keypacks: number;
}

export type PurchaseJson = { program: Program; type: KeyPackKind; quantity: number; version: string } & (
  | { licenseCode: string }
  | { agreementNumber: string }
  | { licenseNumber: string; authorizationNumber: string }
);

export class ClearinghouseClient {
  private readonly http: JsonClient;

  constructor(readonly opts: JsonClientOptions) {
    this.http = new JsonClient(opts);
  }

  get url(): string {
    return this.opts.url;
  }

  ping(): Promise<{ role: string }> {
    return this.http.get('/api/v1/ping');
  }

  // ---- license servers (Internet method)

  async activateOnline(req: { key: RsaPrivateKey; publicKeyDer: Buffer; name: string; scope: string }): Promise<Activation> {
    const proof = signProof('activate', '', req.key, req.publicKeyDer);
    return activationFromJson(await this.http.post('/api/v1/activations', { name: req.name, scope: req.scope, ...proof }));
  }

  async installKeyPack(licenseServerId: string, source: InstallSource): Promise<IssuedKeyPack> {
    return keyPackFromJson(await this.http.post('/api/v1/keypacks', { licenseServerId, source: installSourceJson(source) }));
  }

  async deactivateOnline(licenseServerId: string, key: RsaPrivateKey, publicKeyDer: Buffer): Promise<void> {
    await this.http.post('/api/v1/deactivations', { licenseServerId, ...signProof('deactivate', licenseServerId, key, publicKeyDer) });
  }

  async recoverOnline(licenseServerId: string, key: RsaPrivateKey, publicKeyDer: Buffer): Promise<IssuedKeyPack[]> {
    const r = await this.http.post<{ keypacks: KeyPackJson[] }>('/api/v1/recoveries', { licenseServerId, ...signProof('recover', licenseServerId, key, publicKeyDer) });
    return r.keypacks.map(keyPackFromJson);
  }

  // ---- customer service (admin token)

  purchase(p: Purchase): Promise<PurchaseJson> {
    return this.http.post('/api/v1/admin/purchases', { program: p.program, type: p.kind, quantity: p.quantity, version: `${p.version.major}.${p.version.minor}` });
  }

  async activateOffline(requestCode: string, method: Exclude<ActivationMethod, 'internet'>, name = ''): Promise<Activation> {
    return activationFromJson(await this.http.post('/api/v1/admin/activations', { requestCode, method, name }));
  }

  async installKeyPackByPhone(licenseServerId: string, source: InstallSource): Promise<IssuedKeyPack> {
    return keyPackFromJson(await this.http.post('/api/v1/admin/keypacks', { licenseServerId, source: installSourceJson(source) }));
  }

  async recover(licenseServerId: string): Promise<IssuedKeyPack[]> {
    const r = await this.http.post<{ keypacks: KeyPackJson[] }>('/api/v1/admin/recoveries', { licenseServerId });
    return r.keypacks.map(keyPackFromJson);
  }

  async deactivate(licenseServerId: string): Promise<void> {
    await this.http.post('/api/v1/admin/deactivations', { licenseServerId });
  }

  async servers(): Promise<ServerRecord[]> {
    return (await this.http.get<{ servers: ServerRecord[] }>('/api/v1/admin/servers')).servers;
  }
}
