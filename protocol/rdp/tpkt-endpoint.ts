import { DecodeError } from '../wire/index.js';
import { extractTpktFrames } from './tpkt.js';

/** The events both ends of the connection sequence report the same way. */
export type EndpointEvent<S extends string> =
  | { type: 'ignored'; reason: string }
  | { type: 'startTls'; leftover: Buffer }
  | { type: 'error'; error: Error; message: string; state: S };

/** Input that is well-formed but not acceptable now: reported as a DecodeError naming the PDU. */
export function refuse(field: string, message: string, offset = 0): DecodeError {
  return new DecodeError('INVALID_VALUE', field, offset, message);
}

/**
 * What ClientConnection and ServerConnection share: received bytes are cut into TPKT frames and handed, one at a time,
 * to the state machine; a switch to TLS stops the cutting (what follows belongs to TLS); anything thrown becomes one
 * `error` event and the machine closes. `receive` never throws.
 */
export abstract class TpktEndpoint<S extends string, E extends { type: string }> {
  protected pending: Buffer = Buffer.alloc(0);
  /** Set by a handler that just sent the CC (server) or received it (client) selecting TLS. */
  protected switchToTls = false;

  protected constructor(
    protected stateValue: S | 'closed',
    protected readonly maxPduSize: number,
  ) {}

  protected abstract handleFrame(frame: Buffer, events: E[]): void;

  receive(data: Uint8Array): E[] {
    const events: E[] = [];
    const common = events as unknown as EndpointEvent<S | 'closed'>[];
    if (this.stateValue === 'closed') {
      if (data.length > 0) common.push({ type: 'ignored', reason: `${data.length} bytes after the connection closed` });
      return events;
    }
    try {
      this.pending = this.pending.length > 0 ? Buffer.concat([this.pending, data]) : Buffer.from(data);
      while (this.stateValue !== 'closed') {
        const { frames, consumed } = extractTpktFrames(this.pending, this.maxPduSize, 1);
        if (frames.length === 0) break;
        const frame = Buffer.from(frames[0]!);
        this.pending = this.pending.subarray(consumed);
        this.handleFrame(frame, events);
        if (this.switchToTls) {
          this.switchToTls = false;
          common.push({ type: 'startTls', leftover: Buffer.from(this.pending) });
          this.pending = Buffer.alloc(0);
          break;
        }
      }
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      common.push({ type: 'error', error, message: error.message, state: this.stateValue });
      this.stateValue = 'closed';
      this.pending = Buffer.alloc(0);
    }
    return events;
  }
}
