/** A small typed event emitter whose listeners cannot break the emitter: what they throw goes to `onListenerError`. */
export type EventMap = Record<string, unknown>;

export class Emitter<E extends EventMap> {
  private readonly listeners = new Map<keyof E, Set<(payload: never) => void>>();

  constructor(private readonly onListenerError: (event: keyof E, error: unknown) => void) {}

  /** Adds a listener; returns the function that removes it. */
  on<K extends keyof E>(event: K, listener: (payload: E[K]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as (payload: never) => void);
    return () => void set.delete(listener as (payload: never) => void);
  }

  emit<K extends keyof E>(event: K, payload: E[K]): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) {
      try {
        (listener as (payload: E[K]) => void)(payload);
      } catch (e) {
        this.onListenerError(event, e);
      }
    }
  }
}
