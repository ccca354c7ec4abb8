/**
 * Runs a Step Functions definition (Amazon States Language) locally with aws-local-stepfunctions,
 * with every Task state overridden by what its `Resource` names — never by state name, so any
 * definition runs, however its states are called:
 *
 * - a Lambda function ARN (`arn:aws:lambda:...:function:name[:qualifier]`): the locally hosted
 *   function, its result is the task result (payloadResponseOnly);
 * - `arn:aws:states:::lambda:invoke`: the function named by `FunctionName` (a name, an ARN, an
 *   alias or version ARN), with `Payload`; the result is wrapped as the service wraps it
 *   (`{ ExecutedVersion, Payload, StatusCode, ... }`);
 * - `arn:aws:states:::aws-sdk:ssm:getParameter|getParameters|putParameter|deleteParameter`: the
 *   in-process Parameter Store stand-in ({@link LocalParameterStore});
 * - `arn:aws:states:::aws-sdk:lambda:getEventSourceMapping|updateEventSourceMapping`: the run's
 *   event source mappings ({@link LocalEventSourceMappings}; `Uuid`, as SDK integrations name it);
 * - `arn:aws:states:::sqs:sendMessage`: the SQS emulator;
 * - `arn:aws:states:::events:putEvents`: the local EventBridge;
 * - `arn:aws:states:::athena:startQueryExecution[.sync]`, `getQueryExecution`, `getQueryResults`,
 *   `stopQueryExecution`: the local Athena stand-in (local/lakehouse), when the app has Glue
 *   tables. `.sync` returns the ended execution (`{ QueryExecution }`) and fails the task with
 *   `States.TaskFailed` (cause: that JSON) when the query failed; API errors are `Athena.<Name>`.
 *
 * A function's error fails the task with the error's name (its `errorType`), so `Retry` and
 * `Catch` on names such as `ObjectTooLarge` work; the cause is the service's JSON
 * (`{"errorType", "errorMessage", "trace"}`). SDK integration errors are `<Service>.<Name>Exception`
 * (e.g. `Ssm.ParameterNotFoundException`). A definition with any other resource does not compile:
 * {@link UnsupportedDefinitionError} names each state and resource. `TimeoutSeconds` of the
 * execution and of tasks are honoured by aws-local-stepfunctions.
 *
 * A Distributed Map (`ProcessorConfig.Mode: DISTRIBUTED`) runs here, not in aws-local-stepfunctions,
 * and fails as the service's does: when an item fails, the other items stop and the Map fails with
 * `States.ExceedToleratedFailureThreshold` (the library would pass on the item's own error and keep
 * starting queued items), so its `Retry` and `Catch` on that error apply. Every item failure counts
 * as exceeding the threshold (a tolerance above 0 is not emulated). An execution's outcome is
 * reported once every task it started has settled, items of a stopped Map included.
 */
import './promise-with-resolvers';
import { createHash, randomUUID } from 'node:crypto';
import type { StateMachine as AslStateMachine } from 'aws-local-stepfunctions';
import type { BusEnvironment, PutEventsEntry, PutEventsResult } from './event-bus';
import { ConcurrencyGauge } from '../functions/concurrency-gauge';
import { LambdaApiError, type LocalEventSourceMappings } from './event-source-mappings';
import { ParameterStoreError, type LocalParameterStore } from './parameter-store';

/** A JSON object of a definition. */
export type Json = Record<string, unknown>;

/** The largest state input or output Step Functions accepts (256 KiB). */
export const MAX_STATE_PAYLOAD_BYTES = 256 * 1024;

/** A locally hosted function that tasks can invoke. */
export interface HostedFunction {
  /** Construct path (for the report). */
  readonly path: string;
  /** Invokes the function; rejects with its error (the error's `name` is its type). */
  invoke(payload: unknown): Promise<unknown>;
}

/** The Athena calls Task states make (local/lakehouse/athena-stand-in.ts answers them). */
export interface AthenaTaskService {
  startQueryExecution(input: Json): Promise<{ QueryExecutionId: string }>;
  getQueryExecution(input: Json): { QueryExecution: { Status: { State: string } } };
  getQueryResults(input: Json): unknown;
  stopQueryExecution(input: Json): unknown;
}

/** What Task states call locally. */
export interface TaskServices {
  /** The hosted function a name, ARN or qualified ARN refers to. */
  findFunction(nameOrArn: string): HostedFunction | undefined;
  readonly parameters: LocalParameterStore;
  sendMessage(input: SendMessageInput): Promise<{ MessageId?: string; MD5OfMessageBody?: string }>;
  /** `PutEvents` from `caller` (the state machine's account and region; by default the bus's own). */
  putEvents(entries: PutEventsEntry[], caller?: BusEnvironment): Promise<PutEventsResult>;
  /** The Athena stand-in (absent when the app has no Glue tables to query). */
  readonly athena?: AthenaTaskService;
  /** The run's event source mappings (`aws-sdk:lambda:*EventSourceMapping` tasks); without, those tasks fail. */
  readonly eventSourceMappings?: LocalEventSourceMappings;
}

/** `sqs:sendMessage` parameters the local run passes on. */
export interface SendMessageInput {
  readonly QueueUrl: string;
  readonly MessageBody: string;
  readonly DelaySeconds?: number;
  readonly MessageAttributes?: Record<string, { DataType: string; StringValue?: string }>;
  readonly MessageGroupId?: string;
  readonly MessageDeduplicationId?: string;
}

/** What a Task state's `Resource` is, locally. */
export type TaskResource =
  | { readonly kind: 'lambda'; readonly functionArn: string }
  | { readonly kind: 'lambda:invoke' }
  | { readonly kind: 'ssm'; readonly action: SsmAction }
  | { readonly kind: 'lambda:eventSourceMapping'; readonly action: 'getEventSourceMapping' | 'updateEventSourceMapping' }
  | { readonly kind: 'sqs:sendMessage' }
  | { readonly kind: 'events:putEvents' }
  | { readonly kind: 'athena'; readonly action: AthenaAction; readonly sync: boolean };

type AthenaAction = 'startQueryExecution' | 'getQueryExecution' | 'getQueryResults' | 'stopQueryExecution';

type SsmAction = 'getParameter' | 'getParameters' | 'putParameter' | 'deleteParameter';
const SSM_ACTIONS: readonly SsmAction[] = ['getParameter', 'getParameters', 'putParameter', 'deleteParameter'];

/** The resources the local run emulates, for messages. */
export const SUPPORTED_RESOURCES =
  'Lambda function ARNs, arn:aws:states:::lambda:invoke, arn:aws:states:::aws-sdk:ssm:' + `{${SSM_ACTIONS.join(',')}}` +
  ', arn:aws:states:::aws-sdk:lambda:{getEventSourceMapping,updateEventSourceMapping}, arn:aws:states:::sqs:sendMessage, arn:aws:states:::events:putEvents' +
  ', arn:aws:states:::athena:{startQueryExecution[.sync],getQueryExecution,getQueryResults,stopQueryExecution}';

/** Classifies a Task `Resource`; a string explains why it is not emulated. */
export function classifyResource(resource: string): TaskResource | string {
  const fn = /^arn:[^:]+:lambda:[^:]*:[^:]*:function:[^:]+(:[^:]+)?$/.exec(resource);
  if (fn) return { kind: 'lambda', functionArn: resource };
  const service = /^arn:[^:]+:states:::(.+)$/.exec(resource);
  if (!service) return 'not a Lambda function or Step Functions service integration ARN';
  const [integration, pattern] = service[1].split(/\.(?=[a-zA-Z]+$)/);
  const athena = /^athena:(startQueryExecution|getQueryExecution|getQueryResults|stopQueryExecution)$/.exec(integration);
  if (athena && (!pattern || (pattern === 'sync' && athena[1] === 'startQueryExecution'))) {
    return { kind: 'athena', action: athena[1] as AthenaAction, sync: pattern === 'sync' };
  }
  if (pattern) return `the .${pattern} integration pattern is not emulated (request-response only)`;
  if (integration === 'lambda:invoke') return { kind: 'lambda:invoke' };
  if (integration === 'sqs:sendMessage') return { kind: 'sqs:sendMessage' };
  if (integration === 'events:putEvents') return { kind: 'events:putEvents' };
  if (integration === 'aws-sdk:lambda:getEventSourceMapping' || integration === 'aws-sdk:lambda:updateEventSourceMapping') {
    return { kind: 'lambda:eventSourceMapping', action: integration.slice('aws-sdk:lambda:'.length) as 'getEventSourceMapping' | 'updateEventSourceMapping' };
  }
  const ssm = /^aws-sdk:ssm:(\w+)$/.exec(integration);
  if (ssm && (SSM_ACTIONS as readonly string[]).includes(ssm[1])) return { kind: 'ssm', action: ssm[1] as SsmAction };
  return 'this service integration is not emulated';
}

/** Every state of a definition, nested Map and Parallel states included, with its scope. */
export function allStates(definition: Json): Array<{ name: string; state: Json; scope: string }> {
  const out: Array<{ name: string; state: Json; scope: string }> = [];
  const walk = (states: unknown, scope: string) => {
    for (const [name, state] of Object.entries((states ?? {}) as Record<string, Json>)) {
      out.push({ name, state, scope });
      const processor = (state.ItemProcessor ?? state.Iterator) as Json | undefined;
      if (processor) walk(processor.States, `${scope}${name}/`);
      ((state.Branches as Json[] | undefined) ?? []).forEach((b, i) => walk(b.States, `${scope}${name}[${i}]/`));
    }
  };
  walk(definition.States, '');
  return out;
}

/** The function names or ARNs the definition's tasks name literally (to start them before a run). */
export function referencedFunctions(definition: Json): string[] {
  const names = new Set<string>();
  for (const { state } of allStates(definition)) {
    if (state.Type !== 'Task' || typeof state.Resource !== 'string') continue;
    const resource = classifyResource(state.Resource);
    if (typeof resource === 'string') continue;
    if (resource.kind === 'lambda') names.add(resource.functionArn);
    const name = (state.Parameters as Json | undefined)?.FunctionName;
    if (resource.kind === 'lambda:invoke' && typeof name === 'string') names.add(name);
  }
  return [...names];
}

/** A definition that uses something the local run does not emulate. */
export class UnsupportedDefinitionError extends Error {
  constructor(public readonly problems: string[]) {
    super(`the definition cannot run locally:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'UnsupportedDefinitionError';
  }
}

/** One Task state's call, as the run observed it. */
export interface TaskCall {
  readonly state: string;
  readonly resource: string;
  readonly kind: TaskResource['kind'];
  /** The function's construct path (Lambda tasks). */
  readonly target?: string;
  /** The task's effective input (after `Parameters`). */
  readonly input: unknown;
  readonly output?: unknown;
  readonly error?: { readonly name: string; readonly message: string };
  readonly ms: number;
}

/** How an execution ended. */
export type ExecutionStatus = 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** The outcome of one execution. */
export interface ExecutionOutcome {
  readonly status: ExecutionStatus;
  readonly output?: unknown;
  /** Error name and cause of a failed execution. */
  readonly error?: string;
  readonly cause?: string;
  /** States entered, those of Map iterations and Parallel branches included. */
  readonly statesVisited: number;
  readonly mapIterations: number;
  /** Each Distributed Map the execution ran: its items and how many ran at once. */
  readonly maps: DistributedMapRun[];
  readonly tasks: TaskCall[];
  readonly startDate: Date;
  readonly stopDate: Date;
}

/** A Distributed Map state of an execution: items run (every run of it, retries included) and the most at once. */
export interface DistributedMapRun {
  /** The Map state's name. */
  readonly state: string;
  /** Its `MaxConcurrency` (0: not set, AWS then runs up to 10,000 child executions at once). */
  readonly maxConcurrency: number;
  /** The most items the local run lets run at once. */
  readonly concurrency: number;
  /** Items started. */
  items: number;
  /** The most items that ran at once. */
  peak: number;
}

/** Identity of one execution (the context object's `Execution` and `StateMachine`). */
export interface ExecutionIdentity {
  readonly executionArn: string;
  readonly name: string;
  readonly stateMachineArn: string;
  readonly stateMachineName: string;
  readonly roleArn?: string;
}

/** Options of {@link CompiledStateMachine.compile}. */
export interface CompileOptions {
  /**
   * Retry intervals are multiplied by this (`0.01`: a 2 s interval waits 20 ms). Without it, the
   * definition's intervals, backoff and jitter apply as written.
   */
  readonly retryIntervalScale?: number;
  /**
   * Items a Distributed Map runs at the same time, whatever its `MaxConcurrency` (`1`: one at a time).
   * @default - its MaxConcurrency, at most {@link LOCAL_MAP_CONCURRENCY_CAP}
   */
  readonly distributedMapConcurrency?: number;
}

/** The Task resource a Distributed Map becomes locally (run by {@link CompiledStateMachine}). */
export const DISTRIBUTED_MAP_RESOURCE = 'arn:aws:states:::local:distributedMap';

/** The error of a Distributed Map whose items failed. */
export const TOLERATED_FAILURE_ERROR = 'States.ExceedToleratedFailureThreshold';

/** Fields of a Map state that stay on the Task it becomes; the others go to the Map run inside. */
const TASK_FIELDS = ['Comment', 'InputPath', 'ResultSelector', 'ResultPath', 'OutputPath', 'Retry', 'Catch', 'Next', 'End'];

/** The longest timer Node keeps (setTimeout overflows above 2^31 - 1 ms): a Map has no timeout of its own. */
const NO_TIMEOUT_SECONDS = 2_147_483;

/** A Distributed Map taken out of a definition, to run by {@link CompiledStateMachine}. */
export interface DistributedMap {
  /** A one-Map definition whose items run a Pass state: its output is the items' inputs (ItemsPath, ItemSelector applied). */
  readonly selector: Json;
  /** The Map's ItemProcessor, as a definition. */
  readonly processor: Json;
  /** Items run at the same time. */
  readonly concurrency: number;
  /** Its `MaxConcurrency` (0: not set). */
  readonly maxConcurrency: number;
}

/**
 * The most items of a Distributed Map that run at once locally. AWS runs up to 10,000 child
 * executions at once when MaxConcurrency is 0 or not set; locally each item's tasks are Lambda
 * invocations in execution environments of their own (worker threads), so a Map runs at most
 * this many: 40, the concurrency of an Inline Map.
 */
export const LOCAL_MAP_CONCURRENCY_CAP = 40;

/**
 * `definition` with each Distributed Map replaced by a Task state (same name, input and output
 * processing, `Retry`, `Catch` and transition) whose resource is {@link DISTRIBUTED_MAP_RESOURCE};
 * the Maps are returned by name. `concurrency` replaces their MaxConcurrency (by default it is
 * their MaxConcurrency, at most {@link LOCAL_MAP_CONCURRENCY_CAP}).
 */
export function extractDistributedMaps(definition: Json, concurrency?: number): { definition: Json; maps: Map<string, DistributedMap> } {
  const copy = JSON.parse(JSON.stringify(definition)) as Json;
  const maps = new Map<string, DistributedMap>();
  for (const { name, state } of allStates(copy)) {
    const processor = state.ItemProcessor as { ProcessorConfig?: { Mode?: string } } | undefined;
    if (state.Type !== 'Map' || processor?.ProcessorConfig?.Mode !== 'DISTRIBUTED') continue;
    const task: Json = {};
    const map: Json = {};
    for (const [field, value] of Object.entries(state)) (TASK_FIELDS.includes(field) ? task : map)[field] = value;
    const { ItemProcessor, MaxConcurrency, MaxConcurrencyPath: _path, ToleratedFailurePercentage: _p, ToleratedFailureCount: _c, Label: _l, ...selecting } = map;
    const select = `${name}:select`;
    maps.set(name, {
      selector: {
        StartAt: name,
        States: { [name]: { ...selecting, ItemProcessor: { StartAt: select, States: { [select]: { Type: 'Pass', End: true } } }, End: true } },
      },
      processor: { ...(ItemProcessor as Json), ProcessorConfig: undefined },
      concurrency: concurrency ?? Math.min(Number(MaxConcurrency) > 0 ? Number(MaxConcurrency) : Infinity, LOCAL_MAP_CONCURRENCY_CAP),
      maxConcurrency: Number(MaxConcurrency) > 0 ? Number(MaxConcurrency) : 0,
    });
    for (const field of Object.keys(state)) delete state[field];
    Object.assign(state, task, { Type: 'Task', Resource: DISTRIBUTED_MAP_RESOURCE, TimeoutSeconds: NO_TIMEOUT_SECONDS });
  }
  return { definition: copy, maps };
}

type Library = typeof import('aws-local-stepfunctions');
let library: Promise<Library> | undefined;
/** aws-local-stepfunctions, loaded on first use (about 0.2 s: only runs with state machines pay it). */
function loadLibrary(): Promise<Library> {
  library ??= import('aws-local-stepfunctions');
  return library;
}

const validated = new Map<string, Promise<void>>();
/**
 * Validates a definition as written (aws-local-stepfunctions' validator: structure, ARNs, paths);
 * rejects with the validator's errors. Results are kept, so a runner can validate while its
 * functions load and {@link CompiledStateMachine.compile} does not validate again.
 */
export function validateDefinition(definition: Json): Promise<void> {
  const key = JSON.stringify(definition);
  let done = validated.get(key);
  if (!done) {
    done = loadLibrary().then((lib) => void new lib.StateMachine(JSON.parse(key) as never, { validationOptions: { checkArn: true, checkPaths: true } }));
    validated.set(key, done);
  }
  return done;
}

/** An error of a task, named as Step Functions names it. */
class TaskError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** A Distributed Map ready to run: its item selection and item processor compiled. */
interface CompiledMap {
  readonly selector: AslStateMachine;
  readonly processor: AslStateMachine;
  readonly concurrency: number;
  readonly maxConcurrency: number;
}

/** A definition checked against what the local run emulates, ready to run executions. */
export class CompiledStateMachine {
  private constructor(
    private readonly lib: Library,
    private readonly machine: AslStateMachine,
    private readonly tasks: ReadonlyArray<{ name: string; resource: string; task: TaskResource }>,
    private readonly maps: ReadonlyMap<string, CompiledMap>,
    private readonly services: TaskServices,
    private readonly retryOverrides: Record<string, number[]> | undefined,
  ) {}

  /**
   * Checks `definition` (ASL, already resolved to local names and ARNs): every Task resource must
   * be emulated and every literally named function hosted. Throws {@link UnsupportedDefinitionError}
   * listing each problem, or the validator's error for an invalid definition.
   */
  public static async compile(definition: Json, services: TaskServices, options: CompileOptions = {}): Promise<CompiledStateMachine> {
    const problems: string[] = [];
    const tasks: Array<{ name: string; resource: string; task: TaskResource }> = [];
    for (const { name, state, scope } of allStates(definition)) {
      const where = `state "${scope}${name}"`;
      for (const field of ['ItemReader', 'ItemBatcher', 'ResultWriter']) {
        if (state.Type === 'Map' && state[field] !== undefined) problems.push(`${where}: a Map with ${field} is not emulated (ItemsPath and ItemSelector are)`);
      }
      if (state.Type !== 'Task') continue;
      const resource = String(state.Resource);
      const task = classifyResource(resource);
      if (typeof task === 'string') {
        problems.push(`${where}: resource "${resource}": ${task} (the local run emulates ${SUPPORTED_RESOURCES})`);
        continue;
      }
      const fn = task.kind === 'lambda' ? task.functionArn : task.kind === 'lambda:invoke' ? (state.Parameters as Json | undefined)?.FunctionName : undefined;
      if (typeof fn === 'string' && !services.findFunction(fn)) problems.push(`${where}: function "${fn}" is not a function of the app that runs locally`);
      if (task.kind === 'athena' && !services.athena) problems.push(`${where}: Athena runs locally on the app's Glue tables, and the app has none`);
      tasks.push({ name, resource, task });
    }
    if (problems.length > 0) throw new UnsupportedDefinitionError(problems);
    const lib = await loadLibrary();
    // The definition as written must be valid; then Distributed Maps become local tasks.
    await validateDefinition(definition);
    const local = extractDistributedMaps(definition, options.distributedMapConcurrency);
    const machine = new lib.StateMachine(local.definition as never, { validationOptions: { noValidate: true } });
    const unchecked = (d: Json) => new lib.StateMachine(JSON.parse(JSON.stringify(d)) as never, { validationOptions: { noValidate: true } });
    const maps = new Map(
      [...local.maps].map(([name, m]) => [name, { selector: unchecked(m.selector), processor: unchecked(m.processor), concurrency: m.concurrency, maxConcurrency: m.maxConcurrency }]),
    );
    const scale = options.retryIntervalScale;
    const retryOverrides =
      scale === undefined
        ? undefined
        : Object.fromEntries(
            allStates(definition)
              .filter(({ state }) => Array.isArray(state.Retry))
              .map(({ name, state }) => [name, (state.Retry as Json[]).map((r) => Math.round(Number(r.IntervalSeconds ?? 1) * 1000 * scale))]),
          );
    return new CompiledStateMachine(lib, machine, tasks, maps, services, retryOverrides);
  }

  /**
   * Starts an execution; `result` settles when it has ended and every task it started has settled
   * (it never rejects).
   */
  public run(input: unknown, identity: ExecutionIdentity, onTask?: (call: TaskCall) => void): { abort: () => void; result: Promise<ExecutionOutcome> } {
    const startDate = new Date();
    const calls: TaskCall[] = [];
    const inflight = new Set<Promise<unknown>>();
    const counts = { statesVisited: 0, mapIterations: 0 };
    const track = <T>(promise: Promise<T>): Promise<T> => {
      inflight.add(promise);
      void promise.then(
        () => inflight.delete(promise),
        () => inflight.delete(promise),
      );
      return promise;
    };
    const handlers: Record<string, (input: unknown) => Promise<never>> = {};
    for (const { name, resource, task } of this.tasks) {
      handlers[name] = async (taskInput) => {
        const began = Date.now();
        const record = (c: Omit<TaskCall, 'state' | 'resource' | 'kind' | 'input' | 'ms'>) => {
          const call = { state: name, resource, kind: task.kind, input: taskInput, ms: Date.now() - began, ...c };
          calls.push(call);
          onTask?.(call);
        };
        let target: string | undefined;
        try {
          const result = await track(this.dispatch(task, taskInput, (path) => (target = path)));
          const bytes = Buffer.byteLength(JSON.stringify(result ?? null));
          if (bytes > MAX_STATE_PAYLOAD_BYTES) {
            throw new TaskError('States.DataLimitExceeded', `The task result is ${bytes} bytes, above the ${MAX_STATE_PAYLOAD_BYTES}-byte state payload limit`);
          }
          record({ target, output: result });
          return result as never;
        } catch (error) {
          const e = error as Error;
          record({ target, error: { name: e.name, message: e.message } });
          throw error;
        }
      };
    }
    const options = () => ({ overrides: { taskResourceLocalHandlers: handlers, retryIntervalOverrides: this.retryOverrides }, context: context() });
    const context = () => ({
      Execution: { Id: identity.executionArn, Name: identity.name, RoleArn: identity.roleArn ?? '', StartTime: startDate.toISOString() },
      StateMachine: { Id: identity.stateMachineArn, Name: identity.stateMachineName },
    });
    const maps: DistributedMapRun[] = [];
    for (const [name, map] of this.maps) {
      const run: DistributedMapRun = { state: name, maxConcurrency: map.maxConcurrency, concurrency: map.concurrency, items: 0, peak: 0 };
      handlers[name] = (mapInput) => {
        if (!maps.includes(run)) maps.push(run);
        return this.runMap(map, mapInput, options, counts, track, run) as Promise<never>;
      };
    }
    const execution = this.machine.run(input as never, options());
    const counted = this.count(execution.eventLogs, counts);
    const result = (async (): Promise<ExecutionOutcome> => {
      let outcome: Pick<ExecutionOutcome, 'status' | 'output' | 'error' | 'cause'>;
      try {
        outcome = { status: 'SUCCEEDED', output: await execution.result };
      } catch (error) {
        outcome = this.failure(error as Error);
      }
      const stopDate = new Date();
      // Tasks of aborted Map items, or running past a timeout, still finish (as Lambda invocations do).
      while (inflight.size > 0) await Promise.allSettled([...inflight]);
      // The event log closes with the execution; nested Map events may trail by a tick.
      await Promise.race([counted, new Promise((r) => setTimeout(r, 50).unref())]);
      return { ...outcome, ...counts, maps, tasks: calls, startDate, stopDate };
    })();
    return { abort: execution.abort, result };
  }

  /**
   * Runs a Distributed Map: its items (ItemsPath, ItemSelector) `concurrency` at a time, each an
   * execution of the ItemProcessor. The first item that fails stops the others and fails the Map
   * with {@link TOLERATED_FAILURE_ERROR}; the items' results are the Map's result, in order.
   */
  private async runMap(
    map: CompiledMap,
    input: unknown,
    options: () => Record<string, unknown>,
    counts: { statesVisited: number; mapIterations: number },
    track: <T>(p: Promise<T>) => Promise<T>,
    run: DistributedMapRun,
  ): Promise<unknown[]> {
    const unwrap = (error: unknown) => (error instanceof this.lib.ExecutionError ? (error as Error & { cause?: Error }).cause : undefined) ?? (error as Error);
    let items: unknown[];
    try {
      items = (await map.selector.run(input as never, options()).result) as unknown[];
    } catch (error) {
      throw unwrap(error);
    }
    const results: unknown[] = new Array(items.length);
    const running = new Set<() => void>();
    const gauge = new ConcurrencyGauge();
    let failed: Error | undefined;
    let next = 0;
    const worker = async () => {
      while (failed === undefined && next < items.length) {
        const index = next++;
        const item = map.processor.run(items[index] as never, options());
        counts.mapIterations++;
        run.items++;
        const counted = track(this.count(item.eventLogs, counts));
        running.add(item.abort);
        try {
          results[index] = await gauge.track(() => item.result);
        } catch (error) {
          if (failed === undefined) {
            failed = unwrap(error);
            for (const abort of running) if (abort !== item.abort) abort();
          }
        } finally {
          run.peak = Math.max(run.peak, gauge.peak);
          running.delete(item.abort);
          await counted;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(map.concurrency, items.length) }, worker));
    if (failed) {
      throw new TaskError(TOLERATED_FAILURE_ERROR, `An item of the Distributed Map failed (${failed.name}: ${failed.message}); the tolerated failure threshold (0) was exceeded`);
    }
    return results;
  }

  /** Counts entered states and Map iterations of an event log into `counts`. */
  private async count(events: AsyncGenerator<unknown>, counts: { statesVisited: number; mapIterations: number }): Promise<void> {
    try {
      for await (const event of events as AsyncGenerator<{ type: string }>) {
        if (event.type === 'StateEntered') counts.statesVisited++;
        else if (event.type === 'MapIterationStarted') counts.mapIterations++;
      }
    } catch {
      // an event log that fails only loses counts
    }
  }

  private failure(error: Error): Pick<ExecutionOutcome, 'status' | 'error' | 'cause'> {
    if (error instanceof this.lib.ExecutionTimeoutError) return { status: 'TIMED_OUT', error: 'States.Timeout', cause: 'The execution ran past its TimeoutSeconds' };
    if (error instanceof this.lib.ExecutionAbortedError) return { status: 'ABORTED' };
    const cause = error instanceof this.lib.ExecutionError ? ((error as Error & { cause?: Error }).cause ?? error) : error;
    return { status: 'FAILED', error: cause.name || 'States.Runtime', cause: cause.message };
  }

  private async dispatch(task: TaskResource, input: unknown, onTarget: (path: string) => void): Promise<unknown> {
    const params = (input ?? {}) as Json;
    switch (task.kind) {
      case 'lambda':
        return this.invoke(task.functionArn, input, onTarget);
      case 'lambda:invoke': {
        if (typeof params.FunctionName !== 'string') throw new TaskError('States.Runtime', 'lambda:invoke needs a FunctionName string');
        const name = typeof params.Qualifier === 'string' ? `${params.FunctionName}:${params.Qualifier}` : params.FunctionName;
        const payload = 'Payload' in params ? params.Payload : {};
        const requestId = randomUUID();
        if (params.InvocationType === 'Event') {
          void this.invoke(name, payload, onTarget).catch(() => undefined);
          return { Payload: '', StatusCode: 202, SdkHttpMetadata: { HttpStatusCode: 202 }, SdkResponseMetadata: { RequestId: requestId } };
        }
        const result = await this.invoke(name, payload, onTarget);
        return { ExecutedVersion: '$LATEST', Payload: result, StatusCode: 200, SdkHttpMetadata: { HttpStatusCode: 200 }, SdkResponseMetadata: { RequestId: requestId } };
      }
      case 'ssm':
        try {
          return this.services.parameters[task.action](params);
        } catch (error) {
          if (error instanceof ParameterStoreError) throw new TaskError(`Ssm.${error.name.replace(/(Exception)?$/, 'Exception')}`, error.message);
          throw error;
        }
      case 'lambda:eventSourceMapping': {
        // SDK integrations name fields as the Java SDK v2 does: `Uuid`, not the API's `UUID`.
        if ('UUID' in params) throw new TaskError('States.Runtime', 'The field "UUID" is not supported by Step Functions (the aws-sdk integration names it "Uuid")');
        const mappings = this.services.eventSourceMappings;
        if (!mappings) throw new TaskError('Lambda.ResourceNotFoundException', `Event source mapping not found: ${String(params.Uuid)}`);
        try {
          const out = task.action === 'getEventSourceMapping' ? mappings.get(params.Uuid) : mappings.update(params.Uuid, params.Enabled);
          return { ...out, LastModified: out.LastModified.toISOString() };
        } catch (error) {
          if (error instanceof LambdaApiError) throw new TaskError(`Lambda.${error.name}`, error.message);
          throw error;
        }
      }
      case 'sqs:sendMessage': {
        if (typeof params.QueueUrl !== 'string') throw new TaskError('States.Runtime', 'sqs:sendMessage needs a QueueUrl string');
        const body = typeof params.MessageBody === 'string' ? params.MessageBody : JSON.stringify(params.MessageBody ?? null);
        try {
          const out = await this.services.sendMessage({
            QueueUrl: params.QueueUrl,
            MessageBody: body,
            DelaySeconds: params.DelaySeconds as number | undefined,
            MessageAttributes: params.MessageAttributes as SendMessageInput['MessageAttributes'],
            MessageGroupId: params.MessageGroupId as string | undefined,
            MessageDeduplicationId: params.MessageDeduplicationId as string | undefined,
          });
          return { MessageId: out.MessageId, MD5OfMessageBody: out.MD5OfMessageBody ?? createHash('md5').update(body).digest('hex'), SdkHttpMetadata: { HttpStatusCode: 200 } };
        } catch (error) {
          throw new TaskError(`SQS.${(error as Error).name || 'SqsException'}`, (error as Error).message);
        }
      }
      case 'athena':
        return this.athena(task, params);
      case 'events:putEvents': {
        const entries = Array.isArray(params.Entries) ? (params.Entries as Json[]) : [];
        const out = await this.services.putEvents(
          entries.map((e) => ({
            Source: String(e.Source ?? ''),
            DetailType: String(e.DetailType ?? ''),
            Detail: typeof e.Detail === 'string' ? e.Detail : JSON.stringify(e.Detail ?? {}),
            EventBusName: e.EventBusName as string | undefined,
            Resources: e.Resources as string[] | undefined,
            Time: typeof e.Time === 'string' ? new Date(e.Time) : undefined,
          })),
        );
        const result = { Entries: out.entries, FailedEntryCount: out.failedEntryCount };
        if (out.failedEntryCount > 0) throw new TaskError('EventBridge.FailedEntry', JSON.stringify(result));
        return result;
      }
    }
  }

  /** An Athena task on the stand-in: `.sync` waits for the query (run to completion by the stand-in) and fails the task when it failed. */
  private async athena(task: Extract<TaskResource, { kind: 'athena' }>, params: Json): Promise<unknown> {
    const athena = this.services.athena as AthenaTaskService;
    try {
      if (task.action !== 'startQueryExecution') return await athena[task.action](params);
      const started = await athena.startQueryExecution(params);
      if (!task.sync) return started;
      const ended = athena.getQueryExecution(started);
      if (ended.QueryExecution.Status.State !== 'SUCCEEDED') throw new TaskError('States.TaskFailed', JSON.stringify(ended));
      return ended;
    } catch (error) {
      if (error instanceof TaskError) throw error;
      throw new TaskError(`Athena.${(error as Error).name || 'AmazonAthenaException'}`, (error as Error).message);
    }
  }

  private async invoke(nameOrArn: string, payload: unknown, onTarget: (path: string) => void): Promise<unknown> {
    const fn = this.services.findFunction(nameOrArn);
    if (!fn) throw new TaskError('Lambda.ResourceNotFoundException', `Function not found: ${nameOrArn}`);
    onTarget(fn.path);
    let result: unknown;
    try {
      result = await fn.invoke(JSON.parse(JSON.stringify(payload ?? null)));
    } catch (error) {
      const e = error as Error;
      const errorType = e.name || 'Error';
      throw new TaskError(errorType, JSON.stringify({ errorType, errorMessage: e.message, trace: [] }));
    }
    // What Lambda returns is JSON: undefined becomes null, class instances plain objects.
    return result === undefined ? null : (JSON.parse(JSON.stringify(result)) as unknown);
  }
}
