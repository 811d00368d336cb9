import { DecodeError, type Reader, type Writer } from '../../wire/index.js';

/** [MS-RDPBCGR] 2.2.1.3.1 TS_UD_HEADER block types. */
export const CS_CORE = 0xc001;
export const CS_SECURITY = 0xc002;
export const CS_NET = 0xc003;
export const CS_CLUSTER = 0xc004;
export const CS_MONITOR = 0xc005;
export const CS_MCS_MSGCHANNEL = 0xc006;
export const CS_MONITOR_EX = 0xc008;
export const CS_MULTITRANSPORT = 0xc00a;
export const SC_CORE = 0x0c01;
export const SC_SECURITY = 0x0c02;
export const SC_NET = 0x0c03;
export const SC_MCS_MSGCHANNEL = 0x0c04;
export const SC_MULTITRANSPORT = 0x0c08;

export const USER_DATA_HEADER_SIZE = 4;
/** Most blocks we accept in one GCC user data (the spec defines fewer than 10 per direction). */
export const MAX_USER_DATA_BLOCKS = 32;

/** One data block: TS_UD_HEADER (type, length including the header) and its body. */
export interface UserDataBlock {
  type: number;
  /** The body (after the 4-byte header). */
  data: Buffer;
  /** Absolute offset of the body, for error messages of the block decoders. */
  offset: number;
}

/** Splits concatenated data blocks; each block length must be ≥ 4 and fit. */
export function readUserDataBlocks(r: Reader, field: string): UserDataBlock[] {
  const blocks: UserDataBlock[] = [];
  while (r.remaining > 0) {
    const at = r.offset;
    if (blocks.length >= MAX_USER_DATA_BLOCKS) throw new DecodeError('LIMIT_EXCEEDED', field, at, `more than ${MAX_USER_DATA_BLOCKS} data blocks`);
    const type = r.u16le(`${field}.type`);
    const length = r.u16le(`${field}.length`);
    if (length < USER_DATA_HEADER_SIZE) throw new DecodeError('INVALID_LENGTH', `${field}.length`, at + 2, `block length ${length} is below 4`);
    const offset = r.offset;
    blocks.push({ type, data: Buffer.from(r.bytes(length - USER_DATA_HEADER_SIZE, `${field}[0x${type.toString(16)}]`)), offset });
  }
  return blocks;
}

export function writeUserDataBlock(w: Writer, type: number, body: Uint8Array): void {
  const length = body.length + USER_DATA_HEADER_SIZE;
  if (length > 0xffff) throw new RangeError(`data block 0x${type.toString(16)} too long`);
  w.u16le(type).u16le(length).bytes(body);
}
