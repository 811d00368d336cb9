import { StepEvents, type LicensingEvent } from './events.js';

/** Thrown to unwind a step once the session has aborted (its alert is already queued). @internal */
export class Aborted extends Error {}

/** What one step of a session gives back: the messages to send, the state reached, the outcome once it ends. */
export interface SessionStep<S extends string, O> {
  /** Licensing messages to send, in order (each starts at LICENSE_PREAMBLE). */
  send: Buffer[];
  state: S;
  /** Set on the step that finished the session. */
  outcome?: O;
  /** One event per message received or sent in this step. */
  events: LicensingEvent[];
}

/**
 * What ClientLicensing and ServerLicensing share: the state and outcome, one step at a time (receive() calls are
 * serialized and never reject), the per-step output and events, and the trace of the whole session.
 */
export abstract class LicensingSession<S extends string, O> {
  protected _state: S;
  protected _outcome: O | undefined;
  private reported = false;
  private queue: Promise<unknown> = Promise.resolve();
  /** Every event of this session, in order. */
  readonly trace: LicensingEvent[] = [];
  /** Per-step scratch: messages to send and events of this step. */
  protected out: Buffer[] = [];
  protected events: StepEvents;

  protected constructor(
    private readonly role: 'client' | 'server',
    initial: S,
    private readonly onEvent?: (event: LicensingEvent) => void,
  ) {
    this._state = initial;
    this.events = new StepEvents(role);
  }

  get state(): S {
    return this._state;
  }

  /** How the session ended, once it has. */
  get outcome(): O | undefined {
    return this._outcome;
  }

  get done(): boolean {
    return this._state === 'COMPLETED' || this._state === 'ABORTED';
  }

  /** Handles one licensing message from the peer (bytes from LICENSE_PREAMBLE on). Never rejects for bad input. */
  receive(message: Uint8Array): Promise<SessionStep<S, O>> {
    const run = this.queue.then(() => this.handle(message));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Decodes and handles one message; ends the session (throwing Aborted) on anything it cannot accept. */
  protected abstract dispatch(message: Uint8Array): Promise<void>;

  /** Ends the session after an unexpected exception (a bug, not bad input); always throws Aborted. */
  protected abstract internalError(detail: string): never;

  protected beginStep(): void {
    this.out = [];
    this.events = new StepEvents(this.role);
  }

  protected endStep(): SessionStep<S, O> {
    const events = this.events.finish(this._state, this.onEvent);
    this.trace.push(...events);
    const step: SessionStep<S, O> = { send: this.out, state: this._state, events };
    if (this.done && this._outcome !== undefined && !this.reported) {
      step.outcome = this._outcome;
      this.reported = true;
    }
    return step;
  }

  private async handle(message: Uint8Array): Promise<SessionStep<S, O>> {
    this.beginStep();
    try {
      await this.dispatch(message);
    } catch (e) {
      if (!(e instanceof Aborted)) {
        try {
          this.internalError(e instanceof Error ? e.message : String(e));
        } catch {
          // internalError() always unwinds
        }
      }
    }
    return this.endStep();
  }
}
