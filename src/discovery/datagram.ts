/**
 * The workgroup broadcast's two datagrams (our own design: Windows used a mailslot whose names are not public).
 * All integers are big-endian; strings are printable ASCII with a length prefix. A datagram must be consumed exactly.
 *
 *   DISCOVER (terminal server → license servers)       OFFER (license server → terminal server)
 *   0   4  magic "RDLS"                                 0   4  magic "RDLS"
 *   4   1  version = 1                                  4   1  version = 1
 *   5   1  type = 1                                     5   1  type = 2
 *   6   8  nonce (random)                               6   8  nonce (the request's, echoed)
 *   14  1  requester length (0..15)                     14  1  name length (1..15)     + license server's host name
 *   15  n  requester (terminal server's name)           ..  1  scope length (1..15)    + its workgroup or domain
 *                                                       ..  1  address length (1..255) + where its license server answers
 *
 * Decoding throws only DecodeError; anything longer than MAX_DATAGRAM_BYTES is refused before it is read.
 */
import { DecodeError, Reader, Writer } from '../../protocol/wire/index.js';
import { MAX_ADDRESS_LENGTH, isNetbiosName, isServiceAddress, parseServiceAddress } from './address.js';

export const DISCOVERY_MAGIC = Buffer.from('RDLS', 'ascii');
export const DISCOVERY_VERSION = 1;
export const TYPE_DISCOVER = 1;
export const TYPE_OFFER = 2;
export const NONCE_LENGTH = 8;
/** NetBIOS names are at most 15 characters. */
export const MAX_NAME_LENGTH = 15;
/** No valid datagram is longer (an OFFER is at most 14 + 16 + 16 + 256 = 302 bytes). */
export const MAX_DATAGRAM_BYTES = 512;

export interface DiscoverRequest {
  type: 'discover';
  nonce: Buffer;
  /** The terminal server's name, for the license server's log; may be empty. */
  requester: string;
}

export interface DiscoverOffer {
  type: 'offer';
  nonce: Buffer;
  /** The license server's host name. */
  name: string;
  /** Its workgroup (or domain). */
  scope: string;
  /** Where its license server answers (see address.ts). */
  address: string;
}

export type DiscoveryDatagram = DiscoverRequest | DiscoverOffer;

function writeString(w: Writer, value: string, field: string, min: number, max: number): void {
  const bytes = Buffer.from(value, 'ascii');
  if (!/^[\x20-\x7e]*$/.test(value) || bytes.length < min || bytes.length > max) {
    throw new RangeError(`${field} must be ${min}-${max} printable ASCII characters: "${value}"`);
  }
  w.u8(bytes.length).bytes(bytes);
}

function readString(r: Reader, field: string, min: number, max: number): string {
  const at = r.offset;
  const n = r.u8(`${field}Length`);
  if (n < min || n > max) r.fail('INVALID_LENGTH', `${field}Length`, `${n} is not in ${min}..${max}`, at);
  const bytes = r.bytes(n, field);
  for (const b of bytes) if (b < 0x20 || b > 0x7e) r.fail('INVALID_VALUE', field, 'holds a byte that is not printable ASCII', at + 1);
  return bytes.toString('ascii');
}

function header(w: Writer, type: number, nonce: Buffer): void {
  if (nonce.length !== NONCE_LENGTH) throw new RangeError(`a nonce is ${NONCE_LENGTH} bytes, not ${nonce.length}`);
  w.bytes(DISCOVERY_MAGIC).u8(DISCOVERY_VERSION).u8(type).bytes(nonce);
}

/** Encodes a DISCOVER. Bad values are a programming error (RangeError), not input. */
export function encodeDiscover(req: Omit<DiscoverRequest, 'type'>): Buffer {
  const w = new Writer(64);
  header(w, TYPE_DISCOVER, req.nonce);
  writeString(w, req.requester, 'requester', 0, MAX_NAME_LENGTH);
  return w.toBuffer();
}

/** Encodes an OFFER. Bad values are a programming error (RangeError), not input. */
export function encodeOffer(offer: Omit<DiscoverOffer, 'type'>): Buffer {
  if (!isNetbiosName(offer.name)) throw new RangeError(`not a NetBIOS host name: "${offer.name}"`);
  if (!isNetbiosName(offer.scope)) throw new RangeError(`not a NetBIOS workgroup or domain name: "${offer.scope}"`);
  const a = parseServiceAddress(offer.address);
  if (!isServiceAddress(a)) throw new RangeError(`license server address ${a.problem}`);
  const w = new Writer(128);
  header(w, TYPE_OFFER, offer.nonce);
  writeString(w, offer.name, 'name', 1, MAX_NAME_LENGTH);
  writeString(w, offer.scope, 'scope', 1, MAX_NAME_LENGTH);
  writeString(w, offer.address, 'address', 1, MAX_ADDRESS_LENGTH);
  return w.toBuffer();
}

/** Decodes either datagram. Throws DecodeError (and nothing else) for anything that is not exactly one of them. */
export function decodeDatagram(data: Uint8Array): DiscoveryDatagram {
  if (data.length > MAX_DATAGRAM_BYTES) {
    throw new DecodeError('LIMIT_EXCEEDED', 'datagram', 0, `${data.length} bytes, more than ${MAX_DATAGRAM_BYTES}`);
  }
  const r = Reader.from(data);
  const magic = r.bytes(4, 'magic');
  if (!magic.equals(DISCOVERY_MAGIC)) r.fail('INVALID_VALUE', 'magic', 'not a discovery datagram', 0);
  const version = r.u8('version');
  if (version !== DISCOVERY_VERSION) r.fail('UNSUPPORTED', 'version', `version ${version} (only ${DISCOVERY_VERSION})`, 4);
  const type = r.u8('type');
  const nonce = Buffer.from(r.bytes(NONCE_LENGTH, 'nonce'));
  let out: DiscoveryDatagram;
  if (type === TYPE_DISCOVER) {
    out = { type: 'discover', nonce, requester: readString(r, 'requester', 0, MAX_NAME_LENGTH) };
  } else if (type === TYPE_OFFER) {
    const nameAt = r.offset;
    const name = readString(r, 'name', 1, MAX_NAME_LENGTH);
    if (!isNetbiosName(name)) r.fail('INVALID_VALUE', 'name', `"${name}" is not a NetBIOS name`, nameAt);
    const scopeAt = r.offset;
    const scope = readString(r, 'scope', 1, MAX_NAME_LENGTH);
    if (!isNetbiosName(scope)) r.fail('INVALID_VALUE', 'scope', `"${scope}" is not a NetBIOS name`, scopeAt);
    const addressAt = r.offset;
    const address = readString(r, 'address', 1, MAX_ADDRESS_LENGTH);
    const a = parseServiceAddress(address);
    if (!isServiceAddress(a)) r.fail('INVALID_VALUE', 'address', a.problem, addressAt);
    out = { type: 'offer', nonce, name, scope, address };
  } else {
    return r.fail('INVALID_VALUE', 'type', `unknown datagram type ${type}`, 5);
  }
  r.end('datagram');
  return out;
}
