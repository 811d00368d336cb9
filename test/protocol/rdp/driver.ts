/** Test-only: runs a ClientConnection against a ServerConnection in memory, acknowledging TLS upgrades. */
import type { ClientConnection, ClientEvent, ServerConnection, ServerEvent } from '../../../protocol/rdp/index.js';

export interface Log {
  server: ServerEvent[];
  client: ClientEvent[];
  /** Everything the client sent, in order. */
  toServer: Buffer[];
  toClient: Buffer[];
}

/** Pumps bytes both ways until both sides are quiet. `chunk` splits each transfer into pieces of that size. */
export function run(client: ClientConnection, server: ServerConnection, chunk = Infinity): Log {
  const log: Log = { server: [], client: [], toServer: [], toClient: [] };
  const qs: Buffer[] = [];
  const qc: Buffer[] = [];
  const onClient = (evs: ClientEvent[]) => {
    for (const e of evs) {
      log.client.push(e);
      if (e.type === 'send') { qs.push(e.data); log.toServer.push(e.data); }
      if (e.type === 'startTls') onClient(client.tlsEstablished());
    }
  };
  const onServer = (evs: ServerEvent[]) => {
    for (const e of evs) {
      log.server.push(e);
      if (e.type === 'send') { qc.push(e.data); log.toClient.push(e.data); }
    }
  };
  const feed = (data: Buffer, receive: (b: Buffer) => void) => {
    for (let i = 0; i < data.length; i += chunk) receive(data.subarray(i, Math.min(data.length, i + chunk)));
  };
  onClient(client.start());
  while (qs.length || qc.length) {
    while (qs.length) feed(qs.shift()!, (b) => onServer(server.receive(b)));
    while (qc.length) feed(qc.shift()!, (b) => onClient(client.receive(b)));
  }
  return log;
}

export function only<T extends { type: string }, K extends T['type']>(events: T[], type: K): Array<Extract<T, { type: K }>> {
  return events.filter((e): e is Extract<T, { type: K }> => e.type === type);
}
