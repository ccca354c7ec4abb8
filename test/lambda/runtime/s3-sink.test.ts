import { gunzipSync } from 'node:zlib';
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  DynamoDBClient,
  PutItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { IdempotencyStore } from '../../../lambda/runtime/idempotency-store';
import { processBatch, type BatchOutcome, type CuratedOutput, type QuarantinedRecord } from '../../../lambda/runtime/process-batch';
import { batchObjectId, planObjects, writeOutcome, type SinkContext } from '../../../lambda/runtime/s3-sink';
import { SINK_ITEM_REJECTED } from '../../../lambda/runtime/dynamodb-sink';
import { positionId } from '../../../lambda/runtime/source-records';
import type { BatchKind, SourceRecord } from '../../../lambda/runtime/source-records';
import type { PipelineRecord } from '../../../lambda/runtime/transform-contract';
import { lineageManifests, objectKeyPattern, QUEUE_ARN, STREAM_ARN, storedObjects, testConfig } from '../support/fixtures';

const s3Mock = mockClient(S3Client);
const ddbMock = mockClient(DynamoDBClient);
const s3 = new S3Client({ region: 'us-east-1' });
const config = testConfig();
const TABLE = 'clickstream-idempotency';
/** 2026-11-24T10:20:00Z: when the sink writes, in the tests that fix the clock. */
const WRITTEN_AT = Date.parse('2026-11-24T10:20:00.000Z');

/** The sink context of a Kinesis batch without an idempotency store. */
const sink: SinkContext = { s3, kind: 'kinesis' };

function withStore(kind: BatchKind): SinkContext {
  return { s3, kind, store: new IdempotencyStore(new DynamoDBClient({ region: 'us-east-1' }), TABLE, 3600, async () => undefined), now: () => WRITTEN_AT };
}

function curated(itemId: string, partition: string, records: PipelineRecord[], overrides: Partial<CuratedOutput> = {}): CuratedOutput {
  return {
    itemId,
    recordId: `rec-${itemId}`,
    partition,
    eventTime: `${partition.slice(3, 13)}T${partition.slice(-2)}:30:00.000Z`,
    eventTimeFromRecord: true,
    source: { kind: 'kinesis', streamArn: STREAM_ARN, shardId: 'shardId-000000000000', sequenceNumber: itemId },
    records,
    lines: records.map((r) => JSON.stringify(r)),
    ...overrides,
  };
}

function quarantined(itemId: string, overrides: Partial<QuarantinedRecord> = {}): QuarantinedRecord {
  return {
    itemId,
    recordId: `rec-${itemId}`,
    reason: 'TRANSFORM_ERROR',
    error: 'TypeError: page.url must be a string',
    source: { kind: 'sqs', queueArn: QUEUE_ARN, messageId: itemId },
    receivedAt: '2026-11-24T10:15:00.000Z',
    input: { eventId: `rec-${itemId}`, page: 'https://shop.example.com/' },
    ...overrides,
  };
}

function outcome(parts: Partial<BatchOutcome>): BatchOutcome {
  return { curated: [], quarantined: [], dropped: [], duplicates: [], deferred: [], ...parts };
}

const P9 = 'dt=2026-11-24/hr=09';
const P10 = 'dt=2026-11-24/hr=10';

beforeEach(() => {
  s3Mock.reset();
  ddbMock.reset();
  s3Mock.on(PutObjectCommand).resolves({});
});

afterAll(() => {
  s3Mock.restore();
  ddbMock.restore();
});

describe('writeOutcome', () => {
  it('writes one gzip JSON Lines object per partition under <dataset>/dt=…/hr=…/<32 hex>.jsonl.gz', async () => {
    const result = await writeOutcome(
      sink,
      config,
      outcome({ curated: [curated('1', P9, [{ a: 1 }]), curated('2', P9, [{ b: 2, nested: { c: [1, 2] } }])] }),
    );

    expect(result.failed.size).toBe(0);
    expect(result).toMatchObject({ curatedInputs: 2, curatedRecords: 2, claimChecked: 0, lineageWritten: true });
    expect(result.objects.map((o) => o.key)).toEqual([storedObjects(s3Mock)[0].key]);
    const objects = storedObjects(s3Mock);
    expect(objects).toHaveLength(1);
    const [object] = objects;
    expect(object.bucket).toBe('curated-bucket');
    expect(object.key).toMatch(objectKeyPattern('clickstream-events'));
    expect(object.key.startsWith(`clickstream-events/${P9}/`)).toBe(true);
    expect(object.contentType).toBe('application/x-ndjson');
    expect(object.contentEncoding).toBe('gzip');
    expect(object.text.endsWith('\n')).toBe(true);
    expect(object.records).toEqual([{ a: 1 }, { b: 2, nested: { c: [1, 2] } }]);
    expect(object.metadata).toEqual({ 'record-count': '2', 'input-count': '2', 'transform-version': 'v-test', stage: 'transform' });
  });

  it('writes one line per output record, fan-out included, in input order', async () => {
    await writeOutcome(
      sink,
      config,
      outcome({ curated: [curated('1', P9, [{ n: 1 }, { n: 2 }, { n: 3 }]), curated('2', P9, [{ n: 4 }])] }),
    );
    const [object] = storedObjects(s3Mock);
    expect(object.lines).toEqual(['{"n":1}', '{"n":2}', '{"n":3}', '{"n":4}']);
    expect(object.metadata).toMatchObject({ 'record-count': '4', 'input-count': '2' });
  });

  it('derives the key from the input positions only: a retry overwrites its own object', async () => {
    const first = outcome({ curated: [curated('1', P9, [{ v: 'first attempt' }]), curated('2', P9, [{ v: 'x' }])] });
    const retry = outcome({ curated: [curated('1', P9, [{ v: 'second attempt' }]), curated('2', P9, [{ v: 'y' }])] });

    await writeOutcome(sink, config, first);
    await writeOutcome(sink, config, retry);

    const [a, b] = storedObjects(s3Mock);
    expect(a.key).toBe(b.key);
    expect(a.records).not.toEqual(b.records);
    const positions = first.curated.map((c) => c.source);
    expect(a.key).toBe(`clickstream-events/${P9}/${batchObjectId(config, positions)}.jsonl.gz`);
  });

  it('gives different inputs different keys', async () => {
    await writeOutcome(sink, config, outcome({ curated: [curated('1', P9, [{ v: 1 }])] }));
    await writeOutcome(sink, config, outcome({ curated: [curated('2', P9, [{ v: 1 }])] }));
    await writeOutcome(sink, config, outcome({ curated: [curated('1', P9, [{ v: 1 }]), curated('2', P9, [{ v: 1 }])] }));
    // Same message id but from another stage of the pipeline.
    await writeOutcome(sink, testConfig({ stage: 'enrich' }), outcome({ curated: [curated('1', P9, [{ v: 1 }])] }));

    const keys = storedObjects(s3Mock).map((o) => o.key);
    expect(new Set(keys).size).toBe(4);
  });

  it('distinguishes Kinesis records of different shards with the same sequence number', () => {
    const position = (shardId: string) => ({ kind: 'kinesis' as const, streamArn: STREAM_ARN, shardId, sequenceNumber: '4959' });
    expect(batchObjectId(config, [position('shardId-000000000000')])).not.toBe(batchObjectId(config, [position('shardId-000000000001')]));
    expect(batchObjectId(config, [position('shardId-000000000000')])).toMatch(/^[0-9a-f]{32}$/);
  });

  it('writes the records of two partitions to two objects', async () => {
    await writeOutcome(
      sink,
      config,
      outcome({
        curated: [curated('1', P9, [{ id: 1 }]), curated('2', P10, [{ id: 2 }]), curated('3', P9, [{ id: 3 }]), curated('4', P10, [{ id: 4 }])],
      }),
    );

    const objects = storedObjects(s3Mock, 'curated-bucket');
    expect(objects).toHaveLength(2);
    const byPartition = Object.fromEntries(objects.map((o) => [o.key.split('/').slice(1, 3).join('/'), o.records]));
    expect(byPartition).toEqual({ [P9]: [{ id: 1 }, { id: 3 }], [P10]: [{ id: 2 }, { id: 4 }] });
    for (const o of objects) expect(o.key).toMatch(objectKeyPattern('clickstream-events'));
    expect(objects[0].key.split('/')[3]).not.toBe(objects[1].key.split('/')[3]);
  });

  it('writes quarantined records to one object in the quarantine bucket with reason, error and source', async () => {
    const records = [
      quarantined('q-1'),
      quarantined('q-2', { recordId: undefined, reason: 'MALFORMED_JSON', error: 'Unexpected end of JSON input', input: '{"eventId":', receivedAt: '2026-11-24T11:00:00.000Z' }),
    ];
    const { failed, lineageWritten } = await writeOutcome(sink, config, outcome({ quarantined: records }));

    expect(failed.size).toBe(0);
    // Nothing reached curated: there is no lineage to write.
    expect(lineageWritten).toBe(true);
    expect(lineageManifests(s3Mock)).toEqual([]);
    expect(storedObjects(s3Mock, 'curated-bucket')).toEqual([]);
    const objects = storedObjects(s3Mock, 'quarantine-bucket');
    expect(objects).toHaveLength(1);
    const [object] = objects;
    // Partitioned by the receive time of the batch's first quarantined record.
    expect(object.key).toMatch(objectKeyPattern('clickstream-events'));
    expect(object.key.startsWith('clickstream-events/dt=2026-11-24/hr=10/')).toBe(true);
    expect(object.metadata).toEqual({ 'record-count': '2', stage: 'transform' });
    expect(object.records).toEqual([
      {
        pipeline: 'clickstream',
        stage: 'transform',
        recordId: 'rec-q-1',
        reason: 'TRANSFORM_ERROR',
        error: 'TypeError: page.url must be a string',
        source: { kind: 'sqs', queueArn: QUEUE_ARN, messageId: 'q-1' },
        receivedAt: '2026-11-24T10:15:00.000Z',
        transformVersion: 'v-test',
        input: { eventId: 'rec-q-1', page: 'https://shop.example.com/' },
      },
      {
        pipeline: 'clickstream',
        stage: 'transform',
        reason: 'MALFORMED_JSON',
        error: 'Unexpected end of JSON input',
        source: { kind: 'sqs', queueArn: QUEUE_ARN, messageId: 'q-2' },
        receivedAt: '2026-11-24T11:00:00.000Z',
        transformVersion: 'v-test',
        input: '{"eventId":',
      },
    ]);
  });

  it('gives the quarantine object a deterministic key too', async () => {
    await writeOutcome(sink, config, outcome({ quarantined: [quarantined('q-1')] }));
    await writeOutcome(sink, config, outcome({ quarantined: [quarantined('q-1', { error: 'other' })] }));
    await writeOutcome(sink, config, outcome({ quarantined: [quarantined('q-2')] }));
    const keys = storedObjects(s3Mock, 'quarantine-bucket').map((o) => o.key);
    expect(keys[0]).toBe(keys[1]);
    expect(keys[2]).not.toBe(keys[0]);
  });

  it('writes nothing for an empty outcome or one with only dropped records', async () => {
    expect((await writeOutcome(sink, config, outcome({}))).failed.size).toBe(0);
    expect((await writeOutcome(sink, config, outcome({ dropped: ['1', '2'] }))).failed.size).toBe(0);
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('returns the item ids of a partition whose PutObject failed, and only those', async () => {
    s3Mock.on(PutObjectCommand).callsFake(async (input: { Bucket: string; Key: string }) => {
      if (input.Bucket === 'curated-bucket' && input.Key.includes('/hr=10/')) throw Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown' });
      return {};
    });

    const { failed, objects, curatedInputs, curatedRecords } = await writeOutcome(
      sink,
      config,
      outcome({
        curated: [curated('1', P9, [{ id: 1 }]), curated('2', P10, [{ id: 2 }]), curated('3', P9, [{ id: 3 }]), curated('4', P10, [{ id: 4 }, { id: 5 }])],
        quarantined: [quarantined('q-1')],
        dropped: ['d-1'],
      }),
    );

    expect([...failed].sort()).toEqual(['2', '4']);
    // Every write was attempted, the failure did not stop the others.
    expect(storedObjects(s3Mock)).toHaveLength(3);
    // Only the written object counts, and only it is in the lineage.
    expect(objects.map((o) => o.partition)).toEqual([P9]);
    expect([curatedInputs, curatedRecords]).toEqual([2, 2]);
    expect(lineageManifests(s3Mock)).toHaveLength(1);
  });

  it('returns the quarantined item ids when the quarantine write fails', async () => {
    s3Mock.on(PutObjectCommand, { Bucket: 'quarantine-bucket' }).rejects(new Error('AccessDenied'));

    const { failed } = await writeOutcome(
      sink,
      config,
      outcome({ curated: [curated('1', P9, [{ id: 1 }])], quarantined: [quarantined('q-1'), quarantined('q-2')] }),
    );

    expect([...failed].sort()).toEqual(['q-1', 'q-2']);
  });

  it('does not throw when every write fails', async () => {
    s3Mock.on(PutObjectCommand).rejects(new Error('network down'));
    const { failed, objects, lineageWritten } = await writeOutcome(
      sink,
      config,
      outcome({ curated: [curated('1', P9, [{ id: 1 }]), curated('2', P10, [{ id: 2 }])], quarantined: [quarantined('q-1')] }),
    );
    expect([...failed].sort()).toEqual(['1', '2', 'q-1']);
    expect(objects).toEqual([]);
    // The manifest is written first, and it failed too.
    expect(lineageWritten).toBe(false);
  });

  it('never writes a blank line when a transform fans out to an empty array', async () => {
    // `[]` is a valid transform result (an array of zero objects); it must not put an empty line
    // into the curated JSON Lines, which readers such as Athena would turn into a row of nulls.
    // processBatch counts such an input as dropped, so the sink gets no output for it.
    const records: SourceRecord[] = ['1', '2'].map((id) => ({
      itemId: id,
      position: { kind: 'sqs', queueArn: QUEUE_ARN, messageId: id },
      body: JSON.stringify({ eventId: `evt-${id}`, eventTime: '2026-11-24T09:00:00Z' }),
      receivedAtMs: WRITTEN_AT,
    }));
    const batch = await processBatch(records, { transform: (r) => (r.eventId === 'evt-1' ? [] : [{ id: r.eventId }]) }, config);
    await writeOutcome({ s3, kind: 'sqs' }, config, batch);

    expect(batch.dropped).toEqual(['1']);
    for (const call of s3Mock.commandCalls(PutObjectCommand)) {
      const input = call.args[0].input;
      if (input.ContentEncoding !== 'gzip') continue; // the lineage manifest is one JSON document
      const text = gunzipSync(input.Body as Uint8Array).toString('utf8');
      const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
      expect(lines).toHaveLength(Number(input.Metadata?.['record-count']));
      for (const line of lines) expect(line).not.toBe('');
    }
    expect(storedObjects(s3Mock, 'curated-bucket').flatMap((o) => o.records)).toEqual([{ id: 'evt-2' }]);
  });

  it('reports what it wrote: inputs, output records and the freshness lag of inputs with their own event time', async () => {
    const result = await writeOutcome(
      { s3, kind: 'kinesis', now: () => WRITTEN_AT },
      config,
      outcome({
        curated: [
          curated('1', P9, [{ n: 1 }, { n: 2 }], { eventTime: '2026-11-24T10:19:30.000Z' }),
          curated('2', P10, [{ n: 3 }], { eventTime: '2026-11-24T10:10:00.000Z' }),
          // Its event time is the receive time: no freshness sample.
          curated('3', P10, [{ n: 4 }], { eventTime: '2026-11-24T10:00:00.000Z', eventTimeFromRecord: false }),
        ],
      }),
    );
    expect(result).toMatchObject({ curatedInputs: 3, curatedRecords: 4, claimChecked: 0 });
    expect(result.freshnessLagSeconds.sort((a, b) => a - b)).toEqual([30, 600]);
  });
});

describe('writeOutcome with the idempotency store', () => {
  /** Records the order of DynamoDB claims and S3 writes. */
  function recordOrder(): string[] {
    const order: string[] = [];
    ddbMock.on(BatchWriteItemCommand).callsFake(async (input: { RequestItems: Record<string, Array<{ PutRequest: { Item: Record<string, AttributeValue> } }>> }) => {
      order.push(`claim ${input.RequestItems[TABLE].map((r) => r.PutRequest.Item.id.S).join(',')}`);
      return {};
    });
    ddbMock.on(PutItemCommand).callsFake(async (input: { Item: Record<string, AttributeValue> }) => {
      order.push(`claim ${input.Item.id.S}`);
      return {};
    });
    s3Mock.on(PutObjectCommand).callsFake(async (input: { Bucket: string; Key: string }) => {
      order.push(`put ${input.Bucket} ${input.Key.startsWith('_lineage/') ? 'lineage' : 'data'}`);
      return {};
    });
    return order;
  }

  it('claims a Kinesis batch’s ids with conditional PutItems, like every source, BEFORE writing the curated object, pointing at that object', async () => {
    const order = recordOrder();
    const result = await writeOutcome(withStore('kinesis'), config, outcome({ curated: [curated('1', P9, [{ n: 1 }]), curated('2', P9, [{ n: 2 }])] }));

    expect(result.failed.size).toBe(0);
    // Claims, then the lineage manifest (a write-ahead log of the objects), then the object.
    expect(order.slice(0, 2).sort()).toEqual(['claim rec-1', 'claim rec-2']);
    expect(order.slice(2)).toEqual(['put curated-bucket lineage', 'put curated-bucket data']);
    const [object] = storedObjects(s3Mock, 'curated-bucket');
    const puts = ddbMock.commandCalls(PutItemCommand).map((c) => c.args[0].input);
    expect(puts.map((p) => p.Item?.objectKey.S)).toEqual([object.key, object.key]);
    for (const put of puts) expect(put.ConditionExpression).toBe('attribute_not_exists(id)');
    expect(ddbMock.commandCalls(BatchWriteItemCommand)).toHaveLength(0);
  });

  it('claims each id of an SQS batch with a conditional PutItem BEFORE writing the curated object', async () => {
    const order = recordOrder();
    await writeOutcome(
      withStore('sqs'),
      config,
      outcome({ curated: [curated('1', P9, [{ n: 1 }]), curated('2', P9, [{ n: 2 }], { staleObjectKey: 'clickstream-events/old.jsonl.gz' })] }),
    );

    expect(order.slice(0, 2).sort()).toEqual(['claim rec-1', 'claim rec-2']);
    expect(order.slice(2)).toEqual(['put curated-bucket lineage', 'put curated-bucket data']);
    const puts = ddbMock.commandCalls(PutItemCommand).map((c) => c.args[0].input);
    const [object] = storedObjects(s3Mock, 'curated-bucket');
    expect(puts.find((p) => p.Item?.id.S === 'rec-1')).toMatchObject({ Item: { objectKey: { S: object.key } }, ConditionExpression: 'attribute_not_exists(id)' });
    expect(puts.find((p) => p.Item?.id.S === 'rec-2')).toMatchObject({
      Item: { objectKey: { S: object.key } },
      ConditionExpression: 'attribute_not_exists(id) OR objectKey = :stale',
      ExpressionAttributeValues: { ':stale': { S: 'clickstream-events/old.jsonl.gz' } },
    });
    expect(ddbMock.commandCalls(BatchWriteItemCommand)).toHaveLength(0);
  });

  it('writes no object holding a record whose claim failed (throttled): reports every item of that object, writes the others', async () => {
    // All or nothing per object: an object is only written with every record its key was derived
    // from, so no claim can point at an object that exists without its record.
    ddbMock.on(PutItemCommand).callsFake(async (input: { Item: Record<string, AttributeValue> }) => {
      if (input.Item.id.S === 'rec-2') throw Object.assign(new Error('Rate exceeded'), { name: 'ProvisionedThroughputExceededException' });
      return {};
    });

    const result = await writeOutcome(
      withStore('sqs'),
      config,
      outcome({ curated: [curated('1', P9, [{ n: 1 }]), curated('2', P9, [{ n: 2 }]), curated('3', P10, [{ n: 3 }])] }),
    );

    expect([...result.failed].sort()).toEqual(['1', '2']);
    expect(storedObjects(s3Mock, 'curated-bucket').map((o) => o.records)).toEqual([[{ n: 3 }]]);
    expect(result).toMatchObject({ curatedInputs: 1, curatedRecords: 1 });
    const inputs = (lineageManifests(s3Mock)[0].manifest.objects as Array<{ inputs: Array<{ recordId: string }> }>).flatMap((o) => o.inputs);
    expect(inputs.map((i) => i.recordId)).toEqual(['rec-3']);
  });

  it('plans an object again without a record another invocation claimed first, moving the other claims to the new key', async () => {
    const claims: Array<{ id: string; objectKey: string; condition?: string; stale?: string }> = [];
    ddbMock.on(PutItemCommand).callsFake(
      async (input: { Item: Record<string, AttributeValue>; ConditionExpression?: string; ExpressionAttributeValues?: Record<string, AttributeValue> }) => {
        claims.push({ id: input.Item.id.S!, objectKey: input.Item.objectKey.S!, condition: input.ConditionExpression, stale: input.ExpressionAttributeValues?.[':stale']?.S });
        if (input.Item.id.S === 'rec-2') throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
        return {};
      },
    );

    const result = await writeOutcome(
      withStore('sqs'),
      config,
      outcome({ curated: [curated('1', P9, [{ n: 1 }]), curated('2', P9, [{ n: 2 }]), curated('3', P10, [{ n: 3 }])] }),
    );

    // Only the conflicted record is retried (and reported for a second look); rec-1 is written alone.
    expect([...result.failed]).toEqual(['2']);
    expect(result.conflicted).toEqual([{ itemId: '2', recordId: 'rec-2', position: expect.objectContaining({ kind: 'kinesis', sequenceNumber: '2' }) }]);
    const objects = storedObjects(s3Mock, 'curated-bucket');
    expect(objects.map((o) => o.records).sort((a, b) => Number(a[0].n) - Number(b[0].n))).toEqual([[{ n: 1 }], [{ n: 3 }]]);
    expect(result).toMatchObject({ curatedInputs: 2, curatedRecords: 2 });
    const rec1 = claims.filter((c) => c.id === 'rec-1');
    const rec1Object = objects.find((o) => o.records[0].n === 1)!.key;
    expect(rec1).toEqual([
      { id: 'rec-1', objectKey: expect.not.stringMatching(rec1Object), condition: 'attribute_not_exists(id)', stale: undefined },
      { id: 'rec-1', objectKey: rec1Object, condition: 'attribute_not_exists(id) OR objectKey = :stale', stale: rec1[0].objectKey },
    ]);
    const inputs = (lineageManifests(s3Mock)[0].manifest.objects as Array<{ inputs: Array<{ recordId: string }> }>).flatMap((o) => o.inputs);
    expect(inputs.map((i) => i.recordId).sort()).toEqual(['rec-1', 'rec-3']);
  });

  it('writes no object when moving the claims to the new key fails', async () => {
    let rec1Puts = 0;
    ddbMock.on(PutItemCommand).callsFake(async (input: { Item: Record<string, AttributeValue> }) => {
      if (input.Item.id.S === 'rec-2') throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
      if (input.Item.id.S === 'rec-1' && ++rec1Puts === 2) throw new Error('InternalServerError');
      return {};
    });
    const result = await writeOutcome(withStore('sqs'), config, outcome({ curated: [curated('1', P9, [{ n: 1 }]), curated('2', P9, [{ n: 2 }])] }));
    expect([...result.failed].sort()).toEqual(['1', '2']);
    expect(storedObjects(s3Mock, 'curated-bucket')).toEqual([]);
  });

  it('writes no object for a partition whose every claim failed', async () => {
    ddbMock.on(PutItemCommand).callsFake(async (input: { Item: Record<string, AttributeValue> }) => {
      if (input.Item.id.S === 'rec-1') throw new Error('InternalServerError');
      return {};
    });
    ddbMock.on(BatchGetItemCommand).resolves({ Responses: { [TABLE]: [] } });
    const result = await writeOutcome(withStore('kinesis'), config, outcome({ curated: [curated('1', P9, [{ n: 1 }])], quarantined: [quarantined('q-1')] }));
    expect([...result.failed]).toEqual(['1']);
    expect(storedObjects(s3Mock, 'curated-bucket')).toEqual([]);
    expect(storedObjects(s3Mock, 'quarantine-bucket')).toHaveLength(1);
  });

  it('never leaves a claim that may have been stored pointing at an object written without its record', async () => {
    // A claim write can fail after DynamoDB stored it (a timeout on the response; or an SDK retry of a
    // conditional put that had succeeded, answered by ConditionalCheckFailed). If the object the claim
    // names is then written without the record, the redelivered record finds "claimed + object
    // exists", is skipped as a duplicate, and never reaches curated.
    ddbMock.on(PutItemCommand).callsFake(async (input: { Item: Record<string, AttributeValue> }) => {
      if (input.Item.id.S === 'rec-2') throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
      return {};
    });

    const result = await writeOutcome(withStore('sqs'), config, outcome({ curated: [curated('1', P9, [{ n: 1 }]), curated('2', P9, [{ n: 2 }])] }));

    expect(result.failed.has('2')).toBe(true);
    const claimedKey = ddbMock.commandCalls(PutItemCommand).find((c) => c.args[0].input.Item?.id.S === 'rec-2')?.args[0].input.Item?.objectKey.S;
    const writtenWithout = storedObjects(s3Mock, 'curated-bucket').filter((o) => !o.records.some((r) => r.n === 2));
    expect(writtenWithout.map((o) => o.key)).not.toContain(claimedKey);
  });
});

describe('writeOutcome: quarantine entries in the idempotency store', () => {
  const qid = (itemId: string) => `quarantine#${itemId}`;

  function storeWith(claimed: Record<string, string>) {
    ddbMock.on(BatchGetItemCommand).callsFake(async (input: { RequestItems: Record<string, { Keys: Array<Record<string, AttributeValue>> }> }) => ({
      Responses: {
        [TABLE]: input.RequestItems[TABLE].Keys.map((k) => k.id.S as string)
          .filter((id) => id in claimed)
          .map((id) => ({ id: { S: id }, objectKey: { S: claimed[id] } })),
      },
    }));
    ddbMock.on(BatchWriteItemCommand).resolves({});
    ddbMock.on(PutItemCommand).resolves({});
  }

  const quarantineClaims = () =>
    ddbMock
      .commandCalls(PutItemCommand)
      .map((c) => c.args[0].input as { Item: Record<string, AttributeValue> })
      .map((input) => [input.Item.id.S, input.Item.objectKey.S])
      .filter(([id]) => id?.startsWith('quarantine#'));

  it('claims each quarantined record by position, pointing at the quarantine object written', async () => {
    storeWith({});
    const result = await writeOutcome(withStore('kinesis'), config, outcome({ quarantined: [quarantined('q-1'), quarantined('q-2')] }));

    expect(result.failed.size).toBe(0);
    expect(result.quarantined.map((q) => q.itemId)).toEqual(['q-1', 'q-2']);
    const [object] = storedObjects(s3Mock, 'quarantine-bucket');
    expect(quarantineClaims()).toEqual([
      [qid('q-1'), object.key],
      [qid('q-2'), object.key],
    ]);
  });

  it('skips a record already quarantined by an earlier delivery whose quarantine object exists', async () => {
    storeWith({ [qid('q-1')]: 'clickstream-events/dt=2026-11-24/hr=10/earlier.jsonl.gz' });
    const exists = jest.fn(async () => true);

    const result = await writeOutcome({ ...withStore('kinesis'), quarantineObjectExists: exists }, config, outcome({ quarantined: [quarantined('q-1')] }));

    expect(exists).toHaveBeenCalledWith('clickstream-events/dt=2026-11-24/hr=10/earlier.jsonl.gz');
    expect(result.alreadyQuarantined).toEqual(new Set(['q-1']));
    expect(result.quarantined).toEqual([]);
    expect(result.failed.size).toBe(0);
    expect(storedObjects(s3Mock, 'quarantine-bucket')).toEqual([]);
  });

  it('when the existence check fails part-way, every bad record is retried and none counted as already quarantined', async () => {
    storeWith({ [qid('q-1')]: 'earlier/one.jsonl.gz', [qid('q-2')]: 'earlier/two.jsonl.gz' });
    const exists = async (key: string) => {
      if (key === 'earlier/two.jsonl.gz') throw new Error('SlowDown');
      return true;
    };

    const result = await writeOutcome({ ...withStore('kinesis'), quarantineObjectExists: exists }, config, outcome({ quarantined: [quarantined('q-1'), quarantined('q-2')] }));

    expect(result.alreadyQuarantined).toEqual(new Set());
    expect(result.failed).toEqual(new Set(['q-1', 'q-2']));
  });

  it('quarantines a record again when its earlier quarantine object is missing (a stale entry)', async () => {
    storeWith({ [qid('q-1')]: 'clickstream-events/dt=2026-11-24/hr=10/lost.jsonl.gz' });
    const result = await writeOutcome({ ...withStore('sqs'), quarantineObjectExists: async () => false }, config, outcome({ quarantined: [quarantined('q-1')] }));

    expect(result.quarantined.map((q) => q.itemId)).toEqual(['q-1']);
    expect(storedObjects(s3Mock, 'quarantine-bucket')).toHaveLength(1);
    expect(ddbMock.commandCalls(PutItemCommand)[0].args[0].input).toMatchObject({
      Item: { id: { S: qid('q-1') } },
      ConditionExpression: 'attribute_not_exists(id) OR objectKey = :stale',
      ExpressionAttributeValues: { ':stale': { S: 'clickstream-events/dt=2026-11-24/hr=10/lost.jsonl.gz' } },
    });
  });

  it('reports the quarantined items when the store cannot be read', async () => {
    ddbMock.on(BatchGetItemCommand).rejects(new Error('InternalServerError'));
    const result = await writeOutcome(withStore('kinesis'), config, outcome({ quarantined: [quarantined('q-1'), quarantined('q-2')] }));
    expect([...result.failed].sort()).toEqual(['q-1', 'q-2']);
    expect(storedObjects(s3Mock, 'quarantine-bucket')).toEqual([]);
  });

  it('writes no quarantine object and reports every quarantined item when one entry cannot be claimed', async () => {
    storeWith({});
    ddbMock.on(PutItemCommand).callsFake(async (input: { Item: Record<string, AttributeValue> }) => {
      if (input.Item.id.S === qid('q-2')) throw Object.assign(new Error('Rate exceeded'), { name: 'ProvisionedThroughputExceededException' });
      return {};
    });
    const result = await writeOutcome(withStore('sqs'), config, outcome({ quarantined: [quarantined('q-1'), quarantined('q-2')] }));
    expect([...result.failed].sort()).toEqual(['q-1', 'q-2']);
    expect(result.quarantined).toEqual([]);
    expect(storedObjects(s3Mock, 'quarantine-bucket')).toEqual([]);
  });

  it('points the entries it writes at the quarantine object actually written, also when some records are skipped', async () => {
    // q-1 was quarantined by an earlier delivery; q-2 is new. The entry for q-2 must name the object
    // that now holds q-2, or its next redelivery finds the entry "stale" and quarantines it again.
    storeWith({ [qid('q-1')]: 'clickstream-events/dt=2026-11-24/hr=10/earlier.jsonl.gz' });
    await writeOutcome(
      { ...withStore('kinesis'), quarantineObjectExists: async () => true },
      config,
      outcome({ quarantined: [quarantined('q-1'), quarantined('q-2')] }),
    );

    const written = storedObjects(s3Mock, 'quarantine-bucket');
    expect(written.map((o) => o.records.map((r) => (r.source as { messageId: string }).messageId))).toEqual([['q-2']]);
    expect(quarantineClaims()).toEqual([[qid('q-2'), written[0].key]]);
  });
});

describe('writeOutcome: claim check', () => {
  const claimConfig = testConfig({ rawBucket: 'raw-bucket', maxRecordBytes: 100 });
  const big = { blob: 'x'.repeat(200), n: 1 };

  it('stores a line over maxRecordBytes in the raw bucket and writes a reference to it in curated', async () => {
    const result = await writeOutcome(sink, claimConfig, outcome({ curated: [curated('1', P9, [{ small: true }, big]), curated('2', P9, [{ small: 2 }])] }));

    expect(result).toMatchObject({ claimChecked: 1, curatedRecords: 3 });
    const raw = storedObjects(s3Mock, 'raw-bucket');
    expect(raw).toHaveLength(1);
    expect(raw[0].key).toMatch(/^claim-check\/clickstream-events\/dt=2026-11-24\/hr=09\/[0-9a-f]{32}-1\.json$/);
    expect(raw[0].text).toBe(JSON.stringify(big));
    expect(raw[0].contentType).toBe('application/json');

    const [object] = storedObjects(s3Mock, 'curated-bucket');
    expect(object.records).toEqual([
      { small: true },
      { recordId: 'rec-1', claimCheck: { bucket: 'raw-bucket', key: raw[0].key, bytes: JSON.stringify(big).length } },
      { small: 2 },
    ]);
    expect(object.text).not.toContain('xxxxxxxxxx');
    expect(object.metadata['record-count']).toBe('3');
  });

  it('keeps the lakehouse columns in the reference of a pipeline with a current table', async () => {
    const columns = { _etl_key: 'k-1', _etl_op: 'upsert', _etl_event_time: '2026-11-24T09:00:00.000Z', _etl_position: 'p#000000' };
    const tableConfig = testConfig({ rawBucket: 'raw-bucket', maxRecordBytes: 100, currentTable: {} });
    await writeOutcome(sink, tableConfig, outcome({ curated: [curated('1', P9, [{ ...big, ...columns }])] }));
    const [object] = storedObjects(s3Mock, 'curated-bucket');
    expect(object.records[0]).toMatchObject({ recordId: 'rec-1', ...columns });
    expect(object.records[0]).not.toHaveProperty('blob');
  });

  it('keeps the key and version fields in the reference too, so an oversize correction is ordered by its version', async () => {
    const columns = { _etl_key: 'k-1', _etl_op: 'upsert', _etl_event_time: '2026-11-24T09:00:00.000Z', _etl_position: 'p#000000' };
    const tableConfig = testConfig({ rawBucket: 'raw-bucket', maxRecordBytes: 100, currentTable: { keyField: 'orderId', versionField: 'revision' } });
    await writeOutcome(sink, tableConfig, outcome({ curated: [curated('1', P9, [{ ...big, orderId: 'k-1', revision: 3, note: 'dropped', ...columns }])] }));
    const [object] = storedObjects(s3Mock, 'curated-bucket');
    expect(object.records[0]).toEqual({ recordId: 'rec-1', claimCheck: expect.any(Object), orderId: 'k-1', revision: 3, ...columns });
  });

  it('keeps lines of exactly maxRecordBytes inline', async () => {
    const exact = { s: 'y'.repeat(100 - '{"s":""}'.length) };
    expect(JSON.stringify(exact)).toHaveLength(100);
    const result = await writeOutcome(sink, claimConfig, outcome({ curated: [curated('1', P9, [exact])] }));
    expect(result.claimChecked).toBe(0);
    expect(storedObjects(s3Mock, 'raw-bucket')).toEqual([]);
  });

  it('keeps big lines inline when no raw bucket is configured', async () => {
    const result = await writeOutcome(sink, testConfig({ maxRecordBytes: 100 }), outcome({ curated: [curated('1', P9, [big])] }));
    expect(result.claimChecked).toBe(0);
    expect(storedObjects(s3Mock, 'curated-bucket')[0].records).toEqual([big]);
  });

  it('reports the object’s items when the raw write fails, and writes no curated object for them', async () => {
    s3Mock.on(PutObjectCommand, { Bucket: 'raw-bucket' }).rejects(new Error('AccessDenied'));
    const result = await writeOutcome(sink, claimConfig, outcome({ curated: [curated('1', P9, [big]), curated('2', P9, [{ n: 2 }]), curated('3', P10, [{ n: 3 }])] }));
    expect([...result.failed].sort()).toEqual(['1', '2']);
    expect(storedObjects(s3Mock, 'curated-bucket').map((o) => o.records)).toEqual([[{ n: 3 }]]);
  });

  it('counts as claim-checked only the lines referenced from a curated object that was written', async () => {
    s3Mock.on(PutObjectCommand, { Bucket: 'curated-bucket' }).rejects(new Error('SlowDown'));
    const result = await writeOutcome(sink, claimConfig, outcome({ curated: [curated('1', P9, [big])] }));
    expect([...result.failed]).toEqual(['1']);
    expect(result.claimChecked).toBe(0);
  });
});

describe('writeOutcome: lineage', () => {
  it('writes one manifest under _lineage/<dataset>/dt=<write date>/ listing objects, inputs, schema versions and counts', async () => {
    const sqsSource = (id: string) => ({ kind: 'sqs' as const, queueArn: QUEUE_ARN, messageId: id });
    const result = await writeOutcome(
      { s3, kind: 'sqs', requestId: 'req-123', now: () => Date.parse('2026-11-25T00:05:00.000Z') },
      config,
      outcome({
        curated: [
          curated('1', P9, [{ n: 1 }, { n: 2 }], { schemaVersion: '1', source: sqsSource('m1') }),
          curated('2', P10, [{ n: 3 }], { schemaVersion: '2', source: sqsSource('m2') }),
          curated('3', P9, [{ n: 4 }], { source: sqsSource('m3') }),
        ],
        quarantined: [quarantined('q-1')],
        dropped: ['d-1', 'd-2'],
        duplicates: [{ itemId: 'dup-1', recordId: 'rec-1' }],
      }),
    );

    expect(result.lineageWritten).toBe(true);
    const manifests = lineageManifests(s3Mock);
    expect(manifests).toHaveLength(1);
    const [lineage] = manifests;
    expect(lineage.bucket).toBe('curated-bucket');
    expect(lineage.key).toMatch(/^_lineage\/clickstream-events\/dt=2026-11-25\/[0-9a-f]{32}\.json$/);
    expect(lineage.contentType).toBe('application/json');
    const [o9, o10] = storedObjects(s3Mock, 'curated-bucket');
    expect(lineage.manifest).toEqual({
      pipeline: 'clickstream',
      stage: 'transform',
      requestId: 'req-123',
      writtenAt: '2026-11-25T00:05:00.000Z',
      transformVersion: 'v-test',
      counts: { curated: 3, quarantined: 1, dropped: 2, duplicates: 1 },
      objects: [
        {
          bucket: 'curated-bucket',
          key: o9.key,
          records: 3,
          schemaVersions: ['1', 'none'],
          inputs: [
            { recordId: 'rec-1', source: sqsSource('m1') },
            { recordId: 'rec-3', source: sqsSource('m3') },
          ],
        },
        { bucket: 'curated-bucket', key: o10.key, records: 1, schemaVersions: ['2'], inputs: [{ recordId: 'rec-2', source: sqsSource('m2') }] },
      ],
    });
  });

  it('names the version of a versioned input in the manifest, and claims it by (id, version)', async () => {
    const claims: Array<Record<string, unknown>> = [];
    ddbMock.on(PutItemCommand).callsFake(async (input: { Item: Record<string, { S?: string }> }) => {
      claims.push({ id: input.Item.id.S, objectKey: input.Item.objectKey.S });
      return {};
    });
    await writeOutcome(
      withStore('sqs'),
      config,
      outcome({ curated: [curated('1', P9, [{ n: 1 }], { recordId: 'a', version: '1' }), curated('2', P9, [{ n: 2 }], { recordId: 'a', version: '2' })] }),
    );
    const [lineage] = lineageManifests(s3Mock);
    const inputs = (lineage.manifest.objects as Array<{ inputs: Array<Record<string, unknown>> }>).flatMap((o) => o.inputs);
    expect(inputs.map((i) => [i.recordId, i.version])).toEqual([
      ['a', '1'],
      ['a', '2'],
    ]);
    expect(claims.map((c) => c.id)).toEqual(['a#1', 'a#2']);
  });

  it('gives a retried batch the same manifest key', async () => {
    const batch = outcome({ curated: [curated('1', P9, [{ n: 1 }])] });
    await writeOutcome({ s3, kind: 'kinesis', now: () => WRITTEN_AT }, config, batch);
    await writeOutcome({ s3, kind: 'kinesis', now: () => WRITTEN_AT + 60_000 }, config, batch);
    const [a, b] = lineageManifests(s3Mock);
    expect(a.key).toBe(b.key);
    expect(a.key).toBe(`_lineage/clickstream-events/dt=2026-11-24/${batchObjectId(config, [batch.curated[0].source])}.json`);
  });

  it('writes the manifest before the objects it lists; when it cannot be written, writes nothing and retries the whole batch', async () => {
    const order: string[] = [];
    s3Mock.on(PutObjectCommand).callsFake(async (input: { Bucket: string; Key: string }) => {
      order.push(input.Key.startsWith('_lineage/') ? 'lineage' : input.Bucket);
      if (input.Key.startsWith('_lineage/')) throw new Error('InternalError');
      return {};
    });
    const result = await writeOutcome(
      sink,
      config,
      outcome({ curated: [curated('1', P9, [{ n: 1 }]), curated('2', P10, [{ n: 2 }])], quarantined: [quarantined('q-1')], dropped: ['d-1'] }),
    );
    expect(order).toEqual(['lineage']);
    expect(result).toMatchObject({ lineageWritten: false, objects: [], curatedInputs: 0, curatedRecords: 0, quarantined: [] });
    expect([...result.failed].sort()).toEqual(['1', '2', 'q-1']);
  });

  it('lists an object whose write then failed: its records are retried and listed again by a later manifest', async () => {
    s3Mock.on(PutObjectCommand).callsFake(async (input: { Bucket: string; Key: string }) => {
      if (input.Key.includes('/hr=10/')) throw new Error('SlowDown');
      return {};
    });
    const result = await writeOutcome(sink, config, outcome({ curated: [curated('1', P9, [{ n: 1 }]), curated('2', P10, [{ n: 2 }])] }));
    expect([...result.failed]).toEqual(['2']);
    expect(result.objects.map((o) => o.partition)).toEqual([P9]);
    const [lineage] = lineageManifests(s3Mock);
    expect((lineage.manifest.objects as Array<{ key: string }>).map((o) => o.key.split('/')[2])).toEqual(['hr=09', 'hr=10']);
  });

  it('writes no manifest when nothing goes to curated', async () => {
    const result = await writeOutcome(sink, config, outcome({ quarantined: [quarantined('q-1')], dropped: ['d-1'] }));
    expect(result.lineageWritten).toBe(true);
    expect(lineageManifests(s3Mock)).toEqual([]);
  });
});

describe('writeOutcome: DynamoDB table sink', () => {
  type Item = { id: string; record: Record<string, unknown> };

  /** A tableSink fake that records each call (its items) in `order`, next to the S3 writes. */
  function recordingSink(notWritten: (items: Item[]) => string[] = () => [], refused: (items: Item[]) => string[] = () => []) {
    const order: string[] = [];
    const calls: Item[][] = [];
    s3Mock.on(PutObjectCommand).callsFake(async (input: { Bucket: string; Key: string }) => {
      order.push(input.Key.startsWith('_lineage/') ? 'put lineage' : `put ${input.Bucket} ${input.Key.split('/')[2] ?? ''}`.trim());
      return {};
    });
    const tableSink = jest.fn(async (items: Item[]) => {
      calls.push(items);
      order.push(`table ${items.map((i) => i.id).join(',')}`);
      // Resolve on a later tick: a curated write that did not wait for the table would come first.
      await new Promise((resolve) => setTimeout(resolve, 5));
      order.push(`table done ${items.map((i) => i.id).join(',')}`);
      return { failed: new Set(notWritten(items)), rejected: new Map(refused(items).map((id) => [id, 'One or more parameter values were invalid: Item size has exceeded the maximum allowed size'])) };
    });
    return { order, calls, tableSink };
  }

  it('writes the table items of an object BEFORE its curated PutObject, after the lineage manifest', async () => {
    const { order, tableSink } = recordingSink();
    const result = await writeOutcome({ ...sink, tableSink }, config, outcome({ curated: [curated('1', P9, [{ n: 1 }]), curated('2', P9, [{ n: 2 }])] }));

    expect(result.failed.size).toBe(0);
    expect(order).toEqual(['put lineage', 'table rec-1,rec-2', 'table done rec-1,rec-2', 'put curated-bucket hr=09']);
    expect(tableSink).toHaveBeenCalledTimes(1);
  });

  it('writes each object’s items before that object, one tableSink call per object with only its items', async () => {
    const { order, calls, tableSink } = recordingSink();
    await writeOutcome(
      { ...sink, tableSink },
      config,
      outcome({ curated: [curated('1', P9, [{ n: 1 }]), curated('2', P10, [{ n: 2 }]), curated('3', P9, [{ n: 3 }])] }),
    );

    expect(calls.map((items) => items.map((i) => i.id))).toEqual([['rec-1', 'rec-3'], ['rec-2']]);
    expect(order.indexOf('table done rec-1,rec-3')).toBeLessThan(order.indexOf('put curated-bucket hr=09'));
    expect(order.indexOf('table done rec-2')).toBeLessThan(order.indexOf('put curated-bucket hr=10'));
    expect(order[0]).toBe('put lineage');
    expect(storedObjects(s3Mock, 'curated-bucket')).toHaveLength(2);
  });

  it('gives fan-out records the ids <id>, <id>#1, <id>#2, … with the records themselves', async () => {
    const { calls, tableSink } = recordingSink();
    await writeOutcome(
      { ...sink, tableSink },
      config,
      outcome({ curated: [curated('1', P9, [{ n: 1 }, { n: 2 }, { n: 3 }]), curated('2', P9, [{ n: 4 }]), curated('3', P9, [{ n: 5 }, { n: 6 }])] }),
    );

    expect(calls).toEqual([
      [
        { id: 'rec-1', record: { n: 1 } },
        { id: 'rec-1#1', record: { n: 2 } },
        { id: 'rec-1#2', record: { n: 3 } },
        { id: 'rec-2', record: { n: 4 } },
        { id: 'rec-3', record: { n: 5 } },
        { id: 'rec-3#1', record: { n: 6 } },
      ],
    ]);
  });

  it('gives each version of a versioned record its own item, <id>#v=<version> (then #<n> for a fan-out), and claims it by its key', async () => {
    const { calls, tableSink } = recordingSink();
    await writeOutcome(
      { ...sink, tableSink },
      config,
      outcome({
        curated: [
          curated('1', P9, [{ n: 1 }], { recordId: 'a', version: '1' }),
          curated('2', P9, [{ n: 2 }, { n: 3 }], { recordId: 'a', version: '2' }),
        ],
      }),
    );
    expect(calls).toEqual([
      [
        { id: 'a#v=1', record: { n: 1 } },
        { id: 'a#v=2', record: { n: 2 } },
        { id: 'a#v=2#1', record: { n: 3 } },
      ],
    ]);
  });

  it('writes no curated object whose items were not all written, and reports every item of that object', async () => {
    const { tableSink } = recordingSink((items) => items.filter((i) => i.id === 'rec-1#1').map((i) => i.id));

    const result = await writeOutcome(
      { ...sink, tableSink },
      config,
      outcome({ curated: [curated('1', P9, [{ n: 1 }, { n: 2 }]), curated('2', P9, [{ n: 3 }]), curated('3', P10, [{ n: 4 }])] }),
    );

    // rec-1#1 failed: the hr=09 object (items 1 and 2) is not written; hr=10 is.
    expect([...result.failed].sort()).toEqual(['1', '2']);
    const curatedObjects = storedObjects(s3Mock, 'curated-bucket');
    expect(curatedObjects.map((o) => o.key.split('/')[2])).toEqual(['hr=10']);
    expect(curatedObjects[0].records).toEqual([{ n: 4 }]);
    expect(result.objects.map((o) => o.partition)).toEqual([P10]);
    expect(result).toMatchObject({ curatedInputs: 1, curatedRecords: 1 });
  });

  it('no silent loss at the edges: a record whose sink item DynamoDB refuses for good is quarantined (SINK_ITEM_REJECTED), not retried forever', async () => {
    const { order, tableSink } = recordingSink(
      () => [],
      (items) => items.filter((i) => i.id === 'rec-2').map((i) => i.id),
    );
    const result = await writeOutcome(
      { ...sink, tableSink },
      config,
      outcome({ curated: [curated('1', P9, [{ n: 1 }]), curated('2', P9, [{ n: 2 }]), curated('3', P9, [{ n: 3 }])] }),
    );

    expect(result.failed).toEqual(new Set());
    // Curated holds exactly what the table holds; the refused record is in quarantine with the reason.
    expect(storedObjects(s3Mock, 'curated-bucket').map((o) => o.records)).toEqual([[{ n: 1 }, { n: 3 }]]);
    const [entry] = storedObjects(s3Mock, 'quarantine-bucket');
    expect(entry.records).toEqual([
      expect.objectContaining({ recordId: 'rec-2', reason: SINK_ITEM_REJECTED, error: expect.stringMatching(/Item size has exceeded/), input: { n: 2 } }),
    ]);
    // The quarantine entry exists before the object its claim points to (the commit marker).
    expect(order.indexOf('put quarantine-bucket hr=09')).toBeLessThan(order.indexOf('put curated-bucket hr=09'));
    expect(result.quarantined.map((q) => [q.itemId, q.reason])).toEqual([['2', 'SINK_ITEM_REJECTED']]);
    expect(result).toMatchObject({ curatedInputs: 2, curatedRecords: 2 });
  });

  it('retries (does not curate) the refused record when its quarantine entry cannot be written', async () => {
    const { tableSink } = recordingSink(
      () => [],
      (items) => items.map((i) => i.id),
    );
    s3Mock.on(PutObjectCommand).callsFake(async (input: { Bucket: string }) => {
      if (input.Bucket === 'quarantine-bucket') throw new Error('InternalError');
      return {};
    });
    const result = await writeOutcome({ ...sink, tableSink }, config, outcome({ curated: [curated('1', P9, [{ n: 1 }])] }));
    expect([...result.failed]).toEqual(['1']);
    expect(result.quarantined).toEqual([]);
  });

  it('reports the object’s items when the tableSink throws, and writes the other objects', async () => {
    const tableSink = jest.fn(async (items: Item[]) => {
      if (items.some((i) => i.id === 'rec-2')) throw new Error('DynamoDB unreachable');
      return { failed: new Set<string>(), rejected: new Map<string, string>() };
    });

    const result = await writeOutcome(
      { ...sink, tableSink },
      config,
      outcome({ curated: [curated('1', P9, [{ n: 1 }]), curated('2', P10, [{ n: 2 }])], quarantined: [quarantined('q-1')] }),
    );

    expect([...result.failed]).toEqual(['2']);
    expect(storedObjects(s3Mock, 'curated-bucket').map((o) => o.records)).toEqual([[{ n: 1 }]]);
    expect(storedObjects(s3Mock, 'quarantine-bucket')).toHaveLength(1);
  });

  it('reports every item when no item could be written', async () => {
    const tableSink = jest.fn(async (items: Item[]) => ({ failed: new Set(items.map((i) => i.id)), rejected: new Map<string, string>() }));
    const result = await writeOutcome({ ...sink, tableSink }, config, outcome({ curated: [curated('1', P9, [{ n: 1 }, { n: 2 }]), curated('2', P10, [{ n: 3 }])] }));
    expect([...result.failed].sort()).toEqual(['1', '2']);
    expect(storedObjects(s3Mock, 'curated-bucket')).toEqual([]);
    expect(result.objects).toEqual([]);
  });

  it('writes nothing to the table when nothing goes to curated, or when the lineage manifest fails', async () => {
    const tableSink = jest.fn(async () => ({ failed: new Set<string>(), rejected: new Map<string, string>() }));
    await writeOutcome({ ...sink, tableSink }, config, outcome({ quarantined: [quarantined('q-1')], dropped: ['d-1'] }));
    expect(tableSink).not.toHaveBeenCalled();

    s3Mock.on(PutObjectCommand).callsFake(async (input: { Key: string }) => {
      if (input.Key.startsWith('_lineage/')) throw new Error('InternalError');
      return {};
    });
    const result = await writeOutcome({ ...sink, tableSink }, config, outcome({ curated: [curated('1', P9, [{ n: 1 }])] }));
    expect(tableSink).not.toHaveBeenCalled();
    expect([...result.failed]).toEqual(['1']);
  });

  it('writes no table item for a record whose idempotency claim failed (its object is not written)', async () => {
    ddbMock.on(PutItemCommand).callsFake(async (input: { Item: Record<string, AttributeValue> }) => {
      if (input.Item.id.S === 'rec-2') throw Object.assign(new Error('Rate exceeded'), { name: 'ProvisionedThroughputExceededException' });
      return {};
    });
    const { calls, tableSink } = recordingSink();

    const result = await writeOutcome(
      { ...withStore('sqs'), tableSink },
      config,
      outcome({ curated: [curated('1', P9, [{ n: 1 }]), curated('2', P9, [{ n: 2 }]), curated('3', P10, [{ n: 3 }])] }),
    );

    expect([...result.failed].sort()).toEqual(['1', '2']);
    expect(calls.map((items) => items.map((i) => i.id))).toEqual([['rec-3']]);
  });

  it('is idempotent over a retry: the items are written again (conditionally) and the object then written', async () => {
    // A table with conditional puts, as writeToTable uses it: an existing item counts as written.
    const table = new Map<string, Record<string, unknown>>();
    const tableSink = jest.fn(async (items: Item[]) => {
      for (const { id, record } of items) if (!table.has(id)) table.set(id, record);
      return { failed: new Set<string>(), rejected: new Map<string, string>() };
    });
    let failCurated = true;
    s3Mock.on(PutObjectCommand).callsFake(async (input: { Bucket: string; Key: string }) => {
      if (failCurated && input.Bucket === 'curated-bucket' && !input.Key.startsWith('_lineage/')) throw new Error('SlowDown');
      return {};
    });
    const batch = outcome({ curated: [curated('1', P9, [{ n: 1 }, { n: 2 }])] });

    const first = await writeOutcome({ ...sink, tableSink }, config, batch);
    expect([...first.failed]).toEqual(['1']);
    expect([...table.keys()]).toEqual(['rec-1', 'rec-1#1']);

    failCurated = false;
    const retry = await writeOutcome({ ...sink, tableSink }, config, batch);
    expect(retry.failed.size).toBe(0);
    expect(tableSink).toHaveBeenCalledTimes(2);
    expect(tableSink.mock.calls[1][0].map((i) => i.id)).toEqual(['rec-1', 'rec-1#1']);
    expect(table.size).toBe(2);
    expect(storedObjects(s3Mock, 'curated-bucket').map((o) => o.records)).toEqual([[{ n: 1 }, { n: 2 }], [{ n: 1 }, { n: 2 }]]);
  });
});

describe('planObjects and positionId', () => {
  it('groups outputs by partition in first-seen order, keyed by their positions', () => {
    const outputs = [curated('1', P10, [{}]), curated('2', P9, [{}]), curated('3', P10, [{}])];
    const objects = planObjects(config, outputs);
    expect(objects.map((o) => [o.partition, o.outputs.map((x) => x.itemId)])).toEqual([
      [P10, ['1', '3']],
      [P9, ['2']],
    ]);
    expect(objects[0].key).toBe(`clickstream-events/${P10}/${batchObjectId(config, [outputs[0].source, outputs[2].source])}.jsonl.gz`);
  });

  it('names every kind of position uniquely', () => {
    expect(positionId({ kind: 'kinesis', streamArn: STREAM_ARN, shardId: 'shardId-1', sequenceNumber: '42' })).toBe('shardId-1/42');
    expect(positionId({ kind: 'sqs', queueArn: QUEUE_ARN, messageId: 'm-1' })).toBe('m-1');
    expect(positionId({ kind: 'eventbridge', eventId: 'e-1' })).toBe('eb/e-1');
    expect(positionId({ kind: 's3', bucket: 'raw', key: 'in/a.jsonl', line: 3 })).toBe('s3/raw/in/a.jsonl#3');
  });
});
