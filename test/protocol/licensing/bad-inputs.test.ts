/**
 * protocol/BAD-INPUTS.md, the rows about licensing PDUs: 1, 3, 4, 6, 7, 8, 10, 11, (12: names), 14 (in
 * licensing-message.test.ts), 15, 17, 18, and the extra validation rules. Rows 2, 16 (framing), 5, 13 (proprietary
 * certificates) and 9 (client stores, beyond the fallback tested in session/client-licensing.test.ts) belong elsewhere.
 */
import t from 'tap';
import fc from 'fast-check';
import { deriveLicensingKeys, licensingMac, rc4, rsaDecryptLE, type LicensingKeys } from '../../../protocol/crypto/index.js';
import {
  ERR_INVALID_CLIENT,
  ERR_INVALID_MAC,
  ERR_INVALID_MESSAGE_LEN,
  ST_NO_TRANSITION,
  ST_TOTAL_ABORT,
  STATUS_VALID_CLIENT,
  decodeAll,
  decodeClientNewLicenseRequest,
  decodeLicensingMessage,
  decodeNewLicenseInfoBytes,
  decodeProductInfo,
  decodeScopeList,
  decryptNewLicense,
  describeLicenseError,
  encodeLicensingMessage,
  encodeNewLicenseInfo,
  errorCodeName,
  sealNewLicenseInfo,
  sealPlatformChallenge,
  stateTransitionName,
  type ClientNewLicenseRequest,
  type NewLicenseInfo,
} from '../../../protocol/licensing/index.js';
import { DecodeError, Reader, Writer, encodeWith } from '../../../protocol/wire/index.js';
import { hex } from '../../helpers/vectors.js';
import { SERVER_KEY, alertOf, makeClient, makeServer, stubCertificate } from '../session/fixtures/helpers.js';
import { u16 } from './fixtures/arbitraries.js';
import { MESSAGE_VECTORS, messageVector, withMsgSize } from './fixtures/licensing-vectors.js';

const SERVER_RANDOM = Buffer.alloc(32, 0x42);

/** A LICENSE_REQUEST whose ScopeList is replaced by `scopeBytes` (wMsgSize fixed). */
function licenseRequestWithScopes(scopeBytes: Buffer): Buffer {
  const base = encodeLicensingMessage({
    type: 'LICENSE_REQUEST',
    body: {
      serverRandom: SERVER_RANDOM,
      productInfo: { version: 0x00060000, companyName: 'Microsoft Corporation', productId: 'A02' },
      keyExchangeList: { algorithms: [1] },
      serverCertificate: { blobType: 3, data: stubCertificate(SERVER_KEY) },
      scopeList: [],
    },
  });
  const out = Buffer.concat([base.subarray(0, base.length - 4), scopeBytes]);
  return withMsgSize(out, out.length);
}

function decodeError(fn: () => unknown): DecodeError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DecodeError) return e;
    throw e;
  }
  throw new Error('decoded without error');
}

const u32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
};

/** A client past its LICENSE_REQUEST, and the keys the server side derives. */
async function clientAwaitingChallenge() {
  const client = makeClient();
  const step = await client.receive(licenseRequestWithScopes(Buffer.concat([u32(1), hex('0e000e00'), Buffer.from('microsoft.com\0')])));
  const req = decodeLicensingMessage(step.send[0]!).body as ClientNewLicenseRequest;
  const keys = deriveLicensingKeys(req.clientRandom, SERVER_RANDOM, rsaDecryptLE(SERVER_KEY, req.encryptedPreMasterSecret.data, 48));
  return { client, keys };
}

async function clientAwaitingLicense() {
  const r = await clientAwaitingChallenge();
  await r.client.receive(encodeLicensingMessage({ type: 'PLATFORM_CHALLENGE', body: sealPlatformChallenge(r.keys) }));
  return r;
}

/** NEW_LICENSE whose EncryptedLicenseInfo is RC4(plaintext) with a correct MAC, whatever the plaintext. */
function newLicenseAround(keys: LicensingKeys, plaintext: Buffer): Buffer {
  return encodeLicensingMessage({
    type: 'NEW_LICENSE',
    body: { encryptedLicenseInfo: { blobType: 9, data: rc4(keys.licensingEncryptionKey, plaintext) }, macData: licensingMac(keys.macSaltKey, plaintext) },
  });
}

t.test('BAD-INPUTS #1: ScopeCount 0xFFFFFFFF with 0 bytes left', async (t) => {
  const e = decodeError(() => decodeScopeList(new Reader(u32(0xffffffff))));
  t.equal(e.field, 'ScopeCount');
  t.equal(e.code, 'LIMIT_EXCEEDED');
  const m = decodeError(() => decodeLicensingMessage(licenseRequestWithScopes(u32(0xffffffff))));
  t.equal(m.field, 'ScopeCount');
  const client = makeClient();
  const step = await client.receive(licenseRequestWithScopes(u32(0xffffffff)));
  t.match(step.outcome, { kind: 'aborted', reason: 'malformed-message' }, 'the client gives up, no crash');
});

t.test('BAD-INPUTS #1: ScopeCount N with 4N > remaining', async (t) => {
  for (const [n, left] of [[1, 3], [3, 8], [0x40000000, 16]] as const) {
    const e = decodeError(() => decodeLicensingMessage(licenseRequestWithScopes(Buffer.concat([u32(n), Buffer.alloc(left)]))));
    t.equal(e.field, 'ScopeCount', `N=${n}, ${left} bytes`);
    t.equal(e.code, n > 256 ? 'LIMIT_EXCEEDED' : 'INVALID_LENGTH');
  }
  // 4N <= remaining but the blobs still run out: refused on the blob, not by reading outside the message.
  const e = decodeError(() => decodeLicensingMessage(licenseRequestWithScopes(Buffer.concat([u32(2), hex('0e000400 61620000'), hex('0e000800')]))));
  t.equal(e.code, 'TRUNCATED');
  t.equal(e.field, 'ScopeArray[1].blobData');
});

t.test('BAD-INPUTS #1: ScopeCount 257 (above MAX_SCOPE_COUNT 256)', async (t) => {
  const scopes = Buffer.concat(Array.from({ length: 257 }, () => hex('0e000200 6100')));
  const e = decodeError(() => decodeLicensingMessage(licenseRequestWithScopes(Buffer.concat([u32(257), scopes]))));
  t.equal(e.code, 'LIMIT_EXCEEDED');
  t.equal(e.field, 'ScopeCount');
  const ok = decodeLicensingMessage(licenseRequestWithScopes(Buffer.concat([u32(256), scopes.subarray(6)])));
  t.equal(ok.type, 'LICENSE_REQUEST', '256 is fine');
});

t.test('BAD-INPUTS #3: product info cbCompanyName / cbProductId of 0, 1, 3, 0xFFFFFFFF; truncated after CompanyName', async (t) => {
  const company = Buffer.from('Microsoft Corporation\0', 'utf16le');
  const product = Buffer.from('A02\0', 'utf16le');
  const info = (cbCompany: number, companyBytes: Buffer, tail: Buffer) => Buffer.concat([u32(0x00060000), u32(cbCompany), companyBytes, tail]);
  const productTail = Buffer.concat([u32(product.length), product]);
  for (const cb of [0, 1, 3, 0xffffffff]) {
    const e = decodeError(() => decodeProductInfo(new Reader(info(cb, company, productTail))));
    t.equal(e.field, 'cbCompanyName', `cbCompanyName ${cb}`);
    t.equal(e.code, cb === 0xffffffff ? 'LIMIT_EXCEEDED' : 'INVALID_LENGTH');
    const p = decodeError(() => decodeProductInfo(new Reader(Buffer.concat([u32(0x00060000), u32(company.length), company, u32(cb), product]))));
    t.equal(p.field, 'cbProductId', `cbProductId ${cb}`);
  }
  const e = decodeError(() => decodeProductInfo(new Reader(info(company.length, company, Buffer.alloc(0)))));
  t.same([e.code, e.field], ['TRUNCATED', 'cbProductId'], 'no 4 bytes for cbProductId');
  const f = decodeError(() => decodeProductInfo(new Reader(info(44, company.subarray(0, 20), Buffer.alloc(0)))));
  t.same([f.code, f.field], ['TRUNCATED', 'pbCompanyName'], 'cbCompanyName > remaining');
});

t.test('BAD-INPUTS #4: platform challenge with wBlobLen 0xFFFF and 2 bytes; blob fine but MAC shorter than 16', async (t) => {
  const challenge = (body: Buffer) => {
    const m = Buffer.concat([hex('02030000'), body]);
    return withMsgSize(m, m.length);
  };
  const e = decodeError(() => decodeLicensingMessage(challenge(Buffer.concat([u32(0), hex('0900ffff'), hex('5400')]))));
  t.same([e.code, e.field], ['TRUNCATED', 'EncryptedPlatformChallenge.blobData']);
  for (const macLen of [0, 1, 15]) {
    const m = decodeError(() => decodeLicensingMessage(challenge(Buffer.concat([u32(0), hex('09000a00'), Buffer.alloc(10), Buffer.alloc(macLen)]))));
    t.same([m.code, m.field], ['TRUNCATED', 'MACData'], `MAC of ${macLen} bytes`);
  }
  const { client } = await clientAwaitingChallenge();
  const step = await client.receive(challenge(Buffer.concat([u32(0), hex('0900ffff'), hex('5400')])));
  t.match(step.outcome, { kind: 'aborted', reason: 'malformed-message' }, 'the client gives up; no decryption of stale data');
});

t.test('BAD-INPUTS #6: decrypted NEW_LICENSE_INFO of 0-7 bytes, cbScope then EOF, cbLicenseInfo > remaining', async (t) => {
  const full: NewLicenseInfo = { version: 0x00060000, scope: 'microsoft.com', companyName: 'Microsoft Corporation', productId: 'A02', licenseInfo: Buffer.from('CAL') };
  const good = encodeWith((w) => encodeNewLicenseInfo(w, full));
  const inputs: [string, Buffer][] = [];
  for (let n = 0; n <= 7; n++) inputs.push([`${n} bytes`, good.subarray(0, n)]);
  inputs.push(['valid cbScope then EOF', Buffer.concat([u32(0x00060000), u32(14)])]);
  inputs.push(['cbScope then scope then EOF', good.subarray(0, 8 + 14)]);
  const overLicense = Buffer.from(good);
  overLicense.writeUInt32LE(4, good.length - 3 - 4);
  inputs.push(['cbLicenseInfo > remaining', overLicense]);
  const huge = Buffer.from(good);
  huge.writeUInt32LE(0xffffffff, 4);
  inputs.push(['cbScope 0xFFFFFFFF', huge]);
  for (const [name, plaintext] of inputs) {
    const e = decodeError(() => decodeNewLicenseInfoBytes(plaintext));
    t.equal(e.code, 'TRUNCATED', name);
    // The same plaintexts sent to a client, encrypted and with a correct MAC.
    const { client, keys } = await clientAwaitingLicense();
    const step = await client.receive(newLicenseAround(keys, plaintext));
    t.match(step.outcome, { kind: 'aborted', reason: 'malformed-message' }, `${name}: client aborts`);
    t.same(step.send, []);
  }
});

t.test('BAD-INPUTS #7: short inner structures are bound-checked inside their own window', async (t) => {
  // A KeyExchangeList blob of 2 bytes followed by plenty of message bytes.
  const req = licenseRequestWithScopes(Buffer.concat([u32(1), hex('0e000e00'), Buffer.from('microsoft.com\0')]));
  const kxAt = 4 + 32 + 4 + 4 + 44 + 4 + 8;
  t.equal(req.readUInt16LE(kxAt), 0x000d);
  const shortKx = Buffer.concat([req.subarray(0, kxAt), hex('0d000200 0100'), req.subarray(kxAt + 8)]);
  const e = decodeError(() => decodeLicensingMessage(withMsgSize(shortKx, shortKx.length)));
  t.same([e.code, e.field], ['INVALID_LENGTH', 'KeyExchangeList.wBlobLen']);

  // A NEW_LICENSE_INFO whose cbLicenseInfo reaches 16 bytes past its blob, into the MAC of the outer message.
  const { client, keys } = await clientAwaitingLicense();
  const plain = Buffer.concat([u32(0x00060000), u32(0), u32(0), u32(0), u32(3 + 16), Buffer.from('CAL')]);
  const step = await client.receive(newLicenseAround(keys, plain));
  t.match(step.outcome, { kind: 'aborted', reason: 'malformed-message', detail: /pbLicenseInfo/ });

  // An EncryptedHWID of 8 bytes (MAC right) in a LICENSE_INFO: the server refuses it, never reads on into the MAC.
  const server = makeServer();
  const { serverRandom } = decodeLicensingMessage(server.start()[0]!).body as { serverRandom: Buffer };
  const k = deriveLicensingKeys(Buffer.alloc(32), serverRandom, Buffer.alloc(48));
  const hwid8 = Buffer.alloc(8, 2);
  const info = encodeLicensingMessage({
    type: 'LICENSE_INFO',
    body: {
      preferredKeyExchangeAlg: 1,
      platformId: 0,
      clientRandom: Buffer.alloc(32),
      encryptedPreMasterSecret: { blobType: 2, data: Buffer.alloc(72) },
      licenseInfo: { blobType: 1, data: Buffer.from('CAL') },
      encryptedHwid: { blobType: 1, data: rc4(k.licensingEncryptionKey, hwid8) },
      macData: licensingMac(k.macSaltKey, hwid8),
    },
  });
  const s = await server.receive(info);
  t.same(alertOf(s.send[0]!), { errorCode: ERR_INVALID_CLIENT, stateTransition: ST_TOTAL_ABORT });
  t.match(s.outcome, { reason: 'malformed-message', detail: /EncryptedHWID/ });
  t.throws(() => decodeAll(Buffer.alloc(3), (r) => r.u32le('x'), 'inner'), { code: 'TRUNCATED' }, 'decodeAll reads only its window');
});

t.test('BAD-INPUTS #8: ERROR_ALERT with dwErrorCode 0xFFFFFFFF and dwStateTransition 0/5/0xFFFFFFFF', async (t) => {
  for (const transition of [0, 5, 0xffffffff]) {
    const bytes = encodeLicensingMessage({ type: 'ERROR_ALERT', body: { errorCode: 0xffffffff, stateTransition: transition, errorInfo: { blobType: 4, data: Buffer.alloc(0) } } });
    const msg = decodeLicensingMessage(bytes);
    if (msg.type !== 'ERROR_ALERT') throw new Error(msg.type);
    t.equal(errorCodeName(msg.body.errorCode), 'unknown(0xffffffff)');
    t.equal(stateTransitionName(transition), `unknown(0x${transition.toString(16).padStart(8, '0')})`);
    t.equal(describeLicenseError(msg.body), `unknown(0xffffffff)/unknown(0x${transition.toString(16).padStart(8, '0')})`);
    const client = makeClient();
    const step = await client.receive(bytes);
    t.match(step.outcome, { kind: 'denied', errorCode: 0xffffffff, stateTransition: transition }, 'client: licensing over');
    t.match(step.events[0]?.detail, /unknown/);
    const server = makeServer();
    server.start();
    const s = await server.receive(bytes);
    t.same(alertOf(s.send[0]!), { errorCode: ERR_INVALID_CLIENT, stateTransition: ST_TOTAL_ABORT }, 'server: refused');
  }
  t.equal(errorCodeName(Number('0x' + 'f'.repeat(8))), 'unknown(0xffffffff)');
  t.equal(stateTransitionName(-1), 'unknown(0xffffffff)');
});

t.test('BAD-INPUTS #10: platform challenge of 9 or 11 bytes: an ERROR_ALERT, or an answer, never a crash', async (t) => {
  for (const len of [9, 11]) {
    const { client } = await clientAwaitingChallenge();
    const random = encodeLicensingMessage({ type: 'PLATFORM_CHALLENGE', body: { connectFlags: 0, encryptedPlatformChallenge: { blobType: 9, data: Buffer.alloc(len, 0x33) }, macData: Buffer.alloc(16, 0x44) } });
    const step = await client.receive(random);
    t.same(alertOf(step.send[0]!), { errorCode: ERR_INVALID_MAC, stateTransition: ST_TOTAL_ABORT }, `${len} bytes, wrong MAC: ERR_INVALID_MAC`);
    const ok = await clientAwaitingChallenge();
    const answered = await ok.client.receive(encodeLicensingMessage({ type: 'PLATFORM_CHALLENGE', body: sealPlatformChallenge(ok.keys, Buffer.alloc(len, 0x61)) }));
    t.equal(decodeLicensingMessage(answered.send[0]!).type, 'PLATFORM_CHALLENGE_RESPONSE', `${len} bytes, right MAC: answered`);
  }
});

t.test('BAD-INPUTS #11: NEW_LICENSE round trip (seal, encode, decode, decrypt, parse) with every field at 0 and at max', async (t) => {
  const keys = { licensingEncryptionKey: Buffer.alloc(16, 7), macSaltKey: Buffer.alloc(16, 9) };
  const MAX_PLAINTEXT = 65535 - 4 - 4 - 16; // wMsgSize - preamble - blob header - MAC
  const fieldMax = MAX_PLAINTEXT - 20; // all but the five UINT32s
  const blank: NewLicenseInfo = { version: 0, scope: '', scopeRaw: Buffer.alloc(0), companyName: '', companyNameRaw: Buffer.alloc(0), productId: '', productIdRaw: Buffer.alloc(0), licenseInfo: Buffer.alloc(0) };
  const cases: [string, NewLicenseInfo][] = [['every field empty', blank]];
  const big = Buffer.alloc(fieldMax, 0x41);
  cases.push(['pbScope at max', { ...blank, scope: big.toString('latin1'), scopeRaw: big }]);
  cases.push(['pbCompanyName at max', { ...blank, companyName: Buffer.alloc(fieldMax - 1, 0x41).toString('utf16le'), companyNameRaw: Buffer.alloc(fieldMax - 1, 0x41) }]);
  cases.push(['pbProductId at max', { ...blank, productId: Buffer.alloc(fieldMax - 1, 0x41).toString('utf16le'), productIdRaw: Buffer.alloc(fieldMax - 1, 0x41) }]);
  cases.push(['pbLicenseInfo at max', { ...blank, version: 0xffffffff, licenseInfo: big }]);
  for (const [name, info] of cases) {
    const bytes = encodeLicensingMessage({ type: 'NEW_LICENSE', body: sealNewLicenseInfo(keys, info) });
    t.ok(bytes.length <= 65535, name);
    const msg = decodeLicensingMessage(bytes);
    if (msg.type !== 'NEW_LICENSE') throw new Error(msg.type);
    const { plaintext, macValid } = decryptNewLicense(keys, msg.body);
    t.ok(macValid, name);
    t.same(decodeNewLicenseInfoBytes(plaintext), info, name);
  }
  t.throws(() => encodeLicensingMessage({ type: 'NEW_LICENSE', body: sealNewLicenseInfo(keys, { ...blank, licenseInfo: Buffer.alloc(fieldMax + 1) }) }), RangeError, 'one more byte does not fit');
});

t.test('BAD-INPUTS #12: user and machine names with odd length, no NUL, UTF-16, or longer than the message', async (t) => {
  const body = (user: Buffer, machine: Buffer) =>
    Buffer.concat([u32(1), u32(0), Buffer.alloc(32), hex('02000000'), hex('0f00'), u16le(user.length), user, hex('1000'), u16le(machine.length), machine]);
  const odd = decodeClientNewLicenseRequest(new Reader(body(Buffer.from('abc'), Buffer.from('host\0'))));
  t.same([odd.clientUserName, odd.clientMachineName], ['abc', 'host'], 'odd length, no NUL');
  const utf16 = decodeClientNewLicenseRequest(new Reader(body(Buffer.from([0]), Buffer.from('bob\0', 'utf16le'))));
  t.same([utf16.clientUserName, utf16.clientMachineName], ['', 'bob'], 'node-rdpjs: empty user, UTF-16 machine name');
  const long = Buffer.concat([u32(1), u32(0), Buffer.alloc(32), hex('02000000'), hex('0f00ff00'), Buffer.from('abc')]);
  const e = decodeError(() => decodeClientNewLicenseRequest(new Reader(long)));
  t.same([e.code, e.field], ['TRUNCATED', 'ClientUserName.blobData']);
});
function u16le(v: number): Buffer {
  return new Writer().u16le(v).toBuffer();
}

t.test('BAD-INPUTS #15: NEW/UPGRADE_LICENSE whose blob leaves fewer than 16 bytes for the MAC', async (t) => {
  for (const msgType of [0x03, 0x04]) {
    for (const macLen of [0, 8, 15]) {
      const m = Buffer.concat([Buffer.from([msgType, 0x03, 0, 0]), hex('09000400'), Buffer.alloc(4), Buffer.alloc(macLen)]);
      const e = decodeError(() => decodeLicensingMessage(withMsgSize(m, m.length)));
      t.same([e.code, e.field], ['TRUNCATED', 'MACData'], `type ${msgType}, MAC ${macLen}`);
    }
    const over = Buffer.concat([Buffer.from([msgType, 0x03, 0, 0]), hex('09001400'), Buffer.alloc(20)]);
    const e = decodeError(() => decodeLicensingMessage(withMsgSize(over, over.length)));
    t.same([e.code, e.field], ['TRUNCATED', 'MACData'], 'blob length eating the MAC');
  }
});

t.test('BAD-INPUTS #17: wMsgSize off by +-4 and +-1: server answers ERR_INVALID_MESSAGE_LEN, client rejects', async (t) => {
  for (const { name } of MESSAGE_VECTORS) {
    const bytes = messageVector(name);
    for (const delta of [-4, -1, 1, 4]) {
      const e = decodeError(() => decodeLicensingMessage(withMsgSize(bytes, bytes.length + delta)));
      t.same([e.code, e.field], ['INVALID_LENGTH', 'wMsgSize'], `${name} ${delta}`);
    }
  }
  const client = makeClient();
  const server = makeServer();
  const request = server.start()[0]!;
  const c = await client.receive(withMsgSize(request, request.length + 4));
  t.match(c.outcome, { kind: 'aborted', reason: 'invalid-message-length' }, 'client rejects a LICENSE_REQUEST counting the security header');
  const good = makeClient();
  const answer = (await good.receive(request)).send[0]!;
  for (const delta of [-4, -1, 1, 4]) {
    const s = makeServer();
    s.start();
    const step = await s.receive(withMsgSize(answer, answer.length + delta));
    t.same(alertOf(step.send[0]!), { errorCode: ERR_INVALID_MESSAGE_LEN, stateTransition: ST_TOTAL_ABORT }, `server, ${delta}`);
  }
});

t.test('BAD-INPUTS #18: valid-client alert with an empty error blob of any wBlobType is accepted silently', async (t) => {
  for (const name of ['xrdp-valid-client-v2', 'xrdp-valid-client-v3-encrypt-cs', 'rdpbcgr-4.1.11-valid-client.decrypted']) {
    const client = makeClient();
    const step = await client.receive(messageVector(name));
    t.match(step.outcome, { kind: 'valid-client', errorCode: STATUS_VALID_CLIENT, stateTransition: ST_NO_TRANSITION }, name);
    t.equal(step.events[0]?.detail, 'STATUS_VALID_CLIENT/ST_NO_TRANSITION', name);
  }
  await fc.assert(
    fc.asyncProperty(u16, fc.boolean(), async (blobType, afterRequest) => {
      const client = afterRequest ? (await clientAwaitingChallenge()).client : makeClient();
      const bytes = encodeLicensingMessage({ type: 'ERROR_ALERT', preamble: { flags: 0x02 }, body: { errorCode: 7, stateTransition: 2, errorInfo: { blobType, data: Buffer.alloc(0) } } });
      const step = await client.receive(bytes);
      if (step.outcome?.kind !== 'valid-client' || step.send.length !== 0) throw new Error(`type 0x${blobType.toString(16)}`);
    }),
    { numRuns: 100 },
  );
});

t.test('validation rule: nothing may follow the message inside wMsgSize (trailing bytes)', async (t) => {
  const bytes = Buffer.concat([messageVector('rdpbcgr-4.1.11-valid-client.decrypted'), Buffer.alloc(3)]);
  const e = decodeError(() => decodeLicensingMessage(withMsgSize(bytes, bytes.length)));
  t.same([e.code, e.field], ['TRAILING_BYTES', 'wMsgSize']);
  const server = makeServer();
  server.start();
  const step = await server.receive(withMsgSize(bytes, bytes.length));
  t.same(alertOf(step.send[0]!), { errorCode: ERR_INVALID_MESSAGE_LEN, stateTransition: ST_TOTAL_ABORT });
});

t.test('validation rule: PreferredKeyExchangeAlg must be 1 - decoded as is, refused by the server session', async (t) => {
  // Decision: a session-level check. The decoder keeps any value (a tool can still show the message); the server answers
  // ERR_INVALID_CLIENT / ST_TOTAL_ABORT with reason "unsupported-key-exchange".
  for (const alg of [0, 2, 0xffffffff]) {
    const bytes = encodeLicensingMessage({
      type: 'NEW_LICENSE_REQUEST',
      body: { preferredKeyExchangeAlg: alg, platformId: 0, clientRandom: Buffer.alloc(32), encryptedPreMasterSecret: { blobType: 2, data: Buffer.alloc(72) }, clientUserName: 'u', clientMachineName: 'm' },
    });
    const msg = decodeLicensingMessage(bytes);
    if (msg.type !== 'NEW_LICENSE_REQUEST') throw new Error(msg.type);
    t.equal(msg.body.preferredKeyExchangeAlg, alg, `0x${alg.toString(16)} decodes`);
    const server = makeServer();
    server.start();
    const step = await server.receive(bytes);
    t.same(alertOf(step.send[0]!), { errorCode: ERR_INVALID_CLIENT, stateTransition: ST_TOTAL_ABORT });
    t.match(step.outcome, { reason: 'unsupported-key-exchange' });
  }
});

t.test('validation rule: EncryptedPreMasterSecret length is not required to match the modulus (RDPELE.md 4.2)', async (t) => {
  // Decision: not enforced. Windows accepts a 72-byte zero blob and node-rdpjs sends 71-73 bytes; the blob is read as one
  // little-endian integer whatever its length. An empty blob is a zero premaster.
  for (const len of [0, 64, 71, 73, 264]) {
    const server = makeServer();
    server.start();
    const bytes = encodeLicensingMessage({
      type: 'NEW_LICENSE_REQUEST',
      body: { preferredKeyExchangeAlg: 1, platformId: 0, clientRandom: Buffer.alloc(32), encryptedPreMasterSecret: { blobType: 2, data: Buffer.alloc(len) }, clientUserName: 'u', clientMachineName: 'm' },
    });
    const step = await server.receive(bytes);
    t.equal(decodeLicensingMessage(step.send[0]!).type, 'PLATFORM_CHALLENGE', `${len} bytes`);
  }
});
