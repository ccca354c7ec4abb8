import { Aws, Duration, Tags } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct, IConstruct } from 'constructs';
import { ALARM_TAG, OPERATIONS_DIMENSION, OperationsMetricName } from '../contract/metrics';
import { acknowledgeRules, flatResource } from '../core/compliance';
import { DEFAULT_RUNBOOK_URL, runbookUrlProblem } from '../core/docs';
import { PropValidator } from '../core/prop-validator';
import { AlarmSeverity, IAlarmRouting } from './alarm-routing';
import { IOperationsFunction, OperationsFunction } from './operations-function';
import { operationsMetric } from './operations-metrics';
import { alarmDescription } from './alarm-context';

/** The objectives of time to detect and time to recover. */
export interface IncidentTimingOptions {
  /**
   * Alarm (ticket) when a page-severity alarm took longer than this to detect its breach, measured
   * from the start of the data it evaluated (1 minute to 1 day). Includes the alarm's own period,
   * so a 5-minute alarm detects in 5 to 10 minutes.
   * @default Duration.minutes(10)
   */
  readonly maxTimeToDetect?: Duration;
  /**
   * Alarm (ticket) when a page-severity alarm stayed in ALARM longer than this before returning
   * to OK (1 minute to 7 days).
   * @default Duration.minutes(30)
   */
  readonly maxTimeToRecover?: Duration;
}

/** Props for {@link IncidentTiming}. */
export interface IncidentTimingProps extends IncidentTimingOptions {
  /** The pipeline's name: its alarms carry the tag `pipeline=<name>` (every resource of an `EtlPipeline` does). */
  readonly pipelineName: string;
  /** The routing whose alarms are timed (tagged with their severity) and where the timing alarms go (ticket). */
  readonly routing: IAlarmRouting;
  /** Encrypts the recorder's log group and dead-letter queue. */
  readonly encryptionKey: kms.IKey;
  /**
   * Runbook base address of the alarm descriptions.
   * @default - the installed version's published docs/runbooks.md
   */
  readonly runbookUrl?: string;
  /**
   * The recorder's runtime.
   * @default - the newest Node.js runtime aws-cdk-lib knows
   */
  readonly runtime?: lambda.Runtime;
}

/** Time to detect and to recover of a pipeline, as other constructs use it: implemented by {@link IncidentTiming}. */
export interface IIncidentTiming extends IConstruct {
  /** The recorder. */
  readonly recorder: IOperationsFunction;
  /** The rule on the default bus that feeds it. */
  readonly rule: events.Rule;
  /** Every alarm created here. */
  readonly alarms: cloudwatch.Alarm[];
  /** Seconds to detect (average per hour), of every alarm or of one severity. */
  metricTimeToDetect(severity?: AlarmSeverity, props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Seconds to recover (average per hour), of every alarm or of one severity. */
  metricTimeToRecover(severity?: AlarmSeverity, props?: cloudwatch.MetricOptions): cloudwatch.Metric;
}

/**
 * Time to detect (M7) and time to recover (M8), recorded from the pipeline's own alarms: an
 * EventBridge rule sends every CloudWatch "Alarm State Change" to ALARM or OK of the account and
 * region to a small function, which keeps those of alarms tagged `pipeline=<name>` and publishes
 * `TimeToDetectSeconds` (into ALARM: from the start of the data the alarm evaluated, or for a
 * composite alarm the latest start among the alarms that triggered it) and
 * `TimeToRecoverSeconds` (ALARM to OK), by `Pipeline` and by `Pipeline` + `Severity`.
 */
export class IncidentTiming extends Construct implements IIncidentTiming {
  /** The recorder. */
  public readonly recorder: IOperationsFunction;
  /** The rule on the default bus that feeds it. */
  public readonly rule: events.Rule;
  /** Every alarm created here (the recorder's error and dead-letter alarms, the time-to-detect and time-to-recover alarms). */
  public readonly alarms: cloudwatch.Alarm[] = [];
  private readonly pipelineName: string;

  constructor(scope: Construct, id: string, props: IncidentTimingProps) {
    super(scope, id);
    const v = new PropValidator(`IncidentTiming (${this.node.path})`);
    validateIncidentTimingProps(v, props);
    const runbookProblem = runbookUrlProblem('runbookUrl', props.runbookUrl);
    v.check(runbookProblem !== undefined, runbookProblem ?? '');
    v.throwIfInvalid();
    this.pipelineName = props.pipelineName;
    const runbook = props.runbookUrl ?? DEFAULT_RUNBOOK_URL;
    // Alarms routed before this construct; later ones carry the tag when created in an EtlPipeline.
    for (const { alarm } of props.routing.alarms) Tags.of(alarm).add(ALARM_TAG.pipeline, props.pipelineName);

    this.recorder = new OperationsFunction(this, 'Recorder', {
      handler: 'alarm-timing',
      purpose: 'the incident-timing recorder',
      pipelineName: props.pipelineName,
      encryptionKey: props.encryptionKey,
      routing: props.routing,
      awsServices: ['Amazon CloudWatch', 'AWS X-Ray'],
      runtime: props.runtime,
      runbookUrl: props.runbookUrl,
    });
    const alarmsOfAccount = `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*`;
    this.recorder.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        // Tags attribute an alarm to the pipeline and its severity; a composite's triggering alarms give its breach start.
        actions: ['cloudwatch:ListTagsForResource', 'cloudwatch:DescribeAlarms'],
        resources: [alarmsOfAccount],
      }),
    );
    acknowledgeRules(this.recorder.role, {
      ids: [`AwsSolutions-IAM5[Resource::${flatResource(this, alarmsOfAccount)}]`],
      reason:
        'Read-only ListTagsForResource and DescribeAlarms on the alarms of this account and region: the alarm names are ' +
        'generated by CloudFormation, so the recorder reads an alarm\'s tags to learn whether it is this pipeline\'s, ' +
        'and a composite alarm\'s triggering alarms to learn when its breach began.',
    });
    this.rule = new events.Rule(this, 'AlarmStateChanges', {
      description: `Alarm state changes to ALARM or OK, for the incident timing of pipeline ${props.pipelineName}`,
      eventPattern: { source: ['aws.cloudwatch'], detailType: ['CloudWatch Alarm State Change'], detail: { state: { value: ['ALARM', 'OK'] } } },
    });
    this.recorder.addRuleTarget(this.rule);
    this.alarms.push(this.recorder.errorAlarm, this.recorder.deadLetterQueue.depthAlarm);

    const maxDetect = props.maxTimeToDetect ?? Duration.minutes(10);
    const maxRecover = props.maxTimeToRecover ?? Duration.minutes(30);
    const add = (alarmId: string, metric: cloudwatch.Metric, threshold: Duration, anchor: string, meaning: string) => {
      const alarm = metric.createAlarm(this, alarmId, {
        threshold: threshold.toSeconds(),
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: alarmDescription({ severity: AlarmSeverity.TICKET, pipeline: props.pipelineName, stage: 'operations', meaning, anchor, runbook }),
      });
      props.routing.route(alarm, AlarmSeverity.TICKET);
      this.alarms.push(alarm);
    };
    add('TimeToDetect', this.metricTimeToDetect(AlarmSeverity.PAGE, { statistic: cloudwatch.Stats.MAXIMUM }), maxDetect, 'time-to-detect',
      `a page-severity alarm took more than ${maxDetect.toHumanString()} from the start of the breaching data to ALARM (M7)`);
    add('TimeToRecover', this.metricTimeToRecover(AlarmSeverity.PAGE, { statistic: cloudwatch.Stats.MAXIMUM }), maxRecover, 'time-to-recover',
      `a page-severity alarm stayed in ALARM for more than ${maxRecover.toHumanString()} before returning to OK (M8)`);
  }

  /** Seconds to detect (average per hour), of every alarm or of one severity. */
  public metricTimeToDetect(severity?: AlarmSeverity, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.timingMetric(OperationsMetricName.TIME_TO_DETECT_SECONDS, severity, props);
  }

  /** Seconds to recover (average per hour), of every alarm or of one severity. */
  public metricTimeToRecover(severity?: AlarmSeverity, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.timingMetric(OperationsMetricName.TIME_TO_RECOVER_SECONDS, severity, props);
  }

  private timingMetric(name: OperationsMetricName, severity: AlarmSeverity | undefined, props: cloudwatch.MetricOptions): cloudwatch.Metric {
    return operationsMetric(this.pipelineName, name, severity ? { [OPERATIONS_DIMENSION.severity]: severity } : {}, props);
  }
}

/** Checks the props of {@link IncidentTiming}; adds each problem to `v`. */
export function validateIncidentTimingProps(v: PropValidator, props: IncidentTimingOptions): void {
  v.duration('maxTimeToDetect', props.maxTimeToDetect, Duration.minutes(1), Duration.days(1))
    .duration('maxTimeToRecover', props.maxTimeToRecover, Duration.minutes(1), Duration.days(7));
}
