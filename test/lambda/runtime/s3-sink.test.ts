import { gunzipSync } from 'node:zlib';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import type { BatchOutcome, CuratedOutput, QuarantinedRecord } from '../../../lambda/runtime/process-batch';
import { batchObjectId, writeOutcome } from '../../../lambda/runtime/s3-sink';
import type { PipelineRecord } from '../../../lambda/runtime/transform-contract';
import { objectKeyPattern, QUEUE_ARN, STREAM_ARN, storedObjects, testConfig } from '../support/fixtures';

const s3Mock = mockClient(S3Client);
const s3 = new S3Client({ region: 'us-east-1' });
const config = testConfig();

function curated(itemId: string, partition: string, records: PipelineRecord[]): CuratedOutput {
  return {
    itemId,
    recordId: `rec-${itemId}`,
    partition,
    source: { kind: 'kinesis', streamArn: STREAM_ARN, shardId: 'shardId-000000000000', sequenceNumber: itemId },
    records,
    lines: records.map((r) => JSON.stringify(r)),
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
  return { curated: [], quarantined: [], dropped: [], ...parts };
}

const P9 = 'dt=2026-11-24/hr=09';
const P10 = 'dt=2026-11-24/hr=10';

beforeEach(() => {
  s3Mock.reset();
  s3Mock.on(PutObjectCommand).resolves({});
});

afterAll(() => s3Mock.restore());

describe('writeOutcome', () => {
  it('writes one gzip JSON Lines object per partition under <dataset>/dt=…/hr=…/<32 hex>.jsonl.gz', async () => {
    const failed = await writeOutcome(
      s3,
      config,
      outcome({ curated: [curated('1', P9, [{ a: 1 }]), curated('2', P9, [{ b: 2, nested: { c: [1, 2] } }])] }),
    );

    expect(failed.size).toBe(0);
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
      s3,
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

    await writeOutcome(s3, config, first);
    await writeOutcome(s3, config, retry);

    const [a, b] = storedObjects(s3Mock);
    expect(a.key).toBe(b.key);
    expect(a.records).not.toEqual(b.records);
    const positions = first.curated.map((c) => c.source);
    expect(a.key).toBe(`clickstream-events/${P9}/${batchObjectId(config, positions)}.jsonl.gz`);
  });

  it('gives different inputs different keys', async () => {
    await writeOutcome(s3, config, outcome({ curated: [curated('1', P9, [{ v: 1 }])] }));
    await writeOutcome(s3, config, outcome({ curated: [curated('2', P9, [{ v: 1 }])] }));
    await writeOutcome(s3, config, outcome({ curated: [curated('1', P9, [{ v: 1 }]), curated('2', P9, [{ v: 1 }])] }));
    // Same message id but from another stage of the pipeline.
    await writeOutcome(s3, testConfig({ stage: 'enrich' }), outcome({ curated: [curated('1', P9, [{ v: 1 }])] }));

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
      s3,
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
    const failed = await writeOutcome(s3, config, outcome({ quarantined: records }));

    expect(failed.size).toBe(0);
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
    await writeOutcome(s3, config, outcome({ quarantined: [quarantined('q-1')] }));
    await writeOutcome(s3, config, outcome({ quarantined: [quarantined('q-1', { error: 'other' })] }));
    await writeOutcome(s3, config, outcome({ quarantined: [quarantined('q-2')] }));
    const keys = storedObjects(s3Mock, 'quarantine-bucket').map((o) => o.key);
    expect(keys[0]).toBe(keys[1]);
    expect(keys[2]).not.toBe(keys[0]);
  });

  it('writes nothing for an empty outcome or one with only dropped records', async () => {
    expect((await writeOutcome(s3, config, outcome({}))).size).toBe(0);
    expect((await writeOutcome(s3, config, outcome({ dropped: ['1', '2'] }))).size).toBe(0);
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('returns the item ids of a partition whose PutObject failed, and only those', async () => {
    s3Mock.on(PutObjectCommand).callsFake(async (input: { Bucket: string; Key: string }) => {
      if (input.Bucket === 'curated-bucket' && input.Key.includes('/hr=10/')) throw Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown' });
      return {};
    });

    const failed = await writeOutcome(
      s3,
      config,
      outcome({
        curated: [curated('1', P9, [{ id: 1 }]), curated('2', P10, [{ id: 2 }]), curated('3', P9, [{ id: 3 }]), curated('4', P10, [{ id: 4 }, { id: 5 }])],
        quarantined: [quarantined('q-1')],
        dropped: ['d-1'],
      }),
    );

    expect([...failed].sort()).toEqual(['2', '4']);
    // Every write was attempted, the failure did not stop the others.
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(3);
  });

  it('returns the quarantined item ids when the quarantine write fails', async () => {
    s3Mock.on(PutObjectCommand, { Bucket: 'quarantine-bucket' }).rejects(new Error('AccessDenied'));

    const failed = await writeOutcome(
      s3,
      config,
      outcome({ curated: [curated('1', P9, [{ id: 1 }])], quarantined: [quarantined('q-1'), quarantined('q-2')] }),
    );

    expect([...failed].sort()).toEqual(['q-1', 'q-2']);
  });

  it('does not throw when every write fails', async () => {
    s3Mock.on(PutObjectCommand).rejects(new Error('network down'));
    const failed = await writeOutcome(
      s3,
      config,
      outcome({ curated: [curated('1', P9, [{ id: 1 }]), curated('2', P10, [{ id: 2 }])], quarantined: [quarantined('q-1')] }),
    );
    expect([...failed].sort()).toEqual(['1', '2', 'q-1']);
  });

  it('never writes a blank line when a transform fans out to an empty array', async () => {
    // `[]` is a valid transform result (an array of zero objects); it must not put an empty line
    // into the curated JSON Lines, which readers such as Athena would turn into a row of nulls.
    await writeOutcome(s3, config, outcome({ curated: [curated('1', P9, [])] }));

    for (const call of s3Mock.commandCalls(PutObjectCommand)) {
      const input = call.args[0].input;
      const text = gunzipSync(input.Body as Uint8Array).toString('utf8');
      const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
      expect(lines).toHaveLength(Number(input.Metadata?.['record-count']));
      for (const line of lines) expect(line).not.toBe('');
    }
  });
});
