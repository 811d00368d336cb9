/** The options every command that runs a terminal server shares (rdplic serve, rdplic terminal-server). */
import { readFileSync } from 'node:fs';
import { ENCRYPTION_METHOD_128BIT, ENCRYPTION_METHOD_40BIT, ENCRYPTION_METHOD_56BIT, type RdpEncryptionMethod, type SecurityPolicy } from '../../protocol/rdp/index.js';
import { oneOf, parseListen, wholeNumber } from './options.js';
import { UsageError } from './usage.js';

export const TERMINAL_USAGE = `  --listen HOST:PORT          where RDP clients connect (port 0 = any free port)
  --security MODE             negotiate (default: the client's choice, TLS preferred) | rdp | tls
  --encryption BITS           Standard RDP Security method: 128 (default) | 56 | 40
  --certificate KIND          certificate in the License Request: x509 (default) | proprietary
  --license-policy POLICY     issue (default) | valid-client (answer STATUS_VALID_CLIENT at once, like xrdp)
  --grace-days N              grace period in days (default 90)
  --hold-sessions             keep connections open after licensing until the client leaves
  --accounts FILE             user:password lines for the emulated logon (default: any non-empty password)
  --internet-connector        Internet Connector mode: up to 200 connections as TSInternetUser, no CALs`;

export const TERMINAL_OPTIONS = {
  listen: { type: 'string' },
  security: { type: 'string' },
  encryption: { type: 'string' },
  certificate: { type: 'string' },
  'license-policy': { type: 'string' },
  'grace-days': { type: 'string' },
  'hold-sessions': { type: 'boolean' },
  accounts: { type: 'string' },
  'internet-connector': { type: 'boolean' },
} as const;

type Values = { [K in keyof typeof TERMINAL_OPTIONS]?: (typeof TERMINAL_OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

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

export interface TerminalOptions {
  host: string;
  port: number;
  security: SecurityPolicy;
  encryptionMethod: RdpEncryptionMethod;
  certificate: 'x509' | 'proprietary';
  licensePolicy: 'issue' | 'valid-client';
  graceDays: number;
  holdSessions: boolean;
  accounts?: Map<string, string>;
  internetConnector: boolean;
}

export function parseTerminalOptions(values: Values, defaultListen: string): TerminalOptions {
  const bits = oneOf('encryption', values.encryption, ['128', '56', '40'], '128');
  return {
    ...parseListen(values.listen ?? defaultListen),
    security: oneOf('security', values.security, ['negotiate', 'rdp', 'tls'], 'negotiate'),
    encryptionMethod: ({ '128': ENCRYPTION_METHOD_128BIT, '56': ENCRYPTION_METHOD_56BIT, '40': ENCRYPTION_METHOD_40BIT } as const)[bits],
    certificate: oneOf('certificate', values.certificate, ['x509', 'proprietary'], 'x509'),
    licensePolicy: oneOf('license-policy', values['license-policy'], ['issue', 'valid-client'], 'issue'),
    graceDays: wholeNumber(values['grace-days'], 'grace-days', 0, 36500) ?? 90,
    holdSessions: values['hold-sessions'] ?? false,
    accounts: values.accounts ? readAccounts(values.accounts) : undefined,
    internetConnector: values['internet-connector'] ?? false,
  };
}
