/** `rdplic decode [FILE|-]`: a licensing PDU (TPKT frame, security header + message, or bare message) as named fields. */
import { parseArgs } from 'node:util';
import { rsaPrivateKeyFromPem } from '../../protocol/crypto/index.js';
import { decodeAny, type Secrets } from '../tools/decode.js';
import { hexOption, inputBytes } from '../tools/input.js';
import { toJson, toTree } from '../tools/json.js';
import { readInput } from './read-input.js';
import type { Command } from './rdplic.js';

const USAGE = `Usage: rdplic decode [FILE|-] [--json] [secrets]

Decodes a licensing PDU given as hex text (whitespace and # comment lines allowed) or raw bytes: a whole TPKT frame,
a security header + message, or a bare message (from LICENSE_PREAMBLE). Prints a tree, or JSON with --json.

Secrets (hex) decrypt every encrypted field and check every MAC:
  --client-random HEX   --server-random HEX   --premaster HEX    (randoms found in the message are used by default)
  --server-key FILE     the terminal server's private key (PEM): decrypts the premaster of a client message
  --licensing-key HEX --mac-salt-key HEX    the derived keys themselves

Example: rdplic decode test/vectors/rdpele-4.1-server-license-request.hex`;

export const decodeCommand: Command = {
  summary: 'decode a licensing PDU',
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: 'boolean' },
        'client-random': { type: 'string' },
        'server-random': { type: 'string' },
        premaster: { type: 'string' },
        'server-key': { type: 'string' },
        'licensing-key': { type: 'string' },
        'mac-salt-key': { type: 'string' },
      },
    });
    const secrets: Secrets = {
      clientRandom: values['client-random'] ? hexOption('client-random', values['client-random'], 32) : undefined,
      serverRandom: values['server-random'] ? hexOption('server-random', values['server-random'], 32) : undefined,
      premaster: values.premaster ? hexOption('premaster', values.premaster, 48) : undefined,
      serverKey: values['server-key'] ? rsaPrivateKeyFromPem(readInput(values['server-key'])) : undefined,
      licensingKey: values['licensing-key'] ? hexOption('licensing-key', values['licensing-key'], 16) : undefined,
      macSaltKey: values['mac-salt-key'] ? hexOption('mac-salt-key', values['mac-salt-key'], 16) : undefined,
    };
    const decoded = toJson(decodeAny(inputBytes(readInput(positionals[0] ?? '-')), secrets));
    process.stdout.write(values.json ? JSON.stringify(decoded, null, 2) + '\n' : toTree(decoded));
    return 0;
  },
};
