import type { Reader, Writer } from '../wire/index.js';
import { decodeBinaryBlob, encodeBinaryBlob, type LicenseBinaryBlob } from './binary-blob.js';
import { BB_ERROR_BLOB, errorCodeName, stateTransitionName } from './constants.js';

/** LICENSE_ERROR_MESSAGE (bMsgType 0xFF, ERROR_ALERT), [MS-RDPBCGR] 2.2.1.12.1.3, [MS-RDPELE] 2.2.2.8. */
export interface LicenseErrorMessage {
  /** dwErrorCode: STATUS_VALID_CLIENT, ERR_INVALID_MAC, … Any value is kept (see errorCodeName). */
  errorCode: number;
  /** dwStateTransition: ST_TOTAL_ABORT, ST_NO_TRANSITION, … Any value is kept (see stateTransitionName). */
  stateTransition: number;
  /** bbErrorInfo: spec type BB_ERROR_BLOB, normally empty. The type is kept as received (xrdp sends garbage with length 0). */
  errorInfo: LicenseBinaryBlob;
}

/** [MS-RDPBCGR] 2.2.1.12.1.3: the body after the preamble. */
export function decodeLicenseErrorMessage(r: Reader): LicenseErrorMessage {
  const errorCode = r.u32le('dwErrorCode');
  const stateTransition = r.u32le('dwStateTransition');
  const errorInfo = decodeBinaryBlob(r, 'bbErrorInfo');
  return { errorCode, stateTransition, errorInfo };
}

/** [MS-RDPBCGR] 2.2.1.12.1.3. */
export function encodeLicenseErrorMessage(w: Writer, value: LicenseErrorMessage): void {
  w.u32le(value.errorCode).u32le(value.stateTransition);
  encodeBinaryBlob(w, value.errorInfo, 'bbErrorInfo');
}

/** An error message with an empty BB_ERROR_BLOB, as every peer sends it. */
export function licenseErrorMessage(errorCode: number, stateTransition: number): LicenseErrorMessage {
  return { errorCode, stateTransition, errorInfo: { blobType: BB_ERROR_BLOB, data: Buffer.alloc(0) } };
}

/** "ERR_INVALID_MAC/ST_TOTAL_ABORT", unknown values as unknown(0x…) (BAD-INPUTS #8). */
export function describeLicenseError(value: Pick<LicenseErrorMessage, 'errorCode' | 'stateTransition'>): string {
  return `${errorCodeName(value.errorCode)}/${stateTransitionName(value.stateTransition)}`;
}
