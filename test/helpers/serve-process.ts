/** rdplic roles as child processes, for tests that must see them survive (or die) on their own. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { RDPLIC } from './cli.js';

export interface RoleProcess {
  proc: ChildProcess;
  port: number;
  /** What `ready` matched. */
  match: RegExpExecArray;
  output: () => string;
  stop(): Promise<number | null>;
}

/** `rdplic serve` on a free loopback port. */
export function startServeProcess(args: string[]): Promise<RoleProcess> {
  return startRole(['serve', '--listen', '127.0.0.1:0', ...args], /listening on 127\.0\.0\.1:(\d+)/);
}

/** `rdplic ARGS`, ready when its output matches `ready` (whose first group is the port). */
export function startRole(args: string[], ready: RegExp): Promise<RoleProcess> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [RDPLIC, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`rdplic ${args[0]} did not start:\n${out}`)), 30_000);
    const onData = (d: Buffer) => {
      out += d;
      const m = ready.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({
          proc,
          port: Number(m[1]),
          match: m,
          output: () => out,
          stop: () =>
            new Promise((res) => {
              if (proc.exitCode !== null) return res(proc.exitCode);
              proc.once('exit', (code) => res(code));
              proc.kill('SIGTERM');
            }),
        });
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', (d) => (out += d));
    proc.once('exit', (code) => reject(new Error(`rdplic ${args[0]} exited with ${code}:\n${out}`)));
  });
}

/** How many sockets a process holds open (Linux /proc). */
export function socketCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).filter((fd) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:');
    } catch {
      return false;
    }
  }).length;
}
