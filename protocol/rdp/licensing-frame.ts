import { DecodeError, encodeWith, Reader } from '../wire/index.js';
import { encodeMcsSendData, MCS_GLOBAL_CHANNEL_ID, MCS_PRIORITY_SEGMENTATION, MCS_SERVER_CHANNEL_ID, type McsSendData } from './mcs/send-data.js';
import { decodeMcsFrame } from './frame.js';
import { x224DataFrame } from './frame.js';
import { SEC_LICENSE_PKT } from './security/constants.js';
import { decodeSecurityHeader, encodeSecurityHeader, type SecurityHeader } from './security/security-header.js';

/** Every licensing message starts with a 4-byte LICENSE_PREAMBLE ([MS-RDPBCGR] 2.2.1.12.1.1). */
export const LICENSE_PREAMBLE_SIZE = 4;

/**
 * A licensing PDU as it travels ([MS-RDPBCGR] 2.2.1.12, RDPELE.md §1.2): TPKT + X.224 DT + MCS Send Data Request
 * (client) or Indication (server) on the I/O channel + TS_SECURITY_HEADER (always present, with SEC_LICENSE_PKT) +
 * the licensing message. When SEC_ENCRYPT is set the header carries the 8-byte MAC and `body` is the RC4 ciphertext
 * under the session keys (not the licensing keys).
 */
export interface LicensingFrame {
  sendData: Omit<McsSendData, 'userData'>;
  securityHeader: SecurityHeader;
  /** The licensing message starting at LICENSE_PREAMBLE, or its ciphertext when SEC_ENCRYPT is set. */
  body: Buffer;
}

/** Splits MCS user data into its security header and the rest. */
export function decodeSecuredData(userData: Uint8Array, base = 0): { securityHeader: SecurityHeader; body: Buffer } {
  const r = new Reader(userData, base);
  const securityHeader = decodeSecurityHeader(r);
  return { securityHeader, body: Buffer.from(r.rest()) };
}

export function encodeSecuredData(securityHeader: SecurityHeader, body: Uint8Array): Buffer {
  return encodeWith((w) => {
    encodeSecurityHeader(w, securityHeader);
    w.bytes(body);
  });
}

/** Decodes a whole frame; refuses anything that is not a Send Data PDU whose security header has SEC_LICENSE_PKT. */
export function decodeLicensingFrame(frame: Uint8Array, maxLength?: number): LicensingFrame {
  const pdu = decodeMcsFrame(frame, maxLength);
  if (pdu === 'disconnect' || pdu.type !== 'sendData') {
    throw new DecodeError('INVALID_VALUE', 'DomainMCSPDU', 7, 'a licensing PDU travels in an MCS Send Data Request or Indication');
  }
  const { userData, type: _type, ...sendData } = pdu;
  const userDataOffset = frame.length - userData.length;
  const { securityHeader, body } = decodeSecuredData(userData, userDataOffset);
  if (!(securityHeader.flags & SEC_LICENSE_PKT)) {
    throw new DecodeError('INVALID_VALUE', 'securityHeader.flags', userDataOffset, 'SEC_LICENSE_PKT is not set');
  }
  return { sendData, securityHeader, body };
}

export function encodeLicensingFrame(f: LicensingFrame): Buffer {
  const userData = encodeSecuredData(f.securityHeader, f.body);
  return x224DataFrame((w) => encodeMcsSendData(w, { ...f.sendData, userData }));
}

/**
 * The server → client frame for a plaintext licensing message, exactly as PEERS.md §4.7 recommends in every mode:
 * SDin from 1002 on 1003, priority 0x70, basic security header `80 00 00 00`.
 */
export function wrapServerLicensingMessage(message: Uint8Array): Buffer {
  return encodeLicensingFrame({
    sendData: { kind: 'indication', initiator: MCS_SERVER_CHANNEL_ID, channelId: MCS_GLOBAL_CHANNEL_ID, dataPriority: MCS_PRIORITY_SEGMENTATION },
    securityHeader: { flags: SEC_LICENSE_PKT, flagsHi: 0 },
    body: Buffer.from(message),
  });
}

/** The client → server frame for a plaintext licensing message (SDrq from `userId` on 1003, `80 00 00 00`). */
export function wrapClientLicensingMessage(message: Uint8Array, userId: number): Buffer {
  return encodeLicensingFrame({
    sendData: { kind: 'request', initiator: userId, channelId: MCS_GLOBAL_CHANNEL_ID, dataPriority: MCS_PRIORITY_SEGMENTATION },
    securityHeader: { flags: SEC_LICENSE_PKT, flagsHi: 0 },
    body: Buffer.from(message),
  });
}
