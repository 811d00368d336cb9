/**
 * Client devices over real TCP on 127.0.0.1 against a terminal server made of ServerConnection + ServerLicensing that
 * issues real CALs: the licensing flows, the registry store between connections, and how connections end.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { parseClientLicense } from '../../../protocol/cal/index.js';
import { decodeLicensingMessage, ERR_NO_LICENSE_SERVER, ST_TOTAL_ABORT } from '../../../protocol/licensing/index.js';
import { readRegFile } from '../../../src/registry/reg-file.js';
import { HARDWARE_ID_KEY, STORE_KEY, listLicenseEntries, readHardwareId } from '../../../src/registry/mslicensing.js';
import { device, registryPath } from './helpers/device.js';
import { LicensingTestServer, windowsLikePolicy } from './helpers/licensing-server.js';

async function withServer<T>(options: ConstructorParameters<typeof LicensingTestServer>[0], fn: (s: LicensingTestServer) => Promise<T>): Promise<T> {
  const server = await LicensingTestServer.start(options);
  try {
    return await fn(server);
  } finally {
    await server.stop();
  }
}

for (const security of ['tls', 'rdp'] as const) {
  t.test(`new-license then valid-client across two connections with one registry file (${security})`, async (t) => {
    const server = await LicensingTestServer.start({ security: security === 'tls' ? 'negotiate' : 'rdp' });
    t.teardown(() => server.stop());
    server.options.policy = windowsLikePolicy(server.licenseServer, { permanentFirst: true });
    const registry = registryPath();

    const first = await device({ registry, security }).connect('127.0.0.1', server.port);
    t.equal(first.outcome, 'new-license');
    t.equal(first.exitCode, 0);
    t.equal(first.security, security);
    t.equal(first.hwidCreated, true);
    t.equal(first.presentedEntry, null);
    t.equal(first.storedEntry, 'LICENSE000');
    t.same(server.sessions[0]!.received.map((m) => m.type), ['NEW_LICENSE_REQUEST', 'PLATFORM_CHALLENGE_RESPONSE']);
    t.equal(server.sessions[0]!.outcome?.kind, 'new-license');
    t.match(server.sessions[0]!.closedBy, /client: Disconnect Provider Ultimatum/, 'the client ended with a DPUm');
    t.equal(first.license?.machine, 'LABHOST');
    t.equal(first.license?.user, 'labuser');
    t.equal(first.license?.hwid, first.hwid, 'the CAL is bound to the device HWID');
    t.equal(first.license?.hwidMatchesDevice, true);
    t.equal(first.license?.signatureValid, true);
    t.equal(first.license?.temporary, false);
    t.equal(first.license?.issuer, 'TESTLS');

    const second = await device({ registry, security }).connect('127.0.0.1', server.port);
    t.equal(second.outcome, 'valid-client');
    t.equal(second.errorCodeName, 'STATUS_VALID_CLIENT');
    t.equal(second.stateTransitionName, 'ST_NO_TRANSITION');
    t.equal(second.hwid, first.hwid, 'same HWID from the registry');
    t.equal(second.hwidCreated, false);
    t.equal(second.presentedEntry, 'LICENSE000');
    t.same(second.license, first.license, 'it holds the same license');
    const info = server.sessions[1]!.received[0]!;
    t.equal(info.type, 'LICENSE_INFO');
    const msg = decodeLicensingMessage(info.bytes);
    if (msg.type !== 'LICENSE_INFO') throw new Error(msg.type);
    const stored = listLicenseEntries(readRegFile(registry))[0]!.license!;
    t.same(msg.body.licenseInfo.data, stored, 'the stored license is presented byte for byte');
    t.same(server.sessions[1]!.outcome?.hwid?.toString('hex'), first.hwid, 'and the server decrypted the same HWID');
  });
}

t.test('upgrade: a temporary CAL is replaced in the same LICENSE000 by an UPGRADE_LICENSE, then accepted', async (t) => {
  const server = await LicensingTestServer.start();
  t.teardown(() => server.stop());
  server.options.policy = windowsLikePolicy(server.licenseServer);
  const registry = registryPath();
  const first = await device({ registry }).connect('127.0.0.1', server.port);
  t.equal(first.outcome, 'new-license');
  t.equal(first.license?.temporary, true);
  const second = await device({ registry }).connect('127.0.0.1', server.port);
  t.equal(second.outcome, 'upgrade-license');
  t.equal(second.exitCode, 0);
  t.equal(second.presentedEntry, 'LICENSE000');
  t.equal(second.storedEntry, 'LICENSE000', 'replaced in place');
  t.equal(second.license?.temporary, false);
  t.not(second.license?.serialNumber, first.license?.serialNumber);
  t.same(server.sessions[1]!.received.map((m) => m.type), ['LICENSE_INFO', 'PLATFORM_CHALLENGE_RESPONSE']);
  const entries = listLicenseEntries(readRegFile(registry));
  t.equal(entries.length, 1, 'still one entry');
  t.equal(parseClientLicense(entries[0]!.license!).temporary, false);
  const third = await device({ registry }).connect('127.0.0.1', server.port);
  t.equal(third.outcome, 'valid-client');
});

t.test('denied: the error code and state transition by name, exit code 3, nothing stored', async (t) => {
  await withServer({ policy: { onNewLicenseRequest: () => ({ action: 'deny', errorCode: ERR_NO_LICENSE_SERVER, stateTransition: ST_TOTAL_ABORT }) } }, async (server) => {
    const r = await device().connect('127.0.0.1', server.port);
    t.equal(r.outcome, 'denied');
    t.equal(r.exitCode, 3);
    t.equal(r.errorCode, ERR_NO_LICENSE_SERVER);
    t.equal(r.errorCodeName, 'ERR_NO_LICENSE_SERVER');
    t.equal(r.stateTransitionName, 'ST_TOTAL_ABORT');
    t.equal(r.storedEntry, null);
    t.equal(r.license, null);
  });
});

t.test('--logon: ok sends the password, fail sends none', async (t) => {
  await withServer({}, async (server) => {
    await device({ password: 'secret' }).connect('127.0.0.1', server.port);
    const fail = device();
    delete (fail.options as { password?: string }).password;
    await fail.connect('127.0.0.1', server.port);
    t.equal(server.sessions[0]!.password, 'secret');
    t.equal(server.sessions[0]!.clientInfo?.userName, 'labuser');
    t.equal(server.sessions[1]!.password, '');
  });
});

t.test('the registry file is a regedit 5.00 file (UTF-16LE, BOM) with the documented keys and values', async (t) => {
  await withServer({}, async (server) => {
    server.options.policy = windowsLikePolicy(server.licenseServer);
    const registry = registryPath();
    const r = await device({ registry }).connect('127.0.0.1', server.port);
    const bytes = readFileSync(registry);
    t.same([...bytes.subarray(0, 2)], [0xff, 0xfe], 'BOM');
    const text = bytes.subarray(2).toString('utf16le');
    t.ok(text.startsWith('Windows Registry Editor Version 5.00\r\n'));
    t.match(text, /\[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\MSLicensing\\HardwareID\]\r\n"ClientHWID"=hex:02,00,00,00,/);
    t.match(text, /\[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\MSLicensing\\Store\\LICENSE000\]\r\n"ClientLicense"=hex:30,82,/);
    t.match(text, /"Version"=dword:00060000\r\n"Scope"="microsoft.com"\r\n"CompanyName"="Microsoft Corporation"\r\n"ProductId"="A02"/);
    const reg = readRegFile(registry);
    t.equal(readHardwareId(reg).hwid?.toString('hex'), r.hwid);
    const entry = reg.open(`${STORE_KEY}\\LICENSE000`)!;
    t.same(entry.getValue('ClientLicense')?.data, listLicenseEntries(reg)[0]!.license);
    t.same(r.license && Buffer.from(r.license.hwid!, 'hex'), Buffer.from(r.hwid, 'hex'));
  });
});

t.test('deleting the HardwareID key gives a new HWID and a fresh license (the seed\'s fix for event 1003)', async (t) => {
  const server = await LicensingTestServer.start();
  t.teardown(() => server.stop());
  server.options.policy = windowsLikePolicy(server.licenseServer, { permanentFirst: true });

  t.test('only HardwareID deleted: the old CAL is presented with the new HWID and replaced', async (t) => {
    const registry = registryPath();
    const first = await device({ registry }).connect('127.0.0.1', server.port);
    const { deleteHardwareId } = await import('../../../src/registry/mslicensing.js');
    const { RegistryFile } = await import('../../../src/client/index.js');
    await new RegistryFile(registry).update((reg) => ({ changed: deleteHardwareId(reg), result: undefined }));
    t.equal(readRegFile(registry).open(HARDWARE_ID_KEY), undefined);
    const second = await device({ registry }).connect('127.0.0.1', server.port);
    t.equal(second.hwidCreated, true);
    t.not(second.hwid, first.hwid, 'a new HWID');
    t.equal(second.outcome, 'upgrade-license', 'the server re-issued the license through the upgrade flow');
    t.equal(second.license?.hwid, second.hwid, 'the fresh license is bound to the new HWID');
    t.not(second.license?.serialNumber, first.license?.serialNumber);
  });

  t.test('the whole MSLicensing key deleted: a new HWID and a NEW_LICENSE', async (t) => {
    const registry = registryPath();
    const first = await device({ registry }).connect('127.0.0.1', server.port);
    const { RegistryFile } = await import('../../../src/client/index.js');
    await new RegistryFile(registry).update((reg) => ({ changed: reg.delete('HKLM\\SOFTWARE\\Microsoft\\MSLicensing'), result: undefined }));
    const second = await device({ registry }).connect('127.0.0.1', server.port);
    t.not(second.hwid, first.hwid);
    t.equal(second.outcome, 'new-license');
    t.equal(second.presentedEntry, null);
    t.equal(second.license?.hwid, second.hwid);
  });
});

t.test('a server DPUm, a TCP close, a refused connection and the time limit each end the run with exit code 2', async (t) => {
  await withServer({ behaviour: 'dpum-instead-of-licensing' }, async (server) => {
    const r = await device().connect('127.0.0.1', server.port);
    t.equal(r.outcome, 'failed');
    t.equal(r.exitCode, 2);
    t.match(r.reason, /the server ended the connection: Disconnect Provider Ultimatum/);
  });
  await withServer({ behaviour: 'close-instead-of-licensing' }, async (server) => {
    const r = await device().connect('127.0.0.1', server.port);
    t.equal(r.outcome, 'failed');
    t.equal(r.exitCode, 2);
    t.match(r.reason, /closed the TCP connection/);
  });
  await withServer({ behaviour: 'dpum-after-licensing' }, async (server) => {
    const r = await device().connect('127.0.0.1', server.port);
    t.equal(r.outcome, 'valid-client', 'a DPUm right after the alert does not lose the outcome');
    t.equal(r.exitCode, 0);
  });
  const closed = await LicensingTestServer.start();
  const port = closed.port;
  await closed.stop();
  const refused = await device().connect('127.0.0.1', port);
  t.equal(refused.outcome, 'failed');
  t.match(refused.reason, /cannot connect to 127\.0\.0\.1:\d+: .*ECONNREFUSED/);

  const { SimulatedClock } = await import('../../../src/clock.js');
  await withServer({ behaviour: 'silent' }, async (server) => {
    const clock = new SimulatedClock();
    const run = device({ clock, timeoutMs: 5000 }).connect('127.0.0.1', server.port);
    // Wait until the server holds the connection, then let 5 simulated seconds pass.
    while (server.sessions.length === 0) await new Promise((r) => setImmediate(r));
    clock.advance(5000);
    const r = await run;
    t.equal(r.outcome, 'failed');
    t.equal(r.exitCode, 2);
    t.match(r.reason, /no answer within 5 s \(connection state awaitingConnectionConfirm\)/);
  });
});

t.test('--security tls refuses a server that picks Standard RDP Security before sending the Client Info', async (t) => {
  await withServer({ security: 'rdp' }, async (server) => {
    const r = await device({ security: 'tls' }).connect('127.0.0.1', server.port);
    t.equal(r.outcome, 'failed');
    t.match(r.reason, /TLS was required/);
    t.equal(server.sessions[0]!.clientInfo, undefined, 'no Client Info (and no password) went out');
  });
});
