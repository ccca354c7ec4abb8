import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { S3ObjectInput } from '../../lib/contract/range-invocation';
import { decodeUtf8, type S3JsonLinesBatch } from './source-records';

export type { S3ObjectInput };

/** Whether an event names an S3 object to read. */
export function isS3ObjectInput(event: unknown): event is S3ObjectInput {
  return typeof event === 'object' && event !== null && 's3Object' in event;
}

/**
 * Reads a JSON Lines object (gzip when its key ends in `.gz` or its bytes are gzip) and returns
 * the requested lines with their line numbers, so each record's position is bucket, key and line.
 * Empty lines are skipped (they are not records).
 *
 * The object is streamed (and inflated) chunk by chunk: only the requested lines are held, the
 * read stops after the last of them, and no string of the whole object is ever built (a gzip
 * object inflating to more than a string can hold fails nothing). Each line is decoded as UTF-8
 * strictly: a line that is not UTF-8 is returned flagged `invalidUtf8` (quarantined as such).
 */
export async function loadS3JsonLines(s3: S3Client, input: S3ObjectInput): Promise<S3JsonLinesBatch> {
  const { bucket, key, firstLine = 1, lineCount, firstByte, lastByte, etag } = input.s3Object;
  const ranged = typeof firstByte === 'number' && typeof lastByte === 'number';
  const out = await s3.send(
    new GetObjectCommand({
      Bucket: bucket,
      Key: key,
      ...(ranged ? { Range: `bytes=${firstByte}-${lastByte}` } : {}),
      ...(etag ? { IfMatch: etag } : {}),
    }),
  );
  // A ranged read starts at `firstLine`; a whole read at line 1.
  const skip = ranged ? 0 : firstLine - 1;
  const end = lineCount === undefined ? Infinity : skip + lineCount;
  const lines: Array<{ line: number; body: string; invalidUtf8?: boolean }> = [];
  const keep = (index: number, bytes: Buffer) => {
    const { text, valid } = decodeUtf8(bytes);
    const body = text.replace(/\r$/, '');
    if (body.trim() !== '') lines.push({ line: firstLine + (index - skip), body, ...(valid ? {} : { invalidUtf8: true }) });
  };
  const body = out.Body as unknown;
  const { chunks, close } = await objectChunks(body, !ranged && key.endsWith('.gz'), !ranged);
  try {
    let index = 0; // 0-based index of the current line in what is read
    let partial: Buffer[] = [];
    for await (const chunk of chunks) {
      let from = 0;
      for (let nl = chunk.indexOf(0x0a); nl !== -1 && index < end; nl = chunk.indexOf(0x0a, from)) {
        if (index >= skip) keep(index, partial.length === 0 ? chunk.subarray(from, nl) : Buffer.concat([...partial, chunk.subarray(from, nl)]));
        partial = [];
        index++;
        from = nl + 1;
      }
      if (index >= end) break;
      if (index >= skip && from < chunk.length) partial.push(chunk.subarray(from));
    }
    if (index < end && index >= skip && partial.length > 0) keep(index, Buffer.concat(partial));
  } finally {
    close();
  }
  const version = out.ETag ?? etag;
  return { s3JsonLines: { bucket, key, createdAt: out.LastModified?.toISOString(), ...(version ? { etag: version } : {}), lines } };
}

/**
 * The chunks of a GetObject body (a stream in Lambda; a `transformToByteArray` reader otherwise),
 * inflated when `gzip` or, if `sniff`, when they start with the gzip magic bytes.
 */
async function objectChunks(body: unknown, gzip: boolean, sniff: boolean): Promise<{ chunks: AsyncIterable<Buffer>; close: () => void }> {
  const source: AsyncIterable<Uint8Array> =
    body !== null && typeof body === 'object' && Symbol.asyncIterator in body
      ? (body as AsyncIterable<Uint8Array>)
      : (async function* () {
          yield await (body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray();
        })();
  const iterator = source[Symbol.asyncIterator]();
  const first = await iterator.next();
  const head = first.done ? Buffer.alloc(0) : Buffer.from(first.value);
  async function* raw(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield Buffer.from(next.value);
  }
  const destroyBody = () => (body as { destroy?: () => void }).destroy?.();
  if (gzip || (sniff && head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b)) {
    const input = Readable.from(raw());
    const inflate = input.pipe(createGunzip());
    return {
      chunks: inflate,
      close: () => {
        inflate.destroy();
        input.destroy();
        destroyBody();
      },
    };
  }
  return { chunks: raw(), close: destroyBody };
}
