export { DecodeError, asDecodeError, type DecodeErrorCode } from './decode-error.js';
export { Reader } from './reader.js';
export { Writer, encodeWith } from './writer.js';
