import type { Reader, Writer } from '../../wire/index.js';
import { berContents, readBerInteger, readBerSequence, writeBerInteger, writeBerSequence } from './ber.js';

/** [T.125] 7, DomainParameters (BER SEQUENCE of eight INTEGERs). */
export interface DomainParameters {
  maxChannelIds: number;
  maxUserIds: number;
  maxTokenIds: number;
  numPriorities: number;
  minThroughput: number;
  maxHeight: number;
  maxMCSPDUsize: number;
  protocolVersion: number;
}

/** What Windows and xrdp answer in a Connect-Response (PEERS.md §4.3): 22, 3, 0, 1, 0, 1, 65528, 2. */
export const SERVER_DOMAIN_PARAMETERS: Readonly<DomainParameters> = {
  maxChannelIds: 22,
  maxUserIds: 3,
  maxTokenIds: 0,
  numPriorities: 1,
  minThroughput: 0,
  maxHeight: 1,
  maxMCSPDUsize: 65528,
  protocolVersion: 2,
};

/** What mstsc and FreeRDP send as targetParameters / minimumParameters / maximumParameters. */
export const CLIENT_TARGET_PARAMETERS: Readonly<DomainParameters> = {
  maxChannelIds: 34, maxUserIds: 2, maxTokenIds: 0, numPriorities: 1, minThroughput: 0, maxHeight: 1, maxMCSPDUsize: 65535, protocolVersion: 2,
};
export const CLIENT_MINIMUM_PARAMETERS: Readonly<DomainParameters> = {
  maxChannelIds: 1, maxUserIds: 1, maxTokenIds: 1, numPriorities: 1, minThroughput: 0, maxHeight: 1, maxMCSPDUsize: 1056, protocolVersion: 2,
};
export const CLIENT_MAXIMUM_PARAMETERS: Readonly<DomainParameters> = {
  maxChannelIds: 65535, maxUserIds: 64535, maxTokenIds: 65535, numPriorities: 1, minThroughput: 0, maxHeight: 1, maxMCSPDUsize: 65535, protocolVersion: 2,
};

const FIELDS = ['maxChannelIds', 'maxUserIds', 'maxTokenIds', 'numPriorities', 'minThroughput', 'maxHeight', 'maxMCSPDUsize', 'protocolVersion'] as const;

export function decodeDomainParameters(r: Reader, field = 'domainParameters'): DomainParameters {
  const s = readBerSequence(r, field);
  const out = {} as DomainParameters;
  for (const f of FIELDS) out[f] = readBerInteger(s, `${field}.${f}`);
  s.end(field);
  return out;
}

export function encodeDomainParameters(w: Writer, p: DomainParameters): void {
  writeBerSequence(w, berContents((c) => {
    for (const f of FIELDS) writeBerInteger(c, p[f]);
  }));
}
