import * as asn1js from 'asn1js';
import { DecodeError } from '../wire/index.js';
import { rsaPkcs1v15Sign, rsaPkcs1v15Verify, type SignatureHash } from '../crypto/rsa-sign.js';
import { bigintToBE, modulusSize, type RsaPrivateKey, type RsaPublicKey } from '../crypto/rsa.js';
import {
  type DerNode,
  OID,
  PreEncoded,
  TAG,
  TAG_CLASS,
  algorithmIdentifier,
  bigintInteger,
  contextConstructed,
  expectTag,
  isTag,
  oid,
  parseDer,
  readBitStringBytes,
  readBoolean,
  readIntegerBytes,
  readOctetString,
  readOid,
  readSmallInteger,
  readTime,
  readUnsignedInteger,
  sequence,
  time,
  toDer,
  unsignedInteger,
} from './der.js';
import { type Name, type NameSpec, decodeName, nameBlock } from './name.js';

/**
 * Just enough X.509 ([RFC 5280] 4.1) for the certificates of RDP licensing: the TS/LS certificates of an X.509 server
 * certificate chain ([MS-RDPELE] 2.2.1.4.2, [MS-RDPBCGR] 5.3.3.2) and the certificates of a license ([MS-RDPELE]
 * 2.2.2.9). Extensions are kept as (OID, critical, raw value) and never interpreted here: Microsoft's critical
 * extensions and non-standard AuthorityKeyIdentifier make generic parsers fail (RDPELE.md 3.3).
 */

/** Limits on RSA keys read from certificates (moduli of 64..512 bytes, i.e. 512..4096 bits). */
export const RSA_MODULUS_MIN_SIZE = 64;
export const RSA_MODULUS_MAX_SIZE = 512;
/** Public exponents above 64 bits are refused. */
export const RSA_EXPONENT_MAX_SIZE = 8;

/** SubjectPublicKeyInfo algorithms accepted as RSA keys: rsaEncryption and the OIW OID license servers use. */
export const RSA_KEY_ALGORITHMS: readonly string[] = [OID.rsaEncryption, OID.oiwShaWithRSASignature];

/** Hash of each RSA signature algorithm we can verify. */
export const SIGNATURE_ALGORITHM_HASH: Readonly<Record<string, SignatureHash>> = {
  [OID.oiwSha1WithRSASignature]: 'sha1',
  [OID.sha1WithRSAEncryption]: 'sha1',
  [OID.oiwShaWithRSASignature]: 'sha1',
  [OID.sha256WithRSAEncryption]: 'sha256',
  [OID.sha384WithRSAEncryption]: 'sha384',
  [OID.sha512WithRSAEncryption]: 'sha512',
  [OID.md5WithRSAEncryption]: 'md5',
};

export interface X509Extension {
  oid: string;
  critical: boolean;
  /** Contents of extnValue (the OCTET STRING's contents). */
  value: Buffer;
  /** Absolute offset of `value` in the input. */
  valueOffset: number;
}

export interface SubjectPublicKeyInfo {
  raw: Buffer;
  algorithm: string;
  /** The RSA key, when the algorithm is one of {@link RSA_KEY_ALGORITHMS}. */
  publicKey?: RsaPublicKey;
}

export interface X509Certificate {
  /** The whole certificate, as received. */
  raw: Buffer;
  /** The TBSCertificate TLV: what the signature covers. */
  tbs: Buffer;
  /** 0 = v1, 1 = v2, 2 = v3 (the DER value). */
  version: number;
  /** Contents octets of the serialNumber INTEGER. */
  serialNumber: Buffer;
  /** tbsCertificate.signature algorithm OID. */
  signatureAlgorithm: string;
  issuer: Name;
  notBefore: Date;
  notAfter: Date;
  subject: Name;
  subjectPublicKeyInfo: SubjectPublicKeyInfo;
  extensions: X509Extension[];
  /** Certificate.signatureAlgorithm OID. */
  outerSignatureAlgorithm: string;
  /** The signature bits (big-endian). */
  signature: Buffer;
}

/** Reads an RSAPublicKey ([RFC 8017] A.1.1) from the BIT STRING of a SubjectPublicKeyInfo, with the size limits above. */
function decodeRsaPublicKey(bytes: Buffer, field: string, offset: number): RsaPublicKey {
  const node = parseDer(bytes, `${field}.RSAPublicKey`, offset);
  const [nNode, eNode, extra] = sequence(node, `${field}.RSAPublicKey`);
  if (extra) throw new DecodeError('TRAILING_BYTES', `${field}.RSAPublicKey`, extra.offset);
  const n = readUnsignedInteger(nNode, `${field}.modulus`, node.contentOffset);
  const e = readUnsignedInteger(eNode, `${field}.publicExponent`, node.contentOffset);
  const size = n === 0n ? 0 : modulusSize({ n, e });
  if (size < RSA_MODULUS_MIN_SIZE || size > RSA_MODULUS_MAX_SIZE) {
    throw new DecodeError('LIMIT_EXCEEDED', `${field}.modulus`, nNode!.offset, `modulus of ${size} bytes (allowed ${RSA_MODULUS_MIN_SIZE}..${RSA_MODULUS_MAX_SIZE})`);
  }
  if (e < 3n || (e & 1n) === 0n || e.toString(16).length > RSA_EXPONENT_MAX_SIZE * 2) {
    throw new DecodeError('INVALID_VALUE', `${field}.publicExponent`, eNode!.offset, 'unusable RSA public exponent');
  }
  return { n, e };
}

function decodeSpki(node: DerNode | undefined, field: string, at: number, requireRsa: boolean): SubjectPublicKeyInfo {
  const [alg, bits, extra] = sequence(node, field, at);
  if (extra) throw new DecodeError('TRAILING_BYTES', field, extra.offset);
  const [algOid] = sequence(alg, `${field}.algorithm`, node!.contentOffset);
  const algorithm = readOid(algOid, `${field}.algorithm`, alg!.contentOffset);
  const key = readBitStringBytes(bits, `${field}.subjectPublicKey`, alg!.offset + alg!.raw.length);
  const spki: SubjectPublicKeyInfo = { raw: node!.raw, algorithm };
  if (RSA_KEY_ALGORITHMS.includes(algorithm)) spki.publicKey = decodeRsaPublicKey(key.bytes, `${field}.subjectPublicKey`, key.offset);
  else if (requireRsa) throw new DecodeError('UNSUPPORTED', `${field}.algorithm`, algOid!.offset, `not an RSA key: ${algorithm}`);
  return spki;
}

interface CertParts {
  cert: DerNode;
  tbs: DerNode;
  fields: DerNode[];
  /** Index in `fields` of serialNumber (1 when the [0] version is present). */
  i: number;
  outerAlg: DerNode | undefined;
  sig: DerNode | undefined;
}

function split(der: Uint8Array, base: number): CertParts {
  const cert = parseDer(der, 'Certificate', base);
  const [tbs, outerAlg, sig, extra] = sequence(cert, 'Certificate');
  if (extra) throw new DecodeError('TRAILING_BYTES', 'Certificate', extra.offset, 'more than three elements');
  const fields = sequence(tbs, 'tbsCertificate', cert.contentOffset);
  const i = isTag(fields[0], 0, TAG_CLASS.context) ? 1 : 0;
  return { cert, tbs: tbs!, fields, i, outerAlg, sig };
}

/**
 * The RSA key of a certificate, reading nothing but the path to its SubjectPublicKeyInfo (FR/IR take the TS key this
 * way). Accepts rsaEncryption and 1.3.14.3.2.15.
 */
export function x509PublicKey(der: Uint8Array, base = 0): RsaPublicKey {
  const { tbs, fields, i } = split(der, base);
  // serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo
  return decodeSpki(fields[i + 5], 'tbsCertificate.subjectPublicKeyInfo', tbs.offset + tbs.raw.length, true).publicKey!;
}

/** Decodes a certificate. Keys with algorithms other than RSA are allowed (publicKey stays undefined). */
export function decodeX509Certificate(der: Uint8Array, base = 0): X509Certificate {
  const { cert, tbs, fields, i, outerAlg, sig } = split(der, base);
  const end = tbs.offset + tbs.raw.length;
  const f = (k: number) => fields[i + k];
  let version = 0;
  if (i === 1) {
    const v = expectTag(fields[0], 'tbsCertificate.version', 0, { tagClass: TAG_CLASS.context, constructed: true });
    if (v.children.length !== 1) throw new DecodeError('INVALID_VALUE', 'tbsCertificate.version', v.offset, '[0] must hold one INTEGER');
    version = readSmallInteger(v.children[0], 'tbsCertificate.version');
    if (version > 2) throw new DecodeError('UNSUPPORTED', 'tbsCertificate.version', v.offset, `X.509 version ${version + 1}`);
  }
  const serialNumber = readIntegerBytes(f(0), 'tbsCertificate.serialNumber', end);
  const [sigAlgOid] = sequence(f(1), 'tbsCertificate.signature', end);
  const signatureAlgorithm = readOid(sigAlgOid, 'tbsCertificate.signature', f(1)!.contentOffset);
  const issuer = decodeName(f(2), 'tbsCertificate.issuer', end);
  const [nb, na, vExtra] = sequence(f(3), 'tbsCertificate.validity', end);
  if (vExtra) throw new DecodeError('TRAILING_BYTES', 'tbsCertificate.validity', vExtra.offset);
  const notBefore = readTime(nb, 'tbsCertificate.validity.notBefore', f(3)!.contentOffset);
  const notAfter = readTime(na, 'tbsCertificate.validity.notAfter', f(3)!.contentOffset);
  const subject = decodeName(f(4), 'tbsCertificate.subject', end);
  const subjectPublicKeyInfo = decodeSpki(f(5), 'tbsCertificate.subjectPublicKeyInfo', end, false);
  const extensions: X509Extension[] = [];
  for (const extra of fields.slice(i + 6)) {
    if (extra.tagClass !== TAG_CLASS.context || extra.tagNumber < 1 || extra.tagNumber > 3) {
      throw new DecodeError('INVALID_VALUE', 'tbsCertificate', extra.offset, 'unexpected element after subjectPublicKeyInfo');
    }
    if (extra.tagNumber !== 3) continue; // issuerUniqueID / subjectUniqueID: ignored
    if (!extra.constructed || extra.children.length !== 1) throw new DecodeError('INVALID_VALUE', 'tbsCertificate.extensions', extra.offset, '[3] must hold one SEQUENCE');
    for (const ext of sequence(extra.children[0], 'tbsCertificate.extensions')) {
      const parts = sequence(ext, 'Extension');
      const extnID = readOid(parts[0], 'Extension.extnID', ext.contentOffset);
      let k = 1;
      let critical = false;
      if (isTag(parts[1], TAG.BOOLEAN)) {
        critical = readBoolean(parts[1], 'Extension.critical');
        k = 2;
      }
      const value = readOctetString(parts[k], 'Extension.extnValue', ext.offset + ext.raw.length);
      if (parts.length > k + 1) throw new DecodeError('TRAILING_BYTES', 'Extension', parts[k + 1]!.offset);
      extensions.push({ oid: extnID, critical, value: value.content, valueOffset: value.contentOffset });
    }
  }
  const [outerOid] = sequence(outerAlg, 'Certificate.signatureAlgorithm', end);
  const outerSignatureAlgorithm = readOid(outerOid, 'Certificate.signatureAlgorithm', outerAlg!.contentOffset);
  const signature = readBitStringBytes(sig, 'Certificate.signatureValue', outerAlg!.offset + outerAlg!.raw.length).bytes;
  return {
    raw: cert.raw,
    tbs: tbs.raw,
    version,
    serialNumber,
    signatureAlgorithm,
    issuer,
    notBefore,
    notAfter,
    subject,
    subjectPublicKeyInfo,
    extensions,
    outerSignatureAlgorithm,
    signature,
  };
}

/** The extension with this OID, if present. */
export function findExtension(cert: X509Certificate, extnId: string): X509Extension | undefined {
  return cert.extensions.find((e) => e.oid === extnId);
}

/** PKCS#1 v1.5 verification of `cert` with the issuer's key (false for unknown algorithms or a bad signature). */
export function verifyX509Signature(cert: X509Certificate, issuerKey: RsaPublicKey): boolean {
  const hash = SIGNATURE_ALGORITHM_HASH[cert.outerSignatureAlgorithm];
  if (!hash || cert.outerSignatureAlgorithm !== cert.signatureAlgorithm) return false;
  return rsaPkcs1v15Verify(issuerKey, cert.tbs, cert.signature, hash);
}

/** Same raw Name bytes (how an issuer is matched to a subject here). */
export function sameName(a: Name, b: Name): boolean {
  return a.raw.equals(b.raw);
}

// ------------------------------------------------------------------------------------------------------------------
// Building

export interface ExtensionSpec {
  oid: string;
  critical?: boolean;
  /** The contents of extnValue (DER of the extension, or Microsoft's raw little-endian structs). */
  value: Uint8Array;
}

export interface CertificateSpec {
  serialNumber: Uint8Array;
  /** Default 1.3.14.3.2.29 (sha1RSA, OIW), as license servers sign. */
  signatureAlgorithm?: string;
  /** A Name spec, or DER bytes copied as they are (e.g. the subject of the issuing certificate). */
  issuer: NameSpec | Uint8Array;
  subject: NameSpec | Uint8Array;
  notBefore: Date;
  notAfter: Date;
  /** The subject's key, or a SubjectPublicKeyInfo copied byte for byte. */
  subjectPublicKey: RsaPublicKey | { spki: Uint8Array };
  /** SubjectPublicKeyInfo algorithm when a key is given: rsaEncryption (default) or 1.3.14.3.2.15. */
  publicKeyAlgorithm?: string;
  extensions?: ExtensionSpec[];
}

/** SubjectPublicKeyInfo DER for an RSA key: `SEQUENCE { SEQUENCE { oid, NULL }, BIT STRING { RSAPublicKey } }`. */
export function encodeSubjectPublicKeyInfo(key: RsaPublicKey, algorithm: string = OID.rsaEncryption): Buffer {
  const rsaPublicKey = toDer(new asn1js.Sequence({ value: [bigintInteger(key.n), bigintInteger(key.e)] }));
  return toDer(new asn1js.Sequence({ value: [algorithmIdentifier(algorithm), new asn1js.BitString({ valueHex: rsaPublicKey, unusedBits: 0 })] }));
}

/** DER of the TBSCertificate (always v3, with the explicit [0] version FreeRDP requires). */
export function encodeTbsCertificate(spec: CertificateSpec): Buffer {
  const sigAlg = spec.signatureAlgorithm ?? OID.oiwSha1WithRSASignature;
  if (spec.serialNumber.length === 0 || spec.serialNumber.length > 20) throw new RangeError('serial number must be 1..20 bytes');
  const spki = 'spki' in spec.subjectPublicKey ? spec.subjectPublicKey.spki : encodeSubjectPublicKeyInfo(spec.subjectPublicKey, spec.publicKeyAlgorithm);
  const value: asn1js.BaseBlock[] = [
    contextConstructed(0, [new asn1js.Integer({ value: 2 })]),
    unsignedInteger(spec.serialNumber),
    algorithmIdentifier(sigAlg),
    nameBlock(spec.issuer),
    new asn1js.Sequence({ value: [time(spec.notBefore), time(spec.notAfter)] }),
    nameBlock(spec.subject),
    new PreEncoded(spki),
  ];
  if (spec.extensions && spec.extensions.length > 0) {
    value.push(
      contextConstructed(3, [
        new asn1js.Sequence({
          value: spec.extensions.map(
            (e) =>
              new asn1js.Sequence({
                value: [
                  oid(e.oid),
                  ...(e.critical ? [new asn1js.Boolean({ value: true })] : []),
                  new asn1js.OctetString({ valueHex: Buffer.from(e.value) }),
                ],
              }),
          ),
        }),
      ]),
    );
  }
  return toDer(new asn1js.Sequence({ value }));
}

/** Builds and signs a certificate (PKCS#1 v1.5 with the hash of `spec.signatureAlgorithm`). */
export function buildCertificate(spec: CertificateSpec, signerKey: RsaPrivateKey): Buffer {
  const sigAlg = spec.signatureAlgorithm ?? OID.oiwSha1WithRSASignature;
  const hash = SIGNATURE_ALGORITHM_HASH[sigAlg];
  if (!hash) throw new RangeError(`cannot sign with ${sigAlg}`);
  const tbs = encodeTbsCertificate(spec);
  const signature = rsaPkcs1v15Sign(signerKey, tbs, hash);
  return toDer(
    new asn1js.Sequence({
      value: [new PreEncoded(tbs), algorithmIdentifier(sigAlg), new asn1js.BitString({ valueHex: signature, unusedBits: 0 })],
    }),
  );
}

/** Big-endian bytes of a number, `size` long (for serial numbers such as `01 00 00 00 nn`). */
export function serialFromNumber(v: number | bigint, size: number): Buffer {
  return bigintToBE(BigInt(v), size);
}
