import * as path from 'node:path';
import type { Template } from '../../../local/template/cloud-assembly';
import { functionEnvironment, resolveEnvironment } from '../../../local/functions/function-environment';
import { resolveIntrinsics } from '../../../local/template/intrinsics';
import { environmentOf, LocalReferences } from '../../../local/template/references';
import { physicalName, readLocalResources } from '../../../local/template/template-resources';
import { mappingFunction } from '../../../local/run/wiring';
import type { ProvisionedStack } from '../../../local/run/provision';

// The data-plane part of the synthesized reference stack (cdk synth of bin/reference-app.ts).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const template = require(path.join(__dirname, '..', 'fixtures', 'reference-template.json')) as Template;
const resources = readLocalResources(template, 'ClickstreamPipeline');
const queueUrls = new Map(resources.queues.map((q) => [q.logicalId, `http://sqs.us-east-1.localhost:4566/000000000000/${q.name}`]));
const refs = new LocalReferences(template, resources, { region: 'us-east-1', queueUrls });

describe('readLocalResources', () => {
  test('finds the data-plane resources with local names', () => {
    expect(resources.buckets.map((b) => b.path).sort()).toEqual([
      'Pipeline/DataLake/AccessLogs',
      'Pipeline/DataLake/Curated',
      'Pipeline/DataLake/Quarantine',
      'Pipeline/DataLake/Raw',
    ]);
    expect(resources.buckets.find((b) => b.path.endsWith('Raw'))).toEqual(
      expect.objectContaining({ name: 'clickstreampipeline-pipelinedatalakerawf0ccf6eb', eventBridgeEnabled: true }),
    );
    expect(resources.queues).toHaveLength(4);
    expect(resources.eventBuses.map((b) => b.name)).toEqual(['ClickstreamPipeline-EventBusIngest-2B07DBD3']);
    expect(resources.secrets[0].generate).toEqual({ length: 64, excludePunctuation: true });
    expect(resources.notEmulated).toEqual([{ type: 'AWS::SNS::Topic', count: 2 }]);
  });

  test('an ON_DEMAND stream gets 2 shards; tables keep their key schema and TTL attribute', () => {
    expect(resources.streams).toEqual([expect.objectContaining({ path: 'Pipeline/StreamIngest/Stream', mode: 'ON_DEMAND', shardCount: 2 })]);
    expect(resources.tables[0]).toEqual(
      expect.objectContaining({ keySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], timeToLiveAttribute: 'expiresAt' }),
    );
  });

  test('queues keep their attributes and redrive policy', () => {
    const buffer = resources.queues.find((q) => q.path === 'Pipeline/EventBusIngest/Buffer')!;
    expect(buffer.attributes).toEqual({ VisibilityTimeout: '360', MessageRetentionPeriod: '345600' });
    expect(buffer.redrive?.maxReceiveCount).toBe(5);
    expect(refs.target(buffer.redrive?.deadLetterTargetArn)).toEqual({ kind: 'queue', logicalId: 'PipelineEventBusIngestBufferDlqQueueEA77772F' });
  });

  test('event source mappings keep every setting the local run honours', () => {
    const kinesis = resources.eventSourceMappings.find((m) => m.path.includes('Kinesis'))!;
    expect(kinesis).toEqual(
      expect.objectContaining({
        batchSize: 500,
        maximumBatchingWindowInSeconds: 1,
        maximumRetryAttempts: 3,
        bisectBatchOnFunctionError: true,
        maximumRecordAgeInSeconds: 86400,
        reportBatchItemFailures: true,
        parallelizationFactor: 2,
      }),
    );
    expect(refs.target(kinesis.eventSourceArn)).toEqual({ kind: 'stream', logicalId: 'PipelineStreamIngestStream26B8BBD8' });
    expect(refs.target(kinesis.onFailureDestination)).toEqual({ kind: 'queue', logicalId: 'PipelineTransformKinesisDlq1Queue33979A5D' });
    const sqs = resources.eventSourceMappings.find((m) => m.path.includes('Sqs'))!;
    expect(sqs).toEqual(expect.objectContaining({ batchSize: 100, maximumBatchingWindowInSeconds: 2, maximumConcurrency: 10, reportBatchItemFailures: true }));
  });

  test("a mapping's FunctionName resolves through the live alias to the function and its bundled asset", () => {
    const stack = { resources, refs } as unknown as ProvisionedStack;
    for (const m of resources.eventSourceMappings) {
      expect(refs.resolveString(m.functionName)).toBe('ClickstreamPipeline-PipelineTransformFunction091D1A09:live');
      expect(mappingFunction(stack, m)?.logicalId).toBe('PipelineTransformFunction091D1A09');
    }
    expect(resources.functions[0].assetPath).toMatch(/^asset\.[0-9a-f]{64}$/);
    expect(resources.functions[0].handler).toBe('index.handler');
  });

  test('long names are shortened with a hash, bucket names lower-cased', () => {
    expect(physicalName('S', 'X'.repeat(100), 63, true)).toHaveLength(63);
    expect(physicalName('S', 'X'.repeat(100), 63, true)).toMatch(/^s-x+-[0-9a-f]{8}$/);
    expect(physicalName('Stack', 'Id', 80, false)).toBe('Stack-Id');
  });
});

describe('environment resolution', () => {
  const fn = resources.functions[0];
  const variables = resolveEnvironment(fn, refs);

  test('Ref and Fn::GetAtt resolve to the emulated resources', () => {
    expect(variables).toEqual(
      expect.objectContaining({
        CURATED_BUCKET: 'clickstreampipeline-pipelinedatalakecurated2c637d6a',
        QUARANTINE_BUCKET: 'clickstreampipeline-pipelinedatalakequarantinea924e635',
        RAW_BUCKET: 'clickstreampipeline-pipelinedatalakerawf0ccf6eb',
        IDEMPOTENCY_TABLE: 'ClickstreamPipeline-PipelineIdempotencyStoreTableC6E1F2A0',
        PII_SECRET_ARN: expect.stringMatching(/^arn:aws:secretsmanager:us-east-1:000000000000:secret:ClickstreamPipeline-PipelineTransformPiiHashKey/),
        PIPELINE_NAME: 'clickstream',
        RECORD_ID_FIELD: 'eventId',
      }),
    );
  });

  test('the function cannot point an endpoint elsewhere; Lambda variables are set', () => {
    const env = functionEnvironment(fn, { ...variables, AWS_ENDPOINT_URL_S3: 'https://s3.amazonaws.com' }, { AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:1', AWS_REGION: 'us-east-1' }, '/task');
    expect(env.AWS_ENDPOINT_URL_S3).toBe('http://127.0.0.1:1');
    expect(env.AWS_LAMBDA_FUNCTION_NAME).toBe(fn.name);
    expect(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE).toBe('1024');
    expect(env.LAMBDA_TASK_ROOT).toBe('/task');
  });

  test('intrinsics: Join, Select, Split, Sub, GetAtt, pseudo parameters; unknown ones name themselves', () => {
    const lookup = refs;
    expect(resolveIntrinsics({ 'Fn::Join': ['-', ['a', { Ref: 'AWS::Region' }]] }, lookup)).toBe('a-us-east-1');
    expect(resolveIntrinsics({ 'Fn::Select': [1, { 'Fn::Split': [',', 'x,y,z'] }] }, lookup)).toBe('y');
    expect(resolveIntrinsics({ 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${PipelineDataLakeRawF0CCF6EB}/*' }, lookup)).toBe(
      'arn:aws:s3:::clickstreampipeline-pipelinedatalakerawf0ccf6eb/*',
    );
    expect(resolveIntrinsics({ 'Fn::GetAtt': ['PipelineEventBusIngestBufferE8829115', 'Arn'] }, lookup)).toBe(
      'arn:aws:sqs:us-east-1:000000000000:ClickstreamPipeline-PipelineEventBusIngestBufferE8829115',
    );
    expect(resolveIntrinsics({ Ref: 'PipelineEventBusIngestBufferE8829115' }, lookup)).toMatch(/^http:\/\/sqs\..*\/000000000000\/ClickstreamPipeline-/);
    expect(() => resolveIntrinsics({ 'Fn::ImportValue': 'x' }, lookup)).toThrow(/cannot resolve Fn::ImportValue/);
    expect(() => resolveIntrinsics({ Ref: 'Nope' }, lookup)).toThrow(/unknown resource or parameter "Nope"/);
  });
});

describe("each stack's own account and region", () => {
  test('environmentOf: explicit parts as they are; an environment-agnostic part is the local default', () => {
    expect(environmentOf({ environment: 'aws://111111111111/eu-west-1' })).toEqual({ account: '111111111111', region: 'eu-west-1' });
    expect(environmentOf({ environment: 'aws://unknown-account/unknown-region' })).toEqual({ account: '000000000000', region: 'us-east-1' });
    expect(environmentOf({ environment: 'aws://unknown-account/ap-southeast-2' })).toEqual({ account: '000000000000', region: 'ap-southeast-2' });
    expect(environmentOf({ environment: 'aws://222222222222/unknown-region' })).toEqual({ account: '222222222222', region: 'us-east-1' });
    expect(environmentOf({ environment: '' })).toEqual({ account: '000000000000', region: 'us-east-1' });
  });

  test("pseudo parameters and ARNs use the stack's account and region", () => {
    const own = new LocalReferences(template, resources, { account: '111111111111', region: 'eu-west-1', queueUrls });
    expect(own.account).toBe('111111111111');
    expect(resolveIntrinsics({ 'Fn::Sub': '${AWS::AccountId}/${AWS::Region}' }, own)).toBe('111111111111/eu-west-1');
    expect(own.arnOf('PipelineEventBusIngestBufferE8829115')).toBe('arn:aws:sqs:eu-west-1:111111111111:ClickstreamPipeline-PipelineEventBusIngestBufferE8829115');
    // A literal ARN the app built with its explicit account (Stack.formatArn) finds the resource.
    expect(own.target('arn:aws:sqs:eu-west-1:111111111111:ClickstreamPipeline-PipelineEventBusIngestBufferE8829115')).toEqual({
      kind: 'queue',
      logicalId: 'PipelineEventBusIngestBufferE8829115',
    });
    expect(refs.target('arn:aws:sqs:eu-west-1:111111111111:ClickstreamPipeline-PipelineEventBusIngestBufferE8829115')).toBeUndefined();
  });
});
