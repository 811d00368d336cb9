/**
 * Who may call the license server's API.
 *  - Administrators: the bearer token in the data folder (admin.token, 0600).
 *  - Terminal servers: enrol once with a one-time token an administrator made (it also carries the fingerprint of the
 *    server's HTTPS certificate, so the terminal server can check whom it talks to on first contact); they get a TLS
 *    client certificate issued by the license server's HTTPS key, and then authenticate with mutual TLS. A certificate
 *    issued by a configured peer is accepted too: the peers form one licensing domain, so a terminal server redirected
 *    to a peer (seed: "Client Device Licensing") is known there.
 *  - Peers: their own HTTPS certificate as a TLS client certificate, pinned on first contact.
 */
import { X509Certificate, createHash, randomBytes } from 'node:crypto';
import { checkBearer } from '../http/bearer.js';
import { HttpError, type RequestContext } from '../http/json-server.js';
import { commonNameOf, fingerprint, issueTlsClientCertificate, issuedBy } from '../http/tls-certificates.js';
import type { LicenseServerNode } from './node.js';

const TOKEN_PREFIX = 'rdplic-enrol';

export interface EnrolmentToken {
  token: string;
  name: string;
  expiresAt: Date;
}

export interface Enrolment {
  name: string;
  /** PEM: the TLS client certificate for mutual TLS with this license server. */
  tlsCertificate: string;
  /** PEM: the license server's HTTPS certificate, to pin. */
  serverCertificate: string;
  /** DER (base64 in JSON): the terminal-server certificate of the RDP chain, issued by this license server. */
  terminalServerCertificate: Buffer;
}

/** Parses an enrolment token: `rdplic-enrol.<secret>.<first 32 hex digits of the server certificate's SHA-256>`. */
export function parseEnrolmentToken(token: string): { secret: string; fingerprintPrefix: string } {
  const m = /^rdplic-enrol\.([A-Za-z0-9_-]{32})\.([0-9a-f]{32})$/.exec(token.trim());
  if (!m) throw new Error('not an enrolment token (it looks like rdplic-enrol.<32 characters>.<32 hex digits>)');
  return { secret: m[1]!, fingerprintPrefix: m[2]! };
}

const hashToken = (secret: string) => createHash('sha256').update(secret).digest('hex');

/** Resolves a configured peer's pinned certificate (fetching and pinning it on first use). */
export type PeerCertificates = () => Promise<Array<{ name: string; certificate: X509Certificate }>>;

export class LicenseServerAccess {
  private readonly own: X509Certificate;
  private readonly adminToken: string;

  constructor(
    private readonly node: LicenseServerNode,
    private readonly peerCertificates: PeerCertificates,
  ) {
    this.own = new X509Certificate(node.https.certificatePem);
    this.adminToken = node.adminToken;
  }

  // ---------------------------------------------------------------- enrolment

  /** A one-time enrolment token for a terminal server (`name` '' = any name), valid for `ttlMs` of real time. */
  createEnrolmentToken(name: string, ttlMs: number): EnrolmentToken {
    const secret = randomBytes(24).toString('base64url');
    const now = new Date();
    const expiresAt = new Date(now.getTime() + ttlMs);
    this.node.store.insertEnrolmentToken(hashToken(secret), name, now, expiresAt);
    return { token: `${TOKEN_PREFIX}.${secret}.${this.node.https.fingerprint.slice(0, 32)}`, name, expiresAt };
  }

  /**
   * Whether terminal servers may enrol without a token: the default of Windows, where a license server answers any
   * terminal server unless the "License server security group" policy is on (RD-LICENSING.md §1.7). Off by default here.
   */
  get openEnrolment(): boolean {
    return this.node.store.getSetting('open_enrolment') === 'on';
  }

  /** Uses a token once (or none, with open enrolment): issues the TS's TLS client certificate and RDP certificate, records it. */
  enrol(req: { token: string; name: string; publicKey: Buffer; tlsPublicKey: Buffer }): Enrolment {
    if (req.token === '') {
      if (!this.openEnrolment) throw new HttpError(401, 'an enrolment token is needed: this license server admits only the terminal servers its administrator enrols');
      return this.issueEnrolment(req, () => undefined);
    }
    let parsed;
    try {
      parsed = parseEnrolmentToken(req.token);
    } catch (e) {
      throw new HttpError(400, (e as Error).message);
    }
    if (parsed.fingerprintPrefix !== this.node.https.fingerprint.slice(0, 32)) {
      throw new HttpError(403, 'this enrolment token was made by another license server');
    }
    // The token is checked, then the certificates built (they can fail on a bad key), then the token used and the
    // server recorded in one transaction: a refused enrolment changes nothing.
    const store = this.node.store;
    const tokenHash = hashToken(parsed.secret);
    const token = store.enrolmentToken(tokenHash, new Date());
    if (!token) throw new HttpError(401, 'the enrolment token is not valid: unknown, expired or used already');
    if (token.name !== '' && token.name !== req.name) throw new HttpError(403, `this enrolment token is for terminal server "${token.name}"`);
    return this.issueEnrolment(req, () => {
      if (!store.useEnrolmentToken(tokenHash, req.name, new Date())) throw new HttpError(401, 'the enrolment token was used meanwhile');
    });
  }

  private issueEnrolment(req: { name: string; publicKey: Buffer; tlsPublicKey: Buffer }, useToken: () => void): Enrolment {
    const store = this.node.store;
    let tlsCertificate: string;
    let terminalServerCertificate: Buffer;
    try {
      tlsCertificate = issueTlsClientCertificate({ keyPem: this.node.https.keyPem, certificatePem: this.node.https.certificatePem }, req.name, req.tlsPublicKey);
      terminalServerCertificate = this.node.issueTerminalServerCertificate(req.name, req.publicKey);
    } catch (e) {
      throw new HttpError(400, `the public key is not an RSA SubjectPublicKeyInfo: ${(e as Error).message}`);
    }
    store.transaction(() => {
      useToken();
      store.upsertTerminalServer({ name: req.name, publicKey: req.publicKey, tlsFingerprint: fingerprint(tlsCertificate), enrolledAt: new Date() });
    });
    return { name: req.name, tlsCertificate, serverCertificate: this.node.https.certificatePem, terminalServerCertificate };
  }

  // ---------------------------------------------------------------- authentication

  /** After a terminal server's request succeeded: when it was last seen. */
  seen(name: string): void {
    this.node.store.touchTerminalServer(name, new Date());
  }

  async authenticate(kind: 'admin' | 'terminal-server' | 'peer', ctx: RequestContext): Promise<string> {
    if (kind === 'admin') {
      checkBearer(ctx.headers, this.adminToken);
      return 'admin';
    }
    const cert = ctx.peerCertificate;
    if (!cert) throw new HttpError(401, kind === 'peer' ? 'peers authenticate with their TLS certificate' : 'terminal servers authenticate with the TLS certificate they got at enrolment');
    return kind === 'peer' ? this.peer(cert) : this.terminalServer(cert);
  }

  private async terminalServer(cert: X509Certificate): Promise<string> {
    if (issuedBy(cert, this.own)) {
      const ts = this.node.store.terminalServerByFingerprint(fingerprint(cert));
      if (!ts) throw new HttpError(403, 'this terminal server is not enrolled (any more): enrol it again');
      return ts.name;
    }
    for (const peer of await this.peerCertificates()) {
      if (issuedBy(cert, peer.certificate)) {
        const name = commonNameOf(cert);
        if (name) return name;
      }
    }
    throw new HttpError(403, 'the TLS certificate was not issued by this license server or one of its peers');
  }

  private async peer(cert: X509Certificate): Promise<string> {
    const fp = fingerprint(cert);
    for (const peer of await this.peerCertificates()) if (fingerprint(peer.certificate) === fp) return peer.name;
    throw new HttpError(403, 'this license server is not a configured peer');
  }
}
