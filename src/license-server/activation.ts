/**
 * The license server's side of activation and key-pack installation (seed: "Activate a License Server", "Install
 * Licenses"). Online, it talks to a clearinghouse directly; offline (web, phone, fax) a person carries a request code
 * to the clearinghouse and the License Server ID or Key Pack ID back.
 */
import { CodeError, keyName, makeRequestCode, parseKeyPackId, parseLicenseServerId } from '../clearinghouse/codes.js';
import type { ActivationMethod } from '../clearinghouse/clearinghouse.js';
import { LS_EVENTS } from './events.js';
import { LicenseServerError, type LicenseServer } from './license-server.js';
import type { KeyPack } from './types.js';

export interface ActivationState {
  activated: boolean;
  licenseServerId?: string;
  method?: ActivationMethod;
  /** The certificate chain the clearinghouse issued (online activation), root first, base64 DER. */
  certificates: Buffer[];
}

export class ActivationManager {
  constructor(
    private readonly server: LicenseServer,
    /** The license server's SubjectPublicKeyInfo, DER: what the clearinghouse certifies and names. */
    private readonly publicKeyDer: Buffer,
  ) {}

  get state(): ActivationState {
    const s = this.server.store;
    const certs = s.getSetting('certificates');
    return {
      activated: this.server.activated,
      licenseServerId: s.getSetting('license_server_id'),
      method: s.getSetting('activation_method') as ActivationMethod | undefined,
      certificates: certs ? (JSON.parse(certs) as string[]).map((c) => Buffer.from(c, 'base64')) : [],
    };
  }

  /** What the server prints for an offline activation. */
  requestCode(): string {
    return makeRequestCode(keyName(this.publicKeyDer));
  }

  /** Completes an activation with the License Server ID the clearinghouse gave (and, online, its certificates). */
  complete(licenseServerId: string, method: ActivationMethod, certificates: Buffer[] = []): ActivationState {
    let parsed;
    try {
      parsed = parseLicenseServerId(licenseServerId);
    } catch (e) {
      throw new LicenseServerError('invalid', (e as Error).message);
    }
    if (!parsed.name12.equals(keyName(this.publicKeyDer).subarray(0, 12))) {
      throw new LicenseServerError('refused', 'this License Server ID was issued for another license server');
    }
    const s = this.server.store;
    s.transaction(() => {
      s.setSetting('license_server_id', parsed.id);
      s.setSetting('activation_method', method);
      s.setSetting('certificates', JSON.stringify(certificates.map((c) => c.toString('base64'))));
      s.setSetting('activated', 'yes');
    });
    this.server.events.log(LS_EVENTS.ACTIVATED);
    return this.state;
  }

  /** Deactivation: the server keeps its License Server ID but issues only temporary tokens until reactivated. */
  deactivate(): ActivationState {
    const s = this.server.store;
    if (!this.server.activated) throw new LicenseServerError('conflict', 'the license server is not activated');
    s.transaction(() => {
      s.setSetting('activated', 'no');
      s.setSetting('certificates', undefined);
    });
    return this.state;
  }

  /** Installs a key pack from its Key Pack ID (refused if it was issued for another License Server ID, or installed already). */
  installKeyPack(keypackId: string, source: string = keypackId): KeyPack {
    const lsId = this.state.licenseServerId;
    if (!this.server.activated || !lsId) throw new LicenseServerError('refused', 'activate the license server before installing licenses');
    let f;
    try {
      f = parseKeyPackId(keypackId, lsId);
    } catch (e) {
      if (e instanceof CodeError) throw new LicenseServerError(/another License Server ID/.test(e.message) ? 'refused' : 'invalid', e.message);
      throw e;
    }
    const id = keypackId.toUpperCase().replace(/[\s-]/g, '');
    if (this.server.store.hasKeyPackId(id)) throw new LicenseServerError('conflict', `key pack ${id} is already installed`);
    return this.server.store.insertKeyPack({
      keypackId: id,
      source,
      program: f.program,
      type: f.kind,
      product: f.version,
      total: f.quantity,
      installedAt: this.server.clock.now(),
    });
  }
}
