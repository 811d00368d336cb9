/**
 * How a terminal server finds its license server (seed: "Licensing Service Location", "License Server Discovery";
 * RD-LICENSING.md §2.4). A discovery round builds the list of candidates, contacts every one (a ping), catalogues them
 * all with how they were found, and chooses the first that answered:
 *
 * - DefaultLicenseServer set (Windows 2000 override): that one server and nothing else, ever. While it is down there is
 *   no license server.
 * - Otherwise SpecifiedLicenseServers first, in their order (from policy: `gp`, or the registry), then auto-discovery:
 *   - a domain member: the domain controllers of its domain that run the licensing service (`domain`), then the
 *     enterprise license servers published for its site, whatever their domain (`enterprise`);
 *   - a workgroup member: a broadcast on loopback answered by the license servers of its workgroup (`workgroup`).
 *
 * No license server found: event 1010, and another round 15 minutes later, until one is found. Once one is chosen it is
 * kept as long as it answers; it is pinged every 2 hours, and when a ping fails (or the terminal server reports it
 * unreachable) it is lost and a round starts at once. Every timer runs on the injected Clock.
 */
import type { RandomSource } from '../../protocol/crypto/index.js';
import { randomBytes } from 'node:crypto';
import { HOUR, MINUTE, systemClock, type Clock } from '../clock.js';
import type { EventLog } from '../event-log.js';
import { LicenseServerUnreachable, type LicenseServerLink, type LicenseServerStatus } from '../license-server/link.js';
import { isServiceAddress, parseServiceAddress, sameName } from './address.js';
import { broadcastDiscover } from './broadcast.js';
import type { Directory, DirectoryHost } from './directory.js';
import { Emitter } from './emitter.js';
import { EVENT_NO_LICENSE_SERVER } from './events.js';
import { DISCOVERY_PORTS, checkPortRange, describeRange, type PortRange } from './ports.js';
import type { CatalogEntry, HowDiscovered, LinkFactory } from './types.js';

/** Seed: "every 15 minutes until a license server is found". */
export const DISCOVERY_INTERVAL = 15 * MINUTE;
/** Seed: "it will ping that server once every two hours". */
export const PING_INTERVAL = 2 * HOUR;
/** How long one license server is given to answer a contact (a network wait). */
export const CONTACT_TIMEOUT = 10_000;
/** How long a broadcast waits for a port that neither answers nor is refused (a network wait). */
export const BROADCAST_TIMEOUT = 1_000;
/** Most entries accepted in SpecifiedLicenseServers. */
export const MAX_SPECIFIED_LICENSE_SERVERS = 64;

export interface LicenseServerLocatorOptions {
  directory: Directory;
  /** This terminal server's host name in the directory. */
  self: string;
  /** Protocol timers: the 15-minute rounds and the 2-hour pings. */
  clock: Clock;
  /** The terminal server's event log (event 1010 goes there). */
  events: EventLog;
  /** Makes the link to a license server (LocalLink, HttpsLink…). */
  connect: LinkFactory;
  /** DefaultLicenseServer: NetBIOS name, FQDN, address or IP of the one license server to use. No fallback. */
  defaultLicenseServer?: string;
  /** SpecifiedLicenseServers (or the policy's LicenseServers): tried first, in order, then auto-discovery. */
  specifiedLicenseServers?: readonly string[];
  /** Where the specified list came from: Group Policy (`gp`) or the registry (`registry`, the default). */
  specifiedBy?: 'gp' | 'registry';
  broadcast?: { ports?: PortRange; timeoutMs?: number };
  discoveryIntervalMs?: number;
  pingIntervalMs?: number;
  contactTimeoutMs?: number;
  /**
   * Timer for network waits (a contact or a broadcast that gets no answer): real time by default, because a simulated
   * clock does not move while a datagram travels. Protocol timers never use it.
   */
  networkTimer?: Clock;
  random?: RandomSource;
  /** Structured, readable log lines (`discovery round=3 outcome=found …`). */
  log?: (line: string) => void;
}

export interface FoundEvent {
  link: LicenseServerLink;
  entry: CatalogEntry;
  /** Found by the first round after start(): the terminal server found a license server at the start. */
  initial: boolean;
  /** The first license server found since start(). */
  first: boolean;
  round: number;
}

export interface LostEvent {
  link: LicenseServerLink;
  entry: CatalogEntry;
  reason: 'ping-failed' | 'reported-unreachable' | 'not-found';
  problem: string;
}

export interface NoneEvent {
  round: number;
  catalog: CatalogEntry[];
  nextRoundAt: Date;
}

export type LocatorEvents = {
  /** A license server was chosen. */
  found: FoundEvent;
  /** The chosen license server is gone; a round follows at once. */
  lost: LostEvent;
  /** A round found none (event 1010 was logged); the next is at `nextRoundAt`. */
  none: NoneEvent;
};

/** What is due next on the clock. */
export interface NextCheck {
  kind: 'discovery' | 'ping';
  at: Date;
}

interface Candidate {
  name: string;
  how: HowDiscovered;
  address?: string;
  /** Same key, same license server. */
  key: string;
  problem?: string;
}

interface Entry extends CatalogEntry {
  key: string;
}

export class LicenseServerLocator {
  private readonly opts: Required<Pick<LicenseServerLocatorOptions, 'discoveryIntervalMs' | 'pingIntervalMs' | 'contactTimeoutMs'>> &
    LicenseServerLocatorOptions;
  private readonly self: DirectoryHost;
  private readonly ports: PortRange;
  private readonly emitter: Emitter<LocatorEvents>;
  private readonly links = new Map<string, LicenseServerLink>();
  private entries: Entry[] = [];
  private chosen?: { link: LicenseServerLink; key: string };
  private state: 'new' | 'running' | 'stopped' = 'new';
  private generation = 0;
  private rounds = 0;
  private foundSinceStart = false;
  private work: Promise<unknown> = Promise.resolve();
  private pendingRound?: Promise<LicenseServerLink | undefined>;
  private timer?: { kind: NextCheck['kind']; at: Date; cancel: () => void };

  constructor(options: LicenseServerLocatorOptions) {
    this.opts = {
      discoveryIntervalMs: DISCOVERY_INTERVAL,
      pingIntervalMs: PING_INTERVAL,
      contactTimeoutMs: CONTACT_TIMEOUT,
      ...options,
    };
    const self = options.directory.host(options.self);
    if (!self) throw new RangeError(`license server discovery: the terminal server "${options.self}" is not a host of the directory`);
    this.self = self;
    this.ports = checkPortRange(options.broadcast?.ports ?? DISCOVERY_PORTS);
    checkOverrides(options);
    for (const [name, ms] of Object.entries({
      discoveryIntervalMs: this.opts.discoveryIntervalMs,
      pingIntervalMs: this.opts.pingIntervalMs,
      contactTimeoutMs: this.opts.contactTimeoutMs,
    })) {
      if (!(Number.isFinite(ms) && ms > 0)) throw new RangeError(`license server discovery: ${name} must be a positive number of milliseconds, not ${ms}`);
    }
    this.emitter = new Emitter((event, e) => this.log(`listener=${String(event)} outcome=threw error=${JSON.stringify(String(e))}`));
  }

  /** Adds a listener for `found`, `lost` or `none`; returns the function that removes it. */
  on<K extends keyof LocatorEvents>(event: K, listener: (payload: LocatorEvents[K]) => void): () => void {
    return this.emitter.on(event, listener);
  }

  /** Starts discovery: the first round runs now. Resolves with its outcome. */
  start(): Promise<LicenseServerLink | undefined> {
    if (this.state !== 'new') throw new Error(`license server discovery was already ${this.state === 'running' ? 'started' : 'stopped'}`);
    this.state = 'running';
    this.log(`outcome=started ${this.describeMode()}`);
    return this.discoverNow();
  }

  /**
   * Cancels the timers, waits for work in flight, and closes the links it made (those with a `close()`, like
   * HttpsLink's keep-alive connections); current() is then undefined.
   */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    this.generation++;
    this.cancelTimer();
    this.chosen = undefined;
    await this.idle();
    for (const link of this.links.values()) {
      try {
        (link as Partial<{ close(): void }>).close?.();
      } catch (e) {
        this.log(`link=${link.target} outcome=close-failed error=${JSON.stringify(message(e))}`);
      }
    }
    this.links.clear();
  }

  /** The license server in use, or undefined while there is none. */
  current(): LicenseServerLink | undefined {
    return this.chosen?.link;
  }

  /** Every license server known after the latest round (available or not), in the order they are preferred. */
  catalog(): CatalogEntry[] {
    return this.entries.map(({ key: _key, ...e }) => ({ ...e, checkedAt: new Date(e.checkedAt) }));
  }

  /** The next discovery round or ping on the clock. */
  nextCheck(): NextCheck | undefined {
    return this.timer ? { kind: this.timer.kind, at: new Date(this.timer.at) } : undefined;
  }

  /** Discovery rounds run so far. */
  get roundCount(): number {
    return this.rounds;
  }

  /**
   * Runs a discovery round now (or joins the one already waiting to run) and resolves with the license server in use
   * afterwards. A license server already chosen is kept while it still answers.
   */
  discoverNow(): Promise<LicenseServerLink | undefined> {
    this.mustRun('discoverNow');
    if (this.pendingRound) return this.pendingRound;
    const round = this.enqueue(async () => {
      this.pendingRound = undefined;
      return this.round();
    });
    this.pendingRound = round;
    return round;
  }

  /**
   * The terminal server could not reach `link` (a request failed). If it is the one in use, it is lost and a round runs
   * at once; resolves with the license server in use afterwards.
   */
  reportUnreachable(link: LicenseServerLink, problem = 'reported unreachable by the terminal server'): Promise<LicenseServerLink | undefined> {
    this.mustRun('reportUnreachable');
    return this.enqueue(async () => {
      if (this.state !== 'running') return undefined;
      if (this.chosen?.link !== link) {
        const entry = this.entries.find((e) => this.links.get(e.key) === link);
        if (entry) Object.assign(entry, { available: false, problem, checkedAt: this.opts.clock.now() });
        return this.chosen?.link;
      }
      this.lose('reported-unreachable', problem);
      return this.round();
    });
  }

  /** Resolves once no round or ping is in flight (after `clock.advance`, await this before looking). */
  async idle(): Promise<void> {
    for (let w = this.work; ; w = this.work) {
      await w;
      if (w === this.work) return;
    }
  }

  // --- rounds and pings --------------------------------------------------------------------------------------------

  private async round(): Promise<LicenseServerLink | undefined> {
    if (this.state !== 'running') return undefined;
    const gen = this.generation;
    const n = ++this.rounds;
    const initial = n === 1;
    const candidates = await this.candidates(n);
    const entries = await Promise.all(candidates.map((c) => this.contact(c)));
    if (gen !== this.generation) return undefined;

    const previous = this.chosen;
    let pick = previous ? entries.findIndex((e) => e.key === previous.key && e.available) : -1;
    const kept = pick >= 0;
    if (previous && !kept) {
      const old = this.entries.find((e) => e.key === previous.key);
      this.lose('not-found', old ? 'no longer answers' : 'no longer discovered', old);
    }
    if (!kept) pick = entries.findIndex((e) => e.available);
    entries.forEach((e, i) => (e.chosen = i === pick));
    this.entries = entries;
    const summary = entries.map((e) => `${e.name}/${e.how}/${e.available ? 'up' : 'down'}`).join(',') || '-';

    if (pick >= 0) {
      const entry = entries[pick]!;
      const link = this.links.get(entry.key)!;
      if (!kept) {
        this.chosen = { link, key: entry.key };
        const first = !this.foundSinceStart;
        this.foundSinceStart = true;
        this.schedule('ping', this.opts.pingIntervalMs);
        this.log(`round=${n} outcome=found chosen=${entry.name} how=${entry.how} address=${entry.address} catalog=${summary}`);
        this.emitter.emit('found', { link, entry: publicEntry(entry), initial, first, round: n });
      } else {
        if (this.timer?.kind !== 'ping') this.schedule('ping', this.opts.pingIntervalMs);
        this.log(`round=${n} outcome=kept chosen=${entry.name} catalog=${summary}`);
      }
      return link;
    }

    this.opts.events.log(EVENT_NO_LICENSE_SERVER);
    this.schedule('discovery', this.opts.discoveryIntervalMs);
    const nextRoundAt = this.timer!.at;
    this.log(`round=${n} outcome=none event=1010 next=${nextRoundAt.toISOString()} catalog=${summary}`);
    this.emitter.emit('none', { round: n, catalog: this.catalog(), nextRoundAt });
    return undefined;
  }

  private async ping(): Promise<void> {
    if (this.state !== 'running' || !this.chosen) return;
    const gen = this.generation;
    const { link, key } = this.chosen;
    try {
      const status = await this.contactLink(link, link.target);
      if (gen !== this.generation || this.chosen?.link !== link) return;
      const entry = this.entries.find((e) => e.key === key);
      if (entry) Object.assign(entry, fromStatus(status), { available: true, problem: undefined, checkedAt: this.opts.clock.now() });
      this.schedule('ping', this.opts.pingIntervalMs);
      this.log(`ping=${link.target} outcome=answered`);
    } catch (e) {
      if (gen !== this.generation || this.chosen?.link !== link) return;
      this.log(`ping=${link.target} outcome=failed error=${JSON.stringify(message(e))}`);
      this.lose('ping-failed', message(e));
      await this.round();
    }
  }

  /** The candidates of a round, in order of preference, each license server once. */
  private async candidates(round: number): Promise<Candidate[]> {
    const d = this.opts.directory;
    const list: Candidate[] = [];
    if (this.opts.defaultLicenseServer !== undefined) {
      list.push(this.resolve(this.opts.defaultLicenseServer, 'registry'));
      return list;
    }
    for (const value of this.opts.specifiedLicenseServers ?? []) list.push(this.resolve(value, this.opts.specifiedBy ?? 'registry'));

    if (this.self.domain !== undefined) {
      for (const dc of d.domainControllers(this.self.domain)) {
        // A domain controller without the licensing service is not a license server: it is checked and skipped.
        if (dc.licenseServer !== undefined) list.push(candidate(dc.name, 'domain', dc.licenseServer));
      }
      if (this.self.site !== undefined) {
        for (const ls of d.enterpriseLicenseServers(this.self.site)) {
          list.push(
            ls.licenseServer !== undefined
              ? candidate(ls.name, 'enterprise', ls.licenseServer)
              : { name: ls.name, how: 'enterprise', key: `host:${ls.name.toLowerCase()}`, problem: `host ${ls.name} does not run the licensing service` },
          );
        }
      }
    } else {
      const workgroup = this.self.workgroup!;
      const offers = await broadcastDiscover({
        ports: this.ports,
        requester: this.self.name,
        random: this.opts.random ?? { bytes: (n) => randomBytes(n) },
        timeoutMs: this.opts.broadcast?.timeoutMs ?? BROADCAST_TIMEOUT,
        timer: this.opts.networkTimer ?? systemClock,
        onIgnored: (port, reason) => this.log(`round=${round} broadcast=${port} outcome=ignored reason=${JSON.stringify(reason)}`),
      });
      this.log(`round=${round} broadcast=${describeRange(this.ports)} offers=${offers.map((o) => `${o.name}@${o.port}`).join(',') || '-'}`);
      for (const o of [...offers].sort((a, b) => a.name.localeCompare(b.name) || a.port - b.port)) {
        if (sameName(o.scope, workgroup)) list.push(candidate(o.name, 'workgroup', o.address));
        else this.log(`round=${round} offer=${o.name} outcome=ignored reason="workgroup ${o.scope}, not ${workgroup}"`);
      }
    }
    const seen = new Set<string>();
    return list.filter((c) => !seen.has(c.key) && seen.add(c.key));
  }

  private resolve(value: string, how: HowDiscovered): Candidate {
    const r = this.opts.directory.resolve(value);
    if (r.address === undefined) return { name: r.name, how, key: `name:${r.name.toLowerCase()}`, problem: r.problem };
    return candidate(r.name, how, r.address);
  }

  /** Contacts one candidate; never rejects. */
  private async contact(c: Candidate): Promise<Entry> {
    const base = { name: c.name, how: c.how, key: c.key, address: c.address, chosen: false };
    if (c.address === undefined) return { ...base, available: false, checkedAt: this.opts.clock.now(), problem: c.problem };
    try {
      let link = this.links.get(c.key);
      if (!link) {
        link = this.opts.connect({ name: c.name, address: c.address, how: c.how });
        this.links.set(c.key, link);
      }
      const status = await this.contactLink(link, c.name);
      return { ...base, ...fromStatus(status), available: true, checkedAt: this.opts.clock.now() };
    } catch (e) {
      return { ...base, available: false, checkedAt: this.opts.clock.now(), problem: message(e) };
    }
  }

  /** A ping bounded by the contact timeout. */
  private contactLink(link: LicenseServerLink, name: string): Promise<LicenseServerStatus> {
    const timer = this.opts.networkTimer ?? systemClock;
    const ms = this.opts.contactTimeoutMs;
    return new Promise((resolve, reject) => {
      const cancel = timer.setTimeout(() => reject(new LicenseServerUnreachable(`license server ${name} did not answer within ${ms} ms`)), ms);
      Promise.resolve()
        .then(() => link.ping())
        .then(
          (s) => (cancel(), resolve(s)),
          (e) => (cancel(), reject(e)),
        );
    });
  }

  private lose(reason: LostEvent['reason'], problem: string, entry = this.entries.find((e) => e.key === this.chosen?.key)): void {
    const chosen = this.chosen;
    if (!chosen) return;
    this.chosen = undefined;
    if (this.timer?.kind === 'ping') this.cancelTimer();
    const e: Entry = entry ?? { name: chosen.link.target, how: 'registry', key: chosen.key, available: false, chosen: false, checkedAt: this.opts.clock.now() };
    Object.assign(e, { available: false, chosen: false, problem, checkedAt: this.opts.clock.now() });
    this.log(`outcome=lost chosen=${e.name} reason=${reason} problem=${JSON.stringify(problem)}`);
    this.emitter.emit('lost', { link: chosen.link, entry: publicEntry(e), reason, problem });
  }

  // --- plumbing ----------------------------------------------------------------------------------------------------

  private enqueue<T>(op: () => Promise<T>): Promise<T> {
    const p = this.work.then(op);
    this.work = p.catch((e) => this.log(`outcome=internal-error error=${JSON.stringify(message(e))}`));
    return p;
  }

  private schedule(kind: NextCheck['kind'], ms: number): void {
    this.cancelTimer();
    const at = new Date(this.opts.clock.now().getTime() + ms);
    const cancel = this.opts.clock.setTimeout(() => {
      if (this.timer?.cancel !== cancel) return;
      this.timer = undefined;
      if (this.state !== 'running') return;
      if (kind === 'discovery') void this.discoverNow();
      else void this.enqueue(() => this.ping());
    }, ms);
    this.timer = { kind, at, cancel };
  }

  private cancelTimer(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  private mustRun(what: string): void {
    if (this.state !== 'running') throw new Error(`license server discovery: ${what}() needs start() first${this.state === 'stopped' ? ' (it was stopped)' : ''}`);
  }

  private describeMode(): string {
    const s = this.self;
    const member = s.domain !== undefined ? `domain=${s.domain}${s.site ? ` site=${s.site}` : ''}` : `workgroup=${s.workgroup}`;
    if (this.opts.defaultLicenseServer !== undefined) return `self=${s.name} ${member} mode=default-license-server value=${JSON.stringify(this.opts.defaultLicenseServer)}`;
    const specified = this.opts.specifiedLicenseServers?.length ? ` specified=${this.opts.specifiedLicenseServers.join(',')}` : '';
    return `self=${s.name} ${member} mode=auto${specified}`;
  }

  private log(line: string): void {
    this.opts.log?.(`discovery ts=${this.self.name} ${line}`);
  }
}

function candidate(name: string, how: HowDiscovered, address: string): Candidate {
  const a = parseServiceAddress(address);
  return isServiceAddress(a) ? { name, how, address, key: a.key } : { name, how, key: `name:${name.toLowerCase()}`, problem: `address ${a.problem}` };
}

function fromStatus(s: LicenseServerStatus): Pick<CatalogEntry, 'activated' | 'licenseServerId'> {
  return { activated: s.activated, licenseServerId: s.licenseServerId };
}

function publicEntry({ key: _key, ...e }: Entry): CatalogEntry {
  return { ...e, checkedAt: new Date(e.checkedAt) };
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function checkOverrides(o: LicenseServerLocatorOptions): void {
  const where = 'license server discovery';
  if (o.defaultLicenseServer !== undefined && o.specifiedLicenseServers !== undefined && o.specifiedLicenseServers.length > 0) {
    throw new RangeError(`${where}: set DefaultLicenseServer (Windows 2000) or SpecifiedLicenseServers (later versions), not both`);
  }
  if (o.defaultLicenseServer !== undefined) {
    if (typeof o.defaultLicenseServer !== 'string' || o.defaultLicenseServer.trim() === '') {
      throw new RangeError(`${where}: DefaultLicenseServer is empty; give one NetBIOS name, FQDN or address`);
    }
    if (/[,;\s]/.test(o.defaultLicenseServer.trim())) {
      throw new RangeError(`${where}: DefaultLicenseServer "${o.defaultLicenseServer}" names more than one server; it takes exactly one`);
    }
  }
  const list = o.specifiedLicenseServers ?? [];
  if (list.length > MAX_SPECIFIED_LICENSE_SERVERS) {
    throw new RangeError(`${where}: SpecifiedLicenseServers has ${list.length} entries, more than ${MAX_SPECIFIED_LICENSE_SERVERS}`);
  }
  list.forEach((v, i) => {
    if (typeof v !== 'string' || v.trim() === '') throw new RangeError(`${where}: SpecifiedLicenseServers[${i}] is empty`);
  });
  if (o.specifiedBy !== undefined && o.specifiedBy !== 'gp' && o.specifiedBy !== 'registry') {
    throw new RangeError(`${where}: specifiedBy must be "gp" or "registry", not "${String(o.specifiedBy)}"`);
  }
}

/** Splits the policy's comma-separated LicenseServers value (REG_SZ) into a SpecifiedLicenseServers list. */
export function parseLicenseServerList(value: string): string[] {
  return value
    .split(/[,;]/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
