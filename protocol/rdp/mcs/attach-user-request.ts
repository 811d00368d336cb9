import type { Reader, Writer } from '../../wire/index.js';

/** [T.125] DomainMCSPDU choice 10. */
export const MCS_ATTACH_USER_REQUEST = 10;

/** [MS-RDPBCGR] 2.2.1.6 Client MCS Attach User Request PDU: the choice byte only (`28`). */
export type McsAttachUserRequest = Record<string, never>;

export function decodeMcsAttachUserRequest(r: Reader): McsAttachUserRequest {
  r.u8('attachUserRequest.choice');
  r.end('attachUserRequest');
  return {};
}

export function encodeMcsAttachUserRequest(w: Writer): void {
  w.u8(MCS_ATTACH_USER_REQUEST << 2);
}
