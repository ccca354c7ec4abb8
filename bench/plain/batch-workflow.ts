/**
 * The plain stack's batch workflow, written with aws-cdk-lib's Step Functions constructs: objects
 * created under `batch/` in the raw bucket start a state machine that checks the paused flag (SSM),
 * checks the object (a steps function bundled from `lambda/handlers/check-object.ts`), samples its
 * schema through the transform's live alias, runs the transform over line ranges in a Distributed
 * Map, summarizes, records lineage and emits events; failures go to quarantine or a DLQ, drift
 * pauses the pipeline. A second rule sends timed-out and aborted runs to the DLQ. The same states,
 * retries and catches as the library's BatchWorkflow, so the synth comparison is like for like.
 */
import * as path from 'node:path';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { plainFunction, type PlainBundler } from './function';

const ROOT = path.join(__dirname, '..', '..');
const LAMBDA_TRANSIENT_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'States.Timeout',
];
const SDK_TRANSIENT_ERRORS = ['States.TaskFailed', 'States.Timeout'];
const OBJECT_CHECK_ERRORS = ['ObjectTooLarge', 'NotJsonLines', 'TooManyBatches', 'EmptyObject'];

export interface PlainBatchWorkflowProps {
  readonly pipelineName: string;
  readonly dataset: string;
  readonly key: kms.IKey;
  readonly raw: s3.IBucket;
  readonly curated: s3.IBucket;
  readonly quarantine: s3.IBucket;
  readonly transform: lambda.Function;
  readonly alias: lambda.Alias;
  readonly bundler: PlainBundler;
  readonly prefix?: string;
  readonly linesPerBatch?: number;
  readonly maxConcurrency?: number;
  readonly maxDriftRate?: number;
}

export interface PlainBatchWorkflow {
  readonly stateMachine: sfn.StateMachine;
  readonly dlq: sqs.Queue;
}

export function addBatchWorkflow(scope: Construct, props: PlainBatchWorkflowProps): PlainBatchWorkflow {
  const { pipelineName, dataset, key } = props;
  const prefix = props.prefix ?? 'batch/';
  const maxDriftRate = props.maxDriftRate ?? 0.05;
  const stack = Stack.of(scope);
  const dlq = new sqs.Queue(scope, 'WorkflowDlq', {
    encryption: sqs.QueueEncryption.KMS,
    encryptionMasterKey: key,
    dataKeyReuse: Duration.hours(1),
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  const paused = new ssm.StringParameter(scope, 'Paused', {
    parameterName: `/plain-etl/${pipelineName}/paused`,
    stringValue: 'false',
    description: `Paused flag of pipeline ${pipelineName}: "true" stops batch loads (set on schema drift)`,
  });

  // The steps function: check, summarize, quarantine, lineage.
  const stepsLogs = new logs.LogGroup(scope, 'StepsLogs', { retention: logs.RetentionDays.ONE_MONTH, encryptionKey: key, removalPolicy: RemovalPolicy.RETAIN });
  const stepsRole = new iam.Role(scope, 'StepsRole', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: `Execution role of the check/summarize/quarantine/lineage steps of pipeline ${pipelineName}`,
  });
  stepsLogs.grantWrite(stepsRole);
  const steps = plainFunction(scope, 'Steps', {
    entry: path.join(ROOT, 'lambda/handlers/check-object.ts'),
    bundler: props.bundler,
    architecture: lambda.Architecture.ARM_64,
    memorySize: 512,
    timeout: Duration.minutes(5),
    role: stepsRole,
    logGroup: stepsLogs,
    loggingFormat: lambda.LoggingFormat.JSON,
    tracing: lambda.Tracing.ACTIVE,
    description: `Batch workflow steps of pipeline ${pipelineName}`,
  });
  const lineagePrefix = `_lineage/${dataset}/runs/`;
  const quarantinePrefix = `${dataset}/objects/`;
  stepsRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [props.raw.arnForObjects('*')] }));
  key.grant(stepsRole, 'kms:Decrypt');
  stepsRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [props.quarantine.arnForObjects(`${quarantinePrefix}*`)] }));
  key.grant(stepsRole, 'kms:GenerateDataKey');
  stepsRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [props.curated.arnForObjects(`${lineagePrefix}*`)] }));

  // The definition.
  const lambdaRetry = <T extends sfn.TaskStateBase>(task: T): T =>
    task.addRetry({ errors: LAMBDA_TRANSIENT_ERRORS, interval: Duration.seconds(2), backoffRate: 2, maxAttempts: 3, maxDelay: Duration.seconds(60), jitterStrategy: sfn.JitterType.FULL }) as T;
  const sdkRetry = <T extends sfn.TaskStateBase>(task: T): T =>
    task.addRetry({ errors: SDK_TRANSIENT_ERRORS, interval: Duration.seconds(1), backoffRate: 2, maxAttempts: 3, maxDelay: Duration.seconds(30), jitterStrategy: sfn.JitterType.FULL }) as T;
  const step = (id: string, payload: Record<string, unknown>, resultPath: string) =>
    new tasks.LambdaInvoke(scope, id, { lambdaFunction: steps, payloadResponseOnly: true, retryOnServiceExceptions: false, payload: sfn.TaskInput.fromObject(payload), resultPath });
  const defaultBus = events.EventBus.fromEventBusName(scope, 'DefaultBus', 'default');
  const event = (id: string, detailType: string, detail: Record<string, unknown>) =>
    new tasks.EventBridgePutEvents(scope, id, {
      entries: [
        {
          eventBus: defaultBus,
          source: 'plain-etl',
          detailType,
          detail: sfn.TaskInput.fromObject({
            pipeline: pipelineName,
            bucket: sfn.JsonPath.stringAt('$.bucket'),
            key: sfn.JsonPath.stringAt('$.key'),
            executionId: sfn.JsonPath.stringAt('$$.Execution.Id'),
            ...detail,
          }),
        },
      ],
      resultPath: sfn.JsonPath.DISCARD,
    });

  const failed = new sfn.Fail(scope, 'Failed', { error: 'BatchFailed', causePath: '$.failure.Cause' });
  const emitFailed = event('EmitFailed', 'BatchFailed', { error: sfn.JsonPath.stringAt('$.failure.Error'), cause: sfn.JsonPath.stringAt('$.failure.Cause') });
  sdkRetry(emitFailed).addCatch(failed, { resultPath: '$.emitError' });
  emitFailed.next(failed);
  const sendToDlq = new tasks.SqsSendMessage(scope, 'SendToDlq', {
    queue: dlq,
    messageBody: sfn.TaskInput.fromObject({
      pipeline: pipelineName,
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
  const quarantine = (id: string) =>
    lambdaRetry(
      step(
        id,
        {
          action: 'quarantine',
          bucket: sfn.JsonPath.stringAt('$.bucket'),
          key: sfn.JsonPath.stringAt('$.key'),
          quarantineBucket: props.quarantine.bucketName,
          prefix: quarantinePrefix,
          reason: sfn.JsonPath.stringAt('$.failure.Error'),
          cause: sfn.JsonPath.stringAt('$.failure.Cause'),
          executionId: sfn.JsonPath.stringAt('$$.Execution.Id'),
        },
        '$.quarantined',
      ),
    ).addCatch(sendToDlq, { resultPath: '$.quarantineError' });
  const catchAll = (task: sfn.TaskStateBase | sfn.DistributedMap) => task.addCatch(sendToDlq, { resultPath: '$.failure' });

  const checkPaused = new tasks.CallAwsService(scope, 'CheckPaused', {
    service: 'ssm',
    action: 'getParameter',
    parameters: { Name: paused.parameterName },
    iamResources: [paused.parameterArn],
    resultSelector: { 'value.$': '$.Parameter.Value' },
    resultPath: '$.paused',
  });
  catchAll(sdkRetry(checkPaused));
  const markPaused = new sfn.Pass(scope, 'MarkPaused', {
    result: sfn.Result.fromObject({ Error: 'PipelinePaused', Cause: `pipeline ${pipelineName} is paused (schema drift): redrive this message after the operator resumes` }),
    resultPath: '$.failure',
  });
  markPaused.next(sendToDlq);

  const checkObject = step(
    'CheckObject',
    {
      action: 'check',
      bucket: sfn.JsonPath.stringAt('$.bucket'),
      key: sfn.JsonPath.stringAt('$.key'),
      linesPerBatch: props.linesPerBatch ?? 1000,
      maxObjectBytes: 256 * 1024 * 1024,
      maxBatches: 1000,
      schemaSampleLines: 500,
    },
    '$.object',
  );
  lambdaRetry(checkObject).addCatch(quarantine('QuarantineRejectedObject').next(emitFailed), { errors: OBJECT_CHECK_ERRORS, resultPath: '$.failure' });
  catchAll(checkObject);

  const transformTimeout = sfn.Timeout.duration(Duration.seconds((props.transform.timeout ?? Duration.seconds(60)).toSeconds() + 30));
  const range = (firstLine: string, lineCount: string, firstByte: string, lastByte: string) => ({
    bucket: sfn.JsonPath.stringAt('$.bucket'),
    key: sfn.JsonPath.stringAt('$.key'),
    etag: sfn.JsonPath.stringAt('$.object.etag'),
    firstLine: sfn.JsonPath.numberAt(firstLine),
    lineCount: sfn.JsonPath.numberAt(lineCount),
    firstByte: sfn.JsonPath.numberAt(firstByte),
    lastByte: sfn.JsonPath.numberAt(lastByte),
  });
  const sampleFields = ['recordsIn', 'schemaMismatches', 'driftRate', 'versions', 'errors'];
  const sampleSchema = new tasks.LambdaInvoke(scope, 'SampleSchema', {
    lambdaFunction: props.alias,
    payloadResponseOnly: true,
    retryOnServiceExceptions: false,
    payload: sfn.TaskInput.fromObject({
      s3Object: range('$.object.sampleRange.firstLine', '$.object.sampleRange.lineCount', '$.object.sampleRange.firstByte', '$.object.sampleRange.lastByte'),
      validateOnly: true,
    }),
    resultSelector: Object.fromEntries(sampleFields.map((f) => [`${f}.$`, `$.sample.${f}`])),
    resultPath: '$.sample',
    taskTimeout: transformTimeout,
  });
  catchAll(lambdaRetry(sampleSchema));

  const processBatch = lambdaRetry(
    new tasks.LambdaInvoke(scope, 'ProcessBatch', {
      lambdaFunction: props.alias,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      resultSelector: { 'summary.$': '$.summary' },
      taskTimeout: transformTimeout,
    }),
  );
  const allStored = new sfn.Choice(scope, 'AllStored')
    .when(
      sfn.Condition.numberGreaterThan('$.summary.retried', 0),
      new sfn.Fail(scope, 'RecordsNotStored', { error: 'BatchItemFailures', cause: 'some records of the range could not be stored; the range is processed again (idempotent)' }),
    )
    .otherwise(new sfn.Succeed(scope, 'BatchDone'));
  const processBatches = new sfn.DistributedMap(scope, 'ProcessBatches', {
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
    maxConcurrency: props.maxConcurrency ?? 10,
    toleratedFailurePercentage: 0,
    mapExecutionType: sfn.StateMachineType.STANDARD,
    label: 'ProcessBatches',
    resultPath: '$.batches',
  });
  processBatches.itemProcessor(processBatch.next(allStored));
  processBatches.addRetry({
    errors: ['States.ExceedToleratedFailureThreshold'],
    interval: Duration.seconds(10),
    backoffRate: 2,
    maxAttempts: 2,
    maxDelay: Duration.minutes(2),
    jitterStrategy: sfn.JitterType.FULL,
  });
  catchAll(processBatches);

  const summarize = step('Summarize', { action: 'summarize', batches: sfn.JsonPath.listAt('$.batches'), maxDriftRate }, '$.summary');
  catchAll(lambdaRetry(summarize));
  const recordLineage = step(
    'RecordLineage',
    {
      action: 'lineage',
      bucket: props.curated.bucketName,
      prefix: lineagePrefix,
      pipeline: pipelineName,
      dataset,
      executionId: sfn.JsonPath.stringAt('$$.Execution.Id'),
      executionName: sfn.JsonPath.stringAt('$$.Execution.Name'),
      startedAt: sfn.JsonPath.stringAt('$$.Execution.StartTime'),
      source: { bucket: sfn.JsonPath.stringAt('$.bucket'), key: sfn.JsonPath.stringAt('$.key'), object: sfn.JsonPath.objectAt('$.object') },
      transform: { functionName: props.transform.functionName, alias: props.alias.aliasName, version: props.alias.version.version },
      schemaSample: sfn.JsonPath.objectAt('$.sample'),
      counts: sfn.JsonPath.objectAt('$.summary'),
    },
    '$.lineage',
  );
  catchAll(lambdaRetry(recordLineage));

  const pause = new tasks.CallAwsService(scope, 'PausePipeline', {
    service: 'ssm',
    action: 'putParameter',
    parameters: { Name: paused.parameterName, Value: 'true', Type: 'String', Overwrite: true },
    iamResources: [paused.parameterArn],
    resultPath: sfn.JsonPath.DISCARD,
  });
  catchAll(sdkRetry(pause));
  const markDrift = new sfn.Pass(scope, 'MarkDrift', {
    parameters: { Error: 'SchemaDrift', Cause: sfn.JsonPath.format(`schema-mismatch rate {} above ${maxDriftRate}`, sfn.JsonPath.stringAt('$.summary.driftRate')) },
    resultPath: '$.failure',
  });
  const emitDrift = event('EmitDrift', 'SchemaDriftDetected', { counts: sfn.JsonPath.objectAt('$.summary'), maxDriftRate, pausedParameter: paused.parameterName });
  const driftFail = new sfn.Fail(scope, 'SchemaDrift', { error: 'SchemaDrift', causePath: '$.failure.Cause' });
  sdkRetry(emitDrift).addCatch(driftFail, { resultPath: '$.emitError' });
  pause.next(markDrift).next(quarantine('QuarantineDriftedObject')).next(emitDrift).next(driftFail);

  const emitCompleted = event('EmitCompleted', 'BatchCompleted', {
    counts: sfn.JsonPath.objectAt('$.summary'),
    lineCount: sfn.JsonPath.numberAt('$.object.lineCount'),
    bytes: sfn.JsonPath.numberAt('$.object.bytes'),
  });
  catchAll(sdkRetry(emitCompleted));

  checkPaused.next(new sfn.Choice(scope, 'IsPaused').when(sfn.Condition.stringEquals('$.paused.value', 'true'), markPaused).otherwise(checkObject));
  const sampleDrifted = new sfn.Pass(scope, 'SampleDrifted', {
    comment: 'The sample is the drift evidence: nothing of the object was loaded',
    parameters: { scope: 'sample', ...Object.fromEntries(sampleFields.map((f) => [`${f}.$`, `$.sample.${f}`])), curated: 0, drifted: true },
    resultPath: '$.summary',
  });
  sampleDrifted.next(pause);
  checkObject.next(
    sampleSchema.next(new sfn.Choice(scope, 'SampleCheck').when(sfn.Condition.numberGreaterThan('$.sample.driftRate', maxDriftRate), sampleDrifted).otherwise(processBatches)),
  );
  processBatches
    .next(summarize)
    .next(recordLineage)
    .next(
      new sfn.Choice(scope, 'DriftCheck')
        .when(sfn.Condition.booleanEquals('$.summary.drifted', true), pause)
        .otherwise(emitCompleted.next(new sfn.Succeed(scope, 'Done'))),
    );

  const logGroup = new logs.LogGroup(scope, 'WorkflowLogs', { retention: logs.RetentionDays.ONE_MONTH, encryptionKey: key, removalPolicy: RemovalPolicy.RETAIN });
  const stateMachine = new sfn.StateMachine(scope, 'StateMachine', {
    definitionBody: sfn.DefinitionBody.fromChainable(checkPaused),
    stateMachineType: sfn.StateMachineType.STANDARD,
    timeout: Duration.hours(1),
    tracingEnabled: true,
    logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    comment: `Batch workflow of pipeline ${pipelineName}`,
  });
  // The Distributed Map's child executions log to the same group.
  key.grant(stateMachine, 'kms:GenerateDataKey', 'kms:Decrypt');
  key.grant(
    new iam.ServicePrincipal('events.amazonaws.com').withConditions({ StringEquals: { 'aws:SourceAccount': stack.account } }),
    'kms:GenerateDataKey',
    'kms:Decrypt',
  );

  new events.Rule(scope, 'ObjectCreated', {
    description: `Starts the batch workflow of ${pipelineName} for JSON Lines objects created under ${prefix} in the raw bucket`,
    eventPattern: { source: ['aws.s3'], detailType: ['Object Created'], detail: { bucket: { name: [props.raw.bucketName] }, object: { key: [{ prefix }] } } },
    targets: [
      new targets.SfnStateMachine(stateMachine, {
        input: events.RuleTargetInput.fromObject({
          bucket: events.EventField.fromPath('$.detail.bucket.name'),
          key: events.EventField.fromPath('$.detail.object.key'),
          size: events.EventField.fromPath('$.detail.object.size'),
        }),
        deadLetterQueue: dlq,
        retryAttempts: 185,
        maxEventAge: Duration.hours(24),
      }),
    ],
  });
  new events.Rule(scope, 'AbandonedRuns', {
    description: `Sends timed-out and aborted executions of the batch workflow of ${pipelineName} to its DLQ`,
    eventPattern: {
      source: ['aws.states'],
      detailType: ['Step Functions Execution Status Change'],
      detail: { stateMachineArn: [stateMachine.stateMachineArn], status: ['TIMED_OUT', 'ABORTED'] },
    },
    targets: [
      new targets.SqsQueue(dlq, {
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
  return { stateMachine, dlq };
}
