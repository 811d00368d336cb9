import { DecodeError, Reader, type Writer, encodeWith } from '../wire/index.js';
import type { RsaPublicKey } from '../crypto/rsa.js';
import {
  CERT_CHAIN_VERSION_1,
  CERT_CHAIN_VERSION_2,
  CERT_CHAIN_VERSION_MASK,
  CERT_TEMPORARILY_ISSUED,
  type ProprietaryServerCertificate,
  decodeProprietaryCertificate,
  encodeProprietaryCertificate,
  proprietaryPublicKey,
} from './proprietary-certificate.js';
import { type X509CertificateChain, decodeX509CertificateChain, encodeX509CertificateChain } from './x509-certificate-chain.js';
import { decodeX509Certificate, verifyX509Signature, x509PublicKey } from './x509.js';

/**
 * SERVER_CERTIFICATE, [MS-RDPBCGR] 2.2.1.4.3.1: dwVersion (certChainVersion in 31 bits + the t-bit) then either a
 * proprietary certificate (CERT_CHAIN_VERSION_1) or an X.509 chain (CERT_CHAIN_VERSION_2, [MS-RDPELE] 2.2.1.4.2).
 * Carried in the ServerCertificate blob of SERVER_LICENSE_REQUEST and in the Server Security Data of the GCC response.
 */
export type ServerCertificate = ProprietaryServerCertificate | X509CertificateChain;

/** certChainVersion of a dwVersion (t-bit masked, RDPELE.md 3.1). */
export const certChainVersionOf = (dwVersion: number): number => dwVersion & CERT_CHAIN_VERSION_MASK;

/** Whether the t-bit ("temporarily issued") is set. */
export const isTemporarilyIssued = (cert: ServerCertificate): boolean => (cert.version & CERT_TEMPORARILY_ISSUED) !== 0;

/**
 * Decodes a SERVER_CERTIFICATE that fills the whole reader (the blob's wBlobLen bytes). A proprietary certificate must
 * be followed by nothing; for a chain, whatever follows the certificates is its padding.
 */
export function decodeServerCertificate(r: Reader): ServerCertificate {
  r.need(4, 'dwVersion');
  const dwVersion = r.buffer[r.position]! | (r.buffer[r.position + 1]! << 8) | (r.buffer[r.position + 2]! << 16) | (r.buffer[r.position + 3]! << 24);
  switch (certChainVersionOf(dwVersion)) {
    case CERT_CHAIN_VERSION_1: {
      const cert = decodeProprietaryCertificate(r);
      r.end('SERVER_CERTIFICATE');
      return cert;
    }
    case CERT_CHAIN_VERSION_2:
      return decodeX509CertificateChain(r);
    default:
      throw new DecodeError('INVALID_VALUE', 'dwVersion', r.offset, `unknown certChainVersion ${certChainVersionOf(dwVersion)}`);
  }
}

/** {@link decodeServerCertificate} over a byte array; `base` is its absolute offset for errors. */
export function decodeServerCertificateBytes(bytes: Uint8Array, base = 0): ServerCertificate {
  return decodeServerCertificate(new Reader(bytes, base));
}

export function encodeServerCertificate(w: Writer, cert: ServerCertificate): void {
  if (cert.certChainVersion === CERT_CHAIN_VERSION_1) encodeProprietaryCertificate(w, cert);
  else encodeX509CertificateChain(w, cert);
}

export function serverCertificateBytes(cert: ServerCertificate): Buffer {
  return encodeWith((w) => encodeServerCertificate(w, cert));
}

/** Absolute offsets of each abCert of a decoded chain that started at `base`. */
function certificateOffsets(chain: X509CertificateChain, base: number): number[] {
  const out: number[] = [];
  let at = base + 8;
  for (const c of chain.certificates) {
    out.push(at + 4);
    at += 4 + c.length;
  }
  return out;
}

/**
 * The RSA key a client encrypts the premaster secret with ([MS-RDPELE] 5.1.1.1): the proprietary certificate's
 * little-endian modulus, or the SubjectPublicKeyInfo of the LAST certificate of an X.509 chain (the terminal server
 * certificate; FreeRDP and IronRDP do the same). Throws DecodeError only.
 */
export function publicKeyOfServerCertificate(input: Uint8Array | ServerCertificate, base = 0): RsaPublicKey {
  const cert = input instanceof Uint8Array ? decodeServerCertificateBytes(input, base) : input;
  if (cert.certChainVersion === CERT_CHAIN_VERSION_1) return proprietaryPublicKey(cert);
  const last = cert.certificates.length - 1;
  const at = input instanceof Uint8Array ? certificateOffsets(cert, base)[last]! : 0;
  return x509PublicKey(cert.certificates[last]!, at);
}

/**
 * Checks the signatures along a chain (root first): element i is verified with the key of element i−1, the first with
 * its own key (self-signed root). Returns one boolean per certificate; throws DecodeError if one does not parse.
 */
export function verifyX509ChainSignatures(certificates: Uint8Array[]): boolean[] {
  const parsed = certificates.map((c) => decodeX509Certificate(c));
  return parsed.map((cert, i) => {
    const issuerKey = parsed[i === 0 ? 0 : i - 1]!.subjectPublicKeyInfo.publicKey;
    return issuerKey !== undefined && verifyX509Signature(cert, issuerKey);
  });
}
