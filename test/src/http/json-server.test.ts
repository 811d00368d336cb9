/**
 * The JSON-over-HTTPS server and client every API is built on: routing, authentication before the body is read, body
 * limits, bad JSON, domain errors mapped to 4xx, raw bodies, certificate pinning and connection errors.
 */
import t from 'tap';
import { generateKeyPairSync } from 'node:crypto';
import { request } from 'node:https';
import { ApiError, JsonClient, TimeoutError, isConnectionError } from '../../../src/http/json-client.js';
import { HttpError, createJsonServer, type Route } from '../../../src/http/json-server.js';
import { listen } from '../../../src/http/listen.js';
import { fingerprint, selfSignedTlsCertificate } from '../../../src/http/tls-certificates.js';

const keyPem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const cert = selfSignedTlsCertificate(keyPem, 'test', 'test');
let handled = 0;
const lines: string[] = [];
class Refusal extends Error {}
const routes: Route[] = [
  { method: 'GET', path: '/open', auth: 'none', handler: () => ({ hello: 'world' }) },
  { method: 'POST', path: '/echo/:id', auth: 'admin', handler: ({ params, body }) => (handled++, { id: params.id, body }) },
  { method: 'GET', path: '/refuse', auth: 'none', handler: () => Promise.reject(new Refusal('no way')) },
  { method: 'GET', path: '/crash', auth: 'none', handler: () => Promise.reject(new Error('secret detail')) },
  { method: 'POST', path: '/raw', auth: 'none', raw: true, rawBody: true, maxBodyBytes: 64, handler: ({ body }) => Buffer.from(body as Buffer).reverse() },
  { method: 'GET', path: '/slow', auth: 'none', handler: () => new Promise((r) => setTimeout(() => r({}), 500)) },
];
const server = createJsonServer({
  tls: { key: keyPem, cert },
  routes,
  authenticate: (_a, ctx) => {
    if (ctx.headers.authorization !== 'Bearer good') throw new HttpError(401, 'who are you');
    return 'admin';
  },
  mapError: (e) => (e instanceof Refusal ? new HttpError(422, e.message, { code: 'refused' }) : undefined),
  maxBodyBytes: 1024,
  log: (l) => lines.push(l),
});
const api = await listen(server, {});
t.teardown(() => api.close());
const client = new JsonClient({ url: api.url, serverCertificate: cert, token: 'good' });
const anonymous = new JsonClient({ url: api.url, serverCertificate: cert });

async function fails(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

t.test('routes, parameters, methods', async (t) => {
  t.same(await anonymous.get('/open'), { hello: 'world' });
  t.same(await client.post('/echo/a%20b', { x: 1 }), { id: 'a b', body: { x: 1 } });
  t.equal((await fails(client.get('/nothing'))).status, 404);
  t.equal((await fails(client.get('/echo/1'))).status, 405);
});

t.test('authentication runs before the body is read and the handler never runs', async (t) => {
  const before = handled;
  const e = await fails(anonymous.post('/echo/1', { x: 1 }));
  t.equal(e.status, 401);
  t.equal(e.message, 'who are you');
  t.equal(handled, before);
});

t.test('bad bodies: not JSON, too large (declared or streamed)', async (t) => {
  t.equal((await fails(client.raw('POST', '/echo/1', Buffer.from('{"x":')))).status, 400);
  t.equal((await fails(client.post('/echo/1', { big: 'x'.repeat(2000) }))).status, 413);
  const streamed = await new Promise<number>((resolve, reject) => {
    const req = request(new URL('/echo/1', api.url), { method: 'POST', ca: [cert], checkServerIdentity: () => undefined, headers: { authorization: 'Bearer good', 'transfer-encoding': 'chunked' } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.write('x'.repeat(800));
    req.end('y'.repeat(800));
  });
  t.equal(streamed, 413, 'a chunked body over the limit');
});

t.test('domain errors become their 4xx; anything else a 500 that says nothing inside', async (t) => {
  const r = await fails(anonymous.get('/refuse'));
  t.equal(r.status, 422);
  t.equal(r.body.code, 'refused');
  const c = await fails(anonymous.get('/crash'));
  t.equal(c.status, 500);
  t.notMatch(c.message, /secret/);
  t.ok(lines.some((l) => /internal error on GET \/crash/.test(l)), 'logged for the operator');
  t.ok(lines.some((l) => /GET \/open status=200 principal=anonymous/.test(l)), 'one log line per request');
});

t.test('raw bodies both ways, with a per-route limit', async (t) => {
  t.same(await anonymous.raw('POST', '/raw', Buffer.from([1, 2, 3])), Buffer.from([3, 2, 1]));
  t.equal((await fails(anonymous.raw('POST', '/raw', Buffer.alloc(65)))).status, 413);
});

t.test('pinning: another certificate is refused; trust on first use checks a fingerprint', async (t) => {
  const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const wrong = new JsonClient({ url: api.url, serverCertificate: selfSignedTlsCertificate(otherKey, 'test', 'test') });
  const e = await wrong.get('/open').catch((x: unknown) => x);
  t.ok(isConnectionError(e), `refused: ${(e as Error).message}`);
  const tofu = new JsonClient({ url: api.url, verifyServer: (c) => fingerprint(c) === fingerprint(cert), keepAlive: true });
  t.same(await tofu.get('/open'), { hello: 'world' });
  t.same(await tofu.get('/open'), { hello: 'world' }, 'a kept-alive socket');
  tofu.close();
  const liar = new JsonClient({ url: api.url, verifyServer: () => false });
  const l = await liar.get('/open').catch((x: unknown) => x);
  t.equal((l as ApiError).status, 495);
});

t.test('connection errors and timeouts are recognisable', async (t) => {
  const nobody = new JsonClient({ url: 'https://127.0.0.1:9', serverCertificate: cert, timeoutMs: 2000 });
  t.ok(isConnectionError(await nobody.get('/open').catch((x: unknown) => x)), 'refused connection');
  const impatient = new JsonClient({ url: api.url, serverCertificate: cert, timeoutMs: 100 });
  const e = await impatient.get('/slow').catch((x: unknown) => x);
  t.ok(e instanceof TimeoutError && isConnectionError(e), 'timeout');
});
