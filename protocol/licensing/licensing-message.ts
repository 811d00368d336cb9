import { DecodeError, Reader, Writer } from '../wire/index.js';
import {
  decodeClientLicenseInfo,
  encodeClientLicenseInfo,
  type ClientLicenseInfo,
} from './client-license-info.js';
import {
  decodeClientNewLicenseRequest,
  encodeClientNewLicenseRequest,
  type ClientNewLicenseRequest,
} from './client-new-license-request.js';
import {
  decodeClientPlatformChallengeResponse,
  encodeClientPlatformChallengeResponse,
  type ClientPlatformChallengeResponse,
} from './client-platform-challenge-response.js';
import {
  ERROR_ALERT,
  LICENSE_INFO,
  LICENSE_REQUEST,
  MAX_MESSAGE_SIZE,
  NEW_LICENSE,
  NEW_LICENSE_REQUEST,
  PLATFORM_CHALLENGE,
  PLATFORM_CHALLENGE_RESPONSE,
  PREAMBLE_VERSION_3_0,
  UPGRADE_LICENSE,
} from './constants.js';
import { decodeLicenseErrorMessage, encodeLicenseErrorMessage, type LicenseErrorMessage } from './license-error-message.js';
import { decodeLicensePreamble, type LicensePreamble } from './preamble.js';
import { decodeServerLicenseRequest, encodeServerLicenseRequest, type ServerLicenseRequest } from './server-license-request.js';
import {
  decodeServerNewLicense,
  decodeServerUpgradeLicense,
  encodeServerNewLicense,
  encodeServerUpgradeLicense,
  type ServerNewLicense,
  type ServerUpgradeLicense,
} from './server-new-license.js';
import {
  decodeServerPlatformChallenge,
  encodeServerPlatformChallenge,
  type ServerPlatformChallenge,
} from './server-platform-challenge.js';

/** The bMsgType values by their spec names. These strings are user-visible (JSON, logs). */
export type LicensingMessageType =
  | 'LICENSE_REQUEST'
  | 'PLATFORM_CHALLENGE'
  | 'NEW_LICENSE'
  | 'UPGRADE_LICENSE'
  | 'LICENSE_INFO'
  | 'NEW_LICENSE_REQUEST'
  | 'PLATFORM_CHALLENGE_RESPONSE'
  | 'ERROR_ALERT';

/** The body structure of each message type. */
export interface LicensingMessageBodies {
  LICENSE_REQUEST: ServerLicenseRequest;
  PLATFORM_CHALLENGE: ServerPlatformChallenge;
  NEW_LICENSE: ServerNewLicense;
  UPGRADE_LICENSE: ServerUpgradeLicense;
  LICENSE_INFO: ClientLicenseInfo;
  NEW_LICENSE_REQUEST: ClientNewLicenseRequest;
  PLATFORM_CHALLENGE_RESPONSE: ClientPlatformChallengeResponse;
  ERROR_ALERT: LicenseErrorMessage;
}

/** One decoded licensing message of type `T`. */
export interface LicensingMessageOf<T extends LicensingMessageType> {
  type: T;
  preamble: LicensePreamble;
  body: LicensingMessageBodies[T];
}

/** A decoded licensing message ([MS-RDPBCGR] 2.2.1.12.1): preamble + body, discriminated by `type`. */
export type LicensingMessage = { [T in LicensingMessageType]: LicensingMessageOf<T> }[LicensingMessageType];

/**
 * What `encodeLicensingMessage` takes: a message whose preamble is optional. bMsgType comes from `type` and wMsgSize is
 * computed; only `preamble.flags` is used (default PREAMBLE_VERSION_3_0). A decoded message is a valid input.
 */
export type LicensingMessageInput = {
  [T in LicensingMessageType]: { type: T; preamble?: Partial<LicensePreamble>; body: LicensingMessageBodies[T] };
}[LicensingMessageType];

interface Codec<T extends LicensingMessageType> {
  code: number;
  decode(r: Reader): LicensingMessageBodies[T];
  encode(w: Writer, body: LicensingMessageBodies[T]): void;
}

const CODECS: { [T in LicensingMessageType]: Codec<T> } = {
  LICENSE_REQUEST: { code: LICENSE_REQUEST, decode: decodeServerLicenseRequest, encode: encodeServerLicenseRequest },
  PLATFORM_CHALLENGE: { code: PLATFORM_CHALLENGE, decode: decodeServerPlatformChallenge, encode: encodeServerPlatformChallenge },
  NEW_LICENSE: { code: NEW_LICENSE, decode: decodeServerNewLicense, encode: encodeServerNewLicense },
  UPGRADE_LICENSE: { code: UPGRADE_LICENSE, decode: decodeServerUpgradeLicense, encode: encodeServerUpgradeLicense },
  LICENSE_INFO: { code: LICENSE_INFO, decode: decodeClientLicenseInfo, encode: encodeClientLicenseInfo },
  NEW_LICENSE_REQUEST: { code: NEW_LICENSE_REQUEST, decode: decodeClientNewLicenseRequest, encode: encodeClientNewLicenseRequest },
  PLATFORM_CHALLENGE_RESPONSE: {
    code: PLATFORM_CHALLENGE_RESPONSE,
    decode: decodeClientPlatformChallengeResponse,
    encode: encodeClientPlatformChallengeResponse,
  },
  ERROR_ALERT: { code: ERROR_ALERT, decode: decodeLicenseErrorMessage, encode: encodeLicenseErrorMessage },
};

/** Every message type, in bMsgType order. */
export const LICENSING_MESSAGE_TYPES: readonly LicensingMessageType[] = Object.freeze(
  (Object.keys(CODECS) as LicensingMessageType[]).sort((a, b) => CODECS[a].code - CODECS[b].code),
);

/** The types a server sends. ERROR_ALERT goes both ways. */
export const SERVER_MESSAGE_TYPES: readonly LicensingMessageType[] = ['LICENSE_REQUEST', 'PLATFORM_CHALLENGE', 'NEW_LICENSE', 'UPGRADE_LICENSE', 'ERROR_ALERT'];
/** The types a client sends. */
export const CLIENT_MESSAGE_TYPES: readonly LicensingMessageType[] = ['LICENSE_INFO', 'NEW_LICENSE_REQUEST', 'PLATFORM_CHALLENGE_RESPONSE', 'ERROR_ALERT'];

/** bMsgType of a message type. */
export function licensingMessageCode(type: LicensingMessageType): number {
  return CODECS[type].code;
}

/** The message type of a bMsgType, or undefined. */
export function licensingMessageType(msgType: number): LicensingMessageType | undefined {
  return LICENSING_MESSAGE_TYPES.find((t) => CODECS[t].code === msgType);
}

/**
 * Decodes one licensing message starting at LICENSE_PREAMBLE (the security header already removed). wMsgSize must equal
 * the input length (else DecodeError INVALID_LENGTH on field `wMsgSize`, so a server can answer ERR_INVALID_MESSAGE_LEN),
 * and the body must end exactly there (else TRAILING_BYTES, also on `wMsgSize`). Throws nothing but DecodeError.
 * The decoded message does not share memory with `data`.
 */
export function decodeLicensingMessage(data: Uint8Array): LicensingMessage {
  if (!(data instanceof Uint8Array)) throw new DecodeError('INVALID_VALUE', 'LICENSE_PREAMBLE', 0, 'not a byte buffer');
  const bytes = Buffer.from(data);
  const r = new Reader(bytes);
  const preamble = decodeLicensePreamble(r);
  if (preamble.msgSize !== bytes.length) {
    throw new DecodeError('INVALID_LENGTH', 'wMsgSize', 2, `wMsgSize is ${preamble.msgSize} but the message has ${bytes.length} bytes`);
  }
  const type = licensingMessageType(preamble.msgType);
  if (type === undefined) {
    throw new DecodeError('INVALID_VALUE', 'bMsgType', 0, `unknown licensing message type 0x${preamble.msgType.toString(16).padStart(2, '0')}`);
  }
  const body = (CODECS[type] as Codec<LicensingMessageType>).decode(r);
  if (r.remaining !== 0) {
    throw new DecodeError('TRAILING_BYTES', 'wMsgSize', r.offset, `${type} ends ${r.remaining} bytes before wMsgSize`);
  }
  return { type, preamble, body } as LicensingMessage;
}

/** True when a decode error is about the message length (answer ERR_INVALID_MESSAGE_LEN). */
export function isMessageLengthError(e: unknown): boolean {
  return e instanceof DecodeError && e.field === 'wMsgSize';
}

/**
 * Encodes a licensing message: preamble (bMsgType from `type`, flags from `preamble.flags` or PREAMBLE_VERSION_3_0, wMsgSize
 * computed) + body. Throws RangeError for values that cannot be encoded (a caller bug): a message above 65535 bytes, a
 * preamble msgType that contradicts `type`, a fixed-size field of the wrong size.
 */
export function encodeLicensingMessage(msg: LicensingMessageInput): Buffer {
  const codec = CODECS[msg.type] as Codec<LicensingMessageType> | undefined;
  if (codec === undefined) throw new RangeError(`unknown licensing message type ${String(msg.type)}`);
  if (msg.preamble?.msgType !== undefined && msg.preamble.msgType !== codec.code) {
    throw new RangeError(`preamble.msgType 0x${msg.preamble.msgType.toString(16)} contradicts type ${msg.type}`);
  }
  const w = new Writer();
  w.u8(codec.code).u8(msg.preamble?.flags ?? PREAMBLE_VERSION_3_0);
  const setSize = w.reserveU16le();
  codec.encode(w, msg.body);
  if (w.length > MAX_MESSAGE_SIZE) throw new RangeError(`${msg.type} is ${w.length} bytes, more than wMsgSize can say`);
  setSize(w.length);
  return w.toBuffer();
}
