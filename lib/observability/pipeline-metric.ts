import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';

/** CloudWatch namespace of the runtime's metrics (see lambda/runtime/metrics.ts). */
export const PIPELINE_NAMESPACE = 'ServerlessEtl';

/** The runtime's metric names: part of the library's API. */
export type PipelineMetricName =
  | 'RecordsIn'
  | 'RecordsOut'
  | 'RecordsQuarantined'
  | 'RecordsDropped'
  | 'DuplicatesSkipped'
  | 'SchemaMismatches'
  | 'TransformErrors'
  | 'RecordsRetried'
  | 'ClaimChecked'
  | 'ColdStarts'
  | 'EventTimeOutOfBounds'
  | 'FreshnessLagSeconds';

/** A runtime metric of one pipeline stage (dimensions `Pipeline` and `Stage`, nothing else). */
export function pipelineMetric(
  pipeline: string,
  stage: string,
  metricName: PipelineMetricName,
  props: cloudwatch.MetricOptions = {},
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: PIPELINE_NAMESPACE,
    metricName,
    dimensionsMap: { Pipeline: pipeline, Stage: stage },
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
