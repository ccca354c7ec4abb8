import * as path from 'node:path';
import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import {
  INLINE_POLICY_ACKNOWLEDGEMENT,
  KMS_DATA_KEY_WILDCARD_FINDING,
  acknowledgeRules,
  bucketObjectsFinding,
  noVpcAcknowledgement,
  policyWildcardFindings,
} from '../core/compliance';
import { publishedDocUrl } from '../core/docs';
import { allowLogsToUseKey, createPipelineKey } from '../core/encryption';
import { latestNodeRuntime, nodeRuntimeProblem } from '../core/lambda-runtime';
import { PropValidator, formatNumber } from '../core/prop-validator';
import { DeadLetterQueue } from '../reliability/dead-letter-queue';
import { RuleScopedSqsQueue } from '../reliability/rule-scoped-queue';
import { runtimeCode, runtimeSource } from '../transform/runtime-code';
import { TransformFunction } from '../transform/transform-function';

/** `source` of every event the workflow puts on the pipeline bus. */
export const BATCH_WORKFLOW_EVENT_SOURCE = 'cdk-serverless-etl';

/** `detail-type`s of the events the workflow puts on the pipeline bus. */
export const BatchWorkflowEvents = {
  COMPLETED: 'BatchCompleted',
  FAILED: 'BatchFailed',
  SCHEMA_DRIFT: 'SchemaDriftDetected',
} as const;

/** Errors of the object check that are deterministic: the object is quarantined, never retried. */
export const OBJECT_CHECK_ERRORS = ['ObjectTooLarge', 'NotJsonLines', 'TooManyBatches', 'EmptyObject'];

const STEPS_ENTRY = path.join(__dirname, '..', '..', 'lambda', 'handlers', 'check-object');
/** At most this many batches per object: it bounds the ranges and the Map's results (256 KiB state payloads). */
const MAX_BATCHES = 1000;
/** Lambda errors worth retrying (the service's own, throttling, task timeouts). */
const LAMBDA_TRANSIENT_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'States.Timeout',
];
/** AWS SDK integration errors: `States.TaskFailed` covers throttling and 5xx; retries are bounded. */
const SDK_TRANSIENT_ERRORS = ['States.TaskFailed', 'States.Timeout'];

/** Settings of a {@link BatchWorkflow} (what EtlPipeline exposes). */
export interface BatchWorkflowOptions {
  /**
   * Only objects whose key starts with this prefix start the workflow. Keep it apart from the
   * stream archive (`stream-archive/`) and claim checks (`claim-check/`) of the same bucket.
   * @default 'batch/'
   */
  readonly prefix?: string;

  /**
   * Only objects whose key ends with this suffix start the workflow.
   * @default - any suffix (objects that are not JSON Lines are quarantined by the check)
   */
  readonly suffix?: string;

  /**
   * Also start the workflow on a schedule, for the object `scheduledKey` of the raw bucket (e.g. a
   * nightly export).
   * @default - no schedule
   */
  readonly schedule?: events.Schedule;

  /**
   * Key in the raw bucket that scheduled runs process. Required with `schedule`. It may name the
   * run's date with `{yyyy}`, `{MM}`, `{dd}`, `{HH}` and `{date}` (`{yyyy}-{MM}-{dd}`): the schedule's
   * fire time (UTC) minus `scheduledKeyOffset`, e.g. `exports/dt={date}/events.jsonl.gz`.
   * @default - none
   */
  readonly scheduledKey?: string;

  /**
   * Subtracted from the fire time before the date placeholders of `scheduledKey` are filled (0 to
   * 366 days), e.g. `Duration.days(1)` for a run at 02:00 that processes yesterday's export.
   * @default Duration.seconds(0)
   */
  readonly scheduledKeyOffset?: Duration;

  /**
   * Lines per batch, i.e. per transform invocation (1 to 100,000).
   * @default 1000
   */
  readonly linesPerBatch?: number;

  /**
   * Batches processed at the same time for one object (1 to 1,000).
   * @default 10
   */
  readonly maxConcurrency?: number;

  /**
   * Schema-mismatch rate (mismatches / records in) above which the run is treated as schema drift:
   * the object is quarantined, a drift event is emitted and the pipeline is paused (0 to 1).
   * @default 0.05
   */
  readonly maxDriftRate?: number;

  /**
   * Lines from the start of each object validated against the schemas before anything is loaded
   * (0 to 100,000; 0 turns the sample off). A sample whose schema-mismatch rate passes
   * `maxDriftRate` is treated as drift at once: nothing of the object is loaded. Needs the
   * transform's `schemaRegistry`; without one there is nothing to sample against.
   * @default 500
   */
  readonly schemaSampleLines?: number;

  /**
   * Objects larger than this are quarantined without processing (1 byte to 10 GiB); a gzip object
   * also when it decompresses to more than this (the check inflates and counts, stopping at the
   * bound). Batches of an uncompressed object read only their byte range; batches of a gzip
   * object each stream it from the start to their range (never holding more than their lines).
   * @default 268435456 (256 MiB)
   */
  readonly maxObjectBytes?: number;

  /**
   * Timeout of one execution (1 minute to 7 days).
   * @default Duration.hours(1)
   */
  readonly timeout?: Duration;

  /**
   * Retention of the state machine's and the step function's log groups.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Name of the SSM String parameter holding the pipeline's paused flag (`true` or `false`).
   * @default '/cdk-serverless-etl/<pipelineName>/paused'
   */
  readonly pausedParameterName?: string;
}

/** Props for {@link BatchWorkflow}. */
export interface BatchWorkflowProps extends BatchWorkflowOptions {
  /** Pipeline name: events' `detail.pipeline`, the paused-flag parameter name, descriptions. */
  readonly pipelineName: string;

  /** The transform function; the workflow invokes its `live` alias once per line range. */
  readonly transform: TransformFunction;

  /** Bucket whose JSON Lines objects start the workflow (object-created events on the default bus). */
  readonly rawBucket: s3.IBucket;

  /**
   * Bucket of the run-level lineage manifests, under `_lineage/<dataset>/runs/` (the transform's
   * curated bucket, next to its per-batch manifests).
   */
  readonly curatedBucket: s3.IBucket;

  /** Bucket where rejected objects (not JSON Lines, too large, schema drift) are recorded: a pointer and the reason, never a copy. */
  readonly quarantineBucket: s3.IBucket;

  /** Bus of the workflow's `BatchCompleted`, `BatchFailed` and `SchemaDriftDetected` events. */
  readonly eventBus: events.IEventBus;

  /**
   * Dataset name: quarantined objects go under `<dataset>/objects/` in the quarantine bucket.
   * @default - the pipeline name
   */
  readonly dataset?: string;

  /**
   * KMS key of the log groups and of the DLQ the workflow creates.
   * @default - a new key with rotation on
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Where failed runs (and runs started while the pipeline is paused) are sent, with their input
   * and error, for a redrive.
   * @default - a new DeadLetterQueue
   */
  readonly deadLetterQueue?: DeadLetterQueue;

  /**
   * Lambda runtime of the workflow's steps function: a Node.js runtime from `nodejs20.x`.
   * @default - the newest Node.js runtime the installed aws-cdk-lib knows (the highest `nodejsNN.x`
   *   in `lambda.Runtime.ALL`, which cdk-nag's latest-runtime rules require)
   */
  readonly runtime?: lambda.Runtime;
}

/**
 * Step Functions orchestration of S3 JSON Lines objects: each object created under `prefix` in the
 * raw bucket (and, optionally, a scheduled object) is checked (size, format, line count), its first
 * lines are validated against the schemas (a sample that loads nothing), it is processed by the
 * transform in line ranges with a Distributed Map, summarized, recorded in a run-level lineage
 * manifest and announced on the pipeline bus (`BatchCompleted`). The transform's runtime does the
 * load: curated writes (idempotent per range, partitioned), quarantine with line positions and
 * per-batch lineage manifests.
 *
 * Failures: every task retries with exponential backoff, full jitter and an attempt bound; then a
 * deterministic rejection quarantines the object, anything else sends the input and error to the
 * DLQ, and both emit `BatchFailed`. Executions that time out or are aborted reach the DLQ through a
 * rule on their status change. A schema sample, or a whole run, whose schema-mismatch rate passes
 * `maxDriftRate` sets the pipeline's paused flag, quarantines the object and emits
 * `SchemaDriftDetected` (`counts.scope` says which: `sample`, nothing loaded, or `object`); while
 * the flag is `true`, new runs go straight to the DLQ (restart them after an operator resumes).
 */
export class BatchWorkflow extends Construct {
  /** The state machine. */
  public readonly stateMachine: sfn.StateMachine;
  /** The state machine's log group (level ALL, KMS-encrypted). */
  public readonly logGroup: logs.LogGroup;
  /** The function of the workflow's own steps (check, summarize, quarantine). */
  public readonly stepsFunction: lambda.Function;
  /** The DLQ of failed and paused runs, and of undeliverable start events. */
  public readonly deadLetterQueue: DeadLetterQueue;
  /** The pipeline's paused flag. */
  public readonly pausedParameter: ssm.IStringParameter;
  /** The rule starting the workflow on object-created events. */
  public readonly objectCreatedRule: events.Rule;
  /** The rule starting the workflow on the schedule, when `schedule` is set. */
  public readonly scheduleRule?: events.Rule;
  /** The rule sending timed-out and aborted executions to the DLQ. */
  public readonly abandonedRunsRule: events.Rule;
  /** The key of the log groups (and of the DLQ, when created here). */
  public readonly encryptionKey: kms.IKey;

  constructor(scope: Construct, id: string, props: BatchWorkflowProps) {
    super(scope, id);
    const linesPerBatch = props.linesPerBatch ?? 1000;
    const maxConcurrency = props.maxConcurrency ?? 10;
    const maxDriftRate = props.maxDriftRate ?? 0.05;
    const maxObjectBytes = props.maxObjectBytes ?? 256 * 1024 * 1024;
    const schemaSampleLines = props.schemaSampleLines ?? 500;
    const timeout = props.timeout ?? Duration.hours(1);
    const prefix = props.prefix ?? 'batch/';
    const dataset = props.dataset ?? props.pipelineName;
    const parameterName = props.pausedParameterName ?? `/cdk-serverless-etl/${props.pipelineName}/paused`;
    const validator = new PropValidator(`BatchWorkflow (${this.node.path})`);
    validateBatchWorkflowProps(validator, props, props.transform.schemaRegistry !== undefined);
    validator.throwIfInvalid();

    this.encryptionKey = props.encryptionKey ?? createPipelineKey(this, 'Key', `Batch workflow key of ${this.node.path}`);
    allowLogsToUseKey(this.encryptionKey);
    const retention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    this.deadLetterQueue =
      props.deadLetterQueue ??
      new DeadLetterQueue(this, 'Dlq', {
        encryptionKey: this.encryptionKey,
        sourceDescription: `the batch workflow ${this.node.path} (failed, timed-out and paused runs: object and error)`,
      });
    const pausedParameter = new ssm.StringParameter(this, 'Paused', {
      parameterName,
      // A path ('/…', as validated): said here, since a name holding a token (a pipelineName from a
      // CfnParameter) leaves aws-cdk-lib unable to tell how to build the parameter's ARN.
      simpleName: false,
      stringValue: 'false',
      description:
        `Paused flag of pipeline ${props.pipelineName}: "true" stops batch loads (set on schema drift; see ` +
        `${publishedDocUrl('runbooks.md', 'schema-drift-paused')})`,
    });
    this.pausedParameter = pausedParameter;
    // The raw objects the workflow processes, and nothing else of the raw bucket (not the stream
    // archive, not claim checks): the steps function and the transform read only these.
    const sourcePatterns = sourceKeyPatterns(prefix, props.scheduledKey);
    this.stepsFunction = this.createStepsFunction(retention, props, dataset, sourcePatterns);
    props.transform.grantReadObjects(props.rawBucket, ...sourcePatterns);

    const definition = this.definition(props, { linesPerBatch, maxConcurrency, maxDriftRate, maxObjectBytes, schemaSampleLines, dataset });
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention,
      encryptionKey: this.encryptionKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      stateMachineType: sfn.StateMachineType.STANDARD,
      timeout,
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      comment: `cdk-serverless-etl batch workflow of pipeline ${props.pipelineName}`,
    });
    // The Distributed Map's child executions log to the same group: the state machine role needs the key.
    this.encryptionKey.grant(this.stateMachine, 'kms:GenerateDataKey', 'kms:Decrypt');

    // Start events (object created, schedule) that cannot be delivered go to the DLQ as well.
    this.deadLetterQueue.encryptionKey.grant(
      new iam.ServicePrincipal('events.amazonaws.com').withConditions({ StringEquals: { 'aws:SourceAccount': Stack.of(this).account } }),
      'kms:GenerateDataKey',
      'kms:Decrypt',
    );
    const startTarget = (input: events.RuleTargetInput) =>
      new targets.SfnStateMachine(this.stateMachine, {
        input,
        deadLetterQueue: this.deadLetterQueue.queue,
        retryAttempts: 185,
        maxEventAge: Duration.hours(24),
      });
    this.objectCreatedRule = new events.Rule(this, 'ObjectCreated', {
      description: `Starts ${this.node.path} for JSON Lines objects created under ${prefix || '(any key)'} in the raw bucket`,
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: { bucket: { name: [props.rawBucket.bucketName] }, ...objectKeyFilter(prefix, props.suffix) },
      },
      targets: [
        startTarget(
          events.RuleTargetInput.fromObject({
            bucket: events.EventField.fromPath('$.detail.bucket.name'),
            key: events.EventField.fromPath('$.detail.object.key'),
            size: events.EventField.fromPath('$.detail.object.size'),
          }),
        ),
      ],
    });
    if (props.schedule) {
      const input = hasKeyPlaceholders(props.scheduledKey as string)
        ? {
            bucket: props.rawBucket.bucketName,
            keyTemplate: props.scheduledKey,
            scheduledTime: events.EventField.time,
            keyOffsetSeconds: (props.scheduledKeyOffset ?? Duration.seconds(0)).toSeconds(),
          }
        : { bucket: props.rawBucket.bucketName, key: props.scheduledKey };
      this.scheduleRule = new events.Rule(this, 'Schedule', {
        description: `Starts ${this.node.path} on a schedule for s3://<raw>/${props.scheduledKey}`,
        schedule: props.schedule,
        targets: [startTarget(events.RuleTargetInput.fromObject(input))],
      });
    }
    // Timed-out and aborted executions never reach a Catch: their input goes to the DLQ from here.
    this.abandonedRunsRule = new events.Rule(this, 'AbandonedRuns', {
      description: `Sends timed-out and aborted executions of ${this.node.path} to its DLQ`,
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { stateMachineArn: [this.stateMachine.stateMachineArn], status: ['TIMED_OUT', 'ABORTED'] },
      },
      targets: [
        // The DLQ accepts events from this rule only (aws:SourceArn), not any rule of the account.
        new RuleScopedSqsQueue(this.deadLetterQueue.queue, {
          message: events.RuleTargetInput.fromObject({
            pipeline: props.pipelineName,
            error: events.EventField.fromPath('$.detail.status'),
            executionArn: events.EventField.fromPath('$.detail.executionArn'),
            input: events.EventField.fromPath('$.detail.input'),
          }),
          retryAttempts: 185,
          maxEventAge: Duration.hours(24),
        }),
      ],
    });
    this.acknowledgeDesignFindings();
  }

  /** Grants reading the paused flag and setting it (the operator's resume command). */
  public grantResume(grantee: iam.IGrantable): iam.Grant {
    this.pausedParameter.grantRead(grantee);
    return this.pausedParameter.grantWrite(grantee);
  }

  /** Failed executions (sum over 5 minutes). */
  public metricFailed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stateMachine.metricFailed({ period: Duration.minutes(5), ...props });
  }

  /** Timed-out executions (sum over 5 minutes). */
  public metricTimedOut(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stateMachine.metricTimedOut({ period: Duration.minutes(5), ...props });
  }

  private createStepsFunction(retention: logs.RetentionDays, props: BatchWorkflowProps, dataset: string, sourcePatterns: string[]): lambda.Function {
    const logGroup = new logs.LogGroup(this, 'StepsLogs', { retention, encryptionKey: this.encryptionKey, removalPolicy: RemovalPolicy.RETAIN });
    const role = new iam.Role(this, 'StepsRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the check/summarize/quarantine/lineage steps of ${this.node.path}`,
    });
    logGroup.grantWrite(role);
    const runtime = props.runtime ?? latestNodeRuntime();
    const fn = new lambda.Function(this, 'Steps', {
      code: runtimeCode({ handlerEntry: runtimeSource(STEPS_ENTRY), runtime }),
      handler: 'index.handler',
      runtime,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 512,
      timeout: Duration.minutes(5),
      role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      tracing: lambda.Tracing.ACTIVE,
      description: `cdk-serverless-etl batch workflow steps of pipeline ${props.pipelineName}`,
    });
    // HeadObject and the streaming line count (GetObject); HeadObject of rejected objects (their pointer).
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: sourcePatterns.map((k) => props.rawBucket.arnForObjects(k)) }),
    );
    props.rawBucket.encryptionKey?.grant(role, 'kms:Decrypt');
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [props.quarantineBucket.arnForObjects(`${dataset}/objects/*`)] }),
    );
    props.quarantineBucket.encryptionKey?.grant(role, 'kms:GenerateDataKey');
    // The run-level lineage manifest.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [props.curatedBucket.arnForObjects(`${runLineagePrefix(dataset)}*`)] }),
    );
    props.curatedBucket.encryptionKey?.grant(role, 'kms:GenerateDataKey');
    acknowledgeRules(
      fn,
      {
        ids: ['NIST.800.53.R5-LambdaDLQ', 'HIPAA.Security-LambdaDLQ', 'Serverless-LambdaDLQ'],
        reason:
          'Invoked only synchronously by the state machine, whose Catch sends the failed run to the workflow DLQ; ' +
          'an async-invoke DLQ would stay empty.',
      },
      noVpcAcknowledgement(['Amazon S3', 'AWS X-Ray'], false),
      {
        ids: ['NIST.800.53.R5-LambdaConcurrency', 'HIPAA.Security-LambdaConcurrency'],
        reason:
          'Invoked a few times per object by the state machine (check, summarize, lineage, quarantine), never per record or by ' +
          'an event source; its concurrency is bounded by the executions, and reserving it fails deployment in low-quota accounts.',
      },
    );
    acknowledgeRules(role, INLINE_POLICY_ACKNOWLEDGEMENT, {
      ids: [
        'AwsSolutions-IAM5[Resource::*]',
        ...sourcePatterns.filter((k) => k.includes('*')).map((k) => bucketObjectsFinding(props.rawBucket, k)),
        bucketObjectsFinding(props.quarantineBucket, `${dataset}/objects/*`),
        bucketObjectsFinding(props.curatedBucket, `${runLineagePrefix(dataset)}*`),
      ],
      reason:
        's3:GetObject on the raw objects the workflow processes (under its prefix, and the scheduled key\'s dated ' +
        'pattern: names are the producers\' own, known only at run time) to check them, ' +
        's3:PutObject under the dataset\'s objects/ prefix of the quarantine bucket to quarantine rejected objects and ' +
        'under its run lineage prefix of the curated bucket (one manifest per execution, named by the execution); ' +
        'X-Ray PutTraceSegments and ' +
        'PutTelemetryRecords support only Resource "*".',
    });
    return fn;
  }

  private definition(
    props: BatchWorkflowProps,
    o: { linesPerBatch: number; maxConcurrency: number; maxDriftRate: number; maxObjectBytes: number; schemaSampleLines: number; dataset: string },
  ): sfn.IChainable {
    const quarantinePrefix = `${o.dataset}/objects/`;
    const lambdaRetry = (task: sfn.TaskStateBase) =>
      task.addRetry({
        errors: LAMBDA_TRANSIENT_ERRORS,
        interval: Duration.seconds(2),
        backoffRate: 2,
        maxAttempts: 3,
        maxDelay: Duration.seconds(60),
        jitterStrategy: sfn.JitterType.FULL,
      });
    const sdkRetry = (task: sfn.TaskStateBase) =>
      task.addRetry({
        errors: SDK_TRANSIENT_ERRORS,
        interval: Duration.seconds(1),
        backoffRate: 2,
        maxAttempts: 3,
        maxDelay: Duration.seconds(30),
        jitterStrategy: sfn.JitterType.FULL,
      });
    /** A task of the steps function: one action, its payload, where the result goes. */
    const step = (id: string, payload: Record<string, unknown>, resultPath: string) =>
      new tasks.LambdaInvoke(this, id, {
        lambdaFunction: this.stepsFunction,
        payloadResponseOnly: true,
        retryOnServiceExceptions: false,
        payload: sfn.TaskInput.fromObject(payload),
        resultPath,
      });
    const event = (id: string, detailType: string, detail: Record<string, unknown>) =>
      new tasks.EventBridgePutEvents(this, id, {
        entries: [
          {
            eventBus: props.eventBus,
            source: BATCH_WORKFLOW_EVENT_SOURCE,
            detailType,
            detail: sfn.TaskInput.fromObject({
              pipeline: props.pipelineName,
              bucket: sfn.JsonPath.stringAt('$.bucket'),
              key: sfn.JsonPath.stringAt('$.key'),
              executionId: sfn.JsonPath.stringAt('$$.Execution.Id'),
              ...detail,
            }),
          },
        ],
        resultPath: sfn.JsonPath.DISCARD,
      });

    // Failure path: DLQ (input + error) → BatchFailed → Fail. Its own tasks retry, then fall through.
    const failed = new sfn.Fail(this, 'Failed', { error: 'BatchFailed', causePath: '$.failure.Cause' });
    const emitFailed = event('EmitFailed', BatchWorkflowEvents.FAILED, {
      error: sfn.JsonPath.stringAt('$.failure.Error'),
      cause: sfn.JsonPath.stringAt('$.failure.Cause'),
    });
    sdkRetry(emitFailed).addCatch(failed, { resultPath: '$.emitError' });
    emitFailed.next(failed);
    const sendToDlq = new tasks.SqsSendMessage(this, 'SendToDlq', {
      queue: this.deadLetterQueue.queue,
      messageBody: sfn.TaskInput.fromObject({
        pipeline: props.pipelineName,
        bucket: sfn.JsonPath.stringAt('$.bucket'),
        key: sfn.JsonPath.stringAt('$.key'),
        error: sfn.JsonPath.stringAt('$.failure.Error'),
        cause: sfn.JsonPath.stringAt('$.failure.Cause'),
        executionId: sfn.JsonPath.stringAt('$$.Execution.Id'),
      }),
      resultPath: sfn.JsonPath.DISCARD,
    });
    sdkRetry(sendToDlq).addCatch(emitFailed, { resultPath: '$.dlqError' });
    sendToDlq.next(emitFailed);
    const quarantine = (id: string) => {
      const task = step(
        id,
        {
          action: 'quarantine',
          bucket: sfn.JsonPath.stringAt('$.bucket'),
          key: sfn.JsonPath.stringAt('$.key'),
          quarantineBucket: props.quarantineBucket.bucketName,
          prefix: quarantinePrefix,
          reason: sfn.JsonPath.stringAt('$.failure.Error'),
          cause: sfn.JsonPath.stringAt('$.failure.Cause'),
          executionId: sfn.JsonPath.stringAt('$$.Execution.Id'),
        },
        '$.quarantined',
      );
      lambdaRetry(task).addCatch(sendToDlq, { resultPath: '$.quarantineError' });
      return task;
    };
    const catchAll = (task: sfn.TaskStateBase | sfn.DistributedMap) => task.addCatch(sendToDlq, { resultPath: '$.failure' });

    // 1. Paused? Then the run goes to the DLQ, to be redriven after the operator resumes.
    const checkPaused = new tasks.CallAwsService(this, 'CheckPaused', {
      service: 'ssm',
      action: 'getParameter',
      parameters: { Name: this.pausedParameter.parameterName },
      iamResources: [this.pausedParameter.parameterArn],
      resultSelector: { 'value.$': '$.Parameter.Value' },
      resultPath: '$.paused',
    });
    catchAll(sdkRetry(checkPaused));
    const markPaused = new sfn.Pass(this, 'MarkPaused', {
      result: sfn.Result.fromObject({
        Error: 'PipelinePaused',
        Cause: `pipeline ${props.pipelineName} is paused (schema drift): redrive this message after the operator resumes`,
      }),
      resultPath: '$.failure',
    });
    markPaused.next(sendToDlq);

    // 2. Check the object: size, JSON Lines, line count → ranges.
    const checkObject = step(
      'CheckObject',
      {
        action: 'check',
        bucket: sfn.JsonPath.stringAt('$.bucket'),
        key: sfn.JsonPath.stringAt('$.key'),
        linesPerBatch: o.linesPerBatch,
        maxObjectBytes: o.maxObjectBytes,
        maxBatches: MAX_BATCHES,
        schemaSampleLines: o.schemaSampleLines,
      },
      '$.object',
    );
    lambdaRetry(checkObject).addCatch(quarantine('QuarantineRejectedObject').next(emitFailed), {
      errors: OBJECT_CHECK_ERRORS,
      resultPath: '$.failure',
    });
    catchAll(checkObject);

    // A transform invocation may run its function's timeout, and some margin for the invoke.
    const transformTaskTimeout = sfn.Timeout.duration(Duration.seconds((props.transform.function.timeout ?? Duration.seconds(60)).toSeconds() + 30));

    // 2b. Schema sample (canary): the transform validates the first lines and writes nothing; a
    // sample past the drift threshold pauses the pipeline before any record of the object is loaded.
    const sampleSchema =
      props.transform.schemaRegistry && o.schemaSampleLines > 0
        ? new tasks.LambdaInvoke(this, 'SampleSchema', {
            lambdaFunction: props.transform.alias,
            payloadResponseOnly: true,
            retryOnServiceExceptions: false,
            payload: sfn.TaskInput.fromObject({
              s3Object: {
                bucket: sfn.JsonPath.stringAt('$.bucket'),
                key: sfn.JsonPath.stringAt('$.key'),
                etag: sfn.JsonPath.stringAt('$.object.etag'),
                firstLine: sfn.JsonPath.numberAt('$.object.sampleRange.firstLine'),
                lineCount: sfn.JsonPath.numberAt('$.object.sampleRange.lineCount'),
                firstByte: sfn.JsonPath.numberAt('$.object.sampleRange.firstByte'),
                lastByte: sfn.JsonPath.numberAt('$.object.sampleRange.lastByte'),
              },
              validateOnly: true,
            }),
            resultSelector: {
              'recordsIn.$': '$.sample.recordsIn',
              'schemaMismatches.$': '$.sample.schemaMismatches',
              'driftRate.$': '$.sample.driftRate',
              'versions.$': '$.sample.versions',
              'errors.$': '$.sample.errors',
            },
            resultPath: '$.sample',
            taskTimeout: transformTaskTimeout,
          })
        : undefined;
    if (sampleSchema) catchAll(lambdaRetry(sampleSchema));

    // 3. The transform, once per line range (the runtime reads the object, loads and writes lineage).
    const processBatch = new tasks.LambdaInvoke(this, 'ProcessBatch', {
      lambdaFunction: props.transform.alias,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      resultSelector: { 'summary.$': '$.summary' },
      taskTimeout: transformTaskTimeout,
    });
    lambdaRetry(processBatch);
    const allStored = new sfn.Choice(this, 'AllStored')
      .when(sfn.Condition.numberGreaterThan('$.summary.retried', 0), new sfn.Fail(this, 'RecordsNotStored', {
        error: 'BatchItemFailures',
        cause: 'some records of the range could not be stored; the range is processed again (idempotent)',
      }))
      .otherwise(new sfn.Succeed(this, 'BatchDone'));
    const processBatches = new sfn.DistributedMap(this, 'ProcessBatches', {
      itemsPath: '$.object.ranges',
      itemSelector: {
        'run.$': '$$.Execution.Id',
        s3Object: {
          'bucket.$': '$.bucket',
          'key.$': '$.key',
          'etag.$': '$.object.etag',
          'firstLine.$': '$$.Map.Item.Value.firstLine',
          'lineCount.$': '$$.Map.Item.Value.lineCount',
          'firstByte.$': '$$.Map.Item.Value.firstByte',
          'lastByte.$': '$$.Map.Item.Value.lastByte',
        },
      },
      maxConcurrency: o.maxConcurrency,
      toleratedFailurePercentage: 0,
      mapExecutionType: sfn.StateMachineType.STANDARD,
      label: 'ProcessBatches',
      resultPath: '$.batches',
    });
    processBatches.itemProcessor(processBatch.next(allStored));
    processBatches.addRetry({
      // A range with records not stored fails its child; the Map Run runs again (idempotent per range).
      errors: ['States.ExceedToleratedFailureThreshold'],
      interval: Duration.seconds(10),
      backoffRate: 2,
      maxAttempts: 2,
      maxDelay: Duration.minutes(2),
      jitterStrategy: sfn.JitterType.FULL,
    });
    catchAll(processBatches);

    // 4. Sum the batch counts; drift check.
    const summarize = step(
      'Summarize',
      {
        action: 'summarize',
        batches: sfn.JsonPath.listAt('$.batches'),
        maxDriftRate: o.maxDriftRate,
      },
      '$.summary',
    );
    catchAll(lambdaRetry(summarize));

    // 4b. Run-level lineage: source object (version, ETag), transform version, schema sample, counts.
    const recordLineage = step(
      'RecordLineage',
      {
        action: 'lineage',
        bucket: props.curatedBucket.bucketName,
        prefix: runLineagePrefix(o.dataset),
        pipeline: props.pipelineName,
        dataset: o.dataset,
        executionId: sfn.JsonPath.stringAt('$$.Execution.Id'),
        executionName: sfn.JsonPath.stringAt('$$.Execution.Name'),
        startedAt: sfn.JsonPath.stringAt('$$.Execution.StartTime'),
        source: {
          bucket: sfn.JsonPath.stringAt('$.bucket'),
          key: sfn.JsonPath.stringAt('$.key'),
          object: sfn.JsonPath.objectAt('$.object'),
        },
        transform: {
          functionName: props.transform.function.functionName,
          alias: props.transform.alias.aliasName,
          version: props.transform.alias.version.version,
        },
        ...(sampleSchema ? { schemaSample: sfn.JsonPath.objectAt('$.sample') } : {}),
        counts: sfn.JsonPath.objectAt('$.summary'),
      },
      '$.lineage',
    );
    catchAll(lambdaRetry(recordLineage));

    // 5. Drift: pause the pipeline first (stops later loads), then quarantine the object and tell.
    const pause = new tasks.CallAwsService(this, 'PausePipeline', {
      service: 'ssm',
      action: 'putParameter',
      parameters: { Name: this.pausedParameter.parameterName, Value: 'true', Type: 'String', Overwrite: true },
      iamResources: [this.pausedParameter.parameterArn],
      resultPath: sfn.JsonPath.DISCARD,
    });
    catchAll(sdkRetry(pause));
    const markDrift = new sfn.Pass(this, 'MarkDrift', {
      parameters: {
        Error: 'SchemaDrift',
        Cause: sfn.JsonPath.format(`schema-mismatch rate {} above ${o.maxDriftRate}`, sfn.JsonPath.stringAt('$.summary.driftRate')),
      },
      resultPath: '$.failure',
    });
    const quarantineDrifted = quarantine('QuarantineDriftedObject');
    const emitDrift = event('EmitDrift', BatchWorkflowEvents.SCHEMA_DRIFT, {
      counts: sfn.JsonPath.objectAt('$.summary'),
      maxDriftRate: o.maxDriftRate,
      pausedParameter: this.pausedParameter.parameterName,
    });
    const driftFail = new sfn.Fail(this, 'SchemaDrift', { error: 'SchemaDrift', causePath: '$.failure.Cause' });
    sdkRetry(emitDrift).addCatch(driftFail, { resultPath: '$.emitError' });
    pause.next(markDrift).next(quarantineDrifted).next(emitDrift).next(driftFail);

    // 6. Completed.
    const emitCompleted = event('EmitCompleted', BatchWorkflowEvents.COMPLETED, {
      counts: sfn.JsonPath.objectAt('$.summary'),
      lineCount: sfn.JsonPath.numberAt('$.object.lineCount'),
      bytes: sfn.JsonPath.numberAt('$.object.bytes'),
    });
    catchAll(sdkRetry(emitCompleted));

    // 0. A scheduled run with a key template: the key of the run's date, before anything else.
    let start: sfn.IChainable = checkPaused;
    if (props.scheduledKey !== undefined && hasKeyPlaceholders(props.scheduledKey)) {
      const resolveKey = step(
        'ResolveScheduledKey',
        {
          action: 'resolveKey',
          template: sfn.JsonPath.stringAt('$.keyTemplate'),
          time: sfn.JsonPath.stringAt('$.scheduledTime'),
          offsetSeconds: sfn.JsonPath.numberAt('$.keyOffsetSeconds'),
        },
        '$.key',
      );
      // Unresolved (the step kept failing): the DLQ message names the template as its key.
      const keyUnresolved = new sfn.Pass(this, 'KeyUnresolved', {
        parameters: { 'bucket.$': '$.bucket', 'key.$': '$.keyTemplate', 'failure.$': '$.failure' },
      });
      keyUnresolved.next(sendToDlq);
      lambdaRetry(resolveKey).addCatch(keyUnresolved, { resultPath: '$.failure' });
      resolveKey.next(checkPaused);
      start = new sfn.Choice(this, 'IsScheduled')
        .when(sfn.Condition.isPresent('$.keyTemplate'), resolveKey)
        .otherwise(checkPaused);
    }
    checkPaused.next(
      new sfn.Choice(this, 'IsPaused').when(sfn.Condition.stringEquals('$.paused.value', 'true'), markPaused).otherwise(checkObject),
    );
    let loadStart: sfn.IChainable = processBatches;
    if (sampleSchema) {
      const sampleDrift = new sfn.Pass(this, 'SampleDrifted', {
        comment: 'The sample is the drift evidence: nothing of the object was loaded',
        parameters: {
          scope: 'sample',
          'recordsIn.$': '$.sample.recordsIn',
          'schemaMismatches.$': '$.sample.schemaMismatches',
          'driftRate.$': '$.sample.driftRate',
          'versions.$': '$.sample.versions',
          'errors.$': '$.sample.errors',
          curated: 0,
          drifted: true,
        },
        resultPath: '$.summary',
      });
      sampleDrift.next(pause);
      loadStart = sampleSchema.next(
        new sfn.Choice(this, 'SampleCheck')
          .when(sfn.Condition.numberGreaterThan('$.sample.driftRate', o.maxDriftRate), sampleDrift)
          .otherwise(processBatches),
      );
    }
    checkObject.next(loadStart);
    processBatches
      .next(summarize)
      .next(recordLineage)
      .next(
        new sfn.Choice(this, 'DriftCheck')
          .when(sfn.Condition.booleanEquals('$.summary.drifted', true), pause)
          .otherwise(emitCompleted.next(new sfn.Succeed(this, 'Done'))),
      );
    return start;
  }

  private acknowledgeDesignFindings(): void {
    acknowledgeRules(this.abandonedRunsRule, {
      ids: ['Serverless-EventBusDLQ'],
      reason:
        'The rule\'s only target is the workflow DLQ itself (timed-out and aborted runs); a DLQ for delivering to a DLQ ' +
        'would only move the problem, and the target retries for 24 hours.',
    });
    // The Distributed Map's policy (aws-cdk-lib): start, describe and stop its own child executions.
    // The ids are read from the policy as aws-cdk-lib wrote it: its execution ARNs differ with the
    // stack's environment and the app's partition-literal flag.
    const mapPolicy = this.stateMachine.node.tryFindChild('DistributedMapPolicy');
    const executionFindings = mapPolicy instanceof iam.Policy ? policyWildcardFindings(mapPolicy, (r) => r.includes(':execution:')) : [];
    acknowledgeRules(this.stateMachine, INLINE_POLICY_ACKNOWLEDGEMENT, {
      ids: executionFindings,
      reason:
        'Written by aws-cdk-lib for the Distributed Map: the state machine may start, describe and stop executions ' +
        'of itself only (child execution names are generated by Step Functions at run time).',
    });
    const role = this.stateMachine.role;
    acknowledgeRules(role, INLINE_POLICY_ACKNOWLEDGEMENT, {
      ids: [
        KMS_DATA_KEY_WILDCARD_FINDING,
        'AwsSolutions-IAM5[Resource::*]',
        `AwsSolutions-IAM5[Resource::<${logicalId(this.stepsFunction)}.Arn>:*]`,
      ],
      reason:
        'Written by aws-cdk-lib for the state machine: lambda:InvokeFunction on the steps function (and its qualified ' +
        'ARNs) and the transform\'s live alias, X-Ray and CloudWatch Logs delivery actions that support only Resource "*", ' +
        'and kms:GenerateDataKey* from its grant for sending to the KMS-encrypted DLQ (SqsSendMessage task).',
    });
  }
}

/** The date placeholders a scheduled key may contain. */
const KEY_PLACEHOLDERS = ['{yyyy}', '{MM}', '{dd}', '{HH}', '{date}'];

function hasKeyPlaceholders(key: string): boolean {
  return /\{[^}]*\}/.test(key);
}

/**
 * Key patterns (IAM resource wildcards) of the raw objects a workflow processes: everything under
 * `prefix`, and the scheduled key with each date placeholder a wildcard (or the key itself).
 */
export function sourceKeyPatterns(prefix: string, scheduledKey?: string): string[] {
  const patterns = [`${prefix}*`];
  if (scheduledKey !== undefined) {
    const pattern = scheduledKey.replace(/\{[^}]*\}/g, '*');
    const coveredByPrefix = !Token.isUnresolved(prefix) && !Token.isUnresolved(pattern) && pattern.startsWith(prefix);
    if (!coveredByPrefix) patterns.push(pattern);
  }
  return patterns;
}

/** Key prefix of the run-level lineage manifests in the curated bucket. */
function runLineagePrefix(dataset: string): string {
  return `_lineage/${dataset}/runs/`;
}

function logicalId(scope: Construct): string {
  const cfn = scope.node.defaultChild as unknown as { logicalId: string } | undefined;
  const stack = Stack.of(scope);
  return cfn ? (stack.resolve(cfn.logicalId) as string) : scope.node.id;
}

function objectKeyFilter(prefix: string, suffix: string | undefined): Record<string, unknown> {
  const escape = (s: string) => s.replace(/[*\\]/g, (c) => `\\${c}`);
  if (prefix !== '' && suffix !== undefined) return { object: { key: [{ wildcard: `${escape(prefix)}*${escape(suffix)}` }] } };
  if (prefix !== '') return { object: { key: [{ prefix }] } };
  if (suffix !== undefined) return { object: { key: [{ suffix }] } };
  return {};
}

/**
 * Checks the props of a {@link BatchWorkflow}; adds each problem to `v` (`EtlPipeline` passes its
 * own, under `batchWorkflow`). `hasSchemas`: whether the transform validates against schemas
 * (which the schema sample needs); `EtlPipeline` names it `schemas`, the construct
 * `transform.schemaRegistry`.
 */
export function validateBatchWorkflowProps(
  v: PropValidator,
  props: BatchWorkflowOptions & Partial<Pick<BatchWorkflowProps, 'pipelineName' | 'dataset' | 'runtime'>>,
  hasSchemas: boolean,
): void {
  const maxDriftRate = props.maxDriftRate ?? 0.05;
  const parameterName =
    props.pausedParameterName ?? (props.pipelineName === undefined ? undefined : `/cdk-serverless-etl/${props.pipelineName}/paused`);
  v.pattern('pipelineName', props.pipelineName, /^[a-z][a-z0-9-]{1,62}$/, '2 to 63 characters of a-z, 0-9 and "-", starting with a letter')
    .pattern('dataset', props.dataset, /^[a-z0-9][a-z0-9_-]{0,127}$/, '1 to 128 characters of a-z, 0-9, "_" and "-"')
    .integer('linesPerBatch', props.linesPerBatch, 1, 100000)
    .integer('maxConcurrency', props.maxConcurrency, 1, 1000)
    .integer('maxObjectBytes', props.maxObjectBytes, 1, 10 * 1024 * 1024 * 1024)
    .integer('schemaSampleLines', props.schemaSampleLines, 0, 100000)
    .check(
      !hasSchemas && props.schemaSampleLines !== undefined && !Token.isUnresolved(props.schemaSampleLines) && props.schemaSampleLines > 0,
      `${v.path('schemaSampleLines')} is ${formatNumber(props.schemaSampleLines ?? 0)} but ${v.path('transform.schemaRegistry')} is not set; ` +
        `the sample is validated against the schemas and there are none (give schemas, or leave ${v.path('schemaSampleLines')} unset)`,
    )
    .duration('timeout', props.timeout ?? Duration.hours(1), Duration.minutes(1), Duration.days(7))
    .number('maxDriftRate', maxDriftRate, 0, 1)
    .pattern('prefix', props.prefix, /^([^/*][^*]{0,1023})?$/, 'empty or a key prefix without "*" and without a leading "/"')
    .pattern('suffix', props.suffix, /^[^*]{1,1024}$/, '1 to 1024 characters without "*"')
    .pattern('pausedParameterName', parameterName, /^\/[a-zA-Z0-9_.\-/]{1,1010}$/, 'an SSM parameter path starting with "/" (a-z, A-Z, 0-9, "_", ".", "-", "/")')
    .check(
      props.schedule !== undefined && props.scheduledKey === undefined,
      `${v.path('schedule')} is set but ${v.path('scheduledKey')} is not; a scheduled run needs the key to process`,
    )
    .check(props.schedule === undefined && props.scheduledKey !== undefined, `${v.path('scheduledKey')} is set but ${v.path('schedule')} is not`)
    .check(
      (props.scheduledKey?.match(/\{[^}]*\}/g) ?? []).some((p) => !KEY_PLACEHOLDERS.includes(p)),
      `${v.path('scheduledKey')} is "${props.scheduledKey}"; its placeholders must be ${KEY_PLACEHOLDERS.join(', ')}`,
    )
    .duration('scheduledKeyOffset', props.scheduledKeyOffset ?? Duration.seconds(0), Duration.seconds(0), Duration.days(366));
  const runtimeProblem = nodeRuntimeProblem(v.path('runtime'), props.runtime);
  v.check(runtimeProblem !== undefined, runtimeProblem ?? '');
}
