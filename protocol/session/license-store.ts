/**
 * Where a ClientLicensing keeps its licenses. [MS-RDPELE] 2.2.2.6.1: the client indexes a stored license by
 * (dwVersion, pbScope, pbCompanyName, pbProductId) of the NEW_LICENSE_INFO it came in, and looks it up with the
 * PRODUCT_INFO and each scope of the next SERVER_LICENSE_REQUEST.
 */
export interface LicenseStoreKey {
  /** dwVersion. */
  version: number;
  /** pbScope as text ("microsoft.com"). */
  scope: string;
  /** pbCompanyName as text. */
  companyName: string;
  /** pbProductId as text. */
  productId: string;
}

type MaybePromise<T> = T | Promise<T>;

/** A pluggable license store (the emulated registry in src/client, a Map in tests). */
export interface LicenseStore {
  /** The stored pbLicenseInfo for this key, or undefined. May throw: the client then asks for a new license. */
  find(key: LicenseStoreKey): MaybePromise<Uint8Array | undefined>;
  /** Stores (replaces) the license for this key; `kind` says whether it came in a NEW_LICENSE or an UPGRADE_LICENSE. */
  save(key: LicenseStoreKey, licenseInfo: Buffer, kind: 'new' | 'upgrade'): MaybePromise<void>;
}

/** The key as one string (for maps and logs). */
export function licenseStoreKeyString(key: LicenseStoreKey): string {
  return JSON.stringify([key.version, key.scope, key.companyName, key.productId]);
}

/** An in-memory LicenseStore. */
export class MemoryLicenseStore implements LicenseStore {
  readonly entries = new Map<string, { key: LicenseStoreKey; licenseInfo: Buffer; kind: 'new' | 'upgrade' }>();

  find(key: LicenseStoreKey): Buffer | undefined {
    return this.entries.get(licenseStoreKeyString(key))?.licenseInfo;
  }

  save(key: LicenseStoreKey, licenseInfo: Buffer, kind: 'new' | 'upgrade'): void {
    this.entries.set(licenseStoreKeyString(key), { key: { ...key }, licenseInfo: Buffer.from(licenseInfo), kind });
  }
}
