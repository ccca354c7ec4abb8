/**
 * Stale claims against S3 as AWS answers it. The runtime tells a stale claim (its object was never
 * written: a PutObject error, a timeout) from a duplicate with HeadObject. On AWS a missing key
 * answers 404 only to a caller that may also s3:ListBucket it, else 403, so these tests run the
 * runtime against an S3 double that authorizes every call with the transform role's policy exactly
 * as the TransformFunction construct synthesizes it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { mockClient } from 'aws-sdk-client-mock';
import type { KinesisStreamEvent, SQSEvent } from 'aws-lambda';
import * as clickstreamTransform from '../../../examples/clickstream/transform';
import { IdempotencyStore, TransformFunction } from '../../../lib';
import { createBatchHandler, type BatchResponse } from '../../../lambda/runtime/batch-handler';
import { readConfig, type RuntimeConfig } from '../../../lambda/runtime/config';
import type { TransformModule } from '../../../lambda/runtime/transform-contract';
import * as cdkJson from '../../../cdk.json';
import { CLICKSTREAM_TRANSFORM, TEST_ENV } from '../../support/cdk';
import { awsFaithfulS3, type AwsS3Double } from '../support/aws-s3';
import { fakeIdempotencyTable, kinesisEvent, sampleEventLines, sqsEvent } from '../support/fixtures';
import { authorize, roleStatements, templateResolver, type PolicyStatement } from '../support/iam-policy';

const clickstream = clickstreamTransform as unknown as TransformModule;
const s3Mock = mockClient(S3Client);
const ddbMock = mockClient(DynamoDBClient);
const logger = new Logger({ serviceName: 'stale-claims-test', logLevel: 'SILENT' });

const SAMPLE = sampleEventLines();
/** Four valid events (evt-0001 … evt-0004), a malformed line and an event without an id. */
const BODIES = [...SAMPLE.slice(0, 4), SAMPLE[14], SAMPLE[17]];
const CURATED_IDS = ['evt-0001', 'evt-0002', 'evt-0003', 'evt-0004'];

/** The transform role's statements and the function's runtime config, from the synthesized template. */
let grants: PolicyStatement[];
let config: RuntimeConfig;
let outdir: string;

beforeAll(() => {
  outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'stale-claims-'));
  const app = new App({ outdir, context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'StaleClaims', { env: TEST_ENV });
  const fn = new TransformFunction(stack, 'Transform', {
    transformEntry: CLICKSTREAM_TRANSFORM,
    pipelineName: 'clickstream',
    dataset: 'clickstream-events',
    idField: 'eventId',
    eventTimeField: 'eventTime',
    curatedBucket: new s3.Bucket(stack, 'Curated', { bucketName: 'curated-bucket', encryption: s3.BucketEncryption.KMS }),
    quarantineBucket: new s3.Bucket(stack, 'Quarantine', { bucketName: 'quarantine-bucket', encryption: s3.BucketEncryption.KMS }),
    idempotencyStore: new IdempotencyStore(stack, 'Store'),
  });
  const template = Template.fromStack(stack);
  grants = roleStatements(template, stack.getLogicalId(fn.role.node.defaultChild as iam.CfnRole));
  const resolve = templateResolver(template);
  const functions = Object.values(template.findResources('AWS::Lambda::Function')).filter((f) => f.Properties.Environment?.Variables?.DATASET);
  expect(functions).toHaveLength(1);
  config = readConfig(resolve(functions[0].Properties.Environment.Variables) as NodeJS.ProcessEnv);
});

afterAll(() => {
  s3Mock.restore();
  ddbMock.restore();
  fs.rmSync(outdir, { recursive: true, force: true });
});

beforeEach(() => {
  s3Mock.reset();
  ddbMock.reset();
});

const withoutListBucket = (statements: PolicyStatement[]) =>
  statements.filter((s) => ![s.Action].flat().some((a) => /^s3:(ListBucket|List\*|\*)$/i.test(String(a))));

function handler() {
  return createBatchHandler(clickstream, undefined, {
    s3: new S3Client({ region: 'eu-west-1' }),
    dynamodb: new DynamoDBClient({ region: 'eu-west-1' }),
    config,
    logger,
    writeMetrics: () => undefined,
  });
}

/** Each record of a bucket's data objects, by id (`recordId` of quarantine entries, `eventId` of curated records). */
function recordIds(double: AwsS3Double, bucket: string): string[] {
  return [...double.objects]
    .filter(([name]) => name.startsWith(`${bucket}/`) && !name.startsWith(`${bucket}/_lineage/`))
    .flatMap(([, text]) => text.split('\n').filter((l) => l !== ''))
    .map((line) => {
      const record = JSON.parse(line) as Record<string, unknown>;
      return String(record.eventId ?? record.recordId ?? `line:${JSON.stringify((record.source as { line?: unknown })?.line ?? record.source)}`);
    })
    .sort();
}

/** What the source delivers again after a response: SQS the failed messages, Kinesis everything from the lowest failed record on. */
type Source = {
  readonly name: string;
  readonly event: () => SQSEvent | KinesisStreamEvent;
  readonly redelivery: (event: SQSEvent | KinesisStreamEvent, response: BatchResponse) => SQSEvent | KinesisStreamEvent;
};
const SOURCES: Source[] = [
  {
    name: 'SQS',
    event: () => sqsEvent(BODIES),
    redelivery: (event, response) => {
      const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
      return { Records: (event as SQSEvent).Records.filter((r) => failed.has(r.messageId)) };
    },
  },
  {
    name: 'Kinesis',
    event: () => kinesisEvent(BODIES),
    redelivery: (event, response) => {
      const records = (event as KinesisStreamEvent).Records;
      const first = records.findIndex((r) => response.batchItemFailures.some((f) => f.itemIdentifier === r.kinesis.sequenceNumber));
      return { Records: first < 0 ? [] : records.slice(first) };
    },
  },
];

describe('the transform role as synthesized', () => {
  it('may list curated and quarantine only under the dataset prefix: what HeadObject of its own keys needs for a 404', () => {
    const mayList = (bucket: string, prefix: string) =>
      authorize(grants, { action: 's3:ListBucket', resource: `arn:aws:s3:::${bucket}`, context: { 's3:prefix': prefix } }).allowed;
    for (const bucket of ['curated-bucket', 'quarantine-bucket']) {
      expect(mayList(bucket, 'clickstream-events/dt=2026-11-24/hr=09/0123abcd.jsonl.gz')).toBe(true);
      expect(mayList(bucket, '')).toBe(false);
      expect(mayList(bucket, 'clickstream-events-2/x.jsonl.gz')).toBe(false);
      expect(mayList(bucket, 'other/clickstream-events/x')).toBe(false);
      expect(authorize(grants, { action: 's3:ListBucket', resource: `arn:aws:s3:::${bucket}` }).allowed).toBe(false);
    }
    // Lineage manifests are written, never looked up: no listing there.
    expect(mayList('curated-bucket', '_lineage/clickstream-events/dt=2026-11-24/x.json')).toBe(false);
    expect(config).toMatchObject({ curatedBucket: 'curated-bucket', quarantineBucket: 'quarantine-bucket', dataset: 'clickstream-events' });
    expect(config.idempotencyTable).toBeDefined();
  });
});

describe.each(SOURCES)('a $name record whose claim was stored but whose object was not', (source) => {
  it('is curated exactly once on redelivery, S3 answering as AWS does for the role as synthesized', async () => {
    const double = awsFaithfulS3(s3Mock, grants);
    const table = fakeIdempotencyTable(ddbMock, config.idempotencyTable as string);
    // The claims are stored, then every curated data object write fails (a 500, a timeout).
    double.failPuts((bucket, key) => bucket === 'curated-bucket' && !key.startsWith('_lineage/'));
    const event = source.event();
    const run = handler();

    const first = await run(event);
    expect(first.batchItemFailures.length).toBeGreaterThan(0);
    expect(recordIds(double, 'curated-bucket')).toEqual([]);
    for (const id of CURATED_IDS) expect(table.get(id)).toMatch(/^clickstream-events\//);

    double.failPuts(() => false);
    const second = await run(source.redelivery(event, first));

    expect(second).toEqual({ batchItemFailures: [] });
    expect(recordIds(double, 'curated-bucket')).toEqual(CURATED_IDS);
    for (const id of CURATED_IDS) expect(double.objects.has(`curated-bucket/${table.get(id)}`)).toBe(true);
    // The lookups of the missing objects were answered 404: nothing was denied.
    expect(double.denied).toEqual([]);
  });

  it('fails on every redelivery without the ListBucket grant (the 403 the runtime must not read as "missing")', async () => {
    const double = awsFaithfulS3(s3Mock, withoutListBucket(grants));
    fakeIdempotencyTable(ddbMock, config.idempotencyTable as string);
    double.failPuts((bucket, key) => bucket === 'curated-bucket' && !key.startsWith('_lineage/'));
    const event = source.event();
    const run = handler();
    const first = await run(event);
    double.failPuts(() => false);

    for (let attempt = 0; attempt < 2; attempt++) {
      await expect(run(source.redelivery(event, first))).rejects.toThrow(
        /HeadObject of s3:\/\/curated-bucket\/clickstream-events\/\S+ failed \(Forbidden 403\), so whether the object exists is unknown/,
      );
    }
    expect(recordIds(double, 'curated-bucket')).toEqual([]);
    expect(double.denied).toContainEqual(expect.objectContaining({ command: 'HeadObject', action: 's3:ListBucket', resource: 'arn:aws:s3:::curated-bucket' }));
  });

  it('quarantines a bad record exactly once when its quarantine entry was claimed but not written', async () => {
    const double = awsFaithfulS3(s3Mock, grants);
    const table = fakeIdempotencyTable(ddbMock, config.idempotencyTable as string);
    double.failPuts((bucket) => bucket === 'quarantine-bucket');
    const event = source.event();
    const run = handler();

    const first = await run(event);
    expect(first.batchItemFailures.length).toBeGreaterThan(0);
    expect([...table.keys()].filter((id) => id.startsWith('quarantine#'))).toHaveLength(2);
    expect(recordIds(double, 'quarantine-bucket')).toEqual([]);

    double.failPuts(() => false);
    const second = await run(source.redelivery(event, first));

    expect(second).toEqual({ batchItemFailures: [] });
    const quarantined = [...double.objects]
      .filter(([name]) => name.startsWith('quarantine-bucket/'))
      .flatMap(([, text]) => text.split('\n').filter((l) => l !== ''))
      .map((l) => (JSON.parse(l) as { reason: string }).reason)
      .sort();
    expect(quarantined).toEqual(['MALFORMED_JSON', 'MISSING_ID'].sort());
    expect(recordIds(double, 'curated-bucket')).toEqual(CURATED_IDS);
    expect(double.denied).toEqual([]);

    // Without the grant the same lookup is a 403: the bad records are retried, never re-quarantined blindly.
    double.statements = withoutListBucket(grants);
    for (const [name] of [...double.objects].filter(([n]) => n.startsWith('quarantine-bucket/'))) double.objects.delete(name);
    const third = await run(source.redelivery(event, { batchItemFailures: first.batchItemFailures }));
    expect(third.batchItemFailures.length).toBeGreaterThan(0);
    expect([...double.objects.keys()].filter((n) => n.startsWith('quarantine-bucket/'))).toEqual([]);
    expect(double.denied).toContainEqual(expect.objectContaining({ command: 'HeadObject', action: 's3:ListBucket', resource: 'arn:aws:s3:::quarantine-bucket' }));
  });
});

describe('a 403 that is not a missing key', () => {
  it.each([
    ['an explicit Deny of s3:GetObject (an SCP, a permissions boundary, a bucket policy)', 'deny'],
    ['a claim pointing outside the dataset prefix (made before the dataset was renamed)', 'renamed'],
  ])('is never read as "missing": %s', async (_label, kind) => {
    const double = awsFaithfulS3(s3Mock, grants);
    const table = fakeIdempotencyTable(ddbMock, config.idempotencyTable as string);
    const event = sqsEvent(SAMPLE.slice(0, 2));
    const run = handler();
    if (kind === 'deny') {
      // Stored once, then the role loses read access to curated objects.
      expect(await run(event)).toEqual({ batchItemFailures: [] });
      double.statements = [...grants, { Effect: 'Deny', Action: 's3:GetObject', Resource: 'arn:aws:s3:::curated-bucket/*' }];
    } else {
      // evt-0001 is curated under the old dataset name, which the role may not read.
      const key = 'old-dataset/dt=2026-11-24/hr=09/0123456789abcdef0123456789abcdef.jsonl.gz';
      double.objects.set(`curated-bucket/${key}`, `${SAMPLE[0]}\n`);
      table.set('evt-0001', key);
    }
    const objectsBefore = new Map(double.objects);
    const tableBefore = new Map(table);
    const putsBefore = s3Mock.commandCalls(PutObjectCommand).length;

    await expect(run(event)).rejects.toThrow(/HeadObject of s3:\/\/curated-bucket\/\S+ failed \(Forbidden 403\).*A 403 is a denial/);

    // Nothing was written again and no claim was taken over: the batch is retried as a whole.
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(putsBefore);
    expect(new Map(table)).toEqual(tableBefore);
    expect(new Map(double.objects)).toEqual(objectsBefore);
    expect(double.denied).toContainEqual(expect.objectContaining({ command: 'HeadObject', action: 's3:GetObject' }));
  });
});
