/** A command line that cannot be run as given: printed as one line, exit 1. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
