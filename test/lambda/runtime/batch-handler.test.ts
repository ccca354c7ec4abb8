import { createHash } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import type { KinesisStreamEvent, SQSEvent } from 'aws-lambda';
import * as clickstreamTransform from '../../../examples/clickstream/transform';
import { ENV } from '../../../lambda/runtime/config';
import { createBatchHandler } from '../../../lambda/runtime/batch-handler';
import type { PipelineRecord, TransformModule } from '../../../lambda/runtime/transform-contract';
import {
  deepKeys,
  eventBridgeEnvelope,
  kinesisEvent,
  objectKeyPattern,
  sampleEventLines,
  sequenceNumber,
  SHARD_ID,
  sqsEvent,
  storedObjects,
  STREAM_ARN,
  testConfig,
} from '../support/fixtures';

// The reference transform returns `CuratedClickstreamEvent`, an interface, which TypeScript does not
// accept as the contract's `PipelineRecord` (`Record<string, unknown>`): hence the cast. At run time
// it is exactly what the bundled handler receives, the module namespace object.
const clickstream = clickstreamTransform as unknown as TransformModule;

const s3Mock = mockClient(S3Client);
const config = testConfig();
const logger = new Logger({ serviceName: 'clickstream-test', logLevel: 'SILENT' });

function handlerFor(module: TransformModule = clickstream) {
  return createBatchHandler(module, { s3: new S3Client({ region: 'us-east-1' }), config, logger });
}

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/** Sample events by line: 12 valid, duplicate evt-0003, bot, malformed, drifted, oversize, no eventId. */
const SAMPLE = sampleEventLines();
const CURATED_LINES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 16];
const BOT_LINE = 13;
const MALFORMED_LINE = 14;
const DRIFTED_LINE = 15;
const MISSING_ID_LINE = 17;

beforeEach(() => {
  s3Mock.reset();
  s3Mock.on(PutObjectCommand).resolves({});
});

afterAll(() => s3Mock.restore());

describe('createBatchHandler', () => {
  it.each([
    ['an empty module', {}],
    ['a non-function transform', { transform: 'not a function' }],
    ['a default export only', { default: { transform: () => null } }],
    ['undefined', undefined],
  ])('rejects %s with a clear error', (_label, module) => {
    expect(() => createBatchHandler(module as unknown as TransformModule, { config, logger })).toThrow(
      'cdk-serverless-etl runtime: the transform module must export a function named "transform"',
    );
  });

  it('reads its config from the environment when none is given, naming what is missing', () => {
    const saved = Object.fromEntries(Object.values(ENV).map((name) => [name, process.env[name]]));
    try {
      for (const name of Object.values(ENV)) delete process.env[name];
      expect(() => createBatchHandler(clickstream, { s3: new S3Client({ region: 'us-east-1' }), logger })).toThrow(
        /missing environment variables PIPELINE_NAME, CURATED_BUCKET, QUARANTINE_BUCKET/,
      );
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it('fails the invocation clearly for an event that is not a batch', async () => {
    await expect(handlerFor()({} as SQSEvent)).rejects.toThrow(/no Records array/);
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
      expect(object.metadata).toMatchObject({ 'record-count': '14', 'input-count': '14', 'transform-version': 'v-test' });
      // The duplicate evt-0003 is a distinct input and is written again; the bot event evt-0013 is dropped.
      expect(object.records.map((r) => r.eventId)).toEqual([
        'evt-0001', 'evt-0002', 'evt-0003', 'evt-0004', 'evt-0005', 'evt-0006', 'evt-0007',
        'evt-0008', 'evt-0009', 'evt-0010', 'evt-0011', 'evt-0012', 'evt-0003', 'evt-0016',
      ]);
    });

    it('curates the transform output: host, path, conversion flag, hashed user key', async () => {
      await handlerFor()(event);
      const [object] = storedObjects(s3Mock, 'curated-bucket');

      expect(object.records[0]).toEqual({
        eventId: 'evt-0001',
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

    it('quarantines the malformed, schema-drifted and id-less records in one object, in input order', async () => {
      await handlerFor()(event);

      const quarantineObjects = storedObjects(s3Mock, 'quarantine-bucket');
      expect(quarantineObjects).toHaveLength(1);
      const [object] = quarantineObjects;
      expect(object.key).toMatch(objectKeyPattern('clickstream-events'));
      // Quarantine is partitioned by arrival time (2026-11-24T10:00Z in the fixtures).
      expect(object.key.startsWith('clickstream-events/dt=2026-11-24/hr=10/')).toBe(true);
      expect(object.records.map((r) => [r.reason, r.recordId, (r.source as { sequenceNumber: string }).sequenceNumber])).toEqual([
        ['MALFORMED_JSON', undefined, sequenceNumber(MALFORMED_LINE)],
        ['TRANSFORM_ERROR', 'evt-0015', sequenceNumber(DRIFTED_LINE)],
        ['MISSING_ID', undefined, sequenceNumber(MISSING_ID_LINE)],
      ]);
      expect(object.records[0]).toMatchObject({ input: SAMPLE[MALFORMED_LINE], pipeline: 'clickstream', stage: 'transform' });
      expect(object.records[1]).toMatchObject({
        error: 'TypeError: page.url must be a string',
        input: inputs[DRIFTED_LINE],
        source: { kind: 'kinesis', streamArn: STREAM_ARN, shardId: SHARD_ID, sequenceNumber: sequenceNumber(DRIFTED_LINE) },
      });
      expect(object.records[2]).toMatchObject({ error: 'field "eventId" must be a non-empty string or a number', input: inputs[MISSING_ID_LINE] });
    });

    it('writes the same objects again when the batch is retried', async () => {
      await handlerFor()(event);
      await handlerFor()(event);
      const keys = storedObjects(s3Mock).map((o) => `${o.bucket}/${o.key}`);
      expect(keys).toHaveLength(4);
      expect(new Set(keys).size).toBe(2);
    });

    it('reports exactly the curated items, in input order, when the curated PutObject fails', async () => {
      s3Mock.on(PutObjectCommand, { Bucket: 'curated-bucket' }).rejects(new Error('SlowDown'));

      const response = await handlerFor()(event);

      expect(response.batchItemFailures).toEqual(CURATED_LINES.map((line) => ({ itemIdentifier: sequenceNumber(line) })));
      // The quarantine write still happened.
      expect(storedObjects(s3Mock, 'quarantine-bucket')).toHaveLength(1);
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
