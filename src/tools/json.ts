/**
 * How tools show decoded structures: JSON where bytes are lowercase hex strings, big integers are decimal strings and
 * dates are ISO strings; or the same as an indented tree for people.
 */
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export function toJson(value: unknown): Json {
  if (value === null || value === undefined) return null;
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map(toJson);
  if (typeof value === 'object') {
    const out: Record<string, Json> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) if (v !== undefined && typeof v !== 'function') out[k] = toJson(v);
    return out;
  }
  return String(value);
}

const SHORT = 64;

/** An indented tree; long hex strings are shortened with their length. */
export function toTree(value: Json): string {
  return value !== null && typeof value === 'object' ? lines(value, '') : `${scalar(value)}\n`;
}

function lines(value: Json[] | { [k: string]: Json }, indent: string): string {
  const entries = Array.isArray(value) ? value.map((v, i) => [`[${i}]`, v] as const) : Object.entries(value);
  let out = '';
  for (const [k, v] of entries) {
    if (v !== null && typeof v === 'object') {
      const empty = Array.isArray(v) ? v.length === 0 : Object.keys(v).length === 0;
      out += empty ? `${indent}${k}: ${Array.isArray(v) ? '[]' : '{}'}\n` : `${indent}${k}:\n${lines(v, indent + '  ')}`;
    } else out += `${indent}${k}: ${scalar(v)}\n`;
  }
  return out;
}

function scalar(v: Json): string {
  if (typeof v === 'string' && /^[0-9a-f]+$/.test(v) && v.length > SHORT * 2) return `${v.slice(0, SHORT)}… (${v.length / 2} bytes)`;
  return typeof v === 'string' ? v : JSON.stringify(v);
}
