import { Reader, type Writer } from '../wire/index.js';
import { PLATFORM_CHALLENGE_RESPONSE_VERSION } from './constants.js';

/**
 * PLATFORM_CHALLENGE_RESPONSE_DATA, [MS-RDPELE] 2.2.2.5.1: the plaintext of EncryptedPlatformChallengeResponse as the spec
 * (and Windows, FreeRDP, Microsoft's test client) sends it.
 */
export interface PlatformChallengeResponseData {
  /** wVersion: MUST be 0x0100 (PLATFORM_CHALLENGE_RESPONSE_VERSION). */
  version: number;
  /** wClientType: WIN32_PLATFORMCHALLENGE_TYPE, …, OTHER_PLATFORMCHALLENGE_TYPE. */
  clientType: number;
  /** wLicenseDetailLevel: LICENSE_DETAIL_SIMPLE / _MODERATE / _DETAIL. */
  licenseDetailLevel: number;
  /** pbChallenge (cbChallenge bytes): the decrypted server challenge. */
  challenge: Buffer;
}

/** [MS-RDPELE] 2.2.2.5.1. */
export function decodePlatformChallengeResponseData(r: Reader): PlatformChallengeResponseData {
  const version = r.u16le('wVersion');
  const clientType = r.u16le('wClientType');
  const licenseDetailLevel = r.u16le('wLicenseDetailLevel');
  const cb = r.u16le('cbChallenge');
  const challenge = r.bytes(cb, 'pbChallenge');
  return { version, clientType, licenseDetailLevel, challenge };
}

/** [MS-RDPELE] 2.2.2.5.1. */
export function encodePlatformChallengeResponseData(w: Writer, value: PlatformChallengeResponseData): void {
  if (value.challenge.length > 0xffff) throw new RangeError('pbChallenge does not fit in cbChallenge');
  w.u16le(value.version).u16le(value.clientType).u16le(value.licenseDetailLevel).u16le(value.challenge.length).bytes(value.challenge);
}

/**
 * A decrypted challenge response in either of the two shapes real clients send: the spec's
 * PLATFORM_CHALLENGE_RESPONSE_DATA (`data`), or the legacy bare challenge echoed back by rdesktop-style clients (`echo`).
 */
export type ChallengeResponse =
  | { shape: 'data'; data: PlatformChallengeResponseData; challenge: Buffer }
  | { shape: 'echo'; challenge: Buffer };

/**
 * Tells the two shapes apart (protocol/RDPELE.md §2.5): if the plaintext is at least 8 bytes, starts with wVersion 0x0100
 * and 8 + cbChallenge equals its length, it is PLATFORM_CHALLENGE_RESPONSE_DATA; otherwise all of it is the echoed
 * challenge. Never throws.
 */
export function parseChallengeResponse(plaintext: Uint8Array): ChallengeResponse {
  const bytes = Buffer.from(plaintext.buffer, plaintext.byteOffset, plaintext.length);
  if (bytes.length >= 8 && bytes.readUInt16LE(0) === PLATFORM_CHALLENGE_RESPONSE_VERSION && 8 + bytes.readUInt16LE(6) === bytes.length) {
    const data = decodePlatformChallengeResponseData(new Reader(bytes));
    return { shape: 'data', data, challenge: data.challenge };
  }
  return { shape: 'echo', challenge: bytes };
}
