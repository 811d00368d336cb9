import type { Reader, Writer } from '../wire/index.js';
import { rawOrEncode, utf16Bytes, utf16Text } from './text.js';

/**
 * PRODUCT_INFO, [MS-RDPELE] 2.2.2.1.1: the terminal server's version, company and product, which with the scope form the
 * client's license-store key.
 */
export interface ProductInfo {
  /** dwVersion: high word = major, low word = minor OS version of the terminal server. */
  version: number;
  /** pbCompanyName as text ("Microsoft Corporation"). */
  companyName: string;
  /** pbCompanyName as received (UTF-16LE, normally NUL-terminated). Written back while it still reads as `companyName`. */
  companyNameRaw?: Buffer;
  /** pbProductId as text ("A02"). */
  productId: string;
  /** pbProductId as received. */
  productIdRaw?: Buffer;
}

/**
 * Largest cbCompanyName / cbProductId accepted (IronRDP's limit; real servers send 44 and 8 bytes).
 * Smaller than 2 or odd is refused too: the fields are NUL-terminated UTF-16 and the spec says cb MUST be > 0
 * (FreeRDP refuses the same, BAD-INPUTS #3).
 */
export const MAX_PRODUCT_INFO_STRING_SIZE = 1024;

function readUtf16Field(r: Reader, cbField: string, pbField: string): Buffer {
  const at = r.offset;
  const cb = r.u32le(cbField);
  if (cb > MAX_PRODUCT_INFO_STRING_SIZE) r.fail('LIMIT_EXCEEDED', cbField, `${cb} > ${MAX_PRODUCT_INFO_STRING_SIZE}`, at);
  if (cb < 2 || cb % 2 !== 0) r.fail('INVALID_LENGTH', cbField, `${cb} is not a NUL-terminated UTF-16 length`, at);
  return r.bytes(cb, pbField);
}

/** [MS-RDPELE] 2.2.2.1.1. */
export function decodeProductInfo(r: Reader): ProductInfo {
  const version = r.u32le('dwVersion');
  const companyNameRaw = readUtf16Field(r, 'cbCompanyName', 'pbCompanyName');
  const productIdRaw = readUtf16Field(r, 'cbProductId', 'pbProductId');
  return { version, companyName: utf16Text(companyNameRaw), companyNameRaw, productId: utf16Text(productIdRaw), productIdRaw };
}

/** [MS-RDPELE] 2.2.2.1.1. */
export function encodeProductInfo(w: Writer, value: ProductInfo): void {
  const company = rawOrEncode(value.companyNameRaw, value.companyName, utf16Text, utf16Bytes);
  const product = rawOrEncode(value.productIdRaw, value.productId, utf16Text, utf16Bytes);
  w.u32le(value.version).u32le(company.length).bytes(company).u32le(product.length).bytes(product);
}
