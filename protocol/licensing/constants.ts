/**
 * Constants of the licensing protocol, with the spec's names: [MS-RDPBCGR] 2.2.1.12.1.1–2.2.1.12.1.3 (preamble, blobs,
 * error message) and [MS-RDPELE] 2.2.2 (messages). See protocol/RDPELE.md §1.4–2.8.
 */

// ---- bMsgType, [MS-RDPBCGR] 2.2.1.12.1.1 ----
/** Server → client. */
export const LICENSE_REQUEST = 0x01;
export const PLATFORM_CHALLENGE = 0x02;
export const NEW_LICENSE = 0x03;
export const UPGRADE_LICENSE = 0x04;
/** Client → server. */
export const LICENSE_INFO = 0x12;
export const NEW_LICENSE_REQUEST = 0x13;
export const PLATFORM_CHALLENGE_RESPONSE = 0x15;
/** Both directions. */
export const ERROR_ALERT = 0xff;

// ---- preamble flags, [MS-RDPBCGR] 2.2.1.12.1.1 ----
export const LICENSE_PROTOCOL_VERSION_MASK = 0x0f;
/** RDP 4.0. */
export const PREAMBLE_VERSION_2_0 = 0x02;
/** RDP 5.0 and later. */
export const PREAMBLE_VERSION_3_0 = 0x03;
export const EXTENDED_ERROR_MSG_SUPPORTED = 0x80;

// ---- wBlobType, [MS-RDPBCGR] 2.2.1.12.1.2 ----
/** Not on the wire: "any type". */
export const BB_ANY_BLOB = 0x0000;
export const BB_DATA_BLOB = 0x0001;
export const BB_RANDOM_BLOB = 0x0002;
export const BB_CERTIFICATE_BLOB = 0x0003;
export const BB_ERROR_BLOB = 0x0004;
export const BB_RSA_KEY_BLOB = 0x0006;
export const BB_RSA_SIGNATURE_BLOB = 0x0008;
export const BB_ENCRYPTED_DATA_BLOB = 0x0009;
export const BB_KEY_EXCHG_ALG_BLOB = 0x000d;
export const BB_SCOPE_BLOB = 0x000e;
export const BB_CLIENT_USER_NAME_BLOB = 0x000f;
export const BB_CLIENT_MACHINE_NAME_BLOB = 0x0010;

// ---- key exchange, [MS-RDPELE] 2.2.2.1 / 2.2.2.2 ----
export const KEY_EXCHANGE_ALG_RSA = 0x00000001;

// ---- PlatformId, [MS-RDPELE] 2.2.2.2 ----
export const CLIENT_OS_ID_WINNT_351 = 0x01000000;
export const CLIENT_OS_ID_WINNT_40 = 0x02000000;
export const CLIENT_OS_ID_WINNT_50 = 0x03000000;
export const CLIENT_OS_ID_WINNT_POST_52 = 0x04000000;
export const CLIENT_IMAGE_ID_MICROSOFT = 0x00010000;
export const CLIENT_IMAGE_ID_CITRIX = 0x00020000;

// ---- PLATFORM_CHALLENGE_RESPONSE_DATA, [MS-RDPELE] 2.2.2.5.1 ----
/** wVersion MUST be 0x0100. */
export const PLATFORM_CHALLENGE_RESPONSE_VERSION = 0x0100;
export const WIN32_PLATFORMCHALLENGE_TYPE = 0x0100;
export const WIN16_PLATFORMCHALLENGE_TYPE = 0x0200;
export const WINCE_PLATFORMCHALLENGE_TYPE = 0x0300;
export const OTHER_PLATFORMCHALLENGE_TYPE = 0xff00;
export const LICENSE_DETAIL_SIMPLE = 0x0001;
export const LICENSE_DETAIL_MODERATE = 0x0002;
export const LICENSE_DETAIL_DETAIL = 0x0003;

// ---- dwErrorCode, [MS-RDPBCGR] 2.2.1.12.1.3 ----
/** Sent by the client. */
export const ERR_INVALID_SERVER_CERTIFICATE = 0x00000001;
export const ERR_NO_LICENSE = 0x00000002;
/** Sent by the server. */
export const ERR_INVALID_SCOPE = 0x00000004;
export const ERR_NO_LICENSE_SERVER = 0x00000006;
export const STATUS_VALID_CLIENT = 0x00000007;
export const ERR_INVALID_CLIENT = 0x00000008;
export const ERR_INVALID_PRODUCTID = 0x0000000b;
export const ERR_INVALID_MESSAGE_LEN = 0x0000000c;
/** Sent by both. */
export const ERR_INVALID_MAC = 0x00000003;

// ---- dwStateTransition, [MS-RDPBCGR] 2.2.1.12.1.3 ----
export const ST_TOTAL_ABORT = 0x00000001;
export const ST_NO_TRANSITION = 0x00000002;
export const ST_RESET_PHASE_TO_START = 0x00000003;
export const ST_RESEND_LAST_MESSAGE = 0x00000004;

// ---- sizes ----
export const SERVER_RANDOM_LENGTH = 32;
export const CLIENT_RANDOM_LENGTH = 32;
export const PREMASTER_SECRET_LENGTH = 48;
export const MAC_DATA_LENGTH = 16;
/** CLIENT_HARDWARE_ID, [MS-RDPELE] 2.2.2.3.1. */
export const CLIENT_HARDWARE_ID_LENGTH = 20;
/** wMsgSize and wBlobLen are 16-bit: nothing larger can be sent. */
export const MAX_MESSAGE_SIZE = 0xffff;
export const MAX_BLOB_LENGTH = 0xffff;

const ERROR_CODE_NAMES: Record<number, string> = {
  [ERR_INVALID_SERVER_CERTIFICATE]: 'ERR_INVALID_SERVER_CERTIFICATE',
  [ERR_NO_LICENSE]: 'ERR_NO_LICENSE',
  [ERR_INVALID_MAC]: 'ERR_INVALID_MAC',
  [ERR_INVALID_SCOPE]: 'ERR_INVALID_SCOPE',
  [ERR_NO_LICENSE_SERVER]: 'ERR_NO_LICENSE_SERVER',
  [STATUS_VALID_CLIENT]: 'STATUS_VALID_CLIENT',
  [ERR_INVALID_CLIENT]: 'ERR_INVALID_CLIENT',
  [ERR_INVALID_PRODUCTID]: 'ERR_INVALID_PRODUCTID',
  [ERR_INVALID_MESSAGE_LEN]: 'ERR_INVALID_MESSAGE_LEN',
};

const STATE_TRANSITION_NAMES: Record<number, string> = {
  [ST_TOTAL_ABORT]: 'ST_TOTAL_ABORT',
  [ST_NO_TRANSITION]: 'ST_NO_TRANSITION',
  [ST_RESET_PHASE_TO_START]: 'ST_RESET_PHASE_TO_START',
  [ST_RESEND_LAST_MESSAGE]: 'ST_RESEND_LAST_MESSAGE',
};

const unknown = (v: number): string => `unknown(0x${(v >>> 0).toString(16).padStart(8, '0')})`;

/** The spec name of a dwErrorCode, or `unknown(0x…)`: never an unchecked table index (BAD-INPUTS #8). */
export function errorCodeName(code: number): string {
  return Object.hasOwn(ERROR_CODE_NAMES, code) ? ERROR_CODE_NAMES[code]! : unknown(code);
}

/** The spec name of a dwStateTransition, or `unknown(0x…)` (BAD-INPUTS #8). */
export function stateTransitionName(transition: number): string {
  return Object.hasOwn(STATE_TRANSITION_NAMES, transition) ? STATE_TRANSITION_NAMES[transition]! : unknown(transition);
}

export function isKnownErrorCode(code: number): boolean {
  return Object.hasOwn(ERROR_CODE_NAMES, code);
}

export function isKnownStateTransition(transition: number): boolean {
  return Object.hasOwn(STATE_TRANSITION_NAMES, transition);
}
