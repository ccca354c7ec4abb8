import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { recordRunLineage } from '../../../../lambda/runtime/steps/run-lineage';
import { StepAction } from '../../../../lib/contract/workflow-steps';

const s3Mock = mockClient(S3Client);
const s3 = new S3Client({ region: 'eu-west-1' });

beforeEach(() => s3Mock.reset());
afterAll(() => s3Mock.restore());

describe('lineage', () => {
  test('writes one run manifest named by the execution under the dated prefix, without the ranges', async () => {
    s3Mock.on(PutObjectCommand).resolves({});
    const input = {
      action: StepAction.LINEAGE as const,
      bucket: 'curated',
      prefix: '_lineage/clicks/runs/',
      pipeline: 'clicks',
      dataset: 'clicks',
      executionId: 'arn:aws:states:eu-west-1:123456789012:execution:wf:run-7',
      executionName: 'run-7',
      startedAt: '2026-11-24T23:59:58.000Z',
      source: {
        bucket: 'raw',
        key: 'batch/a.jsonl',
        object: { bytes: 10, lineCount: 3, etag: '"e"', versionId: 'v1', ranges: [{ firstLine: 1, lineCount: 3, firstByte: 0, lastByte: 9 }] },
      },
      transform: { functionName: 'fn', alias: 'live', version: '12' },
      schemaSample: { recordsIn: 3, schemaMismatches: 0, driftRate: 0 },
      counts: { recordsIn: 3, curated: 3, scope: 'object' as const, drifted: false },
    };
    expect(await recordRunLineage(s3, input)).toEqual({ bucket: 'curated', key: '_lineage/clicks/runs/dt=2026-11-24/run-7.json' });
    const put = s3Mock.commandCalls(PutObjectCommand)[0].args[0].input;
    expect(put).toMatchObject({ Bucket: 'curated', Key: '_lineage/clicks/runs/dt=2026-11-24/run-7.json', ContentType: 'application/json' });
    expect(JSON.parse(put.Body as string)).toEqual({
      kind: 'batch-run',
      pipeline: 'clicks',
      dataset: 'clicks',
      executionId: input.executionId,
      startedAt: input.startedAt,
      recordedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      source: { bucket: 'raw', key: 'batch/a.jsonl', bytes: 10, lineCount: 3, etag: '"e"', versionId: 'v1', batches: 1 },
      transform: { functionName: 'fn', alias: 'live', version: '12' },
      schemaSample: { recordsIn: 3, schemaMismatches: 0, driftRate: 0 },
      counts: { recordsIn: 3, curated: 3, scope: 'object', drifted: false },
    });
  });
});
