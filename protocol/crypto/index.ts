export { Rc4, rc4 } from './rc4.js';
export { md5, sha1, saltedHash, hash48 } from './hash.js';
export {
  deriveLicensingKeys,
  type LicensingKeys,
  CLIENT_RANDOM_SIZE,
  SERVER_RANDOM_SIZE,
  PREMASTER_SECRET_SIZE,
} from './licensing-keys.js';
export { licensingMac, macEquals, MAC_SIZE } from './mac.js';
export * from './rsa.js';
export { type RandomSource, seededRandom, fixedRandom } from './random.js';
export * from './rsa-keys.js';
export * from './rsa-sign.js';
