/**
 * Certificates for the HTTPS APIs (not the RDP licensing chain): each server makes its own self-signed sha256
 * certificate, which clients pin, and a license server issues TLS client certificates to the terminal servers that
 * enrol with it. TLS validity is real time (OpenSSL checks it against the system clock), never a simulated clock.
 */
import { X509Certificate, createHash, createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { OID, buildCertificate, decodeX509Certificate, encodeBasicConstraints, type NameSpec } from '../../protocol/certificates/index.js';
import { rsaPrivateKeyFromPem, rsaPublicKeyFromDer, rsaPublicPart } from '../../protocol/crypto/index.js';
import type { DataFolder } from '../data-folder.js';

const YEAR = 365 * 86_400_000;

function name(commonName: string, organization: string): NameSpec {
  return [[{ type: OID.commonName, value: commonName, encoding: 'utf8' }], [{ type: OID.organizationName, value: organization, encoding: 'utf8' }]];
}

function serial(): Buffer {
  const s = randomBytes(16);
  s[0] = (s[0]! & 0x7f) | 0x01;
  return s;
}

export function toPem(der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  return `-----BEGIN CERTIFICATE-----\n${b64.replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`;
}

export function pemToDer(pem: string): Buffer {
  return Buffer.from(new X509Certificate(pem).raw);
}

/** SHA-256 of the certificate's DER, lower-case hex: what clients pin and what enrolment tokens carry. */
export function fingerprint(cert: string | Buffer | X509Certificate): string {
  const der = cert instanceof X509Certificate ? cert.raw : typeof cert === 'string' ? pemToDer(cert) : cert;
  return createHash('sha256').update(der).digest('hex');
}

/** A self-signed sha256 certificate for a server's HTTPS key; it is also the CA of the client certificates it issues. */
export function selfSignedTlsCertificate(keyPem: string, commonName: string, role: string, now = new Date()): string {
  const key = rsaPrivateKeyFromPem(keyPem);
  const subject = name(commonName, `rdp-licensing ${role}`);
  const der = buildCertificate(
    {
      serialNumber: serial(),
      signatureAlgorithm: OID.sha256WithRSAEncryption,
      issuer: subject,
      subject,
      notBefore: new Date(now.getTime() - 86_400_000),
      notAfter: new Date(now.getTime() + 20 * YEAR),
      subjectPublicKey: rsaPublicPart(key),
      extensions: [{ oid: OID.basicConstraints, critical: true, value: encodeBasicConstraints(true, 0) }],
    },
    key,
  );
  return toPem(der);
}

/** A TLS client certificate for `publicKeyDer` (SubjectPublicKeyInfo), issued by a server's HTTPS certificate and key. */
export function issueTlsClientCertificate(ca: { keyPem: string; certificatePem: string }, commonName: string, publicKeyDer: Buffer, now = new Date()): string {
  const caCert = new X509Certificate(ca.certificatePem);
  const der = buildCertificate(
    {
      serialNumber: serial(),
      signatureAlgorithm: OID.sha256WithRSAEncryption,
      issuer: decodeX509Certificate(Buffer.from(caCert.raw)).subject.raw,
      subject: name(commonName, 'rdp-licensing terminal server'),
      notBefore: new Date(now.getTime() - 86_400_000),
      notAfter: new Date(now.getTime() + 10 * YEAR),
      subjectPublicKey: rsaPublicPart(rsaPublicKeyFromDer(publicKeyDer)),
      extensions: [{ oid: OID.basicConstraints, critical: true, value: encodeBasicConstraints(false, null) }],
    },
    rsaPrivateKeyFromPem(ca.keyPem),
  );
  return toPem(der);
}

/** Whether `cert` was issued (signed) by `ca` and is within its validity now. */
export function issuedBy(cert: X509Certificate, ca: X509Certificate, now = new Date()): boolean {
  if (!cert.checkIssued(ca)) return false;
  try {
    if (!cert.verify(ca.publicKey)) return false;
  } catch {
    return false;
  }
  return new Date(cert.validFrom) <= now && now <= new Date(cert.validTo);
}

/** The CN of a certificate's subject. */
export function commonNameOf(cert: X509Certificate): string | undefined {
  for (const line of cert.subject.split('\n')) if (line.startsWith('CN=')) return line.slice(3);
  return undefined;
}

/** SubjectPublicKeyInfo DER of a PEM private key. */
export function publicKeyDerOfPem(keyPem: string): Buffer {
  return createPublicKey(keyPem).export({ type: 'spki', format: 'der' });
}

export interface HttpsIdentity {
  keyPem: string;
  certificatePem: string;
  fingerprint: string;
}

/** The HTTPS key (https.key, 0600) and certificate (https.crt) of a role's data folder, made on first start. */
export function httpsIdentity(folder: DataFolder, commonName: string, role: string, files = 'https'): HttpsIdentity {
  const keyPem = folder.rsaKey(`${files}.key`).pem;
  if (!folder.has(`${files}.crt`)) folder.write(`${files}.crt`, selfSignedTlsCertificate(keyPem, commonName, role));
  const certificatePem = folder.read(`${files}.crt`).toString('utf8');
  const cert = new X509Certificate(certificatePem);
  if (!cert.checkPrivateKey(createPrivateKey(keyPem))) throw new Error(`${folder.file(`${files}.crt`)} does not match ${folder.file(`${files}.key`)}`);
  return { keyPem, certificatePem, fingerprint: fingerprint(cert) };
}
