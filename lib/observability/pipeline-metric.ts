import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { METRIC_DIMENSION, METRIC_NAMESPACE, PipelineMetricName } from '../contract/metrics';

/** A runtime metric of one pipeline stage (dimensions `Pipeline` and `Stage`, nothing else). */
export function pipelineMetric(
  pipeline: string,
  stage: string,
  metricName: PipelineMetricName,
  props: cloudwatch.MetricOptions = {},
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRIC_NAMESPACE,
    metricName,
    dimensionsMap: { [METRIC_DIMENSION.pipeline]: pipeline, [METRIC_DIMENSION.stage]: stage },
    statistic: cloudwatch.Stats.SUM,
    period: Duration.minutes(1),
    ...props,
  });
}

/** The runbook address of an alarm: `<base>#<anchor>`. */
export function runbookLink(base: string, anchor: string): string {
  return `${base}#${anchor}`;
}

/** A ratio as a percentage for alarm descriptions, without floating-point noise (0.07 → "7%"). */
export function percent(ratio: number): string {
  return `${Number((ratio * 100).toFixed(6))}%`;
}

/** A number as a plain decimal (no exponent), for metric math expressions: metric math reads `2e-7` as an identifier. */
export function decimal(n: number): string {
  return n.toFixed(12).replace(/0+$/, '').replace(/\.$/, '');
}
