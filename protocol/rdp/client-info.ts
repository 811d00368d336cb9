import { DecodeError, type Reader, type Writer } from '../wire/index.js';

/** [MS-RDPBCGR] 2.2.1.11.1.1 TS_INFO_PACKET flags. */
export const INFO_MOUSE = 0x00000001;
export const INFO_DISABLECTRLALTDEL = 0x00000002;
export const INFO_AUTOLOGON = 0x00000008;
export const INFO_UNICODE = 0x00000010;
export const INFO_MAXIMIZESHELL = 0x00000020;
export const INFO_LOGONNOTIFY = 0x00000040;
export const INFO_COMPRESSION = 0x00000080;
export const INFO_ENABLEWINDOWSKEY = 0x00000100;
export const INFO_REMOTECONSOLEAUDIO = 0x00002000;
export const INFO_FORCE_ENCRYPTED_CS_PDU = 0x00004000;
export const INFO_RAIL = 0x00008000;
export const INFO_LOGONERRORS = 0x00010000;
export const INFO_MOUSE_HAS_WHEEL = 0x00020000;
export const INFO_PASSWORD_IS_SC_PIN = 0x00040000;
export const INFO_NOAUDIOPLAYBACK = 0x00080000;
export const INFO_USING_SAVED_CREDS = 0x00100000;
export const INFO_AUDIOCAPTURE = 0x00200000;
export const INFO_VIDEO_DISABLE = 0x00400000;

/** Most bytes (without the terminator) of each string field; the spec's largest is 512 (RDP 5.1+). */
export const MAX_INFO_FIELD_SIZE = 512;
/** Largest extraInfo (TS_EXTENDED_INFO_PACKET) we keep. */
export const MAX_EXTRA_INFO_SIZE = 4096;

/** [MS-RDPBCGR] 2.2.1.11.1.1 TS_INFO_PACKET. The extended info (2.2.1.11.1.1.1) is kept raw. */
export interface TsInfoPacket {
  codePage: number;
  flags: number;
  domain: string;
  userName: string;
  /** Secret: never log it. */
  password: string;
  alternateShell: string;
  workingDir: string;
  extraInfo?: Buffer;
}

const FIELDS = ['domain', 'userName', 'password', 'alternateShell', 'workingDir'] as const;
const CB_NAMES = ['cbDomain', 'cbUserName', 'cbPassword', 'cbAlternateShell', 'cbWorkingDir'] as const;

export function decodeTsInfoPacket(r: Reader): TsInfoPacket {
  const codePage = r.u32le('CodePage');
  const flags = r.u32le('flags');
  const unicode = (flags & INFO_UNICODE) !== 0;
  const sizes: number[] = [];
  for (const name of CB_NAMES) {
    const at = r.offset;
    const cb = r.u16le(name);
    if (cb > MAX_INFO_FIELD_SIZE) throw new DecodeError('LIMIT_EXCEEDED', name, at, `${cb} bytes, at most ${MAX_INFO_FIELD_SIZE}`);
    sizes.push(cb);
  }
  const p = { codePage, flags } as TsInfoPacket;
  FIELDS.forEach((f, i) => {
    // Each string is followed by a mandatory terminator (2 bytes in Unicode, 1 in ANSI) not counted in its cb.
    const raw = r.bytes(sizes[i]! + (unicode ? 2 : 1), f).subarray(0, sizes[i]!);
    p[f] = unicode ? raw.subarray(0, raw.length & ~1).toString('utf16le') : raw.toString('latin1');
  });
  if (r.remaining > 0) {
    if (r.remaining > MAX_EXTRA_INFO_SIZE) throw new DecodeError('LIMIT_EXCEEDED', 'extraInfo', r.offset, `${r.remaining} bytes`);
    p.extraInfo = Buffer.from(r.rest());
  }
  return p;
}

export function encodeTsInfoPacket(w: Writer, p: TsInfoPacket): void {
  const unicode = (p.flags & INFO_UNICODE) !== 0;
  const enc = FIELDS.map((f) => Buffer.from(p[f], unicode ? 'utf16le' : 'latin1'));
  for (const e of enc) if (e.length > MAX_INFO_FIELD_SIZE) throw new RangeError(`TS_INFO_PACKET string of ${e.length} bytes`);
  w.u32le(p.codePage).u32le(p.flags);
  for (const e of enc) w.u16le(e.length);
  for (const e of enc) w.bytes(e).zeros(unicode ? 2 : 1);
  if (p.extraInfo) w.bytes(p.extraInfo);
}

/** [MS-RDPBCGR] 2.2.1.11.1.1.1 clientAddressFamily AF_INET. */
export const CLIENT_INFO_AF_INET = 0x0002;
/** TS_TIME_ZONE_INFORMATION is 172 bytes. */
export const TIME_ZONE_INFORMATION_SIZE = 172;

/**
 * A minimal TS_EXTENDED_INFO_PACKET (the RDP 5+ fields up to performanceFlags) for emulated clients:
 * address family AF_INET, client address and directory (UTF-16 + NUL), a zero time zone, session id 0.
 */
export function encodeExtendedInfoPacket(w: Writer, p: { clientAddress: string; clientDir: string; performanceFlags: number }): void {
  const addr = Buffer.from(`${p.clientAddress}\0`, 'utf16le');
  const dir = Buffer.from(`${p.clientDir}\0`, 'utf16le');
  w.u16le(CLIENT_INFO_AF_INET).u16le(addr.length).bytes(addr).u16le(dir.length).bytes(dir)
    .zeros(TIME_ZONE_INFORMATION_SIZE).u32le(0).u32le(p.performanceFlags);
}
