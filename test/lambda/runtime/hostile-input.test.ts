/**
 * Issue 14, item 1: hostile input never fails a batch. Each probe sits among good records; the
 * batch must succeed, the bad record be quarantined with its reason, the good ones curated.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { createBatchHandler } from '../../../lambda/runtime/batch-handler';
import type { RuntimeConfig } from '../../../lambda/runtime/config';
import type { QuarantinedRecord } from '../../../lambda/runtime/process-batch';
import { writeOutcome } from '../../../lambda/runtime/s3-sink';
import type { SchemaBundle } from '../../../lambda/runtime/schema-validation';
import type { TransformModule } from '../../../lambda/runtime/transform-contract';
import { clickstreamSchemas, kinesisEvent, QUEUE_ARN, sqsEvent, storedObjects, testConfig } from '../support/fixtures';

/** `{"eventId":"<prefix>\\x.."}` with one byte that is not UTF-8 after the prefix. */
function withBadByte(prefix: string, byte: number): string {
  return Buffer.concat([Buffer.from(`{"eventId":"${prefix}`), Buffer.from([byte]), Buffer.from('","n":1}')]).toString('base64');
}

const s3Mock = mockClient(S3Client);
const logger = new Logger({ serviceName: 'hostile-input-test', logLevel: 'SILENT' });
const metricLines: string[] = [];
const passThrough: TransformModule = { transform: (r) => ({ id: r.eventId ?? null, n: r.n ?? null }) };

function handler(config: RuntimeConfig, schemas?: SchemaBundle) {
  return createBatchHandler(passThrough, schemas, {
    s3: new S3Client({ region: 'us-east-1' }),
    dynamodb: new DynamoDBClient({ region: 'us-east-1' }),
    config,
    logger,
    writeMetrics: (line) => metricLines.push(line),
    hasher: (value) => `h-${String(value).length}`,
  });
}

function goodRecords(n: number): string[] {
  return Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      eventId: `evt-${i}`,
      eventTime: '2026-11-24T09:00:00.000Z',
      eventType: 'click',
      userId: `user-${i}`,
      sessionId: 's',
      page: { url: 'https://shop.example.com/' },
      n: i,
    }),
  );
}

/** A record of about 16 KB nested `levels` deep: `{"eventId":"deep","d":[[[...]]]}`. */
function deepRecord(levels: number): string {
  return `{"eventId":"deep","eventTime":"2026-11-24T09:00:00.000Z","d":${'['.repeat(levels)}${']'.repeat(levels)}}`;
}

function quarantineLines(): Array<Record<string, unknown>> {
  return storedObjects(s3Mock, 'quarantine-bucket').flatMap((o) => o.records);
}

function curatedIds(): unknown[] {
  return storedObjects(s3Mock, 'curated-bucket').flatMap((o) => o.records.map((r) => r.id));
}

beforeEach(() => {
  s3Mock.reset();
  s3Mock.on(PutObjectCommand).resolves({});
  metricLines.length = 0;
});

afterAll(() => s3Mock.restore());

describe('hostile input never fails a batch', () => {
  it('deep nesting: a 16 KB record nested 8,000 levels is quarantined TOO_DEEP and the 99 good records are curated', async () => {
    const deep = deepRecord(8000);
    expect(deep.length).toBeGreaterThan(16000);
    const bodies = [...goodRecords(50), deep, ...goodRecords(100).slice(50, 99)];

    const response = await handler(testConfig(), clickstreamSchemas())(sqsEvent(bodies));

    expect(response.batchItemFailures).toEqual([]);
    expect(curatedIds()).toHaveLength(99);
    expect(quarantineLines()).toEqual([expect.objectContaining({ reason: 'TOO_DEEP', error: 'nested more than 64 levels deep' })]);
  });

  it('deep nesting: an EventBridge event delivered to the function with a detail too deep to serialise is quarantined TOO_DEEP, not thrown', async () => {
    let detail: unknown = { eventId: 'deep' };
    for (let i = 0; i < 20000; i++) detail = { d: detail };
    const event = { id: 'eb-1', source: 'shop', 'detail-type': 'Click', time: '2026-11-24T10:00:00Z', detail };

    const response = await handler(testConfig())(event);

    expect(response.batchItemFailures).toEqual([]);
    expect(quarantineLines()).toEqual([expect.objectContaining({ reason: 'TOO_DEEP', input: null, source: expect.objectContaining({ eventId: 'eb-1' }) })]);
  });

  it('deep nesting: without an idField (ids hashed from the canonical JSON) the batch succeeds too', async () => {
    const bodies = [...goodRecords(3), deepRecord(8000)];

    const response = await handler(testConfig({ idField: undefined }))(kinesisEvent(bodies));

    expect(response.batchItemFailures).toEqual([]);
    expect(curatedIds()).toHaveLength(3);
    expect(quarantineLines().map((l) => l.reason)).toEqual(['TOO_DEEP']);
  });
});

describe('invalid UTF-8 (hostile input)', () => {
  it('records differing only in bytes that are not UTF-8 are quarantined INVALID_UTF8, not collided into one id and dropped as duplicates', async () => {
    const event = kinesisEvent(['{"eventId":"ok","n":1}', 'x', 'y']);
    const records = event.Records.map((r, i) =>
      i === 0 ? r : { ...r, kinesis: { ...r.kinesis, data: withBadByte('user-', i === 1 ? 0xff : 0xfe) } },
    );

    for (const config of [testConfig(), testConfig({ idField: undefined })]) {
      s3Mock.reset();
      s3Mock.on(PutObjectCommand).resolves({});
      const response = await handler(config)({ Records: records });

      expect(response.batchItemFailures).toEqual([]);
      expect(curatedIds()).toEqual(['ok']);
      expect(quarantineLines().map((l) => [l.reason, l.error])).toEqual([
        ['INVALID_UTF8', 'not valid UTF-8'],
        ['INVALID_UTF8', 'not valid UTF-8'],
      ]);
    }
  });
});

describe('event times the warehouse never reads (hostile input)', () => {
  it('fall back to the receive time (a partition queries see) and are counted in EventTimeOutOfBounds', async () => {
    const record = (id: string, eventTime: unknown) => JSON.stringify({ eventId: id, eventTime, n: 1 });
    const bodies = [
      record('ok', '2026-11-24T09:00:00Z'),
      record('early', '2019-05-01T00:00:00Z'),
      record('seconds', 1795510800),
      record('one', '1'),
      record('huge', 1e15),
    ];

    const response = await handler(testConfig())(sqsEvent(bodies));

    expect(response.batchItemFailures).toEqual([]);
    const keys = storedObjects(s3Mock, 'curated-bucket').map((o) => [o.key.split('/')[1], o.records.map((r) => r.id)]);
    // The sqsEvent fixture's receive time is 2026-11-24T10:00; the valid event time is 09:00.
    expect(keys).toEqual(
      expect.arrayContaining([
        ['dt=2026-11-24', ['ok']],
        ['dt=2026-11-24', ['early', 'seconds', 'one', 'huge']],
      ]),
    );
    expect(storedObjects(s3Mock, 'curated-bucket').map((o) => o.key.split('/')[2])).toEqual(expect.arrayContaining(['hr=09', 'hr=10']));
    const emf = JSON.parse(metricLines[metricLines.length - 1]) as Record<string, unknown>;
    expect(emf.EventTimeOutOfBounds).toBe(4);
  });
});

describe('quarantine lines are serialised one by one', () => {
  it('an input that cannot be serialised loses only its input; the other lines are written', async () => {
    const cyclic: Record<string, unknown> = { eventId: 'cyclic' };
    cyclic.self = cyclic;
    const entry = (id: string, input: unknown): QuarantinedRecord => ({
      itemId: id,
      reason: 'TRANSFORM_ERROR',
      error: 'boom',
      source: { kind: 'sqs', queueArn: QUEUE_ARN, messageId: id },
      receivedAt: '2026-11-24T10:00:00.000Z',
      input,
    });
    const outcome = { curated: [], quarantined: [entry('m-1', { ok: 1 }), entry('m-2', cyclic), entry('m-3', { ok: 3 })], dropped: [], duplicates: [], deferred: [] };

    const result = await writeOutcome({ s3: new S3Client({ region: 'us-east-1' }), kind: 'sqs' }, testConfig(), outcome);

    expect([...result.failed]).toEqual([]);
    expect(quarantineLines().map((l) => [l.input, l.inputNotSerializable === undefined])).toEqual([
      [{ ok: 1 }, true],
      [null, false],
      [{ ok: 3 }, true],
    ]);
  });
});
