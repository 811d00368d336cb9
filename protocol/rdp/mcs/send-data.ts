import type { Reader, Writer } from '../../wire/index.js';
import { readPerLengthForm, readUserId, writePerLength, writeUserId } from './per.js';

/** [T.125] DomainMCSPDU choices 25 and 26. */
export const MCS_SEND_DATA_REQUEST = 25;
export const MCS_SEND_DATA_INDICATION = 26;
/** dataPriority high + segmentation begin|end: the byte every peer sends. */
export const MCS_PRIORITY_SEGMENTATION = 0x70;
/** The MCS I/O ("global") channel. */
export const MCS_GLOBAL_CHANNEL_ID = 1003;
/** The server's initiator in Send Data Indications (`00 01`). */
export const MCS_SERVER_CHANNEL_ID = 1002;

/**
 * [T.125] Send Data Request (client → server, [MS-RDPBCGR] 2.2.1.10 etc.) and Send Data Indication (server → client):
 * `64|68 <initiator> <channelId> 70 <PER length> userData`.
 */
export interface McsSendData {
  kind: 'request' | 'indication';
  initiator: number;
  channelId: number;
  /** dataPriority and segmentation bits (0x70). */
  dataPriority: number;
  userData: Buffer;
  /** The 2-byte length form was used for a length below 0x80 (Windows clients do that); kept to re-encode byte for byte. */
  longLength?: boolean;
}

export function decodeMcsSendData(r: Reader): McsSendData {
  const choice = r.u8('sendData.choice') >> 2;
  const initiator = readUserId(r, 'sendData.initiator');
  const channelId = r.u16be('sendData.channelId');
  const dataPriority = r.u8('sendData.dataPriority');
  const { length, long } = readPerLengthForm(r, 'sendData.userData.length');
  const userData = r.bytes(length, 'sendData.userData');
  r.end('sendData');
  const p: McsSendData = { kind: choice === MCS_SEND_DATA_REQUEST ? 'request' : 'indication', initiator, channelId, dataPriority, userData };
  if (long && length < 0x80) p.longLength = true;
  return p;
}

export function encodeMcsSendData(w: Writer, p: McsSendData): void {
  w.u8((p.kind === 'request' ? MCS_SEND_DATA_REQUEST : MCS_SEND_DATA_INDICATION) << 2);
  writeUserId(w, p.initiator);
  w.u16be(p.channelId).u8(p.dataPriority);
  writePerLength(w, p.userData.length, p.longLength);
  w.bytes(p.userData);
}
