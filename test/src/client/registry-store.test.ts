/**
 * The registry license store: lookup and replacement rules, bad entries and bad files (BAD-INPUTS.md #9,
 * USER-REPORTS.md #19), and the registry file's format.
 */
import t from 'tap';
import fc from 'fast-check';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { RegistryFile, RegistryFileError, resolveHardwareId, machineHardwareId } from '../../../src/client/index.js';
import { Registry } from '../../../src/registry/registry.js';
import { exportRegText, readRegFile, writeRegFile } from '../../../src/registry/reg-file.js';
import {
  HARDWARE_ID_KEY,
  INVALID_HWID_VALUE,
  INVALID_LICENSE_VALUE,
  STORE_KEY,
  findLicenseEntry,
  listLicenseEntries,
  readHardwareId,
  saveLicenseEntry,
} from '../../../src/registry/mslicensing.js';
import type { RegValue } from '../../../src/registry/registry.js';
import { seededRandom } from '../../../protocol/crypto/index.js';
import { encodeCertsOnlyBundle, parseClientLicense } from '../../../protocol/cal/index.js';
import type { ServerPolicyInfo } from '../../../protocol/session/index.js';
import { device, registryPath } from './helpers/device.js';
import { LicensingTestServer, windowsLikePolicy } from './helpers/licensing-server.js';

const KEY = { version: 0x00060000, scope: 'microsoft.com', companyName: 'Microsoft Corporation', productId: 'A02' };

t.test('a corrupt store entry is skipped, the client asks for a new license, and the bad bytes are kept', async (t) => {
  const server = await LicensingTestServer.start();
  t.teardown(() => server.stop());
  server.options.policy = windowsLikePolicy(server.licenseServer, { permanentFirst: true });
  const cases: Array<[string, RegValue | undefined, RegExp]> = [
    ['empty', { type: 'REG_BINARY', data: Buffer.alloc(0) }, /ClientLicense is empty/],
    ['oversized (65 536 bytes)', { type: 'REG_BINARY', data: Buffer.alloc(65536, 0x30) }, /65536 bytes, more than a licensing message can carry/],
    ['not REG_BINARY', { type: 'REG_SZ', data: 'hello' }, /ClientLicense is REG_SZ, not REG_BINARY/],
    ['not a license', { type: 'REG_BINARY', data: Buffer.from('30820102deadbeef', 'hex') }, /does not decode as a license/],
    ['missing', undefined, /no ClientLicense value/],
  ];
  for (const [name, bad, problem] of cases) {
    t.test(name, async (t) => {
      const registry = registryPath();
      const first = await device({ registry }).connect('127.0.0.1', server.port);
      t.equal(first.storedEntry, 'LICENSE000');
      const file = new RegistryFile(registry);
      await file.update((reg) => {
        const k = reg.open(`${STORE_KEY}\\LICENSE000`)!;
        if (bad) k.setValue('ClientLicense', bad);
        else k.deleteValue('ClientLicense');
        return { changed: true, result: undefined };
      });
      const before = server.sessions.length;
      const r = await device({ registry }).connect('127.0.0.1', server.port);
      t.equal(server.sessions[before]!.received[0]!.type, 'NEW_LICENSE_REQUEST', 'a new license request, not LICENSE_INFO');
      t.equal(r.outcome, 'new-license');
      t.equal(r.presentedEntry, null);
      t.equal(r.rejectedEntries.length, 1);
      t.equal(r.rejectedEntries[0]!.entry, 'LICENSE000');
      t.match(r.rejectedEntries[0]!.problem, problem);
      t.equal(r.storedEntry, 'LICENSE000', 'the fresh license replaces it in the same entry');
      const k = readRegFile(registry).open(`${STORE_KEY}\\LICENSE000`)!;
      t.same(k.getValue(INVALID_LICENSE_VALUE), bad, bad ? 'the bad value is kept as ClientLicense.invalid' : 'nothing to keep');
      const third = await device({ registry }).connect('127.0.0.1', server.port);
      t.equal(third.outcome, 'valid-client', 'and the fresh one is presented next time');
    });
  }
  t.test('lookup values unreadable: the entry is left alone and the new license goes to LICENSE001', async (t) => {
    const registry = registryPath();
    await device({ registry }).connect('127.0.0.1', server.port);
    const file = new RegistryFile(registry);
    await file.update((reg) => {
      reg.setValue(`${STORE_KEY}\\LICENSE000`, 'Version', { type: 'REG_SZ', data: 'six' });
      return { changed: true, result: undefined };
    });
    const before = readRegFile(registry).open(`${STORE_KEY}\\LICENSE000`)!;
    const r = await device({ registry }).connect('127.0.0.1', server.port);
    t.equal(r.outcome, 'new-license');
    t.equal(r.storedEntry, 'LICENSE001');
    const after = readRegFile(registry).open(`${STORE_KEY}\\LICENSE000`)!;
    t.same([...after.values.values()], [...before.values.values()], 'LICENSE000 untouched');
    const entries = listLicenseEntries(readRegFile(registry));
    t.match(entries[0]!.problem, /Version is REG_SZ, not REG_DWORD/);
  });
});

t.test('a license that decodes but is too large for a CLIENT_LICENSE_INFO is not presented (BAD-INPUTS.md #9)', async (t) => {
  const server = await LicensingTestServer.start();
  t.teardown(() => server.stop());
  server.options.policy = windowsLikePolicy(server.licenseServer, { permanentFirst: true });
  const real = parseClientLicense(server.licenseServer.issue({ hwid: Buffer.alloc(20), userName: 'u', machineName: 'm' } as ServerPolicyInfo, false));
  // Filler certificates (SEQUENCE { OCTET STRING }) before the real ones, sized so the bundle is 65 400 bytes: under the
  // store's 65 535 but over what a LICENSE_INFO can carry with a 1024-bit server key (65 535 - 92 - 136 = 65 307).
  const filler = (n: number) => {
    const body = Buffer.concat([Buffer.from([0x04, 0x82, n >> 8, n & 0xff]), Buffer.alloc(n, 0x55)]);
    return Buffer.concat([Buffer.from([0x30, 0x82, body.length >> 8, body.length & 0xff]), body]);
  };
  const make = (last: number) => encodeCertsOnlyBundle([...Array.from({ length: 7 }, () => filler(8000)), filler(last), ...real.certificates]);
  const big = make(8000 - (make(8000).length - 65400));
  t.equal(big.length, 65400);
  t.equal(parseClientLicense(big).signatureValid, true, 'it decodes');
  const registry = registryPath();
  await new RegistryFile(registry).update((reg) => ({ changed: true, result: saveLicenseEntry(reg, KEY, big) }));
  const r = await device({ registry }).connect('127.0.0.1', server.port);
  t.equal(server.sessions[0]!.received[0]!.type, 'NEW_LICENSE_REQUEST');
  t.same(r.rejectedEntries, [{ entry: 'LICENSE000', problem: 'too large for a CLIENT_LICENSE_INFO message' }]);
  t.equal(r.outcome, 'new-license');
  t.equal(r.storedEntry, 'LICENSE000', 'replaced by the fresh license');
});

t.test('a corrupt registry file: a clear one-line error, or (asked for) kept aside and recreated', async (t) => {
  const server = await LicensingTestServer.start();
  t.teardown(() => server.stop());
  const registry = registryPath();
  const junk = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\X]\r\n"A"=hex:zz\r\n', 'utf16le')]);
  writeFileSync(registry, junk);
  const err = await device({ registry }).connect('127.0.0.1', server.port).catch((e: unknown) => e);
  t.type(err, RegistryFileError);
  t.equal((err as RegistryFileError).kind, 'corrupt');
  t.match((err as Error).message, /client\.reg: corrupt registry: line 4: bad hex data$/);
  t.notMatch((err as Error).message, /\n/, 'one line');
  t.equal(server.sessions.length, 0, 'no connection was made');
  t.same(readFileSync(registry), junk, 'the file is untouched');

  const r = await device({ registry, recreateRegistry: true }).connect('127.0.0.1', server.port);
  t.equal(r.outcome, 'valid-client');
  t.same(r.registryRecovered, { backup: `${registry}.corrupt`, problem: (err as Error).message });
  t.same(readFileSync(`${registry}.corrupt`), junk, 'the corrupt file is kept, byte for byte');
  t.ok(readHardwareId(readRegFile(registry)).hwid, 'a new registry with a HWID');

  writeFileSync(registry, Buffer.from('not a registry at all'));
  const again = await device({ registry, recreateRegistry: true }).connect('127.0.0.1', server.port);
  t.equal(again.registryRecovered?.backup, `${registry}.corrupt.1`, 'an earlier backup is not overwritten');
  t.match(again.registryRecovered?.problem, /not a \.reg file/);
});

t.test('an unusable ClientHWID is replaced and kept as ClientHWID.invalid', async (t) => {
  const registry = registryPath();
  const reg = new Registry();
  reg.setValue(HARDWARE_ID_KEY, 'ClientHWID', { type: 'REG_BINARY', data: Buffer.from('0200000001020304', 'hex') });
  writeRegFile(registry, reg);
  const hw = await resolveHardwareId(new RegistryFile(registry), 'random', 'PC1', seededRandom(5));
  t.equal(hw.created, true);
  t.equal(hw.replacedProblem, 'ClientHWID has 8 bytes, not 20');
  const after = readRegFile(registry);
  t.same(readHardwareId(after).hwid, hw.hwid);
  t.same(after.getValue(HARDWARE_ID_KEY, INVALID_HWID_VALUE)?.data, Buffer.from('0200000001020304', 'hex'));
});

t.test('HWIDs: random ones start with PlatformId 2; machine-derived ones are stable; rotate makes a new one each time', async (t) => {
  const file = new RegistryFile(registryPath());
  const a = await resolveHardwareId(file, 'random', 'PC1', seededRandom(1));
  t.equal(a.hwid.readUInt32LE(0), 2);
  t.same((await resolveHardwareId(file, 'random', 'PC1', seededRandom(2))).hwid, a.hwid, 'kept once made');
  t.same((await resolveHardwareId(file, 'machine', 'PC1', seededRandom(2))).hwid, a.hwid, 'the mode only matters when none is stored');
  const m = new RegistryFile(registryPath());
  const h1 = await resolveHardwareId(m, 'machine', 'pc1', seededRandom(3));
  t.same(h1.hwid, machineHardwareId('PC1'), 'derived from the machine name, case-insensitively');
  t.equal(h1.hwid.readUInt32LE(0), 2);
  const r1 = await resolveHardwareId(file, 'rotate', 'PC1', seededRandom(7));
  const r2 = await resolveHardwareId(file, 'rotate', 'PC1', seededRandom(8));
  t.not(r1.hwid.toString('hex'), r2.hwid.toString('hex'));
  t.same(readHardwareId(readRegFile(file.path)).hwid, r2.hwid, 'the latest is stored');
  const fixed = Buffer.from('0200000011111111222222223333333344444444', 'hex');
  t.same((await resolveHardwareId(file, fixed, 'PC1', seededRandom(9))).hwid, fixed);
});

t.test('store rules: lookup by (version, scope, company, product), strings case-insensitive; lowest free entry number', async (t) => {
  const reg = new Registry();
  const lic = (n: number) => Buffer.from([0x30, n]);
  t.equal(saveLicenseEntry(reg, KEY, lic(1)), 'LICENSE000');
  t.equal(saveLicenseEntry(reg, { ...KEY, productId: 'A03' }, lic(2)), 'LICENSE001');
  t.equal(saveLicenseEntry(reg, { ...KEY, scope: 'MICROSOFT.COM' }, lic(3)), 'LICENSE000', 'same key, other case: replaced');
  t.equal(saveLicenseEntry(reg, { ...KEY, version: 0x00050000 }, lic(4)), 'LICENSE002', 'another version is another license');
  reg.delete(`${STORE_KEY}\\LICENSE001`);
  t.equal(saveLicenseEntry(reg, { ...KEY, productId: 'A04' }, lic(5)), 'LICENSE001', 'the lowest free number');
  t.same(listLicenseEntries(reg).map((e) => [e.name, e.key?.productId, e.license?.[1]]), [
    ['LICENSE000', 'A02', 3],
    ['LICENSE001', 'A04', 5],
    ['LICENSE002', 'A02', 4],
  ]);
  reg.create(`${STORE_KEY}\\Other`).setValue('ClientLicense', { type: 'REG_BINARY', data: lic(9) });
  t.equal(listLicenseEntries(reg).length, 3, 'subkeys not named LICENSEnnn are ignored');
  const found = findLicenseEntry(reg, { ...KEY, companyName: 'microsoft corporation' });
  t.equal(found.entry, undefined, 'two-byte blobs do not decode as licenses');
  t.equal(found.rejected[0]?.name, 'LICENSE000');
});

t.test('store round trip through the .reg file (property): what was saved last for each key is found again', async (t) => {
  const key = fc.record({
    version: fc.constantFrom(0x00050000, 0x00060000, 0x000a0001),
    scope: fc.constantFrom('microsoft.com', 'WORKGROUP', 'lab.example'),
    companyName: fc.constantFrom('Microsoft Corporation', 'Contoso "Ltd" \\ Co'),
    productId: fc.constantFrom('A02', 'A03'),
  });
  const registry = registryPath();
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(key, fc.uint8Array({ minLength: 1, maxLength: 300 })), { maxLength: 12 }), async (saves) => {
      const reg = new Registry();
      const last = new Map<string, Buffer>();
      for (const [k, bytes] of saves) {
        saveLicenseEntry(reg, k, bytes);
        last.set(JSON.stringify([k.version, k.scope.toLowerCase(), k.companyName.toLowerCase(), k.productId.toLowerCase()]), Buffer.from(bytes));
      }
      writeRegFile(registry, reg);
      const back = readRegFile(registry);
      t.equal(exportRegText(back), exportRegText(reg));
      const entries = listLicenseEntries(back);
      if (entries.length !== last.size) return false;
      for (const e of entries) {
        const want = last.get(JSON.stringify([e.key!.version, e.key!.scope.toLowerCase(), e.key!.companyName.toLowerCase(), e.key!.productId.toLowerCase()]));
        if (!want || !want.equals(e.license!)) return false;
      }
      return true;
    }),
    { numRuns: 40 },
  );
});

t.test('a registry file written in UTF-8 by hand is read too; a directory or an unreadable file is a clear error', async (t) => {
  const registry = registryPath();
  writeFileSync(registry, 'Windows Registry Editor Version 5.00\n\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\MSLicensing\\HardwareID]\n"ClientHWID"=hex:02,00,00,00,01,02,03,04,05,06,07,08,09,0a,0b,0c,0d,0e,0f,10\n', 'utf8');
  const hw = await resolveHardwareId(new RegistryFile(registry), 'random', 'PC', seededRandom(1));
  t.equal(hw.hwid.toString('hex'), '02000000' + '0102030405060708090a0b0c0d0e0f10');
  t.equal(hw.created, false);
  const dir = registryPath().replace(/client\.reg$/, '');
  t.throws(() => new RegistryFile(dir).read(), { message: /it is a directory, not a registry file/ });
  t.notOk(existsSync(`${registry}.corrupt`));
});
