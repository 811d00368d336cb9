import t from 'tap';
import {
  ClientConnection, decodeClientData, decodeGccConferenceCreateRequest, decodeGccConferenceCreateResponse, decodeMcsConnectInitial,
  decodeMcsConnectResponse, decodeMcsFrame, decodeServerData, encodeClientData, encodeGccConferenceCreateRequest, encodeGccConferenceCreateResponse,
  encodeMcsConnectResponse, encodeMcsFrame, encodeServerData, GCC_RESPONSE_HEADER_SIZE, GCC_RESPONSE_NODE_ID, readX224DataPayload,
  SERVER_DOMAIN_PARAMETERS, ServerConnection, x224DataFrame, type McsDomainPdu, type ServerData,
} from '../../../protocol/rdp/index.js';
import { seededRandom } from '../../../protocol/crypto/index.js';
import { DecodeError, encodeWith, Reader } from '../../../protocol/wire/index.js';
import { hex } from '../../helpers/vectors.js';

/** PEERS.md §4.3: the known-good TLS-mode Connect-Response accepted by rdesktop, xfreerdp and node-rdpjs. */
const KNOWN_GOOD_CONNECT_RESPONSE = hex(`
03 00 00 70 02 f0 80 7f 66 66 0a 01 00 02 01 00 30 1a 02 01 16 02 01 03 02 01 00 02 01 01 02 01
00 02 01 01 02 03 00 ff f8 02 01 02 04 42 00 05 00 14 7c 00 01 2a 14 76 0a 01 01 00 01 c0 00 4d
63 44 6e 2c 01 0c 10 00 04 00 08 00 01 00 00 00 00 00 00 00 03 0c 10 00 eb 03 04 00 ec 03 ed 03
ee 03 ef 03 02 0c 0c 00 00 00 00 00 00 00 00 00`);

// Inputs read off those bytes: SC_CORE version 0x00080004, clientRequestedProtocols 1 (TLS), earlyCapabilityFlags 0;
// SC_NET 1003 with 4 channels 1004..1007; SC_SECURITY method 0 level 0.
const KNOWN_GOOD_SERVER_DATA: ServerData = {
  core: { version: 0x00080004, clientRequestedProtocols: 1, earlyCapabilityFlags: 0 },
  network: { mcsChannelId: 1003, channelIdArray: [1004, 1005, 1006, 1007] },
  security: { encryptionMethod: 0, encryptionLevel: 0 },
  others: [],
};

t.test('the 112-byte known-good Connect-Response (PEERS.md §4.3) is produced byte for byte by the encoders', async (t) => {
  const gcc = encodeWith((w) => encodeGccConferenceCreateResponse(w, {
    nodeId: GCC_RESPONSE_NODE_ID, tag: 1, result: 0, serverData: encodeWith((b) => encodeServerData(b, KNOWN_GOOD_SERVER_DATA)),
  }));
  t.equal(gcc.subarray(0, GCC_RESPONSE_HEADER_SIZE).toString('hex'), '000500147c00012a14760a01010001c0004d63446e', 'the 21-byte GCC header');
  const frame = x224DataFrame((w) => encodeMcsConnectResponse(w, { result: 0, calledConnectId: 0, domainParameters: SERVER_DOMAIN_PARAMETERS, userData: gcc }));
  t.equal(frame.length, 112);
  t.equal(frame.toString('hex'), KNOWN_GOOD_CONNECT_RESPONSE.toString('hex'));
});

t.test('the known-good Connect-Response decodes to the same inputs', async (t) => {
  const r = readX224DataPayload(KNOWN_GOOD_CONNECT_RESPONSE);
  if (r === 'disconnect') throw new Error('unexpected');
  const resp = decodeMcsConnectResponse(r);
  t.same(resp.domainParameters, SERVER_DOMAIN_PARAMETERS);
  const gcc = decodeGccConferenceCreateResponse(new Reader(resp.userData));
  t.equal(gcc.nodeId, GCC_RESPONSE_NODE_ID);
  t.same(decodeServerData(new Reader(gcc.serverData)), KNOWN_GOOD_SERVER_DATA);
});

t.test('ServerConnection in TLS mode answers an xfreerdp-like /sec:tls client (4 channels) with exactly those 112 bytes', async (t) => {
  const server = new ServerConnection({ security: 'negotiate', random: seededRandom(1), serverCertificate: Buffer.alloc(1), privateKey: { n: 1n, e: 1n, d: 1n } });
  const client = new ClientConnection({
    userName: 'labuser', clientName: 'labhost', requestedProtocols: 1, random: seededRandom(2),
    channels: ['rdpdr', 'rdpsnd', 'cliprdr', 'drdynvc'].map((name) => ({ name, options: 0x80800000 })),
  });
  const cr = client.start()[0]!;
  const ev = server.receive(cr.type === 'send' ? cr.data : Buffer.alloc(0));
  const cc = ev.find((e) => e.type === 'send');
  t.ok(ev.find((e) => e.type === 'startTls'));
  const cev = client.receive(cc!.type === 'send' ? cc!.data : Buffer.alloc(0));
  t.same(cev.map((e) => e.type), ['startTls']);
  const ci = client.tlsEstablished()[0]!;
  const sev = server.receive(ci.type === 'send' ? ci.data : Buffer.alloc(0));
  const resp = sev.find((e) => e.type === 'send');
  t.equal(resp?.type === 'send' && resp.data.toString('hex'), KNOWN_GOOD_CONNECT_RESPONSE.toString('hex'));
});

t.test('GCC Conference Create Request: the standard header bytes, round trip, client blocks', async (t) => {
  const blocks = encodeWith((w) => encodeClientData(w, {
    core: { version: 0x00080004, desktopWidth: 800, desktopHeight: 600, colorDepth: 0xca01, sasSequence: 0xaa03, keyboardLayout: 0x409, clientBuild: 2600,
      clientName: 'labhost', keyboardType: 4, keyboardSubType: 0, keyboardFunctionKey: 12, imeFileName: '', postBeta2ColorDepth: 0xca01 },
    security: { encryptionMethods: 3, extEncryptionMethods: 0 },
    network: { channels: [{ name: 'cliprdr', options: 0xc0a00000 }, { name: 'rdpsnd', options: 0xc0000000 }] },
    cluster: { flags: 13, redirectedSessionId: 0 },
    others: [{ type: 0xc006, data: hex('00000000') }],
  }));
  const gcc = encodeWith((w) => encodeGccConferenceCreateRequest(w, { conferenceName: '1', clientData: blocks }));
  // 00 05 00 14 7c 00 01, connectPDU length (2 bytes: > 127), 00 08 00 10 00 01 c0 00 "Duca", PER length.
  t.equal(gcc.subarray(0, 7).toString('hex'), '000500147c0001');
  t.equal(gcc.subarray(9, 21).toString('hex'), '000800100001c00044756361');
  t.equal(gcc.readUInt16BE(7) & 0x3fff, gcc.length - 9, 'connectPDU length');
  const back = decodeGccConferenceCreateRequest(new Reader(gcc));
  t.equal(back.conferenceName, '1');
  t.same(back.clientData, blocks);
  const cd = decodeClientData(new Reader(blocks));
  t.equal(cd.core.clientName, 'labhost');
  t.equal(cd.core.postBeta2ColorDepth, 0xca01);
  t.equal(cd.core.clientProductId, undefined);
  t.same(cd.network?.channels.map((c) => c.name), ['cliprdr', 'rdpsnd']);
  t.same(cd.cluster, { flags: 13, redirectedSessionId: 0 });
  t.same(cd.others, [{ type: 0xc006, data: hex('00000000') }]);
});

t.test('Connect-Initial: a whole client frame decodes (BER lengths, 65535 as 02 02 ff ff)', async (t) => {
  const client = new ClientConnection({ userName: 'u', clientName: 'h', requestedProtocols: null, random: seededRandom(3) });
  client.start();
  const ev = client.receive(hex('0300000b06d00000123400'));
  const ci = ev[0]!;
  t.equal(ci.type, 'send');
  const r = readX224DataPayload(ci.type === 'send' ? ci.data : Buffer.alloc(0));
  if (r === 'disconnect') throw new Error('unexpected');
  const init = decodeMcsConnectInitial(r);
  t.equal(init.upwardFlag, true);
  t.equal(init.targetParameters.maxMCSPDUsize, 65535);
  const cd = decodeClientData(new Reader(decodeGccConferenceCreateRequest(new Reader(init.userData)).clientData));
  t.equal(cd.core.serverSelectedProtocol, 0);
  t.equal(cd.security?.encryptionMethods, 0x0b);
  t.ok(cd.core.clientName === 'h');
});

t.test('MCS domain PDUs: exact bytes of PEERS.md §4.5', async (t) => {
  const cases: Array<[McsDomainPdu, string]> = [
    [{ type: 'attachUserRequest' }, '28'],
    [{ type: 'attachUserConfirm', result: 0, initiator: 1008 }, '2e000007'],
    [{ type: 'channelJoinRequest', initiator: 1008, channelId: 1003 }, '38000703eb'],
    [{ type: 'channelJoinConfirm', result: 0, initiator: 1008, requested: 1003, channelId: 1003 }, '3e00000703eb03eb'],
    [{ type: 'erectDomainRequest', body: hex('01000100') }, '0401000100'],
    [{ type: 'sendData', kind: 'indication', initiator: 1002, channelId: 1003, dataPriority: 0x70, userData: hex('80000000') }, '68000103eb700480000000'],
    [{ type: 'disconnectProviderUltimatum', reason: 3 }, '2180'],
  ];
  for (const [pdu, bytes] of cases) {
    const frame = encodeMcsFrame(pdu);
    t.equal(frame.subarray(7).toString('hex'), bytes, pdu.type);
    t.same(decodeMcsFrame(frame), pdu, `${pdu.type} round trip`);
  }
  t.same(decodeMcsFrame(hex('0300000c02f0800400010001')), { type: 'erectDomainRequest', body: hex('00010001') }, "rdesktop's Erect Domain form");
  t.same(decodeMcsFrame(hex('0300001002f08064000303eb70800180')), { type: 'sendData', kind: 'request', initiator: 1004, channelId: 1003, dataPriority: 0x70, userData: hex('80'), longLength: true }, '2-byte PER length of a short payload');
  t.same(encodeMcsFrame({ type: 'sendData', kind: 'request', initiator: 1004, channelId: 1003, dataPriority: 0x70, userData: hex('80'), longLength: true }), hex('0300001002f08064000303eb70800180'));
  t.throws(() => decodeMcsFrame(hex('0300000802f08040')), DecodeError, 'an MCS choice outside the sequence');
  t.throws(() => decodeMcsFrame(hex('0300000a02f080280000')), DecodeError, 'trailing bytes after AUrq');
});

t.test('SC_NET pads an odd channel count; SC_SECURITY standard form round trips', async (t) => {
  const sd: ServerData = {
    core: { version: 0x00080004, clientRequestedProtocols: 0, earlyCapabilityFlags: 0 },
    network: { mcsChannelId: 1003, channelIdArray: [1004, 1005, 1006] },
    security: { encryptionMethod: 2, encryptionLevel: 2, serverRandom: Buffer.alloc(32, 7), serverCertificate: hex('0102030405') },
    others: [],
  };
  const bytes = encodeWith((w) => encodeServerData(w, sd));
  t.equal(bytes.subarray(16, 32).toString('hex'), '030c1000eb030300ec03ed03ee030000', 'SC_NET with 2 bytes of padding');
  t.equal(bytes.readUInt16LE(32), 0x0c02, 'SC_SECURITY last');
  t.same(decodeServerData(new Reader(bytes)), sd);
});
