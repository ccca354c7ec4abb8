import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct, IConstruct } from 'constructs';
import { DEFAULT_RUNBOOK_URL, runbookUrlProblem } from '../core/docs';
import { PropValidator } from '../core/prop-validator';
import { PipelineMetricName } from '../contract/metrics';
import { pipelineMetric } from './pipeline-metric';
import type { IPipelineSlos } from './pipeline-slos';
import { operationsWidgets } from './operations-widgets';
import type { IIncidentTiming } from './incident-timing';
import type { ICostPerUnit } from '../governance/cost-per-unit';
import type { IEventBusIngest } from '../ingest/event-bus-ingest';
import type { IStreamIngest } from '../ingest/stream-ingest';
import type { IDeadLetterQueue } from '../reliability/dead-letter-queue';
import type { ITransformFunction } from '../transform/transform-function';

/** Prices the cost estimate uses (USD); defaults are us-east-1 list prices for arm64 Lambda. */
export interface CostModel {
  /**
   * USD per GB-second of arm64 Lambda compute.
   * @default 0.0000133334
   */
  readonly lambdaGbSecond?: number;
  /**
   * USD per Lambda request.
   * @default 0.0000002
   */
  readonly lambdaRequest?: number;
}

/** Props for {@link PipelineDashboard}. */
export interface PipelineDashboardProps {
  /** The pipeline's name (the `Pipeline` dimension of its metrics). */
  readonly pipelineName: string;
  /** The transform function whose stage, invocations, duration and errors the dashboard shows. */
  readonly transform: ITransformFunction;
  /**
   * The pipeline's objectives (success rate and freshness widgets).
   * @default - no SLO widgets
   */
  readonly slos?: IPipelineSlos;
  /**
   * Every alarm to show on the on-call row.
   * @default - none
   */
  readonly alarms?: cloudwatch.IAlarm[];
  /**
   * The Kinesis ingest: its iterator age on the on-call row.
   * @default - none
   */
  readonly streamIngest?: IStreamIngest;
  /**
   * The EventBridge ingest: its buffer's oldest message on the on-call row.
   * @default - none
   */
  readonly eventBusIngest?: IEventBusIngest;
  /**
   * The dead-letter queues whose depths the on-call row shows.
   * @default - none
   */
  readonly deadLetterQueues?: IDeadLetterQueue[];
  /**
   * Prices of the cost estimate.
   * @default - arm64 Lambda list prices in us-east-1
   */
  readonly costModel?: CostModel;
  /**
   * Name of the CloudWatch dashboard.
   * @default - `<pipelineName>-pipeline`
   */
  readonly dashboardName?: string;
  /**
   * Runbook the on-call row links to: an absolute http(s) URL without a #fragment.
   * @default - the installed version's published docs/runbooks.md
   *   (`https://unpkg.com/cdk-serverless-etl@<version>/docs/runbooks.md`)
   */
  readonly runbookUrl?: string;
  /**
   * Time to detect and to recover (an operations row: MTTD and MTTR of page alarms).
   * @default - no incident-timing widgets
   */
  readonly incidentTiming?: IIncidentTiming;
  /**
   * The published cost per unit (an operations row: cost per million records and per service).
   * @default - no published-cost widgets
   */
  readonly costPerUnit?: ICostPerUnit;
}

/** A pipeline's dashboard, as other constructs accept it: implemented by {@link PipelineDashboard}. */
export interface IPipelineDashboard extends IConstruct {
  /** The dashboard. */
  readonly dashboard: cloudwatch.Dashboard;
  /** Estimated USD per million records in, from Lambda duration × memory and requests. */
  readonly costPerMillionRecords: cloudwatch.MathExpression;
}

/**
 * One CloudWatch dashboard, three rows: executive (success rate against the objective, records per
 * day, error-budget burn, estimated cost per million records and this period), on-call (alarm
 * states, DLQ depths, lag per source, failing stages), debug (duration percentiles, cold starts,
 * retries, quarantine by reason, throughput).
 */
export class PipelineDashboard extends Construct implements IPipelineDashboard {
  /** The dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;
  /** Estimated USD per million records in, from Lambda duration × memory and requests. */
  public readonly costPerMillionRecords: cloudwatch.MathExpression;

  constructor(scope: Construct, id: string, props: PipelineDashboardProps) {
    super(scope, id);
    const runbookProblem = runbookUrlProblem('runbookUrl', props.runbookUrl);
    new PropValidator(`PipelineDashboard (${this.node.path})`).check(runbookProblem !== undefined, runbookProblem ?? '').throwIfInvalid();
    const stage = props.transform.stage;
    const m: MetricOf = (name, period = Duration.minutes(5), statistic = cloudwatch.Stats.SUM) =>
      pipelineMetric(props.pipelineName, stage, name, { period, statistic, label: name });
    const cost = costEstimates(props, m);
    this.costPerMillionRecords = cost.perMillionRecords;

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName ?? `${props.pipelineName}-pipeline`,
      defaultInterval: Duration.hours(24),
    });
    this.dashboard.addWidgets(...executiveRow(props, m, cost));
    this.dashboard.addWidgets(...onCallRow(props, m));
    this.dashboard.addWidgets(...debugRow(props.transform, m));
    const operations = operationsWidgets(props.incidentTiming, props.costPerUnit);
    if (operations.length > 0) {
      this.dashboard.addWidgets(new cloudwatch.TextWidget({ markdown: '# Operations\nTime to detect and to recover; cost per unit.', width: 24, height: 1 }), ...operations);
    }
  }
}

/** A pipeline metric of the dashboard's pipeline and stage, labelled with its name. */
type MetricOf = (name: PipelineMetricName, period?: Duration, statistic?: string) => cloudwatch.Metric;

/** The estimated Lambda cost, from duration × memory and requests. */
interface CostEstimates {
  /** USD per million records in (hourly). */
  readonly perMillionRecords: cloudwatch.MathExpression;
  /** USD per day. */
  readonly perDay: cloudwatch.MathExpression;
}

function costEstimates(props: PipelineDashboardProps, m: MetricOf): CostEstimates {
  const { transform } = props;
  const memoryGb = ((transform.function.node.defaultChild as { memorySize?: number }).memorySize ?? 1024) / 1024;
  // Plain decimals: metric math reads 2e-7 as an identifier.
  const gbSecond = decimal(props.costModel?.lambdaGbSecond ?? 0.0000133334);
  const request = decimal(props.costModel?.lambdaRequest ?? 0.0000002);
  const hour = Duration.hours(1);
  const perMillionRecords = new cloudwatch.MathExpression({
    expression: `IF(recordsIn > 0, ((duration / 1000) * ${memoryGb} * ${gbSecond} + invocations * ${request}) / recordsIn * 1000000, 0)`,
    usingMetrics: {
      duration: transform.alias.metricDuration({ period: hour, statistic: cloudwatch.Stats.SUM }),
      invocations: transform.alias.metricInvocations({ period: hour, statistic: cloudwatch.Stats.SUM }),
      recordsIn: m(PipelineMetricName.RECORDS_IN, hour),
    },
    period: hour,
    label: 'Estimated Lambda USD per million records',
  });
  const perDay = new cloudwatch.MathExpression({
    expression: `(dayDuration / 1000) * ${memoryGb} * ${gbSecond} + dayInvocations * ${request}`,
    usingMetrics: {
      dayDuration: transform.alias.metricDuration({ period: Duration.days(1), statistic: cloudwatch.Stats.SUM }),
      dayInvocations: transform.alias.metricInvocations({ period: Duration.days(1), statistic: cloudwatch.Stats.SUM }),
    },
    period: Duration.days(1),
    label: 'Estimated Lambda USD per day',
  });
  return { perMillionRecords, perDay };
}

/** Objectives, volume, budget burn and cost. */
function executiveRow(props: PipelineDashboardProps, m: MetricOf, cost: CostEstimates): cloudwatch.IWidget[] {
  const executive: cloudwatch.IWidget[] = [
    new cloudwatch.TextWidget({ markdown: `# ${props.pipelineName}: executive\nObjectives, volume, budget burn and cost.`, width: 24, height: 1 }),
  ];
  if (props.slos) {
    const slo = props.slos;
    executive.push(
      new cloudwatch.GraphWidget({
        title: `Success rate vs objective ${slo.successRate}`,
        left: [new cloudwatch.MathExpression({ expression: '1 - e', usingMetrics: { e: slo.successErrorRatio }, label: 'Success rate' })],
        leftAnnotations: [{ value: slo.successRate, label: 'Objective', color: '#d62728' }],
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
            color: a.severity === 'page' ? '#d62728' : '#ff7f0e',
          })),
        ],
        width: 8,
      }),
      new cloudwatch.GraphWidget({ title: 'Fresh share', left: [slo.freshRatio], leftYAxis: { min: 0, max: 1 }, width: 8 }),
    );
  }
  executive.push(
    new cloudwatch.SingleValueWidget({ title: 'Records per day', metrics: [m(PipelineMetricName.RECORDS_IN, Duration.days(1)), m(PipelineMetricName.RECORDS_OUT, Duration.days(1))], width: 8 }),
    new cloudwatch.SingleValueWidget({ title: 'Estimated cost', metrics: [cost.perMillionRecords, cost.perDay], width: 8 }),
  );
  return executive;
}

/** Alarm states, dead-letter queues, lag per source, failing stages. */
function onCallRow(props: PipelineDashboardProps, m: MetricOf): cloudwatch.IWidget[] {
  const onCall: cloudwatch.IWidget[] = [
    new cloudwatch.TextWidget({
      markdown: `# On-call\nAlarm states, dead-letter queues, lag, failing stages. Runbook: ${props.runbookUrl ?? DEFAULT_RUNBOOK_URL}`,
      width: 24,
      height: 1,
    }),
  ];
  if (props.alarms && props.alarms.length > 0) {
    onCall.push(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: props.alarms, width: 24, height: Math.min(8, 2 + Math.ceil(props.alarms.length / 4)) }));
  }
  if (props.deadLetterQueues && props.deadLetterQueues.length > 0) {
    onCall.push(new cloudwatch.GraphWidget({ title: 'DLQ depth', left: props.deadLetterQueues.map((d) => d.metricMessagesVisible({ label: d.node.id })), width: 8 }));
  }
  const { transform } = props;
  const lag: cloudwatch.IMetric[] = [];
  if (props.streamIngest) lag.push(transform.alias.metric('IteratorAge', { statistic: cloudwatch.Stats.MAXIMUM, label: 'Kinesis iterator age (ms)' }));
  if (props.eventBusIngest) lag.push(props.eventBusIngest.metricBufferAge({ label: 'Buffer oldest message (s)' }));
  if (lag.length > 0) onCall.push(new cloudwatch.GraphWidget({ title: 'Lag per source', left: lag, width: 8 }));
  onCall.push(
    new cloudwatch.GraphWidget({
      title: 'Failing stages',
      left: [transform.metricErrors({ label: 'Invocation errors' }), m(PipelineMetricName.RECORDS_RETRIED), m(PipelineMetricName.TRANSFORM_ERRORS)],
      width: 8,
    }),
  );
  return onCall;
}

/** Durations, cold starts, retries, quarantine, throughput, freshness. */
function debugRow(transform: ITransformFunction, m: MetricOf): cloudwatch.IWidget[] {
  return [
    new cloudwatch.TextWidget({ markdown: '# Debug\nDurations, cold starts, retries, quarantine, throughput.', width: 24, height: 1 }),
    new cloudwatch.GraphWidget({
      title: 'Transform duration',
      left: ['p50', 'p90', 'p99'].map((p) => transform.metricDuration({ statistic: p, label: p })),
      width: 8,
    }),
    new cloudwatch.GraphWidget({ title: 'Cold starts and retries', left: [m(PipelineMetricName.COLD_STARTS), m(PipelineMetricName.RECORDS_RETRIED), m(PipelineMetricName.DUPLICATES_SKIPPED)], width: 8 }),
    new cloudwatch.GraphWidget({
      title: 'Quarantine by reason',
      left: [m(PipelineMetricName.SCHEMA_MISMATCHES), m(PipelineMetricName.TRANSFORM_ERRORS), m(PipelineMetricName.RECORDS_QUARANTINED)],
      width: 8,
    }),
    new cloudwatch.GraphWidget({
      title: 'Throughput (records per minute)',
      left: [m(PipelineMetricName.RECORDS_IN, Duration.minutes(1)), m(PipelineMetricName.RECORDS_OUT, Duration.minutes(1)), m(PipelineMetricName.RECORDS_DROPPED, Duration.minutes(1))],
      width: 12,
    }),
    new cloudwatch.GraphWidget({
      title: 'Freshness lag (s)',
      left: ['p50', 'p95', 'p99'].map((p) => m(PipelineMetricName.FRESHNESS_LAG_SECONDS, Duration.minutes(5), p)),
      width: 12,
    }),
  ];
}

/** A number as a plain decimal (no exponent), for metric math expressions. */
function decimal(n: number): string {
  return n.toFixed(12).replace(/0+$/, '').replace(/\.$/, '');
}
