/**
 * The transform function's environment: the variables `TransformFunction` sets and the runtime
 * reads (lambda/runtime/config.ts), and the defaults both sides fall back to.
 */

/** Environment variable names, by the runtime setting each carries. */
export const RUNTIME_ENV = Object.freeze({
  pipeline: 'PIPELINE_NAME',
  stage: 'PIPELINE_STAGE',
  curatedBucket: 'CURATED_BUCKET',
  quarantineBucket: 'QUARANTINE_BUCKET',
  rawBucket: 'RAW_BUCKET',
  dataset: 'DATASET',
  idField: 'RECORD_ID_FIELD',
  /** Field of the input record holding its version: the idempotency key is then (id, version). */
  recordVersionField: 'RECORD_VERSION_FIELD',
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
  /** `true` when the pipeline keeps a current table: curated lines carry the lakehouse columns. */
  currentTable: 'CURRENT_TABLE',
  /** The output field holding the current table's key (none: the record id is the key). */
  currentTableKey: 'CURRENT_TABLE_KEY',
  /** The output field ordering the versions of a key in the current table (`currentTable.versionField`), if any. */
  currentTableVersionField: 'CURRENT_TABLE_VERSION_FIELD',
} as const);

/** A runtime setting carried by an environment variable. */
export type RuntimeSetting = keyof typeof RUNTIME_ENV;

/** What the construct leaves unset and the runtime assumes, and what the construct sets by default. */
export const RUNTIME_DEFAULTS = Object.freeze({
  /** Stage name: the `Stage` metric dimension. */
  stage: 'transform',
  /** Field of a record holding its event time. */
  eventTimeField: 'time',
  /** Partition key attribute of the sink table. */
  sinkTableKey: 'id',
  /** Claim-check threshold: records above 256 KiB go to the raw bucket by reference. */
  maxRecordBytes: 256 * 1024,
  /** In-flight window of claims: 15 minutes, Lambda's longest timeout. */
  claimInFlightSeconds: 900,
  /** Earliest event time (`YYYY-MM-DD`): the ServerlessWarehouse's default first partition date. */
  eventTimeEarliest: '2024-01-01',
  /** Future skew of event times: 15 minutes past the receive time. */
  eventTimeMaxSkewSeconds: 900,
  /** Idempotency window: 30 days. */
  idempotencyTtlSeconds: 30 * 24 * 3600,
  /** The function's timeout. */
  functionTimeoutSeconds: 60,
} as const);
