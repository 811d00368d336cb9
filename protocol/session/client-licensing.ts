/**
 * The client side of the licensing exchange ([MS-RDPELE] 3.3; protocol/RDPELE.md §6.2), sans-IO: server licensing
 * messages in (bytes from LICENSE_PREAMBLE on), client licensing messages out. The certificate parser, the license store
 * and randomness are injected.
 */
import {
  deriveLicensingKeys,
  modulusSize,
  rsaEncryptLE,
  type LicensingKeys,
  type RandomSource,
  type RsaPublicKey,
} from '../crypto/index.js';
import {
  BB_DATA_BLOB,
  BB_RANDOM_BLOB,
  CLIENT_HARDWARE_ID_LENGTH,
  CLIENT_IMAGE_ID_MICROSOFT,
  CLIENT_OS_ID_WINNT_POST_52,
  CLIENT_RANDOM_LENGTH,
  ERR_INVALID_MAC,
  ERR_INVALID_SERVER_CERTIFICATE,
  EXTENDED_ERROR_MSG_SUPPORTED,
  KEY_EXCHANGE_ALG_RSA,
  LICENSE_DETAIL_DETAIL,
  MAX_MESSAGE_SIZE,
  PLATFORM_CHALLENGE_RESPONSE_VERSION,
  PREAMBLE_VERSION_3_0,
  PREMASTER_SECRET_LENGTH,
  ST_NO_TRANSITION,
  ST_RESEND_LAST_MESSAGE,
  ST_RESET_PHASE_TO_START,
  ST_TOTAL_ABORT,
  STATUS_VALID_CLIENT,
  WIN32_PLATFORMCHALLENGE_TYPE,
  decodeLicensingMessage,
  decodeNewLicenseInfoBytes,
  decryptNewLicense,
  decryptPlatformChallenge,
  describeLicenseError,
  encodePlatformChallengeResponseData,
  encodeLicensingMessage,
  isMessageLengthError,
  licenseErrorMessage,
  sealChallengeResponse,
  sealHardwareId,
  type LicenseErrorMessage,
  type LicensingMessage,
  type LicensingMessageInput,
  type NewLicenseInfo,
  type ServerLicenseRequest,
  type ServerNewLicense,
  type ServerPlatformChallenge,
} from '../licensing/index.js';
import { encodeWith } from '../wire/index.js';
import type { LicensingEvent } from './events.js';
import { Aborted, LicensingSession, type SessionStep } from './licensing-session.js';
import type { LicenseStore, LicenseStoreKey } from './license-store.js';
import { DEFAULT_MAX_RETRIES } from './server-licensing.js';

/** [MS-RDPELE] 3.3 / RDPELE.md §6.2. */
export type ClientLicensingState = 'AWAIT' | 'AWAIT_CHALLENGE' | 'AWAIT_LICENSE' | 'COMPLETED' | 'ABORTED';

/** Why a client session gave up on its own (it then disconnects, [MS-RDPELE] 3.3.5.8). */
export type ClientAbortReason =
  | 'malformed-message'
  | 'invalid-message-length'
  | 'unexpected-message'
  | 'invalid-certificate'
  | 'invalid-mac'
  | 'too-many-retries'
  | 'internal-error';

/** How a client session ended. */
export interface ClientOutcome {
  /**
   * `new-license` / `upgrade-license`: a license was received (and stored, see `stored`); `valid-client`: the server sent
   * STATUS_VALID_CLIENT; `denied`: the server ended licensing with another error alert (ST_TOTAL_ABORT → ABORTED,
   * ST_NO_TRANSITION → COMPLETED); `aborted`: the client gave up (bad MAC, bad certificate, malformed or unexpected
   * message) and must disconnect.
   */
  kind: 'new-license' | 'upgrade-license' | 'valid-client' | 'denied' | 'aborted';
  /** The alert that ended it (received for valid-client/denied, sent by the client for aborted when it sent one). */
  errorCode?: number;
  stateTransition?: number;
  /** `aborted` only. */
  reason?: ClientAbortReason;
  detail?: string;
  /** The license received (pbLicenseInfo) and the whole NEW_LICENSE_INFO. */
  license?: Buffer;
  newLicenseInfo?: NewLicenseInfo;
  /** Whether the store accepted the license, and why not. */
  stored?: boolean;
  storeError?: string;
  /** Whether this session presented a stored license (LICENSE_INFO) rather than asking for a new one. */
  presentedLicense?: boolean;
}

/** What one received message produced. */
export type ClientStep = SessionStep<ClientLicensingState, ClientOutcome>;

export interface ClientLicensingOptions {
  /** ClientRandom and PreMasterSecret source. */
  random: RandomSource;
  /**
   * rdesktop's "null client keys": ClientRandom and PreMasterSecret all zero, and an all-zero EncryptedPreMasterSecret
   * (no RSA; decrypts to zero anyway). Deterministic sessions whose keys anyone can compute.
   */
  nullKeys?: boolean;
  /** CLIENT_HARDWARE_ID, 20 bytes; keep it stable (it is bound into the license). */
  hwid: Uint8Array;
  userName: string;
  machineName: string;
  /** PlatformId. Default CLIENT_OS_ID_WINNT_POST_52 | CLIENT_IMAGE_ID_MICROSOFT (0x04010000). */
  platformId?: number;
  /** Preamble flags. Default PREAMBLE_VERSION_3_0 | EXTENDED_ERROR_MSG_SUPPORTED (0x83), as Windows. */
  preambleFlags?: number;
  /**
   * The RSA public key of the ServerCertificate blob of the LICENSE_REQUEST (possibly empty: then the key of the Server
   * Security Data). Throws if the certificate is unusable: the client answers ERR_INVALID_SERVER_CERTIFICATE.
   */
  publicKeyOf: (serverCertificate: Buffer) => RsaPublicKey;
  /** Where licenses are found and saved. Without one, the client always asks for a new license and keeps nothing. */
  store?: LicenseStore;
  /** wClientType and wLicenseDetailLevel of the challenge response. Defaults 0x0100 (WIN32) and 3 (DETAIL). */
  clientType?: number;
  licenseDetailLevel?: number;
  onEvent?: (event: LicensingEvent) => void;
  /** How many ST_RESET_PHASE_TO_START / ST_RESEND_LAST_MESSAGE rounds before giving up. Default 3. */
  maxRetries?: number;
}


/** Fixed part of a CLIENT_LICENSE_INFO around its variable blobs (preamble, 2 dwords, random, 3 blob headers, MAC). */
const LICENSE_INFO_OVERHEAD = 4 + 8 + CLIENT_RANDOM_LENGTH + 3 * 4 + CLIENT_HARDWARE_ID_LENGTH + 16;

/**
 * One licensing session, client side. Feed it every server licensing message with receive() and send what each step
 * says; stop when `state` is COMPLETED or ABORTED. receive() never throws for bad input; calls are serialized.
 */
export class ClientLicensing extends LicensingSession<ClientLicensingState, ClientOutcome> {
  private readonly hwid: Buffer;
  private readonly flags: number;
  private readonly maxRetries: number;
  private keys: LicensingKeys | undefined;
  private presented = false;
  private lastSent: { bytes: Buffer; type: LicensingMessageInput['type'] } | undefined;
  private retries = 0;

  constructor(private readonly options: ClientLicensingOptions) {
    super('client', 'AWAIT', options.onEvent);
    if (options.hwid.length !== CLIENT_HARDWARE_ID_LENGTH) throw new RangeError(`hwid must be ${CLIENT_HARDWARE_ID_LENGTH} bytes`);
    this.hwid = Buffer.from(options.hwid);
    this.flags = (options.preambleFlags ?? PREAMBLE_VERSION_3_0 | EXTENDED_ERROR_MSG_SUPPORTED) & 0xff;
    this.maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
  }

  protected internalError(detail: string): never {
    return this.giveUp('internal-error', detail);
  }

  protected async dispatch(message: Uint8Array): Promise<void> {
    let msg: LicensingMessage;
    try {
      msg = decodeLicensingMessage(message);
    } catch (e) {
      const detail = e instanceof Error ? e.message : String(e);
      this.events.add('received', 'MALFORMED', message.length, detail);
      if (this.done) return;
      this.giveUp(isMessageLengthError(e) ? 'invalid-message-length' : 'malformed-message', detail);
    }
    this.events.add('received', msg.type, message.length, msg.type === 'ERROR_ALERT' ? describeLicenseError(msg.body) : undefined);
    if (this.done) {
      this.events.list.at(-1)!.detail = `ignored: licensing already ${this._state === 'COMPLETED' ? 'completed' : 'aborted'}`;
      return;
    }
    if (msg.type === 'ERROR_ALERT') return this.onServerAlert(msg.body);
    if (this._state === 'AWAIT' && msg.type === 'LICENSE_REQUEST') return this.onLicenseRequest(msg.body);
    if (this._state === 'AWAIT_CHALLENGE' && msg.type === 'PLATFORM_CHALLENGE') return this.onChallenge(msg.body);
    if (this._state === 'AWAIT_LICENSE' && (msg.type === 'NEW_LICENSE' || msg.type === 'UPGRADE_LICENSE')) {
      return this.onLicense(msg.type, msg.body);
    }
    this.giveUp('unexpected-message', `${msg.type} in state ${this._state}`);
  }

  private send(msg: LicensingMessageInput, detail?: string): void {
    const bytes = encodeLicensingMessage({ ...msg, preamble: { flags: this.flags } } as LicensingMessageInput);
    this.out.push(bytes);
    this.lastSent = { bytes, type: msg.type };
    this.events.add('sent', msg.type, bytes.length, detail);
  }

  private finish(state: 'COMPLETED' | 'ABORTED', outcome: ClientOutcome): void {
    this._state = state;
    if (this.presented) outcome.presentedLicense = true;
    this._outcome = outcome;
  }

  /** The client aborts on its own, optionally telling the server why (ERR_xxx / ST_TOTAL_ABORT), and unwinds. */
  private giveUp(reason: ClientAbortReason, detail: string, alert?: number): never {
    if (!this.done) {
      if (alert !== undefined) {
        const body = licenseErrorMessage(alert, ST_TOTAL_ABORT);
        this.send({ type: 'ERROR_ALERT', body }, describeLicenseError(body));
      }
      this.finish('ABORTED', {
        kind: 'aborted',
        reason,
        detail,
        ...(alert !== undefined ? { errorCode: alert, stateTransition: ST_TOTAL_ABORT } : {}),
      });
    }
    throw new Aborted();
  }

  private countRetry(): void {
    if (++this.retries > this.maxRetries) this.giveUp('too-many-retries', `more than ${this.maxRetries} reset/resend rounds`);
  }

  // ---- messages in ---------------------------------------------------------------------------------------------

  private async onLicenseRequest(req: ServerLicenseRequest): Promise<void> {
    const nullKeys = this.options.nullKeys === true;
    let key: RsaPublicKey | undefined;
    try {
      key = this.options.publicKeyOf(req.serverCertificate.data);
    } catch (e) {
      if (!nullKeys) this.giveUp('invalid-certificate', e instanceof Error ? e.message : String(e), ERR_INVALID_SERVER_CERTIFICATE);
    }
    const clientRandom = nullKeys ? Buffer.alloc(CLIENT_RANDOM_LENGTH) : this.options.random.bytes(CLIENT_RANDOM_LENGTH);
    const premaster = nullKeys ? Buffer.alloc(PREMASTER_SECRET_LENGTH) : this.options.random.bytes(PREMASTER_SECRET_LENGTH);
    let encryptedPreMaster: Buffer;
    try {
      encryptedPreMaster = nullKeys ? Buffer.alloc(key ? modulusSize(key) + 8 : 72) : rsaEncryptLE(key!, premaster);
    } catch (e) {
      this.giveUp('invalid-certificate', `unusable public key: ${e instanceof Error ? e.message : String(e)}`, ERR_INVALID_SERVER_CERTIFICATE);
    }
    const keys = deriveLicensingKeys(clientRandom, req.serverRandom, premaster);
    this.keys = keys;
    const common = {
      preferredKeyExchangeAlg: KEY_EXCHANGE_ALG_RSA,
      platformId: this.options.platformId ?? (CLIENT_OS_ID_WINNT_POST_52 | CLIENT_IMAGE_ID_MICROSOFT) >>> 0,
      clientRandom,
      encryptedPreMasterSecret: { blobType: BB_RANDOM_BLOB, data: encryptedPreMaster },
    };
    const license = await this.findLicense(req, encryptedPreMaster.length);
    if (license !== undefined) {
      this.presented = true;
      this.send({
        type: 'LICENSE_INFO',
        body: { ...common, licenseInfo: { blobType: BB_DATA_BLOB, data: license }, ...sealHardwareId(keys, this.hwid) },
      });
    } else {
      this.presented = false;
      this.send({
        type: 'NEW_LICENSE_REQUEST',
        body: { ...common, clientUserName: this.options.userName, clientMachineName: this.options.machineName },
      });
    }
    this._state = 'AWAIT_CHALLENGE';
  }

  /**
   * A stored license for (dwVersion, any scope, company, product), if one is usable: a store failure, an empty license or
   * one too large for a LICENSE_INFO (wMsgSize is 16 bits) means "none", and the client asks for a new one.
   */
  private async findLicense(req: ServerLicenseRequest, premasterLength: number): Promise<Buffer | undefined> {
    const store = this.options.store;
    if (store === undefined) return undefined;
    const room = MAX_MESSAGE_SIZE - LICENSE_INFO_OVERHEAD - premasterLength;
    for (const scope of req.scopeList) {
      const key: LicenseStoreKey = {
        version: req.productInfo.version,
        scope: scope.issuer,
        companyName: req.productInfo.companyName,
        productId: req.productInfo.productId,
      };
      let found: Uint8Array | undefined;
      try {
        found = await store.find(key);
      } catch {
        continue;
      }
      if (found instanceof Uint8Array && found.length > 0 && found.length <= room) return Buffer.from(found);
    }
    return undefined;
  }

  private onChallenge(body: ServerPlatformChallenge): void {
    const keys = this.keys!;
    const { challenge, macValid } = decryptPlatformChallenge(keys, body);
    if (!macValid) this.giveUp('invalid-mac', 'PLATFORM_CHALLENGE MACData does not match the challenge', ERR_INVALID_MAC);
    if (challenge.length > 0xffff - 8) this.giveUp('malformed-message', 'challenge too long to answer');
    const response = encodeWith((w) =>
      encodePlatformChallengeResponseData(w, {
        version: PLATFORM_CHALLENGE_RESPONSE_VERSION,
        clientType: this.options.clientType ?? WIN32_PLATFORMCHALLENGE_TYPE,
        licenseDetailLevel: this.options.licenseDetailLevel ?? LICENSE_DETAIL_DETAIL,
        challenge,
      }),
    );
    this.send({ type: 'PLATFORM_CHALLENGE_RESPONSE', body: sealChallengeResponse(keys, response, this.hwid) });
    this._state = 'AWAIT_LICENSE';
  }

  private async onLicense(type: 'NEW_LICENSE' | 'UPGRADE_LICENSE', body: ServerNewLicense): Promise<void> {
    const { plaintext, macValid } = decryptNewLicense(this.keys!, body);
    if (!macValid) this.giveUp('invalid-mac', `${type} MACData does not match the license`, ERR_INVALID_MAC);
    let info: NewLicenseInfo;
    try {
      info = decodeNewLicenseInfoBytes(plaintext);
    } catch (e) {
      this.giveUp('malformed-message', `NEW_LICENSE_INFO: ${e instanceof Error ? e.message : String(e)}`);
    }
    const kind = type === 'NEW_LICENSE' ? 'new' : 'upgrade';
    const outcome: ClientOutcome = {
      kind: type === 'NEW_LICENSE' ? 'new-license' : 'upgrade-license',
      license: info.licenseInfo,
      newLicenseInfo: info,
      stored: false,
    };
    const store = this.options.store;
    if (store === undefined) outcome.storeError = 'no license store';
    else if (info.licenseInfo.length === 0) outcome.storeError = 'empty license';
    else {
      try {
        await store.save({ version: info.version, scope: info.scope, companyName: info.companyName, productId: info.productId }, info.licenseInfo, kind);
        outcome.stored = true;
      } catch (e) {
        outcome.storeError = e instanceof Error ? e.message : String(e);
      }
    }
    this.finish('COMPLETED', outcome);
  }

  /** A server ERROR_ALERT ([MS-RDPELE] 3.1.5.3, 3.3.5.x). STATUS_VALID_CLIENT ends licensing in every state. */
  private onServerAlert(alert: LicenseErrorMessage): void {
    const { errorCode, stateTransition } = alert;
    if (errorCode === STATUS_VALID_CLIENT) {
      this.finish('COMPLETED', { kind: 'valid-client', errorCode, stateTransition });
      return;
    }
    switch (stateTransition) {
      case ST_NO_TRANSITION:
        // The spec reserves NO_TRANSITION for success; FreeRDP treats any code with it as "done".
        this.finish('COMPLETED', { kind: 'denied', errorCode, stateTransition });
        return;
      case ST_RESET_PHASE_TO_START:
        this.countRetry();
        this.keys = undefined;
        this._state = 'AWAIT';
        return;
      case ST_RESEND_LAST_MESSAGE:
        this.countRetry();
        if (this.lastSent !== undefined) {
          this.out.push(this.lastSent.bytes);
          this.events.add('sent', this.lastSent.type, this.lastSent.bytes.length, 'resent');
        }
        return;
      default:
        // ST_TOTAL_ABORT, and transitions the spec does not define (BAD-INPUTS #8): licensing is over.
        this.finish('ABORTED', { kind: 'denied', errorCode, stateTransition });
    }
  }
}
