import type { Reader, Writer } from '../wire/index.js';
import { decodeBinaryBlob, encodeBinaryBlob, type LicenseBinaryBlob } from './binary-blob.js';
import { MAC_DATA_LENGTH } from './constants.js';
import { checkLength } from './util.js';

/**
 * SERVER_NEW_LICENSE (bMsgType 0x03), [MS-RDPELE] 2.2.2.7, and SERVER_UPGRADE_LICENSE (bMsgType 0x04), [MS-RDPELE]
 * 2.2.2.6: the same layout, two message types.
 */
export interface ServerNewLicense {
  /** EncryptedLicenseInfo: RC4(LEK, NEW_LICENSE_INFO). Spec type BB_ENCRYPTED_DATA_BLOB; kept as received. */
  encryptedLicenseInfo: LicenseBinaryBlob;
  /** MACData: MAC(MacSaltKey, NEW_LICENSE_INFO plaintext), 16 bytes. */
  macData: Buffer;
}

/** SERVER_UPGRADE_LICENSE, [MS-RDPELE] 2.2.2.6: same layout as SERVER_NEW_LICENSE. */
export type ServerUpgradeLicense = ServerNewLicense;

/**
 * [MS-RDPELE] 2.2.2.7 / 2.2.2.6: the body after the preamble. The blob length is checked against what is left, and the
 * 16-byte MAC must follow it (BAD-INPUTS #15).
 */
export function decodeServerNewLicense(r: Reader): ServerNewLicense {
  const encryptedLicenseInfo = decodeBinaryBlob(r, 'EncryptedLicenseInfo');
  const macData = r.bytes(MAC_DATA_LENGTH, 'MACData');
  return { encryptedLicenseInfo, macData };
}

/** [MS-RDPELE] 2.2.2.7 / 2.2.2.6. */
export function encodeServerNewLicense(w: Writer, value: ServerNewLicense): void {
  checkLength(value.macData, MAC_DATA_LENGTH, 'MACData');
  encodeBinaryBlob(w, value.encryptedLicenseInfo, 'EncryptedLicenseInfo');
  w.bytes(value.macData);
}

/** [MS-RDPELE] 2.2.2.6. */
export const decodeServerUpgradeLicense: (r: Reader) => ServerUpgradeLicense = decodeServerNewLicense;
/** [MS-RDPELE] 2.2.2.6. */
export const encodeServerUpgradeLicense: (w: Writer, value: ServerUpgradeLicense) => void = encodeServerNewLicense;
