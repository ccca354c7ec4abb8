import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { S3JsonLinesBatch } from './source-records';

/** A JSON Lines object to process: all of it, or a range of its lines. */
export interface S3ObjectInput {
  readonly s3Object: {
    readonly bucket: string;
    readonly key: string;
    /** First line to process (1-based). @default 1 */
    readonly firstLine?: number;
    /** Number of lines to process. @default - to the end */
    readonly lineCount?: number;
    /**
     * Byte offset of `firstLine` in the (uncompressed) object: with `lastByte`, only those bytes
     * are read (a ranged GET) instead of the whole object. `null` for gzip objects.
     * @default - the whole object is read
     */
    readonly firstByte?: number | null;
    /** Last byte (inclusive) of the range's last line. @default - the whole object is read */
    readonly lastByte?: number | null;
    /** Read only this version of the object (`If-Match`): a replaced object fails the read. @default - any */
    readonly etag?: string | null;
  };
  /**
   * Only validate the lines against the schemas and return a {@link SchemaSample}: nothing is
   * masked, transformed, claimed or written (a batch workflow's drift check before any load).
   * @default false
   */
  readonly validateOnly?: boolean;
  /**
   * The batch workflow execution (ARN) processing this range: named in the lineage manifest, which
   * ties the curated objects to the run's own manifest.
   * @default - none
   */
  readonly run?: string;
}

/** Whether an event names an S3 object to read. */
export function isS3ObjectInput(event: unknown): event is S3ObjectInput {
  return typeof event === 'object' && event !== null && 's3Object' in event;
}

/**
 * Reads a JSON Lines object (gzip when its key ends in `.gz` or its bytes are gzip) and returns
 * the requested lines with their line numbers, so each record's position is bucket, key and line.
 * Empty lines are skipped (they are not records).
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
  let bytes = Buffer.from(await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
  if (!ranged && (key.endsWith('.gz') || (bytes[0] === 0x1f && bytes[1] === 0x8b))) bytes = gunzipSync(bytes);
  // A ranged read starts at `firstLine`; a whole read at line 1.
  const skip = ranged ? 0 : firstLine - 1;
  const all = bytes.toString('utf8').split('\n');
  const last = lineCount === undefined ? all.length : Math.min(all.length, skip + lineCount);
  const lines: Array<{ line: number; body: string }> = [];
  for (let i = skip; i < last; i++) {
    const body = all[i].replace(/\r$/, '');
    if (body.trim() !== '') lines.push({ line: firstLine + (i - skip), body });
  }
  const version = out.ETag ?? etag;
  return { s3JsonLines: { bucket, key, createdAt: out.LastModified?.toISOString(), ...(version ? { etag: version } : {}), lines } };
}
