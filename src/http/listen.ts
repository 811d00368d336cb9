/** Starting and stopping an HTTPS API server on loopback (or wherever it is told). */
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface RunningApi {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export interface ListenOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  log?: (line: string) => void;
}

export function listen(server: Server, opts: ListenOptions): Promise<RunningApi> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      const a = server.address() as AddressInfo;
      const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
      resolve({
        url: `https://${host}:${a.port}`,
        server,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
