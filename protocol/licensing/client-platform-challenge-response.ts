import type { Reader, Writer } from '../wire/index.js';
import { decodeBinaryBlob, encodeBinaryBlob, type LicenseBinaryBlob } from './binary-blob.js';
import { MAC_DATA_LENGTH } from './constants.js';
import { checkLength } from './util.js';

/** CLIENT_PLATFORM_CHALLENGE_RESPONSE (bMsgType 0x15), [MS-RDPELE] 2.2.2.5. */
export interface ClientPlatformChallengeResponse {
  /**
   * EncryptedPlatformChallengeResponse: RC4(LEK, PLATFORM_CHALLENGE_RESPONSE_DATA), or (rdesktop and friends) the
   * server's encrypted challenge echoed. Type kept as received (spec 0x0009, Windows 0x0001).
   */
  encryptedPlatformChallengeResponse: LicenseBinaryBlob;
  /** EncryptedHWID: RC4(LEK, CLIENT_HARDWARE_ID), a fresh RC4 state. Type kept as received. */
  encryptedHwid: LicenseBinaryBlob;
  /** MACData: MAC(MacSaltKey, response plaintext ‖ HWID plaintext), 16 bytes. */
  macData: Buffer;
}

/** [MS-RDPELE] 2.2.2.5: the body after the preamble. */
export function decodeClientPlatformChallengeResponse(r: Reader): ClientPlatformChallengeResponse {
  const encryptedPlatformChallengeResponse = decodeBinaryBlob(r, 'EncryptedPlatformChallengeResponse');
  const encryptedHwid = decodeBinaryBlob(r, 'EncryptedHWID');
  const macData = r.bytes(MAC_DATA_LENGTH, 'MACData');
  return { encryptedPlatformChallengeResponse, encryptedHwid, macData };
}

/** [MS-RDPELE] 2.2.2.5. */
export function encodeClientPlatformChallengeResponse(w: Writer, value: ClientPlatformChallengeResponse): void {
  checkLength(value.macData, MAC_DATA_LENGTH, 'MACData');
  encodeBinaryBlob(w, value.encryptedPlatformChallengeResponse, 'EncryptedPlatformChallengeResponse');
  encodeBinaryBlob(w, value.encryptedHwid, 'EncryptedHWID');
  w.bytes(value.macData);
}
