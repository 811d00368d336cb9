/**
 * Who a license server is: its key pair, its certificate (self-signed until the clearinghouse certifies it), and the
 * issuer that turns a license record into the CAL the client stores ([MS-RDPELE] 2.2.2.6.1, RDPELE.md §5).
 */
import { clientLicenseSerialNumber, buildClientLicense } from '../../protocol/cal/index.js';
import { buildLicenseServerCertificate, buildTerminalServerCertificate, encodeSubjectPublicKeyInfo } from '../../protocol/certificates/index.js';
import { rsaPublicPart, type RsaPrivateKey, type RsaPublicKey } from '../../protocol/crypto/index.js';
import type { LicenseIssuer } from './license-server.js';
import type { LicenseRecord, TokenKind } from './types.js';

/** The product a Windows 2000-era terminal server licenses: "A02" (RDPELE.md §2.1). */
export const PRODUCT_ID = 'A02';

/** First byte of a license's certificate serial: which kind of token it is (then the license id, big-endian). */
export const SERIAL_KIND: Record<TokenKind, number> = { temporary: 1, 'built-in': 2, cal: 3, 'per-user': 4, 'internet-connector': 5 };

export const CERTIFICATE_EPOCH = new Date(Date.UTC(1970, 4, 30));
export const CERTIFICATE_END = new Date(Date.UTC(2049, 4, 30));

export interface LicenseServerKeys {
  name: string;
  /** Domain or workgroup. */
  scope: string;
  key: RsaPrivateKey;
}

export function publicKeyDer(key: RsaPublicKey): Buffer {
  return encodeSubjectPublicKeyInfo(rsaPublicPart(key));
}

/** A license server's self-signed certificate (Windows' "not activated" form, RDPELE.md §5.2). */
export function selfSignedCertificate(ls: LicenseServerKeys): Buffer {
  return buildLicenseServerCertificate({
    machineName: ls.name,
    domain: ls.scope,
    serialNumber: publicKeyDer(ls.key).subarray(-8),
    notBefore: CERTIFICATE_EPOCH,
    notAfter: CERTIFICATE_END,
    publicKey: rsaPublicPart(ls.key),
    privateKey: ls.key,
  });
}

/** Builds the CALs of one license server from its certificate chain (root first, its own certificate last). */
export class CalIssuer implements LicenseIssuer {
  constructor(
    private readonly ls: LicenseServerKeys,
    /** Returns the current chain: it changes when the server is activated. */
    private readonly chain: () => Buffer[],
    /** The License Server ID once activated (written into 1.3.6.1.4.1.311.18.6), else a placeholder. */
    private readonly serverId: () => string,
  ) {}

  certificate(l: LicenseRecord): Buffer {
    return buildClientLicense({
      licenseServerCertificates: this.chain(),
      licenseServerKey: this.ls.key,
      licenseServer: { name: this.ls.name, productId: this.serverId(), scope: this.ls.scope },
      serialNumber: licenseSerial(l.kind, l.id),
      notBefore: l.issuedAt,
      notAfter: l.expiresAt,
      hardwareId: l.hwid ?? Buffer.alloc(20),
      clientMachineName: l.machine,
      clientUserName: l.user,
      product: {
        productId: PRODUCT_ID,
        majorVersion: l.product.major,
        minorVersion: l.product.minor,
        temporary: l.kind === 'temporary',
        // RD-LICENSING.md §3.3: the built-in pool's licenses are "A02-5.00-EX".
        adjustedProductId: l.kind === 'built-in' ? `${PRODUCT_ID}-${l.product.major}.${String(l.product.minor).padStart(2, '0')}-EX` : undefined,
      },
    });
  }
}

/** The serial number of a license's certificate: its kind byte, then its id, big-endian. */
export function licenseSerial(kind: TokenKind, id: number): Buffer {
  return clientLicenseSerialNumber(SERIAL_KIND[kind], id);
}

/** The id of a license, from the serial number of its certificate (see SERIAL_KIND). */
export function licenseIdOfSerial(serial: Uint8Array): number | undefined {
  if (serial.length !== 5) return undefined;
  return Buffer.from(serial).readUInt32BE(1);
}

/** A terminal server certificate issued by this license server (the last certificate of the chain sent to clients). */
export function issueTerminalServerCertificate(ls: LicenseServerKeys, lsCertificate: Buffer, ts: { name: string; publicKey: RsaPublicKey; serial: number; notBefore: Date }): Buffer {
  const serial = Buffer.alloc(5);
  serial[0] = 1;
  serial.writeUInt32BE(ts.serial >>> 0, 1);
  return buildTerminalServerCertificate({
    commonName: `ncacn_ip_tcp:${ts.name}`,
    serialNumber: serial,
    notBefore: ts.notBefore,
    notAfter: CERTIFICATE_END,
    publicKey: ts.publicKey,
    licenseServerCertificate: lsCertificate,
    licenseServerKey: ls.key,
  });
}
