/**
 * The license server's HTTPS JSON API (RD-LICENSING.md §2.5: the TS↔LS link as an internal API). Four groups:
 *  - open:            GET /api/v1/identity, POST /api/v1/enrol (the one-time token is the credential)
 *  - terminal server: /api/v1/ts/…    mutual TLS with the certificate issued at enrolment
 *  - peer:            /api/v1/peer/…  mutual TLS with the peer's own (pinned) HTTPS certificate
 *  - administration:  /api/v1/admin/… bearer token (admin.token in the data folder)
 * A request that is unauthenticated or malformed gets a 4xx with {"error": …} and changes nothing.
 */
import { CodeError } from '../clearinghouse/codes.js';
import { installSourceOf } from '../clearinghouse/api.js';
import { parseDuration, SimulatedClock } from '../clock.js';
import { HttpError, createJsonServer, hexBytes, obj, oneOf, only, queryDate, queryInt, str, type Route } from '../http/json-server.js';
import { listen, type ListenOptions, type RunningApi } from '../http/listen.js';
import { LicenseServerAccess } from './access.js';
import { backupDatabase, restoreDatabase } from './backup.js';
import { LS_EVENTS } from './events.js';
import { HttpsPeerDirectory } from './https-link.js';
import {
  KEYPACK_TYPES,
  NAME_PATTERN,
  keyPackToJson,
  kindOf,
  licenseRequestOf,
  licenseToJson,
  productOf,
  publicKeyOf,
  reportRowToJson,
  resultToJson,
  stateOf,
} from './json-codec.js';
import { LicenseServerError } from './license-server.js';
import type { LicenseServerNode } from './node.js';
import { ClearinghouseUnavailable, OnlineActivation, installAll } from './online.js';
import type { LicenseFilter } from './store.js';

export const LS_ERROR_STATUS: Record<LicenseServerError['code'], number> = { invalid: 400, 'not-found': 404, conflict: 409, refused: 422 };

export function mapLicenseServerError(e: unknown): HttpError | undefined {
  if (e instanceof LicenseServerError) return new HttpError(LS_ERROR_STATUS[e.code], e.message, { code: e.code, ...e.details });
  if (e instanceof CodeError) return new HttpError(400, e.message, { code: 'invalid' });
  if (e instanceof ClearinghouseUnavailable) return new HttpError(502, e.message, { code: 'clearinghouse-unavailable' });
  return undefined;
}

const DAY_MS = 86_400_000;
const MAX_RESTORE_BYTES = 1 << 30;

export interface LicenseServerApiContext {
  node: LicenseServerNode;
  access: LicenseServerAccess;
  online: OnlineActivation;
  peers: HttpsPeerDirectory;
}

// ---------------------------------------------------------------- open routes

function openRoutes({ node, access }: LicenseServerApiContext): Route[] {
  return [
    {
      method: 'GET',
      path: '/api/v1/identity',
      auth: 'none',
      handler: () => ({ role: 'license-server', name: node.server.name, certificate: node.https.certificatePem }),
    },
    {
      method: 'POST',
      path: '/api/v1/enrol',
      auth: 'none',
      handler: ({ body }) => {
        const o = only(obj(body), ['token', 'name', 'publicKey', 'tlsPublicKey']);
        const name = str(o, 'name', { pattern: NAME_PATTERN, what: 'a machine name (letters, digits, . _ -, at most 64)' });
        const e = access.enrol({ token: str(o, 'token', { max: 128, optional: true }), name, publicKey: publicKeyOf(o, 'publicKey'), tlsPublicKey: publicKeyOf(o, 'tlsPublicKey') });
        return { ...e, terminalServerCertificate: e.terminalServerCertificate.toString('base64') };
      },
    },
  ];
}

// ---------------------------------------------------------------- terminal servers

function terminalServerRoutes({ node }: LicenseServerApiContext): Route[] {
  const ls = node.server;
  return [
    {
      method: 'GET',
      path: '/api/v1/ts/ping',
      auth: 'terminal-server',
      handler: () => {
        const s = node.status();
        return { ...s, certificates: s.certificates.map((c) => c.toString('base64')) };
      },
    },
    {
      method: 'POST',
      path: '/api/v1/ts/licenses',
      auth: 'terminal-server',
      handler: async ({ body, principal }) => resultToJson(await ls.requestLicense(licenseRequestOf(body, principal))),
    },
    {
      method: 'POST',
      path: '/api/v1/ts/logons',
      auth: 'terminal-server',
      handler: ({ body }) => {
        const l = ls.reportLogon(hexBytes(only(obj(body), ['hwid']), 'hwid', 20));
        return { validated: l !== undefined, license: l ? licenseToJson(l) : null };
      },
    },
    {
      method: 'POST',
      path: '/api/v1/ts/per-user',
      auth: 'terminal-server',
      handler: ({ body, principal }) => {
        const o = only(obj(body), ['user', 'product']);
        return { license: licenseToJson(ls.recordPerUser(str(o, 'user', { max: 256, pattern: /^\S.*$/, what: 'a user name' }), principal, productOf(o))) };
      },
    },
    {
      method: 'POST',
      path: '/api/v1/ts/internet-connector',
      auth: 'terminal-server',
      handler: ({ body, principal }) => {
        const r = ls.acquireInternetConnector(principal, productOf(only(obj(body ?? {}), ['product'])));
        return { licenseId: r.license.id, license: licenseToJson(r.license), certificate: r.certificate.toString('base64') };
      },
    },
    {
      method: 'DELETE',
      path: '/api/v1/ts/internet-connector',
      auth: 'terminal-server',
      handler: ({ principal }) => ({ license: licenseToJson(ls.releaseInternetConnector(principal)) }),
    },
    {
      method: 'POST',
      path: '/api/v1/ts/certificate',
      auth: 'terminal-server',
      handler: ({ body, principal }) => {
        const o = only(obj(body), ['name', 'publicKey']);
        const name = str(o, 'name', { optional: true, max: 64 }) || principal;
        if (name !== principal) throw new HttpError(403, `this terminal server enrolled as "${principal}", not "${name}"`);
        const key = publicKeyOf(o, 'publicKey');
        let cert: Buffer;
        try {
          cert = node.issueTerminalServerCertificate(principal, key);
        } catch (e) {
          throw new HttpError(400, `"publicKey" is not an RSA SubjectPublicKeyInfo: ${(e as Error).message}`);
        }
        return { certificate: cert.toString('base64') };
      },
    },
  ];
}

// ---------------------------------------------------------------- peers

function peerRoutes({ node }: LicenseServerApiContext): Route[] {
  return [
    {
      method: 'GET',
      path: '/api/v1/peer/ping',
      auth: 'peer',
      handler: () => ({ name: node.server.name, activated: node.server.activated }),
    },
    {
      method: 'GET',
      path: '/api/v1/peer/inventory',
      auth: 'peer',
      handler: ({ query }) => {
        const type = oneOf({ type: query.get('type') ?? 'per-device' }, 'type', KEYPACK_TYPES);
        const product = { major: queryInt(query, 'major', 0, 255) ?? 5, minor: queryInt(query, 'minor', 0, 255) ?? 0 };
        const hwid = query.get('hwid');
        if (hwid !== null && !/^[0-9a-fA-F]{40}$/.test(hwid)) throw new HttpError(400, 'query "hwid" must be 20 bytes of hex');
        const available = node.server.hasInventory(type, product, hwid === null ? undefined : Buffer.from(hwid, 'hex'));
        return { name: node.server.name, available, free: available ? node.store.freeCount(type, product) : 0 };
      },
    },
  ];
}

// ---------------------------------------------------------------- administration

function licenseFilterOf(q: URLSearchParams): LicenseFilter {
  const known = ['kind', 'state', 'hwid', 'machine', 'user', 'terminalServer', 'from', 'to', 'limit', 'offset', 'temporary', 'keypack'];
  for (const k of q.keys()) if (!known.includes(k)) throw new HttpError(400, `unknown query parameter "${k}" (expected ${known.join(', ')})`);
  const hwid = q.get('hwid');
  if (hwid !== null && !/^[0-9a-fA-F]{40}$/.test(hwid)) throw new HttpError(400, 'query "hwid" must be 20 bytes of hex');
  const to = queryDate(q, 'to');
  return {
    kind: q.get('temporary') === '1' ? 'temporary' : kindOf(q),
    state: stateOf(q),
    hwid: hwid === null ? undefined : Buffer.from(hwid, 'hex'),
    machine: q.get('machine') ?? undefined,
    user: q.get('user') ?? undefined,
    terminalServer: q.get('terminalServer') ?? undefined,
    keypack: queryInt(q, 'keypack', 1, Number.MAX_SAFE_INTEGER),
    issuedFrom: queryDate(q, 'from'),
    // A date without a time means the whole of that day.
    issuedTo: to && /^\d{4}-\d{2}-\d{2}$/.test(q.get('to')!) ? new Date(to.getTime() + DAY_MS - 1) : to,
    limit: queryInt(q, 'limit', 1, 1_000_000),
    offset: queryInt(q, 'offset', 0, Number.MAX_SAFE_INTEGER),
  };
}

function adminRoutes(ctx: LicenseServerApiContext): Route[] {
  const { node, access, online } = ctx;
  const ls = node.server;
  const status = () => {
    const a = node.activation.state;
    const clock = node.clock;
    return {
      name: ls.name,
      scope: node.keys.scope,
      activated: a.activated,
      licenseServerId: a.licenseServerId ?? null,
      activationMethod: a.method ?? null,
      clock: { kind: clock instanceof SimulatedClock ? 'simulated' : 'system', now: clock.now().toISOString() },
      clearinghouse: online.url ?? null,
      options: ls.options,
      keypacks: node.store.keyPacks().map(keyPackToJson),
      licenses: Object.fromEntries(
        (['cal', 'temporary', 'built-in', 'per-user', 'internet-connector'] as const).map((k) => [k, node.store.countLicenses({ kind: k, state: 'active' })]),
      ),
      terminalServers: node.store.terminalServers().length,
      peers: node.store.peers().map((p) => ({ name: p.name, url: p.url, pinned: p.certificate !== null })),
      httpsFingerprint: node.https.fingerprint,
    };
  };
  const routes: Route[] = [
    { method: 'GET', path: '/api/v1/admin/status', auth: 'admin', handler: () => (ls.sweep(), status()) },
    { method: 'GET', path: '/api/v1/admin/request-code', auth: 'admin', handler: () => ({ requestCode: node.activation.requestCode() }) },
    {
      method: 'POST',
      path: '/api/v1/admin/activate',
      auth: 'admin',
      handler: async ({ body }) => {
        const o = only(obj(body), ['method', 'licenseServerId']);
        const method = oneOf(o, 'method', ['internet', 'web', 'phone', 'fax'] as const, 'internet');
        if (method === 'internet') {
          if (o.licenseServerId !== undefined) throw new HttpError(400, '"licenseServerId" is for the web, phone and fax methods');
          await online.activate();
        } else {
          if (ls.activated) throw new LicenseServerError('conflict', 'the license server is activated already (deactivate it first to reactivate)');
          node.activation.complete(str(o, 'licenseServerId', { max: 64 }), method);
        }
        return status();
      },
    },
    {
      method: 'POST',
      path: '/api/v1/admin/deactivate',
      auth: 'admin',
      handler: async ({ body }) => {
        const o = only(obj(body ?? {}), ['method']);
        const method = oneOf(o, 'method', ['internet', 'web', 'phone', 'fax'] as const, 'internet');
        if (method === 'internet') await online.deactivate();
        else node.activation.deactivate();
        return status();
      },
    },
    {
      method: 'POST',
      path: '/api/v1/admin/install',
      auth: 'admin',
      handler: async ({ body }) => {
        const o = obj(body);
        if ('keypackId' in o) {
          const id = str(only(o, ['keypackId']), 'keypackId', { max: 64 });
          return { keypack: keyPackToJson(node.activation.installKeyPack(id)) };
        }
        return { keypack: keyPackToJson(await online.install(installSourceOf(o))) };
      },
    },
    {
      method: 'POST',
      path: '/api/v1/admin/recover',
      auth: 'admin',
      handler: async ({ body }) => {
        const o = only(obj(body ?? {}), ['keypackIds']);
        let r;
        if (o.keypackIds === undefined) r = await online.recover();
        else {
          if (!Array.isArray(o.keypackIds) || o.keypackIds.length === 0 || o.keypackIds.length > 1000 || !o.keypackIds.every((k) => typeof k === 'string' && k.length <= 64)) {
            throw new HttpError(400, '"keypackIds" must be a list of Key Pack IDs');
          }
          if (!ls.activated) throw new LicenseServerError('refused', 'activate the license server before recovering its licenses');
          r = installAll(node, (o.keypackIds as string[]).map((keypackId) => ({ keypackId })));
        }
        return { installed: r.installed.map(keyPackToJson), alreadyInstalled: r.alreadyInstalled };
      },
    },
    { method: 'GET', path: '/api/v1/admin/keypacks', auth: 'admin', handler: () => (ls.sweep(), { keypacks: ls.keyPacks().map(keyPackToJson) }) },
    {
      method: 'GET',
      path: '/api/v1/admin/licenses',
      auth: 'admin',
      handler: ({ query }) => {
        const filter = licenseFilterOf(query);
        ls.sweep();
        return { total: node.store.countLicenses(filter), licenses: node.store.licenses(filter).map(licenseToJson) };
      },
    },
    {
      method: 'POST',
      path: '/api/v1/admin/licenses/:id/revoke',
      auth: 'admin',
      handler: ({ params }) => {
        if (!/^\d{1,15}$/.test(params.id!)) throw new HttpError(400, 'the license id must be a number');
        ls.sweep();
        const r = ls.revoke(Number(params.id));
        return { license: licenseToJson(r.license), revokable: r.revokable };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/admin/servers',
      auth: 'admin',
      handler: () => ({
        terminalServers: node.store.terminalServers().map((t) => ({
          name: t.name,
          enrolledAt: t.enrolledAt.toISOString(),
          lastSeenAt: t.lastSeenAt?.toISOString() ?? null,
          tlsFingerprint: t.tlsFingerprint,
        })),
        peers: node.store.peers().map((p) => ({ name: p.name, url: p.url, pinned: p.certificate !== null })),
        enrolmentTokens: node.store.enrolmentTokens().map((t) => ({
          name: t.name,
          createdAt: t.createdAt.toISOString(),
          expiresAt: t.expiresAt.toISOString(),
          usedAt: t.usedAt?.toISOString() ?? null,
          usedBy: t.usedBy,
        })),
      }),
    },
    {
      method: 'POST',
      path: '/api/v1/admin/enrolments',
      auth: 'admin',
      handler: ({ body }) => {
        const o = only(obj(body ?? {}), ['name', 'ttl']);
        const name = o.name === undefined || o.name === '' ? '' : str(o, 'name', { pattern: NAME_PATTERN, what: 'a machine name (letters, digits, . _ -, at most 64)' });
        let ttl = DAY_MS;
        if (o.ttl !== undefined) {
          try {
            ttl = parseDuration(str(o, 'ttl', { max: 32 }));
          } catch (e) {
            throw new HttpError(400, (e as Error).message);
          }
          if (ttl < 60_000 || ttl > 365 * DAY_MS) throw new HttpError(400, '"ttl" must be between 1m and 365d');
        }
        const t = access.createEnrolmentToken(name, ttl);
        return { token: t.token, name: t.name, expiresAt: t.expiresAt.toISOString() };
      },
    },
    {
      method: 'DELETE',
      path: '/api/v1/admin/servers/:name',
      auth: 'admin',
      handler: ({ params }) => {
        if (!node.store.removeTerminalServer(params.name!)) throw new HttpError(404, `no enrolled terminal server "${params.name}"`);
        return { removed: params.name };
      },
    },
    {
      method: 'PUT',
      path: '/api/v1/admin/peers/:name',
      auth: 'admin',
      handler: ({ params, body }) => {
        if (!NAME_PATTERN.test(params.name!)) throw new HttpError(400, 'a peer name is letters, digits, . _ - (at most 64)');
        const o = only(obj(body), ['url', 'certificate']);
        const url = str(o, 'url', { max: 256, pattern: /^https:\/\/[^/\s]+\/?$/, what: 'https://host:port' });
        let certificate: string | null = null;
        if (o.certificate !== undefined) {
          certificate = str(o, 'certificate', { max: 16384 });
          if (!certificate.includes('BEGIN CERTIFICATE')) throw new HttpError(400, '"certificate" must be a PEM certificate');
        }
        node.store.setPeer(params.name!, url.replace(/\/$/, ''), certificate);
        return { peers: node.store.peers().map((p) => ({ name: p.name, url: p.url, pinned: p.certificate !== null })) };
      },
    },
    {
      method: 'DELETE',
      path: '/api/v1/admin/peers/:name',
      auth: 'admin',
      handler: ({ params }) => {
        if (!node.store.peers().some((p) => p.name === params.name)) throw new HttpError(404, `no peer "${params.name}"`);
        node.store.setPeer(params.name!, undefined);
        return { removed: params.name };
      },
    },
    { method: 'GET', path: '/api/v1/admin/backup', auth: 'admin', raw: true, handler: () => backupDatabase(node) },
    {
      method: 'POST',
      path: '/api/v1/admin/restore',
      auth: 'admin',
      rawBody: true,
      maxBodyBytes: MAX_RESTORE_BYTES,
      handler: ({ body }) => {
        const bytes = body as Buffer;
        if (bytes.length === 0) throw new HttpError(400, 'send the backup file as the request body');
        return restoreDatabase(node, bytes);
      },
    },
    {
      method: 'GET',
      path: '/api/v1/admin/events',
      auth: 'admin',
      handler: ({ query }) => ({
        source: 'TermServLicensing',
        events: node.store.events(queryInt(query, 'limit', 1, 100_000) ?? 1000).map((e) => ({ ...e, at: e.at.toISOString() })),
      }),
    },
    {
      method: 'GET',
      path: '/api/v1/admin/clock',
      auth: 'admin',
      handler: () => ({ kind: node.clock instanceof SimulatedClock ? 'simulated' : 'system', now: node.clock.now().toISOString() }),
    },
    {
      method: 'POST',
      path: '/api/v1/admin/clock/advance',
      auth: 'admin',
      handler: ({ body }) => {
        const o = only(obj(body), ['by']);
        let ms: number;
        try {
          ms = parseDuration(str(o, 'by', { max: 32 }));
        } catch (e) {
          throw new HttpError(400, (e as Error).message);
        }
        if (ms > 100 * 365 * DAY_MS) throw new HttpError(400, '"by" is more than 100 years');
        if (!(node.clock instanceof SimulatedClock)) throw new HttpError(409, 'this license server runs on the system clock (start it with --clock simulated)');
        return { kind: 'simulated', now: node.advanceClock(ms).toISOString() };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/admin/report',
      auth: 'admin',
      handler: ({ query }) => {
        const filter = licenseFilterOf(query);
        ls.sweep();
        return { server: ls.name, rows: node.store.reportRows(filter).map((r) => reportRowToJson(ls.name, r)) };
      },
    },
    { method: 'GET', path: '/api/v1/admin/check', auth: 'admin', handler: () => ({ problems: node.store.checkInvariants() }) },
  ];
  return routes;
}

// ---------------------------------------------------------------- server

export interface LicenseServerApiOptions extends ListenOptions {
  /** The clearinghouse for the Internet method (kept in the database; later starts may omit it). */
  clearinghouseUrl?: string;
  /** Its certificate (PEM) to pin; without it, pinned on first contact. */
  clearinghouseCertificate?: string;
  /** Peers to configure (name → https URL), kept in the database. */
  peers?: Record<string, string>;
}

export interface RunningLicenseServerApi extends RunningApi {
  access: LicenseServerAccess;
  peers: HttpsPeerDirectory;
  online: OnlineActivation;
}

/** Serves the license server's API over HTTPS and wires its peer directory; `rdplic serve` and `rdplic license-server` use this. */
export async function startLicenseServerApi(node: LicenseServerNode, opts: LicenseServerApiOptions = {}): Promise<RunningLicenseServerApi> {
  const peers = new HttpsPeerDirectory(node.store, node.https, {
    onUnreachable: (peer, reason) => node.server.logThrottled(LS_EVENTS.PEER_UNREACHABLE, peer, reason),
  });
  for (const [name, url] of Object.entries(opts.peers ?? {})) node.store.setPeer(name, url.replace(/\/$/, ''));
  node.server.setPeerDirectory(peers);
  const online = new OnlineActivation(node);
  if (opts.clearinghouseUrl) online.configure(opts.clearinghouseUrl, opts.clearinghouseCertificate);
  const access = new LicenseServerAccess(node, () => peers.certificates());
  const ctx: LicenseServerApiContext = { node, access, online, peers };
  const server = createJsonServer({
    tls: { key: node.https.keyPem, cert: node.https.certificatePem },
    routes: [...openRoutes(ctx), ...terminalServerRoutes(ctx), ...peerRoutes(ctx), ...adminRoutes(ctx)],
    authenticate: (kind, rc) => access.authenticate(kind as 'admin' | 'terminal-server' | 'peer', rc),
    mapError: mapLicenseServerError,
    afterSuccess: (route, principal) => {
      if (route.auth === 'terminal-server') access.seen(principal);
    },
    log: opts.log,
  });
  const running = await listen(server, opts);
  return {
    ...running,
    access,
    peers,
    online,
    close: async () => {
      node.server.setPeerDirectory(undefined);
      peers.close();
      await running.close();
    },
  };
}
