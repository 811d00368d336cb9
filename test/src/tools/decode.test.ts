import t from 'tap';
import { encodeLicensingMessage, licensingMessageType } from '../../../protocol/licensing/index.js';
import { DecodeError } from '../../../protocol/wire/index.js';
import { decodeAny, detectLevel } from '../../../src/tools/decode.js';
import { inputBytes } from '../../../src/tools/input.js';
import { readLicenseBlob } from '../../../src/tools/license-summary.js';
import { hex, vector, vectorNames } from '../../helpers/vectors.js';

const messages = vectorNames().filter((n) => !n.includes('.plain') && !n.includes('.der') && !n.includes('decrypted') && !n.includes('proprietary-server-certificate'));

t.test('every licensing vector decodes at its level and names its message type', async (t) => {
  for (const name of messages) {
    const d = decodeAny(vector(name));
    const expected = name.includes('.frame') ? 'tpkt' : name.startsWith('xrdp-') ? 'security-header' : 'message';
    t.equal(d.level, expected, `${name}: ${expected}`);
    if (d.message) t.ok(licensingMessageType(d.message.preamble.msgType), `${name}: ${d.message.type}`);
  }
});

t.test('chain C: the keys derive from the randoms and the premaster (keys.md)', async (t) => {
  const d = decodeAny(vector('ironrdp-chainC-2-client-new-license-request'), {
    serverRandom: hex('5c81f011ebcfd10eb41fb3ba93a2d73909aa99e910d4d795ddad916905266b6a'),
    premaster: hex('1428dafbb9ea38ab5ea2f904f7899c983d504577bf17811c3787c24813e8c9204ddff327bdb6987e64dafe1d312f62ca'),
  });
  t.equal(d.message?.type, 'NEW_LICENSE_REQUEST');
  t.equal(d.keys?.licensingEncryptionKey.toString('hex'), 'fa44e878d82b3f1d4d00a0a655ce8ab7');
  t.equal(d.keys?.masterSecret?.toString('hex'), 'fedc519adb3ac961040724945d0c43a770e3f30050d7a8723eab7e1be464e5c574aeed1072962a4c65094f6012a912a1');
});

t.test('chain D: the NEW_LICENSE decrypts, its MAC verifies, and its license decodes', async (t) => {
  const d = decodeAny(vector('ironrdp-chainD-server-new-license'), {
    licensingKey: hex('887d33a6130d76bf762a0f57711d40a3'),
    macSaltKey: hex('d52c7cd271152c41bbd836db193ec0f3'),
  });
  t.equal(d.decrypted?.macValid, true);
  const license = d.decrypted?.license as { hwid: Buffer; signatureValid: boolean };
  t.equal(license.hwid.toString('hex').slice(0, 8), '00000104');
  t.equal(license.signatureValid, true);
  const wrong = decodeAny(vector('ironrdp-chainD-server-new-license'), { licensingKey: Buffer.alloc(16), macSaltKey: Buffer.alloc(16) });
  t.equal(wrong.decrypted?.macValid, false, 'wrong keys: the MAC does not verify');
});

t.test('the platform-challenge unit vector decrypts to "TEST\\0" with a valid MAC', async (t) => {
  const msg = encodeLicensingMessage({
    type: 'PLATFORM_CHALLENGE',
    body: { connectFlags: 0, encryptedPlatformChallenge: { blobType: 9, data: hex('26388877cbe8bfce2c51') }, macData: hex('514a272c7418ec8895ddac103e3f0a72') },
  });
  const d = decodeAny(msg, { licensingKey: hex('e178e4a02ac5cab8a2d153b80723f3d2'), macSaltKey: hex('015b9e5f06977158c3b88b8c6e772137') });
  t.equal(d.decrypted?.platformChallengeText, 'TEST\0');
  t.equal(d.decrypted?.macValid, true);
});

t.test('the license of spec 4.6 decodes to the HWID of spec 4.5', async (t) => {
  const { license } = readLicenseBlob(vector('rdpele-4.6-new-license-info.plain'));
  t.same(license.hardwareId, vector('rdpele-4.5-hwid.plain'));
  t.ok(license.signatureValid);
});

t.test('hex text with comments, raw bytes, and levels are recognised', async (t) => {
  t.same(inputBytes(Buffer.from('# comment\n01 02\n0a ff\n')), hex('01020aff'));
  const raw = Buffer.from([0x30, 0x82, 0x01]);
  t.same(inputBytes(raw), raw, 'binary stays binary');
  t.equal(detectLevel(vector('rdpbcgr-4.1.11-license-error-valid-client.frame')), 'tpkt');
});

t.test('bad input is a DecodeError naming the field and offset; a short frame names its level', async (t) => {
  const msg = vector('rdpele-4.1-server-license-request');
  const err = t.throws(() => decodeAny(msg.subarray(0, 100))) as DecodeError;
  t.type(err, DecodeError);
  t.ok(err.field.length > 0);
  t.equal(typeof err.offset, 'number');
});
