import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { CopyObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { createHandler, lineRanges, resolveKey, scanLines, summarize } from '../../../lambda/handlers/check-object';

const s3Mock = mockClient(S3Client);
const handler = createHandler(new S3Client({ region: 'eu-west-1' }));
const check = { action: 'check' as const, bucket: 'raw', key: 'batch/a.jsonl', linesPerBatch: 2, maxObjectBytes: 1000 };

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
    const out = (await handler({ ...check, schemaSampleLines: 3 })) as { ranges: Array<{ firstByte: number; lastByte: number }> };
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
    const text = (r: { firstByte: number; lastByte: number }) => Buffer.from(content).subarray(r.firstByte, r.lastByte + 1).toString();
    expect(out.ranges.map(text)).toEqual(['{"a":1}\n{"a":2}\r\n', '\n{"a":3}\n', '{"a":4}\n{"a":5}']);
    expect(s3Mock.commandCalls(GetObjectCommand)[0].args[0].input).toEqual({ Bucket: 'raw', Key: 'batch/a.jsonl', IfMatch: '"e"' });
  });

  test('reads gzip objects (by their bytes, whatever the key)', async () => {
    serve(gzipSync('{"a":1}\n{"a":2}\n{"a":3}\n'), 5);
    expect(await handler(check)).toMatchObject({
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
    await expect(handler(check)).resolves.toMatchObject({ lineCount: 3 });
    serve('a,b\n1,2\n3,4\n');
    await expect(handler(check)).rejects.toMatchObject({ name: 'NotJsonLines' });
    serve('[{"a":1},{"a":2}]');
    await expect(handler(check)).rejects.toMatchObject({ name: 'NotJsonLines' });
  });

  test('rejects objects too large, empty, or with too many batches, by name', async () => {
    serve('x'.repeat(1001));
    await expect(handler(check)).rejects.toMatchObject({ name: 'ObjectTooLarge', message: expect.stringContaining('1001 bytes; the limit is 1000') });
    expect(s3Mock.commandCalls(GetObjectCommand)).toHaveLength(0);
    serve('\n\n');
    await expect(handler(check)).rejects.toMatchObject({ name: 'EmptyObject' });
    serve('{"a":1}\n'.repeat(7));
    await expect(handler({ ...check, maxBatches: 3 })).rejects.toMatchObject({ name: 'TooManyBatches' });
  });
});

describe('summarize', () => {
  test('sums the batch counts and compares the mismatch rate with the threshold', () => {
    const batch = (recordsIn: number, schemaMismatches: number) => ({
      summary: { recordsIn, curated: recordsIn - schemaMismatches, quarantined: schemaMismatches, schemaMismatches, dropped: 0, duplicates: 0, retried: 0 },
    });
    expect(summarize({ action: 'summarize', batches: [batch(10, 1), batch(10, 0)], maxDriftRate: 0.05 })).toEqual({
      recordsIn: 20, curated: 19, quarantined: 1, schemaMismatches: 1, dropped: 0, duplicates: 0, retried: 0,
      scope: 'object', batches: 2, driftRate: 0.05, drifted: false,
    });
    expect(summarize({ action: 'summarize', batches: [batch(10, 2)], maxDriftRate: 0.05 })).toMatchObject({ driftRate: 0.2, drifted: true });
    expect(summarize({ action: 'summarize', batches: [], maxDriftRate: 0 })).toMatchObject({ recordsIn: 0, driftRate: 0, drifted: false });
  });
});

describe('quarantine', () => {
  test('records a pointer to the object (version, ETag, size) and the reason beside its key, never a copy of its bytes', async () => {
    s3Mock.on(HeadObjectCommand).resolves({ ContentLength: 42, ETag: '"e"', VersionId: 'v7', LastModified: new Date('2026-11-24T10:00:00Z') });
    s3Mock.on(PutObjectCommand).resolves({});
    const out = await handler({
      action: 'quarantine', bucket: 'raw', key: 'batch/a b+c.jsonl', quarantineBucket: 'q', prefix: 'clicks/objects/', reason: 'NotJsonLines', cause: 'csv',
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
    await handler({ action: 'quarantine', bucket: 'raw', key: 'k.jsonl', quarantineBucket: 'q', prefix: 'p/', reason: 'SchemaDrift' });
    const put = s3Mock.commandCalls(PutObjectCommand)[0].args[0].input;
    expect(JSON.parse(put.Body as string)).toMatchObject({ source: { bucket: 'raw', key: 'k.jsonl', headError: 'NotFound' }, reason: 'SchemaDrift' });
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
      outputs.push(await handler({ action: 'quarantine', bucket: 'raw', key: 'batch/a.jsonl', quarantineBucket: 'q', prefix: 'clicks/objects/', reason, cause: String(outputs[0]) }));
      expect(s3Mock.commandCalls(CopyObjectCommand)).toHaveLength(0);
      const written = s3Mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
      expect(written).toHaveLength(1);
      const texts = [...written.map((w) => `${w.Key}\n${String(w.Body)}`), ...outputs.map((o) => JSON.stringify(o))];
      expect(texts.filter((t) => PROBE.test(t))).toEqual([]);
    });
  });
});

describe('resolveKey', () => {
  test('fills the date placeholders from the fire time minus the offset, in UTC', async () => {
    const input = { action: 'resolveKey' as const, template: 'exports/{yyyy}/{MM}/{dd}/{HH}/dt={date}.jsonl', time: '2026-03-01T00:30:00Z' };
    expect(resolveKey(input)).toBe('exports/2026/03/01/00/dt=2026-03-01.jsonl');
    // One day back crosses the month (and a leap-year-free February).
    expect(resolveKey({ ...input, offsetSeconds: 86400 })).toBe('exports/2026/02/28/00/dt=2026-02-28.jsonl');
    expect(await handler({ ...input, template: 'fixed.jsonl' })).toBe('fixed.jsonl');
  });

  test('fails for an unknown placeholder or a time that is not a date', () => {
    expect(() => resolveKey({ action: 'resolveKey', template: 'x/{day}', time: '2026-03-01T00:00:00Z' })).toThrow('unknown placeholder {day}');
    expect(() => resolveKey({ action: 'resolveKey', template: 'x/{date}', time: 'yesterday' })).toThrow('is not an ISO 8601 date');
  });

  test('prototype-free: {constructor}, {toString} and {__proto__} are unknown placeholders, not inherited members', () => {
    for (const name of ['constructor', 'toString', '__proto__']) {
      expect(() => resolveKey({ action: 'resolveKey', template: `x/{${name}}`, time: '2026-03-01T00:00:00Z' })).toThrow(`unknown placeholder {${name}}`);
    }
  });
});

describe('lineage', () => {
  test('writes one run manifest named by the execution under the dated prefix, without the ranges', async () => {
    s3Mock.on(PutObjectCommand).resolves({});
    const input = {
      action: 'lineage' as const,
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
    expect(await handler(input)).toEqual({ bucket: 'curated', key: '_lineage/clicks/runs/dt=2026-11-24/run-7.json' });
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

test('lineRanges and scanLines edge cases', async () => {
  expect(lineRanges(0, 10)).toEqual([]);
  expect(lineRanges(10, 10)).toEqual([{ firstLine: 1, lineCount: 10, firstByte: null, lastByte: null }]);
  expect(await scanLines(Readable.from([Buffer.from('a\nb')]), 1)).toMatchObject({ lineCount: 2, sample: ['a'] });
  expect(await scanLines(Readable.from([Buffer.from('a\n')]), 5)).toMatchObject({ lineCount: 1, sample: ['a'] });
  // Offsets are bytes, not characters: multi-byte UTF-8 split across chunks.
  const utf8 = Buffer.from('{"n":"é"}\n{"n":"€"}\n{"n":"x"}');
  const chunks = [utf8.subarray(0, 7), utf8.subarray(7, 19), utf8.subarray(19)];
  const scan = await scanLines(Readable.from(chunks), 5, 1);
  expect(scan.sample).toEqual(['{"n":"é"}', '{"n":"€"}', '{"n":"x"}']);
  expect([...scan.lineStarts]).toEqual([[1, 0], [2, 11], [3, 23]]);
  expect(utf8.subarray(11, 23).toString()).toBe('{"n":"€"}\n');
});

test('an unknown action fails', async () => {
  await expect(handler({ action: 'nope' } as never)).rejects.toThrow('unknown action "nope"');
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

    await expect(handler({ ...check, maxObjectBytes: 1024 * 1024 })).rejects.toMatchObject({
      name: 'ObjectTooLarge',
      message: expect.stringContaining(`is gzip of more than ${1024 * 1024} bytes decompressed (${bomb.length} compressed)`),
    });
    expect(pulled).toBeLessThan(Math.ceil(bomb.length / 1024));
    // The same object passes under a bound that holds it.
    await expect(handler({ ...check, maxObjectBytes: 1024 * 1024, maxDecompressedBytes: 16 * 1024 * 1024, maxBatches: 1e9 })).resolves.toMatchObject({ gzip: true });
  });
});
