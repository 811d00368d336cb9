/**
 * Event logs of the roles, with the ids and texts of the seed (terminal server 1000–1011) and of later Windows versions
 * (license server, RD-LICENSING.md §1.14). `%1`, `%2` in a text are replaced by the event's arguments.
 */
export type EventLevel = 'information' | 'warning' | 'error';

export interface EventDefinition {
  id: number;
  level: EventLevel;
  text: string;
}

export interface LoggedEvent {
  at: Date;
  source: string;
  eventId: number;
  level: EventLevel;
  message: string;
}

export function formatEventText(text: string, args: readonly string[]): string {
  return text.replace(/%(\d+)/g, (m, n: string) => args[Number(n) - 1] ?? m);
}

export interface EventSink {
  write(event: LoggedEvent): void;
}

/** Keeps events in memory (and forwards them to other sinks). */
export class EventLog {
  readonly events: LoggedEvent[] = [];
  private readonly sinks: EventSink[] = [];

  constructor(
    readonly source: string,
    private readonly now: () => Date,
    private readonly limit = 10_000,
  ) {}

  addSink(sink: EventSink): this {
    this.sinks.push(sink);
    return this;
  }

  log(def: EventDefinition, ...args: string[]): LoggedEvent {
    const event: LoggedEvent = { at: this.now(), source: this.source, eventId: def.id, level: def.level, message: formatEventText(def.text, args) };
    this.events.push(event);
    if (this.events.length > this.limit) this.events.shift();
    for (const s of this.sinks) s.write(event);
    return event;
  }

  count(id: number): number {
    return this.events.filter((e) => e.eventId === id).length;
  }
}
