import { CfnElement, CfnResource, Stack, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** A compliance rule a construct deliberately does not follow, and why. */
export interface RuleAcknowledgement {
  /** Rule ids, as the rule packs report them (e.g. `AwsSolutions-SQS3`). */
  readonly ids: string[];
  /** Why the finding does not apply here. */
  readonly reason: string;
}

/**
 * Acknowledges compliance findings that follow from a construct's design (for policy-validation
 * plugins such as cdk-nag). Each acknowledgement is scoped to one construct and carries a reason,
 * which appears in the validation report; nothing is acknowledged stack- or app-wide here.
 */
export function acknowledgeRules(scope: IConstruct, ...acknowledgements: RuleAcknowledgement[]): void {
  Validations.of(scope).acknowledge(
    ...acknowledgements.flatMap((a) => a.ids.map((id) => ({ id, reason: a.reason }))),
  );
}

/**
 * The cdk-nag finding id of an IAM statement resource `<bucket ARN>/<keyPattern>` for a bucket
 * defined in the same stack, e.g. `AwsSolutions-IAM5[Resource::<RawBucket1234.Arn>/data/*]`, so an
 * acknowledgement can name exactly that resource. Undefined for imported buckets.
 */
export function bucketObjectsFinding(bucket: IConstruct, keyPattern: string): string | undefined {
  const cfn = bucket.node.defaultChild;
  if (!(cfn instanceof CfnResource)) return undefined;
  const stack = Stack.of(cfn);
  const logicalId = stack.resolve(stack.getLogicalId(cfn as CfnElement)) as string;
  return `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>/${keyPattern}]`;
}

/** Findings for the IAM statements aws-cdk-lib writes when a KMS-encrypted resource is granted. */
export const KMS_GRANT_WILDCARD_FINDINGS = [
  'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
  'AwsSolutions-IAM5[Action::kms:ReEncrypt*]',
];

/** The reason every construct gives for the inline policies aws-cdk-lib's grants create. */
export const INLINE_POLICY_ACKNOWLEDGEMENT: RuleAcknowledgement = {
  ids: ['NIST.800.53.R5-IAMNoInlinePolicy', 'HIPAA.Security-IAMNoInlinePolicy'],
  reason:
    'The policy is written by aws-cdk-lib grant methods for this one role and scoped to this pipeline\'s resources; ' +
    'an inline policy cannot be attached to another principal by mistake, unlike a managed one.',
};

/** The reason the library's functions run outside a VPC. */
export const NO_VPC_ACKNOWLEDGEMENT: RuleAcknowledgement = {
  ids: ['NIST.800.53.R5-LambdaInsideVPC', 'HIPAA.Security-LambdaInsideVPC'],
  reason:
    'The function reaches only AWS service APIs (S3, KMS, X-Ray) over TLS with IAM authentication and no ' +
    'resource inside a VPC; a VPC would add NAT or endpoint cost and ENI cold starts for no isolation gain.',
};
