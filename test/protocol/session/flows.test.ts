/** In-process ClientLicensing <-> ServerLicensing: every flow of RDPELE.md §6 end to end. */
import t from 'tap';
import {
  ERR_INVALID_CLIENT,
  ERR_INVALID_MAC,
  ERR_INVALID_MESSAGE_LEN,
  ERR_INVALID_PRODUCTID,
  ERR_INVALID_SCOPE,
  ERR_INVALID_SERVER_CERTIFICATE,
  ERR_NO_LICENSE,
  ERR_NO_LICENSE_SERVER,
  ST_NO_TRANSITION,
  ST_RESEND_LAST_MESSAGE,
  ST_RESET_PHASE_TO_START,
  ST_TOTAL_ABORT,
  STATUS_VALID_CLIENT,
  decodeLicensingMessage,
  encodeLicensingMessage,
  errorCodeName,
  stateTransitionName,
  type LicensingMessage,
} from '../../../protocol/licensing/index.js';
import { MemoryLicenseStore, formatLicensingEvent, type ServerLicensingPolicy } from '../../../protocol/session/index.js';
import { seededRandom } from '../../../protocol/crypto/index.js';
import { CAL, CAL2, HWID, alertOf, flow, makeClient, makeServer, pump } from './fixtures/helpers.js';

const issuing: ServerLicensingPolicy = { issue: () => ({ action: 'issue', licenseInfo: CAL }) };

/** A store that already holds CAL for the default product (filled by a first session). */
async function storeWithLicense(): Promise<MemoryLicenseStore> {
  const store = new MemoryLicenseStore();
  await pump(makeClient({ store }), makeServer({ policy: issuing }));
  return store;
}

t.test('new license: request, challenge, response, NEW_LICENSE; the client stores the CAL', async (t) => {
  const store = new MemoryLicenseStore();
  const client = makeClient({ store });
  let seen: Parameters<NonNullable<ServerLicensingPolicy['issue']>>[0] | undefined;
  const server = makeServer({ policy: { issue: (info) => ((seen = info), { action: 'issue', licenseInfo: CAL }) } });
  const transcript = await pump(client, server);
  t.equal(flow(transcript), 'server:LICENSE_REQUEST client:NEW_LICENSE_REQUEST server:PLATFORM_CHALLENGE client:PLATFORM_CHALLENGE_RESPONSE server:NEW_LICENSE');
  t.same(transcript.map((m) => m.bytes[1]), [0x03, 0x83, 0x03, 0x83, 0x03], 'server flags 0x03, client flags 0x83');

  t.equal(server.state, 'COMPLETED');
  t.equal(server.outcome?.kind, 'new-license');
  t.same(server.outcome?.hwid, HWID);
  t.same(server.outcome?.licenseInfo, CAL);
  t.equal(seen?.userName, 'Administrator');
  t.equal(seen?.machineName, 'RODENT');
  t.equal(seen?.platformId, 0x04010000);
  t.equal(seen?.preambleFlags, 0x83);
  t.same(seen?.hardwareId, { platformId: 2, data1: 0x3e8759f1, data2: 0xaf98d8c9, data3: 0xf3f80224, data4: 0x26f03a29 });
  t.same(seen?.challengeResponse, { shape: 'data', version: 0x0100, clientType: 0x0100, licenseDetailLevel: 3, challengeMatches: true });

  t.equal(client.state, 'COMPLETED');
  t.equal(client.outcome?.kind, 'new-license');
  t.same(client.outcome?.license, CAL);
  t.equal(client.outcome?.stored, true);
  t.same(client.outcome?.newLicenseInfo && { ...client.outcome.newLicenseInfo, scopeRaw: 0, companyNameRaw: 0, productIdRaw: 0 }, {
    version: 0x00060000,
    scope: 'microsoft.com',
    scopeRaw: 0,
    companyName: 'Microsoft Corporation',
    companyNameRaw: 0,
    productId: 'A02',
    productIdRaw: 0,
    licenseInfo: CAL,
  });
  const [entry] = store.entries.values();
  t.same(entry, { key: { version: 0x00060000, scope: 'microsoft.com', companyName: 'Microsoft Corporation', productId: 'A02' }, licenseInfo: CAL, kind: 'new' });

  const challenge = decodeLicensingMessage(transcript[2]!.bytes);
  if (challenge.type !== 'PLATFORM_CHALLENGE') throw new Error(challenge.type);
  t.equal(challenge.body.connectFlags, 0, 'ConnectFlags 0');
  t.equal(challenge.body.encryptedPlatformChallenge.data.length, 10, '"TEST\\0" is 10 bytes');
});

t.test('license info -> valid client (the server accepts the presented CAL)', async (t) => {
  const store = await storeWithLicense();
  const client = makeClient({ store, random: seededRandom(99) });
  let presented: Buffer | undefined;
  const server = makeServer({ random: seededRandom(98), policy: { validate: (info) => ((presented = info.presentedLicense), { action: 'accept' }) } });
  const transcript = await pump(client, server);
  t.equal(flow(transcript), 'server:LICENSE_REQUEST client:LICENSE_INFO server:ERROR_ALERT');
  t.same(alertOf(transcript[2]!.bytes), { errorCode: STATUS_VALID_CLIENT, stateTransition: ST_NO_TRANSITION });
  t.same(presented, CAL, 'the CAL is presented unchanged');
  t.equal(server.outcome?.kind, 'valid-client');
  t.same(server.outcome?.hwid, HWID, 'HWID decrypted and MAC-checked');
  t.equal(client.outcome?.kind, 'valid-client');
  t.equal(client.outcome?.presentedLicense, true);
});

t.test('license info -> challenge -> UPGRADE_LICENSE replaces the stored CAL', async (t) => {
  const store = await storeWithLicense();
  const client = makeClient({ store, random: seededRandom(5) });
  const server = makeServer({
    random: seededRandom(6),
    policy: {
      validate: () => ({ action: 'upgrade' }),
      upgrade: (info) => {
        t.same(info.presentedLicense, CAL);
        t.equal(info.flow, 'upgrade');
        return { action: 'upgrade', licenseInfo: CAL2 };
      },
    },
  });
  const transcript = await pump(client, server);
  t.equal(flow(transcript), 'server:LICENSE_REQUEST client:LICENSE_INFO server:PLATFORM_CHALLENGE client:PLATFORM_CHALLENGE_RESPONSE server:UPGRADE_LICENSE');
  t.equal(server.outcome?.kind, 'upgrade-license');
  t.same(server.outcome?.licenseInfo, CAL2);
  t.equal(client.outcome?.kind, 'upgrade-license');
  t.equal(client.outcome?.stored, true);
  const [entry] = store.entries.values();
  t.same(entry?.licenseInfo, CAL2);
  t.equal(entry?.kind, 'upgrade');
});

t.test('license info -> challenge -> valid client when the policy cannot upgrade (default upgrade hook)', async (t) => {
  const store = await storeWithLicense();
  const client = makeClient({ store, random: seededRandom(7) });
  const server = makeServer({ random: seededRandom(8), policy: { validate: () => ({ action: 'upgrade' }) } });
  const transcript = await pump(client, server);
  t.equal(flow(transcript), 'server:LICENSE_REQUEST client:LICENSE_INFO server:PLATFORM_CHALLENGE client:PLATFORM_CHALLENGE_RESPONSE server:ERROR_ALERT');
  t.equal(server.outcome?.kind, 'valid-client');
  t.equal(client.outcome?.kind, 'valid-client');
});

t.test('STATUS_VALID_CLIENT is accepted in every client state', async (t) => {
  const cases: [string, ServerLicensingPolicy, string][] = [
    ['before the request (licensing off)', { onStart: () => 'valid-client' }, 'server:ERROR_ALERT'],
    ['after the request', { onNewLicenseRequest: () => ({ action: 'accept' }) }, 'server:LICENSE_REQUEST client:NEW_LICENSE_REQUEST server:ERROR_ALERT'],
    [
      'after the challenge response, instead of the new license',
      { issue: () => ({ action: 'accept' }) },
      'server:LICENSE_REQUEST client:NEW_LICENSE_REQUEST server:PLATFORM_CHALLENGE client:PLATFORM_CHALLENGE_RESPONSE server:ERROR_ALERT',
    ],
  ];
  for (const [name, policy, expected] of cases) {
    const client = makeClient();
    const server = makeServer({ policy });
    const transcript = await pump(client, server);
    t.equal(flow(transcript), expected, name);
    t.same(alertOf(transcript.at(-1)!.bytes), { errorCode: STATUS_VALID_CLIENT, stateTransition: ST_NO_TRANSITION }, name);
    t.equal(server.state, 'COMPLETED', name);
    t.equal(server.outcome?.kind, 'valid-client', name);
    t.equal(client.state, 'COMPLETED', name);
    t.equal(client.outcome?.kind, 'valid-client', name);
  }
  // Before the request, the server's alert is the very first message (start() returns it).
  const server = makeServer({ policy: { onStart: () => 'valid-client' } });
  const [only] = server.start();
  t.equal(only!.toString('hex'), 'ff031000070000000200000004000000', 'the 16 Valid-Client bytes');
  t.equal(server.state, 'COMPLETED');
});

const ERROR_CODES = [
  ERR_INVALID_SERVER_CERTIFICATE,
  ERR_NO_LICENSE,
  ERR_INVALID_MAC,
  ERR_INVALID_SCOPE,
  ERR_NO_LICENSE_SERVER,
  STATUS_VALID_CLIENT,
  ERR_INVALID_CLIENT,
  ERR_INVALID_PRODUCTID,
  ERR_INVALID_MESSAGE_LEN,
];
const TRANSITIONS = [ST_TOTAL_ABORT, ST_NO_TRANSITION, ST_RESET_PHASE_TO_START, ST_RESEND_LAST_MESSAGE];

/** A policy that denies once at `hook` with (code, transition), then lets everything through to a new license. */
function denyOnce(hook: 'onNewLicenseRequest' | 'issue', errorCode: number, stateTransition: number): ServerLicensingPolicy {
  let denied = false;
  const deny = () => {
    if (denied) return undefined;
    denied = true;
    return { action: 'deny' as const, errorCode, stateTransition };
  };
  return hook === 'onNewLicenseRequest'
    ? { onNewLicenseRequest: () => deny() ?? { action: 'challenge' }, issue: () => ({ action: 'issue', licenseInfo: CAL }) }
    : { issue: () => deny() ?? { action: 'issue', licenseInfo: CAL } };
}

for (const hook of ['onNewLicenseRequest', 'issue'] as const) {
  t.test(`every error code x state transition from the server (policy.${hook}) and what each side does`, async (t) => {
    for (const code of ERROR_CODES) {
      for (const transition of TRANSITIONS) {
        const name = `${errorCodeName(code)}/${stateTransitionName(transition)}`;
        const client = makeClient();
        const server = makeServer({ policy: denyOnce(hook, code, transition) });
        const transcript = await pump(client, server);
        const alert = transcript.find((m) => m.from === 'server' && m.type === 'ERROR_ALERT')!;
        t.same(alertOf(alert.bytes), { errorCode: code, stateTransition: transition }, `${name}: the alert is sent`);
        if (code === STATUS_VALID_CLIENT) {
          // The client ends licensing on STATUS_VALID_CLIENT whatever the transition (FreeRDP does the same).
          t.equal(client.outcome?.kind, 'valid-client', `${name}: client valid-client`);
          t.equal(client.state, 'COMPLETED', name);
          continue;
        }
        switch (transition) {
          case ST_TOTAL_ABORT:
            t.equal(server.state, 'ABORTED', `${name}: server aborted`);
            t.match(server.outcome, { kind: 'denied', errorCode: code, stateTransition: transition }, name);
            t.equal(client.state, 'ABORTED', `${name}: client aborted`);
            t.match(client.outcome, { kind: 'denied', errorCode: code, stateTransition: transition }, name);
            break;
          case ST_NO_TRANSITION:
            t.equal(server.state, 'COMPLETED', `${name}: server completed`);
            t.match(server.outcome, { kind: 'denied', errorCode: code }, name);
            t.equal(client.state, 'COMPLETED', `${name}: client completed with the error`);
            t.match(client.outcome, { kind: 'denied', errorCode: code, stateTransition: transition }, name);
            break;
          case ST_RESET_PHASE_TO_START:
            t.match(flow(transcript), /server:ERROR_ALERT server:LICENSE_REQUEST client:NEW_LICENSE_REQUEST/, `${name}: back to the start`);
            t.equal(server.outcome?.kind, 'new-license', `${name}: second pass issues`);
            t.equal(client.outcome?.kind, 'new-license', name);
            break;
          case ST_RESEND_LAST_MESSAGE: {
            const clientMsgs = transcript.filter((m) => m.from === 'client');
            const resent = clientMsgs.findIndex((m, i) => i > 0 && m.bytes.equals(clientMsgs[i - 1]!.bytes));
            t.ok(resent > 0, `${name}: the client resent its last message`);
            t.equal(server.outcome?.kind, 'new-license', `${name}: then licensing goes on`);
            t.equal(client.outcome?.kind, 'new-license', name);
            break;
          }
        }
      }
    }
  });
}

t.test('LICENSE_INFO denied (policy.validate) with each transition', async (t) => {
  for (const transition of TRANSITIONS) {
    const store = await storeWithLicense();
    let denied = false;
    const client = makeClient({ store, random: seededRandom(31) });
    const server = makeServer({
      random: seededRandom(32),
      policy: {
        validate: () => (denied ? { action: 'accept' } : ((denied = true), { action: 'deny', errorCode: ERR_INVALID_CLIENT, stateTransition: transition })),
      },
    });
    const transcript = await pump(client, server);
    const name = stateTransitionName(transition);
    if (transition === ST_TOTAL_ABORT) t.equal(client.outcome?.kind, 'denied', name);
    else if (transition === ST_NO_TRANSITION) t.equal(client.state, 'COMPLETED', name);
    else {
      t.equal(client.outcome?.kind, 'valid-client', `${name}: accepted on the second pass`);
      t.match(flow(transcript), /client:LICENSE_INFO server:ERROR_ALERT (server:LICENSE_REQUEST )?client:LICENSE_INFO server:ERROR_ALERT$/, name);
    }
  }
});

t.test('endless resets and resends are cut off', async (t) => {
  for (const transition of [ST_RESET_PHASE_TO_START, ST_RESEND_LAST_MESSAGE]) {
    const client = makeClient();
    const server = makeServer({ policy: { onNewLicenseRequest: () => ({ action: 'deny', errorCode: ERR_NO_LICENSE_SERVER, stateTransition: transition }) } });
    const transcript = await pump(client, server);
    t.ok(transcript.length < 20, `${stateTransitionName(transition)}: it ends`);
    t.equal(server.state, 'ABORTED');
    t.match(server.outcome, { kind: 'aborted', reason: 'too-many-retries' });
    t.equal(client.state, 'ABORTED');
  }
});

/** Decodes, lets `edit` change the message, re-encodes. */
function edit(bytes: Buffer, change: (m: LicensingMessage) => void): Buffer {
  const m = decodeLicensingMessage(bytes);
  change(m);
  return encodeLicensingMessage(m);
}
const flipMac = (m: LicensingMessage) => {
  if ('macData' in m.body) m.body.macData = Buffer.from(m.body.macData.map((b, i) => (i === 0 ? b ^ 1 : b)));
};

t.test('a tampered MAC in the challenge response is answered with ERR_INVALID_MAC and aborts', async (t) => {
  const client = makeClient();
  const server = makeServer({ policy: issuing });
  const transcript = await pump(client, server, (m) => (m.type === 'PLATFORM_CHALLENGE_RESPONSE' ? edit(m.bytes, flipMac) : undefined));
  t.equal(flow(transcript), 'server:LICENSE_REQUEST client:NEW_LICENSE_REQUEST server:PLATFORM_CHALLENGE client:PLATFORM_CHALLENGE_RESPONSE server:ERROR_ALERT');
  t.same(alertOf(transcript[4]!.bytes), { errorCode: ERR_INVALID_MAC, stateTransition: ST_TOTAL_ABORT });
  t.match(server.outcome, { kind: 'aborted', reason: 'invalid-mac', errorCode: ERR_INVALID_MAC });
  t.match(client.outcome, { kind: 'denied', errorCode: ERR_INVALID_MAC, stateTransition: ST_TOTAL_ABORT });
});

t.test('a tampered MAC in LICENSE_INFO is answered with ERR_INVALID_MAC', async (t) => {
  const store = await storeWithLicense();
  const client = makeClient({ store, random: seededRandom(11) });
  const server = makeServer({ random: seededRandom(12) });
  const transcript = await pump(client, server, (m) => (m.type === 'LICENSE_INFO' ? edit(m.bytes, flipMac) : undefined));
  t.same(alertOf(transcript.at(-1)!.bytes), { errorCode: ERR_INVALID_MAC, stateTransition: ST_TOTAL_ABORT });
  t.match(server.outcome, { kind: 'aborted', reason: 'invalid-mac' });
});

t.test('a tampered MAC in the challenge makes the client send ERR_INVALID_MAC and abort', async (t) => {
  const client = makeClient();
  const server = makeServer({ policy: issuing });
  const transcript = await pump(client, server, (m) => (m.type === 'PLATFORM_CHALLENGE' ? edit(m.bytes, flipMac) : undefined));
  t.equal(flow(transcript), 'server:LICENSE_REQUEST client:NEW_LICENSE_REQUEST server:PLATFORM_CHALLENGE client:ERROR_ALERT');
  t.same(alertOf(transcript[3]!.bytes), { errorCode: ERR_INVALID_MAC, stateTransition: ST_TOTAL_ABORT });
  t.match(client.outcome, { kind: 'aborted', reason: 'invalid-mac', errorCode: ERR_INVALID_MAC });
  t.match(server.outcome, { kind: 'aborted', reason: 'client-alert', errorCode: ERR_INVALID_MAC });
});

t.test('a tampered MAC in NEW_LICENSE: the client refuses the license, alerts and stores nothing', async (t) => {
  const store = new MemoryLicenseStore();
  const client = makeClient({ store });
  const server = makeServer({ policy: issuing });
  const transcript = await pump(client, server, (m) => (m.type === 'NEW_LICENSE' ? edit(m.bytes, flipMac) : undefined));
  t.equal(transcript.at(-1)!.type, 'ERROR_ALERT');
  t.same(alertOf(transcript.at(-1)!.bytes), { errorCode: ERR_INVALID_MAC, stateTransition: ST_TOTAL_ABORT });
  t.match(client.outcome, { kind: 'aborted', reason: 'invalid-mac' });
  t.equal(store.entries.size, 0);
  t.equal(server.outcome?.kind, 'new-license', 'the server had finished; it ignores the late alert');
  t.match(server.trace.at(-1)?.detail, /ignored/);
});

t.test('a null-keys client (all-zero randoms, no RSA) gets a license', async (t) => {
  const client = makeClient({ nullKeys: true });
  const server = makeServer({ policy: issuing });
  const transcript = await pump(client, server);
  const req = decodeLicensingMessage(transcript[1]!.bytes);
  if (req.type !== 'NEW_LICENSE_REQUEST') throw new Error(req.type);
  t.same(req.body.clientRandom, Buffer.alloc(32));
  t.same(req.body.encryptedPreMasterSecret.data, Buffer.alloc(72));
  t.equal(client.outcome?.kind, 'new-license');
  t.same(server.outcome?.info?.clientRandom, Buffer.alloc(32));
});

t.test('two sessions interleaved on two servers stay separate', async (t) => {
  const hwidB = Buffer.from('00000104' + '11'.repeat(16), 'hex');
  const a = { client: makeClient({ random: seededRandom(21) }), server: makeServer({ random: seededRandom(22), policy: issuing }) };
  const b = {
    client: makeClient({ random: seededRandom(23), hwid: hwidB, userName: 'bob' }),
    server: makeServer({ random: seededRandom(24), policy: { issue: (info) => ({ action: 'issue', licenseInfo: Buffer.from(`CAL for ${info.userName}`) }) } }),
  };
  let toA = a.server.start();
  let toB = b.server.start();
  const lastA: Buffer[] = [];
  for (let i = 0; i < 2; i++) {
    const ca = (await a.client.receive(toA[0]!)).send;
    const cb = (await b.client.receive(toB[0]!)).send;
    lastA.splice(0, 1, ...ca);
    toA = (await a.server.receive(ca[0]!)).send;
    toB = (await b.server.receive(cb[0]!)).send;
  }
  await a.client.receive(toA[0]!);
  await b.client.receive(toB[0]!);
  t.equal(a.client.outcome?.kind, 'new-license');
  t.same(a.client.outcome?.license, CAL);
  t.same(a.server.outcome?.hwid, HWID);
  t.same(b.client.outcome?.license, Buffer.from('CAL for bob'));
  t.same(b.server.outcome?.hwid, hwidB);

  // A response made for server A does not verify on a third server in the same state.
  const c = makeServer({ random: seededRandom(25), policy: issuing });
  const probe = makeClient({ random: seededRandom(26) });
  const req = (await probe.receive(c.start()[0]!)).send[0]!;
  await c.receive(req);
  const step = await c.receive(lastA[0]!);
  t.same(alertOf(step.send[0]!), { errorCode: ERR_INVALID_MAC, stateTransition: ST_TOTAL_ABORT });
});

t.test('one readable event per licensing message', async (t) => {
  const lines: string[] = [];
  const client = makeClient({ onEvent: (e) => lines.push(formatLicensingEvent(e)) });
  const server = makeServer({ policy: issuing, onEvent: (e) => lines.push(formatLicensingEvent(e)) });
  await pump(client, server);
  t.equal(server.trace.length, 5, 'server: 3 sent + 2 received');
  t.equal(client.trace.length, 5);
  t.same(
    server.trace.map((e) => [e.direction, e.type, e.state]),
    [
      ['sent', 'LICENSE_REQUEST', 'AWAIT_CLIENT'],
      ['received', 'NEW_LICENSE_REQUEST', 'AWAIT_RESPONSE'],
      ['sent', 'PLATFORM_CHALLENGE', 'AWAIT_RESPONSE'],
      ['received', 'PLATFORM_CHALLENGE_RESPONSE', 'COMPLETED'],
      ['sent', 'NEW_LICENSE', 'COMPLETED'],
    ],
  );
  t.match(lines[0], /^server -> LICENSE_REQUEST \(\d+ bytes\) state AWAIT_CLIENT$/);
  t.ok(lines.includes(`client <- NEW_LICENSE (${server.trace[4]!.size} bytes) state COMPLETED`));
});
