/**
 * The data folder of a running role: created on first start; private keys are PEM files with mode 0600 and never
 * appear in logs.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { rsaPrivateKeyFromPem, type RsaPrivateKey } from '../protocol/crypto/index.js';

export class DataFolder {
  constructor(readonly path: string) {
    mkdirSync(path, { recursive: true, mode: 0o700 });
  }

  file(name: string): string {
    return join(this.path, name);
  }

  has(name: string): boolean {
    return existsSync(this.file(name));
  }

  read(name: string): Buffer {
    return readFileSync(this.file(name));
  }

  /** Atomic write (temporary file, fsync, rename). */
  write(name: string, data: string | Uint8Array, mode = 0o644): void {
    writeFileAtomic(this.file(name), data, mode);
  }

  readJson<T>(name: string): T | undefined {
    return this.has(name) ? (JSON.parse(this.read(name).toString('utf8')) as T) : undefined;
  }

  writeJson(name: string, value: unknown): void {
    this.write(name, JSON.stringify(value, null, 2) + '\n');
  }

  /** An RSA key kept as `name` (PKCS#8 PEM, mode 0600), made on first use. */
  rsaKey(name: string, bits = 2048): { key: RsaPrivateKey; pem: string } {
    if (!this.has(name)) {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: bits });
      this.write(name, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, 0o600);
    }
    chmodSync(this.file(name), 0o600);
    const pem = this.read(name).toString('utf8');
    return { key: rsaPrivateKeyFromPem(pem), pem };
  }

  /** A random secret kept as `name` (hex, mode 0600), made on first use. */
  secret(name: string, bytes = 32): string {
    if (!this.has(name)) this.write(name, randomBytes(bytes).toString('hex') + '\n', 0o600);
    chmodSync(this.file(name), 0o600);
    return this.read(name).toString('utf8').trim();
  }
}

export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): void {
  const tmp = `${path}.new`;
  const fd = openSync(tmp, 'w', mode);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}
