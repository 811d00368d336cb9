import type { Reader, Writer } from '../../wire/index.js';
import { readUserId, writeUserId } from './per.js';

/** [T.125] DomainMCSPDU choice 14. */
export const MCS_CHANNEL_JOIN_REQUEST = 14;

/** [MS-RDPBCGR] 2.2.1.8 Client MCS Channel Join Request PDU: `38 <initiator> <channelId>`. */
export interface McsChannelJoinRequest {
  initiator: number;
  channelId: number;
}

export function decodeMcsChannelJoinRequest(r: Reader): McsChannelJoinRequest {
  r.u8('channelJoinRequest.choice');
  const p = { initiator: readUserId(r, 'channelJoinRequest.initiator'), channelId: r.u16be('channelJoinRequest.channelId') };
  r.end('channelJoinRequest');
  return p;
}

export function encodeMcsChannelJoinRequest(w: Writer, p: McsChannelJoinRequest): void {
  w.u8(MCS_CHANNEL_JOIN_REQUEST << 2);
  writeUserId(w, p.initiator);
  w.u16be(p.channelId);
}
