/** Runtime settings, read once per container from the function's environment. */
export interface RuntimeConfig {
  /** Pipeline name (`PIPELINE_NAME`). */
  readonly pipeline: string;
  /** Stage name (`PIPELINE_STAGE`). */
  readonly stage: string;
  /** Curated output bucket (`CURATED_BUCKET`). */
  readonly curatedBucket: string;
  /** Quarantine bucket (`QUARANTINE_BUCKET`). */
  readonly quarantineBucket: string;
  /** Raw bucket, for claim-checked payloads (`RAW_BUCKET`); none disables the claim check. */
  readonly rawBucket?: string;
  /** Dataset name: the first key segment of curated objects (`DATASET`). */
  readonly dataset: string;
  /** Field of the input record holding its id (`RECORD_ID_FIELD`); none: a hash of the payload. */
  readonly idField?: string;
  /** Field of the input record holding its event time (`EVENT_TIME_FIELD`). */
  readonly eventTimeField: string;
  /** Version of the transform code, written with every output for lineage (`TRANSFORM_VERSION`). */
  readonly transformVersion: string;
  /** DynamoDB table of the idempotency store (`IDEMPOTENCY_TABLE`); none disables deduplication. */
  readonly idempotencyTable?: string;
  /** How long a record id is remembered, in seconds (`IDEMPOTENCY_TTL_SECONDS`). */
  readonly idempotencyTtlSeconds: number;
  /** Secrets Manager secret holding the PII hashing key (`PII_SECRET_ARN`). */
  readonly piiSecretArn?: string;
  /** Curated records larger than this many bytes are claim-checked to the raw bucket (`MAX_RECORD_BYTES`). */
  readonly maxRecordBytes: number;
  /** DynamoDB table curated records are also written to (`SINK_TABLE`); none: S3 only. */
  readonly sinkTable?: string;
  /** Partition key attribute of the sink table (`SINK_TABLE_KEY`). */
  readonly sinkTableKey: string;
  /**
   * Age under which another input's claim whose object is missing is in flight, not stale
   * (`CLAIM_IN_FLIGHT_SECONDS`): the function's timeout and a margin.
   */
  readonly claimInFlightSeconds: number;
  /**
   * Earliest event time a record may keep, epoch ms (`EVENT_TIME_EARLIEST`, a `YYYY-MM-DD` date:
   * the warehouse's first partition date); an earlier event time falls back to the receive time.
   * @default DEFAULT_EVENT_TIME_EARLIEST
   */
  readonly eventTimeEarliestMs?: number;
  /**
   * How far past its receive time an event time may be, in seconds (`EVENT_TIME_MAX_SKEW_SECONDS`);
   * a later one falls back to the receive time. @default DEFAULT_EVENT_TIME_MAX_SKEW_SECONDS
   */
  readonly eventTimeMaxSkewSeconds?: number;
  /** The function's timeout in seconds (`FUNCTION_TIMEOUT_SECONDS`): sizes the SDK clients' timeouts. @default 60 */
  readonly functionTimeoutSeconds?: number;
}

/** Environment variable names, shared with the TransformFunction construct. */
export const ENV = {
  pipeline: 'PIPELINE_NAME',
  stage: 'PIPELINE_STAGE',
  curatedBucket: 'CURATED_BUCKET',
  quarantineBucket: 'QUARANTINE_BUCKET',
  rawBucket: 'RAW_BUCKET',
  dataset: 'DATASET',
  idField: 'RECORD_ID_FIELD',
  eventTimeField: 'EVENT_TIME_FIELD',
  transformVersion: 'TRANSFORM_VERSION',
  idempotencyTable: 'IDEMPOTENCY_TABLE',
  idempotencyTtlSeconds: 'IDEMPOTENCY_TTL_SECONDS',
  piiSecretArn: 'PII_SECRET_ARN',
  maxRecordBytes: 'MAX_RECORD_BYTES',
  sinkTable: 'SINK_TABLE',
  sinkTableKey: 'SINK_TABLE_KEY',
  claimInFlightSeconds: 'CLAIM_IN_FLIGHT_SECONDS',
  eventTimeEarliest: 'EVENT_TIME_EARLIEST',
  eventTimeMaxSkewSeconds: 'EVENT_TIME_MAX_SKEW_SECONDS',
  functionTimeoutSeconds: 'FUNCTION_TIMEOUT_SECONDS',
} as const;

/** Default claim-check threshold: records above 256 KiB go to the raw bucket by reference. */
export const DEFAULT_MAX_RECORD_BYTES = 256 * 1024;
/** Default in-flight window of claims: 15 minutes, Lambda's longest timeout. */
export const DEFAULT_CLAIM_IN_FLIGHT_SECONDS = 900;
/** Default earliest event time: the ServerlessWarehouse's default first partition date. */
export const DEFAULT_EVENT_TIME_EARLIEST = '2024-01-01';
/** Default future skew of event times: 15 minutes past the receive time. */
export const DEFAULT_EVENT_TIME_MAX_SKEW_SECONDS = 900;
/** Default idempotency window: 30 days. */
export const DEFAULT_IDEMPOTENCY_TTL_SECONDS = 30 * 24 * 3600;

/** Reads the runtime settings, failing with the names of every missing or invalid variable. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): RuntimeConfig {
  const required = ['pipeline', 'curatedBucket', 'quarantineBucket'] as const;
  const problems = required.filter((k) => !env[ENV[k]]).map((k) => `${ENV[k]} is missing`);
  const ttl = positiveInteger(env[ENV.idempotencyTtlSeconds], DEFAULT_IDEMPOTENCY_TTL_SECONDS);
  const maxBytes = positiveInteger(env[ENV.maxRecordBytes], DEFAULT_MAX_RECORD_BYTES);
  if (ttl === undefined) problems.push(`${ENV.idempotencyTtlSeconds} must be a positive integer`);
  if (maxBytes === undefined) problems.push(`${ENV.maxRecordBytes} must be a positive integer`);
  const inFlight = positiveInteger(env[ENV.claimInFlightSeconds], DEFAULT_CLAIM_IN_FLIGHT_SECONDS);
  if (inFlight === undefined) problems.push(`${ENV.claimInFlightSeconds} must be a positive integer`);
  const functionTimeout = positiveInteger(env[ENV.functionTimeoutSeconds], 60);
  if (functionTimeout === undefined) problems.push(`${ENV.functionTimeoutSeconds} must be a positive integer`);
  const earliestText = env[ENV.eventTimeEarliest] || DEFAULT_EVENT_TIME_EARLIEST;
  const earliest = /^\d{4}-\d{2}-\d{2}$/.test(earliestText) ? Date.parse(`${earliestText}T00:00:00Z`) : NaN;
  if (Number.isNaN(earliest)) problems.push(`${ENV.eventTimeEarliest} must be a date as YYYY-MM-DD`);
  const skew = positiveInteger(env[ENV.eventTimeMaxSkewSeconds], DEFAULT_EVENT_TIME_MAX_SKEW_SECONDS);
  if (skew === undefined) problems.push(`${ENV.eventTimeMaxSkewSeconds} must be a positive integer`);
  if (problems.length > 0) {
    throw new Error(`cdk-serverless-etl runtime: ${problems.join('; ')}`);
  }
  const pipeline = env[ENV.pipeline] as string;
  return {
    pipeline,
    stage: env[ENV.stage] || 'transform',
    curatedBucket: env[ENV.curatedBucket] as string,
    quarantineBucket: env[ENV.quarantineBucket] as string,
    rawBucket: env[ENV.rawBucket] || undefined,
    dataset: env[ENV.dataset] || pipeline,
    idField: env[ENV.idField] || undefined,
    eventTimeField: env[ENV.eventTimeField] || 'time',
    transformVersion: env[ENV.transformVersion] || 'unknown',
    idempotencyTable: env[ENV.idempotencyTable] || undefined,
    idempotencyTtlSeconds: ttl as number,
    piiSecretArn: env[ENV.piiSecretArn] || undefined,
    maxRecordBytes: maxBytes as number,
    sinkTable: env[ENV.sinkTable] || undefined,
    sinkTableKey: env[ENV.sinkTableKey] || 'id',
    claimInFlightSeconds: inFlight as number,
    eventTimeEarliestMs: earliest,
    eventTimeMaxSkewSeconds: skew as number,
    functionTimeoutSeconds: functionTimeout as number,
  };
}

function positiveInteger(value: string | undefined, fallback: number): number | undefined {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}
