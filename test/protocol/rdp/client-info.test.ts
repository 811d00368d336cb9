import t from 'tap';
import {
  decodeTsInfoPacket, encodeExtendedInfoPacket, encodeTsInfoPacket, INFO_UNICODE, MAX_INFO_FIELD_SIZE, ServerConnection, type TsInfoPacket,
} from '../../../protocol/rdp/index.js';
import { seededRandom } from '../../../protocol/crypto/index.js';
import { DecodeError, encodeWith, Reader } from '../../../protocol/wire/index.js';
import { hex } from '../../helpers/vectors.js';

const unicode: TsInfoPacket = {
  codePage: 0, flags: 0x133, domain: 'labdom', userName: 'labüser', password: 'pässword', alternateShell: '', workingDir: 'C:\\',
  extraInfo: encodeWith((w) => encodeExtendedInfoPacket(w, { clientAddress: '127.0.0.1', clientDir: 'C:\\x', performanceFlags: 7 })),
};

t.test('TS_INFO_PACKET round trips (Unicode with extra info, ANSI without)', async (t) => {
  const bytes = encodeWith((w) => encodeTsInfoPacket(w, unicode));
  t.equal(bytes.readUInt16LE(8), 12, 'cbDomain excludes the terminator');
  t.equal(bytes.subarray(18, 18 + 14).toString('hex'), Buffer.from('labdom\0', 'utf16le').toString('hex'));
  t.same(decodeTsInfoPacket(new Reader(bytes)), unicode);
  const ansi: TsInfoPacket = { codePage: 1252, flags: 0x3, domain: 'd', userName: 'user', password: '', alternateShell: 'sh', workingDir: '' };
  const a = encodeWith((w) => encodeTsInfoPacket(w, ansi));
  t.equal(a.length, 18 + 2 + 5 + 1 + 3 + 1);
  t.same(decodeTsInfoPacket(new Reader(a)), ansi);
  t.ok(unicode.flags & INFO_UNICODE);
});

t.test('TS_INFO_PACKET: truncation at every offset and oversized fields are DecodeErrors', async (t) => {
  const bytes = encodeWith((w) => encodeTsInfoPacket(w, { ...unicode, extraInfo: undefined } as TsInfoPacket));
  for (let k = 0; k < bytes.length; k++) t.throws(() => decodeTsInfoPacket(new Reader(bytes.subarray(0, k))), DecodeError, `truncated at ${k}`);
  const big = Buffer.from(bytes);
  big.writeUInt16LE(MAX_INFO_FIELD_SIZE + 2, 10);
  t.throws(() => decodeTsInfoPacket(new Reader(big)), { code: 'LIMIT_EXCEEDED', field: 'cbUserName' });
});

t.test('startTls hands back bytes that arrived with the X.224 CR (they belong to the TLS handshake)', async (t) => {
  const s = new ServerConnection({ security: 'tls', random: seededRandom(1) });
  const cr = hex(`0300002d28e00000000000${Buffer.from('Cookie: mstshash=labuser\r\n').toString('hex')}0100080003000000`);
  const ev = s.receive(Buffer.concat([cr, hex('160301')]));
  t.same(ev.map((e) => e.type), ['negotiated', 'send', 'startTls']);
  t.same(ev[2], { type: 'startTls', leftover: hex('160301') });
  t.equal(s.state, 'awaitingConnectInitial');
});
