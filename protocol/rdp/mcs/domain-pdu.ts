import { DecodeError, type Reader, type Writer } from '../../wire/index.js';
import { decodeMcsAttachUserConfirm, encodeMcsAttachUserConfirm, MCS_ATTACH_USER_CONFIRM, type McsAttachUserConfirm } from './attach-user-confirm.js';
import { decodeMcsAttachUserRequest, encodeMcsAttachUserRequest, MCS_ATTACH_USER_REQUEST } from './attach-user-request.js';
import { decodeMcsChannelJoinConfirm, encodeMcsChannelJoinConfirm, MCS_CHANNEL_JOIN_CONFIRM, type McsChannelJoinConfirm } from './channel-join-confirm.js';
import { decodeMcsChannelJoinRequest, encodeMcsChannelJoinRequest, MCS_CHANNEL_JOIN_REQUEST, type McsChannelJoinRequest } from './channel-join-request.js';
import {
  decodeMcsDisconnectProviderUltimatum, encodeMcsDisconnectProviderUltimatum, MCS_DISCONNECT_PROVIDER_ULTIMATUM, type McsDisconnectProviderUltimatum,
} from './disconnect-provider-ultimatum.js';
import { decodeMcsErectDomainRequest, encodeMcsErectDomainRequest, MCS_ERECT_DOMAIN_REQUEST, type McsErectDomainRequest } from './erect-domain-request.js';
import { decodeMcsSendData, encodeMcsSendData, MCS_SEND_DATA_INDICATION, MCS_SEND_DATA_REQUEST, type McsSendData } from './send-data.js';

/** The [T.125] DomainMCSPDUs of the RDP connection sequence, tagged by kind. */
export type McsDomainPdu =
  | ({ type: 'erectDomainRequest' } & McsErectDomainRequest)
  | { type: 'attachUserRequest' }
  | ({ type: 'attachUserConfirm' } & McsAttachUserConfirm)
  | ({ type: 'channelJoinRequest' } & McsChannelJoinRequest)
  | ({ type: 'channelJoinConfirm' } & McsChannelJoinConfirm)
  | ({ type: 'sendData' } & McsSendData)
  | ({ type: 'disconnectProviderUltimatum' } & McsDisconnectProviderUltimatum);

/** Reads one DomainMCSPDU, dispatching on the 6-bit choice of its first byte. */
export function decodeMcsDomainPdu(r: Reader): McsDomainPdu {
  const at = r.offset;
  const choice = r.peekU8('DomainMCSPDU') >> 2;
  switch (choice) {
    case MCS_ERECT_DOMAIN_REQUEST: return { type: 'erectDomainRequest', ...decodeMcsErectDomainRequest(r) };
    case MCS_ATTACH_USER_REQUEST: decodeMcsAttachUserRequest(r); return { type: 'attachUserRequest' };
    case MCS_ATTACH_USER_CONFIRM: return { type: 'attachUserConfirm', ...decodeMcsAttachUserConfirm(r) };
    case MCS_CHANNEL_JOIN_REQUEST: return { type: 'channelJoinRequest', ...decodeMcsChannelJoinRequest(r) };
    case MCS_CHANNEL_JOIN_CONFIRM: return { type: 'channelJoinConfirm', ...decodeMcsChannelJoinConfirm(r) };
    case MCS_SEND_DATA_REQUEST:
    case MCS_SEND_DATA_INDICATION: return { type: 'sendData', ...decodeMcsSendData(r) };
    case MCS_DISCONNECT_PROVIDER_ULTIMATUM: return { type: 'disconnectProviderUltimatum', ...decodeMcsDisconnectProviderUltimatum(r) };
    default: throw new DecodeError('UNSUPPORTED', 'DomainMCSPDU', at, `MCS PDU choice ${choice} is not part of the connection sequence`);
  }
}

export function encodeMcsDomainPdu(w: Writer, p: McsDomainPdu): void {
  switch (p.type) {
    case 'erectDomainRequest': return encodeMcsErectDomainRequest(w, p);
    case 'attachUserRequest': return encodeMcsAttachUserRequest(w);
    case 'attachUserConfirm': return encodeMcsAttachUserConfirm(w, p);
    case 'channelJoinRequest': return encodeMcsChannelJoinRequest(w, p);
    case 'channelJoinConfirm': return encodeMcsChannelJoinConfirm(w, p);
    case 'sendData': return encodeMcsSendData(w, p);
    case 'disconnectProviderUltimatum': return encodeMcsDisconnectProviderUltimatum(w, p);
  }
}
