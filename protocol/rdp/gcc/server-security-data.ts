import { DecodeError, type Reader, type Writer } from '../../wire/index.js';

/** [MS-RDPBCGR] 2.2.1.4.3: serverRandomLen MUST be 32. */
export const SERVER_RANDOM_SIZE = 32;
/** Largest SERVER_CERTIFICATE we accept (a proprietary one is ~184 bytes; X.509 chains a few KB). */
export const MAX_SERVER_CERTIFICATE_SIZE = 16384;

/**
 * [MS-RDPBCGR] 2.2.1.4.3 TS_UD_SC_SEC1, without its header. With method and level both 0 (Enhanced RDP Security, or
 * no encryption) nothing follows; otherwise serverRandomLen, serverCertLen, serverRandom and serverCertificate.
 */
export interface ServerSecurityData {
  encryptionMethod: number;
  encryptionLevel: number;
  serverRandom?: Buffer;
  /** The SERVER_CERTIFICATE structure ([MS-RDPBCGR] 2.2.1.4.3.1), opaque here. */
  serverCertificate?: Buffer;
}

export function decodeServerSecurityData(r: Reader): ServerSecurityData {
  const s: ServerSecurityData = { encryptionMethod: r.u32le('encryptionMethod'), encryptionLevel: r.u32le('encryptionLevel') };
  if (s.encryptionMethod === 0 && s.encryptionLevel === 0 && r.remaining === 0) return s;
  const randomAt = r.offset;
  const randomLen = r.u32le('serverRandomLen');
  const certAt = r.offset;
  const certLen = r.u32le('serverCertLen');
  if (randomLen !== SERVER_RANDOM_SIZE) throw new DecodeError('INVALID_LENGTH', 'serverRandomLen', randomAt, `must be 32, is ${randomLen}`);
  if (certLen > MAX_SERVER_CERTIFICATE_SIZE) throw new DecodeError('LIMIT_EXCEEDED', 'serverCertLen', certAt, `${certLen} bytes`);
  s.serverRandom = Buffer.from(r.bytes(randomLen, 'serverRandom'));
  s.serverCertificate = Buffer.from(r.bytes(certLen, 'serverCertificate'));
  return s;
}

export function encodeServerSecurityData(w: Writer, s: ServerSecurityData): void {
  w.u32le(s.encryptionMethod).u32le(s.encryptionLevel);
  if (s.serverRandom === undefined && s.serverCertificate === undefined) return;
  const random = s.serverRandom ?? Buffer.alloc(0);
  const cert = s.serverCertificate ?? Buffer.alloc(0);
  w.u32le(random.length).u32le(cert.length).bytes(random).bytes(cert);
}
