import { rsaEncryptLE, type RandomSource, type RsaPublicKey } from '../crypto/index.js';
import { DecodeError, encodeWith, Reader } from '../wire/index.js';
import {
  encodeExtendedInfoPacket, encodeTsInfoPacket, INFO_AUTOLOGON, INFO_DISABLECTRLALTDEL, INFO_ENABLEWINDOWSKEY, INFO_LOGONNOTIFY,
  INFO_MAXIMIZESHELL, INFO_MOUSE, INFO_UNICODE, type TsInfoPacket,
} from './client-info.js';
import { DISCONNECT_PROVIDER_ULTIMATUM_FRAME, encodeMcsFrame, readTpktPayload, readX224DataPayload, x224DataFrame } from './frame.js';
import { REDIRECTION_SUPPORTED, REDIRECTION_VERSION4 } from './gcc/client-cluster-data.js';
import { RDP_VERSION_5_PLUS, RNS_UD_COLOR_8BPP, RNS_UD_SAS_DEL, type ClientCoreData } from './gcc/client-core-data.js';
import { encodeClientData, type ClientData } from './gcc/client-data.js';
import type { ChannelDef } from './gcc/client-network-data.js';
import { encodeGccConferenceCreateRequest } from './gcc/conference-create-request.js';
import { decodeGccConferenceCreateResponse } from './gcc/conference-create-response.js';
import { decodeServerData, type ServerData } from './gcc/server-data.js';
import { encodeMcsConnectInitial } from './mcs/connect-initial.js';
import { decodeMcsConnectResponse, MCS_RESULT_SUCCESSFUL } from './mcs/connect-response.js';
import { CLIENT_MAXIMUM_PARAMETERS, CLIENT_MINIMUM_PARAMETERS, CLIENT_TARGET_PARAMETERS } from './mcs/domain-parameters.js';
import { decodeMcsDomainPdu } from './mcs/domain-pdu.js';
import { ERECT_DOMAIN_REQUEST_BODY } from './mcs/erect-domain-request.js';
import { encodeMcsSendData, MCS_GLOBAL_CHANNEL_ID, MCS_PRIORITY_SEGMENTATION, type McsSendData } from './mcs/send-data.js';
import { RdpCipherStream } from './security/cipher.js';
import {
  ENCRYPTION_METHOD_128BIT, ENCRYPTION_METHOD_40BIT, ENCRYPTION_METHOD_56BIT, isRc4Method, SEC_ENCRYPT, SEC_EXCHANGE_PKT, SEC_INFO_PKT,
  SEC_LICENSE_ENCRYPT_CS, SEC_LICENSE_ENCRYPT_SC, SEC_LICENSE_PKT, SEC_SECURE_CHECKSUM, type RdpEncryptionMethod,
} from './security/constants.js';
import { encodeSecurityExchange } from './security/security-exchange.js';
import { decodeSecurityHeader, encodeSecurityHeader, type SecurityHeader } from './security/security-header.js';
import { deriveSessionKeys } from './security/session-keys.js';
import { refuse, TpktEndpoint } from './tpkt-endpoint.js';
import { DEFAULT_MAX_PDU_SIZE, wrapTpkt } from './tpkt.js';
import { LICENSE_PREAMBLE_SIZE } from './licensing-frame.js';
import { decodeX224ConnectionConfirm } from './x224/connection-confirm.js';
import { encodeX224ConnectionRequest } from './x224/connection-request.js';
import { PROTOCOL_RDP, PROTOCOL_SSL } from './x224/negotiation.js';

export interface ClientConnectionOptions {
  userName: string;
  password?: string;
  domain?: string;
  /** CS_CORE clientName (at most 15 characters are sent). */
  clientName: string;
  /** The X.224 cookie identifier; default the user name; null sends none. */
  cookie?: string | null;
  /** requestedProtocols of RDP_NEG_REQ (default PROTOCOL_SSL); null sends no RDP_NEG_REQ (legacy: Standard RDP Security). */
  requestedProtocols?: number | null;
  /** CS_SECURITY encryptionMethods under Standard RDP Security (default 40|56|128-bit = 0x0b). */
  encryptionMethods?: number;
  /** CS_NET static channels (default none). */
  channels?: ChannelDef[];
  clientBuild?: number;
  /** CS_CORE version (default 0x00080004). */
  version?: number;
  desktopWidth?: number;
  desktopHeight?: number;
  keyboardLayout?: number;
  /** TS_INFO_PACKET flags (default MOUSE|DISABLECTRLALTDEL|UNICODE|MAXIMIZESHELL|ENABLEWINDOWSKEY|LOGONNOTIFY, + AUTOLOGON with a password). */
  infoFlags?: number;
  clientAddress?: string;
  clientDir?: string;
  /** The client random. */
  random: RandomSource;
  /** Extracts the RSA key from SC_SECURITY's SERVER_CERTIFICATE (needed for Standard RDP Security). */
  publicKeyOf?: (serverCertificate: Buffer) => RsaPublicKey;
  /** Send SEC_LICENSE_ENCRYPT_SC in the Security Exchange (default true, as FreeRDP does). */
  licenseEncryptionSupported?: boolean;
  /** Use salted MACs (SEC_SECURE_CHECKSUM) on encrypted PDUs, as FreeRDP does (default false). */
  secureChecksum?: boolean;
  /** Encrypt licensing PDUs under Standard RDP Security (flags 0x0A88 with secureChecksum, as FreeRDP; default false, as rdesktop). */
  encryptLicensing?: boolean;
  maxPduSize?: number;
}

export type ClientState =
  | 'initial'
  | 'awaitingConnectionConfirm'
  | 'awaitingTls'
  | 'awaitingConnectResponse'
  | 'awaitingAttachUserConfirm'
  | 'joiningChannels'
  | 'licensing'
  | 'closed';

export type ClientEvent =
  | { type: 'send'; data: Buffer; what: string }
  /** The server selected TLS: upgrade the socket, then call `tlsEstablished()`. */
  | { type: 'startTls'; leftover: Buffer }
  | { type: 'serverData'; serverData: ServerData }
  /** The connection sequence is done up to licensing: Client Info was sent (it is the `send` just before). */
  | { type: 'connected'; userId: number; selectedProtocol: number; encryptionMethod: number; channelIds: number[] }
  /** A licensing message from the server, plaintext, from LICENSE_PREAMBLE. */
  | { type: 'licensingPdu'; message: Buffer; securityFlags: number; encrypted: boolean; signatureValid?: boolean }
  | { type: 'ignored'; reason: string; channelId?: number; data?: Buffer }
  | { type: 'closed'; reason: string }
  | { type: 'error'; error: Error; message: string; state: ClientState };

const DEFAULT_INFO_FLAGS = INFO_MOUSE | INFO_DISABLECTRLALTDEL | INFO_UNICODE | INFO_MAXIMIZESHELL | INFO_ENABLEWINDOWSKEY | INFO_LOGONNOTIFY;

/**
 * The client side of the RDP connection sequence up to licensing, sans-IO: `start()`, then `receive()` what the
 * server sends (and `tlsEstablished()` after a `startTls` event); licensing messages come out as `licensingPdu`
 * events and go back with `sendLicensing`. `receive` never throws.
 */
export class ClientConnection extends TpktEndpoint<ClientState, ClientEvent> {
  private requested: number | null;
  private selected = PROTOCOL_RDP;
  private serverDataValue: ServerData | undefined;
  private userIdValue = 0;
  private joinQueue: number[] = [];
  private joined: number[] = [];
  private method = 0;
  private serverRandom: Buffer | undefined;
  private publicKey: RsaPublicKey | undefined;
  private encryptStream: RdpCipherStream | undefined;
  private decryptStream: RdpCipherStream | undefined;

  constructor(private readonly options: ClientConnectionOptions) {
    super('initial', options.maxPduSize ?? DEFAULT_MAX_PDU_SIZE);
    this.requested = options.requestedProtocols === undefined ? PROTOCOL_SSL : options.requestedProtocols;
  }

  get state(): ClientState {
    return this.stateValue;
  }
  get userId(): number {
    return this.userIdValue;
  }
  get selectedProtocol(): number {
    return this.selected;
  }
  get serverData(): ServerData | undefined {
    return this.serverDataValue;
  }
  /** True once Standard RDP Security keys are in place. */
  get encrypted(): boolean {
    return this.encryptStream !== undefined;
  }

  /** The X.224 Connection Request. */
  start(): ClientEvent[] {
    if (this.stateValue !== 'initial') throw new Error('start() was already called');
    const cookie = this.options.cookie === null ? undefined : this.options.cookie ?? this.options.userName;
    const cr = encodeWith((w) => encodeX224ConnectionRequest(w, {
      dstRef: 0, srcRef: 0, classOption: 0,
      ...(cookie !== undefined ? { cookie } : {}),
      ...(this.requested !== null ? { negotiation: { flags: 0, requestedProtocols: this.requested } } : {}),
    }));
    this.stateValue = 'awaitingConnectionConfirm';
    return [{ type: 'send', data: wrapTpkt(cr), what: 'X.224 Connection Request' }];
  }

  /** Call once the TLS handshake that followed a `startTls` event is done: sends the MCS Connect Initial. */
  tlsEstablished(): ClientEvent[] {
    if (this.stateValue !== 'awaitingTls') throw new Error(`tlsEstablished in state ${this.stateValue}`);
    return [this.connectInitial()];
  }

  /**
   * Frames a licensing message for the server: SDrq from the user channel to 1003 with `80 00 00 00`, or under Standard
   * RDP Security with `encrypt` (default options.encryptLicensing) SEC_LICENSE_PKT|SEC_ENCRYPT|SEC_LICENSE_ENCRYPT_CS
   * (|SEC_SECURE_CHECKSUM) and the ciphertext on the running stream.
   */
  sendLicensing(message: Uint8Array, encrypt = this.options.encryptLicensing ?? false): Buffer {
    if (this.stateValue !== 'licensing') throw new Error(`sendLicensing in state ${this.stateValue}`);
    if (encrypt && this.encryptStream) {
      return this.sendEncrypted(SEC_LICENSE_PKT | SEC_LICENSE_ENCRYPT_CS, message);
    }
    return this.sendData({ flags: SEC_LICENSE_PKT, flagsHi: 0 }, message);
  }

  /** A Disconnect Provider Ultimatum for the server; the machine closes. */
  disconnect(): Buffer {
    this.stateValue = 'closed';
    return Buffer.from(DISCONNECT_PROVIDER_ULTIMATUM_FRAME);
  }

  private sendData(header: SecurityHeader, body: Uint8Array): Buffer {
    const userData = encodeWith((w) => {
      encodeSecurityHeader(w, header);
      w.bytes(body);
    });
    const sd: McsSendData = { kind: 'request', initiator: this.userIdValue, channelId: MCS_GLOBAL_CHANNEL_ID, dataPriority: MCS_PRIORITY_SEGMENTATION, userData };
    return x224DataFrame((w) => encodeMcsSendData(w, sd));
  }

  private sendEncrypted(flags: number, plaintext: Uint8Array): Buffer {
    const salted = this.options.secureChecksum ?? false;
    const { dataSignature, ciphertext } = this.encryptStream!.encrypt(plaintext, salted);
    return this.sendData({ flags: flags | SEC_ENCRYPT | (salted ? SEC_SECURE_CHECKSUM : 0), flagsHi: 0, dataSignature }, ciphertext);
  }

  protected handleFrame(frame: Buffer, events: ClientEvent[]): void {
    switch (this.stateValue) {
      case 'awaitingConnectionConfirm': return this.onConnectionConfirm(frame, events);
      case 'awaitingConnectResponse': return this.onConnectResponse(frame, events);
      case 'awaitingTls': throw refuse('tpkt', 'data before the TLS handshake');
      default: return this.onDomainPdu(frame, events);
    }
  }

  private onConnectionConfirm(frame: Buffer, events: ClientEvent[]): void {
    const cc = decodeX224ConnectionConfirm(readTpktPayload(frame, this.maxPduSize));
    if (cc.failure) {
      events.push({ type: 'closed', reason: `RDP_NEG_FAILURE failureCode ${cc.failure.failureCode}` });
      this.stateValue = 'closed';
      return;
    }
    this.selected = cc.response?.selectedProtocol ?? PROTOCOL_RDP;
    if (this.selected === PROTOCOL_SSL && this.requested !== null && (this.requested & PROTOCOL_SSL)) {
      this.stateValue = 'awaitingTls';
      this.switchToTls = true;
      return;
    }
    if (this.selected !== PROTOCOL_RDP) throw refuse('selectedProtocol', `the server selected protocol 0x${this.selected.toString(16)}, which this client does not do`, 11);
    events.push(this.connectInitial());
  }

  private connectInitial(): ClientEvent {
    const o = this.options;
    const standard = this.selected === PROTOCOL_RDP;
    const core: ClientCoreData = {
      version: o.version ?? RDP_VERSION_5_PLUS,
      desktopWidth: o.desktopWidth ?? 1024,
      desktopHeight: o.desktopHeight ?? 768,
      colorDepth: RNS_UD_COLOR_8BPP,
      sasSequence: RNS_UD_SAS_DEL,
      keyboardLayout: o.keyboardLayout ?? 0x409,
      clientBuild: o.clientBuild ?? 2600,
      clientName: o.clientName,
      keyboardType: 4,
      keyboardSubType: 0,
      keyboardFunctionKey: 12,
      imeFileName: '',
      postBeta2ColorDepth: RNS_UD_COLOR_8BPP,
      clientProductId: 1,
      serialNumber: 0,
      highColorDepth: 16,
      supportedColorDepths: 0x000f,
      earlyCapabilityFlags: 0x0001,
      clientDigProductId: '',
      connectionType: 0,
      pad1octet: 0,
      serverSelectedProtocol: this.selected,
    };
    const clientData: ClientData = {
      core,
      security: { encryptionMethods: standard ? (o.encryptionMethods ?? (ENCRYPTION_METHOD_40BIT | ENCRYPTION_METHOD_56BIT | ENCRYPTION_METHOD_128BIT)) : 0, extEncryptionMethods: 0 },
      network: { channels: o.channels ?? [] },
      cluster: { flags: REDIRECTION_SUPPORTED | REDIRECTION_VERSION4, redirectedSessionId: 0 },
      others: [],
    };
    const gcc = encodeWith((w) => encodeGccConferenceCreateRequest(w, { conferenceName: '1', clientData: encodeWith((b) => encodeClientData(b, clientData)) }));
    const data = x224DataFrame((w) => encodeMcsConnectInitial(w, {
      callingDomainSelector: Buffer.from([1]), calledDomainSelector: Buffer.from([1]), upwardFlag: true,
      targetParameters: CLIENT_TARGET_PARAMETERS, minimumParameters: CLIENT_MINIMUM_PARAMETERS, maximumParameters: CLIENT_MAXIMUM_PARAMETERS,
      userData: gcc,
    }));
    this.stateValue = 'awaitingConnectResponse';
    return { type: 'send', data, what: 'MCS Connect Initial' };
  }

  private onConnectResponse(frame: Buffer, events: ClientEvent[]): void {
    const r = readX224DataPayload(frame, this.maxPduSize);
    if (r === 'disconnect') return this.closed(events, 'X.224 Disconnect Request');
    const resp = decodeMcsConnectResponse(r);
    r.end('mcs.connectResponse');
    if (resp.result !== MCS_RESULT_SUCCESSFUL) throw refuse('result', `MCS Connect Response result ${resp.result}`);
    const gcc = decodeGccConferenceCreateResponse(new Reader(resp.userData));
    const sd = decodeServerData(new Reader(gcc.serverData));
    this.serverDataValue = sd;
    events.push({ type: 'serverData', serverData: sd });
    const sec = sd.security ?? { encryptionMethod: 0, encryptionLevel: 0 };
    if (this.selected === PROTOCOL_RDP && sec.encryptionMethod !== 0) {
      const offered = this.options.encryptionMethods ?? 0x0b;
      if (!isRc4Method(sec.encryptionMethod) || !(offered & sec.encryptionMethod)) {
        throw refuse('encryptionMethod', `the server chose encryption method 0x${sec.encryptionMethod.toString(16)}, which was not offered`);
      }
      if (!sec.serverRandom || !sec.serverCertificate) throw refuse('serverRandom', 'SC_SECURITY has no server random or certificate');
      if (!this.options.publicKeyOf) throw refuse('serverCertificate', 'Standard RDP Security needs the publicKeyOf option');
      this.method = sec.encryptionMethod;
      this.serverRandom = sec.serverRandom;
      this.publicKey = this.options.publicKeyOf(sec.serverCertificate);
    }
    events.push({ type: 'send', data: encodeMcsFrame({ type: 'erectDomainRequest', body: ERECT_DOMAIN_REQUEST_BODY }), what: 'MCS Erect Domain Request' });
    events.push({ type: 'send', data: encodeMcsFrame({ type: 'attachUserRequest' }), what: 'MCS Attach User Request' });
    this.stateValue = 'awaitingAttachUserConfirm';
  }

  private closed(events: ClientEvent[], reason: string): void {
    events.push({ type: 'closed', reason });
    this.stateValue = 'closed';
  }

  private onDomainPdu(frame: Buffer, events: ClientEvent[]): void {
    const r = readX224DataPayload(frame, this.maxPduSize);
    if (r === 'disconnect') return this.closed(events, 'X.224 Disconnect Request');
    const pdu = decodeMcsDomainPdu(r);
    r.end('mcs');
    switch (pdu.type) {
      case 'disconnectProviderUltimatum': return this.closed(events, `Disconnect Provider Ultimatum (reason ${pdu.reason})`);
      case 'attachUserConfirm':
        if (this.stateValue !== 'awaitingAttachUserConfirm') break;
        if (pdu.result !== MCS_RESULT_SUCCESSFUL || pdu.initiator === undefined) throw refuse('attachUserConfirm', `result ${pdu.result}, initiator ${pdu.initiator}`);
        this.userIdValue = pdu.initiator;
        this.joinQueue = [pdu.initiator, MCS_GLOBAL_CHANNEL_ID, ...(this.serverDataValue?.network?.channelIdArray ?? [])];
        this.stateValue = 'joiningChannels';
        return this.nextJoin(events);
      case 'channelJoinConfirm': {
        if (this.stateValue !== 'joiningChannels') break;
        const asked = this.joinQueue.shift();
        if (pdu.requested !== asked) throw refuse('channelJoinConfirm.requested', `confirms channel ${pdu.requested}, ${asked} was asked for`);
        if (pdu.result !== MCS_RESULT_SUCCESSFUL) {
          if (asked === this.userIdValue || asked === MCS_GLOBAL_CHANNEL_ID) throw refuse('channelJoinConfirm.result', `joining channel ${asked} failed (result ${pdu.result})`);
          events.push({ type: 'ignored', reason: `the server refused channel ${asked} (result ${pdu.result})`, channelId: asked });
        } else this.joined.push(asked);
        return this.nextJoin(events);
      }
      case 'sendData':
        if (this.stateValue !== 'licensing' || pdu.kind !== 'indication') break;
        return this.onServerData(pdu, frame.length - pdu.userData.length, events);
      default:
        break;
    }
    throw refuse('DomainMCSPDU', `unexpected ${pdu.type} in state ${this.stateValue}`, 7);
  }

  private nextJoin(events: ClientEvent[]): void {
    const next = this.joinQueue[0];
    if (next !== undefined) {
      events.push({ type: 'send', data: encodeMcsFrame({ type: 'channelJoinRequest', initiator: this.userIdValue, channelId: next }), what: `MCS Channel Join Request ${next}` });
      return;
    }
    if (this.publicKey) {
      const clientRandom = this.options.random.bytes(32);
      const exchange = encodeWith((w) => encodeSecurityExchange(w, { encryptedClientRandom: rsaEncryptLE(this.publicKey!, clientRandom) }));
      const flags = SEC_EXCHANGE_PKT | ((this.options.licenseEncryptionSupported ?? true) ? SEC_LICENSE_ENCRYPT_SC : 0);
      events.push({ type: 'send', data: this.sendData({ flags, flagsHi: 0 }, exchange), what: 'Security Exchange' });
      const keys = deriveSessionKeys(clientRandom, this.serverRandom!, this.method as RdpEncryptionMethod);
      this.encryptStream = new RdpCipherStream(keys.clientEncryptKey, keys.macKey, keys.method);
      this.decryptStream = new RdpCipherStream(keys.clientDecryptKey, keys.macKey, keys.method);
    }
    const o = this.options;
    const packet: TsInfoPacket = {
      codePage: 0,
      flags: o.infoFlags ?? (DEFAULT_INFO_FLAGS | (o.password ? INFO_AUTOLOGON : 0)),
      domain: o.domain ?? '',
      userName: o.userName,
      password: o.password ?? '',
      alternateShell: '',
      workingDir: '',
      extraInfo: encodeWith((w) => encodeExtendedInfoPacket(w, { clientAddress: o.clientAddress ?? '127.0.0.1', clientDir: o.clientDir ?? 'C:\\Windows\\System32\\mstscax.dll', performanceFlags: 0 })),
    };
    const info = encodeWith((w) => encodeTsInfoPacket(w, packet));
    const data = this.encryptStream ? this.sendEncrypted(SEC_INFO_PKT, info) : this.sendData({ flags: SEC_INFO_PKT, flagsHi: 0 }, info);
    events.push({ type: 'send', data, what: 'Client Info' });
    this.stateValue = 'licensing';
    events.push({ type: 'connected', userId: this.userIdValue, selectedProtocol: this.selected, encryptionMethod: this.method, channelIds: [...this.joined] });
  }

  private onServerData(pdu: McsSendData, offset: number, events: ClientEvent[]): void {
    if (pdu.channelId !== MCS_GLOBAL_CHANNEL_ID) {
      events.push({ type: 'ignored', reason: `data on channel ${pdu.channelId}`, channelId: pdu.channelId, data: pdu.userData });
      return;
    }
    const r = new Reader(pdu.userData, offset);
    // Under TLS only licensing PDUs carry a security header; anything else (Demand Active...) is passed on whole.
    if (!this.decryptStream && (pdu.userData.length < 2 || !(pdu.userData.readUInt16LE(0) & SEC_LICENSE_PKT))) {
      events.push({ type: 'ignored', reason: 'non-licensing PDU on the I/O channel', channelId: pdu.channelId, data: pdu.userData });
      return;
    }
    const header = decodeSecurityHeader(r);
    let body: Buffer = Buffer.from(r.rest());
    let signatureValid: boolean | undefined;
    if (header.flags & SEC_ENCRYPT) {
      if (!this.decryptStream) throw refuse('securityHeader.flags', 'SEC_ENCRYPT is set but no Standard RDP Security keys are in place', offset);
      const d = this.decryptStream.decrypt(body, header.dataSignature!, (header.flags & SEC_SECURE_CHECKSUM) !== 0);
      body = d.plaintext;
      signatureValid = d.signatureValid;
    }
    if (!(header.flags & SEC_LICENSE_PKT)) {
      events.push({ type: 'ignored', reason: `non-licensing PDU (security flags 0x${header.flags.toString(16)})`, channelId: pdu.channelId, data: body });
      return;
    }
    if (body.length < LICENSE_PREAMBLE_SIZE) throw new DecodeError('TRUNCATED', 'LICENSE_PREAMBLE', offset, `licensing message of ${body.length} bytes`);
    const ev: ClientEvent = { type: 'licensingPdu', message: body, securityFlags: header.flags, encrypted: (header.flags & SEC_ENCRYPT) !== 0 };
    if (signatureValid !== undefined) ev.signatureValid = signatureValid;
    events.push(ev);
  }
}
