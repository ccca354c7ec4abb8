/**
 * One local end-to-end run of a synthesized app: emulators up, the stacks' resources created,
 * functions loaded from their bundled assets, state machines compiled, input sent the way sources
 * send it (stream, bus, and a batch object whose `Object Created` event starts the workflow),
 * every event source mapping drained, every execution finished, outputs read back and the report
 * computed.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RUNTIME_ENV } from '../../lib/contract/environment';
import type { CloudAssembly } from '../template/cloud-assembly';
import { startEmulators, type Emulators } from '../services/emulators';
import { LocalEventBridge } from '../services/event-bus';
import type { PollStats } from '../services/event-sources/types';
import { FaultInjector } from '../faults/fault-injector';
import { buildFaultReport } from '../faults/fault-report';
import type { FaultPlan } from '../faults/fault-spec';
import type { FunctionHost } from '../functions/function-host';
import { CallerRegistry, signerOf } from '../services/front-door/callers';
import type { IamMode } from '../iam/authorizer';
import { runIam, type RunIam } from '../iam/run-iam';
import { startFrontDoor } from '../services/front-door/front-door';
import { emptyIngestResult, fitsOnBus, Pacer, sendToBucket, sendToBus, sendToStream } from './ingest';
import { localEventBridgeClient, localLambdaClient, localSfnClient, localSsmClient, stackOutputsOf, type LiveRun } from './live-run';
import { readOutputs, writeOutputs, type OutputLocations } from '../report/outputs';
import { LocalEventSourceMappings } from '../services/event-source-mappings';
import { LocalParameterStore } from '../services/parameter-store';
import { belongsTo, choosePipeline, pipelinesOf } from './pipeline-choice';
import { provisionStack, type ProvisionedStack } from './provision';
import { environmentOf, LOCAL_ACCOUNT, LOCAL_REGION } from '../template/references';
import { buildReport, type BatchPass, type DistributedMapConcurrency, type ExecutionReport, type RedeliveredRecords, type RunReport } from '../report/run-report';
import { notifyObjectCreated } from '../services/s3-notifications';
import { generateSecretValue, startSecretsStandIn } from '../services/secrets-stand-in';
import { LOCAL_MAP_CONCURRENCY_CAP, validateDefinition, type TaskCall } from '../services/state-machine';
import { LocalStepFunctions, type ExecutionRecord } from '../services/step-functions';
import { readLocalResources } from '../template/template-resources';
import { mappingRunners, startFunctions, type MappingRunner, type StartedFunction } from './wiring';
import { findBatchRoute, prepareStateMachines, registerStateMachines, taskServices } from './workflows';
import { objectCreatedNotifications } from '../services/s3-event-notifications';
import type { LocalLakehouse } from '../lakehouse/local-lakehouse';
import { eventBridgeBuckets, notesWithScheduledRuns, scheduledAthenaRuns, startLakehouse } from '../lakehouse/run-lakehouse';
import { reprocessExecutionName } from '../../lib/contract/reprocess';
import { keepRun, restoreCurated, withoutRestored, type LocalReprocess } from './reprocess';
import { describeTableChanges, tableChanges, type CurrentTableHistory } from '../lakehouse/current-table-report';

/**
 * How input is sent: by one source; `all`: spread over the sources (every third line in the batch
 * object, the rest alternating between the stream and the bus); `each`: every line by every
 * source at once (the same ids arrive by the stream, the bus and the batch object together).
 */
export type Via = 'stream' | 'bus' | 'batch' | 'all' | 'each';

/**
 * State machine retry intervals are scaled by this locally (a 2 s interval waits 20 ms), so a
 * retried task does not hold the run for seconds; counts and order of retries are unchanged.
 */
export const RETRY_INTERVAL_SCALE = 0.01;

/** Options of {@link runPipeline}. */
export interface RunOptions {
  readonly assembly: CloudAssembly;
  /** Input lines, one event each, as a source sends them (one input; `inputs` for several). */
  readonly lines?: readonly string[];
  /**
   * Inputs sent one after the other (e.g. events, then a file of their corrections): each is sent,
   * drained and merged into the current tables before the next, and the report shows each table
   * after each input. Replaces `lines`.
   */
  readonly inputs?: readonly RunInput[];
  readonly via: Via;
  /** Send the input to this pipeline (its pipelineName or construct path); default: the first found. */
  readonly pipeline?: string;
  /** Events per second (no pacing when undefined). */
  readonly rate?: number;
  /** Faults to inject into the functions' AWS calls (see local/faults). */
  readonly faults?: FaultPlan;
  /** Write the final outputs here (`--out`). */
  readonly outDir?: string;
  /** Append the functions' log lines to this file. */
  readonly logFile?: string;
  /**
   * Where the app's Glue tables are kept on DuckDB (the current tables, for `start --query`); the
   * last run's are replaced.
   * @default - a temporary directory, removed when the run ends
   */
  readonly lakehouseDir?: string;
  /**
   * A reprocess run (`start --reprocess`, see ./reprocess.ts): the kept tables of `lakehouseDir`
   * are opened as they are, the curated objects of the runs before are put back, and `lines` go
   * through the batch workflow as one raw object in an execution of the run.
   * @default - a first run
   */
  readonly reprocess?: LocalReprocess;
  /** Prints a progress line. */
  readonly progress: (line: string) => void;
  /**
   * IAM: `enforce` (default) refuses a call the app's policies do not allow, as AWS would;
   * `report` lets it through and lists it; `off` checks nothing.
   */
  readonly iam?: IamMode;
  /**
   * Called with the run still up, after its report is built and before anything stops: the stacks'
   * outputs, clients, and a way to drain again (e.g. to redrive the DLQs with the CLI and see where
   * the records went). The dead-letter queues' messages are left in them for it.
   */
  readonly whileLive?: (live: LiveRun) => Promise<void>;
  /** Registers a stop function, so a signal can stop what was started so far. */
  readonly onStarted: (stop: () => Promise<void>) => void;
}

/** One input of a run: its name (the file) and its lines. */
export interface RunInput {
  readonly name: string;
  readonly lines: readonly string[];
}

/** A failure with the phase it happened in (decides the message and the exit code). */
export class RunError extends Error {
  constructor(
    public readonly phase: 'emulators' | 'resources' | 'functions' | 'input',
    message: string,
  ) {
    super(message);
  }
}

/** Runs the pipeline end to end and returns the report. Stops everything it started. */
export async function runPipeline(options: RunOptions): Promise<RunReport> {
  const { progress } = options;
  const stops: Array<() => Promise<void>> = [];
  const started = (stop: () => Promise<void>) => {
    stops.unshift(stop);
    options.onStarted(stop);
  };
  try {
    return await run(options, started, progress);
  } finally {
    for (const stop of stops) await stop().catch(() => undefined);
  }
}

async function run(options: RunOptions, started: (stop: () => Promise<void>) => void, progress: (line: string) => void): Promise<RunReport> {
  let emulators: Emulators;
  const t0 = Date.now();
  try {
    emulators = await startEmulators();
  } catch (error) {
    throw new RunError('emulators', `An emulator could not start: ${(error as Error).message}`);
  }
  started(() => emulators.stop());
  const ms = Object.entries(emulators.startupMs).map(([s, t]) => `${s} ${t} ms`).join(', ');
  progress(`Emulators up in ${Date.now() - t0} ms (${ms}): fauxqs S3+SQS, dynalite, kinesalite; EventBridge and Secrets Manager in-process.`);

  const clients = { s3: emulators.clients.s3(), sqs: emulators.clients.sqs(), kinesis: emulators.clients.kinesis(), dynamodb: emulators.clients.dynamodb() };
  // Each stack runs in its own account and region (ARNs, events, rules); what names none uses the first stack's.
  const first = options.assembly.stacks[0] ? environmentOf(options.assembly.stacks[0]) : { account: LOCAL_ACCOUNT, region: LOCAL_REGION };
  const eventBridge = new LocalEventBridge(first.account, first.region);
  const passes = new Map<string, BatchPass[]>();
  const stepFunctions = new LocalStepFunctions({
    account: first.account,
    region: first.region,
    eventBridge,
    onTask: (_execution, call) => recordPass(call, passes),
  });
  started(async () => stepFunctions.abortAll());
  const stacks: ProvisionedStack[] = [];
  const notes: string[] = [];
  // The app's policies, from the cloud assembly: every call a function, a mapping, a state machine
  // or a rule makes is authorized with them (local/iam).
  let iam: RunIam;
  try {
    iam = runIam(options.assembly.stacks, options.iam ?? 'enforce');
  } catch (error) {
    throw new RunError('resources', `Reading the app's IAM policies failed: ${(error as Error).message}`);
  }
  try {
    for (const stack of options.assembly.stacks) {
      const resources = readLocalResources(stack.template, stack.name);
      const provisioned = await provisionStack(stack, resources, clients, eventBridge, stepFunctions, iam.authorizeDelivery);
      stacks.push(provisioned);
      iam.addStack(provisioned);
      notes.push(...provisioned.notes);
      const r = resources;
      progress(
        `Created ${stack.name}: ${r.buckets.length} buckets, ${r.queues.length} queues, ${r.streams.length} streams (${r.streams.map((s) => `${s.shardCount} shards`).join(', ') || 'none'}), ` +
          `${r.tables.length} tables, ${r.eventBuses.length} buses, ${r.rules.length} rules, ${r.secrets.length} secrets, ${r.eventSourceMappings.length} event source mappings` +
          `${r.stateMachines.length > 0 ? `, ${r.stateMachines.length} state machine(s), ${r.parameters.length} parameter(s)` : ''}.`,
      );
      if (r.notEmulated.length > 0) notes.push(`not emulated in ${stack.name}: ${r.notEmulated.map((t) => `${t.type} (${t.count})`).join(', ')}`);
    }
  } catch (error) {
    throw new RunError('resources', `Creating the resources failed: ${(error as Error).message}`);
  }

  // The app's Glue tables on DuckDB, with the Athena stand-in its state machines call (local/lakehouse).
  let lakehouse: LocalLakehouse | undefined;
  try {
    const directory = options.lakehouseDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-serverless-etl-lakehouse-'));
    if (!options.lakehouseDir) started(async () => fs.rmSync(directory, { recursive: true, force: true }));
    lakehouse = await startLakehouse(stacks, clients.s3, directory, options.reprocess !== undefined);
  } catch (error) {
    throw new RunError('resources', `Creating the Glue tables on DuckDB failed: ${(error as Error).message}`);
  }
  if (lakehouse) {
    const kept = lakehouse;
    started(() => kept.close());
    notes.push(...lakehouse.notes);
  }

  const secrets = stacks.flatMap((s) =>
    s.resources.secrets.map((secret) => ({
      name: secret.name,
      arn: s.refs.arnOf(secret.logicalId),
      value: secret.secretString ?? generateSecretValue(secret.generate?.length ?? 32, secret.generate?.excludePunctuation ?? false),
    })),
  );
  const standIn = await startSecretsStandIn(secrets);
  started(() => standIn.stop());
  // Functions call AWS through the front door, each with credentials of its own (see local/services/front-door).
  const callers = new CallerRegistry();
  const frontDoor = await startFrontDoor({
    upstreams: { s3: emulators.endpoints.s3, sqs: emulators.endpoints.sqs, dynamodb: emulators.endpoints.dynamodb, kinesis: emulators.endpoints.kinesis, secretsmanager: standIn.endpoint },
    callers,
    // S3 announces the objects functions create in buckets with EventBridge notifications on.
    interceptors: [...iam.interceptors, objectCreatedNotifications(eventBridge, eventBridgeBuckets(stacks), (e) => notes.push(`an S3 Object Created event was not put: ${e.message}`))],
  });
  started(() => frontDoor.stop());
  // --faults: injected at the front door into the functions' calls; a timed-out invocation's
  // execution environment is found by its signer (each environment signs with a key of its own,
  // registered as the environments start).
  const hostsByCaller = new Map<string, FunctionHost>();
  const faults = options.faults ? new FaultInjector(options.faults, { timeOut: async (caller) => hostsByCaller.get(signerOf(caller))?.timeOutNow() }) : undefined;
  if (faults) frontDoor.use(faults);

  if (options.logFile) fs.mkdirSync(path.dirname(options.logFile), { recursive: true });
  const logStream = options.logFile ? fs.createWriteStream(options.logFile, { flags: 'w' }) : undefined;
  started(() => new Promise<void>((resolve) => (logStream ? logStream.end(resolve) : resolve())));
  // State machines: definitions resolved to the local resources; the functions they invoke are loaded too.
  const prepared = prepareStateMachines(stacks);
  // Validating definitions loads aws-local-stepfunctions: done while the functions' workers load.
  const validating = Promise.allSettled(prepared.flatMap((p) => (p.definition ? [validateDefinition(p.definition)] : [])));
  const parameters = new LocalParameterStore(first.account, first.region);
  // The mappings' Enabled state (UpdateEventSourceMapping by a state machine or the CLI): a disabled one is not polled.
  const mappingControls = new LocalEventSourceMappings();
  for (const s of stacks) for (const p of s.resources.parameters) parameters.seed(p.name, p.type, s.refs.resolveString(p.value));

  let functions: StartedFunction[];
  try {
    functions = await startFunctions(
      stacks,
      options.assembly.directory,
      { ...emulators.env, ...frontDoor.env },
      (fn, line) => logStream?.write(`${fn.path}\t${line}\n`),
      prepared.flatMap((p) => p.functions.map((fn) => ({ stack: p.stack, fn }))),
      (stack, fn, environment) => callers.register({ id: callerIdOf(stack, fn), label: fn.path, roleArn: iam.roleOf(stack, fn), sessionName: fn.name, environment }),
      (stack, fn, environment, host) => hostsByCaller.set(signerOf({ id: callerIdOf(stack, fn), environment }), host),
    );
  } catch (error) {
    throw new RunError('functions', `Loading the functions failed: ${(error as Error).message}`);
  }
  for (const f of functions) started(() => f.host.stop());
  await validating;
  // Compiling loads aws-local-stepfunctions and validates each definition (a few hundred ms of CPU
  // that block the event loop): done before the progress lines, so a Ctrl-C after them is answered.
  if (prepared.length > 0) {
    const services = taskServices({ functions, parameters, sqs: clients.sqs, eventBridge, athena: lakehouse?.athena, eventSourceMappings: mappingControls });
    notes.push(
      ...(await registerStateMachines(prepared, services, stepFunctions, { retryIntervalScale: RETRY_INTERVAL_SCALE }, iam.guardTaskServices)),
    );
  }
  for (const f of functions) progress(`Loaded ${f.fn.path} from ${path.relative(process.cwd(), f.file)} (${f.fn.runtime}, init ${f.host.initMs} ms).`);
  const runnable = stepFunctions.stateMachines().filter((m) => m.machine);
  if (runnable.length > 0) {
    progress(`Compiled ${runnable.map((m) => m.path).join(', ')} (aws-local-stepfunctions; tasks run on the local functions, SSM stand-in, SQS and EventBridge).`);
  }

  const wiring = stacks.map((s) => mappingRunners(s, functions, clients, s.refs.region, iam.polling, mappingControls));
  const runners = wiring.flatMap((w) => w.runners);
  const stackOfRunner = new Map(wiring.flatMap((w, i) => w.runners.map((r) => [r, stacks[i]] as const)));
  notes.push(...wiring.flatMap((w) => w.notes));

  // Which pipeline the input goes to (--pipeline; default: the first found, said in the notes).
  const pipelines = pipelinesOf(functions);
  let chosen;
  try {
    chosen = choosePipeline(pipelines, options.pipeline);
  } catch (error) {
    throw new RunError('input', (error as Error).message);
  }
  if (!chosen && pipelines.length > 1) {
    notes.push(`the app has ${pipelines.length} pipelines (${pipelines.map((p) => p.name).join(', ')}): the input went to the first source found; choose one with --pipeline <name>`);
  }

  // Sources: the stream and the bus that feed the functions, the raw bucket that sends S3 events
  // (a batch route when a rule starts a state machine with them).
  const streamRunner = wiring.flatMap((w, i) => w.runners.map((r) => ({ r, s: stacks[i] }))).find(({ r, s }) => r.kind === 'kinesis' && belongsTo(chosen, s, r.sourcePath))?.r;
  const stream = stacks.flatMap((s) => s.resources.streams).find((s) => s.path === streamRunner?.sourcePath);
  const busRule = stacks
    .flatMap((s) => s.resources.rules.map((rule) => ({ s, rule })))
    .find(({ s, rule }) => rule.eventBusName !== undefined && belongsTo(chosen, s, rule.path) && rule.targets.some((t) => s.refs.target(t.arn)?.kind === 'queue'));
  const busTarget = busRule && busRule.rule.targets.map((t) => busRule.s.refs.target(t.arn)).find((t) => t?.kind === 'queue');
  const acceptRoute = (stack: ProvisionedStack, stateMachine: { readonly path: string }) => belongsTo(chosen, stack, stateMachine.path);
  const batchRoute = findBatchRoute(stacks, undefined, acceptRoute);
  let deliveriesPerLine = 1;
  const rawStack = batchRoute?.stack ?? stacks.find((s) => s.resources.buckets.some((b) => b.eventBridgeEnabled));
  const rawBucket = batchRoute?.bucket ?? rawStack?.resources.buckets.find((b) => b.eventBridgeEnabled);

  const inputs: readonly RunInput[] = options.inputs ?? [{ name: 'input', lines: options.lines ?? [] }];
  const linesRead = inputs.reduce((n, input) => n + input.lines.length, 0);
  const { reprocess } = options;
  if (reprocess && (!batchRoute || !lakehouse)) {
    throw new RunError('input', 'start --reprocess needs an app with a current table and a batch workflow: the run re-derives the kept input as a raw object through the workflow.');
  }
  if (reprocess) {
    await restoreCurated(clients.s3, reprocess.curated);
    progress(`Reprocess run ${reprocess.run}: put back ${reprocess.curated.length} curated object(s) of the runs before; their tables kept as they are.`);
  }
  const routeStamp = Date.now();
  const sendStarted = Date.now();
  const ingest = emptyIngestResult();
  const pacer = new Pacer(options.rate);
  const batchObjects: Array<{ bucket: string; key: string; records: number }> = [];
  const sourceStats = new Map<MappingRunner, PollStats>();
  // Everything runs at once, as on AWS: every mapping drains its source (each with its own
  // concurrency) while the executions run. Executions may feed queues or streams, and drains may
  // start executions: a few more rounds settle both.
  const runAll = async (quietWhenEmpty: boolean) => {
    const [stats] = await Promise.all([Promise.all(runners.map((runner) => drain(runner, progress, quietWhenEmpty, sourceStats))), stepFunctions.settled()]);
    return stats.reduce((n, st) => n + st.invocations, 0);
  };
  const settleAll = async () => {
    for (let round = 0; round < 3 && stepFunctions.executions().length > 0; round++) {
      const before = stepFunctions.executions().length;
      const invoked = await runAll(true);
      if (stepFunctions.executions().length === before && invoked === 0) break;
    }
  };
  // Each input ends with the round the schedules of the Athena state machines (merge, maintenance) would start.
  const scheduled = lakehouse ? scheduledAthenaRuns(prepared) : [];
  if (scheduled.length > 0) notes.splice(0, notes.length, ...notesWithScheduledRuns(notes, scheduled, inputs.length > 1 ? 'once after each input' : undefined));
  const tableHistory: CurrentTableHistory[] = [];
  let tablesBefore = lakehouse ? await lakehouse.snapshot() : undefined;
  let offset = 0;
  for (const [phase, input] of inputs.entries()) {
    const indexed = input.lines.map((line, i) => ({ index: offset + i + 1, line }));
    offset += input.lines.length;
    const toStream: typeof indexed = [];
    const toBus: typeof indexed = [];
    const toBatch: typeof indexed = [];
    let alternate = 0;
    for (const l of indexed) {
      if (options.via === 'batch') toBatch.push(l);
      else if (options.via === 'stream') toStream.push(l);
      else if (options.via === 'bus') toBus.push(l);
      // each: every line by every source the app has, all at once (the same ids meet across sources).
      else if (options.via === 'each') {
        if (stream) toStream.push(l);
        if (busRule) toBus.push(l);
        if (batchRoute) toBatch.push(l);
      }
      // all: every third line into the batch object (when a workflow takes one), the others
      // alternating between the stream and the bus; what is too large for a bus entry goes to the stream.
      else if (batchRoute && (l.index % 3 === 0 || (!stream && !busRule))) toBatch.push(l);
      else if (!busRule || (stream && (alternate++ % 2 === 0 || !fitsOnBus(l.line)))) toStream.push(l);
      else toBus.push(l);
    }
    if (toStream.length > 0 && !stream) throw new RunError('input', 'The app has no Kinesis stream with an event source mapping: use --via bus or batch.');
    if (toBus.length > 0 && !busRule) throw new RunError('input', 'The app has no event bus with a rule: use --via stream or batch.');
    if (toBatch.length > 0 && !rawBucket) throw new RunError('input', 'The app has no bucket that sends S3 events to EventBridge: use --via stream or bus.');
    const sources = [toStream, toBus, toBatch].filter((l) => l.length > 0).length;
    if (options.via === 'each' && sources === 0) throw new RunError('input', 'The app has no Kinesis stream, event bus or batch workflow to send the input to.');
    deliveriesPerLine = Math.max(deliveriesPerLine, options.via === 'each' ? Math.max(1, sources) : 1);

    const phaseStarted = Date.now();
    const sentBefore = { stream: ingest.accepted.stream, bus: ingest.accepted.bus, raw: ingest.accepted['bus-raw'], rejected: ingest.rejected.length };
    const sendBus = async () => {
      if (toBus.length === 0 || !busRule) return;
      const pattern = busRule.rule.eventPattern ?? {};
      const first = (key: string, fallback: string) => (Array.isArray(pattern[key]) && typeof (pattern[key] as unknown[])[0] === 'string' ? ((pattern[key] as string[])[0]) : fallback);
      await sendToBus(
        eventBridge,
        {
          busName: busRule.s.refs.resolveString(busRule.rule.eventBusName),
          environment: { account: busRule.s.refs.account, region: busRule.s.refs.region },
          source: first('source', 'local.run'),
          detailType: first('detail-type', 'LocalEvent'),
          rawQueueUrl: busTarget ? busRule.s.queueUrls.get(busTarget.logicalId) : undefined,
          sqs: clients.sqs,
        },
        toBus,
        pacer,
        ingest,
      );
    };
    // Batch: one JSON Lines object into the raw bucket (one per input); its Object Created event starts the workflow.
    const putBatch = async () => {
      if (toBatch.length === 0 || !rawBucket) return;
      const key = phase === 0 ? batchRoute?.key : findBatchRoute(stacks, new Date(routeStamp + phase * 1000), acceptRoute)?.key;
      const { key: put, size } = await sendToBucket(clients.s3, rawBucket.name, toBatch, ingest, key);
      if (reprocess && batchRoute) {
        // As `replay --reprocess` starts it on AWS: named by the run, which the runtime reads.
        const name = reprocessExecutionName(reprocess.run, put);
        stepFunctions.startExecution(batchRoute.stack.refs.arnOf(batchRoute.stateMachine.logicalId), JSON.stringify({ bucket: rawBucket.name, key: put }), name);
        batchObjects.push({ bucket: rawBucket.name, key: put, records: toBatch.length });
        progress(`Put s3://${rawBucket.name}/${put} (${toBatch.length} lines, ${size} bytes) and started ${batchRoute.stateMachine.path} as ${name} ...`);
        return;
      }
      const executionsBefore = stepFunctions.executions().length;
      const event = await notifyObjectCreated(eventBridge, { bucket: rawBucket.name, key: put, size }, rawStack && { account: rawStack.refs.account, region: rawStack.refs.region });
      if (batchRoute) {
        batchObjects.push({ bucket: rawBucket.name, key: put, records: toBatch.length });
        progress(
          `Put s3://${rawBucket.name}/${put} (${toBatch.length} lines, ${size} bytes); its Object Created event started ${stepFunctions.executions().length - executionsBefore} execution(s) of ${batchRoute.stateMachine.path} ...`,
        );
      } else {
        notes.push(
          `${toBatch.length} line(s) put to ${rawBucket.path} as s3://${rawBucket.name}/${put}; its Object Created event ` +
            `${event.unmatched > 0 ? 'matched no rule on the default bus' : `was delivered ${event.delivered} time(s)`}, and no rule starts a state machine with it: these records are not counted`,
        );
      }
    };
    // Every source sends at once, as independent producers would.
    await Promise.all([toStream.length > 0 && stream ? sendToStream(clients.kinesis, stream.name, toStream, pacer, ingest) : undefined, sendBus(), putBatch()]);
    const sent = { stream: ingest.accepted.stream - sentBefore.stream, bus: ingest.accepted.bus - sentBefore.bus, raw: ingest.accepted['bus-raw'] - sentBefore.raw };
    const rejected = ingest.rejected.length - sentBefore.rejected;
    progress(
      `Sent ${sent.stream + sent.bus + sent.raw} of ${input.lines.length * (options.via === 'each' ? Math.max(1, sources) : 1)} events${inputs.length > 1 ? ` of ${input.name}` : ''} in ${Date.now() - phaseStarted} ms: stream ${sent.stream}, bus ${sent.bus}` +
        `${sent.raw > 0 ? ` (+${sent.raw} raw to the buffer queue)` : ''}` +
        `${toBatch.length > 0 ? `; ${toBatch.length} in the batch object` : ''}${rejected > 0 ? `; ${rejected} rejected by the source` : ''}` +
        `${options.via === 'each' ? ` (each line by each of ${sources} source(s))` : ''}.`,
    );

    const began = Date.now();
    await runAll(toStream.length + toBus.length === 0);
    if (toBatch.length > 0 && batchRoute) progress(`Sources drained and executions ended in ${Date.now() - began} ms.`);
    await settleAll();
    if (scheduled.length > 0) {
      progress(`Starting ${scheduled.map((r) => r.path).join(', ')} as their schedules would ...`);
      for (const r of scheduled) stepFunctions.startExecution(r.arn, r.input);
      await runAll(true);
      await settleAll();
    }
    if (lakehouse && tablesBefore) {
      const after = await lakehouse.snapshot();
      const tables = tableChanges(tablesBefore, after);
      tableHistory.push({ input: input.name, tables });
      for (const t of tables) progress(`After ${input.name}: ${describeTableChanges(t)}.`);
      tablesBefore = after;
    }
  }
  if (ingest.accepted['bus-raw'] > 0) {
    notes.push(`${ingest.accepted['bus-raw']} line(s) that are not a JSON object cannot be put on a bus: sent as raw messages to the rule's target queue`);
  }
  const recordsInOf = () => ingest.accepted.stream + ingest.accepted.bus + ingest.accepted['bus-raw'] + (batchRoute ? ingest.accepted.s3 : 0);
  for (const e of stepFunctions.executions()) progress(`  ${describeExecution(e)}`);
  const recordsIn = recordsInOf();
  const wallTimeMs = Date.now() - sendStarted;

  const locations = outputLocations(stacks, functions);
  const outputs = await readOutputs(clients.s3, clients.sqs, locations, { keepDeadLetters: options.whileLive !== undefined });
  const currentTables = lakehouse ? await lakehouse.currentTables(outputs.curated) : [];
  // What the next `start --reprocess` re-derives and puts back (see ./reprocess.ts): every input, in order.
  if (lakehouse && options.lakehouseDir) keepRun(options.lakehouseDir, { lines: inputs.flatMap((input) => input.lines), curated: outputs.curated });
  for (const t of currentTables) progress(`Current table ${t.table}: ${t.liveRows} live rows, ${t.tombstones} tombstones (${t.merges} MERGE statement(s)); kept for --query.`);
  if (options.outDir) {
    const files = writeOutputs(options.outDir, outputs);
    progress(`Wrote ${files.length} files under ${options.outDir}.`);
  }
  for (const f of functions) {
    const c = f.host.concurrency();
    if (c.waited === 0) continue;
    notes.push(
      `${f.fn.path}: ${c.waited} invocation(s) waited for a free execution environment, ${c.cap} being busy ` +
        `(${f.fn.reservedConcurrentExecutions !== undefined ? 'its reserved concurrency' : 'the local bound'}); on AWS they would be throttled and retried by their source`,
    );
  }
  if (standIn.calls.GetSecretValue) notes.push(`Secrets Manager: a local stand-in served GetSecretValue ${standIn.calls.GetSecretValue} time(s) with a key generated for this run`);
  const executions = stepFunctions.executions();
  if (executions.length > 0) {
    const calls = Object.entries(parameters.calls).map(([op, n]) => `${op} ${n}`).join(', ');
    const changed = parameters.changed().map((p) => `${p.name} = ${JSON.stringify(p.value)}`);
    notes.push(
      `state machines run on aws-local-stepfunctions, with retry intervals scaled by ${RETRY_INTERVAL_SCALE}; Distributed Map items run at once up to MaxConcurrency, ` +
        `at most ${LOCAL_MAP_CONCURRENCY_CAP} locally (without MaxConcurrency AWS runs up to 10,000); a failed item fails the Map with States.ExceedToleratedFailureThreshold (tolerance 0)`,
    );
    if (calls) notes.push(`SSM Parameter Store: an in-process stand-in served ${calls}${changed.length > 0 ? `; changed by the run: ${changed.join(', ')}` : ''}`);
  }
  if (faults && faults.plan.clauses.some((c) => c.kind === 'timeout-mid-batch')) {
    notes.push('--faults timeout-mid-batch: an invocation held between its claims and its objects is timed out at once (as if its deadline had passed), not after its full timeout');
  }
  const report = buildReport({
    iam: iam.report(),
    recordsIn,
    linesRead,
    linesNotRouted: batchRoute ? 0 : ingest.accepted.s3,
    // A reprocess run accounts for its own records: the objects put back were the runs' before.
    outputs: reprocess ? withoutRestored(outputs, reprocess.curated) : outputs,
    metrics: functions.flatMap((f) => f.host.metrics),
    wallTimeMs,
    invocations: functions.reduce((n, f) => n + f.host.invocations, 0),
    functionErrors: functions.reduce((n, f) => n + f.host.errors, 0),
    functionTimeouts: functions.reduce((n, f) => n + f.host.timeouts, 0),
    faults:
      faults &&
      buildFaultReport(faults, {
        eventSources: [...sourceStats.values()],
        functions: functions.flatMap((f) => f.host.environments()),
        executions: executions.map((e) => e.outcome?.tasks ?? []),
      }),
    sent: {
      stream: ingest.accepted.stream,
      bus: ingest.accepted.bus,
      'bus (raw)': ingest.accepted['bus-raw'],
      [batchRoute ? 'batch' : 's3 (not counted)']: ingest.accepted.s3,
    },
    rejectedAtSource: ingest.rejected.map((r) => ({ line: r.index, reason: r.reason })),
    redelivered: redeliveredRecords(sourceStats, stackOfRunner),
    executions: executions.map(executionReport),
    currentTables,
    ...(tableHistory.length > 1 ? { currentTableHistory: tableHistory } : {}),
    // The mode of the pipeline the input went to: another pipeline of the app may claim.
    deduplication: deduplicationOf(functions.filter((f) => belongsTo(chosen, f.stack, f.fn.path))),
    batchObjects: batchObjects.map((b) => ({ ...b, passes: passes.get(`${b.bucket}/${b.key}`) ?? [] })),
    deliveriesPerLine,
    concurrency: {
      mappings: runners.map((r) => ({
        mapping: r.mapping.path,
        kind: r.kind,
        source: r.sourcePath,
        function: r.functionPath,
        setting: r.concurrency.setting,
        cap: r.concurrency.cap,
        peak: r.peak(),
      })),
      distributedMaps: distributedMapConcurrency(executions),
      functions: functions.filter((f) => f.host.invocations > 0).map((f) => ({ function: f.fn.path, ...f.host.concurrency() })),
    },
    notes,
  });
  if (options.whileLive) {
    await options.whileLive({
      report,
      stackOutputs: stackOutputsOf(stacks),
      clients: {
        s3: clients.s3,
        sqs: clients.sqs,
        kinesis: clients.kinesis,
        sfn: localSfnClient(stepFunctions),
        ssm: localSsmClient(parameters),
        lambda: localLambdaClient(mappingControls),
        eventbridge: localEventBridgeClient(eventBridge),
      },
      stopFaults: () => faults?.stop(),
      settle: async () => {
        await runAll(true);
        await settleAll();
        return readOutputs(clients.s3, clients.sqs, locations, { keepDeadLetters: true });
      },
    });
  }
  return report;
}

/** What the event sources counted of records delivered again after they were handled. */
function redeliveredRecords(stats: ReadonlyMap<MappingRunner, PollStats>, stackOf: ReadonlyMap<MappingRunner, ProvisionedStack>): RedeliveredRecords {
  let dropped = 0;
  let duplicates = 0;
  const deadLetteredByQueue: Record<string, number> = {};
  for (const [runner, s] of stats) {
    dropped += s.redeliveredDropped;
    duplicates += s.redeliveredDuplicates;
    const stack = stackOf.get(runner);
    const destination = runner.mapping.onFailureDestination === undefined ? undefined : stack?.refs.target(runner.mapping.onFailureDestination);
    const queue = destination?.kind === 'queue' ? stack?.resources.queues.find((q) => q.logicalId === destination.logicalId) : undefined;
    if (queue && s.deadLetteredHandled > 0) deadLetteredByQueue[queue.path] = (deadLetteredByQueue[queue.path] ?? 0) + s.deadLetteredHandled;
  }
  return { dropped, duplicates, deadLetteredByQueue };
}

/** Each Distributed Map state that ran, over every execution: the most items at once and the items run. */
function distributedMapConcurrency(executions: readonly ExecutionRecord[]): DistributedMapConcurrency[] {
  const byState = new Map<string, DistributedMapConcurrency>();
  for (const e of executions) {
    for (const m of e.outcome?.maps ?? []) {
      const id = `${e.stateMachine.path}\u0000${m.state}`;
      const seen = byState.get(id);
      byState.set(id, {
        stateMachine: e.stateMachine.path,
        state: m.state,
        maxConcurrency: m.maxConcurrency,
        cap: m.concurrency,
        peak: Math.max(seen?.peak ?? 0, m.peak),
        items: (seen?.items ?? 0) + m.items,
      });
    }
  }
  return [...byState.values()];
}

/** The id a function's calls are attributed to at the front door. */
function callerIdOf(stack: ProvisionedStack, fn: { readonly logicalId: string }): string {
  return `${stack.stack.name}/${fn.logicalId}`;
}

/**
 * Drains one mapping's source, with progress lines (none for an empty source when `quietWhenEmpty`);
 * adds its statistics to `totals`.
 */
async function drain(runner: MappingRunner, progress: (line: string) => void, quietWhenEmpty: boolean, totals: Map<MappingRunner, PollStats>): Promise<PollStats> {
  const began = Date.now();
  let last = began;
  const stats = await runner.drain(({ invocations, records }) => {
    if (Date.now() - last < 2000) return;
    last = Date.now();
    progress(`  draining ${runner.sourcePath}: ${invocations} invocations, ${records} records delivered ...`);
  });
  const total = totals.get(runner);
  if (total) {
    for (const key of Object.keys(stats) as Array<keyof PollStats>) total[key] = key === 'peakConcurrentInvocations' ? Math.max(total[key], stats[key]) : total[key] + stats[key];
  } else totals.set(runner, { ...stats });
  if (quietWhenEmpty && stats.invocations === 0) return stats;
  progress(
    `Drained ${runner.sourcePath} → ${runner.functionPath} in ${Date.now() - began} ms: ${stats.invocations} invocations, ${stats.recordsDelivered} records delivered` +
      `${stats.itemFailures > 0 ? `, ${stats.itemFailures} item failures` : ''}${stats.functionErrors > 0 ? `, ${stats.functionErrors} function errors` : ''}` +
      `${stats.recordsDeadLettered > 0 ? `, ${stats.recordsDeadLettered} given up` : ''}; at most ${stats.peakConcurrentInvocations} at once.`,
  );
  return stats;
}

/**
 * Keeps each transform pass over a line range of an S3 object (the runtime's S3 input contract:
 * an `{ s3Object }` payload, not `validateOnly`, answered with a `summary`), by object.
 */
function recordPass(call: TaskCall, passes: Map<string, BatchPass[]>): void {
  if (call.error || (call.kind !== 'lambda' && call.kind !== 'lambda:invoke')) return;
  const payload = (call.kind === 'lambda' ? call.input : (call.input as { Payload?: unknown } | undefined)?.Payload) as
    | { s3Object?: { bucket?: unknown; key?: unknown; firstLine?: unknown; lineCount?: unknown }; validateOnly?: unknown }
    | undefined;
  const result = (call.kind === 'lambda' ? call.output : (call.output as { Payload?: unknown } | undefined)?.Payload) as { summary?: Record<string, unknown> } | undefined;
  const object = payload?.s3Object;
  const summary = result?.summary;
  if (!object || payload.validateOnly === true || typeof summary?.recordsIn !== 'number') return;
  const id = `${String(object.bucket)}/${String(object.key)}`;
  const n = (field: string) => (typeof summary[field] === 'number' ? (summary[field] as number) : 0);
  const pass: BatchPass = {
    firstLine: typeof object.firstLine === 'number' ? object.firstLine : 1,
    lineCount: typeof object.lineCount === 'number' ? object.lineCount : undefined,
    summary: { recordsIn: n('recordsIn'), curated: n('curated'), quarantined: n('quarantined'), dropped: n('dropped'), duplicates: n('duplicates'), retried: n('retried') },
  };
  passes.set(id, [...(passes.get(id) ?? []), pass]);
}

/** The report's view of an execution: outcome, states, and the events it put. */
function executionReport(e: ExecutionRecord): ExecutionReport {
  const o = e.outcome;
  const input = parseJson(e.input) as { bucket?: unknown; key?: unknown } | undefined;
  const events = (o?.tasks ?? [])
    .filter((t) => t.kind === 'events:putEvents' && !t.error)
    .flatMap((t) => ((t.input as { Entries?: Array<{ DetailType?: unknown; Detail?: unknown }> }).Entries ?? []))
    .map((entry) => {
      const detail = (typeof entry.Detail === 'string' ? parseJson(entry.Detail) : entry.Detail) as { counts?: Record<string, unknown>; error?: unknown } | undefined;
      return { detailType: String(entry.DetailType), counts: detail?.counts, error: typeof detail?.error === 'string' ? detail.error : undefined };
    });
  return {
    stateMachine: e.stateMachine.path,
    executionArn: e.executionArn,
    input: typeof input?.bucket === 'string' && typeof input.key === 'string' ? `s3://${input.bucket}/${input.key}` : e.input.slice(0, 200),
    status: e.status,
    durationMs: o ? o.stopDate.getTime() - o.startDate.getTime() : 0,
    statesVisited: o?.statesVisited ?? 0,
    mapIterations: o?.mapIterations ?? 0,
    taskCalls: o?.tasks.length ?? 0,
    events,
    error: o?.error,
    cause: o?.cause,
  };
}

/** One progress line for an ended execution. */
function describeExecution(e: ExecutionRecord): string {
  const r = executionReport(e);
  return (
    `${r.stateMachine} ${e.name.slice(0, 8)}: ${r.status} in ${r.durationMs} ms, ${r.statesVisited} states, ${r.taskCalls} task calls` +
    `${r.events.length > 0 ? `; put ${r.events.map((x) => x.detailType).join(', ')}` : ''}${r.error ? `; error ${r.error}` : ''}.`
  );
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Where the app's pipelines hold exactly-once: `table` when the functions that write curated objects
 * keep a current table and claim nothing (`deduplication: 'table'`), else `claims`.
 */
function deduplicationOf(functions: readonly StartedFunction[]): 'claims' | 'table' {
  const writers = functions.filter((f) => f.variables[RUNTIME_ENV.curatedBucket]);
  const tableOnly = writers.length > 0 && writers.every((f) => f.variables[RUNTIME_ENV.currentTable] === 'true' && !f.variables[RUNTIME_ENV.idempotencyTable]);
  return tableOnly ? 'table' : 'claims';
}

/** The curated and quarantine buckets the functions write to, and every dead-letter queue. */
function outputLocations(stacks: readonly ProvisionedStack[], functions: readonly StartedFunction[]): OutputLocations {
  const curatedBuckets = [...new Set(functions.map((f) => f.variables[RUNTIME_ENV.curatedBucket]).filter(Boolean))];
  const quarantineBuckets = [...new Set(functions.map((f) => f.variables[RUNTIME_ENV.quarantineBucket]).filter(Boolean))];
  const deadLetterQueues: OutputLocations['deadLetterQueues'] = [];
  for (const s of stacks) {
    const add = (value: unknown, kind: OutputLocations['deadLetterQueues'][number]['kind']) => {
      const target = value === undefined ? undefined : s.refs.target(value);
      const queue = target?.kind === 'queue' ? s.resources.queues.find((q) => q.logicalId === target.logicalId) : undefined;
      if (queue && !deadLetterQueues.some((d) => d.queueName === queue.name)) {
        deadLetterQueues.push({ path: queue.path, queueName: queue.name, url: s.queueUrls.get(queue.logicalId) as string, kind });
      }
    };
    for (const q of s.resources.queues) add(q.redrive?.deadLetterTargetArn, 'redrive');
    for (const m of s.resources.eventSourceMappings) add(m.onFailureDestination, 'on-failure');
    for (const r of s.resources.rules) for (const t of r.targets) add(t.deadLetterArn, 'rule-target');
  }
  return { curatedBuckets, quarantineBuckets, deadLetterQueues };
}

