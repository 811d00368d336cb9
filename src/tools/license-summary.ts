/** What a person wants to know about a stored or issued license (`rdplic inspect`, `rdplic decode`, `rdplic client`). */
import { parseClientLicense, type ClientLicense } from '../../protocol/cal/index.js';
import { formatName } from '../../protocol/certificates/index.js';
import { decodeNewLicenseInfoBytes } from '../../protocol/licensing/index.js';
import { DecodeError } from '../../protocol/wire/index.js';

export interface LicenseSummary {
  hwid: Buffer;
  user: string;
  machine: string;
  issuer: { name: string; licenseServer: string; licenseServerId: string; scope: string };
  productId: string;
  adjustedProductId: string;
  version: string;
  notBefore: Date;
  notAfter: Date;
  temporary: boolean;
  serial: Buffer;
  signatureValid: boolean;
  certificates: number;
}

export function summarizeLicense(l: ClientLicense): LicenseSummary {
  return {
    hwid: l.hardwareId,
    user: l.clientUserName,
    machine: l.clientMachineName,
    issuer: { name: formatName(l.issuer.name), licenseServer: l.issuer.licenseServerName, licenseServerId: l.issuer.licenseServerProductId, scope: l.issuer.scope },
    productId: l.productId,
    adjustedProductId: l.adjustedProductId,
    version: `${l.majorVersion}.${l.minorVersion}`,
    notBefore: l.notBefore,
    notAfter: l.notAfter,
    temporary: l.temporary,
    serial: l.serialNumber,
    signatureValid: l.signatureValid,
    certificates: l.certificates.length,
  };
}

/**
 * A license blob as users have them: the DER of a CAL (a `.cal` file of rdesktop or FreeRDP, a registry ClientLicense),
 * or a decrypted NEW_LICENSE_INFO holding one. Throws DecodeError.
 */
export function readLicenseBlob(bytes: Buffer): { license: ClientLicense; newLicenseInfo?: ReturnType<typeof decodeNewLicenseInfoBytes> } {
  if (bytes.length === 0) throw new DecodeError('TRUNCATED', 'license', 0, 'the license is empty');
  if (bytes[0] === 0x30) return { license: parseClientLicense(bytes) };
  const info = decodeNewLicenseInfoBytes(bytes);
  return { license: parseClientLicense(info.licenseInfo, bytes.length - info.licenseInfo.length), newLicenseInfo: info };
}
