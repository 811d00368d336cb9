import t from 'tap';
import fc from 'fast-check';
import { deepStrictEqual } from 'node:assert';
import { deriveLicensingKeys, licensingMac, rc4 } from '../../../protocol/crypto/index.js';
import {
  BB_ENCRYPTED_DATA_BLOB,
  PLATFORM_CHALLENGE_TEST,
  cryptField,
  decodeClientHardwareIdBytes,
  decodeLicensingMessage,
  decodeNewLicenseInfoBytes,
  decryptChallengeResponse,
  decryptLicenseInfoHwid,
  decryptNewLicense,
  decryptPlatformChallenge,
  encodeLicensingMessage,
  parseChallengeResponse,
  sealChallengeResponse,
  sealHardwareId,
  sealNewLicenseInfo,
  sealPlatformChallenge,
} from '../../../protocol/licensing/index.js';
import { hex, vector } from '../../helpers/vectors.js';
import { fixed, newLicenseInfo } from './fixtures/arbitraries.js';
import { messageVector } from './fixtures/licensing-vectors.js';

const CHAIN_D = { licensingEncryptionKey: hex('887d33a6130d76bf762a0f57711d40a3'), macSaltKey: hex('d52c7cd271152c41bbd836db193ec0f3') };

t.test('chain D: the NEW_LICENSE decrypts to the plain NEW_LICENSE_INFO and its MAC verifies', async (t) => {
  const msg = decodeLicensingMessage(messageVector('ironrdp-chainD-server-new-license'));
  if (msg.type !== 'NEW_LICENSE') throw new Error(msg.type);
  const { plaintext, macValid } = decryptNewLicense(CHAIN_D, msg.body);
  t.ok(macValid, 'MAC verifies');
  t.equal(plaintext.toString('hex'), vector('ironrdp-chainD-new-license-info.plain').toString('hex'));
  const info = decodeNewLicenseInfoBytes(plaintext);
  t.equal(info.version, 0x000a0001);
  t.equal(info.scope, 'microsoft.com');
  t.equal(info.companyName, 'Microsoft Corporation');
  t.equal(info.productId, 'A02');
  t.equal(info.licenseInfo.length, 5112);
  t.notOk(decryptNewLicense({ ...CHAIN_D, macSaltKey: Buffer.alloc(16) }, msg.body).macValid, 'a wrong key does not verify');

  // Sealing the plaintext again with the same keys gives the captured message back.
  const resealed = sealNewLicenseInfo(CHAIN_D, info);
  t.equal(encodeLicensingMessage({ type: 'NEW_LICENSE', body: resealed }).toString('hex'), messageVector('ironrdp-chainD-server-new-license').toString('hex'));
});

t.test('4.6: NEW_LICENSE_INFO plaintext carries the 1945-byte CAL; RC4 with a zero key gives redemption\'s ciphertext', async (t) => {
  const plain = vector('rdpele-4.6-new-license-info.plain');
  const info = decodeNewLicenseInfoBytes(plain);
  t.equal(info.version, 0x00060000);
  t.equal(info.scope, 'microsoft.com');
  t.equal(info.scopeRaw!.length, 14);
  t.equal(info.companyName, 'Microsoft Corporation');
  t.equal(info.companyNameRaw!.length, 44);
  t.equal(info.productId, 'A02');
  t.equal(info.licenseInfo.length, 1945);
  t.equal(info.licenseInfo.toString('hex'), vector('cal-spec-rodent.der').toString('hex'));
  const zero = { licensingEncryptionKey: Buffer.alloc(16), macSaltKey: Buffer.alloc(16) };
  t.equal(sealNewLicenseInfo(zero, info).encryptedLicenseInfo.data.subarray(0, 32).toString('hex'), 'de188f41ad375d3ae76f7d15381dfd0bb3341ccc9dccc797452b00324e963c9e');
  const msg = decodeLicensingMessage(messageVector('rdpele-4.6-server-new-license'));
  if (msg.type !== 'NEW_LICENSE') throw new Error(msg.type);
  t.equal(msg.body.encryptedLicenseInfo.data.length, plain.length, 'the 4.6 ciphertext has the plaintext length');
  t.equal(msg.body.encryptedLicenseInfo.blobType, BB_ENCRYPTED_DATA_BLOB);
});

t.test('4.5: both blobs decrypt from a fresh RC4 state (shared keystream prefix)', async (t) => {
  const msg = decodeLicensingMessage(messageVector('rdpele-4.5-client-platform-challenge-response'));
  if (msg.type !== 'PLATFORM_CHALLENGE_RESPONSE') throw new Error(msg.type);
  const response = vector('rdpele-4.5-challenge-response-data.plain');
  const hwid = vector('rdpele-4.5-hwid.plain');
  const xor = (a: Buffer, b: Buffer) => Buffer.from(a.map((x, i) => x ^ b[i]!));
  const ks1 = xor(msg.body.encryptedPlatformChallengeResponse.data, response);
  const ks2 = xor(msg.body.encryptedHwid.data, hwid);
  t.equal(ks1.toString('hex'), ks2.subarray(0, 18).toString('hex'), 'same keystream');
  t.equal(ks2.toString('hex'), 'fab5e825cc56b84ed402f8b632fc8be96c44f257');
  t.equal(msg.body.encryptedPlatformChallengeResponse.blobType, 0x0001);
  t.equal(msg.body.encryptedHwid.blobType, 0x0001);

  const parsed = parseChallengeResponse(response);
  t.equal(parsed.shape, 'data');
  if (parsed.shape !== 'data') throw new Error('shape');
  t.same({ ...parsed.data, challenge: parsed.data.challenge.toString('hex') }, { version: 0x0100, clientType: 0x0100, licenseDetailLevel: 3, challenge: PLATFORM_CHALLENGE_TEST.toString('hex') });
  t.same(decodeClientHardwareIdBytes(hwid), { platformId: 2, data1: 0x3e8759f1, data2: 0xaf98d8c9, data3: 0xf3f80224, data4: 0x26f03a29 });
});

t.test('4.4: the plain challenge is TEST\\0 in UTF-16LE', async (t) => {
  t.equal(vector('rdpele-4.4-platform-challenge.plain').toString('hex'), PLATFORM_CHALLENGE_TEST.toString('hex'));
  t.equal(PLATFORM_CHALLENGE_TEST.length, 10);
});

t.test('IronRDP unit vectors: challenge decrypts and verifies; a spec response seals to the derived bytes', async (t) => {
  const keys = { licensingEncryptionKey: hex('e178e4a02ac5cab8a2d153b80723f3d2'), macSaltKey: hex('015b9e5f06977158c3b88b8c6e772137') };
  const body = { connectFlags: 0, encryptedPlatformChallenge: { blobType: 0, data: hex('26388877cbe8bfce2c51') }, macData: hex('514a272c7418ec8895ddac103e3f0a72') };
  const { challenge, macValid } = decryptPlatformChallenge(keys, body);
  t.ok(macValid);
  t.equal(challenge.toString('hex'), '54004500530054000000');
  const sealed = sealPlatformChallenge(keys);
  t.equal(sealed.encryptedPlatformChallenge.data.toString('hex'), '26388877cbe8bfce2c51');
  t.equal(sealed.macData.toString('hex'), '514a272c7418ec8895ddac103e3f0a72');
  t.equal(sealed.connectFlags, 0);
  t.equal(sealed.encryptedPlatformChallenge.blobType, BB_ENCRYPTED_DATA_BLOB);

  const hwid = hex('00000104' + '00'.repeat(16));
  const data = hex('000100ff03000a00 54004500530054000000');
  const resp = sealChallengeResponse(keys, data, hwid);
  t.equal(resp.encryptedPlatformChallengeResponse.data.toString('hex'), '7239cd889be8e1ce7851fb04ac1924b52816');
  t.equal(resp.encryptedHwid.data.toString('hex'), '7238cc7398e8ebce2c51be04ff1970b5281622f6');
  t.equal(resp.macData.toString('hex'), '08c051b8b5eb10997e155cca2df7c34f');
  const back = decryptChallengeResponse(keys, resp);
  t.ok(back.macValid);
  t.same(back.response, data);
  t.same(back.hwid, hwid);
  t.equal(licensingMac(hex('681f7b267e760a242d9807d66b56c501'), PLATFORM_CHALLENGE_TEST).toString('hex'), '58af1f30d64ee806fcf9e6682164253d');
});

t.test('the echoed challenge (rdesktop) is the server ciphertext sent back, and parses as echo', async (t) => {
  const keys = { licensingEncryptionKey: hex('e178e4a02ac5cab8a2d153b80723f3d2'), macSaltKey: hex('015b9e5f06977158c3b88b8c6e772137') };
  const challenge = sealPlatformChallenge(keys);
  const hwid = hex('02000000' + '41'.repeat(16));
  const resp = sealChallengeResponse(keys, PLATFORM_CHALLENGE_TEST, hwid, 0x0001);
  t.same(resp.encryptedPlatformChallengeResponse.data, challenge.encryptedPlatformChallenge.data, 'RC4 from a fresh state = echo');
  const back = decryptChallengeResponse(keys, resp);
  t.ok(back.macValid);
  const parsed = parseChallengeResponse(back.response);
  t.equal(parsed.shape, 'echo');
  t.same(parsed.challenge, PLATFORM_CHALLENGE_TEST);
});

t.test('parseChallengeResponse: the structure only when wVersion 0x0100 and 8 + cbChallenge = length', async (t) => {
  t.equal(parseChallengeResponse(hex('0001 0001 0300 0a00 54004500530054000000')).shape, 'data');
  t.equal(parseChallengeResponse(hex('0001 0001 0300 0b00 54004500530054000000')).shape, 'echo', 'cbChallenge off by one');
  t.equal(parseChallengeResponse(hex('0002 0001 0300 0a00 54004500530054000000')).shape, 'echo', 'other wVersion');
  t.equal(parseChallengeResponse(hex('0001 0001 0300 0000')).shape, 'data', 'empty challenge');
  t.equal(parseChallengeResponse(hex('0001 0001 0300')).shape, 'echo', 'shorter than 8');
  t.equal(parseChallengeResponse(Buffer.alloc(0)).shape, 'echo');
  const ironrdp = Buffer.concat([Buffer.alloc(8), hex('0001 00ff 0300 0a00 54004500530054000000')]);
  const parsed = parseChallengeResponse(ironrdp);
  t.equal(parsed.shape, 'echo', "IronRDP's 8-zero prefix is not the structure");
  fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), (b) => void parseChallengeResponse(b)));
});

t.test('LICENSE_INFO HWID: sealed and checked', async (t) => {
  const keys = { licensingEncryptionKey: hex('00112233445566778899aabbccddeeff'), macSaltKey: hex('ffeeddccbbaa99887766554433221100') };
  const hwid = vector('rdpele-4.5-hwid.plain');
  const sealed = sealHardwareId(keys, hwid);
  t.equal(sealed.encryptedHwid.blobType, BB_ENCRYPTED_DATA_BLOB);
  t.same(sealed.encryptedHwid.data, rc4(keys.licensingEncryptionKey, hwid));
  const back = decryptLicenseInfoHwid(keys, sealed);
  t.ok(back.macValid);
  t.same(back.hwid, hwid);
  t.notOk(decryptLicenseInfoHwid(keys, { ...sealed, macData: Buffer.alloc(16) }).macValid);
});

t.test('fast-check: sealNewLicenseInfo then decrypt + decode gives the info back', async () => {
  fc.assert(
    fc.property(newLicenseInfo, fixed(16), fixed(16), (info, lek, salt) => {
      const keys = { licensingEncryptionKey: lek, macSaltKey: salt };
      const { plaintext, macValid } = decryptNewLicense(keys, sealNewLicenseInfo(keys, info));
      if (!macValid) throw new Error('MAC');
      deepStrictEqual(decodeNewLicenseInfoBytes(plaintext), info);
      deepStrictEqual(cryptField(keys, cryptField(keys, plaintext)), plaintext);
    }),
    { numRuns: 200 },
  );
});

t.test('chain C: the randoms of the two messages and the published premaster give the published licensing key', async (t) => {
  const req = decodeLicensingMessage(messageVector('ironrdp-chainC-1-server-license-request'));
  const nlr = decodeLicensingMessage(messageVector('ironrdp-chainC-2-client-new-license-request'));
  if (req.type !== 'LICENSE_REQUEST' || nlr.type !== 'NEW_LICENSE_REQUEST') throw new Error('types');
  t.equal(req.body.serverRandom.toString('hex'), '5c81f011ebcfd10eb41fb3ba93a2d73909aa99e910d4d795ddad916905266b6a');
  t.equal(nlr.body.clientRandom.toString('hex'), '4b5b7b43638a08fed17abaf5918577fe3936f6d778ec6acc894a90412cac5a49');
  t.equal(nlr.body.encryptedPreMasterSecret.data.length, 72);
  t.equal(nlr.body.clientUserName, 'sample-user');
  t.equal(nlr.body.clientMachineName, 'sample-machine-name');
  const pms = hex('1428dafbb9ea38ab5ea2f904f7899c983d504577bf17811c3787c24813e8c9204ddff327bdb6987e64dafe1d312f62ca');
  const keys = deriveLicensingKeys(nlr.body.clientRandom, req.body.serverRandom, pms);
  t.equal(keys.licensingEncryptionKey.toString('hex'), 'fa44e878d82b3f1d4d00a0a655ce8ab7');
});
