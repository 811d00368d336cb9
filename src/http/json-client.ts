/** The client side of the JSON-over-HTTPS APIs, with a pinned server certificate and an optional client certificate. */
import { X509Certificate } from 'node:crypto';
import { Agent, request } from 'node:https';
import type { TLSSocket } from 'node:tls';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export interface JsonClientOptions {
  /** e.g. https://127.0.0.1:4443 */
  url: string;
  /** The server's own certificate (PEM): the connection is refused unless the server presents exactly this one. */
  serverCertificate?: string | Buffer;
  /** Or a check of the server's certificate; with neither, any server is accepted (first contact only). */
  verifyServer?: (cert: X509Certificate) => boolean;
  /** Client certificate and key (PEM) for mutual TLS. */
  clientCert?: { cert: string | Buffer; key: string | Buffer };
  /** Bearer token (administration). */
  token?: string;
  timeoutMs?: number;
  /** Keep connections open and reuse them (a TLS handshake per request otherwise). */
  keepAlive?: boolean;
  /** Most sockets open at once with keepAlive (default 32). */
  maxSockets?: number;
}

/** Errors that mean "nobody answered" (as opposed to an answer saying no). */
export function isConnectionError(e: unknown): boolean {
  if (e instanceof ApiError) return e.status === 495;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return (
    e instanceof TimeoutError ||
    ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNABORTED', 'UND_ERR_SOCKET'].includes(code ?? '') ||
    /socket hang up|certificate|self-signed|SSL|TLS/i.test((e as Error | undefined)?.message ?? '')
  );
}

const handshaken = new WeakSet<object>();

export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

export class JsonClient {
  private readonly agent: Agent | false;

  constructor(readonly opts: JsonClientOptions) {
    this.agent = opts.keepAlive ? new Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 32 }) : false;
  }

  /** Closes kept-alive connections. */
  close(): void {
    if (this.agent) this.agent.destroy();
  }

  delete<T = unknown>(path: string, body?: unknown): Promise<T> {
    return this.call<T>('DELETE', path, body);
  }

  put<T = unknown>(path: string, body?: unknown): Promise<T> {
    return this.call<T>('PUT', path, body);
  }

  get<T = unknown>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  post<T = unknown>(path: string, body?: unknown): Promise<T> {
    return this.call<T>('POST', path, body);
  }

  raw(method: 'GET' | 'POST', path: string, body?: Buffer): Promise<Buffer> {
    return this.send(method, path, body, 'application/octet-stream');
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const data = await this.send(method, path, body === undefined ? undefined : Buffer.from(JSON.stringify(body)), 'application/json');
    return JSON.parse(data.toString('utf8')) as T;
  }

  private send(method: string, path: string, body: Buffer | undefined, type: string): Promise<Buffer> {
    const url = new URL(path, this.opts.url);
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          ...(this.opts.serverCertificate
            ? { ca: [this.opts.serverCertificate], rejectUnauthorized: true, checkServerIdentity: () => undefined }
            : { rejectUnauthorized: false }),
          cert: this.opts.clientCert?.cert,
          key: this.opts.clientCert?.key,
          headers: {
            ...(body ? { 'content-type': type, 'content-length': body.length } : {}),
            ...(this.opts.token ? { authorization: `Bearer ${this.opts.token}` } : {}),
          },
          timeout: this.opts.timeoutMs ?? 10_000,
          agent: this.agent,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const data = Buffer.concat(chunks);
            if ((res.statusCode ?? 500) >= 400) {
              let parsed: Record<string, unknown> = {};
              try {
                parsed = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
              } catch {
                /* not JSON */
              }
              reject(new ApiError(res.statusCode ?? 500, String(parsed.error ?? `HTTP ${res.statusCode}`), parsed));
            } else resolve(data);
          });
          res.on('error', reject);
        },
      );
      const verify = this.opts.verifyServer;
      if (verify) {
        req.on('socket', (s) => {
          const check = () => {
            const peer = (s as TLSSocket).getPeerCertificate(false);
            if (!peer?.raw || !verify(new X509Certificate(peer.raw))) {
              req.destroy(new ApiError(495, `the server at ${this.opts.url} is not the one this client trusts`));
            }
          };
          // A new socket is checked when its handshake is done; a kept-alive one (handshake long done) at once.
          if (handshaken.has(s)) check();
          else
            s.once('secureConnect', () => {
              handshaken.add(s);
              check();
            });
        });
      }
      req.on('timeout', () => req.destroy(new TimeoutError(`no answer from ${this.opts.url} within ${this.opts.timeoutMs ?? 10_000} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }
}
