import type { Reader, Writer } from '../../wire/index.js';
import { fixedUtf16, readFixedUtf16 } from './strings.js';

/** [MS-RDPBCGR] 2.2.1.3.2 version values. */
export const RDP_VERSION_4 = 0x00080001;
export const RDP_VERSION_5_PLUS = 0x00080004;
/** colorDepth / postBeta2ColorDepth RNS_UD_COLOR_8BPP and SASSequence RNS_UD_SAS_DEL. */
export const RNS_UD_COLOR_8BPP = 0xca01;
export const RNS_UD_SAS_DEL = 0xaa03;
/** The size of the mandatory part (version through imeFileName). */
export const CLIENT_CORE_DATA_MIN_SIZE = 128;

/**
 * [MS-RDPBCGR] 2.2.1.3.2 TS_UD_CS_CORE, without its header. Fields after imeFileName are optional, each present
 * only if all before it are; bytes after the last known field are kept in `extra`.
 */
export interface ClientCoreData {
  version: number;
  desktopWidth: number;
  desktopHeight: number;
  colorDepth: number;
  sasSequence: number;
  keyboardLayout: number;
  clientBuild: number;
  /** Up to 15 characters (32 bytes UTF-16LE, NUL-terminated on the wire). */
  clientName: string;
  keyboardType: number;
  keyboardSubType: number;
  keyboardFunctionKey: number;
  imeFileName: string;
  postBeta2ColorDepth?: number;
  clientProductId?: number;
  serialNumber?: number;
  highColorDepth?: number;
  supportedColorDepths?: number;
  earlyCapabilityFlags?: number;
  clientDigProductId?: string;
  connectionType?: number;
  pad1octet?: number;
  /** The selectedProtocol of the X.224 Connection Confirm, echoed. */
  serverSelectedProtocol?: number;
  desktopPhysicalWidth?: number;
  desktopPhysicalHeight?: number;
  desktopOrientation?: number;
  desktopScaleFactor?: number;
  deviceScaleFactor?: number;
  extra?: Buffer;
}

type U = 'u8' | 'u16le' | 'u32le';
const OPTIONAL: Array<[keyof ClientCoreData, U | 64]> = [
  ['postBeta2ColorDepth', 'u16le'], ['clientProductId', 'u16le'], ['serialNumber', 'u32le'], ['highColorDepth', 'u16le'],
  ['supportedColorDepths', 'u16le'], ['earlyCapabilityFlags', 'u16le'], ['clientDigProductId', 64], ['connectionType', 'u8'],
  ['pad1octet', 'u8'], ['serverSelectedProtocol', 'u32le'], ['desktopPhysicalWidth', 'u32le'], ['desktopPhysicalHeight', 'u32le'],
  ['desktopOrientation', 'u16le'], ['desktopScaleFactor', 'u32le'], ['deviceScaleFactor', 'u32le'],
];
const SIZE = { u8: 1, u16le: 2, u32le: 4 } as const;

export function decodeClientCoreData(r: Reader): ClientCoreData {
  const c: ClientCoreData = {
    version: r.u32le('version'),
    desktopWidth: r.u16le('desktopWidth'),
    desktopHeight: r.u16le('desktopHeight'),
    colorDepth: r.u16le('colorDepth'),
    sasSequence: r.u16le('SASSequence'),
    keyboardLayout: r.u32le('keyboardLayout'),
    clientBuild: r.u32le('clientBuild'),
    clientName: readFixedUtf16(r.bytes(32, 'clientName')),
    keyboardType: r.u32le('keyboardType'),
    keyboardSubType: r.u32le('keyboardSubType'),
    keyboardFunctionKey: r.u32le('keyboardFunctionKey'),
    imeFileName: readFixedUtf16(r.bytes(64, 'imeFileName')),
  };
  const rec = c as unknown as Record<string, number | string>;
  for (const [name, kind] of OPTIONAL) {
    if (kind === 64) {
      if (r.remaining < 64) break;
      rec[name] = readFixedUtf16(r.bytes(64, name));
    } else {
      if (r.remaining < SIZE[kind]) break;
      rec[name] = r[kind](name);
    }
  }
  if (r.remaining > 0) c.extra = Buffer.from(r.rest());
  return c;
}

export function encodeClientCoreData(w: Writer, c: ClientCoreData): void {
  w.u32le(c.version).u16le(c.desktopWidth).u16le(c.desktopHeight).u16le(c.colorDepth).u16le(c.sasSequence)
    .u32le(c.keyboardLayout).u32le(c.clientBuild).bytes(fixedUtf16(c.clientName, 32))
    .u32le(c.keyboardType).u32le(c.keyboardSubType).u32le(c.keyboardFunctionKey).bytes(fixedUtf16(c.imeFileName, 64));
  const rec = c as unknown as Record<string, number | string | undefined>;
  let stopped = false;
  for (const [name, kind] of OPTIONAL) {
    const v = rec[name];
    if (v === undefined) {
      stopped = true;
      continue;
    }
    if (stopped) throw new RangeError(`TS_UD_CS_CORE.${name} is set but an earlier optional field is not`);
    if (kind === 64) w.bytes(fixedUtf16(String(v), 64));
    else w[kind](Number(v));
  }
  if (c.extra) w.bytes(c.extra);
}
