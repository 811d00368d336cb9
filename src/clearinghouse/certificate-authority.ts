/** The clearinghouse's root certificate and the license-server certificates it issues on activation. */
import { buildLicenseServerCertificate } from '../../protocol/certificates/index.js';
import { rsaPublicKeyFromDer, rsaPublicPart, type RsaPrivateKey } from '../../protocol/crypto/index.js';
import type { CertificateAuthority } from './clearinghouse.js';

export const ROOT_NAME = 'rdp-licensing Clearinghouse Root';

export class ClearinghouseCa implements CertificateAuthority {
  readonly rootCertificate: Buffer;

  constructor(private readonly rootKey: RsaPrivateKey) {
    this.rootCertificate = buildLicenseServerCertificate({
      machineName: ROOT_NAME,
      domain: 'Clearinghouse',
      serialNumber: Buffer.from('0100000000000001', 'hex'),
      notBefore: new Date(Date.UTC(2000, 0, 1)),
      notAfter: new Date(Date.UTC(2049, 11, 31)),
      publicKey: rsaPublicPart(rootKey),
      privateKey: rootKey,
      pathLength: 1,
      signatureAlgorithm: '1.2.840.113549.1.1.11',
    });
  }

  issueLicenseServerCertificate(req: { publicKeyDer: Buffer; name: string; scope: string; serial: number; notBefore: Date; notAfter: Date }): Buffer {
    const serial = Buffer.alloc(8);
    serial[0] = 2;
    serial.writeUInt32BE(req.serial >>> 0, 4);
    return buildLicenseServerCertificate({
      machineName: req.name,
      domain: req.scope,
      serialNumber: serial,
      notBefore: req.notBefore,
      notAfter: req.notAfter,
      publicKey: rsaPublicKeyFromDer(req.publicKeyDer),
      issuer: { certificate: this.rootCertificate, privateKey: this.rootKey },
      signatureAlgorithm: '1.2.840.113549.1.1.11',
    });
  }
}
