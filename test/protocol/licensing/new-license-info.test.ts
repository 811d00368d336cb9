import t from 'tap';
import fc from 'fast-check';
import { deepStrictEqual } from 'node:assert';
import { decodeNewLicenseInfoBytes, encodeNewLicenseInfo } from '../../../protocol/licensing/index.js';
import { DecodeError, encodeWith } from '../../../protocol/wire/index.js';
import { vector } from '../../helpers/vectors.js';
import { newLicenseInfo } from './fixtures/arbitraries.js';

const PLAIN = ['rdpele-4.6-new-license-info.plain', 'ironrdp-chainD-new-license-info.plain'];

t.test('the plain NEW_LICENSE_INFO vectors decode and re-encode byte-identically', async (t) => {
  for (const name of PLAIN) {
    const bytes = vector(name);
    const info = decodeNewLicenseInfoBytes(bytes);
    t.equal(encodeWith((w) => encodeNewLicenseInfo(w, info)).toString('hex'), bytes.toString('hex'), name);
  }
});

t.test('the plain NEW_LICENSE_INFO vectors cut at every offset give DecodeError', async (t) => {
  for (const name of PLAIN) {
    const bytes = vector(name);
    let refused = 0;
    for (let k = 0; k < bytes.length; k++) {
      try {
        decodeNewLicenseInfoBytes(bytes.subarray(0, k));
      } catch (e) {
        if (e instanceof DecodeError) refused++;
        else throw e;
      }
    }
    t.equal(refused, bytes.length, name);
  }
});

t.test('trailing bytes after pbLicenseInfo are refused', async (t) => {
  const bytes = Buffer.concat([vector(PLAIN[0]!), Buffer.from([0])]);
  t.throws(() => decodeNewLicenseInfoBytes(bytes), { code: 'TRAILING_BYTES' });
});

t.test('editing the text of a decoded NEW_LICENSE_INFO takes effect; untouched fields keep their raw bytes', async (t) => {
  const info = decodeNewLicenseInfoBytes(vector(PLAIN[0]!));
  const edited = decodeNewLicenseInfoBytes(encodeWith((w) => encodeNewLicenseInfo(w, { ...info, scope: 'example.org' })));
  t.equal(edited.scope, 'example.org');
  t.same(edited.scopeRaw, Buffer.from('example.org\0'));
  t.same(edited.companyNameRaw, info.companyNameRaw);
});

t.test('fast-check: NEW_LICENSE_INFO decode(encode(x)) deep-equals x', async () => {
  fc.assert(
    fc.property(newLicenseInfo, (x) => {
      deepStrictEqual(decodeNewLicenseInfoBytes(encodeWith((w) => encodeNewLicenseInfo(w, x))), x);
    }),
  );
});
