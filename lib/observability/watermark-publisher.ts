import * as path from 'node:path';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, IConstruct } from 'constructs';
import { METRIC_DIMENSION, METRIC_NAMESPACE } from '../contract/metrics';
import {
  PipelineSource,
  SOURCE_DIMENSION,
  WATERMARK_ENV,
  WATERMARK_LOOKBACK_SECONDS,
  WATERMARK_PUBLISHER_TIMEOUT_SECONDS,
  WatermarkMetricName,
} from '../contract/watermarks';
import { INLINE_POLICY_ACKNOWLEDGEMENT, acknowledgeRules, noVpcAcknowledgement } from '../core/compliance';
import { createPipelineKey } from '../core/encryption';
import { latestNodeRuntime } from '../core/lambda-runtime';
import { PropValidator } from '../core/prop-validator';
import { DeadLetterQueue, IDeadLetterQueue } from '../reliability/dead-letter-queue';
import { runtimeCode, runtimeSource } from '../transform/runtime-code';
import { BatchDeadline, validateBatchDeadline } from './batch-deadline';

const PUBLISHER_ENTRY = path.join(__dirname, '..', '..', 'lambda', 'handlers', 'publish-watermarks');

/** Props for {@link WatermarkPublisher}. */
export interface WatermarkPublisherProps {
  /** The pipeline's name (the `Pipeline` dimension). */
  readonly pipelineName: string;
  /**
   * The stage whose watermarks are published (the `Stage` dimension).
   * @default 'transform'
   */
  readonly stage?: string;
  /** The sources feeding the stage: one watermark each. */
  readonly sources: PipelineSource[];
  /**
   * The batch source's daily deadline: also publish how overdue the export due at the last
   * deadline is (`BatchOverdueSeconds`). Needs `PipelineSource.BATCH` in `sources`.
   * @default - no deadline
   */
  readonly batchDeadline?: BatchDeadline;
  /**
   * Key of the function's log group and dead-letter queue.
   * @default - a new key with rotation on
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Retention of the function's log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Removal policy of the dead-letter queue.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * The Node.js runtime of the publisher function.
   * @default - the newest Node.js runtime aws-cdk-lib knows
   */
  readonly runtime?: lambda.Runtime;
}

/** A stage's watermark publisher, as other constructs accept it: implemented by {@link WatermarkPublisher}. */
export interface IWatermarkPublisher extends IConstruct {
  /** The publisher function. */
  readonly function: lambda.Function;
  /** Ticks that failed (after the function's and the schedule's retries). */
  readonly deadLetterQueue: IDeadLetterQueue;
  /** The sources published. */
  readonly sources: PipelineSource[];
  /** The batch deadline, when published. */
  readonly batchDeadline?: BatchDeadline;
  /** The age of a source's watermark: seconds since the newest event time curated from it (maximum over 1 minute). */
  metricWatermarkAge(source: PipelineSource, props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Seconds since the last batch deadline passed with its export not loaded; 0 when loaded (maximum over 1 minute). */
  metricBatchOverdue(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
}

/**
 * Publishes each source's watermark age every minute, so that silence is measured: the runtime
 * records the newest event time it curated per source (`CuratedEventTime`, EMF, no API call on the
 * data path); this small function, run by an EventBridge schedule every minute, reads the newest
 * value back over the last 14 days and publishes `WatermarkAgeSeconds` per source (and, with a
 * batch deadline, `BatchOverdueSeconds`), whether or not anything arrived. Least privilege
 * (`cloudwatch:GetMetricData`, and `cloudwatch:PutMetricData` to the `ServerlessEtl` namespace
 * only), no reserved concurrency, a KMS-encrypted dead-letter queue for failed ticks.
 */
export class WatermarkPublisher extends Construct implements IWatermarkPublisher {
  /** The publisher function. */
  public readonly function: lambda.Function;
  /** The schedule running it every minute. */
  public readonly schedule: events.Rule;
  /** Ticks that failed (after the function's and the schedule's retries). */
  public readonly deadLetterQueue: IDeadLetterQueue;
  /** The sources published. */
  public readonly sources: PipelineSource[];
  /** The batch deadline, when published. */
  public readonly batchDeadline?: BatchDeadline;
  private readonly pipeline: string;
  private readonly stage: string;

  constructor(scope: Construct, id: string, props: WatermarkPublisherProps) {
    super(scope, id);
    const v = new PropValidator(`WatermarkPublisher (${this.node.path})`);
    validateWatermarkPublisherProps(v, props);
    v.throwIfInvalid();
    this.pipeline = props.pipelineName;
    this.stage = props.stage ?? 'transform';
    this.sources = [...new Set(props.sources)];
    this.batchDeadline = props.batchDeadline;
    const key = props.encryptionKey ?? createPipelineKey(this, 'Key', `Watermark publisher of ${props.pipelineName}`);

    this.deadLetterQueue = new DeadLetterQueue(this, 'DeadLetterQueue', {
      encryptionKey: key,
      removalPolicy: props.removalPolicy,
      retentionPeriod: Duration.days(4),
      sourceDescription: `the watermark publisher of ${props.pipelineName} (ticks that failed: the watermark ages are not being published)`,
    });
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      encryptionKey: key,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the watermark publisher of ${props.pipelineName}`,
    });
    logGroup.grantWrite(role);
    // Lambda sends failed ticks to the KMS-encrypted DLQ with the function's role.
    key.grant(role, 'kms:GenerateDataKey', 'kms:Decrypt');
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['cloudwatch:GetMetricData'], resources: ['*'] }));
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': METRIC_NAMESPACE } },
      }),
    );
    const runtime = props.runtime ?? latestNodeRuntime();
    this.function = new lambda.Function(this, 'Function', {
      code: runtimeCode({ handlerEntry: runtimeSource(PUBLISHER_ENTRY), runtime }),
      handler: 'index.handler',
      runtime,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.seconds(WATERMARK_PUBLISHER_TIMEOUT_SECONDS),
      role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      tracing: lambda.Tracing.ACTIVE,
      // Lambda's asynchronous retries (2) then this queue; a late retry of a tick publishes the
      // values of its own time, which is harmless (each tick recomputes everything).
      deadLetterQueue: this.deadLetterQueue.queue,
      environment: {
        [WATERMARK_ENV.pipeline]: this.pipeline,
        [WATERMARK_ENV.stage]: this.stage,
        [WATERMARK_ENV.sources]: this.sources.join(','),
        [WATERMARK_ENV.lookbackSeconds]: String(WATERMARK_LOOKBACK_SECONDS),
        ...(props.batchDeadline
          ? { [WATERMARK_ENV.batchLoadedBy]: props.batchDeadline.loadedBy, [WATERMARK_ENV.batchTimeZone]: props.batchDeadline.timeZone ?? 'UTC' }
          : {}),
      },
      description: `cdk-serverless-etl watermark publisher of pipeline ${props.pipelineName}: WatermarkAgeSeconds per source, every minute`,
    });
    // The schedule's own delivery failures go to the same queue (EventBridge writes with the key).
    key.grant(
      new iam.ServicePrincipal('events.amazonaws.com').withConditions({ StringEquals: { 'aws:SourceAccount': Stack.of(this).account } }),
      'kms:GenerateDataKey',
      'kms:Decrypt',
    );
    this.schedule = new events.Rule(this, 'Schedule', {
      schedule: events.Schedule.rate(Duration.minutes(1)),
      description: `Runs the watermark publisher of ${props.pipelineName} every minute`,
      targets: [
        new targets.LambdaFunction(this.function, {
          deadLetterQueue: this.deadLetterQueue.queue,
          retryAttempts: 2,
          maxEventAge: Duration.minutes(5),
        }),
      ],
    });
    acknowledgeRules(this.function, noVpcAcknowledgement(['Amazon CloudWatch', 'AWS X-Ray'], false), {
      ids: ['NIST.800.53.R5-LambdaConcurrency', 'HIPAA.Security-LambdaConcurrency'],
      reason:
        'Invoked once a minute by its schedule (a tick recomputes every age, so an overlapping or late tick is harmless); reserving ' +
        'concurrency would fail deployment in accounts with a low concurrency quota (AWS keeps 100 unreserved).',
    });
    acknowledgeRules(role, INLINE_POLICY_ACKNOWLEDGEMENT, {
      ids: ['AwsSolutions-IAM5[Resource::*]'],
      reason:
        'cloudwatch:GetMetricData and cloudwatch:PutMetricData have no resource-level permissions (the service authorizes ' +
        'them on "*" only); PutMetricData is limited to the ServerlessEtl namespace by the cloudwatch:namespace condition, ' +
        'and X-Ray PutTraceSegments/PutTelemetryRecords likewise take "*" only.',
    });
  }

  /** The age of a source's watermark: seconds since the newest event time curated from it (maximum over 1 minute). */
  public metricWatermarkAge(source: PipelineSource, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.metric(WatermarkMetricName.WATERMARK_AGE_SECONDS, source, props);
  }

  /** Seconds since the last batch deadline passed with its export not loaded; 0 when loaded (maximum over 1 minute). */
  public metricBatchOverdue(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.metric(WatermarkMetricName.BATCH_OVERDUE_SECONDS, PipelineSource.BATCH, props);
  }

  private metric(metricName: WatermarkMetricName, source: PipelineSource, props: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: METRIC_NAMESPACE,
      metricName,
      dimensionsMap: { [METRIC_DIMENSION.pipeline]: this.pipeline, [METRIC_DIMENSION.stage]: this.stage, [SOURCE_DIMENSION]: source },
      statistic: cloudwatch.Stats.MAXIMUM,
      period: Duration.minutes(1),
      ...props,
    });
  }
}

/** Checks {@link WatermarkPublisherProps}; adds each problem to `v`. */
export function validateWatermarkPublisherProps(v: PropValidator, props: WatermarkPublisherProps): void {
  v.check(props.sources.length === 0, `${v.path('sources')} is empty; give at least one source`);
  validateBatchDeadline(v, 'batchDeadline', props.batchDeadline);
  v.check(
    props.batchDeadline !== undefined && !props.sources.includes(PipelineSource.BATCH),
    `${v.path('batchDeadline')} is set but ${v.path('sources')} has no ${PipelineSource.BATCH} source`,
  );
}
