/**
 * Discovery test rigs. Until the license-server HTTPS API lands, a "license server process" here is a real
 * LicenseServerNode behind a real TCP listener on 127.0.0.1 that greets with its name; the link a terminal server gets
 * connects to that listener (a real loopback check that the service is up and is who it should be) and then calls the
 * node in-process. Stopping the listener is stopping the service.
 */
import { createSocket } from 'node:dgram';
import { createServer, connect, type Server } from 'node:net';
import { join } from 'node:path';
import type { Clock } from '../../../src/clock.js';
import type { LicenseRequest, LicenseResult } from '../../../src/license-server/license-server.js';
import { LicenseServerUnreachable, type LicenseServerLink, type LicenseServerStatus, type LocalLink } from '../../../src/license-server/link.js';
import { LicenseServerNode } from '../../../src/license-server/node.js';
import type { ProductVersion } from '../../../src/license-server/types.js';
import type { PortRange } from '../../../src/discovery/ports.js';
import type { LicenseServerTarget, LinkFactory } from '../../../src/discovery/types.js';
import { tempDir } from '../../helpers/license-server.js';

const LOOPBACK = '127.0.0.1';

/** A license server "process": its node and a TCP listener on 127.0.0.1 that greets with the server's name. */
export class TestLicenseServer {
  private server?: Server;

  private constructor(
    readonly node: LicenseServerNode,
    readonly port: number,
  ) {}

  /** Creates the node; listens at once unless `listen` is false (the service is then installed but stopped). */
  static async create(name: string, scope: string, clock: Clock, listen = true): Promise<TestLicenseServer> {
    const node = new LicenseServerNode({ dataDir: join(tempDir('rdplic-discovery-'), name), name, scope, clock });
    const ls = new TestLicenseServer(node, await reservePort());
    if (listen) await ls.start();
    return ls;
  }

  get name(): string {
    return this.node.server.name;
  }

  /** Where it answers, as the directory and the broadcast give it. */
  get address(): string {
    return `${LOOPBACK}:${this.port}`;
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer((socket) => socket.end(`${this.name}\n`));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, LOOPBACK, () => resolve());
    });
    this.server = server;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  async close(): Promise<void> {
    await this.stop();
    this.node.close();
  }
}

/** A free TCP port on 127.0.0.1 (listen on 0, read it, close). */
export async function reservePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, () => resolve()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Connects to HOST:PORT on loopback and reads the greeting; rejects with LicenseServerUnreachable if nothing answers. */
export function tcpGreeting(address: string, timeoutMs = 5_000): Promise<string> {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon);
  const port = Number(address.slice(colon + 1));
  if (host !== LOOPBACK) return Promise.reject(new LicenseServerUnreachable(`tests only connect to ${LOOPBACK}, not ${host}`));
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let data = '';
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error('timed out')));
    socket.on('data', (d) => (data += d.toString('utf8')));
    socket.on('end', () => resolve(data.trim()));
    socket.on('error', (e: NodeJS.ErrnoException) => reject(new LicenseServerUnreachable(`license server at ${address} is not available (${e.code ?? e.message})`)));
  });
}

/** The link tests hand out: a real TCP check of the listener, then the call on the node. */
export class TcpCheckedLink implements LicenseServerLink {
  pings = 0;

  constructor(
    readonly target: string,
    private readonly servers: ReadonlyMap<string, TestLicenseServer>,
  ) {}

  private async local(): Promise<LocalLink> {
    const greeting = await tcpGreeting(this.target);
    const ls = this.servers.get(this.target);
    if (!ls || ls.name.toLowerCase() !== greeting.toLowerCase()) throw new LicenseServerUnreachable(`${this.target} answered as "${greeting}"`);
    return ls.node.localLink();
  }

  async ping(): Promise<LicenseServerStatus> {
    this.pings++;
    return (await this.local()).ping();
  }
  async requestLicense(req: LicenseRequest): Promise<LicenseResult> {
    return (await this.local()).requestLicense(req);
  }
  async reportLogon(hwid: Buffer): Promise<void> {
    return (await this.local()).reportLogon(hwid);
  }
  async recordPerUser(user: string, terminalServer: string, product: ProductVersion): Promise<void> {
    return (await this.local()).recordPerUser(user, terminalServer, product);
  }
  async acquireInternetConnector(terminalServer: string, product: ProductVersion): Promise<{ licenseId: number; certificate: Buffer }> {
    return (await this.local()).acquireInternetConnector(terminalServer, product);
  }
  async releaseInternetConnector(terminalServer: string): Promise<void> {
    return (await this.local()).releaseInternetConnector(terminalServer);
  }
  async terminalServerCertificate(name: string, publicKeyDer: Buffer): Promise<Buffer> {
    return (await this.local()).terminalServerCertificate(name, publicKeyDer);
  }
}

/** A factory over a set of test license servers, remembering what it was asked for. */
export function testLinks(servers: TestLicenseServer[]): { connect: LinkFactory; asked: LicenseServerTarget[]; links: Map<string, TcpCheckedLink> } {
  const byAddress = new Map(servers.map((s) => [s.address, s]));
  const asked: LicenseServerTarget[] = [];
  const links = new Map<string, TcpCheckedLink>();
  const connect: LinkFactory = (target) => {
    asked.push(target);
    const link = new TcpCheckedLink(target.address, byAddress);
    links.set(target.name, link);
    return link;
  };
  return { connect, asked, links };
}

/** A range of `count` UDP ports on 127.0.0.1 that were free a moment ago (random, so parallel test files do not meet). */
export async function freePortRange(count: number): Promise<PortRange> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const first = 30_000 + Math.floor(Math.random() * 25_000);
    let free = true;
    for (let p = first; p < first + count && free; p++) free = await udpPortFree(p);
    if (free) return { first, count };
  }
  throw new Error('no free UDP port range on 127.0.0.1');
}

function udpPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => (s.close(), resolve(false)));
    s.bind(port, LOOPBACK, () => s.close(() => resolve(true)));
  });
}
