/** Test-only: client devices with a registry file in a fresh temporary folder. */
import { join } from 'node:path';
import { seededRandom } from '../../../../protocol/crypto/index.js';
import { ClientDevice, type ClientDeviceOptions } from '../../../../src/client/index.js';
import { tempDir } from '../../../helpers/license-server.js';

let seed = 1;

export function registryPath(): string {
  return join(tempDir('rdplic-client-'), 'client.reg');
}

export function device(options: Partial<ClientDeviceOptions> = {}): ClientDevice {
  return new ClientDevice({
    registry: options.registry ?? registryPath(),
    userName: 'labuser',
    machineName: 'LABHOST',
    password: 'labpass',
    random: seededRandom(seed++),
    timeoutMs: 20_000,
    ...options,
  });
}
