/**
 * What the terminal server checks in a license a client presents ([MS-RDPELE] 3.2.5.3: "license server signature,
 * product information, license expiration date, client hardware identification"), without asking a license server.
 */
import { parseClientLicense, type ClientLicense } from '../../protocol/cal/index.js';
import { decodeX509Certificate, verifyX509Signature } from '../../protocol/certificates/index.js';
import { rsaPublicKeyEquals, type RsaPublicKey } from '../../protocol/crypto/index.js';
import { DAY } from '../clock.js';
import { PRODUCT_ID } from '../license-server/identity.js';

/** The keys whose licenses this terminal server accepts: its license servers' keys, and roots that certify license servers. */
export interface TrustAnchors {
  /** Keys of the license servers this terminal server has seen and of the roots above them (a clearinghouse). */
  keys(): readonly RsaPublicKey[];
}

export type PresentedLicense =
  /** Not a license we can read, or its signature is wrong: the client is told so (event 1003). */
  | { status: 'invalid'; reason: string }
  /**
   * Issued to another hardware id than the one the client sent with it: the device's HardwareID key was deleted (the
   * seed's fix for event 1003) or the license was copied from another device. Whatever its signature, it proves nothing
   * for this device, which is licensed afresh as if it had none (the terminal server "will be able to request the license
   * token again from the license server and re-issue it to the client device").
   */
  | { status: 'other-device'; license: ClientLicense }
  /** Well-formed and signed, but by a license server this terminal server does not know: it gets a license of ours. */
  | { status: 'foreign'; license: ClientLicense }
  | { status: 'valid'; license: ClientLicense; temporary: boolean; expired: boolean; nearExpiry: boolean };

export function issuerTrusted(license: ClientLicense, trust: TrustAnchors): boolean {
  const key = license.issuerCertificate?.subjectPublicKeyInfo.publicKey;
  if (!key) return false;
  const issuer = license.issuerCertificate!;
  // The issuing license server is known itself, or certified by a known root.
  return trust.keys().some((k) => rsaPublicKeyEquals(k, key) || verifyX509Signature(issuer, k));
}

export function checkPresentedLicense(
  der: Uint8Array,
  hwid: Buffer | undefined,
  product: { major: number; minor: number },
  now: Date,
  trust: TrustAnchors,
  renewalWindowDays = 7,
): PresentedLicense {
  let license: ClientLicense;
  try {
    license = parseClientLicense(der);
  } catch (e) {
    return { status: 'invalid', reason: `the license does not parse: ${(e as Error).message}` };
  }
  // The hardware id first: a corrupt license kept by a device that has since made a new HWID is re-issued, not refused.
  if (hwid && !license.hardwareId.equals(hwid)) return { status: 'other-device', license };
  if (!license.signatureValid) return { status: 'invalid', reason: 'the license signature does not verify' };
  if (license.productId !== PRODUCT_ID) return { status: 'foreign', license };
  if (!issuerTrusted(license, trust)) return { status: 'foreign', license };
  const older = license.majorVersion < product.major || (license.majorVersion === product.major && license.minorVersion < product.minor);
  const expired = now >= license.notAfter || older;
  return {
    status: 'valid',
    license,
    temporary: license.temporary,
    expired,
    nearExpiry: !expired && license.notAfter.getTime() - now.getTime() <= renewalWindowDays * DAY,
  };
}

/** The public key of a DER certificate (for trust anchors). */
export function certificateKey(der: Uint8Array): RsaPublicKey | undefined {
  try {
    return decodeX509Certificate(der).subjectPublicKeyInfo.publicKey;
  } catch {
    return undefined;
  }
}
