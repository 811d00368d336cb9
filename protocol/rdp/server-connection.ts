import { rsaDecryptLE, type RandomSource, type RsaPrivateKey } from '../crypto/index.js';
import { DecodeError, encodeWith, Reader } from '../wire/index.js';
import { DISCONNECT_PROVIDER_ULTIMATUM_FRAME, encodeMcsFrame, readTpktPayload, readX224DataPayload, x224DataFrame } from './frame.js';
import { decodeClientData, type ClientData } from './gcc/client-data.js';
import { decodeGccConferenceCreateRequest } from './gcc/conference-create-request.js';
import { encodeGccConferenceCreateResponse, GCC_RESPONSE_NODE_ID } from './gcc/conference-create-response.js';
import { RDP_VERSION_5_PLUS } from './gcc/client-core-data.js';
import { encodeServerData, type ServerData } from './gcc/server-data.js';
import type { ServerSecurityData } from './gcc/server-security-data.js';
import { decodeTsInfoPacket, type TsInfoPacket } from './client-info.js';
import { decodeMcsConnectInitial } from './mcs/connect-initial.js';
import { encodeMcsConnectResponse, MCS_RESULT_SUCCESSFUL } from './mcs/connect-response.js';
import { MCS_RESULT_NO_SUCH_CHANNEL } from './mcs/channel-join-confirm.js';
import { SERVER_DOMAIN_PARAMETERS } from './mcs/domain-parameters.js';
import { decodeMcsDomainPdu } from './mcs/domain-pdu.js';
import { encodeMcsSendData, MCS_GLOBAL_CHANNEL_ID, MCS_PRIORITY_SEGMENTATION, MCS_SERVER_CHANNEL_ID, type McsSendData } from './mcs/send-data.js';
import { RdpCipherStream } from './security/cipher.js';
import {
  ENCRYPTION_LEVEL_CLIENT_COMPATIBLE, ENCRYPTION_LEVEL_NONE, ENCRYPTION_METHOD_128BIT, ENCRYPTION_METHOD_40BIT, ENCRYPTION_METHOD_56BIT,
  isRc4Method, SEC_ENCRYPT, SEC_EXCHANGE_PKT, SEC_INFO_PKT, SEC_LICENSE_ENCRYPT_SC, SEC_LICENSE_PKT, SEC_SECURE_CHECKSUM, type RdpEncryptionMethod,
} from './security/constants.js';
import { decodeSecurityExchange } from './security/security-exchange.js';
import { decodeSecurityHeader, encodeSecurityHeader, type SecurityHeader } from './security/security-header.js';
import { deriveSessionKeys } from './security/session-keys.js';
import { refuse, TpktEndpoint } from './tpkt-endpoint.js';
import { DEFAULT_MAX_PDU_SIZE, wrapTpkt } from './tpkt.js';
import { LICENSE_PREAMBLE_SIZE } from './licensing-frame.js';
import { encodeX224ConnectionConfirm, SERVER_SRC_REF } from './x224/connection-confirm.js';
import { decodeX224ConnectionRequest } from './x224/connection-request.js';
import { PROTOCOL_RDP, PROTOCOL_SSL, SSL_REQUIRED_BY_SERVER } from './x224/negotiation.js';

/** How the server secures the connection: `negotiate` honours the client's RDP_NEG_REQ and prefers TLS. */
export type SecurityPolicy = 'negotiate' | 'rdp' | 'tls';

export interface ServerConnectionOptions {
  /** Default 'negotiate'. A client without RDP_NEG_REQ gets Standard RDP Security unless this is 'tls'. */
  security?: SecurityPolicy;
  /** Standard RDP Security method; default 128-bit. Falls back to another one the client offers (128, 56, 40). */
  encryptionMethod?: RdpEncryptionMethod;
  /** Standard RDP Security level 1–3 (default 2, CLIENT_COMPATIBLE); 0 = no encryption (no Security Exchange). */
  encryptionLevel?: number;
  /** The SERVER_CERTIFICATE bytes for SC_SECURITY (Standard RDP Security). */
  serverCertificate?: Buffer;
  /** The key of that certificate, to decrypt the client random. */
  privateKey?: RsaPrivateKey;
  /** Source of the server random. */
  random: RandomSource;
  /** Largest TPKT frame accepted (default DEFAULT_MAX_PDU_SIZE). */
  maxPduSize?: number;
  /** Encrypt server → client licensing PDUs under Standard RDP Security when the client allows it (default false). */
  encryptLicensing?: boolean;
  /** Treat a wrong MAC on an encrypted client PDU as an error (default false: reported in the events only). */
  rejectBadSignature?: boolean;
}

export type ServerState =
  | 'awaitingConnectionRequest'
  | 'awaitingConnectInitial'
  | 'awaitingAttachUser'
  | 'joiningChannels'
  | 'awaitingClientInfo'
  | 'licensing'
  | 'closed';

/** What the server learned by the end of the Client Info PDU (no password: see `ServerConnection.infoPacket`). */
export interface ClientInfo {
  userName: string;
  domain: string;
  /** CS_CORE clientName. */
  clientName: string;
  clientBuild: number;
  /** CS_CORE version (0x00080001 = RDP 4, 0x00080004 = RDP 5+ ...). */
  clientVersion: number;
  keyboardLayout: number;
  codePage: number;
  /** TS_INFO_PACKET flags. */
  infoFlags: number;
  alternateShell: string;
  workingDir: string;
  /** X.224 cookie (`Cookie: mstshash=`), if any. */
  cookie?: string;
  /** PROTOCOL_RDP (0) or PROTOCOL_SSL (1). */
  selectedProtocol: number;
  /** ENCRYPTION_METHOD_* in force (0 under TLS or without encryption). */
  encryptionMethod: number;
  encryptionLevel: number;
  /** The client set SEC_LICENSE_ENCRYPT_SC in its Security Exchange (it can take encrypted licensing PDUs). */
  clientLicenseEncryption: boolean;
  /** The MAC of an encrypted Client Info PDU verified (undefined when it was not encrypted). */
  signatureValid?: boolean;
}

export type ServerEvent =
  /** Bytes to write to the client, in order. */
  | { type: 'send'; data: Buffer; what: string }
  /** The X.224 CC selecting TLS was just sent: upgrade the socket now; `leftover` bytes already received belong to TLS. */
  | { type: 'startTls'; leftover: Buffer }
  | { type: 'negotiated'; selectedProtocol: number; requestedProtocols?: number; cookie?: string }
  | { type: 'clientData'; clientData: ClientData }
  | { type: 'clientInfo'; info: ClientInfo }
  /** A licensing message from the client, plaintext (decrypted if it came with SEC_ENCRYPT), from LICENSE_PREAMBLE. */
  | { type: 'licensingPdu'; message: Buffer; securityFlags: number; encrypted: boolean; signatureValid?: boolean }
  /** A PDU that is valid but of no use here (for example on a virtual channel during licensing). */
  | { type: 'ignored'; reason: string; channelId?: number }
  /** The client ended the connection (DPUm or X.224 Disconnect Request), or the server refused it after answering. */
  | { type: 'closed'; reason: string }
  /** Malformed or out-of-sequence input: close this connection. */
  | { type: 'error'; error: Error; message: string; state: ServerState };

/** The next user channel id is 1004 + the number of static channels (PEERS.md §4.5). */
export const FIRST_STATIC_CHANNEL_ID = 1004;

/**
 * The server side of the RDP connection sequence up to and through licensing ([MS-RDPBCGR] 1.3.1.1), sans-IO:
 * feed received bytes to `receive`, act on the returned events, frame outgoing licensing messages with
 * `sendLicensing` and end with `disconnect`. `receive` never throws: bad input yields an `error` event and the
 * machine closes.
 */
export class ServerConnection extends TpktEndpoint<ServerState, ServerEvent> {
  private readonly policy: SecurityPolicy;
  private readonly level: number;
  private cookie: string | undefined;
  private requestedProtocols: number | undefined;
  private selected = PROTOCOL_RDP;
  private clientDataValue: ClientData | undefined;
  private channelIds: number[] = [];
  private userIdValue = 0;
  private method = 0;
  private serverRandom: Buffer | undefined;
  private decryptStream: RdpCipherStream | undefined;
  private encryptStream: RdpCipherStream | undefined;
  private clientLicenseEncryption = false;
  private info: TsInfoPacket | undefined;

  constructor(private readonly options: ServerConnectionOptions) {
    super('awaitingConnectionRequest', options.maxPduSize ?? DEFAULT_MAX_PDU_SIZE);
    this.policy = options.security ?? 'negotiate';
    this.level = options.encryptionLevel ?? ENCRYPTION_LEVEL_CLIENT_COMPATIBLE;
    if (this.level < 0 || this.level > 3) throw new RangeError('encryptionLevel must be 0..3 (FIPS is not supported)');
    if (options.encryptionMethod !== undefined && !isRc4Method(options.encryptionMethod)) throw new RangeError('encryptionMethod must be 40, 56 or 128-bit');
    if (this.policy !== 'tls' && this.level !== ENCRYPTION_LEVEL_NONE && (!options.serverCertificate || !options.privateKey)) {
      throw new RangeError('Standard RDP Security needs serverCertificate and privateKey');
    }
  }

  get state(): ServerState {
    return this.stateValue;
  }
  /** PROTOCOL_RDP or PROTOCOL_SSL once negotiated. */
  get selectedProtocol(): number {
    return this.selected;
  }
  get clientData(): ClientData | undefined {
    return this.clientDataValue;
  }
  /** The user channel id given in the Attach User Confirm. */
  get userId(): number {
    return this.userIdValue;
  }
  /** True once Standard RDP Security keys are in place. */
  get encrypted(): boolean {
    return this.decryptStream !== undefined;
  }
  /** The decoded Client Info, including the password: do not log. */
  get infoPacket(): TsInfoPacket | undefined {
    return this.info;
  }
  /** Bytes received but not yet a whole frame. */
  get bufferedBytes(): number {
    return this.pending.length;
  }

  /**
   * Frames a licensing message (from LICENSE_PREAMBLE) for the client: SDin 1002 → 1003 with the basic header
   * `80 00 00 00`, or, when `encrypt` (default: options.encryptLicensing) and the client allowed it under Standard RDP
   * Security, SEC_LICENSE_PKT|SEC_ENCRYPT with the MAC and the RC4 ciphertext.
   */
  sendLicensing(message: Uint8Array, encrypt = this.options.encryptLicensing ?? false): Buffer {
    if (this.stateValue !== 'licensing') throw new Error(`sendLicensing in state ${this.stateValue}`);
    let header: SecurityHeader = { flags: SEC_LICENSE_PKT, flagsHi: 0 };
    let body: Buffer = Buffer.from(message);
    if (encrypt && this.encryptStream && this.clientLicenseEncryption) {
      const { dataSignature, ciphertext } = this.encryptStream.encrypt(body);
      header = { flags: SEC_LICENSE_PKT | SEC_ENCRYPT, flagsHi: 0, dataSignature };
      body = ciphertext;
    }
    return this.sendData(header, body);
  }

  /** The Disconnect Provider Ultimatum to send last (`03 00 00 09 02 f0 80 21 80`); the machine closes. */
  disconnect(): Buffer {
    this.stateValue = 'closed';
    this.pending = Buffer.alloc(0);
    return Buffer.from(DISCONNECT_PROVIDER_ULTIMATUM_FRAME);
  }

  private sendData(header: SecurityHeader, body: Uint8Array): Buffer {
    const userData = encodeWith((w) => {
      encodeSecurityHeader(w, header);
      w.bytes(body);
    });
    const sd: McsSendData = { kind: 'indication', initiator: MCS_SERVER_CHANNEL_ID, channelId: MCS_GLOBAL_CHANNEL_ID, dataPriority: MCS_PRIORITY_SEGMENTATION, userData };
    return x224DataFrame((w) => encodeMcsSendData(w, sd));
  }

  protected handleFrame(frame: Buffer, events: ServerEvent[]): void {
    switch (this.stateValue) {
      case 'awaitingConnectionRequest': return this.onConnectionRequest(frame, events);
      case 'awaitingConnectInitial': return this.onConnectInitial(frame, events);
      default: return this.onDomainPdu(frame, events);
    }
  }

  private onConnectionRequest(frame: Buffer, events: ServerEvent[]): void {
    const cr = decodeX224ConnectionRequest(readTpktPayload(frame, this.maxPduSize));
    this.cookie = cr.cookie;
    this.requestedProtocols = cr.negotiation?.requestedProtocols;
    const canTls = cr.negotiation !== undefined && (cr.negotiation.requestedProtocols & PROTOCOL_SSL) !== 0;
    const base = { dstRef: cr.srcRef, srcRef: SERVER_SRC_REF, classOption: 0 };
    if (this.policy === 'tls' && !canTls) {
      const cc = encodeWith((w) => encodeX224ConnectionConfirm(w, { ...base, failure: { flags: 0, failureCode: SSL_REQUIRED_BY_SERVER } }));
      events.push({ type: 'send', data: wrapTpkt(cc), what: 'X.224 Connection Confirm (RDP_NEG_FAILURE SSL_REQUIRED_BY_SERVER)' });
      events.push({ type: 'closed', reason: 'the client cannot use TLS and the server requires it' });
      this.stateValue = 'closed';
      return;
    }
    this.selected = this.policy !== 'rdp' && canTls ? PROTOCOL_SSL : PROTOCOL_RDP;
    const negotiated: ServerEvent = { type: 'negotiated', selectedProtocol: this.selected };
    if (this.requestedProtocols !== undefined) negotiated.requestedProtocols = this.requestedProtocols;
    if (this.cookie !== undefined) negotiated.cookie = this.cookie;
    events.push(negotiated);
    const cc = encodeWith((w) => encodeX224ConnectionConfirm(w, cr.negotiation ? { ...base, response: { flags: 0, selectedProtocol: this.selected } } : base));
    events.push({ type: 'send', data: wrapTpkt(cc), what: `X.224 Connection Confirm (${cr.negotiation ? `selectedProtocol ${this.selected}` : 'no negotiation'})` });
    this.stateValue = 'awaitingConnectInitial';
    if (this.selected === PROTOCOL_SSL) this.switchToTls = true;
  }

  private chooseMethod(cd: ClientData): RdpEncryptionMethod {
    const offered = (cd.security?.encryptionMethods ?? 0) | (cd.security?.extEncryptionMethods ?? 0);
    const wanted = this.options.encryptionMethod ?? ENCRYPTION_METHOD_128BIT;
    if (offered & wanted) return wanted;
    for (const m of [ENCRYPTION_METHOD_128BIT, ENCRYPTION_METHOD_56BIT, ENCRYPTION_METHOD_40BIT] as const) if (offered & m) return m;
    throw refuse('encryptionMethods', `the client offers no usable encryption method (0x${offered.toString(16)})`);
  }

  private onConnectInitial(frame: Buffer, events: ServerEvent[]): void {
    const r = readX224DataPayload(frame, this.maxPduSize);
    if (r === 'disconnect') return this.closed(events, 'X.224 Disconnect Request');
    const ci = decodeMcsConnectInitial(r);
    r.end('mcs.connectInitial');
    const gcc = decodeGccConferenceCreateRequest(new Reader(ci.userData));
    const cd = decodeClientData(new Reader(gcc.clientData));
    this.clientDataValue = cd;
    events.push({ type: 'clientData', clientData: cd });
    const channels = cd.network?.channels ?? [];
    this.channelIds = channels.map((_, i) => FIRST_STATIC_CHANNEL_ID + i);
    this.userIdValue = FIRST_STATIC_CHANNEL_ID + channels.length;
    let security: ServerSecurityData = { encryptionMethod: 0, encryptionLevel: 0 };
    if (this.selected === PROTOCOL_RDP && this.level !== ENCRYPTION_LEVEL_NONE) {
      this.method = this.chooseMethod(cd);
      this.serverRandom = this.options.random.bytes(32);
      security = { encryptionMethod: this.method, encryptionLevel: this.level, serverRandom: this.serverRandom, serverCertificate: this.options.serverCertificate! };
    }
    const serverData: ServerData = {
      core: { version: RDP_VERSION_5_PLUS, clientRequestedProtocols: this.requestedProtocols ?? 0, earlyCapabilityFlags: 0 },
      network: { mcsChannelId: MCS_GLOBAL_CHANNEL_ID, channelIdArray: this.channelIds },
      security,
      others: [],
    };
    const gccResponse = encodeWith((w) => encodeGccConferenceCreateResponse(w, {
      nodeId: GCC_RESPONSE_NODE_ID, tag: 1, result: 0, serverData: encodeWith((b) => encodeServerData(b, serverData)),
    }));
    const data = x224DataFrame((w) => encodeMcsConnectResponse(w, {
      result: MCS_RESULT_SUCCESSFUL, calledConnectId: 0, domainParameters: SERVER_DOMAIN_PARAMETERS, userData: gccResponse,
    }));
    events.push({ type: 'send', data, what: 'MCS Connect Response' });
    this.stateValue = 'awaitingAttachUser';
  }

  private onDomainPdu(frame: Buffer, events: ServerEvent[]): void {
    const r = readX224DataPayload(frame, this.maxPduSize);
    if (r === 'disconnect') return this.closed(events, 'X.224 Disconnect Request');
    const pdu = decodeMcsDomainPdu(r);
    r.end('mcs');
    switch (pdu.type) {
      case 'disconnectProviderUltimatum': return this.closed(events, `Disconnect Provider Ultimatum (reason ${pdu.reason})`);
      case 'erectDomainRequest':
        if (this.stateValue === 'awaitingAttachUser' || this.stateValue === 'joiningChannels') return; // ignored, as Windows does
        break;
      case 'attachUserRequest':
        if (this.stateValue !== 'awaitingAttachUser') break;
        events.push({ type: 'send', data: encodeMcsFrame({ type: 'attachUserConfirm', result: MCS_RESULT_SUCCESSFUL, initiator: this.userIdValue }), what: 'MCS Attach User Confirm' });
        this.stateValue = 'joiningChannels';
        return;
      case 'channelJoinRequest': {
        if (this.stateValue !== 'joiningChannels') break;
        const id = pdu.channelId;
        const known = id === this.userIdValue || id === MCS_GLOBAL_CHANNEL_ID || this.channelIds.includes(id);
        events.push({
          type: 'send',
          data: encodeMcsFrame({ type: 'channelJoinConfirm', result: known ? MCS_RESULT_SUCCESSFUL : MCS_RESULT_NO_SUCH_CHANNEL, initiator: this.userIdValue, requested: id, channelId: id }),
          what: `MCS Channel Join Confirm ${id}${known ? '' : ' (no such channel)'}`,
        });
        return;
      }
      case 'sendData':
        if (pdu.kind !== 'request') break;
        if (this.stateValue === 'joiningChannels' || this.stateValue === 'awaitingClientInfo') return this.onSecurityPdu(pdu, frame.length - pdu.userData.length, events);
        if (this.stateValue === 'licensing') return this.onLicensingData(pdu, frame.length - pdu.userData.length, events);
        break;
      default:
        break;
    }
    throw refuse('DomainMCSPDU', `unexpected ${pdu.type}${pdu.type === 'sendData' ? ` ${pdu.kind}` : ''} in state ${this.stateValue}`, 7);
  }

  private closed(events: ServerEvent[], reason: string): void {
    events.push({ type: 'closed', reason });
    this.stateValue = 'closed';
  }

  /** Decrypts a PDU body in place of its ciphertext when SEC_ENCRYPT is set; always in order, whatever the channel. */
  private open(header: SecurityHeader, body: Buffer): { plaintext: Buffer; signatureValid?: boolean } {
    if (!(header.flags & SEC_ENCRYPT)) return { plaintext: body };
    if (!this.decryptStream) throw refuse('securityHeader.flags', 'SEC_ENCRYPT is set but no Standard RDP Security keys are in place');
    const { plaintext, signatureValid } = this.decryptStream.decrypt(body, header.dataSignature!, (header.flags & SEC_SECURE_CHECKSUM) !== 0);
    if (!signatureValid && this.options.rejectBadSignature) throw refuse('securityHeader.dataSignature', 'MAC signature mismatch');
    return { plaintext, signatureValid };
  }

  private onSecurityPdu(pdu: McsSendData, offset: number, events: ServerEvent[]): void {
    if (pdu.channelId !== MCS_GLOBAL_CHANNEL_ID) {
      throw refuse('sendData.channelId', `Send Data on channel ${pdu.channelId} before the Client Info PDU`, 10);
    }
    const r = new Reader(pdu.userData, offset);
    const header = decodeSecurityHeader(r);
    const body = Buffer.from(r.rest());
    const needExchange = this.stateValue === 'joiningChannels' && this.serverRandom !== undefined;
    if (needExchange) {
      if (!(header.flags & SEC_EXCHANGE_PKT)) throw refuse('securityHeader.flags', 'expected the Security Exchange PDU (SEC_EXCHANGE_PKT)', offset);
      const ex = decodeSecurityExchange(new Reader(body, offset + 4));
      const clientRandom = rsaDecryptLE(this.options.privateKey!, ex.encryptedClientRandom, 32);
      const keys = deriveSessionKeys(clientRandom, this.serverRandom!, this.method as RdpEncryptionMethod);
      this.decryptStream = new RdpCipherStream(keys.clientEncryptKey, keys.macKey, keys.method);
      this.encryptStream = new RdpCipherStream(keys.clientDecryptKey, keys.macKey, keys.method);
      this.clientLicenseEncryption = (header.flags & SEC_LICENSE_ENCRYPT_SC) !== 0;
      this.stateValue = 'awaitingClientInfo';
      return;
    }
    if (!(header.flags & SEC_INFO_PKT)) throw refuse('securityHeader.flags', 'expected the Client Info PDU (SEC_INFO_PKT)', offset);
    const { plaintext, signatureValid } = this.open(header, body);
    const packet = decodeTsInfoPacket(new Reader(plaintext));
    this.info = packet;
    const core = this.clientDataValue!.core;
    const info: ClientInfo = {
      userName: packet.userName,
      domain: packet.domain,
      clientName: core.clientName,
      clientBuild: core.clientBuild,
      clientVersion: core.version,
      keyboardLayout: core.keyboardLayout,
      codePage: packet.codePage,
      infoFlags: packet.flags,
      alternateShell: packet.alternateShell,
      workingDir: packet.workingDir,
      selectedProtocol: this.selected,
      encryptionMethod: this.method,
      encryptionLevel: this.method ? this.level : 0,
      clientLicenseEncryption: this.clientLicenseEncryption,
    };
    if (this.cookie !== undefined) info.cookie = this.cookie;
    if (signatureValid !== undefined) info.signatureValid = signatureValid;
    events.push({ type: 'clientInfo', info });
    this.stateValue = 'licensing';
  }

  private onLicensingData(pdu: McsSendData, offset: number, events: ServerEvent[]): void {
    if (pdu.channelId !== MCS_GLOBAL_CHANNEL_ID) {
      // Virtual channel data: under Standard RDP Security it still moves the decryption stream along.
      if (this.decryptStream) {
        const r = new Reader(pdu.userData, offset);
        const header = decodeSecurityHeader(r);
        this.open(header, Buffer.from(r.rest()));
      }
      events.push({ type: 'ignored', reason: `data on channel ${pdu.channelId} during licensing`, channelId: pdu.channelId });
      return;
    }
    const r = new Reader(pdu.userData, offset);
    const header = decodeSecurityHeader(r);
    const { plaintext, signatureValid } = this.open(header, Buffer.from(r.rest()));
    if (!(header.flags & SEC_LICENSE_PKT)) {
      events.push({ type: 'ignored', reason: `non-licensing PDU (security flags 0x${header.flags.toString(16)}) during licensing`, channelId: pdu.channelId });
      return;
    }
    if (plaintext.length < LICENSE_PREAMBLE_SIZE) throw new DecodeError('TRUNCATED', 'LICENSE_PREAMBLE', offset, `licensing message of ${plaintext.length} bytes`);
    const ev: ServerEvent = { type: 'licensingPdu', message: plaintext, securityFlags: header.flags, encrypted: (header.flags & SEC_ENCRYPT) !== 0 };
    if (signatureValid !== undefined) ev.signatureValid = signatureValid;
    events.push(ev);
  }
}

