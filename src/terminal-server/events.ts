import { EVENT_NO_LICENSE_SERVER } from '../discovery/events.js';
import type { EventDefinition } from '../event-log.js';

/** Terminal-server licensing events (source TermService) with the seed's ids and texts ("System Logs and the Event Viewer"). */
export const TS_EVENTS = {
  UNABLE_TO_ACQUIRE: { id: 1000, level: 'error', text: "Unable to acquire a license for user '%1', domain '%2'." },
  INVALID_LICENSE: { id: 1003, level: 'error', text: "The terminal service client '%1' has provided an invalid license." },
  CANNOT_ISSUE: { id: 1004, level: 'error', text: 'The terminal server cannot issue a client license.' },
  INTERNET_USER_LOGON_FAILED: {
    id: 1007,
    level: 'error',
    text: 'Unable to log in the Internet user as TSInternetUser.  If the problem is not corrected in 20 minutes, delete the account and run Setup again.',
  },
  GRACE_EXPIRED: {
    id: 1008,
    level: 'error',
    text: 'The terminal services licensing grace period has expired and the service has not registered with a license server.  A terminal services license server is required for continuous operation.  A terminal server can operate without a license server for %1 days after initial start up.',
  },
  GRACE_EXPIRING: {
    id: 1009,
    level: 'warning',
    text: 'The terminal services licensing grace period is about to expire on %1 and the service has not registered with a license server.  A terminal services license server is required for continuous operation.  A terminal server can operate without a license server for %2 days after initial start up.',
  },
  /** Logged by discovery (src/discovery), which finds the license servers. */
  NO_LICENSE_SERVER: EVENT_NO_LICENSE_SERVER,
  TEMPORARY_EXPIRED: {
    id: 1011,
    level: 'error',
    text: 'The terminal services client %1 has been disconnected because its temporary license has expired.',
  },
} satisfies Record<string, EventDefinition>;
