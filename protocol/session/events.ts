import type { LicensingMessageType } from '../licensing/index.js';

/**
 * One line of the licensing trace: a message received or sent by a ClientLicensing / ServerLicensing, with the state the
 * session is in once that message is handled. Meant for structured logs (connection id + these fields).
 */
export interface LicensingEvent {
  role: 'server' | 'client';
  direction: 'received' | 'sent';
  /** The message type, or MALFORMED when the bytes did not decode. */
  type: LicensingMessageType | 'MALFORMED';
  /** Size of the licensing message in bytes (preamble included). */
  size: number;
  /** The session state after the step that received or sent this message. */
  state: string;
  /** Extra facts: the error code and transition of an ERROR_ALERT, why a message was refused or ignored. */
  detail?: string;
}

/** `server <- NEW_LICENSE_REQUEST (341 bytes) -> AWAIT_RESPONSE: …`, one line per licensing message. */
export function formatLicensingEvent(e: LicensingEvent): string {
  const arrow = e.direction === 'received' ? '<-' : '->';
  return `${e.role} ${arrow} ${e.type} (${e.size} bytes) state ${e.state}${e.detail ? `: ${e.detail}` : ''}`;
}

/** Collects the events of one step and stamps them with the state reached at its end. @internal */
export class StepEvents {
  readonly list: LicensingEvent[] = [];
  constructor(private readonly role: 'server' | 'client') {}

  add(direction: LicensingEvent['direction'], type: LicensingEvent['type'], size: number, detail?: string): void {
    this.list.push({ role: this.role, direction, type, size, state: '', ...(detail !== undefined ? { detail } : {}) });
  }

  /** Sets the final state on every event and hands them to `sink`. */
  finish(state: string, sink?: (e: LicensingEvent) => void): LicensingEvent[] {
    for (const e of this.list) {
      e.state = state;
      sink?.(e);
    }
    return this.list;
  }
}
