/**
 * rdplic client: an emulated client device (src/client). Connects to a terminal server, runs licensing with the licenses
 * of a registry file, prints the outcome; and shows, exports and imports those licenses.
 */
import { hostname, userInfo } from 'node:os';
import {
  ClientDevice,
  RegistryFile,
  RegistryFileError,
  defaultCalDirectory,
  exportCal,
  formatConnectResult,
  formatExportResult,
  formatImportResult,
  formatStoreReport,
  importCal,
  parseHostPort,
  storeReport,
  type CalFormat,
  type HardwareIdMode,
  type SecurityChoice,
} from '../client/index.js';
import { deleteHardwareId } from '../registry/mslicensing.js';
import type { Command } from './rdplic.js';
import { UsageError } from './usage.js';

export const CLIENT_USAGE = `Usage:
  rdplic client --connect HOST:PORT --registry FILE [options]
  rdplic client show        --registry FILE [--json]
  rdplic client export      --registry FILE --format freerdp|rdesktop --machine M [--out DIR] [--entry LICENSEnnn] [--json]
  rdplic client import      --registry FILE --cal FILE [--adopt-hwid] [--version HEX] [--scope S] [--company C] [--product P] [--json]
  rdplic client delete-hwid --registry FILE

An emulated RDP client device. Its licenses live in an emulated registry kept as a regedit .reg file:
HKLM\\SOFTWARE\\Microsoft\\MSLicensing\\HardwareID "ClientHWID" and ...\\Store\\LICENSE000, LICENSE001, ...

Connect options:
  --connect HOST:PORT       the terminal server
  --registry FILE           the device's registry (.reg; created if missing)
  --user U                  ClientUserName and logon user (default: your login name)
  --machine M               ClientMachineName and client name (default: this host's name, up to the first dot)
  --domain D                logon domain (default empty)
  --logon ok|fail           ok (default) sends a password, fail sends none (the emulated logon then fails)
  --password P              the password to send (implies --logon ok; default "password")
  --platform-id HEX         PlatformId of the licensing request (default 04010000)
  --security rdp|tls|negotiate
                            rdp: Standard RDP Security (no negotiation); tls: TLS or nothing;
                            negotiate (default): offer TLS, accept what the server picks
  --hwid random|machine|rotate|HEX
                            how the HWID is made when the registry has none: random (default, as Windows),
                            machine (derived from --machine, stable), rotate (new on every connection),
                            HEX (exactly these 20 bytes, stored)
  --timeout SECONDS         time limit of connecting and licensing (default 30)
  --hold SECONDS            after licensing, keep the session open this long before disconnecting (SIGINT or
                            SIGTERM ends the hold early; the server may end it first)
  --recreate-registry       if FILE is corrupt, keep it as FILE.corrupt and start a new registry
  --json                    print one JSON object (schema rdplic-client/1)
  --verbose                 print each protocol step on stderr

Exit codes: 0 licensed (new-license, upgrade-license) or valid-client; 3 denied; 2 the connection failed or
licensing was aborted; 1 bad input or usage (a corrupt or unwritable registry, a license that could not be stored).

export writes the license under the file name the real client uses for host M: FreeRDP SHA1(M).cal in
$XDG_CONFIG_HOME/freerdp/licenses (default), rdesktop SHA1(M NUL-padded to 16 + salt).cal in
$HOME/.local/share/rdesktop/licenses (default). import stores a .cal file's license unchanged; --adopt-hwid makes
the license's HWID the device's own, so the device presents it as the original client did.`;

interface Spec {
  values: string[];
  flags: string[];
}

/** --name value / --name=value / --flag; anything else is a usage error. */
function parseOptions(argv: string[], spec: Spec): { values: Map<string, string>; flags: Set<string> } {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const m = /^--([a-z-]+)(?:=(.*))?$/s.exec(a);
    if (!m) throw new UsageError(`unexpected argument "${a}"`);
    const name = m[1]!;
    if (spec.flags.includes(name)) {
      if (m[2] !== undefined) throw new UsageError(`--${name} takes no value`);
      flags.add(name);
    } else if (spec.values.includes(name)) {
      const v = m[2] ?? argv[++i];
      if (v === undefined || (m[2] === undefined && v.startsWith('--'))) throw new UsageError(`--${name} needs a value`);
      if (values.has(name)) throw new UsageError(`--${name} given twice`);
      values.set(name, v);
    } else {
      throw new UsageError(`unknown option --${name}`);
    }
  }
  return { values, flags };
}

function required(values: Map<string, string>, name: string): string {
  const v = values.get(name);
  if (v === undefined || v === '') throw new UsageError(`--${name} is required`);
  return v;
}

function oneOf<T extends string>(name: string, v: string | undefined, choices: readonly T[], fallback: T): T {
  if (v === undefined) return fallback;
  if (!(choices as readonly string[]).includes(v)) throw new UsageError(`--${name} must be ${choices.join(', ')}, not "${v}"`);
  return v as T;
}

function hex32(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const t = v.replace(/^0x/i, '');
  if (!/^[0-9a-fA-F]{1,8}$/.test(t)) throw new UsageError(`--${name} must be a hexadecimal UINT32, not "${v}"`);
  return parseInt(t, 16) >>> 0;
}

function hwidMode(v: string | undefined): HardwareIdMode {
  if (v === undefined || v === 'random' || v === 'machine' || v === 'rotate') return v ?? 'random';
  const t = v.replace(/[\s:-]/g, '');
  if (!/^[0-9a-fA-F]{40}$/.test(t)) throw new UsageError(`--hwid must be random, machine, rotate or 40 hexadecimal digits, not "${v}"`);
  return Buffer.from(t, 'hex');
}

function defaultMachine(): string {
  return hostname().split('.')[0]!.slice(0, 15).toUpperCase() || 'RDPLIC';
}

function defaultUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'user';
  }
}

function print(json: boolean, value: object, text: string): void {
  process.stdout.write(json ? JSON.stringify(value, null, 2) + '\n' : text + '\n');
}

/** Registry problems as one line, with the way out for a corrupt file. */
function registryError(e: unknown): never {
  if (e instanceof RegistryFileError && e.kind === 'corrupt') throw new RegistryFileError(`${e.message} (--recreate-registry keeps it as .corrupt and starts a new one)`, e.kind);
  throw e;
}

async function connect(argv: string[]): Promise<number> {
  const { values, flags } = parseOptions(argv, {
    values: ['connect', 'registry', 'user', 'machine', 'domain', 'logon', 'password', 'platform-id', 'security', 'hwid', 'timeout', 'hold'],
    flags: ['json', 'verbose', 'recreate-registry'],
  });
  let target: { host: string; port: number };
  try {
    target = parseHostPort(required(values, 'connect'));
  } catch (e) {
    throw e instanceof UsageError ? e : new UsageError(`--connect: ${(e as Error).message}`);
  }
  const registry = required(values, 'registry');
  const logon = oneOf('logon', values.get('logon'), ['ok', 'fail'] as const, 'ok');
  if (logon === 'fail' && values.has('password')) throw new UsageError('--password and --logon fail contradict each other');
  const timeout = values.has('timeout') ? Number(values.get('timeout')) : 30;
  if (!(timeout > 0 && timeout <= 3600)) throw new UsageError(`--timeout must be a number of seconds (0 < t <= 3600), not "${values.get('timeout')}"`);
  const holdSeconds = values.has('hold') ? Number(values.get('hold')) : undefined;
  if (holdSeconds !== undefined && !(holdSeconds >= 0 && holdSeconds <= 86_400)) throw new UsageError(`--hold must be a number of seconds (0 to 86400), not "${values.get('hold')}"`);
  const platformId = hex32('platform-id', values.get('platform-id'));
  const machine = values.get('machine') ?? defaultMachine();
  if (machine === '') throw new UsageError('--machine cannot be empty');
  const json = flags.has('json');
  const hold = holdSeconds === undefined ? undefined : holdFor(holdSeconds, flags.has('verbose'));
  const device = new ClientDevice({
    registry,
    recreateRegistry: flags.has('recreate-registry'),
    userName: values.get('user') ?? defaultUser(),
    machineName: machine,
    ...(values.has('domain') ? { domain: values.get('domain')! } : {}),
    ...(logon === 'ok' ? { password: values.get('password') || 'password' } : {}),
    ...(platformId !== undefined ? { platformId } : {}),
    hwid: hwidMode(values.get('hwid')),
    security: oneOf<SecurityChoice>('security', values.get('security'), ['rdp', 'tls', 'negotiate'], 'negotiate'),
    timeoutMs: timeout * 1000,
    ...(hold ? { hold: hold.promise } : {}),
    ...(flags.has('verbose') ? { trace: (line: string) => process.stderr.write(`  ${line}\n`) } : {}),
  });
  const result = await device.connect(target.host, target.port).catch(registryError).finally(() => hold?.cancel());
  print(json, result, formatConnectResult(result));
  return result.exitCode;
}

/** A hold of `seconds` (real time: how long a person keeps the session, not a protocol timer), ended early by SIGINT or SIGTERM. */
function holdFor(seconds: number, verbose: boolean): { promise: Promise<void>; cancel(): void } {
  let release!: () => void;
  const promise = new Promise<void>((resolve) => (release = resolve));
  const timer = setTimeout(() => release(), seconds * 1000);
  const onSignal = (signal: NodeJS.Signals) => {
    if (verbose) process.stderr.write(`  ${signal}: ending the hold\n`);
    release();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const cancel = () => {
    clearTimeout(timer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    release();
  };
  return { promise, cancel };
}

async function show(argv: string[]): Promise<number> {
  const { values, flags } = parseOptions(argv, { values: ['registry'], flags: ['json'] });
  const file = new RegistryFile(required(values, 'registry'));
  let reg;
  try {
    reg = file.read();
  } catch (e) {
    registryError(e);
  }
  const report = storeReport(file.path, reg);
  print(flags.has('json'), report, formatStoreReport(report));
  return 0;
}

async function exportCommand(argv: string[]): Promise<number> {
  const { values, flags } = parseOptions(argv, { values: ['registry', 'format', 'machine', 'out', 'entry'], flags: ['json'] });
  const file = new RegistryFile(required(values, 'registry'));
  const format = oneOf<CalFormat>('format', required(values, 'format'), ['freerdp', 'rdesktop'], 'freerdp');
  const machine = required(values, 'machine');
  try {
    const r = exportCal(file, { format, machine, dir: values.get('out') ?? defaultCalDirectory(format), ...(values.has('entry') ? { entry: values.get('entry')! } : {}) });
    print(flags.has('json'), r, formatExportResult(r));
  } catch (e) {
    registryError(e);
  }
  return 0;
}

async function importCommand(argv: string[]): Promise<number> {
  const { values, flags } = parseOptions(argv, { values: ['registry', 'cal', 'version', 'scope', 'company', 'product'], flags: ['json', 'adopt-hwid'] });
  const file = new RegistryFile(required(values, 'registry'));
  const version = hex32('version', values.get('version'));
  const key = {
    ...(version !== undefined ? { version } : {}),
    ...(values.has('scope') ? { scope: values.get('scope')! } : {}),
    ...(values.has('company') ? { companyName: values.get('company')! } : {}),
    ...(values.has('product') ? { productId: values.get('product')! } : {}),
  };
  try {
    const r = await importCal(file, { cal: required(values, 'cal'), key, adoptHwid: flags.has('adopt-hwid') });
    print(flags.has('json'), r, formatImportResult(r));
  } catch (e) {
    registryError(e);
  }
  return 0;
}

async function deleteHwid(argv: string[]): Promise<number> {
  const { values } = parseOptions(argv, { values: ['registry'], flags: [] });
  const file = new RegistryFile(required(values, 'registry'));
  const deleted = await file.update((reg) => {
    const d = deleteHardwareId(reg);
    return { changed: d, result: d };
  }).catch(registryError);
  process.stdout.write(deleted ? 'deleted HKLM\\SOFTWARE\\Microsoft\\MSLicensing\\HardwareID: the next connection makes a new HWID\n' : 'there was no HardwareID key\n');
  return 0;
}

const SUBCOMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  show,
  export: exportCommand,
  import: importCommand,
  'delete-hwid': deleteHwid,
};

export const clientCommand: Command = {
  summary: 'an emulated client device: connect and get licensed; show, export and import its licenses',
  usage: CLIENT_USAGE,
  async run(argv) {
    const sub = argv[0] !== undefined && !argv[0].startsWith('--') ? SUBCOMMANDS[argv[0]] : undefined;
    if (argv[0] !== undefined && !argv[0].startsWith('--') && !sub) throw new UsageError(`unknown subcommand "${argv[0]}"; try rdplic client --help`);
    return sub ? sub(argv.slice(1)) : connect(argv);
  },
};
