import * as path from 'node:path';
import { Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { IdempotencyStore, SchemaRegistry, TransformFunction, TransformFunctionProps } from '../../lib';
import { latestNodeRuntime } from '../../lib/core/lambda-runtime';
import { CLICKSTREAM_TRANSFORM, ROOT, testStack } from '../support/cdk';
import { ownTemplate } from '../support/construct-snapshot';

function setup(props: Partial<TransformFunctionProps> = {}, stack: Stack = testStack()) {
  const curated = new s3.Bucket(stack, 'Curated', { encryption: s3.BucketEncryption.KMS });
  const quarantine = new s3.Bucket(stack, 'Quarantine', { encryption: s3.BucketEncryption.KMS });
  const fn = new TransformFunction(stack, 'Transform', {
    transformEntry: CLICKSTREAM_TRANSFORM,
    pipelineName: 'clicks',
    curatedBucket: curated,
    quarantineBucket: quarantine,
    ...props,
  });
  return { stack, fn, curated, quarantine };
}

describe('TransformFunction', () => {
  test('runs arm64 on the newest Node.js runtime (nodejs24.x with our aws-cdk-lib) with X-Ray, JSON logs and the runtime environment', () => {
    const { stack } = setup({ dataset: 'events', idField: 'eventId', eventTimeField: 'eventTime' });
    expect(latestNodeRuntime().name).toBe('nodejs24.x');
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Runtime: latestNodeRuntime().name,
      Architectures: ['arm64'],
      MemorySize: 1024,
      Timeout: 60,
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: Match.objectLike({ LogFormat: 'JSON' }),
      Environment: {
        Variables: Match.objectLike({
          PIPELINE_NAME: 'clicks',
          PIPELINE_STAGE: 'transform',
          DATASET: 'events',
          RECORD_ID_FIELD: 'eventId',
          EVENT_TIME_FIELD: 'eventTime',
          TRANSFORM_VERSION: Match.stringLikeRegexp('^[0-9a-f]{12}$'),
          CURATED_BUCKET: { Ref: Match.stringLikeRegexp('^Curated') },
          QUARANTINE_BUCKET: { Ref: Match.stringLikeRegexp('^Quarantine') },
        }),
      },
    });
  });

  test('passes the event time bounds (first partition date, future skew) to the runtime, and validates them', () => {
    Template.fromStack(setup().stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ EVENT_TIME_EARLIEST: '2024-01-01', EVENT_TIME_MAX_SKEW_SECONDS: '900' }) },
    });
    Template.fromStack(setup({ firstPartitionDate: '2025-06-01', maxEventTimeSkew: Duration.hours(1) }).stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ EVENT_TIME_EARLIEST: '2025-06-01', EVENT_TIME_MAX_SKEW_SECONDS: '3600' }) },
    });
    expect(() => setup({ firstPartitionDate: '2025-13-01', maxEventTimeSkew: Duration.days(8) })).toThrow(
      /firstPartitionDate is "2025-13-01"; it must be a date as YYYY-MM-DD[\s\S]*maxEventTimeSkew is 8 days; it must be from 1 second to 7 days/,
    );
  });

  test('logs to its own KMS-encrypted log group with retention, and its role has no managed policies', () => {
    const { stack } = setup();
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30, KmsKeyId: Match.anyValue() });
    t.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Retain' });
    t.hasResourceProperties('AWS::Lambda::Function', { LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: Match.stringLikeRegexp('TransformLogs') } } });
    const roles = t.findResources('AWS::IAM::Role');
    for (const role of Object.values(roles)) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });

  test('may only put objects under its dataset prefix in curated and quarantine', () => {
    const { stack } = setup({ dataset: 'events' });
    const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy');
    const statements = Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>);
    const s3Statements = statements.filter((s) => JSON.stringify(s.Action).includes('s3:'));
    for (const s of s3Statements) expect(s.Action).toBe('s3:PutObject');
    const resources = s3Statements.flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]));
    expect(resources).toHaveLength(3);
    expect(resources.map((r) => JSON.stringify(r)).sort()).toEqual([
      expect.stringMatching(/Curated.*\/_lineage\/events\/\*/),
      expect.stringMatching(/Curated.*"\/events\/\*/),
      expect.stringMatching(/Quarantine.*\/events\/\*/),
    ]);
    expect(statements.some((s) => JSON.stringify(s.Action).includes('s3:GetObject') || JSON.stringify(s.Action).includes('s3:Delete'))).toBe(false);
  });

  test('event sources invoke the live alias, with provisioned concurrency on it when asked', () => {
    const { stack, fn } = setup({ provisionedConcurrency: 2, reservedConcurrency: 10 });
    fn.addSqsSource(new sqs.Queue(stack, 'Q'));
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::Lambda::Alias', { Name: 'live', ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 2 } });
    t.hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: 10 });
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { 'Fn::Join': ['', Match.arrayWith([':live'])] },
    });
  });

  test('Kinesis source: partial batch failures, bisect, retries bounded by record age (18 h, below the 24 h stream retention) rather than a small count, on-failure DLQ', () => {
    const { stack, fn } = setup();
    const dlq = fn.addKinesisSource(new kinesis.Stream(stack, 'S'));
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 1,
      ParallelizationFactor: 1,
      BisectBatchOnFunctionError: true,
      MaximumRecordAgeInSeconds: 18 * 3600,
      MaximumRetryAttempts: Match.absent(), // unlimited: an outage is ridden out until the age bound
      StartingPosition: 'TRIM_HORIZON',
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [stack.getLogicalId(dlq.queue.node.defaultChild as sqs.CfnQueue), 'Arn'] } } },
    });
    expect(fn.deadLetterQueues).toEqual([dlq]);
    // The DLQ is the transform's (its own snapshot covers the rest): the transform's key, an alarm naming the source.
    expect(dlq.node.scope).toBe(fn);
    expect(dlq.encryptionKey).toBe(fn.encryptionKey);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('the Kinesis source of TestStack/Transform \\(batch metadata: shard and sequence range\\)'),
    });
  });

  test('passes the function timeout to the runtime (FUNCTION_TIMEOUT_SECONDS), which sizes its SDK timeouts', () => {
    const { stack } = setup({ timeout: Duration.seconds(45) });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ FUNCTION_TIMEOUT_SECONDS: '45' }) },
    });
  });

  test('Kinesis source options are applied', () => {
    const { stack, fn } = setup();
    fn.addKinesisSource(new kinesis.Stream(stack, 'S'), {
      batchSize: 1000,
      maxBatchingWindow: Duration.seconds(5),
      parallelizationFactor: 4,
      bisectBatchOnError: false,
      maxRecordAge: Duration.hours(2),
      retryAttempts: 7,
      startingPosition: lambda.StartingPosition.LATEST,
    });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 1000,
      MaximumBatchingWindowInSeconds: 5,
      ParallelizationFactor: 4,
      BisectBatchOnFunctionError: false,
      MaximumRecordAgeInSeconds: 7200,
      MaximumRetryAttempts: 7,
      StartingPosition: 'LATEST',
    });
  });

  test('SQS source: partial batch failures and a concurrency cap', () => {
    const { stack, fn } = setup();
    const dlq = new sqs.Queue(stack, 'Dlq');
    fn.addSqsSource(new sqs.Queue(stack, 'Q', { deadLetterQueue: { queue: dlq, maxReceiveCount: 3 } }), {
      batchSize: 50,
      maxBatchingWindow: Duration.seconds(3),
      maxConcurrency: 20,
    });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 50,
      MaximumBatchingWindowInSeconds: 3,
      ScalingConfig: { MaximumConcurrency: 20 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('no redrive DLQ'));
  });

  test('warns when an SQS source has no redrive DLQ', () => {
    const { stack, fn } = setup();
    fn.addSqsSource(new sqs.Queue(stack, 'Q'));
    Annotations.fromStack(stack).hasWarning('/TestStack/Transform', Match.stringLikeRegexp('no redrive DLQ'));
  });

  test('warns and ignores environment variables the runtime controls', () => {
    const { stack } = setup({ environment: { PIPELINE_NAME: 'evil', FEATURE: 'on' } });
    Annotations.fromStack(stack).hasWarning('/TestStack/Transform', Match.stringLikeRegexp('PIPELINE_NAME'));
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ PIPELINE_NAME: 'clicks', FEATURE: 'on' }) },
    });
  });

  test('rejects bad props in one error naming each prop, its value and the allowed range', () => {
    expect(() =>
      setup({
        transformEntry: path.join(ROOT, 'examples', 'clickstream', 'missing.ts'),
        pipelineName: 'Bad Name',
        memorySize: 64,
        timeout: Duration.minutes(20),
        reservedConcurrency: 2,
        provisionedConcurrency: 5,
      }),
    ).toThrow(
      new RegExp(
        [
          'Invalid TransformFunction \\(TestStack/Transform\\) props:',
          'transformEntry is ".*missing.ts"; no such file',
          'pipelineName is "Bad Name"; it must be 2 to 63 characters',
          'memorySize is 64; it must be an integer from 128 to 10,240',
          'timeout is 20 minutes; it must be from 1 second to 15 minutes',
          'provisionedConcurrency is 5; it must not exceed reservedConcurrency \\(2\\)',
        ].join('[\\s\\S]*'),
      ),
    );
  });

  test('rejects a transform entry that is not a script', () => {
    expect(() => setup({ transformEntry: path.join(ROOT, 'examples', 'clickstream', 'schemas', 'clickstream-v1.json') })).toThrow(
      /transformEntry is ".*clickstream-v1.json"; it must be a \.ts, \.mts, \.cts, \.js, \.mjs, \.cjs file/,
    );
  });

  test('rejects bad source options', () => {
    const { stack, fn } = setup();
    expect(() =>
      fn.addKinesisSource(new kinesis.Stream(stack, 'S'), { batchSize: 0, parallelizationFactor: 11, maxRecordAge: Duration.days(8) }),
    ).toThrow(/batchSize is 0; it must be an integer from 1 to 10,000[\s\S]*parallelizationFactor is 11[\s\S]*maxRecordAge is 8 days/);
    expect(() => fn.addSqsSource(new sqs.Queue(stack, 'Q'), { batchSize: 100, maxConcurrency: 1 })).toThrow(
      /maxConcurrency is 1; it must be an integer from 2 to 1,000[\s\S]*batchSize is 100; above 10 it needs maxBatchingWindow/,
    );
  });

  test('without idField, records are identified by a hash (no RECORD_ID_FIELD)', () => {
    const { stack } = setup();
    const fn = Template.fromStack(stack).findResources('AWS::Lambda::Function');
    const variables = Object.values(fn)[0].Properties.Environment.Variables;
    expect(variables.RECORD_ID_FIELD).toBeUndefined();
    expect(variables.IDEMPOTENCY_TABLE).toBeUndefined();
    expect(variables.PII_SECRET_ARN).toBeUndefined();
  });

  test('an idField marked x-pii creates the PII key secret even when every field is only redacted (ids are its keyed hash)', () => {
    const stack = testStack();
    const registry = new SchemaRegistry(stack, 'Schemas', { schemas: [{ version: '1', file: path.join(ROOT, 'test', 'schema', 'fixtures', 'redact-only.json') }] });
    expect(registry.hasHashedFields).toBe(false);
    const { fn } = setup({ schemaRegistry: registry, idField: 'customerEmail' }, stack);
    expect(fn.piiSecret).toBeDefined();
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ RECORD_ID_FIELD: 'customerEmail', PII_SECRET_ARN: { Ref: Match.stringLikeRegexp('PiiHashKey') } }) },
    });
    const other = testStack();
    const plain = new SchemaRegistry(other, 'Schemas', { schemas: [{ version: '1', file: path.join(ROOT, 'test', 'schema', 'fixtures', 'redact-only.json') }] });
    expect(setup({ schemaRegistry: plain, idField: 'orderId' }, other).fn.piiSecret).toBeUndefined();
  });

  test('with a schema registry with hashed fields: creates the PII key secret and may read it', () => {
    const stack = testStack();
    const registry = new SchemaRegistry(stack, 'Schemas', {
      schemas: [{ version: '1', file: path.join(ROOT, 'examples', 'clickstream', 'schemas', 'clickstream-v1.json') }],
    });
    const { fn } = setup({ schemaRegistry: registry }, stack);
    expect(fn.piiSecret).toBeDefined();
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({ PasswordLength: 64, ExcludePunctuation: true }),
      KmsKeyId: Match.anyValue(),
    });
    t.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Retain' });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ PII_SECRET_ARN: { Ref: Match.stringLikeRegexp('PiiHashKey') } }) },
    });
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'], Resource: { Ref: Match.stringLikeRegexp('PiiHashKey') } }),
        ]),
      },
    });
  });

  test('least privilege: the PII hashing secret denies GetSecretValue to every principal but the transform role', () => {
    const stack = testStack();
    const registry = new SchemaRegistry(stack, 'Schemas', {
      schemas: [{ version: '1', file: path.join(ROOT, 'examples', 'clickstream', 'schemas', 'clickstream-v1.json') }],
    });
    const { fn } = setup({ schemaRegistry: registry }, stack);
    const t = Template.fromStack(stack);
    const policies = Object.values(t.findResources('AWS::SecretsManager::ResourcePolicy'));
    expect(policies).toHaveLength(1);
    expect(policies[0].Properties.SecretId).toEqual({ Ref: expect.stringMatching(/PiiHashKey/) });
    expect(policies[0].Properties.ResourcePolicy.Statement).toEqual([
      {
        Sid: 'OnlyTheTransformRoleReadsTheKey',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'secretsmanager:GetSecretValue',
        Resource: '*',
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': { 'Fn::GetAtt': [stack.getLogicalId(fn.role.node.defaultChild as never), 'Arn'] } } },
      },
    ]);
  });

  test('with an idempotency store: table env, claim permissions and HeadObject on its own prefixes only', () => {
    const stack = testStack();
    const store = new IdempotencyStore(stack, 'Store', { timeToLive: Duration.days(7) });
    setup({ idempotencyStore: store, dataset: 'events' }, stack);
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        // A claim younger than the timeout (60 s by default) and a margin is another invocation's write in flight.
        Variables: Match.objectLike({
          IDEMPOTENCY_TABLE: { Ref: Match.stringLikeRegexp('StoreTable') },
          IDEMPOTENCY_TTL_SECONDS: String(7 * 86400),
          CLAIM_IN_FLIGHT_SECONDS: '90',
        }),
      },
    });
    const statements = Object.values(t.findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>,
    );
    const dynamo = statements.find((st) => JSON.stringify(st.Action).includes('dynamodb:'));
    expect([...(dynamo?.Action as string[])].sort()).toEqual(['dynamodb:BatchGetItem', 'dynamodb:PutItem']);
    const reads = statements.find((st) => st.Action === 's3:GetObject');
    expect(JSON.stringify(reads?.Resource)).toMatch(/Curated.*\/events\/\*.*Quarantine.*\/events\/\*/);
  });

  test('with an idempotency store: s3:ListBucket on curated and quarantine only under the dataset prefix (a missing key answers 404, not 403)', () => {
    const stack = testStack();
    const store = new IdempotencyStore(stack, 'Store');
    setup({ idempotencyStore: store, dataset: 'events' }, stack);
    const statements = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown; Condition?: unknown }>,
    );
    const lists = statements.filter((st) => [st.Action].flat().some((a) => /^s3:(List|\*)/.test(a)));
    expect(lists).toEqual([
      {
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: [{ 'Fn::GetAtt': [expect.stringMatching(/^Curated/), 'Arn'] }, { 'Fn::GetAtt': [expect.stringMatching(/^Quarantine/), 'Arn'] }],
        Condition: { StringLike: { 's3:prefix': ['events/*'] } },
      },
    ]);
  });

  test('claim check: RAW_BUCKET and put permission under claim-check/<dataset>/ only', () => {
    const stack = testStack();
    const raw = new s3.Bucket(stack, 'Raw');
    setup({ rawBucket: raw, maxRecordBytes: 4096, dataset: 'events' }, stack);
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ RAW_BUCKET: { Ref: Match.stringLikeRegexp('^Raw') }, MAX_RECORD_BYTES: '4096' }) },
    });
    expect(JSON.stringify(t.toJSON())).toContain('/claim-check/events/*');
  });

  test('sink table: env, PutItem only (no reads, no deletes); sinkTableKey needs a table', () => {
    const stack = testStack();
    const table = new dynamodb.Table(stack, 'Sink', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
    setup({ sinkTable: table, sinkTableKey: 'pk' }, stack);
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ SINK_TABLE: { Ref: Match.stringLikeRegexp('^Sink') }, SINK_TABLE_KEY: 'pk' }) },
    });
    const statements = Object.values(t.findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[] }>,
    );
    const dynamoActions = statements.flatMap((st) => [st.Action].flat()).filter((a) => a.startsWith('dynamodb:'));
    expect(dynamoActions).toEqual(['dynamodb:PutItem']);
    expect(() => setup({ sinkTableKey: 'pk' })).toThrow(/sinkTableKey is set but sinkTable is not/);
  });

  test('least privilege: a raw bucket (claim checks) gives no read of raw; grantReadObjects reads only the given prefixes', () => {
    const rawReads = (grant: boolean) => {
      const stack = testStack();
      const raw = new s3.Bucket(stack, 'Raw', { encryption: s3.BucketEncryption.KMS });
      const { fn } = setup({ rawBucket: raw }, stack);
      if (grant) fn.grantReadObjects(raw, 'batch/*');
      return Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
        .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>)
        .filter((st) => [st.Action].flat().includes('s3:GetObject'))
        .flatMap((st) => [st.Resource].flat())
        .filter((r) => JSON.stringify(r).includes('Raw'));
    };
    expect(rawReads(false)).toEqual([]);
    expect(rawReads(true)).toEqual([{ 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^Raw/), 'Arn'] }, '/batch/*']] }]);
  });

  test('least privilege: no unused grants on the transform role (no dynamodb:GetItem, kms:Encrypt, kms:ReEncrypt*, kms:GenerateDataKey*)', () => {
    const stack = testStack();
    const { fn } = setup(
      {
        idempotencyStore: new IdempotencyStore(stack, 'Store'),
        rawBucket: new s3.Bucket(stack, 'Raw', { encryption: s3.BucketEncryption.KMS }),
        sinkTable: new dynamodb.Table(stack, 'Sink', { partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING } }),
      },
      stack,
    );
    const dlq = fn.addKinesisSource(new kinesis.Stream(stack, 'S', { encryption: kinesis.StreamEncryption.KMS }));
    fn.addSqsSource(new sqs.Queue(stack, 'Q', { encryption: sqs.QueueEncryption.KMS }));
    const t = Template.fromStack(stack);
    const roleId = stack.getLogicalId(fn.role.node.defaultChild as never);
    const statements = Object.values(t.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>);
    const actions = new Set(statements.flatMap((st) => [st.Action].flat()));
    for (const unused of ['dynamodb:GetItem', 'kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*']) expect(actions.has(unused)).toBe(false);
    // The Kinesis on-failure DLQ: send, and the data key to encrypt the message, nothing else.
    const dlqArn = { 'Fn::GetAtt': [stack.getLogicalId(dlq.queue.node.defaultChild as never), 'Arn'] };
    expect(statements.filter((st) => JSON.stringify(st.Resource) === JSON.stringify(dlqArn)).flatMap((st) => [st.Action].flat())).toEqual(['sqs:SendMessage']);
    const dlqKeyArn = { 'Fn::GetAtt': [stack.getLogicalId(dlq.encryptionKey.node.defaultChild as never), 'Arn'] };
    const dlqKeyActions = statements.filter((st) => JSON.stringify([st.Resource].flat()).includes(JSON.stringify(dlqKeyArn))).flatMap((st) => [st.Action].flat());
    expect([...new Set(dlqKeyActions)].sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
  });

  test('maxRecordBytes needs rawBucket and a sane size', () => {
    expect(() => setup({ maxRecordBytes: 100 })).toThrow(
      /maxRecordBytes is 100; it must be an integer from 1,024 to 5,242,880[\s\S]*maxRecordBytes is set but rawBucket is not/,
    );
  });

  test('snapshot', () => {
    const { stack, fn } = setup();
    fn.addKinesisSource(new kinesis.Stream(stack, 'S'));
    expect(ownTemplate(fn)).toMatchSnapshot();
  });
});
