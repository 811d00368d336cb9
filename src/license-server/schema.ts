/**
 * The license server's database: SQLite in WAL mode, migrated forward by `PRAGMA user_version`. Each migration runs in
 * one transaction, so a crash leaves the previous version intact.
 */
import type Database from 'better-sqlite3';

export const MIGRATIONS: string[] = [
  // 1: key packs, their tokens (one row per token, so "free" and "issued" are facts, not counts), issued licenses.
  `
  CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE keypacks (
    id              INTEGER PRIMARY KEY,
    keypack_id      TEXT NOT NULL UNIQUE,   -- the clearinghouse's 35-character Key Pack ID
    source          TEXT NOT NULL,          -- what it was bought with: a License Code or an agreement number
    program         TEXT NOT NULL,          -- retail | select | enterprise | open | campus | school | other
    type            TEXT NOT NULL,          -- per-device | per-user | internet-connector
    product_major   INTEGER NOT NULL,
    product_minor   INTEGER NOT NULL,
    total           INTEGER NOT NULL CHECK (total > 0),
    installed_at    INTEGER NOT NULL
  );

  CREATE TABLE licenses (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,   -- never reused: the certificate serial derives from it
    kind            TEXT NOT NULL,          -- cal | per-user | temporary | built-in | internet-connector
    keypack         INTEGER REFERENCES keypacks(id),
    hwid            BLOB,
    machine         TEXT NOT NULL DEFAULT '',
    user            TEXT NOT NULL DEFAULT '',
    platform_id     INTEGER NOT NULL DEFAULT 0,
    terminal_server TEXT NOT NULL DEFAULT '',
    product_major   INTEGER NOT NULL,
    product_minor   INTEGER NOT NULL,
    issued_at       INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    state           TEXT NOT NULL,          -- active | renewed | upgraded | returned | revoked | expired
    validated       INTEGER NOT NULL DEFAULT 0,
    ended_at        INTEGER                 -- when it stopped being active
  );
  CREATE INDEX licenses_by_hwid ON licenses(hwid, state);
  CREATE INDEX licenses_by_expiry ON licenses(state, expires_at);
  CREATE INDEX licenses_by_issue ON licenses(issued_at);

  CREATE TABLE tokens (
    id       INTEGER PRIMARY KEY,
    keypack  INTEGER NOT NULL REFERENCES keypacks(id),
    license  INTEGER UNIQUE REFERENCES licenses(id)   -- NULL: free
  );
  CREATE INDEX tokens_free ON tokens(keypack, license);

  CREATE TABLE revocations (
    license     INTEGER PRIMARY KEY REFERENCES licenses(id),
    revoked_at  INTEGER NOT NULL,
    counts_until INTEGER NOT NULL          -- the revoked CAL's own expiry: it counts against the 20% quota until then
  );

  CREATE TABLE peers (
    name TEXT PRIMARY KEY,
    url  TEXT NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE events (
    id       INTEGER PRIMARY KEY,
    at       INTEGER NOT NULL,
    event_id INTEGER NOT NULL,
    level    TEXT NOT NULL,
    message  TEXT NOT NULL
  );
  `,
  // 2: the HTTPS API: terminal servers enrol with a one-time token and then authenticate with the TLS certificate the
  // license server issued them; peers are pinned by their certificate on first contact.
  `
  CREATE TABLE enrolment_tokens (
    token_hash  TEXT PRIMARY KEY,          -- SHA-256 of the token: the token itself is never stored
    name        TEXT NOT NULL,             -- the terminal server it is for ('' = any name)
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER,
    used_by     TEXT
  ) WITHOUT ROWID;

  CREATE TABLE terminal_servers (
    name            TEXT PRIMARY KEY,
    public_key      BLOB NOT NULL,         -- SubjectPublicKeyInfo of its RDP key
    tls_fingerprint TEXT NOT NULL UNIQUE,  -- SHA-256 of the TLS client certificate issued at enrolment
    enrolled_at     INTEGER NOT NULL,
    last_seen_at    INTEGER
  ) WITHOUT ROWID;

  ALTER TABLE peers ADD COLUMN certificate TEXT;   -- PEM, pinned on first contact

  -- the highest token id of each pack (its tokens are consecutive): "how close to the end" without counting
  ALTER TABLE keypacks ADD COLUMN last_token INTEGER;
  UPDATE keypacks SET last_token = (SELECT max(t.id) FROM tokens t WHERE t.keypack = keypacks.id);
  -- partial: only the few per-user and Internet Connector rows are indexed, not every device's license
  CREATE INDEX licenses_per_user ON licenses(user) WHERE kind = 'per-user' AND state = 'active';
  CREATE INDEX licenses_internet_connector ON licenses(terminal_server) WHERE kind = 'internet-connector' AND state = 'active';
  `,
];

export function migrate(db: Database.Database): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(`database schema version ${current} is newer than this program (${MIGRATIONS.length})`);
  }
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return MIGRATIONS.length;
}
