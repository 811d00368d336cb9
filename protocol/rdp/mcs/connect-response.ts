import type { Reader, Writer } from '../../wire/index.js';
import {
  berContents, readBerApplication, readBerEnumerated, readBerInteger, readBerOctetString, writeBerApplication, writeBerEnumerated,
  writeBerInteger, writeBerOctetString,
} from './ber.js';
import { decodeDomainParameters, encodeDomainParameters, type DomainParameters } from './domain-parameters.js';

/** [T.125] Connect-Response is [APPLICATION 102]. */
export const MCS_TYPE_CONNECT_RESPONSE = 0x66;
/** [T.125] Result rt-successful. */
export const MCS_RESULT_SUCCESSFUL = 0;

/** [T.125] 7 / [MS-RDPBCGR] 2.2.1.4 MCS Connect Response PDU with GCC Conference Create Response (userData = GCC bytes). */
export interface McsConnectResponse {
  result: number;
  calledConnectId: number;
  domainParameters: DomainParameters;
  userData: Buffer;
}

export function decodeMcsConnectResponse(r: Reader): McsConnectResponse {
  const s = readBerApplication(r, MCS_TYPE_CONNECT_RESPONSE, 'mcs.connectResponse');
  const cr: McsConnectResponse = {
    result: readBerEnumerated(s, 'result'),
    calledConnectId: readBerInteger(s, 'calledConnectId'),
    domainParameters: decodeDomainParameters(s, 'domainParameters'),
    userData: Buffer.from(readBerOctetString(s, 'userData')),
  };
  s.end('mcs.connectResponse');
  return cr;
}

export function encodeMcsConnectResponse(w: Writer, cr: McsConnectResponse): void {
  writeBerApplication(w, MCS_TYPE_CONNECT_RESPONSE, berContents((c) => {
    writeBerEnumerated(c, cr.result);
    writeBerInteger(c, cr.calledConnectId);
    encodeDomainParameters(c, cr.domainParameters);
    writeBerOctetString(c, cr.userData);
  }));
}
