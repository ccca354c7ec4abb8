import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { IConstruct } from 'constructs';
import { AlarmSeverity, EtlPipeline, EtlPipelineProps } from '../../lib';
import * as path from 'node:path';
import { CLICKSTREAM_TRANSFORM, ROOT, TEST_ENV, testStack } from '../support/cdk';
import { constructReferences, libraryConstructs } from '../support/composition';
import { ownTemplate } from '../support/construct-snapshot';

function pipeline(props: Partial<EtlPipelineProps> = {}) {
  const stack = testStack();
  const p = new EtlPipeline(stack, 'Pipeline', { pipelineName: 'orders', transformEntry: CLICKSTREAM_TRANSFORM, ...props });
  return { stack, p, t: Template.fromStack(stack) };
}

let defaults: ReturnType<typeof pipeline> | undefined;
/** The pipeline with default props, synthesized once for the tests that only read it. */
function defaultPipeline() {
  defaults ??= pipeline();
  return defaults;
}

describe('EtlPipeline', () => {
  test('composes one key, a data lake, both ingests, one transform and three DLQs', () => {
    const { t, p } = defaultPipeline();
    t.resourceCountIs('AWS::KMS::Key', 1);
    t.resourceCountIs('AWS::S3::Bucket', 4);
    t.resourceCountIs('AWS::Kinesis::Stream', 1);
    t.resourceCountIs('AWS::KinesisFirehose::DeliveryStream', 1);
    t.resourceCountIs('AWS::Events::EventBus', 1);
    t.resourceCountIs('AWS::Lambda::Function', 4); // the transform, the watermark publisher, the incident-timing recorder and the cost publisher
    t.resourceCountIs('AWS::Lambda::EventSourceMapping', 2);
    t.resourceCountIs('AWS::SQS::Queue', 7); // the buffer, three DLQs, the watermark publisher's, the recorder's and the cost publisher's
    expect(p.deadLetterQueues).toHaveLength(3);
    expect(p.deadLetterAlarms).toHaveLength(3);
  });

  test('every KMS-encryptable resource uses the one pipeline key', () => {
    const { t, stack, p } = defaultPipeline();
    const keyId = stack.getLogicalId(p.encryptionKey.node.defaultChild as never);
    const json = JSON.stringify(t.toJSON());
    const refs = json.match(/"Fn::GetAtt":\["(\w+)","Arn"\]/g) ?? [];
    expect(refs.some((r) => r.includes(keyId))).toBe(true);
    t.hasResourceProperties('AWS::Kinesis::Stream', { StreamEncryption: { EncryptionType: 'KMS', KeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } } });
    for (const queue of Object.values(t.findResources('AWS::SQS::Queue'))) {
      expect(queue.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    }
    t.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    t.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  test('tags every taggable resource with pipeline=<name>', () => {
    const { t } = defaultPipeline();
    for (const type of ['AWS::S3::Bucket', 'AWS::SQS::Queue', 'AWS::Kinesis::Stream', 'AWS::Lambda::Function', 'AWS::KMS::Key', 'AWS::SNS::Topic']) {
      for (const r of Object.values(t.findResources(type))) {
        expect(r.Properties.Tags).toEqual(expect.arrayContaining([{ Key: 'pipeline', Value: 'orders' }]));
      }
    }
  });

  test('DLQ depth alarms page; CloudWatch may use the key for the encrypted topics', () => {
    const { t, stack, p } = defaultPipeline();
    const pageId = stack.getLogicalId(p.alarmRouting.pageTopic.node.defaultChild as never);
    for (const dlq of p.deadLetterQueues) {
      const alarm = t.toJSON().Resources[stack.getLogicalId(dlq.depthAlarm.node.defaultChild as never)];
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: pageId }]);
      expect(alarm.Properties.OKActions).toEqual([{ Ref: pageId }]);
      expect(alarm.Properties.AlarmDescription).toMatch(/^\[page\] orders\/transform: .*Runbook: https:\/\/unpkg\.com\/cdk-serverless-etl@[0-9A-Za-z.-]+\/docs\/runbooks\.md#dlq-messages$/);
    }
    const keyPolicy = JSON.stringify(Object.values(t.findResources('AWS::KMS::Key'))[0].Properties.KeyPolicy);
    expect(keyPolicy).toContain('cloudwatch.amazonaws.com');
    expect(keyPolicy).toContain('budgets.amazonaws.com');
  });

  test('every alarm notifies or feeds a composite that does, and links its runbook section', () => {
    const { t } = pipeline({ runbookUrl: 'https://example.com/runbooks' });
    const resources = t.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>;
    const composites = Object.values(resources).filter((r) => r.Type === 'AWS::CloudWatch::CompositeAlarm');
    const referenced = JSON.stringify(composites.map((c) => c.Properties.AlarmRule));
    const alarms = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm' || r.Type === 'AWS::CloudWatch::CompositeAlarm');
    expect(alarms.length).toBeGreaterThan(20);
    for (const [id, alarm] of alarms) {
      const notifies = ((alarm.Properties.AlarmActions as unknown[]) ?? []).length > 0;
      expect({ id, ok: notifies || referenced.includes(id) }).toEqual({ id, ok: true });
      expect(String(alarm.Properties.AlarmDescription)).toMatch(/Runbook: https:\/\/example\.com\/runbooks#[a-z-]+$/);
    }
    for (const c of composites) expect((c.Properties.AlarmActions as unknown[]).length).toBe(1);
  });

  test('brings its own page and ticket topics', () => {
    const stack = testStack();
    const pager = sns.Topic.fromTopicArn(stack, 'Pager', 'arn:aws:sns:eu-west-1:123456789012:pager');
    const tickets = sns.Topic.fromTopicArn(stack, 'Tickets', 'arn:aws:sns:eu-west-1:123456789012:tickets');
    new EtlPipeline(stack, 'Pipeline', { pipelineName: 'orders', transformEntry: CLICKSTREAM_TRANSFORM, pageTopic: pager, ticketTopic: tickets });
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::SNS::Topic', 0);
    const actions = new Set(
      Object.values(t.findResources('AWS::CloudWatch::Alarm'))
        .concat(Object.values(t.findResources('AWS::CloudWatch::CompositeAlarm')))
        .flatMap((a) => (a.Properties.AlarmActions as string[]) ?? []),
    );
    expect([...actions].sort()).toEqual(['arn:aws:sns:eu-west-1:123456789012:pager', 'arn:aws:sns:eu-west-1:123456789012:tickets']);
  });

  test('a monthly budget on the pipeline tag, notifying the ticket topic', () => {
    const { t } = pipeline({ monthlyBudgetUsd: 250 });
    t.hasResourceProperties('AWS::Budgets::Budget', {
      Budget: Match.objectLike({ BudgetLimit: { Amount: 250, Unit: 'USD' }, TimeUnit: 'MONTHLY', CostFilters: { TagKeyValue: ['user:pipeline$orders'] } }),
    });
  });

  test('buffer visibility timeout follows the transform timeout (6x)', () => {
    const { t } = pipeline({ transform: { timeout: Duration.seconds(90) } });
    t.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 540, RedrivePolicy: Match.anyValue() });
  });

  test('stream only: no bus, no buffer, one DLQ', () => {
    const { t, p } = pipeline({ enableEventBus: false });
    t.resourceCountIs('AWS::Events::EventBus', 0);
    t.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    expect(p.eventBusIngest).toBeUndefined();
    expect(p.deadLetterQueues).toHaveLength(1);
  });

  test('archiveStream false: no Firehose', () => {
    const { t } = pipeline({ archiveStream: false });
    t.resourceCountIs('AWS::KinesisFirehose::DeliveryStream', 0);
  });

  test('outputs name the inputs, buckets, function, alarm topic and every DLQ', () => {
    const { t } = defaultPipeline();
    const outputs = Object.keys(t.toJSON().Outputs);
    for (const name of ['IdempotencyTableName', 'RawBucketName', 'CuratedBucketName', 'QuarantineBucketName', 'StreamName', 'StreamArn', 'EventBusName', 'EventArchiveName', 'BufferQueueUrl', 'PageTopicArn', 'TicketTopicArn', 'DashboardName', 'TransformFunctionName', 'KinesisDlq1Url', 'BufferDlqUrl', 'DeliveryDlqUrl']) {
      expect(outputs.some((o) => o.startsWith(`Pipeline${name}`))).toBe(true);
    }
  });

  test('a drift holds both sources: the state machine may disable exactly their mappings, the output names them, grantResume lets an operator flip them', () => {
    const stack = testStack();
    const p = new EtlPipeline(stack, 'Pipeline', { pipelineName: 'orders', transformEntry: CLICKSTREAM_TRANSFORM, batchWorkflow: {} });
    const workflow = p.batchWorkflow!;
    const operator = new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() });
    workflow.grantResume(operator);
    const t = Template.fromStack(stack);
    expect(workflow.heldSources).toEqual(p.transform.eventSourceMappings);
    expect(workflow.heldSources).toHaveLength(2);
    const arns = workflow.heldSources.map((m) => stack.resolve(m.eventSourceMappingArn));
    const statements = (logicalId: string) =>
      Object.values(t.findResources('AWS::IAM::Policy'))
        .filter((r) => (r.Properties.Roles as Array<{ Ref: string }>).some((role) => role.Ref === logicalId))
        .flatMap((r) => r.Properties.PolicyDocument.Statement as Array<{ Action: unknown; Resource: unknown }>)
        .filter((st) => JSON.stringify(st.Action).includes('EventSourceMapping'));
    const machineRole = stack.getLogicalId(workflow.stateMachine.role.node.defaultChild as never);
    expect(statements(machineRole)).toEqual([expect.objectContaining({ Action: 'lambda:UpdateEventSourceMapping', Resource: expect.arrayContaining(arns) })]);
    expect((statements(machineRole)[0].Resource as unknown[]).length).toBe(2);
    const output = Object.entries(t.findOutputs('*')).find(([key]) => key.startsWith('PipelineHeldSourceMappings'))?.[1];
    expect(output?.Value).toEqual({ 'Fn::Join': [',', workflow.heldSources.map((m) => stack.resolve(m.eventSourceMappingId))] });

    const operatorStatements = Object.values(t.findResources('AWS::IAM::Policy'))
      .filter((r) => JSON.stringify(r.Properties.Roles).includes(stack.getLogicalId(operator.node.defaultChild as never)))
      .flatMap((r) => r.Properties.PolicyDocument.Statement as Array<{ Action: unknown; Resource: unknown }>);
    expect(operatorStatements).toContainEqual({ Action: ['lambda:GetEventSourceMapping', 'lambda:UpdateEventSourceMapping'], Effect: 'Allow', Resource: arns });
  });

  test('createOutputs false: no outputs', () => {
    const { t } = pipeline({ createOutputs: false });
    expect(t.toJSON().Outputs).toBeUndefined();
  });

  test('rejects contradictory props in one error', () => {
    expect(() =>
      pipeline({ enableStream: false, enableEventBus: false, stream: {}, eventBus: {} }),
    ).toThrow(/enableStream and enableEventBus are both false[\s\S]*stream is set but enableStream is false[\s\S]*eventBus is set but enableEventBus is false/);
    expect(() => pipeline({ transform: { timeout: Duration.minutes(5) }, eventBus: { bufferVisibilityTimeout: Duration.minutes(1) } })).toThrow(
      /eventBus.bufferVisibilityTimeout is 1 minute; it must be at least transform.timeout \(5 minutes\)/,
    );
  });

  test('works in an app without this project\'s feature flags (a user\'s own app)', () => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'UserStack', { env: TEST_ENV });
    new EtlPipeline(stack, 'Pipeline', { pipelineName: 'orders', transformEntry: CLICKSTREAM_TRANSFORM });
    const t = Template.fromStack(stack);
    for (const bucket of Object.values(t.findResources('AWS::S3::Bucket'))) {
      expect(bucket.Properties.AccessControl).toBeUndefined();
    }
    t.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'logging.s3.amazonaws.com' } })]) },
    });
  });

  test('an idempotency store by default, with the pipeline key; none when disabled', () => {
    const { t, p, stack } = defaultPipeline();
    t.resourceCountIs('AWS::DynamoDB::Table', 1);
    const keyId = stack.getLogicalId(p.encryptionKey.node.defaultChild as never);
    t.hasResourceProperties('AWS::DynamoDB::Table', { SSESpecification: Match.objectLike({ KMSMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } }) });
    t.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ IDEMPOTENCY_TABLE: Match.anyValue() }) } });
    expect(p.idempotencyStore).toBeDefined();
    const off = pipeline({ idempotency: false });
    off.t.resourceCountIs('AWS::DynamoDB::Table', 0);
    expect(() => pipeline({ idempotency: false, idempotencyTimeToLive: Duration.days(1) })).toThrow(/idempotencyTimeToLive is set but idempotency is false/);
  });

  test('schemas: a registry, validators bundled, a PII key secret; claim check to the raw bucket', () => {
    const { t, p } = pipeline({
      schemas: { schemas: [{ version: '1', file: path.join(ROOT, 'examples', 'clickstream', 'schemas', 'clickstream-v1.json') }] },
    });
    expect(p.schemaRegistry?.versions).toEqual(['1']);
    t.resourceCountIs('AWS::EventSchemas::Registry', 1);
    t.resourceCountIs('AWS::EventSchemas::Schema', 1);
    t.resourceCountIs('AWS::SecretsManager::Secret', 1);
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ PII_SECRET_ARN: Match.anyValue(), RAW_BUCKET: Match.anyValue(), MAX_RECORD_BYTES: '262144' }) },
    });
    expect(Object.keys(t.toJSON().Outputs).some((o) => o.startsWith('PipelineSchemaRegistryName'))).toBe(true);
  });

  test('the transform options reach the function: stage (the alarms\' metric dimension), event-time skew, a PII key secret of the user\'s', () => {
    const stack = testStack();
    const secret = secretsmanager.Secret.fromSecretCompleteArn(stack, 'Pii', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:pii-AbCdEf');
    const p = new EtlPipeline(stack, 'Pipeline', {
      pipelineName: 'orders',
      transformEntry: CLICKSTREAM_TRANSFORM,
      stage: 'load',
      maxEventTimeSkew: Duration.minutes(5),
      piiSecret: secret,
      schemas: { schemas: [{ version: '1', file: path.join(ROOT, 'examples', 'clickstream', 'schemas', 'clickstream-v1.json') }] },
    });
    const t = Template.fromStack(stack);
    expect(p.transform.stage).toBe('load');
    expect(p.transform.piiSecret).toBe(secret);
    t.resourceCountIs('AWS::SecretsManager::Secret', 0);
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ PIPELINE_STAGE: 'load', EVENT_TIME_MAX_SKEW_SECONDS: '300', PII_SECRET_ARN: secret.secretArn }) },
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([Match.objectLike({ MetricStat: Match.objectLike({ Metric: Match.objectLike({ Dimensions: Match.arrayWith([{ Name: 'Stage', Value: 'load' }]) }) }) })]),
    });
  });

  test('every acknowledgement is true: each acknowledged IAM5 action is held by that role; the no-VPC reasons name what each function reaches', () => {
    const { t, stack, p } = pipeline({
      batchWorkflow: {},
      schemas: { schemas: [{ version: '1', file: path.join(ROOT, 'examples', 'clickstream', 'schemas', 'clickstream-v1.json') }] },
    });
    const acknowledged = (c: IConstruct): Record<string, string> =>
      Object.fromEntries(
        c.node.metadata
          .filter((m) => m.type === 'aws:cdk:acknowledged-rules')
          .flatMap((m) => Object.entries(m.data as Record<string, string>))
          .map(([id, reason]) => [id.replace(/^Annotation::/, ''), reason]),
      );
    const policies = Object.values(t.findResources('AWS::IAM::Policy'));
    const roles = stack.node.findAll().filter((c): c is iam.Role => c instanceof iam.Role);
    expect(roles.length).toBeGreaterThan(4);
    for (const role of roles) {
      const roleId = stack.getLogicalId(role.node.defaultChild as never);
      const held = new Set(
        policies
          .filter((pol) => JSON.stringify(pol.Properties.Roles).includes(JSON.stringify({ Ref: roleId })))
          .flatMap((pol) => pol.Properties.PolicyDocument.Statement as Array<{ Action: string | string[] }>)
          .flatMap((st) => [st.Action].flat()),
      );
      const claimed = Object.keys(acknowledged(role)).flatMap((id) => /^AwsSolutions-IAM5\[Action::(.+)\]$/.exec(id)?.[1] ?? []);
      expect({ role: role.node.path, notHeld: claimed.filter((a) => !held.has(a)) }).toEqual({ role: role.node.path, notHeld: [] });
    }
    const vpcReason = (fn: IConstruct) => acknowledged(fn)['NIST.800.53.R5-LambdaInsideVPC'];
    expect(vpcReason(p.transform.function)).toMatch(/Amazon S3, Amazon DynamoDB, AWS Secrets Manager, AWS X-Ray/);
    expect(vpcReason(p.transform.function)).toMatch(/transform module runs in the same function with open outbound network access/);
    expect(vpcReason(p.batchWorkflow!.stepsFunction)).toMatch(/\(Amazon S3, AWS X-Ray\)[\s\S]*No user code runs in it/);
  });
});

describe('EtlPipeline composition (default props)', () => {
  const { stack, p, t } = defaultPipeline();
  const id = (c: IConstruct) => stack.getLogicalId((c.node.defaultChild ?? c) as never);

  test('snapshot (its own resources: the key and the outputs; each part has its own snapshot)', () => {
    expect(ownTemplate(p)).toMatchSnapshot();
  });

  test('composes these constructs', () => {
    expect(libraryConstructs(p)).toEqual([
      'Alarms: AlarmRouting',
      'CostPerUnit/Publisher/Dlq: DeadLetterQueue',
      'CostPerUnit/Publisher: OperationsFunction',
      'CostPerUnit: CostPerUnit',
      'Dashboard: PipelineDashboard',
      'DataLake: DataLake',
      'EventBusIngest/BufferDlq: DeadLetterQueue',
      'EventBusIngest/DeliveryDlq: DeadLetterQueue',
      'EventBusIngest: EventBusIngest',
      'IdempotencyStore: IdempotencyStore',
      'IncidentTiming/Recorder/Dlq: DeadLetterQueue',
      'IncidentTiming/Recorder: OperationsFunction',
      'IncidentTiming: IncidentTiming',
      'OperationalAlarms: PipelineAlarms',
      'Slos: PipelineSlos',
      'StreamIngest: StreamIngest',
      'Transform/KinesisDlq1: DeadLetterQueue',
      'Transform: TransformFunction',
      'Watermarks/DeadLetterQueue: DeadLetterQueue',
      'Watermarks: WatermarkPublisher',
    ]);
  });

  test('wires them so: which construct\'s resources refer to which (\'.\' is the pipeline\'s key and outputs)', () => {
    const pipelineKeyUsers = ['Alarms', 'DataLake', 'EventBusIngest', 'EventBusIngest/BufferDlq', 'EventBusIngest/DeliveryDlq', 'IdempotencyStore', 'StreamIngest', 'Transform', 'Transform/KinesisDlq1', 'Watermarks', 'Watermarks/DeadLetterQueue'];
    const outputs = ['Alarms', 'Dashboard', 'DataLake', 'EventBusIngest', 'EventBusIngest/BufferDlq', 'EventBusIngest/DeliveryDlq', 'IdempotencyStore', 'StreamIngest', 'Transform', 'Transform/KinesisDlq1'];
    expect(constructReferences(p)).toEqual(
      [
        ...outputs.map((c) => `. -> ${c}`),
        ...pipelineKeyUsers.map((c) => `${c} -> .`),
        // The dashboard and the alarms watch every source, DLQ and the transform (the dashboard the
        // stream archive's deliveries too); SLOs watch the transform.
        ...['EventBusIngest', 'EventBusIngest/BufferDlq', 'EventBusIngest/DeliveryDlq', 'OperationalAlarms', 'Slos', 'StreamIngest', 'Transform', 'Transform/KinesisDlq1', 'Watermarks/DeadLetterQueue'].map((c) => `Dashboard -> ${c}`),
        ...['Alarms', 'EventBusIngest', 'EventBusIngest/BufferDlq', 'EventBusIngest/DeliveryDlq', 'IdempotencyStore', 'StreamIngest', 'Transform', 'Transform/KinesisDlq1', 'Watermarks'].map((c) => `OperationalAlarms -> ${c}`),
        'Slos -> Alarms',
        'Slos -> Transform',
        // Every DLQ's depth alarm is routed to the page topic.
        'EventBusIngest/BufferDlq -> Alarms',
        'EventBusIngest/DeliveryDlq -> Alarms',
        'Transform/KinesisDlq1 -> Alarms',
        'EventBusIngest -> EventBusIngest/BufferDlq',
        'EventBusIngest -> EventBusIngest/DeliveryDlq',
        'EventBusIngest/DeliveryDlq -> EventBusIngest',
        // The stream archive goes to the raw bucket.
        'StreamIngest -> DataLake',
        // The transform writes to the lake, claims in the store and reads the stream and the buffer.
        'Transform -> DataLake',
        'Transform -> EventBusIngest',
        'Transform -> IdempotencyStore',
        'Transform -> StreamIngest',
        'Transform -> Transform/KinesisDlq1',
        // The watermark publisher: its function and schedule send failed ticks to its DLQ (a ticket).
        'Watermarks -> Watermarks/DeadLetterQueue',
        'Watermarks/DeadLetterQueue -> Alarms',
        'Watermarks/DeadLetterQueue -> Watermarks',
        // Incident timing: the recorder's rule, function and DLQ; its alarms go to the routing and the dashboard.
        ...['IncidentTiming', 'IncidentTiming/Recorder', 'IncidentTiming/Recorder/Dlq'].map((c) => `Dashboard -> ${c}`),
        'IncidentTiming -> Alarms',
        'IncidentTiming -> IncidentTiming/Recorder',
        'IncidentTiming -> IncidentTiming/Recorder/Dlq',
        'IncidentTiming/Recorder -> .',
        'IncidentTiming/Recorder -> Alarms',
        'IncidentTiming/Recorder -> IncidentTiming/Recorder/Dlq',
        'IncidentTiming/Recorder/Dlq -> .',
        'IncidentTiming/Recorder/Dlq -> Alarms',
        'IncidentTiming/Recorder/Dlq -> IncidentTiming',
        // Cost per unit: its schedule's input names every priced resource; the publisher's alarms go to the routing and the dashboard.
        ...['DataLake', 'EventBusIngest', 'EventBusIngest/BufferDlq', 'EventBusIngest/DeliveryDlq', 'IdempotencyStore', 'IncidentTiming/Recorder', 'IncidentTiming/Recorder/Dlq',
          'StreamIngest', 'Transform', 'Transform/KinesisDlq1', 'Watermarks', 'Watermarks/DeadLetterQueue', 'Alarms', 'CostPerUnit/Publisher', 'CostPerUnit/Publisher/Dlq'].map((c) => `CostPerUnit -> ${c}`),
        'CostPerUnit/Publisher -> .',
        'CostPerUnit/Publisher -> Alarms',
        'CostPerUnit/Publisher -> CostPerUnit/Publisher/Dlq',
        'CostPerUnit/Publisher/Dlq -> .',
        'CostPerUnit/Publisher/Dlq -> Alarms',
        'CostPerUnit/Publisher/Dlq -> CostPerUnit',
        ...['CostPerUnit', 'CostPerUnit/Publisher', 'CostPerUnit/Publisher/Dlq'].map((c) => `Dashboard -> ${c}`),
      ].sort(),
    );
  });

  test('the transform writes to the lake\'s buckets and claims in the store; both sources feed its live alias', () => {
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          PIPELINE_NAME: 'orders',
          DATASET: 'orders',
          RAW_BUCKET: { Ref: id(p.dataLake.rawBucket) },
          CURATED_BUCKET: { Ref: id(p.dataLake.curatedBucket) },
          QUARANTINE_BUCKET: { Ref: id(p.dataLake.quarantineBucket) },
          IDEMPOTENCY_TABLE: { Ref: id(p.idempotencyStore!.table) },
        }),
      },
    });
    const live = { 'Fn::Join': ['', [{ 'Fn::Select': [6, { 'Fn::Split': [':', { Ref: id(p.transform.alias) }] }] }, ':live']] };
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [id(p.streamIngest!.stream), 'Arn'] },
      FunctionName: live,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [id(p.deadLetterQueues[0].queue), 'Arn'] } } },
    });
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', { EventSourceArn: { 'Fn::GetAtt': [id(p.eventBusIngest!.bufferQueue), 'Arn'] }, FunctionName: live });
    expect(p.deadLetterQueues).toEqual([p.transform.deadLetterQueues[0], p.eventBusIngest!.bufferDeadLetterQueue, p.eventBusIngest!.deliveryDeadLetterQueue]);
  });

  test('the stream is archived to the raw bucket under stream-archive/, with the pipeline key', () => {
    t.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      ExtendedS3DestinationConfiguration: Match.objectLike({
        BucketARN: { 'Fn::GetAtt': [id(p.dataLake.rawBucket), 'Arn'] },
        Prefix: Match.stringLikeRegexp('^stream-archive/'),
        EncryptionConfiguration: { KMSEncryptionConfig: { AWSKMSKeyARN: { 'Fn::GetAtt': [id(p.encryptionKey), 'Arn'] } } },
      }),
    });
  });

  test('topics, SLOs, alarms and the dashboard are named for the pipeline', () => {
    expect(t.findResources('AWS::SNS::Topic')[id(p.alarmRouting.pageTopic)].Properties.DisplayName).toBe('orders pipeline pages');
    expect(t.findResources('AWS::SNS::Topic')[id(p.alarmRouting.ticketTopic)].Properties.DisplayName).toBe('orders pipeline tickets');
    t.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'orders-pipeline' });
    const alarms = { ...t.findResources('AWS::CloudWatch::Alarm'), ...t.findResources('AWS::CloudWatch::CompositeAlarm') };
    const pipelines = new Set([...JSON.stringify(alarms).matchAll(/\{"Name":"Pipeline","Value":"([^"]*)"\}/g)].map((m) => m[1]));
    expect([...pipelines]).toEqual(['orders']);
    const stages = new Set([...JSON.stringify(alarms).matchAll(/\{"Name":"Stage","Value":"([^"]*)"\}/g)].map((m) => m[1]));
    expect([...stages]).toEqual(['transform']);
  });

  test('the pipeline\'s removal policy reaches every stateful part: buckets, stream, table (RETAIN by default, no warning); DESTROY warns', () => {
    const types = ['AWS::S3::Bucket', 'AWS::Kinesis::Stream', 'AWS::DynamoDB::Table'];
    const policies = (template: Template) => types.flatMap((type) => Object.entries(template.findResources(type)).map(([rid, r]) => `${rid} ${r.DeletionPolicy}`));
    expect(policies(t).filter((x) => !x.endsWith(' Retain'))).toEqual([]);
    expect(policies(t)).toHaveLength(6);
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('not retained'));
    const destroyed = pipeline({ removalPolicy: RemovalPolicy.DESTROY });
    expect(policies(destroyed.t).filter((x) => !x.endsWith(' Delete'))).toEqual([]);
    Annotations.fromStack(destroyed.stack).hasWarning('*', Match.stringLikeRegexp('not retained'));
  });
});

describe('EtlPipeline stack size guard', () => {
  test('warns when pipelines bring a stack near the 500-resource limit, not before', () => {
    const stack = testStack();
    for (let i = 0; i < 3; i++) new EtlPipeline(stack, `P${i}`, { pipelineName: `orders-${i}`, transformEntry: CLICKSTREAM_TRANSFORM });
    const three = Object.keys(Template.fromStack(stack).toJSON().Resources).length;
    expect(three).toBeLessThan(400);
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('CloudFormation allows 500'));

    const big = testStack();
    for (let i = 0; i < 4; i++) new EtlPipeline(big, `P${i}`, { pipelineName: `orders-${i}`, transformEntry: CLICKSTREAM_TRANSFORM });
    Annotations.fromStack(big).hasWarning('/TestStack', Match.stringLikeRegexp('TestStack has \\d+ resources; CloudFormation allows 500 per stack'));
  });
});

describe('EtlPipeline dashboard', () => {
  test('the burn-rate graph marks the alerts in force, custom ones included', () => {
    const stack = testStack();
    new EtlPipeline(stack, 'P', {
      pipelineName: 'orders',
      transformEntry: CLICKSTREAM_TRANSFORM,
      slos: {
        burnRateAlerts: [
          { longWindow: Duration.hours(2), shortWindow: Duration.minutes(10), burnRate: 10, severity: AlarmSeverity.PAGE },
          { longWindow: Duration.days(1), shortWindow: Duration.hours(2), burnRate: 2, severity: AlarmSeverity.TICKET },
        ],
      },
    });
    const body = JSON.stringify(Template.fromStack(stack).findResources('AWS::CloudWatch::Dashboard'));
    expect(body).toContain('\\"value\\":10,\\"label\\":\\"page (2 hours)\\"');
    expect(body).toContain('\\"value\\":2,\\"label\\":\\"ticket (1 day)\\"');
    expect(body).not.toContain('\\"value\\":14.4');
  });
});

describe('EtlPipeline watermarks', () => {
  test('publishes a watermark per source it has (stream, bus, batch), with the batch deadline; the deadline alarm and a staleness alarm per source', () => {
    const stack = testStack();
    const p = new EtlPipeline(stack, 'P', {
      pipelineName: 'orders',
      transformEntry: CLICKSTREAM_TRANSFORM,
      batchWorkflow: {},
      slos: { batchDeadline: { loadedBy: '07:15', timeZone: 'America/New_York' } },
    });
    expect(p.watermarks?.sources).toEqual(['stream', 'bus', 'batch']);
    expect(p.watermarks?.batchDeadline).toEqual({ loadedBy: '07:15', timeZone: 'America/New_York' });
    expect(p.slos.node.tryFindChild('BatchDeadline')).toBeDefined();
    expect(['Stream', 'Bus', 'Batch'].map((s) => p.operationalAlarms.node.tryFindChild(`WatermarkStale${s}`) !== undefined)).toEqual([true, true, true]);

    const busOnly = new EtlPipeline(stack, 'B', { pipelineName: 'orders-bus', transformEntry: CLICKSTREAM_TRANSFORM, enableStream: false });
    expect(busOnly.watermarks?.sources).toEqual(['bus']);
    const none = new EtlPipeline(stack, 'N', { pipelineName: 'orders-none', transformEntry: CLICKSTREAM_TRANSFORM, watermarks: false });
    expect(none.watermarks).toBeUndefined();
    expect(none.operationalAlarms.node.tryFindChild('WatermarkStaleStream')).toBeUndefined();
  });
});
