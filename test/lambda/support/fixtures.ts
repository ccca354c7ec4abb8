/**
 * Shared builders for the Lambda runtime tests: configs, Kinesis and SQS events, and readers of
 * what a mocked S3 client was asked to store.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { DynamoDBClientResolvedConfig, ServiceInputTypes as DynamoDBInputTypes, ServiceOutputTypes as DynamoDBOutputTypes } from '@aws-sdk/client-dynamodb';
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  PutItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import {
  GetObjectCommand,
  HeadObjectCommand,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  type GetObjectCommandOutput,
  type S3ClientResolvedConfig,
  type ServiceInputTypes,
  type ServiceOutputTypes,
} from '@aws-sdk/client-s3';
import type { AwsStub } from 'aws-sdk-client-mock';
import type { KinesisStreamEvent, KinesisStreamRecord, SQSEvent, SQSRecord } from 'aws-lambda';
import type { RuntimeConfig } from '../../../lambda/runtime/config';
import { RUNTIME_DEFAULTS } from '../../../lib/contract/environment';
import type { CompiledValidator, SchemaBundle } from '../../../lambda/runtime/schema-validation';

// Keep test output quiet: the SDK warns on every new process that Node 20 support ends in 2027.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export const PROJECT_ROOT = path.resolve(__dirname, '..', '..', '..');
export const CLICKSTREAM_DIR = path.join(PROJECT_ROOT, 'examples', 'clickstream');

export const STREAM_ARN = 'arn:aws:kinesis:us-east-1:123456789012:stream/clickstream';
export const QUEUE_ARN = 'arn:aws:sqs:us-east-1:123456789012:clickstream-buffer';
export const SHARD_ID = 'shardId-000000000000';

/** 2026-11-24T10:00:00Z in epoch seconds: the default arrival time of test records. */
export const ARRIVAL_SECONDS = 1795514400;

/** A complete runtime config with recognisable values. */
export function testConfig(overrides: Partial<RuntimeConfig> = {}): RuntimeConfig {
  return {
    pipeline: 'clickstream',
    stage: 'transform',
    curatedBucket: 'curated-bucket',
    quarantineBucket: 'quarantine-bucket',
    dataset: 'clickstream-events',
    idField: 'eventId',
    eventTimeField: 'eventTime',
    transformVersion: 'v-test',
    idempotencyTtlSeconds: RUNTIME_DEFAULTS.idempotencyTtlSeconds,
    maxRecordBytes: RUNTIME_DEFAULTS.maxRecordBytes,
    sinkTableKey: 'id',
    claimInFlightSeconds: 900,
    functionTimeoutSeconds: 60,
    ...overrides,
  };
}

/** A Kinesis sequence number of the usual 56-digit shape, unique per index. */
export function sequenceNumber(index: number): string {
  return `4959033827149025660855969253836157109592157598913658${String(8800 + index).padStart(4, '0')}`;
}

export interface KinesisRecordOptions {
  readonly sequenceNumber?: string;
  readonly shardId?: string;
  /** Arrival time in epoch seconds (what Kinesis sends). */
  readonly approximateArrivalTimestamp?: number;
}

export function kinesisRecord(body: string, options: KinesisRecordOptions = {}): KinesisStreamRecord {
  const seq = options.sequenceNumber ?? sequenceNumber(0);
  const shardId = options.shardId ?? SHARD_ID;
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: 'pk',
      sequenceNumber: seq,
      data: Buffer.from(body, 'utf8').toString('base64'),
      approximateArrivalTimestamp: options.approximateArrivalTimestamp ?? ARRIVAL_SECONDS + 0.123,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${shardId}:${seq}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn:aws:iam::123456789012:role/transform',
    awsRegion: 'us-east-1',
    eventSourceARN: STREAM_ARN,
  };
}

/** A Kinesis batch with one record per body, sequence numbers in increasing order. */
export function kinesisEvent(bodies: string[], arrivalSeconds = ARRIVAL_SECONDS + 0.5): KinesisStreamEvent {
  return {
    Records: bodies.map((body, i) =>
      kinesisRecord(body, { sequenceNumber: sequenceNumber(i), approximateArrivalTimestamp: arrivalSeconds + i }),
    ),
  };
}

export interface SqsRecordOptions {
  readonly messageId?: string;
  /** Epoch milliseconds, as SQS sends them (a string); null leaves the attribute out. */
  readonly sentTimestamp?: number | null;
}

export function sqsRecord(body: string, options: SqsRecordOptions = {}): SQSRecord {
  const sent = options.sentTimestamp === undefined ? ARRIVAL_SECONDS * 1000 + 123 : options.sentTimestamp;
  const attributes: Record<string, string> = {
    ApproximateReceiveCount: '1',
    SenderId: 'AIDAEXAMPLE',
    ApproximateFirstReceiveTimestamp: String((sent ?? ARRIVAL_SECONDS * 1000) + 5),
  };
  if (sent !== null) attributes.SentTimestamp = String(sent);
  return {
    messageId: options.messageId ?? '059f36b4-87a3-44ab-83d2-661975830a7d',
    receiptHandle: 'AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a',
    body,
    attributes: attributes as unknown as SQSRecord['attributes'],
    messageAttributes: {},
    md5OfBody: '7b270e59b47ff90a553787216d55d91d',
    eventSource: 'aws:sqs',
    eventSourceARN: QUEUE_ARN,
    awsRegion: 'us-east-1',
  };
}

/** An SQS batch with one message per body, message ids `msg-0`, `msg-1`, … */
export function sqsEvent(bodies: string[], sentTimestamp = ARRIVAL_SECONDS * 1000 + 123): SQSEvent {
  return { Records: bodies.map((body, i) => sqsRecord(body, { messageId: `msg-${i}`, sentTimestamp: sentTimestamp + i })) };
}

/** An EventBridge event, as an EventBridge rule delivers it to an SQS buffer queue. */
export function eventBridgeEnvelope(detail: unknown, id = '6a7e8feb-b491-4cf7-a9f1-bf3703467718'): Record<string, unknown> {
  return {
    version: '0',
    id,
    'detail-type': 'ClickstreamEvent',
    source: 'com.example.storefront',
    account: '123456789012',
    time: '2026-11-24T10:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail,
  };
}

/** The lines of examples/clickstream/sample-events.jsonl (without the trailing empty line). */
export function sampleEventLines(): string[] {
  return readFileSync(path.join(CLICKSTREAM_DIR, 'sample-events.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.length > 0);
}

/** Splits a JSON Lines document into its lines; an empty document has none. */
export function jsonLines(text: string): string[] {
  if (text === '') return [];
  return text.replace(/\n$/, '').split('\n');
}

/** One PutObject the mocked client received, with its body decompressed. */
export interface StoredObject {
  readonly bucket: string;
  readonly key: string;
  readonly text: string;
  readonly lines: string[];
  readonly records: Array<Record<string, unknown>>;
  readonly metadata: Record<string, string>;
  readonly contentType?: string;
  readonly contentEncoding?: string;
}

/** What `mockClient(S3Client)` returns. */
export type S3Mock = AwsStub<ServiceInputTypes, ServiceOutputTypes, S3ClientResolvedConfig>;

/** What `mockClient(DynamoDBClient)` returns. */
export type DynamoDBMock = AwsStub<DynamoDBInputTypes, DynamoDBOutputTypes, DynamoDBClientResolvedConfig>;

/** The body of a PutObject as text: gunzipped when it was sent with `ContentEncoding: gzip`. */
export function bodyText(input: { Body?: unknown; ContentEncoding?: string }): string {
  const body = input.Body;
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body as Uint8Array);
  return input.ContentEncoding === 'gzip' ? gunzipSync(bytes).toString('utf8') : bytes.toString('utf8');
}

/** Every PutObject the mock received, in call order, lineage manifests and claim-checks included. */
export function allStoredObjects(s3Mock: S3Mock): StoredObject[] {
  return s3Mock
    .commandCalls(PutObjectCommand)
    .map((call) => call.args[0].input)
    .map((input) => {
      const text = bodyText(input);
      const lines = jsonLines(text);
      return {
        bucket: input.Bucket as string,
        key: input.Key as string,
        text,
        lines,
        records: lines.map((line) => JSON.parse(line) as Record<string, unknown>),
        metadata: (input.Metadata ?? {}) as Record<string, string>,
        contentType: input.ContentType,
        contentEncoding: input.ContentEncoding,
      };
    });
}

/** The data objects (not the `_lineage/` manifests) the mock received, in call order, decompressed and parsed. */
export function storedObjects(s3Mock: S3Mock, bucket?: string): StoredObject[] {
  return allStoredObjects(s3Mock).filter((o) => (bucket === undefined || o.bucket === bucket) && !o.key.startsWith('_lineage/'));
}

/** The lineage manifests the mock received, in call order. */
export function lineageManifests(s3Mock: S3Mock): Array<StoredObject & { manifest: Record<string, unknown> }> {
  return allStoredObjects(s3Mock)
    .filter((o) => o.key.startsWith('_lineage/'))
    .map((o) => ({ ...o, manifest: JSON.parse(o.text) as Record<string, unknown> }));
}

/**
 * Makes the mocked S3 behave like a bucket store: PutObject stores the key, HeadObject finds a
 * stored key and fails with `NotFound` otherwise. Returns the stored keys (`bucket/key`).
 */
export function fakeS3Store(s3Mock: S3Mock): Set<string> {
  const stored = new Set<string>();
  s3Mock.on(PutObjectCommand).callsFake(async (input: { Bucket: string; Key: string }) => {
    stored.add(`${input.Bucket}/${input.Key}`);
    return {};
  });
  s3Mock.on(HeadObjectCommand).callsFake(async (input: { Bucket: string; Key: string }) => {
    if (stored.has(`${input.Bucket}/${input.Key}`)) return { ContentLength: 1 };
    throw new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } });
  });
  return stored;
}

/** A GetObject response body as the SDK returns it (only the byte reader is used by the runtime). */
export function objectBody(content: string | Uint8Array): GetObjectCommandOutput['Body'] {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content);
  return {
    transformToByteArray: async () => new Uint8Array(bytes),
    transformToString: async (encoding?: BufferEncoding) => bytes.toString(encoding ?? 'utf8'),
  } as unknown as GetObjectCommandOutput['Body'];
}

/**
 * Makes the mocked S3 serve objects to GetObject (`bucket/key` → content), with `LastModified`
 * and ETag `etag` (default `"etag"`); honours `Range: bytes=a-b` and `If-Match` (412 on another ETag) like S3.
 * Any other key fails with `NoSuchKey`.
 */
export function fakeS3Objects(s3Mock: S3Mock, objects: Record<string, string | Uint8Array>, lastModified?: Date, etag = '"etag"'): void {
  s3Mock.on(GetObjectCommand).callsFake(async (input: { Bucket: string; Key: string; Range?: string; IfMatch?: string }) => {
    const content = objects[`${input.Bucket}/${input.Key}`];
    if (content === undefined) throw new NoSuchKey({ message: 'The specified key does not exist.', $metadata: { httpStatusCode: 404 } });
    return servedObject(Buffer.from(content), input, lastModified, etag);
  });
}

/** A GetObject answer for `bytes` as S3 gives it: ranged, conditional, with ETag `etag` (default `"etag"`). */
export function servedObject(bytes: Buffer, input: { Range?: string; IfMatch?: string }, lastModified?: Date, etag = '"etag"') {
  if (input.IfMatch !== undefined && input.IfMatch !== etag) {
    throw Object.assign(new Error('At least one of the pre-conditions you specified did not hold'), {
      name: 'PreconditionFailed',
      $metadata: { httpStatusCode: 412 },
    });
  }
  const range = /^bytes=(\d+)-(\d+)$/.exec(input.Range ?? '');
  const body = range ? bytes.subarray(Number(range[1]), Number(range[2]) + 1) : bytes;
  return { Body: objectBody(body), LastModified: lastModified, ContentLength: body.length, ETag: etag };
}

/**
 * Makes the mocked DynamoDB behave like the idempotency table (BatchGetItem, BatchWriteItem,
 * conditional PutItem). Returns the table: record id → object key.
 */
export function fakeIdempotencyTable(ddbMock: DynamoDBMock, table: string): Map<string, string> {
  const items = new Map<string, string>();
  // Whole items as written (claims carry their input's position and time), by id.
  const stored = new Map<string, Record<string, AttributeValue>>();
  const toItem = (id: string) => stored.get(id) ?? { id: { S: id }, objectKey: { S: items.get(id) as string } };
  ddbMock.on(BatchGetItemCommand).callsFake(async (input: { RequestItems: Record<string, { Keys: Array<Record<string, AttributeValue>> }> }) => {
    const ids = input.RequestItems[table].Keys.map((k) => k.id.S as string);
    return { Responses: { [table]: ids.filter((id) => items.has(id)).map(toItem) }, UnprocessedKeys: {} };
  });
  ddbMock.on(BatchWriteItemCommand).callsFake(
    async (input: { RequestItems: Record<string, Array<{ PutRequest: { Item: Record<string, AttributeValue> } }>> }) => {
      for (const r of input.RequestItems[table]) {
        items.set(r.PutRequest.Item.id.S as string, r.PutRequest.Item.objectKey.S as string);
        stored.set(r.PutRequest.Item.id.S as string, r.PutRequest.Item);
      }
      return { UnprocessedItems: {} };
    },
  );
  ddbMock.on(PutItemCommand).callsFake(
    async (input: { Item: Record<string, AttributeValue>; ConditionExpression?: string; ExpressionAttributeValues?: Record<string, AttributeValue> }) => {
      const id = input.Item.id.S as string;
      const existing = items.get(id);
      const stale = input.ExpressionAttributeValues?.[':stale']?.S;
      if (existing !== undefined && !(stale !== undefined && existing === stale)) {
        throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: { httpStatusCode: 400 } });
      }
      items.set(id, input.Item.objectKey.S as string);
      stored.set(id, input.Item);
      return {};
    },
  );
  return items;
}

/**
 * Makes the mocked DynamoDB behave like a sink table for PutItem calls naming `table`: a put
 * conditional on `attribute_not_exists` of the key fails with ConditionalCheckFailedException when
 * the key is already there. Register it after {@link fakeIdempotencyTable}: it only answers calls
 * for its own table. Returns the table: key value → item.
 */
export function fakeSinkTable(ddbMock: DynamoDBMock, table: string, key: string): Map<string, Record<string, AttributeValue>> {
  const items = new Map<string, Record<string, AttributeValue>>();
  ddbMock.on(PutItemCommand, { TableName: table }).callsFake(
    async (input: { Item: Record<string, AttributeValue>; ConditionExpression?: string; ExpressionAttributeNames?: Record<string, string> }) => {
      const id = input.Item[key]?.S;
      if (id === undefined) throw Object.assign(new Error(`One or more parameter values were invalid: Missing the key ${key} in the item`), { name: 'ValidationException' });
      const conditional = input.ConditionExpression === 'attribute_not_exists(#k)' && input.ExpressionAttributeNames?.['#k'] === key;
      if (conditional && items.has(id)) {
        throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: { httpStatusCode: 400 } });
      }
      items.set(id, input.Item);
      return {};
    },
  );
  return items;
}

/** A DynamoDB attribute value as the JSON value it holds (S, N, BOOL, NULL, L, M). */
export function unmarshallValue(value: AttributeValue): unknown {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return Number(value.N);
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.NULL) return null;
  if (value.L) return value.L.map(unmarshallValue);
  if (value.M) return Object.fromEntries(Object.entries(value.M).map(([k, v]) => [k, unmarshallValue(v)]));
  throw new Error(`unsupported attribute value ${JSON.stringify(value)}`);
}

/** A DynamoDB item as the JSON object it holds; fails for a missing item. */
export function unmarshallItem(item: Record<string, AttributeValue> | undefined): Record<string, unknown> {
  if (item === undefined) throw new Error('no such item');
  return Object.fromEntries(Object.entries(item).map(([k, v]) => [k, unmarshallValue(v)]));
}

/**
 * A hand-written validator shaped like the ones ajv's standalone code generates: a function
 * returning whether the data is valid, with the errors of the last call on `errors`.
 */
export function handWrittenValidator(
  check: (data: Record<string, unknown>) => Array<{ instancePath: string; keyword: string; message?: string }>,
): CompiledValidator {
  const validate = ((data: unknown) => {
    const errors =
      data === null || typeof data !== 'object' || Array.isArray(data)
        ? [{ instancePath: '', keyword: 'type', message: 'must be object' }]
        : check(data as Record<string, unknown>);
    validate.errors = errors.length > 0 ? errors : null;
    return errors.length === 0;
  }) as CompiledValidator;
  return validate;
}

const EVENT_TYPES = ['page_view', 'click', 'add_to_cart', 'purchase'];

/** A hand-written validator of examples/clickstream/schemas/clickstream-v1.json (the checks that matter here). */
export const clickstreamV1Validator = handWrittenValidator((r) => {
  const errors: Array<{ instancePath: string; keyword: string; message: string }> = [];
  for (const name of ['eventId', 'eventTime', 'eventType', 'userId', 'sessionId', 'page']) {
    if (!(name in r)) errors.push({ instancePath: '', keyword: 'required', message: `must have required property '${name}'` });
  }
  for (const name of ['eventId', 'eventTime', 'eventType', 'userId', 'sessionId', 'email', 'ip']) {
    if (name in r && typeof r[name] !== 'string') errors.push({ instancePath: `/${name}`, keyword: 'type', message: 'must be string' });
  }
  if (typeof r.eventType === 'string' && !EVENT_TYPES.includes(r.eventType)) {
    errors.push({ instancePath: '/eventType', keyword: 'enum', message: 'must be equal to one of the allowed values' });
  }
  if ('page' in r) {
    const page = r.page as Record<string, unknown> | null;
    if (page === null || typeof page !== 'object' || Array.isArray(page)) errors.push({ instancePath: '/page', keyword: 'type', message: 'must be object' });
    else if (typeof page.url !== 'string') errors.push({ instancePath: '/page', keyword: 'required', message: "must have required property 'url'" });
  }
  return errors;
});

/** The clickstream schema bundle: version 1 only, `userId` hashed, `email` and `ip` removed. */
export function clickstreamSchemas(): SchemaBundle {
  return {
    versionField: 'schemaVersion',
    defaultVersion: '1',
    versions: {
      '1': {
        validate: clickstreamV1Validator,
        pii: [
          { path: ['userId'], action: 'hash' },
          { path: ['email'], action: 'redact' },
          { path: ['ip'], action: 'redact' },
        ],
      },
    },
  };
}

/** Curated keys look like `<dataset>/dt=YYYY-MM-DD/hr=HH/<32 hex>.jsonl.gz`. */
export function objectKeyPattern(dataset: string): RegExp {
  const escaped = dataset.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escaped}/dt=\\d{4}-\\d{2}-\\d{2}/hr=\\d{2}/[0-9a-f]{32}\\.jsonl\\.gz$`);
}

/** Every key of `value`, at any depth (objects and arrays). */
export function deepKeys(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(deepKeys);
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => [k, ...deepKeys(v)]);
  }
  return [];
}
