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

export type Auth = 'none' | 'admin' | 'terminal-server';

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string; // e.g. /api/v1/licenses/:id
  auth: Auth;
  handler: (ctx: RequestContext & { principal: string }) => unknown | Promise<unknown>;
  /** Raw (non-JSON) response: the handler returns a Buffer. */
  raw?: boolean;
}

export interface JsonServerOptions {
  tls: Pick<ServerOptions, 'key' | 'cert'>;
  routes: Route[];
  /** Returns the principal (a name) or throws HttpError(401/403). */
  authenticate: (auth: Exclude<Auth, 'none'>, ctx: RequestContext) => string;
  maxBodyBytes?: number;
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
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new HttpError(413, `request body is larger than ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
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
  return createServer({ ...opts.tls, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    void handle(req, res).catch((e: unknown) => {
      const err = e instanceof HttpError ? e : new HttpError(500, 'internal error');
      if (!(e instanceof HttpError)) opts.log?.(`internal error on ${req.method} ${req.url}: ${(e as Error)?.stack ?? String(e)}`);
      if (!res.headersSent) sendJson(res, err.status, { error: err.message, ...err.details });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://localhost');
    const candidates = opts.routes.map((r) => ({ r, params: match(r.path, url.pathname) })).filter((x) => x.params);
    if (candidates.length === 0) throw new HttpError(404, `no such resource: ${url.pathname}`);
    const found = candidates.find((x) => x.r.method === req.method);
    if (!found) throw new HttpError(405, `${req.method} is not allowed on ${url.pathname}`);
    const raw = await readBody(req, limit);
    let body: unknown = undefined;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        throw new HttpError(400, 'the request body is not valid JSON');
      }
    }
    const socket = req.socket as TLSSocket;
    const peer = socket.getPeerCertificate?.(false);
    const ctx: RequestContext = {
      params: found.params!,
      query: url.searchParams,
      body,
      headers: req.headers,
      peerCertificate: peer?.raw ? new X509Certificate(peer.raw) : undefined,
    };
    const principal = found.r.auth === 'none' ? 'anonymous' : opts.authenticate(found.r.auth, ctx);
    const result = await found.r.handler({ ...ctx, principal });
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

export function str(o: Record<string, unknown>, key: string, opts: { optional?: boolean; max?: number } = {}): string {
  const v = o[key];
  if (v === undefined && opts.optional) return '';
  if (typeof v !== 'string') throw new HttpError(400, `"${key}" must be a string`);
  if (v.length > (opts.max ?? 1024)) throw new HttpError(400, `"${key}" is too long`);
  return v;
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
