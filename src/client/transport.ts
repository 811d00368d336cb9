/**
 * Runs a protocol/rdp ClientConnection over a real TCP socket: writes what it says to send, upgrades the socket to TLS
 * when the server selects it (self-signed server certificates are accepted: the emulator checks licensing, not PKI),
 * hands every licensing PDU to a handler, and ends with a Disconnect Provider Ultimatum and a TCP close once the handler
 * is done (or, with `hold`, once the caller lets the session go). A server DPUm, a TCP close, a socket error and the time
 * limit each end the run with a result that says so.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { ClientConnection, ClientEvent } from '../../protocol/rdp/index.js';
import { PROTOCOL_SSL } from '../../protocol/rdp/index.js';
import { systemClock, type Clock } from '../clock.js';

/** What the licensing handler wants after one licensing PDU. */
export interface LicensingReply {
  /** Licensing messages to send (from LICENSE_PREAMBLE on), in order. */
  send: Buffer[];
  /** True when licensing is over: the transport then disconnects. */
  done: boolean;
}

export type LicensingHandler = (message: Buffer) => Promise<LicensingReply>;

export interface TransportOptions {
  host: string;
  port: number;
  /** Refuse a server that does not select TLS (rdplic client --security tls). */
  requireTls?: boolean;
  /** Time limit of the whole run, connect to close (default 30 s), on `clock`. */
  timeoutMs?: number;
  /** How long (real time: a socket linger, not a protocol timer) to wait for the server's close after our DPUm (default 2 s). */
  closeGraceMs?: number;
  clock?: Clock;
  /** Called with a line for each step, for --verbose output. */
  trace?: (line: string) => void;
  /**
   * Fault injection (robustness tests, conformance runs): called before the n-th PDU (from 0) is written. `data` replaces
   * it (malformed, or cut short), `drop` closes the connection right after (or instead, without `data`).
   */
  tamper?: (index: number, what: string, data: Buffer) => { data?: Buffer; drop?: boolean } | undefined;
  /**
   * Keep the connection open after licensing until this settles, then send the DPUm (a session that stays connected, as
   * Internet Connector's 200 simultaneous connections need). The time limit covers connecting and licensing only; the
   * server may still end the connection during the hold (the result then says `closed`).
   */
  hold?: Promise<unknown>;
}

interface TransportFacts {
  /** The security the connection reached licensing with (null: it did not get that far). */
  security: 'tls' | 'rdp' | null;
  /** SHA-256 fingerprint of the server's TLS certificate. */
  serverCertificateSha256?: string;
  /** True when licensing finished and the connection was held open (`hold`). */
  held?: boolean;
}

export type TransportResult = TransportFacts &
  (
    /** The handler said licensing is over; the DPUm was sent. */
    | { kind: 'completed' }
    /** The server ended the connection first (DPUm, X.224 Disconnect Request, TCP close). */
    | { kind: 'closed'; reason: string; state: string }
    /** The connection could not be made, or broke, or the server sent what the client cannot accept. */
    | { kind: 'failed'; reason: string; state: string }
    | { kind: 'timeout'; reason: string; state: string }
  );

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_CLOSE_GRACE_MS = 2_000;

/** Connects, runs the connection sequence and licensing, and disconnects. Never rejects. */
export function runClientTransport(connection: ClientConnection, handler: LicensingHandler, options: TransportOptions): Promise<TransportResult> {
  return new ClientTransport(connection, handler, options).run();
}

class ClientTransport {
  private readonly clock: Clock;
  private raw: Socket | undefined;
  private socket: Socket | TLSSocket | undefined;
  private security: 'tls' | 'rdp' | null = null;
  private certificateSha256: string | undefined;
  private settled = false;
  private finishing = false;
  private resolve!: (r: TransportResult) => void;
  private cancelTimeout: (() => void) | undefined;
  private cancelGrace: (() => void) | undefined;
  private licensing: Promise<void> = Promise.resolve();
  private phase = 'connecting';
  private held = false;

  constructor(
    private readonly connection: ClientConnection,
    private readonly handler: LicensingHandler,
    private readonly options: TransportOptions,
  ) {
    this.clock = options.clock ?? systemClock;
  }

  run(): Promise<TransportResult> {
    return new Promise((resolve) => {
      this.resolve = resolve;
      const ms = this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
      this.cancelTimeout = this.clock.setTimeout(() => this.end('timeout', `no answer within ${ms / 1000} s (${this.describeState()})`), ms);
      const raw = netConnect({ host: this.options.host, port: this.options.port });
      this.raw = raw;
      this.socket = raw;
      raw.setNoDelay(true);
      raw.on('connect', () => {
        this.phase = 'connected';
        this.trace(`TCP connected to ${this.options.host}:${this.options.port}`);
        this.handle(this.connection.start());
      });
      raw.on('data', this.onRawData);
      raw.on('error', (e) => this.onSocketError(e));
      raw.on('close', () => this.onSocketClose());
    });
  }

  private readonly onRawData = (chunk: Buffer): void => this.handle(this.connection.receive(chunk));

  private trace(line: string): void {
    this.options.trace?.(line);
  }

  private describeState(): string {
    if (this.phase === 'connecting') return 'connecting';
    if (this.phase === 'tls') return 'TLS handshake';
    if (this.finishing) return 'closing';
    if (this.held) return 'holding the session';
    return `connection state ${this.connection.state}`;
  }

  private written = 0;

  private write(data: Buffer, what: string): void {
    if (this.settled || !this.socket || this.socket.destroyed) return;
    const change = this.options.tamper?.(this.written++, what, data);
    const out = change ? change.data : data;
    if (out) {
      this.trace(`-> ${what} (${out.length} bytes${change ? ', tampered' : ''})`);
      this.socket.write(out);
    }
    if (change?.drop) {
      this.socket.destroy();
      this.end('failed', `dropped before ${what}`);
    }
  }

  private handle(events: ClientEvent[]): void {
    for (const e of events) {
      if (this.settled) return;
      switch (e.type) {
        case 'send':
          this.write(e.data, e.what);
          break;
        case 'startTls':
          if (e.leftover.length > 0) return this.end('failed', `the server sent ${e.leftover.length} bytes before the TLS handshake`);
          this.startTls();
          return;
        case 'connected':
          this.security = e.selectedProtocol === PROTOCOL_SSL ? 'tls' : 'rdp';
          this.trace(`connected up to licensing: user channel ${e.userId}, ${e.selectedProtocol === PROTOCOL_SSL ? 'TLS' : 'Standard RDP Security'}, encryption method 0x${e.encryptionMethod.toString(16)}`);
          break;
        case 'licensingPdu':
          this.onLicensingPdu(e.message);
          break;
        case 'closed': {
          if (this.finishing) return;
          // Licensing PDUs that came just before the DPUm are still being handled: let them finish first.
          const reason = `the server ended the connection: ${e.reason}`;
          void this.licensing.then(() => this.finishing || this.end('closed', reason));
          return;
        }
        case 'error':
          return this.end('failed', `bad data from the server in state ${e.state}: ${e.message}`);
        case 'serverData':
          // Checked before the Client Info (and its password) goes out.
          if (this.options.requireTls && this.connection.selectedProtocol !== PROTOCOL_SSL) return this.end('failed', 'the server chose Standard RDP Security and TLS was required');
          break;
        case 'ignored':
          this.trace(`ignored: ${e.reason}`);
          break;
      }
    }
  }

  private startTls(): void {
    const raw = this.raw!;
    raw.removeListener('data', this.onRawData);
    this.phase = 'tls';
    this.trace('TLS handshake');
    const secure = tlsConnect({ socket: raw, rejectUnauthorized: false });
    this.socket = secure;
    secure.on('secureConnect', () => {
      this.phase = 'connected';
      const cert = secure.getPeerX509Certificate();
      this.certificateSha256 = cert?.fingerprint256;
      this.trace(`TLS ${secure.getProtocol() ?? ''} established${cert ? `, server certificate ${cert.subject.replace(/\n/g, ', ')}` : ''}`);
      try {
        this.handle(this.connection.tlsEstablished());
      } catch (e) {
        this.end('failed', e instanceof Error ? e.message : String(e));
      }
    });
    secure.on('data', (chunk: Buffer) => this.handle(this.connection.receive(chunk)));
    secure.on('error', (e) => this.onSocketError(e));
  }

  private onLicensingPdu(message: Buffer): void {
    this.licensing = this.licensing.then(async () => {
      if (this.settled || this.finishing) return;
      let reply: LicensingReply;
      try {
        reply = await this.handler(message);
      } catch (e) {
        return this.end('failed', `licensing: ${e instanceof Error ? e.message : String(e)}`);
      }
      if (this.settled) return;
      for (const m of reply.send) {
        try {
          this.write(this.connection.sendLicensing(m), `licensing message 0x${m[0]!.toString(16).padStart(2, '0')}`);
        } catch (e) {
          return this.end('failed', `cannot send a licensing message: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
      if (reply.done) this.licensingDone();
    });
  }

  /** Licensing is over: disconnect now, or hold the session open until the caller's promise settles. */
  private licensingDone(): void {
    const hold = this.options.hold;
    if (!hold) return this.disconnect();
    this.held = true;
    this.cancelTimeout?.();
    this.cancelTimeout = undefined;
    this.trace('licensing done: holding the connection open');
    // Not chained on `licensing`: a server close during the hold must end the run at once.
    const release = () => {
      if (this.settled) return;
      this.trace('hold released');
      this.disconnect();
    };
    hold.then(release, release);
  }

  /** DPUm, then a TCP close; waits a little for the server to close too. */
  private disconnect(): void {
    if (this.finishing || this.settled) return;
    this.finishing = true;
    this.write(this.connection.disconnect(), 'MCS Disconnect Provider Ultimatum');
    this.socket!.end();
    const grace = setTimeout(() => this.end('completed', ''), this.options.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS);
    this.cancelGrace = () => clearTimeout(grace);
  }

  private onSocketError(e: Error): void {
    if (this.finishing) return this.end('completed', '');
    const code = (e as NodeJS.ErrnoException).code;
    const what = this.phase === 'connecting' ? `cannot connect to ${this.options.host}:${this.options.port}` : this.phase === 'tls' ? 'TLS handshake failed' : 'connection error';
    this.end('failed', `${what}: ${code && !e.message.includes(code) ? `${code} ` : ''}${e.message}`);
  }

  private onSocketClose(): void {
    if (this.finishing) return this.end('completed', '');
    // Let pending licensing work finish first: a server may send its last PDU and close at once.
    void this.licensing.then(() => {
      if (this.finishing) return this.end('completed', '');
      this.end('closed', `the server closed the TCP connection (${this.describeState()})`);
    });
  }

  private end(kind: TransportResult['kind'], reason: string): void {
    if (this.settled) return;
    this.settled = true;
    this.cancelTimeout?.();
    this.cancelGrace?.();
    const state = this.describeState();
    this.socket?.destroy();
    this.raw?.destroy();
    const facts: TransportFacts = { security: this.security };
    if (this.certificateSha256) facts.serverCertificateSha256 = this.certificateSha256;
    if (this.held) facts.held = true;
    if (kind === 'completed') {
      this.resolve({ kind, ...facts });
    } else {
      this.trace(`${kind}: ${reason}`);
      this.resolve({ kind, reason, state, ...facts });
    }
  }
}
