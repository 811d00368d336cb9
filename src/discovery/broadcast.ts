/**
 * The terminal server's side of the workgroup broadcast: one DISCOVER to every port of the range on 127.0.0.1, each
 * from its own connected UDP socket, so every port settles on its own: an OFFER, or "port unreachable" (ECONNREFUSED,
 * which Linux reports at once on loopback), or the deadline (a port held by something that does not answer).
 */
import { createSocket, type Socket } from 'node:dgram';
import type { RandomSource } from '../../protocol/crypto/index.js';
import { DecodeError } from '../../protocol/wire/index.js';
import type { Clock } from '../clock.js';
import { NONCE_LENGTH, decodeDatagram, encodeDiscover, type DiscoverOffer } from './datagram.js';
import { LOOPBACK, checkPortRange, portsOf, type PortRange } from './ports.js';

export interface BroadcastOptions {
  ports: PortRange;
  /** The terminal server's name (sent for the responders' logs). */
  requester: string;
  random: RandomSource;
  /** How long a silent port is waited for, on `timer` (a network wait, not a protocol timer). */
  timeoutMs: number;
  timer: Clock;
  /** Told about every datagram that was ignored, and why. */
  onIgnored?: (port: number, reason: string) => void;
}

export interface OfferFrom extends DiscoverOffer {
  port: number;
}

/** Sends the DISCOVER and collects the offers, in port order. Never rejects. */
export async function broadcastDiscover(opts: BroadcastOptions): Promise<OfferFrom[]> {
  checkPortRange(opts.ports);
  const nonce = opts.random.bytes(NONCE_LENGTH);
  const request = encodeDiscover({ nonce, requester: opts.requester.slice(0, 15).replace(/[^\x20-\x7e]/g, '?') });
  const settles: Array<(offer?: OfferFrom) => void> = [];
  const results = portsOf(opts.ports).map((port) => new Promise<OfferFrom | undefined>((resolve) => settles.push(ask(port, resolve))));
  const cancel = opts.timer.setTimeout(() => settles.forEach((settle) => settle(undefined)), opts.timeoutMs);
  const offers = await Promise.all(results);
  cancel();
  return offers.filter((o): o is OfferFrom => o !== undefined);

  function ask(port: number, resolve: (offer?: OfferFrom) => void): (offer?: OfferFrom) => void {
    let socket: Socket | undefined = createSocket('udp4');
    const settle = (offer?: OfferFrom) => {
      if (!socket) return;
      const s = socket;
      socket = undefined;
      try {
        s.close();
      } catch {
        // already closed by an error
      }
      resolve(offer);
    };
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'ECONNREFUSED') opts.onIgnored?.(port, `socket error ${e.code ?? e.message}`);
      settle(undefined);
    });
    socket.on('message', (msg) => {
      let d;
      try {
        d = decodeDatagram(msg);
      } catch (e) {
        return opts.onIgnored?.(port, e instanceof DecodeError ? e.message : String(e));
      }
      if (d.type !== 'offer') return opts.onIgnored?.(port, 'a discover, not an offer');
      if (!d.nonce.equals(nonce)) return opts.onIgnored?.(port, 'an offer for another request (nonce differs)');
      settle({ ...d, port });
    });
    socket.connect(port, LOOPBACK, () => {
      if (!socket) return;
      socket.send(request, (err) => {
        if (err && (err as NodeJS.ErrnoException).code !== 'ECONNREFUSED') opts.onIgnored?.(port, `send failed: ${err.message}`);
        if (err) settle(undefined);
      });
    });
    return settle;
  }
}
