import type { Reader, Writer } from '../../wire/index.js';
import {
  berContents, readBerApplication, readBerBoolean, readBerOctetString, writeBerApplication, writeBerBoolean, writeBerOctetString,
} from './ber.js';
import { decodeDomainParameters, encodeDomainParameters, type DomainParameters } from './domain-parameters.js';

/** [T.125] Connect-Initial is [APPLICATION 101]. */
export const MCS_TYPE_CONNECT_INITIAL = 0x65;

/** [T.125] 7 / [MS-RDPBCGR] 2.2.1.3 MCS Connect Initial PDU with GCC Conference Create Request (userData = GCC bytes). */
export interface McsConnectInitial {
  callingDomainSelector: Buffer;
  calledDomainSelector: Buffer;
  upwardFlag: boolean;
  targetParameters: DomainParameters;
  minimumParameters: DomainParameters;
  maximumParameters: DomainParameters;
  /** The GCC ConnectData (see gcc/conference-create-request.ts). */
  userData: Buffer;
}

export function decodeMcsConnectInitial(r: Reader): McsConnectInitial {
  const s = readBerApplication(r, MCS_TYPE_CONNECT_INITIAL, 'mcs.connectInitial');
  const ci: McsConnectInitial = {
    callingDomainSelector: Buffer.from(readBerOctetString(s, 'callingDomainSelector')),
    calledDomainSelector: Buffer.from(readBerOctetString(s, 'calledDomainSelector')),
    upwardFlag: readBerBoolean(s, 'upwardFlag'),
    targetParameters: decodeDomainParameters(s, 'targetParameters'),
    minimumParameters: decodeDomainParameters(s, 'minimumParameters'),
    maximumParameters: decodeDomainParameters(s, 'maximumParameters'),
    userData: Buffer.from(readBerOctetString(s, 'userData')),
  };
  s.end('mcs.connectInitial');
  return ci;
}

export function encodeMcsConnectInitial(w: Writer, ci: McsConnectInitial): void {
  writeBerApplication(w, MCS_TYPE_CONNECT_INITIAL, berContents((c) => {
    writeBerOctetString(c, ci.callingDomainSelector);
    writeBerOctetString(c, ci.calledDomainSelector);
    writeBerBoolean(c, ci.upwardFlag);
    encodeDomainParameters(c, ci.targetParameters);
    encodeDomainParameters(c, ci.minimumParameters);
    encodeDomainParameters(c, ci.maximumParameters);
    writeBerOctetString(c, ci.userData);
  }));
}
