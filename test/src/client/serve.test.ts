/**
 * `rdplic client` against `rdplic serve` (the project's own terminal server + license server), both as processes on
 * 127.0.0.1: a device gets a license and presents it next time; an older platform gets a temporary license that a logon
 * turns into a permanent one, and `--logon fail` keeps it temporary. serve is stopped by its PID.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../../helpers/license-server.js';
import { rdplic } from '../../helpers/cli.js';

const SERVE = fileURLToPath(new URL('../../../src/cli/serve.ts', import.meta.url));
const BIN = fileURLToPath(new URL('../../../bin/rdplic.js', import.meta.url));

async function startServe(): Promise<{ port: number; stop(): Promise<void> }> {
  const proc = spawn(process.execPath, [BIN, 'serve', '--data', join(tempDir('rdplic-serve-'), 'data'), '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d;
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.on('exit', (code) => reject(new Error(`rdplic serve exited with ${code}: ${out}`)));
  });
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        proc.once('exit', () => resolve());
        process.kill(proc.pid!, 'SIGTERM');
      }),
  };
}

t.test('rdplic client against rdplic serve', { skip: !existsSync(SERVE) && 'src/cli/serve.ts has not landed' }, async (t) => {
  const serve = await startServe();
  t.teardown(() => serve.stop());
  const connect = async (registry: string, ...more: string[]) => {
    const r = await rdplic(['client', '--connect', `127.0.0.1:${serve.port}`, '--registry', registry, '--json', ...more]);
    t.equal(r.code, 0, `exit 0 (${more.join(' ')})`) || t.comment(r.stderr, r.stdout);
    return JSON.parse(r.stdout);
  };

  t.test('a device gets a license, then presents it and is accepted (TLS and Standard RDP Security)', async (t) => {
    for (const security of ['tls', 'rdp']) {
      const registry = join(tempDir(), 'client.reg');
      const first = await connect(registry, '--user', 'u1', '--machine', `PC-${security}`, '--security', security);
      t.equal(first.outcome, 'new-license');
      t.equal(first.security, security);
      t.equal(first.license.hwidMatchesDevice, true);
      t.equal(first.license.signatureValid, true);
      const second = await connect(registry, '--user', 'u1', '--machine', `PC-${security}`, '--security', security);
      t.equal(second.presentedEntry, 'LICENSE000');
      t.equal(second.outcome, 'valid-client');
    }
  });

  t.test('an NT 4.0 device: temporary license, a logon makes it permanent; --logon fail keeps it temporary', async (t) => {
    const ok = join(tempDir(), 'ok.reg');
    const a = await connect(ok, '--user', 'u2', '--machine', 'NT4A', '--platform-id', '02010000');
    t.equal(a.outcome, 'new-license');
    t.equal(a.license.temporary, true);
    const b = await connect(ok, '--user', 'u2', '--machine', 'NT4A', '--platform-id', '02010000');
    t.equal(b.outcome, 'upgrade-license');
    t.equal(b.license.temporary, false, 'validated after the logon: a permanent CAL');
    const fail = join(tempDir(), 'fail.reg');
    await connect(fail, '--user', 'u3', '--machine', 'NT4B', '--platform-id', '02010000', '--logon', 'fail');
    const d = await connect(fail, '--user', 'u3', '--machine', 'NT4B', '--platform-id', '02010000', '--logon', 'fail');
    t.equal(d.license.temporary, true, 'never validated');
  });
});
