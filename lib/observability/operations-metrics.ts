import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { METRIC_DIMENSION, METRIC_NAMESPACE, OperationsMetricName, PipelineMetricName } from '../contract/metrics';
import { pipelineMetric } from './pipeline-metric';
import type { IDeadLetterQueue } from '../reliability/dead-letter-queue';

/**
 * Metric factories of the measures beyond the runtime's counts: throughput (M3), dead-letter
 * rate (M9), cost per million records (M6), time to detect and to recover (M7, M8). Alarms and
 * widgets are built on these; nothing here creates a resource.
 */

/** The period of the throughput metric the anomaly band is trained on. */
export const THROUGHPUT_PERIOD = Duration.minutes(5);

/** The window of the dead-letter rate. */
export const DEAD_LETTER_RATE_WINDOW = Duration.hours(1);

/** Records in per {@link THROUGHPUT_PERIOD} (sum), the metric of the throughput anomaly band. */
export function recordsPerPeriod(pipeline: string, stage: string, period: Duration = THROUGHPUT_PERIOD): cloudwatch.Metric {
  return pipelineMetric(pipeline, stage, PipelineMetricName.RECORDS_IN, { period, label: 'Records in' });
}

/**
 * Messages that arrived in a dead-letter queue over `window`, per record in: the larger of the
 * messages sent to it (the Kinesis on-failure destination, EventBridge and Step Functions send)
 * and the growth of its visible messages within the window (`Maximum − Minimum`; SQS does not
 * count messages its redrive policy moves in as sent). A source that dead-lettered while nothing
 * came in rates 1.
 */
export function deadLetterRate(pipeline: string, stage: string, dlq: IDeadLetterQueue, window: Duration = DEAD_LETTER_RATE_WINDOW): cloudwatch.MathExpression {
  return new cloudwatch.MathExpression({
    expression: 'IF(recordsIn > 0, arrived / recordsIn, IF(arrived > 0, 1, 0))',
    usingMetrics: { arrived: deadLettered(dlq, window), recordsIn: pipelineMetric(pipeline, stage, PipelineMetricName.RECORDS_IN, { period: window }) },
    period: window,
    label: `Dead-letter rate of ${dlq.node.id}`,
  });
}

/** Messages that arrived in a dead-letter queue over `window` (see {@link deadLetterRate}). */
export function deadLettered(dlq: IDeadLetterQueue, window: Duration = DEAD_LETTER_RATE_WINDOW): cloudwatch.MathExpression {
  return new cloudwatch.MathExpression({
    expression: 'MAX([FILL(sent, 0), FILL(visibleMax, 0) - FILL(visibleMin, 0)])',
    usingMetrics: {
      sent: dlq.queue.metricNumberOfMessagesSent({ period: window, statistic: cloudwatch.Stats.SUM }),
      visibleMax: dlq.metricMessagesVisible({ period: window, statistic: cloudwatch.Stats.MAXIMUM }),
      visibleMin: dlq.metricMessagesVisible({ period: window, statistic: cloudwatch.Stats.MINIMUM }),
    },
    period: window,
    label: `Dead-lettered to ${dlq.node.id}`,
  });
}

/** A metric of the operations publishers (cost, incident timing) of one pipeline. */
export function operationsMetric(
  pipeline: string,
  metricName: OperationsMetricName,
  dimensions: Record<string, string> = {},
  props: cloudwatch.MetricOptions = {},
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRIC_NAMESPACE,
    metricName,
    dimensionsMap: { [METRIC_DIMENSION.pipeline]: pipeline, ...dimensions },
    statistic: cloudwatch.Stats.AVERAGE,
    period: Duration.hours(1),
    ...props,
  });
}
