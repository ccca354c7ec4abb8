import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import type { ITransformFunction } from '../transform/transform-function';

/**
 * Metric factories of the pipeline's sources and edges that their constructs do not offer a
 * `metric…` method for: the Kinesis event source mapping's lag (AWS/Lambda `IteratorAge`) and the
 * stream archive's delivery (AWS/Firehose). Alarms and dashboard widgets are built on these;
 * nothing here creates a resource.
 */

/** The AWS/Firehose metrics of an S3 delivery stream fed by a Kinesis stream. */
export enum ArchiveMetricName {
  /** Records read from the source stream (a stream fed by Kinesis has no `IncomingRecords`). */
  RECORDS_READ = 'DataReadFromKinesisStream.Records',
  /** Records delivered to S3. */
  RECORDS_DELIVERED = 'DeliveryToS3.Records',
  /** Successful S3 puts over attempted ones (1 when every delivery succeeded). */
  DELIVERY_SUCCESS = 'DeliveryToS3.Success',
  /** Age of the oldest record not yet delivered to S3, in seconds. */
  DATA_FRESHNESS = 'DeliveryToS3.DataFreshness',
}

/** The statistic each archive metric is read with. */
const ARCHIVE_STATISTIC: Record<ArchiveMetricName, string> = {
  [ArchiveMetricName.RECORDS_READ]: cloudwatch.Stats.SUM,
  [ArchiveMetricName.RECORDS_DELIVERED]: cloudwatch.Stats.SUM,
  [ArchiveMetricName.DELIVERY_SUCCESS]: cloudwatch.Stats.AVERAGE,
  [ArchiveMetricName.DATA_FRESHNESS]: cloudwatch.Stats.MAXIMUM,
};

/** An AWS/Firehose metric of the stream archive (over 5 minutes, with the statistic it is read with). */
export function archiveMetric(archive: firehose.IDeliveryStream, name: ArchiveMetricName, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
  return archive.metric(name, { period: Duration.minutes(5), statistic: ARCHIVE_STATISTIC[name], ...props });
}

/**
 * How far the transform's Kinesis event source mapping is behind: AWS/Lambda `IteratorAge` of the
 * live alias, in milliseconds (maximum over 1 minute, over every shard it reads).
 */
export function mappingIteratorAge(transform: ITransformFunction, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
  return transform.alias.metric('IteratorAge', { period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM, ...props });
}
