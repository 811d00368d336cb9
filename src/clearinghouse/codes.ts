/**
 * The codes a person carries between a license server and the clearinghouse, by phone, fax or web page:
 *  - License Server ID and Key Pack ID: 35 characters of base 24 (160 bits: 20 bytes of payload);
 *  - License Code (retail, "MLP"): 25 characters of base 24 (14 bytes of payload);
 *  - agreement numbers (Select / Enterprise / Campus / School: 7 digits; Open License: 8 digits + a 15-character
 *    authorization number), RD-LICENSING.md §3.5.
 * Each code ends in a check, so a mistyped code is refused before it is sent anywhere. A Key Pack ID is bound to one
 * License Server ID: its binding is a keyed hash over the License Server ID, so it installs nowhere else.
 */
import { createHash, createHmac } from 'node:crypto';
import { CodeError, decodeBase24, encodeBase24, normaliseCode } from './base24.js';

export { CodeError };

export const LS_ID_DIGITS = 35;
export const LICENSE_CODE_DIGITS = 25;
const ID_BYTES = 20;
const CODE_BYTES = 14;

export type KeyPackKind = 'per-device' | 'per-user' | 'internet-connector';
export const KEYPACK_KINDS: KeyPackKind[] = ['per-device', 'per-user', 'internet-connector'];

export type Program = 'retail' | 'select' | 'enterprise' | 'campus' | 'school' | 'open' | 'other';
export const PROGRAMS: Program[] = ['retail', 'select', 'enterprise', 'campus', 'school', 'open', 'other'];

export interface ProductVersionCode {
  major: number;
  minor: number;
}

function check(payload: Uint8Array, bytes: number, domain: string): Buffer {
  return createHash('sha256').update(domain).update(payload).digest().subarray(0, bytes);
}

/**
 * Codes are whitened (XOR with a fixed mask of their kind) so that small numbers do not show as runs of "B": the mask
 * hides nothing, it only makes codes look like the random strings people expect and tell apart.
 */
function whiten(bytes: Buffer, domain: string): Buffer {
  const mask = createHash('sha256').update(`rdp-licensing code mask ${domain}`).digest();
  return Buffer.from(bytes.map((b, i) => b ^ mask[i % mask.length]!));
}

function sealed(payload: Buffer, size: number, checkBytes: number, domain: string): Buffer {
  return whiten(Buffer.concat([payload, check(payload, checkBytes, domain)]).subarray(0, size), domain);
}

function opened(received: Buffer, checkBytes: number, domain: string, what: string): Buffer {
  const bytes = whiten(received, domain);
  const payload = bytes.subarray(0, bytes.length - checkBytes);
  if (!check(payload, checkBytes, domain).equals(bytes.subarray(bytes.length - checkBytes))) {
    throw new CodeError(`${what} is not valid: check it for typing mistakes`);
  }
  return payload;
}

// ---------------------------------------------------------------- License Server ID

/** The 16 bytes that name a license server's key pair: the start of SHA-256 of its SubjectPublicKeyInfo. */
export function keyName(publicKeyDer: Uint8Array): Buffer {
  return createHash('sha256').update(publicKeyDer).digest().subarray(0, 16);
}

/**
 * A License Server ID: the first 12 bytes of the server's key name, the clearinghouse's 4-byte activation serial and a
 * 4-byte check. The server recognises its own ID by the key name; the clearinghouse by its records.
 */
export function makeLicenseServerId(name: Uint8Array, activationSerial: number): string {
  const p = Buffer.alloc(16);
  Buffer.from(name).copy(p, 0, 0, 12);
  p.writeUInt32BE(activationSerial >>> 0, 12);
  return encodeBase24(sealed(p, ID_BYTES, 4, 'lsid'), LS_ID_DIGITS);
}

export function parseLicenseServerId(text: string): { id: string; name12: Buffer; activationSerial: number } {
  const p = opened(decodeBase24(text, LS_ID_DIGITS, ID_BYTES, 'License Server ID'), 4, 'lsid', 'License Server ID');
  return { id: normaliseCode(text), name12: p.subarray(0, 12), activationSerial: p.readUInt32BE(12) };
}

/** A request code (offline activation): what the license server prints, naming its key. */
export function makeRequestCode(name: Uint8Array): string {
  return encodeBase24(sealed(Buffer.from(name).subarray(0, 16), ID_BYTES, 4, 'req'), LS_ID_DIGITS);
}

export function parseRequestCode(text: string): Buffer {
  return opened(decodeBase24(text, LS_ID_DIGITS, ID_BYTES, 'request code'), 4, 'req', 'request code');
}

// ---------------------------------------------------------------- Key Pack ID

export interface KeyPackIdFields {
  kind: KeyPackKind;
  program: Program;
  quantity: number;
  version: ProductVersionCode;
  serial: number;
}

function bindingKey(licenseServerId: string): Buffer {
  return Buffer.from(normaliseCode(licenseServerId), 'ascii');
}

/**
 * A Key Pack ID: kind, program, quantity (1..65535), version and the clearinghouse's serial (11 bytes), a 6-byte
 * binding to the License Server ID and a 3-byte check.
 */
export function makeKeyPackId(f: KeyPackIdFields, licenseServerId: string): string {
  const p = Buffer.alloc(11);
  p[0] = KEYPACK_KINDS.indexOf(f.kind);
  p[1] = PROGRAMS.indexOf(f.program);
  p.writeUInt16BE(f.quantity, 2);
  p[4] = f.version.major;
  p[5] = f.version.minor;
  p.writeUInt32BE(f.serial >>> 0, 6);
  p[10] = 0;
  const binding = createHmac('sha256', bindingKey(licenseServerId)).update(p).digest().subarray(0, 6);
  return encodeBase24(sealed(Buffer.concat([p, binding]), ID_BYTES, 3, 'kpid'), LS_ID_DIGITS);
}

/** Parses a Key Pack ID and checks that it was issued for this License Server ID. */
export function parseKeyPackId(text: string, licenseServerId: string): KeyPackIdFields {
  const payload = opened(decodeBase24(text, LS_ID_DIGITS, ID_BYTES, 'Key Pack ID'), 3, 'kpid', 'Key Pack ID');
  const p = payload.subarray(0, 11);
  const binding = createHmac('sha256', bindingKey(licenseServerId)).update(p).digest().subarray(0, 6);
  if (!binding.equals(payload.subarray(11, 17))) {
    throw new CodeError('this Key Pack ID was issued for another License Server ID');
  }
  return fieldsOf(p, 'Key Pack ID');
}

function fieldsOf(p: Buffer, what: string): KeyPackIdFields {
  const kind = KEYPACK_KINDS[p[0]!];
  const program = PROGRAMS[p[1]!];
  const quantity = p.readUInt16BE(2);
  if (!kind || !program || quantity === 0) throw new CodeError(`${what} is not valid`);
  return { kind, program, quantity, version: { major: p[4]!, minor: p[5]! }, serial: p.readUInt32BE(6) };
}

// ---------------------------------------------------------------- License Code (retail)

export interface LicenseCodeFields {
  kind: KeyPackKind;
  quantity: number;
  version: ProductVersionCode;
  serial: number;
}

/** A 25-character License Code: kind, quantity, version, serial (10 bytes) and a 4-byte check. */
export function makeLicenseCode(f: LicenseCodeFields): string {
  const p = Buffer.alloc(10);
  p[0] = KEYPACK_KINDS.indexOf(f.kind);
  p.writeUInt16BE(f.quantity, 1);
  p[3] = f.version.major;
  p[4] = f.version.minor;
  p.writeUInt32BE(f.serial >>> 0, 5);
  p[9] = 0; // spare, must be 0
  return encodeBase24(sealed(p, CODE_BYTES, 4, 'mlp'), LICENSE_CODE_DIGITS);
}

export function parseLicenseCode(text: string): LicenseCodeFields {
  const p = opened(decodeBase24(text, LICENSE_CODE_DIGITS, CODE_BYTES, 'License Code'), 4, 'mlp', 'License Code');
  const kind = KEYPACK_KINDS[p[0]!];
  const quantity = p.readUInt16BE(1);
  if (!kind || quantity === 0 || p[9] !== 0) throw new CodeError('License Code is not valid');
  return { kind, quantity, version: { major: p[3]!, minor: p[4]! }, serial: p.readUInt32BE(5) };
}

// ---------------------------------------------------------------- agreement numbers

/** Luhn check digit over a string of digits. */
function luhn(digits: string): number {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

/** A 7-digit Select / Enterprise / Campus / School agreement number (6 digits + a Luhn check digit). */
export function makeAgreementNumber(serial: number): string {
  const body = String(serial % 1_000_000).padStart(6, '0');
  return body + luhn(body);
}

/** An 8-digit Open License number (7 digits + a Luhn check digit). */
export function makeOpenLicenseNumber(serial: number): string {
  const body = String(serial % 10_000_000).padStart(7, '0');
  return body + luhn(body);
}

export function parseAgreementNumber(text: string, digits: 7 | 8): string {
  const s = text.replace(/[\s-]/g, '');
  if (!new RegExp(`^\\d{${digits}}$`).test(s)) throw new CodeError(`an agreement number has ${digits} digits`);
  if (luhn(s.slice(0, -1)) !== Number(s.at(-1))) throw new CodeError('agreement number is not valid: check it for typing mistakes');
  return s;
}

/** The 15-character authorization number of an Open License (base 24, 14 digits + 1 check digit). */
export function makeAuthorizationNumber(licenseNumber: string, secret: Uint8Array): string {
  const mac = createHmac('sha256', secret).update(licenseNumber).digest().subarray(0, 8);
  const body = encodeBase24(mac, 14);
  return body + checkDigit24(body);
}

export function parseAuthorizationNumber(text: string): string {
  const s = normaliseCode(text);
  if (!/^[BCDFGHJKMPQRTVWXY2346789]{15}$/.test(s)) throw new CodeError('an authorization number has 15 characters of BCDFGHJKMPQRTVWXY2346789');
  if (checkDigit24(s.slice(0, 14)) !== s[14]) throw new CodeError('authorization number is not valid: check it for typing mistakes');
  return s;
}

function checkDigit24(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) sum += (i + 1) * 'BCDFGHJKMPQRTVWXY2346789'.indexOf(body[i]!);
  return 'BCDFGHJKMPQRTVWXY2346789'[sum % 24]!;
}

/** A product version as people write it: "5.0", "5.2", "6" (= 6.0). */
export function parseProductVersion(text: string): ProductVersionCode {
  const m = /^(\d{1,3})(?:\.(\d{1,3}))?$/.exec(text.trim());
  if (!m || Number(m[1]) > 255 || Number(m[2] ?? 0) > 255) throw new CodeError(`not a product version: "${text}" (use e.g. 5.0)`);
  return { major: Number(m[1]), minor: Number(m[2] ?? 0) };
}
