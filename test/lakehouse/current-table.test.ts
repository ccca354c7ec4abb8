import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { cfnLintAvailable, formatFinding, lintTemplates } from '../../scripts/cfn-lint';
import { CurrentTable, DataLake, ServerlessWarehouse, TransformFunction } from '../../lib';
import type { CurrentTableProps } from '../../lib';
import { CLICKSTREAM_TRANSFORM, ROOT, TEST_ENV, testApp } from '../support/cdk';

const SCHEMA = path.join(ROOT, 'examples', 'clickstream', 'schemas', 'curated-clickstream.json');
/** The curated clickstream's version field (the input's revision, passed on by the transform). */
const VERSION_FIELD = 'revision';

function build(props: Partial<CurrentTableProps> = {}) {
  const stack = new Stack(testApp(), 'Lakehouse', { env: TEST_ENV });
  const lake = new DataLake(stack, 'Lake');
  const warehouse = new ServerlessWarehouse(stack, 'Warehouse', { curatedBucket: lake.curatedBucket, dataset: 'clickstream', columns: [{ name: 'id', type: 'string' }] });
  const table = new CurrentTable(stack, 'Current', {
    pipelineName: 'clickstream',
    dataset: 'clickstream',
    curatedBucket: lake.curatedBucket,
    warehouse,
    outputSchema: SCHEMA,
    key: 'eventId',
    ...props,
  });
  return { stack, lake, table, template: Template.fromStack(stack) };
}

describe('CurrentTable', () => {
  const { stack, table, template } = build({ versionField: 'eventTime' });

  test('an Iceberg v2 table in the Glue Data Catalog: columns from the output schema, reserved columns, day partitions, under _current/<dataset>/', () => {
    const iceberg = template.findResources('AWS::Glue::Table', { Properties: { OpenTableFormatInput: Match.anyValue() } });
    expect(Object.keys(iceberg)).toHaveLength(1);
    const props = Object.values(iceberg)[0].Properties;
    expect(props.TableInput.Name).toBe('clickstream_current');
    const input = props.OpenTableFormatInput.IcebergInput;
    expect(input).toMatchObject({ MetadataOperation: 'CREATE', Version: '2' });
    const fields = input.IcebergTableInput.Schema.Fields as Array<{ Id: number; Name: string; Type: string; Required: boolean }>;
    expect(fields.map((f) => `${f.Id} ${f.Name} ${f.Type}`)).toEqual([
      '1 _etl_key string', '2 _etl_op string', '3 _etl_event_time string', '4 _etl_processed_at string', '5 _etl_transform_version string',
      '6 _etl_schema_version string', '7 _etl_position string', '8 eventid string', '9 revision long', '10 eventtime timestamp', '11 eventtype string', '12 userkey string',
      '13 sessionid string', '14 host string', '15 path string', '16 referrerhost string', '17 isconversion boolean', '18 properties string',
      '19 schemaversion string', '20 pipeline string',
    ]);
    expect(fields.every((f) => f.Required === false)).toBe(true);
    expect(input.IcebergTableInput.PartitionSpec).toEqual({ SpecId: 0, Fields: [{ Name: '_etl_event_time_truncate', SourceId: 3, Transform: 'truncate[10]', FieldId: 1000 }] });
    expect(input.IcebergTableInput.Properties).toMatchObject({
      'write.format.default': 'parquet',
      // What Athena's VACUUM reads (Athena user guide, VACUUM), and the Iceberg names for other engines.
      vacuum_max_snapshot_age_seconds: String(5 * 24 * 3600),
      vacuum_min_snapshots_to_keep: '1',
      'history.expire.max-snapshot-age-ms': String(5 * 24 * 3600 * 1000),
    });
    expect(JSON.stringify(stack.resolve(input.IcebergTableInput.Location))).toContain('/_current/clickstream/');
    expect(table.spec).toMatchObject({ database: 'clickstream_etl', table: 'clickstream_current', sourceTable: 'clickstream_current_source', versionColumn: 'eventtime' });
  });

  test('the MERGE source over the curated JSON Lines, with every column, and the view of live rows', () => {
    template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        Name: 'clickstream_current_source',
        PartitionKeys: [Match.objectLike({ Name: 'dt' }), Match.objectLike({ Name: 'hr' })],
        StorageDescriptor: Match.objectLike({ Columns: Match.arrayWith([Match.objectLike({ Name: '_etl_event_time', Type: 'string' }), Match.objectLike({ Name: 'eventtime', Type: 'string' }), Match.objectLike({ Name: 'isconversion', Type: 'boolean' })]) }),
      }),
    });
    const view = Object.values(template.findResources('AWS::Glue::Table', { Properties: { TableInput: { TableType: 'VIRTUAL_VIEW' } } }))[0].Properties.TableInput;
    expect(view.Name).toBe('clickstream_current_live');
    const presto = JSON.parse(Buffer.from(/Presto View: (\S+) \*\//.exec(view.ViewOriginalText)![1], 'base64').toString('utf8'));
    expect(presto.originalSql).toContain('WHERE "_etl_op" = \'upsert\'');
    expect(presto.columns.map((c: { name: string }) => c.name)).not.toContain('_etl_op');
  });

  test('exact merge tracking: curated objects of the dataset into the merge queue (KMS, DLQ after 5 receives), merged on a schedule and after batch runs', () => {
    template.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 7200, RedrivePolicy: { maxReceiveCount: 5, deadLetterTargetArn: Match.anyValue() }, KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.s3'], 'detail-type': ['Object Created'], detail: { object: { key: [{ wildcard: 'clickstream/*.jsonl.gz' }] } } },
    });
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(15 minutes)' });
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(30 3 * * ? *)' });
    template.hasResourceProperties('AWS::Events::Rule', { EventPattern: { source: ['cdk-serverless-etl'], 'detail-type': ['BatchCompleted'], detail: { pipeline: ['clickstream'] } } });
    template.hasResourceProperties('AWS::S3::Bucket', { NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } } });
  });

  test('the merge state machine: collect, MERGE statements with .sync one at a time, acknowledge only after; maintenance: OPTIMIZE then VACUUM', () => {
    const definition = (machine: typeof table.mergeStateMachine) => {
      const body = stack.resolve((machine.node.defaultChild as unknown as { definitionString: unknown }).definitionString);
      const text = typeof body === 'string' ? body : (body['Fn::Join'][1] as unknown[]).map((p) => (typeof p === 'string' ? p : '<token>')).join('');
      return JSON.parse(text.replace(/<token>/g, 'X')) as { StartAt: string; States: Record<string, Record<string, unknown>> };
    };
    const merge = definition(table.mergeStateMachine);
    expect(merge.StartAt).toBe('Collect');
    expect(merge.States.AnythingPending).toMatchObject({ Choices: [{ Variable: '$.pending.count', NumericEquals: 0, Next: 'NothingPending' }], Default: 'MergeStatements' });
    expect(merge.States.MergeStatements).toMatchObject({ ItemsPath: '$.pending.statements', MaxConcurrency: 1, Next: 'Acknowledge', Catch: [{ Next: 'MergeFailed' }] });
    const inner = (merge.States.MergeStatements as { ItemProcessor: { States: Record<string, { Resource: string; Parameters: Record<string, unknown> }> } }).ItemProcessor.States.Merge;
    expect(inner.Resource).toMatch(/:states:::athena:startQueryExecution\.sync$/);
    expect(inner.Parameters).toMatchObject({ 'QueryString.$': '$.sql', WorkGroup: 'clickstream-etl', QueryExecutionContext: { Database: 'clickstream_etl' } });
    expect(merge.States.Acknowledge).toMatchObject({ Next: 'MorePending' });
    const maintenance = definition(table.maintenanceStateMachine);
    expect(maintenance.States.Optimize).toMatchObject({ Parameters: { QueryString: 'OPTIMIZE clickstream_etl.clickstream_current REWRITE DATA USING BIN_PACK' }, Next: 'Vacuum' });
    expect(maintenance.States.Vacuum).toMatchObject({ Parameters: { QueryString: 'VACUUM clickstream_etl.clickstream_current' } });
  });

  test('least privilege: Athena in the warehouse workgroup, Glue on these tables, S3 on the dataset and the table files only', () => {
    const policies = template.findResources('AWS::IAM::Policy');
    const statements = Object.entries(policies)
      .filter(([id]) => id.startsWith('CurrentMergeStateMachine'))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>);
    const actions = statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    expect(actions).toEqual(expect.arrayContaining(['athena:StartQueryExecution', 'glue:UpdateTable', 's3:DeleteObject', 'lambda:InvokeFunction']));
    expect(actions.filter((a) => a.endsWith('*') && !a.startsWith('kms:') && !a.startsWith('xray:') && !a.startsWith('logs:'))).toEqual([]);
    expect(JSON.stringify(stack.resolve(statements))).not.toContain('"glue:*"');
  });

  test('alarms on failed merges, merge backlog age and failed maintenance, with runbook links', () => {
    expect(table.alarms.map((a) => stack.resolve((a.node.defaultChild as unknown as { alarmDescription: string }).alarmDescription))).toEqual([
      expect.stringContaining('runbooks.md#current-table-merge-failed'),
      expect.stringContaining('runbooks.md#current-table-merge-backlog'),
      expect.stringContaining('runbooks.md#current-table-maintenance-failed'),
    ]);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateAgeOfOldestMessage', Threshold: 3600 });
  });

  test('sets the transform\'s environment: lakehouse columns on, keyed by the key field, ordered by the version field', () => {
    const s = new Stack(testApp(), 'WithTransform', { env: TEST_ENV });
    const lake = new DataLake(s, 'Lake');
    const warehouse = new ServerlessWarehouse(s, 'Warehouse', { curatedBucket: lake.curatedBucket, dataset: 'clickstream', columns: [{ name: 'id', type: 'string' }] });
    const fn = new TransformFunction(s, 'Transform', { transformEntry: CLICKSTREAM_TRANSFORM, pipelineName: 'clickstream', curatedBucket: lake.curatedBucket, quarantineBucket: lake.quarantineBucket });
    new CurrentTable(s, 'Current', { pipelineName: 'clickstream', dataset: 'clickstream', curatedBucket: lake.curatedBucket, warehouse, outputSchema: SCHEMA, key: 'eventId', versionField: VERSION_FIELD }).configureTransform(fn);
    Template.fromStack(s).hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ CURRENT_TABLE: 'true', CURRENT_TABLE_KEY: 'eventId', CURRENT_TABLE_VERSION_FIELD: VERSION_FIELD }) } });
  });

  const lint = cfnLintAvailable() || process.env.CI ? test : test.skip;
  lint('cfn-lint: zero errors', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'current-table-lint-'));
    const file = path.join(dir, 'template.json');
    fs.writeFileSync(file, JSON.stringify(template.toJSON()));
    expect(lintTemplates([file]).errors.map(formatFinding)).toEqual([]);
  });
});

describe('CurrentTable props', () => {
  test('one error names every bad prop: unknown key and version field, a bad partition, limits', () => {
    expect(() =>
      build({
        key: 'orderId',
        versionField: 'properties',
        partitionBy: [{ column: 'eventtype', transform: 'day' }, { column: 'nope', transform: 'bucket' }],
        maxObjectsPerMerge: 0,
        snapshotRetention: Duration.minutes(1),
      }),
    ).toThrow(
      /key is "orderId", not a property of outputSchema[\s\S]*versionField is "properties", an object or array[\s\S]*maxObjectsPerMerge is 0[\s\S]*snapshotRetention[\s\S]*partitionBy\[0\]\.transform is day, but eventtype is a string column[\s\S]*partitionBy\[1\]\.column is "nope"[\s\S]*partitionBy\[1\]\.width must be a positive integer for bucket/,
    );
  });

  test('an output schema that cannot be read or mapped fails synth with the path', () => {
    expect(() => build({ outputSchema: 'no/such/schema.json' })).toThrow(/outputSchema is "no\/such\/schema\.json" \(.*\); it cannot be read as JSON/);
    expect(() => build({ outputSchema: { type: 'object', properties: { a: { anyOf: [] } } }, key: undefined })).toThrow(/outputSchema\.properties\.a\.anyOf is not supported/);
  });
});
