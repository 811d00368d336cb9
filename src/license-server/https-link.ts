/**
 * The license server over its HTTPS API:
 *  - HttpsLink: what a terminal server holds for a remote license server (LicenseServerLink), after enrolling with a
 *    one-time token; mutual TLS with the certificate it got, the license server's certificate pinned.
 *  - HttpsPeerDirectory: how a license server with no CAL left asks its configured peers for inventory (seed: "Client
 *    Device Licensing": "it will first look to any other license server ... redirect the terminal server").
 */
import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { chmodSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../data-folder.js';
import { ApiError, JsonClient, isConnectionError } from '../http/json-client.js';
import { fingerprint, publicKeyDerOfPem, toPem, type HttpsIdentity } from '../http/tls-certificates.js';
import { parseEnrolmentToken } from './access.js';
import { licenseRequestToJson, resultFromJson, type LicenseResultJson } from './json-codec.js';
import { LicenseServerError, type LicenseRequest, type LicenseResult, type PeerDirectory } from './license-server.js';
import { LicenseServerUnreachable, type LicenseServerLink, type LicenseServerStatus } from './link.js';
import type { LicenseStore, Peer } from './store.js';
import type { KeyPackType, ProductVersion } from './types.js';

/** What a terminal server keeps after enrolling (write it with writeLinkCredentials: it holds a private key). */
export interface HttpsLinkCredentials {
  /** The license server, e.g. https://127.0.0.1:4443 */
  url: string;
  /** The name the terminal server enrolled as (its principal at the license server). */
  name: string;
  /** PEM of the license server's HTTPS certificate (pinned). */
  serverCertificate: string;
  /** PEM of the TLS client certificate the license server issued. */
  tlsCertificate: string;
  /** PEM (PKCS#8) of the TLS client key. */
  tlsKey: string;
  /** Base64 DER of the terminal-server certificate of the RDP chain, issued at enrolment. */
  terminalServerCertificate: string;
}

export interface HttpsLinkOptions {
  timeoutMs?: number;
  /** Follow a redirect to a peer once, with the same credentials (default true). */
  followRedirects?: boolean;
}

const LS_ERROR_CODES = ['not-found', 'conflict', 'refused', 'invalid'] as const;

export function writeLinkCredentials(path: string, c: HttpsLinkCredentials): void {
  writeFileAtomic(path, JSON.stringify(c, null, 2) + '\n', 0o600);
}

export function readLinkCredentials(path: string): HttpsLinkCredentials {
  chmodSync(path, 0o600);
  const c = JSON.parse(readFileSync(path, 'utf8')) as HttpsLinkCredentials;
  for (const k of ['url', 'name', 'serverCertificate', 'tlsCertificate', 'tlsKey'] as const) {
    if (typeof c[k] !== 'string') throw new Error(`${path} is not a license-server link file (no "${k}")`);
  }
  return c;
}

export class HttpsLink implements LicenseServerLink {
  private readonly http: JsonClient;

  constructor(
    readonly credentials: HttpsLinkCredentials,
    private readonly opts: HttpsLinkOptions = {},
  ) {
    this.http = new JsonClient({
      url: credentials.url,
      serverCertificate: credentials.serverCertificate,
      clientCert: { cert: credentials.tlsCertificate, key: credentials.tlsKey },
      timeoutMs: opts.timeoutMs ?? 10_000,
      keepAlive: true,
    });
  }

  /**
   * Enrols a terminal server with a license server: `token` comes from `rdplic admin enrol NAME`; `publicKeyDer` is the
   * SubjectPublicKeyInfo of the terminal server's RDP key (its certificate comes back in the credentials). A fresh
   * RSA-2048 key is made for TLS unless `tlsKeyPem` is given. The server is checked against the fingerprint the token
   * carries before anything is sent.
   */
  static async enrol(url: string, token: string | undefined, ts: { name: string; publicKeyDer: Buffer; tlsKeyPem?: string; timeoutMs?: number }): Promise<HttpsLinkCredentials> {
    // Without a token (open enrolment) the server is trusted on first contact and pinned from then on.
    const fingerprintPrefix = token === undefined ? '' : parseEnrolmentToken(token).fingerprintPrefix;
    const tlsKey = ts.tlsKeyPem ?? (generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
    const client = new JsonClient({ url, verifyServer: (cert) => fingerprint(cert).startsWith(fingerprintPrefix), timeoutMs: ts.timeoutMs });
    const r = await client.post<{ name: string; tlsCertificate: string; serverCertificate: string; terminalServerCertificate: string }>('/api/v1/enrol', {
      ...(token === undefined ? {} : { token }),
      name: ts.name,
      publicKey: ts.publicKeyDer.toString('base64'),
      tlsPublicKey: publicKeyDerOfPem(tlsKey).toString('base64'),
    });
    if (!fingerprint(r.serverCertificate).startsWith(fingerprintPrefix)) throw new Error('the license server answered with a certificate other than the one the token names');
    return { url, name: r.name, serverCertificate: r.serverCertificate, tlsCertificate: r.tlsCertificate, tlsKey, terminalServerCertificate: r.terminalServerCertificate };
  }

  get target(): string {
    return this.credentials.url;
  }

  close(): void {
    this.http.close();
  }

  private async call<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
    try {
      return await this.http.call<T>(method, path, body);
    } catch (e) {
      if (isConnectionError(e)) throw new LicenseServerUnreachable(`license server ${this.credentials.url} is not available: ${(e as Error).message}`);
      if (e instanceof ApiError) {
        const code = e.body.code as (typeof LS_ERROR_CODES)[number] | undefined;
        if (code && LS_ERROR_CODES.includes(code)) throw new LicenseServerError(code, e.message, e.body);
      }
      throw e;
    }
  }

  async ping(): Promise<LicenseServerStatus> {
    const r = await this.call<{ name: string; activated: boolean; licenseServerId?: string; certificates: string[] }>('GET', '/api/v1/ts/ping');
    return { name: r.name, activated: r.activated, licenseServerId: r.licenseServerId, certificates: r.certificates.map((c) => Buffer.from(c, 'base64')) };
  }

  /** The terminal server is the enrolled principal: `req.terminalServer` is not sent. */
  async requestLicense(req: LicenseRequest): Promise<LicenseResult> {
    const result = resultFromJson(await this.call<LicenseResultJson>('POST', '/api/v1/ts/licenses', licenseRequestToJson(req)));
    if (result.outcome !== 'redirect' || this.opts.followRedirects === false || !result.certificate) return result;
    const peer = new HttpsLink({ ...this.credentials, url: result.url, serverCertificate: result.certificate }, { ...this.opts, followRedirects: false });
    try {
      return await peer.requestLicense({ ...req, redirected: true });
    } catch (e) {
      if (e instanceof LicenseServerUnreachable) return result;
      throw e;
    } finally {
      peer.close();
    }
  }

  async reportLogon(hwid: Buffer): Promise<void> {
    await this.call('POST', '/api/v1/ts/logons', { hwid: hwid.toString('hex') });
  }

  async recordPerUser(user: string, _terminalServer: string, product: ProductVersion): Promise<void> {
    await this.call('POST', '/api/v1/ts/per-user', { user, product });
  }

  async acquireInternetConnector(_terminalServer: string, product: ProductVersion): Promise<{ licenseId: number; certificate: Buffer }> {
    const r = await this.call<{ licenseId: number; certificate: string }>('POST', '/api/v1/ts/internet-connector', { product });
    return { licenseId: r.licenseId, certificate: Buffer.from(r.certificate, 'base64') };
  }

  async releaseInternetConnector(_terminalServer: string): Promise<void> {
    await this.call('DELETE', '/api/v1/ts/internet-connector');
  }

  /** Issued for the enrolled name; another name is refused (403). */
  async terminalServerCertificate(name: string, publicKeyDer: Buffer): Promise<Buffer> {
    const r = await this.call<{ certificate: string }>('POST', '/api/v1/ts/certificate', { name, publicKey: publicKeyDer.toString('base64') });
    return Buffer.from(r.certificate, 'base64');
  }
}

// ---------------------------------------------------------------- peers

export interface HttpsPeerDirectoryOptions {
  timeoutMs?: number;
  /** Called when a peer does not answer (the license server logs event 8). */
  onUnreachable?: (peer: string, reason: string) => void;
}

/** Fetches a server's certificate on first contact (trust on first use) and checks it says the same in its answer. */
export async function fetchServerCertificate(url: string, timeoutMs = 5000): Promise<{ name: string; certificate: string }> {
  let seen: X509Certificate | undefined;
  const client = new JsonClient({ url, verifyServer: (cert) => ((seen = cert), true), timeoutMs });
  const r = await client.get<{ name: string; certificate: string }>('/api/v1/identity');
  if (!seen || fingerprint(seen) !== fingerprint(r.certificate)) throw new Error(`${url} presented one certificate and named another`);
  return { name: r.name, certificate: toPem(seen.raw) };
}

export class HttpsPeerDirectory implements PeerDirectory {
  /** A peer that failed is not tried again for this long (real time). */
  static readonly RETRY_MS = 30_000;
  private readonly failedAt = new Map<string, number>();
  private readonly clients = new Map<string, JsonClient>();

  constructor(
    private readonly store: LicenseStore,
    private readonly identity: HttpsIdentity,
    private readonly opts: HttpsPeerDirectoryOptions = {},
  ) {}

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }

  private failed(peer: Peer, e: unknown): void {
    this.failedAt.set(peer.name, Date.now());
    this.opts.onUnreachable?.(peer.name, (e as Error).message);
  }

  private resting(peer: Peer): boolean {
    const at = this.failedAt.get(peer.name);
    return at !== undefined && Date.now() - at < HttpsPeerDirectory.RETRY_MS;
  }

  /** A peer with its certificate pinned (fetched on first contact), or undefined if it cannot be reached now. */
  private async pinned(peer: Peer): Promise<Peer & { certificate: string } | undefined> {
    if (peer.certificate) return peer as Peer & { certificate: string };
    if (this.resting(peer)) return undefined;
    try {
      const { certificate } = await fetchServerCertificate(peer.url, this.opts.timeoutMs);
      this.store.pinPeer(peer.name, certificate);
      return { ...peer, certificate };
    } catch (e) {
      this.failed(peer, e);
      return undefined;
    }
  }

  /** The pinned certificates of the configured peers (for accepting their terminal servers and their own calls). */
  async certificates(): Promise<Array<{ name: string; certificate: X509Certificate }>> {
    const out: Array<{ name: string; certificate: X509Certificate }> = [];
    for (const peer of this.store.peers()) {
      const p = await this.pinned(peer);
      if (p) out.push({ name: p.name, certificate: new X509Certificate(p.certificate) });
    }
    return out;
  }

  private client(peer: Peer & { certificate: string }): JsonClient {
    const key = `${peer.name}\u0000${peer.url}\u0000${fingerprint(peer.certificate)}`;
    let c = this.clients.get(key);
    if (!c) {
      c = new JsonClient({
        url: peer.url,
        serverCertificate: peer.certificate,
        clientCert: { cert: this.identity.certificatePem, key: this.identity.keyPem },
        timeoutMs: this.opts.timeoutMs ?? 5000,
        keepAlive: true,
      });
      this.clients.set(key, c);
    }
    return c;
  }

  async findPeerWithInventory(type: KeyPackType, product: ProductVersion, hwid?: Buffer): Promise<{ name: string; url: string; certificate: string } | undefined> {
    for (const configured of this.store.peers()) {
      if (this.resting(configured)) continue;
      const peer = await this.pinned(configured);
      if (!peer) continue;
      try {
        const q = new URLSearchParams({ type, major: String(product.major), minor: String(product.minor), ...(hwid ? { hwid: hwid.toString('hex') } : {}) });
        const r = await this.client(peer).get<{ available: boolean }>(`/api/v1/peer/inventory?${q}`);
        if (r.available) return { name: peer.name, url: peer.url, certificate: peer.certificate };
      } catch (e) {
        this.failed(peer, e);
      }
    }
    return undefined;
  }
}
