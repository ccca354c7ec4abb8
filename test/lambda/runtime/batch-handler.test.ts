import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { Logger } from '@aws-lambda-powertools/logger';
import { BatchGetItemCommand, BatchWriteItemCommand, DynamoDBClient, PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import type { KinesisStreamEvent, SQSEvent } from 'aws-lambda';
import * as clickstreamTransform from '../../../examples/clickstream/transform';
import type { RuntimeConfig } from '../../../lambda/runtime/config';
import { createBatchHandler, type BatchHandlerDeps } from '../../../lambda/runtime/batch-handler';
import { createPiiHasher } from '../../../lambda/runtime/pii-masking';
import type { SchemaBundle } from '../../../lambda/runtime/schema-validation';
import type { EventBridgeEventInput } from '../../../lambda/runtime/source-records';
import type { PipelineRecord, TransformModule } from '../../../lambda/runtime/transform-contract';
import { RUNTIME_ENV } from '../../../lib/contract/environment';
import { COUNT_METRICS, PipelineMetricName } from '../../../lib/contract/metrics';
import {
  allStoredObjects,
  clickstreamSchemas,
  deepKeys,
  eventBridgeEnvelope,
  fakeIdempotencyTable,
  fakeS3Objects,
  fakeS3Store,
  fakeSinkTable,
  kinesisEvent,
  lineageManifests,
  objectKeyPattern,
  sampleEventLines,
  sequenceNumber,
  SHARD_ID,
  sqsEvent,
  storedObjects,
  STREAM_ARN,
  testConfig,
  unmarshallItem,
} from '../support/fixtures';

// The reference transform returns `CuratedClickstreamEvent`, an interface, which TypeScript does not
// accept as the contract's `PipelineRecord` (`Record<string, unknown>`): hence the cast. At run time
// it is exactly what the bundled handler receives, the module namespace object.
const clickstream = clickstreamTransform as unknown as TransformModule;

const s3Mock = mockClient(S3Client);
const ddbMock = mockClient(DynamoDBClient);
const config = testConfig();
const logger = new Logger({ serviceName: 'clickstream-test', logLevel: 'SILENT' });
/** EMF lines of the handlers of this file (kept off stdout). */
const metricLines: string[] = [];
const writeMetrics = (line: string) => metricLines.push(line);

function handlerFor(module: TransformModule = clickstream, schemas?: SchemaBundle, deps: BatchHandlerDeps = {}) {
  return createBatchHandler(module, schemas, {
    s3: new S3Client({ region: 'us-east-1' }),
    dynamodb: new DynamoDBClient({ region: 'us-east-1' }),
    config,
    logger,
    writeMetrics,
    ...deps,
  });
}

/** The last EMF line written, parsed. */
function lastMetrics(): Record<string, unknown> {
  expect(metricLines.length).toBeGreaterThan(0);
  return JSON.parse(metricLines[metricLines.length - 1]) as Record<string, unknown>;
}

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/** Sample events by line: 12 valid, duplicate evt-0003, bot, malformed, drifted, oversize, no eventId. */
const SAMPLE = sampleEventLines();
const CURATED_LINES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 16];
const DUPLICATE_LINE = 12;
const BOT_LINE = 13;
const MALFORMED_LINE = 14;
const DRIFTED_LINE = 15;
const MISSING_ID_LINE = 17;

beforeEach(() => {
  s3Mock.reset();
  ddbMock.reset();
  s3Mock.on(PutObjectCommand).resolves({});
  metricLines.length = 0;
});

afterAll(() => {
  s3Mock.restore();
  ddbMock.restore();
});

describe('createBatchHandler', () => {
  it.each([
    ['an empty module', {}],
    ['a non-function transform', { transform: 'not a function' }],
    ['a default export only', { default: { transform: () => null } }],
    ['undefined', undefined],
  ])('rejects %s with a clear error', (_label, module) => {
    expect(() => createBatchHandler(module as unknown as TransformModule, undefined, { config, logger })).toThrow(
      'cdk-serverless-etl runtime: the transform module must export a function named "transform"',
    );
  });

  it('reads its config from the environment when none is given, naming what is missing', () => {
    const saved = Object.fromEntries(Object.values(RUNTIME_ENV).map((name) => [name, process.env[name]]));
    try {
      for (const name of Object.values(RUNTIME_ENV)) delete process.env[name];
      expect(() => createBatchHandler(clickstream, undefined, { s3: new S3Client({ region: 'us-east-1' }), logger })).toThrow(
        'cdk-serverless-etl runtime: PIPELINE_NAME is missing; CURATED_BUCKET is missing; QUARANTINE_BUCKET is missing',
      );
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it('fails the invocation clearly for an event that is not a batch', async () => {
    await expect(handlerFor()({} as SQSEvent)).rejects.toThrow(/unsupported event \(expected a Kinesis or SQS batch/);
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  describe('a Kinesis batch of the clickstream sample events, with the reference transform', () => {
    const event: KinesisStreamEvent = kinesisEvent(SAMPLE);
    const inputs = SAMPLE.map((line) => {
      try {
        return JSON.parse(line) as PipelineRecord;
      } catch {
        return undefined;
      }
    });

    it('sanity: the sample file has the documented shape', () => {
      expect(SAMPLE).toHaveLength(18);
      expect(inputs[BOT_LINE]?.properties).toEqual({ bot: true });
      expect(inputs[MALFORMED_LINE]).toBeUndefined();
      expect(inputs[MISSING_ID_LINE]?.eventId).toBeUndefined();
      expect(SAMPLE[16].length).toBeGreaterThan(250_000);
    });

    it('writes the curated records to one object, without the bot event or the bad records', async () => {
      const response = await handlerFor()(event);

      expect(response).toEqual({ batchItemFailures: [] });
      const curatedObjects = storedObjects(s3Mock, 'curated-bucket');
      expect(curatedObjects).toHaveLength(1);
      const [object] = curatedObjects;
      expect(object.key).toMatch(objectKeyPattern('clickstream-events'));
      expect(object.key.startsWith('clickstream-events/dt=2026-11-24/hr=09/')).toBe(true);
      expect(object.metadata).toMatchObject({ 'record-count': '13', 'input-count': '13', 'transform-version': 'v-test' });
      // The second evt-0003 has an id already seen in the batch: skipped and counted, not written twice.
      // The bot event evt-0013 is dropped on purpose.
      expect(object.records.map((r) => r.eventId)).toEqual([
        'evt-0001', 'evt-0002', 'evt-0003', 'evt-0004', 'evt-0005', 'evt-0006', 'evt-0007',
        'evt-0008', 'evt-0009', 'evt-0010', 'evt-0011', 'evt-0012', 'evt-0016',
      ]);
      expect(lastMetrics()).toMatchObject({ RecordsIn: 18, RecordsOut: 13, DuplicatesSkipped: 1, RecordsDropped: 1, RecordsQuarantined: 3 });
    });

    it('curates the transform output: host, path, conversion flag, hashed user key', async () => {
      await handlerFor()(event);
      const [object] = storedObjects(s3Mock, 'curated-bucket');

      expect(object.records[0]).toEqual({
        eventId: 'evt-0001',
        revision: 1, // no revision in the event: its first
        eventTime: '2026-11-24T09:00:07.000Z',
        eventType: 'click',
        userKey: sha256('user-101'),
        sessionId: 'sess-1',
        host: 'shop.example.com',
        path: '/products/1',
        referrerHost: 'www.search.example',
        isConversion: false,
        properties: { campaign: 'autumn' },
        schemaVersion: '1',
        pipeline: 'clickstream',
      });
      expect(object.records[2]).toMatchObject({ eventId: 'evt-0003', eventType: 'purchase', isConversion: true });
      CURATED_LINES.forEach((line, i) => {
        expect(object.records[i].userKey).toBe(sha256(String(inputs[line]?.userId)));
        expect(object.records[i].isConversion).toBe(inputs[line]?.eventType === 'purchase');
      });
    });

    it('never writes email, ip or the raw userId to the curated bucket', async () => {
      await handlerFor()(event);
      const [object] = storedObjects(s3Mock, 'curated-bucket');

      const keys = new Set(deepKeys(object.records));
      expect(keys.has('email')).toBe(false);
      expect(keys.has('ip')).toBe(false);
      expect(keys.has('userId')).toBe(false);
      const userIds = new Set(CURATED_LINES.map((line) => String(inputs[line]?.userId)));
      expect(userIds.size).toBeGreaterThan(1);
      for (const userId of userIds) expect(object.text).not.toContain(userId);
      for (const line of CURATED_LINES) {
        expect(object.text).not.toContain(String(inputs[line]?.email));
        expect(object.text).not.toContain(String(inputs[line]?.ip));
      }
      expect(object.text).not.toMatch(/@example\.com|203\.0\.113\./);
    });

    it('quarantines the malformed, schema-drifted and id-less records in one object', async () => {
      await handlerFor()(event);

      const quarantineObjects = storedObjects(s3Mock, 'quarantine-bucket');
      expect(quarantineObjects).toHaveLength(1);
      const [object] = quarantineObjects;
      expect(object.key).toMatch(objectKeyPattern('clickstream-events'));
      // Quarantine is partitioned by arrival time (2026-11-24T10:00Z in the fixtures).
      expect(object.key.startsWith('clickstream-events/dt=2026-11-24/hr=10/')).toBe(true);
      // Records failing before the transform come first (input order among them), then transform failures.
      expect(object.records.map((r) => [r.reason, r.recordId, (r.source as { sequenceNumber: string }).sequenceNumber])).toEqual([
        ['MALFORMED_JSON', undefined, sequenceNumber(MALFORMED_LINE)],
        ['MISSING_ID', undefined, sequenceNumber(MISSING_ID_LINE)],
        ['TRANSFORM_ERROR', 'evt-0015', sequenceNumber(DRIFTED_LINE)],
      ]);
      const byReason = Object.fromEntries(object.records.map((r) => [r.reason, r]));
      expect(byReason.MALFORMED_JSON).toMatchObject({ input: SAMPLE[MALFORMED_LINE], pipeline: 'clickstream', stage: 'transform' });
      expect(byReason.TRANSFORM_ERROR).toMatchObject({
        error: 'TypeError: page.url must be a string',
        input: inputs[DRIFTED_LINE],
        source: { kind: 'kinesis', streamArn: STREAM_ARN, shardId: SHARD_ID, sequenceNumber: sequenceNumber(DRIFTED_LINE) },
      });
      expect(byReason.MISSING_ID).toMatchObject({ error: 'field "eventId" must be a non-empty string or a number', input: inputs[MISSING_ID_LINE] });
    });

    it('writes the same objects again when the batch is retried (no idempotency store)', async () => {
      await handlerFor()(event);
      await handlerFor()(event);
      const keys = storedObjects(s3Mock).map((o) => `${o.bucket}/${o.key}`);
      expect(keys).toHaveLength(4);
      expect(new Set(keys).size).toBe(2);
      const lineage = lineageManifests(s3Mock).map((o) => o.key);
      expect(lineage).toHaveLength(2);
      expect(lineage[0]).toBe(lineage[1]);
    });

    it('reports exactly the curated items, in input order, when the curated PutObject fails', async () => {
      s3Mock.on(PutObjectCommand).callsFake(async (input: { Bucket: string; Key: string }) => {
        if (input.Bucket === 'curated-bucket' && !input.Key.startsWith('_lineage/')) throw new Error('SlowDown');
        return {};
      });

      const response = await handlerFor()(event);

      // The skipped duplicate of evt-0003 shares the fate of its first occurrence: retried with it.
      const retried = [...CURATED_LINES, DUPLICATE_LINE].sort((a, b) => a - b);
      expect(response.batchItemFailures).toEqual(retried.map((line) => ({ itemIdentifier: sequenceNumber(line) })));
      // The quarantine write still happened.
      expect(storedObjects(s3Mock, 'quarantine-bucket')).toHaveLength(1);
      expect(lastMetrics()).toMatchObject({ RecordsOut: 0, RecordsRetried: retried.length, RecordsQuarantined: 3, DuplicatesSkipped: 0 });
    });

    it('retries the whole batch, writing nothing, when the lineage manifest cannot be written', async () => {
      s3Mock.on(PutObjectCommand).callsFake(async (input: { Key: string }) => {
        if (input.Key.startsWith('_lineage/')) throw new Error('InternalError');
        return {};
      });

      const response = await handlerFor()(event);

      const retried = [...CURATED_LINES, DUPLICATE_LINE, MALFORMED_LINE, DRIFTED_LINE, MISSING_ID_LINE].sort((a, b) => a - b);
      expect(response.batchItemFailures).toEqual(retried.map((line) => ({ itemIdentifier: sequenceNumber(line) })));
      expect(storedObjects(s3Mock)).toEqual([]);
      expect(lastMetrics()).toMatchObject({ RecordsIn: 18, RecordsOut: 0, RecordsQuarantined: 0, RecordsDropped: 1, RecordsRetried: 17 });
    });

    it('reports exactly the quarantined items when the quarantine PutObject fails', async () => {
      s3Mock.on(PutObjectCommand, { Bucket: 'quarantine-bucket' }).rejects(new Error('AccessDenied'));

      const response = await handlerFor()(event);

      expect(response.batchItemFailures).toEqual([MALFORMED_LINE, DRIFTED_LINE, MISSING_ID_LINE].map((line) => ({ itemIdentifier: sequenceNumber(line) })));
    });
  });

  describe('an SQS batch with EventBridge events, with the reference transform', () => {
    const ebDetail = {
      eventId: 'evt-eb-1',
      eventTime: '2026-11-24T10:05:00Z',
      eventType: 'purchase',
      userId: 'user-555',
      sessionId: 'sess-9',
      page: { url: 'https://Shop.Example.com/Checkout/Done/', referrer: 'not a url' },
      email: 'eb@example.com',
      ip: '198.51.100.7',
      properties: { campaign: 'winter', email: 'smuggled@example.com', ip: '198.51.100.8', userId: 'user-555' },
      schemaVersion: '1',
    };
    const SAMPLE_0 = JSON.parse(SAMPLE[0]) as PipelineRecord;
    const bodies = [
      SAMPLE[0], // msg-0: plain event, hr=09
      JSON.stringify(eventBridgeEnvelope(ebDetail, 'eb-0001')), // msg-1: EventBridge, hr=10
      JSON.stringify(eventBridgeEnvelope({ ...SAMPLE_0, eventId: 'evt-bot', properties: { bot: true } }, 'eb-0002')), // msg-2: bot
      JSON.stringify(eventBridgeEnvelope({ ...ebDetail, eventId: undefined }, 'eb-0003')), // msg-3: no id
      JSON.stringify(eventBridgeEnvelope({ ...ebDetail, eventId: 'evt-eb-4', eventTime: '2026-11-24T09:59:59Z' }, 'eb-0004')), // msg-4: hr=09
      JSON.stringify(eventBridgeEnvelope({ ...ebDetail, eventId: 'evt-eb-5', eventTime: '2026-11-24T10:30:00Z' }, 'eb-0005')), // msg-5: hr=10
    ];
    const event: SQSEvent = sqsEvent(bodies);

    it('unwraps the EventBridge detail, partitions by its event time and strips PII', async () => {
      const response = await handlerFor()(event);

      expect(response).toEqual({ batchItemFailures: [] });
      const curatedObjects = storedObjects(s3Mock, 'curated-bucket');
      expect(curatedObjects).toHaveLength(2);
      const byHour = Object.fromEntries(curatedObjects.map((o) => [o.key.split('/')[2], o]));
      expect(Object.keys(byHour).sort()).toEqual(['hr=09', 'hr=10']);
      expect(byHour['hr=09'].records.map((r) => r.eventId)).toEqual(['evt-0001', 'evt-eb-4']);
      expect(byHour['hr=10'].records.map((r) => r.eventId)).toEqual(['evt-eb-1', 'evt-eb-5']);
      expect(byHour['hr=10'].records[0]).toEqual({
        eventId: 'evt-eb-1',
        revision: 1,
        eventTime: '2026-11-24T10:05:00Z',
        eventType: 'purchase',
        userKey: sha256('user-555'),
        sessionId: 'sess-9',
        host: 'shop.example.com',
        path: '/checkout/done',
        referrerHost: null,
        isConversion: true,
        properties: { campaign: 'winter' },
        schemaVersion: '1',
        pipeline: 'clickstream',
      });
      for (const object of curatedObjects) {
        // Nothing of the EventBridge envelope, and no PII, reaches the curated bucket.
        expect(object.text).not.toMatch(/detail-type|com\.example\.storefront|eb-000/);
        expect(object.text).not.toMatch(/user-555|user-101|@example\.com|198\.51\.100\.|203\.0\.113\./);
        expect(deepKeys(object.records)).not.toEqual(expect.arrayContaining(['email']));
        expect(deepKeys(object.records)).not.toEqual(expect.arrayContaining(['ip']));
      }
    });

    it('quarantines the EventBridge event without an id with its detail as input', async () => {
      await handlerFor()(event);

      const [object] = storedObjects(s3Mock, 'quarantine-bucket');
      expect(object.records).toHaveLength(1);
      expect(object.records[0]).toMatchObject({
        reason: 'MISSING_ID',
        source: { kind: 'sqs', messageId: 'msg-3' },
        input: { eventType: 'purchase', sessionId: 'sess-9' },
      });
      expect((object.records[0].input as PipelineRecord)['detail-type']).toBeUndefined();
    });

    it('reports exactly the messages of the partition whose write failed, in input order', async () => {
      s3Mock.on(PutObjectCommand).callsFake(async (input: { Bucket: string; Key: string }) => {
        if (input.Bucket === 'curated-bucket' && input.Key.includes('/hr=10/')) throw new Error('InternalError');
        return {};
      });

      const response = await handlerFor()(event);

      expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'msg-1' }, { itemIdentifier: 'msg-5' }]);
    });

    it('reports every stored item when all writes fail, but never the dropped one', async () => {
      s3Mock.on(PutObjectCommand).rejects(new Error('network down'));

      const response = await handlerFor()(event);

      expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['msg-0', 'msg-1', 'msg-3', 'msg-4', 'msg-5']);
    });
  });

  it('quarantines a record whose transform output cannot be serialized, without failing the batch', async () => {
    // A transform bug on one record (here a BigInt in the output) is deterministic: retrying cannot
    // fix it. It must be quarantined like any other bad output, and the good records still written.
    const module: TransformModule = {
      transform: (r) => (r.eventId === 'evt-bad' ? { eventId: r.eventId, amount: BigInt(10) } : { eventId: r.eventId }),
    };
    const event = sqsEvent([
      JSON.stringify({ eventId: 'evt-good', eventTime: '2026-11-24T09:00:00Z' }),
      JSON.stringify({ eventId: 'evt-bad', eventTime: '2026-11-24T09:00:00Z' }),
    ]);

    const response = await handlerFor(module)(event);

    expect(response).toEqual({ batchItemFailures: [] });
    expect(storedObjects(s3Mock, 'curated-bucket').flatMap((o) => o.records)).toEqual([{ eventId: 'evt-good' }]);
    const quarantinedRecords = storedObjects(s3Mock, 'quarantine-bucket').flatMap((o) => o.records);
    expect(quarantinedRecords).toHaveLength(1);
    expect(quarantinedRecords[0].recordId).toBe('evt-bad');
    expect(['INVALID_OUTPUT', 'TRANSFORM_ERROR']).toContain(quarantinedRecords[0].reason);
  });
});

describe('createBatchHandler with the clickstream schemas, PII masking and the idempotency store', () => {
  const TABLE = 'clickstream-idempotency';
  const storeConfig: RuntimeConfig = testConfig({ rawBucket: 'raw-bucket', idempotencyTable: TABLE });
  const hasher = createPiiHasher('batch-handler-test-key-0123456789');
  const schemas = clickstreamSchemas();
  const SAMPLE_0 = JSON.parse(SAMPLE[0]) as PipelineRecord;

  /** Bad records carrying PII, one per way a record can fail. */
  const EXTRA = [
    // MALFORMED_JSON (truncated)
    '{"eventId":"evt-m1","eventTime":"2026-11-24T09:05:00Z","userId":"user-777","email":"m1@example.com","ip":"192.0.2.77","page":{"url":"https://shop.example.com/"',
    // MALFORMED_JSON (cut inside a value)
    '{"eventId":"evt-m2","eventTime":"2026-11-24T09:05:00Z","userId":"user-778","email":"m2@exam',
    // NOT_AN_OBJECT
    '[{"userId":"user-779","email":"a1@example.com","ip":"192.0.2.79"}]',
    // SCHEMA_MISMATCH (unknown event type)
    JSON.stringify({ ...SAMPLE_0, eventId: 'evt-s1', eventType: 'scroll', userId: 'user-780', email: 's1@example.com', ip: '192.0.2.80' }),
    // MISSING_ID
    JSON.stringify({ ...SAMPLE_0, eventId: undefined, userId: 'user-781', email: 'n1@example.com', ip: '192.0.2.81' }),
    // TRANSFORM_ERROR (the reference transform cannot parse the URL)
    JSON.stringify({ ...SAMPLE_0, eventId: 'evt-t1', page: { url: 'not a url' }, userId: 'user-782', email: 't1@example.com', ip: '192.0.2.82' }),
  ];
  const BODIES = [...SAMPLE, ...EXTRA];

  /** Every raw userId, email and ip value of the batch (from the JSON records and the malformed text). */
  const RAW_PII = (() => {
    const values = new Set<string>();
    const visit = (v: unknown) => {
      if (Array.isArray(v)) v.forEach(visit);
      else if (v !== null && typeof v === 'object') {
        for (const [k, x] of Object.entries(v)) {
          if (['userId', 'email', 'ip'].includes(k) && typeof x === 'string') values.add(x);
          visit(x);
        }
      }
    };
    for (const body of BODIES) {
      try {
        visit(JSON.parse(body));
      } catch {
        for (const m of body.matchAll(/"(?:userId|email|ip)":"([^"]*)/g)) values.add(m[1]);
      }
    }
    return [...values];
  })();

  function storeHandler(deps: BatchHandlerDeps = {}) {
    return handlerFor(clickstream, schemas, { config: storeConfig, hasher, ...deps });
  }

  function expectNoRawPii(text: string, where: string) {
    for (const value of RAW_PII) {
      if (text.includes(value)) throw new Error(`raw PII value ${JSON.stringify(value)} found in ${where}`);
    }
  }

  it('sanity: the batch carries the PII values the test looks for', () => {
    expect(RAW_PII).toEqual(expect.arrayContaining(['user-101', 'user1@example.com', '203.0.113.1', 'user-777', 'm2@exam', 'user-779', 'user-782']));
    expect(RAW_PII.length).toBeGreaterThan(20);
  });

  it('refuses schemas that hash fields without a hasher or PII_SECRET_ARN', () => {
    expect(() => createBatchHandler(clickstream, schemas, { config, logger, s3: new S3Client({ region: 'us-east-1' }) })).toThrow(
      'cdk-serverless-etl runtime: the schemas mark fields "x-pii": "hash" but PII_SECRET_ARN is not set',
    );
  });

  it('never lets a raw userId, email or ip reach S3 (curated, raw, quarantine, lineage), DynamoDB, the logs or the metrics', async () => {
    fakeS3Store(s3Mock);
    fakeIdempotencyTable(ddbMock, TABLE);
    const printed: string[] = [];
    const capture = (chunk: unknown) => {
      printed.push(String(chunk));
      return true;
    };
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(capture as typeof process.stdout.write);
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(capture as typeof process.stderr.write);
    let response;
    try {
      const verbose = new Logger({ serviceName: 'clickstream-test', logLevel: 'DEBUG', persistentKeys: { pipeline: 'clickstream', stage: 'transform' } });
      response = await storeHandler({ logger: verbose })(kinesisEvent(BODIES));
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }

    expect(response).toEqual({ batchItemFailures: [] });
    const objects = allStoredObjects(s3Mock);
    const buckets = new Set(objects.map((o) => o.bucket));
    expect([...buckets].sort()).toEqual(['curated-bucket', 'quarantine-bucket', 'raw-bucket']);
    expect(lineageManifests(s3Mock)).toHaveLength(1);
    for (const o of objects) expectNoRawPii(o.text, `s3://${o.bucket}/${o.key}`);
    // Every way to fail was exercised, and every bad record is in quarantine, masked.
    const quarantined = storedObjects(s3Mock, 'quarantine-bucket').flatMap((o) => o.records);
    expect(quarantined.map((r) => r.reason).sort()).toEqual(
      ['MALFORMED_JSON', 'MALFORMED_JSON', 'MALFORMED_JSON', 'MISSING_ID', 'MISSING_ID', 'NOT_AN_OBJECT', 'SCHEMA_MISMATCH', 'TRANSFORM_ERROR', 'UNKNOWN_SCHEMA_VERSION'].sort(),
    );
    for (const call of ddbMock.calls()) expectNoRawPii(JSON.stringify(call.args[0].input), 'a DynamoDB request');

    const logs = printed.join('');
    expect(logs).toContain('batch processed');
    expectNoRawPii(logs, 'the logs');
    expect(metricLines).toHaveLength(1);
    expectNoRawPii(metricLines[0], 'the metrics');
  });

  it('hashes userId with the key before the transform, so the curated user key is derived from the keyed hash', async () => {
    fakeS3Store(s3Mock);
    fakeIdempotencyTable(ddbMock, TABLE);
    await storeHandler()(kinesisEvent(SAMPLE.slice(0, 1)));
    const [object] = storedObjects(s3Mock, 'curated-bucket');
    expect(object.records[0].userKey).toBe(sha256(hasher('user-101')));
    expect(object.records[0].userKey).not.toBe(sha256('user-101'));
  });

  it('publishes counts equal to what was written', async () => {
    fakeS3Store(s3Mock);
    fakeIdempotencyTable(ddbMock, TABLE);
    await storeHandler()(kinesisEvent(BODIES));

    const curatedLines = storedObjects(s3Mock, 'curated-bucket').flatMap((o) => o.records);
    const quarantined = storedObjects(s3Mock, 'quarantine-bucket').flatMap((o) => o.records);
    const raw = storedObjects(s3Mock, 'raw-bucket');
    const emf = lastMetrics();
    expect(emf).toMatchObject({
      Pipeline: 'clickstream',
      Stage: 'transform',
      RecordsIn: BODIES.length,
      RecordsOut: curatedLines.length,
      RecordsQuarantined: quarantined.length,
      RecordsDropped: 1,
      DuplicatesSkipped: 1,
      SchemaMismatches: quarantined.filter((r) => r.reason === 'SCHEMA_MISMATCH' || r.reason === 'UNKNOWN_SCHEMA_VERSION').length,
      TransformErrors: quarantined.filter((r) => r.reason === 'TRANSFORM_ERROR' || r.reason === 'INVALID_OUTPUT').length,
      RecordsRetried: 0,
      ClaimChecked: raw.length,
    });
    expect([curatedLines.length, quarantined.length, raw.length]).toEqual([13, 9, 1]);
    // Every input is accounted for exactly once.
    expect(curatedLines.length + quarantined.length + 1 + 1).toBe(BODIES.length);
    const aws = emf._aws as { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string }> }> };
    expect(aws.CloudWatchMetrics[0].Namespace).toBe('ServerlessEtl');
    expect(aws.CloudWatchMetrics[0].Dimensions).toEqual([['Pipeline', 'Stage']]);
    expect(aws.CloudWatchMetrics[0].Metrics.map((m) => m.Name)).toEqual([...COUNT_METRICS, PipelineMetricName.FRESHNESS_LAG_SECONDS]);
    expect((emf.FreshnessLagSeconds as number[]).length).toBe(curatedLines.length);
    // The stream's watermark: the newest event time curated, in a directive with the Source dimension.
    expect(aws.CloudWatchMetrics[1]).toEqual({ Namespace: 'ServerlessEtl', Dimensions: [['Pipeline', 'Stage', 'Source']], Metrics: [{ Name: 'CuratedEventTime', Unit: 'None' }] });
    // Every curated input counts, the claim-checked one (whose curated line is a reference) too.
    const newest = Math.max(...CURATED_LINES.map((i) => Date.parse(String((JSON.parse(SAMPLE[i]) as PipelineRecord).eventTime))));
    expect(emf).toMatchObject({ Source: 'stream', CuratedEventTime: Math.floor(newest / 1000) });
    // The claim-checked line in curated is a reference, not the 300 KB payload.
    expect(curatedLines.find((r) => r.claimCheck)).toMatchObject({ recordId: 'evt-0016', claimCheck: { bucket: 'raw-bucket' } });
  });

  it('writes nothing new to curated or quarantine when the batch is redelivered, and counts the duplicates', async () => {
    fakeS3Store(s3Mock);
    const table = fakeIdempotencyTable(ddbMock, TABLE);
    const event = kinesisEvent(BODIES);
    const handler = storeHandler();

    await handler(event);
    const first = storedObjects(s3Mock);
    const curatedFirst = first.filter((o) => o.bucket === 'curated-bucket').flatMap((o) => o.records).length;
    const quarantinedFirst = first.filter((o) => o.bucket === 'quarantine-bucket').flatMap((o) => o.records).length;
    expect([...table.keys()].filter((id) => !id.startsWith('quarantine#')).sort()).toEqual(
      storedObjects(s3Mock, 'curated-bucket').flatMap((o) => o.records.map((r) => String(r.eventId ?? r.recordId))).sort(),
    );

    metricLines.length = 0;
    const response = await handler(event);

    expect(response).toEqual({ batchItemFailures: [] });
    expect(storedObjects(s3Mock)).toHaveLength(first.length);
    expect(s3Mock.commandCalls(HeadObjectCommand).length).toBeGreaterThan(0);
    expect(ddbMock.commandCalls(BatchGetItemCommand).length).toBeGreaterThan(0);
    expect(lastMetrics()).toMatchObject({
      RecordsIn: BODIES.length,
      RecordsOut: 0,
      RecordsQuarantined: 0,
      RecordsRetried: 0,
      // Every record already curated or quarantined, plus the in-batch duplicate of evt-0003.
      DuplicatesSkipped: curatedFirst + quarantinedFirst + 1,
    });
  });

  it('re-writes a record whose claim points to a curated object that was never written (a stale claim)', async () => {
    const stored = fakeS3Store(s3Mock);
    const table = fakeIdempotencyTable(ddbMock, TABLE);
    table.set('evt-0001', 'clickstream-events/dt=2026-11-24/hr=09/never-written.jsonl.gz');

    const response = await storeHandler()(sqsEvent(SAMPLE.slice(0, 2)));

    expect(response).toEqual({ batchItemFailures: [] });
    const [object] = storedObjects(s3Mock, 'curated-bucket');
    expect(object.records.map((r) => r.eventId)).toEqual(['evt-0001', 'evt-0002']);
    expect(table.get('evt-0001')).toBe(object.key);
    expect(stored.has(`curated-bucket/${object.key}`)).toBe(true);
    expect(ddbMock.commandCalls(PutItemCommand).find((c) => c.args[0].input.Item?.id.S === 'evt-0001')?.args[0].input).toMatchObject({
      ConditionExpression: 'attribute_not_exists(id) OR objectKey = :stale',
    });
  });

  it('claims Kinesis batches with conditional PutItem, like SQS batches (the same id may arrive by both at once)', async () => {
    fakeS3Store(s3Mock);
    fakeIdempotencyTable(ddbMock, TABLE);
    await storeHandler()(kinesisEvent(SAMPLE.slice(0, 3)));
    expect(ddbMock.commandCalls(BatchWriteItemCommand)).toHaveLength(0);
    expect(ddbMock.commandCalls(PutItemCommand)).toHaveLength(3);
    for (const call of ddbMock.commandCalls(PutItemCommand)) expect(call.args[0].input.ConditionExpression).toMatch(/^attribute_not_exists\(id\)/);

    ddbMock.resetHistory();
    await storeHandler()(sqsEvent(SAMPLE.slice(3, 6)));
    expect(ddbMock.commandCalls(BatchWriteItemCommand)).toHaveLength(0);
    expect(ddbMock.commandCalls(PutItemCommand)).toHaveLength(3);
  });

  it('does not lose a record whose claim was stored although the claim call failed', async () => {
    // The conditional PutItem for evt-0002 lands in DynamoDB, but the call fails (a response
    // timeout): the record is reported for retry. Its redelivery must still reach curated.
    fakeS3Store(s3Mock);
    const table = fakeIdempotencyTable(ddbMock, TABLE);
    let failNext = true;
    ddbMock.on(PutItemCommand).callsFake(async (input: { Item: Record<string, { S?: string }> }) => {
      const id = input.Item.id.S as string;
      if (!table.has(id) || table.get(id) === (input as { ExpressionAttributeValues?: Record<string, { S?: string }> }).ExpressionAttributeValues?.[':stale']?.S) {
        table.set(id, input.Item.objectKey.S as string);
      } else {
        throw Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });
      }
      if (id === 'evt-0002' && failNext) {
        failNext = false;
        throw Object.assign(new Error('socket timeout'), { name: 'TimeoutError' });
      }
      return {};
    });
    const handler = storeHandler();

    const event = sqsEvent(SAMPLE.slice(0, 2));
    const first = await handler(event);
    const failedIds = first.batchItemFailures.map((f) => f.itemIdentifier);
    expect(failedIds).toContain('msg-1');

    // SQS redelivers the failed messages, with their message ids.
    const second = await handler({ Records: event.Records.filter((r) => failedIds.includes(r.messageId)) });
    expect(second).toEqual({ batchItemFailures: [] });
    const curatedIds = storedObjects(s3Mock, 'curated-bucket').flatMap((o) => o.records.map((r) => r.eventId));
    // Each record in curated exactly once, whichever object holds it.
    expect([...curatedIds].sort()).toEqual(['evt-0001', 'evt-0002']);
  });
});

describe('createBatchHandler invoked directly by an EventBridge rule', () => {
  const detail = { ...(JSON.parse(SAMPLE[0]) as PipelineRecord), eventId: 'evt-eb-direct' };
  const event = { ...eventBridgeEnvelope(detail, 'eb-direct-1'), 'event-bus-name': 'clickstream-bus' } as unknown as EventBridgeEventInput;

  it('writes the event’s detail and returns no failures', async () => {
    const response = await handlerFor()(event);
    expect(response).toEqual({ batchItemFailures: [] });
    const [object] = storedObjects(s3Mock, 'curated-bucket');
    expect(object.records).toEqual([expect.objectContaining({ eventId: 'evt-eb-direct', host: 'shop.example.com' })]);
    const [lineage] = lineageManifests(s3Mock);
    expect((lineage.manifest.objects as Array<{ inputs: unknown[] }>)[0].inputs).toEqual([
      { recordId: 'evt-eb-direct', source: { kind: 'eventbridge', eventBusName: 'clickstream-bus', eventId: 'eb-direct-1' } },
    ]);
  });

  it('throws when the record could not be stored, so EventBridge retries the event', async () => {
    s3Mock.on(PutObjectCommand).rejects(new Error('SlowDown'));
    await expect(handlerFor()(event)).rejects.toThrow('cdk-serverless-etl runtime: 1 record(s) could not be stored; retrying the event');
    expect(lastMetrics()).toMatchObject({ RecordsIn: 1, RecordsOut: 0, RecordsRetried: 1 });
  });

  it('does not throw for a bad event: it is quarantined', async () => {
    const response = await handlerFor()({ ...event, detail: { ...detail, eventId: undefined } } as EventBridgeEventInput);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(storedObjects(s3Mock, 'quarantine-bucket')[0].records).toEqual([expect.objectContaining({ reason: 'MISSING_ID' })]);
  });
});

describe('createBatchHandler with an s3Object event (a JSON Lines object)', () => {
  const RAW = 'raw-bucket';
  const KEY = 'replay/clickstream/2026-11-24/sample-events.jsonl.gz';
  const LAST_MODIFIED = new Date('2026-11-24T10:42:00.000Z');
  /**
   * The sample file with an empty line after its fifth line and CRLF endings, gzip: SAMPLE[i] is on
   * line i + 1 for i < 5 and on line i + 2 after the empty line.
   */
  const BODY = gzipSync(`${SAMPLE.slice(0, 5).join('\r\n')}\r\n\r\n${SAMPLE.slice(5).join('\r\n')}\r\n`);
  const lineOf = (sampleIndex: number) => (sampleIndex < 5 ? sampleIndex + 1 : sampleIndex + 2);
  const s3Position = (sampleIndex: number) => ({ kind: 's3', bucket: RAW, key: KEY, line: lineOf(sampleIndex), etag: '"etag"' });
  const event = (range: { firstLine?: number; lineCount?: number } = {}) => ({ s3Object: { bucket: RAW, key: KEY, ...range } });

  beforeEach(() => {
    fakeS3Objects(s3Mock, { [`${RAW}/${KEY}`]: BODY }, LAST_MODIFIED);
  });

  it('reads the object and writes its curated records, like a batch of its lines', async () => {
    const response = await handlerFor()(event());

    // S3 inputs also get the batch's counts (a batch workflow acts on them: drift, completion).
    expect(response).toEqual({
      batchItemFailures: [],
      summary: { recordsIn: 18, curated: 13, quarantined: 3, schemaMismatches: 0, dropped: 1, duplicates: 1, retried: 0 },
    });
    expect(s3Mock.commandCalls(GetObjectCommand).map((c) => c.args[0].input)).toEqual([{ Bucket: RAW, Key: KEY }]);
    const curatedObjects = storedObjects(s3Mock, 'curated-bucket');
    expect(curatedObjects).toHaveLength(1);
    const [object] = curatedObjects;
    expect(object.key).toMatch(objectKeyPattern('clickstream-events'));
    expect(object.key.startsWith('clickstream-events/dt=2026-11-24/hr=09/')).toBe(true);
    expect(object.records.map((r) => r.eventId)).toEqual([
      'evt-0001', 'evt-0002', 'evt-0003', 'evt-0004', 'evt-0005', 'evt-0006', 'evt-0007',
      'evt-0008', 'evt-0009', 'evt-0010', 'evt-0011', 'evt-0012', 'evt-0016',
    ]);
    expect(object.records[0]).toMatchObject({ eventId: 'evt-0001', host: 'shop.example.com', path: '/products/1', userKey: sha256('user-101') });
    expect(lastMetrics()).toMatchObject({ RecordsIn: 18, RecordsOut: 13, DuplicatesSkipped: 1, RecordsDropped: 1, RecordsQuarantined: 3 });
  });

  it('advances the batch watermark and publishes no freshness lag (a batch has its deadline SLI, not the streaming one)', async () => {
    await handlerFor()(event());
    const emf = lastMetrics();
    const newest = Math.max(...CURATED_LINES.map((i) => Date.parse(String((JSON.parse(SAMPLE[i]) as PipelineRecord).eventTime))));
    expect(emf).toMatchObject({ Source: 'batch', CuratedEventTime: Math.floor(newest / 1000) });
    expect(emf.FreshnessLagSeconds).toBeUndefined();
  });

  it('quarantines the bad lines with their position: bucket, key and line (1-based, empty lines counted)', async () => {
    await handlerFor()(event());

    const quarantineObjects = storedObjects(s3Mock, 'quarantine-bucket');
    expect(quarantineObjects).toHaveLength(1);
    const [object] = quarantineObjects;
    // Partitioned by receive time: the object's LastModified.
    expect(object.key.startsWith('clickstream-events/dt=2026-11-24/hr=10/')).toBe(true);
    expect(object.records.map((r) => [r.reason, r.source, r.receivedAt])).toEqual([
      ['MALFORMED_JSON', s3Position(MALFORMED_LINE), LAST_MODIFIED.toISOString()],
      ['MISSING_ID', s3Position(MISSING_ID_LINE), LAST_MODIFIED.toISOString()],
      ['TRANSFORM_ERROR', s3Position(DRIFTED_LINE), LAST_MODIFIED.toISOString()],
    ]);
    expect(object.records[0]).toMatchObject({ source: { kind: 's3', bucket: RAW, key: KEY, line: 16 }, input: SAMPLE[MALFORMED_LINE] });
  });

  it('lists every curated input with its s3 position in the lineage manifest', async () => {
    await handlerFor()(event());
    const [lineage] = lineageManifests(s3Mock);
    const inputs = (lineage.manifest.objects as Array<{ inputs: Array<{ recordId: string; source: unknown }> }>)[0].inputs;
    expect(inputs).toEqual(CURATED_LINES.map((i) => ({ recordId: `evt-${String(i < 12 ? i + 1 : 16).padStart(4, '0')}`, source: s3Position(i) })));
  });

  it('processes only the requested range of lines, keeping their line numbers', async () => {
    // Lines 5 to 8: SAMPLE[4], the empty line, SAMPLE[5], SAMPLE[6].
    const response = await handlerFor()(event({ firstLine: 5, lineCount: 4 }));

    expect(response).toMatchObject({ batchItemFailures: [] });
    expect(storedObjects(s3Mock, 'curated-bucket').flatMap((o) => o.records.map((r) => r.eventId))).toEqual(['evt-0005', 'evt-0006', 'evt-0007']);
    const [lineage] = lineageManifests(s3Mock);
    const inputs = (lineage.manifest.objects as Array<{ inputs: Array<{ source: { line: number } }> }>)[0].inputs;
    expect(inputs.map((i) => i.source.line)).toEqual([5, 7, 8]);
    expect(lastMetrics()).toMatchObject({ RecordsIn: 3, RecordsOut: 3 });
  });

  it('reports the lines whose output could not be stored as <key>#<line>', async () => {
    s3Mock.on(PutObjectCommand).callsFake(async (input: { Bucket: string; Key: string }) => {
      if (input.Bucket === 'curated-bucket' && !input.Key.startsWith('_lineage/')) throw new Error('SlowDown');
      return {};
    });

    const response = await handlerFor()(event());

    const retried = [...CURATED_LINES, DUPLICATE_LINE].sort((a, b) => a - b);
    expect(response.batchItemFailures).toEqual(retried.map((i) => ({ itemIdentifier: `${KEY}#${lineOf(i)}` })));
  });

  it('only validates a validate-only range: the schema sample, no writes, no claims, no metrics', async () => {
    const metricsBefore = metricLines.length;
    const response = await handlerFor(clickstream, clickstreamSchemas(), {
      config: testConfig({ idempotencyTable: 'clickstream-idempotency' }),
      hasher: createPiiHasher('k'),
    })({ ...event({ firstLine: 1, lineCount: 100 }), validateOnly: true });

    expect(response.batchItemFailures).toEqual([]);
    expect(response.summary).toBeUndefined();
    expect(response.sample).toMatchObject({ recordsIn: 18, malformed: 2 });
    expect(response.sample?.schemaMismatches).toBeGreaterThan(0);
    expect(response.sample?.driftRate).toBeCloseTo((response.sample?.schemaMismatches ?? 0) / 18);
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(ddbMock.calls()).toHaveLength(0);
    expect(metricLines.length).toBe(metricsBefore);
  });

  it('fails the invocation when the object cannot be read, writing nothing', async () => {
    await expect(handlerFor()({ s3Object: { bucket: RAW, key: 'replay/missing.jsonl' } })).rejects.toThrow('The specified key does not exist.');
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('two ranges of one file processed at once, sharing ids, store each id once and both succeed (no livelock)', async () => {
    const TABLE = 'clickstream-idempotency';
    const line = (id: string, n: number) => JSON.stringify({ eventId: id, eventTime: '2026-11-24T09:00:00.000Z', eventType: 'click', userId: `u${n}`, sessionId: 's', page: { url: 'https://shop.example.com/' } });
    // Range 1 is X, W; range 2 is W, X again (a producer's duplicates, far apart in the file).
    const key = 'batch/dupes.jsonl';
    fakeS3Store(s3Mock);
    fakeS3Objects(s3Mock, { [`${RAW}/${key}`]: [line('X', 1), line('W', 2), line('W', 3), line('X', 4)].join('\n') }, LAST_MODIFIED);
    fakeIdempotencyTable(ddbMock, TABLE);
    const handler = handlerFor(clickstream, undefined, {
      config: testConfig({ idempotencyTable: TABLE }),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms / 100)),
    });
    const range = (firstLine: number) => ({ s3Object: { bucket: RAW, key, firstLine, lineCount: 2 } });

    const [a, b] = await Promise.all([handler(range(1)), handler(range(3))]);

    expect(a.batchItemFailures).toEqual([]);
    expect(b.batchItemFailures).toEqual([]);
    const curatedIds = storedObjects(s3Mock, 'curated-bucket').flatMap((o) => o.records.map((r) => r.eventId));
    expect(curatedIds.sort()).toEqual(['W', 'X']);
    expect((a.summary?.curated ?? 0) + (b.summary?.curated ?? 0)).toBe(2);
    expect((a.summary?.duplicates ?? 0) + (b.summary?.duplicates ?? 0)).toBe(2);
  });

  it('claims the lines in the idempotency store and skips them when the object is processed again', async () => {
    const TABLE = 'clickstream-idempotency';
    fakeS3Store(s3Mock);
    fakeS3Objects(s3Mock, { [`${RAW}/${KEY}`]: BODY }, LAST_MODIFIED);
    const table = fakeIdempotencyTable(ddbMock, TABLE);
    const handler = handlerFor(clickstream, undefined, { config: testConfig({ idempotencyTable: TABLE }) });

    const firstRun = await handler(event());
    expect(firstRun).toMatchObject({ batchItemFailures: [] });
    const first = storedObjects(s3Mock).length;
    expect(table.get('evt-0001')).toBe(storedObjects(s3Mock, 'curated-bucket')[0].key);
    metricLines.length = 0;

    const secondRun = await handler(event());
    expect(secondRun).toMatchObject({ batchItemFailures: [] });
    expect(storedObjects(s3Mock)).toHaveLength(first);
    // The metrics count this invocation's work: nothing new, everything skipped.
    expect(lastMetrics()).toMatchObject({ RecordsIn: 18, RecordsOut: 0, RecordsQuarantined: 0, DuplicatesSkipped: 13 + 3 + 1 });
    // The summary says where the range's records are: the same whichever delivery reports it
    // (a Map Run retried re-runs ranges that succeeded; its counts must not turn into duplicates).
    expect(secondRun.summary).toEqual(firstRun.summary);
    expect(secondRun.summary).toEqual({ recordsIn: 18, curated: 13, quarantined: 3, schemaMismatches: 0, dropped: 1, duplicates: 1, retried: 0 });
  });

  it('a new upload under the same key is another input: its records already curated are duplicates, its bad lines are quarantined anew', async () => {
    const TABLE = 'clickstream-idempotency';
    fakeS3Store(s3Mock);
    fakeS3Objects(s3Mock, { [`${RAW}/${KEY}`]: BODY }, LAST_MODIFIED, '"v1"');
    fakeIdempotencyTable(ddbMock, TABLE);
    const handler = handlerFor(clickstream, undefined, { config: testConfig({ idempotencyTable: TABLE }) });
    expect((await handler(event())).summary).toMatchObject({ curated: 13, quarantined: 3, duplicates: 1 });
    const quarantineObjects = storedObjects(s3Mock, 'quarantine-bucket').length;

    fakeS3Objects(s3Mock, { [`${RAW}/${KEY}`]: BODY }, LAST_MODIFIED, '"v2"');
    const reupload = await handler(event());

    expect(reupload.summary).toEqual({ recordsIn: 18, curated: 0, quarantined: 3, schemaMismatches: 0, dropped: 1, duplicates: 14, retried: 0 });
    expect(storedObjects(s3Mock, 'quarantine-bucket').length).toBeGreaterThan(quarantineObjects);
  });
});

describe('createBatchHandler with a DynamoDB sink table', () => {
  const SINK = 'clickstream-events-table';
  const sinkConfig = testConfig({ sinkTable: SINK, sinkTableKey: 'eventKey' });
  const RAW = 'raw-bucket';
  const KEY = 'replay/sample-events.jsonl';

  const sinkPuts = () =>
    ddbMock
      .commandCalls(PutItemCommand)
      .map((c) => c.args[0].input)
      .filter((input) => input.TableName === SINK);

  beforeEach(() => {
    fakeS3Objects(s3Mock, { [`${RAW}/${KEY}`]: `${SAMPLE.join('\n')}\n` }, new Date('2026-11-24T10:42:00.000Z'));
  });

  it('puts each curated record into the table, keyed by its record id, before the curated object is written', async () => {
    const order: string[] = [];
    ddbMock.on(PutItemCommand).callsFake(async (input: { Item: Record<string, AttributeValue> }) => {
      order.push(`item ${input.Item.eventKey.S}`);
      return {};
    });
    s3Mock.on(PutObjectCommand).callsFake(async (input: { Bucket: string; Key: string }) => {
      order.push(input.Key.startsWith('_lineage/') ? 'lineage' : `object ${input.Bucket}`);
      return {};
    });

    const response = await handlerFor(clickstream, undefined, { config: sinkConfig })({ s3Object: { bucket: RAW, key: KEY } });

    expect(response).toMatchObject({ batchItemFailures: [] });
    const [object] = storedObjects(s3Mock, 'curated-bucket');
    const puts = sinkPuts();
    expect(puts).toHaveLength(13);
    expect(puts.map((p) => p.Item?.eventKey.S).sort()).toEqual(object.records.map((r) => String(r.eventId)).sort());
    for (const put of puts) {
      expect(put).toMatchObject({ TableName: SINK, ConditionExpression: 'attribute_not_exists(#k)', ExpressionAttributeNames: { '#k': 'eventKey' } });
    }
    // Each item holds the curated record, the same values as the curated line.
    const byId = new Map(puts.map((p) => [p.Item?.eventKey.S as string, p.Item as Record<string, AttributeValue>]));
    for (const record of object.records) {
      const { eventKey, ...rest } = unmarshallItem(byId.get(String(record.eventId)));
      expect(eventKey).toBe(record.eventId);
      expect(rest).toEqual(record);
    }
    // Every item before the curated object (the commit marker).
    const objectAt = order.indexOf('object curated-bucket');
    expect(objectAt).toBeGreaterThan(-1);
    expect(order.slice(0, objectAt).filter((o) => o.startsWith('item '))).toHaveLength(13);
    expect(order.slice(objectAt).some((o) => o.startsWith('item '))).toBe(false);
    // Nothing of the quarantined, dropped or duplicate records reaches the table.
    const putIds = puts.map((p) => p.Item?.eventKey.S);
    for (const id of ['evt-0013', 'evt-0015']) expect(putIds).not.toContain(id);
    expect(new Set(putIds).size).toBe(putIds.length);
  });

  it('puts the curated records of a Kinesis batch into the table too', async () => {
    const table = fakeSinkTable(ddbMock, SINK, 'eventKey');
    const response = await handlerFor(clickstream, undefined, { config: sinkConfig })(kinesisEvent(SAMPLE.slice(0, 4)));
    expect(response).toMatchObject({ batchItemFailures: [] });
    expect([...table.keys()].sort()).toEqual(['evt-0001', 'evt-0002', 'evt-0003', 'evt-0004']);
  });

  it('gives fan-out records the ids <id>, <id>#1, …', async () => {
    const table = fakeSinkTable(ddbMock, SINK, 'eventKey');
    const fanOut: TransformModule = { transform: (r) => [{ eventId: r.eventId, part: 0 }, { eventId: r.eventId, part: 1 }, { eventId: r.eventId, part: 2 }] };

    await handlerFor(fanOut, undefined, { config: sinkConfig })(sqsEvent(SAMPLE.slice(0, 2)));

    expect([...table.keys()].sort()).toEqual(['evt-0001', 'evt-0001#1', 'evt-0001#2', 'evt-0002', 'evt-0002#1', 'evt-0002#2']);
    expect(unmarshallItem(table.get('evt-0002#2'))).toEqual({ eventKey: 'evt-0002#2', eventId: 'evt-0002', part: 2 });
  });

  it('counts items already in the table as written (a redelivery), and writes the curated object', async () => {
    const table = fakeSinkTable(ddbMock, SINK, 'eventKey');
    const handler = handlerFor(clickstream, undefined, { config: sinkConfig });
    await handler(sqsEvent(SAMPLE.slice(0, 3)));
    const before = new Map(table);

    const response = await handler(sqsEvent(SAMPLE.slice(0, 3)));

    expect(response).toMatchObject({ batchItemFailures: [] });
    expect(storedObjects(s3Mock, 'curated-bucket')).toHaveLength(2);
    expect(table).toEqual(before);
  });

  it('does not write the curated object when an item could not be put, and retries all of its records', async () => {
    ddbMock.on(PutItemCommand).callsFake(async (input: { Item: Record<string, AttributeValue> }) => {
      if (input.Item.eventKey.S === 'evt-0002') throw Object.assign(new Error('Rate exceeded'), { name: 'ProvisionedThroughputExceededException' });
      return {};
    });

    const response = await handlerFor(clickstream, undefined, { config: sinkConfig })(sqsEvent(SAMPLE.slice(0, 4)));

    expect(response.batchItemFailures).toEqual(['msg-0', 'msg-1', 'msg-2', 'msg-3'].map((itemIdentifier) => ({ itemIdentifier })));
    expect(storedObjects(s3Mock, 'curated-bucket')).toEqual([]);
    expect(lastMetrics()).toMatchObject({ RecordsOut: 0, RecordsRetried: 4 });
  });

  it('writes to the sink table and claims in the idempotency table, each with its own key', async () => {
    const TABLE = 'clickstream-idempotency';
    fakeS3Store(s3Mock);
    fakeS3Objects(s3Mock, { [`${RAW}/${KEY}`]: `${SAMPLE.slice(0, 3).join('\n')}\n` });
    const claims = fakeIdempotencyTable(ddbMock, TABLE);
    const table = fakeSinkTable(ddbMock, SINK, 'eventKey');
    const handler = handlerFor(clickstream, undefined, { config: { ...sinkConfig, idempotencyTable: TABLE } });

    const response = await handler({ s3Object: { bucket: RAW, key: KEY } });

    expect(response).toMatchObject({ batchItemFailures: [] });
    const [object] = storedObjects(s3Mock, 'curated-bucket');
    expect([...claims.entries()]).toEqual(['evt-0001', 'evt-0002', 'evt-0003'].map((id) => [id, object.key]));
    expect([...table.keys()].sort()).toEqual(['evt-0001', 'evt-0002', 'evt-0003']);
    expect(ddbMock.commandCalls(PutItemCommand).filter((c) => c.args[0].input.TableName === SINK)).toHaveLength(3);
  });

  it('makes no DynamoDB call without a sink table (and no idempotency table)', async () => {
    await handlerFor()(sqsEvent(SAMPLE.slice(0, 3)));
    expect(ddbMock.calls()).toHaveLength(0);
  });

  it('writes the same values to the table as to the curated line, also for values JSON turns into text (a Date)', async () => {
    // The curated line is JSON.stringify(record): a Date becomes its ISO string. The table item of
    // the same record must hold the same value, not an empty map.
    const table = fakeSinkTable(ddbMock, SINK, 'eventKey');
    const withDate: TransformModule = {
      transform: (r) => ({ eventId: r.eventId, processedAt: new Date('2026-11-24T11:00:00.000Z'), nested: { at: new Date('2026-11-24T11:30:00.000Z') } }),
    };

    await handlerFor(withDate, undefined, { config: sinkConfig })(sqsEvent(SAMPLE.slice(0, 1)));

    const [object] = storedObjects(s3Mock, 'curated-bucket');
    expect(object.records).toEqual([{ eventId: 'evt-0001', processedAt: '2026-11-24T11:00:00.000Z', nested: { at: '2026-11-24T11:30:00.000Z' } }]);
    const { eventKey: _key, ...item } = unmarshallItem(table.get('evt-0001'));
    expect(item).toEqual(object.records[0]);
  });
});

describe('createBatchHandler with a record version field and the idempotency store', () => {
  const TABLE = 'versioned-idempotency';
  const versionedConfig = testConfig({ idempotencyTable: TABLE, recordVersionField: 'revision' });
  const echo: TransformModule = { transform: (r) => ({ eventId: r.eventId, revision: r.revision ?? null, value: r.value }) };
  const body = (id: string, revision: number | undefined, value: string) => JSON.stringify({ eventId: id, eventTime: '2026-11-24T09:30:00Z', revision, value });

  it('curates a newer version of a curated id, and skips a redelivered version (old or new) as a duplicate', async () => {
    fakeS3Store(s3Mock);
    const table = fakeIdempotencyTable(ddbMock, TABLE);
    const handler = handlerFor(echo, undefined, { config: versionedConfig });

    await handler(kinesisEvent([body('evt-a', 1, 'first'), body('evt-b', undefined, 'unversioned')]));
    metricLines.length = 0;
    await handler(kinesisEvent([body('evt-a', 2, 'second'), body('evt-a', 1, 'first again'), body('evt-b', undefined, 'unversioned again')], 1_800_000_000));

    const values = storedObjects(s3Mock, 'curated-bucket').flatMap((o) => o.records.map((r) => `${String(r.eventId)}@${String(r.revision)}=${String(r.value)}`));
    expect(values.sort()).toEqual(['evt-a@1=first', 'evt-a@2=second', 'evt-b@null=unversioned']);
    expect([...table.keys()].sort()).toEqual(['evt-a#1', 'evt-a#2', 'evt-b']);
    expect(lastMetrics()).toMatchObject({ RecordsIn: 3, RecordsOut: 1, DuplicatesSkipped: 2 });
  });
});
