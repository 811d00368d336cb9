/**
 * Test-only: a real terminal server's licensing on 127.0.0.1, made of node:net (+ node:tls with a real self-signed
 * certificate from openssl) + protocol/rdp ServerConnection + protocol/session ServerLicensing. It issues real CALs
 * (protocol/cal, signed by a self-signed license server certificate) bound to the client's HWID, and records what each
 * client sent. It stands in for `rdplic serve` until that lands.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { createSecureContext, TLSSocket, type SecureContext } from 'node:tls';
import { buildClientLicense, clientLicenseSerialNumber, parseClientLicense } from '../../../../protocol/cal/index.js';
import { buildProprietaryCertificate, buildServerCertificateChain } from '../../../../protocol/certificates/index.js';
import { rsaPrivateKeyFromKeyObject, seededRandom, type RsaPrivateKey } from '../../../../protocol/crypto/index.js';
import { decodeLicensingMessage } from '../../../../protocol/licensing/index.js';
import { ServerConnection, type ClientInfo, type SecurityPolicy, type ServerEvent } from '../../../../protocol/rdp/index.js';
import { ServerLicensing, type ServerLicensingPolicy, type ServerOutcome, type ServerPolicyInfo } from '../../../../protocol/session/index.js';
import { selfSignedCertificate } from '../../../../src/license-server/identity.js';
import { makeTlsCertificate } from './tls-certificate.js';

export function rsaKey(bits: number): RsaPrivateKey {
  return rsaPrivateKeyFromKeyObject(generateKeyPairSync('rsa', { modulusLength: bits }).privateKey);
}

const DAY = 86_400_000;

/** The license server behind the test terminal server: its key and self-signed certificate, and the CALs it issues. */
export class TestLicenseServer {
  readonly key = rsaKey(1024);
  readonly certificate = selfSignedCertificate({ name: 'TESTLS', scope: 'WORKGROUP', key: this.key });
  private serial = 0;
  now = new Date(Date.UTC(2026, 0, 1));

  issue(info: ServerPolicyInfo, temporary: boolean, days = temporary ? 90 : 60): Buffer {
    return buildClientLicense({
      licenseServerCertificates: [this.certificate],
      licenseServerKey: this.key,
      licenseServer: { name: 'TESTLS', productId: '00000-000-0000000-00000', scope: 'WORKGROUP' },
      serialNumber: clientLicenseSerialNumber(temporary ? 1 : 3, ++this.serial),
      notBefore: this.now,
      notAfter: new Date(this.now.getTime() + days * DAY),
      hardwareId: info.hwid ?? Buffer.alloc(20),
      clientMachineName: info.machineName ?? '',
      clientUserName: info.userName ?? '',
      product: { productId: 'A02', majorVersion: 6, minorVersion: 0, temporary },
    });
  }
}

/**
 * What a Windows-like terminal server with a license server does: a new client gets a temporary CAL (or a permanent one
 * with `permanentFirst`); a presented temporary CAL is upgraded to a permanent one; a valid permanent CAL bound to the
 * client's HWID is accepted; a CAL that does not decode, is not signed by our license server, or names another HWID is
 * replaced through the upgrade flow.
 */
export function windowsLikePolicy(ls: TestLicenseServer, opts: { permanentFirst?: boolean } = {}): ServerLicensingPolicy {
  const good = (info: ServerPolicyInfo) => {
    try {
      const l = parseClientLicense(info.presentedLicense!);
      return l.signatureValid && info.hwid !== undefined && l.hardwareId.equals(info.hwid) ? l : undefined;
    } catch {
      return undefined;
    }
  };
  return {
    issue: (info) => ({ action: 'issue', licenseInfo: ls.issue(info, !opts.permanentFirst) }),
    validate: (info) => {
      const l = good(info);
      return l && !l.temporary ? { action: 'accept' } : { action: 'upgrade' };
    },
    upgrade: (info) => ({ action: 'upgrade', licenseInfo: ls.issue(info, false) }),
  };
}

export type Behaviour =
  /** Licensing as the policy says, then wait for the client's DPUm. */
  | 'normal'
  /** After licensing, send a DPUm at once (as xrdp does after a bad MAC). */
  | 'dpum-after-licensing'
  /** Send a DPUm instead of the LICENSE_REQUEST. */
  | 'dpum-instead-of-licensing'
  /** Close TCP instead of the LICENSE_REQUEST. */
  | 'close-instead-of-licensing'
  /** Accept TCP, never answer. */
  | 'silent';

export interface SessionRecord {
  clientInfo?: ClientInfo;
  password?: string;
  /** Licensing messages from the client: type and bytes. */
  received: Array<{ type: string; bytes: Buffer }>;
  outcome?: ServerOutcome;
  closedBy?: string;
  errors: string[];
}

export interface LicensingServerOptions {
  security?: SecurityPolicy;
  policy?: ServerLicensingPolicy;
  behaviour?: Behaviour;
  productInfo?: { version?: number; companyName?: string; productId?: string };
  scopes?: string[];
}

export class LicensingTestServer {
  readonly sessions: SessionRecord[] = [];
  readonly licenseServer = new TestLicenseServer();
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly tsKey = rsaKey(1024);
  private readonly proprietary = buildProprietaryCertificate(this.tsKey).raw!;
  private readonly chain: Buffer;
  private readonly tls: SecureContext;
  private seed = 1000;
  port = 0;

  constructor(readonly options: LicensingServerOptions = {}) {
    this.chain = buildServerCertificateChain({
      licenseServerCertificate: this.licenseServer.certificate,
      licenseServerKey: this.licenseServer.key,
      terminalServer: { commonName: 'ncacn_ip_tcp:127.0.0.1', serialNumber: Buffer.from('0100000001', 'hex'), notBefore: new Date(0), notAfter: new Date(Date.UTC(2049, 4, 30)), publicKey: this.tsKey },
    }).serverCertificate;
    const { cert, key } = makeTlsCertificate();
    this.tls = createSecureContext({ cert, key });
    this.server = createServer((s) => this.accept(s));
  }

  static async start(options: LicensingServerOptions = {}): Promise<LicensingTestServer> {
    const s = new LicensingTestServer(options);
    await new Promise<void>((resolve) => s.server.listen(0, '127.0.0.1', resolve));
    s.port = (s.server.address() as { port: number }).port;
    return s;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(raw: Socket): void {
    this.sockets.add(raw);
    raw.on('close', () => this.sockets.delete(raw));
    raw.on('error', () => undefined);
    const record: SessionRecord = { received: [], errors: [] };
    this.sessions.push(record);
    const behaviour = this.options.behaviour ?? 'normal';
    if (behaviour === 'silent') return;
    const conn = new ServerConnection({
      security: this.options.security ?? 'negotiate',
      serverCertificate: this.proprietary,
      privateKey: this.tsKey,
      random: seededRandom(this.seed++),
    });
    const licensing = new ServerLicensing({
      random: seededRandom(this.seed++),
      serverCertificate: this.chain,
      privateKey: this.tsKey,
      ...(this.options.policy ? { policy: this.options.policy } : {}),
      ...(this.options.productInfo ? { productInfo: this.options.productInfo } : {}),
      ...(this.options.scopes ? { scopes: this.options.scopes } : {}),
    });
    let socket: Socket = raw;
    let chain: Promise<void> = Promise.resolve();
    const send = (b: Buffer) => socket.destroyed || socket.write(b);
    const finish = (why: string) => {
      record.closedBy ??= why;
      socket.end();
    };
    const sendLicensing = (messages: Buffer[]) => {
      for (const m of messages) send(conn.sendLicensing(m));
      if (licensing.done) {
        record.outcome = licensing.outcome;
        if (behaviour === 'dpum-after-licensing') {
          send(conn.disconnect());
          finish('server DPUm after licensing');
        }
      }
    };
    const handle = (events: ServerEvent[]) => {
      for (const e of events) {
        switch (e.type) {
          case 'send':
            send(e.data);
            break;
          case 'startTls': {
            raw.removeListener('data', onRaw);
            const secure = new TLSSocket(raw, { isServer: true, secureContext: this.tls });
            secure.on('data', (d: Buffer) => handle(conn.receive(d)));
            secure.on('error', (err) => record.errors.push(`tls: ${err.message}`));
            socket = secure;
            break;
          }
          case 'clientInfo':
            record.clientInfo = e.info;
            record.password = conn.infoPacket?.password;
            if (behaviour === 'dpum-instead-of-licensing') {
              send(conn.disconnect());
              return finish('server DPUm');
            }
            if (behaviour === 'close-instead-of-licensing') return finish('server TCP close');
            sendLicensing(licensing.start());
            break;
          case 'licensingPdu': {
            let type = 'MALFORMED';
            try {
              type = decodeLicensingMessage(e.message).type;
            } catch {
              // recorded as MALFORMED
            }
            record.received.push({ type, bytes: e.message });
            chain = chain.then(async () => sendLicensing((await licensing.receive(e.message)).send));
            break;
          }
          case 'closed':
            return finish(`client: ${e.reason}`);
          case 'error':
            record.errors.push(e.message);
            return finish(`error: ${e.message}`);
          default:
            break;
        }
      }
    };
    const onRaw = (d: Buffer) => handle(conn.receive(d));
    raw.on('data', onRaw);
  }
}
