import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { PipelineMetricName } from '../../contract/metrics';
import type { ICurrentTable } from '../../lakehouse/current-table';
import type { IStreamIngest } from '../../ingest/stream-ingest';
import type { IBatchWorkflow } from '../../orchestration/batch-workflow';
import type { IDeadLetterQueue } from '../../reliability/dead-letter-queue';
import type { ITransformFunction } from '../../transform/transform-function';
import { errorsByTypeQuery, lastFailuresQuery, quarantineReasonsQuery } from '../log-queries';
import { archiveMetric, ArchiveMetricName } from '../source-metrics';
import { executionsWidget, FULL_WIDTH, MetricOf, rowHeader } from './widget-kit';

/** What the "What is failing?" row shows. */
export interface FailureSources {
  /** The pipeline's metrics. */
  readonly metricOf: MetricOf;
  /** The transform. */
  readonly transform: ITransformFunction;
  /** Log groups of the pipeline's other functions (steps, merge steps), searched with the transform's. */
  readonly functionLogGroups: logs.ILogGroup[];
  /** The dead-letter queues. */
  readonly deadLetterQueues?: IDeadLetterQueue[];
  /** The batch workflow. */
  readonly batchWorkflow?: IBatchWorkflow;
  /** The current table (merge and maintenance). */
  readonly currentTable?: ICurrentTable;
  /** The Kinesis ingest (its archive). */
  readonly streamIngest?: IStreamIngest;
}

/**
 * "What is failing?": errors by reason and the last failures from the logs (Logs Insights), the
 * failing stages and quarantine reasons from the metrics, dead-letter queues, the executions of
 * the batch workflow and of the current table's merge and maintenance, the stream archive's
 * deliveries, and the transform's duration, cold starts and retries.
 */
export function failureRow(s: FailureSources): cloudwatch.IWidget[] {
  const { transform, metricOf: m } = s;
  const transformLogs = [transform.logGroup.logGroupName];
  const functionLogs = [...transformLogs, ...s.functionLogGroups.map((g) => g.logGroupName)];
  const widgets: cloudwatch.IWidget[] = [
    rowHeader('What is failing?', 'Errors by reason and the last failures (Logs Insights), failing stages, dead letters, workflow runs, archive deliveries.'),
    new cloudwatch.LogQueryWidget({
      title: 'Quarantined records by reason (transform logs)',
      logGroupNames: transformLogs,
      queryLines: quarantineReasonsQuery(),
      view: cloudwatch.LogQueryVisualizationType.TABLE,
      width: 8,
    }),
    new cloudwatch.LogQueryWidget({
      title: 'Failed invocations by error type (function logs)',
      logGroupNames: functionLogs,
      queryLines: errorsByTypeQuery(),
      view: cloudwatch.LogQueryVisualizationType.TABLE,
      width: 16,
    }),
    new cloudwatch.LogQueryWidget({
      title: 'Last failures, newest first, with their request id (function logs)',
      logGroupNames: functionLogs,
      queryLines: lastFailuresQuery(),
      view: cloudwatch.LogQueryVisualizationType.TABLE,
      width: FULL_WIDTH,
      height: 8,
    }),
    new cloudwatch.GraphWidget({
      title: 'Failing stages',
      left: [transform.metricErrors({ label: 'Invocation errors' }), m(PipelineMetricName.RECORDS_RETRIED), m(PipelineMetricName.TRANSFORM_ERRORS)],
      width: 8,
    }),
    new cloudwatch.GraphWidget({
      title: 'Quarantine by reason',
      left: [m(PipelineMetricName.SCHEMA_MISMATCHES), m(PipelineMetricName.TRANSFORM_ERRORS), m(PipelineMetricName.RECORDS_QUARANTINED)],
      width: 8,
    }),
  ];
  if (s.deadLetterQueues && s.deadLetterQueues.length > 0) {
    widgets.push(new cloudwatch.GraphWidget({ title: 'DLQ depth', left: s.deadLetterQueues.map((d) => d.metricMessagesVisible({ label: d.node.id })), width: 8 }));
  }
  if (s.batchWorkflow) widgets.push(executionsWidget('Batch workflow executions', s.batchWorkflow.stateMachine, 8));
  if (s.currentTable) {
    widgets.push(
      executionsWidget('Current table merges', s.currentTable.mergeStateMachine, 8),
      executionsWidget('Current table maintenance (OPTIMIZE, VACUUM)', s.currentTable.maintenanceStateMachine, 8),
    );
  }
  const archive = s.streamIngest?.archive;
  if (archive) {
    widgets.push(
      new cloudwatch.GraphWidget({
        title: 'Stream archive (Firehose) deliveries',
        left: [
          archiveMetric(archive, ArchiveMetricName.RECORDS_READ, { label: 'Records read from the stream' }),
          archiveMetric(archive, ArchiveMetricName.RECORDS_DELIVERED, { label: 'Records delivered to S3' }),
        ],
        right: [archiveMetric(archive, ArchiveMetricName.DELIVERY_SUCCESS, { label: 'S3 delivery success (1 = every put)' })],
        rightYAxis: { min: 0, max: 1 },
        width: 8,
      }),
    );
  }
  widgets.push(
    new cloudwatch.GraphWidget({
      title: 'Transform duration',
      left: ['p50', 'p90', 'p99'].map((p) => transform.metricDuration({ statistic: p, label: p })),
      width: 12,
    }),
    new cloudwatch.GraphWidget({
      title: 'Cold starts and retries',
      left: [m(PipelineMetricName.COLD_STARTS), m(PipelineMetricName.RECORDS_RETRIED), m(PipelineMetricName.DUPLICATES_SKIPPED)],
      width: 12,
    }),
  );
  return widgets;
}
