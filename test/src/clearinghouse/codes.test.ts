import t from 'tap';
import fc from 'fast-check';
import { BASE24_ALPHABET, decodeBase24, encodeBase24, groupCode } from '../../../src/clearinghouse/base24.js';
import {
  CodeError,
  keyName,
  makeAgreementNumber,
  makeAuthorizationNumber,
  makeKeyPackId,
  makeLicenseCode,
  makeLicenseServerId,
  makeOpenLicenseNumber,
  makeRequestCode,
  parseAgreementNumber,
  parseAuthorizationNumber,
  parseKeyPackId,
  parseLicenseCode,
  parseLicenseServerId,
  parseRequestCode,
  type KeyPackIdFields,
} from '../../../src/clearinghouse/codes.js';

/** Every one-character substitution of a code. */
function typos(code: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < code.length; i++) for (const c of BASE24_ALPHABET) if (c !== code[i]) out.push(code.slice(0, i) + c + code.slice(i + 1));
  return out;
}

t.test('base 24 round-trips 20 bytes in 35 digits and 14 bytes in 25', async (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), (b) => decodeBase24(encodeBase24(b, 35), 35, 20, 'x').equals(Buffer.from(b))),
  );
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 14, maxLength: 14 }), (b) => decodeBase24(encodeBase24(b, 25), 25, 14, 'x').equals(Buffer.from(b))),
  );
  t.throws(() => decodeBase24('A'.repeat(35), 35, 20, 'License Server ID'), CodeError, 'A is not in the alphabet');
});

t.test('License Server ID: 35 characters of the alphabet; any one-character typo is refused; hyphens and case are forgiven', async (t) => {
  const name = keyName(Buffer.from('public key'));
  const id = makeLicenseServerId(name, 7);
  t.match(id, /^[BCDFGHJKMPQRTVWXY2346789]{35}$/);
  const parsed = parseLicenseServerId(groupCode(id).toLowerCase());
  t.equal(parsed.id, id);
  t.same(parsed.name12, name.subarray(0, 12));
  t.equal(parsed.activationSerial, 7);
  const bad = typos(id).filter((x) => {
    try {
      parseLicenseServerId(x);
      return true;
    } catch {
      return false;
    }
  });
  t.same(bad, [], `all ${typos(id).length} typos refused`);
  t.not(makeLicenseServerId(name, 8), id, 'a new activation serial gives a new id');
});

t.test('request codes name a key and carry a check', async (t) => {
  const code = makeRequestCode(keyName(Buffer.from('k')));
  t.equal(parseRequestCode(code).length, 16);
  t.throws(() => parseRequestCode(typos(code)[3]!), CodeError);
});

t.test('Key Pack ID: fields round-trip; bound to one License Server ID; typos refused', async (t) => {
  const ls = makeLicenseServerId(keyName(Buffer.from('a')), 1);
  const other = makeLicenseServerId(keyName(Buffer.from('b')), 1);
  const f: KeyPackIdFields = { kind: 'per-device', program: 'select', quantity: 250, version: { major: 5, minor: 0 }, serial: 123456 };
  const id = makeKeyPackId(f, ls);
  t.same(parseKeyPackId(id, ls), f);
  t.throws(() => parseKeyPackId(id, other), /another License Server ID/);
  for (const x of typos(id).slice(0, 200)) t.throws(() => parseKeyPackId(x, ls), CodeError);
});

t.test('License Code: 25 characters encoding type, quantity and version; typos refused', async (t) => {
  fc.assert(
    fc.property(
      fc.constantFrom('per-device' as const, 'per-user' as const, 'internet-connector' as const),
      fc.integer({ min: 1, max: 65535 }),
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: 0, max: 0xffffffff }),
      (kind, quantity, major, minor, serial) => {
        const code = makeLicenseCode({ kind, quantity, version: { major, minor }, serial });
        const back = parseLicenseCode(code);
        return code.length === 25 && back.kind === kind && back.quantity === quantity && back.version.major === major && back.serial === serial;
      },
    ),
  );
  const code = makeLicenseCode({ kind: 'per-device', quantity: 5, version: { major: 5, minor: 0 }, serial: 1 });
  const accepted = typos(code).filter((x) => {
    try {
      parseLicenseCode(x);
      return true;
    } catch {
      return false;
    }
  });
  t.same(accepted, [], 'every one-character typo is refused');
});

t.test('agreement and Open License numbers carry a check digit', async (t) => {
  const a = makeAgreementNumber(4242);
  t.equal(a.length, 7);
  t.equal(parseAgreementNumber(a, 7), a);
  t.throws(() => parseAgreementNumber(a.slice(0, 6) + ((Number(a[6]) + 1) % 10), 7), CodeError);
  const o = makeOpenLicenseNumber(77);
  t.equal(o.length, 8);
  t.equal(parseAgreementNumber(o, 8), o);
  const auth = makeAuthorizationNumber(o, Buffer.from('secret'));
  t.equal(parseAuthorizationNumber(auth), auth);
  t.throws(() => parseAuthorizationNumber(typos(auth)[5]!), CodeError);
});
