import t from 'tap';
import fc from 'fast-check';
import { DecodeError } from '../../../protocol/wire/index.js';
import { MAX_DATAGRAM_BYTES, decodeDatagram, encodeDiscover, encodeOffer } from '../../../src/discovery/datagram.js';

const NONCE = Buffer.from('0102030405060708', 'hex');

t.test('DISCOVER and OFFER: byte layout and round trip', async (t) => {
  const req = encodeDiscover({ nonce: NONCE, requester: 'TS1' });
  t.equal(req.toString('hex'), '52444c53' + '01' + '01' + '0102030405060708' + '03' + '545331');
  t.same(decodeDatagram(req), { type: 'discover', nonce: NONCE, requester: 'TS1' });
  t.same(decodeDatagram(encodeDiscover({ nonce: NONCE, requester: '' })), { type: 'discover', nonce: NONCE, requester: '' }, 'an anonymous request');

  const offer = encodeOffer({ nonce: NONCE, name: 'LS1', scope: 'WORKGROUP', address: 'https://127.0.0.1:4443' });
  t.equal(offer.subarray(0, 14).toString('hex'), '52444c530102' + '0102030405060708');
  t.same(decodeDatagram(offer), { type: 'offer', nonce: NONCE, name: 'LS1', scope: 'WORKGROUP', address: 'https://127.0.0.1:4443' });
  const longest = encodeOffer({ nonce: NONCE, name: 'A'.repeat(15), scope: 'B'.repeat(15), address: `local:${'C'.repeat(15)}` });
  t.ok(longest.length <= MAX_DATAGRAM_BYTES);

  t.throws(() => encodeOffer({ nonce: NONCE, name: 'LS 1', scope: 'WG', address: 'local:LS1' }), RangeError, 'we never send a bad name');
  t.throws(() => encodeOffer({ nonce: NONCE, name: 'LS1', scope: 'WG', address: 'nowhere' }), RangeError);
  t.throws(() => encodeDiscover({ nonce: Buffer.alloc(4), requester: 'TS1' }), RangeError);
});

t.test('malformed datagrams: each refused with a DecodeError naming the field', async (t) => {
  const offer = (name: string, scope: string, address: string) =>
    Buffer.concat([Buffer.from('52444c530102', 'hex'), NONCE, ...[name, scope].map((s) => Buffer.concat([Buffer.from([s.length]), Buffer.from(s, 'latin1')])), Buffer.from([address.length]), Buffer.from(address, 'latin1')]);
  const good = encodeDiscover({ nonce: NONCE, requester: 'TS1' });
  const cases: Array<[string, Buffer, DecodeError['code'], string]> = [
    ['empty', Buffer.alloc(0), 'TRUNCATED', 'magic'],
    ['wrong magic', Buffer.concat([Buffer.from('XDLS'), good.subarray(4)]), 'INVALID_VALUE', 'magic'],
    ['version 2', Buffer.concat([good.subarray(0, 4), Buffer.from([2]), good.subarray(5)]), 'UNSUPPORTED', 'version'],
    ['unknown type', Buffer.concat([good.subarray(0, 5), Buffer.from([9]), good.subarray(6)]), 'INVALID_VALUE', 'type'],
    ['truncated nonce', good.subarray(0, 10), 'TRUNCATED', 'nonce'],
    ['no requester length', good.subarray(0, 14), 'TRUNCATED', 'requesterLength'],
    ['requester cut short', good.subarray(0, good.length - 1), 'TRUNCATED', 'requester'],
    ['requester too long', Buffer.concat([good.subarray(0, 14), Buffer.from([16]), Buffer.alloc(16, 0x41)]), 'INVALID_LENGTH', 'requesterLength'],
    ['requester with a control byte', Buffer.concat([good.subarray(0, 14), Buffer.from([3, 0x41, 0x0a, 0x41])]), 'INVALID_VALUE', 'requester'],
    ['trailing byte', Buffer.concat([good, Buffer.from([0])]), 'TRAILING_BYTES', 'datagram'],
    ['oversized', Buffer.alloc(MAX_DATAGRAM_BYTES + 1), 'LIMIT_EXCEEDED', 'datagram'],
    ['offer with empty name', offer('', 'WG', 'local:LS1'), 'INVALID_LENGTH', 'nameLength'],
    ['offer with a name that is not NetBIOS', offer('LS.1', 'WG', 'local:LS1'), 'INVALID_VALUE', 'name'],
    ['offer with a bad scope', offer('LS1', 'W G', 'local:LS1'), 'INVALID_VALUE', 'scope'],
    ['offer with a bad address', offer('LS1', 'WG', '127.0.0.1'), 'INVALID_VALUE', 'address'],
    ['offer with a non-ASCII address', offer('LS1', 'WG', 'local:LS\xe9'), 'INVALID_VALUE', 'address'],
    ['offer without address', offer('LS1', 'WG', 'local:LS1').subarray(0, 14 + 4 + 3), 'TRUNCATED', 'addressLength'],
  ];
  for (const [what, bytes, code, field] of cases) {
    t.throws(() => decodeDatagram(bytes), { name: 'DecodeError', code, field }, what);
  }
});

t.test('property: no bytes make the decoder throw anything but DecodeError; valid offers round-trip', async (t) => {
  const decodeOnlyDecodeError = (bytes: Uint8Array) => {
    try {
      decodeDatagram(bytes);
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
    }
  };
  fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), decodeOnlyDecodeError), { numRuns: 2000 });

  const netbios = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,14}$/);
  const address = fc.oneof(
    fc.integer({ min: 1, max: 65535 }).map((p) => `127.0.0.1:${p}`),
    fc.integer({ min: 1, max: 65535 }).map((p) => `https://127.0.0.1:${p}`),
    netbios.map((n) => `local:${n}`),
  );
  const offers = fc.record({ nonce: fc.uint8Array({ minLength: 8, maxLength: 8 }).map((b) => Buffer.from(b)), name: netbios, scope: netbios, address });
  fc.assert(
    fc.property(offers, (o) => {
      t.same(decodeDatagram(encodeOffer(o)), { type: 'offer', ...o });
    }),
    { numRuns: 300 },
  );
  // Valid datagrams with one byte changed, cut or extended.
  fc.assert(
    fc.property(offers, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('flip', 'cut', 'grow'), (o, at, byte, how) => {
      const b = Buffer.from(encodeOffer(o));
      const i = at % b.length;
      const mutated = how === 'flip' ? (b.writeUInt8(byte, i), b) : how === 'cut' ? b.subarray(0, i) : Buffer.concat([b, Buffer.from([byte])]);
      decodeOnlyDecodeError(mutated);
    }),
    { numRuns: 1000 },
  );
});
