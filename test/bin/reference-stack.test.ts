import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { IConstruct } from 'constructs';
import * as cdkJson from '../../cdk.json';
import { ClickstreamPipelineStack, deduplicationFromContext } from '../../bin/clickstream-pipeline-stack';
import { addComplianceChecks } from '../../bin/compliance-checks';
import { cfnLintAvailable, formatFinding, lintTemplates } from '../../scripts/cfn-lint';
import { TEST_ENV } from '../support/cdk';
import { constructReferences, libraryConstructs } from '../support/composition';
import { stateMachineDefinitions, statesByName } from '../support/state-machines';

interface Report {
  pluginReports: Array<{ pluginName: string; violations: Array<{ ruleName: string; description: string }> }>;
}

/**
 * One real synth of the reference stack, as `cdk synth` does it: esbuild bundling, the cdk-nag
 * packs and aws-cdk-lib's CloudFormation validation all on.
 */
describe('ClickstreamPipelineStack (full synth)', () => {
  let outdir: string;
  let template: Template;
  let stack: ClickstreamPipelineStack;
  let report: Report;

  beforeAll(() => {
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'reference-stack-'));
    const previous = process.env.CDK_VALIDATION;
    process.env.CDK_VALIDATION = 'true';
    try {
      const app = new App({ outdir, context: cdkJson.context });
      stack = new ClickstreamPipelineStack(app, 'ClickstreamPipeline', { env: TEST_ENV });
      addComplianceChecks(app);
      app.synth();
    } finally {
      process.env.CDK_VALIDATION = previous;
    }
    template = Template.fromStack(stack);
    report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as Report;
  });

  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  test('cdk-nag (AwsSolutions, Serverless, NIST 800-53 R5, HIPAA) and CloudFormation validation: zero findings', () => {
    const findings = report.pluginReports.flatMap((p) => p.violations.map((v) => `${p.pluginName}: ${v.ruleName} ${v.description}`));
    expect(findings).toEqual([]);
  });

  test('every acknowledgement carries a reason', () => {
    const acknowledged = stack.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === 'aws:cdk:acknowledged-rules'))
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    expect(acknowledged.length).toBeGreaterThan(20);
    for (const [id, reason] of acknowledged) {
      expect({ id, reasonLength: reason.length }).toEqual({ id, reasonLength: expect.any(Number) });
      expect(reason.length).toBeGreaterThan(60);
    }
  });

  test('the transform asset is bundled by esbuild with the clickstream transform inlined', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    const [fn] = Object.values(functions);
    const key = String(fn.Properties.Code.S3Key);
    const assetDir = path.join(outdir, `asset.${key.replace(/\.zip$/, '')}`);
    const bundle = fs.readFileSync(path.join(assetDir, 'index.js'), 'utf8');
    expect(bundle).toContain('isConversion');
    expect(bundle).not.toContain('@cdk-serverless-etl/user-transform');
    expect(bundle).not.toMatch(/require\(["']@aws-lambda-powertools/); // bundled in, not external
    expect(Buffer.byteLength(bundle)).toBeLessThan(150 * 1024);
  });

  test('every alarm has actions, every queue and stream is KMS-encrypted, every log group has retention', () => {
    // Every alarm notifies, or is a component of a composite (burn-rate) alarm that notifies; every
    // alarm description links its runbook section, and that section exists in docs/runbooks.md.
    const composites = Object.values(template.findResources('AWS::CloudWatch::CompositeAlarm'));
    const referenced = JSON.stringify(composites.map((c) => c.Properties.AlarmRule));
    const runbook = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'runbooks.md'), 'utf8');
    const anchors = new Set([...runbook.matchAll(/^#+ .*\{#([a-z-]+)\}|^<a id="([a-z-]+)"><\/a>/gm)].map((m) => m[1] ?? m[2]));
    const alarms = { ...template.findResources('AWS::CloudWatch::Alarm'), ...template.findResources('AWS::CloudWatch::CompositeAlarm') };
    for (const [id, alarm] of Object.entries(alarms)) {
      const notifies = (alarm.Properties.AlarmActions?.length ?? 0) > 0;
      expect({ id, notifiesOrFeedsComposite: notifies || referenced.includes(id) }).toEqual({ id, notifiesOrFeedsComposite: true });
      const anchor = /Runbook: https:\/\/unpkg\.com\/cdk-serverless-etl@[0-9A-Za-z.-]+\/docs\/runbooks\.md#([a-z-]+)$/.exec(String(alarm.Properties.AlarmDescription))?.[1];
      expect({ id, anchor, documented: anchor !== undefined && anchors.has(anchor) }).toEqual({ id, anchor, documented: true });
    }
    for (const queue of Object.values(template.findResources('AWS::SQS::Queue'))) {
      expect(queue.Properties.KmsMasterKeyId).toBeDefined();
    }
    for (const group of Object.values(template.findResources('AWS::Logs::LogGroup'))) {
      expect(group.Properties.RetentionInDays).toBeGreaterThan(0);
      expect(group.Properties.KmsKeyId).toBeDefined();
    }
    template.hasResourceProperties('AWS::Kinesis::Stream', { StreamEncryption: { EncryptionType: 'KMS' } });
  });

  test('uses the clickstream contract: eventId is the id, eventTime the event time, bus pattern for storefront events', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { RECORD_ID_FIELD: 'eventId', EVENT_TIME_FIELD: 'eventTime', DATASET: 'clickstream' } },
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['com.example.storefront'], 'detail-type': ['ClickstreamEvent'] },
    });
  });

  // cfn-lint comes with the machine's Python; CI must have it, a developer without it is told.
  const lint = cfnLintAvailable() || process.env.CI ? test : test.skip;
  lint('cfn-lint: zero errors besides the listed false positives of its schema', () => {
    const result = lintTemplates([path.join(outdir, 'ClickstreamPipeline.template.json')]);
    expect(result.errors.map(formatFinding)).toEqual([]);
    expect(result.knownFalsePositives.map((f) => `${f.rule} ${f.resourceType}`)).toEqual(['E3002 AWS::CloudWatch::Dashboard']);
  });

  // No snapshot: each construct's own resources are in its own snapshot (test/**/__snapshots__) and
  // the default pipeline's wiring in test/pipeline/etl-pipeline.test.ts; what the reference stack
  // adds is its choice of parts and props, asserted here.
  describe('composition', () => {
    const id = (c: IConstruct) => stack.getLogicalId((c.node.defaultChild ?? c) as never);

    test('the pipeline with every optional part: schemas, batch workflow, warehouse, budget', () => {
      expect(libraryConstructs(stack.pipeline)).toEqual([
        'Alarms: AlarmRouting',
        'BatchWorkflow/Dlq: DeadLetterQueue',
        'BatchWorkflow: BatchWorkflow',
        'CostGuardrails: CostGuardrails',
        'CostPerUnit/Publisher/Dlq: DeadLetterQueue',
        'CostPerUnit/Publisher: OperationsFunction',
        'CostPerUnit: CostPerUnit',
        'CurrentTable/MergeDlq: DeadLetterQueue',
        'CurrentTable: CurrentTable',
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
        'Schemas: SchemaRegistry',
        'Slos: PipelineSlos',
        'StreamIngest: StreamIngest',
        'Transform/KinesisDlq1: DeadLetterQueue',
        'Transform: TransformFunction',
        'Warehouse: ServerlessWarehouse',
        'Watermarks/DeadLetterQueue: DeadLetterQueue',
        'Watermarks: WatermarkPublisher',
      ]);
      expect(Object.keys(template.toJSON().Resources).length).toBeLessThan(250);
    });

    test('the optional parts are wired in: the workflow runs the transform over the lake, its DLQ is watched and paged; the warehouse reads the curated bucket; the budget notifies the ticket topic', () => {
      const optional = /BatchWorkflow|Warehouse|CostGuardrails|Schemas/;
      expect(constructReferences(stack.pipeline).filter((edge) => optional.test(edge))).toEqual([
        '. -> BatchWorkflow',
        '. -> BatchWorkflow/Dlq',
        'BatchWorkflow -> .',
        'BatchWorkflow -> BatchWorkflow/Dlq',
        'BatchWorkflow -> DataLake',
        'BatchWorkflow -> Transform',
        'BatchWorkflow/Dlq -> .',
        'BatchWorkflow/Dlq -> Alarms',
        'BatchWorkflow/Dlq -> BatchWorkflow',
        'CostGuardrails -> Alarms',
        // The cost publisher's schedule names the workflow, its DLQ and the warehouse's workgroup among the priced resources.
        'CostPerUnit -> BatchWorkflow',
        'CostPerUnit -> BatchWorkflow/Dlq',
        'CostPerUnit -> Warehouse',
        'CurrentTable -> Warehouse',
        // The dashboard shows the workflow's executions, its steps function's logs and its DLQ's depth.
        'Dashboard -> BatchWorkflow',
        'Dashboard -> BatchWorkflow/Dlq',
        'DataLake -> Warehouse',
        'OperationalAlarms -> BatchWorkflow',
        'OperationalAlarms -> BatchWorkflow/Dlq',
        'Warehouse -> .',
        'Warehouse -> DataLake',
      ]);
      expect(stack.pipeline.deadLetterQueues).toContain(stack.pipeline.batchWorkflow!.deadLetterQueue);
      expect(stack.pipeline.transform.schemaRegistry).toBe(stack.pipeline.schemaRegistry);
    });

    test('sources: Kinesis batches of 500 with parallelization 2; SQS batches of 100 in a 2 s window, 10 at a time', () => {
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: { 'Fn::GetAtt': [id(stack.pipeline.streamIngest!.stream), 'Arn'] },
        BatchSize: 500,
        ParallelizationFactor: 2,
      });
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: { 'Fn::GetAtt': [id(stack.pipeline.eventBusIngest!.bufferQueue), 'Arn'] },
        BatchSize: 100,
        MaximumBatchingWindowInSeconds: 2,
        ScalingConfig: { MaximumConcurrency: 10 },
      });
    });

    test('objectives: 99.5 % success, fresh within 5 minutes; no new data for 30 minutes alarms; a USD 100 monthly budget', () => {
      const expressions = Object.values(template.findResources('AWS::CloudWatch::Alarm')).flatMap((a) => (a.Properties.Metrics ?? []) as Array<{ Expression?: string; MetricStat?: { Stat: string } }>);
      expect(expressions.filter((m) => m.Expression === 'errors / 0.005')).toHaveLength(6); // success-rate burn, 3 alerts x 2 windows
      expect(expressions.filter((m) => m.MetricStat?.Stat === 'PR(:300)')).toHaveLength(6); // freshness burn
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'RecordsOut', Period: 1800 });
      template.hasResourceProperties('AWS::Budgets::Budget', {
        Budget: Match.objectLike({ BudgetLimit: { Amount: 100, Unit: 'USD' }, CostFilters: { TagKeyValue: ['user:pipeline$clickstream'] } }),
        NotificationsWithSubscribers: Match.arrayWith([Match.objectLike({ Subscribers: [{ Address: { Ref: id(stack.pipeline.alarmRouting.ticketTopic) }, SubscriptionType: 'SNS' }] })]),
      });
    });

    test('the batch workflow: objects under batch/ of the raw bucket, 1,000 lines a batch, 10 at a time, 5 % drift pauses', () => {
      template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: { source: ['aws.s3'], detail: { bucket: { name: [{ Ref: id(stack.pipeline.dataLake.rawBucket) }] }, object: { key: [{ prefix: 'batch/' }] } } },
      });
      const states = statesByName(stateMachineDefinitions(stack)[id(stack.pipeline.batchWorkflow!.stateMachine)]);
      expect(states.CheckObject.Parameters).toMatchObject({ linesPerBatch: 1000 });
      expect(states.ProcessBatches.MaxConcurrency).toBe(10);
      expect(states.Summarize.Parameters).toMatchObject({ maxDriftRate: 0.05 });
      expect(states.RecordLineage.Parameters).toMatchObject({ prefix: '_lineage/clickstream/runs/' });
    });

    test('the warehouse: clickstream_etl.clickstream over the curated bucket, the columns of the transform\'s output schema', () => {
      template.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: { Name: 'clickstream_etl', Description: Match.anyValue() } });
      const table = template.toJSON().Resources[id(stack.pipeline.warehouse!.table)];
      expect(table.Properties.DatabaseName).toBe('clickstream_etl');
      expect(table.Properties.TableInput.Name).toBe('clickstream');
      expect(JSON.stringify(table.Properties.TableInput.StorageDescriptor.Location)).toContain(id(stack.pipeline.dataLake.curatedBucket));
      expect(table.Properties.TableInput.StorageDescriptor.Columns.map((c: { Name: string }) => c.Name)).toEqual([
        'eventid', 'revision', 'eventtime', 'eventtype', 'userkey', 'sessionid', 'host', 'path', 'referrerhost', 'isconversion', 'properties', 'schemaversion', 'pipeline',
        // the lakehouse columns the runtime adds with a current table
        '_etl_key', '_etl_op', '_etl_event_time', '_etl_processed_at', '_etl_transform_version', '_etl_schema_version', '_etl_position',
        // added by the warehouse for claim-checked records
        'recordid', 'claimcheck',
      ]);
    });

    test('the current table: Iceberg clickstream_etl.clickstream_current keyed by the record id, newest revision wins, merged and maintained by their state machines', () => {
      const current = stack.pipeline.currentTable!;
      expect(current.spec).toMatchObject({ database: 'clickstream_etl', table: 'clickstream_current', sourceTable: 'clickstream_current_source' });
      expect(current.spec.versionColumn).toBe('revision');
      // Records are deduplicated by (eventId, revision), so a correction reaches the table.
      template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ RECORD_ID_FIELD: 'eventId', RECORD_VERSION_FIELD: 'revision' }) } });
      const definitions = stateMachineDefinitions(stack);
      expect(Object.keys(definitions).sort()).toEqual([id(stack.pipeline.batchWorkflow!.stateMachine), id(current.maintenanceStateMachine), id(current.mergeStateMachine)].sort());
      expect(Object.keys(statesByName(definitions[id(current.mergeStateMachine)]))).toEqual(expect.arrayContaining(['Collect', 'Merge', 'Acknowledge']));
      template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ CURRENT_TABLE: 'true' }) } });
      expect(stack.pipeline.deadLetterQueues).toContain(current.mergeDeadLetterQueue);
    });

    test('schemas: two versions of the clickstream schema (2 adds revisions and retractions), registered with its description', () => {
      expect(stack.pipeline.schemaRegistry!.versions).toEqual(['1', '2']);
      template.hasResourceProperties('AWS::EventSchemas::Registry', { Description: 'Clickstream events of the storefront' });
      template.resourceCountIs('AWS::EventSchemas::Schema', 2);
    });
  });
});

describe("ClickstreamPipelineStack with deduplication: 'table' (npx cdk synth -c deduplication=table)", () => {
  test('no idempotency store and no claim per record; cdk-nag and CloudFormation validation still find nothing', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'reference-stack-table-'));
    const previous = process.env.CDK_VALIDATION;
    process.env.CDK_VALIDATION = 'true';
    try {
      const app = new App({ outdir, context: { ...cdkJson.context, deduplication: 'table' } });
      const stack = new ClickstreamPipelineStack(app, 'ClickstreamPipeline', { env: TEST_ENV, deduplication: deduplicationFromContext(app.node.tryGetContext('deduplication')) });
      addComplianceChecks(app);
      app.synth();
      expect(stack.pipeline.idempotencyStore).toBeUndefined();
      expect(stack.pipeline.currentTable).toBeDefined();
      const variables = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function')).map((f) => f.Properties.Environment?.Variables ?? {});
      expect(variables.some((v) => v.IDEMPOTENCY_TABLE !== undefined)).toBe(false);
      expect(variables.filter((v) => v.RECORD_VERSION_FIELD === 'revision')).toHaveLength(1);
      const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as Report;
      expect(report.pluginReports.flatMap((p) => p.violations.map((v) => `${p.pluginName}: ${v.ruleName}`))).toEqual([]);
    } finally {
      process.env.CDK_VALIDATION = previous;
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  }, 180_000);

  test('the context value is checked: claims, table or unset', () => {
    expect(deduplicationFromContext(undefined)).toBeUndefined();
    expect(deduplicationFromContext('table')).toBe('table');
    expect(deduplicationFromContext('claims')).toBe('claims');
    expect(() => deduplicationFromContext('tables')).toThrow('context deduplication is "tables"; it must be claims or table (e.g. npx cdk synth -c deduplication=table)');
  });
});
