import t from 'tap';
import { createHash } from 'node:crypto';
import {
  decodeSecurityHeader, deriveSessionKeys, encodeSecurityHeader, ENCRYPTION_METHOD_128BIT, ENCRYPTION_METHOD_40BIT, ENCRYPTION_METHOD_56BIT,
  KEY_UPDATE_INTERVAL, macSignature, RdpCipherStream, saltedMacSignature, SEC_ENCRYPT, SEC_LICENSE_PKT, type RdpEncryptionMethod,
} from '../../../protocol/rdp/index.js';
import { rc4, seededRandom } from '../../../protocol/crypto/index.js';
import { DecodeError, encodeWith, Reader } from '../../../protocol/wire/index.js';
import { hex } from '../../helpers/vectors.js';

// ---- An independent computation, written from PEERS.md §4.6 with node:crypto only ----
const H = (alg: 'md5' | 'sha1', ...parts: Buffer[]) => createHash(alg).update(Buffer.concat(parts)).digest();
const h48 = (S: Buffer, s1: Buffer, s2: Buffer, c: number) =>
  Buffer.concat([0, 1, 2].map((i) => H('md5', S, H('sha1', Buffer.alloc(i + 1, c + i), S, s1, s2))));
function reference(CR: Buffer, SR: Buffer, bits: 40 | 56 | 128) {
  const pre = Buffer.concat([CR.subarray(0, 24), SR.subarray(0, 24)]);
  const ms = h48(pre, CR, SR, 0x41); // 'A'
  const kb = h48(ms, CR, SR, 0x58); // 'X'
  const cut = (k: Buffer) =>
    bits === 128 ? k.subarray(0, 16) : bits === 56 ? Buffer.concat([hex('d1'), k.subarray(1, 8)]) : Buffer.concat([hex('d1269e'), k.subarray(3, 8)]);
  return {
    macKey: cut(kb.subarray(0, 16)),
    serverEncryptKey: cut(H('md5', kb.subarray(16, 32), CR, SR)),
    serverDecryptKey: cut(H('md5', kb.subarray(32, 48), CR, SR)),
  };
}
const METHODS: Array<[40 | 56 | 128, RdpEncryptionMethod]> = [[40, ENCRYPTION_METHOD_40BIT], [56, ENCRYPTION_METHOD_56BIT], [128, ENCRYPTION_METHOD_128BIT]];

t.test('session keys for 40, 56 and 128 bits match an independent computation of PEERS.md §4.6', async (t) => {
  const rnd = seededRandom(42);
  for (let i = 0; i < 5; i++) {
    const CR = rnd.bytes(32);
    const SR = rnd.bytes(32);
    for (const [bits, method] of METHODS) {
      const k = deriveSessionKeys(CR, SR, method);
      const ref = reference(CR, SR, bits);
      t.equal(k.macKey.toString('hex'), ref.macKey.toString('hex'), `${bits}-bit MAC key`);
      t.equal(k.clientDecryptKey.toString('hex'), ref.serverEncryptKey.toString('hex'), `${bits}-bit server encrypt = client decrypt`);
      t.equal(k.clientEncryptKey.toString('hex'), ref.serverDecryptKey.toString('hex'), `${bits}-bit server decrypt = client encrypt`);
      t.equal(k.clientEncryptKey.length, bits === 128 ? 16 : 8);
    }
  }
});

t.test('session keys: fixed randoms give fixed keys (regression)', async (t) => {
  const CR = Buffer.alloc(32, 0x11);
  const SR = Buffer.alloc(32, 0x22);
  const k = deriveSessionKeys(CR, SR, ENCRYPTION_METHOD_40BIT);
  t.equal(k.macKey.subarray(0, 3).toString('hex'), 'd1269e');
  t.equal(k.clientEncryptKey.subarray(0, 3).toString('hex'), 'd1269e');
  t.equal(deriveSessionKeys(CR, SR, ENCRYPTION_METHOD_56BIT).clientDecryptKey[0], 0xd1);
  t.throws(() => deriveSessionKeys(CR.subarray(1), SR, ENCRYPTION_METHOD_128BIT), RangeError);
});

const pad1 = Buffer.alloc(40, 0x36);
const pad2 = Buffer.alloc(48, 0x5c);
const le32 = (v: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(v); return b; };

t.test('MAC signatures: plain ([MS-RDPBCGR] 5.3.6.1) and salted (5.3.6.1.1), independently computed', async (t) => {
  const key = hex('00112233445566778899aabbccddeeff');
  const data = Buffer.from('the quick brown fox');
  t.same(macSignature(key, data), H('md5', key, pad2, H('sha1', key, pad1, le32(data.length), data)).subarray(0, 8));
  t.same(saltedMacSignature(key, data, 7), H('md5', key, pad2, H('sha1', key, pad1, le32(data.length), data, le32(7))).subarray(0, 8));
  t.notSame(saltedMacSignature(key, data, 0), macSignature(key, data));
});

t.test('RC4 streams continue across PDUs: client encrypt → server decrypt, server encrypt → client decrypt, for every method', async (t) => {
  const rnd = seededRandom(5);
  for (const [bits, method] of METHODS) {
    const k = deriveSessionKeys(rnd.bytes(32), rnd.bytes(32), method);
    const clientOut = new RdpCipherStream(k.clientEncryptKey, k.macKey, method);
    const serverIn = new RdpCipherStream(k.clientEncryptKey, k.macKey, method);
    const serverOut = new RdpCipherStream(k.clientDecryptKey, k.macKey, method);
    const clientIn = new RdpCipherStream(k.clientDecryptKey, k.macKey, method);
    const ref = rc4(k.clientEncryptKey, Buffer.alloc(3 * 50)); // one continuous keystream
    let at = 0;
    for (let i = 0; i < 3; i++) {
      const msg = rnd.bytes(50);
      const salted = i === 2;
      const { dataSignature, ciphertext } = clientOut.encrypt(msg, salted);
      t.same(ciphertext, Buffer.from(msg.map((b, j) => b ^ ref[at + j]!)), `${bits}: PDU ${i} uses the continuing keystream`);
      at += msg.length;
      t.same(dataSignature, salted ? saltedMacSignature(k.macKey, msg, i) : macSignature(k.macKey, msg), 'signature of the plaintext');
      const back = serverIn.decrypt(ciphertext, dataSignature, salted);
      t.same(back.plaintext, msg);
      t.equal(back.signatureValid, true);
      const reply = serverOut.encrypt(msg);
      t.same(clientIn.decrypt(reply.ciphertext, reply.dataSignature).plaintext, msg);
    }
    const tampered = clientOut.encrypt(Buffer.from('x'));
    tampered.dataSignature[0]! ^= 1;
    t.equal(serverIn.decrypt(tampered.ciphertext, tampered.dataSignature).signatureValid, false, 'a wrong MAC is reported');
    t.equal(serverIn.count, 4);
  }
});

t.test('key update after 4096 packets ([MS-RDPBCGR] 5.3.7), independently computed', async (t) => {
  for (const [bits, method] of METHODS) {
    const k = deriveSessionKeys(Buffer.alloc(32, 1), Buffer.alloc(32, 2), method);
    const s = new RdpCipherStream(k.clientEncryptKey, k.macKey, method);
    for (let i = 0; i < KEY_UPDATE_INTERVAL; i++) s.encrypt(Buffer.alloc(1));
    const initial = k.clientEncryptKey;
    const n = initial.length;
    const temp = H('md5', initial, pad2, H('sha1', initial, pad1, initial)).subarray(0, n);
    const next = rc4(temp, temp);
    if (bits === 40) hex('d1269e').copy(next);
    if (bits === 56) next[0] = 0xd1;
    const out = s.encrypt(Buffer.alloc(16));
    t.same(out.ciphertext, rc4(next, Buffer.alloc(16)), `${bits}-bit: packet 4097 uses the updated key`);
    t.same(out.dataSignature, macSignature(k.macKey, Buffer.alloc(16)), 'the MAC key does not change');
  }
});

t.test('BAD-INPUTS #16: unknown security flag bits are masked, flagsHi ignored, and the header re-encodes byte for byte', async (t) => {
  const raw = hex('80010dd0'); // SEC_LICENSE_PKT | unknown 0x0100, flagsHi garbage
  const h = decodeSecurityHeader(new Reader(raw));
  t.equal(h.flags, SEC_LICENSE_PKT);
  t.equal(h.ignoredFlags, 0x0100);
  t.equal(h.flagsHi, 0xd00d);
  t.same(encodeWith((w) => encodeSecurityHeader(w, h)), raw);
  const enc = decodeSecurityHeader(new Reader(hex('88020302 0102030405060708')));
  t.equal(enc.flags, 0x0288);
  t.same(enc.dataSignature, hex('0102030405060708'));
});

t.test('BAD-INPUTS #2: SEC_ENCRYPT with fewer than 8 signature bytes is a DecodeError', async (t) => {
  for (let len = 0; len < 12; len++) {
    const data = Buffer.concat([hex('8800'), Buffer.alloc(2), Buffer.alloc(8)]).subarray(0, len);
    t.throws(() => decodeSecurityHeader(new Reader(data)), DecodeError, `length ${len}`);
  }
  t.ok(decodeSecurityHeader(new Reader(Buffer.concat([hex('88000000'), Buffer.alloc(8)]))).dataSignature, '12 bytes are enough for the header');
  void SEC_ENCRYPT;
});
