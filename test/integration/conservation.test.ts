/**
 * Conservation of records through the real runtime on local emulators (fauxqs S3/SQS, dynalite,
 * kinesalite): 10,000 generated clickstream events (malformed, schema violations, oversize, bots,
 * PII, duplicates and redeliveries) sent through Kinesis and through the SQS buffer, with injected
 * sink faults (a quarter of all object writes and a tenth of the claims fail at first, and a few
 * records can never be written). Every delivery must end in exactly one of curated, quarantine,
 * a DLQ, dropped on purpose or skipped as a duplicate; no event id twice in curated; the metrics
 * match what was written; no PII value anywhere.
 */
import { gunzipSync } from 'node:zlib';
import { CreateTableCommand, PutItemCommand, BatchWriteItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateStreamCommand, PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { Logger } from '@aws-lambda-powertools/logger';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generateClickstreamEvents, type GeneratedEvent } from '../../examples/clickstream/generate-events';
import * as clickstream from '../../examples/clickstream/transform';
import { createBatchHandler } from '../../lambda/runtime/batch-handler';
import { createPiiHasher } from '../../lambda/runtime/pii-masking';
import type { SchemaBundle } from '../../lambda/runtime/schema-validation';
import type { TransformModule } from '../../lambda/runtime/transform-contract';
import { writeSchemaBundle } from '../../lib/schema/schema-bundle';
import { startEmulators, type Emulators } from '../../local/services/emulators';
import { drainKinesis, type KinesisFailureRecord } from '../../local/services/event-sources/kinesis-event-source';
import { drainSqs } from '../../local/services/event-sources/sqs-event-source';
import { testConfig } from '../lambda/support/fixtures';
import { ROOT } from '../support/cdk';

// 10,000 records through emulators: about a minute on an idle 2-core machine, four to five times
// that when the machine is shared (a limit, not a performance assertion; the benchmarks measure speed).
jest.setTimeout(600_000);

const COUNT = 10_000;
const STREAM = 'clickstream-in';
const STREAM_ARN = `arn:aws:kinesis:us-east-1:000000000000:stream/${STREAM}`;
const BUCKETS = { curated: 'curated-bucket', quarantine: 'quarantine-bucket', raw: 'raw-bucket' };
const TABLE = 'idempotency-store';
const MAX_RECORD_BYTES = 8 * 1024;

const config = testConfig({
  // A short function timeout: a duplicate waits this long for another input's failed write.
  claimInFlightSeconds: 5,
  curatedBucket: BUCKETS.curated,
  quarantineBucket: BUCKETS.quarantine,
  rawBucket: BUCKETS.raw,
  dataset: 'clickstream',
  transformVersion: 'test',
  idempotencyTable: TABLE,
  idempotencyTtlSeconds: 3600,
  maxRecordBytes: MAX_RECORD_BYTES,
});

/** A delivery of a generated event: where it was sent, and what it was. */
interface Delivery {
  readonly position: string;
  readonly event: GeneratedEvent;
  readonly via: 'kinesis' | 'sqs';
  readonly redelivery: boolean;
  readonly shardId?: string;
  readonly sequenceNumber?: string;
}

describe('conservation: 10,000 records through the runtime on emulators, with faults', () => {
  let emulators: Emulators;
  let s3: S3Client;
  let faultyS3: S3Client;
  let sqs: SQSClient;
  let dynamodb: DynamoDBClient;
  let kinesis: KinesisClient;
  let bufferUrl: string;
  let bufferDlqUrl: string;
  let kinesisDlqUrl: string;
  const events = generateClickstreamEvents({ count: COUNT, seed: 7, oversizeBytes: 20_000 });
  const deliveries = new Map<string, Delivery>();
  const poison = new Set(events.filter((e) => e.kind === 'valid').slice(500, 5000).filter((_, i) => i % 400 === 0).map((e) => e.eventId));
  const stdout: string[] = [];
  const metricLines: string[] = [];
  const faults = { objectWrites: 0, objectWritesFailed: 0, objectKeys: 0, firstWritesFailed: 0, claimCalls: 0, claimCallsFailed: 0 };

  beforeAll(async () => {
    emulators = await startEmulators();
    s3 = emulators.clients.s3();
    sqs = emulators.clients.sqs();
    dynamodb = injectClaimFaults(emulators.clients.dynamodb(), faults);
    kinesis = emulators.clients.kinesis();
    faultyS3 = injectObjectFaults(emulators.clients.s3(), poison, faults);

    for (const bucket of Object.values(BUCKETS)) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await emulators.clients.dynamodb().send(
      new CreateTableCommand({
        TableName: TABLE,
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    await kinesis.send(new CreateStreamCommand({ StreamName: STREAM, ShardCount: 2 }));
    await waitForStream(kinesis);
    bufferDlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'buffer-dlq' }))).QueueUrl as string;
    kinesisDlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'kinesis-dlq' }))).QueueUrl as string;
    const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: bufferDlqUrl, AttributeNames: ['QueueArn'] }))).Attributes
      ?.QueueArn as string;
    bufferUrl = (
      await sqs.send(
        new CreateQueueCommand({
          QueueName: 'buffer',
          Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: '3' }) },
        }),
      )
    ).QueueUrl as string;

    const schemaModule = writeSchemaBundle({
      versions: [{ version: '1', schema: JSON.parse(fs.readFileSync(path.join(ROOT, 'examples/clickstream/schemas/clickstream-v1.json'), 'utf8')) }],
      versionField: 'schemaVersion',
      defaultVersion: '1',
    });
    const schemas = (await import(schemaModule)) as SchemaBundle;
    // Everything the runtime logs (stdout and stderr) is kept for the PII check, and kept off the test output.
    for (const stream of [process.stdout, process.stderr]) {
      jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
        stdout.push(String(chunk));
        return true;
      });
    }
    const handler = createBatchHandler(clickstream as unknown as TransformModule, schemas, {
      config,
      s3: faultyS3,
      dynamodb,
      hasher: createPiiHasher('a-test-key-of-at-least-16-chars'),
      logger: new Logger({ serviceName: 'clickstream', logLevel: 'INFO' }),
      writeMetrics: (line) => metricLines.push(line),
      sleep: async () => undefined,
    });

    // First delivery: half through Kinesis, half through the SQS buffer (as EventBridge events).
    const half = Math.floor(events.length / 2);
    await sendToKinesis(kinesis, events.slice(0, half), deliveries, false);
    await sendToSqs(sqs, bufferUrl, events.slice(half), deliveries, false);
    // Redeliveries: 3% of what was sent goes again (at-least-once sources, replays).
    const again = events.filter((_, i) => i % 33 === 0);
    await sendToSqs(sqs, bufferUrl, again.filter((_, i) => i % 2 === 0), deliveries, true);
    await sendToKinesis(kinesis, again.filter((_, i) => i % 2 === 1), deliveries, true);

    await drainKinesis(kinesis, sqs, {
      streamName: STREAM,
      streamArn: STREAM_ARN,
      handler: handler as never,
      batchSize: 100,
      retryAttempts: 3,
      onFailureQueueUrl: kinesisDlqUrl,
    });
    await drainSqs(sqs, { queueUrl: bufferUrl, queueArn: 'arn:aws:sqs:us-east-1:000000000000:buffer', handler: handler as never, batchSize: 10 });
    jest.restoreAllMocks();
  });

  afterAll(async () => {
    jest.restoreAllMocks();
    await emulators?.stop();
  });

  test('faults were injected: at least 20% of object writes failed at first', () => {
    // Of the objects written, the share whose first write failed (retries are not in the denominator).
    expect(faults.firstWritesFailed / faults.objectKeys).toBeGreaterThanOrEqual(0.2);
    expect(faults.claimCallsFailed).toBeGreaterThan(0);
  });

  test('every delivery ends in exactly one place; curated has no event id twice', async () => {
    const outputs = await readOutputs(s3, sqs, bufferDlqUrl, kinesisDlqUrl);
    expect(outputs.curatedEventIds.length).toBe(new Set(outputs.curatedEventIds).size);

    const curatedPositions = new Set(outputs.lineageInputs.map((i) => i.position));
    expect(new Set(outputs.lineageInputs.map((i) => i.recordId)).size).toBe(outputs.curatedEventIds.length);
    const quarantinePositions = outputs.quarantine.map((q) => q.position);
    expect(quarantinePositions.length).toBe(new Set(quarantinePositions).size);
    const quarantined = new Set(quarantinePositions);
    const curatedIds = new Set(outputs.curatedEventIds);

    const where = new Map<string, string[]>();
    for (const [position, d] of deliveries) {
      const places: string[] = [];
      if (curatedPositions.has(position)) places.push('curated');
      if (quarantined.has(position)) places.push('quarantine');
      if (d.event.kind === 'bot') places.push('dropped');
      const inDlq =
        (d.via === 'sqs' && outputs.sqsDlqPositions.has(position)) ||
        (d.via === 'kinesis' && outputs.kinesisDlqRanges.some((r) => r.shardId === d.shardId && inRange(d.sequenceNumber as string, r)));
      if (places.length === 0 && inDlq) places.push('dlq');
      if (places.length === 0 && d.event.eventId && curatedIds.has(d.event.eventId)) places.push('duplicate');
      where.set(position, places);
    }
    const unaccounted = [...where].filter(([, p]) => p.length !== 1).map(([pos, p]) => `${pos} (${deliveries.get(pos)?.event.kind}): ${p.join(',') || 'nowhere'}`);
    expect(unaccounted).toEqual([]);

    // And each kind ended where it must.
    for (const [position, [place]] of where) {
      const { event } = deliveries.get(position) as Delivery;
      const allowed: Record<string, string[]> = {
        valid: ['curated', 'duplicate', 'dlq'],
        duplicate: ['curated', 'duplicate', 'dlq'],
        oversize: ['curated', 'duplicate', 'dlq'],
        bot: ['dropped'],
        malformed: ['quarantine', 'dlq'],
        'schema-violation': ['quarantine', 'dlq'],
        'missing-id': ['quarantine', 'dlq'],
      };
      expect({ position, kind: event.kind, place, ok: allowed[event.kind].includes(place) }).toEqual(expect.objectContaining({ ok: true }));
    }
    // Poison records can never be written: they are dead-lettered, never curated.
    for (const id of poison) expect(curatedIds.has(id as string)).toBe(false);
    expect([...where.values()].filter(([p]) => p === 'dlq').length).toBeGreaterThanOrEqual(poison.size);
    // Every distinct valid event that was not poisoned is curated exactly once.
    const expectedCurated = new Set(
      events.filter((e) => (e.kind === 'valid' || e.kind === 'oversize') && !poison.has(e.eventId)).map((e) => e.eventId),
    );
    const missing = [...expectedCurated].filter((id) => !curatedIds.has(id as string));
    const missingNotDeadLettered = missing.filter((id) =>
      [...deliveries.values()].some((d) => d.event.eventId === id && where.get(d.position)?.[0] !== 'dlq'),
    );
    expect(missingNotDeadLettered).toEqual([]);
  });

  test('oversize records are claim-checked to the raw bucket', async () => {
    const outputs = await readOutputs(s3, sqs, bufferDlqUrl, kinesisDlqUrl);
    expect(outputs.claimChecks).toBeGreaterThan(0);
    const oversizeCurated = events.filter((e) => e.kind === 'oversize' && outputs.curatedEventIds.includes(e.eventId as string));
    expect(outputs.claimChecks).toBe(oversizeCurated.length);
  });

  test('the metrics equal what was written', async () => {
    const outputs = await readOutputs(s3, sqs, bufferDlqUrl, kinesisDlqUrl);
    const sum = (name: string) => metricLines.map((l) => JSON.parse(l) as Record<string, number>).reduce((n, m) => n + (m[name] ?? 0), 0);
    expect(sum('RecordsOut')).toBe(new Set(outputs.lineageInputs.map((i) => i.position)).size);
    expect(sum('RecordsQuarantined')).toBe(outputs.quarantine.length);
    expect(sum('ClaimChecked')).toBe(outputs.claimChecks);
    expect(sum('RecordsIn')).toBe(
      sum('RecordsOut') + sum('RecordsQuarantined') + sum('RecordsDropped') + sum('DuplicatesSkipped') + sum('RecordsRetried'),
    );
    expect(sum('SchemaMismatches')).toBe(outputs.quarantine.filter((q) => q.reason === 'SCHEMA_MISMATCH').length);
    for (const line of metricLines) {
      expect(JSON.parse(line)._aws.CloudWatchMetrics[0].Dimensions).toEqual([['Pipeline', 'Stage']]);
    }
  });

  test('no PII value in curated, quarantine, lineage, claim checks, the Kinesis DLQ, logs or metrics', async () => {
    const outputs = await readOutputs(s3, sqs, bufferDlqUrl, kinesisDlqUrl);
    const texts = [outputs.allText, stdout.join(''), metricLines.join('\n')].join('\n');
    const pii = new Set(events.flatMap((e) => e.pii));
    // Every token shaped like a generated user id, e-mail address or IP address, then look each up.
    const candidates = texts.match(/user-\d+(?:\.\d+@mail\.example\.com)?|198\.51\.\d+\.\d+/g) ?? [];
    const leaked = [...new Set(candidates)].filter((token) => pii.has(token));
    expect(leaked.slice(0, 10)).toEqual([]);
    // The check itself finds PII when there is some.
    expect((`x ${events[0].pii[1]} y`.match(/user-\d+(?:\.\d+@mail\.example\.com)?/g) ?? []).some((t) => pii.has(t))).toBe(true);
    expect(stdout.join('').length).toBeGreaterThan(0);
  });
});

function injectObjectFaults(
  client: S3Client,
  poison: Set<string | undefined>,
  faults: { objectWrites: number; objectWritesFailed: number; objectKeys: number; firstWritesFailed: number },
): S3Client {
  const send = client.send.bind(client) as (command: unknown) => Promise<unknown>;
  const attempted = new Set<string>();
  (client as unknown as { send: (command: unknown) => Promise<unknown> }).send = async (command: unknown) => {
    if (command instanceof PutObjectCommand && command.input.Bucket !== BUCKETS.raw) {
      const key = command.input.Key as string;
      faults.objectWrites++;
      const body = command.input.Body as Uint8Array | string;
      const text = key.endsWith('.gz') ? gunzipSync(body as Uint8Array).toString('utf8') : String(body);
      const poisoned = command.input.Bucket === BUCKETS.curated && !key.startsWith('_lineage/') && [...poison].some((id) => text.includes(`"${id}"`));
      const firstTry = !attempted.has(key);
      attempted.add(key);
      faults.objectKeys = attempted.size;
      // The first write of every fourth object fails (keys hold times, so a hash of the key would make the share vary by run).
      const injected = firstTry && attempted.size % 4 === 1;
      if (injected) faults.firstWritesFailed++;
      if (poisoned || injected) {
        faults.objectWritesFailed++;
        throw Object.assign(new Error('SlowDown: injected fault'), { name: 'SlowDown', $retryable: { throttling: true } });
      }
    }
    return send(command);
  };
  return client;
}

function injectClaimFaults(client: DynamoDBClient, faults: { claimCalls: number; claimCallsFailed: number }): DynamoDBClient {
  const send = client.send.bind(client) as (command: unknown) => Promise<unknown>;
  let calls = 0;
  (client as unknown as { send: (command: unknown) => Promise<unknown> }).send = async (command: unknown) => {
    if (command instanceof PutItemCommand || command instanceof BatchWriteItemCommand) {
      faults.claimCalls++;
      if (++calls % 10 === 0) {
        faults.claimCallsFailed++;
        throw Object.assign(new Error('injected throttling'), { name: 'ProvisionedThroughputExceededException' });
      }
    }
    return send(command);
  };
  return client;
}

async function waitForStream(kinesis: KinesisClient): Promise<void> {
  const { DescribeStreamCommand } = await import('@aws-sdk/client-kinesis');
  for (let i = 0; i < 100; i++) {
    const out = await kinesis.send(new DescribeStreamCommand({ StreamName: STREAM }));
    if (out.StreamDescription?.StreamStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('stream did not become active');
}

async function sendToKinesis(kinesis: KinesisClient, batch: GeneratedEvent[], deliveries: Map<string, Delivery>, redelivery: boolean) {
  for (let i = 0; i < batch.length; i += 500) {
    const chunk = batch.slice(i, i + 500);
    const out = await kinesis.send(
      new PutRecordsCommand({
        StreamName: STREAM,
        Records: chunk.map((e, j) => ({ Data: Buffer.from(e.line), PartitionKey: e.eventId ?? `no-id-${i + j}` })),
      }),
    );
    out.Records?.forEach((r, j) => {
      if (!r.SequenceNumber) throw new Error(`PutRecords failed: ${r.ErrorMessage}`);
      const position = `kinesis:${r.ShardId}/${r.SequenceNumber}`;
      deliveries.set(position, { position, event: chunk[j], via: 'kinesis', redelivery, shardId: r.ShardId, sequenceNumber: r.SequenceNumber });
    });
  }
}

async function sendToSqs(sqs: SQSClient, queueUrl: string, batch: GeneratedEvent[], deliveries: Map<string, Delivery>, redelivery: boolean) {
  for (let i = 0; i < batch.length; i += 10) {
    const chunk = batch.slice(i, i + 10);
    const out = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((e, j) => ({ Id: String(j), MessageBody: asBufferMessage(e, i + j) })),
      }),
    );
    if ((out.Failed ?? []).length > 0) throw new Error(`SendMessageBatch failed: ${JSON.stringify(out.Failed)}`);
    for (const entry of out.Successful ?? []) {
      const position = `sqs:${entry.MessageId}`;
      deliveries.set(position, { position, event: chunk[Number(entry.Id)], via: 'sqs', redelivery });
    }
  }
}

/** What the buffer queue holds: EventBridge events for JSON lines; the raw line otherwise. */
function asBufferMessage(e: GeneratedEvent, n: number): string {
  let detail: unknown;
  try {
    detail = JSON.parse(e.line);
  } catch {
    return e.line;
  }
  return JSON.stringify({
    version: '0',
    id: `eb-${n}-${Math.random().toString(36).slice(2)}`,
    'detail-type': 'ClickstreamEvent',
    source: 'com.example.storefront',
    account: '000000000000',
    time: new Date().toISOString(),
    region: 'us-east-1',
    resources: [],
    detail,
  });
}

interface Outputs {
  curatedEventIds: string[];
  lineageInputs: Array<{ recordId: string; position: string }>;
  quarantine: Array<{ position: string; reason: string }>;
  sqsDlqPositions: Set<string>;
  kinesisDlqRanges: Array<KinesisFailureRecord['KinesisBatchInfo']>;
  claimChecks: number;
  allText: string;
}

let cachedOutputs: Outputs | undefined;

async function readOutputs(s3: S3Client, sqs: SQSClient, bufferDlqUrl: string, kinesisDlqUrl: string): Promise<Outputs> {
  if (cachedOutputs) return cachedOutputs;
  const texts: string[] = [];
  const curatedEventIds: string[] = [];
  const lineageInputs: Outputs['lineageInputs'] = [];
  const quarantine: Outputs['quarantine'] = [];
  let claimChecks = 0;
  const curatedKeys = await listKeys(s3, BUCKETS.curated);
  const existing = new Set(curatedKeys);
  for (const key of curatedKeys) {
    const body = await getBody(s3, BUCKETS.curated, key);
    const text = key.endsWith('.gz') ? gunzipSync(body).toString('utf8') : body.toString('utf8');
    texts.push(text);
    if (key.startsWith('_lineage/')) {
      const manifest = JSON.parse(text) as { objects: Array<{ key: string; inputs: Array<{ recordId: string; source: Record<string, string> }> }> };
      // Manifests are written first: an object whose write then failed does not exist.
      for (const o of manifest.objects.filter((m) => existing.has(m.key))) {
        for (const i of o.inputs) lineageInputs.push({ recordId: i.recordId, position: positionOf(i.source) });
      }
      continue;
    }
    for (const line of text.split('\n').filter(Boolean)) {
      const record = JSON.parse(line) as { eventId?: string; recordId?: string; claimCheck?: unknown };
      if (record.claimCheck) claimChecks++;
      curatedEventIds.push((record.eventId ?? record.recordId) as string);
    }
  }
  for (const key of await listKeys(s3, BUCKETS.quarantine)) {
    const text = gunzipSync(await getBody(s3, BUCKETS.quarantine, key)).toString('utf8');
    texts.push(text);
    for (const line of text.split('\n').filter(Boolean)) {
      const entry = JSON.parse(line) as { source: Record<string, string>; reason: string };
      quarantine.push({ position: positionOf(entry.source), reason: entry.reason });
    }
  }
  for (const key of await listKeys(s3, BUCKETS.raw)) texts.push((await getBody(s3, BUCKETS.raw, key)).toString('utf8'));
  const sqsDlqPositions = new Set((await drainQueue(sqs, bufferDlqUrl)).map((m) => `sqs:${m.MessageId}`));
  const kinesisDlq = await drainQueue(sqs, kinesisDlqUrl);
  texts.push(...kinesisDlq.map((m) => m.Body ?? ''));
  cachedOutputs = {
    curatedEventIds,
    lineageInputs,
    quarantine,
    sqsDlqPositions,
    kinesisDlqRanges: kinesisDlq.map((m) => (JSON.parse(m.Body as string) as KinesisFailureRecord).KinesisBatchInfo),
    claimChecks,
    allText: texts.join('\n'),
  };
  return cachedOutputs;
}

function positionOf(source: Record<string, string>): string {
  return source.kind === 'kinesis' ? `kinesis:${source.shardId}/${source.sequenceNumber}` : `sqs:${source.messageId}`;
}

function inRange(sequenceNumber: string, range: { startSequenceNumber: string; endSequenceNumber: string }): boolean {
  const n = BigInt(sequenceNumber);
  return n >= BigInt(range.startSequenceNumber) && n <= BigInt(range.endSequenceNumber);
}

async function listKeys(s3: S3Client, bucket: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    keys.push(...(out.Contents ?? []).map((c) => c.Key as string));
    token = out.IsTruncated ? out.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

async function getBody(s3: S3Client, bucket: string, key: string): Promise<Buffer> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
}

async function drainQueue(sqs: SQSClient, queueUrl: string) {
  const messages: Array<{ MessageId?: string; Body?: string }> = [];
  for (;;) {
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 600 }));
    if (!out.Messages || out.Messages.length === 0) break;
    messages.push(...out.Messages);
  }
  return messages;
}
