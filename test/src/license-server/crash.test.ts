/**
 * Crash safety: `rdplic license-server` as a child process, killed with SIGKILL at a random moment during 1,000
 * concurrent allocations, 20 times over. After each kill (and before the restart) the database must hold: no token
 * both free and issued, issued + free = installed for every key pack, every license a terminal server was told about,
 * and no license serial given to two devices, across all the restarts.
 */
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SimulatedClock } from '../../../src/clock.js';
import { Clearinghouse } from '../../../src/clearinghouse/clearinghouse.js';
import { ClearinghouseCa } from '../../../src/clearinghouse/certificate-authority.js';
import { DataFolder } from '../../../src/data-folder.js';
import { AdminClient } from '../../../src/license-server/admin-client.js';
import { HttpsLink, type HttpsLinkCredentials } from '../../../src/license-server/https-link.js';
import { LicenseStore } from '../../../src/license-server/store.js';
import { W2000, device, sharedTlsKey, terminalServerPublicKey } from './harness.js';
import { tempDir } from '../../helpers/license-server.js';

t.setTimeout(600_000);

const ROUNDS = 20;
const ALLOCATIONS = 1000;
const BIN = join(import.meta.dirname, '../../../bin/rdplic.js');

/** A small seeded generator, so a failing round can be replayed (the seed is printed). */
function mulberry32(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

async function startChild(data: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [BIN, 'license-server', '--data', data, '--listen', '127.0.0.1:0', '--name', 'LS1', '--clock', 'simulated', '--start', '2026-01-01', '--post-logon-issuance', 'off'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    lines.on('line', (line) => {
      const m = /listening on (https:\/\/\S+)/.exec(line);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`license server exited (${code}) before listening: ${stderr}`)));
  });
  return { child, url };
}

function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

t.test(`SIGKILL during ${ALLOCATIONS} concurrent allocations, ${ROUNDS} times: the token pool stays consistent and serials never repeat`, async (t) => {
  const seed = Number(process.env.CRASH_SEED ?? Date.now() % 1_000_000);
  t.comment(`seed ${seed} (CRASH_SEED=${seed} replays it)`);
  const random = mulberry32(seed);
  const dir = tempDir('rdplic-crash-');
  const data = join(dir, 'ls');
  const chFolder = new DataFolder(join(dir, 'ch'));
  const ch = new Clearinghouse(chFolder.file('ch.sqlite'), new ClearinghouseCa(chFolder.rsaKey('root.key').key), new SimulatedClock());
  t.teardown(() => ch.close());

  // First start: activate by phone and install three key packs by Key Pack ID, all through the admin API.
  let { child, url } = await startChild(data);
  t.teardown(() => kill(child));
  const admin = () => AdminClient.connect(undefined, { data });
  {
    const a = admin();
    const id = ch.activateOffline(await a.requestCode(), 'phone', 'LS1').licenseServerId;
    await a.activate('phone', id);
    for (let i = 0; i < 3; i++) {
      const sale = ch.purchase({ program: 'retail', kind: 'per-device', quantity: 6000, version: W2000 });
      if (!('licenseCode' in sale)) throw new Error('License Code expected');
      await a.install({ keypackId: ch.installKeyPack(id, { licenseCode: sale.licenseCode }).keypackId });
    }
    a.http.close();
  }
  const { token } = await admin().enrolmentToken('TS1');
  const credentials: HttpsLinkCredentials = await HttpsLink.enrol(url, token, { name: 'TS1', publicKeyDer: terminalServerPublicKey(), tlsKeyPem: sharedTlsKey() });

  /** license id → the device (HWID hex) it was issued to, over all rounds. */
  const serials = new Map<number, string>();
  let told = 0;
  for (let round = 0; round < ROUNDS; round++) {
    if (round > 0) ({ child, url } = await startChild(data));
    const link = new HttpsLink({ ...credentials, url }, { timeoutMs: 30_000 });
    const killAfter = Math.floor(random() * ALLOCATIONS * 0.95);
    let answered = 0;
    const answers: Array<{ id: number; hwid: string; kind: string }> = [];
    let killing: Promise<void> | undefined;
    const requests = Array.from({ length: ALLOCATIONS }, (_, i) =>
      link
        .requestLicense({ terminalServer: 'TS1', client: device(round * ALLOCATIONS + i), product: W2000 })
        .then((r) => {
          if (r.outcome === 'issued') answers.push({ id: r.license.id, hwid: r.license.hwid!.toString('hex'), kind: r.license.kind });
          if (++answered === killAfter + 1) killing = kill(child);
        })
        .catch(() => undefined),
    );
    if (killAfter === 0) killing = kill(child);
    await Promise.all(requests);
    await (killing ?? kill(child));
    link.close();

    const store = new LicenseStore(join(data, 'license-server.sqlite'));
    try {
      t.same(store.checkInvariants(), [], `round ${round}: no token both free and issued (killed after ${killAfter} answers)`);
      const tokenCounts = store.db
        .prepare('SELECT k.keypack_id AS id, k.total, sum(t.license IS NULL) AS free, sum(t.license IS NOT NULL) AS issued FROM keypacks k JOIN tokens t ON t.keypack = k.id GROUP BY k.id')
        .all() as Array<{ id: string; total: number; free: number; issued: number }>;
      t.ok(tokenCounts.length === 3 && tokenCounts.every((k) => k.free + k.issued === k.total), `round ${round}: issued + free = installed for every key pack`);
      const doubleHeld = store.db.prepare('SELECT count(*) AS n FROM (SELECT license FROM tokens WHERE license IS NOT NULL GROUP BY license HAVING count(*) > 1)').get() as { n: number };
      t.equal(doubleHeld.n, 0, `round ${round}: no license holds two tokens`);
      let lost = 0;
      let repeated = 0;
      const find = store.db.prepare('SELECT hex(hwid) AS hwid FROM licenses WHERE id = ?');
      for (const a of answers) {
        const row = find.get(a.id) as { hwid: string } | undefined;
        if (!row || row.hwid.toLowerCase() !== a.hwid) lost++;
        const before = serials.get(a.id);
        if (before !== undefined && before !== a.hwid) repeated++;
        serials.set(a.id, a.hwid);
      }
      told += answers.length;
      t.equal(lost, 0, `round ${round}: all ${answers.length} licenses the terminal server was told about are in the database`);
      t.equal(repeated, 0, `round ${round}: no serial was given to two devices`);
    } finally {
      store.close();
    }
  }
  t.ok(told > 0, `${told} licenses issued over ${ROUNDS} crashes`);
  t.equal(serials.size, told, 'every serial distinct across restarts');
});
