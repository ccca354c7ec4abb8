import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import { DeadLetterQueue, DeadLetterQueueProps } from '../../lib/reliability/dead-letter-queue';
import { testStack } from '../support/cdk';
import { ownTemplate } from '../support/construct-snapshot';
import { denyInsecureTransport } from '../support/assertions';

function idOf(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as never);
}

/** A stack with a user key and a DLQ encrypted with it. */
function synth(props: Omit<DeadLetterQueueProps, 'encryptionKey'> = {}) {
  const stack = testStack();
  const key = new kms.Key(stack, 'PipelineKey', { enableKeyRotation: true });
  const dlq = new DeadLetterQueue(stack, 'Dlq', { encryptionKey: key, ...props });
  return { stack, key, dlq, template: Template.fromStack(stack) };
}

describe('DeadLetterQueue', () => {
  const { stack, key, dlq, template } = synth({ sourceDescription: 'the orders buffer' });
  const queueId = idOf(stack, dlq.queue);
  const keyId = idOf(stack, key);

  test('one queue, KMS-encrypted with the given key, 14 days retention by default', () => {
    template.resourceCountIs('AWS::SQS::Queue', 1);
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResourceProperties('AWS::SQS::Queue', {
      KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
      KmsDataKeyReusePeriodSeconds: 3600,
      MessageRetentionPeriod: 1209600,
      RedrivePolicy: Match.absent(),
    });
    expect(dlq.encryptionKey).toBe(key);
  });

  test('the queue policy denies requests without TLS', () => {
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          denyInsecureTransport('sqs:*', { 'Fn::GetAtt': [queueId, 'Arn'] }),
        ]),
      },
    });
  });

  test('depth alarm fires on the first visible message', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 1);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
      Statistic: 'Maximum',
      Period: 60,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmDescription: Match.stringLikeRegexp('dead-letter queue of the orders buffer'),
    });
    expect(stack.resolve(dlq.depthAlarm.alarmArn)).toEqual({
      'Fn::GetAtt': [idOf(stack, dlq.depthAlarm), 'Arn'],
    });
  });

  test('metric methods: per-minute maxima of the queue, scoped by queue name', () => {
    const visible = dlq.metricMessagesVisible();
    expect(visible.namespace).toBe('AWS/SQS');
    expect(visible.metricName).toBe('ApproximateNumberOfMessagesVisible');
    expect(visible.statistic).toBe('Maximum');
    expect(visible.period.toSeconds()).toBe(60);
    expect(stack.resolve(visible.dimensions)).toEqual({ QueueName: { 'Fn::GetAtt': [queueId, 'QueueName'] } });

    const age = dlq.metricOldestMessageAge();
    expect(age.metricName).toBe('ApproximateAgeOfOldestMessage');
    expect(age.statistic).toBe('Maximum');
    expect(age.period.toSeconds()).toBe(60);
    expect(stack.resolve(age.dimensions)).toEqual({ QueueName: { 'Fn::GetAtt': [queueId, 'QueueName'] } });

    expect(dlq.metricMessagesVisible({ period: Duration.minutes(5) }).period.toMinutes()).toBe(5);
  });

  test('snapshot', () => {
    expect(ownTemplate(dlq)).toMatchSnapshot();
  });
});

describe('DeadLetterQueue options', () => {
  test('without a key, creates its own with rotation on', () => {
    const stack = testStack();
    const dlq = new DeadLetterQueue(stack, 'Dlq');
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::SQS::Queue', {
      KmsMasterKeyId: { 'Fn::GetAtt': [idOf(stack, dlq.encryptionKey as kms.Key), 'Arn'] },
    });
    // Default description.
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmDescription: Match.stringLikeRegexp('dead-letter queue of its source') });
  });

  test('retention is configurable when longer than the source retention', () => {
    const { template } = synth({ retentionPeriod: Duration.days(7), sourceRetentionPeriod: Duration.days(4) });
    template.hasResourceProperties('AWS::SQS::Queue', { MessageRetentionPeriod: 7 * 86400 });
  });

  test('14 days is allowed even when the source keeps messages as long (the SQS maximum)', () => {
    expect(() => synth({ sourceRetentionPeriod: Duration.days(14) })).not.toThrow();
    expect(() => synth({ sourceRetentionPeriod: Duration.days(365) })).not.toThrow();
  });

  test('grantConsumeMessages lets an operator receive, delete and decrypt', () => {
    const stack = testStack();
    const dlq = new DeadLetterQueue(stack, 'Dlq');
    const role = new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() });
    dlq.grantConsumeMessages(role);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: idOf(stack, role) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['sqs:DeleteMessage', 'sqs:ReceiveMessage']),
            Resource: { 'Fn::GetAtt': [idOf(stack, dlq.queue), 'Arn'] },
          }),
          Match.objectLike({
            Action: 'kms:Decrypt',
            Resource: { 'Fn::GetAtt': [idOf(stack, dlq.encryptionKey as kms.Key), 'Arn'] },
          }),
        ]),
      },
    });
  });

  test('least privilege: as an event source destination, the function may only send to the queue and use the key\'s data key (no kms:Encrypt, kms:ReEncrypt*)', () => {
    const stack = testStack();
    const dlq = new DeadLetterQueue(stack, 'Dlq');
    const fn = new lambda.Function(stack, 'Fn', { runtime: lambda.Runtime.NODEJS_LATEST, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler=()=>{}') });
    fn.addEventSource(
      new sources.KinesisEventSource(new kinesis.Stream(stack, 'S'), { startingPosition: lambda.StartingPosition.TRIM_HORIZON, onFailure: dlq.asEventSourceDestination() }),
    );
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [idOf(stack, dlq.queue), 'Arn'] } } },
    });
    const statements = Object.values(t.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>);
    const on = (id: string) => statements.filter((st) => JSON.stringify(st.Resource) === JSON.stringify({ 'Fn::GetAtt': [id, 'Arn'] })).flatMap((st) => [st.Action].flat()).sort();
    expect(on(idOf(stack, dlq.queue))).toEqual(['sqs:SendMessage']);
    expect(on(idOf(stack, dlq.encryptionKey as kms.Key))).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
  });

  test('the queue is retained by default: its messages are records the pipeline gave up on (DESIGN §4)', () => {
    const { template } = synth();
    template.hasResource('AWS::SQS::Queue', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });
});

describe('DeadLetterQueue props validation', () => {
  const build = (props: DeadLetterQueueProps) => () => new DeadLetterQueue(testStack(), 'Dlq', props);

  test('retention shorter than the source retention is rejected', () => {
    expect(build({ retentionPeriod: Duration.days(3), sourceRetentionPeriod: Duration.days(4) })).toThrow(
      /^Invalid DeadLetterQueue \(TestStack\/Dlq\) props:\n {2}- retentionPeriod is 3 days; it must be longer than the source's retention \(4 days\), up to 14 days$/,
    );
  });

  test('retention equal to the source retention is rejected', () => {
    expect(build({ retentionPeriod: Duration.days(4), sourceRetentionPeriod: Duration.days(4) })).toThrow(
      /retentionPeriod is 4 days; it must be longer than the source's retention \(4 days\)/,
    );
    expect(build({ retentionPeriod: Duration.hours(97), sourceRetentionPeriod: Duration.days(4) })).not.toThrow();
  });

  test('retention longer than 14 days is rejected', () => {
    expect(build({ retentionPeriod: Duration.days(15) })).toThrow(/retentionPeriod is 15 days; it must be from 1 minute to 14 days/);
    expect(build({ retentionPeriod: Duration.seconds(1209601) })).toThrow(/retentionPeriod is 14 days 1 second/);
  });

  test('retention shorter than 1 minute is rejected', () => {
    expect(build({ retentionPeriod: Duration.seconds(59) })).toThrow(/retentionPeriod is 59 seconds; it must be from 1 minute to 14 days/);
  });

  test('the default retention is checked against the source too', () => {
    expect(build({ sourceRetentionPeriod: Duration.days(4) })).not.toThrow();
  });
});
