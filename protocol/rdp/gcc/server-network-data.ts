import { DecodeError, type Reader, type Writer } from '../../wire/index.js';
import { MAX_STATIC_CHANNELS } from './client-network-data.js';

/** [MS-RDPBCGR] 2.2.1.4.4 TS_UD_SC_NET, without its header. */
export interface ServerNetworkData {
  /** The I/O channel, 1003. */
  mcsChannelId: number;
  /** One id per CS_NET channel, in order (1004, 1005, ...). */
  channelIdArray: number[];
}

export function decodeServerNetworkData(r: Reader): ServerNetworkData {
  const mcsChannelId = r.u16le('MCSChannelId');
  const at = r.offset;
  const count = r.u16le('channelCount');
  if (count > MAX_STATIC_CHANNELS) throw new DecodeError('LIMIT_EXCEEDED', 'channelCount', at, `${count} channels, at most ${MAX_STATIC_CHANNELS}`);
  const channelIdArray: number[] = [];
  for (let i = 0; i < count; i++) channelIdArray.push(r.u16le('channelIdArray'));
  // Pad: 2 bytes when the count is odd. Tolerate its absence and ignore its value.
  if (count % 2 === 1 && r.remaining >= 2) r.skip(2, 'Pad');
  return { mcsChannelId, channelIdArray };
}

export function encodeServerNetworkData(w: Writer, n: ServerNetworkData): void {
  w.u16le(n.mcsChannelId).u16le(n.channelIdArray.length);
  for (const id of n.channelIdArray) w.u16le(id);
  if (n.channelIdArray.length % 2 === 1) w.u16le(0);
}
