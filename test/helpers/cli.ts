import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const RDPLIC = fileURLToPath(new URL('../../bin/rdplic.js', import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `rdplic ARGS` as a user would, with optional standard input. */
export function rdplic(args: string[], input?: string | Buffer, env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [RDPLIC, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
    p.stdin.end(input);
  });
}
