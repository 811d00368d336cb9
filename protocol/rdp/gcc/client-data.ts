import { DecodeError, Reader, type Writer } from '../../wire/index.js';
import { decodeClientClusterData, encodeClientClusterData, type ClientClusterData } from './client-cluster-data.js';
import { decodeClientCoreData, encodeClientCoreData, type ClientCoreData } from './client-core-data.js';
import { decodeClientNetworkData, encodeClientNetworkData, type ClientNetworkData } from './client-network-data.js';
import { decodeClientSecurityData, encodeClientSecurityData, type ClientSecurityData } from './client-security-data.js';
import { CS_CLUSTER, CS_CORE, CS_NET, CS_SECURITY, readUserDataBlocks, writeUserDataBlock } from './user-data-header.js';
import { encodeWith } from '../../wire/index.js';

/** The client data blocks of [MS-RDPBCGR] 2.2.1.3 (the GCC Conference Create Request's user data). */
export interface ClientData {
  core: ClientCoreData;
  security?: ClientSecurityData;
  network?: ClientNetworkData;
  cluster?: ClientClusterData;
  /** Blocks we do not interpret (CS_MONITOR, CS_MCS_MSGCHANNEL, CS_MULTITRANSPORT, ...), raw, in received order. */
  others: Array<{ type: number; data: Buffer }>;
}

export function decodeClientData(r: Reader): ClientData {
  const start = r.offset;
  const found: Partial<ClientData> = {};
  const others: ClientData['others'] = [];
  for (const b of readUserDataBlocks(r, 'TS_UD_HEADER')) {
    const br = new Reader(b.data, b.offset);
    const known = { [CS_CORE]: 'core', [CS_SECURITY]: 'security', [CS_NET]: 'network', [CS_CLUSTER]: 'cluster' } as const;
    const key = (known as Record<number, keyof typeof found | undefined>)[b.type];
    if (key && found[key]) throw new DecodeError('INVALID_VALUE', 'TS_UD_HEADER.type', b.offset - 4, `duplicate block 0x${b.type.toString(16)}`);
    switch (b.type) {
      case CS_CORE: found.core = decodeClientCoreData(br); break;
      case CS_SECURITY: found.security = decodeClientSecurityData(br); break;
      case CS_NET: found.network = decodeClientNetworkData(br); break;
      case CS_CLUSTER: found.cluster = decodeClientClusterData(br); break;
      default: others.push({ type: b.type, data: b.data });
    }
  }
  if (!found.core) throw new DecodeError('INVALID_VALUE', 'TS_UD_CS_CORE', start, 'the client data has no CS_CORE block');
  return { ...found, core: found.core, others };
}

export function encodeClientData(w: Writer, d: ClientData): void {
  writeUserDataBlock(w, CS_CORE, encodeWith((b) => encodeClientCoreData(b, d.core)));
  if (d.security) writeUserDataBlock(w, CS_SECURITY, encodeWith((b) => encodeClientSecurityData(b, d.security!)));
  if (d.network) writeUserDataBlock(w, CS_NET, encodeWith((b) => encodeClientNetworkData(b, d.network!)));
  if (d.cluster) writeUserDataBlock(w, CS_CLUSTER, encodeWith((b) => encodeClientClusterData(b, d.cluster!)));
  for (const o of d.others) writeUserDataBlock(w, o.type, o.data);
}
