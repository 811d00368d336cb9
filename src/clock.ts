/**
 * Time for the running system. Every timer of the seed (grace period, temporary tokens, CAL expiry, renewal window,
 * discovery, pings) reads a Clock, so tests and demos can fast-forward months in milliseconds.
 */
export interface Clock {
  now(): Date;
  /** Calls `fn` after `ms` of this clock's time; returns a cancel function. */
  setTimeout(fn: () => void, ms: number): () => void;
}

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export const systemClock: Clock = {
  now: () => new Date(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return () => clearTimeout(t);
  },
};

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
}

/** A clock that moves only when told to. Timers due during an advance fire in time order, at their own time. */
export class SimulatedClock implements Clock {
  private t: number;
  private timers: Timer[] = [];
  private seq = 0;

  constructor(start: Date | number = Date.UTC(2026, 0, 1)) {
    this.t = typeof start === 'number' ? start : start.getTime();
  }

  now(): Date {
    return new Date(this.t);
  }

  setTimeout(fn: () => void, ms: number): () => void {
    const timer: Timer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((x) => x !== timer);
    };
  }

  /** Moves time forward by `ms`, firing due timers in order (a timer set by a timer fires too if it falls due). */
  advance(ms: number): Date {
    if (!(ms >= 0)) throw new RangeError(`cannot advance by ${ms}`);
    const end = this.t + ms;
    for (;;) {
      const due = this.timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers = this.timers.filter((x) => x !== due);
      this.t = Math.max(this.t, due.at);
      due.fn();
    }
    this.t = end;
    return this.now();
  }

  /** Sets the time (forward only, firing timers on the way). */
  set(to: Date): Date {
    return this.advance(to.getTime() - this.t);
  }
}

/** Parses durations like `90d`, `2h`, `15m`, `30s`, `1d12h`, or a bare number of milliseconds. */
export function parseDuration(text: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, m: MINUTE, h: HOUR, d: DAY, w: 7 * DAY };
  const s = text.trim();
  if (/^\d+$/.test(s)) return Number(s);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * units[m[2]!]!;
    matched = re.lastIndex;
  }
  if (matched !== s.length || s.length === 0) throw new Error(`not a duration: "${text}" (use e.g. 90d, 2h, 15m)`);
  return total;
}
