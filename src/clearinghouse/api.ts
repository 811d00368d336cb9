/**
 * The clearinghouse's HTTPS JSON API. License servers use the open routes ("Internet" method: activation, key-pack
 * installation, deactivation, recovery; the last two need a proof of the server's key); the customer-service routes
 * under /api/v1/admin (sales, phone/web/fax activation and installation, recovery by License Server ID) need the
 * clearinghouse's admin token.
 */
import { checkBearer } from '../http/bearer.js';
import { listen, type ListenOptions, type RunningApi } from '../http/listen.js';
import { HttpError, base64Bytes, createJsonServer, int, obj, oneOf, only, str, type Route } from '../http/json-server.js';
import { KEYPACK_KINDS, PROGRAMS, keyName, parseProductVersion, CodeError, type ProductVersionCode } from './codes.js';
import { ACTIVATION_METHODS, ClearinghouseError, type Activation, type Clearinghouse, type InstallSource, type IssuedKeyPack, type Purchase } from './clearinghouse.js';
import type { ClearinghouseNode } from './node.js';
import { verifyProof, type ProofOperation } from './proof.js';

export const CLEARINGHOUSE_STATUS: Record<ClearinghouseError['code'], number> = { invalid: 400, 'not-found': 404, conflict: 409, refused: 422 };

export function mapClearinghouseError(e: unknown): HttpError | undefined {
  if (e instanceof ClearinghouseError) return new HttpError(CLEARINGHOUSE_STATUS[e.code], e.message, { code: e.code });
  if (e instanceof CodeError) return new HttpError(400, e.message, { code: 'invalid' });
  return undefined;
}

export type KeyPackJson = Omit<IssuedKeyPack, 'issuedAt' | 'version'> & { version: string; issuedAt: string };
export const keyPackJson = (k: IssuedKeyPack): KeyPackJson => ({ ...k, version: `${k.version.major}.${k.version.minor}`, issuedAt: k.issuedAt.toISOString() });
export const activationJson = (a: Activation) => ({ licenseServerId: a.licenseServerId, method: a.method, certificates: a.certificates.map((c) => c.toString('base64')) });

function version(o: Record<string, unknown>): ProductVersionCode {
  const v = str(o, 'version', { max: 16 });
  try {
    return parseProductVersion(v);
  } catch (e) {
    throw new HttpError(400, (e as Error).message);
  }
}

/** The purchase of a license program, from a JSON body. */
export function purchaseOf(body: unknown): Purchase {
  const o = only(obj(body), ['program', 'type', 'quantity', 'version']);
  return { program: oneOf(o, 'program', PROGRAMS, 'retail'), kind: oneOf(o, 'type', KEYPACK_KINDS), quantity: int(o, 'quantity', 1, 65535), version: version(o) };
}

/** What a license server installs with: a License Code, an agreement, or an Open License. */
export function installSourceOf(value: unknown): InstallSource {
  const o = obj(value);
  if ('licenseCode' in o) return { licenseCode: str(only(o, ['licenseCode']), 'licenseCode', { max: 64 }) };
  const program = oneOf(o, 'program', ['select', 'enterprise', 'campus', 'school', 'open'] as const);
  const common = { kind: oneOf(o, 'type', KEYPACK_KINDS), quantity: int(o, 'quantity', 1, 65535), version: version(o) };
  if (program === 'open') {
    only(o, ['program', 'licenseNumber', 'authorizationNumber', 'type', 'quantity', 'version']);
    return { program, licenseNumber: str(o, 'licenseNumber', { max: 32 }), authorizationNumber: str(o, 'authorizationNumber', { max: 32 }), ...common };
  }
  only(o, ['program', 'agreementNumber', 'type', 'quantity', 'version']);
  return { program, agreementNumber: str(o, 'agreementNumber', { max: 32 }), ...common };
}

/** Wire form of an InstallSource (the inverse of installSourceOf). */
export function installSourceJson(s: InstallSource): Record<string, unknown> {
  if ('licenseCode' in s) return { licenseCode: s.licenseCode };
  const { kind, version: v, ...rest } = s;
  return { ...rest, type: kind, version: `${v.major}.${v.minor}` };
}

const LSID = { max: 64 };

function checkProof(ch: Clearinghouse, op: ProofOperation, o: Record<string, unknown>): string {
  const id = str(o, 'licenseServerId', LSID).toUpperCase().replace(/[\s-]/g, '');
  const publicKey = base64Bytes(o, 'publicKey', 4096);
  const signature = base64Bytes(o, 'signature', 1024);
  const known = ch.keyNameOf(id);
  if (!known) throw new HttpError(404, `license server ${id} was never activated`);
  if (!known.equals(keyName(publicKey)) || !verifyProof(op, id, publicKey, signature)) {
    throw new HttpError(403, `the request is not signed with the key License Server ID ${id} was activated with`);
  }
  return id;
}

export function clearinghouseRoutes(ch: Clearinghouse): Route[] {
  return [
    { method: 'GET', path: '/api/v1/ping', auth: 'none', handler: () => ({ role: 'clearinghouse', ok: true }) },
    { method: 'GET', path: '/api/v1/root-certificate', auth: 'none', handler: () => ({ certificate: ch.rootCertificate.toString('base64') }) },
    {
      method: 'POST',
      path: '/api/v1/activations',
      auth: 'none',
      handler: ({ body }) => {
        const o = only(obj(body), ['name', 'scope', 'publicKey', 'signature']);
        const publicKeyDer = base64Bytes(o, 'publicKey', 4096);
        if (!verifyProof('activate', '', publicKeyDer, base64Bytes(o, 'signature', 1024))) {
          throw new HttpError(403, 'the activation request is not signed with the key it asks to certify');
        }
        return activationJson(ch.activateOnline({ publicKeyDer, name: str(o, 'name', { max: 64 }), scope: str(o, 'scope', { max: 64 }) }));
      },
    },
    {
      method: 'POST',
      path: '/api/v1/keypacks',
      auth: 'none',
      handler: ({ body }) => {
        const o = only(obj(body), ['licenseServerId', 'source']);
        return keyPackJson(ch.installKeyPack(str(o, 'licenseServerId', LSID), installSourceOf(o.source)));
      },
    },
    {
      method: 'POST',
      path: '/api/v1/deactivations',
      auth: 'none',
      handler: ({ body }) => {
        const id = checkProof(ch, 'deactivate', only(obj(body), ['licenseServerId', 'publicKey', 'signature']));
        ch.deactivate(id);
        return { licenseServerId: id, status: 'deactivated' };
      },
    },
    {
      method: 'POST',
      path: '/api/v1/recoveries',
      auth: 'none',
      handler: ({ body }) => {
        const id = checkProof(ch, 'recover', only(obj(body), ['licenseServerId', 'publicKey', 'signature']));
        return { licenseServerId: id, keypacks: ch.recover(id).map(keyPackJson) };
      },
    },
    // ---- customer service (admin token)
    { method: 'POST', path: '/api/v1/admin/purchases', auth: 'admin', handler: ({ body }) => purchaseJson(ch.purchase(purchaseOf(body))) },
    {
      method: 'POST',
      path: '/api/v1/admin/activations',
      auth: 'admin',
      handler: ({ body }) => {
        const o = only(obj(body), ['requestCode', 'method', 'name']);
        const method = oneOf(o, 'method', ACTIVATION_METHODS.filter((m) => m !== 'internet'));
        return activationJson(ch.activateOffline(str(o, 'requestCode', LSID), method as 'web' | 'phone' | 'fax', str(o, 'name', { optional: true, max: 64 })));
      },
    },
    {
      method: 'POST',
      path: '/api/v1/admin/keypacks',
      auth: 'admin',
      handler: ({ body }) => {
        const o = only(obj(body), ['licenseServerId', 'source']);
        return keyPackJson(ch.installKeyPack(str(o, 'licenseServerId', LSID), installSourceOf(o.source)));
      },
    },
    {
      method: 'POST',
      path: '/api/v1/admin/recoveries',
      auth: 'admin',
      handler: ({ body }) => {
        const id = str(only(obj(body), ['licenseServerId']), 'licenseServerId', LSID);
        return { licenseServerId: id, keypacks: ch.recover(id).map(keyPackJson) };
      },
    },
    {
      method: 'POST',
      path: '/api/v1/admin/deactivations',
      auth: 'admin',
      handler: ({ body }) => {
        const id = str(only(obj(body), ['licenseServerId']), 'licenseServerId', LSID);
        ch.deactivate(id);
        return { licenseServerId: id.toUpperCase().replace(/[\s-]/g, ''), status: 'deactivated' };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/admin/servers',
      auth: 'admin',
      handler: () => ({ servers: ch.servers().map((s) => ({ ...s, activatedAt: s.activatedAt.toISOString() })) }),
    },
  ];
}

export function purchaseJson(p: ReturnType<Clearinghouse['purchase']>): Record<string, unknown> {
  const { kind, version: v, ...rest } = p;
  return { ...rest, type: kind, version: `${v.major}.${v.minor}` };
}

/** Listens on host:port (default 127.0.0.1, a free port) with the node's HTTPS certificate. */
export function startClearinghouseApi(node: ClearinghouseNode, opts: ListenOptions = {}): Promise<RunningApi> {
  const token = node.adminToken;
  const server = createJsonServer({
    tls: { key: node.https.keyPem, cert: node.https.certificatePem },
    routes: clearinghouseRoutes(node.clearinghouse),
    authenticate: (_auth, ctx) => {
      checkBearer(ctx.headers, token);
      return 'admin';
    },
    mapError: mapClearinghouseError,
    log: opts.log,
  });
  return listen(server, opts);
}

