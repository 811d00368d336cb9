/** `rdplic serve`: every role in one process (see src/serve.ts). */
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { ENCRYPTION_METHOD_128BIT, ENCRYPTION_METHOD_40BIT, ENCRYPTION_METHOD_56BIT } from '../../protocol/rdp/index.js';
import { SERVE_DEFAULTS, startServe } from '../serve.js';
import type { Command } from './rdplic.js';
import { UsageError } from './usage.js';

const USAGE = `Usage: rdplic serve [options]

Runs a clearinghouse, a license server and a terminal server in one process. Point an RDP client
(rdesktop, xfreerdp, mstsc) at it: it gets a license, and presents it on its next connection.

  --data DIR                  data folder (default ./data; created on first start, keys mode 0600)
  --listen HOST:PORT          terminal server address (default 127.0.0.1:3389; port 0 = any free port)
  --security MODE             negotiate (default: the client's choice, TLS preferred) | rdp | tls
  --encryption BITS           Standard RDP Security method: 128 (default) | 56 | 40
  --certificate KIND          certificate in the License Request: x509 (default) | proprietary
  --license-policy POLICY     issue (default) | valid-client (answer STATUS_VALID_CLIENT at once, like xrdp)
  --issuance MODE             post-logon (default: a temporary token first, a CAL after a logon) | immediate
  --built-in on|off           built-in tokens for Windows 2000 Professional and later clients (default on)
  --cals N                    TS CALs installed on first start (default ${SERVE_DEFAULTS.cals})
  --grace-days N              grace period in days (default ${SERVE_DEFAULTS.graceDays})
  --clock system|simulated    simulated: time moves only when told to (default system)
  --hold-sessions             keep connections open after licensing until the client leaves
  --accounts FILE             user:password lines for the emulated logon (default: any non-empty password)
  --name NAME                 terminal server name (default ${SERVE_DEFAULTS.name}; the license server is NAME-LS)
  --api HOST:PORT|off         the license server's HTTPS API, for rdplic admin and lsreport (default 127.0.0.1:0,
                              a free port; "rdplic admin --data DIR/license-server" finds it)
  --internet-connector        Internet Connector mode: up to 200 connections as TSInternetUser, no CALs

Stops cleanly on SIGINT and SIGTERM.`;

function parseListen(text: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !m[1] || port > 65535) throw new UsageError(`--listen wants HOST:PORT, not "${text}"`);
  return { host: m[1], port };
}

function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, not "${value}"`);
  return value as T;
}

function positive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a whole number, not "${value}"`);
  return n;
}

export function readAccounts(path: string): Map<string, string> {
  const accounts = new Map<string, string>();
  readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .forEach((line, i) => {
      if (line.trim() === '' || line.startsWith('#')) return;
      const at = line.indexOf(':');
      if (at <= 0) throw new UsageError(`${path}:${i + 1}: expected user:password`);
      accounts.set(line.slice(0, at).toLowerCase(), line.slice(at + 1));
    });
  return accounts;
}

export const serveCommand: Command = {
  summary: 'run a clearinghouse, a license server and a terminal server in one process',
  usage: USAGE,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        data: { type: 'string' },
        listen: { type: 'string' },
        security: { type: 'string' },
        encryption: { type: 'string' },
        certificate: { type: 'string' },
        'license-policy': { type: 'string' },
        issuance: { type: 'string' },
        'built-in': { type: 'string' },
        cals: { type: 'string' },
        'grace-days': { type: 'string' },
        clock: { type: 'string' },
        'hold-sessions': { type: 'boolean' },
        accounts: { type: 'string' },
        name: { type: 'string' },
        api: { type: 'string' },
        'internet-connector': { type: 'boolean' },
      },
      strict: true,
    });
    const listen = parseListen(values.listen ?? `${SERVE_DEFAULTS.host}:${SERVE_DEFAULTS.port}`);
    const bits = oneOf('encryption', values.encryption, ['128', '56', '40'], '128');
    const serving = await startServe({
      ...SERVE_DEFAULTS,
      dataDir: values.data ?? SERVE_DEFAULTS.dataDir,
      host: listen.host,
      port: listen.port,
      security: oneOf('security', values.security, ['negotiate', 'rdp', 'tls'], 'negotiate'),
      encryptionMethod: ({ '128': ENCRYPTION_METHOD_128BIT, '56': ENCRYPTION_METHOD_56BIT, '40': ENCRYPTION_METHOD_40BIT } as const)[bits],
      certificate: oneOf('certificate', values.certificate, ['x509', 'proprietary'], 'x509'),
      licensePolicy: oneOf('license-policy', values['license-policy'], ['issue', 'valid-client'], 'issue'),
      clock: oneOf('clock', values.clock, ['system', 'simulated'], 'system'),
      cals: positive('cals', values.cals, SERVE_DEFAULTS.cals),
      graceDays: positive('grace-days', values['grace-days'], SERVE_DEFAULTS.graceDays),
      holdSessions: values['hold-sessions'] ?? false,
      accounts: values.accounts ? readAccounts(values.accounts) : undefined,
      name: values.name ?? SERVE_DEFAULTS.name,
      api: values.api === 'off' ? undefined : values.api ? parseListen(values.api) : SERVE_DEFAULTS.api,
      internetConnector: values['internet-connector'] ?? false,
      licenseServer: {
        postLogonIssuance: oneOf('issuance', values.issuance, ['post-logon', 'immediate'], 'post-logon') === 'post-logon',
        builtInPool: oneOf('built-in', values['built-in'], ['on', 'off'], 'on') === 'on',
      },
      log: (line) => process.stdout.write(`${new Date().toISOString()} ${line}\n`),
    });
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        process.stdout.write(`${new Date().toISOString()} ${signal}: stopping\n`);
        serving.close().then(resolve, resolve);
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
    return 0;
  },
};
