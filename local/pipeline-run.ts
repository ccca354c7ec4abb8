/**
 * One local end-to-end run of a synthesized app: emulators up, the stacks' resources created,
 * functions loaded from their bundled assets, input sent the way sources send it, every event
 * source mapping drained, outputs read back and the report computed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CloudAssembly } from './cloud-assembly';
import { startEmulators, type Emulators } from './emulators';
import { LocalEventBridge } from './event-bus';
import { emptyIngestResult, fitsOnBus, Pacer, sendToBucket, sendToBus, sendToStream } from './ingest';
import { readOutputs, writeOutputs, type OutputLocations } from './outputs';
import { provisionStack, type ProvisionedStack } from './provision';
import { LOCAL_ACCOUNT } from './references';
import { buildReport, type RunReport } from './run-report';
import { notifyObjectCreated } from './s3-notifications';
import { generateSecretValue, startSecretsStandIn } from './secrets-stand-in';
import { readLocalResources } from './template-resources';
import { mappingRunners, startFunctions, type StartedFunction } from './wiring';

/** How input is sent. */
export type Via = 'stream' | 'bus' | 's3' | 'all';

/** Options of {@link runPipeline}. */
export interface RunOptions {
  readonly assembly: CloudAssembly;
  /** Input lines, one event each, as a source sends them. */
  readonly lines: readonly string[];
  readonly via: Via;
  /** Events per second (no pacing when undefined). */
  readonly rate?: number;
  /** Write the final outputs here (`--out`). */
  readonly outDir?: string;
  /** Append the functions' log lines to this file. */
  readonly logFile?: string;
  /** Prints a progress line. */
  readonly progress: (line: string) => void;
  /** Registers a stop function, so a signal can stop what was started so far. */
  readonly onStarted: (stop: () => Promise<void>) => void;
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
  const eventBridge = new LocalEventBridge(LOCAL_ACCOUNT, emulators.region);
  const stacks: ProvisionedStack[] = [];
  const notes: string[] = [];
  try {
    for (const stack of options.assembly.stacks) {
      const resources = readLocalResources(stack.template, stack.name);
      const provisioned = await provisionStack(stack, resources, clients, eventBridge, emulators.region);
      stacks.push(provisioned);
      notes.push(...provisioned.notes);
      const r = resources;
      progress(
        `Created ${stack.name}: ${r.buckets.length} buckets, ${r.queues.length} queues, ${r.streams.length} streams (${r.streams.map((s) => `${s.shardCount} shards`).join(', ') || 'none'}), ` +
          `${r.tables.length} tables, ${r.eventBuses.length} buses, ${r.rules.length} rules, ${r.secrets.length} secrets, ${r.eventSourceMappings.length} event source mappings.`,
      );
      if (r.notEmulated.length > 0) notes.push(`not emulated in ${stack.name}: ${r.notEmulated.map((t) => `${t.type} (${t.count})`).join(', ')}`);
    }
  } catch (error) {
    throw new RunError('resources', `Creating the resources failed: ${(error as Error).message}`);
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

  if (options.logFile) fs.mkdirSync(path.dirname(options.logFile), { recursive: true });
  const logStream = options.logFile ? fs.createWriteStream(options.logFile, { flags: 'w' }) : undefined;
  started(() => new Promise<void>((resolve) => (logStream ? logStream.end(resolve) : resolve())));
  let functions: StartedFunction[];
  try {
    functions = await startFunctions(
      stacks,
      options.assembly.directory,
      { ...emulators.env, AWS_ENDPOINT_URL_SECRETS_MANAGER: standIn.endpoint },
      (fn, line) => logStream?.write(`${fn.path}\t${line}\n`),
    );
  } catch (error) {
    throw new RunError('functions', `Loading the functions failed: ${(error as Error).message}`);
  }
  for (const f of functions) {
    started(() => f.host.stop());
    progress(`Loaded ${f.fn.path} from ${path.relative(process.cwd(), f.file)} (${f.fn.runtime}, init ${f.host.initMs} ms).`);
  }

  const wiring = stacks.map((s) => mappingRunners(s, functions, clients, emulators.region));
  const runners = wiring.flatMap((w) => w.runners);
  notes.push(...wiring.flatMap((w) => w.notes));

  // Sources: the stream and the bus that feed the functions, the raw bucket that sends S3 events.
  const streamRunner = runners.find((r) => r.kind === 'kinesis');
  const stream = stacks.flatMap((s) => s.resources.streams).find((s) => s.path === streamRunner?.sourcePath);
  const busRule = stacks
    .flatMap((s) => s.resources.rules.map((rule) => ({ s, rule })))
    .find(({ s, rule }) => rule.eventBusName !== undefined && rule.targets.some((t) => s.refs.target(t.arn)?.kind === 'queue'));
  const busTarget = busRule && busRule.rule.targets.map((t) => busRule.s.refs.target(t.arn)).find((t) => t?.kind === 'queue');
  const rawBucket = stacks.flatMap((s) => s.resources.buckets).find((b) => b.eventBridgeEnabled);

  const indexed = options.lines.map((line, i) => ({ index: i + 1, line }));
  const toStream: typeof indexed = [];
  const toBus: typeof indexed = [];
  const toS3: typeof indexed = [];
  for (const l of indexed) {
    if (options.via === 's3') toS3.push(l);
    else if (options.via === 'stream') toStream.push(l);
    else if (options.via === 'bus') toBus.push(l);
    // all: alternate between the stream and the bus; what is too large for a bus entry goes to the stream.
    else if (!busRule || (stream && (l.index % 2 === 1 || !fitsOnBus(l.line)))) toStream.push(l);
    else toBus.push(l);
  }
  if (toStream.length > 0 && !stream) throw new RunError('input', 'The app has no Kinesis stream with an event source mapping: use --via bus or s3.');
  if (toBus.length > 0 && !busRule) throw new RunError('input', 'The app has no event bus with a rule: use --via stream or s3.');
  if (toS3.length > 0 && !rawBucket) throw new RunError('input', 'The app has no bucket that sends S3 events to EventBridge: use --via stream or bus.');

  const sendStarted = Date.now();
  const ingest = emptyIngestResult();
  const pacer = new Pacer(options.rate);
  if (toStream.length > 0 && stream) await sendToStream(clients.kinesis, stream.name, toStream, pacer, ingest);
  if (toBus.length > 0 && busRule) {
    const pattern = busRule.rule.eventPattern ?? {};
    const first = (key: string, fallback: string) => (Array.isArray(pattern[key]) && typeof (pattern[key] as unknown[])[0] === 'string' ? ((pattern[key] as string[])[0]) : fallback);
    await sendToBus(
      eventBridge,
      {
        busName: busRule.s.refs.resolveString(busRule.rule.eventBusName),
        source: first('source', 'local.run'),
        detailType: first('detail-type', 'LocalEvent'),
        rawQueueUrl: busTarget ? busRule.s.queueUrls.get(busTarget.logicalId) : undefined,
        sqs: clients.sqs,
      },
      toBus,
      pacer,
      ingest,
    );
    if (ingest.accepted['bus-raw'] > 0) {
      notes.push(`${ingest.accepted['bus-raw']} line(s) that are not a JSON object cannot be put on a bus: sent as raw messages to the rule's target queue`);
    }
  }
  if (toS3.length > 0 && rawBucket) {
    const key = await sendToBucket(clients.s3, rawBucket.name, toS3, ingest);
    const size = Buffer.byteLength(toS3.map((l) => l.line).join('\n')) + 1;
    const event = await notifyObjectCreated(eventBridge, { bucket: rawBucket.name, key, size });
    notes.push(
      `s3 ingest is not wired: ${toS3.length} line(s) put to ${rawBucket.path} as s3://${rawBucket.name}/${key}; its Object Created event ` +
        `${event.unmatched > 0 ? 'matched no rule on the default bus' : `was delivered ${event.delivered} time(s)`} (there is no batch workflow until the orchestration issue lands); these records are not counted`,
    );
  }
  const recordsIn = ingest.accepted.stream + ingest.accepted.bus + ingest.accepted['bus-raw'];
  progress(
    `Sent ${recordsIn + ingest.accepted.s3} of ${options.lines.length} events in ${Date.now() - sendStarted} ms: stream ${ingest.accepted.stream}, bus ${ingest.accepted.bus}` +
      `${ingest.accepted['bus-raw'] > 0 ? ` (+${ingest.accepted['bus-raw']} raw to the buffer queue)` : ''}, s3 ${ingest.accepted.s3}` +
      `${ingest.rejected.length > 0 ? `; ${ingest.rejected.length} rejected by the source` : ''}.`,
  );

  for (const runner of runners) {
    const began = Date.now();
    let last = began;
    const stats = await runner.drain(({ invocations, records }) => {
      if (Date.now() - last < 2000) return;
      last = Date.now();
      progress(`  draining ${runner.sourcePath}: ${invocations} invocations, ${records} records delivered ...`);
    });
    progress(
      `Drained ${runner.sourcePath} → ${runner.functionPath} in ${Date.now() - began} ms: ${stats.invocations} invocations, ${stats.recordsDelivered} records delivered` +
        `${stats.itemFailures > 0 ? `, ${stats.itemFailures} item failures` : ''}${stats.functionErrors > 0 ? `, ${stats.functionErrors} function errors` : ''}` +
        `${stats.recordsDeadLettered > 0 ? `, ${stats.recordsDeadLettered} given up` : ''}.`,
    );
  }
  const wallTimeMs = Date.now() - sendStarted;

  const outputs = await readOutputs(clients.s3, clients.sqs, outputLocations(stacks, functions));
  if (options.outDir) {
    const files = writeOutputs(options.outDir, outputs);
    progress(`Wrote ${files.length} files under ${options.outDir}.`);
  }
  if (standIn.calls.GetSecretValue) notes.push(`Secrets Manager: a local stand-in served GetSecretValue ${standIn.calls.GetSecretValue} time(s) with a key generated for this run`);
  notes.push('state machines are not run locally yet (the batch workflow definition is tested on aws-local-stepfunctions in npm test)');
  return buildReport({
    recordsIn,
    outputs,
    metrics: functions.flatMap((f) => f.host.metrics),
    wallTimeMs,
    invocations: functions.reduce((n, f) => n + f.host.invocations, 0),
    functionErrors: functions.reduce((n, f) => n + f.host.errors, 0),
    sent: { stream: ingest.accepted.stream, bus: ingest.accepted.bus, 'bus (raw)': ingest.accepted['bus-raw'], 's3 (not counted)': ingest.accepted.s3 },
    rejectedAtSource: ingest.rejected.map((r) => ({ line: r.index, reason: r.reason })),
    notes,
  });
}

/** The curated and quarantine buckets the functions write to, and every dead-letter queue. */
function outputLocations(stacks: readonly ProvisionedStack[], functions: readonly StartedFunction[]): OutputLocations {
  const curatedBuckets = [...new Set(functions.map((f) => f.variables.CURATED_BUCKET).filter(Boolean))];
  const quarantineBuckets = [...new Set(functions.map((f) => f.variables.QUARANTINE_BUCKET).filter(Boolean))];
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

