import t, { type Test } from 'tap';
import fc from 'fast-check';
import { DecodeError, Writer } from '../../../protocol/wire/index.js';
import {
  X509_CERTIFICATE_MAX_SIZE,
  X509_CHAIN_MAX_CERTIFICATES,
  decodeServerCertificateBytes,
  decodeX509Certificate,
  encodeX509CertificateChain,
  publicKeyOfServerCertificate,
  serverCertificateBytes,
  x509CertificateChain,
  x509PublicKey,
} from '../../../protocol/certificates/index.js';
import { bcgrCertificate, chainC, spec41Chain, xrdpCertificate } from './fixtures/certificates.js';

/** Asserts that `fn` throws a DecodeError with this code (and field, when given). */
function throwsDecode(t: Test, fn: () => unknown, code: DecodeError['code'], field?: string, msg?: string): void {
  try {
    fn();
    t.fail(`${msg ?? field ?? code}: no error`);
  } catch (e) {
    if (!(e instanceof DecodeError)) {
      t.fail(`${msg ?? field ?? code}: threw ${String(e)}`);
      return;
    }
    t.equal(e.code, code, `${msg ?? field ?? code}: code ${e.code} (${e.message})`);
    if (field !== undefined) t.equal(e.field, field, `${msg ?? field}: field`);
  }
}

const u32 = (b: Buffer, at: number, v: number): Buffer => {
  const c = Buffer.from(b);
  c.writeUInt32LE(v >>> 0, at);
  return c;
};
const u16 = (b: Buffer, at: number, v: number): Buffer => {
  const c = Buffer.from(b);
  c.writeUInt16LE(v, at);
  return c;
};
// Offsets in a proprietary SERVER_CERTIFICATE (xrdp, 512-bit): dwVersion 0, dwSigAlgId 4, dwKeyAlgId 8,
// wPublicKeyBlobType 12, wPublicKeyBlobLen 14, magic 16, keylen 20, bitlen 24, datalen 28, pubExp 32, modulus 36.
const P = { sigAlg: 4, keyAlg: 8, pkType: 12, pkLen: 14, magic: 16, keylen: 20, bitlen: 24, datalen: 28, pubExp: 32, sigType: 108, sigLen: 110 };

t.test('BAD-INPUTS #5: proprietary certificate with inconsistent lengths (FreeRDP CVE-2017-2836)', async (t) => {
  const good = xrdpCertificate();
  t.doesNotThrow(() => decodeServerCertificateBytes(good));
  throwsDecode(t, () => decodeServerCertificateBytes(u16(good, P.pkLen, 0xffff)), 'TRUNCATED', 'PublicKeyBlob', 'wPublicKeyBlobLen > remaining');
  throwsDecode(t, () => decodeServerCertificateBytes(u16(good, P.pkLen, 93)), 'INVALID_LENGTH', 'keylen', 'wPublicKeyBlobLen one short of 20 + keylen');
  throwsDecode(t, () => decodeServerCertificateBytes(u32(good, P.keylen, 71)), 'INVALID_LENGTH', 'keylen', 'keylen < bitlen/8 + 8');
  throwsDecode(t, () => decodeServerCertificateBytes(u32(good, P.keylen, 64)), 'INVALID_LENGTH', 'keylen', 'keylen without the 8 zero bytes');
  throwsDecode(t, () => decodeServerCertificateBytes(u32(good, P.magic, 0x32415352)), 'INVALID_VALUE', 'magic', 'magic RSA2');
  throwsDecode(t, () => decodeServerCertificateBytes(u32(good, P.sigAlg, 2)), 'INVALID_VALUE', 'dwSigAlgId', 'dwSigAlgId 2');
  throwsDecode(t, () => decodeServerCertificateBytes(u32(good, P.sigAlg, 0)), 'INVALID_VALUE', 'dwSigAlgId', 'dwSigAlgId 0');
  throwsDecode(t, () => decodeServerCertificateBytes(u32(good, P.keyAlg, 2)), 'INVALID_VALUE', 'dwKeyAlgId', 'dwKeyAlgId 2');
  throwsDecode(t, () => decodeServerCertificateBytes(u16(good, P.pkType, 7)), 'INVALID_VALUE', 'wPublicKeyBlobType');
  throwsDecode(t, () => decodeServerCertificateBytes(u16(good, P.sigType, 9)), 'INVALID_VALUE', 'wSignatureBlobType');
  throwsDecode(t, () => decodeServerCertificateBytes(u16(good, P.sigLen, 64)), 'INVALID_LENGTH', 'wSignatureBlobLen', 'signature blob of 64');
  throwsDecode(t, () => decodeServerCertificateBytes(u16(good, P.sigLen, 0xffff)), 'INVALID_LENGTH', 'wSignatureBlobLen', 'signature blob of 0xffff');
  throwsDecode(t, () => decodeServerCertificateBytes(Buffer.concat([good, Buffer.alloc(1)])), 'TRAILING_BYTES', 'SERVER_CERTIFICATE', 'a byte after the signature');
  throwsDecode(t, () => decodeServerCertificateBytes(u32(good, P.pubExp, 0)), 'INVALID_VALUE', 'pubExp', 'zero exponent');
  const zeroModulus = Buffer.from(good);
  zeroModulus.fill(0, 36, 36 + 64);
  throwsDecode(t, () => decodeServerCertificateBytes(zeroModulus), 'INVALID_VALUE', 'modulus');
  throwsDecode(t, () => decodeServerCertificateBytes(u32(good, 0, 3)), 'INVALID_VALUE', 'dwVersion', 'certChainVersion 3');
  throwsDecode(t, () => publicKeyOfServerCertificate(u32(good, 0, 0)), 'INVALID_VALUE', 'dwVersion', 'certChainVersion 0');
});

t.test('BAD-INPUTS #13: RSA_PUBLIC_KEY with bitlen < 8 and inconsistent keylen / datalen (IronRDP #409)', async (t) => {
  const good = xrdpCertificate();
  for (let bitlen = 0; bitlen <= 7; bitlen++) {
    throwsDecode(t, () => decodeServerCertificateBytes(u32(good, P.bitlen, bitlen)), 'LIMIT_EXCEEDED', 'bitlen', `bitlen ${bitlen}`);
  }
  throwsDecode(t, () => decodeServerCertificateBytes(u32(good, P.bitlen, 504)), 'LIMIT_EXCEEDED', 'bitlen', 'bitlen below 512');
  throwsDecode(t, () => decodeServerCertificateBytes(u32(good, P.bitlen, 513)), 'LIMIT_EXCEEDED', 'bitlen', 'bitlen not a multiple of 8');
  throwsDecode(t, () => decodeServerCertificateBytes(u32(good, P.bitlen, 0xffffffff)), 'LIMIT_EXCEEDED', 'bitlen', 'bitlen 0xffffffff');
  throwsDecode(t, () => decodeServerCertificateBytes(u32(good, P.bitlen, 1024)), 'INVALID_LENGTH', 'keylen', 'bitlen/8 + 8 != keylen');
  throwsDecode(t, () => decodeServerCertificateBytes(u32(good, P.datalen, 73)), 'INVALID_LENGTH', 'datalen', 'datalen > keylen');
  throwsDecode(t, () => decodeServerCertificateBytes(u32(good, P.datalen, 64)), 'INVALID_LENGTH', 'datalen', 'datalen = bitlen/8');
  throwsDecode(t, () => decodeServerCertificateBytes(u32(u16(good, P.pkLen, 0xffff), P.keylen, 0xffff - 20)), 'TRUNCATED', 'PublicKeyBlob', 'huge keylen and blob');
  throwsDecode(t, () => decodeServerCertificateBytes(u32(good, P.keylen, 0xffffffff)), 'INVALID_LENGTH', 'keylen', 'keylen 0xffffffff');
});

/** A chain container with `n` certificates of `size` bytes each (content irrelevant to the container). */
function rawChain(n: number, size: number, padding = true): Buffer {
  const w = new Writer();
  w.u32le(2).u32le(n);
  for (let i = 0; i < n; i++) w.u32le(size).bytes(Buffer.alloc(size, 0x30));
  if (padding) w.zeros(8 + 4 * n);
  return w.toBuffer();
}

t.test('X.509 chain rule: 2..200 certificates, each at most 4096 bytes (IronRDP cert.rs)', async (t) => {
  throwsDecode(t, () => decodeServerCertificateBytes(rawChain(0, 10)), 'INVALID_VALUE', 'NumCertBlobs', '0 certificates');
  throwsDecode(t, () => decodeServerCertificateBytes(rawChain(1, 10)), 'INVALID_VALUE', 'NumCertBlobs', '1 certificate');
  t.equal((decodeServerCertificateBytes(rawChain(2, 10)) as { certificates: Buffer[] }).certificates.length, 2, '2 accepted');
  t.equal((decodeServerCertificateBytes(rawChain(200, 1)) as { certificates: Buffer[] }).certificates.length, 200, '200 accepted');
  throwsDecode(t, () => decodeServerCertificateBytes(rawChain(201, 1)), 'LIMIT_EXCEEDED', 'NumCertBlobs', '201 certificates');
  throwsDecode(t, () => decodeServerCertificateBytes(Buffer.from('0200000000000000ffffffff', 'hex').subarray(0, 8).fill(0xff, 4)), 'LIMIT_EXCEEDED', 'NumCertBlobs', 'NumCertBlobs 0xffffffff');
  throwsDecode(t, () => decodeServerCertificateBytes(rawChain(200, 1).subarray(0, 8 + 199 * 5)), 'TRUNCATED', 'CertBlobArray', 'count larger than the bytes can hold');
  t.doesNotThrow(() => decodeServerCertificateBytes(rawChain(2, X509_CERTIFICATE_MAX_SIZE)), '4096-byte certificates accepted');
  throwsDecode(t, () => decodeServerCertificateBytes(rawChain(2, X509_CERTIFICATE_MAX_SIZE + 1)), 'LIMIT_EXCEEDED', 'cbCert', '4097-byte certificate');
  throwsDecode(t, () => decodeServerCertificateBytes(rawChain(2, 0)), 'INVALID_LENGTH', 'cbCert', 'empty certificate');
  const big = rawChain(2, 10, false);
  big.writeUInt32LE(1000, 8 + 14);
  throwsDecode(t, () => decodeServerCertificateBytes(big), 'TRUNCATED', 'abCert', 'cbCert > remaining');
  throwsDecode(t, () => publicKeyOfServerCertificate(rawChain(2, 10)), 'TRUNCATED', 'Certificate', 'certificates that are not X.509');
  // strict on send
  const one = spec41Chain();
  const certs = (decodeServerCertificateBytes(one.bytes) as { certificates: Buffer[] }).certificates;
  t.throws(() => serverCertificateBytes(x509CertificateChain([certs[0]!])), RangeError, 'send 1 certificate');
  t.throws(() => serverCertificateBytes(x509CertificateChain(Array(X509_CHAIN_MAX_CERTIFICATES + 1).fill(certs[0]))), RangeError, 'send 201');
  t.throws(() => encodeX509CertificateChain(new Writer(), x509CertificateChain([certs[0]!, Buffer.alloc(4097)])), RangeError, 'send a 4097-byte certificate');
  t.equal(serverCertificateBytes(x509CertificateChain(Array(200).fill(certs[0]))).readUInt32LE(4), 200, 'send 200');
});

const vectors = () => [
  { name: 'xrdp proprietary', bytes: xrdpCertificate(), paddingStart: Infinity },
  { name: '[MS-RDPBCGR] proprietary', bytes: bcgrCertificate(), paddingStart: Infinity },
  { name: '[MS-RDPELE] 4.1 chain', bytes: spec41Chain().bytes, paddingStart: spec41Chain().bytes.length - 16 },
  { name: 'IronRDP chain C', bytes: chainC().bytes, paddingStart: chainC().bytes.length - 16 },
];

t.test('every certificate vector cut at every offset gives DecodeError (or, inside a chain padding, a valid chain)', async (t) => {
  for (const v of vectors()) {
    let errors = 0;
    let bad = 0;
    for (let k = 0; k < v.bytes.length; k++) {
      const cut = v.bytes.subarray(0, k);
      for (const f of [() => decodeServerCertificateBytes(cut), () => publicKeyOfServerCertificate(cut)]) {
        try {
          f();
          if (k < v.paddingStart) bad++;
        } catch (e) {
          if (e instanceof DecodeError && e.offset >= 0 && e.offset <= k) errors++;
          else bad++;
        }
      }
    }
    t.equal(bad, 0, `${v.name}: no accepted truncation before the padding, no foreign error`);
    t.equal(errors, 2 * Math.min(v.bytes.length, v.paddingStart), `${v.name}: ${errors} DecodeErrors`);
  }
  // each X.509 certificate of the chains, cut at every offset
  for (const v of vectors().slice(2)) {
    for (const cert of (decodeServerCertificateBytes(v.bytes) as { certificates: Buffer[] }).certificates) {
      let bad = 0;
      for (let k = 0; k < cert.length; k++) {
        for (const f of [() => decodeX509Certificate(cert.subarray(0, k)), () => x509PublicKey(cert.subarray(0, k))]) {
          try {
            f();
            bad++;
          } catch (e) {
            if (!(e instanceof DecodeError)) bad++;
          }
        }
      }
      t.equal(bad, 0, `${v.name}: certificate of ${cert.length} bytes, every truncation refused with DecodeError`);
    }
  }
});

const onlyDecodeErrors = (f: () => unknown): boolean => {
  try {
    f();
    return true;
  } catch (e) {
    if (e instanceof DecodeError) return true;
    throw e;
  }
};

t.test('fast-check: decoding arbitrary bytes as a server certificate throws only DecodeError', async (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), (b) => onlyDecodeErrors(() => decodeServerCertificateBytes(b)) && onlyDecodeErrors(() => publicKeyOfServerCertificate(b))),
    { numRuns: 3000 },
  );
  // with a valid dwVersion in front, to get past the dispatch
  fc.assert(
    fc.property(fc.constantFrom(1, 2, 0x80000001, 0x80000002), fc.uint8Array({ maxLength: 600 }), (v, body) => {
      const b = Buffer.concat([Buffer.alloc(4), body]);
      b.writeUInt32LE(v, 0);
      return onlyDecodeErrors(() => decodeServerCertificateBytes(b)) && onlyDecodeErrors(() => publicKeyOfServerCertificate(b));
    }),
    { numRuns: 3000 },
  );
  // mutations of real certificates and chains
  const seeds = vectors().map((v) => v.bytes);
  fc.assert(
    fc.property(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), (seed, edits) => {
      const b = Buffer.from(seed);
      for (const [at, v] of edits) b[at % b.length] = v;
      return onlyDecodeErrors(() => decodeServerCertificateBytes(b)) && onlyDecodeErrors(() => publicKeyOfServerCertificate(b));
    }),
    { numRuns: 2000 },
  );
  // arbitrary DER-ish input to the X.509 parser
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (body) => {
      const b = Buffer.concat([Buffer.from([0x30, 0x82, body.length >> 8, body.length & 0xff]), body]);
      return onlyDecodeErrors(() => decodeX509Certificate(b)) && onlyDecodeErrors(() => x509PublicKey(b));
    }),
    { numRuns: 2000 },
  );
  t.pass('no exception other than DecodeError');
});
