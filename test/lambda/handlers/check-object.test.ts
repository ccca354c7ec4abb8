import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { CopyObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { createHandler } from '../../../lambda/handlers/check-object';
import { StepAction } from '../../../lib/contract/workflow-steps';

const s3Mock = mockClient(S3Client);
const handler = createHandler(new S3Client({ region: 'eu-west-1' }));
const check = { action: StepAction.CHECK as const, bucket: 'raw', key: 'batch/a.jsonl', linesPerBatch: 2, maxObjectBytes: 1000 };

function serve(content: string | Buffer, chunk = 7) {
  const bytes = Buffer.from(content);
  s3Mock.on(HeadObjectCommand).resolves({ ContentLength: bytes.length, ETag: '"e"', VersionId: 'v1' });
  s3Mock.on(GetObjectCommand).callsFake(async () => {
    const chunks: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += chunk) chunks.push(bytes.subarray(i, i + chunk));
    return { Body: Readable.from(chunks) };
  });
}

beforeEach(() => s3Mock.reset());
afterAll(() => s3Mock.restore());

// Each step's logic is tested with its module (test/lambda/runtime/steps); here, that the entry
// hands each action to its step with the function's S3 client.
describe('dispatch', () => {
  test('check reads the object through the client and returns its ranges', async () => {
    serve('{"a":1}\n{"a":2}\n{"a":3}\n');
    await expect(handler(check)).resolves.toMatchObject({ lineCount: 3, ranges: [{ firstLine: 1, lineCount: 2 }, { firstLine: 3, lineCount: 1 }] });
    await expect(handler({ ...check, maxObjectBytes: 2 })).rejects.toMatchObject({ name: 'ObjectTooLarge' });
  });

  test('summarize and resolveKey need no client', async () => {
    await expect(handler({ action: StepAction.SUMMARIZE, batches: [{ summary: { recordsIn: 2, schemaMismatches: 1 } }], maxDriftRate: 0.1 })).resolves.toMatchObject({
      recordsIn: 2,
      drifted: true,
    });
    await expect(handler({ action: StepAction.RESOLVE_KEY, template: 'x/{date}.jsonl', time: '2026-03-01T00:30:00Z' })).resolves.toBe('x/2026-03-01.jsonl');
    expect(s3Mock.calls()).toHaveLength(0);
  });

  test('quarantine and lineage write through the client', async () => {
    s3Mock.on(HeadObjectCommand).resolves({ ContentLength: 1 });
    s3Mock.on(PutObjectCommand).resolves({});
    await expect(handler({ action: StepAction.QUARANTINE, bucket: 'raw', key: 'k', quarantineBucket: 'q', prefix: 'p/', reason: 'NotJsonLines' })).resolves.toEqual({
      bucket: 'q',
      key: 'p/k.error.json',
    });
    const lineage = {
      action: StepAction.LINEAGE as const,
      bucket: 'curated',
      prefix: 'runs/',
      pipeline: 'p',
      dataset: 'd',
      executionId: 'arn:x',
      executionName: 'run-1',
      startedAt: '2026-11-24T10:00:00Z',
      source: { bucket: 'raw', key: 'k', object: {} },
      transform: { functionName: 'f', alias: 'live', version: '1' },
      counts: {},
    };
    await expect(handler(lineage)).resolves.toEqual({ bucket: 'curated', key: 'runs/dt=2026-11-24/run-1.json' });
    expect(s3Mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Bucket)).toEqual(['q', 'curated']);
  });

  test('an unknown action fails', async () => {
    await expect(handler({ action: 'nope' } as never)).rejects.toThrow('unknown action "nope"');
  });
});

describe('PII probes: nothing of a rejected or drifted object reaches the quarantine bucket or the step outputs', () => {
  const PROBE = /probe\.\d+@example\.com|203\.0\.113\.\d+|probe-user-\d+/;
  const objects: Array<[label: string, content: string | Buffer, error: string | null]> = [
    ['CSV (not JSON Lines)', 'email,ip,userId\nprobe.1@example.com,203.0.113.1,probe-user-001\nprobe.2@example.com,203.0.113.2,probe-user-002\n', 'NotJsonLines'],
    [
      'drifted JSON Lines (loaded, then quarantined as SchemaDrift)',
      [1, 2, 3].map((n) => JSON.stringify({ userId: `probe-user-00${n}`, user: [{ email: `probe.${n}@example.com` }], ip: `203.0.113.${n}` })).join('\n'),
      null,
    ],
    ['double-encoded lines', gzipSync(JSON.stringify(JSON.stringify({ email: 'probe.4@example.com', ip: '203.0.113.4' }))), 'NotJsonLines'],
  ];

  test.each(objects)('%s', async (_label, content, error) => {
    serve(content);
    s3Mock.on(PutObjectCommand).resolves({});
    s3Mock.on(CopyObjectCommand).resolves({});
    const outputs: unknown[] = [];
    let reason = 'SchemaDrift';
    try {
      outputs.push(await handler({ ...check, linesPerBatch: 100 }));
    } catch (e) {
      outputs.push((e as Error).message);
      reason = (e as Error).name;
    }
    expect(reason).toBe(error ?? 'SchemaDrift');
    outputs.push(await handler({ action: StepAction.QUARANTINE, bucket: 'raw', key: 'batch/a.jsonl', quarantineBucket: 'q', prefix: 'clicks/objects/', reason, cause: String(outputs[0]) }));
    expect(s3Mock.commandCalls(CopyObjectCommand)).toHaveLength(0);
    const written = s3Mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(written).toHaveLength(1);
    const texts = [...written.map((w) => `${w.Key}\n${String(w.Body)}`), ...outputs.map((o) => JSON.stringify(o))];
    expect(texts.filter((t) => PROBE.test(t))).toEqual([]);
  });
});
