import type { EventDefinition } from '../event-log.js';

/**
 * License-server events (source TermServLicensing), ids and texts from RD-LICENSING.md §1.14. Texts the source gives
 * only in part ("…") are completed in the same words; `%1`, `%2` are the arguments.
 */
export const LS_EVENTS = {
  /** When the server starts (`rdplic license-server`, `rdplic serve`). */
  SERVICE_STARTED: { id: 0, level: 'information', text: 'The Terminal Services Licensing service has started.' },
  /** When it stops cleanly (SIGINT, SIGTERM, close()). */
  SERVICE_STOPPED: { id: 3, level: 'information', text: 'The Terminal Services Licensing service has stopped.' },
  /** Activation completed (any method), and reactivation. */
  ACTIVATED: { id: 4, level: 'information', text: 'The Remote Desktop Licensing service has been activated' },
  /** A configured peer could not be asked for inventory (throttled: once a day per peer). */
  PEER_UNREACHABLE: {
    id: 8,
    level: 'warning',
    text: 'The Remote Desktop license server cannot communicate with other Remote Desktop license servers: "%1" did not answer (%2).',
  },
  /** A database offered for restore, or found at start, is not a valid license database. */
  DATABASE_INVALID: { id: 9, level: 'error', text: 'The RD Licensing database file is not valid. %1' },
  /** The server could not start (its database or keys could not be opened). */
  INITIALIZATION_ERROR: {
    id: 12,
    level: 'error',
    text: 'All requests for licenses will be denied due to an initialization error in the Remote Desktop license server: %1',
  },
  /** Returning expired CALs to the pool failed (the sweep rolled back; it is retried). */
  RETURN_LICENSE_FAILED: {
    id: 16,
    level: 'warning',
    text: 'The Remote Desktop license server could not return an expired %1 CAL to the available pool of CALs because of following error: %2',
  },
  /** At start, the stored activation certificates do not belong to this server's key. */
  CERTIFICATES_INVALID: {
    id: 17,
    level: 'error',
    text: 'One or more of the RD Licensing certificates on the Remote Desktop license server "%1" are not valid. Reactivate the license server.',
  },
  /** A CAL was wanted but the server is not activated (throttled: once a day). */
  NOT_ACTIVATED: {
    id: 18,
    level: 'warning',
    text: 'The Remote Desktop license server "%1" has not been activated and therefore can issue only temporary licenses.',
  },
  /** An allocation left 10% or less of a version's CALs free (throttled). */
  INSUFFICIENT_LICENSES: {
    id: 20,
    level: 'warning',
    text: 'The Remote Desktop license server "%1" does not have a sufficient number of permanent licenses for product version %2. Purchase and install CALs.',
  },
  /** A CAL was wanted and none is left (a temporary was issued or the device denied; throttled). */
  NO_PERMANENT_LICENSES: {
    id: 21,
    level: 'warning',
    text: 'The Remote Desktop license server "%1" does not have any remaining permanent licenses for product version %2. Purchase and install CALs.',
  },
} satisfies Record<string, EventDefinition>;

/** The catalog, for `rdplic events --catalog`. */
export const LS_EVENT_CATALOG: EventDefinition[] = Object.values(LS_EVENTS).sort((a, b) => a.id - b.id);
