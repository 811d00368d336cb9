/**
 * A client device's registry kept as a regedit `.reg` file (src/registry/reg-file.ts: UTF-16LE with BOM, written
 * atomically). Every change re-reads the file, applies the change and writes it back, one change at a time per file in
 * this process, so two devices of one process sharing a file do not undo each other's work.
 */
import { existsSync, renameSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { Registry, RegistryError } from '../registry/registry.js';
import { readRegFile, writeRegFile } from '../registry/reg-file.js';

/** A registry file larger than this is refused before it is read (a license store holds a few kilobytes). */
export const MAX_REGISTRY_FILE_SIZE = 16 * 1024 * 1024;

/** The registry file cannot be used; `message` is one line that says which file and why. */
export class RegistryFileError extends Error {
  override readonly name = 'RegistryFileError';
  constructor(
    message: string,
    /** `corrupt`: the file is not a readable .reg file (recreating it helps); `io`: the file system refused. */
    readonly kind: 'corrupt' | 'io',
  ) {
    super(message);
  }
}

const locks = new Map<string, Promise<unknown>>();

function describe(e: unknown): string {
  if (e instanceof RegistryError) return e.message;
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'EACCES' || err?.code === 'EPERM') return 'permission denied';
  if (err?.code === 'EISDIR') return 'it is a directory';
  return err instanceof Error ? err.message.split('\n')[0]! : String(e);
}

export class RegistryFile {
  /** Set when open() found a corrupt file and moved it aside (recreate). */
  recovered?: { backup: string; problem: string };

  constructor(readonly path: string) {}

  /**
   * Checks the file once before use: a missing file is an empty registry; a corrupt one throws, or with `recreate` is
   * renamed to `<file>.corrupt` (or `.corrupt.1`, …) and replaced by an empty registry.
   */
  open(options: { recreate?: boolean } = {}): Registry {
    try {
      return this.read();
    } catch (e) {
      if (!(e instanceof RegistryFileError) || e.kind !== 'corrupt' || !options.recreate) throw e;
      let backup = `${this.path}.corrupt`;
      for (let i = 1; existsSync(backup); i++) backup = `${this.path}.corrupt.${i}`;
      try {
        renameSync(this.path, backup);
      } catch (err) {
        throw new RegistryFileError(`${this.path}: cannot move the corrupt registry aside: ${describe(err)}`, 'io');
      }
      this.recovered = { backup, problem: e.message };
      const reg = new Registry();
      this.write(reg);
      return reg;
    }
  }

  /** The registry as the file holds it now (empty if the file does not exist). */
  read(): Registry {
    let size: number;
    try {
      const st = statSync(this.path);
      if (st.isDirectory()) throw new RegistryFileError(`${this.path}: it is a directory, not a registry file`, 'io');
      size = st.size;
    } catch (e) {
      if (e instanceof RegistryFileError) throw e;
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new Registry();
      throw new RegistryFileError(`${this.path}: cannot read the registry: ${describe(e)}`, 'io');
    }
    if (size > MAX_REGISTRY_FILE_SIZE) {
      throw new RegistryFileError(`${this.path}: corrupt registry: ${size} bytes, more than ${MAX_REGISTRY_FILE_SIZE}`, 'corrupt');
    }
    try {
      return readRegFile(this.path);
    } catch (e) {
      if (e instanceof RegistryError) throw new RegistryFileError(`${this.path}: corrupt registry: ${e.message}`, 'corrupt');
      throw new RegistryFileError(`${this.path}: cannot read the registry: ${describe(e)}`, 'io');
    }
  }

  write(reg: Registry): void {
    try {
      writeRegFile(this.path, reg);
    } catch (e) {
      throw new RegistryFileError(`${this.path}: cannot write the registry: ${describe(e)}`, 'io');
    }
  }

  /** Reads the file, lets `change` edit the registry (returning whether it changed anything), writes it back if so. */
  update<T>(change: (reg: Registry) => { changed: boolean; result: T }): Promise<T> {
    const lockKey = resolve(this.path);
    const previous = locks.get(lockKey) ?? Promise.resolve();
    const run = previous.then(() => {
      const reg = this.read();
      const { changed, result } = change(reg);
      if (changed) this.write(reg);
      return result;
    });
    const tail = run.catch(() => undefined);
    locks.set(lockKey, tail);
    void tail.then(() => {
      if (locks.get(lockKey) === tail) locks.delete(lockKey);
    });
    return run;
  }
}
