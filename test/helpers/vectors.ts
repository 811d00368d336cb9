import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** The byte-exact vectors of ../shared/vectors, copied into the repository so a clean checkout has them. */
export const VECTORS_DIR = fileURLToPath(new URL('../vectors/', import.meta.url));

/** Parses hex text: `#` comment lines and whitespace are ignored. */
export function parseHexText(text: string): Buffer {
  const hex = text
    .split(/\r?\n/)
    .filter((l) => !l.trimStart().startsWith('#'))
    .join('')
    .replace(/\s+/g, '');
  return Buffer.from(hex, 'hex');
}

export function vector(name: string): Buffer {
  return parseHexText(readFileSync(join(VECTORS_DIR, name.endsWith('.hex') ? name : `${name}.hex`), 'utf8'));
}

export function vectorNames(): string[] {
  return readdirSync(VECTORS_DIR).filter((f) => f.endsWith('.hex')).sort();
}

export const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
