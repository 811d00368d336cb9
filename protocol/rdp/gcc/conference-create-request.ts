import { DecodeError, type Reader, type Writer } from '../../wire/index.js';
import { readPerLength, writePerLength } from '../mcs/per.js';

/** [T.124] t124Identifier {itu-t recommendation t 124 version(0) 1}, as PER object identifier bytes. */
export const T124_OID = Buffer.from([0x00, 0x14, 0x7c, 0x00, 0x01]);
/** h221NonStandard keys of the client and server user data. */
export const H221_CLIENT_KEY = Buffer.from('Duca', 'latin1');
export const H221_SERVER_KEY = Buffer.from('McDn', 'latin1');
/** Most UserData set entries we look through. */
export const MAX_GCC_USER_DATA_SETS = 8;

/**
 * [T.124] ConnectData carrying a ConferenceCreateRequest, as [MS-RDPBCGR] 2.2.1.3 uses it (ALIGNED PER): the
 * conference name "1", no passwords or privileges, and one h221NonStandard "Duca" user data entry holding the
 * client data blocks. Anything else in the optional fields is refused as UNSUPPORTED.
 */
export interface GccConferenceCreateRequest {
  /** Numeric conference name (the digits; RDP uses "1"). */
  conferenceName: string;
  /** The client data blocks ([MS-RDPBCGR] 2.2.1.3.1 ff.), raw. */
  clientData: Buffer;
}

/** Reads the T.124 ConnectData key (object t124Identifier) shared by request and response. */
export function readT124Key(r: Reader): void {
  const at = r.offset;
  const choice = r.u8('ConnectData.t124Identifier');
  if (choice !== 0) throw new DecodeError('UNSUPPORTED', 'ConnectData.t124Identifier', at, 'the key is not an object identifier');
  const lenAt = r.offset;
  const len = r.u8('ConnectData.t124Identifier.length');
  const oid = r.bytes(len, 'ConnectData.t124Identifier');
  if (!oid.equals(T124_OID)) throw new DecodeError('INVALID_VALUE', 'ConnectData.t124Identifier', lenAt, `not the T.124 OID (${oid.toString('hex')})`);
}

/** Reads a SET OF UserData and returns the value of the entry whose h221NonStandard key is `key`. */
export function readGccUserData(r: Reader, key: Buffer): Buffer {
  const at = r.offset;
  const count = r.u8('UserData.count');
  if (count > MAX_GCC_USER_DATA_SETS) throw new DecodeError('LIMIT_EXCEEDED', 'UserData.count', at, `${count} entries`);
  let found: Buffer | undefined;
  for (let i = 0; i < count; i++) {
    const choice = r.u8('UserData.key');
    let k: Buffer;
    if (choice & 0x40) k = r.bytes(r.u8('UserData.key.h221NonStandard.length') + 4, 'UserData.key.h221NonStandard');
    else k = r.bytes(r.u8('UserData.key.object.length'), 'UserData.key.object');
    const value = choice & 0x80 ? r.bytes(readPerLength(r, 'UserData.value.length'), 'UserData.value') : undefined;
    if (value && found === undefined && (choice & 0x40) && k.equals(key)) found = value;
  }
  if (found === undefined) throw new DecodeError('INVALID_VALUE', 'UserData', at, `no "${key.toString('latin1')}" user data`);
  return found;
}

export function decodeGccConferenceCreateRequest(r: Reader): GccConferenceCreateRequest {
  readT124Key(r);
  const s = r.sub(readPerLength(r, 'ConnectData.connectPDU.length'), 'ConnectData.connectPDU');
  const choiceAt = s.offset;
  const choice = s.u8('ConnectGCCPDU');
  if (choice !== 0x00) throw new DecodeError('UNSUPPORTED', 'ConnectGCCPDU', choiceAt, `not a plain conferenceCreateRequest (0x${choice.toString(16)})`);
  const optAt = s.offset;
  const opt = s.u8('ConferenceCreateRequest.optionals');
  if ((opt & 0xfe) !== 0x08) {
    throw new DecodeError('UNSUPPORTED', 'ConferenceCreateRequest.optionals', optAt, `optional fields 0x${opt.toString(16)} (only userData is supported)`);
  }
  const digits = s.u8('conferenceName.numeric.length') + 1;
  const packed = s.bytes(Math.ceil(digits / 2), 'conferenceName.numeric');
  let conferenceName = '';
  for (let i = 0; i < digits; i++) conferenceName += ((packed[i >> 1]! >> (i & 1 ? 0 : 4)) & 0x0f).toString(16);
  s.u8('lockedConference/listedConference/conductibleConference/terminationMethod');
  const clientData = Buffer.from(readGccUserData(s, H221_CLIENT_KEY));
  s.end('ConnectData.connectPDU');
  r.end('ConnectData');
  return { conferenceName, clientData };
}

export function encodeGccConferenceCreateRequest(w: Writer, req: GccConferenceCreateRequest): void {
  const digits = req.conferenceName;
  if (!/^[0-9]{1,255}$/.test(digits)) throw new RangeError('conferenceName must be 1..255 digits');
  const packed = Buffer.alloc(Math.ceil(digits.length / 2));
  for (let i = 0; i < digits.length; i++) packed[i >> 1]! |= Number(digits[i]) << (i & 1 ? 0 : 4);
  const udLen = req.clientData.length;
  const pdu: number[] = [0x00, 0x08, digits.length - 1, ...packed, 0x00, 0x01, 0xc0, 0x00, ...H221_CLIENT_KEY];
  const connectPduLength = pdu.length + (udLen < 0x80 ? 1 : 2) + udLen;
  w.u8(0).u8(T124_OID.length).bytes(T124_OID);
  writePerLength(w, connectPduLength);
  w.bytes(Buffer.from(pdu));
  writePerLength(w, udLen);
  w.bytes(req.clientData);
}
