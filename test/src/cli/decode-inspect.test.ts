import t from 'tap';
import { join } from 'node:path';
import { VECTORS_DIR } from '../../helpers/vectors.js';
import { rdplic } from '../../helpers/cli.js';

const v = (name: string) => join(VECTORS_DIR, `${name}.hex`);

t.test('rdplic decode --json: type is the spec name, bytes are lowercase hex, strings are text', async (t) => {
  const r = await rdplic(['decode', v('rdpele-4.1-server-license-request'), '--json']);
  t.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  t.equal(j.message.type, 'LICENSE_REQUEST');
  t.equal(j.message.body.serverRandom, '84efae20b1d59e36491ae82e0a9989ac49a6474f339b5ab99503a6c6c23c3f61');
  t.equal(j.message.body.productInfo.companyName, 'Microsoft Corporation');
  t.equal(j.serverCertificate.kind, 'x509-chain');
});

t.test('rdplic decode a whole TPKT frame from standard input', async (t) => {
  const r = await rdplic(['decode', '-', '--json'], '# valid client\n030000... not hex');
  t.equal(r.code, 1, 'not hex, not a PDU');
  const ok = await rdplic(['decode', v('rdpbcgr-4.1.11-license-error-valid-client.frame'), '--json']);
  t.equal(JSON.parse(ok.stdout).level, 'tpkt');
});

t.test('rdplic decode with secrets: chain D decrypts and its MAC verifies', async (t) => {
  const r = await rdplic(['decode', v('ironrdp-chainD-server-new-license'), '--json', '--licensing-key', '887d33a6130d76bf762a0f57711d40a3', '--mac-salt-key', 'd52c7cd271152c41bbd836db193ec0f3']);
  t.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  t.equal(j.decrypted.macValid, true);
  t.equal(j.decrypted.license.signatureValid, true);
});

t.test('bad input gives one line naming the field and offset, exit 1', async (t) => {
  const r = await rdplic(['decode', '-'], '01 03 98 08 00 01');
  t.equal(r.code, 1);
  t.equal(r.stderr.trim().split('\n').length, 1);
  t.match(r.stderr, /wMsgSize.* at offset \d+/);
  const missing = await rdplic(['inspect', '/nonexistent/file.cal']);
  t.equal(missing.code, 1);
  t.match(missing.stderr, /cannot read/);
});

t.test('rdplic inspect: the spec CAL shows the HWID of spec 4.5 and a valid signature', async (t) => {
  const r = await rdplic(['inspect', v('cal-spec-rodent.der'), '--json']);
  t.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  t.equal(j.hwid, '02000000f159873ec9d898af2402f8f3293af026');
  t.equal(j.machine, 'RODENT');
  t.equal(j.user, 'Administrator');
  t.equal(j.signatureValid, true);
  t.equal(j.temporary, true);
  const tree = await rdplic(['inspect', v('rdpele-4.6-new-license-info.plain')]);
  t.match(tree.stdout, /hwid: 02000000f159873ec9d898af2402f8f3293af026/);
});
