/** [MS-RDPBCGR] 2.2.8.1.1.2.1 TS_SECURITY_HEADER flags. */
export const SEC_EXCHANGE_PKT = 0x0001;
export const SEC_TRANSPORT_REQ = 0x0002;
export const RDP_SEC_TRANSPORT_RSP = 0x0004;
export const SEC_ENCRYPT = 0x0008;
export const SEC_RESET_SEQNO = 0x0010;
export const SEC_IGNORE_SEQNO = 0x0020;
export const SEC_INFO_PKT = 0x0040;
export const SEC_LICENSE_PKT = 0x0080;
/** Server → client: the server can process encrypted licensing PDUs. */
export const SEC_LICENSE_ENCRYPT_CS = 0x0200;
/** Client → server (with SEC_EXCHANGE_PKT): the client can process encrypted licensing PDUs. Same bit as _CS. */
export const SEC_LICENSE_ENCRYPT_SC = 0x0200;
export const SEC_REDIRECTION_PKT = 0x0400;
export const SEC_SECURE_CHECKSUM = 0x0800;
export const SEC_AUTODETECT_REQ = 0x1000;
export const SEC_AUTODETECT_RSP = 0x2000;
export const SEC_HEARTBEAT = 0x4000;
export const SEC_FLAGSHI_VALID = 0x8000;
/** Every flag the spec defines; other bits are masked on receive (BAD-INPUTS.md #16), not rejected. */
export const SEC_KNOWN_FLAGS =
  SEC_EXCHANGE_PKT | SEC_TRANSPORT_REQ | RDP_SEC_TRANSPORT_RSP | SEC_ENCRYPT | SEC_RESET_SEQNO | SEC_IGNORE_SEQNO | SEC_INFO_PKT |
  SEC_LICENSE_PKT | SEC_LICENSE_ENCRYPT_CS | SEC_REDIRECTION_PKT | SEC_SECURE_CHECKSUM | SEC_AUTODETECT_REQ | SEC_AUTODETECT_RSP |
  SEC_HEARTBEAT | SEC_FLAGSHI_VALID;

/** [MS-RDPBCGR] 2.2.1.3.3 / 2.2.1.4.3 encryption methods. */
export const ENCRYPTION_METHOD_NONE = 0x00000000;
export const ENCRYPTION_METHOD_40BIT = 0x00000001;
export const ENCRYPTION_METHOD_128BIT = 0x00000002;
export const ENCRYPTION_METHOD_56BIT = 0x00000008;
export const ENCRYPTION_METHOD_FIPS = 0x00000010;

/** [MS-RDPBCGR] 2.2.1.4.3 encryption levels. */
export const ENCRYPTION_LEVEL_NONE = 0x00000000;
export const ENCRYPTION_LEVEL_LOW = 0x00000001;
export const ENCRYPTION_LEVEL_CLIENT_COMPATIBLE = 0x00000002;
export const ENCRYPTION_LEVEL_HIGH = 0x00000003;
export const ENCRYPTION_LEVEL_FIPS = 0x00000004;

/** The RC4 methods of Standard RDP Security that this code implements. */
export type RdpEncryptionMethod = typeof ENCRYPTION_METHOD_40BIT | typeof ENCRYPTION_METHOD_56BIT | typeof ENCRYPTION_METHOD_128BIT;

export function isRc4Method(m: number): m is RdpEncryptionMethod {
  return m === ENCRYPTION_METHOD_40BIT || m === ENCRYPTION_METHOD_56BIT || m === ENCRYPTION_METHOD_128BIT;
}
