/** `rdplic inspect FILE`: a license blob (DER, hex, an rdesktop / FreeRDP .cal file, or a NEW_LICENSE_INFO) → its fields. */
import { parseArgs } from 'node:util';
import { inputBytes } from '../tools/input.js';
import { toJson, toTree } from '../tools/json.js';
import { readLicenseBlob, summarizeLicense } from '../tools/license-summary.js';
import { readInput } from './read-input.js';
import type { Command } from './rdplic.js';

const USAGE = `Usage: rdplic inspect FILE|- [--json]

Shows a license: the client's HWID, user and machine, the issuing license server, product and version, validity,
whether it is temporary, its serial and whether its signature verifies. FILE is DER or hex: an rdesktop or FreeRDP
.cal file, a registry ClientLicense value, or a decrypted NEW_LICENSE_INFO.

Example: rdplic inspect ~/.config/freerdp/licenses/*.cal`;

export const inspectCommand: Command = {
  summary: 'show the fields of a license',
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' } } });
    const { license, newLicenseInfo } = readLicenseBlob(inputBytes(readInput(positionals[0])));
    const out = toJson({
      ...summarizeLicense(license),
      ...(newLicenseInfo
        ? { newLicenseInfo: { version: newLicenseInfo.version, scope: newLicenseInfo.scope, companyName: newLicenseInfo.companyName, productId: newLicenseInfo.productId } }
        : {}),
    });
    process.stdout.write(values.json ? JSON.stringify(out, null, 2) + '\n' : toTree(out));
    return 0;
  },
};
