/**
 * Hosts one Lambda function from its bundled asset in the cloud assembly (what deploys is what
 * runs), in a worker thread of its own: the function's environment is the worker's `process.env`,
 * so functions with different variables and SDK clients created at module load stay isolated.
 * What the function prints is captured: EMF metric lines are kept for the report, other lines
 * (logs) go to `onLog`, never to the terminal.
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

/** An EMF metric line the function printed (parsed). */
export type MetricLine = Record<string, unknown>;

/** A function running in a worker; invoke it with events as an event source mapping would. */
export class FunctionHost {
  /** EMF lines printed by the function so far, in order. */
  public readonly metrics: MetricLine[] = [];
  /** Invocations, and how many threw. */
  public invocations = 0;
  public errors = 0;
  /** Milliseconds the module took to load (the cold start). */
  public initMs = 0;

  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private stopped?: Promise<void>;

  private constructor(
    private readonly worker: Worker,
    private readonly options: FunctionHostOptions,
  ) {}

  /** Loads the function (its init phase) in a new worker; rejects with the init error. */
  public static async start(options: FunctionHostOptions): Promise<FunctionHost> {
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
    const host = new FunctionHost(worker, options);
    worker.stdout.on('data', (chunk: Buffer) => host.output(chunk.toString('utf8').split('\n').filter(Boolean)));
    worker.stderr.on('data', (chunk: Buffer) => host.output(chunk.toString('utf8').split('\n').filter(Boolean)));
    await new Promise<void>((resolve, reject) => {
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the function's worker exited with code ${code} during init`)));
      worker.once('message', (message: { type: string; initMs?: number; error?: { message: string; stack?: string }; output: string[] }) => {
        host.output(message.output);
        if (message.type === 'ready') {
          host.initMs = message.initMs ?? 0;
          resolve();
        } else reject(new Error(`Init of ${options.functionName} failed: ${message.error?.message}`));
      });
    }).catch(async (error: unknown) => {
      await worker.terminate();
      throw error;
    });
    worker.removeAllListeners('message').removeAllListeners('error').removeAllListeners('exit');
    worker.on('message', (m: WorkerResult) => host.settle(m));
    worker.on('error', (error) => host.failAll(error));
    worker.on('exit', (code) => host.failAll(new Error(`the function's worker exited with code ${code}`)));
    return host;
  }

  /**
   * Invokes the function with `event`; resolves with its result, rejects when it throws or runs
   * past its timeout (as a failed invocation does for an event source mapping).
   */
  public invoke(event: unknown): Promise<unknown> {
    const id = this.nextId++;
    this.invocations++;
    const timeoutMs = this.options.timeoutSeconds * 1000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.errors++;
        // Lambda reports a timeout as the error type Sandbox.Timedout (what a state machine's Retry sees).
        reject(Object.assign(new Error(`Task timed out after ${this.options.timeoutSeconds} seconds`), { name: 'Sandbox.Timedout' }));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.worker.postMessage({ type: 'invoke', id, event, requestId: randomUUID(), deadline: Date.now() + timeoutMs });
    });
  }

  /** Terminates the worker. Idempotent. */
  public stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.worker.removeAllListeners('exit');
      await this.worker.terminate();
      this.failAll(new Error('the function was stopped'));
    })();
    return this.stopped;
  }

  private settle(message: WorkerResult): void {
    this.output(message.output);
    const waiting = this.pending.get(message.id);
    if (!waiting) return;
    this.pending.delete(message.id);
    clearTimeout(waiting.timer);
    if (message.ok) waiting.resolve(message.result);
    else {
      this.errors++;
      waiting.reject(Object.assign(new Error(message.error?.message), { name: message.error?.name ?? 'Error' }));
    }
  }

  private failAll(error: Error): void {
    for (const [id, waiting] of this.pending) {
      clearTimeout(waiting.timer);
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
