/**
 * SQLite persistence of the license server (better-sqlite3 12). Every method that changes more than one row runs in
 * one transaction; callers compose them with `transaction()`.
 */
import Database from 'better-sqlite3';
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
  state?: LicenseState;
  hwid?: Buffer;
  issuedFrom?: Date;
  issuedTo?: Date;
}

export class LicenseStore {
  readonly db: Database.Database;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    migrate(this.db);
  }

  close(): void {
    this.db.close();
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
      for (let i = 0; i < k.total; i++) insertToken.run(id);
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

  hasKeyPackSource(source: string): boolean {
    return this.db.prepare('SELECT 1 FROM keypacks WHERE source = ?').get(source) !== undefined;
  }

  hasKeyPackId(keypackId: string): boolean {
    return this.db.prepare('SELECT 1 FROM keypacks WHERE keypack_id = ?').get(keypackId) !== undefined;
  }

  /** The first free token of a key pack of this type and product version (oldest pack first), or undefined. */
  freeToken(type: KeyPackType, product: ProductVersion): { token: number; keypack: number } | undefined {
    return this.db
      .prepare(
        `SELECT t.id AS token, t.keypack AS keypack FROM tokens t JOIN keypacks k ON k.id = t.keypack
         WHERE t.license IS NULL AND k.type = ? AND (k.product_major > ? OR (k.product_major = ? AND k.product_minor >= ?))
         ORDER BY k.product_major, k.product_minor, k.id, t.id LIMIT 1`,
      )
      .get(type, product.major, product.major, product.minor) as { token: number; keypack: number } | undefined;
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

  activeByTerminalServer(terminalServer: string, kind: TokenKind): LicenseRecord | undefined {
    const row = this.db
      .prepare(`SELECT ${LICENSE_COLUMNS} FROM licenses l WHERE l.terminal_server = ? AND l.kind = ? AND l.state = 'active' ORDER BY l.id DESC LIMIT 1`)
      .get(terminalServer, kind) as LicenseRow | undefined;
    return row && toLicense(row);
  }

  activeByUser(user: string, kind: TokenKind): LicenseRecord | undefined {
    const row = this.db
      .prepare(`SELECT ${LICENSE_COLUMNS} FROM licenses l WHERE l.user = ? AND l.kind = ? AND l.state = 'active' ORDER BY l.id DESC LIMIT 1`)
      .get(user, kind) as LicenseRow | undefined;
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
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.kind) (where.push('l.kind = ?'), args.push(filter.kind));
    if (filter.state) (where.push('l.state = ?'), args.push(filter.state));
    if (filter.hwid) (where.push('l.hwid = ?'), args.push(filter.hwid));
    if (filter.issuedFrom) (where.push('l.issued_at >= ?'), args.push(filter.issuedFrom.getTime()));
    if (filter.issuedTo) (where.push('l.issued_at <= ?'), args.push(filter.issuedTo.getTime()));
    const rows = this.db
      .prepare(`SELECT ${LICENSE_COLUMNS} FROM licenses l ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY l.id`)
      .all(...args) as LicenseRow[];
    return rows.map(toLicense);
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

  peers(): Array<{ name: string; url: string }> {
    return this.db.prepare('SELECT name, url FROM peers ORDER BY name').all() as Array<{ name: string; url: string }>;
  }

  setPeer(name: string, url: string | undefined): void {
    if (url === undefined) this.db.prepare('DELETE FROM peers WHERE name = ?').run(name);
    else this.db.prepare('INSERT INTO peers(name, url) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET url = excluded.url').run(name, url);
  }

  insertEvent(at: Date, eventId: number, level: string, message: string): void {
    this.db.prepare('INSERT INTO events(at, event_id, level, message) VALUES (?, ?, ?, ?)').run(at.getTime(), eventId, level, message);
  }

  events(limit = 1000): Array<{ at: Date; eventId: number; level: string; message: string }> {
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
