/**
 * What a stored license says, as plain JSON-ready fields (protocol/cal parseClientLicense): for `rdplic client` output,
 * `show`, `import` and `export`.
 */
import { parseClientLicense } from '../../protocol/cal/index.js';
import type { LicenseStoreKey } from '../../protocol/session/index.js';

export interface LicenseSummary {
  /** The LICENSEnnn entry it is kept in, when it is in the registry. */
  entry: string | null;
  /** The lookup values of that entry (dwVersion as a number). */
  key: LicenseStoreKey | null;
  size: number;
  /** Why the license could not be decoded (then every field below is null). */
  decodeError: string | null;
  /** CLIENT_HARDWARE_ID bound into the license (hex). */
  hwid: string | null;
  /** Whether that HWID is the device's own (null when no device HWID was given or the license did not decode). */
  hwidMatchesDevice: boolean | null;
  user: string | null;
  machine: string | null;
  /** License server name, scope (domain or workgroup) and id, from the license's 1.3.6.1.4.1.311.18.6 extension. */
  issuer: string | null;
  issuerScope: string | null;
  issuerId: string | null;
  productId: string | null;
  adjustedProductId: string | null;
  /** "major.minor". */
  productVersion: string | null;
  notBefore: string | null;
  notAfter: string | null;
  temporary: boolean | null;
  /** Serial number of the client license certificate (hex). */
  serialNumber: string | null;
  /** The license server's signature on the client license certificate verifies. */
  signatureValid: boolean | null;
}

export function summarizeLicense(license: Uint8Array, options: { entry?: string; key?: LicenseStoreKey; deviceHwid?: Uint8Array } = {}): LicenseSummary {
  const base = { entry: options.entry ?? null, key: options.key ? { ...options.key } : null, size: license.length };
  try {
    const l = parseClientLicense(license);
    return {
      ...base,
      decodeError: null,
      hwid: l.hardwareId.toString('hex'),
      hwidMatchesDevice: options.deviceHwid ? l.hardwareId.equals(Buffer.from(options.deviceHwid)) : null,
      user: l.clientUserName,
      machine: l.clientMachineName,
      issuer: l.issuer.licenseServerName,
      issuerScope: l.issuer.scope,
      issuerId: l.issuer.licenseServerProductId,
      productId: l.productId,
      adjustedProductId: l.adjustedProductId,
      productVersion: `${l.majorVersion}.${l.minorVersion}`,
      notBefore: l.notBefore.toISOString(),
      notAfter: l.notAfter.toISOString(),
      temporary: l.temporary,
      serialNumber: l.serialNumber.toString('hex'),
      signatureValid: l.signatureValid,
    };
  } catch (e) {
    return {
      ...base,
      decodeError: e instanceof Error ? e.message : String(e),
      hwid: null,
      hwidMatchesDevice: null,
      user: null,
      machine: null,
      issuer: null,
      issuerScope: null,
      issuerId: null,
      productId: null,
      adjustedProductId: null,
      productVersion: null,
      notBefore: null,
      notAfter: null,
      temporary: null,
      serialNumber: null,
      signatureValid: null,
    };
  }
}

/** The text lines of a summary, indented under a heading line. */
export function formatLicenseSummary(s: LicenseSummary, indent = '  '): string[] {
  const head = `license${s.entry ? ` ${s.entry}` : ''} (${s.size} bytes)${s.key ? `: ${s.key.productId} version 0x${s.key.version.toString(16).padStart(8, '0')}, ${s.key.companyName}, scope ${s.key.scope}` : ''}`;
  if (s.decodeError !== null) return [head, `${indent}does not decode: ${s.decodeError}`];
  return [
    head,
    `${indent}product    ${s.productId} ${s.productVersion} (${s.adjustedProductId})${s.temporary ? ', temporary' : ', permanent'}`,
    `${indent}valid      ${s.notBefore} .. ${s.notAfter}`,
    `${indent}client     machine ${s.machine}, user ${s.user}`,
    `${indent}hwid       ${s.hwid}${s.hwidMatchesDevice === null ? '' : s.hwidMatchesDevice ? ' (this device)' : ' (NOT this device)'}`,
    `${indent}issuer     ${s.issuer}, scope ${s.issuerScope}, id ${s.issuerId}`,
    `${indent}serial     ${s.serialNumber}`,
    `${indent}signature  ${s.signatureValid ? 'valid' : 'INVALID'}`,
  ];
}
