import { Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { StreamIngest } from '../../lib/ingest/stream-ingest';
import { archiveMetric, ArchiveMetricName, mappingIteratorAge } from '../../lib/observability/source-metrics';
import { testStack } from '../support/cdk';
import { logicalId, transformFunction } from './fixtures';

describe('source metrics', () => {
  const stack: Stack = testStack();
  const archive = new StreamIngest(stack, 'Ingest', { archiveBucket: new s3.Bucket(stack, 'Raw') }).archive!;

  test.each([
    [ArchiveMetricName.RECORDS_READ, 'DataReadFromKinesisStream.Records', 'Sum'],
    [ArchiveMetricName.RECORDS_DELIVERED, 'DeliveryToS3.Records', 'Sum'],
    [ArchiveMetricName.DELIVERY_SUCCESS, 'DeliveryToS3.Success', 'Average'],
    [ArchiveMetricName.DATA_FRESHNESS, 'DeliveryToS3.DataFreshness', 'Maximum'],
  ])('the archive\'s %s: AWS/Firehose %s of this delivery stream, %s over 5 minutes', (name, metricName, statistic) => {
    const metric = archiveMetric(archive, name);
    expect([metric.namespace, metric.metricName, metric.statistic, metric.period.toSeconds()]).toEqual(['AWS/Firehose', metricName, statistic, 300]);
    expect(stack.resolve(metric.dimensions)).toEqual({ DeliveryStreamName: { Ref: logicalId(archive) } });
    expect(archiveMetric(archive, name, { statistic: 'p99' }).statistic).toBe('p99');
  });

  test('the Kinesis mapping\'s lag: AWS/Lambda IteratorAge of the live alias, maximum over 1 minute', () => {
    const s = testStack();
    const fn = transformFunction(s);
    const metric = mappingIteratorAge(fn);
    expect([metric.namespace, metric.metricName, metric.statistic, metric.period.toSeconds()]).toEqual(['AWS/Lambda', 'IteratorAge', 'Maximum', 60]);
    expect(s.resolve(metric.dimensions)).toEqual({
      FunctionName: { Ref: logicalId(fn.function) },
      Resource: { 'Fn::Join': ['', [{ Ref: logicalId(fn.function) }, ':live']] },
    });
  });
});
