/** License server discovery: the emulated directory, the broadcast on loopback, and the terminal server's locator. */
export { parseServiceAddress, isServiceAddress, isNetbiosName, MAX_ADDRESS_LENGTH, type ServiceAddress } from './address.js';
export {
  Directory,
  DirectoryError,
  loadDirectory,
  parseDirectory,
  MAX_DIRECTORY_FILE_BYTES,
  type DirectoryData,
  type DirectoryDomain,
  type DirectoryHost,
  type DirectorySite,
  type DirectoryWorkgroup,
  type Resolution,
} from './directory.js';
export { decodeDatagram, encodeDiscover, encodeOffer, MAX_DATAGRAM_BYTES, type DiscoverOffer, type DiscoverRequest } from './datagram.js';
export { DISCOVERY_PORTS, type PortRange } from './ports.js';
export { DiscoveryResponder, type DiscoveryResponderOptions } from './responder.js';
export { broadcastDiscover, type BroadcastOptions, type OfferFrom } from './broadcast.js';
export { EVENT_NO_LICENSE_SERVER } from './events.js';
export {
  LicenseServerLocator,
  parseLicenseServerList,
  DISCOVERY_INTERVAL,
  PING_INTERVAL,
  type FoundEvent,
  type LostEvent,
  type NoneEvent,
  type LocatorEvents,
  type LicenseServerLocatorOptions,
  type NextCheck,
} from './locator.js';
export { HOW_DISCOVERED_CODE, type CatalogEntry, type HowDiscovered, type LicenseServerTarget, type LinkFactory } from './types.js';
