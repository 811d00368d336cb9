import { DecodeError, type Reader, type Writer } from '../../wire/index.js';
import { readPerLength, readUserId, writePerLength, writeUserId } from '../mcs/per.js';
import { H221_SERVER_KEY, readGccUserData, readT124Key, T124_OID } from './conference-create-request.js';

/**
 * The connectPDU length byte Windows and xrdp send: one byte, 0x2a, whatever the real length. Nobody checks it, and
 * rdesktop skips a fixed 21 bytes of header, so a correct 2-byte PER length would break it (PEERS.md §4.3).
 */
export const GCC_RESPONSE_CONNECT_PDU_LENGTH = 0x2a;
/** The nodeID Windows sends (0x760a + 1001). */
export const GCC_RESPONSE_NODE_ID = 0x760a + 1001;
/** Size of the fixed header before the server data length (rdesktop skips exactly this). */
export const GCC_RESPONSE_HEADER_SIZE = 21;

/**
 * [T.124] ConnectData carrying a ConferenceCreateResponse, as [MS-RDPBCGR] 2.2.1.4 uses it. Sent as the exact
 * Windows bytes `00 05 00 14 7c 00 01 2a 14 76 0a 01 01 00 01 c0 00 4d 63 44 6e` + PER length + server data.
 */
export interface GccConferenceCreateResponse {
  nodeId: number;
  tag: number;
  result: number;
  /** The server data blocks ([MS-RDPBCGR] 2.2.1.4.2 ff.), raw. */
  serverData: Buffer;
}

export function decodeGccConferenceCreateResponse(r: Reader): GccConferenceCreateResponse {
  readT124Key(r);
  readPerLength(r, 'ConnectData.connectPDU.length'); // not trustworthy (see GCC_RESPONSE_CONNECT_PDU_LENGTH)
  const choiceAt = r.offset;
  const choice = r.u8('ConnectGCCPDU');
  if ((choice & 0xf0) !== 0x10) throw new DecodeError('UNSUPPORTED', 'ConnectGCCPDU', choiceAt, `not a conferenceCreateResponse (0x${choice.toString(16)})`);
  const nodeId = readUserId(r, 'ConferenceCreateResponse.nodeID');
  const tagAt = r.offset;
  const tagLen = r.u8('ConferenceCreateResponse.tag.length');
  if (tagLen < 1 || tagLen > 4) throw new DecodeError('INVALID_LENGTH', 'ConferenceCreateResponse.tag', tagAt, `INTEGER of ${tagLen} bytes`);
  let tag = 0;
  for (const b of r.bytes(tagLen, 'ConferenceCreateResponse.tag')) tag = tag * 256 + b;
  const result = r.u8('ConferenceCreateResponse.result');
  const serverData = Buffer.from(readGccUserData(r, H221_SERVER_KEY));
  r.end('ConnectData');
  return { nodeId, tag, result, serverData };
}

export function encodeGccConferenceCreateResponse(w: Writer, res: GccConferenceCreateResponse): void {
  if (res.tag < 0 || res.tag > 0xff) throw new RangeError('tag must fit in one byte');
  w.u8(0).u8(T124_OID.length).bytes(T124_OID).u8(GCC_RESPONSE_CONNECT_PDU_LENGTH);
  w.u8(0x14);
  writeUserId(w, res.nodeId);
  w.u8(1).u8(res.tag).u8(res.result).u8(1).u8(0xc0).u8(0).bytes(H221_SERVER_KEY);
  writePerLength(w, res.serverData.length);
  w.bytes(res.serverData);
}
