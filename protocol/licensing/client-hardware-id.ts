import { encodeWith, type Reader, type Writer } from '../wire/index.js';
import { decodeAll } from './util.js';

/**
 * CLIENT_HARDWARE_ID, [MS-RDPELE] 2.2.2.3.1: 20 bytes identifying the client device; sent encrypted in LICENSE_INFO and
 * PLATFORM_CHALLENGE_RESPONSE and bound into the issued CAL, so it must be stable.
 */
export interface ClientHardwareId {
  platformId: number;
  data1: number;
  data2: number;
  data3: number;
  data4: number;
}

/** [MS-RDPELE] 2.2.2.3.1. */
export function decodeClientHardwareId(r: Reader): ClientHardwareId {
  return {
    platformId: r.u32le('PlatformId'),
    data1: r.u32le('Data1'),
    data2: r.u32le('Data2'),
    data3: r.u32le('Data3'),
    data4: r.u32le('Data4'),
  };
}

/** [MS-RDPELE] 2.2.2.3.1. */
export function encodeClientHardwareId(w: Writer, value: ClientHardwareId): void {
  w.u32le(value.platformId).u32le(value.data1).u32le(value.data2).u32le(value.data3).u32le(value.data4);
}

/** Decodes a whole decrypted CLIENT_HARDWARE_ID (exactly 20 bytes). Throws only DecodeError. */
export function decodeClientHardwareIdBytes(plaintext: Uint8Array): ClientHardwareId {
  return decodeAll(plaintext, decodeClientHardwareId, 'CLIENT_HARDWARE_ID');
}

/** The 20 bytes of a CLIENT_HARDWARE_ID. */
export function clientHardwareIdBytes(value: ClientHardwareId): Buffer {
  return encodeWith((w) => encodeClientHardwareId(w, value));
}
