import type { Reader, Writer } from '../../wire/index.js';

/** [T.125] DomainMCSPDU choice 1. */
export const MCS_ERECT_DOMAIN_REQUEST = 1;

/**
 * [MS-RDPBCGR] 2.2.1.5 Client MCS Erect Domain Request PDU: subHeight and subInterval (PER INTEGERs).
 * Servers ignore it, and peers disagree on its encoding (rdesktop `04 00 01 00 01`, FreeRDP `04 01 00 01 00`), so the
 * received body is kept raw and not interpreted.
 */
export interface McsErectDomainRequest {
  /** The bytes after the choice byte, as received. */
  body: Buffer;
}

export function decodeMcsErectDomainRequest(r: Reader): McsErectDomainRequest {
  r.u8('erectDomainRequest.choice');
  return { body: Buffer.from(r.rest()) };
}

/** FreeRDP's and mstsc's form: subHeight = 0 and subInterval = 0 as 1-byte PER INTEGERs. */
export const ERECT_DOMAIN_REQUEST_BODY = Buffer.from([0x01, 0x00, 0x01, 0x00]);

export function encodeMcsErectDomainRequest(w: Writer, p: McsErectDomainRequest = { body: ERECT_DOMAIN_REQUEST_BODY }): void {
  w.u8(MCS_ERECT_DOMAIN_REQUEST << 2).bytes(p.body);
}
