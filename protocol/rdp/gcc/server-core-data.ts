import type { Reader, Writer } from '../../wire/index.js';

/** [MS-RDPBCGR] 2.2.1.4.2 TS_UD_SC_CORE, without its header. */
export interface ServerCoreData {
  /** 0x00080004 (RDP 5+). rdesktop reads only the low 16 bits: a value of 1 makes it speak RDP 4. */
  version: number;
  /** The requestedProtocols of the client's RDP_NEG_REQ, echoed (0 when there was none). */
  clientRequestedProtocols?: number;
  earlyCapabilityFlags?: number;
}

export function decodeServerCoreData(r: Reader): ServerCoreData {
  const c: ServerCoreData = { version: r.u32le('version') };
  if (r.remaining >= 4) c.clientRequestedProtocols = r.u32le('clientRequestedProtocols');
  if (r.remaining >= 4) c.earlyCapabilityFlags = r.u32le('earlyCapabilityFlags');
  return c;
}

export function encodeServerCoreData(w: Writer, c: ServerCoreData): void {
  w.u32le(c.version);
  if (c.clientRequestedProtocols !== undefined) w.u32le(c.clientRequestedProtocols);
  if (c.earlyCapabilityFlags !== undefined) {
    if (c.clientRequestedProtocols === undefined) throw new RangeError('earlyCapabilityFlags needs clientRequestedProtocols');
    w.u32le(c.earlyCapabilityFlags);
  }
}
