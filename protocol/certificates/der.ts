import * as asn1js from 'asn1js';
import { DecodeError } from '../wire/index.js';

/**
 * A thin DER layer over asn1js, used both ways:
 *  - reading: asn1js tokenizes (definite lengths only, embedded OCTET/BIT STRING contents NOT parsed), and every node
 *    is wrapped as a {@link DerNode} that knows its absolute offset and shares memory with the input, so that the raw
 *    bytes of any part (a TBSCertificate, a Name, a SubjectPublicKeyInfo) can be hashed or re-emitted exactly;
 *  - writing: asn1js blocks, plus {@link PreEncoded} to embed bytes that are already DER (or deliberately not DER, like
 *    the raw UTF-16 of Microsoft's AuthorityKeyIdentifier, [MS-RDPELE] 2.2.2.9).
 * Decoding throws only DecodeError.
 */

export const TAG_CLASS = { universal: 1, application: 2, context: 3, private: 4 } as const;
export type TagClass = (typeof TAG_CLASS)[keyof typeof TAG_CLASS];

/** Universal tag numbers used here. */
export const TAG = {
  BOOLEAN: 1,
  INTEGER: 2,
  BIT_STRING: 3,
  OCTET_STRING: 4,
  NULL: 5,
  OBJECT_IDENTIFIER: 6,
  UTF8String: 12,
  SEQUENCE: 16,
  SET: 17,
  NumericString: 18,
  PrintableString: 19,
  T61String: 20,
  IA5String: 22,
  UTCTime: 23,
  GeneralizedTime: 24,
  VisibleString: 26,
  UniversalString: 28,
  BMPString: 30,
} as const;

/** Object identifiers used by the certificates and licenses of [MS-RDPELE] / [MS-RDPBCGR]. */
export const OID = {
  rsaEncryption: '1.2.840.113549.1.1.1',
  md5WithRSAEncryption: '1.2.840.113549.1.1.4',
  sha1WithRSAEncryption: '1.2.840.113549.1.1.5',
  sha256WithRSAEncryption: '1.2.840.113549.1.1.11',
  sha384WithRSAEncryption: '1.2.840.113549.1.1.12',
  sha512WithRSAEncryption: '1.2.840.113549.1.1.13',
  /** OIW shaWithRSASignature: used by license servers as the SubjectPublicKeyInfo algorithm of TS certificates ([MS-RDPELE] 4.1). */
  oiwShaWithRSASignature: '1.3.14.3.2.15',
  /** OIW sha1RSA: the signature algorithm of every license-server-issued certificate ([MS-RDPELE] 2.2.2.9). */
  oiwSha1WithRSASignature: '1.3.14.3.2.29',
  commonName: '2.5.4.3',
  serialNumber: '2.5.4.5',
  countryName: '2.5.4.6',
  localityName: '2.5.4.7',
  stateOrProvinceName: '2.5.4.8',
  organizationName: '2.5.4.10',
  organizationalUnitName: '2.5.4.11',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  /** [MS-RDPELE] 2.2.2.9 szOID_PKIX_HYDRA_CERT_VERSION. */
  hydraCertVersion: '1.3.6.1.4.1.311.18.4',
  /** szOID_PKIX_MANUFACTURER. */
  manufacturer: '1.3.6.1.4.1.311.18.2',
  /** szOID_PKIX_LICENSED_PRODUCT_INFO. */
  licensedProductInfo: '1.3.6.1.4.1.311.18.5',
  /** szOID_PKIX_MS_LICENSE_SERVER_INFO. */
  msLicenseServerInfo: '1.3.6.1.4.1.311.18.6',
  /** szOID_PKIS_PRODUCT_SPECIFIC_OID. */
  productSpecific: '1.3.6.1.4.1.311.18.7',
  /** UTF-16 license-server product key/ID seen in a self-signed LS certificate (RDPELE.md 5.2). */
  licenseServerProductKey: '1.3.6.1.4.1.311.18.8',
  /** Seen in newer client licenses (`07 00 00 00`), meaning unknown (RDPELE.md 5.3). */
  hydra18_9: '1.3.6.1.4.1.311.18.9',
  pkcs7Data: '1.2.840.113549.1.7.1',
  pkcs7SignedData: '1.2.840.113549.1.7.2',
} as const;

/** One DER TLV of a decoded input. */
export interface DerNode {
  tagClass: TagClass;
  tagNumber: number;
  constructed: boolean;
  /** Absolute offset of the first identifier byte. */
  offset: number;
  /** The whole TLV. */
  raw: Buffer;
  /** The contents octets. */
  content: Buffer;
  contentOffset: number;
  /** Sub-nodes of a constructed node (empty for primitives). */
  children: DerNode[];
}

/** Limits for asn1js: deeper or larger inputs are refused (certificates nest about 8 deep). */
const PARSE_OPTIONS: asn1js.FromBerOptions = { maxDepth: 40, maxNodes: 4096, parseEmbedded: false, copyInput: false };

/**
 * Parses exactly one DER TLV covering all of `bytes`. `base` is the absolute offset of `bytes[0]` for errors.
 */
export function parseDer(bytes: Uint8Array, field: string, base = 0): DerNode {
  if (bytes.length === 0) throw new DecodeError('TRUNCATED', field, base, 'empty DER input');
  const input = bytes instanceof Buffer ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  let result: asn1js.FromBerResult;
  try {
    result = asn1js.fromBER(input, PARSE_OPTIONS);
  } catch (e) {
    throw new DecodeError('INVALID_VALUE', field, base, `DER: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (result.offset === -1) {
    const msg = result.result.error || 'malformed DER';
    const code = /end of input|not enough|too short|exceeds|less than/i.test(msg) ? 'TRUNCATED' : 'INVALID_VALUE';
    throw new DecodeError(code, field, base, `DER: ${msg}`);
  }
  if (result.offset !== input.length) {
    throw new DecodeError('TRAILING_BYTES', field, base + result.offset, `${input.length - result.offset} bytes after the DER value`);
  }
  const root = result.result;
  const rootView = root.valueBeforeDecodeView;
  const rel0 = rootView.byteOffset - input.byteOffset;
  if (rootView.buffer !== input.buffer || rel0 !== 0) {
    // copyInput:false should make views share memory; anything else would make offsets meaningless.
    throw new DecodeError('UNSUPPORTED', field, base, 'DER parser did not keep views on the input');
  }
  return wrap(root, input, base, field);
}

function wrap(block: asn1js.BaseBlock, input: Buffer, base: number, field: string): DerNode {
  const view = block.valueBeforeDecodeView;
  const rel = view.byteOffset - input.byteOffset;
  const offset = base + rel;
  if (block.lenBlock.isIndefiniteForm) {
    throw new DecodeError('INVALID_VALUE', field, offset, 'indefinite length is not DER');
  }
  const raw = input.subarray(rel, rel + view.length);
  const contentLength = block.lenBlock.length;
  const headerLength = raw.length - contentLength;
  if (headerLength < 2 || contentLength < 0) throw new DecodeError('INVALID_LENGTH', field, offset, 'bad DER header');
  const content = raw.subarray(headerLength);
  const id = block.idBlock;
  if (id.isHexOnly) throw new DecodeError('UNSUPPORTED', field, offset, 'tag number too large');
  const constructed = id.isConstructed;
  let children: DerNode[] = [];
  if (constructed) {
    const value = (block.valueBlock as unknown as { value?: asn1js.BaseBlock[] }).value;
    if (!Array.isArray(value)) throw new DecodeError('INVALID_VALUE', field, offset, 'constructed value without elements');
    children = value.map((c) => wrap(c, input, base, field));
  }
  return {
    tagClass: id.tagClass as TagClass,
    tagNumber: id.tagNumber,
    constructed,
    offset,
    raw,
    content,
    contentOffset: offset + headerLength,
    children,
  };
}

const describe = (cls: number, tag: number): string =>
  cls === TAG_CLASS.universal ? `universal ${tag}` : cls === TAG_CLASS.context ? `[${tag}]` : `class ${cls} tag ${tag}`;

/** Checks class, number and form of a node. */
export function expectTag(node: DerNode | undefined, field: string, tagNumber: number, opts: { tagClass?: TagClass; constructed?: boolean; at?: number } = {}): DerNode {
  const cls = opts.tagClass ?? TAG_CLASS.universal;
  if (!node) throw new DecodeError('TRUNCATED', field, opts.at ?? 0, `missing ${describe(cls, tagNumber)}`);
  if (node.tagClass !== cls || node.tagNumber !== tagNumber) {
    throw new DecodeError('INVALID_VALUE', field, node.offset, `expected ${describe(cls, tagNumber)}, found ${describe(node.tagClass, node.tagNumber)}`);
  }
  const constructed = opts.constructed ?? (cls === TAG_CLASS.universal ? tagNumber === TAG.SEQUENCE || tagNumber === TAG.SET : undefined);
  if (constructed !== undefined && node.constructed !== constructed) {
    throw new DecodeError('INVALID_VALUE', field, node.offset, constructed ? 'primitive form where constructed is required' : 'constructed form is not DER here');
  }
  return node;
}

export const isTag = (node: DerNode | undefined, tagNumber: number, tagClass: TagClass = TAG_CLASS.universal): node is DerNode =>
  node !== undefined && node.tagClass === tagClass && node.tagNumber === tagNumber;

/** Children of a SEQUENCE. */
export function sequence(node: DerNode | undefined, field: string, at?: number): DerNode[] {
  return expectTag(node, field, TAG.SEQUENCE, { at }).children;
}

export function readOid(node: DerNode | undefined, field: string, at?: number): string {
  const n = expectTag(node, field, TAG.OBJECT_IDENTIFIER, { constructed: false, at });
  return decodeOid(n.content, field, n.contentOffset);
}

export function decodeOid(c: Uint8Array, field: string, offset: number): string {
  if (c.length === 0 || c.length > 64) throw new DecodeError('INVALID_LENGTH', field, offset, 'bad OBJECT IDENTIFIER length');
  const arcs: number[] = [];
  let v = 0;
  let started = false;
  for (let i = 0; i < c.length; i++) {
    const b = c[i]!;
    if (!started && b === 0x80) throw new DecodeError('INVALID_VALUE', field, offset + i, 'non-minimal OBJECT IDENTIFIER arc');
    started = true;
    v = v * 128 + (b & 0x7f);
    if (v > Number.MAX_SAFE_INTEGER / 256) throw new DecodeError('INVALID_VALUE', field, offset + i, 'OBJECT IDENTIFIER arc too large');
    if ((b & 0x80) === 0) {
      arcs.push(v);
      v = 0;
      started = false;
    }
  }
  if (started) throw new DecodeError('TRUNCATED', field, offset + c.length, 'OBJECT IDENTIFIER ends inside an arc');
  const first = arcs[0]!;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...arcs.slice(1)].join('.');
}

/** The contents octets of an INTEGER (two's complement, as on the wire). */
export function readIntegerBytes(node: DerNode | undefined, field: string, at?: number): Buffer {
  const n = expectTag(node, field, TAG.INTEGER, { constructed: false, at });
  if (n.content.length === 0) throw new DecodeError('INVALID_LENGTH', field, n.offset, 'empty INTEGER');
  return n.content;
}

/** An INTEGER read as unsigned (a missing sign byte is tolerated, as some encoders forget it). */
export function readUnsignedInteger(node: DerNode | undefined, field: string, at?: number): bigint {
  const c = readIntegerBytes(node, field, at);
  let v = 0n;
  for (const b of c) v = (v << 8n) | BigInt(b);
  return v;
}

export function readSmallInteger(node: DerNode | undefined, field: string, at?: number): number {
  const c = readIntegerBytes(node, field, at);
  if (c.length > 4 || (c[0]! & 0x80) !== 0) throw new DecodeError('INVALID_VALUE', field, node!.contentOffset, 'INTEGER out of range');
  return c.reduce((v, b) => v * 256 + b, 0);
}

export function readBoolean(node: DerNode | undefined, field: string, at?: number): boolean {
  const n = expectTag(node, field, TAG.BOOLEAN, { constructed: false, at });
  if (n.content.length !== 1) throw new DecodeError('INVALID_LENGTH', field, n.offset, 'BOOLEAN must be one byte');
  return n.content[0] !== 0;
}

export function readOctetString(node: DerNode | undefined, field: string, at?: number): DerNode {
  return expectTag(node, field, TAG.OCTET_STRING, { constructed: false, at });
}

/** The bits of a BIT STRING with no unused bits (all that X.509 keys and signatures use). */
export function readBitStringBytes(node: DerNode | undefined, field: string, at?: number): { bytes: Buffer; offset: number } {
  const n = expectTag(node, field, TAG.BIT_STRING, { constructed: false, at });
  if (n.content.length === 0) throw new DecodeError('INVALID_LENGTH', field, n.offset, 'BIT STRING without the unused-bits byte');
  if (n.content[0] !== 0) throw new DecodeError('UNSUPPORTED', field, n.contentOffset, 'BIT STRING with unused bits');
  return { bytes: n.content.subarray(1), offset: n.contentOffset + 1 };
}

const STRING_TAGS = new Set<number>([
  TAG.UTF8String,
  TAG.NumericString,
  TAG.PrintableString,
  TAG.T61String,
  TAG.IA5String,
  TAG.VisibleString,
  TAG.UniversalString,
  TAG.BMPString,
]);

export const isStringTag = (node: DerNode): boolean => node.tagClass === TAG_CLASS.universal && !node.constructed && STRING_TAGS.has(node.tagNumber);

/** Any of the X.520 string types as a JS string (BMPString = UTF-16BE, UniversalString = UTF-32BE). */
export function readString(node: DerNode | undefined, field: string, at?: number): string {
  if (!node) throw new DecodeError('TRUNCATED', field, at ?? 0, 'missing string');
  if (!isStringTag(node)) throw new DecodeError('INVALID_VALUE', field, node.offset, `expected a string, found ${describe(node.tagClass, node.tagNumber)}`);
  const c = node.content;
  switch (node.tagNumber) {
    case TAG.BMPString: {
      if (c.length % 2 !== 0) throw new DecodeError('INVALID_LENGTH', field, node.offset, 'BMPString of odd length');
      const le = Buffer.alloc(c.length);
      for (let i = 0; i < c.length; i += 2) {
        le[i] = c[i + 1]!;
        le[i + 1] = c[i]!;
      }
      return le.toString('utf16le');
    }
    case TAG.UniversalString: {
      if (c.length % 4 !== 0) throw new DecodeError('INVALID_LENGTH', field, node.offset, 'UniversalString length not a multiple of 4');
      let s = '';
      for (let i = 0; i < c.length; i += 4) {
        const cp = c.readUInt32BE(i);
        if (cp > 0x10ffff) throw new DecodeError('INVALID_VALUE', field, node.contentOffset + i, 'invalid code point');
        s += String.fromCodePoint(cp);
      }
      return s;
    }
    case TAG.UTF8String:
      return c.toString('utf8');
    default:
      return c.toString('latin1');
  }
}

/** UTCTime (YYMMDDHHMM[SS]Z, years 1950–2049) or GeneralizedTime (YYYYMMDDHHMMSS[.f]Z), as RFC 5280 4.1.2.5. */
export function readTime(node: DerNode | undefined, field: string, at?: number): Date {
  if (!node) throw new DecodeError('TRUNCATED', field, at ?? 0, 'missing time');
  const s = node.content.toString('latin1');
  let m: RegExpMatchArray | null;
  let year: number;
  if (isTag(node, TAG.UTCTime) && !node.constructed) {
    m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?Z$/.exec(s);
    if (!m) throw new DecodeError('INVALID_VALUE', field, node.contentOffset, `bad UTCTime "${s.replace(/[^\x20-\x7e]/g, '?')}"`);
    const yy = Number(m[1]);
    year = yy < 50 ? 2000 + yy : 1900 + yy;
  } else if (isTag(node, TAG.GeneralizedTime) && !node.constructed) {
    m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d+)?Z$/.exec(s);
    if (!m) throw new DecodeError('INVALID_VALUE', field, node.contentOffset, `bad GeneralizedTime "${s.replace(/[^\x20-\x7e]/g, '?')}"`);
    year = Number(m[1]);
  } else {
    throw new DecodeError('INVALID_VALUE', field, node.offset, 'expected UTCTime or GeneralizedTime');
  }
  const [mo, d, h, mi, se] = [m[2], m[3], m[4], m[5], m[6] ?? '0'].map(Number) as [number, number, number, number, number];
  const date = new Date(Date.UTC(year, mo - 1, d, h, mi, se));
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60 || date.getUTCDate() !== d) {
    throw new DecodeError('INVALID_VALUE', field, node.contentOffset, `impossible date "${s}"`);
  }
  if (year < 100) date.setUTCFullYear(year);
  return date;
}

// ------------------------------------------------------------------------------------------------------------------
// Writing

/** A block whose encoding is given: embeds existing DER (a certificate, a Name) or raw contents, untouched. */
export class PreEncoded extends asn1js.BaseBlock {
  private readonly bytes: Uint8Array;
  constructor(bytes: Uint8Array) {
    super();
    this.bytes = Uint8Array.from(bytes);
  }
  override toBER(sizeOnly?: boolean, writer?: asn1js.ViewWriter): ArrayBuffer {
    const out = sizeOnly ? new ArrayBuffer(this.bytes.length) : this.bytes.slice().buffer;
    if (writer) writer.write(out);
    return out;
  }
}

/** DER bytes of an asn1js block. */
export function toDer(block: asn1js.BaseBlock): Buffer {
  return Buffer.from(block.toBER(false));
}

export function oid(value: string): asn1js.ObjectIdentifier {
  return new asn1js.ObjectIdentifier({ value });
}

/** An INTEGER holding an unsigned big-endian value (a 00 is prepended when the top bit is set; leading zeros are trimmed). */
export function unsignedInteger(bytes: Uint8Array): asn1js.Integer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0 && (bytes[start + 1]! & 0x80) === 0) start++;
  let v = Buffer.from(bytes.subarray(start));
  if (v.length === 0) v = Buffer.alloc(1);
  if ((v[0]! & 0x80) !== 0) v = Buffer.concat([Buffer.alloc(1), v]);
  return new asn1js.Integer({ valueHex: v });
}

export function bigintInteger(v: bigint): asn1js.Integer {
  if (v < 0n) throw new RangeError('negative INTEGER');
  const hex = v.toString(16);
  return unsignedInteger(Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex'));
}

/** AlgorithmIdentifier with NULL parameters. */
export function algorithmIdentifier(algorithm: string): asn1js.Sequence {
  return new asn1js.Sequence({ value: [oid(algorithm), new asn1js.Null()] });
}

/** UTCTime for 1950–2049, GeneralizedTime otherwise (RFC 5280 4.1.2.5), whole seconds, UTC. */
export function time(date: Date): asn1js.BaseBlock {
  if (Number.isNaN(date.getTime())) throw new RangeError('invalid Date');
  const y = date.getUTCFullYear();
  const whole = new Date(Math.floor(date.getTime() / 1000) * 1000);
  if (y >= 1950 && y < 2050) return new asn1js.UTCTime({ valueDate: whole });
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const s = `${p(y, 4)}${p(whole.getUTCMonth() + 1)}${p(whole.getUTCDate())}${p(whole.getUTCHours())}${p(whole.getUTCMinutes())}${p(whole.getUTCSeconds())}Z`;
  return new asn1js.Primitive({ idBlock: { tagClass: 1, tagNumber: TAG.GeneralizedTime }, valueHex: Buffer.from(s, 'latin1') });
}

/** Context-specific constructed tag [n] around the given blocks (EXPLICIT tagging, or IMPLICIT SET/SEQUENCE OF). */
export function contextConstructed(tagNumber: number, value: asn1js.BaseBlock[]): asn1js.Constructed {
  return new asn1js.Constructed({ idBlock: { tagClass: TAG_CLASS.context, tagNumber }, value });
}

/** Context-specific primitive tag [n] with the given contents. */
export function contextPrimitive(tagNumber: number, content: Uint8Array): asn1js.Primitive {
  return new asn1js.Primitive({ idBlock: { tagClass: TAG_CLASS.context, tagNumber }, valueHex: Buffer.from(content) });
}
