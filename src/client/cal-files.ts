/**
 * The license files of the real Linux clients (PEERS.md §5): one file per client host name holding the raw pbLicenseInfo,
 * which the client presents in CLIENT_LICENSE_INFO on its next connection.
 *
 *   FreeRDP 2.11   $XDG_CONFIG_HOME/freerdp/licenses/<SHA1(client hostname)>.cal   (default $HOME/.config/…)
 *   rdesktop 1.9   $HOME/.local/share/rdesktop/licenses/<SHA1(hostname NUL-padded to 16 ‖ salt)>.cal
 *
 * Both write `<name>.new` and rename it into place; so does this module (mode 0600, directories 0700).
 */
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { MAX_STORED_LICENSE_SIZE } from '../registry/mslicensing.js';

export type CalFormat = 'freerdp' | 'rdesktop';

/** rdesktop's fixed salt (rdesktop 1.9 `save_licence()`, PEERS.md §5). */
export const RDESKTOP_SALT = Buffer.from('b8822931c539d94454155e147138d54d', 'hex');
/** rdesktop keeps the host name in `char g_hostname[16]`: at most 15 characters and a NUL. */
export const RDESKTOP_HOSTNAME_SIZE = 16;

/** rdesktop's 16-byte host name buffer: the name (Latin-1, at most 15 bytes) NUL-padded. */
function rdesktopHostname(hostname: string): Buffer {
  const name = Buffer.alloc(RDESKTOP_HOSTNAME_SIZE);
  Buffer.from(hostname, 'latin1').subarray(0, RDESKTOP_HOSTNAME_SIZE - 1).copy(name);
  return name;
}

/** The file name a client uses for the license of client host `hostname` (`-n` for rdesktop, `/client-hostname` for FreeRDP). */
export function calFileName(format: CalFormat, hostname: string): string {
  const sha1 = createHash('sha1');
  if (format === 'freerdp') sha1.update(Buffer.from(hostname, 'utf8'));
  else sha1.update(rdesktopHostname(hostname)).update(RDESKTOP_SALT);
  return `${sha1.digest('hex')}.cal`;
}

/** The directory a client reads its licenses from, for the given environment. */
export function defaultCalDirectory(format: CalFormat, env: NodeJS.ProcessEnv = process.env): string {
  const home = env.HOME || homedir();
  if (format === 'freerdp') return join(env.XDG_CONFIG_HOME || join(home, '.config'), 'freerdp', 'licenses');
  return join(home, '.local', 'share', 'rdesktop', 'licenses');
}

/**
 * The CLIENT_HARDWARE_ID the client presents with the license (PEERS.md §6): FreeRDP `00 00 01 04` + MD5(hostname);
 * rdesktop `02 00 00 00` + the host name NUL-padded to 16 bytes.
 */
export function clientHardwareId(format: CalFormat, hostname: string): Buffer {
  if (format === 'freerdp') return Buffer.concat([Buffer.from('00000104', 'hex'), createHash('md5').update(Buffer.from(hostname, 'utf8')).digest()]);
  return Buffer.concat([Buffer.from('02000000', 'hex'), rdesktopHostname(hostname)]);
}

/** Writes `dir/name` through `name.new` (fsync, rename), mode 0600, creating `dir` (0700) if needed. Returns the path. */
export function writeCalFile(dir: string, name: string, license: Uint8Array): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, name);
  const tmp = `${path}.new`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, license);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  return path;
}

/** Reads a .cal file; refuses an empty one or one too large to present (BAD-INPUTS.md #9) with a clear message. */
export function readCalFile(path: string): Buffer {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new Error('not a regular file');
    size = st.size;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`${path}: cannot read the license file: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message}`);
  }
  if (size === 0) throw new Error(`${path}: the license file is empty`);
  if (size > MAX_STORED_LICENSE_SIZE) throw new Error(`${path}: the license file has ${size} bytes, more than a licensing message can carry (${MAX_STORED_LICENSE_SIZE})`);
  try {
    return readFileSync(path);
  } catch (e) {
    throw new Error(`${path}: cannot read the license file: ${(e as Error).message}`);
  }
}
