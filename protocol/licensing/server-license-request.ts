import type { Reader, Writer } from '../wire/index.js';
import { decodeBinaryBlob, encodeBinaryBlob, type LicenseBinaryBlob } from './binary-blob.js';
import { BB_CERTIFICATE_BLOB, SERVER_RANDOM_LENGTH } from './constants.js';
import { decodeKeyExchangeList, encodeKeyExchangeList, type KeyExchangeList } from './key-exchange-list.js';
import { decodeProductInfo, encodeProductInfo, type ProductInfo } from './product-info.js';
import { decodeScopeList, encodeScopeList, type ScopeList } from './scope-list.js';
import { checkLength } from './util.js';

/** SERVER_LICENSE_REQUEST (bMsgType 0x01), [MS-RDPELE] 2.2.2.1. */
export interface ServerLicenseRequest {
  /** ServerRandom: 32 bytes. */
  serverRandom: Buffer;
  productInfo: ProductInfo;
  keyExchangeList: KeyExchangeList;
  /**
   * ServerCertificate: a BB_CERTIFICATE_BLOB holding a SERVER_CERTIFICATE ([MS-RDPBCGR] 2.2.1.4.3.1), kept opaque here
   * (protocol/certificates parses it). May be empty ("use the certificate of the Server Security Data").
   */
  serverCertificate: LicenseBinaryBlob;
  scopeList: ScopeList;
}

/** [MS-RDPELE] 2.2.2.1: the body after the preamble. */
export function decodeServerLicenseRequest(r: Reader): ServerLicenseRequest {
  const serverRandom = r.bytes(SERVER_RANDOM_LENGTH, 'ServerRandom');
  const productInfo = decodeProductInfo(r);
  const keyExchangeList = decodeKeyExchangeList(r);
  const serverCertificate = decodeBinaryBlob(r, 'ServerCertificate', BB_CERTIFICATE_BLOB);
  const scopeList = decodeScopeList(r);
  return { serverRandom, productInfo, keyExchangeList, serverCertificate, scopeList };
}

/** [MS-RDPELE] 2.2.2.1. */
export function encodeServerLicenseRequest(w: Writer, value: ServerLicenseRequest): void {
  checkLength(value.serverRandom, SERVER_RANDOM_LENGTH, 'ServerRandom');
  w.bytes(value.serverRandom);
  encodeProductInfo(w, value.productInfo);
  encodeKeyExchangeList(w, value.keyExchangeList);
  encodeBinaryBlob(w, value.serverCertificate, 'ServerCertificate');
  encodeScopeList(w, value.scopeList);
}
