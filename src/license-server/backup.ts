/**
 * Backup and restore of the license database. A backup is SQLite's online backup (a consistent copy while the server
 * runs). A restore is checked before anything changes: it must be an SQLite file that passes integrity_check, a license
 * database of a schema this program knows, consistent (checkInvariants), and of this license server (its License Server
 * ID, if any, names this server's key). Only then is it swapped in with a rename.
 */
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { keyName, parseLicenseServerId } from '../clearinghouse/codes.js';
import { LS_EVENTS } from './events.js';
import { LicenseServerError } from './license-server.js';
import type { LicenseServerNode } from './node.js';
import { MIGRATIONS } from './schema.js';
import { LicenseStore } from './store.js';

const SQLITE_HEADER = Buffer.from('SQLite format 3\u0000', 'latin1');
const REQUIRED_TABLES = ['settings', 'keypacks', 'licenses', 'tokens', 'revocations', 'peers', 'events'];

/** The whole database as one file's bytes. */
export async function backupDatabase(node: LicenseServerNode): Promise<Buffer> {
  const tmp = node.folder.file(`backup-${randomBytes(6).toString('hex')}.sqlite`);
  try {
    await node.store.backupTo(tmp);
    return readFileSync(tmp);
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** Why `file` cannot be restored into this server, or undefined if it can. Leaves `file` migrated and closed. */
export function checkRestorable(node: LicenseServerNode, file: string): string | undefined {
  const header = readFileSync(file).subarray(0, 16);
  if (!header.equals(SQLITE_HEADER)) return 'it is not an SQLite database';
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { fileMustExist: true });
    const integrity = db.pragma('integrity_check', { simple: true });
    if (integrity !== 'ok') return `integrity check failed: ${String(integrity)}`;
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version < 1 || version > MIGRATIONS.length) return `schema version ${version} is not one this program knows (1..${MIGRATIONS.length})`;
    const tables = new Set((db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as Array<{ name: string }>).map((r) => r.name));
    const missing = REQUIRED_TABLES.filter((t) => !tables.has(t));
    if (missing.length) return `it has no ${missing.join(', ')} table`;
    db.close();
    db = undefined;
  } catch (e) {
    return (e as Error).message;
  } finally {
    db?.close();
  }
  let store: LicenseStore | undefined;
  try {
    store = new LicenseStore(file); // migrates it forward
    const problems = store.checkInvariants();
    if (problems.length) return `it is not consistent: ${problems.slice(0, 3).join('; ')}`;
    const id = store.getSetting('license_server_id');
    if (id) {
      const own = keyName(node.publicKeyDer).subarray(0, 12);
      if (!parseLicenseServerId(id).name12.equals(own)) return `it belongs to another license server (License Server ID ${id})`;
    }
    store.db.pragma('wal_checkpoint(TRUNCATE)');
    return undefined;
  } catch (e) {
    return (e as Error).message;
  } finally {
    store?.close();
  }
}

/** Validates `bytes` as a backup of this server and swaps it in. A refusal changes nothing and logs event 9. */
export function restoreDatabase(node: LicenseServerNode, bytes: Buffer): { licenses: number; keypacks: number } {
  const tmp = node.folder.file(`restore-${randomBytes(6).toString('hex')}.sqlite`);
  const cleanup = () => {
    for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`]) rmSync(f, { force: true });
  };
  try {
    writeFileSync(tmp, bytes, { mode: 0o600 });
    const problem = checkRestorable(node, tmp);
    if (problem) {
      node.server.events.log(LS_EVENTS.DATABASE_INVALID, `The backup offered for restore was refused: ${problem}.`);
      throw new LicenseServerError('invalid', `the backup cannot be restored: ${problem}`);
    }
    carrySerialsForward(node, tmp);
    for (const f of [`${tmp}-wal`, `${tmp}-shm`]) rmSync(f, { force: true });
    node.store.replaceWith(tmp);
  } finally {
    cleanup();
  }
  return { licenses: node.store.countLicenses(), keypacks: node.store.keyPacks().length };
}

/**
 * License ids (certificate serials) and terminal-server certificate serials never go back: an older backup gets the
 * live database's counters where they are higher, so nothing issued after the backup is issued again with the same serial.
 */
function carrySerialsForward(node: LicenseServerNode, file: string): void {
  const live = node.store.db;
  const liveSeq = (live.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'licenses'`).get() as { seq: number } | undefined)?.seq ?? 0;
  const liveTs = Number(node.store.getSetting('ts_certificate_serial') ?? '0');
  const db = new Database(file);
  try {
    db.transaction(() => {
      const seq = (db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'licenses'`).get() as { seq: number } | undefined)?.seq;
      if (seq === undefined) db.prepare(`INSERT INTO sqlite_sequence(name, seq) VALUES ('licenses', ?)`).run(liveSeq);
      else if (seq < liveSeq) db.prepare(`UPDATE sqlite_sequence SET seq = ? WHERE name = 'licenses'`).run(liveSeq);
      const ts = Number((db.prepare(`SELECT value FROM settings WHERE key = 'ts_certificate_serial'`).get() as { value: string } | undefined)?.value ?? '0');
      if (ts < liveTs) db.prepare(`INSERT INTO settings(key, value) VALUES ('ts_certificate_serial', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`).run(String(liveTs));
    })();
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
}
