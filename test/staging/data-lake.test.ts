import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { DataLake, DataLakeProps } from '../../lib/staging/data-lake';
import { testStack } from '../support/cdk';
import { ownTemplate } from '../support/construct-snapshot';
import { denyInsecureTransport } from '../support/assertions';

interface BucketProperties {
  readonly BucketEncryption?: unknown;
  readonly PublicAccessBlockConfiguration?: unknown;
  readonly VersioningConfiguration?: unknown;
  readonly OwnershipControls?: unknown;
  readonly LoggingConfiguration?: unknown;
  readonly NotificationConfiguration?: unknown;
  readonly LifecycleConfiguration: { readonly Rules: Array<Record<string, unknown>> };
}
type Resource = { Type: string; Properties: BucketProperties; DeletionPolicy?: string; UpdateReplacePolicy?: string };

function synth(props?: DataLakeProps): { stack: Stack; lake: DataLake; template: Template } {
  const stack = testStack();
  const lake = new DataLake(stack, 'Lake', props);
  return { stack, lake, template: Template.fromStack(stack) };
}

/** Logical id of a bucket created by the lake. */
function logicalId(stack: Stack, bucket: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(bucket.node.defaultChild as never);
}

describe('DataLake', () => {
  // One synthesized default lake shared by the read-only assertions below.
  const { stack, lake, template } = synth();
  const buckets = template.findResources('AWS::S3::Bucket') as Record<string, Resource>;
  const ids = {
    raw: logicalId(stack, lake.rawBucket),
    curated: logicalId(stack, lake.curatedBucket),
    quarantine: logicalId(stack, lake.quarantineBucket),
    logs: logicalId(stack, lake.accessLogsBucket),
  };
  const keyId = Object.keys(template.findResources('AWS::KMS::Key'))[0];

  test('creates exactly four buckets and one key', () => {
    template.resourceCountIs('AWS::S3::Bucket', 4);
    template.resourceCountIs('AWS::KMS::Key', 1);
    expect(Object.keys(buckets).sort()).toEqual(Object.values(ids).sort());
  });

  test('the key has rotation on and is retained', () => {
    template.hasResource('AWS::KMS::Key', {
      Properties: Match.objectLike({ EnableKeyRotation: true }),
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  test.each(['raw', 'curated', 'quarantine'] as const)('%s bucket uses SSE-KMS with the one key and a bucket key', (name) => {
    expect(buckets[ids[name]].Properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [
        {
          BucketKeyEnabled: true,
          ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] } },
        },
      ],
    });
  });

  test('access-log bucket uses SSE-S3 (S3 log delivery cannot use KMS)', () => {
    expect(buckets[ids.logs].Properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
  });

  test.each(['raw', 'curated', 'quarantine', 'logs'] as const)(
    '%s bucket blocks all public access, is versioned, owner-enforced and retained',
    (name) => {
      const bucket = buckets[ids[name]];
      expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
      expect(bucket.Properties.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
      expect(bucket.DeletionPolicy).toBe('Retain');
      expect(bucket.UpdateReplacePolicy).toBe('Retain');
    },
  );

  test.each(['raw', 'curated', 'quarantine', 'logs'] as const)('%s bucket policy denies non-TLS and TLS < 1.2', (name) => {
    const arn = { 'Fn::GetAtt': [ids[name], 'Arn'] };
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: ids[name] },
      PolicyDocument: {
        Statement: Match.arrayWith([
          denyInsecureTransport('s3:*', [arn, { 'Fn::Join': ['', [arn, '/*']] }]),
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Principal: { AWS: '*' },
            Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
          }),
        ]),
      },
    });
  });

  test.each([
    ['raw', 'raw/'],
    ['curated', 'curated/'],
    ['quarantine', 'quarantine/'],
  ] as const)('%s bucket logs its access into the access-log bucket under %s', (name, prefix) => {
    expect(buckets[ids[name]].Properties.LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: ids.logs },
      LogFilePrefix: prefix,
    });
  });

  test('access-log bucket does not log into itself and lets S3 log delivery write each prefix', () => {
    expect(buckets[ids.logs].Properties.LoggingConfiguration).toBeUndefined();
    for (const [name, prefix] of [
      ['raw', 'raw/'],
      ['curated', 'curated/'],
      ['quarantine', 'quarantine/'],
    ] as const) {
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: ids.logs },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Allow',
              Action: 's3:PutObject',
              Principal: { Service: 'logging.s3.amazonaws.com' },
              Condition: Match.objectLike({ ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [ids[name], 'Arn'] } } }),
              Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [ids.logs, 'Arn'] }, `/${prefix}*`]] },
            }),
          ]),
        },
      });
    }
  });

  test.each(['raw', 'curated', 'quarantine', 'logs'] as const)('%s bucket aborts incomplete multipart uploads after 1 day', (name) => {
    expect(buckets[ids[name]].Properties.LifecycleConfiguration.Rules).toEqual(
      expect.arrayContaining([expect.objectContaining({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' })]),
    );
  });

  test.each(['raw', 'curated', 'quarantine'] as const)('%s bucket expires noncurrent versions after 30 days by default', (name) => {
    expect(buckets[ids[name]].Properties.LifecycleConfiguration.Rules).toEqual(
      expect.arrayContaining([expect.objectContaining({ NoncurrentVersionExpiration: { NoncurrentDays: 30 }, Status: 'Enabled' })]),
    );
  });

  test('raw tiers to STANDARD_IA at 30 days and GLACIER_IR at 90 days and is never expired by default', () => {
    const rules = buckets[ids.raw].Properties.LifecycleConfiguration.Rules;
    expect(rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Status: 'Enabled',
          Transitions: [
            { StorageClass: 'STANDARD_IA', TransitionInDays: 30 },
            { StorageClass: 'GLACIER_IR', TransitionInDays: 90 },
          ],
        }),
      ]),
    );
    expect(rules.some((r) => 'ExpirationInDays' in r)).toBe(false);
    // Curated and quarantine data stay in Standard: they are read by consumers.
    for (const name of ['curated', 'quarantine'] as const) {
      const other = buckets[ids[name]].Properties.LifecycleConfiguration.Rules;
      expect(other.some((r) => 'Transitions' in r || 'ExpirationInDays' in r)).toBe(false);
    }
  });

  test('access logs expire after 365 days by default', () => {
    expect(buckets[ids.logs].Properties.LifecycleConfiguration.Rules).toEqual(
      expect.arrayContaining([expect.objectContaining({ ExpirationInDays: 365, Status: 'Enabled' })]),
    );
  });

  test('raw bucket sends events to EventBridge natively: no notifications custom resource, no Lambda', () => {
    expect(buckets[ids.raw].Properties.NotificationConfiguration).toEqual({
      EventBridgeConfiguration: { EventBridgeEnabled: true },
    });
    for (const name of ['curated', 'quarantine', 'logs'] as const) {
      expect(buckets[ids[name]].Properties.NotificationConfiguration).toBeUndefined();
    }
    template.resourceCountIs('Custom::S3BucketNotifications', 0);
    template.resourceCountIs('AWS::Lambda::Function', 0);
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
    expect(JSON.stringify(template.toJSON())).not.toMatch(/Custom::/);
  });

  test('no warning with the default (RETAIN) removal policy', () => {
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });

  test('exposes the key it created', () => {
    expect(stack.resolve(lake.encryptionKey.keyArn)).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
  });

  test('snapshot', () => {
    expect(ownTemplate(lake)).toMatchSnapshot();
  });
});

describe('DataLake options', () => {
  test('removalPolicy DESTROY applies to the buckets and raises a warning', () => {
    const { stack, template } = synth({ removalPolicy: RemovalPolicy.DESTROY });
    const buckets = template.findResources('AWS::S3::Bucket') as Record<string, Resource>;
    expect(Object.values(buckets)).toHaveLength(4);
    for (const bucket of Object.values(buckets)) {
      expect(bucket.DeletionPolicy).toBe('Delete');
      expect(bucket.UpdateReplacePolicy).toBe('Delete');
    }
    // The key stays: data encrypted with it elsewhere (backups, copies) must remain readable.
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain' });
    Annotations.fromStack(stack).hasWarning('/TestStack/Lake', Match.stringLikeRegexp('removalPolicy is destroy'));
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
  });

  test('autoDeleteObjects with DESTROY adds the auto-delete custom resource', () => {
    const { template } = synth({ removalPolicy: RemovalPolicy.DESTROY, autoDeleteObjects: true });
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 4);
  });

  test('a user-supplied key is used instead of creating one', () => {
    const stack = testStack();
    const key = new kms.Key(stack, 'UserKey', { enableKeyRotation: true });
    const lake = new DataLake(stack, 'Lake', { encryptionKey: key });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::KMS::Key', 1);
    const userKeyId = stack.getLogicalId(key.node.defaultChild as never);
    expect(lake.encryptionKey).toBe(key);
    for (const bucket of [lake.rawBucket, lake.curatedBucket, lake.quarantineBucket]) {
      template.hasResourceProperties('AWS::S3::Bucket', {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            Match.objectLike({
              ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [userKeyId, 'Arn'] } },
            }),
          ],
        },
        LoggingConfiguration: Match.objectLike({ LogFilePrefix: Match.anyValue() }),
      });
      expect(stack.resolve(bucket.encryptionKey!.keyArn)).toEqual({ 'Fn::GetAtt': [userKeyId, 'Arn'] });
    }
  });

  test('an imported key is used as is', () => {
    const stack = testStack();
    const arn = 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555';
    new DataLake(stack, 'Lake', { encryptionKey: kms.Key.fromKeyArn(stack, 'Imported', arn) });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::KMS::Key', 0);
    template.resourcePropertiesCountIs(
      'AWS::S3::Bucket',
      {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [Match.objectLike({ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: arn } })],
        },
      },
      3,
    );
  });

  test('lifecycle durations are configurable', () => {
    const { lake, stack, template } = synth({
      rawInfrequentAccessAfter: Duration.days(60),
      rawArchiveAfter: Duration.days(180),
      rawExpiration: Duration.days(3650),
      quarantineExpiration: Duration.days(90),
      noncurrentVersionExpiration: Duration.days(7),
      accessLogsExpiration: Duration.days(30),
    });
    const buckets = template.findResources('AWS::S3::Bucket') as Record<string, Resource>;
    const rules = (b: { node: { defaultChild?: unknown } }) =>
      buckets[stack.getLogicalId(b.node.defaultChild as never)].Properties.LifecycleConfiguration.Rules;
    expect(rules(lake.rawBucket)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          ExpirationInDays: 3650,
          Transitions: [
            { StorageClass: 'STANDARD_IA', TransitionInDays: 60 },
            { StorageClass: 'GLACIER_IR', TransitionInDays: 180 },
          ],
        }),
        expect.objectContaining({ NoncurrentVersionExpiration: { NoncurrentDays: 7 } }),
      ]),
    );
    expect(rules(lake.quarantineBucket)).toEqual(expect.arrayContaining([expect.objectContaining({ ExpirationInDays: 90 })]));
    expect(rules(lake.curatedBucket)).toEqual(
      expect.arrayContaining([expect.objectContaining({ NoncurrentVersionExpiration: { NoncurrentDays: 7 } })]),
    );
    expect(rules(lake.accessLogsBucket)).toEqual(expect.arrayContaining([expect.objectContaining({ ExpirationInDays: 30 })]));
  });
});

describe('DataLake.onRawObjectCreated', () => {
  function rule(options?: Parameters<DataLake['onRawObjectCreated']>[1]) {
    const stack = testStack();
    const lake = new DataLake(stack, 'Lake');
    const created = lake.onRawObjectCreated('OnRaw', options);
    const template = Template.fromStack(stack);
    const rawId = stack.getLogicalId(lake.rawBucket.node.defaultChild as never);
    return { stack, created, template, rawId };
  }

  test('matches Object Created events of the raw bucket on the default bus', () => {
    const { template, rawId } = rule();
    template.resourceCountIs('AWS::Events::Rule', 1);
    const rules = template.findResources('AWS::Events::Rule');
    const props = Object.values(rules)[0].Properties;
    expect(props.EventBusName).toBeUndefined();
    expect(props.EventPattern).toEqual({
      source: ['aws.s3'],
      'detail-type': ['Object Created'],
      detail: { bucket: { name: [{ Ref: rawId }] } },
    });
  });

  test('prefix only', () => {
    const { template, rawId } = rule({ prefix: 'incoming/' });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: { bucket: { name: [{ Ref: rawId }] }, object: { key: [{ prefix: 'incoming/' }] } },
      },
    });
  });

  test('suffix only', () => {
    const { template } = rule({ suffix: '.json' });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ detail: Match.objectLike({ object: { key: [{ suffix: '.json' }] } }) }),
    });
  });

  test('prefix and suffix together become one wildcard (both must match)', () => {
    const { template, rawId } = rule({ prefix: 'incoming/', suffix: '.json' });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: { bucket: { name: [{ Ref: rawId }] }, object: { key: [{ wildcard: 'incoming/*.json' }] } },
      },
    });
  });

  test('wildcard characters in prefix and suffix are escaped', () => {
    const { template } = rule({ prefix: 'a*b/', suffix: '\\.json' });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({
        detail: Match.objectLike({ object: { key: [{ wildcard: 'a\\*b/*\\\\.json' }] } }),
      }),
    });
  });

  test('adds the target, rule name and description', () => {
    const stack = testStack();
    const lake = new DataLake(stack, 'Lake');
    const queue = new sqs.Queue(stack, 'Q');
    const created = lake.onRawObjectCreated('OnRaw', {
      ruleName: 'raw-created',
      description: 'my rule',
      target: new targets.SqsQueue(queue),
    });
    expect(created).toBeInstanceOf(events.Rule);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Events::Rule', {
      Name: 'raw-created',
      Description: 'my rule',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [stack.getLogicalId(queue.node.defaultChild as never), 'Arn'] } })],
    });
  });
});

describe('DataLake props validation', () => {
  function build(props: DataLakeProps) {
    return () => new DataLake(testStack(), 'Lake', props);
  }

  test('reports every bad prop in one error with its value and allowed range', () => {
    let message = '';
    try {
      build({
        rawInfrequentAccessAfter: Duration.days(10),
        rawArchiveAfter: Duration.days(35),
        autoDeleteObjects: true,
        noncurrentVersionExpiration: Duration.days(0),
        accessLogsExpiration: Duration.days(40000),
      })();
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^Invalid DataLake \(TestStack\/Lake\) props:/);
    expect(message).toMatch(/rawInfrequentAccessAfter is 10 days; it must be from 30 days to 36500 days/);
    expect(message).toMatch(/rawArchiveAfter is 35 days; it must be from 60 days to 36500 days/);
    expect(message).toMatch(/rawArchiveAfter is 35 days; it must be at least 30 days after rawInfrequentAccessAfter \(10 days\)/);
    expect(message).toMatch(/autoDeleteObjects is true; it is only allowed with removalPolicy DESTROY \(removalPolicy is retain\)/);
    expect(message).toMatch(/noncurrentVersionExpiration is 0 days?; it must be from 1 day to 36500 days/);
    expect(message).toMatch(/accessLogsExpiration is 40000 days; it must be from 1 day to 36500 days/);
    expect(message.split('\n').filter((l) => l.startsWith('  - '))).toHaveLength(6);
  });

  test('rawArchiveAfter too soon after rawInfrequentAccessAfter is rejected even when each is in range', () => {
    expect(build({ rawInfrequentAccessAfter: Duration.days(45), rawArchiveAfter: Duration.days(60) })).toThrow(
      /rawArchiveAfter is 60 days; it must be at least 30 days after rawInfrequentAccessAfter \(45 days\)/,
    );
    expect(build({ rawInfrequentAccessAfter: Duration.days(45), rawArchiveAfter: Duration.days(75) })).not.toThrow();
  });

  test('rawExpiration must be later than rawArchiveAfter', () => {
    expect(build({ rawExpiration: Duration.days(90) })).toThrow(/rawExpiration is 90 days; it must be later than rawArchiveAfter \(90 days\)/);
    expect(build({ rawExpiration: Duration.days(91) })).not.toThrow();
  });

  test('quarantineExpiration below 1 day is rejected', () => {
    expect(build({ quarantineExpiration: Duration.hours(12) })).toThrow(/quarantineExpiration is 12 hours; it must be from 1 day/);
  });

  test('autoDeleteObjects needs DESTROY (SNAPSHOT is not enough)', () => {
    expect(build({ autoDeleteObjects: true, removalPolicy: RemovalPolicy.SNAPSHOT })).toThrow(/autoDeleteObjects is true/);
    expect(build({ autoDeleteObjects: true, removalPolicy: RemovalPolicy.DESTROY })).not.toThrow();
  });

  test('nothing is created when props are invalid', () => {
    const stack = testStack();
    expect(() => new DataLake(stack, 'Lake', { rawInfrequentAccessAfter: Duration.days(1) })).toThrow();
    const lake = stack.node.tryFindChild('Lake');
    expect(lake?.node.children ?? []).toHaveLength(0);
  });
});
