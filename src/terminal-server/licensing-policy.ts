/**
 * The terminal server's licensing rules for one client connection (seed: "Client Device Licensing", "Terminal Server";
 * RDPELE.md §5.5, §6.1), plugged into protocol/session's ServerLicensing:
 *  - a client with a valid CAL or built-in token needs no license server;
 *  - a temporary token, an expired one, one near its expiry, or none → ask a license server (following redirects);
 *  - no license server reachable → valid tokens still connect, others are denied, unless the grace period runs;
 *  - a corrupt license → event 1003 and a denial; an expired temporary token the license server will not replace → 1011;
 *  - a license bound to another hardware id (the device made a new HWID, the seed's fix for 1003) → licensed afresh.
 */
import {
  ERR_INVALID_CLIENT,
  ERR_NO_LICENSE_SERVER,
  ST_TOTAL_ABORT,
} from '../../protocol/licensing/index.js';
import type { AcceptDecision, DenyDecision, ServerLicensingPolicy, ServerPolicyInfo } from '../../protocol/session/index.js';
import type { Clock } from '../clock.js';
import type { EventLog } from '../event-log.js';
import { licenseIdOfSerial, licenseSerial } from '../license-server/identity.js';
import type { LicenseResult } from '../license-server/license-server.js';
import type { LicenseServerLink } from '../license-server/link.js';
import type { ProductVersion, TokenKind } from '../license-server/types.js';
import { TS_EVENTS } from './events.js';
import type { GracePeriod } from './grace-period.js';
import { checkPresentedLicense, type TrustAnchors } from './presented-license.js';

export interface LicensingContext {
  /** This terminal server's name (as license servers know it). */
  name: string;
  clock: Clock;
  events: EventLog;
  grace: GracePeriod;
  product: ProductVersion;
  trust: TrustAnchors;
  renewalWindowDays: number;
  /** The license server to ask now, if any is known. */
  licenseServer(): LicenseServerLink | undefined;
  /** A link to a peer a license server redirected us to. */
  linkTo(url: string, name: string): LicenseServerLink;
  /** A license server did not answer: look for another. */
  reportUnreachable(link: LicenseServerLink): void;
  /** STATUS_VALID_CLIENT at once, no license exchange (licensing off, remote administration, Internet Connector mode). */
  licensingOff(): boolean;
}

/** What happened, for the connection's outcome line and the post-logon report. */
export interface LicensingNote {
  /** Token kind of the license the client holds at the end, if known. */
  kind?: TokenKind;
  licenseId?: number;
  /** Serial of the license's certificate, hex. */
  serial?: string;
  hwid?: Buffer;
  /** One phrase: how the decision was made. */
  decision: string;
}

const deny = (errorCode: number): DenyDecision => ({ action: 'deny', errorCode, stateTransition: ST_TOTAL_ABORT });
const MAX_REDIRECTS = 3;

export class ConnectionPolicy implements ServerLicensingPolicy {
  readonly note: LicensingNote = { decision: 'none' };
  /** Set when the presented license was checked and found usable without a license server. */
  private presentedUsable = false;
  /** ... and it is a permanent one (a TS CAL or built-in token, maybe near its expiry). */
  private presentedPermanent = false;

  constructor(
    private readonly ctx: LicensingContext,
    private readonly client: { clientName: string; userName: string; domain: string },
  ) {}

  onStart(): 'request' | 'valid-client' {
    if (!this.ctx.licensingOff()) return 'request';
    this.note.decision = 'licensing off';
    return 'valid-client';
  }

  onNewLicenseRequest(): { action: 'challenge' } {
    return { action: 'challenge' };
  }

  async issue(info: ServerPolicyInfo) {
    this.note.hwid = info.hwid;
    const d = this.settle(await this.ask(info));
    return 'licenseInfo' in d ? ({ action: 'issue', licenseInfo: d.licenseInfo } as const) : d;
  }

  validate(info: ServerPolicyInfo) {
    this.note.hwid = info.hwid;
    const p = checkPresentedLicense(info.presentedLicense!, info.hwid, this.ctx.product, this.ctx.clock.now(), this.ctx.trust, this.ctx.renewalWindowDays);
    if (p.status === 'invalid') {
      this.ctx.events.log(TS_EVENTS.INVALID_LICENSE, this.client.clientName);
      this.note.decision = `invalid license: ${p.reason}`;
      return deny(ERR_INVALID_CLIENT);
    }
    if (p.status === 'foreign') {
      this.note.decision = 'license from an unknown license server: re-issue';
      return { action: 'upgrade' } as const;
    }
    if (p.status === 'other-device') {
      this.note.decision = 'license issued to another hardware id (a new HWID): re-issue';
      return { action: 'upgrade' } as const;
    }
    this.note.serial = p.license.serialNumber.toString('hex');
    this.note.licenseId = licenseIdOfSerial(p.license.serialNumber);
    this.note.kind = p.temporary ? 'temporary' : 'cal';
    this.presentedUsable = !p.expired;
    this.presentedPermanent = this.presentedUsable && !p.temporary;
    if (!p.temporary && !p.expired && !p.nearExpiry) {
      this.note.decision = 'valid license';
      return { action: 'accept' } as const;
    }
    this.note.decision = p.temporary ? (p.expired ? 'expired temporary license' : 'temporary license') : p.expired ? 'expired license' : 'license near expiry';
    return { action: 'upgrade' } as const;
  }

  async upgrade(info: ServerPolicyInfo) {
    const d = this.settle(await this.ask(info));
    return 'licenseInfo' in d ? ({ action: 'upgrade', licenseInfo: d.licenseInfo } as const) : d;
  }

  /** Asks the license server for this client's token, following redirects; undefined when none can be reached. */
  private async ask(info: ServerPolicyInfo): Promise<LicenseResult | undefined> {
    let link = this.ctx.licenseServer();
    for (let hop = 0; link && hop <= MAX_REDIRECTS; hop++) {
      let r: LicenseResult;
      try {
        r = await link.requestLicense({
          terminalServer: this.ctx.name,
          client: { hwid: info.hwid!, machine: info.machineName ?? this.client.clientName, user: info.userName ?? this.client.userName, platformId: info.platformId },
          product: this.ctx.product,
          ...(hop > 0 ? { redirected: true } : {}),
        });
      } catch {
        this.ctx.reportUnreachable(link);
        return undefined;
      }
      this.ctx.grace.licenseServerFound();
      if (r.outcome !== 'redirect') return r;
      link = this.ctx.linkTo(r.url, r.peer);
    }
    return undefined;
  }

  /** The license to send, or the alert to end with. */
  private settle(r: LicenseResult | undefined): { licenseInfo: Buffer } | AcceptDecision | DenyDecision {
    // A license server that cannot renew the client's still-valid permanent token (it does not know the device, or the
    // server that issued it is out of reach) must not take it away: it works as normal until it expires (seed:
    // "Automatic License Token Re-issuance": "the TS CAL token functions as normal").
    if (this.presentedPermanent && (r?.outcome === 'denied' || (r?.outcome === 'issued' && r.license.kind === 'temporary'))) {
      this.note.decision = `the license server ${r.outcome === 'denied' ? `denied a renewal (${r.message})` : 'offered only a temporary token'}: the presented license still works`;
      return { action: 'accept' };
    }
    if (r?.outcome === 'issued') {
      this.note.kind = r.license.kind;
      this.note.licenseId = r.license.id;
      this.note.serial = licenseSerial(r.license.kind, r.license.id).toString('hex');
      this.note.decision = r.reason;
      return { licenseInfo: r.certificate };
    }
    if (r?.outcome === 'denied') {
      this.note.decision = `denied by the license server: ${r.message}`;
      if (r.reason === 'temporary-expired') this.ctx.events.log(TS_EVENTS.TEMPORARY_EXPIRED, this.client.clientName);
      else this.ctx.events.log(TS_EVENTS.CANNOT_ISSUE);
      return deny(ERR_INVALID_CLIENT);
    }
    // No license server could be reached.
    if (this.presentedUsable) {
      this.note.decision = 'no license server: the presented license still works';
      return { action: 'accept' };
    }
    if (this.ctx.grace.active) {
      this.note.decision = 'no license server: grace period';
      return { action: 'accept' };
    }
    this.ctx.events.log(TS_EVENTS.UNABLE_TO_ACQUIRE, this.client.userName, this.client.domain);
    this.ctx.events.log(TS_EVENTS.CANNOT_ISSUE);
    this.note.decision = 'no license server and no grace period';
    return deny(ERR_NO_LICENSE_SERVER);
  }
}
