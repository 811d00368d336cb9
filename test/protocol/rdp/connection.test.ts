import t from 'tap';
import type { Test } from 'tap';
import {
  ClientConnection, ENCRYPTION_METHOD_128BIT, ENCRYPTION_METHOD_40BIT, ENCRYPTION_METHOD_56BIT, encodeMcsFrame, encodeSecurityHeader,
  INFO_UNICODE, SEC_ENCRYPT, SEC_LICENSE_PKT, ServerConnection, type ClientConnectionOptions, type RdpEncryptionMethod, type ServerConnectionOptions,
  x224DataFrame, encodeMcsSendData, type ServerEvent,
} from '../../../protocol/rdp/index.js';
import { seededRandom } from '../../../protocol/crypto/index.js';
import { encodeWith } from '../../../protocol/wire/index.js';
import { hex } from '../../helpers/vectors.js';
import { generatedKey, proprietaryCertificate, publicKeyOf, TSSK, VALID_CLIENT } from './helpers.js';
import { only, run } from './driver.js';

const CERT = proprietaryCertificate(TSSK);
const LICENSE_REQUEST_LIKE = Buffer.concat([hex('01034000'), Buffer.alloc(60, 0xab)]); // opaque to this layer
const NEW_LICENSE_REQUEST_LIKE = Buffer.concat([hex('13834800'), Buffer.alloc(68, 0xcd)]);

function server(o: Partial<ServerConnectionOptions> = {}): ServerConnection {
  return new ServerConnection({ random: seededRandom(11), serverCertificate: CERT, privateKey: TSSK, ...o });
}
function client(o: Partial<ClientConnectionOptions> = {}): ClientConnection {
  return new ClientConnection({
    userName: 'labuser', password: 'labpass', domain: 'labdom', clientName: 'labhost', random: seededRandom(22), publicKeyOf,
    channels: ['cliprdr', 'rdpsnd', 'snddbg', 'rdpdr', 'drdynvc'].map((name) => ({ name, options: 0xc0000000 })),
    ...o,
  });
}

/** Licensing both ways, plain and encrypted, then DPUm. */
function licensingRoundTrip(t: Test, c: ClientConnection, s: ServerConnection, standard: boolean, salted = false) {
  // server → client, plain
  const l1 = c.receive(s.sendLicensing(LICENSE_REQUEST_LIKE));
  t.same(only(l1, 'licensingPdu').map((e) => [e.message, e.encrypted]), [[LICENSE_REQUEST_LIKE, false]], 'server → client plain');
  // client → server, plain (rdesktop style)
  const l2 = s.receive(c.sendLicensing(NEW_LICENSE_REQUEST_LIKE, false));
  t.same(only(l2, 'licensingPdu').map((e) => [e.message, e.encrypted, e.securityFlags]), [[NEW_LICENSE_REQUEST_LIKE, false, SEC_LICENSE_PKT]], 'client → server plain');
  if (standard) {
    // client → server encrypted with a salted MAC (FreeRDP style: flags 0x0A88), twice to show the stream continues
    for (let i = 0; i < 2; i++) {
      const l3 = s.receive(c.sendLicensing(NEW_LICENSE_REQUEST_LIKE, true));
      t.same(only(l3, 'licensingPdu').map((e) => [e.message, e.encrypted, e.securityFlags, e.signatureValid]),
        [[NEW_LICENSE_REQUEST_LIKE, true, salted ? 0x0a88 : 0x0288, true]], `client → server encrypted #${i + 1}`);
    }
    // server → client encrypted (flags 0x0088), accepted because the client sent SEC_LICENSE_ENCRYPT_SC
    const frame = s.sendLicensing(VALID_CLIENT, true);
    t.equal(frame.readUInt16LE(14), SEC_LICENSE_PKT | SEC_ENCRYPT);
    const l4 = c.receive(frame);
    t.same(only(l4, 'licensingPdu').map((e) => [e.message, e.encrypted, e.signatureValid]), [[VALID_CLIENT, true, true]], 'server → client encrypted');
  } else {
    t.equal(c.sendLicensing(VALID_CLIENT, true).readUInt16LE(14), SEC_LICENSE_PKT, 'no encryption without Standard RDP Security');
  }
  const dpum = s.disconnect();
  t.equal(dpum.toString('hex'), '0300000902f0802180');
  t.same(c.receive(dpum).map((e) => e.type), ['closed']);
  t.equal(c.state, 'closed');
  t.equal(s.state, 'closed');
}

const METHODS: Array<[string, RdpEncryptionMethod]> = [['40', ENCRYPTION_METHOD_40BIT], ['56', ENCRYPTION_METHOD_56BIT], ['128', ENCRYPTION_METHOD_128BIT]];
for (const [bits, method] of METHODS) {
  t.test(`client ↔ server, Standard RDP Security ${bits}-bit: the whole sequence, licensing both ways, DPUm`, async (t) => {
    const s = server({ security: 'rdp', encryptionMethod: method });
    const c = client({ requestedProtocols: 3, secureChecksum: bits === '128' });
    const log = run(c, s);
    t.same(only(log.server, 'error'), []);
    t.same(only(log.client, 'error'), []);
    t.equal(log.toClient[0]!.toString('hex'), '030000130ed000001234000200080000000000', 'CC selectedProtocol 0');
    t.same(log.client.filter((e) => e.type === 'send').map((e) => e.type === 'send' && e.what), [
      'X.224 Connection Request', 'MCS Connect Initial', 'MCS Erect Domain Request', 'MCS Attach User Request',
      'MCS Channel Join Request 1009', 'MCS Channel Join Request 1003', 'MCS Channel Join Request 1004', 'MCS Channel Join Request 1005',
      'MCS Channel Join Request 1006', 'MCS Channel Join Request 1007', 'MCS Channel Join Request 1008', 'Security Exchange', 'Client Info',
    ]);
    const info = only(log.server, 'clientInfo')[0]?.info;
    t.match(info, {
      userName: 'labuser', domain: 'labdom', clientName: 'labhost', cookie: 'labuser', selectedProtocol: 0, encryptionMethod: method,
      encryptionLevel: 2, clientLicenseEncryption: true, signatureValid: true,
    });
    t.notOk(info && 'password' in info, 'no password in the event');
    t.equal(s.infoPacket?.password, 'labpass');
    t.ok((s.infoPacket!.flags & INFO_UNICODE) !== 0);
    t.same(only(log.client, 'connected')[0], { type: 'connected', userId: 1009, selectedProtocol: 0, encryptionMethod: method, channelIds: [1009, 1003, 1004, 1005, 1006, 1007, 1008] });
    t.equal(s.state, 'licensing');
    licensingRoundTrip(t, c, s, true, bits === '128');
  });
}

t.test('client ↔ server, TLS mode (startTls acknowledged): no Security Exchange, plain licensing, DPUm', async (t) => {
  for (const requested of [1, 3]) {
    const s = server({ security: 'negotiate' });
    const c = client({ requestedProtocols: requested });
    const log = run(c, s);
    t.same(only(log.server, 'error'), []);
    t.equal(log.toClient[0]!.toString('hex'), '030000130ed000001234000200080001000000', 'CC selectedProtocol 1');
    t.same(only(log.server, 'startTls'), [{ type: 'startTls', leftover: Buffer.alloc(0) }]);
    t.same(only(log.client, 'startTls').length, 1);
    t.notOk(log.client.some((e) => e.type === 'send' && e.what === 'Security Exchange'));
    t.match(only(log.server, 'clientInfo')[0]?.info, { userName: 'labuser', selectedProtocol: 1, encryptionMethod: 0, encryptionLevel: 0 });
    t.equal(only(log.server, 'clientInfo')[0]?.info.signatureValid, undefined);
    t.equal(log.toServer.at(-1)!.readUInt16LE(15), 0x0040, 'Client Info under TLS: SEC_INFO_PKT only');
    licensingRoundTrip(t, c, s, false);
  }
});

t.test('a client without RDP_NEG_REQ gets the no-negotiation CC and Standard RDP Security; tls policy refuses it', async (t) => {
  const s = server();
  const c = client({ requestedProtocols: null });
  const log = run(c, s);
  t.equal(log.toServer[0]!.toString('hex').slice(0, 22), '0300002520e00000000000', 'CR without RDP_NEG_REQ (like xfreerdp /sec:rdp)');
  t.equal(log.toClient[0]!.toString('hex'), '0300000b06d00000123400');
  t.match(only(log.server, 'clientInfo')[0]?.info, { selectedProtocol: 0, encryptionMethod: ENCRYPTION_METHOD_128BIT });
  licensingRoundTrip(t, c, s, true);

  const s2 = server({ security: 'tls' });
  const c2 = client({ requestedProtocols: null });
  const log2 = run(c2, s2);
  t.equal(log2.toClient[0]!.toString('hex'), '030000130ed000001234000300080001000000', 'RDP_NEG_FAILURE SSL_REQUIRED_BY_SERVER');
  t.same(only(log2.server, 'closed').length, 1);
  t.match(only(log2.client, 'closed')[0], { reason: /RDP_NEG_FAILURE failureCode 1/ });

  const s3 = server({ security: 'tls' });
  const log3 = run(client({ requestedProtocols: 0 }), s3);
  t.equal(log3.toClient[0]!.toString('hex'), '030000130ed000001234000300080001000000', 'also when RDP_NEG_REQ lacks PROTOCOL_SSL');
});

t.test("'rdp' policy answers selectedProtocol 0 to a client asking for SSL|HYBRID (rdesktop default)", async (t) => {
  const s = server({ security: 'rdp' });
  const log = run(client({ requestedProtocols: 3 }), s);
  t.equal(log.toClient[0]!.toString('hex'), '030000130ed000001234000200080000000000');
  t.equal(s.state, 'licensing');
});

t.test('method fallback: a 56-bit server configuration with a client offering 40|128 (rdesktop) uses 128-bit', async (t) => {
  const s = server({ encryptionMethod: ENCRYPTION_METHOD_56BIT });
  const log = run(client({ requestedProtocols: null, encryptionMethods: 0x03 }), s);
  t.equal(only(log.server, 'clientInfo')[0]?.info.encryptionMethod, ENCRYPTION_METHOD_128BIT);
  const s2 = server();
  const log2 = run(client({ requestedProtocols: null, encryptionMethods: 0x10 }), s2);
  t.match(only(log2.server, 'error')[0], { message: /no usable encryption method/ });
});

t.test('a 2048-bit server key works; byte-at-a-time delivery gives the same result', async (t) => {
  const key = generatedKey(2048);
  const s = new ServerConnection({ random: seededRandom(3), serverCertificate: proprietaryCertificate(key), privateKey: key, maxPduSize: 4096 });
  const c = client({ requestedProtocols: null, secureChecksum: true });
  const log = run(c, s, 1);
  t.same(only(log.server, 'error'), []);
  t.equal(only(log.server, 'clientInfo')[0]?.info.signatureValid, true);
  licensingRoundTrip(t, c, s, true, true);
});

/** A client frame on `channelId` with the given security header flags and body. */
function sdrq(userId: number, channelId: number, userData: Buffer): Buffer {
  return x224DataFrame((w) => encodeMcsSendData(w, { kind: 'request', initiator: userId, channelId, dataPriority: 0x70, userData }));
}

t.test('during licensing: other channels and non-licensing PDUs are ignored with an event, and the RC4 stream stays in step', async (t) => {
  const s = server();
  const c = client({ requestedProtocols: null });
  run(c, s);
  // A virtual-channel PDU encrypted on the client stream: build it through the client's own encryptor by sending a
  // licensing frame and moving it to another channel.
  const enc = c.sendLicensing(hex('ffff0400'), true);
  const moved = Buffer.from(enc);
  moved.writeUInt16BE(1004, 10);
  t.same(s.receive(moved).map((e) => e.type), ['ignored']);
  const next = s.receive(c.sendLicensing(NEW_LICENSE_REQUEST_LIKE, true));
  t.same(only(next, 'licensingPdu').map((e) => [e.message, e.signatureValid]), [[NEW_LICENSE_REQUEST_LIKE, true]], 'decrypts in order after the ignored PDU');
  const plain = s.receive(sdrq(c.userId, 1003, encodeWith((w) => { encodeSecurityHeader(w, { flags: 0, flagsHi: 0 }); w.bytes(hex('0000')); })));
  t.match(plain, [{ type: 'ignored', reason: /non-licensing/ }]);

  const st = server({ security: 'tls' });
  const ct = client({ requestedProtocols: 1 });
  run(ct, st);
  t.match(st.receive(sdrq(ct.userId, 1005, hex('0102030405'))), [{ type: 'ignored', channelId: 1005 }]);
});

t.test('BAD-INPUTS #16 at the server: unknown flag bits and flagsHi garbage on a licensing PDU are accepted', async (t) => {
  const s = server({ security: 'tls' });
  const c = client({ requestedProtocols: 1 });
  run(c, s);
  const ev = s.receive(sdrq(c.userId, 1003, Buffer.concat([hex('8001dfe7'), NEW_LICENSE_REQUEST_LIKE])));
  t.same(only(ev, 'licensingPdu').map((e) => [e.message, e.securityFlags]), [[NEW_LICENSE_REQUEST_LIKE, SEC_LICENSE_PKT]]);
});

t.test('BAD-INPUTS #2 at the server: SEC_LICENSE_PKT|SEC_ENCRYPT with 0–15 bytes of user data is an error event, never a throw', async (t) => {
  for (let n = 0; n < 16; n++) {
    const s = server();
    const c = client({ requestedProtocols: null });
    run(c, s);
    const userData = Buffer.concat([hex('88000000'), Buffer.alloc(12)]).subarray(0, n);
    const ev = s.receive(sdrq(c.userId, 1003, userData));
    t.match(ev, [{ type: 'error' }], `${n} bytes`);
    t.equal(s.state, 'closed');
  }
});

t.test('out-of-sequence input yields one error event and closes that connection', async (t) => {
  const cases: Array<[string, (s: ServerConnection, c: ClientConnection) => Buffer]> = [
    ['Attach User Request before the Connect Initial', () => encodeMcsFrame({ type: 'attachUserRequest' })],
  ];
  for (const [name, make] of cases) {
    const s = server();
    s.receive(hex(`0300002520e00000000000${Buffer.from('Cookie: mstshash=u\r\n').toString('hex')}`).subarray(0, 37));
    const ev = s.receive(make(s, client()));
    t.match(ev.at(-1), { type: 'error' }, name);
  }
  // Client Info instead of the Security Exchange
  {
    const s = server();
    const c = client({ requestedProtocols: null });
    const log = run(c, s);
    void log;
    const s2 = server();
    const replay = log.toServer.filter((_, i) => i !== log.toServer.length - 2); // drop the Security Exchange
    const events = replay.flatMap((b) => s2.receive(b));
    t.match(events.at(-1), { type: 'error', message: /Security Exchange/ });
  }
  // a second Attach User Request, a Channel Join during licensing
  {
    const s = server({ security: 'tls' });
    const c = client({ requestedProtocols: 1 });
    run(c, s);
    t.match(s.receive(encodeMcsFrame({ type: 'channelJoinRequest', initiator: c.userId, channelId: 1003 })), [{ type: 'error', state: 'licensing' }]);
    t.same(s.receive(Buffer.from([1, 2, 3])), [{ type: 'ignored', reason: '3 bytes after the connection closed' }]);
    t.throws(() => s.sendLicensing(VALID_CLIENT), Error, 'sendLicensing needs the licensing state');
  }
  // garbage at the start
  t.match(server().receive(hex('1603010200')), [{ type: 'error' }], 'a TLS ClientHello instead of an X.224 CR');
});

t.test('Erect Domain is ignored; unknown channel joins are refused; DPUm and X.224 DR from the client close', async (t) => {
  const s = server({ security: 'tls' });
  const c = client({ requestedProtocols: 1 });
  const log = run(c, s);
  t.notOk(log.server.some((e: ServerEvent) => e.type === 'send' && /Erect/.test(e.what)));
  const s2 = server({ security: 'tls' });
  const events = log.toServer.slice(0, 4).flatMap((b) => s2.receive(b));
  t.ok(events.some((e) => e.type === 'send' && e.what === 'MCS Attach User Confirm'));
  const cj = s2.receive(encodeMcsFrame({ type: 'channelJoinRequest', initiator: 1009, channelId: 1200 }));
  t.match(cj, [{ type: 'send', what: /no such channel/ }]);
  t.equal(cj[0]?.type === 'send' && cj[0].data.subarray(7).toString('hex'), '3e03000804b004b0');
  t.same(s2.receive(hex('0300000902f0802180')), [{ type: 'closed', reason: 'Disconnect Provider Ultimatum (reason 3)' }]);
  const s3 = server({ security: 'tls' });
  log.toServer.slice(0, 2).forEach((b) => s3.receive(b));
  t.match(s3.receive(hex('0300000b06800000000000')), [{ type: 'closed', reason: /Disconnect Request/ }]);
});
