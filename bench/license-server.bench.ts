/**
 * License-server benchmarks: allocations per second (the rules alone, with real signed CALs, and through the HTTPS API
 * with an enrolled terminal server), and database bytes per issued license at 10,000 and 100,000 licenses (the seed:
 * "for every 6,000 client licenses issued, the license database will only grow about 5 MB", about 870 bytes each).
 */
import { statSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededRandom } from '../protocol/crypto/index.js';
import { SimulatedClock } from '../src/clock.js';
import { JsonClient } from '../src/http/json-client.js';
import { AdminClient } from '../src/license-server/admin-client.js';
import { startLicenseServerApi } from '../src/license-server/api.js';
import { HttpsLink } from '../src/license-server/https-link.js';
import { LicenseServer, type LicenseIssuer } from '../src/license-server/license-server.js';
import { LicenseServerNode } from '../src/license-server/node.js';
import { LicenseStore } from '../src/license-server/store.js';
import type { ClientIdentity } from '../src/license-server/types.js';
import { time, type Benchmark, type BenchRow } from './harness.js';
import { generateKeyPairSync } from 'node:crypto';

const W2000 = { major: 5, minor: 0 };

function device(n: number): ClientIdentity {
  const hwid = Buffer.alloc(20);
  hwid.writeUInt32LE(2, 0);
  hwid.writeUInt32LE(n, 4);
  hwid.writeUInt32LE(Math.imul(n, 2654435761) >>> 0, 8);
  return { hwid, machine: `PC${String(n).padStart(6, '0')}`, user: `user${n}`, platformId: 0x0201_0000 };
}

/** The rules without certificates: what the database and the token logic cost. */
const noCertificate: LicenseIssuer = { certificate: () => Buffer.alloc(0) };

function temp(): string {
  return mkdtempSync(join(tmpdir(), 'rdplic-bench-'));
}

function rulesServer(dir: string, tokens: number) {
  const clock = new SimulatedClock(Date.UTC(2026, 0, 1));
  const store = new LicenseStore(join(dir, 'ls.sqlite'));
  const server = new LicenseServer('LS1', store, clock, seededRandom(7), noCertificate, { postLogonIssuance: false });
  store.setSetting('activated', 'yes');
  for (let left = tokens, i = 0; left > 0; i++) {
    const total = Math.min(left, 50_000);
    store.insertKeyPack({ keypackId: `KP${i}`, source: `code${i}`, program: 'retail', type: 'per-device', product: W2000, total, installedAt: clock.now() });
    left -= total;
  }
  return { store, server, clock };
}

function databaseBytes(store: LicenseStore): number {
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  const size = (f: string) => {
    try {
      return statSync(f).size;
    } catch {
      return 0;
    }
  };
  return size(store.path) + size(`${store.path}-wal`);
}

async function allocate(server: LicenseServer, from: number, count: number): Promise<void> {
  for (let i = from; i < from + count; i++) {
    const r = await server.requestLicense({ terminalServer: 'TS1', client: device(i), product: W2000 });
    if (r.outcome !== 'issued' || r.license.kind !== 'cal') throw new Error(`allocation ${i} gave ${r.outcome}`);
  }
}

const allocationsPerSecond: Benchmark = {
  name: 'license server: allocations per second',
  async run() {
    const rows: BenchRow[] = [];
    {
      const dir = temp();
      const { store, server } = rulesServer(dir, 20_000);
      await allocate(server, 0, 200); // warm up
      const n = 10_000;
      const { ms } = await time(() => allocate(server, 1000, n));
      rows.push({ metric: 'new CAL, rules and database only', value: (n / ms) * 1000, unit: 'allocations/s', note: `${n} devices, one transaction each, synchronous=FULL` });
      const again = await time(() => allocate(server, 1000, n));
      rows.push({ metric: "device's own CAL again (lookup)", value: (n / again.ms) * 1000, unit: 'requests/s', note: `${n} devices` });
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
    const dir = temp();
    const clock = new SimulatedClock(Date.UTC(2026, 0, 1));
    const node = new LicenseServerNode({ dataDir: dir, name: 'LS1', scope: 'WORKGROUP', clock, options: { postLogonIssuance: false } });
    node.store.setSetting('activated', 'yes');
    node.store.insertKeyPack({ keypackId: 'KP', source: 'code', program: 'retail', type: 'per-device', product: W2000, total: 20_000, installedAt: clock.now() });
    {
      await allocate(node.server, 0, 100);
      const n = 3000;
      const { ms } = await time(() => allocate(node.server, 1000, n));
      rows.push({ metric: 'new CAL with its signed certificate', value: (n / ms) * 1000, unit: 'allocations/s', note: `${n} devices, RSA-2048 CAL signatures` });
    }
    {
      const api = await startLicenseServerApi(node);
      const admin = new AdminClient(new JsonClient({ url: api.url, serverCertificate: node.https.certificatePem, token: node.adminToken }));
      const { token } = await admin.enrolmentToken('TS1');
      const rdpKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'der' });
      const link = new HttpsLink(await HttpsLink.enrol(api.url, token, { name: 'TS1', publicKeyDer: rdpKey }));
      const n = 2000;
      const concurrency = 32;
      let next = 10_000;
      const worker = async () => {
        while (next < 10_000 + n) {
          const i = next++;
          const r = await link.requestLicense({ terminalServer: 'TS1', client: device(i), product: W2000 });
          if (r.outcome !== 'issued') throw new Error('not issued');
        }
      };
      await Promise.all(Array.from({ length: 4 }, () => link.ping()));
      const { ms } = await time(() => Promise.all(Array.from({ length: concurrency }, worker)));
      rows.push({ metric: 'new CAL through the HTTPS API', value: (n / ms) * 1000, unit: 'allocations/s', note: `${n} requests, ${concurrency} in flight, mutual TLS, keep-alive` });
      link.close();
      admin.http.close();
      await api.close();
    }
    node.close();
    rmSync(dir, { recursive: true, force: true });
    return rows;
  },
};

const bytesPerLicense: Benchmark = {
  name: 'license server: database bytes per issued license',
  async run() {
    const rows: BenchRow[] = [];
    for (const n of [10_000, 100_000]) {
      const dir = temp();
      const { store, server } = rulesServer(dir, n);
      const installed = databaseBytes(store);
      const { ms } = await time(() => allocate(server, 0, n));
      const total = databaseBytes(store);
      rows.push({
        metric: `${n.toLocaleString('en-US')} licenses: whole database / license`,
        value: total / n,
        unit: 'bytes',
        note: `${(total / 1e6).toFixed(1)} MB with ${n.toLocaleString('en-US')} installed tokens (seed: ~870)`,
      });
      rows.push({ metric: `${n.toLocaleString('en-US')} licenses: growth from issuing / license`, value: (total - installed) / n, unit: 'bytes', note: `key packs alone: ${(installed / 1e6).toFixed(1)} MB` });
      rows.push({ metric: `${n.toLocaleString('en-US')} licenses: allocation rate while filling`, value: (n / ms) * 1000, unit: 'allocations/s' });
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
    return rows;
  },
};

export const benchmarks: Benchmark[] = [allocationsPerSecond, bytesPerLicense];
