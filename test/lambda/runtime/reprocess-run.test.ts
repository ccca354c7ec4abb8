/**
 * A reprocess run (`replay --reprocess`) through the runtime: its records are re-derived as new
 * curated lines, deduplicated within the run (claims `<run>#<id>`, object keys of the run), never
 * against their first processing; a retry of the run writes nothing new; without a current table
 * the run is a plain replay.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import * as clickstreamTransform from '../../../examples/clickstream/transform';
import { createBatchHandler } from '../../../lambda/runtime/batch-handler';
import type { RuntimeConfig } from '../../../lambda/runtime/config';
import { idempotencyKey } from '../../../lambda/runtime/idempotency-key';
import type { TransformModule } from '../../../lambda/runtime/transform-contract';
import { LAKEHOUSE_COLUMNS } from '../../../lib/contract/lakehouse/columns';
import {
  eventBridgeEnvelope,
  fakeIdempotencyTable,
  fakeS3Objects,
  fakeS3Store,
  lineageManifests,
  sampleEventLines,
  sqsEvent,
  storedObjects,
  testConfig,
} from '../support/fixtures';

const clickstream = clickstreamTransform as unknown as TransformModule;
const s3Mock = mockClient(S3Client);
const ddbMock = mockClient(DynamoDBClient);
const logger = new Logger({ serviceName: 'reprocess-test', logLevel: 'SILENT' });

const RAW = 'raw-bucket';
const KEY = 'batch/2026-11-24/sample-events.jsonl';
const TABLE = 'clickstream-idempotency';
const WORKFLOW = 'arn:aws:states:us-east-1:123456789012:execution:clickstream-batch';
const RUN = 'reprocess-20261207110000-ab12';
const SAMPLE = sampleEventLines();

/** A range of the sample object as the batch workflow execution `name` invokes it. */
const range = (name?: string) => ({ s3Object: { bucket: RAW, key: KEY }, ...(name ? { run: `${WORKFLOW}:${name}` } : {}) });

function handler(config: RuntimeConfig) {
  return createBatchHandler(clickstream, undefined, {
    s3: new S3Client({ region: 'us-east-1' }),
    dynamodb: new DynamoDBClient({ region: 'us-east-1' }),
    config,
    logger,
    writeMetrics: () => undefined,
  });
}

const curatedKeys = () => storedObjects(s3Mock, 'curated-bucket').map((o) => o.key);

beforeEach(() => {
  s3Mock.reset();
  ddbMock.reset();
  fakeS3Store(s3Mock);
  fakeS3Objects(s3Mock, { [`${RAW}/${KEY}`]: `${SAMPLE.join('\n')}\n` }, new Date('2026-11-24T10:42:00.000Z'));
});

describe('idempotencyKey', () => {
  it('is the record id, namespaced by the reprocess run when there is one', () => {
    expect(idempotencyKey({ id: 'evt-1' })).toBe('evt-1');
    expect(idempotencyKey({ id: 'evt-1', run: RUN })).toBe(`${RUN}#evt-1`);
  });
});

describe.each([
  ['claims', testConfig({ idempotencyTable: TABLE, currentTable: {} })],
  ['table', testConfig({ currentTable: {} })],
])("a reprocess run in '%s' deduplication", (mode, config) => {
  const claims = () => (mode === 'claims' ? fakeIdempotencyTable(ddbMock, TABLE) : new Map<string, string>());

  it('re-derives every record with the current transform as new lines in new objects; a retry of the run writes nothing new', async () => {
    const table = claims();
    const first = await handler(config)(range('nightly-load'));
    const firstKeys = curatedKeys();
    expect(first.summary).toMatchObject({ curated: 13, duplicates: 1 });

    const corrected = { ...config, transformVersion: 'v-corrected' };
    const again = await handler(corrected)(range(`${RUN}--0123456789abcdef`));
    // Nothing of the first processing counts as a duplicate: only the file's own repeated id.
    expect(again.summary).toEqual(first.summary);
    const runKeys = curatedKeys().slice(firstKeys.length);
    expect(runKeys).toHaveLength(1);
    expect(firstKeys).not.toContain(runKeys[0]);
    const [runObject] = storedObjects(s3Mock, 'curated-bucket').filter((o) => o.key === runKeys[0]);
    expect(runObject.records).toHaveLength(13);
    expect(new Set(runObject.records.map((r) => r[LAKEHOUSE_COLUMNS.transformVersion]))).toEqual(new Set(['v-corrected']));
    expect(runObject.metadata?.['reprocess-run']).toBe(RUN);
    const manifest = lineageManifests(s3Mock).pop()?.manifest as { reprocessRuns?: string[]; workflowRun?: string; objects: Array<{ inputs: Array<{ reprocessRun?: string }> }> };
    expect(manifest.reprocessRuns).toEqual([RUN]);
    expect(manifest.workflowRun).toBe(`${WORKFLOW}:${RUN}--0123456789abcdef`);
    expect(manifest.objects[0].inputs.every((i) => i.reprocessRun === RUN)).toBe(true);
    if (mode === 'claims') {
      expect(table.get(`${RUN}#evt-0001`)).toBe(runKeys[0]);
      expect(table.get('evt-0001')).toBe(firstKeys[0]);
    }

    // The run retried (a redriven execution, the Map running the range again): the same keys, no new line.
    const retried = await handler(corrected)(range(`${RUN}--0123456789abcdef`));
    expect(retried.summary).toEqual(first.summary);
    expect(new Set(curatedKeys())).toEqual(new Set([...firstKeys, ...runKeys]));
  });

  it('another run re-derives again, into objects of its own', async () => {
    claims();
    await handler(config)(range(`${RUN}--0123456789abcdef`));
    const before = new Set(curatedKeys());
    await handler(config)(range('reprocess-20261208090000-zz99--fedcba9876543210'));
    expect(curatedKeys().filter((k) => !before.has(k))).toHaveLength(1);
  });
});

describe('a reprocess run reaching a pipeline without a current table', () => {
  it('is a plain replay: deduplicated against the first processing, no second line', async () => {
    fakeIdempotencyTable(ddbMock, TABLE);
    const config = testConfig({ idempotencyTable: TABLE });
    const first = await handler(config)(range('nightly-load'));
    const written = curatedKeys().length;
    const again = await handler(config)(range(`${RUN}--0123456789abcdef`));
    // The same lines again: a redelivery of what the first processing stored (counted where it is).
    expect(again.summary).toEqual(first.summary);
    expect(curatedKeys()).toHaveLength(written);
  });
});

describe('events replayed from the EventBridge archive', () => {
  const detail = JSON.parse(SAMPLE[0]) as Record<string, unknown>;
  const replayed = (replayName: string) => JSON.stringify({ ...eventBridgeEnvelope(detail), 'replay-name': replayName });

  it("are the reprocess run named by their replay-name, and a plain replay's are deduplicated as before", async () => {
    const table = fakeIdempotencyTable(ddbMock, TABLE);
    const config = testConfig({ idempotencyTable: TABLE, currentTable: {} });
    await handler(config)(sqsEvent([JSON.stringify(eventBridgeEnvelope(detail))]));
    expect(curatedKeys()).toHaveLength(1);

    const plain = await handler(config)(sqsEvent([replayed('etl-replay-202611240900-abc')]));
    expect(plain.batchItemFailures).toEqual([]);
    expect(curatedKeys()).toHaveLength(1);

    await handler(config)(sqsEvent([replayed(RUN)]));
    expect(curatedKeys()).toHaveLength(2);
    expect(table.has(`${RUN}#evt-0001`)).toBe(true);
  });
});
