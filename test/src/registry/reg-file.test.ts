import t from 'tap';
import fc from 'fast-check';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Registry, RegistryError } from '../../../src/registry/registry.js';
import { decodeRegText, exportRegText, importRegText, readRegFile, writeRegFile } from '../../../src/registry/reg-file.js';
import { tempDir } from '../../helpers/license-server.js';

const SAMPLE = [
  'Windows Registry Editor Version 5.00',
  '',
  '[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\MSLicensing]',
  '',
  '[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\MSLicensing\\HardwareID]',
  '"ClientHWID"=hex:02,00,00,00,f1,59,87,3e,c9,d8,98,af,24,02,f8,f3,29,3a,f0,26',
  '',
  '[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\MSLicensing\\Store\\LICENSE000]',
  '"ClientLicense"=hex:30,82,07,95,06,09,2a,86,48,86,f7,0d,01,07,02,a0,82,07,86,30,82,\\',
  '  07,82,02,01,01,31,00',
  '"Version"=dword:00060000',
  '"Scope"="microsoft.com"',
  '@="default \\"quoted\\" \\\\ path"',
  '',
].join('\r\n');

t.test('reads what regedit writes: UTF-16LE with BOM, continuation lines, dword, strings, the default value', async (t) => {
  const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(SAMPLE, 'utf16le')]);
  const reg = importRegText(new Registry(), decodeRegText(bytes));
  const hwid = reg.getValue('HKLM\\SOFTWARE\\Microsoft\\MSLicensing\\HardwareID', 'clienthwid');
  t.same(hwid, { type: 'REG_BINARY', data: Buffer.from('02000000f159873ec9d898af2402f8f3293af026', 'hex') }, 'names are case-insensitive');
  const store = 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\MSLicensing\\Store\\LICENSE000';
  t.equal((reg.getValue(store, 'ClientLicense')!.data as Buffer).length, 28, 'joined across the continuation');
  t.same(reg.getValue(store, 'Version'), { type: 'REG_DWORD', data: 0x60000 });
  t.same(reg.getValue(store, ''), { type: 'REG_SZ', data: 'default "quoted" \\ path' });
  t.same(importRegText(new Registry(), decodeRegText(Buffer.from(SAMPLE, 'utf8'))).getValue(store, 'Scope'), { type: 'REG_SZ', data: 'microsoft.com' }, 'UTF-8 too');
});

t.test('export then import gives the same registry, for every value type (property)', async (t) => {
  const value = fc.oneof(
    fc.record({ type: fc.constant('REG_SZ' as const), data: fc.string({ unit: 'binary' }).filter((s) => !s.includes('\0')) }),
    fc.record({ type: fc.constant('REG_EXPAND_SZ' as const), data: fc.string().filter((s) => !s.includes('\0')) }),
    fc.record({ type: fc.constant('REG_BINARY' as const), data: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)) }),
    fc.record({ type: fc.constant('REG_DWORD' as const), data: fc.integer({ min: 0, max: 0xffffffff }) }),
    fc.record({ type: fc.constant('REG_QWORD' as const), data: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) }),
    fc.record({ type: fc.constant('REG_MULTI_SZ' as const), data: fc.array(fc.string({ minLength: 1 }).filter((s) => !s.includes('\0')), { maxLength: 4 }) }),
  );
  const keyName = fc.stringMatching(/^[A-Za-z0-9 _.-]{1,12}$/);
  fc.assert(
    fc.property(fc.array(fc.tuple(keyName, fc.string({ maxLength: 10 }).filter((s) => !s.includes('\n') && !s.includes('\r')), value), { maxLength: 6 }), (entries) => {
      const reg = new Registry();
      for (const [k, n, v] of entries) reg.setValue(`HKLM\\SOFTWARE\\${k}`, n, v);
      const back = importRegText(new Registry(), exportRegText(reg));
      return exportRegText(back) === exportRegText(reg);
    }),
  );
});

t.test('[-key] deletes a subtree and "name"=- deletes a value', async (t) => {
  const reg = importRegText(new Registry(), SAMPLE);
  importRegText(reg, 'Windows Registry Editor Version 5.00\r\n\r\n[-HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\MSLicensing\\HardwareID]\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\MSLicensing\\Store\\LICENSE000]\r\n"Scope"=-\r\n');
  t.equal(reg.open('HKLM\\SOFTWARE\\Microsoft\\MSLicensing\\HardwareID'), undefined);
  t.equal(reg.getValue('HKLM\\SOFTWARE\\Microsoft\\MSLicensing\\Store\\LICENSE000', 'Scope'), undefined);
  t.ok(reg.getValue('HKLM\\SOFTWARE\\Microsoft\\MSLicensing\\Store\\LICENSE000', 'ClientLicense'));
});

t.test('bad files give a RegistryError naming the line', async (t) => {
  t.throws(() => importRegText(new Registry(), 'hello'), RegistryError);
  t.throws(() => importRegText(new Registry(), 'Windows Registry Editor Version 5.00\r\n[HKLM\\X]\r\n"a"=hex:zz'), /line 3/);
  t.throws(() => importRegText(new Registry(), 'Windows Registry Editor Version 5.00\r\n"a"="b"'), /outside any key/);
  t.throws(() => importRegText(new Registry(), 'Windows Registry Editor Version 5.00\r\n[HKXX\\X]'), /hive/);
});

t.test('files are written as UTF-16LE with a BOM, atomically, mode 0600', async (t) => {
  const dir = tempDir();
  const path = join(dir, 'client.reg');
  const reg = importRegText(new Registry(), SAMPLE);
  writeRegFile(path, reg);
  const bytes = readFileSync(path);
  t.same([...bytes.subarray(0, 2)], [0xff, 0xfe]);
  t.notOk(existsSync(`${path}.new`));
  t.equal(exportRegText(readRegFile(path)), exportRegText(reg));
  writeFileSync(`${path}.new`, 'half a file');
  writeRegFile(path, reg);
  t.equal(exportRegText(readRegFile(path)), exportRegText(reg), 'a leftover temporary file does not matter');
});
