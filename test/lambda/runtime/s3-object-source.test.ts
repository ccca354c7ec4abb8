import { gzipSync } from 'node:zlib';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { isS3ObjectInput, loadS3JsonLines, type S3ObjectInput } from '../../../lambda/runtime/s3-object-source';
import { toSourceBatch } from '../../../lambda/runtime/source-records';
import { fakeS3Objects, kinesisEvent, sampleEventLines, sqsEvent } from '../support/fixtures';

const s3Mock = mockClient(S3Client);
const s3 = new S3Client({ region: 'us-east-1' });
const BUCKET = 'raw-bucket';
const LAST_MODIFIED = new Date('2026-11-24T08:15:30.000Z');

beforeEach(() => {
  s3Mock.reset();
});

afterAll(() => {
  s3Mock.restore();
});

const input = (key: string, range: { firstLine?: number; lineCount?: number } = {}): S3ObjectInput => ({ s3Object: { bucket: BUCKET, key, ...range } });

/** Serves one object and reads it back. */
async function load(key: string, content: string | Uint8Array, range: { firstLine?: number; lineCount?: number } = {}) {
  fakeS3Objects(s3Mock, { [`${BUCKET}/${key}`]: content }, LAST_MODIFIED);
  return (await loadS3JsonLines(s3, input(key, range))).s3JsonLines;
}

const A = '{"eventId":"a"}';
const B = '{"eventId":"b"}';
const C = '{"eventId":"c"}';
const D = '{"eventId":"d"}';

describe('isS3ObjectInput', () => {
  it('recognises an s3Object event', () => {
    expect(isS3ObjectInput({ s3Object: { bucket: 'b', key: 'k' } })).toBe(true);
    expect(isS3ObjectInput({ s3Object: { bucket: 'b', key: 'k', firstLine: 10, lineCount: 5 } })).toBe(true);
  });

  it.each([
    ['null', null],
    ['undefined', undefined],
    ['a string', 's3Object'],
    ['a number', 42],
    ['an empty object', {}],
    ['an s3JsonLines batch', { s3JsonLines: { bucket: 'b', key: 'k', lines: [] } }],
    ['a Kinesis batch', kinesisEvent([A])],
    ['an SQS batch', sqsEvent([A])],
  ])('rejects %s', (_label, event) => {
    expect(isS3ObjectInput(event)).toBe(false);
  });
});

describe('loadS3JsonLines', () => {
  it('reads a plain JSON Lines object: one line each, numbered from 1, body verbatim', async () => {
    const batch = await load('in/events.jsonl', `${A}\n${B}\n${C}\n`);

    expect(s3Mock.commandCalls(GetObjectCommand).map((c) => c.args[0].input)).toEqual([{ Bucket: BUCKET, Key: 'in/events.jsonl' }]);
    expect(batch).toEqual({
      bucket: BUCKET,
      key: 'in/events.jsonl',
      createdAt: '2026-11-24T08:15:30.000Z',
      // The version read is part of each record's position.
      etag: '"etag"',
      lines: [
        { line: 1, body: A },
        { line: 2, body: B },
        { line: 3, body: C },
      ],
    });
  });

  it('reads the last line without a trailing newline', async () => {
    const batch = await load('in/events.jsonl', `${A}\n${B}`);
    expect(batch.lines).toEqual([
      { line: 1, body: A },
      { line: 2, body: B },
    ]);
  });

  it('keeps a line that is not JSON as it is (the runtime quarantines it with its position)', async () => {
    const batch = await load('in/events.jsonl', `${A}\n{"truncated":\n${C}\n`);
    expect(batch.lines).toEqual([
      { line: 1, body: A },
      { line: 2, body: '{"truncated":' },
      { line: 3, body: C },
    ]);
  });

  it('reads a gzip object named .gz', async () => {
    const batch = await load('in/events.jsonl.gz', gzipSync(`${A}\n${B}\n`));
    expect(batch.lines).toEqual([
      { line: 1, body: A },
      { line: 2, body: B },
    ]);
  });

  it('reads a gzip object by its magic bytes when the key does not end in .gz', async () => {
    const batch = await load('in/events.jsonl', gzipSync(`${A}\n${B}\n`));
    expect(batch.lines).toEqual([
      { line: 1, body: A },
      { line: 2, body: B },
    ]);
  });

  it('reads a gzip object made of several gzip members (concatenated files)', async () => {
    const batch = await load('in/events.jsonl.gz', Buffer.concat([gzipSync(`${A}\n${B}\n`), gzipSync(`${C}\n`)]));
    expect(batch.lines.map((l) => l.body)).toEqual([A, B, C]);
  });

  it('does not treat a plain object as gzip', async () => {
    const batch = await load('in/events.jsonl', `${A}\n`);
    expect(batch.lines).toEqual([{ line: 1, body: A }]);
  });

  it('fails for a .gz object that is not gzip rather than reading garbage', async () => {
    fakeS3Objects(s3Mock, { [`${BUCKET}/in/events.jsonl.gz`]: `${A}\n` }, LAST_MODIFIED);
    await expect(loadS3JsonLines(s3, input('in/events.jsonl.gz'))).rejects.toThrow();
  });

  it('removes the CR of CRLF line endings, plain and gzip', async () => {
    const crlf = `${A}\r\n${B}\r\n${C}`;
    for (const [key, content] of [
      ['in/crlf.jsonl', crlf],
      ['in/crlf.jsonl.gz', gzipSync(crlf)],
    ] as const) {
      const batch = await load(key, content);
      expect(batch.lines).toEqual([
        { line: 1, body: A },
        { line: 2, body: B },
        { line: 3, body: C },
      ]);
    }
  });

  it('keeps a CR inside a line (only a line-ending CR is removed)', async () => {
    const batch = await load('in/events.jsonl', `{"text":"a\rb"}\r\n`);
    expect(batch.lines).toEqual([{ line: 1, body: '{"text":"a\rb"}' }]);
  });

  it('skips empty and blank lines, keeping the line numbers of the others', async () => {
    const batch = await load('in/events.jsonl', `\n${A}\n\n   \n\t\n\r\n${B}\n\n\n${C}\n\n`);
    expect(batch.lines).toEqual([
      { line: 2, body: A },
      { line: 7, body: B },
      { line: 10, body: C },
    ]);
  });

  it('returns no lines for an empty object, plain or gzip', async () => {
    expect((await load('in/empty.jsonl', '')).lines).toEqual([]);
    expect((await load('in/empty.jsonl.gz', gzipSync(''))).lines).toEqual([]);
    expect((await load('in/blank.jsonl', '\n\n\r\n')).lines).toEqual([]);
  });

  describe('line ranges', () => {
    const content = `${A}\n${B}\n${C}\n${D}\n`;

    it('starts at firstLine (1-based) and reads to the end without lineCount', async () => {
      expect((await load('in/e.jsonl', content, { firstLine: 3 })).lines).toEqual([
        { line: 3, body: C },
        { line: 4, body: D },
      ]);
    });

    it('reads lineCount lines from the start without firstLine', async () => {
      expect((await load('in/e.jsonl', content, { lineCount: 2 })).lines).toEqual([
        { line: 1, body: A },
        { line: 2, body: B },
      ]);
    });

    it('reads lineCount lines from firstLine', async () => {
      expect((await load('in/e.jsonl', content, { firstLine: 2, lineCount: 2 })).lines).toEqual([
        { line: 2, body: B },
        { line: 3, body: C },
      ]);
    });

    it('reads firstLine 1 with lineCount as the first lines', async () => {
      expect((await load('in/e.jsonl', content, { firstLine: 1, lineCount: 1 })).lines).toEqual([{ line: 1, body: A }]);
    });

    it('stops at the end of the object when the range goes past it', async () => {
      expect((await load('in/e.jsonl', content, { firstLine: 3, lineCount: 100 })).lines).toEqual([
        { line: 3, body: C },
        { line: 4, body: D },
      ]);
    });

    it('returns no lines for a range after the end or of zero lines', async () => {
      expect((await load('in/e.jsonl', content, { firstLine: 50 })).lines).toEqual([]);
      expect((await load('in/e.jsonl', content, { firstLine: 2, lineCount: 0 })).lines).toEqual([]);
    });

    it('counts empty lines in the range (lines are positions in the object, not records)', async () => {
      const sparse = `${A}\n\n${B}\n\n${C}\n`;
      expect((await load('in/e.jsonl', sparse, { firstLine: 2, lineCount: 3 })).lines).toEqual([{ line: 3, body: B }]);
    });

    it('splits an object into consecutive ranges that together hold every line exactly once', async () => {
      const lines = Array.from({ length: 25 }, (_, i) => `{"n":${i + 1}}`);
      const text = `${lines.join('\r\n')}\r\n`;
      const gz = gzipSync(text);
      const seen: Array<{ line: number; body: string }> = [];
      for (let firstLine = 1; firstLine <= 25; firstLine += 7) {
        seen.push(...(await load('in/big.jsonl.gz', gz, { firstLine, lineCount: 7 })).lines);
      }
      expect(seen).toEqual(lines.map((body, i) => ({ line: i + 1, body })));
    });
  });

  it('reads only the byte range of a range (a ranged, conditional GET), numbering lines from firstLine', async () => {
    const content = `${A}\n${B}\n\n${C}\n${D}\n`;
    const firstByte = content.indexOf(B);
    const lastByte = content.indexOf(D) - 1; // B, the empty line and C
    fakeS3Objects(s3Mock, { [`${BUCKET}/k.jsonl`]: content }, LAST_MODIFIED);
    const out = await loadS3JsonLines(s3, { s3Object: { bucket: BUCKET, key: 'k.jsonl', firstLine: 2, lineCount: 3, firstByte, lastByte, etag: '"etag"' } });
    expect(out.s3JsonLines.lines).toEqual([
      { line: 2, body: B },
      { line: 4, body: C },
    ]);
    expect(s3Mock.commandCalls(GetObjectCommand)[0].args[0].input).toEqual({
      Bucket: BUCKET,
      Key: 'k.jsonl',
      Range: `bytes=${firstByte}-${lastByte}`,
      IfMatch: '"etag"',
    });
  });

  it('fails a read of a replaced object (If-Match) instead of mixing two versions of it', async () => {
    fakeS3Objects(s3Mock, { [`${BUCKET}/k.jsonl`]: `${A}\n` });
    await expect(loadS3JsonLines(s3, { s3Object: { bucket: BUCKET, key: 'k.jsonl', etag: '"older"' } })).rejects.toMatchObject({ name: 'PreconditionFailed' });
  });

  it('reads the whole object when the range has no bytes (gzip: null offsets)', async () => {
    const lines = await load('g.jsonl.gz', gzipSync(`${A}\n${B}\n${C}\n`), { firstLine: 2, lineCount: 1, firstByte: null, lastByte: null } as never);
    expect(lines.lines).toEqual([{ line: 2, body: B }]);
    expect(s3Mock.commandCalls(GetObjectCommand)[0].args[0].input.Range).toBeUndefined();
  });

  it('uses the object’s LastModified as createdAt, and leaves it unset without one', async () => {
    expect((await load('in/e.jsonl', A)).createdAt).toBe(LAST_MODIFIED.toISOString());
    fakeS3Objects(s3Mock, { [`${BUCKET}/in/e.jsonl`]: A });
    expect((await loadS3JsonLines(s3, input('in/e.jsonl'))).s3JsonLines.createdAt).toBeUndefined();
  });

  it('fails when the object cannot be read (the invocation is retried)', async () => {
    fakeS3Objects(s3Mock, {});
    await expect(loadS3JsonLines(s3, input('in/missing.jsonl'))).rejects.toThrow('The specified key does not exist.');
  });

  it('gives every record its position (bucket, key, line) and LastModified as receive time', async () => {
    fakeS3Objects(s3Mock, { [`${BUCKET}/in/e.jsonl.gz`]: gzipSync(`${A}\n\n${B}\n`) }, LAST_MODIFIED);
    const batch = await loadS3JsonLines(s3, input('in/e.jsonl.gz'));
    const source = toSourceBatch(batch);
    expect(source.kind).toBe('s3');
    expect(source.records).toEqual([
      { itemId: 'in/e.jsonl.gz#1', position: { kind: 's3', bucket: BUCKET, key: 'in/e.jsonl.gz', line: 1, etag: '"etag"' }, body: A, receivedAtMs: LAST_MODIFIED.getTime() },
      { itemId: 'in/e.jsonl.gz#3', position: { kind: 's3', bucket: BUCKET, key: 'in/e.jsonl.gz', line: 3, etag: '"etag"' }, body: B, receivedAtMs: LAST_MODIFIED.getTime() },
    ]);
  });

  it('reads the clickstream sample file, gzip, line for line', async () => {
    const sample = sampleEventLines();
    const batch = await load('samples/sample-events.jsonl.gz', gzipSync(`${sample.join('\n')}\n`));
    expect(batch.lines).toEqual(sample.map((body, i) => ({ line: i + 1, body })));
  });
});

describe('loadS3JsonLines on hostile objects', () => {
  /** A GetObject body that streams `bytes` in 1 KiB chunks and counts the chunks read. */
  function countingBody(bytes: Buffer) {
    const state = { pulled: 0, total: Math.ceil(bytes.length / 1024) };
    async function* chunks() {
      for (let at = 0; at < bytes.length; at += 1024) {
        state.pulled++;
        yield bytes.subarray(at, at + 1024);
      }
    }
    const iterable = chunks();
    const body = Object.assign(iterable, {
      // What the SDK's stream mixin offers too: reads everything.
      transformToByteArray: async () => {
        const parts: Buffer[] = [];
        for await (const c of iterable) parts.push(c);
        return new Uint8Array(Buffer.concat(parts));
      },
    });
    return { body, state };
  }

  it('decompression bombs: reads a range of a gzip object without inflating the whole object (stops after its last line)', async () => {
    // 16 MiB of lines (a small bomb: about 47 KiB of gzip) of which the range needs two.
    const line = `${JSON.stringify({ eventId: 'x', pad: 'p'.repeat(1000) })}\n`;
    const bomb = gzipSync(Buffer.from(line.repeat(Math.ceil((16 * 1024 * 1024) / line.length))));
    const { body, state } = countingBody(bomb);
    s3Mock.on(GetObjectCommand).resolves({ Body: body as never, ETag: '"e"' });

    const batch = (await loadS3JsonLines(s3, input('in/bomb.jsonl.gz', { firstLine: 2, lineCount: 2 }))).s3JsonLines;

    expect(batch.lines.map((l) => l.line)).toEqual([2, 3]);
    expect(state.total).toBeGreaterThan(40);
    expect(state.pulled).toBeLessThan(state.total / 2); // a little read-ahead, not the rest
  });

  it('invalid UTF-8: a line that is not UTF-8 is flagged invalidUtf8 (not decoded to U+FFFD silently); the others are read', async () => {
    const bad = Buffer.concat([Buffer.from('{"eventId":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    const content = Buffer.concat([Buffer.from(`${A}\n`), bad, Buffer.from(`\n${B}\n`)]);
    for (const [key, bytes] of [
      ['in/mixed.jsonl', content],
      ['in/mixed.jsonl.gz', gzipSync(content)],
    ] as const) {
      const batch = await load(key, bytes);
      expect(batch.lines.map((l) => [l.line, l.invalidUtf8 ?? false])).toEqual([
        [1, false],
        [2, true],
        [3, false],
      ]);
      expect(batch.lines[0].body).toBe(A);
    }
  });
});
