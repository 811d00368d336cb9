import type { Reader, Writer } from '../wire/index.js';
import { decodeBinaryBlob, encodeBinaryBlob, type LicenseBinaryBlob } from './binary-blob.js';
import { BB_RANDOM_BLOB, CLIENT_RANDOM_LENGTH, MAC_DATA_LENGTH } from './constants.js';
import { checkLength } from './util.js';

/** CLIENT_LICENSE_INFO (bMsgType 0x12), [MS-RDPELE] 2.2.2.3: a client presenting its stored license. */
export interface ClientLicenseInfo {
  /** PreferredKeyExchangeAlg: MUST be KEY_EXCHANGE_ALG_RSA (checked by the server session, not here). */
  preferredKeyExchangeAlg: number;
  platformId: number;
  /** ClientRandom: 32 bytes. */
  clientRandom: Buffer;
  /** EncryptedPreMasterSecret: BB_RANDOM_BLOB. */
  encryptedPreMasterSecret: LicenseBinaryBlob;
  /** LicenseInfo: BB_DATA_BLOB, the stored CAL (pbLicenseInfo of NEW_LICENSE_INFO) unchanged. */
  licenseInfo: LicenseBinaryBlob;
  /** EncryptedHWID: RC4(LEK, CLIENT_HARDWARE_ID). Type not checked (Windows sends BB_DATA_BLOB, the spec 0x0009). */
  encryptedHwid: LicenseBinaryBlob;
  /** MACData: MAC(MacSaltKey, plaintext CLIENT_HARDWARE_ID), 16 bytes. */
  macData: Buffer;
}

/** [MS-RDPELE] 2.2.2.3: the body after the preamble. */
export function decodeClientLicenseInfo(r: Reader): ClientLicenseInfo {
  const preferredKeyExchangeAlg = r.u32le('PreferredKeyExchangeAlg');
  const platformId = r.u32le('PlatformId');
  const clientRandom = r.bytes(CLIENT_RANDOM_LENGTH, 'ClientRandom');
  const encryptedPreMasterSecret = decodeBinaryBlob(r, 'EncryptedPreMasterSecret', BB_RANDOM_BLOB);
  const licenseInfo = decodeBinaryBlob(r, 'LicenseInfo');
  const encryptedHwid = decodeBinaryBlob(r, 'EncryptedHWID');
  const macData = r.bytes(MAC_DATA_LENGTH, 'MACData');
  return { preferredKeyExchangeAlg, platformId, clientRandom, encryptedPreMasterSecret, licenseInfo, encryptedHwid, macData };
}

/** [MS-RDPELE] 2.2.2.3. */
export function encodeClientLicenseInfo(w: Writer, value: ClientLicenseInfo): void {
  checkLength(value.clientRandom, CLIENT_RANDOM_LENGTH, 'ClientRandom');
  checkLength(value.macData, MAC_DATA_LENGTH, 'MACData');
  w.u32le(value.preferredKeyExchangeAlg).u32le(value.platformId).bytes(value.clientRandom);
  encodeBinaryBlob(w, value.encryptedPreMasterSecret, 'EncryptedPreMasterSecret');
  encodeBinaryBlob(w, value.licenseInfo, 'LicenseInfo');
  encodeBinaryBlob(w, value.encryptedHwid, 'EncryptedHWID');
  w.bytes(value.macData);
}
