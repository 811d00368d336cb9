import type { Reader, Writer } from '../wire/index.js';
import { MAX_BLOB_LENGTH } from './constants.js';

/**
 * LICENSE_BINARY_BLOB, [MS-RDPBCGR] 2.2.1.12.1.2: wBlobType + wBlobLen + blobData. The type is kept as received (peers
 * put garbage there); `data` is empty when wBlobLen is 0, whatever the type.
 */
export interface LicenseBinaryBlob {
  /** wBlobType, as received (BB_DATA_BLOB, BB_ENCRYPTED_DATA_BLOB, …). */
  blobType: number;
  /** blobData (wBlobLen bytes). */
  data: Buffer;
}

/**
 * [MS-RDPBCGR] 2.2.1.12.1.2. `field` names the blob in errors (`ServerCertificate.wBlobLen`). With `expectedType`, a
 * non-empty blob of another type is refused (INVALID_VALUE): only used where the type disambiguates (certificate,
 * random, scope, key exchange list). An empty blob is accepted with any type.
 */
export function decodeBinaryBlob(r: Reader, field: string, expectedType?: number): LicenseBinaryBlob {
  const typeAt = r.offset;
  const blobType = r.u16le(`${field}.wBlobType`);
  const len = r.u16le(`${field}.wBlobLen`);
  if (expectedType !== undefined && len !== 0 && blobType !== expectedType) {
    r.fail('INVALID_VALUE', `${field}.wBlobType`, `0x${hex4(blobType)}, expected 0x${hex4(expectedType)}`, typeAt);
  }
  const data = r.bytes(len, `${field}.blobData`);
  return { blobType, data };
}

/** [MS-RDPBCGR] 2.2.1.12.1.2. Throws RangeError if the data is longer than 65535 bytes. */
export function encodeBinaryBlob(w: Writer, value: LicenseBinaryBlob, field = 'blob'): void {
  if (value.data.length > MAX_BLOB_LENGTH) throw new RangeError(`${field}: ${value.data.length} bytes do not fit in wBlobLen`);
  w.u16le(value.blobType).u16le(value.data.length).bytes(value.data);
}

/** Size on the wire. */
export function binaryBlobSize(value: LicenseBinaryBlob): number {
  return 4 + value.data.length;
}

function hex4(v: number): string {
  return v.toString(16).padStart(4, '0');
}
