/**
 * `replay`: raw objects of a time range through the batch workflow (fauxqs S3, a fake state
 * machine that runs the real runtime on each execution's object), and the archive replay with a
 * fake EventBridge. End to end: replaying a range already processed curates nothing twice.
 */
import { gunzipSync } from 'node:zlib';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { main } from '../../cli/main';
import { generateClickstreamEvents } from '../../examples/clickstream/generate-events';
import * as clickstream from '../../examples/clickstream/transform';
import { createBatchHandler } from '../../lambda/runtime/batch-handler';
import { createPiiHasher } from '../../lambda/runtime/pii-masking';
import type { SchemaBundle } from '../../lambda/runtime/schema-validation';
import type { TransformModule } from '../../lambda/runtime/transform-contract';
import { writeSchemaBundle } from '../../lib/schema/schema-bundle';
import { startEmulators, type Emulators } from '../../local/services/emulators';
import { testConfig } from '../lambda/support/fixtures';
import { ROOT } from '../support/cdk';
import { captureIo, clientsOf, fakeClient, writeOutputsFile } from './support';

jest.setTimeout(90_000);

const BUCKETS = { raw: 'raw-bucket', curated: 'curated-bucket', quarantine: 'quarantine-bucket' };
const TABLE = 'idempotency-store';
const STATE_MACHINE = 'arn:aws:states:us-east-1:000000000000:stateMachine:batch';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('replay --source raw on emulated S3', () => {
  let emulators: Emulators;
  let s3: S3Client;
  let file: string;
  let handler: ReturnType<typeof createBatchHandler>;
  const metrics: Array<Record<string, number>> = [];
  const times: Record<string, Date> = {};

  beforeAll(async () => {
    emulators = await startEmulators({ services: ['s3', 'sqs', 'dynamodb'] });
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
    const config = testConfig({
      stage: 'batch',
      curatedBucket: BUCKETS.curated,
      quarantineBucket: BUCKETS.quarantine,
      rawBucket: BUCKETS.raw,
      dataset: 'clickstream',
      transformVersion: 'test',
      idempotencyTable: TABLE,
      idempotencyTtlSeconds: 3600,
      maxRecordBytes: 8 * 1024,
    });
    const schemaModule = writeSchemaBundle({
      versions: [{ version: '1', schema: JSON.parse(fs.readFileSync(path.join(ROOT, 'examples/clickstream/schemas/clickstream-v1.json'), 'utf8')) }],
      versionField: 'schemaVersion',
      defaultVersion: '1',
    });
    handler = createBatchHandler(clickstream as unknown as TransformModule, (await import(schemaModule)) as SchemaBundle, {
      config,
      s3,
      dynamodb: emulators.clients.dynamodb(),
      hasher: createPiiHasher('a-test-key-of-at-least-16-chars'),
      logger: new Logger({ serviceName: 'clickstream', logLevel: 'SILENT' }),
      writeMetrics: (line) => metrics.push(JSON.parse(line) as Record<string, number>),
    });

    // Two objects in the range, one after it, one outside the workflow prefix.
    const lines = (seed: number) => generateClickstreamEvents({ count: 150, seed }).map((e) => e.line).join('\n');
    times.before = new Date(Date.now() - 2000);
    await s3.send(new PutObjectCommand({ Bucket: BUCKETS.raw, Key: 'batch/2026/a.jsonl', Body: lines(1) }));
    await s3.send(new PutObjectCommand({ Bucket: BUCKETS.raw, Key: 'batch/2026/b.jsonl', Body: lines(2) }));
    await s3.send(new PutObjectCommand({ Bucket: BUCKETS.raw, Key: 'claim-checks/x.json', Body: '{}' }));
    await sleep(1100);
    times.mid = new Date();
    await sleep(1100);
    await s3.send(new PutObjectCommand({ Bucket: BUCKETS.raw, Key: 'batch/2026/c.jsonl', Body: lines(3) }));
    times.after = new Date(Date.now() + 2000);
    file = writeOutputsFile({
      EtlStack: { PipelineRawBucketName1A2B3C4D: BUCKETS.raw, PipelineBatchWorkflowStateMachineArn5E6F7A8B: STATE_MACHINE },
    });
  });
  afterAll(async () => emulators?.stop());

  /** A state machine that runs the runtime over each execution's `{ bucket, key }`. */
  function workflow() {
    return fakeClient((name, input) => {
      if (name !== 'StartExecutionCommand') throw new Error(`unexpected ${name}`);
      return handler({ s3Object: JSON.parse(input.input as string) as { bucket: string; key: string } }).then(() => ({
        executionArn: `${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:${input.name as string}`,
      }));
    });
  }

  async function curatedEventIds(): Promise<string[]> {
    const ids: string[] = [];
    const list = await s3.send(new ListObjectsV2Command({ Bucket: BUCKETS.curated }));
    for (const { Key } of list.Contents ?? []) {
      if (!Key || Key.startsWith('_lineage/')) continue;
      const out = await s3.send(new GetObjectCommand({ Bucket: BUCKETS.curated, Key }));
      const bytes = Buffer.from(await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
      const text = Key.endsWith('.gz') ? gunzipSync(bytes).toString('utf8') : bytes.toString('utf8');
      for (const line of text.split('\n').filter(Boolean)) ids.push((JSON.parse(line) as { eventId: string }).eventId);
    }
    return ids;
  }

  test('--dry-run lists the objects of the range under the prefix and starts nothing', async () => {
    const sfn = workflow();
    const io = captureIo();
    const argv = ['replay', '--source', 'raw', '--outputs', file, '--from', times.before.toISOString(), '--to', times.mid.toISOString(), '--dry-run'];
    expect(await main(argv, { io, clients: clientsOf({ s3, sfn }) })).toBe(0);
    expect(io.lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^2 raw object\(s\) in s3:\/\/raw-bucket\/batch\//),
        '  would start: s3://raw-bucket/batch/2026/a.jsonl',
        '  would start: s3://raw-bucket/batch/2026/b.jsonl',
        'dry run: nothing started',
      ]),
    );
    expect(sfn.calls).toEqual([]);
  });

  test('refuses without --yes when not a terminal', async () => {
    const sfn = workflow();
    const io = captureIo();
    const argv = ['replay', '--source', 'raw', '--outputs', file, '--from', times.before.toISOString(), '--to', times.mid.toISOString()];
    expect(await main(argv, { io, clients: clientsOf({ s3, sfn }) })).toBe(3);
    expect(io.errors.join('\n')).toMatch(/refusing to start 2 batch workflow execution\(s\) without confirmation/);
    expect(sfn.calls).toEqual([]);
  });

  test('a replay of a range already processed curates no record twice', async () => {
    // First run: what the object-created rule did when the objects landed.
    await handler({ s3Object: { bucket: BUCKETS.raw, key: 'batch/2026/a.jsonl' } });
    await handler({ s3Object: { bucket: BUCKETS.raw, key: 'batch/2026/b.jsonl' } });
    const first = await curatedEventIds();
    expect(first.length).toBeGreaterThan(100);
    expect(new Set(first).size).toBe(first.length);
    const metricsBefore = metrics.length;

    // The replay: one execution per object of the range, at most 4 per second.
    const sfn = workflow();
    const io = captureIo();
    const started = performance.now();
    const argv = ['replay', '--source', 'raw', '--outputs', file, '--from', times.before.toISOString(), '--to', times.mid.toISOString(), '--rate', '4', '--yes'];
    expect(await main(argv, { io, clients: clientsOf({ s3, sfn }) })).toBe(0);
    expect(performance.now() - started).toBeGreaterThanOrEqual(250 - 15);
    expect(sfn.calls.map((c) => [c.input.stateMachineArn, JSON.parse(c.input.input as string)])).toEqual([
      [STATE_MACHINE, { bucket: BUCKETS.raw, key: 'batch/2026/a.jsonl' }],
      [STATE_MACHINE, { bucket: BUCKETS.raw, key: 'batch/2026/b.jsonl' }],
    ]);
    expect(new Set(sfn.calls.map((c) => c.input.name)).size).toBe(2);
    expect(io.lines.join('\n')).toMatch(/started 2\/2: s3:\/\/raw-bucket\/batch\/2026\/b.jsonl → arn:aws:states:/);

    const after = await curatedEventIds();
    expect(after.length).toBe(first.length);
    expect(new Set(after).size).toBe(after.length);
    expect([...after].sort()).toEqual([...first].sort());
    const replayed = metrics.slice(metricsBefore);
    expect(replayed.reduce((n, m) => n + (m.RecordsOut ?? 0), 0)).toBe(0);
    expect(replayed.reduce((n, m) => n + (m.DuplicatesSkipped ?? 0), 0)).toBeGreaterThan(0);
  });

  describe('with an archive (fake EventBridge)', () => {
    test('replays the range back to the bus, limited to the rules targeting the buffer queue', async () => {
      const sqs = emulators.clients.sqs();
      const bufferUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'buffer' }))).QueueUrl as string;
      const bufferArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: bufferUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn;
      const busArn = 'arn:aws:events:us-east-1:000000000000:event-bus/clickstream';
      let describes = 0;
      const eventbridge = fakeClient((name, input) => {
        switch (name) {
          case 'DescribeArchiveCommand':
            return { ArchiveName: input.ArchiveName, EventSourceArn: busArn, EventCount: 42 };
          case 'ListRulesCommand':
            return { Rules: [{ Name: 'pipeline-rule', Arn: `${busArn}/pipeline-rule`.replace('event-bus/', 'rule/') }, { Name: 'other', Arn: 'arn:other' }] };
          case 'ListTargetsByRuleCommand':
            return { Targets: input.Rule === 'pipeline-rule' ? [{ Id: '1', Arn: bufferArn }] : [{ Id: '1', Arn: 'arn:aws:lambda:x' }] };
          case 'StartReplayCommand':
            return { State: 'STARTING' };
          case 'DescribeReplayCommand':
            return ++describes < 2 ? { State: 'RUNNING', EventLastReplayedTime: new Date('2026-01-01T00:30:00Z') } : { State: 'COMPLETED' };
          default:
            throw new Error(`unexpected ${name}`);
        }
      });
      const outputs = writeOutputsFile({
        EtlStack: { PipelineEventArchiveName11111111: 'clickstream-archive', PipelineBufferQueueUrl22222222: bufferUrl, PipelineEventBusName33333333: 'clickstream' },
      });
      const argv = ['replay', '--outputs', outputs, '--from', '2026-01-01T00:00:00Z', '--to', '2026-01-01T01:00:00Z'];

      const dry = captureIo();
      expect(await main([...argv, '--dry-run'], { io: dry, clients: clientsOf({ sqs, eventbridge }) })).toBe(0);
      expect(eventbridge.calls.map((c) => c.name)).not.toContain('StartReplayCommand');
      expect(dry.lines.join('\n')).toMatch(/dry run: would start replay etl-replay-/);

      const io = captureIo();
      expect(await main([...argv, '--yes'], { io, clients: clientsOf({ sqs, eventbridge }), sleep: async () => undefined })).toBe(0);
      const start = eventbridge.calls.find((c) => c.name === 'StartReplayCommand')?.input;
      expect(start).toEqual(
        expect.objectContaining({
          EventSourceArn: busArn,
          EventStartTime: new Date('2026-01-01T00:00:00Z'),
          EventEndTime: new Date('2026-01-01T01:00:00Z'),
          Destination: { Arn: busArn, FilterArns: ['arn:aws:events:us-east-1:000000000000:rule/clickstream/pipeline-rule'] },
        }),
      );
      expect(start?.ReplayName).toMatch(/^[.\-_A-Za-z0-9]{1,64}$/);
      expect(io.lines).toEqual(expect.arrayContaining(['replay RUNNING: replayed up to 2026-01-01T00:30:00.000Z', 'replay COMPLETED']));
    });

    test('a failed replay exits 1 with its reason', async () => {
      const eventbridge = fakeClient((name) =>
        name === 'DescribeArchiveCommand' ? { EventSourceArn: 'arn:aws:events:us-east-1:0:event-bus/b' } : name === 'DescribeReplayCommand' ? { State: 'FAILED', StateReason: 'boom' } : {},
      );
      const outputs = writeOutputsFile({ S: { EventArchiveName: 'a' } });
      const io = captureIo();
      const code = await main(['replay', '--outputs', outputs, '--from', '2026-01-01T00:00:00Z', '--to', '2026-01-01T01:00:00Z', '--yes'], {
        io,
        clients: clientsOf({ eventbridge }),
        sleep: async () => undefined,
      });
      expect(code).toBe(1);
      expect(io.errors.join('\n')).toMatch(/replay etl-replay-\S+ FAILED: boom/);
    });
  });
});
