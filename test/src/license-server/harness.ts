/**
 * A licensing deployment on loopback for API tests: a clearinghouse and license servers, each with its own data
 * folder and HTTPS API, on one simulated clock; terminal servers enrol and talk through HttpsLink.
 */
import type tap from 'tap';
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { SimulatedClock } from '../../../src/clock.js';
import { startClearinghouseApi } from '../../../src/clearinghouse/api.js';
import { ClearinghouseClient } from '../../../src/clearinghouse/client.js';
import { ClearinghouseNode } from '../../../src/clearinghouse/node.js';
import { JsonClient } from '../../../src/http/json-client.js';
import type { RunningApi } from '../../../src/http/listen.js';
import { AdminClient } from '../../../src/license-server/admin-client.js';
import { startLicenseServerApi, type RunningLicenseServerApi } from '../../../src/license-server/api.js';
import { HttpsLink } from '../../../src/license-server/https-link.js';
import type { LicenseServerOptions } from '../../../src/license-server/license-server.js';
import { LicenseServerNode } from '../../../src/license-server/node.js';
import { W2000, device, tempDir } from '../../helpers/license-server.js';

export { W2000, device };

/** The type of a subtest's `t` (tap's last `test` overload takes just the callback). */
export type TapTest = Parameters<Parameters<typeof tap.test>[0]>[0];

/** One RSA key for every emulated terminal server of a run (the RDP key; TLS keys are made per enrolment). */
let tsKey: Buffer | undefined;
export function terminalServerPublicKey(): Buffer {
  tsKey ??= generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'der' });
  return tsKey;
}

let tlsKeyPem: string | undefined;
/** One TLS key shared by the test terminal servers (each still gets its own certificate). */
export function sharedTlsKey(): string {
  tlsKeyPem ??= generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  return tlsKeyPem;
}

export interface LicenseServerHandle {
  node: LicenseServerNode;
  api: RunningLicenseServerApi;
  admin: AdminClient;
  links: HttpsLink[];
  /** Enrols a terminal server through the API and returns its link. */
  enrol(name: string): Promise<HttpsLink>;
  stop(): Promise<void>;
}

export interface World {
  clock: SimulatedClock;
  dir: string;
  ch: ClearinghouseNode;
  chApi: RunningApi;
  /** Customer service at the clearinghouse (admin token). */
  csr: ClearinghouseClient;
  startLicenseServer(name: string, options?: Partial<LicenseServerOptions>, dataDir?: string): Promise<LicenseServerHandle>;
  close(): Promise<void>;
}

export async function startWorld(): Promise<World> {
  const clock = new SimulatedClock(Date.UTC(2026, 0, 1));
  const dir = tempDir('rdplic-api-');
  const ch = new ClearinghouseNode({ dataDir: join(dir, 'clearinghouse'), clock });
  const chApi = await startClearinghouseApi(ch);
  const csr = new ClearinghouseClient({ url: chApi.url, serverCertificate: ch.https.certificatePem, token: ch.adminToken });
  const servers: LicenseServerHandle[] = [];

  async function startLicenseServer(name: string, options: Partial<LicenseServerOptions> = {}, dataDir = join(dir, name)): Promise<LicenseServerHandle> {
    const node = new LicenseServerNode({ dataDir, name, scope: 'WORKGROUP', clock, options });
    const api = await startLicenseServerApi(node, { clearinghouseUrl: chApi.url });
    const admin = new AdminClient(new JsonClient({ url: api.url, serverCertificate: node.https.certificatePem, token: node.adminToken }));
    const links: HttpsLink[] = [];
    let stopped = false;
    const handle: LicenseServerHandle = {
      node,
      api,
      admin,
      links,
      async enrol(ts: string) {
        const { token } = await admin.enrolmentToken(ts);
        const link = new HttpsLink(await HttpsLink.enrol(api.url, token, { name: ts, publicKeyDer: terminalServerPublicKey(), tlsKeyPem: sharedTlsKey() }));
        links.push(link);
        return link;
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        for (const l of links) l.close();
        await api.close();
        node.close();
      },
    };
    servers.push(handle);
    return handle;
  }

  return {
    clock,
    dir,
    ch,
    chApi,
    csr,
    startLicenseServer,
    async close() {
      for (const s of servers) await s.stop();
      await chApi.close();
      ch.close();
    },
  };
}

/** Activates a license server over the Internet method and installs `quantity` per-device CALs bought with a License Code. */
export async function activateAndStock(world: World, ls: LicenseServerHandle, quantity: number, type: 'per-device' | 'per-user' | 'internet-connector' = 'per-device') {
  if (!(await ls.admin.status()).activated) await ls.admin.activate('internet');
  if (quantity === 0) return undefined;
  const sale = await world.csr.purchase({ program: 'retail', kind: type, quantity, version: W2000 });
  if (!('licenseCode' in sale)) throw new Error('retail sells License Codes');
  return ls.admin.install({ licenseCode: sale.licenseCode });
}
