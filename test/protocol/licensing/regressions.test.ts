/**
 * Replays every input kept under test/fixtures/regressions/licensing/ (fuzz crashes and the malformed inputs of
 * BAD-INPUTS.md): decoding throws nothing but DecodeError (or decodes and re-encodes identically), and neither session
 * rejects it. `*.plain.bin` files are decrypted NEW_LICENSE_INFO plaintexts; the others are licensing messages.
 * To keep a new crash: save the input there as <what>.bin.
 */
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { decodeLicensingMessage, decodeNewLicenseInfoBytes, encodeLicensingMessage } from '../../../protocol/licensing/index.js';
import { DecodeError } from '../../../protocol/wire/index.js';
import { makeClient, makeServer } from '../session/fixtures/helpers.js';

const DIR = fileURLToPath(new URL('../../fixtures/regressions/licensing/', import.meta.url));
const files = readdirSync(DIR).filter((f) => f.endsWith('.bin')).sort();

t.test('the regression folder is not empty', async (t) => {
  t.ok(files.length > 0);
});

for (const file of files) {
  t.test(`regression ${file}`, async (t) => {
    const data = readFileSync(join(DIR, file));
    if (file.endsWith('.plain.bin')) {
      t.throws(() => decodeNewLicenseInfoBytes(data), DecodeError);
      return;
    }
    try {
      const msg = decodeLicensingMessage(data);
      t.same(encodeLicensingMessage(msg), data, 'decodes and re-encodes identically');
    } catch (e) {
      t.type(e, DecodeError, 'only DecodeError');
    }
    const server = makeServer();
    server.start();
    const s = await server.receive(data);
    for (const out of s.send) decodeLicensingMessage(out);
    const client = makeClient();
    const c = await client.receive(data);
    t.ok(c.state === 'ABORTED' || c.state === 'COMPLETED', `client ends: ${c.outcome?.kind}`);
  });
}
