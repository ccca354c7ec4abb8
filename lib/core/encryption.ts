import { Aws, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/**
 * Creates the customer-managed KMS key that encrypts a pipeline's data at rest (S3, SQS, Kinesis,
 * log groups). Rotation is on, the key is retained when the stack is deleted (data encrypted with
 * it must stay readable), and CloudWatch Logs in the stack's region may use it for log groups of
 * this account only.
 */
export function createPipelineKey(scope: Construct, id: string, description: string): kms.Key {
  const key = new kms.Key(scope, id, {
    description,
    enableKeyRotation: true,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  allowLogsToUseKey(key);
  return key;
}

const keysOpenToLogs = new WeakSet<kms.IKey>();

/**
 * Lets CloudWatch Logs encrypt this account's log groups in this region with the key.
 * A no-op for imported keys (their policy is not managed here: see docs/decisions.md).
 */
export function allowLogsToUseKey(key: kms.IKey): void {
  if (keysOpenToLogs.has(key)) return;
  keysOpenToLogs.add(key);
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AllowCloudWatchLogsForThisAccount',
      principals: [new iam.ServicePrincipal(`logs.${Aws.REGION}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: {
        ArnLike: {
          'kms:EncryptionContext:aws:logs:arn': `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:*`,
        },
      },
    }),
    /* allowNoOp */ true,
  );
}
