/**
 * The emulated Microsoft Clearinghouse (seed: "Microsoft Certificate Authority and License Clearinghouse"): it activates
 * license servers (a certificate from its root and a License Server ID), sells licenses (License Codes and agreement
 * numbers), turns them into key packs bound to one License Server ID, and re-issues a server's key packs for recovery.
 * Its records live in its own SQLite database.
 */
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import {
  CodeError,
  keyName,
  makeAgreementNumber,
  makeAuthorizationNumber,
  makeKeyPackId,
  makeLicenseCode,
  makeLicenseServerId,
  makeOpenLicenseNumber,
  parseAgreementNumber,
  parseAuthorizationNumber,
  parseLicenseCode,
  parseLicenseServerId,
  parseRequestCode,
  type KeyPackKind,
  type Program,
  type ProductVersionCode,
} from './codes.js';

export type ActivationMethod = 'internet' | 'web' | 'phone' | 'fax';
export const ACTIVATION_METHODS: ActivationMethod[] = ['internet', 'web', 'phone', 'fax'];

/** Issues license-server certificates from the clearinghouse root. */
export interface CertificateAuthority {
  readonly rootCertificate: Buffer;
  issueLicenseServerCertificate(req: { publicKeyDer: Buffer; name: string; scope: string; serial: number; notBefore: Date; notAfter: Date }): Buffer;
}

export class ClearinghouseError extends Error {
  constructor(
    readonly code: 'invalid' | 'not-found' | 'conflict' | 'refused',
    message: string,
  ) {
    super(message);
  }
}

export interface Purchase {
  program: Program;
  kind: KeyPackKind;
  quantity: number;
  version: ProductVersionCode;
}

export type PurchaseResult =
  | { program: 'retail' | 'other'; licenseCode: string; kind: KeyPackKind; quantity: number; version: ProductVersionCode }
  | { program: 'select' | 'enterprise' | 'campus' | 'school'; agreementNumber: string; kind: KeyPackKind; quantity: number; version: ProductVersionCode }
  | { program: 'open'; licenseNumber: string; authorizationNumber: string; kind: KeyPackKind; quantity: number; version: ProductVersionCode };

/** What a license server sends to install licenses: a License Code, or an agreement with what is asked of it. */
export type InstallSource =
  | { licenseCode: string }
  | { program: 'select' | 'enterprise' | 'campus' | 'school'; agreementNumber: string; kind: KeyPackKind; quantity: number; version: ProductVersionCode }
  | { program: 'open'; licenseNumber: string; authorizationNumber: string; kind: KeyPackKind; quantity: number; version: ProductVersionCode };

export interface IssuedKeyPack {
  keypackId: string;
  licenseServerId: string;
  source: string;
  program: Program;
  kind: KeyPackKind;
  quantity: number;
  version: ProductVersionCode;
  issuedAt: Date;
}

export interface Activation {
  licenseServerId: string;
  method: ActivationMethod;
  /** Online activation only: [clearinghouse root, license-server certificate], DER. */
  certificates: Buffer[];
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS servers (
  license_server_id TEXT PRIMARY KEY,
  key_name          BLOB NOT NULL,
  name              TEXT NOT NULL,
  method            TEXT NOT NULL,
  status            TEXT NOT NULL,      -- active | deactivated
  activated_at      INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sales (
  source        TEXT PRIMARY KEY,       -- License Code, agreement number or Open License number
  program       TEXT NOT NULL,
  kind          TEXT NOT NULL,
  quantity      INTEGER NOT NULL,
  major         INTEGER NOT NULL,
  minor         INTEGER NOT NULL,
  authorization TEXT,
  sold_at       INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS keypacks (
  keypack_id        TEXT PRIMARY KEY,
  license_server_id TEXT NOT NULL REFERENCES servers(license_server_id),
  source            TEXT NOT NULL REFERENCES sales(source),
  program           TEXT NOT NULL,
  kind              TEXT NOT NULL,
  quantity          INTEGER NOT NULL,
  major             INTEGER NOT NULL,
  minor             INTEGER NOT NULL,
  issued_at         INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
`;

const normaliseId = (id: string) => id.toUpperCase().replace(/[\s-]/g, '');

const AGREEMENT_PROGRAMS = ['select', 'enterprise', 'campus', 'school'] as const;

export class Clearinghouse {
  private readonly db: Database.Database;

  constructor(
    path: string,
    private readonly ca: CertificateAuthority,
    private readonly clock: Clock,
    /** Secret for Open License authorization numbers (kept in the clearinghouse's folder). */
    private readonly secret: Buffer = randomBytes(32),
  ) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
  }

  close(): void {
    this.db.close();
  }

  get rootCertificate(): Buffer {
    return this.ca.rootCertificate;
  }

  private next(counter: string): number {
    return this.db.transaction(() => {
      const row = this.db.prepare('SELECT value FROM counters WHERE name = ?').get(counter) as { value: number } | undefined;
      const value = (row?.value ?? 0) + 1;
      this.db.prepare('INSERT INTO counters(name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value').run(counter, value);
      return value;
    })();
  }

  // ---------------------------------------------------------------- sales

  purchase(p: Purchase): PurchaseResult {
    if (!Number.isInteger(p.quantity) || p.quantity < 1 || p.quantity > 65535) throw new ClearinghouseError('invalid', 'quantity must be 1..65535');
    const now = this.clock.now().getTime();
    const record = (source: string, authorization: string | null) =>
      this.db
        .prepare('INSERT INTO sales(source, program, kind, quantity, major, minor, authorization, sold_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(source, p.program, p.kind, p.quantity, p.version.major, p.version.minor, authorization, now);
    const base = { kind: p.kind, quantity: p.quantity, version: p.version };
    if (p.program === 'retail' || p.program === 'other') {
      const licenseCode = makeLicenseCode({ ...base, serial: this.next('code') });
      record(licenseCode, null);
      return { program: p.program, licenseCode, ...base };
    }
    if (p.program === 'open') {
      const licenseNumber = makeOpenLicenseNumber(this.next('open'));
      const authorizationNumber = makeAuthorizationNumber(licenseNumber, this.secret);
      record(licenseNumber, authorizationNumber);
      return { program: 'open', licenseNumber, authorizationNumber, ...base };
    }
    const agreementNumber = makeAgreementNumber(this.next('agreement'));
    record(agreementNumber, null);
    return { program: p.program, agreementNumber, ...base };
  }

  // ---------------------------------------------------------------- activation

  /** Internet activation: the server sends its public key and gets a certificate and its License Server ID. */
  activateOnline(req: { publicKeyDer: Buffer; name: string; scope: string }): Activation {
    const name = keyName(req.publicKeyDer);
    const licenseServerId = this.registerServer(name, req.name, 'internet');
    const now = this.clock.now();
    const certificate = this.ca.issueLicenseServerCertificate({
      publicKeyDer: req.publicKeyDer,
      name: req.name,
      scope: req.scope,
      serial: parseLicenseServerId(licenseServerId).activationSerial,
      notBefore: now,
      notAfter: new Date(Date.UTC(2049, 11, 31)),
    });
    return { licenseServerId, method: 'internet', certificates: [this.ca.rootCertificate, certificate] };
  }

  /** Web, phone or fax activation: the request code the server printed in, its License Server ID (the response code) out. */
  activateOffline(requestCode: string, method: Exclude<ActivationMethod, 'internet'>, serverName = ''): Activation {
    const name = this.parse(() => parseRequestCode(requestCode));
    return { licenseServerId: this.registerServer(name, serverName, method), method, certificates: [] };
  }

  /** The same key activated again keeps its License Server ID (reactivation); a new key gets a new one. */
  private registerServer(name: Buffer, serverName: string, method: ActivationMethod): string {
    return this.db.transaction(() => {
      const existing = this.db.prepare('SELECT license_server_id FROM servers WHERE key_name = ?').get(name) as { license_server_id: string } | undefined;
      const now = this.clock.now().getTime();
      if (existing) {
        this.db
          .prepare(`UPDATE servers SET status = 'active', method = ?, activated_at = ?, name = ? WHERE license_server_id = ?`)
          .run(method, now, serverName, existing.license_server_id);
        return existing.license_server_id;
      }
      const id = makeLicenseServerId(name, this.next('activation'));
      this.db
        .prepare(`INSERT INTO servers(license_server_id, key_name, name, method, status, activated_at) VALUES (?, ?, ?, ?, 'active', ?)`)
        .run(id, name, serverName, method, now);
      return id;
    })();
  }

  deactivate(licenseServerId: string): void {
    const id = this.parse(() => parseLicenseServerId(licenseServerId)).id;
    const r = this.db.prepare(`UPDATE servers SET status = 'deactivated' WHERE license_server_id = ? AND status = 'active'`).run(id);
    if (r.changes !== 1) throw new ClearinghouseError('not-found', `no active license server ${id}`);
  }

  /** The key name (start of SHA-256 of the public key) a License Server ID was activated with. */
  keyNameOf(licenseServerId: string): Buffer | undefined {
    const row = this.db.prepare('SELECT key_name FROM servers WHERE license_server_id = ?').get(normaliseId(licenseServerId)) as { key_name: Buffer } | undefined;
    return row?.key_name;
  }

  servers(): Array<{ licenseServerId: string; name: string; method: string; status: string; activatedAt: Date; keypacks: number }> {
    const rows = this.db
      .prepare(
        `SELECT s.*, (SELECT count(*) FROM keypacks k WHERE k.license_server_id = s.license_server_id) AS keypacks
         FROM servers s ORDER BY s.activated_at, s.license_server_id`,
      )
      .all() as Array<{ license_server_id: string; name: string; method: string; status: string; activated_at: number; keypacks: number }>;
    return rows.map((r) => ({
      licenseServerId: r.license_server_id,
      name: r.name,
      method: r.method,
      status: r.status,
      activatedAt: new Date(r.activated_at),
      keypacks: r.keypacks,
    }));
  }

  server(licenseServerId: string): { licenseServerId: string; name: string; method: string; status: string } | undefined {
    const row = this.db.prepare('SELECT * FROM servers WHERE license_server_id = ?').get(licenseServerId) as
      | { license_server_id: string; name: string; method: string; status: string }
      | undefined;
    return row && { licenseServerId: row.license_server_id, name: row.name, method: row.method, status: row.status };
  }

  // ---------------------------------------------------------------- key packs

  /** Turns a License Code or an agreement into a key pack bound to the License Server ID. A code installs once. */
  installKeyPack(licenseServerId: string, source: InstallSource): IssuedKeyPack {
    const lsId = this.parse(() => parseLicenseServerId(licenseServerId)).id;
    return this.db.transaction(() => {
      const server = this.server(lsId);
      if (!server) throw new ClearinghouseError('not-found', `license server ${lsId} was never activated`);
      if (server.status !== 'active') throw new ClearinghouseError('refused', `license server ${lsId} is deactivated`);
      const wanted = this.resolve(source);
      const sale = this.db.prepare('SELECT * FROM sales WHERE source = ?').get(wanted.source) as
        | { program: Program; kind: KeyPackKind; quantity: number; major: number; minor: number; authorization: string | null }
        | undefined;
      if (!sale) throw new ClearinghouseError('not-found', `${wanted.what} ${wanted.source} was never sold`);
      if ('authorizationNumber' in source && sale.authorization !== parseAuthorizationNumber(source.authorizationNumber)) {
        throw new ClearinghouseError('refused', 'the authorization number does not match the license number');
      }
      if (!('licenseCode' in source) && sale.program !== source.program) {
        throw new ClearinghouseError('refused', `${wanted.source} is a ${sale.program} agreement, not ${source.program}`);
      }
      if (sale.kind !== wanted.kind || sale.major !== wanted.version.major || sale.minor !== wanted.version.minor) {
        throw new ClearinghouseError('refused', `${wanted.what} ${wanted.source} covers ${sale.kind} ${sale.major}.${sale.minor}, not ${wanted.kind} ${wanted.version.major}.${wanted.version.minor}`);
      }
      const used = (this.db.prepare('SELECT coalesce(sum(quantity), 0) AS n FROM keypacks WHERE source = ?').get(wanted.source) as { n: number }).n;
      if ('licenseCode' in source && used > 0) {
        throw new ClearinghouseError('conflict', `License Code ${wanted.source} has already been installed`);
      }
      const quantity = 'licenseCode' in source ? sale.quantity : wanted.quantity;
      if (used + quantity > sale.quantity) {
        throw new ClearinghouseError('refused', `${wanted.what} ${wanted.source} has ${sale.quantity - used} licenses left, not ${quantity}`);
      }
      const serial = this.next('keypack');
      const keypackId = makeKeyPackId({ kind: sale.kind, program: sale.program, quantity, version: wanted.version, serial }, lsId);
      const issuedAt = this.clock.now();
      this.db
        .prepare('INSERT INTO keypacks(keypack_id, license_server_id, source, program, kind, quantity, major, minor, issued_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(keypackId, lsId, wanted.source, sale.program, sale.kind, quantity, wanted.version.major, wanted.version.minor, issuedAt.getTime());
      return { keypackId, licenseServerId: lsId, source: wanted.source, program: sale.program, kind: sale.kind, quantity, version: wanted.version, issuedAt };
    })();
  }

  /** Recovery after a lost database: every key pack ever issued to this License Server ID, re-issued as they were. */
  recover(licenseServerId: string): IssuedKeyPack[] {
    const lsId = this.parse(() => parseLicenseServerId(licenseServerId)).id;
    if (!this.server(lsId)) throw new ClearinghouseError('not-found', `license server ${lsId} was never activated`);
    const rows = this.db.prepare('SELECT * FROM keypacks WHERE license_server_id = ? ORDER BY issued_at, keypack_id').all(lsId) as Array<{
      keypack_id: string;
      source: string;
      program: Program;
      kind: KeyPackKind;
      quantity: number;
      major: number;
      minor: number;
      issued_at: number;
    }>;
    return rows.map((r) => ({
      keypackId: r.keypack_id,
      licenseServerId: lsId,
      source: r.source,
      program: r.program,
      kind: r.kind,
      quantity: r.quantity,
      version: { major: r.major, minor: r.minor },
      issuedAt: new Date(r.issued_at),
    }));
  }

  private resolve(source: InstallSource): { source: string; what: string; kind: KeyPackKind; version: ProductVersionCode; quantity: number } {
    if ('licenseCode' in source) {
      const code = this.parse(() => parseLicenseCode(source.licenseCode));
      return { source: source.licenseCode.toUpperCase().replace(/[\s-]/g, ''), what: 'License Code', kind: code.kind, version: code.version, quantity: code.quantity };
    }
    if (!Number.isInteger(source.quantity) || source.quantity < 1) throw new ClearinghouseError('invalid', 'quantity must be a positive whole number');
    if (source.program === 'open') {
      const number = this.parse(() => parseAgreementNumber(source.licenseNumber, 8));
      return { source: number, what: 'Open License', kind: source.kind, version: source.version, quantity: source.quantity };
    }
    if (!AGREEMENT_PROGRAMS.includes(source.program)) throw new ClearinghouseError('invalid', `unknown program ${String(source.program)}`);
    const number = this.parse(() => parseAgreementNumber(source.agreementNumber, 7));
    return { source: number, what: 'agreement', kind: source.kind, version: source.version, quantity: source.quantity };
  }

  private parse<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof CodeError) throw new ClearinghouseError('invalid', e.message);
      throw e;
    }
  }
}
