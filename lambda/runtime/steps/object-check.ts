import { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ObjectCheckError, type CheckObjectInput, type CheckObjectOutput } from '../../../lib/contract/workflow-steps';
import { lineRanges, scanLines } from './line-scan';
import { objectBytes } from './object-bytes';

/** A rejection the workflow handles deterministically (quarantine, never retried). */
export class CheckError extends Error {
  constructor(name: ObjectCheckError, message: string) {
    super(message);
    this.name = name;
  }
}

/**
 * The `check` step: HeadObject (size limit), then one streaming pass over the object (gzip too,
 * its decompressed bytes bounded as well) that counts its lines and parses a sample of them;
 * returns the line ranges the workflow maps over. Deterministic rejections throw a
 * {@link CheckError} named after one of the contract's `ObjectCheckError`s.
 */
export async function checkObject(s3: S3Client, input: CheckObjectInput): Promise<CheckObjectOutput> {
  const { bucket, key, linesPerBatch, maxObjectBytes } = input;
  const where = `s3://${bucket}/${key}`;
  const maxBatches = input.maxBatches ?? 1000;
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  const bytes = head.ContentLength ?? 0;
  if (bytes > maxObjectBytes) {
    throw new CheckError(ObjectCheckError.OBJECT_TOO_LARGE, `${where} is ${bytes} bytes; the limit is ${maxObjectBytes} (maxObjectBytes)`);
  }
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, IfMatch: head.ETag }));
  const maxInflated = input.maxDecompressedBytes ?? maxObjectBytes;
  const { gzip, bytes: content } = await objectBytes(
    object.Body as Readable,
    maxInflated,
    () =>
      new CheckError(
        ObjectCheckError.OBJECT_TOO_LARGE,
        `${where} is gzip of more than ${maxInflated} bytes decompressed (${bytes} compressed); the limit is ${maxInflated} (maxObjectBytes)`,
      ),
  );
  const sampleLines = Math.max(1, input.schemaSampleLines ?? 0);
  const { lineCount, sample, lineStarts } = await scanLines(content, input.sampleSize ?? 100, gzip ? 0 : gcd(linesPerBatch, sampleLines));
  if (sample.length === 0) throw new CheckError(ObjectCheckError.EMPTY_OBJECT, `${where} has no records`);
  const valid = sample.filter(isJsonObject).length;
  // Some bad lines are the runtime's business (quarantined with their line); a mostly-bad sample
  // means the object is not JSON Lines at all (CSV, a JSON array, binary).
  if (valid / sample.length < 0.5) {
    throw new CheckError(ObjectCheckError.NOT_JSON_LINES, `${where}: ${sample.length - valid} of the first ${sample.length} lines are not JSON objects`);
  }
  // Byte ranges let each invocation read only its part of an uncompressed object.
  const byteRanges = gzip ? undefined : { lineStart: (line: number) => lineStarts.get(line) as number, size: bytes };
  const ranges = lineRanges(lineCount, linesPerBatch, byteRanges);
  if (ranges.length > maxBatches) {
    throw new CheckError(
      ObjectCheckError.TOO_MANY_BATCHES,
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
