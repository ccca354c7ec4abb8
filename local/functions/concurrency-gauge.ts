/**
 * Counts work in flight and the most that was in flight at once: what the local run reports as
 * "ran at once" for event source mappings, functions and Distributed Maps.
 */
export class ConcurrencyGauge {
  /** Work in flight now. */
  public current = 0;
  /** The most work in flight at once so far. */
  public peak = 0;
  /** Work started so far. */
  public started = 0;

  /** Runs `work`, counted as in flight until it settles. */
  public async track<T>(work: () => Promise<T>): Promise<T> {
    this.current++;
    this.started++;
    if (this.current > this.peak) this.peak = this.current;
    try {
      return await work();
    } finally {
      this.current--;
    }
  }
}
