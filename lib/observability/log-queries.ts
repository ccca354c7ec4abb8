import {
  BATCH_LOG_FIELD,
  BATCH_PROCESSED_MESSAGE,
  ERROR_LOG_LEVEL,
  FAILED_INVOCATION_STATUSES,
  LAMBDA_ERROR_LOG_FIELD,
  LAMBDA_PLATFORM_LOG_FIELD,
  PLATFORM_REPORT_TYPE,
  POWERTOOLS_LOG_FIELD,
  QUARANTINED_ID_FIELD,
} from '../contract/log-fields';

/**
 * The dashboard's Logs Insights queries (Logs Insights QL), built from the runtime's log field
 * names in lib/contract/log-fields.ts. Each is a list of query lines; the widget joins them with
 * `|` after its `SOURCE` lines.
 */

/** How many failures the last-failures table lists. */
export const LAST_FAILURES_LIMIT = 20;

/** A string literal of Logs Insights QL. */
function literal(value: string): string {
  return JSON.stringify(value);
}

/**
 * Quarantined records by reason: each "batch processed" line lists its quarantined records with
 * their reason; `unnest` makes one row per record, counted by reason, most frequent first.
 */
export function quarantineReasonsQuery(): string[] {
  const q = 'quarantinedRecord';
  return [
    `filter ${POWERTOOLS_LOG_FIELD.message} = ${literal(BATCH_PROCESSED_MESSAGE)} and ${BATCH_LOG_FIELD.quarantined} > 0`,
    'fields jsonParse(@message) as batchLine',
    `unnest batchLine.${BATCH_LOG_FIELD.quarantinedIds} into ${q}`,
    `stats count(*) as records by ${q}.${QUARANTINED_ID_FIELD.reason}`,
    'sort records desc',
  ];
}

/**
 * Invocations that failed, by error type and function: errors the handlers threw (`level`
 * `ERROR`, the type in `message.errorType`) and invocations that ended in a timeout or a runtime
 * failure (the `platform.report` line's `record.status`), most frequent first.
 */
export function errorsByTypeQuery(): string[] {
  return [
    `filter ${failedInvocation()}`,
    `fields coalesce(${LAMBDA_ERROR_LOG_FIELD.errorType}, ${LAMBDA_PLATFORM_LOG_FIELD.status}) as errorType`,
    'stats count(*) as errors by errorType, @log',
    'sort errors desc',
  ];
}

/**
 * The last failures, newest first, each with its request id: errors thrown, invocations that
 * timed out or failed, and batches that quarantined or retried records.
 */
export function lastFailuresQuery(limit: number = LAST_FAILURES_LIMIT): string[] {
  const batchFailed =
    `(${POWERTOOLS_LOG_FIELD.message} = ${literal(BATCH_PROCESSED_MESSAGE)} and ` +
    `(${BATCH_LOG_FIELD.quarantined} > 0 or ${BATCH_LOG_FIELD.retried} > 0))`;
  const requestId = coalesce([LAMBDA_ERROR_LOG_FIELD.requestId, POWERTOOLS_LOG_FIELD.requestId, LAMBDA_PLATFORM_LOG_FIELD.requestId, '@requestId']);
  return [
    `filter ${failedInvocation()} or ${batchFailed}`,
    `fields @timestamp, ${requestId} as request, ` +
      `coalesce(${LAMBDA_ERROR_LOG_FIELD.errorType}, ${LAMBDA_PLATFORM_LOG_FIELD.status}, ${literal('records failed')}) as failure, ` +
      `${LAMBDA_ERROR_LOG_FIELD.errorMessage} as error, ${BATCH_LOG_FIELD.source}, ${BATCH_LOG_FIELD.quarantined}, ${BATCH_LOG_FIELD.retried}, @log`,
    'sort @timestamp desc',
    `limit ${limit}`,
  ];
}

/** An invocation that ended in an error: thrown by the handler, or a timeout or runtime failure. */
function failedInvocation(): string {
  const statuses = `[${FAILED_INVOCATION_STATUSES.map(literal).join(', ')}]`;
  return (
    `${LAMBDA_ERROR_LOG_FIELD.level} = ${literal(ERROR_LOG_LEVEL)} or ` +
    `(${LAMBDA_PLATFORM_LOG_FIELD.type} = ${literal(PLATFORM_REPORT_TYPE)} and ${LAMBDA_PLATFORM_LOG_FIELD.status} in ${statuses})`
  );
}

function coalesce(fields: readonly string[]): string {
  return `coalesce(${fields.join(', ')})`;
}
