/**
 * An emulated Windows registry: keys with case-insensitive names (case kept for display) holding typed values. It is
 * what a client device keeps its licenses in (`HKLM\SOFTWARE\Microsoft\MSLicensing`), saved as a regedit `.reg` file.
 */
export type RegType = 'REG_SZ' | 'REG_EXPAND_SZ' | 'REG_BINARY' | 'REG_DWORD' | 'REG_MULTI_SZ' | 'REG_QWORD' | 'REG_NONE';

export type RegValue =
  | { type: 'REG_SZ' | 'REG_EXPAND_SZ'; data: string }
  | { type: 'REG_BINARY' | 'REG_NONE'; data: Buffer }
  | { type: 'REG_DWORD'; data: number }
  | { type: 'REG_QWORD'; data: bigint }
  | { type: 'REG_MULTI_SZ'; data: string[] };

export class RegistryKey {
  readonly subkeys = new Map<string, RegistryKey>();
  /** Value names are case-insensitive; '' is the default value (@ in a .reg file). */
  readonly values = new Map<string, { name: string; value: RegValue }>();

  constructor(readonly name: string) {}

  getValue(name: string): RegValue | undefined {
    return this.values.get(name.toLowerCase())?.value;
  }

  setValue(name: string, value: RegValue): void {
    this.values.set(name.toLowerCase(), { name, value });
  }

  deleteValue(name: string): boolean {
    return this.values.delete(name.toLowerCase());
  }

  subkey(name: string): RegistryKey | undefined {
    return this.subkeys.get(name.toLowerCase());
  }

  /** Subkeys sorted by name, as regedit lists them. */
  children(): RegistryKey[] {
    return [...this.subkeys.values()].sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()));
  }
}

export const HIVES = ['HKEY_LOCAL_MACHINE', 'HKEY_CURRENT_USER', 'HKEY_CLASSES_ROOT', 'HKEY_USERS', 'HKEY_CURRENT_CONFIG'] as const;
const HIVE_ALIASES: Record<string, string> = { HKLM: 'HKEY_LOCAL_MACHINE', HKCU: 'HKEY_CURRENT_USER', HKCR: 'HKEY_CLASSES_ROOT', HKU: 'HKEY_USERS', HKCC: 'HKEY_CURRENT_CONFIG' };

export class RegistryError extends Error {
  override readonly name = 'RegistryError';
}

/** Splits `HKLM\A\B` into its parts, with the hive's long name first. */
export function splitPath(path: string): string[] {
  const parts = path.split('\\').filter((p) => p.length > 0);
  if (parts.length === 0) throw new RegistryError('empty registry path');
  const hive = HIVE_ALIASES[parts[0]!.toUpperCase()] ?? parts[0]!.toUpperCase();
  if (!(HIVES as readonly string[]).includes(hive)) throw new RegistryError(`unknown registry hive "${parts[0]}"`);
  return [hive, ...parts.slice(1)];
}

export class Registry {
  readonly root = new RegistryKey('');

  /** The key at `path`, or undefined. */
  open(path: string): RegistryKey | undefined {
    let k: RegistryKey | undefined = this.root;
    for (const p of splitPath(path)) {
      k = k.subkey(p);
      if (!k) return undefined;
    }
    return k;
  }

  /** The key at `path`, made (with its parents) if missing. */
  create(path: string): RegistryKey {
    let k = this.root;
    for (const p of splitPath(path)) {
      let next = k.subkey(p);
      if (!next) {
        next = new RegistryKey(p);
        k.subkeys.set(p.toLowerCase(), next);
      }
      k = next;
    }
    return k;
  }

  /** Deletes a key and everything under it. */
  delete(path: string): boolean {
    const parts = splitPath(path);
    const parent = parts.length === 1 ? this.root : this.open(parts.slice(0, -1).join('\\'));
    return parent?.subkeys.delete(parts.at(-1)!.toLowerCase()) ?? false;
  }

  getValue(path: string, name: string): RegValue | undefined {
    return this.open(path)?.getValue(name);
  }

  setValue(path: string, name: string, value: RegValue): void {
    this.create(path).setValue(name, value);
  }

  /** Every key with its full path, parents before children. */
  *walk(): Generator<{ path: string; key: RegistryKey }> {
    function* visit(key: RegistryKey, path: string): Generator<{ path: string; key: RegistryKey }> {
      for (const child of key.children()) {
        const p = path ? `${path}\\${child.name}` : child.name;
        yield { path: p, key: child };
        yield* visit(child, p);
      }
    }
    yield* visit(this.root, '');
  }
}
