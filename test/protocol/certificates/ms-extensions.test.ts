import t from 'tap';
import fc from 'fast-check';
import { DecodeError } from '../../../protocol/wire/index.js';
import {
  HWID_XOR_KEY,
  adjustedProductId,
  decodeHardwareIdAttribute,
  decodeLicensedProductInfo,
  decodeMicrosoftAuthorityKeyIdentifier,
  decodeMsLicenseServerInfo,
  decodeUInt32Extension,
  encodeHardwareIdAttribute,
  encodeLicensedProductInfo,
  encodeMicrosoftAuthorityKeyIdentifier,
  encodeMsLicenseServerInfo,
  encodeUInt32Extension,
  type LicensedProductInfo,
} from '../../../protocol/certificates/index.js';
import { hex } from '../../helpers/vectors.js';

// Values of the [MS-RDPELE] 4.6 client license certificate (RDPELE.md 5.3).
const LPI = hex(
  '0030000001000000FF000000000400001C000800240016003A00010041003000320000004100300032002D0036002E00300030002D0053000000060000000080648000000000',
);
const LSI = hex(
  '0030000000000E003E0052004F00440045004E0054000000370038003400340030002D003000300036002D0035003800360037003000340035002D0037003000330034003700000057004F0052004B00470052004F005500500000000000',
);
const AKI = hex('3019A110A40E52004F00440045004E00540000008205030000000F');

t.test('LICENSED_PRODUCT_INFO, MS_LICENSE_SERVER_INFO and the AKI of the spec CAL decode and re-encode byte for byte', async (t) => {
  const lpi = decodeLicensedProductInfo(LPI);
  t.same(lpi, {
    version: 0x3000,
    quantity: 1,
    platformId: 0xff,
    languageId: 0x400,
    productId: 'A02',
    adjustedProductId: 'A02-6.00-S',
    versions: [{ major: 6, minor: 0, flags: 0x80648000 }],
  });
  t.same(encodeLicensedProductInfo(lpi), LPI);
  const lsi = decodeMsLicenseServerInfo(LSI);
  t.same(lsi, { version: 0x3000, licenseServerName: 'RODENT', licenseServerProductId: '78440-006-5867045-70347', scope: 'WORKGROUP' });
  t.same(encodeMsLicenseServerInfo(lsi), LSI);
  t.same(decodeMicrosoftAuthorityKeyIdentifier(AKI), { licenseServerName: 'RODENT', serialNumber: hex('030000000f') });
  t.same(encodeMicrosoftAuthorityKeyIdentifier('RODENT', hex('030000000f')), AKI);
  t.equal(adjustedProductId('A02', 10, 1), 'A02-10.01-S');
  t.same(encodeUInt32Extension(0x00050001), hex('01000500'));
  t.equal(decodeUInt32Extension(hex('07000000'), 'x'), 7);
  t.same(HWID_XOR_KEY, hex('d6170a792def158d7124582c088fb8eebe35798d'));
});

t.test('the AKI decoder copes with LS names whose UTF-16 bytes are not valid TLVs', async (t) => {
  for (const name of ['WIN-4L4L6AMBCSQ', 'HOST?', 'a'.repeat(100), '', 'Ünïcødé']) {
    const serial = hex('0600000006');
    t.same(decodeMicrosoftAuthorityKeyIdentifier(encodeMicrosoftAuthorityKeyIdentifier(name, serial)), { licenseServerName: name, serialNumber: serial }, name);
  }
  t.equal(decodeMicrosoftAuthorityKeyIdentifier(hex('301680141AA95345338ED06E225254763976431EFF791441')), undefined, 'a standard AKI');
  t.equal(decodeMicrosoftAuthorityKeyIdentifier(hex('30')), undefined);
});

const str = fc.string({ maxLength: 40 }).filter((s) => !s.includes('\0') && Buffer.from(s, 'utf16le').toString('utf16le') === s);

t.test('fast-check: round trips, and arbitrary bytes give DecodeError only', async (t) => {
  fc.assert(
    fc.property(
      fc.record({
        version: fc.constant(0x3000),
        quantity: fc.nat({ max: 0xffffffff }),
        platformId: fc.nat({ max: 0xffffffff }),
        languageId: fc.nat({ max: 0xffffffff }),
        productId: str,
        adjustedProductId: str,
        versions: fc.array(fc.record({ major: fc.nat({ max: 0xffff }), minor: fc.nat({ max: 0xffff }), flags: fc.nat({ max: 0xffffffff }) }), { maxLength: 5 }),
      }),
      (info: LicensedProductInfo) => {
        t.same(decodeLicensedProductInfo(encodeLicensedProductInfo(info)), info);
        return true;
      },
    ),
    { numRuns: 200 },
  );
  fc.assert(
    fc.property(str, str, str, (a, b, c) => {
      const v = { version: 0x3000, licenseServerName: a, licenseServerProductId: b, scope: c };
      return JSON.stringify(decodeMsLicenseServerInfo(encodeMsLicenseServerInfo(v))) === JSON.stringify(v);
    }),
    { numRuns: 300 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), (hwid) => Buffer.from(hwid).equals(decodeHardwareIdAttribute(encodeHardwareIdAttribute(hwid)))),
    { numRuns: 200 },
  );
  const only = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
    }
    return true;
  };
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 120 }), (b) => only(() => decodeLicensedProductInfo(b)) && only(() => decodeMsLicenseServerInfo(b)) && only(() => decodeMicrosoftAuthorityKeyIdentifier(b))),
    { numRuns: 3000 },
  );
  fc.assert(fc.property(fc.string({ maxLength: 40 }), (s) => only(() => decodeHardwareIdAttribute(s))), { numRuns: 500 });
  t.throws(() => decodeHardwareIdAttribute('AAAA'), { code: 'INVALID_VALUE' });
  t.throws(() => decodeLicensedProductInfo(LPI.subarray(0, 60)), DecodeError, 'versions cut');
});
