/**
 * A small JSON-over-HTTPS server: routes, a bound on body size, authentication hooks, and errors that are always a
 * clear 4xx with a JSON body and change nothing (handlers run only after the request is parsed and authenticated).
 */
import { X509Certificate } from 'node:crypto';
import { createServer, type Server, type ServerOptions } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export interface RequestContext {
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  /** The client's TLS certificate, when it sent one. */
  peerCertificate?: X509Certificate;
  headers: IncomingMessage['headers'];
}

export type Auth = 'none' | 'admin' | 'terminal-server' | 'peer';

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string; // e.g. /api/v1/licenses/:id
  auth: Auth;
  handler: (ctx: RequestContext & { principal: string }) => unknown | Promise<unknown>;
  /** Raw (non-JSON) response: the handler returns a Buffer. */
  raw?: boolean;
  /** Raw (non-JSON) request body: `ctx.body` is a Buffer. */
  rawBody?: boolean;
  /** Overrides the server's body limit for this route. */
  maxBodyBytes?: number;
}

export interface JsonServerOptions {
  tls: Pick<ServerOptions, 'key' | 'cert'>;
  routes: Route[];
  /**
   * Returns the principal (a name) or throws HttpError(401/403). It runs before the body is read, so an
   * unauthenticated request costs nothing and changes nothing; `ctx.body` is undefined there.
   */
  authenticate: (auth: Exclude<Auth, 'none'>, ctx: RequestContext) => string | Promise<string>;
  /** Called after a handler succeeded (e.g. to note when a client was last seen: a refused request changes nothing). */
  afterSuccess?: (route: Route, principal: string) => void;
  /** Turns a handler's domain error into an HttpError (anything else is a 500). */
  mapError?: (e: unknown) => HttpError | undefined;
  maxBodyBytes?: number;
  /** One line per request (method, path, status, principal, time) and every internal error. */
  log?: (line: string) => void;
}

function match(pattern: string, path: string): Record<string, string> | undefined {
  const p = pattern.split('/');
  const s = path.split('/');
  if (p.length !== s.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i]!.startsWith(':')) params[p[i]!.slice(1)] = decodeURIComponent(s[i]!);
    else if (p[i] !== s[i]) return undefined;
  }
  return params;
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const collect = (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        // Stop keeping it; the 413 is sent with Connection: close, which ends the connection.
        req.off('data', collect);
        req.resume();
        reject(new HttpError(413, `request body is larger than ${limit} bytes`));
        return;
      }
      chunks.push(c);
    };
    req.on('data', collect);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = Buffer.from(JSON.stringify(value, null, 2) + '\n');
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length });
  res.end(body);
}

export function createJsonServer(opts: JsonServerOptions): Server {
  const limit = opts.maxBodyBytes ?? 1 << 20;
  let requests = 0;
  return createServer({ ...opts.tls, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    const started = process.hrtime.bigint();
    const id = ++requests;
    let principal = '-';
    const done = (status: number) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      opts.log?.(`request=${id} ${req.method} ${req.url} status=${status} principal=${principal} ms=${ms.toFixed(1)}`);
    };
    void handle(req, res, (p) => (principal = p))
      .then(() => done(res.statusCode))
      .catch((e: unknown) => {
        const err = e instanceof HttpError ? e : (opts.mapError?.(e) ?? new HttpError(500, 'internal error'));
        if (err.status >= 500) opts.log?.(`request=${id} internal error on ${req.method} ${req.url}: ${(e as Error)?.stack ?? String(e)}`);
        if (!res.headersSent) {
          if (err.status === 413) res.setHeader('connection', 'close');
          sendJson(res, err.status, { error: err.message, ...err.details });
        }
        else res.destroy();
        done(err.status);
      });
  });

  async function handle(req: IncomingMessage, res: ServerResponse, setPrincipal: (p: string) => void): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://localhost');
    const candidates = opts.routes.map((r) => ({ r, params: match(r.path, url.pathname) })).filter((x) => x.params);
    if (candidates.length === 0) throw new HttpError(404, `no such resource: ${url.pathname}`);
    const found = candidates.find((x) => x.r.method === req.method);
    if (!found) throw new HttpError(405, `${req.method} is not allowed on ${url.pathname}`);
    const socket = req.socket as TLSSocket;
    const peer = socket.getPeerCertificate?.(false);
    const ctx: RequestContext = {
      params: found.params!,
      query: url.searchParams,
      body: undefined,
      headers: req.headers,
      peerCertificate: peer?.raw ? new X509Certificate(peer.raw) : undefined,
    };
    const principal = found.r.auth === 'none' ? 'anonymous' : await opts.authenticate(found.r.auth, ctx);
    setPrincipal(principal);
    const declared = Number(req.headers['content-length'] ?? 0);
    const routeLimit = found.r.maxBodyBytes ?? limit;
    if (declared > routeLimit) throw new HttpError(413, `request body is larger than ${routeLimit} bytes`);
    const raw = await readBody(req, routeLimit);
    if (found.r.rawBody) ctx.body = raw;
    else if (raw.length > 0) {
      try {
        ctx.body = JSON.parse(raw.toString('utf8'));
      } catch {
        throw new HttpError(400, 'the request body is not valid JSON');
      }
    }
    const result = await found.r.handler({ ...ctx, principal });
    opts.afterSuccess?.(found.r, principal);
    if (found.r.raw && Buffer.isBuffer(result)) {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': result.length });
      res.end(result);
    } else {
      sendJson(res, 200, result ?? { ok: true });
    }
  }
}

// ---------------------------------------------------------------- validation helpers for handlers

export function obj(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'the request body must be a JSON object');
  return body as Record<string, unknown>;
}

export function str(o: Record<string, unknown>, key: string, opts: { optional?: boolean; max?: number; pattern?: RegExp; what?: string } = {}): string {
  const v = o[key];
  if (v === undefined && opts.optional) return '';
  if (typeof v !== 'string') throw new HttpError(400, `"${key}" must be a string`);
  if (v.length > (opts.max ?? 1024)) throw new HttpError(400, `"${key}" is too long`);
  if (opts.pattern && !opts.pattern.test(v)) throw new HttpError(400, `"${key}" must be ${opts.what ?? `like ${opts.pattern}`}`);
  return v;
}

/** One of a fixed set of strings. */
export function oneOf<T extends string>(o: Record<string, unknown>, key: string, values: readonly T[], fallback?: T): T {
  const v = o[key] ?? fallback;
  if (typeof v !== 'string' || !values.includes(v as T)) throw new HttpError(400, `"${key}" must be one of ${values.join(', ')}`);
  return v as T;
}

/** Base64 bytes, at most `max` long once decoded. */
export function base64Bytes(o: Record<string, unknown>, key: string, max = 16384): Buffer {
  const v = str(o, key, { max: Math.ceil((max * 4) / 3) + 4 });
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 !== 0 || v.length === 0) throw new HttpError(400, `"${key}" must be base64`);
  return Buffer.from(v, 'base64');
}

/** Rejects keys the route does not know, so a typo is a 400 and not a silent default. */
export function only(o: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw new HttpError(400, `unknown field "${k}" (expected ${keys.join(', ') || 'none'})`);
  return o;
}

/** A query parameter: absent → undefined, else checked. */
export function queryInt(q: URLSearchParams, key: string, min: number, max: number): number | undefined {
  const v = q.get(key);
  if (v === null) return undefined;
  if (!/^-?\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new HttpError(400, `query "${key}" must be a whole number in ${min}..${max}`);
  return Number(v);
}

export function queryDate(q: URLSearchParams, key: string): Date | undefined {
  const v = q.get(key);
  if (v === null) return undefined;
  const d = new Date(v);
  if (Number.isNaN(d.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(v)) throw new HttpError(400, `query "${key}" must be an ISO date (YYYY-MM-DD or a full timestamp)`);
  return d;
}

export function int(o: Record<string, unknown>, key: string, min: number, max: number, fallback?: number): number {
  const v = o[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new HttpError(400, `"${key}" must be a whole number in ${min}..${max}`);
  return v;
}

export function hexBytes(o: Record<string, unknown>, key: string, size: number): Buffer {
  const v = str(o, key);
  if (!/^[0-9a-fA-F]*$/.test(v) || v.length !== size * 2) throw new HttpError(400, `"${key}" must be ${size} bytes of hex`);
  return Buffer.from(v, 'hex');
}
