/** Test-only: a real self-signed RSA-2048 TLS certificate for 127.0.0.1, made by openssl (PEERS.md §4.2, §8). */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let cached: { cert: string; key: string } | undefined;

/** PEM certificate and key; written to `dir` as tls.crt / tls.key when a directory is given (for xrdp). */
export function makeTlsCertificate(dir?: string): { cert: string; key: string; certFile?: string; keyFile?: string } {
  if (!dir && cached) return cached;
  const out = dir ?? mkdtempSync(join(tmpdir(), 'rdplic-tls-'));
  const certFile = join(out, 'tls.crt');
  const keyFile = join(out, 'tls.key');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-subj', '/CN=127.0.0.1', '-days', '2'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr || r.error?.message}`);
  const pair = { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
  if (dir) return { ...pair, certFile, keyFile };
  rmSync(out, { recursive: true, force: true });
  cached = pair;
  return pair;
}
