import { CfnResource, Duration, Lazy, Stack } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as ce from 'aws-cdk-lib/aws-ce';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, IConstruct } from 'constructs';
import { CostPrices, CostRequestInput } from '../contract/cost';
import { ALARM_TAG, METRIC_NAMESPACE, OperationsMetricName } from '../contract/metrics';
import { DEFAULT_RUNBOOK_URL } from '../core/docs';
import { PropValidator } from '../core/prop-validator';
import { EVENTBRIDGE_INPUT_MAX_LENGTH, LONGEST_ARN_PREFIX, NameLength, resolvedJsonBound } from './cost-request-size';
import { alarmDescription } from '../observability/alarm-context';
import { AlarmSeverity, IAlarmRouting } from '../observability/alarm-routing';
import { IOperationsFunction, OperationsFunction } from '../observability/operations-function';
import { operationsMetric } from '../observability/operations-metrics';

/** The period the publisher prices: one hour, run 10 minutes after it ends (metrics arrive late). */
const COST_PERIOD = Duration.hours(1);

/** Options of {@link CostPerUnit} an `EtlPipeline` passes through. */
export interface CostPerUnitOptions {
  /**
   * Unit prices overriding the defaults (us-east-1 on-demand list prices, see `CostPrices`).
   * @default - DEFAULT_COST_PRICES
   */
  readonly prices?: CostPrices;
  /**
   * Estimated state transitions per execution of each state machine (no metric counts them).
   * @default 25
   */
  readonly transitionsPerExecution?: number;
  /**
   * Width of the cost-per-million-records anomaly band in standard deviations (1 to 10): the
   * alarm fires above the band for 3 hours.
   * @default 3
   */
  readonly costBandWidth?: number;
  /**
   * AWS Cost Anomaly Detection for the `pipeline` cost-allocation tag: a custom monitor and an
   * immediate subscription to the ticket topic. Activate the tag in Billing once; an account has
   * a limited number of custom monitors (Cost Management quotas), so turn this off where an
   * account-wide monitor covers the pipeline.
   * @default true
   */
  readonly costAnomalyDetection?: boolean;
  /**
   * Notify Cost Anomaly Detection findings whose total impact is at least this many USD.
   * @default 10
   */
  readonly costAnomalyImpactUsd?: number;
}

/** Props for {@link CostPerUnit}. */
export interface CostPerUnitProps extends CostPerUnitOptions {
  /** The pipeline's name: the `Pipeline` dimension and the cost-allocation tag's value. */
  readonly pipelineName: string;
  /** The stage whose `RecordsIn` is the denominator. */
  readonly stage: string;
  /** Every resource under this construct is priced (the pipeline). */
  readonly pricedScope: IConstruct;
  /** Functions each invocation of which writes at least one S3 object (S3 PUTs are estimated from them). */
  readonly s3Writers: lambda.IFunction[];
  /** Routes the cost alarms and the cost anomaly notifications (ticket). */
  readonly routing: IAlarmRouting;
  /** Encrypts the publisher's log group and dead-letter queue (and is the ticket topic's key, for Cost Anomaly Detection). */
  readonly encryptionKey: kms.IKey;
  /**
   * Runbook base address of the alarm descriptions.
   * @default - the installed version's published docs/runbooks.md
   */
  readonly runbookUrl?: string;
  /**
   * The publisher's runtime.
   * @default - the newest Node.js runtime aws-cdk-lib knows
   */
  readonly runtime?: lambda.Runtime;
}

/** Cost per unit of a pipeline, as other constructs use it: implemented by {@link CostPerUnit}. */
export interface ICostPerUnit extends IConstruct {
  /** The hourly publisher. */
  readonly publisher: IOperationsFunction;
  /** Every alarm created here. */
  readonly alarms: cloudwatch.Alarm[];
  /** Estimated USD per million records in (hourly). */
  metricCostPerMillionRecords(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Estimated USD per hour, in total or of one service (`Lambda`, `S3`, ...). */
  metricCostUsd(service?: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric;
}

/**
 * Cost per million records (M6) as a published metric: every hour a small function reads the
 * last hour's usage of every resource of the pipeline (Lambda GB-seconds and requests, S3 storage
 * and estimated PUTs, DynamoDB request units, Kinesis stream or shard hours and bytes, Firehose
 * bytes, SQS requests, Step Functions transitions, Athena bytes scanned, CloudWatch Logs bytes)
 * with GetMetricData, prices it with an overridable price table and publishes `CostUsd` (total and
 * per `Service`) and `CostPerMillionRecords`; an anomaly band alarms on the trend (ticket). With
 * AWS Cost Anomaly Detection on the pipeline's cost-allocation tag, routed to the ticket topic.
 */
export class CostPerUnit extends Construct implements ICostPerUnit {
  /** The hourly publisher. */
  public readonly publisher: IOperationsFunction;
  /** Every alarm created here (the publisher's, and the cost trend). */
  public readonly alarms: cloudwatch.Alarm[] = [];
  /** The Cost Anomaly Detection monitor, unless turned off. */
  public readonly anomalyMonitor?: ce.CfnAnomalyMonitor;
  private readonly pipelineName: string;

  constructor(scope: Construct, id: string, props: CostPerUnitProps) {
    super(scope, id);
    const v = new PropValidator(`CostPerUnit (${this.node.path})`);
    validateCostPerUnitProps(v, props);
    v.throwIfInvalid();
    this.pipelineName = props.pipelineName;
    const runbook = props.runbookUrl ?? DEFAULT_RUNBOOK_URL;
    this.publisher = new OperationsFunction(this, 'Publisher', {
      handler: 'cost-publisher',
      purpose: 'the cost publisher',
      pipelineName: props.pipelineName,
      encryptionKey: props.encryptionKey,
      routing: props.routing,
      awsServices: ['Amazon CloudWatch', 'AWS X-Ray'],
      timeout: Duration.seconds(60),
      runtime: props.runtime,
      runbookUrl: props.runbookUrl,
      starResourceReason: 'CloudWatch GetMetricData and PutMetricData support only Resource "*" (PutMetricData is limited to the ServerlessEtl namespace by condition)',
    });
    this.publisher.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['cloudwatch:GetMetricData'], resources: ['*'] }));
    this.publisher.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['cloudwatch:PutMetricData'], resources: ['*'], conditions: { StringEquals: { 'cloudwatch:namespace': METRIC_NAMESPACE } } }),
    );
    const schedule = new events.Rule(this, 'Schedule', {
      description: `Hourly cost per million records of pipeline ${props.pipelineName}`,
      schedule: events.Schedule.cron({ minute: '10' }),
    });
    this.publisher.addRuleTarget(schedule, events.RuleTargetInput.fromObject(Lazy.any({ produce: () => costRequest(props).request })));
    this.node.addValidation({ validate: () => checkCostRequestSize(props, this.node.path) });
    this.alarms.push(this.publisher.errorAlarm, this.publisher.deadLetterQueue.depthAlarm);

    const bandWidth = props.costBandWidth ?? 3;
    const trend = new cloudwatch.AnomalyDetectionAlarm(this, 'CostPerMillionRecordsAnomaly', {
      metric: this.metricCostPerMillionRecords(),
      stdDevs: bandWidth,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_UPPER_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: alarmDescription({
        severity: AlarmSeverity.TICKET,
        pipeline: props.pipelineName,
        stage: 'operations',
        meaning: `the estimated cost per million records was above its expected band (${bandWidth} standard deviations) for 3 hours (M6)`,
        anchor: 'cost-per-million-records',
        runbook,
      }),
    });
    props.routing.route(trend, AlarmSeverity.TICKET);
    this.alarms.push(trend);
    if (props.costAnomalyDetection ?? true) this.anomalyMonitor = this.costAnomalyDetection(props);
  }

  /** Estimated USD per million records in (hourly average). */
  public metricCostPerMillionRecords(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return operationsMetric(this.pipelineName, OperationsMetricName.COST_PER_MILLION_RECORDS, {}, { period: COST_PERIOD, ...props });
  }

  /** Estimated USD per hour, in total or of one service. */
  public metricCostUsd(service?: string, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return operationsMetric(this.pipelineName, OperationsMetricName.COST_USD, service ? { Service: service } : {}, { period: COST_PERIOD, statistic: cloudwatch.Stats.SUM, ...props });
  }

  /** A custom monitor of the `pipeline` tag and an immediate subscription to the ticket topic. */
  private costAnomalyDetection(props: CostPerUnitProps): ce.CfnAnomalyMonitor {
    const monitor = new ce.CfnAnomalyMonitor(this, 'AnomalyMonitor', {
      monitorName: `${props.pipelineName}-pipeline-cost`,
      monitorType: 'CUSTOM',
      monitorSpecification: JSON.stringify({ Tags: { Key: ALARM_TAG.pipeline, Values: [props.pipelineName], MatchOptions: ['EQUALS'] } }),
    });
    const topic = props.routing.ticketTopic;
    new ce.CfnAnomalySubscription(this, 'AnomalySubscription', {
      subscriptionName: `${props.pipelineName}-pipeline-cost-anomalies`,
      monitorArnList: [monitor.attrMonitorArn],
      frequency: 'IMMEDIATE',
      subscribers: [{ type: 'SNS', address: topic.topicArn }],
      thresholdExpression: JSON.stringify({
        Dimensions: { Key: 'ANOMALY_TOTAL_IMPACT_ABSOLUTE', MatchOptions: ['GREATER_THAN_OR_EQUAL'], Values: [String(props.costAnomalyImpactUsd ?? 10)] },
      }),
    });
    // Cost Anomaly Detection publishes as costalerts.amazonaws.com: the topic (and its key) must let it.
    const sameAccount = { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } };
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCostAnomalyDetectionToPublish',
        principals: [new iam.ServicePrincipal('costalerts.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: sameAccount,
      }),
    );
    props.encryptionKey.grant(new iam.ServicePrincipal('costalerts.amazonaws.com').withConditions(sameAccount), 'kms:GenerateDataKey*', 'kms:Decrypt');
    return monitor;
  }
}

/** What the publisher prices: every resource under the priced scope, read when the template is written. */
/** The schedule's input, and what each name in it can resolve to (for the size check). */
function costRequest(props: CostPerUnitProps): { request: CostRequestInput; names: Map<string, NameLength> } {
  const all = props.pricedScope.node.findAll();
  const of = <T>(type: abstract new (...args: never[]) => T) => all.filter((c): c is Extract<typeof c, T> => c instanceof type) as T[];
  const transitions = props.transitionsPerExecution ?? 25;
  const names = new Map<string, NameLength>();
  const named = (value: string, resource: CfnResource | undefined, explicitName: unknown, serviceMax: number, prefixLength?: number): string => {
    names.set(value, { resource, explicitName, serviceMax, prefixLength });
    return value;
  };
  // Longest names the services allow (Lambda 64, S3 63, DynamoDB 255, Kinesis 128, Firehose 64,
  // SQS 80, Step Functions 80 after its ARN prefix, Athena workgroups 128, log groups 512).
  const functionName = (f: lambda.CfnFunction) => named(f.ref, f, f.functionName, 64);
  const prices = definedOnly(props.prices ?? {});
  const request: CostRequestInput = {
    pipeline: props.pipelineName,
    stage: props.stage,
    periodSeconds: COST_PERIOD.toSeconds(),
    ...(Object.keys(prices).length > 0 ? { prices } : {}),
    functions: of(lambda.CfnFunction).map((f) => ({
      name: functionName(f),
      memoryMb: typeof f.memorySize === 'number' ? f.memorySize : 128,
      arm: Array.isArray(f.architectures) && f.architectures.includes('arm64'),
    })),
    buckets: of(s3.CfnBucket).map((b) => named(b.ref, b, b.bucketName, 63)),
    s3Writers: props.s3Writers.map((f) => {
      const cfn = f.node.defaultChild;
      return named(f.functionName, cfn instanceof lambda.CfnFunction ? cfn : undefined, cfn instanceof lambda.CfnFunction ? cfn.functionName : undefined, 64);
    }),
    tables: of(dynamodb.CfnTable).map((t) => named(t.ref, t, t.tableName, 255)),
    streams: of(kinesis.CfnStream).map((s) => ({ name: named(s.ref, s, s.name, 128), shards: typeof s.shardCount === 'number' ? s.shardCount : 0 })),
    deliveryStreams: of(firehose.CfnDeliveryStream).map((d) => named(d.ref, d, d.deliveryStreamName, 64)),
    queues: of(sqs.CfnQueue).map((q) => named(q.attrQueueName, q, q.queueName, 80)),
    stateMachines: of(sfn.CfnStateMachine).map((m) => ({ arn: named(m.ref, m, m.stateMachineName, 80, LONGEST_ARN_PREFIX), transitionsPerExecution: transitions })),
    workGroups: of(athena.CfnWorkGroup).map((w) => named(w.ref, w, w.name, 128)),
    logGroups: of(logs.CfnLogGroup).map((g) => named(g.ref, g, g.logGroupName, 512)),
  };
  return { request, names };
}

/** A synth error when the schedule's input could resolve to more than EventBridge takes. */
function checkCostRequestSize(props: CostPerUnitProps, path: string): string[] {
  const { request, names } = costRequest(props);
  const bound = resolvedJsonBound(request, names);
  if (bound <= EVENTBRIDGE_INPUT_MAX_LENGTH) return [];
  const counts = (['functions', 'buckets', 'tables', 'streams', 'deliveryStreams', 'queues', 'stateMachines', 'workGroups', 'logGroups'] as const)
    .map((k) => `${request[k].length} ${k}`)
    .join(', ');
  return [
    `CostPerUnit (${path}): the hourly cost request names every priced resource of the pipeline (${counts}) and can resolve to ${bound} characters, ` +
      `over the ${EVENTBRIDGE_INPUT_MAX_LENGTH} EventBridge takes as a rule target's input: the deploy would fail. ` +
      'Give the resources shorter explicit names, override fewer prices, or split the pipeline.',
  ];
}

function definedOnly(prices: CostPrices): CostPrices {
  return Object.fromEntries(Object.entries(prices).filter(([, v]) => v !== undefined)) as CostPrices;
}

/** Checks {@link CostPerUnitOptions}; adds each problem to `v`. */
export function validateCostPerUnitProps(v: PropValidator, props: CostPerUnitOptions): void {
  v.number('transitionsPerExecution', props.transitionsPerExecution, 1, 100_000)
    .number('costBandWidth', props.costBandWidth, 1, 10)
    .number('costAnomalyImpactUsd', props.costAnomalyImpactUsd, 1, 1_000_000);
  for (const [name, price] of Object.entries(props.prices ?? {})) {
    if (price !== undefined) v.check(!(price >= 0), `${v.path(`prices.${name}`)} is ${price}; a price must be 0 or more (USD)`);
  }
}
