import { UsageError } from './usage.js';

/**
 * Arguments of lsreport, exactly as the seed gives them ("Terminal Services License Reporting Tool"):
 *   lsreport [/F filename] [/D start [end]] [/T] [/?] [serverlist]
 * Options are case-insensitive and may also be written -f, -d, -t, -?.
 */
export interface LsreportArgs {
  file: string;
  start?: Date;
  end?: Date;
  temporaryOnly: boolean;
  servers: string[];
  help: boolean;
}


export const LSREPORT_USAGE = `Usage: lsreport [/F filename] [/D start [end]] [/T] [/?] [serverlist]

  /F filename     write the report to filename (default lsreport.txt)
  /D start [end]  only license tokens issued between start and end (end defaults to now);
                  dates as YYYY-MM-DD or M/D/YYYY
  /T              only temporary tokens
  serverlist      license servers to query (names from the directory file, or https://host:port URLs);
                  default: the license servers of the directory, or the one in RDPLIC_SERVER
  /?              this summary
Options may also be written -f, -d, -t, -?.`;

const isOption = (a: string) => /^[/-]/.test(a) && a.length === 2;

/** Parses a date as YYYY-MM-DD (UTC) or M/D/YYYY. */
export function parseReportDate(text: string, endOfDay = false): Date | undefined {
  let y: number, m: number, d: number;
  let match = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(text);
  if (match) [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  else if ((match = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(text))) [m, d, y] = [Number(match[1]), Number(match[2]), Number(match[3])];
  else return undefined;
  const t = Date.UTC(y, m - 1, d);
  const date = new Date(t);
  if (date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return undefined;
  return endOfDay ? new Date(t + 86_400_000 - 1) : date;
}

export function parseLsreportArgs(argv: string[]): LsreportArgs {
  const out: LsreportArgs = { file: 'lsreport.txt', temporaryOnly: false, servers: [], help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!isOption(a)) {
      out.servers.push(a);
      continue;
    }
    switch (a[1]!.toLowerCase()) {
      case 'f': {
        const f = argv[++i];
        if (f === undefined || isOption(f)) throw new UsageError('/F needs a file name');
        out.file = f;
        break;
      }
      case 'd': {
        const s = argv[++i];
        const start = s === undefined ? undefined : parseReportDate(s);
        if (!start) throw new UsageError(`/D needs a start date (YYYY-MM-DD or M/D/YYYY)${s === undefined ? '' : `, not "${s}"`}`);
        out.start = start;
        const e = argv[i + 1];
        const end = e === undefined ? undefined : parseReportDate(e, true);
        if (end) {
          out.end = end;
          i++;
        }
        if (out.end && out.end < out.start) throw new UsageError('/D end date is before the start date');
        break;
      }
      case 't':
        out.temporaryOnly = true;
        break;
      case '?':
      case 'h':
        out.help = true;
        break;
      default:
        throw new UsageError(`unknown option ${a}\n${LSREPORT_USAGE}`);
    }
  }
  return out;
}

/** The report's columns, in order. */
export const LSREPORT_COLUMNS = ['server', 'key pack id', 'license id', 'type', 'HWID', 'machine', 'user', 'issued', 'expires', 'state'] as const;

export interface LsreportRow {
  server: string;
  keypackId: string;
  licenseId: number;
  type: string;
  hwid: string;
  machine: string;
  user: string;
  issued: Date;
  expires: Date;
  state: string;
}

const clean = (s: string) => s.replace(/[\t\r\n]/g, ' ');

/** Tab-delimited, one header row, one row per license token, CRLF line ends as the Windows tool wrote them. */
export function formatLsreport(rows: LsreportRow[]): string {
  const lines = [LSREPORT_COLUMNS.join('\t')];
  for (const r of rows) {
    lines.push(
      [r.server, r.keypackId, String(r.licenseId), r.type, r.hwid, r.machine, r.user, r.issued.toISOString(), r.expires.toISOString(), r.state]
        .map(clean)
        .join('\t'),
    );
  }
  return lines.join('\r\n') + '\r\n';
}
