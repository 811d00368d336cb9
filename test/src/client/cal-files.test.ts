/**
 * Export to and import from the real clients' .cal files (PEERS.md §5): the file names each client uses, the bytes
 * unchanged, and, with the real clients installed, proof that xfreerdp and rdesktop load and present what was exported,
 * and that a license a real client got can be imported and presented by a device.
 */
import t from 'tap';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { decodeLicensingMessage } from '../../../protocol/licensing/index.js';
import {
  RegistryFile,
  calFileName,
  clientHardwareId,
  defaultCalDirectory,
  exportCal,
  importCal,
} from '../../../src/client/index.js';
import { listLicenseEntries, readHardwareId } from '../../../src/registry/mslicensing.js';
import { readRegFile } from '../../../src/registry/reg-file.js';
import { tempDir } from '../../helpers/license-server.js';
import {
  haveRealClients,
  newProfile,
  rdesktopCalPath,
  runRdesktop,
  runXfreerdp,
  startXvfb,
  xfreerdpCalPath,
} from '../../helpers/real-clients.js';
import { device, registryPath } from './helpers/device.js';
import { LicensingTestServer, windowsLikePolicy, type SessionRecord } from './helpers/licensing-server.js';

function presented(s: SessionRecord): Buffer | undefined {
  const m = s.received.find((x) => x.type === 'LICENSE_INFO');
  if (!m) return undefined;
  const msg = decodeLicensingMessage(m.bytes);
  return msg.type === 'LICENSE_INFO' ? msg.body.licenseInfo.data : undefined;
}

t.test('the file names the real clients use (PEERS.md §5, checked against the observed names)', async (t) => {
  t.equal(calFileName('rdesktop', 'labhost'), '42a35a1956a2da77e86b10fcdffa8e1256a05e7d.cal');
  t.equal(calFileName('freerdp', 'frdphost'), 'a988bd0636a610c01f142fe4b5dc13da6e7986c8.cal');
  const p = newProfile('labuser', 'labhost');
  t.equal(calFileName('rdesktop', p.machine), basename(rdesktopCalPath(p)));
  t.equal(calFileName('freerdp', p.machine), basename(xfreerdpCalPath(p)));
  const env = { HOME: p.home, XDG_CONFIG_HOME: join(p.home, '.config') };
  t.equal(defaultCalDirectory('freerdp', env), dirname(xfreerdpCalPath(p)));
  t.equal(defaultCalDirectory('rdesktop', env), dirname(rdesktopCalPath(p)));
  t.equal(defaultCalDirectory('freerdp', { HOME: '/h' }), '/h/.config/freerdp/licenses');
  t.equal(clientHardwareId('freerdp', 'frdphost').toString('hex'), '00000104eb6572c733167005c7436ff9979ab33a', 'PEERS.md §6');
  t.equal(clientHardwareId('rdesktop', 'labhost').toString('hex'), '020000006c6162686f7374000000000000000000', 'PEERS.md §6');
});

t.test('export writes the stored license byte for byte under each client\'s file name; import brings it back', async (t) => {
  const server = await LicensingTestServer.start();
  t.teardown(() => server.stop());
  server.options.policy = windowsLikePolicy(server.licenseServer, { permanentFirst: true });
  const registry = registryPath();
  const got = await device({ registry }).connect('127.0.0.1', server.port);
  t.equal(got.outcome, 'new-license');
  const stored = listLicenseEntries(readRegFile(registry))[0]!.license!;
  const file = new RegistryFile(registry);
  const profile = newProfile('labuser', 'labhost');

  const f = exportCal(file, { format: 'freerdp', machine: 'labhost', dir: dirname(xfreerdpCalPath(profile)) });
  t.equal(f.file, xfreerdpCalPath(profile));
  t.same(readFileSync(f.file), stored, 'FreeRDP file: byte-identical');
  t.equal(f.entry, 'LICENSE000');
  t.equal(f.hwidMatches, false, 'FreeRDP presents its own HWID, not the device\'s');
  const r = exportCal(file, { format: 'rdesktop', machine: 'labhost', dir: dirname(rdesktopCalPath(profile)) });
  t.equal(r.file, rdesktopCalPath(profile));
  t.same(readFileSync(r.file), stored, 'rdesktop file: byte-identical');
  t.throws(() => exportCal(file, { format: 'freerdp', machine: 'x', dir: profile.home, entry: 'LICENSE007' }), { message: 'there is no LICENSE007 in the license store' });

  const other = new RegistryFile(registryPath());
  const imported = await importCal(other, { cal: f.file, adoptHwid: true });
  t.equal(imported.entry, 'LICENSE000');
  t.same(imported.key, { version: 0x00060000, scope: 'microsoft.com', companyName: 'Microsoft Corporation', productId: 'A02' }, 'lookup values from the license');
  t.equal(imported.deviceHwid, got.hwid, '--adopt-hwid takes the HWID the license is bound to');
  t.same(listLicenseEntries(readRegFile(other.path))[0]!.license, stored, 'stored unchanged');
  const again = await device({ registry: other.path, machineName: 'OTHERPC' }).connect('127.0.0.1', server.port);
  t.equal(again.outcome, 'valid-client', 'the importing device presents it and the server accepts it');
  t.same(presented(server.sessions.at(-1)!), stored);

  const replaced = await importCal(other, { cal: r.file });
  t.equal(replaced.replaced, true, 'same product: replaced, not duplicated');
  t.equal(listLicenseEntries(readRegFile(other.path)).length, 1);

  const junk = join(tempDir(), 'junk.cal');
  writeFileSync(junk, 'not a license');
  await t.rejects(importCal(other, { cal: junk }), { message: /junk\.cal: not a license: / });
  writeFileSync(junk, '');
  await t.rejects(importCal(other, { cal: junk }), { message: /junk\.cal: the license file is empty/ });
  writeFileSync(junk, Buffer.alloc(70000));
  await t.rejects(importCal(other, { cal: junk }), { message: /70000 bytes, more than a licensing message can carry/ });
});

t.test('real clients load what export wrote and present it; a license a real client got imports and is presented', { skip: !haveRealClients && 'rdesktop, xfreerdp or Xvfb is not installed' }, async (t) => {
  const display = await startXvfb();
  t.teardown(() => display.stop());
  // The server ends licensing with a DPUm: the real clients then exit instead of waiting for a Demand Active.
  const server = await LicensingTestServer.start({ security: 'rdp', behaviour: 'dpum-after-licensing' });
  t.teardown(() => server.stop());
  server.options.policy = windowsLikePolicy(server.licenseServer, { permanentFirst: true });
  const registry = registryPath();
  await device({ registry }).connect('127.0.0.1', server.port);
  const stored = listLicenseEntries(readRegFile(registry))[0]!.license!;
  const file = new RegistryFile(registry);

  for (const format of ['freerdp', 'rdesktop'] as const) {
    const profile = newProfile('labuser', 'labhost');
    mkdirSync(join(profile.home, '.config'), { recursive: true });
    const dir = format === 'freerdp' ? dirname(xfreerdpCalPath(profile)) : dirname(rdesktopCalPath(profile));
    exportCal(file, { format, machine: profile.machine, dir });
    const before = server.sessions.length;
    const run = format === 'freerdp' ? await runXfreerdp(profile, display.display, server.port, 'rdp') : await runRdesktop(profile, display.display, server.port);
    const session = server.sessions.slice(before).find((s) => s.received.length > 0);
    t.same(session && presented(session), stored, `${format} presented the exported license in CLIENT_LICENSE_INFO`) || t.comment(run.output);
  }

  const profile = newProfile('labuser', 'frdphost');
  const before = server.sessions.length;
  await runXfreerdp(profile, display.display, server.port, 'rdp');
  t.equal(server.sessions[before]?.outcome?.kind, 'new-license', 'xfreerdp got a license from the server');
  const other = new RegistryFile(registryPath());
  const imported = await importCal(other, { cal: xfreerdpCalPath(profile), adoptHwid: true });
  t.equal(imported.deviceHwid, clientHardwareId('freerdp', 'frdphost').toString('hex'), 'the license is bound to FreeRDP\'s HWID, now the device\'s');
  t.same(readHardwareId(readRegFile(other.path)).hwid, clientHardwareId('freerdp', 'frdphost'));
  const r = await device({ registry: other.path, machineName: 'frdphost' }).connect('127.0.0.1', server.port);
  t.equal(r.outcome, 'valid-client');
  t.same(presented(server.sessions.at(-1)!), readFileSync(xfreerdpCalPath(profile)), 'the device presents the file xfreerdp saved');
});
