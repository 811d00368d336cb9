/**
 * Contention: 8 terminal servers (8 enrolled HTTPS links) and 100 devices race for the last 10 CALs of a license
 * server: exactly 10 CALs are issued and 90 temporaries, and the token pool stays consistent.
 */
import t from 'tap';
import type { HttpsLink } from '../../../src/license-server/https-link.js';
import { W2000, activateAndStock, device, startWorld } from './harness.js';

t.setTimeout(120_000);

t.test('8 terminal servers, 100 devices, the last 10 CALs: exactly 10 CALs and 90 temporaries', async (t) => {
  const w = await startWorld();
  t.teardown(() => w.close());
  const ls = await w.startLicenseServer('LS1', { postLogonIssuance: false });
  await activateAndStock(w, ls, 15);
  const links: HttpsLink[] = [];
  for (let i = 1; i <= 8; i++) links.push(await ls.enrol(`TS${i}`));
  for (let i = 0; i < 5; i++) await links[0]!.requestLicense({ terminalServer: 'TS1', client: device(10_000 + i), product: W2000 });
  t.equal((await ls.admin.keypacks())[0]!.free, 10, '10 CALs left');

  const results = await Promise.all(
    Array.from({ length: 100 }, (_, n) => links[n % 8]!.requestLicense({ terminalServer: `TS${(n % 8) + 1}`, client: device(n), product: W2000 })),
  );
  const kinds = results.map((r) => (r.outcome === 'issued' ? r.license.kind : r.outcome));
  t.equal(kinds.filter((k) => k === 'cal').length, 10, 'exactly 10 CALs');
  t.equal(kinds.filter((k) => k === 'temporary').length, 90, 'and 90 temporaries');
  const tokens = results.flatMap((r) => (r.outcome === 'issued' && r.license.kind === 'cal' ? [r.license.token] : []));
  t.equal(new Set(tokens).size, 10, 'ten different tokens');
  const pack = (await ls.admin.keypacks())[0]!;
  t.equal(pack.free, 0);
  t.equal(pack.issued, 15);
  t.same(await ls.admin.check(), [], 'no token both free and issued; issued + free = installed');
  const byServer = new Set((await ls.admin.licenses({ kind: 'temporary' })).licenses.map((l) => l.terminalServer));
  t.equal(byServer.size, 8, 'the requests came from all 8 terminal servers');
});
