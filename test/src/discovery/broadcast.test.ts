import t from 'tap';
import { createSocket, type Socket } from 'node:dgram';
import { seededRandom } from '../../../protocol/crypto/index.js';
import { SimulatedClock, systemClock } from '../../../src/clock.js';
import { broadcastDiscover } from '../../../src/discovery/broadcast.js';
import { MAX_DATAGRAM_BYTES, decodeDatagram, encodeDiscover, encodeOffer } from '../../../src/discovery/datagram.js';
import { DiscoveryResponder } from '../../../src/discovery/responder.js';
import { freePortRange } from './helpers.js';

function bindUdp(port = 0): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(port, '127.0.0.1', () => resolve(s));
  });
}

const closeSocket = (s: Socket) => new Promise<void>((resolve) => s.close(() => resolve()));

t.test('malformed datagrams sent to a responder are ignored, never crash it, and it still answers', async (t) => {
  const ports = await freePortRange(2);
  const logs: string[] = [];
  const responder = new DiscoveryResponder({ name: 'LS1', scope: 'WG', address: '127.0.0.1:4443', ports, log: (l) => logs.push(l) });
  const port = await responder.start();
  t.teardown(() => responder.stop());
  const client = await bindUdp();
  t.teardown(() => closeSocket(client));

  const good = encodeDiscover({ nonce: Buffer.alloc(8, 7), requester: 'TS1' });
  const garbage = [
    Buffer.alloc(0),
    Buffer.from('hello'),
    Buffer.from('RDLS'),
    good.subarray(0, good.length - 1),
    Buffer.concat([good, Buffer.from('x')]),
    Buffer.alloc(MAX_DATAGRAM_BYTES + 1, 0x41),
    Buffer.alloc(60_000, 0xff),
    encodeOffer({ nonce: Buffer.alloc(8), name: 'EVIL', scope: 'WG', address: '127.0.0.1:1' }),
  ];
  const answers: Buffer[] = [];
  client.on('message', (m) => answers.push(m));
  for (const g of garbage) await new Promise<void>((resolve) => client.send(g, port, '127.0.0.1', () => resolve()));
  const answered = new Promise<void>((resolve) => client.once('message', () => resolve()));
  client.send(good, port, '127.0.0.1');
  await answered;

  t.equal(answers.length, 1, 'one answer, to the one valid DISCOVER');
  t.same(decodeDatagram(answers[0]!), { type: 'offer', nonce: Buffer.alloc(8, 7), name: 'LS1', scope: 'WG', address: '127.0.0.1:4443' });
  t.equal(responder.ignored, garbage.length, 'every malformed datagram was counted and ignored');
  t.equal(responder.answered, 1);
  t.ok(logs.some((l) => /outcome=ignored reason="magic at offset 0: not a discovery datagram"/.test(l)), 'and logged with the reason');
  t.ok(logs.some((l) => /outcome=ignored reason="an offer, not a discover"/.test(l)));
});

t.test('malformed or stray answers are ignored by the terminal server; the valid offer is kept', async (t) => {
  const ports = await freePortRange(3);
  // A fake license server on the first port answers every request with junk first, then a valid offer.
  const fake = await bindUdp(ports.first);
  t.teardown(() => closeSocket(fake));
  fake.on('message', (m, rinfo) => {
    const req = decodeDatagram(m);
    const send = (b: Buffer) => fake.send(b, rinfo.port, '127.0.0.1');
    send(Buffer.from('not a datagram'));
    send(encodeOffer({ nonce: Buffer.alloc(8, 0xee), name: 'STALE', scope: 'WG', address: '127.0.0.1:1' }));
    send(encodeDiscover({ nonce: req.nonce, requester: 'LOOP' }));
    send(Buffer.alloc(MAX_DATAGRAM_BYTES + 100));
    send(encodeOffer({ nonce: req.nonce, name: 'FAKE', scope: 'WG', address: '127.0.0.1:2' }));
  });
  const real = new DiscoveryResponder({ name: 'LS2', scope: 'WG', address: '127.0.0.1:3', ports });
  t.equal(await real.start(), ports.first + 1, 'the real responder takes the next port');
  t.teardown(() => real.stop());

  const ignored: string[] = [];
  const offers = await broadcastDiscover({
    ports,
    requester: 'TS1',
    random: seededRandom(3),
    timeoutMs: 60_000,
    timer: systemClock,
    onIgnored: (port, reason) => ignored.push(`${port}: ${reason}`),
  });
  t.same(
    offers.map((o) => [o.name, o.port]),
    [
      ['FAKE', ports.first],
      ['LS2', ports.first + 1],
    ],
    'the third port was refused at once; the offers are in port order',
  );
  t.same(ignored, [
    `${ports.first}: magic at offset 0: not a discovery datagram`,
    `${ports.first}: an offer for another request (nonce differs)`,
    `${ports.first}: a discover, not an offer`,
    `${ports.first}: datagram at offset 0: ${MAX_DATAGRAM_BYTES + 100} bytes, more than ${MAX_DATAGRAM_BYTES}`,
  ]);
});

t.test('a port held by something that never answers properly is given up on the network timer', async (t) => {
  const ports = await freePortRange(2);
  const mute = await bindUdp(ports.first);
  t.teardown(() => closeSocket(mute));
  mute.on('message', (_m, rinfo) => mute.send(Buffer.from('RDLS junk'), rinfo.port, '127.0.0.1'));
  const timer = new SimulatedClock();
  let heard!: () => void;
  const junkArrived = new Promise<void>((resolve) => (heard = resolve));
  let settled = false;
  const result = broadcastDiscover({ ports, requester: 'TS1', random: seededRandom(4), timeoutMs: 1_000, timer, onIgnored: () => heard() }).then((o) => {
    settled = true;
    return o;
  });
  await junkArrived;
  t.equal(settled, false, 'still waiting for the silent port');
  timer.advance(999);
  await new Promise((r) => setImmediate(r));
  t.equal(settled, false);
  timer.advance(1);
  t.same(await result, [], 'given up after the timeout; nothing offered');
});

t.test('responders: a full range and bad options get clear errors', async (t) => {
  const ports = await freePortRange(2);
  const a = new DiscoveryResponder({ name: 'LS1', scope: 'WG', address: 'local:LS1', ports });
  const b = new DiscoveryResponder({ name: 'LS2', scope: 'WG', address: 'local:LS2', ports });
  const c = new DiscoveryResponder({ name: 'LS3', scope: 'WG', address: 'local:LS3', ports });
  await a.start();
  await b.start();
  t.teardown(async () => {
    await a.stop();
    await b.stop();
  });
  await t.rejects(c.start(), { message: `discovery responder LS3: every port of 127.0.0.1:${ports.first}-${ports.first + 1} is taken; stop a license server or widen the range` });
  await t.rejects(a.start(), /already running/);
  t.throws(() => new DiscoveryResponder({ name: 'L S', scope: 'WG', address: 'local:X' }), /"L S" is not a NetBIOS host name/);
  t.throws(() => new DiscoveryResponder({ name: 'LS', scope: 'WG', address: '127.0.0.1' }), /license server address "127.0.0.1" has no port/);
  t.throws(() => new DiscoveryResponder({ name: 'LS', scope: 'WG', address: 'local:X', ports: { first: 100, count: 65 } }), /port count 65 is not between 1 and 64/);
  await a.stop();
  t.equal(a.port, undefined);
  t.equal(await c.start(), ports.first, 'a stopped responder frees its port');
  await c.stop();
});
