/**
 * `replay --reprocess`: a reprocess run over raw objects (fauxqs S3 and dynalite, a fake state
 * machine running the real runtime on each execution with the execution's ARN as its `run`), and
 * over the archive (fake EventBridge). After a transform change, the run's executions re-derive
 * every record with the new transform as new curated lines, in both deduplication modes; a
 * pipeline without a current table is refused.
 */
import { gunzipSync } from 'node:zlib';
import { Logger } from '@aws-lambda-powertools/logger';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { main } from '../../cli/main';
import { generateClickstreamEvents } from '../../examples/clickstream/generate-events';
import * as clickstream from '../../examples/clickstream/transform';
import { createBatchHandler } from '../../lambda/runtime/batch-handler';
import type { RuntimeConfig } from '../../lambda/runtime/config';
import type { PipelineRecord, TransformModule } from '../../lambda/runtime/transform-contract';
import { LAKEHOUSE_COLUMNS } from '../../lib/contract/lakehouse/columns';
import { reprocessRunOfExecution } from '../../lib/contract/reprocess';
import { startEmulators, type Emulators } from '../../local/services/emulators';
import { testConfig } from '../lambda/support/fixtures';
import { captureIo, clientsOf, fakeClient, writeOutputsFile } from './support';

jest.setTimeout(90_000);

const BUCKETS = { raw: 'raw-bucket', curated: 'curated-bucket', quarantine: 'quarantine-bucket' };
const TABLE = 'idempotency-store';
const STATE_MACHINE = 'arn:aws:states:us-east-1:000000000000:stateMachine:batch';
const FUNCTION = 'clickstream-transform';
const A = clickstream as unknown as TransformModule;
/** Transform B: A's output with the event type in upper case, the change a user deploys. */
const B: TransformModule = {
  transform: async (record, context) => {
    const out = (await A.transform(record, context)) as PipelineRecord | null;
    return out && { ...out, eventType: String(out.eventType).toUpperCase() };
  },
};

const outputsFile = writeOutputsFile({
  EtlStack: {
    PipelinePipelineName0A1B2C3D: 'clickstream',
    PipelineRawBucketName1A2B3C4D: BUCKETS.raw,
    PipelineBatchWorkflowStateMachineArn5E6F7A8B: STATE_MACHINE,
    PipelineTransformFunctionName9A8B7C6D: FUNCTION,
    PipelineEventArchiveName11111111: 'clickstream-archive',
  },
});

/** The transform's configuration as Lambda returns it: with or without a current table. */
const lambdaWith = (currentTable: boolean) =>
  fakeClient((name) => {
    if (name !== 'GetFunctionConfigurationCommand') throw new Error(`unexpected ${name}`);
    return { FunctionName: FUNCTION, Environment: { Variables: { PIPELINE_NAME: 'clickstream', ...(currentTable ? { CURRENT_TABLE: 'true' } : {}) } } };
  });

describe('replay --reprocess', () => {
  let emulators: Emulators;
  let s3: S3Client;
  const range: { from?: Date; to?: Date } = {};

  beforeAll(async () => {
    emulators = await startEmulators({ services: ['s3', 'dynamodb'] });
    s3 = emulators.clients.s3();
    for (const bucket of Object.values(BUCKETS)) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await emulators.clients.dynamodb().send(
      new CreateTableCommand({
        TableName: TABLE,
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    range.from = new Date(Date.now() - 2000);
    const lines = generateClickstreamEvents({ count: 40, seed: 7 }).map((e) => e.line).join('\n');
    await s3.send(new PutObjectCommand({ Bucket: BUCKETS.raw, Key: 'batch/2026/a.jsonl', Body: lines }));
    range.to = new Date(Date.now() + 2000);
  });
  afterAll(async () => emulators?.stop());

  function configOf(mode: 'claims' | 'table', dataset: string, transformVersion: string): RuntimeConfig {
    return testConfig({
      stage: 'batch',
      curatedBucket: BUCKETS.curated,
      quarantineBucket: BUCKETS.quarantine,
      rawBucket: BUCKETS.raw,
      dataset,
      transformVersion,
      currentTable: {},
      ...(mode === 'claims' ? { idempotencyTable: TABLE, idempotencyTtlSeconds: 3600 } : {}),
    });
  }

  function handlerOf(module: TransformModule, config: RuntimeConfig) {
    return createBatchHandler(module, undefined, {
      config,
      s3,
      dynamodb: emulators.clients.dynamodb(),
      logger: new Logger({ serviceName: 'clickstream', logLevel: 'SILENT' }),
      writeMetrics: () => undefined,
    });
  }

  /** A state machine running `handler` over each execution's `{ bucket, key }`, with the execution ARN as the range's run. */
  function workflow(handler: ReturnType<typeof handlerOf>, existing: Set<string> = new Set()) {
    return fakeClient(async (name, input) => {
      if (name !== 'StartExecutionCommand') throw new Error(`unexpected ${name}`);
      const executionArn = `${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:${input.name as string}`;
      if (existing.has(executionArn)) throw Object.assign(new Error('Execution Already Exists'), { name: 'ExecutionAlreadyExists' });
      existing.add(executionArn);
      await handler({ s3Object: JSON.parse(input.input as string) as { bucket: string; key: string }, run: executionArn });
      return { executionArn, startDate: new Date() };
    });
  }

  /** The curated lines of `dataset`, by object key. */
  async function curatedLines(dataset: string): Promise<Map<string, Array<Record<string, unknown>>>> {
    const objects = new Map<string, Array<Record<string, unknown>>>();
    const list = await s3.send(new ListObjectsV2Command({ Bucket: BUCKETS.curated, Prefix: `${dataset}/` }));
    for (const { Key } of list.Contents ?? []) {
      const out = await s3.send(new GetObjectCommand({ Bucket: BUCKETS.curated, Key }));
      const text = gunzipSync(Buffer.from(await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray())).toString('utf8');
      objects.set(Key as string, text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>));
    }
    return objects;
  }

  const argv = (...extra: string[]) => ['replay', '--source', 'raw', '--outputs', outputsFile, '--from', range.from!.toISOString(), '--to', range.to!.toISOString(), '--reprocess', ...extra];

  test.each(['claims', 'table'] as const)("after a transform change, re-derives every record with the new transform as new lines ('%s' deduplication); the run continued starts nothing twice", async (mode) => {
    const dataset = `clickstream-${mode}`;
    await handlerOf(A, configOf(mode, dataset, 'code-a'))({ s3Object: { bucket: BUCKETS.raw, key: 'batch/2026/a.jsonl' } });
    const first = await curatedLines(dataset);
    const firstLines = [...first.values()].flat();
    expect(firstLines.length).toBeGreaterThan(20);
    expect(firstLines.filter((l) => !l.claimCheck).every((l) => /^[a-z_]+$/.test(String(l.eventType)))).toBe(true);

    const existing = new Set<string>();
    const sfn = workflow(handlerOf(B, configOf(mode, dataset, 'code-b')), existing);
    const io = captureIo();
    expect(await main(argv('--yes'), { io, clients: clientsOf({ s3, sfn, lambda: lambdaWith(true) }) })).toBe(0);

    const [start] = sfn.calls;
    const run = reprocessRunOfExecution(start.input.name as string);
    expect(run).toMatch(/^reprocess-\d{14}-[0-9a-z]{4}$/);
    expect(JSON.parse(start.input.input as string)).toEqual({ bucket: BUCKETS.raw, key: 'batch/2026/a.jsonl' });
    expect(io.lines[0]).toBe(`reprocess run ${run}: records re-derived with the current transform as new curated lines; the current table's merge takes them over the first ones`);

    const after = await curatedLines(dataset);
    const added = [...after].filter(([key]) => !first.has(key)).flatMap(([, lines]) => lines);
    // Every record of the first processing again, derived by B, processed later; the first lines untouched.
    expect(added.map((l) => l[LAKEHOUSE_COLUMNS.key]).sort()).toEqual(firstLines.map((l) => l[LAKEHOUSE_COLUMNS.key]).sort());
    expect(new Set(added.map((l) => l[LAKEHOUSE_COLUMNS.transformVersion]))).toEqual(new Set(['code-b']));
    // (A claim-checked line holds a reference, its record is in the raw bucket.)
    expect(added.filter((l) => !l.claimCheck).map((l) => String(l.eventType)).filter((t) => !/^[A-Z_]+$/.test(t))).toEqual([]);
    const firstOf = new Map(firstLines.map((l) => [l[LAKEHOUSE_COLUMNS.key], l]));
    expect(added.every((l) => String(l[LAKEHOUSE_COLUMNS.processedAt]) >= String(firstOf.get(l[LAKEHOUSE_COLUMNS.key])?.[LAKEHOUSE_COLUMNS.processedAt]))).toBe(true);
    for (const [key, lines] of first) expect(after.get(key)).toEqual(lines);
    // A claim-checked record of the run is stored apart: the first line's reference still reads A's record.
    const checked = (lines: Array<Record<string, unknown>>) => lines.flatMap((l) => (l.claimCheck ? [(l.claimCheck as { key: string }).key] : []));
    expect(checked(added).filter((k) => checked(firstLines).includes(k))).toEqual([]);

    // Continuing the run (--run): the object it already started is reported, not started again.
    const again = captureIo();
    expect(await main(argv('--run', run as string, '--yes'), { io: again, clients: clientsOf({ s3, sfn, lambda: lambdaWith(true) }) })).toBe(0);
    expect(again.lines.join('\n')).toMatch(new RegExp(`already in run ${run}: s3://raw-bucket/batch/2026/a.jsonl`));
    expect((await curatedLines(dataset)).size).toBe(after.size);
  });

  test('--dry-run names the run and each execution, and starts nothing', async () => {
    const sfn = workflow(handlerOf(B, configOf('table', 'dry', 'code-b')));
    const io = captureIo();
    expect(await main(argv('--run', 'reprocess-fix-42', '--dry-run'), { io, clients: clientsOf({ s3, sfn, lambda: lambdaWith(true) }) })).toBe(0);
    expect(io.lines).toEqual(expect.arrayContaining([expect.stringMatching(/^ {2}would start: s3:\/\/raw-bucket\/batch\/2026\/a\.jsonl as reprocess-fix-42--[0-9a-f]{16}$/), 'dry run: nothing started']));
    expect(sfn.calls).toEqual([]);
  });

  test('refuses a pipeline without a current table, before anything is listed or started', async () => {
    const sfn = workflow(handlerOf(B, configOf('table', 'refused', 'code-b')));
    const io = captureIo();
    expect(await main(argv('--yes'), { io, clients: clientsOf({ s3, sfn, lambda: lambdaWith(false) }) })).toBe(3);
    expect(io.errors.join('\n')).toMatch(/refusing --reprocess: pipeline clickstream .*keeps no current table \(its transform clickstream-transform has no CURRENT_TABLE=true\)/);
    expect(sfn.calls).toEqual([]);
  });

  test('refuses --run without --reprocess, and a --run that is not a run id', async () => {
    const io = captureIo();
    const plain = ['replay', '--source', 'raw', '--outputs', outputsFile, '--from', range.from!.toISOString(), '--to', range.to!.toISOString()];
    expect(await main([...plain, '--run', 'reprocess-x'], { io, clients: clientsOf({ s3 }) })).toBe(2);
    expect(await main(argv('--run', 'etl-replay-1'), { io, clients: clientsOf({ s3 }) })).toBe(2);
    expect(io.errors.join('\n')).toMatch(/--run names a reprocess run: give --reprocess too[\s\S]*--run must be a reprocess run id/);
  });

  test('an archive reprocess names the replay by the run (the replay-name the runtime reads)', async () => {
    const busArn = 'arn:aws:events:us-east-1:000000000000:event-bus/clickstream';
    const eventbridge = fakeClient((name) => {
      if (name === 'DescribeArchiveCommand') return { EventSourceArn: busArn, EventCount: 3 };
      if (name === 'StartReplayCommand') return { State: 'STARTING' };
      if (name === 'DescribeReplayCommand') return { State: 'COMPLETED' };
      throw new Error(`unexpected ${name}`);
    });
    const io = captureIo();
    const code = await main(['replay', '--outputs', outputsFile, '--from', '2026-01-01T00:00:00Z', '--to', '2026-01-01T01:00:00Z', '--reprocess', '--run', 'reprocess-fix-43', '--yes'], {
      io,
      clients: clientsOf({ eventbridge, lambda: lambdaWith(true) }),
      sleep: async () => undefined,
    });
    expect(code).toBe(0);
    expect(eventbridge.calls.find((c) => c.name === 'StartReplayCommand')?.input).toMatchObject({ ReplayName: 'reprocess-fix-43', Description: 'cdk-serverless-etl replay --reprocess' });
  });
});
