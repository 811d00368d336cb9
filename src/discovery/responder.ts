/**
 * The license server's side of the workgroup broadcast: a UDP socket on 127.0.0.1 that answers each valid DISCOVER
 * with an OFFER naming this license server, its workgroup and where it answers. Anything else is counted, logged and
 * ignored. A license server process runs one of these next to its API.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { DecodeError } from '../../protocol/wire/index.js';
import { isNetbiosName, isServiceAddress, parseServiceAddress } from './address.js';
import { decodeDatagram, encodeOffer } from './datagram.js';
import { DISCOVERY_PORTS, LOOPBACK, checkPortRange, describeRange, portsOf, type PortRange } from './ports.js';

export interface DiscoveryResponderOptions {
  /** The license server's host name (NetBIOS). */
  name: string;
  /** Its workgroup (or domain). Terminal servers of other workgroups ignore its offers. */
  scope: string;
  /** Where its license server answers (`https://127.0.0.1:PORT`, `127.0.0.1:PORT` or `local:NAME`). */
  address: string;
  ports?: PortRange;
  log?: (line: string) => void;
}

export class DiscoveryResponder {
  readonly ports: PortRange;
  private socket?: Socket;
  private boundPort?: number;
  /** Offers sent. */
  answered = 0;
  /** Datagrams ignored (malformed, not a DISCOVER, or not from loopback). */
  ignored = 0;

  constructor(private readonly opts: DiscoveryResponderOptions) {
    if (!isNetbiosName(opts.name)) throw new RangeError(`discovery responder: "${opts.name}" is not a NetBIOS host name`);
    if (!isNetbiosName(opts.scope)) throw new RangeError(`discovery responder: "${opts.scope}" is not a workgroup or domain name`);
    const a = parseServiceAddress(opts.address);
    if (!isServiceAddress(a)) throw new RangeError(`discovery responder: license server address ${a.problem}`);
    this.ports = checkPortRange(opts.ports ?? DISCOVERY_PORTS);
  }

  /** The port it listens on, once started. */
  get port(): number | undefined {
    return this.boundPort;
  }

  /** Binds the first free port of the range on 127.0.0.1 and returns it. */
  async start(): Promise<number> {
    if (this.socket) throw new Error(`discovery responder ${this.opts.name} is already running on port ${this.boundPort}`);
    for (const port of portsOf(this.ports)) {
      const socket = await bindExclusive(port);
      if (!socket) continue;
      this.socket = socket;
      this.boundPort = port;
      socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
      socket.on('error', (e) => this.log(`error=${JSON.stringify(e.message)}`));
      this.log(`listening=${LOOPBACK}:${port} scope=${this.opts.scope} address=${this.opts.address}`);
      return port;
    }
    throw new Error(`discovery responder ${this.opts.name}: every port of ${describeRange(this.ports)} is taken; stop a license server or widen the range`);
  }

  async stop(): Promise<void> {
    const s = this.socket;
    this.socket = undefined;
    this.boundPort = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private onMessage(msg: Buffer, rinfo: RemoteInfo): void {
    const from = `${rinfo.address}:${rinfo.port}`;
    if (rinfo.address !== LOOPBACK) return this.ignore(from, 'not from loopback');
    let request;
    try {
      request = decodeDatagram(msg);
    } catch (e) {
      return this.ignore(from, e instanceof DecodeError ? e.message : String(e));
    }
    if (request.type !== 'discover') return this.ignore(from, 'an offer, not a discover');
    const offer = encodeOffer({ nonce: request.nonce, name: this.opts.name, scope: this.opts.scope, address: this.opts.address });
    this.socket?.send(offer, rinfo.port, LOOPBACK, (e) => {
      if (e) this.log(`to=${from} outcome=send-failed error=${JSON.stringify(e.message)}`);
    });
    this.answered++;
    this.log(`from=${from} requester=${JSON.stringify(request.requester)} outcome=offered`);
  }

  private ignore(from: string, reason: string): void {
    this.ignored++;
    this.log(`from=${from} outcome=ignored reason=${JSON.stringify(reason)}`);
  }

  private log(line: string): void {
    this.opts.log?.(`discovery-responder name=${this.opts.name} ${line}`);
  }
}

/** Binds 127.0.0.1:port without sharing it; undefined when the port is taken. */
function bindExclusive(port: number): Promise<Socket | undefined> {
  return new Promise((resolve, reject) => {
    const socket = createSocket({ type: 'udp4', reuseAddr: false });
    const onError = (e: NodeJS.ErrnoException) => {
      socket.close();
      if (e.code === 'EADDRINUSE' || e.code === 'EACCES') resolve(undefined);
      else reject(e);
    };
    socket.once('error', onError);
    socket.bind(port, LOOPBACK, () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}
