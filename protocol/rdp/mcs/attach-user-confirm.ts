import type { Reader, Writer } from '../../wire/index.js';
import { readUserId, writeUserId } from './per.js';

/** [T.125] DomainMCSPDU choice 11. */
export const MCS_ATTACH_USER_CONFIRM = 11;

/**
 * [MS-RDPBCGR] 2.2.1.7 Server MCS Attach User Confirm PDU: result, and the initiator (the user channel id) when present
 * (bit 0x02 of the choice byte). Always send it: FreeRDP reads it unconditionally (PEERS.md §4.5).
 */
export interface McsAttachUserConfirm {
  result: number;
  initiator?: number;
}

export function decodeMcsAttachUserConfirm(r: Reader): McsAttachUserConfirm {
  const choice = r.u8('attachUserConfirm.choice');
  const auc: McsAttachUserConfirm = { result: r.u8('attachUserConfirm.result') };
  if (choice & 0x02) auc.initiator = readUserId(r, 'attachUserConfirm.initiator');
  r.end('attachUserConfirm');
  return auc;
}

export function encodeMcsAttachUserConfirm(w: Writer, p: McsAttachUserConfirm): void {
  w.u8((MCS_ATTACH_USER_CONFIRM << 2) | (p.initiator !== undefined ? 0x02 : 0)).u8(p.result);
  if (p.initiator !== undefined) writeUserId(w, p.initiator);
}
