import type { Reader, Writer } from '../wire/index.js';
import { decodeBinaryBlob, encodeBinaryBlob, type LicenseBinaryBlob } from './binary-blob.js';
import { BB_SCOPE_BLOB } from './constants.js';
import { ansiBytes, ansiText } from './text.js';

/** SCOPE, [MS-RDPELE] 2.2.2.1.2.1: a BB_SCOPE_BLOB holding the NUL-terminated ANSI name of a license issuer. */
export interface Scope {
  /** The issuer name as text ("microsoft.com"). */
  issuer: string;
  /** The blob as received (type and bytes). Written back while its bytes still read as `issuer`. */
  blob?: LicenseBinaryBlob;
}

/** SCOPE_LIST, [MS-RDPELE] 2.2.2.1.2: ScopeCount + ScopeArray. */
export type ScopeList = Scope[];

/** Largest ScopeCount accepted (IronRDP's MAX_SCOPE_COUNT; Windows sends 1). */
export const MAX_SCOPE_COUNT = 256;
/** Every scope blob has at least its 4-byte header: a ScopeCount above remaining/4 cannot be right (BAD-INPUTS #1). */
const MIN_SCOPE_SIZE = 4;

/** [MS-RDPELE] 2.2.2.1.2.1. A non-empty blob must be of type BB_SCOPE_BLOB. */
export function decodeScope(r: Reader, field = 'Scope'): Scope {
  const blob = decodeBinaryBlob(r, field, BB_SCOPE_BLOB);
  return { issuer: ansiText(blob.data), blob };
}

/** [MS-RDPELE] 2.2.2.1.2.1. */
export function encodeScope(w: Writer, value: Scope): void {
  const blob =
    value.blob !== undefined && ansiText(value.blob.data) === value.issuer
      ? value.blob
      : { blobType: BB_SCOPE_BLOB, data: ansiBytes(value.issuer) };
  encodeBinaryBlob(w, blob, 'Scope');
}

/** [MS-RDPELE] 2.2.2.1.2. */
export function decodeScopeList(r: Reader): ScopeList {
  const at = r.offset;
  const count = r.u32le('ScopeCount');
  if (count > MAX_SCOPE_COUNT) r.fail('LIMIT_EXCEEDED', 'ScopeCount', `${count} > ${MAX_SCOPE_COUNT}`, at);
  if (count * MIN_SCOPE_SIZE > r.remaining) {
    r.fail('INVALID_LENGTH', 'ScopeCount', `${count} scopes cannot fit in ${r.remaining} bytes`, at);
  }
  const scopes: Scope[] = [];
  for (let i = 0; i < count; i++) scopes.push(decodeScope(r, `ScopeArray[${i}]`));
  return scopes;
}

/** [MS-RDPELE] 2.2.2.1.2. */
export function encodeScopeList(w: Writer, value: ScopeList): void {
  w.u32le(value.length);
  for (const scope of value) encodeScope(w, scope);
}
