/**
 * The AWS managed policies a Lambda or Step Functions app commonly attaches (CDK attaches
 * `AWSLambdaBasicExecutionRole` to every function role it creates), with the statements AWS
 * documents for their current default version in the AWS Managed Policy Reference
 * (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/). A managed policy not listed
 * here cannot be evaluated: the role that has it is reported, never guessed.
 */
import type { PolicyStatement } from './policy';

const LOGS = ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'];

const MANAGED: Record<string, readonly PolicyStatement[]> = {
  // Reference page AWSLambdaBasicExecutionRole, version v1.
  'service-role/AWSLambdaBasicExecutionRole': [{ Effect: 'Allow', Action: LOGS, Resource: '*' }],
  // Reference page AWSLambdaKinesisExecutionRole, version v2.
  'service-role/AWSLambdaKinesisExecutionRole': [
    {
      Effect: 'Allow',
      Action: [
        'kinesis:DescribeStream',
        'kinesis:DescribeStreamSummary',
        'kinesis:GetRecords',
        'kinesis:GetShardIterator',
        'kinesis:ListShards',
        'kinesis:ListStreams',
        'kinesis:SubscribeToShard',
        ...LOGS,
      ],
      Resource: '*',
    },
  ],
  // Reference page AWSLambdaSQSQueueExecutionRole.
  'service-role/AWSLambdaSQSQueueExecutionRole': [
    { Effect: 'Allow', Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', ...LOGS], Resource: '*' },
  ],
  // Reference page AWSXRayDaemonWriteAccess, version v2.
  AWSXRayDaemonWriteAccess: [
    {
      Effect: 'Allow',
      Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets', 'xray:GetSamplingStatisticSummaries'],
      Resource: '*',
    },
  ],
};

/** The path and name of an AWS managed policy ARN (`arn:aws:iam::aws:policy/<path+name>`), else undefined. */
export function awsManagedPolicyName(arn: string): string | undefined {
  return /^arn:[^:]+:iam::aws:policy\/(.+)$/.exec(arn)?.[1];
}

/** The statements of an AWS managed policy by ARN; undefined when the local run does not know it. */
export function awsManagedPolicy(arn: string): readonly PolicyStatement[] | undefined {
  const name = awsManagedPolicyName(arn);
  return name === undefined ? undefined : MANAGED[name];
}

/** The AWS managed policies the local run knows, by path and name. */
export const KNOWN_MANAGED_POLICIES: readonly string[] = Object.keys(MANAGED);
