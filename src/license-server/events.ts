import type { EventDefinition } from '../event-log.js';

/** License-server events (source TermServLicensing), ids and texts from RD-LICENSING.md §1.14. */
export const LS_EVENTS = {
  SERVICE_STARTED: { id: 0, level: 'information', text: 'The Terminal Services Licensing service has started.' },
  SERVICE_STOPPED: { id: 3, level: 'information', text: 'The Terminal Services Licensing service has stopped.' },
  ACTIVATED: { id: 4, level: 'information', text: 'The Remote Desktop Licensing service has been activated' },
  RETURN_LICENSE_FAILED: {
    id: 16,
    level: 'warning',
    text: 'The Remote Desktop license server could not return an expired %1 CAL to the available pool of CALs because of following error: %2',
  },
  NOT_ACTIVATED: {
    id: 18,
    level: 'warning',
    text: 'The Remote Desktop license server "%1" has not been activated and therefore can issue only temporary licenses.',
  },
  NO_PERMANENT_LICENSES: {
    id: 21,
    level: 'warning',
    text: 'The Remote Desktop license server "%1" does not have any remaining permanent licenses for product version %2. Purchase and install CALs.',
  },
  INSUFFICIENT_LICENSES: {
    id: 20,
    level: 'warning',
    text: 'The Remote Desktop license server "%1" does not have a sufficient number of permanent licenses for product version %2. Purchase and install CALs.',
  },
  DATABASE_INVALID: { id: 9, level: 'error', text: 'The RD Licensing database file is not valid.' },
} satisfies Record<string, EventDefinition>;
