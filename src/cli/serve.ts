/** `rdplic serve`: every role in one process (see src/serve.ts). */
import { parseArgs } from 'node:util';
import { SERVE_DEFAULTS, startServe } from '../serve.js';
import type { Command } from './rdplic.js';
import { oneOf, parseListen, untilSignal, wholeNumber } from './options.js';
import { parseTerminalOptions, TERMINAL_OPTIONS, TERMINAL_USAGE } from './terminal-options.js';

const USAGE = `Usage: rdplic serve [options]

Runs a clearinghouse, a license server and a terminal server in one process. Point an RDP client
(rdesktop, xfreerdp, mstsc) at it: it gets a license, and presents it on its next connection.

  --data DIR                  data folder (default ./data; created on first start, keys mode 0600)
${TERMINAL_USAGE}
                              (--listen default 127.0.0.1:3389)
  --issuance MODE             post-logon (default: a temporary token first, a CAL after a logon) | immediate
  --built-in on|off           built-in tokens for Windows 2000 Professional and later clients (default on)
  --cals N                    TS CALs installed on first start (default ${SERVE_DEFAULTS.cals})
  --clock system|simulated    simulated: time moves only with "rdplic admin --data DIR/license-server clock advance"
  --api HOST:PORT|off         the license server's HTTPS API, for rdplic admin and lsreport (default 127.0.0.1:0,
                              a free port; "rdplic admin --data DIR/license-server" finds it)
  --name NAME                 terminal server name (default ${SERVE_DEFAULTS.name}; the license server is NAME-LS)

Stops cleanly on SIGINT and SIGTERM.`;

export const serveCommand: Command = {
  summary: 'run a clearinghouse, a license server and a terminal server in one process',
  usage: USAGE,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        ...TERMINAL_OPTIONS,
        data: { type: 'string' },
        issuance: { type: 'string' },
        'built-in': { type: 'string' },
        cals: { type: 'string' },
        clock: { type: 'string' },
        name: { type: 'string' },
        api: { type: 'string' },
      },
      strict: true,
    });
    const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);
    const serving = await startServe({
      ...SERVE_DEFAULTS,
      ...parseTerminalOptions(values, `${SERVE_DEFAULTS.host}:${SERVE_DEFAULTS.port}`),
      dataDir: values.data ?? SERVE_DEFAULTS.dataDir,
      clock: oneOf('clock', values.clock, ['system', 'simulated'], 'system'),
      cals: wholeNumber(values.cals, 'cals', 0, 65535) ?? SERVE_DEFAULTS.cals,
      name: values.name ?? SERVE_DEFAULTS.name,
      api: values.api === 'off' ? undefined : values.api ? parseListen(values.api, 'api') : SERVE_DEFAULTS.api,
      licenseServer: {
        postLogonIssuance: oneOf('issuance', values.issuance, ['post-logon', 'immediate'], 'post-logon') === 'post-logon',
        builtInPool: oneOf('built-in', values['built-in'], ['on', 'off'], 'on') === 'on',
      },
      log,
    });
    return untilSignal(() => serving.close(), log);
  },
};
