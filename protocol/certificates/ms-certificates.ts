import * as asn1js from 'asn1js';
import { rsaPublicKeyEquals, rsaPublicPart } from '../crypto/rsa-keys.js';
import type { RsaPrivateKey, RsaPublicKey } from '../crypto/rsa.js';
import { OID, toDer } from './der.js';
import {
  HYDRA_CERT_VERSION,
  LICENSED_PRODUCT_INFO_VERSION,
  type LicensedProductInfo,
  MICROSOFT_CORPORATION,
  TS_CERTIFICATE_PLATFORM_ID,
  TS_CERTIFICATE_PRODUCT_ID,
  encodeHardwareIdAttribute,
  encodeLicensedProductInfo,
  encodeMicrosoftAuthorityKeyIdentifier,
  encodeMsLicenseServerInfo,
  encodeUInt32Extension,
  utf16z,
} from './ms-extensions.js';
import { type NameSpec, microsoftName } from './name.js';
import { serverCertificateBytes } from './server-certificate.js';
import { x509CertificateChain } from './x509-certificate-chain.js';
import { type CertificateSpec, type ExtensionSpec, buildCertificate, decodeX509Certificate } from './x509.js';

/**
 * Builders for the X.509 v3 certificates a license server makes (RDPELE.md 3.3, 5.2; [MS-RDPELE] 4.1): its own
 * certificate (self-signed, or issued by a clearinghouse root) and the terminal-server certificate it issues, plus the
 * SERVER_CERTIFICATE chain that carries them. Everything comes in as parameters: serials, validity dates and keys.
 */

/** BasicConstraints value: `SEQUENCE { BOOLEAN TRUE, INTEGER pathLen }` (pathLen omitted when null). */
export function encodeBasicConstraints(ca: boolean, pathLength: number | null): Buffer {
  const value: asn1js.BaseBlock[] = [];
  if (ca) value.push(new asn1js.Boolean({ value: true }));
  if (pathLength !== null) value.push(new asn1js.Integer({ value: pathLength }));
  return toDer(new asn1js.Sequence({ value }));
}

/** Who signs: the issuer's Name (spec or DER) — or the issuer's certificate, whose subject is copied — and its key. */
export type IssuerSpec = { privateKey: RsaPrivateKey } & ({ name: NameSpec | Uint8Array } | { certificate: Uint8Array });

function issuerName(issuer: { name: NameSpec | Uint8Array } | { certificate: Uint8Array }): NameSpec | Uint8Array {
  return 'certificate' in issuer ? decodeX509Certificate(issuer.certificate).subject.raw : issuer.name;
}

export interface LicenseServerCertificateParams {
  /** CN: the license server's machine name. */
  machineName: string;
  /** L: its domain or workgroup. */
  domain: string;
  /** 8 bytes in Windows' certificates (e.g. 01 9e 27 4d 68 ac ed 20). */
  serialNumber: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  /** The license server's key (RSA-2048 in Windows' certificates). */
  publicKey: RsaPublicKey;
  /** Self-signed case: the matching private key signs, issuer = subject. */
  privateKey?: RsaPrivateKey;
  /** Issued case (e.g. by a clearinghouse root): issuer name + issuer key. Takes precedence over `privateKey`. */
  issuer?: IssuerSpec;
  /** BasicConstraints pathLen: 0 for a license server (default); give 1 or null (absent) for a root above one. */
  pathLength?: number | null;
  /** Attribute order in the single RDN: 'CN,L' ([MS-RDPELE] 4.1, default) or 'L,CN' (seen on a newer server). */
  nameOrder?: 'CN,L' | 'L,CN';
  /** Replaces the CN/L subject (e.g. a clearinghouse root named the X.500 way). */
  subject?: NameSpec | Uint8Array;
  /** Appended after BasicConstraints (e.g. 1.3.6.1.4.1.311.18.8 with {@link licenseServerProductKeyExtension}). */
  extensions?: ExtensionSpec[];
  /** Default sha1RSA 1.3.14.3.2.29. */
  signatureAlgorithm?: string;
}

/** 1.3.6.1.4.1.311.18.8: the license server's product key/ID as UTF-16 with NUL (seen in a Windows LS certificate). */
export function licenseServerProductKeyExtension(productKey: string): ExtensionSpec {
  return { oid: OID.licenseServerProductKey, value: utf16z(productKey) };
}

/**
 * The license-server certificate of RDPELE.md 5.2: v3, 8-byte serial, sha1RSA (OIW) with NULL parameters,
 * subject {CN = machine name, L = domain} as BMPStrings in one RDN, rsaEncryption key, BasicConstraints CA:TRUE
 * pathLen 0 (not critical). Self-signed unless `issuer` is given.
 */
export function buildLicenseServerCertificate(p: LicenseServerCertificateParams): Buffer {
  const signer = p.issuer?.privateKey ?? p.privateKey;
  if (!signer) throw new TypeError('a self-signed license server certificate needs privateKey (or give issuer)');
  if (!p.issuer && !rsaPublicKeyEquals(rsaPublicPart(signer), p.publicKey)) throw new RangeError('privateKey does not match publicKey');
  return buildCertificate(licenseServerCertificateSpec(p), signer);
}

/** The unsigned content of {@link buildLicenseServerCertificate} (keys not needed; for tests against captured TBS bytes). */
export function licenseServerCertificateSpec(
  p: Omit<LicenseServerCertificateParams, 'privateKey' | 'issuer'> & { issuer?: { name: NameSpec | Uint8Array } | { certificate: Uint8Array } },
): CertificateSpec {
  const subject = p.subject ?? microsoftName({ commonName: p.machineName, locality: p.domain }, p.nameOrder);
  return {
    serialNumber: p.serialNumber,
    signatureAlgorithm: p.signatureAlgorithm,
    issuer: p.issuer ? issuerName(p.issuer) : subject,
    subject,
    notBefore: p.notBefore,
    notAfter: p.notAfter,
    subjectPublicKey: p.publicKey,
    extensions: [
      { oid: OID.basicConstraints, value: encodeBasicConstraints(true, p.pathLength === undefined ? 0 : p.pathLength) },
      ...(p.extensions ?? []),
    ],
  };
}

/** What the license server writes about itself in the Microsoft extensions of the certificates it issues. */
export interface LicenseServerIdentity {
  /** Machine name (18.6 issuer name, and the name in the non-standard AKI). */
  name: string;
  /** Product id / License Server ID, e.g. "78440-006-5867045-70347". */
  productId: string;
  /** Domain or workgroup, e.g. "WORKGROUP". */
  scope: string;
}

/** The LICENSED_PRODUCT_INFO license servers put in TS certificates ([MS-RDPELE] 4.1). */
export function terminalServerProductInfo(languageId = 0x409): LicensedProductInfo {
  return {
    version: LICENSED_PRODUCT_INFO_VERSION,
    quantity: 1,
    platformId: TS_CERTIFICATE_PLATFORM_ID,
    languageId,
    productId: TS_CERTIFICATE_PRODUCT_ID,
    adjustedProductId: TS_CERTIFICATE_PRODUCT_ID,
    versions: [{ major: 0, minor: 0x1000, flags: 0x00648000 }],
  };
}

/**
 * The Microsoft extensions of a license-server-issued certificate, in Windows' order, all critical: 18.4 cert version,
 * 18.2 manufacturer, 18.5 product info, 18.6 license server info, then the non-standard AKI (LS name + own serial).
 */
export function microsoftExtensions(p: {
  licenseServer: LicenseServerIdentity;
  product: LicensedProductInfo;
  ownSerialNumber: Uint8Array;
  hydraCertVersion?: number;
  manufacturer?: string;
  /** Inserted after 18.2 (e.g. 1.3.6.1.4.1.311.18.9 = `07 00 00 00` as newer servers do). */
  extra?: ExtensionSpec[];
}): ExtensionSpec[] {
  return [
    { oid: OID.hydraCertVersion, critical: true, value: encodeUInt32Extension(p.hydraCertVersion ?? HYDRA_CERT_VERSION) },
    { oid: OID.manufacturer, critical: true, value: utf16z(p.manufacturer ?? MICROSOFT_CORPORATION) },
    ...(p.extra ?? []),
    { oid: OID.licensedProductInfo, critical: true, value: encodeLicensedProductInfo(p.product) },
    {
      oid: OID.msLicenseServerInfo,
      critical: true,
      value: encodeMsLicenseServerInfo({ licenseServerName: p.licenseServer.name, licenseServerProductId: p.licenseServer.productId, scope: p.licenseServer.scope }),
    },
    { oid: OID.authorityKeyIdentifier, critical: true, value: encodeMicrosoftAuthorityKeyIdentifier(p.licenseServer.name, p.ownSerialNumber) },
  ];
}

export interface TerminalServerCertificateParams {
  /** CN, e.g. "ncalrpc:RODENT" or "ncacn_ip_tcp:10.0.0.5". */
  commonName: string;
  /** L; defaults to the CN, as Windows writes. */
  locality?: string;
  /** The terminal server's own 20-byte id, written as the 2.5.4.5 serialNumber attribute like a client HWID; omitted if absent. */
  hardwareId?: Uint8Array;
  /** 5 bytes in Windows' certificates: `01 00 00 00 nn`. */
  serialNumber: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  /** The terminal server's key: what clients encrypt the premaster secret with. */
  publicKey: RsaPublicKey;
  /** rsaEncryption (default) or 1.3.14.3.2.15 (what Windows license servers write). */
  publicKeyAlgorithm?: string;
  /** The issuing license server's certificate (its subject becomes the issuer). */
  licenseServerCertificate: Uint8Array;
  licenseServerKey: RsaPrivateKey;
  /** When given, add the Microsoft extensions of [MS-RDPELE] 4.1 (otherwise the certificate has no extensions). */
  licenseServer?: LicenseServerIdentity;
  /** LICENSED_PRODUCT_INFO for those extensions; default {@link terminalServerProductInfo}(). */
  product?: LicensedProductInfo;
}

/** The terminal-server certificate a license server issues (v3, sha1RSA OIW, BMPString CN/L[/serialNumber]). */
export function buildTerminalServerCertificate(p: TerminalServerCertificateParams): Buffer {
  const ls = decodeX509Certificate(p.licenseServerCertificate);
  if (ls.subjectPublicKeyInfo.publicKey && !rsaPublicKeyEquals(ls.subjectPublicKeyInfo.publicKey, rsaPublicPart(p.licenseServerKey))) {
    throw new RangeError('licenseServerKey does not match the license server certificate');
  }
  return buildCertificate(terminalServerCertificateSpec(p), p.licenseServerKey);
}

/** The unsigned content of {@link buildTerminalServerCertificate}. */
export function terminalServerCertificateSpec(p: Omit<TerminalServerCertificateParams, 'licenseServerKey'>): CertificateSpec {
  const ls = decodeX509Certificate(p.licenseServerCertificate);
  const subject = microsoftName({
    commonName: p.commonName,
    locality: p.locality ?? p.commonName,
    serialNumber: p.hardwareId ? encodeHardwareIdAttribute(p.hardwareId) : undefined,
  });
  return {
    serialNumber: p.serialNumber,
    issuer: ls.subject.raw,
    subject,
    notBefore: p.notBefore,
    notAfter: p.notAfter,
    subjectPublicKey: p.publicKey,
    publicKeyAlgorithm: p.publicKeyAlgorithm ?? OID.rsaEncryption,
    extensions: p.licenseServer
      ? microsoftExtensions({ licenseServer: p.licenseServer, product: p.product ?? terminalServerProductInfo(), ownSerialNumber: p.serialNumber })
      : [],
  };
}

export interface ServerCertificateChainParams {
  /** Certificates above the license server, root first (e.g. a clearinghouse root); usually none. */
  issuerCertificates?: Uint8Array[];
  licenseServerCertificate: Uint8Array;
  licenseServerKey: RsaPrivateKey;
  terminalServer: Omit<TerminalServerCertificateParams, 'licenseServerCertificate' | 'licenseServerKey'>;
  /** Set the t-bit of dwVersion. Default false. */
  temporary?: boolean;
}

/**
 * The whole SERVER_CERTIFICATE of an RDS host: `[root…,] LS certificate, TS certificate` in an X.509 chain
 * (CERT_CHAIN_VERSION_2) with the spec's padding. Returns the bytes and the TS certificate it made.
 */
export function buildServerCertificateChain(p: ServerCertificateChainParams): { serverCertificate: Buffer; terminalServerCertificate: Buffer } {
  const ts = buildTerminalServerCertificate({ ...p.terminalServer, licenseServerCertificate: p.licenseServerCertificate, licenseServerKey: p.licenseServerKey });
  const certificates = [...(p.issuerCertificates ?? []), p.licenseServerCertificate, ts];
  return { serverCertificate: serverCertificateBytes(x509CertificateChain(certificates, { temporary: p.temporary })), terminalServerCertificate: ts };
}
