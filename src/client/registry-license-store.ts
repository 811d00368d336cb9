/**
 * The LicenseStore of protocol/session backed by a registry file (src/registry/mslicensing.ts for the layout). It also
 * remembers what happened during the session: which entry was presented, which were skipped and why, where a license
 * was saved, so the device can report it.
 */
import type { LicenseStore, LicenseStoreKey } from '../../protocol/session/index.js';
import { findLicenseEntry, saveLicenseEntry, type LicenseEntry } from '../registry/mslicensing.js';
import type { RegistryFile } from './registry-file.js';

export interface StoreActivity {
  /** The key the server's LICENSE_REQUEST asked for (the first one looked up). */
  requestedKey?: LicenseStoreKey;
  /** The entry presented in LICENSE_INFO. */
  presented?: { entry: string; key: LicenseStoreKey };
  /** Entries that matched but could not be used. */
  rejected: Array<{ entry: string; problem: string }>;
  /** Where a NEW_LICENSE / UPGRADE_LICENSE went. */
  saved?: { entry: string; key: LicenseStoreKey; kind: 'new' | 'upgrade' };
  /** The store could not be read (the client then asked for a new license). */
  readError?: string;
}

export class RegistryLicenseStore implements LicenseStore {
  readonly activity: StoreActivity = { rejected: [] };

  constructor(private readonly file: RegistryFile) {}

  find(key: LicenseStoreKey): Uint8Array | undefined {
    this.activity.requestedKey ??= { ...key };
    let found;
    try {
      found = findLicenseEntry(this.file.read(), key);
    } catch (e) {
      this.activity.readError = e instanceof Error ? e.message : String(e);
      throw e;
    }
    for (const r of found.rejected) this.reject(r);
    if (!found.entry) return undefined;
    this.activity.presented ??= { entry: found.entry.name, key: found.entry.key! };
    return found.entry.license;
  }

  async save(key: LicenseStoreKey, licenseInfo: Buffer, kind: 'new' | 'upgrade'): Promise<void> {
    const entry = await this.file.update((reg) => ({ changed: true, result: saveLicenseEntry(reg, key, licenseInfo) }));
    this.activity.saved = { entry, key: { ...key }, kind };
  }

  private reject(e: LicenseEntry): void {
    if (!this.activity.rejected.some((r) => r.entry === e.name)) this.activity.rejected.push({ entry: e.name, problem: e.problem ?? 'unusable' });
  }
}
