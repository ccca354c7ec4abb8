/**
 * Hosts one Lambda function from its bundled asset in the cloud assembly (what deploys is what
 * runs), in a worker thread of its own: the function's environment is the worker's `process.env`,
 * so functions with different variables and SDK clients created at module load stay isolated.
 * What the function prints is captured: EMF metric lines are kept for the report, other lines
 * (logs) go to `onLog`, never to the terminal.
 *
 * A timeout ends the execution environment as Lambda does: the worker is terminated (nothing the
 * invocation would still do lands), the invocation fails with `Sandbox.Timedout`, and the next
 * invocation starts a fresh worker (a cold start: the module is loaded again).
 */
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';

/** Options of {@link FunctionHost.start}. */
export interface FunctionHostOptions {
  /** The bundled entry file (e.g. `cdk.out/asset.<hash>/index.js`). */
  readonly file: string;
  /** The export to call (the part of `Handler` after the file name, e.g. `handler`). */
  readonly exportName: string;
  readonly functionName: string;
  readonly functionArn: string;
  readonly memorySize: number;
  readonly timeoutSeconds: number;
  /** The function's complete environment. */
  readonly env: Record<string, string>;
  /**
   * Where bare imports the bundle leaves external (`@aws-sdk/*`, which the Lambda runtime
   * provides) are resolved when the asset directory has no node_modules of its own.
   */
  readonly extraNodePaths: string[];
  /** Receives each log line the function prints. */
  readonly onLog?: (line: string) => void;
}

/** One invocation's outcome as returned by the worker. */
interface WorkerResult {
  type: 'result';
  id: number;
  ok: boolean;
  result?: unknown;
  error?: { name: string; message: string };
  output: string[];
}

/** What an invocation returned, and what the function printed meanwhile (metric and log lines). */
export interface InvocationResult {
  readonly result: unknown;
  readonly output: readonly string[];
}

/** An EMF metric line the function printed (parsed). */
export type MetricLine = Record<string, unknown>;

/** A function running in a worker; invoke it with events as an event source mapping would. */
export class FunctionHost {
  /** EMF lines printed by the function so far, in order. */
  public readonly metrics: MetricLine[] = [];
  /** Invocations, and how many threw or timed out. */
  public invocations = 0;
  public errors = 0;
  /** Invocations ended by the function's timeout (each one's worker was terminated). */
  public timeouts = 0;
  /** Workers started: the first one, and a fresh one after each timeout or crash (cold starts). */
  public coldStarts = 0;
  /** Milliseconds the module took to load at the last cold start. */
  public initMs = 0;

  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (v: InvocationResult) => void; reject: (e: Error) => void; timer: NodeJS.Timeout; worker: Worker }>();
  /** The worker invocations go to; undefined until a fresh one is needed (after a timeout or crash). */
  private worker?: Worker;
  private starting?: Promise<Worker>;
  private stopped?: Promise<void>;

  private constructor(private readonly options: FunctionHostOptions) {}

  /** Loads the function (its init phase) in a new worker; rejects with the init error. */
  public static async start(options: FunctionHostOptions): Promise<FunctionHost> {
    const host = new FunctionHost(options);
    await host.currentWorker();
    return host;
  }

  /**
   * Invokes the function with `event`; resolves with its result, rejects when it throws or runs
   * past its timeout (as a failed invocation does for an event source mapping). After a timeout
   * the next invocation waits for a fresh worker's init (a cold start), as on Lambda.
   */
  public async invoke(event: unknown): Promise<unknown> {
    return (await this.invokeWithOutput(event)).result;
  }

  /** Like {@link invoke}, and resolves with the lines the function printed during the invocation too. */
  public invokeWithOutput(event: unknown): Promise<InvocationResult> {
    const id = this.nextId++;
    this.invocations++;
    const timeoutMs = this.options.timeoutSeconds * 1000;
    const run = (worker: Worker) =>
      new Promise<InvocationResult>((resolve, reject) => {
        const timer = setTimeout(() => void this.timeOut(worker), timeoutMs);
        this.pending.set(id, { resolve, reject, timer, worker });
        worker.postMessage({ type: 'invoke', id, event, requestId: randomUUID(), deadline: Date.now() + timeoutMs });
      });
    // A warm worker takes the invocation at once (it is running from this call on).
    if (this.worker && !this.stopped) return run(this.worker);
    return this.currentWorker().then(run, (error: unknown) => {
      this.errors++;
      throw error;
    });
  }

  /**
   * Ends the running invocation now as its timeout would (the worker is terminated, the
   * invocation fails with `Sandbox.Timedout`): the local run's way of not waiting out a timeout
   * it has made certain (an invocation whose calls are all held). Resolves once the worker is gone.
   */
  public async timeOutNow(): Promise<void> {
    const worker = this.worker;
    if (worker && [...this.pending.values()].some((p) => p.worker === worker)) await this.timeOut(worker);
  }

  /** Terminates the worker. Idempotent. */
  public stop(): Promise<void> {
    this.stopped ??= (async () => {
      const worker = this.worker ?? (await this.starting?.catch(() => undefined));
      this.worker = undefined;
      if (worker) {
        worker.removeAllListeners('exit');
        await worker.terminate();
      }
      this.failAll(new Error('the function was stopped'));
    })();
    return this.stopped;
  }

  /** The worker to invoke: the running one, or a fresh one (its init awaited). */
  private currentWorker(): Promise<Worker> {
    if (this.stopped) return Promise.reject(new Error('the function was stopped'));
    if (this.worker) return Promise.resolve(this.worker);
    this.starting ??= this.spawn().finally(() => (this.starting = undefined));
    return this.starting;
  }

  /** Starts a worker and runs the function's init in it; rejects with the init error. */
  private async spawn(): Promise<Worker> {
    const options = this.options;
    const worker = new Worker(path.join(__dirname, 'function-worker.cjs'), {
      env: options.env,
      workerData: {
        file: options.file,
        exportName: options.exportName,
        extraNodePaths: options.extraNodePaths,
        functionName: options.functionName,
        functionArn: options.functionArn,
        memorySize: options.memorySize,
      },
      stdout: true,
      stderr: true,
    });
    worker.stdout.on('data', (chunk: Buffer) => this.output(chunk.toString('utf8').split('\n').filter(Boolean)));
    worker.stderr.on('data', (chunk: Buffer) => this.output(chunk.toString('utf8').split('\n').filter(Boolean)));
    await new Promise<void>((resolve, reject) => {
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the function's worker exited with code ${code} during init`)));
      worker.once('message', (message: { type: string; initMs?: number; error?: { message: string; stack?: string }; output: string[] }) => {
        this.output(message.output);
        if (message.type === 'ready') {
          this.initMs = message.initMs ?? 0;
          resolve();
        } else reject(new Error(`Init of ${options.functionName} failed: ${message.error?.message}`));
      });
    }).catch(async (error: unknown) => {
      await worker.terminate();
      throw error;
    });
    worker.removeAllListeners('message').removeAllListeners('error').removeAllListeners('exit');
    worker.on('message', (m: WorkerResult) => this.settle(m));
    worker.on('error', (error) => this.retire(worker, error));
    worker.on('exit', (code) => this.retire(worker, new Error(`the function's worker exited with code ${code}`)));
    if (this.stopped) {
      await worker.terminate();
      throw new Error('the function was stopped');
    }
    this.coldStarts++;
    this.worker = worker;
    return worker;
  }

  /**
   * The invocation on `worker` ran past its timeout: the worker is terminated first (so nothing
   * it would still do lands), then the invocation fails with Lambda's `Sandbox.Timedout`.
   */
  private async timeOut(worker: Worker): Promise<void> {
    if (this.worker !== worker) return;
    this.timeouts++;
    this.worker = undefined;
    worker.removeAllListeners('exit').removeAllListeners('error').removeAllListeners('message');
    await worker.terminate();
    // Lambda reports a timeout as the error type Sandbox.Timedout (what a state machine's Retry sees).
    this.failAll(Object.assign(new Error(`Task timed out after ${this.options.timeoutSeconds} seconds`), { name: 'Sandbox.Timedout' }), worker);
  }

  /** The worker crashed or exited: its invocations fail, the next one gets a fresh worker. */
  private retire(worker: Worker, error: Error): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    worker.removeAllListeners('exit').removeAllListeners('error').removeAllListeners('message');
    void worker.terminate();
    this.failAll(error, worker);
  }

  private settle(message: WorkerResult): void {
    this.output(message.output);
    const waiting = this.pending.get(message.id);
    if (!waiting) return;
    this.pending.delete(message.id);
    clearTimeout(waiting.timer);
    if (message.ok) waiting.resolve({ result: message.result, output: message.output });
    else {
      this.errors++;
      waiting.reject(Object.assign(new Error(message.error?.message), { name: message.error?.name ?? 'Error' }));
    }
  }

  /** Fails the pending invocations (of `worker`, or all) with `error`, each counted as an error. */
  private failAll(error: Error, worker?: Worker): void {
    for (const [id, waiting] of this.pending) {
      if (worker && waiting.worker !== worker) continue;
      clearTimeout(waiting.timer);
      this.errors++;
      waiting.reject(error);
      this.pending.delete(id);
    }
  }

  private output(lines: string[]): void {
    for (const line of lines) {
      if (line.startsWith('{') && line.includes('"_aws"')) {
        try {
          this.metrics.push(JSON.parse(line) as MetricLine);
          continue;
        } catch {
          // not a metric line after all: a log line
        }
      }
      this.options.onLog?.(line);
    }
  }
}
