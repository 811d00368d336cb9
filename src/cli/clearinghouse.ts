/**
 * rdplic clearinghouse: runs the emulated Microsoft Clearinghouse (serve), and is its customer-service console:
 * sell licenses, activate by phone/web/fax, install key packs for a License Server ID, recover, deactivate. The console
 * works on the clearinghouse's data folder directly (--data, default ./clearinghouse-data; safe while it serves) or on
 * a running one (--server URL with its admin token).
 */
import { resolve } from 'node:path';
import { systemClock } from '../clock.js';
import { purchaseJson, startClearinghouseApi, installSourceOf, keyPackJson } from '../clearinghouse/api.js';
import { ClearinghouseClient } from '../clearinghouse/client.js';
import type { ActivationMethod, InstallSource, IssuedKeyPack } from '../clearinghouse/clearinghouse.js';
import { ClearinghouseError } from '../clearinghouse/clearinghouse.js';
import { CodeError, KEYPACK_KINDS, PROGRAMS, parseProductVersion, type KeyPackKind, type Program } from '../clearinghouse/codes.js';
import { ClearinghouseNode } from '../clearinghouse/node.js';
import { HttpError } from '../http/json-server.js';
import { adminHttp, resolveServer, type Endpoint } from '../license-server/admin-client.js';
import { accessOptions, apiErrorLine, installSourceFromOptions, table } from './admin.js';
import { parseListen, parseOptions, untilSignal, wholeNumber, type ParsedOptions } from './options.js';
import type { Command } from './rdplic.js';
import { UsageError } from './usage.js';

const USAGE = `Usage: rdplic clearinghouse [serve] [--data DIR] [--listen HOST:PORT] [--log]
       rdplic clearinghouse <action> [--data DIR | --server URL [--token-file FILE] [--server-cert FILE]] [--json]

Actions:
  serve                      run the clearinghouse's HTTPS API (default 127.0.0.1:4444)
  purchase --type per-device|per-user|internet-connector --quantity N --version 5.0 [--program P]
                             P: retail (default: prints a 25-character License Code), select, enterprise, campus,
                             school (prints an agreement number), open (prints license and authorization numbers)
  activate --request-code CODE --method phone|web|fax [--name NAME]
                             prints the License Server ID (the response code) for that server
  install --server-id ID --license-code CODE          prints the Key Pack ID to install on that server
  install --server-id ID --program select|… --agreement N --type T --quantity N --version V
  install --server-id ID --program open --license-number N --authorization A --type T --quantity N --version V
  recover --server-id ID     re-issues every key pack of that server (after it lost its database)
  deactivate --server-id ID  records a server's deactivation
  servers                    activated license servers`;

const SPEC = {
  data: 'string',
  server: 'string',
  'token-file': 'string',
  'server-cert': 'string',
  listen: 'string',
  log: 'boolean',
  json: 'boolean',
  type: 'string',
  quantity: 'string',
  version: 'string',
  program: 'string',
  'request-code': 'string',
  method: 'string',
  name: 'string',
  'server-id': 'string',
  'license-code': 'string',
  agreement: 'string',
  'license-number': 'string',
  authorization: 'string',
} as const;

/** The same operations on a local database or a running clearinghouse. */
interface Console {
  purchase(p: { program: Program; kind: KeyPackKind; quantity: number; version: { major: number; minor: number } }): Promise<Record<string, unknown>>;
  activate(code: string, method: Exclude<ActivationMethod, 'internet'>, name: string): Promise<string>;
  install(id: string, source: InstallSource): Promise<IssuedKeyPack>;
  recover(id: string): Promise<IssuedKeyPack[]>;
  deactivate(id: string): Promise<void>;
  servers(): Promise<Array<{ licenseServerId: string; name: string; method: string; status: string; activatedAt: string; keypacks: number }>>;
  close(): void;
}

function localConsole(dataDir: string): Console {
  const node = new ClearinghouseNode({ dataDir, clock: systemClock });
  const ch = node.clearinghouse;
  return {
    purchase: async (p) => purchaseJson(ch.purchase(p)),
    activate: async (code, method, name) => ch.activateOffline(code, method, name).licenseServerId,
    install: async (id, source) => ch.installKeyPack(id, source),
    recover: async (id) => ch.recover(id),
    deactivate: async (id) => ch.deactivate(id),
    servers: async () => ch.servers().map((s) => ({ ...s, activatedAt: s.activatedAt.toISOString() })),
    close: () => node.close(),
  };
}

function remoteConsole(o: ParsedOptions): Console {
  const access = resolveServer(o.values.server, { ...accessOptions(o), data: o.values.data });
  const http = adminHttp(access);
  const c = new ClearinghouseClient({ url: access.url, token: access.token, ...(access.certificate ? { serverCertificate: access.certificate } : { verifyServer: http.opts.verifyServer }) });
  return {
    purchase: (p) => c.purchase(p),
    activate: async (code, method, name) => (await c.activateOffline(code, method, name)).licenseServerId,
    install: (id, source) => c.installKeyPackByPhone(id, source),
    recover: (id) => c.recover(id),
    deactivate: (id) => c.deactivate(id),
    servers: () => c.servers(),
    close: () => http.close(),
  };
}

function oneOfOption<T extends string>(value: string | undefined, name: string, values: readonly T[], fallback?: T): T {
  const v = value ?? fallback;
  if (v === undefined) throw new UsageError(`--${name} is needed (${values.join(', ')})`);
  if (!values.includes(v as T)) throw new UsageError(`--${name} is one of ${values.join(', ')}, not "${v}"`);
  return v as T;
}

function serverId(o: ParsedOptions): string {
  const id = o.values['server-id'];
  if (!id) throw new UsageError('--server-id LICENSE_SERVER_ID is needed');
  return id;
}

const packRows = (packs: IssuedKeyPack[]) =>
  table(
    ['key pack id', 'type', 'version', 'program', 'quantity', 'issued'],
    packs.map((k) => [k.keypackId, k.kind, `${k.version.major}.${k.version.minor}`, k.program, k.quantity, k.issuedAt.toISOString().slice(0, 10)]),
  );

async function serve(o: ParsedOptions): Promise<number> {
  const dataDir = resolve(o.values.data ?? 'clearinghouse-data');
  const { host, port } = parseListen(o.values.listen ?? '127.0.0.1:4444');
  const node = new ClearinghouseNode({ dataDir, clock: systemClock });
  const fresh = node.newAdminToken;
  const log = o.flags.log ? (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`) : undefined;
  let api;
  try {
    api = await startClearinghouseApi(node, { host, port, log });
  } catch (e) {
    node.close();
    throw new Error(`cannot listen on ${host}:${port}: ${(e as Error).message}`);
  }
  node.folder.writeJson('endpoint.json', { name: 'clearinghouse', url: api.url } satisfies Endpoint);
  process.stdout.write(`clearinghouse listening on ${api.url} (admin token in ${node.folder.file('admin.token')}; certificate ${node.folder.file('https.crt')})\n`);
  if (fresh) process.stdout.write(`admin token (shown once): ${node.adminToken}\n`);
  return untilSignal(async () => {
    await api.close();
    node.close();
  });
}

async function act(c: Console, action: string, o: ParsedOptions): Promise<number> {
  const v = o.values;
  const json = o.flags.json === true;
  const out = (value: unknown, text: string) => process.stdout.write((json ? JSON.stringify(value, null, 2) : text) + '\n');
  switch (action) {
    case 'purchase': {
      const kind = oneOfOption(v.type, 'type', KEYPACK_KINDS);
      const quantity = wholeNumber(v.quantity, 'quantity');
      if (quantity === undefined) throw new UsageError('--quantity N is needed');
      const version = parseProductVersion(v.version ?? '5.0');
      const program = oneOfOption(v.program, 'program', PROGRAMS, 'retail');
      const r = await c.purchase({ program, kind, quantity, version });
      const what =
        'licenseCode' in r
          ? `License Code: ${String(r.licenseCode)}`
          : 'agreementNumber' in r
            ? `${program} agreement number: ${String(r.agreementNumber)}`
            : `Open License number: ${String(r.licenseNumber)}\nauthorization number: ${String(r.authorizationNumber)}`;
      out(r, `${what}\n(${quantity} ${kind} ${version.major}.${version.minor})`);
      return 0;
    }
    case 'activate': {
      const code = v['request-code'];
      if (!code) throw new UsageError('--request-code CODE is needed (the license server prints it: rdplic admin activate --method phone)');
      const method = oneOfOption(v.method, 'method', ['phone', 'web', 'fax'] as const, 'phone');
      const id = await c.activate(code, method, v.name ?? '');
      out({ licenseServerId: id, method }, `License Server ID: ${id}\n(complete with: rdplic admin activate --method ${method} --response ${id})`);
      return 0;
    }
    case 'install': {
      const id = serverId(o);
      const source = installSourceOf(installSourceFromOptions(o));
      const k = await c.install(id, source);
      out(keyPackJson(k), `Key Pack ID: ${k.keypackId}\n(${k.quantity} ${k.kind} ${k.version.major}.${k.version.minor}; install with: rdplic admin install --keypack-id ${k.keypackId})`);
      return 0;
    }
    case 'recover': {
      const packs = await c.recover(serverId(o));
      out(packs.map(keyPackJson), packs.length ? `${packRows(packs)}\n(install with: rdplic admin recover ${packs.map((p) => `--keypack-id ${p.keypackId}`).join(' ')})` : 'no key packs were ever issued to this server');
      return 0;
    }
    case 'deactivate': {
      const id = serverId(o);
      await c.deactivate(id);
      out({ licenseServerId: id, status: 'deactivated' }, `License Server ID ${id} is deactivated (activating the same server again reactivates it with the same ID)`);
      return 0;
    }
    case 'servers': {
      const s = await c.servers();
      out(s, s.length ? table(['license server id', 'name', 'method', 'status', 'activated', 'key packs'], s.map((x) => [x.licenseServerId, x.name || '-', x.method, x.status, x.activatedAt.slice(0, 10), x.keypacks])) : 'no license server was ever activated');
      return 0;
    }
    default:
      throw new UsageError(`unknown action "${action}"; see rdplic clearinghouse --help`);
  }
}

export const clearinghouseCommand: Command = {
  summary: 'run the clearinghouse, or act as its customer service (purchase, activate, install, recover)',
  usage: USAGE,
  async run(argv) {
    const o = parseOptions(argv, SPEC);
    const [action = 'serve', ...rest] = o.positional;
    if (rest.length) throw new UsageError(`unexpected argument "${rest[0]}"`);
    if (action === 'serve') return serve(o);
    const c = o.values.server ? remoteConsole(o) : localConsole(resolve(o.values.data ?? 'clearinghouse-data'));
    try {
      return await act(c, action, o);
    } catch (e) {
      const line = apiErrorLine(e);
      if (line) throw new Error(line);
      if (e instanceof ClearinghouseError || e instanceof CodeError || e instanceof HttpError) throw new Error(e.message);
      throw e;
    } finally {
      c.close();
    }
  },
};
