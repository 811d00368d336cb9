import { hash48, md5, sha1 } from '../../crypto/index.js';
import { ENCRYPTION_METHOD_128BIT, ENCRYPTION_METHOD_40BIT, ENCRYPTION_METHOD_56BIT, type RdpEncryptionMethod } from './constants.js';

const SALTS_MASTER = ['A', 'BB', 'CCC'].map((s) => Buffer.from(s, 'latin1'));
const SALTS_KEYS = ['X', 'YY', 'ZZZ'].map((s) => Buffer.from(s, 'latin1'));
/** [MS-RDPBCGR] 5.3.5.1: the 40-bit salt `D1 26 9E` and the 56-bit salt `D1`. */
export const SALT_40BIT = Buffer.from([0xd1, 0x26, 0x9e]);
export const SALT_56BIT = Buffer.from([0xd1]);
export const RANDOM_SIZE = 32;

/** The Standard RDP Security keys of one connection ([MS-RDPBCGR] 5.3.5.1), reduced to the method's size. */
export interface SessionKeys {
  method: RdpEncryptionMethod;
  masterSecret: Buffer;
  sessionKeyBlob: Buffer;
  /** MACKey (16 bytes for 128-bit, 8 otherwise). */
  macKey: Buffer;
  /** InitialClientEncryptKey = InitialServerDecryptKey. */
  clientEncryptKey: Buffer;
  /** InitialClientDecryptKey = InitialServerEncryptKey. */
  clientDecryptKey: Buffer;
}

/** [MS-RDPBCGR] 5.3.5.2: 128-bit material reduced for 40-bit (`D1 26 9E` + bytes 3..8) and 56-bit (`D1` + bytes 1..8) methods. */
export function reduceKey(key: Uint8Array, method: RdpEncryptionMethod): Buffer {
  switch (method) {
    case ENCRYPTION_METHOD_128BIT: return Buffer.from(key.subarray(0, 16));
    case ENCRYPTION_METHOD_56BIT: return Buffer.concat([SALT_56BIT, key.subarray(1, 8)]);
    case ENCRYPTION_METHOD_40BIT: return Buffer.concat([SALT_40BIT, key.subarray(3, 8)]);
  }
}

/**
 * [MS-RDPBCGR] 5.3.5.1 Non-FIPS session keys:
 * PreMasterSecret = ClientRandom[0..24) + ServerRandom[0..24); MasterSecret = hash48 with salts A/BB/CCC;
 * SessionKeyBlob = hash48(MasterSecret) with salts X/YY/ZZZ; MACKey = blob[0..16);
 * client decrypt = MD5(blob[16..32) + CR + SR), client encrypt = MD5(blob[32..48) + CR + SR).
 */
export function deriveSessionKeys(clientRandom: Uint8Array, serverRandom: Uint8Array, method: RdpEncryptionMethod): SessionKeys {
  if (clientRandom.length !== RANDOM_SIZE || serverRandom.length !== RANDOM_SIZE) throw new RangeError('client and server randoms must be 32 bytes');
  const preMasterSecret = Buffer.concat([clientRandom.subarray(0, 24), serverRandom.subarray(0, 24)]);
  const masterSecret = hash48(preMasterSecret, clientRandom, serverRandom, SALTS_MASTER);
  const sessionKeyBlob = hash48(masterSecret, clientRandom, serverRandom, SALTS_KEYS);
  return {
    method,
    masterSecret,
    sessionKeyBlob,
    macKey: reduceKey(sessionKeyBlob.subarray(0, 16), method),
    clientDecryptKey: reduceKey(md5(sessionKeyBlob.subarray(16, 32), clientRandom, serverRandom), method),
    clientEncryptKey: reduceKey(md5(sessionKeyBlob.subarray(32, 48), clientRandom, serverRandom), method),
  };
}

const PAD1 = Buffer.alloc(40, 0x36);
const PAD2 = Buffer.alloc(48, 0x5c);

function u32le(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
}

/** [MS-RDPBCGR] 5.3.6.1 MAC: First64Bits(MD5(MACKey + Pad2 + SHA1(MACKey + Pad1 + LE32(len) + data))). */
export function macSignature(macKey: Uint8Array, data: Uint8Array): Buffer {
  return md5(macKey, PAD2, sha1(macKey, PAD1, u32le(data.length), data)).subarray(0, 8);
}

/**
 * [MS-RDPBCGR] 5.3.6.1.1 salted MAC (SEC_SECURE_CHECKSUM): as above with LE32(encryptionCount) appended to the SHA-1
 * input; encryptionCount is the number of PDUs the sender encrypted before this one (FreeRDP: 0 for the first).
 */
export function saltedMacSignature(macKey: Uint8Array, data: Uint8Array, encryptionCount: number): Buffer {
  return md5(macKey, PAD2, sha1(macKey, PAD1, u32le(data.length), data, u32le(encryptionCount))).subarray(0, 8);
}

/**
 * [MS-RDPBCGR] 5.3.7 key update (every 4096 packets): TempKey = MD5(Initial + Pad2 + SHA1(Initial + Pad1 + Current))
 * cut to the key size, RC4-encrypted with itself, then salted again for 40/56-bit methods.
 */
export function updateSessionKey(initialKey: Uint8Array, currentKey: Uint8Array, method: RdpEncryptionMethod, rc4: (key: Uint8Array, data: Uint8Array) => Buffer): Buffer {
  const n = initialKey.length;
  const temp = md5(initialKey, PAD2, sha1(initialKey, PAD1, currentKey)).subarray(0, n);
  const next = rc4(temp, temp);
  if (method === ENCRYPTION_METHOD_40BIT) SALT_40BIT.copy(next, 0);
  if (method === ENCRYPTION_METHOD_56BIT) SALT_56BIT.copy(next, 0);
  return next;
}
