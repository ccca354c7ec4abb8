import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, CfnElement, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cdkJson from '../../cdk.json';
import { addComplianceChecks } from '../../bin/compliance-checks';
import { latestNodeRuntime } from '../../lib/core/lambda-runtime';
import { testStack, TEST_ENV } from '../support/cdk';
import { ownTemplate } from '../support/construct-snapshot';
import { definitionOf, statesByName } from '../support/state-machines';
import { workflowStack } from './fixture';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The raw-bucket key patterns (after the bucket ARN) that the role whose logical id starts with `rolePrefix` may s3:GetObject. */
function rawReads(template: Template, rolePrefix: string): string[] {
  const policies = Object.entries(template.findResources('AWS::IAM::Policy')).filter(([id]) => id.startsWith(rolePrefix));
  expect(policies).toHaveLength(1);
  return (policies[0][1].Properties.PolicyDocument.Statement as Json[])
    .filter((st) => [st.Action].flat().includes('s3:GetObject'))
    .flatMap((st) => [st.Resource].flat() as Json[])
    .filter((r) => /^LakeRaw/.test(r['Fn::Join']?.[1]?.[0]?.['Fn::GetAtt']?.[0] ?? ''))
    .map((r) => r['Fn::Join'][1][1] as string);
}

describe('BatchWorkflow', () => {
  let stack: Stack;
  let template: Template;
  let states: Record<string, Json>;
  let fixture: ReturnType<typeof workflowStack>;

  beforeAll(() => {
    stack = testStack();
    fixture = workflowStack(
      stack,
      { schedule: events.Schedule.cron({ hour: '2', minute: '0' }), scheduledKey: 'batch/nightly/export.jsonl.gz' },
      { schemas: true },
    );
    template = Template.fromStack(stack);
    states = statesByName(definitionOf(stack));
  });

  test('a STANDARD state machine with a timeout, X-Ray and ALL logging with execution data to a KMS log group with retention', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: true,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WorkflowLogs'), 'Arn'] } } }],
      },
    });
    const definition = definitionOf(stack);
    expect(definition.TimeoutSeconds).toBe(3600);
    const logGroups = template.findResources('AWS::Logs::LogGroup');
    for (const [id, lg] of Object.entries(logGroups).filter(([id]) => id.startsWith('Workflow'))) {
      expect({ id, retention: lg.Properties.RetentionInDays, key: lg.Properties.KmsKeyId !== undefined }).toEqual({ id, retention: 30, key: true });
      expect(lg.DeletionPolicy).toBe('Retain');
    }
  });

  test('the object-created rule filters the raw bucket and prefix and starts the workflow with bucket, key and size, with a DLQ', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: { bucket: { name: [{ Ref: Match.stringLikeRegexp('^LakeRaw') }] }, object: { key: [{ prefix: 'batch/' }] } },
      },
      Targets: [
        Match.objectLike({
          Arn: { Ref: Match.stringLikeRegexp('^WorkflowStateMachine') },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WorkflowDlq'), 'Arn'] } },
          RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
          InputTransformer: {
            InputPathsMap: { 'detail-bucket-name': '$.detail.bucket.name', 'detail-object-key': '$.detail.object.key', 'detail-object-size': '$.detail.object.size' },
            InputTemplate: '{"bucket":<detail-bucket-name>,"key":<detail-object-key>,"size":<detail-object-size>}',
          },
        }),
      ],
    });
  });

  test('prefix and suffix together become one wildcard filter', () => {
    const s = testStack();
    workflowStack(s, { prefix: 'in/', suffix: '.jsonl' });
    Template.fromStack(s).hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ detail: Match.objectLike({ object: { key: [{ wildcard: 'in/*.jsonl' }] } }) }),
    });
  });

  test('a schedule starts the workflow for the scheduled key; timed-out and aborted runs go to the DLQ', () => {
    const [schedule] = Object.values(template.findResources('AWS::Events::Rule', { Properties: { ScheduleExpression: 'cron(0 2 * * ? *)' } }));
    expect(schedule.Properties.Targets[0].Arn).toEqual({ Ref: expect.stringMatching(/^WorkflowStateMachine/) });
    expect(schedule.Properties.Targets[0].Input).toEqual({
      'Fn::Join': ['', ['{"bucket":"', { Ref: expect.stringMatching(/^LakeRaw/) }, '","key":"batch/nightly/export.jsonl.gz"}']],
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: { stateMachineArn: [{ Ref: Match.stringLikeRegexp('^WorkflowStateMachine') }], status: ['TIMED_OUT', 'ABORTED'] },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WorkflowDlq'), 'Arn'] } })],
    });
  });

  test('a scheduled key with date placeholders is resolved by the first state from the fire time and offset', () => {
    const stack = testStack();
    workflowStack(stack, {
      schedule: events.Schedule.cron({ hour: '2', minute: '0' }),
      scheduledKey: 'exports/dt={date}/events.jsonl.gz',
      scheduledKeyOffset: Duration.days(1),
    });
    const t = Template.fromStack(stack);
    const [rule] = Object.values(t.findResources('AWS::Events::Rule', { Properties: { ScheduleExpression: 'cron(0 2 * * ? *)' } }));
    expect(rule.Properties.Targets[0].InputTransformer).toEqual({
      InputPathsMap: { time: '$.time' },
      InputTemplate: {
        'Fn::Join': [
          '',
          ['{"bucket":"', { Ref: expect.stringMatching(/^LakeRaw/) }, '","keyTemplate":"exports/dt={date}/events.jsonl.gz","scheduledTime":<time>,"keyOffsetSeconds":86400}'],
        ],
      },
    });
    const definition = definitionOf(stack);
    expect(definition.StartAt).toBe('IsScheduled');
    const s = statesByName(definition);
    expect(s.IsScheduled.Choices).toEqual([{ Variable: '$.keyTemplate', IsPresent: true, Next: 'ResolveScheduledKey' }]);
    expect(s.IsScheduled.Default).toBe('CheckPaused');
    expect(s.ResolveScheduledKey).toMatchObject({ ResultPath: '$.key', Next: 'CheckPaused' });
    expect(s.ResolveScheduledKey.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'KeyUnresolved' }]);
    expect(s.KeyUnresolved).toMatchObject({ Type: 'Pass', Next: 'SendToDlq' });
    // A fixed key needs no resolution: the rule passes it as is (see the test above).
    expect(states.ResolveScheduledKey).toBeUndefined();
    expect(() =>
      workflowStack(testStack(), {
        schedule: events.Schedule.rate(Duration.hours(1)),
        scheduledKey: 'x/{day}.jsonl',
        scheduledKeyOffset: Duration.days(400),
      }),
    ).toThrow(
      [
        'Invalid BatchWorkflow (TestStack/Workflow) props:',
        '  - scheduledKey is "x/{day}.jsonl"; its placeholders must be {yyyy}, {MM}, {dd}, {HH}, {date}',
        '  - scheduledKeyOffset is 400 days; it must be from 0 seconds to 366 days',
      ].join('\n'),
    );
  });

  test('every task retries with exponential backoff, full jitter and an attempt bound, and is caught', () => {
    const taskNames = Object.entries(states).filter(([, s]) => s.Type === 'Task' || s.Type === 'Map').map(([n]) => n);
    expect(taskNames.sort()).toEqual(
      ['CheckObject', 'CheckPaused', 'EmitCompleted', 'EmitDrift', 'EmitFailed', 'PausePipeline', 'ProcessBatch', 'ProcessBatches',
        'QuarantineDriftedObject', 'QuarantineRejectedObject', 'RecordLineage', 'SampleSchema', 'SendToDlq', 'Summarize'].sort(),
    );
    for (const name of taskNames) {
      const retry = states[name].Retry as Json[];
      expect({ name, retries: retry.length }).toEqual({ name, retries: 1 });
      expect(retry[0]).toEqual(
        expect.objectContaining({ JitterStrategy: 'FULL', BackoffRate: 2, MaxAttempts: expect.any(Number), MaxDelaySeconds: expect.any(Number) }),
      );
      expect(retry[0].MaxAttempts).toBeLessThanOrEqual(3);
      // The one task without a Catch runs inside the Map: its failure fails the Map, which is caught.
      if (name !== 'ProcessBatch') expect({ name, caught: (states[name].Catch as Json[]).length > 0 }).toEqual({ name, caught: true });
    }
    expect(states.ProcessBatch.Retry[0]).toMatchObject({
      ErrorEquals: expect.arrayContaining(['Lambda.TooManyRequestsException', 'Lambda.ServiceException', 'States.Timeout']),
      IntervalSeconds: 2,
      MaxAttempts: 3,
    });
    expect(states.ProcessBatch.TimeoutSeconds).toBe(90);
    expect(states.CheckObject.Catch[0]).toEqual({
      ErrorEquals: ['ObjectTooLarge', 'NotJsonLines', 'TooManyBatches', 'EmptyObject'],
      ResultPath: '$.failure',
      Next: 'QuarantineRejectedObject',
    });
  });

  test('the Distributed Map maps over line ranges with the transform\'s live alias and a concurrency cap', () => {
    expect(states.ProcessBatches.ItemSelector).toEqual({
      'run.$': '$$.Execution.Id',
      s3Object: {
        'bucket.$': '$.bucket',
        'key.$': '$.key',
        'etag.$': '$.object.etag',
        'firstLine.$': '$$.Map.Item.Value.firstLine',
        'lineCount.$': '$$.Map.Item.Value.lineCount',
        'firstByte.$': '$$.Map.Item.Value.firstByte',
        'lastByte.$': '$$.Map.Item.Value.lastByte',
      },
    });
    expect(states.ProcessBatches).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.object.ranges',
      MaxConcurrency: 10,
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' } },
    });
    expect(states.ProcessBatch.Resource).toMatch(/^arn:aws:lambda:eu-west-1:123456789012:function:TestStack-TransformFunction[0-9A-F]{8}:live$/);
    // A reprocess run (an execution named reprocess-…) is never held as drift (see RunKind).
    const notReprocess = { Not: { Variable: '$.runKind.prefix', StringEquals: 'reprocess' } };
    expect(states.DriftCheck.Choices).toEqual([{ And: [{ Variable: '$.summary.drifted', BooleanEquals: true }, notReprocess], Next: 'PausePipeline' }]);
    expect(states.RunKind).toMatchObject({ Type: 'Pass', ResultPath: '$.runKind', Parameters: { 'prefix.$': "States.ArrayGetItem(States.StringSplit($$.Execution.Name, '-'), 0)" } });
    expect(states.Summarize.Parameters).toMatchObject({ action: 'summarize', maxDriftRate: 0.05 });
  });

  test('a schema sample runs before the load: the live alias validates the first lines, a drifted sample goes to the pause', () => {
    expect(states.CheckObject.Next).toBe('RunKind');
    expect(states.RunKind.Next).toBe('SampleSchema');
    expect(states.SampleSchema.Resource).toMatch(/^arn:aws:lambda:eu-west-1:123456789012:function:TestStack-TransformFunction[0-9A-F]{8}:live$/);
    expect(states.SampleSchema.Parameters).toEqual({
      s3Object: {
        'bucket.$': '$.bucket',
        'key.$': '$.key',
        'etag.$': '$.object.etag',
        'firstLine.$': '$.object.sampleRange.firstLine',
        'lineCount.$': '$.object.sampleRange.lineCount',
        'firstByte.$': '$.object.sampleRange.firstByte',
        'lastByte.$': '$.object.sampleRange.lastByte',
      },
      validateOnly: true,
    });
    expect(states.CheckObject.Parameters.Payload ?? states.CheckObject.Parameters).toMatchObject({ schemaSampleLines: 500 });
    expect(states.SampleSchema.ResultPath).toBe('$.sample');
    expect(states.SampleCheck.Choices).toEqual([
      { And: [{ Variable: '$.sample.driftRate', NumericGreaterThan: 0.05 }, { Not: { Variable: '$.runKind.prefix', StringEquals: 'reprocess' } }], Next: 'SampleDrifted' },
    ]);
    expect(states.SampleCheck.Default).toBe('ProcessBatches');
    expect(states.SampleDrifted).toMatchObject({ Type: 'Pass', ResultPath: '$.summary', Next: 'PausePipeline' });
    expect(states.SampleDrifted.Parameters).toMatchObject({ scope: 'sample', drifted: true, curated: 0 });
  });

  test('every loaded run writes a run lineage manifest to the curated bucket before the drift check and the completion event', () => {
    expect(states.Summarize.Next).toBe('RecordLineage');
    expect(states.RecordLineage.Next).toBe('DriftCheck');
    expect(states.RecordLineage.Parameters).toMatchObject({
      action: 'lineage',
      // As the local runner resolves the template: the curated bucket's name, the live alias's version.
      bucket: expect.stringMatching(/^teststack-lakecurated/),
      prefix: '_lineage/clicks/runs/',
      'executionId.$': '$$.Execution.Id',
      'executionName.$': '$$.Execution.Name',
      'startedAt.$': '$$.Execution.StartTime',
      transform: { alias: 'live', version: '1' },
      'schemaSample.$': '$.sample',
      'counts.$': '$.summary',
    });
    const policies = template.findResources('AWS::IAM::Policy');
    const stepsPolicy = Object.entries(policies).find(([id]) => id.startsWith('WorkflowStepsRole'))![1];
    // s3:PutObject only under the run-lineage prefix (curated) and the objects/ prefix (quarantine).
    const puts = (stepsPolicy.Properties.PolicyDocument.Statement as Json[]).filter((st) => st.Action === 's3:PutObject');
    expect(puts.flatMap((st) => [st.Resource].flat())).toEqual([
      { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^LakeCurated/), 'Arn'] }, '/_lineage/clicks/runs/*']] },
      { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^LakeQuarantine/), 'Arn'] }, '/clicks/objects/*']] },
    ]);
  });

  test('the paused flag is an SSM String parameter, false by default', () => {
    template.hasResourceProperties('AWS::SSM::Parameter', { Name: '/cdk-serverless-etl/clicks/paused', Type: 'String', Value: 'false' });
  });

  test('the state machine role is least-privilege: no * actions, SSM and SQS on their resources only', () => {
    const policies = template.findResources('AWS::IAM::Policy');
    const smPolicy = Object.entries(policies).find(([id]) => id.startsWith('WorkflowStateMachineRole'))![1];
    const statements = smPolicy.Properties.PolicyDocument.Statement as Json[];
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect(actions.filter((a: string) => a === '*' || a.endsWith(':*'))).toEqual([]);
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Action: ['ssm:getParameter', 'ssm:putParameter'],
          Resource: { 'Fn::Join': ['', ['arn:aws:ssm:eu-west-1:123456789012:parameter', { Ref: expect.stringMatching(/^WorkflowPaused/) }]] },
        }),
        expect.objectContaining({
          Action: 'lambda:InvokeFunction',
          Resource: [
            { 'Fn::GetAtt': [expect.stringMatching(/^WorkflowSteps/), 'Arn'] },
            { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^WorkflowSteps/), 'Arn'] }, ':*']] },
            { Ref: expect.stringMatching(/^TransformLive/) },
          ],
        }),
        expect.objectContaining({ Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': [expect.stringMatching(/^WorkflowDlq/), 'Arn'] } }),
        expect.objectContaining({ Action: 'events:PutEvents', Resource: { 'Fn::GetAtt': [expect.stringMatching(/^Bus/), 'Arn'] } }),
      ]),
    );
    // Only X-Ray and log delivery (which support no resource) are on "*".
    const onStar = statements.filter((s) => s.Resource === '*').flatMap((s) => [s.Action].flat() as string[]);
    expect(onStar.filter((a) => !a.startsWith('xray:') && !a.startsWith('logs:'))).toEqual([]);
  });

  test('least privilege: the steps and transform roles read only the raw objects the workflow processes (batch/*), not all of raw', () => {
    expect(rawReads(template, 'WorkflowStepsRole')).toEqual(['/batch/*']);
    expect(rawReads(template, 'TransformRole')).toEqual(['/batch/*']);
  });

  test('least privilege: a scheduled key outside the prefix is readable by its dated pattern, nothing else', () => {
    const s = testStack();
    workflowStack(s, { prefix: 'incoming/', schedule: events.Schedule.cron({ hour: '2', minute: '0' }), scheduledKey: 'exports/dt={date}/h={HH}/events.jsonl.gz' });
    const t = Template.fromStack(s);
    expect(rawReads(t, 'WorkflowStepsRole').sort()).toEqual(['/exports/dt=*/h=*/events.jsonl.gz', '/incoming/*']);
    expect(rawReads(t, 'TransformRole').sort()).toEqual(['/exports/dt=*/h=*/events.jsonl.gz', '/incoming/*']);
  });

  test('least privilege: the workflow DLQ accepts EventBridge only from the workflow\'s own rules (aws:SourceArn)', () => {
    const policy = Object.values(template.findResources('AWS::SQS::QueuePolicy')).find((p) =>
      JSON.stringify(p.Properties.Queues).includes('WorkflowDlq'),
    )!;
    const fromEvents = (policy.Properties.PolicyDocument.Statement as Json[]).filter((st) => st.Effect === 'Allow');
    const rules = Object.keys(template.findResources('AWS::Events::Rule')).sort();
    expect(rules).toHaveLength(3); // object created, schedule, abandoned runs
    expect(fromEvents.map((st) => [st.Principal, st.Action, Object.keys(st.Condition)]).every((x) => JSON.stringify(x) === JSON.stringify([{ Service: 'events.amazonaws.com' }, 'sqs:SendMessage', ['ArnEquals']]))).toBe(true);
    expect(fromEvents.map((st) => st.Condition.ArnEquals['aws:SourceArn']['Fn::GetAtt'][0]).sort()).toEqual(rules);
  });

  test('the given key encrypts the DLQ; CloudWatch Logs and EventBridge (undeliverable starts) may use it', () => {
    const { workflow, lake } = fixture;
    expect(workflow.deadLetterQueue.node.scope).toBe(workflow);
    expect(workflow.deadLetterQueue.encryptionKey).toBe(lake.encryptionKey);
    const keyPolicy = template.toJSON().Resources[stack.getLogicalId(lake.encryptionKey.node.defaultChild as CfnElement)].Properties.KeyPolicy.Statement as Json[];
    expect(keyPolicy).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Sid: 'AllowCloudWatchLogsForThisAccount', Principal: { Service: { 'Fn::Join': ['', ['logs.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } } }),
        expect.objectContaining({
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          Condition: { StringEquals: { 'aws:SourceAccount': TEST_ENV.account } },
        }),
      ]),
    );
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmDescription: Match.stringLikeRegexp('the batch workflow TestStack/Workflow \\(failed, timed-out and paused runs') });
  });

  test('the steps function: arm64, the newest Node.js runtime, X-Ray, JSON logs to its own KMS log group', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('batch workflow steps'),
      Runtime: latestNodeRuntime().name,
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: Match.objectLike({ LogFormat: 'JSON', LogGroup: { Ref: Match.stringLikeRegexp('^WorkflowStepsLogs') } }),
    });
  });

  test('runtime: the steps function runs on the chosen Node.js runtime; another family fails synth naming the prop', () => {
    const s = testStack();
    workflowStack(s, { runtime: lambda.Runtime.NODEJS_22_X });
    Template.fromStack(s).hasResourceProperties('AWS::Lambda::Function', { Description: Match.stringLikeRegexp('batch workflow steps'), Runtime: 'nodejs22.x' });
    expect(() => workflowStack(testStack(), { runtime: lambda.Runtime.JAVA_21 })).toThrow(
      /BatchWorkflow \(TestStack\/Workflow\) props:\n(.*\n)* {2}- runtime is java21; it must be a Node\.js runtime from nodejs20\.x/,
    );
  });

  test('invalid props are reported together in one error', () => {
    expect(() =>
      workflowStack(testStack(), {
        pipelineName: 'Bad Name',
        linesPerBatch: 0,
        maxConcurrency: 1001,
        maxDriftRate: 1.5,
        maxObjectBytes: 0,
        schemaSampleLines: -1,
        timeout: Duration.seconds(10),
        prefix: '/abs',
        suffix: '*.jsonl',
        pausedParameterName: 'no-slash',
        schedule: events.Schedule.rate(Duration.hours(1)),
      }),
    ).toThrow(
      [
        'Invalid BatchWorkflow (TestStack/Workflow) props:',
        '  - pipelineName is "Bad Name"; it must be 2 to 63 characters of a-z, 0-9 and "-", starting with a letter',
        '  - linesPerBatch is 0; it must be an integer from 1 to 100,000',
        '  - maxConcurrency is 1,001; it must be an integer from 1 to 1,000',
        '  - maxObjectBytes is 0; it must be an integer from 1 to 10,737,418,240',
        '  - schemaSampleLines is -1; it must be an integer from 0 to 100,000',
        '  - timeout is 10 seconds; it must be from 1 minute to 7 days',
        '  - maxDriftRate is 1.5; it must be from 0 to 1',
        '  - prefix is "/abs"; it must be empty or a key prefix without "*" and without a leading "/"',
        '  - suffix is "*.jsonl"; it must be 1 to 1024 characters without "*"',
        '  - pausedParameterName is "no-slash"; it must be an SSM parameter path starting with "/" (a-z, A-Z, 0-9, "_", ".", "-", "/")',
        '  - schedule is set but scheduledKey is not; a scheduled run needs the key to process',

      ].join('\n'),
    );
  });

  test('custom settings flow into the definition and resources', () => {
    const s = testStack();
    workflowStack(s, { linesPerBatch: 250, maxConcurrency: 3, maxDriftRate: 0.2, timeout: Duration.minutes(30), logRetention: logs.RetentionDays.ONE_YEAR, pausedParameterName: '/ops/clicks/paused' });
    const t = Template.fromStack(s);
    const definition = definitionOf(s);
    const st = statesByName(definition);
    expect(st.CheckObject.Parameters).toMatchObject({ linesPerBatch: 250 });
    expect(st.ProcessBatches.MaxConcurrency).toBe(3);
    expect(st.Summarize.Parameters.maxDriftRate).toBe(0.2);
    expect(definition.TimeoutSeconds).toBe(1800);
    t.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365 });
    t.hasResourceProperties('AWS::SSM::Parameter', { Name: '/ops/clicks/paused' });
  });

  test('snapshot', () => {
    expect(ownTemplate(fixture.workflow)).toMatchSnapshot();
  });
});

test('the steps function is bundled on its own (not served the transform\'s cached bundle of the same directory)', () => {
  const s = testStack({ bundle: true });
  const { workflow } = workflowStack(s);
  const assembly = (s.node.root as App).synth();
  const template = assembly.getStackByName('TestStack').template as Json;
  const key = String(template.Resources[s.getLogicalId(workflow.stepsFunction.node.defaultChild as CfnElement)].Properties.Code.S3Key);
  const bundle = fs.readFileSync(path.join(assembly.directory, `asset.${key.replace(/\.zip$/, '')}`, 'index.js'), 'utf8');
  expect(bundle).toContain('TooManyBatches');
  expect(bundle).not.toContain('@aws-sdk/client-dynamodb');
  expect(Buffer.byteLength(bundle)).toBeLessThan(20 * 1024);
});

describe('BatchWorkflow compliance', () => {
  test('cdk-nag (AwsSolutions, Serverless, NIST 800-53 R5, HIPAA): no finding from the workflow\'s resources (also with a dated scheduled key outside the prefix)', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'batch-workflow-'));
    try {
      const app = new App({ outdir, context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
      const s = new Stack(app, 'TestStack', { env: TEST_ENV });
      workflowStack(s);
      const scheduled = new Stack(app, 'Scheduled', { env: TEST_ENV });
      workflowStack(scheduled, { prefix: 'incoming/', schedule: events.Schedule.cron({ hour: '2', minute: '0' }), scheduledKey: 'exports/dt={date}/events.jsonl.gz' });
      addComplianceChecks(app);
      process.env.CDK_VALIDATION = 'true';
      try {
        app.synth();
      } catch {
        // findings fail synth; the report lists them
      }
      const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as {
        pluginReports: Array<{ pluginName: string; violations: Array<{ ruleName: string; violatingConstructs: Array<{ constructPath: string }> }> }>;
      };
      const findings = report.pluginReports.flatMap((p) =>
        p.violations.flatMap((v) =>
          v.violatingConstructs
            // The DLQ depth alarm gets its action when PipelineAlarms routes it (EtlPipeline lists the DLQ).
            // The transform's role too: the workflow grants it the raw reads.
            .filter((c) => /^(TestStack|Scheduled)\/(Workflow|Transform\/Role)\//.test(c.constructPath) && !/^(TestStack|Scheduled)\/Workflow\/Dlq\/DepthAlarm\//.test(c.constructPath))
            .map((c) => `${v.ruleName} ${c.constructPath}`),
        ),
      );
      expect(findings).toEqual([]);
    } finally {
      process.env.CDK_VALIDATION = 'false';
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });
});
