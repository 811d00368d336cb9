import type { Reader, Writer } from '../wire/index.js';
import { decodeBinaryBlob, encodeBinaryBlob, type LicenseBinaryBlob } from './binary-blob.js';
import { MAC_DATA_LENGTH } from './constants.js';
import { checkLength } from './util.js';

/** SERVER_PLATFORM_CHALLENGE (bMsgType 0x02), [MS-RDPELE] 2.2.2.4. */
export interface ServerPlatformChallenge {
  /** ConnectFlags: reserved; Windows sends garbage. Kept as received, written as given (send 0). */
  connectFlags: number;
  /** EncryptedPlatformChallenge: RC4(LEK, challenge). The type is "ignored" by the spec and kept as received. */
  encryptedPlatformChallenge: LicenseBinaryBlob;
  /** MACData: MAC(MacSaltKey, plaintext challenge), 16 bytes. */
  macData: Buffer;
}

/** [MS-RDPELE] 2.2.2.4: the body after the preamble. */
export function decodeServerPlatformChallenge(r: Reader): ServerPlatformChallenge {
  const connectFlags = r.u32le('ConnectFlags');
  const encryptedPlatformChallenge = decodeBinaryBlob(r, 'EncryptedPlatformChallenge');
  const macData = r.bytes(MAC_DATA_LENGTH, 'MACData');
  return { connectFlags, encryptedPlatformChallenge, macData };
}

/** [MS-RDPELE] 2.2.2.4. */
export function encodeServerPlatformChallenge(w: Writer, value: ServerPlatformChallenge): void {
  checkLength(value.macData, MAC_DATA_LENGTH, 'MACData');
  w.u32le(value.connectFlags);
  encodeBinaryBlob(w, value.encryptedPlatformChallenge, 'EncryptedPlatformChallenge');
  w.bytes(value.macData);
}
