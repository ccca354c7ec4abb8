import { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { LineRange, lineRanges, scanLines } from './line-scan';
import { objectBytes } from './object-bytes';

/** Names of the deterministic rejections (the state machine catches them by name). */
export const CHECK_ERRORS = ['ObjectTooLarge', 'NotJsonLines', 'TooManyBatches', 'EmptyObject'] as const;

/** A rejection the workflow handles deterministically (quarantine, never retried). */
export class CheckError extends Error {
  constructor(name: (typeof CHECK_ERRORS)[number], message: string) {
    super(message);
    this.name = name;
  }
}

/** `check` input. */
export interface CheckObjectInput {
  readonly action: 'check';
  readonly bucket: string;
  readonly key: string;
  readonly linesPerBatch: number;
  readonly maxObjectBytes: number;
  /**
   * Bound on a gzip object's decompressed bytes: the check inflates and counts, and stops with
   * `ObjectTooLarge` past it (a small gzip can inflate to more than any batch can read).
   * @default - maxObjectBytes
   */
  readonly maxDecompressedBytes?: number;
  /** @default 1000 */
  readonly maxBatches?: number;
  /** Lines parsed as JSON to decide whether the object is JSON Lines. @default 100 */
  readonly sampleSize?: number;
  /** Lines of the schema sample (the workflow's `schemaSampleLines`) whose byte range to return. @default 0 */
  readonly schemaSampleLines?: number;
}

/** `check` output. */
export interface CheckObjectOutput {
  readonly bytes: number;
  readonly lineCount: number;
  /** The ETag the batches read with `If-Match` (a replaced object fails them instead of mixing versions). */
  readonly etag: string | null;
  readonly versionId: string | null;
  readonly ranges: LineRange[];
  /** Whether the object is gzip (then ranges carry no bytes). */
  readonly gzip: boolean;
  /** The range of the schema sample: the first `schemaSampleLines` lines (at least one line). */
  readonly sampleRange: LineRange;
}

/**
 * The `check` step: HeadObject (size limit), then one streaming pass over the object (gzip too,
 * its decompressed bytes bounded as well) that counts its lines and parses a sample of them;
 * returns the line ranges the workflow maps over. Deterministic rejections throw a
 * {@link CheckError} named after one of {@link CHECK_ERRORS}.
 */
export async function checkObject(s3: S3Client, input: CheckObjectInput): Promise<CheckObjectOutput> {
  const { bucket, key, linesPerBatch, maxObjectBytes } = input;
  const where = `s3://${bucket}/${key}`;
  const maxBatches = input.maxBatches ?? 1000;
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  const bytes = head.ContentLength ?? 0;
  if (bytes > maxObjectBytes) {
    throw new CheckError('ObjectTooLarge', `${where} is ${bytes} bytes; the limit is ${maxObjectBytes} (maxObjectBytes)`);
  }
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, IfMatch: head.ETag }));
  const maxInflated = input.maxDecompressedBytes ?? maxObjectBytes;
  const { gzip, bytes: content } = await objectBytes(
    object.Body as Readable,
    maxInflated,
    () =>
      new CheckError(
        'ObjectTooLarge',
        `${where} is gzip of more than ${maxInflated} bytes decompressed (${bytes} compressed); the limit is ${maxInflated} (maxObjectBytes)`,
      ),
  );
  const sampleLines = Math.max(1, input.schemaSampleLines ?? 0);
  const { lineCount, sample, lineStarts } = await scanLines(content, input.sampleSize ?? 100, gzip ? 0 : gcd(linesPerBatch, sampleLines));
  if (sample.length === 0) throw new CheckError('EmptyObject', `${where} has no records`);
  const valid = sample.filter(isJsonObject).length;
  // Some bad lines are the runtime's business (quarantined with their line); a mostly-bad sample
  // means the object is not JSON Lines at all (CSV, a JSON array, binary).
  if (valid / sample.length < 0.5) {
    throw new CheckError('NotJsonLines', `${where}: ${sample.length - valid} of the first ${sample.length} lines are not JSON objects`);
  }
  // Byte ranges let each invocation read only its part of an uncompressed object.
  const byteRanges = gzip ? undefined : { lineStart: (line: number) => lineStarts.get(line) as number, size: bytes };
  const ranges = lineRanges(lineCount, linesPerBatch, byteRanges);
  if (ranges.length > maxBatches) {
    throw new CheckError(
      'TooManyBatches',
      `${where} has ${lineCount} lines: ${ranges.length} batches of ${linesPerBatch}, above ${maxBatches}; raise linesPerBatch or split the object`,
    );
  }
  const [sampleRange] = lineRanges(lineCount, sampleLines, byteRanges);
  return { bytes, lineCount, etag: head.ETag ?? null, versionId: head.VersionId ?? null, gzip, ranges, sampleRange };
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

function isJsonObject(line: string): boolean {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}
