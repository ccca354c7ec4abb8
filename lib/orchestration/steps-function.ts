import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { STEPS_FUNCTION_TIMEOUT_SECONDS } from '../contract/workflow-steps';
import { INLINE_POLICY_ACKNOWLEDGEMENT, acknowledgeRules, bucketObjectsFinding, noVpcAcknowledgement } from '../core/compliance';
import { latestNodeRuntime } from '../core/lambda-runtime';
import { runtimeCode, runtimeSource } from '../transform/runtime-code';
import { quarantinedObjectsPrefix } from './fragments/quarantine-task';
import { runLineagePrefix } from './fragments/run-summary';

const STEPS_ENTRY = path.join(__dirname, '..', '..', 'lambda', 'handlers', 'check-object');

/** What {@link createStepsFunction} needs of the workflow. */
export interface StepsFunctionProps {
  /** Pipeline named in the description. */
  readonly pipelineName: string;
  /** Dataset: the quarantine and run-lineage prefixes the function may write under. */
  readonly dataset: string;
  /** Bucket of the raw objects; the function may read only `sourcePatterns` of it. */
  readonly rawBucket: s3.IBucket;
  /** Key patterns of the raw objects the workflow processes. */
  readonly sourcePatterns: string[];
  /** Bucket of the pointers to rejected objects. */
  readonly quarantineBucket: s3.IBucket;
  /** Bucket of the run lineage manifests. */
  readonly curatedBucket: s3.IBucket;
  /** Key of the function's log group. */
  readonly encryptionKey: kms.IKey;
  /** Retention of the function's log group. */
  readonly logRetention: logs.RetentionDays;
  /** @default - the newest Node.js runtime aws-cdk-lib knows */
  readonly runtime?: lambda.Runtime;
}

/**
 * The function of a batch workflow's own steps (check, summarize, quarantine, lineage, scheduled
 * key), created in `scope` (the workflow: `Steps`, `StepsRole`, `StepsLogs`): arm64, X-Ray, JSON
 * logs to its own KMS log group, a role that reads only the workflow's raw objects and writes only
 * quarantine pointers and run manifests of its dataset.
 */
export function createStepsFunction(scope: Construct, props: StepsFunctionProps): lambda.Function {
  const logGroup = new logs.LogGroup(scope, 'StepsLogs', {
    retention: props.logRetention,
    encryptionKey: props.encryptionKey,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const role = new iam.Role(scope, 'StepsRole', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: `Execution role of the check/summarize/quarantine/lineage steps of ${scope.node.path}`,
  });
  logGroup.grantWrite(role);
  const runtime = props.runtime ?? latestNodeRuntime();
  const fn = new lambda.Function(scope, 'Steps', {
    code: runtimeCode({ handlerEntry: runtimeSource(STEPS_ENTRY), runtime }),
    handler: 'index.handler',
    runtime,
    architecture: lambda.Architecture.ARM_64,
    memorySize: 512,
    timeout: Duration.seconds(STEPS_FUNCTION_TIMEOUT_SECONDS),
    role,
    logGroup,
    loggingFormat: lambda.LoggingFormat.JSON,
    tracing: lambda.Tracing.ACTIVE,
    description: `cdk-serverless-etl batch workflow steps of pipeline ${props.pipelineName}`,
  });
  grantStepsAccess(role, props);
  acknowledgeStepsFindings(fn, role, props);
  return fn;
}

/** Read the raw objects (HeadObject, the streaming line count); write quarantine pointers and run manifests. */
function grantStepsAccess(role: iam.Role, props: StepsFunctionProps): void {
  const quarantined = `${quarantinedObjectsPrefix(props.dataset)}*`;
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: props.sourcePatterns.map((k) => props.rawBucket.arnForObjects(k)) }),
  );
  props.rawBucket.encryptionKey?.grant(role, 'kms:Decrypt');
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [props.quarantineBucket.arnForObjects(quarantined)] }));
  props.quarantineBucket.encryptionKey?.grant(role, 'kms:GenerateDataKey');
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [props.curatedBucket.arnForObjects(`${runLineagePrefix(props.dataset)}*`)] }),
  );
  props.curatedBucket.encryptionKey?.grant(role, 'kms:GenerateDataKey');
}

function acknowledgeStepsFindings(fn: lambda.Function, role: iam.Role, props: StepsFunctionProps): void {
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
      ...props.sourcePatterns.filter((k) => k.includes('*')).map((k) => bucketObjectsFinding(props.rawBucket, k)),
      bucketObjectsFinding(props.quarantineBucket, `${quarantinedObjectsPrefix(props.dataset)}*`),
      bucketObjectsFinding(props.curatedBucket, `${runLineagePrefix(props.dataset)}*`),
    ],
    reason:
      's3:GetObject on the raw objects the workflow processes (under its prefix, and the scheduled key\'s dated ' +
      'pattern: names are the producers\' own, known only at run time) to check them, ' +
      's3:PutObject under the dataset\'s objects/ prefix of the quarantine bucket to quarantine rejected objects and ' +
      'under its run lineage prefix of the curated bucket (one manifest per execution, named by the execution); ' +
      'X-Ray PutTraceSegments and ' +
      'PutTelemetryRecords support only Resource "*".',
  });
}
