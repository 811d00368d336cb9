/** A SERVER_CERTIFICATE as a person reads it: proprietary (with its TSSK signature checked) or an X.509 chain. */
import {
  decodeServerCertificateBytes,
  decodeX509Certificate,
  formatName,
  isTemporarilyIssued,
  publicKeyOfServerCertificate,
  verifyProprietaryCertificate,
  verifyX509ChainSignatures,
} from '../../protocol/certificates/index.js';
import { modulusBits } from '../../protocol/crypto/index.js';

export function summarizeServerCertificate(bytes: Uint8Array): Record<string, unknown> {
  if (bytes.length === 0) return { kind: 'none (the client uses the key of the Server Security Data)' };
  const cert = decodeServerCertificateBytes(bytes);
  const key = publicKeyOfServerCertificate(cert);
  const publicKey = { bits: modulusBits(key), exponent: Number(key.e) };
  if (!('certificates' in cert)) {
    return { kind: 'proprietary', temporary: isTemporarilyIssued(cert), publicKey, tsskSignatureValid: verifyProprietaryCertificate(cert) };
  }
  const signed = verifyX509ChainSignatures(cert.certificates);
  return {
    kind: 'x509-chain',
    temporary: isTemporarilyIssued(cert),
    publicKey,
    certificates: cert.certificates.map((der, i) => {
      const c = decodeX509Certificate(der);
      return {
        subject: formatName(c.subject),
        issuer: formatName(c.issuer),
        serial: c.serialNumber,
        notBefore: c.notBefore,
        notAfter: c.notAfter,
        signatureAlgorithm: c.signatureAlgorithm,
        /** The first certificate is checked against itself (self-signed root), the others against the one before. */
        signatureValid: signed[i],
      };
    }),
  };
}
