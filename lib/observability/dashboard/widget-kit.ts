import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { PipelineMetricName } from '../../contract/metrics';

/** The dashboard grid is 24 units wide. */
export const FULL_WIDTH = 24;

/** A pipeline metric of the dashboard's pipeline and stage, labelled with its name. */
export type MetricOf = (name: PipelineMetricName, period?: Duration, statistic?: string) => cloudwatch.Metric;

/** The header of a row: the question it answers, and what it shows. */
export function rowHeader(question: string, shows: string): cloudwatch.TextWidget {
  return new cloudwatch.TextWidget({ markdown: `# ${question}\n${shows}`, width: FULL_WIDTH, height: 2 });
}

/**
 * The executions of a state machine (started, succeeded, failed, timed out, aborted; sums over 5
 * minutes) and their duration (p90 over 5 minutes, right axis).
 */
export function executionsWidget(title: string, stateMachine: sfn.IStateMachine, width: number): cloudwatch.GraphWidget {
  const sum = { period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM };
  return new cloudwatch.GraphWidget({
    title,
    left: [
      stateMachine.metricStarted({ ...sum, label: 'Started' }),
      stateMachine.metricSucceeded({ ...sum, label: 'Succeeded' }),
      stateMachine.metricFailed({ ...sum, label: 'Failed', color: cloudwatch.Color.RED }),
      stateMachine.metricTimedOut({ ...sum, label: 'Timed out', color: cloudwatch.Color.ORANGE }),
      stateMachine.metricAborted({ ...sum, label: 'Aborted', color: cloudwatch.Color.GREY }),
    ],
    right: [stateMachine.metricTime({ period: Duration.minutes(5), statistic: cloudwatch.Stats.p(90), label: 'Duration p90 (ms)' })],
    leftYAxis: { min: 0, label: 'Executions' },
    rightYAxis: { min: 0, label: 'ms' },
    width,
  });
}
