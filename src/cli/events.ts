/**
 * rdplic events: the license server's event log (source TermServLicensing, ids and texts of RD-LICENSING.md §1.14),
 * read from a data folder (no server needed) or from a running server; --catalog lists the events it can log.
 */
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AdminClient } from '../license-server/admin-client.js';
import { LS_EVENT_CATALOG } from '../license-server/events.js';
import { accessOptions, eventsText, table } from './admin.js';
import { parseOptions, wholeNumber } from './options.js';
import type { Command } from './rdplic.js';
import { UsageError } from './usage.js';

const USAGE = `Usage: rdplic events (--data DIR | --server URL|NAME [--token-file FILE] [--server-cert FILE]) [--limit N] [--id ID] [--json]
       rdplic events --catalog

  --data DIR   read the event log from a license server's data folder (it need not be running)
  --server     ask a running license server (admin token needed)
  --limit N    the last N events (default 1000)
  --id ID      only events with this id
  --catalog    the events a license server logs, with their ids and texts`;

interface EventRow {
  at: string;
  eventId: number;
  level: string;
  message: string;
}

function readFolder(dir: string, limit: number): EventRow[] {
  const file = join(resolve(dir), 'license-server.sqlite');
  if (!existsSync(file)) throw new UsageError(`${dir} holds no license database (license-server.sqlite)`);
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const rows = db
      .prepare('SELECT at, event_id, level, message FROM (SELECT * FROM events ORDER BY id DESC LIMIT ?) ORDER BY id')
      .all(limit) as Array<{ at: number; event_id: number; level: string; message: string }>;
    return rows.map((r) => ({ at: new Date(r.at).toISOString(), eventId: r.event_id, level: r.level, message: r.message }));
  } finally {
    db.close();
  }
}

export const eventsCommand: Command = {
  summary: "show a license server's event log (ids and texts as Windows logs them)",
  usage: USAGE,
  async run(argv) {
    const o = parseOptions(argv, { data: 'string', server: 'string', 'token-file': 'string', 'server-cert': 'string', directory: 'string', limit: 'string', id: 'string', json: 'boolean', catalog: 'boolean' });
    if (o.positional.length) throw new UsageError(`unexpected argument "${o.positional[0]}"`);
    const json = o.flags.json === true;
    if (o.flags.catalog) {
      const c = LS_EVENT_CATALOG;
      process.stdout.write((json ? JSON.stringify(c, null, 2) : table(['id', 'level', 'text'], c.map((e) => [e.id, e.level, e.text]))) + '\n');
      return 0;
    }
    const limit = wholeNumber(o.values.limit, 'limit', 1, 100_000) ?? 1000;
    const id = wholeNumber(o.values.id, 'id', 0, 65535);
    let events: EventRow[];
    if (o.values.server) {
      const admin = AdminClient.connect(o.values.server, accessOptions(o));
      try {
        events = await admin.events(limit);
      } finally {
        admin.http.close();
      }
    } else if (o.values.data) events = readFolder(o.values.data, limit);
    else throw new UsageError('say whose events: --data DIR or --server URL');
    if (id !== undefined) events = events.filter((e) => e.eventId === id);
    process.stdout.write((json ? JSON.stringify(events, null, 2) : eventsText(events)) + '\n');
    return 0;
  },
};
