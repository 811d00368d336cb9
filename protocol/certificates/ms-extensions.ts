import * as asn1js from 'asn1js';
import { DecodeError, Reader, Writer } from '../wire/index.js';
import { PreEncoded, contextConstructed, contextPrimitive, toDer } from './der.js';

/**
 * The Microsoft certificate extensions of license-server-issued certificates ([MS-RDPELE] 2.2.2.9; layouts as observed
 * on five real certificates, RDPELE.md 5.3 — the field names are inferred). Values are little-endian structs carried
 * as the raw contents of extnValue, not DER.
 */

/** szOID_PKIX_HYDRA_CERT_VERSION value written by license servers: `01 00 05 00`. */
export const HYDRA_CERT_VERSION = 0x00050001;
/** Value of szOID_PKIX_MANUFACTURER. */
export const MICROSOFT_CORPORATION = 'Microsoft Corporation';
/** dwVersion of LICENSED_PRODUCT_INFO and MS_LICENSE_SERVER_INFO. */
export const LICENSED_PRODUCT_INFO_VERSION = 0x00003000;
export const MS_LICENSE_SERVER_INFO_VERSION = 0x00003000;
/** Bit 31 of a version entry's flags: the license is temporary. */
export const LICENSE_FLAG_TEMPORARY = 0x80000000;
/** Flags observed on a permanent Windows CAL (RDPELE.md 5.3). */
export const LICENSE_FLAGS_PERMANENT_DEFAULT = 0x00808000;
/** Flags observed on a temporary CAL issued by Windows Server 2019 (IR chain D). */
export const LICENSE_FLAGS_TEMPORARY_DEFAULT = 0x80808000;
/** dwPlatformId of a client CAL / of a TS certificate; dwLanguageId of a client CAL. */
export const CLIENT_LICENSE_PLATFORM_ID = 0xff;
export const TS_CERTIFICATE_PLATFORM_ID = 0x2;
export const CLIENT_LICENSE_LANGUAGE_ID = 0x400;
/** Product id a license server puts in terminal-server certificates ([MS-RDPELE] 4.1). */
export const TS_CERTIFICATE_PRODUCT_ID = '3d267954-eeb7-11d1-b94e-00c04fa3080d';

/** Limits on what is read: strings of at most 256 UTF-16 units, at most 64 version entries. */
export const MS_STRING_MAX_BYTES = 512;
export const LICENSED_PRODUCT_MAX_VERSIONS = 64;

export function encodeUInt32Extension(v: number): Buffer {
  return new Writer(4).u32le(v).toBuffer();
}

export function decodeUInt32Extension(value: Uint8Array, field: string, base = 0): number {
  const r = new Reader(value, base);
  const v = r.u32le(field);
  r.end(field);
  return v;
}

/** UTF-16LE with a terminating NUL. */
export function utf16z(s: string): Buffer {
  return Buffer.from(`${s}\0`, 'utf16le');
}

/** Reads a NUL-terminated UTF-16LE string that starts at `start` of `buf` and must end before `limit`. */
function readUtf16z(buf: Buffer, start: number, limit: number, field: string, base: number): { value: string; end: number } {
  if (start < 0 || start > limit || start % 1 !== 0) throw new DecodeError('INVALID_LENGTH', field, base + start, 'string offset outside the structure');
  for (let i = start; i + 1 < limit && i - start < MS_STRING_MAX_BYTES; i += 2) {
    if (buf[i] === 0 && buf[i + 1] === 0) return { value: buf.subarray(start, i).toString('utf16le'), end: i + 2 };
  }
  throw new DecodeError(limit - start >= MS_STRING_MAX_BYTES ? 'LIMIT_EXCEEDED' : 'TRUNCATED', field, base + start, 'UTF-16 string without NUL');
}

/** Decodes szOID_PKIX_MANUFACTURER: UTF-16LE with NUL (a missing NUL is tolerated). */
export function decodeManufacturer(value: Uint8Array, base = 0): string {
  const b = Buffer.from(value);
  if (b.length % 2 !== 0) throw new DecodeError('INVALID_LENGTH', 'szOID_PKIX_MANUFACTURER', base, 'odd length');
  return b.toString('utf16le').replace(/\0+$/, '');
}

export interface LicensedProductVersion {
  major: number;
  minor: number;
  /** Bit 31 = temporary ({@link LICENSE_FLAG_TEMPORARY}); the other bits are not understood (0x00808000 observed). */
  flags: number;
}

/** szOID_PKIX_LICENSED_PRODUCT_INFO (1.3.6.1.4.1.311.18.5). */
export interface LicensedProductInfo {
  /** 0x00003000. */
  version: number;
  quantity: number;
  platformId: number;
  languageId: number;
  /** Product id as requested, e.g. "A02". */
  productId: string;
  /** Product id with version and type, e.g. "A02-6.00-S". */
  adjustedProductId: string;
  versions: LicensedProductVersion[];
}

const LPI_HEADER = 28;

/** `A02` + 6.0 → `A02-6.00-S` (the form seen on Windows CALs: minor version on two digits). */
export function adjustedProductId(productId: string, major: number, minor: number): string {
  return `${productId}-${major}.${String(minor).padStart(2, '0')}-S`;
}

export function encodeLicensedProductInfo(info: LicensedProductInfo): Buffer {
  const org = utf16z(info.productId);
  const adj = utf16z(info.adjustedProductId);
  const w = new Writer(LPI_HEADER + org.length + adj.length + info.versions.length * 8 + 4);
  w.u32le(info.version).u32le(info.quantity).u32le(info.platformId).u32le(info.languageId);
  w.u16le(LPI_HEADER).u16le(org.length);
  w.u16le(LPI_HEADER + org.length).u16le(adj.length);
  w.u16le(LPI_HEADER + org.length + adj.length).u16le(info.versions.length);
  w.bytes(org).bytes(adj);
  for (const v of info.versions) w.u16le(v.major).u16le(v.minor).u32le(v.flags);
  w.u32le(0);
  return w.toBuffer();
}

/** Decodes LICENSED_PRODUCT_INFO, following its offsets (relative to the start of the value). */
export function decodeLicensedProductInfo(value: Uint8Array, base = 0): LicensedProductInfo {
  const F = 'LICENSED_PRODUCT_INFO';
  const buf = Buffer.from(value);
  const r = new Reader(buf, base);
  const version = r.u32le(`${F}.dwVersion`);
  const quantity = r.u32le(`${F}.dwQuantity`);
  const platformId = r.u32le(`${F}.dwPlatformId`);
  const languageId = r.u32le(`${F}.dwLanguageId`);
  const orgOffset = r.u16le(`${F}.orgProductIdOffset`);
  const orgSize = r.u16le(`${F}.orgProductIdSize`);
  const adjOffset = r.u16le(`${F}.adjProductIdOffset`);
  const adjSize = r.u16le(`${F}.adjProductIdSize`);
  const versionsOffset = r.u16le(`${F}.versionsOffset`);
  const versionCount = r.u16le(`${F}.versionCount`);
  const str = (off: number, size: number, field: string): string => {
    if (off < LPI_HEADER || off + size > buf.length) throw new DecodeError('INVALID_LENGTH', field, base + off, 'string outside the structure');
    return readUtf16z(buf, off, off + size, field, base).value;
  };
  const productId = str(orgOffset, orgSize, `${F}.productId`);
  const adjusted = str(adjOffset, adjSize, `${F}.adjustedProductId`);
  if (versionCount > LICENSED_PRODUCT_MAX_VERSIONS) {
    throw new DecodeError('LIMIT_EXCEEDED', `${F}.versionCount`, base + 26, `${versionCount} versions (max ${LICENSED_PRODUCT_MAX_VERSIONS})`);
  }
  if (versionsOffset < LPI_HEADER || versionsOffset + versionCount * 8 > buf.length) {
    throw new DecodeError('INVALID_LENGTH', `${F}.versionsOffset`, base + 24, 'version entries outside the structure');
  }
  const vr = new Reader(buf.subarray(versionsOffset), base + versionsOffset);
  const versions: LicensedProductVersion[] = [];
  for (let i = 0; i < versionCount; i++) {
    versions.push({ major: vr.u16le(`${F}.major`), minor: vr.u16le(`${F}.minor`), flags: vr.u32le(`${F}.flags`) });
  }
  return { version, quantity, platformId, languageId, productId, adjustedProductId: adjusted, versions };
}

/** szOID_PKIX_MS_LICENSE_SERVER_INFO (1.3.6.1.4.1.311.18.6). */
export interface MsLicenseServerInfo {
  /** 0x00003000 (three offsets) or a V1 value (0x1000 / 0x00010000: two offsets, no product id). */
  version: number;
  /** License server machine name ("issuer name"). */
  licenseServerName: string;
  /** License server product id / server id, e.g. "78440-006-5867045-70347" (empty in V1). */
  licenseServerProductId: string;
  /** Scope: domain or workgroup ("WORKGROUP"). */
  scope: string;
}

/** `dwVersion, 0, offset(product id), offset(scope)`, then the three UTF-16 strings with NULs, then 2 zero bytes. */
export function encodeMsLicenseServerInfo(info: Omit<MsLicenseServerInfo, 'version'> & { version?: number }): Buffer {
  const name = utf16z(info.licenseServerName);
  const pid = utf16z(info.licenseServerProductId);
  const scope = utf16z(info.scope);
  return new Writer(10 + name.length + pid.length + scope.length + 2)
    .u32le(info.version ?? MS_LICENSE_SERVER_INFO_VERSION)
    .u16le(0)
    .u16le(name.length)
    .u16le(name.length + pid.length)
    .bytes(name)
    .bytes(pid)
    .bytes(scope)
    .u16le(0)
    .toBuffer();
}

export function decodeMsLicenseServerInfo(value: Uint8Array, base = 0): MsLicenseServerInfo {
  const F = 'MS_LICENSE_SERVER_INFO';
  const buf = Buffer.from(value);
  const r = new Reader(buf, base);
  const version = r.u32le(`${F}.dwVersion`);
  const v1 = version === 0x1000 || version === 0x00010000;
  const nameOffset = r.u16le(`${F}.issuerNameOffset`);
  const pidOffset = v1 ? -1 : r.u16le(`${F}.lsProductIdOffset`);
  const scopeOffset = r.u16le(`${F}.lsScopeOffset`);
  const start = r.position;
  const strings = buf.subarray(start);
  const at = (off: number, field: string) => readUtf16z(strings, off, strings.length, field, base + start).value;
  return {
    version,
    licenseServerName: at(nameOffset, `${F}.issuerName`),
    licenseServerProductId: pidOffset < 0 ? '' : at(pidOffset, `${F}.lsProductId`),
    scope: at(scopeOffset, `${F}.lsScope`),
  };
}

/**
 * Microsoft's non-standard AuthorityKeyIdentifier (2.5.29.35) of license-server-issued certificates:
 * `30 L a1 L a4 L <UTF-16LE license server name + NUL> 82 n <serial>` — the [4] "directoryName" holds raw UTF-16 instead
 * of a Name, and the [2] serial is the certificate's OWN serial number (RDPELE.md 5.3).
 */
export function encodeMicrosoftAuthorityKeyIdentifier(licenseServerName: string, ownSerialNumber: Uint8Array): Buffer {
  return toDer(
    new asn1js.Sequence({
      value: [contextConstructed(1, [contextConstructed(4, [new PreEncoded(utf16z(licenseServerName))])]), contextPrimitive(2, ownSerialNumber)],
    }),
  );
}

/** Reads the AKI above; undefined when the value does not have that shape (e.g. a standard AKI). */
export function decodeMicrosoftAuthorityKeyIdentifier(value: Uint8Array): { licenseServerName: string; serialNumber: Buffer } | undefined {
  // Walked by hand: the [4] contents are not TLVs, so a DER parser would refuse (or misread) them.
  const tlv = (r: Reader): { tag: number; content: Reader } => {
    const tag = r.u8('tag');
    let len = r.u8('length');
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0 || n > 2) throw new DecodeError('UNSUPPORTED', 'length', r.offset);
      len = n === 1 ? r.u8('length') : r.u16be('length');
    }
    return { tag, content: r.sub(len, 'content') };
  };
  try {
    const top = tlv(new Reader(value));
    if (top.tag !== 0x30) return undefined;
    const one = tlv(top.content);
    if (one.tag !== 0xa1) return undefined;
    const four = tlv(one.content);
    if (four.tag !== 0xa4 || four.content.remaining % 2 !== 0) return undefined;
    const name = four.content.rest().toString('utf16le').replace(/\0+$/, '');
    let serialNumber = Buffer.alloc(0);
    if (top.content.remaining > 0) {
      const two = tlv(top.content);
      if (two.tag === 0x82) serialNumber = Buffer.from(two.content.rest());
    }
    return { licenseServerName: name, serialNumber };
  } catch {
    return undefined;
  }
}

// ------------------------------------------------------------------------------------------------------------------
// Hardware id in the subject (2.5.4.5 serialNumber)

/** The constant XORed into the hardware id before Base64 (empirical, RDPELE.md 5.3 / keys.md). */
export const HWID_XOR_KEY: Buffer = Buffer.from('d6170a792def158d7124582c088fb8eebe35798d', 'hex');
/** CLIENT_HARDWARE_ID size ([MS-RDPELE] 2.2.2.3.1). */
export const HWID_SIZE = 20;

/** `Base64(HWID XOR K) + "\r\n"`: the serialNumber attribute of a client license / TS certificate subject. */
export function encodeHardwareIdAttribute(hwid: Uint8Array): string {
  if (hwid.length !== HWID_SIZE) throw new RangeError(`hardware id must be ${HWID_SIZE} bytes`);
  const x = Buffer.alloc(HWID_SIZE);
  for (let i = 0; i < HWID_SIZE; i++) x[i] = hwid[i]! ^ HWID_XOR_KEY[i]!;
  return `${x.toString('base64')}\r\n`;
}

/** Inverse of {@link encodeHardwareIdAttribute} (surrounding whitespace tolerated; must give 20 bytes). */
export function decodeHardwareIdAttribute(value: string, field = 'serialNumber', offset = 0): Buffer {
  const s = value.trim();
  if (!/^[A-Za-z0-9+/]{27}=$/.test(s)) throw new DecodeError('INVALID_VALUE', field, offset, 'not the Base64 of a 20-byte hardware id');
  const x = Buffer.from(s, 'base64');
  const out = Buffer.alloc(HWID_SIZE);
  for (let i = 0; i < HWID_SIZE; i++) out[i] = x[i]! ^ HWID_XOR_KEY[i]!;
  return out;
}
