import t from 'tap';
import fc from 'fast-check';
import { deriveLicensingKeys, licensingMac, rc4, rsaEncryptLE, seededRandom } from '../../../protocol/crypto/index.js';
import {
  BB_CERTIFICATE_BLOB,
  BB_ERROR_BLOB,
  ERR_INVALID_CLIENT,
  ERR_INVALID_MAC,
  ERR_INVALID_MESSAGE_LEN,
  ERR_NO_LICENSE,
  ERR_NO_LICENSE_SERVER,
  PLATFORM_CHALLENGE_TEST,
  ST_NO_TRANSITION,
  ST_RESEND_LAST_MESSAGE,
  ST_RESET_PHASE_TO_START,
  ST_TOTAL_ABORT,
  decodeLicensingMessage,
  decodeNewLicenseInfoBytes,
  decryptNewLicense,
  decryptPlatformChallenge,
  encodeLicensingMessage,
  licenseErrorMessage,
  type LicensingMessage,
  type ServerLicenseRequest,
} from '../../../protocol/licensing/index.js';
import { ServerLicensing, type ServerPolicyInfo } from '../../../protocol/session/index.js';
import { anyMessage, bytes } from '../licensing/fixtures/arbitraries.js';
import { CAL, HWID, SERVER_KEY, alertOf, makeClient, makeServer, stubCertificate } from './fixtures/helpers.js';

function licenseRequestOf(server: ServerLicensing): ServerLicenseRequest {
  const msg = decodeLicensingMessage(server.start()[0]!);
  if (msg.type !== 'LICENSE_REQUEST') throw new Error(msg.type);
  return msg.body;
}

function only(step: { send: Buffer[] }): LicensingMessage {
  if (step.send.length !== 1) throw new Error(`${step.send.length} messages`);
  return decodeLicensingMessage(step.send[0]!);
}

/** A NEW_LICENSE_REQUEST built by hand (rdesktop style unless told otherwise). */
function newLicenseRequest(options: { clientRandom?: Buffer; premasterBlob?: Buffer; alg?: number; flags?: number } = {}): Buffer {
  return encodeLicensingMessage({
    type: 'NEW_LICENSE_REQUEST',
    preamble: { flags: options.flags ?? 0x03 },
    body: {
      preferredKeyExchangeAlg: options.alg ?? 1,
      platformId: 0xff010000,
      clientRandom: options.clientRandom ?? Buffer.alloc(32),
      encryptedPreMasterSecret: { blobType: 0x0002, data: options.premasterBlob ?? Buffer.alloc(72) },
      clientUserName: 'rdesktop-user',
      clientMachineName: 'labhost',
    },
  });
}

t.test('the LICENSE_REQUEST carries the configured product, scopes, certificate and RSA', async (t) => {
  const cert = stubCertificate(SERVER_KEY);
  const server = makeServer({ productInfo: { version: 0x000a0001 }, scopes: ['example.com', 'microsoft.com'] });
  const bytes = server.start()[0]!;
  t.equal(bytes[1], 0x03, 'preamble flags 0x03');
  const req = decodeLicensingMessage(bytes);
  if (req.type !== 'LICENSE_REQUEST') throw new Error(req.type);
  t.equal(req.body.serverRandom.length, 32);
  t.same([req.body.productInfo.version, req.body.productInfo.companyName, req.body.productInfo.productId], [0x000a0001, 'Microsoft Corporation', 'A02']);
  t.same(req.body.keyExchangeList.algorithms, [1]);
  t.same(req.body.serverCertificate, { blobType: BB_CERTIFICATE_BLOB, data: cert });
  t.same(req.body.scopeList.map((s) => s.issuer), ['example.com', 'microsoft.com']);
  t.equal(server.state, 'AWAIT_CLIENT');
  t.throws(() => server.start(), /start\(\) in state/);

  const xrdpLike = makeServer({ preambleVersion: 2, serverCertificate: Buffer.alloc(0) });
  const v2 = decodeLicensingMessage(xrdpLike.start()[0]!);
  t.equal(v2.preamble.flags, 0x02, 'preamble version 2 on request');
  if (v2.type !== 'LICENSE_REQUEST') throw new Error(v2.type);
  t.equal(v2.body.serverCertificate.data.length, 0, 'empty certificate blob allowed');
});

t.test('an rdesktop-style client (null randoms, zero premaster, echoed challenge, blob types 0x0001) gets a license', async (t) => {
  let info: ServerPolicyInfo | undefined;
  const server = makeServer({ policy: { issue: (i) => ((info = i), { action: 'issue', licenseInfo: CAL }) } });
  const { serverRandom } = licenseRequestOf(server);
  const challengeMsg = only(await server.receive(newLicenseRequest()));
  if (challengeMsg.type !== 'PLATFORM_CHALLENGE') throw new Error(challengeMsg.type);
  t.equal(challengeMsg.preamble.flags, 0x03);

  const keys = deriveLicensingKeys(Buffer.alloc(32), serverRandom, Buffer.alloc(48));
  const { challenge, macValid } = decryptPlatformChallenge(keys, challengeMsg.body);
  t.ok(macValid, 'the challenge MAC is right');
  t.same(challenge, PLATFORM_CHALLENGE_TEST, 'always "TEST\\0"');

  const hwid = Buffer.concat([Buffer.from('02000000', 'hex'), Buffer.from('labhost'.padEnd(16, '\0'))]);
  const response = encodeLicensingMessage({
    type: 'PLATFORM_CHALLENGE_RESPONSE',
    preamble: { flags: 0x03 },
    body: {
      encryptedPlatformChallengeResponse: { blobType: 0x0001, data: challengeMsg.body.encryptedPlatformChallenge.data }, // echoed as is
      encryptedHwid: { blobType: 0x0001, data: rc4(keys.licensingEncryptionKey, hwid) },
      macData: licensingMac(keys.macSaltKey, challenge, hwid),
    },
  });
  const licenseMsg = only(await server.receive(response));
  if (licenseMsg.type !== 'NEW_LICENSE') throw new Error(licenseMsg.type);
  const opened = decryptNewLicense(keys, licenseMsg.body);
  t.ok(opened.macValid);
  t.same(decodeNewLicenseInfoBytes(opened.plaintext).licenseInfo, CAL);
  t.equal(server.outcome?.kind, 'new-license');
  t.same(server.outcome?.hwid, hwid);
  t.same(info?.challengeResponse, { shape: 'echo', challengeMatches: true });
  t.equal(info?.userName, 'rdesktop-user');
  t.equal(info?.platformId, 0xff010000);
  t.same(info?.clientRandom, Buffer.alloc(32));
});

t.test('the spec-shaped response (PLATFORM_CHALLENGE_RESPONSE_DATA) is accepted too, with its details', async (t) => {
  let info: ServerPolicyInfo | undefined;
  const client = makeClient({ clientType: 0xff00, licenseDetailLevel: 2 });
  const server = makeServer({ policy: { issue: (i) => ((info = i), { action: 'issue', licenseInfo: CAL }) } });
  let msgs = server.start();
  while (msgs.length > 0 && !server.done) msgs = (await server.receive((await client.receive(msgs[0]!)).send[0]!)).send;
  t.same(info?.challengeResponse, { shape: 'data', version: 0x0100, clientType: 0xff00, licenseDetailLevel: 2, challengeMatches: true });
});

t.test('a response carrying another challenge is reported (challengeMatches false) for the policy to judge', async (t) => {
  let info: ServerPolicyInfo | undefined;
  const server = makeServer({ policy: { issue: (i) => ((info = i), { action: 'deny', errorCode: ERR_INVALID_CLIENT }) } });
  const { serverRandom } = licenseRequestOf(server);
  await server.receive(newLicenseRequest());
  const keys = deriveLicensingKeys(Buffer.alloc(32), serverRandom, Buffer.alloc(48));
  const wrong = Buffer.from('NOPE\0', 'utf16le');
  const step = await server.receive(
    encodeLicensingMessage({
      type: 'PLATFORM_CHALLENGE_RESPONSE',
      body: {
        encryptedPlatformChallengeResponse: { blobType: 9, data: rc4(keys.licensingEncryptionKey, wrong) },
        encryptedHwid: { blobType: 9, data: rc4(keys.licensingEncryptionKey, HWID) },
        macData: licensingMac(keys.macSaltKey, wrong, HWID),
      },
    }),
  );
  t.same(info?.challengeResponse, { shape: 'echo', challengeMatches: false });
  t.same(alertOf(step.send[0]!), { errorCode: ERR_INVALID_CLIENT, stateTransition: ST_TOTAL_ABORT });
  t.equal(server.outcome?.kind, 'denied');
});

t.test('the server accepts premaster blobs of any length (no modulus-length check)', async (t) => {
  const premaster = Buffer.alloc(48, 0x5a);
  const cr = Buffer.alloc(32, 0x11);
  for (const extra of [0, 8, 9]) {
    const server = makeServer();
    const { serverRandom } = licenseRequestOf(server);
    const c = rsaEncryptLE(SERVER_KEY, premaster).subarray(0, 64);
    const blob = Buffer.concat([c, Buffer.alloc(extra)]);
    const challenge = only(await server.receive(newLicenseRequest({ clientRandom: cr, premasterBlob: blob })));
    if (challenge.type !== 'PLATFORM_CHALLENGE') throw new Error(challenge.type);
    t.ok(decryptPlatformChallenge(deriveLicensingKeys(cr, serverRandom, premaster), challenge.body).macValid, `${64 + extra}-byte blob`);
  }
});

t.test('PreferredKeyExchangeAlg other than KEY_EXCHANGE_ALG_RSA is refused by the session (ERR_INVALID_CLIENT)', async (t) => {
  const server = makeServer();
  server.start();
  const bytes = newLicenseRequest({ alg: 2 });
  t.equal(decodeLicensingMessage(bytes).type, 'NEW_LICENSE_REQUEST', 'the decoder accepts it');
  const step = await server.receive(bytes);
  t.same(alertOf(step.send[0]!), { errorCode: ERR_INVALID_CLIENT, stateTransition: ST_TOTAL_ABORT });
  t.match(step.outcome, { kind: 'aborted', reason: 'unsupported-key-exchange' });
});

t.test('out-of-order messages are answered with ERR_INVALID_CLIENT / ST_TOTAL_ABORT and abort', async (t) => {
  const response = encodeLicensingMessage({
    type: 'PLATFORM_CHALLENGE_RESPONSE',
    body: { encryptedPlatformChallengeResponse: { blobType: 9, data: Buffer.alloc(18) }, encryptedHwid: { blobType: 9, data: Buffer.alloc(20) }, macData: Buffer.alloc(16) },
  });
  const cases: [string, (s: ServerLicensing) => Promise<void>, Buffer][] = [
    ['a response before any request', async (s) => void s.start(), response],
    ['a message before start()', async () => undefined, newLicenseRequest()],
    [
      'a second NEW_LICENSE_REQUEST',
      async (s) => {
        s.start();
        await s.receive(newLicenseRequest());
      },
      newLicenseRequest(),
    ],
    ['a server message (LICENSE_REQUEST) from the client', async (s) => void s.start(), makeServer().start()[0]!],
    [
      'a LICENSE_INFO while awaiting the response',
      async (s) => {
        s.start();
        await s.receive(newLicenseRequest());
      },
      encodeLicensingMessage({
        type: 'LICENSE_INFO',
        body: {
          preferredKeyExchangeAlg: 1,
          platformId: 0,
          clientRandom: Buffer.alloc(32),
          encryptedPreMasterSecret: { blobType: 2, data: Buffer.alloc(72) },
          licenseInfo: { blobType: 1, data: CAL },
          encryptedHwid: { blobType: 1, data: Buffer.alloc(20) },
          macData: Buffer.alloc(16),
        },
      }),
    ],
  ];
  for (const [name, setup, message] of cases) {
    const server = makeServer();
    await setup(server);
    const step = await server.receive(message);
    t.same(alertOf(step.send[0]!), { errorCode: ERR_INVALID_CLIENT, stateTransition: ST_TOTAL_ABORT }, name);
    t.equal(step.state, 'ABORTED', name);
    t.match(step.outcome, { kind: 'aborted', reason: 'unexpected-message' }, name);
    const after = await server.receive(message);
    t.same(after.send, [], `${name}: nothing more once aborted`);
  }
});

t.test('a wrong wMsgSize is answered with ERR_INVALID_MESSAGE_LEN; other garbage with ERR_INVALID_CLIENT', async (t) => {
  const good = newLicenseRequest();
  for (const delta of [-4, -1, 1, 4]) {
    const server = makeServer();
    server.start();
    const bad = Buffer.from(good);
    bad.writeUInt16LE(good.length + delta, 2);
    const step = await server.receive(bad);
    t.same(alertOf(step.send[0]!), { errorCode: ERR_INVALID_MESSAGE_LEN, stateTransition: ST_TOTAL_ABORT }, `wMsgSize ${delta > 0 ? '+' : ''}${delta}`);
    t.match(step.outcome, { kind: 'aborted', reason: 'invalid-message-length' });
    t.equal(step.events[0]?.type, 'MALFORMED');
  }
  const server = makeServer();
  server.start();
  const garbage = Buffer.from('13030800ffffffff', 'hex');
  const step = await server.receive(garbage);
  t.same(alertOf(step.send[0]!), { errorCode: ERR_INVALID_CLIENT, stateTransition: ST_TOTAL_ABORT });
  t.match(step.outcome, { kind: 'aborted', reason: 'malformed-message' });
});

t.test('client ERROR_ALERTs are handled per transition', async (t) => {
  const alert = (code: number, transition: number) => encodeLicensingMessage({ type: 'ERROR_ALERT', preamble: { flags: 0x83 }, body: licenseErrorMessage(code, transition) });

  let server = makeServer();
  server.start();
  let step = await server.receive(alert(ERR_INVALID_MAC, ST_TOTAL_ABORT));
  t.same(step.send, [], 'TOTAL_ABORT: nothing sent');
  t.match(step.outcome, { kind: 'aborted', reason: 'client-alert', errorCode: ERR_INVALID_MAC, stateTransition: ST_TOTAL_ABORT });

  server = makeServer();
  server.start();
  step = await server.receive(alert(ERR_NO_LICENSE, ST_NO_TRANSITION));
  t.same(step.send, [], 'NO_TRANSITION: nothing sent');
  t.equal(step.state, 'AWAIT_CLIENT', 'and the state stays');

  server = makeServer();
  const first = server.start()[0]!;
  step = await server.receive(alert(ERR_NO_LICENSE, ST_RESET_PHASE_TO_START));
  t.equal(only(step).type, 'LICENSE_REQUEST', 'RESET: a new LICENSE_REQUEST');
  t.not(step.send[0]!.toString('hex'), first.toString('hex'), 'with a new ServerRandom');
  t.equal(step.state, 'AWAIT_CLIENT');

  server = makeServer();
  server.start();
  const challenge = (await server.receive(newLicenseRequest())).send[0]!;
  step = await server.receive(alert(ERR_NO_LICENSE, ST_RESEND_LAST_MESSAGE));
  t.same(step.send, [challenge], 'RESEND: the last message again');
  t.equal(step.state, 'AWAIT_RESPONSE');
  t.equal(step.events.at(-1)?.detail, 'resent');

  server = makeServer();
  server.start();
  step = await server.receive(alert(0xffffffff, 5));
  t.same(alertOf(step.send[0]!), { errorCode: ERR_INVALID_CLIENT, stateTransition: ST_TOTAL_ABORT }, 'unknown transition: refused');
  t.match(step.events[0]?.detail, /unknown\(0xffffffff\)\/unknown\(0x00000005\)/);
});

t.test('a failing or nonsensical policy ends licensing with ERR_NO_LICENSE_SERVER', async (t) => {
  const policies = [
    { onNewLicenseRequest: () => Promise.reject(new Error('license server down')) },
    {
      onNewLicenseRequest: () => {
        throw new Error('boom');
      },
    },
    { onNewLicenseRequest: () => ({ action: 'launch-missiles' }) as never },
    { onNewLicenseRequest: () => ({ action: 'deny', errorCode: -1 }) as never },
  ];
  for (const policy of policies) {
    const server = makeServer({ policy });
    server.start();
    const step = await server.receive(newLicenseRequest());
    t.same(alertOf(step.send[0]!), { errorCode: ERR_NO_LICENSE_SERVER, stateTransition: ST_TOTAL_ABORT });
    t.match(step.outcome, { kind: 'aborted', reason: 'policy-error' });
  }
  const huge = makeServer({ policy: { issue: () => ({ action: 'issue', licenseInfo: Buffer.alloc(70000) }) } });
  const client = makeClient();
  let msgs = huge.start();
  for (let i = 0; i < 2; i++) msgs = (await huge.receive((await client.receive(msgs[0]!)).send[0]!)).send;
  t.same(alertOf(msgs[0]!), { errorCode: ERR_NO_LICENSE_SERVER, stateTransition: ST_TOTAL_ABORT }, 'a CAL too large for NEW_LICENSE');
  t.match(huge.outcome, { kind: 'aborted', reason: 'policy-error', detail: /cannot be encoded/ });
});

t.test('receive() calls are serialized, even with a slow async policy', async (t) => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const server = makeServer({ policy: { onNewLicenseRequest: async () => (await gate, { action: 'challenge' }) } });
  server.start();
  const first = server.receive(newLicenseRequest());
  const second = server.receive(newLicenseRequest());
  release();
  const [a, b] = await Promise.all([first, second]);
  t.equal(only(a).type, 'PLATFORM_CHALLENGE');
  t.same(alertOf(b.send[0]!), { errorCode: ERR_INVALID_CLIENT, stateTransition: ST_TOTAL_ABORT }, 'the second one is out of order');
});

t.test('fast-check: receive() never rejects, whatever arrives in whatever state', async () => {
  await fc.assert(
    fc.asyncProperty(fc.nat({ max: 2 }), fc.array(fc.oneof(bytes(0, 120), anyMessage.map((m) => encodeLicensingMessage(m))), { minLength: 1, maxLength: 4 }), async (setup, inputs) => {
      const server = makeServer({ random: seededRandom(setup + 1) });
      if (setup >= 1) server.start();
      if (setup >= 2) await server.receive(newLicenseRequest());
      for (const input of inputs) {
        const step = await server.receive(input);
        for (const out of step.send) decodeLicensingMessage(out);
      }
    }),
    { numRuns: 300 },
  );
});

t.test('the valid-client alert has an empty BB_ERROR_BLOB', async (t) => {
  const server = makeServer({ policy: { onStart: () => 'valid-client' } });
  const msg = decodeLicensingMessage(server.start()[0]!);
  if (msg.type !== 'ERROR_ALERT') throw new Error(msg.type);
  t.same(msg.body.errorInfo, { blobType: BB_ERROR_BLOB, data: Buffer.alloc(0) });
  t.equal(server.outcome?.kind, 'valid-client');
});
