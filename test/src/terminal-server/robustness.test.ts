/**
 * The terminal server survives connections dropped at every step of the sequence and 50 concurrent connections that each
 * send a different malformed PDU, without a crash, a leaked socket or harm to a concurrent good connection.
 */
import t from 'tap';
import { join } from 'node:path';
import { ClientDevice } from '../../../src/client/index.js';
import { seededRandom } from '../../../protocol/crypto/index.js';
import { tempDir } from '../../helpers/license-server.js';
import { socketCount, startServeProcess } from '../../helpers/serve-process.js';

type Security = 'rdp' | 'tls';

function device(dir: string, name: string, security: Security, tamper?: ConstructorParameters<typeof ClientDevice>[0]['tamper']) {
  return new ClientDevice({
    registry: join(dir, `${name}.reg`),
    userName: 'user',
    machineName: name,
    password: 'pw',
    security,
    timeoutMs: 8000,
    ...(tamper ? { tamper } : {}),
  });
}

/** Polls until the server holds no more sockets than `baseline` (it closes them asynchronously). */
async function settle(pid: number, baseline: number): Promise<number> {
  let n = socketCount(pid);
  for (let i = 0; i < 100 && n > baseline; i++) {
    await new Promise((r) => setTimeout(r, 100));
    n = socketCount(pid);
  }
  return n;
}

t.test('the terminal server survives dropped and malformed connections', async (t) => {
  const dir = tempDir();
  const server = await startServeProcess(['--data', join(dir, 'data'), '--issuance', 'immediate', '--built-in', 'off', '--cals', '200']);
  t.teardown(() => server.stop());
  const pid = server.proc.pid!;
  const port = server.port;
  const baseline = socketCount(pid);

  for (const security of ['rdp', 'tls'] as const) {
    // How many PDUs does a whole good session write?
    let steps = 0;
    const good = await device(dir, `count-${security}`, security, (i) => ((steps = i + 1), undefined)).connect('127.0.0.1', port);
    t.equal(good.outcome, 'new-license', `${security}: a good session`);
    t.ok(steps >= 8, `${security}: ${steps} client PDUs in a session`);

    // The last PDU is the client's own Disconnect Provider Ultimatum, after licensing: drop at every step before it.
    for (let k = 0; k < steps - 1; k++) {
      for (const half of [false, true]) {
        const r = await device(dir, `drop-${security}-${k}-${half}`, security, (i, _what, data) =>
          i === k ? { data: half ? data.subarray(0, data.length >> 1) : undefined, drop: true } : undefined,
        ).connect('127.0.0.1', port);
        t.not(r.outcome, 'new-license', `${security}: dropped ${half ? 'halfway through' : 'before'} PDU ${k}`);
      }
    }
  }
  t.equal(await settle(pid, baseline), baseline, 'no socket leaked after the dropped connections');

  // 50 connections, each sending a different malformed PDU at a different step, alongside a good one.
  const random = seededRandom(42);
  const mutations: Array<(d: Buffer) => Buffer> = [
    (d) => Buffer.from(d.map((b, i) => (i === (random.bytes(1)[0]! % d.length) ? b ^ 0xff : b))),
    (d) => random.bytes(Math.max(1, d.length)),
    (d) => Buffer.concat([Buffer.from([3, 0, 0xff, 0xff]), d.subarray(4)]),
    (d) => Buffer.concat([Buffer.from([3, 0, 0, 5]), d.subarray(4)]),
    (d) => Buffer.concat([d, d]),
    (d) => Buffer.concat([d.subarray(0, d.length - 1), Buffer.from([0])]),
    (d) => Buffer.alloc(d.length),
  ];
  const bad = Array.from({ length: 50 }, (_, n) =>
    device(dir, `bad-${n}`, n % 5 === 0 ? 'tls' : 'rdp', (i, _what, data) => (i === n % 9 ? { data: mutations[n % mutations.length]!(data) } : undefined)).connect('127.0.0.1', port),
  );
  const goodOne = device(dir, 'good-concurrent', 'rdp').connect('127.0.0.1', port);
  const [results, goodResult] = await Promise.all([Promise.all(bad), goodOne]);
  t.equal(goodResult.outcome, 'new-license', 'the concurrent good connection got its license');
  t.equal(results.length, 50);
  t.equal(server.proc.exitCode, null, 'the server is still running');
  const after = await device(dir, 'good-after', 'tls').connect('127.0.0.1', port);
  t.equal(after.outcome, 'new-license', 'and still licenses clients afterwards');
  t.equal(await settle(pid, baseline), baseline, 'no socket leaked');
  t.notMatch(server.output(), /uncaught|unhandled|TypeError|RangeError/i, 'no uncaught error in its log');
});
