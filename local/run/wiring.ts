/**
 * Wires a provisioned stack as AWS would: starts each function that an event source mapping
 * invokes (from its bundled asset, in workers: one execution environment per invocation in flight)
 * and turns each mapping into a drain of its stream or queue with the mapping's settings (batch
 * size, retries, bisect, maximum record age, partial batch responses, on-failure destination) and
 * its concurrency (shards × ParallelizationFactor, MaximumConcurrency).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { ConcurrencyGauge } from '../functions/concurrency-gauge';
import { drainKinesis } from '../services/event-sources/kinesis-event-source';
import { drainSqs } from '../services/event-sources/sqs-event-source';
import { emptyStats, type BatchHandler, type PollStats } from '../services/event-sources/types';
import { nodeModulesLookup } from './emulator-packages';
import type { CallerCredentials } from '../services/front-door/callers';
import type { FunctionHost } from '../functions/function-host';
import { FunctionPool, LOCAL_MAX_ENVIRONMENTS } from '../functions/function-pool';
import { functionEnvironment, resolveEnvironment } from '../functions/function-environment';
import type { ProvisionedStack } from './provision';
import type { LocalEventSourceMappings } from '../services/event-source-mappings';
import type { LocalEventSourceMapping, LocalFunction } from '../template/template-resources';

/** Retries used when a Kinesis mapping retries until records expire (MaximumRetryAttempts -1). */
export const UNBOUNDED_RETRIES_LOCALLY = 10;

/** A function started for the run. */
export interface StartedFunction {
  readonly stack: ProvisionedStack;
  readonly fn: LocalFunction;
  /** Its execution environments (one invocation each at a time, more started as invocations overlap). */
  readonly host: FunctionPool;
  /** The function's resolved environment (template variables only). */
  readonly variables: Record<string, string>;
  /** The entry file it was loaded from. */
  readonly file: string;
}

/** A mapping ready to drain its source into its function. */
export interface MappingRunner {
  readonly mapping: LocalEventSourceMapping;
  readonly kind: 'kinesis' | 'sqs';
  /** Construct path of the stream or queue. */
  readonly sourcePath: string;
  readonly functionPath: string;
  /** The most invocations the mapping runs at once, and the settings that make it so. */
  readonly concurrency: { readonly cap: number; readonly setting: string };
  /** The most invocations that were in flight at once, over every drain so far. */
  peak(): number;
  /** Reads everything in the source and invokes the function until it is drained. */
  drain(onProgress: (stats: { invocations: number; records: number }) => void): Promise<PollStats>;
}

/**
 * How mappings poll, as AWS authorizes them: the clients a mapping of a function uses (its
 * execution role's), and which drain errors are refused calls (the drain then ends, its records
 * left in the source).
 */
export interface MappingPolling {
  clients(started: StartedFunction, label: string, clients: { kinesis: KinesisClient; sqs: SQSClient }): { kinesis: KinesisClient; sqs: SQSClient };
  refused(error: unknown, label: string): boolean;
}

/**
 * Batches an SQS mapping without MaximumConcurrency runs at once locally: the five AWS starts
 * with when messages are available (it then adds up to 300 a minute, up to 1,000), about what a
 * drain of seconds would see.
 */
export const SQS_DEFAULT_CONCURRENCY_LOCALLY = 5;

/** Finds the function an event source mapping invokes (through its alias or version). */
export function mappingFunction(stack: ProvisionedStack, mapping: LocalEventSourceMapping): LocalFunction | undefined {
  const target = stack.refs.target(mapping.functionName);
  return target?.kind === 'function' ? stack.resources.functions.find((f) => f.logicalId === target.logicalId) : undefined;
}

/**
 * Starts a worker for every function that a mapping of `stacks` invokes, and for the functions in
 * `also` (e.g. those a state machine invokes). The workers load at the same time. Each execution
 * environment of a function signs with `credentialsFor` it (environments are numbered from 1), and
 * `onEnvironment` hears of each one started (the first ones now, more as invocations overlap).
 */
export async function startFunctions(
  stacks: readonly ProvisionedStack[],
  assemblyDir: string,
  emulatorEnv: Readonly<Record<string, string>>,
  onLog: (fn: LocalFunction, line: string) => void,
  also: ReadonlyArray<{ stack: ProvisionedStack; fn: LocalFunction }> = [],
  credentialsFor?: (stack: ProvisionedStack, fn: LocalFunction, environment: number) => CallerCredentials,
  onEnvironment?: (stack: ProvisionedStack, fn: LocalFunction, environment: number, host: FunctionHost) => void,
): Promise<StartedFunction[]> {
  // The AWS SDK the bundles leave external (Lambda provides it): from wherever this package's own
  // dependencies resolve (the user's node_modules when installed, the repository's in a checkout).
  const nodeModules = nodeModulesLookup(__dirname);
  const wanted: Array<{ stack: ProvisionedStack; fn: LocalFunction }> = [];
  for (const stack of stacks) {
    for (const mapping of stack.resources.eventSourceMappings) {
      const fn = mappingFunction(stack, mapping);
      if (fn) wanted.push({ stack, fn });
    }
  }
  wanted.push(...also);
  const unique = wanted.filter((w, i) => wanted.findIndex((x) => x.fn === w.fn) === i);
  const results = await Promise.allSettled(
    unique.map(async ({ stack, fn }): Promise<StartedFunction> => {
      const file = entryFile(fn, assemblyDir);
      const variables = resolveEnvironment(fn, stack.refs);
      const host = await FunctionPool.start((environment) => ({
        file,
        exportName: fn.handler.slice(fn.handler.lastIndexOf('.') + 1),
        functionName: fn.name,
        functionArn: stack.refs.arnOf(fn.logicalId),
        memorySize: fn.memorySize,
        timeoutSeconds: fn.timeoutSeconds,
        env: functionEnvironment(fn, variables, credentialsFor ? { ...emulatorEnv, ...credentialVariables(credentialsFor(stack, fn, environment)) } : emulatorEnv, path.dirname(file)),
        extraNodePaths: nodeModules,
        onLog: (line) => onLog(fn, line),
      }), environmentCap(fn), onEnvironment && ((environment, h) => onEnvironment(stack, fn, environment, h)));
      return { stack, fn, host, variables, file };
    }),
  );
  const started = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.allSettled(started.map((s) => s.host.stop()));
    throw failed.reason;
  }
  return started;
}

/** The most environments a function runs in at once: its reserved concurrency, else {@link LOCAL_MAX_ENVIRONMENTS}. */
export function environmentCap(fn: LocalFunction): number {
  const reserved = fn.reservedConcurrentExecutions;
  return reserved !== undefined && reserved >= 1 ? Math.min(reserved, LOCAL_MAX_ENVIRONMENTS) : LOCAL_MAX_ENVIRONMENTS;
}

/** The SDK's credential variables for `credentials` (each function signs with its own key id). */
function credentialVariables(credentials: CallerCredentials): Record<string, string> {
  return { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey };
}

/** The bundled entry file of a function in the cloud assembly. */
export function entryFile(fn: LocalFunction, assemblyDir: string): string {
  if (!fn.assetPath) {
    throw new Error(`${fn.path}: no code asset in the cloud assembly${fn.inlineCode ? ' (inline code is not run locally)' : ''}`);
  }
  const base = path.join(assemblyDir, fn.assetPath, fn.handler.slice(0, fn.handler.lastIndexOf('.')));
  const file = ['.js', '.cjs', '.mjs'].map((ext) => base + ext).find((f) => fs.existsSync(f));
  if (!file) throw new Error(`${fn.path}: ${path.relative(process.cwd(), base)}.js not found in the cloud assembly (handler ${fn.handler})`);
  if (file.endsWith('.mjs')) throw new Error(`${fn.path}: ES module handlers (.mjs) are not run locally yet`);
  return file;
}

/**
 * Drains for every mapping of `stack` whose function was started. With `controls`, each mapping is
 * registered there by its UUID and polls only while enabled (`UpdateEventSourceMapping`), starting
 * as the template says; without, a mapping disabled in the template is not wired.
 */
export function mappingRunners(
  stack: ProvisionedStack,
  functions: readonly StartedFunction[],
  clients: { kinesis: KinesisClient; sqs: SQSClient },
  region: string,
  polling?: MappingPolling,
  controls?: LocalEventSourceMappings,
): { runners: MappingRunner[]; notes: string[] } {
  const runners: MappingRunner[] = [];
  const notes: string[] = [];
  for (const mapping of stack.resources.eventSourceMappings) {
    const fn = mappingFunction(stack, mapping);
    const started = functions.find((f) => f.fn === fn);
    const source = stack.refs.target(mapping.eventSourceArn);
    if ((!mapping.enabled && !controls) || !started || !source) {
      notes.push(`${mapping.path}: not wired (${!started ? 'function not found' : !source ? 'source not emulated' : 'disabled'})`);
      continue;
    }
    const uuid = stack.refs.ref(mapping.logicalId);
    controls?.register({
      uuid,
      arn: stack.refs.getAtt(mapping.logicalId, 'EventSourceMappingArn'),
      eventSourceArn: stack.refs.resolveString(mapping.eventSourceArn),
      functionArn: stack.refs.resolveString(mapping.functionName),
      path: mapping.path,
      enabled: mapping.enabled,
    });
    if (!mapping.enabled) notes.push(`${mapping.path}: disabled in the template: polled only once enabled (UpdateEventSourceMapping)`);
    const active = controls ? () => controls.isEnabled(uuid) : undefined;
    let invocations = 0;
    let records = 0;
    const gauge = new ConcurrencyGauge();
    const peak = () => gauge.peak;
    const handlerFor = (onProgress: (s: { invocations: number; records: number }) => void): BatchHandler => async (event) => {
      invocations++;
      records += (event as { Records: unknown[] }).Records.length;
      onProgress({ invocations, records });
      const { result, output } = await gauge.track(() => started.host.invokeWithOutput(event));
      const response = result as { batchItemFailures?: Array<{ itemIdentifier: string }> } | undefined;
      const droppedItems = droppedItemsOf(output);
      // Without ReportBatchItemFailures, Lambda ignores the response: the batch succeeded.
      return { ...(mapping.reportBatchItemFailures ? response : undefined), ...(droppedItems ? { droppedItems } : {}) };
    };
    const functionPath = started.fn.path;
    const label = `${mapping.path} (event source mapping)`;
    const { kinesis, sqs } = polling ? polling.clients(started, label, clients) : clients;
    const guarded = (drain: Promise<PollStats>) => (polling ? drain.catch((error: unknown) => (polling.refused(error, label) ? emptyStats() : Promise.reject(error))) : drain);
    if (source.kind === 'stream') {
      const stream = stack.resources.streams.find((s) => s.logicalId === source.logicalId)!;
      const retries = mapping.maximumRetryAttempts === undefined || mapping.maximumRetryAttempts < 0 ? UNBOUNDED_RETRIES_LOCALLY : mapping.maximumRetryAttempts;
      if (retries !== mapping.maximumRetryAttempts) notes.push(`${mapping.path}: unbounded retries (-1) are capped at ${retries} locally`);
      const destination = mapping.onFailureDestination === undefined ? undefined : stack.refs.target(mapping.onFailureDestination);
      const checkpoints = new Map<string, string>();
      const factor = mapping.parallelizationFactor ?? 1;
      runners.push({
        mapping,
        kind: 'kinesis',
        sourcePath: stream.path,
        functionPath,
        concurrency: { cap: stream.shardCount * factor, setting: `${stream.shardCount} shard(s) × ParallelizationFactor ${factor}` },
        peak,
        drain: (onProgress) =>
          guarded(drainKinesis(kinesis, sqs, {
            streamName: stream.name,
            streamArn: stack.refs.arnOf(stream.logicalId),
            handler: handlerFor(onProgress),
            batchSize: mapping.batchSize ?? 100,
            retryAttempts: retries,
            bisectBatchOnError: mapping.bisectBatchOnFunctionError ?? false,
            maxRecordAgeMs: mapping.maximumRecordAgeInSeconds && mapping.maximumRecordAgeInSeconds > 0 ? mapping.maximumRecordAgeInSeconds * 1000 : 7 * 24 * 3600 * 1000,
            onFailureQueueUrl: destination?.kind === 'queue' ? stack.queueUrls.get(destination.logicalId) : undefined,
            region,
            checkpoints,
            parallelizationFactor: factor,
            active,
          })),
      });
    } else if (source.kind === 'queue') {
      const queue = stack.resources.queues.find((q) => q.logicalId === source.logicalId)!;
      const concurrency = mapping.maximumConcurrency ?? SQS_DEFAULT_CONCURRENCY_LOCALLY;
      runners.push({
        mapping,
        kind: 'sqs',
        sourcePath: queue.path,
        functionPath,
        concurrency: {
          cap: concurrency,
          setting: mapping.maximumConcurrency ? `MaximumConcurrency ${mapping.maximumConcurrency}` : `no MaximumConcurrency: ${concurrency}, where AWS starts`,
        },
        peak,
        drain: (onProgress) =>
          guarded(drainSqs(sqs, {
            queueUrl: stack.queueUrls.get(queue.logicalId) as string,
            queueArn: stack.refs.arnOf(queue.logicalId),
            handler: handlerFor(onProgress),
            batchSize: mapping.batchSize ?? 10,
            retryDelaySeconds: 0,
            region,
            concurrency,
            active,
          })),
      });
      if ((mapping.batchSize ?? 10) > 10) notes.push(`${mapping.path}: SQS batches hold at most 10 messages locally (one ReceiveMessage), not BatchSize ${mapping.batchSize}`);
      if (!mapping.maximumConcurrency) {
        notes.push(
          `${mapping.path}: no MaximumConcurrency: run with up to ${concurrency} batches at once, where AWS starts (it then adds up to 300 a minute, to 1,000)`,
        );
      }
    } else {
      notes.push(`${mapping.path}: ${source.kind} event sources are not emulated`);
    }
    if (mapping.maximumBatchingWindowInSeconds) {
      notes.push(`${mapping.path}: batching window ${mapping.maximumBatchingWindowInSeconds} s: the source is drained after sending, so batches fill to BatchSize first`);
    }
  }
  return { runners, notes };
}

/**
 * The item ids the runtime dropped on purpose, from its `batch processed` log line (a function
 * that prints none, not the runtime, gives undefined).
 */
export function droppedItemsOf(output: readonly string[]): string[] | undefined {
  for (const line of output) {
    if (!line.includes('"batch processed"')) continue;
    try {
      const entry = JSON.parse(line) as { message?: unknown; droppedIds?: unknown };
      if (entry.message === 'batch processed' && Array.isArray(entry.droppedIds)) return entry.droppedIds.map(String);
    } catch {
      // not a JSON log line
    }
  }
  return undefined;
}
