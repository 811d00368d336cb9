/**
 * Test-only: xrdp (the Debian package) in the foreground on 127.0.0.1:<free port> from a private copy of its ini
 * (PEERS.md §8): fork=false, log file in a temporary folder, no syslog, its own TLS certificate made by openssl, the
 * security layer chosen by the test. Stopped by its PID.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { tempDir } from '../../../helpers/license-server.js';
import { makeTlsCertificate } from './tls-certificate.js';

export const XRDP_INI = '/etc/xrdp/xrdp.ini';

/** Why xrdp cannot be run here, or undefined when it can. */
export function xrdpMissing(): string | undefined {
  if (spawnSync('which', ['xrdp']).status !== 0) return 'xrdp is not installed (.ci/run installs it with apt-get)';
  if (!existsSync(XRDP_INI)) return `${XRDP_INI} is missing`;
  return undefined;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface Xrdp {
  port: number;
  pid: number;
  log(): string;
  stop(): Promise<void>;
}

/** Copies xrdp.ini with the lab's changes (PEERS.md §8). */
export function xrdpIni(source: string, o: { port: number; dir: string; securityLayer: 'rdp' | 'tls' | 'negotiate'; certFile: string; keyFile: string }): string {
  const set: Record<string, string> = {
    port: `tcp://127.0.0.1:${o.port}`,
    fork: 'false',
    security_layer: o.securityLayer,
    certificate: o.certFile,
    key_file: o.keyFile,
    LogFile: join(o.dir, 'xrdp.log'),
    EnableSyslog: 'false',
  };
  const seen = new Set<string>();
  const lines = source.split('\n').map((line) => {
    const m = /^([A-Za-z_]+)=/.exec(line);
    if (m && set[m[1]!] !== undefined && !seen.has(m[1]!)) {
      seen.add(m[1]!);
      return `${m[1]}=${set[m[1]!]}`;
    }
    return line;
  });
  const missing = Object.keys(set).filter((k) => !seen.has(k));
  if (missing.length > 0) throw new Error(`xrdp.ini has no ${missing.join(', ')} setting`);
  return lines.join('\n');
}

export async function startXrdp(securityLayer: 'rdp' | 'tls' | 'negotiate'): Promise<Xrdp> {
  const dir = tempDir('rdplic-xrdp-');
  const { certFile, keyFile } = makeTlsCertificate(dir);
  const port = await freePort();
  const ini = join(dir, 'xrdp.ini');
  writeFileSync(ini, xrdpIni(readFileSync(XRDP_INI, 'utf8'), { port, dir, securityLayer, certFile: certFile!, keyFile: keyFile! }));
  const proc: ChildProcess = spawn('xrdp', ['-n', '-c', ini], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout!.on('data', (d) => (output += d));
  proc.stderr!.on('data', (d) => (output += d));
  const logFile = join(dir, 'xrdp.log');
  const log = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '') + output;
  const stop = () =>
    new Promise<void>((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
      proc.once('exit', () => resolve());
      process.kill(proc.pid!, 'SIGTERM');
      setTimeout(() => proc.exitCode === null && proc.signalCode === null && process.kill(proc.pid!, 'SIGKILL'), 3000).unref();
    });
  // Wait until xrdp says it listens (or exits): polling its log, at most ~10 s.
  for (let i = 0; i < 200 && !log().includes(`listening to port ${port}`); i++) {
    if (proc.exitCode !== null) throw new Error(`xrdp exited with ${proc.exitCode}: ${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!log().includes(`listening to port ${port}`)) {
    await stop();
    throw new Error(`xrdp did not start listening: ${log()}`);
  }
  return { port, pid: proc.pid!, log, stop };
}
