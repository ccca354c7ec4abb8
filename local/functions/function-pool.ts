/**
 * A function's execution environments in a local run, as Lambda keeps them: each environment
 * (a {@link FunctionHost}: a worker with its own module state) runs one invocation at a time; an
 * invocation that finds every environment busy gets a new one (a cold start), up to the function's
 * reserved concurrency or {@link LOCAL_MAX_ENVIRONMENTS}; past that it waits for one to be free
 * (on AWS it would be throttled, and its source would retry it). A timeout or a crash ends an
 * environment's worker; its next invocation loads the function again (see {@link FunctionHost}).
 */
import { FunctionHost, type FunctionHostOptions, type InvocationResult, type MetricLine } from './function-host';

/**
 * Environments per function when it has no reserved concurrency: far more than the local run's
 * sources ask for at once (the reference app's transform peaks at 24: 2 shards × ParallelizationFactor
 * 2, MaximumConcurrency 10 and a Distributed Map of 10), and a bound on the memory of a run (each
 * environment is a worker thread holding its own copy of the bundle and the AWS SDK).
 */
export const LOCAL_MAX_ENVIRONMENTS = 64;

/** How a function's invocations ran at once, for the report. */
export interface FunctionConcurrency {
  /** Environments used (each runs one invocation at a time). */
  readonly environments: number;
  /** The most invocations in flight at once, each in an environment of its own (a cold one's init included). */
  readonly peak: number;
  /** The most environments the run allows at once. */
  readonly cap: number;
  /** Invocations that waited for a free environment because `cap` were busy (on AWS: throttled). */
  readonly waited: number;
}

/** Invokes a function in as many environments as invocations run at once. */
export class FunctionPool {
  /** Milliseconds the first environment took to load the module (the cold start). */
  public readonly initMs: number;
  /** The most environments at once. */
  public readonly cap: number;

  private readonly hosts: FunctionHost[];
  private readonly idle: FunctionHost[];
  private readonly busy = new Set<FunctionHost>();
  private readonly waiting: Array<{ resolve: (host: FunctionHost) => void; reject: (error: Error) => void }> = [];
  private starting = 0;
  private peak = 0;
  private waited = 0;
  private stopped = false;

  private constructor(
    private readonly optionsFor: (environment: number) => FunctionHostOptions,
    first: FunctionHost,
    cap: number,
    private readonly onEnvironment?: (environment: number, host: FunctionHost) => void,
  ) {
    this.hosts = [first];
    this.idle = [first];
    this.initMs = first.initMs;
    this.cap = cap;
  }

  /**
   * Starts the first environment (rejects with the function's init error) and returns the pool.
   * `options` may differ per environment (numbered from 1: e.g. credentials of its own);
   * `onEnvironment` hears of each environment started.
   */
  public static async start(
    options: FunctionHostOptions | ((environment: number) => FunctionHostOptions),
    cap = LOCAL_MAX_ENVIRONMENTS,
    onEnvironment?: (environment: number, host: FunctionHost) => void,
  ): Promise<FunctionPool> {
    const optionsFor = typeof options === 'function' ? options : () => options;
    const first = await FunctionHost.start(optionsFor(1));
    onEnvironment?.(1, first);
    return new FunctionPool(optionsFor, first, Math.max(1, Math.floor(cap)), onEnvironment);
  }

  /** EMF lines printed by every environment so far. */
  public get metrics(): MetricLine[] {
    return this.hosts.flatMap((h) => h.metrics);
  }

  /** Invocations so far. */
  public get invocations(): number {
    return this.sum((h) => h.invocations);
  }

  /** Invocations that threw or timed out. */
  public get errors(): number {
    return this.sum((h) => h.errors);
  }

  /** Invocations ended by the function's timeout. */
  public get timeouts(): number {
    return this.sum((h) => h.timeouts);
  }

  /** Workers started in all environments (the first of each, and a fresh one after each timeout or crash). */
  public get coldStarts(): number {
    return this.sum((h) => h.coldStarts);
  }

  /** Each environment's host: its timeouts and cold starts (the first, and one after each timeout or crash). */
  public environments(): readonly FunctionHost[] {
    return this.hosts;
  }

  /** How invocations ran at once so far. */
  public concurrency(): FunctionConcurrency {
    return { environments: this.hosts.length, peak: this.peak, cap: this.cap, waited: this.waited };
  }

  /**
   * Invokes the function in a free environment (a new one when all are busy and the cap allows);
   * resolves with its result, rejects as {@link FunctionHost.invoke} does.
   */
  public async invoke(event: unknown): Promise<unknown> {
    return (await this.invokeWithOutput(event)).result;
  }

  /** Like {@link invoke}, and resolves with the lines the function printed during the invocation too. */
  public async invokeWithOutput(event: unknown): Promise<InvocationResult> {
    // In flight from the moment it has an environment, a cold one's init included (as Lambda counts concurrency).
    const host = await this.acquire();
    try {
      return await host.invokeWithOutput(event);
    } finally {
      this.release(host);
    }
  }

  /** Ends every invocation running now as its timeout would (see {@link FunctionHost.timeOutNow}). */
  public async timeOutNow(): Promise<void> {
    await Promise.all([...this.busy].map((h) => h.timeOutNow()));
  }

  /** Stops every environment; invocations waiting for one are rejected. Idempotent. */
  public async stop(): Promise<void> {
    this.stopped = true;
    for (const w of this.waiting.splice(0)) w.reject(new Error('the function was stopped'));
    await Promise.all(this.hosts.map((h) => h.stop()));
  }

  private async acquire(): Promise<FunctionHost> {
    if (this.stopped) throw new Error('the function was stopped');
    const idle = this.idle.pop();
    if (idle) return this.take(idle);
    if (this.hosts.length + this.starting < this.cap) {
      this.starting++;
      this.countIn();
      try {
        const environment = this.hosts.length + this.starting;
        const host = await FunctionHost.start(this.optionsFor(environment));
        this.hosts.push(host);
        this.onEnvironment?.(environment, host);
        if (this.stopped) {
          await host.stop();
          throw new Error('the function was stopped');
        }
        this.busy.add(host);
        return host;
      } finally {
        this.starting--;
      }
    }
    this.waited++;
    const host = await new Promise<FunctionHost>((resolve, reject) => this.waiting.push({ resolve, reject }));
    return this.take(host);
  }

  /** Marks an environment busy with an invocation. */
  private take(host: FunctionHost): FunctionHost {
    this.busy.add(host);
    this.countIn();
    return host;
  }

  /** Counts the invocations in flight (they have, or are getting, an environment). */
  private countIn(): void {
    this.peak = Math.max(this.peak, this.busy.size + this.starting);
  }

  private release(host: FunctionHost): void {
    this.busy.delete(host);
    const next = this.waiting.shift();
    if (next) next.resolve(host);
    else this.idle.push(host);
  }

  private sum(value: (host: FunctionHost) => number): number {
    return this.hosts.reduce((n, h) => n + value(h), 0);
  }
}
