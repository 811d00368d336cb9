/**
 * `rdplic decode`: a licensing PDU at whatever level it was captured — a whole TPKT frame, a security header + message,
 * or a bare message — decoded into named fields; given the session's secrets, every encrypted field decrypted and every
 * MAC checked.
 */
import { deriveLicensingKeys, rsaDecryptLE, type RsaPrivateKey } from '../../protocol/crypto/index.js';
import {
  decodeClientHardwareIdBytes,
  decodeLicensingMessage,
  decodeNewLicenseInfoBytes,
  decryptChallengeResponse,
  decryptLicenseInfoHwid,
  decryptNewLicense,
  decryptPlatformChallenge,
  describeLicenseError,
  licensingMessageType,
  parseChallengeResponse,
  type FieldKeys,
  type LicensingMessage,
} from '../../protocol/licensing/index.js';
import { decodeLicensingFrame, decodeSecuredData, SEC_ENCRYPT, SEC_LICENSE_PKT, type SecurityHeader } from '../../protocol/rdp/index.js';
import { DecodeError } from '../../protocol/wire/index.js';
import { summarizeServerCertificate } from './certificate-summary.js';
import { readLicenseBlob, summarizeLicense } from './license-summary.js';

export interface Secrets {
  clientRandom?: Buffer;
  serverRandom?: Buffer;
  premaster?: Buffer;
  /** The terminal server's key, to decrypt the EncryptedPreMasterSecret of a client message. */
  serverKey?: RsaPrivateKey;
  /** Or the derived keys themselves. */
  licensingKey?: Buffer;
  macSaltKey?: Buffer;
}

export type Level = 'tpkt' | 'security-header' | 'message';

export interface Decoded {
  level: Level;
  /** TPKT level: the MCS Send Data PDU. */
  mcs?: Record<string, unknown>;
  securityHeader?: SecurityHeader;
  /** The message, when it could be decoded (not when it is encrypted with Standard RDP Security session keys). */
  message?: { type: LicensingMessage['type']; preamble: LicensingMessage['preamble']; body: unknown };
  note?: string;
  /** LICENSE_REQUEST: its certificate, decoded. */
  serverCertificate?: unknown;
  keys?: { masterSecret?: Buffer; sessionKeyBlob?: Buffer; macSaltKey: Buffer; licensingEncryptionKey: Buffer };
  decrypted?: Record<string, unknown>;
}

/** Which level the bytes start at. */
export function detectLevel(b: Buffer): Level {
  if (b.length >= 4 && b[0] === 0x03 && b[1] === 0x00 && b.readUInt16BE(2) === b.length) return 'tpkt';
  if (b.length >= 8 && (b.readUInt16LE(0) & SEC_LICENSE_PKT) !== 0) {
    const inner = b.subarray(4);
    if (licensingMessageType(inner[0]!) && inner.readUInt16LE(2) === inner.length) return 'security-header';
    if ((b.readUInt16LE(0) & SEC_ENCRYPT) !== 0) return 'security-header';
  }
  return 'message';
}

export function decodeAny(bytes: Buffer, secrets: Secrets = {}): Decoded {
  const level = detectLevel(bytes);
  let body: Buffer;
  let base = 0;
  const out: Decoded = { level };
  if (level === 'tpkt') {
    const frame = decodeLicensingFrame(bytes);
    out.mcs = frame.sendData as unknown as Record<string, unknown>;
    out.securityHeader = frame.securityHeader;
    body = frame.body;
    base = bytes.length - body.length;
  } else if (level === 'security-header') {
    const sd = decodeSecuredData(bytes);
    out.securityHeader = sd.securityHeader;
    body = sd.body;
    base = bytes.length - body.length;
  } else body = bytes;
  if (out.securityHeader && (out.securityHeader.flags & SEC_ENCRYPT) !== 0) {
    out.note = 'the message is encrypted with the Standard RDP Security session keys (SEC_ENCRYPT); its plaintext is not shown';
    return out;
  }
  let msg: LicensingMessage;
  try {
    msg = decodeLicensingMessage(body);
  } catch (e) {
    if (e instanceof DecodeError && base > 0) throw new DecodeError(e.code, e.field, e.offset + base, e.message.replace(/^.*? at offset \d+: /, ''));
    throw e;
  }
  out.message = { type: msg.type, preamble: msg.preamble, body: msg.body };
  if (msg.type === 'LICENSE_REQUEST') out.serverCertificate = safe(() => summarizeServerCertificate(msg.body.serverCertificate.data));
  if (msg.type === 'ERROR_ALERT') out.note = describeLicenseError(msg.body);
  const keys = deriveKeys(msg, secrets, out);
  if (keys) out.decrypted = decryptFields(msg, keys);
  return out;
}

function deriveKeys(msg: LicensingMessage, s: Secrets, out: Decoded): FieldKeys | undefined {
  if (s.licensingKey && s.macSaltKey) {
    out.keys = { licensingEncryptionKey: s.licensingKey, macSaltKey: s.macSaltKey };
    return out.keys;
  }
  const serverRandom = s.serverRandom ?? (msg.type === 'LICENSE_REQUEST' ? msg.body.serverRandom : undefined);
  const clientRandom = s.clientRandom ?? (msg.type === 'NEW_LICENSE_REQUEST' || msg.type === 'LICENSE_INFO' ? msg.body.clientRandom : undefined);
  let premaster = s.premaster;
  if (!premaster && s.serverKey && (msg.type === 'NEW_LICENSE_REQUEST' || msg.type === 'LICENSE_INFO')) {
    premaster = rsaDecryptLE(s.serverKey, msg.body.encryptedPreMasterSecret.data, 48);
  }
  if (!serverRandom || !clientRandom || !premaster) return undefined;
  const k = deriveLicensingKeys(clientRandom, serverRandom, premaster);
  out.keys = k;
  return k;
}

function license(bytes: Buffer): unknown {
  try {
    return summarizeLicense(readLicenseBlob(bytes).license);
  } catch (e) {
    return { error: (e as Error).message };
  }
}

function decryptFields(msg: LicensingMessage, keys: FieldKeys): Record<string, unknown> {
  switch (msg.type) {
    case 'PLATFORM_CHALLENGE': {
      const d = decryptPlatformChallenge(keys, msg.body);
      return { platformChallenge: d.challenge, platformChallengeText: d.challenge.toString('utf16le'), macValid: d.macValid };
    }
    case 'PLATFORM_CHALLENGE_RESPONSE': {
      const d = decryptChallengeResponse(keys, msg.body);
      return { response: parseChallengeResponse(d.response), hwid: safe(() => decodeClientHardwareIdBytes(d.hwid)), hwidBytes: d.hwid, macValid: d.macValid };
    }
    case 'LICENSE_INFO': {
      const d = decryptLicenseInfoHwid(keys, msg.body);
      return { hwid: safe(() => decodeClientHardwareIdBytes(d.hwid)), hwidBytes: d.hwid, macValid: d.macValid, license: license(msg.body.licenseInfo.data) };
    }
    case 'NEW_LICENSE':
    case 'UPGRADE_LICENSE': {
      const d = decryptNewLicense(keys, msg.body);
      const info = safe(() => decodeNewLicenseInfoBytes(d.plaintext));
      return { macValid: d.macValid, newLicenseInfo: info, license: 'licenseInfo' in (info as object) ? license((info as { licenseInfo: Buffer }).licenseInfo) : undefined };
    }
    default:
      return {};
  }
}

function safe<T>(fn: () => T): T | { error: string } {
  try {
    return fn();
  } catch (e) {
    return { error: (e as Error).message };
  }
}
