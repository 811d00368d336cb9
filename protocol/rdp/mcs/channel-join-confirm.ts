import type { Reader, Writer } from '../../wire/index.js';
import { readUserId, writeUserId } from './per.js';

/** [T.125] DomainMCSPDU choice 15. */
export const MCS_CHANNEL_JOIN_CONFIRM = 15;
/** [T.125] Result rt-no-such-channel. */
export const MCS_RESULT_NO_SUCH_CHANNEL = 3;

/**
 * [MS-RDPBCGR] 2.2.1.9 Server MCS Channel Join Confirm PDU: `3e <result> <initiator> <requested> <channelId>`.
 * channelId is optional in T.125 (bit 0x02 of the choice byte) but FreeRDP reads it unconditionally: always send it.
 */
export interface McsChannelJoinConfirm {
  result: number;
  initiator: number;
  requested: number;
  channelId?: number;
}

export function decodeMcsChannelJoinConfirm(r: Reader): McsChannelJoinConfirm {
  const choice = r.u8('channelJoinConfirm.choice');
  const p: McsChannelJoinConfirm = {
    result: r.u8('channelJoinConfirm.result'),
    initiator: readUserId(r, 'channelJoinConfirm.initiator'),
    requested: r.u16be('channelJoinConfirm.requested'),
  };
  if (choice & 0x02) p.channelId = r.u16be('channelJoinConfirm.channelId');
  r.end('channelJoinConfirm');
  return p;
}

export function encodeMcsChannelJoinConfirm(w: Writer, p: McsChannelJoinConfirm): void {
  w.u8((MCS_CHANNEL_JOIN_CONFIRM << 2) | (p.channelId !== undefined ? 0x02 : 0)).u8(p.result);
  writeUserId(w, p.initiator);
  w.u16be(p.requested);
  if (p.channelId !== undefined) w.u16be(p.channelId);
}
