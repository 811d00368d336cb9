import { DecodeError, encodeWith, Reader, type Writer } from '../../wire/index.js';
import { decodeServerCoreData, encodeServerCoreData, type ServerCoreData } from './server-core-data.js';
import { decodeServerNetworkData, encodeServerNetworkData, type ServerNetworkData } from './server-network-data.js';
import { decodeServerSecurityData, encodeServerSecurityData, type ServerSecurityData } from './server-security-data.js';
import { readUserDataBlocks, SC_CORE, SC_NET, SC_SECURITY, writeUserDataBlock } from './user-data-header.js';

/** The server data blocks of [MS-RDPBCGR] 2.2.1.4 (the GCC Conference Create Response's user data). */
export interface ServerData {
  core: ServerCoreData;
  network?: ServerNetworkData;
  security?: ServerSecurityData;
  others: Array<{ type: number; data: Buffer }>;
}

export function decodeServerData(r: Reader): ServerData {
  const start = r.offset;
  let core: ServerCoreData | undefined;
  let network: ServerNetworkData | undefined;
  let security: ServerSecurityData | undefined;
  const others: ServerData['others'] = [];
  for (const b of readUserDataBlocks(r, 'TS_UD_HEADER')) {
    const br = new Reader(b.data, b.offset);
    const dup = () => new DecodeError('INVALID_VALUE', 'TS_UD_HEADER.type', b.offset - 4, `duplicate block 0x${b.type.toString(16)}`);
    switch (b.type) {
      case SC_CORE: if (core) throw dup(); core = decodeServerCoreData(br); break;
      case SC_NET: if (network) throw dup(); network = decodeServerNetworkData(br); break;
      case SC_SECURITY: if (security) throw dup(); security = decodeServerSecurityData(br); break;
      default: others.push({ type: b.type, data: b.data });
    }
  }
  if (!core) throw new DecodeError('INVALID_VALUE', 'TS_UD_SC_CORE', start, 'the server data has no SC_CORE block');
  const d: ServerData = { core, others };
  if (network) d.network = network;
  if (security) d.security = security;
  return d;
}

/** Writes SC_CORE, SC_NET, the unknown blocks, then SC_SECURITY last (rdesktop reads the certificate to the end; PEERS.md §4.4). */
export function encodeServerData(w: Writer, d: ServerData): void {
  writeUserDataBlock(w, SC_CORE, encodeWith((b) => encodeServerCoreData(b, d.core)));
  if (d.network) writeUserDataBlock(w, SC_NET, encodeWith((b) => encodeServerNetworkData(b, d.network!)));
  for (const o of d.others) writeUserDataBlock(w, o.type, o.data);
  if (d.security) writeUserDataBlock(w, SC_SECURITY, encodeWith((b) => encodeServerSecurityData(b, d.security!)));
}
