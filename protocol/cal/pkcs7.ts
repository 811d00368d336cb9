import * as asn1js from 'asn1js';
import { DecodeError } from '../wire/index.js';
import { OID, PreEncoded, TAG, TAG_CLASS, contextConstructed, expectTag, isTag, oid, parseDer, readOid, readSmallInteger, sequence, toDer } from '../certificates/der.js';

/**
 * The container of a license ([MS-RDPELE] 2.2.2.6.1 pbLicenseInfo, RDPELE.md 5.1): a DER PKCS#7 ContentInfo holding a
 * "certs-only" SignedData ([RFC 2315] 9.1) — version 1, no digest algorithms, id-data without content, the
 * certificates, no signers.
 */

/** Limits on a received license: at most 16 certificates of at most 8 KB each, 64 KB in all. */
export const CAL_MAX_SIZE = 65535;
export const CAL_MAX_CERTIFICATES = 16;
export const CAL_MAX_CERTIFICATE_SIZE = 8192;

export interface CertsOnlyBundle {
  /** The whole ContentInfo as received. */
  raw: Buffer;
  /** SignedData.version (1). */
  version: number;
  /** DER of each certificate, in bundle order. */
  certificates: Buffer[];
  /** Absolute offset of each certificate in the input. */
  certificateOffsets: number[];
}

/** `ContentInfo { signedData, [0] SignedData { 1, {}, { id-data }, [0] { certificates }, {} } }`. */
export function encodeCertsOnlyBundle(certificates: Uint8Array[]): Buffer {
  return toDer(
    new asn1js.Sequence({
      value: [
        oid(OID.pkcs7SignedData),
        contextConstructed(0, [
          new asn1js.Sequence({
            value: [
              new asn1js.Integer({ value: 1 }),
              new asn1js.Set({ value: [] }),
              new asn1js.Sequence({ value: [oid(OID.pkcs7Data)] }),
              contextConstructed(0, certificates.map((c) => new PreEncoded(c))),
              new asn1js.Set({ value: [] }),
            ],
          }),
        ]),
      ],
    }),
  );
}

/**
 * Decodes the bundle and returns its certificates (not parsed). Liberal where harmless: any SignedData version, digest
 * algorithms and signer infos ignored, CRLs skipped. The certificates must be SEQUENCEs (attribute certificates and
 * other choices are refused).
 */
export function decodeCertsOnlyBundle(der: Uint8Array, base = 0): CertsOnlyBundle {
  if (der.length > CAL_MAX_SIZE) throw new DecodeError('LIMIT_EXCEEDED', 'ContentInfo', base, `license of ${der.length} bytes (at most ${CAL_MAX_SIZE})`);
  const ci = parseDer(der, 'ContentInfo', base);
  const [ctype, explicit, extra] = sequence(ci, 'ContentInfo');
  const contentType = readOid(ctype, 'ContentInfo.contentType', ci.contentOffset);
  if (contentType !== OID.pkcs7SignedData) throw new DecodeError('UNSUPPORTED', 'ContentInfo.contentType', ctype!.offset, `${contentType} is not signedData`);
  if (extra) throw new DecodeError('TRAILING_BYTES', 'ContentInfo', extra.offset);
  const wrapper = expectTag(explicit, 'ContentInfo.content', 0, { tagClass: TAG_CLASS.context, constructed: true, at: ci.offset + ci.raw.length });
  if (wrapper.children.length !== 1) throw new DecodeError('INVALID_VALUE', 'ContentInfo.content', wrapper.offset, '[0] must hold one SignedData');
  const sd = sequence(wrapper.children[0], 'SignedData');
  const version = readSmallInteger(sd[0], 'SignedData.version', wrapper.contentOffset);
  expectTag(sd[1], 'SignedData.digestAlgorithms', TAG.SET, { at: wrapper.contentOffset });
  sequence(sd[2], 'SignedData.contentInfo', wrapper.contentOffset);
  const certificates: Buffer[] = [];
  const certificateOffsets: number[] = [];
  let i = 3;
  if (isTag(sd[i], 0, TAG_CLASS.context)) {
    const set = expectTag(sd[i], 'SignedData.certificates', 0, { tagClass: TAG_CLASS.context, constructed: true });
    if (set.children.length > CAL_MAX_CERTIFICATES) {
      throw new DecodeError('LIMIT_EXCEEDED', 'SignedData.certificates', set.offset, `${set.children.length} certificates (at most ${CAL_MAX_CERTIFICATES})`);
    }
    for (const c of set.children) {
      expectTag(c, 'SignedData.certificates', TAG.SEQUENCE);
      if (c.raw.length > CAL_MAX_CERTIFICATE_SIZE) {
        throw new DecodeError('LIMIT_EXCEEDED', 'SignedData.certificates', c.offset, `certificate of ${c.raw.length} bytes (at most ${CAL_MAX_CERTIFICATE_SIZE})`);
      }
      certificates.push(c.raw);
      certificateOffsets.push(c.offset);
    }
    i++;
  }
  if (isTag(sd[i], 1, TAG_CLASS.context)) i++; // crls
  expectTag(sd[i], 'SignedData.signerInfos', TAG.SET, { at: wrapper.offset + wrapper.raw.length });
  if (sd[i + 1]) throw new DecodeError('TRAILING_BYTES', 'SignedData', sd[i + 1]!.offset);
  return { raw: ci.raw, version, certificates, certificateOffsets };
}
