/**
 * Terminal Services Internet Connector licensing end to end (seed: "Terminal Services Internet Connector Licensing",
 * event 1007): the token is pulled from a license server and given back, up to 200 simultaneous connections all logged
 * on as TSInternetUser, the 201st refused, no TS CAL ever requested.
 */
import t from 'tap';
import { DAY } from '../../../src/clock.js';
import type { ClientConnectResult } from '../../../src/client/index.js';
import { INTERNET_CONNECTOR_LIMIT } from '../../../src/terminal-server/terminal-server.js';
import { Lab, SEED_TEXT, corpDomain, gate, type CliResult, type LabTerminalServer } from '../../helpers/lab.js';

/** Resolves once the terminal server has finished licensing `n` connections in all. */
function finishedCount(ts: LabTerminalServer, n: number): Promise<void> {
  return new Promise((resolve) => {
    if (ts.finished.length >= n) return resolve();
    const off = ts.ts.onFinished(() => {
      if (ts.finished.length < n) return;
      off();
      resolve();
    });
  });
}

t.test('Internet Connector mode: enabling pulls the token (none free: it fails, no temporary one); disabling gives it back and needs the license server', async (t) => {
  const lab = new Lab(t);
  const ls = await lab.licenseServer('LS1', { cals: 2, internetConnector: 1 });
  const directory = corpDomain(['TS1', 'TS2'], [ls]);
  const ts1 = await lab.terminalServer('TS1', { directory });
  const ts2 = await lab.terminalServer('TS2', { directory });

  await ts1.ts.enableInternetConnector();
  t.ok(ts1.ts.internetConnector, 'TS1 is in Internet Connector mode');
  const taken = ls.licenses({ kind: 'internet-connector' });
  t.same(taken.map((l) => [l.terminalServer, l.state]), [['TS1', 'active']], 'the token is marked as taken by TS1');
  t.equal(ls.node.store.freeCount('internet-connector', { major: 5, minor: 0 }), 0);

  await t.rejects(ts2.ts.enableInternetConnector(), /no Internet Connector license token is available/, 'TS2: no token free, enabling fails');
  t.equal(ts2.ts.internetConnector, null, 'TS2 stays in TS CAL mode');
  t.equal(ls.licenses({ kind: 'internet-connector' }).length, 1, 'no temporary Internet Connector token');
  await t.rejects(
    lab.terminalServer('TS3', { directory: corpDomain(['TS1', 'TS2', 'TS3'], [ls]), internetConnector: true }),
    /no Internet Connector license token is available/,
    'a terminal server told to start in Internet Connector mode does not start without a token',
  );
  const viaTs2 = await lab.device('PC1').connect(ts2);
  t.equal(viaTs2.outcome, 'new-license', 'TS2 licenses its clients with tokens as before');

  // Disabling needs the license server.
  await ls.stop();
  await t.rejects(ts1.ts.disableInternetConnector(), /not available|needs the license server/, 'license server down: disabling fails');
  t.ok(ts1.ts.internetConnector, 'TS1 is still in Internet Connector mode');
  const stillIc = await lab.device('PC2').connect(ts1);
  t.equal(stillIc.outcome, 'valid-client', 'and still admits clients as TSInternetUser');
  t.equal(ts1.finished.at(-1)?.logon, 'ok as TSInternetUser');

  await ls.start();
  await lab.advance(15 * 60_000, ts1);
  await ts1.ts.disableInternetConnector();
  t.equal(ts1.ts.internetConnector, null, 'TS1 is back in TS CAL mode');
  t.same(ls.licenses({ kind: 'internet-connector' }).map((l) => l.state), ['returned'], 'the token moved back to the license server');
  t.equal(ls.node.store.freeCount('internet-connector', { major: 5, minor: 0 }), 1);
  const calMode = await lab.device('PC3').connect(ts1);
  t.equal(calMode.outcome, 'new-license', 'TS1 licenses clients with tokens again');
  t.equal(calMode.license?.temporary, true);

  await ts2.ts.enableInternetConnector();
  t.ok(ts2.ts.internetConnector, 'now TS2 can take the token');
  t.same(ls.licenses({ kind: 'internet-connector', state: 'active' }).map((l) => l.terminalServer), ['TS2']);
});

t.test(`Internet Connector: ${INTERNET_CONNECTOR_LIMIT} simultaneous connections all logged on as TSInternetUser, the next refused, no CAL requested`, async (t) => {
  const lab = new Lab(t);
  const ls = await lab.licenseServer('LS1', { cals: 2, internetConnector: 1 });
  const directory = corpDomain(['TS1', 'TS2'], [ls]);
  // Standard RDP Security: the cheapest connection the terminal server offers (no TLS handshake).
  const ts1 = await lab.terminalServer('TS1', { directory, internetConnector: true, holdSessions: true, security: 'rdp' });
  const ts2 = await lab.terminalServer('TS2', { directory });
  t.ok(ts1.ts.internetConnector, 'Internet Connector mode on at start');

  // A device that holds a TS CAL (from TS2) still takes one of the 200 connections.
  const calPc = lab.device('CALPC', { security: 'rdp' });
  await calPc.connect(ts2);
  t.equal((await calPc.connect(ts2)).license?.temporary, false, 'CALPC holds a TS CAL');
  const requests = ls.licenseRequests;
  const tokens = ls.licenses().length;

  // 200 sessions held open: 197 client devices of the library, until `hold` opens; 3 `rdplic client --hold` processes,
  // until they are sent SIGTERM; and CALPC.
  const hold = gate();
  const sessions: Array<Promise<ClientConnectResult>> = [calPc.connect(ts1, { hold: hold.promise })];
  const cliSessions: Array<{ pid: number; result: Promise<CliResult> }> = [];
  for (let n = 1; n < INTERNET_CONNECTOR_LIMIT; n++) {
    const guest = lab.device(`GUEST${n}`, { security: 'rdp', user: `guest${n}` });
    if (n <= 3) {
      const p = guest.cliProcess(ts1, '--hold', '600');
      cliSessions.push(p);
      sessions.push(p.result);
    } else {
      sessions.push(guest.connect(ts1, { hold: hold.promise }));
    }
  }
  // All licensed and held; a session that ends before the hold is released has failed.
  await Promise.race([
    finishedCount(ts1, INTERNET_CONNECTOR_LIMIT),
    Promise.race(sessions).then((r) => Promise.reject(new Error(`a session ended during the hold: ${r.outcome} ${r.reason}`))),
  ]);
  t.equal(ts1.ts.activeConnections, INTERNET_CONNECTOR_LIMIT, `${INTERNET_CONNECTOR_LIMIT} sessions open at once`);
  t.same(
    [...new Set(ts1.finished.map((f) => `${f.outcome.kind} / ${f.logon}`))],
    ['valid-client / ok as TSInternetUser'],
    'every one admitted and logged on as TSInternetUser, whatever its user name',
  );
  t.equal(new Set(ts1.finished.map((f) => f.client.userName)).size, INTERNET_CONNECTOR_LIMIT, 'from 200 different users');

  // The 201st is refused while the 200 are connected.
  const extra = await lab.device('GUEST201', { security: 'rdp' }).cli(ts1);
  t.equal(extra.exit, 3, 'rdplic client: denied');
  t.equal(extra.outcome, 'denied', `connection ${INTERNET_CONNECTOR_LIMIT + 1} is refused`);
  t.equal(extra.errorCodeName, 'ERR_INVALID_CLIENT');
  t.match(ts1.finished.at(-1)?.note?.decision, /all 200 connections are in use/);

  hold.open();
  for (const c of cliSessions) process.kill(c.pid, 'SIGTERM');
  const results = await Promise.all(sessions);
  const cli = await Promise.all(cliSessions.map((c) => c.result));
  t.same(cli.map((r) => [r.exit, r.outcome, r.held]), [[0, 'valid-client', 'released'], [0, 'valid-client', 'released'], [0, 'valid-client', 'released']], 'rdplic client --hold: held until SIGTERM, then a clean exit 0');
  t.same(
    [...new Set(results.map((r) => `${r.outcome} ${r.held}`))],
    ['valid-client released'],
    'all 200 stayed connected until they left (none was cut by the server)',
  );
  t.equal(results[0]!.presentedEntry, null, 'the CAL was not even asked for: no LICENSE_REQUEST');
  t.equal(ts1.ts.activeConnections, 0, 'all gone');

  // A slot is free again.
  const after = await lab.device('GUEST202', { security: 'rdp' }).connect(ts1);
  t.equal(after.outcome, 'valid-client', 'once they left, the next is admitted');

  t.equal(ls.licenseRequests, requests, 'no token was ever requested from the license server for an Internet Connector connection');
  t.equal(ls.licenses().length, tokens, 'no token was issued');
  t.equal(ls.licenses({ machine: 'GUEST1' }).length, 0);
});

t.test('Internet Connector: event 1007 when the TSInternetUser account is broken', async (t) => {
  const lab = new Lab(t);
  const ls = await lab.licenseServer('LS1', { internetConnector: 1 });
  const ts = await lab.terminalServer('TS1', { directory: corpDomain(['TS1'], [ls]), internetConnector: true, internetUserAccountOk: false });
  const r = await lab.device('GUEST').cli(ts);
  t.equal(r.outcome, 'valid-client', 'licensing lets the client in');
  t.equal(ts.finished.at(-1)?.logon, 'failed (TSInternetUser)', 'but the logon as TSInternetUser fails');
  t.same(ts.events(1007).map((e) => e.message), [SEED_TEXT[1007]()], 'event 1007 with the seed text');
  t.equal(ts.events(1007)[0]!.level, 'error');
  await lab.advance(DAY, ts);
  await lab.device('GUEST2').connect(ts);
  t.equal(ts.events(1007).length, 2, 'logged at each failed logon');
});

t.test('Internet Connector: a held session stays connected past the idle limit, until the client leaves', async (t) => {
  const lab = new Lab(t);
  const ls = await lab.licenseServer('LS1', { internetConnector: 1 });
  // An idle limit of 1 s (real time: it guards the connection sequence against silent peers, it is no protocol timer).
  const ts = await lab.terminalServer('TS1', { directory: corpDomain(['TS1'], [ls]), internetConnector: true, holdSessions: true, limits: { idleMs: 1000 } });
  const hold = gate();
  const session = lab.device('GUEST').connect(ts, { hold: hold.promise });
  await Promise.race([finishedCount(ts, 1), session.then((r) => Promise.reject(new Error(`ended early: ${r.reason}`)))]);
  // Three times the idle limit with nothing sent either way.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  t.equal(ts.ts.activeConnections, 1, 'the session is still there');
  hold.open();
  const r = await session;
  t.equal(r.held, 'released', 'it ended when the client left, not by the idle limit');
  t.equal(r.outcome, 'valid-client');

  // A held session that the server ends says so.
  const never = gate();
  const cut = lab.device('GUEST2').connect(ts, { hold: never.promise });
  await Promise.race([finishedCount(ts, 2), cut.then((x) => Promise.reject(new Error(`ended early: ${x.reason}`)))]);
  await ts.ts.close();
  const c = await cut;
  t.equal(c.outcome, 'valid-client');
  t.equal(c.held, 'ended-by-server', 'the server ended it during the hold');
  t.match(c.reason, /^during the hold: the server/);
});
