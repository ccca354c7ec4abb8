/**
 * The structured log lines the dashboard's Logs Insights queries read: the transform runtime's
 * Powertools "batch processed" line (lambda/runtime/batch-handler.ts), the Powertools keys every
 * Logger line carries, and the keys Lambda writes for an uncaught error when the function logs in
 * JSON (`LoggingFormat.JSON`, which every function of the library uses). A key renamed on the
 * runtime side only would be a query that silently finds nothing; a test runs the runtime and
 * checks its line against these names.
 */

/** The `message` of the runtime's one summary line per batch. */
export const BATCH_PROCESSED_MESSAGE = 'batch processed';

/** Keys of the runtime's "batch processed" line (Powertools Logger, top-level JSON keys). */
export const BATCH_LOG_FIELD = Object.freeze({
  /** The source kind of the batch (`kinesis`, `sqs`, `eventbridge`, `s3`). */
  source: 'source',
  /** Records received. */
  recordsIn: 'recordsIn',
  /** Records quarantined. */
  quarantined: 'quarantined',
  /** Records retried (returned as batch item failures). */
  retried: 'retried',
  /** The quarantined records: an array of `{ recordId, itemId, reason }`. */
  quarantinedIds: 'quarantinedIds',
  /** The ids of the retried records. */
  retriedIds: 'retriedIds',
} as const);

/** Keys of one element of {@link BATCH_LOG_FIELD}`.quarantinedIds`. */
export const QUARANTINED_ID_FIELD = Object.freeze({
  /** The record's id (null when it had none). */
  recordId: 'recordId',
  /** The record's position in its source (sequence number, message id, line). */
  itemId: 'itemId',
  /** Why it was quarantined (`SCHEMA_MISMATCH`, `TRANSFORM_ERROR`, `MALFORMED_JSON`, ...). */
  reason: 'reason',
} as const);

/** Keys Powertools Logger writes on every line (with the Lambda context added). */
export const POWERTOOLS_LOG_FIELD = Object.freeze({
  /** The line's text. */
  message: 'message',
  /** `INFO`, `WARN`, `ERROR`, ... */
  level: 'level',
  /** The invocation's request id (from the Lambda context). */
  requestId: 'function_request_id',
} as const);

/**
 * Keys Lambda's Node.js runtime writes, in JSON log format, for an error the handler threw: the
 * line's `level` is `ERROR`, its `requestId` the invocation's, and its `message` the error object.
 */
export const LAMBDA_ERROR_LOG_FIELD = Object.freeze({
  /** `ERROR` for an uncaught error. */
  level: 'level',
  /** The invocation's request id. */
  requestId: 'requestId',
  /** The error's type, flattened by Logs Insights from the `message` object. */
  errorType: 'message.errorType',
  /** The error's message, flattened by Logs Insights from the `message` object. */
  errorMessage: 'message.errorMessage',
} as const);

/** The level of an error line, in Powertools and Lambda's JSON format alike. */
export const ERROR_LOG_LEVEL = 'ERROR';

/**
 * Keys of the platform lines Lambda writes in JSON log format: the `platform.report` line that
 * closes each invocation has `record.status` (`success`, or `timeout`, `error`, `failure` for an
 * invocation that ended without a result) and `record.requestId`.
 */
export const LAMBDA_PLATFORM_LOG_FIELD = Object.freeze({
  /** The platform event's type. */
  type: 'type',
  /** The invocation's outcome. */
  status: 'record.status',
  /** The invocation's request id. */
  requestId: 'record.requestId',
} as const);

/** The `type` of the platform line that closes an invocation. */
export const PLATFORM_REPORT_TYPE = 'platform.report';

/** The `record.status` values of an invocation that ended without a result. */
export const FAILED_INVOCATION_STATUSES: readonly string[] = Object.freeze(['timeout', 'error', 'failure']);
