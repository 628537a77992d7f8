/**
 * The order the sandbox's parts stop in, declared once: what serves outside callers first, so no request reaches
 * a part that is already gone; what feeds the functions before the functions; the local services last, since
 * everything above them reads or writes them. `startSandbox` registers each part's stop as the part starts;
 * `stopAll` runs them in this order whatever order they started in, also when the start failed half-way.
 */

/** Every part, in stopping order. */
export const STOP_ORDER = [
  // First: no tool (`npm run invoke`, `npm run logs`) finds a sandbox that is stopping.
  'endpoints file',
  // Then the doors: no new request reaches a function, or a function that is already gone.
  'API gateway',
  'Lambda API',
  // No reload may start while the functions stop.
  'watcher',
  // The event sources, while the functions still run: the Firehose stand-in flushes by invoking process-clicks.
  'stream poller',
  'Firehose stand-in',
  'functions',
  'function log files',
  // What watches and reaches the services, then the services themselves.
  'service supervisor',
  'AWS clients',
  'stage tracer',
  'OTLP receiver',
  'trace journal',
  'X-Ray daemon',
  'fauxqs',
  'DynamoDB Local',
  // Last: the kept-state folder is released once nothing writes to it.
  'kept state',
] as const;

export type PartName = (typeof STOP_ORDER)[number];

type Stop = () => Promise<void> | void;

/** The stops of the parts started so far. */
export class StartedParts {
  private readonly stops = new Map<PartName, Stop[]>();

  /** Registers a started part's stop; a part with several pieces (the functions) registers each one. */
  add(name: PartName, stop: Stop): void {
    this.stops.set(name, [...(this.stops.get(name) ?? []), stop]);
  }

  /**
   * Stops every registered part in STOP_ORDER (the pieces of one part last-started first), each once; a stop
   * that fails is reported and the others still run.
   */
  async stopAll(report: (name: PartName, error: Error) => void): Promise<void> {
    const stops = new Map(this.stops);
    this.stops.clear();
    for (const name of STOP_ORDER) {
      for (const stop of [...(stops.get(name) ?? [])].reverse()) {
        try {
          await stop();
        } catch (err) {
          report(name, err instanceof Error ? err : new Error(String(err)));
        }
      }
    }
  }
}
