import { DecodeError, Reader, Writer } from '../wire/index.js';
import { CERT_CHAIN_VERSION_2, CERT_CHAIN_VERSION_MASK, CERT_TEMPORARILY_ISSUED } from './proprietary-certificate.js';

/** NumCertBlobs "MUST be between 2 and 200" ([MS-RDPELE] 2.2.1.4.2). */
export const X509_CHAIN_MIN_CERTIFICATES = 2;
export const X509_CHAIN_MAX_CERTIFICATES = 200;
/** cbCert limit, as IronRDP (a real TS or LS certificate is 0.7–1.3 KB). */
export const X509_CERTIFICATE_MAX_SIZE = 4096;

/** Padding length the spec asks for after the certificates: 8 + 4·NumCertBlobs zero bytes. */
export const x509ChainPaddingSize = (numCertBlobs: number): number => 8 + 4 * numCertBlobs;

/**
 * A SERVER_CERTIFICATE ([MS-RDPBCGR] 2.2.1.4.3.1) whose dwVersion says CERT_CHAIN_VERSION_2, i.e. dwVersion followed by
 * the X.509 certificate chain of [MS-RDPELE] 2.2.1.4.2: NumCertBlobs, CertBlobArray ({cbCert, abCert}…), Padding.
 * Order: root first; the license server certificate second to last; the terminal server certificate last.
 */
export interface X509CertificateChain {
  certChainVersion: typeof CERT_CHAIN_VERSION_2;
  /** dwVersion as sent, t-bit included. */
  version: number;
  /** abCert of each CertBlob (DER X.509). */
  certificates: Buffer[];
  /**
   * The bytes after the last CertBlob as received (FreeRDP ignores them and so do we: missing, short or non-zero padding
   * is accepted). Undefined on send means: write the 8 + 4·N zero bytes the spec asks for.
   */
  padding?: Buffer;
  raw?: Buffer;
}

/**
 * Decodes dwVersion + the chain from a reader over the whole SERVER_CERTIFICATE; everything after the certificates is
 * taken as padding. Limits: 2..200 certificates, each 1..4096 bytes.
 */
export function decodeX509CertificateChain(r: Reader): X509CertificateChain {
  const startPos = r.position;
  const versionAt = r.offset;
  const version = r.u32le('dwVersion');
  if ((version & CERT_CHAIN_VERSION_MASK) !== CERT_CHAIN_VERSION_2) {
    throw new DecodeError('INVALID_VALUE', 'dwVersion', versionAt, `certChainVersion ${version & CERT_CHAIN_VERSION_MASK} is not CERT_CHAIN_VERSION_2`);
  }
  const countAt = r.offset;
  const count = r.u32le('NumCertBlobs');
  if (count < X509_CHAIN_MIN_CERTIFICATES) {
    throw new DecodeError('INVALID_VALUE', 'NumCertBlobs', countAt, `${count} certificates (at least ${X509_CHAIN_MIN_CERTIFICATES})`);
  }
  if (count > X509_CHAIN_MAX_CERTIFICATES) {
    throw new DecodeError('LIMIT_EXCEEDED', 'NumCertBlobs', countAt, `${count} certificates (at most ${X509_CHAIN_MAX_CERTIFICATES})`);
  }
  // Every CertBlob needs at least its 4-byte cbCert plus one byte (CVE-2014-0791-style count check before looping).
  if (count * 5 > r.remaining) throw new DecodeError('TRUNCATED', 'CertBlobArray', r.offset, `${count} certificates cannot fit in ${r.remaining} bytes`);
  const certificates: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const cbAt = r.offset;
    const cb = r.u32le('cbCert');
    if (cb === 0) throw new DecodeError('INVALID_LENGTH', 'cbCert', cbAt, `certificate ${i} is empty`);
    if (cb > X509_CERTIFICATE_MAX_SIZE) throw new DecodeError('LIMIT_EXCEEDED', 'cbCert', cbAt, `certificate ${i} of ${cb} bytes (at most ${X509_CERTIFICATE_MAX_SIZE})`);
    certificates.push(Buffer.from(r.bytes(cb, 'abCert'))); // copies: received buffers may be reused by the caller
  }
  const padding = Buffer.from(r.rest());
  return { certChainVersion: CERT_CHAIN_VERSION_2, version, certificates, padding, raw: Buffer.from(r.buffer.subarray(startPos, r.position)) };
}

/** Encodes the chain. Strict: 2..200 certificates of 1..4096 bytes (RangeError otherwise). */
export function encodeX509CertificateChain(w: Writer, chain: X509CertificateChain): void {
  const n = chain.certificates.length;
  if (n < X509_CHAIN_MIN_CERTIFICATES || n > X509_CHAIN_MAX_CERTIFICATES) throw new RangeError(`an X.509 chain holds 2..200 certificates, not ${n}`);
  w.u32le(chain.version).u32le(n);
  for (const c of chain.certificates) {
    if (c.length === 0 || c.length > X509_CERTIFICATE_MAX_SIZE) throw new RangeError(`certificate of ${c.length} bytes (1..${X509_CERTIFICATE_MAX_SIZE})`);
    w.u32le(c.length).bytes(c);
  }
  if (chain.padding) w.bytes(chain.padding);
  else w.zeros(x509ChainPaddingSize(n));
}

/** A chain to send: root first, TS certificate last; the t-bit is set only when `temporary`. */
export function x509CertificateChain(certificates: Uint8Array[], opts: { temporary?: boolean } = {}): X509CertificateChain {
  return {
    certChainVersion: CERT_CHAIN_VERSION_2,
    version: (CERT_CHAIN_VERSION_2 | (opts.temporary ? CERT_TEMPORARILY_ISSUED : 0)) >>> 0,
    certificates: certificates.map((c) => Buffer.from(c)),
  };
}
