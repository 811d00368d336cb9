/**
 * Where a license server answers: the `licenseServer` of a directory host, the address in a broadcast answer, or a
 * DefaultLicenseServer / SpecifiedLicenseServers value that names no host. Three forms:
 *
 * - `https://HOST[:PORT][/PATH]` (or `http://`): the license server's HTTPS API;
 * - `HOST:PORT`: a bare TCP endpoint;
 * - `local:NAME`: a license server in the same process (`rdplic serve` running every role).
 *
 * HOST is a DNS name or an IPv4 address. Link factories decide what each form means; this module only says whether a
 * text is one of them, and gives the key under which two spellings of one address are the same.
 */

/** Longest address accepted anywhere (directory file, datagram, override value). */
export const MAX_ADDRESS_LENGTH = 255;

export type ServiceAddressKind = 'url' | 'tcp' | 'local';

export interface ServiceAddress {
  kind: ServiceAddressKind;
  /** As given. */
  text: string;
  /** The host part (lower-case); undefined for `local:`. */
  host?: string;
  /** Lower-case, without a default port or trailing slash: equal keys are one license server. */
  key: string;
}

const HOST = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const IPV4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const NETBIOS = /^[A-Za-z0-9][A-Za-z0-9_-]{0,14}$/;

export function isHostName(text: string): boolean {
  return IPV4.test(text) || HOST.test(text);
}

function portProblem(text: string): string | undefined {
  if (!/^\d{1,5}$/.test(text)) return `port "${text}" is not a number`;
  const n = Number(text);
  return n >= 1 && n <= 65535 ? undefined : `port ${n} is not between 1 and 65535`;
}

/** Parses a service address, or says in one phrase what is wrong with it. */
export function parseServiceAddress(text: unknown): ServiceAddress | { problem: string } {
  if (typeof text !== 'string') return { problem: 'must be a string' };
  if (text.length === 0) return { problem: 'is empty' };
  if (text.length > MAX_ADDRESS_LENGTH) return { problem: `is longer than ${MAX_ADDRESS_LENGTH} characters` };
  if (!/^[\x21-\x7e]+$/.test(text)) return { problem: 'may hold only printable ASCII without spaces' };
  const shape = 'use https://HOST:PORT, HOST:PORT or local:NAME';

  if (/^https?:\/\//i.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return { problem: `"${text}" is not a valid URL (${shape})` };
    }
    if (url.username || url.password) return { problem: `"${text}" must not carry a user name or password` };
    if (url.search || url.hash) return { problem: `"${text}" must not carry a query or fragment` };
    if (!isHostName(url.hostname)) return { problem: `"${url.hostname}" is not a host name or IPv4 address` };
    const path = url.pathname.replace(/\/+$/, '');
    return { kind: 'url', text, host: url.hostname.toLowerCase(), key: `${url.protocol}//${url.host}${path}`.toLowerCase() };
  }

  if (/^local:/i.test(text)) {
    const name = text.slice('local:'.length);
    if (!NETBIOS.test(name)) return { problem: `"${name}" after local: is not a NetBIOS name (1-15 letters, digits, - or _)` };
    return { kind: 'local', text, key: `local:${name.toLowerCase()}` };
  }

  const colon = text.lastIndexOf(':');
  if (colon <= 0) return { problem: `"${text}" has no port (${shape})` };
  const host = text.slice(0, colon);
  const port = text.slice(colon + 1);
  if (!isHostName(host)) return { problem: `"${host}" is not a host name or IPv4 address (${shape})` };
  const bad = portProblem(port);
  if (bad) return { problem: bad };
  return { kind: 'tcp', text, host: host.toLowerCase(), key: `${host}:${Number(port)}`.toLowerCase() };
}

export function isServiceAddress(x: ServiceAddress | { problem: string }): x is ServiceAddress {
  return !('problem' in x);
}

/** A NetBIOS computer, domain or workgroup name: 1–15 letters, digits, `-` or `_`, not starting with `-` or `_`. */
export function isNetbiosName(text: unknown): text is string {
  return typeof text === 'string' && NETBIOS.test(text);
}

/** Names compare without regard to case, as NetBIOS and DNS names do. */
export function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
