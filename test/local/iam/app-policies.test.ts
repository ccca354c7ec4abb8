/**
 * The app's policies as the local run reads them from a synthesized template: roles with every
 * policy attached to them, who runs as which role, resource policies and customer managed keys,
 * all named by the ARNs the local resources have.
 */
import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Template as TemplateJson } from '../../../local/template/cloud-assembly';
import { readAppPolicies, type AppPolicies } from '../../../local/iam/app-policies';
import { IamAuthorizer } from '../../../local/iam/authorizer';
import { LocalReferences } from '../../../local/template/references';
import { readLocalResources } from '../../../local/template/template-resources';
import { TEST_ENV, testStack } from '../../support/cdk';

const { account: ACCOUNT, region: REGION } = TEST_ENV;
let policies: AppPolicies;
let refs: LocalReferences;
let ids: Record<string, string>;

beforeAll(() => {
  const stack = testStack();
  const key = new kms.Key(stack, 'Key');
  const bucket = new s3.Bucket(stack, 'Bucket', { encryption: s3.BucketEncryption.KMS, encryptionKey: key, bucketKeyEnabled: true, enforceSSL: true });
  const queue = new sqs.Queue(stack, 'Queue', { encryptionMasterKey: key });
  const plainQueue = new sqs.Queue(stack, 'PlainQueue', { encryption: sqs.QueueEncryption.SQS_MANAGED });
  const secret = new secretsmanager.Secret(stack, 'Secret', { encryptionKey: key });
  secret.addToResourcePolicy(new iam.PolicyStatement({ effect: iam.Effect.DENY, principals: [new iam.AnyPrincipal()], actions: ['secretsmanager:DeleteSecret'], resources: ['*'] }));
  const fn = new lambda.Function(stack, 'Fn', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => 1;') });
  bucket.grantReadWrite(fn);
  queue.grantSendMessages(fn);
  fn.role!.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonS3ReadOnlyAccess'));
  fn.role!.addManagedPolicy(new iam.ManagedPolicy(stack, 'Custom', { statements: [new iam.PolicyStatement({ actions: ['dynamodb:GetItem'], resources: ['*'] })] }));
  const machine = new sfn.StateMachine(stack, 'Machine', { definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'Pass')), timeout: Duration.minutes(1) });
  const rule = new events.Rule(stack, 'Rule', { eventPattern: { source: ['app'] } });
  rule.addTarget(new targets.SfnStateMachine(machine));
  rule.addTarget(new targets.SqsQueue(plainQueue));
  const json = Template.fromStack(stack).toJSON() as TemplateJson;
  const resources = readLocalResources(json, 'TestStack');
  refs = new LocalReferences(json, resources, TEST_ENV);
  policies = readAppPolicies([{ name: 'TestStack', template: json, resources, refs }]);
  const id = (construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as never);
  ids = { key: id(key), bucket: id(bucket), queue: id(queue), plainQueue: id(plainQueue), secret: id(secret), fn: id(fn), role: id(fn.role as iam.Role), machine: id(machine), rule: id(rule) };
});

describe('principals', () => {
  it("a function's role has its grants, the AWS managed policies the table knows, and its customer managed policy; an unknown one is noted", () => {
    const roleArn = policies.functionRoles.get(refs.arnOf(ids.fn));
    expect(roleArn).toBe(`arn:aws:iam::${ACCOUNT}:role/${refs.ref(ids.role)}`);
    const role = policies.roles.get(roleArn!)!;
    const actions = role.statements.flatMap((s) => [s.Action ?? []].flat());
    expect(actions).toEqual(expect.arrayContaining(['logs:CreateLogGroup', 's3:PutObject', 'sqs:SendMessage', 'kms:GenerateDataKey*', 'dynamodb:GetItem']));
    expect(role.problems).toEqual(['AWS managed policy AmazonS3ReadOnlyAccess is not known to the local run']);
    expect(policies.notes.join('\n')).toMatch(/AmazonS3ReadOnlyAccess is not known to the local run: what it allows is not counted/);
  });

  it("the state machine's role, and the rule target's role for it, by the ARNs the run uses", () => {
    const machineArn = refs.arnOf(ids.machine);
    expect(policies.stateMachineRoles.get(machineArn)).toMatch(/^arn:aws:iam::123456789012:role\//);
    const ruleArn = refs.getAtt(ids.rule, 'Arn');
    expect(ruleArn).toBe(`arn:aws:events:${REGION}:${ACCOUNT}:rule/${refs.ref(ids.rule)}`);
    const targetRole = policies.roles.get(policies.targetRoles.get(`${ruleArn}|Target0`)!)!;
    expect(targetRole.statements).toEqual([expect.objectContaining({ Action: 'states:StartExecution', Resource: machineArn })]);
  });
});

describe('resource policies and keys', () => {
  it('the bucket policy (TLS only), the queue policy of a rule target, the secret policy and the key policy', () => {
    const bucketArn = refs.arnOf(ids.bucket);
    expect(policies.resourcePolicies.get(bucketArn)).toEqual([expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]);
    expect(policies.resourcePolicies.get(refs.arnOf(ids.plainQueue))).toEqual([
      expect.objectContaining({ Principal: { Service: 'events.amazonaws.com' }, Action: expect.arrayContaining(['sqs:SendMessage']), Condition: { ArnEquals: { 'aws:SourceArn': refs.getAtt(ids.rule, 'Arn') } } }),
    ]);
    expect(policies.resourcePolicies.get(refs.arnOf(ids.secret))).toEqual([expect.objectContaining({ Effect: 'Deny', Action: 'secretsmanager:DeleteSecret' })]);
    const keyArn = refs.getAtt(ids.key, 'Arn');
    expect(keyArn).toMatch(new RegExp(`^arn:aws:kms:${REGION}:${ACCOUNT}:key/[0-9a-f-]{36}$`));
    expect(policies.keyPolicies.get(keyArn)).toEqual([
      expect.objectContaining({ Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*' }),
      // What the secret's encryption adds: use through Secrets Manager.
      expect.objectContaining({ Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Condition: { StringEquals: { 'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com` } } }),
    ]);
  });

  it('the customer managed key of the bucket (with its Bucket Key), the queue and the secret; none for an SQS-managed queue', () => {
    const keyArn = refs.getAtt(ids.key, 'Arn');
    expect(policies.encryption.get(refs.arnOf(ids.bucket))).toEqual({ keyArn, bucketKey: true });
    expect(policies.encryption.get(refs.arnOf(ids.queue))).toEqual({ keyArn });
    expect(policies.encryption.get(refs.arnOf(ids.secret))).toEqual({ keyArn });
    expect(policies.encryption.has(refs.arnOf(ids.plainQueue))).toBe(false);
  });

  it('the function may write the bucket with its key, and may not without the role (a key policy delegating to IAM)', () => {
    const authorizer = new IamAuthorizer(policies, 'enforce');
    const actor = authorizer.roleSession(policies.functionRoles.get(refs.arnOf(ids.fn)), 'fn', 'Fn')!;
    const keyArn = refs.getAtt(ids.key, 'Arn');
    expect(authorizer.decide(actor, { action: 's3:PutObject', resource: `${refs.arnOf(ids.bucket)}/k`, context: { 's3:TlsVersion': '1.3' } })).toBeUndefined();
    expect(authorizer.decide(actor, { action: 'kms:GenerateDataKey', resource: keyArn, kms: true })).toBeUndefined();
    expect(authorizer.decide(actor, { action: 'kms:Decrypt', resource: keyArn, kms: true })).toBeUndefined();
    const other = authorizer.roleSession(policies.stateMachineRoles.get(refs.arnOf(ids.machine)), 'x', 'Machine')!;
    expect(authorizer.decide(other, { action: 'kms:GenerateDataKey', resource: keyArn, kms: true })?.reason).toBe('because no identity-based policy allows the kms:GenerateDataKey action');
  });
});
