import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct, IConstruct } from 'constructs';
import { alarmDescription } from './alarm-context';
import { AlarmSeverity, IAlarmRouting } from './alarm-routing';
import { BatchDeadline, validateBatchDeadline } from './batch-deadline';
import { BurnRateAlert, DEFAULT_BURN_RATE_ALERTS, validateBurnRateAlerts } from './burn-rate';
import { PipelineMetricName } from '../contract/metrics';
import { percent, pipelineMetric } from './pipeline-metric';
import { DEFAULT_RUNBOOK_URL, runbookUrlProblem } from '../core/docs';
import { acknowledgeRules } from '../core/compliance';
import { PropValidator } from '../core/prop-validator';
import type { ITransformFunction } from '../transform/transform-function';
import type { IWatermarkPublisher } from './watermark-publisher';

/** The objectives of a pipeline stage. */
export interface SloObjectives {
  /**
   * Success-rate objective: records curated, dropped on purpose or skipped as duplicates over
   * records in (0.9 to 0.99999).
   * @default 0.995
   */
  readonly successRate?: number;
  /**
   * Count quarantined records as failures in the success rate. Off by default: quarantine is
   * the pipeline working as designed on bad data (alarmed separately by its rate).
   * @default false
   */
  readonly quarantineIsFailure?: boolean;
  /**
   * The batch path's freshness SLI: the export of day D is loaded by `loadedBy` on day D+1. An
   * alarm (`BatchDeadline`) fires when a deadline passes with its export not loaded (a batch of
   * yesterday's events never counts against the streaming freshness objective). Needs the batch
   * workflow (`EtlPipeline`'s `batchWorkflow`) and its watermark.
   * @default - no batch deadline
   */
  readonly batchDeadline?: BatchDeadline;
  /**
   * Freshness target of the streaming path (stream and bus records): a record is fresh when it reaches curated within this time of its event
   * time (1 minute to 1 day).
   * @default Duration.minutes(5)
   */
  readonly freshnessTarget?: Duration;
  /**
   * Share of records that must be fresh (0.5 to 0.9999): 0.95 means p95 freshness under the target.
   * @default 0.95
   */
  readonly freshnessObjective?: number;
  /**
   * Count a window in which nothing reached curated as stale: a stopped stream or event bus
   * then burns the freshness budget (the fresh share of a silent window is 0, and the burn-rate
   * components treat missing data as breaching). Turn off for a stage with no continuous source,
   * which would otherwise page whenever it is idle (an `EtlPipeline` always has a stream or an
   * event bus, so it keeps the default).
   * @default true
   */
  readonly silenceIsStale?: boolean;
  /**
   * Transform errors (quarantined by the transform) over records in, per transform (0 to 0.5).
   * @default 0.001
   */
  readonly errorRate?: number;
  /**
   * Cold starts over invocations (0 to 1).
   * @default 0.05
   */
  readonly coldStartRate?: number;
  /**
   * Multi-window burn-rate alerts, for both the success-rate and the freshness objectives.
   * @default DEFAULT_BURN_RATE_ALERTS (page 14.4× 1 h/5 min and 6× 6 h/30 min, ticket 3× 1 day/2 h)
   */
  readonly burnRateAlerts?: BurnRateAlert[];
}

/** Props for {@link PipelineSlos}. */
export interface PipelineSlosProps extends SloObjectives {
  /** The pipeline's name (the `Pipeline` dimension of its metrics). */
  readonly pipelineName: string;
  /**
   * The stage measured (the `Stage` dimension).
   * @default 'transform'
   */
  readonly stage?: string;
  /** Where the alerts go. */
  readonly routing: IAlarmRouting;
  /**
   * The transform function, for the cold-start objective (its invocations).
   * @default - no cold-start objective
   */
  readonly transformFunction?: ITransformFunction;
  /**
   * Base address of the runbook the alarm descriptions link to (`<runbookUrl>#<section>`): an
   * absolute http(s) URL without a #fragment, e.g. your wiki's copy of the package's docs/runbooks.md.
   * @default - the installed version's published docs/runbooks.md
   *   (`https://unpkg.com/cdk-serverless-etl@<version>/docs/runbooks.md`)
   */
  readonly runbookUrl?: string;
  /**
   * The stage's watermark publisher, for the batch deadline (it publishes `BatchOverdueSeconds`
   * for the same `batchDeadline`).
   * @default - none: `batchDeadline` cannot be set
   */
  readonly watermarks?: IWatermarkPublisher;
}

/**
 * The objectives of a pipeline stage, as other constructs accept them: implemented by
 * {@link PipelineSlos}. `PipelineDashboard` takes one.
 */
export interface IPipelineSlos extends IConstruct {
  /** The alerting (composite) alarms, by objective and severity. */
  readonly alerts: cloudwatch.CompositeAlarm[];
  /** Every alarm created (components included). */
  readonly alarms: cloudwatch.IAlarm[];
  /** Success-rate error ratio (0..1) per 5 minutes, for dashboards. */
  readonly successErrorRatio: cloudwatch.MathExpression;
  /** Share of fresh records (0..1) per 5 minutes, for dashboards. */
  readonly freshRatio: cloudwatch.MathExpression;
  /** The success-rate objective. */
  readonly successRate: number;
  /** The freshness objective (share of stream and bus records fresh). */
  readonly freshnessObjective: number;
  /** The burn-rate alerts in force. */
  readonly burnRateAlerts: BurnRateAlert[];
  /**
   * Success-rate error ratio (0..1) over `period`: records in that were not curated, dropped or
   * deduplicated (retried, or quarantined when they count), the ratio the burn-rate alerts read.
   */
  metricSuccessErrorRatio(period: Duration): cloudwatch.MathExpression;
  /**
   * Share of stream and bus records (0..1) that reached curated within the freshness target over
   * `period`; a period with nothing curated is 0 when silence is stale, else 1.
   */
  metricFreshShare(period: Duration): cloudwatch.MathExpression;
}

/**
 * Service-level objectives of a pipeline stage with multi-window, multi-burn-rate alerts:
 * success rate and freshness (metric-math burn-rate alarms combined in composite alarms; the page
 * alert suppresses the ticket alert while it fires), plus error-rate and cold-start objectives.
 */
export class PipelineSlos extends Construct implements IPipelineSlos {
  /**
   * The default burn-rate alerts (SRE workbook, 30-day budget): page at 14.4× over 1 h and 5 min
   * or 6× over 6 h and 30 min; ticket at 3× over 1 day and 2 h.
   */
  public static readonly DEFAULT_BURN_RATE_ALERTS: BurnRateAlert[] = [...DEFAULT_BURN_RATE_ALERTS];

  /** The alerting (composite) alarms, by objective and severity. */
  public readonly alerts: cloudwatch.CompositeAlarm[] = [];
  /** Every alarm created (components included). */
  public readonly alarms: cloudwatch.IAlarm[] = [];
  /** Success-rate error ratio (0..1) per 5 minutes, for dashboards. */
  public readonly successErrorRatio: cloudwatch.MathExpression;
  /** Share of fresh records (0..1) per 5 minutes, for dashboards. */
  public readonly freshRatio: cloudwatch.MathExpression;
  /** The success-rate objective. */
  public readonly successRate: number;
  /** The freshness objective (share of stream and bus records fresh). */
  public readonly freshnessObjective: number;
  /** The burn-rate alerts in force. */
  public readonly burnRateAlerts: BurnRateAlert[];
  private readonly runbook: string;
  private readonly quarantineIsFailure: boolean;
  private readonly freshnessTarget: Duration;
  private readonly silenceIsStale: boolean;
  private readonly pipeline: string;
  private readonly stage: string;

  constructor(scope: Construct, id: string, props: PipelineSlosProps) {
    super(scope, id);
    this.pipeline = props.pipelineName;
    this.stage = props.stage ?? 'transform';
    this.runbook = props.runbookUrl ?? DEFAULT_RUNBOOK_URL;
    this.successRate = props.successRate ?? 0.995;
    const freshnessObjective = props.freshnessObjective ?? 0.95;
    this.freshnessObjective = freshnessObjective;
    const freshnessTarget = props.freshnessTarget ?? Duration.minutes(5);
    this.freshnessTarget = freshnessTarget;
    this.quarantineIsFailure = props.quarantineIsFailure ?? false;
    this.silenceIsStale = props.silenceIsStale ?? true;
    const alerts = props.burnRateAlerts ?? [...DEFAULT_BURN_RATE_ALERTS];
    this.burnRateAlerts = alerts;
    const v = new PropValidator(`PipelineSlos (${this.node.path})`);
    validateSloObjectives(v, props);
    const runbookProblem = runbookUrlProblem('runbookUrl', props.runbookUrl);
    v.check(runbookProblem !== undefined, runbookProblem ?? '');
    v.check(
      props.batchDeadline !== undefined && props.watermarks?.batchDeadline === undefined,
      `${v.path('batchDeadline')} is set but no watermark publisher publishes a batch deadline (watermarks): ` +
        'give watermarks a WatermarkPublisher with the batch source and the same batchDeadline',
    );
    v.throwIfInvalid();

    this.successErrorRatio = this.successErrors(Duration.minutes(5), props.quarantineIsFailure ?? false);
    const silenceIsStale = this.silenceIsStale;
    this.freshRatio = this.freshShare(Duration.minutes(5), freshnessTarget, silenceIsStale);
    this.addBurnRateAlerts('SuccessRate', 'success-rate-burn', alerts, props.routing, {
      objective: this.successRate,
      describe: 'records not curated, dropped or deduplicated on their first delivery (retried or failed)',
      errorRatio: (period) => this.successErrors(period, props.quarantineIsFailure ?? false),
    });
    this.addBurnRateAlerts('Freshness', 'freshness-burn', alerts, props.routing, {
      objective: freshnessObjective,
      describe: `stream and bus records reaching curated later than ${freshnessTarget.toHumanString()} after their event time` +
        (silenceIsStale ? ', or nothing reaching curated at all (a stalled source)' : ''),
      errorRatio: (period) =>
        new cloudwatch.MathExpression({ expression: '1 - fresh', usingMetrics: { fresh: this.freshShare(period, freshnessTarget, silenceIsStale) }, period }),
      missingData: silenceIsStale ? cloudwatch.TreatMissingData.BREACHING : cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    const errorRate = props.errorRate ?? 0.001;
    const transformErrors = new cloudwatch.MathExpression({
      expression: 'IF(recordsIn > 0, errors / recordsIn, 0)',
      usingMetrics: { errors: this.metric(PipelineMetricName.TRANSFORM_ERRORS, Duration.minutes(15)), recordsIn: this.metric(PipelineMetricName.RECORDS_IN, Duration.minutes(15)) },
      period: Duration.minutes(15),
      label: 'Transform error ratio',
    });
    this.objectiveAlarm('TransformErrorRate', transformErrors, errorRate, 'error-rate-per-transform', props.routing,
      `Transform errors (records the transform threw on or returned invalid output for) exceeded ${percent(errorRate)} of records in over 15 minutes in ${this.stage}.`);

    if (props.batchDeadline && props.watermarks) this.addBatchDeadline(props.batchDeadline, props.watermarks, props.routing);

    if (props.transformFunction) {
      const coldStartRate = props.coldStartRate ?? 0.05;
      const coldStarts = new cloudwatch.MathExpression({
        expression: 'IF(invocations > 0, coldStarts / invocations, 0)',
        usingMetrics: {
          coldStarts: this.metric(PipelineMetricName.COLD_STARTS, Duration.hours(1)),
          invocations: props.transformFunction.alias.metricInvocations({ period: Duration.hours(1), statistic: cloudwatch.Stats.SUM }),
        },
        period: Duration.hours(1),
        label: 'Cold start ratio',
      });
      this.objectiveAlarm('ColdStartRate', coldStarts, coldStartRate, 'cold-start-rate', props.routing,
        `More than ${percent(coldStartRate)} of invocations over an hour were cold starts in ${this.stage}: consider provisioned concurrency or larger batches.`);
    }
  }

  /**
   * The batch path's SLI: each day's export loaded by its deadline. The publisher's
   * `BatchOverdueSeconds` is above 0 from the minute a deadline passes with its export not loaded
   * until it is; a missing value (publisher down) counts as overdue.
   */
  private addBatchDeadline(deadline: BatchDeadline, watermarks: IWatermarkPublisher, routing: IAlarmRouting): void {
    const severity = deadline.severity ?? AlarmSeverity.PAGE;
    const zone = deadline.timeZone ?? 'UTC';
    const alarm = watermarks.metricBatchOverdue({ period: Duration.minutes(1) }).createAlarm(this, 'BatchDeadline', {
      alarmDescription: alarmDescription({
        severity,
        pipeline: this.pipeline,
        stage: this.stage,
        meaning: `the batch export of a day was not loaded by ${deadline.loadedBy} (${zone}) the day after: no record of that day has reached curated`,
        anchor: 'batch-deadline',
        runbook: this.runbook,
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    routing.route(alarm, severity);
    this.alarms.push(alarm);
  }

  /**
   * Success-rate error ratio (0..1) over `period`: records in that were not curated, dropped or
   * deduplicated (retried, or quarantined when they count), the ratio the burn-rate alerts read.
   */
  public metricSuccessErrorRatio(period: Duration): cloudwatch.MathExpression {
    return this.successErrors(period, this.quarantineIsFailure);
  }

  /**
   * Share of stream and bus records (0..1) that reached curated within the freshness target over
   * `period`; a period with nothing curated is 0 when silence is stale, else 1.
   */
  public metricFreshShare(period: Duration): cloudwatch.MathExpression {
    return this.freshShare(period, this.freshnessTarget, this.silenceIsStale);
  }

  private metric(name: PipelineMetricName, period: Duration, statistic: string = cloudwatch.Stats.SUM) {
    return pipelineMetric(this.pipeline, this.stage, name, { period, statistic });
  }

  /** Share of records in that were not curated, dropped or deduplicated (retried, or quarantined if they count). */
  private successErrors(period: Duration, quarantineIsFailure: boolean): cloudwatch.MathExpression {
    const good = quarantineIsFailure ? 'recordsOut + dropped + duplicates' : 'recordsOut + dropped + duplicates + quarantined';
    return new cloudwatch.MathExpression({
      expression: `IF(recordsIn > 0, MAX([0, recordsIn - (${good})]) / recordsIn, 0)`,
      usingMetrics: {
        recordsIn: this.metric(PipelineMetricName.RECORDS_IN, period),
        recordsOut: this.metric(PipelineMetricName.RECORDS_OUT, period),
        dropped: this.metric(PipelineMetricName.RECORDS_DROPPED, period),
        duplicates: this.metric(PipelineMetricName.DUPLICATES_SKIPPED, period),
        quarantined: this.metric(PipelineMetricName.RECORDS_QUARANTINED, period),
      },
      period,
      label: 'Success-rate error ratio',
    });
  }

  /**
   * Share of curated records (0..1) within the freshness target: the percentile rank of the
   * target. A window without lag values (nothing curated) is 0 when silence is stale, else 1.
   */
  private freshShare(period: Duration, target: Duration, silenceIsStale: boolean): cloudwatch.MathExpression {
    return new cloudwatch.MathExpression({
      expression: `FILL(rank, ${silenceIsStale ? 0 : 100}) / 100`,
      usingMetrics: { rank: this.metric(PipelineMetricName.FRESHNESS_LAG_SECONDS, period, `PR(:${target.toSeconds()})`) },
      period,
      label: 'Fresh share',
    });
  }

  private addBurnRateAlerts(
    name: string,
    anchor: string,
    alerts: readonly BurnRateAlert[],
    routing: IAlarmRouting,
    slo: {
      objective: number;
      describe: string;
      errorRatio: (period: Duration) => cloudwatch.MathExpression;
      /** How a component treats a window without data. @default NOT_BREACHING */
      missingData?: cloudwatch.TreatMissingData;
    },
  ): void {
    const budget = 1 - slo.objective;
    const burnAlarm = (window: Duration, burnRate: number, id: string) => {
      const expression = new cloudwatch.MathExpression({
        expression: `errors / ${round(budget)}`,
        usingMetrics: { errors: slo.errorRatio(window) },
        period: window,
        label: `${name} burn rate (${window.toHumanString()})`,
      });
      const alarm = expression.createAlarm(this, id, {
        alarmDescription: alarmDescription({
          severity: 'component',
          pipeline: this.pipeline,
          stage: this.stage,
          meaning: `a window of the ${name} burn-rate alerts (the composite notifies): burn rate over ${window.toHumanString()} is at least ${burnRate}`,
          anchor,
          runbook: this.runbook,
        }),
        threshold: burnRate,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: slo.missingData ?? cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      acknowledgeRules(alarm, {
        ids: ['NIST.800.53.R5-CloudWatchAlarmAction', 'HIPAA.Security-CloudWatchAlarmAction'],
        reason: 'A component of a multi-window burn-rate alert: the composite alarm built on it notifies, so a single window alone does not page.',
      });
      this.alarms.push(alarm);
      return alarm;
    };

    const bySeverity = new Map<AlarmSeverity, cloudwatch.IAlarmRule[]>();
    alerts.forEach((a, i) => {
      const long = burnAlarm(a.longWindow, a.burnRate, `${name}Burn${i}Long`);
      const short = burnAlarm(a.shortWindow, a.burnRate, `${name}Burn${i}Short`);
      bySeverity.set(a.severity, [...(bySeverity.get(a.severity) ?? []), cloudwatch.AlarmRule.allOf(long, short)]);
    });
    let page: cloudwatch.CompositeAlarm | undefined;
    for (const severity of [AlarmSeverity.PAGE, AlarmSeverity.TICKET]) {
      const rules = bySeverity.get(severity);
      if (!rules) continue;
      const windows = alerts
        .filter((a) => a.severity === severity)
        .map((a) => `${a.burnRate}× over ${a.longWindow.toHumanString()} and ${a.shortWindow.toHumanString()}`)
        .join(', or ');
      const composite = new cloudwatch.CompositeAlarm(this, `${name}${severity === AlarmSeverity.PAGE ? 'Page' : 'Ticket'}`, {
        alarmRule: cloudwatch.AlarmRule.anyOf(...rules),
        alarmDescription: alarmDescription({
          severity,
          pipeline: this.pipeline,
          stage: this.stage,
          meaning: `the ${name} error budget (objective ${slo.objective}) is burning ${windows}: ${slo.describe}`,
          anchor,
          runbook: this.runbook,
        }),
        // The faster (page) alert suppresses the slower (ticket) one while it fires.
        ...(page && severity === AlarmSeverity.TICKET
          ? { actionsSuppressor: page, actionsSuppressorWaitPeriod: Duration.minutes(1), actionsSuppressorExtensionPeriod: Duration.minutes(10) }
          : {}),
      });
      routing.route(composite, severity);
      this.alerts.push(composite);
      this.alarms.push(composite);
      if (severity === AlarmSeverity.PAGE) page = composite;
    }
  }

  private objectiveAlarm(id: string, ratio: cloudwatch.MathExpression, objective: number, anchor: string, routing: IAlarmRouting, meaning: string) {
    const alarm = ratio.createAlarm(this, id, {
      alarmDescription: alarmDescription({ severity: AlarmSeverity.TICKET, pipeline: this.pipeline, stage: this.stage, meaning, anchor, runbook: this.runbook }),
      threshold: objective,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    routing.route(alarm, AlarmSeverity.TICKET);
    this.alarms.push(alarm);
  }
}

/** Checks {@link SloObjectives}; adds each problem to `v` (`EtlPipeline` passes its own, under `slos`). */
export function validateSloObjectives(v: PropValidator, props: SloObjectives): void {
  const successRate = props.successRate ?? 0.995;
  const freshnessObjective = props.freshnessObjective ?? 0.95;
  const alerts = props.burnRateAlerts ?? [...DEFAULT_BURN_RATE_ALERTS];
  v.number('successRate', successRate, 0.9, 0.99999)
    .number('freshnessObjective', freshnessObjective, 0.5, 0.9999)
    .number('errorRate', props.errorRate, 0, 0.5)
    .number('coldStartRate', props.coldStartRate, 0, 1)
    .duration('freshnessTarget', props.freshnessTarget ?? Duration.minutes(5), Duration.minutes(1), Duration.days(1))
    .check(alerts.length === 0, `${v.path('burnRateAlerts')} is empty; give at least one alert`);
  // The same alerts serve both objectives: each must be reachable with the smaller budget's objective.
  const objectivesValid = successRate >= 0.9 && successRate <= 0.99999 && freshnessObjective >= 0.5 && freshnessObjective <= 0.9999;
  validateBatchDeadline(v, 'batchDeadline', props.batchDeadline);
  validateBurnRateAlerts(v, 'burnRateAlerts', alerts, objectivesValid ? Math.min(successRate, freshnessObjective) : undefined);
}

/** A number as a plain decimal (no exponent), for metric math expressions. */
function round(n: number): string {
  return n.toFixed(9).replace(/0+$/, '').replace(/\.$/, '');
}
