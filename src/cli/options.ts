/** The small option parser the commands share, and checks of common option values. */
import { UsageError } from './usage.js';

export type OptionKind = 'string' | 'boolean' | 'list';

export interface ParsedOptions {
  values: Record<string, string | undefined>;
  flags: Record<string, boolean>;
  lists: Record<string, string[]>;
  positional: string[];
}

/** Parses `--name value`, `--name=value`, boolean `--flag`, repeatable list options; anything else is positional. */
export function parseOptions(argv: string[], spec: Record<string, OptionKind>): ParsedOptions {
  const out: ParsedOptions = { values: {}, flags: {}, lists: {}, positional: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--') || a === '--') {
      out.positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    const kind = spec[name];
    if (!kind) throw new UsageError(`unknown option --${name}`);
    if (kind === 'boolean') {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      out.flags[name] = true;
      continue;
    }
    const value = eq >= 0 ? a.slice(eq + 1) : argv[++i];
    if (value === undefined || (eq < 0 && value.startsWith('--'))) throw new UsageError(`--${name} needs a value`);
    if (kind === 'list') (out.lists[name] ??= []).push(value);
    else out.values[name] = value;
  }
  return out;
}

export function onOff(value: string | undefined, name: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === 'on') return true;
  if (value === 'off') return false;
  throw new UsageError(`--${name} is on or off, not "${value}"`);
}

export function wholeNumber(value: string | undefined, name: string, min = 1, max = 65535): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) throw new UsageError(`--${name} must be a whole number in ${min}..${max}`);
  return Number(value);
}

/** `host:port` → parts; only a host and a port, the port 0..65535. */
export function parseListen(text: string, option = 'listen'): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(text);
  if (!m || Number(m[2]) > 65535) throw new UsageError(`--${option} is host:port (e.g. 127.0.0.1:4443), not "${text}"`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

/** One of a few words, or the fallback when the option is absent. */
export function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, not "${value}"`);
  return value as T;
}

/** Runs until SIGINT or SIGTERM, then awaits `stop` and gives exit code 0: how every server command ends cleanly. */
export function untilSignal(stop: () => Promise<void> | void, log?: (line: string) => void): Promise<number> {
  return new Promise((done) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      log?.(`${signal}: stopping`);
      Promise.resolve()
        .then(stop)
        .then(
          () => done(0),
          () => done(1),
        );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
