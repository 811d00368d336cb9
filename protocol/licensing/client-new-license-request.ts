import type { Reader, Writer } from '../wire/index.js';
import { decodeBinaryBlob, encodeBinaryBlob, type LicenseBinaryBlob } from './binary-blob.js';
import { BB_CLIENT_MACHINE_NAME_BLOB, BB_CLIENT_USER_NAME_BLOB, BB_RANDOM_BLOB, CLIENT_RANDOM_LENGTH } from './constants.js';
import { checkLength } from './util.js';
import { ansiBytes, ansiText } from './text.js';

/** CLIENT_NEW_LICENSE_REQUEST (bMsgType 0x13), [MS-RDPELE] 2.2.2.2. */
export interface ClientNewLicenseRequest {
  /**
   * PreferredKeyExchangeAlg: MUST be KEY_EXCHANGE_ALG_RSA. Kept as received; the server session refuses other values
   * (a session-level check, so that the decoder can still show such a message).
   */
  preferredKeyExchangeAlg: number;
  /** PlatformId: CLIENT_OS_ID_* | CLIENT_IMAGE_ID_* | build. */
  platformId: number;
  /** ClientRandom: 32 bytes. */
  clientRandom: Buffer;
  /** EncryptedPreMasterSecret: BB_RANDOM_BLOB, RSA(premaster) little-endian + 8 zero bytes. */
  encryptedPreMasterSecret: LicenseBinaryBlob;
  /** ClientUserName as text (ANSI or UTF-8, NUL optional on receive). */
  clientUserName: string;
  /** The ClientUserName blob as received; written back while its bytes still read as `clientUserName`. */
  clientUserNameBlob?: LicenseBinaryBlob;
  /** ClientMachineName as text. */
  clientMachineName: string;
  /** The ClientMachineName blob as received. */
  clientMachineNameBlob?: LicenseBinaryBlob;
}

/** [MS-RDPELE] 2.2.2.2: the body after the preamble. Name blob types are not checked (liberal on receive). */
export function decodeClientNewLicenseRequest(r: Reader): ClientNewLicenseRequest {
  const preferredKeyExchangeAlg = r.u32le('PreferredKeyExchangeAlg');
  const platformId = r.u32le('PlatformId');
  const clientRandom = r.bytes(CLIENT_RANDOM_LENGTH, 'ClientRandom');
  const encryptedPreMasterSecret = decodeBinaryBlob(r, 'EncryptedPreMasterSecret', BB_RANDOM_BLOB);
  const clientUserNameBlob = decodeBinaryBlob(r, 'ClientUserName');
  const clientMachineNameBlob = decodeBinaryBlob(r, 'ClientMachineName');
  return {
    preferredKeyExchangeAlg,
    platformId,
    clientRandom,
    encryptedPreMasterSecret,
    clientUserName: ansiText(clientUserNameBlob.data),
    clientUserNameBlob,
    clientMachineName: ansiText(clientMachineNameBlob.data),
    clientMachineNameBlob,
  };
}

/** [MS-RDPELE] 2.2.2.2. */
export function encodeClientNewLicenseRequest(w: Writer, value: ClientNewLicenseRequest): void {
  checkLength(value.clientRandom, CLIENT_RANDOM_LENGTH, 'ClientRandom');
  w.u32le(value.preferredKeyExchangeAlg).u32le(value.platformId).bytes(value.clientRandom);
  encodeBinaryBlob(w, value.encryptedPreMasterSecret, 'EncryptedPreMasterSecret');
  encodeBinaryBlob(w, nameBlob(value.clientUserNameBlob, value.clientUserName, BB_CLIENT_USER_NAME_BLOB), 'ClientUserName');
  encodeBinaryBlob(w, nameBlob(value.clientMachineNameBlob, value.clientMachineName, BB_CLIENT_MACHINE_NAME_BLOB), 'ClientMachineName');
}

function nameBlob(blob: LicenseBinaryBlob | undefined, text: string, blobType: number): LicenseBinaryBlob {
  return blob !== undefined && ansiText(blob.data) === text ? blob : { blobType, data: ansiBytes(text) };
}
