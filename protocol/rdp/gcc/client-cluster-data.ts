import type { Reader, Writer } from '../../wire/index.js';

/** [MS-RDPBCGR] 2.2.1.3.5 flags. */
export const REDIRECTION_SUPPORTED = 0x00000001;
export const REDIRECTION_VERSION4 = 0x03 << 2;

/** [MS-RDPBCGR] 2.2.1.3.5 TS_UD_CS_CLUSTER, without its header. */
export interface ClientClusterData {
  flags: number;
  redirectedSessionId: number;
}

export function decodeClientClusterData(r: Reader): ClientClusterData {
  return { flags: r.u32le('Flags'), redirectedSessionId: r.u32le('RedirectedSessionID') };
}

export function encodeClientClusterData(w: Writer, c: ClientClusterData): void {
  w.u32le(c.flags).u32le(c.redirectedSessionId);
}
