/**
 * The protocol core: decode and encode throughput of licensing messages (the byte-exact vectors), key derivations,
 * the RSA operations a connection costs, CAL parsing, and a whole in-process licensing exchange.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { parseClientLicense } from '../protocol/cal/index.js';
import { deriveLicensingKeys, rc4, rsaDecryptLE, rsaEncryptLE, rsaPrivateKeyFromPem, seededRandom } from '../protocol/crypto/index.js';
import { decodeLicensingMessage, encodeLicensingMessage } from '../protocol/licensing/index.js';
import { ClientLicensing, ServerLicensing } from '../protocol/session/index.js';
import { time, type Benchmark, type BenchRow } from './harness.js';

const VECTORS = new URL('../test/vectors/', import.meta.url);
const hexFile = (name: string) =>
  Buffer.from(
    readFileSync(new URL(name, VECTORS), 'utf8')
      .split('\n')
      .filter((l) => !l.startsWith('#'))
      .join('')
      .replace(/\s+/g, ''),
    'hex',
  );

/** Every licensing message among the vectors (bare messages, not frames or inner structures). */
function messages(): Buffer[] {
  return readdirSync(VECTORS)
    .filter((f) => f.endsWith('.hex') && (f.startsWith('rdpele-') || f.startsWith('ironrdp-')) && !f.includes('.plain') && !f.includes('.der'))
    .map(hexFile);
}

async function rate(n: number, fn: () => void): Promise<number> {
  fn();
  const { ms } = await time(() => {
    for (let i = 0; i < n; i++) fn();
  });
  return (n * 1000) / ms;
}

export const benchmarks: Benchmark[] = [
  {
    name: 'protocol: licensing messages, keys, RSA',
    async run(): Promise<BenchRow[]> {
      const msgs = messages();
      const bytes = msgs.reduce((a, m) => a + m.length, 0);
      const decoded = msgs.map((m) => decodeLicensingMessage(m));
      const rounds = 2000;
      const decodeRate = await rate(rounds, () => msgs.forEach((m) => decodeLicensingMessage(m)));
      const encodeRate = await rate(rounds, () => decoded.forEach((d) => encodeLicensingMessage(d)));
      const r = seededRandom(1);
      const cr = r.bytes(32), sr = r.bytes(32), pms = r.bytes(48);
      const kdf = await rate(20_000, () => deriveLicensingKeys(cr, sr, pms));
      const rc4Buf = Buffer.alloc(64 * 1024);
      const rc4Rate = await rate(200, () => rc4(pms.subarray(0, 16), rc4Buf));
      const key = rsaPrivateKeyFromPem(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
      const blob = rsaEncryptLE(key, pms);
      const rsaDec = await rate(50, () => rsaDecryptLE(key, blob, 48));
      const rsaEnc = await rate(500, () => rsaEncryptLE(key, pms));
      const cal = hexFile('cal-spec-rodent.der.hex');
      const calRate = await rate(500, () => parseClientLicense(cal));
      return [
        { metric: 'decode', value: decodeRate * msgs.length, unit: 'messages/s', note: `${msgs.length} vectors, ${((decodeRate * bytes) / 1e6).toFixed(1)} MB/s` },
        { metric: 'encode', value: encodeRate * msgs.length, unit: 'messages/s', note: `${((encodeRate * bytes) / 1e6).toFixed(1)} MB/s` },
        { metric: 'licensing key derivations', value: kdf, unit: '/s', note: 'master secret, session key blob, LEK' },
        { metric: 'RC4', value: (rc4Rate * rc4Buf.length) / 1e6, unit: 'MB/s' },
        { metric: 'RSA-2048 premaster decryption', value: rsaDec, unit: '/s', note: 'raw little-endian, CRT (one per licensing session)' },
        { metric: 'RSA-2048 premaster encryption', value: rsaEnc, unit: '/s', note: 'e = 65537 (client side)' },
        { metric: 'CAL parse + signature check', value: calRate, unit: '/s', note: 'the spec CAL, 1945 bytes' },
      ];
    },
  },
  {
    name: 'protocol: whole licensing exchanges in process',
    async run(): Promise<BenchRow[]> {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const key = rsaPrivateKeyFromPem(privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
      const license = Buffer.alloc(2000, 1);
      const one = async (i: number) => {
        const server = new ServerLicensing({ random: seededRandom(i), serverCertificate: Buffer.alloc(0), privateKey: key, policy: { issue: () => ({ action: 'issue', licenseInfo: license }) } });
        const client = new ClientLicensing({ random: seededRandom(i + 1), hwid: Buffer.alloc(20, i), userName: 'u', machineName: 'm', publicKeyOf: () => key });
        let toClient = server.start();
        while (toClient.length > 0) {
          const toServer: Buffer[] = [];
          for (const m of toClient) toServer.push(...(await client.receive(m)).send);
          toClient = [];
          for (const m of toServer) toClient.push(...(await server.receive(m)).send);
        }
      };
      await one(0);
      const n = 100;
      const { ms } = await time(async () => {
        for (let i = 0; i < n; i++) await one(i);
      });
      return [{ metric: 'new-license exchanges', value: (n * 1000) / ms, unit: '/s', note: 'request, challenge, response, license; RSA-2048' }];
    },
  },
];
