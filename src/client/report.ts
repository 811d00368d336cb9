/** Text for people (the JSON forms are the result objects themselves). */
import { HARDWARE_ID_KEY, INVALID_HWID_VALUE, listLicenseEntries, readHardwareId } from '../registry/mslicensing.js';
import type { Registry } from '../registry/registry.js';
import type { ExportResult, ImportResult } from './cal-transfer.js';
import type { ClientConnectResult } from './client-device.js';
import { formatLicenseSummary, summarizeLicense, type LicenseSummary } from './license-summary.js';

const row = (label: string, value: string) => `${label.padEnd(12)} ${value}`;

export function formatConnectResult(r: ClientConnectResult): string {
  let outcome: string = r.outcome;
  if (r.outcome === 'denied') outcome += `: ${r.errorCodeName}, ${r.stateTransitionName}`;
  else if (r.outcome === 'valid-client') outcome += ` (${r.errorCodeName}, ${r.stateTransitionName})`;
  else if (r.reason && !r.held) outcome += `: ${r.reason}`;
  const lines = [row('outcome', outcome), row('server', `${r.server}${r.security ? ` (${r.security === 'tls' ? 'TLS' : 'Standard RDP Security'})` : ''}`)];
  if (r.held) lines.push(row('session', r.held === 'released' ? 'held open after licensing, then disconnected' : `held open after licensing, ended by the server${r.reason ? ` (${r.reason.replace(/^during the hold: /, '')})` : ''}`));
  if (r.registryRecovered) lines.push(row('registry', `${r.registry} was corrupt (${r.registryRecovered.problem}); kept as ${r.registryRecovered.backup}, started a new one`));
  lines.push(row('hwid', `${r.hwid}${r.hwidCreated ? ' (new)' : ''}`));
  lines.push(row('presented', r.presentedEntry ?? 'none (asked for a new license)'));
  for (const x of r.rejectedEntries) lines.push(row('skipped', `${x.entry}: ${x.problem}`));
  if (r.storedEntry) lines.push(row('stored', r.storedEntry));
  if (r.storeError) lines.push(row('NOT STORED', r.storeError));
  lines.push(...(r.license ? formatLicenseSummary(r.license) : ['license      none']));
  return lines.join('\n');
}

/** `rdplic client show`: the HWID and every LICENSEnnn entry. */
export interface StoreReport {
  schema: 'rdplic-client-show/1';
  registry: string;
  hwid: string | null;
  hwidProblem: string | null;
  /** An earlier unusable ClientHWID kept aside, if any (hex). */
  invalidHwid: string | null;
  entries: Array<{ entry: string; problem: string | null; license: LicenseSummary | null }>;
}

export function storeReport(path: string, reg: Registry): StoreReport {
  const hw = readHardwareId(reg);
  const invalid = reg.getValue(HARDWARE_ID_KEY, INVALID_HWID_VALUE);
  return {
    schema: 'rdplic-client-show/1',
    registry: path,
    hwid: hw.hwid?.toString('hex') ?? null,
    hwidProblem: hw.problem ?? null,
    invalidHwid: invalid && Buffer.isBuffer(invalid.data) ? invalid.data.toString('hex') : null,
    entries: listLicenseEntries(reg).map((e) => ({
      entry: e.name,
      problem: e.problem ?? null,
      license: e.license && e.license.length > 0 ? summarizeLicense(e.license, { entry: e.name, ...(e.key ? { key: e.key } : {}), ...(hw.hwid ? { deviceHwid: hw.hwid } : {}) }) : null,
    })),
  };
}

export function formatStoreReport(r: StoreReport): string {
  const lines = [row('registry', r.registry), row('hwid', r.hwid ?? (r.hwidProblem ? `unusable: ${r.hwidProblem}` : 'none yet (made on first connection)'))];
  if (r.entries.length === 0) lines.push('no licenses');
  for (const e of r.entries) {
    if (e.license) lines.push(...formatLicenseSummary(e.license));
    else lines.push(`license ${e.entry}`);
    if (e.problem) lines.push(`  NOT USABLE: ${e.problem}`);
  }
  return lines.join('\n');
}

export function formatExportResult(r: ExportResult): string {
  const lines = [
    row('wrote', r.file),
    row('from', `${r.entry} (${r.size} bytes, sha1 ${r.sha1})`),
    row('for', `${r.format === 'freerdp' ? 'xfreerdp /client-hostname:' : 'rdesktop -n '}${r.machine}`),
  ];
  if (r.hwidMatches === false) lines.push(row('note', `${r.format} presents HWID ${r.clientHwid}; the license is bound to ${r.licenseHwid}, so a server that checks it will not accept it as is`));
  return lines.join('\n');
}

export function formatImportResult(r: ImportResult): string {
  const lines = [row('imported', `${r.cal} into ${r.entry}${r.replaced ? ' (replaced the license for the same product)' : ''}`)];
  if (r.hwidAdopted) lines.push(row('hwid', `${r.deviceHwid} (taken from the license)`));
  lines.push(...formatLicenseSummary(r.license));
  return lines.join('\n');
}
