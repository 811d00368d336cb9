/**
 * rdplic: one command per role and tool. Every command prints one line saying what is wrong and exits non-zero on bad
 * input (exit 1), and uses exit codes of its own where the README says so (rdplic client: 3 when denied).
 */
import { UsageError } from './usage.js';

export interface Command {
  summary: string;
  usage: string;
  run(argv: string[]): Promise<number>;
}

const commands: Record<string, () => Promise<Command>> = {};

/** Registers a command lazily, so `rdplic decode` does not load the servers. */
export function register(name: string, load: () => Promise<Command>): void {
  commands[name] = load;
}

register('serve', async () => (await import('./serve.js')).serveCommand);
register('terminal-server', async () => (await import('./terminal-server.js')).terminalServerCommand);
register('decode', async () => (await import('./decode.js')).decodeCommand);
register('inspect', async () => (await import('./inspect.js')).inspectCommand);
register('license-server', async () => (await import('./license-server.js')).licenseServerCommand);
register('clearinghouse', async () => (await import('./clearinghouse.js')).clearinghouseCommand);
register('admin', async () => (await import('./admin.js')).adminCommand);
register('events', async () => (await import('./events.js')).eventsCommand);
register('lsreport', async () => (await import('./lsreport.js')).lsreportCommand);
register('client', async () => (await import('./client.js')).clientCommand);

function help(): string {
  return [
    'rdplic: an emulator of Terminal Services (Remote Desktop) Licensing',
    '',
    'Usage: rdplic <command> [options]     rdplic help <command>',
    '',
    'Commands:',
    ...Object.keys(commands).map((c) => `  ${c}`),
    '',
    'Set-up: npm start runs "rdplic serve"; npm test runs the tests.',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (!name || name === 'help' || name === '--help' || name === '-h') {
      const sub = rest[0] && commands[rest[0]];
      process.stdout.write((sub ? (await sub()).usage : help()) + '\n');
      return 0;
    }
    const load = commands[name];
    if (!load) throw new UsageError(`unknown command "${name}"; try rdplic help`);
    const cmd = await load();
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(cmd.usage + '\n');
      return 0;
    }
    return await cmd.run(rest);
  } catch (e) {
    process.stderr.write(`rdplic ${name ?? ''}: ${oneLine(e)}\n`);
    return 1;
  }
}

export function oneLine(e: unknown): string {
  if (e instanceof Error) return (e.message || e.name).split('\n')[0]!;
  return String(e);
}
