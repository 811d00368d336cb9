import { readFileSync } from 'node:fs';
import { UsageError } from './usage.js';

/** The bytes of FILE, or of standard input for "-". */
export function readInput(file: string | undefined): Buffer {
  if (file === undefined) throw new UsageError('give a FILE, or - for standard input');
  try {
    return readFileSync(file === '-' ? 0 : file);
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}
