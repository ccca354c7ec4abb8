import { Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct, IConstruct } from 'constructs';
import { alarmDescription } from './alarm-context';
import { AlarmSeverity, IAlarmRouting } from './alarm-routing';
import { PipelineMetricName } from '../contract/metrics';
import { deadLetterRate, DEAD_LETTER_RATE_WINDOW, recordsPerPeriod, THROUGHPUT_PERIOD } from './operations-metrics';
import { percent, pipelineMetric } from './pipeline-metric';
import { archiveMetric, ArchiveMetricName, mappingIteratorAge } from './source-metrics';
import { DEFAULT_RUNBOOK_URL, runbookUrlProblem } from '../core/docs';
import { PropValidator } from '../core/prop-validator';
import { PipelineSource } from '../contract/watermarks';
import { batchStaleAfter } from './batch-deadline';
import type { IWatermarkPublisher } from './watermark-publisher';
import type { IEventBusIngest } from '../ingest/event-bus-ingest';
import type { IStreamIngest } from '../ingest/stream-ingest';
import type { IDeadLetterQueue } from '../reliability/dead-letter-queue';
import type { IIdempotencyStore } from '../reliability/idempotency-store';
import type { ITransformFunction } from '../transform/transform-function';

/** Time the dead-letter age alarm leaves between firing and the message expiring: a working day to redrive. */
const DEAD_LETTER_REDRIVE_MARGIN = Duration.days(1);
/** Firehose buffers at most 15 minutes: an archive record older than this (plus 5 minutes to deliver) is stuck. */
const ARCHIVE_MAX_DATA_AGE = Duration.minutes(20);
/** The period of most alarms. */
const FIVE_MINUTES = Duration.minutes(5);

/** Thresholds of the operational alarms. */
export interface OperationalAlarmThresholds {
  /**
   * Alarm when the Kinesis iterator age or the buffer's oldest message is older than this, for 5 minutes.
   * @default Duration.minutes(5)
   */
  readonly maxLag?: Duration;
  /**
   * Alarm (ticket) when a dead-lettered message is older than this: redrive before it expires.
   * At least one day shorter than the retention of every dead-letter queue (checked at synth).
   * @default Duration.days(3)
   */
  readonly maxDeadLetterAge?: Duration;
  /**
   * Alarm when more than this share of records is quarantined over 15 minutes (0 to 1).
   * @default 0.05
   */
  readonly maxQuarantineRate?: number;
  /**
   * Alarm (schema drift) when more than this share of records mismatches its schema over 15 minutes (0 to 1).
   * @default 0.01
   */
  readonly maxSchemaMismatchRate?: number;
  /**
   * Alarm (ticket) when nothing new reached curated for this long (missing data counts as
   * breaching): the stalled-source alarm (5 minutes to 1 day).
   * @default - Duration.hours(1) when the pipeline has a continuous source (`streamIngest` or
   *   `eventBusIngest`); no staleness alarm for a batch-only stage (it is idle between loads)
   */
  readonly staleAfter?: Duration;
  /**
   * Create the staleness alarms: `NoNewData` and, with a watermark publisher, one
   * `WatermarkStale…` per source. Set false for sources that are legitimately silent for long
   * stretches; `staleAfter` given explicitly always creates `NoNewData`.
   * @default true
   */
  readonly staleAlarm?: boolean;
  /**
   * Create the throughput alarm (`ThroughputAnomaly`, ticket, M3): records in per 5 minutes
   * outside CloudWatch's anomaly detection band for 15 minutes, above or below. CloudWatch trains
   * the band on up to two weeks of the metric's history, so the alarm is quiet until it has some.
   * A source that stops entirely publishes nothing: silence is the staleness and freshness alarms' job.
   * @default true
   */
  readonly throughputAnomalyAlarm?: boolean;
  /**
   * Width of the throughput band in standard deviations (1 to 10): wider is quieter.
   * @default 3
   */
  readonly throughputBandWidth?: number;
  /**
   * Alarm (ticket, M9) when a dead-letter queue received more than this share of the records in
   * over an hour (0 to 1), one alarm per dead-letter queue.
   * @default 0.0005 (0.05%)
   */
  readonly maxDeadLetterRate?: number;
  /**
   * Alarm (ticket) when a source's watermark (the newest event time curated from it) is older
   * than this: a stalled source, even while the others flow. Per source; needs a watermark
   * publisher (`EtlPipeline` has one).
   * @default - stream and bus 15 minutes; batch 1 day + the deadline's time of day + 6 hours with
   *   a batch deadline (30 hours for 00:00, 36 for 06:00), else 2 days
   */
  readonly sourceStaleAfter?: SourceStaleAfter;
}

/** A staleness threshold per source (see {@link OperationalAlarmThresholds.sourceStaleAfter}). */
export interface SourceStaleAfter {
  /**
   * The Kinesis stream (5 minutes to 1 day).
   * @default Duration.minutes(15)
   */
  readonly stream?: Duration;
  /**
   * The event bus (5 minutes to 1 day).
   * @default Duration.minutes(15)
   */
  readonly bus?: Duration;
  /**
   * The batch workflow (1 hour to 7 days).
   * @default - 1 day + the batch deadline's time of day + 6 hours, or 2 days without a deadline
   */
  readonly batch?: Duration;
}

/** Default staleness of a continuous source's watermark. */
export const DEFAULT_SOURCE_STALE_AFTER = Duration.minutes(15);
/** Default staleness of the batch watermark without a deadline. */
export const DEFAULT_BATCH_STALE_AFTER = Duration.days(2);

/** Props for {@link PipelineAlarms}. */
export interface PipelineAlarmsProps extends OperationalAlarmThresholds {
  /** The pipeline's name (the `Pipeline` dimension). */
  readonly pipelineName: string;
  /** Where the alarms go. */
  readonly routing: IAlarmRouting;
  /** The transform function watched. */
  readonly transform: ITransformFunction;
  /**
   * The Kinesis ingest (iterator age, write throttles).
   * @default - none
   */
  readonly streamIngest?: IStreamIngest;
  /**
   * The EventBridge ingest (buffer age).
   * @default - none
   */
  readonly eventBusIngest?: IEventBusIngest;
  /**
   * The idempotency store (throttled requests to its table are alarmed).
   * @default - none
   */
  readonly idempotencyStore?: IIdempotencyStore;
  /**
   * Dead-letter queues (their depth alarms are routed as pages; an oldest-message alarm is added).
   * @default - none
   */
  readonly deadLetterQueues?: IDeadLetterQueue[];
  /**
   * The watermark publisher of the stage: a staleness alarm per source it publishes, and alarms
   * on the publisher itself (its errors and dead-letter queue, as tickets).
   * @default - no per-source staleness alarms
   */
  readonly watermarks?: IWatermarkPublisher;
  /**
   * Base address of the runbook the alarm descriptions link to (`<runbookUrl>#<section>`): an
   * absolute http(s) URL without a #fragment, e.g. your wiki's copy of the package's docs/runbooks.md.
   * @default - the installed version's published docs/runbooks.md
   *   (`https://unpkg.com/cdk-serverless-etl@<version>/docs/runbooks.md`)
   */
  readonly runbookUrl?: string;
}

/** A pipeline's operational alarms, as other constructs accept them: implemented by {@link PipelineAlarms}. */
export interface IPipelineAlarms extends IConstruct {
  /** Every alarm created or routed here. */
  readonly alarms: cloudwatch.Alarm[];
  /** Adds failed, timed-out and throttled execution alarms for a state machine of the pipeline. */
  addStateMachine(id: string, stateMachine: sfn.IStateMachine): void;
}

/**
 * The operational alarms of a pipeline, each scoped by dimensions, described with what it means
 * and a runbook link, and routed by severity: DLQ depth and age, transform errors, throttles,
 * duration near the timeout and concurrency near its cap, Kinesis iterator age and write
 * throttles, buffer age, idempotency-table throttles, stream-archive (Firehose) delivery
 * failures and stalls, quarantine rate, schema drift, staleness (overall and per source, with a
 * watermark publisher), throughput outside its anomaly
 * band (M3), the dead-letter rate of each queue (M9); and Step Functions failures
 * for state machines added with {@link PipelineAlarms.addStateMachine}.
 */
export class PipelineAlarms extends Construct implements IPipelineAlarms {
  /** Every alarm created or routed here. */
  public readonly alarms: cloudwatch.Alarm[] = [];
  private readonly routing: IAlarmRouting;
  private readonly runbook: string;
  private readonly pipeline: string;
  private readonly stage: string;

  constructor(scope: Construct, id: string, props: PipelineAlarmsProps) {
    super(scope, id);
    const v = new PropValidator(`PipelineAlarms (${this.node.path})`);
    validateAlarmThresholds(
      v,
      props,
      (props.deadLetterQueues ?? []).map((dlq) => ({ name: dlq.node.path, retentionPeriod: dlq.retentionPeriod })),
    );
    const runbookProblem = runbookUrlProblem('runbookUrl', props.runbookUrl);
    v.check(runbookProblem !== undefined, runbookProblem ?? '');
    v.throwIfInvalid();
    this.routing = props.routing;
    this.runbook = props.runbookUrl ?? DEFAULT_RUNBOOK_URL;
    this.pipeline = props.pipelineName;
    this.stage = props.transform.stage;

    this.addDeadLetterAlarms(props.deadLetterQueues ?? [], props.maxDeadLetterAge ?? Duration.days(3));
    this.addTransformAlarms(props.transform);
    this.addIngestAlarms(props, props.maxLag ?? Duration.minutes(5));
    this.addStoreAlarms(props);
    this.addDataAlarms(props, props.transform.stage);
    this.addRateAlarms(props, props.transform.stage);
    if (props.watermarks) this.addWatermarkAlarms(props, props.watermarks);
  }

  /** Throughput against its anomaly band (M3) and the share of records dead-lettered per queue (M9). */
  private addRateAlarms(props: PipelineAlarmsProps, stage: string): void {
    if (props.throughputAnomalyAlarm ?? true) {
      const bandWidth = props.throughputBandWidth ?? 3;
      const alarm = new cloudwatch.AnomalyDetectionAlarm(this, 'ThroughputAnomaly', {
        metric: recordsPerPeriod(props.pipelineName, stage),
        stdDevs: bandWidth,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_LOWER_OR_GREATER_THAN_UPPER_THRESHOLD,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: this.describe(
          AlarmSeverity.TICKET,
          `records in per ${THROUGHPUT_PERIOD.toHumanString()} left their expected band ` +
            `(${bandWidth} standard deviations) for 15 minutes: a surge, or a source sending much less than usual`,
          'throughput-anomaly',
        ),
      });
      this.routing.route(alarm, AlarmSeverity.TICKET);
      this.alarms.push(alarm);
    }
    const maxRate = props.maxDeadLetterRate ?? 0.0005;
    for (const [index, dlq] of (props.deadLetterQueues ?? []).entries()) {
      this.add(`${dlq.node.id}${index + 1}DeadLetterRate`, deadLetterRate(props.pipelineName, stage, dlq), {
        threshold: maxRate,
        severity: AlarmSeverity.TICKET,
        anchor: 'dead-letter-rate',
        meaning:
          `${dlq.node.path} received more than ${percent(maxRate)} of the records in over ${DEAD_LETTER_RATE_WINDOW.toHumanString()} ` +
          '(messages dead-lettered / records in): a failure mode is recurring, not a one-off',
      });
    }
  }

  /** Per source: its watermark older than its threshold; the publisher failing (missing ages breach too). */
  private addWatermarkAlarms(props: PipelineAlarmsProps, watermarks: IWatermarkPublisher): void {
    if (props.staleAlarm !== false) {
      for (const source of watermarks.sources) {
        const staleAfter = sourceStaleAfterOf(source, props.sourceStaleAfter, watermarks);
        const name = source === PipelineSource.STREAM ? 'stream' : source === PipelineSource.BUS ? 'event bus' : 'batch workflow';
        this.add(`WatermarkStale${source[0].toUpperCase()}${source.slice(1)}`, watermarks.metricWatermarkAge(source, { period: FIVE_MINUTES }), {
          threshold: staleAfter.toSeconds(),
          treatMissingData: cloudwatch.TreatMissingData.BREACHING,
          severity: AlarmSeverity.TICKET,
          anchor: 'watermark-stale',
          meaning:
            `nothing new from the ${name} reached curated for ${staleAfter.toHumanString()}: its watermark (newest event time curated) ` +
            'is older than that, or the watermark publisher is not publishing',
        });
      }
    }
    this.add('WatermarkPublisherErrors', watermarks.function.metricErrors({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM }), {
      threshold: 0,
      evaluationPeriods: 3,
      severity: AlarmSeverity.TICKET,
      anchor: 'watermark-publisher',
      meaning: 'the watermark publisher failed for 15 minutes: watermark ages and the batch deadline are not being measured',
    });
    const dlq = watermarks.deadLetterQueue;
    const cfn = dlq.depthAlarm.node.defaultChild as cloudwatch.CfnAlarm;
    cfn.alarmDescription = this.describe(AlarmSeverity.TICKET, String(cfn.alarmDescription), 'watermark-publisher');
    this.routing.route(dlq.depthAlarm, AlarmSeverity.TICKET);
    this.alarms.push(dlq.depthAlarm);
  }

  /** Routes each DLQ's depth alarm as a page (its description prefixed and linked) and adds an oldest-message alarm. */
  private addDeadLetterAlarms(deadLetterQueues: IDeadLetterQueue[], maxDeadLetterAge: Duration): void {
    for (const [index, dlq] of deadLetterQueues.entries()) {
      const cfn = dlq.depthAlarm.node.defaultChild as cloudwatch.CfnAlarm;
      cfn.alarmDescription = this.describe(AlarmSeverity.PAGE, String(cfn.alarmDescription), 'dlq-messages');
      this.routing.route(dlq.depthAlarm, AlarmSeverity.PAGE);
      this.alarms.push(dlq.depthAlarm);
      this.add(`${dlq.node.id}${index + 1}OldestMessage`, dlq.metricOldestMessageAge({ period: FIVE_MINUTES }), {
        threshold: maxDeadLetterAge.toSeconds(),
        severity: AlarmSeverity.TICKET,
        anchor: 'dlq-oldest-message',
        meaning: `a message has been in ${dlq.node.path} for more than ${maxDeadLetterAge.toHumanString()}: redrive it before it expires`,
      });
    }
  }

  /** Whole-invocation errors, throttles, duration near the timeout, concurrency near its reserved cap. */
  private addTransformAlarms(transform: ITransformFunction): void {
    this.add('TransformErrors', transform.metricErrors({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM }), {
      threshold: 0,
      severity: AlarmSeverity.PAGE,
      anchor: 'transform-errors',
      meaning: 'the transform function failed whole invocations (a crash, a timeout or a configuration error, not a bad record)',
    });
    this.add('TransformThrottles', transform.metricThrottles({ period: Duration.minutes(1), statistic: cloudwatch.Stats.SUM }), {
      threshold: 0,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      severity: AlarmSeverity.TICKET,
      anchor: 'transform-throttles',
      meaning: 'invocations of the transform were throttled in 3 of the last 5 minutes (concurrency limit reached)',
    });
    const timeoutMs = transform.function.timeout?.toMilliseconds() ?? 60000;
    this.add('TransformDurationNearTimeout', transform.metricDuration({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.p(99) }), {
      threshold: Math.round(timeoutMs * 0.8),
      severity: AlarmSeverity.TICKET,
      anchor: 'transform-duration-near-timeout',
      meaning: `p99 duration of the transform is above 80% of its ${timeoutMs / 1000} s timeout: batches will soon time out and be retried`,
    });
    const reserved = (transform.function.node.defaultChild as { reservedConcurrentExecutions?: number }).reservedConcurrentExecutions;
    if (typeof reserved === 'number' && reserved > 0) {
      const concurrency = transform.function.metric('ConcurrentExecutions', { period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM });
      this.add('TransformConcurrencyNearCap', concurrency, {
        threshold: Math.floor(reserved * 0.8),
        evaluationPeriods: 5,
        datapointsToAlarm: 5,
        severity: AlarmSeverity.TICKET,
        anchor: 'transform-concurrency-near-cap',
        meaning: `the transform has used more than 80% of its reserved concurrency (${reserved}) for 5 minutes`,
      });
    }
  }

  /** Consumer lag and producer throttles of the stream; backlog of the event bus buffer. */
  private addIngestAlarms(props: PipelineAlarmsProps, maxLag: Duration): void {
    const { transform } = props;
    if (props.streamIngest) {
      this.add('StreamIteratorAge', mappingIteratorAge(transform), {
        threshold: maxLag.toMilliseconds(),
        evaluationPeriods: 5,
        severity: AlarmSeverity.PAGE,
        anchor: 'stream-iterator-age',
        meaning: `the transform is more than ${maxLag.toHumanString()} behind the Kinesis stream for 5 minutes (consumer lag)`,
      });
      this.add('StreamWriteThrottles', props.streamIngest.metricWriteThrottles({ period: FIVE_MINUTES }), {
        threshold: 0,
        severity: AlarmSeverity.TICKET,
        anchor: 'stream-write-throttles',
        meaning: 'producers were throttled writing to the Kinesis stream (records may be lost on the producer side)',
      });
    }
    if (props.eventBusIngest) {
      this.add('BufferAge', props.eventBusIngest.metricBufferAge({ period: Duration.minutes(1) }), {
        threshold: maxLag.toSeconds(),
        evaluationPeriods: 5,
        severity: AlarmSeverity.PAGE,
        anchor: 'buffer-age',
        meaning: `the oldest message in the SQS buffer is more than ${maxLag.toHumanString()} old for 5 minutes (backlog)`,
      });
    }
  }

  /** Throttles of the idempotency table; failing or stalled deliveries of the stream archive. */
  private addStoreAlarms(props: PipelineAlarmsProps): void {
    if (props.idempotencyStore) {
      this.add('IdempotencyThrottles', props.idempotencyStore.metricThrottledRequests({ period: Duration.minutes(1) }), {
        threshold: 0,
        evaluationPeriods: 5,
        datapointsToAlarm: 3,
        severity: AlarmSeverity.TICKET,
        anchor: 'idempotency-throttles',
        meaning: 'requests to the idempotency table were throttled in 3 of the last 5 minutes (records are retried and curated late)',
      });
    }
    const archive = props.streamIngest?.archive;
    if (archive) {
      this.add('ArchiveDeliveryFailures', archiveMetric(archive, ArchiveMetricName.DELIVERY_SUCCESS, { period: FIVE_MINUTES }), {
        threshold: 1,
        comparison: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: 3,
        severity: AlarmSeverity.TICKET,
        anchor: 'archive-delivery',
        meaning: 'the stream archive (Firehose) failed S3 deliveries for 15 minutes: failed records land under its errors/ prefix',
      });
      this.add('ArchiveDeliveryStalled', archiveMetric(archive, ArchiveMetricName.DATA_FRESHNESS, { period: FIVE_MINUTES }), {
        threshold: ARCHIVE_MAX_DATA_AGE.toSeconds(),
        evaluationPeriods: 3,
        severity: AlarmSeverity.TICKET,
        anchor: 'archive-delivery',
        meaning: `the oldest record waiting in the stream archive (Firehose) was more than ${ARCHIVE_MAX_DATA_AGE.toHumanString()} old for 15 minutes (deliveries stalled)`,
      });
    }
  }

  /** Quarantine and schema-mismatch rates of the records, and staleness. */
  private addDataAlarms(props: PipelineAlarmsProps, stage: string): void {
    const ratio = (numerator: PipelineMetricName.RECORDS_QUARANTINED | PipelineMetricName.SCHEMA_MISMATCHES, label: string) =>
      new cloudwatch.MathExpression({
        expression: 'IF(recordsIn > 0, part / recordsIn, 0)',
        usingMetrics: {
          part: pipelineMetric(props.pipelineName, stage, numerator, { period: Duration.minutes(15) }),
          recordsIn: pipelineMetric(props.pipelineName, stage, PipelineMetricName.RECORDS_IN, { period: Duration.minutes(15) }),
        },
        period: Duration.minutes(15),
        label,
      });
    const quarantineRate = props.maxQuarantineRate ?? 0.05;
    this.add('QuarantineRate', ratio(PipelineMetricName.RECORDS_QUARANTINED, 'Quarantine ratio'), {
      threshold: quarantineRate,
      severity: AlarmSeverity.TICKET,
      anchor: 'quarantine-rate',
      meaning: `more than ${percent(quarantineRate)} of records were quarantined over 15 minutes (bad input or a transform bug)`,
    });
    const driftRate = props.maxSchemaMismatchRate ?? 0.01;
    this.add('SchemaDrift', ratio(PipelineMetricName.SCHEMA_MISMATCHES, 'Schema mismatch ratio'), {
      threshold: driftRate,
      severity: AlarmSeverity.TICKET,
      anchor: 'schema-drift',
      meaning: `more than ${percent(driftRate)} of records did not match their schema over 15 minutes: a producer changed its events`,
    });
    const staleAfter = staleAfterOf(props);
    if (staleAfter) {
      this.add('NoNewData', pipelineMetric(props.pipelineName, stage, PipelineMetricName.RECORDS_OUT, { period: staleAfter }), {
        threshold: 1,
        comparison: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        severity: AlarmSeverity.TICKET,
        anchor: 'no-new-data',
        meaning: `nothing new reached curated for ${staleAfter.toHumanString()} (a stalled source or a stopped transform)`,
      });
    }
  }

  /** Adds failed, timed-out and throttled execution alarms for a state machine of the pipeline. */
  public addStateMachine(id: string, stateMachine: sfn.IStateMachine): void {
    const period = Duration.minutes(5);
    this.add(`${id}Failed`, stateMachine.metricFailed({ period }), {
      threshold: 0,
      severity: AlarmSeverity.PAGE,
      anchor: 'state-machine-failures',
      meaning: `executions of ${stateMachine.node.path} failed`,
    });
    this.add(`${id}TimedOut`, stateMachine.metricTimedOut({ period }), {
      threshold: 0,
      severity: AlarmSeverity.PAGE,
      anchor: 'state-machine-failures',
      meaning: `executions of ${stateMachine.node.path} timed out`,
    });
    this.add(`${id}Throttled`, stateMachine.metricThrottled({ period }), {
      threshold: 0,
      severity: AlarmSeverity.TICKET,
      anchor: 'state-machine-failures',
      meaning: `executions of ${stateMachine.node.path} were throttled`,
    });
  }

  /** `[severity] pipeline/stage: meaning. Check first: …. Runbook: <url>#<anchor>`. */
  private describe(severity: AlarmSeverity, meaning: string, anchor: string): string {
    return alarmDescription({ severity, pipeline: this.pipeline, stage: this.stage, meaning, anchor, runbook: this.runbook });
  }

  private add(
    id: string,
    metric: cloudwatch.IMetric,
    options: {
      threshold: number;
      severity: AlarmSeverity;
      anchor: string;
      meaning: string;
      evaluationPeriods?: number;
      datapointsToAlarm?: number;
      comparison?: cloudwatch.ComparisonOperator;
      treatMissingData?: cloudwatch.TreatMissingData;
    },
  ): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      metric,
      threshold: options.threshold,
      comparisonOperator: options.comparison ?? cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: options.evaluationPeriods ?? 1,
      datapointsToAlarm: options.datapointsToAlarm,
      treatMissingData: options.treatMissingData ?? cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: this.describe(options.severity, options.meaning, options.anchor),
    });
    this.routing.route(alarm, options.severity);
    this.alarms.push(alarm);
    return alarm;
  }
}

/** The default staleness threshold of a stage with a continuous source. */
export const DEFAULT_STALE_AFTER = Duration.hours(1);

/** The staleness threshold of a source's watermark: the given one, else its default. */
export function sourceStaleAfterOf(source: PipelineSource, given: SourceStaleAfter | undefined, watermarks: { readonly batchDeadline?: Parameters<typeof batchStaleAfter>[0] }): Duration {
  const explicit = given?.[source];
  if (explicit) return explicit;
  if (source !== PipelineSource.BATCH) return DEFAULT_SOURCE_STALE_AFTER;
  return watermarks.batchDeadline ? batchStaleAfter(watermarks.batchDeadline) : DEFAULT_BATCH_STALE_AFTER;
}

/** The staleness threshold in force: the given one, else the default when a continuous source exists and the alarm is not turned off. */
function staleAfterOf(props: PipelineAlarmsProps): Duration | undefined {
  if (props.staleAfter) return props.staleAfter;
  if (props.staleAlarm === false) return undefined;
  return props.streamIngest || props.eventBusIngest ? DEFAULT_STALE_AFTER : undefined;
}

/**
 * Checks {@link OperationalAlarmThresholds} against their ranges and the retention of each
 * dead-letter queue the alarms watch (`name` says which queue); adds each problem to `v`
 * (`EtlPipeline` passes its own, under `alarmThresholds`).
 */
export function validateAlarmThresholds(
  v: PropValidator,
  props: OperationalAlarmThresholds,
  deadLetterQueues: ReadonlyArray<{ readonly name: string; readonly retentionPeriod: Duration }> = [],
): void {
  const maxDeadLetterAge = props.maxDeadLetterAge ?? Duration.days(3);
  v.duration('maxLag', props.maxLag ?? Duration.minutes(5), Duration.minutes(1), Duration.days(1))
    .duration('maxDeadLetterAge', maxDeadLetterAge, Duration.hours(1), Duration.days(13))
    .duration('staleAfter', props.staleAfter, Duration.minutes(5), Duration.days(1))
    .number('throughputBandWidth', props.throughputBandWidth, 1, 10)
    .duration('sourceStaleAfter.stream', props.sourceStaleAfter?.stream, Duration.minutes(5), Duration.days(1))
    .duration('sourceStaleAfter.bus', props.sourceStaleAfter?.bus, Duration.minutes(5), Duration.days(1))
    .duration('sourceStaleAfter.batch', props.sourceStaleAfter?.batch, Duration.hours(1), Duration.days(7));
  for (const [prop, value] of [
    ['maxQuarantineRate', props.maxQuarantineRate],
    ['maxSchemaMismatchRate', props.maxSchemaMismatchRate],
    ['maxDeadLetterRate', props.maxDeadLetterRate],
  ] as const) {
    if (value === undefined || Token.isUnresolved(value)) continue;
    v.check(!(value > 0 && value <= 1), `${v.path(prop)} is ${value}; it must be above 0 and at most 1`);
  }
  for (const dlq of deadLetterQueues) {
    if (maxDeadLetterAge.isUnresolved() || dlq.retentionPeriod.isUnresolved()) continue;
    v.check(
      maxDeadLetterAge.toSeconds() + DEAD_LETTER_REDRIVE_MARGIN.toSeconds() > dlq.retentionPeriod.toSeconds(),
      `${v.path('maxDeadLetterAge')} is ${maxDeadLetterAge.toHumanString()}${props.maxDeadLetterAge ? '' : ' (the default)'}; it must be at least ` +
        `${DEAD_LETTER_REDRIVE_MARGIN.toHumanString()} shorter than the retention of ${dlq.name} (${dlq.retentionPeriod.toHumanString()}), ` +
        `or its messages expire before the alarm leaves time to redrive them: lower ${v.path('maxDeadLetterAge')} or raise the queue's retentionPeriod`,
    );
  }
}
