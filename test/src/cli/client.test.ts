/** `rdplic client` as a user runs it: exit codes, text and --json output, usage errors, show/export/import/delete-hwid. */
import t from 'tap';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERR_NO_LICENSE_SERVER, ST_TOTAL_ABORT } from '../../../protocol/licensing/index.js';
import { listLicenseEntries, readHardwareId } from '../../../src/registry/mslicensing.js';
import { readRegFile } from '../../../src/registry/reg-file.js';
import { tempDir } from '../../helpers/license-server.js';
import { rdplic } from '../../helpers/cli.js';
import { LicensingTestServer, windowsLikePolicy } from '../client/helpers/licensing-server.js';

/** The --json schema rdplic-client/1: these keys, always present, in this order. */
const RESULT_KEYS = [
  'schema', 'server', 'security', 'outcome', 'exitCode', 'errorCode', 'errorCodeName', 'stateTransition', 'stateTransitionName', 'reason',
  'presentedEntry', 'rejectedEntries', 'storedEntry', 'storeError', 'hwid', 'hwidCreated', 'registry', 'registryRecovered', 'license', 'licensingTrace',
  'held',
];
const LICENSE_KEYS = [
  'entry', 'key', 'size', 'decodeError', 'hwid', 'hwidMatchesDevice', 'user', 'machine', 'issuer', 'issuerScope', 'issuerId', 'productId',
  'adjustedProductId', 'productVersion', 'notBefore', 'notAfter', 'temporary', 'serialNumber', 'signatureValid',
];

const connectArgs = (port: number, registry: string, ...more: string[]) => ['client', '--connect', `127.0.0.1:${port}`, '--registry', registry, '--user', 'labuser', '--machine', 'LABHOST', ...more];

t.test('usage errors: one line on stderr, exit 1; --help prints the usage', async (t) => {
  const reg = join(tempDir(), 'c.reg');
  const cases: Array<[string[], RegExp]> = [
    [['client', '--registry', reg], /^rdplic client: --connect is required\n$/],
    [['client', '--connect', '127.0.0.1', '--registry', reg], /^rdplic client: --connect: "127\.0\.0\.1" is not HOST:PORT\n$/],
    [['client', '--connect', '127.0.0.1:1', '--registry', reg, '--security', 'ssl'], /^rdplic client: --security must be rdp, tls, negotiate, not "ssl"\n$/],
    [['client', '--connect', '127.0.0.1:1', '--registry', reg, '--hwid', 'abc'], /^rdplic client: --hwid must be random, machine, rotate or 40 hexadecimal digits, not "abc"\n$/],
    [['client', '--connect', '127.0.0.1:1', '--registry', reg, '--platform-id', 'xyz'], /^rdplic client: --platform-id must be a hexadecimal UINT32, not "xyz"\n$/],
    [['client', '--connect', '127.0.0.1:1', '--registry', reg, '--logon', 'fail', '--password', 'p'], /contradict/],
    [['client', '--connect', '127.0.0.1:1', '--registry', reg, '--hold', '-5'], /^rdplic client: --hold must be a number of seconds \(0 to 86400\), not "-5"\n$/],
    [['client', '--connect', '127.0.0.1:1', '--registry', reg, '--bogus'], /^rdplic client: unknown option --bogus\n$/],
    [['client', 'frobnicate'], /^rdplic client: unknown subcommand "frobnicate"; try rdplic client --help\n$/],
    [['client', 'export', '--registry', reg, '--format', 'mstsc', '--machine', 'm'], /--format must be freerdp, rdesktop/],
  ];
  for (const [args, message] of cases) {
    const r = await rdplic(args);
    t.equal(r.code, 1, args.join(' '));
    t.match(r.stderr, message);
    t.equal(r.stdout, '');
  }
  t.notOk(existsSync(reg), 'no registry file made by a refused command line');
  const help = await rdplic(['client', '--help']);
  t.equal(help.code, 0);
  t.match(help.stdout, /^Usage:\n {2}rdplic client --connect HOST:PORT --registry FILE/);
  t.match(help.stdout, /Exit codes: 0 licensed/);
});

t.test('connect: new-license then valid-client (exit 0), denied (exit 3), failed (exit 2); the --json schema is stable', async (t) => {
  const server = await LicensingTestServer.start();
  t.teardown(() => server.stop());
  server.options.policy = windowsLikePolicy(server.licenseServer, { permanentFirst: true });
  const registry = join(tempDir(), 'client.reg');

  const first = await rdplic([...connectArgs(server.port, registry), '--json']);
  t.equal(first.code, 0, first.stderr);
  const a = JSON.parse(first.stdout);
  t.same(Object.keys(a), RESULT_KEYS, 'top-level keys and order');
  t.same(Object.keys(a.license), LICENSE_KEYS, 'license keys and order');
  t.same(Object.keys(a.license.key), ['version', 'scope', 'companyName', 'productId']);
  t.match(a, {
    schema: 'rdplic-client/1', server: `127.0.0.1:${server.port}`, security: 'tls', outcome: 'new-license', exitCode: 0,
    errorCode: null, errorCodeName: null, stateTransition: null, stateTransitionName: null, reason: null,
    presentedEntry: null, rejectedEntries: [], storedEntry: 'LICENSE000', storeError: null, hwidCreated: true, registry, registryRecovered: null,
    license: { entry: 'LICENSE000', key: { version: 0x60000, scope: 'microsoft.com', companyName: 'Microsoft Corporation', productId: 'A02' }, decodeError: null,
      hwidMatchesDevice: true, user: 'labuser', machine: 'LABHOST', issuer: 'TESTLS', issuerScope: 'WORKGROUP', productId: 'A02', productVersion: '6.0', temporary: false, signatureValid: true },
  });
  t.match(a.hwid, /^02000000[0-9a-f]{32}$/);
  t.equal(a.license.hwid, a.hwid);
  t.match(a.license.notBefore, /^\d{4}-\d\d-\d\dT/);
  t.same(a.licensingTrace.length, 5);

  const second = await rdplic(connectArgs(server.port, registry));
  t.equal(second.code, 0);
  t.match(second.stdout, /^outcome +valid-client \(STATUS_VALID_CLIENT, ST_NO_TRANSITION\)\nserver +127\.0\.0\.1:\d+ \(TLS\)\nhwid +[0-9a-f]{40}\npresented +LICENSE000\nlicense LICENSE000 \(\d+ bytes\): A02 version 0x00060000, Microsoft Corporation, scope microsoft\.com\n/);
  t.match(second.stdout, /^ {2}hwid +[0-9a-f]{40} \(this device\)$/m);
  t.match(second.stdout, /^ {2}signature +valid$/m);

  const rdp = await rdplic([...connectArgs(server.port, registry, '--security', 'rdp'), '--json']);
  t.equal(JSON.parse(rdp.stdout).security, 'rdp');

  server.options.policy = { onNewLicenseRequest: () => ({ action: 'deny', errorCode: ERR_NO_LICENSE_SERVER, stateTransition: ST_TOTAL_ABORT }) };
  const denied = await rdplic(connectArgs(server.port, join(tempDir(), 'other.reg')));
  t.equal(denied.code, 3);
  t.match(denied.stdout, /^outcome +denied: ERR_NO_LICENSE_SERVER, ST_TOTAL_ABORT$/m);
  t.match(denied.stdout, /^license +none$/m);
  const deniedJson = JSON.parse((await rdplic([...connectArgs(server.port, join(tempDir(), 'other.reg')), '--json'])).stdout);
  t.same(Object.keys(deniedJson), RESULT_KEYS, 'same keys when denied');
  t.match(deniedJson, { outcome: 'denied', exitCode: 3, errorCode: ERR_NO_LICENSE_SERVER, errorCodeName: 'ERR_NO_LICENSE_SERVER', stateTransition: ST_TOTAL_ABORT, stateTransitionName: 'ST_TOTAL_ABORT', license: null });

  await server.stop();
  const failed = await rdplic([...connectArgs(server.port, registry), '--json']);
  t.equal(failed.code, 2);
  const f = JSON.parse(failed.stdout);
  t.same(Object.keys(f), RESULT_KEYS, 'same keys when the connection failed');
  t.match(f, { outcome: 'failed', exitCode: 2, security: null, reason: /ECONNREFUSED/ });
});

t.test('a corrupt registry: one line, exit 1, nothing touched; --recreate-registry keeps it aside and goes on', async (t) => {
  const server = await LicensingTestServer.start();
  t.teardown(() => server.stop());
  const registry = join(tempDir(), 'client.reg');
  writeFileSync(registry, 'REGEDIT4\n\n[HKEY_LOCAL_MACHINE\\SOFTWARE]\n"x"=hex:1,2,zz\n');
  const r = await rdplic(connectArgs(server.port, registry));
  t.equal(r.code, 1);
  t.match(r.stderr, /^rdplic client: .*client\.reg: corrupt registry: line 4: bad hex data \(--recreate-registry keeps it as \.corrupt and starts a new one\)\n$/);
  t.equal(server.sessions.length, 0);
  const show = await rdplic(['client', 'show', '--registry', registry]);
  t.equal(show.code, 1);
  t.match(show.stderr, /corrupt registry: line 4/);
  const again = await rdplic([...connectArgs(server.port, registry, '--recreate-registry')]);
  t.equal(again.code, 0, again.stderr);
  t.match(again.stdout, /^registry +.*client\.reg was corrupt \(.*\); kept as .*client\.reg\.corrupt, started a new one$/m);
  t.equal(readFileSync(`${registry}.corrupt`, 'utf8'), 'REGEDIT4\n\n[HKEY_LOCAL_MACHINE\\SOFTWARE]\n"x"=hex:1,2,zz\n');
});

t.test('show, export, import and delete-hwid from the command line', async (t) => {
  const server = await LicensingTestServer.start();
  t.teardown(() => server.stop());
  server.options.policy = windowsLikePolicy(server.licenseServer);
  const registry = join(tempDir(), 'client.reg');
  const got = JSON.parse((await rdplic([...connectArgs(server.port, registry, '--hwid', 'machine'), '--json'])).stdout);
  t.equal(got.outcome, 'new-license');

  const show = JSON.parse((await rdplic(['client', 'show', '--registry', registry, '--json'])).stdout);
  t.match(show, { schema: 'rdplic-client-show/1', hwid: got.hwid, hwidProblem: null, entries: [{ entry: 'LICENSE000', problem: null, license: { temporary: true, hwidMatchesDevice: true } }] });
  const showText = await rdplic(['client', 'show', '--registry', registry]);
  t.match(showText.stdout, /^license LICENSE000 \(\d+ bytes\)/m);
  t.match(showText.stdout, /^ {2}product +A02 6\.0 \(A02-6\.00-S\), temporary$/m);

  const home = tempDir();
  const env = { HOME: home, XDG_CONFIG_HOME: join(home, '.config') };
  const exp = await rdplic(['client', 'export', '--registry', registry, '--format', 'freerdp', '--machine', 'frdphost', '--json'], undefined, env);
  t.equal(exp.code, 0, exp.stderr);
  const e = JSON.parse(exp.stdout);
  t.equal(e.file, join(home, '.config', 'freerdp', 'licenses', 'a988bd0636a610c01f142fe4b5dc13da6e7986c8.cal'), 'the default FreeRDP store and file name');
  const stored = listLicenseEntries(readRegFile(registry))[0]!.license!;
  t.same(readFileSync(e.file), stored);
  const rd = await rdplic(['client', 'export', '--registry', registry, '--format', 'rdesktop', '--machine', 'labhost'], undefined, env);
  t.match(rd.stdout, new RegExp(`^wrote +${join(home, '.local', 'share', 'rdesktop', 'licenses', '42a35a1956a2da77e86b10fcdffa8e1256a05e7d.cal').replace(/\./g, '\\.')}$`, 'm'));
  t.match(rd.stdout, /^note +rdesktop presents HWID 020000006c6162686f7374/m);

  const other = join(tempDir(), 'other.reg');
  const imp = await rdplic(['client', 'import', '--registry', other, '--cal', e.file, '--adopt-hwid', '--json']);
  t.equal(imp.code, 0, imp.stderr);
  t.match(JSON.parse(imp.stdout), { schema: 'rdplic-client-import/1', entry: 'LICENSE000', replaced: false, hwidAdopted: true, deviceHwid: got.hwid });
  const withKey = await rdplic(['client', 'import', '--registry', other, '--cal', e.file, '--version', '00050000', '--scope', 'WORKGROUP']);
  t.match(withKey.stdout, /^imported +.* into LICENSE001$/m);
  const presented = JSON.parse((await rdplic([...connectArgs(server.port, other), '--json'])).stdout);
  t.equal(presented.presentedEntry, 'LICENSE000');
  t.equal(presented.outcome, 'upgrade-license', 'the imported temporary license is presented and upgraded');

  const missing = await rdplic(['client', 'import', '--registry', other, '--cal', join(home, 'nope.cal')]);
  t.equal(missing.code, 1);
  t.match(missing.stderr, /nope\.cal: cannot read the license file: no such file\n$/);
  const empty = await rdplic(['client', 'export', '--registry', join(tempDir(), 'empty.reg'), '--format', 'freerdp', '--machine', 'x', '--out', home]);
  t.equal(empty.code, 1);
  t.match(empty.stderr, /^rdplic client: the license store is empty\n$/);

  const del = await rdplic(['client', 'delete-hwid', '--registry', registry]);
  t.match(del.stdout, /^deleted HKLM\\SOFTWARE\\Microsoft\\MSLicensing\\HardwareID/);
  t.equal(readHardwareId(readRegFile(registry)).hwid, undefined);
  const after = JSON.parse((await rdplic([...connectArgs(server.port, registry, '--hwid', 'machine'), '--json'])).stdout);
  t.equal(after.hwid, got.hwid, '--hwid machine makes the same HWID again');
  t.equal(after.hwidCreated, true);
});
