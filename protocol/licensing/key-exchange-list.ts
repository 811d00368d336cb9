import type { Reader, Writer } from '../wire/index.js';
import { decodeBinaryBlob, encodeBinaryBlob } from './binary-blob.js';
import { BB_KEY_EXCHG_ALG_BLOB } from './constants.js';

/**
 * KeyExchangeList of SERVER_LICENSE_REQUEST, [MS-RDPELE] 2.2.2.1: a BB_KEY_EXCHG_ALG_BLOB holding an array of UINT32
 * algorithm ids (only KEY_EXCHANGE_ALG_RSA exists).
 */
export interface KeyExchangeList {
  /** The algorithm ids, in order. */
  algorithms: number[];
  /** wBlobType as received (only differs from BB_KEY_EXCHG_ALG_BLOB for an empty list). Default BB_KEY_EXCHG_ALG_BLOB. */
  blobType?: number;
}

/** [MS-RDPELE] 2.2.2.1. The blob length must be a multiple of 4; it is parsed inside its own window (BAD-INPUTS #7). */
export function decodeKeyExchangeList(r: Reader): KeyExchangeList {
  const start = r.offset;
  const blob = decodeBinaryBlob(r, 'KeyExchangeList', BB_KEY_EXCHG_ALG_BLOB);
  if (blob.data.length % 4 !== 0) {
    r.fail('INVALID_LENGTH', 'KeyExchangeList.wBlobLen', `${blob.data.length} is not a multiple of 4`, start + 2);
  }
  const algorithms: number[] = [];
  for (let i = 0; i < blob.data.length; i += 4) algorithms.push(blob.data.readUInt32LE(i));
  return { algorithms, blobType: blob.blobType };
}

/** [MS-RDPELE] 2.2.2.1. */
export function encodeKeyExchangeList(w: Writer, value: KeyExchangeList): void {
  const data = Buffer.alloc(value.algorithms.length * 4);
  value.algorithms.forEach((a, i) => data.writeUInt32LE(a, i * 4));
  encodeBinaryBlob(w, { blobType: value.blobType ?? BB_KEY_EXCHG_ALG_BLOB, data }, 'KeyExchangeList');
}
