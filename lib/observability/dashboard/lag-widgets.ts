import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import { PipelineMetricName } from '../../contract/metrics';
import type { IEventBusIngest } from '../../ingest/event-bus-ingest';
import type { IStreamIngest } from '../../ingest/stream-ingest';
import type { ICurrentTable } from '../../lakehouse/current-table';
import type { ITransformFunction } from '../../transform/transform-function';
import { archiveMetric, ArchiveMetricName, mappingIteratorAge } from '../source-metrics';
import type { IWatermarkPublisher } from '../watermark-publisher';
import { MetricOf, rowHeader } from './widget-kit';

/** What the "Where is it behind?" row shows. */
export interface LagSources {
  /** The pipeline's metrics. */
  readonly metricOf: MetricOf;
  /** The transform (its Kinesis mapping's iterator age). */
  readonly transform: ITransformFunction;
  /** The Kinesis ingest. */
  readonly streamIngest?: IStreamIngest;
  /** The EventBridge ingest (its buffer). */
  readonly eventBusIngest?: IEventBusIngest;
  /** The watermark publisher (watermark age per source). */
  readonly watermarks?: IWatermarkPublisher;
  /** The current table (merge backlog). */
  readonly currentTable?: ICurrentTable;
}

/**
 * "Where is it behind?": the watermark age per source, the lag of each source (the Kinesis
 * mapping's iterator age, the SQS buffer's oldest message) and per shard when the stream has
 * enhanced monitoring, freshness percentiles, throughput, the current table's merge backlog and the
 * stream archive's freshness.
 */
export function lagRow(s: LagSources): cloudwatch.IWidget[] {
  const m = s.metricOf;
  const widgets: cloudwatch.IWidget[] = [rowHeader('Where is it behind?', 'Watermark age and lag per source (and per shard), freshness, throughput, merge backlog, archive freshness.')];
  if (s.watermarks) {
    const publisher = s.watermarks;
    widgets.push(
      new cloudwatch.GraphWidget({
        title: 'Watermark age per source (s since the newest event time curated)',
        left: publisher.sources.map((source) => publisher.metricWatermarkAge(source, { label: source })),
        leftYAxis: { min: 0, label: 's' },
        width: 12,
      }),
    );
  }
  const lag: cloudwatch.IMetric[] = [];
  if (s.streamIngest) {
    lag.push(
      new cloudwatch.MathExpression({
        expression: 'ms / 1000',
        usingMetrics: { ms: mappingIteratorAge(s.transform) },
        period: Duration.minutes(1),
        label: 'Kinesis mapping iterator age (s)',
      }),
    );
  }
  if (s.eventBusIngest) lag.push(s.eventBusIngest.metricBufferAge({ label: 'SQS buffer oldest message (s)' }));
  if (lag.length > 0) widgets.push(new cloudwatch.GraphWidget({ title: 'Lag per source (s)', left: lag, leftYAxis: { min: 0, label: 's' }, width: 12 }));
  if (s.streamIngest) widgets.push(...perShardWidgets(s.streamIngest));
  widgets.push(
    new cloudwatch.GraphWidget({
      title: 'Freshness lag (s)',
      left: ['p50', 'p95', 'p99'].map((p) => m(PipelineMetricName.FRESHNESS_LAG_SECONDS, Duration.minutes(5), p)),
      width: 12,
    }),
    new cloudwatch.GraphWidget({
      title: 'Throughput (records per minute)',
      left: [m(PipelineMetricName.RECORDS_IN, Duration.minutes(1)), m(PipelineMetricName.RECORDS_OUT, Duration.minutes(1)), m(PipelineMetricName.RECORDS_DROPPED, Duration.minutes(1))],
      width: 12,
    }),
  );
  if (s.currentTable) {
    const table = s.currentTable;
    const max = { period: Duration.minutes(5), statistic: cloudwatch.Stats.MAXIMUM };
    widgets.push(
      new cloudwatch.GraphWidget({
        title: 'Current table merge backlog',
        left: [
          table.mergeQueue.metricApproximateNumberOfMessagesVisible({ ...max, label: 'Curated objects waiting' }),
          table.mergeDeadLetterQueue.metricMessagesVisible({ ...max, label: 'Merge DLQ depth' }),
        ],
        right: [table.mergeQueue.metricApproximateAgeOfOldestMessage({ ...max, label: 'Oldest waiting (s)' })],
        leftYAxis: { min: 0, label: 'Objects' },
        rightYAxis: { min: 0, label: 's' },
        width: 12,
      }),
    );
  }
  const archive = s.streamIngest?.archive;
  if (archive) {
    widgets.push(
      new cloudwatch.GraphWidget({
        title: 'Stream archive (Firehose) freshness (s)',
        left: [archiveMetric(archive, ArchiveMetricName.DATA_FRESHNESS, { label: 'Oldest record not yet in S3 (s)' })],
        leftYAxis: { min: 0, label: 's' },
        width: 12,
      }),
    );
  }
  return widgets;
}

/** The per-shard widgets of the stream's enabled shard-level metrics (none without enhanced monitoring). */
function perShardWidgets(ingest: IStreamIngest): cloudwatch.IWidget[] {
  const enabled = (metric: kinesis.ShardLevelMetrics) =>
    ingest.shardLevelMetrics.includes(metric) || ingest.shardLevelMetrics.includes(kinesis.ShardLevelMetrics.ALL);
  const widgets: cloudwatch.IWidget[] = [];
  if (enabled(kinesis.ShardLevelMetrics.ITERATOR_AGE_MILLISECONDS)) {
    widgets.push(
      new cloudwatch.GraphWidget({
        title: 'Iterator age per shard (ms, enhanced monitoring)',
        left: [ingest.metricPerShard(kinesis.ShardLevelMetrics.ITERATOR_AGE_MILLISECONDS)],
        leftYAxis: { min: 0, label: 'ms' },
        width: 12,
      }),
    );
  }
  if (enabled(kinesis.ShardLevelMetrics.INCOMING_RECORDS)) {
    widgets.push(
      new cloudwatch.GraphWidget({
        title: 'Records in per shard (enhanced monitoring)',
        left: [ingest.metricPerShard(kinesis.ShardLevelMetrics.INCOMING_RECORDS, cloudwatch.Stats.SUM)],
        leftYAxis: { min: 0 },
        width: 12,
      }),
    );
  }
  return widgets;
}
