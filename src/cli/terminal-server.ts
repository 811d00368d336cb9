/**
 * `rdplic terminal-server`: the terminal-server role alone. It finds license servers by discovery (a directory file:
 * domain, site, workgroup broadcast), DefaultLicenseServer or SpecifiedLicenseServers, enrols with them over HTTPS, and
 * licenses RDP clients on TCP.
 */
import { parseArgs } from 'node:util';
import { hostname } from 'node:os';
import { systemClock } from '../clock.js';
import { loadDirectory, parseDirectory } from '../discovery/index.js';
import { cryptoRandom } from '../crypto-random.js';
import { startTerminalServer } from '../terminal-server/node.js';
import { parseTerminalOptions, TERMINAL_OPTIONS, TERMINAL_USAGE } from './terminal-options.js';
import { untilSignal } from './options.js';
import type { Command } from './rdplic.js';
import { UsageError } from './usage.js';

const USAGE = `Usage: rdplic terminal-server [options]

Runs a terminal server alone: RDP clients license against it on TCP; it gets licenses from license servers over HTTPS.

  --data DIR                  data folder (default ./data): keys (0600), TLS certificate, enrolments, grace period
  --name NAME                 its name (default: this host's name); with --directory, its host in the directory
${TERMINAL_USAGE}
  --directory FILE            the emulated directory (domains, sites, workgroups, hosts): discovery as the seed describes
  --license-server URL[=TOKEN]  a license server to use (SpecifiedLicenseServers, tried in order before discovery);
                              TOKEN from "rdplic admin enrol NAME" (omit it if the server allows open enrolment)
  --default-license-server NAME   DefaultLicenseServer: exactly this one, no fallback
  --per-user                  per-user licensing mode: sign-ins are reported (tracked, not enforced)

Without --directory the terminal server is the only host of a workgroup: it finds license servers by broadcast.
Stops cleanly on SIGINT and SIGTERM.

Example: rdplic terminal-server --data ./ts --listen 127.0.0.1:3390 --license-server https://127.0.0.1:4443=rdplic-enrol.…`;

export const terminalServerCommand: Command = {
  summary: 'run a terminal server that gets its licenses from license servers',
  usage: USAGE,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        ...TERMINAL_OPTIONS,
        data: { type: 'string' },
        name: { type: 'string' },
        directory: { type: 'string' },
        'license-server': { type: 'string', multiple: true },
        'default-license-server': { type: 'string' },
        'per-user': { type: 'boolean' },
      },
      strict: true,
    });
    const s = parseTerminalOptions(values, '127.0.0.1:3389');
    const name = (values.name ?? hostname().split('.')[0]!).toUpperCase().slice(0, 15);
    const specified: string[] = [];
    const tokens: Record<string, string> = {};
    for (const entry of values['license-server'] ?? []) {
      const m = /^(https:\/\/[^=\s]+?)\/?(?:=(\S+))?$/.exec(entry);
      if (!m) throw new UsageError(`--license-server wants https://HOST:PORT[=TOKEN], not "${entry}"`);
      specified.push(m[1]!);
      if (m[2]) tokens[m[1]!] = m[2];
    }
    const directory = values.directory
      ? loadDirectory(values.directory)
      : parseDirectory({ workgroups: [{ name: 'WORKGROUP' }], hosts: [{ name, workgroup: 'WORKGROUP' }] }, 'built-in directory');
    const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);
    const running = await startTerminalServer({
      ...s,
      name,
      dataDir: values.data ?? 'data',
      product: { major: 5, minor: 0 },
      renewalWindowDays: 7,
      perUser: values['per-user'] ?? false,
      internetUserAccountOk: true,
      clock: systemClock,
      random: cryptoRandom,
      licenseServers: {
        kind: 'discovery',
        directory,
        self: name,
        defaultLicenseServer: values['default-license-server'],
        specifiedLicenseServers: specified.length ? specified : undefined,
        tokens,
      },
      log,
    });
    return untilSignal(() => running.close(), log);
  },
};
