import { AlarmSeverity } from './alarm-routing';
import { runbookLink } from './pipeline-metric';

/**
 * The first thing to look at for each runbook section an alarm links to: what an on-call engineer
 * reads in the pager before opening the runbook (which has the full first checks and commands).
 */
export const FIRST_CHECKS: Readonly<Record<string, string>> = Object.freeze({
  'success-rate-burn': 'RecordsRetried and the transform\'s Errors on the dashboard, then the "batch processed" log lines with retried > 0',
  'freshness-burn': 'RecordsIn (is anything arriving?), then lag per source (Kinesis iterator age, buffer age) and WatermarkAgeSeconds per source',
  'error-rate-per-transform': 'the quarantine bucket under <dataset>/ for reason TRANSFORM_ERROR and its error message; a recent transform deploy',
  'cold-start-rate': 'ColdStarts against Invocations on the dashboard; a recent deploy or a traffic pattern of short bursts',
  'dlq-messages': 'one message of the queue (`npx cdk-serverless-etl status`), the error it carries, then the transform logs at its time',
  'dlq-oldest-message': 'the queue\'s messages and why they were not redriven; their retention',
  'transform-errors': 'the dashboard\'s last failures (error type, request id), then the transform\'s log group for "Task timed out", out-of-memory or init errors; a recent deploy',
  'transform-throttles': 'the account\'s concurrent executions and the transform\'s reserved concurrency',
  'transform-duration-near-timeout': 'p99 Duration on the dashboard and the slowest "batch processed" lines (storeCalls, objects)',
  'transform-concurrency-near-cap': 'ConcurrentExecutions against the reserved concurrency; lag per source',
  'stream-iterator-age': 'the transform\'s Errors and Duration, the iterator age per shard (with shard-level metrics: one shard behind?), then the shard count and parallelizationFactor',
  'stream-write-throttles': 'the stream\'s WriteProvisionedThroughputExceeded per shard and the producers\' partition keys',
  'buffer-age': 'the transform\'s Errors and throttles, then the SQS source\'s maxConcurrency',
  'quarantine-rate': 'the quarantine bucket under <dataset>/: the reason field of the newest objects',
  'schema-drift': 'the quarantine bucket for SCHEMA_MISMATCH records and which producer sent them',
  'no-new-data': 'RecordsIn and the stream\'s IncomingRecords: producers stopped, or the ingest is broken',
  'idempotency-throttles': 'the idempotency table\'s ThrottledRequests and ConsumedWriteCapacityUnits',
  'archive-delivery': 'the raw bucket under stream-archive/errors/ and the Firehose delivery stream\'s error logs',
  'state-machine-failures': 'the failed execution in the Step Functions console: its failing state and error',
  'throughput-anomaly': 'the throughput widget against last week, then the stream\'s IncomingRecords and the bus rule\'s MatchedEvents; a replay started by an operator',
  'dead-letter-rate': 'the transform\'s errors by reason and the last failure\'s request id; the quarantine and schema-drift alarms',
  'current-table-merge-failed': 'the failed merge execution in the Step Functions console (its MergeFailed cause), then its Athena query\'s StateChangeReason',
  'current-table-merge-backlog': 'the merge state machine\'s recent executions (slow or failing?) and the merge queue\'s backlog',
  'current-table-maintenance-failed': 'the failed maintenance execution\'s Athena query: a scan limit or a commit conflict',
  'watermark-stale': 'RecordsIn of the stage and the source\'s own ingest metric; if those flow, the watermark publisher\'s Errors',
  'batch-deadline': 'whether the export object arrived in the raw bucket under the batch prefix, then the batch workflow\'s executions',
  'watermark-publisher': 'the watermark publisher\'s log group for its error (permissions, throttling of GetMetricData)',
  'time-to-detect': 'the incident-timing recorder\'s "alarm raised" log lines: which alarm, its period and evaluation range',
  'time-to-recover': 'the incident-timing recorder\'s "alarm recovered" log lines and the runbook section of that alarm',
  'cost-per-million-records': 'the dashboard\'s cost per service (CostUsd by Service) against last week; a replay, a retry storm or a traffic drop',
  'operations-function-failing': 'the function\'s log group for its error (AccessDenied, CloudWatch API throttling, a timeout)',
});

/**
 * An alarm description with its context: severity, pipeline and stage, what it means, what to check
 * first and the absolute runbook link, in that order (what a pager shows first is what matters):
 * `[page] orders/transform: <meaning>. Check first: <first check>. Runbook: <url>#<anchor>`.
 */
export function alarmDescription(options: {
  readonly severity: AlarmSeverity | 'component';
  readonly pipeline: string;
  readonly stage: string;
  readonly meaning: string;
  readonly anchor: string;
  readonly runbook: string;
}): string {
  const check = FIRST_CHECKS[options.anchor];
  const meaning = options.meaning.replace(/\.$/, '');
  return (
    `[${options.severity}] ${options.pipeline}/${options.stage}: ${meaning}. ` +
    (check ? `Check first: ${check}. ` : '') +
    `Runbook: ${runbookLink(options.runbook, options.anchor)}`
  );
}
