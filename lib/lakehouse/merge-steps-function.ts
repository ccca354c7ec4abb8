import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { MERGE_STEPS_ENV, MERGE_STEPS_TIMEOUT_SECONDS } from '../contract/lakehouse/merge-steps';
import { INLINE_POLICY_ACKNOWLEDGEMENT, acknowledgeRules, noVpcAcknowledgement } from '../core/compliance';
import { latestNodeRuntime } from '../core/lambda-runtime';
import { runtimeCode, runtimeSource } from '../transform/runtime-code';

const ENTRY = path.join(__dirname, '..', '..', 'lambda', 'handlers', 'merge-steps');

/** What {@link createMergeStepsFunction} needs. */
export interface MergeStepsFunctionProps {
  readonly pipelineName: string;
  /** The merge queue it receives from and deletes from. */
  readonly queue: sqs.IQueue;
  /** Key of its log group (and of the queue). */
  readonly encryptionKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  /** @default - the newest Node.js runtime aws-cdk-lib knows */
  readonly runtime?: lambda.Runtime;
}

/**
 * The function of a current table's merge steps (`lambda/handlers/merge-steps.ts`), created in
 * `scope` (`Steps`, `StepsRole`, `StepsLogs`): arm64, X-Ray, JSON logs to a KMS log group, a role
 * that may only receive, delete and release messages of the merge queue.
 */
export function createMergeStepsFunction(scope: Construct, props: MergeStepsFunctionProps): lambda.Function {
  const logGroup = new logs.LogGroup(scope, 'StepsLogs', { retention: props.logRetention, encryptionKey: props.encryptionKey, removalPolicy: RemovalPolicy.RETAIN });
  const role = new iam.Role(scope, 'StepsRole', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: `Execution role of the merge steps of ${scope.node.path}`,
  });
  logGroup.grantWrite(role);
  const runtime = props.runtime ?? latestNodeRuntime();
  const fn = new lambda.Function(scope, 'Steps', {
    code: runtimeCode({ handlerEntry: runtimeSource(ENTRY), runtime }),
    handler: 'index.handler',
    runtime,
    architecture: lambda.Architecture.ARM_64,
    memorySize: 256,
    timeout: Duration.seconds(MERGE_STEPS_TIMEOUT_SECONDS),
    role,
    logGroup,
    loggingFormat: lambda.LoggingFormat.JSON,
    tracing: lambda.Tracing.ACTIVE,
    environment: { [MERGE_STEPS_ENV.queueUrl]: props.queue.queueUrl },
    description: `cdk-serverless-etl current table merge steps of pipeline ${props.pipelineName}`,
  });
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'], resources: [props.queue.queueArn] }),
  );
  props.encryptionKey.grant(role, 'kms:Decrypt');
  acknowledgeRules(
    fn,
    {
      ids: ['NIST.800.53.R5-LambdaDLQ', 'HIPAA.Security-LambdaDLQ', 'Serverless-LambdaDLQ'],
      reason: 'Invoked only synchronously by the merge state machine; a failed merge leaves its messages in the merge queue, whose DLQ takes them.',
    },
    noVpcAcknowledgement(['Amazon SQS', 'AWS X-Ray'], false),
    {
      ids: ['NIST.800.53.R5-LambdaConcurrency', 'HIPAA.Security-LambdaConcurrency'],
      reason: 'Invoked twice per merge round by the merge state machine, never per record; its concurrency is bounded by the executions.',
    },
  );
  acknowledgeRules(role, INLINE_POLICY_ACKNOWLEDGEMENT, {
    ids: ['AwsSolutions-IAM5[Resource::*]'],
    reason: 'X-Ray PutTraceSegments and PutTelemetryRecords support only Resource "*".',
  });
  return fn;
}
