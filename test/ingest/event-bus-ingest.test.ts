import { Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { EventBusIngest, EventBusIngestProps } from '../../lib/ingest/event-bus-ingest';
import { TEST_ENV, testStack } from '../support/cdk';
import { ownTemplate } from '../support/construct-snapshot';
import { denyInsecureTransport } from '../support/assertions';

function idOf(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as never);
}

function synth(props: EventBusIngestProps = {}) {
  const stack = testStack();
  const ingest = new EventBusIngest(stack, 'Ingest', props);
  return { stack, ingest, template: Template.fromStack(stack) };
}

describe('EventBusIngest defaults', () => {
  const { stack, ingest, template } = synth();
  const keyId = idOf(stack, ingest.encryptionKey as kms.Key);
  const busId = idOf(stack, ingest.eventBus as events.EventBus);
  const bufferId = idOf(stack, ingest.bufferQueue);
  const bufferDlqId = idOf(stack, ingest.bufferDeadLetterQueue.queue);
  const deliveryDlqId = idOf(stack, ingest.deliveryDeadLetterQueue.queue);
  const busName = template.findResources('AWS::Events::EventBus')[busId].Properties.Name;
  const busArn = `arn:aws:events:${TEST_ENV.region}:${TEST_ENV.account}:event-bus/${busName}`;

  test('a custom bus encrypted with the key, with a literal generated name', () => {
    template.resourceCountIs('AWS::Events::EventBus', 1);
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResourceProperties('AWS::Events::EventBus', {
      KmsKeyIdentifier: { 'Fn::GetAtt': [keyId, 'Arn'] },
      Name: Match.stringLikeRegexp('^TestStack-Ingest-[0-9A-F]{8}$'),
    });
    expect(typeof busName).toBe('string');
    expect(busName.length).toBeLessThanOrEqual(256);
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain' });
  });

  test('the key policy does not reference the bus (no key <-> bus dependency cycle)', () => {
    const keyPolicy = JSON.stringify(template.findResources('AWS::KMS::Key')[keyId].Properties.KeyPolicy);
    expect(keyPolicy).not.toContain(busId);
    expect(keyPolicy).not.toMatch(/"Fn::GetAtt":\["IngestBus/);
    expect(keyPolicy).not.toMatch(/"Ref":"IngestBus/);
    // The statements EventBridge needs name the bus by its literal ARN instead.
    expect(keyPolicy).toContain(busArn);
    // Neither does anything else the key depends on; Template.fromStack would also have thrown on a cycle.
    expect(template.findResources('AWS::KMS::Key')[keyId].DependsOn).toBeUndefined();
  });

  test('the key policy lets EventBridge use the key (bus, archive, encrypted queues)', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: Match.arrayWith(['kms:Decrypt', 'kms:GenerateDataKey']),
            Condition: { StringEquals: { 'aws:SourceAccount': TEST_ENV.account } },
          }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Condition: { StringEquals: Match.objectLike({ 'kms:EncryptionContext:aws:events:event-bus:arn': busArn }) },
          }),
        ]),
      },
    });
  });

  test('archive of the bus keeps events 30 days, KMS-encrypted, created after the bus', () => {
    template.resourceCountIs('AWS::Events::Archive', 1);
    template.hasResource('AWS::Events::Archive', {
      Properties: Match.objectLike({
        SourceArn: busArn,
        RetentionDays: 30,
        KmsKeyIdentifier: { 'Fn::GetAtt': [keyId, 'Arn'] },
        EventPattern: { account: [TEST_ENV.account] },
      }),
      DependsOn: Match.arrayWith([busId]),
    });
  });

  test('one rule on the bus with the default pattern { account: [<this account>] }', () => {
    template.resourceCountIs('AWS::Events::Rule', 1);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: busId },
      EventPattern: { account: [TEST_ENV.account] },
      State: 'ENABLED',
    });
    expect(ingest.rules).toHaveLength(1);
  });

  test('rule target is the buffer queue, with the delivery DLQ and retry policy (185, 24 h)', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [bufferId, 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [deliveryDlqId, 'Arn'] } },
          RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
        }),
      ],
    });
  });

  test('buffer queue: KMS, redrive to the buffer DLQ after 5 receives, 360 s visibility, 4 days retention', () => {
    template.resourceCountIs('AWS::SQS::Queue', 3);
    template.hasResourceProperties('AWS::SQS::Queue', {
      KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [bufferDlqId, 'Arn'] }, maxReceiveCount: 5 },
      VisibilityTimeout: 360,
      MessageRetentionPeriod: 4 * 24 * 3600,
    });
    expect(idOf(stack, ingest.bufferQueue)).toBe(bufferId);
  });

  test('both DLQs are KMS-encrypted with the key, keep messages 14 days and have a depth alarm', () => {
    for (const id of [bufferDlqId, deliveryDlqId]) {
      const queue = template.findResources('AWS::SQS::Queue')[id];
      expect(queue.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
      expect(queue.Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600);
      expect(queue.Properties.RedrivePolicy).toBeUndefined();
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [id, 'QueueName'] } }],
      });
    }
    template.resourceCountIs('AWS::CloudWatch::Alarm', 2);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('the buffer queue of TestStack/Ingest'),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('the event rules of TestStack/Ingest'),
    });
  });

  test('every queue policy denies insecure transport', () => {
    for (const id of [bufferId, bufferDlqId, deliveryDlqId]) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            denyInsecureTransport('sqs:*', { 'Fn::GetAtt': [id, 'Arn'] }),
          ]),
        },
      });
    }
  });

  /** The Allow statements of a queue's policy. */
  function allowsOf(t: Template, queueId: string): Array<Record<string, unknown>> {
    const policy = Object.values(t.findResources('AWS::SQS::QueuePolicy')).find((p) => JSON.stringify(p.Properties.Queues) === JSON.stringify([{ Ref: queueId }]));
    return (policy?.Properties.PolicyDocument.Statement ?? []).filter((st: { Effect: string }) => st.Effect === 'Allow');
  }

  test('least privilege: the buffer queue policy accepts only this construct\'s rule (aws:SourceArn), not any rule of the account', () => {
    const ruleId = idOf(stack, ingest.rules[0]);
    expect(allowsOf(template, bufferId)).toEqual([
      {
        Sid: expect.stringMatching(/^AllowOnlyEventRule/),
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: { 'Fn::GetAtt': [bufferId, 'Arn'] },
        Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [ruleId, 'Arn'] } } },
      },
    ]);
    expect(allowsOf(template, deliveryDlqId)).toEqual([
      expect.objectContaining({
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [ruleId, 'Arn'] } } },
      }),
    ]);
  });

  test('metricBufferAge: Maximum ApproximateAgeOfOldestMessage of the buffer per minute', () => {
    const metric = ingest.metricBufferAge();
    expect(metric.metricName).toBe('ApproximateAgeOfOldestMessage');
    expect(metric.namespace).toBe('AWS/SQS');
    expect(metric.statistic).toBe('Maximum');
    expect(metric.period.toSeconds()).toBe(60);
    expect(stack.resolve(metric.dimensions)).toEqual({ QueueName: { 'Fn::GetAtt': [bufferId, 'QueueName'] } });
  });

  test('snapshot', () => {
    expect(ownTemplate(ingest)).toMatchSnapshot();
  });
});

describe('EventBusIngest options', () => {
  test('a custom event pattern replaces the default', () => {
    const { template } = synth({ eventPattern: { source: ['orders'], detailType: ['OrderPlaced'] } });
    template.resourceCountIs('AWS::Events::Rule', 1);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['orders'], 'detail-type': ['OrderPlaced'] },
    });
  });

  test('addRule adds a second rule to the same target and lets it use the delivery DLQ', () => {
    const stack = testStack();
    const ingest = new EventBusIngest(stack, 'Ingest');
    const second = ingest.addRule('Payments', { source: ['payments'] }, 'payments to the buffer');
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Events::Rule', 2);
    expect(ingest.rules).toEqual([expect.any(events.Rule), second]);
    const target = {
      Arn: { 'Fn::GetAtt': [idOf(stack, ingest.bufferQueue), 'Arn'] },
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': [idOf(stack, ingest.deliveryDeadLetterQueue.queue), 'Arn'] } },
      RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
    };
    for (const rule of ingest.rules) {
      const props = template.findResources('AWS::Events::Rule')[idOf(stack, rule)].Properties;
      expect(props.EventBusName).toEqual({ Ref: idOf(stack, ingest.eventBus as events.EventBus) });
      expect(props.Targets).toEqual([expect.objectContaining(target)]);
    }
    template.hasResourceProperties('AWS::Events::Rule', {
      Description: 'payments to the buffer',
      EventPattern: { source: ['payments'] },
    });
    // The delivery DLQ accepts dead letters from both rules.
    for (const rule of ingest.rules) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: idOf(stack, ingest.deliveryDeadLetterQueue.queue) }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [idOf(stack, rule), 'Arn'] } } } }),
          ]),
        },
      });
    }
    // The buffer accepts both rules, each by its ARN, and nothing else.
    const bufferId = idOf(stack, ingest.bufferQueue);
    const bufferPolicy = Object.values(template.findResources('AWS::SQS::QueuePolicy')).find(
      (p) => JSON.stringify(p.Properties.Queues) === JSON.stringify([{ Ref: bufferId }]),
    )!;
    const allows = bufferPolicy.Properties.PolicyDocument.Statement.filter((st: { Effect: string }) => st.Effect === 'Allow');
    expect(allows.map((st: { Condition: unknown }) => st.Condition)).toEqual(
      ingest.rules.map((rule) => ({ ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [idOf(stack, rule), 'Arn'] } } })),
    );
    // Still one buffer queue, one delivery DLQ.
    template.resourceCountIs('AWS::SQS::Queue', 3);
  });

  test('eventBusName gives the bus that name, and the key policy names it literally', () => {
    const { template } = synth({ eventBusName: 'orders-ingest' });
    template.hasResourceProperties('AWS::Events::EventBus', { Name: 'orders-ingest' });
    template.hasResourceProperties('AWS::Events::Archive', {
      SourceArn: `arn:aws:events:${TEST_ENV.region}:${TEST_ENV.account}:event-bus/orders-ingest`,
    });
    const keyPolicy = JSON.stringify(Object.values(template.findResources('AWS::KMS::Key'))[0].Properties.KeyPolicy);
    expect(keyPolicy).toContain('event-bus/orders-ingest');
  });

  test('an existing bus without eventPattern is rejected: the default pattern would take every event of the account on a shared bus', () => {
    const stack = testStack();
    const bus = events.EventBus.fromEventBusName(stack, 'Existing', 'shared-bus');
    expect(() => new EventBusIngest(stack, 'Ingest', { eventBus: bus })).toThrow(
      /eventBus is an existing bus and eventPattern is not set; the default pattern \(\{ account: \[<this account>\] \}\) would ingest every event on that bus/,
    );
  });

  test('an existing bus with a pattern that selects only by account is accepted with a warning', () => {
    const stack = testStack();
    const bus = events.EventBus.fromEventBusName(stack, 'Existing', 'shared-bus');
    new EventBusIngest(stack, 'Ingest', { eventBus: bus, eventPattern: { account: [TEST_ENV.account] } });
    new EventBusIngest(stack, 'Narrow', { eventBus: bus, eventPattern: { account: [TEST_ENV.account], source: ['shop.orders'] } });
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('matches every event of the account on the imported bus shared-bus'));
    expect(warnings.map((w) => w.id)).toEqual(['/TestStack/Ingest']);
  });

  test('an existing bus is used as is: no bus is created', () => {
    const stack = testStack();
    const bus = events.EventBus.fromEventBusName(stack, 'Existing', 'shared-bus');
    const ingest = new EventBusIngest(stack, 'Ingest', { eventBus: bus, eventPattern: { source: ['shop.orders'] } });
    const template = Template.fromStack(stack);
    expect(ingest.eventBus).toBe(bus);
    template.resourceCountIs('AWS::Events::EventBus', 0);
    template.hasResourceProperties('AWS::Events::Rule', { EventBusName: 'shared-bus' });
    template.hasResourceProperties('AWS::Events::Archive', {
      SourceArn: `arn:aws:events:${TEST_ENV.region}:${TEST_ENV.account}:event-bus/shared-bus`,
      RetentionDays: 30,
    });
  });

  test('queue, archive and delivery settings are configurable', () => {
    const { template } = synth({
      archiveRetention: Duration.days(7),
      bufferVisibilityTimeout: Duration.minutes(2),
      bufferRetentionPeriod: Duration.days(13),
      maxReceiveCount: 3,
      deliveryRetryAttempts: 10,
      deliveryMaxEventAge: Duration.hours(2),
    });
    template.hasResourceProperties('AWS::Events::Archive', { RetentionDays: 7 });
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 120,
      MessageRetentionPeriod: 13 * 24 * 3600,
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 3 }),
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      Targets: [Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 7200 } })],
    });
  });

  test('a user-supplied key encrypts bus, archive and queues; no key is created', () => {
    const stack = testStack();
    const key = new kms.Key(stack, 'UserKey', { enableKeyRotation: true });
    new EventBusIngest(stack, 'Ingest', { encryptionKey: key });
    const template = Template.fromStack(stack);
    const keyArn = { 'Fn::GetAtt': [idOf(stack, key), 'Arn'] };
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResourceProperties('AWS::Events::EventBus', { KmsKeyIdentifier: keyArn });
    template.hasResourceProperties('AWS::Events::Archive', { KmsKeyIdentifier: keyArn });
    template.resourcePropertiesCountIs('AWS::SQS::Queue', { KmsMasterKeyId: keyArn }, 3);
  });

  test('grantPutEvents grants events:PutEvents on the bus', () => {
    const stack = testStack();
    const ingest = new EventBusIngest(stack, 'Ingest');
    const role = new iam.Role(stack, 'Producer', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    ingest.grantPutEvents(role);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: idOf(stack, role) }],
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Effect: 'Allow',
            Action: 'events:PutEvents',
            Resource: { 'Fn::GetAtt': [idOf(stack, ingest.eventBus as events.EventBus), 'Arn'] },
          }),
        ],
      },
    });
  });
});

describe('EventBusIngest props validation', () => {
  const build = (props: EventBusIngestProps) => () => new EventBusIngest(testStack(), 'Ingest', props);

  test('every bad prop is named in one error with its value and range', () => {
    const stack = testStack();
    let message = '';
    try {
      new EventBusIngest(stack, 'Ingest', {
        maxReceiveCount: 0,
        archiveRetention: Duration.days(0),
        bufferRetentionPeriod: Duration.days(14),
        eventBus: events.EventBus.fromEventBusName(stack, 'Existing', 'shared-bus'),
        eventBusName: 'also-a-name',
        eventPattern: { source: ['shop.orders'] },
      });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^Invalid EventBusIngest \(TestStack\/Ingest\) props:/);
    expect(message).toMatch(/maxReceiveCount is 0; it must be an integer from 1 to 1,000/);
    expect(message).toMatch(/archiveRetention is 0 days?; it must be from 1 day to 3650 days/);
    expect(message).toMatch(/bufferRetentionPeriod is 14 days; it must be from 1 minute to 13 days/);
    expect(message).toMatch(/eventBusName is set together with eventBus; give one or the other/);
    expect(message.split('\n').filter((l) => l.startsWith('  - '))).toHaveLength(4);
  });

  test('delivery retry bounds and bus name pattern', () => {
    expect(build({ deliveryRetryAttempts: 186 })).toThrow(/deliveryRetryAttempts is 186; it must be an integer from 0 to 185/);
    expect(build({ deliveryRetryAttempts: 0 })).not.toThrow();
    expect(build({ deliveryMaxEventAge: Duration.seconds(59) })).toThrow(/deliveryMaxEventAge is 59 seconds/);
    expect(build({ deliveryMaxEventAge: Duration.hours(25) })).toThrow(/deliveryMaxEventAge is 1 day 1 hour/);
    expect(build({ eventBusName: 'has space' })).toThrow(/eventBusName is "has space"/);
    expect(build({ maxReceiveCount: 1001 })).toThrow(/maxReceiveCount is 1,001; it must be an integer from 1 to 1,000/);
    expect(build({ bufferVisibilityTimeout: Duration.hours(13) })).toThrow(/bufferVisibilityTimeout is 13 hours/);
  });
});
