/**
 * A client device: an emulated RDP client whose licenses live in an emulated registry (DESIGN.md "client device").
 * One connect() = TCP (+ TLS or Standard RDP Security) through the connection sequence, the licensing exchange with
 * ClientLicensing and the registry store, then a clean disconnect; the result says what happened and which license the
 * device now holds.
 */
import { publicKeyOfServerCertificate } from '../../protocol/certificates/index.js';
import type { RandomSource, RsaPublicKey } from '../../protocol/crypto/index.js';
import { errorCodeName, stateTransitionName } from '../../protocol/licensing/index.js';
import { ClientConnection, PROTOCOL_SSL } from '../../protocol/rdp/index.js';
import { ClientLicensing, formatLicensingEvent, type ClientOutcome } from '../../protocol/session/index.js';
import type { Clock } from '../clock.js';
import { cryptoRandom } from '../crypto-random.js';
import { listLicenseEntries } from '../registry/mslicensing.js';
import { resolveHardwareId, type HardwareIdMode } from './hardware-id.js';
import { summarizeLicense, type LicenseSummary } from './license-summary.js';
import { RegistryFile } from './registry-file.js';
import { RegistryLicenseStore } from './registry-license-store.js';
import { runClientTransport, type TransportOptions, type TransportResult } from './transport.js';

/** `rdp`: no RDP_NEG_REQ, Standard RDP Security; `tls`: TLS required; `negotiate`: offer TLS, take what the server picks. */
export type SecurityChoice = 'rdp' | 'tls' | 'negotiate';


export interface ClientDeviceOptions {
  /** The registry file (.reg); created if missing. */
  registry: string;
  /** Move a corrupt registry file aside (`<file>.corrupt`) and start a new one, instead of failing. */
  recreateRegistry?: boolean;
  userName: string;
  /** CS_CORE clientName (15 characters are sent) and ClientMachineName. */
  machineName: string;
  domain?: string;
  /**
   * The Client Info password. The emulated terminal server's logon succeeds with a user name and a non-empty password
   * (matching its accounts file, if it has one): so a password = `--logon ok`, none = `--logon fail`.
   */
  password?: string;
  /** PlatformId of the licensing requests (default 0x04010000, as ClientLicensing). */
  platformId?: number;
  /** How a missing HWID is made (default random, as Windows). */
  hwid?: HardwareIdMode;
  /** Default negotiate. */
  security?: SecurityChoice;
  /** Randomness for keys and new HWIDs (default node:crypto). */
  random?: RandomSource;
  /** For the time limit (default the system clock). */
  clock?: Clock;
  /** Time limit of one connection (default 30 s). */
  timeoutMs?: number;
  /** One line per protocol step (--verbose). */
  trace?: (line: string) => void;
  /** Fault injection: see TransportOptions.tamper. */
  tamper?: TransportOptions['tamper'];
  /** Keep the session open after licensing until this settles (see TransportOptions.hold). */
  hold?: Promise<unknown>;
}

export type ClientOutcomeKind = ClientOutcome['kind'] | 'failed';

/** What one connection did. Also the `--json` output of `rdplic client` (see README for the schema). */
export interface ClientConnectResult {
  schema: 'rdplic-client/1';
  server: string;
  /** What the server selected (null when the connection failed before that). */
  security: 'tls' | 'rdp' | null;
  /**
   * new-license / upgrade-license: a license was received and stored; valid-client: the server sent STATUS_VALID_CLIENT;
   * denied: another error alert ended licensing; aborted: the client gave up (bad MAC, bad certificate, malformed or
   * unexpected message); failed: the connection failed or ended before licensing did.
   */
  outcome: ClientOutcomeKind;
  /** 0 licensed or valid, 3 denied, 2 aborted or failed, 1 the license could not be stored. */
  exitCode: 0 | 1 | 2 | 3;
  errorCode: number | null;
  errorCodeName: string | null;
  stateTransition: number | null;
  stateTransitionName: string | null;
  /** Why it was aborted or failed. */
  reason: string | null;
  /** The LICENSEnnn entry presented in CLIENT_LICENSE_INFO (null: a new license was requested). */
  presentedEntry: string | null;
  /** Stored entries that matched the server's product but could not be presented, and why. */
  rejectedEntries: Array<{ entry: string; problem: string }>;
  /** Where a received license was stored, or why it could not be. */
  storedEntry: string | null;
  storeError: string | null;
  hwid: string;
  /** True when this connection made the HWID (first use, a deleted HardwareID key, rotation). */
  hwidCreated: boolean;
  registry: string;
  /** Set when a corrupt registry file was moved aside and a new one started. */
  registryRecovered: { backup: string; problem: string } | null;
  /** The license the device now holds for this server's product (null if none). */
  license: LicenseSummary | null;
  /** The licensing messages, one line each. */
  licensingTrace: string[];
  /**
   * With a hold: `released` when the session stayed open until the hold ended and the client disconnected,
   * `ended-by-server` when the server ended it during the hold (see `reason`); null without a hold or before licensing ended.
   */
  held: 'released' | 'ended-by-server' | null;
}

/** Splits HOST:PORT (IPv6 as [addr]:port). */
export function parseHostPort(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port > 0 && port < 65536)) throw new RangeError(`"${text}" is not HOST:PORT`);
  return { host: (m[1] ?? m[2])!, port };
}

export class ClientDevice {
  readonly file: RegistryFile;

  constructor(readonly options: ClientDeviceOptions) {
    this.file = new RegistryFile(options.registry);
  }

  /** One connection to HOST:PORT. Rejects only for an unusable registry file (RegistryFileError). */
  async connect(host: string, port: number): Promise<ClientConnectResult> {
    const o = this.options;
    const random = o.random ?? cryptoRandom;
    this.file.open({ recreate: o.recreateRegistry ?? false });
    const hw = await resolveHardwareId(this.file, o.hwid ?? 'random', o.machineName, random);
    if (hw.replacedProblem) o.trace?.(`the stored ClientHWID was unusable (${hw.replacedProblem}): kept as ClientHWID.invalid, made a new one`);
    const store = new RegistryLicenseStore(this.file);
    const security = o.security ?? 'negotiate';

    let sessionCertificate: Buffer | undefined;
    const connection = new ClientConnection({
      userName: o.userName,
      ...(o.password ? { password: o.password } : {}),
      ...(o.domain !== undefined ? { domain: o.domain } : {}),
      clientName: o.machineName,
      requestedProtocols: security === 'rdp' ? null : PROTOCOL_SSL,
      random,
      publicKeyOf: (cert) => {
        sessionCertificate = cert;
        return publicKeyOfServerCertificate(cert);
      },
    });
    const licensing = new ClientLicensing({
      random,
      hwid: hw.hwid,
      userName: o.userName,
      machineName: o.machineName,
      ...(o.platformId !== undefined ? { platformId: o.platformId } : {}),
      store,
      publicKeyOf: (blob): RsaPublicKey => {
        // An empty certificate in the LICENSE_REQUEST means "the one of the Server Security Data" (RDPELE.md §6.2).
        if (blob.length === 0 && sessionCertificate) return publicKeyOfServerCertificate(sessionCertificate);
        return publicKeyOfServerCertificate(blob);
      },
      onEvent: (e) => o.trace?.(formatLicensingEvent(e)),
    });

    const transport = await runClientTransport(
      connection,
      async (message) => {
        const step = await licensing.receive(message);
        return { send: step.send, done: licensing.done };
      },
      {
        host,
        port,
        requireTls: security === 'tls',
        ...(o.clock ? { clock: o.clock } : {}),
        ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
        ...(o.trace ? { trace: o.trace } : {}),
        ...(o.tamper ? { tamper: o.tamper } : {}),
        ...(o.hold ? { hold: o.hold } : {}),
      },
    );
    return this.result(`${host.includes(':') ? `[${host}]` : host}:${port}`, transport, licensing, store, hw);
  }

  private result(
    server: string,
    transport: TransportResult,
    licensing: ClientLicensing,
    store: RegistryLicenseStore,
    hw: { hwid: Buffer; created: boolean },
  ): ClientConnectResult {
    const outcome = licensing.outcome;
    const activity = store.activity;
    const rejected = [...activity.rejected];
    const sent = (type: string) => licensing.trace.some((e) => e.direction === 'sent' && e.type === type);
    let presentedEntry = activity.presented && sent('LICENSE_INFO') ? activity.presented.entry : null;
    if (activity.presented && presentedEntry === null && sent('NEW_LICENSE_REQUEST')) {
      // ClientLicensing skips a license too large for a LICENSE_INFO (wMsgSize is 16 bits) and asks for a new one.
      rejected.push({ entry: activity.presented.entry, problem: 'too large for a CLIENT_LICENSE_INFO message' });
    }

    let kind: ClientOutcomeKind;
    let reason: string | null = null;
    if (outcome && licensing.done) {
      kind = outcome.kind;
      if (kind === 'aborted') reason = `${outcome.reason}${outcome.detail ? `: ${outcome.detail}` : ''}`;
    } else {
      kind = 'failed';
      reason = transport.kind === 'completed' ? 'licensing did not finish' : transport.reason;
    }
    let held: ClientConnectResult['held'] = null;
    if (transport.held) {
      held = transport.kind === 'completed' ? 'released' : 'ended-by-server';
      if (held === 'ended-by-server' && 'reason' in transport) reason = `during the hold: ${transport.reason}`;
    }
    const storeError = outcome?.storeError ?? null;
    const storedEntry = activity.saved?.entry ?? null;
    let exitCode: ClientConnectResult['exitCode'];
    if (kind === 'denied') exitCode = 3;
    else if (kind === 'aborted' || kind === 'failed') exitCode = 2;
    else if ((kind === 'new-license' || kind === 'upgrade-license') && storedEntry === null) exitCode = 1;
    else exitCode = 0;

    return {
      schema: 'rdplic-client/1',
      server,
      security: transport.security,
      outcome: kind,
      exitCode,
      errorCode: outcome?.errorCode ?? null,
      errorCodeName: outcome?.errorCode !== undefined ? errorCodeName(outcome.errorCode) : null,
      stateTransition: outcome?.stateTransition ?? null,
      stateTransitionName: outcome?.stateTransition !== undefined ? stateTransitionName(outcome.stateTransition) : null,
      reason,
      presentedEntry,
      rejectedEntries: rejected,
      storedEntry,
      storeError: storedEntry === null ? storeError : null,
      hwid: hw.hwid.toString('hex'),
      hwidCreated: hw.created,
      registry: this.file.path,
      registryRecovered: this.file.recovered ?? null,
      license: this.heldLicense(storedEntry ?? presentedEntry, hw.hwid, outcome),
      licensingTrace: licensing.trace.map(formatLicensingEvent),
      held,
    };
  }

  /** The license now in `entry` (re-read from the file), or the one received if it could not be stored. */
  private heldLicense(entry: string | null, hwid: Buffer, outcome: ClientOutcome | undefined): LicenseSummary | null {
    if (entry !== null) {
      try {
        const e = listLicenseEntries(this.file.read()).find((x) => x.name === entry);
        if (e?.license) return summarizeLicense(e.license, { entry: e.name, ...(e.key ? { key: e.key } : {}), deviceHwid: hwid });
      } catch {
        // fall through to what was received
      }
    }
    return outcome?.license ? summarizeLicense(outcome.license, { deviceHwid: hwid }) : null;
  }
}
