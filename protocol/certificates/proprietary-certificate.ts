import { DecodeError, Reader, Writer, encodeWith } from '../wire/index.js';
import { md5 } from '../crypto/hash.js';
import { bigintFromLE, bigintToLE, modulusSize, rsaPrivate, rsaPublic, type RsaPrivateKey, type RsaPublicKey } from '../crypto/rsa.js';
import { TSSK, TSSK_PUBLIC } from './tssk.js';

/** dwVersion certChainVersion values and the t-bit of [MS-RDPBCGR] 2.2.1.4.3.1 SERVER_CERTIFICATE. */
export const CERT_CHAIN_VERSION_1 = 0x00000001;
export const CERT_CHAIN_VERSION_2 = 0x00000002;
/** t = 1: "temporarily issued" (spec and FreeRDP; IronRDP names it the other way round, RDPELE.md 3.1). */
export const CERT_TEMPORARILY_ISSUED = 0x80000000;
export const CERT_CHAIN_VERSION_MASK = 0x7fffffff;

/** [MS-RDPBCGR] 2.2.1.4.3.1.1 constants. */
export const SIGNATURE_ALG_RSA = 0x00000001;
export const KEY_EXCHANGE_ALG_RSA = 0x00000001;
export const BB_RSA_KEY_BLOB = 0x0006;
export const BB_RSA_SIGNATURE_BLOB = 0x0008;
/** "RSA1" little-endian. */
export const RSA1_MAGIC = 0x31415352;

/** Limits of RSA_PUBLIC_KEY: bitlen 512..4096 (moduli of 64..512 bytes; rdesktop wants 64..256, FreeRDP more). */
export const PROPRIETARY_MIN_BITLEN = 512;
export const PROPRIETARY_MAX_BITLEN = 4096;
/** wSignatureBlobLen: a 64-byte TSSK signature + 8 zero bytes (FreeRDP requires exactly 72). */
export const PROPRIETARY_SIGNATURE_BLOB_SIZE = 72;
/** Fixed part of RSA_PUBLIC_KEY before the modulus. */
export const RSA_PUBLIC_KEY_HEADER_SIZE = 20;

/** [MS-RDPBCGR] 2.2.1.4.3.1.1.1 RSA_PUBLIC_KEY. */
export interface RsaPublicKeyBlob {
  /** 0x31415352 "RSA1". */
  magic: number;
  /** Modulus bytes + 8. */
  keylen: number;
  /** Modulus bits. */
  bitlen: number;
  /** bitlen/8 − 1: the largest plaintext size. */
  datalen: number;
  pubExp: number;
  /** `keylen` bytes: the modulus little-endian, then 8 zero bytes (kept as received). */
  modulus: Buffer;
}

/**
 * A SERVER_CERTIFICATE ([MS-RDPBCGR] 2.2.1.4.3.1) whose dwVersion says CERT_CHAIN_VERSION_1, i.e. dwVersion followed by a
 * PROPRIETARYSERVERCERTIFICATE ([MS-RDPBCGR] 2.2.1.4.3.1.1). dwVersion is part of it because the signature covers it.
 */
export interface ProprietaryServerCertificate {
  certChainVersion: typeof CERT_CHAIN_VERSION_1;
  /** dwVersion as sent, t-bit included. */
  version: number;
  sigAlgId: number;
  keyAlgId: number;
  publicKeyBlobType: number;
  publicKeyBlob: RsaPublicKeyBlob;
  signatureBlobType: number;
  /** 72 bytes: the signature little-endian + 8 zero bytes. */
  signatureBlob: Buffer;
  /** The bytes this was decoded from (absent on a certificate built here until encoded). */
  raw?: Buffer;
}

/** Decodes RSA_PUBLIC_KEY from a reader over exactly wPublicKeyBlobLen bytes. */
export function decodeRsaPublicKeyBlob(r: Reader): RsaPublicKeyBlob {
  const start = r.offset;
  const magic = r.u32le('magic');
  if (magic !== RSA1_MAGIC) r.fail('INVALID_VALUE', 'magic', `0x${magic.toString(16)} is not RSA1`, start);
  const keylenAt = r.offset;
  const keylen = r.u32le('keylen');
  const bitlenAt = r.offset;
  const bitlen = r.u32le('bitlen');
  const datalenAt = r.offset;
  const datalen = r.u32le('datalen');
  const pubExpAt = r.offset;
  const pubExp = r.u32le('pubExp');
  if (bitlen < PROPRIETARY_MIN_BITLEN || bitlen > PROPRIETARY_MAX_BITLEN || bitlen % 8 !== 0) {
    throw new DecodeError('LIMIT_EXCEEDED', 'bitlen', bitlenAt, `bitlen ${bitlen} (allowed ${PROPRIETARY_MIN_BITLEN}..${PROPRIETARY_MAX_BITLEN}, multiple of 8)`);
  }
  const modBytes = bitlen / 8;
  if (keylen !== modBytes + 8) throw new DecodeError('INVALID_LENGTH', 'keylen', keylenAt, `keylen ${keylen} != bitlen/8 + 8 = ${modBytes + 8}`);
  if (datalen !== modBytes - 1) throw new DecodeError('INVALID_LENGTH', 'datalen', datalenAt, `datalen ${datalen} != bitlen/8 - 1 = ${modBytes - 1}`);
  if (pubExp < 3 || pubExp % 2 === 0) throw new DecodeError('INVALID_VALUE', 'pubExp', pubExpAt, `unusable public exponent ${pubExp}`);
  if (keylen !== r.remaining) {
    throw new DecodeError(keylen > r.remaining ? 'TRUNCATED' : 'INVALID_LENGTH', 'keylen', keylenAt, `keylen ${keylen} but ${r.remaining} bytes of modulus in the blob`);
  }
  const modulus = r.bytes(keylen, 'modulus');
  if (bigintFromLE(modulus.subarray(0, modBytes)) === 0n) throw new DecodeError('INVALID_VALUE', 'modulus', r.offset - keylen, 'zero modulus');
  return { magic, keylen, bitlen, datalen, pubExp, modulus };
}

export function encodeRsaPublicKeyBlob(w: Writer, blob: RsaPublicKeyBlob): void {
  w.u32le(blob.magic).u32le(blob.modulus.length).u32le(blob.bitlen).u32le(blob.datalen).u32le(blob.pubExp).bytes(blob.modulus);
}

/** RSA_PUBLIC_KEY for a key whose exponent fits a UINT32. */
export function rsaPublicKeyBlob(key: RsaPublicKey): RsaPublicKeyBlob {
  const size = modulusSize(key);
  if (size * 8 < PROPRIETARY_MIN_BITLEN || size * 8 > PROPRIETARY_MAX_BITLEN) throw new RangeError(`modulus of ${size} bytes cannot go in a proprietary certificate`);
  if (key.e > 0xffffffffn) throw new RangeError('public exponent does not fit pubExp (UINT32)');
  return {
    magic: RSA1_MAGIC,
    keylen: size + 8,
    bitlen: size * 8,
    datalen: size - 1,
    pubExp: Number(key.e),
    modulus: Buffer.concat([bigintToLE(key.n, size), Buffer.alloc(8)]),
  };
}

/** The key of an RSA_PUBLIC_KEY (modulus read little-endian over bitlen/8 bytes). */
export function publicKeyOfBlob(blob: RsaPublicKeyBlob): RsaPublicKey {
  return { n: bigintFromLE(blob.modulus.subarray(0, blob.bitlen / 8)), e: BigInt(blob.pubExp) };
}

/**
 * Decodes dwVersion + PROPRIETARYSERVERCERTIFICATE, checking what peers check (FreeRDP, IronRDP): certChainVersion 1,
 * dwSigAlgId = dwKeyAlgId = 1, the blob types, the RSA_PUBLIC_KEY consistency, wSignatureBlobLen = 72.
 * Reads exactly the structure (the caller decides about bytes after it).
 */
export function decodeProprietaryCertificate(r: Reader): ProprietaryServerCertificate {
  const startPos = r.position;
  const versionAt = r.offset;
  const version = r.u32le('dwVersion');
  if ((version & CERT_CHAIN_VERSION_MASK) !== CERT_CHAIN_VERSION_1) {
    throw new DecodeError('INVALID_VALUE', 'dwVersion', versionAt, `certChainVersion ${version & CERT_CHAIN_VERSION_MASK} is not CERT_CHAIN_VERSION_1`);
  }
  const sigAt = r.offset;
  const sigAlgId = r.u32le('dwSigAlgId');
  if (sigAlgId !== SIGNATURE_ALG_RSA) throw new DecodeError('INVALID_VALUE', 'dwSigAlgId', sigAt, `${sigAlgId} is not SIGNATURE_ALG_RSA`);
  const keyAt = r.offset;
  const keyAlgId = r.u32le('dwKeyAlgId');
  if (keyAlgId !== KEY_EXCHANGE_ALG_RSA) throw new DecodeError('INVALID_VALUE', 'dwKeyAlgId', keyAt, `${keyAlgId} is not KEY_EXCHANGE_ALG_RSA`);
  const pkTypeAt = r.offset;
  const publicKeyBlobType = r.u16le('wPublicKeyBlobType');
  if (publicKeyBlobType !== BB_RSA_KEY_BLOB) throw new DecodeError('INVALID_VALUE', 'wPublicKeyBlobType', pkTypeAt, `0x${publicKeyBlobType.toString(16)} is not BB_RSA_KEY_BLOB`);
  const publicKeyBlobLen = r.u16le('wPublicKeyBlobLen');
  const publicKeyBlob = decodeRsaPublicKeyBlob(r.sub(publicKeyBlobLen, 'PublicKeyBlob'));
  const sbTypeAt = r.offset;
  const signatureBlobType = r.u16le('wSignatureBlobType');
  if (signatureBlobType !== BB_RSA_SIGNATURE_BLOB) {
    throw new DecodeError('INVALID_VALUE', 'wSignatureBlobType', sbTypeAt, `0x${signatureBlobType.toString(16)} is not BB_RSA_SIGNATURE_BLOB`);
  }
  const sbLenAt = r.offset;
  const signatureBlobLen = r.u16le('wSignatureBlobLen');
  if (signatureBlobLen !== PROPRIETARY_SIGNATURE_BLOB_SIZE) {
    throw new DecodeError('INVALID_LENGTH', 'wSignatureBlobLen', sbLenAt, `${signatureBlobLen} (must be ${PROPRIETARY_SIGNATURE_BLOB_SIZE})`);
  }
  const signatureBlob = r.bytes(signatureBlobLen, 'SignatureBlob');
  const raw = Buffer.from(r.buffer.subarray(startPos, r.position));
  return {
    certChainVersion: CERT_CHAIN_VERSION_1,
    version,
    sigAlgId,
    keyAlgId,
    publicKeyBlobType,
    publicKeyBlob,
    signatureBlobType,
    signatureBlob,
    raw,
  };
}

/** The signed part: dwVersion ‖ dwSigAlgId ‖ dwKeyAlgId ‖ wPublicKeyBlobType ‖ wPublicKeyBlobLen ‖ PublicKeyBlob. */
function encodeSignedPart(w: Writer, cert: Omit<ProprietaryServerCertificate, 'signatureBlob' | 'signatureBlobType' | 'raw'>): void {
  w.u32le(cert.version).u32le(cert.sigAlgId).u32le(cert.keyAlgId).u16le(cert.publicKeyBlobType);
  w.u16le(RSA_PUBLIC_KEY_HEADER_SIZE + cert.publicKeyBlob.modulus.length);
  encodeRsaPublicKeyBlob(w, cert.publicKeyBlob);
}

export function encodeProprietaryCertificate(w: Writer, cert: ProprietaryServerCertificate): void {
  encodeSignedPart(w, cert);
  w.u16le(cert.signatureBlobType).u16le(cert.signatureBlob.length).bytes(cert.signatureBlob);
}

/** The bytes the TSSK signature covers (taken from `raw` when the certificate was received). */
export function proprietarySignedData(cert: ProprietaryServerCertificate): Buffer {
  if (cert.raw) return cert.raw.subarray(0, 16 + RSA_PUBLIC_KEY_HEADER_SIZE + cert.publicKeyBlob.modulus.length);
  return encodeWith((w) => encodeSignedPart(w, cert));
}

/** `MD5(signed data) ‖ 00 ‖ FF… ‖ 01`, modulusSize − 1 bytes ([MS-RDPBCGR] 5.3.3.1.2). */
function signatureBlock(signedData: Uint8Array, size: number): Buffer {
  return Buffer.concat([md5(signedData), Buffer.from([0]), Buffer.alloc(size - 1 - 18, 0xff), Buffer.from([1])]);
}

/**
 * SignatureBlob for the signed data: `LEint(MD5 ‖ 00 ‖ FF×45 ‖ 01)^d mod n` as little-endian bytes, then 8 zero bytes
 * ([MS-RDPBCGR] 5.3.3.1.2). The key is the TSSK unless another is given.
 */
export function signProprietaryData(signedData: Uint8Array, key: RsaPrivateKey = TSSK): Buffer {
  const size = modulusSize(key);
  const s = rsaPrivate(key, bigintFromLE(signatureBlock(signedData, size)));
  return Buffer.concat([bigintToLE(s, size), Buffer.alloc(8)]);
}

/** Checks the signature: `LEint(sig)^e mod n` must equal `MD5 ‖ 00 ‖ FF… ‖ 01 ‖ 00` (little-endian). */
export function verifyProprietaryCertificate(cert: ProprietaryServerCertificate, key: RsaPublicKey = TSSK_PUBLIC): boolean {
  const size = modulusSize(key);
  const sig = cert.signatureBlob;
  if (sig.length < size) return false;
  const s = bigintFromLE(sig.subarray(0, size));
  if (s >= key.n) return false;
  const m = bigintToLE(rsaPublic(key, s), size);
  return m.equals(Buffer.concat([signatureBlock(proprietarySignedData(cert), size), Buffer.alloc(1)]));
}

/** The server's key carried by the certificate. */
export function proprietaryPublicKey(cert: ProprietaryServerCertificate): RsaPublicKey {
  return publicKeyOfBlob(cert.publicKeyBlob);
}

export interface ProprietaryCertificateOptions {
  /** Set the t-bit (CERT_TEMPORARILY_ISSUED). Default false, as xrdp and the [MS-RDPBCGR] example. */
  temporary?: boolean;
  /** Default: the TSSK, which is what clients verify against. */
  signingKey?: RsaPrivateKey;
}

/** A proprietary certificate for `key`, signed as [MS-RDPBCGR] 5.3.3.1.2 says (what xrdp sends, RDPELE.md 3.4). */
export function buildProprietaryCertificate(key: RsaPublicKey, opts: ProprietaryCertificateOptions = {}): ProprietaryServerCertificate {
  const unsigned = {
    certChainVersion: CERT_CHAIN_VERSION_1,
    version: (CERT_CHAIN_VERSION_1 | (opts.temporary ? CERT_TEMPORARILY_ISSUED : 0)) >>> 0,
    sigAlgId: SIGNATURE_ALG_RSA,
    keyAlgId: KEY_EXCHANGE_ALG_RSA,
    publicKeyBlobType: BB_RSA_KEY_BLOB,
    publicKeyBlob: rsaPublicKeyBlob(key),
  } as const;
  const signatureBlob = signProprietaryData(encodeWith((w) => encodeSignedPart(w, unsigned)), opts.signingKey ?? TSSK);
  const cert: ProprietaryServerCertificate = { ...unsigned, signatureBlobType: BB_RSA_SIGNATURE_BLOB, signatureBlob };
  cert.raw = encodeWith((w) => encodeProprietaryCertificate(w, cert));
  return cert;
}
