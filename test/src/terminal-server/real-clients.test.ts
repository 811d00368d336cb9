/**
 * First light (issue 3): rdesktop and xfreerdp, headless under Xvfb, get a license from the server over loopback TCP,
 * store it, present it again, get it renewed near its expiry, and recover from a corrupt store.
 */
import t from 'tap';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { DAY } from '../../../src/clock.js';
import type { SimulatedClock } from '../../../src/clock.js';
import { SERVE_DEFAULTS, startServe } from '../../../src/serve.js';
import type { FinishedConnection } from '../../../src/terminal-server/terminal-server.js';
import { rdplic } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/license-server.js';
import { haveRealClients, newProfile, rdesktopCalPath, runRdesktop, runXfreerdp, startXvfb, xfreerdpCalPath } from '../../helpers/real-clients.js';

const ERR_INVALID_CLIENT = 0x08;

t.test('real RDP clients against the terminal server', { skip: haveRealClients ? false : 'rdesktop, xfreerdp or Xvfb is not installed' }, async (t) => {
  const x = await startXvfb();
  t.teardown(() => x.stop());

  for (const security of ['rdp', 'tls'] as const) {
    for (const client of ['rdesktop', 'xfreerdp'] as const) {
      const label = `${client} under ${security === 'rdp' ? 'Standard RDP Security' : 'TLS'}`;
      t.test(label, async (t) => {
        const logs: string[] = [];
        const serving = await startServe({
          ...SERVE_DEFAULTS,
          dataDir: tempDir(),
          port: 0,
          security,
          clock: 'simulated',
          clockStart: new Date(Date.UTC(2026, 5, 1)),
          cals: 5,
          // The first-light semantics: a CAL at once (post-logon issuance and built-in tokens are other issues' rules).
          licenseServer: { postLogonIssuance: false, builtInPool: false },
          log: (l) => logs.push(l),
        });
        t.teardown(() => serving.close());
        const clock = serving.clock as SimulatedClock;
        const finished: FinishedConnection[] = [];
        serving.terminalServer.onFinished((f) => finished.push(f));
        const profile = newProfile('labuser', `${client === 'rdesktop' ? 'rd' : 'xf'}${security}host`);
        const calPath = client === 'rdesktop' ? rdesktopCalPath(profile) : xfreerdpCalPath(profile);
        const port = serving.address.port;
        const connect = async () => {
          const before = finished.length;
          const run = client === 'rdesktop' ? await runRdesktop(profile, x.display, port) : await runXfreerdp(profile, x.display, port, security);
          const mine = finished.slice(before);
          if (mine.length === 0) t.comment(run.output.slice(-2000));
          return { run, result: mine[0]!, all: mine };
        };
        const messagesOf = (id: number) => logs.filter((l) => l.startsWith(`conn#${id} server `)).map((l) => l.split(' ')[3]);
        const issued = () => serving.licenseServer.store.keyPacks()[0]!.issued;

        // 1. First connection: a new license, stored by the client exactly as sent.
        const first = await connect();
        t.equal(first.result?.outcome.kind, 'new-license', 'first connection: NEW_LICENSE');
        t.same(messagesOf(first.result.id), ['LICENSE_REQUEST', 'NEW_LICENSE_REQUEST', 'PLATFORM_CHALLENGE', 'PLATFORM_CHALLENGE_RESPONSE', 'NEW_LICENSE']);
        const stored = readFileSync(calPath);
        t.same(stored, first.result.outcome.licenseInfo, "the client's .cal holds exactly the license the server issued");
        const inspected = await rdplic(['inspect', calPath, '--json']);
        t.equal(inspected.code, 0, inspected.stderr);
        const cal = JSON.parse(inspected.stdout);
        t.equal(cal.hwid, first.result.outcome.hwid!.toString('hex'), 'rdplic inspect shows the HWID the client sent');
        t.equal(cal.user, 'labuser');
        t.equal(cal.machine, profile.machine);
        t.equal(cal.signatureValid, true);
        t.equal(cal.temporary, false);
        t.equal(issued(), 1);

        // 2. Second connection: the license is presented, validated, and STATUS_VALID_CLIENT ends licensing.
        const second = await connect();
        t.equal(second.result?.outcome.kind, 'valid-client', 'second connection: STATUS_VALID_CLIENT');
        t.same(messagesOf(second.result.id), ['LICENSE_REQUEST', 'LICENSE_INFO', 'ERROR_ALERT']);
        t.equal(issued(), 1, 'no second CAL is allocated');

        // 3. Within 7 days of its expiry: PLATFORM_CHALLENGE, then UPGRADE_LICENSE, and the client's file is replaced.
        clock.set(new Date(new Date(cal.notAfter).getTime() - 6 * DAY));
        const third = await connect();
        t.equal(third.result?.outcome.kind, 'upgrade-license', 'near expiry: UPGRADE_LICENSE');
        t.same(messagesOf(third.result.id), ['LICENSE_REQUEST', 'LICENSE_INFO', 'PLATFORM_CHALLENGE', 'PLATFORM_CHALLENGE_RESPONSE', 'UPGRADE_LICENSE']);
        const renewed = readFileSync(calPath);
        t.notSame(renewed, stored, 'the file was replaced');
        t.same(renewed, third.result.outcome.licenseInfo);
        t.equal(issued(), 1, 'renewed on the same token');

        // 4. A corrupt .cal: the server answers ERR_INVALID_CLIENT, logs event 1003; the next clean connection works.
        const corrupt = Buffer.from(renewed);
        corrupt[corrupt.length - 10]! ^= 0xff; // inside the client certificate's signature
        writeFileSync(calPath, corrupt);
        const fourth = await connect();
        t.equal(fourth.result?.outcome.kind, 'denied');
        t.equal(fourth.result?.outcome.errorCode, ERR_INVALID_CLIENT);
        t.ok(serving.terminalServer.events.count(1003) >= 1, 'event 1003 logged');
        t.ok(logs.some((l) => l.includes("event 1003 error: The terminal service client '" + profile.machine + "' has provided an invalid license.")));
        rmSync(calPath);
        const fifth = await connect();
        t.equal(fifth.result?.outcome.kind, 'new-license', 'a clean store: licensed again');
        t.equal(fifth.result?.note?.licenseId, third.result.note?.licenseId, 'the device gets its own CAL back');
        t.equal(issued(), 1);
        t.equal(serving.terminalServer.activeConnections, 0, 'no connection left open');
      });
    }
  }
});

t.test('real clients with a proprietary certificate, and with the valid-client policy', { skip: haveRealClients ? false : 'rdesktop, xfreerdp or Xvfb is not installed' }, async (t) => {
  const x = await startXvfb();
  t.teardown(() => x.stop());
  for (const licensePolicy of ['issue', 'valid-client'] as const) {
    const finished: FinishedConnection[] = [];
    const serving = await startServe({
      ...SERVE_DEFAULTS,
      dataDir: tempDir(),
      port: 0,
      security: 'rdp',
      certificate: 'proprietary',
      licensePolicy,
      api: undefined,
      licenseServer: { postLogonIssuance: false, builtInPool: false },
      log: () => {},
    });
    serving.terminalServer.onFinished((f) => finished.push(f));
    const expected = licensePolicy === 'issue' ? 'new-license' : 'valid-client';
    const rd = newProfile('labuser', 'rdprop');
    await runRdesktop(rd, x.display, serving.address.port);
    t.equal(finished.at(-1)?.outcome.kind, expected, `rdesktop, ${licensePolicy}: ${expected}`);
    const xf = newProfile('labuser', 'xfprop');
    await runXfreerdp(xf, x.display, serving.address.port, 'rdp');
    t.equal(finished.at(-1)?.outcome.kind, expected, `xfreerdp, ${licensePolicy}: ${expected}`);
    if (licensePolicy === 'issue') {
      t.ok(readFileSync(xfreerdpCalPath(xf)).length > 0, 'xfreerdp stored the license it got with a proprietary certificate');
    } else {
      t.equal(serving.licenseServer.store.licenses().length, 0, 'valid-client: no license issued');
    }
    await serving.close();
  }
});
