/**
 * regedit's `.reg` format, version 5.00 (UTF-16LE with a BOM, as regedit writes it; UTF-8 and the ANSI REGEDIT4 header are
 * read too): `[key]` sections, `[-key]` deletions, `"name"=` values as strings, `dword:`, `hex:` and `hex(n):`, lines
 * continued with a backslash. Files are written atomically (a temporary file renamed into place).
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { Registry, RegistryError, type RegValue } from './registry.js';

const HEADER5 = 'Windows Registry Editor Version 5.00';
const HEADER4 = 'REGEDIT4';

const HEX_TYPES: Record<number, RegValue['type']> = { 0: 'REG_NONE', 1: 'REG_SZ', 2: 'REG_EXPAND_SZ', 3: 'REG_BINARY', 4: 'REG_DWORD', 7: 'REG_MULTI_SZ', 11: 'REG_QWORD' };

export function decodeRegText(bytes: Buffer): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return bytes.subarray(2).toString('utf16le');
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return bytes.subarray(3).toString('utf8');
  return bytes.toString('utf8');
}

function unquote(s: string, line: number): [string, string] {
  if (s[0] !== '"') throw new RegistryError(`line ${line}: expected a quoted name`);
  let out = '';
  for (let i = 1; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) out += s[++i];
    else if (c === '"') return [out, s.slice(i + 1)];
    else out += c;
  }
  throw new RegistryError(`line ${line}: unterminated string`);
}

function hexBytes(s: string, line: number): Buffer {
  const t = s.replace(/\s/g, '');
  if (t === '') return Buffer.alloc(0);
  const parts = t.split(',');
  if (!parts.every((p) => /^[0-9a-fA-F]{1,2}$/.test(p))) throw new RegistryError(`line ${line}: bad hex data`);
  return Buffer.from(parts.map((p) => parseInt(p, 16)));
}

function utf16z(b: Buffer): string {
  const s = b.toString('utf16le');
  return s.endsWith('\0') ? s.slice(0, -1) : s;
}

function parseValue(text: string, line: number, ansi: boolean): RegValue | null {
  if (text === '-') return null;
  if (text.startsWith('"')) {
    const [v, rest] = unquote(text, line);
    if (rest.trim() !== '') throw new RegistryError(`line ${line}: text after a string value`);
    return { type: 'REG_SZ', data: v };
  }
  const dw = /^dword:([0-9a-fA-F]{1,8})$/.exec(text);
  if (dw) return { type: 'REG_DWORD', data: parseInt(dw[1]!, 16) };
  const hx = /^hex(?:\(([0-9a-fA-F]+)\))?:(.*)$/s.exec(text);
  if (!hx) throw new RegistryError(`line ${line}: unknown value format "${text.slice(0, 20)}"`);
  const code = hx[1] === undefined ? 3 : parseInt(hx[1], 16);
  const data = hexBytes(hx[2]!, line);
  const type = HEX_TYPES[code];
  if (!type) throw new RegistryError(`line ${line}: unsupported value type hex(${hx[1]})`);
  const str = (b: Buffer) => (ansi ? b.toString('latin1').replace(/\0$/, '') : utf16z(b));
  switch (type) {
    case 'REG_SZ':
    case 'REG_EXPAND_SZ':
      return { type, data: str(data) };
    case 'REG_MULTI_SZ':
      return { type, data: str(data).split('\0').filter((x, i, a) => !(x === '' && i === a.length - 1)) };
    case 'REG_DWORD':
      if (data.length !== 4) throw new RegistryError(`line ${line}: a DWORD has 4 bytes`);
      return { type, data: data.readUInt32LE(0) };
    case 'REG_QWORD':
      if (data.length !== 8) throw new RegistryError(`line ${line}: a QWORD has 8 bytes`);
      return { type, data: data.readBigUInt64LE(0) };
    default:
      return { type, data };
  }
}

/** Applies a .reg file's text to a registry (as regedit's import does). */
export function importRegText(reg: Registry, text: string): Registry {
  const raw = text.split(/\r?\n/);
  // Join continuation lines (a line ending in a backslash continues on the next).
  const lines: Array<{ text: string; n: number }> = [];
  for (let i = 0; i < raw.length; i++) {
    let t = raw[i]!;
    const n = i + 1;
    while (t.trimEnd().endsWith('\\') && i + 1 < raw.length) t = t.trimEnd().slice(0, -1) + raw[++i]!.trim();
    lines.push({ text: t, n });
  }
  const first = lines.findIndex((l) => l.text.trim() !== '');
  const header = lines[first]?.text.trim();
  if (header !== HEADER5 && header !== HEADER4) throw new RegistryError(`not a .reg file: the first line must be "${HEADER5}"`);
  const ansi = header === HEADER4;
  let current: string | undefined;
  for (const { text: l, n } of lines.slice(first + 1)) {
    const t = l.trim();
    if (t === '' || t.startsWith(';')) continue;
    if (t.startsWith('[')) {
      if (!t.endsWith(']')) throw new RegistryError(`line ${n}: unterminated key name`);
      const name = t.slice(1, -1);
      if (name.startsWith('-')) {
        reg.delete(name.slice(1));
        current = undefined;
      } else {
        current = name;
        reg.create(name);
      }
      continue;
    }
    if (current === undefined) throw new RegistryError(`line ${n}: a value outside any key`);
    let name: string;
    let rest: string;
    if (t.startsWith('@')) [name, rest] = ['', t.slice(1)];
    else [name, rest] = unquote(t, n);
    if (!rest.startsWith('=')) throw new RegistryError(`line ${n}: expected "=" after the value name`);
    const value = parseValue(rest.slice(1).trim(), n, ansi);
    if (value === null) reg.open(current)?.deleteValue(name);
    else reg.setValue(current, name, value);
  }
  return reg;
}

function quote(s: string): string {
  return '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
}

/** `hex(n):` data wrapped at 80 columns as regedit does: each line ends with ",\" and continues indented by two spaces. */
function hexLine(prefix: string, data: Buffer): string {
  const bytes = [...data].map((b) => b.toString(16).padStart(2, '0'));
  let out = prefix;
  let col = prefix.length;
  for (let i = 0; i < bytes.length; i++) {
    const piece = bytes[i]! + (i < bytes.length - 1 ? ',' : '');
    if (col + piece.length > 77 && i < bytes.length) {
      out += '\\\r\n  ';
      col = 2;
    }
    out += piece;
    col += piece.length;
  }
  return out;
}

function formatValue(name: string, v: RegValue): string {
  const lhs = (name === '' ? '@' : quote(name)) + '=';
  switch (v.type) {
    case 'REG_SZ':
      // Text that a quoted line cannot hold goes out as hex(1), as regedit does.
      return /[\r\n\0]/.test(v.data) ? hexLine(lhs + 'hex(1):', Buffer.from(v.data + '\0', 'utf16le')) : lhs + quote(v.data);
    case 'REG_DWORD':
      return lhs + 'dword:' + (v.data >>> 0).toString(16).padStart(8, '0');
    case 'REG_BINARY':
      return hexLine(lhs + 'hex:', v.data);
    case 'REG_NONE':
      return hexLine(lhs + 'hex(0):', v.data);
    case 'REG_EXPAND_SZ':
      return hexLine(lhs + 'hex(2):', Buffer.from(v.data + '\0', 'utf16le'));
    case 'REG_MULTI_SZ':
      return hexLine(lhs + 'hex(7):', Buffer.from(v.data.map((s) => s + '\0').join('') + '\0', 'utf16le'));
    case 'REG_QWORD': {
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(v.data);
      return hexLine(lhs + 'hex(b):', b);
    }
  }
}

/** The .reg text of a registry, or of one subtree. */
export function exportRegText(reg: Registry, under?: string): string {
  const prefix = under?.toLowerCase();
  const out: string[] = [HEADER5, ''];
  for (const { path, key } of reg.walk()) {
    const lower = path.toLowerCase();
    if (prefix && lower !== prefix && !lower.startsWith(prefix + '\\')) continue;
    out.push(`[${path}]`);
    for (const { name, value } of key.values.values()) out.push(formatValue(name, value));
    out.push('');
  }
  return out.join('\r\n') + '\r\n';
}

export function readRegFile(path: string): Registry {
  return importRegText(new Registry(), decodeRegText(readFileSync(path)));
}

/** Writes UTF-16LE with a BOM, through a temporary file renamed into place, so a crash never leaves half a file. */
export function writeRegFile(path: string, reg: Registry): void {
  const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(exportRegText(reg), 'utf16le')]);
  const tmp = `${path}.new`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}
