import t from 'tap';
import { DAY, SimulatedClock } from '../../../src/clock.js';
import { EventLog } from '../../../src/event-log.js';
import { GracePeriod, type GraceState } from '../../../src/terminal-server/grace-period.js';

function setup(days = 90, state: GraceState = {}) {
  const clock = new SimulatedClock(Date.UTC(2026, 0, 1));
  const events = new EventLog('TermService', () => clock.now());
  let saved: GraceState = state;
  const grace = new GracePeriod(clock, events, days, state, (s) => (saved = s));
  return { clock, events, grace, saved: () => saved };
}

t.test('starts at the first connection; 1009 every day from 14 days before the end; 1008 at the end', async (t) => {
  const { clock, events, grace, saved } = setup(90);
  t.ok(grace.active);
  clock.advance(5 * DAY);
  grace.clientConnected();
  t.equal(saved().startedAt, clock.now().getTime(), 'persisted');
  const start = clock.now().getTime();
  clock.advance(75 * DAY);
  t.equal(events.count(1009), 0, 'no warning before the last 14 days');
  t.equal(grace.daysLeft, 15);
  clock.advance(DAY);
  t.equal(events.count(1009), 1);
  clock.advance(13 * DAY);
  t.equal(events.count(1009), 14, 'one a day for 14 days');
  clock.advance(DAY - 1);
  t.equal(events.count(1008), 0);
  t.ok(grace.active);
  clock.advance(1);
  t.equal(events.count(1008), 1);
  t.notOk(grace.active);
  t.equal(grace.endsAt!.getTime(), start + 90 * DAY);
  clock.advance(30 * DAY);
  t.equal(events.count(1009), 14);
  t.equal(events.count(1008), 1, 'logged once');
  t.match(events.events.find((e) => e.eventId === 1009)!.message, /about to expire on 2026-04-06/);
});

t.test('configurable length (120 days)', async (t) => {
  const { clock, grace } = setup(120);
  grace.clientConnected();
  clock.advance(119 * DAY);
  t.ok(grace.active);
  clock.advance(DAY);
  t.notOk(grace.active);
});

t.test('a license server found at the start forfeits the grace period; found later ends it and stops the warnings', async (t) => {
  const a = setup();
  a.grace.licenseServerFound();
  a.grace.clientConnected();
  t.notOk(a.grace.active, 'forfeited');
  const b = setup();
  b.grace.clientConnected();
  b.clock.advance(80 * DAY);
  t.ok(b.events.count(1009) > 0);
  b.grace.licenseServerFound();
  const warned = b.events.count(1009);
  b.clock.advance(30 * DAY);
  t.equal(b.events.count(1009), warned);
  t.equal(b.events.count(1008), 0, 'registered: no 1008');
});

t.test('state survives a restart', async (t) => {
  const a = setup();
  a.grace.clientConnected();
  const b = setup(90, a.saved());
  b.clock.set(new Date(a.saved().startedAt! + 90 * DAY));
  t.notOk(b.grace.active);
});
