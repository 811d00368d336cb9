/**
 * One client connection: a TCP (then maybe TLS) socket driving protocol/rdp's ServerConnection and, after the Client
 * Info PDU, protocol/session's ServerLicensing. Each connection is isolated: whatever one client sends, only its own
 * socket is closed. Licensing ends with a Disconnect Provider Ultimatum (real clients otherwise wait for Demand Active,
 * and xfreerdp reconnects after a plain close), unless sessions are held open.
 */
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { TLSSocket } from 'node:tls';
import {
  ST_TOTAL_ABORT,
  describeLicenseError,
  encodeLicensingMessage,
  errorCodeName,
  licenseErrorMessage,
  stateTransitionName,
} from '../../protocol/licensing/index.js';
import { ServerConnection, type ClientInfo, type ServerEvent } from '../../protocol/rdp/index.js';
import { ServerLicensing, formatLicensingEvent, type ServerOutcome } from '../../protocol/session/index.js';
import { ConnectionPolicy } from './licensing-policy.js';
import type { TerminalServer } from './terminal-server.js';

export interface ConnectionLimits {
  /** Close a connection that sends nothing for this long (ms, real time), until licensing ends (a held session has no idle limit). */
  idleMs: number;
  /** Close a connection that is still licensing after this long (ms, real time). */
  licensingMs: number;
  maxPduSize: number;
}

/** Replays bytes that arrived before the TLS handshake started, then the socket's own data. */
function prepend(socket: Socket, leftover: Buffer): Duplex {
  const d = new Duplex({
    read: () => void socket.resume(),
    write: (chunk, _enc, cb) => void socket.write(chunk, cb),
    final: (cb) => void socket.end(cb),
  });
  d.push(leftover);
  socket.on('data', (c: Buffer) => void (d.push(c) || socket.pause()));
  socket.on('end', () => d.push(null));
  socket.on('error', (e) => d.destroy(e));
  return d;
}

export class RdpConnection {
  private socket: Socket | TLSSocket;
  private readonly rdp: ServerConnection;
  private licensing?: ServerLicensing;
  private policy?: ConnectionPolicy;
  private clientInfo?: ClientInfo;
  private queue: Promise<void> = Promise.resolve();
  private idleTimer?: NodeJS.Timeout;
  private readonly licensingTimer: NodeJS.Timeout;
  private finished = false;
  /** Licensing is over and the session is held open: the idle limit no longer applies (the client leaves when it wants). */
  private held = false;
  closed = false;
  /** Counted against the Internet Connector's 200 simultaneous connections. */
  counted = false;

  constructor(
    readonly id: number,
    raw: Socket,
    private readonly ts: TerminalServer,
    private readonly limits: ConnectionLimits,
  ) {
    this.socket = raw;
    this.rdp = new ServerConnection({
      security: ts.options.security,
      encryptionMethod: ts.options.encryptionMethod,
      serverCertificate: ts.certificates.proprietary,
      privateKey: ts.key,
      random: ts.random,
      maxPduSize: limits.maxPduSize,
    });
    this.attach(raw);
    this.licensingTimer = setTimeout(() => this.abort(`still licensing after ${limits.licensingMs} ms`), limits.licensingMs);
    this.licensingTimer.unref();
    this.touch();
  }

  private log(line: string): void {
    this.ts.log(`conn#${this.id} ${line}`);
  }

  private attach(s: Socket | TLSSocket): void {
    s.on('data', (d: Buffer) => this.onData(d));
    s.on('error', (e) => this.abort(`socket error: ${e.message}`));
    s.on('close', () => this.onClose());
    s.on('end', () => this.abort('the client closed the connection'));
  }

  private touch(): void {
    clearTimeout(this.idleTimer);
    if (this.held) return;
    this.idleTimer = setTimeout(() => this.abort(`idle for ${this.limits.idleMs} ms`), this.limits.idleMs);
    this.idleTimer.unref();
  }

  private onData(data: Buffer): void {
    if (this.closed) return;
    this.touch();
    this.handle(this.rdp.receive(data));
  }

  private handle(events: ServerEvent[]): void {
    for (const e of events) {
      if (this.closed) return;
      switch (e.type) {
        case 'send':
          this.socket.write(e.data);
          break;
        case 'startTls':
          this.startTls(e.leftover);
          break;
        case 'negotiated':
          this.log(`security ${e.selectedProtocol === 1 ? 'TLS' : 'Standard RDP Security'}${e.cookie ? ` cookie "${e.cookie}"` : ''}`);
          break;
        case 'clientInfo':
          this.onClientInfo(e.info);
          break;
        case 'licensingPdu':
          this.enqueue(e.message);
          break;
        case 'ignored':
          break;
        case 'closed':
          this.abort(`closed: ${e.reason}`);
          break;
        case 'error':
          this.abort(`protocol error in ${e.state}: ${e.message}`);
          break;
      }
    }
  }

  private startTls(leftover: Buffer): void {
    const raw = this.socket as Socket;
    raw.removeAllListeners('data');
    raw.removeAllListeners('end');
    const tls = new TLSSocket(leftover.length > 0 ? prepend(raw, leftover) : raw, {
      isServer: true,
      key: this.ts.tls.keyPem,
      cert: this.ts.tls.certificatePem,
    });
    this.socket = tls;
    this.attach(tls);
  }

  private onClientInfo(info: ClientInfo): void {
    this.clientInfo = info;
    this.log(`client "${info.clientName}" user "${info.domain ? info.domain + '\\' : ''}${info.userName}" build ${info.clientBuild}`);
    const policy = new ConnectionPolicy(this.ts.licensingContext, { clientName: info.clientName, userName: info.userName, domain: info.domain });
    this.policy = policy;
    const refusal = this.ts.admit(this);
    if (refusal) {
      // Refused before licensing starts (Internet Connector full): one alert, then the ultimatum.
      policy.note.decision = refusal.reason;
      const alert = { errorCode: refusal.errorCode, stateTransition: ST_TOTAL_ABORT };
      this.sendAll([encodeLicensingMessage({ type: 'ERROR_ALERT', body: licenseErrorMessage(alert.errorCode, alert.stateTransition) })]);
      this.log(`server -> ERROR_ALERT: ${describeLicenseError(alert)}`);
      this.finish({ kind: 'denied', ...alert });
      return;
    }
    this.licensing = new ServerLicensing({
      random: this.ts.random,
      serverCertificate: this.ts.certificates.licensing,
      privateKey: this.ts.key,
      productInfo: { version: (this.ts.options.product.major << 16) | this.ts.options.product.minor },
      policy,
      onEvent: (ev) => this.log(formatLicensingEvent(ev)),
    });
    this.sendAll(this.licensing.start());
    if (this.licensing.done) this.finish(this.licensing.outcome!);
  }

  private sendAll(messages: Buffer[]): void {
    for (const m of messages) this.socket.write(this.rdp.sendLicensing(m));
  }

  /** Licensing steps may wait for a license server: they run one at a time, in order. */
  private enqueue(message: Buffer): void {
    const licensing = this.licensing;
    if (!licensing) return this.abort('a licensing PDU before the Client Info PDU');
    this.queue = this.queue.then(async () => {
      if (this.closed || this.finished) return;
      const step = await licensing.receive(message);
      if (this.closed) return;
      this.sendAll(step.send);
      if (step.outcome) this.finish(step.outcome);
    });
  }

  private finish(outcome: ServerOutcome): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.licensingTimer);
    const info = this.clientInfo!;
    const note = this.policy?.note;
    const licensed = outcome.kind === 'new-license' || outcome.kind === 'upgrade-license' || outcome.kind === 'valid-client';
    const logon = licensed ? this.ts.logon(info, this.rdp.infoPacket?.password ?? '', note) : 'not attempted';
    const hwid = outcome.hwid ?? note?.hwid;
    const alert = outcome.errorCode !== undefined ? ` alert=${errorCodeName(outcome.errorCode)}/${stateTransitionName(outcome.stateTransition ?? 0)}` : '';
    const license = note?.licenseId !== undefined ? ` license=${note.kind ?? '?'}#${note.licenseId}${note.serial ? `(${note.serial})` : ''}` : '';
    this.log(
      `outcome client="${info.clientName}" hwid=${hwid ? hwid.toString('hex') : '-'} result=${outcome.kind}${alert}${license} decision="${note?.decision ?? outcome.reason ?? ''}" logon=${logon}`,
    );
    this.ts.connectionFinished({ id: this.id, client: info, outcome, note, logon });
    if (!this.ts.options.holdSessions || !licensed) return this.end();
    this.held = true;
    clearTimeout(this.idleTimer);
  }

  /** Sends the Disconnect Provider Ultimatum and closes. */
  end(): void {
    if (this.closed) return;
    this.socket.end(this.rdp.disconnect());
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }

  abort(reason: string): void {
    if (this.closed) return;
    if (!this.finished) this.log(`closed before licensing finished: ${reason}`);
    this.socket.destroy();
    this.onClose();
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.idleTimer);
    clearTimeout(this.licensingTimer);
    this.ts.connectionClosed(this);
  }
}
