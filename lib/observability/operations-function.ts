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
import { OPERATIONS_ENV } from '../contract/metrics';
import { INLINE_POLICY_ACKNOWLEDGEMENT, acknowledgeRules, noVpcAcknowledgement } from '../core/compliance';
import { DEFAULT_RUNBOOK_URL } from '../core/docs';
import { latestNodeRuntime } from '../core/lambda-runtime';
import { DeadLetterQueue, IDeadLetterQueue } from '../reliability/dead-letter-queue';
import { runtimeCode, runtimeSource } from '../transform/runtime-code';
import { AlarmSeverity, IAlarmRouting } from './alarm-routing';
import { alarmDescription } from './alarm-context';

/** Where the library's Lambda entry points are. */
const HANDLERS_DIR = path.join(__dirname, '..', '..', 'lambda', 'handlers');

/** The anchor of the runbook section of a failing operations function. */
export const OPERATIONS_FUNCTION_ANCHOR = 'operations-function-failing';

/** Props for {@link OperationsFunction}. */
export interface OperationsFunctionProps {
  /** File name (without extension) of the entry point in `lambda/handlers/`. */
  readonly handler: string;
  /** What the function does, for its description and its alarms ("the incident-timing recorder"). */
  readonly purpose: string;
  /** The pipeline's name: the alarms' prefix and the function's `PIPELINE_NAME`. */
  readonly pipelineName: string;
  /** Encrypts the log group and the dead-letter queue. */
  readonly encryptionKey: kms.IKey;
  /** Routes the error and dead-letter alarms (ticket). */
  readonly routing: IAlarmRouting;
  /** The AWS APIs the function calls, named in its no-VPC acknowledgement. */
  readonly awsServices: string[];
  /**
   * Why the role's own statements (granted by the caller) need `Resource: "*"`, beside X-Ray's
   * `PutTraceSegments` and `PutTelemetryRecords`, which support nothing else.
   * @default - only X-Ray's
   */
  readonly starResourceReason?: string;
  /**
   * More environment variables.
   * @default - none
   */
  readonly environment?: { [name: string]: string };
  /**
   * Timeout.
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;
  /**
   * Retention of the function's log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * The function's runtime.
   * @default - the newest Node.js runtime aws-cdk-lib knows
   */
  readonly runtime?: lambda.Runtime;
  /**
   * Runbook base address of the alarm descriptions.
   * @default - the installed version's published docs/runbooks.md
   */
  readonly runbookUrl?: string;
}

/** A function of the pipeline's operations, as other constructs use it: implemented by {@link OperationsFunction}. */
export interface IOperationsFunction extends IConstruct {
  /** The function. */
  readonly function: lambda.Function;
  /** Its execution role. */
  readonly role: iam.Role;
  /** Failed invocations (after retries) and undeliverable events. */
  readonly deadLetterQueue: IDeadLetterQueue;
  /** Alarm on failed invocations (ticket). */
  readonly errorAlarm: cloudwatch.Alarm;
  /** Invokes the function from `rule` with `input` (default: the event), undeliverable events to its dead-letter queue. */
  addRuleTarget(rule: events.Rule, input?: events.RuleTargetInput): void;
}

/**
 * A small scheduled or event-driven function of the pipeline's operations (not on the data path):
 * esbuild-bundled like the library's other functions, arm64, X-Ray, JSON logs to its own KMS log
 * group, its own role (grant it what it calls), and two retries of an
 * asynchronous invocation before the event goes to its dead-letter queue (also the dead-letter
 * queue of the EventBridge target that invokes it). Its errors and its dead-letter queue are
 * alarmed as tickets.
 */
export class OperationsFunction extends Construct implements IOperationsFunction {
  /** The function. */
  public readonly function: lambda.Function;
  /** Its execution role. */
  public readonly role: iam.Role;
  /** Failed invocations (after retries) and undeliverable events. */
  public readonly deadLetterQueue: IDeadLetterQueue;
  /** Alarm on failed invocations (ticket). */
  public readonly errorAlarm: cloudwatch.Alarm;
  private readonly purpose: string;

  constructor(scope: Construct, id: string, props: OperationsFunctionProps) {
    super(scope, id);
    this.purpose = props.purpose;
    const runbook = props.runbookUrl ?? DEFAULT_RUNBOOK_URL;
    const describe = (meaning: string) =>
      alarmDescription({ severity: AlarmSeverity.TICKET, pipeline: props.pipelineName, stage: 'operations', meaning, anchor: OPERATIONS_FUNCTION_ANCHOR, runbook });
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      encryptionKey: props.encryptionKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${props.purpose} of pipeline ${props.pipelineName}`,
    });
    logGroup.grantWrite(this.role);
    this.deadLetterQueue = new DeadLetterQueue(this, 'Dlq', {
      encryptionKey: props.encryptionKey,
      sourceDescription: `${props.purpose} (invocations that failed after retries, events EventBridge could not deliver)`,
    });
    const runtime = props.runtime ?? latestNodeRuntime();
    const timeout = props.timeout ?? Duration.seconds(30);
    this.function = new lambda.Function(this, 'Function', {
      code: runtimeCode({ handlerEntry: runtimeSource(path.join(HANDLERS_DIR, props.handler)), runtime }),
      handler: 'index.handler',
      runtime,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout,
      role: this.role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      tracing: lambda.Tracing.ACTIVE,
      retryAttempts: 2,
      onFailure: this.failureDestination(),
      environment: { [OPERATIONS_ENV.pipeline]: props.pipelineName, [OPERATIONS_ENV.functionTimeoutSeconds]: String(timeout.toSeconds()), ...props.environment },
      description: `cdk-serverless-etl ${props.purpose} of pipeline ${props.pipelineName}`,
    });

    this.errorAlarm = this.function.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }).createAlarm(this, 'Errors', {
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: describe(`${props.purpose} failed invocations (retried twice, then dead-lettered)`),
    });
    props.routing.route(this.errorAlarm, AlarmSeverity.TICKET);
    const depth = this.deadLetterQueue.depthAlarm.node.defaultChild as cloudwatch.CfnAlarm;
    depth.alarmDescription = describe(String(depth.alarmDescription));
    props.routing.route(this.deadLetterQueue.depthAlarm, AlarmSeverity.TICKET);
    this.acknowledgeFindings(props.awsServices, props.starResourceReason);
  }

  /** Invokes the function from `rule` with `input` (default: the event), undeliverable events to its dead-letter queue. */
  public addRuleTarget(rule: events.Rule, input?: events.RuleTargetInput): void {
    const key = this.deadLetterQueue.encryptionKey;
    const sameAccount = { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } };
    key.grant(new iam.ServicePrincipal('events.amazonaws.com').withConditions(sameAccount), 'kms:GenerateDataKey', 'kms:Decrypt');
    rule.addTarget(
      new targets.LambdaFunction(this.function, {
        event: input,
        deadLetterQueue: this.deadLetterQueue.queue,
        retryAttempts: 8,
        maxEventAge: Duration.hours(2),
      }),
    );
  }

  /** The dead-letter queue as the on-failure destination, with only what sending needs (no `kms:ReEncrypt*`). */
  private failureDestination(): lambda.IDestination {
    return {
      bind: (_scope, fn) => {
        this.deadLetterQueue.queue.grant(fn, 'sqs:SendMessage');
        this.deadLetterQueue.encryptionKey.grant(fn, 'kms:GenerateDataKey', 'kms:Decrypt');
        return { destination: this.deadLetterQueue.queue.queueArn };
      },
    };
  }

  private acknowledgeFindings(awsServices: string[], starResourceReason: string | undefined): void {
    acknowledgeRules(
      this.function,
      {
        ids: ['NIST.800.53.R5-LambdaDLQ', 'HIPAA.Security-LambdaDLQ', 'Serverless-LambdaDLQ'],
        reason:
          `Failed asynchronous invocations of ${this.purpose} go to its dead-letter queue as the on-failure destination ` +
          '(which carries the error with the event), so a legacy dead-letter queue would receive every failure twice.',
      },
      noVpcAcknowledgement(awsServices, false),
      {
        ids: ['NIST.800.53.R5-LambdaConcurrency', 'HIPAA.Security-LambdaConcurrency'],
        reason:
          `${this.purpose} is invoked by a schedule or by alarm state changes, a few times a minute at most; reserving concurrency ` +
          'would fail deployment in accounts with a low concurrency quota (AWS keeps 100 unreserved).',
      },
    );
    acknowledgeRules(this.role, INLINE_POLICY_ACKNOWLEDGEMENT, {
      ids: ['AwsSolutions-IAM5[Resource::*]'],
      reason: `X-Ray PutTraceSegments and PutTelemetryRecords support only Resource "*"${starResourceReason ? `; ${starResourceReason}` : ''}.`,
    });
  }
}
