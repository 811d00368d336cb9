/**
 * The JSON shapes of the license server's HTTPS API, both ways: what the server sends (records with ISO dates, hex
 * hardware ids, base64 certificates) and the decoders the HTTPS link and the admin client use to get typed values back.
 * Request bodies are checked here too, so every route refuses a malformed body with the same clear 400.
 */
import { HttpError, base64Bytes, hexBytes, int, obj, oneOf, only, str } from '../http/json-server.js';
import type { IssueReason, LicenseRequest, LicenseResult } from './license-server.js';
import type { ReportRow } from './store.js';
import type { ClientIdentity, KeyPack, KeyPackType, LicenseRecord, LicenseState, ProductVersion, TokenKind } from './types.js';

export const TOKEN_KINDS: readonly TokenKind[] = ['cal', 'per-user', 'temporary', 'built-in', 'internet-connector'];
export const LICENSE_STATES: readonly LicenseState[] = ['active', 'renewed', 'upgraded', 'returned', 'revoked', 'expired'];
export const KEYPACK_TYPES: readonly KeyPackType[] = ['per-device', 'per-user', 'internet-connector'];

/** Terminal-server and user names: what fits in a certificate's CN and a log line. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface LicenseJson {
  id: number;
  kind: TokenKind;
  keypack: number | null;
  token: number | null;
  hwid: string | null;
  machine: string;
  user: string;
  platformId: number;
  terminalServer: string;
  product: ProductVersion;
  issuedAt: string;
  expiresAt: string;
  state: LicenseState;
  validated: boolean;
  endedAt: string | null;
}

export function licenseToJson(l: LicenseRecord): LicenseJson {
  return {
    ...l,
    hwid: l.hwid ? l.hwid.toString('hex') : null,
    issuedAt: l.issuedAt.toISOString(),
    expiresAt: l.expiresAt.toISOString(),
    endedAt: l.endedAt ? l.endedAt.toISOString() : null,
  };
}

export function licenseFromJson(j: LicenseJson): LicenseRecord {
  return {
    ...j,
    hwid: j.hwid === null ? null : Buffer.from(j.hwid, 'hex'),
    issuedAt: new Date(j.issuedAt),
    expiresAt: new Date(j.expiresAt),
    endedAt: j.endedAt === null ? null : new Date(j.endedAt),
  };
}

export type KeyPackJson = Omit<KeyPack, 'installedAt'> & { installedAt: string };

export const keyPackToJson = (k: KeyPack): KeyPackJson => ({ ...k, installedAt: k.installedAt.toISOString() });
export const keyPackFromJson = (j: KeyPackJson): KeyPack => ({ ...j, installedAt: new Date(j.installedAt) });

export type LicenseResultJson =
  | { outcome: 'issued'; reason: IssueReason; license: LicenseJson; certificate: string }
  | { outcome: 'redirect'; peer: string; url: string; certificate?: string }
  | { outcome: 'denied'; reason: string; message: string };

export function resultToJson(r: LicenseResult): LicenseResultJson {
  if (r.outcome === 'issued') return { outcome: 'issued', reason: r.reason, license: licenseToJson(r.license), certificate: r.certificate.toString('base64') };
  return r;
}

export function resultFromJson(j: LicenseResultJson): LicenseResult {
  if (j.outcome === 'issued') return { outcome: 'issued', reason: j.reason, license: licenseFromJson(j.license), certificate: Buffer.from(j.certificate, 'base64') };
  return j as LicenseResult;
}

// ---------------------------------------------------------------- request bodies

export function productOf(o: Record<string, unknown>, key = 'product'): ProductVersion {
  const p = only(obj(o[key] ?? { major: 5, minor: 0 }), ['major', 'minor']);
  return { major: int(p, 'major', 0, 255), minor: int(p, 'minor', 0, 255) };
}

export function clientOf(o: Record<string, unknown>): ClientIdentity {
  const c = only(obj(o.client), ['hwid', 'machine', 'user', 'platformId']);
  return {
    hwid: hexBytes(c, 'hwid', 20),
    machine: str(c, 'machine', { optional: true, max: 256 }),
    user: str(c, 'user', { optional: true, max: 256 }),
    platformId: int(c, 'platformId', 0, 0xffffffff, 0),
  };
}

export function licenseRequestOf(body: unknown, terminalServer: string): LicenseRequest {
  const o = only(obj(body), ['client', 'product', 'redirected']);
  if (o.redirected !== undefined && typeof o.redirected !== 'boolean') throw new HttpError(400, '"redirected" must be true or false');
  return { terminalServer, client: clientOf(o), product: productOf(o), ...(o.redirected === true ? { redirected: true } : {}) };
}

export function licenseRequestToJson(r: LicenseRequest): unknown {
  return {
    client: { hwid: r.client.hwid.toString('hex'), machine: r.client.machine, user: r.client.user, platformId: r.client.platformId >>> 0 },
    product: r.product,
    ...(r.redirected ? { redirected: true } : {}),
  };
}

export function publicKeyOf(o: Record<string, unknown>, key: string): Buffer {
  const der = base64Bytes(o, key, 4096);
  if (der[0] !== 0x30) throw new HttpError(400, `"${key}" must be a DER SubjectPublicKeyInfo in base64`);
  return der;
}

export function kindOf(q: URLSearchParams): TokenKind | undefined {
  const v = q.get('kind');
  if (v === null) return undefined;
  return oneOf({ kind: v }, 'kind', TOKEN_KINDS);
}

export function stateOf(q: URLSearchParams): LicenseState | undefined {
  const v = q.get('state');
  if (v === null) return undefined;
  return oneOf({ state: v }, 'state', LICENSE_STATES);
}

// ---------------------------------------------------------------- report rows

export interface ReportRowJson {
  server: string;
  keypackId: string;
  licenseId: number;
  type: string;
  hwid: string;
  machine: string;
  user: string;
  issued: string;
  expires: string;
  state: string;
}

/** The "type" column of lsreport, in RD-LICENSING.md §1.10's CALType words. */
export const REPORT_TYPE: Record<TokenKind, string> = {
  cal: 'TS Per Device CAL',
  'per-user': 'TS Per User CAL',
  temporary: 'Temporary TS Per Device CAL',
  'built-in': 'Built-in TS Per Device CAL',
  'internet-connector': 'TS Internet Connector CAL',
};

export function reportRowToJson(server: string, r: ReportRow): ReportRowJson {
  const l = r.license;
  return {
    server,
    keypackId: r.keypackId,
    licenseId: l.id,
    type: REPORT_TYPE[l.kind],
    hwid: l.hwid ? l.hwid.toString('hex') : '',
    machine: l.machine,
    user: l.user,
    issued: l.issuedAt.toISOString(),
    expires: l.expiresAt.toISOString(),
    state: l.state === 'active' && l.kind === 'temporary' && l.validated ? 'active (validated)' : l.state,
  };
}
