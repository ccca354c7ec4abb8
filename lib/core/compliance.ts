import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
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
 * The cdk-nag finding id of an IAM statement resource `<bucket ARN>/<keyPattern>`, e.g.
 * `AwsSolutions-IAM5[Resource::<RawBucket1234.Arn>/data/*]` for a bucket of the same stack or
 * `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::my-bucket/*]` for an imported one, so an
 * acknowledgement can name exactly that resource (also when the pattern holds a token, such as a
 * dataset from a CfnParameter).
 */
export function bucketObjectsFinding(bucket: s3.IBucket, keyPattern: string): string {
  return `AwsSolutions-IAM5[Resource::${flatResource(bucket, bucket.arnForObjects(keyPattern))}]`;
}

/**
 * An IAM statement resource as cdk-nag names it in finding ids: resolved in `scope`'s stack, then
 * each `Ref` written `<Name>`, each `Fn::GetAtt` `<Resource.Attribute>`, `Fn::Join` joined,
 * `Fn::Sub` placeholders `${X}` written `<X>`, and any other intrinsic as its JSON. The id is a
 * plain string whatever the stack's environment (explicit or env-agnostic), the app's feature flags
 * (`@aws-cdk/core:enablePartitionLiterals`) and tokens in names: an acknowledgement id built from
 * an unresolved token cannot be recorded (`KeyMustResolveToString`).
 */
export function flatResource(scope: IConstruct, resource: unknown): string {
  const flatten = (value: unknown): string => {
    if (value === undefined) return '';
    if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
    const fn = value as Record<string, unknown>;
    if (fn['Fn::Join']) {
      const [delimiter, parts] = fn['Fn::Join'] as [string, unknown[]];
      return parts.map(flatten).join(delimiter);
    }
    if (fn['Fn::Sub']) return flatten(fn['Fn::Sub']);
    if (fn['Fn::GetAtt']) {
      const [name, attribute] = fn['Fn::GetAtt'] as [unknown, unknown];
      return `<${flatten(name)}.${flatten(attribute)}>`;
    }
    if (fn['Fn::ImportValue']) return flatten(fn['Fn::ImportValue']);
    if (fn.Ref) return `<${flatten(fn.Ref)}>`;
    return JSON.stringify(value);
  };
  return flatten(Stack.of(scope).resolve(resource));
}

/**
 * The cdk-nag `AwsSolutions-IAM5[Resource::...]` finding ids of the wildcard resources that the
 * Allow statements of `policy` grant and `select` picks, read from the policy as it stands (call
 * it once the policy is complete). For statements aws-cdk-lib writes, whose resources the library
 * does not build itself: the ids match whatever form aws-cdk-lib gives them.
 */
export function policyWildcardFindings(policy: iam.Policy, select: (flatResource: string) => boolean): string[] {
  const document = Stack.of(policy).resolve(policy.document) as { Statement?: Array<{ Effect?: string; Resource?: unknown }> };
  const findings = new Set<string>();
  for (const statement of document.Statement ?? []) {
    if (statement.Effect !== 'Allow') continue;
    const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
    for (const resource of resources) {
      const flat = flatResource(policy, resource);
      if (flat.includes('*') && select(flat)) findings.add(`AwsSolutions-IAM5[Resource::${flat}]`);
    }
  }
  return [...findings];
}

/**
 * The finding of the `kms:GenerateDataKey*` action aws-cdk-lib writes when it grants sending to a
 * KMS-encrypted queue (e.g. the Step Functions SqsSendMessage task). The library's own grants name
 * exact KMS actions.
 */
export const KMS_DATA_KEY_WILDCARD_FINDING = 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]';

/** The reason every construct gives for the inline (default) policy of a role of its own. */
export const INLINE_POLICY_ACKNOWLEDGEMENT: RuleAcknowledgement = {
  ids: ['NIST.800.53.R5-IAMNoInlinePolicy', 'HIPAA.Security-IAMNoInlinePolicy'],
  reason:
    'The policy is the default policy of this one role (the library\'s statements and aws-cdk-lib grants), scoped to ' +
    'this pipeline\'s resources; an inline policy cannot be attached to another principal by mistake, unlike a managed one.',
};

/**
 * Why a library function runs outside a VPC, naming what it really reaches: `services` are the
 * AWS APIs the library's code calls; `runsUserCode` says the user's transform runs in it too,
 * whose outbound network access a VPC-less function does not restrict.
 */
export function noVpcAcknowledgement(services: string[], runsUserCode: boolean): RuleAcknowledgement {
  return {
    ids: ['NIST.800.53.R5-LambdaInsideVPC', 'HIPAA.Security-LambdaInsideVPC'],
    reason:
      `The library's code in this function calls only AWS service APIs (${services.join(', ')}) over TLS with IAM ` +
      'authentication and needs no resource inside a VPC; a VPC would add NAT or endpoint cost and ENI cold starts. ' +
      (runsUserCode
        ? "The user's transform module runs in the same function with open outbound network access (no VPC, no egress " +
          'filter): what it may call is for its owner to review; what it may do in AWS is bounded by the role.'
        : 'No user code runs in it.'),
  };
}
