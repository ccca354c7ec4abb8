import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { PipelineMetricName } from '../../contract/metrics';
import { AlarmSeverity } from '../alarm-routing';
import type { IIncidentTiming } from '../incident-timing';
import { decimal } from '../pipeline-metric';
import type { IPipelineSlos } from '../pipeline-slos';
import { ERROR_BUDGET_WINDOW, freshnessCompliance, successCompliance } from '../slo-compliance';
import type { IWatermarkPublisher } from '../watermark-publisher';
import { FULL_WIDTH, MetricOf, rowHeader } from './widget-kit';

/** CloudWatch: an alarm status widget shows 1 to 100 alarms. */
export const MAX_ALARMS_PER_WIDGET = 100;

/** What the "Is it healthy?" row shows. */
export interface HealthSources {
  /** The pipeline's name. */
  readonly pipelineName: string;
  /** The runbook the row links to. */
  readonly runbookUrl: string;
  /** The pipeline's metrics. */
  readonly metricOf: MetricOf;
  /** Every alarm of the pipeline. */
  readonly alarms?: cloudwatch.IAlarm[];
  /** The objectives. */
  readonly slos?: IPipelineSlos;
  /** The watermark publisher, for the batch deadline. */
  readonly watermarks?: IWatermarkPublisher;
  /** Time to detect and to recover. */
  readonly incidentTiming?: IIncidentTiming;
}

/**
 * "Is it healthy?": alarm states, the objectives now and over the error-budget window (30 days:
 * compliance and budget left), records per day, the batch deadline, time to detect and recover.
 */
export function healthRow(s: HealthSources): cloudwatch.IWidget[] {
  const widgets: cloudwatch.IWidget[] = [
    rowHeader(`${s.pipelineName}: is it healthy?`, `Alarm states (in alarm first), the objectives now and over ${ERROR_BUDGET_WINDOW.toHumanString()}. Runbook: ${s.runbookUrl}`),
  ];
  widgets.push(...alarmWidgets(s.alarms ?? []));
  if (s.slos) widgets.push(...objectiveWidgets(s.slos));
  widgets.push(
    new cloudwatch.SingleValueWidget({
      title: 'Records per day',
      metrics: [s.metricOf(PipelineMetricName.RECORDS_IN, Duration.days(1)), s.metricOf(PipelineMetricName.RECORDS_OUT, Duration.days(1))],
      width: 6,
    }),
  );
  const deadline = s.watermarks?.batchDeadline;
  if (s.watermarks && deadline) {
    widgets.push(
      new cloudwatch.GraphWidget({
        title: `Batch deadline: export loaded by ${deadline.loadedBy} (${deadline.timeZone ?? 'UTC'})`,
        left: [s.watermarks.metricBatchOverdue({ label: 'Overdue (s)' })],
        leftAnnotations: [{ value: 0, label: 'Loaded in time', color: cloudwatch.Color.GREEN }],
        leftYAxis: { min: 0, label: 's overdue' },
        width: 6,
      }),
    );
  }
  if (s.incidentTiming) {
    const day = { period: Duration.days(1) };
    widgets.push(
      new cloudwatch.GraphWidget({
        title: 'Time to detect and to recover, page alarms (s, daily average)',
        left: [
          s.incidentTiming.metricTimeToDetect(AlarmSeverity.PAGE, { ...day, label: 'MTTD' }),
          s.incidentTiming.metricTimeToRecover(AlarmSeverity.PAGE, { ...day, label: 'MTTR' }),
        ],
        width: 12,
      }),
    );
  }
  return widgets;
}

/** Alarm status widgets, in alarm first, at most {@link MAX_ALARMS_PER_WIDGET} alarms each. */
export function alarmWidgets(alarms: readonly cloudwatch.IAlarm[]): cloudwatch.AlarmStatusWidget[] {
  const widgets: cloudwatch.AlarmStatusWidget[] = [];
  for (let i = 0; i < alarms.length; i += MAX_ALARMS_PER_WIDGET) {
    const chunk = alarms.slice(i, i + MAX_ALARMS_PER_WIDGET);
    const part = alarms.length > MAX_ALARMS_PER_WIDGET ? ` (${i / MAX_ALARMS_PER_WIDGET + 1} of ${Math.ceil(alarms.length / MAX_ALARMS_PER_WIDGET)})` : '';
    widgets.push(
      new cloudwatch.AlarmStatusWidget({
        title: `Alarms${part}`,
        alarms: chunk,
        sortBy: cloudwatch.AlarmStatusWidgetSortBy.STATE_UPDATED_TIMESTAMP,
        width: FULL_WIDTH,
        height: Math.min(8, 2 + Math.ceil(chunk.length / 4)),
      }),
    );
  }
  return widgets;
}

/** The objectives now (5 minutes) and over the error-budget window. */
function objectiveWidgets(slo: IPipelineSlos): cloudwatch.IWidget[] {
  const success = successCompliance(slo);
  const freshness = freshnessCompliance(slo);
  const window = ERROR_BUDGET_WINDOW.toHumanString();
  const start = `-P${ERROR_BUDGET_WINDOW.toDays()}D`;
  const objective = (value: number, label: string) => ({ value, label, color: cloudwatch.Color.RED });
  return [
    new cloudwatch.GraphWidget({
      title: `Success rate vs objective ${slo.successRate}`,
      left: [new cloudwatch.MathExpression({ expression: '1 - e', usingMetrics: { e: slo.successErrorRatio }, label: 'Success rate' })],
      leftAnnotations: [objective(slo.successRate, 'Objective')],
      leftYAxis: { min: 0.9, max: 1 },
      width: 8,
    }),
    new cloudwatch.GraphWidget({
      title: 'Error-budget burn rate (5 min)',
      left: [new cloudwatch.MathExpression({ expression: `e / ${decimal(1 - slo.successRate)}`, usingMetrics: { e: slo.successErrorRatio }, label: 'Burn rate' })],
      leftAnnotations: [
        { value: 1, label: 'Budget-neutral' },
        ...slo.burnRateAlerts.map((a) => ({
          value: a.burnRate,
          label: `${a.severity} (${a.longWindow.toHumanString()})`,
          color: a.severity === AlarmSeverity.PAGE ? cloudwatch.Color.RED : cloudwatch.Color.ORANGE,
        })),
      ],
      width: 8,
    }),
    new cloudwatch.GraphWidget({
      title: `Fresh share vs objective ${slo.freshnessObjective}`,
      left: [slo.freshRatio],
      leftAnnotations: [objective(slo.freshnessObjective, 'Objective')],
      leftYAxis: { min: 0, max: 1 },
      width: 8,
    }),
    new cloudwatch.SingleValueWidget({
      title: `Success rate, last ${window} (objective ${slo.successRate})`,
      metrics: [success.compliance, success.budgetRemaining],
      start,
      setPeriodToTimeRange: true,
      fullPrecision: true,
      width: 6,
    }),
    new cloudwatch.SingleValueWidget({
      title: `Freshness, last ${window} (objective ${slo.freshnessObjective})`,
      metrics: [freshness.compliance, freshness.budgetRemaining],
      start,
      setPeriodToTimeRange: true,
      fullPrecision: true,
      width: 6,
    }),
    new cloudwatch.GraphWidget({
      title: `Daily success rate and fresh share, last ${window}`,
      left: [successCompliance(slo, Duration.days(1)).compliance, freshnessCompliance(slo, Duration.days(1)).compliance],
      leftAnnotations: [objective(slo.successRate, 'Success objective'), { ...objective(slo.freshnessObjective, 'Freshness objective'), color: cloudwatch.Color.ORANGE }],
      leftYAxis: { min: 0, max: 1 },
      start,
      width: 12,
    }),
  ];
}
