/**
 * lsreport: the License Reporting tool of the seed ("Terminal Services License Reporting Tool"). Writes the licenses of
 * one or more license servers to a tab-delimited file with a header row:
 *   lsreport [/F filename] [/D start [end]] [/T] [/?] [serverlist]
 * The server list holds URLs or names of the directory (RDPLIC_DIRECTORY, written by `rdplic license-server
 * --directory`); without one, every server of the directory, or RDPLIC_SERVER. Admin tokens come from the directory's
 * data folders or RDPLIC_ADMIN_TOKEN / RDPLIC_ADMIN_TOKEN_FILE.
 */
import { writeFileAtomic } from '../data-folder.js';
import { AdminClient, directoryPath, readDirectory } from '../license-server/admin-client.js';
import type { ReportRowJson } from '../license-server/json-codec.js';
import { LSREPORT_USAGE, formatLsreport, parseLsreportArgs, type LsreportArgs, type LsreportRow } from './lsreport-args.js';
import { oneLine, type Command } from './rdplic.js';
import { UsageError } from './usage.js';

function serverList(args: LsreportArgs): string[] {
  if (args.servers.length) return args.servers;
  const dir = readDirectory(directoryPath());
  if (dir.licenseServers.length) return dir.licenseServers.map((e) => e.name);
  if (process.env.RDPLIC_SERVER) return [process.env.RDPLIC_SERVER];
  throw new UsageError('no license servers to query: name them, set RDPLIC_DIRECTORY (the directory of license servers) or RDPLIC_SERVER');
}

const toRow = (r: ReportRowJson): LsreportRow => ({ ...r, issued: new Date(r.issued), expires: new Date(r.expires) });

/** Runs lsreport; returns the exit code (1 if a server could not be read; the others are still written). */
export async function lsreport(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s)): Promise<number> {
  let args: LsreportArgs;
  try {
    args = parseLsreportArgs(argv);
  } catch (e) {
    err(`lsreport: ${oneLine(e)}\n`);
    return 1;
  }
  if (args.help) {
    out(LSREPORT_USAGE + '\n');
    return 0;
  }
  let servers: string[];
  try {
    servers = serverList(args);
  } catch (e) {
    err(`lsreport: ${oneLine(e)}\n`);
    return 1;
  }
  const rows: LsreportRow[] = [];
  let failed = 0;
  for (const ref of servers) {
    let admin: AdminClient | undefined;
    try {
      admin = AdminClient.connect(ref);
      const r = await admin.report({ temporary: args.temporaryOnly, from: args.start?.toISOString(), to: (args.end ?? (args.start ? new Date() : undefined))?.toISOString() });
      rows.push(...r.rows.map(toRow));
    } catch (e) {
      failed++;
      err(`lsreport: ${ref}: ${oneLine(e)}\n`);
    } finally {
      admin?.http.close();
    }
  }
  try {
    writeFileAtomic(args.file, formatLsreport(rows));
  } catch (e) {
    err(`lsreport: cannot write ${args.file}: ${oneLine(e)}\n`);
    return 1;
  }
  out(`${rows.length} license token(s) from ${servers.length - failed} of ${servers.length} license server(s) written to ${args.file}\n`);
  return failed ? 1 : 0;
}

export const lsreportCommand: Command = {
  summary: 'write the licenses of license servers to a tab-delimited file (lsreport.exe)',
  usage: LSREPORT_USAGE,
  run: (argv) => lsreport(argv),
};

export async function main(argv: string[]): Promise<number> {
  return lsreport(argv);
}
