/**
 * The license server grace period (seed: "Terminal Server"): from the first client connection, clients connect without
 * tokens for N days (90 in Windows 2000, 120 later; configurable) while no license server has been found. Finding a
 * license server ends it (forfeited when one is found at start). From 14 days before the end the terminal server logs
 * event 1009 every day, and 1008 when it has expired.
 */
import { DAY, type Clock } from '../clock.js';
import type { EventLog } from '../event-log.js';
import { TS_EVENTS } from './events.js';

export interface GraceState {
  /** First client connection (ms since the epoch), if any. */
  startedAt?: number;
  /** When a license server was first found (the grace period ends then). */
  registeredAt?: number;
}

export class GracePeriod {
  private cancelTimer?: () => void;
  private expiredLogged = false;
  private lastWarning?: number;

  constructor(
    private readonly clock: Clock,
    private readonly events: EventLog,
    readonly days: number,
    private state: GraceState,
    private readonly save: (s: GraceState) => void,
  ) {
    this.schedule();
  }

  get snapshot(): GraceState {
    return { ...this.state };
  }

  /** When the grace period ends (or ended); undefined before the first connection. */
  get endsAt(): Date | undefined {
    if (this.state.startedAt === undefined) return undefined;
    const natural = this.state.startedAt + this.days * DAY;
    return new Date(this.state.registeredAt === undefined ? natural : Math.min(natural, this.state.registeredAt));
  }

  /** Whether clients without tokens may connect now. Before the first connection, the grace period has not started (so yes). */
  get active(): boolean {
    if (this.state.registeredAt !== undefined) return false;
    const end = this.endsAt;
    return end === undefined || this.clock.now() < end;
  }

  get registered(): boolean {
    return this.state.registeredAt !== undefined;
  }

  /** Days left (0 when over), as Win32_TerminalServiceSetting.GetGracePeriodDays reports it. */
  get daysLeft(): number {
    if (!this.active) return 0;
    const end = this.endsAt;
    return end === undefined ? this.days : Math.max(0, Math.ceil((end.getTime() - this.clock.now().getTime()) / DAY));
  }

  /** A client connected: the grace period starts with the first one. */
  clientConnected(): void {
    if (this.state.startedAt !== undefined) return;
    this.update({ ...this.state, startedAt: this.clock.now().getTime() });
  }

  /** A license server was found: the grace period ends (forfeited when this happens before the first connection). */
  licenseServerFound(): void {
    if (this.state.registeredAt !== undefined) return;
    this.update({ ...this.state, registeredAt: this.clock.now().getTime() });
  }

  stop(): void {
    this.cancelTimer?.();
  }

  private update(next: GraceState): void {
    this.state = next;
    this.save(next);
    this.schedule();
  }

  /** One timer at a time: the next daily 1009 warning (from 14 days before the end), or the 1008 at the end. */
  private schedule(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    const end = this.endsAt?.getTime();
    if (end === undefined || this.registered) return;
    const now = this.clock.now().getTime();
    if (now >= end) {
      if (!this.expiredLogged) {
        this.expiredLogged = true;
        this.events.log(TS_EVENTS.GRACE_EXPIRED, String(this.days));
      }
      return;
    }
    let next = end - 14 * DAY;
    while (next < now || (this.lastWarning !== undefined && next <= this.lastWarning)) next += DAY;
    const at = Math.min(next, end);
    this.cancelTimer = this.clock.setTimeout(() => {
      this.cancelTimer = undefined;
      if (at < end && !this.registered) {
        this.lastWarning = at;
        this.events.log(TS_EVENTS.GRACE_EXPIRING, new Date(end).toISOString().slice(0, 10), String(this.days));
      }
      this.schedule();
    }, at - now);
  }
}
