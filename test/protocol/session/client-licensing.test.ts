import t from 'tap';
import fc from 'fast-check';
import { deriveLicensingKeys, rsaDecryptLE, seededRandom, type LicensingKeys } from '../../../protocol/crypto/index.js';
import {
  BB_CLIENT_MACHINE_NAME_BLOB,
  BB_CLIENT_USER_NAME_BLOB,
  BB_DATA_BLOB,
  BB_ENCRYPTED_DATA_BLOB,
  ERR_INVALID_CLIENT,
  ERR_INVALID_SERVER_CERTIFICATE,
  ST_NO_TRANSITION,
  ST_RESEND_LAST_MESSAGE,
  ST_RESET_PHASE_TO_START,
  ST_TOTAL_ABORT,
  decodeAll,
  decodeLicensingMessage,
  decodePlatformChallengeResponseData,
  decryptChallengeResponse,
  decryptLicenseInfoHwid,
  encodeLicensingMessage,
  licenseErrorMessage,
  sealNewLicenseInfo,
  sealPlatformChallenge,
  type ClientLicenseInfo,
  type ClientNewLicenseRequest,
  type NewLicenseInfo,
} from '../../../protocol/licensing/index.js';
import { MemoryLicenseStore, type ClientLicensing, type LicenseStore } from '../../../protocol/session/index.js';
import { anyMessage, bytes } from '../licensing/fixtures/arbitraries.js';
import { CAL, HWID, SERVER_KEY, alertOf, makeClient, stubCertificate } from './fixtures/helpers.js';

const SERVER_RANDOM = Buffer.alloc(32, 0x42);
const PRODUCT = { version: 0x00060000, companyName: 'Microsoft Corporation', productId: 'A02' };

function licenseRequest(options: { scopes?: string[]; certificate?: Buffer; flags?: number } = {}): Buffer {
  return encodeLicensingMessage({
    type: 'LICENSE_REQUEST',
    preamble: { flags: options.flags ?? 0x03 },
    body: {
      serverRandom: SERVER_RANDOM,
      productInfo: PRODUCT,
      keyExchangeList: { algorithms: [1] },
      serverCertificate: { blobType: 3, data: options.certificate ?? stubCertificate(SERVER_KEY) },
      scopeList: (options.scopes ?? ['microsoft.com']).map((issuer) => ({ issuer })),
    },
  });
}

const alert = (code: number, transition: number) => encodeLicensingMessage({ type: 'ERROR_ALERT', body: licenseErrorMessage(code, transition) });

/** Sends the LICENSE_REQUEST; returns the client's answer and the keys a server would derive from it. */
async function requested(client: ClientLicensing, options?: Parameters<typeof licenseRequest>[0]) {
  const step = await client.receive(licenseRequest(options));
  const msg = decodeLicensingMessage(step.send[0]!);
  if (msg.type !== 'NEW_LICENSE_REQUEST' && msg.type !== 'LICENSE_INFO') throw new Error(msg.type);
  const body = msg.body as ClientNewLicenseRequest | ClientLicenseInfo;
  const premaster = rsaDecryptLE(SERVER_KEY, body.encryptedPreMasterSecret.data, 48);
  return { msg, keys: deriveLicensingKeys(body.clientRandom, SERVER_RANDOM, premaster), step };
}

async function challenged(client: ClientLicensing, challenge?: Buffer) {
  const r = await requested(client);
  const step = await client.receive(encodeLicensingMessage({ type: 'PLATFORM_CHALLENGE', body: sealPlatformChallenge(r.keys, challenge) }));
  return { ...r, step };
}

function newLicense(keys: LicensingKeys, info: Partial<NewLicenseInfo> = {}, type: 'NEW_LICENSE' | 'UPGRADE_LICENSE' = 'NEW_LICENSE'): Buffer {
  return encodeLicensingMessage({
    type,
    body: sealNewLicenseInfo(keys, { version: 0x00060000, scope: 'microsoft.com', companyName: 'Microsoft Corporation', productId: 'A02', licenseInfo: CAL, ...info }),
  });
}

t.test('NEW_LICENSE_REQUEST: RSA key exchange, names as NUL-terminated ANSI, spec blob types, preamble 0x83', async (t) => {
  const { msg, step } = await requested(makeClient({ platformId: 0x04010000 }));
  if (msg.type !== 'NEW_LICENSE_REQUEST') throw new Error(msg.type);
  t.equal(msg.preamble.flags, 0x83);
  t.equal(msg.body.preferredKeyExchangeAlg, 1);
  t.equal(msg.body.platformId, 0x04010000);
  t.equal(msg.body.encryptedPreMasterSecret.data.length, 72, '512-bit key: 64 + 8');
  t.same(msg.body.encryptedPreMasterSecret.data.subarray(64), Buffer.alloc(8));
  t.same(msg.body.clientUserNameBlob, { blobType: BB_CLIENT_USER_NAME_BLOB, data: Buffer.from('Administrator\0') });
  t.same(msg.body.clientMachineNameBlob, { blobType: BB_CLIENT_MACHINE_NAME_BLOB, data: Buffer.from('RODENT\0') });
  t.equal(step.state, 'AWAIT_CHALLENGE');
});

t.test('the challenge response: spec PLATFORM_CHALLENGE_RESPONSE_DATA and HWID, 0x0009 blobs, MAC over both', async (t) => {
  const { keys, step } = await challenged(makeClient());
  const msg = decodeLicensingMessage(step.send[0]!);
  if (msg.type !== 'PLATFORM_CHALLENGE_RESPONSE') throw new Error(msg.type);
  t.equal(msg.body.encryptedPlatformChallengeResponse.blobType, BB_ENCRYPTED_DATA_BLOB);
  t.equal(msg.body.encryptedHwid.blobType, BB_ENCRYPTED_DATA_BLOB);
  const { response, hwid, macValid } = decryptChallengeResponse(keys, msg.body);
  t.ok(macValid);
  t.same(hwid, HWID);
  t.equal(response.toString('hex'), '00010001030' + '00a00' + Buffer.from('TEST\0', 'utf16le').toString('hex'));
  t.equal(step.state, 'AWAIT_LICENSE');
});

t.test('LICENSE_INFO: found under any scope of the request, CAL as BB_DATA_BLOB, HWID sealed', async (t) => {
  const store = new MemoryLicenseStore();
  store.save({ ...PRODUCT, scope: 'microsoft.com' }, CAL, 'new');
  const { msg, keys } = await requested(makeClient({ store }), { scopes: ['example.com', 'microsoft.com'] });
  if (msg.type !== 'LICENSE_INFO') throw new Error(msg.type);
  t.same(msg.body.licenseInfo, { blobType: BB_DATA_BLOB, data: CAL });
  t.equal(msg.body.encryptedHwid.blobType, BB_ENCRYPTED_DATA_BLOB);
  const { hwid, macValid } = decryptLicenseInfoHwid(keys, msg.body);
  t.ok(macValid);
  t.same(hwid, HWID);
  const other = await requested(makeClient({ store }), { scopes: ['example.com'] });
  t.equal(other.msg.type, 'NEW_LICENSE_REQUEST', 'no license for that scope');
});

t.test('store entries that cannot be presented fall back to NEW_LICENSE_REQUEST (empty, too large, find() fails)', async (t) => {
  const stores: [string, LicenseStore][] = [
    ['empty license', { find: () => Buffer.alloc(0), save: () => undefined }],
    ['65536-byte license', { find: () => Buffer.alloc(65536), save: () => undefined }],
    ['license too large for wMsgSize', { find: () => Buffer.alloc(65535 - 100), save: () => undefined }],
    [
      'unreadable',
      {
        find: () => {
          throw new Error('EACCES');
        },
        save: () => undefined,
      },
    ],
    ['rejecting promise', { find: () => Promise.reject(new Error('gone')), save: () => undefined }],
  ];
  for (const [name, store] of stores) {
    const { msg } = await requested(makeClient({ store }));
    t.equal(msg.type, 'NEW_LICENSE_REQUEST', name);
  }
});

t.test('NEW_LICENSE and UPGRADE_LICENSE are decrypted, MAC-checked and stored under the NEW_LICENSE_INFO key', async (t) => {
  for (const type of ['NEW_LICENSE', 'UPGRADE_LICENSE'] as const) {
    const store = new MemoryLicenseStore();
    const client = makeClient({ store });
    const { keys } = await challenged(client);
    const step = await client.receive(newLicense(keys, { version: 0x000a0001, scope: 'example.org' }, type));
    t.equal(step.state, 'COMPLETED');
    t.match(step.outcome, { kind: type === 'NEW_LICENSE' ? 'new-license' : 'upgrade-license', stored: true });
    t.same(step.outcome?.license, CAL);
    const [entry] = store.entries.values();
    t.same(entry?.key, { version: 0x000a0001, scope: 'example.org', companyName: 'Microsoft Corporation', productId: 'A02' });
    t.equal(entry?.kind, type === 'NEW_LICENSE' ? 'new' : 'upgrade');
  }
});

t.test('a store that cannot save: the license is still reported, stored false', async (t) => {
  const client = makeClient({
    store: {
      find: () => undefined,
      save: () => {
        throw new Error('disk full');
      },
    },
  });
  const { keys } = await challenged(client);
  const step = await client.receive(newLicense(keys));
  t.match(step.outcome, { kind: 'new-license', stored: false, storeError: 'disk full' });
  const noStore = makeClient({ store: undefined });
  const r = await challenged(noStore);
  t.match((await noStore.receive(newLicense(r.keys))).outcome, { kind: 'new-license', stored: false, storeError: 'no license store' });
});

t.test('an unusable server certificate is answered with ERR_INVALID_SERVER_CERTIFICATE / ST_TOTAL_ABORT', async (t) => {
  const client = makeClient();
  const step = await client.receive(licenseRequest({ certificate: Buffer.from('garbage') }));
  t.same(alertOf(step.send[0]!), { errorCode: ERR_INVALID_SERVER_CERTIFICATE, stateTransition: ST_TOTAL_ABORT });
  t.match(step.outcome, { kind: 'aborted', reason: 'invalid-certificate' });
  const tiny = makeClient({ publicKeyOf: () => ({ n: 0xffffn, e: 3n }) });
  t.match((await tiny.receive(licenseRequest())).outcome, { kind: 'aborted', reason: 'invalid-certificate' }, 'a key too small for the premaster');
  const nullKeys = makeClient({ nullKeys: true, publicKeyOf: () => { throw new Error('no parser'); } });
  const n = await nullKeys.receive(licenseRequest());
  t.equal(decodeLicensingMessage(n.send[0]!).type, 'NEW_LICENSE_REQUEST', 'null keys need no certificate');
});

t.test('server alerts: VALID_CLIENT in every state, TOTAL_ABORT, NO_TRANSITION, RESET, RESEND, unknown', async (t) => {
  for (const stage of ['AWAIT', 'AWAIT_CHALLENGE', 'AWAIT_LICENSE'] as const) {
    const c2 = makeClient();
    if (stage === 'AWAIT_CHALLENGE') await requested(c2);
    if (stage === 'AWAIT_LICENSE') await challenged(c2);
    t.equal(c2.state, stage);
    const step = await c2.receive(alert(7, ST_NO_TRANSITION));
    t.match(step.outcome, { kind: 'valid-client' }, `STATUS_VALID_CLIENT in ${stage}`);
    t.same(step.send, []);
  }

  let client = makeClient();
  await requested(client);
  let step = await client.receive(alert(ERR_INVALID_CLIENT, ST_TOTAL_ABORT));
  t.equal(step.state, 'ABORTED');
  t.match(step.outcome, { kind: 'denied', errorCode: ERR_INVALID_CLIENT, stateTransition: ST_TOTAL_ABORT });

  client = makeClient();
  await requested(client);
  step = await client.receive(alert(ERR_INVALID_CLIENT, ST_NO_TRANSITION));
  t.equal(step.state, 'COMPLETED');
  t.match(step.outcome, { kind: 'denied', errorCode: ERR_INVALID_CLIENT });

  client = makeClient();
  await requested(client);
  step = await client.receive(alert(ERR_INVALID_CLIENT, ST_RESET_PHASE_TO_START));
  t.equal(step.state, 'AWAIT', 'RESET: back to AWAIT');
  t.same(step.send, []);
  const again = await requested(client);
  t.equal(again.msg.type, 'NEW_LICENSE_REQUEST', 'and a new LICENSE_REQUEST starts over');

  client = makeClient();
  const first = await requested(client);
  step = await client.receive(alert(ERR_INVALID_CLIENT, ST_RESEND_LAST_MESSAGE));
  t.same(step.send, first.step.send, 'RESEND: the last message again');
  t.equal(step.state, 'AWAIT_CHALLENGE');

  for (const transition of [0, 5, 0xffffffff]) {
    client = makeClient();
    await requested(client);
    step = await client.receive(alert(0xffffffff, transition));
    t.equal(step.state, 'ABORTED', `transition ${transition}: licensing over`);
    t.match(step.outcome, { kind: 'denied', errorCode: 0xffffffff, stateTransition: transition });
    t.match(step.events[0]?.detail, /^unknown\(0xffffffff\)\/unknown\(0x[0-9a-f]{8}\)$/);
  }
});

t.test('unexpected or malformed server messages: the client aborts (disconnects) without sending', async (t) => {
  const cases: [string, (c: ClientLicensing) => Promise<unknown>, () => Buffer, string][] = [
    ['a challenge before the request', async () => undefined, () => encodeLicensingMessage({ type: 'PLATFORM_CHALLENGE', body: sealPlatformChallenge({ licensingEncryptionKey: Buffer.alloc(16), macSaltKey: Buffer.alloc(16) }) }), 'unexpected-message'],
    ['a second LICENSE_REQUEST', (c) => requested(c), () => licenseRequest(), 'unexpected-message'],
    ['a license without a challenge', (c) => requested(c), () => newLicense({ licensingEncryptionKey: Buffer.alloc(16), macSaltKey: Buffer.alloc(16) } as LicensingKeys), 'unexpected-message'],
    ['a client message', async () => undefined, () => decodeAndReencode(), 'unexpected-message'],
    ['wMsgSize off by one', async () => undefined, () => withSize(licenseRequest(), +1), 'invalid-message-length'],
    ['wMsgSize off by four', async () => undefined, () => withSize(licenseRequest(), -4), 'invalid-message-length'],
    ['garbage', async () => undefined, () => Buffer.from('0103'), 'invalid-message-length'],
    ['unknown message type', async () => undefined, () => Buffer.from('05030400', 'hex'), 'malformed-message'],
  ];
  for (const [name, setup, message, reason] of cases) {
    const client = makeClient();
    await setup(client);
    const step = await client.receive(message());
    t.same(step.send, [], name);
    t.equal(step.state, 'ABORTED', name);
    t.match(step.outcome, { kind: 'aborted', reason }, name);
  }
});

function withSize(b: Buffer, delta: number): Buffer {
  const out = Buffer.from(b);
  out.writeUInt16LE(b.length + delta, 2);
  return out;
}
function decodeAndReencode(): Buffer {
  return encodeLicensingMessage({
    type: 'NEW_LICENSE_REQUEST',
    body: { preferredKeyExchangeAlg: 1, platformId: 0, clientRandom: Buffer.alloc(32), encryptedPreMasterSecret: { blobType: 2, data: Buffer.alloc(0) }, clientUserName: 'x', clientMachineName: 'y' },
  });
}

t.test('the client answers challenges of any length it can verify (cbChallenge = length)', async (t) => {
  for (const len of [0, 9, 11, 64]) {
    const challenge = Buffer.alloc(len, 0x61);
    const { keys, step } = await challenged(makeClient(), challenge);
    const msg = decodeLicensingMessage(step.send[0]!);
    if (msg.type !== 'PLATFORM_CHALLENGE_RESPONSE') throw new Error(`${len}: ${msg.type}`);
    const { response } = decryptChallengeResponse(keys, msg.body);
    const data = decodeAll(response, decodePlatformChallengeResponseData, 'data');
    t.same(data.challenge, challenge, `${len} bytes echoed inside the structure`);
  }
});

t.test('fast-check: receive() never rejects, whatever arrives in whatever state', async () => {
  await fc.assert(
    fc.asyncProperty(fc.nat({ max: 2 }), fc.array(fc.oneof(bytes(0, 120), anyMessage.map((m) => encodeLicensingMessage(m))), { minLength: 1, maxLength: 4 }), async (setup, inputs) => {
      const client = makeClient({ random: seededRandom(setup + 10) });
      if (setup === 1) await requested(client);
      if (setup === 2) await challenged(client);
      for (const input of inputs) {
        const step = await client.receive(input);
        for (const out of step.send) decodeLicensingMessage(out);
      }
    }),
    { numRuns: 300 },
  );
});

t.test('the hwid option must be 20 bytes', async (t) => {
  t.throws(() => makeClient({ hwid: Buffer.alloc(19) }), RangeError);
});
