/**
 * SQLite persistence of the license server (better-sqlite3 12). Every method that changes more than one row runs in
 * one transaction; callers compose them with `transaction()`.
 */
import Database from 'better-sqlite3';
import { renameSync, rmSync } from 'node:fs';
import { migrate } from './schema.js';
import type { KeyPack, KeyPackType, LicenseRecord, LicenseState, ProductVersion, TokenKind } from './types.js';

interface LicenseRow {
  id: number;
  kind: string;
  keypack: number | null;
  token: number | null;
  hwid: Buffer | null;
  machine: string;
  user: string;
  platform_id: number;
  terminal_server: string;
  product_major: number;
  product_minor: number;
  issued_at: number;
  expires_at: number;
  state: string;
  validated: number;
  ended_at: number | null;
}

interface KeyPackRow {
  id: number;
  keypack_id: string;
  source: string;
  program: string;
  type: string;
  product_major: number;
  product_minor: number;
  total: number;
  installed_at: number;
  issued: number;
}

const LICENSE_COLUMNS = `l.*, (SELECT t.id FROM tokens t WHERE t.license = l.id) AS token`;

function toLicense(r: LicenseRow): LicenseRecord {
  return {
    id: r.id,
    kind: r.kind as TokenKind,
    keypack: r.keypack,
    token: r.token,
    hwid: r.hwid,
    machine: r.machine,
    user: r.user,
    platformId: r.platform_id,
    terminalServer: r.terminal_server,
    product: { major: r.product_major, minor: r.product_minor },
    issuedAt: new Date(r.issued_at),
    expiresAt: new Date(r.expires_at),
    state: r.state as LicenseState,
    validated: r.validated !== 0,
    endedAt: r.ended_at === null ? null : new Date(r.ended_at),
  };
}

function toKeyPack(r: KeyPackRow): KeyPack {
  return {
    id: r.id,
    keypackId: r.keypack_id,
    source: r.source,
    program: r.program,
    type: r.type as KeyPackType,
    product: { major: r.product_major, minor: r.product_minor },
    total: r.total,
    issued: r.issued,
    free: r.total - r.issued,
    installedAt: new Date(r.installed_at),
  };
}

/** Opens (and migrates) a license database: WAL, full fsync at each commit, foreign keys on. */
export function openDatabase(path: string): Database.Database {
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db);
  } catch (e) {
    db.close();
    throw e;
  }
  return db;
}

export interface NewLicense {
  kind: TokenKind;
  keypack: number | null;
  hwid: Buffer | null;
  machine: string;
  user: string;
  platformId: number;
  terminalServer: string;
  product: ProductVersion;
  issuedAt: Date;
  expiresAt: Date;
  validated: boolean;
}

export interface NewKeyPack {
  keypackId: string;
  source: string;
  program: string;
  type: KeyPackType;
  product: ProductVersion;
  total: number;
  installedAt: Date;
}

export interface LicenseFilter {
  kind?: TokenKind;
  kinds?: TokenKind[];
  state?: LicenseState;
  hwid?: Buffer;
  machine?: string;
  user?: string;
  terminalServer?: string;
  /** The store's key pack row id. */
  keypack?: number;
  issuedFrom?: Date;
  issuedTo?: Date;
  /** Newest first when set (default: oldest first). */
  newestFirst?: boolean;
  limit?: number;
  offset?: number;
}

/** One row of lsreport: a license with its key pack's Key Pack ID. */
export interface ReportRow {
  license: LicenseRecord;
  keypackId: string;
}

export interface EnrolledTerminalServer {
  name: string;
  publicKey: Buffer;
  tlsFingerprint: string;
  enrolledAt: Date;
  lastSeenAt: Date | null;
}

export interface Peer {
  name: string;
  url: string;
  /** PEM of its HTTPS certificate, pinned on first contact. */
  certificate: string | null;
}

export interface StoredEvent {
  at: Date;
  eventId: number;
  level: string;
  message: string;
}

interface TerminalServerRow {
  name: string;
  public_key: Buffer;
  tls_fingerprint: string;
  enrolled_at: number;
  last_seen_at: number | null;
}

function toTerminalServer(r: TerminalServerRow): EnrolledTerminalServer {
  return {
    name: r.name,
    publicKey: r.public_key,
    tlsFingerprint: r.tls_fingerprint,
    enrolledAt: new Date(r.enrolled_at),
    lastSeenAt: r.last_seen_at === null ? null : new Date(r.last_seen_at),
  };
}

/** SELECT over licenses (alias l) with the filter's conditions. */
function licenseQuery(filter: LicenseFilter, columns: string, join: string): { sql: string; args: unknown[] } {
  const where: string[] = [];
  const args: unknown[] = [];
  const add = (cond: string, ...values: unknown[]) => (where.push(cond), args.push(...values));
  if (filter.kind) add('l.kind = ?', filter.kind);
  if (filter.kinds) add(`l.kind IN (${filter.kinds.map(() => '?').join(',') || "''"})`, ...filter.kinds);
  if (filter.state) add('l.state = ?', filter.state);
  if (filter.hwid) add('l.hwid = ?', filter.hwid);
  if (filter.machine !== undefined) add('l.machine = ?', filter.machine);
  if (filter.user !== undefined) add('l.user = ?', filter.user);
  if (filter.terminalServer !== undefined) add('l.terminal_server = ?', filter.terminalServer);
  if (filter.keypack !== undefined) add('l.keypack = ?', filter.keypack);
  if (filter.issuedFrom) add('l.issued_at >= ?', filter.issuedFrom.getTime());
  if (filter.issuedTo) add('l.issued_at <= ?', filter.issuedTo.getTime());
  let sql = `SELECT ${columns} FROM licenses l ${join} ${where.length ? 'WHERE ' + where.join(' AND ') : ''}`;
  if (!columns.startsWith('count(')) sql += ` ORDER BY l.id ${filter.newestFirst ? 'DESC' : ''}`;
  if (filter.limit !== undefined) (sql += ' LIMIT ?'), args.push(filter.limit);
  if (filter.offset !== undefined) (sql += filter.limit === undefined ? ' LIMIT -1 OFFSET ?' : ' OFFSET ?'), args.push(filter.offset);
  return { sql, args };
}

export class LicenseStore {
  private current: Database.Database;

  constructor(readonly path: string) {
    this.current = openDatabase(path);
  }

  get db(): Database.Database {
    return this.current;
  }

  close(): void {
    if (this.current.open) this.current.close();
  }

  /** A consistent copy of the whole database (SQLite's online backup), written to `file`. */
  async backupTo(file: string): Promise<void> {
    await this.current.backup(file);
  }

  /**
   * Replaces the database with the (already validated) file `file`: checkpoints and closes the live database, renames
   * the file into place (atomic), reopens. A crash at any point leaves either the old database or the new one.
   */
  replaceWith(file: string): void {
    this.current.pragma('wal_checkpoint(TRUNCATE)');
    this.current.close();
    for (const suffix of ['-wal', '-shm']) rmSync(this.path + suffix, { force: true });
    renameSync(file, this.path);
    this.current = openDatabase(this.path);
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  getSetting(key: string): string | undefined {
    const row = this.db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value;
  }

  setSetting(key: string, value: string | undefined): void {
    if (value === undefined) this.db.prepare('DELETE FROM settings WHERE key = ?').run(key);
    else this.db.prepare('INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  // ---- key packs and tokens

  insertKeyPack(k: NewKeyPack): KeyPack {
    return this.transaction(() => {
      const { lastInsertRowid } = this.db
        .prepare(
          `INSERT INTO keypacks(keypack_id, source, program, type, product_major, product_minor, total, installed_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(k.keypackId, k.source, k.program, k.type, k.product.major, k.product.minor, k.total, k.installedAt.getTime());
      const id = Number(lastInsertRowid);
      const insertToken = this.db.prepare('INSERT INTO tokens(keypack) VALUES (?)');
      let last = 0;
      for (let i = 0; i < k.total; i++) last = Number(insertToken.run(id).lastInsertRowid);
      this.db.prepare('UPDATE keypacks SET last_token = ? WHERE id = ?').run(last, id);
      return this.keyPack(id)!;
    });
  }

  keyPack(id: number): KeyPack | undefined {
    const row = this.db
      .prepare(`SELECT k.*, (SELECT count(*) FROM tokens t WHERE t.keypack = k.id AND t.license IS NOT NULL) AS issued FROM keypacks k WHERE k.id = ?`)
      .get(id) as KeyPackRow | undefined;
    return row && toKeyPack(row);
  }

  keyPacks(): KeyPack[] {
    const rows = this.db
      .prepare(`SELECT k.*, (SELECT count(*) FROM tokens t WHERE t.keypack = k.id AND t.license IS NOT NULL) AS issued FROM keypacks k ORDER BY k.id`)
      .all() as KeyPackRow[];
    return rows.map(toKeyPack);
  }

  hasKeyPackId(keypackId: string): boolean {
    return this.db.prepare('SELECT 1 FROM keypacks WHERE keypack_id = ?').get(keypackId) !== undefined;
  }

  /**
   * The first free token of a key pack of this type and product version or later (lowest version, oldest pack, lowest
   * token first), or undefined. One index seek per pack: the packs are few, the tokens many.
   */
  freeToken(type: KeyPackType, product: ProductVersion): { token: number; keypack: number } | undefined {
    const packs = this.db
      .prepare(
        `SELECT id FROM keypacks WHERE type = ? AND (product_major > ? OR (product_major = ? AND product_minor >= ?))
         ORDER BY product_major, product_minor, id`,
      )
      .pluck()
      .all(type, product.major, product.major, product.minor) as number[];
    const first = this.db.prepare('SELECT id FROM tokens WHERE keypack = ? AND license IS NULL ORDER BY id LIMIT 1').pluck();
    for (const keypack of packs) {
      const token = first.get(keypack) as number | undefined;
      if (token !== undefined) return { token, keypack };
    }
    return undefined;
  }

  freeCount(type: KeyPackType, product: ProductVersion): number {
    const row = this.db
      .prepare(
        `SELECT count(*) AS n FROM tokens t JOIN keypacks k ON k.id = t.keypack
         WHERE t.license IS NULL AND k.type = ? AND (k.product_major > ? OR (k.product_major = ? AND k.product_minor >= ?))`,
      )
      .get(type, product.major, product.major, product.minor) as { n: number };
    return row.n;
  }

  /** The highest token id of a key pack and its size (cheap: no counting). */
  tokenRange(keypack: number): { last: number; total: number } | undefined {
    const row = this.db.prepare('SELECT last_token AS last, total FROM keypacks WHERE id = ?').get(keypack) as { last: number | null; total: number } | undefined;
    return row && row.last !== null ? { last: row.last, total: row.total } : undefined;
  }

  assignToken(token: number, license: number): void {
    const r = this.db.prepare('UPDATE tokens SET license = ? WHERE id = ? AND license IS NULL').run(license, token);
    if (r.changes !== 1) throw new Error(`token ${token} is not free`);
  }

  /** Moves a token from one license to another (renewal, upgrade). */
  moveToken(from: number, to: number): void {
    const r = this.db.prepare('UPDATE tokens SET license = ? WHERE license = ?').run(to, from);
    if (r.changes !== 1) throw new Error(`license ${from} holds no token`);
  }

  releaseToken(license: number): void {
    this.db.prepare('UPDATE tokens SET license = NULL WHERE license = ?').run(license);
  }

  // ---- licenses

  insertLicense(l: NewLicense): LicenseRecord {
    const { lastInsertRowid } = this.db
      .prepare(
        `INSERT INTO licenses(kind, keypack, hwid, machine, user, platform_id, terminal_server, product_major, product_minor,
                              issued_at, expires_at, state, validated)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?)`,
      )
      .run(
        l.kind,
        l.keypack,
        l.hwid,
        l.machine,
        l.user,
        l.platformId >>> 0,
        l.terminalServer,
        l.product.major,
        l.product.minor,
        l.issuedAt.getTime(),
        l.expiresAt.getTime(),
        l.validated ? 1 : 0,
      );
    return this.license(Number(lastInsertRowid))!;
  }

  license(id: number): LicenseRecord | undefined {
    const row = this.db.prepare(`SELECT ${LICENSE_COLUMNS} FROM licenses l WHERE l.id = ?`).get(id) as LicenseRow | undefined;
    return row && toLicense(row);
  }

  /** The active licenses of a device (newest first). */
  activeByHwid(hwid: Buffer, kinds: TokenKind[]): LicenseRecord[] {
    const rows = this.db
      .prepare(
        `SELECT ${LICENSE_COLUMNS} FROM licenses l WHERE l.hwid = ? AND l.state = 'active'
         AND l.kind IN (${kinds.map(() => '?').join(',')}) ORDER BY l.id DESC`,
      )
      .all(hwid, ...kinds) as LicenseRow[];
    return rows.map(toLicense);
  }

  /** The Internet Connector token a terminal server holds (kind is always 'internet-connector': a partial index covers it). */
  activeByTerminalServer(terminalServer: string, kind: 'internet-connector'): LicenseRecord | undefined {
    if (kind !== 'internet-connector') throw new TypeError(`not indexed: ${kind as string}`);
    const row = this.db
      .prepare(`SELECT ${LICENSE_COLUMNS} FROM licenses l WHERE l.terminal_server = ? AND l.kind = 'internet-connector' AND l.state = 'active' ORDER BY l.id DESC LIMIT 1`)
      .get(terminalServer) as LicenseRow | undefined;
    return row && toLicense(row);
  }

  /** A user's per-user CAL (kind is always 'per-user': a partial index covers it). */
  activeByUser(user: string, kind: 'per-user'): LicenseRecord | undefined {
    if (kind !== 'per-user') throw new TypeError(`not indexed: ${kind as string}`);
    const row = this.db
      .prepare(`SELECT ${LICENSE_COLUMNS} FROM licenses l WHERE l.user = ? AND l.kind = 'per-user' AND l.state = 'active' ORDER BY l.id DESC LIMIT 1`)
      .get(user) as LicenseRow | undefined;
    return row && toLicense(row);
  }

  endLicense(id: number, state: Exclude<LicenseState, 'active'>, at: Date): void {
    this.db.prepare(`UPDATE licenses SET state = ?, ended_at = ? WHERE id = ? AND state = 'active'`).run(state, at.getTime(), id);
  }

  setValidated(id: number): void {
    this.db.prepare('UPDATE licenses SET validated = 1 WHERE id = ?').run(id);
  }

  setExpiry(id: number, expiresAt: Date): void {
    this.db.prepare('UPDATE licenses SET expires_at = ? WHERE id = ?').run(expiresAt.getTime(), id);
  }

  /** Active licenses whose expiry is at or before `now`. */
  dueForExpiry(now: Date): LicenseRecord[] {
    const rows = this.db
      .prepare(`SELECT ${LICENSE_COLUMNS} FROM licenses l WHERE l.state = 'active' AND l.expires_at <= ? ORDER BY l.expires_at, l.id`)
      .all(now.getTime()) as LicenseRow[];
    return rows.map(toLicense);
  }

  licenses(filter: LicenseFilter = {}): LicenseRecord[] {
    const { sql, args } = licenseQuery(filter, LICENSE_COLUMNS, '');
    return (this.db.prepare(sql).all(...args) as LicenseRow[]).map(toLicense);
  }

  countLicenses(filter: LicenseFilter = {}): number {
    const { sql, args } = licenseQuery({ ...filter, limit: undefined, offset: undefined }, 'count(*) AS n', '');
    return (this.db.prepare(sql).get(...args) as { n: number }).n;
  }

  /** Licenses with the Key Pack ID of their pack (lsreport). */
  reportRows(filter: LicenseFilter = {}): ReportRow[] {
    const { sql, args } = licenseQuery(filter, `${LICENSE_COLUMNS}, coalesce(k.keypack_id, '') AS keypack_code`, 'LEFT JOIN keypacks k ON k.id = l.keypack');
    return (this.db.prepare(sql).all(...args) as Array<LicenseRow & { keypack_code: string }>).map((r) => ({ license: toLicense(r), keypackId: r.keypack_code }));
  }

  // ---- revocation

  insertRevocation(license: number, at: Date, countsUntil: Date): void {
    this.db.prepare('INSERT INTO revocations(license, revoked_at, counts_until) VALUES (?, ?, ?)').run(license, at.getTime(), countsUntil.getTime());
  }

  /** Revocations of per-device CALs of one product version still counting against the quota at `now`, oldest end first. */
  countingRevocations(product: ProductVersion, now: Date): Array<{ license: number; countsUntil: Date }> {
    const rows = this.db
      .prepare(
        `SELECT r.license, r.counts_until FROM revocations r JOIN licenses l ON l.id = r.license
         WHERE l.product_major = ? AND l.product_minor = ? AND r.counts_until > ? ORDER BY r.counts_until`,
      )
      .all(product.major, product.minor, now.getTime()) as Array<{ license: number; counts_until: number }>;
    return rows.map((r) => ({ license: r.license, countsUntil: new Date(r.counts_until) }));
  }

  installedCount(type: KeyPackType, product: ProductVersion): number {
    const row = this.db
      .prepare('SELECT coalesce(sum(total), 0) AS n FROM keypacks WHERE type = ? AND product_major = ? AND product_minor = ?')
      .get(type, product.major, product.minor) as { n: number };
    return row.n;
  }

  // ---- peers and events

  peers(): Peer[] {
    return this.db.prepare('SELECT name, url, certificate FROM peers ORDER BY name').all() as Peer[];
  }

  /** Adds, moves (a new URL forgets the pinned certificate) or removes (url undefined) a peer. */
  setPeer(name: string, url: string | undefined, certificate: string | null = null): void {
    if (url === undefined) {
      this.db.prepare('DELETE FROM peers WHERE name = ?').run(name);
      return;
    }
    this.db
      .prepare(
        `INSERT INTO peers(name, url, certificate) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET
           certificate = CASE WHEN peers.url = excluded.url THEN coalesce(excluded.certificate, peers.certificate) ELSE excluded.certificate END,
           url = excluded.url`,
      )
      .run(name, url, certificate);
  }

  pinPeer(name: string, certificate: string): void {
    this.db.prepare('UPDATE peers SET certificate = ? WHERE name = ? AND certificate IS NULL').run(certificate, name);
  }

  // ---- enrolment of terminal servers

  insertEnrolmentToken(tokenHash: string, name: string, createdAt: Date, expiresAt: Date): void {
    this.db.prepare('INSERT INTO enrolment_tokens(token_hash, name, created_at, expires_at) VALUES (?, ?, ?, ?)').run(tokenHash, name, createdAt.getTime(), expiresAt.getTime());
  }

  /** An unused, unexpired enrolment token: the name it was made for. */
  enrolmentToken(tokenHash: string, now: Date): { name: string } | undefined {
    return this.db.prepare('SELECT name FROM enrolment_tokens WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?').get(tokenHash, now.getTime()) as
      | { name: string }
      | undefined;
  }

  /** Marks a token used if it is unused and unexpired; returns the name it was made for, or undefined. */
  useEnrolmentToken(tokenHash: string, usedBy: string, now: Date): { name: string } | undefined {
    const row = this.db
      .prepare('SELECT name FROM enrolment_tokens WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?')
      .get(tokenHash, now.getTime()) as { name: string } | undefined;
    if (!row) return undefined;
    this.db.prepare('UPDATE enrolment_tokens SET used_at = ?, used_by = ? WHERE token_hash = ?').run(now.getTime(), usedBy, tokenHash);
    return row;
  }

  enrolmentTokens(): Array<{ name: string; createdAt: Date; expiresAt: Date; usedAt: Date | null; usedBy: string | null }> {
    const rows = this.db.prepare('SELECT name, created_at, expires_at, used_at, used_by FROM enrolment_tokens ORDER BY created_at').all() as Array<{
      name: string;
      created_at: number;
      expires_at: number;
      used_at: number | null;
      used_by: string | null;
    }>;
    return rows.map((r) => ({
      name: r.name,
      createdAt: new Date(r.created_at),
      expiresAt: new Date(r.expires_at),
      usedAt: r.used_at === null ? null : new Date(r.used_at),
      usedBy: r.used_by,
    }));
  }

  /** Enrols (or re-enrols, replacing its certificate) a terminal server. */
  upsertTerminalServer(ts: { name: string; publicKey: Buffer; tlsFingerprint: string; enrolledAt: Date }): void {
    this.db
      .prepare(
        `INSERT INTO terminal_servers(name, public_key, tls_fingerprint, enrolled_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(name) DO UPDATE SET public_key = excluded.public_key, tls_fingerprint = excluded.tls_fingerprint,
           enrolled_at = excluded.enrolled_at, last_seen_at = NULL`,
      )
      .run(ts.name, ts.publicKey, ts.tlsFingerprint, ts.enrolledAt.getTime());
  }

  terminalServerByFingerprint(fingerprint: string): EnrolledTerminalServer | undefined {
    const row = this.db.prepare('SELECT * FROM terminal_servers WHERE tls_fingerprint = ?').get(fingerprint) as TerminalServerRow | undefined;
    return row && toTerminalServer(row);
  }

  terminalServers(): EnrolledTerminalServer[] {
    return (this.db.prepare('SELECT * FROM terminal_servers ORDER BY name').all() as TerminalServerRow[]).map(toTerminalServer);
  }

  removeTerminalServer(name: string): boolean {
    return this.db.prepare('DELETE FROM terminal_servers WHERE name = ?').run(name).changes === 1;
  }

  touchTerminalServer(name: string, at: Date): void {
    this.db.prepare('UPDATE terminal_servers SET last_seen_at = ? WHERE name = ?').run(at.getTime(), name);
  }

  insertEvent(at: Date, eventId: number, level: string, message: string): void {
    this.db.prepare('INSERT INTO events(at, event_id, level, message) VALUES (?, ?, ?, ?)').run(at.getTime(), eventId, level, message);
  }

  events(limit = 1000): StoredEvent[] {
    const rows = this.db
      .prepare('SELECT at, event_id, level, message FROM (SELECT * FROM events ORDER BY id DESC LIMIT ?) ORDER BY id')
      .all(limit) as Array<{ at: number; event_id: number; level: string; message: string }>;
    return rows.map((r) => ({ at: new Date(r.at), eventId: r.event_id, level: r.level, message: r.message }));
  }

  /** Consistency of the token pool: what the crash tests check after every restart. */
  checkInvariants(): string[] {
    const problems: string[] = [];
    const bad = this.db
      .prepare(
        `SELECT t.id FROM tokens t LEFT JOIN licenses l ON l.id = t.license
         WHERE t.license IS NOT NULL AND (l.id IS NULL OR l.state <> 'active')`,
      )
      .all() as Array<{ id: number }>;
    for (const b of bad) problems.push(`token ${b.id} is held by a license that is not active`);
    const orphan = this.db
      .prepare(
        `SELECT l.id FROM licenses l WHERE l.state = 'active' AND l.keypack IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM tokens t WHERE t.license = l.id)`,
      )
      .all() as Array<{ id: number }>;
    for (const o of orphan) problems.push(`active license ${o.id} of a key pack holds no token`);
    for (const k of this.keyPacks()) {
      const n = (this.db.prepare('SELECT count(*) AS n FROM tokens WHERE keypack = ?').get(k.id) as { n: number }).n;
      if (n !== k.total) problems.push(`key pack ${k.keypackId}: ${n} tokens for ${k.total} installed`);
    }
    return problems;
  }
}
