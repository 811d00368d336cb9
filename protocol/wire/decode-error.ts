/** Why a decoder refused its input. */
export type DecodeErrorCode =
  | 'TRUNCATED' // fewer bytes than a field needs
  | 'TRAILING_BYTES' // bytes left over after a structure that must be consumed exactly
  | 'INVALID_VALUE' // a value the spec does not allow
  | 'INVALID_LENGTH' // a length field that contradicts the data around it
  | 'LIMIT_EXCEEDED' // a count or size above a named limit
  | 'UNSUPPORTED'; // well-formed but not something we handle

/**
 * The only error a decoder throws. `field` is the spec's name of the field being read and `offset` the byte offset
 * (from the start of the outermost buffer given to the decoder) where the problem was found.
 */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
  constructor(
    readonly code: DecodeErrorCode,
    readonly field: string,
    readonly offset: number,
    message?: string,
  ) {
    super(`${field} at offset ${offset}: ${message ?? code.toLowerCase().replace(/_/g, ' ')}`);
  }
}

/** Runs `fn`, turning anything it throws that is not a DecodeError into one (a last line of defence for decoders that call libraries). */
export function asDecodeError<T>(field: string, offset: number, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof DecodeError) throw e;
    throw new DecodeError('INVALID_VALUE', field, offset, e instanceof Error ? e.message : String(e));
  }
}
