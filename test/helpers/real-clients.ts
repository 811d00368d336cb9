/**
 * Runs the real RDP clients (rdesktop 1.9, xfreerdp 2.11) headless under Xvfb against a server on loopback, each with its
 * own HOME and XDG_CONFIG_HOME (PEERS.md §2). Their exit codes mean little (rdesktop exits 0 on protocol errors), so
 * callers judge by the server's log and the client's output.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const haveRealClients = ['rdesktop', 'xfreerdp', 'Xvfb'].every((c) => spawnSync('which', [c]).status === 0);

export interface Display {
  display: string;
  stop(): Promise<void>;
}

/** Starts Xvfb on a free display number (it tells us which through -displayfd). */
export function startXvfb(): Promise<Display> {
  return new Promise((resolve, reject) => {
    const proc = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1024x768x24', '-nolisten', 'tcp'], {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const timer = setTimeout(() => reject(new Error('Xvfb did not start')), 10_000);
    proc.stdio[3]!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve({ display: `:${out.trim()}`, stop: () => stopProcess(proc) });
      }
    });
    proc.on('error', reject);
  });
}

export function stopProcess(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    proc.once('exit', () => resolve());
    proc.kill('SIGTERM');
    setTimeout(() => proc.exitCode === null && proc.kill('SIGKILL'), 3000).unref();
  });
}

export interface ClientRun {
  code: number | null;
  output: string;
}

export interface ClientProfile {
  /** The client's own folder: HOME and XDG_CONFIG_HOME live under it, so its license store is isolated. */
  home: string;
  user: string;
  machine: string;
}

export function newProfile(user = 'labuser', machine = 'labhost'): ClientProfile {
  const home = mkdtempSync(join(tmpdir(), 'rdplic-client-'));
  mkdirSync(join(home, '.config'), { recursive: true });
  return { home, user, machine };
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, input: string, timeoutSec: number): Promise<ClientRun> {
  return new Promise((resolve) => {
    const proc = spawn('timeout', ['-k', '3', String(timeoutSec), cmd, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    proc.stdout.on('data', (d) => (output += d));
    proc.stderr.on('data', (d) => (output += d));
    proc.stdin.end(input);
    proc.on('close', (code) => resolve({ code, output }));
  });
}

function clientEnv(profile: ClientProfile, display: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    DISPLAY: display,
    HOME: profile.home,
    XDG_CONFIG_HOME: join(profile.home, '.config'),
    XDG_DATA_HOME: join(profile.home, '.local', 'share'),
    LANG: 'C.UTF-8',
  };
}

/** rdesktop chooses nothing: the server picks Standard RDP Security or TLS. `yes` answers its TLS trust prompt. */
export function runRdesktop(profile: ClientProfile, display: string, port: number, timeoutSec = 20): Promise<ClientRun> {
  return run(
    'rdesktop',
    ['-u', profile.user, '-p', 'labpass', '-n', profile.machine, '-g', '800x600', `127.0.0.1:${port}`],
    { ...clientEnv(profile, display), RDESKTOP_DEBUG: 'Protocol' },
    'yes\n',
    timeoutSec,
  );
}

export function runXfreerdp(profile: ClientProfile, display: string, port: number, security: 'rdp' | 'tls', timeoutSec = 20): Promise<ClientRun> {
  return run(
    'xfreerdp',
    [
      `/v:127.0.0.1:${port}`,
      `/u:${profile.user}`,
      '/p:labpass',
      '/d:labdom',
      `/client-hostname:${profile.machine}`,
      `/sec:${security}`,
      '/cert:ignore',
      '/log-level:INFO',
      '/log-filters:com.freerdp.core.connection:DEBUG,com.freerdp.core.license:DEBUG',
    ],
    clientEnv(profile, display),
    '',
    timeoutSec,
  );
}

const RDESKTOP_SALT = Buffer.from('b8822931c539d94454155e147138d54d', 'hex');

/** PEERS.md §5: rdesktop's store is keyed by SHA1(hostname NUL-padded to 16 ‖ salt). */
export function rdesktopCalPath(profile: ClientProfile): string {
  const name = Buffer.alloc(16);
  name.write(profile.machine.slice(0, 16), 'latin1');
  const hash = createHash('sha1').update(name).update(RDESKTOP_SALT).digest('hex');
  return join(profile.home, '.local', 'share', 'rdesktop', 'licenses', `${hash}.cal`);
}

/** PEERS.md §5: FreeRDP's store is keyed by SHA1(client hostname). */
export function xfreerdpCalPath(profile: ClientProfile): string {
  const hash = createHash('sha1').update(profile.machine).digest('hex');
  return join(profile.home, '.config', 'freerdp', 'licenses', `${hash}.cal`);
}

export function listCalFiles(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.cal')) : [];
}
