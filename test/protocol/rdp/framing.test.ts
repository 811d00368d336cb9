import t from 'tap';
import {
  decodeMcsFrame, decodeX224ConnectionConfirm, decodeX224ConnectionRequest, DISCONNECT_PROVIDER_ULTIMATUM_FRAME, encodeX224ConnectionConfirm,
  encodeX224ConnectionRequest, extractTpktFrames, PROTOCOL_RDP, PROTOCOL_SSL, readTpktPayload, SERVER_SRC_REF, SSL_REQUIRED_BY_SERVER, wrapTpkt,
} from '../../../protocol/rdp/index.js';
import { DecodeError, encodeWith } from '../../../protocol/wire/index.js';
import { hex } from '../../helpers/vectors.js';

const cookie = (user: string) => Buffer.from(`Cookie: mstshash=${user}\r\n`).toString('hex');

/** PEERS.md §3, bytes observed from each client. */
const CLIENT_REQUESTS: Array<[string, string, string | undefined, number | undefined]> = [
  ['rdesktop (default)', `0300002d28e00000000000${cookie('labuser')}0100080003000000`, 'labuser', 0x3],
  ['rdesktop -4', `0300002520e00000000000${cookie('labuser')}`, 'labuser', undefined],
  ['xfreerdp /sec:rdp', `0300002520e00000000000${cookie('labuser')}`, 'labuser', undefined],
  ['xfreerdp /sec:tls', `0300002d28e00000000000${cookie('labuser')}0100080001000000`, 'labuser', 0x1],
  ['node-rdpjs', '030000130ee000000000000100080001000000', undefined, 0x1],
];

for (const [name, bytes, expectedCookie, requested] of CLIENT_REQUESTS) {
  t.test(`X.224 Connection Request of ${name} (PEERS.md §3) decodes and re-encodes`, async (t) => {
    const frame = hex(bytes);
    const cr = decodeX224ConnectionRequest(readTpktPayload(frame));
    t.equal(cr.cookie, expectedCookie);
    t.equal(cr.negotiation?.requestedProtocols, requested);
    t.same(wrapTpkt(encodeWith((w) => encodeX224ConnectionRequest(w, cr))), frame, 'byte-identical');
  });
}

t.test('X.224 Connection Confirm: the exact bytes of PEERS.md §4.1', async (t) => {
  const base = { dstRef: 0, srcRef: SERVER_SRC_REF, classOption: 0 };
  const cc = (c: Parameters<typeof encodeX224ConnectionConfirm>[1]) => wrapTpkt(encodeWith((w) => encodeX224ConnectionConfirm(w, c))).toString('hex');
  t.equal(cc({ ...base, response: { flags: 0, selectedProtocol: PROTOCOL_RDP } }), '030000130ed000001234000200080000000000', 'standard security');
  t.equal(cc({ ...base, response: { flags: 0, selectedProtocol: PROTOCOL_SSL } }), '030000130ed000001234000200080001000000', 'TLS');
  t.equal(cc(base), '0300000b06d00000123400', 'no negotiation');
  t.equal(cc({ ...base, failure: { flags: 0, failureCode: SSL_REQUIRED_BY_SERVER } }), '030000130ed000001234000300080001000000', 'RDP_NEG_FAILURE');
  const back = decodeX224ConnectionConfirm(readTpktPayload(hex('030000130ed000001234000200080001000000')));
  t.same(back.response, { flags: 0, selectedProtocol: 1 });
  t.equal(decodeX224ConnectionConfirm(readTpktPayload(hex('0300000b06d00000123400'))).response, undefined);
});

t.test('Disconnect Provider Ultimatum is 03 00 00 09 02 f0 80 21 80', async (t) => {
  t.equal(DISCONNECT_PROVIDER_ULTIMATUM_FRAME.toString('hex'), '0300000902f0802180');
  t.same(decodeMcsFrame(DISCONNECT_PROVIDER_ULTIMATUM_FRAME), { type: 'disconnectProviderUltimatum', reason: 3 });
});

t.test('TPKT frame extractor: whole frames, partial tails, several per chunk', async (t) => {
  const a = DISCONNECT_PROVIDER_ULTIMATUM_FRAME;
  const b = hex('0300000b06d00000123400');
  const all = Buffer.concat([a, b, a.subarray(0, 5)]);
  const got = extractTpktFrames(all);
  t.same(got.frames, [a, b]);
  t.equal(got.consumed, a.length + b.length);
  t.same(extractTpktFrames(all.subarray(0, 3)), { frames: [], consumed: 0 }, 'header incomplete: need more data');
  t.same(extractTpktFrames(all.subarray(0, 8)).frames, [], 'body incomplete');
  t.equal(extractTpktFrames(all, undefined, 1).frames.length, 1, 'limit');
});

t.test('BAD-INPUTS #2: TPKT length below 8 is refused (below 7 by the framer, 7 by the MCS decoder)', async (t) => {
  for (let len = 0; len < 7; len++) {
    const frame = Buffer.from([3, 0, 0, len, 2, 0xf0, 0x80, 0, 0]);
    t.throws(() => extractTpktFrames(frame), DecodeError, `length ${len}`);
  }
  const seven = hex('0300000702f080');
  t.equal(extractTpktFrames(seven).frames.length, 1);
  t.throws(() => decodeMcsFrame(seven), DecodeError, 'length 7: no MCS PDU');
  t.throws(() => extractTpktFrames(hex('0300ffff'), 16384), DecodeError, 'above the maximum PDU size');
  t.throws(() => extractTpktFrames(hex('44')), DecodeError, 'not a TPKT');
  t.throws(() => decodeMcsFrame(hex('0300000a02f0802180')), DecodeError, 'frame shorter than its TPKT length');
});

t.test('X.224 CR: malformed variants are DecodeErrors', async (t) => {
  const bad = [
    '06e000000000', // LI says 6 but 5 follow
    '06e00000000000ff', // a trailing byte after the LI
    '10e00000000000436f6f6b69653a20', // cookie without CR LF
    '0ee000000000000100090001000000', // RDP_NEG_REQ length 9
    '06f00000000000', // not a CR
  ];
  for (const h of bad) t.throws(() => decodeX224ConnectionRequest(readTpktPayload(wrapTpkt(hex(h)))), DecodeError, h);
});
