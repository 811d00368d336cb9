import t from 'tap';
import fc from 'fast-check';
import * as rdp from '../../../protocol/rdp/index.js';
import { ClientConnection, ServerConnection } from '../../../protocol/rdp/index.js';
import { seededRandom } from '../../../protocol/crypto/index.js';
import { DecodeError, Reader } from '../../../protocol/wire/index.js';
import { vector } from '../../helpers/vectors.js';
import { proprietaryCertificate, publicKeyOf, TSSK, VALID_CLIENT } from './helpers.js';
import { run } from './driver.js';

const CERT = proprietaryCertificate(TSSK);
const newServer = (security: rdp.SecurityPolicy) => new ServerConnection({ security, random: seededRandom(1), serverCertificate: CERT, privateKey: TSSK });
const newClient = (requestedProtocols: number | null) =>
  new ClientConnection({ userName: 'u', password: 'p', clientName: 'h', requestedProtocols, random: seededRandom(2), publicKeyOf, secureChecksum: true,
    channels: [{ name: 'rdpdr', options: 0 }, { name: 'rdpsnd', options: 0 }] });

/** Recorded sessions (standard security and TLS): the client's and server's frames, in order. */
function recorded(security: rdp.SecurityPolicy, requested: number | null) {
  const c = newClient(requested);
  const s = newServer(security);
  const log = run(c, s);
  log.toServer.push(c.sendLicensing(Buffer.concat([Buffer.from([0x13, 0x83, 0x10, 0x00]), Buffer.alloc(12)]), true));
  log.toClient.push(s.sendLicensing(VALID_CLIENT));
  return log;
}
const SESSIONS = [recorded('rdp', null), recorded('negotiate', 1)];

const inner = (f: Buffer) => f.subarray(7);
const DECODERS: Array<[string, (b: Buffer) => unknown]> = [
  ['extractTpktFrames', (b) => rdp.extractTpktFrames(b, 4096)],
  ['decodeTpktHeader', (b) => rdp.decodeTpktHeader(new Reader(b))],
  ['decodeX224ConnectionRequest', (b) => rdp.decodeX224ConnectionRequest(new Reader(b))],
  ['decodeX224ConnectionConfirm', (b) => rdp.decodeX224ConnectionConfirm(new Reader(b))],
  ['decodeX224Data', (b) => rdp.decodeX224Data(new Reader(b))],
  ['decodeMcsConnectInitial', (b) => rdp.decodeMcsConnectInitial(new Reader(b))],
  ['decodeMcsConnectResponse', (b) => rdp.decodeMcsConnectResponse(new Reader(b))],
  ['decodeMcsDomainPdu', (b) => rdp.decodeMcsDomainPdu(new Reader(b))],
  ['decodeMcsFrame', (b) => rdp.decodeMcsFrame(b)],
  ['decodeGccConferenceCreateRequest', (b) => rdp.decodeGccConferenceCreateRequest(new Reader(b))],
  ['decodeGccConferenceCreateResponse', (b) => rdp.decodeGccConferenceCreateResponse(new Reader(b))],
  ['decodeClientData', (b) => rdp.decodeClientData(new Reader(b))],
  ['decodeServerData', (b) => rdp.decodeServerData(new Reader(b))],
  ['decodeSecurityHeader', (b) => rdp.decodeSecurityHeader(new Reader(b))],
  ['decodeSecurityExchange', (b) => rdp.decodeSecurityExchange(new Reader(b))],
  ['decodeTsInfoPacket', (b) => rdp.decodeTsInfoPacket(new Reader(b))],
  ['decodeLicensingFrame', (b) => rdp.decodeLicensingFrame(b)],
  ['decodeDomainParameters', (b) => rdp.decodeDomainParameters(new Reader(b))],
];

/** Seeds for each decoder: recorded bytes at the right level, so mutations reach deep into the parsers. */
const SEEDS: Buffer[] = [
  ...SESSIONS.flatMap((s) => [...s.toServer, ...s.toClient]),
  ...SESSIONS.flatMap((s) => [...s.toServer, ...s.toClient].map(inner)),
  vector('rdpbcgr-4.1.11-license-error-valid-client.frame'),
];

const onlyDecodeError = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
  }
};

/** Arbitrary bytes, and seeds with random byte changes and truncations. */
const inputs = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  fc.tuple(fc.constantFrom(...SEEDS), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.option(fc.nat()))
    .map(([seed, edits, cut]) => {
      const b = Buffer.from(seed);
      for (const [at, v] of edits) if (b.length) b[at % b.length] = v;
      return cut === null ? b : b.subarray(0, cut % (b.length + 1));
    }),
);

for (const [name, decode] of DECODERS) {
  t.test(`${name}: arbitrary and mutated bytes throw only DecodeError`, async (t) => {
    fc.assert(fc.property(inputs, (b) => onlyDecodeError(() => decode(b))), { numRuns: 400 });
    t.pass();
  });
}

t.test('ServerConnection at each state: arbitrary or mutated input never throws, yields an error or needs more data', async (t) => {
  for (const session of SESSIONS) {
    const security: rdp.SecurityPolicy = session === SESSIONS[0] ? 'rdp' : 'negotiate';
    for (let k = 0; k < session.toServer.length; k++) {
      const prefix = session.toServer.slice(0, k);
      fc.assert(fc.property(inputs, (bytes) => {
        const s = newServer(security);
        for (const f of prefix) s.receive(f);
        const stateBefore = s.state;
        let events: rdp.ServerEvent[] = [];
        try {
          events = s.receive(bytes);
        } catch (e) {
          throw new Error(`receive threw in state ${stateBefore}: ${e}`);
        }
        const errors = events.filter((e) => e.type === 'error');
        if (errors.length > 0) return events.at(-1)!.type === 'error' && s.state === 'closed' && errors.length === 1;
        // No error: the input is an incomplete frame (kept for later), or it happened to be acceptable (a mutated but
        // well-formed PDU: the events say what it did, or it was silently taken, like an Erect Domain Request or a
        // Security Exchange with a different random).
        return s.bufferedBytes > 0 || events.length > 0 || bytes.length === 0 || s.state !== 'closed';
      }), { numRuns: 150 });
    }
  }
  t.pass();
});

t.test('ClientConnection at each state: arbitrary or mutated input never throws', async (t) => {
  for (const [i, session] of SESSIONS.entries()) {
    for (let k = 0; k < session.toClient.length; k++) {
      fc.assert(fc.property(inputs, (bytes) => {
        const c = newClient(i === 0 ? null : 1);
        c.start();
        for (const f of session.toClient.slice(0, k)) {
          for (const e of c.receive(f)) if (e.type === 'startTls') c.tlsEstablished();
        }
        const events = c.receive(bytes);
        const errors = events.filter((e) => e.type === 'error');
        return errors.length === 0 || (events.at(-1)!.type === 'error' && c.state === 'closed');
      }), { numRuns: 100 });
    }
  }
  t.pass();
});
