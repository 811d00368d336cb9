import type { Reader, Writer } from '../wire/index.js';
import { ansiBytes, ansiText, rawOrEncode, utf16Bytes, utf16Text } from './text.js';
import { decodeAll } from './util.js';

/**
 * NEW_LICENSE_INFO, [MS-RDPELE] 2.2.2.6.1: the plaintext of EncryptedLicenseInfo in SERVER_NEW_LICENSE and
 * SERVER_UPGRADE_LICENSE. (dwVersion, pbScope, pbCompanyName, pbProductId) is the client's license-store key;
 * pbLicenseInfo is the CAL, opaque to the client.
 */
export interface NewLicenseInfo {
  /** dwVersion: = PRODUCT_INFO.dwVersion of the license request. */
  version: number;
  /** pbScope as text ("microsoft.com"). */
  scope: string;
  /** pbScope as received (ANSI, NUL-terminated). Written back while it still reads as `scope`. */
  scopeRaw?: Buffer;
  /** pbCompanyName as text. */
  companyName: string;
  /** pbCompanyName as received (UTF-16LE). */
  companyNameRaw?: Buffer;
  /** pbProductId as text. */
  productId: string;
  /** pbProductId as received (UTF-16LE). */
  productIdRaw?: Buffer;
  /** pbLicenseInfo: the license (a PKCS#7 certs-only bundle, section 5 of RDPELE.md). */
  licenseInfo: Buffer;
}

/**
 * [MS-RDPELE] 2.2.2.6.1. Every length is checked against the bytes left before it is used (BAD-INPUTS #6, #11); the
 * lengths themselves are not otherwise constrained (0 and odd are accepted: the client only stores these fields).
 */
export function decodeNewLicenseInfo(r: Reader): NewLicenseInfo {
  const version = r.u32le('dwVersion');
  const scopeRaw = r.bytes(r.u32le('cbScope'), 'pbScope');
  const companyNameRaw = r.bytes(r.u32le('cbCompanyName'), 'pbCompanyName');
  const productIdRaw = r.bytes(r.u32le('cbProductId'), 'pbProductId');
  const licenseInfo = r.bytes(r.u32le('cbLicenseInfo'), 'pbLicenseInfo');
  return {
    version,
    scope: ansiText(scopeRaw),
    scopeRaw,
    companyName: utf16Text(companyNameRaw),
    companyNameRaw,
    productId: utf16Text(productIdRaw),
    productIdRaw,
    licenseInfo,
  };
}

/** [MS-RDPELE] 2.2.2.6.1. */
export function encodeNewLicenseInfo(w: Writer, value: NewLicenseInfo): void {
  const scope = rawOrEncode(value.scopeRaw, value.scope, ansiText, ansiBytes);
  const company = rawOrEncode(value.companyNameRaw, value.companyName, utf16Text, utf16Bytes);
  const product = rawOrEncode(value.productIdRaw, value.productId, utf16Text, utf16Bytes);
  w.u32le(value.version);
  for (const field of [scope, company, product, value.licenseInfo]) w.u32le(field.length).bytes(field);
}

/** Decodes a whole decrypted NEW_LICENSE_INFO (in its own window, every byte used). Throws only DecodeError. */
export function decodeNewLicenseInfoBytes(plaintext: Uint8Array): NewLicenseInfo {
  return decodeAll(plaintext, decodeNewLicenseInfo, 'NEW_LICENSE_INFO');
}
