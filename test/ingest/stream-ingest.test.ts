import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { StreamIngest, StreamIngestProps } from '../../lib/ingest/stream-ingest';
import { testStack } from '../support/cdk';
import { ownTemplate } from '../support/construct-snapshot';

function idOf(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as never);
}

/** A stack with a StreamIngest; `withArchive` adds a KMS-encrypted bucket as the archive target. */
function synth(props: StreamIngestProps = {}, withArchive = false) {
  const stack = testStack();
  const bucket = withArchive
    ? new s3.Bucket(stack, 'ArchiveBucket', { encryption: s3.BucketEncryption.KMS, enforceSSL: true })
    : undefined;
  const ingest = new StreamIngest(stack, 'Ingest', { ...(bucket ? { archiveBucket: bucket } : {}), ...props });
  return { stack, ingest, bucket, template: Template.fromStack(stack) };
}

describe('StreamIngest defaults', () => {
  const { stack, ingest, template } = synth();
  const keyId = idOf(stack, ingest.encryptionKey as kms.Key);

  test('one on-demand stream, KMS-encrypted with its own rotating key, 24 h retention', () => {
    template.resourceCountIs('AWS::Kinesis::Stream', 1);
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamModeDetails: { StreamMode: 'ON_DEMAND' },
      StreamEncryption: { EncryptionType: 'KMS', KeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } },
      RetentionPeriodHours: 24,
      ShardCount: Match.absent(),
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    expect(ingest.retentionPeriod.toHours()).toBe(24);
  });

  test('stream and key are retained', () => {
    template.hasResource('AWS::Kinesis::Stream', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });

  test('no archive by default', () => {
    expect(ingest.archive).toBeUndefined();
    template.resourceCountIs('AWS::KinesisFirehose::DeliveryStream', 0);
    template.resourceCountIs('AWS::Logs::LogGroup', 0);
    template.resourceCountIs('AWS::IAM::Role', 0);
  });

  test('snapshot (default)', () => {
    expect(ownTemplate(ingest)).toMatchSnapshot();
  });
});

describe('StreamIngest options', () => {
  test('retention is configurable', () => {
    const { template, ingest } = synth({ retentionPeriod: Duration.days(7) });
    template.hasResourceProperties('AWS::Kinesis::Stream', { RetentionPeriodHours: 168 });
    expect(ingest.retentionPeriod.toDays()).toBe(7);
  });

  test('retention bounds are inclusive: 24 h and 8760 h', () => {
    expect(() => synth({ retentionPeriod: Duration.hours(24) })).not.toThrow();
    const { template } = synth({ retentionPeriod: Duration.hours(8760) });
    template.hasResourceProperties('AWS::Kinesis::Stream', { RetentionPeriodHours: 8760 });
  });

  test('provisioned mode with a shard count', () => {
    const { template } = synth({ streamMode: kinesis.StreamMode.PROVISIONED, shardCount: 4 });
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamModeDetails: { StreamMode: 'PROVISIONED' },
      ShardCount: 4,
    });
  });

  test('provisioned mode defaults to one shard', () => {
    const { template } = synth({ streamMode: kinesis.StreamMode.PROVISIONED });
    template.hasResourceProperties('AWS::Kinesis::Stream', { StreamModeDetails: { StreamMode: 'PROVISIONED' }, ShardCount: 1 });
  });

  test('a user-supplied key encrypts the stream instead of a new one', () => {
    const stack = testStack();
    const key = new kms.Key(stack, 'UserKey', { enableKeyRotation: true });
    const ingest = new StreamIngest(stack, 'Ingest', { encryptionKey: key });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::KMS::Key', 1);
    expect(ingest.encryptionKey).toBe(key);
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamEncryption: { EncryptionType: 'KMS', KeyId: { 'Fn::GetAtt': [idOf(stack, key), 'Arn'] } },
    });
  });

  test('removalPolicy DESTROY is applied and warned about', () => {
    const { stack, template } = synth({ removalPolicy: RemovalPolicy.DESTROY });
    template.hasResource('AWS::Kinesis::Stream', { DeletionPolicy: 'Delete' });
    Annotations.fromStack(stack).hasWarning('/TestStack/Ingest', Match.stringLikeRegexp('removalPolicy is destroy'));
  });

  test('grantWrite gives PutRecord/PutRecords on the stream and encrypt on the key', () => {
    const stack = testStack();
    const ingest = new StreamIngest(stack, 'Ingest');
    const role = new iam.Role(stack, 'Producer', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    ingest.grantWrite(role);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: idOf(stack, role) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Action: Match.arrayWith(['kinesis:PutRecord', 'kinesis:PutRecords']),
            Resource: { 'Fn::GetAtt': [idOf(stack, ingest.stream), 'Arn'] },
          }),
          Match.objectLike({
            Effect: 'Allow',
            Action: Match.arrayWith(['kms:Encrypt', 'kms:GenerateDataKey*']),
            Resource: { 'Fn::GetAtt': [idOf(stack, ingest.encryptionKey as kms.Key), 'Arn'] },
          }),
        ]),
      },
    });
    // Write only: no read actions.
    const policy = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(policy).not.toMatch(/kinesis:GetRecords|kinesis:\*|"\*"/);
  });

  test('metricIteratorAge: Maximum of GetRecords.IteratorAgeMilliseconds per minute, scoped to the stream', () => {
    const stack = testStack();
    const ingest = new StreamIngest(stack, 'Ingest');
    const metric = ingest.metricIteratorAge();
    expect(metric.metricName).toBe('GetRecords.IteratorAgeMilliseconds');
    expect(metric.namespace).toBe('AWS/Kinesis');
    expect(metric.statistic).toBe('Maximum');
    expect(metric.period.toSeconds()).toBe(60);
    expect(stack.resolve(metric.dimensions)).toEqual({ StreamName: { Ref: idOf(stack, ingest.stream) } });
    expect(ingest.metricIteratorAge({ period: Duration.minutes(5) }).period.toMinutes()).toBe(5);
  });

  test('metricIncomingRecords and metricWriteThrottles are per-minute sums', () => {
    const ingest = new StreamIngest(testStack(), 'Ingest');
    const incoming = ingest.metricIncomingRecords();
    expect(incoming.metricName).toBe('IncomingRecords');
    expect(incoming.statistic).toBe('Sum');
    expect(incoming.period.toSeconds()).toBe(60);
    const throttles = ingest.metricWriteThrottles();
    expect(throttles.metricName).toBe('WriteProvisionedThroughputExceeded');
    expect(throttles.statistic).toBe('Sum');
    expect(throttles.period.toSeconds()).toBe(60);
  });
});

describe('StreamIngest shard-level metrics (enhanced monitoring)', () => {
  test('off by default: no DesiredShardLevelMetrics, and metricPerShard refuses', () => {
    const { ingest, template } = synth();
    expect(ingest.shardLevelMetrics).toEqual([]);
    const [stream] = Object.values(template.findResources('AWS::Kinesis::Stream'));
    expect(stream.Properties.DesiredShardLevelMetrics).toBeUndefined();
    expect(() => ingest.metricPerShard(kinesis.ShardLevelMetrics.ITERATOR_AGE_MILLISECONDS)).toThrow(
      /StreamIngest \(TestStack\/Ingest\): IteratorAgeMilliseconds is not a shard-level metric of the stream; add it to shardLevelMetrics/,
    );
  });

  test('opt-in: the stream publishes them per shard; metricPerShard searches every ShardId of this stream', () => {
    const { stack, ingest, template } = synth({ shardLevelMetrics: [kinesis.ShardLevelMetrics.ITERATOR_AGE_MILLISECONDS, kinesis.ShardLevelMetrics.ITERATOR_AGE_MILLISECONDS] });
    template.hasResourceProperties('AWS::Kinesis::Stream', { DesiredShardLevelMetrics: ['IteratorAgeMilliseconds'] });
    const age = ingest.metricPerShard(kinesis.ShardLevelMetrics.ITERATOR_AGE_MILLISECONDS);
    expect(stack.resolve(age.expression)).toEqual({
      'Fn::Join': ['', [`SEARCH('{AWS/Kinesis,ShardId,StreamName} MetricName="IteratorAgeMilliseconds" StreamName="`, { Ref: idOf(stack, ingest.stream) }, `"', 'Maximum', 60)`]],
    });
    expect(age.period.toSeconds()).toBe(60);
    expect(() => ingest.metricPerShard(kinesis.ShardLevelMetrics.INCOMING_RECORDS)).toThrow(/IncomingRecords is not a shard-level metric/);
  });

  test('ALL enables every one; statistic and period are configurable', () => {
    const { ingest } = synth({ shardLevelMetrics: [kinesis.ShardLevelMetrics.ALL] });
    const records = ingest.metricPerShard(kinesis.ShardLevelMetrics.INCOMING_RECORDS, 'Sum', { period: Duration.minutes(5) });
    expect(records.expression).toMatch(/MetricName="IncomingRecords".*'Sum', 300\)$/);
    expect(records.period.toMinutes()).toBe(5);
  });

  test('an unknown metric name is rejected', () => {
    expect(() => new StreamIngest(testStack(), 'Ingest', { shardLevelMetrics: ['IteratorAge' as kinesis.ShardLevelMetrics] })).toThrow(
      /shardLevelMetrics\[0\] is "IteratorAge"; it must be one of IncomingBytes, IncomingRecords/,
    );
  });
});

describe('StreamIngest archive', () => {
  const { stack, ingest, bucket, template } = synth({}, true);
  const streamId = idOf(stack, ingest.stream);
  const keyId = idOf(stack, ingest.encryptionKey as kms.Key);
  const bucketId = idOf(stack, bucket!);
  const bucketKeyId = idOf(stack, bucket!.encryptionKey as kms.Key);

  test('a Firehose delivery stream reads the Kinesis stream', () => {
    expect(ingest.archive).toBeDefined();
    template.resourceCountIs('AWS::KinesisFirehose::DeliveryStream', 1);
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamType: 'KinesisStreamAsSource',
      KinesisStreamSourceConfiguration: {
        KinesisStreamARN: { 'Fn::GetAtt': [streamId, 'Arn'] },
        RoleARN: Match.anyValue(),
      },
    });
  });

  test('writes gzip JSON Lines to the bucket under dated prefixes, encrypted with the bucket key', () => {
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      ExtendedS3DestinationConfiguration: Match.objectLike({
        BucketARN: { 'Fn::GetAtt': [bucketId, 'Arn'] },
        CompressionFormat: 'GZIP',
        Prefix: 'stream-archive/dt=!{timestamp:yyyy-MM-dd}/hr=!{timestamp:HH}/',
        ErrorOutputPrefix: 'stream-archive/errors/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/',
        BufferingHints: Match.objectLike({ IntervalInSeconds: 300 }),
        EncryptionConfiguration: { KMSEncryptionConfig: { AWSKMSKeyARN: { 'Fn::GetAtt': [bucketKeyId, 'Arn'] } } },
        ProcessingConfiguration: {
          Enabled: true,
          Processors: [
            {
              Type: 'AppendDelimiterToRecord',
              Parameters: [{ ParameterName: 'Delimiter', ParameterValue: '\\n' }],
            },
          ],
        },
      }),
    });
  });

  test('delivery errors are logged to a KMS-encrypted log group with retention', () => {
    template.resourceCountIs('AWS::Logs::LogGroup', 1);
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 30, KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } },
      DeletionPolicy: 'Retain',
    });
    const logGroupId = Object.keys(template.findResources('AWS::Logs::LogGroup'))[0];
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      ExtendedS3DestinationConfiguration: Match.objectLike({
        CloudWatchLoggingOptions: { Enabled: true, LogGroupName: { Ref: logGroupId }, LogStreamName: Match.anyValue() },
      }),
    });
  });

  test('CloudWatch Logs may use the pipeline key for the log group', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AllowCloudWatchLogsForThisAccount',
            Principal: { Service: { 'Fn::Join': ['', ['logs.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
          }),
        ]),
      },
    });
  });

  test('the delivery roles can read the stream (and decrypt it) and write the bucket', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: Match.arrayWith(['kinesis:GetRecords']), Resource: { 'Fn::GetAtt': [streamId, 'Arn'] } }),
          Match.objectLike({ Action: 'kms:Decrypt', Resource: { 'Fn::GetAtt': [keyId, 'Arn'] } }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Action: Match.arrayWith(['s3:PutObject']) })]),
      },
    });
  });

  /** Every statement of the policies attached to roles Firehose assumes, resolved. */
  function firehoseStatements(t: Template): Array<{ Action: string | string[]; Resource: unknown; Effect: string }> {
    const roles = Object.entries(t.findResources('AWS::IAM::Role'))
      .filter(([, r]) => JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('firehose.amazonaws.com'))
      .map(([id]) => id);
    expect(roles).toHaveLength(2);
    return Object.values(t.findResources('AWS::IAM::Policy'))
      .filter((p) => (p.Properties.Roles as Array<{ Ref: string }>).some((r) => roles.includes(r.Ref)))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
  }
  const actionsOf = (s: { Action: string | string[] }) => [s.Action].flat();

  test('least privilege: the archive role may only put, multipart and list under stream-archive/ (no delete, retention, legal hold or read)', () => {
    const statements = firehoseStatements(template);
    const s3Actions = statements.flatMap(actionsOf).filter((a) => a.startsWith('s3:')).sort();
    expect(s3Actions).toEqual([
      's3:AbortMultipartUpload',
      's3:GetBucketLocation',
      's3:ListBucket',
      's3:ListBucketMultipartUploads',
      's3:ListMultipartUploadParts',
      's3:PutObject',
    ]);
    const objectStatement = statements.find((s) => actionsOf(s).includes('s3:PutObject'))!;
    expect(objectStatement.Resource).toEqual({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/stream-archive/*']] });
    expect(actionsOf(objectStatement).sort()).toEqual(['s3:AbortMultipartUpload', 's3:ListMultipartUploadParts', 's3:PutObject']);
    const bucketStatement = statements.find((s) => actionsOf(s).includes('s3:ListBucket'))!;
    expect(bucketStatement.Resource).toEqual({ 'Fn::GetAtt': [bucketId, 'Arn'] });
    // The bucket key: data keys for SSE-KMS writes and decrypt for multipart uploads, nothing else.
    const bucketKeyActions = statements
      .filter((s) => JSON.stringify(s.Resource) === JSON.stringify({ 'Fn::GetAtt': [bucketKeyId, 'Arn'] }))
      .flatMap(actionsOf)
      .sort();
    expect(bucketKeyActions).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect(statements.every((s) => s.Effect === 'Allow' && JSON.stringify(s.Resource) !== '"*"')).toBe(true);
  });

  test('least privilege: the archive roles trust Firehose for this account only (aws:SourceAccount)', () => {
    const trusts = Object.values(template.findResources('AWS::IAM::Role'))
      .map((r) => r.Properties.AssumeRolePolicyDocument.Statement)
      .filter((st) => JSON.stringify(st).includes('firehose.amazonaws.com'));
    expect(trusts).toHaveLength(2);
    for (const statements of trusts) {
      expect(statements).toEqual([
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'firehose.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
        },
      ]);
    }
  });

  test('least privilege: a custom archive prefix scopes the object grant to it', () => {
    const { template: t, stack: s, bucket: b } = synth({ archivePrefix: 'kinesis/' }, true);
    const objectStatement = firehoseStatements(t).find((st) => actionsOf(st).includes('s3:PutObject'))!;
    expect(objectStatement.Resource).toEqual({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [idOf(s, b!), 'Arn'] }, '/kinesis/*']] });
  });

  test('the stream is still retained', () => {
    template.hasResource('AWS::Kinesis::Stream', { DeletionPolicy: 'Retain' });
  });

  test('snapshot (archived)', () => {
    expect(ownTemplate(ingest)).toMatchSnapshot();
  });

  test('prefix, buffering interval and log retention are configurable', () => {
    const { template: t } = synth(
      { archivePrefix: 'kinesis/', archiveBufferingInterval: Duration.seconds(60), logRetention: logs.RetentionDays.ONE_WEEK },
      true,
    );
    t.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      ExtendedS3DestinationConfiguration: Match.objectLike({
        Prefix: 'kinesis/dt=!{timestamp:yyyy-MM-dd}/hr=!{timestamp:HH}/',
        ErrorOutputPrefix: 'kinesis/errors/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/',
        BufferingHints: Match.objectLike({ IntervalInSeconds: 60 }),
      }),
    });
    t.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
  });

  test('an empty prefix archives at the bucket root', () => {
    const { template: t } = synth({ archivePrefix: '' }, true);
    t.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      ExtendedS3DestinationConfiguration: Match.objectLike({ Prefix: 'dt=!{timestamp:yyyy-MM-dd}/hr=!{timestamp:HH}/' }),
    });
  });

  test('with a user-supplied key, CloudWatch Logs may still use it for the archive log group', () => {
    // The archive's log group is encrypted with the stream key; CloudWatch Logs refuses to create a
    // KMS-encrypted log group unless the key policy lets the logs service principal use the key.
    const s = testStack();
    const key = new kms.Key(s, 'UserKey', { enableKeyRotation: true });
    new StreamIngest(s, 'Ingest', { encryptionKey: key, archiveBucket: new s3.Bucket(s, 'B') });
    const t = Template.fromStack(s);
    t.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: { 'Fn::GetAtt': [idOf(s, key), 'Arn'] } });
    t.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: { 'Fn::Join': ['', ['logs.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
            Action: Match.arrayWith(['kms:Encrypt*', 'kms:GenerateDataKey*']),
          }),
        ]),
      },
    });
  });
});

describe('StreamIngest props validation', () => {
  const build = (props: StreamIngestProps) => () => new StreamIngest(testStack(), 'Ingest', props);

  test('shardCount with ON_DEMAND (explicit or default) is rejected', () => {
    expect(build({ shardCount: 2 })).toThrow(/shardCount is 2; it is only allowed with streamMode PROVISIONED \(streamMode is ON_DEMAND\)/);
    expect(build({ streamMode: kinesis.StreamMode.ON_DEMAND, shardCount: 2 })).toThrow(/shardCount is 2/);
  });

  test('retention outside 24 h..8760 h is rejected', () => {
    expect(build({ retentionPeriod: Duration.hours(23) })).toThrow(/retentionPeriod is 23 hours; it must be from 1 day to 365 days/);
    expect(build({ retentionPeriod: Duration.hours(8761) })).toThrow(/retentionPeriod is 365 days 1 hour; it must be from 1 day to 365 days/);
  });

  test('shardCount outside 1..10000 or fractional is rejected', () => {
    expect(build({ streamMode: kinesis.StreamMode.PROVISIONED, shardCount: 0 })).toThrow(/shardCount is 0; it must be an integer from 1 to 10,000/);
    expect(build({ streamMode: kinesis.StreamMode.PROVISIONED, shardCount: 1.5 })).toThrow(/shardCount is 1.5; it must be an integer/);
  });

  test('archive options need an archive bucket, and the prefix must be a plain key prefix', () => {
    expect(build({ archivePrefix: 'x/' })).toThrow(/archivePrefix and archiveBufferingInterval need archiveBucket/);
    expect(build({ archiveBufferingInterval: Duration.seconds(60) })).toThrow(/need archiveBucket/);
    const stack = testStack();
    const bucket = new s3.Bucket(stack, 'B');
    for (const prefix of ['/abs/', 'no-slash', 'a/!{x}/']) {
      expect(() => new StreamIngest(stack, `I${prefix.length}${prefix.charCodeAt(0)}`, { archiveBucket: bucket, archivePrefix: prefix })).toThrow(
        new RegExp(`archivePrefix is ${JSON.stringify(prefix).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
      );
    }
  });

  test('every problem is reported in one error', () => {
    let message = '';
    try {
      build({
        shardCount: 0,
        retentionPeriod: Duration.hours(1),
        archivePrefix: '/bad',
        archiveBufferingInterval: Duration.seconds(901),
      })();
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^Invalid StreamIngest \(TestStack\/Ingest\) props:/);
    expect(message).toMatch(/shardCount is 0; it is only allowed with streamMode PROVISIONED/);
    expect(message).toMatch(/shardCount is 0; it must be an integer from 1 to 10,000/);
    expect(message).toMatch(/retentionPeriod is 1 hour; it must be from 1 day to 365 days/);
    expect(message).toMatch(/archiveBufferingInterval is 15 minutes 1 second; it must be from 0 seconds to 15 minutes/);
    expect(message).toMatch(/archivePrefix is "\/bad"; it must be empty or a key prefix ending in "\/"/);
    expect(message).toMatch(/archivePrefix and archiveBufferingInterval need archiveBucket/);
    expect(message.split('\n').filter((l) => l.startsWith('  - '))).toHaveLength(6);
  });
});
