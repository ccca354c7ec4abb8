import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { checkObject } from '../../../../lambda/runtime/steps/object-check';
import { StepAction } from '../../../../lib/contract/workflow-steps';

const s3Mock = mockClient(S3Client);
const s3 = new S3Client({ region: 'eu-west-1' });
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

describe('check', () => {
  test('counts lines across chunks and returns ranges of linesPerBatch with their bytes', async () => {
    const content = '{"a":1}\n{"a":2}\r\n\n{"a":3}\n{"a":4}\n{"a":5}';
    serve(content);
    const out = await checkObject(s3, { ...check, schemaSampleLines: 3 });
    expect(out).toEqual({
      bytes: 41,
      lineCount: 6,
      etag: '"e"',
      versionId: 'v1',
      gzip: false,
      ranges: [
        { firstLine: 1, lineCount: 2, firstByte: 0, lastByte: 16 },
        { firstLine: 3, lineCount: 2, firstByte: 17, lastByte: 25 },
        { firstLine: 5, lineCount: 2, firstByte: 26, lastByte: 40 },
      ],
      sampleRange: { firstLine: 1, lineCount: 3, firstByte: 0, lastByte: 17 },
    });
    // The byte ranges tile the object: each range's bytes are exactly its lines.
    const text = (r: { firstByte: number | null; lastByte: number | null }) => Buffer.from(content).subarray(r.firstByte as number, (r.lastByte as number) + 1).toString();
    expect(out.ranges.map(text)).toEqual(['{"a":1}\n{"a":2}\r\n', '\n{"a":3}\n', '{"a":4}\n{"a":5}']);
    expect(s3Mock.commandCalls(GetObjectCommand)[0].args[0].input).toEqual({ Bucket: 'raw', Key: 'batch/a.jsonl', IfMatch: '"e"' });
  });

  test('reads gzip objects (by their bytes, whatever the key)', async () => {
    serve(gzipSync('{"a":1}\n{"a":2}\n{"a":3}\n'), 5);
    expect(await checkObject(s3, check)).toMatchObject({
      lineCount: 3,
      gzip: true,
      ranges: [
        { firstLine: 1, lineCount: 2, firstByte: null, lastByte: null },
        { firstLine: 3, lineCount: 1, firstByte: null, lastByte: null },
      ],
      sampleRange: { firstLine: 1, lineCount: 1, firstByte: null, lastByte: null },
    });
  });

  test('a few bad lines are the runtime\'s (quarantined with their line); a mostly bad object is not JSON Lines', async () => {
    serve('{"a":1}\nnot json\n{"a":3}\n');
    await expect(checkObject(s3, check)).resolves.toMatchObject({ lineCount: 3 });
    serve('a,b\n1,2\n3,4\n');
    await expect(checkObject(s3, check)).rejects.toMatchObject({ name: 'NotJsonLines' });
    serve('[{"a":1},{"a":2}]');
    await expect(checkObject(s3, check)).rejects.toMatchObject({ name: 'NotJsonLines' });
  });

  test('rejects objects too large, empty, or with too many batches, by name', async () => {
    serve('x'.repeat(1001));
    await expect(checkObject(s3, check)).rejects.toMatchObject({ name: 'ObjectTooLarge', message: expect.stringContaining('1001 bytes; the limit is 1000') });
    expect(s3Mock.commandCalls(GetObjectCommand)).toHaveLength(0);
    serve('\n\n');
    await expect(checkObject(s3, check)).rejects.toMatchObject({ name: 'EmptyObject' });
    serve('{"a":1}\n'.repeat(7));
    await expect(checkObject(s3, { ...check, maxBatches: 3 })).rejects.toMatchObject({ name: 'TooManyBatches' });
  });
});

describe('check: decompression bombs', () => {
  test('a gzip object whose decompressed bytes exceed the bound is ObjectTooLarge, and is not inflated beyond it', async () => {
    // A small bomb: 8 MiB of JSON lines in about 25 KiB of gzip, under a 1 MiB limit.
    const line = `${JSON.stringify({ a: 'x'.repeat(500) })}\n`;
    const bomb = gzipSync(line.repeat(Math.ceil((8 * 1024 * 1024) / line.length)));
    expect(bomb.length).toBeLessThan(64 * 1024);
    let pulled = 0;
    s3Mock.on(HeadObjectCommand).resolves({ ContentLength: bomb.length, ETag: '"e"' });
    s3Mock.on(GetObjectCommand).callsFake(async () => {
      async function* chunks() {
        for (let i = 0; i < bomb.length; i += 1024) {
          pulled++;
          yield bomb.subarray(i, i + 1024);
        }
      }
      return { Body: Readable.from(chunks()) };
    });

    await expect(checkObject(s3, { ...check, maxObjectBytes: 1024 * 1024 })).rejects.toMatchObject({
      name: 'ObjectTooLarge',
      message: expect.stringContaining(`is gzip of more than ${1024 * 1024} bytes decompressed (${bomb.length} compressed)`),
    });
    expect(pulled).toBeLessThan(Math.ceil(bomb.length / 1024));
    // The same object passes under a bound that holds it.
    await expect(checkObject(s3, { ...check, maxObjectBytes: 1024 * 1024, maxDecompressedBytes: 16 * 1024 * 1024, maxBatches: 1e9 })).resolves.toMatchObject({ gzip: true });
  });
});
