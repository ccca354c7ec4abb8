/**
 * No silent duplication at the edges: the same record id delivered at once by Kinesis and by the
 * event bus (through its SQS buffer), or on two shards, is curated once. Runs the real handler
 * against dynalite (idempotency store) and fauxqs (S3); both invocations look the id up before
 * either claims it (a barrier on the claim calls), then the bus's claim lands first, so an
 * unconditional Kinesis claim would overwrite it and both would write the record.
 */
import { gunzipSync } from 'node:zlib';
import { Logger } from '@aws-lambda-powertools/logger';
import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { createBatchHandler } from '../../../lambda/runtime/batch-handler';
import type { TransformModule } from '../../../lambda/runtime/transform-contract';
import { startEmulators, type Emulators } from '../../../local/services/emulators';
import { eventBridgeEnvelope, kinesisEvent, kinesisRecord, sequenceNumber, sqsEvent, testConfig } from '../support/fixtures';

jest.setTimeout(60_000);

const TABLE = 'idempotency-store';
const config = testConfig({ idempotencyTable: TABLE, idempotencyTtlSeconds: 3600, claimInFlightSeconds: 5 });
const identity: TransformModule = { transform: (record) => record };
const logger = new Logger({ serviceName: 'concurrent-claims-test', logLevel: 'SILENT' });
const CLAIM_COMMANDS = new Set(['PutItemCommand', 'BatchWriteItemCommand', 'TransactWriteItemsCommand']);

let emulators: Emulators;
let s3: S3Client;

beforeAll(async () => {
  emulators = await startEmulators({ services: ['s3', 'dynamodb'] });
  s3 = emulators.clients.s3();
  await s3.send(new CreateBucketCommand({ Bucket: config.curatedBucket }));
  await s3.send(new CreateBucketCommand({ Bucket: config.quarantineBucket }));
  await emulators.clients.dynamodb().send(
    new CreateTableCommand({
      TableName: TABLE,
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
});

afterAll(async () => {
  await emulators?.stop();
});

/**
 * Holds each invocation's first claim call until both invocations reached their claims, then lets
 * `first` claim before `second`: both have looked the id up and found it unclaimed.
 */
function claimRace() {
  let arrivals = 0;
  let bothArrived!: () => void;
  const arrived = new Promise<void>((resolve) => (bothArrived = resolve));
  let firstDone!: () => void;
  const firstClaimed = new Promise<void>((resolve) => (firstDone = resolve));
  const gate = (client: DynamoDBClient, role: 'first' | 'second') => {
    let held = false;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (held || !CLAIM_COMMANDS.has(context.commandName ?? '')) return next(args);
        held = true;
        if (++arrivals === 2) bothArrived();
        await arrived;
        if (role === 'second') await firstClaimed;
        try {
          return await next(args);
        } finally {
          if (role === 'first') firstDone();
        }
      },
      { step: 'initialize', name: `claimRace-${role}` },
    );
    return client;
  };
  return gate;
}

function handlerWith(dynamodb: DynamoDBClient) {
  return createBatchHandler(identity, undefined, {
    config,
    s3: emulators.clients.s3(),
    dynamodb,
    logger,
    writeMetrics: () => undefined,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, 200))),
  });
}

/** Every curated line holding `eventId`, across all objects of the curated bucket. */
async function curatedLinesOf(eventId: string): Promise<string[]> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: config.curatedBucket, Prefix: `${config.dataset}/` }));
  const lines: string[] = [];
  for (const object of listed.Contents ?? []) {
    const got = await s3.send(new GetObjectCommand({ Bucket: config.curatedBucket, Key: object.Key }));
    const text = gunzipSync(Buffer.from(await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray())).toString('utf8');
    lines.push(...text.split('\n').filter((line) => line.includes(`"eventId":"${eventId}"`)));
  }
  return lines;
}

const event = (eventId: string) => ({ eventId, eventTime: '2026-11-24T09:30:00Z', page: '/cart' });

describe('no silent duplication at the edges: concurrent claims of one id', () => {
  it('the same id arriving at once by the bus and by Kinesis is curated once (the Kinesis claim is conditional)', async () => {
    const gate = claimRace();
    const bus = handlerWith(gate(emulators.clients.dynamodb(), 'first'));
    const stream = handlerWith(gate(emulators.clients.dynamodb(), 'second'));

    const [fromBus, fromStream] = await Promise.all([
      bus(sqsEvent([JSON.stringify(eventBridgeEnvelope(event('evt-both-ways')))])),
      stream(kinesisEvent([JSON.stringify(event('evt-both-ways'))])),
    ]);

    expect(await curatedLinesOf('evt-both-ways')).toHaveLength(1);
    // The loser waited for the winner's object and counted a duplicate: nothing is retried.
    expect(fromBus.batchItemFailures).toEqual([]);
    expect(fromStream.batchItemFailures).toEqual([]);
  });

  it('the same id on two shards at once is curated once', async () => {
    const gate = claimRace();
    const shardA = handlerWith(gate(emulators.clients.dynamodb(), 'first'));
    const shardB = handlerWith(gate(emulators.clients.dynamodb(), 'second'));
    const body = JSON.stringify(event('evt-two-shards'));
    const onShard = (shardId: string) => ({
      Records: [kinesisRecord(body, { sequenceNumber: sequenceNumber(7), approximateArrivalTimestamp: 1795514400, shardId })],
    });

    const [a, b] = await Promise.all([shardA(onShard('shardId-000000000001')), shardB(onShard('shardId-000000000002'))]);

    expect(await curatedLinesOf('evt-two-shards')).toHaveLength(1);
    expect([...a.batchItemFailures, ...b.batchItemFailures]).toEqual([]);
  });
});
