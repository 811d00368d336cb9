import { DecodeError, asDecodeError } from '../wire/index.js';
import { rsaPublicKeyEquals, rsaPublicPart } from '../crypto/rsa-keys.js';
import type { RsaPrivateKey } from '../crypto/rsa.js';
import { OID } from '../certificates/der.js';
import { type LicenseServerIdentity, microsoftExtensions } from '../certificates/ms-certificates.js';
import {
  CLIENT_LICENSE_LANGUAGE_ID,
  CLIENT_LICENSE_PLATFORM_ID,
  HWID_SIZE,
  LICENSED_PRODUCT_INFO_VERSION,
  LICENSE_FLAGS_PERMANENT_DEFAULT,
  LICENSE_FLAGS_TEMPORARY_DEFAULT,
  LICENSE_FLAG_TEMPORARY,
  type LicensedProductInfo,
  adjustedProductId,
  decodeHardwareIdAttribute,
  decodeLicensedProductInfo,
  decodeMicrosoftAuthorityKeyIdentifier,
  decodeMsLicenseServerInfo,
  encodeHardwareIdAttribute,
} from '../certificates/ms-extensions.js';
import { type Name, microsoftName, nameAttribute } from '../certificates/name.js';
import { type CertificateSpec, type ExtensionSpec, type X509Certificate, buildCertificate, decodeX509Certificate, findExtension, verifyX509Signature } from '../certificates/x509.js';
import { decodeCertsOnlyBundle, encodeCertsOnlyBundle } from './pkcs7.js';

/**
 * The license (CAL) a license server issues, [MS-RDPELE] 2.2.2.6.1 pbLicenseInfo / 2.2.2.9: the license server's
 * certificate chain and, LAST, the client license certificate, in a PKCS#7 certs-only bundle. Layout of the client
 * license certificate as observed on three real CALs (RDPELE.md 5.3).
 */

/** Serial number of a client license: keypack-id byte ‖ big-endian license number (`03 00 00 00 0f`, RDPELE.md 5.3). */
export function clientLicenseSerialNumber(keyPackId: number, licenseNumber: number): Buffer {
  if (!Number.isInteger(keyPackId) || keyPackId < 0 || keyPackId > 0xff) throw new RangeError('keyPackId must be a byte');
  if (!Number.isInteger(licenseNumber) || licenseNumber < 0 || licenseNumber > 0xffffffff) throw new RangeError('licenseNumber must be a UINT32');
  const out = Buffer.alloc(5);
  out[0] = keyPackId;
  out.writeUInt32BE(licenseNumber, 1);
  return out;
}

export interface ClientLicenseProduct {
  /** PRODUCT_INFO pbProductId, e.g. "A02". */
  productId: string;
  majorVersion: number;
  minorVersion: number;
  /** Temporary license (bit 31 of the version flags). */
  temporary: boolean;
  /** Default `<productId>-<major>.<minor, 2 digits>-S`, e.g. "A02-6.00-S". */
  adjustedProductId?: string;
  /** Default 1. */
  quantity?: number;
  /** Default 0xFF. */
  platformId?: number;
  /** Default 0x400. */
  languageId?: number;
  /** Version flags; default 0x80808000 temporary / 0x00808000 permanent (bit 31 is then forced to `temporary`). */
  flags?: number;
}

export interface ClientLicenseParams {
  /** The license server's certificate chain, root first, the license server certificate LAST (one if self-signed). */
  licenseServerCertificates: Uint8Array[];
  /** Private key of the license server certificate: signs the client license certificate. */
  licenseServerKey: RsaPrivateKey;
  /** Written into 1.3.6.1.4.1.311.18.6 and the AKI. */
  licenseServer: LicenseServerIdentity;
  /** See {@link clientLicenseSerialNumber}. */
  serialNumber: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  /** CLIENT_HARDWARE_ID, 20 bytes. */
  hardwareId: Uint8Array;
  /** ClientMachineName → CN. */
  clientMachineName: string;
  /** ClientUserName → L. */
  clientUserName: string;
  product: ClientLicenseProduct;
  /** 1.3.6.1.4.1.311.18.4 value, default 0x00050001. */
  hydraCertVersion?: number;
  /** Inserted after 1.3.6.1.4.1.311.18.2 (e.g. 18.9 = `07 00 00 00` as Windows Server 2012+ writes). */
  extraExtensions?: ExtensionSpec[];
}

function productInfo(p: ClientLicenseProduct): LicensedProductInfo {
  const base = p.flags ?? (p.temporary ? LICENSE_FLAGS_TEMPORARY_DEFAULT : LICENSE_FLAGS_PERMANENT_DEFAULT);
  const flags = (p.temporary ? base | LICENSE_FLAG_TEMPORARY : base & ~LICENSE_FLAG_TEMPORARY) >>> 0;
  return {
    version: LICENSED_PRODUCT_INFO_VERSION,
    quantity: p.quantity ?? 1,
    platformId: p.platformId ?? CLIENT_LICENSE_PLATFORM_ID,
    languageId: p.languageId ?? CLIENT_LICENSE_LANGUAGE_ID,
    productId: p.productId,
    adjustedProductId: p.adjustedProductId ?? adjustedProductId(p.productId, p.majorVersion, p.minorVersion),
    versions: [{ major: p.majorVersion, minor: p.minorVersion, flags }],
  };
}

/**
 * Issues a license: builds the client license certificate (v3, sha1RSA 1.3.14.3.2.29, issuer = the license server
 * certificate's subject, subject {CN = machine, L = user, serialNumber = obfuscated HWID} as BMPStrings, a copy of the
 * license server's SubjectPublicKeyInfo, the critical Microsoft extensions) signed by the license server key, and
 * bundles it after the license server chain.
 */
export function buildClientLicense(p: ClientLicenseParams): Buffer {
  const ls = licenseServerCertificateOf(p);
  const lsKey = ls.subjectPublicKeyInfo.publicKey;
  if (!lsKey || !rsaPublicKeyEquals(lsKey, rsaPublicPart(p.licenseServerKey))) {
    throw new RangeError('licenseServerKey does not match the license server certificate');
  }
  const client = buildCertificate(clientLicenseCertificateSpec(p), p.licenseServerKey);
  return encodeCertsOnlyBundle([...p.licenseServerCertificates, client]);
}

function licenseServerCertificateOf(p: Pick<ClientLicenseParams, 'licenseServerCertificates'>): X509Certificate {
  if (p.licenseServerCertificates.length === 0) throw new RangeError('the license server certificate is needed');
  return decodeX509Certificate(p.licenseServerCertificates[p.licenseServerCertificates.length - 1]!);
}

/** The unsigned content of the client license certificate (keys not needed; for tests against captured TBS bytes). */
export function clientLicenseCertificateSpec(p: Omit<ClientLicenseParams, 'licenseServerKey'>): CertificateSpec {
  if (p.hardwareId.length !== HWID_SIZE) throw new RangeError(`hardwareId must be ${HWID_SIZE} bytes`);
  const ls = licenseServerCertificateOf(p);
  return {
    serialNumber: p.serialNumber,
    signatureAlgorithm: OID.oiwSha1WithRSASignature,
    issuer: ls.subject.raw,
    subject: microsoftName({ commonName: p.clientMachineName, locality: p.clientUserName, serialNumber: encodeHardwareIdAttribute(p.hardwareId) }),
    notBefore: p.notBefore,
    notAfter: p.notAfter,
    subjectPublicKey: { spki: ls.subjectPublicKeyInfo.raw },
    extensions: microsoftExtensions({
      licenseServer: p.licenseServer,
      product: productInfo(p.product),
      ownSerialNumber: p.serialNumber,
      hydraCertVersion: p.hydraCertVersion,
      extra: p.extraExtensions,
    }),
  };
}

/** What a license says, plus whether its signature holds. */
export interface ClientLicense {
  /** The license as received. */
  raw: Buffer;
  /** DER of every certificate, in bundle order (license server chain, then the client license certificate). */
  certificates: Buffer[];
  clientCertificate: X509Certificate;
  /** The bundle's certificate whose subject is the client certificate's issuer, if present. */
  issuerCertificate?: X509Certificate;
  /** Serial number of the client license certificate (contents octets). */
  serialNumber: Buffer;
  /** CLIENT_HARDWARE_ID (un-obfuscated from the subject's serialNumber attribute). */
  hardwareId: Buffer;
  /** CN. */
  clientMachineName: string;
  /** L. */
  clientUserName: string;
  issuer: {
    /** The issuer Name of the client certificate. */
    name: Name;
    /** From 1.3.6.1.4.1.311.18.6. */
    licenseServerName: string;
    licenseServerProductId: string;
    scope: string;
  };
  /** 1.3.6.1.4.1.311.18.5 as decoded. */
  product: LicensedProductInfo;
  productId: string;
  adjustedProductId: string;
  majorVersion: number;
  minorVersion: number;
  /** Bit 31 of the first version entry's flags. */
  temporary: boolean;
  notBefore: Date;
  notAfter: Date;
  /** The LS name and serial of the non-standard AuthorityKeyIdentifier, when it has Microsoft's shape. */
  authorityKeyIdentifier?: { licenseServerName: string; serialNumber: Buffer };
  /** PKCS#1 v1.5 signature of the client certificate verified with the key of its issuer in the bundle. */
  signatureValid: boolean;
}

/**
 * Parses a license (pbLicenseInfo). The client license certificate is the LAST certificate of the bundle
 * ([MS-RDPELE] 2.2.2.6.1 / RDPELE.md 5.1). Throws DecodeError only; a signature that does not verify is reported in
 * `signatureValid`, not thrown.
 */
export function parseClientLicense(der: Uint8Array, base = 0): ClientLicense {
  const own = Buffer.from(der); // the result keeps views on its input: make it ours
  return asDecodeError('LicenseInfo', base, () => parse(own, base));
}

function parse(der: Uint8Array, base: number): ClientLicense {
  const bundle = decodeCertsOnlyBundle(der, base);
  const n = bundle.certificates.length;
  if (n === 0) throw new DecodeError('INVALID_VALUE', 'SignedData.certificates', base, 'license without certificates');
  const clientCertificate = decodeX509Certificate(bundle.certificates[n - 1]!, bundle.certificateOffsets[n - 1]);
  const cc = clientCertificate;
  const at = bundle.certificateOffsets[n - 1]!;

  const attr = (type: string, field: string): string => {
    const v = nameAttribute(cc.subject, type);
    if (v === undefined) throw new DecodeError('INVALID_VALUE', field, at, `client license certificate subject has no ${field}`);
    return v;
  };
  const clientMachineName = attr(OID.commonName, 'subject.commonName');
  const clientUserName = attr(OID.localityName, 'subject.localityName');
  const hardwareId = decodeHardwareIdAttribute(attr(OID.serialNumber, 'subject.serialNumber'), 'subject.serialNumber', at);

  const ext = (oid: string, field: string) => {
    const e = findExtension(cc, oid);
    if (!e) throw new DecodeError('INVALID_VALUE', field, at, `client license certificate lacks ${field} (${oid})`);
    return e;
  };
  const lpi = ext(OID.licensedProductInfo, 'szOID_PKIX_LICENSED_PRODUCT_INFO');
  const product = decodeLicensedProductInfo(lpi.value, lpi.valueOffset);
  if (product.versions.length === 0) throw new DecodeError('INVALID_VALUE', 'LICENSED_PRODUCT_INFO.versionCount', lpi.valueOffset + 26, 'no version entry');
  const lsi = ext(OID.msLicenseServerInfo, 'szOID_PKIX_MS_LICENSE_SERVER_INFO');
  const serverInfo = decodeMsLicenseServerInfo(lsi.value, lsi.valueOffset);
  const akiExt = findExtension(cc, OID.authorityKeyIdentifier);
  const authorityKeyIdentifier = akiExt ? decodeMicrosoftAuthorityKeyIdentifier(akiExt.value) : undefined;

  // The issuing certificate: same subject bytes as the client certificate's issuer, with a key that verifies.
  let issuerCertificate: X509Certificate | undefined;
  let signatureValid = false;
  for (let i = 0; i < n - 1; i++) {
    let c: X509Certificate;
    try {
      c = decodeX509Certificate(bundle.certificates[i]!, bundle.certificateOffsets[i]);
    } catch {
      continue; // a chain certificate we cannot read does not make the license unreadable
    }
    if (!c.subject.raw.equals(cc.issuer.raw)) continue;
    issuerCertificate ??= c;
    const key = c.subjectPublicKeyInfo.publicKey;
    if (key && verifyX509Signature(cc, key)) {
      issuerCertificate = c;
      signatureValid = true;
      break;
    }
  }

  const v0 = product.versions[0]!;
  return {
    raw: bundle.raw,
    certificates: bundle.certificates,
    clientCertificate,
    issuerCertificate,
    serialNumber: cc.serialNumber,
    hardwareId,
    clientMachineName,
    clientUserName,
    issuer: {
      name: cc.issuer,
      licenseServerName: serverInfo.licenseServerName,
      licenseServerProductId: serverInfo.licenseServerProductId,
      scope: serverInfo.scope,
    },
    product,
    productId: product.productId,
    adjustedProductId: product.adjustedProductId,
    majorVersion: v0.major,
    minorVersion: v0.minor,
    temporary: (v0.flags & LICENSE_FLAG_TEMPORARY) !== 0,
    notBefore: cc.notBefore,
    notAfter: cc.notAfter,
    authorityKeyIdentifier,
    signatureValid,
  };
}
