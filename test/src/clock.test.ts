import t from 'tap';
import { DAY, HOUR, SimulatedClock, parseDuration } from '../../src/clock.js';

t.test('simulated clock fires timers in order at their own time', async (t) => {
  const c = new SimulatedClock(0);
  const seen: Array<[string, number]> = [];
  c.setTimeout(() => seen.push(['b', c.now().getTime()]), 2 * HOUR);
  c.setTimeout(() => {
    seen.push(['a', c.now().getTime()]);
    c.setTimeout(() => seen.push(['a2', c.now().getTime()]), HOUR);
  }, HOUR);
  const cancel = c.setTimeout(() => seen.push(['never', 0]), HOUR);
  cancel();
  c.advance(3 * HOUR);
  t.same(seen, [['a', HOUR], ['b', 2 * HOUR], ['a2', 2 * HOUR]]);
  t.equal(c.now().getTime(), 3 * HOUR);
  t.throws(() => c.advance(-1));
});

t.test('durations', async (t) => {
  t.equal(parseDuration('90d'), 90 * DAY);
  t.equal(parseDuration('1d12h'), DAY + 12 * HOUR);
  t.equal(parseDuration('1500'), 1500);
  t.throws(() => parseDuration('soon'));
  t.throws(() => parseDuration('3x'));
});
