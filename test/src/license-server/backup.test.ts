/**
 * Backup and restore through the admin API: the backup is a consistent copy; a restore is validated before anything
 * changes (not SQLite, corrupt, inconsistent, another server's) and swapped in whole; serials never go back.
 */
import t from 'tap';
import Database from 'better-sqlite3';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiError } from '../../../src/http/json-client.js';
import { W2000, activateAndStock, device, startWorld } from './harness.js';

t.setTimeout(120_000);

t.test('backup, more licenses, restore: the old state is back, new serials continue after the newest ever issued', async (t) => {
  const w = await startWorld();
  t.teardown(() => w.close());
  const ls = await w.startLicenseServer('LS1', { postLogonIssuance: false });
  await activateAndStock(w, ls, 5);
  const ts = await ls.enrol('TS1');
  for (let n = 1; n <= 2; n++) await ts.requestLicense({ terminalServer: 'TS1', client: device(n), product: W2000 });
  const backup = await ls.admin.backup();
  t.equal(backup.subarray(0, 15).toString(), 'SQLite format 3');
  for (let n = 3; n <= 5; n++) await ts.requestLicense({ terminalServer: 'TS1', client: device(n), product: W2000 });
  const newest = Math.max(...(await ls.admin.licenses()).licenses.map((l) => l.id));
  const r = await ls.admin.restore(backup);
  t.same(r, { licenses: 2, keypacks: 1 });
  t.equal((await ls.admin.keypacks())[0]!.issued, 2, 'the pool as it was');
  t.same(await ls.admin.check(), []);
  const after = await ts.requestLicense({ terminalServer: 'TS1', client: device(6), product: W2000 });
  t.ok(after.outcome === 'issued' && after.license.id > newest, `the next serial (${after.outcome === 'issued' && after.license.id}) is after ${newest}`);
  t.ok((await ts.ping()).activated, 'the enrolled terminal server still works');
});

t.test('a restore is refused, changing nothing, when the file is not a good backup of this server', async (t) => {
  const w = await startWorld();
  t.teardown(() => w.close());
  const ls = await w.startLicenseServer('LS1', { postLogonIssuance: false });
  const other = await w.startLicenseServer('LS2');
  await activateAndStock(w, ls, 3);
  await other.admin.activate('internet');
  const good = await ls.admin.backup();
  const refuse = async (bytes: Buffer, pattern: RegExp, what: string) => {
    try {
      await ls.admin.restore(bytes);
      t.fail(`${what}: restored`);
    } catch (e) {
      t.equal((e as ApiError).status, 400, what);
      t.match((e as ApiError).message, pattern, what);
    }
    t.equal((await ls.admin.keypacks()).length, 1, `${what}: nothing changed`);
  };
  await refuse(await other.admin.backup(), /belongs to another license server/, "another server's backup");
  const file = join(w.dir, 'tampered.sqlite');
  writeFileSync(file, good);
  const db = new Database(file);
  db.prepare('DELETE FROM tokens WHERE id = (SELECT max(id) FROM tokens)').run();
  db.close();
  await refuse(readFileSync(file), /not consistent/, 'a backup with a token missing');
  await refuse(good.subarray(0, 4096), /not|malformed|disk image/i, 'a truncated backup');
  const schema = join(w.dir, 'future.sqlite');
  writeFileSync(schema, good);
  const f = new Database(schema);
  f.pragma('user_version = 99');
  f.close();
  await refuse(readFileSync(schema), /schema version 99/, 'a newer schema');
  t.ok((await ls.admin.events()).filter((e) => e.eventId === 9).length >= 4, 'event 9 each time');
});
