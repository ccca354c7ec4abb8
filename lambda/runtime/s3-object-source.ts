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
  };
  /**
   * Only validate the lines against the schemas and return a {@link SchemaSample}: nothing is
   * masked, transformed, claimed or written (a batch workflow's drift check before any load).
   * @default false
   */
  readonly validateOnly?: boolean;
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
  const { bucket, key, firstLine = 1, lineCount } = input.s3Object;
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  let bytes = Buffer.from(await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
  if (key.endsWith('.gz') || (bytes[0] === 0x1f && bytes[1] === 0x8b)) bytes = gunzipSync(bytes);
  const all = bytes.toString('utf8').split('\n');
  const last = lineCount === undefined ? all.length : Math.min(all.length, firstLine - 1 + lineCount);
  const lines: Array<{ line: number; body: string }> = [];
  for (let i = firstLine - 1; i < last; i++) {
    const body = all[i].replace(/\r$/, '');
    if (body.trim() !== '') lines.push({ line: i + 1, body });
  }
  return { s3JsonLines: { bucket, key, createdAt: out.LastModified?.toISOString(), lines } };
}
