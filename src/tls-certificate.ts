/**
 * Self-signed TLS certificates for our listeners (RDP over TLS, the HTTPS APIs): made on first start, kept in the
 * data folder (key 0600), reused afterwards. Standard X.509 v3, sha256WithRSAEncryption, CN = the server's name,
 * subjectAltName IP 127.0.0.1.
 */
import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import { buildCertificate, OID } from '../protocol/certificates/index.js';
import { rsaPrivateKeyFromPem, rsaPublicPart } from '../protocol/crypto/index.js';
import type { DataFolder } from './data-folder.js';

export interface TlsIdentity {
  keyPem: string;
  certPem: string;
  certDer: Buffer;
}

function pem(label: string, der: Buffer): string {
  return `-----BEGIN ${label}-----\n${der.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END ${label}-----\n`;
}

export function derFromPem(text: string): Buffer {
  return Buffer.from(text.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

function subjectAltNameIp(ip: number[]): Buffer {
  const general = new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 7 }, valueHex: new Uint8Array(ip) });
  return Buffer.from(new asn1js.Sequence({ value: [general] }).toBER(false));
}

/** The TLS identity stored as `<name>.key` / `<name>.crt` in the folder, made if missing. */
export function tlsIdentity(folder: DataFolder, name: string, commonName: string, now = new Date()): TlsIdentity {
  const { key, pem: keyPem } = folder.rsaKey(`${name}.key`);
  if (!folder.has(`${name}.crt`)) {
    const der = buildCertificate(
      {
        serialNumber: createHash('sha256').update(keyPem).digest().subarray(0, 8),
        signatureAlgorithm: OID.sha256WithRSAEncryption,
        issuer: [[{ type: OID.commonName, value: commonName, encoding: 'utf8' }]],
        subject: [[{ type: OID.commonName, value: commonName, encoding: 'utf8' }]],
        notBefore: new Date(now.getTime() - 86_400_000),
        notAfter: new Date(Date.UTC(2049, 11, 31)),
        subjectPublicKey: rsaPublicPart(key),
        extensions: [{ oid: '2.5.29.17', value: subjectAltNameIp([127, 0, 0, 1]) }],
      },
      key,
    );
    folder.write(`${name}.crt`, pem('CERTIFICATE', der));
  }
  const certPem = folder.read(`${name}.crt`).toString('utf8');
  rsaPrivateKeyFromPem(keyPem);
  return { keyPem, certPem, certDer: derFromPem(certPem) };
}
