import type { RsaPrivateKey, RsaPublicKey } from '../crypto/rsa.js';

/**
 * The Terminal Services Signing Key, [MS-RDPBCGR] 5.3.3.1.1: the publicly documented 512-bit RSA key with which
 * proprietary server certificates are signed (values of test/vectors/keys.md, given there little-endian).
 */
export const TSSK: Readonly<RsaPrivateKey> = Object.freeze({
  n: 0x87ea6d055f099320bb61f51a09065e6c7d5cf63dfebfe77ceffe3a586b6563ce954552f29a6bb7d7e2c1f5ef8720883ecb5fba4a1ec1bb4dc93e4372bd5e3a3dn,
  e: 0xc0887b5bn,
  d: 0x5ff33fe7130110c7b39b510b17790735dd0d7b0ab83ac79924b1dd249f129a176008e89933cc92cf944967e9fae63e24f868652516160058558711da3219a787n,
});

/** The public half, which clients use to check a proprietary certificate. */
export const TSSK_PUBLIC: Readonly<RsaPublicKey> = Object.freeze({ n: TSSK.n, e: TSSK.e });

/** Size of the TSSK modulus in bytes. */
export const TSSK_MODULUS_SIZE = 64;
