/**
 * The license server grace period end to end (seed: "Terminal Server", "License Server Discovery", events 1000, 1004,
 * 1008, 1009, 1010): a terminal server without a license server lets tokenless clients in from its first client
 * connection for N days, warns daily from 14 days before the end, then denies them; a license server found at the start
 * forfeits the grace period.
 */
import t from 'tap';
import { DAY, HOUR, MINUTE } from '../../../src/clock.js';
import { Lab, SEED_TEXT, corpDomain } from '../../helpers/lab.js';

for (const graceDays of [90, 120]) {
  t.test(`the grace period running out (${graceDays} days): 1009 daily from 14 days before the end, then 1008, then tokenless clients are denied`, async (t) => {
    const lab = new Lab(t);
    // Domain CORP: its only domain controller does not run the licensing service. No license server anywhere.
    const ts = await lab.terminalServer('TS1', { directory: corpDomain(['TS1'], []), ...(graceDays === 90 ? {} : { graceDays }) });
    t.equal(ts.currentLicenseServer, undefined, 'no license server found');
    t.same(ts.events(1010).map((e) => e.message), [SEED_TEXT[1010]()], 'event 1010 with the seed text');
    t.equal(ts.ts.grace.endsAt, undefined, 'the grace period has not started: no client has connected yet');

    // The grace period starts with the first client connection, a day after the terminal server started.
    await lab.advance(DAY, ts);
    const firstAt = lab.clock.now().getTime();
    const first = await lab.device('PC1').cli(ts);
    t.equal(first.exit, 0, first.stderr);
    t.equal(first.outcome, 'valid-client', 'a tokenless client connects during the grace period (STATUS_VALID_CLIENT)');
    t.equal(first.license, null, 'and gets no token: there is no license server');
    t.equal(ts.finished.at(-1)?.note?.decision, 'no license server: grace period');
    const end = firstAt + graceDays * DAY;
    t.equal(ts.ts.grace.endsAt?.getTime(), end, `the grace period ends ${graceDays} days after the first connection`);
    const endDate = new Date(end).toISOString().slice(0, 10);

    // No warning until 14 days before the end.
    await lab.set(new Date(end - 14 * DAY - MINUTE), ts);
    t.equal(ts.events(1009).length, 0, 'no 1009 before the last 14 days');
    t.equal((await lab.device('PC2').connect(ts)).outcome, 'valid-client', 'tokenless clients still connect');

    // Then one 1009 a day for 14 days.
    await lab.advance(MINUTE, ts);
    t.equal(ts.events(1009).length, 1, 'the first 1009, 14 days before the end');
    t.equal(ts.events(1009)[0]!.message, SEED_TEXT[1009](endDate, graceDays), 'event 1009 with the seed text and the end date');
    t.equal(ts.events(1009)[0]!.level, 'warning');
    await lab.set(new Date(end - HOUR), ts);
    const warnings = ts.events(1009);
    t.equal(warnings.length, 14, 'one 1009 each day of the last 14');
    t.same(
      warnings.map((e) => (end - e.at.getTime()) / DAY),
      [14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1],
      'a day apart',
    );
    t.equal(ts.events(1008).length, 0);
    const lastHour = await lab.device('PC3').connect(ts);
    t.equal(lastHour.outcome, 'valid-client', 'an hour before the end: still admitted');

    // The end: 1008 once, and tokenless clients are denied with ERR_NO_LICENSE_SERVER (events 1000 and 1004).
    await lab.set(new Date(end), ts);
    t.same(ts.events(1008).map((e) => e.message), [SEED_TEXT[1008](graceDays)], 'event 1008 with the seed text');
    t.equal(ts.ts.grace.active, false);
    const denied = await lab.device('PC4', { user: 'alice' }).cli(ts);
    t.equal(denied.exit, 3);
    t.equal(denied.outcome, 'denied', 'after the grace period a tokenless client is denied');
    t.equal(denied.errorCodeName, 'ERR_NO_LICENSE_SERVER');
    t.equal(denied.stateTransitionName, 'ST_TOTAL_ABORT');
    t.same(ts.events(1000).map((e) => e.message), [SEED_TEXT[1000]('alice', 'CORP')], 'event 1000 with the seed text');
    t.same(ts.events(1004).map((e) => e.message), [SEED_TEXT[1004]()], 'event 1004 with the seed text');
    const early = await lab.device('PC1').connect(ts);
    t.equal(early.outcome, 'denied', 'the first client too: it never got a token');

    await lab.advance(30 * DAY, ts);
    t.equal(ts.events(1008).length, 1, '1008 is logged once');
    t.equal(ts.events(1009).length, 14, 'no 1009 after the end');
  });
}

t.test('the grace period is forfeited when a license server is found at the start', async (t) => {
  const lab = new Lab(t);
  const ls = await lab.licenseServer('LS1', { cals: 5 });
  const ts = await lab.terminalServer('TS1', { directory: corpDomain(['TS1'], [ls]), graceDays: 120 });
  t.equal(ts.currentLicenseServer, ls.url, 'found at the start');
  t.equal(ts.ts.grace.registered, true, 'registered with a license server');
  t.equal(ts.ts.grace.active, false, 'no grace period');
  t.equal(ts.events(1010).length, 0);

  // The license server stops: a tokenless client is denied at once, although no client ever connected before.
  await ls.stop();
  const denied = await lab.device('PC1', { user: 'bob' }).cli(ts);
  t.equal(denied.outcome, 'denied', 'no grace period to fall back on');
  t.equal(denied.errorCodeName, 'ERR_NO_LICENSE_SERVER');
  t.same(ts.events(1000).map((e) => e.message), [SEED_TEXT[1000]('bob', 'CORP')]);
  t.same(ts.events(1004).map((e) => e.message), [SEED_TEXT[1004]()]);
  await lab.advance(130 * DAY, ts);
  t.equal(ts.events(1009).length + ts.events(1008).length, 0, 'no grace period: no 1009, no 1008');

  // The same deployment, but the terminal server starts while the license server is down: it has a grace period.
  const late = await lab.terminalServer('TS2', { directory: corpDomain(['TS1', 'TS2'], [ls]), graceDays: 120 });
  t.equal(late.currentLicenseServer, undefined);
  const admitted = await lab.device('PC2').connect(late);
  t.equal(admitted.outcome, 'valid-client', 'a terminal server that found none at the start has its grace period');
  t.equal(late.ts.grace.active, true);
  // Finding one later ends it.
  await ls.start();
  await lab.advance(15 * MINUTE, late);
  t.equal(late.currentLicenseServer, ls.url, 'the next 15-minute round finds it');
  t.equal(late.ts.grace.active, false, 'registered: the grace period is over');
  const licensed = await lab.device('PC3').connect(late);
  t.equal(licensed.outcome, 'new-license', 'tokenless clients now get a token');
  t.equal(licensed.license?.temporary, true);
});
