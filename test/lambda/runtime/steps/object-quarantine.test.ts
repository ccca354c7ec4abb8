import { CopyObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { quarantineObject } from '../../../../lambda/runtime/steps/object-quarantine';
import { StepAction } from '../../../../lib/contract/workflow-steps';

const s3Mock = mockClient(S3Client);
const s3 = new S3Client({ region: 'eu-west-1' });

beforeEach(() => s3Mock.reset());
afterAll(() => s3Mock.restore());

describe('quarantine', () => {
  test('records a pointer to the object (version, ETag, size) and the reason beside its key, never a copy of its bytes', async () => {
    s3Mock.on(HeadObjectCommand).resolves({ ContentLength: 42, ETag: '"e"', VersionId: 'v7', LastModified: new Date('2026-11-24T10:00:00Z') });
    s3Mock.on(PutObjectCommand).resolves({});
    const out = await quarantineObject(s3, {
      action: StepAction.QUARANTINE, bucket: 'raw', key: 'batch/a b+c.jsonl', quarantineBucket: 'q', prefix: 'clicks/objects/', reason: 'NotJsonLines', cause: 'csv',
    });
    expect(out).toEqual({ bucket: 'q', key: 'clicks/objects/batch/a b+c.jsonl.error.json' });
    expect(s3Mock.commandCalls(CopyObjectCommand)).toHaveLength(0);
    const puts = s3Mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(puts.map((p) => p.Key)).toEqual(['clicks/objects/batch/a b+c.jsonl.error.json']);
    expect(JSON.parse(puts[0].Body as string)).toMatchObject({
      source: { bucket: 'raw', key: 'batch/a b+c.jsonl', versionId: 'v7', etag: '"e"', bytes: 42, lastModified: '2026-11-24T10:00:00.000Z' },
      reason: 'NotJsonLines',
      cause: 'csv',
    });
  });

  test('still records the reason when the object is gone', async () => {
    s3Mock.on(HeadObjectCommand).rejects(Object.assign(new Error('Not Found'), { name: 'NotFound' }));
    s3Mock.on(PutObjectCommand).resolves({});
    await quarantineObject(s3, { action: StepAction.QUARANTINE, bucket: 'raw', key: 'k.jsonl', quarantineBucket: 'q', prefix: 'p/', reason: 'SchemaDrift' });
    const put = s3Mock.commandCalls(PutObjectCommand)[0].args[0].input;
    expect(JSON.parse(put.Body as string)).toMatchObject({ source: { bucket: 'raw', key: 'k.jsonl', headError: 'NotFound' }, reason: 'SchemaDrift' });
  });
});
