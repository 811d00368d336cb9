import * as asn1js from 'asn1js';
import { DecodeError } from '../wire/index.js';
import { type DerNode, OID, TAG, expectTag, isStringTag, oid, readOid, readString, toDer, PreEncoded } from './der.js';

/**
 * X.501 Name, as license servers write it ([MS-RDPELE] 4.1, RDPELE.md 3.3/5.2): ONE RelativeDistinguishedName holding
 * several attributes, every value a BMPString (CN = machine name, L = domain / user name, 2.5.4.5 serialNumber = the
 * obfuscated hardware id). Other issuers (a Microsoft clearinghouse) use one attribute per RDN and Printable/UTF8 strings.
 */

export type NameStringType = 'bmp' | 'utf8' | 'printable' | 'ia5';

export interface NameAttribute {
  /** Attribute type OID (2.5.4.3 commonName…). */
  type: string;
  value: string;
  /** Universal tag of the value as received (30 = BMPString…); on send, see {@link NameAttributeSpec.encoding}. */
  tag: number;
}

/** A decoded Name with the exact bytes it came from (issuer/subject comparisons use the bytes). */
export interface Name {
  raw: Buffer;
  rdns: NameAttribute[][];
}

export interface NameAttributeSpec {
  type: string;
  value: string;
  /** Default 'bmp', as license servers do. */
  encoding?: NameStringType;
}

/** A Name to encode: a list of RDNs, each a list of attributes (kept in the order given). */
export type NameSpec = NameAttributeSpec[][];

/** [MS-RDPELE] style name: one RDN {CN, L[, serialNumber]} of BMPStrings, in that order unless `order` says otherwise. */
export function microsoftName(attrs: { commonName: string; locality?: string; serialNumber?: string }, order: 'CN,L' | 'L,CN' = 'CN,L'): NameSpec {
  const cn: NameAttributeSpec = { type: OID.commonName, value: attrs.commonName };
  const l: NameAttributeSpec[] = attrs.locality === undefined ? [] : [{ type: OID.localityName, value: attrs.locality }];
  const rdn = order === 'CN,L' ? [cn, ...l] : [...l, cn];
  if (attrs.serialNumber !== undefined) rdn.push({ type: OID.serialNumber, value: attrs.serialNumber });
  return [rdn];
}

function stringBlock(value: string, encoding: NameStringType): asn1js.BaseBlock {
  switch (encoding) {
    case 'bmp':
      return new asn1js.BmpString({ value });
    case 'utf8':
      return new asn1js.Utf8String({ value });
    case 'printable':
      if (!/^[A-Za-z0-9 '()+,\-./:=?]*$/.test(value)) throw new RangeError(`not a PrintableString: ${value}`);
      return new asn1js.PrintableString({ value });
    case 'ia5':
      // eslint-disable-next-line no-control-regex
      if (!/^[\x00-\x7f]*$/.test(value)) throw new RangeError(`not an IA5String: ${value}`);
      return new asn1js.IA5String({ value });
  }
}

/** The asn1js block of a Name (given as a spec, or as DER bytes embedded untouched). */
export function nameBlock(name: NameSpec | Uint8Array): asn1js.BaseBlock {
  if (name instanceof Uint8Array) return new PreEncoded(name);
  return new asn1js.Sequence({
    value: name.map(
      (rdn) =>
        new asn1js.Set({
          value: rdn.map((a) => new asn1js.Sequence({ value: [oid(a.type), stringBlock(a.value, a.encoding ?? 'bmp')] })),
        }),
    ),
  });
}

export function encodeName(name: NameSpec): Buffer {
  return toDer(nameBlock(name));
}

/** Decodes a Name node. Attribute values that are not strings are kept as hex (tag = their tag number). */
export function decodeName(node: DerNode | undefined, field: string, at?: number): Name {
  const seq = expectTag(node, field, TAG.SEQUENCE, { at });
  const rdns = seq.children.map((set) =>
    expectTag(set, field, TAG.SET).children.map((atv): NameAttribute => {
      const [t, v, extra] = expectTag(atv, field, TAG.SEQUENCE).children;
      if (extra) throw new DecodeError('INVALID_VALUE', field, extra.offset, 'AttributeTypeAndValue with more than two elements');
      const type = readOid(t, field, atv.contentOffset);
      if (!v) throw new DecodeError('TRUNCATED', field, atv.offset, 'attribute without a value');
      return { type, value: isStringTag(v) ? readString(v, field) : v.raw.toString('hex'), tag: v.tagNumber };
    }),
  );
  return { raw: seq.raw, rdns };
}

/** The first value of an attribute type, or undefined. */
export function nameAttribute(name: Name, type: string): string | undefined {
  for (const rdn of name.rdns) for (const a of rdn) if (a.type === type) return a.value;
  return undefined;
}

const SHORT: Record<string, string> = {
  [OID.commonName]: 'CN',
  [OID.localityName]: 'L',
  [OID.serialNumber]: 'serialNumber',
  [OID.countryName]: 'C',
  [OID.stateOrProvinceName]: 'ST',
  [OID.organizationName]: 'O',
  [OID.organizationalUnitName]: 'OU',
};

/** A readable one-line form, e.g. `CN=RODENT+L=WORKGROUP` (RDNs separated by ", "). Control characters escaped. */
export function formatName(name: Name): string {
  return name.rdns
    .map((rdn) =>
      rdn.map((a) => `${SHORT[a.type] ?? a.type}=${a.value.replace(/[\x00-\x1f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}`).join('+'),
    )
    .join(', ');
}
