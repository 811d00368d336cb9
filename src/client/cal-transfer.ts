/**
 * Moving licenses between the emulated registry and the real clients' `.cal` files (cal-files.ts): export writes the
 * ClientLicense bytes unchanged under the file name the client would use; import stores a `.cal` file's bytes unchanged
 * in a LICENSEnnn entry, with lookup values taken from the license itself unless given.
 */
import { createHash } from 'node:crypto';
import { parseClientLicense } from '../../protocol/cal/index.js';
import type { LicenseStoreKey } from '../../protocol/session/index.js';
import { keysMatch, listLicenseEntries, readHardwareId, saveLicenseEntry, writeHardwareId, type LicenseEntry } from '../registry/mslicensing.js';
import { calFileName, clientHardwareId, readCalFile, writeCalFile, type CalFormat } from './cal-files.js';
import { summarizeLicense, type LicenseSummary } from './license-summary.js';
import type { RegistryFile } from './registry-file.js';

/** A client that cannot do what was asked; the message is one line. */
export class CalTransferError extends Error {
  override readonly name = 'CalTransferError';
}

export interface ExportOptions {
  format: CalFormat;
  /** The client host name the file is for (`-n` / `/client-hostname`). */
  machine: string;
  dir: string;
  /** LICENSEnnn to export; default the only usable entry (several: one must be chosen). */
  entry?: string;
}

export interface ExportResult {
  schema: 'rdplic-client-export/1';
  format: CalFormat;
  machine: string;
  file: string;
  entry: string;
  size: number;
  sha1: string;
  /** The HWID that client will present with the license, and whether the license is bound to it. */
  clientHwid: string;
  licenseHwid: string | null;
  hwidMatches: boolean | null;
}

function pickEntry(entries: LicenseEntry[], wanted: string | undefined): LicenseEntry & { license: Buffer } {
  if (wanted !== undefined) {
    const e = entries.find((x) => x.name.toLowerCase() === wanted.toLowerCase());
    if (!e) throw new CalTransferError(`there is no ${wanted.toUpperCase()} in the license store`);
    if (e.problem !== undefined || !e.license) throw new CalTransferError(`${e.name} cannot be exported: ${e.problem}`);
    return e as LicenseEntry & { license: Buffer };
  }
  const usable = entries.filter((e) => e.problem === undefined && e.license);
  if (usable.length === 0) throw new CalTransferError(entries.length === 0 ? 'the license store is empty' : 'the license store holds no usable license');
  if (usable.length > 1) throw new CalTransferError(`the license store holds ${usable.length} licenses (${usable.map((e) => e.name).join(', ')}): choose one with --entry`);
  return usable[0] as LicenseEntry & { license: Buffer };
}

export function exportCal(file: RegistryFile, o: ExportOptions): ExportResult {
  const entry = pickEntry(listLicenseEntries(file.read()), o.entry);
  const path = writeCalFile(o.dir, calFileName(o.format, o.machine), entry.license);
  const clientHwid = clientHardwareId(o.format, o.machine);
  const summary = summarizeLicense(entry.license);
  return {
    schema: 'rdplic-client-export/1',
    format: o.format,
    machine: o.machine,
    file: path,
    entry: entry.name,
    size: entry.license.length,
    sha1: createHash('sha1').update(entry.license).digest('hex'),
    clientHwid: clientHwid.toString('hex'),
    licenseHwid: summary.hwid,
    hwidMatches: summary.hwid === null ? null : summary.hwid === clientHwid.toString('hex'),
  };
}

export interface ImportOptions {
  cal: string;
  /** Lookup values; defaults from the license: dwVersion = major << 16 | minor, its product id, "Microsoft Corporation", "microsoft.com". */
  key?: Partial<LicenseStoreKey>;
  /** Make the license's HWID the device's ClientHWID, so the device presents it as the original client did. */
  adoptHwid?: boolean;
}

export interface ImportResult {
  schema: 'rdplic-client-import/1';
  cal: string;
  entry: string;
  /** True when an entry with the same lookup values was replaced. */
  replaced: boolean;
  key: LicenseStoreKey;
  hwidAdopted: boolean;
  /** The device's HWID after the import. */
  deviceHwid: string | null;
  license: LicenseSummary;
}

export const DEFAULT_COMPANY_NAME = 'Microsoft Corporation';
export const DEFAULT_SCOPE = 'microsoft.com';

export async function importCal(file: RegistryFile, o: ImportOptions): Promise<ImportResult> {
  const bytes = readCalFile(o.cal);
  let license;
  try {
    license = parseClientLicense(bytes);
  } catch (e) {
    throw new CalTransferError(`${o.cal}: not a license: ${e instanceof Error ? e.message : String(e)}`);
  }
  const key: LicenseStoreKey = {
    version: o.key?.version ?? (((license.majorVersion & 0xffff) << 16) | (license.minorVersion & 0xffff)) >>> 0,
    scope: o.key?.scope ?? DEFAULT_SCOPE,
    companyName: o.key?.companyName ?? DEFAULT_COMPANY_NAME,
    productId: o.key?.productId ?? license.productId,
  };
  return file.update((reg) => {
    const replaced = listLicenseEntries(reg).some((e) => e.key && keysMatch(e.key, key));
    const entry = saveLicenseEntry(reg, key, bytes);
    if (o.adoptHwid) writeHardwareId(reg, license.hardwareId);
    const device = readHardwareId(reg).hwid;
    return {
      changed: true,
      result: {
        schema: 'rdplic-client-import/1' as const,
        cal: o.cal,
        entry,
        replaced,
        key,
        hwidAdopted: o.adoptHwid === true,
        deviceHwid: device?.toString('hex') ?? null,
        license: summarizeLicense(bytes, { entry, key, ...(device ? { deviceHwid: device } : {}) }),
      },
    };
  });
}
