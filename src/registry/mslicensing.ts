/**
 * The client license store of a Windows client in the registry (RD-LICENSING.md §3.1), over an in-memory Registry:
 *
 *   HKLM\SOFTWARE\Microsoft\MSLicensing\HardwareID   "ClientHWID"    REG_BINARY, 20 bytes (CLIENT_HARDWARE_ID)
 *   HKLM\SOFTWARE\Microsoft\MSLicensing\Store\LICENSE000, LICENSE001, …
 *       "ClientLicense"  REG_BINARY  pbLicenseInfo as the server sent it ([MS-RDPELE] 2.2.2.6.1)
 *       "Version"        REG_DWORD   dwVersion of the NEW_LICENSE_INFO
 *       "Scope"          REG_SZ      pbScope
 *       "CompanyName"    REG_SZ      pbCompanyName
 *       "ProductId"      REG_SZ      pbProductId
 *
 * Windows' own names for the lookup values are not documented (RD-LICENSING.md §3.1 "unverified"); these four are ours.
 * An entry is found again by (Version, Scope, CompanyName, ProductId); the strings compare case-insensitively.
 * Entries that cannot be used (a value missing or of the wrong type, an empty or oversized license, a license that does not
 * decode) are reported and skipped, never deleted: the client then asks for a new license (BAD-INPUTS.md #9).
 */
import { parseClientLicense } from '../../protocol/cal/index.js';
import type { LicenseStoreKey } from '../../protocol/session/index.js';
import type { Registry, RegistryKey } from './registry.js';

export const MSLICENSING_KEY = 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\MSLicensing';
export const HARDWARE_ID_KEY = `${MSLICENSING_KEY}\\HardwareID`;
export const STORE_KEY = `${MSLICENSING_KEY}\\Store`;

export const CLIENT_HWID_VALUE = 'ClientHWID';
export const CLIENT_LICENSE_VALUE = 'ClientLicense';
export const VERSION_VALUE = 'Version';
export const SCOPE_VALUE = 'Scope';
export const COMPANY_NAME_VALUE = 'CompanyName';
export const PRODUCT_ID_VALUE = 'ProductId';
/** Where an unusable ClientHWID is kept when a new one replaces it (nothing is thrown away). */
export const INVALID_HWID_VALUE = 'ClientHWID.invalid';
/** Where an unusable ClientLicense is kept when a new license for the same key replaces it. */
export const INVALID_LICENSE_VALUE = 'ClientLicense.invalid';

export const HWID_LENGTH = 20;
/**
 * The largest license the store hands out: a LICENSE_INFO carries it in a message whose wMsgSize is 16 bits, so anything
 * of 65 536 bytes or more cannot be sent (FreeRDP asserts, rdesktop wraps the length: BAD-INPUTS.md #9).
 */
export const MAX_STORED_LICENSE_SIZE = 0xffff;
/** LICENSE000 … LICENSE999, as Windows numbers them. */
export const MAX_LICENSE_ENTRIES = 1000;

const ENTRY_NAME = /^LICENSE(\d{3})$/i;

export function licenseEntryName(n: number): string {
  return `LICENSE${String(n).padStart(3, '0')}`;
}

// ---- hardware id ------------------------------------------------------------------------------------------------

export interface StoredHardwareId {
  hwid?: Buffer;
  /** Why the stored value cannot be used (unset when it is fine or simply absent). */
  problem?: string;
}

/** The stored ClientHWID, or why there is none usable (`problem` is unset when the value is simply absent). */
export function readHardwareId(reg: Registry): StoredHardwareId {
  const v = reg.getValue(HARDWARE_ID_KEY, CLIENT_HWID_VALUE);
  if (v === undefined) return {};
  if (v.type !== 'REG_BINARY') return { problem: `${CLIENT_HWID_VALUE} is ${v.type}, not REG_BINARY` };
  if (v.data.length !== HWID_LENGTH) return { problem: `${CLIENT_HWID_VALUE} has ${v.data.length} bytes, not ${HWID_LENGTH}` };
  return { hwid: Buffer.from(v.data) };
}

/** Stores the ClientHWID; an unusable previous value is moved to ClientHWID.invalid first. */
export function writeHardwareId(reg: Registry, hwid: Uint8Array): void {
  if (hwid.length !== HWID_LENGTH) throw new RangeError(`a hardware id has ${HWID_LENGTH} bytes`);
  const key = reg.create(HARDWARE_ID_KEY);
  const old = key.getValue(CLIENT_HWID_VALUE);
  if (old !== undefined && readHardwareId(reg).hwid === undefined) key.setValue(INVALID_HWID_VALUE, old);
  key.setValue(CLIENT_HWID_VALUE, { type: 'REG_BINARY', data: Buffer.from(hwid) });
}

/** Deletes the HardwareID key (the seed's fix for event 1003): the next connection makes a new HWID. */
export function deleteHardwareId(reg: Registry): boolean {
  return reg.delete(HARDWARE_ID_KEY);
}

// ---- license entries --------------------------------------------------------------------------------------------

export interface LicenseEntry {
  /** LICENSE000 … */
  name: string;
  /** The lookup values, when all four are readable. */
  key?: LicenseStoreKey;
  /** ClientLicense, when it is REG_BINARY. */
  license?: Buffer;
  /** Why this entry cannot be presented (unset when it can). */
  problem?: string;
}

/** Checks a license blob before it is presented: not empty, not oversized, decodes as a license. */
export function licenseBlobProblem(license: Uint8Array): string | undefined {
  if (license.length === 0) return `${CLIENT_LICENSE_VALUE} is empty`;
  if (license.length > MAX_STORED_LICENSE_SIZE) return `${CLIENT_LICENSE_VALUE} has ${license.length} bytes, more than a licensing message can carry (${MAX_STORED_LICENSE_SIZE})`;
  try {
    parseClientLicense(license);
  } catch (e) {
    return `${CLIENT_LICENSE_VALUE} does not decode as a license: ${e instanceof Error ? e.message : String(e)}`;
  }
  return undefined;
}

function readKey(k: RegistryKey): { key?: LicenseStoreKey; problem?: string } {
  const version = k.getValue(VERSION_VALUE);
  if (version?.type !== 'REG_DWORD') return { problem: version ? `${VERSION_VALUE} is ${version.type}, not REG_DWORD` : `no ${VERSION_VALUE} value` };
  const text = (name: string): string => {
    const v = k.getValue(name);
    if (v?.type !== 'REG_SZ') throw new Error(v ? `${name} is ${v.type}, not REG_SZ` : `no ${name} value`);
    return v.data;
  };
  try {
    return { key: { version: version.data >>> 0, scope: text(SCOPE_VALUE), companyName: text(COMPANY_NAME_VALUE), productId: text(PRODUCT_ID_VALUE) } };
  } catch (e) {
    return { problem: (e as Error).message };
  }
}

/** Every LICENSEnnn entry, in number order, each with its problem if it has one. Other subkeys of Store are ignored. */
export function listLicenseEntries(reg: Registry): LicenseEntry[] {
  const store = reg.open(STORE_KEY);
  if (!store) return [];
  const out: LicenseEntry[] = [];
  for (const k of store.children()) {
    const m = ENTRY_NAME.exec(k.name);
    if (!m) continue;
    const entry: LicenseEntry = { name: licenseEntryName(Number(m[1])) };
    const { key, problem } = readKey(k);
    if (key) entry.key = key;
    const lic = k.getValue(CLIENT_LICENSE_VALUE);
    if (lic?.type === 'REG_BINARY') entry.license = Buffer.from(lic.data);
    entry.problem = problem ?? (lic === undefined ? `no ${CLIENT_LICENSE_VALUE} value` : lic.type !== 'REG_BINARY' ? `${CLIENT_LICENSE_VALUE} is ${lic.type}, not REG_BINARY` : licenseBlobProblem(lic.data));
    if (entry.problem === undefined) delete entry.problem;
    out.push(entry);
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

export function keysMatch(a: LicenseStoreKey, b: LicenseStoreKey): boolean {
  return a.version >>> 0 === b.version >>> 0 && same(a.scope, b.scope) && same(a.companyName, b.companyName) && same(a.productId, b.productId);
}

export interface FoundLicense {
  /** The first usable entry for the key. */
  entry?: LicenseEntry & { license: Buffer };
  /** Entries for the key that were skipped, with their problems. */
  rejected: LicenseEntry[];
}

/** The license to present for `key`: the first matching entry without a problem. */
export function findLicenseEntry(reg: Registry, key: LicenseStoreKey): FoundLicense {
  const rejected: LicenseEntry[] = [];
  for (const e of listLicenseEntries(reg)) {
    if (!e.key || !keysMatch(e.key, key)) continue;
    if (e.problem === undefined && e.license) return { entry: e as LicenseEntry & { license: Buffer }, rejected };
    rejected.push(e);
  }
  return { rejected };
}

/**
 * Stores a license for `key`: it replaces the ClientLicense of the first entry whose lookup values match (a NEW_LICENSE
 * for the same product, or an UPGRADE_LICENSE), else it goes into the lowest free LICENSEnnn. An unusable ClientLicense
 * it replaces is kept as ClientLicense.invalid; entries whose lookup values cannot be read are left as they are.
 * Returns the entry name.
 */
export function saveLicenseEntry(reg: Registry, key: LicenseStoreKey, license: Uint8Array): string {
  const existing = listLicenseEntries(reg).find((e) => e.key && keysMatch(e.key, key));
  let name = existing?.name;
  if (name === undefined) {
    const store = reg.open(STORE_KEY);
    let n = 0;
    while (n < MAX_LICENSE_ENTRIES && store?.subkey(licenseEntryName(n))) n++;
    if (n === MAX_LICENSE_ENTRIES) throw new RangeError(`the license store is full (${MAX_LICENSE_ENTRIES} entries)`);
    name = licenseEntryName(n);
  }
  const path = `${STORE_KEY}\\${name}`;
  const old = reg.getValue(path, CLIENT_LICENSE_VALUE);
  if (existing?.problem !== undefined && old !== undefined) reg.setValue(path, INVALID_LICENSE_VALUE, old);
  reg.setValue(path, CLIENT_LICENSE_VALUE, { type: 'REG_BINARY', data: Buffer.from(license) });
  if (!existing) {
    reg.setValue(path, VERSION_VALUE, { type: 'REG_DWORD', data: key.version >>> 0 });
    reg.setValue(path, SCOPE_VALUE, { type: 'REG_SZ', data: key.scope });
    reg.setValue(path, COMPANY_NAME_VALUE, { type: 'REG_SZ', data: key.companyName });
    reg.setValue(path, PRODUCT_ID_VALUE, { type: 'REG_SZ', data: key.productId });
  }
  return name;
}
