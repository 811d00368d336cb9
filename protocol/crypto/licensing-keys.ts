import { hash48, md5 } from './hash.js';

/** The keys of one licensing session, [MS-RDPELE] 5.1.2. */
export interface LicensingKeys {
  masterSecret: Buffer;
  sessionKeyBlob: Buffer;
  /** SessionKeyBlob[0..16): the key of the MAC (5.1.5). */
  macSaltKey: Buffer;
  /** FinalHash(SessionKeyBlob[16..32)): the RC4 key of every encrypted field (5.1.3). */
  licensingEncryptionKey: Buffer;
}

export const CLIENT_RANDOM_SIZE = 32;
export const SERVER_RANDOM_SIZE = 32;
export const PREMASTER_SECRET_SIZE = 48;

/** [MS-RDPELE] 5.1.2: derive the licensing keys from the two randoms and the premaster secret. */
export function deriveLicensingKeys(clientRandom: Uint8Array, serverRandom: Uint8Array, preMasterSecret: Uint8Array): LicensingKeys {
  if (clientRandom.length !== CLIENT_RANDOM_SIZE || serverRandom.length !== SERVER_RANDOM_SIZE) {
    throw new RangeError('ClientRandom and ServerRandom must be 32 bytes');
  }
  if (preMasterSecret.length !== PREMASTER_SECRET_SIZE) throw new RangeError('PreMasterSecret must be 48 bytes');
  const masterSecret = hash48(preMasterSecret, clientRandom, serverRandom);
  const sessionKeyBlob = hash48(masterSecret, serverRandom, clientRandom);
  return {
    masterSecret,
    sessionKeyBlob,
    macSaltKey: sessionKeyBlob.subarray(0, 16),
    licensingEncryptionKey: md5(sessionKeyBlob.subarray(16, 32), clientRandom, serverRandom),
  };
}
