import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { IdempotencyStore } from '../../lib';
import { testStack } from '../support/cdk';
import { ownTemplate } from '../support/construct-snapshot';

describe('IdempotencyStore', () => {
  test('on-demand table keyed by id, TTL, PITR, customer-managed KMS key, retained', () => {
    const stack = testStack();
    new IdempotencyStore(stack, 'Store');
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: Match.anyValue() },
    });
    t.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    t.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  test('uses a given key and remembers ids for the given time', () => {
    const stack = testStack();
    const key = new kms.Key(stack, 'K');
    const store = new IdempotencyStore(stack, 'Store', { encryptionKey: key, timeToLive: Duration.days(7) });
    expect(store.encryptionKey).toBe(key);
    expect(store.timeToLive.toDays()).toBe(7);
    Template.fromStack(stack).resourceCountIs('AWS::KMS::Key', 1);
  });

  test('grantClaims: batch reads, conditional puts and the key, nothing else (least privilege: no unused dynamodb:GetItem or BatchWriteItem)', () => {
    const stack = testStack();
    const store = new IdempotencyStore(stack, 'Store');
    const role = new iam.Role(stack, 'R', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    store.grantClaims(role);
    const statements = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string[] }>,
    );
    const actions = statements.flatMap((s) => s.Action).sort();
    expect(actions).toEqual(['dynamodb:BatchGetItem', 'dynamodb:PutItem', 'kms:Decrypt', 'kms:GenerateDataKey']);
  });

  test('warns when not retained; rejects a TTL out of range', () => {
    const stack = testStack();
    new IdempotencyStore(stack, 'Store', { removalPolicy: RemovalPolicy.DESTROY });
    Annotations.fromStack(stack).hasWarning('/TestStack/Store', Match.stringLikeRegexp('replays and redeliveries can duplicate'));
    expect(() => new IdempotencyStore(testStack(), 'S', { timeToLive: Duration.minutes(5) })).toThrow(
      /Invalid IdempotencyStore \(TestStack\/S\) props:\n {2}- timeToLive is 5 minutes; it must be from 1 hour to 365 days/,
    );
  });

  test('metricThrottledRequests is scoped to the table', () => {
    const stack = testStack();
    const store = new IdempotencyStore(stack, 'Store');
    const metric = store.metricThrottledRequests();
    expect(metric.metricName).toBe('ThrottledRequests');
    expect(metric.namespace).toBe('AWS/DynamoDB');
    expect(Object.keys(metric.dimensions ?? {})).toEqual(['TableName']);
  });

  test('snapshot', () => {
    const stack = testStack();
    expect(ownTemplate(new IdempotencyStore(stack, 'Store'))).toMatchSnapshot();
  });
});
