/**
 * rdplic admin: the Terminal Services Licensing tool of the seed ("Activating the License server, Installing licenses,
 * Viewing license issuance and availability details, de-activating") for a license server reached over its HTTPS API.
 * Also holds the table printer the other license-server commands share.
 */
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../data-folder.js';
import { ApiError } from '../http/json-client.js';
import { AdminClient, type AccessOptions, type LicenseQuery, type StatusJson } from '../license-server/admin-client.js';
import type { KeyPackJson, LicenseJson } from '../license-server/json-codec.js';
import type { Command } from './rdplic.js';
import { parseOptions, wholeNumber, type OptionKind, type ParsedOptions } from './options.js';
import { UsageError } from './usage.js';

// ---------------------------------------------------------------- output

/** A plain text table: a header row, then rows, columns padded. */
export function table(header: string[], rows: Array<Array<string | number>>): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

const day = (iso: string) => iso.slice(0, 10);
const when = (iso: string) => iso.replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');

export function keypackTable(packs: KeyPackJson[]): string {
  if (packs.length === 0) return 'no key packs installed';
  return table(
    ['#', 'key pack id', 'type', 'version', 'program', 'total', 'issued', 'free', 'installed'],
    packs.map((k) => [k.id, k.keypackId, k.type, `${k.product.major}.${k.product.minor}`, k.program, k.total, k.issued, k.free, day(k.installedAt)]),
  );
}

export function licenseTable(licenses: LicenseJson[]): string {
  if (licenses.length === 0) return 'no licenses';
  return table(
    ['id', 'kind', 'state', 'machine', 'user', 'terminal server', 'issued', 'expires', 'hwid'],
    licenses.map((l) => [
      l.id,
      l.kind,
      l.state + (l.kind === 'temporary' && l.validated && l.state === 'active' ? ' (validated)' : ''),
      l.machine || '-',
      l.user || '-',
      l.terminalServer || '-',
      when(l.issuedAt),
      when(l.expiresAt),
      l.hwid ?? '-',
    ]),
  );
}

function statusText(s: StatusJson): string {
  const lines = [
    `license server  ${s.name} (scope ${s.scope})`,
    `activated       ${s.activated ? `yes, ${s.activationMethod} (License Server ID ${s.licenseServerId})` : s.licenseServerId ? `no (deactivated; License Server ID ${s.licenseServerId})` : 'no: issues temporary licenses only'}`,
    `clock           ${s.clock.kind}, ${when(s.clock.now)}`,
    `clearinghouse   ${s.clearinghouse ?? '(none configured)'}`,
    `active licenses ${Object.entries(s.licenses).map(([k, n]) => `${k} ${n}`).join(', ')}`,
    `terminal servers ${s.terminalServers} enrolled; peers ${s.peers.map((p) => `${p.name} ${p.url}`).join(', ') || 'none'}`,
    '',
    keypackTable(s.keypacks),
  ];
  return lines.join('\n');
}

// ---------------------------------------------------------------- the command

const USAGE = `Usage: rdplic admin (--server URL|NAME | --data DIR) [--token-file FILE] [--server-cert FILE] [--json] <action>

Actions:
  status                                 activation, clock, key packs, license counts
  activate [--method internet]           Internet method, through the server's clearinghouse
  activate --method phone|web|fax        prints the request code to give the clearinghouse
  activate --method phone --response ID  completes it with the License Server ID it answered
  deactivate [--method internet|phone]   stop issuing CALs (internet: the clearinghouse is told too)
  install --license-code CODE            retail (License Pak); Internet method
  install --program select|enterprise|campus|school --agreement N --type T --quantity N --version V
  install --program open --license-number N --authorization A --type T --quantity N --version V
  install --keypack-id ID                a Key Pack ID the clearinghouse gave by phone, web or fax
  recover [--keypack-id ID]...           after a lost database: the clearinghouse re-issues this server's key packs
  keypacks                               installed key packs, issued and free
  licenses [--kind K] [--state S] [--temporary] [--hwid HEX] [--machine M] [--user U] [--from DATE] [--to DATE] [--limit N]
  revoke LICENSE_ID                      return a per-device CAL to the pool (at most 20% of a version)
  servers                                enrolled terminal servers, peers, enrolment tokens
  enrol NAME [--ttl 1d]                  a one-time enrolment token for terminal server NAME
  unenrol NAME                           forget an enrolled terminal server
  peer add NAME URL | peer remove NAME   license servers to redirect to when no CAL is left
  backup FILE | restore FILE             the license database
  events [--limit N]                     the license server's event log
  clock now | clock advance DURATION     simulated clock (e.g. 90d, 2h, 1d12h)
  check                                  consistency of the token pool
Types: per-device, per-user, internet-connector. Without --server-cert the server is trusted on first use.`;

const SPEC = {
  server: 'string',
  data: 'string',
  'token-file': 'string',
  'server-cert': 'string',
  directory: 'string',
  json: 'boolean',
  method: 'string',
  response: 'string',
  'license-code': 'string',
  program: 'string',
  agreement: 'string',
  'license-number': 'string',
  authorization: 'string',
  type: 'string',
  quantity: 'string',
  version: 'string',
  'keypack-id': 'list',
  kind: 'string',
  state: 'string',
  temporary: 'boolean',
  hwid: 'string',
  machine: 'string',
  user: 'string',
  from: 'string',
  to: 'string',
  limit: 'string',
  ttl: 'string',
} as const satisfies Record<string, OptionKind>;

export function accessOptions(o: ParsedOptions): AccessOptions {
  return { data: o.values.data, tokenFile: o.values['token-file'], serverCertFile: o.values['server-cert'], directory: o.values.directory };
}

/** The install body from options (shared with `rdplic clearinghouse install`). */
export function installSourceFromOptions(o: ParsedOptions): Record<string, unknown> {
  const v = o.values;
  if (v['license-code']) return { licenseCode: v['license-code'] };
  const program = v.program;
  if (!program) throw new UsageError('say what to install: --license-code CODE, --program … with its numbers, or --keypack-id ID');
  const need = (k: string) => {
    if (!v[k]) throw new UsageError(`--program ${program} needs --${k}`);
    return v[k]!;
  };
  const common = { type: need('type'), quantity: wholeNumber(need('quantity'), 'quantity'), version: need('version') };
  if (program === 'open') return { program, licenseNumber: need('license-number'), authorizationNumber: need('authorization'), ...common };
  if (!['select', 'enterprise', 'campus', 'school'].includes(program)) throw new UsageError(`--program is select, enterprise, campus, school or open here (retail: --license-code)`);
  return { program, agreementNumber: need('agreement'), ...common };
}

function print(json: boolean, value: unknown, text: () => string): void {
  process.stdout.write((json ? JSON.stringify(value, null, 2) : text()) + '\n');
}

async function runAction(admin: AdminClient, o: ParsedOptions): Promise<number> {
  const [action, ...args] = o.positional;
  const json = o.flags.json === true;
  const v = o.values;
  const arity = (n: number, usage: string) => {
    if (args.length !== n) throw new UsageError(`usage: rdplic admin ${usage}`);
  };
  switch (action) {
    case 'status': {
      arity(0, 'status');
      const s = await admin.status();
      print(json, s, () => statusText(s));
      return 0;
    }
    case 'activate': {
      arity(0, 'activate [--method M] [--response ID]');
      const method = v.method ?? 'internet';
      if (method !== 'internet' && !v.response) {
        const code = await admin.requestCode();
        print(json, { requestCode: code, method }, () =>
          [
            `request code: ${code}`,
            `Give it to the clearinghouse (${method}): rdplic clearinghouse activate --request-code ${code} --method ${method}`,
            `then complete:                       rdplic admin activate --method ${method} --response LICENSE_SERVER_ID`,
          ].join('\n'),
        );
        return 0;
      }
      const s = await admin.activate(method, method === 'internet' ? undefined : v.response);
      print(json, s, () => `activated: License Server ID ${s.licenseServerId} (${s.activationMethod})`);
      return 0;
    }
    case 'deactivate': {
      arity(0, 'deactivate [--method internet|phone]');
      const s = await admin.deactivate(v.method ?? 'internet');
      print(json, s, () =>
        v.method && v.method !== 'internet'
          ? `deactivated. Tell the clearinghouse: rdplic clearinghouse deactivate --server-id ${s.licenseServerId}`
          : `deactivated (the clearinghouse was told); License Server ID ${s.licenseServerId}`,
      );
      return 0;
    }
    case 'install': {
      arity(0, 'install (--license-code CODE | --program … | --keypack-id ID)');
      const ids = o.lists['keypack-id'] ?? [];
      if (ids.length > 1) throw new UsageError('install one --keypack-id at a time (or use recover --keypack-id …)');
      const k = await admin.install(ids.length === 1 ? { keypackId: ids[0] } : installSourceFromOptions(o));
      print(json, k, () => `installed key pack ${k.keypackId}: ${k.total} ${k.type} ${k.product.major}.${k.product.minor} (${k.program})`);
      return 0;
    }
    case 'recover': {
      arity(0, 'recover [--keypack-id ID]...');
      const r = await admin.recover(o.lists['keypack-id']);
      print(json, r, () =>
        [`recovered ${r.installed.length} key pack(s)${r.alreadyInstalled.length ? `; ${r.alreadyInstalled.length} were installed already` : ''}`, ...(r.installed.length ? [keypackTable(r.installed)] : [])].join('\n'),
      );
      return 0;
    }
    case 'keypacks': {
      arity(0, 'keypacks');
      const k = await admin.keypacks();
      print(json, k, () => keypackTable(k));
      return 0;
    }
    case 'licenses': {
      arity(0, 'licenses [filters]');
      const q: LicenseQuery = {
        kind: v.kind,
        state: v.state,
        hwid: v.hwid,
        machine: v.machine,
        user: v.user,
        from: v.from,
        to: v.to,
        temporary: o.flags.temporary,
        limit: wholeNumber(v.limit, 'limit', 1, 1_000_000),
      };
      const r = await admin.licenses(q);
      print(json, r, () => `${licenseTable(r.licenses)}\n${r.licenses.length} of ${r.total} license(s)`);
      return 0;
    }
    case 'revoke': {
      arity(1, 'revoke LICENSE_ID');
      if (!/^\d+$/.test(args[0]!)) throw new UsageError('revoke takes a license id (a number; see rdplic admin licenses)');
      const r = await admin.revoke(Number(args[0]));
      print(json, r, () => `revoked license ${r.license.id} (${r.license.machine || r.license.hwid}); ${r.revokable} more revocation(s) allowed now for version ${r.license.product.major}.${r.license.product.minor}`);
      return 0;
    }
    case 'servers': {
      arity(0, 'servers');
      const s = await admin.servers();
      print(json, s, () =>
        [
          s.terminalServers.length ? table(['terminal server', 'enrolled', 'last seen'], s.terminalServers.map((t) => [t.name, when(t.enrolledAt), t.lastSeenAt ? when(t.lastSeenAt) : '-'])) : 'no enrolled terminal servers',
          '',
          s.peers.length ? table(['peer', 'url', 'certificate'], s.peers.map((p) => [p.name, p.url, p.pinned ? 'pinned' : 'not contacted yet'])) : 'no peers',
        ].join('\n'),
      );
      return 0;
    }
    case 'enrol': {
      arity(1, 'enrol NAME [--ttl 1d]');
      const t = await admin.enrolmentToken(args[0], v.ttl);
      print(json, t, () => `enrolment token for ${t.name} (one use, until ${when(t.expiresAt)}):\n${t.token}`);
      return 0;
    }
    case 'unenrol': {
      arity(1, 'unenrol NAME');
      await admin.removeTerminalServer(args[0]!);
      print(json, { removed: args[0] }, () => `${args[0]} is no longer enrolled`);
      return 0;
    }
    case 'peer': {
      const [sub, name, url] = args;
      if (sub === 'add' && name && url && args.length === 3) {
        await admin.setPeer(name, url);
        print(json, { peer: name, url }, () => `peer ${name} at ${url} (its certificate is pinned on first contact)`);
        return 0;
      }
      if (sub === 'remove' && name && args.length === 2) {
        await admin.removePeer(name);
        print(json, { removed: name }, () => `peer ${name} removed`);
        return 0;
      }
      throw new UsageError('usage: rdplic admin peer add NAME URL | peer remove NAME');
    }
    case 'backup': {
      arity(1, 'backup FILE');
      const bytes = await admin.backup();
      writeFileAtomic(args[0]!, bytes, 0o600);
      print(json, { file: args[0], bytes: bytes.length }, () => `backup written to ${args[0]} (${bytes.length} bytes)`);
      return 0;
    }
    case 'restore': {
      arity(1, 'restore FILE');
      let bytes: Buffer;
      try {
        bytes = readFileSync(args[0]!);
      } catch (e) {
        throw new UsageError(`cannot read ${args[0]}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      const r = await admin.restore(bytes);
      print(json, r, () => `restored ${args[0]}: ${r.keypacks} key pack(s), ${r.licenses} license record(s)`);
      return 0;
    }
    case 'events': {
      arity(0, 'events [--limit N]');
      const e = await admin.events(wholeNumber(v.limit, 'limit', 1, 100_000) ?? 1000);
      print(json, e, () => eventsText(e));
      return 0;
    }
    case 'clock': {
      const [sub, by] = args;
      if (sub === 'now' && args.length === 1) {
        const c = await admin.clock();
        print(json, c, () => `${c.now} (${c.kind} clock)`);
        return 0;
      }
      if (sub === 'advance' && by && args.length === 2) {
        const c = await admin.advanceClock(by);
        print(json, c, () => `${c.now} (simulated clock)`);
        return 0;
      }
      throw new UsageError('usage: rdplic admin clock now | clock advance DURATION');
    }
    case 'check': {
      arity(0, 'check');
      const p = await admin.check();
      print(json, { problems: p }, () => (p.length ? p.join('\n') : 'consistent: every token is free or held by one active license'));
      return p.length ? 2 : 0;
    }
    case undefined:
      throw new UsageError(`say what to do\n${USAGE}`);
    default:
      throw new UsageError(`unknown action "${action}"; see rdplic admin --help`);
  }
}

export function eventsText(events: Array<{ at: string; eventId: number; level: string; message: string }>): string {
  if (events.length === 0) return 'no events';
  return table(['time', 'id', 'level', 'message'], events.map((e) => [when(e.at), e.eventId, e.level, e.message]));
}

/** An API refusal as one line: "409: …". */
export function apiErrorLine(e: unknown): string | undefined {
  if (e instanceof ApiError) return `${e.message} (HTTP ${e.status})`;
  return undefined;
}

export const adminCommand: Command = {
  summary: 'administer a license server: activate, install, keypacks, licenses, revoke, backup, clock',
  usage: USAGE,
  async run(argv) {
    const o = parseOptions(argv, SPEC);
    const admin = AdminClient.connect(o.values.server, accessOptions(o));
    try {
      return await runAction(admin, o);
    } catch (e) {
      const line = apiErrorLine(e);
      if (line) {
        process.stderr.write(`rdplic admin: ${line}\n`);
        return 1;
      }
      throw e;
    } finally {
      admin.http.close();
    }
  },
};
