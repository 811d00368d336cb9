import type { EventDefinition } from '../event-log.js';

/**
 * Terminal-server event 1010, logged when a discovery round finds no license server (seed, "Error 1010"). The
 * terminal server's own event table (issue 5 item 5) should reuse this definition rather than repeat the text.
 */
export const EVENT_NO_LICENSE_SERVER = {
  id: 1010,
  level: 'error',
  text:
    'The terminal services could not locate a license server. Confirm that all license servers on the network are registered ' +
    'in WINS\\DNS, accepting network requests, and the Terminal Services Licensing Service is running.',
} as const satisfies EventDefinition;
