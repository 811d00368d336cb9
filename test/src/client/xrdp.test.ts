/**
 * `rdplic client` against xrdp (the Debian package, on loopback; PEERS.md §8): xrdp sends a LICENSE_REQUEST with its
 * proprietary certificate and answers the client's NEW_LICENSE_REQUEST with STATUS_VALID_CLIENT, so the device reports
 * valid-client and holds no license. Both security layers; xrdp is killed by its PID afterwards.
 */
import t from 'tap';
import { join } from 'node:path';
import { tempDir } from '../../helpers/license-server.js';
import { rdplic } from '../../helpers/cli.js';
import { startXrdp, xrdpIni, xrdpMissing } from './helpers/xrdp.js';

t.test('the private xrdp.ini changes only what PEERS.md §8 lists', async (t) => {
  const src = '[Globals]\nport=3389\nfork=true\nsecurity_layer=negotiate\ncertificate=\nkey_file=\n[Logging]\nLogFile=xrdp.log\nEnableSyslog=true\n[Xorg]\nport=-1\n';
  const out = xrdpIni(src, { port: 4000, dir: '/d', securityLayer: 'rdp', certFile: '/d/tls.crt', keyFile: '/d/tls.key' });
  t.equal(out, '[Globals]\nport=tcp://127.0.0.1:4000\nfork=false\nsecurity_layer=rdp\ncertificate=/d/tls.crt\nkey_file=/d/tls.key\n[Logging]\nLogFile=/d/xrdp.log\nEnableSyslog=false\n[Xorg]\nport=-1\n', 'only the first port= (of [Globals]) is changed');
});

const missing = xrdpMissing();
const cases: Array<[layer: 'rdp' | 'tls', security: 'rdp' | 'tls' | 'negotiate', expected: 'rdp' | 'tls']> = [
  ['rdp', 'rdp', 'rdp'],
  ['rdp', 'negotiate', 'rdp'],
  ['tls', 'tls', 'tls'],
  ['tls', 'negotiate', 'tls'],
];

t.test('rdplic client against xrdp reports valid-client', { skip: missing ?? false }, async (t) => {
  for (const layer of ['rdp', 'tls'] as const) {
    const xrdp = await startXrdp(layer);
    t.teardown(() => xrdp.stop());
    for (const [, security, expected] of cases.filter((c) => c[0] === layer)) {
      await t.test(`xrdp security_layer=${layer}, rdplic client --security ${security}`, async (t) => {
        const registry = join(tempDir('rdplic-xrdp-client-'), 'client.reg');
        const args = ['client', '--connect', `127.0.0.1:${xrdp.port}`, '--registry', registry, '--user', 'labuser', '--machine', 'LABHOST', '--security', security];
        const run = await rdplic([...args, '--json']);
        t.equal(run.code, 0, 'exit 0') || t.comment(run.stderr, xrdp.log());
        const r = JSON.parse(run.stdout);
        t.equal(r.outcome, 'valid-client');
        t.equal(r.errorCodeName, 'STATUS_VALID_CLIENT');
        t.equal(r.stateTransitionName, 'ST_NO_TRANSITION');
        t.equal(r.security, expected);
        t.equal(r.presentedEntry, null, 'nothing stored yet: a NEW_LICENSE_REQUEST');
        t.equal(r.license, null, 'xrdp never issues licenses');
        t.same(r.licensingTrace.map((l: string) => l.split(' ').slice(0, 3).join(' ')), ['client <- LICENSE_REQUEST', 'client -> NEW_LICENSE_REQUEST', 'client <- ERROR_ALERT']);
        const text = await rdplic(args);
        t.equal(text.code, 0);
        t.match(text.stdout, /^outcome +valid-client \(STATUS_VALID_CLIENT, ST_NO_TRANSITION\)$/m);
      });
    }
    await xrdp.stop();
    t.match(xrdp.log(), /listening to port/);
  }
});
