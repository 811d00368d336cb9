/**
 * Pure helpers that encrypt + MAC and decrypt + check the protected fields of the licensing messages ([MS-RDPELE] 5.1.3–
 * 5.1.5; protocol/RDPELE.md §4.4–4.6). Every field is RC4-processed with a fresh state keyed by the licensing encryption
 * key; MACs cover the plaintext. The message types keep ciphertext; these functions go between the two.
 */
import { licensingMac, macEquals, rc4, type LicensingKeys } from '../crypto/index.js';
import { encodeWith } from '../wire/index.js';
import type { LicenseBinaryBlob } from './binary-blob.js';
import type { ClientLicenseInfo } from './client-license-info.js';
import type { ClientPlatformChallengeResponse } from './client-platform-challenge-response.js';
import { BB_ENCRYPTED_DATA_BLOB } from './constants.js';
import { encodeNewLicenseInfo, type NewLicenseInfo } from './new-license-info.js';
import type { ServerNewLicense } from './server-new-license.js';
import type { ServerPlatformChallenge } from './server-platform-challenge.js';

/** The two keys the helpers need (a LicensingKeys from deriveLicensingKeys fits). */
export type FieldKeys = Pick<LicensingKeys, 'licensingEncryptionKey' | 'macSaltKey'>;

/** The challenge every Windows server sends: "TEST" UTF-16LE + NUL, 10 bytes (RDPELE.md §2.4). */
export const PLATFORM_CHALLENGE_TEST: Buffer = Buffer.from('TEST\0', 'utf16le');

/** RC4 with a fresh state keyed by the licensing encryption key ([MS-RDPELE] 5.1.3); the same call decrypts. */
export function cryptField(keys: FieldKeys, data: Uint8Array): Buffer {
  return rc4(keys.licensingEncryptionKey, data);
}

function encryptedBlob(keys: FieldKeys, plaintext: Uint8Array, blobType: number): LicenseBinaryBlob {
  return { blobType, data: cryptField(keys, plaintext) };
}

function macMatches(keys: FieldKeys, mac: Uint8Array, ...plaintext: Uint8Array[]): boolean {
  return macEquals(licensingMac(keys.macSaltKey, ...plaintext), mac);
}

/** SERVER_PLATFORM_CHALLENGE body: ConnectFlags 0, RC4(challenge) in a BB_ENCRYPTED_DATA_BLOB, MAC(challenge). */
export function sealPlatformChallenge(keys: FieldKeys, challenge: Uint8Array = PLATFORM_CHALLENGE_TEST): ServerPlatformChallenge {
  return {
    connectFlags: 0,
    encryptedPlatformChallenge: encryptedBlob(keys, challenge, BB_ENCRYPTED_DATA_BLOB),
    macData: licensingMac(keys.macSaltKey, challenge),
  };
}

/** Decrypts the challenge of a SERVER_PLATFORM_CHALLENGE and checks its MAC. */
export function decryptPlatformChallenge(keys: FieldKeys, body: ServerPlatformChallenge): { challenge: Buffer; macValid: boolean } {
  const challenge = cryptField(keys, body.encryptedPlatformChallenge.data);
  return { challenge, macValid: macMatches(keys, body.macData, challenge) };
}

/**
 * CLIENT_PLATFORM_CHALLENGE_RESPONSE body: the response plaintext (PLATFORM_CHALLENGE_RESPONSE_DATA, or the bare
 * challenge for the legacy echo) and the HWID each encrypted from a fresh RC4 state, MAC over response ‖ HWID.
 */
export function sealChallengeResponse(
  keys: FieldKeys,
  responsePlaintext: Uint8Array,
  hwid: Uint8Array,
  blobType = BB_ENCRYPTED_DATA_BLOB,
): ClientPlatformChallengeResponse {
  return {
    encryptedPlatformChallengeResponse: encryptedBlob(keys, responsePlaintext, blobType),
    encryptedHwid: encryptedBlob(keys, hwid, blobType),
    macData: licensingMac(keys.macSaltKey, responsePlaintext, hwid),
  };
}

/** Decrypts both blobs of a CLIENT_PLATFORM_CHALLENGE_RESPONSE and checks the MAC over their plaintexts. */
export function decryptChallengeResponse(
  keys: FieldKeys,
  body: ClientPlatformChallengeResponse,
): { response: Buffer; hwid: Buffer; macValid: boolean } {
  const response = cryptField(keys, body.encryptedPlatformChallengeResponse.data);
  const hwid = cryptField(keys, body.encryptedHwid.data);
  return { response, hwid, macValid: macMatches(keys, body.macData, response, hwid) };
}

/** EncryptedHWID + MACData of a CLIENT_LICENSE_INFO. */
export function sealHardwareId(
  keys: FieldKeys,
  hwid: Uint8Array,
  blobType = BB_ENCRYPTED_DATA_BLOB,
): Pick<ClientLicenseInfo, 'encryptedHwid' | 'macData'> {
  return { encryptedHwid: encryptedBlob(keys, hwid, blobType), macData: licensingMac(keys.macSaltKey, hwid) };
}

/** Decrypts the HWID of a CLIENT_LICENSE_INFO and checks its MAC. */
export function decryptLicenseInfoHwid(
  keys: FieldKeys,
  body: Pick<ClientLicenseInfo, 'encryptedHwid' | 'macData'>,
): { hwid: Buffer; macValid: boolean } {
  const hwid = cryptField(keys, body.encryptedHwid.data);
  return { hwid, macValid: macMatches(keys, body.macData, hwid) };
}

/** SERVER_NEW_LICENSE / SERVER_UPGRADE_LICENSE body: RC4(NEW_LICENSE_INFO) in a BB_ENCRYPTED_DATA_BLOB + MAC. */
export function sealNewLicenseInfo(keys: FieldKeys, info: NewLicenseInfo): ServerNewLicense {
  const plaintext = encodeWith((w) => encodeNewLicenseInfo(w, info));
  return { encryptedLicenseInfo: encryptedBlob(keys, plaintext, BB_ENCRYPTED_DATA_BLOB), macData: licensingMac(keys.macSaltKey, plaintext) };
}

/**
 * Decrypts the EncryptedLicenseInfo of a SERVER_NEW_LICENSE / SERVER_UPGRADE_LICENSE and checks the MAC. Decode the
 * plaintext with `decodeNewLicenseInfoBytes` only when the MAC is valid.
 */
export function decryptNewLicense(keys: FieldKeys, body: ServerNewLicense): { plaintext: Buffer; macValid: boolean } {
  const plaintext = cryptField(keys, body.encryptedLicenseInfo.data);
  return { plaintext, macValid: macMatches(keys, body.macData, plaintext) };
}
