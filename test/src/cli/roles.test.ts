/**
 * Every role as its own process, as README.md shows them: a clearinghouse, a license server activated through it with a
 * key pack, a terminal server enrolled with it, client devices; and rdplic admin driving the license server of
 * `rdplic serve --clock simulated`.
 */
import t from 'tap';
import { join } from 'node:path';
import { rdplic } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/license-server.js';
import { startRole, startServeProcess } from '../../helpers/serve-process.js';

const json = async (args: string[]) => {
  const r = await rdplic([...args, '--json']);
  if (r.code !== 0) throw new Error(`rdplic ${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
};

t.test('clearinghouse, license server, terminal server and clients as separate processes', async (t) => {
  const dir = tempDir();
  const ch = await startRole(['clearinghouse', 'serve', '--data', join(dir, 'ch'), '--listen', '127.0.0.1:0'], /clearinghouse listening on https:\/\/127\.0\.0\.1:(\d+)/);
  t.teardown(() => ch.stop());
  const ls = await startRole(
    ['license-server', '--data', join(dir, 'ls'), '--listen', '127.0.0.1:0', '--name', 'LS1', '--clearinghouse', `https://127.0.0.1:${ch.port}`],
    /license server LS1 listening on https:\/\/127\.0\.0\.1:(\d+)/,
  );
  t.teardown(() => ls.stop());
  const lsData = join(dir, 'ls');

  t.equal((await json(['admin', '--data', lsData, 'activate'])).activated, true, 'activated over the Internet method');
  const sale = await json(['clearinghouse', '--data', join(dir, 'ch'), 'purchase', '--type', 'per-device', '--quantity', '3', '--version', '5.0']);
  t.equal((await json(['admin', '--data', lsData, 'install', '--license-code', sale.licenseCode])).total, 3);
  const { token } = await json(['admin', '--data', lsData, 'enrol', 'TS1']);

  const ts = await startRole(
    ['terminal-server', '--data', join(dir, 'ts'), '--name', 'TS1', '--listen', '127.0.0.1:0', '--license-server', `https://127.0.0.1:${ls.port}=${token}`],
    /terminal server TS1 listening on 127\.0\.0\.1:(\d+)/,
  );
  t.teardown(() => ts.stop());
  // An NT 4.0 client (a Windows 2000 Professional or later one would get a built-in token).
  const device = ['client', '--connect', `127.0.0.1:${ts.port}`, '--registry', join(dir, 'pc1.reg'), '--user', 'alice', '--machine', 'PC1', '--platform-id', '02010000'];
  const first = await json(device);
  t.equal(first.outcome, 'new-license');
  t.equal(first.license.temporary, true, 'post-logon issuance: a temporary license first');
  t.equal(first.license.issuer, 'LS1');
  const second = await json(device);
  t.equal(second.outcome, 'upgrade-license', 'the logon was reported: the next connection gets a CAL');
  t.equal(second.license.temporary, false);
  t.equal((await json(device)).outcome, 'valid-client');
  const servers = await rdplic(['admin', '--data', lsData, 'servers']);
  t.match(servers.stdout, /TS1/, 'the license server lists the enrolled terminal server');
  t.equal(await ts.stop(), 0, 'the terminal server stops cleanly on SIGTERM');
});

t.test('rdplic admin drives the license server of rdplic serve --clock simulated', async (t) => {
  const dir = tempDir();
  const serve = await startServeProcess(['--data', dir, '--clock', 'simulated']);
  t.teardown(() => serve.stop());
  const lsData = join(dir, 'license-server');
  const before = new Date((await json(['admin', '--data', lsData, 'clock', 'now'])).now).getTime();
  const after = new Date((await json(['admin', '--data', lsData, 'clock', 'advance', '30d'])).now).getTime();
  t.equal(after - before, 30 * 86_400_000);
  const packs = await json(['admin', '--data', lsData, 'keypacks']);
  t.equal(packs[0].total, 10, 'the key pack serve installed on first start');
});
