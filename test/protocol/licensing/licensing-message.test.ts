import t from 'tap';
import fc from 'fast-check';
import { deepStrictEqual } from 'node:assert';
import {
  LICENSING_MESSAGE_TYPES,
  decodeLicensingMessage,
  encodeLicensingMessage,
  licensingMessageCode,
  licensingMessageType,
  type LicensingMessageType,
} from '../../../protocol/licensing/index.js';
import { DecodeError } from '../../../protocol/wire/index.js';
import { vector } from '../../helpers/vectors.js';
import { anyMessage, bytes, messages, u8 } from './fixtures/arbitraries.js';
import { MESSAGE_VECTORS, messageVector, withMsgSize } from './fixtures/licensing-vectors.js';

const EXPECTED_TYPES: Record<string, LicensingMessageType> = {
  'rdpele-4.1-server-license-request': 'LICENSE_REQUEST',
  'rdpele-4.2-client-new-license-request': 'NEW_LICENSE_REQUEST',
  'rdpele-4.3-client-license-info': 'LICENSE_INFO',
  'rdpele-4.4-server-platform-challenge': 'PLATFORM_CHALLENGE',
  'rdpele-4.5-client-platform-challenge-response': 'PLATFORM_CHALLENGE_RESPONSE',
  'rdpele-4.6-server-new-license': 'NEW_LICENSE',
  'ironrdp-chainC-1-server-license-request': 'LICENSE_REQUEST',
  'ironrdp-chainC-2-client-new-license-request': 'NEW_LICENSE_REQUEST',
  'ironrdp-chainD-server-new-license': 'NEW_LICENSE',
  'xrdp-server-license-request-proprietary': 'LICENSE_REQUEST',
  'xrdp-valid-client-v2': 'ERROR_ALERT',
  'xrdp-valid-client-v3-encrypt-cs': 'ERROR_ALERT',
  'rdpbcgr-4.1.11-valid-client.decrypted': 'ERROR_ALERT',
};

function throwsDecodeError(fn: () => unknown): boolean {
  try {
    fn();
    return false;
  } catch (e) {
    if (e instanceof DecodeError) return true;
    throw e;
  }
}

t.test('every licensing vector decodes to its type and re-encodes to the same bytes', async (t) => {
  for (const { name } of MESSAGE_VECTORS) {
    const bytes = messageVector(name);
    const msg = decodeLicensingMessage(bytes);
    t.equal(msg.type, EXPECTED_TYPES[name], `${name}: type`);
    t.equal(msg.preamble.msgSize, bytes.length, `${name}: wMsgSize`);
    t.equal(encodeLicensingMessage(msg).toString('hex'), bytes.toString('hex'), `${name}: byte-identical`);
  }
});

t.test('the rdpbcgr-4.1.11 frame ends with the 16 encrypted bytes of the decrypted vector', async (t) => {
  const frame = vector('rdpbcgr-4.1.11-license-error-valid-client.frame');
  t.equal(frame.length - 16, 26, 'TPKT 4 + X.224 3 + MCS 7 + header 4 + signature 8');
  t.equal(messageVector('rdpbcgr-4.1.11-valid-client.decrypted').length, 16);
});

t.test('decoded fields of the spec examples', async (t) => {
  const req = decodeLicensingMessage(messageVector('rdpele-4.1-server-license-request'));
  if (req.type !== 'LICENSE_REQUEST') throw new Error('type');
  t.equal(req.preamble.flags, 0x03);
  t.equal(req.body.productInfo.version, 0x00060000);
  t.equal(req.body.productInfo.companyName, 'Microsoft Corporation');
  t.equal(req.body.productInfo.productId, 'A02');
  t.same(req.body.keyExchangeList.algorithms, [1]);
  t.equal(req.body.serverCertificate.blobType, 0x0003);
  t.same(req.body.scopeList.map((s) => s.issuer), ['microsoft.com']);

  const nlr = decodeLicensingMessage(messageVector('rdpele-4.2-client-new-license-request'));
  if (nlr.type !== 'NEW_LICENSE_REQUEST') throw new Error('type');
  t.equal(nlr.preamble.flags, 0x83);
  t.equal(nlr.body.platformId, 0x04010000);
  t.equal(nlr.body.encryptedPreMasterSecret.data.length, 0x108);
  t.equal(nlr.body.clientUserName, 'Administrator');
  t.equal(nlr.body.clientMachineName, 'RODENT');

  const info = decodeLicensingMessage(messageVector('rdpele-4.3-client-license-info'));
  if (info.type !== 'LICENSE_INFO') throw new Error('type');
  t.equal(info.body.licenseInfo.data.length, 1945);
  t.equal(info.body.encryptedHwid.blobType, 0x0001, 'Windows types the HWID blob BB_DATA_BLOB: kept');
  t.equal(info.body.licenseInfo.data.toString('hex'), vector('cal-spec-rodent.der').toString('hex'), 'the CAL of 4.3 is the CAL of 4.6');

  const ch = decodeLicensingMessage(messageVector('rdpele-4.4-server-platform-challenge'));
  if (ch.type !== 'PLATFORM_CHALLENGE') throw new Error('type');
  t.equal(ch.body.connectFlags, 0xffffffff, 'garbage ConnectFlags kept');
  t.equal(ch.body.encryptedPlatformChallenge.data.length, 10);
  t.not(ch.body.encryptedPlatformChallenge.blobType, 0x0009, 'garbage blob type kept');

  const xrdp = decodeLicensingMessage(messageVector('xrdp-valid-client-v2'));
  if (xrdp.type !== 'ERROR_ALERT') throw new Error('type');
  t.equal(xrdp.preamble.flags, 0x02);
  t.equal(xrdp.body.errorInfo.blobType, 0x1428);
  t.equal(xrdp.body.errorInfo.data.length, 0);
});

t.test('message type codes are the spec values', async (t) => {
  const codes = Object.fromEntries(LICENSING_MESSAGE_TYPES.map((type) => [type, licensingMessageCode(type)]));
  t.same(codes, {
    LICENSE_REQUEST: 0x01,
    PLATFORM_CHALLENGE: 0x02,
    NEW_LICENSE: 0x03,
    UPGRADE_LICENSE: 0x04,
    LICENSE_INFO: 0x12,
    NEW_LICENSE_REQUEST: 0x13,
    PLATFORM_CHALLENGE_RESPONSE: 0x15,
    ERROR_ALERT: 0xff,
  });
  t.equal(licensingMessageType(0x05), undefined);
});

t.test('the decoded message owns its bytes', async (t) => {
  const bytes = Buffer.from(messageVector('rdpele-4.4-server-platform-challenge'));
  const msg = decodeLicensingMessage(bytes);
  bytes.fill(0);
  if (msg.type !== 'PLATFORM_CHALLENGE') throw new Error('type');
  t.equal(msg.body.macData.toString('hex'), '7894ad3b81da8818560f3ad1f103ef35');
});

t.test('encode: wMsgSize computed, flags default to PREAMBLE_VERSION_3_0, contradictions refused', async (t) => {
  const body = { errorCode: 7, stateTransition: 2, errorInfo: { blobType: 4, data: Buffer.alloc(0) } };
  t.equal(encodeLicensingMessage({ type: 'ERROR_ALERT', body }).toString('hex'), 'ff031000070000000200000004000000');
  t.equal(encodeLicensingMessage({ type: 'ERROR_ALERT', preamble: { flags: 0x83, msgSize: 1 }, body }).toString('hex'), 'ff831000070000000200000004000000');
  t.throws(() => encodeLicensingMessage({ type: 'ERROR_ALERT', preamble: { msgType: 0x01 }, body }), RangeError);
  const big = { encryptedLicenseInfo: { blobType: 9, data: Buffer.alloc(65535 - 4 - 4 - 16 + 1) }, macData: Buffer.alloc(16) };
  t.throws(() => encodeLicensingMessage({ type: 'NEW_LICENSE', body: big }), RangeError, 'more than 65535 bytes');
  big.encryptedLicenseInfo.data = Buffer.alloc(65535 - 4 - 4 - 16);
  t.equal(encodeLicensingMessage({ type: 'NEW_LICENSE', body: big }).length, 65535, 'exactly 65535 bytes is fine');
  t.throws(() => encodeLicensingMessage({ type: 'PLATFORM_CHALLENGE', body: { connectFlags: 0, encryptedPlatformChallenge: { blobType: 9, data: Buffer.alloc(1) }, macData: Buffer.alloc(15) } }), RangeError);
});

for (const type of LICENSING_MESSAGE_TYPES) {
  t.test(`fast-check: decode(encode(x)) deep-equals x for ${type}`, async () => {
    fc.assert(
      fc.property(messages[type], (x) => {
        const encoded = encodeLicensingMessage(x);
        const decoded = decodeLicensingMessage(encoded);
        deepStrictEqual(decoded.type, x.type);
        deepStrictEqual(decoded.preamble, { msgType: licensingMessageCode(type), flags: x.preamble!.flags, msgSize: encoded.length });
        deepStrictEqual(decoded.body, x.body);
        deepStrictEqual(encodeLicensingMessage(decoded), encoded);
      }),
      { numRuns: 300 },
    );
  });
}

t.test('fast-check: decodeLicensingMessage(arbitrary bytes) throws only DecodeError', async () => {
  fc.assert(
    fc.property(bytes(0, 300), (data) => {
      try {
        decodeLicensingMessage(data);
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
      }
    }),
    { numRuns: 2000 },
  );
});

t.test('fast-check: arbitrary bodies behind a valid preamble throw only DecodeError', async () => {
  fc.assert(
    fc.property(fc.constantFrom(...LICENSING_MESSAGE_TYPES), u8, bytes(0, 400), (type, flags, body) => {
      const data = Buffer.concat([Buffer.from([licensingMessageCode(type), flags, 0, 0]), body]);
      data.writeUInt16LE(data.length, 2);
      try {
        decodeLicensingMessage(data);
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
      }
    }),
    { numRuns: 5000 },
  );
});

t.test('fast-check: mutated vectors and generated messages (wMsgSize kept right) throw only DecodeError', async () => {
  const seeds = MESSAGE_VECTORS.map((v) => messageVector(v.name)).filter((b) => b.length < 3000);
  const seed = fc.oneof(fc.constantFrom(...seeds), anyMessage.map((m) => encodeLicensingMessage(m)));
  fc.assert(
    fc.property(seed, fc.array(fc.tuple(fc.nat(), u8), { minLength: 1, maxLength: 6 }), (base, edits) => {
      const data = Buffer.from(base);
      for (const [at, v] of edits) data[4 + (at % Math.max(1, data.length - 4))] = v;
      try {
        const msg = decodeLicensingMessage(data);
        deepStrictEqual(encodeLicensingMessage(msg), data, 'whatever decodes re-encodes identically');
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
      }
    }),
    { numRuns: 3000 },
  );
});

t.test('BAD-INPUTS #14: every vector cut at every offset gives DecodeError', async (t) => {
  for (const { name } of MESSAGE_VECTORS) {
    const bytes = messageVector(name);
    let asIs = 0;
    let patched = 0;
    for (let k = 0; k < bytes.length; k++) {
      const cut = bytes.subarray(0, k);
      if (throwsDecodeError(() => decodeLicensingMessage(cut))) asIs++;
      // Also with wMsgSize rewritten to the cut length, so that the body decoders see the truncation.
      if (k < 4 || throwsDecodeError(() => decodeLicensingMessage(withMsgSize(cut, k)))) patched++;
    }
    t.equal(asIs, bytes.length, `${name}: every cut refused`);
    t.equal(patched, bytes.length, `${name}: every cut refused with wMsgSize patched`);
  }
});

t.test('fast-check: a generated message cut anywhere (wMsgSize patched) gives DecodeError', async () => {
  fc.assert(
    fc.property(anyMessage, fc.nat(), (m, n) => {
      const bytes = encodeLicensingMessage(m);
      const k = 4 + (n % (bytes.length - 4));
      if (k === bytes.length) return;
      if (!throwsDecodeError(() => decodeLicensingMessage(withMsgSize(bytes.subarray(0, k), k)))) throw new Error(`cut at ${k} decoded`);
    }),
    { numRuns: 1000 },
  );
});
