import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import type { SQSEvent } from 'aws-lambda';
import { buildSync } from 'esbuild';
import type { BatchResponse } from '../../../lambda/runtime/batch-handler';
import {
  CLICKSTREAM_DIR,
  eventBridgeEnvelope,
  lineageManifests,
  objectKeyPattern,
  PROJECT_ROOT,
  sampleEventLines,
  sqsEvent,
  storedObjects,
} from '../support/fixtures';

/**
 * Bundles the shipped entry point the way TransformFunction does (esbuild, CJS, the user transform
 * and the schema bundle aliased), then loads and invokes the bundle: the aliases really resolve and
 * the bundle really runs.
 */
const OUT_DIR = path.join(PROJECT_ROOT, 'node_modules', '.cache', 'cdk-serverless-etl-test');
// One file per worker process, so parallel runs never load each other's half-written bundle.
const BUNDLE = path.join(OUT_DIR, `transform-handler-${process.pid}-${Date.now()}.js`);

const RUNTIME_ENV = {
  PIPELINE_NAME: 'clickstream',
  CURATED_BUCKET: 'curated-bucket',
  QUARANTINE_BUCKET: 'quarantine-bucket',
  DATASET: 'clicks',
  RECORD_ID_FIELD: 'eventId',
  EVENT_TIME_FIELD: 'eventTime',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  AWS_REGION: 'us-east-1',
};

type Handler = (event: SQSEvent) => Promise<BatchResponse>;

const s3Mock = mockClient(S3Client);
const savedEnv = Object.fromEntries(Object.keys(RUNTIME_ENV).map((name) => [name, process.env[name]]));
let handler: Handler;
let bundleText: string;

beforeAll(() => {
  mkdirSync(OUT_DIR, { recursive: true });
  const result = buildSync({
    entryPoints: [path.join(PROJECT_ROOT, 'lambda', 'handlers', 'transform-handler.ts')],
    outfile: BUNDLE,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['@aws-sdk/*'],
    alias: {
      '@cdk-serverless-etl/user-transform': path.join(CLICKSTREAM_DIR, 'transform.ts'),
      '@cdk-serverless-etl/schema-bundle': path.join(PROJECT_ROOT, 'lambda', 'runtime', 'no-schemas.ts'),
      '@cdk-serverless-etl/runtime': path.join(PROJECT_ROOT, 'lambda', 'runtime', 'batch-handler.ts'),
    },
    logLevel: 'silent',
  });
  expect(result.errors).toEqual([]);
  bundleText = readFileSync(BUNDLE, 'utf8');

  Object.assign(process.env, RUNTIME_ENV);
  // The bundle reads its config and creates its S3 client when it is loaded.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  handler = (require(BUNDLE) as { handler: Handler }).handler;
});

afterAll(() => {
  s3Mock.restore();
  rmSync(BUNDLE, { force: true });
  for (const [name, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

/** What the bundle prints (its EMF metric lines go to stdout, as in Lambda); kept off the test output. */
let printed: string[] = [];
let stdout: jest.SpyInstance;

beforeEach(() => {
  s3Mock.reset();
  s3Mock.on(PutObjectCommand).resolves({});
  printed = [];
  stdout = jest.spyOn(process.stdout, 'write').mockImplementation(((chunk: unknown) => {
    printed.push(String(chunk));
    return true;
  }) as typeof process.stdout.write);
});

afterEach(() => stdout.mockRestore());

describe('the bundled transform handler', () => {
  const [first] = sampleEventLines();
  const detail = { ...(JSON.parse(first) as Record<string, unknown>), eventId: 'evt-eb-1', eventType: 'purchase' };
  const event = sqsEvent([first, JSON.stringify(eventBridgeEnvelope(detail)), '{"not": "closed"']);

  it('exports a handler function', () => {
    expect(typeof handler).toBe('function');
  });

  it('resolves both aliases into the bundle and leaves the AWS SDK external', () => {
    expect(bundleText).not.toContain('@cdk-serverless-etl/');
    expect(bundleText).toContain('page.url must be a string');
    expect(bundleText).toMatch(/require\("@aws-sdk\/client-s3"\)/);
    expect(bundleText).not.toMatch(/aws-cdk-lib/);
  });

  it('runs the aliased clickstream transform and writes the curated object', async () => {
    const response = await handler(event);

    expect(response).toEqual({ batchItemFailures: [] });
    const curated = storedObjects(s3Mock, 'curated-bucket');
    expect(curated).toHaveLength(1);
    expect(curated[0].key).toMatch(objectKeyPattern('clicks'));
    expect(curated[0].key.startsWith('clicks/dt=2026-11-24/hr=09/')).toBe(true);
    // Output of the reference transform, not of an identity function.
    expect(curated[0].records).toEqual([
      expect.objectContaining({ eventId: 'evt-0001', host: 'shop.example.com', path: '/products/1', isConversion: false, pipeline: 'clickstream' }),
      expect.objectContaining({ eventId: 'evt-eb-1', isConversion: true }),
    ]);
    expect(curated[0].text).not.toMatch(/email|"ip"|user-101/);

    expect(lineageManifests(s3Mock)).toHaveLength(1);
    const emf = printed.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => '_aws' in line);
    expect(emf).toEqual([expect.objectContaining({ Pipeline: 'clickstream', RecordsIn: 3, RecordsOut: 2, RecordsQuarantined: 1 })]);
    const quarantine = storedObjects(s3Mock, 'quarantine-bucket');
    expect(quarantine).toHaveLength(1);
    expect(quarantine[0].records).toEqual([expect.objectContaining({ reason: 'MALFORMED_JSON', source: expect.objectContaining({ messageId: 'msg-2' }) })]);
  });

  it('reports the affected messages when the curated write fails', async () => {
    s3Mock.on(PutObjectCommand).callsFake(async (input: { Bucket: string; Key: string }) => {
      if (input.Bucket === 'curated-bucket' && !input.Key.startsWith('_lineage/')) throw new Error('SlowDown');
      return {};
    });

    const response = await handler(event);

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'msg-0' }, { itemIdentifier: 'msg-1' }] });
  });
});
