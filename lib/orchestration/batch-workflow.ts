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
import { Construct, IConstruct } from 'constructs';
import { DLQ_ID } from '../contract/stack-outputs';
import { INLINE_POLICY_ACKNOWLEDGEMENT, KMS_DATA_KEY_WILDCARD_FINDING, acknowledgeRules, policyWildcardFindings } from '../core/compliance';
import { publishedDocUrl } from '../core/docs';
import { allowLogsToUseKey, createPipelineKey } from '../core/encryption';
import { nodeRuntimeProblem } from '../core/lambda-runtime';
import { validatePipelineNames } from '../core/name-rules';
import { PropValidator, formatNumber } from '../core/prop-validator';
import { DeadLetterQueue, IDeadLetterQueue } from '../reliability/dead-letter-queue';
import { RuleScopedSqsQueue } from '../reliability/rule-scoped-queue';
import type { ITransformFunction } from '../transform/transform-function';
import { DriftResponse } from './fragments/drift-response';
import { ObjectCheck } from './fragments/object-check';
import { PauseGate } from './fragments/pause-gate';
import { REPROCESS_RUN_PREFIX } from '../contract/reprocess';
import { RunCompletion } from './fragments/run-completion';
import { RunFailure } from './fragments/run-failure';
import { RunSummary } from './fragments/run-summary';
import { ScheduledKey } from './fragments/scheduled-key';
import { SchemaSample } from './fragments/schema-sample';
import { TransformPasses } from './fragments/transform-passes';
import { createStepsFunction } from './steps-function';
import { BATCH_WORKFLOW_EVENT_SOURCE } from '../contract/events';

export {
  BATCH_WORKFLOW_EVENT_SOURCE,
  BatchWorkflowEventType,
  BatchWorkflowEvents,
  OBJECT_CHECK_ERRORS,
  ObjectCheckError,
  WorkflowError,
} from './batch-workflow-names';

/** The settings of a workflow with their defaults applied. */
interface WorkflowSettings {
  readonly linesPerBatch: number;
  readonly maxConcurrency: number;
  readonly maxDriftRate: number;
  readonly maxObjectBytes: number;
  readonly schemaSampleLines: number;
  readonly prefix: string;
  readonly dataset: string;
  readonly parameterName: string;
  readonly retention: logs.RetentionDays;
}

function workflowSettings(props: BatchWorkflowProps): WorkflowSettings {
  return {
    linesPerBatch: props.linesPerBatch ?? 1000,
    maxConcurrency: props.maxConcurrency ?? 10,
    maxDriftRate: props.maxDriftRate ?? 0.05,
    maxObjectBytes: props.maxObjectBytes ?? 256 * 1024 * 1024,
    schemaSampleLines: props.schemaSampleLines ?? 500,
    prefix: props.prefix ?? 'batch/',
    dataset: props.dataset ?? props.pipelineName,
    parameterName: props.pausedParameterName ?? `/cdk-serverless-etl/${props.pipelineName}/paused`,
    retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
  };
}

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
  readonly transform: ITransformFunction;

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
  readonly deadLetterQueue?: IDeadLetterQueue;

  /**
   * Lambda runtime of the workflow's steps function: a Node.js runtime from `nodejs20.x`.
   * @default - the newest Node.js runtime the installed aws-cdk-lib knows (the highest `nodejsNN.x`
   *   in `lambda.Runtime.ALL`, which cdk-nag's latest-runtime rules require)
   */
  readonly runtime?: lambda.Runtime;

  /**
   * Event source mappings a pause for schema drift disables (`Enabled: false`), so the stream and
   * bus records wait in their stream or queue, neither curated nor dead-lettered, until an
   * operator resumes the pipeline. Give an empty list to pause batch loads only.
   * @default - the transform's event source mappings when the workflow is created
   */
  readonly heldSources?: lambda.IEventSourceMapping[];
}

/**
 * A batch workflow of the library, as other constructs accept it (what `sfn.IStateMachine` is to
 * `sfn.StateMachine`): implemented by {@link BatchWorkflow}.
 */
export interface IBatchWorkflow extends IConstruct {
  /** The state machine. */
  readonly stateMachine: sfn.StateMachine;
  /** The state machine's log group (level ALL, KMS-encrypted). */
  readonly logGroup: logs.LogGroup;
  /** The function of the workflow's own steps (check, summarize, quarantine). */
  readonly stepsFunction: lambda.Function;
  /** The DLQ of failed and paused runs, and of undeliverable start events. */
  readonly deadLetterQueue: IDeadLetterQueue;
  /** The pipeline's paused flag. */
  readonly pausedParameter: ssm.IStringParameter;
  /** The rule starting the workflow on object-created events. */
  readonly objectCreatedRule: events.Rule;
  /** The rule starting the workflow on the schedule, when `schedule` is set. */
  readonly scheduleRule?: events.Rule;
  /** The rule sending timed-out and aborted executions to the DLQ. */
  readonly abandonedRunsRule: events.Rule;
  /** The key of the log groups (and of the DLQ, when created here). */
  readonly encryptionKey: kms.IKey;
  /** The event source mappings a pause for schema drift disables (the stream and bus paths). */
  readonly heldSources: lambda.IEventSourceMapping[];
  /** Grants what `pause` and `resume` do: the paused flag, and enabling or disabling the held event source mappings. */
  grantResume(grantee: iam.IGrantable): iam.Grant;
  /** Failed executions (sum over 5 minutes). */
  metricFailed(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Timed-out executions (sum over 5 minutes). */
  metricTimedOut(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
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
export class BatchWorkflow extends Construct implements IBatchWorkflow {
  /** The `source` of the events the workflow puts on the pipeline bus (`cdk-serverless-etl`). */
  public static readonly EVENT_SOURCE: string = BATCH_WORKFLOW_EVENT_SOURCE;

  /** The state machine. */
  public readonly stateMachine: sfn.StateMachine;
  /** The state machine's log group (level ALL, KMS-encrypted). */
  public readonly logGroup: logs.LogGroup;
  /** The function of the workflow's own steps (check, summarize, quarantine). */
  public readonly stepsFunction: lambda.Function;
  /** The DLQ of failed and paused runs, and of undeliverable start events. */
  public readonly deadLetterQueue: IDeadLetterQueue;
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
  /** The event source mappings a pause for schema drift disables (see {@link BatchWorkflowProps.heldSources}). */
  public readonly heldSources: lambda.IEventSourceMapping[];


  constructor(scope: Construct, id: string, props: BatchWorkflowProps) {
    super(scope, id);
    const s = workflowSettings(props);
    const validator = new PropValidator(`BatchWorkflow (${this.node.path})`);
    validateBatchWorkflowProps(validator, props, props.transform.schemaRegistry !== undefined);
    validator.throwIfInvalid();

    this.encryptionKey = props.encryptionKey ?? createPipelineKey(this, 'Key', `Batch workflow key of ${this.node.path}`);
    allowLogsToUseKey(this.encryptionKey);
    this.deadLetterQueue =
      props.deadLetterQueue ??
      new DeadLetterQueue(this, DLQ_ID.workflow, {
        encryptionKey: this.encryptionKey,
        sourceDescription: `the batch workflow ${this.node.path} (failed, timed-out and paused runs: object and error)`,
      });
    this.pausedParameter = new ssm.StringParameter(this, 'Paused', {
      parameterName: s.parameterName,
      // A path ('/…', as validated): said here, since a name holding a token (a pipelineName from a
      // CfnParameter) leaves aws-cdk-lib unable to tell how to build the parameter's ARN.
      simpleName: false,
      stringValue: 'false',
      description:
        `Paused flag of pipeline ${props.pipelineName}: "true" stops batch loads (set on schema drift; see ` +
        `${publishedDocUrl('runbooks.md', 'schema-drift-paused')})`,
    });
    // The raw objects the workflow processes, and nothing else of the raw bucket (not the stream
    // archive, not claim checks): the steps function and the transform read only these.
    const sourcePatterns = sourceKeyPatterns(s.prefix, props.scheduledKey);
    this.stepsFunction = createStepsFunction(this, { ...props, dataset: s.dataset, sourcePatterns, encryptionKey: this.encryptionKey, logRetention: s.retention });
    props.transform.grantReadObjects(props.rawBucket, ...sourcePatterns);

    this.heldSources = [...(props.heldSources ?? props.transform.eventSourceMappings)];
    const definition = this.definition(props, s);
    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: s.retention, encryptionKey: this.encryptionKey, removalPolicy: RemovalPolicy.RETAIN });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      stateMachineType: sfn.StateMachineType.STANDARD,
      timeout: props.timeout ?? Duration.hours(1),
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
    this.objectCreatedRule = this.createObjectCreatedRule(props, s.prefix);
    this.scheduleRule = props.schedule ? this.createScheduleRule(props, props.schedule) : undefined;
    this.abandonedRunsRule = this.createAbandonedRunsRule(props.pipelineName);
    this.acknowledgeDesignFindings();
  }

  /**
   * Grants what the operator's `pause` and `resume` commands do: read and set the paused flag, and
   * read, disable and enable the held event source mappings (each by its ARN, nothing else).
   */
  public grantResume(grantee: iam.IGrantable): iam.Grant {
    this.pausedParameter.grantRead(grantee);
    if (this.heldSources.length > 0) {
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['lambda:GetEventSourceMapping', 'lambda:UpdateEventSourceMapping'],
        resourceArns: this.heldSources.map((m) => m.eventSourceMappingArn),
      });
    }
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

  /** A start of the state machine with `input`; undeliverable starts go to the DLQ. */
  private startTarget(input: events.RuleTargetInput): targets.SfnStateMachine {
    return new targets.SfnStateMachine(this.stateMachine, {
      input,
      deadLetterQueue: this.deadLetterQueue.queue,
      retryAttempts: 185,
      maxEventAge: Duration.hours(24),
    });
  }

  private createObjectCreatedRule(props: BatchWorkflowProps, prefix: string): events.Rule {
    return new events.Rule(this, 'ObjectCreated', {
      description: `Starts ${this.node.path} for JSON Lines objects created under ${prefix || '(any key)'} in the raw bucket`,
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: { bucket: { name: [props.rawBucket.bucketName] }, ...objectKeyFilter(prefix, props.suffix) },
      },
      targets: [
        this.startTarget(
          events.RuleTargetInput.fromObject({
            bucket: events.EventField.fromPath('$.detail.bucket.name'),
            key: events.EventField.fromPath('$.detail.object.key'),
            size: events.EventField.fromPath('$.detail.object.size'),
          }),
        ),
      ],
    });
  }

  /** Scheduled runs: the key itself, or its template with the fire time and offset (resolved by the first state). */
  private createScheduleRule(props: BatchWorkflowProps, schedule: events.Schedule): events.Rule {
    const input = hasKeyPlaceholders(props.scheduledKey as string)
      ? {
          bucket: props.rawBucket.bucketName,
          keyTemplate: props.scheduledKey,
          scheduledTime: events.EventField.time,
          keyOffsetSeconds: (props.scheduledKeyOffset ?? Duration.seconds(0)).toSeconds(),
        }
      : { bucket: props.rawBucket.bucketName, key: props.scheduledKey };
    return new events.Rule(this, 'Schedule', {
      description: `Starts ${this.node.path} on a schedule for s3://<raw>/${props.scheduledKey}`,
      schedule,
      targets: [this.startTarget(events.RuleTargetInput.fromObject(input))],
    });
  }

  /** Timed-out and aborted executions never reach a Catch: their input goes to the DLQ from here. */
  private createAbandonedRunsRule(pipelineName: string): events.Rule {
    return new events.Rule(this, 'AbandonedRuns', {
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
            pipeline: pipelineName,
            error: events.EventField.fromPath('$.detail.status'),
            executionArn: events.EventField.fromPath('$.detail.executionArn'),
            input: events.EventField.fromPath('$.detail.input'),
          }),
          retryAttempts: 185,
          maxEventAge: Duration.hours(24),
        }),
      ],
    });
  }

  /**
   * The state machine, composed of fragments with one job each (see docs/architecture.md):
   * [scheduled key] → pause gate → object check → [schema sample] → transform passes → run summary
   * → drift check → completion, or the drift response; errors go to the failure path.
   *
   * aws-cdk-lib lists the states (and the role's statements) in the order it walks the graph:
   * next, choices, catches and incoming transitions, each in the order they were added. Creating
   * the fragments in flow order, as here, keeps the definition as it was before the split.
   */
  private definition(props: BatchWorkflowProps, s: WorkflowSettings): sfn.IChainable {
    const steps = { stepsFunction: this.stepsFunction };
    const failure = new RunFailure(this, 'Failure', {
      deadLetterQueue: this.deadLetterQueue.queue,
      eventBus: props.eventBus,
      pipelineName: props.pipelineName,
    });
    const onError = failure;
    const pauseGate = new PauseGate(this, 'PauseGate', {
      pausedParameter: this.pausedParameter,
      pipelineName: props.pipelineName,
      onPaused: failure,
      onError,
    });
    const objectCheck = new ObjectCheck(this, 'ObjectCheck', {
      ...steps,
      linesPerBatch: s.linesPerBatch,
      maxObjectBytes: s.maxObjectBytes,
      schemaSampleLines: s.schemaSampleLines,
      quarantineBucket: props.quarantineBucket,
      dataset: s.dataset,
      onRejected: failure.announce,
      onError,
    });
    // A reprocess run (`replay --reprocess`, executions named `reprocess-…`, see
    // lib/contract/reprocess.ts) re-derives records that were checked when first processed: their
    // schema mismatches are quarantined again record by record, but never pause the pipeline (the
    // live sources) as drift.
    const runKind = new sfn.Pass(this, 'RunKind', {
      comment: 'The first dash-separated word of the execution name: "reprocess" for a run of replay --reprocess',
      parameters: { 'prefix.$': "States.ArrayGetItem(States.StringSplit($$.Execution.Name, '-'), 0)" },
      resultPath: '$.runKind',
    });
    const isReprocess = sfn.Condition.stringEquals('$.runKind.prefix', REPROCESS_RUN_PREFIX.replace(/-$/, ''));
    // The canary needs schemas to validate against.
    const sample =
      props.transform.schemaRegistry && s.schemaSampleLines > 0
        ? new SchemaSample(this, 'SchemaSample', { transform: props.transform, maxDriftRate: s.maxDriftRate, onError, exempt: isReprocess })
        : undefined;
    const passes = new TransformPasses(this, 'TransformPasses', { transform: props.transform, maxConcurrency: s.maxConcurrency, onError });
    const summary = new RunSummary(this, 'RunSummary', {
      ...steps,
      maxDriftRate: s.maxDriftRate,
      curatedBucket: props.curatedBucket,
      pipelineName: props.pipelineName,
      dataset: s.dataset,
      transform: props.transform,
      schemaSample: sample !== undefined,
      onError,
    });
    const drift = new DriftResponse(this, 'DriftResponse', {
      ...steps,
      pausedParameter: this.pausedParameter,
      maxDriftRate: s.maxDriftRate,
      quarantineBucket: props.quarantineBucket,
      dataset: s.dataset,
      eventBus: props.eventBus,
      pipelineName: props.pipelineName,
      heldSources: this.heldSources,
      onError,
    });
    const completion = new RunCompletion(this, 'RunCompletion', { eventBus: props.eventBus, pipelineName: props.pipelineName, onError });
    // A scheduled run with a key template resolves the key of the run's date before anything else.
    const scheduledKey =
      props.scheduledKey !== undefined && hasKeyPlaceholders(props.scheduledKey)
        ? new ScheduledKey(this, 'ScheduledKey', { ...steps, onUnresolved: failure })
        : undefined;

    pauseGate.next(objectCheck);
    sample?.drifted.next(drift);
    const load = sample ? objectCheck.next(runKind).next(sample).next(passes) : objectCheck.next(runKind).next(passes);
    load.next(summary).next(
      new sfn.Choice(this, 'DriftCheck')
        .when(sfn.Condition.and(sfn.Condition.booleanEquals('$.summary.drifted', true), sfn.Condition.not(isReprocess)), drift)
        .otherwise(completion),
    );
    return scheduledKey ? scheduledKey.next(pauseGate) : pauseGate;
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
  validatePipelineNames(v, props);
  v.integer('linesPerBatch', props.linesPerBatch, 1, 100000)
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
