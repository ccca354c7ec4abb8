/**
 * Stale claims against the local run's S3 as it now answers: the fauxqs emulator behind the front
 * door, every call authorized with the transform role the TransformFunction construct synthesizes
 * (local/iam), and DynamoDB (dynalite) behind it too. S3 answers a lookup of a missing key with 404
 * only when the role may also list it, as on AWS; the runtime must read anything else as unknown.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { CreateTableCommand, DeleteTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { App, Stack } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { gunzipSync } from 'node:zlib';
import * as clickstreamTransform from '../../../examples/clickstream/transform';
import { IdempotencyStore, TransformFunction } from '../../../lib';
import { createBatchHandler } from '../../../lambda/runtime/batch-handler';
import { readConfig, type RuntimeConfig } from '../../../lambda/runtime/config';
import type { TransformModule } from '../../../lambda/runtime/transform-contract';
import type { Template } from '../../../local/template/cloud-assembly';
import { startEmulators, type Emulators } from '../../../local/services/emulators';
import { awsErrorResponse } from '../../../local/services/front-door/aws-error';
import { CallerRegistry } from '../../../local/services/front-door/callers';
import { startFrontDoor, type FrontDoor } from '../../../local/services/front-door/front-door';
import { readAppPolicies, type IamRole } from '../../../local/iam/app-policies';
import { IamAuthorizer } from '../../../local/iam/authorizer';
import { iamInterceptor } from '../../../local/iam/iam-interceptor';
import { ResourceDirectory } from '../../../local/iam/resource-directory';
import { LocalReferences } from '../../../local/template/references';
import { readLocalResources, type LocalResources } from '../../../local/template/template-resources';
import * as cdkJson from '../../../cdk.json';
import { CLICKSTREAM_TRANSFORM, TEST_ENV } from '../../support/cdk';
import { sampleEventLines, sqsEvent } from '../support/fixtures';

const clickstream = clickstreamTransform as unknown as TransformModule;
const logger = new Logger({ serviceName: 'stale-claims-front-door', logLevel: 'SILENT' });
const SAMPLE = sampleEventLines();
const BODIES = SAMPLE.slice(0, 4);
const CURATED_IDS = ['evt-0001', 'evt-0002', 'evt-0003', 'evt-0004'];

let outdir: string;
let template: Template;
let resources: LocalResources;
let refs: LocalReferences;
let roleArn: string;
let config: RuntimeConfig;
let emulators: Emulators;
let admin: { s3: S3Client; dynamodb: DynamoDBClient };

beforeAll(async () => {
  outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'stale-claims-front-door-'));
  const app = new App({ outdir, context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'StaleClaims', { env: TEST_ENV });
  const fn = new TransformFunction(stack, 'Transform', {
    transformEntry: CLICKSTREAM_TRANSFORM,
    pipelineName: 'clickstream',
    dataset: 'clickstream-events',
    idField: 'eventId',
    eventTimeField: 'eventTime',
    curatedBucket: new s3.Bucket(stack, 'Curated', { bucketName: 'curated-bucket', encryption: s3.BucketEncryption.KMS, enforceSSL: true }),
    quarantineBucket: new s3.Bucket(stack, 'Quarantine', { bucketName: 'quarantine-bucket', encryption: s3.BucketEncryption.KMS, enforceSSL: true }),
    idempotencyStore: new IdempotencyStore(stack, 'Store'),
  });
  template = app.synth().getStackByName('StaleClaims').template as Template;
  resources = readLocalResources(template, 'StaleClaims');
  refs = new LocalReferences(template, resources, TEST_ENV);
  roleArn = refs.getAtt(stack.getLogicalId(fn.role.node.defaultChild as iam.CfnRole), 'Arn');
  const transform = resources.functions.find((f) => f.environment.DATASET !== undefined)!;
  config = readConfig(refs.resolve(transform.environment) as NodeJS.ProcessEnv);
  emulators = await startEmulators({ services: ['s3', 'dynamodb'] });
  admin = { s3: emulators.clients.s3(), dynamodb: emulators.clients.dynamodb() };
  for (const b of resources.buckets) await admin.s3.send(new CreateBucketCommand({ Bucket: b.name }));
}, 120_000);

afterAll(async () => {
  await emulators?.stop();
  fs.rmSync(outdir, { recursive: true, force: true });
});

let frontDoor: FrontDoor | undefined;
afterEach(async () => {
  await frontDoor?.stop();
  frontDoor = undefined;
});

/** Empty buckets and a fresh claims table. */
async function reset(): Promise<void> {
  for (const b of resources.buckets) {
    const listed = await admin.s3.send(new ListObjectsV2Command({ Bucket: b.name }));
    for (const o of listed.Contents ?? []) await admin.s3.send(new DeleteObjectCommand({ Bucket: b.name, Key: o.Key }));
  }
  const table = resources.tables[0];
  await admin.dynamodb.send(new DeleteTableCommand({ TableName: table.name })).catch(() => undefined);
  await admin.dynamodb.send(new CreateTableCommand({ TableName: table.name, KeySchema: table.keySchema as never, AttributeDefinitions: table.attributeDefinitions as never, BillingMode: 'PAY_PER_REQUEST' }));
}

/**
 * The transform's batch handler with its clients at the front door, as the role; curated data
 * objects fail with a 500 while `failing.curated` is set (a failed or timed-out write).
 */
async function transformAtTheFrontDoor(editRole: (role: IamRole) => void = () => undefined) {
  await reset();
  const policies = readAppPolicies([{ name: 'StaleClaims', template, resources, refs }]);
  editRole(policies.roles.get(roleArn)!);
  const authorizer = new IamAuthorizer(policies, 'enforce');
  const directory = new ResourceDirectory(policies.encryption);
  directory.addStack({ resources, refs, queueUrls: new Map() });
  const failing = { curated: false };
  const callers = new CallerRegistry();
  const credentials = callers.register({ id: 'StaleClaims/Transform', label: 'Transform', roleArn, sessionName: 'transform' });
  frontDoor = await startFrontDoor({
    upstreams: { s3: emulators.endpoints.s3, dynamodb: emulators.endpoints.dynamodb },
    callers,
    interceptors: [
      iamInterceptor(authorizer, directory),
      {
        name: 'failing-writes',
        beforeRequest: (request) =>
          failing.curated && request.operation === 'PutObject' && request.s3?.bucket === 'curated-bucket' && !request.s3.key?.startsWith('_lineage/')
            ? awsErrorResponse(request, { status: 500, code: 'InternalError', message: 'We encountered an internal error. Please try again.' })
            : undefined,
      },
    ],
  });
  const handler = createBatchHandler(clickstream, undefined, {
    s3: emulators.clients.s3({ endpoint: frontDoor.endpoints.s3, credentials, maxAttempts: 1 }),
    dynamodb: emulators.clients.dynamodb({ endpoint: frontDoor.endpoints.dynamodb, credentials, maxAttempts: 1 }),
    config,
    logger,
    writeMetrics: () => undefined,
  });
  return { handler, failing, authorizer };
}

/** The ids of the records in curated data objects. */
async function curatedIds(): Promise<string[]> {
  const listed = await admin.s3.send(new ListObjectsV2Command({ Bucket: 'curated-bucket', Prefix: 'clickstream-events/' }));
  const ids: string[] = [];
  for (const o of listed.Contents ?? []) {
    const body = Buffer.from(await (await admin.s3.send(new GetObjectCommand({ Bucket: 'curated-bucket', Key: o.Key }))).Body!.transformToByteArray());
    const text = o.Key!.endsWith('.gz') ? gunzipSync(body).toString('utf8') : body.toString('utf8');
    ids.push(...text.split('\n').filter(Boolean).map((l) => String((JSON.parse(l) as { eventId: string }).eventId)));
  }
  return ids.sort();
}

const withoutListBucket = (role: IamRole) => {
  role.statements.splice(0, role.statements.length, ...role.statements.filter((s) => ![s.Action].flat().includes('s3:ListBucket')));
};

describe('a record whose claim was stored but whose object was not, S3 answering through the front door as AWS does', () => {
  it('is curated exactly once on redelivery: the role may list its prefix, so the missing object is a 404', async () => {
    const { handler, failing, authorizer } = await transformAtTheFrontDoor();
    failing.curated = true;
    const event = sqsEvent(BODIES);
    const first = await handler(event);
    expect(first.batchItemFailures.length).toBe(BODIES.length);
    expect(await curatedIds()).toEqual([]);

    failing.curated = false;
    const failed = new Set(first.batchItemFailures.map((f) => f.itemIdentifier));
    const second = await handler({ Records: event.Records.filter((r) => failed.has(r.messageId)) });
    expect(second).toEqual({ batchItemFailures: [] });
    expect(await curatedIds()).toEqual(CURATED_IDS);
    const report = authorizer.report();
    expect(report.denied).toEqual([]);
    // Every call was authorized, KMS included (the buckets use a customer managed key).
    expect(Object.keys(report.checkedActions)).toEqual(expect.arrayContaining(['s3:PutObject', 's3:GetObject', 'kms:GenerateDataKey', 'dynamodb:PutItem', 'dynamodb:BatchGetItem']));
  });

  it('fails on every redelivery without the ListBucket grant: the front door answers the lookup 403, as AWS does', async () => {
    const { handler, failing, authorizer } = await transformAtTheFrontDoor(withoutListBucket);
    failing.curated = true;
    const event = sqsEvent(BODIES);
    const first = await handler(event);
    failing.curated = false;
    const failed = new Set(first.batchItemFailures.map((f) => f.itemIdentifier));
    for (let attempt = 0; attempt < 2; attempt++) {
      await expect(handler({ Records: event.Records.filter((r) => failed.has(r.messageId)) })).rejects.toThrow(
        // A HEAD answer has no body: SDK v3 names a bodiless 403 by its status alone (Unknown), as it does on AWS.
        /HeadObject of s3:\/\/curated-bucket\/clickstream-events\/\S+ failed \(\S+ 403\), so whether the object exists is unknown/,
      );
    }
    expect(await curatedIds()).toEqual([]);
    expect(authorizer.report().denied).toEqual([
      expect.objectContaining({ caller: 'Transform', action: 's3:ListBucket', resource: 'arn:aws:s3:::curated-bucket', operations: ['s3:HeadObject (missing key)'], enforced: true }),
    ]);
  });

  it('a write outside the role\'s grants is refused with 403 AccessDenied and AWS\'s message', async () => {
    const withoutPut = (role: IamRole) => {
      role.statements.splice(0, role.statements.length, ...role.statements.filter((s) => ![s.Action].flat().includes('s3:PutObject')));
    };
    const { handler, authorizer } = await transformAtTheFrontDoor(withoutPut);
    const response = await handler(sqsEvent(BODIES.slice(0, 1)));
    expect(response.batchItemFailures).toHaveLength(1);
    const [denial] = authorizer.report().denied;
    expect(denial).toMatchObject({ caller: 'Transform', action: 's3:PutObject', reason: 'because no identity-based policy allows the s3:PutObject action' });
    expect(denial.resource).toMatch(/^arn:aws:s3:::curated-bucket\//);
  });
});
