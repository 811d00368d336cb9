import type { Reader, Writer } from '../../wire/index.js';

/** [MS-RDPBCGR] 2.2.1.3.3 TS_UD_CS_SEC, without its header. */
export interface ClientSecurityData {
  encryptionMethods: number;
  /** Used instead of encryptionMethods by French-locale clients; some old clients omit it. */
  extEncryptionMethods: number;
}

export function decodeClientSecurityData(r: Reader): ClientSecurityData {
  const encryptionMethods = r.u32le('encryptionMethods');
  const extEncryptionMethods = r.remaining >= 4 ? r.u32le('extEncryptionMethods') : 0;
  return { encryptionMethods, extEncryptionMethods };
}

export function encodeClientSecurityData(w: Writer, s: ClientSecurityData): void {
  w.u32le(s.encryptionMethods).u32le(s.extEncryptionMethods);
}
