/**
 * lsreport against running license servers: the tab-delimited file with the header row of the seed's tool, one row per
 * license token; /T keeps temporary tokens, /D keeps those issued between two dates; servers by name or URL.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lsreport } from '../../../src/cli/lsreport.js';
import { LSREPORT_COLUMNS } from '../../../src/cli/lsreport-args.js';
import { publishInDirectory } from '../../../src/license-server/admin-client.js';
import { W2000, activateAndStock, device, startWorld } from '../license-server/harness.js';

t.setTimeout(120_000);

const w = await startWorld();
t.teardown(() => w.close());
const ls1 = await w.startLicenseServer('LS1', { postLogonIssuance: false });
const ls2 = await w.startLicenseServer('LS2', { postLogonIssuance: false });
await activateAndStock(w, ls1, 2);
const ts1 = await ls1.enrol('TS1');
const ts2 = await ls2.enrol('TS2');
// 2026-01-01: two CALs on LS1 (devices 1, 2); 2026-01-06: two temporaries on LS1 (3, 4); 2026-01-11: one temporary on LS2.
for (const n of [1, 2]) await ts1.requestLicense({ terminalServer: 'TS1', client: device(n), product: W2000 });
await ls1.admin.advanceClock('5d');
for (const n of [3, 4]) await ts1.requestLicense({ terminalServer: 'TS1', client: device(n), product: W2000 });
await ls1.admin.advanceClock('5d');
await ts2.requestLicense({ terminalServer: 'TS2', client: device(5), product: W2000 });

const directory = join(w.dir, 'directory.json');
for (const s of [ls1, ls2]) publishInDirectory(directory, { name: s.node.server.name, url: s.api.url, certificate: s.node.https.certificatePem, data: s.node.folder.path });
process.env.RDPLIC_DIRECTORY = directory;
process.env.RDPLIC_HOME = join(w.dir, 'home');

function read(file: string): string[][] {
  const text = readFileSync(file, 'utf8');
  return text.split('\r\n').filter(Boolean).map((l) => l.split('\t'));
}

const quiet = { out: (_s: string) => undefined, err: (s: string) => void process.stderr.write(s) };

t.test('no server list: every license server of the directory; the header row, one row per token', async (t) => {
  const file = join(w.dir, 'all.txt');
  t.equal(await lsreport(['/F', file], quiet.out, quiet.err), 0);
  const [header, ...rows] = read(file);
  t.same(header, [...LSREPORT_COLUMNS]);
  t.equal(rows.length, 5);
  t.same(rows.map((r) => [r[0], r[3], r[5]]), [
    ['LS1', 'TS Per Device CAL', 'PC1'],
    ['LS1', 'TS Per Device CAL', 'PC2'],
    ['LS1', 'Temporary TS Per Device CAL', 'PC3'],
    ['LS1', 'Temporary TS Per Device CAL', 'PC4'],
    ['LS2', 'Temporary TS Per Device CAL', 'PC5'],
  ]);
  const cal = rows[0]!;
  t.match(cal[1], /^[BCDFGHJKMPQRTVWXY2346789]{35}$/, 'the Key Pack ID of a CAL');
  t.equal(cal[4], device(1).hwid.toString('hex'), 'HWID');
  t.equal(cal[6], 'user1');
  t.equal(cal[7], '2026-01-01T00:00:00.000Z', 'issued');
  t.equal(cal[9], 'active');
  t.equal(rows[2]![1], '', 'temporaries come from no key pack');
});

t.test('/T: temporary tokens only; names from the server list', async (t) => {
  const file = join(w.dir, 'temp.txt');
  t.equal(await lsreport(['/T', '/F', file, 'LS1'], quiet.out, quiet.err), 0);
  const rows = read(file).slice(1);
  t.same(rows.map((r) => r[5]), ['PC3', 'PC4']);
});

t.test('/D start end: tokens issued between the dates (end of day included); -d -f spelling', async (t) => {
  const file = join(w.dir, 'dates.txt');
  t.equal(await lsreport(['-d', '2026-01-02', '1/6/2026', '-f', file], quiet.out, quiet.err), 0);
  t.same(read(file).slice(1).map((r) => r[5]), ['PC3', 'PC4']);
  t.equal(await lsreport(['/D', '2026-01-07', '/F', file], quiet.out, quiet.err), 0, '/D start: until now');
  t.same(read(file).slice(1).map((r) => r[5]), ['PC5']);
});

t.test('a URL in the server list; an unreachable server is reported and the others still written (exit 1)', async (t) => {
  const file = join(w.dir, 'url.txt');
  let err = '';
  const code = await lsreport(['/F', file, ls2.api.url, 'https://127.0.0.1:9', 'NOSUCH'], quiet.out, (s) => (err += s));
  t.equal(code, 1);
  t.match(err, /127\.0\.0\.1:9/);
  t.match(err, /NOSUCH/);
  t.same(read(file).slice(1).map((r) => r[5]), ['PC5']);
});

t.test('bad arguments: one line, exit 1, no file; /? prints the summary', async (t) => {
  let err = '';
  t.equal(await lsreport(['/D', 'tomorrow'], quiet.out, (s) => (err += s)), 1);
  t.match(err, /^lsreport: \/D needs a start date/);
  let out = '';
  t.equal(await lsreport(['/?'], (s) => (out += s), quiet.err), 0);
  t.match(out, /Usage: lsreport/);
});

t.test('bin/lsreport.js runs as a program', async (t) => {
  const file = join(w.dir, 'bin.txt');
  // Asynchronously: the license servers answer from this very process.
  const child = spawn(process.execPath, [join(import.meta.dirname, '../../../bin/lsreport.js'), '/t', '/f', file, 'LS1', 'LS2'], { env: process.env });
  const r = { stdout: '', stderr: '', status: -1 };
  child.stdout.on('data', (d: Buffer) => (r.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (r.stderr += d.toString()));
  r.status = await new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /3 license token\(s\) from 2 of 2 license server\(s\) written/);
  t.equal(read(file).length, 4);
});
