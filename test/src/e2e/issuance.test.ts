/**
 * Token issuance end to end (seed: "Client Device Licensing", "Post-Logon License Issuance", "Automatic License Token
 * Re-issuance", events 1003 and 1011): client devices over TCP, a terminal server, a license server over HTTPS, one
 * simulated clock.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { DAY } from '../../../src/clock.js';
import { RegistryFile } from '../../../src/client/index.js';
import { STORE_KEY } from '../../../src/registry/mslicensing.js';
import { rdplic } from '../../helpers/cli.js';
import { Lab, SEED_TEXT, corpDomain } from '../../helpers/lab.js';

const ERR_INVALID_CLIENT = 0x08;

t.test('temporary → validated → CAL: post-logon issuance; a device whose logon fails stays temporary', async (t) => {
  const lab = new Lab(t);
  const ls = await lab.licenseServer('LS1', { cals: 5 });
  const ts = await lab.terminalServer('TS1', { directory: corpDomain(['TS1'], [ls]) });
  const pc = lab.device('PC1');

  // 1. No token: a temporary one (NEW_LICENSE). The logon is reported and the license server marks it validated.
  const first = await pc.cli(ts);
  t.equal(first.exit, 0, first.stderr);
  t.equal(first.outcome, 'new-license', 'first connection: NEW_LICENSE');
  t.equal(first.license?.temporary, true, 'a temporary license');
  t.equal(first.license?.issuer, 'LS1');
  t.equal(first.license?.hwid, first.hwid, 'bound to the device');
  t.equal(ts.finished.at(-1)?.logon, 'ok', 'the user logged on');
  const [temporary] = ls.licenses({ kind: 'temporary' });
  t.equal(temporary?.validated, true, 'the logon was reported: the temporary token is validated');
  t.equal(ls.licenses({ kind: 'cal' }).length, 0, 'no CAL before a logon');

  // 2. Next connection: the validated temporary is upgraded to a permanent TS CAL (UPGRADE_LICENSE).
  const second = await pc.cli(ts);
  t.equal(second.outcome, 'upgrade-license', 'second connection: UPGRADE_LICENSE');
  t.equal(second.presentedEntry, 'LICENSE000');
  t.equal(second.license?.temporary, false, 'a permanent TS CAL');
  t.equal(second.storedEntry, 'LICENSE000', 'it replaced the temporary in the registry');
  const [cal] = ls.licenses({ kind: 'cal', state: 'active' });
  t.ok(cal, 'the license server issued a CAL');
  t.equal(ls.licenses({ kind: 'temporary' })[0]?.state, 'upgraded');
  t.equal(ls.freeCals, 4);

  // 3. Then the CAL is presented and accepted: STATUS_VALID_CLIENT, and no token request reaches the license server.
  const requests = ls.licenseRequests;
  const third = await pc.cli(ts);
  t.equal(third.outcome, 'valid-client', 'third connection: STATUS_VALID_CLIENT');
  t.equal(third.errorCodeName, 'STATUS_VALID_CLIENT');
  t.equal(third.license?.serialNumber, second.license?.serialNumber, 'the same CAL');
  t.equal(ls.licenseRequests, requests, 'a valid CAL needs no license server');

  // A device whose logon fails is never validated: it stays temporary, connection after connection.
  const kiosk = lab.device('KIOSK', { logon: 'fail' });
  for (let n = 1; n <= 3; n++) {
    const r = n === 1 ? await kiosk.cli(ts) : await kiosk.connect(ts);
    t.equal(r.outcome, n === 1 ? 'new-license' : 'upgrade-license', `--logon fail, connection ${n}: ${r.outcome}`);
    t.equal(r.license?.temporary, true, `--logon fail, connection ${n}: still temporary`);
    t.equal(ts.finished.at(-1)?.logon, 'failed');
  }
  const kioskTokens = ls.licenses({ machine: 'KIOSK' });
  t.same(
    kioskTokens.map((l) => [l.kind, l.validated, l.state]),
    [['temporary', false, 'active']],
    'one temporary token, never validated, never a CAL',
  );
  t.equal(ls.freeCals, 4, 'no CAL went to the device that never logged on');
});

t.test('a temporary token expiring with no CAL free: event 1011 and denial, until CALs are installed', async (t) => {
  const lab = new Lab(t);
  const ls = await lab.licenseServer('LS1', { cals: 0 });
  const ts = await lab.terminalServer('TS1', { directory: corpDomain(['TS1'], [ls]) });
  const pc = lab.device('PC1');

  const first = await pc.cli(ts);
  t.equal(first.outcome, 'new-license');
  t.equal(first.license?.temporary, true);
  const notAfter = new Date(first.license!.notAfter!);
  t.equal(notAfter.getTime() - lab.clock.now().getTime(), 90 * DAY, 'a temporary token lasts 90 days');

  // Validated, but no CAL to give: the temporary keeps working for its 90 days.
  await lab.advance(60 * DAY, ts);
  const kept = await pc.connect(ts);
  t.equal(kept.outcome, 'upgrade-license', 'day 60: no CAL free, the temporary is sent back');
  t.equal(kept.license?.temporary, true);
  t.equal(kept.license?.notAfter, first.license?.notAfter, 'no extension');

  // Day 91: the temporary has expired, no CAL is free: denied, event 1011 with the client's name.
  await lab.set(new Date(notAfter.getTime() + DAY), ts);
  const denied = await pc.cli(ts);
  t.equal(denied.exit, 3, 'rdplic client exits 3 when denied');
  t.equal(denied.outcome, 'denied');
  t.equal(denied.errorCode, ERR_INVALID_CLIENT);
  t.equal(denied.stateTransitionName, 'ST_TOTAL_ABORT');
  t.same(
    ts.events(1011).map((e) => e.message),
    [SEED_TEXT[1011]('PC1')],
    'event 1011 with the seed text',
  );
  t.equal(ts.finished.at(-1)?.logon, 'not attempted', 'no session');
  const again = await pc.connect(ts);
  t.equal(again.outcome, 'denied', 'no replacement temporary token, no extension');
  t.equal(ls.licenses({ machine: 'PC1', kind: 'temporary' }).length, 1, 'no second temporary token');

  // CALs installed: the next connection gets one.
  ls.install('per-device', 2);
  const cal = await pc.connect(ts);
  t.equal(cal.outcome, 'upgrade-license');
  t.equal(cal.license?.temporary, false, 'a TS CAL once the license server has some');
});

t.test('renewal within 7 days of a CAL expiry through UPGRADE_LICENSE; without the license server the CAL still works', async (t) => {
  const lab = new Lab(t);
  const ls = await lab.licenseServer('LS1', { cals: 3 });
  const ts = await lab.terminalServer('TS1', { directory: corpDomain(['TS1'], [ls]) });
  const pc = lab.device('PC1');
  await pc.connect(ts);
  const got = await pc.connect(ts);
  t.equal(got.license?.temporary, false, 'a CAL');
  const issued = lab.clock.now().getTime();
  const notAfter = new Date(got.license!.notAfter!).getTime();
  const days = (notAfter - issued) / DAY;
  t.ok(days >= 52 && days <= 89 && Number.isInteger(days), `the CAL expires after ${days} days (52-89)`);

  // 8 days before the expiry: accepted as it is.
  await lab.set(new Date(notAfter - 8 * DAY), ts);
  const before = await pc.connect(ts);
  t.equal(before.outcome, 'valid-client', '8 days before expiry: STATUS_VALID_CLIENT');

  // 7 days before: renewed with a new expiry, through the upgrade flow, on the same token.
  await lab.set(new Date(notAfter - 7 * DAY), ts);
  const renewed = await pc.cli(ts);
  t.equal(renewed.outcome, 'upgrade-license', 'within 7 days: UPGRADE_LICENSE');
  t.equal(renewed.license?.temporary, false);
  const newDays = (new Date(renewed.license!.notAfter!).getTime() - lab.clock.now().getTime()) / DAY;
  t.ok(newDays >= 52 && newDays <= 89, `renewed for ${newDays} days`);
  t.not(renewed.license?.serialNumber, got.license?.serialNumber, 'a new certificate');
  t.equal(ls.freeCals, 2, 'the same token: no second CAL taken');
  t.same(
    ls.licenses({ machine: 'PC1', kind: 'cal' }).map((l) => l.state),
    ['renewed', 'active'],
  );

  // Within 7 days again but the license server is down: the CAL works as normal; renewal is tried at each connection.
  const renewedEnd = new Date(renewed.license!.notAfter!).getTime();
  await lab.set(new Date(renewedEnd - 3 * DAY), ts);
  await ls.stop();
  const offline = await pc.connect(ts);
  t.equal(offline.outcome, 'valid-client', 'license server down: the CAL near its expiry still connects');
  t.equal(offline.license?.serialNumber, renewed.license?.serialNumber, 'not renewed');
  await ls.start();
  await lab.advance(15 * 60_000, ts); // the next discovery round finds it again
  const back = await pc.connect(ts);
  t.equal(back.outcome, 'upgrade-license', 'license server back: renewed at the next connection');
});

t.test('event 1003 for a corrupt license, and the seed\'s fix: delete the HardwareID key, get a new HWID and a fresh license', async (t) => {
  const lab = new Lab(t);
  const ls = await lab.licenseServer('LS1', { cals: 3 });
  const ts = await lab.terminalServer('TS1', { directory: corpDomain(['TS1'], [ls]) });
  const pc = lab.device('PC1');
  await pc.connect(ts);
  const good = await pc.connect(ts);
  t.equal(good.license?.temporary, false, 'the device holds a CAL');

  // Corrupt the stored license: one byte of the client certificate's signature.
  await new RegistryFile(pc.registry).update((reg) => {
    const path = `${STORE_KEY}\\LICENSE000`;
    const v = reg.getValue(path, 'ClientLicense')!;
    const bytes = Buffer.from(v.data as Buffer);
    bytes[bytes.length - 10]! ^= 0xff;
    reg.setValue(path, 'ClientLicense', { type: 'REG_BINARY', data: bytes });
    return { changed: true, result: undefined };
  });
  const corrupt = await pc.cli(ts);
  t.equal(corrupt.outcome, 'denied', 'the corrupt license is refused');
  t.equal(corrupt.errorCode, ERR_INVALID_CLIENT);
  t.same(ts.events(1003).map((e) => e.message), [SEED_TEXT[1003]('PC1')], 'event 1003 with the seed text');
  const again = await pc.connect(ts);
  t.equal(again.outcome, 'denied', 'and again, as long as the device keeps it');

  // The fix: delete HKLM\Software\Microsoft\MSLicensing\HardwareID.
  const del = await rdplic(['client', 'delete-hwid', '--registry', pc.registry]);
  t.equal(del.code, 0, del.stderr);
  t.match(del.stdout, /deleted HKLM\\SOFTWARE\\Microsoft\\MSLicensing\\HardwareID/);
  t.notMatch(readFileSync(pc.registry).toString('utf16le'), /ClientHWID/, 'no ClientHWID left');
  const fixed = await pc.cli(ts);
  t.equal(fixed.exit, 0, fixed.stderr);
  t.equal(fixed.hwidCreated, true, 'a new HWID');
  t.not(fixed.hwid, good.hwid);
  // The old license is still in the Store and is presented, now with the new HWID: re-issued through the upgrade flow.
  t.equal(fixed.presentedEntry, 'LICENSE000');
  t.equal(fixed.outcome, 'upgrade-license', 'licensed again through UPGRADE_LICENSE');
  t.equal(fixed.license?.hwid, fixed.hwid, 'a fresh license bound to the new HWID');
  t.equal(fixed.license?.signatureValid, true);
  t.equal(fixed.license?.temporary, true, 'a new device for the license server: a temporary token first (post-logon issuance)');
  t.equal(ts.events(1003).length, 2, 'no new 1003');
  const after = await pc.connect(ts);
  t.equal(after.outcome, 'upgrade-license', 'after a logon: a TS CAL');
  t.equal(after.license?.temporary, false);
  t.equal(after.license?.hwid, fixed.hwid);
  t.equal((await pc.connect(ts)).outcome, 'valid-client', 'and it works from then on');

  // The CAL of the old HWID is lost to the device; it goes back to the pool when it expires (automatic re-issuance).
  t.equal(ls.freeCals, 1, 'two CALs taken: the old HWID\'s and the new one\'s');
  await lab.set(new Date(new Date(good.license!.notAfter!).getTime() + DAY), ts);
  const sweep = await pc.connect(ts);
  t.equal(ls.freeCals, 2, 'the old CAL returned to the pool upon its expiry');
  t.ok(['valid-client', 'upgrade-license'].includes(sweep.outcome), `the device keeps its own CAL (${sweep.outcome})`);
});
