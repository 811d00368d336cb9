/**
 * The command-line tools end to end: `rdplic clearinghouse serve` and `rdplic license-server` as child processes,
 * driven by `rdplic admin`, `rdplic clearinghouse` (the customer-service console) and `rdplic events`, as a person
 * would: phone activation, purchase, installation by License Code, agreement and Key Pack ID, enrolment, licenses,
 * revocation, the simulated clock, backup and restore, deactivation and reactivation, recovery.
 */
import t from 'tap';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { HttpsLink } from '../../../src/license-server/https-link.js';
import { W2000, device, sharedTlsKey, terminalServerPublicKey, type TapTest } from '../license-server/harness.js';
import { tempDir } from '../../helpers/license-server.js';

t.setTimeout(240_000);

const BIN = join(import.meta.dirname, '../../../bin/rdplic.js');
const dir = tempDir('rdplic-cli-');
const CH = join(dir, 'ch');
const LS = join(dir, 'ls');
const env = { ...process.env, RDPLIC_HOME: join(dir, 'home') };

function rdplic(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env, timeout: 60_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

function ok(tt: TapTest, r: { code: number; err: string }, what: string) {
  tt.equal(r.code, 0, `${what}${r.err ? `: ${r.err.trim()}` : ''}`);
}

async function start(args: string[]): Promise<{ child: ChildProcess; first: string; lines: string[] }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  const lines: string[] = [];
  const rl = createInterface({ input: child.stdout! });
  const first = await new Promise<string>((resolve, reject) => {
    rl.on('line', (l) => {
      lines.push(l);
      if (lines.length === 1) resolve(l);
    });
    child.once('exit', (code) => reject(new Error(`${args[0]} exited with ${code}`)));
  });
  await new Promise((r) => setTimeout(r, 100)); // the once-only token line, if any
  return { child, first, lines };
}

function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.once('exit', (code) => resolve(code));
    child.kill(signal);
  });
}

const ch = await start(['clearinghouse', 'serve', '--data', CH, '--listen', '127.0.0.1:0']);
t.teardown(() => stop(ch.child));
const chUrl = /listening on (https:\/\/\S+)/.exec(ch.first)![1]!;
let ls = await start(['license-server', '--data', LS, '--listen', '127.0.0.1:0', '--name', 'LS1', '--clock', 'simulated', '--start', '2026-03-01', '--clearinghouse', chUrl, '--post-logon-issuance', 'off']);
t.teardown(() => stop(ls.child));

const field = (text: string, label: string) => new RegExp(`${label}:\\s*(\\S+)`).exec(text)?.[1];

t.test('first start prints the URL line and, once, the admin token; keys and token are 0600', async (t) => {
  t.match(ls.first, /^license server LS1 listening on https:\/\/127\.0\.0\.1:\d+ \(admin token in .*admin\.token; simulated clock at 2026-03-01T00:00:00\.000Z\)$/);
  t.match(ls.lines[1] ?? '', /^admin token \(shown once\): [0-9a-f]{64}$/);
  for (const f of ['admin.token', 'license-server.key', 'https.key']) t.equal(statSync(join(LS, f)).mode & 0o777, 0o600, `${f} is 0600`);
  t.ok(existsSync(join(LS, 'endpoint.json')));
});

let lsid = '';
t.test('phone activation across the two consoles', async (t) => {
  const status = rdplic('admin', '--data', LS, 'status');
  ok(t, status, 'status');
  t.match(status.out, /activated\s+no: issues temporary licenses only/);
  const req = rdplic('admin', '--data', LS, 'activate', '--method', 'phone');
  ok(t, req, 'request code');
  const code = field(req.out, 'request code')!;
  t.match(code, /^[BCDFGHJKMPQRTVWXY2346789]{35}$/);
  const resp = rdplic('clearinghouse', '--data', CH, 'activate', '--request-code', code, '--method', 'phone', '--name', 'LS1');
  ok(t, resp, 'clearinghouse activate');
  lsid = field(resp.out, 'License Server ID')!;
  const done = rdplic('admin', '--data', LS, 'activate', '--method', 'phone', '--response', lsid);
  ok(t, done, 'complete');
  t.match(done.out, new RegExp(`activated: License Server ID ${lsid} \\(phone\\)`));
});

t.test('purchase and install: License Code over the Internet method, agreement by Key Pack ID', async (t) => {
  const sale = rdplic('clearinghouse', '--data', CH, 'purchase', '--type', 'per-device', '--quantity', '5', '--version', '5.0');
  ok(t, sale, 'purchase');
  const code = field(sale.out, 'License Code')!;
  const inst = rdplic('admin', '--data', LS, 'install', '--license-code', code);
  ok(t, inst, 'install by License Code');
  t.match(inst.out, /installed key pack [A-Z0-9]{35}: 5 per-device 5\.0 \(retail\)/);
  const again = rdplic('admin', '--data', LS, 'install', '--license-code', code);
  t.equal(again.code, 1, 'a License Code installs once');
  t.match(again.err, /^rdplic admin: .*already been installed \(HTTP 409\)\n$/);

  const select = rdplic('clearinghouse', '--server', chUrl, '--data', CH, 'purchase', '--type', 'per-device', '--quantity', '10', '--version', '5.0', '--program', 'select');
  ok(t, select, 'purchase select through the API');
  const agreement = field(select.out, 'select agreement number')!;
  t.match(agreement, /^\d{7}$/);
  const kp = rdplic('clearinghouse', '--data', CH, 'install', '--server-id', lsid, '--program', 'select', '--agreement', agreement, '--type', 'per-device', '--quantity', '3', '--version', '5.0');
  ok(t, kp, 'clearinghouse install (phone)');
  const kpid = field(kp.out, 'Key Pack ID')!;
  ok(t, rdplic('admin', '--data', LS, 'install', '--keypack-id', kpid), 'install by Key Pack ID');
  const packs = JSON.parse(rdplic('admin', '--data', LS, 'keypacks', '--json').out) as Array<{ total: number; program: string }>;
  t.same(packs.map((p) => [p.total, p.program]), [[5, 'retail'], [3, 'select']]);
  const table = rdplic('admin', '--data', LS, 'keypacks');
  t.match(table.out, /^#\s+key pack id\s+type\s+version\s+program\s+total\s+issued\s+free\s+installed/);
});

t.test('enrol a terminal server; licenses, revoke, clock, events, servers, check', async (t) => {
  const enrol = rdplic('admin', '--data', LS, 'enrol', 'TS1');
  ok(t, enrol, 'enrol');
  const token = /^(rdplic-enrol\.\S+)$/m.exec(enrol.out)![1]!;
  const url = /listening on (https:\/\/\S+)/.exec(ls.first)![1]!;
  const link = new HttpsLink(await HttpsLink.enrol(url, token, { name: 'TS1', publicKeyDer: terminalServerPublicKey(), tlsKeyPem: sharedTlsKey() }));
  t.teardown(() => link.close());
  for (let n = 1; n <= 3; n++) await link.requestLicense({ terminalServer: 'TS1', client: device(n), product: W2000 });
  const list = rdplic('admin', '--data', LS, 'licenses', '--kind', 'cal');
  ok(t, list, 'licenses');
  t.match(list.out, /3 of 3 license\(s\)/);
  t.match(list.out, /PC1\s+user1\s+TS1/);
  const revoke = rdplic('admin', '--data', LS, 'revoke', '1');
  ok(t, revoke, 'revoke');
  t.match(revoke.out, /revoked license 1 .*0 more revocation\(s\) allowed now for version 5\.0/);
  const refused = rdplic('admin', '--data', LS, 'revoke', '2');
  t.equal(refused.code, 1);
  t.match(refused.err, /revocation quota \(1\) for version 5\.00 is used up \(HTTP 422\)/);
  const bad = rdplic('admin', '--data', LS, 'revoke', 'abc');
  t.equal(bad.code, 1);
  t.equal(bad.err.trim().split('\n').length, 1, 'one line');
  ok(t, rdplic('admin', '--data', LS, 'clock', 'advance', '90d'), 'clock advance');
  const now = rdplic('admin', '--data', LS, 'clock', 'now');
  t.match(now.out, /^2026-05-30T00:00:00\.000Z \(simulated clock\)/);
  const expired = JSON.parse(rdplic('admin', '--data', LS, 'licenses', '--state', 'expired', '--json').out) as { total: number };
  t.equal(expired.total, 2, 'after 90 days the CALs expired back into the pool');
  const servers = rdplic('admin', '--data', LS, 'servers');
  t.match(servers.out, /TS1/);
  const check = rdplic('admin', '--data', LS, 'check');
  ok(t, check, 'check');
  t.match(check.out, /consistent/);
  const events = rdplic('events', '--data', LS);
  ok(t, events, 'events from the data folder');
  t.match(events.out, /\s4\s+information\s+The Remote Desktop Licensing service has been activated/);
  const remote = rdplic('events', '--data', LS, '--server', url, '--id', '0', '--json');
  ok(t, remote, 'events from the server');
  t.ok((JSON.parse(remote.out) as unknown[]).length >= 1);
  const catalog = rdplic('events', '--catalog');
  t.match(catalog.out, /21\s+warning\s+The Remote Desktop license server "%1" does not have any remaining permanent licenses/);
});

t.test('backup and restore; a bad file is refused and changes nothing', async (t) => {
  const file = join(dir, 'backup.sqlite');
  ok(t, rdplic('admin', '--data', LS, 'backup', file), 'backup');
  t.equal(statSync(file).mode & 0o777, 0o600);
  const before = rdplic('admin', '--data', LS, 'licenses', '--json').out;
  const bad = rdplic('admin', '--data', LS, 'restore', join(LS, 'endpoint.json'));
  t.equal(bad.code, 1);
  t.match(bad.err, /not an SQLite database/);
  t.equal(rdplic('admin', '--data', LS, 'licenses', '--json').out, before);
  const good = rdplic('admin', '--data', LS, 'restore', file);
  ok(t, good, 'restore');
  t.match(good.out, /restored .*2 key pack\(s\), 3 license record\(s\)/);
});

t.test('deactivate and reactivate over the Internet; the clearinghouse console sees it', async (t) => {
  ok(t, rdplic('admin', '--data', LS, 'deactivate'), 'deactivate');
  t.match(rdplic('clearinghouse', '--data', CH, 'servers').out, new RegExp(`${lsid}\\s+LS1\\s+phone\\s+deactivated`));
  const re = rdplic('admin', '--data', LS, 'activate');
  ok(t, re, 'reactivate');
  t.match(re.out, new RegExp(`License Server ID ${lsid} \\(internet\\)`));
});

t.test('recovery after a lost database: rdplic clearinghouse recover, rdplic admin recover', async (t) => {
  t.equal(await stop(ls.child, 'SIGTERM'), 0, 'SIGTERM stops it cleanly (exit 0)');
  t.match(rdplic('events', '--data', LS).out, /\s3\s+information\s+The Terminal Services Licensing service has stopped\./);
  for (const f of ['license-server.sqlite', 'license-server.sqlite-wal', 'license-server.sqlite-shm']) spawnSync('rm', ['-f', join(LS, f)]);
  ls = await start(['license-server', '--data', LS, '--listen', '127.0.0.1:0', '--name', 'LS1', '--clock', 'simulated', '--clearinghouse', chUrl]);
  t.equal(ls.lines.length, 1, 'the admin token is not shown again');
  const listed = rdplic('clearinghouse', '--data', CH, 'recover', '--server-id', lsid);
  ok(t, listed, 'clearinghouse recover');
  const ids = [...listed.out.matchAll(/--keypack-id ([A-Z0-9]{35})/g)].map((m) => m[1]!);
  t.equal(ids.length, 2);
  ok(t, rdplic('admin', '--data', LS, 'activate'), 'reactivate after the loss');
  const r = rdplic('admin', '--data', LS, 'recover', ...ids.flatMap((id) => ['--keypack-id', id]));
  ok(t, r, 'admin recover');
  t.match(r.out, /recovered 2 key pack\(s\)/);
  const online = rdplic('admin', '--data', LS, 'recover');
  ok(t, online, 'recover over the Internet: nothing new');
  t.match(online.out, /recovered 0 key pack\(s\); 2 were installed already/);
});

t.test('usage errors: one line, exit 1', async (t) => {
  for (const args of [
    ['admin', '--data', LS],
    ['admin', '--data', LS, 'frobnicate'],
    ['admin', '--data', LS, 'clock', 'advance', 'soon'],
    ['admin', '--data', LS, 'install'],
    ['admin', '--server', 'https://127.0.0.1:1'],
    ['license-server', '--listen', 'nowhere'],
    ['license-server', '--clock', 'sundial'],
    ['clearinghouse', '--data', CH, 'purchase', '--type', 'per-cpu', '--quantity', '1'],
    ['clearinghouse', '--data', CH, 'activate', '--request-code', 'BBBBB'],
    ['events'],
  ]) {
    const r = rdplic(...args);
    t.equal(r.code, 1, `${args.join(' ')}: exit 1`);
    t.ok(r.err.length > 0, `${args.join(' ')}: says why (${r.err.trim().split('\n')[0]})`);
  }
});
