/**
 * The license server's rules (seed: "Client License Distribution", "Post-Logon License Issuance", "Automatic License
 * Token Re-issuance", "Internet Connector Licensing"; RD-LICENSING.md §1.2–1.4 for per-user mode and revocation).
 * It decides which token a device gets; certificates are built by an injected issuer, time comes from a Clock.
 */
import type { RandomSource } from '../../protocol/crypto/index.js';
import { DAY, type Clock } from '../clock.js';
import { EventLog, type EventDefinition } from '../event-log.js';
import { LS_EVENTS } from './events.js';
import type { LicenseStore } from './store.js';
import type { ClientIdentity, KeyPack, KeyPackType, LicenseRecord, ProductVersion, TokenKind } from './types.js';

export interface LicenseServerOptions {
  /** Temporary tokens last this long (seed: 90 days). */
  temporaryDays: number;
  /** TS CAL expiry is a random number of days in this range (seed: 52–89). */
  calDays: [number, number];
  /** A CAL presented this close to its expiry is renewed (seed: 7 days). */
  renewalWindowDays: number;
  /** Post-logon issuance (Q287687): a new device gets a temporary token, and a CAL only once a logon validated it. */
  postLogonIssuance: boolean;
  /** Clients whose PlatformId says Windows 2000 Professional or later get a built-in token. */
  builtInPool: boolean;
  /** Per-user CALs are shown as expiring after this many days and extended at each sign-in (RD-LICENSING.md §1.2). */
  perUserDays: number;
  /** Share of the installed per-device CALs of one version that may be revoked at a time. */
  revocationShare: number;
}

export const DEFAULT_OPTIONS: LicenseServerOptions = {
  temporaryDays: 90,
  calDays: [52, 89],
  renewalWindowDays: 7,
  postLogonIssuance: true,
  builtInPool: true,
  perUserDays: 60,
  revocationShare: 0.2,
};

/** What the terminal server asks for one client connection. */
export interface LicenseRequest {
  terminalServer: string;
  client: ClientIdentity;
  product: ProductVersion;
  /**
   * The request follows a redirect: a peer with no CAL left sent the terminal server here, because it would have issued
   * this device a CAL (its logon validated it there). This server honours that (post-logon issuance) and does not
   * redirect the request again.
   */
  redirected?: boolean;
}

export type LicenseResult =
  | { outcome: 'issued'; license: LicenseRecord; certificate: Buffer; reason: IssueReason }
  | { outcome: 'redirect'; peer: string; url: string; /** The peer's HTTPS certificate (PEM), for the terminal server to pin. */ certificate?: string }
  | { outcome: 'denied'; reason: DenyReason; message: string };

export type IssueReason =
  | 'new-temporary'
  | 'new-cal'
  | 'new-built-in'
  | 'upgraded-to-cal'
  | 'renewed'
  | 'own-license'
  | 'temporary-kept';

export type DenyReason = 'temporary-expired' | 'not-activated' | 'no-license' | 'unknown-license';

/** Builds the certificate (the CAL bytes sent to the client) of a license record. */
export interface LicenseIssuer {
  certificate(license: LicenseRecord): Buffer;
}

/** Asks peer license servers for inventory (seed: "redirect the terminal server to the second"). */
export interface PeerDirectory {
  /**
   * A peer that could fulfil the request: one with a free token of `type`, or one that already holds an active CAL for
   * device `hwid` (it renews its own CALs whatever its inventory).
   */
  findPeerWithInventory(type: KeyPackType, product: ProductVersion, hwid?: Buffer): Promise<{ name: string; url: string; certificate?: string } | undefined>;
}

export class LicenseServerError extends Error {
  constructor(
    readonly code: 'not-found' | 'conflict' | 'refused' | 'invalid',
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** PlatformId's most significant byte is the OS ([MS-RDPELE] 2.2.2.2): 0x03 = NT 5.0 (Windows 2000), 0x04 = 5.2–6.3, 0x08 = 10.0+. */
export function isBuiltInPlatform(platformId: number): boolean {
  const os = platformId >>> 24;
  return os >= 0x03 && os <= 0x08;
}

export class LicenseServer {
  readonly options: LicenseServerOptions;
  readonly events: EventLog;

  constructor(
    readonly name: string,
    readonly store: LicenseStore,
    readonly clock: Clock,
    private readonly random: RandomSource,
    private readonly issuer: LicenseIssuer,
    options: Partial<LicenseServerOptions> = {},
    private peers?: PeerDirectory,
  ) {
    this.options = { ...DEFAULT_OPTIONS, ...options };
    this.events = new EventLog('TermServLicensing', () => clock.now());
    this.events.addSink({ write: (e) => store.insertEvent(e.at, e.eventId, e.level, e.message) });
  }

  get activated(): boolean {
    return this.store.getSetting('activated') === 'yes';
  }

  /** Where to look for CALs when this server has none left (configured peers; none = no redirects). */
  setPeerDirectory(peers: PeerDirectory | undefined): void {
    this.peers = peers;
  }

  private readonly lastLogged = new Map<string, number>();

  /** Logs a warning at most once a day (of the server's clock) per event and arguments, so a busy server does not flood. */
  logThrottled(def: EventDefinition, ...args: string[]): void {
    const key = `${def.id}\u0000${args.join('\u0000')}`;
    const now = this.clock.now().getTime();
    const last = this.lastLogged.get(key);
    if (last !== undefined && now - last < DAY && now >= last) return;
    this.lastLogged.set(key, now);
    this.events.log(def, ...args);
  }

  // ---------------------------------------------------------------- lifecycle on the clock

  /** Ends what expired by now: CALs go back to the pool, temporaries end. Returns how many licenses ended. */
  sweep(): number {
    const now = this.clock.now();
    try {
      return this.store.transaction(() => {
        const due = this.store.dueForExpiry(now);
        for (const l of due) {
          this.store.endLicense(l.id, 'expired', l.expiresAt);
          this.store.releaseToken(l.id);
        }
        return due.length;
      });
    } catch (e) {
      // Nothing was returned (the transaction rolled back); the next sweep tries again.
      this.logThrottled(LS_EVENTS.RETURN_LICENSE_FAILED, 'TS Per Device', (e as Error).message);
      throw e;
    }
  }

  // ---------------------------------------------------------------- client tokens

  /** One decision for one client connection: which token it gets (or a redirect, or a denial). */
  async requestLicense(req: LicenseRequest): Promise<LicenseResult> {
    const first = this.decide(req);
    if (first.kind === 'result') return first.result;
    // No CAL here: a peer with inventory gets the request (seed: "it will first look to any other license server").
    // A request that was redirected here already is not sent on again.
    const peer = req.redirected ? undefined : await this.peers?.findPeerWithInventory('per-device', req.product, req.client.hwid);
    if (peer) return { outcome: 'redirect', peer: peer.name, url: peer.url, ...(peer.certificate ? { certificate: peer.certificate } : {}) };
    const second = this.decide(req, true);
    if (second.kind === 'result') return second.result;
    throw new Error('unreachable: decision without peers still wants a CAL');
  }

  private decide(req: LicenseRequest, noPeers = false): { kind: 'result'; result: LicenseResult } | { kind: 'ask-peers' } {
    this.sweep();
    const now = this.clock.now();
    const { client, product } = req;
    return this.store.transaction(() => {
      const done = (license: LicenseRecord, reason: IssueReason) =>
        ({ kind: 'result', result: { outcome: 'issued', license, certificate: this.issuer.certificate(license), reason } }) as const;
      const deny = (reason: DenyReason, message: string) => ({ kind: 'result', result: { outcome: 'denied', reason, message } }) as const;

      const own = this.store.activeByHwid(client.hwid, ['cal', 'built-in', 'temporary']);
      const permanent = own.find((l) => l.kind === 'cal' || l.kind === 'built-in');
      if (permanent) {
        // A device always gets its own CAL back, renewed when it is close to expiry.
        if (permanent.expiresAt.getTime() - now.getTime() <= this.options.renewalWindowDays * DAY) {
          return done(this.renew(permanent, now), 'renewed');
        }
        return done(permanent, 'own-license');
      }

      if (this.activated && this.options.builtInPool && isBuiltInPlatform(client.platformId)) {
        return done(this.newLicense('built-in', null, req, now, this.addDays(now, 3650), true), 'new-built-in');
      }

      const temporary = own.find((l) => l.kind === 'temporary');
      const hadExpiredTemporary = !temporary && this.store.licenses({ hwid: client.hwid, kind: 'temporary', state: 'expired' }).length > 0;
      // Post-logon issuance: a CAL only for a device a logon has validated (or that held a permanent token before), here
      // or at the peer that redirected the request.
      const wantsCal = !this.options.postLogonIssuance || req.redirected === true || this.validatedBefore(client.hwid);

      if (wantsCal && this.activated) {
        const free = this.store.freeToken('per-device', product);
        if (free) {
          const cal = this.newLicense('cal', free.keypack, req, now, this.calExpiry(now), true);
          this.store.assignToken(free.token, cal.id);
          this.warnIfRunningLow(free, product);
          if (temporary) this.store.endLicense(temporary.id, 'upgraded', now);
          return done(this.store.license(cal.id)!, temporary || hadExpiredTemporary ? 'upgraded-to-cal' : 'new-cal');
        }
        if (!noPeers && !req.redirected && this.peers) return { kind: 'ask-peers' } as const;
        this.logThrottled(LS_EVENTS.NO_PERMANENT_LICENSES, this.name, versionText(product));
      } else if (wantsCal && !this.activated) {
        this.logThrottled(LS_EVENTS.NOT_ACTIVATED, this.name);
      }

      if (temporary) return done(temporary, 'temporary-kept');
      if (hadExpiredTemporary) {
        return deny('temporary-expired', 'the temporary license of this device has expired and no CAL is available');
      }
      return done(this.newLicense('temporary', null, req, now, this.addDays(now, this.options.temporaryDays), false), 'new-temporary');
    });
  }

  /** The terminal server reports a successful logon: the device's temporary token becomes validated. */
  reportLogon(hwid: Buffer): LicenseRecord | undefined {
    return this.store.transaction(() => {
      const temporary = this.store.activeByHwid(hwid, ['temporary'])[0];
      if (!temporary) return undefined;
      this.store.setValidated(temporary.id);
      return this.store.license(temporary.id);
    });
  }

  /** Per-user mode: record (not enforce) a per-user CAL for a user who signed in; extended at each sign-in. */
  recordPerUser(user: string, terminalServer: string, product: ProductVersion): LicenseRecord {
    const now = this.clock.now();
    return this.store.transaction(() => {
      const existing = this.store.activeByUser(user, 'per-user');
      const expires = this.addDays(now, this.options.perUserDays);
      if (existing) {
        this.store.setExpiry(existing.id, expires);
        return this.store.license(existing.id)!;
      }
      const free = this.store.freeToken('per-user', product);
      const license = this.store.insertLicense({
        kind: 'per-user',
        keypack: free?.keypack ?? null,
        hwid: null,
        machine: '',
        user,
        platformId: 0,
        terminalServer,
        product,
        issuedAt: now,
        expiresAt: expires,
        validated: true,
      });
      if (free) this.store.assignToken(free.token, license.id);
      return this.store.license(license.id)!;
    });
  }

  // ---------------------------------------------------------------- Internet Connector

  /** A terminal server enabling Internet Connector mode pulls one token; there is no temporary one. */
  acquireInternetConnector(terminalServer: string, product: ProductVersion): { license: LicenseRecord; certificate: Buffer } {
    const now = this.clock.now();
    const license = this.store.transaction(() => {
      const existing = this.store.activeByTerminalServer(terminalServer, 'internet-connector');
      if (existing) return existing;
      if (!this.activated) throw new LicenseServerError('refused', 'the license server is not activated');
      const free = this.store.freeToken('internet-connector', product);
      if (!free) throw new LicenseServerError('refused', 'no Internet Connector license token is available');
      const l = this.store.insertLicense({
        kind: 'internet-connector',
        keypack: free.keypack,
        hwid: null,
        machine: terminalServer,
        user: '',
        platformId: 0,
        terminalServer,
        product,
        issuedAt: now,
        expiresAt: this.addDays(now, 36500),
        validated: true,
      });
      this.store.assignToken(free.token, l.id);
      return this.store.license(l.id)!;
    });
    return { license, certificate: this.issuer.certificate(license) };
  }

  /** Disabling Internet Connector mode moves the token back to the license server. */
  releaseInternetConnector(terminalServer: string): LicenseRecord {
    const now = this.clock.now();
    return this.store.transaction(() => {
      const existing = this.store.activeByTerminalServer(terminalServer, 'internet-connector');
      if (!existing) throw new LicenseServerError('not-found', `${terminalServer} holds no Internet Connector token`);
      this.store.endLicense(existing.id, 'returned', now);
      this.store.releaseToken(existing.id);
      return this.store.license(existing.id)!;
    });
  }

  // ---------------------------------------------------------------- revocation

  /**
   * Revokes a per-device CAL: it goes back to the pool at once. At most `revocationShare` of the installed per-device
   * CALs of one product version may be revoked at a time; a revocation counts until the revoked CAL would have expired.
   */
  revoke(licenseId: number): { license: LicenseRecord; revokable: number } {
    const now = this.clock.now();
    return this.store.transaction(() => {
      const l = this.store.license(licenseId);
      if (!l) throw new LicenseServerError('not-found', `no license ${licenseId}`);
      if (l.kind !== 'cal') throw new LicenseServerError('refused', `only per-device CALs can be revoked (license ${licenseId} is ${l.kind})`);
      if (l.state !== 'active') throw new LicenseServerError('conflict', `license ${licenseId} is ${l.state}`);
      const quota = Math.floor(this.store.installedCount('per-device', l.product) * this.options.revocationShare);
      const counting = this.store.countingRevocations(l.product, now);
      if (counting.length >= quota) {
        throw new LicenseServerError('refused', `the revocation quota (${quota}) for version ${versionText(l.product)} is used up`, {
          revokable: 0,
          nextRevokeAllowedOn: counting[0]?.countsUntil.toISOString() ?? null,
        });
      }
      this.store.endLicense(l.id, 'revoked', now);
      this.store.releaseToken(l.id);
      this.store.insertRevocation(l.id, now, l.expiresAt);
      return { license: this.store.license(l.id)!, revokable: quota - counting.length - 1 };
    });
  }

  // ---------------------------------------------------------------- reads

  keyPacks(): KeyPack[] {
    return this.store.keyPacks();
  }

  /**
   * Whether this server could fulfil a request for a token of this type now (what peers ask each other): it has a free
   * one, or it holds device `hwid`'s own active CAL, which it would renew.
   */
  hasInventory(type: KeyPackType, product: ProductVersion, hwid?: Buffer): boolean {
    this.sweep();
    if (!this.activated) return false;
    if (this.store.freeCount(type, product) > 0) return true;
    return type === 'per-device' && hwid !== undefined && this.store.activeByHwid(hwid, ['cal']).length > 0;
  }

  // ---------------------------------------------------------------- helpers

  /**
   * Event 20 when an allocation leaves 10% or less of the version's CALs free. Tokens of a pack have consecutive ids
   * and are taken lowest first, so the exact count is needed only near the end of a pack.
   */
  private warnIfRunningLow(taken: { token: number; keypack: number }, product: ProductVersion): void {
    const range = this.store.tokenRange(taken.keypack);
    if (!range || range.last - taken.token > Math.ceil(range.total / 10)) return;
    const installed = this.store.installedCount('per-device', product);
    const free = this.store.freeCount('per-device', product);
    if (free > 0 && free <= Math.max(1, Math.floor(installed / 10))) {
      this.logThrottled(LS_EVENTS.INSUFFICIENT_LICENSES, this.name, versionText(product));
    }
  }

  private newLicense(kind: TokenKind, keypack: number | null, req: LicenseRequest, now: Date, expires: Date, validated: boolean): LicenseRecord {
    return this.store.insertLicense({
      kind,
      keypack,
      hwid: req.client.hwid,
      machine: req.client.machine,
      user: req.client.user,
      platformId: req.client.platformId,
      terminalServer: req.terminalServer,
      product: req.product,
      issuedAt: now,
      expiresAt: expires,
      validated,
    });
  }

  /** Renewal: a new license on the same token with a new 52–89-day expiry; the old one is marked renewed. */
  private renew(old: LicenseRecord, now: Date): LicenseRecord {
    const next = this.store.insertLicense({
      kind: old.kind,
      keypack: old.keypack,
      hwid: old.hwid,
      machine: old.machine,
      user: old.user,
      platformId: old.platformId,
      terminalServer: old.terminalServer,
      product: old.product,
      issuedAt: now,
      expiresAt: old.kind === 'cal' ? this.calExpiry(now) : this.addDays(now, 3650),
      validated: true,
    });
    if (old.token !== null) this.store.moveToken(old.id, next.id);
    this.store.endLicense(old.id, 'renewed', now);
    return this.store.license(next.id)!;
  }

  private validatedBefore(hwid: Buffer): boolean {
    return this.store.licenses({ hwid }).some((l) => l.validated);
  }

  /** A uniformly random whole number of days in [calDays[0], calDays[1]]. */
  calExpiry(now: Date): Date {
    const [min, max] = this.options.calDays;
    const span = max - min + 1;
    const r = this.random.bytes(4).readUInt32LE(0);
    return this.addDays(now, min + (r % span));
  }

  private addDays(now: Date, days: number): Date {
    return new Date(now.getTime() + days * DAY);
  }
}

export function versionText(p: ProductVersion): string {
  return `${p.major}.${String(p.minor).padStart(2, '0')}`;
}
