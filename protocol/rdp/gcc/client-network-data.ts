import { DecodeError, type Reader, type Writer } from '../../wire/index.js';
import { fixedAnsi, readFixedAnsi } from './strings.js';

/** [MS-RDPBCGR] 2.2.1.3.4: at most 31 static virtual channels. */
export const MAX_STATIC_CHANNELS = 31;
export const CHANNEL_NAME_SIZE = 8;

/** [MS-RDPBCGR] 2.2.1.3.4.1 CHANNEL_DEF. */
export interface ChannelDef {
  /** Up to 7 ANSI characters. */
  name: string;
  options: number;
}

/** [MS-RDPBCGR] 2.2.1.3.4 TS_UD_CS_NET, without its header. */
export interface ClientNetworkData {
  channels: ChannelDef[];
}

export function decodeClientNetworkData(r: Reader): ClientNetworkData {
  const at = r.offset;
  const count = r.u32le('channelCount');
  if (count > MAX_STATIC_CHANNELS) throw new DecodeError('LIMIT_EXCEEDED', 'channelCount', at, `${count} channels, at most ${MAX_STATIC_CHANNELS}`);
  r.need(count * 12, 'channelDefArray');
  const channels: ChannelDef[] = [];
  for (let i = 0; i < count; i++) channels.push({ name: readFixedAnsi(r.bytes(CHANNEL_NAME_SIZE, 'channelDef.name')), options: r.u32le('channelDef.options') });
  return { channels };
}

export function encodeClientNetworkData(w: Writer, n: ClientNetworkData): void {
  if (n.channels.length > MAX_STATIC_CHANNELS) throw new RangeError(`${n.channels.length} channels, at most ${MAX_STATIC_CHANNELS}`);
  w.u32le(n.channels.length);
  for (const c of n.channels) w.bytes(fixedAnsi(c.name, CHANNEL_NAME_SIZE)).u32le(c.options);
}
