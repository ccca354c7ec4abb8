import { Size, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ServerlessWarehouse, ServerlessWarehouseProps } from '../../lib/staging/serverless-warehouse';
import { DataLake } from '../../lib/staging/data-lake';
import { testStack } from '../support/cdk';
import { ownTemplate } from '../support/construct-snapshot';

const COLUMNS = [
  { name: 'eventid', type: 'string', comment: 'unique event id' },
  { name: 'eventtime', type: 'string' },
  { name: 'properties', type: 'map<string,string>' },
];

/** A warehouse over a data lake's curated bucket, with the lake's key and (unless `logged` is false) its access-logs bucket. */
function synth(props: Partial<ServerlessWarehouseProps> = {}, logged = true) {
  const stack = testStack();
  const lake = new DataLake(stack, 'Lake');
  const warehouse = new ServerlessWarehouse(stack, 'Warehouse', {
    curatedBucket: lake.curatedBucket,
    dataset: 'click-stream',
    columns: COLUMNS,
    encryptionKey: lake.encryptionKey,
    accessLogsBucket: logged ? lake.accessLogsBucket : undefined,
    ...props,
  });
  return { stack, lake, warehouse, template: Template.fromStack(stack) };
}

const idOf = (stack: Stack, c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as never);

describe('ServerlessWarehouse', () => {
  const { stack, lake, warehouse, template } = synth();
  const curated = { Ref: idOf(stack, lake.curatedBucket) };

  test('snapshot', () => {
    expect(ownTemplate(warehouse)).toMatchSnapshot();
  });

  test('names from the dataset: database click_stream_etl, table click_stream, workgroup click-stream-etl', () => {
    expect([warehouse.databaseName, warehouse.tableName, warehouse.workGroupName]).toEqual(['click_stream_etl', 'click_stream', 'click-stream-etl']);
    template.hasResourceProperties('AWS::Glue::Database', { CatalogId: '123456789012', DatabaseInput: { Name: 'click_stream_etl', Description: 'Curated data of click-stream' } });
  });

  test('the table reads gzip JSON Lines under <curated>/<dataset>/ with dt/hr partition projection (no crawler)', () => {
    const [table] = Object.values(template.findResources('AWS::Glue::Table'));
    const input = table.Properties.TableInput;
    expect(input.StorageDescriptor.Location).toEqual({ 'Fn::Join': ['', ['s3://', curated, '/click-stream/']] });
    expect(input.Parameters).toMatchObject({
      'projection.enabled': 'true',
      'projection.dt.range': '2024-01-01,NOW',
      'projection.hr.range': '0,23',
      'storage.location.template': { 'Fn::Join': ['', ['s3://', curated, '/click-stream/dt=${dt}/hr=${hr}/']] },
    });
    expect(input.PartitionKeys.map((k: { Name: string }) => k.Name)).toEqual(['dt', 'hr']);
    expect(table.DependsOn).toEqual([idOf(stack, { node: { defaultChild: warehouse.database } })]);
    template.resourceCountIs('AWS::Glue::Crawler', 0);
  });

  test('the columns given, then the claim-check columns (once, even when given too)', () => {
    const names = (t: Template) => Object.values(t.findResources('AWS::Glue::Table'))[0].Properties.TableInput.StorageDescriptor.Columns.map((c: { Name: string }) => c.Name);
    expect(names(template)).toEqual(['eventid', 'eventtime', 'properties', 'recordid', 'claimcheck']);
    expect(names(synth({ columns: [...COLUMNS, { name: 'recordid', type: 'string' }] }).template)).toEqual(['eventid', 'eventtime', 'properties', 'recordid', 'claimcheck']);
  });

  test('the workgroup enforces its settings: KMS-encrypted results with the key, a 10 GiB scan limit, engine 3', () => {
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      Name: 'click-stream-etl',
      RecursiveDeleteOption: false,
      WorkGroupConfiguration: {
        EnforceWorkGroupConfiguration: true,
        PublishCloudWatchMetricsEnabled: true,
        BytesScannedCutoffPerQuery: 10 * 1024 ** 3,
        EngineVersion: { SelectedEngineVersion: 'Athena engine version 3' },
        ResultConfiguration: {
          OutputLocation: { 'Fn::Join': ['', ['s3://', { Ref: idOf(stack, warehouse.resultsBucket) }, '/results/']] },
          EncryptionConfiguration: { EncryptionOption: 'SSE_KMS', KmsKey: { 'Fn::GetAtt': [idOf(stack, lake.encryptionKey), 'Arn'] } },
        },
      },
    });
    template.resourceCountIs('AWS::KMS::Key', 1); // the lake's: none of its own
  });

  test('results expire after 30 days, are access-logged under athena-results/, and the access-logs bucket accepts them from the results bucket only', () => {
    const results = template.toJSON().Resources[idOf(stack, warehouse.resultsBucket)].Properties;
    expect(results.LifecycleConfiguration.Rules).toEqual(expect.arrayContaining([expect.objectContaining({ Id: 'expire-results', ExpirationInDays: 30 })]));
    expect(results.LoggingConfiguration).toEqual({ DestinationBucketName: { Ref: idOf(stack, lake.accessLogsBucket) }, LogFilePrefix: 'athena-results/' });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: idOf(stack, lake.accessLogsBucket) },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AllowAccessLogsFromWarehouseResults',
            Principal: { Service: 'logging.s3.amazonaws.com' },
            Action: 's3:PutObject',
            Condition: { ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [idOf(stack, warehouse.resultsBucket), 'Arn'] } }, StringEquals: { 'aws:SourceAccount': '123456789012' } },
          }),
        ]),
      },
    });
  });

  test('without an access-logs bucket: its own key, results not access-logged', () => {
    const { template: t, warehouse: w, stack: s } = synth({ encryptionKey: undefined }, false);
    expect(t.toJSON().Resources[idOf(s, w.resultsBucket)].Properties.LoggingConfiguration).toBeUndefined();
    t.resourceCountIs('AWS::KMS::Key', 2);
  });

  test('options: names, first partition date, scan limit', () => {
    const { template: t } = synth({ databaseName: 'shop', tableName: 'clicks', firstPartitionDate: '2025-06-01', bytesScannedCutoffPerQuery: Size.gibibytes(1) });
    t.hasResourceProperties('AWS::Glue::Table', { DatabaseName: 'shop', TableInput: Match.objectLike({ Name: 'clicks', Parameters: Match.objectLike({ 'projection.dt.range': '2025-06-01,NOW' }) }) });
    t.hasResourceProperties('AWS::Athena::WorkGroup', { Name: 'shop', WorkGroupConfiguration: Match.objectLike({ BytesScannedCutoffPerQuery: 1024 ** 3 }) });
  });

  test('grantQuery: the workgroup, the table\'s metadata, the curated objects, the results', () => {
    const s = testStack();
    const l = new DataLake(s, 'Lake');
    const w = new ServerlessWarehouse(s, 'Warehouse', { curatedBucket: l.curatedBucket, dataset: 'click-stream', columns: COLUMNS });
    const role = new iam.Role(s, 'Analyst', { assumedBy: new iam.AccountRootPrincipal() });
    w.grantQuery(role, l.curatedBucket);
    const [policy] = Object.values(Template.fromStack(s).findResources('AWS::IAM::Policy'));
    const actions = (policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[] }>).flatMap((st) => [st.Action].flat());
    expect(actions).toEqual(expect.arrayContaining(['athena:StartQueryExecution', 'athena:GetQueryResults', 'glue:GetTable', 'glue:GetPartitions', 's3:GetObject*', 's3:PutObject']));
    expect(JSON.stringify(policy)).toContain(':workgroup/click-stream-etl');
  });

  test('invalid props are reported together in one error', () => {
    expect(() => synth({ columns: [{ name: 'Bad-Name', type: 'string' }], firstPartitionDate: '2024-02-30', bytesScannedCutoffPerQuery: Size.mebibytes(1) })).toThrow(
      /firstPartitionDate is "2024-02-30"; it is not a calendar date[\s\S]*bytesScannedCutoffPerQuery is 1,048,576 bytes; Athena's minimum is 10 MB[\s\S]*columns\[0\]\.name is "Bad-Name"/,
    );
    expect(() => synth({ columns: [] })).toThrow(/columns is empty/);
  });
});
