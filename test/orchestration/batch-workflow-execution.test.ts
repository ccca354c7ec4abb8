/**
 * The BatchWorkflow's state machine, taken from the synthesized template, resolved and executed as
 * the local runner does it (local/: template resources, references, CompiledStateMachine on
 * aws-local-stepfunctions, the Parameter Store stand-in): its Lambda tasks invoke the real step
 * handler (check, summarize, quarantine, lineage) and the real transform runtime (clickstream
 * transform, mocked S3); SQS and EventBridge sends are recorded.
 */
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { Logger } from '@aws-lambda-powertools/logger';
import { CopyObjectCommand, GetObjectCommand, HeadObjectCommand, NoSuchKey, NotFound, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CfnElement, Duration } from 'aws-cdk-lib';
import { Schedule } from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import validator from 'asl-validator';
import { mockClient } from 'aws-sdk-client-mock';
import * as clickstreamTransform from '../../examples/clickstream/transform';
import { createHandler } from '../../lambda/handlers/check-object';
import { createBatchHandler } from '../../lambda/runtime/batch-handler';
import { createPiiHasher } from '../../lambda/runtime/pii-masking';
import type { SchemaBundle } from '../../lambda/runtime/schema-validation';
import type { TransformModule } from '../../lambda/runtime/transform-contract';
import { LocalParameterStore } from '../../local/services/parameter-store';
import { CompiledStateMachine, TOLERATED_FAILURE_ERROR, type ExecutionOutcome, type TaskServices } from '../../local/services/state-machine';
import { BatchWorkflowProps } from '../../lib/orchestration/batch-workflow';
import { bodyText, clickstreamSchemas, sampleEventLines, servedObject, testConfig } from '../lambda/support/fixtures';
import { testStack, TEST_ENV } from '../support/cdk';
import { resolveDefinition } from '../../local/run/workflows';
import { localStack, statesByName } from '../support/state-machines';
import { workflowStack, type WorkflowFixtureOptions } from './fixture';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const RAW = 'raw-bucket';
const PAUSED_PARAMETER = '/cdk-serverless-etl/clicks/paused';
const EXECUTION = `arn:aws:states:${TEST_ENV.region}:${TEST_ENV.account}:execution:wf:run-1`;
const s3Mock = mockClient(S3Client);
const s3 = new S3Client({ region: 'eu-west-1' });
const logger = new Logger({ serviceName: 'workflow-test', logLevel: 'SILENT' });
const clickstream = clickstreamTransform as unknown as TransformModule;

/** An S3 store behind the mocked client: GetObject bodies are streams with the SDK's byte reader. */
function fakeBuckets(initial: Record<string, string | Buffer>, gets: Harness['gets']): Map<string, Buffer> {
  const objects = new Map(Object.entries(initial).map(([k, v]) => [k, Buffer.from(v)]));
  s3Mock.on(HeadObjectCommand).callsFake(async (i: { Bucket: string; Key: string }) => {
    const o = objects.get(`${i.Bucket}/${i.Key}`);
    if (!o) throw new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } });
    return { ContentLength: o.length, ETag: '"etag"' };
  });
  s3Mock.on(GetObjectCommand).callsFake(async (i: { Bucket: string; Key: string; Range?: string; IfMatch?: string }) => {
    const o = objects.get(`${i.Bucket}/${i.Key}`);
    if (!o) throw new NoSuchKey({ message: 'The specified key does not exist.', $metadata: { httpStatusCode: 404 } });
    gets.push({ key: `${i.Bucket}/${i.Key}`, range: i.Range });
    const served = servedObject(o, i, new Date('2026-11-24T10:00:00Z'));
    const bytes = Buffer.from(await (served.Body as unknown as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
    return { ...served, Body: Object.assign(Readable.from([bytes]), { transformToByteArray: async () => new Uint8Array(bytes) }) };
  });
  s3Mock.on(PutObjectCommand).callsFake(async (i: { Bucket: string; Key: string; Body: string | Uint8Array; ContentEncoding?: string }) => {
    objects.set(`${i.Bucket}/${i.Key}`, Buffer.from(bodyText(i)));
    return {};
  });
  s3Mock.on(CopyObjectCommand).callsFake(async (i: { Bucket: string; Key: string; CopySource: string }) => {
    const source = objects.get(decodeURIComponent(i.CopySource));
    if (!source) throw new NoSuchKey({ message: 'no source', $metadata: { httpStatusCode: 404 } });
    objects.set(`${i.Bucket}/${i.Key}`, source);
    return {};
  });
  return objects;
}

/** A synthesized workflow: its resolved definition and which function each task's name or ARN is. */
interface Synthesized {
  readonly definition: Json;
  /** `steps` or `transform`, for a function name or (qualified) ARN of the definition. */
  readonly functionOf: (nameOrArn: string) => 'steps' | 'transform' | undefined;
}

/** The synthesized workflow, resolved as the local runner resolves it (bucket names chosen here). */
function synthesize(overrides: Partial<BatchWorkflowProps> = {}, options: WorkflowFixtureOptions = { schemas: true }): Synthesized {
  const stack = testStack();
  const { lake, workflow, transform } = workflowStack(stack, overrides, options);
  const id = (c: Construct) => stack.resolve((c.node.defaultChild as CfnElement).logicalId) as string;
  const { resources, refs } = localStack(stack, { [id(lake.quarantineBucket)]: 'quarantine-bucket', [id(lake.rawBucket)]: RAW, [id(lake.curatedBucket)]: 'curated-bucket' });
  expect(resources.stateMachines).toHaveLength(1);
  const definition = resolveDefinition(resources.stateMachines[0], { refs });
  const roles = new Map([[id(workflow.stepsFunction), 'steps' as const], [id(transform.function), 'transform' as const]]);
  return {
    definition,
    functionOf: (nameOrArn) => {
      const target = refs.target(nameOrArn);
      return target?.kind === 'function' ? roles.get(target.logicalId) : undefined;
    },
  };
}

interface Harness {
  readonly parameters: LocalParameterStore;
  events: Array<{ DetailType: string; Source: string; EventBusName: string; Detail: Json }>;
  dlq: Json[];
  /** Task calls by state name (retries included). */
  calls: Record<string, number>;
  objects: Map<string, Buffer>;
  /** GetObject calls: object and byte range. */
  gets: Array<{ key: string; range?: string }>;
}

interface RunOptions {
  readonly paused?: string;
  readonly schemas?: SchemaBundle;
  /** Wraps the transform runtime's handler for batches (to fail, delay or count). */
  readonly processBatch?: (input: Json, real: (input: Json) => Promise<unknown>) => Promise<unknown>;
  readonly workflow?: Synthesized;
  /** The execution's input. @default { bucket, key, size: 1 } (an object-created start) */
  readonly input?: Json;
  /** The execution's name. @default 'run-1' */
  readonly executionName?: string;
}

async function run(objects: Record<string, string | Buffer>, key: string, options: RunOptions = {}) {
  const workflow = options.workflow ?? WORKFLOW;
  const gets: Harness['gets'] = [];
  const parameters = new LocalParameterStore(TEST_ENV.account, TEST_ENV.region);
  parameters.seed(PAUSED_PARAMETER, 'String', options.paused ?? 'false');
  const h: Harness = { parameters, events: [], dlq: [], calls: {}, objects: fakeBuckets(objects, gets), gets };
  const steps = createHandler(s3) as (input: unknown) => Promise<unknown>;
  const runtime = createBatchHandler(clickstream, options.schemas, {
    s3,
    logger,
    config: testConfig(),
    hasher: createPiiHasher('test-key'),
    writeMetrics: () => undefined,
  }) as (input: Json) => Promise<unknown>;
  // The transform is invoked for the schema sample (validateOnly) and for each batch.
  const transform = (input: Json) => (options.processBatch && !input.validateOnly ? options.processBatch(input, runtime) : runtime(input));
  const services: TaskServices = {
    findFunction: (nameOrArn) => {
      const fn = workflow.functionOf(nameOrArn);
      if (!fn) return undefined;
      return { path: fn, invoke: (payload) => (fn === 'steps' ? steps(payload) : transform(payload as Json)) };
    },
    parameters,
    sendMessage: async (input) => {
      h.dlq.push(JSON.parse(input.MessageBody) as Json);
      return { MessageId: `m-${h.dlq.length}` };
    },
    putEvents: async (entries) => {
      h.events.push(...entries.map((e) => ({ DetailType: e.DetailType, Source: e.Source, EventBusName: String(e.EventBusName), Detail: JSON.parse(e.Detail) as Json })));
      return { entries: entries.map((_, i) => ({ EventId: `e-${i}` })), failedEntryCount: 0, delivered: 0, deadLettered: 0, unmatched: entries.length };
    },
  };
  const machine = await CompiledStateMachine.compile(workflow.definition, services, { retryIntervalScale: 0 });
  const name = options.executionName ?? 'run-1';
  const identity = { executionArn: options.executionName ? EXECUTION.replace(/[^:]+$/, name) : EXECUTION, name, stateMachineArn: `arn:aws:states:${TEST_ENV.region}:${TEST_ENV.account}:stateMachine:wf`, stateMachineName: 'wf' };
  const outcome = await machine.run(options.input ?? { bucket: RAW, key, size: 1 }, identity, (call) => {
    h.calls[call.state] = (h.calls[call.state] ?? 0) + 1;
  }).result;
  return { outcome, output: outcome.output as Json | undefined, h, paused: parameters.valueOf(PAUSED_PARAMETER) };
}

/** The error a failed execution ended with. */
function failure(outcome: ExecutionOutcome): string | undefined {
  expect(outcome.status).toBe('FAILED');
  return outcome.error;
}

const SAMPLE = sampleEventLines();
const KEY = 'batch/2026/11/24/sample-events.jsonl';
let WORKFLOW: Synthesized;

beforeAll(() => {
  WORKFLOW = synthesize({ linesPerBatch: 5 });
});
beforeEach(() => s3Mock.reset());
afterAll(() => s3Mock.restore());

/** A valid clickstream event (schema v1). */
function event(n: number, overrides: Json = {}): string {
  return JSON.stringify({
    eventId: `evt-${String(n).padStart(4, '0')}`,
    eventTime: '2026-11-24T09:00:00.000Z',
    eventType: 'click',
    userId: `user-${n % 5}`,
    sessionId: 'sess-1',
    page: { url: `https://shop.example.com/p/${n}` },
    ...overrides,
  });
}

describe('BatchWorkflow state machine (run by the local runner)', () => {
  test('the synthesized definition passes asl-validator', () => {
    const { isValid, errors } = validator(JSON.parse(JSON.stringify(WORKFLOW.definition)));
    expect(errors).toEqual([]);
    expect(isValid).toBe(true);
    // and the Distributed Map's item processor on its own
    const map = statesByName(WORKFLOW.definition).ProcessBatches;
    expect(map.ItemProcessor.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
  });

  test('success: every range is processed by the runtime, the counts are summed into BatchCompleted', async () => {
    const lines = Array.from({ length: 12 }, (_, i) => event(i + 1));
    const { output, outcome, h } = await run({ [`${RAW}/${KEY}`]: `${lines.join('\n')}\n` }, KEY, { schemas: clickstreamSchemas() });
    expect(outcome).toMatchObject({ status: 'SUCCEEDED' });
    expect(h.calls).toMatchObject({ CheckPaused: 1, CheckObject: 1, SampleSchema: 1, ProcessBatch: 3, Summarize: 1, RecordLineage: 1, EmitCompleted: 1 });
    expect(h.calls.SendToDlq).toBeUndefined();
    expect(output?.object.ranges).toEqual([
      { firstLine: 1, lineCount: 5, firstByte: 0, lastByte: expect.any(Number) },
      { firstLine: 6, lineCount: 5, firstByte: expect.any(Number), lastByte: expect.any(Number) },
      { firstLine: 11, lineCount: 2, firstByte: expect.any(Number), lastByte: h.objects.get(`${RAW}/${KEY}`)!.length - 1 },
    ]);
    // Each range reads only its bytes; the sample reads the first lines only (here: all 12).
    const ranged = h.gets.filter((g) => g.range !== undefined).map((g) => g.range);
    expect(ranged).toHaveLength(4);
    expect(ranged).toEqual(expect.arrayContaining((output?.object.ranges as Json[]).map((r) => `bytes=${r.firstByte}-${r.lastByte}`)));
    const counts = { recordsIn: 12, curated: 12, quarantined: 0, schemaMismatches: 0, dropped: 0, duplicates: 0, retried: 0 };
    expect(h.events).toEqual([
      {
        EventBusName: expect.stringMatching(/^arn:aws:events:eu-west-1:123456789012:event-bus\//),
        Source: 'cdk-serverless-etl',
        DetailType: 'BatchCompleted',
        Detail: {
          pipeline: 'clicks',
          bucket: RAW,
          key: KEY,
          executionId: 'arn:aws:states:eu-west-1:123456789012:execution:wf:run-1',
          counts: { ...counts, scope: 'object', batches: 3, driftRate: 0, drifted: false },
          lineCount: 12,
          bytes: expect.any(Number),
        },
      },
    ]);
    // The load: curated objects and one lineage manifest per range, written by the runtime.
    const curated = [...h.objects.keys()].filter((k) => k.startsWith('curated-bucket/'));
    const batchManifests = curated.filter((k) => k.startsWith('curated-bucket/_lineage/clickstream-events/'));
    expect(batchManifests).toHaveLength(3);
    // Each batch manifest names the run, whose own manifest names the source object's version.
    for (const k of batchManifests) {
      expect(JSON.parse(h.objects.get(k)!.toString('utf8'))).toMatchObject({ workflowRun: 'arn:aws:states:eu-west-1:123456789012:execution:wf:run-1' });
    }
    expect(curated.filter((k) => k.startsWith('curated-bucket/clickstream-events/dt=2026-11-24/hr=09/'))).toHaveLength(3);
    // And the run's own manifest: source object version, transform version, schema sample, counts.
    const runManifests = curated.filter((k) => k.startsWith('curated-bucket/_lineage/clicks/runs/'));
    expect(runManifests).toEqual([expect.stringMatching(/^curated-bucket\/_lineage\/clicks\/runs\/dt=\d{4}-\d{2}-\d{2}\/run-1\.json$/)]);
    const manifest = JSON.parse(h.objects.get(runManifests[0])!.toString('utf8')) as Json;
    expect(manifest).toMatchObject({
      kind: 'batch-run',
      pipeline: 'clicks',
      dataset: 'clicks',
      executionId: 'arn:aws:states:eu-west-1:123456789012:execution:wf:run-1',
      source: { bucket: RAW, key: KEY, lineCount: 12, etag: '"etag"', batches: 3 },
      transform: { alias: 'live', version: '1' },
      schemaSample: { recordsIn: 12, schemaMismatches: 0, driftRate: 0, versions: { '1': 12 }, errors: [] },
      counts: { ...counts, scope: 'object', drifted: false },
    });
    expect(manifest.source.ranges).toBeUndefined();
    expect(output?.lineage).toEqual({ bucket: 'curated-bucket', key: runManifests[0].slice('curated-bucket/'.length) });
  });

  test('without schemas there is nothing to sample: the workflow has no SampleSchema state', () => {
    const { definition } = synthesize({}, { schemas: false });
    expect(statesByName(definition).SampleSchema).toBeUndefined();
    expect(statesByName(definition).CheckObject.Next).toBe('RunKind');
    expect(statesByName(definition).RunKind.Next).toBe('ProcessBatches');
    expect(statesByName(synthesize({ schemaSampleLines: 0 }).definition).SampleSchema).toBeUndefined();
  });

  test('retry then success: a throttled invocation is retried, the run completes', async () => {
    const lines = Array.from({ length: 7 }, (_, i) => event(i + 1));
    let throttled = 0;
    const { outcome, h } = await run({ [`${RAW}/${KEY}`]: lines.join('\n') }, KEY, {
      processBatch: async (input, real) => {
        if ((input.s3Object as Json).firstLine === 6 && throttled === 0) {
          throttled++;
          const e = new Error('Rate exceeded');
          e.name = 'Lambda.TooManyRequestsException';
          throw e;
        }
        return real(input);
      },
    });
    expect(outcome).toMatchObject({ status: 'SUCCEEDED' });
    expect(throttled).toBe(1);
    expect(h.calls.ProcessBatch).toBe(3); // 2 ranges + 1 retry
    expect(h.events.map((e) => e.DetailType)).toEqual(['BatchCompleted']);
    expect(h.events[0].Detail.counts).toMatchObject({ recordsIn: 7, curated: 7, retried: 0 });
    expect(h.dlq).toEqual([]);
  });

  test('poison records are quarantined with their line, the run still completes', async () => {
    // The reference sample, gzip under a .jsonl key: malformed JSON (line 15), a record without id
    // (line 18) and one the transform rejects (line 16) — counts from the runtime, summed over 4 ranges.
    const { outcome, h } = await run({ [`${RAW}/${KEY}`]: gzipSync(`${SAMPLE.join('\n')}\n`) }, KEY);
    expect(outcome).toMatchObject({ status: 'SUCCEEDED' });
    const [completed] = h.events;
    expect(completed.DetailType).toBe('BatchCompleted');
    const c = completed.Detail.counts;
    expect(c.recordsIn).toBe(18);
    expect(c.quarantined).toBe(3);
    expect(c.curated + c.quarantined + c.dropped + c.duplicates + c.retried).toBe(18);
    const quarantined = [...h.objects.entries()]
      .filter(([k]) => k.startsWith('quarantine-bucket/'))
      .flatMap(([, v]) => v.toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as Json));
    expect(quarantined.map((q) => [q.reason, q.position?.line ?? q.source?.line])).toEqual(
      expect.arrayContaining([['MALFORMED_JSON', 15]]),
    );
    expect(h.dlq).toEqual([]);
  });

  test('schema drift in the sample: nothing is loaded, the pipeline is paused, the object quarantined, a drift event emitted; the next run is deferred to the DLQ', async () => {
    const lines = Array.from({ length: 10 }, (_, i) => (i % 3 === 0 ? event(i + 1, { eventType: 'scroll', schemaVersion: '1' }) : event(i + 1)));
    const objects = { [`${RAW}/${KEY}`]: lines.join('\n') };
    const drifted = await run(objects, KEY, { schemas: clickstreamSchemas() });
    expect(failure(drifted.outcome)).toBe('SchemaDrift');
    expect(drifted.paused).toBe('true');
    expect(drifted.h.calls).toMatchObject({ SampleSchema: 1, PausePipeline: 1 });
    // Stopped before the load: no range was processed, nothing curated, no run manifest.
    expect(drifted.h.calls.ProcessBatch).toBeUndefined();
    expect([...drifted.h.objects.keys()].filter((k) => k.startsWith('curated-bucket/'))).toEqual([]);
    expect(drifted.h.events.map((e) => e.DetailType)).toEqual(['SchemaDriftDetected']);
    expect(drifted.h.events[0].Detail).toMatchObject({
      pipeline: 'clicks',
      key: KEY,
      counts: {
        scope: 'sample',
        recordsIn: 10,
        schemaMismatches: 4,
        driftRate: 0.4,
        drifted: true,
        curated: 0,
        errors: ['SCHEMA_MISMATCH: /eventType must be equal to one of the allowed values'],
      },
      maxDriftRate: 0.05,
      pausedParameter: '/cdk-serverless-etl/clicks/paused',
    });
    // A pointer to the object, not a copy of its (raw) bytes.
    expect(drifted.h.objects.has(`quarantine-bucket/clicks/objects/${KEY}`)).toBe(false);
    const sidecar = JSON.parse(drifted.h.objects.get(`quarantine-bucket/clicks/objects/${KEY}.error.json`)!.toString()) as Json;
    expect(sidecar).toMatchObject({ source: { bucket: RAW, key: KEY }, reason: 'SchemaDrift' });
    expect(drifted.h.dlq).toEqual([]);

    // While paused, a run neither checks nor loads: it goes to the DLQ (redriven after resume).
    const deferred = await run(objects, KEY, { schemas: clickstreamSchemas(), paused: drifted.paused });
    expect(failure(deferred.outcome)).toBe('BatchFailed');
    expect(deferred.h.calls.CheckObject).toBeUndefined();
    expect(deferred.h.calls.ProcessBatch).toBeUndefined();
    expect(deferred.h.dlq).toEqual([expect.objectContaining({ pipeline: 'clicks', bucket: RAW, key: KEY, error: 'PipelinePaused' })]);
    expect(deferred.h.events.map((e) => [e.DetailType, e.Detail.error])).toEqual([['BatchFailed', 'PipelinePaused']]);
  });

  test('a reprocess run (replay --reprocess) is never held as drift: the sample and the object drift, the records are loaded and quarantined, the pipeline stays unpaused', async () => {
    const workflow = synthesize({ linesPerBatch: 5, schemaSampleLines: 5 });
    const lines = Array.from({ length: 10 }, (_, i) => (i % 3 === 0 ? event(i + 1, { eventType: 'scroll' }) : event(i + 1)));
    const objects = { [`${RAW}/${KEY}`]: lines.join('\n') };
    const plain = await run(objects, KEY, { schemas: clickstreamSchemas(), workflow });
    expect(failure(plain.outcome)).toBe('SchemaDrift');

    const { outcome, h, paused } = await run(objects, KEY, { schemas: clickstreamSchemas(), workflow, executionName: 'reprocess-20261207120000-ab12--0123456789abcdef' });
    expect(outcome).toMatchObject({ status: 'SUCCEEDED' });
    expect(paused).toBe('false');
    expect(h.calls.PausePipeline).toBeUndefined();
    expect(h.events.map((e) => [e.DetailType, e.Detail.counts])).toEqual([['BatchCompleted', expect.objectContaining({ recordsIn: 10, schemaMismatches: 4, curated: 6, quarantined: 4, drifted: true })]]);
  });

  test('drift the sample cannot see (later in the object) is caught after the load, which the manifest records', async () => {
    const workflow = synthesize({ linesPerBatch: 5, schemaSampleLines: 5 });
    const lines = Array.from({ length: 20 }, (_, i) => (i >= 5 && i % 2 === 0 ? event(i + 1, { eventType: 'scroll' }) : event(i + 1)));
    const { outcome, h, paused } = await run({ [`${RAW}/${KEY}`]: lines.join('\n') }, KEY, { schemas: clickstreamSchemas(), workflow });
    expect(failure(outcome)).toBe('SchemaDrift');
    expect(h.calls).toMatchObject({ SampleSchema: 1, ProcessBatch: 4, Summarize: 1, RecordLineage: 1, PausePipeline: 1 });
    expect(paused).toBe('true');
    const counts = { scope: 'object', recordsIn: 20, schemaMismatches: 7, curated: 13, drifted: true };
    expect(h.events.map((e) => [e.DetailType, e.Detail.counts])).toEqual([['SchemaDriftDetected', expect.objectContaining(counts)]]);
    const [runManifest] = [...h.objects.keys()].filter((k) => k.startsWith('curated-bucket/_lineage/clicks/runs/'));
    expect(JSON.parse(h.objects.get(runManifest)!.toString('utf8'))).toMatchObject({
      schemaSample: { recordsIn: 5, schemaMismatches: 0 },
      counts,
    });
  });

  test('a scheduled run resolves its key template from the fire time (minus the offset), then runs as usual', async () => {
    const workflow = synthesize({
      linesPerBatch: 5,
      schedule: Schedule.cron({ hour: '2', minute: '0' }),
      scheduledKey: 'exports/dt={date}/hr={HH}/events.jsonl',
      scheduledKeyOffset: Duration.days(1),
    });
    const exportKey = 'exports/dt=2026-11-23/hr=02/events.jsonl';
    const input = { bucket: RAW, keyTemplate: 'exports/dt={date}/hr={HH}/events.jsonl', scheduledTime: '2026-11-24T02:00:00Z', keyOffsetSeconds: 86400 };
    const lines = Array.from({ length: 3 }, (_, i) => event(i + 1));
    const { output, outcome, h } = await run({ [`${RAW}/${exportKey}`]: lines.join('\n') }, exportKey, { schemas: clickstreamSchemas(), workflow, input });
    expect(outcome).toMatchObject({ status: 'SUCCEEDED' });
    expect(output?.key).toBe(exportKey);
    expect(h.calls).toMatchObject({ ResolveScheduledKey: 1, CheckObject: 1, ProcessBatch: 1 });
    expect(h.events.map((e) => [e.DetailType, e.Detail.key])).toEqual([['BatchCompleted', exportKey]]);

    // An object-created start of the same state machine has its key: no resolution.
    const direct = await run({ [`${RAW}/${KEY}`]: lines.join('\n') }, KEY, { schemas: clickstreamSchemas(), workflow });
    expect(direct.outcome).toMatchObject({ status: 'SUCCEEDED' });
    expect(direct.h.calls.ResolveScheduledKey).toBeUndefined();

    // The export is missing: the run goes to the DLQ with the resolved key (restart once it lands).
    const missing = await run({}, exportKey, { schemas: clickstreamSchemas(), workflow, input });
    expect(missing.h.dlq).toEqual([expect.objectContaining({ bucket: RAW, key: exportKey })]);
  });

  test('below the drift threshold the run completes and the pipeline stays unpaused', async () => {
    const lines = Array.from({ length: 40 }, (_, i) => (i === 0 ? event(i + 1, { eventType: 'scroll' }) : event(i + 1)));
    const { outcome, h, paused } = await run({ [`${RAW}/${KEY}`]: lines.join('\n') }, KEY, { schemas: clickstreamSchemas() });
    expect(outcome).toMatchObject({ status: 'SUCCEEDED' });
    expect(paused).toBe('false');
    expect(h.events[0].Detail.counts).toMatchObject({ recordsIn: 40, schemaMismatches: 1, driftRate: 0.025, drifted: false });
  });

  test('failure: a batch that keeps failing is retried to the bound, fails the Map Run (retried twice, as in AWS), then the run goes to the DLQ with a BatchFailed event', async () => {
    const lines = Array.from({ length: 3 }, (_, i) => event(i + 1));
    const { outcome, h } = await run({ [`${RAW}/${KEY}`]: lines.join('\n') }, KEY, {
      processBatch: async () => {
        const e = new Error('boom');
        e.name = 'Lambda.ServiceException';
        throw e;
      },
    });
    expect(failure(outcome)).toBe('BatchFailed');
    // One range; per Map Run 1 + 3 retries of its task (MaxAttempts 3). The failed item fails the Map
    // Run with States.ExceedToleratedFailureThreshold (tolerance 0), retried twice (MaxAttempts 2).
    expect(h.calls.ProcessBatch).toBe(3 * 4);
    expect(h.dlq).toEqual([expect.objectContaining({ pipeline: 'clicks', bucket: RAW, key: KEY, error: TOLERATED_FAILURE_ERROR })]);
    expect(h.dlq[0].cause).toContain('Lambda.ServiceException');
    expect(h.events.map((e) => [e.DetailType, e.Detail.error])).toEqual([['BatchFailed', TOLERATED_FAILURE_ERROR]]);
  });

  test('records that could not be stored fail the range and the Map Run, which is retried (idempotent); never a silent success', async () => {
    const lines = Array.from({ length: 3 }, (_, i) => event(i + 1));
    const { outcome, h } = await run({ [`${RAW}/${KEY}`]: lines.join('\n') }, KEY, {
      processBatch: async () => ({ batchItemFailures: [{ itemIdentifier: '1' }], summary: { recordsIn: 3, curated: 2, retried: 1 } }),
    });
    expect(failure(outcome)).toBe('BatchFailed');
    expect(h.calls.ProcessBatch).toBe(3); // one range, three Map Runs
    expect(h.dlq).toEqual([expect.objectContaining({ error: TOLERATED_FAILURE_ERROR })]);
    expect(h.dlq[0].cause).toContain('BatchItemFailures');
    expect(h.calls.EmitCompleted).toBeUndefined();
  });

  test('an object that is not JSON Lines is quarantined (no DLQ, no retry) with a BatchFailed event', async () => {
    const csv = 'eventId,eventType\nevt-1,click\nevt-2,click\n';
    const { outcome, h } = await run({ [`${RAW}/${KEY}`]: csv }, KEY);
    expect(failure(outcome)).toBe('BatchFailed');
    expect(h.calls.CheckObject).toBe(1);
    expect(h.calls.ProcessBatch).toBeUndefined();
    expect(h.objects.has(`quarantine-bucket/clicks/objects/${KEY}.error.json`)).toBe(true);
    expect(h.objects.has(`quarantine-bucket/clicks/objects/${KEY}`)).toBe(false);
    expect(h.dlq).toEqual([]);
    expect(h.events.map((e) => [e.DetailType, e.Detail.error])).toEqual([['BatchFailed', 'NotJsonLines']]);
  });

  test('a missing object (a transient or unknown error) goes to the DLQ after retries', async () => {
    const { outcome, h } = await run({}, KEY);
    expect(failure(outcome)).toBe('BatchFailed');
    expect(h.dlq).toEqual([expect.objectContaining({ key: KEY, error: 'NotFound' })]);
    expect(h.events.map((e) => e.DetailType)).toEqual(['BatchFailed']);
  });

  test('timeout: the execution stops at its TimeoutSeconds (the AbandonedRuns rule sends it to the DLQ)', async () => {
    const workflow = { ...WORKFLOW, definition: { ...WORKFLOW.definition, TimeoutSeconds: 1 } };
    const lines = Array.from({ length: 3 }, (_, i) => event(i + 1));
    const { outcome, h } = await run({ [`${RAW}/${KEY}`]: lines.join('\n') }, KEY, {
      workflow,
      processBatch: (input, real) => new Promise((resolve) => setTimeout(() => resolve(real(input)), 1500)),
    });
    // The outcome is reported once the abandoned invocation has settled.
    expect(outcome).toMatchObject({ status: 'TIMED_OUT', error: 'States.Timeout' });
    expect(h.calls.EmitCompleted).toBeUndefined();
  });
});
