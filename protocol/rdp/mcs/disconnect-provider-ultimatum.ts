import type { Reader, Writer } from '../../wire/index.js';

/** [T.125] DomainMCSPDU choice 8. */
export const MCS_DISCONNECT_PROVIDER_ULTIMATUM = 8;
/** [T.125] Reason rn-user-requested. */
export const MCS_REASON_USER_REQUESTED = 3;

/**
 * [T.125] Disconnect Provider Ultimatum ([MS-RDPBCGR] 2.2.2.3 / 1.3.1.4.1): the 3-bit reason straddles the choice byte
 * and the next one, so rn-user-requested is `21 80`.
 */
export interface McsDisconnectProviderUltimatum {
  reason: number;
}

export function decodeMcsDisconnectProviderUltimatum(r: Reader): McsDisconnectProviderUltimatum {
  const b0 = r.u8('disconnectProviderUltimatum.choice');
  const b1 = r.remaining > 0 ? r.u8('disconnectProviderUltimatum.reason') : 0;
  return { reason: ((b0 & 0x03) << 1) | (b1 >> 7) };
}

export function encodeMcsDisconnectProviderUltimatum(w: Writer, p: McsDisconnectProviderUltimatum = { reason: MCS_REASON_USER_REQUESTED }): void {
  w.u8((MCS_DISCONNECT_PROVIDER_ULTIMATUM << 2) | ((p.reason >> 1) & 0x03)).u8((p.reason & 1) << 7);
}
