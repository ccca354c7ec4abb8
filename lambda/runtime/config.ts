import { RUNTIME_DEFAULTS, RUNTIME_ENV } from '../../lib/contract/environment';

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
  /**
   * Field of the input record holding its version (`RECORD_VERSION_FIELD`): records are then
   * deduplicated by (id, version), so a newer version of an id is curated (see idempotency-key.ts).
   */
  readonly recordVersionField?: string;
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
   * @default RUNTIME_DEFAULTS.eventTimeEarliest
   */
  readonly eventTimeEarliestMs?: number;
  /**
   * How far past its receive time an event time may be, in seconds (`EVENT_TIME_MAX_SKEW_SECONDS`);
   * a later one falls back to the receive time. @default RUNTIME_DEFAULTS.eventTimeMaxSkewSeconds
   */
  readonly eventTimeMaxSkewSeconds?: number;
  /** The function's timeout in seconds (`FUNCTION_TIMEOUT_SECONDS`): sizes the SDK clients' timeouts. @default RUNTIME_DEFAULTS.functionTimeoutSeconds */
  readonly functionTimeoutSeconds?: number;
  /**
   * The pipeline keeps a current table (`CURRENT_TABLE=true`): each curated line carries the
   * lakehouse columns, keyed by `keyField` (`CURRENT_TABLE_KEY`; none: the record id) and
   * ordered by `versionField` (`CURRENT_TABLE_VERSION_FIELD`), which a claim-check reference keeps.
   */
  readonly currentTable?: { readonly keyField?: string; readonly versionField?: string };
}

/** Reads the runtime settings, failing with the names of every missing or invalid variable. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): RuntimeConfig {
  const required = ['pipeline', 'curatedBucket', 'quarantineBucket'] as const;
  const problems = required.filter((k) => !env[RUNTIME_ENV[k]]).map((k) => `${RUNTIME_ENV[k]} is missing`);
  const ttl = positiveInteger(env[RUNTIME_ENV.idempotencyTtlSeconds], RUNTIME_DEFAULTS.idempotencyTtlSeconds);
  const maxBytes = positiveInteger(env[RUNTIME_ENV.maxRecordBytes], RUNTIME_DEFAULTS.maxRecordBytes);
  if (ttl === undefined) problems.push(`${RUNTIME_ENV.idempotencyTtlSeconds} must be a positive integer`);
  if (maxBytes === undefined) problems.push(`${RUNTIME_ENV.maxRecordBytes} must be a positive integer`);
  const inFlight = positiveInteger(env[RUNTIME_ENV.claimInFlightSeconds], RUNTIME_DEFAULTS.claimInFlightSeconds);
  if (inFlight === undefined) problems.push(`${RUNTIME_ENV.claimInFlightSeconds} must be a positive integer`);
  const functionTimeout = positiveInteger(env[RUNTIME_ENV.functionTimeoutSeconds], RUNTIME_DEFAULTS.functionTimeoutSeconds);
  if (functionTimeout === undefined) problems.push(`${RUNTIME_ENV.functionTimeoutSeconds} must be a positive integer`);
  const earliestText = env[RUNTIME_ENV.eventTimeEarliest] || RUNTIME_DEFAULTS.eventTimeEarliest;
  const earliest = /^\d{4}-\d{2}-\d{2}$/.test(earliestText) ? Date.parse(`${earliestText}T00:00:00Z`) : NaN;
  if (Number.isNaN(earliest)) problems.push(`${RUNTIME_ENV.eventTimeEarliest} must be a date as YYYY-MM-DD`);
  const skew = positiveInteger(env[RUNTIME_ENV.eventTimeMaxSkewSeconds], RUNTIME_DEFAULTS.eventTimeMaxSkewSeconds);
  if (skew === undefined) problems.push(`${RUNTIME_ENV.eventTimeMaxSkewSeconds} must be a positive integer`);
  if (problems.length > 0) {
    throw new Error(`cdk-serverless-etl runtime: ${problems.join('; ')}`);
  }
  const pipeline = env[RUNTIME_ENV.pipeline] as string;
  return {
    pipeline,
    stage: env[RUNTIME_ENV.stage] || RUNTIME_DEFAULTS.stage,
    curatedBucket: env[RUNTIME_ENV.curatedBucket] as string,
    quarantineBucket: env[RUNTIME_ENV.quarantineBucket] as string,
    rawBucket: env[RUNTIME_ENV.rawBucket] || undefined,
    dataset: env[RUNTIME_ENV.dataset] || pipeline,
    idField: env[RUNTIME_ENV.idField] || undefined,
    recordVersionField: env[RUNTIME_ENV.recordVersionField] || undefined,
    eventTimeField: env[RUNTIME_ENV.eventTimeField] || RUNTIME_DEFAULTS.eventTimeField,
    transformVersion: env[RUNTIME_ENV.transformVersion] || 'unknown',
    idempotencyTable: env[RUNTIME_ENV.idempotencyTable] || undefined,
    idempotencyTtlSeconds: ttl as number,
    piiSecretArn: env[RUNTIME_ENV.piiSecretArn] || undefined,
    maxRecordBytes: maxBytes as number,
    sinkTable: env[RUNTIME_ENV.sinkTable] || undefined,
    sinkTableKey: env[RUNTIME_ENV.sinkTableKey] || RUNTIME_DEFAULTS.sinkTableKey,
    claimInFlightSeconds: inFlight as number,
    eventTimeEarliestMs: earliest,
    eventTimeMaxSkewSeconds: skew as number,
    functionTimeoutSeconds: functionTimeout as number,
    ...(env[RUNTIME_ENV.currentTable] === 'true' ? { currentTable: { keyField: env[RUNTIME_ENV.currentTableKey] || undefined, versionField: env[RUNTIME_ENV.currentTableVersionField] || undefined } } : {}),
  };
}

function positiveInteger(value: string | undefined, fallback: number): number | undefined {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}
