/**
 * What discovery produces: the catalogue of license servers a terminal server knows of, each with how it was found
 * (the `HowDiscovered` of `Win32_TSDiscoveredLicenseServer`, RD-LICENSING.md §1.9).
 */
import type { LicenseServerLink } from '../license-server/link.js';

/** How a license server became known. */
export type HowDiscovered = 'gp' | 'registry' | 'workgroup' | 'domain' | 'enterprise';

/** `HowDiscovered` codes of Win32_TSDiscoveredLicenseServer: 0 GP, 1 registry, 2 workgroup, 3 domain, 4 enterprise. */
export const HOW_DISCOVERED_CODE: Readonly<Record<HowDiscovered, number>> = {
  gp: 0,
  registry: 1,
  workgroup: 2,
  domain: 3,
  enterprise: 4,
};

/** What a link factory is asked to connect to. */
export interface LicenseServerTarget {
  /** The license server's host name (or the configured value, when it names no host of the directory). */
  name: string;
  /** Where it answers: `https://HOST:PORT`, `HOST:PORT` or `local:NAME` (see address.ts). */
  address: string;
  how: HowDiscovered;
}

/** Makes the link to a license server; called once per address, the link is then reused. */
export type LinkFactory = (target: LicenseServerTarget) => LicenseServerLink;

/** One license server the terminal server knows of, after the latest discovery round or ping. */
export interface CatalogEntry {
  name: string;
  /** Undefined when the name could not be resolved, or its host does not run the licensing service. */
  address?: string;
  how: HowDiscovered;
  /** Answered its last contact (`IsLSAvailable`). */
  available: boolean;
  /** The one the terminal server uses now. */
  chosen: boolean;
  checkedAt: Date;
  /** From the license server's answer. */
  activated?: boolean;
  licenseServerId?: string;
  /** Why it is not available. */
  problem?: string;
}
