/**
 * The server side of the licensing exchange ([MS-RDPELE] 3.2; protocol/RDPELE.md §6.1), sans-IO: licensing messages in
 * (bytes starting at LICENSE_PREAMBLE), licensing messages out. Framing, security headers, sockets and the license
 * database are the caller's; decisions come from a pluggable policy.
 */
import {
  deriveLicensingKeys,
  rsaDecryptLE,
  type LicensingKeys,
  type RandomSource,
  type RsaPrivateKey,
} from '../crypto/index.js';
import {
  BB_CERTIFICATE_BLOB,
  ERR_INVALID_CLIENT,
  ERR_INVALID_MAC,
  ERR_INVALID_MESSAGE_LEN,
  ERR_NO_LICENSE_SERVER,
  KEY_EXCHANGE_ALG_RSA,
  PLATFORM_CHALLENGE_TEST,
  PREAMBLE_VERSION_3_0,
  PREMASTER_SECRET_LENGTH,
  SERVER_RANDOM_LENGTH,
  ST_NO_TRANSITION,
  ST_RESEND_LAST_MESSAGE,
  ST_RESET_PHASE_TO_START,
  ST_TOTAL_ABORT,
  STATUS_VALID_CLIENT,
  decodeClientHardwareIdBytes,
  decodeLicensingMessage,
  decryptChallengeResponse,
  decryptLicenseInfoHwid,
  describeLicenseError,
  encodeLicensingMessage,
  isMessageLengthError,
  licenseErrorMessage,
  parseChallengeResponse,
  sealNewLicenseInfo,
  sealPlatformChallenge,
  type ClientHardwareId,
  type ClientLicenseInfo,
  type ClientNewLicenseRequest,
  type ClientPlatformChallengeResponse,
  type LicenseErrorMessage,
  type LicensingMessage,
  type LicensingMessageInput,
  type ProductInfo,
} from '../licensing/index.js';
import type { LicensingEvent } from './events.js';
import { Aborted, LicensingSession, type SessionStep } from './licensing-session.js';

type MaybePromise<T> = T | Promise<T>;

/** [MS-RDPELE] 3.2.1.11 / RDPELE.md §6.1. */
export type ServerLicensingState = 'BEGIN' | 'AWAIT_CLIENT' | 'AWAIT_RESPONSE' | 'COMPLETED' | 'ABORTED';

/** How the client answered the platform challenge. */
export interface ChallengeResponseDetails {
  /** `data`: PLATFORM_CHALLENGE_RESPONSE_DATA (spec, Windows, FreeRDP); `echo`: the bare challenge echoed (rdesktop). */
  shape: 'data' | 'echo';
  /** wVersion, wClientType and wLicenseDetailLevel of the `data` shape. */
  version?: number;
  clientType?: number;
  licenseDetailLevel?: number;
  /** Whether the challenge in the response is the one the server sent ("TEST\0"). Not enforced: policies may. */
  challengeMatches: boolean;
}

/** What the server learned about the client, handed to every policy hook. */
export interface ServerPolicyInfo {
  /** `new`: the client sent NEW_LICENSE_REQUEST; `upgrade`: it presented a license in LICENSE_INFO. */
  flow: 'new' | 'upgrade';
  /** The preamble flags of the client's request (0x83 for Windows). */
  preambleFlags: number;
  /** PlatformId of the request. */
  platformId: number;
  clientRandom: Buffer;
  /** ClientUserName / ClientMachineName (NEW_LICENSE_REQUEST only), as text and as received. */
  userName?: string;
  machineName?: string;
  userNameRaw?: Buffer;
  machineNameRaw?: Buffer;
  /** The decrypted CLIENT_HARDWARE_ID (from LICENSE_INFO, then from the challenge response), raw and parsed. */
  hwid?: Buffer;
  hardwareId?: ClientHardwareId;
  /** The license presented in LICENSE_INFO. */
  presentedLicense?: Buffer;
  /** The server's own product info and scopes, as sent in the LICENSE_REQUEST. */
  productInfo: ProductInfo;
  scopes: string[];
  /** Set once the challenge response has been checked. */
  challengeResponse?: ChallengeResponseDetails;
}

/** End licensing with an error alert. Defaults: ERR_INVALID_CLIENT, ST_TOTAL_ABORT. */
export interface DenyDecision {
  action: 'deny';
  errorCode?: number;
  stateTransition?: number;
}
/** End licensing with STATUS_VALID_CLIENT / ST_NO_TRANSITION (no license sent). */
export interface AcceptDecision {
  action: 'accept';
}

/** The pluggable decisions of a licensing server. Every hook is optional; hooks may return promises. */
export interface ServerLicensingPolicy {
  /**
   * Called by start(): `request` (default) sends the LICENSE_REQUEST; `valid-client` sends STATUS_VALID_CLIENT at once and
   * completes (licensing off, remote-administration mode).
   */
  onStart?(): 'request' | 'valid-client';
  /** After a NEW_LICENSE_REQUEST. Default: challenge. */
  onNewLicenseRequest?(info: ServerPolicyInfo): MaybePromise<{ action: 'challenge' } | AcceptDecision | DenyDecision>;
  /** After the challenge response of the new-license flow. `licenseInfo` = the CAL bytes to send. Default: accept. */
  issue?(info: ServerPolicyInfo): MaybePromise<{ action: 'issue'; licenseInfo: Uint8Array } | AcceptDecision | DenyDecision>;
  /** After a LICENSE_INFO whose HWID MAC verified. `upgrade` = challenge, then call upgrade(). Default: accept. */
  validate?(info: ServerPolicyInfo): MaybePromise<AcceptDecision | { action: 'upgrade' } | DenyDecision>;
  /** After the challenge response of the upgrade flow. `licenseInfo` goes out in UPGRADE_LICENSE. Default: accept. */
  upgrade?(info: ServerPolicyInfo): MaybePromise<{ action: 'upgrade'; licenseInfo: Uint8Array } | AcceptDecision | DenyDecision>;
}

/** Why a server session aborted on its own. */
export type ServerAbortReason =
  | 'malformed-message'
  | 'invalid-message-length'
  | 'unexpected-message'
  | 'unsupported-key-exchange'
  | 'invalid-mac'
  | 'client-alert'
  | 'policy-error'
  | 'too-many-retries'
  | 'internal-error';

/** How a server session ended. */
export interface ServerOutcome {
  /**
   * `new-license` / `upgrade-license`: a license was sent; `valid-client`: STATUS_VALID_CLIENT was sent; `denied`: the
   * policy refused with an error alert; `aborted`: the exchange failed (bad MAC, malformed or out-of-order message,
   * client abort, policy failure).
   */
  kind: 'new-license' | 'upgrade-license' | 'valid-client' | 'denied' | 'aborted';
  /** The error code and transition of the alert that ended it (sent by the server, or by the client for `client-alert`). */
  errorCode?: number;
  stateTransition?: number;
  /** `aborted` only. */
  reason?: ServerAbortReason;
  detail?: string;
  /** The client's decrypted CLIENT_HARDWARE_ID, when known. */
  hwid?: Buffer;
  /** The license sent (new-license, upgrade-license). */
  licenseInfo?: Buffer;
  /** Everything learned about the client (absent when it ended before the client's first message). */
  info?: ServerPolicyInfo;
}

/** What one received message (or start) produced. */
export type ServerStep = SessionStep<ServerLicensingState, ServerOutcome>;

export interface ServerLicensingOptions {
  /** ServerRandom source. */
  random: RandomSource;
  /** SERVER_CERTIFICATE bytes for the LICENSE_REQUEST (opaque here; may be empty). */
  serverCertificate: Uint8Array;
  /** The key of that certificate, to decrypt the premaster secret. */
  privateKey: RsaPrivateKey;
  /** Defaults: version 0x00060000, "Microsoft Corporation", "A02". */
  productInfo?: { version?: number; companyName?: string; productId?: string };
  /** Default ["microsoft.com"]. The first one goes into NEW_LICENSE_INFO. */
  scopes?: string[];
  /** Low nibble of the preamble flags the server sends: 3 (default, as Windows) or 2 (as xrdp). */
  preambleVersion?: number;
  policy?: ServerLicensingPolicy;
  /** Called with every event, as it is completed. */
  onEvent?: (event: LicensingEvent) => void;
  /** How many ST_RESET_PHASE_TO_START / ST_RESEND_LAST_MESSAGE rounds (either side) before giving up. Default 3. */
  maxRetries?: number;
}

/** Default retry budget for reset/resend rounds. */
export const DEFAULT_MAX_RETRIES = 3;


/**
 * One licensing session, server side. Call start() once, then receive() each client licensing message and send what the
 * step says; stop when `state` is COMPLETED or ABORTED (an abort's error alert, if any, is in the step's `send`).
 * receive() never throws for bad input, and calls are serialized.
 */
export class ServerLicensing extends LicensingSession<ServerLicensingState, ServerOutcome> {
  private readonly flags: number;
  private readonly productInfo: ProductInfo;
  private readonly scopes: string[];
  private readonly policy: ServerLicensingPolicy;
  private readonly maxRetries: number;
  private serverRandom: Buffer | undefined;
  private keys: LicensingKeys | undefined;
  private flow: 'new' | 'upgrade' | undefined;
  private info: ServerPolicyInfo | undefined;
  private lastSent: { bytes: Buffer; type: LicensingMessageInput['type'] } | undefined;
  private retries = 0;

  constructor(private readonly options: ServerLicensingOptions) {
    super('server', 'BEGIN', options.onEvent);
    this.flags = (options.preambleVersion ?? PREAMBLE_VERSION_3_0) & 0xff;
    this.productInfo = {
      version: options.productInfo?.version ?? 0x00060000,
      companyName: options.productInfo?.companyName ?? 'Microsoft Corporation',
      productId: options.productInfo?.productId ?? 'A02',
    };
    this.scopes = [...(options.scopes ?? ['microsoft.com'])];
    this.policy = options.policy ?? {};
    this.maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
  }

  /**
   * Begins licensing (on receipt of the Client Info PDU): returns the SERVER_LICENSE_REQUEST, or, when the policy says
   * `valid-client`, a STATUS_VALID_CLIENT alert (the session is then COMPLETED). Throws if called twice.
   */
  start(): Buffer[] {
    if (this._state !== 'BEGIN') throw new Error(`start() in state ${this._state}`);
    this.beginStep();
    if ((this.policy.onStart?.() ?? 'request') === 'valid-client') this.validClient();
    else this.sendLicenseRequest();
    return this.endStep().send;
  }

  protected internalError(detail: string): never {
    return this.abort(ERR_INVALID_CLIENT, 'internal-error', detail);
  }

  protected async dispatch(message: Uint8Array): Promise<void> {
    let msg: LicensingMessage;
    try {
      msg = decodeLicensingMessage(message);
    } catch (e) {
      const detail = e instanceof Error ? e.message : String(e);
      this.events.add('received', 'MALFORMED', message.length, detail);
      if (this.done) return;
      if (isMessageLengthError(e)) this.abort(ERR_INVALID_MESSAGE_LEN, 'invalid-message-length', detail);
      else this.abort(ERR_INVALID_CLIENT, 'malformed-message', detail);
      return;
    }
    this.events.add('received', msg.type, message.length, msg.type === 'ERROR_ALERT' ? describeLicenseError(msg.body) : undefined);
    if (this.done) {
      this.events.list.at(-1)!.detail = `ignored: licensing already ${this._state === 'COMPLETED' ? 'completed' : 'aborted'}`;
      return;
    }
    if (msg.type === 'ERROR_ALERT' && this._state !== 'BEGIN') return this.onClientAlert(msg.body);
    if (this._state === 'AWAIT_CLIENT' && msg.type === 'NEW_LICENSE_REQUEST') return this.onNewLicenseRequest(msg.body, msg.preamble.flags);
    if (this._state === 'AWAIT_CLIENT' && msg.type === 'LICENSE_INFO') return this.onLicenseInfo(msg.body, msg.preamble.flags);
    if (this._state === 'AWAIT_RESPONSE' && msg.type === 'PLATFORM_CHALLENGE_RESPONSE') return this.onChallengeResponse(msg.body);
    this.abort(ERR_INVALID_CLIENT, 'unexpected-message', `${msg.type} in state ${this._state}`);
  }

  // ---- messages out --------------------------------------------------------------------------------------------

  private send(msg: LicensingMessageInput, detail?: string): void {
    const bytes = encodeLicensingMessage({ ...msg, preamble: { flags: this.flags } } as LicensingMessageInput);
    this.out.push(bytes);
    this.lastSent = { bytes, type: msg.type };
    this.events.add('sent', msg.type, bytes.length, detail);
  }

  private sendAlert(errorCode: number, stateTransition: number): void {
    const body = licenseErrorMessage(errorCode, stateTransition);
    this.send({ type: 'ERROR_ALERT', body }, describeLicenseError(body));
  }

  private sendLicenseRequest(): void {
    this.serverRandom = this.options.random.bytes(SERVER_RANDOM_LENGTH);
    this.keys = undefined;
    this.flow = undefined;
    this.info = undefined;
    this.send({
      type: 'LICENSE_REQUEST',
      body: {
        serverRandom: this.serverRandom,
        productInfo: this.productInfo,
        keyExchangeList: { algorithms: [KEY_EXCHANGE_ALG_RSA] },
        serverCertificate: { blobType: BB_CERTIFICATE_BLOB, data: Buffer.from(this.options.serverCertificate) },
        scopeList: this.scopes.map((issuer) => ({ issuer })),
      },
    });
    this._state = 'AWAIT_CLIENT';
  }

  private sendChallenge(flow: 'new' | 'upgrade'): void {
    this.flow = flow;
    this.send({ type: 'PLATFORM_CHALLENGE', body: sealPlatformChallenge(this.keys!, PLATFORM_CHALLENGE_TEST) });
    this._state = 'AWAIT_RESPONSE';
  }

  private finish(state: 'COMPLETED' | 'ABORTED', outcome: ServerOutcome): void {
    this._state = state;
    this._outcome = outcome;
  }

  private validClient(): void {
    this.sendAlert(STATUS_VALID_CLIENT, ST_NO_TRANSITION);
    this.finish('COMPLETED', this.withInfo({ kind: 'valid-client', errorCode: STATUS_VALID_CLIENT, stateTransition: ST_NO_TRANSITION }));
  }

  /** Sends ERR_xxx / ST_TOTAL_ABORT, ends the session as aborted and unwinds the handler. */
  private abort(errorCode: number, reason: ServerAbortReason, detail?: string): never {
    if (this.done) throw new Aborted();
    this.sendAlert(errorCode, ST_TOTAL_ABORT);
    this.finish('ABORTED', this.withInfo({ kind: 'aborted', errorCode, stateTransition: ST_TOTAL_ABORT, reason, ...(detail ? { detail } : {}) }));
    throw new Aborted();
  }

  private withInfo(outcome: ServerOutcome): ServerOutcome {
    if (this.info !== undefined) {
      outcome.info = this.info;
      if (this.info.hwid !== undefined) outcome.hwid = this.info.hwid;
    }
    return outcome;
  }

  private countRetry(): void {
    if (++this.retries > this.maxRetries) this.abort(ERR_INVALID_CLIENT, 'too-many-retries', `more than ${this.maxRetries} reset/resend rounds`);
  }

  /** A policy's deny: the alert, then what its transition means for the server ([MS-RDPELE] 3.1.5.3). */
  private deny(decision: DenyDecision, stateBefore: ServerLicensingState): void {
    const errorCode = decision.errorCode ?? ERR_INVALID_CLIENT;
    const stateTransition = decision.stateTransition ?? ST_TOTAL_ABORT;
    if (!isU32(errorCode) || !isU32(stateTransition)) this.policyError(`deny with errorCode ${errorCode}, stateTransition ${stateTransition}`);
    if (stateTransition === ST_RESET_PHASE_TO_START || stateTransition === ST_RESEND_LAST_MESSAGE) this.countRetry();
    this.sendAlert(errorCode, stateTransition);
    switch (stateTransition) {
      case ST_RESET_PHASE_TO_START:
        // The client goes back to CLIENT LICENSING AWAIT, the server to BEGIN, which sends a fresh LICENSE_REQUEST.
        this.sendLicenseRequest();
        return;
      case ST_RESEND_LAST_MESSAGE:
        // The client sends its last message again: wait for it in the state it was received in.
        this._state = stateBefore;
        return;
      case ST_NO_TRANSITION: {
        const kind = errorCode === STATUS_VALID_CLIENT ? 'valid-client' : 'denied';
        this.finish('COMPLETED', this.withInfo({ kind, errorCode, stateTransition }));
        return;
      }
      default:
        this.finish('ABORTED', this.withInfo({ kind: 'denied', errorCode, stateTransition }));
    }
  }

  /** The policy failed or answered nonsense: as if the license server could not be reached ([MS-RDPELE] 3.2.5.5 case 2). */
  private policyError(detail: string): never {
    return this.abort(ERR_NO_LICENSE_SERVER, 'policy-error', detail);
  }

  private async ask<T extends { action: string }>(hook: string, call: () => MaybePromise<T> | undefined, fallback: T, allowed: string[]): Promise<T> {
    let decision: T | undefined;
    try {
      decision = await call();
    } catch (e) {
      this.policyError(`policy.${hook} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    decision ??= fallback;
    if (typeof decision !== 'object' || decision === null || !allowed.includes(decision.action)) {
      this.policyError(`policy.${hook} returned ${JSON.stringify(decision)}`);
    }
    return decision;
  }

  // ---- messages in ---------------------------------------------------------------------------------------------

  /** Key exchange common to NEW_LICENSE_REQUEST and LICENSE_INFO: check the algorithm, decrypt the premaster, derive. */
  private exchangeKeys(body: ClientNewLicenseRequest | ClientLicenseInfo): LicensingKeys {
    // PreferredKeyExchangeAlg is checked here, not in the decoder: the message is well-formed, the value is refused.
    if (body.preferredKeyExchangeAlg !== KEY_EXCHANGE_ALG_RSA) {
      this.abort(ERR_INVALID_CLIENT, 'unsupported-key-exchange', `PreferredKeyExchangeAlg 0x${body.preferredKeyExchangeAlg.toString(16)}`);
    }
    // Any blob length is accepted (node-rdpjs sends 71-73 bytes for a 64-byte modulus; rdesktop all zeros => zero premaster).
    const premaster = rsaDecryptLE(this.options.privateKey, body.encryptedPreMasterSecret.data, PREMASTER_SECRET_LENGTH);
    this.keys = deriveLicensingKeys(body.clientRandom, this.serverRandom!, premaster);
    return this.keys;
  }

  private baseInfo(flow: 'new' | 'upgrade', flags: number, body: ClientNewLicenseRequest | ClientLicenseInfo): ServerPolicyInfo {
    return {
      flow,
      preambleFlags: flags,
      platformId: body.platformId,
      clientRandom: body.clientRandom,
      productInfo: { ...this.productInfo },
      scopes: [...this.scopes],
    };
  }

  private setHwid(info: ServerPolicyInfo, hwid: Buffer): void {
    let hardwareId: ClientHardwareId;
    try {
      hardwareId = decodeClientHardwareIdBytes(hwid);
    } catch (e) {
      this.abort(ERR_INVALID_CLIENT, 'malformed-message', `EncryptedHWID: ${e instanceof Error ? e.message : String(e)}`);
    }
    info.hwid = hwid;
    info.hardwareId = hardwareId;
  }

  private async onNewLicenseRequest(body: ClientNewLicenseRequest, flags: number): Promise<void> {
    this.exchangeKeys(body);
    const info = this.baseInfo('new', flags, body);
    info.userName = body.clientUserName;
    info.machineName = body.clientMachineName;
    if (body.clientUserNameBlob) info.userNameRaw = body.clientUserNameBlob.data;
    if (body.clientMachineNameBlob) info.machineNameRaw = body.clientMachineNameBlob.data;
    this.info = info;
    const decision = await this.ask('onNewLicenseRequest', () => this.policy.onNewLicenseRequest?.(info), { action: 'challenge' as const }, [
      'challenge',
      'accept',
      'deny',
    ]);
    if (decision.action === 'challenge') this.sendChallenge('new');
    else if (decision.action === 'accept') this.validClient();
    else this.deny(decision, 'AWAIT_CLIENT');
  }

  private async onLicenseInfo(body: ClientLicenseInfo, flags: number): Promise<void> {
    const keys = this.exchangeKeys(body);
    const info = this.baseInfo('upgrade', flags, body);
    info.presentedLicense = body.licenseInfo.data;
    this.info = info;
    const { hwid, macValid } = decryptLicenseInfoHwid(keys, body);
    if (!macValid) this.abort(ERR_INVALID_MAC, 'invalid-mac', 'LICENSE_INFO MACData does not match the HWID');
    this.setHwid(info, hwid);
    const decision = await this.ask('validate', () => this.policy.validate?.(info), { action: 'accept' as const }, ['accept', 'upgrade', 'deny']);
    if (decision.action === 'upgrade') this.sendChallenge('upgrade');
    else if (decision.action === 'accept') this.validClient();
    else this.deny(decision, 'AWAIT_CLIENT');
  }

  private async onChallengeResponse(body: ClientPlatformChallengeResponse): Promise<void> {
    const info = this.info!;
    const { response, hwid, macValid } = decryptChallengeResponse(this.keys!, body);
    if (!macValid) this.abort(ERR_INVALID_MAC, 'invalid-mac', 'PLATFORM_CHALLENGE_RESPONSE MACData does not match');
    this.setHwid(info, hwid);
    const parsed = parseChallengeResponse(response);
    info.challengeResponse = {
      shape: parsed.shape,
      ...(parsed.shape === 'data'
        ? { version: parsed.data.version, clientType: parsed.data.clientType, licenseDetailLevel: parsed.data.licenseDetailLevel }
        : {}),
      challengeMatches: parsed.challenge.equals(PLATFORM_CHALLENGE_TEST),
    };
    if (this.flow === 'new') {
      const decision = await this.ask('issue', () => this.policy.issue?.(info), { action: 'accept' as const }, ['issue', 'accept', 'deny']);
      if (decision.action === 'issue') this.sendLicense('NEW_LICENSE', decision.licenseInfo);
      else if (decision.action === 'accept') this.validClient();
      else this.deny(decision, 'AWAIT_RESPONSE');
    } else {
      const decision = await this.ask('upgrade', () => this.policy.upgrade?.(info), { action: 'accept' as const }, ['upgrade', 'accept', 'deny']);
      if (decision.action === 'upgrade') this.sendLicense('UPGRADE_LICENSE', decision.licenseInfo);
      else if (decision.action === 'accept') this.validClient();
      else this.deny(decision, 'AWAIT_RESPONSE');
    }
  }

  private sendLicense(type: 'NEW_LICENSE' | 'UPGRADE_LICENSE', license: Uint8Array): void {
    if (!(license instanceof Uint8Array)) this.policyError(`${type}: licenseInfo is not bytes`);
    const licenseInfo = Buffer.from(license);
    const body = sealNewLicenseInfo(this.keys!, {
      version: this.productInfo.version,
      scope: this.scopes[0] ?? '',
      companyName: this.productInfo.companyName,
      productId: this.productInfo.productId,
      licenseInfo,
    });
    try {
      this.send({ type, body });
    } catch (e) {
      this.policyError(`${type} cannot be encoded: ${e instanceof Error ? e.message : String(e)}`);
    }
    this.finish('COMPLETED', this.withInfo({ kind: type === 'NEW_LICENSE' ? 'new-license' : 'upgrade-license', licenseInfo }));
  }

  /** A client ERROR_ALERT, per its transition ([MS-RDPELE] 3.1.5.3). */
  private onClientAlert(alert: LicenseErrorMessage): void {
    switch (alert.stateTransition) {
      case ST_TOTAL_ABORT:
        this.finish(
          'ABORTED',
          this.withInfo({ kind: 'aborted', reason: 'client-alert', errorCode: alert.errorCode, stateTransition: alert.stateTransition }),
        );
        return;
      case ST_NO_TRANSITION:
        return; // stay where we are
      case ST_RESET_PHASE_TO_START:
        this.countRetry();
        this.sendLicenseRequest();
        return;
      case ST_RESEND_LAST_MESSAGE: {
        this.countRetry();
        if (this.lastSent !== undefined) {
          this.out.push(this.lastSent.bytes);
          this.events.add('sent', this.lastSent.type, this.lastSent.bytes.length, 'resent');
        }
        return;
      }
      default:
        this.abort(ERR_INVALID_CLIENT, 'malformed-message', `ERROR_ALERT with ${describeLicenseError(alert)}`);
    }
  }
}

function isU32(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
}
