import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededRandom } from '../../protocol/crypto/index.js';
import { SimulatedClock } from '../../src/clock.js';
import { LicenseServer, type LicenseIssuer, type LicenseServerOptions, type PeerDirectory } from '../../src/license-server/license-server.js';
import { LicenseStore } from '../../src/license-server/store.js';
import type { ClientIdentity, KeyPackType } from '../../src/license-server/types.js';

export function tempDir(prefix = 'rdplic-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** For rule tests only: the "certificate" names the license, so tests can see which one was sent. */
export const recordIssuer: LicenseIssuer = {
  certificate: (l) => Buffer.from(JSON.stringify({ id: l.id, kind: l.kind, expires: l.expiresAt.toISOString() })),
};

export const W2000 = { major: 5, minor: 0 };

export function device(n: number, platformId = 0xff010000): ClientIdentity {
  const hwid = Buffer.alloc(20);
  hwid.writeUInt32LE(2, 0);
  hwid.writeUInt32LE(n, 4);
  return { hwid, machine: `PC${n}`, user: `user${n}`, platformId };
}

export function makeServer(opts: Partial<LicenseServerOptions> & { activated?: boolean; peers?: PeerDirectory; name?: string; clock?: SimulatedClock } = {}) {
  const clock = opts.clock ?? new SimulatedClock(Date.UTC(2026, 0, 1));
  const store = new LicenseStore(join(tempDir(), 'ls.sqlite'));
  const server = new LicenseServer(opts.name ?? 'LS1', store, clock, seededRandom(1), recordIssuer, opts, opts.peers);
  if (opts.activated !== false) store.setSetting('activated', 'yes');
  let packs = 0;
  const install = (total: number, type: KeyPackType = 'per-device', product = W2000) =>
    store.insertKeyPack({ keypackId: `KP${++packs}`, source: `code${packs}`, program: 'retail', type, product, total, installedAt: clock.now() });
  return { clock, store, server, install };
}
