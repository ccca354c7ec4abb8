/**
 * "The usual alternative": how a Kinesis → Lambda → S3 transform is commonly written with
 * Powertools for AWS Lambda, doing the same work as the library's runtime.
 *
 * - `BatchProcessor(EventType.KinesisDataStreams)` + `processPartialResponse` (partial batch failures);
 * - per record: base64 → JSON.parse → validation with ONE shared ajv validator compiled at init
 *   (draft-04 build, ajv-formats) → PII masking by hand (HMAC of userId, email/ip removed) →
 *   `makeIdempotent` (Powertools idempotency, `DynamoDBPersistenceLayer`, key = `eventId`) around
 *   the same clickstream transform: on the happy path a conditional PutItem (INPROGRESS) and an
 *   UpdateItem (COMPLETED) per record, i.e. 2 DynamoDB calls and 2 write units per record;
 * - the curated lines of the batch are written as one gzip JSON Lines PutObject per batch (the
 *   usual buffer-and-flush; a PutObject per record would be a strawman);
 * - one EMF metrics line and one log line per batch.
 *
 * Not the same guarantees as the runtime (a record marked COMPLETED whose batch object then fails
 * to write is lost; no quarantine, no lineage): it is the cheaper, common pattern users compare with.
 */
import { createHmac } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import Ajv from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import type { Context, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import schema from '../../examples/clickstream/schemas/clickstream-v1.json';
import { transform } from '../../examples/clickstream/transform';

export interface PowertoolsHandlerDeps {
  readonly s3?: S3Client;
  readonly dynamodb?: DynamoDBClient;
  readonly logger?: Logger;
  readonly piiKey?: string;
  readonly writeMetrics?: (line: string) => void;
  readonly table?: string;
  readonly bucket?: string;
}

export function createPowertoolsHandler(deps: PowertoolsHandlerDeps = {}) {
  const s3 = deps.s3 ?? new S3Client({});
  const dynamodb = deps.dynamodb ?? new DynamoDBClient({});
  const table = deps.table ?? process.env.IDEMPOTENCY_TABLE ?? 'idempotency';
  const bucket = deps.bucket ?? process.env.CURATED_BUCKET ?? 'curated';
  const piiKey = deps.piiKey ?? process.env.PII_KEY ?? 'a-benchmark-key-of-32-characters';
  const logger = deps.logger ?? new Logger({ serviceName: 'clickstream' });
  const writeMetrics = deps.writeMetrics ?? ((line: string) => process.stdout.write(`${line}\n`));

  // One shared validator, compiled once per container (at init).
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv as never);
  const validate = ajv.compile(schema);

  const persistenceStore = new DynamoDBPersistenceLayer({ tableName: table, awsSdkV3Client: dynamodb });
  const idempotencyConfig = new IdempotencyConfig({ eventKeyJmesPath: 'eventId', expiresAfterSeconds: 3600 });
  const processor = new BatchProcessor(EventType.KinesisDataStreams);
  let lines: string[] = [];

  const curate = makeIdempotent(
    async (record: Record<string, unknown>) => {
      const out = transform(record, {
        pipeline: 'clickstream',
        stage: 'transform',
        recordId: String(record.eventId),
        schemaVersion: '1',
        eventTime: String(record.eventTime),
        source: { kind: 'kinesis', streamArn: '', shardId: '', sequenceNumber: '' },
        receivedAt: '',
      });
      if (out) lines.push(JSON.stringify(out));
      return { curated: out ? 1 : 0 };
    },
    { persistenceStore, config: idempotencyConfig },
  );

  const recordHandler = async (record: KinesisStreamRecord) => {
    const payload = JSON.parse(Buffer.from(record.kinesis.data, 'base64').toString('utf8')) as Record<string, unknown>;
    if (!validate(payload)) throw new Error(`schema mismatch: ${ajv.errorsText(validate.errors)}`);
    const { email: _email, ip: _ip, ...masked } = payload;
    masked.userId = createHmac('sha256', piiKey).update(String(payload.userId)).digest('hex');
    return curate(masked);
  };

  return async (event: KinesisStreamEvent, context: Context) => {
    idempotencyConfig.registerLambdaContext(context);
    lines = [];
    const response = await processPartialResponse(event, recordHandler, processor, { context, throwOnFullBatchFailure: false });
    if (lines.length > 0) {
      const first = JSON.parse(lines[0]) as { eventTime: string };
      const key = `clickstream/dt=${first.eventTime.slice(0, 10)}/hr=${first.eventTime.slice(11, 13)}/${context.awsRequestId}.jsonl.gz`;
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: gzipSync(lines.join('\n')), ContentEncoding: 'gzip' }));
    }
    const failed = response.batchItemFailures.length;
    writeMetrics(
      JSON.stringify({
        _aws: { Timestamp: Date.now(), CloudWatchMetrics: [{ Namespace: 'ServerlessEtl', Dimensions: [['Pipeline']], Metrics: [{ Name: 'RecordsIn', Unit: 'Count' }, { Name: 'RecordsOut', Unit: 'Count' }] }] },
        Pipeline: 'clickstream',
        RecordsIn: event.Records.length,
        RecordsOut: lines.length,
        RecordsFailed: failed,
      }),
    );
    logger.info('batch processed', { recordsIn: event.Records.length, curated: lines.length, failed });
    return response;
  };
}
